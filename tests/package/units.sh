#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The INSTALLED services started by a real systemd as PID 1, the way a
# collège's box starts them: /lib/systemd/system/byod-portal.service,
# byod-admin.service, byod-gatewayd.service as the packages shipped them
# (/usr/sbin's programs, User=byod, the hardening, Type=notify, the
# watchdog) and Debian's own freeradius.service with the module that
# `byodctl radius enable` linked into the stock /etc/freeradius/3.0, all
# over the real /var/lib/byod of the demo school. Called by
# package-test.sh once the packages are installed, the demo school made
# and the module enabled:
#
#   units.sh WORK DEVICE     WORK: a directory of the test's (the device's
#                            PEM and key in WORK/devices); DEVICE: the id
#                            of an enrolled device that must authenticate
#
# Shown: each unit active only once ready, its main process as byod (the
# portal and the console without any capability, the gateway with
# CAP_NET_ADMIN alone), no new privileges, a seccomp filter; the portal
# and the console answer, the gateway's ruleset is in the kernel;
# FreeRADIUS (freerad, in the group byod) opens the registry the daemons
# write under UMask=0027 and the laptop authenticates by EAP-TLS; the
# files the daemons made in /var/lib/byod are the group byod's and no one
# else's; systemctl reload keeps each process; systemctl stop ends each
# cleanly.
#
# Only drop-ins in /run are added: DefaultDependencies=no, so that the
# test's target starts these units and journald, nothing else of the
# machine's; network-online.target masked (no network manager runs in
# the namespace). The host is kept out of reach: PID, mount, network,
# UTS and IPC namespaces; fresh tmpfs on /tmp, /var/tmp, /run, /var/lib
# and /var/log before systemd starts, /var/lib/byod bound back in. PID 1
# ignores SIGTERM: it is ended by SIGKILL from here.
set -uo pipefail
. "$(dirname "$0")/../lib/pid1.sh"

if [ "${1:-}" = --inside ]; then
	# PID 1 of the new namespaces, before systemd: only private mounts
	set -e
	W=$2
	# /var/lib/byod and the test's directory stay reachable once
	# /var/lib and /tmp are fresh
	mount -t tmpfs -o mode=0755 tmpfs /mnt
	mkdir /mnt/state /mnt/work
	mount --bind /var/lib/byod /mnt/state
	mount --bind "$W" /mnt/work
	for d in /tmp /var/tmp /run /var/lib /var/log; do
		mount -t tmpfs -o mode=0755 tmpfs "$d"
	done
	mkdir -p /var/lib/byod /run/systemd/system /var/log/journal /var/log/freeradius
	mount --bind /mnt/state /var/lib/byod
	chown freerad:freerad /var/log/freeradius
	cp -a /mnt/work/units/. /run/systemd/system/
	ip link set lo up
	# the uplink byod.conf names (firewall.uplink: eth0)
	ip link add eth0 type veth peer name eth1
	ip link set eth0 up
	ip link set eth1 up
	hostname byod-units
	exec /lib/systemd/systemd --system --unit=byod-test.target >/mnt/work/systemd.out 2>&1
fi

W=${1:?usage: units.sh WORK DEVICE}
DEVICE=${2:?usage: units.sh WORK DEVICE}
home=/var/lib/byod
units="byod-portal byod-admin byod-gatewayd"
passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok; else ko "$what"; fi; }

[ "$(id -u)" -eq 0 ] && [ -x /lib/systemd/systemd ] || { echo "needs root and systemd" >&2; exit 1; }
for u in $units; do
	[ -f "/lib/systemd/system/$u.service" ] || { echo "$u.service is not installed" >&2; exit 1; }
done
byod_uid=$(id -u byod)
byod_gid=$(getent group byod | cut -d: -f3)
freerad_uid=$(id -u freerad)
MARK=$(mktemp /tmp/byod-units-mark.XXXXXX) # the host's /tmp must keep it
PID1=
UNSHARE=
cleanup() {
	pid1_kill
	rm -f "$MARK"
}
trap cleanup EXIT

rm -rf "$W/units"
mkdir -p "$W/units"
for u in $units freeradius; do
	mkdir -p "$W/units/$u.service.d"
	cat >"$W/units/$u.service.d/test.conf" <<EOT
