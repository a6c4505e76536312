# SPDX-License-Identifier: GPL-2.0-or-later
# The raddb templates (radius-module/raddb) against what byodctl radius
# config writes from them: every template is copied and used, every
# ${byod_...} they refer to is defined by the written byod-vars.conf and
# every value there is used, and FreeRADIUS's own configuration check
# (freeradius -XC) reads the result with this school's values in place.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${RLM_BYOD_DIR:?RLM_BYOD_DIR must name the directory of rlm_byod.so}"
init_school
# the TLS session caches byodctl makes on tmpfs for the raddbs written here
trap 'for f in "$T"/raddb*/byod-vars.conf; do
	c=$(sed -n "s/^byod_tls_cache = \"\(.*\)\"\$/\1/p" "$f" 2>/dev/null)
	[ -n "$c" ] && [ "$c" != "${c#/dev/shm/byod-tlscache-}" ] && rm -rf "$c"
done; rm -rf "$T"' EXIT

TMPL="$BYOD_SRC/radius-module/raddb"
RADDB="$T/raddb"
secret=abcdefghijklmnop-raddb
expect_ok "radius config" sh -c "echo '$secret' | \"\$0\" radius config --out '$RADDB' \
	--auth-port 21645 --acct-port 21646 --listen 127.0.0.1 --client 127.0.0.2 \
	--registration-vlan 17 --libdir '$RLM_BYOD_DIR:/usr/lib/freeradius' --secret-stdin" \
	"$BYODCTL"

# out = the written name of a template: mods-available/x -> mods-enabled/x
written() { sed -e 's|^mods-available/|mods-enabled/|' -e 's|^sites-available/|sites-enabled/|' <<<"$1"; }

# every template, and nothing else but byod-vars.conf and secret, is in the raddb
n=0
while IFS= read -r f; do
	n=$((n + 1))
	check "template $f is written as $(written "$f"), as it is" \
		cmp "$TMPL/$f" "$RADDB/$(written "$f")"
done < <(cd "$TMPL" && find . -type f -printf '%P\n' | sort)
check "there are templates" test "$n" -ge 6
while IFS= read -r f; do
	case $f in
	byod-vars.conf | secret) ok ;;
	*)
		src=$(sed -e 's|^mods-enabled/|mods-available/|' -e 's|^sites-enabled/|sites-available/|' <<<"$f")
		check "$f comes from a template" test -f "$TMPL/$src"
		;;
	esac
done < <(cd "$RADDB" && find . -type f -printf '%P\n' | sort)

# the variables: each one referred to is defined, each one defined is used
grep -rhoE '\$\{byod_[a-z_]+\}' "$TMPL" | sed 's/^\${//; s/}$//' | sort -u >"$T/used"
sed -nE 's/^(byod_[a-z_]+) = .*/\1/p' "$RADDB/byod-vars.conf" | sort -u >"$T/defined"
check "some variables are used" test -s "$T/used"
check "every \${byod_...} of the templates is in byod-vars.conf, and no other" \
	diff "$T/used" "$T/defined"
check "radiusd.conf includes byod-vars.conf before anything else" \
	test "$(grep -v '^#' "$TMPL/radiusd.conf" | head -1)" = '$INCLUDE byod-vars.conf'

# the secret: in byod-vars.conf and secret only, neither readable by others
check "secret file" test "$(cat "$RADDB/secret")" = "$secret"
check "the secret is in no template copy" \
	test -z "$(grep -rl -- "$secret" "$RADDB" | grep -v -e '/byod-vars.conf$' -e '/secret$')"
check "byod-vars.conf is 0600" test "$(stat -c %a "$RADDB/byod-vars.conf")" = 600
check "secret is 0600" test "$(stat -c %a "$RADDB/secret")" = 600

# FreeRADIUS reads it, and sees this school's values where the templates
# refer to them (the debug output prints every parsed item)
freeradius -XC -d "$RADDB" >"$T/xc" 2>&1
check "freeradius -XC: configuration OK ($(tail -3 "$T/xc" | tr '\n' ' '))" \
	grep -q 'Configuration appears to be OK' "$T/xc"
home=$(realpath "$BYOD_HOME")
xc() { grep -qF -- "$1" "$T/xc"; }
check "auth port" xc "port = 21645"
check "acct port" xc "port = 21646"
check "listen address" xc "ipaddr = 127.0.0.1"
check "client address" xc "ipaddr = 127.0.0.2"
check "rlm_byod's home" xc "home = \"$home\""
check "rlm_byod's registration VLAN" xc "registration_vlan = 17"
check "the CA" xc "ca_file = \"$home/pki/ca.pem\""
check "the server certificate" xc "certificate_file = \"$home/pki/radius.pem\""
check "libdir" xc "libdir = \"$RLM_BYOD_DIR:/usr/lib/freeradius\""
cache=$(sed -n 's/^byod_tls_cache = "\(.*\)"$/\1/p' "$RADDB/byod-vars.conf")
if [ -d /dev/shm ]; then
	check "the TLS cache on tmpfs, /dev/shm ($cache)" test "${cache#/dev/shm/byod-tlscache-}" != "$cache"
else
	check "the TLS cache in the raddb without /dev/shm" test "$cache" = "$(realpath "$RADDB")/tlscache"
fi
check "...the eap module's persist_dir" xc "persist_dir = \"$cache\""
check "...looked after by rlm_byod" xc "tls_cache_dir = \"$cache\""
check "the server sends its certificate alone (auto_chain = no)" xc "auto_chain = no"
check "no CRL: rlm_byod checks every serial" xc "check_crl = no"

check "rlm_byod is loaded" xc "Loaded module rlm_byod"
check "check-eap-tls is a server" xc "server check-eap-tls {"
check "no secret in the debug output" test -z "$(grep -F -- "$secret" "$T/xc")"

# the checks above can fail: a template referring to a variable byodctl
# does not write, or a missing template
cp -r "$TMPL" "$T/bad"
sed -i 's/\${byod_registration_vlan}/${byod_registration_segment}/' "$T/bad/mods-available/byod"
expect_ok "radius config from other templates" sh -c "echo '$secret' | \"\$0\" radius config \
	--out '$T/raddb-bad' --auth-port 21645 --acct-port 21646 --templates '$T/bad' \
	--libdir '$RLM_BYOD_DIR:/usr/lib/freeradius' --secret-stdin" "$BYODCTL"
check "freeradius -XC refuses an unknown variable" \
	sh -c "! freeradius -XC -d '$T/raddb-bad' >'$T/xc-bad' 2>&1"
check "...and names it" grep -q 'byod_registration_segment' "$T/xc-bad"
rm "$T/bad/sites-available/check-eap-tls"
expect_fail "a missing template" "sites-available/check-eap-tls" \
	"$BYODCTL" radius config --out "$T/raddb-bad2" --auth-port 21645 --acct-port 21646 \
	--templates "$T/bad"
check "...before anything is written" test ! -e "$T/raddb-bad2"
expect_fail "a path FreeRADIUS cannot quote" "quotes" \
	"$BYODCTL" radius config --out "$T/raddb-bad3" --auth-port 21645 --acct-port 21646 \
	--libdir '/x"y'
finish
