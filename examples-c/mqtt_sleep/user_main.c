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
#include "mqtt_packet.h"

enum step { CONNECTING, PUBLISHING, LEAVING };

static struct espconn conn;
static esp_tcp tcp;
static char host[64];
static const char *topic = "espconn_secure/sleep";
static const char *message = "awake";
static enum step step;
static uint8 out[300];
static struct mqtt_reader in;
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
    send_packet(mqtt_connect_packet(out, "espconn-secure-sleep", 30), "CONNECT");
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
    if (!mqtt_read(&in, data, len, handle_packet)) {
        os_printf("MQTT packet too large for the example's buffer\n");
        espconn_secure_disconnect(&conn);
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
    if (!ex_tls_client_init(&conn, &tcp, port, on_connect, on_recv, on_sent, on_disconnect,
                            on_reconnect)) {
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
