# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl backup and restore, refused as they must be: a short or missing
# passphrase, a wrong one, a truncated archive, a byte of the payload or of
# the manifest altered, a restore over an existing HOME (each leaving
# nothing behind and the existing HOME as it was); no private key in clear
# in the archive; the file 0600 and written through FILE.tmp; a backup
# taken while accounts are being added is a sound database; the restored
# HOME the same files, the CA key 0600, the same devices; --force moves the
# old HOME aside.
#
# BYOD_BACKUP_REGISTRY=pg runs the round trip on PostgreSQL: the school
# copied into a throwaway cluster (pg_dump in the backup), restored with
# --registry-url into a second, empty database of it (pg_restore); a second
# restore into that database, now full, refused, --force or not.
. "$BYOD_SRC/tests/cli/lib.sh"
init_school
"$BYODCTL" user import "$BYOD_SRC/examples/demo-accounts.csv" >/dev/null ||
	{ echo "user import failed" >&2; exit 1; }
"$BYODCTL" device enrol lea.martin --name phone-lea --kind phone --out "$T/lea" --json \
	>"$T/lea.json" || { echo "enrol failed" >&2; exit 1; }
lea=$(json 'd["device"]' <"$T/lea.json")

PG_DIR=
case ${BYOD_BACKUP_REGISTRY:-sqlite} in
sqlite) ;;
pg)
	chmod 0711 "$T"
	PG_DIR="$T/pg"
	sh "$BYOD_SRC/scripts/pg-test-cluster" start "$PG_DIR" >"$T/pg-start.log" 2>&1 ||
		{ cat "$T/pg-start.log" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }
	trap 'sh "$BYOD_SRC/scripts/pg-test-cluster" stop "$PG_DIR" >/dev/null 2>&1; rm -rf "$T"' EXIT
	PG_URL=$(sh "$BYOD_SRC/scripts/pg-test-cluster" url "$PG_DIR")
	"$BYODCTL" registry copy --to "$PG_URL" >"$T/copy.out" 2>&1 ||
		{ cat "$T/copy.out" >&2; echo "registry copy failed" >&2; exit 1; }
	sed -i "s|^  # url: \"\"$|  url: \"${PG_URL//&/\\&}\"|" "$BYOD_HOME/byod.conf"
	mv "$BYOD_HOME/registry.db" "$T/before-copy.db"
	rm -f "$BYOD_HOME"/registry.db-*
	psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE DATABASE byod_restored" ||
		{ echo "cannot create the second database" >&2; exit 1; }
	PG_URL2=${PG_URL/\/byod\?/\/byod_restored?}
	case $PG_URL2 in *byod_restored*) ;; *) echo "cannot name the second database in $PG_URL" >&2; exit 1 ;; esac
	;;
*) echo "BYOD_BACKUP_REGISTRY must be sqlite or pg" >&2; exit 1 ;;
esac

printf 'une phrase de passe assez longue\n' >"$T/pass"
printf 'une autre phrase, mauvaise\n' >"$T/wrong"
chmod 600 "$T/pass" "$T/wrong"
B="$T/bk/school.byod-backup"
mkdir -p "$T/bk"

# the passphrase: 12 characters at least, never on the command line
expect_fail "an 11-character passphrase" "too short" \
	env BYOD_BACKUP_PASSPHRASE="abcdefghijk" "$BYODCTL" backup --out "$B"
expect_fail "no passphrase" "no passphrase" env -u BYOD_BACKUP_PASSPHRASE "$BYODCTL" backup --out "$B"
expect_fail "a passphrase on argv" "never taken from the command line" "$BYODCTL" backup --out "$B" \
	--passphrase "une phrase de passe assez longue"
check "nothing written for them" test ! -e "$B"
check "the passphrase given on argv is not echoed" sh -c "! grep -q assez '$T/err'"

# 12 characters, not 12 bytes: "éééééééééééé" is 24 bytes
expect_ok "backup from the environment (12 accented characters)" \
	env BYOD_BACKUP_PASSPHRASE="éééééééééééé" "$BYODCTL" backup --out "$T/bk/env.byod-backup"
expect_fail "11 accented characters (22 bytes)" "too short" \
	env BYOD_BACKUP_PASSPHRASE="ééééééééééé" "$BYODCTL" backup --out "$T/bk/env2.byod-backup"

