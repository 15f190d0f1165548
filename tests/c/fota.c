/*
 * The simulator's FOTA calls (user_interface.h): which user partition runs,
 * the upgrade flag, and system_upgrade_reboot. --mode report prints the boot;
 * reboot-idle, reboot-start and reboot-finish set that flag (idle: left as
 * booted) and call system_upgrade_reboot. Prints
 *   EV boot bin=<0|1> addr=<hex> flag=<n>
 *   EV returned flag=<n>        (system_upgrade_reboot came back)
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "upgrade.h"
#include "sim_hooks.h"

void user_init(void)
{
    const char *mode = sim_arg("mode");
    os_printf("EV boot bin=%u addr=0x%x flag=%u\n", system_upgrade_userbin_check(),
              system_get_userbin_addr(), system_upgrade_flag_check());
    if (mode && os_strcmp(mode, "reboot-start") == 0)
        system_upgrade_flag_set(UPGRADE_FLAG_START);
    if (mode && os_strcmp(mode, "reboot-finish") == 0)
        system_upgrade_flag_set(UPGRADE_FLAG_FINISH);
    if (mode && os_strncmp(mode, "reboot-", 7) == 0) {
        system_upgrade_reboot();
        os_printf("EV returned flag=%u\n", system_upgrade_flag_check());
    }
    sim_exit(0);
}
