# SPDX-License-Identifier: GPL-2.0-or-later
# rlm_byod's follower against the real freeradius: while nothing is
# committed it does not read the registry (byod_radius_feed_reads_total
# flat over 2 s of idle, where reading at every poll interval would make
# about ten reads; its turns once a second), and a revocation committed by another process
# (byodctl) is still applied within a second, the MAB of the revoked
# laptop refused.
. "$BYOD_SRC/tests/cli/lib.sh"
. "$BYOD_SRC/tests/radius/lib.sh"
. "$BYOD_SRC/tests/lib/metrics.sh"
init_school
cat >"$T/policy.yaml" <<'POLICY'
segments:
  registration: { vlan: 10, subnet: 10.10.0.0/22 }
  teachers: { vlan: 30, subnet: 10.30.0.0/16 }
rules:
  - name: unknown devices register
    match: { state: unknown }
    segment: registration
  - name: teachers
    match: { role: teacher }
    segment: teachers
default: registration
POLICY
"$BYODCTL" policy apply "$T/policy.yaml" >/dev/null || { echo "policy apply failed" >&2; exit 1; }
"$BYODCTL" user add durand --role teacher --school 0131234W >/dev/null
"$BYODCTL" device enrol durand --name laptop-durand --kind laptop --mac 02:00:00:00:dd:01 \
	--out "$T/dev" --json >"$T/d.json" || { echo "enrol failed" >&2; exit 1; }
durand=$(json 'd["device"]' <"$T/d.json")
radius_setup
# no flush of the decision counts (a commit, which wakes the follower)
# during the test
sed -i 's/^\tcounts_interval = .*/\tcounts_interval = 3600/' "$RADDB/mods-enabled/byod"
grep -q '^	counts_interval = 3600' "$RADDB/mods-enabled/byod" ||
	{ echo "counts_interval not set" >&2; exit 1; }
radius_start
stats() { "$BYODCTL" metrics --radius-spool "$BYOD_HOME/radius-spool" >"$1" 2>/dev/null; }

mab 02:00:00:00:dd:01
check "MAB of the teacher's laptop accepted" grep -q "Access-Accept" "$T/mab.out"

# ---- idle: no read of the registry ----
sleep 1 # the start's first reads (the first wait says "may have changed")
stats "$T/m0"
sleep 2
stats "$T/m1"
r0=$(metric "$T/m0" byod_radius_feed_reads_total)
r1=$(metric "$T/m1" byod_radius_feed_reads_total)
check "the feed reads are counted ($r0 since the start)" test "${r0%.*}" -ge 1
check "2 s of idle: no read of the registry ($r0 -> $r1)" test "$r0" = "$r1"
f0=$(metric "$T/m0" byod_radius_follower_turns_total)
f1=$(metric "$T/m1" byod_radius_follower_turns_total)
# once a second idle (a commit wakes it at once): 2 or 3 turns here, where
# waking at every poll_interval (200 ms) would make 10
check "2 s of idle: the follower woke at most 4 times (${f0%.*} -> ${f1%.*})" \
	test "$((${f1%.*} - ${f0%.*}))" -le 4

# ---- a revocation by another process: applied within a second ----
"$BYODCTL" device revoke "$durand" >/dev/null || { echo "revoke failed" >&2; exit 1; }
t0=$(date +%s.%N)
refused=
for _ in $(seq 40); do
	mab 02:00:00:00:dd:01
	if grep -q "Access-Reject" "$T/mab.out"; then
		refused=$(date +%s.%N)
		break
	fi
	sleep 0.05
done
check "the revoked laptop's MAB is refused" test -n "$refused"
took=$(python3 -c "print(round(${refused:-1e9} - $t0, 3))")
echo "idle: $r0 -> $r1 feed reads, ${f0%.*} -> ${f1%.*} follower turns over 2 s; the revocation refused ${took} s after byodctl returned"
check "...within 1 s of the revocation's commit (${took} s)" \
	python3 -c "import sys; sys.exit(0 if ${refused:-1e9} - $t0 <= 1.0 else 1)"
stats "$T/m2"
r2=$(metric "$T/m2" byod_radius_feed_reads_total)
check "...the follower read the feed for it ($r1 -> $r2)" \
	python3 -c "import sys; sys.exit(0 if $r2 > $r1 else 1)"
check "...and applied it (feed position $(metric "$T/m2" byod_radius_feed_position))" \
	python3 -c "import sys; sys.exit(0 if $(metric "$T/m2" byod_radius_feed_position) > $(metric "$T/m1" byod_radius_feed_position) else 1)"
radius_stop
finish
