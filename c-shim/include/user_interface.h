/* user_interface.h: system, Wi-Fi and OS task services of the NONOS SDK. */
#ifndef __USER_INTERFACE_H__
#define __USER_INTERFACE_H__

#include "c_types.h"
#include "os_type.h"
#include "ip_addr.h"
/* The SDK's header pulls these in too, and programs rely on it (e.g. on
 * SPI_FLASH_SEC_SIZE, STAILQ_*, GPIO_INT_TYPE, their own user_config.h). */
#include "queue.h"
#if defined(__has_include)
#if __has_include("user_config.h")
#include "user_config.h"
#endif
#endif
#include "spi_flash.h"
#include "gpio.h"

/* Not every call declared here is simulated on the host: the simulator
 * defines the system, task, timer, heap, flash, RTC memory, station and
 * SNTP calls; the rest (softAP, promiscuous mode, WPS, forced sleep, rate
 * control, ...) are declared so that programs compile, and a program that
 * calls one fails to link on the host naming it (README "Run your own
 * firmware on a PC"). */

enum rst_reason {
    REASON_DEFAULT_RST      = 0,
    REASON_WDT_RST          = 1,
    REASON_EXCEPTION_RST    = 2,
    REASON_SOFT_WDT_RST     = 3,
    REASON_SOFT_RESTART     = 4,
    REASON_DEEP_SLEEP_AWAKE = 5,
    REASON_EXT_SYS_RST      = 6
};

struct rst_info {
    uint32 reason;
    uint32 exccause;
    uint32 epc1;
    uint32 epc2;
    uint32 epc3;
    uint32 excvaddr;
    uint32 depc;
};

struct rst_info *system_get_rst_info(void);

#define UPGRADE_FW_BIN1 0x00
#define UPGRADE_FW_BIN2 0x01

void system_restore(void);
void system_restart(void);

bool system_deep_sleep_set_option(uint8 option);
bool system_deep_sleep(uint64 time_in_us);
bool system_deep_sleep_instant(uint64 time_in_us);

uint8 system_upgrade_userbin_check(void);
void system_upgrade_reboot(void);
uint8 system_upgrade_flag_check(void);
void system_upgrade_flag_set(uint8 flag);

void system_timer_reinit(void);
uint32 system_get_time(void);

/* User task priorities (higher runs first). */
typedef enum {
    USER_TASK_PRIO_0 = 0,
    USER_TASK_PRIO_1,
    USER_TASK_PRIO_2,
    USER_TASK_PRIO_MAX
} USER_TASK_PRIO;

bool system_os_task(os_task_t task, uint8 prio, os_event_t *queue, uint8 qlen);
bool system_os_post(uint8 prio, os_signal_t sig, os_param_t par);

void system_print_meminfo(void);
uint32 system_get_free_heap_size(void);

void system_set_os_print(uint8 onoff);
uint8 system_get_os_print(void);

uint64 system_mktime(uint32 year, uint32 mon, uint32 day, uint32 hour, uint32 min, uint32 sec);

uint32 system_get_chip_id(void);

typedef void (*init_done_cb_t)(void);
void system_init_done_cb(init_done_cb_t cb);

uint32 system_rtc_clock_cali_proc(void);
uint32 system_get_rtc_time(void);

/* 512 bytes of user RTC memory: block addresses 64..191, 4-byte units. */
bool system_rtc_mem_read(uint8 src_addr, void *des_addr, uint16 load_size);
bool system_rtc_mem_write(uint8 des_addr, const void *src_addr, uint16 save_size);

void system_uart_swap(void);
void system_uart_de_swap(void);

uint16 system_adc_read(void);
void system_adc_read_fast(uint16 *adc_addr, uint16 adc_num, uint8 adc_clk_div);
uint16 system_get_vdd33(void);

const char *system_get_sdk_version(void);

#define SYS_BOOT_ENHANCE_MODE 0
#define SYS_BOOT_NORMAL_MODE  1

