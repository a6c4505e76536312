#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A bounded, steady load of a school's traffic, every request logged.

At fixed rates (a request is started at each tick, never more in flight of
one kind than --inflight; a tick that finds them all busy is logged as
"skipped"), against the RADIUS nodes in turn:

  mab     MAC-authentication Access-Requests for the --mac devices
          (Access-Accept expected);
  eap     EAP-TLS authentications, each one eapol_test (a subprocess with a
          timeout) with one of the --eap certificates;
  acct    accounting sessions of the --mac devices: Start, Interim-Update,
          Interim-Update, Stop, --acct-gap seconds apart, on one node, each
          Acct-Session-Id unique (RUN-NODE-N), each packet waiting for its
          Accounting-Response before the next;
  enrol   enrolments at the portal --portal (start page, login, the enrol
          form, the PKCS#12 downloaded and its serial read by openssl), a
          fresh device name each time, by the --account pupils in turn.

RADIUS requests are retransmitted as a NAS does: --tries sends of the same
packet, --retry seconds apart; "answered" is any verified answer within
that budget. The load runs --duration seconds, or until the file --stop
exists if that comes first; accounting sessions begun then are finished
(their Stop sent). Each request is one JSON line in --log:

  {"kind", "node", "sent", "answered" (Unix times, answered null when
   none), "tries", "outcome", ...}

outcome: mab/eap "accept", "reject" or "none"; acct "ack" or "none" (with
"session", "status", "in", "out"); enrol "ok" (with "serial", "name"),
"unavailable" (the portal's 503 at "step") or "error" (with "step" and
"detail"), with "form_sent" and "enrolled" the times the enrol form was
posted and answered when it was; any kind "skipped". At the end a summary (--summary as JSON, and
name=value lines on stdout): per kind sent, answered, accepted, rejected,
unanswered, skipped, retried (answered after a retransmission), max_ms (the
slowest answer); enrolments ok, unavailable, error; the first and the last
503 of the portal.

  haload.py --node NAME:AUTH:ACCT:SECRET ... --log FILE [--summary FILE]
            [--duration S] [--stop FILE] [--mac MAC ...]
            [--eap IDENTITY:CERT:KEY:MAC ... --ca CA] [--portal PORT
            --account LOGIN:PASSWORD ...] [--mab-rate R] [--eap-rate R]
            [--acct-rate SESSIONS_PER_S] [--enrol-rate R] ...
"""
import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "multinode"))
from radload import (ACCESS_ACCEPT, ACCESS_REJECT, ACCT_RESPONSE,  # noqa: E402
                     acct_packet, answer, mab_packet)

UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/124.0 Mobile Safari/537.36")
STEPS = ["Start", "Interim-Update", "Interim-Update", "Stop"]


class Load:
    def __init__(self, a):
        self.a = a
        self.nodes = []
        for s in a.node:
            name, auth, acct, secret = s.split(":", 3)
            self.nodes.append((name, int(auth), int(acct), secret.encode()))
        self.lock = threading.Lock()
        self.log = open(a.log, "a", buffering=1)
        self.turn = {}
        self.count = {}
        self.end = time.monotonic() + a.duration
        self.tmp = tempfile.mkdtemp(prefix="haload.")
        self.run = a.run or "%x" % int(time.time())

    # ---- common -------------------------------------------------------------
    def stopping(self):
        return time.monotonic() >= self.end or (self.a.stop and os.path.exists(self.a.stop))

    def next_of(self, what, items):
        with self.lock:
            n = self.turn.get(what, 0)
            self.turn[what] = n + 1
        return n, items[n % len(items)]

    def record(self, rec):
        with self.lock:
            self.log.write(json.dumps(rec, sort_keys=True) + "\n")

    def radius(self, node, port, pkt, auth, ident):
        """Sends pkt up to --tries times; (answer or None, tries, answer time)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for i in range(self.a.tries):
                sock.sendto(pkt, ("127.0.0.1", port))
                got = answer(sock, ident, auth, node[3], self.a.retry)
                if got is not None:
                    return got, i + 1, time.time()
            return None, self.a.tries, None
        finally:
            sock.close()

    # ---- the kinds ------------------------------------------------------------
    def mab(self):
        _, node = self.next_of("mab-node", self.nodes)
        _, mac = self.next_of("mab-mac", self.a.mac)
        ident = int.from_bytes(os.urandom(1), "big")
        pkt, auth = mab_packet(ident, node[3], mac)
        sent = time.time()
        got, tries, at = self.radius(node, node[1], pkt, auth, ident)
        rec = {"kind": "mab", "node": node[0], "mac": mac, "sent": sent, "answered": at,
               "tries": tries}
        if got is None:
            rec["outcome"] = "none"
        elif got[0] == ACCESS_ACCEPT:
            rec["outcome"] = "accept"
            vlan = got[1].get(81, b"")
            rec["vlan"] = (vlan[1:] if vlan[:1] < b"\x20" else vlan).decode(errors="replace")
        else:
            rec["outcome"] = "reject" if got[0] == ACCESS_REJECT else "code-%d" % got[0]
        self.record(rec)

    def eap(self):
        _, node = self.next_of("eap-node", self.nodes)
        n, (identity, cert, key, mac) = self.next_of("eap-cert", self.eaps)
        conf = os.path.join(self.tmp, "eap-%d.conf" % (n % len(self.eaps)))
        if not os.path.exists(conf):
            with open(conf + ".tmp", "w") as f:
                f.write('network={\n\tkey_mgmt=IEEE8021X\n\teap=TLS\n\tidentity="%s"\n'
                        '\tca_cert="%s"\n\tclient_cert="%s"\n\tprivate_key="%s"\n'
                        '\tdomain_match="%s"\n\teapol_flags=0\n}\n'
                        % (identity, self.a.ca, cert, key, self.a.domain))
            os.rename(conf + ".tmp", conf)
        budget = self.a.tries * self.a.retry
        cmd = ["eapol_test", "-c", conf, "-a", "127.0.0.1", "-p", str(node[1]),
               "-s", node[3].decode(), "-M", mac, "-t", str(int(budget) + 4)]
        sent = time.time()
        rec = {"kind": "eap", "node": node[0], "identity": identity, "sent": sent}
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=budget + 8)
            out = p.stdout.decode(errors="replace")
            last = out.strip().splitlines()[-1] if out.strip() else ""
            if last.startswith("SUCCESS"):
                rec["outcome"] = "accept"
            elif "Access-Reject" in out:
                rec["outcome"] = "reject"
                m = re.search(r"Value: '([^']*)'", out.split("Access-Reject", 1)[1])
                if m:
                    rec["detail"] = m.group(1)
            else:
                rec["outcome"] = "none"
                rec["detail"] = last[:200]
        except subprocess.TimeoutExpired:
            rec["outcome"] = "none"
            rec["detail"] = "eapol_test timed out"
        rec["answered"] = time.time() if rec["outcome"] != "none" else None
        self.record(rec)

    def acct(self):
        n, node = self.next_of("acct-node", self.nodes)
        _, mac = self.next_of("acct-mac", self.a.mac)
        session = "ha-%s-%s-%d" % (self.run, node[0], n)
        for step, status in enumerate(STEPS):
            octets = (n + 1) * 1000 + step
            ident = int.from_bytes(os.urandom(1), "big")
            pkt, auth = acct_packet(ident, node[3], status, session, mac, octets)
            sent = time.time()
            got, tries, at = self.radius(node, node[2], pkt, auth, ident)
            ok = got is not None and got[0] == ACCT_RESPONSE
            self.record({"kind": "acct", "node": node[0], "session": session,
                         "status": status, "in": octets, "out": octets * 2, "mac": mac,
                         "sent": sent, "answered": at if ok else None, "tries": tries,
                         "outcome": "ack" if ok else "none"})
            if step + 1 < len(STEPS):
                time.sleep(self.a.acct_gap)

    def enrol(self):
        n, account = self.next_of("enrol-account", self.a.account)
        login, password = account.split(":", 1)
        name = "ha-%s-%d" % (self.run, n)
        conn = http.client.HTTPConnection("127.0.0.1", self.a.portal, timeout=self.a.http_timeout)
        cookies = {}
        rec = {"kind": "enrol", "node": "portal", "name": name, "login": login,
               "sent": time.time()}

        class Refused(Exception):
            pass

        def req(step, method, path, form=None, want=200):
            h = {"Host": "portal.byod.lan", "User-Agent": UA, "Accept-Language": "fr-FR,fr;q=0.9"}
            if cookies:
                h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form)
                h["Content-Type"] = "application/x-www-form-urlencoded"
            rec["step"] = step
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    cookies[v.split("=", 1)[0]] = v.split("=", 1)[1].split(";", 1)[0]
            if r.status == 503:
                rec["outcome"] = "unavailable"
                raise Refused()
            if r.status != want:
                rec["outcome"] = "error"
                rec["detail"] = "HTTP %d" % r.status
                raise Refused()
            return data

        def csrf(page):
            m = re.search(rb'name="csrf" value="([A-Za-z0-9_-]+)"', page)
            if not m:
                rec["outcome"], rec["detail"] = "error", "no form token"
                raise Refused()
            return m.group(1).decode()

        try:
            page = req("start", "GET", "/")
            req("login", "POST", "/login",
                {"csrf": csrf(page), "login": login, "password": password}, 303)
            page = req("form", "GET", "/enrol")
            rec["form_sent"] = time.time()
            page = req("enrol", "POST", "/enrol", {"csrf": csrf(page), "name": name,
                                                   "kind": "phone", "charter": "yes"})
            link = re.search(rb'id="download"[^>]*href="([^"]+)"', page)
            pw = re.search(rb'<code id="passphrase">([^<]*)<', page)
            if not link or not pw:
                rec["outcome"], rec["detail"] = "error", "no download link or passphrase"
                raise Refused()
            rec["enrolled"] = time.time()
            p12 = req("download", "GET", link.group(1).decode())
            rec["step"] = "serial"
            serial = p12_serial(p12, pw.group(1).decode())
            if not serial:
                rec["outcome"], rec["detail"] = "error", "the PKCS#12 does not open"
                raise Refused()
            rec["outcome"], rec["serial"] = "ok", serial
        except Refused:
            pass
        except (OSError, http.client.HTTPException) as e:
            # no answer at all: refused, reset, or none within --http-timeout
            rec["outcome"], rec["detail"] = "error", "%s: %s" % (type(e).__name__, e)
            rec["answered"] = None
        finally:
            conn.close()
        rec.setdefault("answered", time.time())
        self.record(rec)

    # ---- pacing ----------------------------------------------------------------
    def pace(self, kind, rate, fn):
        """Starts fn at rate per second until the end; at most --inflight
        running. Returns the threads started."""
        if rate <= 0:
            return []
        room = threading.Semaphore(self.a.inflight)
        started = []

        def one():
            try:
                fn()
            except Exception as e:  # a bug of this program's: said, counted
                self.record({"kind": kind, "outcome": "crash", "detail": repr(e),
                             "sent": time.time(), "answered": None, "node": "-"})
            finally:
                room.release()

        def loop():
            t0, i = time.monotonic(), 0
            while not self.stopping():
                if room.acquire(blocking=False):
                    t = threading.Thread(target=one)
                    t.start()
                    started.append(t)
                else:
                    self.record({"kind": kind, "outcome": "skipped", "node": "-",
                                 "sent": time.time(), "answered": None})
                i += 1
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

        th = threading.Thread(target=loop)
        th.start()
        return [th, started]

    def main(self):
        a = self.a
        self.eaps = [e.split(":", 3) for e in a.eap]
        pacers = []
        if a.mac:
            pacers.append(self.pace("mab", a.mab_rate, self.mab))
            pacers.append(self.pace("acct", a.acct_rate, self.acct))
        if self.eaps:
            pacers.append(self.pace("eap", a.eap_rate, self.eap))
        if a.portal and a.account:
            pacers.append(self.pace("enrol", a.enrol_rate, self.enrol))
        print("running", flush=True)
        for p in pacers:
            if not p:
                continue
            p[0].join()
        for p in pacers:
            if p:
                for t in list(p[1]):
                    t.join()
        self.log.close()
        return summary(a.log, a.summary)


