//! The C ABI: the vendor's `espconn_secure_*` symbols with their exact
//! prototypes and return codes, plus the new calls documented in the generated
//! header. This is the only module that reads the user's `struct espconn`.
//!
//! Each TLS connection lives in a [`Slot`] on the SDK heap (stable address):
//! the user's `espconn`, a shadow `espconn` that we hand to the SDK's plain TCP
//! API, and the [`Conn`] state machine. SDK callbacks on the shadow find the
//! slot through the shadow's `reverse` pointer. User callbacks run only from
//! [`dispatch`]'s flat loop, after every borrow of the slot has ended, and
//! only from SDK callbacks — never from inside an API call — so they never
//! nest, and no call path leads from a callback back into the loop.
#![allow(unsafe_code)] // the C ABI / the SDK (see lib.rs)

mod client;
mod config;
mod ota;
mod server;
mod session;
pub mod types;

pub use client::*;
pub use config::*;
pub use ota::*;
pub use server::*;
pub use session::*;

use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::conn::{Conn, Ending, Role, Tcp, UserEvent, RECV_CHUNK};
use crate::error::vendor_callback_code;
use crate::platform::alloc::SdkBox;
use crate::platform::sdk::{self, state, EspTcp, Espconn, EtsTimer};

/// Most TLS connections at once (the vendor allows three sockets in all).
const MAX_CONNS: usize = 6;

/// One connection: what the user gave us, what we gave the SDK, and the state
/// machine between them.
///
/// Client slots: `user` is the caller's espconn and `shadow` ours, handed to
/// `espconn_connect` (`sdk` points at it). Server slots: the SDK allocated the
/// accepted TCP connection's espconn (`sdk`); `shadow` is the vendor's
/// `accept_conn`, the espconn the user's connect/recv/sent callbacks receive
/// (`user` points at it), and `listener` is the user's listening espconn,
/// which the disconnect/reconnect callbacks receive.
pub(crate) struct Slot {
    user: *mut Espconn,
    shadow: Espconn,
    shadow_tcp: EspTcp,
    /// The espconn the SDK knows this TCP connection by.
    sdk: *mut Espconn,
    /// Server slots: the user's listening espconn; null for clients.
    listener: *mut Espconn,
    conn: Conn,
    dead: bool,
    /// Resumes delivery after `espconn_secure_recv_unhold`.
    kick: EtsTimer,
    /// Carries on with a suspended handshake step (0 ms, armed at the end
    /// of the SDK callback that left it suspended).
    next_step: EtsTimer,
    /// Ends a handshake that takes longer than `timeout_s` seconds
    /// (`espconn_secure_set_handshake_timeout`): armed when TCP is up,
    /// disarmed when the handshake completes or the slot is freed.
    deadline: EtsTimer,
    /// The handshake timeout this connection started with (0: none).
    timeout_s: u16,
    /// The CPU runs at 160 MHz for this connection's handshake
    /// (`platform::fast_cpu_begin`), until it completes or the slot is freed.
    fast_cpu: bool,
}

/// A slot's fields other than its connection (see [`new_slot`]).
struct SlotInit {
    user: *mut Espconn,
    shadow: Espconn,
    shadow_tcp: EspTcp,
    sdk: *mut Espconn,
    listener: *mut Espconn,
}

