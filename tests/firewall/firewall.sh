# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl firewall show / check / apply: the ruleset rendered from the
# example policy, checked by libnftables, applied inside a network
# namespace this test creates (unshare -n: loopback only, gone with the
# process) and read back with the nft program; rebuilt after a flush;
# bad configuration refused with a clear message.
. "$BYOD_SRC/tests/cli/lib.sh"
init_school
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }

expect_ok "firewall show" "$BYODCTL" firewall show
cp "$T/out" "$T/ruleset.nft"
check "one table owned by the gateway, replaced in one transaction" \
	sh -c "grep -q '^add table inet byod$' '$T/ruleset.nft' && grep -q '^delete table inet byod$' '$T/ruleset.nft'"
for seg in registration pupils teachers staff quarantine; do
	check "a chain and a counter for $seg" sh -c \
		"grep -q '^	chain seg_$seg {' '$T/ruleset.nft' && grep -q '^	counter seg_$seg {' '$T/ruleset.nft'"
done
check "vlan mode: sub-interfaces of the uplink" grep -q '"eth0.20" : jump seg_pupils' "$T/ruleset.nft"
check "between segments: dropped by default" grep -q 'type filter hook forward priority filter; policy drop;' "$T/ruleset.nft"
check "source addresses checked per segment" grep -q 'ip saddr != 10.20.0.0/16 counter drop' "$T/ruleset.nft"
check "pupils reach the web and the ENT, not the printers" sh -c \
	"sed -n '/chain seg_pupils/,/^	}/p' '$T/ruleset.nft' >'$T/pupils' &&
	 grep -q 'ip daddr 0.0.0.0/0 tcp dport { 80, 443 } accept' '$T/pupils' &&
	 grep -q 'ip daddr 10.0.6.10 tcp dport { 443 } accept' '$T/pupils' &&
	 ! grep -q '10.0.5.0/24 tcp dport' '$T/pupils'"
check "the web (0.0.0.0/0) is the internet: other segments and named services dropped before it" sh -c \
	"grep -n 'drop comment \"claimed' '$T/pupils' | grep -q '10.30.0.0/20.*10.0.5.0/24.*10.0.7.0/24' &&
	 [ \$(grep -n 'claimed' '$T/pupils' | cut -d: -f1) -lt \$(grep -n 'accept comment \"web\"' '$T/pupils' | cut -d: -f1) ]"
check "teachers reach the printers" sh -c \
	"sed -n '/chain seg_teachers/,/^	}/p' '$T/ruleset.nft' | grep -q 'ip daddr 10.0.5.0/24 tcp dport { 631, 9100 } accept'"
check "registration: HTTP redirected to the portal" \
	grep -q 'iifname "eth0.10" tcp dport 80 ip daddr != 10.0.0.2 dnat ip to 10.0.0.2:8080' "$T/ruleset.nft"
check "isolate-clients keeps pupils apart" grep -q 'oifname "eth0.20" drop' "$T/ruleset.nft"
check "quarantine in sets, not rules" sh -c \
	"grep -q 'set quarantine_mac' '$T/ruleset.nft' && grep -q 'ether saddr @quarantine_mac counter drop' '$T/ruleset.nft'"
check "IPv6 only where the segment has a subnet6" sh -c \
	"sed -n '/chain seg_staff/,/^	}/p' '$T/ruleset.nft' | grep -q 'ip6 saddr != fd00:40::/64'"
check "the walled garden: two sets dnsmasq fills, with timeouts" sh -c \
	"grep -A3 '^	set walled_garden_ip4 {' '$T/ruleset.nft' | grep -q 'flags timeout' &&
	 grep -A3 '^	set walled_garden_ip6 {' '$T/ruleset.nft' | grep -q 'type ipv6_addr'"
check "...reached from registration on 80 and 443, after the claimed drop" sh -c \
	"sed -n '/chain seg_registration/,/^	}/p' '$T/ruleset.nft' >'$T/reg' &&
	 [ \$(grep -n 'claimed' '$T/reg' | cut -d: -f1) -lt \$(grep -n 'ip daddr @walled_garden_ip4 tcp dport { 80, 443 } accept' '$T/reg' | cut -d: -f1) ]"
check "...and its HTTP not redirected to the portal" \
	grep -q 'iifname "eth0.10" ip daddr @walled_garden_ip4 tcp dport 80 accept' "$T/ruleset.nft"
check "...from registration only" sh -c \
	"[ \$(grep -c '@walled_garden_ip4 tcp dport { 80, 443 }' '$T/ruleset.nft') = 1 ]"

expect_ok "firewall check (libnftables, dry run)" "$BYODCTL" firewall check

