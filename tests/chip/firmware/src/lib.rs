//! Known-answer tests and cost figures of the library's crypto on the LX106
//! core, run under `qemu-system-xtensa -M sim -cpu lx106 -semihosting`.
//!
//! Output protocol (parsed by tests/chip.rs and `make bench-chip`):
//!   `ok <name>` / `FAIL <name>: <why>` per test,
//!   `bench case=lx106_<op> insns=N stack=N heap=N` per measured operation,
//!   `bench case=lx106_handshake_<ec|rsa> insns=N stack=N heap_peak=N` for the
//!   client side of a full TLS 1.2 handshake (see `handshake.rs`),
//!   `note <text>` for information, `skip <name>: <why>` for a test not run,
//!   `done pass=N fail=N` last; the exit status is the failure count.
//! Instruction counts come from CCOUNT under `-icount shift=0`, where one
//! CCOUNT tick is 25 instructions; stack is measured by painting.
#![no_std]

extern crate alloc;

#[cfg(feature = "lib")]
extern crate espconn_secure;

use core::fmt::Write;

mod vectors;

extern "C" {
    fn chip_write(buf: *const u8, len: usize);
    fn chip_ccount() -> u32;
    fn chip_stack_paint();
    fn chip_stack_used() -> u32;
    fn chip_heap_reset_peak();
    fn chip_heap_peak() -> u32;
    fn chip_heap_tag(on: i32);
    fn chip_heap_tag_reset_peak();
    fn chip_heap_tag_peak() -> u32;
    fn chip_heap_tag_in_use() -> u32;
    /// The SDK's upgrade flag as tests/chip/rt.c keeps it (the OTA case).
    fn system_upgrade_flag_check() -> u8;
}

/// CCOUNT ticks per instruction under `-icount shift=0` on the sim machine.
const INSNS_PER_TICK: u64 = 25;

struct Out;

impl Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: the buffer is valid for `len` bytes for the duration of the call.
        unsafe { chip_write(s.as_ptr(), s.len()) };
        Ok(())
    }
}

macro_rules! out {
    // Paths from the crate root: `handshake.rs` prints through it too.
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(
            &mut $crate::Out,
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}

/// Wall-clock estimate of `insns` at 80 and 160 MHz, `ms_80mhz=N
/// ms_160mhz=N`: one instruction per cycle, as the README's figures take it
/// (stalls, e.g. flash cache misses, come on top).
struct Wall(u64);

impl core::fmt::Display for Wall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // One instruction per cycle, rounded to the millisecond.
        let ms = |mhz: u64| (self.0 + mhz * 500) / (mhz * 1000);
        write!(f, "ms_80mhz={} ms_160mhz={}", ms(80), ms(160))
    }
}

struct Tally {
    pass: u32,
    fail: u32,
}

impl Tally {
    fn check(&mut self, name: &str, ok: bool, why: &str) {
        if ok {
            self.pass += 1;
            out!("ok {}", name);
        } else {
            self.fail += 1;
            out!("FAIL {}: {}", name, why);
        }
    }

    /// Runs `f` once as a test and reports its cost as a bench line.
    fn measure(&mut self, name: &str, f: impl FnOnce() -> Result<(), &'static str>) {
        // SAFETY: plain helpers of the test runtime (tests/chip/rt.c).
        unsafe {
            chip_heap_reset_peak();
            chip_stack_paint();
        }
        let t0 = unsafe { chip_ccount() };
        let r = core::hint::black_box(f());
        let t1 = unsafe { chip_ccount() };
        let stack = unsafe { chip_stack_used() };
        let heap = unsafe { chip_heap_peak() };
        let insns = u64::from(t1.wrapping_sub(t0)) * INSNS_PER_TICK;
        match r {
            Ok(()) => self.check(name, true, ""),
            Err(why) => self.check(name, false, why),
        }
        out!(
            "bench case=lx106_{} insns={} stack={} heap={} {}",
            name,
            insns,
            stack,
            heap,
            Wall(insns)
        );
    }
}

