/*
 * sim_heap.c: the SDK heap (pvPortMalloc & co.) with the chip's scarcity.
 *
 * Backed by libc malloc with a header so that usage is exact: the cap and the
 * statistics count the bytes callers requested, which is what a program can
 * control, not this allocator's overhead. The header's magic turns frees of
 * foreign or already-freed pointers into loud aborts: on the chip they
 * corrupt the heap silently.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_types.h"
#include "mem.h"
#include "osapi.h"
#include "user_interface.h"
#include "sim.h"
#include "sim_internal.h"

#define MAGIC_LIVE 0x5348454150414c4cull   /* "SHEAPALL" */
#define MAGIC_DEAD 0x5348454150444541ull

/* 16 bytes keep the payload as aligned as malloc's own. */
struct hdr {
    uint64_t magic;
    uint64_t size;
};

/* Rust test harnesses call the allocator from several threads. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t cap = 40960;
static uint32_t in_use, peak, attempts, fail_at;

void sim_heap_stats(uint32_t *o_in_use, uint32_t *o_peak, uint32_t *o_allocs)
{
    pthread_mutex_lock(&lock);
    if (o_in_use)
        *o_in_use = in_use;
    if (o_peak)
        *o_peak = peak;
    if (o_allocs)
        *o_allocs = attempts;
    pthread_mutex_unlock(&lock);
}

void sim_heap_set_cap(uint32_t bytes)
{
    pthread_mutex_lock(&lock);
    cap = bytes;
    pthread_mutex_unlock(&lock);
}

void sim_heap_fail_at(uint32_t n)
{
    pthread_mutex_lock(&lock);
    fail_at = n;
    pthread_mutex_unlock(&lock);
}

void sim_heap_reset_peak(void)
{
    pthread_mutex_lock(&lock);
    peak = in_use;
    pthread_mutex_unlock(&lock);
}

uint32 system_get_free_heap_size(void)
{
    pthread_mutex_lock(&lock);
    uint32_t free_bytes = in_use < cap ? cap - in_use : 0;
    pthread_mutex_unlock(&lock);
    return free_bytes;
}

static int trace_enabled(void);
static uint8_t scan_pattern[64];
static uint32_t scan_len, scan_hits;

void sim_heap_scan_free(const uint8_t *pattern, uint32_t len)
{
    pthread_mutex_lock(&lock);
    scan_len = len <= sizeof scan_pattern ? len : 0;
    if (scan_len)
        memcpy(scan_pattern, pattern, scan_len);
    scan_hits = 0;
    pthread_mutex_unlock(&lock);
}

uint32_t sim_heap_scan_hits(void)
{
    pthread_mutex_lock(&lock);
    uint32_t n = scan_hits;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Called with the lock held, on a block about to be freed. */
static void scan_block(const struct hdr *h)
{
    if (scan_len && memmem(h + 1, h->size, scan_pattern, scan_len)) {
        scan_hits++;
        if (trace_enabled())
            fprintf(stderr, "sim-heap: freed block of %u bytes holds the scanned pattern\n",
                    (unsigned)h->size);
    }
}

static struct hdr *hdr_of(void *p, const char *what)
{
    struct hdr *h = (struct hdr *)p - 1;
    if (h->magic == MAGIC_DEAD)
        sim_fatal("%s(%p): double free", what, p);
    if (h->magic != MAGIC_LIVE)
        sim_fatal("%s(%p): pointer not from the SDK heap (or already freed)", what, p);
    return h;
}

/* SIM_HEAP_TRACE=1 prints every allocation, reallocation and free to
 * stderr with its block's address, to see what a heap figure is made of
 * (scripts/heap-peak.py lists the blocks live at the peak); =2 adds the
 * return addresses of each allocation's callers, which heap-peak.py turns
 * into function names. */
static int trace_enabled(void)
{
    static int enabled = -1;
    if (enabled < 0) {
        const char *v = getenv("SIM_HEAP_TRACE");
        enabled = v && *v && *v != '0' ? (*v == '2' ? 2 : 1) : 0;
    }
    return enabled;
}

/* Called with the lock held, after an allocation's trace line. */
static void trace_callers(void)
{
    if (trace_enabled() < 2)
        return;
    void *frames[24];
    int n = backtrace(frames, 24);
    fprintf(stderr, "sim-heap: callers");
    /* Offsets in their object (position-independent executables load
     * anywhere), for addr2line. */
    for (int i = 1; i < n; i++) {
        Dl_info info;
        uintptr_t base = dladdr(frames[i], &info) ? (uintptr_t)info.dli_fbase : 0;
        fprintf(stderr, " %#lx", (unsigned long)((uintptr_t)frames[i] - base));
    }
    fprintf(stderr, "\n");
}

