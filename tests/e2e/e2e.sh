# SPDX-License-Identifier: GPL-2.0-or-later
# The story of ../shared/DESIGN.md from the first packet to the revocation,
# every real component in its place (see tests/e2e/lab.sh for the lab):
# a visitor, a pupil and a teacher come with their own devices, enrol at
# the captive portal over the real network path, authenticate with
# EAP-TLS through hostapd and FreeRADIUS + rlm_byod, land in their
# segments as byod-gatewayd admits them, reach exactly what the policy
# allows; then the school changes things and the network follows.
#
# BYOD_E2E_REGISTRY=pg runs the same story on PostgreSQL: the school set
# up on SQLite is copied with byodctl registry copy into a cluster of the
# test's own, and every program works on the copy (tests/e2e/registry.sh).
#
# One function per scenario, each with a line saying what it proves. They
# run in the order of the story (the policy change and the RADIUS restart
# come before the revocation, which ends the pupil's device).
if [ -z "${BYOD_E2E_NS:-}" ]; then
	exec unshare -n env BYOD_E2E_NS=1 bash "$0" "$@"
fi
ip link set lo up
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
: "${BYOD_PORTAL:?BYOD_PORTAL must name the byod-portal binary}"
: "${BYOD_GATEWAYD:?BYOD_GATEWAYD must name the byod-gatewayd binary}"
. "$BYOD_SRC/tests/e2e/lab.sh"
. "$BYOD_SRC/tests/e2e/registry.sh"
. "$BYOD_SRC/tests/lib/metrics.sh"
trap 'lab_down; registry_down; [ -n "${KEEP:-}" ] || rm -rf "$T" ${TLS_CACHE:+"$TLS_CACHE"}' EXIT
trap 'exit 1' INT TERM
UA='Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'

# ---- the school ---------------------------------------------------------
init_school
hm() { date -u -d "$1" +%H:%M; }
policy() { # SCHEDULE-OF-PUPILS: the lab's policy, pupils allowed in that window
	cat <<POLICY
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22, allow: [portal, dns, dhcp] }
  pupils: { vlan: 20, subnet: 10.20.0.0/16, allow: [web, ent, dns, dhcp], isolate-clients: true }
  teachers: { vlan: 30, subnet: 10.30.0.0/20, allow: [web, ent, printers, dns, dhcp] }
services:
  portal: { to: [$PORTAL], ports: [tcp/80, tcp/443, tcp/8080] }
  web: { to: [0.0.0.0/0], ports: [tcp/80, tcp/443] }
  ent: { to: [$ENT], ports: [tcp/443] }
  printers: { to: [10.0.5.0/24], ports: [tcp/631] }
walled-garden: [store.example]
schedules:
  school-hours: { from: "$1", to: "$2", timezone: UTC }
rules:
  - name: revoked or retired devices
    match: { state: [revoked, retired, suspended] }
    action: reject
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
  - name: pupils in school hours
    match: { role: student, schedule: school-hours }
    segment: pupils
  - name: pupils otherwise
    match: { role: student }
    action: reject
default: registration
POLICY
}
policy "$(hm '-1 hour')" "$(hm '+2 hours')" >"$T/policy.yaml"
policy "$(hm '+3 hours')" "$(hm '+4 hours')" >"$T/after-hours.yaml"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
adduser() { # LOGIN ROLE PASSWORD
	printf '%s\n' "$3" | "$BYODCTL" user add "$1" --role "$2" --school 0131234W \
		--name "$1 (lab)" --password-stdin >/dev/null || { echo "user add $1 failed" >&2; exit 1; }
}
adduser lea.martin student 'Calanques-2026!'
adduser m.durand teacher 'Tableau-Noir-42'
adduser p.bernard teacher 'Craie-Blanche-7'
# BYOD_E2E_REGISTRY=pg: the school joins the département's PostgreSQL
# registry (byodctl registry copy) and the story runs on the copy
case ${BYOD_E2E_REGISTRY:-sqlite} in
sqlite) ;;
pg) registry_to_postgres ;;
*) echo "BYOD_E2E_REGISTRY must be sqlite or pg" >&2; exit 1 ;;
esac

