/*
 * sim_espconn.c: the espconn TCP API over real non-blocking POSIX sockets.
 *
 * Every user callback runs from the event loop: an API call only changes
 * state and queues the callback (sim_defer), so callbacks never nest inside
 * the call that caused them, as with the SDK's own event task. Connection
 * records are freed only from deferred work, never inside an API call, so the
 * loop can keep iterating over them while a callback disconnects, deletes or
 * opens connections.
 *
 * Records, socket buffers and the espconn/esp_tcp of accepted connections come
 * from libc malloc (simulator bookkeeping, not counted against --heap).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "c_types.h"
#include "ip_addr.h"
#include "espconn.h"
#include "osapi.h"
#include "sim.h"
#include "sim_internal.h"

#define SIM_TCP_MSS             1460
#define CONNECT_TIMEOUT_US  (10u * 1000000u)

enum kind { K_CLIENT, K_CHILD, K_LISTENER };
enum st { S_CONNECTING, S_OPEN, S_LISTEN };
enum ending { END_SILENT, END_DISCON, END_RECON };

struct conn {
    struct conn *next;
    struct espconn *esp;
    int fd;
    enum kind kind;
    enum st st;
    int dead;                   /* closed; its final callback is queued */
    struct conn *listener;      /* K_CHILD */
    uint8_t *tx;                /* copy of the send in flight */
    size_t tx_len, tx_off;
    int tx_busy;                /* from espconn_send until its sent callback */
    int hold;
    uint8 opts;
    uint32_t keep[3];           /* idle, interval, count */
    uint64_t connect_deadline;
    uint64_t last_activity;
    uint32_t idle_timeout_s;    /* 0 = never */
    /* K_LISTENER */
    uint8 max_allow;            /* 0 = limited by max_con only */
    int live_children;
};

static struct conn *conns;
static uint8 max_con = 5;       /* lwIP's MEMP_NUM_TCP_PCB default */

static struct conn *find_any(struct espconn *esp)
{
    /* A deleted listener has no final callback to wait for: as on the SDK,
     * its espconn may listen again at once (it is reaped later). */
    for (struct conn *c = conns; c; c = c->next)
        if (c->esp == esp && !(c->dead && c->kind == K_LISTENER))
            return c;
    return NULL;
}

/* The live record of `esp`; a dying one still blocks reuse until its final
 * callback has run. */
static struct conn *find_live(struct espconn *esp)
{
    struct conn *c = find_any(esp);
    return c && !c->dead ? c : NULL;
}

static int count_tcp(void)
{
    int n = 0;
    for (struct conn *c = conns; c; c = c->next)
        if (!c->dead && c->kind != K_LISTENER)
            n++;
    return n;
}

static sint8 errno_to_espconn(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return ESPCONN_CONN;
    case ETIMEDOUT:
        return ESPCONN_TIMEOUT;
    case ECONNRESET:
    case EPIPE:
        return ESPCONN_RST;
    case ECONNABORTED:
        return ESPCONN_ABRT;
    default:
        return ESPCONN_CONN;
    }
}

static void set_linger_rst(int fd)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void apply_opts(struct conn *c)
{
    if (c->fd < 0 || c->kind == K_LISTENER)
        return;
    int on = (c->opts & ESPCONN_NODELAY) ? 1 : 0;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    on = (c->opts & ESPCONN_KEEPALIVE) ? 1 : 0;
    setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    static const int names[3] = { TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT };
    for (int i = 0; i < 3; i++) {
        int v = (int)c->keep[i];
        if (v > 0)
            setsockopt(c->fd, IPPROTO_TCP, names[i], &v, sizeof v);
    }
}

static void addr_to_ip(const struct sockaddr_in *sa, uint8 ip[4])
{
    memcpy(ip, &sa->sin_addr.s_addr, 4);    /* both in network order */
}

/* ------------------------------------------------------------ lifecycle */