/// A new slot with a fresh connection, built in place on the SDK heap; `None`
/// when the heap cannot hold the slot or the connection's bookkeeping. The
/// self-pointers are the caller's to set. In place because a `Slot` is about
/// 900 bytes and its callers run on the NONOS system stack: built there and
/// then moved, it left three copies of the connection in their frames
/// (docs/STACK.md, "System stack").
#[inline(never)]
fn new_slot(init: SlotInit, role: Role) -> Option<*mut Slot> {
    let block = SdkBox::<Slot>::try_new_uninit().ok()?;
    let p = block.as_ptr().cast::<Slot>();
    match Conn::new(role) {
        // SAFETY: `p` is the block's fresh, unaliased memory of `Slot`'s
        // layout; `conn` is written exactly once, before anything reads it.
        Ok(conn) => unsafe { ptr::addr_of_mut!((*p).conn).write(conn) },
        // `block` frees the memory; nothing in it was initialised.
        Err(_) => return None,
    }
    let SlotInit {
        user,
        shadow,
        shadow_tcp,
        sdk,
        listener,
    } = init;
    // SAFETY: as above, for every other field; afterwards the whole `Slot`
    // is initialised, and the block changes hands as a `Slot` (same layout).
    unsafe {
        ptr::addr_of_mut!((*p).user).write(user);
        ptr::addr_of_mut!((*p).shadow).write(shadow);
        ptr::addr_of_mut!((*p).shadow_tcp).write(shadow_tcp);
        ptr::addr_of_mut!((*p).sdk).write(sdk);
        ptr::addr_of_mut!((*p).listener).write(listener);
        ptr::addr_of_mut!((*p).dead).write(false);
        ptr::addr_of_mut!((*p).kick).write(EtsTimer::new());
        ptr::addr_of_mut!((*p).next_step).write(EtsTimer::new());
        ptr::addr_of_mut!((*p).deadline).write(EtsTimer::new());
        ptr::addr_of_mut!((*p).timeout_s).write(crate::conn::settings::handshake_timeout());
        ptr::addr_of_mut!((*p).fast_cpu).write(false);
    }
    Some(block.into_raw().cast())
}

static SLOTS: [AtomicPtr<Slot>; MAX_CONNS] = [const { AtomicPtr::new(ptr::null_mut()) }; MAX_CONNS];

fn find_slot(user: *const Espconn) -> Option<*mut Slot> {
    SLOTS.iter().map(|s| s.load(Ordering::Acquire)).find(|&p| {
        // SAFETY: registered slots are live until unregistered in `finalize`.
        !p.is_null() && unsafe { core::ptr::eq((*p).user, user) }
    })
}

