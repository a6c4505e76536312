# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl dnsmasq config: the gateway's dnsmasq.conf from the example
# policy, read by dnsmasq itself (--test), in vlan and existing mode; a
# walled garden its segment cannot fill refused. dnsmasq serving it for
# real (DHCP with option 114, the walled garden through the ruleset) is in
# tests/e2e/e2e.sh.
. "$BYOD_SRC/tests/cli/lib.sh"
init_school
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"

expect_ok "dnsmasq config" "$BYODCTL" dnsmasq config --out "$T/dnsmasq.conf"
check "dnsmasq reads it ($(dnsmasq --test -C "$T/dnsmasq.conf" 2>&1 | tr '\n' ' '))" \
	dnsmasq --test -C "$T/dnsmasq.conf"
check "one DHCP range per segment" test "$(grep -c '^dhcp-range=set:' "$T/dnsmasq.conf")" = 5
check "...from its subnet, the gateway outside it" \
	grep -qx 'dhcp-range=set:pupils,10.20.0.2,10.20.255.254,255.255.0.0,12h' "$T/dnsmasq.conf"
check "...the segment's gateway its router and DNS server" sh -c \
	"grep -qx 'dhcp-option=tag:teachers,option:router,10.30.0.1' '$T/dnsmasq.conf' &&
	 grep -qx 'dhcp-option=tag:teachers,option:dns-server,10.30.0.1' '$T/dnsmasq.conf'"
check "vlan mode: the uplink's sub-interfaces" grep -qx 'interface=eth0.10' "$T/dnsmasq.conf"
# (the portal's certificate is the school CA's, which a new phone does not
# trust: the portal is on HTTP, and so is the URL option 114 names)
check "option 114 on the registration segment only, the portal's RFC 8908 API" sh -c \
	"[ \$(grep -c ',114,' '$T/dnsmasq.conf') = 1 ] &&
	 grep -qx 'dhcp-option=tag:registration,114,\"http://portal.byod.lan:8080/api/captive\"' '$T/dnsmasq.conf'"
check "the portal's name answered with its address" \
	grep -qx 'host-record=portal.byod.lan,10.0.0.2' "$T/dnsmasq.conf"
check "each walled-garden name fills the firewall's sets" sh -c \
	"[ \$(grep -c '^nftset=/' '$T/dnsmasq.conf') = 11 ] &&
	 grep -qx 'nftset=/gvt1.com/4#inet#byod#walled_garden_ip4,6#inet#byod#walled_garden_ip6' '$T/dnsmasq.conf'"
check "...sets the ruleset declares" sh -c \
	"'$BYODCTL' firewall show | grep -q 'set walled_garden_ip4 {' &&
	 '$BYODCTL' firewall show | grep -q 'set walled_garden_ip6 {'"
# no URL, no DNS name a pupil asked for is written anywhere: dnsmasq logs
# no query and no DHCP chatter (a device's own name), and the ruleset logs
# nothing per packet or destination
check "no query log (log-queries), no DHCP detail (log-dhcp), no log file" sh -c \
	"! grep -Eq '^[[:space:]]*(log-queries|log-dhcp|log-facility|log-debug|log-async)' '$T/dnsmasq.conf'"
check "...DHCP's routine lines kept out of syslog" sh -c \
	"grep -qx quiet-dhcp '$T/dnsmasq.conf' && grep -qx quiet-dhcp6 '$T/dnsmasq.conf' &&
	 grep -qx quiet-ra '$T/dnsmasq.conf'"
check "...which dnsmasq takes as such (--test)" sh -c \
	"dnsmasq --test -C '$T/dnsmasq.conf' 2>&1 | grep -q 'syntax check OK'"
"$BYODCTL" firewall show >"$T/ruleset.nft" || ko "firewall show"
check "the ruleset has rules" grep -q 'chain ' "$T/ruleset.nft"
check "...and no log statement, no counter per address" sh -c \
	"! grep -Eqw 'log|nflog|meter' '$T/ruleset.nft'"