#define SYS_BOOT_NORMAL_BIN 0
#define SYS_BOOT_TEST_BIN   1

uint8 system_get_boot_version(void);
uint32 system_get_userbin_addr(void);
uint8 system_get_boot_mode(void);
bool system_restart_enhance(uint8 bin_type, uint32 bin_addr);

#define SYS_CPU_80MHZ  80
#define SYS_CPU_160MHZ 160

bool system_update_cpu_freq(uint8 freq);
uint8 system_get_cpu_freq(void);

enum flash_size_map {
    FLASH_SIZE_4M_MAP_256_256 = 0,
    FLASH_SIZE_2M,
    FLASH_SIZE_8M_MAP_512_512,
    FLASH_SIZE_16M_MAP_512_512,
    FLASH_SIZE_32M_MAP_512_512,
    FLASH_SIZE_16M_MAP_1024_1024,
    FLASH_SIZE_32M_MAP_1024_1024,
    FLASH_SIZE_32M_MAP_2048_2048,
    FLASH_SIZE_64M_MAP_1024_1024,
    FLASH_SIZE_128M_MAP_1024_1024
};

enum flash_size_map system_get_flash_size_map(void);

typedef enum {
    SYSTEM_PARTITION_INVALID = 0,
    SYSTEM_PARTITION_BOOTLOADER,
    SYSTEM_PARTITION_OTA_1,
    SYSTEM_PARTITION_OTA_2,
    SYSTEM_PARTITION_RF_CAL,
    SYSTEM_PARTITION_PHY_DATA,
    SYSTEM_PARTITION_SYSTEM_PARAMETER,
    SYSTEM_PARTITION_AT_PARAMETER,
    SYSTEM_PARTITION_SSL_CLIENT_CERT_PRIVKEY,
    SYSTEM_PARTITION_SSL_CLIENT_CA,
    SYSTEM_PARTITION_SSL_SERVER_CERT_PRIVKEY,
    SYSTEM_PARTITION_SSL_SERVER_CA,
    SYSTEM_PARTITION_WPA2_ENTERPRISE_CERT_PRIVKEY,
    SYSTEM_PARTITION_WPA2_ENTERPRISE_CA,

    SYSTEM_PARTITION_CUSTOMER_BEGIN = 100,
    SYSTEM_PARTITION_MAX
} partition_type_t;

typedef struct {
    partition_type_t type;
    uint32_t addr;
    uint32_t size;
} partition_item_t;

bool system_partition_table_regist(const partition_item_t *partition_table, uint32_t partition_num, uint32_t map);
uint32_t system_partition_get_ota_partition_size(void);
bool system_partition_get_item(partition_type_t type, partition_item_t *partition_item);

void system_phy_set_max_tpw(uint8 max_tpw);
void system_phy_set_tpw_via_vdd33(uint16 vdd33);
void system_phy_set_rfoption(uint8 option);
void system_phy_set_powerup_option(uint8 option);

bool system_param_save_with_protect(uint16 start_sec, void *param, uint16 len);
bool system_param_load(uint16 start_sec, uint16 offset, void *param, uint16 len);

void system_soft_wdt_stop(void);
void system_soft_wdt_restart(void);
void system_soft_wdt_feed(void);

void system_show_malloc(void);

/* Entry points the application provides. */
void user_init(void);
void user_pre_init(void);
void user_rf_pre_init(void);
uint32 user_rf_cal_sector_set(void);

/* ---------------- Wi-Fi ---------------- */

#define NULL_MODE      0x00
#define STATION_MODE   0x01
#define SOFTAP_MODE    0x02
#define STATIONAP_MODE 0x03

typedef enum _auth_mode {
    AUTH_OPEN = 0,
    AUTH_WEP,
    AUTH_WPA_PSK,
    AUTH_WPA2_PSK,
    AUTH_WPA_WPA2_PSK,
    AUTH_MAX
} AUTH_MODE;

