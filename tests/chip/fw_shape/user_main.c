/*
 * Firmware-shaped user program for the size report. It references every
 * exported client entry point (the vendor API plus our extensions) through a
 * table that user_init reads, so --gc-sections keeps what an application
 * using the whole client API pays for in flash and RAM. Built with
 * -DFW_SHAPE_SERVER it also references the server API (espconn_secure_accept
 * and friends): the difference is the TLS server's own cost, which a
 * client-only firmware does not pay.
 * Prototypes are restated (not included) so this links even before the
 * cbindgen header exists; the vendor signatures are in the reference §1.
 */
#include <stdbool.h>
#include <stdint.h>

struct espconn;
typedef signed char sint8;
typedef short sint16;

extern sint8 espconn_secure_connect(struct espconn *c);
extern sint8 espconn_secure_disconnect(struct espconn *c);
extern sint8 espconn_secure_send(struct espconn *c, uint8_t *p, uint16_t n);
extern sint8 espconn_secure_sent(struct espconn *c, uint8_t *p, uint16_t n);
extern bool espconn_secure_set_size(uint8_t level, uint16_t size);
extern sint16 espconn_secure_get_size(uint8_t level);
extern bool espconn_secure_ca_enable(uint8_t level, uint32_t sector);
extern bool espconn_secure_ca_disable(uint8_t level);
extern bool espconn_secure_cert_req_enable(uint8_t level, uint32_t sector);
extern bool espconn_secure_cert_req_disable(uint8_t level);
extern sint8 espconn_secure_set_hostname(struct espconn *c, const char *name);
extern int espconn_secure_get_last_error(const struct espconn *c);
extern const char *espconn_secure_strerror(int code);
extern bool espconn_secure_set_session_cache(uint8_t entries);
extern sint16 espconn_secure_session_save(const struct espconn *c, uint8_t *buf, uint16_t len);
extern bool espconn_secure_session_load(const uint8_t *buf, uint16_t len);
extern bool espconn_secure_session_resumed(const struct espconn *c);
extern bool espconn_secure_set_alpn(struct espconn *c, const char *const *protocols, uint8_t count);
extern const char *espconn_secure_get_alpn(const struct espconn *c);
extern void espconn_secure_chip_init(void);
extern bool espconn_secure_set_time(uint32_t unix_seconds);
extern bool espconn_secure_set_handshake_timeout(uint16_t seconds);
extern bool espconn_secure_pin_public_key(struct espconn *c, const uint8_t *sha256, uint8_t count);
#ifdef FW_SHAPE_SERVER
extern bool espconn_secure_set_default_certificate(const uint8_t *c, uint16_t n);
extern bool espconn_secure_set_default_private_key(const uint8_t *k, uint16_t n);
extern sint8 espconn_secure_accept(struct espconn *c);
extern sint8 espconn_secure_delete(struct espconn *c);
#endif

/* Opaque storage: the layout does not matter for a link that never runs. */
static uint32_t conn_storage[16];
static uint8_t buf[16];

/* Every entry point, kept alive through --gc-sections by user_init's read. */
void *const fw_shape_api[] = {
    (void *)espconn_secure_connect,        (void *)espconn_secure_disconnect,
    (void *)espconn_secure_send,           (void *)espconn_secure_sent,
    (void *)espconn_secure_set_size,       (void *)espconn_secure_get_size,
    (void *)espconn_secure_ca_enable,      (void *)espconn_secure_ca_disable,
    (void *)espconn_secure_cert_req_enable, (void *)espconn_secure_cert_req_disable,
    (void *)espconn_secure_set_hostname,   (void *)espconn_secure_get_last_error,
    (void *)espconn_secure_strerror,       (void *)espconn_secure_set_session_cache,
    (void *)espconn_secure_session_save,   (void *)espconn_secure_session_load,
    (void *)espconn_secure_session_resumed, (void *)espconn_secure_set_alpn,
    (void *)espconn_secure_get_alpn,       (void *)espconn_secure_chip_init,
    (void *)espconn_secure_set_time,       (void *)espconn_secure_set_handshake_timeout,
    (void *)espconn_secure_pin_public_key,
#ifdef FW_SHAPE_SERVER
    (void *)espconn_secure_set_default_certificate,
    (void *)espconn_secure_set_default_private_key,
    (void *)espconn_secure_accept,         (void *)espconn_secure_delete,
#endif
};

/* Written by user_init so that the table read cannot be optimised away. */
volatile uintptr_t fw_shape_sum;

void user_pre_init(void)
{
}

void user_init(void)
{
    struct espconn *c = (struct espconn *)conn_storage;
    void *const volatile *api = (void *const volatile *)fw_shape_api;
    uintptr_t sum = 0;
    for (unsigned i = 0; i < sizeof fw_shape_api / sizeof fw_shape_api[0]; i++)
        sum += (uintptr_t)api[i];
    fw_shape_sum = sum;
    espconn_secure_chip_init();
    espconn_secure_set_size(1, 4096);
    espconn_secure_ca_enable(1, 0x77);
    espconn_secure_connect(c);
    espconn_secure_send(c, buf, sizeof buf);
    espconn_secure_disconnect(c);
}
