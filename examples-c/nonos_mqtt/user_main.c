/*
 * nonos_mqtt: an MQTT 3.1.1 client over TLS written the way NONOS programs
 * are (the idioms of the SDK's esp_mqtt example, our own code): the client's
 * state lives in a global and travels through system_os_post() as a pointer
 * cast to os_param_t; the espconn comes from os_zalloc and points back at the
 * client through `reverse`; every recv callback is parsed as exactly one MQTT
 * packet; the program waits for SNTP before it connects, resolves the broker
 * with espconn_gethostbyname, verifies the broker's chain against the CA in
 * flash (espconn_secure_ca_enable), prints through the UART driver and drives
 * the LED on GPIO2.
 *
 * It subscribes to three topics at QoS 0, 1 and 2, publishes one message to
 * each at that QoS, and ends with "MQTT ALL OK" once it received all three
 * and every QoS 1/2 flow in both directions completed.
 * Options (host build): --broker HOST:PORT [--ca-sector N] [--client-id ID].
 */
#include "ets_sys.h"
#include "driver/uart.h"
#include "osapi.h"
#include "gpio.h"
#include "eagle_soc.h"
#include "user_interface.h"
#include "mem.h"
#include "espconn.h"
#include "sntp.h"
#include "sim_hooks.h"
#include "example_util.h"

#define MQTT_TASK_PRIO  USER_TASK_PRIO_1
#define MQTT_QUEUE_LEN  8
#define LED_GPIO        2

/* Signals of the MQTT task. */
enum { SIG_RESOLVE = 1, SIG_CONNECT, SIG_SEND, SIG_DONE };

enum { MQTT_CONNECT = 1, MQTT_CONNACK, MQTT_PUBLISH, MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL,
       MQTT_PUBCOMP, MQTT_SUBSCRIBE, MQTT_SUBACK, MQTT_DISCONNECT = 14 };

#define OUT_SLOTS 8
#define OUT_MAX   96

typedef struct {
    struct espconn *pCon;
    ip_addr_t ip;
    char host[64];
    int port;
    const char *client_id;
    /* Packets waiting to be sent: one espconn_secure_send in flight. */
    uint8 out[OUT_SLOTS][OUT_MAX];
    uint8 out_len[OUT_SLOTS];
    uint8 out_head, out_count;
    bool sending;
    uint16 next_id;
    uint8 subacks;
    uint8 received;      /* bit q: the message published at QoS q came back */
    bool puback, pubcomp, incoming_q2_done;
    bool leaving;
    uint8 led;
} MQTT_Client;

static MQTT_Client mqttClient;
static os_event_t mqtt_queue[MQTT_QUEUE_LEN];
static os_timer_t sntp_timer;

static const char *const topics[3] = { "nonos/mqtt/0", "nonos/mqtt/1", "nonos/mqtt/2" };
static const char *const payloads[3] = { "hello0", "hello1", "hello2" };

static void ICACHE_FLASH_ATTR fail(MQTT_Client *client, const char *why)
{
    os_printf("MQTT FAILED: %s\n", why);
    client->leaving = true;
    espconn_secure_disconnect(client->pCon);
    sim_exit(1);
}

/* ---- outgoing packets ---- */

static uint8 *ICACHE_FLASH_ATTR put_u16(uint8 *p, uint16 v)
{
    p[0] = (uint8)(v >> 8);
    p[1] = (uint8)v;
    return p + 2;
}

static uint8 *ICACHE_FLASH_ATTR put_str(uint8 *p, const char *s)
{
    uint16 n = (uint16)os_strlen(s);
    p = put_u16(p, n);
    os_memcpy(p, s, n);
    return p + n;
}

/* Queues a packet of `type|flags` whose variable part is body[0..len). */
static void ICACHE_FLASH_ATTR queue_packet(MQTT_Client *client, uint8 first, const uint8 *body, uint32 len)
{
    if (client->out_count == OUT_SLOTS || len + 2 > OUT_MAX || len > 127) {
        fail(client, "send queue full");
        return;
    }
    uint8 slot = (uint8)((client->out_head + client->out_count) % OUT_SLOTS);
    client->out[slot][0] = first;
    client->out[slot][1] = (uint8)len;
    os_memcpy(&client->out[slot][2], body, len);
    client->out_len[slot] = (uint8)(len + 2);
    client->out_count++;
    system_os_post(MQTT_TASK_PRIO, SIG_SEND, (os_param_t)client);
}

static void ICACHE_FLASH_ATTR queue_ack(MQTT_Client *client, uint8 type, uint16 id)
{
    uint8 body[2];
    put_u16(body, id);
    queue_packet(client, (uint8)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)), body, 2);
}