radius_setup
printf '%s\n' "$SECRET" >"$T/secret"
lab_config
lab_links
lab_services
radius_start
start_portal
start_gatewayd
start_dnsmasq
start_hostapd pupil
start_hostapd teacher

scenario_visitor_dhcp() { # proves: a new device takes its address from the gateway's dnsmasq, finds the portal through option 114 and the RFC 8908 API, and reaches the walled garden's names and no other
	local api portal addr
	if dhcp_client visitor; then ok; else
		ko "visitor: no DHCP lease from dnsmasq ($(tail -3 "$T/dhclient-visitor.log"))"
		# the scenarios after this one still need an address
		in_ns visitor sh -c "ip addr add 10.10.0.${NUM[visitor]}/22 dev o0;
			ip route replace default via 10.10.0.1 dev o0"
		return
	fi
	addr=$(dhcp_said visitor ip_address)
	check "visitor: an address of the registration segment ($addr)" \
		python3 -c 'import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network("10.10.0.0/22"))' "$addr"
	check "...with the gateway as router and DNS server" sh -c \
		"[ '$(dhcp_said visitor routers)' = 10.10.0.1 ] && [ '$(dhcp_said visitor domain_name_servers)' = 10.10.0.1 ]"
	check "...configured on its interface" sh -c "ip netns exec '$(ns visitor)' ip -4 addr show o0 | grep -q 'inet $addr/22'"
	api=$(dhcp_said visitor captive_portal | tr -d "'\"")
	check "visitor: option 114 names the portal's RFC 8908 API ($api)" test "$api" = "$PORTAL_URL/api/captive"
	in_ns visitor curl -s -m 5 -D "$T/h" -o "$T/captive.json" "$api" >/dev/null
	check "...which answers application/captive+json" grep -qi '^Content-Type: application/captive+json' "$T/h"
	portal=$(json 'd["user-portal-url"] if d["captive"] is True else ""' <"$T/captive.json" 2>/dev/null)
	check "...captive, with the portal's URL ($portal)" test "$portal" = "$PORTAL_URL/"
	in_ns visitor curl -s -m 5 -o "$T/b" "$portal" >/dev/null
	check "visitor: the URL it names is the portal's login page" grep -q 'action="/login"' "$T/b"
	check "visitor: the portal's name resolves to the portal" \
		sh -c "ip netns exec '$(ns visitor)' getent ahostsv4 portal.byod.lan | grep -q '^$PORTAL '"
	# the walled garden: a host of store.example, through the gateway's DNS
	addr=$(in_ns visitor getent ahostsv4 apps.store.example | awk 'NR == 1 { print $1 }')
	check "visitor: apps.store.example (walled garden) resolves ($addr)" test "$addr" = "$STORE"
	check "...and its HTTPS answers" reach visitor "$addr" 443
	check "...the store itself" grep -q '^store-tls' "$T/reach"
	check "...and its HTTP, not redirected to the portal" reach visitor "$addr" 80
	check "...the store itself" grep -q '^store$' "$T/reach"
	check "...its address in the firewall's set, with a timeout" sh -c \
		"nft list set inet byod walled_garden_ip4 | grep -Eq 'elements = \{ $STORE expires'"
	addr=$(in_ns visitor getent ahostsv4 elsewhere.example | awk 'NR == 1 { print $1 }')
	check "visitor: elsewhere.example (not in it) resolves too ($addr)" test "$addr" = "$ELSEWHERE"
	if reach visitor "$addr" 443; then ko "visitor: elsewhere.example's HTTPS answers"; else ok; fi
	check "...and its address is not in the set" sh -c \
		"! nft list set inet byod walled_garden_ip4 | grep -q '$ELSEWHERE'"
}