/// Wall-clock estimate in milliseconds at `mhz`, one instruction per
/// cycle (loads, branches and multiplications take more on the real core,
/// so this is a lower bound).
fn expect(ok: bool, why: &'static str) -> Result<(), &'static str> {
    if ok {
        Ok(())
    } else {
        Err(why)
    }
}

/// The SHA-256 the library ships (src/tls/provider/sha256.rs); the `sha2`
/// crate's without the library.
#[cfg(feature = "lib")]
type Sha256 = espconn_secure::tls::provider::sha256::Sha256;
#[cfg(not(feature = "lib"))]
type Sha256 = sha2::Sha256;

fn sha256_abc() -> Result<(), &'static str> {
    use sha2::Digest;
    expect(
        Sha256::digest(b"abc")[..] == vectors::SHA256_ABC,
        "digest mismatch",
    )
}

fn sha256_block() -> Result<(), &'static str> {
    use sha2::Digest;
    // 55 bytes: one block with its padding, comparable with the vendor
    // figures for "one block".
    let d = Sha256::digest([0x61u8; 55]);
    expect(d[..] == vectors::SHA256_55A, "digest mismatch")
}

/// The compression function alone, one 64-byte block: the per-block cost
/// of long inputs (certificates, the transcript), without `digest`'s
/// buffering and padding.
#[cfg(feature = "lib")]
fn sha256_compress() -> Result<(), &'static str> {
    let mut state = [0u32; 8];
    let block = core::hint::black_box([0x61u8; 64]);
    espconn_secure::tls::provider::sha256::compress(&mut state, &block);
    expect(core::hint::black_box(state) != [0u32; 8], "state unchanged")
}

/// The `sha2` crate's SHA-256, which the library used before, for comparison.
fn sha2_crate_sha256_block() -> Result<(), &'static str> {
    use sha2::Digest;
    let d = sha2::Sha256::digest([0x61u8; 55]);
    expect(d[..] == vectors::SHA256_55A, "digest mismatch")
}

/// X25519 as the library ships it (src/tls/provider/x25519.rs): one key
/// generation (the base point) and one shared secret, RFC 7748 6.1.
#[cfg(feature = "lib")]
fn x25519() -> Result<(), &'static str> {
    use espconn_secure::tls::provider::x25519::{public_key, x25519};
    let public = public_key(&vectors::X25519_ALICE_SK);
    expect(public == vectors::X25519_ALICE_PK, "public key mismatch")?;
    let shared = x25519(&vectors::X25519_ALICE_SK, &vectors::X25519_BOB_PK);
    expect(shared == vectors::X25519_SHARED, "shared secret mismatch")
}

/// RFC 7748 5.2's first vector (a u-coordinate with bit 255 set), and a
/// low-order point (u = 0), whose all-zero result the handshake refuses.
#[cfg(feature = "lib")]
fn x25519_rfc7748_vector_and_low_order_point() -> Result<(), &'static str> {
    use espconn_secure::tls::provider::x25519::{is_zero, x25519};
    let out = x25519(&vectors::X25519_52_K, &vectors::X25519_52_U);
    expect(
        out == vectors::X25519_52_OUT,
        "RFC 7748 5.2 vector mismatch",
    )?;
    let zero = x25519(&vectors::X25519_52_K, &[0u8; 32]);
    expect(
        is_zero(&zero) && !is_zero(&out),
        "low-order point not detected",
    )
}

fn sha384_abc() -> Result<(), &'static str> {
    use sha2::Digest;
    expect(
        sha2::Sha384::digest(b"abc")[..] == vectors::SHA384_ABC,
        "digest mismatch",
    )
}

fn hmac_sha256() -> Result<(), &'static str> {
    use hmac::{Mac, SimpleHmac};
    // As the provider builds it (src/tls/provider/hash.rs).
    let mut m = SimpleHmac::<Sha256>::new_from_slice(b"Jefe").map_err(|_| "key")?;
    m.update(b"what do ya want for nothing?");
    expect(
        m.finalize().into_bytes()[..] == vectors::HMAC_SHA256_RFC4231_2,
        "tag mismatch",
    )
}

fn aes128_gcm() -> Result<(), &'static str> {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(&[0u8; 16]).map_err(|_| "key")?;
    let nonce = aes_gcm::Nonce::from_slice(&[0u8; 12]);
    let mut buf = [0u8; 16];
    let tag = cipher
        .encrypt_in_place_detached(nonce, b"", &mut buf)
        .map_err(|_| "seal")?;
    expect(
        buf == vectors::GCM_TC2_CT && tag[..] == vectors::GCM_TC2_TAG,
        "ciphertext/tag mismatch",
    )?;
    cipher
        .decrypt_in_place_detached(nonce, b"", &mut buf, &tag)
        .map_err(|_| "open")?;
    expect(buf == [0u8; 16], "round trip")?;
    let mut bad = tag;
    bad[0] ^= 1;
    expect(
        cipher
            .decrypt_in_place_detached(nonce, b"", &mut buf, &bad)
            .is_err(),
        "forged tag accepted",
    )
}

