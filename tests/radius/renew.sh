# SPDX-License-Identifier: GPL-2.0-or-later
# Renewal at RADIUS, with the real freeradius, rlm_byod and eapol_test: a
# device renewed (byodctl device renew) keeps its old certificate working
# until the new one is first accepted; that first EAP-TLS accept is queued
# by the module and written at its next flush (counts_interval 1 s), which
# revokes the old certificate (superseded, audited) and, through the change
# feed, the old one is refused within about two seconds, by this node and
# by a second node that never saw the new certificate. A certificate that
# replaces nothing is never written for being seen.
#
# BYOD_RENEW_REGISTRY=pg runs the same on PostgreSQL: the school copied
# (byodctl registry copy) into a throwaway cluster of the test's own, both
# nodes connecting with a login of the RADIUS role (byod_radius), so that a
# right the role lacks for reg_cert_seen fails here.
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
"$BYODCTL" user add lea --role student --school 0131234W >/dev/null
"$BYODCTL" user add zoe --role student --school 0131234W >/dev/null
"$BYODCTL" device enrol lea --name phone-lea --kind phone --out "$T/old" --json >"$T/lea.json" ||
	{ echo "enrol failed" >&2; exit 1; }
id=$(json 'd["device"]' <"$T/lea.json")
s1=$(json 'd["serial"]' <"$T/lea.json")
"$BYODCTL" device enrol zoe --name phone-zoe --kind phone --out "$T/zoe" --json >"$T/zoe.json" ||
	{ echo "enrol failed" >&2; exit 1; }
zoe=$(json 'd["device"]' <"$T/zoe.json")
zs=$(json 'd["serial"]' <"$T/zoe.json")
# --force: the window depends on the day the test runs (cli_renew checks it)
expect_ok "renew lea's phone" "$BYODCTL" device renew "$id" --force --out "$T/new" --json
s2=$(json 'd["serial"]' <"$T/out")
check "the same device" test "$(json 'd["device"]' <"$T/out")" = "$id"
check "a new certificate" test -n "$s2" -a "$s2" != "$s1"

PG_DIR= PG_URL= RADIUS_USER=
case ${BYOD_RENEW_REGISTRY:-sqlite} in
sqlite) sql() { sqlite3 "$BYOD_HOME/registry.db" "$1"; } ;;
pg)
	# the cluster's server runs as an unprivileged user: it must reach $T/pg
	chmod 0711 "$T"
	PG_DIR="$T/pg"
	sh "$BYOD_SRC/scripts/pg-test-cluster" start "$PG_DIR" >"$T/pg-start.log" 2>&1 ||
		{ cat "$T/pg-start.log" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }
	PG_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$PG_DIR")
	"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
		{ cat "$T/copy.out" >&2; echo "registry copy failed" >&2; exit 1; }
	url=${PG_URL/byod@\//\/} # without a user: each program's PGUSER names it
	sed -i "s|^  # url: \"\"$|  url: \"${url//&/\\&}\"|" "$BYOD_HOME/byod.conf"
	grep -q "^  url: \"$url\"" "$BYOD_HOME/byod.conf" || { echo "registry.url not set" >&2; exit 1; }
	PGUSER=byod "$BYODCTL" registry roles --apply >/dev/null 2>"$T/roles.err" ||
		{ cat "$T/roles.err" >&2; echo "registry roles --apply failed" >&2; exit 1; }
	psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE ROLE radius1 LOGIN IN ROLE byod_radius;
		CREATE ROLE admin1 LOGIN IN ROLE byod_admin" >/dev/null ||
		{ echo "cannot create the programs' logins" >&2; exit 1; }
	export PGUSER=admin1
	RADIUS_USER=radius1
	mv "$BYOD_HOME/registry.db" "$T/before-copy.db"
	sql() { psql -X -q -At -d "$PG_URL" -c "$1"; }
	;;
*) echo "BYOD_RENEW_REGISTRY must be sqlite or pg" >&2; exit 1 ;;
esac

radius_setup
sed -i -e 's/^\(\s*\)counts_interval = .*/\1counts_interval = 1/' "$RADDB/mods-enabled/byod"
check "the module's configuration takes counts_interval 1" \
	grep -Eq '^\s*counts_interval = 1$' "$RADDB/mods-enabled/byod"
PGUSER=${RADIUS_USER:-${PGUSER:-}} radius_start

