/*
 * Minimal runtime of the QEMU chip tests: semihosting output and exit, CCOUNT,
 * stack painting, and an SDK-shaped heap (pvPortMalloc & co.) with a peak
 * counter. The SDK functions the library's runtime calls (os_printf_plus,
 * system_restart, ...) are given their test meaning here; everything else the
 * library might reference resolves to libsdkstub.a's weak stubs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_exit 1
#define SYS_write 4

extern int chip_tests_main(void);
extern char _bss_start[], _bss_end[], _heap_start[], _heap_end[];
extern char _stack_limit[], _stack_top[];

static int simcall(int nr, int a, int b, int c)
{
    register int a2 __asm__("a2") = nr;
    register int a3 __asm__("a3") = a;
    register int a4 __asm__("a4") = b;
    register int a5 __asm__("a5") = c;
    /* `simcall` (0x005100): the assembler's lx106 config does not list it. */
    __asm__ volatile(".byte 0x00, 0x51, 0x00" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}

void chip_write(const char *buf, size_t len)
{
    simcall(SYS_write, 1, (int)buf, (int)len);
}

void __attribute__((noreturn)) chip_exit(int code)
{
    for (;;)
        simcall(SYS_exit, code, 0, 0);
}

uint32_t chip_ccount(void)
{
    uint32_t c;
    __asm__ volatile("rsr %0, ccount" : "=a"(c));
    return c;
}

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void puts_raw(const char *s)
{
    chip_write(s, cstrlen(s));
}

/* ---- stack painting ---------------------------------------------------- */

#define PAINT 0xa5a5a5a5u
static uint32_t *painted_top;

void chip_stack_paint(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, a1" : "=a"(sp));
    /* Leave this frame's own red zone alone. */
    painted_top = sp - 16;
    for (uint32_t *p = (uint32_t *)_stack_limit; p < painted_top; p++)
        *p = PAINT;
}

uint32_t chip_stack_used(void)
{
    uint32_t *p = (uint32_t *)_stack_limit;
    while (p < painted_top && *p == PAINT)
        p++;
    return (uint32_t)((char *)painted_top - (char *)p);
}

/* ---- heap: first fit over an implicit block list ------------------------ */

struct block {
    uint32_t size; /* whole block including this header; bit 0 = in use */
    uint32_t tag;  /* allocated while chip_heap_tag(1); also keeps payloads 8-byte aligned */
};

static struct block *heap_first, *heap_end_blk;
static uint32_t heap_used, heap_peak;
/* One side of a two-party test (the TLS client) is measured while the other
   allocates in between: its blocks are tagged at allocation, so frees made
   at any time keep its own count right. */
static uint32_t tag_on, tag_used, tag_peak, tag_base;

static void heap_init(void)
{
    uintptr_t start = ((uintptr_t)_heap_start + 7u) & ~7u;
    uintptr_t end = (uintptr_t)_heap_end & ~7u;
    heap_first = (struct block *)start;
    heap_first->size = (uint32_t)(end - start);
    heap_end_blk = (struct block *)end;
}

static struct block *next_blk(struct block *b)
{
    return (struct block *)((char *)b + (b->size & ~1u));
}

void *pvPortMalloc(size_t n, const char *file, unsigned line, int use_iram)
{
    (void)file;
    (void)line;
    (void)use_iram;
    uint32_t need = (uint32_t)((n + 7u) & ~7u) + sizeof(struct block);
    if (need < 16)
        need = 16;
    for (struct block *b = heap_first; b < heap_end_blk; b = next_blk(b)) {
        if (b->size & 1u)
            continue;
        /* Coalesce lazily: merge the free blocks that follow. */
        struct block *n2 = next_blk(b);
        while (n2 < heap_end_blk && !(n2->size & 1u)) {
            b->size += n2->size;
            n2 = next_blk(b);
        }
        if (b->size < need)
            continue;
        if (b->size - need >= 16) {
            struct block *rest = (struct block *)((char *)b + need);
            rest->size = b->size - need;
            b->size = need;
        }
        b->size |= 1u;
        heap_used += b->size & ~1u;
        if (heap_used > heap_peak)
            heap_peak = heap_used;
        b->tag = tag_on;
        if (tag_on) {
            tag_used += b->size & ~1u;
            if (tag_used > tag_peak)
                tag_peak = tag_used;
        }
        return b + 1;
    }
    return NULL;
}

void vPortFree(void *p, const char *file, unsigned line)
{
    (void)file;
    (void)line;
    if (!p)
        return;
    struct block *b = (struct block *)p - 1;
    heap_used -= b->size & ~1u;
    if (b->tag)
        tag_used -= b->size & ~1u;
    b->tag = 0;
    b->size &= ~1u;
}

void *pvPortZalloc(size_t n, const char *file, unsigned line)
{
    char *p = pvPortMalloc(n, file, line, 0);
    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = 0;
    return p;
}

void *pvPortCalloc(size_t count, size_t size, const char *file, unsigned line)
{
    return pvPortZalloc(count * size, file, line);
}