static void ICACHE_FLASH_ATTR mqtt_send_connect(MQTT_Client *client)
{
    uint8 body[80], *p = body;
    p = put_str(p, "MQTT");
    *p++ = 4;           /* protocol level 3.1.1 */
    *p++ = 0x02;        /* clean session */
    p = put_u16(p, 60); /* keepalive */
    p = put_str(p, client->client_id);
    queue_packet(client, MQTT_CONNECT << 4, body, (uint32)(p - body));
}

static void ICACHE_FLASH_ATTR mqtt_subscribe(MQTT_Client *client, const char *topic, uint8 qos)
{
    uint8 body[64], *p = body;
    p = put_u16(p, ++client->next_id);
    p = put_str(p, topic);
    *p++ = qos;
    queue_packet(client, MQTT_SUBSCRIBE << 4 | 2, body, (uint32)(p - body));
}

static void ICACHE_FLASH_ATTR mqtt_publish(MQTT_Client *client, const char *topic, const char *data, uint8 qos)
{
    uint8 body[64], *p = body;
    uint16 n = (uint16)os_strlen(data);
    p = put_str(p, topic);
    if (qos > 0)
        p = put_u16(p, ++client->next_id);
    os_memcpy(p, data, n);
    p += n;
    queue_packet(client, (uint8)(MQTT_PUBLISH << 4 | qos << 1), body, (uint32)(p - body));
}

/* ---- the one packet of a recv callback ---- */

static void ICACHE_FLASH_ATTR check_done(MQTT_Client *client)
{
    if (client->received == 7 && client->puback && client->pubcomp && client->incoming_q2_done
        && !client->leaving) {
        client->leaving = true;
        os_printf("MQTT ALL OK\n");
        queue_packet(client, MQTT_DISCONNECT << 4, NULL, 0);
    }
}

static void ICACHE_FLASH_ATTR on_publish(MQTT_Client *client, uint8 flags, const uint8 *body, uint32 len)
{
    uint8 qos = (flags >> 1) & 3;
    uint32 tlen, pos;
    uint16 id = 0;
    if (len < 2)
        return fail(client, "short PUBLISH");
    tlen = (uint32)body[0] << 8 | body[1];
    pos = 2 + tlen;
    if (qos > 0) {
        if (pos + 2 > len)
            return fail(client, "short PUBLISH");
        id = (uint16)(body[pos] << 8 | body[pos + 1]);
        pos += 2;
    }
    if (pos > len)
        return fail(client, "short PUBLISH");
    char topic[32], data[32];
    if (tlen >= sizeof topic || len - pos >= sizeof data)
        return fail(client, "PUBLISH too long");
    os_memcpy(topic, body + 2, tlen);
    topic[tlen] = 0;
    os_memcpy(data, body + pos, len - pos);
    data[len - pos] = 0;
    os_printf("MQTT RECEIVED topic=%s data=%s qos=%d\n", topic, data, qos);
    for (int q = 0; q < 3; q++)
        if (os_strcmp(topic, topics[q]) == 0 && os_strcmp(data, payloads[q]) == 0)
            client->received |= (uint8)(1 << q);
    client->led ^= 1;
    GPIO_OUTPUT_SET(LED_GPIO, client->led);
    if (qos == 1)
        queue_ack(client, MQTT_PUBACK, id);
    else if (qos == 2)
        queue_ack(client, MQTT_PUBREC, id);
    check_done(client);
}