typedef enum _cipher_type {
    CIPHER_NONE = 0,
    CIPHER_WEP40,
    CIPHER_WEP104,
    CIPHER_TKIP,
    CIPHER_CCMP,
    CIPHER_TKIP_CCMP,
    CIPHER_UNKNOWN
} CIPHER_TYPE;

uint8 wifi_get_opmode(void);
uint8 wifi_get_opmode_default(void);
bool wifi_set_opmode(uint8 opmode);
bool wifi_set_opmode_current(uint8 opmode);
uint8 wifi_get_broadcast_if(void);
bool wifi_set_broadcast_if(uint8 interface);

struct bss_info {
    STAILQ_ENTRY(bss_info) next;
    uint8 bssid[6];
    uint8 ssid[32];
    uint8 ssid_len;
    uint8 channel;
    sint8 rssi;
    AUTH_MODE authmode;
    uint8 is_hidden;
    sint16 freq_offset;
    sint16 freqcal_val;
    uint8 *esp_mesh_ie;
    uint8 simple_pair;
    CIPHER_TYPE pairwise_cipher;
    CIPHER_TYPE group_cipher;
    uint32_t phy_11b:1;
    uint32_t phy_11g:1;
    uint32_t phy_11n:1;
    uint32_t wps:1;
    uint32_t reserved:28;
};

struct espconn;
typedef struct _scaninfo {
    STAILQ_HEAD(, bss_info) *pbss;
    struct espconn *pespconn;
    uint8 totalpage;
    uint8 pagenum;
    uint8 page_sn;
    uint8 data_cnt;
} scaninfo;

typedef void (*scan_done_cb_t)(void *arg, STATUS status);

typedef struct {
    int8 rssi;
    AUTH_MODE authmode;
} wifi_fast_scan_threshold_t;

struct station_config {
    uint8 ssid[32];
    uint8 password[64];
    uint8 channel;
    uint8 bssid_set;    /* 1: connect only to the AP whose bssid matches too */
    uint8 bssid[6];
    wifi_fast_scan_threshold_t threshold;
    bool open_and_wep_mode_disable;
    bool all_channel_scan;
};

bool wifi_station_get_config(struct station_config *config);
bool wifi_station_get_config_default(struct station_config *config);
bool wifi_station_set_config(struct station_config *config);
bool wifi_station_set_config_current(struct station_config *config);

bool wifi_station_connect(void);
bool wifi_station_disconnect(void);

void wifi_enable_signaling_measurement(void);
void wifi_disable_signaling_measurement(void);

sint8 wifi_station_get_rssi(void);

typedef enum {
    WIFI_SCAN_TYPE_ACTIVE = 0,
    WIFI_SCAN_TYPE_PASSIVE
} wifi_scan_type_t;

typedef struct {
    uint32_t min;
    uint32_t max;
} wifi_active_scan_time_t;

typedef union {
    wifi_active_scan_time_t active;
    uint32_t passive;
} wifi_scan_time_t;

struct scan_config {
    uint8 *ssid;
    uint8 *bssid;
    uint8 channel;
    uint8 show_hidden;
    wifi_scan_type_t scan_type;
    wifi_scan_time_t scan_time;
};

bool wifi_station_scan(struct scan_config *config, scan_done_cb_t cb);

uint8 wifi_station_get_auto_connect(void);
bool wifi_station_set_auto_connect(uint8 set);

bool wifi_station_set_reconnect_policy(bool set);

typedef enum {
    STATION_IDLE = 0,
    STATION_CONNECTING,
    STATION_WRONG_PASSWORD,
    STATION_NO_AP_FOUND,
    STATION_CONNECT_FAIL,
    STATION_GOT_IP
} station_status_t;

uint8 wifi_station_get_connect_status(void);

uint8 wifi_station_get_current_ap_id(void);
bool wifi_station_ap_change(uint8 current_ap_id);
bool wifi_station_ap_number_set(uint8 ap_number);
uint8 wifi_station_get_ap_info(struct station_config config[]);

