//! The connection state machine with a fake TCP and an in-process TLS peer
//! (our own server engine with the test PKI, `tls::tests`): the order and
//! the count of what the user hears, and what reaches TCP, for the cases
//! the SDK and the program can produce. The harness delivers events the way
//! `ffi::dispatch` does: one flat loop, reads of one record at a time, a
//! resume once what was readable is read, nothing while the user holds.

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::error::code;
use crate::platform::sdk::ret;
use crate::tls::tests::{client_params, server_params, Pki};
use crate::tls::{TlsClient, TlsServer};

/// The SDK's side of one TCP connection, as the connection sees it.
#[derive(Default)]
struct FakeTcp {
    /// Ciphertext handed to `espconn_send`, not yet taken by the peer.
    to_peer: Vec<u8>,
    /// One `espconn_send` is outstanding until the harness acknowledges it.
    in_flight: bool,
    /// Sends made while one was in flight (the SDK would refuse them).
    overlapping_sends: usize,
    /// `espconn_send` returns this instead of 0 when set.
    refuse: Option<i8>,
    disconnects: usize,
    /// TCP input held at the SDK (`espconn_recv_hold`).
    held: bool,
}

impl Tcp for FakeTcp {
    fn send(&mut self, data: &[u8]) -> i8 {
        if let Some(r) = self.refuse {
            return r;
        }
        if self.in_flight {
            self.overlapping_sends += 1;
        }
        self.in_flight = true;
        self.to_peer.extend_from_slice(data);
        0
    }
    fn disconnect(&mut self) {
        self.disconnects += 1;
    }
    fn hold(&mut self, hold: bool) {
        self.held = hold;
    }
}

/// What the user's callbacks saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    Connect,
    Recv(usize),
    Sent,
    Disconnect,
    Reconnect(i32),
    TcpError(i8),
}

/// What a callback does with the connection while it runs.
type Hook = fn(&mut Conn, &mut FakeTcp, &Heard);

fn nothing(_: &mut Conn, _: &mut FakeTcp, _: &Heard) {}

struct Harness {
    conn: Conn,
    tcp: FakeTcp,
    peer: TlsServer,
    heard: Vec<Heard>,
    plain: Vec<u8>,
    /// What the peer decrypted from us.
    peer_plain: Vec<u8>,
    peer_saw_close: bool,
    /// The peer's TCP FIN reached us (`tcp_closed` was called).
    fin: bool,
    hook: Hook,
    /// Suspended handshake steps carried on (`Conn::continue_step`).
    steps_continued: usize,
}

/// Our client, trusting the EC test root (a peer with the RSA chain fails
/// its verification).
fn client_engine(_: usize, _: ([u8; 4], u16)) -> Result<Engine, Failure> {
    Ok(TlsClient::new(client_params(Pki::Ec))?.into_session())
}

fn client_start() -> Start {
    Start {
        build: client_engine,
        key: 0,
        peer: ([127, 0, 0, 1], 443),
    }
}

impl Harness {
    /// A client connection whose TCP just came up, to a peer with `pki`.
    fn client(pki: Pki) -> Harness {
        let mut h = Harness {
            conn: Conn::new(Role::Client).expect("connection"),
            tcp: FakeTcp::default(),
            peer: TlsServer::new(server_params(pki)).expect("peer"),
            heard: Vec::new(),
            plain: Vec::new(),
            peer_plain: Vec::new(),
            peer_saw_close: false,
            fin: false,
            hook: nothing,
            steps_continued: 0,
        };
        crate::platform::slice::callback_begins();
        h.conn.tcp_connected(&mut h.tcp, client_start());
        h.dispatch();
        h
    }

    /// Open: the handshake ran to completion.
    fn open() -> Harness {
        let mut h = Harness::client(Pki::Ec);
        h.run();
        assert_eq!(h.heard, vec![Heard::Connect], "handshake");
        h.heard.clear();
        h
    }

