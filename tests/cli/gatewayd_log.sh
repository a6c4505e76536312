# SPDX-License-Identifier: GPL-2.0-or-later
# byod-gatewayd's log says each policy version once: before any policy is
# applied the gateway tries its sync again at every poll (100 ms), which
# must not write a line each time into the journal; a policy applied then
# is logged once, as its version.
. "$BYOD_SRC/tests/cli/lib.sh"
: "${BYOD_GATEWAYD:?}"
GW=
trap '[ -n "$GW" ] && kill "$GW" 2>/dev/null && wait "$GW" 2>/dev/null; rm -rf "$T"' EXIT

"$BYODCTL" init --school 0131234W --name "Collège des Calanques" >/dev/null
"$BYOD_GATEWAYD" --home "$BYOD_HOME" --dry-run 2>"$T/gw.log" &
GW=$!
sleep 1.5
check "the gateway is running" kill -0 "$GW"
check "no policy yet: the gateway says why the ruleset is not applied" \
	grep -q "no policy has been applied yet" "$T/gw.log"
n=$(grep -c "policy version 0" "$T/gw.log")
check "...and logs policy version 0 once in 1.5 s, not at every poll ($n lines)" test "$n" -eq 1
cp "$BYOD_SRC/examples/policy.yaml" "$T/policy.yaml"
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null
for _ in $(seq 50); do
	grep -q "policy version 1" "$T/gw.log" && break
	sleep 0.1
done
sleep 0.5
n=$(grep -c "policy version 1" "$T/gw.log")
check "the applied policy is logged once ($n lines)" test "$n" -eq 1
n=$(grep -c "policy version" "$T/gw.log")
check "...two lines in all ($n)" test "$n" -eq 2
finish