bool wifi_station_dhcpc_start(void);
bool wifi_station_dhcpc_stop(void);
enum dhcp_status {
    DHCP_STOPPED,
    DHCP_STARTED
};
enum dhcp_status wifi_station_dhcpc_status(void);
bool wifi_station_dhcpc_set_maxtry(uint8 num);

char *wifi_station_get_hostname(void);
bool wifi_station_set_hostname(const char *name);

int  wifi_station_set_cert_key(uint8 *client_cert, int client_cert_len,
                               uint8 *private_key, int private_key_len,
                               uint8 *private_key_passwd, int private_key_passwd_len);
void wifi_station_clear_cert_key(void);
int  wifi_station_set_username(uint8 *username, int len);
void wifi_station_clear_username(void);

/* ---------------- softAP (not simulated) ---------------- */

struct softap_config {
    uint8 ssid[32];
    uint8 password[64];
    uint8 ssid_len;
    uint8 channel;
    AUTH_MODE authmode;
    uint8 ssid_hidden;
    uint8 max_connection;
    uint16 beacon_interval;
};

bool wifi_softap_get_config(struct softap_config *config);
bool wifi_softap_get_config_default(struct softap_config *config);
bool wifi_softap_set_config(struct softap_config *config);
bool wifi_softap_set_config_current(struct softap_config *config);

struct station_info {
    STAILQ_ENTRY(station_info) next;
    uint8 bssid[6];
    struct ip_addr ip;
};

struct dhcps_lease {
    bool enable;
    struct ip_addr start_ip;
    struct ip_addr end_ip;
};

enum dhcps_offer_option {
    OFFER_START = 0x00,
    OFFER_ROUTER = 0x01,
    OFFER_END
};

uint8 wifi_softap_get_station_num(void);
struct station_info *wifi_softap_get_station_info(void);
void wifi_softap_free_station_info(void);
bool wifi_softap_dhcps_start(void);
bool wifi_softap_dhcps_stop(void);
bool wifi_softap_set_dhcps_lease(struct dhcps_lease *please);
bool wifi_softap_get_dhcps_lease(struct dhcps_lease *please);
uint32 wifi_softap_get_dhcps_lease_time(void);
bool wifi_softap_set_dhcps_lease_time(uint32 minute);
bool wifi_softap_reset_dhcps_lease_time(void);
enum dhcp_status wifi_softap_dhcps_status(void);
bool wifi_softap_set_dhcps_offer_option(uint8 level, void *optarg);

#define STATION_IF 0x00
#define SOFTAP_IF  0x01

bool wifi_get_ip_info(uint8 if_index, struct ip_info *info);
bool wifi_set_ip_info(uint8 if_index, struct ip_info *info);
bool wifi_get_macaddr(uint8 if_index, uint8 *macaddr);
bool wifi_set_macaddr(uint8 if_index, uint8 *macaddr);

uint8 wifi_get_channel(void);
bool wifi_set_channel(uint8 channel);

void wifi_status_led_install(uint8 gpio_id, uint32 gpio_name, uint8 gpio_func);
void wifi_status_led_uninstall(void);

/* Difference of two system_get_time() values across a wrap. */
#define ESP_U32_DIFF(a, b) (((a) >= (b)) ? ((a) - (b)) : ((a) + ((b) ^ 0xFFFFFFFF) + 1))

/* ---------------- promiscuous mode (not simulated) ---------------- */

void wifi_promiscuous_enable(uint8 promiscuous);
typedef void (*wifi_promiscuous_cb_t)(uint8 *buf, uint16 len);
void wifi_set_promiscuous_rx_cb(wifi_promiscuous_cb_t cb);
void wifi_promiscuous_set_mac(const uint8_t *address);

typedef enum sleep_type {
    NONE_SLEEP_T = 0,
    LIGHT_SLEEP_T,
    MODEM_SLEEP_T
} sleep_type_t;

