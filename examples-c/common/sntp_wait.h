/*
 * sntp_wait.h: what a NONOS program does before it checks certificate
 * dates: set an SNTP server, start SNTP and wait until it has synchronised
 * (sntp_get_current_timestamp() is 0 until then, on the chip as in the
 * simulator, whose SNTP delivers the host's clock or --time about a second
 * after sntp_init()). Header-only so that the test programs in tests/c,
 * which link no example code, use the same steps.
 */
#ifndef SNTP_WAIT_H
#define SNTP_WAIT_H

#include "c_types.h"
#include "osapi.h"
#include "sntp.h"

static os_timer_t sntp_wait_timer;
static void (*sntp_wait_then)(void);

static void ICACHE_FLASH_ATTR sntp_wait_poll(void *arg)
{
    (void)arg;
    if (sntp_get_current_timestamp() == 0)
        return;
    os_timer_disarm(&sntp_wait_timer);
    sntp_wait_then();
}

/* Starts SNTP and calls `then` once it has synchronised. */
static void ICACHE_FLASH_ATTR sntp_wait(void (*then)(void))
{
    sntp_wait_then = then;
    sntp_setservername(0, "pool.ntp.org");
    sntp_init();
    os_timer_disarm(&sntp_wait_timer);
    os_timer_setfn(&sntp_wait_timer, sntp_wait_poll, NULL);
    os_timer_arm(&sntp_wait_timer, 100, 1);
}

#endif
