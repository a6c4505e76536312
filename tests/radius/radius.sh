# SPDX-License-Identifier: GPL-2.0-or-later
# The real freeradius with rlm_byod, from a raddb byodctl wrote, driven by
# radclient (MAC authentication, accounting) and eapol_test (EAP-TLS with
# certificates byodctl issued).
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
init_school

# a schedule open now and one closed now, in UTC, so the test does not
# depend on the hour it runs at
hm() { date -u -d "$1" +%H:%M; }
cat >"$T/policy.yaml" <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  pupils: { vlan: 20, subnet: 10.20.0.0/16 }
  teachers: { vlan: 30, subnet: 10.30.0.0/20 }
  printers: { vlan: 40, subnet: 10.40.0.0/24 }
schedules:
  open-now: { from: "$(hm '-1 hour')", to: "$(hm '+2 hours')", timezone: UTC }
  closed-now: { from: "$(hm '+3 hours')", to: "$(hm '+4 hours')", timezone: UTC }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
  - name: printers by MAC
    match: { method: mac, kind: other }
    segment: printers
  - name: 6B in their hours
    match: { role: student, group: 6B, schedule: closed-now }
    segment: pupils
  - name: 6B otherwise
    match: { role: student, group: 6B }
    action: reject
  - name: pupils in hours
    match: { role: student, schedule: open-now }
    segment: pupils
  - name: pupils otherwise
    match: { role: student }
    action: reject
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add lea --role student --school 0131234W --group 4B >/dev/null
"$BYODCTL" user add tom --role student --school 0131234W --group 6B >/dev/null
"$BYODCTL" user add durand --role teacher --school 0131234W >/dev/null
"$BYODCTL" user add cdi --role staff --school 0131234W >/dev/null
enrol() { # LOGIN NAME KIND [MAC]: prints the device id; files in $T/dev
	"$BYODCTL" device enrol "$1" --name "$2" --kind "$3" ${4:+--mac "$4"} --out "$T/dev" \
		--json >"$T/$2.json" || { echo "enrol $2 failed" >&2; exit 1; }
	json 'd["device"]' <"$T/$2.json"
}
lea=$(enrol lea phone-lea phone 02:00:00:00:aa:01)
tom=$(enrol tom phone-tom phone)
durand=$(enrol durand laptop-durand laptop)
printer=$(enrol cdi printer-cdi other 02:00:00:00:bb:01)
"$BYODCTL" user add martin --role teacher --school 0131234W >/dev/null
martin=$(enrol martin laptop-martin laptop 02:00:00:00:dd:05)

radius_setup
# the accepts' Reply-Message names the rule that decided, which these checks
# read (off by default: tests/radius/eap_flight.sh)
sed -i 's/^\treply_message = no/\treply_message = yes/' "$RADDB/mods-enabled/byod"
radius_start

# ---- MAC authentication ----
mab 02-00-00-00-BB-01
check "MAB: a registered printer is accepted" grep -q "Access-Accept" "$T/mab.out"
check "MAB: ...in the printers VLAN (RFC 3580)" grep -q 'Tunnel-Private-Group-Id:0 = "40"' "$T/mab.out"
check "MAB: Tunnel-Type VLAN" grep -q "Tunnel-Type:0 = VLAN" "$T/mab.out"
check "MAB: Tunnel-Medium-Type IEEE-802" grep -q "Tunnel-Medium-Type:0 = IEEE-802" "$T/mab.out"
check "MAB: the reply names the rule" grep -q "printers by MAC" "$T/mab.out"
mab 0200.0000.bb01
check "MAB: the printer, MAC written Cisco-style" grep -q 'Tunnel-Private-Group-Id:0 = "40"' "$T/mab.out"
# a pupil's phone holds a certificate: by MAC it goes back to registration,
# not to the pupils' VLAN the rules give its certificate
mab 0200.0000.aa01
check "MAB: a pupil's phone that holds a certificate lands in registration" \
	grep -q 'Tunnel-Private-Group-Id:0 = "10"' "$T/mab.out"
