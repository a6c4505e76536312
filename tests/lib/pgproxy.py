#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A PostgreSQL wire-protocol proxy that loses a COMMIT's answer on demand.

The registry must tell "committed", "not committed" and "not known" apart
when the primary dies under a write. This proxy sits between a client
(libpq over TCP on 127.0.0.1, sslmode=disable) and a test server (its Unix
socket, or host:port), forwards every byte, and reads the messages only to
find COMMIT. What it does is steered by files in its control directory CTL:

  CTL/arm-commit         the next COMMIT (simple Query or Parse) is forwarded,
                         the server's CommandComplete is awaited, then the
                         client's and the server's connections are closed
                         without relaying it: the commit happened, its
                         answer was lost.
  CTL/arm-commit-before  the next COMMIT is not forwarded: both connections
                         are closed (the server rolls the transaction back).
  CTL/arm-commit-cut     the next COMMIT is forwarded and its answer relayed,
                         then both connections are closed: the commit
                         happened and the client was told so, and the
                         primary is gone right after (with down-after-fire).
  CTL/down               new connections are accepted and closed at once, as
                         while a primary is gone.
  CTL/down-after-fire    renamed to CTL/down when an arm file fires: the
                         primary stays gone after the COMMIT it lost.

An arm file may hold a text: then only a transaction one of whose statements
contains that text (any case; e.g. "INSERT INTO certs") fires it. An arm file is
removed when it fires (one shot), and a line "after", "before" or "cut" is appended
to CTL/fired. The port listened on is written to CTL/port once listening
(write the pid file yourself: $!). Stops on SIGTERM.

    pgproxy.py CTL UPSTREAM    UPSTREAM: a socket path, or 127.0.0.1:5432
"""
import os
import signal
import socket
import struct
import sys
import threading

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104
CANCEL_REQUEST = 80877102

lock = threading.Lock()


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_msg(sock):
    """One typed message: (type, whole bytes) or (None, None) at the end."""
    head = recv_exact(sock, 5)
    if head is None:
        return None, None
    (length,) = struct.unpack("!I", head[1:5])
    body = recv_exact(sock, length - 4) if length > 4 else b""
    if body is None:
        return None, None
    return head[0:1], head + body


def query_text(kind, msg):
    """The SQL of a Query ('Q') or Parse ('P') message, else None."""
    body = msg[5:]
    if kind == b"Q":
        return body.split(b"\0", 1)[0].decode("utf-8", "replace")
    if kind == b"P":
        parts = body.split(b"\0", 2)
        if len(parts) >= 2:
            return parts[1].decode("utf-8", "replace")
    return None


def take_arm(ctl, tx_text):
    """The armed mode ("after"/"before") this transaction fires, or None;
    removes the arm file that fired."""
    with lock:
        for mode, name in (("after", "arm-commit"), ("before", "arm-commit-before"),
                           ("cut", "arm-commit-cut")):
            path = os.path.join(ctl, name)
            try:
                with open(path) as f:
                    want = f.read().strip()
            except FileNotFoundError:
                continue
            if want and want.upper() not in tx_text.upper():
                continue
            os.unlink(path)
            with open(os.path.join(ctl, "fired"), "a") as f:
                f.write(mode + "\n")
            try:
                os.rename(os.path.join(ctl, "down-after-fire"), os.path.join(ctl, "down"))
            except FileNotFoundError:
                pass
            return mode
    return None


class Conn:
    def __init__(self, ctl, client, upstream):
        self.ctl = ctl
        self.client = client
        self.upstream = upstream
        self.server = None
        self.commit_pending = False  # "after" armed: drop at its CommandComplete
        self.cut_pending = False  # "cut" armed: close after its ReadyForQuery
        self.closed = False
        self.cl_lock = threading.Lock()

    def close(self):
        with self.cl_lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def connect_upstream(self):
        if ":" in self.upstream and not self.upstream.startswith("/"):
            host, port = self.upstream.rsplit(":", 1)
            return socket.create_connection((host, int(port)))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.upstream)
        return s

    def startup(self):
        """Relays the untyped startup packet, answering SSL/GSS requests 'N'."""
        while True:
            head = recv_exact(self.client, 4)
            if head is None:
                return False
            (length,) = struct.unpack("!I", head)
            body = recv_exact(self.client, length - 4)
            if body is None:
                return False
            (code,) = struct.unpack("!I", body[:4])
            if code in (SSL_REQUEST, GSS_REQUEST):
                self.client.sendall(b"N")
                continue
            self.server = self.connect_upstream()
            self.server.sendall(head + body)
            return code != CANCEL_REQUEST

    def client_to_server(self):
        tx_text = ""
        try:
            if not self.startup():
                return
            threading.Thread(target=self.server_to_client, daemon=True).start()
            while True:
                kind, msg = read_msg(self.client)
                if kind is None:
                    return
                sql = query_text(kind, msg)
                if sql is not None:
                    word = sql.strip().rstrip(";").strip().upper()
                    if word == "COMMIT" or word == "END":
                        mode = take_arm(self.ctl, tx_text)
                        tx_text = ""
                        if mode == "before":
                            return
                        if mode == "after":
                            self.commit_pending = True
                        if mode == "cut":
                            self.cut_pending = True
                    elif word.startswith("BEGIN") or word.startswith("START TRANSACTION"):
                        tx_text = sql
                    else:
                        tx_text += "\n" + sql
                self.server.sendall(msg)
        except OSError:
            return
        finally:
            self.close()

    def server_to_client(self):
        try:
            while True:
                kind, msg = read_msg(self.server)
                if kind is None:
                    return
                if kind == b"C" and self.commit_pending and msg[5:].startswith(b"COMMIT"):
                    return  # committed; the answer is lost
                self.client.sendall(msg)
                if kind == b"Z" and self.cut_pending:
                    return  # committed and answered; the server gone after
        except OSError:
            return
        finally:
            self.close()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pgproxy.py CTL UPSTREAM")
    ctl, upstream = sys.argv[1], sys.argv[2]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    tmp = os.path.join(ctl, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(tmp, os.path.join(ctl, "port"))
    while True:
        client, _ = lsock.accept()
        if os.path.exists(os.path.join(ctl, "down")):
            client.close()
            continue
        conn = Conn(ctl, client, upstream)
        threading.Thread(target=conn.client_to_server, daemon=True).start()


if __name__ == "__main__":
    main()
