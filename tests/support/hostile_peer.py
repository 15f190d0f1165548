#!/usr/bin/env python3
"""A TLS 1.2 server that misbehaves on purpose, one way per --mode.

Python's ssl module (OpenSSL) runs the real handshake through memory BIOs, so
this script sees every byte and can cut, alter or add records on the socket.
It listens on 127.0.0.1 port 0, prints "PORT <n>", serves ONE connection, then
prints "PEER: ..." lines saying what it did and saw, and exits.

Modes (BODY is --body, the only application data sent authentically):
  oversize       after the request, a record header announcing 16384+2048+1
                 bytes, followed by that many random bytes.
  bad-type       after the request, BODY and then a record of content type 99,
                 in one TCP send.
  bad-version    after the request, an application_data record whose version
                 field is 0xFEFD (DTLS 1.2) instead of 0x0303.
  lie-long       the ServerHello's handshake length field claims 0xFFFFFF
                 bytes (more than any handshake message may have).
  lie-short      the ServerHello's length field claims 38 bytes (the server
                 built ~89) and the record carries just those: the session id
                 length inside promises bytes that are not there.
  alert          the server's first flight, then a fatal handshake_failure
                 alert instead of waiting for the client's key exchange.
  rst            only the ServerHello record, then a TCP reset (SO_LINGER 0).
  client-hello   answers the client's ClientHello with a copy of it (a
                 well-formed handshake message only a server should receive).
  slow           a complete exchange where small records, and the first and
                 last 40 bytes of larger ones, go out one byte every 50 ms
                 (only certificate bytes in the middle go out at once, to keep
                 the run short).
  renegotiate    after the request, a HelloRequest (TLS 1.2 renegotiation),
                 encrypted by this script with the session's keys (keylog +
                 ChaCha20-Poly1305 below); then reads and decrypts what the
                 client answers, then BODY and close_notify.
  renegotiate-twice  as renegotiate, but answers the refusal with a second
                 HelloRequest.
  stall          only the ServerHello record (valid, from the real
                 handshake), then silence: reads whatever the client sends
                 until it closes TCP (or 60 s), and says after how long.
  over-agreed    a server that agrees to the client's max_fragment_length
                 (OpenSSL does) and breaks it: after the request, an
                 application_data record of 1100 bytes of plaintext (its
                 ciphertext fits a 1024-byte limit's expansion), encrypted by
                 this script; then reads the client's alert.
  drip           the whole first flight one byte per second (BearSSL's
                 timeout case), until the client closes TCP.
  close-garbage  BODY, close_notify, a record of random bytes and more random
                 bytes in the same TCP send, more random bytes 200 ms later,
                 then FIN.
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import tempfile
import time
import hashlib
import hmac

# ------------------------------------------------------------- TLS records


def records(buf):
    """Split a byte string into whole TLS records."""
    out = []
    while len(buf) >= 5:
        n = 5 + struct.unpack(">H", buf[3:5])[0]
        out.append(buf[:n])
        buf = buf[n:]
    assert not buf, "partial record"
    return out


def log(*a):
    print("PEER:", *a, flush=True)


# ------------------------------------------- ChaCha20-Poly1305 (RFC 8439)
# Only for the renegotiation mode: a few records, so speed does not matter.

def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[c], 7)


def chacha20_block(key, counter, nonce):
    st = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    st += list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce))
    w = st[:]
    for _ in range(10):
        _qr(w, 0, 4, 8, 12); _qr(w, 1, 5, 9, 13); _qr(w, 2, 6, 10, 14); _qr(w, 3, 7, 11, 15)
        _qr(w, 0, 5, 10, 15); _qr(w, 1, 6, 11, 12); _qr(w, 2, 7, 8, 13); _qr(w, 3, 4, 9, 14)
    return struct.pack("<16I", *[(w[i] + st[i]) & 0xFFFFFFFF for i in range(16)])


def chacha20(key, counter, nonce, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha20_block(key, counter + i // 64, nonce)
        out += bytes(x ^ y for x, y in zip(data[i:i + 64], ks))
    return bytes(out)


def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i:i + 16] + b"\x01", "little")
        acc = (acc + n) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _pad16(b):
    return b"\x00" * (-len(b) % 16)


def aead_seal(key, nonce, aad, pt):
    otk = chacha20_block(key, 0, nonce)[:32]
    ct = chacha20(key, 1, nonce, pt)
    mac = aad + _pad16(aad) + ct + _pad16(ct) + struct.pack("<QQ", len(aad), len(ct))
    return ct + poly1305(otk, mac)


def aead_open(key, nonce, aad, ct_tag):
    ct, tag = ct_tag[:-16], ct_tag[-16:]
    otk = chacha20_block(key, 0, nonce)[:32]
    mac = aad + _pad16(aad) + ct + _pad16(ct) + struct.pack("<QQ", len(aad), len(ct))
    if not hmac.compare_digest(poly1305(otk, mac), tag):
        raise ValueError("bad tag")
    return chacha20(key, 1, nonce, ct)


def prf(secret, label, seed, n):
    """TLS 1.2 PRF with SHA-256 (RFC 5246 section 5)."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:n]


