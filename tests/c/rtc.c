/*
 * RTC memory across deep sleep (run with --rtc FILE, repeatedly). Each boot
 * prints the reset reason and a boot counter kept in RTC user memory, then
 * deep-sleeps; when the counter reaches --stop N it exits instead.
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "sim_hooks.h"

#define RTC_MAGIC 0x5254434d

struct rtc_state {
    uint32 magic;
    uint32 count;
};

void user_init(void)
{
    struct rtc_state st;
    uint8 probe[8];
    const char *stop_s = sim_arg("stop");
    uint32 stop = 0;
    while (stop_s && *stop_s >= '0' && *stop_s <= '9')
        stop = stop * 10 + (uint32)(*stop_s++ - '0');

    os_printf("EV bounds %d %d %d %d\n",
              system_rtc_mem_read(63, probe, 4),      /* system area */
              system_rtc_mem_read(191, probe, 8),     /* past the end */
              system_rtc_mem_read(191, probe, 4),     /* last block */
              system_rtc_mem_write(64 + 127, probe, 4));
    if (!system_rtc_mem_read(100, &st, sizeof st) || st.magic != RTC_MAGIC) {
        st.magic = RTC_MAGIC;
        st.count = 0;
    }
    st.count++;
    os_printf("EV boot reason=%u count=%u\n", system_get_rst_info()->reason, st.count);
    system_rtc_mem_write(100, &st, sizeof st);
    if (stop && st.count >= stop) {
        sim_exit(0);
        return;
    }
    system_deep_sleep(1000000);
}