fn register(slot: *mut Slot) -> bool {
    SLOTS.iter().any(|s| {
        s.compare_exchange(ptr::null_mut(), slot, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    })
}

fn unregister(slot: *mut Slot) {
    for s in SLOTS.iter() {
        let _ = s.compare_exchange(slot, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
    }
}

/// The SDK's TCP calls on a slot's shadow `espconn`.
struct SdkTcp(*mut Espconn);

impl Tcp for SdkTcp {
    fn send(&mut self, data: &[u8]) -> i8 {
        let Ok(len) = u16::try_from(data.len()) else {
            return sdk::ret::ARG;
        };
        // SAFETY: the shadow is live while its slot is; the SDK copies `data`
        // before returning (espconn_send takes a non-const pointer but does not
        // write through it).
        unsafe { sdk::espconn_send(self.0, data.as_ptr().cast_mut(), len) }
    }

    fn disconnect(&mut self) {
        // SAFETY: as above.
        unsafe { sdk::espconn_disconnect(self.0) };
    }

    fn hold(&mut self, hold: bool) {
        // SAFETY: as above.
        unsafe {
            if hold {
                sdk::espconn_recv_hold(self.0);
            } else {
                sdk::espconn_recv_unhold(self.0);
            }
        }
    }
}

/// The slot a shadow `espconn` belongs to (its `reverse` pointer).
///
/// # Safety
/// `arg` must be a shadow espconn passed back by the SDK.
unsafe fn slot_of(arg: *mut c_void) -> Option<*mut Slot> {
    let shadow = arg.cast::<Espconn>();
    if shadow.is_null() {
        return None;
    }
    // SAFETY: the SDK passes back a live espconn it calls us for.
    let slot = unsafe { (*shadow).reverse.cast::<Slot>() };
    // Only a registered slot is dereferenced: an espconn we never took on
    // (for example one the SDK accepted and handed straight to user
    // callbacks registered on the listener after espconn_secure_accept)
    // carries the user's `reverse`, which must not be read as a slot.
    if slot.is_null() || !SLOTS.iter().any(|s| s.load(Ordering::Acquire) == slot) {
        return None;
    }
    // SAFETY: registered slots are live until unregistered in `finalize`.
    (!unsafe { (*slot).dead }).then_some(slot)
}

/// Run `f` on the slot's connection with the SDK transport, then deliver the
/// events it queued.
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere.
unsafe fn drive(slot: *mut Slot, f: impl FnOnce(&mut Conn, &mut dyn Tcp)) {
    // Every SDK callback that works on a connection comes through here (or
    // `receive`): it may run one public-key operation (platform::slice).
    crate::platform::slice::callback_begins();
    // SAFETY: caller's contract.
    unsafe { run(slot, f) };
}

/// [`drive`] without marking a new SDK callback. Returns whether the slot
/// is still live (`false`: the connection ended and the slot is buried).
///
/// # Safety
/// As [`drive`].
unsafe fn run(slot: *mut Slot, f: impl FnOnce(&mut Conn, &mut dyn Tcp)) -> bool {
    {
        // SAFETY: caller's contract; the borrow ends before any user callback.
        let s = unsafe { &mut *slot };
        let mut tcp = SdkTcp(s.sdk);
        f(&mut s.conn, &mut tcp);
    }
    // SAFETY: caller's contract.
    unsafe { dispatch(slot) }
}

/// TCP data for the connection (the SDK's recv callback). The engine takes
/// what it can, the user reads what that decrypted (in place, [`deliver`]),
/// and the rest is offered again: a segment that holds the tail of a large
/// record and the head of the next costs no copy. Only what the engine
/// still cannot take is kept (the connection's backlog): the SDK's buffer
/// is gone once its callback returns.
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere; `data` valid for the
/// call.
pub(super) unsafe fn receive(slot: *mut Slot, mut data: &[u8]) {
    crate::platform::slice::callback_begins();
    loop {
        let mut taken = 0;
        // SAFETY: caller's contract (the slot stays live while `run` says so).
        if !unsafe { run(slot, |c, t| taken = c.tcp_offer(t, data)) } {
            return;
        }
        data = &data[taken..];
        if data.is_empty() || taken == 0 {
            break;
        }
    }
    // SAFETY: as above.
    unsafe { run(slot, |c, t| c.tcp_received(t, data)) };
}

/// The user's callbacks for the events the connection queued, in order,
/// from this one flat loop. A callback may call the API (send, disconnect,
/// hold) and delivering may resume the connection; what that queues is
/// taken by the same loop, never by a nested one: nothing here calls back
/// into `drive` or `dispatch`, so the system stack does not grow with the
/// data. Ends with the last callback once the connection is over; returns
/// whether the slot is still live (`false`: it ended and was buried).
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere.
unsafe fn dispatch(slot: *mut Slot) -> bool {
    loop {
        // SAFETY: caller's contract; short borrows only.
        let (user, event) = unsafe { ((*slot).user, (*slot).conn.next_event()) };
        let Some(event) = event else { break };
        match event {
            UserEvent::Connected => {
                // SAFETY: live slot (caller's contract); the user's espconn
                // outlives its connection (vendor contract).
                unsafe {
                    // The handshake is complete: its timeout no longer
                    // applies, and the CPU may slow down again.
                    sdk::ets_timer_disarm(&mut (*slot).deadline);
                    end_fast_cpu(slot);
                    (*user).state = state::CONNECT;
                    if let Some(cb) = user_tcp(user).and_then(|t| t.connect_callback) {
                        cb(user.cast());
                    }
                }
            }
            UserEvent::Sent => {
                // SAFETY: as above.
                unsafe {
                    (*user).state = state::CONNECT;
                    if let Some(cb) = (*user).sent_callback {
                        cb(user.cast());
                    }
                }
            }
            // SAFETY: caller's contract.
            UserEvent::Readable => unsafe { deliver(slot) },
        }
    }
    // SAFETY: caller's contract.
    unsafe { schedule_next_step(slot) };
    // SAFETY: caller's contract.
    let ending = unsafe { (*slot).conn.take_ending() };
    if let Some(ending) = ending {
        // SAFETY: caller's contract.
        unsafe { finalize(slot, ending) };
        return false;
    }
    true
}

/// Hand decrypted bytes to the user's recv callback as the vendor's glue
/// does: one call per TLS record, a record above 1460 bytes in consecutive
/// calls of at most 1460. `pdata` points into the receive buffer where the
/// record was decrypted (no copy: a 16 KB record costs its buffer only),
/// valid during the call, as the vendor's is. A hold requested inside a call
/// stops delivery before the next one. Once what was readable is read, the
/// connection resumes with its buffered input (the events that queues reach
/// [`dispatch`]'s loop).
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere.
unsafe fn deliver(slot: *mut Slot) {
    loop {
        // SAFETY: caller's contract; short borrow.
        let lent = unsafe {
            let s = &mut *slot;
            if s.conn.user_held() || !s.conn.delivering() {
                // The bytes wait in the engine; unhold's timer delivers them.
                return;
            }
            s.conn.lend(RECV_CHUNK)
        };
        let Some(lent) = lent else {
            // SAFETY: caller's contract; short borrow.
            unsafe {
                let s = &mut *slot;
                let mut tcp = SdkTcp(s.sdk);
                s.conn.resume(&mut tcp);
            }
            return;
        };
        // SAFETY: the user's espconn is live; `lent` stays valid and in
        // place until `give_back`, whatever the callback calls (`Conn::lend`;
        // the slot is buried only at the end of the SDK callback that ends
        // the connection, never inside this one).
        unsafe {
            let user = (*slot).user;
            (*user).state = state::READ;
            if let Some(cb) = (*user).recv_callback {
                cb(user.cast(), lent.ptr.cast(), lent.len as u16);
            }
            if (*user).state == state::READ {
                (*user).state = state::CONNECT;
            }
            (*slot).conn.give_back(lent.len);
        }
    }
}

/// The connection is over: unregister it, make the last user callback, and
/// free the slot.
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere.
unsafe fn finalize(slot: *mut Slot, ending: Ending) {
    unregister(slot);
    // SAFETY: caller's contract.
    let (mut user, listener) = unsafe {
        (*slot).dead = true;
        ((*slot).user, (*slot).listener)
    };
    // The espconn whose record this connection's settings came from.
    let own = user as usize;
    if !listener.is_null() {
        // SAFETY: live slot; the listener outlives its connections
        // (espconn_secure_delete refuses while any is connected).
        unsafe { server::hand_back(slot, listener) };
        user = listener;
    }
    match &ending {
        Ending::Failed(code) => config::record_error(user as usize, *code),
        // A server's listener reports the connection that ended last.
        _ => config::record_error(user as usize, 0),
    }
    // A server's listener holds the library's callbacks while the server
    // runs; the user's were copied into the slot when it was accepted.
    // SAFETY: live slot; the user's espconn outlives its connection.
    let callbacks = unsafe {
        if listener.is_null() {
            user_tcp(user).copied()
        } else {
            Some((*slot).shadow_tcp)
        }
    };
    // SAFETY: the user's espconn outlives its connection (vendor contract).
    unsafe {
        (*user).state = state::CLOSE;
        let tcp = callbacks.as_ref();
        match ending {
            Ending::Disconnected => {
                if let Some(cb) = tcp.and_then(|t| t.disconnect_callback) {
                    cb(user.cast());
                }
            }
            Ending::Failed(code) => {
                if let Some(cb) = tcp.and_then(|t| t.reconnect_callback) {
                    cb(user.cast(), vendor_callback_code(code));
                }
            }
            Ending::TcpError(err) => {
                if let Some(cb) = tcp.and_then(|t| t.reconnect_callback) {
                    cb(user.cast(), err);
                }
            }
        }
    }
    bury(slot);
    // After the last callback: a record holding no setting dies now, and so
    // does an accepted connection's (its espconn was the slot's); unless the
    // program connected the espconn again from inside the callback.
    if find_slot(own as *const Espconn).is_none() {
        crate::conn::records::end_connection(own, !listener.is_null());
    }
}

/// Free a finished slot. The SDK tolerates its espconn being freed inside
/// its disconnect/reconnect callback (NONOS programs routinely free theirs
/// there), so this runs at the end of that callback.
fn bury(slot: *mut Slot) {
    // SAFETY: the slot is live; a disarmed timer is no longer in the SDK's list.
    unsafe {
        sdk::ets_timer_disarm(&mut (*slot).kick);
        sdk::ets_timer_disarm(&mut (*slot).next_step);
        sdk::ets_timer_disarm(&mut (*slot).deadline);
        end_fast_cpu(slot);
    }
    // SAFETY: the slot came from `SdkBox::into_raw`, is unregistered, and its
    // last callback has run.
    drop(unsafe { SdkBox::from_raw(slot) });
}

/// Stop receiving on a TLS connection (back-pressure): no recv callbacks,
/// and TCP input is held at the SDK so the peer meets TCP flow control,
/// until `espconn_secure_recv_unhold`. May be called from inside the recv
/// callback; the vendor library has no working equivalent (its
/// `espconn_recv_hold` does not reach TLS connections). Returns ESPCONN_OK,
/// or ESPCONN_ARG if `espconn` is not a live TLS connection.
///
/// # Safety
/// `espconn` must be NULL or point to a live `struct espconn`.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_recv_hold(espconn: *mut Espconn) -> types::sint8 {
    let Some(slot) = find_slot(espconn) else {
        return sdk::ret::ARG;
    };
    // SAFETY: registered slot; API calls run outside our own borrows.
    unsafe {
        let s = &mut *slot;
        sdk::ets_timer_disarm(&mut s.kick);
        let mut tcp = SdkTcp(s.sdk);
        s.conn.user_hold(&mut tcp, true);
    }
    sdk::ret::OK
}

/// Resume receiving after `espconn_secure_recv_hold`. Data that arrived
/// before the hold is delivered from an SDK timer callback shortly after
/// (never inside this call). Returns ESPCONN_OK, or ESPCONN_ARG if
/// `espconn` is not a live TLS connection.
///
/// # Safety
/// `espconn` must be NULL or point to a live `struct espconn`.
#[no_mangle]
pub unsafe extern "C" fn espconn_secure_recv_unhold(espconn: *mut Espconn) -> types::sint8 {
    let Some(slot) = find_slot(espconn) else {
        return sdk::ret::ARG;
    };
    // SAFETY: registered slot; API calls run outside our own borrows. The
    // timer lives in the slot and is disarmed before the slot is freed.
    unsafe {
        let s = &mut *slot;
        let mut tcp = SdkTcp(s.sdk);
        s.conn.user_hold(&mut tcp, false);
        sdk::ets_timer_disarm(&mut s.kick);
        sdk::ets_timer_setfn(&mut s.kick, on_unhold, slot.cast());
        sdk::ets_timer_arm_new(&mut s.kick, 0, false, true);
    }
    sdk::ret::OK
}

/// The timer armed by `espconn_secure_recv_unhold`: deliver what waited.
unsafe extern "C" fn on_unhold(arg: *mut c_void) {
    let slot = arg.cast::<Slot>();
    // SAFETY: the timer is disarmed before its slot is freed, so `slot` is live.
    if unsafe { (*slot).dead || (*slot).conn.user_held() } {
        return;
    }
    // SAFETY: live slot, called from the SDK's timer dispatch (no borrow).
    unsafe { drive(slot, |c, t| c.resume(t)) };
}

/// A handshake step left suspended, or a step deferred behind another
/// connection's, carries on from an SDK callback of its own (`on_next_step`),
/// after WiFi, timers and the watchdog had their turn.
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere.
unsafe fn schedule_next_step(slot: *mut Slot) {
    // SAFETY: caller's contract; the timer lives in the slot and is
    // disarmed before the slot is freed (`bury`).
    unsafe {
        if (*slot).conn.step_pending() {
            let t = &mut (*slot).next_step;
            sdk::ets_timer_disarm(t);
            sdk::ets_timer_setfn(t, on_next_step, slot.cast());
            sdk::ets_timer_arm_new(t, 0, false, true);
        }
    }
}

/// The timer armed when a handshake step was left suspended: carry on.
unsafe extern "C" fn on_next_step(arg: *mut c_void) {
    let slot = arg.cast::<Slot>();
    // SAFETY: the timer is disarmed before its slot is freed, so `slot` is live.
    if unsafe { (*slot).dead } {
        return;
    }
    // SAFETY: live slot, called from the SDK's timer dispatch (no borrow).
    unsafe { drive(slot, |c, t| c.continue_step(t)) };
}

/// The handshake of `slot` no longer needs the fast CPU.
///
/// # Safety
/// `slot` must be live.
unsafe fn end_fast_cpu(slot: *mut Slot) {
    // SAFETY: caller's contract; a short borrow of one field.
    let was = unsafe { core::mem::replace(&mut (*slot).fast_cpu, false) };
    if was {
        crate::platform::fast_cpu_end();
    }
}

/// TCP is up and the handshake starts: the CPU goes to 160 MHz, and the
/// slot's handshake timeout is armed (none when it is 0). Called before the
/// engine is built, so setting up the handshake (certificates from flash,
/// the key share) counts too.
///
/// # Safety
/// `slot` must be live and not borrowed elsewhere.
unsafe fn start_handshake(slot: *mut Slot) {
    // SAFETY: caller's contract. The timer lives in the slot and is disarmed
    // before the slot is freed (`bury`), so its argument stays valid.
    unsafe {
        let s = &mut *slot;
        if !s.fast_cpu {
            s.fast_cpu = true;
            crate::platform::fast_cpu_begin();
        }
        sdk::ets_timer_disarm(&mut s.deadline);
        if s.timeout_s == 0 {
            return;
        }
        sdk::ets_timer_setfn(&mut s.deadline, on_handshake_timeout, slot.cast());
        sdk::ets_timer_arm_new(&mut s.deadline, u32::from(s.timeout_s) * 1000, false, true);
    }
}

/// The handshake timer: an SDK timer callback, so no engine step and no
/// other callback of ours is running; the failure's reconnect callback
/// comes from the SDK's disconnect callback, as for any failure.
unsafe extern "C" fn on_handshake_timeout(arg: *mut c_void) {
    let slot = arg.cast::<Slot>();
    // SAFETY: the timer is disarmed before its slot is freed, so `slot` is live.
    if unsafe { (*slot).dead } {
        return;
    }
    // SAFETY: live slot.
    let seconds = unsafe { (*slot).timeout_s };
    // SAFETY: live slot, called from the SDK's timer dispatch (no borrow).
    unsafe { drive(slot, |c, t| c.handshake_timed_out(t, seconds)) };
}

/// The caller's espconn if it is a TCP one with its `esp_tcp`, what
/// `espconn_secure_connect` and `_accept` take; `None` for NULL or anything
/// else (their ESPCONN_ARG).
///
/// # Safety
/// `espconn` must be NULL or point to the caller's `struct espconn`.
unsafe fn tcp_espconn<'a>(espconn: *mut Espconn) -> Option<&'a mut Espconn> {
    // SAFETY: caller's contract: NULL or a live espconn nothing else borrows.
    let user = unsafe { espconn.as_mut() }?;
    (user.type_ == sdk::ESPCONN_TCP && !user.tcp.is_null()).then_some(user)
}

/// The user's `esp_tcp`, if they gave one.
///
/// # Safety
/// `user` must point to a live espconn.
unsafe fn user_tcp<'a>(user: *mut Espconn) -> Option<&'a EspTcp> {
    // SAFETY: caller's contract; `proto.tcp` is null or points to the user's esp_tcp.
    unsafe { (*user).tcp.as_ref() }
}
