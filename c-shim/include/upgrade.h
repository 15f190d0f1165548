/* upgrade.h: firmware upgrade over the air (libupgrade). The download calls
 * below are not simulated: a host program that calls them fails to link,
 * naming the call. The partition and flag calls (system_upgrade_userbin_check,
 * system_upgrade_flag_set/check, system_upgrade_reboot, in user_interface.h)
 * are, and espconn_secure_ota_* (espconn_secure.h) writes an image over
 * HTTPS or any other transport. */
#ifndef __UPGRADE_H__
#define __UPGRADE_H__

#include "c_types.h"

#define SPI_FLASH_SEC_SIZE  4096
#define LIMIT_ERASE_SIZE    0x10000

#define USER_BIN1           0x00
#define USER_BIN2           0x01

#define UPGRADE_FLAG_IDLE   0x00
#define UPGRADE_FLAG_START  0x01
#define UPGRADE_FLAG_FINISH 0x02

#define UPGRADE_FW_BIN1     0x00
#define UPGRADE_FW_BIN2     0x01

struct espconn;

typedef void (*upgrade_states_check_callback)(void *arg);

struct upgrade_server_info {
    uint8 ip[4];
    uint16 port;
    uint8 upgrade_flag;
    uint8 pre_version[16];
    uint8 upgrade_version[16];
    uint32 check_times;
    uint8 *url;
    upgrade_states_check_callback check_cb;
    struct espconn *pespconn;
};

void system_upgrade_init(void);
void system_upgrade_deinit(void);
bool system_upgrade(uint8 *data, uint16 len);
#ifdef UPGRADE_SSL_ENABLE
bool system_upgrade_start_ssl(struct upgrade_server_info *server);
#else
bool system_upgrade_start(struct upgrade_server_info *server);
#endif

#endif /* __UPGRADE_H__ */
