/*
 * https_server: a small HTTPS server serving a status page, the way a NONOS
 * program does it (espconn_secure_accept with the default certificate/key).
 * Options (host build): [--port N] [--cert FILE --key FILE] [--ca-sector N]
 * (client certificates required, verified against that sector's CA)
 * [--max-con N] (espconn_tcp_set_max_con_allow on the listener: at most N
 * TLS clients at once) [--clients N] (after N clients have come and gone: espconn_secure_delete,
 * then exit) [--handshake-timeout S] (espconn_secure_set_handshake_timeout)
 * [--session-cache N] (espconn_secure_set_server_session_cache: clients resume)
 * [--time-jump S --time-jump-after N] (with --set-time UNIX: after N clients,
 * set the clock S seconds ahead, so that ticket keys rotate) [--reset-peak-after N]
 * (after N clients, restart the simulator's heap peak: the figure printed at
 * exit covers the later clients only).
 * Without --cert/--key (and always on the chip) a built-in
 * self-signed certificate is used.
 * Prints per client: HANDSHAKE OK, REQUEST <line>, then DISCONNECT or
 * RECONNECT err=N.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "espconn_secure.h"
#include "sim_hooks.h"
#include "example_util.h"
#include "default_cert.h"

#define MAX_CLIENTS 6
#define REQ_CAP     512

static struct espconn server;
static esp_tcp server_tcp;
static uint32 clients_wanted;
static uint32 clients_done;
static uint32 requests;
static bool busy_checked;
static uint32 jump_after;
static uint32 jump_secs;
static uint32 clock_set;
static uint32 reset_peak_after;

/* Per accepted connection: the request read so far. */
static struct client {
    struct espconn *conn;
    uint32 len;
    bool answered;
    char req[REQ_CAP];
} clients[MAX_CLIENTS];

static char page[512];
static char response[700];

static struct client *ICACHE_FLASH_ATTR client_of(struct espconn *c, bool create)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].conn == c)
            return &clients[i];
    if (!create)
        return NULL;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].conn == NULL) {
            os_memset(&clients[i], 0, sizeof clients[i]);
            clients[i].conn = c;
            return &clients[i];
        }
    return NULL;
}

static void ICACHE_FLASH_ATTR client_end(void)
{
    /* The accepted espconn is gone once the disconnect/reconnect callback
     * runs: forget every entry that is no longer live. */
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct espconn *c = clients[i].conn;
        if (c && server.link_cnt == 0)
            clients[i].conn = NULL;
    }
    clients_done++;
    if (jump_secs && clients_done == jump_after) {
        /* What a device sees when its clock moves on by hours. */
        clock_set += jump_secs;
        os_printf("CLOCK +%u s: %d\n", jump_secs, espconn_secure_set_time(clock_set));
    }
    if (reset_peak_after && clients_done == reset_peak_after)
        sim_heap_reset_peak();
    if (clients_wanted && clients_done >= clients_wanted && server.link_cnt == 0) {
        sint8 r = espconn_secure_delete(&server);
        os_printf("DELETE ret=%d\n", r);
        espconn_secure_set_server_session_cache(0); /* gives its heap back */
        sim_exit(r == ESPCONN_OK ? 0 : 1);
    }
}

static void ICACHE_FLASH_ATTR on_connect(void *arg)
{
    struct espconn *c = arg;
    esp_tcp *t = c->proto.tcp;
    os_printf("HANDSHAKE OK peer=%d.%d.%d.%d:%d local_port=%d accept_conn=%d link_cnt=%d resumed=%d\n",
              t->remote_ip[0], t->remote_ip[1], t->remote_ip[2], t->remote_ip[3], t->remote_port, t->local_port, c != &server,
              server.link_cnt, espconn_secure_session_resumed(c));
    struct client *cl = client_of(c, true);
    if (cl) {
        /* A new accepted espconn may reuse a finished one's address. */
        os_memset(cl, 0, sizeof *cl);
        cl->conn = c;
    } else {
        os_printf("too many clients\n");
    }
    if (!busy_checked) {
        busy_checked = true;
        os_printf("DELETE while connected ret=%d\n", espconn_secure_delete(&server));
    }
}

static void ICACHE_FLASH_ATTR answer(struct espconn *c, struct client *cl)
{
    char line[80];
    uint32 n = 0;
    while (n < cl->len && n < sizeof line - 1 && cl->req[n] != '\r' && cl->req[n] != '\n') {
        line[n] = cl->req[n];
        n++;
    }
    line[n] = '\0';
    os_printf("REQUEST %s\n", line);
    requests++;
    os_sprintf(page,
               "<html><body><h1>espconn_secure https_server</h1>\n"
               "<p>requests=%u clients=%d free_heap=%u uptime_ms=%u</p>\n"
               "</body></html>\n",
               requests, server.link_cnt, system_get_free_heap_size(),
               system_get_time() / 1000);
    os_sprintf(response,
               "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n%s",
               (int)os_strlen(page), page);
    cl->answered = true;
    sint8 r = espconn_secure_send(c, (uint8 *)response, (uint16)os_strlen(response));
    if (r != ESPCONN_OK) {
        os_printf("send failed: %d\n", r);
        espconn_secure_disconnect(c);
    }
}

