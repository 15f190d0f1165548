//! Building a connection's TLS parameters when its handshake starts: CA and
//! own identity from flash (re-read at every handshake, as the vendor does),
//! the host name, the clock, and the record-size cap.

use alloc::string::String;

use crate::certs::bundle::Bundle;
use crate::error::{code, Failure};
use crate::fail;
use crate::tls::{
    session, CaBundle, ClientParams, Pins, ServerParams, TimeSource, TlsClient, TlsServer,
    MAX_SEND_PLAINTEXT,
};

use super::records;
use super::settings::{self, DefaultObject, Side};
use super::{Engine, Start};

/// How the client connection of the user's espconn at `key` to `peer`
/// (IPv4 address, port) builds its engine when TCP is up.
pub fn client_start(key: usize, peer: ([u8; 4], u16)) -> Start {
    Start {
        build: client_engine,
        key,
        peer,
    }
}

fn client_engine(key: usize, peer: ([u8; 4], u16)) -> Result<Engine, Failure> {
    Ok(TlsClient::new(client_params(key, peer)?)?.into_session())
}

/// How an accepted connection builds its engine: the default certificate
/// and key (and client CA). Only this function's reference reaches the
/// rustls server (see [`Start`]).
pub fn server_start() -> Start {
    Start {
        build: server_engine,
        key: 0,
        peer: ([0; 4], 0),
    }
}

fn server_engine(_: usize, _: ([u8; 4], u16)) -> Result<Engine, Failure> {
    Ok(TlsServer::new(server_params()?)?.into_session())
}

/// Parameters for the client connection of the user's espconn at `key` to
/// `peer` (IPv4 address, port).
pub fn client_params(key: usize, peer: ([u8; 4], u16)) -> Result<ClientParams, Failure> {
    let (hashes, count) = records::pins(key)?;
    let pins = (count != 0).then_some(Pins {
        hashes,
        count,
        time: TimeSource::Named(known_now),
    });
    let mut bundle = None;
    let roots = match settings::ca_sector(Side::Client) {
        Some(sector) => match ca_from_sector(sector)? {
            Ca::List(list) => Some(list),
            // Only its header and index were read; the anchor the chain
            // needs is read while verifying.
            Ca::Bundle(b) => {
                bundle = Some(b);
                None
            }
        },
        None if pins.is_some() => {
            crate::log!("espconn_secure: CA not enabled: the server is authenticated by its public-key pin only ({} pin(s))", count);
            if known_now().is_none() {
                crate::log!("espconn_secure: warning: SNTP not synchronised and no clock set: the pinned certificate's dates are not checked");
            }
            None
        }
        None => {
            crate::log!("espconn_secure: warning: CA not enabled: the server is NOT authenticated");
            None
        }
    };
    let identity = match settings::cert_sector(Side::Client) {
        Some(sector) => Some(
            crate::certs::load_identity_sector_within(sector, flash_reader, &mut room)?
                .into_parts(),
        ),
        None => None,
    };
    let hostname = match records::hostname(key) {
        Ok(Some(h)) => Some(
            String::from_utf8(h)
                .map_err(|_| fail!(code::SSL_BAD_INPUT_DATA, "host name is not UTF-8"))?,
        ),
        Ok(None) => {
            if roots.is_some() || bundle.is_some() {
                crate::log!("espconn_secure: warning: no host name set: certificate name not checked (espconn_secure_set_hostname)");
            }
            None
        }
        Err(f) => return Err(f),
    };
    if roots.is_some() || bundle.is_some() {
        log_clock();
    }
    let time = TimeSource::Named(library_now);
    let mut p = ClientParams {
        roots,
        bundle,
        hostname,
        identity,
        time,
        max_record: settings::record_cap(),
        tls13: true,
        alpn: records::alpn(key)?,
        session: None,
        pins,
        fragment_length: settings::fragment_length(),
    };
    // Sessions are looked up under everything the server's verification
    // depended on; the binding also lets espconn_secure_session_save find
    // this connection's session after it ended.
    if session::enabled() {
        let b = session::binding(&p, peer);
        records::set_binding(key, b);
        p.session = Some(b);
    }
    Ok(p)
}