fn chacha20_poly1305() -> Result<(), &'static str> {
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    let key: [u8; 32] = core::array::from_fn(|i| 0x80 + i as u8);
    let cipher = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key).map_err(|_| "key")?;
    let nonce = chacha20poly1305::Nonce::from_slice(&vectors::RFC8439_NONCE);
    let mut buf = [0u8; 114];
    buf.copy_from_slice(vectors::RFC8439_PLAINTEXT);
    let tag = cipher
        .encrypt_in_place_detached(nonce, &vectors::RFC8439_AAD, &mut buf)
        .map_err(|_| "seal")?;
    expect(
        buf[..16] == vectors::RFC8439_CT_HEAD && tag[..] == vectors::RFC8439_TAG,
        "ciphertext/tag mismatch",
    )?;
    cipher
        .decrypt_in_place_detached(nonce, &vectors::RFC8439_AAD, &mut buf, &tag)
        .map_err(|_| "open")?;
    expect(&buf[..] == vectors::RFC8439_PLAINTEXT, "round trip")
}

/// The provider's P-256 ECDH (src/tls/provider/ec_p256, what the library
/// ships): a fixed scalar against the point of `P256_PUB`.
#[cfg(feature = "lib")]
fn p256_ecdh() -> Result<(), &'static str> {
    let x = espconn_secure::tls::provider::ec_p256::ecdh(&vectors::P256_K, vectors::P256_PUB)
        .ok_or("refused the point")?;
    expect(x == vectors::P256_K_PUB_X, "shared secret mismatch")
}

/// The provider's P-256 key generation: the public key of a fixed scalar.
#[cfg(feature = "lib")]
fn p256_keygen() -> Result<(), &'static str> {
    let public =
        espconn_secure::tls::provider::ec_p256::public_key(&vectors::P256_K).ok_or("no key")?;
    expect(public == vectors::P256_K_G, "public key mismatch")
}

/// Signing with our own P-256 key (src/tls/provider/ec_p256/sign.rs: the
/// nonce by RFC 6979 with added randomness, k·G by our constant-time
/// multiplication, the scalars by the `p256` crate).
#[cfg(feature = "lib")]
fn p256_ecdsa_sign() -> Result<(), &'static str> {
    use sha2::Digest;
    let key = espconn_secure::tls::provider::ec_p256::SigningKey::from_slice(&vectors::P256_K)
        .ok_or("key")?;
    let digest = sha2::Sha256::digest(vectors::MSG);
    let (r, s) = key
        .sign_prehash(&digest, &[0x42; 32])
        .ok_or("no signature")?;
    expect(
        r[..] == vectors::P256_K_SIG_R && s[..] == vectors::P256_K_SIG_S,
        "signature mismatch",
    )
}

/// The `p256` crate's ECDH, for comparison (what the library used before
/// ec_p256); without the library it is the `p256_ecdh` case.
#[cfg_attr(feature = "lib", allow(dead_code))]
fn crate_p256_ecdh() -> Result<(), &'static str> {
    // x(2G) is a fixed, published value: scalar 2 against the generator.
    let mut two = [0u8; 32];
    two[31] = 2;
    let sk = p256::SecretKey::from_slice(&two).map_err(|_| "scalar")?;
    let g = p256::PublicKey::from_affine(p256::AffinePoint::GENERATOR).map_err(|_| "G")?;
    let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), g.as_affine());
    expect(
        shared.raw_secret_bytes()[..] == vectors::P256_2G_X,
        "x(2G) mismatch",
    )
}

fn p256_ecdsa_verify() -> Result<(), &'static str> {
    use signature::Verifier;
    let vk =
        p256::ecdsa::VerifyingKey::from_sec1_bytes(vectors::P256_PUB).map_err(|_| "public key")?;
    let sig =
        p256::ecdsa::Signature::from_der(vectors::P256_SIG_DER).map_err(|_| "signature DER")?;
    if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        return expect(
            vk.verify(b"tampered", &sig).is_err(),
            "tampered message accepted",
        );
    }
    vk.verify(vectors::MSG, &sig)
        .map_err(|_| "valid signature rejected")
}

