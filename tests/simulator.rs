//! The host NONOS simulator (c-shim/host) driven through C programs written
//! like NONOS user code (tests/c/*.c, examples-c/tcp_echo) against real
//! sockets, files and timers.

mod common;

use common::{host_binary, make, run, spawn, temp_path};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// Echo peer for one connection: echoes `n` bytes, then reports whether the
/// client closed its side (read returns 0) within 5 s.
fn echo_once(l: TcpListener, n: usize) -> thread::JoinHandle<bool> {
    thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = vec![0u8; n];
        s.read_exact(&mut buf).unwrap();
        s.write_all(&buf).unwrap();
        let mut rest = [0u8; 64];
        matches!(s.read(&mut rest), Ok(0))
    })
}

#[test]
fn client_callbacks_in_vendor_order() {
    let bin = host_binary("test_tcp_client");
    let (l, port) = listener();
    let peer = echo_once(l, 5);
    let server = format!("127.0.0.1:{port}");
    let out = run(&bin, &["--server", &server, "--message", "hello"], T);
    assert!(out.status.success(), "{out}");
    assert_eq!(
        out.ev(),
        [
            "EV connect-call 0 state=1",
            "EV connect-again -15",
            "EV connect state=3 local_port_set=1",
            "EV send 0 state=4",
            "EV send2 -7",
            "EV sent state=3",
            "EV recv 5 hello",
            "EV disconnect state=6",
        ],
        "{out}"
    );
    assert!(
        peer.join().unwrap(),
        "the peer did not see the local disconnect as a FIN"
    );
    let heap = out.heap();
    assert_eq!(heap.in_use, 0, "{out}");
}

#[test]
fn refused_port_reports_reconnect_conn() {
    let bin = host_binary("test_tcp_client");
    let (l, port) = listener();
    drop(l);
    let server = format!("127.0.0.1:{port}");
    let out = run(&bin, &["--server", &server], T);
    assert_eq!(out.status.code(), Some(1), "{out}");
    assert_eq!(
        out.ev(),
        [
            "EV connect-call 0 state=1",
            "EV connect-again -15",
            "EV reconnect -11"
        ],
        "{out}"
    );
}

#[test]
fn peer_reset_reports_reconnect_rst() {
    let bin = host_binary("test_tcp_client");
    let (l, port) = listener();
    let peer = thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        // Closing with unread data makes the kernel answer with RST.
        thread::sleep(Duration::from_millis(300));
        drop(s);
    });
    let server = format!("127.0.0.1:{port}");
    let out = run(&bin, &["--server", &server, "--mode", "send-only"], T);
    peer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out}");
    let ev = out.ev();
    assert!(ev.contains(&"EV sent state=3"), "{out}");
    assert_eq!(ev.last(), Some(&"EV reconnect -9"), "{out}");
    assert!(!ev.iter().any(|l| l.starts_with("EV disconnect")), "{out}");
}

#[test]
fn recv_hold_delays_delivery_until_unhold() {
    let bin = host_binary("test_tcp_client");
    let (l, port) = listener();
    let peer = thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.write_all(b"early").unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        s.shutdown(Shutdown::Both).unwrap();
    });
    let server = format!("127.0.0.1:{port}");
    let out = run(
        &bin,
        &["--server", &server, "--mode", "hold", "--hold-ms", "300"],
        T,
    );
    peer.join().unwrap();
    assert!(out.status.success(), "{out}");
    out.expect_line("EV hold 0");
    let unhold = out.line_pos("EV unhold").expect("no unhold");
    let recv = out
        .stdout
        .lines()
        .position(|l| l.starts_with("EV recv 5 early"))
        .unwrap_or_else(|| panic!("no recv:\n{out}"));
    assert!(unhold < recv, "data delivered while held:\n{out}");
    assert_eq!(out.ev().last(), Some(&"EV disconnect state=6"), "{out}");
}

