#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages, built, checked and used as an administrator would:
#  1. dpkg-buildpackage -us -uc -b on a copy of the tree (the files git
#     knows, committed or not) in build-deb/src; the packages land in
#     build-deb/. No network: the FreeRADIUS headers come from an earlier
#     build of this tree (build*/freeradius-headers), fetched once otherwise.
#  2. lintian over the .changes: any E: or W: not overridden fails.
#  3. apt-get install ./*.deb; the files, the user byod, freerad in its
#     group, /var/lib/byod 0750 byod:byod, the conffiles, no link made.
#  4. the demo school in /var/lib/byod (byodctl init, the demo accounts, a
#     teacher's laptop and a pupil's phone enrolled, the example policy,
#     the phone revoked); byod-common installed again over it (an upgrade:
#     the registry's migrations as the user byod); byodctl radius enable.
#  4b. the installed units under a real systemd as PID 1 in namespaces of
#     their own (tests/package/units.sh): byod-portal, byod-admin,
#     byod-gatewayd and Debian's freeradius.service over /var/lib/byod;
#     users, capabilities, answers, EAP-TLS, reload, stop.
#  5. the INSTALLED FreeRADIUS with the stock /etc/freeradius/3.0, in a
#     network namespace of its own (lo only): eapol_test with the laptop's
#     certificate -> SUCCESS and its VLAN 30; the revoked phone -> FAILURE;
#     an unknown MAC (MAB) -> what the policy says for unknown devices, the
#     registration VLAN 10.
#  6. apt-get purge: the module's links gone and the stock site default back,
#     /var/lib/byod kept (no .purge-ok), the user byod kept; then a purge
#     with /var/lib/byod/.purge-ok removes it.
# Run as root on a machine where no /var/lib/byod exists yet. Each step's
# time is printed; the whole run's at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
out=$top/build-deb
pkgs="byod-common byod-portal byod-admin byod-gatewayd freeradius-byod"
raddb=/etc/freeradius/3.0
home=/var/lib/byod
t0=$SECONDS
step() { printf '[%4ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
	echo "package-test: FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs and purges packages)"
# never touch a school's state that this test did not make
if [ -e "$home" ] && ! dpkg-query -W -f='${Status}' byod-common 2>/dev/null | grep -q installed; then
	fail "$home exists and byod-common is not installed: not ours, left alone"
fi

work=$(mktemp -d /tmp/byod-package-test.XXXXXX)
# apt and dpkg wait for each other's lock (another installation on the
# machine) instead of failing at once
apt() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; }
ns=byodpkg$$
radius_pid=
cleanup() {
	set +e
	if [ -n "$radius_pid" ]; then
		kill "$radius_pid" 2>/dev/null
		wait "$radius_pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	# a failed run leaves no package nor demo school behind
	if dpkg-query -W -f='${Status}\n' $pkgs 2>/dev/null | grep -q 'ok installed\|config-files'; then
		[ -d "$home" ] && touch "$home/.purge-ok"
		apt purge -y -qq $pkgs >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# packages left installed by an earlier run that was killed
if dpkg-query -W -f='${Status}\n' $pkgs 2>/dev/null | grep -q 'ok installed\|config-files'; then
	[ -d "$home" ] && touch "$home/.purge-ok"
	apt purge -y -qq $pkgs >/dev/null
fi

# ---- 1. build ----
# PACKAGE_TEST_REUSE=1: the packages of the last build, not built again
if [ "${PACKAGE_TEST_REUSE:-}" = 1 ] && ls "$out"/byod-gateway_*.changes >/dev/null 2>&1; then
	step "build: reusing build-deb/*.deb (PACKAGE_TEST_REUSE=1)"
else
	step "build: dpkg-buildpackage -us -uc -b in build-deb/src"
	mkdir -p "$out"
	rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
	fr_version=$(dpkg-query -W -f='${Version}' freeradius)
	headers=$out/freeradius-headers
	if [ "$(cat "$headers/freeradius/.version" 2>/dev/null)" != "$fr_version" ]; then
		rm -rf "$headers"
		for d in "$top"/build*/freeradius-headers; do
			if [ "$(cat "$d/freeradius/.version" 2>/dev/null)" = "$fr_version" ]; then
				cp -a "$d" "$headers"
				break
			fi
		done
		# the first build on this machine: fetched once (network)
		[ -d "$headers" ] || scripts/fetch-freeradius-headers "$headers"
	fi
	mkdir "$out/src"
	git ls-files -co --exclude-standard -z | grep -zv '^build-deb/' |
		tar --null -T - -cf - | tar -xf - -C "$out/src"
	if ! (cd "$out/src" && BYOD_FR_HEADERS=$headers \
		DEB_BUILD_OPTIONS="noautodbgsym parallel=2" dpkg-buildpackage -us -uc -b) \
		>"$out/build.log" 2>&1; then
		tail -40 "$out/build.log"
		fail "dpkg-buildpackage (build-deb/build.log)"
	fi
fi
changes=$(ls "$out"/byod-gateway_*.changes)
for p in $pkgs; do
	ls "$out/${p}_"*.deb >/dev/null || fail "no package $p"
done

step "built: $(cd "$out" && ls ./*.deb | tr '\n' ' ')"

# ---- 2. lintian ----
step "lintian"
if ! lintian --fail-on error,warning --allow-root "$changes" >"$out/lintian.log" 2>&1; then
	cat "$out/lintian.log"
	fail "lintian"
fi
cat "$out/lintian.log"

# ---- 3. install ----
debs=$(for p in $pkgs; do echo "./${p}_"*.deb; done)
step "apt-get install $(echo $debs)"
# shellcheck disable=SC2086
(cd "$out" && apt install -y -qq $debs) \
	>"$work/install.log" 2>&1 || {
	cat "$work/install.log"
	fail "apt-get install"
}
for f in /usr/bin/byodctl /usr/sbin/byod-portal /usr/sbin/byod-admin /usr/sbin/byod-gatewayd \
	/usr/lib/freeradius/rlm_byod.so /usr/share/byod/raddb/radiusd.conf \
	/usr/share/byod/locale/fr.mo /usr/share/byod/admin/fr.mo \
	$raddb/mods-available/byod $raddb/mods-available/byod_eap $raddb/sites-available/byod \
	/usr/share/man/man1/byodctl.1.gz /usr/share/man/man8/byod-portal.8.gz \
	/usr/share/man/man8/byod-admin.8.gz /usr/share/man/man8/byod-gatewayd.8.gz \
	/lib/systemd/system/byod-portal.service /lib/systemd/system/byod-admin.service \
	/lib/systemd/system/byod-gatewayd.service; do
	[ -e "$f" ] || fail "$f not installed"
done
getent passwd byod >/dev/null || fail "no user byod"
[ "$(id -u byod)" -lt 1000 ] || fail "byod is not a system user"
id -nG freerad | grep -qw byod || fail "freerad is not in the group byod"
[ "$(stat -c '%a %U:%G' "$home")" = "750 byod:byod" ] ||
	fail "$home is $(stat -c '%a %U:%G' "$home"), not 750 byod:byod"
conffiles=$(dpkg-query -W -f='${Conffiles}' freeradius-byod)
for f in mods-available/byod mods-available/byod_eap sites-available/byod; do
	grep -q " $raddb/$f " <<<"$conffiles" || fail "$raddb/$f is not a conffile"
done
for l in mods-enabled/byod mods-enabled/byod_eap sites-enabled/byod; do
	[ ! -e "$raddb/$l" ] || fail "the package made $raddb/$l"
done
/usr/bin/byodctl --help >"$work/help.txt"
grep -q "radius enable|disable" "$work/help.txt" || fail "byodctl has no radius enable"
systemd-analyze verify /lib/systemd/system/byod-portal.service \
	/lib/systemd/system/byod-admin.service /lib/systemd/system/byod-gatewayd.service \
	>"$work/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.log")"
