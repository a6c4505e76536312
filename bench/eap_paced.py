#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Full EAP-TLS authentications offered at a fixed rate (open loop):

    eap_paced.py --rate R --seconds S --out DIR -- eapol_test ARGS...

eapol_test is a closed-loop client: one authentication, then the next.
This starts one eapol_test run (each a new TLS session: a full
authentication) every 1/R s for S s, on a schedule kept whether or not the
earlier ones have ended (devices arriving do not wait for each other), so
that the server sees the same offered rate whatever its speed, and waits
for them all. Each run's output goes to DIR/eap.N.out; a run succeeded when
its last line is SUCCESS. Prints name=value lines: started, succeeded,
failed, seconds (first start to last end), late (starts more than 10 ms
behind their schedule: the client could not keep the rate), latency_ms_p50
and latency_ms_p99 (each run, start to end: eapol_test's own start
included). Exit 1 when a run failed (its output's tail on stderr).
"""
import argparse
import math
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd or a.rate <= 0:
        ap.error("a rate and an eapol_test command are needed")
    n = max(1, round(a.rate * a.seconds))
    running = {}
    lat = []
    failed = []
    late = 0
    t0 = time.monotonic()
    end = t0

    def reap(block):
        nonlocal end
        for i, (p, start, f) in list(running.items()):
            if (p.wait() if block else p.poll()) is None:
                continue
            end = time.monotonic()
            lat.append((end - start) * 1000)
            f.close()
            del running[i]
            path = os.path.join(a.out, f"eap.{i}.out")
            with open(path, "rb") as o:
                lines = o.read().decode(errors="replace").splitlines()
            if p.returncode != 0 or not lines or lines[-1].strip() != "SUCCESS":
                failed.append(i)
                print(f"run {i} failed ({p.returncode}):", *lines[-10:], sep="\n",
                      file=sys.stderr)

    for i in range(n):
        due = t0 + i / a.rate
        while True:
            reap(False)
            left = due - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, 0.002))
        start = time.monotonic()
        if start - due > 0.010:
            late += 1
        f = open(os.path.join(a.out, f"eap.{i}.out"), "wb")
        running[i] = (subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT), start, f)
    while running:
        reap(True)
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, max(0, math.ceil(p * len(lat)) - 1))]

    print(f"started={n}")
    print(f"succeeded={n - len(failed)}")
    print(f"failed={len(failed)}")
    print(f"seconds={end - t0:.3f}")
    print(f"late={late}")
    print(f"latency_ms_p50={q(0.5):.1f}")
    print(f"latency_ms_p99={q(0.99):.1f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
