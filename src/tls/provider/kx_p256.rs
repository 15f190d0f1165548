//! The secp256r1 key exchange group over our P-256 arithmetic
//! (`ec_p256`: constant-time multiplications for the ephemeral secret).

use alloc::boxed::Box;

use p256::elliptic_curve::ff::PrimeField;
use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved};
use zeroize::Zeroizing;

use super::ec_p256;
use crate::tls::rng::Rng;

#[derive(Debug)]
pub struct Secp256r1;

struct Active {
    /// The ephemeral scalar, 1 ≤ k < n, big-endian; wiped when dropped.
    secret: Zeroizing<[u8; 32]>,
    public: [u8; 65],
}

impl SupportedKxGroup for Secp256r1 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        crate::platform::slice::public_key_op(crate::tls::provider::cost::KX_START);
        let mut rng = Rng::new();
        // Uniform in 1..n by rejection (the `p256` crate's sampling).
        let scalar = p256::NonZeroScalar::random(&mut rng);
        if rng.failed() {
            return Err(Error::FailedToGetRandomBytes);
        }
        let secret = Zeroizing::new(<[u8; 32]>::from(scalar.to_repr()));
        let public = ec_p256::public_key(&secret)
            .ok_or_else(|| Error::General("P-256 key generation failed".into()))?;
        Ok(Box::new(Active { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}

impl ActiveKeyExchange for Active {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        crate::platform::slice::public_key_op(crate::tls::provider::cost::kx_complete());
        // Only the uncompressed form, on the curve (RFC 8422 5.1.2, RFC 8446
        // 4.2.8.2); the point at infinity has no such encoding.
        let shared = Zeroizing::new(
            ec_p256::ecdh(&self.secret, peer)
                .ok_or(Error::from(PeerMisbehaved::InvalidKeyShare))?,
        );
        Ok(SharedSecret::from(&shared[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    /// Both sides of an exchange against the `p256` crate's ECDH.
    #[test]
    fn agrees_with_the_p256_crate_both_ways() {
        for _ in 0..8 {
            let ours = Secp256r1.start().unwrap();
            let theirs = p256::ecdh::EphemeralSecret::random(&mut Rng::new());
            let their_pub = theirs.public_key().to_encoded_point(false);
            let our_pub = p256::PublicKey::from_sec1_bytes(ours.pub_key()).unwrap();
            let want = theirs.diffie_hellman(&our_pub);
            let got = ours.complete(their_pub.as_bytes()).unwrap();
            assert_eq!(got.secret_bytes(), &want.raw_secret_bytes()[..]);
        }
    }

    #[test]
    fn refuses_shares_that_are_not_uncompressed_points_on_the_curve() {
        let theirs = p256::ecdh::EphemeralSecret::random(&mut Rng::new());
        let good = theirs.public_key().to_encoded_point(false);
        let compressed = theirs.public_key().to_encoded_point(true);
        let mut off_curve = good.as_bytes().to_vec();
        off_curve[64] ^= 1;
        let mut x_is_p = good.as_bytes().to_vec();
        x_is_p[1..33].copy_from_slice(&[
            0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let bad: [&[u8]; 6] = [
            compressed.as_bytes(),
            &off_curve,
            &x_is_p,
            &good.as_bytes()[..64],
            &[0],
            &[],
        ];
        for (i, share) in bad.into_iter().enumerate() {
            let ours = Secp256r1.start().unwrap();
            assert!(ours.complete(share).is_err(), "case {i}");
        }
    }
}