enum sleep_level {
    MIN_SLEEP_T,
    MAX_SLEEP_T
};

bool wifi_set_sleep_type(enum sleep_type type);
enum sleep_type wifi_get_sleep_type(void);
bool wifi_set_sleep_level(enum sleep_level level);
enum sleep_level wifi_get_sleep_level(void);
bool wifi_set_listen_interval(uint8 interval);
uint8 wifi_get_listen_interval(void);

/* Forced sleep (not simulated). */
void wifi_fpm_open(void);
void wifi_fpm_close(void);
void wifi_fpm_do_wakeup(void);
sint8 wifi_fpm_do_sleep(uint32 sleep_time_in_us);
void wifi_fpm_set_sleep_type(enum sleep_type type);
enum sleep_type wifi_fpm_get_sleep_type(void);
typedef void (*fpm_wakeup_cb)(void);
void wifi_fpm_set_wakeup_cb(fpm_wakeup_cb cb);
void wifi_fpm_auto_sleep_set_in_null_mode(uint8 req);

typedef enum phy_mode {
    PHY_MODE_11B = 1,
    PHY_MODE_11G = 2,
    PHY_MODE_11N = 3
} phy_mode_t;

enum phy_mode wifi_get_phy_mode(void);
bool wifi_set_phy_mode(enum phy_mode mode);

enum {
    EVENT_STAMODE_CONNECTED = 0,
    EVENT_STAMODE_DISCONNECTED,
    EVENT_STAMODE_AUTHMODE_CHANGE,
    EVENT_STAMODE_GOT_IP,
    EVENT_STAMODE_DHCP_TIMEOUT,
    EVENT_SOFTAPMODE_STACONNECTED,
    EVENT_SOFTAPMODE_STADISCONNECTED,
    EVENT_SOFTAPMODE_PROBEREQRECVED,
    EVENT_OPMODE_CHANGED,
    EVENT_SOFTAPMODE_DISTRIBUTE_STA_IP,
    EVENT_MAX
};

enum {
    REASON_UNSPECIFIED              = 1,
    REASON_AUTH_EXPIRE              = 2,
    REASON_AUTH_LEAVE               = 3,
    REASON_ASSOC_EXPIRE             = 4,
    REASON_ASSOC_TOOMANY            = 5,
    REASON_NOT_AUTHED               = 6,
    REASON_NOT_ASSOCED              = 7,
    REASON_ASSOC_LEAVE              = 8,
    REASON_ASSOC_NOT_AUTHED         = 9,
    REASON_DISASSOC_PWRCAP_BAD      = 10,
    REASON_DISASSOC_SUPCHAN_BAD     = 11,
    REASON_IE_INVALID               = 13,
    REASON_MIC_FAILURE              = 14,
    REASON_4WAY_HANDSHAKE_TIMEOUT   = 15,
    REASON_GROUP_KEY_UPDATE_TIMEOUT = 16,
    REASON_IE_IN_4WAY_DIFFERS       = 17,
    REASON_GROUP_CIPHER_INVALID     = 18,
    REASON_PAIRWISE_CIPHER_INVALID  = 19,
    REASON_AKMP_INVALID             = 20,
    REASON_UNSUPP_RSN_IE_VERSION    = 21,
    REASON_INVALID_RSN_IE_CAP       = 22,
    REASON_802_1X_AUTH_FAILED       = 23,
    REASON_CIPHER_SUITE_REJECTED    = 24,

    REASON_BEACON_TIMEOUT           = 200,
    REASON_NO_AP_FOUND              = 201,
    REASON_AUTH_FAIL                = 202,
    REASON_ASSOC_FAIL               = 203,
    REASON_HANDSHAKE_TIMEOUT        = 204
};

typedef struct {
    uint8 ssid[32];
    uint8 ssid_len;
    uint8 bssid[6];
    uint8 channel;
} Event_StaMode_Connected_t;

typedef struct {
    uint8 ssid[32];
    uint8 ssid_len;
    uint8 bssid[6];
    uint8 reason;
} Event_StaMode_Disconnected_t;

