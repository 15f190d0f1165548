//! Server exports: accept, delete, the default certificate and key, and the
//! SDK callback for accepted TCP connections.
//!
//! The user's listening espconn itself goes to `espconn_accept`, so that the
//! SDK's per-listener calls keep working on it as on a plain server:
//! `espconn_tcp_set_max_con_allow` bounds the TLS clients,
//! `espconn_tcp_get_max_con_allow`, `espconn_regist_time` and
//! `espconn_get_connection_info` see its connections. While the server runs,
//! the listener's TCP callbacks are the library's (the user's are kept aside
//! and put back by `espconn_secure_delete`), so the SDK hands every accepted
//! connection to TLS first. Each one comes with its own SDK-allocated espconn;
//! the library gives it a [`Slot`] whose user-facing espconn is a fresh copy
//! of the listening one (the vendor's `accept_conn`: the user's callbacks,
//! ports and `reverse`, plus the peer's address). Connect, recv and sent
//! callbacks receive that copy; disconnect and reconnect callbacks receive the
//! listening espconn, after the copy's fields were written back into it
//! (vendor §3.7). One secure server at a time, as the vendor.

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

use super::client::{on_tcp_disconnect, on_tcp_error, on_tcp_recv, on_tcp_sent};
use super::types::*;
use super::{drive, new_slot, register, Slot, SlotInit, SLOTS};
use crate::conn::records;
use crate::conn::settings::{self, DefaultObject};
use crate::conn::setup::server_start;
use crate::conn::Role;
use crate::platform::alloc::SdkBox;
use crate::platform::sdk::{
    self, ret, state, ConnectCb, EspTcp, Espconn, ReconnectCb, RecvCb, SentCb,
};
use crate::tls::server_session;

/// The listener's own callbacks, kept while the library's are installed in it.
#[derive(Clone, Copy)]
struct UserCallbacks {
    connect: Option<ConnectCb>,
    reconnect: Option<ReconnectCb>,
    disconnect: Option<ConnectCb>,
    recv: Option<RecvCb>,
    sent: Option<SentCb>,
}

struct SavedCell(UnsafeCell<UserCallbacks>);

// SAFETY: NONOS runs everything on one thread; the cell is only touched from
// the SDK's task context (API calls and SDK callbacks).
unsafe impl Sync for SavedCell {}

static SAVED: SavedCell = SavedCell(UnsafeCell::new(UserCallbacks {
    connect: None,
    reconnect: None,
    disconnect: None,
    recv: None,
    sent: None,
}));

fn saved() -> UserCallbacks {
    // SAFETY: single-threaded; copied out, no reference kept.
    unsafe { *SAVED.0.get() }
}

/// `server_session::forget_all`, installed by `espconn_secure_accept` and
/// called by `espconn_secure_delete` of the server: through this pointer, so
/// that a client firmware calling `espconn_secure_delete` links no server
/// session code (docs/SIZE.md).
static FORGET_SESSIONS: spin::Mutex<Option<fn()>> = spin::Mutex::new(None);

/// The user's listening espconn while a secure server exists.
static SERVER: AtomicPtr<Espconn> = AtomicPtr::new(core::ptr::null_mut());

/// Live TLS connections of the secure server.
fn server_connections() -> usize {
    SLOTS
        .iter()
        .map(|s| s.load(Ordering::Acquire))
        // SAFETY: registered slots are live until unregistered.
        .filter(|&p| !p.is_null() && unsafe { !(*p).listener.is_null() })
        .count()
}

