//! `espcert check`: what the device would get from a server.
//!
//! The TCP stream is watched below the TLS engine: every record header the
//! server sends is read from the raw bytes before they reach the engine, so
//! the largest record and the -0x7200 verdict for a given
//! `espconn_secure_set_size(N)` come from the wire, not from the engine.

// The engine's `Failure` is large by design (inline reason, no allocation).
#![allow(clippy::result_large_err)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use espconn_secure::certs::flash::{self, Object, Place};
use espconn_secure::certs::{certificates, info, CertificateDer};
use espconn_secure::error::{code, vendor_callback_code, Failure};
use espconn_secure::fail;
use espconn_secure::tls::{ClientParams, Negotiated, Session, TimeSource, TlsClient};

use crate::args::{Args, Command, Spec};
use crate::report;
use crate::Status;

pub const HELP: &str = "\
espcert check: connect to a TLS server from the PC with the device's verification
code and report what the device would get.

Usage: espcert check --ca FILE --server HOST:PORT [--hostname NAME] [--size N]

Options:
  --ca FILE          CA image (esp_ca_cert.bin), or a PEM/DER certificate file.
                     From an image the first record is used, as on the device.
  --server HOST:PORT The server to connect to.
  --hostname NAME    Name to verify and send as SNI (default: HOST).
  --size N           espconn_secure_set_size(N): the largest record the device
                     accepts, 2048..8192 (default 2048).
  --timeout SECS     Connect/read timeout (default 10).

Prints the server's chain, the TLS version and cipher suite negotiated, the
largest record the server sent, whether it answered max_fragment_length, and
the result the device would get, with the mbedTLS code and reason
(e.g. -0x7200 when a record exceeds --size).

Exit status: 0 the device would connect, 1 it would fail, 2 usage.
";

const CMD: Command = Command {
    name: "check",
    usage: "espcert check --ca FILE --server HOST:PORT [--hostname NAME] [--size N]",
    help: HELP,
    spec: SPEC,
};

const SPEC: Spec = &[
    (&["--ca"], "ca", true),
    (&["--server", "-s"], "server", true),
    (&["--hostname"], "hostname", true),
    (&["--size"], "size", true),
    (&["--timeout"], "timeout", true),
];

/// TLS record header: type, version, length.
const RECORD_HEADER: usize = 5;

pub fn main(argv: &[String]) -> Status {
    let a = match CMD.parse(argv) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let opts = match Options::from_args(&a) {
        Ok(o) => o,
        Err(e) => return CMD.usage_error(&e),
    };
    run(&opts)
}

struct Options {
    ca: String,
    server: String,
    host: String,
    hostname: String,
    size: usize,
    timeout: Duration,
}

