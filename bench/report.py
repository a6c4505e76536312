#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The benchmarks' figures (JSON lines, one file per benchmark, written by
bench/lib.sh) turned into BENCHMARKS.md and a plot, or checked.

    report.py --check NAME DIR     the figures NAME must produce are in DIR
    report.py --out FILE.md --plot FILE.png [--seconds S] DIR
    report.py --self-test          the goals' verdicts on made-up figures
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys

# What each benchmark must produce, in the order of the table.
BENCHES = [
    ("mab", "1. RADIUS MAC authentication at scale", [
        "devices", "mab_static_us_per_request", "mab_byod_us_per_request",
        "mab_sql_us_per_request", "mab_sql_us_vs_static", "mab_static_rps", "mab_byod_rps", "mab_sql_rps",
        "mab_byod_p99_ms_at_500", "mab_sql_p99_ms_at_500",
        "freeradius_rss_byod_mb", "freeradius_start_static_s", "freeradius_start_byod_s",
        "freeradius_start_byod_ready_s", "freeradius_start_byod_cpu_s",
        "freeradius_start_byod_module_s"]),
    ("eaptls", "2. EAP-TLS", [
        "eaptls_full_byod_us", "eaptls_full_auth_per_s_core", "eaptls_resumed_byod_us",
        "eaptls_resumed_plain_us", "eaptls_full_round_trips", "eaptls_resumed_round_trips",
        "eaptls_plain_us_per_round_trip_full", "eaptls_plain_us_per_round_trip_resumed",
        "eaptls_paced_full_plain_us", "eaptls_paced_full_byod_us"]),
    ("revoke", "3. Revocation latency", [
        "revoke_to_refused_ms_p50", "revoke_to_refused_ms_p99", "revoke_to_refused_ms_max",
        "revoke_to_refused_round_ms_p50", "revoke_to_disconnect_ack_ms_p50",
        "revoke_to_disconnect_ack_ms_p99", "revoke_to_disconnect_ack_ms_max",
        "revoke_to_disconnect_ack_round_ms_p50"]),
    ("enrol", "4. Enrolment at the portal", [
        "enrol_ms_p50_c1", "enrol_ms_p99_c1", "enrol_ms_p50_c10", "enrol_ms_p99_c10",
        "enrol_ms_p50_c50", "enrol_ms_p99_c50", "enrol_per_s", "enrol_saturated_per_s",
        "enrol_open_p99_ms_at_20", "enrol_open_p50_ms_at_20", "enrol_portal_cpu_ms"]),
    ("probes", "5. Captive-portal probes", [
        "probe_generate_204_rps", "probe_generate_204_p99_ms", "probe_hotspot_detect_rps",
        "probe_hotspot_detect_p99_ms"]),
    ("index", "6. Policy and memory", [
        "policy_decision_ns", "index_devices", "index_load_s", "index_bytes_per_device",
        "index_idle_refresh_us", "index_mab_decision_ns"]),
    ("index_pg", "7. The index loaded from PostgreSQL", [
        "index_pg_devices", "index_pg_load_s", "index_pg_peak_rss_mb",
        "index_pg_server_cpu_s"]),
    ("propagate", "8. Change propagation between nodes", [
        "propagate_samples", "propagate_pg_ms_p50", "propagate_pg_round_ms_p50",
        "propagate_pg_ms_p99", "propagate_pg_ms_max",
        "propagate_pg_after_return_ms_p50", "propagate_pg_after_return_ms_p99",
        "propagate_pg_write_ms_p50"]),
    ("enrol_pg", "9. Enrolment on PostgreSQL", [
        "enrol_pg_ms_p50_c50", "enrol_pg_ms_p99_c50", "enrol_pg_per_s", "enrol_pg_cpu_ms",
        "enrol_pg_cores", "enrol_pg_threads_running", "enrol_sqlite_threads_timer"]),
]