/// Start the TLS server on `espconn->proto.tcp->local_port` (all addresses).
///
/// Several TLS clients may be connected at once (the vendor allowed one),
/// within the SDK's TCP connection limits. Requires the certificate and key
/// set with `espconn_secure_set_default_certificate` / `_private_key`; with
/// `espconn_secure_ca_enable(ESPCONN_SERVER, sector)` clients must present a
/// certificate issued by a CA in that sector.
///
/// Returns ESPCONN_OK with `state = ESPCONN_LISTEN`; ESPCONN_ARG (-12) for
/// NULL or a non-TCP espconn; ESPCONN_INPROGRESS (-5) when a secure server
/// already exists (one at a time, as the vendor); ESPCONN_MEM (-1) when the
/// SDK cannot listen on the port.
///
/// # Safety
/// `espconn` must be NULL or point to the caller's `struct espconn` with a
/// valid `proto.tcp`; both must stay valid until `espconn_secure_delete`.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_accept(espconn: *mut Espconn) -> sint8 {
    // SAFETY: NULL or the caller's espconn (this function's contract).
    let Some(user) = (unsafe { super::tcp_espconn(espconn) }) else {
        return ret::ARG;
    };
    crate::platform::chip_init();
    if !SERVER.load(Ordering::Acquire).is_null() {
        return ret::INPROGRESS;
    }
    // The listener reports the error of the connection that ended last: its
    // record exists before any connection can end.
    if !records::ensure(espconn as usize) {
        return ret::MEM;
    }
    // SAFETY: checked non-null above.
    let utcp = unsafe { &mut *user.tcp };
    let mine = UserCallbacks {
        connect: utcp.connect_callback,
        reconnect: utcp.reconnect_callback,
        disconnect: utcp.disconnect_callback,
        recv: user.recv_callback,
        sent: user.sent_callback,
    };
    utcp.connect_callback = Some(on_tcp_accepted);
    utcp.reconnect_callback = Some(on_tcp_error);
    utcp.disconnect_callback = Some(on_tcp_disconnect);
    user.recv_callback = Some(on_tcp_recv);
    user.sent_callback = Some(on_tcp_sent);
    // SAFETY: single-threaded; no server exists, so nothing reads it now.
    unsafe { *SAVED.0.get() = mine };
    // SAFETY: the user's listener stays valid until espconn_secure_delete
    // (vendor contract).
    let r = unsafe { sdk::espconn_accept(espconn) };
    if r != ret::OK {
        restore(user, mine);
        records::forget(espconn as usize);
        return if r == ret::ARG { ret::ARG } else { ret::MEM };
    }
    SERVER.store(espconn, Ordering::Release);
    *FORGET_SESSIONS.lock() = Some(server_session::forget_all);
    user.state = state::LISTEN;
    user.link_cnt = 0;
    ret::OK
}

/// Delete the secure server: stops listening and frees the default
/// certificate and key (set them again before the next accept), as the
/// vendor. Forgets the server's cached sessions and ticket keys (the cache
/// keeps its size). Returns ESPCONN_OK; ESPCONN_ARG (-12) when `espconn` is NULL or
/// not the secure server; ESPCONN_INPROGRESS (-5) while TLS clients are still
/// connected.
///
/// On a client espconn without a live TLS connection (not in the vendor
/// library): forgets everything set on it and reported about it (host name,
/// ALPN list, last error, session binding), so that a new espconn at the same
/// address starts with nothing. Call it before freeing an espconn on which a
/// host name or ALPN list was set. ESPCONN_OK; ESPCONN_INPROGRESS while its
/// connection is live; ESPCONN_ARG when the library has nothing for it.
///
/// # Safety
/// `espconn` must be NULL or point to a `struct espconn`.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_delete(espconn: *mut Espconn) -> sint8 {
    let server = SERVER.load(Ordering::Acquire);
    if espconn.is_null() {
        return ret::ARG;
    }
    if !core::ptr::eq(server, espconn) {
        if super::find_slot(espconn).is_some() {
            return ret::INPROGRESS;
        }
        return if records::forget(espconn as usize) {
            ret::OK
        } else {
            ret::ARG
        };
    }
    if server_connections() != 0 {
        return ret::INPROGRESS;
    }
    // SAFETY: the listener the SDK listens with.
    let r = unsafe { sdk::espconn_delete(espconn) };
    if r != ret::OK && r != ret::ARG {
        // The SDK still has accepted TCP connections on it.
        return ret::INPROGRESS;
    }
    SERVER.store(core::ptr::null_mut(), Ordering::Release);
    settings::clear_defaults();
    if let Some(forget) = *FORGET_SESSIONS.lock() {
        forget();
    }
    records::forget(espconn as usize);
    // SAFETY: the caller's espconn (checked equal to the live server's).
    let user = unsafe { &mut *espconn };
    restore(user, saved());
    user.state = state::CLOSE;
    user.link_cnt = 0;
    ret::OK
}

