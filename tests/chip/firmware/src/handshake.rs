//! One full TLS 1.2 handshake and an encrypted exchange between the library's
//! own `TlsClient` and `TlsServer`, both in this image, bytes moved in memory.
//!
//! Figures are the client's, the server being the test's counterpart:
//! instructions are summed over the client's calls, stack is the deepest of
//! those calls (painted before each), and heap is the peak of the SDK heap
//! taken while the client ran (blocks are tagged at allocation in
//! tests/chip/rt.c, so the server's never count, even when the two
//! interleave). The server-side cases (`run_server_resume`) measure the
//! server instead: its instructions, and with [`Meter::server_heap`] its
//! heap (the client's then untagged). Each side runs inside its own arena,
//! ahead of each `process()` checked with `ensure_free(work_estimate())`, its
//! engine steps on the stacks src/conn gives them, so the heap figure is
//! what a device pays.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use espconn_secure::platform::alloc::{Arena, ArenaBox};
use espconn_secure::platform::{take_stack_high_water, StepStack};
use espconn_secure::tls::provider::meter;
use espconn_secure::tls::{
    server_session, session, CertificateDer, ClientParams, Event, PrivateKeyDer, ServerParams,
    ServerSessions, Session, TimeSource, TlsClient, TlsServer, MAX_SEND_PLAINTEXT,
    TLS_MAX_PLAINTEXT,
};

use super::{Tally, INSNS_PER_TICK};

/// 2027-06-01, inside the fixtures' validity (tests/fixtures/tls/validity.txt),
/// the same instant the host tests pin (src/tls/tests).
const NOW: u64 = 1_811_808_000;
const HOST: &str = "test.example";
/// Plaintext each way after the handshake.
const MSG_LEN: usize = 100;
/// Round trips of the pump before giving up: a TLS 1.2 handshake takes two,
/// the exchange two more; the margin covers records split by full buffers.
const MAX_ROUNDS: usize = 64;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../fixtures/tls/", $name))
    };
}

struct Pki {
    name: &'static str,
    root: &'static [u8],
    int: &'static [u8],
    leaf: &'static [u8],
    leaf_key: &'static [u8],
    /// The client trusts a CA bundle in "flash" ([`CaBundleImage`]) that
    /// holds `root` among many, rather than `root` alone.
    bundle: bool,
}

const EC: Pki = Pki {
    name: "ec",
    root: fixture!("ec-root.der"),
    int: fixture!("ec-int.der"),
    leaf: fixture!("ec-leaf.der"),
    leaf_key: fixture!("ec-leaf.key.der"),
    bundle: false,
};

/// The EC case with the root in a CA bundle of [`BUNDLE_ROOTS`] anchors
/// (`lx106_ca_bundle`, as the host's `ca_bundle`).
const EC_BUNDLE: Pki = Pki { bundle: true, ..EC };

const RSA: Pki = Pki {
    name: "rsa",
    root: fixture!("rsa-root.der"),
    int: fixture!("rsa-int.der"),
    leaf: fixture!("rsa-leaf.der"),
    leaf_key: fixture!("rsa-leaf.key.der"),
    bundle: false,
};

/// The EC chain with a ~14.5 KB intermediate (tests/fixtures/tls/gen-big.sh):
/// a ~15 KB chain, which the server sends in one record (`lx106_chain15k`).
const BIG: Pki = Pki {
    name: "big",
    root: fixture!("ec-root.der"),
    int: fixture!("big-int.der"),
    leaf: fixture!("big-leaf.der"),
    leaf_key: fixture!("big-leaf.key.der"),
    bundle: false,
};

/// Anchors in the bundle of [`EC_BUNDLE`]: as many as the host's
/// `ca_bundle` (Debian's set and the test roots).
const BUNDLE_ROOTS: usize = 140;

/// Sector the bundle image stands at (any: only the reader knows it).
const BUNDLE_SECTOR: u32 = 0x200;

/// A CA bundle image (`certs::bundle::encode`, what `espcert bundle`
/// writes) standing in for flash while it lives: the test roots and
/// filler anchors (distinct subjects, the EC root's key) up to
/// [`BUNDLE_ROOTS`]. Built and published before the cases run, so that the
/// client's heap figure counts what a device pays: the anchors it reads
/// from flash at verification, not the image.
struct CaBundleImage(Vec<u8>);

/// The published image: set by [`CaBundleImage::publish`], cleared when it
/// drops; read by [`bundle_read`], a plain `fn` as `FlashRead` wants.
static BUNDLE_IMG: core::sync::atomic::AtomicPtr<u8> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());
static BUNDLE_LEN: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

