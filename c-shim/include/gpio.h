/*
 * gpio.h: GPIO 0..15 of the NONOS SDK. On the host the simulator keeps the
 * pins' output and enable state in its GPIO registers (eagle_soc.h) and
 * prints each change of a pin's output level ("gpio: GPIOn=v"); inputs read
 * as 0 unless a program wrote the GPIO_IN register. Interrupts and wake-up
 * are not simulated: those calls are declared but not defined on the host,
 * so a program that uses them fails to link, naming the call.
 */
#ifndef _GPIO_H_
#define _GPIO_H_

#include "c_types.h"
#include "eagle_soc.h"

#define GPIO_PIN_ADDR(i) (GPIO_PIN0_ADDRESS + (i) * 4)

#define GPIO_ID_IS_PIN_REGISTER(reg_id) \
    (((reg_id) >= GPIO_ID_PIN0) && ((reg_id) <= GPIO_ID_PIN(GPIO_PIN_COUNT - 1)))

#define GPIO_REGID_TO_PINIDX(reg_id) ((reg_id) - GPIO_ID_PIN0)

typedef enum {
    GPIO_PIN_INTR_DISABLE = 0,
    GPIO_PIN_INTR_POSEDGE = 1,
    GPIO_PIN_INTR_NEGEDGE = 2,
    GPIO_PIN_INTR_ANYEDGE = 3,
    GPIO_PIN_INTR_LOLEVEL = 4,
    GPIO_PIN_INTR_HILEVEL = 5
} GPIO_INT_TYPE;

#define GPIO_OUTPUT_SET(gpio_no, bit_value) \
    gpio_output_set((bit_value) << (gpio_no), ((~(bit_value)) & 0x01) << (gpio_no), 1 << (gpio_no), 0)
#define GPIO_DIS_OUTPUT(gpio_no) gpio_output_set(0, 0, 0, 1 << (gpio_no))
#define GPIO_INPUT_GET(gpio_no)  ((gpio_input_get() >> (gpio_no)) & BIT0)

typedef void (*gpio_intr_handler_fn_t)(uint32 intr_mask, void *arg);

void gpio_init(void);
/* Sets the bits of set_mask, clears those of clear_mask, enables the outputs
 * of enable_mask and disables those of disable_mask. */
void gpio_output_set(uint32 set_mask, uint32 clear_mask, uint32 enable_mask, uint32 disable_mask);
uint32 gpio_input_get(void);
void gpio_register_set(uint32 reg_id, uint32 value);
uint32 gpio_register_get(uint32 reg_id);

/* Not simulated on the host. */
void gpio_intr_handler_register(gpio_intr_handler_fn_t fn, void *arg);
uint32 gpio_intr_pending(void);
void gpio_intr_ack(uint32 ack_mask);
void gpio_pin_wakeup_enable(uint32 i, GPIO_INT_TYPE intr_state);
void gpio_pin_wakeup_disable(void);
void gpio_pin_intr_state_set(uint32 i, GPIO_INT_TYPE intr_state);

#endif /* _GPIO_H_ */
