#!/usr/bin/env python3
"""A small TLS peer for behaviours stock servers cannot be told to show.

Modes:
  big-record   after the request, answer with exactly one 16384-byte record
               (one SSL_write of 16384 bytes is one record), then close_notify.
  reply        after the request, answer with --size bytes (a small exchange).
Options --ca (require client certificates issued by it) and --tls13.
"""
import argparse
import socket
import ssl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", default="big-record")
    ap.add_argument("--size", type=int, default=16384)
    ap.add_argument("--ca")
    ap.add_argument("--tls13", action="store_true")
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if not a.tls13:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if a.ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(a.ca)
    srv = socket.create_server(("127.0.0.1", a.port))
    while True:
        raw, _ = srv.accept()
        try:
            with ctx.wrap_socket(raw, server_side=True) as s:
                s.recv(4096)
                if a.mode in ("big-record", "reply"):
                    s.sendall(b"x" * a.size)
                s.unwrap()
        except (ssl.SSLError, OSError):
            pass


if __name__ == "__main__":
    main()
