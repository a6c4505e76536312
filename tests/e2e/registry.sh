# SPDX-License-Identifier: GPL-2.0-or-later
# The registry the end-to-end story runs on. By default the school's SQLite
# file, as byodctl init made it. With BYOD_E2E_REGISTRY=pg, a school joining
# the département: once the school is set up on SQLite, a throwaway
# PostgreSQL cluster of the test's own ($T/pg, a Unix socket only) receives
# it through byodctl registry copy, the copy's report and what byodctl reads
# back are checked, byod.conf's registry.url is switched to it, and the
# SQLite file is put aside, so that everything after runs on the copy. The
# département's registry then gets a second school; the gateway follows
# the story's school only (gateway.school).
# Each program connects with a login of its own role (byodctl registry
# roles): FreeRADIUS with rlm_byod as radius1 (byod_radius), the portal as
# portal1, the gateway daemon as gateway1, byodctl as admin1; the URL names
# no user, each program's PGUSER does (wrappers in $T/bin), so a right a
# program lacks fails the story as it would fail a département.
# Sourced by tests/e2e/e2e.sh after tests/cli/lib.sh.

REG_PG_DIR= REG_PG_URL=
PRE_MAC=02:00:00:00:e2:c1 PRE_LAPTOP= PRE_PHONE=
OTHER_MAC=02:00:00:00:e2:d1 OTHER_DEV=

# registry_down: the cluster stopped and removed (kept with KEEP=1)
registry_down() {
	[ -n "$REG_PG_DIR" ] || return 0
	if [ -n "${KEEP:-}" ]; then
		sh "$BYOD_SRC/scripts/pg-test-cluster" stop "$REG_PG_DIR" >/dev/null 2>&1
	else
		sh "$BYOD_SRC/scripts/pg-test-cluster" remove "$REG_PG_DIR" >/dev/null 2>&1
	fi
}