// P-384 is vendor/p384 with its multiplications as loops (PATCHES.md):
// these check the 32-bit code on the LX106 against OpenSSL's values.
fn p384_ecdh() -> Result<(), &'static str> {
    let mut two = [0u8; 48];
    two[47] = 2;
    let sk = p384::SecretKey::from_slice(&two).map_err(|_| "scalar")?;
    let g = p384::PublicKey::from_affine(p384::AffinePoint::GENERATOR).map_err(|_| "G")?;
    let shared = p384::ecdh::diffie_hellman(sk.to_nonzero_scalar(), g.as_affine());
    expect(
        shared.raw_secret_bytes()[..] == vectors::P384_2G_X,
        "x(2G) mismatch",
    )
}

fn p384_ecdsa_verify() -> Result<(), &'static str> {
    use signature::Verifier;
    let vk =
        p384::ecdsa::VerifyingKey::from_sec1_bytes(vectors::P384_PUB).map_err(|_| "public key")?;
    let sig =
        p384::ecdsa::Signature::from_der(vectors::P384_SIG_DER).map_err(|_| "signature DER")?;
    if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        return expect(
            vk.verify(b"tampered", &sig).is_err(),
            "tampered message accepted",
        );
    }
    vk.verify(vectors::MSG, &sig)
        .map_err(|_| "valid signature rejected")
}

fn rsa_key() -> Result<rsa::RsaPublicKey, &'static str> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    rsa::RsaPublicKey::from_pkcs1_der(vectors::RSA2048_PUB_DER).map_err(|_| "public key DER")
}

fn rsa2048_pkcs1_verify() -> Result<(), &'static str> {
    use signature::Verifier;
    let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(rsa_key()?);
    let sig =
        rsa::pkcs1v15::Signature::try_from(vectors::RSA2048_PKCS1_SIG).map_err(|_| "signature")?;
    if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        return expect(
            vk.verify(b"tampered", &sig).is_err(),
            "tampered message accepted",
        );
    }
    vk.verify(vectors::MSG, &sig)
        .map_err(|_| "valid signature rejected")
}

fn rsa2048_pss_verify() -> Result<(), &'static str> {
    use signature::Verifier;
    let vk = rsa::pss::VerifyingKey::<sha2::Sha256>::new(rsa_key()?);
    let sig = rsa::pss::Signature::try_from(vectors::RSA2048_PSS_SIG).map_err(|_| "signature")?;
    if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        return expect(
            vk.verify(b"tampered", &sig).is_err(),
            "tampered message accepted",
        );
    }
    vk.verify(vectors::MSG, &sig)
        .map_err(|_| "valid signature rejected")
}

/// Signing with our own RSA-2048 key code (src/tls/provider/rsa_priv.rs: CRT,
/// constant time, blinded, checked with e), through the provider as rustls
/// calls it: the key loaded from PKCS#8, PKCS#1 v1.5 with SHA-256, which is
/// deterministic, so the signature must be OpenSSL's byte for byte.
#[cfg(feature = "lib")]
fn own_rsa2048_pkcs1_sign() -> Result<(), &'static str> {
    let sig = own_rsa2048_sign(rustls::SignatureScheme::RSA_PKCS1_SHA256)?;
    expect(
        sig == vectors::RSA2048_CLIENT_PKCS1_SIG,
        "signature differs from OpenSSL's",
    )
}

/// The same with PSS (a random salt): the signature must pass our verifier
/// with the key's public half.
#[cfg(feature = "lib")]
fn own_rsa2048_pss_sign() -> Result<(), &'static str> {
    use espconn_secure::tls::provider::rsa_pub::{verify_pss, Hash};
    let sig = own_rsa2048_sign(rustls::SignatureScheme::RSA_PSS_SHA256)?;
    verify_pss(
        Hash::Sha256,
        vectors::RSA2048_CLIENT_PUB_DER,
        vectors::MSG,
        &sig,
    )
    .map_err(|_| "PSS signature does not verify")
}

#[cfg(feature = "lib")]
fn own_rsa2048_sign(scheme: rustls::SignatureScheme) -> Result<alloc::vec::Vec<u8>, &'static str> {
    let der = espconn_secure::tls::PrivateKeyDer::try_from(vectors::RSA2048_CLIENT_KEY)
        .map_err(|_| "key DER")?;
    let key = espconn_secure::tls::provider::provider()
        .key_provider
        .load_private_key(der)
        .map_err(|_| "key refused")?;
    let signer = key.choose_scheme(&[scheme]).ok_or("scheme refused")?;
    signer.sign(vectors::MSG).map_err(|_| "signing failed")
}

