/*
 * sim_flash.c: a 4 MB SPI flash with NOR semantics (erase sets 0xFF, writes
 * can only clear bits), optionally backed by a file so that images placed
 * with --flash-place and data a program writes survive between runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c_types.h"
#include "spi_flash.h"
#include "sim.h"
#include "sim_internal.h"

static uint8_t *image;  /* libc memory: bookkeeping, not the SDK heap */
static int backing_fd = -1;

static uint8_t *flash(void)
{
    if (!image) {
        image = malloc(SIM_FLASH_SIZE);
        if (!image)
            sim_fatal("out of memory for the flash image");
        memset(image, 0xFF, SIM_FLASH_SIZE);
    }
    return image;
}

/* Write-through keeps the file valid even if the program crashes later. */
static void persist(uint32_t addr, uint32_t len)
{
    if (backing_fd < 0 || len == 0)
        return;
    if (pwrite(backing_fd, flash() + addr, len, addr) != (ssize_t)len)
        fprintf(stderr, "sim: flash file write failed: %s\n", strerror(errno));
}

int sim_flash_open(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        fprintf(stderr, "sim: cannot open flash file %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *img = flash();
    memset(img, 0xFF, SIM_FLASH_SIZE);
    ssize_t got = 0;
    while (got < (ssize_t)SIM_FLASH_SIZE) {
        ssize_t r = pread(fd, img + got, SIM_FLASH_SIZE - (size_t)got, got);
        if (r < 0) {
            fprintf(stderr, "sim: cannot read flash file %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        got += r;
    }
    if (backing_fd >= 0)
        close(backing_fd);
    backing_fd = fd;
    /* A new or short file becomes a full erased chip. */
    if (got < (ssize_t)SIM_FLASH_SIZE)
        persist((uint32_t)got, SIM_FLASH_SIZE - (uint32_t)got);
    return 0;
}

int sim_flash_place(uint32_t sector, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sim: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint64_t start = (uint64_t)sector * SPI_FLASH_SEC_SIZE;
    uint8_t *img = flash();
    if (start >= SIM_FLASH_SIZE) {
        fprintf(stderr, "sim: sector 0x%x is beyond the 4 MB flash\n", sector);
        fclose(f);
        return -1;
    }
    uint8_t *buf = malloc(SIM_FLASH_SIZE);
    if (!buf)
        sim_fatal("out of memory");
    size_t n = fread(buf, 1, SIM_FLASH_SIZE, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (extra || start + n > SIM_FLASH_SIZE) {
        fprintf(stderr, "sim: %s does not fit at sector 0x%x\n", path, sector);
        free(buf);
        return -1;
    }
    uint64_t end = start + n;
    uint64_t erase_end = (end + SPI_FLASH_SEC_SIZE - 1) / SPI_FLASH_SEC_SIZE * SPI_FLASH_SEC_SIZE;
    if (erase_end == start)
        erase_end = start + SPI_FLASH_SEC_SIZE;    /* an empty file still erases */
    memset(img + start, 0xFF, erase_end - start);
    memcpy(img + start, buf, n);
    free(buf);
    persist((uint32_t)start, (uint32_t)(erase_end - start));
    return 0;
}

static int range_ok(uint32_t addr, const void *ptr, uint32_t size)
{
    /* The flash controller moves whole 32-bit words. */
    if ((addr & 3) || (size & 3) || ((uintptr_t)ptr & 3))
        return 0;
    return (uint64_t)addr + size <= SIM_FLASH_SIZE;
}

SpiFlashOpResult spi_flash_read(uint32 src_addr, uint32 *des_addr, uint32 size)
{
    if (!des_addr || !range_ok(src_addr, des_addr, size))
        return SPI_FLASH_RESULT_ERR;
    memcpy(des_addr, flash() + src_addr, size);
    return SPI_FLASH_RESULT_OK;
}

SpiFlashOpResult spi_flash_write(uint32 des_addr, uint32 *src_addr, uint32 size)
{
    if (!src_addr || !range_ok(des_addr, src_addr, size))
        return SPI_FLASH_RESULT_ERR;
    uint8_t *dst = flash() + des_addr;
    const uint8_t *src = (const uint8_t *)src_addr;
    for (uint32_t i = 0; i < size; i++)
        dst[i] &= src[i];   /* NOR: programming only clears bits */
    persist(des_addr, size);
    return SPI_FLASH_RESULT_OK;
}

SpiFlashOpResult spi_flash_erase_sector(uint16 sec)
{
    if ((uint32_t)sec * SPI_FLASH_SEC_SIZE >= SIM_FLASH_SIZE)
        return SPI_FLASH_RESULT_ERR;
    memset(flash() + (uint32_t)sec * SPI_FLASH_SEC_SIZE, 0xFF, SPI_FLASH_SEC_SIZE);
    persist((uint32_t)sec * SPI_FLASH_SEC_SIZE, SPI_FLASH_SEC_SIZE);
    return SPI_FLASH_RESULT_OK;
}

uint32 spi_flash_get_id(void)
{
    return 0x1640EF;    /* a 4 MB Winbond part, as on common modules */
}
