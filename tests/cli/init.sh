# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl init: the state directory, its CA and server certificates, and the
# configuration file's errors.
. "$(dirname "$0")/lib.sh"

expect_fail "init without --school" "init needs --school" "$BYODCTL" init --name X
expect_fail "init with a malformed UAI" "not a UAI" "$BYODCTL" init --school 123 --name X
check "a refused init leaves no directory" test ! -e "$BYOD_HOME"

expect_ok "init" "$BYODCTL" init --school 0131234X --name "Collège des Calanques"
check "init warns about a check letter that does not match" grep -q "should be W" "$T/err"
for f in byod.conf registry.db pki/ca.pem pki/ca.key pki/radius.pem pki/radius.key \
	pki/portal.pem pki/portal.key pki/crl.pem; do
	check "init made $f" test -s "$BYOD_HOME/$f"
done
check "ca.key is 0600" test "$(stat -c %a "$BYOD_HOME/pki/ca.key")" = 600
check "server keys are 0600" test "$(stat -c %a "$BYOD_HOME/pki/radius.key")" = 600
check "no staging directory is left" test -z "$(ls -d "$BYOD_HOME".init.* 2>/dev/null)"

openssl x509 -in "$BYOD_HOME/pki/ca.pem" -noout -text >"$T/ca.txt"
check "the CA is CA:TRUE, critical" grep -A1 "Basic Constraints: critical" "$T/ca.txt"
check "the CA says CA:TRUE" grep -q "CA:TRUE" "$T/ca.txt"
check "the CA signs certificates and CRLs" grep -q "Certificate Sign, CRL Sign" "$T/ca.txt"
check "the CA key is P-256" grep -q "prime256v1" "$T/ca.txt"
expect_ok "the RADIUS certificate verifies for a TLS server" \
	openssl verify -purpose sslserver -CAfile "$BYOD_HOME/pki/ca.pem" "$BYOD_HOME/pki/radius.pem"
check "the RADIUS certificate names radius.byod.lan" \
	sh -c "openssl x509 -in '$BYOD_HOME/pki/radius.pem' -noout -ext subjectAltName | grep -q DNS:radius.byod.lan"
expect_ok "the first CRL verifies" \
	openssl crl -in "$BYOD_HOME/pki/crl.pem" -CAfile "$BYOD_HOME/pki/ca.pem" -noout

expect_fail "a second init is refused" "already exists" \
	"$BYODCTL" init --school 0131234W --name Again
expect_fail "--home wins over BYOD_HOME and needs init" "cannot read .*byod.conf" \
	"$BYODCTL" --home "$T/elsewhere" device list

cp "$BYOD_HOME/byod.conf" "$T/good.conf"
printf 'registry:\n  colour: blue\n' >>"$BYOD_HOME/byod.conf"
expect_fail "an unknown key names file, line and column" \
	"byod.conf:[0-9]+:3: unknown configuration key 'registry.colour'" "$BYODCTL" device list
cp "$T/good.conf" "$BYOD_HOME/byod.conf"
sed -i 's/^  busy-timeout-ms: .*/  busy-timeout-ms: -4/' "$BYOD_HOME/byod.conf"
expect_fail "a value out of range is refused" "between 0 and 600000" "$BYODCTL" device list
cp "$T/good.conf" "$BYOD_HOME/byod.conf"
expect_ok "the restored configuration works" "$BYODCTL" device list

# init as root into an empty directory of the daemons' user (what the
# package makes: /var/lib/byod, byod:byod): what it makes is handed to
# that user (each directory after its contents, HOME last), the CA key
# still 0600
if [ "$(id -u)" -eq 0 ]; then
	owned=$T/owned
	install -d -o nobody -g nogroup -m 0750 "$owned"
	chmod 0755 "$T"
	expect_ok "init as root into nobody's directory" \
		"$BYODCTL" --home "$owned" init --school 0131234W --name "Collège des Calanques"
	check "...says whose it is now" grep -q "belong to nobody:nogroup, who owned it" "$T/out"
	check "...everything in it is nobody's: $(find "$owned" ! -user nobody | head -3)" \
		test -z "$(find "$owned" \( ! -user nobody -o ! -group nogroup \))"
	check "...the CA key is still 0600" test "$(stat -c %a "$owned/pki/ca.key")" = 600
	expect_ok "...and nobody can use it" runuser -u nobody -- "$BYODCTL" --home "$owned" device list
fi

finish
