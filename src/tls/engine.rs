//! The sans-I/O core shared by [`TlsClient`](super::TlsClient) and
//! [`TlsServer`](super::TlsServer): receive buffer, record tracking, output
//! and plaintext queues, and the loop over rustls's unbuffered states.

use alloc::vec::Vec;

use rustls::unbuffered::{
    ConnectionState, EncodeError, EncryptError, InsufficientSizeError, UnbufferedStatus,
};
use rustls::CommonState;

use super::errors::{self, Side};
use super::verifier::Diagnosis;

use super::{Event, Negotiated};
use crate::error::{code, Failure};
use crate::fail;

/// What a rustls unbuffered connection offers, for either side.
pub trait Conn {
    type Data;
    fn process<'c, 'i>(&'c mut self, buf: &'i mut [u8]) -> UnbufferedStatus<'c, 'i, Self::Data>;
    fn common(&self) -> &CommonState;
    /// Frees the peer's certificates (vendor/rustls PATCHES.md, "Less heap
    /// held during traffic"); whether there were any.
    fn release_peer_certificates(&mut self) -> bool;
    /// Whether a client verified the server's chain where it arrived
    /// (vendor/rustls PATCHES.md, "A smaller stack once the chain is
    /// verified"); always false for a server.
    fn peer_chain_verified(&self) -> bool;
}

impl Conn for rustls::client::UnbufferedClientConnection {
    type Data = rustls::client::ClientConnectionData;
    fn process<'c, 'i>(&'c mut self, buf: &'i mut [u8]) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(buf)
    }
    fn common(&self) -> &CommonState {
        self
    }
    fn release_peer_certificates(&mut self) -> bool {
        rustls::unbuffered::UnbufferedConnectionCommon::release_peer_certificates(self)
    }
    fn peer_chain_verified(&self) -> bool {
        rustls::unbuffered::UnbufferedConnectionCommon::peer_chain_verified(self)
    }
}

impl Conn for rustls::server::UnbufferedServerConnection {
    type Data = rustls::server::ServerConnectionData;
    fn process<'c, 'i>(&'c mut self, buf: &'i mut [u8]) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(buf)
    }
    fn common(&self) -> &CommonState {
        self
    }
    fn release_peer_certificates(&mut self) -> bool {
        rustls::unbuffered::UnbufferedConnectionCommon::release_peer_certificates(self)
    }
    fn peer_chain_verified(&self) -> bool {
        false
    }
}

/// Receive buffer capacity at start: a ServerHello or a small application
/// record fits; anything larger grows the buffer to the announced size.
pub const INITIAL_INBUF: usize = 1024;
/// Ciphertext may exceed its plaintext by at most this much (RFC 8446 5.2;
/// TLS 1.2 AEAD suites add 24 at most).
pub const RECORD_EXPANSION: usize = 256;
/// What AEAD suites add to a record's plaintext: TLS 1.2 AES-GCM 24 (explicit
/// nonce and tag), TLS 1.3 17 (content type and tag) without padding.
const AEAD_EXPANSION: usize = 24;
/// Extra room beyond one record for handshake messages that rustls joins in
/// place across records.
pub const JOIN_ALLOWANCE: usize = 2048;
/// Largest plaintext we put in one outgoing record, so a record fits a TCP
/// segment of the ESP8266's lwIP (TCP_MSS 1460).
pub const MAX_SEND_PLAINTEXT: usize = 1460;
/// Record header length.
const HDR: usize = 5;
/// The TLS maximum record plaintext.
pub const TLS_MAX_PLAINTEXT: usize = 16384;

/// Follows record boundaries in the incoming byte stream, so that record
/// sizes are known from their headers before the bodies arrive.
struct Tracker {
    hdr: [u8; HDR],
    have: usize,
    body_len: usize,
    body_left: usize,
    limit: usize,
    max_record: usize,
    /// The record size the peer agreed to (max_fragment_length or
    /// record_size_limit), or 0; `limit` is then at most this plus the
    /// ciphertext expansion.
    agreed: usize,
    largest: usize,
    last_len: usize,
    records: usize,
    side: Side,
}

impl Tracker {
    /// Bytes still missing from the current header or record.
    fn remaining(&self) -> usize {
        if self.have < HDR {
            HDR - self.have
        } else {
            self.body_left
        }
    }

    fn feed(&mut self, mut data: &[u8]) -> Result<(), Failure> {
        while !data.is_empty() {
            if self.have < HDR {
                let n = (HDR - self.have).min(data.len());
                self.hdr[self.have..self.have + n].copy_from_slice(&data[..n]);
                self.have += n;
                data = &data[n..];
                if self.have == HDR {
                    self.header()?;
                }
            } else {
                let n = self.body_left.min(data.len());
                self.body_left -= n;
                data = &data[n..];
            }
            if self.have == HDR && self.body_left == 0 {
                self.have = 0;
                self.records += 1;
            }
        }
        Ok(())
    }