    /// The user's callbacks for what the connection queued, as `ffi`
    /// makes them.
    fn dispatch(&mut self) {
        while let Some(ev) = self.conn.next_event() {
            match ev {
                UserEvent::Connected => self.hear(Heard::Connect),
                UserEvent::Sent => self.hear(Heard::Sent),
                UserEvent::Readable => loop {
                    if self.conn.user_held() || !self.conn.delivering() {
                        break;
                    }
                    let mut buf = [0u8; RECV_CHUNK];
                    let n = self.conn.read(&mut buf);
                    if n == 0 {
                        self.conn.resume(&mut self.tcp);
                        break;
                    }
                    self.plain.extend_from_slice(&buf[..n]);
                    self.hear(Heard::Recv(n));
                },
            }
        }
        match self.conn.take_ending() {
            Some(Ending::Disconnected) => self.hear(Heard::Disconnect),
            Some(Ending::Failed(code)) => self.hear(Heard::Reconnect(code)),
            Some(Ending::TcpError(e)) => self.hear(Heard::TcpError(e)),
            None => {}
        }
    }

    fn hear(&mut self, heard: Heard) {
        (self.hook)(&mut self.conn, &mut self.tcp, &heard);
        self.heard.push(heard);
    }

    /// The peer takes what we sent and answers (TLS only: its FIN is
    /// [`Harness::fin`]).
    fn peer_round(&mut self) -> bool {
        let input = core::mem::take(&mut self.tcp.to_peer);
        let mut rest = &input[..];
        while !rest.is_empty() {
            let Ok(n) = self.peer.receive(rest) else {
                break;
            };
            rest = &rest[n..];
            // One decrypted record at a time: process, read, until none.
            loop {
                match self.peer.process() {
                    Ok(Event::PeerClosed) => self.peer_saw_close = true,
                    Ok(_) => {}
                    Err(_) => break,
                }
                let mut buf = [0u8; 2048];
                let n = self.peer.read(&mut buf);
                if n == 0 {
                    break;
                }
                self.peer_plain.extend_from_slice(&buf[..n]);
            }
        }
        !input.is_empty()
    }

    /// The SDK's loop until nothing moves: outstanding sends complete, the
    /// peer answers, its bytes arrive unless TCP input is held, a requested
    /// disconnect comes back as TCP's close.
    fn run(&mut self) {
        for _ in 0..1000 {
            let mut progress = false;
            // Each call below is an SDK callback of its own (`ffi::drive`),
            // the first one ffi's timer for a suspended handshake step.
            if self.conn.step_pending() {
                self.steps_continued += 1;
                crate::platform::slice::callback_begins();
                self.conn.continue_step(&mut self.tcp);
                self.dispatch();
                progress = true;
            }
            crate::platform::slice::callback_begins();
            if self.tcp.in_flight {
                self.tcp.in_flight = false;
                self.conn.tcp_sent(&mut self.tcp);
                progress = true;
            }
            crate::platform::slice::callback_begins();
            if !self.tcp.to_peer.is_empty() {
                progress |= self.peer_round();
            }
            let out = self.peer.output().to_vec();
            if !out.is_empty() && !self.tcp.held && !self.fin {
                self.peer.consume_output(out.len());
                self.conn.tcp_received(&mut self.tcp, &out);
                progress = true;
            }
            crate::platform::slice::callback_begins();
            if self.tcp.disconnects > 0 && !self.fin {
                self.fin = true;
                self.conn.tcp_closed();
                progress = true;
            }
            self.dispatch();
            if !progress {
                return;
            }
        }
        panic!(
            "the connection never settles (suspended {}, deferred {}, suspended steps {})",
            self.conn.state.step_suspended(),
            self.conn.state.step_deferred(),
            crate::platform::slice::steps_suspended()
        );
    }

    /// The peer sends `data` in one record per `piece` bytes.
    fn peer_writes(&mut self, data: &[u8], piece: usize) {
        for chunk in data.chunks(piece) {
            self.peer.write(chunk).expect("peer write");
        }
    }
}

/// The tests share the simulator's SDK heap (the connections' arenas), and
/// some compare its free bytes before and after: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn callbacks_come_in_the_vendors_order_connect_sent_recv_disconnect() {
    let _serial = serial();
    let mut h = Harness::open();
    assert_eq!(h.conn.user_send(&mut h.tcp, b"ping"), ret::OK);
    h.run();
    h.peer_writes(b"pong", 1000);
    h.run();
    assert_eq!(h.conn.user_disconnect(&mut h.tcp), ret::OK);
    h.run();
    assert_eq!(
        h.heard,
        vec![Heard::Sent, Heard::Recv(4), Heard::Disconnect],
        "the sent callback after TCP took the records, the data, then one disconnect"
    );
    assert_eq!(h.peer_plain, b"ping");
    assert!(h.peer_saw_close, "close_notify precedes the TCP close");
    assert_eq!(h.tcp.disconnects, 1);
}