impl CaBundleImage {
    fn publish() -> Result<CaBundleImage, String> {
        use espconn_secure::certs::bundle::{encode, Anchor};
        let mut anchors = Vec::new();
        for root in [EC.root, RSA.root] {
            anchors.push(
                Anchor::from_cert(root).map_err(|f| format!("anchor: {}", f.reason.as_str()))?,
            );
        }
        let key = anchors[0].spki.clone();
        for i in anchors.len()..BUNDLE_ROOTS {
            // A Name's contents: SET { SEQUENCE { id-at-commonName, UTF8String } }.
            let cn = format!("Bundle Filler Root {i:03}");
            let atv_len = 5 + 2 + cn.len();
            let mut subject = vec![0x31, (atv_len + 2) as u8, 0x30, atv_len as u8];
            subject.extend_from_slice(&[0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, cn.len() as u8]);
            subject.extend_from_slice(cn.as_bytes());
            anchors.push(Anchor {
                subject,
                spki: key.clone(),
                name_constraints: None,
            });
        }
        let img = encode(&anchors).map_err(|f| format!("bundle: {}", f.reason.as_str()))?;
        drop(anchors);
        let mut img = CaBundleImage(img);
        BUNDLE_LEN.store(img.0.len(), core::sync::atomic::Ordering::SeqCst);
        BUNDLE_IMG.store(img.0.as_mut_ptr(), core::sync::atomic::Ordering::SeqCst);
        Ok(img)
    }
}

impl Drop for CaBundleImage {
    fn drop(&mut self) {
        BUNDLE_IMG.store(core::ptr::null_mut(), core::sync::atomic::Ordering::SeqCst);
    }
}

/// `spi_flash_read` over the published image (false when none is).
fn bundle_read(addr: u32, words: &mut [u32]) -> bool {
    let p = BUNDLE_IMG.load(core::sync::atomic::Ordering::SeqCst);
    if p.is_null() {
        return false;
    }
    let len = BUNDLE_LEN.load(core::sync::atomic::Ordering::SeqCst);
    // SAFETY: a published pointer is the live `CaBundleImage`'s buffer of
    // `len` bytes, unpublished before that drops; nothing writes to it.
    let img = unsafe { core::slice::from_raw_parts(p, len) };
    espconn_secure::certs::bundle::slice_reader(img, BUNDLE_SECTOR)(addr, words)
}

/// Cost of the client's calls so far.
#[derive(Default)]
struct Meter {
    ticks: u64,
    stack: u32,
    /// Deepest stack per kind of call ([`Call`]), to show where it goes.
    stack_by: [u32; 3],
    on: bool,
    /// The client's handshake is complete: its process steps get the
    /// traffic stack.
    traffic: bool,
    /// The client has verified the server's chain: its handshake steps get
    /// the verified stack, as src/conn runs them.
    verified: bool,
    /// The server's calls while the meter is on (the server-side cases).
    server_ticks: u64,
    /// The server's heap is measured instead of the client's: its calls
    /// tagged (from `TlsServer::new` on, whether the meter is on or not),
    /// its engine steps on the stacks src/conn runs a server's on (the
    /// handshake's, then the traffic stack), which come from the heap.
    server_heap: bool,
    /// The server's handshake is complete: its process steps get the
    /// traffic stack.
    server_traffic: bool,
    /// The longest of the client's steps, in ticks: what one SDK callback
    /// runs (a handshake step runs in slices of at most one public-key
    /// operation, src/platform/slice.rs, each one callback's worth).
    max_step: u32,
}

#[derive(Clone, Copy)]
enum Call {
    New = 0,
    Process = 1,
    Other = 2,
}

impl Meter {
    /// Run one client call, counting it if the meter is on.
    #[inline(never)]
    fn client<R: 'static>(&mut self, kind: Call, f: impl FnOnce() -> R) -> R {
        if !self.on {
            // Not counted, but on the stack src/conn would use, so that the
            // traffic steps of the exchange are painted too.
            return Self::on_stack(self.stack_for(kind), f, &mut 0);
        }
        // SAFETY: plain helpers of the test runtime (tests/chip/rt.c).
        unsafe {
            super::chip_stack_paint();
            super::chip_heap_tag(i32::from(!self.server_heap));
        }
        meter::set_on(true);
        let t0 = unsafe { super::chip_ccount() };
        let mut longest = 0;
        let r = Self::on_stack(self.stack_for(kind), f, &mut longest);
        let t1 = unsafe { super::chip_ccount() };
        self.max_step = self.max_step.max(longest);
        meter::set_on(false);
        unsafe { super::chip_heap_tag(0) };
        self.ticks += u64::from(t1.wrapping_sub(t0));
        let used = unsafe { super::chip_stack_used() };
        self.stack = self.stack.max(used);
        self.stack_by[kind as usize] = self.stack_by[kind as usize].max(used);
        r
    }
}

