#!/usr/bin/env python3
"""A TLS client that connects again and again (for the server fault sweep).

Each round: connect to 127.0.0.1:--port, verify the server against --ca,
send 100 bytes, read until the server closes, then start over. Failures are
expected (the server side is being starved on purpose) and only counted.
Runs until killed. With --resume each round offers the session of the last
round that completed (a TLS 1.3 ticket or a TLS 1.2 ticket or session id).
"""
import argparse
import socket
import ssl
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--resume", action="store_true")
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    ctx.check_hostname = False
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    session = None
    while True:
        try:
            with socket.create_connection(("127.0.0.1", a.port), timeout=10) as raw:
                with ctx.wrap_socket(raw, session=session) as s:
                    s.sendall(b"c" * 100)
                    while s.recv(65536):
                        pass
                    if a.resume and s.session is not None:
                        session = s.session
        except (OSError, ssl.SSLError):
            pass
        time.sleep(0.01)


if __name__ == "__main__":
    main()
