/*
 * https_ota: download a firmware image over HTTPS and write it, as it
 * arrives, into the user partition that is not running
 * (espconn_secure_ota_*); check the SHA-256 the program was given and only
 * then mark it for boot and reboot into it, as the SDK's FOTA does
 * (UPGRADE_FLAG_FINISH, system_upgrade_reboot).
 * Options (host build): --server HOST:PORT --path /P --sha256 HEX (64 hex
 * digits: the image's SHA-256) [--image-size N] (for servers that send no
 * Content-Length) [--hostname NAME] [--ca-sector N] and the other common
 * TLS options; --report-boot prints the running partition and
 * ends. Output: "BOOT userN addr=0x..." at start, "OTA BEGIN size=N",
 * "OTA WRITTEN N" every 32 KB, then "OTA OK" and a reboot, or
 * "OTA FAILED code=-0x... (reason)" and "UPGRADE FLAG N" (the running image
 * stays the one that boots).
 */
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "upgrade.h"
#include "espconn.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "example_util.h"

static struct espconn conn;
static esp_tcp tcp;
static char host[64];
static char request[256];
static uint8 expected_sha256[32];

/* The response head, kept until its blank line has arrived. */
static char head[1024];
static uint32 head_len;
static bool in_body;
static uint32 content_length;
static uint32 body_received;
/* 0 while running, 1 once the image checked out, -1 after a failure. */
static int outcome;

static void ICACHE_FLASH_ATTR ota_failed(int code)
{
    outcome = -1;
    espconn_secure_ota_abort();
    os_printf("OTA FAILED code=-0x%x (%s)\n", (unsigned)-code, espconn_secure_strerror(code));
    os_printf("UPGRADE FLAG %u\n", system_upgrade_flag_check());
}

static void ICACHE_FLASH_ATTR on_connect(void *arg)
{
    struct espconn *c = arg;
    const char *path = sim_arg("path");
    const char *name = sim_arg("hostname");
    os_printf("HANDSHAKE OK\n");
    os_sprintf(request, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
               path ? path : "/firmware.bin", name ? name : host);
    if (espconn_secure_send(c, (uint8 *)request, (uint16)os_strlen(request)) != ESPCONN_OK)
        os_printf("send failed\n");
}

static bool ICACHE_FLASH_ATTR lower_prefix(const char *line, const char *prefix)
{
    for (; *prefix; line++, prefix++) {
        char ch = *line;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != *prefix)
            return false;
    }
    return true;
}

/* The head is complete (NUL-terminated at its blank line): status 200 is
 * required; the image size is the Content-Length, or --image-size for a
 * server that sends none (HTTP/1.0, the end of the body is the close; both
 * must agree when both are there). */