/// The provider's own RSA verifier (src/tls/provider/rsa_pub.rs), which is
/// what the library ships; the `rsa` crate cases above are kept for comparison.
#[cfg(feature = "lib")]
fn own_rsa2048_pkcs1_verify() -> Result<(), &'static str> {
    use espconn_secure::tls::provider::rsa_pub::{verify_pkcs1, Hash};
    let msg: &[u8] = if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        b"tampered"
    } else {
        vectors::MSG
    };
    let ok = verify_pkcs1(
        Hash::Sha256,
        vectors::RSA2048_PUB_DER,
        msg,
        vectors::RSA2048_PKCS1_SIG,
    )
    .is_ok();
    if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        return expect(!ok, "tampered message accepted");
    }
    expect(ok, "valid signature rejected")
}

#[cfg(feature = "lib")]
fn own_rsa2048_pss_verify() -> Result<(), &'static str> {
    use espconn_secure::tls::provider::rsa_pub::{verify_pss, Hash};
    let msg: &[u8] = if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        b"tampered"
    } else {
        vectors::MSG
    };
    let ok = verify_pss(
        Hash::Sha256,
        vectors::RSA2048_PUB_DER,
        msg,
        vectors::RSA2048_PSS_SIG,
    )
    .is_ok();
    if TAMPER.load(core::sync::atomic::Ordering::Relaxed) {
        return expect(!ok, "tampered message accepted");
    }
    expect(ok, "valid signature rejected")
}

/// The provider's own ECDSA verification (src/tls/provider/ecdsa_verify.rs,
/// Shamir's trick instead of two constant-time multiplications), which is
/// what the library ships; the `ecdsa` crate cases above are kept for
/// comparison.
macro_rules! own_ecdsa_verify {
    ($name:ident, $curve:ident :: $point_curve:ident, $hash:ty, $public:expr, $sig_der:expr) => {
        #[cfg(feature = "lib")]
        fn $name() -> Result<(), &'static str> {
            use sha2::Digest;
            let vk =
                $curve::ecdsa::VerifyingKey::from_sec1_bytes($public).map_err(|_| "public key")?;
            let sig = $curve::ecdsa::Signature::from_der($sig_der).map_err(|_| "signature DER")?;
            let tamper = TAMPER.load(core::sync::atomic::Ordering::Relaxed);
            let msg: &[u8] = if tamper { b"tampered" } else { vectors::MSG };
            let digest = <$hash>::digest(msg);
            let ok = espconn_secure::tls::provider::ecdsa_verify::verify_prehash::<
                $curve::$point_curve,
            >(vk.as_affine(), &digest, &sig)
            .is_ok();
            if tamper {
                return expect(!ok, "tampered message accepted");
            }
            expect(ok, "valid signature rejected")
        }
    };
}

/// P-256: `verify_prehash_p256`, the scalars by the `p256` crate and the
/// points by src/tls/provider/ec_p256 (13-bit limbs, width-5 NAF).
#[cfg(feature = "lib")]
fn own_p256_ecdsa_verify() -> Result<(), &'static str> {
    use sha2::Digest;
    let sig =
        p256::ecdsa::Signature::from_der(vectors::P256_SIG_DER).map_err(|_| "signature DER")?;
    let tamper = TAMPER.load(core::sync::atomic::Ordering::Relaxed);
    let msg: &[u8] = if tamper { b"tampered" } else { vectors::MSG };
    let digest = sha2::Sha256::digest(msg);
    let ok = espconn_secure::tls::provider::ecdsa_verify::verify_prehash_p256(
        vectors::P256_PUB,
        &digest,
        &sig,
    )
    .is_ok();
    if tamper {
        return expect(!ok, "tampered message accepted");
    }
    expect(ok, "valid signature rejected")
}

own_ecdsa_verify!(
    own_p384_ecdsa_verify,
    p384::NistP384,
    sha2::Sha384,
    vectors::P384_PUB,
    vectors::P384_SIG_DER
);

/// Set while the verify tests run again on a tampered message: once is
/// enough to prove rejection, and keeping it out of the measured run keeps
/// the figures to one verification each.
static TAMPER: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

#[cfg(feature = "lib")]
mod handshake;

