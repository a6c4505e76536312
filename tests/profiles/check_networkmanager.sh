# SPDX-License-Identifier: GPL-2.0-or-later
# Linux: a tar.gz with one folder (named as the archive) holding a
# NetworkManager keyfile, the PEM files it names and install.sh; sourced by
# profiles.sh with $OUT, $FILE, $TYPE, $PASS, $T set. The keyfile is read
# with GLib's own GKeyFile (the parser NetworkManager uses), the PEMs with
# openssl, install.sh is run against stand-ins for install, id and nmcli
# (it must leave no key in the folder), and the extracted files
# authenticate against the real FreeRADIUS.
top="$T/nm"
rm -rf "$top" && mkdir -p "$top"
folder=wifi-$(head -c 8 "$OUT/device_id")-linux
check "networkmanager: media type application/gzip" [ "$TYPE" = application/gzip ]
check "networkmanager: file name wifi-<device>-linux.tar.gz" \
	[ "$(basename "$FILE")" = "$folder.tar.gz" ]
if tar -xzf "$FILE" -C "$top" 2>"$top/tar.err"; then ok; else ko "networkmanager: tar -xzf: $(cat "$top/tar.err")"; fi
tar -tvzf "$FILE" >"$top/list" 2>/dev/null
check "networkmanager: unpacking makes one folder, named as the archive, and nothing beside it" \
	diff <(echo "$folder") <(ls -A "$top" | grep -v -e '^list$' -e '^tar.err$')
check "networkmanager: the folder holds exactly the keyfile, ca.pem, client.pem, client.key, install.sh" \
	diff <(printf "$folder/%s\\n" '' Collège-BYOD.nmconnection ca.pem client.key client.pem install.sh) \
	<(tar -tzf "$FILE" | LC_ALL=C sort)
check "networkmanager: the folder is drwx------ in the archive" \
	grep -qE "^drwx------ .* $folder/\$" "$top/list"
nm="$top/$folder"
check "networkmanager: client.key is -rw------- in the archive" \
	grep -qE '^-rw------- .*/client\.key$' "$top/list"
check "networkmanager: the keyfile is -rw------- in the archive" \
	grep -qE '^-rw------- .*/Collège-BYOD\.nmconnection$' "$top/list"
check "networkmanager: install.sh is executable in the archive" \
	grep -qE '^-rwxr-xr-x .*/install\.sh$' "$top/list"
check "networkmanager: install.sh parses (bash -n)" bash -n "$nm/install.sh"
check "networkmanager: install.sh reloads NetworkManager" grep -q '^nmcli connection reload$' "$nm/install.sh"

# install.sh, run on a copy of the folder with stand-ins for id (root),
# install (into $fake/root instead of /) and nmcli (logged): it installs
# the key, then leaves none in the folder; the machine is not touched
fake="$T/nm-install"
rm -rf "$fake" && mkdir -p "$fake/bin" "$fake/root" "$fake/unpacked"
cp -a "$nm" "$fake/unpacked/"
cat >"$fake/bin/id" <<'EOF_ID'
#!/bin/sh
echo 0
EOF_ID
cat >"$fake/bin/install" <<'EOF_INSTALL'
#!/bin/sh
# install [-d] -m MODE SRC... DEST, with DEST under $FAKE_ROOT
set -eu
d=
[ "$1" = -d ] && { d=1; shift; }
[ "$1" = -m ] || exit 2
mode=$2
shift 2
if [ -n "$d" ]; then mkdir -p "$FAKE_ROOT$1" && chmod "$mode" "$FAKE_ROOT$1"; exit; fi
src=$1 dest=$FAKE_ROOT$2
mkdir -p "$FAKE_ROOT/etc/NetworkManager/system-connections"
case $dest in */) dest=$dest$(basename "$src") ;; esac
cp "$src" "$dest" && chmod "$mode" "$dest"
EOF_INSTALL
printf '#!/bin/sh\necho "nmcli $*" >>"$FAKE_ROOT/nmcli.log"\n' >"$fake/bin/nmcli"
chmod +x "$fake/bin/"*
if FAKE_ROOT="$fake/root" PATH="$fake/bin:$PATH" sh "$fake/unpacked/$folder/install.sh" \
	>"$fake/out" 2>&1; then ok; else ko "networkmanager: install.sh failed: $(cat "$fake/out")"; fi
check "networkmanager: install.sh installed the key where the keyfile names it" \
	cmp -s "$fake/root$(grep '^dir=' "$nm/install.sh" | cut -d= -f2)/client.key" "$nm/client.key"
check "networkmanager: install.sh installed the keyfile" \
	test -f "$fake/root/etc/NetworkManager/system-connections/Collège-BYOD.nmconnection"
check "networkmanager: install.sh reloaded NetworkManager" grep -qx 'nmcli connection reload' "$fake/root/nmcli.log"
check "networkmanager: after install.sh, no key is left in the folder" \
	test ! -e "$fake/unpacked/$folder/client.key"
check "networkmanager: ...and the rest is (ca.pem, client.pem, the keyfile)" \
	test -f "$fake/unpacked/$folder/ca.pem" -a -f "$fake/unpacked/$folder/client.pem"
check "networkmanager: install.sh says the archive still holds the key" \
	grep -q "$folder.tar.gz still holds the key" "$fake/out"

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