    fn header(&mut self) -> Result<(), Failure> {
        let h = self.hdr;
        let peer = if self.side == Side::Client {
            "server"
        } else {
            "client"
        };
        if (!(20..=24).contains(&h[0]) || h[1] != 3) && self.records > 0 {
            return Err(fail!(
                code::SSL_INVALID_RECORD,
                "{peer} sent a record of content type {} and version 0x{:02x}{:02x} after {} valid records; not TLS",
                h[0],
                h[1],
                h[2],
                self.records
            ));
        }
        if !(20..=24).contains(&h[0]) || h[1] != 3 {
            return Err(fail!(
                code::SSL_INVALID_RECORD,
                "not TLS: {peer} sent {} where a TLS record was expected (plain-text port?)",
                Printable(&h)
            ));
        }
        let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
        if len > self.limit {
            return Err(if self.agreed != 0 {
                fail!(
                    code::SSL_INVALID_RECORD,
                    "{peer} sent a {len}-byte record; it agreed to records of {} bytes (at most {} with the encryption's expansion)",
                    self.agreed,
                    self.limit
                )
            } else if self.max_record < TLS_MAX_PLAINTEXT {
                fail!(
                    code::SSL_INVALID_RECORD,
                    "{peer} sent a {len}-byte record; buffer capped at {} by espconn_secure_set_size",
                    self.max_record
                )
            } else {
                fail!(
                    code::SSL_INVALID_RECORD,
                    "{peer} sent a {len}-byte record; TLS allows at most {}",
                    self.limit
                )
            });
        }
        self.body_len = len;
        self.body_left = len;
        self.largest = self.largest.max(len);
        self.last_len = len;
        Ok(())
    }
}

/// Shows the first bytes of a non-TLS stream as text where printable.
struct Printable<'a>(&'a [u8]);

impl core::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("'")?;
        for &b in self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_str("'")
    }
}

/// Pending events, reported one per `process()` call.
const EV_HANDSHAKE: u8 = 1;
const EV_PEER_CLOSED: u8 = 2;

#[derive(Clone, Copy)]
enum Action<'a> {
    Process,
    Write(&'a [u8]),
    Close,
}

/// The decrypted record waiting to be read: where it lies in `inbuf`.
/// rustls decrypts each record in place in the receive buffer (vendor/rustls
/// PATCHES.md, "In-place plaintext"), and the plaintext is read from there:
/// a 16 KB record costs the receive buffer and nothing else. One record at
/// a time, so a read never runs past the end of a record: the vendor's glue
/// makes one recv callback per record, and NONOS programs (esp_mqtt) parse
/// one message per callback.
#[derive(Clone, Copy, Default)]
struct Held {
    /// Offset of the unread plaintext in `inbuf`, and its length.
    at: usize,
    left: usize,
    /// Bytes at the front of `inbuf` that rustls has processed (the record
    /// itself included); dropped once the plaintext is read.
    discard: usize,
}

pub struct Engine<C> {
    /// Boxed: rustls's connection is most of the engine's size, and the
    /// engine travels by value through several frames on its way into the
    /// connection (constructor, arena, engine-stack trampoline, `conn`); on
    /// the chip each of those frames held a copy (docs/STACK.md).
    conn: alloc::boxed::Box<C>,
    side: Side,
    inbuf: Vec<u8>,
    tracker: Tracker,
    out: Vec<u8>,
    held: Held,
    ceiling: usize,
    diag: Diagnosis,
    failed: Option<Failure>,
    /// The stream stopped being TLS at a record header (bad type, version or
    /// length; the tracker keeps it to say why). Reported once the records
    /// before it have been processed and their data read, unless one of them
    /// was the peer's close_notify, after which nothing the peer sends
    /// matters (RFC 8446 6.1, RFC 5246 7.2.1). A flag, not the Failure: every
    /// connection carries this field.
    bad_header: bool,
    handshake_done: bool,
    /// The peer presented certificates (set when the handshake completes).
    peer_authenticated: bool,
    /// The receive buffer was resized to one record of the agreed size.
    resized: bool,
    /// A complete record was taken since the last `process()`.
    unprocessed_record: bool,
    pending: u8,
    peer_closed: bool,
    /// Bytes taken from the network and handed to it.
    received: usize,
    sent: usize,
    /// TLS 1.2 keeps the whole transcript until it is signed
    /// (`work_estimate`): as a server verifying a client's certificate, or
    /// as a client whose key cannot sign a digest (vendor/rustls 0015; our
    /// provider's keys all can).
    mutual: bool,
    /// Handshake steps that queued output (our flights): TLS 1.2 drops the
    /// transcript it kept for the CertificateVerify before our second.
    flights: u8,
    /// The peer's chain has been verified (`Conn::peer_chain_verified`).
    chain_verified: bool,
    /// `process()` returns as soon as it has verified the chain
    /// (`Session::set_restep_after_verification`) ...
    restep_after_verification: bool,
    /// ... and the last one did (`Session::restep`).
    restep: bool,
}

fn oom(bytes: usize, what: &str) -> Failure {
    fail!(
        code::SSL_ALLOC_FAILED,
        "out of memory for the {what}: needed {bytes} bytes, {} free in the heap",
        crate::platform::free_heap()
    )
}

/// Grow `v` so that it can hold `total` bytes, fallibly.
fn reserve_total(v: &mut Vec<u8>, total: usize, what: &str) -> Result<(), Failure> {
    if total > v.capacity() {
        v.try_reserve_exact(total - v.len())
            .map_err(|_| oom(total, what))?;
    }
    Ok(())
}

/// Bytes that [`grow_inbuf`] moves through the stack rather than keeping
/// the old buffer alive next to the new one.
const GROW_BY_MOVE: usize = 64;

