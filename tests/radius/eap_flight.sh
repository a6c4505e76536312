# SPDX-License-Identifier: GPL-2.0-or-later
# EAP-TLS as the generated raddb serves it, with eapol_test against the real
# freeradius and rlm_byod: the server's first flight in one EAP fragment
# (its certificate alone, not the CA), the TLS session cache on tmpfs and
# not in the raddb, its expired sessions removed, a directory others could
# read refused; one decision per authentication (the certificate check's,
# taken by post-auth of the same request), a resumption decided again and
# refused after a revocation; no Reply-Message on accepts unless asked for;
# the cache's name random, so that a directory another user made first at a
# name they could guess blocks nothing, and a new one taken when it did.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/lib/metrics.sh"
init_school
"$BYODCTL" user add durand --role teacher --school 0131234W >/dev/null
"$BYODCTL" device enrol durand --name laptop-durand --kind laptop --out "$T/dev" --json \
	>"$T/d.json" || { echo "enrol failed" >&2; exit 1; }
durand=$(json 'd["device"]' <"$T/d.json")
# another local user made the TLS cache's directory first, at the name the
# raddb's path once gave it (FNV-1a of the path): it blocks nothing, the
# name now being random
mkdir -p "$T/raddb"
foreign=
if [ -d /dev/shm ]; then
	foreign=$(python3 - "$(realpath "$T/raddb")" "$(id -u)" <<'PY'
import sys
h = 2166136261
for c in sys.argv[1].encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
print("/dev/shm/byod-tlscache-%s-%08x" % (sys.argv[2], h))
PY
)
	mkdir -m 0777 "$foreign"
	[ "$(id -u)" != 0 ] || chown nobody "$foreign"
fi
radius_setup
CACHE=$TLS_CACHE
radius_start
if [ -n "$foreign" ]; then
	check "a directory another user made at the old name ($foreign) blocks nothing" \
		test "$CACHE" != "$foreign"
	check "...the cache's name ends in 16 random hex digits" \
		sh -c "echo '$CACHE' | grep -Eq '^/dev/shm/byod-tlscache-$(id -u)-[0-9a-f]{16}\$'"
	check "...and the attacker's directory is left as it was" \
		test "$(stat -c %a "$foreign")" = 777
	rm -rf "$foreign"
fi

check "the TLS cache is named in byod-vars.conf" test -n "$CACHE"
if [ -d /dev/shm ]; then
	check "...on /dev/shm ($CACHE)" test "${CACHE#/dev/shm/}" != "$CACHE"
	check "...which is tmpfs" test "$(stat -f -c %T "$CACHE")" = tmpfs
fi
check "...made 0700 by rlm_byod" test "$(stat -c %a "$CACHE")" = 700
stats() { "$BYODCTL" metrics --radius-spool "$BYOD_HOME/radius-spool" >"$1" 2>/dev/null; }

# ---- one full authentication ----
stats "$T/m0"
if eap_tls durand "$T/dev/$durand.pem" "$T/dev/$durand.key" 02:00:00:00:dd:01; then ok; else
	ko "EAP-TLS: the teacher's laptop authenticates"; fi
cp "$T/eap.out" "$T/full.out"
# every EAP-TLS request the server sent: its size, and whether it has the
# More Fragments flag (RFC 5216: flags 0x40); the first flight is the one
# that opens with a TLS handshake record (0x16) holding the ServerHello (2)
python3 - "$T/full.out" >"$T/frags" <<'PY'
import re, sys
msgs, cur, code = [], None, None
lines = open(sys.argv[1]).read().splitlines()
for i, l in enumerate(lines):
    m = re.match(r'RADIUS message: code=(\d+)', l.strip())
    if m:
        if cur is not None:
            msgs.append((code, cur))
        code, cur = int(m.group(1)), ""
    elif l.strip().startswith("Attribute 79 ") and cur is not None:
        cur += lines[i + 1].split("Value:")[1].strip()
if cur is not None:
    msgs.append((code, cur))
for code, hexs in msgs:
    if code != 11 or not hexs:
        continue
    eap = bytes.fromhex(hexs)
    if eap[0] != 1 or len(eap) < 6 or eap[4] != 13:
        continue
    flags = eap[5]
    data = eap[6 + (4 if flags & 0x80 else 0):]
    first = len(data) > 5 and data[0] == 0x16 and data[5] == 2
    print(len(eap), 1 if flags & 0x40 else 0, 1 if first else 0)
