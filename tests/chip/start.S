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
