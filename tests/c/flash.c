/*
 * spi_flash_* checks. Expects --flash-place 0x10:FILE with a file whose first
 * 8 bytes are known to the test. Prints
 *   EV <label> r=<result> v=<first word read, hex>
 */
#include "ets_sys.h"
#include "osapi.h"
#include "user_interface.h"
#include "spi_flash.h"
#include "sim_hooks.h"

LOCAL uint32 buf[4] __attribute__((aligned(4)));

LOCAL void rd(const char *label, uint32 addr, uint32 *dst, uint32 size)
{
    buf[0] = 0xdeadbeef;
    SpiFlashOpResult r = spi_flash_read(addr, dst, size);
    os_printf("EV %s r=%d v=%08x\n", label, r, buf[0]);
}

void user_init(void)
{
    uint32 w[2] __attribute__((aligned(4)));
    rd("placed", 0x10000, buf, 8);
    os_printf("EV placed2 v=%08x\n", buf[1]);
    rd("erased", 0x200000, buf, 16);
    rd("misaligned-addr", 0x10001, buf, 4);
    rd("misaligned-size", 0x10000, buf, 6);
    rd("misaligned-dst", 0x10000, (uint32 *)((char *)buf + 1), 4);
    rd("out-of-range", 0x400000, buf, 4);
    rd("crossing-end", 0x3ffffc, buf, 8);
    rd("last-word", 0x3ffffc, buf, 4);
    /* NOR semantics: a write only clears bits, erase sets them again. */
    w[0] = 0x00ff00ff;
    os_printf("EV write1 r=%d\n", spi_flash_write(0x300000, w, 4));
    w[0] = 0x0f0f0f0f;
    os_printf("EV write2 r=%d\n", spi_flash_write(0x300000, w, 4));
    rd("after-writes", 0x300000, buf, 4);
    os_printf("EV erase r=%d\n", spi_flash_erase_sector(0x300));
    rd("after-erase", 0x300000, buf, 4);
    os_printf("EV erase-out r=%d\n", spi_flash_erase_sector(1024));
    os_printf("EV write-misaligned r=%d\n", spi_flash_write(0x300002, w, 4));
    sim_exit(0);
}
