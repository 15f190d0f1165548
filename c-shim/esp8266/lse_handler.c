/*
 * Installed half of the LoadStoreError handler. Built WITHOUT
 * -ffunction-sections so it lands in plain .text: the vendor linker scripts
 * send `*libmbedtls.a:(.literal.* .text.*)` to flash but plain .text to IRAM,
 * and an exception handler for flash accesses has no business running from
 * flash itself.
 */
#include <stddef.h>
#include "lse.h"

typedef void (*xtos_handler)(struct lse_frame *ef, int cause);
extern xtos_handler _xtos_set_exception_handler(int cause, xtos_handler fn);

static xtos_handler previous;
static int installed;

static uint32_t load32_aligned(uint32_t addr)
{
    return *(const volatile uint32_t *)addr;
}

static void lse_handler(struct lse_frame *ef, int cause)
{
    uint32_t excvaddr;
    __asm__ volatile("rsr %0, excvaddr" : "=a"(excvaddr));
    if (espconn_secure_lse_emulate(ef, excvaddr, load32_aligned) == LSE_OK)
        return;
    /* Not ours: let the SDK's handler report the crash as it would have. */
    if (previous != NULL)
        previous(ef, cause);
    else
        for (;;) {
        }
}

/* Runs once, with the cache on: flash is its place (the section name every
 * vendor script sends to irom0). */
__attribute__((section(".irom0.text"))) void espconn_secure_chip_init(void)
{
    if (installed)
        return;
    installed = 1;
    previous = _xtos_set_exception_handler(LSE_EXCCAUSE_LOAD_STORE_ERROR, lse_handler);
}
