/* airkiss.h: WeChat AirKiss LAN discovery (libairkiss). Not simulated: a host
 * program that calls these fails to link, naming the call. */
#ifndef AIRKISS_H_
#define AIRKISS_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*airkiss_memset_fn)(void *ptr, int value, unsigned int num);
typedef void *(*airkiss_memcpy_fn)(void *dst, const void *src, unsigned int num);
typedef int (*airkiss_memcmp_fn)(const void *ptr1, const void *ptr2, unsigned int num);
typedef int (*airkiss_printf_fn)(const char *format, ...);

typedef struct {
    airkiss_memset_fn memset;
    airkiss_memcpy_fn memcpy;
    airkiss_memcmp_fn memcmp;
    airkiss_printf_fn printf;
} airkiss_config_t;

const char *airkiss_version(void);

typedef enum {
    AIRKISS_LAN_ERR_OVERFLOW = -5,
    AIRKISS_LAN_ERR_CMD = -4,
    AIRKISS_LAN_ERR_PAKE = -3,
    AIRKISS_LAN_ERR_PARA = -2,
    AIRKISS_LAN_ERR_PKG = -1,
    AIRKISS_LAN_CONTINUE = 0,
    AIRKISS_LAN_SSDP_REQ = 1,
    AIRKISS_LAN_PAKE_READY = 2
} airkiss_lan_ret_t;

typedef enum {
    AIRKISS_LAN_SSDP_REQ_CMD = 0x1,
    AIRKISS_LAN_SSDP_RESP_CMD = 0x1001,
    AIRKISS_LAN_SSDP_NOTIFY_CMD = 0x1002
} airkiss_lan_cmdid_t;

int airkiss_lan_recv(const void *body, unsigned short length, const airkiss_config_t *config);
int airkiss_lan_pack(airkiss_lan_cmdid_t ak_lan_cmdid, void *appid, void *deviceid, void *_datain,
                     unsigned short inlength, void *_dataout, unsigned short *outlength,
                     const airkiss_config_t *config);

#ifdef __cplusplus
}
#endif

#endif /* AIRKISS_H_ */
