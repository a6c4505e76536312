#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The phones of bench/enrol.sh and bench/enrol_pg.sh:
# enrol_drive.py PORT CLIENTS COUNT ACCOUNTS OUT [login | open RATE]: COUNT
# enrolments by CLIENTS threads (accounts eleveNN, password Calanques-NN!);
# one line per enrolment (ms) in OUT; prints the elapsed seconds. With
# login, the start page and the login alone. With open RATE, open loop:
# enrolment n is due at n / RATE seconds whether or not the earlier ones
# have ended (phones do not wait for each other), taken by the first of the
# CLIENTS threads free, and its time counts from when it was due, so that
# a portal falling behind shows in the latency instead of slowing the load.
import http.client, re, sys, threading, time, urllib.parse
port, clients, count, accounts, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
login_only = len(sys.argv) > 6 and sys.argv[6] == "login"
rate = float(sys.argv[7]) if len(sys.argv) > 7 and sys.argv[6] == "open" else 0.0
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
lock = threading.Lock()
todo = list(range(count))
times, errors, retried = [], [], [0]

def enrol(conn, n):
    cookies = {}
    def req(method, path, form=None):
        h = {"Host": "portal.byod.lan", "User-Agent": UA, "Accept-Language": "fr-FR,fr;q=0.9"}
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        # A keep-alive connection the portal closed (idle, or as the request
        # crossed its close) is reopened and the request sent again, once,
        # as a browser does; counted and printed at the end.
        for attempt in (0, 1):
            try:
                conn.request(method, path, body=body, headers=h)
                r = conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if attempt:
                    raise
                with lock:
                    retried[0] += 1
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        return r.status, data
    def csrf(page):
        m = re.search(rb'name="csrf" value="([A-Za-z0-9_-]+)"', page)
        if not m:
            raise RuntimeError("no form token")
        return m.group(1).decode()
    a = n % accounts
    st, page = req("GET", "/")
    st, _ = req("POST", "/login", {"csrf": csrf(page), "login": f"eleve{a:02d}", "password": f"Calanques-{a:02d}!"})
    if st != 303:
        raise RuntimeError(f"login: {st}")
    if login_only:
        return
    st, page = req("GET", "/enrol")
    st, page = req("POST", "/enrol", {"csrf": csrf(page), "name": f"Pixel {n}", "kind": "phone", "charter": "yes"})
    if st != 200:
        raise RuntimeError(f"enrol: {st}")
    m = re.search(rb'id="download"[^>]*href="([^"]+)"', page)
    if not m:
        raise RuntimeError("no download link")
    st, p12 = req("GET", m.group(1).decode())
    if st != 200 or len(p12) < 500:
        raise RuntimeError(f"download: {st}, {len(p12)} bytes")

def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while True:
        with lock:
            if not todo or errors:
                return
            n = todo.pop()
        if rate:
            t = t0 + n / rate
            time.sleep(max(0.0, t - time.monotonic()))
            conn.close()  # a phone arriving opens a connection of its own
        else:
            t = time.monotonic()
        try:
            enrol(conn, n)
        except Exception as e:
            with lock:
                errors.append(f"enrolment {n}: {e}")
            return
        ms = (time.monotonic() - t) * 1000
        with lock:
            times.append(ms)

if rate:
    todo.reverse()  # in the order they are due
t0 = time.monotonic()
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - t0
if retried[0]:
    print(f"enrol_drive: {retried[0]} requests sent again on a reopened connection",
          file=sys.stderr)
if errors:
    sys.exit(errors[0])
with open(out, "w") as f:
    f.write("\n".join(f"{v:.2f}" for v in times) + "\n")
print(f"{elapsed:.3f}")
