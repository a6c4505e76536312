# SPDX-License-Identifier: GPL-2.0-or-later
# Linux: a tar.gz with a NetworkManager keyfile, the PEM files it names and
# install.sh; sourced by profiles.sh with $OUT, $FILE, $TYPE, $PASS, $T set.
# The keyfile is read with GLib's own GKeyFile (the parser NetworkManager
# uses), the PEMs with openssl, and the extracted files authenticate against
# the real FreeRADIUS.
nm="$T/nm"
rm -rf "$nm" && mkdir -p "$nm"
check "networkmanager: media type application/gzip" [ "$TYPE" = application/gzip ]
check "networkmanager: file name wifi-<device>-linux.tar.gz" \
	[ "$(basename "$FILE")" = "wifi-$(head -c 8 "$OUT/device_id")-linux.tar.gz" ]
if tar -xzf "$FILE" -C "$nm" 2>"$nm/tar.err"; then ok; else ko "networkmanager: tar -xzf: $(cat "$nm/tar.err")"; fi
tar -tvzf "$FILE" >"$nm/list" 2>/dev/null
check "networkmanager: the archive holds exactly the keyfile, ca.pem, client.pem, client.key, install.sh" \
	diff <(printf '%s\n' Collège-BYOD.nmconnection ca.pem client.key client.pem install.sh) \
	<(tar -tzf "$FILE" | LC_ALL=C sort)
check "networkmanager: client.key is -rw------- in the archive" \
	grep -qE '^-rw------- .* client\.key$' "$nm/list"
check "networkmanager: the keyfile is -rw------- in the archive" \
	grep -qE '^-rw------- .* Collège-BYOD\.nmconnection$' "$nm/list"
check "networkmanager: install.sh is executable in the archive" \
	grep -qE '^-rwxr-xr-x .* install\.sh$' "$nm/list"
check "networkmanager: install.sh parses (bash -n)" bash -n "$nm/install.sh"
check "networkmanager: install.sh reloads NetworkManager" grep -q '^nmcli connection reload$' "$nm/install.sh"

# GKeyFile, through PyGObject (the system python3 carries gi)
gi_python=python3
python3 -c 'import gi' 2>/dev/null || gi_python=/usr/bin/python3
# kf GROUP KEY: the value as g_key_file_get_string() unescapes it
kf() {
	"$gi_python" -c 'import sys
from gi.repository import GLib
k = GLib.KeyFile()
k.load_from_file(sys.argv[1], GLib.KeyFileFlags.NONE)
print(k.get_string(sys.argv[2], sys.argv[3]))' "$nm/Collège-BYOD.nmconnection" "$1" "$2" 2>/dev/null
}
uuid=$("$gi_python" -c 'import sys, uuid
print(uuid.uuid5(uuid.UUID("3d5e0b8a-61c2-4f1e-9b27-704cd813a695"), sys.argv[1]))' "$(cat "$OUT/device_id")")
server=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["radius"]["server-name"])' \
	"$BYOD_HOME/byod.conf")
dir=/etc/NetworkManager/byod/$uuid
check "networkmanager: GKeyFile loads the keyfile" \
	"$gi_python" -c 'import sys
from gi.repository import GLib
GLib.KeyFile().load_from_file(sys.argv[1], GLib.KeyFileFlags.NONE)' "$nm/Collège-BYOD.nmconnection"
check "networkmanager: connection.id is the SSID" [ "$(kf connection id)" = Collège-BYOD ]
check "networkmanager: connection.uuid is the UUIDv5 of the device id" [ "$(kf connection uuid)" = "$uuid" ]
check "networkmanager: connection.type wifi" [ "$(kf connection type)" = wifi ]
check "networkmanager: connection.permissions empty (system-wide)" \
	bash -c 'grep -qx "permissions=" "$1"' _ "$nm/Collège-BYOD.nmconnection"
check "networkmanager: wifi.mode infrastructure" [ "$(kf wifi mode)" = infrastructure ]
check "networkmanager: wifi.ssid is the SSID" [ "$(kf wifi ssid)" = Collège-BYOD ]
check "networkmanager: wifi-security.key-mgmt wpa-eap" [ "$(kf wifi-security key-mgmt)" = wpa-eap ]
check "networkmanager: WPA3: wifi-security.pmf 3 (required)" [ "$(kf wifi-security pmf)" = 3 ]
check "networkmanager: 802-1x.eap tls" [ "$(kf 802-1x eap)" = "tls;" ]
check "networkmanager: 802-1x.identity is the login" [ "$(kf 802-1x identity)" = lea.martin ]
check "networkmanager: radius.server-name is set" [ -n "$server" ]
check "networkmanager: 802-1x.domain-suffix-match is radius.server-name" \
	[ "$(kf 802-1x domain-suffix-match)" = "$server" ]
check "networkmanager: 802-1x.ca-cert where install.sh puts it" [ "$(kf 802-1x ca-cert)" = "$dir/ca.pem" ]
check "networkmanager: 802-1x.client-cert where install.sh puts it" [ "$(kf 802-1x client-cert)" = "$dir/client.pem" ]
check "networkmanager: 802-1x.private-key where install.sh puts it" [ "$(kf 802-1x private-key)" = "$dir/client.key" ]
check "networkmanager: install.sh installs into that directory" grep -qx "dir=$dir" "$nm/install.sh"
check "networkmanager: 802-1x.private-key-password-flags 4 (not required)" \
	[ "$(kf 802-1x private-key-password-flags)" = 4 ]
check "networkmanager: ipv4.method auto" [ "$(kf ipv4 method)" = auto ]
check "networkmanager: ipv6.method auto" [ "$(kf ipv6 method)" = auto ]

# the PEM files
check "networkmanager: ca.pem is the school CA" \
	cmp -s <(openssl x509 -in "$nm/ca.pem" -outform DER) <(openssl x509 -in "$BYOD_HOME/pki/ca.pem" -outform DER)
check "networkmanager: client.pem verifies against ca.pem" \
	openssl verify -CAfile "$nm/ca.pem" "$nm/client.pem"
check "networkmanager: client.pem is the device certificate" cmp -s "$nm/client.pem" "$OUT/device.pem"
check "networkmanager: client.key matches client.pem" \
	cmp -s <(openssl pkey -in "$nm/client.key" -pubout) <(openssl x509 -in "$nm/client.pem" -pubkey -noout)

# and they authenticate, with the server name the keyfile names
if eap_tls_with nm "$nm/ca.pem" "$nm/client.pem" "$nm/client.key" "" "$(kf 802-1x domain-suffix-match)"; then
	ok
else
	ko "networkmanager: EAP-TLS with the archive's files failed: $(tail -3 "$T/eap.out")"
fi
