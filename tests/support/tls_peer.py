#!/usr/bin/env python3
"""A small TLS peer for behaviours stock servers cannot be told to show.

Modes:
  big-record   after the request, answer with exactly one 16384-byte record
               (one SSL_write of 16384 bytes is one record), then close_notify.
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
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    srv = socket.create_server(("127.0.0.1", a.port))
    while True:
        raw, _ = srv.accept()
        try:
            with ctx.wrap_socket(raw, server_side=True) as s:
                s.recv(4096)
                if a.mode == "big-record":
                    s.sendall(b"x" * a.size)
                s.unwrap()
        except (ssl.SSLError, OSError):
            pass


if __name__ == "__main__":
    main()