#[test]
fn server_accepts_echoes_and_enforces_max_con_allow() {
    let bin = host_binary("test_tcp_server");
    let mut prog = spawn(&bin, &["--allow", "1", "--clients", "1"]);
    let listen = prog.wait_line(|l| l.starts_with("EV listen "), T);
    let port: u16 = listen.split(' ').nth(2).unwrap().parse().unwrap();
    assert!(listen.ends_with("state=2"), "{listen}");

    let mut a = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let a_port = a.local_addr().unwrap().port();
    let accept = prog.wait_line(|l| l.starts_with("EV accept "), T);
    assert_eq!(
        accept,
        format!("EV accept {a_port} link=1 arg_new=1 reverse_ok=1 state=3")
    );

    // Over the limit of one client: accepted by the kernel, then reset.
    let mut b = TcpStream::connect(("127.0.0.1", port)).unwrap();
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut one = [0u8; 1];
    match b.read(&mut one) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("second client was served: {other:?}"),
    }

    a.write_all(b"ping").unwrap();
    let mut reply = [0u8; 4];
    a.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    a.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"PING");
    drop(a);

    let out = prog.finish(T);
    assert!(out.status.success(), "{out}");
    let ev = out.ev();
    let expected = [
        "EV allow-set 0",
        "EV allow 1",
        "EV info n=1 port_match=1",
        "EV delete-busy -5",
        "EV recv 4 ping",
        "EV sent",
        "EV disconnect link=0 arg_is_listener=0",
        "EV deleted 0",
    ];
    let got: Vec<&str> = ev
        .iter()
        .copied()
        .filter(|l| !l.starts_with("EV listen") && !l.starts_with("EV accept"))
        .collect();
    assert_eq!(got, expected, "{out}");
}

#[test]
fn heap_cap_makes_allocations_fail_without_crashing() {
    let bin = host_binary("test_heap");
    let out = run(&bin, &["--mode", "cap", "--heap", "1000"], T);
    assert!(out.status.success(), "{out}");
    assert_eq!(
        out.ev(),
        [
            "EV free0 1000",
            "EV a ok",
            "EV free1 400",
            "EV b null",
            "EV c ok zero=1",
            "EV free2 0",
            "EV d null",
            "EV realloc-grow null",
            "EV a-intact 1",
            "EV realloc-shrink ok intact=1",
            "EV calloc-overflow null",
            "EV stats in_use=0 peak=1000",
            "EV free3 1000",
        ],
        "{out}"
    );
    let heap = out.heap();
    assert_eq!((heap.peak, heap.in_use), (1000, 0), "{out}");
}

#[test]
fn fault_injection_fails_exactly_allocation_n() {
    let bin = host_binary("test_heap");
    for n in [1u32, 3, 6] {
        let arg = n.to_string();
        let out = run(&bin, &["--mode", "inject", "--fail-alloc", &arg], T);
        assert!(out.status.success(), "{out}");
        let expected: Vec<String> = (1..=6)
            .map(|i| format!("EV alloc {i} {}", if i == n { "null" } else { "ok" }))
            .collect();
        assert_eq!(out.ev(), expected, "{out}");
        let heap = out.heap();
        assert_eq!((heap.allocs, heap.in_use, heap.peak), (6, 0, 50), "{out}");
    }
    let out = run(&bin, &["--mode", "inject"], T);
    assert!(out.ev().iter().all(|l| l.ends_with(" ok")), "{out}");
    assert_eq!(out.heap().peak, 60, "{out}");
}

#[test]
fn freeing_foreign_or_freed_pointers_aborts() {
    let bin = host_binary("test_heap");
    for mode in ["foreign", "double"] {
        let out = run(&bin, &["--mode", mode], T);
        assert!(!out.status.success(), "{out}");
        assert!(!out.stdout.contains("EV survived"), "{out}");
        assert!(out.stderr.contains("not from the SDK heap"), "{out}");
    }
}