scenario_unknown_device() { # proves: an unknown device reaches only the portal
	local probe host path
	for probe in connectivitycheck.gstatic.com:/generate_204 captive.apple.com:/hotspot-detect.html \
		www.msftconnecttest.com:/connecttest.txt; do
		host=${probe%%:*} path=${probe#*:}
		in_ns visitor curl -s -m 5 -o /dev/null -D "$T/h" -w '%{http_code}' \
			--resolve "$host:80:$WEB" "http://$host$path" >"$T/code"
		check "visitor: the probe $host$path is answered by the portal (302)" test "$(code)" = 302
		check "...to the portal's page" grep -qi "^Location: $PORTAL_URL" "$T/h"
	done
	in_ns visitor curl -s -m 5 -o "$T/b" "$PORTAL_URL/" >/dev/null
	check "visitor: the portal's login page" grep -q 'action="/login"' "$T/b"
	if reach visitor "$WEB" 443; then ko "visitor: HTTPS to the internet passes"; else ok; fi
	if reach visitor "$ENT" 443; then ko "visitor: the ENT is reachable"; else ok; fi
	if reach visitor "$PRINTER" 631; then ko "visitor: the printer is reachable"; else ok; fi
	nft list counter inet byod seg_registration >"$T/counter.txt" 2>&1
	check "the registration segment's counter saw the visitor's packets" \
		grep -Eq 'packets [1-9]' "$T/counter.txt"
}

# enrol_and_connect WHO LOGIN PASSWORD NAME KIND SEGMENT: the portal from
# the onboarding port, then EAP-TLS on the 802.1X port into SEGMENT
enrol_and_connect() {
	local who=$1 login=$2 password=$3 name=$4 kind=$5 seg=$6
	check "$who: logs in at the portal from the onboarding port" portal_login "$who" "$login" "$password"
	if portal_enrol "$who" "$name" "$kind"; then ok; else ko "$who: enrols $name (code $(code))"; fi
	check "$who: the PKCS#12 opens with the passphrase shown" \
		openssl pkcs12 -in "$T/$who-$name.p12" -passin "pass:$PASS" -nokeys -out /dev/null
	supplicant "$who" "$T/$who-$name.p12" "$PASS"
	check "$who: EAP-TLS through hostapd, the station authorised" wait_for 150 authorized "$who"
	check "$who: admitted by the gateway into $seg" wait_for 50 admitted_in "$who" "$seg"
	addressed "$who" "$seg"
}

scenario_pupil_enrols() { # proves: a pupil enrols alone at the portal, lands in pupils, reaches exactly what the policy allows
	enrol_and_connect pupil lea.martin 'Calanques-2026!' phone-lea phone pupils
	check "pupil: the ENT" reach pupil "$ENT" 443
	check "...answered by the ENT" grep -q '^ent' "$T/reach"
	check "pupil: the web (HTTPS)" reach pupil "$WEB" 443
	if reach pupil "$PRINTER" 631; then ko "pupil: the printer is reachable"; else ok; fi
	if reach pupil "$PORTAL" 8080; then ko "pupil: the portal is reachable from pupils"; else ok; fi
	"$BYODCTL" session list --json >"$T/sessions.json"
	check "pupil: an open accounting session with the device" \
		test "$(json "sum(1 for s in d if s['mac'] == '${MAC[pupil]}' and s['device'])" <"$T/sessions.json")" -ge 1
}

scenario_requisition() { # proves: a requisition for the pupil's address at an instant is answered from the accounting alone: the device, lea.martin, the school, the access point, the session's times
	local sid nas at addr=10.20.0.${NUM[pupil]}
	"$BYODCTL" session list --json >"$T/sessions.json"
	sid=$(json "[s['session-id'] for s in d if s['mac'] == '${MAC[pupil]}' and s['device']][0]" <"$T/sessions.json")
	nas=$(json "[s['nas'] for s in d if s['mac'] == '${MAC[pupil]}' and s['device']][0]" <"$T/sessions.json")
	# hostapd learns no station address (the lab's are static): the
	# Interim-Update a controller that knows its stations' addresses sends,
	# on the pupil's hostapd session, through FreeRADIUS and rlm_byod
	printf 'Acct-Status-Type = Interim-Update\nAcct-Session-Id = "%s"\nNAS-IP-Address = %s\nNAS-Identifier = "ap-pupil"\nCalling-Station-Id = "%s"\nFramed-IP-Address = %s\n' \
		"$sid" "$nas" "${MAC[pupil]}" "$addr" |
		radclient -x -r 2 -t 3 "127.0.0.1:$ACCT_PORT" acct "$SECRET" >"$T/acct.out" 2>&1
	check "requisition: the access point's interim update is answered" grep -q "Accounting-Response" "$T/acct.out"
	at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	"$BYODCTL" connections --ip "$addr" --at "$at" --json >"$T/req.json"
	check "requisition: $addr at $at is lea.martin's phone" test \
		"$(json "len(d), d[0]['owner'], d[0]['device-name'], d[0]['mac'], d[0]['nas-id']" <"$T/req.json")" = \
		"1 lea.martin phone-lea ${MAC[pupil]} ap-pupil"
	check "requisition: the school and a session still open" test \
		"$(json "d[0]['school'], d[0].get('stopped')" <"$T/req.json")" = "0131234W None"
	"$BYODCTL" connections --ip "$addr" --at 2020-01-01T00:00:00+01:00 --json >"$T/req-old.json"
	check "requisition: nobody held it before the session" test "$(json 'len(d)' <"$T/req-old.json")" = 0
}

scenario_teacher_enrols() { # proves: a teacher enrols the same way and reaches the printer a pupil cannot
	enrol_and_connect teacher m.durand 'Tableau-Noir-42' laptop-durand laptop teachers
	check "teacher: the printer" reach teacher "$PRINTER" 631
	check "...answered by the printer" grep -q '^printer' "$T/reach"
	check "teacher: the ENT" reach teacher "$ENT" 443
	if reach pupil "$PRINTER" 631; then ko "pupil: the printer is reachable"; else ok; fi
	if reach pupil 10.30.0.${NUM[teacher]} 631; then ko "pupil reaches the teachers' segment"; else ok; fi
}

device_of() { # LOGIN NAME: the device id
	"$BYODCTL" device list --owner "$1" --json | json "[x['id'] for x in d if x['name'] == '$2'][0]"
}

scenario_device_limit() { # proves: a pupil at the limit retires a device to enrol a new one, and the retired certificate is refused
	local old new
	onboarding pupil
	if portal_enrol pupil tablet-lea tablet; then ok; else ko "pupil: a second device (code $(code))"; fi
	preq pupil GET /enrol
	ppost pupil /enrol "csrf=$(csrf)" name=laptop-lea kind=laptop charter=yes
	check "pupil: at the limit of 2, a third device is refused (409)" test "$(code)" = 409
	old=$(device_of lea.martin phone-lea)
	if portal_enrol pupil laptop-lea laptop "retire=$old"; then ok; else ko "pupil: retire and enrol (code $(code))"; fi
	check "pupil: the phone is retired" test "$("$BYODCTL" device list --owner lea.martin --json |
		json "[x['state'] for x in d if x['id'] == '$old'][0]")" = retired
	check "pupil: the retired phone's session is ended by the gateway" wait_for 30 not_admitted pupil
	reauthenticate pupil
	sleep 2
	if authorized pupil; then ko "pupil: the retired certificate still authenticates"; else ok; fi
	check "...refused by FreeRADIUS" grep -q "reject: certificate [0-9a-f]* is revoked" "$RADDB/log/radius.log"
	PASS_LAPTOP=$PASS
	supplicant pupil "$T/pupil-laptop-lea.p12" "$PASS"
	check "pupil: the new laptop authenticates" wait_for 150 authorized pupil
	check "...and is admitted into pupils" wait_for 50 admitted_in pupil pupils
	addressed pupil pupils
	check "...and reaches the ENT" reach pupil "$ENT" 443
}

