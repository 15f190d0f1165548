/*
 * espconn.h: the NONOS connection API (plain TCP/UDP and espconn_secure_*).
 * Like the vendor's header it expects c_types.h and ip_addr.h first; it
 * includes them itself so that it also works on its own.
 */
#ifndef __ESPCONN_H__
#define __ESPCONN_H__

#include "c_types.h"
#include "ip_addr.h"

typedef sint8 err_t;

typedef void *espconn_handle;
typedef void (*espconn_connect_callback)(void *arg);
typedef void (*espconn_reconnect_callback)(void *arg, sint8 err);

/* Error codes, numbered like lwIP's err_t. */
#define ESPCONN_OK          0    /* No error, everything OK. */
#define ESPCONN_MEM        -1    /* Out of memory. */
#define ESPCONN_TIMEOUT    -3    /* Timeout. */
#define ESPCONN_RTE        -4    /* Routing problem. */
#define ESPCONN_INPROGRESS -5    /* Operation in progress. */
#define ESPCONN_MAXNUM     -7    /* Total number exceeds the maximum. */

#define ESPCONN_ABRT       -8    /* Connection aborted. */
#define ESPCONN_RST        -9    /* Connection reset. */
#define ESPCONN_CLSD       -10   /* Connection closed. */
#define ESPCONN_CONN       -11   /* Not connected. */

#define ESPCONN_ARG        -12   /* Illegal argument. */
#define ESPCONN_IF         -14   /* UDP send error. */
#define ESPCONN_ISCONN     -15   /* Already connected. */

#define ESPCONN_HANDSHAKE        -28 /* SSL handshake failed. */
#define ESPCONN_SSL_INVALID_DATA -61 /* SSL application data invalid. */

/* Connection type */
enum espconn_type {
    ESPCONN_INVALID = 0,
    ESPCONN_TCP     = 0x10,
    ESPCONN_UDP     = 0x20,
};

/* Current state of the connection */
enum espconn_state {
    ESPCONN_NONE,
    ESPCONN_WAIT,
    ESPCONN_LISTEN,
    ESPCONN_CONNECT,
    ESPCONN_WRITE,
    ESPCONN_READ,
    ESPCONN_CLOSE
};

typedef struct _esp_tcp {
    int remote_port;
    int local_port;
    uint8 local_ip[4];
    uint8 remote_ip[4];
    espconn_connect_callback connect_callback;
    espconn_reconnect_callback reconnect_callback;
    espconn_connect_callback disconnect_callback;
    espconn_connect_callback write_finish_fn;
} esp_tcp;

typedef struct _esp_udp {
    int remote_port;
    int local_port;
    uint8 local_ip[4];
    uint8 remote_ip[4];
} esp_udp;

typedef struct _remot_info {
    enum espconn_state state;
    int remote_port;
    uint8 remote_ip[4];
} remot_info;

typedef void (*espconn_recv_callback)(void *arg, char *pdata, unsigned short len);
typedef void (*espconn_sent_callback)(void *arg);

/* A connection control block, owned by the application. 28 bytes. */
struct espconn {
    enum espconn_type type;
    enum espconn_state state;
    union {
        esp_tcp *tcp;
        esp_udp *udp;
    } proto;
    espconn_recv_callback recv_callback;
    espconn_sent_callback sent_callback;
    uint8 link_cnt;
    void *reverse;
};

enum espconn_option {
    ESPCONN_START      = 0x00,
    ESPCONN_REUSEADDR  = 0x01,
    ESPCONN_NODELAY    = 0x02,
    ESPCONN_COPY       = 0x04,
    ESPCONN_KEEPALIVE  = 0x08,
    ESPCONN_MANUALRECV = 0x10,
    ESPCONN_END
};

enum espconn_level {
    ESPCONN_KEEPIDLE,
    ESPCONN_KEEPINTVL,
    ESPCONN_KEEPCNT
};

/* level argument of the espconn_secure_* configuration calls */
enum {
    ESPCONN_IDLE = 0,
    ESPCONN_CLIENT,
    ESPCONN_SERVER,
    ESPCONN_BOTH,
    ESPCONN_MAX
};

struct espconn_packet {
    uint16 sent_length;
    uint16 snd_buf_size;
    uint16 snd_queuelen;
    uint16 total_queuelen;
    uint32 packseqno;
    uint32 packseq_nxt;
    uint32 packnum;
};

struct mdns_info {
    char *host_name;
    char *server_name;
    uint16 server_port;
    unsigned long ipAddr;
    char *txt_data[10];
};

typedef void (*dns_found_callback)(const char *name, ip_addr_t *ipaddr, void *callback_arg);

