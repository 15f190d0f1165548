/*
 * Tests of the LoadStoreError decode logic (c-shim/esp8266/lse_decode.c) on
 * synthetic exception frames: QEMU's sim machine never raises cause 3, so the
 * emulation is exercised directly. Runs inside the QEMU image (rt.c calls
 * lse_selftest) and natively on the host (-DLSE_HOST_MAIN).
 */
#include <stddef.h>
#include <stdint.h>

#include "lse.h"

extern void chip_write(const char *buf, size_t len);

#define BASE 0x40210000u
static uint32_t mem[8];

static uint32_t fake_load32(uint32_t addr)
{
    /* The real region only answers aligned words; so must the emulation. */
    if (addr & 3u || addr < BASE || addr >= BASE + sizeof mem)
        return 0xdeadbeefu;
    return mem[(addr - BASE) / 4u];
}

static uint32_t rri8(uint32_t r, uint32_t s, uint32_t t, uint32_t imm)
{
    return (imm << 16) | (r << 12) | (s << 8) | (t << 4) | 2u;
}

/* Stores a 24-bit instruction little-endian at byte offset off of mem. */
static void put_insn(uint32_t off, uint32_t insn)
{
    uint8_t *b = (uint8_t *)mem;
    b[off] = (uint8_t)insn;
    b[off + 1] = (uint8_t)(insn >> 8);
    b[off + 2] = (uint8_t)(insn >> 16);
}

static int fails;

static void check(int cond, const char *name)
{
    static const char ok[] = "ok lse_", bad[] = "FAIL lse_";
    const char *p = cond ? ok : bad;
    size_t n = 0;
    while (p[n])
        n++;
    chip_write(p, n);
    n = 0;
    while (name[n])
        n++;
    chip_write(name, n);
    chip_write("\n", 1);
    if (!cond)
        fails++;
}

static int run(uint32_t epc_off, uint32_t insn, uint32_t vaddr, struct lse_frame *ef)
{
    for (unsigned i = 0; i < 8; i++)
        mem[i] = 0;
    mem[6] = 0x8001c3a5u; /* data word at BASE+24: bytes a5 c3 01 80 */
    mem[7] = 0x00007f11u;
    put_insn(epc_off, insn);
    for (unsigned i = 0; i < 15; i++)
        ef->a_reg[i] = 0x55555555u;
    ef->epc = BASE + epc_off;
    return espconn_secure_lse_emulate(ef, vaddr, fake_load32);
}

int lse_selftest(void)
{
    struct lse_frame ef;
    int r;

    r = run(0, rri8(0, 3, 5, 0), BASE + 25, &ef); /* l8ui a5 <- byte 1 */
    check(r == LSE_OK && ef.a_reg[4] == 0xc3u && ef.epc == BASE + 3, "l8ui");

    r = run(3, rri8(1, 3, 0, 0), BASE + 26, &ef); /* l16ui a0, insn straddles words */
    check(r == LSE_OK && ef.a_reg[0] == 0x8001u && ef.epc == BASE + 6, "l16ui_a0_straddle");

    r = run(2, rri8(9, 4, 2, 0), BASE + 26, &ef); /* l16si a2, sign-extends */
    check(r == LSE_OK && ef.a_reg[1] == 0xffff8001u && ef.epc == BASE + 5, "l16si_negative");

    r = run(1, rri8(9, 4, 15, 0), BASE + 28, &ef); /* l16si a15, positive */
    check(r == LSE_OK && ef.a_reg[14] == 0x7f11u, "l16si_positive_a15");

    r = run(0, rri8(0, 3, 1, 0), BASE + 25, &ef); /* target a1: not in the frame */
    check(r == LSE_BAD_REG && ef.epc == BASE, "a1_refused");

    r = run(0, rri8(2, 3, 5, 0), BASE + 24, &ef); /* l32i: not ours */
    check(r == LSE_NOT_LOAD && ef.a_reg[4] == 0x55555555u, "l32i_refused");

    r = run(0, rri8(4, 3, 5, 0), BASE + 25, &ef); /* s8i: stores are not emulated */
    check(r == LSE_NOT_LOAD, "s8i_refused");

    r = run(0, rri8(0, 3, 5, 0), 0x3ffe8001u, &ef); /* DRAM address: a real bug */
    check(r == LSE_BAD_ADDR, "dram_refused");

    return fails;
}

#ifdef LSE_HOST_MAIN
#include <unistd.h>
void chip_write(const char *buf, size_t len)
{
    (void)!write(1, buf, len);
}

int main(void)
{
    return lse_selftest() ? 1 : 0;
}
#endif
