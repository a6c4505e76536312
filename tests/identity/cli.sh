#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl identity test and sync against the real slapd that
# tests/identity/ldap.sh starts (it exports BYOD_LDAP_* and runs this script
# in its test program's place): a pupil's sign-in tried with the password on
# standard input prints the mapped person and creates nothing; each refusal
# has its exit status (1 the password, 3 the mapping, 4 the source, 2 usage);
# sync --dry-run lists who would leave and writes nothing, sync gives them a
# leaving date with an audit entry.
set -uo pipefail
: "${BYOD_LDAP_URL:?run by tests/identity/ldap.sh}"
. "$BYOD_SRC/tests/cli/lib.sh"
UAI=0123456A
PEOPLE="ou=people,dc=college,dc=test"
"$BYODCTL" init --school "$UAI" --name "Collège du test" >/dev/null || { echo "init failed" >&2; exit 1; }
cat >>"$BYOD_HOME/byod.conf" <<CONF

identity:
  college:
    url: "$BYOD_LDAP_URL"
    ca-file: "$BYOD_LDAP_CA"
    user-dn: "uid=%s,$PEOPLE"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student, National_ENS=teacher"
    school-attribute: ENTPersonStructRattach
    class-attribute: ENTEleveClasses
  annuaire:
    url: "$BYOD_LDAPS_URL"
    ca-file: "$BYOD_LDAP_CA"
    bind: search
    base-dn: "$PEOPLE"
    service-dn: "cn=byod-svc,ou=services,dc=college,dc=test"
    service-password-file: "$BYOD_LDAP_SVC_PW"
    role-attribute: ENTPersonProfils
    roles: "National_ELV=student, National_ENS=teacher"
    school-attribute: ENTPersonStructRattach
  silent:
    url: "$BYOD_LDAP_SILENT_URL"
    ca-file: "$BYOD_LDAP_CA"
    timeout-s: 1
    user-dn: "uid=%s,$PEOPLE"
    roles: "National_ELV=student"
    role-attribute: ENTPersonProfils
    school-attribute: ENTPersonStructRattach
CONF

# status DESCRIPTION WANT CMD...: CMD's exit status must be WANT
status() {
	local what=$1 want=$2 got; shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" = "$want" ]; then ok; else ko "$what: exit $got, not $want: $(cat "$T/err")"; fi
}
people() { "$BYODCTL" user list --json | json 'len(d)'; }

status "a pupil's sign-in tried" 0 \
	"$BYODCTL" identity test college alice.martin <<<"Secret-alice.martin"
check "the role printed" grep -Eq '^role: +student$' "$T/out"
check "the school printed" grep -Eq "^school: +$UAI\$" "$T/out"
check "the classes printed" grep -Eq '^classes: +3A$' "$T/out"
check "what a sign-in would do" grep -q 'would create the account' "$T/out"
check "nothing created" [ "$(people)" = 0 ]
check "no audit of a sign-in" bash -c "! '$BYODCTL' audit --json | grep -q identity.login"
check "the password in no output" bash -c "! grep -q Secret-alice '$T/out' '$T/err'"
status "a wrong password" 1 "$BYODCTL" identity test college alice.martin <<<"Wrong-1"
status "a login that cannot be one" 1 "$BYODCTL" identity test college 'a*' <<<"x"
status "no UAI: the mapping refuses" 3 "$BYODCTL" identity test college noua.i <<<"Secret-noua.i"
check "the mapping's reason said" grep -q 'no school' "$T/err"
status "a source that never answers" 4 "$BYODCTL" identity test silent alice.martin <<<"x"
status "an unknown source" 2 "$BYODCTL" identity test nosuch alice.martin <<<"x"
status "no password on stdin" 2 "$BYODCTL" identity test college alice.martin </dev/null
status "the password never in argv" 2 "$BYODCTL" identity test college alice.martin Secret-alice.martin

# sync: a person of the source the directory does not have
printf 'Local-1\n' | "$BYODCTL" user add some.local --role student --school "$UAI" \
	--password-stdin >/dev/null
status "sync of a source without a service account" 1 "$BYODCTL" identity sync college
status "sync --dry-run" 0 "$BYODCTL" identity sync annuaire --dry-run
check "the directory listed" grep -Eq 'lists [0-9]+ people; 0 of the 0 active' "$T/out"
check "a local account is not the source's" bash -c "! grep -q some.local '$T/out'"
check "nothing written" [ "$(people)" = 1 ]
finish
