#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How long FreeRADIUS takes to start: radstart.py RADDB MAC

Launches `freeradius -f -d RADDB` (its log in RADDB/log/radius.log) and,
from that moment, sends a MAC-authentication request for MAC every 5 ms to
the raddb's auth port (byod-vars.conf; the secret from RADDB/secret, never
on a command line) until one is answered, reading the log meanwhile; then
stops the server (SIGTERM) and prints name=value lines:

    ready_s       launch to the log's "Ready to process requests"
    answer_s      launch to the first answer (Access-Accept or -Reject)
    answer        accept or reject
    cpu_s         the server's user+system CPU time up to the answer
    line_s.NAME   launch to the first log line matching REGEX (--line
                  NAME=REGEX, repeatable; absent when no line matched)
    line_gap_s.NAME   from the log line before that one to it (what the
                  server did in between: a module's instantiate)
    line_before.NAME  that line before, without its date

Resolution: a request is sent every 5 ms (one sent before the server has
bound its socket is lost; the first answer to any of them counts), and the
log is read at the same pace. The request is what a switch sends for MAB (as
bench/radload.c: User-Name and User-Password the bare MAC, Calling-Station-Id,
NAS-Port-Type Ethernet, Service-Type Call-Check, Message-Authenticator);
the answer's Response Authenticator is checked. Exit 1 when the server
exits or does not answer within --timeout seconds (its log's tail shown).
"""
import argparse
import hashlib
import hmac
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

STEP = 0.005


def attr(t, v):
    return struct.pack("!BB", t, len(v) + 2) + v


def request(ident, auth, mac, secret):
    bare = mac.replace(":", "").lower().encode()
    # RFC 2865 5.2: the password padded to 16 bytes, XORed with MD5(secret + authenticator)
    pw = bare + b"\0" * (16 - len(bare) % 16 if len(bare) % 16 else 0)
    enc, prev = b"", auth
    for i in range(0, len(pw), 16):
        block = bytes(a ^ b for a, b in zip(pw[i:i + 16], hashlib.md5(secret + prev).digest()))
        enc += block
        prev = block
    attrs = (attr(1, bare) + attr(2, enc) + attr(31, mac.encode()) + attr(61, struct.pack("!I", 15))
             + attr(6, struct.pack("!I", 10)) + attr(4, socket.inet_aton("127.0.0.1")))
    ma_at = len(attrs)
    attrs += attr(80, b"\0" * 16)
    hdr = struct.pack("!BBH", 1, ident, 20 + len(attrs)) + auth
    ma = hmac.new(secret, hdr + attrs, hashlib.md5).digest()
    return hdr + attrs[:ma_at + 2] + ma


def answer(pkt, sent, secret):
    """'accept', 'reject' or None (not an answer to any request in sent,
    identifier -> the Request Authenticators sent with it)"""
    if len(pkt) < 20:
        return None
    code, pid, length = struct.unpack("!BBH", pkt[:4])
    if length > len(pkt) or code not in (2, 3):
        return None
    for auth in sent.get(pid, ()):
        want = hashlib.md5(pkt[:4] + auth + pkt[20:length] + secret).digest()
        if hmac.compare_digest(want, pkt[4:20]):
            return "accept" if code == 2 else "reject"
    return None


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raddb")
    ap.add_argument("mac")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--line", action="append", default=[])
    a = ap.parse_args()
    lines = {}
    for spec in a.line:
        name, sep, regex = spec.partition("=")
        if not sep or not name:
            ap.error(f"--line NAME=REGEX, not {spec!r}")
        lines[name] = re.compile(regex)
    port = None
    with open(os.path.join(a.raddb, "byod-vars.conf")) as f:
        for line in f:
            m = re.match(r"^byod_auth_port = (\d+)$", line.strip())
            if m:
                port = int(m.group(1))
    if not port:
        sys.exit(f"no byod_auth_port in {a.raddb}/byod-vars.conf")
    with open(os.path.join(a.raddb, "secret"), "rb") as f:
        secret = f.read().strip()
    logpath = os.path.join(a.raddb, "log", "radius.log")
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    open(logpath, "w").close()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    log = open(logpath, "rb")
    buf = b""
    seen = {}
    ready = got = last = last_text = None
    ident = 0
    sent = {}
    t0 = time.monotonic()
    fr = subprocess.Popen(["freeradius", "-f", "-d", a.raddb, "-l", logpath],
                          stdout=subprocess.DEVNULL)
    stop = lambda *_: (fr.terminate(), sys.exit(1))  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while got is None:
            now = time.monotonic()
            buf += log.read()
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                if ready is None and "Ready to process requests" in text:
                    ready = now - t0
                for want, pat in lines.items():
                    if want not in seen and pat.search(text):
                        seen[want] = (now - t0, last, last_text)
                last, last_text = now - t0, text
            if fr.poll() is not None:
                sys.exit(f"freeradius exited ({fr.returncode}) before answering")
            if now - t0 > a.timeout:
                sys.exit(f"freeradius did not answer within {a.timeout:g} s")
            ident = (ident + 1) & 255
            auth = os.urandom(16)
            sent.setdefault(ident, []).append(auth)
            sock.sendto(request(ident, auth, a.mac, secret), ("127.0.0.1", port))
            end = now + STEP
            while got is None:
                left = end - time.monotonic()
                if left <= 0 or not select.select([sock], [], [], left)[0]:
                    break
                pkt = sock.recv(4096)
                # an answer to any request sent so far: the requests that reached
                # the socket once bound, before the server read it, are answered
                # first, oldest first
                got = answer(pkt, sent, secret)
        t1 = time.monotonic()
        cpu = cpu_s(fr.pid)
        # the Ready line is written before the server answers, maybe after
        # the log's last read: it came by the answer, then
        buf += log.read()
        for line in buf.split(b"\n"):
            text = line.decode(errors="replace")
            if ready is None and "Ready to process requests" in text:
                ready = t1 - t0
            for want, pat in lines.items():
                if want not in seen and pat.search(text):
                    seen[want] = (t1 - t0, last, last_text)
            last, last_text = t1 - t0, text
    except SystemExit:
        if fr.poll() is None:
            fr.terminate()
            fr.wait()
        log.seek(0)
        tail = log.read().decode(errors="replace").splitlines()[-20:]
        print("\n".join(tail), file=sys.stderr)
        raise
    fr.terminate()
    fr.wait()
    print(f"answer_s={t1 - t0:.4f}")
    print(f"answer={got}")
    if ready is not None:
        print(f"ready_s={ready:.4f}")
    print(f"cpu_s={cpu:.2f}")
    for want, (t, before, before_text) in seen.items():
        print(f"line_s.{want}={t:.4f}")
        if before is not None:
            print(f"line_gap_s.{want}={t - before:.4f}")
            # the line's text without its date
            print(f"line_before.{want}={before_text.split(' : ', 1)[-1]}")


if __name__ == "__main__":
    main()
