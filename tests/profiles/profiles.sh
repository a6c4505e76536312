# SPDX-License-Identifier: GPL-2.0-or-later
# Every device profile format, produced for a freshly enrolled device and
# read back with a reader that is not ours (plistlib / openssl cms, xmllint,
# GLib's GKeyFile, Python's email parser...), field by field; then the
# identity each one carries authenticates with eapol_test against the real
# FreeRADIUS with rlm_byod. One check script per format:
# tests/profiles/check_<format>.sh, sourced here with $OUT holding the files.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
: "${PROFILE_DUMP:?PROFILE_DUMP must name the profile_dump test tool}"
init_school
conf="$BYOD_HOME/byod.conf"
sed -i 's/^  ssid: .*/  ssid: "Collège-BYOD"/; s/^  security: .*/  security: wpa3/' "$conf"
sed -i 's/^  name: ""/  name: "Référent numérique"/; s/^  email: .*/  email: "wifi@college-calanques.fr"/' "$conf"
sed -i 's/^  phone: .*/  phone: "+33 4 91 00 00 00"/; s|^  url: .*|  url: "https://www.college-calanques.fr/wifi"|' "$conf"
printf 'pass-lea\n' | "$BYODCTL" user add lea.martin --role student --school 0131234W --password-stdin >/dev/null
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
rules:
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
radius_setup
radius_start

# eap_tls_with NAME CA CERT KEY [PASSWORD]: eapol_test with these files,
# with the server name the profile names
eap_tls_with() {
	local name=$1 ca=$2 cert=$3 key=$4 pw=${5:-} domain=${6:-radius.byod.lan}
	{
		echo "network={"
		echo "	key_mgmt=IEEE8021X"
		echo "	eap=TLS"
		echo "	identity=\"lea.martin\""
		echo "	ca_cert=\"$ca\""
		[ -n "$cert" ] && echo "	client_cert=\"$cert\""
		echo "	private_key=\"$key\""
		[ -n "$pw" ] && echo "	private_key_passwd=\"$pw\""
		echo "	domain_match=\"$domain\""
		echo "	eapol_flags=0"
		echo "}"
	} >"$T/$name.conf"
	eapol_test -c "$T/$name.conf" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" \
		-M 02:00:00:00:aa:01 -t 5 >"$T/eap.out" 2>&1
	tail -1 "$T/eap.out" | grep -q '^SUCCESS'
}

# dump_and_check FORMAT [DIR]: a new device's profile in FORMAT, read back
# by check_FORMAT.sh
dump_and_check() {
	local format=$1
	OUT="$T/${2:-$format}"
	if ! "$PROFILE_DUMP" --home "$BYOD_HOME" --login lea.martin --out "$OUT" "$format" \
		>"$T/dump.out" 2>"$T/dump.err"; then
		ko "$format: $(cat "$T/dump.err")"
		return
	fi
	ok
	read -r _ FILE TYPE <"$T/dump.out"
	FILE="$OUT/$FILE"
	PASS=$(cat "$OUT/passphrase")
	. "$BYOD_SRC/tests/profiles/check_$format.sh"
}

for format in apple eap_config passpoint windows networkmanager; do
	dump_and_check "$format"
done

# Passpoint with a realm of its own: the outer identity is anonymous@ that
# realm, the FQDN stays the RADIUS server's domain, and Android still connects
sed -i 's/^  passpoint-realm: .*/  passpoint-realm: "college-calanques.fr"/' "$conf"
dump_and_check passpoint passpoint-realm
check "passpoint: the realm of its own is in the profile" \
	grep -q '<Value>college-calanques.fr</Value>' "$T/pp/pps.xml"
# a realm that is not a domain name is refused, naming the key
sed -i 's/^  passpoint-realm: .*/  passpoint-realm: "calanques realm"/' "$conf"
expect_fail "passpoint: a realm that is not a domain name is refused" 'wifi.passpoint-realm' \
	"$PROFILE_DUMP" --home "$BYOD_HOME" --login lea.martin --out "$T/badrealm" passpoint
sed -i 's/^  passpoint-realm: .*/  passpoint-realm: ""/' "$conf"

# The portal does not start with a radius.server-name the RADIUS certificate
# does not carry (every profile it would hand out names a server devices
# then refuse), and says which key to change
: "${BYOD_PORTAL:?BYOD_PORTAL must name byod-portal}"
sed -i 's/^  server-name: .*/  server-name: "radius.college-calanques.fr"/' "$conf"
expect_fail "byod-portal refuses a radius.server-name the RADIUS certificate does not carry" \
	"radius.server-name 'radius.college-calanques.fr' is not the name in the RADIUS server's certificate.*set radius.server-name to 'radius.byod.lan'" \
	timeout 10 "$BYOD_PORTAL" --home "$BYOD_HOME"
sed -i 's/^  server-name: .*/  server-name: "radius.byod.lan"/' "$conf"
sed -i 's/^  passpoint-realm: .*/  passpoint-realm: "@byod.lan"/' "$conf"
expect_fail "byod-portal refuses a Passpoint realm that is not a domain name" \
	"wifi.passpoint-realm '@byod.lan' is not a realm" timeout 10 "$BYOD_PORTAL" --home "$BYOD_HOME"
sed -i 's/^  passpoint-realm: .*/  passpoint-realm: ""/' "$conf"

# Bad input: no SSID configured -> refused, and the message names the key
sed -i 's/^  ssid: .*/  ssid: ""/' "$conf"
for format in apple eap_config passpoint windows networkmanager; do
	if "$PROFILE_DUMP" --home "$BYOD_HOME" --login lea.martin --out "$T/none" "$format" \
		>/dev/null 2>"$T/dump.err"; then
		ko "$format: a profile without an SSID was produced"
	else
		check "$format without an SSID: the message names wifi.ssid" grep -q 'wifi.ssid' "$T/dump.err"
	fi
done
finish
