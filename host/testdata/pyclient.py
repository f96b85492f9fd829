#!/usr/bin/env python3
"""A genehost client written from PROTOCOL.md alone, with the standard
library only: it proves the page is enough to interoperate.

usage: pyclient.py SOCKET_PATH INTERFACE VALUE...
Opens a send+recv link on INTERFACE with the gene-text/1 encoding, sends
each VALUE (Gene text) as one DATA frame, ends its direction, and prints
every value the host sends back, one per line, until the host ends its
direction. Exit status 0 on an orderly close, 1 otherwise.
"""
import socket
import struct
import sys

PREFACE = b"\x89GENE\r\n\x01"
HELLO, WELCOME, OPEN, ACCEPT, REJECT, DATA, CREDIT, RESET, PING, PONG, GOAWAY = range(1, 12)
MORE, END = 0x01, 0x02


def frame(ftype, flags, link, payload=b""):
    # section 3: length u32, type u8, flags u8, link u32, all big-endian
    return struct.pack(">IBBI", len(payload), ftype, flags, link) + payload


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("stream ended")
        buf += chunk
    return buf


def read_frame(sock):
    length, ftype, flags, link = struct.unpack(">IBBI", read_exact(sock, 10))
    return ftype, flags, link, read_exact(sock, length)


def main():
    path, iface, values = sys.argv[1], sys.argv[2], sys.argv[3:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.settimeout(10)
    # sections 2 and 5.1: preface, then HELLO as a Gene text prop map
    hello = b'{^version 1 ^encodings ["gene-text/1"] ^name "pyclient/1" ^window 1048576}'
    sock.sendall(PREFACE + frame(HELLO, 0, 0, hello))
    if read_exact(sock, 8) != PREFACE:
        print("not a genehost host", file=sys.stderr)
        return 1
    ftype, _, _, payload = read_frame(sock)
    if ftype != WELCOME or b'"gene-text/1"' not in payload:
        print("refused:", ftype, payload, file=sys.stderr)
        return 1
    # section 4.1: OPEN link 1, granting credit for what the host sends us
    opener = ('{^interface "%s" ^direction "send+recv" ^msgs 64 ^bytes 65536}' % iface).encode()
    sock.sendall(frame(OPEN, 0, 1, opener))
    while True:
        ftype, flags, link, payload = read_frame(sock)
        if ftype == ACCEPT and link == 1:
            break
        if ftype == REJECT:
            print("rejected:", payload[2:].decode(), file=sys.stderr)
            return 1
    # section 4.4: one value per DATA frame (they are small: no MORE), then END
    for v in values:
        sock.sendall(frame(DATA, 0, 1, v.encode()))
    sock.sendall(frame(DATA, END, 1))
    value = b""
    while True:
        ftype, flags, link, payload = read_frame(sock)
        if ftype == PING:
            sock.sendall(frame(PONG, 0, 0, payload))
        elif ftype == DATA and link == 1:
            value += payload
            if not flags & MORE and value:
                print(value.decode())
                value = b""
            if flags & END:
                return 0
        elif ftype in (RESET, GOAWAY):
            print("closed:", ftype, payload, file=sys.stderr)
            return 1
        # CREDIT and anything else: nothing to do for a client this small


if __name__ == "__main__":
    sys.exit(main())