/// Put the user's own callbacks back into their listener.
fn restore(user: &mut Espconn, cb: UserCallbacks) {
    // SAFETY: `proto.tcp` was checked non-null when the server started and is
    // the user's esp_tcp.
    if let Some(t) = unsafe { user.tcp.as_mut() } {
        t.connect_callback = cb.connect;
        t.reconnect_callback = cb.reconnect;
        t.disconnect_callback = cb.disconnect;
    }
    user.recv_callback = cb.recv;
    user.sent_callback = cb.sent;
}

/// Let clients of `espconn_secure_accept` resume their sessions: an
/// abbreviated handshake without key exchange or signature (a client
/// reconnecting every few seconds saves nearly all of the handshake's time).
/// `entries` (1..8) session ids are kept for TLS 1.2 clients that do not use
/// tickets, 200 bytes of heap each, taken now; TLS 1.2 clients that
/// ask for tickets and TLS 1.3 clients get a ticket (one per connection):
/// the session encrypted with AES-128-GCM under a random key kept in RAM,
/// needing no entry (a TLS 1.2 client's first connection still takes one,
/// as its session id, least recently used replaced). The key changes every 6 hours of the library's
/// clock (SNTP or `espconn_secure_set_time`) and the previous one is kept for
/// another 6, so a ticket resumes for 6 to 12 hours; without a clock the key
/// lasts until restart. An unknown, expired or forged ticket or session id
/// means a full handshake, never a failure. 0 (the default) turns resumption
/// off and wipes the sessions and the key; `espconn_secure_delete` of the
/// server forgets them too. Applies to connections accepted after the call.
/// Returns false when `entries` is above 8 or the heap cannot hold the
/// entries (the previous setting is then kept).
#[no_mangle]
pub extern "C" fn espconn_secure_set_server_session_cache(entries: uint8) -> bool {
    server_session::set_capacity(entries)
}

/// Set the server's certificate (PEM, possibly a chain leaf first, or DER;
/// RSA 2048-4096 or EC P-256/P-384). The bytes are copied; parsed at each
/// handshake. Returns false for NULL, length 0 or above 8192, or no heap for
/// the copy. A second call replaces (and frees) the first.
///
/// # Safety
/// `certificate` must be NULL or point to `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_set_default_certificate(
    certificate: *const uint8,
    length: uint16,
) -> bool {
    // SAFETY: caller's contract.
    unsafe { set_default(DefaultObject::Certificate, certificate, length) }
}

/// Set the server's private key (PKCS#8, PKCS#1 or SEC1; PEM or DER; not
/// encrypted). Same rules as `espconn_secure_set_default_certificate`.
///
/// # Safety
/// `private_key` must be NULL or point to `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_set_default_private_key(
    private_key: *const uint8,
    length: uint16,
) -> bool {
    // SAFETY: caller's contract.
    unsafe { set_default(DefaultObject::PrivateKey, private_key, length) }
}

/// # Safety
/// `p` must be NULL or point to `len` readable bytes.
unsafe fn set_default(what: DefaultObject, p: *const u8, len: u16) -> bool {
    if p.is_null() || len == 0 {
        return false;
    }
    // SAFETY: caller's contract.
    let data = unsafe { core::slice::from_raw_parts(p, usize::from(len)) };
    settings::set_default(what, data)
}

