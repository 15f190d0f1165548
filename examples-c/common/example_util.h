/*
 * Small helpers shared by the examples: option parsing without a C library
 * (the chip toolchain has none), WiFi start-up, and printing received bytes.
 * Everything here is ordinary NONOS user code.
 */
#ifndef EXAMPLE_UTIL_H
#define EXAMPLE_UTIL_H

#include "c_types.h"
#include "ip_addr.h"
#include "espconn.h"

/* Decimal or 0x-hex unsigned number; `dflt` when `s` is NULL or malformed. */
uint32 ex_parse_uint(const char *s, uint32 dflt);

/* The value of one hex digit, or -1. */
int ex_hex_digit(char c);

/* Parses exactly 2*n hex digits of `s` into `out`. False when malformed. */
bool ex_parse_hex(const char *s, uint8 *out, uint32 n);

/* Splits "HOST:PORT" into `host` (NUL-terminated, at most `cap`-1 chars) and
 * `*port`. Returns false when malformed. */
bool ex_parse_hostport(const char *s, char *host, uint32 cap, int *port);

/* Prints `len` bytes as text, one os_printf per line-sized piece. */
void ex_print_bytes(const char *data, uint32 len);

/* Joins the access point from the usual station config, starts SNTP once
 * the station has an IP address and calls `ready` when SNTP has the time.
 * With --set-time UNIX (host) it sets the library's clock with
 * espconn_secure_set_time instead ("SET TIME N ok|refused"), never starts
 * SNTP, and calls `ready` at once (--set-time-wait MS: MS later; --sntp-too:
 * starts SNTP as well and waits for it as without --set-time). */
void ex_wifi_start(void (*ready)(void));

/* Resolves `host` and calls `done(ip)` (ip NULL on failure). */
void ex_resolve(struct espconn *conn, const char *host, void (*done)(const ip_addr_t *ip));

/* Resolves `host`, sets it as `conn`'s remote address and calls
 * espconn_secure_connect; on failure prints why and ends the run. Prints
 * heap_free_before_connect=N first, which scripts compare with the heap left
 * at exit. With --take-heap N (host) it then allocates N bytes, as another
 * part of a firmware would while the handshake runs ("TOOK N bytes of heap,
 * F free"), until ex_give_back_heap() (ex_report_reconnect calls it). */
void ex_secure_connect_to(struct espconn *conn, const char *host);

/* Frees what --take-heap took (nothing without it). */
void ex_give_back_heap(void);

/* Sets `conn` up as a TCP client of `port` (on `tcp`) with the five
 * callbacks, then applies the common TLS options (ex_apply_tls_options).
 * Returns false if an option was rejected. */
bool ex_tls_client_init(struct espconn *conn, esp_tcp *tcp, int port,
                        espconn_connect_callback on_connect, espconn_recv_callback on_recv,
                        espconn_sent_callback on_sent, espconn_connect_callback on_disconnect,
                        espconn_reconnect_callback on_reconnect);

/* Applies the common TLS options: --ca-sector, --cert-sector, --size,
 * --hostname (for `conn`), --session-cache N, --alpn a,b,c,
 * --handshake-timeout S (espconn_secure_set_handshake_timeout). Returns false if an option was rejected. */
bool ex_apply_tls_options(struct espconn *conn);

/* With --alpn: prints "ALPN <selected>" or "ALPN (none)"; with
 * --session-cache: "RESUMED yes|no". Call from the connect callback. */
void ex_report_session(struct espconn *conn);

/* Prints "RECONNECT err=N" plus the library's code and reason text. */
void ex_report_reconnect(struct espconn *conn, sint8 err);

/* After a deep-sleep wake, loads the session blob kept in RTC memory
 * (enable the session cache first). Prints "WAKE cold boot" or "WAKE from
 * deep sleep", then "SESSION LOADED" or "SESSION REFUSED". */
bool ex_session_restore(void);

/* Saves `conn`'s session to RTC memory ("SESSION SAVED N bytes"), wipes the
 * staging buffer and enters deep sleep for `seconds` (RAM and heap are lost;
 * the simulator keeps RTC memory in its --rtc file and exits). */
void ex_session_sleep(struct espconn *conn, uint32 seconds);

#endif
