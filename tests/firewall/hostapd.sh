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
# Passpoint: what the profile's HomeSP FQDN and realm are (radius.server-name
# radius.byod.lan by default: the domain byod.lan), announced over ANQP
check "Passpoint announced: interworking and Hotspot 2.0" sh -c \
	"grep -q '^interworking=1$' '$T/ap.conf' && grep -q '^hs20=1$' '$T/ap.conf'"
check "...the profile's domain, and its realm with EAP-TLS and a certificate" sh -c \
	"grep -q '^domain_name=byod.lan$' '$T/ap.conf' && grep -q '^nai_realm=0,byod.lan,13\[5:6\]$' '$T/ap.conf'"
check "...on the school network, before any onboarding BSS" sh -c \
	"awk '/^bss=/{exit} /^hs20=1$/{f=1} END{exit !f}' '$T/ap.conf'"
# hostapd reads the whole file before it touches the radio: a refused key
# or value would be reported line by line before the driver fails here
sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/ctrl2|" "$T/ap.conf"
timeout 10 hostapd -d "$T/ap.conf" >"$T/ap.log" 2>&1
check "hostapd reads the access point's file without refusing a line" sh -c \
	"grep -q 'nl80211\|driver' '$T/ap.log' && ! grep -Eqi '^Line [0-9]+:|unknown configuration item' '$T/ap.log'"

# The onboarding SSID in OWE transition mode (wifi.onboarding-security's
# default): the open BSS and the hidden OWE BSS, each pointing at the other
sed -i 's/^  onboarding-ssid: .*/  onboarding-ssid: "Collège-Invités"/' "$conf"
expect_ok "hostapd config with the onboarding SSID (OWE transition)" "$BYODCTL" hostapd config \
	--interface wlan0 --secret-file "$T/secret" --out "$T/owe.conf" --vlan-file "$T/byod.vlan"