scenario_policy_change() { # proves: a policy change moves or disconnects exactly the devices policy diff predicted
	local acks
	"$BYODCTL" policy diff "$T/after-hours.yaml" --list >"$T/diff.txt" 2>&1
	check "policy diff: the pupil's two devices would be refused" grep -q '2 devices move from pupils to reject' "$T/diff.txt"
	check "policy diff: the teachers stay" sh -c "! grep -q 'from teachers' '$T/diff.txt'"
	acks=$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")
	"$BYODCTL" policy apply "$T/after-hours.yaml" >/dev/null || ko "policy apply"
	check "the pupil's session is disconnected" wait_for 20 sh -c \
		"[ \$(grep -c 'Disconnect-ACK in' '$T/gatewayd.log') -gt $acks ]"
	check "...and no one else's" test "$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")" = $((acks + 1))
	check "the pupil is out of the admitted map" wait_for 20 not_admitted pupil
	check "the teacher is still in teachers" admitted_in teacher teachers
	check "...and still reaches the printer" reach teacher "$PRINTER" 631
	if reach pupil "$ENT" 443; then ko "pupil: the ENT after hours"; else ok; fi
	reauthenticate pupil
	sleep 2
	if authorized pupil; then ko "pupil: authenticates after hours"; else ok; fi
	"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || ko "policy apply (school hours again)"
	# after an EAP-Failure the supplicant holds off for a minute: the
	# pupil turns the Wi-Fi off and on again
	supplicant pupil "$T/pupil-laptop-lea.p12" "$PASS_LAPTOP"
	check "school hours again: the pupil is back" wait_for 150 authorized pupil
	check "...in pupils" wait_for 50 admitted_in pupil pupils
}

