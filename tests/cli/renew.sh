# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl device renew: refused before the renewal window (with the date it
# opens), forced by an administrator, accepted inside the window for the
# next school year (the grace date included), the same device id, the old
# certificate still valid until the new one is seen; a revoked device is not
# renewed. The clock is libfaketime's, so the dates do not depend on the day
# the test runs.
. "$(dirname "$0")/lib.sh"

# (an ASan build wants its runtime first: libfaketime comes before it here)
at() {
	local when=$1; shift
	FAKETIME="@$when" ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1) "$@"
}

at "2030-12-01 10:00:00" "$BYODCTL" init --school 0131234W --name "Collège des Calanques" \
	>/dev/null || { echo "init failed" >&2; exit 1; }
sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$BYOD_HOME/byod.conf"
at "2030-12-01 10:00:00" "$BYODCTL" user add lea.martin --role student --school 0131234W \
	>/dev/null

expect_ok "enrol in December" at "2030-12-01 10:00:00" "$BYODCTL" device enrol lea.martin \
	--name phone --kind phone --out "$T/d1" --json
id=$(json 'd["device"]' <"$T/out")
s1=$(json 'd["serial"]' <"$T/out")
check "its certificate ends with the school year" \
	test "$(json 'd["expires"]' <"$T/out")" = "2031-08-31T23:59:59Z"

expect_fail "renewal in January is refused, with the day it opens" \
	"cannot be renewed yet.*2031-07-02" \
	at "2031-01-10 10:00:00" "$BYODCTL" device renew "$id" --out "$T/r0"

expect_ok "renewal in July (60 days before the end)" at "2031-07-15 10:00:00" "$BYODCTL" \
	device renew "$id" --out "$T/r1" --json
check "...the same device" test "$(json 'd["device"]' <"$T/out")" = "$id"
s2=$(json 'd["serial"]' <"$T/out")
check "...a new serial" test -n "$s2" -a "$s2" != "$s1"
check "...replacing the old one" test "$(json 'd["replaces"]' <"$T/out")" = "$s1"
check "...for the next school year" \
	test "$(json 'd["expires"]' <"$T/out")" = "2032-08-31T23:59:59Z"
check "...its key and PKCS#12 written" test -s "$T/r1/$id.key" -a -s "$T/r1/$id.p12"
expect_ok "the device's certificates" "$BYODCTL" device list --json
check "...both valid until the new one is seen" test "$(json \
	"sorted(c['state'] for x in d if x['id'] == '$id' for c in x['certificates'])" \
	<"$T/out")" = "['valid', 'valid']"
expect_ok "the audit log" "$BYODCTL" audit --json
check "...records device.renew" grep -q '"device.renew"' "$T/out"

sed -i 's/^  grace-until: .*/  grace-until: "10-31"/' "$BYOD_HOME/byod.conf"
expect_ok "pki.grace-until is read" "$BYODCTL" device list
expect_ok "an early renewal forced by an administrator" at "2031-09-15 10:00:00" "$BYODCTL" \
	device renew "$id" --force --out "$T/r2" --json
check "...replaces the newest valid certificate" \
	test "$(json 'd["replaces"]' <"$T/out")" = "$s2"
check "...for the school year after the one it replaces, then the grace date" \
	test "$(json 'd["expires"]' <"$T/out")" = "2033-10-31T23:59:59Z"

expect_ok "a second phone" at "2031-09-15 10:00:00" "$BYODCTL" device enrol lea.martin \
	--name phone2 --kind phone --out "$T/d2" --json
id2=$(json 'd["device"]' <"$T/out")
check "enrolled in September: the next year, then the grace date" \
	test "$(json 'd["expires"]' <"$T/out")" = "2032-10-31T23:59:59Z"
expect_fail "in September, its renewal is not open" "opens on 2032-07-02" \
	at "2031-09-20 10:00:00" "$BYODCTL" device renew "$id2" --out "$T/r3"
expect_ok "in its window (July)" at "2032-07-02 00:00:01" "$BYODCTL" device renew "$id2" \
	--out "$T/r3" --json
check "...the next year, then the grace date" \
	test "$(json 'd["expires"]' <"$T/out")" = "2033-10-31T23:59:59Z"
expect_ok "revoke it" "$BYODCTL" device revoke "$id2"
expect_fail "a revoked device is not renewed" "only an active device" \
	at "2032-08-01 10:00:00" "$BYODCTL" device renew "$id2" --out "$T/r5"
expect_fail "an unknown device" "." "$BYODCTL" device renew 00000000-0000-4000-8000-000000000000 \
	--out "$T/r4"
finish
