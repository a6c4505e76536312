# SPDX-License-Identifier: GPL-2.0-or-later
# The portal's log in a real systemd-journald: journald runs in private
# mount, PID and network namespaces (its own tmpfs on /run and on
# /var/log/journal, so the host's journal is never touched; it ends with
# the namespace), and journal.py drives the portal there with its standard
# error connected to journald's stream as systemd does (JOURNAL_STREAM).
: "${BYOD_SRC:?}"
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
	[ ! -x /lib/systemd/systemd-journald ]; then
	echo "needs root, unshare and systemd-journald" >&2
	exit 1
fi
if [ "${1:-}" != --inside ]; then
	exec unshare --mount --pid --fork --mount-proc --net --uts --ipc \
		bash "$0" --inside
fi
set -eu
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /var/log/journal
mount -t tmpfs -o mode=0755 tmpfs /var/log/journal
ip link set lo up
/lib/systemd/systemd-journald >/dev/null 2>&1 &
for _ in $(seq 100); do
	[ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ] && break
	sleep 0.1
done
[ -S /run/systemd/journal/socket ] || { echo "systemd-journald did not start" >&2; exit 1; }
python3 "$BYOD_SRC/tests/systemd/journal.py"