registry_counts() { # people, devices, certificates (valid + revoked), sessions
	printf '%s %s %s\n' "$("$BYODCTL" user list --json | json 'len(d)')" \
		"$("$BYODCTL" device list --json | json 'len(d)')" \
		"$("$BYODCTL" session list --all --json | json 'len(d)')"
}

scenario_radius_restart() { # proves: the RADIUS server restarting mid-day loses nothing; devices authenticate again
	local before after
	before=$(registry_counts)
	radius_stop
	radius_start
	for who in pupil teacher; do
		wpa_cli -p "$T/wctrl-$who" -i s0 reauthenticate >/dev/null 2>&1
	done
	sleep 3
	check "pupil: authenticates again after the restart" wait_for 100 authorized pupil
	check "teacher: authenticates again after the restart" wait_for 100 authorized teacher
	after=$(registry_counts)
	check "the registry lost nothing (people devices sessions: $before -> $after)" \
		test "${before% *}" = "${after% *}"
	check "teacher: still reaches the printer" reach teacher "$PRINTER" 631
}

scenario_revocation() { # proves: a revoked device is disconnected, quarantined and refused within one second
	local dev t0 t_q= t_a= acks
	dev=$(device_of lea.martin laptop-lea)
	acks=$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")
	"$BYODCTL" device revoke "$dev" --reason key-compromise >/dev/null || ko "device revoke"
	t0=$(date +%s%N)
	for _ in $(seq 300); do quarantined pupil && { t_q=$((($(date +%s%N) - t0) / 1000000)); break; }; sleep 0.005; done
	for _ in $(seq 300); do
		[ "$(grep -c 'Disconnect-ACK in' "$T/gatewayd.log")" -gt "$acks" ] &&
			{ t_a=$((($(date +%s%N) - t0) / 1000000)); break; }
		sleep 0.005
	done
	echo "revocation: quarantined in ${t_q:-never} ms, Disconnect-ACK in ${t_a:-never} ms"
	check "revoked: quarantined within 1 s (${t_q:-never} ms)" test "${t_q:-9999}" -lt 1000
	check "revoked: Disconnect-ACK within 1 s (${t_a:-never} ms)" test "${t_a:-9999}" -lt 1000
	check "revoked: the station deauthorised" wait_for 10 sh -c "! hostapd_cli -p '$T/hctrl-pupil' -i s-pupil sta '${MAC[pupil]}' | grep -q AUTHORIZED"
	if reach pupil "$ENT" 443; then ko "revoked: the ENT still answers"; else ok; fi
	openssl pkcs12 -in "$T/pupil-laptop-lea.p12" -passin "pass:$PASS_LAPTOP" -nokeys -clcerts -out "$T/rev.pem" 2>/dev/null
	openssl pkcs12 -in "$T/pupil-laptop-lea.p12" -passin "pass:$PASS_LAPTOP" -nocerts -nodes -out "$T/rev.key" 2>/dev/null
	if eap_tls lea "$T/rev.pem" "$T/rev.key" "${MAC[pupil]}"; then
		ko "revoked: the certificate still authenticates"; else ok; fi
	check "revoked: the teacher is untouched" admitted_in teacher teachers
}