static void ICACHE_FLASH_ATTR mqtt_recv_cb(void *arg, char *pdata, unsigned short len)
{
    struct espconn *pCon = (struct espconn *)arg;
    MQTT_Client *client = (MQTT_Client *)pCon->reverse;
    const uint8 *d = (const uint8 *)pdata;
    uint32 rem = 0, mult = 1, i = 1;

    /* As esp_mqtt does: the callback holds one packet. */
    do {
        if (i >= len)
            return fail(client, "truncated packet header");
        rem += (uint32)(d[i] & 0x7f) * mult;
        mult *= 128;
    } while (d[i++] & 0x80);
    if (i + rem != len) {
        os_printf("MQTT: callback of %u bytes holds a packet of %u\n", len, (unsigned)(i + rem));
        return fail(client, "not one packet per recv callback");
    }
    uint8 type = d[0] >> 4;
    const uint8 *body = d + i;
    uint16 id = rem >= 2 ? (uint16)(body[0] << 8 | body[1]) : 0;
    switch (type) {
    case MQTT_CONNACK:
        if (rem != 2 || body[1] != 0)
            return fail(client, "CONNACK refused");
        os_printf("MQTT: Connected\n");
        for (uint8 q = 0; q < 3; q++)
            mqtt_subscribe(client, topics[q], q);
        break;
    case MQTT_SUBACK:
        os_printf("MQTT SUBACK id=%u granted=%d\n", id, rem > 2 ? body[2] : -1);
        if (++client->subacks == 3)
            for (uint8 q = 0; q < 3; q++)
                mqtt_publish(client, topics[q], payloads[q], q);
        break;
    case MQTT_PUBLISH:
        on_publish(client, d[0] & 0x0f, body, rem);
        break;
    case MQTT_PUBACK:
        os_printf("MQTT PUBACK id=%u\n", id);
        client->puback = true;
        check_done(client);
        break;
    case MQTT_PUBREC:
        os_printf("MQTT PUBREC id=%u\n", id);
        queue_ack(client, MQTT_PUBREL, id);
        break;
    case MQTT_PUBREL:
        os_printf("MQTT PUBREL id=%u\n", id);
        queue_ack(client, MQTT_PUBCOMP, id);
        client->incoming_q2_done = true;
        check_done(client);
        break;
    case MQTT_PUBCOMP:
        os_printf("MQTT PUBCOMP id=%u\n", id);
        client->pubcomp = true;
        check_done(client);
        break;
    default:
        os_printf("MQTT: packet type %d ignored\n", type);
    }
}

/* ---- connection callbacks ---- */

static void ICACHE_FLASH_ATTR mqtt_connect_cb(void *arg)
{
    struct espconn *pCon = (struct espconn *)arg;
    MQTT_Client *client = (MQTT_Client *)pCon->reverse;
    os_printf("TLS connected, sending CONNECT\n");
    mqtt_send_connect(client);
}

static void ICACHE_FLASH_ATTR mqtt_sent_cb(void *arg)
{
    struct espconn *pCon = (struct espconn *)arg;
    MQTT_Client *client = (MQTT_Client *)pCon->reverse;
    client->sending = false;
    if (client->leaving && client->out_count == 0) {
        espconn_secure_disconnect(pCon);
        return;
    }
    /* The espconn (an os_zalloc'ed block) travels as the parameter this time. */
    system_os_post(MQTT_TASK_PRIO, SIG_SEND, (os_param_t)pCon);
}

static void ICACHE_FLASH_ATTR mqtt_discon_cb(void *arg)
{
    struct espconn *pCon = (struct espconn *)arg;
    MQTT_Client *client = (MQTT_Client *)pCon->reverse;
    os_printf("MQTT: Disconnected\n");
    system_os_post(MQTT_TASK_PRIO, SIG_DONE, (os_param_t)client);
}

static void ICACHE_FLASH_ATTR mqtt_recon_cb(void *arg, sint8 err)
{
    struct espconn *pCon = (struct espconn *)arg;
    MQTT_Client *client = (MQTT_Client *)pCon->reverse;
    os_printf("MQTT: reconnect callback err=%d\n", err);
    client->leaving = true;
    sim_exit(1);
}

static void ICACHE_FLASH_ATTR mqtt_dns_found(const char *name, ip_addr_t *ipaddr, void *arg)
{
    struct espconn *pCon = (struct espconn *)arg;
    MQTT_Client *client = (MQTT_Client *)pCon->reverse;
    if (ipaddr == NULL) {
        os_printf("DNS: %s not found\n", name);
        sim_exit(1);
        return;
    }
    os_printf("DNS: %s is " IPSTR "\n", name, IP2STR(ipaddr));
    client->ip = *ipaddr;
    system_os_post(MQTT_TASK_PRIO, SIG_CONNECT, (os_param_t)client);
}

/* ---- the task ---- */

