/*
 * Allocation-fault sweep (issue #7): one full client connection (connect,
 * handshake, a 100-byte request, the server's answer, disconnect) is repeated
 * with SDK-heap allocation number N of that connection made to fail, for
 * N = 1, 2, ... until a connection runs without reaching its N-th
 * allocation. Every run must end in a documented way, without a crash, with
 * the SDK heap back at its value before the connection. One line per run:
 *
 *   SWEEP n=N hit=0|1 outcome=OUTCOME err=E last_error=-0xC recv=R
 *
 * OUTCOME is connected+disconnect (complete), reconnect (the reconnect
 * callback, with its err and the library's last error), refused (connect
 * returned E), send_refused (espconn_secure_send returned E; the program
 * then disconnects). A leak or a hang prints SWEEP-FAIL and exits 1; the
 * Rust test (tests/fault_sweep.rs) judges the outcomes. The last line is
 * SWEEP-DONE covered=N (allocations of one whole connection).
 *
 * With --cap-window W the heap is shrunk instead. The warm-up run measures
 * the connection's heap peak; a binary search (SEARCH cap=C ok=0|1 lines)
 * then finds the smallest heap in which the connection completes (its need:
 * a little above the peak, since the library refuses work it cannot be sure
 * to finish); finally runs are repeated with the heap capped at every byte
 * count from need - W to need + CAP_MARGIN, printing SWEEP cap=C outcome=...
 * lines and SWEEP-DONE need=N peak=P.
 *
 * With --serve the program is the server instead (a default certificate and
 * key from --cert FILE and --key FILE, a listener on --port N, 0 = any,
 * printed as LISTENING port=N) and the test runs a client that connects again
 * and again: each run is one accepted connection that receives the client's
 * 100 bytes, answers with 16 KB and disconnects. A connection the library
 * could not even take on (no heap for its bookkeeping) is closed without any
 * callback, as documented: OUTCOME dropped. With --session-cache N the
 * server keeps sessions (espconn_secure_set_server_session_cache) and each
 * SWEEP line says whether that connection resumed (resumed=1).
 *
 * Options: --server 127.0.0.1:PORT, --ca-sector N, --cert-sector N,
 * --hostname NAME, --expect BYTES (what a complete run receives), plus the
 * simulator's.
 */
#include <stdlib.h>
#include <string.h>

#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "sim.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "../../examples-c/common/sntp_wait.h"

/* A connection that takes longer than this has hung. */
#define RUN_TIMEOUT_MS 15000
/* The heap sweep ends this far above the need found by the search
 * (allocation sizes vary a little with TCP segmentation). */
#define CAP_MARGIN 64
/* Where the search for the need looks, above the measured peak. */
#define SEARCH_SPAN 8192

static struct espconn conn;
static esp_tcp tcp;
static os_timer_t next_timer, hang_timer, poll_timer;
static int serving;
static struct espconn *accepted;    /* the server's current connection */
static int answered;
static uint32 quiet_polls;
static char answer[16384];

static uint32 n;             /* index being failed (0: the warm-up run) */
static uint32 fault_at;      /* absolute attempt number made to fail */
static uint32 base_in_use;   /* heap before a connection */
static uint32 expect;        /* bytes a complete run receives */
static uint32 received;
static uint32 cap_window;    /* 0: sweep allocation faults */
static uint32 peak_seen, need, cap;
static uint32 search_lo, search_hi;  /* fails at lo, completes at hi */
static int searching;
static int connected;
static int resumed;           /* the server's connection resumed a session */
static const char *outcome;
static int err_code;

static uint32 parse(const char *s, uint32 dflt)
{
    return s ? (uint32)strtoul(s, NULL, 0) : dflt;
}

static uint32 heap_in_use(void)
{
    uint32_t in_use, peak, allocs;
    sim_heap_stats(&in_use, &peak, &allocs);
    return in_use;
}

static uint32 heap_attempts(void)
{
    uint32_t in_use, peak, allocs;
    sim_heap_stats(&in_use, &peak, &allocs);
    return allocs;
}

static void start_run(void);

