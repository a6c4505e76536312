#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Slow clients for tests/portal/slow.sh, as a pupil would run them.

Opens CONNS connections to the portal, spread over ADDRS loopback source
addresses (127.0.1.1, 127.0.1.2, ...), plus GREEDY connections from one more
address (127.0.2.1) that tries to take more than its share. Each sends a
request line and then one header line every INTERVAL seconds, never ending
its headers (Slowloris). Once all are open and SETTLE seconds have passed,
it writes READY (JSON: the time and how many of each kind are still open),
then keeps trickling until the server has closed every connection or
MAX_TIME seconds have passed, and prints one JSON report: for every
connection the server closed, its age at the close and when. Bounded in
count and time; it stops by itself.
"""
import argparse
import json
import os
import resource
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--addrs", type=int, default=65)
    ap.add_argument("--greedy", type=int, default=0)
    ap.add_argument("--interval", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--max-time", type=float, default=30.0)
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    if a.conns > 5000 or a.addrs > 250 or a.greedy > 200 or a.max_time > 120:
        sys.exit("slowloris.py: bounded on purpose (conns <= 5000, addrs <= 250, "
                 "greedy <= 200, max-time <= 120)")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.conns + a.greedy + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))

    sel = selectors.DefaultSelector()
    conns = []  # dicts: sock, kind, opened, closed_at, age
    refused = 0
    plan = [("slow", "127.0.1.%d" % (i % a.addrs + 1)) for i in range(a.conns)]
    plan += [("greedy", "127.0.2.1")] * a.greedy
    start = time.time()
    for n, (kind, src) in enumerate(plan):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((src, 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", a.port))
            s.sendall(b"GET /slow/%d HTTP/1.1\r\nHost: portal.byod.lan\r\n" % n)
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        c = {"sock": s, "kind": kind, "src": src, "opened": time.time(),
             "closed_at": None, "age": None, "line": 0}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    opened_in = time.time() - start

    def closed(c, now):
        c["closed_at"] = now
        c["age"] = now - c["opened"]
        sel.unregister(c["sock"])
        c["sock"].close()

    def poll(timeout):
        now = time.time()
        for key, _ in sel.select(timeout):
            c = key.data
            try:
                data = c["sock"].recv(4096)
            except OSError:
                data = b""
            if not data:  # the server ended it (an answer would be a bug: reported)
                closed(c, now)
            else:
                c["answered"] = data[:40].decode("latin-1")

    def trickle(now):
        for c in conns:
            if c["closed_at"] is None and now - c["opened"] >= a.interval * (c["line"] + 1):
                c["line"] += 1
                try:
                    c["sock"].send(b"X-Line-%d: still here\r\n" % c["line"])
                except OSError:
                    closed(c, now)

    t_end = start + a.max_time
    t_ready = time.time() + a.settle
    while time.time() < t_ready:
        poll(0.05)
        trickle(time.time())
    still = {"slow": 0, "greedy": 0}
    for c in conns:
        if c["closed_at"] is None:
            still[c["kind"]] += 1
    per_addr = {}
    for c in conns:
        if c["closed_at"] is None and c["kind"] == "slow":
            per_addr[c["src"]] = per_addr.get(c["src"], 0) + 1
    with open(a.ready + ".tmp", "w") as f:
        json.dump({"at": time.time(), "open": still, "addresses": len(per_addr),
                   "opened_in": opened_in}, f)
    os.rename(a.ready + ".tmp", a.ready)

    while time.time() < t_end and any(c["closed_at"] is None for c in conns):
        poll(0.05)
        trickle(time.time())
    left = 0
    for c in conns:
        if c["closed_at"] is None:
            left += 1
            closed(c, time.time())
            c["closed_at"] = c["age"] = None
    slow = [c for c in conns if c["kind"] == "slow" and c["closed_at"] is not None]
    json.dump({
        "refused_at_connect": refused,
        "opened": {"slow": sum(c["kind"] == "slow" for c in conns),
                   "greedy": sum(c["kind"] == "greedy" for c in conns)},
        "left_open": left,
        "slow_closed": len(slow),
        "slow_first_close": min((c["closed_at"] for c in slow), default=None),
        "slow_age_min": min((c["age"] for c in slow), default=None),
        "slow_age_max": max((c["age"] for c in slow), default=None),
        "answered": sum("answered" in c for c in conns),
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
