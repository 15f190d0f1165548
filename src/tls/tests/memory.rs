//! Heap used by rustls inside `process()`, measured with the test binary's
//! counting global allocator (`platform::counting_alloc`), checked against
//! the pre-checks: `work_estimate()` up to a step's first public-key
//! operation, then each operation's own figure (`provider::cost`) up to the
//! next one.

use std::println;

use super::*;
use crate::platform::counting_alloc::measure_segments;

#[derive(Default, Debug)]
struct Peaks {
    handshake: usize,
    traffic: usize,
    /// Tightest margin seen, budget - measured, over the segments of every
    /// step (its start to its first public-key operation, each operation to
    /// the next one or the step's end).
    min_margin: isize,
    /// The segment with that margin: (budget, measured).
    tightest: (isize, isize),
}

/// Run a handshake and a 16 KB download, measuring every client `process()`.
fn run(pki: Pki, tls13: bool, mtls: bool) -> Peaks {
    let mut cp = client_params(pki);
    cp.tls13 = tls13 && tls13_ok(pki);
    let mut sp = server_params(pki);
    sp.max_fragment = TLS_MAX_PLAINTEXT;
    if mtls {
        let (c, k, i) = match pki {
            Pki::Rsa => (
                fixture!("rsa-client.der"),
                fixture!("rsa-client.key.der"),
                fixture!("rsa-int.der"),
            ),
            _ => (
                fixture!("ec-client.der"),
                fixture!("ec-client.key.der"),
                fixture!("ec-int.der"),
            ),
        };
        cp.identity = Some((vec![cert(c), cert(i)], pkcs8(k)));
        sp.client_roots = Some(vec![root(pki)]);
    }
    let mut peaks = Peaks {
        min_margin: isize::MAX,
        ..Default::default()
    };
    let mut c = TlsClient::new(cp).unwrap();
    let mut s = TlsServer::new(sp).unwrap();
    let big = vec![0x42u8; 16384];
    let mut sent_big = false;
    let mut got = 0;
    for _ in 0..1000 {
        let mut progress = false;
        let out = c.output().to_vec();
        if !out.is_empty() {
            let n = s.receive(&out).unwrap();
            c.consume_output(n);
            s.process().unwrap();
            progress = true;
        }
        let out = s.output().to_vec();
        if !out.is_empty() {
            // Offer in TCP-sized pieces, as lwIP delivers them.
            let mut off = 0;
            while off < out.len() {
                let end = (off + 1460).min(out.len());
                let n = c.receive(&out[off..end]).unwrap();
                off += n;
                let handshaking = c.is_handshaking();
                let estimate = c.work_estimate();
                let ((r, peak), (budget, need)) = measure_segments(estimate, || c.process());
                r.unwrap();
                let mut buf = [0u8; 4096];
                while c.read(&mut buf) > 0 {
                    got += 1;
                }
                if handshaking {
                    peaks.handshake = peaks.handshake.max(peak);
                } else {
                    peaks.traffic = peaks.traffic.max(peak);
                }
                if budget - need < peaks.min_margin {
                    peaks.min_margin = budget - need;
                    peaks.tightest = (budget, need);
                }
                if std::env::var_os("MEMORY_STEPS").is_some() {
                    println!("step {pki:?} tls13={tls13} mtls={mtls} hs={handshaking} pending={} estimate={estimate} peak={peak} tightest segment {need} of {budget}", n);
                }
                assert!(
                    budget >= need,
                    "{pki:?} tls13={tls13} mtls={mtls}: a segment took {need} bytes, its pre-check {budget} (handshaking={handshaking})"
                );
            }
            s.consume_output(out.len());
            progress = true;
        }
        if !c.is_handshaking() && !s.is_handshaking() && !sent_big {
            s.write(&big).unwrap();
            sent_big = true;
            progress = true;
        }
        if !progress {
            break;
        }
    }
    assert!(sent_big && got > 0);
    peaks
}

#[test]
fn work_estimate_bounds_measured_heap_peaks() {
    for (pki, tls13, mtls) in [
        (Pki::Ec, false, false),
        (Pki::Ec, true, false),
        (Pki::Rsa, false, false),
        (Pki::Rsa, true, false),
        (Pki::Ec, true, true),
        (Pki::Rsa, false, true),
    ] {
        // An own RSA key needs `rsa-sign`: other builds refuse it at load
        // (certs::keys), so no such connection exists to measure.
        if mtls && matches!(pki, Pki::Rsa) && !cfg!(feature = "rsa-sign") {
            continue;
        }
        let p = run(pki, tls13, mtls);
        println!(
            "heap peak in process(): {pki:?} tls13={tls13} mtls={mtls}: handshake {} B, traffic (16 KB record) {} B, min margin {} B (a segment of {} B, budget {} B)",
            p.handshake, p.traffic, p.min_margin, p.tightest.1, p.tightest.0
        );
    }
}
