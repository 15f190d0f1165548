/* sim_internal.h: glue between the simulator's own modules. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <poll.h>
#include <stdint.h>

/* Microseconds since the simulated boot (monotonic). */
uint64_t sim_now_us(void);

/* Deferred work run from the loop, FIFO, after `delay_us`. Everything an API
 * call must report through a callback goes through here so that callbacks
 * never run inside the API call that caused them. `owner` lets a module drop
 * the pending work of an object it frees. */
typedef void (*sim_defer_fn)(void *owner, intptr_t arg);
void sim_defer(sim_defer_fn fn, void *owner, intptr_t arg, uint64_t delay_us);
void sim_defer_cancel(void *owner);

/* Implemented by the network module; the loop owns poll(). */
#define SIM_MAX_FDS 64
int  sim_net_prepare(struct pollfd *fds, void **tags, int max, uint64_t *deadline_us);
void sim_net_dispatch(struct pollfd *fds, void **tags, int n);
/* Each call the simulator makes into the program starts here (sim_system.c:
 * public-key operations are counted per SDK callback). */
void sim_callback_boundary(void);
void sim_net_check_deadlines(void);

/* Implemented by the system module. */
void sim_system_boot_done(void);
extern int sim_in_user_init;

/* Error exit for simulator bugs and API misuse that would corrupt the chip. */
void sim_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif /* SIM_INTERNAL_H */
