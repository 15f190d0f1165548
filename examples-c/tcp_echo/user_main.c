/*
 * tcp_echo: a plain NONOS TCP client. Joins Wi-Fi, connects to
 * --server HOST:PORT (a name goes through espconn_gethostbyname), sends one
 * line (--message, default "hello from esp8266"), prints what comes back,
 * then disconnects.
 *
 * Output: "CONNECTED", "SENT", "RECV: <text>", "DISCONNECT" and exit 0; on an
 * error "RECONNECT err=N" (or "ERROR ...") and exit 1. A watchdog timer gives
 * up after --timeout-ms (default 5000) without an answer.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "espconn.h"
#include "mem.h"
#include "sim_hooks.h"

#define DEFAULT_PORT 7
#define MAX_HOST 64

LOCAL struct espconn conn;
LOCAL esp_tcp conn_tcp;
LOCAL os_timer_t guard_timer;
LOCAL ip_addr_t server_ip;
LOCAL char server_host[MAX_HOST];
LOCAL int server_port = DEFAULT_PORT;
LOCAL const char *message = "hello from esp8266";
LOCAL uint8 *tx_line;
LOCAL uint16 tx_len;
LOCAL bool got_reply;
LOCAL bool started;

LOCAL void ICACHE_FLASH_ATTR
finish(int code)
{
    os_timer_disarm(&guard_timer);
    if (tx_line) {
        os_free(tx_line);
        tx_line = NULL;
    }
    sim_exit(code);
}

LOCAL void ICACHE_FLASH_ATTR
guard_timeout(void *arg)
{
    (void)arg;
    os_printf("ERROR timeout waiting for the server\n");
    espconn_abort(&conn);
    finish(1);
}

LOCAL void ICACHE_FLASH_ATTR
on_recv(void *arg, char *pdata, unsigned short len)
{
    struct espconn *c = arg;
    unsigned short n = len;
    /* Print one line of reply without its line end. */
    while (n > 0 && (pdata[n - 1] == '\n' || pdata[n - 1] == '\r'))
        n--;
    os_printf("RECV: %.*s\n", (int)n, pdata);
    if (!got_reply) {
        got_reply = true;
        espconn_disconnect(c);
    }
}

LOCAL void ICACHE_FLASH_ATTR
on_sent(void *arg)
{
    (void)arg;
    os_printf("SENT\n");
}

LOCAL void ICACHE_FLASH_ATTR
on_disconnect(void *arg)
{
    (void)arg;
    os_printf("DISCONNECT\n");
    finish(got_reply ? 0 : 1);
}

LOCAL void ICACHE_FLASH_ATTR
on_reconnect(void *arg, sint8 err)
{
    (void)arg;
    os_printf("RECONNECT err=%d\n", err);
    finish(1);
}

LOCAL void ICACHE_FLASH_ATTR
on_connect(void *arg)
{
    struct espconn *c = arg;
    sint8 r;
    os_printf("CONNECTED\n");
    espconn_regist_recvcb(c, on_recv);
    espconn_regist_sentcb(c, on_sent);
    espconn_regist_disconcb(c, on_disconnect);
    r = espconn_send(c, tx_line, tx_len);
    if (r != ESPCONN_OK) {
        os_printf("ERROR espconn_send=%d\n", r);
        finish(1);
    }
}

LOCAL void ICACHE_FLASH_ATTR
start_connect(void)
{
    sint8 r;
    conn.type = ESPCONN_TCP;
    conn.state = ESPCONN_NONE;
    conn.proto.tcp = &conn_tcp;
    conn_tcp.local_port = espconn_port();
    conn_tcp.remote_port = server_port;
    os_memcpy(conn_tcp.remote_ip, &server_ip.addr, 4);
    espconn_regist_connectcb(&conn, on_connect);
    espconn_regist_reconcb(&conn, on_reconnect);
    os_printf("CONNECTING " IPSTR ":%d\n", IP2STR(&server_ip), server_port);
    r = espconn_connect(&conn);
    if (r != ESPCONN_OK) {
        os_printf("ERROR espconn_connect=%d\n", r);
        finish(1);
    }
}

LOCAL void ICACHE_FLASH_ATTR
dns_found(const char *name, ip_addr_t *ipaddr, void *arg)
{
    (void)arg;
    if (ipaddr == NULL) {
        os_printf("ERROR cannot resolve %s\n", name);
        finish(1);
        return;
    }
    server_ip = *ipaddr;
    start_connect();
}

LOCAL void ICACHE_FLASH_ATTR
wifi_event(System_Event_t *ev)
{
    sint8 r;
    if (ev->event != EVENT_STAMODE_GOT_IP || started)
        return;
    started = true;
    os_printf("GOT_IP " IPSTR "\n", IP2STR(&ev->event_info.got_ip.ip));
    r = espconn_gethostbyname(&conn, server_host, &server_ip, dns_found);
    if (r == ESPCONN_OK)
        start_connect();
    else if (r != ESPCONN_INPROGRESS) {
        os_printf("ERROR espconn_gethostbyname=%d\n", r);
        finish(1);
    }
}

/* "HOST:PORT" or "HOST" into server_host/server_port. */
LOCAL bool ICACHE_FLASH_ATTR
parse_server(const char *s)
{
    size_t i = 0;
    while (s[i] != '\0' && s[i] != ':' && i < MAX_HOST - 1) {
        server_host[i] = s[i];
        i++;
    }
    server_host[i] = '\0';
    if (i == 0)
        return false;
    if (s[i] == ':') {
        int port = 0;
        const char *p = s + i + 1;
        if (*p == '\0')
            return false;
        while (*p >= '0' && *p <= '9')
            port = port * 10 + (*p++ - '0');
        if (*p != '\0' || port <= 0 || port > 65535)
            return false;
        server_port = port;
    } else if (s[i] != '\0') {
        return false;
    }
    return true;
}

void ICACHE_FLASH_ATTR
user_init(void)
{
    struct station_config cfg;
    const char *server = sim_arg("server");
    const char *msg = sim_arg("message");
    const char *timeout = sim_arg("timeout-ms");
    uint32 timeout_ms = 5000;
    size_t mlen;

    if (msg != NULL)
        message = msg;
    if (timeout != NULL) {
        timeout_ms = 0;
        while (*timeout >= '0' && *timeout <= '9')
            timeout_ms = timeout_ms * 10 + (uint32)(*timeout++ - '0');
    }
    if (!parse_server(server != NULL ? server : "127.0.0.1:7")) {
        os_printf("ERROR bad --server\n");
        sim_exit(2);
        return;
    }

    /* The data sent is "<message>\n"; espconn copies it, but the sent
     * callback is the point where the buffer is no longer needed. */
    mlen = os_strlen(message);
    tx_len = (uint16)(mlen + 1);
    tx_line = (uint8 *)os_malloc(tx_len);
    if (tx_line == NULL) {
        os_printf("ERROR out of memory\n");
        sim_exit(1);
        return;
    }
    os_memcpy(tx_line, message, mlen);
    tx_line[mlen] = '\n';

    os_timer_disarm(&guard_timer);
    os_timer_setfn(&guard_timer, guard_timeout, NULL);
    os_timer_arm(&guard_timer, timeout_ms, 0);

    wifi_set_opmode(STATION_MODE);
    os_memset(&cfg, 0, sizeof cfg);
    os_memcpy(cfg.ssid, "sim-ap", 6);
    os_memcpy(cfg.password, "password", 8);
    wifi_set_event_handler_cb(wifi_event);
    wifi_station_set_config(&cfg);
    os_printf("tcp_echo: SDK %s\n", system_get_sdk_version());
}
