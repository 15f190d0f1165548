/* smartconfig.h: ESP-TOUCH / AirKiss provisioning (libsmartconfig). Not
 * simulated: a host program that calls these fails to link, naming the call. */
#ifndef __SMARTCONFIG_H__
#define __SMARTCONFIG_H__

#include "c_types.h"

typedef enum {
    SC_STATUS_WAIT = 0,
    SC_STATUS_FIND_CHANNEL,
    SC_STATUS_GETTING_SSID_PSWD,
    SC_STATUS_LINK,
    SC_STATUS_LINK_OVER
} sc_status;

typedef enum {
    SC_TYPE_ESPTOUCH = 0,
    SC_TYPE_AIRKISS,
    SC_TYPE_ESPTOUCH_AIRKISS
} sc_type;

typedef void (*sc_callback_t)(sc_status status, void *pdata);

const char *smartconfig_get_version(void);
bool smartconfig_start(sc_callback_t cb, ...);
bool smartconfig_stop(void);
/* 15..255 s */
bool esptouch_set_timeout(uint8 time_s);
bool smartconfig_set_type(sc_type type);

#endif /* __SMARTCONFIG_H__ */