#[test]
fn a_send_while_a_send_is_in_flight_is_refused_and_the_next_one_after_sent_goes_through() {
    let _serial = serial();
    let mut h = Harness::open();
    assert_eq!(h.conn.user_send(&mut h.tcp, b"first"), ret::OK);
    assert_eq!(
        h.conn.user_send(&mut h.tcp, b"second"),
        ret::INPROGRESS,
        "one send at a time, as the vendor's"
    );
    h.run();
    assert_eq!(h.heard, vec![Heard::Sent]);
    assert_eq!(h.conn.user_send(&mut h.tcp, b"third"), ret::OK);
    h.run();
    assert_eq!(
        h.peer_plain, b"firstthird",
        "the refused send was not queued"
    );
    assert_eq!(h.tcp.overlapping_sends, 0, "never two espconn_send at once");
}

#[test]
fn a_large_send_reaches_tcp_one_espconn_send_at_a_time_then_one_sent_callback() {
    let _serial = serial();
    let mut h = Harness::open();
    let data = pattern(10_000);
    assert_eq!(h.conn.user_send(&mut h.tcp, &data), ret::OK);
    h.run();
    assert_eq!(
        h.heard,
        vec![Heard::Sent],
        "one sent callback per user send"
    );
    assert_eq!(h.peer_plain, data);
    assert_eq!(h.tcp.overlapping_sends, 0);
}

#[test]
fn sending_before_the_handshake_completes_is_refused_with_inprogress() {
    let _serial = serial();
    let mut h = Harness::client(Pki::Ec);
    assert_eq!(h.conn.user_send(&mut h.tcp, b"early"), ret::INPROGRESS);
    h.run();
    assert_eq!(h.heard, vec![Heard::Connect]);
    assert!(
        h.peer_plain.is_empty(),
        "nothing of the refused send went out"
    );
}

#[test]
fn disconnect_from_inside_the_recv_callback_stops_delivery_and_ends_once() {
    let _serial = serial();
    let mut h = Harness::open();
    h.hook = |conn, tcp, heard| {
        if matches!(heard, Heard::Recv(_)) {
            assert_eq!(conn.user_disconnect(tcp), ret::OK);
            assert_eq!(
                conn.user_disconnect(tcp),
                ret::INPROGRESS,
                "a second disconnect while closing"
            );
        }
    };
    h.peer_writes(&pattern(3000), 1000);
    h.run();
    assert_eq!(
        h.heard,
        vec![Heard::Recv(1000), Heard::Disconnect],
        "no data after the user's disconnect, one last callback"
    );
    assert!(h.peer_saw_close);
}

#[test]
fn send_from_inside_the_connect_callback_is_accepted_and_its_sent_callback_follows() {
    let _serial = serial();
    let mut h = Harness::client(Pki::Ec);
    h.hook = |conn, tcp, heard| {
        if *heard == Heard::Connect {
            assert_eq!(conn.user_send(tcp, b"hello from connect"), ret::OK);
        }
    };
    h.run();
    assert_eq!(h.heard, vec![Heard::Connect, Heard::Sent]);
    assert_eq!(h.peer_plain, b"hello from connect");
}

#[test]
fn a_failure_during_the_handshake_ends_with_one_reconnect_and_an_alert() {
    let _serial = serial();
    // Our client trusts the EC root; the peer shows the RSA chain.
    let mut h = Harness::client(Pki::Rsa);
    h.run();
    assert_eq!(
        h.heard,
        vec![Heard::Reconnect(code::X509_CERT_VERIFY_FAILED)],
        "no connect callback, one reconnect with the verification code"
    );
    assert_eq!(h.tcp.disconnects, 1, "TCP closed once");
    // A late FIN or TCP error changes nothing.
    h.conn.tcp_closed();
    h.conn.tcp_error(ret::RST);
    h.dispatch();
    assert_eq!(h.heard.len(), 1);
}

