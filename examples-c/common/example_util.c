#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "example_util.h"
#include "sntp_wait.h"

uint32 ICACHE_FLASH_ATTR ex_parse_uint(const char *s, uint32 dflt)
{
    uint32 v = 0, base = 10;
    if (s == NULL || *s == 0)
        return dflt;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (*s == 0)
            return dflt;
    }
    for (; *s; s++) {
        uint32 d;
        if (*s >= '0' && *s <= '9')
            d = (uint32)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (uint32)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (uint32)(*s - 'A' + 10);
        else
            return dflt;
        if (d >= base)
            return dflt;
        v = v * base + d;
    }
    return v;
}

int ICACHE_FLASH_ATTR ex_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool ICACHE_FLASH_ATTR ex_parse_hex(const char *s, uint8 *out, uint32 n)
{
    uint32 i;
    if (s == NULL)
        return false;
    for (i = 0; i < n; i++) {
        int hi = ex_hex_digit(s[2 * i]);
        int lo = hi < 0 ? -1 : ex_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8)(hi << 4 | lo);
    }
    return s[2 * n] == 0;
}

bool ICACHE_FLASH_ATTR ex_parse_hostport(const char *s, char *host, uint32 cap, int *port)
{
    uint32 i, colon = 0;
    if (s == NULL)
        return false;
    for (i = 0; s[i]; i++)
        if (s[i] == ':')
            colon = i;
    if (colon == 0 || colon + 1 >= cap)
        return false;
    os_memcpy(host, s, colon);
    host[colon] = 0;
    *port = (int)ex_parse_uint(s + colon + 1, 0);
    return *port > 0 && *port < 65536;
}

void ICACHE_FLASH_ATTR ex_print_bytes(const char *data, uint32 len)
{
    char line[129];
    uint32 off = 0;
    while (off < len) {
        uint32 n = len - off > 128 ? 128 : len - off;
        os_memcpy(line, data + off, n);
        line[n] = 0;
        os_printf("%s", line);
        off += n;
    }
}

static void (*wifi_ready)(void);
static void (*set_time_ready)(void);

static void ICACHE_FLASH_ATTR set_time_waited(void *arg)
{
    (void)arg;
    set_time_ready();
}

static void ICACHE_FLASH_ATTR wifi_event(System_Event_t *ev)
{
    if (ev->event == EVENT_STAMODE_GOT_IP && wifi_ready) {
        void (*ready)(void) = wifi_ready;
        wifi_ready = NULL;
        if (sim_arg("set-time")) {
            /* A network where SNTP is blocked: the program knows the time
             * some other way (an HTTP Date header, a gateway) and sets the
             * library's clock; SNTP is never started. */
            uint32 t = ex_parse_uint(sim_arg("set-time"), 0);
            os_printf("SET TIME %u %s\n", t, espconn_secure_set_time(t) ? "ok" : "refused");
            if (sim_arg("sntp-too")) {
                /* Both: SNTP, once synchronised, wins over the set clock. */
                sntp_wait(ready);
                return;
            }
            if (sim_arg("set-time-wait")) {
                /* Connect later, as a program that set the clock at boot. */
                static os_timer_t wait_timer;
                set_time_ready = ready;
                os_timer_disarm(&wait_timer);
                os_timer_setfn(&wait_timer, set_time_waited, NULL);
                os_timer_arm(&wait_timer, ex_parse_uint(sim_arg("set-time-wait"), 0), 0);
                return;
            }
            ready();
            return;
        }
        /* Certificate dates need the time: connect once SNTP has it. */
        sntp_wait(ready);
    }
}

void ICACHE_FLASH_ATTR ex_wifi_start(void (*ready)(void))
{
    struct station_config sc;
    os_memset(&sc, 0, sizeof sc);
    os_memcpy(sc.ssid, "example-ap", 10);
    os_memcpy(sc.password, "example-pass", 12);
    wifi_ready = ready;
    wifi_set_opmode(STATION_MODE);
    wifi_station_set_config(&sc);
    wifi_set_event_handler_cb(wifi_event);
    wifi_station_connect();
}

static void (*resolve_done)(const ip_addr_t *ip);

static void ICACHE_FLASH_ATTR dns_found(const char *name, ip_addr_t *ip, void *arg)
{
    (void)name;
    (void)arg;
    resolve_done(ip);
}