# a second node on the same registry, its own ports and spool
read -r AUTH_B ACCT_B <<<"$(free_ports)"
"$BYODCTL" radius config --out "$T/raddb-b" --auth-port "$AUTH_B" --acct-port "$ACCT_B" \
	--libdir "$RLM_BYOD_DIR:/usr/lib/freeradius" >/dev/null ||
	{ echo "radius config b failed" >&2; exit 1; }
sed -i -e "s|^\t# spool_dir = .*|\tspool_dir = \"$T/spool-b\"|" \
	-e 's/^\(\s*\)# node = .*/\1node = "radius-b"/' \
	-e 's/^\(\s*\)counts_interval = .*/\1counts_interval = 1/' "$T/raddb-b/mods-enabled/byod"
: >"$T/raddb-b/log/radius.log"
PGUSER=${RADIUS_USER:-${PGUSER:-}} freeradius -f -d "$T/raddb-b" -l "$T/raddb-b/log/radius.log" &
RADIUS_B=$!
trap 'kill "$RADIUS_B" 2>/dev/null; wait "$RADIUS_B" 2>/dev/null; radius_stop;
	[ -n "$PG_DIR" ] && sh "$BYOD_SRC/scripts/pg-test-cluster" stop "$PG_DIR" >/dev/null 2>&1;
	[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
wait_for 100 grep -q "Ready to process requests" "$T/raddb-b/log/radius.log" ||
	{ cat "$T/raddb-b/log/radius.log" >&2; echo "node b did not start" >&2; exit 1; }
on_b() { # CMD...: eap_tls against node B
	local a=$AUTH_PORT s=$SECRET rc
	AUTH_PORT=$AUTH_B SECRET=$(cat "$T/raddb-b/secret")
	"$@"
	rc=$?
	AUTH_PORT=$a SECRET=$s
	return $rc
}
state_of() {
	sql "SELECT state || ',' || COALESCE(CAST(reason AS TEXT), '') FROM certificates WHERE serial = '$1'"
}
old_refused() { ! eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; }

if eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the old certificate is accepted before the new one is seen: $(tail -3 "$T/eap.out")"; fi
if on_b eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "...and by node B: $(tail -3 "$T/eap.out")"; fi
sleep 2 # two flushes: nothing to write yet
if eap_tls lea "$T/old/$id.pem" "$T/old/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the old certificate is still accepted after the flushes: $(tail -3 "$T/eap.out")"; fi
check "the old certificate is still valid" test "$(state_of "$s1")" = "valid,"

# a certificate that replaces nothing: accepted, never written
if eap_tls zoe "$T/zoe/$zoe.pem" "$T/zoe/$zoe.key" 02:00:00:00:aa:02; then ok; else
	ko "zoe's certificate is accepted: $(tail -3 "$T/eap.out")"; fi

if eap_tls lea "$T/new/$id.pem" "$T/new/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the new certificate authenticates: $(tail -3 "$T/eap.out")"; fi
start=$(date +%s%N)
if wait_for 40 old_refused; then ok; else ko "the old certificate is refused within 4 s"; fi
took=$((($(date +%s%N) - start) / 1000000))
echo "old certificate refused $took ms after the new one's first accept"
check "...within about two seconds ($took ms)" test "$took" -le 2500
if wait_for 20 on_b old_refused; then ok; else ko "node B refuses the old certificate too"; fi
if on_b eap_tls lea "$T/new/$id.pem" "$T/new/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "node B accepts the new certificate: $(tail -3 "$T/eap.out")"; fi
check "the old certificate is revoked, superseded (4)" test "$(state_of "$s1")" = "revoked,4"
check "the new one's first sighting is recorded" \
	test "$(sql "SELECT CASE WHEN first_seen > 0 THEN 1 ELSE 0 END FROM certificates \
		WHERE serial = '$s2'")" = 1
check "the revocation is audited, with the module as actor" test "$(sql \
	"SELECT actor FROM audit WHERE action = 'cert.supersede' AND object = '$s1'")" = rlm_byod
if eap_tls lea "$T/new/$id.pem" "$T/new/$id.key" 02:00:00:00:aa:01; then ok; else
	ko "the new certificate still authenticates: $(tail -3 "$T/eap.out")"; fi
check "the refusal names the revocation" grep -qi "revoked" "$RADDB/log/radius.log"
check "node B's too" grep -qi "revoked" "$T/raddb-b/log/radius.log"
sleep 2
check "zoe's certificate was never written as seen" \
	test "$(sql "SELECT first_seen FROM certificates WHERE serial = '$zs'")" = 0
check "one supersession only, however often the new one is accepted" \
	test "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'cert.supersede'")" = 1
grep -E "renewed certificate|first sighting" "$RADDB/log/radius.log" | head -3
finish
