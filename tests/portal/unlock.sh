# SPDX-License-Identifier: GPL-2.0-or-later
# "Ouvrir le Wi-Fi pour ma classe" with curl: a teacher opens one of their
# groups for one of the offered durations (portal.unlock-minutes) and
# closes it; the opening is in the page with its end, in the audit log
# with the teacher as the actor, and in core's list of live openings. A
# pupil, a one-time code's session and an anonymous POST never reach it; a
# group the teacher does not have is refused with a French sentence, a
# duration not offered (beyond two hours, or not in the list), a missing,
# made-up or used form token are refused and open nothing; another
# teacher cannot close it.
#
# BYOD_UNLOCK_REGISTRY=pg runs the same on PostgreSQL: the school is copied
# (byodctl registry copy) into a throwaway cluster of the test's own, and
# the portal connects with a login of the portal's role (byod_portal), so
# that a right the role lacks for the teachers' openings fails here.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
adduser() { # LOGIN ROLE PASSWORD [--group G]...
	local login=$1 role=$2 pw=$3
	shift 3
	printf '%s\n' "$pw" | "$BYODCTL" user add "$login" --role "$role" --school 0131234W \
		--password-stdin "$@" >/dev/null || { echo "user add $login failed" >&2; exit 1; }
}
adduser m.durand teacher 'Tableau-Noir-42' --name "Marie Durand" --group 4B --group 3A
adduser p.bernard teacher 'Craie-Blanche-7' --group 4B --group 5C
adduser c.leroy teacher 'Sans-Classe-3'
adduser lea.martin student 'Calanques-2026!' --group 4B

PG_DIR= PG_URL=
case ${BYOD_UNLOCK_REGISTRY:-sqlite} in
sqlite) ;;
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
	psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE ROLE portal1 LOGIN IN ROLE byod_portal;
		CREATE ROLE admin1 LOGIN IN ROLE byod_admin" >/dev/null ||
		{ echo "cannot create the programs' logins" >&2; exit 1; }
	printf '#!/bin/sh\nPGUSER=portal1 exec "%s" "$@"\n' "$BYOD_PORTAL" >"$T/byod-portal"
	chmod 755 "$T/byod-portal"
	BYOD_PORTAL=$T/byod-portal
	export PGUSER=admin1
	mv "$BYOD_HOME/registry.db" "$T/before-copy.db"
	;;
*) echo "BYOD_UNLOCK_REGISTRY must be sqlite or pg" >&2; exit 1 ;;
esac

read -r HTTP_PORT <<<"$(free_ports 1)"
conf="$BYOD_HOME/byod.conf"
sed -i "s/^  http-port: .*/  http-port: $HTTP_PORT/; s/^  https-port: .*/  https-port: 0/" "$conf"
# the test's choices: a minute, ten, two hours
sed -i 's/^  unlock-minutes: .*/  unlock-minutes: "1 10 120"/' "$conf"
grep -q '^  unlock-minutes: "1 10 120"$' "$conf" || { echo "portal.unlock-minutes not set" >&2; exit 1; }
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -z "$PG_DIR" ] || sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$PG_DIR" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_portal "$BYOD_HOME" "$HTTP_PORT"