void ICACHE_FLASH_ATTR ex_resolve(struct espconn *conn, const char *host, void (*done)(const ip_addr_t *ip))
{
    static ip_addr_t addr;
    err_t r;
    resolve_done = done;
    r = espconn_gethostbyname(conn, host, &addr, dns_found);
    if (r == ESPCONN_OK)
        done(&addr);
    else if (r != ESPCONN_INPROGRESS)
        done(NULL);
}

static struct espconn *connect_conn;
static const char *connect_host;
/* --take-heap N: the rest of the firmware takes N bytes of heap once
 * espconn_secure_connect has returned, while the handshake runs. */
static void *taken_heap;

static void ICACHE_FLASH_ATTR connect_resolved(const ip_addr_t *ip)
{
    sint8 r;
    if (ip == NULL) {
        os_printf("cannot resolve %s\n", connect_host);
        sim_exit(2);
        return;
    }
    os_memcpy(connect_conn->proto.tcp->remote_ip, &ip->addr, 4);
    os_printf("heap_free_before_connect=%u\n", system_get_free_heap_size());
    r = espconn_secure_connect(connect_conn);
    if (r != ESPCONN_OK) {
        os_printf("espconn_secure_connect failed: %d\n", r);
        sim_exit(1);
        return;
    }
    if (sim_arg("take-heap") && taken_heap == NULL) {
        uint32 n = ex_parse_uint(sim_arg("take-heap"), 0);
        taken_heap = os_malloc(n);
        os_printf("TOOK %u bytes of heap, %u free\n", taken_heap ? n : 0, system_get_free_heap_size());
    }
}

void ICACHE_FLASH_ATTR ex_give_back_heap(void)
{
    if (taken_heap != NULL) {
        os_free(taken_heap);
        taken_heap = NULL;
    }
}

void ICACHE_FLASH_ATTR ex_secure_connect_to(struct espconn *conn, const char *host)
{
    connect_conn = conn;
    connect_host = host;
    ex_resolve(conn, host, connect_resolved);
}

bool ICACHE_FLASH_ATTR ex_tls_client_init(struct espconn *conn, esp_tcp *tcp, int port,
                                          espconn_connect_callback on_connect,
                                          espconn_recv_callback on_recv, espconn_sent_callback on_sent,
                                          espconn_connect_callback on_disconnect,
                                          espconn_reconnect_callback on_reconnect)
{
    conn->type = ESPCONN_TCP;
    conn->state = ESPCONN_NONE;
    conn->proto.tcp = tcp;
    tcp->remote_port = port;
    espconn_regist_connectcb(conn, on_connect);
    espconn_regist_recvcb(conn, on_recv);
    espconn_regist_sentcb(conn, on_sent);
    espconn_regist_disconcb(conn, on_disconnect);
    espconn_regist_reconcb(conn, on_reconnect);
    return ex_apply_tls_options(conn);
}

bool ICACHE_FLASH_ATTR ex_apply_tls_options(struct espconn *conn)
{
    const char *ca = sim_arg("ca-sector");
    const char *cert = sim_arg("cert-sector");
    const char *size = sim_arg("size");
    const char *name = sim_arg("hostname");
    if (ca && !espconn_secure_ca_enable(ESPCONN_CLIENT, ex_parse_uint(ca, 0))) {
        os_printf("bad --ca-sector %s\n", ca);
        return false;
    }
    if (cert && !espconn_secure_cert_req_enable(ESPCONN_CLIENT, ex_parse_uint(cert, 0))) {
        os_printf("bad --cert-sector %s\n", cert);
        return false;
    }
    if (size && !espconn_secure_set_size(ESPCONN_CLIENT, (uint16)ex_parse_uint(size, 0))) {
        os_printf("bad --size %s (2048..8192)\n", size);
        return false;
    }
    const char *frag = sim_arg("fragment-length");
    if (frag && !espconn_secure_set_fragment_length(ESPCONN_CLIENT, (uint16)ex_parse_uint(frag, 1))) {
        os_printf("bad --fragment-length %s (0, 512, 1024, 2048, 4096)\n", frag);
        return false;
    }
    if (name && espconn_secure_set_hostname(conn, name) != ESPCONN_OK) {
        os_printf("bad --hostname %s\n", name);
        return false;
    }
    const char *hs_timeout = sim_arg("handshake-timeout");
    if (hs_timeout && !espconn_secure_set_handshake_timeout((uint16)ex_parse_uint(hs_timeout, 0xFFFF))) {
        os_printf("bad --handshake-timeout %s (0..3600 s)\n", hs_timeout);
        return false;
    }
    const char *cache = sim_arg("session-cache");
    if (cache && !espconn_secure_set_session_cache((uint8)ex_parse_uint(cache, 0))) {
        os_printf("bad --session-cache %s (0..4)\n", cache);
        return false;
    }
    const char *alpn = sim_arg("alpn");
    if (alpn) {
        /* "a,b,c": the list and its pointers must only live for the call. */
        static char names[256];
        const char *list[8];
        uint8 count = 0;
        uint32 i = 0;
        if (os_strlen(alpn) >= sizeof names) {
            os_printf("bad --alpn (too long)\n");
            return false;
        }
        os_strcpy(names, alpn);
        list[count++] = names;
        for (i = 0; names[i] && count <= 8; i++) {
            if (names[i] == ',') {
                names[i] = 0;
                if (count == 8)
                    break;
                list[count++] = names + i + 1;
            }
        }
        if (!espconn_secure_set_alpn(conn, list, count)) {
            os_printf("bad --alpn %s\n", alpn);
            return false;
        }
    }
    return true;
}

