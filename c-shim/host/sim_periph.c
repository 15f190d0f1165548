/*
 * sim_periph.c: the chip's peripherals as far as NONOS programs touch them
 * at start-up: a register file behind eagle_soc.h's register macros, the
 * GPIO calls of gpio.h, and host stand-ins for libdriver's UART calls
 * (driver/uart.h) and the ROM's uart_div_modify. UART output goes to stdout;
 * nothing ever arrives on a UART or raises an interrupt (the interrupt calls
 * are declared in the headers and deliberately not defined here, so a
 * program that relies on them fails to link).
 */
#include <stdio.h>
#include <string.h>

#include "c_types.h"
#include "eagle_soc.h"
#include "gpio.h"
#include "user_interface.h"
#include "driver/uart.h"
#include "sim_internal.h"

/* The DPORT block and the peripheral blocks 0x60000000..0x60001fff (UART0,
 * SPI, GPIO, timers, RTC, IO_MUX, UART1, RTC memory), in 4-byte words. */
#define PERI_BASE  0x60000000u
#define PERI_WORDS (0x2000u / 4)
#define DPORT_WORDS (0x400u / 4)
static uint32_t peri[PERI_WORDS];
static uint32_t dport[DPORT_WORDS];

volatile uint32_t *sim_peri_reg(uint32_t addr)
{
    if (addr % 4 != 0)
        sim_fatal("register access at unaligned address 0x%08x", addr);
    if (addr >= PERI_BASE && addr < PERI_BASE + PERI_WORDS * 4)
        return &peri[(addr - PERI_BASE) / 4];
    if (addr >= PERIPHS_DPORT_BASEADDR && addr < PERIPHS_DPORT_BASEADDR + DPORT_WORDS * 4)
        return &dport[(addr - PERIPHS_DPORT_BASEADDR) / 4];
    sim_fatal("register access at 0x%08x: not a simulated peripheral register", addr);
}

/* ---------------------------------------------------------------- GPIO */

#define GPIO_WORD(off) peri[(PERIPHS_GPIO_BASEADDR - PERI_BASE + (off)) / 4]

void gpio_init(void)
{
}

void gpio_output_set(uint32 set_mask, uint32 clear_mask, uint32 enable_mask, uint32 disable_mask)
{
    uint32_t before = GPIO_WORD(GPIO_OUT_ADDRESS);
    uint32_t out = (before | set_mask) & ~clear_mask & 0xffffu;
    GPIO_WORD(GPIO_OUT_ADDRESS) = out;
    GPIO_WORD(GPIO_ENABLE_ADDRESS) = (GPIO_WORD(GPIO_ENABLE_ADDRESS) | enable_mask) & ~disable_mask & 0xffffu;
    for (int pin = 0; pin < GPIO_PIN_COUNT; pin++) {
        uint32_t bit = 1u << pin;
        if ((set_mask | clear_mask) & bit && (before ^ out) & bit)
            printf("gpio: GPIO%d=%u\n", pin, (out >> pin) & 1u);
    }
}

uint32 gpio_input_get(void)
{
    return GPIO_WORD(GPIO_IN_ADDRESS);
}

void gpio_register_set(uint32 reg_id, uint32 value)
{
    if (reg_id >= GPIO_PIN_COUNT) /* GPIO_ID_PIN0 is 0 */
        sim_fatal("gpio_register_set: no pin register %u", reg_id);
    GPIO_WORD(GPIO_PIN_ADDR(GPIO_REGID_TO_PINIDX(reg_id))) = value;
}

uint32 gpio_register_get(uint32 reg_id)
{
    if (reg_id >= GPIO_PIN_COUNT) /* GPIO_ID_PIN0 is 0 */
        sim_fatal("gpio_register_get: no pin register %u", reg_id);
    return GPIO_WORD(GPIO_PIN_ADDR(GPIO_REGID_TO_PINIDX(reg_id)));
}

/* ---------------------------------------------------------------- UART */

static void uart_put(uint8_t uart_no, char c)
{
    (void)uart_no;
    putchar((unsigned char)c);
    if (c == '\n')
        fflush(stdout);
}

void uart_div_modify(uint8 uart_no, uint32 DivLatchValue)
{
    (void)uart_no;
    (void)DivLatchValue;
}

void uart_init(UartBautRate uart0_br, UartBautRate uart1_br)
{
    printf("uart: UART0 %d baud, UART1 %d baud (host: both print to stdout)\n", (int)uart0_br,
           (int)uart1_br);
}

void uart0_sendStr(const char *str)
{
    while (*str)
        uart_put(UART0, *str++);
}

void uart0_tx_buffer(uint8_t *buf, uint16_t len)
{
    for (uint16_t i = 0; i < len; i++)
        uart_put(UART0, (char)buf[i]);
}

STATUS uart_tx_one_char(uint8_t uart, uint8_t TxChar)
{
    uart_put(uart, (char)TxChar);
    return OK;
}

STATUS uart_tx_one_char_no_wait(uint8_t uart, uint8_t TxChar)
{
    return uart_tx_one_char(uart, TxChar);
}

void uart1_sendStr_no_wait(const char *str)
{
    while (*str)
        uart_put(UART1, *str++);
}

void uart_rx_intr_enable(uint8_t uart_no) { (void)uart_no; }
void uart_rx_intr_disable(uint8_t uart_no) { (void)uart_no; }

void UART_SetWordLength(uint8_t uart_no, UartBitsNum4Char len) { (void)uart_no; (void)len; }
void UART_SetStopBits(uint8_t uart_no, UartStopBitsNum bit_num) { (void)uart_no; (void)bit_num; }
void UART_SetLineInverse(uint8_t uart_no, UART_LineLevelInverse inverse_mask) { (void)uart_no; (void)inverse_mask; }
void UART_SetParity(uint8_t uart_no, UartParityMode Parity_mode) { (void)uart_no; (void)Parity_mode; }
void UART_SetBaudrate(uint8_t uart_no, uint32_t baud_rate) { (void)uart_no; (void)baud_rate; }
void UART_SetFlowCtrl(uint8_t uart_no, UART_HwFlowCtrl flow_ctrl, uint8_t rx_thresh)
{
    (void)uart_no;
    (void)flow_ctrl;
    (void)rx_thresh;
}
void UART_WaitTxFifoEmpty(uint8_t uart_no, uint32_t time_out_us)
{
    (void)uart_no;
    (void)time_out_us;
    fflush(stdout);
}
void UART_ResetFifo(uint8_t uart_no) { (void)uart_no; }
void UART_ClearIntrStatus(uint8_t uart_no, uint32_t clr_mask) { (void)uart_no; (void)clr_mask; }
void UART_SetIntrEna(uint8_t uart_no, uint32_t ena_mask) { (void)uart_no; (void)ena_mask; }
void UART_SetPrintPort(uint8_t uart_no) { (void)uart_no; }
bool UART_CheckOutputFinished(uint8_t uart_no, uint32_t time_out_us)
{
    (void)uart_no;
    (void)time_out_us;
    fflush(stdout);
    return true;
}
