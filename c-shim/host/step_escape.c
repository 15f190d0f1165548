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
 * dedicated stack) is ignored on the host, where these steps use the
 * caller's stack.
 *
 * espconn_secure_stack_start(fn, arg, top, base) runs fn(arg) on the stack
 * [base, top) (from espconn_secure_host_stack_alloc) as a step that may be
 * suspended: espconn_secure_stack_yield() inside it makes the start (or the
 * resume running it) return 2, and espconn_secure_stack_resume(top) carries
 * on from the yield. Done with ucontext; the frame sits just below `top`.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

struct step_frame {
    struct step_frame *prev;
    int resumable;
    int status;                 /* what the runner's call returns */
    jmp_buf here;               /* stack_call's */
    ucontext_t runner, step;    /* stack_start's */
    void (*fn)(void *);
    void *arg;
};

/* NONOS is single-threaded and the library only steps on the event loop,
 * but Rust's unit tests step engines on several threads at once. */
static __thread struct step_frame *innermost;
static __thread struct step_frame *starting;

int espconn_secure_stack_call(void (*fn)(void *), void *arg, void *top)
{
    (void)top;
    struct step_frame f;
    f.prev = innermost;
    f.resumable = 0;
    struct step_frame *volatile prev = f.prev;
    if (setjmp(f.here)) {
        innermost = prev;
        return 1;
    }
    innermost = &f;
    fn(arg);
    innermost = prev;
    return 0;
}

static struct step_frame *frame_at(void *top)
{
    uintptr_t p = ((uintptr_t)top - sizeof(struct step_frame)) & ~(uintptr_t)63;
    return (struct step_frame *)p;
}

static void step_entry(void)
{
    struct step_frame *f = starting;
    f->fn(f->arg);
    f->status = 0;
    setcontext(&f->runner);
}

/* Runs frame f until it yields, escapes or returns. */
static int run_frame(struct step_frame *f)
{
    f->prev = innermost;
    innermost = f;
    swapcontext(&f->runner, &f->step);
    innermost = f->prev;
    return f->status;
}

int espconn_secure_stack_start(void (*fn)(void *), void *arg, void *top, void *base)
{
    struct step_frame *f = frame_at(top);
    f->resumable = 1;
    f->fn = fn;
    f->arg = arg;
    f->status = 1;
    if (getcontext(&f->step) != 0)
        return 1;
    f->step.uc_stack.ss_sp = base;
    f->step.uc_stack.ss_size = (size_t)((char *)f - (char *)base);
    f->step.uc_link = NULL;
    starting = f;
    makecontext(&f->step, step_entry, 0);
    return run_frame(f);
}

int espconn_secure_stack_resume(void *top)
{
    return run_frame(frame_at(top));
}

void espconn_secure_stack_yield(void)
{
    struct step_frame *f = innermost;
    if (!f || !f->resumable)
        return;
    f->status = 2;
    swapcontext(&f->step, &f->runner);
}

int espconn_secure_stack_may_yield(void)
{
    return innermost && innermost->resumable;
}

/* Returns only when no step is running (the caller then gives up another
 * way). */
void espconn_secure_stack_escape(void)
{
    struct step_frame *f = innermost;
    if (!f)
        return;
    if (!f->resumable)
        longjmp(f->here, 1);
    f->status = 1;
    setcontext(&f->runner);
}

/* A suspendable step's stack on the host: `size` bytes of the process's
 * memory (not the simulated SDK heap, whose figures are the chip's heap
 * without its engine stacks) above a guard page. NULL when unavailable. */
void *espconn_secure_host_stack_alloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    mprotect(p, page, PROT_NONE);
    return p + page;
}

void espconn_secure_host_stack_free(void *base, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (base)
        munmap((char *)base - page, size + page);
}

/* src/platform/slice.rs's counters: public-key operations since the SDK
 * callback began, and steps suspended now. */
static __thread uint32_t slice_counters[2];

uint32_t *espconn_secure_slice_counters(void)
{
    return slice_counters;
}