typedef struct {
    uint8 old_mode;
    uint8 new_mode;
} Event_StaMode_AuthMode_Change_t;

typedef struct {
    struct ip_addr ip;
    struct ip_addr mask;
    struct ip_addr gw;
} Event_StaMode_Got_IP_t;

typedef struct {
    uint8 mac[6];
    uint8 aid;
} Event_SoftAPMode_StaConnected_t;

typedef struct {
    uint8 mac[6];
    struct ip_addr ip;
    uint8 aid;
} Event_SoftAPMode_Distribute_Sta_IP_t;

typedef struct {
    uint8 mac[6];
    uint8 aid;
} Event_SoftAPMode_StaDisconnected_t;

typedef struct {
    int rssi;
    uint8 mac[6];
} Event_SoftAPMode_ProbeReqRecved_t;

typedef struct {
    uint8 old_opmode;
    uint8 new_opmode;
} Event_OpMode_Change_t;

typedef union {
    Event_StaMode_Connected_t            connected;
    Event_StaMode_Disconnected_t         disconnected;
    Event_StaMode_AuthMode_Change_t      auth_change;
    Event_StaMode_Got_IP_t               got_ip;
    Event_SoftAPMode_StaConnected_t      sta_connected;
    Event_SoftAPMode_Distribute_Sta_IP_t distribute_sta_ip;
    Event_SoftAPMode_StaDisconnected_t   sta_disconnected;
    Event_SoftAPMode_ProbeReqRecved_t    ap_probereqrecved;
    Event_OpMode_Change_t                opmode_changed;
} Event_Info_u;

typedef struct _esp_event {
    uint32 event;
    Event_Info_u event_info;
} System_Event_t;

typedef void (*wifi_event_handler_cb_t)(System_Event_t *event);

void wifi_set_event_handler_cb(wifi_event_handler_cb_t cb);

/* ---------------- WPS, raw frames, rates, IEs, country (not simulated) ---------------- */

typedef enum wps_type {
    WPS_TYPE_DISABLE = 0,
    WPS_TYPE_PBC,
    WPS_TYPE_PIN,
    WPS_TYPE_DISPLAY,
    WPS_TYPE_MAX
} WPS_TYPE_t;

enum wps_cb_status {
    WPS_CB_ST_SUCCESS = 0,
    WPS_CB_ST_FAILED,
    WPS_CB_ST_TIMEOUT,
    WPS_CB_ST_WEP
};

bool wifi_wps_enable(WPS_TYPE_t wps_type);
bool wifi_wps_disable(void);
bool wifi_wps_start(void);
typedef void (*wps_st_cb_t)(int status);
bool wifi_set_wps_cb(wps_st_cb_t cb);

typedef void (*freedom_outside_cb_t)(uint8 status);
int wifi_register_send_pkt_freedom_cb(freedom_outside_cb_t cb);
void wifi_unregister_send_pkt_freedom_cb(void);
int wifi_send_pkt_freedom(uint8 *buf, int len, bool sys_seq);

int wifi_rfid_locp_recv_open(void);
void wifi_rfid_locp_recv_close(void);
typedef void (*rfid_locp_cb_t)(uint8 *frm, int len, int rssi);
int wifi_register_rfid_locp_recv_cb(rfid_locp_cb_t cb);
void wifi_unregister_rfid_locp_recv_cb(void);

enum FIXED_RATE {
    PHY_RATE_48 = 0x8,
    PHY_RATE_24 = 0x9,
    PHY_RATE_12 = 0xA,
    PHY_RATE_6  = 0xB,
    PHY_RATE_54 = 0xC,
    PHY_RATE_36 = 0xD,
    PHY_RATE_18 = 0xE,
    PHY_RATE_9  = 0xF
};

#define FIXED_RATE_MASK_NONE 0x00
#define FIXED_RATE_MASK_STA  0x01
#define FIXED_RATE_MASK_AP   0x02
#define FIXED_RATE_MASK_ALL  0x03

