/*
 * Compile-time layout checks of the SDK headers, built by `make layout-check`
 * for the simulator's target (gcc -m32, as nonos-cc and mk/host.mk compile
 * every host program) and for xtensa-lx106: every size and offset below is
 * what the vendor's own headers give on the 32-bit chip (reference
 * nonos-espconn-secure.md 2.4), pointers included, so a simulated program
 * sees the chip's structures. Including <stdbool.h> last also checks that
 * c_types.h's byte-sized bool coexists with it.
 */
#include "c_types.h"
#include "ip_addr.h"
#include "espconn.h"
#include "ets_sys.h"
#include "os_type.h"
#include "osapi.h"
#include "mem.h"
#include "user_interface.h"
#include "spi_flash.h"
#include "sntp.h"
#include "upgrade.h"
#include "sim_hooks.h"
#include <stdbool.h>

#define OFF(t, m) __builtin_offsetof(t, m)

/* The record header of the vendor's certificate .bin files. */
typedef struct {
    char file_name[32];
    uint16_t file_length;
} file_head;

_Static_assert(sizeof(void *) == 4 && sizeof(void (*)(void)) == 4, "4-byte pointers, as on the chip");
_Static_assert(sizeof(long) == 4 && sizeof(size_t) == 4, "ILP32, as on the chip");
_Static_assert(sizeof(os_param_t) == 4 && sizeof(ETSParam) == 4 && sizeof(os_param_t) == sizeof(void *),
               "a pointer fits in os_param_t");
_Static_assert(sizeof(bool) == 1, "bool is one byte");
_Static_assert(sizeof(uint8) == 1 && sizeof(uint16) == 2 && sizeof(uint32) == 4 && sizeof(uint64) == 8,
               "fixed-width SDK types");
_Static_assert(sizeof(sint8) == 1 && (sint8)-1 < 0, "sint8 is signed even where char is unsigned");
_Static_assert(sizeof(enum espconn_type) == 4, "enums are int-sized (no -fshort-enums)");
_Static_assert(ESPCONN_TCP == 0x10 && ESPCONN_UDP == 0x20, "espconn_type values");
_Static_assert(ESPCONN_CLOSE == 6 && ESPCONN_LISTEN == 2, "espconn_state values");
_Static_assert(ESPCONN_MAXNUM == -7 && ESPCONN_RST == -9 && ESPCONN_CONN == -11 && ESPCONN_ARG == -12,
               "error codes");
_Static_assert(ESPCONN_CLIENT == 1 && ESPCONN_SERVER == 2 && ESPCONN_BOTH == 3 && ESPCONN_MAX == 4,
               "secure levels");

_Static_assert(sizeof(ip_addr_t) == 4, "ip_addr_t");
_Static_assert(sizeof(struct ip_info) == 12 && OFF(struct ip_info, gw) == 8, "ip_info");

_Static_assert(sizeof(esp_tcp) == 32, "esp_tcp");
_Static_assert(OFF(esp_tcp, remote_port) == 0 && OFF(esp_tcp, local_port) == 4, "esp_tcp ports");
_Static_assert(OFF(esp_tcp, local_ip) == 8 && OFF(esp_tcp, remote_ip) == 12, "esp_tcp ips");
_Static_assert(OFF(esp_tcp, connect_callback) == 16 && OFF(esp_tcp, reconnect_callback) == 20 &&
               OFF(esp_tcp, disconnect_callback) == 24 && OFF(esp_tcp, write_finish_fn) == 28,
               "esp_tcp callbacks");
_Static_assert(sizeof(esp_udp) == 16, "esp_udp");
_Static_assert(sizeof(remot_info) == 12 && OFF(remot_info, remote_ip) == 8, "remot_info");
_Static_assert(sizeof(struct espconn_packet) == 20 && OFF(struct espconn_packet, packseqno) == 8,
               "espconn_packet");

_Static_assert(sizeof(struct espconn) == 28, "espconn");
_Static_assert(OFF(struct espconn, type) == 0 && OFF(struct espconn, state) == 4 &&
               OFF(struct espconn, proto) == 8 && OFF(struct espconn, recv_callback) == 12 &&
               OFF(struct espconn, sent_callback) == 16 && OFF(struct espconn, link_cnt) == 20 &&
               OFF(struct espconn, reverse) == 24, "espconn offsets");
