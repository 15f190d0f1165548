//! Client exports: connect, send, disconnect, and the SDK TCP callbacks on the
//! shadow `espconn`.

use core::ffi::{c_char, c_void};

use super::types::*;
use super::{
    dispatch, drive, find_slot, new_slot, register, schedule_next_step, slot_of, SdkTcp, SlotInit,
};
use crate::conn::records::{self, ConnectRefusal};
use crate::conn::setup::client_start;
use crate::conn::Role;
use crate::platform::alloc::SdkBox;
use crate::platform::sdk::{self, ret, state, EspTcp, Espconn};

/// Free heap the least demanding client handshake needs (an EC chain from a
/// CA bundle, no client key: 7.2 KB in the 32-bit simulator, README
/// "Figures"), less a little, plus the engine's stack where it comes from
/// the heap (the chip).
/// `espconn_secure_connect` refuses with ESPCONN_MEM below this, as the
/// vendor's pre-check does with its own figure; a connection that needs more
/// (an RSA chain, a client key, large records) is refused by the pre-check
/// of the step that needs it, with -0x7F00 and the figures.
pub const CONNECT_HEAP_NEED: u32 = (7 * 1024 + crate::platform::STEP_STACK_ON_HEAP) as u32;

/// Start a TLS client connection to `espconn->proto.tcp->remote_ip:remote_port`.
///
/// The connect callback fires after the TLS handshake (not when TCP connects).
/// Returns ESPCONN_OK (0); ESPCONN_ARG (-12) for NULL or a non-TCP espconn;
/// ESPCONN_ISCONN (-15) when this espconn already has a TLS connection;
/// ESPCONN_ARG also when a host name set on it with
/// `espconn_secure_set_hostname` failed (no heap, or invalid) and was not set
/// again or cleared since (last error -0x7100): the connection would not
/// check the name the program asked for; ESPCONN_ARG likewise when
/// `espconn_secure_pin_public_key` on it returned false for want of heap and
/// was not called again successfully or cleared since (last error -0x7100);
/// ESPCONN_MEM (-1) when the free heap
/// is below the handshake's need or the SDK refuses the TCP connection. Certificates are read from flash when the
/// handshake starts; problems with them reach the reconnect callback.
///
/// # Safety
/// `espconn` must be NULL or point to the caller's `struct espconn` with a valid
/// `proto.tcp`; both must stay valid until the disconnect or reconnect callback.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_connect(espconn: *mut Espconn) -> sint8 {
    // SAFETY: NULL or the caller's espconn (this function's contract).
    let Some(user) = (unsafe { super::tcp_espconn(espconn) }) else {
        return ret::ARG;
    };
    crate::platform::chip_init();
    if find_slot(espconn).is_some() {
        return ret::ISCONN;
    }
    if crate::platform::free_heap() <= CONNECT_HEAP_NEED {
        crate::log!(
            "espconn_secure: connect refused: {} bytes of heap free, a handshake needs {}",
            crate::platform::free_heap(),
            CONNECT_HEAP_NEED
        );
        return ret::MEM;
    }
    // SAFETY: user.tcp checked non-null above.
    let utcp = unsafe { &*user.tcp };
    let init = SlotInit {
        user: espconn,
        shadow: Espconn {
            type_: sdk::ESPCONN_TCP,
            state: state::NONE,
            tcp: core::ptr::null_mut(),
            recv_callback: Some(on_tcp_recv),
            sent_callback: Some(on_tcp_sent),
            link_cnt: 0,
            reverse: core::ptr::null_mut(),
        },
        shadow_tcp: EspTcp {
            remote_port: utcp.remote_port,
            // SAFETY: plain SDK query.
            local_port: unsafe { sdk::espconn_port() } as i32,
            local_ip: [0; 4],
            remote_ip: utcp.remote_ip,
            connect_callback: Some(on_tcp_connect),
            reconnect_callback: Some(on_tcp_error),
            disconnect_callback: Some(on_tcp_disconnect),
            write_finish_fn: None,
        },
        sdk: core::ptr::null_mut(),
        listener: core::ptr::null_mut(),
    };
    match records::begin_connection(espconn as usize) {
        Ok(()) => {}
        Err(ConnectRefusal::NameUnstored) => {
            crate::log!("espconn_secure: connect refused: the host name asked for with espconn_secure_set_hostname was not stored (it failed); set it again, or NULL to connect without a name check");
            return ret::ARG;
        }
        Err(ConnectRefusal::PinsUnstored) => {
            crate::log!("espconn_secure: connect refused: the public-key pins asked for with espconn_secure_pin_public_key were not stored (it failed); set them again, or NULL to connect without pins");
            return ret::ARG;
        }
        Err(ConnectRefusal::Memory) => return ret::MEM,
    }
    let Some(p) = new_slot(init, Role::Client) else {
        records::end_connection(espconn as usize, false);
        return ret::MEM;
    };
    // SAFETY: `p` is a live slot we own; the self-pointers are set once it
    // has its final address.
    unsafe {
        (*p).shadow.tcp = &mut (*p).shadow_tcp;
        (*p).shadow.reverse = p.cast();
        (*p).sdk = &mut (*p).shadow;
    }
    if !register(p) {
        // SAFETY: not registered, so still solely ours.
        drop(unsafe { SdkBox::from_raw(p) });
        records::end_connection(espconn as usize, false);
        return ret::MEM;
    }
    // SAFETY: the shadow is live and fully initialised.
    let r = unsafe { sdk::espconn_connect(&mut (*p).shadow) };
    if r != ret::OK {
        super::unregister(p);
        // SAFETY: unregistered; the SDK refused it, so it holds no pointer.
        drop(unsafe { SdkBox::from_raw(p) });
        records::end_connection(espconn as usize, false);
        return ret::MEM;
    }
    user.state = state::WAIT;
    ret::OK
}

