#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The three daemons as systemd runs them with Type=notify and WatchdogSec=:
started with NOTIFY_SOCKET on a datagram socket of the test's and
WATCHDOG_USEC set, each says READY=1 only once its port answers (the
gateway: once its ruleset is applied), feeds the watchdog every half
interval even when idle, answers SIGHUP with RELOADING=1 then READY=1, takes
a changed byod.conf and charter (the portal's school name and charter; a
dozen reloads while six clients ask for pages, each page whole), and
refuses a broken byod.conf or charter in one sentence, keeping the one it
runs. SIGTERM gives STOPPING=1 and a clean exit (no sanitizer report)."""
import os
import shutil
import signal
import ssl
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlib  # noqa: E402
from sdlib import (Browser, Daemon, Notify, School, answers, check, finish, free_ports,  # noqa: E402
                   sanitizer_clean, tmpdir)

WATCHDOG_USEC = 1000000  # 1 s: a ping at least every 0.5 s
START_S = 60             # a sanitizer build opening the registry is slow


def started(name, d, n, port):
    """READY=1 within START_S, and the port answering when it came."""
    seen = {}

    def at_each(t, kv):
        if kv.get("READY") == "1" and "port" not in seen:
            seen["port"] = answers(port) if port else True

    kv = n.wait_for("READY", "1", START_S, on_each=at_each)
    if not check("%s: READY=1 arrives" % name, kv is not None, d.text()[-2000:]):
        return False
    check("%s: its port answers when READY=1 comes" % name, seen.get("port"))
    return True


def watchdog(name, n):
    n.clear()
    n.poll(3.0)
    pings = [t for t, kv in n.msgs if kv.get("WATCHDOG") == "1"]
    check("%s: WATCHDOG=1 keeps coming while idle (>= 4 in 3 s)" % name, len(pings) >= 4,
          "%d pings" % len(pings))
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    check("%s: no gap between two pings reaches WATCHDOG_USEC" % name,
          gaps and max(gaps) < WATCHDOG_USEC / 1e6, gaps)


def reload(name, d, n, expect_ok=True):
    """SIGHUP: RELOADING=1, then READY=1; returns READY's message."""
    n.clear()
    d.signal(signal.SIGHUP)
    rl = n.wait_for("RELOADING", "1", 30)
    check("%s: SIGHUP gives RELOADING=1" % name, rl is not None)
    rd = n.wait_for("READY", "1", 30)
    check("%s: ...then READY=1" % name, rd is not None)
    return rd or {}


def stop(name, d, n):
    rc = d.stop()
    n.poll(0.5)
    check("%s: SIGTERM gives STOPPING=1" % name, any(kv.get("STOPPING") == "1" for _, kv in n.msgs))
    check("%s: stops by itself with status 0" % name, rc == 0, rc)
    check("%s: no sanitizer report" % name, sanitizer_clean(d.text()))


def env_for(school, sock):
    e = dict(school.env, NOTIFY_SOCKET=sock, WATCHDOG_USEC=str(WATCHDOG_USEC))
    e.pop("WATCHDOG_PID", None)
    e.pop("JOURNAL_STREAM", None)  # stderr is the test's file
    return e


def portal(tmp, school):
    name = "byod-portal"
    http_port, = free_ports(1)
    school.edit(r"^  http-port: .*", "  http-port: %d" % http_port, "portal")
    school.edit(r"^  https-port: .*", "  https-port: 0", "portal")
    school.ctl("user", "add", "tom", "--role", "student", "--school", "0131234W", "--group", "5C",
               "--password-stdin", stdin="pupil-pw\n")
    n = Notify(os.path.join(tmp, "portal.notify"))
    d = Daemon([os.environ["BYOD_PORTAL"], "--home", school.home], env_for(school, n.path),
               os.path.join(tmp, "portal.log"))
    try:
        if not started(name, d, n, http_port):
            return
        watchdog(name, n)
        b = Browser("http://127.0.0.1:%d" % http_port)
        st, body, _ = b.req("GET", "/")
        check("portal: the start page names the school", "Collège des Calanques" in body, st)

        # a new school name and a new charter: read at the reload
        school.edit(r'^  name: "Collège des Calanques"', '  name: "Collège du Relais"', "school")
        charter = os.path.join(school.home, "charter.html")
        with open(charter, "w", encoding="utf-8") as f:
            f.write("<p>Charte relue le jour du rechargement.</p>\n")
        rd = reload(name, d, n)
        check("portal: READY after a good reload says it serves", rd.get("STATUS") == "serving", rd)
        st, body, _ = b.req("GET", "/")
        check("portal: the new school name is shown after SIGHUP", "Collège du Relais" in body)
        st, body, _ = b.req("POST", "/login", {"csrf": Browser.csrf(body), "login": "tom",
                                               "password": "pupil-pw"})
        check("portal: the pupil logs in (303)", st in (302, 303), st)
        st, body, _ = b.req("GET", "/enrol")
        check("portal: the enrolment page shows the new charter",
              "Charte relue le jour du rechargement." in body, st)

        # a broken byod.conf: refused in one sentence, the running one kept
        good = school.conf()
        school.write_conf(good + "\nno-such-section:\n  key: 1\n")
        rd = reload(name, d, n)
        check("portal: READY after a refused reload says so", "refused" in rd.get("STATUS", ""), rd)
        time.sleep(0.2)
        refused = [l for l in d.text().splitlines() if "reload refused" in l]
        check("portal: the refusal is one line naming byod.conf",
              len(refused) == 1 and "byod.conf" in refused[0], refused)
        st, body, _ = b.req("GET", "/")
        st, body, _ = Browser("http://127.0.0.1:%d" % http_port).req("GET", "/")
        check("portal: the configuration running is kept", "Collège du Relais" in body, st)
        check("portal: still alive", d.alive())

        # a charter that does not check (a script): refused too
        school.write_conf(good)
        with open(charter, "w", encoding="utf-8") as f:
            f.write("<p>Nouvelle</p><script>alert(1)</script>\n")
        rd = reload(name, d, n)
        check("portal: a charter that does not check is refused", "refused" in rd.get("STATUS", ""),
              rd)
        st, body, _ = b.req("GET", "/enrol")
        check("portal: the charter running is kept", "Charte relue le jour du rechargement." in body
              and "alert(1)" not in body, st)
        check("portal: the refusal names the charter's file",
              "charter.html" in [l for l in d.text().splitlines() if "reload refused" in l][-1])

        # reloads while pages are being made (the lock, the retired
        # configurations, the pool renewed under the pages' feet): every
        # page whole, under one name or the other, none failed
        with open(charter, "w", encoding="utf-8") as f:
            f.write("<p>Charte relue le jour du rechargement.</p>\n")
        names = ["Collège des Sources", "Collège du Relais"]
        done = threading.Event()
        pages = []

        def pupil():
            while not done.is_set():
                try:
                    st, body, _ = Browser("http://127.0.0.1:%d" % http_port).req("GET", "/")
                    pages.append((st, any(x in body for x in names)))
                except Exception as e:  # noqa: BLE001 - what failed is the finding
                    pages.append((repr(e), False))

        pupils = [threading.Thread(target=pupil) for _ in range(6)]
        for t in pupils:
            t.start()
        try:
            for i in range(12):
                school.edit(r'^  name: ".*"', '  name: "%s"' % names[i % 2], "school")
                reload(name, d, n)
                time.sleep(0.05)
        finally:
            done.set()
            for t in pupils:
                t.join()
        bad = [p for p in pages if p != (200, True)]
        check("portal: %d pages during 12 reloads, each whole and served" % len(pages),
              len(pages) >= 12 and not bad, bad[:5])
        check("portal: alive after the reloads under load", d.alive())
        st, body, _ = Browser("http://127.0.0.1:%d" % http_port).req("GET", "/")
        check("portal: the last reload's name is served", names[1] in body, st)
    finally:
        stop(name, d, n)
        n.close()