# bss_of IFNAME: the lines of that bss= section
bss_of() { awk -v b="bss=$1" '/^bss=/ { on = ($0 == b) } on' "$T/owe.conf"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
bss_of wlan0-onb >"$T/onb.bss"
bss_of wlan0-owe >"$T/owe.bss"
check "two onboarding BSSes after the school network's, in this order" \
	diff <(grep '^bss=' "$T/owe.conf") <(printf 'bss=wlan0-onb\nbss=wlan0-owe\n')
check "the school network is untouched (WPA3-Enterprise, first)" sh -c \
	"sed '/^bss=/,\$d' '$T/owe.conf' | grep -q '^wpa_key_mgmt=WPA-EAP-SHA256$'"
check "open BSS: the onboarding SSID, no WPA, no 802.1X, announcing the OWE BSS" sh -c \
	"grep -qx 'ssid2=$(hex 'Collège-Invités')' '$T/onb.bss' &&
	 ! grep -Eq '^(wpa|wpa_key_mgmt|ieee8021x|ignore_broadcast_ssid)=' '$T/onb.bss' &&
	 grep -qx 'owe_transition_ifname=wlan0-owe' '$T/onb.bss'"
check "OWE BSS: hidden, wpa_key_mgmt=OWE, CCMP, PMF required, pointing back" sh -c \
	"grep -qx 'ssid2=$(hex 'Collège-Invités-OWE')' '$T/owe.bss' &&
	 grep -qx 'ignore_broadcast_ssid=1' '$T/owe.bss' && grep -qx 'wpa=2' '$T/owe.bss' &&
	 grep -qx 'wpa_key_mgmt=OWE' '$T/owe.bss' && grep -qx 'rsn_pairwise=CCMP' '$T/owe.bss' &&
	 grep -qx 'ieee80211w=2' '$T/owe.bss' && grep -qx 'owe_transition_ifname=wlan0-onb' '$T/owe.bss'"
check "both onboarding BSSes isolate their stations" sh -c \
	"grep -qx 'ap_isolate=1' '$T/onb.bss' && grep -qx 'ap_isolate=1' '$T/owe.bss'"
check "no RADIUS secret in the onboarding BSSes" sh -c \
	"! grep -q '$SECRET' '$T/onb.bss' '$T/owe.bss'"
# hostapd 2.10 reads the whole file, every bss= section included, before it
# initialises the driver, and stops at the end of the file when a line was
# refused ("Line N: ...", "N errors found"): reaching the nl80211 driver,
# with three BSSes configured, means every line was taken. First shown on a
# copy with two bad lines at its end, so that this check can fail.
sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/ctrl3|" "$T/owe.conf"
cp "$T/owe.conf" "$T/owe-bad.conf"
printf 'owe_transition_bssid=zz\nno_such_item=1\n' >>"$T/owe-bad.conf"
n=$(wc -l <"$T/owe.conf")
timeout 10 hostapd -d "$T/owe-bad.conf" >"$T/owe-bad.log" 2>&1
check "hostapd reports the last lines' errors and never reaches the driver" sh -c \
	"grep -q '^Line $((n + 1)): invalid owe_transition_bssid' '$T/owe-bad.log' &&
	 grep -q '^Line $((n + 2)): unknown configuration item .no_such_item.' '$T/owe-bad.log' &&
	 grep -q '2 errors found' '$T/owe-bad.log' && ! grep -q nl80211 '$T/owe-bad.log'"
timeout 10 hostapd -d "$T/owe.conf" >"$T/owe.log" 2>&1
check "hostapd reads the OWE transition file without refusing a line ($(grep -m1 -E '^Line [0-9]+:|errors found' "$T/owe.log"))" \
	sh -c "! grep -Eq '^Line [0-9]+:|errors found|unknown configuration item' '$T/owe.log'"
check "...then goes on to the driver with the three BSSes" sh -c \
	"grep -q 'nl80211' '$T/owe.log' && grep -q 'num_bss=3' '$T/owe.log'"

# open only: one onboarding BSS, no OWE
sed -i 's/^  onboarding-security: .*/  onboarding-security: open/' "$conf"
expect_ok "hostapd config with an open onboarding SSID" "$BYODCTL" hostapd config \
	--interface wlan0 --secret-file "$T/secret" --out "$T/open.conf" --vlan-file "$T/byod.vlan"
check "open: one onboarding BSS, no OWE" sh -c \
	"[ \"\$(grep -c '^bss=' '$T/open.conf')\" = 1 ] && grep -qx 'bss=wlan0-onb' '$T/open.conf' &&
	 ! grep -q 'OWE\|owe_' '$T/open.conf'"
sed -i "s|^ctrl_interface=.*|ctrl_interface=$T/ctrl4|" "$T/open.conf"
timeout 10 hostapd -d "$T/open.conf" >"$T/open.log" 2>&1
check "hostapd reads the open onboarding file without refusing a line" sh -c \
	"grep -q 'nl80211' '$T/open.log' && grep -q 'num_bss=2' '$T/open.log' &&
	 ! grep -Eq '^Line [0-9]+:|errors found' '$T/open.log'"
sed -i 's/^  onboarding-security: .*/  onboarding-security: owe-transition/' "$conf"
expect_fail "the onboarding SSID may not be the school network's" "must differ from wifi.ssid" \
	sh -c "sed -i 's/^  onboarding-ssid: .*/  onboarding-ssid: \"Collège-BYOD\"/' '$conf' &&
	       '$BYODCTL' hostapd config --secret-file '$T/secret'"
expect_fail "an onboarding SSID with no room for the OWE suffix" "wifi.onboarding-ssid must be 1 to 28 bytes" \
	sh -c "sed -i 's/^  onboarding-ssid: .*/  onboarding-ssid: \"Collège-Invités-et-visiteurs\"/' '$conf' &&
	       '$BYODCTL' hostapd config --secret-file '$T/secret'"
sed -i 's/^  onboarding-ssid: .*/  onboarding-ssid: "Collège-Invités"/' "$conf"
expect_fail "an interface name too long for the onboarding BSSes" "too long to name the onboarding" \
	"$BYODCTL" hostapd config --interface wlan-ecole-0 --secret-file "$T/secret"
sed -i 's/^  onboarding-ssid: .*/  onboarding-ssid: ""/' "$conf"

printf 'short\n' >"$T/bad"
expect_fail "a short secret is refused" "16 or more" "$BYODCTL" hostapd config --secret-file "$T/bad"
expect_fail "an interface name hostapd would misread" "not an interface name" \
	"$BYODCTL" hostapd config --interface 'wlan0 x' --secret-file "$T/secret"
expect_fail "no secret" "secret" "$BYODCTL" hostapd config
finish
