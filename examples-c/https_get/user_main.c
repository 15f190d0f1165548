/*
 * https_get: fetch one path over TLS, the way a NONOS program does it.
 * Options (host build): --server HOST:PORT --path /P [--hostname NAME]
 * [--ca-sector N] [--cert-sector N] [--size N] [--alpn a,b] [--session-cache N]
 * [--fragment-length N] (espconn_secure_set_fragment_length; "FRAGMENT LENGTH n" after connect)
 * [--repeat N] (connect N more times after the first, e.g. to see a session resumed)
 * [--recv-log] (print "RECV len=N" for every recv callback)
 * [--hold-in-recv MS] (hold the connection in every recv callback, unhold MS later)
 * [--take-heap N] (take N bytes of heap once connect has returned, until the connection ends)
 * [--handshake-timeout S] (espconn_secure_set_handshake_timeout)
 * [--set-time UNIX] (espconn_secure_set_time instead of SNTP, which is then never started;
 * [--set-time-wait MS]: connect MS after setting it)
 * [--idle-after-handshake MS] (send the request only MS after the handshake)
 * [--pin HEX[,HEX]] (espconn_secure_pin_public_key: up to 4 SHA-256 hashes of the server's
 * public key, 64 hex digits each, as `espcert pin cert.pem` prints them; --pin none clears)
 * [--clear-pin] (after --pin: clear the pins again with NULL before connecting)
 * [--sleep] (with --session-cache and the simulator's --rtc FILE: load the session kept in
 * RTC memory at boot; at the end save it there and enter deep sleep).
 */
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "example_util.h"

static struct espconn conn;
static esp_tcp tcp;
static char host[64];
static char request[256];
static uint32 received;

static os_timer_t idle_timer;

static void ICACHE_FLASH_ATTR send_request(void *arg)
{
    struct espconn *c = arg;
    const char *path = sim_arg("path");
    const char *name = sim_arg("hostname");
    os_sprintf(request, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
               path ? path : "/", name ? name : host);
    if (espconn_secure_send(c, (uint8 *)request, (uint16)os_strlen(request)) != ESPCONN_OK)
        os_printf("send failed\n");
}

static void ICACHE_FLASH_ATTR on_connect(void *arg)
{
    os_printf("HANDSHAKE OK\n");
    os_printf("FRAGMENT LENGTH %u\n", espconn_secure_get_fragment_length(arg));
    ex_report_session(arg);
    if (sim_arg("idle-after-handshake")) {
        /* The connection stays idle first, e.g. past a handshake timeout. */
        os_timer_disarm(&idle_timer);
        os_timer_setfn(&idle_timer, send_request, arg);
        os_timer_arm(&idle_timer, ex_parse_uint(sim_arg("idle-after-handshake"), 0), 0);
        return;
    }
    send_request(arg);
}

static os_timer_t unhold_timer;

static void ICACHE_FLASH_ATTR unhold(void *arg)
{
    os_printf("UNHOLD\n");
    espconn_secure_recv_unhold(arg);
}

static void ICACHE_FLASH_ATTR on_recv(void *arg, char *data, unsigned short len)
{
    received += len;
    if (sim_arg("recv-log"))
        os_printf("RECV len=%u\n", len);
    ex_print_bytes(data, len);
    if (sim_arg("hold-in-recv")) {
        /* Back-pressure from inside the callback: nothing more arrives
         * until the timer lets it. */
        espconn_secure_recv_hold(arg);
        os_timer_disarm(&unhold_timer);
        os_timer_setfn(&unhold_timer, unhold, arg);
        os_timer_arm(&unhold_timer, ex_parse_uint(sim_arg("hold-in-recv"), 50), 0);
    }
}

static void ICACHE_FLASH_ATTR on_sent(void *arg)
{
    (void)arg;
    os_printf("SENT\n");
}

static os_timer_t again_timer;
static uint32 repeats_done;

static void ICACHE_FLASH_ATTR connect_again(void *arg)
{
    (void)arg;
    received = 0;
    ex_secure_connect_to(&conn, host);
}

static void ICACHE_FLASH_ATTR on_disconnect(void *arg)
{
    (void)arg;
    ex_give_back_heap();
    os_printf("\nRECEIVED %u bytes\n", received);
    os_printf("DISCONNECT\n");
    if (repeats_done < ex_parse_uint(sim_arg("repeat"), 0)) {
        repeats_done++;
        /* Reconnect from a timer, outside the library's callback. */
        os_timer_disarm(&again_timer);
        os_timer_setfn(&again_timer, connect_again, NULL);
        os_timer_arm(&again_timer, 10, 0);
        return;
    }
    if (sim_arg("sleep")) {
        ex_session_sleep(&conn, 10);
        return;
    }
    sim_exit(0);
}

static void ICACHE_FLASH_ATTR on_reconnect(void *arg, sint8 err)
{
    os_printf("\nRECEIVED %u bytes\n", received);
    ex_report_reconnect(arg, err);
    sim_exit(1);
}

/* --pin HEX[,HEX...]: up to 5 hashes are parsed (a 5th shows the library
 * refusing it); "none" passes NULL. */
static bool ICACHE_FLASH_ATTR apply_pins(struct espconn *c, const char *arg)
{
    static uint8 pins[5 * 32];
    uint8 count = 0;
    const char *p = arg;
    if (os_strcmp(arg, "none") == 0) {
        if (!espconn_secure_pin_public_key(c, NULL, 0)) {
            os_printf("pin: clearing failed\n");
            return false;
        }
        os_printf("PINS 0\n");
        return true;
    }
    while (*p) {
        uint32 i;
        if (count == 5) {
            os_printf("bad --pin (at most 5 parsed)\n");
            return false;
        }
        for (i = 0; i < 32; i++) {
            int hi = ex_hex_digit(p[2 * i]);
            int lo = hi < 0 ? -1 : ex_hex_digit(p[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                os_printf("bad --pin %s (64 hex digits each, comma-separated)\n", arg);
                return false;
            }
            pins[count * 32 + i] = (uint8)(hi << 4 | lo);
        }
        count++;
        p += 64;
        if (*p == ',')
            p++;
        else if (*p) {
            os_printf("bad --pin %s (64 hex digits each, comma-separated)\n", arg);
            return false;
        }
    }
    if (!espconn_secure_pin_public_key(c, pins, count)) {
        os_printf("PIN REFUSED count=%u\n", count);
        return false;
    }
    os_printf("PINS %u\n", count);
    return true;
}

static void ICACHE_FLASH_ATTR start(void)
{
    int port = 0;
    if (!ex_parse_hostport(sim_arg("server"), host, sizeof host, &port)) {
        os_printf("usage: https_get --server HOST:PORT [--path /P] [--hostname NAME] [--ca-sector N] [--cert-sector N] [--size N]\n");
        sim_exit(2);
        return;
    }
    if (!ex_tls_client_init(&conn, &tcp, port, on_connect, on_recv, on_sent, on_disconnect,
                            on_reconnect)) {
        sim_exit(2);
        return;
    }
    if (sim_arg("pin") && !apply_pins(&conn, sim_arg("pin"))) {
        sim_exit(2);
        return;
    }
    if (sim_arg("clear-pin") && !apply_pins(&conn, "none")) {
        sim_exit(2);
        return;
    }
    if (sim_arg("sleep"))
        ex_session_restore();
    ex_secure_connect_to(&conn, host);
}

void ICACHE_FLASH_ATTR user_init(void)
{
    os_printf("https_get: SDK %s\n", system_get_sdk_version());
    ex_wifi_start(start);
}
