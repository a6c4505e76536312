# SPDX-License-Identifier: GPL-2.0-or-later
# Backup of the demo school, wipe, restore into a new directory: the old
# PKCS#12 authenticates with eapol_test through the real freeradius and
# rlm_byod configured from the restored HOME, the revoked one is refused.
# The demo's accounts (examples/demo-accounts.csv), two devices enrolled
# with their PKCS#12 written out, one revoked; byodctl backup; the HOME
# removed; byodctl restore into another directory; byodctl radius config there.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
init_school
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
"$BYODCTL" user import "$BYOD_SRC/examples/demo-accounts.csv" >/dev/null ||
	{ echo "user import failed" >&2; exit 1; }
"$BYODCTL" device enrol lea.martin --name phone-lea --kind phone --out "$T/lea" --json \
	>"$T/lea.json" || { echo "enrol failed" >&2; exit 1; }
"$BYODCTL" device enrol hugo.bernard --name phone-hugo --kind phone --out "$T/hugo" --json \
	>"$T/hugo.json" || { echo "enrol failed" >&2; exit 1; }
lea=$(json 'd["device"]' <"$T/lea.json")
hugo=$(json 'd["device"]' <"$T/hugo.json")
expect_ok "revoke hugo's phone" "$BYODCTL" device revoke "$hugo"

# the raddb of the old machine: its secret is the access points'
"$BYODCTL" radius config --out "$T/old-raddb" >/dev/null || { echo "radius config failed" >&2; exit 1; }
old_secret=$(cat "$T/old-raddb/secret")

printf 'une phrase de passe assez longue\n' >"$T/pass"
chmod 600 "$T/pass"
expect_ok "backup" "$BYODCTL" backup --out "$T/school.byod-backup" --raddb "$T/old-raddb" \
	--passphrase-file "$T/pass"
check "the secret is not in clear in the backup" \
	sh -c "! grep -aqF -- '$old_secret' '$T/school.byod-backup'"
# the old HOME and raddb gone, as after a dead disk
rm -rf "$BYOD_HOME" "$T/old-raddb"
export BYOD_HOME="$T/restored"
expect_ok "restore into another directory" "$BYODCTL" restore "$T/school.byod-backup" \
	--home "$BYOD_HOME" --passphrase-file "$T/pass"
check "the restored HOME has the CA" test -s "$BYOD_HOME/pki/ca.pem"
check "the RADIUS secret restored, 0600" test "$(stat -c %a "$BYOD_HOME/radius.secret")" = 600

# radius_setup, with the access points' secret of before
read -r AUTH_PORT ACCT_PORT <<<"$(free_ports)"
RADDB="$T/raddb"
"$BYODCTL" radius config --out "$RADDB" --auth-port "$AUTH_PORT" --acct-port "$ACCT_PORT" \
	--libdir "$RLM_BYOD_DIR:/usr/lib/freeradius" --secret-stdin <"$BYOD_HOME/radius.secret" \
	>/dev/null || { echo "radius config failed" >&2; exit 1; }
SECRET=$(cat "$RADDB/secret")
check "the access points' secret is the one of before" test "$SECRET" = "$old_secret"
radius_start

# eap_p12 NAME DIR JSON MAC: EAP-TLS with the PKCS#12 as it was handed over;
# 0 on SUCCESS
eap_p12() {
	local name=$1 dir=$2 js=$3 mac=$4 dev pass
	dev=$(json 'd["device"]' <"$js")
	pass=$(json 'd["passphrase"]' <"$js")
	cat >"$T/$name.conf" <<EOC
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="$name"
	ca_cert="$BYOD_HOME/pki/ca.pem"
	private_key="$dir/$dev.p12"
	private_key_passwd="$pass"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
	eapol_test -c "$T/$name.conf" -a 127.0.0.1 -p "$AUTH_PORT" -s "$SECRET" -M "$mac" \
		-t 5 >"$T/eap-$name.out" 2>&1
	tail -1 "$T/eap-$name.out" | grep -q '^SUCCESS'
}

if eap_p12 lea "$T/lea" "$T/lea.json" 02:00:00:00:aa:01; then ok; else
	ko "lea's PKCS#12 from before the backup is refused: $(tail -3 "$T/eap-lea.out")"; fi
check "lea's answer is an Access-Accept" grep -q "Access-Accept" "$T/eap-lea.out"
if eap_p12 hugo "$T/hugo" "$T/hugo.json" 02:00:00:00:aa:02; then
	ko "hugo's revoked PKCS#12 authenticates after the restore"
else
	ok
fi
check "hugo's answer is an Access-Reject" grep -q "Access-Reject" "$T/eap-hugo.out"
check "the module names the revocation" grep -qi "revoked" "$RADDB/log/radius.log"
check "lea's device is in the restored registry" \
	sh -c "'$BYODCTL' device list --json | grep -q '$lea'"
radius_stop
finish