static void finish(void *owner, intptr_t arg)
{
    struct conn *c = owner;
    enum ending how = (enum ending)(arg & 0xff);
    sint8 err = (sint8)(arg >> 8);
    for (struct conn **pp = &conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    struct espconn *esp = c->esp;
    if (c->kind == K_CHILD && c->listener) {
        c->listener->live_children--;
        c->listener->esp->link_cnt = (uint8)c->listener->live_children;
    }
    free(c->tx);
    enum kind kind = c->kind;
    free(c);
    if (kind != K_LISTENER)
        esp->state = ESPCONN_CLOSE;
    else
        esp->state = ESPCONN_NONE;
    /* The record is gone before the callback, so the callback may reuse
     * `esp` at once (reconnect-on-error is the usual NONOS pattern). */
    if (how == END_DISCON && esp->proto.tcp && esp->proto.tcp->disconnect_callback)
        esp->proto.tcp->disconnect_callback(esp);
    else if (how == END_RECON && esp->proto.tcp && esp->proto.tcp->reconnect_callback)
        esp->proto.tcp->reconnect_callback(esp, err);
    if (kind == K_CHILD) {
        free(esp->proto.tcp);
        free(esp);
    }
}

/* Closes the socket now and queues the connection's final callback. */
static void kill_conn(struct conn *c, enum ending how, sint8 err)
{
    if (c->dead)
        return;
    c->dead = 1;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    sim_defer_cancel(c);
    sim_defer(finish, c, (intptr_t)((uint8_t)err) << 8 | how, 0);
}

static struct conn *new_conn(struct espconn *esp, int fd, enum kind kind, enum st st)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        sim_fatal("out of memory");
    c->esp = esp;
    c->fd = fd;
    c->kind = kind;
    c->st = st;
    c->last_activity = sim_now_us();
    /* Appended: the loop serves connections in creation order. */
    struct conn **pp = &conns;
    while (*pp)
        pp = &(*pp)->next;
    *pp = c;
    return c;
}

/* --------------------------------------------------------- registration */

sint8 espconn_regist_connectcb(struct espconn *espconn, espconn_connect_callback cb)
{
    if (!espconn || !espconn->proto.tcp)
        return ESPCONN_ARG;
    espconn->proto.tcp->connect_callback = cb;
    return ESPCONN_OK;
}

sint8 espconn_regist_reconcb(struct espconn *espconn, espconn_reconnect_callback cb)
{
    if (!espconn || !espconn->proto.tcp)
        return ESPCONN_ARG;
    espconn->proto.tcp->reconnect_callback = cb;
    return ESPCONN_OK;
}

sint8 espconn_regist_disconcb(struct espconn *espconn, espconn_connect_callback cb)
{
    if (!espconn || !espconn->proto.tcp)
        return ESPCONN_ARG;
    espconn->proto.tcp->disconnect_callback = cb;
    return ESPCONN_OK;
}

sint8 espconn_regist_write_finish(struct espconn *espconn, espconn_connect_callback cb)
{
    if (!espconn || !espconn->proto.tcp)
        return ESPCONN_ARG;
    espconn->proto.tcp->write_finish_fn = cb;
    return ESPCONN_OK;
}

sint8 espconn_regist_recvcb(struct espconn *espconn, espconn_recv_callback cb)
{
    if (!espconn)
        return ESPCONN_ARG;
    espconn->recv_callback = cb;
    return ESPCONN_OK;
}

sint8 espconn_regist_sentcb(struct espconn *espconn, espconn_sent_callback cb)
{
    if (!espconn)
        return ESPCONN_ARG;
    espconn->sent_callback = cb;
    return ESPCONN_OK;
}

sint8 espconn_regist_time(struct espconn *espconn, uint32 interval, uint8 type_flag)
{
    struct conn *c = find_live(espconn);
    if (!c || interval > 7200)
        return ESPCONN_ARG;
    if (c->kind == K_LISTENER && type_flag == 0) {
        c->idle_timeout_s = interval;
        for (struct conn *k = conns; k; k = k->next)
            if (k->listener == c)
                k->idle_timeout_s = interval;
    } else {
        c->idle_timeout_s = interval;
    }
    return ESPCONN_OK;
}

/* -------------------------------------------------------------- client */

