/*
 * sim_system.c: the system and Wi-Fi calls a board program makes at start-up,
 * simulated so such programs run unchanged: a station that "associates" and
 * gets 127.0.0.1 about 100 ms after connecting, RTC memory that survives a
 * deep sleep through a file, restart and deep sleep ending the run, the
 * boot loader's choice of user partition kept in flash (FOTA), and the
 * watchdog and CPU clock calls recorded for tests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "c_types.h"
#include "osapi.h"
#include "spi_flash.h"
#include "upgrade.h"
#include "user_interface.h"
#include "sim.h"
#include "sim_internal.h"

int sim_in_user_init;

/* ------------------------------------------------------------ counters */

static struct sim_counters counters = { .cpu_freq = SYS_CPU_80MHZ };

void sim_get_counters(struct sim_counters *out)
{
    if (out)
        *out = counters;
}

void system_soft_wdt_feed(void)
{
    counters.wdt_feeds++;
}

void system_soft_wdt_stop(void)
{
    counters.wdt_stops++;
    counters.wdt_stopped = 1;
}

void system_soft_wdt_restart(void)
{
    counters.wdt_restarts++;
    counters.wdt_stopped = 0;
}

/* The library calls this before each public-key operation (signature,
 * verification, key generation, shared secret): the simulator counts them
 * per SDK callback, each call it makes into the program (a timer, a task, a
 * deferred callback, one connection's socket events) being one. */
static uint32_t pk_ops_in_callback;

void sim_callback_boundary(void)
{
    pk_ops_in_callback = 0;
}

void sim_public_key_op(void)
{

    counters.pk_ops++;
    if (++pk_ops_in_callback > counters.pk_ops_max_per_callback)
        counters.pk_ops_max_per_callback = pk_ops_in_callback;
}

bool system_update_cpu_freq(uint8 freq)
{
    if (freq != SYS_CPU_80MHZ && freq != SYS_CPU_160MHZ)
        return false;
    if (freq != counters.cpu_freq)
        counters.cpu_freq_changes++;
    counters.cpu_freq = freq;
    return true;
}

uint8 system_get_cpu_freq(void)
{
    return counters.cpu_freq;
}

/* -------------------------------------------------------------- system */

static struct rst_info rst = { .reason = REASON_DEFAULT_RST };

struct rst_info *system_get_rst_info(void)
{
    return &rst;
}

const char *system_get_sdk_version(void)
{
    return "3.0.4";
}

uint32 system_get_chip_id(void)
{
    return 0x00C0FFEE;
}

uint8 system_get_boot_version(void)
{
    return 31;
}

uint8 system_get_boot_mode(void)
{
    return SYS_BOOT_NORMAL_MODE;
}

enum flash_size_map system_get_flash_size_map(void)
{
    return FLASH_SIZE_32M_MAP_1024_1024;
}

static uint8 os_print = 1;

void system_set_os_print(uint8 onoff)
{
    os_print = onoff;
}

uint8 system_get_os_print(void)
{
    return os_print;
}

uint16 system_get_vdd33(void)
{
    return 3300 * 1024 / 1000;  /* 3.3 V in the SDK's 1/1024 V units */
}

bool system_partition_table_regist(const partition_item_t *table, uint32_t num, uint32_t map)
{
    (void)map;
    if (!table)
        return false;
    for (uint32_t i = 0; i < num; i++)
        if ((uint64_t)table[i].addr + table[i].size > SIM_FLASH_SIZE)
            return false;
    return true;
}

static init_done_cb_t init_done;

void system_init_done_cb(init_done_cb_t cb)
{
    init_done = cb;
}

static void run_init_done(void *owner, intptr_t arg)
{
    (void)owner; (void)arg;
    if (init_done)
        init_done();
}

static void station_start_connect(void);
static int station_autoconnect_pending;

/* Called by sim_main.c right after user_init() returns. */
void sim_system_boot_done(void)
{
    sim_defer(run_init_done, NULL, 0, 0);
    if (station_autoconnect_pending) {
        station_autoconnect_pending = 0;
        station_start_connect();
    }
}

void system_restart(void)
{
    os_printf_plus("sim: system_restart\n");
    sim_exit(0);
}

/* ----------------------------------------------------------------- FOTA */

/* The boot loader's choice between the two user partitions of the
 * 1024 KB + 1024 KB map (user1 at 0x1000, user2 at 0x101000) lives in flash,
 * in the first sector of the SDK's system parameter area at the end of the
 * 4 MB chip: its first byte is 0x01 for user2, anything else (an erased chip
 * included) for user1. Read once per boot, so it survives a run as the
 * --flash file does. The upgrade flag is RAM, as in the SDK: only
 * system_upgrade_reboot() with UPGRADE_FLAG_FINISH changes the boot choice;
 * a reset before that leaves the running image the one that boots. */