class Keys:
    """TLS 1.2 ChaCha20-Poly1305 record protection (RFC 7905) for both
    directions, from the master secret in OpenSSL's key log."""

    def __init__(self, master, client_random, server_random, server_seq, client_seq):
        kb = prf(master, b"key expansion", server_random + client_random, 88)
        self.ckey, self.skey, self.civ, self.siv = kb[:32], kb[32:64], kb[64:76], kb[76:88]
        self.sseq, self.cseq = server_seq, client_seq

    @staticmethod
    def _nonce(iv, seq):
        return bytes(a ^ b for a, b in zip(iv, b"\x00" * 4 + struct.pack(">Q", seq)))

    def seal(self, typ, pt):
        aad = struct.pack(">QBHH", self.sseq, typ, 0x0303, len(pt))
        ct = aead_seal(self.skey, self._nonce(self.siv, self.sseq), aad, pt)
        self.sseq += 1
        return struct.pack(">BHH", typ, 0x0303, len(ct)) + ct

    def open(self, rec):
        typ, ct = rec[0], rec[5:]
        aad = struct.pack(">QBHH", self.cseq, typ, 0x0303, len(ct) - 16)
        pt = aead_open(self.ckey, self._nonce(self.civ, self.cseq), aad, ct)
        self.cseq += 1
        return typ, pt


# ------------------------------------------------------------- the server