#[test]
fn fin_during_the_handshake_is_a_conn_eof_failure_and_an_error_after_is_ignored() {
    let _serial = serial();
    let mut h = Harness::client(Pki::Ec);
    h.conn.tcp_closed();
    h.dispatch();
    assert_eq!(h.heard, vec![Heard::Reconnect(code::SSL_CONN_EOF)]);
    assert_eq!(
        h.conn.user_send(&mut h.tcp, b"x"),
        ret::INPROGRESS,
        "an ended connection takes no data"
    );
}

#[test]
fn a_tcp_error_reports_the_lwip_code_unless_a_tls_failure_came_first() {
    let _serial = serial();
    let mut h = Harness::open();
    h.conn.tcp_error(ret::RST);
    h.dispatch();
    assert_eq!(h.heard, vec![Heard::TcpError(ret::RST)]);

    let mut h = Harness::open();
    // A record header no TLS peer sends: the connection fails.
    h.conn
        .tcp_received(&mut h.tcp, &[0x17, 0x03, 0x03, 0xff, 0xff]);
    h.conn.tcp_error(ret::ABRT);
    h.dispatch();
    assert_eq!(
        h.heard,
        vec![Heard::Reconnect(code::SSL_INVALID_RECORD)],
        "the failure that started the close is what the user hears"
    );
}

#[test]
fn hold_keeps_records_in_the_engine_and_unhold_delivers_them_all_in_order() {
    let _serial = serial();
    let mut h = Harness::open();
    h.conn.user_hold(&mut h.tcp, true);
    assert!(h.tcp.held, "TCP input is held at the SDK");
    let data = pattern(5000);
    h.peer_writes(&data, 1200);
    h.run();
    assert!(h.heard.is_empty(), "nothing delivered while held");
    h.conn.user_hold(&mut h.tcp, false);
    // ffi's unhold timer: delivery resumes from an SDK callback.
    h.conn.resume(&mut h.tcp);
    h.dispatch();
    h.run();
    assert_eq!(h.plain, data, "every byte, in order, nothing twice");
    assert_eq!(
        h.heard,
        vec![Heard::Recv(1200); 4]
            .into_iter()
            .chain([Heard::Recv(200)])
            .collect::<Vec<_>>(),
        "one callback per record"
    );
    assert!(!h.tcp.held);
}

#[test]
fn hold_from_inside_the_recv_callback_stops_delivery_before_the_next_record() {
    let _serial = serial();
    let mut h = Harness::open();
    h.hook = |conn, tcp, heard| {
        if matches!(heard, Heard::Recv(_)) {
            conn.user_hold(tcp, true);
        }
    };
    let data = pattern(3000);
    h.peer_writes(&data, 1000);
    h.run();
    assert_eq!(h.heard, vec![Heard::Recv(1000)]);
    h.hook = nothing;
    h.conn.user_hold(&mut h.tcp, false);
    h.conn.resume(&mut h.tcp);
    h.dispatch();
    h.run();
    assert_eq!(h.plain, data);
    assert_eq!(h.heard.len(), 3);
}

#[test]
fn close_notify_is_answered_only_after_the_data_before_it_was_read() {
    let _serial = serial();
    let mut h = Harness::open();
    h.conn.user_hold(&mut h.tcp, true);
    let data = pattern(2500);
    h.peer_writes(&data, 2500);
    h.peer.close().expect("peer close");
    // Both records arrive while held: the hold applies to what is read
    // from TCP next; these are already in.
    h.tcp.held = false;
    h.run();
    assert!(h.heard.is_empty());
    assert_eq!(h.tcp.disconnects, 0, "TCP stays up while data waits");
    h.conn.user_hold(&mut h.tcp, false);
    h.conn.resume(&mut h.tcp);
    h.dispatch();
    h.run();
    assert_eq!(h.plain, data);
    assert_eq!(
        h.heard,
        vec![Heard::Recv(1460), Heard::Recv(1040), Heard::Disconnect]
    );
    assert!(h.peer_saw_close, "our close_notify answered the peer's");
}