PY
check "eapol_test's output was read ($(wc -l <"$T/frags") EAP-TLS requests)" test -s "$T/frags"
flight=$(awk '$3 == 1 {print $1}' "$T/frags")
check "the server's first flight is there" test -n "$flight"
check "...in one EAP fragment of $flight bytes, no More Fragments flag anywhere" \
	test "$(awk '$2 == 1' "$T/frags" | wc -l)" -eq 0
check "...within fragment_size (1024) and its headers" test "${flight:-9999}" -le 1034
check "...without the CA: one certificate in the Certificate message" \
	test "$(grep -c 'BEGIN CERTIFICATE' "$BYOD_HOME/pki/radius.pem")" -eq 1
echo "first flight: $flight bytes in one fragment; $(grep -c 'code=11 (Access-Challenge)' "$T/full.out") Access-Challenges for a full authentication"

stats "$T/m1"
d() { echo $(($(metric "$2" "$3") - $(metric "$1" "$3"))); }
check "one EAP-TLS decision for the authentication ($(d "$T/m0" "$T/m1" byod_radius_eap_tls_decided_total))" \
	test "$(d "$T/m0" "$T/m1" byod_radius_eap_tls_decided_total)" = 1
check "...post-auth took the certificate check's ($(d "$T/m0" "$T/m1" byod_radius_eap_tls_reused_total))" \
	test "$(d "$T/m0" "$T/m1" byod_radius_eap_tls_reused_total)" = 1
check "the accept carries the VLAN" grep -q 'Attribute 81 ' "$T/full.out"
check "...and no Reply-Message (18)" sh -c "! sed -n '/code=2 (Access-Accept)/,\$p' '$T/full.out' | grep -q 'Attribute 18 '"

# ---- the session cache: on tmpfs, not in the raddb ----
check "the session is cached in $CACHE" test -n "$(find "$CACHE" -name '*.asn1')"
check "...its files closed to others" \
	test -z "$(find "$CACHE" -type f -perm /077 -name '*.asn1')"
check "no session file in the raddb" test -z "$(find "$RADDB" -name '*.asn1' -o -name '*.vps')"

# ---- resumption: decided again, once ----
stats "$T/m2"
if eap_tls durand "$T/dev/$durand.pem" "$T/dev/$durand.key" 02:00:00:00:dd:01 -r 2; then ok; else
	ko "EAP-TLS: the laptop re-authenticates twice"; fi
check "the re-authentications resume the session" \
	test "$(grep -c 'Handshake finished - resumed=1' "$T/eap.out")" -eq 2
stats "$T/m3"
check "one decision per authentication, resumed ones too (3: $(d "$T/m2" "$T/m3" byod_radius_eap_tls_decided_total))" \
	test "$(d "$T/m2" "$T/m3" byod_radius_eap_tls_decided_total)" = 3

# ---- a configuration check or a second server beside the server leaves
# its sessions alone; a stop takes them, and the directory, away ----
n=$(find "$CACHE" -name '*.asn1' | wc -l)
freeradius -XC -d "$RADDB" >"$T/xc0" 2>&1
check "freeradius -XC beside the server: configuration OK" \
	grep -q 'Configuration appears to be OK' "$T/xc0"
check "...the server's $n cached sessions kept" \
	test "$(find "$CACHE" -name '*.asn1' | wc -l)" -eq "$n" -a "$n" -ge 1
# a second server started beside it (its ports taken): it stops, and the
# sessions of the one running stay (the directory's lock is the first's)
timeout 60 freeradius -X -d "$RADDB" >"$T/x2" 2>&1
check "a second freeradius -X beside the server does not start" \
	sh -c "! grep -q 'Ready to process requests' '$T/x2'"
check "...and leaves the running server's $n sessions" \
	test "$(find "$CACHE" -name '*.asn1' | wc -l)" -eq "$n"
check "...saying another server looks after the cache" grep -q "looked after by another server" "$T/x2"
radius_stop
check "a stop removes the sessions and the directory" test ! -e "$CACHE"