URL="http://127.0.0.1:$HTTP_PORT"
JAR="$T/jar"
req() { # METHOD PATH [curl options]: status in $T/code, headers in $T/h, body in $T/b
	local method=$1 path=$2
	shift 2
	curl -s -m 10 -X "$method" -b "$JAR" -c "$JAR" -H 'Accept-Language: fr-FR,fr;q=0.9' \
		-D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$URL$path" >"$T/code"
}
post() { # PATH FIELD=VALUE...: a form
	local path=$1 args=()
	shift
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	req POST "$path" "${args[@]}"
}
code() { cat "$T/code"; }
csrf() { sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$T/b" | head -1; }
login() { # LOGIN PASSWORD: a new browser, logged in
	rm -f "$JAR"
	req GET /
	post /login "csrf=$(csrf)" "login=$1" "password=$2"
	[ "$(code)" = 303 ]
}
has() { grep -qF -- "$1" "$T/b"; }
location_is() { tr -d '\r' <"$T/h" | grep -qix "Location: $1"; }
# live openings as core lists them (byod_unlock: the registry's table)
live_of() { # LOGIN: the number of live openings of that teacher
	local sql="SELECT count(*) FROM unlocks u JOIN people p ON p.id = u.teacher
  WHERE p.login = '$1' AND u.starts <= $(date +%s) AND $(date +%s) < u.ends AND u.ended = 0"
	if [ -n "$PG_URL" ]; then
		psql -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL" -c "$sql"
	else
		sqlite3 "$BYOD_HOME/registry.db" "$sql"
	fi
}
audited() { # ACTION ACTOR: how many rows
	"$BYODCTL" audit --limit 500 --json | python3 -c '
import json, sys
print(sum(1 for a in json.load(sys.stdin) if a["action"] == sys.argv[1] and a["actor"] == sys.argv[2]))' "$1" "$2"
}
# ids of the openings the page shows (the close forms' hidden ids)
ids_shown() { sed 's/>/>\n/g' "$T/b" | sed -n 's/.*name="id" value="\([0-9]*\)".*/\1/p'; }

# ---- nobody logged in ----------------------------------------------------
req GET /unlock
check "anonymous GET /unlock: 303" test "$(code)" = 303
check "...to the login page (Location: /)" location_is /
req GET /
post /unlock "csrf=$(csrf)" action=open group=4B minutes=10
check "anonymous POST /unlock (with the login page's token): 403" test "$(code)" = 403

# ---- a pupil ---------------------------------------------------------------
check "lea.martin (pupil) logs in" login lea.martin 'Calanques-2026!'
req GET /devices
check "the pupil's Mes appareils has no link to /unlock" sh -c "[ \"\$(cat '$T/code')\" = 200 ] && ! grep -q 'href=\"/unlock\"' '$T/b'"
token=$(csrf)
req GET /unlock
check "a pupil's GET /unlock: 404" test "$(code)" = 404
check "...the page-not-found page, in French" has 'Page introuvable'
post /unlock "csrf=$token" action=open group=4B minutes=10
check "a pupil's POST /unlock with a live form token: 404" test "$(code)" = 404
check "...nothing opened" test "$(live_of lea.martin)" = 0

# ---- a one-time code's session -----------------------------------------------
"$BYODCTL" enrol-codes --login lea.martin --out "$T/lea.html" >/dev/null ||
	{ echo "enrol-codes failed" >&2; exit 1; }
lea=$(sed -n 's/.*class="url">[^<]*\/code\/\([A-Za-z0-9_-]*\)<.*/\1/p' "$T/lea.html")
rm -f "$JAR"
req GET "/code/$lea"
post /code "csrf=$(csrf)" "code=$lea"
check "a one-time code opens a session" test "$(code)" = 303
req GET /enrol
token=$(csrf)
req GET /unlock
check "a code session's GET /unlock: 404" test "$(code)" = 404
post /unlock "csrf=$token" action=open group=4B minutes=10
check "a code session's POST /unlock: 404" test "$(code)" = 404
check "...logged as refused to a code's session" grep -q '/unlock: refused to a one-time code' "$T/portal.log"

# ---- the teacher -------------------------------------------------------------
check "m.durand (teacher) logs in" login m.durand 'Tableau-Noir-42'
req GET /devices
check "the teacher's Mes appareils links to the page" grep -q '<a class="button" id="unlock" href="/unlock">Ouvrir le Wi-Fi pour ma classe</a>' "$T/b"
req GET /unlock
check "GET /unlock: 200" test "$(code)" = 200
check "...titled \"Ouvrir le Wi-Fi pour ma classe\"" grep -q '<h1>Ouvrir le Wi-Fi pour ma classe</h1>' "$T/b"
check "...<html lang=\"fr\">" has '<html lang="fr">'
check "...a form posting to /unlock with its form token" \
	grep -Eq '<form method="post" action="/unlock"><input type="hidden" name="csrf" value="[A-Za-z0-9_-]{20,}"><input type="hidden" name="action" value="open">' "$T/b"
check "...her groups to choose from, labelled" sh -c "grep -q '<label for=\"group\">Classe</label><select id=\"group\" name=\"group\" required><option value=\"4B\">4B</option><option value=\"3A\">3A</option></select>' '$T/b'"
check "...the configured durations, in words, labelled" sh -c "grep -q '<label for=\"minutes\">Pendant</label><select id=\"minutes\" name=\"minutes\" required><option value=\"1\">1 minute</option><option value=\"10\" selected>10 minutes</option><option value=\"120\">2 heures</option></select>' '$T/b'"
check "...no class open yet" has 'Aucune classe ouverte en ce moment.'
check "...no script" sh -c "! grep -q '<script' '$T/b'"
check "...under 50 KB" test "$(wc -c <"$T/b")" -lt 51200
req GET '/unlock?lang=en'
check "in English: \"Open the Wi-Fi for my class\"" grep -q '<h1>Open the Wi-Fi for my class</h1>' "$T/b"
check "...the durations in English" sh -c "grep -q '<option value=\"120\">2 hours</option>' '$T/b'"
req GET '/unlock?lang=fr'

# refusals: nothing is opened by any of them
token=$(csrf)
post /unlock action=open group=4B minutes=10
check "no form token: 403" test "$(code)" = 403
post /unlock csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA action=open group=4B minutes=10
check "a made-up form token: 403" test "$(code)" = 403
req GET /unlock
post /unlock "csrf=$(csrf)" action=open group=5C minutes=10
check "a group she does not have (5C, p.bernard's): refused (403)" test "$(code)" = 403
check "...with a French sentence naming it" has 'Vous ne pouvez ouvrir le Wi-Fi que pour une de vos classes, et « 5C » n’en fait pas partie.'
check "...as an alert" has '<p class="notice error" role="alert">'
check "...and the form again" has '<select id="group" name="group" required>'
post /unlock "csrf=$(csrf)" action=open 'group=4B 3A' minutes=10
check "two groups at once: refused (403)" test "$(code)" = 403
post /unlock "csrf=$(csrf)" action=open group= minutes=10
check "an empty group: refused (403)" test "$(code)" = 403
post /unlock "csrf=$(csrf)" action=open group=4B minutes=180
check "three hours, beyond two: refused (400)" test "$(code)" = 400
check "...with a French sentence" has 'Choisissez une des durées proposées : le Wi-Fi s’ouvre pour deux heures au plus.'
check "...the group she chose kept" has '<option value="4B" selected>4B</option>'
post /unlock "csrf=$(csrf)" action=open group=4B minutes=121
check "121 minutes: refused (400)" test "$(code)" = 400
post /unlock "csrf=$(csrf)" action=open group=4B minutes=15
check "15 minutes, within two hours but not offered here: refused (400)" test "$(code)" = 400
post /unlock "csrf=$(csrf)" action=open group=4B minutes=10abc
check "\"10abc\" minutes: refused (400)" test "$(code)" = 400
post /unlock "csrf=$(csrf)" action=open group=4B
check "no duration: refused (400)" test "$(code)" = 400
post /unlock "csrf=$(csrf)" action=explode group=4B minutes=10
check "an unknown action: 400" test "$(code)" = 400
check "...none of these opened anything" test "$(live_of m.durand)" = 0
check "...or was audited as an opening" test "$(audited unlock.start teacher:m.durand)" = 0

# the opening
req GET /unlock
used=$(csrf)
t0=$(date +%s)
post /unlock "csrf=$used" action=open group=4B minutes=10
check "open 4B for 10 minutes: 303" test "$(code)" = 303
check "...to /unlock?ok=opened (POST-redirect-GET)" location_is '/unlock?ok=opened'
check "...live in the registry" test "$(live_of m.durand)" = 1
check "...audited, the teacher as the actor (unlock.start by teacher:m.durand)" test "$(audited unlock.start teacher:m.durand)" = 1
post /unlock "csrf=$used" action=open group=3A minutes=10
check "the same form token again: 403" test "$(code)" = 403
check "...nothing more opened" test "$(live_of m.durand)" = 1
req GET '/unlock?ok=opened'
check "the page says it is open" has 'Le Wi-Fi est ouvert pour la classe'
check "...as a status" has '<p class="notice" role="status">'
# the end shown: ten minutes after the POST (HH:MM; the minute may turn)
ends_ok=
for d in 600 660; do
	hm=$(date -d "@$((t0 + d))" +%H:%M)
	grep -qF "<strong>4B</strong> · <span class=\"until\">ouverte jusqu’à $hm</span>" "$T/b" && ends_ok=1
done
check "...lists 4B, open until ten minutes from now" test -n "$ends_ok"
check "...with its \"Fermer maintenant\" button, named for a screen reader" \
	has 'class="danger" aria-label="Fermer maintenant le Wi-Fi de la classe 4B">Fermer maintenant</button>'
id=$(ids_shown | head -1)
check "...and the opening's id in its form ($id)" test -n "$id"
req GET '/unlock?ok=<script>'
check "an unknown ?ok= is not echoed" sh -c "! grep -q '<script>' '$T/b' && ! grep -q 'role=\"status\"' '$T/b'"

# another teacher cannot close it, nor see it among hers
check "p.bernard (another teacher of 4B) logs in" login p.bernard 'Craie-Blanche-7'
req GET /unlock
check "...her own openings: none" sh -c "[ \"\$(cat '$T/code')\" = 200 ] && grep -q 'Aucune classe ouverte en ce moment.' '$T/b'"
check "...m.durand's opening of 4B (a class of hers too) said, with its end" \
	grep -q '<h2 id="others">Ouvertes par un collègue</h2><ul class="unlocks"><li class="unlock other"><strong>4B</strong> · ouverte par m.durand jusqu’à [0-9][0-9]:[0-9][0-9]</li>' "$T/b"
check "...without a form to close it" test -z "$(ids_shown)"
post /unlock "csrf=$(csrf)" action=close "id=$id"
check "p.bernard closing m.durand's opening: 404" test "$(code)" = 404
check "...it is still live" test "$(live_of m.durand)" = 1
check "...the attempt audited (portal.denied unlock:$id)" sh -c "'$BYODCTL' audit --json | grep -q '\"object\": \"unlock:$id\"'"
req GET /unlock
post /unlock "csrf=$(csrf)" action=close id=999999
check "closing an opening that does not exist: 404" test "$(code)" = 404
req GET /unlock
post /unlock "csrf=$(csrf)" action=close id=1x
check "a malformed id: 400" test "$(code)" = 400
check "...none of these was audited as an end" test "$(audited unlock.end teacher:p.bernard)" = 0

# a teacher without any group
check "c.leroy (a teacher without a class) logs in" login c.leroy 'Sans-Classe-3'
req GET /unlock
check "...her page says no class is linked to her account" has 'Aucune classe n’est associée à votre compte'
check "...and shows no one's openings (4B is not hers)" sh -c "! grep -q 'Ouvertes par un collègue' '$T/b'"
check "...and offers no form to open" sh -c "! grep -q 'value=\"open\"' '$T/b'"

# m.durand closes it
check "m.durand logs in again" login m.durand 'Tableau-Noir-42'
req GET /unlock
check "...her opening is listed after a new login" test "$(ids_shown | head -1)" = "$id"
post /unlock "csrf=$(csrf)" action=close "id=$id"
check "\"Fermer maintenant\": 303" test "$(code)" = 303
check "...to /unlock?ok=closed" location_is '/unlock?ok=closed'
check "...no longer live" test "$(live_of m.durand)" = 0
check "...audited, the teacher as the actor (unlock.end by teacher:m.durand)" test "$(audited unlock.end teacher:m.durand)" = 1
req GET '/unlock?ok=closed'
check "the page says it is closed" has 'Le Wi-Fi est refermé pour la classe.'
check "...and lists nothing" has 'Aucune classe ouverte en ce moment.'
post /unlock "csrf=$(csrf)" action=close "id=$id"
check "closing it again: back to the page (303), nothing else happens" test "$(code)" = 303
check "...no second end audited" test "$(audited unlock.end teacher:m.durand)" = 1

# the two hours offered
req GET /unlock
post /unlock "csrf=$(csrf)" action=open group=3A minutes=120
check "open 3A for two hours (the longest): 303" test "$(code)" = 303
check "...live" test "$(live_of m.durand)" = 1
req GET /unlock
check "...listed" has '<strong>3A</strong>'
[ -z "$PG_URL" ] || check "on PostgreSQL: no SQLite registry was opened" test ! -e "$BYOD_HOME/registry.db"
finish
