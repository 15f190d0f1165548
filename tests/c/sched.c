/*
 * Scheduling checks: posted tasks run highest priority first, FIFO within a
 * priority; one-shot timers fire in deadline order; a repeating timer keeps
 * firing until disarmed; nothing runs inside user_init. Also the recorded
 * watchdog/CPU-clock calls, system_get_time and sntp time.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "sntp.h"
#include "sim_hooks.h"
#include "sim.h"

#define QLEN 4
LOCAL os_event_t q0[QLEN], q1[QLEN], q2[QLEN];
LOCAL os_timer_t t10, t20, t30, trep;
LOCAL int rep_count;
LOCAL uint32 t_start;
LOCAL bool in_init;

LOCAL void task(os_event_t *e)
{
    os_printf("EV task sig=%c par=%u in_init=%d\n", (char)e->sig, e->par, in_init);
    /* A lower-priority task posting to a higher one: that one runs next. */
    if (e->sig == 'c')
        system_os_post(USER_TASK_PRIO_2, 'e', 9);
}

LOCAL void timer_cb(void *arg)
{
    os_printf("EV timer %s\n", (const char *)arg);
    if (os_strcmp((const char *)arg, "t30") == 0) {
        uint32 el = system_get_time() - t_start;
        os_printf("EV elapsed-ok %d\n", el >= 30000 && el < 2000000);
        os_printf("EV rep_count %d\n", rep_count);
        system_soft_wdt_feed();
        system_soft_wdt_feed();
        system_soft_wdt_stop();
        system_soft_wdt_restart();
        os_printf("EV cpu160 %d\n", system_update_cpu_freq(SYS_CPU_160MHZ));
        os_printf("EV cpu100 %d\n", system_update_cpu_freq(100));
        os_printf("EV cpu %u\n", system_get_cpu_freq());
        struct sim_counters c;
        sim_get_counters(&c);
        os_printf("EV counters feeds=%u stops=%u restarts=%u freq_changes=%u\n",
                  c.wdt_feeds, c.wdt_stops, c.wdt_restarts, c.cpu_freq_changes);
        os_printf("EV sntp %u\n", sntp_get_current_timestamp());
        sim_exit(0);
    }
}

LOCAL void rep_cb(void *arg)
{
    (void)arg;
    os_printf("EV rep %d\n", ++rep_count);
    if (rep_count == 3)
        os_timer_disarm(&trep);
}

LOCAL void init_done(void)
{
    os_printf("EV init_done\n");
}

void user_init(void)
{
    in_init = true;
    t_start = system_get_time();
    os_printf("EV task-reg %d %d %d\n",
              system_os_task(task, USER_TASK_PRIO_0, q0, QLEN),
              system_os_task(task, USER_TASK_PRIO_1, q1, QLEN),
              system_os_task(task, USER_TASK_PRIO_2, q2, QLEN));
    os_printf("EV bad-prio %d\n", system_os_post(USER_TASK_PRIO_MAX, 'x', 0));
    system_os_post(USER_TASK_PRIO_0, 'a', 1);
    system_os_post(USER_TASK_PRIO_2, 'b', 2);
    system_os_post(USER_TASK_PRIO_1, 'c', 3);
    system_os_post(USER_TASK_PRIO_2, 'd', 4);
    system_os_post(USER_TASK_PRIO_0, 'f', 5);
    system_os_post(USER_TASK_PRIO_0, 'g', 6);
    system_os_post(USER_TASK_PRIO_0, 'h', 7);
    os_printf("EV post-full %d\n", system_os_post(USER_TASK_PRIO_0, 'i', 8));
    os_timer_setfn(&t30, timer_cb, "t30");
    os_timer_setfn(&t10, timer_cb, "t10");
    os_timer_setfn(&t20, timer_cb, "t20");
    os_timer_setfn(&trep, rep_cb, NULL);
    os_timer_arm(&t30, 30, 0);
    os_timer_arm(&t20, 20, 0);
    os_timer_arm(&t10, 10, 0);
    os_timer_arm(&trep, 2, 1);
    system_init_done_cb(init_done);
    os_printf("EV init-end\n");
    in_init = false;
}
