//! One state machine per TLS connection, between the SDK's plain TCP
//! callbacks and the user's callbacks. It owns the engine (inside the
//! connection's arena), the send pacing, back-pressure, and the order of user
//! events. It is safe code: the SDK's TCP calls reach it through the [`Tcp`]
//! trait and the user's callbacks are run by `ffi` from the events it queues,
//! after every borrow of the connection has ended.
//!
//! A connection's state is one [`State`]: each variant owns what its phase
//! has (the engine and TCP bookkeeping from TCP up; the send in flight while
//! open; the reason while closing; the ending once TCP is down), and every
//! change of variant goes through [`Conn::transition`]. The engine is a
//! [`Session`] built by the [`Start`] the caller passes in: this module names
//! neither side's engine nor any test fixture.

pub mod records;
pub mod settings;
pub mod setup;
#[cfg(test)]
mod tests;

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::{code, Failure};
use crate::fail;
use crate::platform::alloc::{Confined, Stepped};
use crate::platform::{StepError, StepStack};
use crate::tls::{Event, Session};

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

/// What the user hears, in order.
#[derive(Debug)]
pub enum UserEvent {
    /// Handshake done: the connect callback.
    Connected,
    /// Decrypted bytes are ready: `ffi` lends them to the user with
    /// [`Conn::lend`].
    Readable,
    /// All records of the last `espconn_secure_send` went to TCP.
    Sent,
}

/// How a connection ended; `ffi` turns it into the last user callback.
#[derive(Debug)]
pub enum Ending {
    /// Local disconnect, close_notify or FIN after the handshake.
    Disconnected,
    /// A TLS failure with its mbedTLS code (the vendor-formula code goes to
    /// the reconnect callback). Its reason was logged when it happened; the
    /// code alone is kept, so a connection's state stays small (a reason is
    /// about 200 bytes).
    Failed(i32),
    /// A TCP error with its lwIP code, passed through as the vendor does.
    TcpError(i8),
}

/// Decrypted bytes lent where they lie in the engine's receive buffer
/// ([`Conn::lend`]): `len` bytes at `ptr`, valid until [`Conn::give_back`].
#[derive(Debug, Clone, Copy)]
pub struct Lent {
    pub ptr: *mut u8,
    pub len: usize,
}

/// A connection's engine: either side, behind the one interface of `tls`.
pub type Engine = Box<dyn Session>;

/// A function that builds an engine (see [`Start`]).
pub type Build = fn(usize, ([u8; 4], u16)) -> Result<Engine, Failure>;

/// How a connection builds its engine once TCP is up: a function chosen by
/// the caller and its arguments. A client passes `setup::client_engine`,
/// `espconn_secure_accept` `setup::server_engine` (only that reference
/// reaches the rustls server: a firmware that never accepts links none of
/// it, `--gc-sections`, docs/SIZE.md), the fuzzing harness its fixtures.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    /// Builds the engine (configuration, certificates from flash, the
    /// ClientHello), inside the connection's arena.
    pub build: Build,
    /// The user's espconn whose settings apply (its record's key), or
    /// whatever else `build` needs to find its parameters.
    pub key: usize,
    /// The peer's IPv4 address and port (part of a client's session key).
    pub peer: ([u8; 4], u16),
}

/// Building the engine: a step function (captures nothing, see
/// [`Confined::init`]). A handshake step can be seconds of CPU on the chip.
fn build(start: Start) -> Result<Engine, Failure> {
    let mut engine =
        crate::platform::with_watchdog_paused(|| (start.build)(start.key, start.peer))?;
    // The steps after the chain's verification run on the smaller stack.
    engine.set_restep_after_verification(true);
    Ok(engine)
}

/// The step that advances the protocol; named so the chip's stack analysis
/// finds it (it runs on the handshake or traffic stack).
fn process_step(e: &mut Engine, _: ()) -> Result<Event, Failure> {
    crate::platform::with_watchdog_paused(|| e.process())
}

