//! One state machine per TLS connection, between the SDK's plain TCP
//! callbacks and the user's callbacks. It owns the engine (inside the
//! connection's arena), the send pacing, back-pressure, and the order of user
//! events. It is safe code: the SDK's TCP calls reach it through the [`Tcp`]
//! trait and the user's callbacks are run by `ffi` from the events it queues,
//! after every borrow of the connection has ended.

pub mod records;
pub mod settings;
pub mod setup;

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::{code, Failure};
use crate::fail;
use crate::platform::alloc::Confined;
use crate::platform::{StepError, StepStack};
use crate::tls::{Event, TlsClient, TlsServer};

/// Largest plaintext handed to one user recv callback (the vendor's `TCP_MSS`).
pub const RECV_CHUNK: usize = 1460;
/// Largest ciphertext handed to one `espconn_send` (lwIP's `TCP_SND_BUF`).
const TCP_SEND_CHUNK: usize = 2920;
/// Arena headroom for building the engine: configuration, provider and
/// connection state plus the ClientHello (measured ~1.6 KB on the chip).
const SETUP_ESTIMATE: usize = 4096;
/// Arena headroom for encrypting application data: record framing and tag per
/// record plus rustls's bookkeeping.
const WRITE_OVERHEAD: usize = 512;

/// The SDK's plain TCP calls on this connection's own (shadow) `espconn`.
pub trait Tcp {
    /// `espconn_send`: the SDK copies the bytes; a sent callback follows.
    fn send(&mut self, data: &[u8]) -> i8;
    /// `espconn_disconnect`: a disconnect callback follows.
    fn disconnect(&mut self);
    /// `espconn_recv_hold` / `espconn_recv_unhold`.
    fn hold(&mut self, hold: bool);
}

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// TCP connect requested; waiting for the SDK's connect callback.
    TcpConnecting,
    /// TLS handshake in progress.
    Handshaking,
    /// Application data flows.
    Open,
    /// close_notify queued or TCP close requested; waiting for TCP to close.
    Closing,
}

/// What the user hears, in order.
#[derive(Debug)]
pub enum UserEvent {
    /// Handshake done: the connect callback.
    Connected,
    /// Decrypted bytes are ready: `ffi` drains them with [`Conn::read`].
    Readable,
    /// All records of the last `espconn_secure_send` went to TCP.
    Sent,
}

/// How a connection ended; `ffi` turns it into the last user callback.
#[derive(Debug)]
pub enum Ending {
    /// Local disconnect, close_notify or FIN after the handshake.
    Disconnected,
    /// A TLS failure: the vendor-formula code goes to the reconnect callback.
    Failed(Failure),
    /// A TCP error with its lwIP code, passed through as the vendor does.
    TcpError(i8),
}

/// Which engine a connection builds when TCP is up.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// A client for the user's espconn registered under `key` (its host
    /// name and options), to `peer` (IPv4 address, port: part of the key
    /// its TLS sessions are cached under).
    Client { key: usize, peer: ([u8; 4], u16) },
    /// A server connection with the default certificate and key, its engine
    /// made by `build` (`espconn_secure_accept` passes [`server_engine`]).
    /// Only that function pointer reaches the rustls server: a firmware that
    /// never references `espconn_secure_accept` links none of it
    /// (`--gc-sections`; ~85 KB of flash, docs/SIZE.md).
    Server {
        build: fn() -> Result<Box<dyn ServerEngine>, Failure>,
    },
    /// Fuzzing only: the harness's fixed parameters for `Mode::of(byte)`
    /// (src/fuzzing.rs) instead of the settings and flash.
    #[cfg(feature = "fuzzing")]
    Fixture(Role, u8),
}

/// Either side's engine; both have the same bytes-in / bytes-out interface.
/// The server is behind a trait object so that the code below, which every
/// client links, names no server function (see [`Start::Server`]).
enum Engine {
    Client(TlsClient),
    Server(Box<dyn ServerEngine>),
}