void ICACHE_FLASH_ATTR ex_report_session(struct espconn *conn)
{
    if (sim_arg("alpn")) {
        const char *p = espconn_secure_get_alpn(conn);
        os_printf("ALPN %s\n", p ? p : "(none)");
    }
    if (sim_arg("session-cache"))
        os_printf("RESUMED %s\n", espconn_secure_session_resumed(conn) ? "yes" : "no");
}

void ICACHE_FLASH_ATTR ex_report_reconnect(struct espconn *conn, sint8 err)
{
    int code = espconn_secure_get_last_error(conn);
    ex_give_back_heap();
    os_printf("RECONNECT err=%d\n", err);
    if (code != 0)
        os_printf("last_error=-0x%x (%s)\n", -code, espconn_secure_strerror(code));
}

/* The session blob lives at the start of the RTC user area (block 64, 512
 * bytes); RTC memory is read and written in whole 4-byte words. */
#define EX_RTC_SESSION_BLOCK 64
static uint8 rtc_buf[512] __attribute__((aligned(4)));

bool ICACHE_FLASH_ATTR ex_session_restore(void)
{
    struct rst_info *ri = system_get_rst_info();
    bool ok;
    if (ri == NULL || ri->reason != REASON_DEEP_SLEEP_AWAKE) {
        os_printf("WAKE cold boot\n");
        return false;
    }
    os_printf("WAKE from deep sleep\n");
    if (!system_rtc_mem_read(EX_RTC_SESSION_BLOCK, rtc_buf, sizeof rtc_buf)) {
        os_printf("SESSION REFUSED (RTC read failed)\n");
        return false;
    }
    ok = espconn_secure_session_load(rtc_buf, sizeof rtc_buf);
    /* The blob holds the session secret: no copy stays in RAM. */
    os_memset(rtc_buf, 0, sizeof rtc_buf);
    os_printf(ok ? "SESSION LOADED\n" : "SESSION REFUSED\n");
    return ok;
}

void ICACHE_FLASH_ATTR ex_session_sleep(struct espconn *conn, uint32 seconds)
{
    sint16 n = espconn_secure_session_save(conn, rtc_buf, sizeof rtc_buf);
    if (n > 0) {
        uint16 words = (uint16)((n + 3) & ~3);
        if (system_rtc_mem_write(EX_RTC_SESSION_BLOCK, rtc_buf, words))
            os_printf("SESSION SAVED %d bytes\n", n);
        else
            os_printf("SESSION NOT SAVED (RTC write failed)\n");
    } else {
        /* Nothing to keep: clear the area so that no stale blob is offered. */
        os_memset(rtc_buf, 0, 4);
        system_rtc_mem_write(EX_RTC_SESSION_BLOCK, rtc_buf, 4);
        os_printf("SESSION NOT SAVED (%d)\n", n);
    }
    os_memset(rtc_buf, 0, sizeof rtc_buf);
    os_printf("DEEP SLEEP %u s\n", seconds);
    system_deep_sleep((uint64)seconds * 1000000ull);
}
