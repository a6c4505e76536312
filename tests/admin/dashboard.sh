# SPDX-License-Identifier: GPL-2.0-or-later
# byod-admin's dashboard driven with curl over HTTPS on loopback, after a
# scripted morning written into the registry: pupils of two collèges with
# devices, RADIUS decisions counted accepted and refused, an access point
# that stopped sending accounting an hour and a half ago, a gateway daemon
# lagging behind the change feed. The département sees one line per school
# with the same figures and flags; a school's page shows them with its
# charts (SVG read back by Python's XML parser) and their tables; a school
# administrator lands on their school's page and gets a 404 (and an audit
# row) for the other school; /flux sends an event when the feed moves.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/admin/lib.sh"
init_school
"$BYODCTL" school add 0139999X --name "Collège du Port" >/dev/null
DB="$BYOD_HOME/registry.db"
A=0131234W
B=0139999X

cat >"$T/policy.yaml" <<'EOF'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }
  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [dns, dhcp] }
services:
  portal: { to: [10.0.0.2], ports: [tcp/80, tcp/443] }
rules:
  - name: pupils
    match: { role: student }
    segment: pupils
default: registration
EOF
"$BYODCTL" policy apply "$T/policy.yaml" --comment "the morning's policy" >/dev/null ||
	{ echo "policy apply failed" >&2; exit 1; }

# the morning: three pupils of A and one of B enrol a phone each; one of
# A's is suspended since
for who in a.lea:$A a.tom:$A a.ana:$A b.zoe:$B; do
	"$BYODCTL" user add "${who%%:*}" --role student --school "${who#*:}" >/dev/null
	"$BYODCTL" device enrol "${who%%:*}" --name "Phone ${who%%:*}" --out "$T/dev" --json \
		>"$T/enrol.${who%%:*}" || { echo "enrol failed" >&2; exit 1; }
done
DEV_LEA=$(json 'd["device"]' <"$T/enrol.a.lea")
DEV_TOM=$(json 'd["device"]' <"$T/enrol.a.tom")
DEV_ANA=$(json 'd["device"]' <"$T/enrol.a.ana")
"$BYODCTL" device suspend "$DEV_ANA" >/dev/null

# accounting: ap-hall speaks (an interim 5 minutes ago), ap-cdi fell
# silent 5000 s ago with its session open; RADIUS decisions in A (37
# accepted 10 minutes ago, 4 revoked certificates and 2 unknown devices
# refused), in B (5 accepted) and of no school (9 unknown devices)
now=$(date +%s)
min=$(((now / 60) * 60))
sqlite3 "$DB" <<EOF
INSERT INTO sessions (session_id, device, nas_ip, nas_id, started, updated, state)
	VALUES ('h1', '$DEV_LEA', '10.1.0.1', 'ap-hall', $((now - 7200)), $((now - 300)), 'open');
INSERT INTO sessions (session_id, device, nas_ip, nas_id, started, updated, state)
	VALUES ('c1', '$DEV_TOM', '10.1.0.2', 'ap-cdi', $((now - 9000)), $((now - 5000)), 'open');
INSERT INTO decision_counts (school, minute, node, segment, reason, count) VALUES
	('$A', $((min - 600)), 'rad-1', 'pupils', 'accept', 37),
	('$A', $((min - 1200)), 'rad-1', '', 'cert-revoked', 4),
	('$A', $((min - 1200)), 'rad-1', '', 'unknown', 2),
	('$B', $((min - 60)), 'rad-1', 'pupils', 'accept', 5),
	('', $((min - 300)), 'rad-1', '', 'unknown', 9);
EOF

# the daemons' heartbeats as of now: gw-a has applied every change, gw-a2
# all but the last two, which are 10 minutes old (every change of the
# script is dated 10 minutes ago: the logins add some)
daemons_now() {
	local now last
	now=$(date +%s)
	last=$(sqlite3 "$DB" 'SELECT max(seq) FROM events')
	sqlite3 "$DB" <<EOF
UPDATE events SET time = $((now - 600));
INSERT OR REPLACE INTO heartbeats (component, node, school, seen, feed_seq, detail) VALUES
	('gatewayd', 'gw-a', '$A', $((now - 10)), $last, 'running'),
	('gatewayd', 'gw-a2', '$A', $((now - 20)), $((last - 2)), 'running'),
	('gatewayd', 'gw-b', '$B', $((now - 10)), $last, 'running');
EOF
}

add_admin dep departement "" 'Dep-Secret-2026'
add_admin sch school $A 'Sch-Secret-2026'
start_admin