/* After the last callback of a run has returned: judge it, then go on. */
static void end_run(void *arg)
{
    (void)arg;
    os_timer_disarm(&hang_timer);
    os_timer_disarm(&poll_timer);
    uint32 attempts = heap_attempts();
    int hit = n != 0 && !cap_window && attempts >= fault_at;
    sim_heap_fail_at(0);
    int complete = outcome && strcmp(outcome, "connected+disconnect") == 0 && received == expect;
    if (searching)
        os_printf("SEARCH cap=%u ok=%d\n", cap, complete);
    else if (cap_window && n != 0)
        os_printf("SWEEP cap=%u outcome=%s err=%d last_error=-0x%x recv=%u\n", cap, outcome,
                  err_code, -espconn_secure_get_last_error(&conn), received);
    else
        os_printf("SWEEP n=%u hit=%d outcome=%s err=%d last_error=-0x%x recv=%u resumed=%d\n", n,
                  hit, outcome, err_code, -espconn_secure_get_last_error(&conn), received, resumed);
    if (n == 0) {
        /* The warm-up run must succeed: the sweep measures from it. */
        if (strcmp(outcome, "connected+disconnect") != 0 || received != expect) {
            os_printf("SWEEP-FAIL warm-up run did not complete\n");
            sim_exit(1);
            return;
        }
        base_in_use = heap_in_use();
        uint32_t in_use, peak, allocs;
        sim_heap_stats(&in_use, &peak, &allocs);
        peak_seen = peak;
        searching = cap_window != 0;
        search_lo = base_in_use;
        search_hi = peak + SEARCH_SPAN;
        cap = (search_lo + search_hi) / 2;
    } else if (heap_in_use() != base_in_use) {
        os_printf("SWEEP-FAIL n=%u heap in use %u, was %u before the connection\n", n,
                  heap_in_use(), base_in_use);
        sim_exit(1);
        return;
    }
    if (searching && n != 0) {
        if (complete)
            search_hi = cap;
        else
            search_lo = cap;
        if (search_hi - search_lo > 1) {
            cap = (search_lo + search_hi) / 2;
        } else {
            searching = 0;
            need = search_hi;
            cap = need > cap_window ? need - cap_window : 0;
        }
    } else if (cap_window && n != 0) {
        if (++cap > need + CAP_MARGIN) {
            os_printf("SWEEP-DONE need=%u peak=%u\n", need, peak_seen);
            sim_exit(0);
            return;
        }
    } else if (n != 0 && !hit) {
        os_printf("SWEEP-DONE covered=%u\n", n - 1);
        sim_exit(0);
        return;
    }
    n++;
    start_run();
}

static void finish(const char *what, int code)
{
    outcome = what;
    err_code = code;
    os_timer_disarm(&next_timer);
    os_timer_setfn(&next_timer, end_run, NULL);
    os_timer_arm(&next_timer, 0, 0);
}

static void on_hang(void *arg)
{
    (void)arg;
    os_printf("SWEEP-FAIL n=%u hung (no final callback in %u ms)\n", n, RUN_TIMEOUT_MS);
    sim_exit(1);
}

/* The bytes a recv callback is handed are the client's ('c' * 100). */
static int all_c(const char *data, unsigned short len)
{
    for (unsigned short i = 0; i < len; i++)
        if (data[i] != 'c')
            return 0;
    return 1;
}

static void on_recv(void *arg, char *data, unsigned short len)
{
    received += len;
    if (serving && !all_c(data, len)) {
        os_printf("SWEEP-FAIL n=%u recv data is not what the client sent\n", n);
        sim_exit(1);
    }
    if (serving && received >= expect && !answered) {
        answered = 1;
        sint8 r = espconn_secure_send(arg, (uint8 *)answer, sizeof answer);
        if (r != ESPCONN_OK) {
            outcome = "send_refused";
            err_code = r;
            espconn_secure_disconnect(arg);
        }
        /* `data` points into the library's receive buffer: it stays valid
         * for the whole callback, even when the send above failed and its
         * engine was dropped (the library wipes what it frees). */
        if (!all_c(data, len)) {
            os_printf("SWEEP-FAIL n=%u recv data changed during the callback\n", n);
            sim_exit(1);
        }
    }
}

static void on_sent(void *arg)
{
    if (serving)
        espconn_secure_disconnect(arg);
}

static void on_connect(void *arg)
{
    static char request[100];
    connected = 1;
    if (serving) {
        accepted = arg;
        resumed = espconn_secure_session_resumed(accepted);
        espconn_regist_recvcb(accepted, on_recv);
        espconn_regist_sentcb(accepted, on_sent);
        return;
    }
    os_memset(request, 'q', sizeof request);
    sint8 r = espconn_secure_send(&conn, (uint8 *)request, sizeof request);
    if (r != ESPCONN_OK) {
        outcome = "send_refused";
        err_code = r;
        espconn_secure_disconnect(&conn);
    }
}

static void on_disconnect(void *arg)
{
    (void)arg;
    if (outcome && strcmp(outcome, "send_refused") == 0)
        finish("send_refused", err_code);
    else
        finish(connected ? "connected+disconnect" : "disconnect", 0);
}

static void on_reconnect(void *arg, sint8 err)
{
    (void)arg;
    finish("reconnect", err);
}

/* Server runs: a connection closed at accept time makes no callback; the run
 * is over once the fault was hit, no connection is open and the heap has been
 * back at its level for a few polls. */
static void on_poll(void *arg)
{
    (void)arg;
    if (outcome)
        return;
    if (n != 0 && heap_attempts() >= fault_at && conn.link_cnt == 0 &&
        heap_in_use() == base_in_use) {
        if (++quiet_polls >= 4)
            finish("dropped", 0);
    } else {
        quiet_polls = 0;
    }
}