sint8 espconn_connect(struct espconn *espconn)
{
    if (!espconn || espconn->type != ESPCONN_TCP || !espconn->proto.tcp)
        return ESPCONN_ARG;
    if (find_any(espconn))
        return ESPCONN_ISCONN;
    if (count_tcp() >= max_con)
        return ESPCONN_MAXNUM;
    esp_tcp *t = espconn->proto.tcp;
    if (t->remote_port <= 0 || t->remote_port > 65535)
        return ESPCONN_ARG;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ESPCONN_MEM;
    if (t->local_port > 0 && t->local_port <= 65535) {
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t->local_port) };
        /* A port taken on the host (not on the chip) must not fail the
         * program: fall back to an ephemeral one, reported in local_port. */
        if (bind(fd, (struct sockaddr *)&la, sizeof la) != 0) {
            la.sin_port = 0;
            bind(fd, (struct sockaddr *)&la, sizeof la);
        }
    }
    struct sockaddr_in ra = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t->remote_port) };
    memcpy(&ra.sin_addr.s_addr, t->remote_ip, 4);
    int r = connect(fd, (struct sockaddr *)&ra, sizeof ra);
    if (r != 0 && (errno == ENETUNREACH || errno == EADDRNOTAVAIL)) {
        close(fd);
        return ESPCONN_RTE;
    }
    struct conn *c = new_conn(espconn, fd, K_CLIENT, S_CONNECTING);
    c->connect_deadline = sim_now_us() + CONNECT_TIMEOUT_US;
    espconn->state = ESPCONN_WAIT;
    if (r != 0 && errno != EINPROGRESS)
        kill_conn(c, END_RECON, errno_to_espconn(errno));
    return ESPCONN_OK;
}

static void on_connected(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err) {
        kill_conn(c, END_RECON, errno_to_espconn(err));
        return;
    }
    struct sockaddr_in la;
    socklen_t ll = sizeof la;
    if (getsockname(c->fd, (struct sockaddr *)&la, &ll) == 0) {
        c->esp->proto.tcp->local_port = ntohs(la.sin_port);
        addr_to_ip(&la, c->esp->proto.tcp->local_ip);
    }
    c->st = S_OPEN;
    c->last_activity = sim_now_us();
    apply_opts(c);
    c->esp->state = ESPCONN_CONNECT;
    if (c->esp->proto.tcp->connect_callback)
        c->esp->proto.tcp->connect_callback(c->esp);
}

/* ---------------------------------------------------------------- send */

static void deliver_sent(struct conn *c)
{
    c->tx_busy = 0;
    struct espconn *esp = c->esp;
    esp->state = ESPCONN_CONNECT;
    if (esp->sent_callback)
        esp->sent_callback(esp);
    /* The record may be dead now, but it is freed only by deferred work. */
    if (!c->dead && esp->proto.tcp->write_finish_fn)
        esp->proto.tcp->write_finish_fn(esp);
}

static void deferred_sent(void *owner, intptr_t arg)
{
    (void)arg;
    struct conn *c = owner;
    if (!c->dead)
        deliver_sent(c);
}

/* Hands as much as the kernel takes. Returns 1 when the whole buffer is out,
 * 0 when some remains, -1 when the connection died. */
static int pump_tx(struct conn *c)
{
    while (c->tx_off < c->tx_len) {
        ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->tx_off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        kill_conn(c, END_RECON, errno_to_espconn(n < 0 ? errno : EPIPE));
        return -1;
    }
    free(c->tx);
    c->tx = NULL;
    c->tx_len = c->tx_off = 0;
    c->last_activity = sim_now_us();
    return 1;
}

sint8 espconn_sent(struct espconn *espconn, uint8 *psent, uint16 length)
{
    if (!espconn || !psent || length == 0)
        return ESPCONN_ARG;
    struct conn *c = find_live(espconn);
    if (!c || c->st != S_OPEN)
        return ESPCONN_ARG;
    if (c->tx_busy)
        return ESPCONN_MAXNUM;
    /* Copied, so the caller's buffer is free on return (ESPCONN_COPY). */
    c->tx = malloc(length);
    if (!c->tx)
        return ESPCONN_MEM;
    memcpy(c->tx, psent, length);
    c->tx_len = length;
    c->tx_off = 0;
    c->tx_busy = 1;
    espconn->state = ESPCONN_WRITE;
    if (pump_tx(c) == 1)
        sim_defer(deferred_sent, c, 0, 0);
    return ESPCONN_OK;
}

sint8 espconn_send(struct espconn *espconn, uint8 *psent, uint16 length)
{
    return espconn_sent(espconn, psent, length);
}

/* ------------------------------------------------------- close, delete */

sint8 espconn_disconnect(struct espconn *espconn)
{
    if (!espconn)
        return ESPCONN_ARG;
    struct conn *c = find_any(espconn);
    if (!c || c->kind == K_LISTENER)
        return ESPCONN_ARG;
    if (c->dead)
        return ESPCONN_INPROGRESS;
    kill_conn(c, END_DISCON, 0);
    return ESPCONN_OK;
}