def admin(tmp, school):
    name = "byod-admin"
    port, = free_ports(1)
    school.edit(r"^  port: .*", "  port: %d" % port, "admin")
    n = Notify(os.path.join(tmp, "admin.notify"))
    d = Daemon([os.environ["BYOD_ADMIN"], "--home", school.home], env_for(school, n.path),
               os.path.join(tmp, "admin.log"))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def login_page():
        try:
            with urllib.request.urlopen("https://127.0.0.1:%d/login" % port, context=ctx,
                                        timeout=20) as r:
                return r.status
        except Exception as e:  # noqa: BLE001
            return str(e)

    try:
        if not started(name, d, n, port):
            return
        watchdog(name, n)
        rd = reload(name, d, n)
        check("admin: READY after a good reload says it serves", rd.get("STATUS") == "serving", rd)
        time.sleep(0.2)
        check("admin: the reload is logged", "reloaded the configuration" in d.text())
        good = school.conf()
        school.write_conf(good.replace("\nadmin:\n", "\nadmin:\n  port: nine\n", 1))
        rd = reload(name, d, n)
        check("admin: READY after a refused reload says so", "refused" in rd.get("STATUS", ""), rd)
        time.sleep(0.2)
        refused = [l for l in d.text().splitlines() if "reload refused" in l]
        check("admin: the refusal is one line naming byod.conf",
              len(refused) == 1 and "byod.conf" in refused[0], refused)
        check("admin: still serving after the refused reload", login_page() == 200, login_page())
        school.write_conf(good)
    finally:
        stop(name, d, n)
        n.close()


def gatewayd(tmp, school):
    name = "byod-gatewayd"
    school.ctl("policy", "apply", os.path.join(os.environ["BYOD_SRC"], "examples", "policy.yaml"))
    n = Notify(os.path.join(tmp, "gw.notify"))
    d = Daemon([os.environ["BYOD_GATEWAYD"], "--home", school.home, "--dry-run"],
               env_for(school, n.path), os.path.join(tmp, "gatewayd.log"))
    try:
        if not started(name, d, n, None):
            return
        check("gatewayd: READY comes once the ruleset is applied (dry run)",
              n.msgs[n.cursor - 1][1].get("STATUS") == "following the change feed",
              n.msgs[n.cursor - 1][1])
        watchdog(name, n)
        rd = reload(name, d, n)
        check("gatewayd: READY after a good reload: following the feed",
              rd.get("STATUS") == "following the change feed", rd)
        time.sleep(0.2)
        check("gatewayd: the reload is logged", "reloaded the configuration" in d.text())
        good = school.conf()
        school.write_conf(good + "\nno-such-section:\n  key: 1\n")
        reload(name, d, n)
        time.sleep(0.2)
        refused = [l for l in d.text().splitlines() if "reload refused" in l]
        check("gatewayd: the refusal is one line naming byod.conf",
              len(refused) == 1 and "byod.conf" in refused[0], refused)
        check("gatewayd: still alive after the refused reload", d.alive())
        watchdog(name + " after the refused reload", n)
        school.write_conf(good)
    finally:
        stop(name, d, n)
        n.close()


def main():
    tmp = tmpdir()
    try:
        school = School(tmp)
        portal(tmp, school)
        admin(tmp, school)
        gatewayd(tmp, school)
    finally:
        if sdlib.failed and os.environ.get("BYOD_KEEP_TMP"):
            print("kept " + tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