static void ICACHE_FLASH_ATTR on_recv(void *arg, char *data, unsigned short len)
{
    struct espconn *c = arg;
    struct client *cl = client_of(c, true);
    if (!cl || cl->answered)
        return;
    uint32 room = REQ_CAP - 1 - cl->len;
    uint32 take = len < room ? len : room;
    os_memcpy(cl->req + cl->len, data, take);
    cl->len += take;
    cl->req[cl->len] = '\0';
    if (os_strstr(cl->req, "\r\n\r\n") || os_strstr(cl->req, "\n\n") || cl->len >= REQ_CAP - 1)
        answer(c, cl);
}

static void ICACHE_FLASH_ATTR on_sent(void *arg)
{
    struct espconn *c = arg;
    os_printf("SENT\n");
    struct client *cl = client_of(c, false);
    if (cl)
        cl->conn = NULL;
    espconn_secure_disconnect(c);
}

static void ICACHE_FLASH_ATTR on_disconnect(void *arg)
{
    os_printf("DISCONNECT listener=%d\n", arg == &server);
    client_end();
}

static void ICACHE_FLASH_ATTR on_reconnect(void *arg, sint8 err)
{
    ex_report_reconnect(arg, err);
    os_printf("listener=%d\n", arg == &server);
    client_end();
}

static void ICACHE_FLASH_ATTR start(void)
{
    unsigned int cert_len = 0, key_len = 0;
    const char *cert = sim_arg_file("cert", &cert_len);
    const char *key = sim_arg_file("key", &key_len);
    const char *ca = sim_arg("ca-sector");
    if ((sim_arg("cert") && !cert) || (sim_arg("key") && !key)) {
        os_printf("cannot read --cert/--key file\n");
        sim_exit(2);
        return;
    }
    if (!cert || !key) {
        cert = default_cert_pem;
        cert_len = sizeof default_cert_pem - 1;
        key = default_key_pem;
        key_len = sizeof default_key_pem - 1;
    }
    clients_wanted = ex_parse_uint(sim_arg("clients"), 0);
    os_printf("heap_free_before_connect=%u\n", system_get_free_heap_size());
    if (!espconn_secure_set_default_certificate((const uint8 *)cert, (uint16)cert_len) ||
        !espconn_secure_set_default_private_key((const uint8 *)key, (uint16)key_len)) {
        os_printf("set_default_certificate/private_key failed\n");
        sim_exit(2);
        return;
    }
    const char *hs_timeout = sim_arg("handshake-timeout");
    if (hs_timeout && !espconn_secure_set_handshake_timeout((uint16)ex_parse_uint(hs_timeout, 0xFFFF))) {
        os_printf("bad --handshake-timeout %s (0..3600 s)\n", hs_timeout);
        sim_exit(2);
        return;
    }
    const char *cache = sim_arg("session-cache");
    if (cache && !espconn_secure_set_server_session_cache((uint8)ex_parse_uint(cache, 0xFF))) {
        os_printf("bad --session-cache %s (0..8)\n", cache);
        sim_exit(2);
        return;
    }
    jump_after = ex_parse_uint(sim_arg("time-jump-after"), 0);
    jump_secs = ex_parse_uint(sim_arg("time-jump"), 0);
    clock_set = ex_parse_uint(sim_arg("set-time"), 0);
    reset_peak_after = ex_parse_uint(sim_arg("reset-peak-after"), 0);
    if (ca && !espconn_secure_ca_enable(ESPCONN_SERVER, ex_parse_uint(ca, 0))) {
        os_printf("bad --ca-sector %s\n", ca);
        sim_exit(2);
        return;
    }
    server.type = ESPCONN_TCP;
    server.state = ESPCONN_NONE;
    server.proto.tcp = &server_tcp;
    server_tcp.local_port = (int)ex_parse_uint(sim_arg("port"), 443);
    espconn_regist_connectcb(&server, on_connect);
    espconn_regist_recvcb(&server, on_recv);
    espconn_regist_sentcb(&server, on_sent);
    espconn_regist_disconcb(&server, on_disconnect);
    espconn_regist_reconcb(&server, on_reconnect);
    sint8 r = espconn_secure_accept(&server);
    if (r != ESPCONN_OK) {
        os_printf("espconn_secure_accept failed: %d\n", r);
        sim_exit(1);
        return;
    }
    /* As on a plain server: bounds the TLS clients served at once. */
    const char *max_con = sim_arg("max-con");
    if (max_con) {
        r = espconn_tcp_set_max_con_allow(&server, (uint8)ex_parse_uint(max_con, 0));
        os_printf("MAX_CON_ALLOW set=%d get=%d\n", r, espconn_tcp_get_max_con_allow(&server));
    }
    os_printf("LISTENING port=%d\n", server_tcp.local_port);
}

void ICACHE_FLASH_ATTR user_init(void)
{
    os_printf("https_server: SDK %s\n", system_get_sdk_version());
    ex_wifi_start(start);
}