class Session:
    def __init__(self, sock, ctx):
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.outg = ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.outg, server_side=True)
        self.client_hello = b""
        self.sent = []  # every record sent, in order

    def recv_some(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError("client closed")
        return d

    def send(self, data):
        self.sock.sendall(data)

    def handshake(self, on_flight):
        """Run the handshake; on_flight(records) sends each server flight
        (and may refuse to continue by returning False)."""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                out = self.outg.read()
                if out and on_flight(records(out)) is False:
                    return False
                d = self.recv_some()
                if not self.client_hello:
                    self.client_hello = d
                self.inc.write(d)
        out = self.outg.read()
        if out and on_flight(records(out)) is False:
            return False
        return True

    def read_request(self):
        while True:
            try:
                return self.tls.read(4096)
            except ssl.SSLWantReadError:
                self.inc.write(self.recv_some())

    def wrap(self, data):
        self.tls.write(data)
        return self.outg.read()

    def wait_client_close(self, secs=5.0):
        """Read until the client closes TCP (or secs pass); returns the bytes."""
        self.sock.settimeout(secs)
        got = b""
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    log("client closed TCP")
                    break
                got += d
        except socket.timeout:
            log("client did not close within", secs, "s")
        except ConnectionResetError:
            log("client reset TCP")
        return got


def send_all(s, recs):
    s.send(b"".join(recs))


def dribble(s, data, gap=0.05):
    for i in range(len(data)):
        s.send(data[i:i + 1])
        time.sleep(gap)


def dribble_record(s, rec, edge=20):
    if len(rec) <= 3 * edge:
        dribble(s, rec)
    else:
        dribble(s, rec[:edge])
        s.send(rec[edge:-edge])
        dribble(s, rec[-edge:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--body", default="hostile-peer-body\n")
    a = ap.parse_args()
    body = a.body.encode()

    keylog = None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_TICKET
    if a.mode.startswith("renegotiate") or a.mode == "over-agreed":
        # A suite this script can encrypt itself (stdlib has no AES).
        ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
        fd, keylog = tempfile.mkstemp(prefix="hostile-keylog-")
        os.close(fd)
        ctx.keylog_filename = keylog

    srv = socket.create_server(("127.0.0.1", 0))
    print("PORT", srv.getsockname()[1], flush=True)
    raw, _ = srv.accept()
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s = Session(raw, ctx)
    try:
        run(a.mode, s, body, keylog)
    except (EOFError, OSError, ssl.SSLError) as e:
        log("ended:", type(e).__name__, e)
    finally:
        if keylog:
            os.unlink(keylog)
        if a.mode != "rst":
            raw.close()
    log("done")


def run(mode, s, body, keylog):
    if mode == "client-hello":
        got = b""
        while len(got) < 5 or len(got) < 5 + struct.unpack(">H", got[3:5])[0]:
            got += s.recv_some()
        hello = got[: 5 + struct.unpack(">H", got[3:5])[0]]
        assert hello[0] == 22 and hello[5] == 1, "first record is not a ClientHello"
        s.send(hello)
        log("answered with the client's own ClientHello,", len(hello), "bytes")
        s.wait_client_close()
        return

    if mode in ("lie-long", "lie-short", "alert", "rst"):
        def first_flight(recs):
            sh = bytearray(recs[0])
            assert sh[0] == 22 and sh[5] == 2, "first record is not a ServerHello"
            if mode == "lie-long":
                sh[6:9] = b"\xff\xff\xff"
                send_all(s, [bytes(sh)] + recs[1:])
                log("sent ServerHello claiming 16777215 bytes")
            elif mode == "lie-short":
                full = len(sh) - 9
                sh[6:9] = (38).to_bytes(3, "big")
                del sh[9 + 38:]
                sh[3:5] = (4 + 38).to_bytes(2, "big")
                send_all(s, [bytes(sh)] + recs[1:])
                log("sent ServerHello cut to the 38 bytes its length claims, of", full)
            elif mode == "alert":
                send_all(s, recs + [bytes([21, 3, 3, 0, 2, 2, 40])])
                log("sent first flight and a fatal handshake_failure alert")
            else:
                s.send(bytes(sh))
                time.sleep(0.2)
                s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.sock.close()
                log("sent ServerHello, then TCP reset")
            return False

        s.handshake(first_flight)
        if mode != "rst":
            s.wait_client_close()
        return

    if mode in ("stall", "drip"):
        t0 = time.monotonic()

        def stalled_flight(recs):
            if mode == "stall":
                s.send(recs[0])
                log("sent ServerHello, then silence")
                s.wait_client_close(60)
            else:
                data = b"".join(recs)
                log("dripping the first flight (%d bytes) one byte per second" % len(data))
                try:
                    dribble(s, data, gap=1.0)
                    log("dripped all of it")
                except OSError as e:
                    log("client gone while dripping:", type(e).__name__)
            log("client closed after %.1f s" % (time.monotonic() - t0))
            return False

        s.handshake(stalled_flight)
        return

    if mode == "slow":
        def slow_flight(recs):
            for r in recs:
                dribble_record(s, r)
        s.handshake(slow_flight)
        log("handshake done")
        req = s.read_request()
        log("request", len(req), "bytes")
        for r in records(s.wrap(body)):
            dribble_record(s, r)
        s.send(close_notify(s))
        log("sent body and close_notify, one byte every 50 ms")
        s.wait_client_close()
        return

    flights = []
    s.handshake(lambda recs: (flights.append(recs), send_all(s, recs)))
    log("handshake done", s.tls.version(), s.tls.cipher()[0])
    req = s.read_request()
    log("request", len(req), "bytes")

    if mode == "oversize":
        n = 16384 + 2048 + 1
        s.send(struct.pack(">BHH", 23, 0x0303, n) + os.urandom(n))
        log("sent a", n, "byte record")
        s.wait_client_close()
    elif mode == "bad-type":
        s.send(s.wrap(body) + struct.pack(">BHH", 99, 0x0303, 32) + os.urandom(32))
        log("sent BODY and a record of content type 99 in one TCP send")
        s.wait_client_close()
    elif mode == "bad-version":
        s.send(struct.pack(">BHH", 23, 0xFEFD, 32) + os.urandom(32))
        log("sent a record with version 0xFEFD")
        s.wait_client_close()
    elif mode in ("renegotiate", "renegotiate-twice"):
        renegotiate(s, body, keylog, flights, mode == "renegotiate-twice")
    elif mode == "over-agreed":
        k = session_keys(s, keylog, flights)
        s.send(k.seal(23, b"y" * 1100))
        log("sent a record of 1100 bytes of plaintext")
        s.sock.settimeout(5)
        try:
            rec = s.recv_some()
            typ, pt = k.open(rec[:5 + struct.unpack(">H", rec[3:5])[0]])
            log("client answered record type", typ, "bytes", pt.hex())
        except (socket.timeout, EOFError) as e:
            log("no answer:", type(e).__name__)
        s.wait_client_close()
    elif mode == "close-garbage":
        data = s.wrap(body) + close_notify(s)
        # A well-formed record header first (its body is random), then noise.
        fake = struct.pack(">BHH", 23, 0x0303, 32) + os.urandom(32)
        s.send(data + fake + os.urandom(300))
        time.sleep(0.2)
        s.send(os.urandom(300))
        log("sent body, close_notify and garbage")
        try:
            s.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        s.wait_client_close()
    else:
        raise SystemExit("unknown mode " + mode)


def close_notify(s):
    """The close_notify record OpenSSL makes for this session."""
    try:
        s.tls.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLError):
        pass
    return s.outg.read()


def session_keys(s, keylog, flights):
    """The record keys of the session, from OpenSSL's key log; the server's
    Finished was its record 0 of the epoch, the client's Finished and
    request its records 0 and 1."""
    cr = s.client_hello[11:43]
    sh = flights[0][0]
    sr = sh[11:43]
    master = None
    with open(keylog) as f:
        for line in f:
            p = line.split()
            if len(p) == 3 and p[0] == "CLIENT_RANDOM" and bytes.fromhex(p[1]) == cr:
                master = bytes.fromhex(p[2])
    assert master, "no master secret in the key log"
    return Keys(master, cr, sr, server_seq=1, client_seq=2)


def renegotiate(s, body, keylog, flights, twice):
    k = session_keys(s, keylog, flights)
    s.send(k.seal(22, b"\x00\x00\x00\x00"))
    log("sent HelloRequest")
    s.sock.settimeout(5)
    buf = b""
    answer = None
    try:
        while answer is None:
            buf += s.recv_some()
            while len(buf) >= 5 and len(buf) >= 5 + struct.unpack(">H", buf[3:5])[0]:
                n = 5 + struct.unpack(">H", buf[3:5])[0]
                rec, buf = buf[:n], buf[n:]
                typ, pt = k.open(rec)
                if typ == 21 and len(pt) == 2:
                    level = {1: "warning", 2: "fatal"}.get(pt[0], str(pt[0]))
                    log("client answered alert", level, pt[1])
                    answer = pt
                    break
                log("client sent record type", typ, "len", len(pt))
    except socket.timeout:
        log("client did not answer the HelloRequest")
    if answer is not None and answer[0] == 1 and twice:
        s.send(k.seal(22, b"\x00\x00\x00\x00"))
        log("sent a second HelloRequest")
    elif answer is not None and answer[0] == 1:
        s.send(k.seal(23, body) + k.seal(21, b"\x01\x00"))
        log("sent body and close_notify after the refusal")
    s.wait_client_close()


if __name__ == "__main__":
    sys.exit(main())