/// Entry point, called by the start-up code (tests/chip/rt.c) with the stack set up.
#[no_mangle]
pub extern "C" fn chip_tests_main() -> i32 {
    let mut t = Tally { pass: 0, fail: 0 };
    out!("chip tests: espconn_secure crypto on lx106");
    t.measure("sha256_abc", sha256_abc);
    t.measure("sha256_block", sha256_block);
    t.measure("sha2_crate_sha256_block", sha2_crate_sha256_block);
    #[cfg(feature = "lib")]
    t.measure("sha256_compress", sha256_compress);
    t.measure("sha384_abc", sha384_abc);
    t.measure("hmac_sha256", hmac_sha256);
    t.measure("aes128_gcm", aes128_gcm);
    t.measure("chacha20_poly1305", chacha20_poly1305);
    #[cfg(feature = "lib")]
    {
        t.measure("p256_ecdh", p256_ecdh);
        t.measure("p256_keygen", p256_keygen);
        t.measure("p256_ecdsa_sign", p256_ecdsa_sign);
        t.measure("crate_p256_ecdh", crate_p256_ecdh);
    }
    #[cfg(not(feature = "lib"))]
    t.measure("p256_ecdh", crate_p256_ecdh);
    t.measure("p256_ecdsa_verify", p256_ecdsa_verify);
    t.measure("p384_ecdh", p384_ecdh);
    t.measure("p384_ecdsa_verify", p384_ecdsa_verify);
    t.measure("rsa2048_pkcs1_verify", rsa2048_pkcs1_verify);
    t.measure("rsa2048_pss_verify", rsa2048_pss_verify);
    #[cfg(feature = "lib")]
    {
        t.measure("x25519", x25519);
        let r = x25519_rfc7748_vector_and_low_order_point();
        t.check(
            "x25519_rfc7748_vector_and_low_order_point",
            r.is_ok(),
            r.err().unwrap_or(""),
        );
        t.measure("own_rsa2048_pkcs1_verify", own_rsa2048_pkcs1_verify);
        t.measure("own_rsa2048_pkcs1_sign", own_rsa2048_pkcs1_sign);
        t.measure("own_rsa2048_pss_sign", own_rsa2048_pss_sign);
        t.measure("own_rsa2048_pss_verify", own_rsa2048_pss_verify);
        t.measure("own_p256_ecdsa_verify", own_p256_ecdsa_verify);
        t.measure("own_p384_ecdsa_verify", own_p384_ecdsa_verify);
    }
    TAMPER.store(true, core::sync::atomic::Ordering::Relaxed);
    t.check(
        "p256_ecdsa_rejects_tampered",
        p256_ecdsa_verify().is_ok(),
        "tampered message accepted",
    );
    t.check(
        "p384_ecdsa_rejects_tampered",
        p384_ecdsa_verify().is_ok(),
        "tampered message accepted",
    );
    t.check(
        "rsa2048_pkcs1_rejects_tampered",
        rsa2048_pkcs1_verify().is_ok(),
        "tampered message accepted",
    );
    t.check(
        "rsa2048_pss_rejects_tampered",
        rsa2048_pss_verify().is_ok(),
        "tampered message accepted",
    );
    #[cfg(feature = "lib")]
    {
        t.check(
            "own_rsa2048_pkcs1_rejects_tampered",
            own_rsa2048_pkcs1_verify().is_ok(),
            "tampered message accepted",
        );
        t.check(
            "own_rsa2048_pss_rejects_tampered",
            own_rsa2048_pss_verify().is_ok(),
            "tampered message accepted",
        );
        t.check(
            "own_p256_ecdsa_rejects_tampered",
            own_p256_ecdsa_verify().is_ok(),
            "tampered message accepted",
        );
        t.check(
            "own_p384_ecdsa_rejects_tampered",
            own_p384_ecdsa_verify().is_ok(),
            "tampered message accepted",
        );
    }
    #[cfg(feature = "lib")]
    t.check(
        "step_guard_contains_allocation_failure_and_panic",
        step_guard().is_ok(),
        "an allocation failing inside a step was not contained",
    );
    #[cfg(feature = "lib")]
    {
        let r = stack_wipe();
        t.check(
            "engine_stack_wiped_when_given_back",
            r.is_ok(),
            r.err().unwrap_or(""),
        );
    }
    #[cfg(feature = "lib")]
    {
        let r = slices();
        t.check(
            "slices_suspend_and_resume_steps",
            r.is_ok(),
            r.err().unwrap_or(""),
        );
    }
    #[cfg(feature = "lib")]
    handshake::run(&mut t);
    #[cfg(feature = "lib")]
    handshake::run_resume(&mut t);
    handshake::run_record16k(&mut t);
    #[cfg(feature = "lib")]
    handshake::run_server_resume(&mut t);
    handshake::run_ota(&mut t);
    #[cfg(not(feature = "lib"))]
    out!("skip tls_handshake: needs the library (feature `lib`)");
    out!("done pass={} fail={}", t.pass, t.fail);
    t.fail as i32
}