#define BOOT_CFG_SECTOR 0x3FD
#define USER1_ADDR      0x001000
#define USER2_ADDR      0x101000

static int running_bin = -1;
static uint8 upgrade_flag = UPGRADE_FLAG_IDLE;

uint8 system_upgrade_userbin_check(void)
{
    if (running_bin < 0) {
        uint32 word = 0xFFFFFFFF;
        if (spi_flash_read(BOOT_CFG_SECTOR * SPI_FLASH_SEC_SIZE, &word, 4) != SPI_FLASH_RESULT_OK)
            word = 0xFFFFFFFF;
        running_bin = (word & 0xFF) == 0x01 ? UPGRADE_FW_BIN2 : UPGRADE_FW_BIN1;
    }
    return (uint8)running_bin;
}

uint32 system_get_userbin_addr(void)
{
    return system_upgrade_userbin_check() == UPGRADE_FW_BIN2 ? USER2_ADDR : USER1_ADDR;
}

void system_upgrade_flag_set(uint8 flag)
{
    upgrade_flag = flag;
}

uint8 system_upgrade_flag_check(void)
{
    return upgrade_flag;
}

/* Boots the other user partition if the flag says the new image is complete
 * (UPGRADE_FLAG_FINISH); otherwise does nothing, as the SDK's. The run ends
 * here (a restart); the next run on the same --flash file boots it. */
void system_upgrade_reboot(void)
{
    if (upgrade_flag != UPGRADE_FLAG_FINISH) {
        os_printf_plus("sim: system_upgrade_reboot ignored: upgrade flag is %u, not UPGRADE_FLAG_FINISH\n",
                       upgrade_flag);
        return;
    }
    uint8 next = system_upgrade_userbin_check() == UPGRADE_FW_BIN1 ? UPGRADE_FW_BIN2 : UPGRADE_FW_BIN1;
    uint32 word = 0xFFFFFF00u | (next == UPGRADE_FW_BIN2 ? 0x01 : 0x00);
    if (spi_flash_erase_sector(BOOT_CFG_SECTOR) != SPI_FLASH_RESULT_OK ||
        spi_flash_write(BOOT_CFG_SECTOR * SPI_FLASH_SEC_SIZE, &word, 4) != SPI_FLASH_RESULT_OK) {
        os_printf_plus("sim: system_upgrade_reboot: cannot write the boot choice\n");
        return;
    }
    os_printf_plus("sim: system_upgrade_reboot: next boot runs user%u at 0x%x\n", next + 1,
                   next == UPGRADE_FW_BIN2 ? USER2_ADDR : USER1_ADDR);
    upgrade_flag = UPGRADE_FLAG_IDLE;
    sim_exit(0);
}

/* ------------------------------------------------------------------ RTC */

#define RTC_BLOCKS      192
#define RTC_USER_FIRST  64
static uint8_t rtc_mem[RTC_BLOCKS * 4];
static const char *rtc_path;

int sim_rtc_open(const char *path)
{
    rtc_path = path;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    size_t n = fread(rtc_mem + RTC_USER_FIRST * 4, 1, sizeof rtc_mem - RTC_USER_FIRST * 4, f);
    fclose(f);
    (void)n;
    rst.reason = REASON_DEEP_SLEEP_AWAKE;
    return 0;
}

static int rtc_range_ok(uint8 block, uint16 n)
{
    return block >= RTC_USER_FIRST && (uint32_t)block * 4 + n <= sizeof rtc_mem;
}

bool system_rtc_mem_read(uint8 src_addr, void *des_addr, uint16 load_size)
{
    if (!des_addr || !rtc_range_ok(src_addr, load_size))
        return false;
    memcpy(des_addr, rtc_mem + src_addr * 4, load_size);
    return true;
}

bool system_rtc_mem_write(uint8 des_addr, const void *src_addr, uint16 save_size)
{
    if (!src_addr || !rtc_range_ok(des_addr, save_size))
        return false;
    memcpy(rtc_mem + des_addr * 4, src_addr, save_size);
    return true;
}

static uint8 deep_sleep_option = 1;

bool system_deep_sleep_set_option(uint8 option)
{
    if (option > 4)
        return false;
    deep_sleep_option = option;
    return true;
}

