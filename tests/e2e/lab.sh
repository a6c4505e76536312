# SPDX-License-Identifier: GPL-2.0-or-later
# The school lab the end-to-end scenarios run in, built from network
# namespaces and veth links. Sourced by tests/e2e/e2e.sh, which runs in a
# network namespace of its own (unshare -n): that namespace is the
# gateway, with FreeRADIUS + rlm_byod, byod-portal, byod-gatewayd, one
# hostapd (driver=wired) per 802.1X port, and the nftables ruleset.
#
#   pupil, teacher, visitor   each: o0 -- o-<who>  the onboarding port (open:
#   (client namespaces)             registration segment, the portal only)
#   pupil, teacher                  s0 -- s-<who>  the 802.1X port (hostapd;
#                                   only MACs the gateway admitted pass)
#   svc (the internet, the ENT      svc0 -- up0    the uplink
#   and a printer, the internet's
#   DNS, an app store and another
#   site)
#
# A school does the same with an open onboarding SSID beside its 802.1X
# SSID. The gateway runs dnsmasq with what byodctl dnsmasq config writes:
# the visitor takes its address from it with dhclient; the others have
# what DHCP would give in each segment. Named namespaces carry a per-run
# prefix and are deleted on every exit path.

LAB="e2e$$"
LAB_PIDS=()
HOSTAPD_PID_pupil= HOSTAPD_PID_teacher=
PORTAL_PID= GATEWAYD_PID=
WHO_ALL="pupil teacher visitor"
declare -A NUM=([pupil]=11 [teacher]=12 [visitor]=13)
declare -A MAC=([pupil]=02:00:00:00:e2:11 [teacher]=02:00:00:00:e2:12 [visitor]=02:00:00:00:e2:13)
declare -A DAS=([pupil]=3799 [teacher]=3800)
WEB=198.51.100.10 ENT=10.0.6.10 PRINTER=10.0.5.10 PORTAL=10.0.0.2
# a host of the walled garden's store.example, and a site not in it; the
# internet's DNS (in svc) gives their addresses
STORE=198.51.100.20 ELSEWHERE=198.51.100.30 UPSTREAM_DNS=10.0.0.10
PORTAL_URL="http://$PORTAL:8080"
PORTAL_METRICS=9101 GATEWAY_METRICS=9103

ns() { echo "$LAB-$1"; }
in_ns() { local who=$1; shift; ip netns exec "$(ns "$who")" "$@"; }

lab_down() {
	local p who
	for p in "${LAB_PIDS[@]}" $PORTAL_PID $GATEWAYD_PID $HOSTAPD_PID_pupil $HOSTAPD_PID_teacher; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	radius_stop
	for who in $WHO_ALL svc; do
		ip netns del "$(ns "$who")" 2>/dev/null
	done
	rm -rf "/etc/netns/$(ns visitor)"
}

lab_links() {
	local who n
	sysctl -qw net.ipv4.ip_forward=1
	ip addr add "$PORTAL/32" dev lo
	for who in $WHO_ALL svc; do
		ip netns add "$(ns "$who")" || { echo "ip netns add failed" >&2; exit 1; }
		in_ns "$who" ip link set lo up
	done
	for who in $WHO_ALL; do
		n=${NUM[$who]}
		ip link add "o-$who" type veth peer name o0 netns "$(ns "$who")"
		in_ns "$who" sh -e -c "ip link set o0 address 02:00:00:00:0e:$n; ip link set o0 up"
		ip link set "o-$who" up
		if [ "$who" = visitor ]; then
			# the registration segment's network on its port, as on a
			# VLAN interface: dnsmasq serves DHCP there (dhcp_client)
			ip addr add 10.10.0.1/22 dev o-visitor
			continue
		fi
		ip addr add 10.10.0.1/32 dev "o-$who"
		ip route add "10.10.0.$n/32" dev "o-$who"
		in_ns "$who" sh -e -c "
			ip addr add 10.10.0.$n/22 dev o0
			ip route add default via 10.10.0.1 dev o0"
	done
	for who in pupil teacher; do
		ip link add "s-$who" type veth peer name s0 netns "$(ns "$who")"
		ip link set "s-$who" up
		in_ns "$who" sh -e -c "ip link set s0 address ${MAC[$who]}; ip link set s0 up"
	done
	ip link add up0 type veth peer name svc0 netns "$(ns svc)"
	ip addr add 10.0.0.1/24 dev up0
	ip link set up0 up
	for n in 10.0.6.0/24 10.0.5.0/24 198.51.100.0/24; do ip route add "$n" via 10.0.0.10; done
	in_ns svc sh -e -c "
		ip addr add 10.0.0.10/24 dev svc0
		ip addr add $ENT/32 dev svc0
		ip addr add $PRINTER/32 dev svc0
		ip addr add $WEB/32 dev svc0
		ip addr add $STORE/32 dev svc0
		ip addr add $ELSEWHERE/32 dev svc0
		ip link set svc0 up
		for n in 10.10.0.0/22 10.20.0.0/16 10.30.0.0/20; do ip route add \$n via 10.0.0.1; done"
}

