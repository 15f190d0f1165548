/* pwm.h: the SDK's software PWM (libpwm). Not simulated: a host program that
 * calls these fails to link, naming the call. */
#ifndef __PWM_H__
#define __PWM_H__

#include "c_types.h"

#define PWM_CHANNEL_NUM_MAX 8

struct pwm_param {
    uint32 period;
    uint32 freq;
    uint32 duty[PWM_CHANNEL_NUM_MAX];
};

/* pin_info_list: per channel {IO_MUX register, function, GPIO number}. */
void pwm_init(uint32 period, uint32 *duty, uint32 pwm_channel_num, uint32 (*pin_info_list)[3]);
void pwm_start(void);
void pwm_set_duty(uint32 duty, uint8 channel);
uint32 pwm_get_duty(uint8 channel);
void pwm_set_period(uint32 period);
uint32 pwm_get_period(void);
uint32 get_pwm_version(void);
void set_pwm_debug_en(uint8 print_en);

#endif /* __PWM_H__ */