step "installed: files, user byod, freerad in byod, $home 0750, conffiles, no link, units verified"

# ---- 4. the demo school ----
step "demo school in $home"
/usr/bin/byodctl radius enable >"$work/enable-early.txt" 2>&1 &&
	fail "radius enable before byodctl init succeeded"
grep -q "byodctl init" "$work/enable-early.txt" || fail "radius enable: $(cat "$work/enable-early.txt")"
# as root, as an administrator would: what init makes in the package's
# /var/lib/byod is byod's without a chown
/usr/bin/byodctl init --school 0131234W --name "Collège des Calanques (démo)" >"$work/init.txt"
grep -q "belong to byod:byod" "$work/init.txt" || fail "init did not hand $home to byod: $(cat "$work/init.txt")"
[ -z "$(find "$home" ! -user byod)" ] || fail "init left files of another user in $home"
install -d -o byod -g byod -m 0700 "$work/devices"
cp examples/demo-accounts.csv examples/policy.yaml "$work/"
chmod 0644 "$work"/*.csv "$work"/*.yaml
chmod 0755 "$work"
as_byod() { runuser -u byod -- /usr/bin/byodctl "$@"; }
as_byod user import "$work/demo-accounts.csv" >/dev/null
as_byod policy apply "$work/policy.yaml" --comment "package test" >/dev/null
as_byod device enrol m.durand --name "Portable de M. Durand" --kind laptop \
	--out "$work/devices" >"$work/durand.txt"
as_byod device enrol lea.martin --name "Téléphone de Léa" --kind phone \
	--mac 02:00:00:00:aa:01 --out "$work/devices" >"$work/lea.txt"
durand=$(awk '/^device:/ {print $2}' "$work/durand.txt")
lea=$(awk '/^device:/ {print $2}' "$work/lea.txt")
as_byod device revoke "$lea" --reason lost >/dev/null
as_byod registry migrate >"$work/migrate.txt"
grep -Eq "the registry.s schema (is|migrated)" "$work/migrate.txt" || fail "registry migrate"
# an upgrade (postinst configure with the version before) migrates the
# registry as the user byod: the same package installed over itself
step "upgrade: byod-common configured again over the demo school"
(cd "$out" && apt install -y --reinstall ./byod-common_*.deb) >"$work/upgrade.log" 2>&1 || {
	cat "$work/upgrade.log"
	fail "byod-common installed again over itself"
}
grep -Eq "the registry.s schema (is version|migrated)" "$work/upgrade.log" ||
	fail "the upgrade did not run the registry's migrations: $(cat "$work/upgrade.log")"
[ -z "$(find "$home" ! -user byod)" ] || fail "the upgrade left files of another user in $home"

step "byodctl radius enable"
/usr/bin/byodctl radius enable >"$work/enable.txt"
/usr/bin/byodctl radius enable >>"$work/enable.txt" # twice: nothing more
[ "$(readlink $raddb/mods-enabled/byod)" = ../mods-available/byod ] || fail "no mods-enabled/byod"
[ "$(readlink $raddb/sites-enabled/byod)" = ../sites-available/byod ] || fail "no sites-enabled/byod"
[ ! -e $raddb/sites-enabled/default ] || fail "sites-enabled/default still there"
[ "$(stat -c %a "$home/pki/ca.key")" = 600 ] || fail "ca.key opened to the group"
runuser -u freerad -- test -r "$home/pki/radius.key" || fail "freerad cannot read radius.key"

# ---- 4b. the installed units under systemd ----
step "the installed units under systemd as PID 1 (tests/package/units.sh)"
tests/package/units.sh "$work" "$durand" >"$work/units.log" 2>&1 || {
	cat "$work/units.log"
	fail "the installed units under systemd"
}
tail -1 "$work/units.log"

# ---- 5. the installed FreeRADIUS ----
step "freeradius -f -d $raddb in network namespace $ns"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" freeradius -f -d $raddb -l stdout >"$work/radius.log" 2>&1 &
radius_pid=$!
for _ in $(seq 100); do
	grep -q "Ready to process requests" "$work/radius.log" && break
	kill -0 "$radius_pid" 2>/dev/null || {
		cat "$work/radius.log"
		fail "freeradius did not start"
	}
	sleep 0.1
done
grep -q "Ready to process requests" "$work/radius.log" || fail "freeradius not ready in 10 s"

eapol() { # NAME DEVICE MAC
	cat >"$work/eapol-$1.conf" <<EOC
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="$1"
	ca_cert="$home/pki/ca.pem"
	client_cert="$work/devices/$2.pem"
	private_key="$work/devices/$2.key"
	domain_match="radius.byod.lan"
	eapol_flags=0
}
EOC
	ip netns exec "$ns" eapol_test -c "$work/eapol-$1.conf" -a 127.0.0.1 -p 1812 \
		-s testing123 -M "$3" -t 10 >"$work/eapol-$1.log" 2>&1 || true
}
# the stock client localhost (127.0.0.1, secret testing123) of clients.conf
eapol durand "$durand" 02:00:00:00:dd:01
tail -1 "$work/eapol-durand.log" | grep -qx SUCCESS || {
	tail -30 "$work/eapol-durand.log"
	tail -30 "$work/radius.log"
	fail "EAP-TLS of the enrolled laptop through the installed FreeRADIUS"
}
grep -A1 "Attribute 81 " "$work/eapol-durand.log" | grep -q "Value: 3330" ||
	fail "the laptop's Access-Accept has no VLAN 30"
step "EAP-TLS, enrolled laptop: SUCCESS, VLAN 30"
eapol lea "$lea" 02:00:00:00:aa:01
tail -1 "$work/eapol-lea.log" | grep -qx FAILURE || fail "the revoked phone was not refused"
step "EAP-TLS, revoked phone: FAILURE"
printf 'User-Name = "02000000cc99"\nUser-Password = "02000000cc99"\nCalling-Station-Id = "02-00-00-00-CC-99"\nMessage-Authenticator = 0x00\n' |
	ip netns exec "$ns" radclient -x -t 3 -r 1 127.0.0.1:1812 auth testing123 >"$work/mab.log" 2>&1 || true
grep -q "Received Access-Accept" "$work/mab.log" && grep -q 'Tunnel-Private-Group-Id:0 = "10"' "$work/mab.log" || {
	cat "$work/mab.log"
	fail "an unknown MAC (MAB) was not put in the registration VLAN 10"
}
step "MAB, unknown MAC: Access-Accept, registration VLAN 10 (the policy's answer)"
kill "$radius_pid"
wait "$radius_pid" 2>/dev/null || true
radius_pid=
ip netns del "$ns"

# ---- 6. purge ----
step "apt-get purge"
apt purge -y -qq $pkgs >"$work/purge.log" 2>&1 || {
	cat "$work/purge.log"
	fail "apt-get purge"
}
for f in /usr/bin/byodctl /usr/lib/freeradius/rlm_byod.so $raddb/mods-available/byod \
	$raddb/sites-available/byod /usr/share/byod; do
	[ ! -e "$f" ] || fail "$f left after purge"
done
for l in mods-enabled/byod mods-enabled/byod_eap sites-enabled/byod; do
	[ ! -L "$raddb/$l" ] || fail "$raddb/$l left after purge"
done
[ "$(readlink $raddb/sites-enabled/default)" = ../sites-available/default ] ||
	fail "the stock site default was not put back"
[ -f "$home/registry.db" ] || fail "purge removed $home without .purge-ok"
getent passwd byod >/dev/null || fail "purge removed the user byod"
step "purged: programs, module and links gone, site default back, $home and user byod kept"
(cd "$out" && apt install -y -qq ./byod-common_*.deb) >/dev/null
touch "$home/.purge-ok"
apt purge -y -qq byod-common >"$work/purge2.log" 2>&1 || {
	cat "$work/purge2.log"
	fail "apt-get purge byod-common with $home/.purge-ok"
}
[ ! -e "$home" ] || fail "purge with .purge-ok kept $home"
step "purged with $home/.purge-ok: $home removed"
step "package-test: OK"
