#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run by journal.sh inside namespaces where a real systemd-journald owns
/run/systemd/journal: the portal's standard error is a journal stream (as
systemd connects it, JOURNAL_STREAM naming it), a pupil logs in with a
wrong then the right password and enrols a phone. The journal must then
hold native entries (not stream lines) with the structured fields:
BYOD_DEVICE and BYOD_SCHOOL on the enrolment, BYOD_LOGIN on the logins,
the request lines too; and no field of any entry may hold the passwords,
the PKCS#12 passphrase, the download tokens, the form token or the session
cookie."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdlib  # noqa: E402
from sdlib import Browser, School, answers, check, finish, free_ports, tmpdir  # noqa: E402

PASSWORD = "Secret-pupil-pw-4217"
WRONG = "Wrong-guess-pw-9931"


def journal_stream(ident):
    """A stream to journald as systemd makes for a service's stderr: the
    stream protocol's header, then lines. Returns the socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/systemd/journal/stdout")
    # identifier, unit id, priority, level prefix, forward to syslog, kmsg, console
    s.sendall(("%s\n\n6\n0\n0\n0\n0\n" % ident).encode())
    s.shutdown(socket.SHUT_RD)
    return s


def journal_entries():
    r = subprocess.run(["journalctl", "-D", "/run/log/journal", "-o", "json", "--no-pager",
                        "--all"], capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def field_text(v):
    if isinstance(v, list):  # a binary field: bytes
        try:
            return bytes(v).decode("utf-8", "replace")
        except (TypeError, ValueError):
            return " ".join(field_text(x) for x in v)
    return str(v)


def main():
    tmp = tmpdir()
    portal = None
    try:
        school = School(tmp)
        http_port, = free_ports(1)
        school.edit(r"^  http-port: .*", "  http-port: %d" % http_port, "portal")
        school.edit(r"^  https-port: .*", "  https-port: 0", "portal")
        # the request lines are asked for (none by default)
        school.edit(r"^  access-log: .*", "  access-log: yes", "portal")
        school.ctl("user", "add", "tom", "--role", "student", "--school", "0131234W", "--group",
                   "5C", "--password-stdin", stdin=PASSWORD + "\n")
        stream = journal_stream("byod-portal")
        st = os.fstat(stream.fileno())
        env = dict(school.env, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        env.pop("NOTIFY_SOCKET", None)
        portal = subprocess.Popen([os.environ["BYOD_PORTAL"], "--home", school.home], env=env,
                                  stdin=subprocess.DEVNULL, stdout=stream.fileno(),
                                  stderr=stream.fileno())
        stream.close()
        for _ in range(600):
            if answers(http_port) or portal.poll() is not None:
                break
            time.sleep(0.1)
        if not check("the portal starts", answers(http_port)):
            return

        b = Browser("http://127.0.0.1:%d" % http_port)
        secrets = {"the wrong password": WRONG, "the password": PASSWORD}
        st_, body, _ = b.req("GET", "/")
        token = Browser.csrf(body)
        secrets["the login form's token"] = token
        st_, body, _ = b.req("POST", "/login", {"csrf": token, "login": "tom", "password": WRONG})
        check("a wrong password is refused (401)", st_ == 401, st_)
        token = Browser.csrf(body)
        st_, body, _ = b.req("POST", "/login", {"csrf": token, "login": "tom",
                                                "password": PASSWORD})
        check("the right one logs in", st_ in (302, 303), st_)
        for c in b.jar:
            secrets["the cookie " + c.name] = c.value
        st_, body, _ = b.req("GET", "/enrol")
        token = Browser.csrf(body)
        secrets["the enrolment form's token"] = token
        st_, body, h = b.req("POST", "/enrol", {"csrf": token, "name": "Pixel de Tom",
                                                "kind": "phone", "charter": "yes"})
        if st_ in (302, 303):
            st_, body, _ = b.req("GET", h.get("Location", "/enrolled"))
        check("the phone is enrolled (the page with its passphrase)",
              'id="passphrase"' in body, st_)
        m = re.search(r'<code id="passphrase">([^<]+)</code>', body)
        if m:
            secrets["the PKCS#12 passphrase"] = m.group(1)
        for i, t in enumerate(sorted(set(re.findall(r"/download/([A-Za-z0-9_-]{8,})", body)))):
            secrets["download token %d" % i] = t
        check("the page carries download tokens to look for",
              any(k.startswith("download") for k in secrets))
        device = subprocess.run(["sqlite3", os.path.join(school.home, "registry.db"),
                                 "SELECT d.id FROM devices d JOIN people p ON p.id = d.owner "
                                 "WHERE p.login = 'tom'"], capture_output=True,
                                text=True).stdout.strip()
        check("the registry holds the device", device != "", device)

        portal.terminate()
        portal.wait(30)
        portal = None
        time.sleep(0.5)  # journald writes what it was sent
        entries = [e for e in journal_entries() if e.get("SYSLOG_IDENTIFIER") == "byod-portal"]
        check("the portal's entries are in journald", len(entries) > 3, len(entries))
        stream_lines = [e.get("MESSAGE") for e in entries if e.get("_TRANSPORT") != "journal"]
        check("every entry came natively, none as a line of standard error", not stream_lines,
              stream_lines[:5])
        enrolled = [e for e in entries if e.get("BYOD_EVENT") == "enrolled"]
        check("the enrolment has an entry", len(enrolled) == 1, len(enrolled))
        if enrolled:
            e = enrolled[0]
            check("...with BYOD_DEVICE, the device's id", e.get("BYOD_DEVICE") == device, e)
            check("...with BYOD_SCHOOL", e.get("BYOD_SCHOOL") == "0131234W", e)
            check("...with BYOD_LOGIN", e.get("BYOD_LOGIN") == "tom", e)
            check("...and a message naming the device", device in e.get("MESSAGE", ""), e)
            check("...at priority info", e.get("PRIORITY") == "6", e)
        refused = [e for e in entries if e.get("BYOD_EVENT") == "login-refused"]
        check("the refused login has an entry with BYOD_LOGIN and BYOD_SCHOOL",
              len(refused) == 1 and refused[0].get("BYOD_LOGIN") == "tom" and
              refused[0].get("BYOD_SCHOOL") == "0131234W", refused)
        check("the accepted login has one too",
              sum(1 for e in entries if e.get("BYOD_EVENT") == "login") == 1)
        check("the request lines are entries", any(
            re.search(r"POST \S*/login -> 401", e.get("MESSAGE", "")) for e in entries),
            [e.get("MESSAGE") for e in entries][:12])
        # no secret in any field of any entry (every identifier, not only the portal's)
        every = journal_entries()
        check("the whole journal is read", len(every) >= len(entries))
        for what, value in secrets.items():
            if not value:
                check("%s was found to look for" % what, False)
                continue
            where = [(k, e.get("MESSAGE")) for e in every for k, v in e.items()
                     if value in field_text(v)]
            check("%s is in no field of any entry" % what, not where, where[:3])
        check("no field of the portal is named like a secret", not [
            k for e in entries for k in e
            if re.search(r"PASSWORD|PASSPHRASE|TOKEN|SECRET|COOKIE", k)])
    finally:
        if portal:
            portal.kill()
            portal.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
