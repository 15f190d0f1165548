/*
 * The vendor return codes of the espconn_secure_* API, exercised the way a
 * NONOS program calls it. Prints "CHECK <name> ok" or "CHECK <name> FAIL ..."
 * per check; tests/secure_api.rs asserts every line.
 * Needs --server HOST:PORT (a TLS server) and --ca-sector with its CA.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "espconn.h"
#include "check.h"
#include "sim_hooks.h"
#include "espconn_secure.h"
#include "../../examples-c/common/sntp_wait.h"

static struct espconn conn;
static esp_tcp tcp;
static int sends;


static void on_sent(void *arg)
{
    sends++;
    check("sent_callback_arg_is_user_espconn", arg == &conn, 1);
    check("state_connect_in_sent_callback", conn.state, ESPCONN_CONNECT);
    check("disconnect_ok", espconn_secure_disconnect(&conn), ESPCONN_OK);
    check("disconnect_again_inprogress", espconn_secure_disconnect(&conn), ESPCONN_INPROGRESS);
    check("send_after_disconnect_refused", espconn_secure_send(&conn, (uint8 *)"x", 1) < 0, 1);
}

static void on_connect(void *arg)
{
    static char msg[] = "GET / HTTP/1.0\r\n\r\n";
    check("connect_callback_arg_is_user_espconn", arg == &conn, 1);
    check("recv_hold_ok", espconn_secure_recv_hold(&conn), ESPCONN_OK);
    check("recv_unhold_ok", espconn_secure_recv_unhold(&conn), ESPCONN_OK);
    check("state_connect_in_connect_callback", conn.state, ESPCONN_CONNECT);
    check("send_ok", espconn_secure_send(&conn, (uint8 *)msg, sizeof msg - 1), ESPCONN_OK);
    /* The data is copied: scribbling over it now must not matter. */
    os_memset(msg, 'Z', sizeof msg - 1);
    check("second_send_while_in_flight_inprogress",
          espconn_secure_send(&conn, (uint8 *)msg, 1), ESPCONN_INPROGRESS);
    check("state_write_after_send", conn.state, ESPCONN_WRITE);
}

static void on_recv(void *arg, char *data, unsigned short len)
{
    (void)arg;
    (void)data;
    check("recv_chunk_at_most_1460", len <= 1460, 1);
}

static void on_disconnect(void *arg)
{
    check("disconnect_callback_arg_is_user_espconn", arg == &conn, 1);
    check("state_close_in_disconnect_callback", conn.state, ESPCONN_CLOSE);
    check("sent_callback_once", sends, 1);
    check("no_error_recorded", espconn_secure_get_last_error(&conn), 0);
    os_printf("DONE failures=%d\n", failures);
    sim_exit(failures ? 1 : 0);
}

static void on_reconnect(void *arg, sint8 err)
{
    (void)arg;
    os_printf("CHECK no_reconnect FAIL err=%d last_error=%d\n", err, espconn_secure_get_last_error(&conn));
    sim_exit(1);
}

static uint32 parse(const char *s)
{
    uint32 v = 0, base = 10;
    if (s && s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
    }
    for (; s && *s; s++)
        v = v * base + (uint32)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
    return v;
}

