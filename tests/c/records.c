/*
 * One record per espconn (issue #17 item 2), from a NONOS-style program
 * against one TLS server whose certificate names localhost and server.test.
 * Prints "CHECK <name> ok" or "CHECK <name> FAIL ..." per check and
 * "DONE failures=N"; tests/records.rs asserts them.
 *
 *   many:  20 espconns each set a host name before any connects (the old
 *          tables held 8); the 9th and 20th name a host the certificate does
 *          not, and must be rejected with -0x2700; every other one connects.
 *   reuse: an espconn with a host name and ALPN connects, fails on a wrong
 *          name, is deleted (espconn_secure_delete); a new espconn at the same
 *          address starts with no name, no ALPN and no last error.
 *   oom:   allocations inside espconn_secure_set_hostname fail in turn: each
 *          failure makes the following espconn_secure_connect fail instead of
 *          connecting without the name check; a name set again connects.
 *   pins:  before any record exists, the allocation of the record inside
 *          espconn_secure_pin_public_key fails: it returns false and the
 *          espconn's connects are refused until pins are stored or cleared;
 *          five pins are refused; clearing the last setting frees the record.
 *
 * Needs --server 127.0.0.1:PORT (serving ALPN x-old) and --ca-sector N.
 */
#include <stdlib.h>
#include <string.h>
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "check.h"
#include "sim.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "../../examples-c/common/sntp_wait.h"

#define COUNT 20

static struct espconn conns[COUNT];
static esp_tcp tcps[COUNT];
static struct espconn oomc;
static esp_tcp oomt;
static uint32 port;

enum phase { MANY, REUSE_ALPN, REUSE_WRONG, REUSE_NEW, OOM_RECOVERED };
static enum phase phase;
static int cur;            /* index into conns during MANY */
static os_timer_t next_timer;


static void on_connect(void *arg);
static void on_disconnect(void *arg);
static void on_reconnect(void *arg, sint8 err);

static void init_conn(struct espconn *c, esp_tcp *t)
{
    os_memset(c, 0, sizeof *c);
    os_memset(t, 0, sizeof *t);
    c->type = ESPCONN_TCP;
    c->state = ESPCONN_NONE;
    c->proto.tcp = t;
    t->remote_port = (int)port;
    t->remote_ip[0] = 127;
    t->remote_ip[3] = 1;
    espconn_regist_connectcb(c, on_connect);
    espconn_regist_disconcb(c, on_disconnect);
    espconn_regist_reconcb(c, on_reconnect);
}

static int wrong(int i)
{
    return i == 8 || i == 19;
}

static void step(void *arg);

static void later(void)
{
    os_timer_disarm(&next_timer);
    os_timer_setfn(&next_timer, step, NULL);
    os_timer_arm(&next_timer, 1, 0);
}

static void finish(void)
{
    os_printf("DONE failures=%d\n", failures);
    sim_exit(failures ? 1 : 0);
}

static uint32 heap_attempts(void)
{
    uint32_t in_use, peak, allocs;
    sim_heap_stats(&in_use, &peak, &allocs);
    return allocs;
}

/* Allocation k of espconn_secure_set_hostname fails, for k = 1, 2, 3. */
static void oom_phase(void)
{
    char name[64];
    int k, refused = 0;
    init_conn(&oomc, &oomt);
    for (k = 1; k <= 3; k++) {
        sim_heap_fail_at(heap_attempts() + (uint32)k);
        sint8 r = espconn_secure_set_hostname(&oomc, "localhost");
        sim_heap_fail_at(0);
        if (r == ESPCONN_OK) {
            os_printf("OOM k=%d not hit\n", k);
            continue;
        }
        refused++;
        os_sprintf(name, "oom_%d_set_hostname_mem", k);
        check(name, r, ESPCONN_MEM);
        os_sprintf(name, "oom_%d_connect_refused", k);
        check(name, espconn_secure_connect(&oomc), ESPCONN_ARG);
        os_sprintf(name, "oom_%d_connect_still_refused", k);
        check(name, espconn_secure_connect(&oomc), ESPCONN_ARG);
        /* Clearing it is the program's explicit choice. */
        check("oom_clear_ok", espconn_secure_set_hostname(&oomc, NULL), ESPCONN_OK);
    }
    check("oom_some_allocation_failed", refused > 0, 1);
    /* An invalid name is refused the same way. */
    check("invalid_name_arg", espconn_secure_set_hostname(&oomc, ""), ESPCONN_ARG);
    check("invalid_name_connect_refused", espconn_secure_connect(&oomc), ESPCONN_ARG);
    check("invalid_name_last_error", espconn_secure_get_last_error(&oomc), -0x7100);
    /* A name stored afterwards lets the connection run (and checks it). */
    check("oom_set_again_ok", espconn_secure_set_hostname(&oomc, "server.test"), ESPCONN_OK);
    phase = OOM_RECOVERED;
    check("oom_connect_after_set_ok", espconn_secure_connect(&oomc), ESPCONN_OK);
}

/* Runs first, while the record list is empty: its first allocation is the
 * list's, inside espconn_secure_pin_public_key. */