/* Called with the lock held. Returns 0 when the attempt must fail. */
static int admit(uint64_t old_size, uint64_t new_size)
{
    attempts++;
    if (fail_at && attempts == fail_at)
        return 0;
    uint64_t after = (uint64_t)in_use - old_size + new_size;
    return after <= cap;
}

static void account(uint64_t old_size, uint64_t new_size)
{
    in_use = (uint32_t)((uint64_t)in_use - old_size + new_size);
    if (in_use > peak)
        peak = in_use;
}

static void *heap_alloc(size_t sz, int zero)
{
    pthread_mutex_lock(&lock);
    if (!admit(0, sz) || sz > UINT32_MAX - sizeof(struct hdr)) {
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    struct hdr *h = zero ? calloc(1, sizeof *h + sz) : malloc(sizeof *h + sz);
    if (!h) {
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    h->magic = MAGIC_LIVE;
    h->size = sz;
    account(0, sz);
    if (trace_enabled()) {
        fprintf(stderr, "sim-heap: alloc %zu at %p -> in_use %u\n", sz, (void *)(h + 1), in_use);
        trace_callers();
    }
    pthread_mutex_unlock(&lock);
    return h + 1;
}

void *pvPortMalloc(size_t sz, const char *file, unsigned line, bool use_iram)
{
    (void)file; (void)line; (void)use_iram;
    return heap_alloc(sz, 0);
}

void *pvPortZalloc(size_t sz, const char *file, unsigned line)
{
    (void)file; (void)line;
    return heap_alloc(sz, 1);
}

void *pvPortZallocIram(size_t sz, const char *file, unsigned line)
{
    return pvPortZalloc(sz, file, line);
}

void *pvPortCalloc(size_t count, size_t size, const char *file, unsigned line)
{
    (void)file; (void)line;
    if (size && count > SIZE_MAX / size) {
        /* Still an attempt: fault-injection numbering must not depend on
         * argument values. */
        pthread_mutex_lock(&lock);
        attempts++;
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    return heap_alloc(count * size, 1);
}

void *pvPortCallocIram(size_t count, size_t size, const char *file, unsigned line)
{
    return pvPortCalloc(count, size, file, line);
}

void vPortFree(void *p, const char *file, unsigned line)
{
    (void)file; (void)line;
    if (!p)
        return;
    pthread_mutex_lock(&lock);
    struct hdr *h = hdr_of(p, "vPortFree");
    scan_block(h);
    account(h->size, 0);
    if (trace_enabled())
        fprintf(stderr, "sim-heap: free %u at %p -> in_use %u\n", (unsigned)h->size, p, in_use);
    h->magic = MAGIC_DEAD;
    pthread_mutex_unlock(&lock);
    free(h);
}

void *pvPortRealloc(void *p, size_t n, const char *file, unsigned line)
{
    if (!p)
        return pvPortMalloc(n, file, line, false);
    if (n == 0) {
        vPortFree(p, file, line);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    struct hdr *h = hdr_of(p, "pvPortRealloc");
    uint64_t old = h->size;
    scan_block(h);
    if (!admit(old, n) || n > UINT32_MAX - sizeof(struct hdr)) {
        pthread_mutex_unlock(&lock);
        return NULL;    /* the old block stays valid, as with realloc */
    }
    struct hdr *nh = realloc(h, sizeof *nh + n);
    if (!nh) {
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    nh->size = n;
    account(old, n);
    if (trace_enabled()) {
        fprintf(stderr, "sim-heap: realloc %p %u to %zu at %p -> in_use %u\n", p, (unsigned)old, n,
                (void *)(nh + 1), in_use);
        trace_callers();
    }
    pthread_mutex_unlock(&lock);
    return nh + 1;
}

void system_show_malloc(void)
{
    uint32_t u, pk, a;
    sim_heap_stats(&u, &pk, &a);
    os_printf_plus("heap: in_use=%u peak=%u allocs=%u cap=%u\n", u, pk, a, cap);
}

void system_print_meminfo(void)
{
    system_show_malloc();
}

/* A line in the trace (SIM_HEAP_TRACE) that says where the program is: the
 * library marks each engine step's start with its pre-check (`step N`, a
 * resumed step `resume 0`), its end (`end 0`) and each public-key operation
 * with its declared need (`pk N`); scripts/heap-steps.py compares them with
 * what was allocated. */
void sim_heap_mark(const char *what, unsigned n)
{
    pthread_mutex_lock(&lock);
    if (trace_enabled())
        fprintf(stderr, "sim-heap: mark %s %u in_use %u\n", what, n, in_use);
    pthread_mutex_unlock(&lock);
}