sint8 espconn_abort(struct espconn *espconn)
{
    if (!espconn)
        return ESPCONN_ARG;
    struct conn *c = find_any(espconn);
    if (!c || c->kind == K_LISTENER)
        return ESPCONN_ARG;
    if (c->dead)
        return ESPCONN_INPROGRESS;
    if (c->fd >= 0)
        set_linger_rst(c->fd);
    kill_conn(c, END_RECON, ESPCONN_ABRT);
    return ESPCONN_OK;
}

sint8 espconn_delete(struct espconn *espconn)
{
    if (!espconn)
        return ESPCONN_ARG;
    struct conn *c = find_live(espconn);
    if (!c)
        return ESPCONN_ARG;
    if (c->kind == K_LISTENER && c->live_children != 0)
        return ESPCONN_INPROGRESS;
    kill_conn(c, END_SILENT, 0);
    return ESPCONN_OK;
}

/* -------------------------------------------------------------- server */

sint8 espconn_accept(struct espconn *espconn)
{
    if (!espconn || espconn->type != ESPCONN_TCP || !espconn->proto.tcp)
        return ESPCONN_ARG;
    if (find_any(espconn))
        return ESPCONN_ISCONN;
    esp_tcp *t = espconn->proto.tcp;
    if (t->local_port < 0 || t->local_port > 65535)
        return ESPCONN_ARG;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ESPCONN_MEM;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t->local_port) };
    memcpy(&la.sin_addr.s_addr, t->local_ip, 4);
    if (bind(fd, (struct sockaddr *)&la, sizeof la) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return ESPCONN_MEM;
    }
    /* Port 0 is a host-only convenience: report the port the kernel chose,
     * so tests can listen without guessing a free one. */
    socklen_t ll = sizeof la;
    if (getsockname(fd, (struct sockaddr *)&la, &ll) == 0)
        t->local_port = ntohs(la.sin_port);
    new_conn(espconn, fd, K_LISTENER, S_LISTEN);
    espconn->state = ESPCONN_LISTEN;
    espconn->link_cnt = 0;
    return ESPCONN_OK;
}