# enrol: the password, the TOTP secret shown, its code
enrol() {
	login_password "$1" "$2" "$3" || return 1
	local secret t
	secret=$(secret_shown)
	t=$(csrf)
	req "$1" POST /totp --data-urlencode "csrf=$t" --data-urlencode "code=$(totp "$secret")"
	[ "$(code)" = 303 ]
}
check "the département's administrator logs in" enrol d dep 'Dep-Secret-2026'
check "the school's administrator logs in" enrol s sch 'Sch-Secret-2026'

# the value of cell COL (1-based, th or td) of the first row of a table
# whose first or second cell holds TEXT, in the page $T/b
cell() {
	python3 - "$T/b" "$1" "$2" <<'PY'
import re, sys, html
page, text, col = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3])
for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
    if cells and any(text in c for c in cells[:2]):
        print(cells[col - 1]); break
PY
}

# ---- the département's table -----------------------------------------------
daemons_now
req d GET /dashboard
check "the département's dashboard answers 200" test "$(code)" = 200
check "...one line per school, each a link to its page" \
	sh -c "grep -q 'href=\"/ecole/$A\"' '$T/b' && grep -q 'href=\"/ecole/$B\"' '$T/b'"
check "...A's active devices (lea, tom; ana is suspended)" test "$(cell 'Calanques' 4)" = 2
check "...A's suspended device" test "$(cell 'Calanques' 5)" = 1
check "...A's open sessions" test "$(cell 'Calanques' 6)" = 2
check "...A's authentications accepted in 24 h" test "$(cell 'Calanques' 7)" = 37
check "...and refused" test "$(cell 'Calanques' 8)" = 6
check "...A's enrolments in 30 days" test "$(cell 'Calanques' 9)" = 3
check "...A's silent access point out of two" test "$(cell 'Calanques' 11)" = "1 / 2"
check "...A's lagging daemon out of two" test "$(cell 'Calanques' 12)" = "1 / 2"
check "...A flagged twice" test "$(cell 'Calanques' 2)" = "2 alertes"
check "...B's figures" test "$(cell 'Port' 7):$(cell 'Port' 9):$(cell 'Port' 2)" = "5:1:OK"
check "...one school with alerts" grep -q '1 école avec des alertes' "$T/b"
check "...and the devices of no school refused apart" \
	grep -q '9 authentifications d’appareils inconnus du registre (sans école) en 24 h' "$T/b"
check "...a link that loads the page again (no JavaScript needed)" \
	grep -q 'href="/dashboard">Actualiser</a>' "$T/b"
check "...the page's own script, deferred" grep -q '<script src="/static/dashboard.js" defer>' "$T/b"
check "...allowed by the CSP (script-src 'self')" sh -c "grep -qi \"^Content-Security-Policy:.*script-src 'self'\" '$T/h'"
check "...which lets it reach the feed and the page (connect-src 'self') and nothing else" \
	sh -c "grep -qi \"^Content-Security-Policy: default-src 'none';.* connect-src 'self';\" '$T/h'"

# ---- a school's page ---------------------------------------------------------
daemons_now
req d GET /ecole/$A
check "A's dashboard answers 200" test "$(code)" = 200
check "...titled with its name and UAI" grep -q "<h1>Collège des Calanques ($A)</h1>" "$T/b"
check "...the alerts first" grep -q '</h1><div id="dash" data-feed="/flux"><p class="updated">.*</p><div class="notice error" id="alerts"><p><strong>2 alertes' "$T/b"
check "...the silent access point named" test "$(cell 'ap-cdi' 5)" = Muette
check "...the other one speaking" test "$(cell 'ap-hall' 5)" = OK
check "...gw-a2 behind the feed" test "$(cell 'gw-a2' 5)" = "En retard"
check "...by two changes, the oldest 10 minutes old" \
	test "$(cell 'gw-a2' 4)" = "2 changements en attente (il y a 10 min)"
check "...gw-a up to date" test "$(cell 'gw-a' 4):$(cell 'gw-a' 5)" = "À jour:OK"
check "...B's gateway not on A's page" sh -c "! grep -q 'gw-b' '$T/b'"
check "...the refusals by reason" \
	test "$(cell 'Certificat révoqué' 2):$(cell 'Appareil inconnu' 2)" = "4:2"