scenario_gatewayd_killed() { # proves: byod-gatewayd killed at any point of its work comes back to the registry's state by itself: a device suspended while it was down is quarantined at its start, and let go once resumed
	local dev i starts change
	dev=$(device_of m.durand laptop-durand)
	not_quarantined() { ! quarantined "$1"; }
	for i in 1 2 3; do
		"$BYODCTL" device suspend "$dev" >/dev/null &
		change=$!
		sleep "0.0$((i * 3))"
		kill -9 "$GATEWAYD_PID"
		wait "$GATEWAYD_PID" 2>/dev/null
		wait "$change" || ko "kill $i: device suspend"
		starts=$(grep -c 'following the change feed' "$T/gatewayd.log")
		"$BYOD_GATEWAYD" --home "$BYOD_HOME" --verbose 2>>"$T/gatewayd.log" &
		GATEWAYD_PID=$!
		check "kill $i: the gateway starts again" wait_for 50 \
			sh -c "[ \$(grep -c 'following the change feed' '$T/gatewayd.log') -gt $starts ]"
		check "kill $i: the device suspended meanwhile is quarantined" wait_for 30 quarantined teacher
		"$BYODCTL" device resume "$dev" >/dev/null || ko "kill $i: device resume"
		check "kill $i: resumed, out of quarantine" wait_for 30 not_quarantined teacher
	done
	# (a Disconnect may have ended the session before a kill: the teacher
	# authenticates again, once the RADIUS module has the resume too)
	local try
	for try in 1 2 3 4 5; do
		sleep 1
		wpa_cli -p "$T/wctrl-teacher" -i s0 reauthenticate >/dev/null 2>&1
		wait_for 30 admitted_in teacher teachers && break
	done
	check "the teacher is admitted again after the kills ($(hostapd_cli -p "$T/hctrl-teacher" -i s-teacher sta "${MAC[teacher]}" 2>/dev/null | grep -m1 flags))" \
		admitted_in teacher teachers
}

scenario_portal_killed() { # proves: a portal killed mid-enrolment leaves no certificate without its registry row; the enrolment simply starts again
	local i certs devices
	onboarding teacher
	rm -f "$T/jar-teacher" # another teacher, another browser
	check "teacher 2: logs in" portal_login teacher p.bernard 'Craie-Blanche-7'
	for i in 1 2 3 4; do
		preq teacher GET /enrol
		ppost teacher /enrol "csrf=$(csrf)" "name=kill-$i" kind=laptop charter=yes &
		local post=$!
		sleep "0.0$((i * 2))"
		kill -9 "$PORTAL_PID"
		wait "$PORTAL_PID" 2>/dev/null
		wait "$post" 2>/dev/null
		start_portal
		"$BYODCTL" device list --owner p.bernard --json >"$T/devs.json"
		devices=$(json 'len(d)' <"$T/devs.json")
		certs=$(registry_value "SELECT CASE WHEN (SELECT count(*) FROM certificates c
    LEFT JOIN devices d ON d.id = c.device WHERE d.id IS NULL) = 0
  THEN (SELECT count(*) FROM certificates c JOIN devices d ON d.id = c.device
    JOIN people p ON p.id = d.owner WHERE p.login = 'p.bernard') ELSE -1 END")
		check "kill $i: every device has its certificate and no certificate lacks its device ($devices devices, $certs certificates)" \
			test "$devices" = "$certs"
	done
	preq teacher GET /devices
	[ "$(code)" = 200 ] || portal_login teacher p.bernard 'Craie-Blanche-7'
	if portal_enrol teacher after-kill laptop; then ok; else ko "teacher 2: enrols again after the kills (code $(code))"; fi
	check "the new certificate is in the registry" sh -c "'$BYODCTL' device list --owner p.bernard --json | grep -q after-kill"
	openssl pkcs12 -in "$T/teacher-after-kill.p12" -passin "pass:$PASS" -nokeys -clcerts -out "$T/ak.pem" 2>/dev/null
	openssl pkcs12 -in "$T/teacher-after-kill.p12" -passin "pass:$PASS" -nocerts -nodes -out "$T/ak.key" 2>/dev/null
	# the RADIUS module learns of the certificate from the change feed
	# (every 200 ms; later on a busy machine): a few tries over 3 s
	local try
	for try in 1 2 3 4 5 6; do
		eap_tls bernard "$T/ak.pem" "$T/ak.key" 02:00:00:00:e2:99 && break
		sleep 0.5
	done
	if tail -1 "$T/eap.out" | grep -q '^SUCCESS'; then ok; else
		ko "the certificate enrolled after the kills authenticates ($(grep -m1 -o 'Reply-Message.*' "$T/eap.out"))"; fi
}