/* ---- plain TCP / UDP ---- */
sint8  espconn_connect(struct espconn *espconn);
sint8  espconn_disconnect(struct espconn *espconn);
sint8  espconn_delete(struct espconn *espconn);
sint8  espconn_accept(struct espconn *espconn);
sint8  espconn_create(struct espconn *espconn);
uint8  espconn_tcp_get_max_con(void);
sint8  espconn_tcp_set_max_con(uint8 num);
sint8  espconn_tcp_get_max_con_allow(struct espconn *espconn);
sint8  espconn_tcp_set_max_con_allow(struct espconn *espconn, uint8 num);
sint8  espconn_regist_time(struct espconn *espconn, uint32 interval, uint8 type_flag);
sint8  espconn_get_connection_info(struct espconn *pespconn, remot_info **pcon_info, uint8 typeflags);
sint8  espconn_get_packet_info(struct espconn *espconn, struct espconn_packet *infoarg);
sint8  espconn_regist_sentcb(struct espconn *espconn, espconn_sent_callback sent_cb);
sint8  espconn_regist_write_finish(struct espconn *espconn, espconn_connect_callback write_finish_fn);
sint8  espconn_send(struct espconn *espconn, uint8 *psent, uint16 length);
sint8  espconn_sent(struct espconn *espconn, uint8 *psent, uint16 length);
sint16 espconn_sendto(struct espconn *espconn, uint8 *psent, uint16 length);
sint8  espconn_regist_connectcb(struct espconn *espconn, espconn_connect_callback connect_cb);
sint8  espconn_regist_recvcb(struct espconn *espconn, espconn_recv_callback recv_cb);
sint8  espconn_regist_reconcb(struct espconn *espconn, espconn_reconnect_callback recon_cb);
sint8  espconn_regist_disconcb(struct espconn *espconn, espconn_connect_callback discon_cb);
uint32 espconn_port(void);
sint8  espconn_set_opt(struct espconn *espconn, uint8 opt);
sint8  espconn_clear_opt(struct espconn *espconn, uint8 opt);
sint8  espconn_set_keepalive(struct espconn *espconn, uint8 level, void *optarg);
sint8  espconn_get_keepalive(struct espconn *espconn, uint8 level, void *optarg);
err_t  espconn_gethostbyname(struct espconn *pespconn, const char *hostname, ip_addr_t *addr, dns_found_callback found);
sint8  espconn_abort(struct espconn *espconn);
sint8  espconn_recv_hold(struct espconn *pespconn);
sint8  espconn_recv_unhold(struct espconn *pespconn);
sint16 espconn_recved_len(struct espconn *espconn);
void   espconn_dns_setserver(uint8 numdns, ip_addr_t *dnsserver);
ip_addr_t espconn_dns_getserver(uint8 numdns);

/* ---- IGMP and mDNS (declared, not simulated: a host program that calls
 * one fails to link, naming it) ---- */
sint8 espconn_igmp_join(ip_addr_t *host_ip, ip_addr_t *multicast_ip);
sint8 espconn_igmp_leave(ip_addr_t *host_ip, ip_addr_t *multicast_ip);

void  espconn_mdns_init(struct mdns_info *info);
void  espconn_mdns_close(void);
void  espconn_mdns_server_register(void);
void  espconn_mdns_server_unregister(void);
char *espconn_mdns_get_servername(void);
void  espconn_mdns_set_servername(const char *name);
void  espconn_mdns_set_hostname(char *name);
char *espconn_mdns_get_hostname(void);
void  espconn_mdns_disable(void);
void  espconn_mdns_enable(void);

/* ---- TLS (libmbedtls.a / this project) ---- */
sint8  espconn_secure_connect(struct espconn *espconn);
sint8  espconn_secure_disconnect(struct espconn *espconn);
sint8  espconn_secure_send(struct espconn *espconn, uint8 *psent, uint16 length);
sint8  espconn_secure_sent(struct espconn *espconn, uint8 *psent, uint16 length);
bool   espconn_secure_set_size(uint8 level, uint16 size);
sint16 espconn_secure_get_size(uint8 level);
bool   espconn_secure_ca_enable(uint8 level, uint32 flash_sector);
bool   espconn_secure_ca_disable(uint8 level);
bool   espconn_secure_cert_req_enable(uint8 level, uint32 flash_sector);
bool   espconn_secure_cert_req_disable(uint8 level);
bool   espconn_secure_set_default_certificate(const uint8 *certificate, uint16 length);
bool   espconn_secure_set_default_private_key(const uint8 *private_key, uint16 length);
sint8  espconn_secure_accept(struct espconn *espconn);
sint8  espconn_secure_delete(struct espconn *espconn);

#endif /* __ESPCONN_H__ */
