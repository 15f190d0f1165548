/*
 * c_types.h: NONOS SDK base types (project-written, SDK-compatible).
 *
 * Freestanding on purpose: Debian's xtensa-lx106-elf-gcc ships no libc, and in
 * hosted mode gcc's own <stdint.h> forwards to the missing libc one. So the
 * fixed-width types come from gcc's predefined __*_TYPE__ macros; they name the
 * very same types glibc's <stdint.h> uses, so a program may include both.
 */
#ifndef _C_TYPES_H_
#define _C_TYPES_H_

#include <stddef.h>
#include <stdarg.h>

typedef __UINT8_TYPE__  uint8_t;
typedef __INT8_TYPE__   int8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __INT16_TYPE__  int16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __INT32_TYPE__  int32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INT64_TYPE__  int64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __INTPTR_TYPE__ intptr_t;

typedef unsigned char       uint8;
typedef unsigned char       u8;
typedef signed char         sint8;
typedef signed char         int8;
typedef signed char         s8;
typedef signed char         sint8_t;
typedef unsigned short      uint16;
typedef unsigned short      u16;
typedef signed short        sint16;
typedef signed short        s16;
typedef signed short        sint16_t;
typedef unsigned int        uint32;
typedef unsigned int        u_int;
typedef unsigned int        u32;
typedef signed int          sint32;
typedef signed int          s32;
typedef signed int          sint32_t;
typedef int                 int32;
typedef signed long long    sint64;
typedef unsigned long long  uint64;
typedef unsigned long long  u64;
typedef float               real32;
typedef double              real64;

#define __le16      u16

/* size_t: the SDK says unsigned int; gcc's own definition is that on the chip
 * and must win on a 64-bit host, where stddef.h has already declared it. */

#define LOCAL       static

#ifndef NULL
#define NULL (void *)0
#endif

/* The SDK's bool is a byte, not _Bool. A program that includes <stdbool.h>
 * first keeps _Bool (also one byte, same calling convention for 0/1). */
#if !defined(__cplusplus) && !defined(bool) && !defined(__bool_true_false_are_defined) \
    && !(defined(__STDC_VERSION__) && __STDC_VERSION__ >= 202311L)
typedef unsigned char bool;
#endif
#ifndef __cplusplus
#ifndef true
#define true  (1)
#endif
#ifndef false
#define false (0)
#endif
#endif
#ifndef BOOL
#define BOOL  bool
#endif
#ifndef TRUE
#define TRUE  true
#endif
#ifndef FALSE
#define FALSE false
#endif

typedef enum {
    OK = 0,
    FAIL,
    PENDING,
    BUSY,
    CANCEL,
} STATUS;

#define BIT(nr)                 (1UL << (nr))

#define REG_SET_BIT(_r, _b)  (*(volatile uint32_t *)(_r) |= (_b))
#define REG_CLR_BIT(_r, _b)  (*(volatile uint32_t *)(_r) &= ~(_b))

#define DMEM_ATTR   __attribute__((section(".bss")))
#define SHMEM_ATTR

#ifdef ICACHE_FLASH
#define ICACHE_FLASH_ATTR   __attribute__((section(".irom0.text")))
#define ICACHE_RODATA_ATTR  __attribute__((section(".irom.text")))
#else
#define ICACHE_FLASH_ATTR
#define ICACHE_RODATA_ATTR
#endif

#define STORE_ATTR __attribute__((aligned(4)))

#ifndef __packed
#define __packed __attribute__((packed))
#endif

#endif /* _C_TYPES_H_ */
