# SPDX-License-Identifier: GPL-2.0-or-later
# A real systemd as PID 1 in PID, mount, network, UTS and IPC namespaces of
# a test's own (tests/systemd/pid1.sh, tests/package/units.sh): started,
# entered, ended. Sourced, not run. The script given to pid1_start makes
# its private mounts (fresh tmpfs on /tmp, /run…: systemd's tmpfiles must
# never reach the host's) and then execs systemd.

# pid1_start SCRIPT ARGS...: `bash SCRIPT ARGS...` as PID 1 of the new
# namespaces; sets UNSHARE (the unshare process, ours) and PID1.
pid1_start() {
	unshare --pid --fork --mount --mount-proc --uts --ipc --net bash "$@" &
	UNSHARE=$!
	PID1=
	for _ in $(seq 50); do
		PID1=$(pgrep -P "$UNSHARE" | head -1)
		[ -n "$PID1" ] && return 0
		sleep 0.1
	done
	echo "no PID 1" >&2
	return 1
}

# a command in PID 1's namespaces; systemctl there
ns() { nsenter --target "$PID1" --mount --pid --net --uts --ipc -- "$@"; }
ctl() { ns systemctl "$@"; }

# pid1_stop: systemctl poweroff (systemd in a container exits), SIGKILL of
# PID 1 if it does not within 10 s (PID 1 ignores SIGTERM).
pid1_stop() {
	if [ -n "${PID1:-}" ] && kill -0 "$PID1" 2>/dev/null; then
		ctl poweroff --no-block >/dev/null 2>&1
		for _ in $(seq 100); do kill -0 "$UNSHARE" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$UNSHARE" 2>/dev/null && kill -KILL "$PID1" 2>/dev/null
	fi
	[ -n "${UNSHARE:-}" ] && wait "$UNSHARE" 2>/dev/null
	PID1=
}

# pid1_kill: at once (a test's exit trap)
pid1_kill() {
	if [ -n "${PID1:-}" ] && kill -0 "$PID1" 2>/dev/null; then
		kill -KILL "$PID1" 2>/dev/null
		wait "$UNSHARE" 2>/dev/null
	fi
	PID1=
}