/// Give `v` a block of `cap` bytes in place of its own, freeing the old one
/// first so that the two never coexist at the peak, as a reallocation would
/// make them: its bytes (at most `N`) wait on the stack meanwhile. If `cap`
/// cannot be had, a block of just those bytes is taken (the heap has just
/// got the old one back, so only fragmentation refuses it): `Ok(false)`.
fn reblock<const N: usize>(v: &mut Vec<u8>, cap: usize) -> Result<bool, Failure> {
    let len = v.len();
    let mut keep = [0u8; N];
    keep[..len].copy_from_slice(v);
    *v = Vec::new();
    let got = v.try_reserve_exact(cap).is_ok();
    if !got {
        v.try_reserve_exact(len)
            .map_err(|_| oom(len, "receive buffer"))?;
    }
    v.extend_from_slice(&keep[..len]);
    Ok(got)
}

/// Grow the receive buffer so that it can hold `total` bytes. A large
/// record usually finds the buffer holding little more than its own
/// header: then the block is replaced rather than reallocated ([`reblock`]).
fn grow_inbuf(v: &mut Vec<u8>, total: usize) -> Result<(), Failure> {
    if total <= v.capacity() || v.len() > GROW_BY_MOVE || v.capacity() == 0 {
        return reserve_total(v, total, "receive buffer");
    }
    match reblock::<GROW_BY_MOVE>(v, total)? {
        true => Ok(()),
        false => Err(oom(total, "receive buffer")),
    }
}

impl<C: Conn> Engine<C> {
    pub(crate) fn new(
        conn: alloc::boxed::Box<C>,
        side: Side,
        max_record: usize,
        mutual: bool,
        diag: Diagnosis,
    ) -> Result<Self, Failure> {
        let max_record = max_record.clamp(512, TLS_MAX_PLAINTEXT);
        let limit = max_record + RECORD_EXPANSION;
        let mut inbuf = Vec::new();
        reserve_total(&mut inbuf, INITIAL_INBUF, "receive buffer")?;
        Ok(Engine {
            // Boxed by the caller (rustls allocates infallibly in the same
            // step; the glue's SETUP_ESTIMATE covers this block too).
            conn,
            side,
            inbuf,
            tracker: Tracker {
                hdr: [0; HDR],
                have: 0,
                body_len: 0,
                body_left: 0,
                limit,
                max_record,
                agreed: 0,
                largest: 0,
                last_len: 0,
                records: 0,
                side,
            },
            out: Vec::new(),
            held: Held::default(),
            ceiling: max_record + JOIN_ALLOWANCE,
            diag,
            failed: None,
            bad_header: false,
            handshake_done: false,
            peer_authenticated: false,
            resized: false,
            unprocessed_record: false,
            pending: 0,
            peer_closed: false,
            received: 0,
            sent: 0,
            mutual,
            flights: 0,
            chain_verified: false,
            restep_after_verification: false,
            restep: false,
        })
    }

    fn check_failed(&self) -> Result<(), Failure> {
        match &self.failed {
            Some(f) => Err(*f),
            None => Ok(()),
        }
    }

    /// The failure `drive` recorded (its [`Failed`]).
    #[inline(never)]
    fn recorded(&self) -> Failure {
        self.failed.unwrap_or_else(|| {
            fail!(
                code::SSL_INTERNAL_ERROR,
                "TLS engine failed without a reason"
            )
        })
    }

    // Out of line: its `Failure` temporaries stay out of the frames under
    // rustls (`process`, `drive`) on the engine stack (docs/STACK.md).
    #[inline(never)]
    fn fail(&mut self, f: Failure) -> Failure {
        if self.failed.is_none() {
            self.failed = Some(f);
        }
        f
    }

