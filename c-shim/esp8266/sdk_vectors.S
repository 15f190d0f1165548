/*
 * Link-only stand-in for libmain's vector.o, so that firmware-shaped links
 * (mk/esp8266.mk) lay out IRAM as a real firmware does: libmain sets VECBASE
 * to the constant 0x40100000 and the vendor scripts start .text there with
 * these sections, each in its 16-byte slot (docs/CHIP-LAYOUT.md):
 *   .UserEnter.text 0x00, Debug 0x10, NMI 0x20, Kernel 0x30, User 0x50,
 *   Double 0x70.
 * check-layout.py asserts _UserExceptionVector at 0x40100050 and the
 * library's IRAM code after the vectors. Never run: each vector spins (and
 * keeps .UserEnter.text, which nothing else names, from --gc-sections).
 */
    .macro vector section, name
    .section \section,"ax",@progbits
    .global \name
    .type \name,@function
\name:
    j _UserEnter
    .size \name, . - \name
    .endm

    vector .UserEnter.text, _UserEnter
    vector .DebugExceptionVector.text, _DebugExceptionVector
    vector .NMIExceptionVector.text, _NMIExceptionVector
    vector .KernelExceptionVector.text, _KernelExceptionVector
    vector .UserExceptionVector.text, _UserExceptionVector
    vector .DoubleExceptionVector.text, _DoubleExceptionVector