/// What a step wrote on its stack block (key material in its frames) is
/// wiped before the block goes back to the heap (`alloc::sdk_free` wipes
/// every block it frees).
#[cfg(feature = "lib")]
fn stack_wipe() -> Result<(), &'static str> {
    use espconn_secure::platform::{run_step, StepStack};
    for stack in [StepStack::Handshake, StepStack::Traffic] {
        let at = run_step(stack, || {
            let secret = core::hint::black_box([0x5Au8; 256]);
            core::hint::black_box(&secret).as_ptr() as usize
        })
        .map_err(|_| "step failed")?;
        // The block is free heap now; read it as its next owner would.
        // SAFETY: test firmware on its own first-fit heap (tests/chip/rt.c),
        // which leaves a freed block's payload in place; nothing has
        // allocated since the step.
        let left = (0..256)
            .filter(|&i| unsafe { core::ptr::read_volatile((at + i) as *const u8) } == 0x5A)
            .count();
        expect(left == 0, "a step's stack bytes left in the freed block")?;
    }
    Ok(())
}

/// The step guard on the real core: an allocation that cannot succeed,
/// inside a step on the dedicated stack and on the caller's, and a panic,
/// end in the library's panic handler, which abandons the step (the chip
/// goes on); registers and heap are intact afterwards.
#[cfg(feature = "lib")]
fn step_guard() -> Result<(), &'static str> {
    use espconn_secure::platform::{run_step, StepError, StepStack};
    const HUGE: usize = 1 << 30;
    let before = espconn_secure::platform::free_heap();
    for stack in [StepStack::Handshake, StepStack::Traffic, StepStack::Caller] {
        let r = run_step(stack, || {
            let v: alloc::vec::Vec<u8> =
                alloc::vec::Vec::with_capacity(core::hint::black_box(HUGE));
            v.capacity()
        });
        expect(
            r == Err(StepError::OutOfMemory { requested: HUGE }),
            "not reported as out of memory",
        )?;
    }
    // A panic inside a step (a bug) is contained the same way.
    let r = run_step(StepStack::Handshake, || {
        if core::hint::black_box(true) {
            panic!("deliberate panic inside a step");
        }
        0u32
    });
    expect(
        r == Err(StepError::Panic),
        "a panic inside a step was not contained",
    )?;
    let x = core::hint::black_box(41u32);
    expect(
        run_step(StepStack::Caller, || x + 1) == Ok(42),
        "a step after an escape",
    )?;
    expect(
        run_step(StepStack::Handshake, || x + 2) == Ok(43),
        "a handshake-stack step after an escape",
    )?;
    expect(
        run_step(StepStack::Traffic, || x + 3) == Ok(44),
        "a traffic-stack step after an escape",
    )?;
    expect(
        espconn_secure::platform::free_heap() == before,
        "heap not returned",
    )
}