#[test]
fn close_notify_during_a_send_closes_tcp_only_after_the_send_in_flight() {
    let _serial = serial();
    let mut h = Harness::open();
    let data = pattern(6000);
    assert_eq!(h.conn.user_send(&mut h.tcp, &data), ret::OK);
    assert!(h.tcp.in_flight);
    // The peer's close_notify arrives while our first espconn_send is out.
    h.peer.close().expect("peer close");
    let out = h.peer.output().to_vec();
    h.peer.consume_output(out.len());
    h.conn.tcp_received(&mut h.tcp, &out);
    h.dispatch();
    assert_eq!(h.tcp.disconnects, 0, "not while a send is in flight");
    h.run();
    assert_eq!(h.tcp.disconnects, 1);
    assert_eq!(h.heard.last(), Some(&Heard::Disconnect));
    assert_eq!(h.tcp.overlapping_sends, 0);
}

#[test]
fn the_handshake_timeout_closes_tcp_at_once_even_with_a_send_in_flight() {
    let _serial = serial();
    let mut h = Harness::client(Pki::Ec);
    assert!(h.tcp.in_flight, "the ClientHello is out, unacknowledged");
    h.conn.handshake_timed_out(&mut h.tcp, 15);
    assert_eq!(h.tcp.disconnects, 1);
    h.conn.handshake_timed_out(&mut h.tcp, 15);
    assert_eq!(h.tcp.disconnects, 1, "once");
    h.conn.tcp_closed();
    h.dispatch();
    assert_eq!(h.heard, vec![Heard::Reconnect(code::SSL_TIMEOUT)]);
}

#[test]
fn the_handshake_timeout_does_nothing_once_the_connection_is_open() {
    let _serial = serial();
    let mut h = Harness::open();
    h.conn.handshake_timed_out(&mut h.tcp, 15);
    h.run();
    assert!(h.heard.is_empty());
    assert_eq!(h.tcp.disconnects, 0);
}

#[test]
fn a_refused_espconn_send_fails_the_connection_and_closes_tcp() {
    let _serial = serial();
    let mut h = Harness::open();
    h.tcp.refuse = Some(ret::MEM);
    assert_eq!(h.conn.user_send(&mut h.tcp, b"lost"), ret::OK);
    h.run();
    assert_eq!(h.heard, vec![Heard::Reconnect(code::NET_SEND_FAILED)]);
    assert_eq!(h.tcp.disconnects, 1);
}

#[test]
fn a_disconnect_before_tcp_is_up_closes_tcp_without_tls() {
    let _serial = serial();
    let mut conn = Conn::new(Role::Client).expect("connection");
    let mut tcp = FakeTcp::default();
    assert_eq!(conn.user_disconnect(&mut tcp), ret::OK);
    assert_eq!(tcp.disconnects, 1);
    assert!(tcp.to_peer.is_empty(), "no alert without an engine");
    conn.tcp_connected(&mut tcp, client_start());
    assert!(tcp.to_peer.is_empty(), "no handshake once closing");
    conn.tcp_closed();
    assert!(matches!(conn.take_ending(), Some(Ending::Disconnected)));
    assert!(conn.take_ending().is_none(), "the ending is taken once");
}

#[test]
fn ciphertext_beyond_what_the_engine_takes_waits_in_order_with_tcp_held() {
    let _serial = serial();
    let mut h = Harness::open();
    // More records at once than the engine's receive buffer holds (one
    // record plus room to join handshake messages): the rest waits as
    // ciphertext.
    let data = pattern(30_000);
    h.peer_writes(&data, 1000);
    let out = h.peer.output().to_vec();
    h.peer.consume_output(out.len());
    h.conn.tcp_received(&mut h.tcp, &out);
    assert!(h.tcp.held, "TCP input held while a backlog waits");
    h.dispatch();
    h.run();
    assert_eq!(h.plain, data);
    assert_eq!(h.heard.len(), 30);
    assert!(!h.tcp.held);
}

#[test]
fn the_connection_returns_every_heap_byte_when_it_ends() {
    let _serial = serial();
    let before = crate::platform::free_heap();
    {
        let mut h = Harness::open();
        h.peer_writes(&pattern(4000), 4000);
        h.run();
        assert_eq!(h.conn.user_disconnect(&mut h.tcp), ret::OK);
        h.run();
        assert_eq!(h.heard.last(), Some(&Heard::Disconnect));
        assert_eq!(
            h.conn.arena_bytes(),
            0,
            "the arena is released when the connection ends"
        );
    }
    assert_eq!(crate::platform::free_heap(), before);
}

