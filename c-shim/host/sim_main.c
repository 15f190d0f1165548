/*
 * sim_main.c: main() of simulated NONOS programs (linked into C programs
 * only; the library bundles the rest of the simulator). Parses the common
 * options, boots the program through user_pre_init()/user_init(), runs the
 * event loop and prints the heap summary line tests parse.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_types.h"
#include "user_interface.h"
#include "sim.h"
#include "sim_internal.h"

/* Optional in programs written for SDKs before 3.0. */
void user_pre_init(void) __attribute__((weak));
void user_rf_pre_init(void) __attribute__((weak));

static void usage_error(const char *msg, const char *val)
{
    fprintf(stderr, "sim: %s: %s\n", msg, val ? val : "(missing)");
    exit(2);
}

static uint32_t parse_u32(const char *opt, const char *s)
{
    char *end;
    if (!s || !*s)
        usage_error("missing value for", opt);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > UINT32_MAX)
        usage_error("bad number for", opt);
    return (uint32_t)v;
}

static void print_heap_line(void)
{
    uint32_t in_use, peak, allocs;
    sim_heap_stats(&in_use, &peak, &allocs);
    if (sim_arg("scan-free"))
        printf("scan_free_hits=%u\n", sim_heap_scan_hits());
    struct sim_counters c;
    sim_get_counters(&c);
    printf("pk_ops=%u pk_ops_max_per_callback=%u\n", c.pk_ops, c.pk_ops_max_per_callback);
    printf("cpu_freq=%u cpu_freq_changes=%u\n", c.cpu_freq, c.cpu_freq_changes);
    printf("heap_peak=%u heap_in_use=%u allocs=%u\n", peak, in_use, allocs);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    /* Line-buffered even into a pipe, so that output interleaves with the
     * peers' in the order it happened. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    (void)sim_now_us();     /* boot time */

    uint32_t run_for = 30000;
    /* The flash file first: placements go on top of it, whatever the order
     * of the options. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--flash") == 0) {
            const char *v = i + 1 < argc ? argv[i + 1] : NULL;
            if (!v || sim_flash_open(v) != 0)
                usage_error("cannot use flash file", v);
            i++;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--flash") == 0) {
            i++;
        } else if (strcmp(a, "--flash-place") == 0) {
            const char *colon = v ? strchr(v, ':') : NULL;
            if (!colon)
                usage_error("--flash-place wants SECTOR:FILE, got", v);
            char sec[32];
            size_t len = (size_t)(colon - v);
            if (len == 0 || len >= sizeof sec)
                usage_error("bad sector in --flash-place", v);
            memcpy(sec, v, len);
            sec[len] = '\0';
            if (sim_flash_place(parse_u32("--flash-place", sec), colon + 1) != 0)
                usage_error("cannot place", v);
            i++;
        } else if (strcmp(a, "--heap") == 0) {
            sim_heap_set_cap(parse_u32(a, v));
            i++;
        } else if (strcmp(a, "--time") == 0) {
            sim_set_unix_time(parse_u32(a, v));
            i++;
        } else if (strcmp(a, "--uptime-us") == 0) {
            sim_set_uptime_us(parse_u32(a, v));
            i++;
        } else if (strcmp(a, "--run-for") == 0) {
            run_for = parse_u32(a, v);
            i++;
        } else if (strcmp(a, "--rtc") == 0) {
            if (!v || sim_rtc_open(v) != 0)
                usage_error("cannot use RTC file", v);
            i++;
        } else if (strcmp(a, "--scan-free") == 0) {
            /* HEX bytes: see sim_heap_scan_free() in sim.h. */
            uint8_t pat[64];
            uint32_t n = 0;
            for (const char *h = v; h && h[0] && h[1] && n < sizeof pat; h += 2) {
                char byte[3] = {h[0], h[1], 0};
                char *end;
                pat[n++] = (uint8_t)strtoul(byte, &end, 16);
                if (*end)
                    usage_error("bad hex for", a);
            }
            if (!v || n == 0 || (v && strlen(v) != 2 * n))
                usage_error("bad hex for", a);
            sim_heap_scan_free(pat, n);
            i++;
        } else if (strcmp(a, "--fail-alloc") == 0) {
            sim_heap_fail_at(parse_u32(a, v));
            i++;
        }
    }
    /* Every option, common ones included, is visible through sim_arg(). */
    sim_set_args(argc, argv);

    if (user_rf_pre_init)
        user_rf_pre_init();
    if (user_pre_init)
        user_pre_init();
    sim_in_user_init = 1;
    user_init();
    sim_in_user_init = 0;
    sim_system_boot_done();

    int rc = sim_run(run_for);
    if (rc == SIM_RUN_TIMEOUT) {
        printf("sim: timeout: run time of %u ms elapsed without sim_exit()\n", run_for);
        rc = 3;
    }
    print_heap_line();
    return rc;
}