# addressed WHO SEGMENT: what DHCP would do once the station is in SEGMENT
# on its 802.1X port: an address there, the default route through it
addressed() {
	local who=$1 seg=$2 n=${NUM[$1]} net
	case $seg in
	pupils) net=10.20.0 pfx=16 ;;
	teachers) net=10.30.0 pfx=20 ;;
	*) echo "addressed: no segment $seg" >&2; return 1 ;;
	esac
	ip addr replace "$net.1/32" dev "s-$who"
	ip route replace "$net.$n/32" dev "s-$who"
	in_ns "$who" sh -e -c "
		ip addr flush dev s0
		ip addr add $net.$n/$pfx dev s0
		ip route replace default via $net.1 dev s0"
}

# onboarding WHO: back on the open port (the default route through it)
onboarding() { in_ns "$1" ip route replace default via 10.10.0.1 dev o0; }

lab_services() {
	cat >"$T/listen.py" <<'PY'
import socket, sys, threading
def serve(addr, port, name):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(name.encode() + b"\n")
        finally:
            c.close()
spec = sys.argv[1:]
for item in spec:
    addr, port, name = item.split(":")
    threading.Thread(target=serve, args=(addr, int(port), name), daemon=True).start()
threading.Event().wait()
PY
	# (ip netns exec, not the in_ns function: $! must be the listener itself)
	ip netns exec "$(ns svc)" python3 "$T/listen.py" "$WEB:80:web" "$WEB:443:web-tls" \
		"$ENT:443:ent" "$PRINTER:631:printer" "$STORE:443:store-tls" "$STORE:80:store" \
		"$ELSEWHERE:443:elsewhere-tls" "$ELSEWHERE:80:elsewhere" &
	LAB_PIDS+=($!)
	# the internet's DNS (another dnsmasq, answering for the two sites)
	ip netns exec "$(ns svc)" dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$UPSTREAM_DNS" --pid-file= \
		--address=/apps.store.example/"$STORE" --address=/elsewhere.example/"$ELSEWHERE" \
		--log-facility="$T/upstream-dns.log" &
	LAB_PIDS+=($!)
}

# start_dnsmasq: the gateway's dnsmasq with what byodctl dnsmasq config
# writes (the lab adds only its upstream server and private files)
start_dnsmasq() {
	"$BYODCTL" dnsmasq config --out "$T/dnsmasq.conf" || { echo "dnsmasq config failed" >&2; exit 1; }
	dnsmasq --test -C "$T/dnsmasq.conf" >/dev/null 2>&1 ||
		{ dnsmasq --test -C "$T/dnsmasq.conf" >&2; exit 1; }
	dnsmasq -k -C "$T/dnsmasq.conf" -u root --no-resolv --server="$UPSTREAM_DNS" \
		--dhcp-leasefile="$T/dnsmasq.leases" --pid-file= --log-facility="$T/dnsmasq.log" \
		--log-queries --log-dhcp &
	LAB_PIDS+=($!)
	wait_for 50 grep -qs 'DHCP, IP range 10.10.0.2' "$T/dnsmasq.log" ||
		{ cat "$T/dnsmasq.log" >&2; exit 1; }
}

# dhcp_client WHO: dhclient on WHO's onboarding port, asking for the
# captive portal's option (RFC 8910, code 114) too; its script configures
# the address and route it is given, writes the name server into the
# namespace's resolv.conf (ip netns exec mounts /etc/netns/NS/resolv.conf)
# and what it was told into $T/dhcp-WHO.env. 0 once bound within 15 s.
dhcp_client() {
	local who=$1
	cat >"$T/dhclient.conf" <<'EOC'
option captive-portal code 114 = text;
request subnet-mask, routers, domain-name-servers, captive-portal;
timeout 15;
EOC
	cat >"$T/dhclient-script" <<EOC
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
	ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface"
	ip route replace default via "\${new_routers%% *}" dev "\$interface"
	mkdir -p "/etc/netns/$(ns "$who")"
	for s in \$new_domain_name_servers; do echo "nameserver \$s"; done \
		>"/etc/netns/$(ns "$who")/resolv.conf"
	env | grep -E '^(reason|interface|new_)' >"$T/dhcp-$who.env.tmp"
	mv "$T/dhcp-$who.env.tmp" "$T/dhcp-$who.env"
	;;
esac
exit 0
EOC
	chmod 755 "$T/dhclient-script"
	ip netns exec "$(ns "$who")" dhclient -d -cf "$T/dhclient.conf" -lf "$T/dhclient-$who.leases" \
		-pf "$T/dhclient-$who.pid" -sf "$T/dhclient-script" o0 >"$T/dhclient-$who.log" 2>&1 &
	LAB_PIDS+=($!)
	wait_for 150 test -s "$T/dhcp-$who.env"
}