static void start(void)
{
    const char *server = sim_arg("server");
    uint32 i, port = 0;
    struct espconn udp;

    /* Settings: the vendor's range checks and defaults. */
    check("get_size_default_2048", espconn_secure_get_size(ESPCONN_CLIENT), 2048);
    check("get_size_bad_level_arg", espconn_secure_get_size(0), ESPCONN_ARG);
    check("get_size_level_4_arg", espconn_secure_get_size(4), ESPCONN_ARG);
    check("set_size_below_2048_false", espconn_secure_set_size(ESPCONN_CLIENT, 2047), false);
    check("set_size_above_8192_false", espconn_secure_set_size(ESPCONN_CLIENT, 8193), false);
    check("set_size_bad_level_false", espconn_secure_set_size(0, 4096), false);
    check("set_fragment_length_1000_false", espconn_secure_set_fragment_length(ESPCONN_CLIENT, 1000), false);
    check("set_fragment_length_8192_false", espconn_secure_set_fragment_length(ESPCONN_CLIENT, 8192), false);
    check("set_fragment_length_server_false", espconn_secure_set_fragment_length(ESPCONN_SERVER, 1024), false);
    check("set_fragment_length_bad_level_false", espconn_secure_set_fragment_length(0, 1024), false);
    check("set_fragment_length_both_1024_true", espconn_secure_set_fragment_length(ESPCONN_BOTH, 1024), true);
    check("set_fragment_length_off_true", espconn_secure_set_fragment_length(ESPCONN_CLIENT, 0), true);
    check("get_fragment_length_null_0", espconn_secure_get_fragment_length(NULL), 0);
    check("ca_enable_sector_0_false", espconn_secure_ca_enable(ESPCONN_CLIENT, 0), false);
    check("ca_enable_bad_level_false", espconn_secure_ca_enable(4, 0x77), false);
    check("ca_disable_bad_level_false", espconn_secure_ca_disable(0), false);
    check("cert_req_enable_sector_0_false", espconn_secure_cert_req_enable(ESPCONN_CLIENT, 0), false);
    check("cert_req_disable_ok", espconn_secure_cert_req_disable(ESPCONN_BOTH), true);
    check("ca_enable_ok", espconn_secure_ca_enable(ESPCONN_CLIENT, parse(sim_arg("ca-sector"))), true);

    /* Arguments. */
    check("connect_null_arg", espconn_secure_connect(NULL), ESPCONN_ARG);
    os_memset(&udp, 0, sizeof udp);
    udp.type = ESPCONN_UDP;
    check("connect_udp_arg", espconn_secure_connect(&udp), ESPCONN_ARG);
    check("send_unknown_conn_arg", espconn_secure_send(&conn, (uint8 *)"x", 1), ESPCONN_ARG);
    check("disconnect_unknown_conn_arg", espconn_secure_disconnect(&conn), ESPCONN_ARG);
    check("recv_hold_unknown_conn_arg", espconn_secure_recv_hold(&conn), ESPCONN_ARG);
    check("recv_unhold_unknown_conn_arg", espconn_secure_recv_unhold(&conn), ESPCONN_ARG);
    check("recv_hold_null_arg", espconn_secure_recv_hold(NULL), ESPCONN_ARG);
    check("hostname_null_conn_arg", espconn_secure_set_hostname(NULL, "x"), ESPCONN_ARG);
    check("hostname_empty_arg", espconn_secure_set_hostname(&conn, ""), ESPCONN_ARG);
    check("hostname_ok", espconn_secure_set_hostname(&conn, "localhost"), ESPCONN_OK);
    check("strerror_never_null", espconn_secure_strerror(12345) != NULL, 1);

    for (i = 0; server && server[i] && server[i] != ':'; i++)
        ;
    if (!server || !server[i]) {
        os_printf("usage: --server 127.0.0.1:PORT --ca-sector N\n");
        sim_exit(2);
        return;
    }
    port = parse(server + i + 1);
    conn.type = ESPCONN_TCP;
    conn.proto.tcp = &tcp;
    tcp.remote_port = (int)port;
    tcp.remote_ip[0] = 127;
    tcp.remote_ip[3] = 1;
    espconn_regist_connectcb(&conn, on_connect);
    espconn_regist_recvcb(&conn, on_recv);
    espconn_regist_sentcb(&conn, on_sent);
    espconn_regist_disconcb(&conn, on_disconnect);
    espconn_regist_reconcb(&conn, on_reconnect);
    check("connect_ok", espconn_secure_connect(&conn), ESPCONN_OK);
    check("state_wait_after_connect", conn.state, ESPCONN_WAIT);
    check("connect_twice_isconn", espconn_secure_connect(&conn), ESPCONN_ISCONN);
    check("send_before_handshake_inprogress", espconn_secure_send(&conn, (uint8 *)"x", 1), ESPCONN_INPROGRESS);
}

void user_init(void)
{
    /* Certificate dates need the time, as on the chip. */
    sntp_wait(start);
}
