# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units in deploy/systemd/: systemd-analyze verify finds nothing
# to say of them (their ExecStart pointed at this build's programs), each
# scores under its threshold in systemd-analyze security --offline, the
# README's table shows the scores systemd computes, and the options the
# daemons rely on are there: Type=notify, a watchdog, a reload by SIGHUP,
# user byod, BYOD_HOME, and no capability but CAP_NET_ADMIN for the gateway.
: "${BYOD_SRC:?}" "${BYOD_PORTAL:?}" "${BYOD_ADMIN:?}" "${BYOD_GATEWAYD:?}"
set -uo pipefail
passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok; else ko "$what"; fi; }
T=$(mktemp -d "${BYOD_TEST_TMP:-/tmp}/units.XXXXXX")
trap 'rm -rf "$T"' EXIT

# the exposure each unit must stay under, x10 (systemd-analyze's --threshold)
declare -A THRESHOLD=([byod-portal]=12 [byod-admin]=12 [byod-gatewayd]=16)
declare -A BIN=([byod-portal]=$BYOD_PORTAL [byod-admin]=$BYOD_ADMIN [byod-gatewayd]=$BYOD_GATEWAYD)

for u in byod-portal byod-admin byod-gatewayd; do
	src="$BYOD_SRC/deploy/systemd/$u.service"
	check "$u.service exists" test -f "$src" || continue
	sed "s|^ExecStart=/usr/sbin/$u|ExecStart=${BIN[$u]}|" "$src" >"$T/$u.service"
	check "$u: ExecStart is /usr/sbin/$u" grep -qx "ExecStart=/usr/sbin/$u" "$src"
	systemd-analyze verify "$T/$u.service" >"$T/verify.out" 2>&1
	rc=$?
	# other units of the machine may draw warnings of their own
	if [ $rc -ne 0 ] || grep -q "$u" "$T/verify.out"; then
		ko "$u: systemd-analyze verify: $(cat "$T/verify.out")"
	else
		ok
	fi
	systemd-analyze security --offline=yes "$T/$u.service" >"$T/sec.out" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$T/sec.out")
	check "$u: an exposure score ($score)" test -n "$score"
	if systemd-analyze security --offline=yes --threshold="${THRESHOLD[$u]}" \
		"$T/$u.service" >/dev/null 2>&1; then
		ok
	else
		ko "$u: exposure $score over the threshold ${THRESHOLD[$u]}"
	fi
	check "$u: the README shows its score $score" \
		grep -Eq "^\| \`$u.service\` +\| $score +\|" "$BYOD_SRC/README.md"
	for line in Type=notify WatchdogSec=30s User=byod Group=byod \
		Environment=BYOD_HOME=/var/lib/byod 'ExecReload=/bin/kill -HUP $MAINPID' \
		Restart=on-failure StateDirectory=byod ProtectSystem=strict ProtectHome=yes \
		PrivateTmp=yes NoNewPrivileges=yes SystemCallFilter=@system-service; do
		check "$u: $line" grep -qxF "$line" "$src"
	done
	if [ "$u" = byod-gatewayd ]; then
		check "$u: CAP_NET_ADMIN, nothing else" grep -qx "CapabilityBoundingSet=CAP_NET_ADMIN" "$src"
		check "$u: CAP_NET_ADMIN ambient" grep -qx "AmbientCapabilities=CAP_NET_ADMIN" "$src"
		check "$u: netlink allowed (nftables)" grep -q "^RestrictAddressFamilies=.*AF_NETLINK" "$src"
	else
		check "$u: no capability" grep -qx "CapabilityBoundingSet=" "$src"
		check "$u: no netlink" sh -c "! grep -q AF_NETLINK '$src'"
	fi
	# what systemd itself reads: the unit as loaded, not only its text
	systemd-analyze security --offline=yes "$T/$u.service" >"$T/sec.out" 2>&1
	check "$u: runs as its user (not root)" sh -c "! grep -q '✗ User=/DynamicUser=' '$T/sec.out'"
	check "$u: no new privileges" sh -c "! grep -q '✗ NoNewPrivileges=' '$T/sec.out'"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
