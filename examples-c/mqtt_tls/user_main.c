/*
 * mqtt_tls: an MQTT 3.1.1 client over TLS with the CA and the device's own
 * certificate from flash, written as NONOS user code. It connects, subscribes
 * to --topic, publishes one message to it, waits for its own message to come
 * back, and disconnects. The small framing below is all the MQTT it needs.
 * Options (host build): --server HOST:PORT [--topic T] [--hostname NAME]
 * [--ca-sector N] [--cert-sector N] [--size N] [--message TEXT].
 */
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "sim_hooks.h"
#include "example_util.h"

enum step { CONNECTING, SUBSCRIBING, PUBLISHING, WAITING, LEAVING };

static struct espconn conn;
static esp_tcp tcp;
static char host[64];
static const char *topic = "espconn_secure/demo";
static const char *message = "hello from espconn_secure";
static enum step step;
static uint8 out[300];
static uint8 in[600];
static uint32 in_len;

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
    n += put_str(b + n, "espconn-secure-demo");
    send_packet(finish_packet(0x10, n), "CONNECT");
}

static void ICACHE_FLASH_ATTR mqtt_subscribe(void)
{
    uint8 *b = out + 4;
    uint32 n = 0;
    b[n++] = 0;
    b[n++] = 1; /* packet id */
    n += put_str(b + n, topic);
    b[n++] = 0; /* QoS 0 */
    send_packet(finish_packet(0x82, n), "SUBSCRIBE");
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
    switch (type >> 4) {
    case 2: /* CONNACK */
        if (len < 2 || body[1] != 0) {
            os_printf("MQTT CONNACK refused: %d\n", len >= 2 ? body[1] : -1);
            espconn_secure_disconnect(&conn);
            return;
        }
        os_printf("MQTT CONNACK\n");
        step = SUBSCRIBING;
        mqtt_subscribe();
        break;
    case 9: /* SUBACK */
        os_printf("MQTT SUBACK\n");
        step = PUBLISHING;
        mqtt_publish();
        break;
    case 3: { /* PUBLISH (QoS 0) */
        uint32 tl, off;
        if (len < 2)
            return;
        tl = ((uint32)body[0] << 8) | body[1];
        if (2 + tl > len)
            return;
        off = 2 + tl;
        os_printf("MQTT RECV topic=");
        ex_print_bytes((const char *)body + 2, tl);
        os_printf(" payload=");
        ex_print_bytes((const char *)body + off, len - off);
        os_printf("\n");
        if (step == WAITING && len - off == os_strlen(message) &&
            os_memcmp(body + off, message, len - off) == 0) {
            os_printf("MQTT ROUND TRIP OK\n");
            mqtt_disconnect();
        }
        break;
    }
    default:
        break;
    }
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
    (void)arg;
    os_printf("HANDSHAKE OK\n");
    step = CONNECTING;
    mqtt_connect();
}

static void ICACHE_FLASH_ATTR on_sent(void *arg)
{
    (void)arg;
    if (step == PUBLISHING)
        step = WAITING;
    else if (step == LEAVING)
        espconn_secure_disconnect(&conn);
}

static void ICACHE_FLASH_ATTR on_disconnect(void *arg)
{
    (void)arg;
    os_printf("DISCONNECT\n");
    sim_exit(step == LEAVING ? 0 : 1);
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
        os_printf("usage: mqtt_tls --server HOST:PORT [--topic T] [--hostname NAME] [--ca-sector N] [--cert-sector N] [--size N]\n");
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
    ex_secure_connect_to(&conn, host);
}

void ICACHE_FLASH_ATTR user_init(void)
{
    os_printf("mqtt_tls: SDK %s\n", system_get_sdk_version());
    ex_wifi_start(start);
}
