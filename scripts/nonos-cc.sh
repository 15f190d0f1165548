#!/bin/sh
# nonos-cc: compiles a NONOS SDK program for the host simulator.
#
# Takes what gcc takes (.c files, -I, -D, -O, -W, -o, -c, -l, ...) and adds our
# SDK headers (c-shim/include, include/) and, when it links, the simulator's
# main() and the library (build/host/libespconn_secure.a, which bundles the
# simulator). The result takes the simulator's options at run time (--heap,
# --flash, --time, --run-for, ...; README "The simulator's options").
#
#   nonos-cc -Iinclude -DSPI_FLASH_SIZE_MAP=4 user/*.c driver/*.c -o app
#   ./app --flash flash.img --run-for 20000
#
# Pointers as on the chip: NONOS code passes pointers through 32-bit values
# (os_param_t, ETSParam, uint32). The program is linked at a low address
# as a position-dependent executable (-no-pie: text at 0x400000), so pointers to its globals, to the SDK heap
# (pvPortMalloc, os_malloc) and to libc's brk heap fit in 32 bits; the casts'
# size warnings are silenced. Stack addresses stay above 4 GB: a pointer to a
# local variable does not survive a cast to uint32 (it would not outlive the
# call on the chip either). README "Run your own firmware on a PC".
#
# Environment: NONOS_CC (the compiler, default gcc), NONOS_CC_VERBOSE=1 prints
# the command.
#
# make examples writes build/host/nonos-cc from scripts/nonos-cc.sh with the
# paths below filled in.
set -e

ROOT='@ROOT@'
HOSTDIR='@HOSTDIR@'
CC="${NONOS_CC:-gcc}"

link=1
for a in "$@"; do
    case "$a" in
        -c|-S|-E|-M|-MM|-fsyntax-only) link=0 ;;
    esac
done

set -- -std=gnu11 \
    -Wno-pointer-to-int-cast -Wno-int-to-pointer-cast \
    "$@" \
    -I"$ROOT/c-shim/include" -I"$ROOT/include"

if [ "$link" = 1 ]; then
    set -- -no-pie "$@" "$HOSTDIR/sim_main.o" "$HOSTDIR/libespconn_secure.a" \
        -lpthread -ldl -lm
fi

if [ "${NONOS_CC_VERBOSE:-0}" = 1 ]; then
    echo "$CC $*" >&2
fi
exec "$CC" "$@"
