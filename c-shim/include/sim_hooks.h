/*
 * sim_hooks.h: the only non-SDK calls example programs make, so that one
 * source builds for the host simulator and for the chip. On the chip the
 * firmware links stubs: sim_arg() returns NULL and sim_exit() restarts.
 */
#ifndef SIM_HOOKS_H
#define SIM_HOOKS_H

/* Ends the simulated run once the current callback returns; the process exit
 * status is `code`. */
void sim_exit(int code);

/* Value of `--name VALUE` on the simulator's command line, or NULL. */
const char *sim_arg(const char *name);

/* Contents of the file named by `--name FILE`, NUL-terminated (the NUL is not
 * counted in *len), or NULL when the option is absent or the file unreadable.
 * The buffer stays valid until exit. Host only: NULL on the chip. */
const char *sim_arg_file(const char *name, unsigned int *len);

/* Restarts the simulator's heap peak (the `heap_peak=` printed at exit) from
 * what is in use now, so that the figure covers only what follows (bench
 * figures of a later phase). Host only: does nothing on the chip. */
void sim_heap_reset_peak(void);

#endif /* SIM_HOOKS_H */
