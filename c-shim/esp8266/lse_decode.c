/* Decode half of the LoadStoreError handler; see lse.h. */
#include "lse.h"

/* RRI8 format: op0 = 2 (LSAI), r field selects the load width. */
#define LOAD_MASK 0x00f00fu
#define L8UI_MATCH 0x000002u
#define L16UI_MATCH 0x001002u
#define L16SI_MATCH 0x009002u

int espconn_secure_lse_emulate(struct lse_frame *ef, uint32_t excvaddr, lse_load32_fn load32)
{
    if (excvaddr < LSE_REGION_START || excvaddr >= LSE_REGION_END)
        return LSE_BAD_ADDR;

    /* The instruction itself may sit in flash too: fetch it as aligned words. */
    uint32_t pc = ef->epc;
    uint32_t base = pc & ~3u;
    uint32_t shift = (pc & 3u) * 8u;
    uint32_t insn = load32(base) >> shift;
    if (shift > 8u)
        insn |= load32(base + 4u) << (32u - shift);
    insn &= 0xffffffu;

    uint32_t what = insn & LOAD_MASK;
    uint32_t mask;
    if (what == L8UI_MATCH)
        mask = 0xffu;
    else if (what == L16UI_MATCH || what == L16SI_MATCH)
        mask = 0xffffu;
    else
        return LSE_NOT_LOAD;

    uint32_t t = (insn >> 4) & 0xfu;
    if (t == 1u)
        return LSE_BAD_REG;

    uint32_t val = load32(excvaddr & ~3u) >> ((excvaddr & 3u) * 8u);
    val &= mask;
    if (what == L16SI_MATCH && (val & 0x8000u))
        val |= 0xffff0000u;

    ef->a_reg[t == 0u ? 0u : t - 1u] = val;
    ef->epc = pc + 3u;
    return LSE_OK;
}