# Figures that mean nothing without the baseline measured beside them (the
# PostgreSQL figures against SQLite's, in the same run): --check fails when
# the baseline is missing.
NEEDS_BASELINE = {
    "index_pg_load_s", "index_pg_peak_rss_mb", "propagate_pg_ms_p50", "propagate_pg_round_ms_p50",
    "propagate_pg_ms_p99",
    "propagate_pg_ms_max", "propagate_pg_after_return_ms_p50",
    "propagate_pg_after_return_ms_p99", "enrol_pg_ms_p50_c50", "enrol_pg_ms_p99_c50",
    "enrol_pg_per_s", "enrol_pg_cpu_ms", "enrol_pg_cores", "enrol_pg_threads_running",
    "enrol_sqlite_threads_timer", "freeradius_start_byod_s", "freeradius_start_byod_ready_s",
    "freeradius_start_byod_cpu_s", "revoke_to_refused_round_ms_p50",
    "revoke_to_disconnect_ack_round_ms_p50", "eaptls_paced_full_byod_us",
}

# Figures that must come from several runs (figure_runs: a median and its
# range), alternated with their baseline's where they have one.
NEEDS_RUNS = {
    "freeradius_start_static_s", "freeradius_start_byod_s", "freeradius_start_byod_ready_s",
    "freeradius_start_byod_cpu_s", "freeradius_start_byod_module_s",
    "revoke_to_refused_round_ms_p50", "revoke_to_disconnect_ack_round_ms_p50",
    "eaptls_paced_full_plain_us", "eaptls_paced_full_byod_us",
}

# The scale targets of the design (DESIGN.md), shown beside their figures
# in the full report; never checked by the smoke runs (toy size, sanitizers).
TARGETS = {
    "mab_byod_p99_ms_at_500": ("<", 1.0, "p99 < 1 ms at a burst of 500 auth/s"),
    "mab_byod_rps": (">", 500, "> 500 auth/s (a département re-authenticating in 5 min)"),
    "revoke_to_refused_ms_max": ("<", 1000, "refused within 1 s"),
    "revoke_to_disconnect_ack_ms_max": ("<", 1000, "off the network within 1 s"),
    "index_devices": (">", 999999, "1,000,000 devices"),
    "index_pg_devices": (">", 999999, "1,000,000 devices"),
    "propagate_pg_ms_max": ("<", 1000, "a change decided on another node within 1 s"),
}


# The goals of issue #23, each judged on one figure of one benchmark: its
# value, or its ratio to the baseline measured beside it. At is the size
# the goal is set at (the figure of the same benchmark giving the devices).
GOALS = [
    ("MAB server CPU per request, rlm_byod ÷ static unlang reply, 1M devices",
     "mab", "mab_byod_us_per_request", "ratio", "<=", 1.05, ("devices", 1000000)),
    ("MAB, rlm_sql + SQLite ÷ rlm_byod", "mab", "mab_sql_us_per_request", "ratio", ">=", 2.0,
     ("devices", 1000000)),
    ("full EAP-TLS authentications per second per core, rlm_byod", "eaptls",
     "eaptls_full_auth_per_s_core", "value", ">=", 300, None),
    ("resumed ÷ full EAP-TLS server CPU, rlm_byod", "eaptls", "eaptls_resumed_byod_us", "ratio",
     "<=", 0.45, None),
    ("policy decision, 200 rules", "index", "policy_decision_ns", "value", "<=", 100, None),
    ("index bytes per device, 1M devices", "index", "index_bytes_per_device", "value", "<=", 128,
     ("index_devices", 1000000)),
    ("FreeRADIUS start with 1M devices, launch to first answer (s)", "mab",
     "freeradius_start_byod_s", "value", "<=", 2.0, ("devices", 1000000)),
    ("enrolments per second saturated on 2 cores (yescrypt cost 5)", "enrol",
     "enrol_saturated_per_s", "value", ">=", 60, None),
    ("enrolment p99 at an open-loop 20/s (ms)", "enrol", "enrol_open_p99_ms_at_20", "value", "<=",
     250, None),
    ("captive probes /generate_204 req/s ÷ nginx", "probes", "probe_generate_204_rps", "ratio",
     ">=", 1.0, None),
    ("captive probes /generate_204 p99 ÷ nginx", "probes", "probe_generate_204_p99_ms", "ratio",
     "<=", 1.2, None),
    ("captive probes /hotspot-detect.html req/s ÷ nginx", "probes", "probe_hotspot_detect_rps",
     "ratio", ">=", 1.0, None),
    ("captive probes /hotspot-detect.html p99 ÷ nginx", "probes", "probe_hotspot_detect_p99_ms",
     "ratio", "<=", 1.2, None),
]


