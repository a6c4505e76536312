# SPDX-License-Identifier: GPL-2.0-or-later
# An injectable clock for the shell suites: every program a test starts
# after clock_init (freeradius, eapol_test, byod-portal, byodctl, curl,
# sqlite3, openssl, date...) reads the time through libfaketime (Debian
# `faketime`), from one file the test rewrites, so that clock_set moves the
# clock of the daemons already running as well as of the next commands.
# Sourced after tests/cli/lib.sh (it writes under $T).
#
#   clock_init                      export the preload; the clock is the real one
#   clock_set "2027-01-15 10:00:00" the time is now that (in $TZ), and runs on
#   clock_now                       the fake time, seconds since the epoch
#   clock_date [FORMAT]             the fake time as date(1) prints it
#   clock_at "2027-01-15 10:00:00"  that wall time in $TZ, seconds since the epoch
#
# The file holds an offset from the real time ("+N" seconds), not an
# absolute date: every process, whenever it started, sees the same instant,
# and the clock keeps running (timeouts and poll loops go on working).
# Monotonic clocks are left real. In an ASan build the sanitizer's runtime
# would have to come first in the preload list: its link-order check is
# turned off (libfaketime only wraps time functions).
#
# freeradius loads its modules with RTLD_DEEPBIND, which binds a module's
# time functions to libc before the preload: rlm_byod follows this clock
# only as built with libfaketime as its first dependency (the target
# rlm_byod_clock of tests/CMakeLists.txt, lib/clock/rlm_byod.so; its
# directory in RLM_BYOD_CLOCK_DIR). The server itself and OpenSSL (the
# certificates' validity) follow the preload.

CLOCK_LIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$CLOCK_LIB" ] || { echo "libfaketime is missing (scripts/install-deps: faketime)" >&2; exit 1; }
CLOCK_FILE="$T/clock"

# the real time, whatever the preload says
clock_real() { LD_PRELOAD= date +%s; }

clock_at() { LD_PRELOAD= date -d "$1" +%s || { echo "clock: bad date '$1'" >&2; exit 1; }; }

clock_init() {
	echo "+0" >"$CLOCK_FILE"
	unset FAKETIME # it would take the place of the file
	export FAKETIME_TIMESTAMP_FILE="$CLOCK_FILE" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export LD_PRELOAD="$CLOCK_LIB${LD_PRELOAD:+ $LD_PRELOAD}"
}

clock_set() {
	local target
	target=$(clock_at "$1")
	# written whole then renamed: a reader never sees half a line
	echo "+$((target - $(clock_real)))" >"$CLOCK_FILE.new" && mv "$CLOCK_FILE.new" "$CLOCK_FILE"
}

clock_now() { date +%s; }
clock_date() { date "${1:-+%F %T}"; }
