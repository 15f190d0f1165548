/*
 * mqtt_tls: an MQTT 3.1.1 client over TLS with the CA and the device's own
 * certificate from flash, written as NONOS user code. It connects, subscribes
 * to --topic, publishes one message to it, waits for its own message to come
 * back, and disconnects. The small framing in examples-c/common/mqtt_packet.c
 * is all the MQTT it needs.
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
#include "mqtt_packet.h"

enum step { CONNECTING, SUBSCRIBING, PUBLISHING, WAITING, LEAVING };

static struct espconn conn;
static esp_tcp tcp;
static char host[64];
static const char *topic = "espconn_secure/demo";
static const char *message = "hello from espconn_secure";
static enum step step;
static uint8 out[300];
static struct mqtt_reader in;

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
    send_packet(mqtt_connect_packet(out, "espconn-secure-demo", 30), "CONNECT");
}

static void ICACHE_FLASH_ATTR mqtt_subscribe(void)
{
    send_packet(mqtt_subscribe_packet(out, 1, topic), "SUBSCRIBE");
}

static void ICACHE_FLASH_ATTR mqtt_publish(void)
{
    send_packet(mqtt_publish_packet(out, topic, message), "PUBLISH");
}

static void ICACHE_FLASH_ATTR mqtt_disconnect(void)
{
    step = LEAVING;
    send_packet(mqtt_disconnect_packet(out), "DISCONNECT");
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
    if (!mqtt_read(&in, data, len, handle_packet)) {
        os_printf("MQTT packet too large for the example's buffer\n");
        espconn_secure_disconnect(&conn);
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
    if (!ex_tls_client_init(&conn, &tcp, port, on_connect, on_recv, on_sent, on_disconnect,
                            on_reconnect)) {
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
