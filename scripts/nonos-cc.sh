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
# A 32-bit program, as on the chip: gcc -m32, linked with the simulator and
# the library built for i686 (mk/host.mk). Pointers are 4 bytes, so NONOS
# code's casts of pointers to uint32 (os_param_t, ETSParam, espconn's
# `reverse`) keep them whole, to globals, the heap and the stack alike, and
# SDK structures have the chip's layout. (The 64-bit simulator linked -no-pie
# to keep globals and the heap below 4 GB; a 32-bit process needs no such
# placement, and the cast warnings it silenced do not arise.)
# README "Run your own firmware on a PC".
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

set -- -m32 -std=gnu11 \
    "$@" \
    -I"$ROOT/c-shim/include" -I"$ROOT/include"

if [ "$link" = 1 ]; then
    set -- "$@" "$HOSTDIR/sim_main.o" "$HOSTDIR/libespconn_secure.a" \
        -lpthread -ldl -lm
fi

if [ "${NONOS_CC_VERBOSE:-0}" = 1 ]; then
    echo "$CC $*" >&2
fi
exec "$CC" "$@"
