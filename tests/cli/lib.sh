# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the byodctl tests: a private state directory, assertions that
# say what failed, and a summary line. Sourced, not run.
set -uo pipefail

: "${BYODCTL:?BYODCTL must name the byodctl binary}"
base=${BYOD_TEST_TMP:-/tmp}
mkdir -p "$base"
T=$(mktemp -d "$base/cli.XXXXXX")
export BYOD_HOME="$T/home"
passed=0
failed=0
trap 'rm -rf "$T"' EXIT

ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_ok DESCRIPTION CMD...: CMD must exit 0
expect_ok() {
	local what=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then ok; else ko "$what (exit $?): $(cat "$T/err")"; fi
}

# expect_fail DESCRIPTION PATTERN CMD...: CMD must exit non-zero with stderr
# matching PATTERN (grep -E); byodctl must say it in one line
expect_fail() {
	local what=$1 pattern=$2; shift 2
	if "$@" >"$T/out" 2>"$T/err"; then
		ko "$what: succeeded but should have failed"
	elif ! grep -Eq -- "$pattern" "$T/err"; then
		ko "$what: stderr does not match '$pattern': $(cat "$T/err")"
	elif [ "$1" = "$BYODCTL" ] && [ "$(grep -cv '^byodctl: warning' "$T/err")" -gt 1 ] &&
		! grep -q '^usage' "$T/err"; then
		ko "$what: more than one line on stderr: $(cat "$T/err")"
	else
		ok
	fi
}

# check DESCRIPTION CMD...: a condition
check() {
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then ok; else ko "$what"; fi
}

# wait_for TENTHS CMD...: polls CMD every 0.1 s, at most TENTHS times
wait_for() {
	local n=$1; shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}

# json EXPR: evaluates a Python expression over the JSON on stdin ('d')
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

init_school() {
	"$BYODCTL" init --school 0131234W --name "Collège des Calanques" >/dev/null ||
		{ echo "init failed" >&2; exit 1; }
	# tests hash many passwords: the cheapest yescrypt cost keeps them quick
	sed -i 's/^  yescrypt-cost: .*/  yescrypt-cost: 1/' "$BYOD_HOME/byod.conf"
}
