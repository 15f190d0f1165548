/*
 * mqtt_sleep: the battery-device cycle. Wake, connect to the MQTT broker over
 * TLS, publish one message, save the TLS session to RTC memory, deep sleep;
 * on the next wake the saved session is loaded and the handshake is resumed
 * (abbreviated: no certificate chain, no signature checks), which costs a
 * fraction of a full handshake's time and energy.
 *
 * Each run of the host binary is one wake: `system_deep_sleep` ends the
 * process and the simulator keeps only RTC memory (its --rtc FILE), so RAM
 * and heap start empty on the next run, as on the chip.
 * Options (host build): --server HOST:PORT --rtc FILE [--topic T] [--message TEXT]
 * [--hostname NAME] [--ca-sector N] [--cert-sector N] [--alpn a,b] [--sleep-s N].
 * Prints "RESUMED yes|no" after each handshake.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "example_util.h"

enum step { CONNECTING, PUBLISHING, LEAVING };

static struct espconn conn;
static esp_tcp tcp;
static char host[64];
static const char *topic = "espconn_secure/sleep";
static const char *message = "awake";
static enum step step;
static uint8 out[300];
static uint8 in[600];
static uint32 in_len;
/* PUBLISH goes out once CONNACK arrived and CONNECT's sent callback ran
 * (one send at a time; after a resumed handshake CONNACK can come first). */
static bool connack, connect_sent;

static void ICACHE_FLASH_ATTR mqtt_publish(void);

static void ICACHE_FLASH_ATTR maybe_publish(void)
{
    if (step == CONNECTING && connack && connect_sent) {
        step = PUBLISHING;
        mqtt_publish();
    }
}

static uint32 ICACHE_FLASH_ATTR put_str(uint8 *p, const char *s)
{
    uint32 n = os_strlen(s);
    p[0] = (uint8)(n >> 8);
    p[1] = (uint8)n;
    os_memcpy(p + 2, s, n);
    return n + 2;
}

/* Fixed header with a one- or two-byte remaining length; body at out+4 is
 * moved down to follow the header. Returns the packet length. */
static uint32 ICACHE_FLASH_ATTR finish_packet(uint8 type, uint32 body_len)
{
    uint32 hdr = body_len < 128 ? 2 : 3;
    out[0] = type;
    if (hdr == 2) {
        out[1] = (uint8)body_len;
    } else {
        out[1] = (uint8)(0x80 | (body_len & 0x7F));
        out[2] = (uint8)(body_len >> 7);
    }
    os_memmove(out + hdr, out + 4, body_len);
    return hdr + body_len;
}

static void ICACHE_FLASH_ATTR send_packet(uint32 len, const char *what)
{
    sint8 r = espconn_secure_send(&conn, out, (uint16)len);
    if (r != ESPCONN_OK) {
        os_printf("MQTT send %s failed: %d\n", what, r);
        espconn_secure_disconnect(&conn);
    }
}

static void ICACHE_FLASH_ATTR mqtt_connect(void)
{
    uint8 *b = out + 4;
    uint32 n = put_str(b, "MQTT");
    b[n++] = 4;    /* protocol level 3.1.1 */
    b[n++] = 0x02; /* clean session */
    b[n++] = 0;
    b[n++] = 30; /* keep-alive seconds */
    n += put_str(b + n, "espconn-secure-sleep");
    send_packet(finish_packet(0x10, n), "CONNECT");
}

static void ICACHE_FLASH_ATTR mqtt_publish(void)
{
    uint8 *b = out + 4;
    uint32 n = put_str(b, topic);
    uint32 m = os_strlen(message);
    os_memcpy(b + n, message, m);
    send_packet(finish_packet(0x30, n + m), "PUBLISH");
}

static void ICACHE_FLASH_ATTR mqtt_disconnect(void)
{
    out[0] = 0xE0;
    out[1] = 0;
    step = LEAVING;
    send_packet(2, "DISCONNECT");
}

/* One complete packet from the broker. */
static void ICACHE_FLASH_ATTR handle_packet(uint8 type, const uint8 *body, uint32 len)
{
    if ((type >> 4) != 2) /* only CONNACK is expected */
        return;
    if (len < 2 || body[1] != 0) {
        os_printf("MQTT CONNACK refused: %d\n", len >= 2 ? body[1] : -1);
        espconn_secure_disconnect(&conn);
        return;
    }
    os_printf("MQTT CONNACK\n");
    connack = true;
    maybe_publish();
}