def meets(v, op, limit):
    return v <= limit if op == "<=" else v >= limit


def goal_row(goal, figs):
    """One line of the goals table: the goal, its figure (median and range
    of the runs), met or not met on the median, and whether every run met it."""
    text, bench, name, kind, op, limit, at = goal
    f = figs.get(bench, {}).get(name)
    want = f"{op.replace('<=', '≤').replace('>=', '≥')} {limit:g}"
    if f is None:
        return f"| {text} | {want} | not measured | | `{name}` not in this run |"
    text += f" (`{name}`{', ratio' if kind == 'ratio' else ''})"
    if kind == "ratio" and "ratio" not in f:
        return f"| {text} | {want} | no ratio | | no baseline in this run |"
    v = f["ratio"] if kind == "ratio" else f["value"]
    rng = f.get("ratio_range" if kind == "ratio" else "range")
    shown = f"{v:.3g}" if kind == "ratio" else fmt(v)
    if rng:
        shown += f" ({fmt3(rng[0], kind)}–{fmt3(rng[1], kind)}, {f.get('runs', '?')} runs)"
    if f.get("smoke"):
        return f"| {text} | {want} | {shown} | not judged | a smoke run (toy size) |"
    if at:
        size = figs.get(bench, {}).get(at[0])
        if size is None or size["value"] < at[1]:
            got = fmt(size["value"]) if size else "?"
            return f"| {text} | {want} | {shown} | not judged | measured at {got} devices |"
    verdict = "met" if meets(v, op, limit) else "**not met**"
    detail = ""
    if rng:
        inside = [meets(x, op, limit) for x in rng]
        if all(inside):
            detail = "every run met it"
        elif not any(inside):
            detail = "no run met it"
        else:
            detail = "the runs' range crosses the goal"
    return f"| {text} | {want} | {shown} | {verdict} | {detail} |"


def fmt3(v, kind):
    return f"{v:.3g}" if kind == "ratio" else fmt(v)


def goals_table(directory):
    figs = {}
    for name, _, _ in BENCHES:
        recs = load(directory, name) or []
        figs[name] = {r["name"]: r for r in recs if "name" in r}
    lines = ["## Goals", "",
             "The goals of issue #23, each judged on the median of its runs (for a ratio, the "
             "median of the ratios taken run by run); the range of the runs is in brackets.", "",
             "| goal | target | figure | verdict (median) | the runs |", "|---|---|---|---|---|"]
    lines += [goal_row(g, figs) for g in GOALS]
    return lines + [""]


def target(f):
    t = TARGETS.get(f["name"])
    if not t:
        return ""
    op, limit, text = t
    met = f["value"] < limit if op == "<" else f["value"] > limit
    return f"{text}: {'met' if met else '**not met**'}"


def load(directory, name):
    path = os.path.join(directory, name + ".jsonl")
    if not os.path.exists(path):
        return None
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    recs.append(json.loads(line))
                except ValueError as e:
                    sys.exit(f"{path}:{n}: {e}")
    return recs