static void on_accept(struct conn *l)
{
    struct sockaddr_in pa;
    socklen_t pl = sizeof pa;
    int fd = accept4(l->fd, (struct sockaddr *)&pa, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int allow = l->max_allow ? l->max_allow : max_con;
    if (l->live_children >= allow || count_tcp() >= max_con) {
        /* Refused like lwIP does when out of PCBs: the peer sees a reset. */
        set_linger_rst(fd);
        close(fd);
        return;
    }
    struct espconn *le = l->esp;
    struct espconn *e = calloc(1, sizeof *e);
    esp_tcp *t = calloc(1, sizeof *t);
    if (!e || !t)
        sim_fatal("out of memory");
    *t = *le->proto.tcp;
    e->type = le->type;
    e->proto.tcp = t;
    e->recv_callback = le->recv_callback;
    e->sent_callback = le->sent_callback;
    e->reverse = le->reverse;
    t->remote_port = ntohs(pa.sin_port);
    addr_to_ip(&pa, t->remote_ip);
    struct sockaddr_in la;
    socklen_t ll = sizeof la;
    if (getsockname(fd, (struct sockaddr *)&la, &ll) == 0)
        addr_to_ip(&la, t->local_ip);
    struct conn *c = new_conn(e, fd, K_CHILD, S_OPEN);
    c->listener = l;
    c->idle_timeout_s = l->idle_timeout_s;
    c->opts = l->opts;
    memcpy(c->keep, l->keep, sizeof c->keep);
    apply_opts(c);
    l->live_children++;
    le->link_cnt = (uint8)l->live_children;
    e->link_cnt = le->link_cnt;
    e->state = ESPCONN_CONNECT;
    if (t->connect_callback)
        t->connect_callback(e);
}

uint8 espconn_tcp_get_max_con(void)
{
    return max_con;
}

sint8 espconn_tcp_set_max_con(uint8 num)
{
    if (num == 0)
        return ESPCONN_ARG;
    max_con = num;
    return ESPCONN_OK;
}

sint8 espconn_tcp_get_max_con_allow(struct espconn *espconn)
{
    struct conn *c = find_live(espconn);
    if (!c || c->kind != K_LISTENER)
        return ESPCONN_ARG;
    return (sint8)(c->max_allow ? c->max_allow : max_con);
}

sint8 espconn_tcp_set_max_con_allow(struct espconn *espconn, uint8 num)
{
    struct conn *c = find_live(espconn);
    if (!c || c->kind != K_LISTENER || num == 0 || num > max_con)
        return ESPCONN_ARG;
    c->max_allow = num;
    return ESPCONN_OK;
}

sint8 espconn_get_connection_info(struct espconn *pespconn, remot_info **pcon_info, uint8 typeflags)
{
    /* One static table, overwritten by the next call, like the SDK's. */
    static remot_info table[32];
    (void)typeflags;
    struct conn *c = find_live(pespconn);
    if (!c || !pcon_info)
        return ESPCONN_ARG;
    int n = 0;
    if (c->kind == K_LISTENER) {
        for (struct conn *k = conns; k && n < 32; k = k->next) {
            if (k->listener != c || k->dead)
                continue;
            table[n].state = k->esp->state;
            table[n].remote_port = k->esp->proto.tcp->remote_port;
            memcpy(table[n].remote_ip, k->esp->proto.tcp->remote_ip, 4);
            n++;
        }
        pespconn->link_cnt = (uint8)n;
    } else {
        table[0].state = pespconn->state;
        table[0].remote_port = pespconn->proto.tcp->remote_port;
        memcpy(table[0].remote_ip, pespconn->proto.tcp->remote_ip, 4);
    }
    *pcon_info = table;
    return ESPCONN_OK;
}

uint32 espconn_port(void)
{
    static uint32 next;
    if (next == 0)
        next = 49152 + (uint32)(os_random() % 8192);
    for (;;) {
        uint32 p = next++;
        if (next > 65000)
            next = 49152;
        int used = 0;
        for (struct conn *c = conns; c; c = c->next)
            if (!c->dead && c->esp->proto.tcp && (uint32)c->esp->proto.tcp->local_port == p)
                used = 1;
        if (!used)
            return p;
    }
}

/* ------------------------------------------------------------- options */

sint8 espconn_set_opt(struct espconn *espconn, uint8 opt)
{
    struct conn *c = find_live(espconn);
    if (!c)
        return ESPCONN_ARG;
    c->opts |= opt;
    apply_opts(c);
    return ESPCONN_OK;
}

sint8 espconn_clear_opt(struct espconn *espconn, uint8 opt)
{
    struct conn *c = find_live(espconn);
    if (!c)
        return ESPCONN_ARG;
    c->opts &= (uint8)~opt;
    apply_opts(c);
    return ESPCONN_OK;
}

sint8 espconn_set_keepalive(struct espconn *espconn, uint8 level, void *optarg)
{
    struct conn *c = find_live(espconn);
    if (!c || !optarg || level > ESPCONN_KEEPCNT || !(c->opts & ESPCONN_KEEPALIVE))
        return ESPCONN_ARG;
    c->keep[level] = *(uint32 *)optarg;
    apply_opts(c);
    return ESPCONN_OK;
}

sint8 espconn_get_keepalive(struct espconn *espconn, uint8 level, void *optarg)
{
    struct conn *c = find_live(espconn);
    if (!c || !optarg || level > ESPCONN_KEEPCNT || !(c->opts & ESPCONN_KEEPALIVE))
        return ESPCONN_ARG;
    *(uint32 *)optarg = c->keep[level];
    return ESPCONN_OK;
}

sint8 espconn_recv_hold(struct espconn *pespconn)
{
    struct conn *c = find_live(pespconn);
    if (!c || c->kind == K_LISTENER)
        return ESPCONN_ARG;
    c->hold = 1;
    return ESPCONN_OK;
}

sint8 espconn_recv_unhold(struct espconn *pespconn)
{
    struct conn *c = find_live(pespconn);
    if (!c || c->kind == K_LISTENER)
        return ESPCONN_ARG;
    c->hold = 0;
    return ESPCONN_OK;
}

/* ----------------------------------------------------------------- DNS */

struct dns_job {
    char *name;
    dns_found_callback found;
    void *arg;
};

static void dns_resolve(void *owner, intptr_t unused)
{
    (void)unused;
    struct dns_job *j = owner;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    ip_addr_t ip;
    ip_addr_t *found = NULL;
    /* Blocking resolver call: the loop stalls meanwhile, as the whole chip
     * would not, but names in tests come from /etc/hosts. */
    if (getaddrinfo(j->name, NULL, &hints, &res) == 0 && res) {
        memcpy(&ip.addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, 4);
        found = &ip;
    }
    if (res)
        freeaddrinfo(res);
    j->found(j->name, found, j->arg);
    free(j->name);
    free(j);
}

err_t espconn_gethostbyname(struct espconn *pespconn, const char *hostname, ip_addr_t *addr,
                            dns_found_callback found)
{
    if (!hostname || !addr || strlen(hostname) > 255)
        return ESPCONN_ARG;
    /* As lwIP: only an address literal resolves at once; every name,
     * "localhost" included, is answered later through `found` (programs
     * such as esp_mqtt connect only from there). */
    if (ipaddr_aton(hostname, addr))
        return ESPCONN_OK;
    if (!found)
        return ESPCONN_ARG;
    struct dns_job *j = malloc(sizeof *j);
    if (!j || !(j->name = strdup(hostname)))
        sim_fatal("out of memory");
    j->found = found;
    j->arg = pespconn;
    sim_defer(dns_resolve, j, 0, 0);
    return ESPCONN_INPROGRESS;
}

/* ------------------------------------------------------- loop interface */

int sim_net_prepare(struct pollfd *fds, void **tags, int max, uint64_t *deadline_us)
{
    int n = 0;
    for (struct conn *c = conns; c; c = c->next) {
        if (c->dead || c->fd < 0)
            continue;
        short ev = 0;
        switch (c->st) {
        case S_CONNECTING:
            ev = POLLOUT;
            if (c->connect_deadline < *deadline_us)
                *deadline_us = c->connect_deadline;
            break;
        case S_LISTEN:
            ev = POLLIN;
            break;
        case S_OPEN:
            if (!c->hold)
                ev |= POLLIN;
            if (c->tx)
                ev |= POLLOUT;
            if (c->idle_timeout_s) {
                uint64_t d = c->last_activity + (uint64_t)c->idle_timeout_s * 1000000u;
                if (d < *deadline_us)
                    *deadline_us = d;
            }
            break;
        }
        /* A held connection with nothing to send must stay out of poll():
         * a hang-up would otherwise wake it in a tight loop. */
        if (!ev || n >= max)
            continue;
        fds[n].fd = c->fd;
        fds[n].events = ev;
        fds[n].revents = 0;
        tags[n] = c;
        n++;
    }
    return n;
}

static void on_readable(struct conn *c)
{
    char buf[SIM_TCP_MSS];
    ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r > 0) {
        c->last_activity = sim_now_us();
        c->esp->state = ESPCONN_READ;
        if (c->esp->recv_callback)
            c->esp->recv_callback(c->esp, buf, (unsigned short)r);
    } else if (r == 0) {
        kill_conn(c, END_DISCON, 0);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        kill_conn(c, END_RECON, errno_to_espconn(errno));
    }
}