/// Suspendable steps on the real core (src/platform/slice.rs, the guard's
/// assembly in c-shim/esp8266/chip_rt.c): a step whose public-key operations
/// each come in a slice of their own keeps its registers and locals across
/// the suspensions and returns its result; other steps run between its
/// slices; an allocation failure in a resumed slice abandons it cleanly; a
/// suspended step that is dropped gives its stack back.
#[cfg(feature = "lib")]
fn slices() -> Result<(), &'static str> {
    use espconn_secure::platform::slice::{
        callback_begins, public_key_op, resume_step, start_step, Slice,
    };
    use espconn_secure::platform::{run_step, StepError, StepStack};
    const HUGE: usize = 1 << 30;
    let before = espconn_secure::platform::free_heap();
    // Three "operations", each after the first in a slice of its own.
    fn work(seed: u32) -> u32 {
        let mut acc = core::hint::black_box(seed);
        for i in 0..3u32 {
            public_key_op(0);
            acc = acc.wrapping_mul(31).wrapping_add(core::hint::black_box(i));
        }
        acc
    }
    let expected = {
        let mut acc = 7u32;
        for i in 0..3u32 {
            acc = acc.wrapping_mul(31).wrapping_add(i);
        }
        acc
    };
    callback_begins();
    // SAFETY: the closure borrows nothing.
    let mut slice = unsafe { start_step(StepStack::Handshake, || work(7)) };
    let mut suspensions = 0;
    let r = loop {
        match slice {
            Slice::Done(r) => break r,
            Slice::Suspended(s) => {
                suspensions += 1;
                expect(
                    espconn_secure::platform::slice::steps_suspended() == 1,
                    "a suspended step is counted",
                )?;
                // Another step between two slices, as another callback would.
                expect(
                    run_step(StepStack::Handshake, || 5u32 + 1) == Ok(6),
                    "a step between slices",
                )?;
                callback_begins();
                slice = resume_step::<u32>(s);
            }
        }
    };
    expect(r == Ok(expected), "the step's result after its suspensions")?;
    expect(
        espconn_secure::platform::slice::steps_suspended() == 0,
        "a finished step is not counted",
    )?;
    expect(
        suspensions == 2,
        "one suspension before each further operation",
    )?;
    // An allocation failure in a resumed slice abandons the step.
    callback_begins();
    // SAFETY: as above.
    let slice = unsafe {
        start_step(StepStack::Handshake, || {
            public_key_op(0);
            public_key_op(0);
            let v: alloc::vec::Vec<u8> =
                alloc::vec::Vec::with_capacity(core::hint::black_box(HUGE));
            v.capacity()
        })
    };
    let Slice::Suspended(s) = slice else {
        return Err("the second operation did not suspend the step");
    };
    callback_begins();
    let r = match resume_step::<usize>(s) {
        Slice::Done(r) => r,
        Slice::Suspended(_) => return Err("suspended again"),
    };
    expect(
        r == Err(StepError::OutOfMemory { requested: HUGE }),
        "not reported as out of memory",
    )?;
    // A suspended step dropped: its stack goes back.
    callback_begins();
    // SAFETY: as above.
    let slice = unsafe {
        start_step(StepStack::Handshake, || {
            public_key_op(0);
            public_key_op(0);
            1u32
        })
    };
    expect(
        matches!(slice, Slice::Suspended(_)),
        "the second operation did not suspend the step",
    )?;
    drop(slice);
    expect(
        espconn_secure::platform::slice::steps_suspended() == 0,
        "a dropped step is not counted",
    )?;
    // An operation that needs more heap than the connection's arena and
    // the SDK heap can give refuses its step, saying both figures.
    let arena = espconn_secure::platform::alloc::Arena::new().map_err(|_| "no arena")?;
    callback_begins();
    let r = run_step(StepStack::Handshake, || {
        arena.enter(|| {
            public_key_op(HUGE);
            1u32
        })
    });
    expect(
        matches!(r, Err(StepError::Refused { needed, free }) if needed > free as usize),
        "an operation beyond the heap did not refuse its step",
    )?;
    drop(arena);
    expect(
        espconn_secure::platform::free_heap() == before,
        "heap not returned",
    )
}

#[cfg(not(feature = "lib"))]
mod own_runtime {
    use core::alloc::{GlobalAlloc, Layout};

    extern "C" {
        fn pvPortMalloc(size: usize, file: *const u8, line: u32, iram: u8) -> *mut u8;
        fn vPortFree(p: *mut u8, file: *const u8, line: u32);
        fn chip_exit(code: i32) -> !;
    }

    struct Sdk;

    // SAFETY: the test runtime's allocator returns 8-byte aligned blocks.
    unsafe impl GlobalAlloc for Sdk {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            if l.align() > 8 {
                return core::ptr::null_mut();
            }
            unsafe { pvPortMalloc(l.size(), c"".as_ptr().cast(), 0, 0) }
        }
        unsafe fn dealloc(&self, p: *mut u8, _l: Layout) {
            unsafe { vPortFree(p, c"".as_ptr().cast(), 0) }
        }
    }

    #[global_allocator]
    static A: Sdk = Sdk;

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        use core::fmt::Write;
        let _ = writeln!(super::Out, "FAIL panic: {}", info.message());
        unsafe { chip_exit(99) }
    }
}