check "...the devices by segment (lea and tom in pupils)" test "$(cell 'pupils' 2)" = 2
check "...the suspended one refused" test "$(cell 'Refusés' 2)" = 1
check "...the CRL's date" grep -q 'Émise le <time' "$T/b"
python3 - "$T/b" >"$T/svg" 2>&1 <<'PY'
# every chart parses as XML (another parser than the unit test's), is an
# image named by its title, and its bars follow the table's figures
import re, sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
page = open(sys.argv[1]).read()
svgs = re.findall(r"<svg .*?</svg>", page, re.S)
assert len(svgs) == 3, len(svgs)
charts = {}
for s in svgs:
    root = ET.fromstring(s)
    assert root.get("role") == "img"
    t, d = root.get("aria-labelledby").split()
    assert root.find(NS + "title").get("id") == t and root.find(NS + "desc").get("id") == d
    charts[root.find(NS + "title").text] = root
auth = charts["Authentifications par heure"]
ok = [r for r in auth.iter(NS + "rect") if r.get("class") == "bar s0"]
ko = [r for r in auth.iter(NS + "rect") if r.get("class") == "bar s1"]
assert len(ok) == len(ko) == 24, (len(ok), len(ko))
hs = [int(r.get("height")) for r in ok]
# one hour holds the 37 accepted: its bar is the tallest, the others empty
assert sorted(hs)[:-1] == [0] * 23 and hs[-1] + hs[-2] > 0, hs
assert max(int(r.get("height")) for r in ko) > 0
tallest = ok[hs.index(max(hs))]
assert tallest.find(NS + "title").text.endswith("Acceptées (24 h) : 37"), tallest.find(NS + "title").text
enr = charts["Inscriptions par jour"]
bars = [r for r in enr.iter(NS + "rect") if r.get("class") == "bar s0"]
assert len(bars) == 30 and int(bars[-1].get("height")) > 0 and all(int(b.get("height")) == 0 for b in bars[:-1])
print("ok")
PY
check "...its three charts parse as XML, named, bars following the figures" grep -qx ok "$T/svg"
req d GET "/ecole/$A?lang=en"
check "...in English on request" sh -c "grep -q '<html lang=\"en\"' '$T/b' && grep -q 'Access points' '$T/b'"
req d GET "/ecole/$A?lang=fr"

# ---- the school's administrator ----------------------------------------------
req s GET /dashboard
check "a school's administrator lands on their school's dashboard" \
	sh -c "[ '$(code)' = 200 ] && grep -q '<h1>Collège des Calanques ($A)</h1>' '$T/b'"
check "...with a link that loads it again" grep -q 'href="/dashboard">Actualiser</a>' "$T/b"
check "...and nothing of the devices of no school" sh -c "! grep -q 'sans école' '$T/b'"
before=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'admin.denied'")
req s GET /ecole/$B
check "...another school's page is a 404" test "$(code)" = 404
check "...naming nothing of it" sh -c "! grep -q 'Collège du Port' '$T/b'"
check "...with an audit row" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'admin.denied' AND object = '$B'")" = 1
req s GET /ecole/0000001X
check "...a school that does not exist is the same 404" test "$(code)" = 404
req d GET /ecole/nonsense
check "a path that is no UAI is a 404" test "$(code)" = 404
req d GET "/ecole/$A/more"
check "...and so is anything after the UAI" test "$(code)" = 404

# ---- the script and the feed -------------------------------------------------
req d GET /static/dashboard.js
check "the script is served as JavaScript" \
	sh -c "[ '$(code)' = 200 ] && grep -qi '^Content-Type: text/javascript' '$T/h' && grep -q EventSource '$T/b'"
req x GET /flux
check "/flux without a session goes to the login" test "$(code):$(hdr Location)" = "303:/login"
curl -sk -N --max-time 4 -b "$T/jar.s" -D "$T/flux.h" -o "$T/flux" "$URL/flux" &
FLUX=$!
sleep 1.5
"$BYODCTL" device resume "$DEV_ANA" >/dev/null
wait "$FLUX"
check "/flux is an event stream" grep -qi '^Content-Type: text/event-stream' "$T/flux.h"
check "...that says when to connect again" grep -q '^retry: 5000' "$T/flux"
seq=$(sqlite3 "$DB" 'SELECT max(seq) FROM events')
check "...and sends the change, without the département's feed number ($seq)" \
	sh -c "grep -A1 '^event: change' '$T/flux' | grep -qx 'data: ' && ! grep -q 'data: $seq' '$T/flux'"
req s GET /dashboard
check "the page read again shows the change (ana's phone active)" \
	test "$(python3 - "$T/b" <<'PY'
import re, sys
m = re.search(r"<dt>Appareils actifs</dt><dd>(\d+)</dd>", open(sys.argv[1]).read())
print(m.group(1) if m else "")
PY
)" = 3

check "byod-admin stops on SIGTERM" stop_admin
finish
