//! Ephemeral key exchange groups (X25519, secp256r1, secp384r1).
//!
//! Keys are generated from [`crate::tls::rng::Rng`]; a failed RNG read
//! discards the key and fails the handshake instead of using weak randomness.

use alloc::boxed::Box;
#[cfg(feature = "kx-p384")]
use alloc::vec::Vec;

use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved};

use crate::tls::rng::Rng;

#[cfg(feature = "kx-x25519")]
pub use x25519::X25519;

#[cfg(feature = "kx-x25519")]
mod x25519 {
    use super::*;
    use crate::tls::provider::meter;
    use crate::tls::provider::x25519 as x;
    use zeroize::Zeroizing;

    /// X25519 (RFC 7748), src/tls/provider/x25519.rs.
    #[derive(Debug)]
    pub struct X25519;

    struct Active {
        secret: Zeroizing<[u8; 32]>,
        public: [u8; 32],
    }

    impl SupportedKxGroup for X25519 {
        fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
            crate::platform::slice::public_key_op(crate::tls::provider::cost::KX_START);
            let mut secret = Zeroizing::new([0u8; 32]);
            crate::tls::rng::fill(&mut secret[..]).map_err(|_| Error::FailedToGetRandomBytes)?;
            let public = meter::span(meter::Op::Kx, || x::public_key(&secret));
            Ok(Box::new(Active { secret, public }))
        }

        fn name(&self) -> NamedGroup {
            NamedGroup::X25519
        }
    }

    impl ActiveKeyExchange for Active {
        fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
            crate::platform::slice::public_key_op(crate::tls::provider::cost::kx_complete());
            let peer: &[u8; 32] = peer
                .try_into()
                .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
            let shared =
                Zeroizing::new(meter::span(meter::Op::Kx, || x::x25519(&self.secret, peer)));
            // An all-zero result means the peer sent a low-order point.
            if x::is_zero(&shared) {
                return Err(PeerMisbehaved::InvalidKeyShare.into());
            }
            Ok(SharedSecret::from(&shared[..]))
        }

        fn pub_key(&self) -> &[u8] {
            &self.public
        }

        fn group(&self) -> NamedGroup {
            NamedGroup::X25519
        }
    }
}

/// A NIST curve group over the `p384` crate (P-256 is ours: kx_p256.rs).
#[cfg(feature = "kx-p384")]
macro_rules! nist_group {
    ($modname:ident, $ty:ident, $curve:ident, $group:expr) => {
        mod $modname {
            use super::*;
            use $curve::elliptic_curve::sec1::ToEncodedPoint;

            #[derive(Debug)]
            pub struct $ty;

            struct Active {
                secret: $curve::ecdh::EphemeralSecret,
                public: Vec<u8>,
            }

            impl SupportedKxGroup for $ty {
                fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
                    crate::platform::slice::public_key_op(crate::tls::provider::cost::KX_START);
                    let mut rng = Rng::new();
                    let secret = $curve::ecdh::EphemeralSecret::random(&mut rng);
                    if rng.failed() {
                        return Err(Error::FailedToGetRandomBytes);
                    }
                    let public = secret
                        .public_key()
                        .to_encoded_point(false)
                        .as_bytes()
                        .to_vec();
                    Ok(Box::new(Active { secret, public }))
                }

                fn name(&self) -> NamedGroup {
                    $group
                }
            }

            impl ActiveKeyExchange for Active {
                fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
                    crate::platform::slice::public_key_op(crate::tls::provider::cost::kx_complete());
                    // TLS allows only the uncompressed form (RFC 8422 5.1.2, RFC 8446 4.2.8.2).
                    if peer.first() != Some(&4) {
                        return Err(PeerMisbehaved::InvalidKeyShare.into());
                    }
                    let their = $curve::PublicKey::from_sec1_bytes(peer)
                        .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
                    let shared = self.secret.diffie_hellman(&their);
                    Ok(SharedSecret::from(&shared.raw_secret_bytes()[..]))
                }

                fn pub_key(&self) -> &[u8] {
                    &self.public
                }

                fn group(&self) -> NamedGroup {
                    $group
                }
            }
        }
    };
}

#[cfg(feature = "kx-p256")]
pub use super::kx_p256::Secp256r1;

#[cfg(feature = "kx-p384")]
nist_group!(p384_kx, Secp384r1, p384, NamedGroup::secp384r1);
#[cfg(feature = "kx-p384")]
pub use p384_kx::Secp384r1;