impl Harness {
    /// A client whose handshake step is suspended before its second
    /// public-key operation in one SDK callback (`platform::slice`): the
    /// ClientHello went to the peer and the peer's first flight came back
    /// in one TCP segment.
    fn suspended() -> Harness {
        let mut h = Harness::client(Pki::Ec);
        assert!(h.peer_round(), "the ClientHello reaches the peer");
        let flight = h.peer.output().to_vec();
        h.peer.consume_output(flight.len());
        crate::platform::slice::callback_begins();
        h.conn.tcp_received(&mut h.tcp, &flight);
        h.dispatch();
        assert!(
            h.conn.step_pending(),
            "the flight holds more than one public-key operation"
        );
        h
    }
}

#[test]
fn the_handshake_runs_one_public_key_operation_per_sdk_callback_and_completes() {
    let _serial = serial();
    let mut h = Harness::client(Pki::Ec);
    h.run();
    assert_eq!(h.heard, vec![Heard::Connect]);
    // The key share went out with the ClientHello; then the key exchange,
    // the chain's two signatures and the handshake signature each wait for
    // a callback of their own.
    assert!(
        h.steps_continued >= 3,
        "only {} suspended steps were carried on",
        h.steps_continued
    );
    assert_eq!(h.conn.user_send(&mut h.tcp, b"after"), ret::OK);
    h.run();
    assert_eq!(h.peer_plain, b"after");
}

/// `bytes` cut into its TLS records.
#[cfg(feature = "tls13")]
fn records(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let n = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        let (record, rest) = bytes.split_at(n.min(bytes.len()));
        out.push(record);
        bytes = rest;
    }
    out
}

/// TLS 1.3 only: its ServerHello comes in a record of its own, ahead of the
/// encrypted rest of the flight (TLS 1.2's flight is one record, all of it
/// needed before the first operation). The backlog's handling is the same.
#[cfg(feature = "tls13")]
#[test]
fn input_arriving_while_a_step_is_suspended_waits_in_order_with_tcp_held() {
    let _serial = serial();
    let mut h = Harness::client(Pki::Ec);
    assert!(h.peer_round(), "the ClientHello reaches the peer");
    let flight = h.peer.output().to_vec();
    h.peer.consume_output(flight.len());
    let records = records(&flight);
    assert!(records.len() >= 2, "ServerHello, then the encrypted flight");
    // The ServerHello arrives in the callback whose key generation (the
    // ClientHello's key share) already ran: its ECDH waits, suspended.
    h.conn.tcp_received(&mut h.tcp, records[0]);
    h.dispatch();
    assert!(
        h.conn.step_pending(),
        "the ECDH waits for a callback of its own"
    );
    // The rest of the flight arrives meanwhile: the engine, which the step
    // has, takes nothing now.
    crate::platform::slice::callback_begins();
    h.conn.tcp_received(&mut h.tcp, &records[1..].concat());
    h.dispatch();
    assert!(h.tcp.held, "TCP input is held while the backlog waits");
    assert!(h.heard.is_empty(), "{:?}", h.heard);
    h.run();
    assert_eq!(h.heard, vec![Heard::Connect]);
    assert!(!h.tcp.held, "TCP flows again once the backlog was taken");
    h.peer_writes(b"after", 1000);
    h.run();
    assert_eq!(h.plain, b"after");
}

#[test]
fn a_disconnect_while_a_step_is_suspended_abandons_it_and_ends_once() {
    let _serial = serial();
    {
        let mut h = Harness::suspended();
        assert_eq!(h.conn.user_disconnect(&mut h.tcp), ret::OK);
        assert!(!h.conn.step_pending(), "the suspended step is abandoned");
        assert_eq!(h.conn.arena_bytes(), 0, "and its arena released");
        h.run();
        assert_eq!(h.heard, vec![Heard::Disconnect]);
        assert_eq!(h.tcp.disconnects, 1);
        assert_eq!(
            h.conn.user_disconnect(&mut h.tcp),
            ret::INPROGRESS,
            "an ended connection does not close twice"
        );
    }
}