# ---- expiry: the sessions older than the lifetime go, at the start too ----
sed -i 's/^\ttls_cache_lifetime = .*/\ttls_cache_lifetime = 1/' "$RADDB/mods-enabled/byod"
mkdir -m 0700 "$CACHE"
old="$CACHE/0123abcd.asn1"
: >"$old"
: >"$CACHE/0123abcd.vps"
: >"$CACHE/fresh.asn1"
: >"$CACHE/other-file"
touch -d '-2 hours' "$old" "$CACHE/0123abcd.vps" "$CACHE/other-file"
radius_start
check "the expired sessions are removed" wait_for 50 test ! -e "$old" -a ! -e "$CACHE/0123abcd.vps"
check "...a fresh one is kept" test -e "$CACHE/fresh.asn1"
check "...and what is not a session is left alone" test -e "$CACHE/other-file"

# ---- a resumed session, then a revocation: refused on the next one ----
rm -f "$T/eap.out"
(eap_tls durand "$T/dev/$durand.pem" "$T/dev/$durand.key" 02:00:00:00:dd:01 -r 3000) &
resumer=$!
for _ in $(seq 600); do
	grep -q 'resumed=1' "$T/eap.out" 2>/dev/null && break
	sleep 0.05
done
"$BYODCTL" device revoke "$durand" >/dev/null
wait "$resumer"
check "the resumed sessions stop at the revocation" test "$(tail -1 "$T/eap.out")" = FAILURE
check "...after at least one resumed session" \
	test "$(grep -c 'Handshake finished - resumed=1' "$T/eap.out")" -ge 1
check "...the refused round a resumed one" \
	sh -c "grep 'Handshake finished' '$T/eap.out' | tail -1 | grep -q 'resumed=1'"
check "...with an EAP-Failure" grep -q "EAP: Received EAP-Failure" "$T/eap.out"
check "...and a Reply-Message naming why" \
	sh -c "sed -n '/code=3 (Access-Reject)/,\$p' '$T/eap.out' | grep -q 'Attribute 18 '"

# ---- MAB: no Reply-Message on an accept by default, one when asked ----
mab 02:00:00:00:ee:01
check "MAB of an unknown MAC accepted" grep -q "Access-Accept" "$T/mab.out"
check "...without Reply-Message" sh -c "! grep -q 'Reply-Message' '$T/mab.out'"
radius_stop
sed -i 's/^\treply_message = no/\treply_message = yes/' "$RADDB/mods-enabled/byod"
radius_start
mab 02:00:00:00:ee:01
check "reply_message = yes: the accept names its reason" grep -q "Reply-Message" "$T/mab.out"

# ---- a cache directory others may read is refused ----
radius_stop
# (what is not a session stays, and the directory with it)
check "the stop left the file that is no session" test -e "$CACHE/other-file"
rm -rf "$CACHE"
mkdir -m 0755 "$CACHE"
freeradius -XC -d "$RADDB" >"$T/xc" 2>&1
check "a TLS cache open to others: the configuration is refused" \
	sh -c "! grep -q 'Configuration appears to be OK' '$T/xc'"
check "...saying why" grep -q "tls_cache_dir: .*(0700)" "$T/xc"

# ---- writing the raddb again: the same name while it is ours, a new one
# once another user holds it ----
rm -rf "$CACHE"
again() {
	"$BYODCTL" radius config --out "$RADDB" --auth-port "$AUTH_PORT" --acct-port "$ACCT_PORT" \
		--libdir "$RLM_BYOD_DIR:/usr/lib/freeradius" >/dev/null || { echo "radius config failed" >&2; exit 1; }
	sed -n 's/^byod_tls_cache = "\(.*\)"$/\1/p' "$RADDB/byod-vars.conf"
}
check "byodctl radius config again keeps the cache's name" test "$(again)" = "$CACHE"
if [ -d /dev/shm ]; then
	rm -rf "$CACHE"
	mkdir -m 0777 "$CACHE"
	[ "$(id -u)" != 0 ] || chown nobody "$CACHE"
	freeradius -XC -d "$RADDB" >"$T/xc2" 2>&1
	check "a cache another user took: refused" sh -c "! grep -q 'Configuration appears to be OK' '$T/xc2'"
	check "...saying to write the raddb again" grep -q "byodctl radius config. again" "$T/xc2"
	taken=$CACHE
	CACHE=$(again)
	TLS_CACHE=$CACHE
	rm -rf "$taken"
	check "...which names a new one ($CACHE)" test -n "$CACHE" -a "$CACHE" != "$taken"
	freeradius -XC -d "$RADDB" >"$T/xc3" 2>&1
	check "...with which the configuration is OK" grep -q 'Configuration appears to be OK' "$T/xc3"
fi
finish
