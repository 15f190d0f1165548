/* sntp.h: SNTP client of the SDK. */
#ifndef __SNTP_H__
#define __SNTP_H__

#include "c_types.h"
#include "os_type.h"
#include "ip_addr.h"

/* Unix seconds; 0 until the time is known. */
uint32 sntp_get_current_timestamp(void);
char  *sntp_get_real_time(long t);
void   sntp_init(void);
void   sntp_stop(void);
void   sntp_setserver(unsigned char idx, ip_addr_t *addr);
ip_addr_t sntp_getserver(unsigned char idx);
void   sntp_setservername(unsigned char idx, char *server);
char  *sntp_getservername(unsigned char idx);
bool   sntp_set_timezone(sint8 timezone);
sint8  sntp_get_timezone(void);
/* lwIP's DHCP-provided servers: a no-op in the SDK's build. */
#define sntp_servermode_dhcp(x)

#endif /* __SNTP_H__ */
