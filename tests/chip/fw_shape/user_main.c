/*
 * Firmware-shaped user program for the size report: it references every
 * exported espconn_secure_* entry point, so --gc-sections keeps exactly what a
 * real application using the whole API would pay for in flash and RAM.
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
extern bool espconn_secure_set_default_certificate(const uint8_t *c, uint16_t n);
extern bool espconn_secure_set_default_private_key(const uint8_t *k, uint16_t n);
extern sint8 espconn_secure_accept(struct espconn *c);
extern sint8 espconn_secure_delete(struct espconn *c);
extern void espconn_secure_chip_init(void);

/* Opaque storage: the layout does not matter for a link that never runs. */
static uint32_t conn_storage[16];
static uint8_t buf[16];

/* Volatile table: keeps every entry point alive through --gc-sections. */
void *volatile fw_shape_api[] = {
    (void *)espconn_secure_connect,        (void *)espconn_secure_disconnect,
    (void *)espconn_secure_send,           (void *)espconn_secure_sent,
    (void *)espconn_secure_set_size,       (void *)espconn_secure_get_size,
    (void *)espconn_secure_ca_enable,      (void *)espconn_secure_ca_disable,
    (void *)espconn_secure_cert_req_enable, (void *)espconn_secure_cert_req_disable,
    (void *)espconn_secure_set_default_certificate,
    (void *)espconn_secure_set_default_private_key,
    (void *)espconn_secure_accept,         (void *)espconn_secure_delete,
};

void user_pre_init(void)
{
}

void user_init(void)
{
    struct espconn *c = (struct espconn *)conn_storage;
    espconn_secure_chip_init();
    espconn_secure_set_size(1, 4096);
    espconn_secure_ca_enable(1, 0x77);
    espconn_secure_connect(c);
    espconn_secure_send(c, buf, sizeof buf);
    espconn_secure_disconnect(c);
}