/// The server engine's interface, as [`TlsServer`] implements it.
pub trait ServerEngine {
    fn receive(&mut self, data: &[u8]) -> Result<usize, Failure>;
    fn process(&mut self) -> Result<Event, Failure>;
    fn output(&self) -> &[u8];
    fn consume_output(&mut self, n: usize);
    fn read(&mut self, buf: &mut [u8]) -> usize;
    fn readable(&self) -> usize;
    fn write(&mut self, plain: &[u8]) -> Result<(), Failure>;
    fn close(&mut self) -> Result<(), Failure>;
    fn work_estimate(&self) -> usize;
    fn peer_eof(&self) -> Option<Failure>;
    fn is_handshaking(&self) -> bool;
    fn resumed(&self) -> bool;
}

impl ServerEngine for TlsServer {
    fn receive(&mut self, data: &[u8]) -> Result<usize, Failure> {
        TlsServer::receive(self, data)
    }
    fn process(&mut self) -> Result<Event, Failure> {
        TlsServer::process(self)
    }
    fn output(&self) -> &[u8] {
        TlsServer::output(self)
    }
    fn consume_output(&mut self, n: usize) {
        TlsServer::consume_output(self, n)
    }
    fn read(&mut self, buf: &mut [u8]) -> usize {
        TlsServer::read(self, buf)
    }
    fn readable(&self) -> usize {
        TlsServer::readable(self)
    }
    fn write(&mut self, plain: &[u8]) -> Result<(), Failure> {
        TlsServer::write(self, plain)
    }
    fn close(&mut self) -> Result<(), Failure> {
        TlsServer::close(self)
    }
    fn work_estimate(&self) -> usize {
        TlsServer::work_estimate(self)
    }
    fn peer_eof(&self) -> Option<Failure> {
        TlsServer::peer_eof(self)
    }
    fn is_handshaking(&self) -> bool {
        TlsServer::is_handshaking(self)
    }
    fn resumed(&self) -> bool {
        TlsServer::resumed(self)
    }
}

/// The engine of an accepted connection: the default certificate and key
/// (and client CA), in the connection's arena like the client's.
pub fn server_engine() -> Result<Box<dyn ServerEngine>, Failure> {
    let server = TlsServer::new(setup::server_params()?)?;
    Ok(Box::new(server))
}

macro_rules! both {
    ($e:expr, $x:ident => $body:expr) => {
        match $e {
            Engine::Client($x) => $body,
            Engine::Server($x) => $body,
        }
    };
}

impl Engine {
    /// Reads the configuration (certificates from flash included) and builds
    /// the engine: all of it inside the connection's arena, so that an
    /// allocation failing anywhere in it loses nothing.
    fn build(start: Start) -> Result<Engine, Failure> {
        crate::platform::with_watchdog_paused(|| match start {
            Start::Client { key, peer } => {
                TlsClient::new(setup::client_params(key, peer)?).map(Engine::Client)
            }
            Start::Server { build } => build().map(Engine::Server),
            #[cfg(feature = "fuzzing")]
            Start::Fixture(Role::Client, mode) => {
                TlsClient::new(crate::fuzzing::client_params_of(mode)).map(Engine::Client)
            }
            #[cfg(feature = "fuzzing")]
            Start::Fixture(Role::Server, mode) => {
                let server = TlsServer::new(crate::fuzzing::server_params_of(mode))?;
                Ok(Engine::Server(Box::new(server)))
            }
        })
    }
    fn receive(&mut self, data: &[u8]) -> Result<usize, Failure> {
        both!(self, e => e.receive(data))
    }
    fn process(&mut self) -> Result<Event, Failure> {
        both!(self, e => e.process())
    }
    fn output(&self) -> &[u8] {
        both!(self, e => e.output())
    }
    fn consume_output(&mut self, n: usize) {
        both!(self, e => e.consume_output(n))
    }
    /// A handshake step can be seconds of CPU on the chip.
    fn process_step(&mut self, _: ()) -> Result<Event, Failure> {
        crate::platform::with_watchdog_paused(|| self.process())
    }
    fn read(&mut self, buf: &mut [u8]) -> usize {
        both!(self, e => e.read(buf))
    }
    fn readable(&self) -> usize {
        both!(self, e => e.readable())
    }
    fn is_handshaking(&self) -> bool {
        both!(self, e => e.is_handshaking())
    }
    fn write(&mut self, plain: &[u8]) -> Result<(), Failure> {
        both!(self, e => e.write(plain))
    }
    fn close(&mut self, _: ()) -> Result<(), Failure> {
        both!(self, e => e.close())
    }
    fn work_estimate(&self) -> usize {
        both!(self, e => e.work_estimate())
    }
    fn peer_eof(&self) -> Option<Failure> {
        both!(self, e => e.peer_eof())
    }
}

