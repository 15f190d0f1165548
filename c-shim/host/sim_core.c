/*
 * sim_core.c: the simulator's single-threaded event loop (deferred work,
 * software timers, posted tasks, sockets through poll()), the clock, the
 * command-line store, printing, randomness and the ROM string helpers.
 *
 * The simulator's own bookkeeping (timer nodes, deferred work, argument
 * copies, socket buffers) uses plain libc malloc on purpose: only what the
 * program and the library ask of the SDK heap counts against --heap.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "c_types.h"
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "sntp.h"
#include "ip_addr.h"
#include "sim.h"
#include "sim_internal.h"

/* ------------------------------------------------------------------ clock */

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t boot_us;

uint64_t sim_now_us(void)
{
    /* Boot is the first look at the clock, so that library users without
     * sim_main.c get a sensible origin too. */
    if (boot_us == 0)
        boot_us = mono_us() - 1;
    return mono_us() - boot_us;
}

static uint32_t uptime_offset_us;

void sim_set_uptime_us(uint32_t us)
{
    uptime_offset_us = us;
}

uint32 system_get_time(void)
{
    /* Wraps at 2^32 us (~71.6 minutes), as the SDK's. */
    return (uint32)sim_now_us() + uptime_offset_us;
}

uint32 system_get_rtc_time(void)
{
    /* RTC ticks are ~5.75 us on the chip; programs only take differences,
     * scaled by system_rtc_clock_cali_proc(). */
    return (uint32)(sim_now_us() * 4096 / 23552);
}

uint32 system_rtc_clock_cali_proc(void)
{
    /* 5.75 us per tick in Q12 fixed point, as the calibration reports it. */
    return 23552;
}

void ets_delay_us(uint32_t us)
{
    /* Busy-waits like the ROM routine: the loop does not run meanwhile. */
    uint64_t end = sim_now_us() + us;
    while (sim_now_us() < end)
        ;
}

/* SNTP as on a network: the servers' time is the host's clock, or what
 * --time set (running on from there). The client synchronises about a
 * second after sntp_init() once a server is set (by name or address);
 * until then, and without sntp_init() or a server, the timestamp is 0, as
 * on the chip. */
#define SNTP_SYNC_DELAY_US 1000000u

static int net_time_set;
static uint32_t net_time_base;
static uint64_t net_time_base_at_us;
static int sntp_running, sntp_pending, sntp_synced;

void sim_set_unix_time(uint32_t unix_seconds)
{
    net_time_set = 1;
    net_time_base = unix_seconds;
    net_time_base_at_us = sim_now_us();
}

/* What an SNTP server would answer now. */
static uint32_t network_time(void)
{
    if (!net_time_set)
        return (uint32_t)time(NULL);
    return net_time_base + (uint32_t)((sim_now_us() - net_time_base_at_us) / 1000000u);
}

uint32 sntp_get_current_timestamp(void)
{
    return sntp_synced ? network_time() : 0;
}
char *sntp_get_real_time(long t)
{
    static char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    /* Same shape as the SDK's asctime-like string. */
    strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Y\n", &tm);
    return buf;
}

static char *sntp_names[3];
static ip_addr_t sntp_addrs[3];
static sint8 sntp_tz = 8;   /* the SDK's default time zone is UTC+8 */

static int sntp_have_server(void)
{
    for (int i = 0; i < 3; i++)
        if ((sntp_names[i] && sntp_names[i][0]) || sntp_addrs[i].addr != 0)
            return 1;
    return 0;
}

static void sntp_sync_due(void *owner, intptr_t arg)
{
    (void)owner;
    (void)arg;
    sntp_pending = 0;
    if (sntp_running && sntp_have_server())
        sntp_synced = 1;
}

/* The first answer comes about a second after the client has both been
 * started and been given a server, from the event loop. */
static void sntp_schedule(void)
{
    if (sntp_running && !sntp_synced && !sntp_pending && sntp_have_server()) {
        sntp_pending = 1;
        sim_defer(sntp_sync_due, &sntp_pending, 0, SNTP_SYNC_DELAY_US);
    }
}

