# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the systemd tests: a school made with byodctl in a private
directory, free loopback ports, a listener on a NOTIFY_SOCKET as systemd's
(sd_notify(3): one datagram per message, KEY=VALUE lines), assertions that
say what failed, and the daemons started and stopped by their PID."""
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

passed = 0
failed = 0


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s%s" % (what, (": " + str(detail)) if detail else ""), file=sys.stderr)
    return cond


def finish():
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not passed else 0)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class School:
    """byodctl init in a directory of its own; users added with a password
    through --password-stdin (never argv)."""

    def __init__(self, tmp):
        self.byodctl = os.environ["BYODCTL"]
        self.home = os.path.join(tmp, "home")
        self.env = dict(os.environ, BYOD_HOME=self.home)
        self.ctl("init", "--school", "0131234W", "--name", "Collège des Calanques")
        self.conf_path = os.path.join(self.home, "byod.conf")
        self.edit(r"^  yescrypt-cost: .*", "  yescrypt-cost: 1")

    def ctl(self, *args, stdin=None):
        r = subprocess.run([self.byodctl] + list(args), env=self.env, input=stdin,
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("byodctl %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def conf(self):
        with open(self.conf_path, encoding="utf-8") as f:
            return f.read()

    def write_conf(self, text):
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write(text)

    def edit(self, pattern, repl, section=None):
        """re.sub on byod.conf, inside 'section:' only when given."""
        text = self.conf()
        if section:
            start = text.index("\n%s:\n" % section)
            end = re.search(r"\n[a-z]", text[start + 2:])
            end = start + 2 + end.start() if end else len(text)
            new = text[:start] + re.sub(pattern, repl, text[start:end], flags=re.M) + text[end:]
        else:
            new = re.sub(pattern, repl, text, flags=re.M)
        if new == text:
            raise RuntimeError("byod.conf: %s not found" % pattern)
        self.write_conf(new)


class Notify:
    """A unix datagram socket standing for systemd's notify socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.msgs = []  # (monotonic time, {key: value})
        self.cursor = 0  # wait_for looks at msgs from here

    def poll(self, timeout):
        """Reads what came within timeout seconds; returns the new ones."""
        new = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            kv = dict(l.split("=", 1) for l in data.decode().split("\n") if "=" in l)
            new.append((time.monotonic(), kv))
        self.msgs.extend(new)
        return new

    def clear(self):
        self.msgs.clear()
        self.cursor = 0

    def wait_for(self, key, value, timeout, on_each=None):
        """Waits for a message with key=value after the last one found;
        returns it or None. on_each is called on every message looked at,
        the matching one included, as soon as it is read."""
        end = time.monotonic() + timeout
        while True:
            while self.cursor < len(self.msgs):
                t, kv = self.msgs[self.cursor]
                self.cursor += 1
                if kv.get(key) == value:
                    return kv
            if time.monotonic() >= end:
                return None
            for t, kv in self.poll(min(0.2, max(0.01, end - time.monotonic()))):
                if on_each:
                    on_each(t, kv)

    def close(self):
        self.sock.close()


class Daemon:
    def __init__(self, argv, env, log):
        self.log = log
        self.logf = open(log, "ab")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.logf, stderr=self.logf)

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM and wait: returns the exit status (None if it had to be
        killed)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.logf.close()

    def text(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()


def sanitizer_clean(text):
    return not re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:", text)


class Browser:
    """A cookie jar and a Host header, as a phone's browser on the portal."""

    def __init__(self, base, host="portal.byod.lan"):
        self.base = base
        self.host = host
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())

    def req(self, method, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        rq = urllib.request.Request(self.base + path, data=data, method=method,
                                    headers={"Host": self.host})
        try:
            with self.opener.open(rq, timeout=20) as r:
                return r.status, r.read().decode("utf-8", "replace"), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), e.headers

    @staticmethod
    def csrf(body):
        m = re.search(r'name="csrf" value="([A-Za-z0-9_-]*)"', body)
        return m.group(1) if m else ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def tmpdir():
    base = os.environ.get("BYOD_TEST_TMP", "/tmp")
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="sd.", dir=base)