/// The SDK accepted a TCP connection on the user's listener (whose connect
/// callback is this one while the server runs): `arg` is the SDK's own
/// espconn for it.
unsafe extern "C" fn on_tcp_accepted(arg: *mut c_void) {
    let sdk_conn = arg.cast::<Espconn>();
    let listener = SERVER.load(Ordering::Acquire);
    if sdk_conn.is_null() {
        return;
    }
    // SAFETY: the SDK passes a live espconn; we own its `reverse` from now on.
    // Its callbacks are the library's whatever the SDK copied from the
    // listener, so no byte of this connection can reach the user untouched.
    unsafe {
        (*sdk_conn).reverse = core::ptr::null_mut();
        (*sdk_conn).recv_callback = Some(on_tcp_recv);
        (*sdk_conn).sent_callback = Some(on_tcp_sent);
        if let Some(t) = (*sdk_conn).tcp.as_mut() {
            t.reconnect_callback = Some(on_tcp_error);
            t.disconnect_callback = Some(on_tcp_disconnect);
        }
    }
    if listener.is_null() {
        // SAFETY: as above.
        unsafe { sdk::espconn_disconnect(sdk_conn) };
        return;
    }
    // SAFETY: the user's listener is live while the server exists.
    let (ltcp, lrev) = unsafe {
        let l = &*listener;
        (*l.tcp, l.reverse)
    };
    let user_cb = saved();
    // SAFETY: as above; the SDK fills in the peer's address.
    let stcp = unsafe { *(*sdk_conn).tcp };
    let init = SlotInit {
        user: core::ptr::null_mut(),
        shadow: Espconn {
            type_: sdk::ESPCONN_TCP,
            state: state::NONE,
            tcp: core::ptr::null_mut(),
            recv_callback: user_cb.recv,
            sent_callback: user_cb.sent,
            link_cnt: 0,
            reverse: lrev,
        },
        shadow_tcp: EspTcp {
            remote_port: stcp.remote_port,
            local_port: ltcp.local_port,
            local_ip: stcp.local_ip,
            remote_ip: stcp.remote_ip,
            connect_callback: user_cb.connect,
            reconnect_callback: user_cb.reconnect,
            disconnect_callback: user_cb.disconnect,
            ..ltcp
        },
        sdk: sdk_conn,
        listener,
    };
    let Some(p) = new_slot(init, Role::Server) else {
        crate::log!(
            "espconn_secure: no heap for a server connection ({} free); closing it",
            crate::platform::free_heap()
        );
        // SAFETY: live SDK espconn; its reverse is null, so its final
        // callback finds no slot.
        unsafe { sdk::espconn_disconnect(sdk_conn) };
        return;
    };
    // SAFETY: `p` is a live slot we own; self-pointers set at its final address.
    unsafe {
        (*p).shadow.tcp = &mut (*p).shadow_tcp;
        (*p).user = &mut (*p).shadow;
    }
    if !register(p) {
        // SAFETY: not registered, so still solely ours.
        drop(unsafe { SdkBox::from_raw(p) });
        crate::log!("espconn_secure: too many TLS connections; closing the new one");
        // SAFETY: as above.
        unsafe { sdk::espconn_disconnect(sdk_conn) };
        return;
    }
    // SAFETY: live SDK espconn and slot.
    unsafe {
        (*sdk_conn).reverse = p.cast();
        let n = server_connections() as u8;
        (*listener).link_cnt = n;
        (*p).shadow.link_cnt = n;
        (*p).shadow.state = state::WAIT;
    }
    // SAFETY: live slot, no other borrow.
    unsafe {
        super::start_handshake(p);
        drive(p, |c, t| c.tcp_connected(t, server_start()))
    };
}

/// Before a server connection's last callback: copy the accepted espconn's
/// fields back into the listening one (the vendor passes the listener to
/// disconnect/reconnect callbacks) and update its link count.
///
/// # Safety
/// `slot` must be live and already unregistered; `listener` live.
pub(super) unsafe fn hand_back(slot: *mut Slot, listener: *mut Espconn) {
    // SAFETY: caller's contract.
    unsafe {
        let s = &*slot;
        let l = &mut *listener;
        if let Some(t) = l.tcp.as_mut() {
            t.remote_port = s.shadow_tcp.remote_port;
            t.remote_ip = s.shadow_tcp.remote_ip;
            t.local_ip = s.shadow_tcp.local_ip;
        }
        l.link_cnt = server_connections() as u8;
    }
}
