# SPDX-License-Identifier: GPL-2.0-or-later
# byodctl radius enable|disable on a copy of this machine's stock FreeRADIUS
# configuration (/etc/freeradius/3.0) with the files the package
# freeradius-byod puts there (radius-module/stock): each refusal in one
# sentence, the links made and undone, idempotent, the site default taken
# out and put back, the group given what the module reads (never ca.key),
# and FreeRADIUS's own check (freeradius -XC) loading byod, byod_eap and the
# site byod. The package itself is tested by make package-test.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${RLM_BYOD_DIR:?RLM_BYOD_DIR must name the directory of rlm_byod.so}"
STOCK=/etc/freeradius/3.0
RADDB="$T/raddb"

expect_fail "no FreeRADIUS configuration there" "is not a FreeRADIUS configuration" \
	"$BYODCTL" radius enable --raddb "$T/nothing"
cp -a "$STOCK" "$RADDB"
rm -f "$RADDB"/mods-available/byod* "$RADDB"/sites-available/byod "$RADDB/.byod-default-site"
expect_fail "the package's files missing" "install the package freeradius-byod" \
	"$BYODCTL" radius enable --raddb "$RADDB"
cp "$BYOD_SRC"/radius-module/stock/mods-available/* "$RADDB/mods-available/"
cp "$BYOD_SRC"/radius-module/stock/sites-available/* "$RADDB/sites-available/"
sed -i "s|/var/lib/byod|$BYOD_HOME|g" "$RADDB"/mods-available/byod*
# /run/freeradius is the unit's RuntimeDirectory, absent here
sed -i "s|/run/freeradius/byod-tlscache|$T/run/byod-tlscache|g" "$RADDB"/mods-available/byod*
mkdir -p "$T/run"
export BYOD_RLM_BYOD="$T/no-module.so"
expect_fail "the module missing" "no-module.so is missing: install the package" \
	"$BYODCTL" radius enable --raddb "$RADDB"
export BYOD_RLM_BYOD="$RLM_BYOD_DIR/rlm_byod.so"
mkdir -p "$BYOD_HOME"
expect_fail "before byodctl init" "run byodctl init first" "$BYODCTL" radius enable --raddb "$RADDB"
rmdir "$BYOD_HOME"
init_school

expect_ok "enable" "$BYODCTL" radius enable --raddb "$RADDB"
check "mods-enabled/byod" test "$(readlink "$RADDB/mods-enabled/byod")" = ../mods-available/byod
check "mods-enabled/byod_eap" test "$(readlink "$RADDB/mods-enabled/byod_eap")" = \
	../mods-available/byod_eap
check "sites-enabled/byod" test "$(readlink "$RADDB/sites-enabled/byod")" = ../sites-available/byod
check "the site default taken out" test ! -e "$RADDB/sites-enabled/default"
check "inner-tunnel left" test -L "$RADDB/sites-enabled/inner-tunnel"
check "the default site's target kept" grep -qx ../sites-available/default \
	"$RADDB/.byod-default-site"
check "ca.key stays its owner's" test "$(stat -c %a "$BYOD_HOME/pki/ca.key")" = 600
check "radius.key readable by the group" test "$(stat -c %a "$BYOD_HOME/pki/radius.key")" = 640
check "pki entered by the group" test "$(stat -c %a "$BYOD_HOME/pki")" = 750
check "the registry writable by the group" test "$(stat -c %a "$BYOD_HOME/registry.db")" = 660
check "HOME group-writable and setgid" test "$(stat -c %a "$BYOD_HOME")" = 2770
check "no TLS session cache in HOME (tmpfs, FreeRADIUS's runtime directory)" test ! -e "$BYOD_HOME/radius-tlscache"
ls -l "$RADDB/mods-enabled" "$RADDB/sites-enabled" >"$T/before"
expect_ok "enable again" "$BYODCTL" radius enable --raddb "$RADDB"
ls -l "$RADDB/mods-enabled" "$RADDB/sites-enabled" >"$T/after"
check "enable again changes nothing" cmp "$T/before" "$T/after"

# FreeRADIUS's own check of the stock configuration with the module in it
# (as root here: the copy's user and group lines out, the build's module)
sed -i -e "s|^raddbdir = .*|raddbdir = $RADDB|" \
	-e "s|^libdir = .*|libdir = $RLM_BYOD_DIR:/usr/lib/freeradius|" \
	-e '/^[[:space:]]*user = /d' -e '/^[[:space:]]*group = /d' "$RADDB/radiusd.conf"
freeradius -XC -d "$RADDB" >"$T/xc" 2>&1
check "freeradius -XC: configuration OK ($(tail -3 "$T/xc" | tr '\n' ' '))" \
	grep -q "Configuration appears to be OK" "$T/xc"
check "the module byod instantiated" grep -q 'Instantiating module "byod" from file' "$T/xc"
check "its TLS session cache made 0700" test "$(stat -c %a "$T/run/byod-tlscache")" = 700
check "...the one byod_eap's persist_dir names" \
	grep -qF "persist_dir = \"$T/run/byod-tlscache\"" "$T/xc"
check "byod_eap with the school CA" grep -q "ca_file = \"$BYOD_HOME/pki/ca.pem\"" "$T/xc"
check "the site byod" grep -q "^server byod {" "$T/xc"

expect_ok "disable" "$BYODCTL" radius disable --raddb "$RADDB"
for l in mods-enabled/byod mods-enabled/byod_eap sites-enabled/byod; do
	check "$l removed" test ! -L "$RADDB/$l"
done
check "the site default back" test "$(readlink "$RADDB/sites-enabled/default")" = \
	../sites-available/default
check "the note gone" test ! -e "$RADDB/.byod-default-site"
expect_ok "disable again" "$BYODCTL" radius disable --raddb "$RADDB"
check "default still there" test -L "$RADDB/sites-enabled/default"

ln -s /dev/null "$RADDB/mods-enabled/byod"
expect_fail "a link of someone else's" "is not the link to ../mods-available/byod: move it away" \
	"$BYODCTL" radius enable --raddb "$RADDB"
finish