static void pins_oom_phase(void)
{
    static struct espconn pinc;
    static esp_tcp pint;
    static uint8 pins[5 * 32];
    bool ok;
    init_conn(&pinc, &pint);
    os_memset(pins, 0x5a, sizeof pins);
    sim_heap_fail_at(heap_attempts() + 1);
    ok = espconn_secure_pin_public_key(&pinc, pins, 1);
    sim_heap_fail_at(0);
    check("pin_oom_false", ok, false);
    check("pin_oom_connect_refused", espconn_secure_connect(&pinc), ESPCONN_ARG);
    check("pin_oom_connect_still_refused", espconn_secure_connect(&pinc), ESPCONN_ARG);
    check("pin_set_again_ok", espconn_secure_pin_public_key(&pinc, pins, 2), true);
    check("pin_five_refused", espconn_secure_pin_public_key(&pinc, pins, 5), false);
    check("pin_null_espconn_refused", espconn_secure_pin_public_key(NULL, pins, 1), false);
    check("pin_clear_ok", espconn_secure_pin_public_key(&pinc, NULL, 0), true);
    /* Nothing set any more and no connection: the record is gone. */
    check("pin_cleared_record_gone", espconn_secure_delete(&pinc), ESPCONN_ARG);
}

static void step(void *arg)
{
    (void)arg;
    switch (phase) {
    case MANY:
        if (cur < COUNT) {
            sint8 r = espconn_secure_connect(&conns[cur]);
            if (r != ESPCONN_OK) {
                os_printf("CHECK many_connect_%d FAIL ret=%d\n", cur, r);
                failures++;
                finish();
            }
            return;
        }
        /* reuse: conns[0] keeps its name (localhost) and gets an ALPN list. */
        phase = REUSE_ALPN;
        {
            const char *alpn[1] = {"x-old"};
            check("reuse_set_alpn", espconn_secure_set_alpn(&conns[0], alpn, 1), true);
        }
        check("reuse_connect_1", espconn_secure_connect(&conns[0]), ESPCONN_OK);
        return;
    case REUSE_ALPN:
        phase = REUSE_WRONG;
        check("reuse_wrong_name_set", espconn_secure_set_hostname(&conns[0], "wrong.test"), ESPCONN_OK);
        check("reuse_connect_2", espconn_secure_connect(&conns[0]), ESPCONN_OK);
        return;
    case REUSE_WRONG:
        /* Settings were set: the report outlives the callback... */
        check("reuse_last_error_kept", espconn_secure_get_last_error(&conns[0]), -0x2700);
        check("delete_other_idle_client_ok", espconn_secure_delete(&conns[1]), ESPCONN_OK);
        check("delete_ok", espconn_secure_delete(&conns[0]), ESPCONN_OK);
        check("delete_again_arg", espconn_secure_delete(&conns[0]), ESPCONN_ARG);
        /* ...until the espconn is deleted: a new one at the same address. */
        init_conn(&conns[0], &tcps[0]);
        check("new_no_last_error", espconn_secure_get_last_error(&conns[0]), 0);
        phase = REUSE_NEW;
        check("new_connect_ok", espconn_secure_connect(&conns[0]), ESPCONN_OK);
        return;
    case REUSE_NEW:
        oom_phase();
        return;
    case OOM_RECOVERED:
        finish();
        return;
    }
}

static void on_connect(void *arg)
{
    struct espconn *c = arg;
    char name[64];
    switch (phase) {
    case MANY:
        os_sprintf(name, "many_%d_connected", cur);
        check(name, !wrong(cur), 1);
        break;
    case REUSE_ALPN: {
        const char *p = espconn_secure_get_alpn(c);
        check("reuse_alpn_selected", p != NULL && strcmp(p, "x-old") == 0, 1);
        break;
    }
    case REUSE_NEW:
        /* Connected although the old espconn's name was wrong.test. */
        check("new_no_inherited_name", 1, 1);
        check("new_no_inherited_alpn", espconn_secure_get_alpn(c) == NULL, 1);
        break;
    case OOM_RECOVERED:
        check("oom_recovered_connected", 1, 1);
        break;
    default:
        os_printf("CHECK unexpected_connect FAIL phase=%d\n", phase);
        failures++;
        break;
    }
    espconn_secure_disconnect(c);
}

static void on_disconnect(void *arg)
{
    (void)arg;
    if (phase == MANY)
        cur++;
    later();
}

static void on_reconnect(void *arg, sint8 err)
{
    struct espconn *c = arg;
    char name[64];
    int code = espconn_secure_get_last_error(c);
    (void)err;
    if (phase == MANY) {
        os_sprintf(name, "many_%d_rejected_for_its_name", cur);
        check(name, wrong(cur) ? code : -1, wrong(cur) ? -0x2700 : 0);
        cur++;
    } else if (phase == REUSE_WRONG) {
        check("reuse_wrong_name_rejected", code, -0x2700);
    } else {
        os_printf("CHECK unexpected_reconnect FAIL phase=%d code=-0x%x\n", phase, -code);
        failures++;
        finish();
        return;
    }
    later();
}

static void start(void)
{
    const char *server = sim_arg("server");
    const char *ca = sim_arg("ca-sector");
    const char *colon = server ? strchr(server, ':') : NULL;
    char name[64];
    int i;
    if (!colon || !ca) {
        os_printf("usage: --server 127.0.0.1:PORT --ca-sector N\n");
        sim_exit(2);
        return;
    }
    for (port = 0, colon++; *colon; colon++)
        port = port * 10 + (uint32)(*colon - '0');
    check("ca_enable_ok", espconn_secure_ca_enable(ESPCONN_CLIENT, (uint32)strtoul(ca, NULL, 0)), true);
    pins_oom_phase();
    for (i = 0; i < COUNT; i++) {
        const char *host = wrong(i) ? "wrong.test" : (i % 2 ? "server.test" : "localhost");
        init_conn(&conns[i], &tcps[i]);
        os_sprintf(name, "many_%d_set_hostname", i);
        check(name, espconn_secure_set_hostname(&conns[i], host), ESPCONN_OK);
    }
    phase = MANY;
    cur = 0;
    later();
}

void user_init(void)
{
    sntp_wait(start);
}