# existing mode: interfaces named in the configuration
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  mode: vlan/  mode: existing/' "$conf"
sed -i 's/^  links: .*/  links: "registration=br-reg,pupils=veth-pup,teachers=veth-tea,staff=veth-sta,quarantine=veth-qua"/' "$conf"
expect_ok "existing mode" "$BYODCTL" firewall show
check "...uses the named interfaces" grep -q '"veth-pup" : jump seg_pupils' "$T/out"
sed -i 's/^  links: .*/  links: "registration=br-reg,pupils"/' "$conf"
expect_fail "malformed firewall.links" "firewall.links" "$BYODCTL" firewall show
sed -i 's/^  links: .*/  links: "registration=bad;name,pupils=veth-pup"/' "$conf"
expect_fail "an interface name nft would misread" "not an interface name" "$BYODCTL" firewall show
sed -i 's/^  links: .*/  links: "registration=veth-reg,pupils=veth-pup,teachers=veth-tea,staff=veth-sta,quarantine=veth-qua"/' "$conf"
sed -i 's/^  portal-address: .*/  portal-address: "portal.example"/' "$conf"
expect_fail "a portal address that is not IPv4" "not IPv4" "$BYODCTL" firewall show
sed -i 's/^  portal-address: .*/  portal-address: "10.0.0.3"/' "$conf"
# a school the registry does not know: one sentence, from byodctl and the daemon
sed -i 's/^  school: .*/  school: "0139999Z"/' "$conf"
expect_fail "gateway.school not in the registry" "^byodctl: school 0139999Z \(gateway.school\) is not in the registry$" \
	"$BYODCTL" firewall show
sed -i 's/^  school: .*/  school: ""/' "$conf"
if [ -n "${BYOD_GATEWAYD:-}" ]; then
	expect_fail "byod-gatewayd --school with a UAI the registry does not know" \
		"cannot start: school 0139999Z is not in the registry$" \
		"$BYOD_GATEWAYD" --dry-run --once --school 0139999Z
	check "...in one line" test "$(wc -l <"$T/err")" = 1
	expect_ok "byod-gatewayd --school with the school's UAI (dry run)" \
		"$BYOD_GATEWAYD" --dry-run --once --school 0131234W
	check "...says which school it follows" grep -q "following school 0131234W" "$T/err"
fi

# the devices' state from the registry goes with the ruleset: an apply
# while byod-gatewayd runs keeps the quarantine
"$BYODCTL" user add qa.pupil --role student --school 0131234W >/dev/null
"$BYODCTL" device enrol qa.pupil --name lost-phone --kind phone --mac 02:00:00:00:0a:99 \
	--out "$T/dev" --json >"$T/dev.json" || ko "device enrol"
"$BYODCTL" device revoke "$(json 'd["device"]' <"$T/dev.json")" --reason lost >/dev/null
expect_ok "firewall show after a revocation" "$BYODCTL" firewall show
check "...the revoked device's MAC is in the quarantine set" \
	grep -q 'elements = { 02:00:00:00:0a:99 }' "$T/out"

# applied in a namespace of our own, read back with nft, rebuilt after a flush
unshare -n bash -c '
	set -e
	"$1" firewall apply >/dev/null
	nft -j list table inet byod >"$2/applied.json"
	nft add element inet byod walled_garden_ip4 { 198.51.100.7 }
	nft list set inet byod walled_garden_ip4 >"$2/wg.txt"
	nft flush ruleset
	nft -j list tables >"$2/flushed.json"
	"$1" firewall apply >/dev/null
	nft -j list table inet byod >"$2/rebuilt.json"
' _ "$BYODCTL" "$T" 2>"$T/unshare.err"
check "applied in a fresh namespace ($(cat "$T/unshare.err"))" test -s "$T/applied.json"
chains() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["nftables"]
print(" ".join(sorted(x["chain"]["name"] for x in d if "chain" in x)))' "$1"; }
check "every chain is in the kernel" test "$(chains "$T/applied.json")" = \
	"forward in_pupils in_quarantine in_registration in_staff in_teachers input prerouting seg_pupils seg_quarantine seg_registration seg_staff seg_teachers"
check "the configured portal address is the DNAT target" grep -q '"10.0.0.3"' "$T/applied.json"
check "the quarantine is in the kernel" grep -q '"02:00:00:00:0a:99"' "$T/applied.json"
check "an address added as dnsmasq does expires within the hour" \
	grep -Eq 'elements = \{ 198.51.100.7 expires (59m|1h)' "$T/wg.txt"
check "a flush empties the namespace" sh -c "! grep -q byod '$T/flushed.json'"
check "the next apply rebuilds it" test "$(chains "$T/rebuilt.json")" = "$(chains "$T/applied.json")"
finish
