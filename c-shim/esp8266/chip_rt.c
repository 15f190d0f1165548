/*
 * Chip runtime glue shipped inside libespconn_secure.a: the C-level fatal path
 * and the atomic helpers LLVM calls on the LX106.
 *
 * Freestanding on purpose: the Debian cross gcc has no C library headers, and
 * the archive must not depend on the SDK headers a user happens to have.
 */
#include <stdbool.h>
#include <stdint.h>

extern int os_printf_plus(const char *fmt, ...);
extern void system_restart(void);

/*
 * system_restart() only schedules the restart from the SDK's idle loop, so
 * after it we must not return into code that has just failed. Spinning with
 * interrupts enabled lets the SDK (or its watchdog) take the chip down.
 */
static void __attribute__((noreturn)) restart_forever(void)
{
    system_restart();
    for (;;) {
        __asm__ volatile("" ::: "memory");
    }
}

/* Reason-carrying variant for C callers (and the Rust side if it wants one). */
void __attribute__((noreturn)) espconn_secure_fatal(const char *reason)
{
    os_printf_plus("espconn_secure: fatal: %s\n", reason ? reason : "?");
    restart_forever();
}

/*
 * core/alloc reach abort() on some paths (LLVM's trap, allocation-error
 * handling). build-archive.sh renames those calls to this name, so the
 * archive never defines `abort`, which the firmware's C library may define
 * as well.
 */
void __attribute__((noreturn)) espconn_secure_abort(void)
{
    espconn_secure_fatal("abort() called");
}

/*
 * The LX106 has no atomic instructions (no S32C1I), and max-atomic-width 32
 * makes LLVM lower every atomic RMW to a __atomic_* call. Masking interrupts
 * is enough for atomicity on this single-core chip. gcc treats the
 * __atomic_* names as builtins and refuses to define them, so each helper
 * gets a private C name and the public name through an asm label.
 */
static inline uint32_t irq_save(void)
{
    uint32_t ps;
    __asm__ volatile("rsil %0, 15" : "=a"(ps)::"memory");
    return ps;
}

static inline void irq_restore(uint32_t ps)
{
    __asm__ volatile("wsr %0, ps\n\trsync" ::"a"(ps) : "memory");
}