impl Meter {
    /// Run one server call, timing it if the meter is on. As the client's
    /// counterpart the server runs on the caller's stack; with
    /// [`Meter::server_heap`] its engine steps run on the stacks src/conn
    /// gives them and its allocations are tagged.
    #[inline(never)]
    fn server<R: 'static>(&mut self, kind: Call, f: impl FnOnce() -> R) -> R {
        if !self.on && !self.server_heap {
            return f();
        }
        // SAFETY: plain helpers of the test runtime (tests/chip/rt.c).
        let t0 = unsafe {
            super::chip_heap_tag(i32::from(self.server_heap));
            super::chip_ccount()
        };
        let r = if self.server_heap {
            let stack = match kind {
                Call::Other => StepStack::Caller,
                Call::Process if self.server_traffic => StepStack::Traffic,
                Call::New | Call::Process => StepStack::Handshake,
            };
            Self::on_stack(stack, f, &mut 0)
        } else {
            core::hint::black_box(f())
        };
        // SAFETY: as above.
        let t1 = unsafe {
            let t1 = super::chip_ccount();
            super::chip_heap_tag(0);
            t1
        };
        if self.on {
            self.server_ticks += u64::from(t1.wrapping_sub(t0));
        }
        r
    }

    /// Engine steps run on their own stack, as src/conn runs them (the
    /// handshake's until the client's handshake is complete, then the smaller
    /// traffic stack), so the painted system stack shows only what a NONOS
    /// callback pays.
    #[inline(always)]
    fn stack_for(&self, kind: Call) -> StepStack {
        match kind {
            Call::Other => StepStack::Caller,
            Call::New => StepStack::Handshake,
            Call::Process if self.traffic => StepStack::Traffic,
            Call::Process if self.verified => StepStack::Verified,
            Call::Process => StepStack::Handshake,
        }
    }

    /// The handshake's steps run as src/conn runs them: suspended before
    /// each further public-key operation and resumed at once (each slice
    /// being an SDK callback of its own); `longest` gets the longest run.
    #[inline(always)]
    fn on_stack<R: 'static>(stack: StepStack, f: impl FnOnce() -> R, longest: &mut u32) -> R {
        use espconn_secure::platform::slice::{callback_begins, resume_step, start_step, Slice};
        // SAFETY: plain helper of the test runtime.
        let now = || unsafe { super::chip_ccount() };
        let mut t = now();
        let r = match stack {
            StepStack::Caller => core::hint::black_box(f()),
            StepStack::Traffic => match espconn_secure::platform::run_step(stack, f) {
                Ok(r) => core::hint::black_box(r),
                Err(e) => panic!("engine step failed: {e:?}"),
            },
            StepStack::Handshake | StepStack::Verified => {
                callback_begins();
                // SAFETY: what `f` borrows outlives this function, which
                // runs the step to its end.
                let mut slice = unsafe { start_step(stack, f) };
                loop {
                    match slice {
                        Slice::Done(Ok(r)) => break core::hint::black_box(r),
                        Slice::Done(Err(e)) => panic!("engine step failed: {e:?}"),
                        Slice::Suspended(s) => {
                            *longest = (*longest).max(now().wrapping_sub(t));
                            callback_begins();
                            t = now();
                            slice = resume_step(s);
                        }
                    }
                }
            }
        };
        *longest = (*longest).max(now().wrapping_sub(t));
        r
    }
}

/// What the server sends after the handshake's exchange: `len` bytes in
/// records of up to `records` bytes, which the client reads where they were
/// decrypted, 1460 bytes at a time (a TCP segment's worth, as a recv
/// callback gets them).
struct Download<'a> {
    records: usize,
    len: usize,
    /// The client writes what it reads to the inactive user partition
    /// (`espconn_secure::ota`, what `espconn_secure_ota_write` calls), the
    /// image's SHA-256 given at the start and checked at the end.
    ota: bool,
    /// The client's heap peak during this phase alone (what it holds from
    /// the handshake, the receive buffer, its traffic stack); without it
    /// the caller's figure spans the whole connection.
    peak: Option<&'a mut u32>,
}