bool system_deep_sleep(uint64 time_in_us)
{
    if (rtc_path) {
        FILE *f = fopen(rtc_path, "wb");
        if (!f || fwrite(rtc_mem + RTC_USER_FIRST * 4, 1, sizeof rtc_mem - RTC_USER_FIRST * 4, f)
                      != sizeof rtc_mem - RTC_USER_FIRST * 4)
            fprintf(stderr, "sim: cannot save RTC memory to %s\n", rtc_path);
        if (f)
            fclose(f);
    }
    os_printf_plus("sim: deep_sleep %llu us\n", (unsigned long long)time_in_us);
    sim_exit(0);
    return true;
}

bool system_deep_sleep_instant(uint64 time_in_us)
{
    return system_deep_sleep(time_in_us);
}

/* ---------------------------------------------------------------- Wi-Fi */

static uint8 opmode = STATION_MODE;
static uint8 sta_status = STATION_IDLE;
static struct station_config sta_cfg, sta_cfg_saved;
static wifi_event_handler_cb_t event_cb;
static uint8 auto_connect = 1;
static char hostname[33] = "ESP_C0FFEE";
static uint8 sta_mac[6] = { 0x5c, 0xcf, 0x7f, 0xc0, 0xff, 0xee };
static uint8 ap_mac[6] = { 0x5e, 0xcf, 0x7f, 0xc0, 0xff, 0xee };
static uint8 channel = 6;
static uint32_t connect_gen;   /* drops events of an abandoned attempt */

uint8 wifi_get_opmode(void) { return opmode; }
uint8 wifi_get_opmode_default(void) { return opmode; }

static void send_event(System_Event_t *ev)
{
    if (event_cb)
        event_cb(ev);
}

bool wifi_set_opmode(uint8 mode)
{
    if (mode > STATIONAP_MODE)
        return false;
    if (mode != opmode) {
        uint8 old = opmode;
        opmode = mode;
        if (!(mode & STATION_MODE)) {
            sta_status = STATION_IDLE;
            connect_gen++;
        }
        (void)old;
    }
    return true;
}

bool wifi_set_opmode_current(uint8 mode)
{
    return wifi_set_opmode(mode);
}

static void ev_connected(void *owner, intptr_t gen)
{
    (void)owner;
    if ((uint32_t)gen != connect_gen)
        return;
    System_Event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.event = EVENT_STAMODE_CONNECTED;
    size_t len = strnlen((const char *)sta_cfg.ssid, sizeof sta_cfg.ssid);
    memcpy(ev.event_info.connected.ssid, sta_cfg.ssid, len);
    ev.event_info.connected.ssid_len = (uint8)len;
    memcpy(ev.event_info.connected.bssid, "\x02\x00\x00\x00\x00\x01", 6);
    ev.event_info.connected.channel = channel;
    send_event(&ev);
}

static void ev_got_ip(void *owner, intptr_t gen)
{
    (void)owner;
    if ((uint32_t)gen != connect_gen)
        return;
    sta_status = STATION_GOT_IP;
    System_Event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.event = EVENT_STAMODE_GOT_IP;
    IP4_ADDR(&ev.event_info.got_ip.ip, 127, 0, 0, 1);
    IP4_ADDR(&ev.event_info.got_ip.mask, 255, 0, 0, 0);
    IP4_ADDR(&ev.event_info.got_ip.gw, 127, 0, 0, 1);
    send_event(&ev);
}

static void station_start_connect(void)
{
    connect_gen++;
    sta_status = STATION_CONNECTING;
    sim_defer(ev_connected, NULL, (intptr_t)connect_gen, 100000);
    sim_defer(ev_got_ip, NULL, (intptr_t)connect_gen, 100000);
}

static bool set_config(struct station_config *config, int save)
{
    if (!config || !(opmode & STATION_MODE))
        return false;
    sta_cfg = *config;
    if (save)
        sta_cfg_saved = *config;
    /* As on the chip: configuring the station inside user_init() connects
     * automatically once the system is up. */
    if (sim_in_user_init && auto_connect)
        station_autoconnect_pending = 1;
    return true;
}

bool wifi_station_set_config(struct station_config *config) { return set_config(config, 1); }
bool wifi_station_set_config_current(struct station_config *config) { return set_config(config, 0); }

bool wifi_station_get_config(struct station_config *config)
{
    if (!config)
        return false;
    *config = sta_cfg;
    return true;
}

bool wifi_station_get_config_default(struct station_config *config)
{
    if (!config)
        return false;
    *config = sta_cfg_saved;
    return true;
}