def check(name, directory):
    spec = {b[0]: b for b in BENCHES}
    if name not in spec:
        sys.exit(f"unknown benchmark {name}")
    recs = load(directory, name)
    if recs is None:
        sys.exit(f"{name}: no figures ({directory}/{name}.jsonl missing)")
    figs = {r["name"]: r for r in recs if "name" in r}
    missing = [f for f in spec[name][2] if f not in figs]
    if missing:
        sys.exit(f"{name}: missing figures: {', '.join(missing)}")
    for f in figs.values():
        if not math.isfinite(f["value"]) or f["value"] < 0:
            sys.exit(f"{name}: {f['name']} = {f['value']}")
        if "baseline" in f and f["baseline_value"] > 0 and "ratio" not in f:
            sys.exit(f"{name}: {f['name']} has a baseline but no ratio")
        if f["name"] in NEEDS_BASELINE and "baseline" not in f:
            sys.exit(f"{name}: {f['name']} has no baseline")
        if f["name"] in NEEDS_RUNS and f.get("runs", 0) < 2:
            sys.exit(f"{name}: {f['name']} is not the median of alternated runs")
        for key, val in (("range", "value"), ("baseline_range", "baseline_value")):
            if key in f:
                lo, hi = f[key]
                if not (math.isfinite(lo) and math.isfinite(hi) and lo <= f[val] <= hi):
                    sys.exit(f"{name}: {f['name']}: {val} {f[val]} outside its {key} {f[key]}")
    for g in GOALS:
        if g[1] == name and g[2] not in spec[name][2]:
            sys.exit(f"{name}: the goal {g[0]!r} needs {g[2]}, which the benchmark need not give")
        if g[1] == name and g[3] == "ratio" and "baseline" not in figs[g[2]]:
            sys.exit(f"{name}: {g[2]} needs a baseline for its goal")
    print(f"{name}: {len(figs)} figures, all present")


def fmt_range(f, key):
    """ (min-max, n runs) after a figure measured over several runs"""
    if key not in f:
        return ""
    lo, hi = f[key]
    runs = f", {f['runs']} runs" if key == "range" and "runs" in f else ""
    return f" ({fmt(lo)}–{fmt(hi)}{runs})"


def fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1048576:.0f} GiB"
    except OSError:
        pass
    debian = "?"
    try:
        debian = open("/etc/debian_version").read().strip()
    except OSError:
        pass
    fr = package_version("freeradius") or "?"
    ssl = package_version("libssl3") or "?"
    return (f"{os.cpu_count()} cores ({model}), {mem}, Debian {debian}, "
            f"Linux {platform.release()}, FreeRADIUS {fr}, OpenSSL (libssl3) {ssl}")


def package_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                             capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return out.stdout.strip()


def openssl_note():
    """The issue asks whether an OpenSSL newer than Debian 12's 3.0 removes
    3.0's certificate-decoding cost, with a measurement and not as a
    requirement; on Debian 12 none can be installed from the archive."""
    ver = package_version("libssl3")
    if not ver.startswith("3.0."):
        return None
    return ("An OpenSSL newer than 3.0 (whether it removes 3.0's cost of decoding "
            "certificates, which issue #23's profile put at about a fifth of a full "
            "authentication) could not be measured "
            f"here: FreeRADIUS ran with Debian 12's OpenSSL (libssl3 {ver}), and Debian 12's "
            "archive (bookworm, bookworm-updates, bookworm-security) packages no newer "
            "OpenSSL than 3.0.x (3.0.17 to 3.0.22 when this was written; no backport). "
            "It is not a requirement.")