void sntp_init(void)
{
    sntp_running = 1;
    sntp_schedule();
}

void sntp_stop(void)
{
    /* The clock keeps the time it has; only a pending first sync stops. */
    sntp_running = 0;
    sntp_pending = 0;
    sim_defer_cancel(&sntp_pending);
}

void sntp_setserver(unsigned char idx, ip_addr_t *addr)
{
    if (idx < 3 && addr) {
        sntp_addrs[idx] = *addr;
        sntp_schedule();
    }
}

ip_addr_t sntp_getserver(unsigned char idx)
{
    ip_addr_t none = { 0 };
    return idx < 3 ? sntp_addrs[idx] : none;
}

void sntp_setservername(unsigned char idx, char *server)
{
    if (idx < 3) {
        sntp_names[idx] = server;
        sntp_schedule();
    }
}

char *sntp_getservername(unsigned char idx)
{
    return idx < 3 ? sntp_names[idx] : NULL;
}

bool sntp_set_timezone(sint8 timezone)
{
    if (timezone < -11 || timezone > 13)
        return false;
    sntp_tz = timezone;
    return true;
}

sint8 sntp_get_timezone(void)
{
    return sntp_tz;
}

/* ------------------------------------------------------------- arguments */

struct sim_kv {
    char *name;
    char *value;
};
static struct sim_kv *args;
static int nargs;

void sim_set_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
            continue;
        const char *val = "1";
        if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
            val = argv[++i];
        args = realloc(args, sizeof(*args) * (size_t)(nargs + 1));
        if (!args)
            sim_fatal("out of memory");
        args[nargs].name = strdup(a + 2);
        args[nargs].value = strdup(val);
        nargs++;
    }
}

const char *sim_arg(const char *name)
{
    /* The last occurrence wins, like most command-line tools. */
    for (int i = nargs - 1; i >= 0; i--)
        if (strcmp(args[i].name, name) == 0)
            return args[i].value;
    return NULL;
}

const char *sim_arg_file(const char *name, unsigned int *len)
{
    const char *path = sim_arg(name);
    if (len)
        *len = 0;
    if (!path)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            sim_fatal("out of memory");
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = (unsigned int)n;
    /* Kept until exit (simulator bookkeeping, not the simulated heap). */
    return buf;
}

/* ---------------------------------------------------------- exit control */

static int exit_requested;
static int exit_code;

void sim_exit(int code)
{
    if (!exit_requested) {
        exit_requested = 1;
        exit_code = code;
    }
}

int sim_exit_requested(int *code)
{
    if (exit_requested && code)
        *code = exit_code;
    return exit_requested;
}

void sim_exit_clear(void)
{
    exit_requested = 0;
    exit_code = 0;
}

