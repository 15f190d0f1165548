/* json/jsonparse.h: the SDK's streaming JSON parser (libjson). Not
 * simulated: a host program that calls these fails to link, naming the call. */
#ifndef __JSONPARSE_H__
#define __JSONPARSE_H__

#include "c_types.h"
#include "json/json.h"

#ifdef JSONPARSE_CONF_MAX_DEPTH
#define JSONPARSE_MAX_DEPTH JSONPARSE_CONF_MAX_DEPTH
#else
#define JSONPARSE_MAX_DEPTH 10
#endif

struct jsonparse_state {
    const char *json;
    int pos;
    int len;
    int depth;
    int vstart;
    int vlen;
    char vtype;
    char error;
    char stack[JSONPARSE_MAX_DEPTH];
};

void jsonparse_setup(struct jsonparse_state *state, const char *json, int len);
int jsonparse_next(struct jsonparse_state *state);
int jsonparse_copy_value(struct jsonparse_state *state, char *buf, int buf_size);
int jsonparse_get_value_as_int(struct jsonparse_state *state);
long jsonparse_get_value_as_long(struct jsonparse_state *state);
unsigned long jsonparse_get_value_as_ulong(struct jsonparse_state *state);
int jsonparse_get_len(struct jsonparse_state *state);
int jsonparse_get_type(struct jsonparse_state *state);
int jsonparse_strcmp_value(struct jsonparse_state *state, const char *str);

#endif /* __JSONPARSE_H__ */