static bool ICACHE_FLASH_ATTR parse_head(void)
{
    const char *p = head;
    uint32 image_size = ex_parse_uint(sim_arg("image-size"), 0);
    bool have_length = false;
    if (os_strncmp(head, "HTTP/1.", 7) != 0 || os_strncmp(head + 8, " 200", 4) != 0) {
        os_printf("HTTP status not 200: %s\n", head);
        return false;
    }
    while ((p = os_strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (lower_prefix(p, "content-length:")) {
            const char *v = p + 15;
            char num[12];
            uint32 n = 0;
            while (*v == ' ')
                v++;
            while (v[n] >= '0' && v[n] <= '9' && n < sizeof num - 1) {
                num[n] = v[n];
                n++;
            }
            num[n] = 0;
            content_length = ex_parse_uint(num, 0);
            have_length = content_length > 0;
        }
    }
    if (have_length && image_size != 0 && image_size != content_length) {
        os_printf("Content-Length %u is not --image-size %u\n", content_length, image_size);
        return false;
    }
    if (!have_length)
        content_length = image_size;
    if (content_length == 0)
        os_printf("HTTP response without a Content-Length (give --image-size)\n");
    return content_length != 0;
}

static void ICACHE_FLASH_ATTR body(const char *data, uint32 len)
{
    uint32 before = body_received;
    int rc;
    if (outcome != 0 || len == 0)
        return;
    rc = espconn_secure_ota_write((const uint8 *)data, len);
    if (rc != 0) {
        ota_failed(rc);
        return;
    }
    body_received += len;
    if (body_received / 32768 != before / 32768)
        os_printf("OTA WRITTEN %u\n", body_received);
    if (body_received == content_length) {
        rc = espconn_secure_ota_finish();
        if (rc != 0) {
            ota_failed(rc);
            return;
        }
        outcome = 1;
        os_printf("OTA OK size=%u\n", body_received);
    }
}

static void ICACHE_FLASH_ATTR receive(char *data, unsigned short len)
{
    if (in_body) {
        body(data, len);
        return;
    }
    while (len > 0 && !in_body) {
        if (head_len + 1 >= sizeof head) {
            os_printf("HTTP head longer than %u bytes\n", (unsigned)sizeof head);
            outcome = -1;
            return;
        }
        head[head_len++] = *data++;
        len--;
        head[head_len] = 0;
        if (head_len >= 4 && os_strcmp(head + head_len - 4, "\r\n\r\n") == 0) {
            int rc;
            in_body = true;
            if (!parse_head()) {
                outcome = -1;
                return;
            }
            rc = espconn_secure_ota_begin(content_length, expected_sha256);
            if (rc != 0) {
                ota_failed(rc);
                return;
            }
            os_printf("OTA BEGIN size=%u\n", content_length);
        }
    }
    body(data, len);
}

static void ICACHE_FLASH_ATTR on_recv(void *arg, char *data, unsigned short len)
{
    static bool closing;
    receive(data, len);
    if (outcome != 0 && !closing) {
        /* The image is complete and checked, or the update failed: nothing
         * more is wanted from this server (whether or not it closes). */
        closing = true;
        espconn_secure_disconnect(arg);
    }
}

static void ICACHE_FLASH_ATTR on_sent(void *arg)
{
    (void)arg;
}

static void ICACHE_FLASH_ATTR on_disconnect(void *arg)
{
    (void)arg;
    os_printf("DISCONNECT\n");
    if (outcome == 0 && !in_body) {
        os_printf("the server closed before its response's head ended\n");
        outcome = -1;
    }
    if (outcome == 0) {
        /* The server closed before the announced length: finish() says so
         * (-0x5600), and nothing is marked for boot. */
        int rc = espconn_secure_ota_finish();
        os_printf("BODY %u of %u bytes\n", body_received, content_length);
        if (rc == 0) {
            outcome = 1;
        } else {
            ota_failed(rc);
        }
    }
    if (outcome == 1) {
        os_printf("OTA REBOOT\n");
        system_upgrade_reboot();
        return;
    }
    sim_exit(1);
}

static void ICACHE_FLASH_ATTR on_reconnect(void *arg, sint8 err)
{
    ex_report_reconnect(arg, err);
    if (outcome == 0)
        ota_failed(espconn_secure_get_last_error(arg));
    sim_exit(1);
}

static void ICACHE_FLASH_ATTR start(void)
{
    int port = 0;
    if (!ex_parse_hostport(sim_arg("server"), host, sizeof host, &port) ||
        !ex_parse_hex(sim_arg("sha256"), expected_sha256, sizeof expected_sha256)) {
        os_printf("usage: https_ota --server HOST:PORT --path /P --sha256 HEX [--image-size N] [--hostname NAME] [--ca-sector N]\n");
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
    uint8 bin = system_upgrade_userbin_check();
    os_printf("https_ota: SDK %s\n", system_get_sdk_version());
    os_printf("BOOT user%u addr=0x%x\n", bin == UPGRADE_FW_BIN1 ? 1 : 2, system_get_userbin_addr());
    if (sim_arg("report-boot")) {
        sim_exit(0);
        return;
    }
    ex_wifi_start(start);
}