int wifi_set_user_fixed_rate(uint8 enable_mask, uint8 rate);
int wifi_get_user_fixed_rate(uint8 *enable_mask, uint8 *rate);

enum support_rate {
    RATE_11B5M = 0, RATE_11B11M, RATE_11B1M, RATE_11B2M,
    RATE_11G6M, RATE_11G12M, RATE_11G24M, RATE_11G48M,
    RATE_11G54M, RATE_11G9M, RATE_11G18M, RATE_11G36M
};

int wifi_set_user_sup_rate(uint8 min, uint8 max);

enum RATE_11B_ID {
    RATE_11B_B11M = 0, RATE_11B_B5M, RATE_11B_B2M, RATE_11B_B1M
};

enum RATE_11G_ID {
    RATE_11G_G54M = 0, RATE_11G_G48M, RATE_11G_G36M, RATE_11G_G24M,
    RATE_11G_G18M, RATE_11G_G12M, RATE_11G_G9M, RATE_11G_G6M,
    RATE_11G_B5M, RATE_11G_B2M, RATE_11G_B1M
};

enum RATE_11N_ID {
    RATE_11N_MCS7S = 0, RATE_11N_MCS7, RATE_11N_MCS6, RATE_11N_MCS5,
    RATE_11N_MCS4, RATE_11N_MCS3, RATE_11N_MCS2, RATE_11N_MCS1,
    RATE_11N_MCS0, RATE_11N_B5M, RATE_11N_B2M, RATE_11N_B1M
};

#define RC_LIMIT_11B     0
#define RC_LIMIT_11G     1
#define RC_LIMIT_11N     2
#define RC_LIMIT_P2P_11G 3
#define RC_LIMIT_P2P_11N 4
#define RC_LIMIT_NUM     5

#define LIMIT_RATE_MASK_NONE 0x00
#define LIMIT_RATE_MASK_STA  0x01
#define LIMIT_RATE_MASK_AP   0x02
#define LIMIT_RATE_MASK_ALL  0x03

bool wifi_set_user_rate_limit(uint8 mode, uint8 ifidx, uint8 max, uint8 min);
uint8 wifi_get_user_limit_rate_mask(void);
bool wifi_set_user_limit_rate_mask(uint8 enable_mask);

enum {
    USER_IE_BEACON = 0,
    USER_IE_PROBE_REQ,
    USER_IE_PROBE_RESP,
    USER_IE_ASSOC_REQ,
    USER_IE_ASSOC_RESP,
    USER_IE_MAX
};

typedef void (*user_ie_manufacturer_recv_cb_t)(uint8 type, const uint8 sa[6], const uint8 m_oui[3],
                                               uint8 *ie, uint8 ie_len, int rssi);
bool wifi_set_user_ie(bool enable, uint8 *m_oui, uint8 type, uint8 *user_ie, uint8 len);
int wifi_register_user_ie_manufacturer_recv_cb(user_ie_manufacturer_recv_cb_t cb);
void wifi_unregister_user_ie_manufacturer_recv_cb(void);

void wifi_enable_gpio_wakeup(uint32 i, GPIO_INT_TYPE intr_status);
void wifi_disable_gpio_wakeup(void);

/* ROM: sets a UART's baud rate divisor (on the host: accepted, nothing to do). */
void uart_div_modify(uint8 uart_no, uint32 DivLatchValue);

typedef enum {
    WIFI_COUNTRY_POLICY_AUTO,
    WIFI_COUNTRY_POLICY_MANUAL
} WIFI_COUNTRY_POLICY;

typedef struct {
    char cc[3];
    uint8_t schan;
    uint8_t nchan;
    uint8_t policy;
} wifi_country_t;

bool wifi_set_country(wifi_country_t *country);
bool wifi_get_country(wifi_country_t *country);

#endif /* __USER_INTERFACE_H__ */
