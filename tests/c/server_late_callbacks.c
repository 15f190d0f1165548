/*
 * A secure server whose program registers the listener's connect callback
 * *after* espconn_secure_accept (documented as unsupported: the SDK then hands
 * accepted connections to that callback without TLS). The listener's
 * `reverse` is a pointer the library must never read as its own. What must
 * hold: no crash, no TLS connection, the bytes the client sends are not
 * delivered to the program, and a log line says why.
 * Options: --cert FILE --key FILE (plus the simulator's); prints
 * LISTENING port=N, RAW CONNECT when the SDK calls the late callback,
 * USER RECV n if bytes ever reach the program.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "espconn.h"
#include "sim_hooks.h"
#include "espconn_secure.h"

static struct espconn server;
static esp_tcp server_tcp;
static int user_marker;

static void on_user_recv(void *arg, char *data, unsigned short len)
{
    (void)arg;
    (void)data;
    os_printf("USER RECV %u\n", len);
}

static void on_late_connect(void *arg)
{
    (void)arg;
    os_printf("RAW CONNECT\n");
}

void user_init(void)
{
    unsigned int cert_len, key_len;
    const char *cert = sim_arg_file("cert", &cert_len);
    const char *key = sim_arg_file("key", &key_len);
    if (!cert || !key ||
        !espconn_secure_set_default_certificate((const uint8 *)cert, (uint16)cert_len) ||
        !espconn_secure_set_default_private_key((const uint8 *)key, (uint16)key_len)) {
        os_printf("--cert FILE and --key FILE refused\n");
        sim_exit(2);
        return;
    }
    server.type = ESPCONN_TCP;
    server.proto.tcp = &server_tcp;
    server.reverse = &user_marker; /* the program's own pointer */
    server_tcp.local_port = 0;
    espconn_regist_recvcb(&server, on_user_recv);
    if (espconn_secure_accept(&server) != ESPCONN_OK) {
        os_printf("espconn_secure_accept refused\n");
        sim_exit(2);
        return;
    }
    /* Too late: replaces the library's callback on the listener. */
    espconn_regist_connectcb(&server, on_late_connect);
    os_printf("LISTENING port=%d\n", server_tcp.local_port);
}
