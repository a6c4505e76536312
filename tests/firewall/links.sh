# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl firewall links / links apply: each segment's interface through
# rtnetlink, in a network namespace of the test's own (the whole script runs
# under unshare -n, so every link it makes disappears with it). Existing
# mode: veth pairs named in firewall.links are brought up, never addressed;
# a missing one is named with its segment and nothing changes; the state
# table shows each interface with its addresses and counters that grow
# with traffic. Vlan mode: refused clearly where the kernel has no 802.1Q,
# the sub-interfaces created and addressed where it has.
if [ -z "${BYOD_LINKS_NETNS:-}" ]; then
	BYOD_LINKS_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$BYOD_SRC/tests/cli/lib.sh"
init_school
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"

# field SEGMENT KEY: one field of `firewall links --json` (in $T/links.json)
field() {
	python3 -c '
import json, sys
d = {x["segment"]: x for x in json.load(open(sys.argv[1]))}
print(json.dumps(d[sys.argv[2]][sys.argv[3]]))' "$T/links.json" "$1" "$2"
}
links_json() { "$BYODCTL" firewall links --json >"$T/links.json" 2>"$T/links.err"; }
# the kernel's own view of a link, through ip(8)
is_up() {
	ip -j link show "$1" >"$T/ip.json" &&
		python3 -c 'import json,sys; sys.exit("UP" not in json.load(open(sys.argv[1]))[0]["flags"])' "$T/ip.json"
}
is_down() { ! is_up "$1"; }

segs="registration:veth-reg pupils:veth-pup teachers:veth-tea staff:veth-sta quarantine:veth-qua"
for p in $segs; do
	ip link add "${p#*:}" type veth peer name "${p#*:}-c" ||
		{ echo "cannot create ${p#*:} (run as root)" >&2; exit 1; }
done
sed -i 's/^  mode: vlan$/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=veth-reg,pupils=veth-pup,teachers=veth-tea,staff=veth-sta,quarantine=veth-qua"/' "$conf"

# before: the links exist but are down
expect_ok "links --json before apply" links_json
check "before apply: veth-pup is down" test "$(field pupils state)" = '"down"'
check "before apply: admin-up false" test "$(field pupils admin-up)" = false

expect_ok "links apply brings every existing link up" "$BYODCTL" firewall links apply
cp "$T/out" "$T/apply.out"
cp "$T/err" "$T/apply.err"
for p in $segs; do
	check "${p%%:*}: apply says it brought ${p#*:} up" grep -q "^${p%%:*}: brought ${p#*:} up$" "$T/apply.out"
	check "${p%%:*}: the kernel has ${p#*:} up" is_up "${p#*:}"
done
check "existing mode: a missing gateway address is a warning" \
	grep -q '^byodctl: warning: segment pupils: veth-pup has no gateway address 10.20.0.1/16' "$T/apply.err"
check "existing mode: no address added" sh -c "! ip -4 -o addr show dev veth-pup | grep -q inet"
check "existing mode: nothing created" sh -c "! ip -o link show | grep -q 'veth-pup\\.'"
expect_ok "links apply again" "$BYODCTL" firewall links apply
check "...changes nothing the second time" sh -c "! grep -q brought '$T/out' && grep -q '^pupils: veth-pup is up$' '$T/out'"

# a missing link: named with its segment, and nothing changed
ip link set veth-pup down
ip link del veth-sta
ip link del veth-qua
expect_fail "links apply with links missing" \
	'segment staff: interface veth-sta does not exist; segment quarantine: interface veth-qua does not exist' \
	"$BYODCTL" firewall links apply
check "...nothing changed (veth-pup still down)" is_down veth-pup
expect_ok "links --json with links missing" links_json
check "a missing link is reported absent" test "$(field staff state)" = '"absent"'
check "...with no ifindex" test "$(field staff ifindex)" = 0
ip link add veth-sta type veth peer name veth-sta-c
ip link add veth-qua type veth peer name veth-qua-c
expect_ok "links apply once they are back" "$BYODCTL" firewall links apply