expect_ok "backup" "$BYODCTL" backup --out "$B" --passphrase-file "$T/pass" --json
check "the backup says its backend" test "$(json 'd["backend"]' <"$T/out")" = \
	"$([ -n "$PG_DIR" ] && echo postgres || echo sqlite)"
check "the backup is 0600" test "$(stat -c %a "$B")" = 600
check "no FILE.tmp left" test ! -e "$B.tmp"
check "no working directory left" sh -c "! ls -a '$T/bk' | grep -q '^\.byod-backup'"
tar xOf "$B" MANIFEST.json >"$T/manifest.json" 2>/dev/null
check "the manifest names the school" test "$(json 'd["school"]' <"$T/manifest.json")" = 0131234W
check "the manifest has a checksum for byod.conf" test "$(json \
	'[m["sha256"] for m in d["members"] if m["name"]=="home/byod.conf"][0]' \
	<"$T/manifest.json")" = "$(sha256sum "$BYOD_HOME/byod.conf" | cut -d' ' -f1)"

# no private key in clear: not its armour, not one line of its base64
check "no PEM private-key armour in the archive" sh -c "! grep -aq 'PRIVATE KEY' '$B'"
for k in "$BYOD_HOME"/pki/*.key; do
	leaked=0
	while read -r line; do
		case $line in -----*) continue ;; esac
		if grep -aqF -- "$line" "$B"; then leaked=1; fi
	done <"$k"
	if [ "$leaked" = 0 ]; then ok; else ko "a base64 line of $(basename "$k") is in the archive"; fi
done
# the test must be able to see a key: the same grep finds it in a plain tar
tar cf "$T/plain.tar" -C "$BYOD_HOME" pki/ca.key
line=$(sed -n 2p "$BYOD_HOME/pki/ca.key")
check "the key's line is found in a plain tar (the grep works)" grep -aqF -- "$line" "$T/plain.tar"

sums() { (cd "$1" && find . -path ./registry.db -prune -o -path './registry.db-*' -prune -o \
	-type f -print0 | sort -z | xargs -0 sha256sum); }
sums "$BYOD_HOME" >"$T/home.sums"

# nothing written: not the target, not a staging directory beside it
nothing_written() { test ! -e "$T/r/new" && ! ls -a "$T/r" | grep -q '^\.byod-restore'; }
mkdir -p "$T/r"
expect_fail "a wrong passphrase" "wrong passphrase" \
	"$BYODCTL" restore "$B" --home "$T/r/new" --passphrase-file "$T/wrong"
check "nothing written after a wrong passphrase" nothing_written
expect_fail "a short passphrase at restore" "too short" \
	env BYOD_BACKUP_PASSPHRASE=short "$BYODCTL" restore "$B" --home "$T/r/new"

size=$(stat -c %s "$B")
head -c $((size / 2)) "$B" >"$T/half"
expect_fail "a truncated archive" "truncated" \
	"$BYODCTL" restore "$T/half" --home "$T/r/new" --passphrase-file "$T/pass"
check "nothing written after a truncated archive" nothing_written
head -c $((size - 2000)) "$B" >"$T/cut"
expect_fail "an archive cut near its end" "truncated|damaged" \
	"$BYODCTL" restore "$T/cut" --home "$T/r/new" --passphrase-file "$T/pass"
check "nothing written after a cut archive" nothing_written
printf 'not a backup at all\n' >"$T/junk"
expect_fail "a file that is no backup" "not a BYOD backup" \
	"$BYODCTL" restore "$T/junk" --home "$T/r/new" --passphrase-file "$T/pass"

# one byte of the encrypted payload, then one byte of the manifest, altered
python3 - "$B" "$T/tampered-payload" "$T/tampered-manifest" <<'PY'
import sys, tarfile
src, out_p, out_m = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
with tarfile.open(src) as t:
    members = {m.name: m for m in t.getmembers()}
p = members["payload.bin"]
d = bytearray(data)
d[p.offset_data + p.size // 2] ^= 0x01
open(out_p, "wb").write(d)
m = members["MANIFEST.json"]
d = bytearray(data)
i = d.index(b'"school": "0131234W"', m.offset_data)
d[i + 18] = ord("X")   # 0131234W -> 0131234X, same length
open(out_m, "wb").write(d)
PY
expect_fail "a byte of the payload altered" "damaged" \
	"$BYODCTL" restore "$T/tampered-payload" --home "$T/r/new" --passphrase-file "$T/pass"
check "nothing written after an altered payload" nothing_written
expect_fail "the manifest altered" "damaged" \
	"$BYODCTL" restore "$T/tampered-manifest" --home "$T/r/new" --passphrase-file "$T/pass"
check "nothing written after an altered manifest" nothing_written

# over an existing HOME: refused, the HOME as it was
expect_fail "restore over the existing HOME" "already exists" \
	"$BYODCTL" restore "$B" --home "$BYOD_HOME" --passphrase-file "$T/pass"
sums "$BYOD_HOME" >"$T/home.sums2"
check "the existing HOME is untouched" cmp -s "$T/home.sums" "$T/home.sums2"

# the round trip
pg_opt=()
[ -n "$PG_DIR" ] && pg_opt=(--registry-url "$PG_URL2")
expect_ok "restore into a new directory" "$BYODCTL" restore "$B" --home "$T/r/new" \
	--passphrase-file "$T/pass" "${pg_opt[@]}" --json
check "the restore reports the schema" test "$(json 'd["schema-after"]' <"$T/out")" -ge 1
sums "$T/r/new" >"$T/new.sums"
if [ -z "$PG_DIR" ]; then
	check "the same files, byte for byte" cmp -s "$T/home.sums" "$T/new.sums"
else
	# byod.conf was rewritten with the new registry.url: the other files the same
	check "the same files but byod.conf" cmp -s <(grep -v byod.conf "$T/home.sums") \
		<(grep -v byod.conf "$T/new.sums")
	check "the restored byod.conf names the new database" \
		grep -q "byod_restored" "$T/r/new/byod.conf"
fi
check "the CA key is 0600" test "$(stat -c %a "$T/r/new/pki/ca.key")" = 600
check "the HOME keeps its mode" test "$(stat -c %a "$T/r/new")" = "$(stat -c %a "$BYOD_HOME")"
check "pki/ keeps its mode" test "$(stat -c %a "$T/r/new/pki")" = "$(stat -c %a "$BYOD_HOME/pki")"
expect_ok "the restored registry lists lea's phone" "$BYODCTL" --home "$T/r/new" device list --json
check "lea's phone is there" grep -q "$lea" "$T/out"
expect_ok "the restored HOME enrols" "$BYODCTL" --home "$T/r/new" device enrol ines.petit \
	--name phone-ines --kind phone --out "$T/ines"

if [ -z "$PG_DIR" ]; then
	# --force: the old HOME moved aside, not deleted
	expect_ok "restore --force over a HOME" "$BYODCTL" restore "$B" --home "$T/r/new" \
		--passphrase-file "$T/pass" --force
	check "the old HOME moved aside" sh -c "ls -d '$T'/r/new.before-restore-* >/dev/null"
	check "the enrolment after the backup is in the HOME moved aside" \
		sh -c "'$BYODCTL' --home \"\$(ls -d '$T'/r/new.before-restore-* | head -1)\" device list | grep -q phone-ines"
	check "and not in the restored one" sh -c "! '$BYODCTL' --home '$T/r/new' device list | grep -q phone-ines"

	# the format read by a second implementation (Python's hashlib.scrypt and
	# cryptography's AESGCM): the passphrase check, the payload, each checksum;
	# then an older backup made from it (its registry taken back to schema 14,
	# before the OAuth tables) and restored: the migrations bring it up
	python3 - "$B" "$T/bk/old.byod-backup" "$T/pass" "$T" >"$T/py.out" 2>&1 <<'PY'
import hashlib, hmac, io, json, os, sqlite3, sys, tarfile
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
src, dst, passfile, work = sys.argv[1:5]
pw = open(passfile, "rb").read().split(b"\n")[0]
with tarfile.open(src) as t:
    raw = t.extractfile("MANIFEST.json").read()
    payload = t.extractfile("payload.bin").read()
m = json.loads(raw)
k = m["kdf"]
key = hashlib.scrypt(pw, salt=bytes.fromhex(k["salt"]), n=k["n"], r=k["r"], p=k["p"],
                     maxmem=1100 * 2**20, dklen=64)
assert hmac.new(key[32:], b"byod-backup passphrase check", "sha256").hexdigest() == m["key-check"]
inner = AESGCM(key[:32]).decrypt(bytes.fromhex(m["iv"]), payload, raw)
files = {}
with tarfile.open(fileobj=io.BytesIO(inner)) as t:
    for ti in t.getmembers():
        files[ti.name] = t.extractfile(ti).read()
for mem in m["members"]:
    if mem["type"] == "file":
        assert hashlib.sha256(files[mem["name"]]).hexdigest() == mem["sha256"], mem["name"]
print("read", len(files), "members")
if m["schema"] != 16:
    sys.exit("the downgrade knows schema 16 only; this registry is at %d" % m["schema"])
db = os.path.join(work, "old.db")
open(db, "wb").write(files["registry/snapshot.db"])
c = sqlite3.connect(db)
c.executescript("DROP TABLE once_keys; DROP INDEX people_source;"
                "ALTER TABLE people DROP COLUMN source; ALTER TABLE admins DROP COLUMN source;"
                "DROP TABLE oauth_requests; DROP TABLE oauth_tokens; DROP TABLE oauth_codes;"
                "DROP TABLE oauth_grants; PRAGMA user_version = 14;")
c.close()
files["registry/snapshot.db"] = open(db, "rb").read()
m["schema"] = 14
for mem in m["members"]:
    if mem["type"] == "file":
        mem["size"] = len(files[mem["name"]])
        mem["sha256"] = hashlib.sha256(files[mem["name"]]).hexdigest()
bio = io.BytesIO()
with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
    for mem in m["members"]:
        if mem["type"] == "file":
            ti = tarfile.TarInfo(mem["name"]); ti.size = mem["size"]; ti.mode = 0o600
            t.addfile(ti, io.BytesIO(files[mem["name"]]))
inner = bio.getvalue()
m["payload-size"] = len(inner)
iv = os.urandom(12)
m["iv"] = iv.hex()
raw = json.dumps(m, indent=1).encode()
enc = AESGCM(key[:32]).encrypt(iv, inner, raw)
with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("MANIFEST.json", raw), ("payload.bin", enc)):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o600
        t.addfile(ti, io.BytesIO(data))
PY
	if [ $? = 0 ]; then ok; else ko "a second reader of the format: $(tail -3 "$T/py.out")"; fi
	expect_ok "restore of a backup at schema 14" "$BYODCTL" restore "$T/bk/old.byod-backup" \
		--home "$T/r/old" --passphrase-file "$T/pass" --json
	check "it says schema 14 before" test "$(json 'd["schema-before"]' <"$T/out")" = 14
	check "and migrated after" test "$(json 'd["schema-after"]' <"$T/out")" -gt 14
	check "the migration made the OAuth tables again" test "$(sqlite3 "$T/r/old/registry.db" \
		"SELECT count(*) FROM sqlite_master WHERE name = 'oauth_grants'")" = 1
	expect_ok "the migrated registry lists lea's phone" "$BYODCTL" --home "$T/r/old" device list
	check "lea's phone is there after the migration" grep -q phone-lea "$T/out"

	# a backup while others write: SQLite's online backup is one consistent snapshot
	(for i in $(seq 40); do "$BYODCTL" user add "w$i" --role student --school 0131234W \
		>/dev/null 2>&1; done) &
	writer=$!
	expect_ok "backup during writes" "$BYODCTL" backup --out "$T/bk/busy.byod-backup" \
		--passphrase-file "$T/pass"
	wait "$writer"
	expect_ok "restore of it" "$BYODCTL" restore "$T/bk/busy.byod-backup" --home "$T/r/busy" \
		--passphrase-file "$T/pass"
	check "its registry is sound" test "$(sqlite3 "$T/r/busy/registry.db" 'PRAGMA integrity_check')" = ok
else
	expect_fail "a second restore into the now full database" "already holds tables" \
		"$BYODCTL" restore "$B" --home "$T/r/again" --passphrase-file "$T/pass" \
		--registry-url "$PG_URL2"
	check "nothing written for it" test ! -e "$T/r/again"
	# pg_restore --clean would replace the rows before the rest is known to
	# work: a full database is refused with --force too
	expect_fail "...and with --force" "already holds tables" \
		"$BYODCTL" restore "$B" --home "$T/r/again" --passphrase-file "$T/pass" \
		--registry-url "$PG_URL2" --force
	check "nothing written for that either" test ! -e "$T/r/again"
	expect_fail "a --registry-url holding a password" "must not hold a password" \
		"$BYODCTL" restore "$B" --home "$T/r/again" --passphrase-file "$T/pass" \
		--registry-url "postgresql://byod:Sekr3t-pw@127.0.0.1/byod_restored"
fi
finish