# dhcp_said WHO VAR: what WHO's DHCP server said (new_VAR)
dhcp_said() { sed -n "s/^new_$2=//p" "$T/dhcp-$1.env"; }

# reach WHO ADDR PORT: 0 when the service at ADDR:PORT answers WHO's
# namespace within 2 s (its name in $T/reach)
# The socket's own timeout bounds the network; the outer one only guards
# against a hung interpreter, with room for a slow start on a loaded machine
# (a probe killed before its SYN would pass a negative check for nothing).
reach() {
	in_ns "$1" timeout 10 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
sys.stdout.write(s.recv(64).decode())' "$2" "$3" >"$T/reach" 2>/dev/null
}

lab_config() {
	local conf="$BYOD_HOME/byod.conf"
	sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
	sed -i 's/^  links: .*/  links: "registration=o-pupil,registration=o-teacher,registration=o-visitor,pupils=s-pupil,teachers=s-teacher"/' "$conf"
	sed -i 's/^  admit-links: .*/  admit-links: "s-pupil,s-teacher"/' "$conf"
	sed -i "s/^  portal-address: .*/  portal-address: \"$PORTAL\"/" "$conf"
	sed -i "s/^  # secret: \"\"$/  secret: \"$SECRET\"/" "$conf"
	sed -i "s/^  nas: .*/  nas: \"127.0.0.11:${DAS[pupil]},127.0.0.12:${DAS[teacher]}\"/" "$conf"
	sed -i 's/^  timeout-ms: .*/  timeout-ms: 500/' "$conf"
	sed -i "s/^  listen: .*/  listen: \"$PORTAL\"/; s/^  http-port: .*/  http-port: 8080/" "$conf"
	sed -i "s|^  public-url: .*|  public-url: \"$PORTAL_URL\"|" "$conf"
	sed -i 's/^  ssid: .*/  ssid: "Calanques-BYOD"/' "$conf"
	grep -q "secret: \"$SECRET\"" "$conf" || { echo "das.secret not set" >&2; exit 1; }
	# /metrics of the portal and the gateway (the lab's own network
	# namespace: fixed ports are nobody else's); rlm_byod's through
	# byodctl metrics (HOME/radius-spool/stats.sock)
	sed -i "/^portal:/,/^[a-z]/ s|^  metrics-listen: .*|  metrics-listen: \"127.0.0.1:$PORTAL_METRICS\"|" "$conf"
	sed -i "/^gateway:/,/^[a-z]/ s|^  metrics-listen: .*|  metrics-listen: \"127.0.0.1:$GATEWAY_METRICS\"|" "$conf"
	[ "$(grep -c '^  metrics-listen: "127.0.0.1:' "$conf")" = 2 ] ||
		{ echo "metrics-listen not set" >&2; exit 1; }
}

start_portal() {
	"$BYOD_PORTAL" --home "$BYOD_HOME" 2>>"$T/portal.log" &
	PORTAL_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "$PORTAL_URL/api/captive" && return 0
		kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "the portal did not start" >&2
	exit 1
}

start_gatewayd() {
	"$BYOD_GATEWAYD" --home "$BYOD_HOME" --verbose 2>>"$T/gatewayd.log" &
	GATEWAYD_PID=$!
	wait_for 50 grep -q 'following the change feed' "$T/gatewayd.log" ||
		{ cat "$T/gatewayd.log" >&2; exit 1; }
}

start_hostapd() { # WHO: the 802.1X port s-WHO, its DAS on DAS[WHO]
	local who=$1 own=127.0.0.${NUM[$1]}
	"$BYODCTL" hostapd config --wired --interface "s-$who" --auth-port "$AUTH_PORT" \
		--acct-port "$ACCT_PORT" --das-port "${DAS[$who]}" --own-ip "$own" \
		--nas-id "ap-$who" --secret-file "$T/secret" --out "$T/hostapd-$who.conf" ||
		{ echo "hostapd config failed" >&2; exit 1; }
	sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/hctrl-$who|" "$T/hostapd-$who.conf"
	hostapd -d "$T/hostapd-$who.conf" >"$T/hostapd-$who.log" 2>&1 &
	eval "HOSTAPD_PID_$who=$!"
	wait_for 50 grep -q 'ENABLED' "$T/hostapd-$who.log" ||
		{ tail "$T/hostapd-$who.log" >&2; exit 1; }
}

# the station WHO as hostapd sees it
authorized() { hostapd_cli -p "$T/hctrl-$1" -i "s-$1" sta "${MAC[$1]}" 2>/dev/null | grep -q AUTHORIZED; }
sta_gone() { ! hostapd_cli -p "$T/hctrl-$1" -i "s-$1" sta "${MAC[$1]}" 2>/dev/null | grep -q "^${MAC[$1]}"; }
admitted_in() { # WHO SEGMENT
	nft list map inet byod admitted >"$T/map.txt" 2>&1
	grep -q "${MAC[$1]} : jump seg_$2" "$T/map.txt"
}
not_admitted() { nft list map inet byod admitted >"$T/map.txt" 2>&1; ! grep -q "${MAC[$1]}" "$T/map.txt"; }
quarantined() { nft list set inet byod quarantine_mac 2>/dev/null | grep -q "${MAC[$1]}"; }

# supplicant WHO P12 PASSPHRASE: wpa_supplicant -D wired on s0 with the
# PKCS#12 the portal gave (restarted when already running)
declare -A WPA_PID
supplicant() {
	local who=$1 p12=$2 pass=$3
	if [ -n "${WPA_PID[$who]:-}" ]; then
		kill "${WPA_PID[$who]}" 2>/dev/null
		wait "${WPA_PID[$who]}" 2>/dev/null
	fi
	# (see reauthenticate: hostapd's entry must be gone first)
	wait_for 80 sta_gone "$who" || ko "hostapd kept the $who's station entry"
	cat >"$T/wpa-$who.conf" <<EOC
ctrl_interface=$T/wctrl-$who
ap_scan=0
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="$who"
	ca_cert="$T/$who-ca.pem"
	private_key="$p12"
	private_key_passwd="$pass"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
	ip netns exec "$(ns "$who")" wpa_supplicant -D wired -i s0 -c "$T/wpa-$who.conf" \
		>>"$T/wpa-$who.log" 2>&1 &
	WPA_PID[$who]=$!
	LAB_PIDS+=($!)
}

# reauthenticate WHO: EAPOL-Start again (hostapd keeps a disconnected
# station's entry for 5 s and, with the wired driver, would deauthenticate
# a station that came back meanwhile: wait until it is gone)
reauthenticate() {
	wait_for 80 sta_gone "$1" || ko "hostapd kept the $1's station entry"
	wpa_cli -p "$T/wctrl-$1" -i s0 reauthenticate >/dev/null 2>&1
}

# ---- the portal over HTTP, from a client namespace ----
# preq WHO METHOD PATH [curl options]: status in $T/code, body in $T/b
preq() {
	local who=$1 method=$2 path=$3
	shift 3
	in_ns "$who" curl -s -m 10 -X "$method" -A "$UA" -b "$T/jar-$who" -c "$T/jar-$who" \
		-H 'Accept-Language: fr-FR,fr;q=0.9' -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" \
		"$PORTAL_URL$path" >"$T/code"
}
ppost() {
	local who=$1 path=$2 args=()
	shift 2
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	preq "$who" POST "$path" "${args[@]}"
}
code() { cat "$T/code"; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }

# portal_login WHO LOGIN PASSWORD
portal_login() {
	preq "$1" GET /
	ppost "$1" /login "csrf=$(csrf)" "login=$2" "password=$3"
	[ "$(code)" = 303 ]
}

# portal_enrol WHO NAME KIND [retire=ID]: enrols through the portal; the
# PKCS#12 in $T/WHO-NAME.p12, its passphrase in PASS, the school CA in
# $T/WHO-ca.pem
portal_enrol() {
	local who=$1 name=$2 kind=$3 link
	shift 3
	preq "$who" GET /enrol
	[ "$(code)" = 200 ] || return 1
	ppost "$who" /enrol "csrf=$(csrf)" "name=$name" "kind=$kind" charter=yes "$@"
	[ "$(code)" = 200 ] || return 1
	PASS=$(sed -n 's/.*<code id="passphrase">\([^<]*\)<.*/\1/p' "$T/b")
	link=$(sed -n 's/.*id="download"[^>]*href="\([^"]*\)".*/\1/p' "$T/b")
	preq "$who" GET "$link"
	[ "$(code)" = 200 ] || return 1
	cp "$T/b" "$T/$who-$name.p12"
	preq "$who" GET /ca.pem
	cp "$T/b" "$T/$who-ca.pem"
	[ -n "$PASS" ]
}
