# SPDX-License-Identifier: GPL-2.0-or-later
# The ruleset byodctl firewall apply installs, checked with real packets: a
# gateway namespace routing one veth per segment of the example policy to a
# client namespace, and an uplink to a services namespace (the "Internet",
# the ENT, the printers, the admin applications), with the real byod-portal
# on the gateway. Each segment reaches exactly what the policy allows and
# is answered by whom it should; spoofed sources, other segments and the
# registration segment's HTTPS are dropped; its plain HTTP lands on the
# portal. Before the firewall is applied every connection the test expects
# to be dropped is made once and must succeed, so that each drop checked
# afterwards is the ruleset's doing and not the topology's.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
for tool in ip nft curl python3; do
	command -v "$tool" >/dev/null || { echo "firewall_traffic needs $tool" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "firewall_traffic must run as root (network namespaces)" >&2; exit 1; }

P="bt$$-" # every namespace of this run, so that parallel runs never collide
GW=${P}gw SVC=${P}svc
PIDS=()
cleanup() {
	local pid ns nss
	nss=$(ip netns list | awk -v p="$P" 'index($1, p) == 1 { print $1 }')
	# what this run started, and whatever else still lives in its namespaces
	for pid in "${PIDS[@]}" $(for ns in $nss; do ip netns pids "$ns"; done); do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in $nss; do
		ip netns delete "$ns"
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
PY=$(python3 -c 'import sys; print(sys.executable)') # not a pyenv shim per connection

init_school
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }

# segment name, namespace suffix, gateway address/prefix, client address
SEGMENTS="registration reg 10.10.0.1/22 10.10.0.10
pupils pup 10.20.0.1/16 10.20.0.10
teachers tea 10.30.0.1/20 10.30.0.10
staff sta 10.40.0.1/24 10.40.0.10
quarantine qua 10.99.0.1/24 10.99.0.10"

setup_ns() {
	local seg short gwa cli links=""

	ip netns add "$GW" && ip netns add "$SVC" || return 1
	in_ns "$GW" ip link set lo up
	in_ns "$GW" sysctl -qw net.ipv4.ip_forward=1
	# the spoofing check is about the ruleset, not the kernel's reverse-path filter
	in_ns "$GW" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	# the portal address lives on the gateway itself
	in_ns "$GW" ip addr add 10.0.0.2/32 dev lo
	while read -r seg short gwa cli; do
		ip netns add "$P$short" || return 1
		in_ns "$P$short" ip link set lo up
		# both ends are created inside the namespaces: nothing in the host's
		in_ns "$GW" ip link add "gw-$short" type veth peer name eth0 netns "$P$short" || return 1
		in_ns "$GW" ip addr add "$gwa" dev "gw-$short"
		in_ns "$GW" ip link set "gw-$short" up
		in_ns "$P$short" ip addr add "$cli/${gwa#*/}" dev eth0
		in_ns "$P$short" ip link set eth0 up
		in_ns "$P$short" ip route add default via "${gwa%/*}"
		links="$links${links:+,}$seg=gw-$short"
	done <<<"$SEGMENTS"
	in_ns "$SVC" ip link set lo up
	in_ns "$GW" ip link add gw-up type veth peer name eth0 netns "$SVC" || return 1
	in_ns "$GW" ip addr add 10.0.0.1/16 dev gw-up
	in_ns "$GW" ip link set gw-up up
	in_ns "$GW" ip route add 198.51.100.0/24 via 10.0.0.254
	in_ns "$SVC" ip addr add 10.0.0.254/16 dev eth0
	for a in 10.0.6.10 10.0.6.11 10.0.5.10 10.0.7.10; do
		in_ns "$SVC" ip addr add "$a/16" dev eth0
	done
	in_ns "$SVC" ip addr add 198.51.100.10/24 dev eth0
	in_ns "$SVC" ip link set eth0 up
	in_ns "$SVC" ip route add 10.0.0.0/8 via 10.0.0.1
	# a teachers' address on the pupils' client, with the gateway's way back
	# to it through the pupils' link: without the ruleset a connection from
	# it completes, so only the ruleset can make it fail
	in_ns "${P}pup" ip addr add 10.30.0.99/32 dev eth0
	in_ns "$GW" ip route add 10.30.0.99/32 dev gw-pup
	LINKS=$links
}
setup_ns || { echo "cannot build the namespaces" >&2; exit 1; }

# One listener process per namespace, binding every ADDR:PORT given; a
# connection is answered with one line, "NAME ADDR:PORT", and closed.
cat >"$T/listen.py" <<'EOF'
import selectors, socket, sys
name, sel = sys.argv[1], selectors.DefaultSelector()
for ap in sys.argv[2:]:
    a, p = ap.rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, int(p)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            a, p = c.getsockname()
            c.sendall(("%s %s:%d\n" % (name, a, p)).encode())
            c.close()
        except OSError:
            pass
EOF
# conn.py WHO ADDR PORT [SRC]: connects (from SRC), succeeds when WHO answers
# for ADDR:PORT; a drop is "timed out" on stderr
cat >"$T/conn.py" <<'EOF'
import socket, sys
who, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket()
s.settimeout(1.0)
if len(sys.argv) > 4:
    s.bind((sys.argv[4], 0))
