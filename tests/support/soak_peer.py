#!/usr/bin/env python3
"""TLS peer for the integrity soak (tests/soak.rs, tests/c/soak.c).

Listens on 127.0.0.1 port 0, prints "PORT <n>", serves one connection:
receives --bytes N bytes from the client and hashes them, and at the same
time sends N bytes of its own (a seeded random stream) in records of random
plaintext size (mostly up to 4096, 2% up to 16384; --max-record caps them), cut into TCP sends of
random size (TCP_NODELAY, with short pauses now and then) so that records
straddle TCP segments. Prints

  PEER rx_bytes=N rx_sha256=HEX      what arrived from the client
  PEER tx_bytes=N tx_sha256=HEX      what it sent
  PEER records=R segments=S blocked=B   (B: rounds the TCP window was shut)

then answers the client's close_notify and exits.
"""
import argparse
import hashlib
import random
import select
import socket
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tls13", action="store_true")
    ap.add_argument("--max-record", type=int, default=16384)
    a = ap.parse_args()
    total = a.bytes
    rng = random.Random(a.seed)
    stream = random.Random(a.seed * 7919 + 1)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if not a.tls13:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    srv = socket.create_server(("127.0.0.1", 0))
    print("PORT", srv.getsockname()[1], flush=True)
    sock, _ = srv.accept()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # A small send buffer, so that the client's holds reach this side as
    # blocked sends (counted) instead of vanishing into kernel buffers.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
    sock.setblocking(False)
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, outg, server_side=True)

    wire = bytearray()
    rx_sha, tx_sha = hashlib.sha256(), hashlib.sha256()
    rx_n = tx_n = records = segments = blocked = 0
    handshaken = False
    peer_closed = False
    deadline = time.time() + 600

    def pump_in():
        nonlocal rx_n, peer_closed
        try:
            d = sock.recv(65536)
        except BlockingIOError:
            return
        if not d:
            raise EOFError("client closed TCP (rx=%d tx=%d)" % (rx_n, tx_n))
        inc.write(d)
        if not handshaken:
            return
        while True:
            try:
                p = tls.read(65536)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLZeroReturnError:
                peer_closed = True
                return
            if not p:
                peer_closed = True
                return
            rx_sha.update(p)
            rx_n += len(p)

    def pump_out():
        nonlocal segments, blocked
        r = rng.random()
        n = rng.randint(1, 40) if r < 0.1 else rng.randint(1, 3000)
        try:
            sent = sock.send(wire[:n])
        except BlockingIOError:
            return
        del wire[:sent]
        segments += 1
        if rng.random() < 0.005:
            time.sleep(rng.uniform(0.001, 0.01))

    def wait(want_write):
        select.select([sock], [sock] if want_write else [], [], 0.5)

    # Handshake.
    while not handshaken:
        try:
            tls.do_handshake()
            handshaken = True
        except ssl.SSLWantReadError:
            pass
        wire += outg.read()
        while wire:
            wait(True)
            pump_out()
        if not handshaken:
            wait(False)
            pump_in()
    print("PEER handshake", tls.version(), tls.cipher()[0], flush=True)

    # Both directions at once.
    while rx_n < total or tx_n < total or wire:
        if time.time() > deadline:
            raise SystemExit("soak peer: timeout")
        if tx_n < total and len(wire) < 65536:
            r = rng.random()
            size = rng.randint(8193, 16384) if r < 0.02 else rng.randint(1, 4096)
            size = min(size, a.max_record, total - tx_n)
            data = stream.randbytes(size)
            tls.write(data)
            tx_sha.update(data)
            tx_n += size
            records += 1
            wire += outg.read()
        rl, wl, _ = select.select([sock], [sock] if wire else [], [], 0.5)
        if wire and not wl:
            blocked += 1  # the TCP window is shut: back-pressure
        if rl:
            pump_in()
        if wl:
            pump_out()
        if rx_n > total:
            raise SystemExit("soak peer: client sent more than %d bytes" % total)

    print("PEER rx_bytes=%d rx_sha256=%s" % (rx_n, rx_sha.hexdigest()), flush=True)
    print("PEER tx_bytes=%d tx_sha256=%s" % (tx_n, tx_sha.hexdigest()), flush=True)
    print("PEER records=%d segments=%d blocked=%d" % (records, segments, blocked), flush=True)

    # The client disconnects with close_notify: answer it.
    sock.setblocking(True)
    sock.settimeout(10)
    try:
        while not peer_closed:
            d = sock.recv(65536)
            if not d:
                break
            inc.write(d)
            try:
                extra = tls.read(65536)
                if extra:
                    print("PEER unexpected extra bytes", len(extra), flush=True)
                else:
                    peer_closed = True  # read() gives b"" after close_notify
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                peer_closed = True
        print("PEER close_notify", "received" if peer_closed else "missing", flush=True)
        try:
            tls.unwrap()
        except ssl.SSLError:
            pass
        sock.sendall(outg.read())
    except (OSError, ssl.SSLError) as e:
        print("PEER close:", type(e).__name__, e, flush=True)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