def p12_serial(p12, passphrase):
    """The certificate's serial in the registry's form (lower-case hex, no
    leading zero), or None."""
    with tempfile.NamedTemporaryFile(suffix=".p12") as f:
        f.write(p12)
        f.flush()
        try:
            pem = subprocess.run(["openssl", "pkcs12", "-in", f.name, "-passin",
                                  "pass:" + passphrase, "-nokeys", "-clcerts"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 timeout=10).stdout
            out = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 timeout=10).stdout.decode()
        except subprocess.TimeoutExpired:
            return None
    m = re.match(r"serial=([0-9A-Fa-f]+)", out)
    return (m.group(1).lower().lstrip("0") or "0") if m else None


def summary(log, out):
    """Counts of the JSON-lines log: printed as name=value, written as JSON."""
    s = {}
    first503 = last503 = None
    with open(log) as f:
        for line in f:
            r = json.loads(line)
            k = s.setdefault(r["kind"], {"sent": 0, "answered": 0, "accepted": 0,
                                         "rejected": 0, "unanswered": 0, "skipped": 0,
                                         "retried": 0, "max_ms": 0})
            o = r["outcome"]
            if o == "skipped":
                k["skipped"] += 1
                continue
            k["sent"] += 1
            k["retried"] += r.get("tries", 1) > 1
            if r["answered"] is not None:
                k["max_ms"] = max(k["max_ms"], int((r["answered"] - r["sent"]) * 1000))
            if r["kind"] == "enrol":
                k[o] = k.get(o, 0) + 1
                if o == "ok":
                    k["accepted"] += 1
                elif o == "unavailable":
                    k["rejected"] += 1
                    t = r["answered"]
                    first503 = t if first503 is None else min(first503, t)
                    last503 = t if last503 is None else max(last503, t)
                else:
                    k["unanswered" if r["answered"] is None else "rejected"] += 1
                if r["answered"] is not None:
                    k["answered"] += 1
                continue
            if o in ("accept", "ack"):
                k["answered"] += 1
                k["accepted"] += 1
            elif o == "none" or o == "crash":
                k["unanswered"] += 1
            else:
                k["answered"] += 1
                k["rejected"] += 1
    s["portal-503"] = {"first": first503, "last": last503}
    if out:
        with open(out + ".tmp", "w") as f:
            json.dump(s, f, indent=1, sort_keys=True)
        os.rename(out + ".tmp", out)
    for kind in sorted(k for k in s if k != "portal-503"):
        print(" ".join("%s_%s=%d" % (kind, n, v) for n, v in sorted(s[kind].items())))
    print("portal_503_first=%s portal_503_last=%s" % (first503, last503))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--node", action="append", default=[], help="NAME:AUTH:ACCT:SECRET")
    p.add_argument("--log", required=True)
    p.add_argument("--summary")
    p.add_argument("--summarise", action="store_true", help="only the summary of --log")
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--stop", help="the load ends when this file exists")
    p.add_argument("--run", help="a word in every session id and device name")
    p.add_argument("--mac", action="append", default=[])
    p.add_argument("--eap", action="append", default=[], help="IDENTITY:CERT:KEY:MAC")
    p.add_argument("--ca")
    p.add_argument("--domain", default="radius.byod.lan")
    p.add_argument("--portal", type=int)
    p.add_argument("--account", action="append", default=[], help="LOGIN:PASSWORD")
    p.add_argument("--mab-rate", type=float, default=20.0)
    p.add_argument("--eap-rate", type=float, default=2.0)
    p.add_argument("--acct-rate", type=float, default=2.0)
    p.add_argument("--acct-gap", type=float, default=1.0)
    p.add_argument("--enrol-rate", type=float, default=1.0)
    p.add_argument("--inflight", type=int, default=16)
    p.add_argument("--tries", type=int, default=3)
    p.add_argument("--retry", type=float, default=2.0)
    p.add_argument("--http-timeout", type=float, default=30.0)
    a = p.parse_args()
    if a.summarise:
        return summary(a.log, a.summary)
    if not a.node and (a.mac or a.eap):
        p.error("--mac and --eap need --node")
    if a.eap and not a.ca:
        p.error("--eap needs --ca")
    return Load(a).main()


if __name__ == "__main__":
    sys.exit(main())
