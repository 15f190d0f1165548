/*
 * driver/uart.h: the UART calls of the SDK's driver library (libdriver,
 * built from driver_lib/; applications usually carry a copy of its
 * include/driver/uart.h). Project-written from the library's names and
 * values. On the chip the program links libdriver. On the host the simulator
 * defines these: UART0 and UART1 output goes to stdout, configuration calls
 * are accepted and do nothing, no input ever arrives.
 */
#ifndef UART_APP_H
#define UART_APP_H

#include "c_types.h"
#include "eagle_soc.h"

#define UART0 0
#define UART1 1

/* UART_CONF0 line inversion bits. */
#define UART_RXD_INV BIT19
#define UART_CTS_INV BIT20
#define UART_TXD_INV BIT22
#define UART_RTS_INV BIT23
#define UART_LINE_INV_MASK (0x3f << 19)

typedef enum {
    FIVE_BITS  = 0x0,
    SIX_BITS   = 0x1,
    SEVEN_BITS = 0x2,
    EIGHT_BITS = 0x3
} UartBitsNum4Char;

typedef enum {
    ONE_STOP_BIT      = 0x1,
    ONE_HALF_STOP_BIT = 0x2,
    TWO_STOP_BIT      = 0x3
} UartStopBitsNum;

typedef enum {
    NONE_BITS = 0x2,
    ODD_BITS  = 1,
    EVEN_BITS = 0
} UartParityMode;

typedef enum {
    STICK_PARITY_DIS = 0,
    STICK_PARITY_EN  = 1
} UartExistParity;

typedef enum {
    UART_None_Inverse = 0x0,
    UART_Rxd_Inverse  = UART_RXD_INV,
    UART_CTS_Inverse  = UART_CTS_INV,
    UART_Txd_Inverse  = UART_TXD_INV,
    UART_RTS_Inverse  = UART_RTS_INV
} UART_LineLevelInverse;

typedef enum {
    BIT_RATE_300     = 300,
    BIT_RATE_600     = 600,
    BIT_RATE_1200    = 1200,
    BIT_RATE_2400    = 2400,
    BIT_RATE_4800    = 4800,
    BIT_RATE_9600    = 9600,
    BIT_RATE_19200   = 19200,
    BIT_RATE_38400   = 38400,
    BIT_RATE_57600   = 57600,
    BIT_RATE_74880   = 74880,
    BIT_RATE_115200  = 115200,
    BIT_RATE_230400  = 230400,
    BIT_RATE_460800  = 460800,
    BIT_RATE_921600  = 921600,
    BIT_RATE_1843200 = 1843200,
    BIT_RATE_3686400 = 3686400
} UartBautRate;

typedef enum {
    NONE_CTRL,
    HARDWARE_CTRL,
    XON_XOFF_CTRL
} UartFlowCtrl;

typedef enum {
    USART_HardwareFlowControl_None    = 0x0,
    USART_HardwareFlowControl_RTS     = 0x1,
    USART_HardwareFlowControl_CTS     = 0x2,
    USART_HardwareFlowControl_CTS_RTS = 0x3
} UART_HwFlowCtrl;

#define UART_FIFO_LEN            128
#define UART_TX_EMPTY_THRESH_VAL 0x10

#define FUNC_UART0_CTS 4
#define FUNC_U0CTS     4

/* Both UARTs at these rates; os_printf goes to UART1 afterwards on the
 * chip, to stdout on the host. */
void uart_init(UartBautRate uart0_br, UartBautRate uart1_br);
void uart0_sendStr(const char *str);
void uart0_tx_buffer(uint8_t *buf, uint16_t len);
STATUS uart_tx_one_char(uint8_t uart, uint8_t TxChar);
STATUS uart_tx_one_char_no_wait(uint8_t uart, uint8_t TxChar);
void uart1_sendStr_no_wait(const char *str);
void uart_rx_intr_enable(uint8_t uart_no);
void uart_rx_intr_disable(uint8_t uart_no);

void UART_SetWordLength(uint8_t uart_no, UartBitsNum4Char len);
void UART_SetStopBits(uint8_t uart_no, UartStopBitsNum bit_num);
void UART_SetLineInverse(uint8_t uart_no, UART_LineLevelInverse inverse_mask);
void UART_SetParity(uint8_t uart_no, UartParityMode Parity_mode);
void UART_SetBaudrate(uint8_t uart_no, uint32_t baud_rate);
void UART_SetFlowCtrl(uint8_t uart_no, UART_HwFlowCtrl flow_ctrl, uint8_t rx_thresh);
void UART_WaitTxFifoEmpty(uint8_t uart_no, uint32_t time_out_us);
void UART_ResetFifo(uint8_t uart_no);
void UART_ClearIntrStatus(uint8_t uart_no, uint32_t clr_mask);
void UART_SetIntrEna(uint8_t uart_no, uint32_t ena_mask);
void UART_SetPrintPort(uint8_t uart_no);
bool UART_CheckOutputFinished(uint8_t uart_no, uint32_t time_out_us);

#endif /* UART_APP_H */
