/*
 * Link-only stand-ins for the NONOS SDK libraries (libmain, liblwip, libpp, ...),
 * archived as build/esp8266/libsdkstub.a. They exist so that firmware-shaped
 * ELFs (examples, size reports) link with the vendor memory map and
 * --gc-sections, proving that libespconn_secure.a needs nothing beyond the
 * allowlist. These images are never run: every stub just returns 0.
 *
 * Names the mask ROM provides (scripts/esp8266/rom-symbols.txt) have no stub:
 * build/esp8266/rom.ld gives them their ROM addresses, as in a real firmware.
 *
 * Deliberately prototype-free (no SDK header included): one generic body per
 * name keeps the list in sync with scripts/esp8266/allowed-undefined.txt
 * (checked by check-undefined.sh) without restating every signature.
 */

#define SDK_FUNCTIONS(X)                                                                   \
    X(pvPortMalloc) X(vPortFree) X(pvPortZalloc) X(pvPortRealloc) X(pvPortCalloc)          \
    X(os_printf_plus) X(os_get_random) X(ets_timer_arm_new)                                \
    X(system_get_free_heap_size) X(system_get_time) X(system_get_rtc_time)                 \
    X(system_soft_wdt_feed) X(system_soft_wdt_stop) X(system_soft_wdt_restart)             \
    X(system_update_cpu_freq) X(system_get_cpu_freq) X(system_rtc_mem_read)                \
    X(system_rtc_mem_write) X(system_os_task) X(system_os_post) X(system_restart)          \
    X(system_get_chip_id) X(system_get_sdk_version) X(system_print_meminfo)                \
    X(wifi_get_opmode) X(wifi_station_get_connect_status) X(wifi_get_ip_info)              \
    X(sntp_get_current_timestamp) X(spi_flash_read) X(spi_flash_write)                    \
    X(spi_flash_erase_sector) X(system_upgrade_userbin_check) X(system_upgrade_flag_set)  \
    X(system_get_flash_size_map)                                                           \
    X(espconn_connect) X(espconn_disconnect) X(espconn_abort) X(espconn_delete)            \
    X(espconn_accept) X(espconn_create) X(espconn_send) X(espconn_sent) X(espconn_sendto)  \
    X(espconn_regist_connectcb) X(espconn_regist_recvcb) X(espconn_regist_sentcb)          \
    X(espconn_regist_disconcb) X(espconn_regist_reconcb) X(espconn_regist_write_finish)    \
    X(espconn_regist_time) X(espconn_set_opt) X(espconn_clear_opt)                         \
    X(espconn_set_keepalive) X(espconn_get_keepalive) X(espconn_recv_hold)                 \
    X(espconn_recv_unhold) X(espconn_recved_len) X(espconn_get_connection_info)            \
    X(espconn_get_packet_info) X(espconn_tcp_get_max_con) X(espconn_tcp_set_max_con)      \
    X(espconn_tcp_get_max_con_allow) X(espconn_tcp_set_max_con_allow) X(espconn_port)     \
    X(espconn_gethostbyname)                                                               \
    /* user_interface.h calls examples commonly make */                                    \
    X(wifi_set_opmode) X(wifi_station_set_config) X(wifi_station_connect)                  \
    X(wifi_station_disconnect) X(wifi_set_event_handler_cb) X(system_init_done_cb)         \
    X(uart_div_modify) X(sntp_setservername) X(sntp_init) X(sntp_stop)                     \
    X(sntp_set_timezone) X(espconn_dns_setserver) X(os_delay_us)                           \
    X(ets_sprintf) X(ets_snprintf) X(os_install_putc1)

/* Weak, so a program that defines one of these itself still links. */
#define STUB(name) __attribute__((weak)) int name(void) { return 0; }
SDK_FUNCTIONS(STUB)

/* The SDK's libmain calls user_init once the system is up; keep it reachable. */
extern void user_init(void);
extern void user_pre_init(void) __attribute__((weak));

void call_user_start(void)
{
    if (user_pre_init)
        user_pre_init();
    user_init();
    for (;;) {
    }
}