    /// Take ciphertext from the network; returns how many bytes were taken.
    /// Fewer than offered means: call `process()` (and drain `read()`), then
    /// offer the rest.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Result<usize, Failure> {
        self.check_failed()?;
        if self.peer_closed || self.bad_header {
            // Nothing after close_notify or after a broken header is TLS
            // data: dropped unread.
            return Ok(data.len());
        }
        let mut taken = 0;
        // With records the peer agreed to keep small, the buffer takes one
        // record at a time once the handshake is done: the next one waits
        // (in the glue's backlog or in TCP) until process() has seen this
        // one, so the buffer does not grow past one record. Only until
        // then: what rustls keeps of a record it has processed (part of a
        // handshake message) may need the next one.
        let one_record = self.handshake_done && self.tracker.agreed != 0;
        if one_record && !self.resized && self.inbuf.is_empty() {
            // Once, between two records: a buffer of one such record with
            // the usual AEAD expansion, in place of the one the handshake
            // grew (a larger record still grows it).
            self.resized = true;
            self.inbuf = Vec::new();
            let _ = self
                .inbuf
                .try_reserve_exact(HDR + self.tracker.agreed + AEAD_EXPANSION);
        }
        while taken < data.len() {
            if one_record && self.unprocessed_record {
                return Ok(taken);
            }
            let want = self.tracker.remaining();
            let total = self.inbuf.len() + want;
            if total > self.ceiling
                || ((self.held.left > 0 || self.unprocessed_record)
                    && total > self.inbuf.capacity())
            {
                // Room comes back once process() consumes complete records,
                // and, while a record waits to be read in the buffer, once
                // it has been read: the buffer does not grow to hold the
                // next record beside it. Nor beside a complete record that
                // process() has not seen yet (a 15 KB Certificate record
                // followed by the rest of the flight): growing would copy
                // the large record into a new block (a reallocation holds
                // both); the next record waits for the room process() makes.
                return Ok(taken);
            }
            if let Err(f) = grow_inbuf(&mut self.inbuf, total) {
                return Err(self.fail(f));
            }
            let n = want.min(data.len() - taken);
            let chunk = &data[taken..taken + n];
            if self.tracker.feed(chunk).is_err() {
                // The complete records before this header still go to
                // rustls: one of them may be a close_notify.
                self.bad_header = true;
                return Ok(data.len());
            }
            self.inbuf.extend_from_slice(chunk);
            taken += n;
            self.received += n;
            if self.tracker.have == 0 {
                self.unprocessed_record = true;
            }
        }
        Ok(taken)
    }

    pub(crate) fn process(&mut self) -> Result<Event, Failure> {
        self.check_failed()?;
        self.unprocessed_record = false;
        self.restep = false;
        let (handshaking, queued) = (!self.handshake_done, self.out.len());
        self.drive(Action::Process)
            .map_err(|Failed| self.recorded())?;
        if handshaking && self.out.len() > queued {
            self.flights = self.flights.saturating_add(1);
        }
        self.apply_agreed_limit();
        self.after_processing()?;
        if self.bad_header && !self.peer_closed && self.held.left == 0 {
            // Everything before the broken header was processed and read;
            // the tracker still holds that header and gives the reason again.
            if let Err(f) = self.tracker.header() {
                return Err(self.fail(f));
            }
        }
        Ok(self.next_event())
    }

    fn next_event(&mut self) -> Event {
        if self.pending & EV_HANDSHAKE != 0 {
            self.pending &= !EV_HANDSHAKE;
            Event::HandshakeComplete
        } else if self.pending & EV_PEER_CLOSED != 0 {
            self.pending &= !EV_PEER_CLOSED;
            Event::PeerClosed
        } else {
            Event::None
        }
    }

    /// Once the peer has agreed to a record size, hold it to that size
    /// from the next record header on, and once the handshake is complete
    /// cap the receive buffer at one such record plus what rustls may still
    /// keep of records it has processed (post-handshake messages such as
    /// TLS 1.3 tickets: [`JOIN_ALLOWANCE`]); `receive` keeps it to one
    /// record at a time otherwise. That is what makes small records cheap.
    #[inline(never)]
    fn apply_agreed_limit(&mut self) {
        if self.tracker.agreed == 0 {
            if let Some(n) = self.conn.common().agreed_record_limit() {
                self.tracker.agreed = n;
                self.tracker.limit = self.tracker.limit.min(n + RECORD_EXPANSION);
            }
        }
        if self.tracker.agreed != 0 && self.handshake_done {
            self.ceiling = self.ceiling.min(HDR + self.tracker.limit + JOIN_ALLOWANCE);
        }
    }

    /// Shrink the receive buffer after a large record, and detect a
    /// handshake message that cannot fit.
    // Out of line: its `Failure` temporaries stay out of the frames under
    // rustls (`process`, `drive`) on the engine stack (docs/STACK.md).
    #[inline(never)]
    fn after_processing(&mut self) -> Result<(), Failure> {
        let need = self.inbuf.len() + self.tracker.remaining();
        if need > self.ceiling && self.held.left == 0 && !self.peer_closed {
            let f = fail!(
                code::SSL_INVALID_RECORD,
                "handshake message spans records and needs more than the {}-byte receive buffer; raise espconn_secure_set_size",
                self.ceiling
            );
            return Err(self.fail(f));
        }
        if self.tracker.last_len <= INITIAL_INBUF {
            if let Err(f) = self.shrink_inbuf() {
                return Err(self.fail(f));
            }
        }
        if self.out.is_empty() && self.out.capacity() > 2 * MAX_SEND_PLAINTEXT {
            self.out = Vec::new();
        }
        Ok(())
    }

    /// Give back a receive buffer that grew for a large record once what it
    /// still holds fits the initial size, even when the record being
    /// received will need more: its body is not here yet (it waits in the
    /// glue's backlog or in TCP), and regrowing from a small buffer later
    /// costs less than keeping the large one alive next to the plaintext
    /// copies of the record just decrypted. Reallocates rather than
    /// `shrink_to`, which aborts on failure.
    // Out of line: its `Failure` temporaries stay out of the frames under
    // rustls (`process`, `drive`) on the engine stack (docs/STACK.md).
    #[inline(never)]
    fn shrink_inbuf(&mut self) -> Result<(), Failure> {
        // Never under a record waiting to be read: its bytes may be lent to
        // the user's recv callback ([`Self::unread`]).
        if self.held.left == 0
            && self.inbuf.capacity() > 2 * INITIAL_INBUF
            && self.inbuf.len() <= INITIAL_INBUF
        {
            // Without the initial size, exactly what is held will do.
            reblock::<INITIAL_INBUF>(&mut self.inbuf, INITIAL_INBUF)?;
        }
        Ok(())
    }

    /// Run rustls's state machine until it needs input, or `action` is done.
    ///
    /// Every failure goes straight into `self.failed` (the first one wins, as
    /// with [`Self::fail`]) through out-of-line helpers, and `drive` returns
    /// only the [`Failed`] marker: its frame lies under all of rustls on the
    /// engine stack, and each `Failure` (208 bytes) held in it was paid on
    /// the deepest path (docs/STACK.md).
    fn drive(&mut self, action: Action<'_>) -> Result<(), Failed> {
        let mut action_done = matches!(action, Action::Process);
        loop {
            if matches!(action, Action::Process) && self.held.left > 0 {
                // The record in `inbuf` is read first (back-pressure).
                return Ok(());
            }
            let mut stop = false;
            let mut ours = false;
            let mut rustls_err = None;
            let mut peer_closed = false;
            let discard;
            let mut held = None;
            {
                let Engine {
                    conn,
                    inbuf,
                    out,
                    failed,
                    held: waiting,
                    ..
                } = self;
                // While a record waits in `inbuf`, rustls gets no input: the
                // bytes it lies in must stay where they are (writes and the
                // close still run).
                let (base, len) = (inbuf.as_ptr() as usize, inbuf.len());
                let input: &mut [u8] = if waiting.left > 0 { &mut [] } else { inbuf };
                let status = conn.process(input);
                let mut d = status.discard;
                match status.state {
                    Err(e) => rustls_err = Some(e),
                    Ok(ConnectionState::ReadTraffic(mut rt)) => match rt.next_record() {
                        Some(Ok(rec)) => {
                            d += rec.discard;
                            let at = (rec.payload.as_ptr() as usize).wrapping_sub(base);
                            if waiting.left == 0 && at.checked_add(rec.payload.len()) <= Some(len) {
                                held = Some((at, rec.payload.len()));
                            } else {
                                ours = !record(failed, || {
                                    Err(fail!(
                                        code::SSL_INTERNAL_ERROR,
                                        "decrypted record outside the receive buffer"
                                    ))
                                });
                            }
                        }
                        Some(Err(e)) => rustls_err = Some(e),
                        None => {}
                    },
                    Ok(ConnectionState::EncodeTlsData(mut e)) => {
                        if waiting.left == 0 && d >= inbuf.len() && inbuf.capacity() > INITIAL_INBUF
                        {
                            // rustls took all that was received (the peer's
                            // flight, which ours answers) and keeps nothing
                            // of it: the block it grew to goes back before
                            // our flight is written, rather than beside it,
                            // for one of the initial size (the heap just got
                            // the larger one back; without it `receive`
                            // grows one again).
                            *inbuf = Vec::new();
                            let _ = inbuf.try_reserve_exact(INITIAL_INBUF);
                            d = 0;
                        }
                        // Room for the whole flight rustls has queued at
                        // once: grown record by record, each growth held the
                        // old block beside the new one (vendor/rustls 0016).
                        let total = out.len() + e.pending_len();
                        ours = !record(failed, || {
                            reserve_total(out, total, "send buffer")?;
                            encode(out, |b| e.encode(b).map_err(EncodeOrEncrypt::Encode))
                        });
                    }
                    Ok(ConnectionState::TransmitTlsData(mut t)) => {
                        if !action_done {
                            if let Some(mut wt) = t.may_encrypt_app_data() {
                                ours = !record(failed, || perform(&mut wt, action, out));
                                action_done = true;
                            }
                        }
                        // Output is queued in `out`; the glue sends it in order.
                        t.done();
                    }
                    Ok(ConnectionState::WriteTraffic(mut wt)) => {
                        if !action_done {
                            ours = !record(failed, || perform(&mut wt, action, out));
                            action_done = true;
                        }
                        stop = true;
                    }
                    Ok(ConnectionState::BlockedHandshake) => stop = true,
                    Ok(ConnectionState::PeerClosed) => peer_closed = true,
                    Ok(ConnectionState::Closed) => stop = true,
                    Ok(ConnectionState::ReadEarlyData(_)) => {
                        ours = !record(failed, || {
                            Err(fail!(code::SSL_INTERNAL_ERROR, "unexpected early data"))
                        });
                    }
                    Ok(_) => {
                        ours = !record(failed, || {
                            Err(fail!(code::SSL_INTERNAL_ERROR, "unknown TLS engine state"))
                        });
                    }
                }
                discard = d;
            }
            if let Some((at, left)) = held {
                // Read from where it lies; its bytes (and what came before
                // them) are dropped once it has been read.
                self.held = Held { at, left, discard };
                if matches!(action, Action::Process) {
                    stop = true;
                }
            } else if discard > 0 {
                self.inbuf.drain(..discard.min(self.inbuf.len()));
                if !self.shrink_inbuf_recorded() {
                    return Err(Failed);
                }
            }
            if peer_closed {
                self.peer_closed = true;
                self.pending |= EV_PEER_CLOSED;
            }
            if !self.handshake_done && !self.conn.common().is_handshaking() {
                self.handshake_completed();
            }
            if let Some(e) = rustls_err {
                self.fail_rustls(&e);
                return Err(Failed);
            }
            if ours {
                return Err(Failed);
            }
            if !self.chain_verified && self.conn.peer_chain_verified() {
                // rustls returned right after verifying the peer's chain,
                // the messages after it unprocessed: the rest of the
                // handshake can no longer reach the verifier.
                self.chain_verified = true;
                if self.restep_after_verification && matches!(action, Action::Process) {
                    self.restep = true;
                    break;
                }
                stop = false;
            }
            if stop {
                break;
            }
        }
        if !action_done {
            self.fail_not_ready(action);
            return Err(Failed);
        }
        Ok(())
    }

    /// The handshake is complete: the peer's certificates (the end entity
    /// rustls kept) are of no more use and go back to the heap; whether the
    /// peer presented any is kept.
    #[inline(never)]
    fn handshake_completed(&mut self) {
        self.handshake_done = true;
        self.pending |= EV_HANDSHAKE;
        self.peer_authenticated = self.conn.release_peer_certificates();
    }

    #[inline(never)]
    fn shrink_inbuf_recorded(&mut self) -> bool {
        match self.shrink_inbuf() {
            Ok(()) => true,
            Err(f) => {
                self.fail(f);
                false
            }
        }
    }

    /// Queue the alert rustls may have prepared for the peer, and record the
    /// failure it reported. In this order, and with the recording out of
    /// line, no `Failure` is held while `flush_alert` runs rustls again.
    fn fail_rustls(&mut self, e: &rustls::Error) {
        self.flush_alert();
        self.record_rustls(e);
    }

    #[inline(never)]
    fn record_rustls(&mut self, e: &rustls::Error) {
        let f = self.map_error(e);
        self.fail(f);
    }

    #[inline(never)]
    fn fail_not_ready(&mut self, action: Action<'_>) {
        let f = match action {
            Action::Write(_) => fail!(
                code::SSL_BAD_INPUT_DATA,
                "cannot send application data before the handshake completes"
            ),
            _ => fail!(code::SSL_BAD_INPUT_DATA, "connection not ready"),
        };
        self.fail(f);
    }

    // Out of line: its `Failure` temporaries stay out of the frames under
    // rustls (`process`, `drive`) on the engine stack (docs/STACK.md).
    #[inline(never)]
    fn map_error(&mut self, e: &rustls::Error) -> Failure {
        // The verifier's own account is more precise than the error it returned.
        if let Some(f) = self.diag.lock().take() {
            return f;
        }
        if let Some((len, limit)) = self.conn.common().record_limit_violation() {
            return errors::over_agreed_limit(len, limit, self.side);
        }
        errors::map(e, self.side)
    }

    /// After a failure rustls may have queued an alert for the peer; put it
    /// in the output so the glue can send it before closing.
    #[inline(never)]
    fn flush_alert(&mut self) {
        // Exactly one call: rustls hands out queued data (the alert) before
        // it looks at `inbuf` again; a second call would re-read the record
        // that failed.
        let Engine {
            conn,
            out,
            inbuf,
            held,
            ..
        } = self;
        let input: &mut [u8] = if held.left > 0 { &mut [] } else { inbuf };
        let status = conn.process(input);
        if let Ok(ConnectionState::EncodeTlsData(mut e)) = status.state {
            encode_best_effort(out, |b| e.encode(b).map_err(EncodeOrEncrypt::Encode));
        }
    }

    pub(crate) fn output(&self) -> &[u8] {
        &self.out
    }

    pub(crate) fn consume_output(&mut self, n: usize) {
        let n = n.min(self.out.len());
        self.sent += n;
        self.out.drain(..n);
        if self.out.is_empty() {
            // Idle connections hold no send buffer.
            self.out = Vec::new();
        }
    }

    /// The unread decrypted bytes of the record being read, where they lie
    /// in the receive buffer (mutable: the glue lends them to the user's
    /// recv callback, whose `pdata` is a `char *`). They stay where they are
    /// until [`Self::consume_read`]: nothing else moves or frees the buffer
    /// while a record waits in it (`receive` only appends within its
    /// capacity, `process` stops at once, shrinking waits).
    pub(crate) fn unread(&mut self) -> &mut [u8] {
        let Held { at, left, .. } = self.held;
        &mut self.inbuf[at..at + left]
    }

    /// The first `n` bytes of [`Self::unread`] were read. Reads stop at the
    /// end of the record they started in (the next read begins the next
    /// record); once it is read, its bytes go (a move within the buffer, no
    /// allocation: this runs outside the engine's steps).
    pub(crate) fn consume_read(&mut self, n: usize) {
        let n = n.min(self.held.left);
        self.held.at += n;
        self.held.left -= n;
        if n > 0 && self.held.left == 0 {
            let discard = self.held.discard;
            self.inbuf.drain(..discard.min(self.inbuf.len()));
            self.held = Held::default();
        }
    }

    /// Decrypted bytes waiting (of one record).
    pub(crate) fn readable(&self) -> usize {
        self.held.left
    }

    pub(crate) fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.check_failed()?;
        if data.is_empty() {
            return Ok(());
        }
        self.drive(Action::Write(data))
            .map_err(|Failed| self.recorded())
    }

    pub(crate) fn close(&mut self) -> Result<(), Failure> {
        self.check_failed()?;
        if self.conn.common().is_handshaking() {
            // Nothing to protect yet: the glue just closes TCP.
            return Ok(());
        }
        self.drive(Action::Close).map_err(|Failed| self.recorded())
    }

    pub(crate) fn peer_eof(&self) -> Option<Failure> {
        if self.handshake_done {
            return None;
        }
        let peer = if self.side == Side::Client {
            "server"
        } else {
            "client"
        };
        Some(if self.received == 0 {
            fail!(
                code::SSL_CONN_EOF,
                "{peer} closed the connection without answering (it may reject our TLS versions, suites, or the SNI name)"
            )
        } else {
            fail!(
                code::SSL_CONN_EOF,
                "{peer} closed the connection during the handshake after sending {} bytes",
                self.received
            )
        })
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        !self.handshake_done
    }

    pub(crate) fn negotiated(&self) -> Option<Negotiated> {
        let c = self.conn.common();
        let suite = c.negotiated_cipher_suite()?;
        Some(Negotiated {
            version: match c.protocol_version()? {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
                _ => "?",
            },
            suite: suite.suite().as_str().unwrap_or("?"),
            group: c
                .negotiated_key_exchange_group()
                .and_then(|g| g.name().as_str()),
        })
    }

    pub(crate) fn alpn(&self) -> Option<&[u8]> {
        self.conn.common().alpn_protocol()
    }

    pub(crate) fn resumed(&self) -> bool {
        self.conn.common().handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }

    pub(crate) fn largest_record_seen(&self) -> usize {
        self.tracker.largest
    }

    /// The record size limit the peer agreed to, or 0.
    pub(crate) fn agreed_record_limit(&self) -> u16 {
        self.conn
            .common()
            .agreed_record_limit()
            .map_or(0, |n| n as u16)
    }

    pub(crate) fn receive_capacity(&self) -> usize {
        self.inbuf.capacity()
    }

    /// The peer presented certificates (and they were verified): known
    /// once the handshake is complete.
    pub(crate) fn peer_authenticated(&self) -> bool {
        self.peer_authenticated
    }

    /// Upper bound of the heap the next `process()` may allocate before
    /// its first public-key operation, or in all if it has none: the
    /// operations charge themselves when they run (`provider::cost`,
    /// checked in `platform::slice::public_key_op`).
    pub(crate) fn work_estimate(&self) -> usize {
        // black_box: LLVM's Xtensa backend cannot select a choice between
        // constants above 2047 here ("Cannot select: Constant<2048>").
        let tls13 = self.conn.common().protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
        if self.handshake_done {
            if tls13 {
                core::hint::black_box(TRAFFIC_BASE_TLS13)
            } else {
                core::hint::black_box(TRAFFIC_BASE)
            }
        } else if self.mutual && !tls13 && self.flights < 2 {
            // TLS 1.2 keeping the transcript for a CertificateVerify
            // (`mutual`): rustls keeps it in a `Vec` that grows by doubling,
            // until the signature is made or checked, which happens before
            // our second flight. A message that outgrows it takes a block twice its
            // capacity, the old one freed only after the copy: at most the
            // next power of two above what was exchanged.
            core::hint::black_box(HANDSHAKE_STEP) + (self.received + self.sent).next_power_of_two()
        } else {
            core::hint::black_box(HANDSHAKE_STEP)
        }
    }
}