/// The same during the handshake, as a step that may be suspended before a
/// public-key operation (`platform::slice`: at most one per SDK callback).
fn handshake_step(e: &mut (dyn Session + 'static)) -> Result<Event, Failure> {
    crate::platform::with_watchdog_paused(|| e.process())
}

/// The same once the peer's chain is verified, on the smaller stack
/// (`platform::VERIFIED_STACK`); named so the stack analysis finds it.
fn verified_step(e: &mut (dyn Session + 'static)) -> Result<Event, Failure> {
    crate::platform::with_watchdog_paused(|| e.process())
}

fn receive(e: &mut Engine, data: &[u8]) -> Result<usize, Failure> {
    e.receive(data)
}

fn write(e: &mut Engine, plain: &[u8]) -> Result<(), Failure> {
    e.write(plain)
}

fn read(e: &mut Engine, buf: &mut [u8]) -> usize {
    e.read(buf)
}

fn unread(e: &mut Engine, max: usize) -> Lent {
    let bytes = e.unread();
    Lent {
        ptr: bytes.as_mut_ptr(),
        len: bytes.len().min(max),
    }
}

fn consume_read(e: &mut Engine, n: usize) {
    e.consume_read(n)
}

fn consume_output(e: &mut Engine, n: usize) {
    e.consume_output(n)
}

fn close(e: &mut Engine, _: ()) -> Result<(), Failure> {
    e.close()
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

    fn peer(self) -> &'static str {
        match self {
            Role::Client => "server",
            Role::Server => "client",
        }
    }
}

/// What a connection holds from TCP up to TCP down.
struct Link {
    /// The engine, confined with everything it allocates to the connection's
    /// own arena and worked on in guarded steps only (empty until TCP is up,
    /// and again after a step was abandoned).
    engine: Confined<Engine>,
    /// Ciphertext the engine could not take yet (back-pressure), in order.
    backlog: Vec<u8>,
    /// TCP input is held at the SDK (what we last asked for).
    tcp_held: bool,
    /// An `espconn_send` is outstanding: one at a time.
    tcp_busy: bool,
    /// An engine step that needs a stack block of its own waits while
    /// another connection's handshake step is suspended (one such block at
    /// a time: `platform::slice::steps_suspended`); `continue_step` runs it.
    deferred: Option<Deferred>,
}

impl Link {
    /// The engine's build waits ([`Deferred::Build`]): there is no engine to
    /// take input yet.
    fn build_deferred(&self) -> bool {
        matches!(self.deferred, Some(Deferred::Build(_)))
    }
}

/// What a connection's deferred step is.
#[derive(Clone, Copy)]
enum Deferred {
    /// Building the engine (TCP is up).
    Build(Start),
    /// Processing input.
    Process,
}

/// Where a connection is in its life; each variant owns what that phase has.
enum State {
    /// TCP connect requested; the arena waits for the engine.
    TcpConnecting(Link),
    /// TLS handshake in progress.
    Handshaking(Link),
    /// Application data flows.
    Open {
        link: Link,
        /// A user send is in progress until all its records reached TCP.
        sending: bool,
        /// The peer sent close_notify: answer it and close TCP once the
        /// data before it was read.
        peer_closed: bool,
    },
    /// Going down for `reason` (reported once TCP confirms the close): the
    /// engine's last output (close_notify or an alert) goes first.
    Closing {
        link: Link,
        reason: Ending,
        /// Decrypted data still goes to the user: not after they
        /// disconnected, nor after a failure.
        delivering: bool,
        /// `espconn_disconnect` was called; only its callback is awaited.
        tcp_closing: bool,
    },
    /// TCP is down; `ffi` takes the ending once for the last callback.
    Ended(Option<Ending>),
}

impl State {
    fn link(&self) -> Option<&Link> {
        match self {
            State::TcpConnecting(link) | State::Handshaking(link) => Some(link),
            State::Open { link, .. } | State::Closing { link, .. } => Some(link),
            State::Ended(_) => None,
        }
    }

    fn link_mut(&mut self) -> Option<&mut Link> {
        match self {
            State::TcpConnecting(link) | State::Handshaking(link) => Some(link),
            State::Open { link, .. } | State::Closing { link, .. } => Some(link),
            State::Ended(_) => None,
        }
    }

    fn engine(&self) -> Option<&Engine> {
        self.link()?.engine.get()
    }

    fn is_open(&self) -> bool {
        matches!(self, State::Open { .. })
    }

    fn is_closing(&self) -> bool {
        matches!(self, State::Closing { .. })
    }

    fn has_failed(&self) -> bool {
        matches!(
            self,
            State::Closing {
                reason: Ending::Failed(_),
                ..
            }
        )
    }

    /// Once the handshake started and before it completed.
    fn in_handshake(&self) -> bool {
        matches!(self, State::Handshaking(_))
    }

    /// A handshake step is suspended (`platform::slice`): the engine is the
    /// step's until it is resumed or abandoned.
    fn step_suspended(&self) -> bool {
        self.link().is_some_and(|l| l.engine.is_suspended())
    }

    /// A step waits for another connection's suspended step ([`Deferred`]).
    fn step_deferred(&self) -> bool {
        self.link().is_some_and(|l| l.deferred.is_some())
    }
}

/// The changes of [`State`] variant, all made by [`Conn::transition`].
enum To {
    /// TCP is up: the handshake starts.
    Handshake,
    /// The handshake completed.
    Open,
    /// The connection goes down for `reason`; `delivering` as in
    /// [`State::Closing`]. Nothing is sent here: the callers flush.
    Closing { reason: Ending, delivering: bool },
    /// TCP is down.
    Ended(Ending),
}

/// Why a close is started ([`Conn::close`]).
enum Why {
    /// `espconn_secure_disconnect`.
    User,
    /// The peer's close_notify, once what came before it was read.
    Peer,
}

pub struct Conn {
    role: Role,
    state: State,
    /// The user called `espconn_secure_recv_hold`: no recv callbacks and no
    /// TCP input until they unhold (kept across phases).
    user_hold: bool,
    /// Decrypted bytes are lent out ([`Conn::lend`]).
    lent: bool,
    events: Vec<UserEvent>,
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
            role,
            state: State::TcpConnecting(Link {
                engine,
                backlog: Vec::new(),
                tcp_held: false,
                tcp_busy: false,
                deferred: None,
            }),
            user_hold: false,
            lent: false,
            events,
        })
    }

    /// Bytes this connection holds from the SDK heap for its engine (none
    /// once it ended).
    pub fn arena_bytes(&self) -> usize {
        self.state.link().map_or(0, |l| l.engine.held_bytes())
    }

    /// The one place where the state changes variant. A change that does
    /// not apply to the current variant is ignored (callers check first).
    fn transition(&mut self, to: To) {
        let state = core::mem::replace(&mut self.state, State::Ended(None));
        self.state = match (state, to) {
            (State::TcpConnecting(link), To::Handshake) => State::Handshaking(link),
            (State::Handshaking(link), To::Open) => State::Open {
                link,
                sending: false,
                peer_closed: false,
            },
            (
                State::TcpConnecting(mut link)
                | State::Handshaking(mut link)
                | State::Open { mut link, .. },
                To::Closing { reason, delivering },
            ) => {
                // A suspended handshake step will not be finished: its
                // engine goes with the arena, as after an escape.
                link.engine.abandon_suspended();
                State::Closing {
                    link,
                    reason,
                    delivering,
                    tcp_closing: false,
                }
            }
            // An ending is reported once.
            (State::Ended(e), _) => State::Ended(e),
            // The link (engine, arena, backlog) is dropped with the old
            // state at the end of this statement: its memory goes back.
            (_, To::Ended(ending)) => {
                self.events.clear();
                State::Ended(Some(ending))
            }
            (state, _) => state,
        };
    }

    /// TCP is up: build the engine (configuration, certificates, the
    /// ClientHello's key share) and start the handshake.
    pub fn tcp_connected(&mut self, tcp: &mut dyn Tcp, start: Start) {
        if !matches!(self.state, State::TcpConnecting(_)) {
            return;
        }
        crate::log!("{} handshake start.", self.role.name());
        self.transition(To::Handshake);
        self.build(tcp, start);
    }

    /// Builds the engine and starts the handshake, unless another
    /// connection's step is suspended: then later ([`Deferred`]).
    fn build(&mut self, tcp: &mut dyn Tcp, start: Start) {
        if !self.state.in_handshake() {
            // Closed while the build waited.
            return;
        }
        let Some(link) = self.state.link_mut() else {
            return;
        };
        if crate::platform::slice::steps_suspended() > 0 {
            link.deferred = Some(Deferred::Build(start));
            return;
        }
        let result = link
            .engine
            .ensure_free(SETUP_ESTIMATE)
            .map_err(|e| oom("handshake setup", e.requested, e.free))
            .and_then(|()| {
                link.engine
                    .init(StepStack::Handshake, start, build)
                    .map_err(|e| step_failure("handshake setup", e))?
            });
        match result {
            Ok(()) => self.pump(tcp),
            Err(f) => self.fail(tcp, f),
        }
    }

    /// Ciphertext arrived from TCP: the engine takes what it can now and
    /// runs; returns how many bytes it took. The rest stays the caller's, to
    /// offer again once the user has read what was decrypted (room comes
    /// back in the receive buffer), and to hand to [`Conn::tcp_received`] in
    /// the end. Nothing is taken while older bytes wait in the backlog, nor
    /// while the engine cannot take any (a suspended step, a deferred
    /// build); bytes no engine will ever take are dropped (counted taken).
    pub fn tcp_offer(&mut self, tcp: &mut dyn Tcp, data: &[u8]) -> usize {
        let waiting =
            self.state.step_suspended() || self.state.link().is_some_and(Link::build_deferred);
        if matches!(self.state, State::TcpConnecting(_))
            || (self.state.engine().is_none() && !waiting)
        {
            return data.len();
        }
        let Some(link) = self.state.link_mut() else {
            return data.len();
        };
        if !link.backlog.is_empty() || waiting {
            return 0;
        }
        match feed(link, data) {
            Ok(0) => 0,
            Ok(n) => {
                self.pump(tcp);
                n
            }
            Err(f) => {
                self.fail(tcp, f);
                data.len()
            }
        }
    }

    /// Ciphertext arrived from TCP: what the engine cannot take now waits in
    /// the backlog (a copy; TCP is held meanwhile) until it can.
    pub fn tcp_received(&mut self, tcp: &mut dyn Tcp, data: &[u8]) {
        let rest = &data[self.tcp_offer(tcp, data)..];
        if rest.is_empty() || self.state.has_failed() {
            return;
        }
        let Some(link) = self.state.link_mut() else {
            return;
        };
        if link.backlog.try_reserve(rest.len()).is_err() {
            let f = oom("receive backlog", rest.len(), crate::platform::free_heap());
            return self.fail(tcp, f);
        }
        link.backlog.extend_from_slice(rest);
        // The engine ran on what it took: it is stepped again only if the
        // backlog gives it more.
        self.pump_after(tcp, true);
    }

    /// The last `espconn_send` was handed to TCP.
    pub fn tcp_sent(&mut self, tcp: &mut dyn Tcp) {
        if let Some(link) = self.state.link_mut() {
            link.tcp_busy = false;
        }
        self.pump(tcp);
    }

    /// TCP closed (FIN, or our own disconnect completed).
    pub fn tcp_closed(&mut self) {
        let ending = match &mut self.state {
            State::Ended(_) => return,
            State::Closing { reason, .. } => core::mem::replace(reason, Ending::Disconnected),
            State::Open {
                peer_closed: true, ..
            } => Ending::Disconnected,
            // The engine knows whether the close cut a handshake short and
            // how far it got; before the engine exists, TLS never started
            // (a failure unless the connection was open).
            state if state.step_suspended() => {
                let f = fail!(
                    code::SSL_CONN_EOF,
                    "{} closed the connection during the handshake",
                    self.role.peer()
                );
                report(self.role, &f, true);
                Ending::Failed(f.code)
            }
            state => {
                let eof = match state.engine() {
                    Some(engine) => engine.peer_eof(),
                    None => (!state.is_open()).then(|| {
                        fail!(
                            code::SSL_CONN_EOF,
                            "{} closed the connection before the TLS handshake started",
                            self.role.peer()
                        )
                    }),
                };
                match eof {
                    Some(f) => {
                        report(self.role, &f, true);
                        Ending::Failed(f.code)
                    }
                    None => Ending::Disconnected,
                }
            }
        };
        self.transition(To::Ended(ending));
    }

    /// The handshake timer (armed by `ffi` when TCP came up) fired after
    /// `seconds`: a handshake still in progress fails with -0x6800 and TCP
    /// is closed at once, without an alert and without waiting for a send
    /// still in flight (a stalled peer may never take it); the reconnect
    /// callback follows when TCP is down. Nothing happens once the
    /// handshake is complete or the connection is closing.
    pub fn handshake_timed_out(&mut self, tcp: &mut dyn Tcp, seconds: u16) {
        if !self.state.in_handshake() {
            return;
        }
        let f = fail!(
            code::SSL_TIMEOUT,
            "handshake not complete after {} s (espconn_secure_set_handshake_timeout): the peer stalled or is too slow",
            seconds
        );
        report(self.role, &f, true);
        self.transition(To::Closing {
            reason: Ending::Failed(f.code),
            delivering: false,
        });
        self.disconnect_tcp(tcp);
    }

    /// TCP failed with an lwIP code (-8 abort, -9 reset, -11 refused, -3 timeout).
    pub fn tcp_error(&mut self, err: i8) {
        let ending = match &mut self.state {
            State::Ended(_) => return,
            State::Closing {
                reason: reason @ Ending::Failed(_),
                ..
            } => core::mem::replace(reason, Ending::Disconnected),
            _ => Ending::TcpError(err),
        };
        self.transition(To::Ended(ending));
    }

    /// `espconn_secure_send`: encrypt now (the caller's buffer is free on return).
    /// Returns the vendor's code: -5 while a send is in flight or before the
    /// handshake, -1 when the heap cannot hold the records.
    pub fn user_send(&mut self, tcp: &mut dyn Tcp, data: &[u8]) -> i8 {
        let State::Open {
            link,
            sending: false,
            ..
        } = &mut self.state
        else {
            return crate::platform::sdk::ret::INPROGRESS;
        };
        if link.engine.get().is_none() {
            return crate::platform::sdk::ret::INPROGRESS;
        }
        let records = data.len().div_ceil(RECV_CHUNK).max(1);
        let need = data.len() + records * 32 + WRITE_OVERHEAD;
        if link.engine.ensure_free(need).is_err() {
            return crate::platform::sdk::ret::MEM;
        }
        match link.engine.step(StepStack::Caller, data, write) {
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
        if let State::Open { sending, .. } = &mut self.state {
            *sending = true;
        }
        self.pump(tcp);
        crate::platform::sdk::ret::OK
    }

    /// `espconn_secure_disconnect`: send close_notify, then close TCP.
    /// -5 when already closing.
    pub fn user_disconnect(&mut self, tcp: &mut dyn Tcp) -> i8 {
        if self.state.is_closing() || matches!(self.state, State::Ended(_)) {
            return crate::platform::sdk::ret::INPROGRESS;
        }
        self.close(tcp, Why::User);
        crate::platform::sdk::ret::OK
    }

    /// Whether decrypted data still goes to the user (not after they
    /// disconnected, nor after a failure).
    pub fn delivering(&self) -> bool {
        match &self.state {
            State::Closing { delivering, .. } => *delivering,
            State::Ended(_) => false,
            _ => true,
        }
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
        let readable = self.readable();
        let user_hold = self.user_hold;
        let Some(link) = self.state.link_mut() else {
            return;
        };
        // Held TCP stays held until what waited was read: between an unhold
        // and the timer that delivers, a FIN taken in would end the
        // connection before its last bytes reached the user.
        let want = user_hold || !link.backlog.is_empty() || (link.tcp_held && readable > 0);
        if want != link.tcp_held {
            link.tcp_held = want;
            tcp.hold(want);
        }
    }

    /// Next event for the user, in order.
    pub fn next_event(&mut self) -> Option<UserEvent> {
        (!self.events.is_empty()).then(|| self.events.remove(0))
    }

    /// The connection is over: take how it ended (the last user callback).
    pub fn take_ending(&mut self) -> Option<Ending> {
        match &mut self.state {
            State::Ended(e) => e.take(),
            _ => None,
        }
    }

    /// The next decrypted bytes, at most `max` of one record, lent where
    /// they lie in the engine's receive buffer, for the user's recv callback
    /// to read (or change) in place: a 16 KB record costs no copy. `None`
    /// when none are buffered, or some are lent already.
    ///
    /// Until [`Conn::give_back`] they stay where they are, whatever the
    /// callback calls: the engine neither moves nor frees its receive buffer
    /// while a record waits in it (`tls::Session::unread`), and a step
    /// abandoned meanwhile (a send that runs out of heap) leaves the arena's
    /// blocks in place until the give-back (`Confined::pin`). Only the link
    /// going away would free them, and that happens on TCP's close or error
    /// callbacks, which the SDK never runs inside another callback: the
    /// lender gives back before returning from the SDK callback it lent in.
    pub fn lend(&mut self, max: usize) -> Option<Lent> {
        if self.lent {
            return None;
        }
        let link = self.state.link_mut()?;
        let lent = link.engine.step(StepStack::Caller, max, unread).ok()??;
        if lent.len == 0 {
            return None;
        }
        link.engine.pin();
        self.lent = true;
        Some(lent)
    }

    /// The lent bytes are no longer used; the user read the first `n`.
    pub fn give_back(&mut self, n: usize) {
        if !core::mem::take(&mut self.lent) {
            return;
        }
        if let Some(link) = self.state.link_mut() {
            let _ = link.engine.step(StepStack::Caller, n, consume_read);
            link.engine.unpin();
        }
    }

    /// Decrypted bytes, in order, from one record at most, copied into
    /// `buf`; 0 when none are buffered (drivers without a user callback:
    /// tests, the fuzzing harness).
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let Some(link) = self.state.link_mut() else {
            return 0;
        };
        link.engine
            .step(StepStack::Caller, buf, read)
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// The ALPN protocol the peer agreed on (once open).
    pub fn alpn(&self) -> Option<&[u8]> {
        self.state.engine()?.alpn()
    }

    /// The record size the server agreed to after our request, or 0.
    pub fn fragment_length(&self) -> u16 {
        self.state.engine().map_or(0, |e| e.fragment_length())
    }

    /// Whether this connection's handshake resumed a session.
    pub fn resumed(&self) -> bool {
        self.state.engine().is_some_and(|e| e.resumed())
    }

    /// Decrypted bytes waiting for the user.
    pub fn readable(&self) -> usize {
        self.state.engine().map_or(0, |e| e.readable())
    }

    /// After the user drained what was readable: continue with buffered input.
    pub fn resume(&mut self, tcp: &mut dyn Tcp) {
        self.pump(tcp);
    }

    /// A handshake step is suspended, or a step waits for another
    /// connection's: `ffi` calls [`Conn::continue_step`] from a later SDK
    /// callback.
    pub fn step_pending(&self) -> bool {
        self.state.step_suspended() || self.state.step_deferred()
    }

    /// Carries on with the suspended handshake step (one more public-key
    /// operation at most), or tries the deferred one again, then goes on
    /// with whatever that made possible.
    pub fn continue_step(&mut self, tcp: &mut dyn Tcp) {
        if self.state.step_suspended() {
            return match self.process_from(true) {
                Ok(()) => self.pump_after(tcp, true),
                Err(f) => self.fail(tcp, f),
            };
        }
        let Some(link) = self.state.link_mut() else {
            return;
        };
        match link.deferred.take() {
            Some(Deferred::Build(start)) => self.build(tcp, start),
            Some(Deferred::Process) => self.pump(tcp),
            None => {}
        }
    }

    /// Run the engine as far as it goes, then hand its output to TCP.
    fn pump(&mut self, tcp: &mut dyn Tcp) {
        self.pump_after(tcp, false);
    }

    /// [`Conn::pump`]; `processed`: the engine has just run to where it
    /// waits for input (a resumed step completed), so it is stepped again
    /// only if the backlog gives it some. (Another step would only pay its
    /// pre-check while the finished step's output still waits to be sent.)
    fn pump_after(&mut self, tcp: &mut dyn Tcp, mut processed: bool) {
        if matches!(self.state, State::Ended(_)) {
            return;
        }
        if self.state.step_suspended() {
            // The engine is the suspended step's: nothing to send or feed
            // until `continue_step`; only TCP's hold follows the backlog.
            self.sync_hold(tcp);
            return;
        }
        if self.state.has_failed() {
            // A failed engine only has its alert left to send; then TCP closes.
            self.flush(tcp);
            return;
        }
        // Ciphertext left over from earlier back-pressure goes first. The
        // engine may take it in turns with process() (one record at a time
        // with small records): offer the rest again while it takes some and
        // nothing waits to be read (the first offer may come before the
        // process() that makes room).
        let mut first = true;
        loop {
            let taken = match self.feed_backlog() {
                Ok(n) => n,
                Err(f) => return self.fail(tcp, f),
            };
            if !core::mem::take(&mut processed) || taken > 0 {
                if let Err(f) = self.process_from(false) {
                    return self.fail(tcp, f);
                }
            }
            if self.state.step_suspended() {
                self.sync_hold(tcp);
                return;
            }
            let more = self.state.link().is_some_and(|l| !l.backlog.is_empty());
            if (taken == 0 && !first) || !more || self.readable() > 0 || self.state.step_deferred()
            {
                break;
            }
            first = false;
        }
        // The records before the close_notify are the user's first: closing
        // now would end the connection with them undelivered (a recv hold
        // keeps them waiting). The last read's resume gets here again.
        if matches!(
            self.state,
            State::Open {
                peer_closed: true,
                ..
            }
        ) && self.readable() == 0
        {
            self.close(tcp, Why::Peer);
        }
        if self.flush(tcp) {
            if let State::Open { sending, .. } = &mut self.state {
                if core::mem::take(sending) {
                    if let Err(f) = self.push(UserEvent::Sent) {
                        return self.fail(tcp, f);
                    }
                }
            }
        }
        self.sync_hold(tcp);
    }

    /// Offer the backlog (ciphertext left over from earlier back-pressure)
    /// to the engine; returns how many bytes it took.
    fn feed_backlog(&mut self) -> Result<usize, Failure> {
        let Some(link) = self.state.link_mut() else {
            return Ok(0);
        };
        // Before a deferred build there is no engine to take it yet.
        if link.backlog.is_empty() || link.build_deferred() {
            return Ok(0);
        }
        let mut backlog = core::mem::take(&mut link.backlog);
        let taken = feed(link, &backlog)?;
        if taken < backlog.len() {
            backlog.drain(..taken);
            link.backlog = backlog;
        }
        // (Else the emptied block goes back: an idle connection holds none.)
        Ok(taken)
    }

    /// Runs the engine until it has nothing more to do, or a handshake step
    /// is suspended; `resuming` first carries on with the suspended one.
    fn process_from(&mut self, mut resuming: bool) -> Result<(), Failure> {
        loop {
            let Some(link) = self.state.link_mut() else {
                return Ok(());
            };
            let stepped = if core::mem::take(&mut resuming) {
                crate::platform::trace_mark(c"resume", 0);
                link.engine.resume()
            } else {
                let Some(engine) = link.engine.get() else {
                    return Ok(());
                };
                if crate::platform::slice::steps_suspended() > 0 {
                    // Another connection's handshake step is suspended
                    // with its stack block: this step waits for it.
                    link.deferred = Some(Deferred::Process);
                    return Ok(());
                }
                let estimate = engine.work_estimate();
                let handshaking = engine.is_handshaking();
                let verified = engine.chain_verified();
                crate::platform::trace_mark(c"step", estimate);
                link.engine
                    .ensure_free(estimate)
                    .map_err(|e| oom("TLS processing", e.requested, e.free))?;
                if handshaking && verified {
                    link.engine
                        .step_resumable(StepStack::Verified, verified_step)
                } else if handshaking {
                    link.engine
                        .step_resumable(StepStack::Handshake, handshake_step)
                } else {
                    // Once the handshake is complete rustls only runs its
                    // traffic state, whose deepest path needs under half the
                    // handshake's stack; every received record pays this
                    // block (platform::TRAFFIC_STACK).
                    link.engine
                        .step(StepStack::Traffic, (), process_step)
                        .map(|r| r.map(Stepped::Done))
                }
            };
            crate::platform::trace_mark(c"end", 0);
            let event = match stepped {
                Ok(Some(Stepped::Done(event))) => event?,
                Ok(Some(Stepped::Suspended)) | Ok(None) => return Ok(()),
                Err(e) => return Err(step_failure("TLS processing", e)),
            };
            match event {
                Event::None => {
                    // A step that returned once the peer's chain was
                    // verified: the rest of its input goes on the smaller
                    // stack, in the next step.
                    let restep = self
                        .state
                        .link_mut()
                        .and_then(|l| l.engine.get())
                        .is_some_and(|e| e.restep());
                    if !restep {
                        break;
                    }
                }
                Event::HandshakeComplete => {
                    self.transition(To::Open);
                    crate::log!("{} handshake ok!", self.role.name());
                    if self.resumed() {
                        crate::log!("espconn_secure: session resumed (abbreviated handshake)");
                    }
                    self.push(UserEvent::Connected)?;
                }
                Event::PeerClosed => {
                    // close_notify: answer it, then close TCP; the user hears
                    // a disconnect, as from the vendor.
                    match &mut self.state {
                        State::Handshaking(_) => {
                            return Err(fail!(
                                code::SSL_CONN_EOF,
                                "peer sent close_notify during the handshake"
                            ))
                        }
                        State::Open { peer_closed, .. } => *peer_closed = true,
                        _ => {}
                    }
                    break;
                }
            }
        }
        if self.readable() > 0 && !matches!(self.events.last(), Some(UserEvent::Readable)) {
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
    /// once everything of a closing connection went out. True when nothing
    /// is in flight and nothing waits (a user send is then complete).
    fn flush(&mut self, tcp: &mut dyn Tcp) -> bool {
        let role = self.role;
        let tcp_closing = matches!(
            self.state,
            State::Closing {
                tcp_closing: true,
                ..
            }
        );
        let Some(link) = self.state.link_mut() else {
            return false;
        };
        if link.tcp_busy || tcp_closing {
            return false;
        }
        let out = link.engine.get().map_or(&[][..], |e| e.output());
        if !out.is_empty() {
            let n = out.len().min(TCP_SEND_CHUNK);
            let r = tcp.send(&out[..n]);
            let f = if r == 0 {
                link.tcp_busy = true;
                match link.engine.step(StepStack::Caller, n, consume_output) {
                    Ok(_) => return false,
                    // The bytes are with TCP; the engine that queued the
                    // rest is gone. TCP closes once they were sent.
                    Err(e) => step_failure("sending", e),
                }
            } else {
                fail!(
                    code::NET_SEND_FAILED,
                    "espconn_send refused {} bytes (err {})",
                    n,
                    r
                )
            };
            // What could not be sent is dropped with the connection.
            if !self.state.is_closing() {
                report(role, &f, !self.state.is_open());
                self.transition(To::Closing {
                    reason: Ending::Failed(f.code),
                    delivering: false,
                });
            }
            if r == 0 {
                return false;
            }
        }
        if self.state.is_closing() {
            self.disconnect_tcp(tcp);
            return false;
        }
        true
    }

    /// Close TCP now (a closing connection whose output went out).
    fn disconnect_tcp(&mut self, tcp: &mut dyn Tcp) {
        if let State::Closing { tcp_closing, .. } = &mut self.state {
            if !core::mem::replace(tcp_closing, true) {
                tcp.disconnect();
            }
        }
    }

    /// A close the user or the peer asked for: close_notify (after the
    /// handshake; best effort: without room TCP closes without it, which
    /// the peer sees as a truncation, not as data), then TCP.
    fn close(&mut self, tcp: &mut dyn Tcp, why: Why) {
        let notify = matches!(self.state, State::Open { .. } | State::Handshaking(_));
        self.transition(To::Closing {
            reason: Ending::Disconnected,
            delivering: matches!(why, Why::Peer),
        });
        if let (true, Some(link)) = (notify, self.state.link_mut()) {
            if link.engine.ensure_free(WRITE_OVERHEAD).is_ok() {
                let _ = link.engine.step(StepStack::Caller, (), close);
            }
        }
        self.flush(tcp);
    }

    /// A TLS failure: print the vendor's lines plus the reason, send what the
    /// engine queued (an alert), then close TCP; the reconnect callback follows
    /// once TCP is down. Nothing changes once the connection is closing.
    fn fail(&mut self, tcp: &mut dyn Tcp, f: Failure) {
        if self.state.is_closing() || matches!(self.state, State::Ended(_)) {
            return;
        }
        report(self.role, &f, !self.state.is_open());
        self.transition(To::Closing {
            reason: Ending::Failed(f.code),
            delivering: false,
        });
        self.flush(tcp);
    }
}

/// Offer `data` to the engine; how much it took.
fn feed(link: &mut Link, data: &[u8]) -> Result<usize, Failure> {
    match link.engine.step(StepStack::Caller, data, receive) {
        Ok(Some(r)) => r,
        Ok(None) => Ok(data.len()),
        Err(e) => Err(step_failure("receiving", e)),
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
        StepError::Refused { needed, free } => oom(what, needed, free),
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
