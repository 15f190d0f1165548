//! Declarations of the NONOS SDK services this library calls, with the vendor's
//! prototypes and struct layouts (reference §2 and §8). On the host these
//! symbols come from the simulator in `c-shim/host/`; on the chip from the SDK.

use core::ffi::{c_char, c_int, c_void};

pub type ConnectCb = unsafe extern "C" fn(arg: *mut c_void);
pub type ReconnectCb = unsafe extern "C" fn(arg: *mut c_void, err: i8);
pub type RecvCb = unsafe extern "C" fn(arg: *mut c_void, data: *mut c_char, len: u16);
pub type SentCb = unsafe extern "C" fn(arg: *mut c_void);

pub const ESPCONN_TCP: u32 = 0x10;

/// `enum espconn_state`.
pub mod state {
    pub const NONE: u32 = 0;
    pub const WAIT: u32 = 1;
    pub const LISTEN: u32 = 2;
    pub const CONNECT: u32 = 3;
    pub const WRITE: u32 = 4;
    pub const READ: u32 = 5;
    pub const CLOSE: u32 = 6;
}

/// `ESPCONN_*` return codes (lwIP `err_t` numbering).
pub mod ret {
    pub const OK: i8 = 0;
    pub const MEM: i8 = -1;
    pub const TIMEOUT: i8 = -3;
    pub const RTE: i8 = -4;
    pub const INPROGRESS: i8 = -5;
    pub const MAXNUM: i8 = -7;
    pub const ABRT: i8 = -8;
    pub const RST: i8 = -9;
    pub const CLSD: i8 = -10;
    pub const CONN: i8 = -11;
    pub const ARG: i8 = -12;
    pub const ISCONN: i8 = -15;
}

/// `esp_tcp` (32 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct EspTcp {
    pub remote_port: c_int,
    pub local_port: c_int,
    pub local_ip: [u8; 4],
    pub remote_ip: [u8; 4],
    pub connect_callback: Option<ConnectCb>,
    pub reconnect_callback: Option<ReconnectCb>,
    pub disconnect_callback: Option<ConnectCb>,
    pub write_finish_fn: Option<ConnectCb>,
}

/// `struct espconn` (28 bytes); `proto` is the `tcp` arm of the vendor's union.
#[repr(C)]
pub struct Espconn {
    pub type_: u32,
    pub state: u32,
    pub tcp: *mut EspTcp,
    pub recv_callback: Option<RecvCb>,
    pub sent_callback: Option<SentCb>,
    pub link_cnt: u8,
    pub reverse: *mut c_void,
}

/// `ETSTimer` / `os_timer_t` (the SDK links it into its timer list while armed).
#[repr(C)]
pub struct EtsTimer {
    pub next: *mut EtsTimer,
    pub expire: u32,
    pub period: u32,
    pub func: Option<unsafe extern "C" fn(arg: *mut c_void)>,
    pub arg: *mut c_void,
}

impl Default for EtsTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl EtsTimer {
    pub const fn new() -> EtsTimer {
        EtsTimer {
            next: core::ptr::null_mut(),
            expire: 0,
            period: 0,
            func: None,
            arg: core::ptr::null_mut(),
        }
    }
}

/// `remot_info` (12 bytes).
#[repr(C)]
pub struct RemotInfo {
    pub state: u32,
    pub remote_port: c_int,
    pub remote_ip: [u8; 4],
}