bool wifi_station_connect(void)
{
    if (!(opmode & STATION_MODE))
        return false;
    if (sim_in_user_init) {
        station_autoconnect_pending = 1;
        return true;
    }
    if (sta_status == STATION_CONNECTING || sta_status == STATION_GOT_IP)
        return true;
    station_start_connect();
    return true;
}

static void ev_disconnected(void *owner, intptr_t arg)
{
    (void)owner; (void)arg;
    System_Event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.event = EVENT_STAMODE_DISCONNECTED;
    size_t len = strnlen((const char *)sta_cfg.ssid, sizeof sta_cfg.ssid);
    memcpy(ev.event_info.disconnected.ssid, sta_cfg.ssid, len);
    ev.event_info.disconnected.ssid_len = (uint8)len;
    ev.event_info.disconnected.reason = REASON_ASSOC_LEAVE;
    send_event(&ev);
}

bool wifi_station_disconnect(void)
{
    if (!(opmode & STATION_MODE))
        return false;
    station_autoconnect_pending = 0;
    int was_up = sta_status == STATION_GOT_IP;
    connect_gen++;
    sta_status = STATION_IDLE;
    if (was_up)
        sim_defer(ev_disconnected, NULL, 0, 0);
    return true;
}

void sim_wifi_force_got_ip(void)
{
    opmode |= STATION_MODE;
    connect_gen++;
    sta_status = STATION_GOT_IP;
}

uint8 wifi_station_get_connect_status(void)
{
    return (opmode & STATION_MODE) ? sta_status : STATION_IDLE;
}

void wifi_set_event_handler_cb(wifi_event_handler_cb_t cb)
{
    event_cb = cb;
}

bool wifi_get_ip_info(uint8 if_index, struct ip_info *info)
{
    if (!info || if_index > SOFTAP_IF)
        return false;
    memset(info, 0, sizeof *info);
    if (if_index == STATION_IF && (opmode & STATION_MODE) && sta_status == STATION_GOT_IP) {
        IP4_ADDR(&info->ip, 127, 0, 0, 1);
        IP4_ADDR(&info->netmask, 255, 0, 0, 0);
        IP4_ADDR(&info->gw, 127, 0, 0, 1);
    } else if (if_index == SOFTAP_IF && (opmode & SOFTAP_MODE)) {
        IP4_ADDR(&info->ip, 192, 168, 4, 1);
        IP4_ADDR(&info->netmask, 255, 255, 255, 0);
        IP4_ADDR(&info->gw, 192, 168, 4, 1);
    }
    return true;
}

bool wifi_get_macaddr(uint8 if_index, uint8 *macaddr)
{
    if (!macaddr || if_index > SOFTAP_IF)
        return false;
    memcpy(macaddr, if_index == STATION_IF ? sta_mac : ap_mac, 6);
    return true;
}

bool wifi_set_macaddr(uint8 if_index, uint8 *macaddr)
{
    if (!macaddr || if_index > SOFTAP_IF)
        return false;
    memcpy(if_index == STATION_IF ? sta_mac : ap_mac, macaddr, 6);
    return true;
}

uint8 wifi_station_get_auto_connect(void) { return auto_connect; }

bool wifi_station_set_auto_connect(uint8 set)
{
    auto_connect = set ? 1 : 0;
    return true;
}

bool wifi_station_set_reconnect_policy(bool set) { (void)set; return true; }

sint8 wifi_station_get_rssi(void)
{
    return sta_status == STATION_GOT_IP ? -40 : 31;  /* 31 = error, per SDK */
}

bool wifi_station_dhcpc_start(void) { return true; }
bool wifi_station_dhcpc_stop(void) { return true; }
enum dhcp_status wifi_station_dhcpc_status(void) { return DHCP_STARTED; }

char *wifi_station_get_hostname(void) { return hostname; }

bool wifi_station_set_hostname(const char *name)
{
    if (!name || strlen(name) >= sizeof hostname)
        return false;
    strcpy(hostname, name);
    return true;
}

uint8 wifi_get_channel(void) { return channel; }

bool wifi_set_channel(uint8 ch)
{
    if (ch < 1 || ch > 14)
        return false;
    channel = ch;
    return true;
}

static sleep_type_t sleep_type = MODEM_SLEEP_T;
bool wifi_set_sleep_type(sleep_type_t type) { sleep_type = type; return true; }
sleep_type_t wifi_get_sleep_type(void) { return sleep_type; }

static phy_mode_t phy_mode = PHY_MODE_11N;
bool wifi_set_phy_mode(phy_mode_t mode) { phy_mode = mode; return true; }
phy_mode_t wifi_get_phy_mode(void) { return phy_mode; }