static void start_run(void)
{
    received = 0;
    connected = 0;
    resumed = 0;
    answered = 0;
    quiet_polls = 0;
    accepted = NULL;
    outcome = NULL;
    err_code = 0;
    if (n == 0) {
        base_in_use = heap_in_use();
        sim_heap_reset_peak();
    }
    if (cap_window) {
        sim_heap_set_cap(n ? cap : 1u << 20);
    } else {
        fault_at = heap_attempts() + n;
        sim_heap_fail_at(n ? fault_at : 0);
    }
    os_timer_disarm(&hang_timer);
    os_timer_setfn(&hang_timer, on_hang, NULL);
    os_timer_arm(&hang_timer, RUN_TIMEOUT_MS, 0);
    if (serving) {
        os_timer_disarm(&poll_timer);
        os_timer_setfn(&poll_timer, on_poll, NULL);
        os_timer_arm(&poll_timer, 50, 1);
        return;
    }
    sint8 r = espconn_secure_connect(&conn);
    if (r != ESPCONN_OK)
        finish("refused", r);
}

static int serve(void)
{
    unsigned int cert_len, key_len;
    const char *cert = sim_arg_file("cert", &cert_len);
    const char *key = sim_arg_file("key", &key_len);
    os_memset(answer, 'a', sizeof answer);
    if (!cert || !key ||
        !espconn_secure_set_default_certificate((const uint8 *)cert, (uint16)cert_len) ||
        !espconn_secure_set_default_private_key((const uint8 *)key, (uint16)key_len)) {
        os_printf("SWEEP-FAIL --cert FILE and --key FILE refused\n");
        return 0;
    }
    conn.type = ESPCONN_TCP;
    conn.state = ESPCONN_NONE;
    conn.proto.tcp = &tcp;
    tcp.local_port = (int)parse(sim_arg("port"), 0);
    espconn_regist_connectcb(&conn, on_connect);
    espconn_regist_disconcb(&conn, on_disconnect);
    espconn_regist_reconcb(&conn, on_reconnect);
    const char *cache = sim_arg("session-cache");
    if (cache && !espconn_secure_set_server_session_cache((uint8)parse(cache, 0))) {
        os_printf("SWEEP-FAIL --session-cache refused\n");
        return 0;
    }
    const char *ca = sim_arg("ca-sector");
    if (ca && !espconn_secure_ca_enable(ESPCONN_SERVER, parse(ca, 0))) {
        os_printf("SWEEP-FAIL --ca-sector refused\n");
        return 0;
    }
    if (espconn_secure_accept(&conn) != ESPCONN_OK) {
        os_printf("SWEEP-FAIL espconn_secure_accept refused\n");
        return 0;
    }
    os_printf("LISTENING port=%d\n", tcp.local_port);
    return 1;
}

static void setup(void)
{
    expect = parse(sim_arg("expect"), 0);
    cap_window = parse(sim_arg("cap-window"), 0);
    if (sim_arg("serve")) {
        serving = 1;
        if (!serve()) {
            sim_exit(2);
            return;
        }
        n = 0;
        start_run();
        return;
    }
    const char *server = sim_arg("server");
    const char *colon = server ? strchr(server, ':') : NULL;
    if (!colon) {
        os_printf("SWEEP-FAIL --server 127.0.0.1:PORT required\n");
        sim_exit(2);
        return;
    }
    conn.type = ESPCONN_TCP;
    conn.state = ESPCONN_NONE;
    conn.proto.tcp = &tcp;
    tcp.remote_ip[0] = 127;
    tcp.remote_ip[3] = 1;
    tcp.remote_port = (int)parse(colon + 1, 0);
    espconn_regist_connectcb(&conn, on_connect);
    espconn_regist_disconcb(&conn, on_disconnect);
    espconn_regist_reconcb(&conn, on_reconnect);
    espconn_regist_recvcb(&conn, on_recv);
    const char *ca = sim_arg("ca-sector");
    const char *cert = sim_arg("cert-sector");
    const char *name = sim_arg("hostname");
    if ((ca && !espconn_secure_ca_enable(ESPCONN_CLIENT, parse(ca, 0))) ||
        (cert && !espconn_secure_cert_req_enable(ESPCONN_CLIENT, parse(cert, 0))) ||
        (name && espconn_secure_set_hostname(&conn, name) != ESPCONN_OK)) {
        os_printf("SWEEP-FAIL option refused\n");
        sim_exit(2);
        return;
    }
    n = 0;
    start_run();
}

void user_init(void)
{
    /* Certificate dates need the time, as on the chip; SNTP also takes
     * the sweep out of user_init, as a program's connection would be. */
    sntp_wait(setup);
}