#[test]
fn the_handshake_timeout_or_a_fin_while_a_step_is_suspended_fails_the_connection() {
    let _serial = serial();
    let mut h = Harness::suspended();
    h.conn.handshake_timed_out(&mut h.tcp, 15);
    assert!(!h.conn.step_pending());
    h.run();
    assert_eq!(h.heard, vec![Heard::Reconnect(code::SSL_TIMEOUT)]);

    let mut h = Harness::suspended();
    h.conn.tcp_closed();
    h.dispatch();
    assert_eq!(h.heard, vec![Heard::Reconnect(code::SSL_CONN_EOF)]);
    assert!(
        !h.conn.step_pending(),
        "the engine went with the connection"
    );
}

#[test]
fn while_one_handshake_step_is_suspended_another_connections_steps_wait_for_it() {
    let _serial = serial();
    // One stack block at a time, as before steps could be suspended: a
    // second handshake neither builds its engine nor processes input while
    // the first one's step holds its block.
    let mut a = Harness::suspended();
    let mut b = Harness::client(Pki::Ec);
    assert!(b.conn.state.step_deferred(), "b's build waits for a's step");
    assert!(b.conn.state.engine().is_none());
    assert!(b.tcp.to_peer.is_empty(), "no ClientHello yet");
    // b's timer fires while a is still suspended: b keeps waiting.
    crate::platform::slice::callback_begins();
    b.conn.continue_step(&mut b.tcp);
    assert!(b.conn.state.step_deferred());
    assert_eq!(crate::platform::slice::steps_suspended(), 1);
    // a's timer carries a on; b's carries b on once a's step is done.
    for _ in 0..100 {
        a.run();
        b.run();
        assert!(crate::platform::slice::steps_suspended() <= 1);
        if a.heard == [Heard::Connect] && b.heard == [Heard::Connect] {
            break;
        }
    }
    assert_eq!(a.heard, vec![Heard::Connect]);
    assert_eq!(b.heard, vec![Heard::Connect]);
    assert!(b.steps_continued > 0);
}

/// Our server, with the EC test chain.
fn server_engine(_: usize, _: ([u8; 4], u16)) -> Result<Engine, Failure> {
    Ok(TlsServer::new(server_params(Pki::Ec))?.into_session())
}

#[test]
fn a_client_hello_arriving_before_a_deferred_build_waits_for_the_engine() {
    let _serial = serial();
    let mut a = Harness::suspended();
    // A server connection comes up while a's step is suspended: its build
    // waits, and the ClientHello that arrives meanwhile with it.
    let mut server = Conn::new(Role::Server).expect("connection");
    let mut tcp = FakeTcp::default();
    crate::platform::slice::callback_begins();
    server.tcp_connected(
        &mut tcp,
        Start {
            build: server_engine,
            key: 0,
            peer: ([127, 0, 0, 1], 50000),
        },
    );
    assert!(server.state.step_deferred());
    let mut client = TlsClient::new(client_params(Pki::Ec)).expect("client");
    let hello = client.output().to_vec();
    client.consume_output(hello.len());
    crate::platform::slice::callback_begins();
    server.tcp_received(&mut tcp, &hello);
    assert!(tcp.held, "TCP input is held while the ClientHello waits");
    a.run();
    assert_eq!(a.heard, vec![Heard::Connect]);
    // The server's timer: the engine is built, takes the ClientHello, and
    // the handshake runs, one public-key operation per callback.
    let mut connected = false;
    for _ in 0..100 {
        crate::platform::slice::callback_begins();
        if server.step_pending() {
            server.continue_step(&mut tcp);
        }
        if tcp.in_flight {
            tcp.in_flight = false;
            crate::platform::slice::callback_begins();
            server.tcp_sent(&mut tcp);
        }
        let to_client = core::mem::take(&mut tcp.to_peer);
        let mut rest = &to_client[..];
        while !rest.is_empty() {
            let n = client.receive(rest).expect("client receive");
            rest = &rest[n..];
            client.process().expect("client process");
        }
        let to_server = client.output().to_vec();
        client.consume_output(to_server.len());
        if !to_server.is_empty() {
            crate::platform::slice::callback_begins();
            server.tcp_received(&mut tcp, &to_server);
        }
        while let Some(ev) = server.next_event() {
            connected |= matches!(ev, UserEvent::Connected);
        }
        if connected && !client.is_handshaking() {
            break;
        }
    }
    assert!(connected, "the server's handshake completed");
    assert!(!client.is_handshaking(), "and the client's");
}