static void ICACHE_FLASH_ATTR on_recv(void *arg, char *data, unsigned short len)
{
    (void)arg;
    if (in_len + len > sizeof in) {
        os_printf("MQTT packet too large for the example's buffer\n");
        espconn_secure_disconnect(&conn);
        return;
    }
    os_memcpy(in + in_len, data, len);
    in_len += len;
    for (;;) {
        uint32 rl = 0, mult = 1, i = 1, total;
        bool complete = false;
        while (i < in_len && i <= 4) {
            uint8 b = in[i++];
            rl += (uint32)(b & 0x7F) * mult;
            mult *= 128;
            if (!(b & 0x80)) {
                complete = true;
                break;
            }
        }
        if (!complete)
            return; /* fixed header not complete yet */
        total = i + rl;
        if (in_len < total)
            return;
        handle_packet(in[0], in + i, rl);
        os_memmove(in, in + total, in_len - total);
        in_len -= total;
    }
}

static void ICACHE_FLASH_ATTR on_connect(void *arg)
{
    struct espconn *c = arg;
    const char *alpn = espconn_secure_get_alpn(c);
    os_printf("HANDSHAKE OK\n");
    os_printf("RESUMED %s\n", espconn_secure_session_resumed(c) ? "yes" : "no");
    if (sim_arg("alpn"))
        os_printf("ALPN %s\n", alpn ? alpn : "(none)");
    step = CONNECTING;
    mqtt_connect();
}

static void ICACHE_FLASH_ATTR on_sent(void *arg)
{
    (void)arg;
    if (step == CONNECTING) {
        connect_sent = true;
        maybe_publish();
    } else if (step == PUBLISHING) {
        os_printf("MQTT PUBLISHED\n");
        mqtt_disconnect();
    } else if (step == LEAVING) {
        espconn_secure_disconnect(&conn);
    }
}

static void ICACHE_FLASH_ATTR on_disconnect(void *arg)
{
    (void)arg;
    os_printf("DISCONNECT\n");
    if (step != LEAVING) {
        sim_exit(1);
        return;
    }
    /* The session (and, with TLS 1.3, the ticket that arrived after the
     * handshake) goes to RTC memory; then the chip sleeps. */
    ex_session_sleep(&conn, ex_parse_uint(sim_arg("sleep-s"), 60));
}

static void ICACHE_FLASH_ATTR on_reconnect(void *arg, sint8 err)
{
    ex_report_reconnect(arg, err);
    sim_exit(1);
}

static void ICACHE_FLASH_ATTR start(void)
{
    int port = 0;
    if (sim_arg("topic"))
        topic = sim_arg("topic");
    if (sim_arg("message"))
        message = sim_arg("message");
    if (!ex_parse_hostport(sim_arg("server"), host, sizeof host, &port)) {
        os_printf("usage: mqtt_sleep --server HOST:PORT --rtc FILE [--topic T] [--message TEXT] [--hostname NAME] [--ca-sector N] [--cert-sector N] [--alpn a,b] [--sleep-s N]\n");
        sim_exit(2);
        return;
    }
    conn.type = ESPCONN_TCP;
    conn.proto.tcp = &tcp;
    tcp.remote_port = port;
    espconn_regist_connectcb(&conn, on_connect);
    espconn_regist_recvcb(&conn, on_recv);
    espconn_regist_sentcb(&conn, on_sent);
    espconn_regist_disconcb(&conn, on_disconnect);
    espconn_regist_reconcb(&conn, on_reconnect);
    if (!ex_apply_tls_options(&conn)) {
        sim_exit(2);
        return;
    }
    /* RAM starts empty after deep sleep: enable the cache, then bring the
     * session back from RTC memory. */
    if (!espconn_secure_set_session_cache(1)) {
        os_printf("no heap for the session cache\n");
        sim_exit(2);
        return;
    }
    ex_session_restore();
    ex_secure_connect_to(&conn, host);
}

void ICACHE_FLASH_ATTR user_init(void)
{
    os_printf("mqtt_sleep: SDK %s\n", system_get_sdk_version());
    ex_wifi_start(start);
}
