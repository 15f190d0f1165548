//! SHA-256 (FIPS 180-4) with a compression function shaped for the LX106.
//!
//! The `sha2` crate's portable compression, built at opt-level "z", costs
//! 9.3 k instructions for a one-block digest on the LX106 (BearSSL: ~4.1 k
//! per block). Here the 64 rounds run as four groups of 16 unrolled rounds,
//! so that the eight working variables never move (each round names them in
//! rotated order); before each group after the first, an unrolled block
//! extends the message schedule in place in a 16-word ring, so that each
//! round reads its word and constant at fixed offsets and the working
//! variables keep the registers. The LX106 has no rotate instruction (LLVM
//! makes each rotation three), so Ch and Maj take their shortest forms.
//!
//! Variants measured (`lx106_sha256_compress`, instructions per block, and
//! code size): all 64 rounds rolled 7.6 k (0.6 KB); eight rounds unrolled,
//! the schedule a rolled loop 6.35 k (1.4 KB); sixteen rounds unrolled with
//! the schedule inside the rounds 5.65 k; the schedule unrolled before each
//! group of sixteen 5.3 k (~3 KB, this one). A 55-byte digest
//! (`lx106_sha256_block`): 8.1 k, the `sha2` crate's 9.3 k.
//!
//! [`Sha256`] is what the crate hashes with wherever it hashes with SHA-256:
//! the transcript and HMAC (PRF, HKDF), the signature verifications webpki
//! runs through our algorithms, session keys and `x509::spki_sha256` (the
//! pin check in src/tls/verifier.rs still names `sha2`). With the feature
//! `sha256-lx106` (in `profile-full`) it is the `CoreWrapper` of
//! [`Sha256Core`]; without it, the `sha2` crate's, because p256's ECDSA
//! signing (RFC 6979) keeps that one linked anyway and ours would add ~5 KB
//! of flash for ~0.1 M instructions per handshake.

// Without the feature the implementation is compiled for its tests only.
#![cfg_attr(not(feature = "sha256-lx106"), allow(dead_code))]

use digest::block_buffer::Eager;
use digest::core_api::{
    AlgorithmName, Block, BlockSizeUser, Buffer, BufferKindUser, CoreWrapper, FixedOutputCore,
    OutputSizeUser, Reset, UpdateCore,
};
use digest::typenum::{U32, U64};
use digest::{HashMarker, Output};
use zeroize::Zeroize;

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// One round with round constant `k` and message word `w`, the working
/// variables named in their order for this round: `d` and `h` are the two it
/// writes.
macro_rules! round {
    ($k:expr, $w:expr, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident) => {
        let t1 = $h
            .wrapping_add($e.rotate_right(6) ^ $e.rotate_right(11) ^ $e.rotate_right(25))
            .wrapping_add($g ^ ($e & ($f ^ $g)))
            .wrapping_add($k)
            .wrapping_add($w);
        let t2 = ($a.rotate_right(2) ^ $a.rotate_right(13) ^ $a.rotate_right(22))
            .wrapping_add(($a & $b) | ($c & ($a | $b)));
        $d = $d.wrapping_add(t1);
        $h = t1.wrapping_add(t2);
    };
}

/// The next message words W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16],
/// in place in the 16-word ring, word `n` of it for each `n` given.
macro_rules! schedule {
    ($w:ident; $($n:literal)*) => {
        $(
            let w15 = $w[($n + 1) & 15];
            let w2 = $w[($n + 14) & 15];
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            $w[$n] = $w[$n]
                .wrapping_add(s0)
                .wrapping_add($w[($n + 9) & 15])
                .wrapping_add(s1);
        )*
    };
}

/// The compression function: `state` updated with one 64-byte `block`.
pub fn compress(state: &mut [u32; 8], block: &[u8]) {
    super::meter::span(super::meter::Op::Hash, || compress_block(state, block));
}

