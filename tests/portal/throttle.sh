# SPDX-License-Identifier: GPL-2.0-or-later
# The login throttle against a pupil with a script: 30 wrong passwords
# sent at once from one address, split between two portal processes that
# share the registry, get no more real password checks than the rules allow
# (each check writes exactly one audit row, portal.login or
# portal.login-failed, which is what is counted); a teacher whose login is
# being hammered from one address still logs in from another; a lock holds
# only for the pair (login, address); the login's and the address's own
# delays are capped and never lock; each state has its sentence; byodctl
# user unlock clears a lock, audited. Loopback gives the addresses
# (127.0.0.2 the pupil, 127.0.0.5 and up the others).
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/portal/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
init_school
adduser() { # LOGIN ROLE PASSWORD
	printf '%s\n' "$3" | "$BYODCTL" user add "$1" --role "$2" --school 0131234W \
		--password-stdin >/dev/null || { echo "user add $1 failed" >&2; exit 1; }
}
adduser m.durand teacher 'prof-Durand-2026'
adduser tom student 'tom-pw-2026'

read -r PORT_A PORT_B <<<"$(free_ports 2)"
conf="$BYOD_HOME/byod.conf"
# 30 connections at once from one address: above the default per-address
# connection limit (16), which is not what this test is about
sed -i "s/^  per-ip-limit: .*/  per-ip-limit: 64/" "$conf"
two_nodes "$PORT_A" "$PORT_B"