# traffic through veth-pup: its peer in a namespace of its own, addresses on
# both ends (the administrator's in existing mode), UDP sent across
unshare -n sleep 120 &
peer=$!
for _ in $(seq 50); do
	[ "$(readlink /proc/$peer/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
ip link set veth-pup-c netns "$peer"
nsenter -t "$peer" -n ip addr add 10.20.0.2/16 dev veth-pup-c
nsenter -t "$peer" -n ip link set veth-pup-c up
ip addr add 10.20.0.1/16 dev veth-pup
ip addr add 10.20.0.9/16 dev veth-pup
sleep 1
expect_ok "links --json before traffic" links_json
cp "$T/links.json" "$T/before.json"
# 20 large datagrams out; the peer answers a few (rate-limited ICMP), so
# what goes out and what comes in differ
payload=$(head -c 1200 /dev/zero | tr '\0' x)
for _ in $(seq 20); do
	echo "$payload" >/dev/udp/10.20.0.2/9 2>/dev/null
	sleep 0.05
done
sleep 0.5
ip -s -j link show veth-pup >"$T/ip-before.json"
expect_ok "links --json after traffic" links_json
ip -s -j link show veth-pup >"$T/ip-after.json"
grown() { python3 -c '
import json, sys
a = {x["segment"]: x for x in json.load(open(sys.argv[1]))}["pupils"]
b = {x["segment"]: x for x in json.load(open(sys.argv[2]))}["pupils"]
sys.exit(0 if b[sys.argv[3]] > a[sys.argv[3]] else 1)' "$T/before.json" "$T/links.json" "$1"; }
for k in tx-packets tx-bytes rx-packets rx-bytes; do
	check "pupils: $k grows with traffic" grown "$k"
done
# byodctl's counters lie between two readings of the kernel's by ip(8)
between() { python3 -c '
import json, sys
lo = json.load(open(sys.argv[1]))[0]["stats64"][sys.argv[4]][sys.argv[5]]
hi = json.load(open(sys.argv[2]))[0]["stats64"][sys.argv[4]][sys.argv[5]]
v = {x["segment"]: x for x in json.load(open(sys.argv[3]))}["pupils"][sys.argv[6]]
sys.exit(0 if lo <= v <= hi else 1)' "$T/ip-before.json" "$T/ip-after.json" "$T/links.json" "$@"; }
for d in rx tx; do
	for k in packets bytes dropped; do
		check "pupils: $d-$k is the kernel's" between $d $k "$d-$k"
	done
done
check "pupils: veth-pup is up end to end" test "$(field pupils state)" = '"up"'
check "pupils: oper-up" test "$(field pupils oper-up)" = true
check "pupils: its interface" test "$(field pupils interface)" = '"veth-pup"'
check "pupils: both addresses listed" test "$(field pupils addresses)" = '["10.20.0.1/16", "10.20.0.9/16"]'
check "pupils: the gateway address is there" test "$(field pupils has-gateway)" = true
check "pupils: the MAC is the kernel's" test "$(field pupils mac)" = \
	"\"$(ip -j link show veth-pup | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')\""
check "pupils: the ifindex is the kernel's" test "$(field pupils ifindex)" = \
	"$(ip -j link show veth-pup | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')"
check "teachers: its own interface, no address" sh -c \
	"test '$(field teachers interface)' = '\"veth-tea\"' && test '$(field teachers addresses)' = '[]'"
expect_ok "links apply with the address present" "$BYODCTL" firewall links apply
check "...no warning for pupils once its gateway address is there" sh -c \
	"! grep -q 'segment pupils' '$T/err' && grep -q '^pupils: veth-pup has 10.20.0.1/16$' '$T/out'"
expect_ok "the table" "$BYODCTL" firewall links
check "the table: a line per segment with its interface and state" \
	grep -Eq '^pupils +veth-pup +up +10\.20\.0\.1/16,10\.20\.0\.9/16 +[1-9]' "$T/out"
kill "$peer"
wait "$peer" 2>/dev/null

# vlan mode, the uplink being a link that exists
sed -i 's/^  mode: existing$/  mode: vlan/' "$conf"
sed -i 's/^  uplink: .*/  uplink: "veth-tea"/' "$conf"
if ip link add link veth-tea name vprobe type vlan id 4000 2>/dev/null; then
	ip link del vprobe
	expect_ok "vlan mode: links apply creates the sub-interfaces" "$BYODCTL" firewall links apply
	check "...veth-tea.20 is vlan 20 on veth-tea" sh -c \
		"ip -d -j link show veth-tea.20 | grep -q '\"id\":20'"
	check "...with the gateway address" sh -c "ip -4 -o addr show dev veth-tea.20 | grep -q '10.20.0.1/16'"
	check "...up" is_up veth-tea.20
else
	expect_fail "vlan mode without 802.1Q in the kernel" \
		'cannot create veth-tea.10 \(vlan 10 on veth-tea\): .*no VLAN support.*firewall.mode existing' \
		"$BYODCTL" firewall links apply
	check "...and nothing made" sh -c "! ip -o link show | grep -q 'veth-tea\\.'"
fi
sed -i 's/^  uplink: .*/  uplink: "nosuch0"/' "$conf"
expect_fail "vlan mode: the uplink must exist" 'uplink nosuch0 does not exist' \
	"$BYODCTL" firewall links apply
sed -i 's/^  uplink: .*/  uplink: "averylonguplink"/' "$conf"
expect_fail "vlan mode: a sub-interface name over 15 characters" \
	'averylonguplink.10 is longer than 15 characters' "$BYODCTL" firewall links apply
expect_fail "...also for the state table" 'longer than 15 characters' "$BYODCTL" firewall links
expect_fail "links takes apply or --json" 'usage|firewall links' "$BYODCTL" firewall links bogus
finish