_Static_assert(sizeof(struct mdns_info) == 56 && OFF(struct mdns_info, server_name) == 4 &&
               OFF(struct mdns_info, server_port) == 8 && OFF(struct mdns_info, ipAddr) == 12 &&
               OFF(struct mdns_info, txt_data) == 16, "mdns_info");

_Static_assert(sizeof(struct upgrade_server_info) == 56 && OFF(struct upgrade_server_info, check_times) == 40 &&
               OFF(struct upgrade_server_info, url) == 44 && OFF(struct upgrade_server_info, check_cb) == 48 &&
               OFF(struct upgrade_server_info, pespconn) == 52, "upgrade_server_info");

_Static_assert(sizeof(ETSTimer) == 20, "ETSTimer");
_Static_assert(OFF(ETSTimer, timer_next) == 0 && OFF(ETSTimer, timer_expire) == 4 &&
               OFF(ETSTimer, timer_period) == 8 && OFF(ETSTimer, timer_func) == 12 &&
               OFF(ETSTimer, timer_arg) == 16, "ETSTimer fields");
_Static_assert(sizeof(ETSEvent) == 8 && sizeof(os_event_t) == 8 && OFF(ETSEvent, par) == 4, "ETSEvent");

_Static_assert(sizeof(file_head) == 34 && OFF(file_head, file_length) == 32, "file_head");

_Static_assert(sizeof(wifi_fast_scan_threshold_t) == 8, "fast scan threshold");
_Static_assert(OFF(struct station_config, password) == 32 && OFF(struct station_config, channel) == 96 &&
               OFF(struct station_config, bssid_set) == 97 && OFF(struct station_config, bssid) == 98 && OFF(struct station_config, threshold) == 104 &&
               OFF(struct station_config, open_and_wep_mode_disable) == 112 &&
               OFF(struct station_config, all_channel_scan) == 113 && sizeof(struct station_config) == 116,
               "station_config");
_Static_assert(sizeof(struct bss_info) == 80 && OFF(struct bss_info, bssid) == 4, "bss_info");
_Static_assert(sizeof(struct scan_config) == 24 && OFF(struct scan_config, bssid) == 4 &&
               OFF(struct scan_config, channel) == 8, "scan_config");
_Static_assert(sizeof(scaninfo) == 12 && OFF(scaninfo, pespconn) == 4 && OFF(scaninfo, totalpage) == 8,
               "scaninfo");
_Static_assert(sizeof(struct softap_config) == 108, "softap_config");
_Static_assert(OFF(System_Event_t, event_info) == 4, "System_Event_t");
_Static_assert(sizeof(Event_StaMode_Connected_t) == 40, "Event_StaMode_Connected_t");
_Static_assert(sizeof(Event_StaMode_Got_IP_t) == 12, "Event_StaMode_Got_IP_t");
_Static_assert(sizeof(partition_item_t) == 12, "partition_item_t");
_Static_assert(sizeof(SpiFlashChip) == 24, "SpiFlashChip");
_Static_assert(SPI_FLASH_RESULT_ERR == 1 && SPI_FLASH_RESULT_TIMEOUT == 2, "SpiFlashOpResult");
_Static_assert(STATION_GOT_IP == 5 && STATIONAP_MODE == 3 && USER_TASK_PRIO_MAX == 3, "enums");
_Static_assert(EVENT_STAMODE_GOT_IP == 3 && EVENT_MAX == 10, "event ids");
_Static_assert(BIT(3) == 8, "BIT");

/* The macros must expand to valid code on every target. */
void layout_macro_smoke(ETSTimer *t, char *dst, ip_addr_t *ip);
void layout_macro_smoke(ETSTimer *t, char *dst, ip_addr_t *ip)
{
    os_timer_arm(t, 10, 0);
    os_timer_disarm(t);
    os_memcpy(dst, "ab", 3);
    IP4_ADDR(ip, 192, 168, 4, 1);
    os_printf("%s " IPSTR "\n", dst, IP2STR(ip));
    os_free(os_zalloc(4));
}