/// The engine is the [`Session`](super::Session) of both sides; the
/// methods above are its implementation (inherent, so the engine's own code
/// calls them directly).
impl<C: Conn> super::Session for Engine<C> {
    fn receive(&mut self, data: &[u8]) -> Result<usize, Failure> {
        Engine::receive(self, data)
    }
    fn process(&mut self) -> Result<Event, Failure> {
        Engine::process(self)
    }
    fn output(&self) -> &[u8] {
        Engine::output(self)
    }
    fn consume_output(&mut self, n: usize) {
        Engine::consume_output(self, n)
    }
    fn unread(&mut self) -> &mut [u8] {
        Engine::unread(self)
    }
    fn consume_read(&mut self, n: usize) {
        Engine::consume_read(self, n)
    }
    fn readable(&self) -> usize {
        Engine::readable(self)
    }
    fn write(&mut self, plain: &[u8]) -> Result<(), Failure> {
        Engine::write(self, plain)
    }
    fn close(&mut self) -> Result<(), Failure> {
        Engine::close(self)
    }
    fn peer_eof(&self) -> Option<Failure> {
        Engine::peer_eof(self)
    }
    fn is_handshaking(&self) -> bool {
        Engine::is_handshaking(self)
    }
    fn work_estimate(&self) -> usize {
        Engine::work_estimate(self)
    }
    fn chain_verified(&self) -> bool {
        self.chain_verified
    }
    fn set_restep_after_verification(&mut self, on: bool) {
        self.restep_after_verification = on;
    }
    fn restep(&self) -> bool {
        self.restep
    }
    fn negotiated(&self) -> Option<Negotiated> {
        Engine::negotiated(self)
    }
    fn alpn(&self) -> Option<&[u8]> {
        Engine::alpn(self)
    }
    fn resumed(&self) -> bool {
        Engine::resumed(self)
    }
    fn fragment_length(&self) -> u16 {
        Engine::agreed_record_limit(self)
    }
    fn largest_record_seen(&self) -> usize {
        Engine::largest_record_seen(self)
    }
}