try:
    s.connect((addr, port))
    line = s.makefile().readline().strip()
except socket.timeout:
    sys.exit("%s:%d: timed out (dropped)" % (addr, port))
except OSError as e:
    sys.exit("%s:%d: %s" % (addr, port, e))
if line != "%s %s:%d" % (who, addr, port):
    sys.exit("%s:%d: answered by '%s'" % (addr, port, line))
EOF

listen() { # NS NAME ADDR:PORT...
	local ns=$1
	shift
	# ip netns exec execs the program: $! is the listener itself
	ip netns exec "$ns" "$PY" "$T/listen.py" "$@" >"$T/listen.$ns" 2>&1 &
	PIDS+=($!)
}
listen "$SVC" svc 198.51.100.10:80 198.51.100.10:443 198.51.100.10:22 10.0.6.10:443 \
	10.0.6.11:443 10.0.5.10:631 10.0.5.10:9100 10.0.7.10:443 10.0.7.10:8443
listen "${P}tea" teachers 10.30.0.10:22 10.30.0.10:443

# the real portal, on the gateway at the policy's portal address
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  listen: .*/  listen: "10.0.0.2"/; s/^  http-port: .*/  http-port: 8080/' "$conf"
# HTTPS on 443, the port of the policy's portal service
sed -i 's/^  https-port: .*/  https-port: 443/' "$conf"
sed -i "s/^  mode: vlan/  mode: existing/; s/^  links: .*/  links: \"$LINKS\"/" "$conf"
sed -i 's/^  portal-address: .*/  portal-address: "10.0.0.2"/' "$conf"
ip netns exec "$GW" "$BYOD_PORTAL" --home "$BYOD_HOME" >>"$T/portal.log" 2>&1 &
PORTAL_PID=$!
PIDS+=($PORTAL_PID)
for _ in $(seq 100); do
	in_ns "$GW" curl -s -o /dev/null http://10.0.0.2:8080/ && break
	kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$T/portal.log" >&2; exit 1; }
	sleep 0.1
done
for ns in "$SVC" "${P}tea"; do
	for _ in $(seq 50); do grep -q ready "$T/listen.$ns" && break; sleep 0.1; done
	grep -q ready "$T/listen.$ns" || { cat "$T/listen.$ns" >&2; exit 1; }
done

