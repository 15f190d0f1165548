/*
 * TCP client event trace. Connects to --server IP:PORT, sends --message
 * (default "hello"), and prints one line per SDK callback:
 *   EV connect | EV sent | EV recv N <text> | EV disconnect | EV reconnect E
 * Checks made inline: a second send while the first is in flight returns
 * ESPCONN_MAXNUM (EV send2 R), and the callback arg is the user's espconn.
 * --mode hold: calls espconn_recv_hold() on connect and unholds after
 * --hold-ms (default 300), printing EV hold / EV unhold; data the peer sent
 * meanwhile must only arrive after EV unhold.
 * --mode send-only: does not disconnect after the first recv (the peer ends
 * the connection).
 * Exit: 0 after a disconnect callback, 1 after a reconnect callback.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "espconn.h"
#include "mem.h"
#include "sim_hooks.h"

LOCAL struct espconn conn;
LOCAL esp_tcp tcp;
LOCAL os_timer_t hold_timer;
LOCAL const char *mode = "";
LOCAL const char *msg = "hello";
LOCAL int recvs;

LOCAL int str_eq(const char *a, const char *b) { return os_strcmp(a, b) == 0; }

LOCAL uint32 num(const char *s, uint32 dflt)
{
    uint32 v = 0;
    if (!s || !*s)
        return dflt;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint32)(*s++ - '0');
    return v;
}

LOCAL void check_arg(void *arg, const char *where)
{
    if (arg != &conn)
        os_printf("EV bad-arg %s\n", where);
}

LOCAL void on_recv(void *arg, char *data, unsigned short len)
{
    check_arg(arg, "recv");
    os_printf("EV recv %u %.*s\n", len, (int)len, data);
    if (++recvs == 1 && !str_eq(mode, "send-only") && !str_eq(mode, "hold"))
        espconn_disconnect(&conn);
}

LOCAL void on_sent(void *arg)
{
    check_arg(arg, "sent");
    os_printf("EV sent state=%d\n", conn.state);
}

LOCAL void on_discon(void *arg)
{
    check_arg(arg, "disconnect");
    os_printf("EV disconnect state=%d\n", conn.state);
    sim_exit(0);
}

LOCAL void on_recon(void *arg, sint8 err)
{
    check_arg(arg, "reconnect");
    os_printf("EV reconnect %d\n", err);
    sim_exit(1);
}

LOCAL void unhold(void *arg)
{
    (void)arg;
    os_printf("EV unhold\n");
    espconn_recv_unhold(&conn);
}

LOCAL void on_connect(void *arg)
{
    check_arg(arg, "connect");
    os_printf("EV connect state=%d local_port_set=%d\n", conn.state, tcp.local_port != 0);
    if (str_eq(mode, "hold")) {
        os_printf("EV hold %d\n", espconn_recv_hold(&conn));
        os_timer_setfn(&hold_timer, unhold, NULL);
        os_timer_arm(&hold_timer, num(sim_arg("hold-ms"), 300), 0);
    }
    sint8 r = espconn_send(&conn, (uint8 *)msg, (uint16)os_strlen(msg));
    os_printf("EV send %d state=%d\n", r, conn.state);
    r = espconn_send(&conn, (uint8 *)msg, (uint16)os_strlen(msg));
    os_printf("EV send2 %d\n", r);
}

void user_init(void)
{
    const char *server = sim_arg("server");
    ip_addr_t ip;
    char host[32];
    int i = 0;
    if (sim_arg("mode"))
        mode = sim_arg("mode");
    if (sim_arg("message"))
        msg = sim_arg("message");
    if (!server) {
        os_printf("EV usage\n");
        sim_exit(2);
        return;
    }
    while (server[i] && server[i] != ':' && i < 31) {
        host[i] = server[i];
        i++;
    }
    host[i] = 0;
    if (espconn_gethostbyname(&conn, host, &ip, NULL) != ESPCONN_OK) {
        os_printf("EV bad-host\n");
        sim_exit(2);
        return;
    }
    conn.type = ESPCONN_TCP;
    conn.proto.tcp = &tcp;
    os_memcpy(tcp.remote_ip, &ip.addr, 4);
    tcp.remote_port = (int)num(server[i] == ':' ? server + i + 1 : "", 0);
    espconn_regist_connectcb(&conn, on_connect);
    espconn_regist_reconcb(&conn, on_recon);
    espconn_regist_disconcb(&conn, on_discon);
    espconn_regist_recvcb(&conn, on_recv);
    espconn_regist_sentcb(&conn, on_sent);
    sint8 r = espconn_connect(&conn);
    os_printf("EV connect-call %d state=%d\n", r, conn.state);
    os_printf("EV connect-again %d\n", espconn_connect(&conn));
}