static void ICACHE_FLASH_ATTR mqtt_task(os_event_t *e)
{
    MQTT_Client *client;
    if (e->sig == SIG_SEND && e->par == (os_param_t)mqttClient.pCon)
        client = (MQTT_Client *)((struct espconn *)e->par)->reverse;
    else
        client = (MQTT_Client *)e->par;

    switch (e->sig) {
    case SIG_RESOLVE: {
        err_t r = espconn_gethostbyname(client->pCon, client->host, &client->ip, mqtt_dns_found);
        if (r == ESPCONN_OK) {
            os_printf("DNS: %s is " IPSTR "\n", client->host, IP2STR(&client->ip));
            system_os_post(MQTT_TASK_PRIO, SIG_CONNECT, (os_param_t)client);
        }
        else if (r != ESPCONN_INPROGRESS)
            fail(client, "espconn_gethostbyname");
        break;
    }
    case SIG_CONNECT: {
        struct espconn *pCon = client->pCon;
        os_memcpy(pCon->proto.tcp->remote_ip, &client->ip.addr, 4);
        pCon->proto.tcp->remote_port = client->port;
        pCon->proto.tcp->local_port = espconn_port();
        espconn_regist_connectcb(pCon, mqtt_connect_cb);
        espconn_regist_reconcb(pCon, mqtt_recon_cb);
        espconn_regist_disconcb(pCon, mqtt_discon_cb);
        espconn_regist_recvcb(pCon, mqtt_recv_cb);
        espconn_regist_sentcb(pCon, mqtt_sent_cb);
        sint8 r = espconn_secure_connect(pCon);
        os_printf("TLS: espconn_secure_connect -> %d\n", r);
        if (r != ESPCONN_OK)
            sim_exit(1);
        break;
    }
    case SIG_SEND:
        if (client->sending || client->out_count == 0)
            break;
        {
            uint8 slot = client->out_head;
            sint8 r = espconn_secure_send(client->pCon, client->out[slot], client->out_len[slot]);
            if (r != ESPCONN_OK) {
                fail(client, "espconn_secure_send");
                break;
            }
            client->sending = true;
            client->out_head = (uint8)((slot + 1) % OUT_SLOTS);
            client->out_count--;
        }
        break;
    case SIG_DONE:
        os_free(client->pCon->proto.tcp);
        os_free(client->pCon);
        client->pCon = NULL;
        sim_exit(client->received == 7 ? 0 : 1);
        break;
    }
}

/* ---- start-up: WiFi, SNTP, then the broker ---- */

static void ICACHE_FLASH_ATTR sntpfn(void *arg)
{
    (void)arg;
    uint32 ts = sntp_get_current_timestamp();
    if (ts == 0)
        return;
    os_printf("SNTP: %s", sntp_get_real_time(ts));
    os_timer_disarm(&sntp_timer);
    system_os_post(MQTT_TASK_PRIO, SIG_RESOLVE, (os_param_t)&mqttClient);
}

static void ICACHE_FLASH_ATTR wifi_event_cb(System_Event_t *evt)
{
    if (evt->event != EVENT_STAMODE_GOT_IP)
        return;
    os_printf("WIFI: got IP " IPSTR "\n", IP2STR(&evt->event_info.got_ip.ip));
    sntp_setservername(0, "pool.ntp.org");
    sntp_init();
    os_timer_disarm(&sntp_timer);
    os_timer_setfn(&sntp_timer, sntpfn, NULL);
    os_timer_arm(&sntp_timer, 500, 1);
}

void ICACHE_FLASH_ATTR user_init(void)
{
    MQTT_Client *client = &mqttClient;
    struct station_config sc;

    uart_init(BIT_RATE_115200, BIT_RATE_115200);
    gpio_init();
    PIN_FUNC_SELECT(PERIPHS_IO_MUX_GPIO2_U, FUNC_GPIO2);
    client->led = 1;
    GPIO_OUTPUT_SET(LED_GPIO, client->led);

    if (!ex_parse_hostport(sim_arg("broker"), client->host, sizeof client->host, &client->port)) {
        os_printf("usage: nonos_mqtt --broker HOST:PORT [--ca-sector N] [--client-id ID]\n");
        sim_exit(2);
        return;
    }
    client->client_id = sim_arg("client-id") ? sim_arg("client-id") : "nonos-mqtt";
    espconn_secure_ca_enable(ESPCONN_CLIENT, ex_parse_uint(sim_arg("ca-sector"), 0x77));

    client->pCon = (struct espconn *)os_zalloc(sizeof(struct espconn));
    client->pCon->type = ESPCONN_TCP;
    client->pCon->state = ESPCONN_NONE;
    client->pCon->proto.tcp = (esp_tcp *)os_zalloc(sizeof(esp_tcp));
    client->pCon->reverse = client;
    os_printf("MQTT: client at 0x%08x, espconn at 0x%08x\n", (uint32)client, (uint32)client->pCon);

    system_os_task(mqtt_task, MQTT_TASK_PRIO, mqtt_queue, MQTT_QUEUE_LEN);

    os_memset(&sc, 0, sizeof sc);
    os_memcpy(sc.ssid, "example-ap", 10);
    os_memcpy(sc.password, "example-pass", 12);
    wifi_set_opmode(STATION_MODE);
    wifi_station_set_config(&sc);
    wifi_set_event_handler_cb(wifi_event_cb);
    wifi_station_connect();
}