reach() { # SEGMENT WHO ADDR PORT [SRC]
	local ns=$P$1
	shift
	in_ns "$ns" "$PY" "$T/conn.py" "$@"
}
# http_get SEGMENT URL [curl options]: status in $T/code, headers in $T/h
http_get() {
	local ns=$P$1 url=$2
	shift 2
	: >"$T/h"
	in_ns "$ns" curl -s -m 2 -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$url" >"$T/code"
}
hdr() { grep -i "^$1:" "$T/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
portal_https() { # SEGMENT: the portal's RFC 8908 API over HTTPS, as its redirect names it
	in_ns "$P$1" curl -sSf -m 2 -o /dev/null --cacert "$BYOD_HOME/pki/ca.pem" \
		--resolve portal.byod.lan:443:10.0.0.2 https://portal.byod.lan/api/captive
}
counter() { # CHAIN-OR-COUNTER [COMMENT]: packets of a named counter, or of a rule's counter
	if [ $# = 1 ]; then
		in_ns "$GW" nft -j list counter inet byod "$1" |
			json '[x["counter"]["packets"] for x in d["nftables"] if "counter" in x][0]'
	else
		in_ns "$GW" nft -j list chain inet byod "$1" | json "sum(e['counter']['packets']
			for x in d['nftables'] if 'rule' in x and x['rule'].get('comment') == '$2'
			for e in x['rule']['expr'] if 'counter' in e)"
	fi
}

# --- without the ruleset: every connection checked below goes through ---
check "no ruleset yet in the gateway namespace" \
	sh -c "! ip netns exec '$GW' nft list tables | grep -q byod"
expect_ok "open: pupils reach the printers" reach pup svc 10.0.5.10 631
expect_ok "open: pupils reach the admin apps" reach pup svc 10.0.7.10 443
expect_ok "open: pupils reach the web on port 22" reach pup svc 198.51.100.10 22
expect_ok "open: teachers reach the admin apps" reach tea svc 10.0.7.10 443
expect_ok "open: pupils reach a teacher's port 22" reach pup teachers 10.30.0.10 22
expect_ok "open: pupils reach a teacher's port 443" reach pup teachers 10.30.0.10 443
expect_ok "open: a teachers' address from the pupils' link connects" \
	reach pup svc 198.51.100.10 80 10.30.0.99
expect_ok "open: registration reaches HTTPS on the web" reach reg svc 198.51.100.10 443
expect_ok "open: registration reaches the ENT" reach reg svc 10.0.6.10 443
expect_ok "open: quarantine reaches HTTPS on the web" reach qua svc 198.51.100.10 443
expect_ok "open: pupils reach the portal" in_ns "${P}pup" curl -sSf -m 2 -o /dev/null \
	http://10.0.0.2:8080/
expect_ok "open: registration's plain HTTP goes to the web" reach reg svc 198.51.100.10 80

# --- the ruleset ---
expect_ok "byodctl firewall apply in the gateway namespace" in_ns "$GW" "$BYODCTL" firewall apply
check "the table is in the kernel" in_ns "$GW" nft list table inet byod
check "seg_pupils counts nothing yet" test "$(counter seg_pupils)" = 0

# pupils: the web and the ENT, nothing else
expect_ok "pupils reach the web (80)" reach pup svc 198.51.100.10 80
expect_ok "pupils reach the web (443)" reach pup svc 198.51.100.10 443
expect_ok "pupils reach the ENT (10.0.6.10)" reach pup svc 10.0.6.10 443
expect_ok "pupils reach the ENT (10.0.6.11)" reach pup svc 10.0.6.11 443
expect_fail "pupils do not reach the printers (631)" "timed out" reach pup svc 10.0.5.10 631
expect_fail "pupils do not reach the admin apps (10.0.7.10:443)" "timed out" \
	reach pup svc 10.0.7.10 443
expect_fail "pupils do not reach the web on another port (22)" "timed out" \
	reach pup svc 198.51.100.10 22
expect_fail "pupils do not reach the gateway's portal" "timed out" \
	in_ns "${P}pup" curl -sS -m 1 -o /dev/null http://10.0.0.2:8080/

# teachers and staff
expect_ok "teachers reach the printers (631)" reach tea svc 10.0.5.10 631
expect_ok "teachers reach the printers (9100)" reach tea svc 10.0.5.10 9100
expect_fail "teachers do not reach the admin apps (10.0.7.10:443)" "timed out" \
	reach tea svc 10.0.7.10 443
expect_ok "staff reach the admin apps (443)" reach sta svc 10.0.7.10 443
expect_ok "staff reach the admin apps (8443)" reach sta svc 10.0.7.10 8443
expect_ok "staff reach the printers" reach sta svc 10.0.5.10 9100

# between segments
expect_fail "pupils do not reach a teacher's device (22)" "timed out" \
	reach pup teachers 10.30.0.10 22
expect_fail "pupils do not reach a teacher's device on a web port (443)" "timed out" \
	reach pup teachers 10.30.0.10 443

# spoofed sources
check "nothing spoofed counted yet" test "$(counter seg_pupils spoofed)" = 0
expect_fail "a teachers' source address on the pupils' link is dropped" "timed out" \
	reach pup svc 198.51.100.10 80 10.30.0.99
check "...counted by the pupils' \"spoofed\" rule" test "$(counter seg_pupils spoofed)" -gt 0
expect_ok "...while the pupil's own address is let through" reach pup svc 198.51.100.10 80
check "the pupils' segment counter grew" test "$(counter seg_pupils)" -gt 0

# the walled garden
http_get reg http://198.51.100.10/
check "registration: plain HTTP to the web is answered by the portal (302, got $(cat "$T/code"))" \
	test "$(cat "$T/code")" = 302
# (over plain HTTP: the portal's certificate is the school CA's, which a
# new phone does not trust)
check "...sending the device to the portal ($(hdr Location))" \
	test "$(hdr Location)" = "http://portal.byod.lan:8080/"
check "...with the portal's text (French: no Accept-Language)" grep -q "vous connecter d’abord" "$T/b"
expect_ok "registration reaches the portal's HTTP directly" in_ns "${P}reg" curl -sSf -m 2 \
	-o /dev/null http://10.0.0.2:8080/api/captive
expect_ok "registration reaches the portal where the redirect sends it" in_ns "${P}reg" \
	curl -sSf -m 2 -o /dev/null --resolve portal.byod.lan:8080:10.0.0.2 http://portal.byod.lan:8080/
expect_ok "registration reaches the portal's HTTPS (school CA)" \
	portal_https reg
expect_fail "registration: HTTPS to the web is dropped" "timed out" \
	reach reg svc 198.51.100.10 443
expect_fail "registration: the ENT is dropped" "timed out" reach reg svc 10.0.6.10 443
check "the registration segment counter grew" test "$(counter seg_registration)" -gt 0
expect_ok "quarantine reaches the portal (its policy allows it)" portal_https qua
expect_fail "quarantine: HTTPS to the web is dropped" "timed out" \
	reach qua svc 198.51.100.10 443

# a flush opens the gateway; the next apply closes it again
expect_ok "nft flush ruleset" in_ns "$GW" nft flush ruleset
expect_ok "flushed: pupils reach the printers" reach pup svc 10.0.5.10 631
expect_ok "byodctl firewall apply after the flush" in_ns "$GW" "$BYODCTL" firewall apply
expect_fail "re-applied: pupils no longer reach the printers" "timed out" \
	reach pup svc 10.0.5.10 631
expect_ok "re-applied: pupils still reach the web" reach pup svc 198.51.100.10 443

check "the portal is still running" kill -0 "$PORTAL_PID"
if [ "$failed" -gt 0 ]; then
	echo "--- ruleset in the gateway namespace ---" >&2
	in_ns "$GW" nft list ruleset >&2
fi
finish
