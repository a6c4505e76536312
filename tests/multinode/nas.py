#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""An access point's Dynamic Authorization Server (RFC 5176) that records.

Binds ADDR on a port the kernel picks, prints "listening PORT", then for
each Disconnect-Request (code 40) prints one line

  disconnect SESSION-ID MAC authenticator=ok|bad

and answers a signed Disconnect-ACK when the request's authenticator is
right for SECRET (a Disconnect-NAK otherwise). Other packets are printed
as "other CODE". Runs until killed.

  nas.py ADDR SECRET
"""
import hashlib
import socket
import struct
import sys


def main():
    addr, secret = sys.argv[1], sys.argv[2].encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 0))
    print("listening", s.getsockname()[1], flush=True)
    while True:
        pkt, peer = s.recvfrom(4096)
        if len(pkt) < 20:
            continue
        code, ident, length = pkt[0], pkt[1], struct.unpack("!H", pkt[2:4])[0]
        pkt = pkt[:length]
        if code != 40:
            print("other", code, flush=True)
            continue
        good = hashlib.md5(pkt[:4] + b"\0" * 16 + pkt[20:] + secret).digest() == pkt[4:20]
        attrs, i = {}, 20
        while i + 2 <= len(pkt):
            t, n = pkt[i], pkt[i + 1]
            if n < 2:
                break
            attrs.setdefault(t, pkt[i + 2:i + n].decode(errors="replace"))
            i += n
        print("disconnect", attrs.get(44, "-"), attrs.get(31, "-"),
              "authenticator=" + ("ok" if good else "bad"), flush=True)
        head = bytes([41 if good else 42, ident, 0, 20])
        s.sendto(head + hashlib.md5(head + pkt[4:20] + secret).digest(), peer)


if __name__ == "__main__":
    main()