/// Close the TLS connection: sends close_notify, then closes TCP. The
/// disconnect callback follows. ESPCONN_ARG if not a live TLS connection,
/// ESPCONN_INPROGRESS (-5) if already closing.
///
/// # Safety
/// `espconn` must be NULL or point to a live `struct espconn`.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_disconnect(espconn: *mut Espconn) -> sint8 {
    let Some(slot) = find_slot(espconn) else {
        return ret::ARG;
    };
    // SAFETY: registered slot, not borrowed (API calls are not made from
    // inside our own borrows).
    let r = unsafe {
        let s = &mut *slot;
        let mut tcp = SdkTcp(s.sdk);
        s.conn.user_disconnect(&mut tcp)
    };
    // SAFETY: as above.
    unsafe { schedule_next_step(slot) };
    r
}

/// Send `length` bytes over the TLS connection. The data is encrypted before
/// this returns, so the buffer is free at once (the vendor required it to stay
/// valid). Returns ESPCONN_OK, ESPCONN_ARG if not a TLS connection,
/// ESPCONN_INPROGRESS (-5) before the handshake completes or while the
/// previous send's sent callback is pending, ESPCONN_MEM (-1) when the heap
/// cannot hold the records.
///
/// # Safety
/// `psent` must point to `length` readable bytes (or be NULL with length 0).
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_send(
    espconn: *mut Espconn,
    psent: *mut uint8,
    length: uint16,
) -> sint8 {
    let Some(slot) = find_slot(espconn) else {
        return ret::ARG;
    };
    if psent.is_null() && length != 0 {
        return ret::ARG;
    }
    let data: &[u8] = if length == 0 {
        &[]
    } else {
        // SAFETY: the caller passes `length` readable bytes (vendor contract).
        unsafe { core::slice::from_raw_parts(psent, usize::from(length)) }
    };
    // SAFETY: the user's espconn is live; the vendor sets WRITE even on failure.
    unsafe { (*espconn).state = state::WRITE };
    // SAFETY: registered slot, not borrowed elsewhere.
    let r = unsafe {
        let s = &mut *slot;
        let mut tcp = SdkTcp(s.sdk);
        s.conn.user_send(&mut tcp, data)
    };
    // A step this deferred (another connection's is suspended) is retried
    // from the slot's timer. SAFETY: as above.
    unsafe { schedule_next_step(slot) };
    r
}

/// Same as [`espconn_secure_send`] (the vendor's alias).
///
/// # Safety
/// As for [`espconn_secure_send`].
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_sent(
    espconn: *mut Espconn,
    psent: *mut uint8,
    length: uint16,
) -> sint8 {
    // SAFETY: same contract.
    unsafe { espconn_secure_send(espconn, psent, length) }
}

unsafe extern "C" fn on_tcp_connect(arg: *mut c_void) {
    // SAFETY: the SDK passes back our shadow.
    let Some(slot) = (unsafe { slot_of(arg) }) else {
        return;
    };
    // SAFETY: live slot.
    let (key, peer) = unsafe {
        let t = &(*slot).shadow_tcp;
        ((*slot).user as usize, (t.remote_ip, t.remote_port as u16))
    };
    // SAFETY: live slot, no other borrow.
    unsafe {
        super::start_handshake(slot);
        drive(slot, |c, t| c.tcp_connected(t, client_start(key, peer)));
    }
}

pub(super) unsafe extern "C" fn on_tcp_recv(arg: *mut c_void, data: *mut c_char, len: u16) {
    // SAFETY: the SDK passes back our shadow.
    let Some(slot) = (unsafe { slot_of(arg) }) else {
        crate::log!(
            "espconn_secure: {} bytes on a TCP connection the library never took on, ignored (were the secure server's listener callbacks registered after espconn_secure_accept?)",
            len
        );
        return;
    };
    let bytes: &[u8] = if data.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the SDK hands `len` readable bytes valid during the callback.
        unsafe { core::slice::from_raw_parts(data.cast::<u8>(), usize::from(len)) }
    };
    // SAFETY: live slot, no other borrow.
    unsafe { super::receive(slot, bytes) };
}

pub(super) unsafe extern "C" fn on_tcp_sent(arg: *mut c_void) {
    // SAFETY: the SDK passes back our shadow.
    let Some(slot) = (unsafe { slot_of(arg) }) else {
        return;
    };
    // SAFETY: live slot, no other borrow.
    unsafe { drive(slot, |c, t| c.tcp_sent(t)) };
}

pub(super) unsafe extern "C" fn on_tcp_disconnect(arg: *mut c_void) {
    // SAFETY: the SDK passes back our shadow.
    let Some(slot) = (unsafe { slot_of(arg) }) else {
        return;
    };
    // SAFETY: live slot, no other borrow.
    unsafe {
        (*slot).conn.tcp_closed();
        dispatch(slot);
    }
}

pub(super) unsafe extern "C" fn on_tcp_error(arg: *mut c_void, err: i8) {
    // SAFETY: the SDK passes back our shadow.
    let Some(slot) = (unsafe { slot_of(arg) }) else {
        return;
    };
    // SAFETY: live slot, no other borrow.
    unsafe {
        (*slot).conn.tcp_error(err);
        dispatch(slot);
    }
}
