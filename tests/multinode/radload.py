#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A steady MAB and accounting load on RADIUS servers, counted.

One thread per server, each in turn: a MAC-authentication Access-Request
for --mac (with a Message-Authenticator), then one accounting packet of
its own sessions (Start, Interim-Update, Interim-Update, Stop, then the
next session), then --pause seconds. Each request is sent once and waits
--timeout seconds for its answer (checked against the server's secret):
an answer that does not come is counted as unanswered, never sent again.
The load runs until the file --stop exists; a thread then finishes the
session it is in (its Stop) and ends.

  radload.py --server NAME:PORT_AUTH:PORT_ACCT:SECRET ... --mac MAC
             --stop FILE --out RESULT.json [--pause S] [--timeout S]

RESULT.json: per server the requests sent and answered of each kind, the
MAB answers (VLAN or "reject"), the slowest answer and when, and every accounting
session with its packets in the order sent and the counters of the last.
"""
import argparse
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time

ACCESS_REQUEST, ACCESS_ACCEPT, ACCESS_REJECT = 1, 2, 3
ACCT_REQUEST, ACCT_RESPONSE = 4, 5
STATUS = {"Start": 1, "Stop": 2, "Interim-Update": 3}


def attr(t, value):
    return bytes([t, len(value) + 2]) + value


def attr_int(t, n):
    return attr(t, struct.pack("!I", n))


def attr_ip(t, ip):
    return attr(t, socket.inet_aton(ip))


def password(secret, auth, pw):
    pw = pw.encode()
    pw += b"\0" * (16 - len(pw) % 16 if len(pw) % 16 or not pw else 0)
    out, last = b"", auth
    for i in range(0, len(pw), 16):
        b = hashlib.md5(secret + last).digest()
        last = bytes(x ^ y for x, y in zip(pw[i:i + 16], b))
        out += last
    return out


def mab_packet(ident, secret, mac):
    auth = os.urandom(16)
    bare = mac.replace(":", "").lower()
    attrs = (attr(1, bare.encode()) + attr(2, password(secret, auth, bare)) +
             attr(31, mac.upper().replace(":", "-").encode()) + attr_int(61, 15) +
             attr_ip(4, "127.0.0.1"))
    ma_at = 20 + len(attrs)
    attrs += attr(80, b"\0" * 16)
    pkt = bytearray(struct.pack("!BBH", ACCESS_REQUEST, ident, 20 + len(attrs)) + auth + attrs)
    pkt[ma_at + 2:ma_at + 18] = hmac.new(secret, bytes(pkt), hashlib.md5).digest()
    return bytes(pkt), auth


def acct_packet(ident, secret, status, session, mac, octets):
    attrs = (attr_int(40, STATUS[status]) + attr(44, session.encode()) +
             attr_ip(4, "127.0.0.1") + attr(32, b"ap-load") +
             attr(31, mac.upper().replace(":", "-").encode()) + attr_ip(8, "10.20.0.9") +
             attr_int(42, octets) + attr_int(43, octets * 2))
    head = struct.pack("!BBH", ACCT_REQUEST, ident, 20 + len(attrs))
    auth = hashlib.md5(head + b"\0" * 16 + attrs + secret).digest()
    return head + auth + attrs, auth


def answer(sock, ident, req_auth, secret, timeout):
    """The verified answer's (code, attributes), or None after timeout."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return None
        if len(data) < 20 or data[1] != ident:
            continue
        length = struct.unpack("!H", data[2:4])[0]
        data = data[:length]
        want = hashlib.md5(data[:4] + req_auth + data[20:] + secret).digest()
        if want != data[4:20]:
            continue
        attrs, i = {}, 20
        while i + 2 <= len(data):
            t, n = data[i], data[i + 1]
            if n < 2:
                break
            attrs.setdefault(t, data[i + 2:i + n])
            i += n
        return data[0], attrs


def took(r, t0, what):
    ms = int((time.monotonic() - t0) * 1000)
    if ms > r["slowest-ms"]:
        r["slowest-ms"], r["slowest"] = ms, "%s at %.3f" % (what, time.time())


def node(name, host, auth_port, acct_port, secret, mac, stop, pause, timeout, res):
    r = res[name] = {"mab-sent": 0, "mab-answered": 0, "acct-sent": 0, "acct-answered": 0,
                     "mab": {}, "slowest-ms": 0, "slowest": "", "unanswered": [], "sessions": {}}
    secret = secret.encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ident, n_session, step = 0, 0, 0
    steps = ["Start", "Interim-Update", "Interim-Update", "Stop"]
    while True:
        if step == 0 and os.path.exists(stop):
            break
        # MAB
        ident = (ident + 1) % 256
        pkt, auth = mab_packet(ident, secret, mac)
        t0 = time.monotonic()
        sock.sendto(pkt, (host, auth_port))
        r["mab-sent"] += 1
        a = answer(sock, ident, auth, secret, timeout)
        if a is None:
            r["unanswered"].append("MAB at %.3f" % time.time())
        else:
            r["mab-answered"] += 1
            took(r, t0, "MAB")
            if a[0] == ACCESS_ACCEPT:
                vlan = a[1].get(81, b"?")
                if vlan[:1] < b"\x20":  # a tag (RFC 2868), absent when 0
                    vlan = vlan[1:]
                vlan = vlan.decode(errors="replace")
            else:
                vlan = "reject"
            r["mab"][vlan] = r["mab"].get(vlan, 0) + 1
        # accounting
        if step == 0:
            n_session += 1
        session = "load-%s-%d" % (name, n_session)
        octets = n_session * 1000 + step
        ident = (ident + 1) % 256
        pkt, auth = acct_packet(ident, secret, steps[step], session, mac, octets)
        t0 = time.monotonic()
        sock.sendto(pkt, (host, acct_port))
        r["acct-sent"] += 1
        s = r["sessions"].setdefault(session, {"packets": [], "in": 0, "out": 0})
        s["packets"].append(steps[step])
        s["in"], s["out"] = octets, octets * 2
        a = answer(sock, ident, auth, secret, timeout)
        if a is None or a[0] != ACCT_RESPONSE:
            r["unanswered"].append("%s %s at %.3f" % (steps[step], session, time.time()))
        else:
            r["acct-answered"] += 1
            took(r, t0, steps[step])
        step = (step + 1) % len(steps)
        time.sleep(pause)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", action="append", required=True)
    p.add_argument("--mac", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--pause", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=3.0)
    a = p.parse_args()
    res, threads = {}, []
    for s in a.server:
        name, auth_port, acct_port, secret = s.split(":", 3)
        t = threading.Thread(target=node, args=(name, "127.0.0.1", int(auth_port),
                                                int(acct_port), secret, a.mac, a.stop,
                                                a.pause, a.timeout, res))
        t.start()
        threads.append(t)
    print("running", flush=True)
    for t in threads:
        t.join()
    with open(a.out + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.rename(a.out + ".tmp", a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
