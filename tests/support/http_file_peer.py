#!/usr/bin/env python3
"""An HTTPS server for one download, with endings stock servers cannot be
told to show. Prints "PORT <n>" first, serves one connection, then prints
what it did.

Reads the request, then answers "200 OK" announcing the whole --file in
Content-Length and sends its bytes in 16384-byte writes (one TLS record
each), except:
  --cut N    stop after N bytes of the body: close_notify and close, so the
             download ends cleanly but short of the announced length.
  --stall N  stop after N bytes of the body and keep the connection open,
             silent, until killed (the client is reset meanwhile).
"""
import argparse
import socket
import ssl
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--cut", type=int)
    ap.add_argument("--stall", type=int)
    a = ap.parse_args()
    body = open(a.file, "rb").read()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print("PORT", ls.getsockname()[1], flush=True)
    raw, _ = ls.accept()
    conn = ctx.wrap_socket(raw, server_side=True)
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = conn.recv(4096)
        if not chunk:
            print("CLIENT CLOSED before the request ended", flush=True)
            return
        req += chunk
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
    stop = a.cut if a.cut is not None else a.stall
    send = body if stop is None else body[:stop]
    for off in range(0, len(send), 16384):
        conn.sendall(send[off:off + 16384])
    print("SENT", len(send), "of", len(body), flush=True)
    if a.stall is not None:
        while True:
            time.sleep(1)
    try:
        conn = conn.unwrap()
    except (ssl.SSLError, OSError):
        pass
    conn.close()
    print("CLOSED", flush=True)


if __name__ == "__main__":
    main()
