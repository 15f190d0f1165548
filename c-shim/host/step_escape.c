/*
 * step_escape.c: the host half of the library's engine-step guard (the chip
 * half is assembly in c-shim/esp8266/chip_rt.c). Not part of the simulated
 * SDK: it is the library's own runtime, bundled here because host builds
 * compile every c-shim/host source.
 *
 * espconn_secure_stack_call(fn, arg, top) runs fn(arg) and returns 0; if
 * espconn_secure_stack_escape() is called while fn runs, the call returns 1
 * at once instead, abandoning fn's frames. The library uses it to give up an
 * engine step whose allocation failed: nothing of the step is touched again
 * and its connection's arena returns all its memory. `top` (the chip's
 * dedicated stack) is ignored on the host, where steps use the caller's stack.
 */
#include <setjmp.h>
#include <stddef.h>

/* NONOS is single-threaded and the library only steps on the event loop,
 * but Rust's unit tests step engines on several threads at once. */
static __thread jmp_buf *escape_target;

int espconn_secure_stack_call(void (*fn)(void *), void *arg, void *top)
{
    (void)top;
    jmp_buf here;
    jmp_buf *volatile prev = escape_target;
    if (setjmp(here)) {
        escape_target = prev;
        return 1;
    }
    escape_target = &here;
    fn(arg);
    escape_target = prev;
    return 0;
}

/* Returns only when no step is running (the caller then gives up another
 * way). */
void espconn_secure_stack_escape(void)
{
    if (escape_target)
        longjmp(*escape_target, 1);
}