/// Which end of the TLS connection we are (log lines differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

pub struct Conn {
    phase: Phase,
    role: Role,
    /// The engine, confined with everything it allocates to the connection's
    /// own arena and worked on in guarded steps only.
    engine: Confined<Engine>,
    /// Ciphertext the engine could not take yet (back-pressure), in order.
    backlog: Vec<u8>,
    holding: bool,
    /// The user called `espconn_secure_recv_hold`: no recv callbacks and no
    /// TCP input until they unhold.
    user_hold: bool,
    /// One `espconn_send` may be outstanding at a time.
    tcp_busy: bool,
    /// A user send is in progress until all its records reached TCP.
    user_sending: bool,
    events: Vec<UserEvent>,
    ending: Option<Ending>,
    /// `espconn_disconnect` was called; only its callback is awaited.
    tcp_closing: bool,
    /// The peer sent close_notify: answer it and close TCP once the data
    /// before it was read.
    answer_close: bool,
    /// The user called disconnect: no more data is delivered.
    user_closed: bool,
    /// Why the connection is going down, recorded when the close is started
    /// (the ending is reported once TCP confirms the close).
    pending_ending: Option<Ending>,
}

impl Conn {
    /// A connection waiting for TCP. Fails only when the heap cannot hold the
    /// bookkeeping.
    pub fn new(role: Role) -> Result<Conn, Failure> {
        let engine = Confined::new().map_err(|e| oom("connection arena", e.requested, e.free))?;
        let mut events = Vec::new();
        events.try_reserve_exact(4).map_err(|_| {
            oom(
                "connection events",
                4 * size_of::<UserEvent>(),
                crate::platform::free_heap(),
            )
        })?;
        Ok(Conn {
            phase: Phase::TcpConnecting,
            role,
            engine,
            backlog: Vec::new(),
            holding: false,
            user_hold: false,
            tcp_busy: false,
            user_sending: false,
            events,
            ending: None,
            tcp_closing: false,
            answer_close: false,
            user_closed: false,
            pending_ending: None,
        })
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Bytes this connection holds from the SDK heap for its engine.
    pub fn arena_bytes(&self) -> usize {
        self.engine.held_bytes()
    }

    /// TCP is up: build the engine (configuration, certificates, the
    /// ClientHello's key share) and start the handshake.
    pub fn tcp_connected(&mut self, tcp: &mut dyn Tcp, start: Start) {
        if self.phase != Phase::TcpConnecting {
            return;
        }
        crate::log!("{} handshake start.", self.role.name());
        self.phase = Phase::Handshaking;
        let result = self
            .engine
            .ensure_free(SETUP_ESTIMATE)
            .map_err(|e| oom("handshake setup", e.requested, e.free))
            .and_then(|()| {
                self.engine
                    .init(StepStack::Handshake, start, Engine::build)
                    .map_err(|e| step_failure("handshake setup", e))?
            });
        match result {
            Ok(()) => self.pump(tcp),
            Err(f) => self.fail(tcp, f),
        }
    }

    /// Ciphertext arrived from TCP.
    pub fn tcp_received(&mut self, tcp: &mut dyn Tcp, data: &[u8]) {
        if self.engine.get().is_none() || self.phase == Phase::TcpConnecting {
            return;
        }
        if !self.backlog.is_empty() {
            if self.backlog.try_reserve(data.len()).is_err() {
                let f = oom("receive backlog", data.len(), crate::platform::free_heap());
                return self.fail(tcp, f);
            }
            self.backlog.extend_from_slice(data);
        } else {
            let taken = match self.feed(data) {
                Ok(n) => n,
                Err(f) => return self.fail(tcp, f),
            };
            if taken < data.len() {
                let rest = &data[taken..];
                if self.backlog.try_reserve_exact(rest.len()).is_err() {
                    let f = oom("receive backlog", rest.len(), crate::platform::free_heap());
                    return self.fail(tcp, f);
                }
                self.backlog.extend_from_slice(rest);
            }
        }
        self.pump(tcp);
    }

    /// The last `espconn_send` was handed to TCP.
    pub fn tcp_sent(&mut self, tcp: &mut dyn Tcp) {
        self.tcp_busy = false;
        self.pump(tcp);
    }

    /// TCP closed (FIN, or our own disconnect completed).
    pub fn tcp_closed(&mut self) {
        let ending = match self.pending_ending.take() {
            Some(e) => e,
            // The engine knows whether the close cut a handshake short and
            // how far it got; before the engine exists, TLS never started.
            None => match self
                .engine
                .get()
                .map_or_else(|| self.eof_before_tls(), Engine::peer_eof)
            {
                Some(f) => {
                    report(self.role, &f, true);
                    Ending::Failed(f)
                }
                None => Ending::Disconnected,
            },
        };
        self.finish(ending);
    }

    /// A TCP close before the engine existed: a failure unless the
    /// connection was already open.
    fn eof_before_tls(&self) -> Option<Failure> {
        (self.phase != Phase::Open).then(|| {
            fail!(
                code::SSL_CONN_EOF,
                "{} closed the connection before the TLS handshake started",
                match self.role {
                    Role::Client => "server",
                    Role::Server => "client",
                }
            )
        })
    }

    /// The handshake timer (armed by `ffi` when TCP came up) fired after
    /// `seconds`: a handshake still in progress fails with -0x6800 and TCP
    /// is closed at once, without an alert and without waiting for a send
    /// still in flight (a stalled peer may never take it); the reconnect
    /// callback follows when TCP is down. Nothing happens once the
    /// handshake is complete or the connection is closing.
    pub fn handshake_timed_out(&mut self, tcp: &mut dyn Tcp, seconds: u16) {
        if self.phase != Phase::Handshaking || self.pending_ending.is_some() {
            return;
        }
        let f = fail!(
            code::SSL_TIMEOUT,
            "handshake not complete after {} s (espconn_secure_set_handshake_timeout): the peer stalled or is too slow",
            seconds
        );
        report(self.role, &f, true);
        self.pending_ending = Some(Ending::Failed(f));
        self.phase = Phase::Closing;
        self.tcp_closing = true;
        tcp.disconnect();
    }

    /// TCP failed with an lwIP code (-8 abort, -9 reset, -11 refused, -3 timeout).
    pub fn tcp_error(&mut self, err: i8) {
        let ending = match self.pending_ending.take() {
            Some(Ending::Failed(f)) => Ending::Failed(f),
            _ => Ending::TcpError(err),
        };
        self.finish(ending);
    }

    /// `espconn_secure_send`: encrypt now (the caller's buffer is free on return).
    /// Returns the vendor's code: -5 while a send is in flight or before the
    /// handshake, -1 when the heap cannot hold the records.
    pub fn user_send(&mut self, tcp: &mut dyn Tcp, data: &[u8]) -> i8 {
        if self.phase != Phase::Open || self.user_sending {
            return crate::platform::sdk::ret::INPROGRESS;
        }
        if self.engine.get().is_none() {
            return crate::platform::sdk::ret::INPROGRESS;
        }
        let records = data.len().div_ceil(RECV_CHUNK).max(1);
        let need = data.len() + records * 32 + WRITE_OVERHEAD;
        if self.engine.ensure_free(need).is_err() {
            return crate::platform::sdk::ret::MEM;
        }
        match self.engine.step(StepStack::Caller, data, Engine::write) {
            Ok(Some(Ok(()))) => {}
            Ok(None) => return crate::platform::sdk::ret::INPROGRESS,
            Ok(Some(Err(f))) => {
                self.fail(tcp, f);
                return crate::platform::sdk::ret::OK;
            }
            Err(e) => {
                // The connection is lost; the records were never queued.
                self.fail(tcp, step_failure("encrypting", e));
                return crate::platform::sdk::ret::MEM;
            }
        }
        self.user_sending = true;
        self.pump(tcp);
        crate::platform::sdk::ret::OK
    }

    /// `espconn_secure_disconnect`: send close_notify, then close TCP.
    /// -5 when already closing.
    pub fn user_disconnect(&mut self, tcp: &mut dyn Tcp) -> i8 {
        if self.phase == Phase::Closing {
            return crate::platform::sdk::ret::INPROGRESS;
        }
        self.pending_ending = Some(Ending::Disconnected);
        self.user_closed = true;
        self.start_close(tcp, true);
        crate::platform::sdk::ret::OK
    }

    /// The glue could not get `bytes` of heap for `what`: the connection
    /// fails with -0x7F00 (what was not delivered is lost with it, reported).
    pub fn out_of_memory(&mut self, tcp: &mut dyn Tcp, what: &str, bytes: usize) {
        let f = oom(what, bytes, crate::platform::free_heap());
        self.fail(tcp, f);
    }

    /// Whether decrypted data still goes to the user (not after they
    /// disconnected, nor after a failure).
    pub fn delivering(&self) -> bool {
        !self.user_closed && !matches!(self.pending_ending, Some(Ending::Failed(_)))
    }

    /// `espconn_secure_recv_hold` / `_unhold`: while held, decrypted data
    /// stays in the engine and TCP input is held at the SDK, so the peer
    /// meets TCP flow control. After an unhold, `ffi` resumes delivery from
    /// an SDK timer callback (never inside the API call).
    pub fn user_hold(&mut self, tcp: &mut dyn Tcp, hold: bool) {
        self.user_hold = hold;
        self.sync_hold(tcp);
    }

    pub fn user_held(&self) -> bool {
        self.user_hold
    }

    fn sync_hold(&mut self, tcp: &mut dyn Tcp) {
        // Held TCP stays held until what waited was read: between an unhold
        // and the timer that delivers, a FIN taken in would end the
        // connection before its last bytes reached the user.
        let want_hold =
            self.user_hold || !self.backlog.is_empty() || (self.holding && self.readable() > 0);
        if want_hold != self.holding && self.ending.is_none() {
            self.holding = want_hold;
            tcp.hold(want_hold);
        }
    }

    /// Next event for the user, in order.
    pub fn next_event(&mut self) -> Option<UserEvent> {
        (!self.events.is_empty()).then(|| self.events.remove(0))
    }

    /// The connection is over: take how it ended (the last user callback).
    pub fn take_ending(&mut self) -> Option<Ending> {
        self.ending.take()
    }

    /// Decrypted bytes, in order, from one record at most; 0 when none are
    /// buffered. (Reading only copies out of the engine's buffer; the step
    /// guard is there anyway.)
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        self.engine
            .step(StepStack::Caller, buf, Engine::read)
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// The ALPN protocol the server selected (client connections, once open).
    pub fn alpn(&self) -> Option<&[u8]> {
        match self.engine.get()? {
            Engine::Client(c) => c.alpn(),
            Engine::Server(_) => None,
        }
    }

    /// Whether this connection's handshake resumed a cached session.
    pub fn resumed(&self) -> bool {
        self.engine
            .get()
            .is_some_and(|e| both!(e, x => x.resumed()))
    }

    /// Decrypted bytes waiting for the user.
    pub fn readable(&self) -> usize {
        self.engine.get().map_or(0, |e| e.readable())
    }

    /// After the user drained what was readable: continue with buffered input.
    pub fn resume(&mut self, tcp: &mut dyn Tcp) {
        self.pump(tcp);
    }

    fn feed(&mut self, data: &[u8]) -> Result<usize, Failure> {
        match self.engine.step(StepStack::Caller, data, Engine::receive) {
            Ok(Some(r)) => r,
            Ok(None) => Ok(data.len()),
            Err(e) => Err(step_failure("receiving", e)),
        }
    }

    /// Run the engine as far as it goes, then hand its output to TCP.
    fn pump(&mut self, tcp: &mut dyn Tcp) {
        if self.ending.is_some() {
            return;
        }
        if matches!(self.pending_ending, Some(Ending::Failed(_))) {
            // A failed engine only has its alert left to send; then TCP closes.
            return self.flush(tcp);
        }
        // Ciphertext left over from earlier back-pressure goes first.
        if !self.backlog.is_empty() {
            let backlog = core::mem::take(&mut self.backlog);
            let taken = match self.feed(&backlog) {
                Ok(n) => n,
                Err(f) => return self.fail(tcp, f),
            };
            self.backlog = backlog;
            self.backlog.drain(..taken);
        }
        if let Err(f) = self.process() {
            return self.fail(tcp, f);
        }
        // The records before the close_notify are the user's first: closing
        // now would end the connection with them undelivered (a recv hold
        // keeps them waiting). The last read's resume gets here again.
        if self.answer_close && self.readable() == 0 {
            self.answer_close = false;
            self.start_close(tcp, true);
        }
        self.flush(tcp);
        self.sync_hold(tcp);
    }

    fn process(&mut self) -> Result<(), Failure> {
        loop {
            let Some(engine) = self.engine.get() else {
                return Ok(());
            };
            let estimate = engine.work_estimate();
            self.engine
                .ensure_free(estimate)
                .map_err(|e| oom("TLS processing", e.requested, e.free))?;
            // Once the handshake is complete rustls only runs its traffic
            // state, whose deepest path needs about half the handshake's
            // stack; every received record pays this block
            // (platform::TRAFFIC_STACK).
            let stack = if engine.is_handshaking() {
                StepStack::Handshake
            } else {
                StepStack::Traffic
            };
            let event = match self.engine.step(stack, (), Engine::process_step) {
                Ok(Some(event)) => event?,
                Ok(None) => return Ok(()),
                Err(e) => return Err(step_failure("TLS processing", e)),
            };
            match event {
                Event::None => break,
                Event::HandshakeComplete => {
                    self.phase = Phase::Open;
                    crate::log!("{} handshake ok!", self.role.name());
                    if self.resumed() {
                        crate::log!("espconn_secure: session resumed (abbreviated handshake)");
                    }
                    self.push(UserEvent::Connected)?;
                }
                Event::PeerClosed => {
                    // close_notify: answer it, then close TCP; the user hears
                    // a disconnect, as from the vendor.
                    if self.phase == Phase::Handshaking {
                        return Err(fail!(
                            code::SSL_CONN_EOF,
                            "peer sent close_notify during the handshake"
                        ));
                    }
                    if self.pending_ending.is_none() {
                        self.pending_ending = Some(Ending::Disconnected);
                    }
                    self.answer_close = true;
                    break;
                }
            }
        }
        let readable = self.engine.get().is_some_and(|e| e.readable() > 0);
        if readable && !matches!(self.events.last(), Some(UserEvent::Readable)) {
            self.push(UserEvent::Readable)?;
        }
        Ok(())
    }

    fn push(&mut self, ev: UserEvent) -> Result<(), Failure> {
        self.events.try_reserve(1).map_err(|_| {
            oom(
                "event queue",
                size_of::<UserEvent>(),
                crate::platform::free_heap(),
            )
        })?;
        self.events.push(ev);
        Ok(())
    }

    /// Hand pending ciphertext to TCP, one `espconn_send` at a time; close TCP
    /// once everything of a closing connection went out.
    fn flush(&mut self, tcp: &mut dyn Tcp) {
        if self.tcp_busy || self.tcp_closing {
            return;
        }
        if let Some(engine) = self.engine.get() {
            let out = engine.output();
            if !out.is_empty() {
                let n = out.len().min(TCP_SEND_CHUNK);
                let r = tcp.send(&out[..n]);
                if r == 0 {
                    self.tcp_busy = true;
                    if let Err(e) = self
                        .engine
                        .step(StepStack::Caller, n, Engine::consume_output)
                    {
                        // The bytes are with TCP; the engine that queued the
                        // rest is gone.
                        let f = step_failure("sending", e);
                        if self.pending_ending.is_none() {
                            report(self.role, &f, self.phase != Phase::Open);
                            self.pending_ending = Some(Ending::Failed(f));
                        }
                        self.phase = Phase::Closing;
                    }
                    return;
                }
                let f = fail!(
                    code::NET_SEND_FAILED,
                    "espconn_send refused {} bytes (err {})",
                    n,
                    r
                );
                if self.pending_ending.is_none() {
                    report(self.role, &f, self.phase != Phase::Open);
                    self.pending_ending = Some(Ending::Failed(f));
                }
                self.phase = Phase::Closing;
                // What could not be sent is dropped with the connection.
            }
        }
        if self.user_sending && self.phase == Phase::Open {
            self.user_sending = false;
            if let Err(f) = self.push(UserEvent::Sent) {
                return self.fail(tcp, f);
            }
        }
        if self.phase == Phase::Closing && self.pending_ending.is_some() {
            self.tcp_closing = true;
            tcp.disconnect();
        }
    }

    fn start_close(&mut self, tcp: &mut dyn Tcp, notify: bool) {
        let was = self.phase;
        self.phase = Phase::Closing;
        if notify && matches!(was, Phase::Open | Phase::Handshaking) {
            // Best effort: without room (or engine) TCP closes without the
            // alert, which the peer sees as a truncation, not as data.
            if self.engine.ensure_free(WRITE_OVERHEAD).is_ok() {
                let _ = self.engine.step(StepStack::Caller, (), Engine::close);
            }
        }
        self.flush(tcp);
    }

    /// A TLS failure: print the vendor's lines plus the reason, send what the
    /// engine queued (an alert), then close TCP; the reconnect callback follows
    /// once TCP is down.
    fn fail(&mut self, tcp: &mut dyn Tcp, f: Failure) {
        if self.phase == Phase::Closing && self.pending_ending.is_some() {
            return;
        }
        report(self.role, &f, self.phase != Phase::Open);
        self.pending_ending = Some(Ending::Failed(f));
        self.start_close(tcp, false);
    }

    fn finish(&mut self, ending: Ending) {
        if self.ending.is_some() {
            return;
        }
        // The engine goes before anything else so its arena can be returned whole.
        self.engine.clear();
        self.backlog = Vec::new();
        self.events.clear();
        self.ending = Some(ending);
    }
}

/// The vendor's two lines, then ours (never secrets: codes, sizes, names).
fn report(role: Role, f: &Failure, handshake: bool) {
    if handshake {
        crate::log!("{} handshake failed!", role.name());
    } else {
        crate::log!("{}'s data invalid protocol", role.name());
    }
    crate::log!("Reason:[-0x{:x}]", f.code.unsigned_abs());
    crate::log!("espconn_secure: {}", f.reason);
}

/// The failure of a step that did not complete (the engine is gone if it
/// was abandoned).
fn step_failure(what: &str, e: StepError) -> Failure {
    match e {
        StepError::NoStack(e) => oom("the engine stack", e.requested, e.free),
        StepError::OutOfMemory { requested } => fail!(
            code::SSL_ALLOC_FAILED,
            "out of memory in {}: an allocation of {} bytes failed ({} free in the heap); the connection's memory was released",
            what,
            requested,
            crate::platform::free_heap()
        ),
        StepError::Panic => fail!(
            code::SSL_INTERNAL_ERROR,
            "internal error in {} (see the log line before); the connection's memory was released",
            what
        ),
    }
}

fn oom(what: &str, requested: usize, free: u32) -> Failure {
    fail!(
        code::SSL_ALLOC_FAILED,
        "out of memory for {}: needed {} bytes, {} free in the heap",
        what,
        requested,
        free
    )
}