// cbindgen:ignore (declared by the SDK headers themselves)
extern "C" {
    pub(crate) fn pvPortMalloc(
        size: usize,
        file: *const c_char,
        line: u32,
        use_iram: u8,
    ) -> *mut c_void;
    pub(crate) fn vPortFree(p: *mut c_void, file: *const c_char, line: u32);
    pub(crate) fn system_get_free_heap_size() -> u32;
    pub(crate) fn os_printf_plus(fmt: *const c_char, ...) -> c_int;
    pub(crate) fn os_get_random(buf: *mut u8, len: usize) -> c_int;
    pub(crate) fn system_get_time() -> u32;
    pub(crate) fn system_soft_wdt_feed();
    pub(crate) fn system_update_cpu_freq(freq: u8) -> bool;
    pub(crate) fn system_get_cpu_freq() -> u8;
    pub(crate) fn system_soft_wdt_stop();
    pub(crate) fn system_soft_wdt_restart();
    pub(crate) fn system_restart();
    pub(crate) fn sntp_get_current_timestamp() -> u32;
    /// The engine-step guard (c-shim/esp8266/chip_rt.c on the chip,
    /// c-shim/host/step_escape.c on the host): runs `f(arg)` with the stack
    /// pointer at `top` (chip; null = the caller's stack; ignored on the
    /// host) and returns 0, or 1 when `espconn_secure_stack_escape` cut `f`
    /// short.
    pub(crate) fn espconn_secure_stack_call(
        f: unsafe extern "C" fn(*mut c_void),
        arg: *mut c_void,
        top: *mut u8,
    ) -> c_int;
    /// Abandons the innermost running `espconn_secure_stack_call` (which then
    /// returns 1); returns only when none is running.
    pub(crate) fn espconn_secure_stack_escape();
    /// As `espconn_secure_stack_call` for a step that may be suspended
    /// (`slice.rs`): on the stack `[base, top)`; returns 2 when the step
    /// yielded.
    pub(crate) fn espconn_secure_stack_start(
        f: unsafe extern "C" fn(*mut c_void),
        arg: *mut c_void,
        top: *mut u8,
        base: *mut u8,
    ) -> c_int;
    /// Carries on with the step suspended at `top`: 0, 1 or 2 as above.
    pub(crate) fn espconn_secure_stack_resume(top: *mut u8) -> c_int;
    /// Suspends the innermost step (started with `_start`); returns when it
    /// is resumed.
    pub(crate) fn espconn_secure_stack_yield();
    /// Whether the innermost running step may yield.
    pub(crate) fn espconn_secure_stack_may_yield() -> c_int;
    /// `slice.rs`'s two counters (per thread on the host): public-key
    /// operations since the SDK callback began, steps suspended now.
    pub(crate) fn espconn_secure_slice_counters() -> *mut [u32; 2];
    /// Host only: a suspendable step's stack outside the simulated heap.
    #[cfg(not(target_os = "none"))]
    pub(crate) fn espconn_secure_host_stack_alloc(size: usize) -> *mut c_void;
    #[cfg(not(target_os = "none"))]
    pub(crate) fn espconn_secure_host_stack_free(base: *mut c_void, size: usize);
    /// Host only: the simulator counts public-key operations per SDK
    /// callback (`pk_ops_max_per_callback=` at exit).
    #[cfg(not(target_os = "none"))]
    pub(crate) fn sim_public_key_op();
    /// Host only: a mark in the simulator's heap trace (`SIM_HEAP_TRACE`).
    #[cfg(not(target_os = "none"))]
    pub(crate) fn sim_heap_mark(what: *const core::ffi::c_char, n: u32);
    /// Chip only (c-shim/esp8266): installs the LoadStoreError handler once.
    #[cfg(target_os = "none")]
    pub(crate) fn espconn_secure_chip_init();
    pub(crate) fn spi_flash_read(src_addr: u32, des_addr: *mut u32, size: u32) -> c_int;
    pub(crate) fn spi_flash_write(des_addr: u32, src_addr: *mut u32, size: u32) -> c_int;
    pub(crate) fn spi_flash_erase_sector(sec: u16) -> c_int;
    pub(crate) fn system_upgrade_userbin_check() -> u8;
    pub(crate) fn system_upgrade_flag_set(flag: u8);
    #[cfg(test)]
    pub(crate) fn system_upgrade_flag_check() -> u8;
    pub(crate) fn system_get_flash_size_map() -> c_int;

    pub(crate) fn espconn_connect(c: *mut Espconn) -> i8;
    pub(crate) fn espconn_disconnect(c: *mut Espconn) -> i8;
    pub(crate) fn espconn_send(c: *mut Espconn, data: *mut u8, len: u16) -> i8;
    pub(crate) fn espconn_recv_hold(c: *mut Espconn) -> i8;
    pub(crate) fn espconn_recv_unhold(c: *mut Espconn) -> i8;
    pub(crate) fn espconn_port() -> u32;
    pub(crate) fn ets_timer_setfn(
        t: *mut EtsTimer,
        f: unsafe extern "C" fn(arg: *mut c_void),
        arg: *mut c_void,
    );
    pub(crate) fn ets_timer_arm_new(t: *mut EtsTimer, time: u32, repeat: bool, ms: bool);
    pub(crate) fn ets_timer_disarm(t: *mut EtsTimer);
    pub(crate) fn espconn_accept(c: *mut Espconn) -> i8;
    pub(crate) fn espconn_delete(c: *mut Espconn) -> i8;
}