check "MAB: ...the reply says why" grep -q "the mab-segment by default: it holds a certificate but connected by MAC" "$T/mab.out"
timeout=$(awk '/Session-Timeout/ {print $3}' "$T/mab.out")
check "MAB: the session ends with the schedule (Session-Timeout <= 2h)" \
	test -n "$timeout" -a "${timeout:-0}" -gt 0 -a "${timeout:-99999}" -le 7200
# a suspended device is refused whatever the policy says, and comes back
"$BYODCTL" device suspend "$printer" >/dev/null
sleep 0.5
mab 02-00-00-00-BB-01
check "MAB: a suspended device is refused" grep -q "Access-Reject" "$T/mab.out"
"$BYODCTL" device resume "$printer" >/dev/null
sleep 0.5
mab 02-00-00-00-BB-01
check "MAB: ...and accepted once resumed" grep -q 'Tunnel-Private-Group-Id:0 = "40"' "$T/mab.out"
mab 02:00:00:00:cc:99
check "MAB: an unknown MAC goes to registration" grep -q 'Tunnel-Private-Group-Id:0 = "10"' "$T/mab.out"
mab 02:00:00:00:bb:01 'NAS-Identifier = "no-authenticator"'
check "an Access-Request without Message-Authenticator is dropped (Blast-RADIUS)" \
	sh -c "! grep -q 'Access-Accept\|Access-Reject' '$T/mab.out'"

# ---- EAP-TLS ----
if eap_tls lea "$T/dev/$lea.pem" "$T/dev/$lea.key" 02:00:00:00:aa:01; then ok; else
	ko "EAP-TLS: the pupil's certificate is accepted: $(tail -5 "$T/eap.out")"; fi
check "EAP-TLS: the pupil lands in VLAN 20" test "$(eap_vlan)" = 20
if eap_tls durand "$T/dev/$durand.pem" "$T/dev/$durand.key" 02:00:00:00:dd:01; then ok; else
	ko "EAP-TLS: the teacher is accepted"; fi
check "EAP-TLS: the teacher lands in VLAN 30" test "$(eap_vlan)" = 30
if eap_tls tom "$T/dev/$tom.pem" "$T/dev/$tom.key" 02:00:00:00:ee:01; then
	ko "EAP-TLS: a 6B pupil outside their hours is accepted"; else ok; fi
check "EAP-TLS: ...and gets an EAP-Failure" grep -q "EAP: Received EAP-Failure" "$T/eap.out"
check "EAP-TLS: ...and never an EAP-Success" sh -c "! grep -q 'Received EAP-Success' '$T/eap.out'"

# a certificate from another CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Other CA" \
	-keyout "$T/other-ca.key" -out "$T/other-ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=intruder" \
	-keyout "$T/other.key" -out "$T/other.csr" 2>/dev/null
printf 'extendedKeyUsage = clientAuth\n' >"$T/ext.cnf"
openssl x509 -req -in "$T/other.csr" -CA "$T/other-ca.pem" -CAkey "$T/other-ca.key" \
	-CAcreateserial -days 30 -extfile "$T/ext.cnf" -out "$T/other.pem" 2>/dev/null
if eap_tls other "$T/other.pem" "$T/other.key" 02:00:00:00:ff:01; then
	ko "EAP-TLS: a certificate of another CA is accepted"; else ok; fi

# an expired certificate from the school CA itself
mkdir -p "$T/ca/new"
: >"$T/ca/index.txt"
echo 1000 >"$T/ca/serial"
printf '%s\n' "[ ca ]" "default_ca = school" "[ school ]" "dir = $T/ca" \
	"database = $T/ca/index.txt" "new_certs_dir = $T/ca/new" "serial = $T/ca/serial" \
	"default_md = sha256" "policy = any" "x509_extensions = client" "[ any ]" \
	"commonName = supplied" "[ client ]" "extendedKeyUsage = clientAuth" >"$T/ca.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$lea" \
	-keyout "$T/old.key" -out "$T/old.csr" 2>/dev/null
