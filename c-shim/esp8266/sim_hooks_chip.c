/*
 * Chip versions of the simulator hooks the C examples use (c-shim/include/
 * sim_hooks.h): on a real device there are no command-line arguments and
 * "exit" means restart. Lives in libsdkstub.a, never in the shipped archive.
 */
#include <stddef.h>

#include "sim_hooks.h"

extern void system_restart(void);

const char *sim_arg(const char *name)
{
    (void)name;
    return NULL;
}

const char *sim_arg_file(const char *name, unsigned int *len)
{
    (void)name;
    if (len)
        *len = 0;
    return NULL;
}

void sim_exit(int code)
{
    (void)code;
    system_restart();
}

void sim_heap_reset_peak(void)
{
}
