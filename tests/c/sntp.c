/*
 * SNTP as on a network: prints sntp_get_current_timestamp() at boot, 0.5 s,
 * 1.5 s and 3 s. --mode name | addr (sntp_init with a server set by name or
 * by address) | no-init (a server, no sntp_init) | no-server (sntp_init
 * only) | late-server (sntp_init at boot, a server at 1 s).
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "ip_addr.h"
#include "sntp.h"
#include "sim_hooks.h"

LOCAL os_timer_t t;
LOCAL uint32 tick;
LOCAL const char *mode;

LOCAL bool is(const char *m)
{
    return os_strcmp(mode, m) == 0;
}

LOCAL void on_tick(void *arg)
{
    (void)arg;
    tick++;
    /* Every 500 ms: print at 500, 1500 and 3000. */
    if (tick == 2 && is("late-server"))
        sntp_setservername(0, "pool.ntp.org");
    if (tick == 1 || tick == 3 || tick == 6)
        os_printf("EV sntp at=%u ts=%u\n", tick * 500, sntp_get_current_timestamp());
    if (tick == 6) {
        os_timer_disarm(&t);
        sim_exit(0);
    }
}

void user_init(void)
{
    ip_addr_t addr;
    mode = sim_arg("mode");
    if (!mode)
        mode = "name";
    if (is("name") || is("no-init"))
        sntp_setservername(0, "pool.ntp.org");
    if (is("addr")) {
        IP4_ADDR(&addr, 192, 0, 2, 123);
        sntp_setserver(0, &addr);
    }
    if (!is("no-init"))
        sntp_init();
    os_printf("EV sntp at=0 ts=%u\n", sntp_get_current_timestamp());
    os_timer_setfn(&t, on_tick, NULL);
    os_timer_arm(&t, 500, 1);
}
