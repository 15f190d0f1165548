/*
 * LoadStoreError (EXCCAUSE 3) emulation: the flash-mapped region only answers
 * aligned 32-bit loads, while Rust reads its .rodata (kept in flash to save
 * DRAM) byte- and halfword-wise.
 */
#ifndef ESPCONN_SECURE_LSE_H
#define ESPCONN_SECURE_LSE_H

#include <stdint.h>

/*
 * The SDK's xtos exception frame, as passed to handlers installed with
 * _xtos_set_exception_handler. a1 is not saved in it (the frame lives on the
 * interrupted stack), hence 15 slots for a0, a2..a15.
 */
struct lse_frame {
    uint32_t epc;
    uint32_t ps;
    uint32_t sar;
    uint32_t unused;
    uint32_t a_reg[15]; /* a0, a2, a3, ..., a15 */
    uint32_t cause;
};

/* Aligned 32-bit reader: the only access the faulting region allows. */
typedef uint32_t (*lse_load32_fn)(uint32_t aligned_addr);

#define LSE_EXCCAUSE_LOAD_STORE_ERROR 3
/* Region where emulation is legitimate: ROM, IRAM and the flash cache window. */
#define LSE_REGION_START 0x40000000u
#define LSE_REGION_END 0x40400000u

/* Result codes of espconn_secure_lse_emulate. */
#define LSE_OK 0
#define LSE_NOT_LOAD -1    /* not l8ui/l16ui/l16si: some other fault */
#define LSE_BAD_REG -2     /* target a1: the stack pointer is not in the frame */
#define LSE_BAD_ADDR -3    /* address outside the instruction-bus region */

/*
 * Decode the 24-bit instruction at ef->epc (fetched with load32), perform the
 * narrow load at excvaddr with load32, write the target register into the
 * frame and step epc past the instruction. Pure C so it can run on the host
 * and under QEMU on synthetic frames.
 */
int espconn_secure_lse_emulate(struct lse_frame *ef, uint32_t excvaddr, lse_load32_fn load32);

/* Installs the handler once; safe to call repeatedly. */
void espconn_secure_chip_init(void);

#endif
