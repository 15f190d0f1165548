/*
 * TCP server event trace. Listens on --port (default 0 = any free port) with
 * espconn_accept and max_con_allow = --allow (default 1); prints
 *   EV listen PORT | EV accept PEER_PORT link=N arg_new=1 reverse_ok=1
 *   EV recv N <text> | EV sent | EV disconnect link=N | EV deleted R
 * Each received chunk is echoed back, in upper case. After --clients N
 * (default 1) connections have ended, the listener is deleted and the
 * program exits 0.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "espconn.h"
#include "mem.h"
#include "sim_hooks.h"

LOCAL struct espconn listener;
LOCAL esp_tcp ltcp;
LOCAL int reverse_tag = 42;
LOCAL uint32 ended, wanted = 1;
LOCAL char echo_buf[1460];

LOCAL uint32 num(const char *s, uint32 dflt)
{
    uint32 v = 0;
    if (!s || !*s)
        return dflt;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint32)(*s++ - '0');
    return v;
}

LOCAL void on_recv(void *arg, char *data, unsigned short len)
{
    struct espconn *c = arg;
    unsigned short i;
    os_printf("EV recv %u %.*s\n", len, (int)len, data);
    for (i = 0; i < len; i++)
        echo_buf[i] = (data[i] >= 'a' && data[i] <= 'z') ? (char)(data[i] - 32) : data[i];
    sint8 r = espconn_send(c, (uint8 *)echo_buf, len);
    if (r != ESPCONN_OK)
        os_printf("EV send-fail %d\n", r);
}

LOCAL void on_sent(void *arg)
{
    (void)arg;
    os_printf("EV sent\n");
}

LOCAL void on_discon(void *arg)
{
    struct espconn *c = arg;
    os_printf("EV disconnect link=%u arg_is_listener=%d\n", listener.link_cnt, c == &listener);
    if (++ended >= wanted) {
        sint8 r = espconn_delete(&listener);
        os_printf("EV deleted %d\n", r);
        sim_exit(0);
    }
}

LOCAL void on_recon(void *arg, sint8 err)
{
    (void)arg;
    os_printf("EV reconnect %d link=%u\n", err, listener.link_cnt);
    if (++ended >= wanted) {
        espconn_delete(&listener);
        sim_exit(0);
    }
}

LOCAL void on_connect(void *arg)
{
    struct espconn *c = arg;
    remot_info *info = NULL;
    os_printf("EV accept %d link=%u arg_new=%d reverse_ok=%d state=%d\n",
              c->proto.tcp->remote_port, listener.link_cnt, c != &listener,
              c->reverse == &reverse_tag, c->state);
    if (espconn_get_connection_info(&listener, &info, 0) == ESPCONN_OK && info)
        os_printf("EV info n=%u port_match=%d\n", listener.link_cnt,
                  info[0].remote_port == c->proto.tcp->remote_port);
    /* Deleting a listener with live clients must be refused. */
    os_printf("EV delete-busy %d\n", espconn_delete(&listener));
}

void user_init(void)
{
    wanted = num(sim_arg("clients"), 1);
    listener.type = ESPCONN_TCP;
    listener.proto.tcp = &ltcp;
    listener.reverse = &reverse_tag;
    ltcp.local_port = (int)num(sim_arg("port"), 0);
    espconn_regist_connectcb(&listener, on_connect);
    espconn_regist_disconcb(&listener, on_discon);
    espconn_regist_reconcb(&listener, on_recon);
    espconn_regist_recvcb(&listener, on_recv);
    espconn_regist_sentcb(&listener, on_sent);
    sint8 r = espconn_accept(&listener);
    if (r != ESPCONN_OK) {
        os_printf("EV accept-fail %d\n", r);
        sim_exit(1);
        return;
    }
    os_printf("EV allow-set %d\n", espconn_tcp_set_max_con_allow(&listener, (uint8)num(sim_arg("allow"), 1)));
    os_printf("EV allow %d\n", espconn_tcp_get_max_con_allow(&listener));
    os_printf("EV listen %d state=%d\n", ltcp.local_port, listener.state);
}
