/* osapi.h: string/memory helpers, printf and software timers of the SDK. */
#ifndef _OSAPI_H_
#define _OSAPI_H_

#include "c_types.h"
#include "os_type.h"
/* The SDK's osapi.h pulls in the application's user_config.h; many programs
 * rely on that, others have none. */
#if defined(__has_include)
#if __has_include("user_config.h")
#include "user_config.h"
#endif
#endif

/* ROM string and memory routines (the chip's mask ROM provides them). */
int   ets_memcmp(const void *s1, const void *s2, size_t n);
void *ets_memcpy(void *dest, const void *src, size_t n);
void *ets_memmove(void *dest, const void *src, size_t n);
void *ets_memset(void *s, int c, size_t n);
void  ets_bzero(void *s, size_t n);
int   ets_strcmp(const char *s1, const char *s2);
char *ets_strcpy(char *dest, const char *src);
size_t ets_strlen(const char *s);
int   ets_strncmp(const char *s1, const char *s2, unsigned int len);
char *ets_strncpy(char *dest, const char *src, size_t n);
char *ets_strstr(const char *haystack, const char *needle);
char *ets_strcat(char *dest, const char *src);
char *ets_strchr(const char *s, int c);
int   ets_sprintf(char *str, const char *format, ...) __attribute__((format(printf, 2, 3)));
int   ets_snprintf(char *str, unsigned int size, const char *format, ...) __attribute__((format(printf, 3, 4)));
int   ets_vsnprintf(char *str, unsigned int size, const char *format, va_list ap);
void  ets_delay_us(uint32_t us);
void  ets_install_putc1(void (*p)(char c));

int os_printf_plus(const char *format, ...) __attribute__((format(printf, 1, 2)));
int os_get_random(unsigned char *buf, size_t len);
unsigned long os_random(void);

void ets_timer_setfn(ETSTimer *ptimer, ETSTimerFunc *pfunction, void *parg);
void ets_timer_arm_new(ETSTimer *ptimer, uint32_t time, bool repeat_flag, bool ms_flag);
void ets_timer_arm(ETSTimer *ptimer, uint32_t milliseconds, bool repeat_flag);
void ets_timer_disarm(ETSTimer *ptimer);

#if defined(__xtensa__)
#define os_bzero      ets_bzero
#define os_memcmp     ets_memcmp
#define os_memcpy     ets_memcpy
#define os_memmove    ets_memmove
#define os_memset     ets_memset
#define os_strcat     ets_strcat
#define os_strchr     ets_strchr
#define os_strcmp     ets_strcmp
#define os_strcpy     ets_strcpy
#define os_strlen     ets_strlen
#define os_strncmp    ets_strncmp
#define os_strncpy    ets_strncpy
#define os_strstr     ets_strstr
#define os_sprintf    ets_sprintf
#define os_snprintf   ets_snprintf
#else
/* On the host these are the C library's routines, reached through gcc's
 * builtins so that no libc header is needed. */
#define os_bzero(s, n) __builtin_memset((s), 0, (n))
#define os_memcmp     __builtin_memcmp
#define os_memcpy     __builtin_memcpy
#define os_memmove    __builtin_memmove
#define os_memset     __builtin_memset
#define os_strcat     __builtin_strcat
#define os_strchr     __builtin_strchr
#define os_strcmp     __builtin_strcmp
#define os_strcpy     __builtin_strcpy
#define os_strlen     __builtin_strlen
#define os_strncmp    __builtin_strncmp
#define os_strncpy    __builtin_strncpy
#define os_strstr     __builtin_strstr
#define os_sprintf    __builtin_sprintf
#define os_snprintf   __builtin_snprintf
#endif

#define os_delay_us        ets_delay_us
#define os_install_putc1   ets_install_putc1

#ifdef USE_US_TIMER
#define os_timer_arm_us(a, b, c) ets_timer_arm_new(a, b, c, 0)
#endif
#define os_timer_arm(a, b, c)    ets_timer_arm_new(a, b, c, 1)
#define os_timer_disarm          ets_timer_disarm
#define os_timer_setfn           ets_timer_setfn

#if defined(USE_OPTIMIZE_PRINTF) && defined(ICACHE_FLASH)
/* Keeps the format string in flash, as the SDK does, to save DRAM. */
#define os_printf(fmt, ...) do { \
        static const char flash_str[] ICACHE_RODATA_ATTR STORE_ATTR = fmt; \
        os_printf_plus(flash_str, ##__VA_ARGS__); \
    } while (0)
#else
#define os_printf os_printf_plus
#endif

#endif /* _OSAPI_H_ */
