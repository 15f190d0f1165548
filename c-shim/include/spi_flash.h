/* spi_flash.h: raw SPI flash access (4096-byte sectors). */
#ifndef SPI_FLASH_H
#define SPI_FLASH_H

#include "c_types.h"

typedef enum {
    SPI_FLASH_RESULT_OK,
    SPI_FLASH_RESULT_ERR,
    SPI_FLASH_RESULT_TIMEOUT
} SpiFlashOpResult;

typedef struct {
    uint32 deviceId;
    uint32 chip_size;
    uint32 block_size;
    uint32 sector_size;
    uint32 page_size;
    uint32 status_mask;
} SpiFlashChip;

#define SPI_FLASH_SEC_SIZE 4096

uint32 spi_flash_get_id(void);
SpiFlashOpResult spi_flash_erase_sector(uint16 sec);
SpiFlashOpResult spi_flash_write(uint32 des_addr, uint32 *src_addr, uint32 size);
SpiFlashOpResult spi_flash_read(uint32 src_addr, uint32 *des_addr, uint32 size);

/* Not simulated (a host program that calls these fails to link). */
typedef SpiFlashOpResult (*user_spi_flash_read)(SpiFlashChip *spi, uint32 src_addr, uint32 *des_addr, uint32 size);
void spi_flash_set_read_func(user_spi_flash_read read);
bool spi_flash_erase_protect_enable(void);
bool spi_flash_erase_protect_disable(void);

#endif /* SPI_FLASH_H */
