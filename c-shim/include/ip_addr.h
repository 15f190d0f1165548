/* ip_addr.h: lwIP 1.4 IPv4 address type as the NONOS SDK exposes it. */
#ifndef __IP_ADDR_H__
#define __IP_ADDR_H__

#include "c_types.h"

/* addr holds the address in network byte order: the first octet is the
 * lowest-addressed byte. */
struct ip_addr {
    uint32 addr;
};

typedef struct ip_addr ip_addr_t;

struct ip_info {
    struct ip_addr ip;
    struct ip_addr netmask;
    struct ip_addr gw;
};

/* Byte-order independent: builds the address byte by byte in memory order,
 * which equals network order on the little-endian chip and hosts. */
#define IP4_ADDR(ipaddr, a, b, c, d) \
    (ipaddr)->addr = ((uint32)((d) & 0xff) << 24) | \
                     ((uint32)((c) & 0xff) << 16) | \
                     ((uint32)((b) & 0xff) << 8)  | \
                      (uint32)((a) & 0xff)

#define ip4_addr1(ipaddr) (((const uint8 *)(ipaddr))[0])
#define ip4_addr2(ipaddr) (((const uint8 *)(ipaddr))[1])
#define ip4_addr3(ipaddr) (((const uint8 *)(ipaddr))[2])
#define ip4_addr4(ipaddr) (((const uint8 *)(ipaddr))[3])

#define ip4_addr1_16(ipaddr) ((uint16)ip4_addr1(ipaddr))
#define ip4_addr2_16(ipaddr) ((uint16)ip4_addr2(ipaddr))
#define ip4_addr3_16(ipaddr) ((uint16)ip4_addr3(ipaddr))
#define ip4_addr4_16(ipaddr) ((uint16)ip4_addr4(ipaddr))

#define ip_addr_set(dest, src) ((dest)->addr = ((src) == NULL ? 0 : (src)->addr))
#define ip_addr_cmp(addr1, addr2) ((addr1)->addr == (addr2)->addr)
#define ip_addr_isany(addr1) ((addr1) == NULL || (addr1)->addr == IPADDR_ANY)
#define ip_addr_netcmp(addr1, addr2, mask) \
    (((addr1)->addr & (mask)->addr) == ((addr2)->addr & (mask)->addr))

#define IPADDR_NONE         ((uint32)0xffffffffUL)
#define IPADDR_LOOPBACK     ((uint32)0x7f000001UL)
#define IPADDR_ANY          ((uint32)0x00000000UL)
#define IPADDR_BROADCAST    ((uint32)0xffffffffUL)

#define IP2STR(ipaddr) ip4_addr1_16(ipaddr), \
    ip4_addr2_16(ipaddr), \
    ip4_addr3_16(ipaddr), \
    ip4_addr4_16(ipaddr)

#define IPSTR "%d.%d.%d.%d"

/* Dotted quad to address (network order); IPADDR_NONE when malformed. */
uint32 ipaddr_addr(const char *cp);
int ipaddr_aton(const char *cp, ip_addr_t *addr);
char *ipaddr_ntoa(const ip_addr_t *addr);

#endif /* __IP_ADDR_H__ */
