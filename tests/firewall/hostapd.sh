# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl hostapd config, read by the real hostapd: the wired variant
# starts on a veth in a network namespace this test creates (gone with
# it), with its RFC 5176 DAS listening; the wireless variant, which needs
# radio hardware to start, must at least be read without a refused line.
. "$BYOD_SRC/tests/cli/lib.sh"
init_school
"$BYODCTL" policy apply "$BYOD_SRC/examples/policy.yaml" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  ssid: .*/  ssid: "Collège-BYOD"/; s/^  security: .*/  security: wpa3/' "$conf"
SECRET=abcd-efgh-ijkl-mnop-qrst
printf '%s\n' "$SECRET" >"$T/secret"

expect_ok "hostapd config (wired lab port)" "$BYODCTL" hostapd config --wired \
	--interface veth-ap --secret-file "$T/secret" --out "$T/wired.conf"
check "wired: driver=wired, 802.1X" sh -c "grep -q '^driver=wired$' '$T/wired.conf' && grep -q '^ieee8021x=1$' '$T/wired.conf'"
check "wired: no SSID and no WPA" sh -c "! grep -Eq '^(ssid2|wpa)=' '$T/wired.conf'"
check "the DAS with both protections" sh -c \
	"grep -q '^radius_das_client=127.0.0.1 $SECRET$' '$T/wired.conf' &&
	 grep -q '^radius_das_require_event_timestamp=1$' '$T/wired.conf' &&
	 grep -q '^radius_das_require_message_authenticator=1$' '$T/wired.conf'"
check "the file is private (it holds the secret)" test "$(stat -c %a "$T/wired.conf")" = 600

unshare -n bash -c '
	ip link set lo up
	ip link add veth-ap type veth peer name veth-sta
	ip link set veth-ap up
	ip link set veth-sta up
	sed -i "s|^ctrl_interface=.*|ctrl_interface=$1/ctrl|" "$1/wired.conf"
	hostapd -d "$1/wired.conf" >"$1/hostapd.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q "AP-ENABLED\|ENABLED" "$1/hostapd.log" && break
		sleep 0.1
	done
	ss -uln >"$1/ss.txt"
	kill "$pid"
	wait "$pid"
' _ "$T" 2>"$T/unshare.err"
check "hostapd (driver=wired) starts with it ($(tail -1 "$T/hostapd.log"))" grep -q 'ENABLED' "$T/hostapd.log"
check "...its DAS listens on 3799" grep -q ':3799 ' "$T/ss.txt"
check "...no line refused" sh -c "! grep -Eqi 'unknown configuration item|invalid|failed to set' '$T/hostapd.log'"

expect_ok "hostapd config (access point)" "$BYODCTL" hostapd config --interface wlan0 \
	--secret-file "$T/secret" --out "$T/ap.conf" --vlan-file "$T/byod.vlan"
check "WPA3-Enterprise with management frame protection" sh -c \
	"grep -q '^wpa_key_mgmt=WPA-EAP-SHA256$' '$T/ap.conf' && grep -q '^ieee80211w=2$' '$T/ap.conf'"
check "the SSID in hex, UTF-8" grep -q "^ssid2=$(printf '%s' 'Collège-BYOD' | od -An -tx1 | tr -d ' \n')$" "$T/ap.conf"
check "per-station VLANs from RADIUS" sh -c "grep -q '^dynamic_vlan=1$' '$T/ap.conf' && grep -q '^vlan_file=$T/byod.vlan$' '$T/ap.conf'"
check "the vlan_file lists every segment" sh -c \
	"for v in 10 20 30 40 99; do grep -q \"^\$v eth0.\$v\$\" '$T/byod.vlan' || exit 1; done"
check "ap_isolate for isolate-clients" grep -q '^ap_isolate=1$' "$T/ap.conf"
# hostapd reads the whole file before it touches the radio: a refused key
# or value would be reported line by line before the driver fails here
sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/ctrl2|" "$T/ap.conf"
timeout 10 hostapd -d "$T/ap.conf" >"$T/ap.log" 2>&1
check "hostapd reads the access point's file without refusing a line" sh -c \
	"grep -q 'nl80211\|driver' '$T/ap.log' && ! grep -Eqi '^Line [0-9]+:|unknown configuration item' '$T/ap.log'"

printf 'short\n' >"$T/bad"
expect_fail "a short secret is refused" "16 or more" "$BYODCTL" hostapd config --secret-file "$T/bad"
expect_fail "an interface name hostapd would misread" "not an interface name" \
	"$BYODCTL" hostapd config --interface 'wlan0 x' --secret-file "$T/secret"
expect_fail "no secret" "secret" "$BYODCTL" hostapd config
finish