#[test]
fn flash_reads_placed_erased_and_rejects_bad_ranges() {
    let bin = host_binary("test_flash");
    let placed = temp_path("place.bin");
    std::fs::write(&placed, b"\x01\x02\x03\x04ABCDxyz").unwrap();
    let image = temp_path("flash.img");
    let place_arg = format!("0x10:{}", placed.display());
    let out = run(
        &bin,
        // Placement given before the file: it must still land in the file.
        &[
            "--flash-place",
            &place_arg,
            "--flash",
            image.to_str().unwrap(),
        ],
        T,
    );
    assert!(out.status.success(), "{out}");
    assert_eq!(
        out.ev(),
        [
            "EV placed r=0 v=04030201",
            "EV placed2 v=44434241",
            "EV erased r=0 v=ffffffff",
            "EV misaligned-addr r=1 v=deadbeef",
            "EV misaligned-size r=1 v=deadbeef",
            "EV misaligned-dst r=1 v=deadbeef",
            "EV out-of-range r=1 v=deadbeef",
            "EV crossing-end r=1 v=deadbeef",
            "EV last-word r=0 v=ffffffff",
            "EV write1 r=0",
            "EV write2 r=0",
            "EV after-writes r=0 v=000f000f",
            "EV erase r=0",
            "EV after-erase r=0 v=ffffffff",
            "EV erase-out r=1",
            "EV write-misaligned r=1",
        ],
        "{out}"
    );
    // The image file is a whole erased chip with the placed bytes in it.
    let img = std::fs::read(&image).unwrap();
    assert_eq!(img.len(), 4 * 1024 * 1024);
    assert_eq!(&img[0x10000..0x1000b], b"\x01\x02\x03\x04ABCDxyz");
    assert!(img[0x1000b..0x11000].iter().all(|&b| b == 0xff));
    assert!(img[..0x10000].iter().all(|&b| b == 0xff));
    let _ = std::fs::remove_file(&placed);
    let _ = std::fs::remove_file(&image);
}

#[test]
fn tasks_by_priority_and_timers_by_deadline() {
    let bin = host_binary("test_sched");
    let out = run(&bin, &["--time", "1700000000"], T);
    assert!(out.status.success(), "{out}");
    let ev = out.ev();
    let tasks: Vec<&str> = ev
        .iter()
        .filter(|l| l.starts_with("EV task sig="))
        .map(|l| &l[12..13])
        .collect();
    assert_eq!(tasks, ["b", "d", "c", "e", "a", "f", "g", "h"], "{out}");
    assert!(
        !out.stdout.contains("in_init=1"),
        "a task ran inside user_init:\n{out}"
    );
    let pos = |l: &str| {
        out.line_pos(l)
            .unwrap_or_else(|| panic!("missing {l}:\n{out}"))
    };
    assert!(pos("EV init-end") < pos("EV init_done"));
    assert!(pos("EV timer t10") < pos("EV timer t20"));
    assert!(pos("EV timer t20") < pos("EV timer t30"));
    assert!(pos("EV rep 3") < pos("EV timer t30"));
    for l in [
        "EV task-reg 1 1 1",
        "EV bad-prio 0",
        "EV post-full 0",
        "EV elapsed-ok 1",
        "EV rep_count 3",
        "EV cpu160 1",
        "EV cpu100 0",
        "EV cpu 160",
        "EV counters feeds=2 stops=1 restarts=1 freq_changes=1",
        // --time is the network's time: a program that never started SNTP
        // does not have it, as on the chip.
        "EV sntp 0",
    ] {
        out.expect_line(l);
    }
    assert!(!out.stdout.contains("EV rep 4"), "{out}");
}

/// `EV sntp at=MS ts=T` lines of test_sntp: (MS, T).
fn sntp_readings(bin: &std::path::Path, args: &[&str]) -> Vec<(u32, u32)> {
    let out = run(bin, args, T);
    assert!(out.status.success(), "{out}");
    out.ev()
        .iter()
        .filter_map(|l| l.strip_prefix("EV sntp at="))
        .map(|l| {
            let (at, ts) = l.split_once(" ts=").expect("reading");
            (at.parse().unwrap(), ts.parse().unwrap())
        })
        .collect()
}

