/*
 * The C test programs' one assertion: prints "CHECK name ok" or
 * "CHECK name FAIL got=G want=W" and counts the failures; the Rust side
 * (tests/records.rs, secure_api.rs, server.rs) asserts those lines and the
 * final failure count.
 */
#ifndef TESTS_C_CHECK_H
#define TESTS_C_CHECK_H

#include "osapi.h"

static int failures;

static void check(const char *name, int got, int want)
{
    if (got == want) {
        os_printf("CHECK %s ok\n", name);
    } else {
        os_printf("CHECK %s FAIL got=%d want=%d\n", name, got, want);
        failures++;
    }
}

#endif