void sim_fatal(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("sim: FATAL: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ------------------------------------------------------------ print, rng */

static void (*putc1)(char c);

void ets_install_putc1(void (*p)(char c))
{
    putc1 = p;
}

int os_printf_plus(const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    if (putc1) {
        char buf[1024];
        n = vsnprintf(buf, sizeof buf, format, ap);
        for (int i = 0; i < n && i < (int)sizeof buf - 1; i++)
            putc1(buf[i]);
    } else {
        n = vprintf(format, ap);
    }
    va_end(ap);
    return n;
}

static int rng_fixed;
static uint64_t rng_state;

void sim_random_set_state(uint64_t state)
{
    rng_state = state;
    rng_fixed = 1;
}

uint64_t sim_random_state(void)
{
    return rng_state;
}

void sim_random_system(void)
{
    rng_fixed = 0;
}

/* splitmix64: reproducible, not secret; only for sim_random_set_state(). */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int os_get_random(unsigned char *buf, size_t len)
{
    size_t done = 0;
    if (rng_fixed) {
        while (done < len) {
            uint64_t v = rng_next();
            for (int i = 0; i < 8 && done < len; i++, v >>= 8)
                buf[done++] = (unsigned char)v;
        }
        return 0;
    }
    while (done < len) {
        ssize_t r = getrandom(buf + done, len - done, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

unsigned long os_random(void)
{
    uint32_t v = 0;
    os_get_random((unsigned char *)&v, sizeof v);
    return v;
}

/* The mask ROM's libc subset, for programs that call the ets_* names. */
int ets_memcmp(const void *s1, const void *s2, size_t n) { return memcmp(s1, s2, n); }
void *ets_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
void *ets_memmove(void *d, const void *s, size_t n) { return memmove(d, s, n); }
void *ets_memset(void *s, int c, size_t n) { return memset(s, c, n); }
void ets_bzero(void *s, size_t n) { memset(s, 0, n); }
int ets_strcmp(const char *a, const char *b) { return strcmp(a, b); }
char *ets_strcpy(char *d, const char *s) { return strcpy(d, s); }
size_t ets_strlen(const char *s) { return strlen(s); }
int ets_strncmp(const char *a, const char *b, unsigned int n) { return strncmp(a, b, n); }
char *ets_strncpy(char *d, const char *s, size_t n) { return strncpy(d, s, n); }
char *ets_strstr(const char *h, const char *n) { return strstr(h, n); }
char *ets_strcat(char *d, const char *s) { return strcat(d, s); }
char *ets_strchr(const char *s, int c) { return strchr(s, c); }

int ets_vsnprintf(char *str, unsigned int size, const char *format, va_list ap)
{
    return vsnprintf(str, size, format, ap);
}

int ets_snprintf(char *str, unsigned int size, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(str, size, format, ap);
    va_end(ap);
    return n;
}

int ets_sprintf(char *str, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsprintf(str, format, ap);
    va_end(ap);
    return n;
}

/* Single-threaded: interrupts never preempt simulated code. */
void ets_intr_lock(void) {}
void ets_intr_unlock(void) {}

/* ------------------------------------------------------------- ip_addr.h */

int ipaddr_aton(const char *cp, ip_addr_t *addr)
{
    unsigned v[4];
    char tail;
    if (!cp || sscanf(cp, "%u.%u.%u.%u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4)
        return 0;
    for (int i = 0; i < 4; i++)
        if (v[i] > 255)
            return 0;
    if (addr)
        IP4_ADDR(addr, v[0], v[1], v[2], v[3]);
    return 1;
}

uint32 ipaddr_addr(const char *cp)
{
    ip_addr_t a;
    return ipaddr_aton(cp, &a) ? a.addr : IPADDR_NONE;
}

char *ipaddr_ntoa(const ip_addr_t *addr)
{
    static char buf[16];
    snprintf(buf, sizeof buf, IPSTR, IP2STR(addr));
    return buf;
}

/* --------------------------------------------------------- deferred work */

struct defer {
    struct defer *next;
    sim_defer_fn fn;
    void *owner;
    intptr_t arg;
    uint64_t due;
    uint64_t seq;
};
static struct defer *defers;    /* sorted by (due, seq) */
static uint64_t defer_seq;

void sim_defer(sim_defer_fn fn, void *owner, intptr_t arg, uint64_t delay_us)
{
    struct defer *d = malloc(sizeof *d);
    if (!d)
        sim_fatal("out of memory");
    d->fn = fn;
    d->owner = owner;
    d->arg = arg;
    d->due = sim_now_us() + delay_us;
    d->seq = defer_seq++;
    struct defer **pp = &defers;
    while (*pp && (*pp)->due <= d->due)
        pp = &(*pp)->next;
    d->next = *pp;
    *pp = d;
}

void sim_defer_cancel(void *owner)
{
    struct defer **pp = &defers;
    while (*pp) {
        if ((*pp)->owner == owner) {
            struct defer *d = *pp;
            *pp = d->next;
            free(d);
        } else {
            pp = &(*pp)->next;
        }
    }
}

/* Runs the work that was due and queued when the pass started; work queued
 * by that work waits for the next pass, so a chain cannot starve I/O. */
static void run_defers(void)
{
    uint64_t now = sim_now_us();
    uint64_t seq_limit = defer_seq;
    for (;;) {
        struct defer **pp = &defers;
        while (*pp && (*pp)->due <= now && (*pp)->seq >= seq_limit)
            pp = &(*pp)->next;
        struct defer *d = *pp;
        if (!d || d->due > now)
            return;
        *pp = d->next;
        sim_defer_fn fn = d->fn;
        void *owner = d->owner;
        intptr_t arg = d->arg;
        free(d);
        sim_callback_boundary();
        fn(owner, arg);
        if (exit_requested)
            return;
    }
}

/* ---------------------------------------------------------------- timers */

struct tnode {
    struct tnode *next;
    ETSTimer *t;
    uint64_t due;
    uint64_t period_us;  /* 0 = one shot */
    uint64_t seq;
};
static struct tnode *timers;    /* sorted by (due, seq) */
static uint64_t timer_seq;

static struct tnode *timer_unlink(ETSTimer *t)
{
    for (struct tnode **pp = &timers; *pp; pp = &(*pp)->next) {
        if ((*pp)->t == t) {
            struct tnode *n = *pp;
            *pp = n->next;
            return n;
        }
    }
    return NULL;
}

static void timer_insert(struct tnode *n)
{
    struct tnode **pp = &timers;
    while (*pp && (*pp)->due <= n->due)
        pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
}

void ets_timer_disarm(ETSTimer *ptimer)
{
    free(timer_unlink(ptimer));
    if (ptimer)
        ptimer->timer_next = NULL;
}

void ets_timer_setfn(ETSTimer *ptimer, ETSTimerFunc *pfunction, void *parg)
{
    /* The SDK requires a disarmed timer here; changing the function of an
     * armed one would fire the wrong callback, so disarm it. */
    ets_timer_disarm(ptimer);
    ptimer->timer_func = pfunction;
    ptimer->timer_arg = parg;
    ptimer->timer_period = 0;
}

void ets_timer_arm_new(ETSTimer *ptimer, uint32_t time, bool repeat_flag, bool ms_flag)
{
    struct tnode *n = timer_unlink(ptimer);
    if (!n && !(n = malloc(sizeof *n)))
        sim_fatal("out of memory");
    uint64_t us = ms_flag ? (uint64_t)time * 1000u : time;
    n->t = ptimer;
    n->due = sim_now_us() + us;
    /* A repeating zero period would spin without ever returning to I/O;
     * the chip's tick is at least this coarse anyway. */
    n->period_us = repeat_flag ? (us ? us : 100) : 0;
    n->seq = timer_seq++;
    ptimer->timer_period = repeat_flag ? time : 0;
    ptimer->timer_expire = (uint32_t)n->due;
    /* Non-NULL marks it armed for code that peeks, as on the chip. */
    ptimer->timer_next = (ETSTimer *)ptimer;
    timer_insert(n);
}

void ets_timer_arm(ETSTimer *ptimer, uint32_t milliseconds, bool repeat_flag)
{
    ets_timer_arm_new(ptimer, milliseconds, repeat_flag, true);
}

static void run_timers(void)
{
    uint64_t now = sim_now_us();
    uint64_t seq_limit = timer_seq;
    while (timers && timers->due <= now && !exit_requested) {
        struct tnode *n = timers;
        /* Armed during this pass (e.g. re-armed with 0 ms from its own
         * callback): it waits for the next pass so that I/O still runs. */
        if (n->seq >= seq_limit)
            break;
        timers = n->next;
        ETSTimer *t = n->t;
        if (n->period_us) {
            n->due += n->period_us;
            if (n->due <= now)      /* fell behind: do not burst */
                n->due = now + n->period_us;
            timer_insert(n);
            t->timer_expire = (uint32_t)n->due;
        } else {
            free(n);
            t->timer_next = NULL;
        }
        sim_callback_boundary();
        if (t->timer_func)
            t->timer_func(t->timer_arg);
    }
}

static uint64_t next_timer_due(void)
{
    return timers ? timers->due : UINT64_MAX;
}

/* ----------------------------------------------------------------- tasks */

struct task_slot {
    ETSTask task;
    ETSEvent *queue;
    uint8 qlen;
    uint8 head;
    uint8 count;
};
static struct task_slot tasks[USER_TASK_PRIO_MAX];

bool system_os_task(os_task_t task, uint8 prio, os_event_t *queue, uint8 qlen)
{
    if (prio >= USER_TASK_PRIO_MAX || !task || !queue || qlen == 0)
        return false;
    struct task_slot *s = &tasks[prio];
    s->task = task;
    s->queue = queue;
    s->qlen = qlen;
    s->head = 0;
    s->count = 0;
    return true;
}

bool system_os_post(uint8 prio, os_signal_t sig, os_param_t par)
{
    if (prio >= USER_TASK_PRIO_MAX)
        return false;
    struct task_slot *s = &tasks[prio];
    if (!s->task || s->count >= s->qlen)
        return false;
    /* The events live in the caller's queue array, as on the chip. */
    ETSEvent *e = &s->queue[(s->head + s->count) % s->qlen];
    e->sig = sig;
    e->par = par;
    s->count++;
    return true;
}

static int tasks_pending(void)
{
    for (int p = 0; p < USER_TASK_PRIO_MAX; p++)
        if (tasks[p].count)
            return 1;
    return 0;
}

/* Runs as many events as were queued when the pass started, always the
 * highest priority first; events posted meanwhile join the ordering. */
static void run_tasks(void)
{
    int budget = 0;
    for (int p = 0; p < USER_TASK_PRIO_MAX; p++)
        budget += tasks[p].count;
    while (budget-- > 0 && !exit_requested) {
        int p;
        for (p = USER_TASK_PRIO_MAX - 1; p >= 0; p--)
            if (tasks[p].count)
                break;
        if (p < 0)
            return;
        struct task_slot *s = &tasks[p];
        ETSEvent e = s->queue[s->head];
        s->head = (uint8)((s->head + 1) % s->qlen);
        s->count--;
        sim_callback_boundary();
        s->task(&e);
    }
}

/* ------------------------------------------------------------------ loop */

int sim_poll(uint32_t max_wait_ms)
{
    if (exit_requested)
        return 1;
    run_defers();
    if (exit_requested)
        return 1;
    run_timers();
    if (exit_requested)
        return 1;
    run_tasks();
    if (exit_requested)
        return 1;
    sim_net_check_deadlines();
    if (exit_requested)
        return 1;

    struct pollfd fds[SIM_MAX_FDS];
    void *tags[SIM_MAX_FDS];
    uint64_t deadline = sim_now_us() + (uint64_t)max_wait_ms * 1000u;
    uint64_t t = next_timer_due();
    if (t < deadline)
        deadline = t;
    if (defers && defers->due < deadline)
        deadline = defers->due;
    int n = sim_net_prepare(fds, tags, SIM_MAX_FDS, &deadline);
    uint64_t now = sim_now_us();
    int timeout_ms = 0;
    if (!tasks_pending() && deadline > now) {
        uint64_t wait = (deadline - now + 999) / 1000;
        timeout_ms = wait > 1000000 ? 1000000 : (int)wait;
    }
    int r = poll(fds, (nfds_t)n, timeout_ms);
    if (r < 0 && errno != EINTR)
        sim_fatal("poll: %s", strerror(errno));
    if (r > 0)
        sim_net_dispatch(fds, tags, n);
    return exit_requested;
}

int sim_run(uint32_t run_for_ms)
{
    uint64_t end = run_for_ms ? sim_now_us() + (uint64_t)run_for_ms * 1000u : UINT64_MAX;
    while (!exit_requested) {
        uint64_t now = sim_now_us();
        if (now >= end) {
            fflush(stdout);
            return SIM_RUN_TIMEOUT;
        }
        uint64_t left_ms = (end - now + 999) / 1000;
        sim_poll(left_ms > 1000 ? 1000 : (uint32_t)left_ms);
    }
    fflush(stdout);
    return exit_code;
}