void *pvPortRealloc(void *old, size_t n, const char *file, unsigned line)
{
    char *p = pvPortMalloc(n, file, line, 0);
    if (p && old) {
        struct block *b = (struct block *)old - 1;
        size_t have = (b->size & ~1u) - sizeof(struct block);
        for (size_t i = 0; i < (have < n ? have : n); i++)
            p[i] = ((char *)old)[i];
        vPortFree(old, file, line);
    }
    return p;
}

uint32_t system_get_free_heap_size(void)
{
    return (uint32_t)((char *)heap_end_blk - (char *)heap_first) - heap_used;
}

void chip_heap_reset_peak(void)
{
    heap_peak = heap_used;
}

uint32_t chip_heap_peak(void)
{
    return heap_peak - heap_used;
}

void chip_heap_tag(int on)
{
    tag_on = on != 0;
}

void chip_heap_tag_reset_peak(void)
{
    tag_base = tag_peak = tag_used;
}

/* Tagged bytes in use now, counted from the last reset. */
uint32_t chip_heap_tag_in_use(void)
{
    return tag_used - tag_base;
}

/* Peak of the tagged blocks (headers included, as the SDK heap pays them)
   since the last reset. */
uint32_t chip_heap_tag_peak(void)
{
    return tag_peak - tag_base;
}

/* ---- flash: the inactive user partition, for the OTA case --------------- */

/* A 4 MB chip with the 1024 KB + 1024 KB map (6), booted from user1: an
   update goes to user2 at 0x101000. The part of it the OTA case writes is
   kept in RAM; flash semantics: erasing sets a sector to 0xFF, writing can
   only clear bits. Anything outside fails, as a refused SDK call does. */
#define OTA_FLASH_BASE 0x101000u
#define OTA_FLASH_LEN (68u * 1024u)
static uint8_t ota_flash[OTA_FLASH_LEN];
static uint8_t upgrade_flag;

static int in_ota_flash(uint32_t addr, uint32_t len)
{
    return addr >= OTA_FLASH_BASE && len <= OTA_FLASH_LEN &&
           addr - OTA_FLASH_BASE <= OTA_FLASH_LEN - len && (addr & 3u) == 0;
}

int system_get_flash_size_map(void)
{
    return 6;
}

uint8_t system_upgrade_userbin_check(void)
{
    return 0;
}

void system_upgrade_flag_set(uint8_t flag)
{
    upgrade_flag = flag;
}

uint8_t system_upgrade_flag_check(void)
{
    return upgrade_flag;
}

int spi_flash_erase_sector(uint16_t sec)
{
    uint32_t addr = (uint32_t)sec * 4096u;
    if (!in_ota_flash(addr, 4096u))
        return 1;
    for (uint32_t i = 0; i < 4096u; i++)
        ota_flash[addr - OTA_FLASH_BASE + i] = 0xFF;
    return 0;
}

int spi_flash_write(uint32_t addr, uint32_t *src, uint32_t size)
{
    if (!in_ota_flash(addr, size) || (size & 3u))
        return 1;
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t i = 0; i < size; i++)
        ota_flash[addr - OTA_FLASH_BASE + i] &= s[i];
    return 0;
}

int spi_flash_read(uint32_t addr, uint32_t *dst, uint32_t size)
{
    if (!in_ota_flash(addr, size) || (size & 3u))
        return 1;
    uint8_t *d = (uint8_t *)dst;
    for (uint32_t i = 0; i < size; i++)
        d[i] = ota_flash[addr - OTA_FLASH_BASE + i];
    return 0;
}

/* ---- the SDK calls the library's runtime makes --------------------------- */

/* Enough of printf for the library's log lines ("%s" plus literal text). */
int os_printf_plus(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            const char *s = va_arg(ap, const char *);
            puts_raw(s ? s : "(null)");
            p++;
        } else {
            chip_write(p, 1);
        }
    }
    va_end(ap);
    return 0;
}

void system_restart(void)
{
    puts_raw("FAIL system_restart called (panic or abort)\n");
    chip_exit(98);
}

uint32_t system_get_time(void)
{
    /* CCOUNT runs at 80 MHz on the chip; good enough for timeouts here. */
    return chip_ccount() / 80u;
}

int os_get_random(unsigned char *buf, size_t len)
{
    /* Deterministic: the tests must be reproducible, not secret. */
    static uint32_t x = 0x12345678u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (unsigned char)x;
    }
    return 0;
}

/* Referenced by the LoadStoreError installer; QEMU never raises cause 3. */
void *_xtos_set_exception_handler(int cause, void *fn)
{
    (void)cause;
    (void)fn;
    return NULL;
}

extern int lse_selftest(void);

void __attribute__((noreturn)) chip_start(void)
{
    for (char *p = _bss_start; p < _bss_end; p++)
        *p = 0;
    heap_init();
    int fails = lse_selftest();
    fails += chip_tests_main();
    chip_exit(fails);
}