def plot(all_series, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    benches = [b for b in all_series if all_series[b]]
    if not benches:
        return False
    fig, axes = plt.subplots(len(benches), 2, figsize=(11, 3.6 * len(benches)), squeeze=False)
    titles = {b[0]: b[1] for b in BENCHES}
    for row, bench in enumerate(benches):
        thr = [s for s in all_series[bench] if s["y_label"] != "ms"]
        lat = [s for s in all_series[bench] if s["y_label"] == "ms"]
        for ax, group, kind in ((axes[row][0], thr, "throughput"), (axes[row][1], lat, "latency")):
            for s in group:
                xs = [p[0] for p in s["points"]]
                ys = [p[1] for p in s["points"]]
                ax.plot(xs, ys, marker="o", label=s["series"])
            if group:
                ax.set_xlabel(group[0]["x_label"])
                ax.set_ylabel(group[0]["y_label"])
                if max(p[0] for s in group for p in s["points"]) > 20:
                    ax.set_xscale("log", base=2)
                ax.legend(fontsize=8)
                ax.grid(True, alpha=0.3)
            ax.set_title(f"{titles.get(bench, bench)}: {kind}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return True


def report(directory, out, png, seconds):
    lines = ["# Benchmarks", "",
             "Written by `make bench` (bench/run); the methods are in "
             "[bench/README.md](bench/README.md). Each figure is measured with its "
             "baseline in the same run on the same machine, the two configurations side by "
             "side (both servers up, runs alternated between them, the order reversed every "
             "other round); the ratio is figure / baseline. A figure measured over several "
             "runs is their median, with the range of the runs in brackets; its ratio is the "
             "median of the ratios taken run by run (each run against the baseline's run "
             "beside it), with their range. Where a ratio is within 10 % of 1, "
             "`BENCH_PROFILE=1 make bench` profiles both configurations (perf record -g, or "
             "callgrind where perf cannot record) and the top frames are listed under the "
             "table.", "",
             f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- machine: {machine()}"]
    if seconds:
        lines.append(f"- the whole run took {float(seconds) / 60:.1f} minutes")
    lines.append("")
    lines += goals_table(directory)
    all_series = {}
    for name, title, _ in BENCHES:
        recs = load(directory, name)
        lines += [f"## {title}", ""]
        if recs is None:
            lines += ["Not run.", ""]
            continue
        figs = [r for r in recs if "name" in r]
        notes = [r["note"] for r in recs
                 if "note" in r and "name" not in r and not r.get("profile")]
        profiles = [r["note"] for r in recs if r.get("profile")]
        all_series[name] = [r for r in recs if "series" in r]
        lines += ["| figure | configuration | value | baseline | baseline value | ratio "
                  "| design target |",
                  "|---|---|---:|---|---:|---:|---|"]
        for f in figs:
            base = f.get("baseline", "")
            bval = fmt(f["baseline_value"]) if "baseline_value" in f else ""
            bval += fmt_range(f, "baseline_range")
            ratio = f"{f['ratio']:.3g}" if "ratio" in f else ""
            if "ratio_range" in f:
                ratio += f" ({f['ratio_range'][0]:.3g}–{f['ratio_range'][1]:.3g})"
            lines.append(f"| `{f['name']}` | {f.get('config', '')} "
                         f"| {fmt(f['value'])} {f['unit']}{fmt_range(f, 'range')} "
                         f"| {base} | {bval} | {ratio} | {target(f)} |")
        lines.append("")
        for n in notes:
            lines += [n, ""]
        if name == "eaptls" and openssl_note():
            lines += [openssl_note(), ""]
        if profiles:
            lines += ["Where the time goes (BENCH_PROFILE=1):", ""]
            lines += [f"- {n}" for n in profiles] + [""]
    if png and plot(all_series, png):
        rel = os.path.relpath(png, os.path.dirname(os.path.abspath(out)))
        lines += ["## Throughput and latency against load", "", f"![throughput and latency]({rel})", ""]
    lines += kept(out)
    with open(out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {out}" + (f" and {png}" if png else ""))


KEPT = "<!-- measured by a test, not by make bench: kept as it is by bench/report.py -->"


def kept(out):
    """The lines of out from the KEPT marker on (figures a test measures,
    such as tests/ha/failover.sh's), which a new report keeps."""
    try:
        with open(out) as f:
            old = f.read().split("\n")
    except FileNotFoundError:
        return []
    return old[old.index(KEPT):] if KEPT in old else []


def self_test():
    """The goals' verdicts on made-up figures, and --check refusing a run
    without a goal's figure: what make test can check without a bench."""
    import tempfile
    spec = {b[0]: b[2] for b in BENCHES}
    for g in GOALS:
        assert g[2] in spec[g[1]], f"goal figure {g[2]} not required of {g[1]}"
    mab = {"devices": {"value": 1e6},
           "mab_byod_us_per_request": {"value": 30, "ratio": 1.04, "ratio_range": [1.01, 1.08],
                                       "runs": 5, "baseline": "static unlang reply"},
           "mab_sql_us_per_request": {"value": 60, "ratio": 1.9, "ratio_range": [1.7, 1.95],
                                      "runs": 5, "baseline": "rlm_byod"},
           "freeradius_start_byod_s": {"value": 1.6, "range": [1.4, 2.3], "runs": 5,
                                       "baseline": "static unlang reply"}}
    figs = {"mab": mab,
            "index": {"policy_decision_ns": {"value": 80, "range": [70, 90], "runs": 5},
                      "index_devices": {"value": 2000},
                      "index_bytes_per_device": {"value": 100}},
            "enrol": {"enrol_saturated_per_s": {"value": 61, "smoke": True}}}
    rows = {g[2]: goal_row(g, figs) for g in GOALS}
    want = {"mab_byod_us_per_request": "| met | the runs' range crosses the goal |",
            "mab_sql_us_per_request": "| **not met** | no run met it |",
            "policy_decision_ns": "| met | every run met it |",
            "index_bytes_per_device": "| not judged | measured at 2,000 devices |",
            "enrol_saturated_per_s": "| not judged | a smoke run (toy size) |",
            "eaptls_full_auth_per_s_core": "| not measured |",
            "freeradius_start_byod_s": "| met | the runs' range crosses the goal |"}
    for name, end in want.items():
        assert end in rows[name], f"{name}: {rows[name]!r} lacks {end!r}"
    with tempfile.TemporaryDirectory() as d:
        recs = [{"bench": "probes", "name": n, "value": 1.0, "unit": "x"}
                for n in spec["probes"]]
        with open(os.path.join(d, "probes.jsonl"), "w") as f:
            f.write("\n".join(json.dumps(r) for r in recs) + "\n")
        try:
            check("probes", d)
        except SystemExit as e:
            assert "baseline" in str(e), e
        else:
            raise AssertionError("--check took a probes ratio goal without its baseline")
        # FreeRADIUS's start measured once, not alternated with its baseline's
        recs = [{"bench": "mab", "name": n, "value": 1.0, "unit": "x", "baseline": "b",
                 "baseline_value": 1.0, "ratio": 1.0, "runs": 5, "range": [1.0, 1.0]}
                for n in spec["mab"]]
        for r in recs:
            if r["name"] == "freeradius_start_byod_s":
                del r["runs"], r["range"]
        with open(os.path.join(d, "mab.jsonl"), "w") as f:
            f.write("\n".join(json.dumps(r) for r in recs) + "\n")
        try:
            check("mab", d)
        except SystemExit as e:
            assert "alternated runs" in str(e), e
        else:
            raise AssertionError("--check took FreeRADIUS's start measured once")
    print(f"self-test: {len(GOALS)} goals, verdicts as expected")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", metavar="NAME")
    ap.add_argument("--out")
    ap.add_argument("--plot")
    ap.add_argument("--seconds")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("dir", nargs="?")
    a = ap.parse_args()
    if a.self_test:
        self_test()
    elif not a.dir:
        ap.error("DIR is needed")
    elif a.check:
        check(a.check, a.dir)
    elif a.out:
        report(a.dir, a.out, a.plot, a.seconds)
    else:
        ap.error("--check NAME or --out FILE")


if __name__ == "__main__":
    main()