HAMMERS=()
stop_all() {
	for p in "${HAMMERS[@]}" "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap stop_all EXIT
start_portal "$BYOD_HOME" "$PORT_A"
start_portal "$HOME_B" "$PORT_B"

DB="$BYOD_HOME/registry.db"
# page FROM JAR PORT: the login page for a new visitor; its form token on stdout
page() {
	curl -s --interface "$1" -b "$2" -c "$2" -H 'Accept-Language: fr' -o "$2.page" \
		"http://127.0.0.1:$3/" &&
		sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$2.page" | head -1
}
# login FROM JAR PORT TOKEN LOGIN PASSWORD: status on stdout, the page in JAR.out
login() {
	curl -s --interface "$1" -b "$2" -c "$2" -H 'Accept-Language: fr' -o "$2.out" \
		-w '%{http_code}' --data-urlencode "csrf=$4" --data-urlencode "login=$5" \
		--data-urlencode "password=$6" "http://127.0.0.1:$3/login"
}
# visit FROM LOGIN PASSWORD: a whole visit (page, then login) on portal A;
# try: the same, its page kept in $LAST
visit() {
	local jar
	jar=$(mktemp "$T/jar.XXXXXX")
	login "$1" "$jar" "$PORT_A" "$(page "$1" "$jar" "$PORT_A")" "$2" "$3"
}
LAST="$T/last.html"
try() {
	local jar
	jar=$(mktemp "$T/jar.XXXXXX")
	login "$1" "$jar" "$PORT_A" "$(page "$1" "$jar" "$PORT_A")" "$2" "$3"
	cp "$jar.out" "$LAST"
}
checks() { # LOGIN: password checks made for it so far (one audit row each)
	sqlite3 "$DB" "SELECT COUNT(*) FROM audit WHERE object = '$1' AND
		action IN ('portal.login', 'portal.login-failed')"
}
failures() { sqlite3 "$DB" "SELECT COALESCE(MAX(failures), 0) FROM web_throttle WHERE key = '$1'"; }

# ---- 30 wrong passwords at once, from one address, on two portals --------
for i in $(seq 30); do
	port=$PORT_A
	[ $((i % 2)) = 0 ] && port=$PORT_B
	echo "$port $(page 127.0.0.2 "$T/burst$i" "$port")" >"$T/burst$i.token"
done
before=$(checks m.durand)
start=$(date +%s)
BURST=()
for i in $(seq 30); do
	read -r port token <"$T/burst$i.token"
	login 127.0.0.2 "$T/burst$i" "$port" "$token" m.durand "guess-$i" >"$T/burst$i.code" &
	BURST+=($!)
done
for p in "${BURST[@]}"; do wait "$p"; done
elapsed=$(($(date +%s) - start))
made=$(($(checks m.durand) - before))
n401=$(cat "$T"/burst*.code | grep -o 401 | wc -l)
n429=$(cat "$T"/burst*.code | grep -o 429 | wc -l)
# the pair's rule: 3 failures free, so 4 checks at one instant, then one
# more after 1 s, 2 s, 4 s ... (a burst across k seconds: 4 + log2(k + 1))
limit=$(python3 -c "import math; print(4 + int(math.log2($elapsed + 1)))")
echo "30 parallel wrong passwords in ${elapsed}s: $made password checks (at most $limit), $n401 x 401, $n429 x 429"
check "every one of the 30 got an answer: 401 (checked) or 429 (not checked)" test $((n401 + n429)) = 30
check "some were checked" test "$made" -ge 1
check "no more password checks than the rule allows ($made <= $limit)" test "$made" -le "$limit"
check "...one 401 per check" test "$n401" = "$made"
check "...both portal processes answered 429s" sh -c "grep -l 429 '$T'/burst*[02468].code >/dev/null &&
	grep -l 429 '$T'/burst*[13579].code >/dev/null"
check "the count on the pair is the checks made" test "$(failures 'pair:m.durand 127.0.0.2')" = "$made"
check "...and on the login alone" test "$(failures 'login:m.durand')" = "$made"
check "the refusals are audited with the limit that decided" test "$(sqlite3 "$DB" "SELECT COUNT(*)
	FROM audit WHERE action = 'portal.login-throttled' AND object = 'm.durand' AND
	after_json LIKE '%\"reason\":\"pair\"%'")" = "$n429"

# ---- the teacher, elsewhere, while the pupil keeps hammering --------------
hammer() {
	while :; do visit 127.0.0.2 m.durand "again-$RANDOM" >/dev/null; done
}
for _ in 1 2 3; do hammer & HAMMERS+=($!); done
sleep 1
code=$(try 127.0.0.5 m.durand 'prof-Durand-2026')
check "the teacher logs in from another address while her login is hammered (303)" test "$code" = 303
sleep 1
for p in "${HAMMERS[@]}"; do kill "$p"; wait "$p" 2>/dev/null; done
HAMMERS=()
sleep 0.5 # a request the killed loops had under way
elapsed=$(($(date +%s) - start))
made=$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit WHERE object = 'm.durand' AND
	action = 'portal.login-failed' AND after_json LIKE '%\"127.0.0.2\"%'")
limit=$(python3 -c "import math; print(4 + int(math.log2($elapsed + 1)))")
echo "the pupil's address, burst and hammering, ${elapsed}s: $made password checks (at most $limit)"
check "...while the pupil's address still got its checks at the pair's pace ($made <= $limit)" \
	test "$made" -le "$limit"

# ---- a locked pair (10 failures; set here, not waited for) ----------------
now=$(date +%s)
sqlite3 "$DB" "DELETE FROM web_throttle;
	INSERT INTO web_throttle VALUES ('pair:m.durand 127.0.0.2', 10, $now, $((now + 900)))"
before=$(checks m.durand)
code=$(try 127.0.0.2 m.durand 'prof-Durand-2026')
check "a locked pair refuses even the right password (429)" test "$code" = 429
check "...without checking it" test "$(checks m.durand)" = "$before"
check "...says so in minutes, and what to do" grep -q \
	'Trop d’essais avec cet identifiant depuis cet appareil : la connexion y est bloquée pendant 15 minutes. Vous pouvez vous connecter depuis un autre appareil, ou demander au référent numérique de la débloquer.' "$LAST"
code=$(try 127.0.0.6 m.durand 'prof-Durand-2026')
check "...and locks nobody else: the teacher from another address (303)" test "$code" = 303
code=$(try 127.0.0.2 tom 'tom-pw-2026')
check "...nor another account from the locked address (303)" test "$code" = 303

# ---- the login alone: delays capped at 30 s, never a lock -----------------
now=$(date +%s)
sqlite3 "$DB" "DELETE FROM web_throttle;
	INSERT INTO web_throttle VALUES ('login:m.durand', 500, $now, $((now + 86400)))"
code=$(try 127.0.0.7 m.durand 'prof-Durand-2026')
check "a login tried from everywhere makes everyone wait (429)" test "$code" = 429
wait_s=$(sed -n 's/.*Cet identifiant a reçu beaucoup d’essais. Par sécurité, réessayez dans \([0-9]*\) secondes\?\..*/\1/p' "$LAST")
check "...says so ('$wait_s' s)" test -n "$wait_s"
check "...30 s at most, whatever the count (and a lock left by an older rule ignored)" \
	test "${wait_s:-99}" -le 30
check "...never a lock" sh -c "! grep -q bloquée '$LAST'"

# ---- one address spraying logins: capped at 10 s, never a lock ------------
sqlite3 "$DB" "DELETE FROM web_throttle"
: >"$T/spray"
for i in $(seq 24); do try 127.0.0.4 "nobody$i" wrong >>"$T/spray"; echo >>"$T/spray"; done
check "spraying logins from one address: the first 21 checked" \
	test "$(head -21 "$T/spray" | grep -c 401)" = 21
check "...then it waits (429)" sh -c "tail -3 '$T/spray' | grep -q 429"
check "...counted on its address" test "$(failures addr:127.0.0.4)" = "$(grep -c 401 "$T/spray")"
# a long spray, set here: the address's delay is at its cap
now=$(date +%s)
sqlite3 "$DB" "DELETE FROM web_throttle;
	INSERT INTO web_throttle VALUES ('addr:127.0.0.4', 300, $now, $((now + 86400)))"
code=$(try 127.0.0.4 tom 'tom-pw-2026')
wait_s=$(sed -n 's/.*Beaucoup d’essais viennent de ce réseau. Réessayez dans \([0-9]*\) secondes\?\..*/\1/p' "$LAST")
check "another pupil at that address waits too (429), told why" test "$code" = 429 -a -n "$wait_s"
check "...10 s at most ('$wait_s' s), never a lock" test "${wait_s:-99}" -le 10
sleep "${wait_s:-0}"
code=$(try 127.0.0.4 tom 'tom-pw-2026')
check "...then logs in: never locked out (303)" test "$code" = 303
check "...and a success gives back its own count, not the others'" \
	test "$(failures addr:127.0.0.4)" = 300

# ---- the administrator's unlock ---------------------------------------------
now=$(date +%s)
sqlite3 "$DB" "DELETE FROM web_throttle;
	INSERT INTO web_throttle VALUES ('pair:m.durand 127.0.0.2', 10, $now, $((now + 900)));
	INSERT INTO web_throttle VALUES ('pair:m.durand 127.0.0.3', 10, $now, $((now + 900)));
	INSERT INTO web_throttle VALUES ('pair:m.durand.x 127.0.0.2', 10, $now, $((now + 900)));
	INSERT INTO web_throttle VALUES ('login:m.durand', 12, $now, 0)"
expect_ok "user unlock --address" "$BYODCTL" user unlock M.Durand --address 127.0.0.3
check "...clears that pair and the login's delay" grep -q 'M.Durand unlocked from 127.0.0.3 (2 throttle records cleared)' "$T/out"
check "...not the pair on another address" test "$(failures 'pair:m.durand 127.0.0.2')" = 10
expect_ok "user unlock (every address)" "$BYODCTL" user unlock m.durand
check "...clears the rest" grep -q 'm.durand unlocked from every address (1 throttle record cleared)' "$T/out"
check "...but not another login that begins alike" test "$(failures 'pair:m.durand.x 127.0.0.2')" = 10
"$BYODCTL" audit --limit 5 --json >"$T/audit.json"
check "...audited, with the address" sh -c "jq -e '[.[] | select(.action == \"user.unlock\" and
	.object == \"m.durand\")] | length == 2' '$T/audit.json'"
code=$(try 127.0.0.2 m.durand 'prof-Durand-2026')
check "the teacher logs in again from the unlocked address (303)" test "$code" = 303
expect_fail "unlock of an account that does not exist" "no account 'nobody'" \
	"$BYODCTL" user unlock nobody
expect_fail "unlock with a bad login" "not a login" "$BYODCTL" user unlock 'a b'
expect_fail "unlock without a login" "usage|needs LOGIN" "$BYODCTL" user unlock

for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p"; done
PIDS=()
finish