/// A handshake step up to its first public-key operation (or whole, if it
/// has none): parsing the peer's messages, the transcript, the end-entity
/// certificate's copy, our own messages. Measured per step with the 32-bit
/// simulator's heap trace (`SIM_HEAP_TRACE=1`): at most 1.27 KB (the step
/// that takes a CertificateRequest and the server's chain before verifying
/// it); `tests::memory` measures the 64-bit build.
const HANDSHAKE_STEP: usize = by_width(2560, 1400);

/// `wide` with 8-byte pointers (the 64-bit `cargo test` build), `narrow`
/// with 4-byte ones (the chip, the 32-bit simulator).
const fn by_width(wide: usize, narrow: usize) -> usize {
    if size_of::<usize>() == 8 {
        wide
    } else {
        narrow
    }
}

/// A step after a TLS 1.2 handshake: a record needs nothing (decrypted in
/// place), a HelloRequest the alert that refuses it.
const TRAFFIC_BASE: usize = by_width(512, 256);
/// A step after a TLS 1.3 handshake: a ticket ~0.9 KB (32-bit simulator),
/// a KeyUpdate one direction's new record keys.
const TRAFFIC_BASE_TLS13: usize = by_width(1536, 1024);

enum EncodeOrEncrypt {
    Encode(EncodeError),
    Encrypt(EncryptError),
}

