/*
 * SDK heap checks. Modes (--mode):
 *   cap      (run with --heap 1000) allocations up to the cap succeed, one
 *            past it returns NULL, free heap follows; realloc past the cap
 *            keeps the old block.
 *   inject   (run with --fail-alloc N) makes 6 allocations of 10 bytes and
 *            prints which ones failed.
 *   foreign  frees a pointer that is not from the heap (must abort).
 *   double   frees the same block twice (must abort).
 * Prints EV lines; the final heap line comes from sim_main.
 */
#include <stdlib.h>
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "mem.h"
#include "sim_hooks.h"
#include "sim.h"

LOCAL int str_eq(const char *a, const char *b) { return a && os_strcmp(a, b) == 0; }

LOCAL void mode_cap(void)
{
    os_printf("EV free0 %u\n", system_get_free_heap_size());
    uint8 *a = os_malloc(600);
    os_printf("EV a %s\n", a ? "ok" : "null");
    os_printf("EV free1 %u\n", system_get_free_heap_size());
    uint8 *b = os_malloc(600);
    os_printf("EV b %s\n", b ? "ok" : "null");
    uint8 *c = os_zalloc(400);
    os_printf("EV c %s zero=%d\n", c ? "ok" : "null", c ? c[0] == 0 && c[399] == 0 : -1);
    os_printf("EV free2 %u\n", system_get_free_heap_size());
    /* 600 + 400 = 1000 = cap: one more byte must fail. */
    uint8 *d = os_malloc(1);
    os_printf("EV d %s\n", d ? "ok" : "null");
    if (a)
        os_memset(a, 0x5a, 600);
    uint8 *a2 = os_realloc(a, 700);
    os_printf("EV realloc-grow %s\n", a2 ? "ok" : "null");
    /* The old block must survive the failed realloc. */
    os_printf("EV a-intact %d\n", a && a[0] == 0x5a && a[599] == 0x5a);
    a2 = os_realloc(a, 100);
    os_printf("EV realloc-shrink %s intact=%d\n", a2 ? "ok" : "null", a2 && a2[99] == 0x5a);
    void *big = os_calloc(0x40000000u, 16);
    os_printf("EV calloc-overflow %s\n", big ? "ok" : "null");
    os_free(a2);
    os_free(c);
    os_free(NULL);
    uint32_t in_use, peak, allocs;
    sim_heap_stats(&in_use, &peak, &allocs);
    os_printf("EV stats in_use=%u peak=%u\n", in_use, peak);
    os_printf("EV free3 %u\n", system_get_free_heap_size());
}

LOCAL void mode_inject(void)
{
    void *p[6];
    int i;
    for (i = 0; i < 6; i++) {
        p[i] = os_malloc(10);
        os_printf("EV alloc %d %s\n", i + 1, p[i] ? "ok" : "null");
    }
    for (i = 0; i < 6; i++)
        os_free(p[i]);
}

void user_init(void)
{
    const char *mode = sim_arg("mode");
    if (str_eq(mode, "cap")) {
        mode_cap();
    } else if (str_eq(mode, "inject")) {
        mode_inject();
    } else if (str_eq(mode, "foreign")) {
        void *p = malloc(64);
        os_printf("EV freeing-foreign\n");
        os_free(p);
        os_printf("EV survived\n");
    } else if (str_eq(mode, "double")) {
        void *p = os_malloc(8);
        os_free(p);
        os_printf("EV freeing-twice\n");
        os_free(p);
        os_printf("EV survived\n");
    } else {
        os_printf("EV usage\n");
    }
    sim_exit(0);
}
