//! Integrity soak: tests/c/soak.c (the client, on the simulator) and
//! tests/support/soak_peer.py (a TLS server over OpenSSL) stream N bytes each
//! way at once, with random write sizes, random record sizes, random TCP
//! segmentation and random `espconn_secure_recv_hold` / `_unhold` on the
//! client. Each direction is checked end to end: the sender's SHA-256 and
//! byte count against the receiver's. N is 20 MB unless SOAK_MB says
//! otherwise.

mod support;

use std::process::Command;

use support::*;

fn soak_bytes() -> u64 {
    let mb: u64 = std::env::var("SOAK_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    mb * 1024 * 1024
}

/// `KEY=value` from the first line of `out` starting with `prefix`.
fn field(out: &str, prefix: &str, key: &str) -> String {
    out.lines()
        .filter(|l| l.starts_with(prefix))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .map(str::to_string)
        })
        .unwrap_or_else(|| panic!("no {prefix} line with {key}="))
}

fn num(out: &str, prefix: &str, key: &str) -> u64 {
    field(out, prefix, key).parse().unwrap()
}

/// Runs one soak; `peer_opts` go to soak_peer.py, `heap` is the simulator's.
fn soak(name: &str, peer_opts: &[&str], heap: u64, seed: u32) {
    let n = soak_bytes();
    let pki = pki();
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/support/soak_peer.py"))
        .arg("--cert")
        .arg(pki.join("ec/chain.pem"))
        .arg("--key")
        .arg(pki.join("ec/leaf.key"))
        .arg("--bytes")
        .arg(n.to_string())
        .arg("--seed")
        .arg(seed.to_string())
        .args(peer_opts);
    let peer = ScriptPeer::start(cmd);
    let dir = scratch(name);
    let mut a = ca_args(&dir, "ec");
    a.extend(args(&[
        ("server", format!("127.0.0.1:{}", peer.port)),
        ("bytes", n.to_string()),
        ("seed", seed.to_string()),
        ("time", now()),
        ("heap", heap.to_string()),
        ("run-for", "150000".into()),
    ]));
    let mut r = run_example("test_soak", &a, 160);
    r.cap = heap;
    let p = peer.finish(15);

    assert_eq!(num(&r.stdout, "SOAK violations", "violations"), 0);
    // Client -> peer: everything we sent arrived, in order.
    assert_eq!(num(&r.stdout, "SOAK tx_bytes", "tx_bytes"), n);
    assert_eq!(num(&p, "PEER rx_bytes", "rx_bytes"), n);
    assert_eq!(
        field(&r.stdout, "SOAK tx_bytes", "tx_sha256"),
        field(&p, "PEER rx_bytes", "rx_sha256"),
        "client->peer stream changed on the way"
    );
    // Peer -> client: everything the peer sent arrived, in order.
    assert_eq!(num(&p, "PEER tx_bytes", "tx_bytes"), n);
    assert_eq!(num(&r.stdout, "SOAK rx_bytes", "rx_bytes"), n);
    assert_eq!(
        field(&r.stdout, "SOAK rx_bytes", "rx_sha256"),
        field(&p, "PEER tx_bytes", "tx_sha256"),
        "peer->client stream changed on the way"
    );
    // Back-pressure was exercised: holds from inside the recv callback and
    // from timers, and some long enough to shut the peer's TCP window.
    let holds = num(&r.stdout, "SOAK holds", "holds");
    let in_recv = num(&r.stdout, "SOAK holds", "holds_in_recv");
    assert_eq!(holds, num(&r.stdout, "SOAK holds", "unholds"));
    if n >= 8 << 20 {
        assert!(holds >= 100, "only {holds} holds");
        assert!(in_recv > 0 && holds > in_recv, "holds not from both places");
        assert!(num(&r.stdout, "SOAK holds", "long_holds") > 0);
        assert!(
            num(&p, "PEER records", "blocked") > 0,
            "the peer never met a shut TCP window"
        );
    }
    // A clean end: close_notify both ways, the disconnect callback, all heap back.
    assert!(p.contains("PEER close_notify received"), "no close_notify");
    assert!(r.has("DISCONNECT"), "no disconnect callback");
    assert_eq!(r.reconnect_err(), None);
    r.assert_heap_returned();
    assert_eq!(r.code, Some(0));
    let (peak, _, _) = r.heap();
    eprintln!("soak {name}: {n} bytes each way, heap peak {peak}, {holds} holds");
}

#[test]
fn soak_tls12_records_up_to_16k() {
    // 16 KB records arriving back to back while we send need more than the
    // chip's heap (see README figures): measured with 96 KB.
    soak("soak-tls12", &[], 96 * 1024, 5);
}

#[test]
fn soak_tls13_records_up_to_4k_in_a_40k_heap() {
    soak(
        "soak-tls13",
        &["--tls13", "--max-record", "4096"],
        SIM_HEAP_CAP,
        11,
    );
}