# dnsmasq itself, serving that file on a loopback port of the test's (its
# upstream an unused loopback address): names asked reach no log. The same
# run with --log-queries added shows that the log would have them.
dns_query() { # PORT NAME: one A query over UDP, the answer's size (or "none")
	python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, ("127.0.0.1", port))
try:
    print(len(s.recv(512)))
except OSError:
    print("none")
PY
}
serve_dns() { # LOG [dnsmasq options]: dnsmasq on the file, two names asked, stopped
	local log=$1 port dhcp_s dhcp_c pid
	shift
	# free UDP ports: DNS, and DHCP's server and client ports (not 67 and
	# 68, which another dnsmasq on this machine may hold)
	read -r port dhcp_s dhcp_c <<<"$(python3 -c 'import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
	dnsmasq -k -C "$T/dnsmasq.conf" -u root --port="$port" --listen-address=127.0.0.1 \
		--dhcp-alternate-port="$dhcp_s,$dhcp_c" --no-resolv --server=127.0.0.9 \
		--dhcp-leasefile="$T/dnsmasq.leases" --pid-file= --log-facility="$log" "$@" \
		2>>"$T/dnsmasq.err" &
	pid=$!
	wait_for 50 grep -qs 'started, version' "$log" || { kill "$pid"; return 1; }
	dns_query "$port" portal.byod.lan >"$log.answer"
	dns_query "$port" pupil-secret-name.example >/dev/null
	kill "$pid"
	wait "$pid" 2>/dev/null
	return 0
}
check "dnsmasq serves the file" serve_dns "$T/dns.log"
check "...and answers the portal's name" sh -c "[ \"\$(cat '$T/dns.log.answer')\" != none ]"
check "...no name asked in its log" sh -c "! grep -q 'pupil-secret-name\\|portal.byod.lan' '$T/dns.log'"
check "the same with --log-queries added" serve_dns "$T/dns-queries.log" --log-queries
check "...logs the names asked: the check above would see them" \
	grep -q 'query\[A\] pupil-secret-name.example' "$T/dns-queries.log"
expect_ok "to standard output" "$BYODCTL" dnsmasq config
check "...the same file" cmp -s "$T/out" "$T/dnsmasq.conf"

# existing mode, several onboarding ports; the public URL's host is named too
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=o-pupil,registration=o-visitor,pupils=s-pupil,teachers=s-teacher,staff=veth-sta,quarantine=veth-qua"/' "$conf"
sed -i 's|^  public-url: .*|  public-url: "http://wifi.college.example:8080/"|' "$conf"
expect_ok "dnsmasq config, existing mode" "$BYODCTL" dnsmasq config --out "$T/existing.conf"
check "dnsmasq reads it" dnsmasq --test -C "$T/existing.conf"
check "...every onboarding port" sh -c \
	"grep -qx 'interface=o-pupil' '$T/existing.conf' && grep -qx 'interface=o-visitor' '$T/existing.conf' &&
	 ! grep -q 'eth0' '$T/existing.conf'"
check "...the API at the public URL" \
	grep -qx 'dhcp-option=tag:registration,114,"http://wifi.college.example:8080/api/captive"' "$T/existing.conf"
check "...whose host resolves to the portal too" \
	grep -qx 'host-record=wifi.college.example,10.0.0.2' "$T/existing.conf"
sed -i 's|^  public-url: .*|  public-url: "http://wifi.college.example/a,b"|' "$conf"
expect_fail "a URL dnsmasq would split" "option 114" "$BYODCTL" dnsmasq config
sed -i 's|^  public-url: .*|  public-url: ""|' "$conf"

# a walled garden the registration segment cannot fill
sed "s/allow: \[portal, dns, dhcp\]        # the portal, and/allow: [portal, dhcp]  # the portal, and/" \
	"$BYOD_SRC/examples/policy.yaml" >"$T/nodns.yaml"
"$BYODCTL" policy apply "$T/nodns.yaml" >/dev/null || ko "policy apply (no dns)"
expect_fail "a walled garden without the gateway's DNS" "add dns to its allow list" \
	"$BYODCTL" dnsmasq config
expect_fail "dnsmasq takes config" "dnsmasq takes: config" "$BYODCTL" dnsmasq show
finish