openssl ca -batch -config "$T/ca.cnf" -cert "$BYOD_HOME/pki/ca.pem" -keyfile "$BYOD_HOME/pki/ca.key" \
	-startdate 20240101000000Z -enddate 20240601000000Z -in "$T/old.csr" -out "$T/old.pem" \
	>/dev/null 2>&1
check "the expired test certificate was made" test -s "$T/old.pem"
if eap_tls old "$T/old.pem" "$T/old.key" 02:00:00:00:aa:02; then
	ko "EAP-TLS: an expired certificate is accepted"; else ok; fi

# ---- TLS session resumption: decided again every time ----
if eap_tls durand "$T/dev/$durand.pem" "$T/dev/$durand.key" 02:00:00:00:dd:01 -r 2; then ok; else
	ko "EAP-TLS: the teacher re-authenticates twice"; fi
check "EAP-TLS: the re-authentications resume the TLS session" \
	test "$(grep -c 'Handshake finished - resumed=1' "$T/eap.out")" -eq 2
check "EAP-TLS: a resumed session gets the same VLAN" \
	test "$(grep -A1 'Attribute 81 ' "$T/eap.out" | grep -c 'Value: 3330')" -eq 3

# a device revoked while it keeps resuming its session is refused on the
# next resumption, with an EAP-Failure and no EAP-Success
# (the last run's output goes first: its resumed=1 lines are not this run's)
rm -f "$T/eap.out"
(eap_tls durand "$T/dev/$durand.pem" "$T/dev/$durand.key" 02:00:00:00:dd:01 -r 3000) &
resumer=$!
# (up to 30 s: on a loaded machine the first handshake alone can take
# seconds, and a revocation before the first resumption proves nothing)
for _ in $(seq 600); do
	grep -q 'resumed=1' "$T/eap.out" 2>/dev/null && break
	sleep 0.05
done
"$BYODCTL" device revoke "$durand" >/dev/null
wait "$resumer"
mv "$T/eap.out" "$T/eap-resumed.out"
check "EAP-TLS: the resumed sessions stop at the revocation" \
	test "$(tail -1 "$T/eap-resumed.out")" = FAILURE
check "EAP-TLS: ...after several resumed sessions" \
	test "$(grep -c 'Handshake finished - resumed=1' "$T/eap-resumed.out")" -ge 1
check "EAP-TLS: the refused round was a resumed one" \
	sh -c "grep 'Handshake finished' '$T/eap-resumed.out' | tail -1 | grep -q 'resumed=1'"
check "EAP-TLS: it ends with an EAP-Failure" grep -q "EAP: Received EAP-Failure" "$T/eap-resumed.out"
check "EAP-TLS: no EAP-Success and no MPPE keys in the refusal" \
	sh -c "sed -n '/code=3 (Access-Reject)/,\$p' '$T/eap-resumed.out' | grep -q 'Attribute 79' &&
		! sed -n '/code=3 (Access-Reject)/,\$p' '$T/eap-resumed.out' | grep -q 'Received EAP-Success\|Attribute 26 '"

# ---- revocation while the server runs ----
if eap_tls lea "$T/dev/$lea.pem" "$T/dev/$lea.key" 02:00:00:00:aa:01; then ok; else
	ko "EAP-TLS: the pupil is accepted before revocation"; fi
"$BYODCTL" device revoke "$lea" --reason lost >/dev/null
start=$(date +%s.%N)
refused=
for _ in $(seq 20); do
	if ! eap_tls lea "$T/dev/$lea.pem" "$T/dev/$lea.key" 02:00:00:00:aa:01; then
		refused=$(date +%s.%N)
		break
	fi
done
check "EAP-TLS: the revoked certificate is refused" test -n "$refused"
elapsed=$(python3 -c "print(round(${refused:-999} - $start, 3))")
check "EAP-TLS: refused within 1 s of the revocation (took ${elapsed}s)" \
	python3 -c "import sys; sys.exit(0 if $elapsed < 1.0 else 1)"