void sim_net_dispatch(struct pollfd *fds, void **tags, int n)
{
    for (int i = 0; i < n; i++) {
        struct conn *c = tags[i];
        short re = fds[i].revents;
        int e;
        if (!re || c->dead || sim_exit_requested(&e))
            continue;
        sim_callback_boundary();
        switch (c->st) {
        case S_CONNECTING:
            on_connected(c);
            break;
        case S_LISTEN:
            on_accept(c);
            break;
        case S_OPEN:
            if ((re & (POLLOUT | POLLERR | POLLHUP)) && c->tx) {
                if (pump_tx(c) == 1)
                    deliver_sent(c);
            }
            if (!c->dead && !c->hold && (re & (POLLIN | POLLERR | POLLHUP))) {
                /* lwIP calls the sent and the recv callbacks separately. */
                sim_callback_boundary();
                on_readable(c);
            }
            break;
        }
    }
}

void sim_net_check_deadlines(void)
{
    uint64_t now = sim_now_us();
    for (struct conn *c = conns; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->st == S_CONNECTING && now >= c->connect_deadline)
            kill_conn(c, END_RECON, ESPCONN_TIMEOUT);
        else if (c->st == S_OPEN && c->idle_timeout_s &&
                 now >= c->last_activity + (uint64_t)c->idle_timeout_s * 1000000u)
            kill_conn(c, END_DISCON, 0);
    }
}