#define ATOMIC_RMW(N, T, NAME, EXPR)                                                 \
    T esr_atomic_##NAME##_##N(volatile void *p, T v, int order)                      \
        __asm__("__atomic_" #NAME "_" #N);                                           \
    T esr_atomic_##NAME##_##N(volatile void *p, T v, int order)                      \
    {                                                                                \
        (void)order;                                                                 \
        volatile T *q = (volatile T *)p;                                             \
        uint32_t ps = irq_save();                                                    \
        T old = *q;                                                                  \
        *q = (T)(EXPR);                                                              \
        irq_restore(ps);                                                             \
        return old;                                                                  \
    }

#define ATOMIC_ALL(N, T)                                                             \
    T esr_atomic_load_##N(const volatile void *p, int order) __asm__("__atomic_load_" #N); \
    T esr_atomic_load_##N(const volatile void *p, int order)                         \
    {                                                                                \
        (void)order;                                                                 \
        uint32_t ps = irq_save();                                                    \
        T v = *(const volatile T *)p;                                                \
        irq_restore(ps);                                                             \
        return v;                                                                    \
    }                                                                                \
    void esr_atomic_store_##N(volatile void *p, T v, int order)                      \
        __asm__("__atomic_store_" #N);                                               \
    void esr_atomic_store_##N(volatile void *p, T v, int order)                      \
    {                                                                                \
        (void)order;                                                                 \
        uint32_t ps = irq_save();                                                    \
        *(volatile T *)p = v;                                                        \
        irq_restore(ps);                                                             \
    }                                                                                \
    bool esr_atomic_cas_##N(volatile void *p, void *expected, T desired, int s, int f) \
        __asm__("__atomic_compare_exchange_" #N);                                    \
    bool esr_atomic_cas_##N(volatile void *p, void *expected, T desired, int s, int f) \
    {                                                                                \
        (void)s;                                                                     \
        (void)f;                                                                     \
        volatile T *q = (volatile T *)p;                                             \
        T *e = (T *)expected;                                                        \
        uint32_t ps = irq_save();                                                    \
        T cur = *q;                                                                  \
        bool ok = cur == *e;                                                         \
        if (ok)                                                                      \
            *q = desired;                                                            \
        irq_restore(ps);                                                             \
        if (!ok)                                                                     \
            *e = cur;                                                                \
        return ok;                                                                   \
    }                                                                                \
    ATOMIC_RMW(N, T, exchange, v)                                                    \
    ATOMIC_RMW(N, T, fetch_add, old + v)                                             \
    ATOMIC_RMW(N, T, fetch_sub, old - v)                                             \
    ATOMIC_RMW(N, T, fetch_and, old & v)                                             \
    ATOMIC_RMW(N, T, fetch_or, old | v)                                              \
    ATOMIC_RMW(N, T, fetch_xor, old ^ v)                                             \
    ATOMIC_RMW(N, T, fetch_nand, ~(old & v))

ATOMIC_ALL(1, uint8_t)
ATOMIC_ALL(2, uint16_t)
ATOMIC_ALL(4, uint32_t)

/*
 * The engine-step guard. espconn_secure_stack_call(fn, arg, top) runs fn(arg)
 * with the stack pointer at `top` (16-byte aligned, the end of a block the
 * caller allocated; NULL = stay on the current stack) and returns 0 on the
 * caller's stack. The TLS engine's handshake steps need more stack than a
 * NONOS callback may use, so the library runs them on a dedicated stack that
 * exists only while they run.
 *
 * espconn_secure_stack_start(fn, arg, top, base) does the same for a step
 * that may be suspended: inside it, espconn_secure_stack_yield() saves the
 * step's registers on its own stack and makes the start (or the resume that
 * is running it) return 2 on the caller's stack; espconn_secure_stack_resume
 * (top), called later from any SDK callback, switches back into the step,
 * which then carries on from its yield. The library yields before a second
 * public-key operation in one SDK callback, so WiFi, timers and the watchdog
 * run between them. (`base` is the host's; the chip needs only `top`.)
 *
 * espconn_secure_stack_escape() abandons the innermost such call: it restores
 * the registers the call saved and makes it return 1. The library uses it when
 * an allocation fails inside an engine step (the engine allocates infallibly):
 * the step's frames are dropped, never resumed, and the connection's arena
 * gives back all its memory. With no call running it simply returns.
 *
 * LX106 uses the call0 ABI: a0 return address, a1 stack pointer, a2.. the
 * arguments and result, a12..a15 callee-saved. A 48-byte frame below `top`
 * keeps the caller's (or the latest resumer's) a0, a1, a12..a15 at 0..20,
 * the previous frame pointer (nesting) at 24, the suspended step's stack
 * pointer at 28 and whether it may yield at 32. A yield pushes the step's
 * a0 and a12..a15 on the step's stack (32 bytes) and keeps that stack
 * pointer at 28; the resume pops them.
 */
__asm__(
    /* a0 and the callee-saved a12..a15 at base+0 and base+8..20 (base+4 is
     * a1's slot in a frame). */
    "    .macro espconn_secure_save_regs base\n"
    "    s32i    a0, \\base, 0\n"
    "    s32i    a12, \\base, 8\n"
    "    s32i    a13, \\base, 12\n"
    "    s32i    a14, \\base, 16\n"
    "    s32i    a15, \\base, 20\n"
    "    .endm\n"
    "    .macro espconn_secure_load_regs base\n"
    "    l32i    a0, \\base, 0\n"
    "    l32i    a12, \\base, 8\n"
    "    l32i    a13, \\base, 12\n"
    "    l32i    a14, \\base, 16\n"
    "    l32i    a15, \\base, 20\n"
    "    .endm\n"
    "\n"
    "    .section .text.espconn_secure_stack_call,\"ax\",@progbits\n"
    "    .literal_position\n"
    "    .align 4\n"
    "    .global espconn_secure_stack_call\n"
    "    .type espconn_secure_stack_call,@function\n"
    "espconn_secure_stack_call:\n"
    "    movi    a5, 0\n"
    "    j       2f\n"
    "    .global espconn_secure_stack_start\n"
    "    .type espconn_secure_stack_start,@function\n"
    "espconn_secure_stack_start:\n"
    "    movi    a5, 1\n"
    "2:  bnez    a4, 1f\n"
    "    mov     a4, a1\n"
    "1:  addi    a4, a4, -48\n"
    "    espconn_secure_save_regs a4\n"
    "    s32i    a1, a4, 4\n"
    "    s32i    a5, a4, 32\n"
    "    movi    a6, espconn_secure_escape_frame\n"
    "    l32i    a7, a6, 0\n"
    "    s32i    a7, a4, 24\n"
    "    s32i    a4, a6, 0\n"
    "    mov     a1, a4\n"
    "    mov     a5, a2\n"
    "    mov     a2, a3\n"
    "    callx0  a5\n"
    /* fn returned: a1 is the frame again; back to whoever ran it last. */
    "    movi    a6, espconn_secure_escape_frame\n"
    "    l32i    a7, a1, 24\n"
    "    s32i    a7, a6, 0\n"
    "    espconn_secure_load_regs a1\n"
    "    l32i    a1, a1, 4\n"
    "    movi    a2, 0\n"
    "    ret\n"
    "    .size espconn_secure_stack_call, . - espconn_secure_stack_call\n"
    "\n"
    "    .section .text.espconn_secure_stack_yield,\"ax\",@progbits\n"
    "    .literal_position\n"
    "    .align 4\n"
    "    .global espconn_secure_stack_yield\n"
    "    .type espconn_secure_stack_yield,@function\n"
    "espconn_secure_stack_yield:\n"
    "    movi    a6, espconn_secure_escape_frame\n"
    "    l32i    a4, a6, 0\n"
    "    addi    a1, a1, -32\n"
    "    espconn_secure_save_regs a1\n"
    "    s32i    a1, a4, 28\n"
    "    l32i    a7, a4, 24\n"
    "    s32i    a7, a6, 0\n"
    "    espconn_secure_load_regs a4\n"
    "    l32i    a1, a4, 4\n"
    "    movi    a2, 2\n"
    "    ret\n"
    "    .size espconn_secure_stack_yield, . - espconn_secure_stack_yield\n"
    "\n"
    "    .section .text.espconn_secure_stack_resume,\"ax\",@progbits\n"
    "    .literal_position\n"
    "    .align 4\n"
    "    .global espconn_secure_stack_resume\n"
    "    .type espconn_secure_stack_resume,@function\n"
    "espconn_secure_stack_resume:\n"
    "    addi    a4, a2, -48\n"
    "    espconn_secure_save_regs a4\n"
    "    s32i    a1, a4, 4\n"
    "    movi    a6, espconn_secure_escape_frame\n"
    "    l32i    a7, a6, 0\n"
    "    s32i    a7, a4, 24\n"
    "    s32i    a4, a6, 0\n"
    "    l32i    a1, a4, 28\n"
    "    espconn_secure_load_regs a1\n"
    "    addi    a1, a1, 32\n"
    "    ret\n"
    "    .size espconn_secure_stack_resume, . - espconn_secure_stack_resume\n"
    "\n"
    "    .section .text.espconn_secure_stack_escape,\"ax\",@progbits\n"
    "    .literal_position\n"
    "    .align 4\n"
    "    .global espconn_secure_stack_escape\n"
    "    .type espconn_secure_stack_escape,@function\n"
    "espconn_secure_stack_escape:\n"
    "    movi    a6, espconn_secure_escape_frame\n"
    "    l32i    a4, a6, 0\n"
    "    bnez    a4, 1f\n"
    "    ret\n"
    "1:  l32i    a7, a4, 24\n"
    "    s32i    a7, a6, 0\n"
    "    espconn_secure_load_regs a4\n"
    "    l32i    a1, a4, 4\n"
    "    movi    a2, 1\n"
    "    ret\n"
    "    .size espconn_secure_stack_escape, . - espconn_secure_stack_escape\n"
    "    .text\n");

/* The innermost running espconn_secure_stack_call's saved frame, or NULL. */
void *espconn_secure_escape_frame;

/* Whether the innermost running step was started with
 * espconn_secure_stack_start (and so may yield). */
int espconn_secure_stack_may_yield(void)
{
    unsigned *frame = espconn_secure_escape_frame;
    return frame && frame[8];
}

/* src/platform/slice.rs's counters: public-key operations since the SDK
 * callback began, and steps suspended now. */
static unsigned slice_counters[2];

unsigned *espconn_secure_slice_counters(void)
{
    return slice_counters;
}