#[inline(never)]
fn compress_block(state: &mut [u32; 8], block: &[u8]) {
    let Some(block) = block.get(..64) else {
        return; // never: `digest` hands whole blocks
    };
    let mut w = [0u32; 16];
    for (i, x) in w.iter_mut().enumerate() {
        let j = 4 * i;
        *x = u32::from_be_bytes([block[j], block[j + 1], block[j + 2], block[j + 3]]);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (group, k) in K.chunks_exact(16).enumerate() {
        // The ring stays in memory (each round loads its word at a fixed
        // offset): as 16 values in registers besides the eight working
        // variables it would spill on every round.
        core::hint::black_box(&mut w);
        if group > 0 {
            schedule!(w; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
            core::hint::black_box(&mut w);
        }
        round!(k[0], w[0], a, b, c, d, e, f, g, h);
        round!(k[1], w[1], h, a, b, c, d, e, f, g);
        round!(k[2], w[2], g, h, a, b, c, d, e, f);
        round!(k[3], w[3], f, g, h, a, b, c, d, e);
        round!(k[4], w[4], e, f, g, h, a, b, c, d);
        round!(k[5], w[5], d, e, f, g, h, a, b, c);
        round!(k[6], w[6], c, d, e, f, g, h, a, b);
        round!(k[7], w[7], b, c, d, e, f, g, h, a);
        round!(k[8], w[8], a, b, c, d, e, f, g, h);
        round!(k[9], w[9], h, a, b, c, d, e, f, g);
        round!(k[10], w[10], g, h, a, b, c, d, e, f);
        round!(k[11], w[11], f, g, h, a, b, c, d, e);
        round!(k[12], w[12], e, f, g, h, a, b, c, d);
        round!(k[13], w[13], d, e, f, g, h, a, b, c);
        round!(k[14], w[14], c, d, e, f, g, h, a, b);
        round!(k[15], w[15], b, c, d, e, f, g, h, a);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
    w.zeroize();
}

/// SHA-256's block-level state for `digest`'s `CoreWrapper`.
#[derive(Clone)]
pub struct Sha256Core {
    h: [u32; 8],
    blocks: u64,
}

/// SHA-256 as a `digest::Digest`: ours.
#[cfg(feature = "sha256-lx106")]
pub type Sha256 = CoreWrapper<Sha256Core>;
/// SHA-256 as a `digest::Digest`: the `sha2` crate's.
#[cfg(not(feature = "sha256-lx106"))]
pub type Sha256 = sha2::Sha256;

impl HashMarker for Sha256Core {}

impl BlockSizeUser for Sha256Core {
    type BlockSize = U64;
}

impl BufferKindUser for Sha256Core {
    type BufferKind = Eager;
}

impl OutputSizeUser for Sha256Core {
    type OutputSize = U32;
}

impl UpdateCore for Sha256Core {
    fn update_blocks(&mut self, blocks: &[Block<Self>]) {
        self.blocks = self.blocks.wrapping_add(blocks.len() as u64);
        for b in blocks {
            compress(&mut self.h, b);
        }
    }
}

impl FixedOutputCore for Sha256Core {
    fn finalize_fixed_core(&mut self, buffer: &mut Buffer<Self>, out: &mut Output<Self>) {
        let bits = self
            .blocks
            .wrapping_mul(64)
            .wrapping_add(buffer.get_pos() as u64)
            .wrapping_mul(8);
        let mut h = self.h;
        buffer.len64_padding_be(bits, |b| compress(&mut h, b));
        for (o, v) in out.chunks_exact_mut(4).zip(h) {
            o.copy_from_slice(&v.to_be_bytes());
        }
        h.zeroize();
    }
}

impl Default for Sha256Core {
    fn default() -> Self {
        Sha256Core { h: H0, blocks: 0 }
    }
}

impl Reset for Sha256Core {
    fn reset(&mut self) {
        *self = Self::default();
    }
}

impl AlgorithmName for Sha256Core {
    fn write_alg_name(f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sha256")
    }
}

impl Drop for Sha256Core {
    fn drop(&mut self) {
        self.h.zeroize();
    }
}

impl core::fmt::Debug for Sha256Core {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sha256Core { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use digest::Digest;

    /// Ours, whatever the feature says.
    type Own = CoreWrapper<Sha256Core>;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| alloc::format!("{x:02x}")).collect()
    }

    #[test]
    fn nist_fips180_examples() {
        // FIPS 180-2 appendix B / NIST CSRC examples.
        let cases: [(&[u8], &str); 4] = [
            (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(hex(&Own::digest(msg)), want);
        }
        let mut h = Own::new();
        for _ in 0..1000 {
            h.update([b'a'; 1000]);
        }
        assert_eq!(
            hex(&h.finalize()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn matches_sha2_on_random_inputs_and_splits() {
        let mut s = 0x5A5A_1234_u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for len in (0..300).chain([511, 512, 513, 1000, 4096]) {
            let msg: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let want = sha2::Sha256::digest(&msg);
            assert_eq!(Own::digest(&msg), want, "len {len}");
            // The same bytes in uneven pieces, and a fork of the state.
            let mut h = Own::new();
            let mut rest = &msg[..];
            while !rest.is_empty() {
                let n = (next() as usize % 70).min(rest.len());
                h.update(&rest[..n]);
                rest = &rest[n..];
            }
            let fork = h.clone();
            assert_eq!(h.finalize(), want, "len {len}, split");
            assert_eq!(fork.finalize(), want, "len {len}, fork");
        }
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        use hmac::{Mac, SimpleHmac};
        let mut m = <SimpleHmac<Own> as Mac>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