[Unit]
DefaultDependencies=no
After=systemd-journald.socket
EOT
done
ln -s /dev/null "$W/units/network-online.target"
cat >"$W/units/byod-test.target" <<EOT
[Unit]
Description=The installed services of a school's box
DefaultDependencies=no
Wants=systemd-journald.socket freeradius.service byod-portal.service byod-admin.service byod-gatewayd.service
EOT
chmod -R go+rX "$W/units"
touch "$W/stamp"
sleep 1 # the daemons' files are newer than the stamp by a second at least

pid1_start "$0" --inside "$W" || exit 1
proc() { # PID FIELD: a line of /proc/PID/status, as PID 1's namespace sees it
	ns awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

for u in $units freeradius; do
	state=
	for _ in $(seq 900); do
		state=$(ctl is-active "$u.service" 2>/dev/null)
		[ "$state" = active ] || [ "$state" = failed ] && break
		sleep 0.1
	done
	check "systemd starts the installed $u.service: $state" test "$state" = active
	if [ "$state" != active ]; then
		ctl status "$u.service" --no-pager -l >&2 2>&1
		ns journalctl --no-pager -n 40 -u "$u.service" >&2 2>&1
	fi
done
[ "$failed" -eq 0 ] || cat "$W/systemd.out" >&2

declare -A pid
for u in $units freeradius; do
	pid[$u]=$(ctl show -p MainPID --value "$u.service")
	check "$u: its main process is known (${pid[$u]})" test "${pid[$u]:-0}" -gt 0
done
for u in $units; do
	p=${pid[$u]}
	check "$u runs as byod, not root (uid $(proc "$p" Uid))" \
		test "$(proc "$p" Uid | awk '{ print $1 }')" = "$byod_uid"
	check "$u: no new privileges" test "$(proc "$p" NoNewPrivs)" = 1
	check "$u: under a seccomp filter" test "$(proc "$p" Seccomp)" = 2
	check "$u: a watchdog of 30 s" test "$(ctl show -p WatchdogUSec --value "$u.service")" = 30s
done
# CAP_NET_ADMIN is capability 12: 0x1000
for u in byod-portal byod-admin; do
	check "$u has no capability ($(proc "${pid[$u]}" CapEff))" \
		test "$(proc "${pid[$u]}" CapEff)" = 0000000000000000
done
check "byod-gatewayd has CAP_NET_ADMIN and nothing else ($(proc "${pid[byod-gatewayd]}" CapEff))" \
	test "$(proc "${pid[byod-gatewayd]}" CapEff)" = 0000000000001000
check "...nor can it gain another (bounding set $(proc "${pid[byod-gatewayd]}" CapBnd))" \
	test "$(proc "${pid[byod-gatewayd]}" CapBnd)" = 0000000000001000
check "freeradius runs as freerad" \
	test "$(proc "${pid[freeradius]}" Uid | awk '{ print $1 }')" = "$freerad_uid"
check "...in the group byod (groups $(proc "${pid[freeradius]}" Groups))" \
	sh -c "echo ' $(proc "${pid[freeradius]}" Groups) ' | grep -q ' $byod_gid '"

check "the portal answers on 8080" ns curl -sf -o /dev/null -H "Host: portal.byod.lan" \
	http://127.0.0.1:8080/
check "...and over HTTPS on 8443" ns curl -skf -o /dev/null -H "Host: portal.byod.lan" \
	https://127.0.0.1:8443/
code=$(ns curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:9443/)
check "the console answers on 9443 (HTTP $code)" test "${code:-000}" -ge 200 -a "${code:-000}" -lt 400
check "the gateway's ruleset is in the kernel (table inet byod)" ns nft list table inet byod
check "the gateway's journal names the policy version" sh -c \
	"nsenter --target $PID1 --mount --pid -- journalctl --no-pager -u byod-gatewayd.service | \
	grep -q 'policy version 1'"

# EAP-TLS through the freeradius.service systemd started (the stock
# client localhost, secret testing123)
cat >"$W/eapol-units.conf" <<EOC
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="durand"
	ca_cert="$home/pki/ca.pem"
	client_cert="$W/devices/$DEVICE.pem"
	private_key="$W/devices/$DEVICE.key"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
nsenter --target "$PID1" --net -- eapol_test -c "$W/eapol-units.conf" -a 127.0.0.1 -p 1812 \
	-s testing123 -M 02:00:00:00:dd:01 -t 10 >"$W/eapol-units.log" 2>&1
check "EAP-TLS of the enrolled laptop through freeradius.service: SUCCESS" \
	sh -c "tail -1 '$W/eapol-units.log' | grep -qx SUCCESS"
check "...in VLAN 30" sh -c "grep -A1 'Attribute 81 ' '$W/eapol-units.log' | grep -q 'Value: 3330'"
[ "$(tail -1 "$W/eapol-units.log")" = SUCCESS ] ||
	ns journalctl --no-pager -n 40 -u freeradius.service >&2

# what the daemons wrote under UMask=0027 in the setgid 2770 directory,
# and FreeRADIUS's module in its spool (stats socket, status file): the
# group byod's (byodctl metrics and radius status run as byod), no one
# else's; FreeRADIUS's TLS session cache on tmpfs, in its runtime
# directory, not in /var/lib/byod.
mine() { find "$home" -newer "$W/stamp" -type f -o -newer "$W/stamp" -type s; }
new=$(mine)
check "the daemons wrote in $home ($(echo "$new" | wc -w) files)" test -n "$new"
modes=$(mine | xargs -r stat -c '%A %G %n')
open_to_others=$(awk 'substr($1, 8, 3) != "---" { print $3 }' <<<"$modes")
check "...none of them open to others: $open_to_others" test -z "$open_to_others"
not_byod=$(awk '$2 != "byod" { print $3 }' <<<"$modes")
check "...all of them the group byod's: $not_byod" test -z "$not_byod"
[ -z "$open_to_others$not_byod" ] || ls -laR "$home" >&2
check "no TLS session in $home" test ! -e "$home/radius-tlscache"
check "the laptop's TLS session cached in /run/freeradius/byod-tlscache (0700, freerad's)" sh -c \
	"nsenter --target $PID1 --mount -- stat -c '%a %U' /run/freeradius/byod-tlscache | \
	grep -qx '700 freerad' && [ -n \"\$(nsenter --target $PID1 --mount -- \
	find /run/freeradius/byod-tlscache -type f)\" ]"
check "byod reads the module's status" runuser -u byod -- cat "$home/radius-spool/status"
check "byod reads the module's stats socket (byodctl metrics)" sh -c \
	"runuser -u byod -- /usr/bin/byodctl metrics --radius-spool $home/radius-spool | \
	grep -q '^byod_radius_'"

# a reload takes the new configuration: the gateway's ruleset names the
# segments' interfaces on the new uplink
check "the ruleset names the uplink eth0's segments" sh -c \
	"nsenter --target $PID1 --net -- nft list table inet byod | grep -q '\"eth0\\.'"
sed -i 's/^  uplink: "eth0"/  uplink: "eth1"/' "$home/byod.conf"
for u in $units; do
	check "systemctl reload $u" ctl reload "$u.service"
	# ExecReload returns once the signal is sent; the daemon says
	# RELOADING=1 and READY=1 again when it is done, maybe only after
	# systemctl returned: active again, the same process, within 10 s
	# (a state read between the signal and RELOADING=1 says active too)
	state=
	for _ in $(seq 100); do
		state="$(ctl is-active "$u.service")/$(ctl show -p MainPID --value "$u.service")"
		[ "$state" = "active/${pid[$u]}" ] && break
		sleep 0.1
	done
	check "...$u still active, the same process ($state, was active/${pid[$u]})" test \
		"$state" = "active/${pid[$u]}"
	[ "$state" = "active/${pid[$u]}" ] || ns journalctl --no-pager -n 40 -u "$u.service" >&2
done
# the reload is the daemon's after systemctl returns (ExecReload only
# sends SIGHUP): its new ruleset comes once it has read the registry again
ok_eth1=
for _ in $(seq 300); do
	# the whole listing first: grep -q leaving early would break nft's
	# pipe, a failure under pipefail
	rules=$(nsenter --target "$PID1" --net -- nft list table inet byod 2>/dev/null)
	grep -q '"eth1\.' <<<"$rules" &&
		ok_eth1=1 && break
	sleep 0.1
done
check "...after systemctl reload byod-gatewayd, those of eth1" test -n "$ok_eth1"
if [ -z "$ok_eth1" ]; then
	nsenter --target "$PID1" --net -- nft list table inet byod >&2
	ns journalctl --no-pager -n 40 -u byod-gatewayd.service >&2
fi
for u in $units; do
	check "systemctl stop $u" ctl stop "$u.service"
	st=$(ctl is-active "$u.service")
	check "...$u inactive, not failed ($st)" test "$st" = inactive
	[ "$st" = inactive ] || ns journalctl --no-pager -n 30 -u "$u.service" >&2
done
ctl stop freeradius.service >/dev/null 2>&1
pid1_stop
check "the host's /tmp is untouched" test -f "$MARK"
echo "units: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