/// What [`Engine::drive`] returns on failure: the failure itself is in the
/// engine's `failed` (read it with `Engine::recorded`).
struct Failed;

/// Run `f`; if it fails, record its failure in `slot` unless one is there
/// already (the first failure wins) and return false. Out of line so that the
/// `Result<(), Failure>` lives in this frame, not in `drive`'s.
#[inline(never)]
fn record(slot: &mut Option<Failure>, f: impl FnOnce() -> Result<(), Failure>) -> bool {
    match f() {
        Ok(()) => true,
        Err(e) => {
            if slot.is_none() {
                *slot = Some(e);
            }
            false
        }
    }
}

/// [`encode`] where a failure changes nothing (the alert of a connection that
/// has failed already). Out of line: the `Result` it drops would otherwise
/// sit in `flush_alert`'s frame, which lies under rustls once more.
#[inline(never)]
fn encode_best_effort(
    out: &mut Vec<u8>,
    f: impl FnMut(&mut [u8]) -> Result<usize, EncodeOrEncrypt>,
) {
    let _ = encode(out, f);
}

/// Append to `out` what `f` writes, growing `out` when rustls says it needs more.
// Out of line: its `Failure` temporaries stay out of the frames under
// rustls (`process`, `drive`) on the engine stack (docs/STACK.md).
#[inline(never)]
fn encode(
    out: &mut Vec<u8>,
    mut f: impl FnMut(&mut [u8]) -> Result<usize, EncodeOrEncrypt>,
) -> Result<(), Failure> {
    let start = out.len();
    let mut room = out.capacity() - start;
    loop {
        reserve_total(out, start + room, "send buffer")?;
        out.resize(start + room, 0);
        let r = f(&mut out[start..]);
        match r {
            Ok(n) => {
                out.truncate(start + n);
                return Ok(());
            }
            Err(EncodeOrEncrypt::Encode(EncodeError::InsufficientSize(
                InsufficientSizeError { required_size },
            )))
            | Err(EncodeOrEncrypt::Encrypt(EncryptError::InsufficientSize(
                InsufficientSizeError { required_size },
            ))) if required_size > room => {
                out.truncate(start);
                room = required_size;
            }
            Err(EncodeOrEncrypt::Encode(EncodeError::AlreadyEncoded)) => {
                out.truncate(start);
                return Ok(());
            }
            Err(EncodeOrEncrypt::Encrypt(EncryptError::EncryptExhausted)) => {
                out.truncate(start);
                return Err(fail!(
                    code::SSL_INTERNAL_ERROR,
                    "encryption limit reached; reconnect"
                ));
            }
            Err(_) => {
                out.truncate(start);
                return Err(fail!(
                    code::SSL_INTERNAL_ERROR,
                    "could not encode a TLS record"
                ));
            }
        }
    }
}