#[test]
fn sntp_gives_the_time_about_a_second_after_init_with_a_server() {
    let bin = host_binary("test_sntp");
    for mode in ["name", "addr"] {
        let r = sntp_readings(&bin, &["--mode", mode, "--time", "1700000000"]);
        let ts: Vec<u32> = r.iter().map(|&(_, t)| t).collect();
        assert_eq!(ts[..2], [0, 0], "{mode}: before the first answer: {r:?}");
        // 1.5 s and 3 s after boot: --time plus the time run since.
        assert!(
            (1_700_000_001..=1_700_000_002).contains(&ts[2]),
            "{mode}: {r:?}"
        );
        assert!(
            (1_700_000_002..=1_700_000_004).contains(&ts[3]),
            "{mode}: {r:?}"
        );
    }
    // Without --time the network's time is the host's.
    let r = sntp_readings(&bin, &["--mode", "name"]);
    let host = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((i64::from(r[3].1) - host).abs() <= 2, "{r:?} host {host}");
}

#[test]
fn sntp_stays_0_without_init_or_without_a_server() {
    let bin = host_binary("test_sntp");
    for mode in ["no-init", "no-server"] {
        let r = sntp_readings(&bin, &["--mode", mode, "--time", "1700000000"]);
        assert!(r.iter().all(|&(_, t)| t == 0), "{mode}: {r:?}");
    }
    // A server given after sntp_init: the time follows about a second later.
    let r = sntp_readings(&bin, &["--mode", "late-server", "--time", "1700000000"]);
    let ts: Vec<u32> = r.iter().map(|&(_, t)| t).collect();
    assert_eq!(ts[..3], [0, 0, 0], "{r:?}");
    assert!((1_700_000_002..=1_700_000_004).contains(&ts[3]), "{r:?}");
}

#[test]
fn rtc_memory_survives_deep_sleep() {
    let bin = host_binary("test_rtc");
    let rtc = temp_path("rtc.bin");
    let rtc_s = rtc.to_str().unwrap();
    for (i, reason) in [(1, 0), (2, 5), (3, 5)] {
        let out = run(&bin, &["--rtc", rtc_s, "--stop", "3"], T);
        assert!(out.status.success(), "{out}");
        out.expect_line("EV bounds 0 0 1 1");
        out.expect_line(&format!("EV boot reason={reason} count={i}"));
        assert_eq!(
            out.stdout.contains("sim: deep_sleep 1000000 us"),
            i < 3,
            "{out}"
        );
    }
    // Without the file, a fresh power-on.
    let out = run(&bin, &["--stop", "1"], T);
    out.expect_line("EV boot reason=0 count=1");
    let _ = std::fs::remove_file(&rtc);
}

#[test]
fn tcp_echo_example_round_trip() {
    let bin = host_binary("tcp_echo");
    let (l, port) = listener();
    let peer = echo_once(l, 9);
    let server = format!("127.0.0.1:{port}");
    let out = run(&bin, &["--server", &server, "--message", "hi there"], T);
    assert!(out.status.success(), "{out}");
    assert!(peer.join().unwrap());
    let lines: Vec<&str> = out.stdout.lines().collect();
    let i = |l: &str| {
        lines
            .iter()
            .position(|x| *x == l)
            .unwrap_or_else(|| panic!("missing {l}:\n{out}"))
    };
    assert!(i("GOT_IP 127.0.0.1") < i("CONNECTED"));
    assert!(i("CONNECTED") < i("RECV: hi there"));
    assert!(i("RECV: hi there") < i("DISCONNECT"));
    let heap = out.heap();
    assert_eq!((heap.in_use, heap.allocs), (0, 1), "{out}");
}

#[test]
fn tcp_echo_example_refused_and_run_for_timeout() {
    let bin = host_binary("tcp_echo");
    let (l, port) = listener();
    drop(l);
    let server = format!("127.0.0.1:{port}");
    let out = run(&bin, &["--server", &server], T);
    assert_eq!(out.status.code(), Some(1), "{out}");
    out.expect_line("RECONNECT err=-11");

    // A peer that never answers: the run ends by --run-for, exit code 3.
    let (l, port) = listener();
    let server = format!("127.0.0.1:{port}");
    let out = run(&bin, &["--server", &server, "--run-for", "400"], T);
    drop(l);
    assert_eq!(out.status.code(), Some(3), "{out}");
    assert!(out.stdout.contains("sim: timeout"), "{out}");
    out.heap();
}

#[test]
fn sdk_headers_have_the_chips_layouts_in_the_simulator_and_on_xtensa() {
    make("layout-check");
    make("xtensa-compile-check");
}