/// What `espconn_secure_ca_enable`'s sector holds.
enum Ca {
    /// A vendor image or raw PEM/DER: its certificates, loaded.
    List(alloc::vec::Vec<crate::certs::CertificateDer<'static>>),
    /// A CA bundle (`espcert bundle`), its header and index checked.
    Bundle(CaBundle),
}

fn ca_from_sector(sector: u32) -> Result<Ca, Failure> {
    Ok(match Bundle::open(sector, flash_reader)? {
        Some(bundle) => Ca::Bundle(CaBundle {
            bundle,
            read: flash_reader,
        }),
        None => Ca::List(crate::certs::load_ca_sector_within(
            sector,
            flash_reader,
            &mut room,
        )?),
    })
}

/// Parameters for an accepted server connection: the default certificate and
/// key (`espconn_secure_set_default_*`, PEM or DER) and, with
/// `espconn_secure_ca_enable(ESPCONN_SERVER, ..)`, the CA(s) that client
/// certificates must chain to (then required).
pub fn server_params() -> Result<ServerParams, Failure> {
    let chain = match settings::copy_default(DefaultObject::Certificate)? {
        Some(bytes) => crate::certs::certificates(&bytes)
            .map_err(|e| fail!(e.code, "default certificate: {}", e.reason))?,
        None => return Err(fail!(
            code::SSL_CERTIFICATE_REQUIRED,
            "no server certificate: call espconn_secure_set_default_certificate before espconn_secure_accept (espconn_secure_delete forgets it)"
        )),
    };
    let key = match settings::copy_default(DefaultObject::PrivateKey)? {
        Some(bytes) => {
            let key = crate::certs::private_key(&bytes)
                .map_err(|e| fail!(e.code, "default private key: {}", e.reason));
            settings::wipe(bytes);
            key?
        }
        None => return Err(fail!(
            code::SSL_PRIVATE_KEY_REQUIRED,
            "no server private key: call espconn_secure_set_default_private_key before espconn_secure_accept (espconn_secure_delete forgets it)"
        )),
    };
    if let Some(leaf) = chain.first() {
        crate::certs::keys::key_matches_cert_cheap(key.der(), leaf)
            .map_err(|e| fail!(e.code, "default certificate and key: {}", e.reason))?;
    }
    let mut client_bundle = None;
    let client_roots = match settings::ca_sector(Side::Server) {
        Some(sector) => match ca_from_sector(sector)? {
            Ca::List(list) => Some(list),
            // The server's verifier loads every anchor of it.
            Ca::Bundle(b) => {
                room(b.bundle.len)?;
                client_bundle = Some(b);
                None
            }
        },
        None => None,
    };
    if client_roots.is_some() || client_bundle.is_some() {
        log_clock();
    }
    Ok(ServerParams {
        chain,
        key: key.clone_der(),
        client_roots,
        client_bundle,
        time: TimeSource::Named(library_now),
        max_record: settings::record_cap(),
        tls13: cfg!(feature = "tls13"),
        max_fragment: MAX_SEND_PLAINTEXT,
        resumption: None,
        session_cache: crate::tls::server_session::enabled(),
    })
}

/// Which clock certificate dates are checked against, in order of
/// preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// SNTP has synchronised (`sntp_get_current_timestamp()` is not 0).
    Sntp,
    /// The time set with `espconn_secure_set_time`, running on since.
    Set,
    /// Neither: the library's build time ([`BUILD_TIME`]).
    BuildTime,
}

impl Clock {
    /// How reasons and the log name it.
    pub fn name(self) -> &'static str {
        match self {
            Clock::Sntp => "SNTP",
            Clock::Set => "set by espconn_secure_set_time",
            Clock::BuildTime => "the library's build time",
        }
    }
}

/// The time and the clock it came from: SNTP once synchronised (it wins
/// over a time set by the program), else the clock set with
/// `espconn_secure_set_time`, else the build time (warned about at
/// handshake start).
pub fn clock_now() -> (u64, Clock) {
    if let Some(t) = crate::platform::sntp_time() {
        return (t, Clock::Sntp);
    }
    match crate::platform::clock::now() {
        Some(t) => (t, Clock::Set),
        None => (BUILD_TIME, Clock::BuildTime),
    }
}

fn library_now() -> Option<(u64, &'static str)> {
    let (t, c) = clock_now();
    Some((t, c.name()))
}

/// The time for a pinned certificate's dates when no CA is enabled: SNTP or
/// the set clock; `None` (the time is unknown, the dates are not checked)
/// when only the build time is left.
fn known_now() -> Option<(u64, &'static str)> {
    match clock_now() {
        (_, Clock::BuildTime) => None,
        (t, c) => Some((t, c.name())),
    }
}

/// One line at handshake start when dates are checked against anything but
/// SNTP, naming the clock used.
fn log_clock() {
    match clock_now() {
        (_, Clock::Sntp) => {}
        (t, Clock::Set) => crate::log!(
            "espconn_secure: SNTP not synchronised: dates checked against the clock set by espconn_secure_set_time ({})",
            crate::tls::Date(t)
        ),
        (t, Clock::BuildTime) => crate::log!(
            "espconn_secure: warning: SNTP not synchronised: dates checked against the library's build time ({}; espconn_secure_set_time sets a clock)",
            crate::tls::Date(t)
        ),
    }
}

/// The library's build time (Unix seconds), the fallback clock for date
/// checks before SNTP has synchronised: the time the archive was built
/// (`scripts/esp8266/build.sh` sets it for every chip archive; the choice is
/// `build_support/build_time.rs`).
pub const BUILD_TIME: u64 = parse_u64(env!("ESPCONN_SECURE_BUILD_TIME"));

const fn parse_u64(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u64;
    while i < b.len() {
        v = v * 10 + (b[i] - b'0') as u64;
        i += 1;
    }
    v
}

/// Certificates load on the SDK heap before the engine exists: refuse cleanly
/// (with both numbers) when an image could not be loaded and parsed in what
/// is free, rather than run out half-way.
fn room(bytes: usize) -> Result<(), Failure> {
    let free = crate::platform::free_heap();
    if (free as usize) < bytes {
        return Err(super::oom("the certificates", bytes, free));
    }
    Ok(())
}

fn flash_reader(addr: u32, buf: &mut [u32]) -> bool {
    crate::platform::flash_read(addr, buf)
}

#[cfg(test)]
mod tests {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/build_support/build_time.rs"
    ));

    #[test]
    fn the_archive_builds_time_wins_over_source_date_epoch_and_the_clock() {
        assert_eq!(
            choose_build_time(Some("1700000000"), Some("1"), 5),
            1_700_000_000
        );
        assert_eq!(
            choose_build_time(None, Some("1600000000"), 5),
            1_600_000_000
        );
        assert_eq!(choose_build_time(None, None, 5), 5);
        assert_eq!(choose_build_time(Some("soon"), Some(""), 5), 5);
    }
}
