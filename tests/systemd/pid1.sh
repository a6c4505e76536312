# SPDX-License-Identifier: GPL-2.0-or-later
# deploy/systemd/byod-portal.service under a real systemd as PID 1, in PID,
# mount, network, UTS and IPC namespaces of the test's own: the unit as
# shipped (hardening, User=byod, Type=notify, the watchdog), with a drop-in
# that only points ExecStart at this build and boots nothing else
# (DefaultDependencies=no, one target with the portal and journald). The
# portal becomes active only once it answers, runs as byod without any
# capability, `systemctl reload` takes a new school name, `systemctl stop`
# ends it cleanly.
#
# The host is kept out of reach: fresh tmpfs on /tmp, /var/tmp, /run,
# /var/lib and /var/log before systemd starts (its tmpfiles, journal and
# state directories land there), a private /etc/passwd and /etc/group
# naming the user byod bound over the host's, and only the test's target
# started. PID 1 ignores SIGTERM: it is ended by SIGKILL from here.
: "${BYOD_SRC:?}" "${BYODCTL:?}" "${BYOD_PORTAL:?}"
set -uo pipefail
. "$BYOD_SRC/tests/lib/pid1.sh"
passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok; else ko "$what"; fi; }

if [ "${1:-}" = --inside ]; then
	# PID 1 of the new namespaces, before systemd: only private mounts
	set -e
	T=$2
	for d in /tmp /var/tmp /run /var/lib /var/log; do
		mount -t tmpfs -o mode=0755 tmpfs "$d"
	done
	mount --bind "$T/passwd" /etc/passwd
	mount --bind "$T/group" /etc/group
	mkdir -p /run/systemd/system /var/lib/byod /var/log/journal
	cp -r "$T/units/." /run/systemd/system/
	BYOD_HOME=/var/lib/byod "$BYODCTL" init --school 0131234W \
		--name "Collège des Calanques" >/dev/null
	sed -i "s/^  http-port: .*/  http-port: 8080/; s/^  https-port: .*/  https-port: 0/" \
		/var/lib/byod/byod.conf
	chown -R 64999:64999 /var/lib/byod
	ip link set lo up
	hostname byod-pid1
	exec /lib/systemd/systemd --system --unit=byod-test.target >"$T/systemd.out" 2>&1
fi

if [ "$(id -u)" -ne 0 ] || [ ! -x /lib/systemd/systemd ]; then
	echo "needs root and systemd" >&2
	exit 1
fi
# The directories PID 1 gets fresh (and the unit's PrivateTmp) would hide a
# build or a test directory under them: such a build cannot run this test
# (exit 77, ctest's skip), one anywhere else (a clone in /srv, /home…) can.
for p in "$(readlink -f "$BYOD_PORTAL")" "$(readlink -f "${BYOD_TEST_TMP:-/tmp}")"; do
	case $p in
	/tmp/* | /var/tmp/* | /run/* | /var/lib/* | /var/log/*)
		echo "skipped: $p lies under a directory PID 1 mounts afresh" >&2
		exit 77
		;;
	esac
done
T=$(mktemp -d "${BYOD_TEST_TMP:-/tmp}/pid1.XXXXXX")
chmod 0755 "$T"
MARK=$(mktemp /tmp/byod-pid1-mark.XXXXXX) # the host's /tmp must keep it
PID1=
cleanup() {
	pid1_kill
	rm -rf "$T" "$MARK"
}
trap cleanup EXIT

{ grep -v '^byod:' /etc/passwd; echo "byod:x:64999:64999:BYOD Gateway:/var/lib/byod:/usr/sbin/nologin"; } >"$T/passwd"
{ grep -v '^byod:' /etc/group; echo "byod:x:64999:"; } >"$T/group"
mkdir -p "$T/units/byod-portal.service.d"
cp "$BYOD_SRC/deploy/systemd/byod-portal.service" "$T/units/"
cat >"$T/units/byod-portal.service.d/test.conf" <<EOT
[Unit]
DefaultDependencies=no
After=systemd-journald.socket
[Service]
ExecStart=
ExecStart=$BYOD_PORTAL
# a sanitizer build: LeakSanitizer stops the world with ptrace, which the
# unit's SystemCallFilter refuses (leaks are checked by the other tests)
Environment=ASAN_OPTIONS=detect_leaks=0
EOT
cat >"$T/units/byod-test.target" <<EOT
[Unit]
Description=The portal alone
DefaultDependencies=no
Wants=systemd-journald.socket byod-portal.service
EOT

pid1_start "$0" --inside "$T" || exit 1

state=
for _ in $(seq 600); do
	state=$(ctl is-active byod-portal.service 2>/dev/null)
	[ "$state" = active ] || [ "$state" = failed ] && break
	sleep 0.1
done
check "systemd starts byod-portal.service: $state" test "$state" = active
if [ "$state" != active ]; then
	ctl status byod-portal.service --no-pager -l >&2 2>&1
	ns journalctl --no-pager -n 40 -u byod-portal.service >&2 2>&1
	cat "$T/systemd.out" >&2
fi
check "...which answers once active" ns curl -sf -o /dev/null -H "Host: portal.byod.lan" \
	http://127.0.0.1:8080/
check "...its STATUS is shown" test "$(ctl show -p StatusText --value byod-portal.service)" = serving
main=$(ctl show -p MainPID --value byod-portal.service)
check "...its main process is known ($main)" test "${main:-0}" -gt 0
uid=$(ns awk '/^Uid:/ { print $2 }' "/proc/$main/status")
check "...it runs as byod, not root (uid $uid)" test "$uid" = 64999
check "...without any capability" test "$(ns awk '/^CapEff:/ { print $2 }' "/proc/$main/status")" = 0000000000000000
check "...with no new privileges" test "$(ns awk '/^NoNewPrivs:/ { print $2 }' "/proc/$main/status")" = 1
check "...under a seccomp filter" test "$(ns awk '/^Seccomp:/ { print $2 }' "/proc/$main/status")" = 2
check "...and a watchdog" test "$(ctl show -p WatchdogUSec --value byod-portal.service)" = 30s

ns sed -i 's/^  name: "Collège des Calanques"/  name: "Collège du Relais"/' /var/lib/byod/byod.conf
check "systemctl reload succeeds" ctl reload byod-portal.service
check "...the new school name is served" sh -c "nsenter --target $PID1 --mount --pid --net -- \
	curl -s -H 'Host: portal.byod.lan' http://127.0.0.1:8080/ | grep -q 'Collège du Relais'"
check "...it is still active, the same process" test \
	"$(ctl is-active byod-portal.service)/$(ctl show -p MainPID --value byod-portal.service)" = "active/$main"
check "...the journal says it reloaded" sh -c "nsenter --target $PID1 --mount --pid -- \
	journalctl --no-pager -u byod-portal.service | grep -q 'reloaded the configuration'"
check "...the journal has the reload's entry with its identifier" sh -c "nsenter --target $PID1 \
	--mount --pid -- journalctl --no-pager SYSLOG_IDENTIFIER=byod-portal -o verbose | \
	grep -q '_TRANSPORT=journal'"
check "systemctl stop stops it" ctl stop byod-portal.service
st=$(ctl is-active byod-portal.service)
check "...inactive, not failed ($st)" test "$st" = inactive
[ "$st" = inactive ] || ns journalctl --no-pager -n 30 -u byod-portal.service >&2
pid1_stop
check "the host's /tmp is untouched" test -f "$MARK"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
