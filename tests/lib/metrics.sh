# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the tests that read the programs' metrics: a scrape of a
# /metrics endpoint, and one value read from Prometheus's text format by a
# parser of the test's own (Python; not the programs' writer). Sourced.

# scrape URL FILE: GET URL into FILE; 0 when it answered 200 with
# Prometheus's content type (the headers in FILE.h)
scrape() {
	curl -s -m 5 -D "$2.h" -o "$2" -w '%{http_code}' "$1" >"$2.code" 2>/dev/null &&
		[ "$(cat "$2.code")" = 200 ] &&
		grep -qi '^Content-Type: text/plain; version=0.0.4' "$2.h"
}

# metric FILE NAME [LABEL=VALUE|LABEL!=VALUE...]: the sum of NAME's samples
# whose labels match those given (0 when none)
metric() {
	python3 - "$@" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
want = [(a.split("!=", 1), False) if "!=" in a else (a.split("=", 1), True) for a in sys.argv[3:]]
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')
def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)
total = 0.0
for line in open(path):
    if line.startswith("#") or not line.strip():
        continue
    m = line_re.match(line.rstrip("\n"))
    if not m:
        sys.exit("unparsable line: " + line)
    if m.group(1) != name:
        continue
    labels = {k: unescape(v) for k, v in label_re.findall(m.group(3) or "")}
    if all((labels.get(k, "") == v) == eq for (k, v), eq in want):
        total += float(m.group(4))
print(int(total) if total == int(total) else total)
PY
}

# metric_names FILE...: every metric name with a sample in the files
metric_names() {
	cat "$@" | grep -v '^#' | sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\).*/\1/p' | sort -u
}

# dashboard_check JSON NAMES_FILE: every metric an expr of the Grafana
# dashboard names is in NAMES_FILE; prints those that are not
dashboard_check() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
known = set(open(sys.argv[2]).read().split())
exprs = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "expr" and isinstance(v, str):
                exprs.append(v)
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(dash)
if not exprs:
    sys.exit("no expr in the dashboard")
# PromQL's words that are not metrics: functions, keywords, label names
# inside braces and by/without lists are taken out first
words = set()
for e in exprs:
    e = re.sub(r'\{[^}]*\}', '', e)
    e = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)', '', e)
    e = re.sub(r'\[[^\]]*\]', '', e)
    e = re.sub(r'"[^"]*"', '', e)
    for w in re.findall(r'[a-zA-Z_:][a-zA-Z0-9_:]*', e):
        if w.startswith("byod_"):
            words.add(w)
        elif w.startswith("$"):
            continue
missing = sorted(w for w in words if w not in known)
for w in missing:
    print(w)
sys.exit(1 if missing or not words else 0)
PY
}