check "EAP-TLS: the revoked device gets an EAP-Failure" grep -q "EAP: Received EAP-Failure" "$T/eap.out"
check "EAP-TLS: ...and no EAP-Success" sh -c "! grep -q 'Received EAP-Success' '$T/eap.out'"
mab 02:00:00:00:aa:01
check "MAB: the revoked phone's MAC is rejected too" grep -q "Access-Reject" "$T/mab.out"

# ---- accounting ----
acct() {
	printf 'Acct-Status-Type = %s\nAcct-Session-Id = "%s"\nNAS-IP-Address = 127.0.0.1\nCalling-Station-Id = "%s"\nFramed-IP-Address = 10.40.0.7\nAcct-Input-Octets = %s\nAcct-Output-Octets = 2000\n' \
		"$1" "$2" "$3" "$4" | radclient -x -r 1 -t 2 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1
}
acct Start sess-1 02-00-00-00-BB-01 0
check "accounting Start is answered" grep -q "Accounting-Response" "$T/acct.out"
acct Interim-Update sess-1 02-00-00-00-BB-01 500
acct Stop sess-1 02-00-00-00-BB-01 1000
check "accounting Stop is answered" grep -q "Accounting-Response" "$T/acct.out"
acct Stop sess-unknown 02-00-00-00-99-99 7
# an EAP-TLS session: its accounting has the MAC, the module knows the certificate
acct Start sess-eap 02-00-00-00-DD-01 0
check "an EAP-TLS session's accounting finds its device through the last accept" test \
	"$(sqlite3 "$BYOD_HOME/registry.db" "SELECT device FROM sessions WHERE session_id = 'sess-eap'")" = "$durand"
row=$(sqlite3 "$BYOD_HOME/registry.db" 2>&1 "SELECT device, mac, ip, state, in_octets, stopped > 0 FROM sessions WHERE session_id = 'sess-1'")
check "the session row ties MAC, IP and device, closed, with its octets ($row)" \
	test "$row" = "$printer|02:00:00:00:bb:01|10.40.0.7|closed|1000|1"
check "a Stop for an unknown session is kept" \
	test "$(sqlite3 "$BYOD_HOME/registry.db" "SELECT COUNT(*) FROM sessions WHERE session_id = 'sess-unknown'")" = 1

# ---- the example policy: a copied MAC never reaches a certificate's segment ----
example="$BYOD_SRC/examples/policy.yaml"
"$BYODCTL" policy apply "$example" >/dev/null || { echo "example apply failed" >&2; exit 1; }
mab_line=$(grep -n '^mab-segment:' "$example" | cut -d: -f1)
reg_vlan=$(sed -n '/^  registration:/,/vlan:/s/^ *vlan: *//p' "$example")
check "the example's registration VLAN is read" test "$reg_vlan" = 10
applied() { mab 02:00:00:00:dd:05; grep -q "by mab-segment (line $mab_line)" "$T/mab.out"; }
check "the example policy reaches the server" wait_for 30 applied
check "example, MAB: the teacher's laptop that holds a certificate is accepted" \
	grep -q "Access-Accept" "$T/mab.out"
check "example, MAB: ...in the registration VLAN, not the teachers' 30" \
	grep -q "Tunnel-Private-Group-Id:0 = \"$reg_vlan\"" "$T/mab.out"
if eap_tls martin "$T/dev/$martin.pem" "$T/dev/$martin.key" 02:00:00:00:dd:05; then ok; else
	ko "example, EAP-TLS: the teacher's laptop is accepted with its certificate"; fi
check "example, EAP-TLS: ...in the teachers' VLAN 30" test "$(eap_vlan)" = 30
mab 02:00:00:00:dd:05
check "example, MAB again after EAP-TLS: still registration" \
	grep -q "Tunnel-Private-Group-Id:0 = \"$reg_vlan\"" "$T/mab.out"

radius_stop
check "the server stopped cleanly" test -z "$RADIUS_PID"
finish
