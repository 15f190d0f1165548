/*
 * Reset entry for the QEMU `sim` machine (no ROM, no SDK): QEMU jumps to the
 * ELF entry with PS as at reset (EXCM set, all interrupts masked).
 */
    .section .text.chip_entry, "ax"
    .literal_position
    .literal .Lstack_top, _stack_top
    .literal .Lchip_start, chip_start
    .align 4
    .global _start
_start:
    l32r    a1, .Lstack_top
    /* Leave exception mode (EXCM=0) but keep interrupts masked: there are none
       to take, and the atomics' rsil/wsr pairs then nest trivially. */
    movi    a2, 0x0f
    wsr     a2, ps
    rsync
    movi    a0, 0
    l32r    a2, .Lchip_start
    callx0  a2
1:  j       1b

/*
 * QEMU's sim machine resets to the core's reset vector (0x50000000 for this
 * core model) rather than to the ELF entry, so that vector hands over to
 * _start. L32R only reaches backwards, hence the jump over the literal.
 */
    .section .reset.text, "ax"
    .global _reset
_reset:
    j       2f
    .align 4
1:  .word   _start
2:  l32r    a0, 1b
    jx      a0
