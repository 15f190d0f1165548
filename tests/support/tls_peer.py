#!/usr/bin/env python3
"""A small TLS peer for behaviours stock servers cannot be told to show.

Modes:
  big-record   after the request, answer with exactly one 16384-byte record
               (one SSL_write of 16384 bytes is one record), then close_notify.
  reply        after the request, answer with --size bytes (a small exchange).
  records      after the request, answer with one record per size in --sizes
               (e.g. 5,13,3000), all handed to TCP in one send.
Options --ca (require client certificates issued by it) and --tls13.
"""
import argparse
import socket
import ssl


def serve_records(ctx, raw, sizes):
    """TLS over memory buffers, so that the records can be sent together:
    an SSLSocket hands each record to TCP as it is made."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)

    def until_done(step):
        while True:
            try:
                return step()
            except ssl.SSLWantReadError:
                raw.sendall(out.read())
                data = raw.recv(16384)
                if not data:
                    raise OSError("peer closed")
                inc.write(data)

    until_done(obj.do_handshake)
    until_done(lambda: obj.read(4096))
    raw.sendall(out.read())
    for i, n in enumerate(sizes):
        obj.write(bytes([ord("a") + i % 26]) * n)
    raw.sendall(out.read())
    try:
        obj.unwrap()
    except ssl.SSLWantReadError:
        pass
    raw.sendall(out.read())
    # Wait for the client to close, so nothing is reset under its feet.
    raw.settimeout(5)
    while raw.recv(4096):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", default="big-record")
    ap.add_argument("--size", type=int, default=16384)
    ap.add_argument("--sizes", default="")
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
        if a.mode == "records":
            try:
                serve_records(ctx, raw, [int(n) for n in a.sizes.split(",")])
            except (ssl.SSLError, OSError):
                pass
            raw.close()
            continue
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
