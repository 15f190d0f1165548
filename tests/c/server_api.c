/*
 * The vendor return codes of the server half of the espconn_secure_* API
 * (accept, delete, set_default_certificate/_private_key), called the way a
 * NONOS program calls them. Prints "CHECK <name> ok" or "CHECK <name> FAIL
 * ..." per check; tests/server.rs asserts every line. No peer needed.
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

static struct espconn srv, other, udp;
static esp_tcp srv_tcp, other_tcp;
static uint8 big[8193];

static const char cert[] = "-----BEGIN CERTIFICATE-----\nnot parsed before a handshake\n"
                           "-----END CERTIFICATE-----\n";


static void run(void)
{
    uint32 heap0 = system_get_free_heap_size();
    check("set_cert_null_false", espconn_secure_set_default_certificate(NULL, 10), false);
    check("set_cert_empty_false",
          espconn_secure_set_default_certificate((const uint8 *)cert, 0), false);
    check("set_cert_over_8192_false", espconn_secure_set_default_certificate(big, 8193), false);
    check("set_key_null_false", espconn_secure_set_default_private_key(NULL, 10), false);
    check("set_cert_ok",
          espconn_secure_set_default_certificate((const uint8 *)cert, sizeof cert - 1), true);
    check("set_cert_again_replaces",
          espconn_secure_set_default_certificate((const uint8 *)cert, sizeof cert - 1), true);
    check("set_key_ok", espconn_secure_set_default_private_key(big, 8192), true);
    check("ca_enable_server_ok", espconn_secure_ca_enable(ESPCONN_SERVER, 0x77), true);
    check("ca_disable_server_ok", espconn_secure_ca_disable(ESPCONN_SERVER), true);

    check("accept_null_arg", espconn_secure_accept(NULL), ESPCONN_ARG);
    udp.type = ESPCONN_UDP;
    check("accept_udp_arg", espconn_secure_accept(&udp), ESPCONN_ARG);
    srv.type = ESPCONN_TCP;
    srv.proto.tcp = &srv_tcp;
    srv_tcp.local_port = 0; /* host only: the simulator picks a free port */
    check("accept_ok", espconn_secure_accept(&srv), ESPCONN_OK);
    check("state_listen", srv.state, ESPCONN_LISTEN);
    check("link_cnt_zero", srv.link_cnt, 0);
    check("port_reported", srv_tcp.local_port > 0, 1);
    other.type = ESPCONN_TCP;
    other.proto.tcp = &other_tcp;
    check("second_server_inprogress", espconn_secure_accept(&other), ESPCONN_INPROGRESS);
    check("accept_same_again_inprogress", espconn_secure_accept(&srv), ESPCONN_INPROGRESS);
    check("delete_null_arg", espconn_secure_delete(NULL), ESPCONN_ARG);
    check("delete_not_server_arg", espconn_secure_delete(&other), ESPCONN_ARG);
    check("disconnect_listener_arg", espconn_secure_disconnect(&srv), ESPCONN_ARG);
    check("send_listener_arg", espconn_secure_send(&srv, (uint8 *)"x", 1), ESPCONN_ARG);
    check("delete_ok", espconn_secure_delete(&srv), ESPCONN_OK);
    check("delete_again_arg", espconn_secure_delete(&srv), ESPCONN_ARG);
    check("heap_back_after_delete", system_get_free_heap_size(), heap0);
    /* A new server at once, on another port. */
    srv_tcp.local_port = 0;
    check("accept_after_delete_ok", espconn_secure_accept(&srv), ESPCONN_OK);
    check("delete_second_ok", espconn_secure_delete(&srv), ESPCONN_OK);
    check("heap_back_at_end", system_get_free_heap_size(), heap0);
    os_printf("DONE failures=%d\n", failures);
    sim_exit(failures ? 1 : 0);
}

void user_init(void)
{
    /* Client certificate dates need the time, as on the chip. */
    sntp_wait(run);
}