# ---- /metrics around two scenarios: what they caused, counted exactly ----
# metrics_snap NAME: the portal's and the gateway's /metrics, and byodctl
# metrics (the RADIUS module's stats socket appended), each read by promtool
metrics_snap() {
	local f
	scrape "http://127.0.0.1:$PORTAL_METRICS/metrics" "$T/m-$1.portal" || ko "metrics: the portal's scrape ($1)"
	scrape "http://127.0.0.1:$GATEWAY_METRICS/metrics" "$T/m-$1.gateway" || ko "metrics: the gateway's scrape ($1)"
	"$BYODCTL" metrics >"$T/m-$1.radius" 2>"$T/m-$1.err" || ko "metrics: byodctl metrics ($1)"
	grep -qx 'byod_radius_stats_up 1' "$T/m-$1.radius" || ko "metrics: rlm_byod's stats socket ($1)"
	for f in portal gateway radius; do
		promtool check metrics <"$T/m-$1.$f" >/dev/null 2>&1 || ko "metrics: promtool refuses the $f's ($1)"
	done
}
# counted WHAT EXPECTED BEFORE AFTER WHICH NAME [LABEL=VALUE...]
counted() {
	local what=$1 want=$2 a=$3 b=$4 f=$5 d
	shift 5
	d=$(($(metric "$T/m-$b.$f" "$@") - $(metric "$T/m-$a.$f" "$@")))
	check "metrics: $what (+$d, +$want expected)" test "$d" = "$want"
}

scenario_metrics_pupil_enrols() { # proves: /metrics counted the pupil's enrolment at the portal and rlm_byod's EAP-TLS decision into pupils, once each
	metrics_snap pupil-0
	scenario_pupil_enrols
	metrics_snap pupil-1
	counted "the portal issued one certificate" 1 pupil-0 pupil-1 portal byod_portal_enrolments_issued_total
	counted "...refused none" 0 pupil-0 pupil-1 portal byod_portal_enrolments_refused_total
	counted "...one login" 1 pupil-0 pupil-1 portal byod_portal_logins_total result=ok
	counted "rlm_byod put one device into pupils" 1 pupil-0 pupil-1 radius byod_radius_decisions_total segment=pupils reason=accept
	counted "...and refused none" 0 pupil-0 pupil-1 radius byod_radius_decisions_total segment=
}

scenario_metrics_revocation() { # proves: /metrics counted the revocation's Disconnect (ACKed, none lost) and rlm_byod's refusal of the revoked certificate, once each
	metrics_snap revoke-0
	scenario_revocation
	metrics_snap revoke-1
	counted "the gateway's Disconnect was ACKed" 1 revoke-0 revoke-1 gateway byod_gateway_das_requests_total result=ack
	counted "...none NAKed, lost or failed" 0 revoke-0 revoke-1 gateway byod_gateway_das_requests_total result!=ack
	counted "rlm_byod refused the revoked certificate" 1 revoke-0 revoke-1 radius byod_radius_decisions_total segment= reason=cert-revoked
	check "metrics: the registry is up for the portal, the gateway and rlm_byod" sh -c \
		"grep -qx 'byod_registry_up 1' '$T/m-revoke-1.portal' && grep -qx 'byod_registry_up 1' '$T/m-revoke-1.gateway' && grep -qx 'byod_radius_registry_up 1' '$T/m-revoke-1.radius'"
}

scenario_visitor_dhcp
scenario_unknown_device
scenario_metrics_pupil_enrols
scenario_requisition
scenario_teacher_enrols
scenario_device_limit
scenario_policy_change
scenario_radius_restart
scenario_metrics_revocation
scenario_portal_killed
scenario_gatewayd_killed
registry_checked
if [ "$failed" -ne 0 ]; then
	echo "--- gatewayd.log (end)"; tail -20 "$T/gatewayd.log"
	echo "--- portal.log (end)"; tail -5 "$T/portal.log"
	echo "--- dnsmasq.log (end)"; tail -10 "$T/dnsmasq.log"
	[ -z "$REG_PG_DIR" ] || { echo "--- PostgreSQL server.log (end)"; tail -10 "$REG_PG_DIR/server.log"; }
fi >&2
finish