impl Options {
    fn from_args(a: &Args) -> Result<Options, String> {
        if let Some(p) = a.positional.first() {
            return Err(format!("unexpected argument '{p}'"));
        }
        let ca = a.one("ca")?.ok_or("missing --ca FILE")?.to_string();
        let server = a
            .one("server")?
            .ok_or("missing --server HOST:PORT")?
            .to_string();
        let (host, port) = server
            .rsplit_once(':')
            .ok_or_else(|| format!("--server '{server}' has no :PORT"))?;
        port.parse::<u16>()
            .map_err(|_| format!("--server '{server}': bad port"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let hostname = a
            .one("hostname")?
            .map(str::to_string)
            .unwrap_or_else(|| host.clone());
        let size = match a.one("size")? {
            None => 2048,
            Some(s) => {
                let n: usize = s
                    .parse()
                    .map_err(|_| format!("--size '{s}' is not a number"))?;
                if !(2048..=8192).contains(&n) {
                    return Err(format!(
                        "--size {n}: espconn_secure_set_size accepts 2048..8192 (it returns false otherwise)"
                    ));
                }
                n
            }
        };
        let timeout = match a.one("timeout")? {
            None => Duration::from_secs(10),
            Some(s) => Duration::from_secs(
                s.parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--timeout '{s}' is not a positive number"))?,
            ),
        };
        Ok(Options {
            ca,
            server,
            host,
            hostname,
            size,
            timeout,
        })
    }
}

/// Loads the CA certificates as the device would from `path`.
fn load_ca(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let found = flash::find(&data, Object::Ca, Place::Image).map_err(|e| report::failure(&e))?;
    // A plain certificate file is not an image: it is detected as raw PEM/DER.
    certificates(found.payload).map_err(|e| report::failure(&e))
}

/// Watches the server's raw byte stream for record headers.
#[derive(Default, Debug)]
pub struct RecordWatch {
    /// Bytes still to skip in the current record body.
    body_left: usize,
    header: Vec<u8>,
    /// Largest record length seen, and how many records.
    pub largest: usize,
    pub records: usize,
    /// The first record that exceeds the limit: (index, length, content type).
    pub first_oversize: Option<(usize, usize, u8)>,
    /// Not TLS at all (e.g. an HTTP port): the first bytes.
    pub not_tls: Option<Vec<u8>>,
    /// Plaintext handshake bytes, until the server starts encrypting.
    handshake: Vec<u8>,
    encrypted: bool,
    /// Content type of the record being skipped.
    current: u8,
}

impl RecordWatch {
    /// Feeds bytes received from the server; `limit` is the device's size.
    pub fn feed(&mut self, mut data: &[u8], limit: usize) {
        while !data.is_empty() && self.not_tls.is_none() {
            if self.body_left > 0 {
                let n = self.body_left.min(data.len());
                if self.current == 22 && !self.encrypted && self.handshake.len() < 64 * 1024 {
                    self.handshake.extend_from_slice(&data[..n]);
                }
                self.body_left -= n;
                data = &data[n..];
                continue;
            }
            let need = RECORD_HEADER - self.header.len();
            let n = need.min(data.len());
            self.header.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.header.len() < RECORD_HEADER {
                break;
            }
            let h = std::mem::take(&mut self.header);
            // Content types 20..=24 and major version 3 are TLS; anything else
            // is what mbedTLS rejects as an invalid record.
            if !(20..=24).contains(&h[0]) || h[1] != 3 {
                self.not_tls = Some(h);
                break;
            }
            let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
            self.records += 1;
            self.largest = self.largest.max(len);
            if len > limit && self.first_oversize.is_none() {
                self.first_oversize = Some((self.records, len, h[0]));
            }
            self.body_left = len;
            self.current = h[0];
            // After ChangeCipherSpec (TLS 1.2) or in application-data records
            // (TLS 1.3) the handshake is no longer readable.
            if h[0] == 20 || h[0] == 23 {
                self.encrypted = true;
            }
        }
    }

    /// The certificates of a plaintext (TLS 1.2) Certificate message, if seen.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        let mut out = Vec::new();
        let mut hs = &self.handshake[..];
        while hs.len() >= 4 {
            let len = u24(&hs[1..4]);
            let Some(body) = hs.get(4..4 + len) else {
                break;
            };
            if hs[0] == 11 && body.len() >= 3 {
                let mut list = body
                    .get(3..3 + u24(&body[..3]).min(body.len() - 3))
                    .unwrap_or(&[]);
                while list.len() >= 3 {
                    let n = u24(&list[..3]);
                    let Some(der) = list.get(3..3 + n) else {
                        break;
                    };
                    out.push(CertificateDer::from(der.to_vec()));
                    list = &list[3 + n..];
                }
                break;
            }
            hs = &hs[4 + len..];
        }
        out
    }
}

fn u24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

fn run(o: &Options) -> Status {
    let roots = match load_ca(&o.ca) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("espcert check: CA {}: {e}", o.ca);
            println!(
                "device result: {} (the device fails before connecting)",
                report::code(code::SSL_CA_CHAIN_REQUIRED)
            );
            return Status::Failed;
        }
    };
    println!("CA ({}): {} certificate(s)", o.ca, roots.len());
    for c in &roots {
        if let Ok(ci) = info::parse(c) {
            print!("{}", report::cert_lines(&ci, report::now(), "    "));
        }
    }
    let mut sock = match connect(o) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("espcert check: cannot connect to {}: {e}", o.server);
            return Status::Failed;
        }
    };
    let addr = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("connected to {} ({addr}), verifying name '{}', record limit {} (espconn_secure_set_size({}))", o.server, o.hostname, o.size, o.size);
    handshake(o, &roots, &mut sock)
}

