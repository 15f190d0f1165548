/* ets_sys.h: ROM OS types of the NONOS SDK (events, tasks, timers). */
#ifndef _ETS_SYS_H
#define _ETS_SYS_H

#include "c_types.h"

typedef uint32_t ETSSignal;
typedef uint32_t ETSParam;

typedef struct ETSEventTag ETSEvent;

struct ETSEventTag {
    ETSSignal sig;
    ETSParam  par;
};

typedef void (*ETSTask)(ETSEvent *e);

/* Timers are owned by the caller; the OS only links them. 20 bytes. */
typedef void ETSTimerFunc(void *timer_arg);

typedef struct _ETSTIMER_ {
    struct _ETSTIMER_ *timer_next;
    uint32_t           timer_expire;
    uint32_t           timer_period;
    ETSTimerFunc      *timer_func;
    void              *timer_arg;
} ETSTimer;

/* Interrupt numbers, for code that attaches handlers. */
#define ETS_SLC_INUM        1
#define ETS_SPI_INUM        2
#define ETS_GPIO_INUM       4
#define ETS_UART_INUM       5
#define ETS_UART1_INUM      5
#define ETS_FRC_TIMER1_INUM 9

void ets_intr_lock(void);
void ets_intr_unlock(void);

#define ETS_INTR_LOCK()   ets_intr_lock()
#define ETS_INTR_UNLOCK() ets_intr_unlock()

#endif /* _ETS_SYS_H */
