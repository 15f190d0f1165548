/*
 * The little MQTT 3.1.1 (QoS 0) the examples speak: packets built into the
 * caller's buffer, and incoming bytes reassembled into whole packets. Plain
 * NONOS user code, no library calls.
 */
#ifndef MQTT_PACKET_H
#define MQTT_PACKET_H

#include "c_types.h"

/* Each builder writes one packet to `out` (room for its body plus 4 bytes)
 * and returns its length. */
uint32 mqtt_connect_packet(uint8 *out, const char *client_id, uint8 keepalive_s);
uint32 mqtt_subscribe_packet(uint8 *out, uint16 packet_id, const char *topic);
uint32 mqtt_publish_packet(uint8 *out, const char *topic, const char *message);
uint32 mqtt_disconnect_packet(uint8 *out);

/* Reassembly of what the recv callback delivers (a packet may arrive in
 * pieces, several may arrive at once). */
struct mqtt_reader {
    uint8 buf[600];
    uint32 len;
};

/* Appends `data` and calls `on_packet(type, body, body_len)` for every
 * complete packet. False (nothing appended) when a packet would not fit. */
bool mqtt_read(struct mqtt_reader *r, const char *data, uint32 len,
               void (*on_packet)(uint8 type, const uint8 *body, uint32 len));

#endif