fn port_of(server: &str) -> u16 {
    server
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(443)
}

/// Outcome of one engine run over a socket.
struct Run {
    result: Result<Option<Negotiated>, Failure>,
    watch: RecordWatch,
}

/// Drives the device's TLS client over `sock` until the handshake completes
/// or fails. Every byte from the server passes through `RecordWatch` first.
fn drive(params: ClientParams, sock: &mut TcpStream, size: usize) -> Run {
    let mut watch = RecordWatch::default();
    let result = drive_inner(params, sock, size, &mut watch);
    Run { result, watch }
}

fn drive_inner(
    params: ClientParams,
    sock: &mut TcpStream,
    size: usize,
    watch: &mut RecordWatch,
) -> Result<Option<Negotiated>, Failure> {
    let mut client = TlsClient::new(params)?;
    let mut buf = vec![0u8; 16 * 1024 + 64];
    let mut sink = [0u8; 2048];
    loop {
        flush(&mut client, sock)?;
        if !client.is_handshaking() {
            return Ok(client.negotiated());
        }
        let n = match sock.read(&mut buf) {
            Ok(0) => {
                return Err(client.peer_eof().unwrap_or_else(|| {
                    fail!(
                        code::SSL_CONN_EOF,
                        "the server closed the connection during the handshake"
                    )
                }))
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(fail!(code::SSL_TIMEOUT, "no answer from the server ({e})"))
            }
            Err(e) => return Err(fail!(code::NET_RECV_FAILED, "receive failed: {e}")),
        };
        watch.feed(&buf[..n], size);
        let mut data = &buf[..n];
        let mut stalls = 0;
        loop {
            let took = client.receive(data)?;
            data = &data[took..];
            client.process()?;
            while client.read(&mut sink) > 0 {}
            flush(&mut client, sock)?;
            if data.is_empty() {
                break;
            }
            stalls = if took == 0 { stalls + 1 } else { 0 };
            if stalls > 4 {
                return Err(fail!(
                    code::SSL_INTERNAL_ERROR,
                    "the engine stopped taking input"
                ));
            }
        }
    }
}

fn flush(client: &mut TlsClient, sock: &mut TcpStream) -> Result<(), Failure> {
    while !client.output().is_empty() {
        match sock.write(client.output()) {
            Ok(0) => {
                return Err(fail!(
                    code::NET_SEND_FAILED,
                    "the server closed the connection"
                ))
            }
            Ok(n) => client.consume_output(n),
            Err(e) => return Err(fail!(code::NET_SEND_FAILED, "send failed: {e}")),
        }
    }
    Ok(())
}

fn params(o: &Options, roots: Option<Vec<CertificateDer<'static>>>, tls13: bool) -> ClientParams {
    let now = u64::try_from(report::now()).unwrap_or(0);
    let mut p = ClientParams::new(TimeSource::Fixed(now));
    p.roots = roots;
    p.hostname = Some(o.hostname.clone());
    p.max_record = o.size;
    p.tls13 = tls13 && p.tls13;
    p
}