// Out of line: its `Failure` temporaries stay out of the frames under
// rustls (`process`, `drive`) on the engine stack (docs/STACK.md).
#[inline(never)]
fn perform<Data>(
    wt: &mut rustls::unbuffered::WriteTraffic<'_, Data>,
    action: Action<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    match action {
        Action::Process => Ok(()),
        Action::Write(data) => {
            // rustls splits into records of the configured max_fragment_size.
            encode(out, |b| {
                wt.encrypt(data, b).map_err(EncodeOrEncrypt::Encrypt)
            })
        }
        Action::Close => encode(out, |b| {
            wt.queue_close_notify(b).map_err(EncodeOrEncrypt::Encrypt)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(max_record: usize, agreed: usize) -> Tracker {
        Tracker {
            hdr: [0; HDR],
            have: 0,
            body_len: 0,
            body_left: 0,
            limit: (max_record + RECORD_EXPANSION).min(agreed + RECORD_EXPANSION),
            max_record,
            agreed,
            largest: 0,
            last_len: 0,
            records: 1,
            side: Side::Client,
        }
    }

    #[test]
    fn a_record_over_the_agreed_size_is_refused_at_its_header_naming_both_sizes() {
        let mut t = tracker(TLS_MAX_PLAINTEXT, 1024);
        assert!(t.feed(&[23, 3, 3, 0x05, 0x00]).is_ok()); // 1280 = 1024 + 256
        let mut t = tracker(TLS_MAX_PLAINTEXT, 1024);
        let f = t.feed(&[23, 3, 3, 0x05, 0x01]).unwrap_err();
        assert_eq!(f.code, code::SSL_INVALID_RECORD);
        let reason = f.reason.as_str();
        assert!(reason.contains("1281-byte record"), "{reason}");
        assert!(reason.contains("records of 1024 bytes"), "{reason}");
    }
}