impl Download<'_> {
    fn run(self, p: &mut Pair, m: &mut Meter) -> Result<(), String> {
        let data: Vec<u8> = (0..self.len).map(|i| (i * 7 + 3) as u8).collect();
        if self.ota {
            use sha2::Digest;
            let sum: [u8; 32] = sha2::Sha256::digest(&data).into();
            let size = u32::try_from(self.len).map_err(|_| "image size")?;
            espconn_secure::ota::begin(size, &sum).map_err(|f| client_fail("ota begin", f))?;
        }
        let (s, sa) = (&mut p.s, &p.s_arena);
        m.server(Call::Other, || in_arena(sa, || s.write(&data)))
            .map_err(|f| server_fail("write download", f))?;
        // This phase's peak alone: what the client holds now, plus the
        // peak counted from here.
        let held = self.peak.is_some().then(|| {
            // SAFETY: plain helpers of the test runtime.
            unsafe {
                let held = super::chip_heap_tag_in_use();
                super::chip_heap_tag_reset_peak();
                held
            }
        });
        m.on = true;
        let mut read = 0;
        let mut buf = [0u8; 1460];
        for _ in 0..self.len / buf.len() + 64 {
            p.pump(m)?;
            let (c, arena) = (&mut p.c, &p.arena);
            let n = m.client(Call::Other, || arena.enter(|| c.read(&mut buf)));
            if buf[..n] != data[read..read + n] {
                return Err(format!("download: bytes {read}.. differ"));
            }
            if self.ota {
                let chunk = &buf[..n];
                m.client(Call::Other, || espconn_secure::ota::write(chunk))
                    .map_err(|f| client_fail("ota write", f))?;
            }
            read += n;
            if read == data.len() {
                break;
            }
        }
        if self.ota {
            m.client(Call::Other, espconn_secure::ota::finish)
                .map_err(|f| client_fail("ota finish", f))?;
            // SAFETY: plain helper of the test runtime (tests/chip/rt.c).
            let flag = unsafe { super::system_upgrade_flag_check() };
            if flag != 2 {
                return Err(format!(
                    "upgrade flag {flag} after the update, not FINISH (2)"
                ));
            }
        }
        m.on = false;
        if let (Some(peak), Some(held)) = (self.peak, held) {
            // SAFETY: plain helper of the test runtime.
            *peak = held + unsafe { super::chip_heap_tag_peak() };
        }
        if read != data.len() {
            return Err(format!("download: read {read} of {} bytes", data.len()));
        }
        Ok(())
    }
}

/// `run` (a case) with the tagged heap's peak over all of it, the engine
/// stacks included. Its painted stacks are not figures (both sides' steps
/// painted them): reset for the cases after it.
fn whole_case_heap<R>(run: impl FnOnce() -> R) -> (R, u32) {
    // SAFETY: plain helpers of the test runtime (tests/chip/rt.c).
    unsafe { super::chip_heap_tag_reset_peak() };
    let r = run();
    // SAFETY: as above.
    let heap = unsafe { super::chip_heap_tag_peak() };
    for s in [
        StepStack::Handshake,
        StepStack::Traffic,
        StepStack::Verified,
    ] {
        let _ = take_stack_high_water(s);
    }
    (r, heap)
}

fn client_fail(what: &str, f: espconn_secure::error::Failure) -> String {
    format!("client {what}: -0x{:04x} {}", -f.code, f.reason.as_str())
}

fn server_fail(what: &str, f: espconn_secure::error::Failure) -> String {
    format!("server {what}: -0x{:04x} {}", -f.code, f.reason.as_str())
}

struct Pair {
    arena: ArenaBox,
    c: TlsClient,
    /// The server's arena, as src/conn gives it, when its heap is measured
    /// ([`Meter::server_heap`]); otherwise it allocates from the SDK heap
    /// (the test's in-memory session store, `ServerSessions`, keeps what a
    /// server puts there past the server's life).
    s_arena: Option<ArenaBox>,
    s: TlsServer,
    c_done: bool,
    s_done: bool,
}