/// Runs the device's TLS engine over `sock` and reports.
fn handshake(o: &Options, roots: &[CertificateDer<'static>], sock: &mut TcpStream) -> Status {
    let run = drive(params(o, Some(roots.to_vec()), true), sock, o.size);
    // Single-threaded servers (openssl s_server) serve the probe below only
    // once this connection is gone.
    let _ = sock.shutdown(std::net::Shutdown::Both);
    let now = report::now();
    let w = &run.watch;
    if let Some(h) = &w.not_tls {
        println!("server answered with non-TLS bytes {h:02x?} (wrong port, or plain HTTP?)");
    }

    // The chain travels encrypted in TLS 1.3; a second, unverified TLS 1.2
    // connection shows it when the first did not.
    let mut chain = w.chain();
    let mut chain_note = "";
    if chain.is_empty() && w.not_tls.is_none() {
        if let Ok(mut s2) = connect(o) {
            let probe = drive(params(o, None, false), &mut s2, 16384);
            chain = probe.watch.chain();
            chain_note = " (encrypted in TLS 1.3; read from a separate TLS 1.2 connection)";
        }
    }
    if chain.is_empty() {
        println!("server chain: not seen (TLS 1.3 only server, or the handshake ended before it)");
    } else {
        println!("server chain{chain_note}:");
        for (i, c) in chain.iter().enumerate() {
            match info::parse(c) {
                Ok(ci) => {
                    println!("  [{i}]");
                    print!("{}", report::cert_lines(&ci, now, "    "));
                }
                Err(e) => println!("  [{i}] {}", report::failure(&e)),
            }
        }
    }
    match &run.result {
        Ok(Some(n)) => println!(
            "negotiated: {} {}{}",
            n.version,
            n.suite,
            n.group.map(|g| format!(" ({g})")).unwrap_or_default()
        ),
        Ok(None) => println!("negotiated: (not reported by the engine)"),
        Err(_) => println!("negotiated: nothing (the handshake failed)"),
    }
    println!(
        "largest record from the server: {} bytes in {} record(s) (limit {} with espconn_secure_set_size({}))",
        w.largest, w.records, o.size, o.size
    );
    println!(
        "max_fragment_length: not requested (the device cannot ask for smaller records, like the vendor's build); records over the limit fail with {}",
        report::code(code::SSL_INVALID_RECORD)
    );
    match &run.result {
        Ok(_) => {
            println!("device result: 0 (handshake OK)");
            Status::Ok
        }
        Err(f) => {
            println!(
                "device result: {}  (reconnect callback err = {})",
                report::failure(f),
                vendor_callback_code(f.code)
            );
            if let Some(v) = size_verdict(w, o.size) {
                println!("records: {v}");
            }
            Status::Failed
        }
    }
}

fn connect(o: &Options) -> std::io::Result<TcpStream> {
    let addr = (o.host.as_str(), port_of(&o.server))
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no address"))?;
    let s = TcpStream::connect_timeout(&addr, o.timeout)?;
    s.set_read_timeout(Some(o.timeout))?;
    s.set_write_timeout(Some(o.timeout))?;
    Ok(s)
}

/// The device's verdict on record sizes, as mbedTLS with max_content_len = size.
pub fn size_verdict(w: &RecordWatch, size: usize) -> Option<String> {
    let (idx, len, ty) = w.first_oversize?;
    let what = match ty {
        22 => "handshake",
        23 => "application data",
        21 => "alert",
        20 => "change_cipher_spec",
        _ => "record",
    };
    let fix = if len <= 8192 {
        format!(
            "call espconn_secure_set_size({}) before connecting, or shrink the server's chain",
            len.max(2048)
        )
    } else {
        "over the device's 8192 maximum: the server must send smaller records (shorter chain, smaller max record size)".to_string()
    };
    Some(format!(
        "{} (invalid record): the server's {what} record #{idx} is {len} bytes, over espconn_secure_set_size({size}); \
         the device cannot ask for smaller records (no max_fragment_length): {fix}",
        report::code(code::SSL_INVALID_RECORD),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_watch_splits_and_finds_largest() {
        let mut w = RecordWatch::default();
        let mut stream = vec![22, 3, 3, 0x0B, 0xB8];
        stream.extend(vec![0; 3000]);
        stream.extend([23, 3, 3, 0, 5, 1, 2, 3, 4, 5]);
        for chunk in stream.chunks(7) {
            w.feed(chunk, 2048);
        }
        assert_eq!((w.records, w.largest), (2, 3000));
        assert_eq!(w.first_oversize, Some((1, 3000, 22)));
        let v = size_verdict(&w, 2048).unwrap();
        assert!(v.starts_with("-0x7200"), "{v}");
        assert!(v.contains("set_size(3000)"), "{v}");
        let mut ok = RecordWatch::default();
        ok.feed(&[22, 3, 1, 0x08, 0x00], 2048);
        assert!(size_verdict(&ok, 2048).is_none());
        let mut http = RecordWatch::default();
        http.feed(b"HTTP/1.1 400 Bad Request\r\n", 2048);
        assert!(http.not_tls.is_some());
    }
}
