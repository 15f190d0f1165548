/* The examples' MQTT framing (see mqtt_packet.h). */
#include "osapi.h"
#include "mqtt_packet.h"

static uint32 ICACHE_FLASH_ATTR put_str(uint8 *p, const char *s)
{
    uint32 n = os_strlen(s);
    p[0] = (uint8)(n >> 8);
    p[1] = (uint8)n;
    os_memcpy(p + 2, s, n);
    return n + 2;
}

/* Fixed header with a one- or two-byte remaining length; the body, built at
 * out+4, is moved down to follow the header. Returns the packet length. */
static uint32 ICACHE_FLASH_ATTR finish_packet(uint8 *out, uint8 type, uint32 body_len)
{
    uint32 hdr = body_len < 128 ? 2 : 3;
    out[0] = type;
    if (hdr == 2) {
        out[1] = (uint8)body_len;
    } else {
        out[1] = (uint8)(0x80 | (body_len & 0x7F));
        out[2] = (uint8)(body_len >> 7);
    }
    os_memmove(out + hdr, out + 4, body_len);
    return hdr + body_len;
}

uint32 ICACHE_FLASH_ATTR mqtt_connect_packet(uint8 *out, const char *client_id, uint8 keepalive_s)
{
    uint8 *b = out + 4;
    uint32 n = put_str(b, "MQTT");
    b[n++] = 4;    /* protocol level 3.1.1 */
    b[n++] = 0x02; /* clean session */
    b[n++] = 0;
    b[n++] = keepalive_s;
    n += put_str(b + n, client_id);
    return finish_packet(out, 0x10, n);
}

uint32 ICACHE_FLASH_ATTR mqtt_subscribe_packet(uint8 *out, uint16 packet_id, const char *topic)
{
    uint8 *b = out + 4;
    uint32 n = 0;
    b[n++] = (uint8)(packet_id >> 8);
    b[n++] = (uint8)packet_id;
    n += put_str(b + n, topic);
    b[n++] = 0; /* QoS 0 */
    return finish_packet(out, 0x82, n);
}

uint32 ICACHE_FLASH_ATTR mqtt_publish_packet(uint8 *out, const char *topic, const char *message)
{
    uint8 *b = out + 4;
    uint32 n = put_str(b, topic);
    uint32 m = os_strlen(message);
    os_memcpy(b + n, message, m);
    return finish_packet(out, 0x30, n + m);
}

uint32 ICACHE_FLASH_ATTR mqtt_disconnect_packet(uint8 *out)
{
    out[0] = 0xE0;
    out[1] = 0;
    return 2;
}

bool ICACHE_FLASH_ATTR mqtt_read(struct mqtt_reader *r, const char *data, uint32 len,
                                 void (*on_packet)(uint8 type, const uint8 *body, uint32 len))
{
    if (r->len + len > sizeof r->buf)
        return false;
    os_memcpy(r->buf + r->len, data, len);
    r->len += len;
    for (;;) {
        uint32 rl = 0, mult = 1, i = 1, total;
        bool complete = false;
        while (i < r->len && i <= 4) {
            uint8 b = r->buf[i++];
            rl += (uint32)(b & 0x7F) * mult;
            mult *= 128;
            if (!(b & 0x80)) {
                complete = true;
                break;
            }
        }
        if (!complete)
            return true; /* fixed header not complete yet */
        total = i + rl;
        if (r->len < total)
            return true;
        on_packet(r->buf[0], r->buf + i, rl);
        os_memmove(r->buf, r->buf + total, r->len - total);
        r->len -= total;
    }
}