impl Pair {
    /// Move bytes both ways until neither side has anything left to send.
    fn pump(&mut self, m: &mut Meter) -> Result<(), String> {
        for _ in 0..MAX_ROUNDS {
            let mut moved = false;
            // client -> server
            while !self.c.output().is_empty() {
                let (s, sa, out) = (&mut self.s, &self.s_arena, self.c.output());
                let n = m
                    .server(Call::Other, || in_arena(sa, || s.receive(out)))
                    .map_err(|f| server_fail("receive", f))?;
                let (c, arena) = (&mut self.c, &self.arena);
                m.client(Call::Other, || arena.enter(|| c.consume_output(n)));
                let (s, sa) = (&mut self.s, &self.s_arena);
                let ev = m.server(Call::Process, || {
                    sa.as_ref()
                        .map_or(Ok(()), |a| a.ensure_free(s.work_estimate()))
                        .map_err(|e| {
                            format!(
                                "server: arena cannot grow by {} (SDK heap free {})",
                                e.requested, e.free
                            )
                        })
                        .and_then(|()| {
                            in_arena(sa, || s.process()).map_err(|f| server_fail("process", f))
                        })
                })?;
                m.server_traffic = !self.s.is_handshaking();
                if ev == Event::HandshakeComplete {
                    self.s_done = true;
                }
                if n == 0 {
                    break;
                }
                moved = true;
            }
            // server -> client
            while !self.s.output().is_empty() {
                let (c, arena, out) = (&mut self.c, &self.arena, self.s.output());
                let n = m
                    .client(Call::Other, || arena.enter(|| c.receive(out)))
                    .map_err(|f| client_fail("receive", f))?;
                let (s, sa) = (&mut self.s, &self.s_arena);
                m.server(Call::Other, || in_arena(sa, || s.consume_output(n)));
                loop {
                    let (c, arena) = (&mut self.c, &self.arena);
                    let ev = m.client(Call::Process, || {
                        arena
                            .ensure_free(c.work_estimate())
                            .map_err(|e| {
                                format!(
                                    "client: arena cannot grow by {} (SDK heap free {})",
                                    e.requested, e.free
                                )
                            })
                            .and_then(|()| {
                                arena
                                    .enter(|| c.process())
                                    .map_err(|f| client_fail("process", f))
                            })
                    })?;
                    if ev == Event::HandshakeComplete {
                        self.c_done = true;
                    }
                    m.traffic = !self.c.is_handshaking();
                    m.verified = self.c.chain_verified();
                    // The step returned once the chain was verified: the
                    // rest of the flight on the verified stack (src/conn).
                    if !self.c.restep() {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
                moved = true;
            }
            if !moved {
                return Ok(());
            }
        }
        Err(format!("still talking after {MAX_ROUNDS} rounds"))
    }
}

/// `f` inside the server's arena if it has one.
fn in_arena<R>(arena: &Option<ArenaBox>, f: impl FnOnce() -> R) -> R {
    match arena {
        Some(a) => a.enter(f),
        None => f(),
    }
}

fn pattern(seed: u8) -> [u8; MSG_LEN] {
    core::array::from_fn(|i| seed.wrapping_add((i as u8).wrapping_mul(7)))
}

fn client_params(pki: &Pki, tls13: bool) -> Result<ClientParams, String> {
    let bundle = if pki.bundle {
        let read: espconn_secure::certs::bundle::FlashRead = bundle_read;
        match espconn_secure::certs::bundle::Bundle::open(BUNDLE_SECTOR, read) {
            Ok(Some(bundle)) => Some(espconn_secure::tls::CaBundle { bundle, read }),
            Ok(None) => return Err("no CA bundle published".into()),
            Err(f) => return Err(format!("CA bundle: {}", f.reason.as_str())),
        }
    } else {
        None
    };
    Ok(ClientParams {
        roots: (!pki.bundle).then(|| vec![CertificateDer::from(pki.root)]),
        bundle,
        hostname: Some(HOST.into()),
        identity: None,
        time: TimeSource::Fixed(NOW),
        max_record: TLS_MAX_PLAINTEXT,
        tls13,
        alpn: Vec::new(),
        session: None,
        pins: None,
        fragment_length: 0,
    })
}

/// The whole case; the meter counts the client's part of the handshake only.
/// With `resumption`, the server keeps TLS 1.2 sessions there and the client
/// uses the session cache; returns whether the handshake was resumed.
/// With `server_tls13` the server offers TLS 1.3 too (the client must then
/// offer it) and the exchange is TLS 1.3.
/// With `mtls` the client authenticates with the client key and certificate
/// of `pki`'s kind (RSA-2048 or P-256, issued by its intermediate), and the
/// server requires it.
/// With `server_cache` the server resumes through the process-wide server
/// session cache and tickets (`espconn_secure_accept`'s), and the client
/// uses its session cache.
/// With `download`, after the exchange the server sends more ([`Download`]).
fn case(
    pki: &Pki,
    m: &mut Meter,
    resumption: Option<&ServerSessions>,
    tls13: bool,
    server_tls13: bool,
    mtls: bool,
    server_cache: bool,
    download: Option<Download<'_>>,
) -> Result<bool, String> {
    let s_arena = if m.server_heap {
        Some(m.server(Call::Other, Arena::new).map_err(|e| {
            format!(
                "server arena: {} bytes (SDK heap free {})",
                e.requested, e.free
            )
        })?)
    } else {
        None
    };
    // The server's certificates and key are heap copies, as a device's are
    // (`espconn_secure_set_default_certificate` copies what it is given):
    // made inside the server's call, so its heap figure counts them.
    let (leaf, int, leaf_key) = (pki.leaf, pki.int, pki.leaf_key);
    // The 16 KB phase's record size; a large chain in one record.
    let max_fragment = match &download {
        Some(d) => d.records,
        None if pki.name == "big" => TLS_MAX_PLAINTEXT,
        None => MAX_SEND_PLAINTEXT,
    };
    let server_params = move || -> Result<ServerParams, String> {
        Ok(ServerParams {
            chain: vec![
                CertificateDer::from(leaf.to_vec()),
                CertificateDer::from(int.to_vec()),
            ],
            key: PrivateKeyDer::try_from(leaf_key.to_vec())
                .map_err(|e| format!("leaf key: {e}"))?,
            client_roots: mtls.then(|| vec![CertificateDer::from(pki.root)]),
            client_bundle: None,
            time: TimeSource::Fixed(NOW),
            max_record: TLS_MAX_PLAINTEXT,
            tls13: server_tls13,
            max_fragment,
            resumption: resumption.cloned(),
            session_cache: server_cache,
        })
    };
    let s = m.server(Call::New, || {
        in_arena(&s_arena, || {
            server_params().and_then(|p| TlsServer::new(p).map_err(|f| server_fail("new", f)))
        })
    })?;

    let mut params = client_params(pki, tls13)?;
    if let Some(Download { records, .. }) = &download {
        if *records < TLS_MAX_PLAINTEXT {
            // The client asks for the records the server sends (our test
            // server does not answer max_fragment_length: it sends them
            // anyway, and the client takes them one at a time).
            params.fragment_length = *records as u16;
        }
    }
    if mtls {
        let (cert, key): (&[u8], &[u8]) = if pki.name == "ec" {
            (fixture!("ec-client.der"), fixture!("ec-client.key.der"))
        } else {
            (fixture!("rsa-client.der"), fixture!("rsa-client.key.der"))
        };
        let key = PrivateKeyDer::try_from(key).map_err(|e| format!("client key: {e}"))?;
        params.identity = Some((
            vec![CertificateDer::from(cert), CertificateDer::from(pki.int)],
            key,
        ));
    }
    if resumption.is_some() || server_cache {
        params.session = Some(session::binding(&params, ([127, 0, 0, 1], 443)));
    }
    m.on = true;
    let arena = m.client(Call::New, Arena::new).map_err(|e| {
        format!(
            "client arena: {} bytes (SDK heap free {})",
            e.requested, e.free
        )
    })?;
    let mut c = m
        .client(Call::New, || arena.enter(|| TlsClient::new(params)))
        .map_err(|f| client_fail("new", f))?;
    // As src/conn: the steps after the chain's verification on the
    // verified stack.
    c.set_restep_after_verification(true);
    let mut p = Pair {
        arena,
        c,
        s_arena,
        s,
        c_done: false,
        s_done: false,
    };
    let r = p.pump(m);
    m.on = false;
    r?;
    if !p.c_done || !p.s_done {
        return Err(format!(
            "handshake incomplete (client {}, server {})",
            p.c_done, p.s_done
        ));
    }
    let want = if server_tls13 { "TLSv1.3" } else { "TLSv1.2" };
    match p.c.negotiated() {
        Some(n) if n.version == want => out!(
            "note handshake_{}: {} {} {}",
            pki.name,
            n.version,
            n.suite,
            n.group.unwrap_or("-")
        ),
        other => return Err(format!("negotiated {other:?}, want {want}")),
    }

    // Application data both ways, through the records just keyed.
    let up = pattern(1);
    let down = pattern(0x80);
    {
        let (c, arena) = (&mut p.c, &p.arena);
        arena
            .enter(|| c.write(&up))
            .map_err(|f| client_fail("write", f))?;
    }
    p.pump(m)?;
    let mut got = [0u8; MSG_LEN + 1];
    let (s, sa) = (&mut p.s, &p.s_arena);
    let n = m.server(Call::Other, || in_arena(sa, || s.read(&mut got)));
    if got[..n] != up[..] {
        return Err(format!("server read {n} bytes, not the client's {MSG_LEN}"));
    }
    let (s, sa) = (&mut p.s, &p.s_arena);
    m.server(Call::Other, || in_arena(sa, || s.write(&down)))
        .map_err(|f| server_fail("write", f))?;
    p.pump(m)?;
    let (c, arena) = (&mut p.c, &p.arena);
    let n = arena.enter(|| c.read(&mut got));
    if got[..n] != down[..] {
        return Err(format!("client read {n} bytes, not the server's {MSG_LEN}"));
    }
    if let Some(d) = download {
        d.run(&mut p, m)?;
    }
    let resumed = p.c.resumed();
    // The engine's allocations must be dropped inside its arena.
    let Pair {
        arena,
        c,
        s_arena,
        s,
        ..
    } = p;
    arena.enter(|| drop(c));
    drop(arena);
    in_arena(&s_arena, || drop(s));
    drop(s_arena);
    Ok(resumed)
}

/// The full handshakes: TLS 1.2 with each chain, and TLS 1.3 with the EC
/// chain and a server that issues tickets, so that the client's traffic
/// steps also process post-handshake messages (NewSessionTicket).
/// `mtls_rsa`: the RSA case with a client certificate and an RSA-2048 client
/// key (our own RSA signing, src/tls/provider/rsa_priv.rs); `mtls_ec` the EC
/// case with a P-256 client key; `chain15k` the EC case with a ~15 KB chain
/// (a 14.5 KB intermediate) in one record.
pub(crate) fn run(t: &mut Tally) {
    let sessions = ServerSessions::default();
    // Published for `ca_bundle`, before its heap is measured.
    let image = CaBundleImage::publish();
    if let Err(why) = &image {
        t.check("ca_bundle_image", false, why);
    }
    for (name, pki, tls13, mtls) in [
        ("handshake_ec", &EC, false, false),
        ("handshake_rsa", &RSA, false, false),
        ("handshake_ec_tls13", &EC, true, false),
        ("mtls_rsa", &RSA, false, true),
        ("mtls_ec", &EC, false, true),
        ("chain15k", &BIG, false, false),
        ("ca_bundle", &EC_BUNDLE, false, false),
    ] {
        let mut m = Meter::default();
        // SAFETY: plain helper of the test runtime.
        unsafe { super::chip_heap_tag_reset_peak() };
        let resumption = tls13.then_some(&sessions);
        let _ = meter::take();
        let r = case(pki, &mut m, resumption, tls13, tls13, mtls, false, None);
        let split = meter::take();
        let heap = unsafe { super::chip_heap_tag_peak() };
        match r {
            Ok(false) => t.check(&name, true, ""),
            Ok(true) => t.check(&name, false, "resumed without a session cache"),
            Err(why) => t.check(&name, false, &why),
        }
        let (engine, traffic, verified) = (
            take_stack_high_water(StepStack::Handshake),
            take_stack_high_water(StepStack::Traffic),
            take_stack_high_water(StepStack::Verified),
        );
        let insns = m.ticks * INSNS_PER_TICK;
        out!(
            "bench case=lx106_{} insns={} stack={} engine_stack={} traffic_stack={} verified_stack={} heap_peak={} {} max_step_insns={}",
            name,
            insns,
            m.stack,
            engine,
            traffic,
            verified,
            heap,
            super::Wall(insns),
            u64::from(m.max_step) * INSNS_PER_TICK
        );
        // The client's instructions by kind of operation (exclusive: the
        // hashing inside a verification counts as hashing); `rest` is the
        // engine, certificate parsing, allocation, the other crypto.
        let [verify, kx, hash, aead] = split.map(|t| u64::from(t) * INSNS_PER_TICK);
        out!(
            "bench case=lx106_{}_split verify={} kx={} hash={} aead={} rest={}",
            name,
            verify,
            kx,
            hash,
            aead,
            insns.saturating_sub(verify + kx + hash + aead)
        );
        out!(
            "note {}: client stack by call: new={} process={} other={}",
            name,
            m.stack_by[Call::New as usize],
            m.stack_by[Call::Process as usize],
            m.stack_by[Call::Other as usize]
        );
        // The traffic stack is sized from the static analysis; a painted
        // figure beyond it would have restarted the chip already, so this
        // checks the margin the analysis promises.
        t.check(
            &format!("{name}_traffic_stack_within_bound"),
            traffic > 0 && traffic + 1024 <= espconn_secure::platform::TRAFFIC_STACK,
            &format!("traffic steps painted {traffic} bytes"),
        );
        // Every full handshake verifies a chain, and the steps after it
        // run on the verified stack, also sized from the static analysis.
        t.check(
            &format!("{name}_verified_stack_within_bound"),
            verified > 0 && verified + 1024 <= espconn_secure::platform::VERIFIED_STACK,
            &format!("steps after the chain's verification painted {verified} bytes"),
        );
    }
}

/// The EC case again, twice, with the session cache on: the first handshake
/// is full and leaves a TLS 1.2 session (session id) in the client's cache
/// and the server's store; the second resumes it and is the one measured.
/// The cache's own entry is taken before the meter runs (as on a device,
/// where `espconn_secure_set_session_cache` runs once at boot).
/// `lx106_resume_ec` offers TLS 1.2 only, like `lx106_handshake_ec`;
/// `lx106_resume_ec_tls13_offered` offers 1.3 as well, as a device does, so
/// its ClientHello also carries a fresh X25519 key share (unused by the TLS
/// 1.2 server).
pub(crate) fn run_resume(t: &mut Tally) {
    for (name, tls13) in [("resume_ec", false), ("resume_ec_tls13_offered", true)] {
        resume_case(t, name, tls13);
    }
}

fn resume_case(t: &mut Tally, name: &str, tls13: bool) {
    if !session::set_capacity(1) {
        t.check(name, false, "no heap for the session cache");
        return;
    }
    let sessions = ServerSessions::default();
    let mut warm = Meter::default();
    let first = case(
        &EC,
        &mut warm,
        Some(&sessions),
        tls13,
        false,
        false,
        false,
        None,
    );
    let mut m = Meter::default();
    // SAFETY: plain helpers of the test runtime.
    unsafe { super::chip_heap_tag_reset_peak() };
    let _ = take_stack_high_water(StepStack::Handshake);
    let _ = take_stack_high_water(StepStack::Traffic);
    let second = case(
        &EC,
        &mut m,
        Some(&sessions),
        tls13,
        false,
        false,
        false,
        None,
    );
    let heap = unsafe { super::chip_heap_tag_peak() };
    session::set_capacity(0);
    match (first, second) {
        (Ok(false), Ok(true)) => t.check(name, true, ""),
        (Ok(true), _) => t.check(name, false, "first handshake resumed"),
        (_, Ok(false)) => t.check(name, false, "second handshake not resumed"),
        (Err(why), _) | (_, Err(why)) => t.check(name, false, &why),
    }
    out!(
        "bench case=lx106_{} insns={} stack={} engine_stack={} traffic_stack={} heap_peak={} max_step_insns={}",
        name,
        m.ticks * INSNS_PER_TICK,
        m.stack,
        take_stack_high_water(StepStack::Handshake),
        take_stack_high_water(StepStack::Traffic),
        heap,
        u64::from(m.max_step) * INSNS_PER_TICK
    );
}

/// The server's side (`espconn_secure_accept` with
/// `espconn_secure_set_server_session_cache(1)`): `lx106_server_ec` is the
/// server's part of a full TLS 1.2 handshake (EC chain, ECDSA P-256
/// signature, X25519; the server issues a session ticket, AES-128-GCM),
/// `lx106_server_resume` its part of the next handshake, which resumes that
/// ticket (decryption, no key exchange, no signature). Instructions of the
/// server's calls only, between the ClientHello and the end of the handshake;
/// heap (`heap_peak`) of the server's whole connection, from its engine's
/// creation to its drop, its engine stacks included (the session caches'
/// entries, taken at boot, are not: 0.2 KB on the server's side).
pub(crate) fn run_server_resume(t: &mut Tally) {
    if !session::set_capacity(1) || !server_session::set_capacity(1) {
        t.check("server_resume", false, "no heap for the session caches");
        return;
    }
    let measured = || {
        let mut m = Meter {
            server_heap: true,
            ..Meter::default()
        };
        let (r, heap) =
            whole_case_heap(|| case(&EC, &mut m, None, false, false, false, true, None));
        (r, m, heap)
    };
    let (first, full, full_heap) = measured();
    let (second, m, heap) = measured();
    session::set_capacity(0);
    server_session::set_capacity(0);
    match first {
        Ok(false) => t.check("server_ec", true, ""),
        Ok(true) => t.check("server_ec", false, "first handshake resumed"),
        Err(why) => t.check("server_ec", false, &why),
    }
    match second {
        Ok(true) => t.check("server_resume", true, ""),
        Ok(false) => t.check("server_resume", false, "second handshake not resumed"),
        Err(why) => t.check("server_resume", false, &why),
    }
    out!(
        "bench case=lx106_server_ec insns={} heap_peak={}",
        full.server_ticks * INSNS_PER_TICK,
        full_heap
    );
    out!(
        "bench case=lx106_server_resume insns={} heap_peak={}",
        m.server_ticks * INSNS_PER_TICK,
        heap
    );
}

/// `lx106_record16k`: after an EC TLS 1.2 handshake, one 16 KB record from
/// the server, decrypted in place in the receive buffer and read from
/// there; the heap peak of that phase, the traffic stack included (issue
/// #15: < 28 KB). `lx106_record16k_mfl`: the same 16 KB in records of
/// 1 KB, which the client asked for.
pub(crate) fn run_record16k(t: &mut Tally) {
    for (name, records) in [("record16k", TLS_MAX_PLAINTEXT), ("record16k_mfl", 1024)] {
        let mut m = Meter::default();
        let mut peak = 0u32;
        // SAFETY: plain helper of the test runtime.
        unsafe { super::chip_heap_tag_reset_peak() };
        let r = case(
            &EC,
            &mut m,
            None,
            false,
            false,
            false,
            false,
            Some(Download {
                records,
                len: TLS_MAX_PLAINTEXT,
                ota: false,
                peak: Some(&mut peak),
            }),
        );
        let _ = take_stack_high_water(StepStack::Handshake);
        let traffic = take_stack_high_water(StepStack::Traffic);
        match r {
            Ok(_) => t.check(name, true, ""),
            Err(why) => t.check(name, false, &why),
        }
        out!(
            "bench case=lx106_{} heap_peak={} traffic_stack={}",
            name,
            peak,
            traffic
        );
    }
}

/// Bytes of the image `lx106_ota` downloads: 16 flash sectors, four 16 KB
/// records (the host's `ota_*` cases take 300 KB; nothing of the image is
/// buffered, so the heap does not depend on its size).
const OTA_IMAGE: usize = 16 * 4096;

/// `lx106_ota`: what `examples-c/https_ota` does, on the emulated core: a TLS
/// 1.3 handshake (EC chain), then an image of [`OTA_IMAGE`] bytes from the
/// server in 16 KB records, each piece written to the inactive user
/// partition as it is read (tests/chip/rt.c keeps that partition in RAM),
/// its SHA-256 read back from flash and checked, the upgrade flag set. The
/// heap peak of the client's whole connection, its engine stacks included.
pub(crate) fn run_ota(t: &mut Tally) {
    let mut m = Meter::default();
    let (r, heap) = whole_case_heap(|| {
        case(
            &EC,
            &mut m,
            None,
            true,
            true,
            false,
            false,
            Some(Download {
                records: TLS_MAX_PLAINTEXT,
                len: OTA_IMAGE,
                ota: true,
                peak: None,
            }),
        )
    });
    match r {
        Ok(_) => t.check("ota", true, ""),
        Err(why) => t.check("ota", false, &why),
    }
    out!(
        "bench case=lx106_ota heap_peak={} insns={} image_bytes={}",
        heap,
        m.ticks * INSNS_PER_TICK,
        OTA_IMAGE
    );
}