# registry_to_postgres: the school's SQLite registry copied into a new
# cluster, checked, and made the registry of byod.conf
registry_to_postgres() {
	local want rows url f
	# the cluster's server runs as an unprivileged user: it must reach $T/pg
	chmod 0711 "$T"
	REG_PG_DIR="$T/pg"
	sh "$BYOD_SRC/scripts/pg-test-cluster" start "$REG_PG_DIR" >"$T/pg-start.log" 2>&1 ||
		{ cat "$T/pg-start.log" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }
	REG_PG_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$REG_PG_DIR")
	# what the school had before joining: a teacher of its own with a
	# laptop enrolled by byodctl and a phone revoked since (used at the end)
	printf '%s\n' 'Avant-la-Copie-1' | "$BYODCTL" user add c.leroy --role teacher \
		--school 0131234W --name "Claire Leroy" --password-stdin >/dev/null ||
		{ echo "user add c.leroy failed" >&2; exit 1; }
	PRE_LAPTOP=$("$BYODCTL" device enrol c.leroy --name "Portable d'avant" --kind laptop \
		--mac "$PRE_MAC" --out "$T/pre" | awk '/^device:/ { print $2 }')
	PRE_PHONE=$("$BYODCTL" device enrol c.leroy --name "Téléphone perdu" --kind phone \
		--mac 02:00:00:00:e2:c2 --out "$T/pre" | awk '/^device:/ { print $2 }')
	"$BYODCTL" device revoke "$PRE_PHONE" --reason lost >/dev/null
	[ -s "$T/pre/$PRE_LAPTOP.pem" ] && [ -s "$T/pre/$PRE_PHONE.pem" ] ||
		{ echo "the school's devices were not enrolled" >&2; exit 1; }
	"$BYODCTL" user list --json >"$T/users-sqlite.json"
	"$BYODCTL" device list --json >"$T/devices-sqlite.json"
	"$BYODCTL" policy show >"$T/policy-sqlite"
	"$BYODCTL" registry copy --to "$REG_PG_URL" >"$T/copy.out" 2>"$T/copy.err" ||
		{ cat "$T/copy.err" >&2; echo "registry copy into PostgreSQL failed" >&2; exit 1; }
	cat "$T/copy.out"
	check "registry copy: the report names the school and the cluster" \
		grep -q "^copied 0131234W (Collège des Calanques) to postgresql://" "$T/copy.out"
	for want in "schools 1" "people $(json 'len(d)' <"$T/users-sqlite.json")" "devices 2" \
		"certificates 2" "sessions 0" "policies 1"; do
		rows=$(awk -v t="${want% *}" '$1 == t && length($3) == 64 && $3 ~ /^[0-9a-f]+$/ { print $2 }' "$T/copy.out")
		check "registry copy: ${want% *}: ${want#* } rows copied with their checksum (${rows:-none})" \
			test "$rows" = "${want#* }"
	done
	check "registry copy: every row of the source school" grep -q "every row was copied" "$T/copy.out"
	# (& is sed's matched text: the URL's are escaped)
	# the URL without a user: each program's PGUSER names its login
	url=${REG_PG_URL/byod@\//\/}
	sed -i "s|^  # url: \"\"$|  url: \"${url//&/\\&}\"|" "$BYOD_HOME/byod.conf"
	grep -q "^  url: \"$url\"" "$BYOD_HOME/byod.conf" ||
		{ echo "registry.url not set in byod.conf" >&2; exit 1; }
	registry_roles
	export PGUSER=admin1
	# nothing may read or write the SQLite file from here on
	for f in registry.db registry.db-wal registry.db-shm; do
		[ ! -e "$BYOD_HOME/$f" ] || mv "$BYOD_HOME/$f" "$T/before-copy-$f"
	done
	"$BYODCTL" user list --json >"$T/users-pg.json"
	"$BYODCTL" policy show >"$T/policy-pg"
	check "on the copy: the same accounts" python3 - "$T/users-sqlite.json" "$T/users-pg.json" <<'PY'
import json, sys
def people(f):
    # (the copy numbers people anew: the id is the destination's)
    return sorted((dict(u, id=None) for u in json.load(open(f))), key=lambda u: u["login"])
a, b = people(sys.argv[1]), people(sys.argv[2])
assert len(a) == 4 and a == b, (a, b)
PY
	check "on the copy: the same running policy" cmp "$T/policy-sqlite" "$T/policy-pg"
	"$BYODCTL" device list --json >"$T/devices-pg.json"
	check "on the copy: the same devices, states and MACs" cmp "$T/devices-sqlite.json" "$T/devices-pg.json"
	# the département's registry holds another school, with a revoked
	# phone; the school's gateway follows its own school only
	"$BYODCTL" school add 0750654D --name "Collège du Vieux-Port" >/dev/null ||
		{ echo "school add failed" >&2; exit 1; }
	"$BYODCTL" user add nora.haddad --role student --school 0750654D >/dev/null ||
		{ echo "user add nora.haddad failed" >&2; exit 1; }
	OTHER_DEV=$("$BYODCTL" device enrol nora.haddad --name "Autre" --kind phone --mac "$OTHER_MAC" \
		--out "$T/other" | awk '/^device:/ { print $2 }')
	"$BYODCTL" device revoke "$OTHER_DEV" --reason lost >/dev/null ||
		{ echo "the other school's device was not revoked" >&2; exit 1; }
	sed -i 's/^  school: ""$/  school: "0131234W"/' "$BYOD_HOME/byod.conf"
	grep -q '^  school: "0131234W"$' "$BYOD_HOME/byod.conf" ||
		{ echo "gateway.school not set in byod.conf" >&2; exit 1; }
	check "on the copy: byodctl opened no SQLite file" test ! -e "$BYOD_HOME/registry.db"
}

# registry_roles: the programs' roles (byodctl registry roles --apply, as
# the registry's owner), a login in each, and the programs started through
# wrappers that give each its login
registry_roles() {
	local prog real login
	PGUSER=byod "$BYODCTL" registry roles --apply >/dev/null 2>"$T/roles.err" ||
		{ cat "$T/roles.err" >&2; echo "registry roles --apply failed" >&2; exit 1; }
	psql -X -q -v ON_ERROR_STOP=1 -d "$REG_PG_URL" -c "CREATE ROLE radius1 LOGIN IN ROLE byod_radius;
		CREATE ROLE portal1 LOGIN IN ROLE byod_portal;
		CREATE ROLE gateway1 LOGIN IN ROLE byod_gateway;
		CREATE ROLE admin1 LOGIN IN ROLE byod_admin" ||
		{ echo "cannot create the programs' logins" >&2; exit 1; }
	mkdir -p "$T/bin"
	for prog in freeradius:"$(command -v freeradius)":radius1 byod-portal:"$BYOD_PORTAL":portal1 \
		byod-gatewayd:"$BYOD_GATEWAYD":gateway1; do
		IFS=: read -r prog real login <<<"$prog"
		printf '#!/bin/sh\nPGUSER=%s exec "%s" "$@"\n' "$login" "$real" >"$T/bin/$prog"
		chmod 755 "$T/bin/$prog"
	done
	PATH="$T/bin:$PATH"
	BYOD_PORTAL="$T/bin/byod-portal" BYOD_GATEWAYD="$T/bin/byod-gatewayd"
}

# registry_value SQL: the first column of the first row SQL gives, read
# straight from the database (what the interface does not show)
registry_value() {
	if [ -n "$REG_PG_URL" ]; then
		psql -X -q -At -v ON_ERROR_STOP=1 -d "$REG_PG_URL" -c "$1"
	else
		python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$BYOD_HOME/registry.db" "$1"
	fi
}

# registry_checked: at the end, on PostgreSQL: the devices the school had
# before the copy are still its own (the laptop authenticates, the revoked
# phone does not and is quarantined; another school's revoked phone is
# not), no program went back to an SQLite file, and the programs running
# are connected with their logins
registry_checked() {
	[ -n "$REG_PG_URL" ] || return 0
	check "on the copy: no program opened an SQLite registry" test ! -e "$BYOD_HOME/registry.db"
	local who
	# the school's own devices, enrolled before it joined, in the story's
	# RADIUS server reading the copy
	if eap_tls leroy "$T/pre/$PRE_LAPTOP.pem" "$T/pre/$PRE_LAPTOP.key" "$PRE_MAC"; then ok; else
		ko "on the copy: the laptop enrolled before the copy authenticates ($(grep -m1 -o 'Reply-Message.*' "$T/eap.out"))"; fi
	check "...into the teachers' VLAN ($(eap_vlan))" test "$(eap_vlan)" = 30
	if eap_tls leroy "$T/pre/$PRE_PHONE.pem" "$T/pre/$PRE_PHONE.key" 02:00:00:00:e2:c2; then
		ko "on the copy: the phone revoked before the copy authenticates"; else ok; fi
	# the gateway follows its school (gateway.school) on the shared registry
	nft list set inet byod quarantine_mac >"$T/quarantine.txt" 2>&1
	check "on the copy: the school's phone revoked before the copy is quarantined" \
		grep -q 02:00:00:00:e2:c2 "$T/quarantine.txt"
	check "...and the other school's revoked phone is not the gateway's business" \
		sh -c "! grep -q '$OTHER_MAC' '$T/quarantine.txt'"
	for who in radius1 portal1 gateway1; do
		check "on the copy: $who is connected under its own role" test "$(registry_value \
			"SELECT count(*) FROM pg_stat_activity WHERE usename = '$who'")" -ge 1
	done
}
