/*
 * sim.h: controls of the host NONOS simulator that are not part of the SDK,
 * for C test programs, sim_main.c and the Rust side (host builds bundle every
 * the c-shim/host sources except sim_main.c into the library).
 */
#ifndef SIM_H
#define SIM_H

#include <stdint.h>
#include "sim_hooks.h"

/* ---- SDK heap (pvPortMalloc & co.) ----
 * Counts bytes requested by callers (not allocator overhead). `allocs` counts
 * allocation attempts (malloc/zalloc/calloc/realloc to a non-zero size), the
 * same numbering sim_heap_fail_at() uses, so every N in 1..allocs of a run is
 * a distinct failure point. */
void sim_heap_stats(uint32_t *in_use, uint32_t *peak, uint32_t *allocs);
/* Capacity in bytes (default 40960); an allocation that would take in_use
 * above it returns NULL. */
void sim_heap_set_cap(uint32_t bytes);
/* Make allocation attempt number n (1-based, whole run) return NULL; 0 = off. */
void sim_heap_fail_at(uint32_t n);
void sim_heap_reset_peak(void);
/* Check every block given back to the SDK heap (vPortFree, and the old block
 * of a pvPortRealloc) for `len` bytes (at most 64) equal to `pattern` before
 * it goes: a secret that reaches free memory unwiped (`--scan-free HEX`).
 * sim_heap_scan_hits() counts the freed blocks that held it. */
void sim_heap_scan_free(const uint8_t *pattern, uint32_t len);
uint32_t sim_heap_scan_hits(void);

/* ---- command line / run control ---- */
/* Remembers every `--name value` pair for sim_arg(); a flag followed by
 * another flag or by nothing is stored with the value "1". */
void sim_set_args(int argc, char **argv);
/* Runs the event loop until sim_exit() (returns its code) or until
 * run_for_ms elapsed (returns SIM_RUN_TIMEOUT). 0 = no time limit. */
#define SIM_RUN_TIMEOUT (-1)
int sim_run(uint32_t run_for_ms);
/* One loop iteration: waits at most max_wait_ms for I/O or timers and runs
 * what is due. Returns 1 when sim_exit() has been called, else 0. For
 * drivers (e.g. Rust tests) that interleave their own checks. */
int sim_poll(uint32_t max_wait_ms);
int sim_exit_requested(int *code);
/* Clears a previous sim_exit() so that a driver can run the loop again. */
void sim_exit_clear(void);

/* ---- flash (4 MB, 4096-byte sectors, erased = 0xFF) ---- */
#define SIM_FLASH_SIZE (4u * 1024u * 1024u)
/* Backs flash with `path` (created erased when missing). 0 on success. */
int sim_flash_open(const char *path);
/* Erases the sectors that `path`'s contents cover from `sector` on, then
 * writes the file there. 0 on success, -1 on error (message on stderr). */
int sim_flash_place(uint32_t sector, const char *path);

/* ---- time ---- */
/* Sets the network's time: what SNTP servers answer now (the host's clock
 * without a call); it then advances with real time. The program sees it
 * through sntp_get_current_timestamp() once SNTP has synchronised, about a
 * second after sntp_init() with a server set (0 until then, as on the chip). */
void sim_set_unix_time(uint32_t unix_seconds);
/* system_get_time() reads `us` at boot (default 0), running on and wrapping
 * at 2^32 as on the chip: --uptime-us 4294000000 shows its wrap ~1 s in. */
void sim_set_uptime_us(uint32_t us);

/* ---- RTC memory / deep sleep ---- */
/* File holding the 512-byte user RTC area across runs: loaded now when it
 * exists (and the boot reason becomes deep-sleep wake), saved by
 * system_deep_sleep(). 0 on success. */
int sim_rtc_open(const char *path);

/* ---- Wi-Fi ---- */
/* Puts the station straight into STATION_GOT_IP (127.0.0.1) without events,
 * for drivers that skip the Wi-Fi start-up. */
void sim_wifi_force_got_ip(void);

/* ---- recorded system calls ---- */
struct sim_counters {
    uint32_t wdt_feeds;
    uint32_t wdt_stops;
    uint32_t wdt_restarts;
    uint32_t cpu_freq_changes;
    uint32_t pk_ops;            /* public-key operations (library hook) */
    uint32_t pk_ops_max_per_callback; /* most of them in one SDK callback */
    uint8_t  cpu_freq;          /* current: 80 or 160 */
    uint8_t  wdt_stopped;       /* 1 between stop and restart */
};
void sim_get_counters(struct sim_counters *out);

/* ---- randomness ---- */
/* os_get_random() reads getrandom() unless a state is set: then it draws
 * from a deterministic generator (splitmix64) whose state can be read back
 * and set again, so that a driver can keep separate, replayable streams
 * (fuzzing the record path against a recorded transcript). */
void sim_random_set_state(uint64_t state);
uint64_t sim_random_state(void);
/* Back to getrandom(). */
void sim_random_system(void);

#endif /* SIM_H */
