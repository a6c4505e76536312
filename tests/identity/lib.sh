# SPDX-License-Identifier: GPL-2.0-or-later
# What the identity test scripts share (ldap.sh, cas.sh, saml.sh): sourced,
# not run. The sourcing script sets H (this folder) and defines die MESSAGE.
# Gives:
#   idt_dir PREFIX [USER...]  T, a private directory (under $BYOD_TEST_TMP, or
#                             /tmp when one of the USERs a root run starts
#                             servers as cannot reach it); PIDS, every
#                             server started, stopped by its PID at exit
#   free_ports N              N free TCP ports of 127.0.0.1
# and slapd-lib.sh's idt_pki and idt_slapd, their files in $T.

cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || continue
		for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}

idt_dir() {
	local prefix=$1 u
	shift
	base=${BYOD_TEST_TMP:-/tmp}
	mkdir -p "$base"
	T=$(mktemp -d "$base/$prefix.XXXXXX")
	chmod 755 "$T"
	# as root, the servers drop to their users, which must reach their
	# files: a build tree under a private home (/root is 0700) is out of
	# their reach, /tmp is not
	if [ "$(id -u)" = 0 ]; then
		for u in "$@"; do
			if ! setpriv --reuid="$u" --regid="$u" --clear-groups test -x "$T" \
				2>/dev/null; then
				rmdir "$T"
				T=$(mktemp -d "/tmp/byod-$prefix.XXXXXX")
				chmod 755 "$T"
				break
			fi
		done
	fi
	PIDS=()
	trap cleanup EXIT
}

free_ports() {
	python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# the test PKI and slapd (idt_pki, idt_slapd), in $T
. "$H/slapd-lib.sh"
