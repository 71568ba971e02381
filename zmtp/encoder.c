/* encoder.c - frames into a caller buffer. Small frames are packed back to back so a
 * burst of messages leaves in one send; a body above copy_max gets only its header, and
 * the caller sends the body from where it already lives. With a CURVE session's crypto
 * every frame and command is sealed in a MESSAGE instead (curve.c), in the same buffer;
 * the plain path pays one test of a pointer for it. */
#include "zmtp.h"
#include "internal.h"

#include <string.h>

int zmtp_frame_header(uint8_t out[ZMTP_MAX_HEADER], unsigned flags, uint64_t size)
{
    if (size > ZMTP_SIZE_LIMIT || (flags & ~(ZMTP_FLAG_MORE | ZMTP_FLAG_COMMAND)) ||
        (flags & ZMTP_FLAG_MORE && flags & ZMTP_FLAG_COMMAND))
        return ZMTP_E_INVAL;
    /* LONG follows the whole body, command name included; deriving it from anything
     * less is how libzmq 4.3.4 came to send malformed SUBSCRIBEs (issue 4367). */
    if (size > 255) {
        out[0] = (uint8_t)(flags | ZMTP_FLAG_LONG);
        zmtp__put64(out + 1, size);
        return 9;
    }
    out[0] = (uint8_t)flags;
    out[1] = (uint8_t)size;
    return 2;
}

int zmtp_frame_header_v1(uint8_t out[ZMTP_MAX_HEADER_V1], unsigned flags, uint64_t size)
{
    if (size >= ZMTP_SIZE_LIMIT || (flags & ~ZMTP_FLAG_MORE))
        return ZMTP_E_INVAL;
    /* the length counts the flags byte; 255 and up take the 8-byte form */
    if (size + 1 >= 255) {
        out[0] = 0xff;
        zmtp__put64(out + 1, size + 1);
        out[9] = (uint8_t)flags;
        return 10;
    }
    out[0] = (uint8_t)(size + 1);
    out[1] = (uint8_t)flags;
    return 2;
}

/* A message frame's header in the encoder's framing (2.0's is 3.x's, minus commands). */
static int frame_header(const zmtp_encoder *e, uint8_t out[ZMTP_MAX_HEADER_V1], unsigned flags,
                        uint64_t size)
{
    if (e->framing == ZMTP_FRAMING_V1)
        return zmtp_frame_header_v1(out, flags, size);
    return zmtp_frame_header(out, flags, size);
}

void zmtp_encoder_init(zmtp_encoder *e, uint8_t *buf, size_t cap, size_t copy_max)
{
    e->buf = buf;
    e->cap = cap;
    e->len = 0;
    e->copy_max = copy_max;
    e->crypto = NULL;
    e->framing = ZMTP_FRAMING_V3;
}

int zmtp_encoder_set_framing(zmtp_encoder *e, int framing)
{
    if (framing != ZMTP_FRAMING_V1 && framing != ZMTP_FRAMING_V2 && framing != ZMTP_FRAMING_V3)
        return ZMTP_E_INVAL;
    e->framing = framing;
    return ZMTP_OK;
}

void zmtp_encoder_set_crypto(zmtp_encoder *e, zmtp_crypto *c)
{
    e->crypto = c;
}

void zmtp_encoder_reset(zmtp_encoder *e)
{
    e->len = 0;
}

/* Copies n <= SHORT_BODY bytes (a frame header, a short body) with fixed-size moves, two
 * that overlap when n is not their size: the compiler inlines them, where memcpy of a
 * variable size is a call. */
#define SHORT_BODY 32
_Static_assert(ZMTP_MAX_HEADER_V1 <= SHORT_BODY, "a header is short");
static inline void copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n >= 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

int zmtp_encoder_frame(zmtp_encoder *e, const void *body, size_t len, unsigned flags)
{
    uint8_t hdr[ZMTP_MAX_HEADER_V1];
    if (flags & ~ZMTP_FLAG_MORE)
        return ZMTP_E_INVAL;
    if (e->crypto) {
        /* sealing copies anyway: a large body is the caller's to seal in its own buffer */
        if (len > e->copy_max)
            return ZMTP_E_INVAL;
        zmtp__piece pc = {body, len};
        int rc = zmtp__encoder_sealed(e, flags, &pc, 1);
        return rc < 0 ? rc : ZMTP_ENC_PACKED;
    }
    int hlen = frame_header(e, hdr, flags, len);
    if (hlen < 0)
        return hlen;
    if ((size_t)hlen > sizeof hdr)
        return ZMTP_E_INVAL; /* never: it bounds the header's copy for the compiler */
    int separate = len > e->copy_max;
    size_t need = (size_t)hlen + (separate ? 0 : len);
    if (need > e->cap - e->len)
        return ZMTP_E_NOSPACE;
    /* the header and a short body with inlined moves: a call to memcpy for each was the
     * largest cost of the sending I/O thread at 8 B */
    copy_short(e->buf + e->len, hdr, (size_t)hlen);
    e->len += (size_t)hlen;
    if (!separate) {
        if (len <= SHORT_BODY)
            copy_short(e->buf + e->len, body, len);
        else
            memcpy(e->buf + e->len, body, len);
        e->len += len;
    }
    return separate ? ZMTP_ENC_SEPARATE : ZMTP_ENC_PACKED;
}

uint8_t *zmtp__encoder_command_space(zmtp_encoder *e, const char *name, size_t data_len)
{
    size_t nlen = strlen(name);
    uint8_t hdr[ZMTP_MAX_HEADER];
    if (nlen == 0 || nlen > 255 || data_len > SIZE_MAX / 2 || e->framing != ZMTP_FRAMING_V3)
        return NULL;
    size_t body = 1 + nlen + data_len;
    int hlen = zmtp_frame_header(hdr, ZMTP_FLAG_COMMAND, body);
    if (hlen < 0 || (size_t)hlen + body > e->cap - e->len)
        return NULL;
    uint8_t *p = e->buf + e->len;
    memcpy(p, hdr, (size_t)hlen);
    p += hlen;
    *p++ = (uint8_t)nlen;
    memcpy(p, name, nlen);
    e->len += (size_t)hlen + body;
    return p + nlen;
}

/* A command from up to two data pieces, so callers need no staging buffer. */
static int command2(zmtp_encoder *e, const char *name, const void *a, size_t alen,
                    const void *b, size_t blen)
{
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > 255 || alen > SIZE_MAX / 2 || blen > SIZE_MAX / 2 - alen - 256 ||
        e->framing != ZMTP_FRAMING_V3) /* ZMTP 1.0 and 2.0 have no commands */
        return ZMTP_E_INVAL;
    if (e->crypto) {
        uint8_t n8 = (uint8_t)nlen;
        zmtp__piece pc[] = {{&n8, 1}, {name, nlen}, {a, alen}, {b, blen}};
        return zmtp__encoder_sealed(e, ZMTP_FLAG_COMMAND, pc, 4);
    }
    uint8_t *p = zmtp__encoder_command_space(e, name, alen + blen);
    if (!p)
        return ZMTP_E_NOSPACE;
    if (alen)
        memcpy(p, a, alen);
    if (blen)
        memcpy(p + alen, b, blen);
    return ZMTP_OK;
}

int zmtp_encoder_command(zmtp_encoder *e, const char *name, const void *data, size_t len)
{
    return command2(e, name, data, len, NULL, 0);
}

int zmtp_encoder_ping(zmtp_encoder *e, uint16_t ttl, const void *context, size_t context_len)
{
    uint8_t t[2] = {(uint8_t)(ttl >> 8), (uint8_t)ttl};
    if (context_len > ZMTP_PING_MAX_CONTEXT)
        return ZMTP_E_INVAL;
    return command2(e, "PING", t, 2, context, context_len);
}

int zmtp_encoder_pong(zmtp_encoder *e, const void *context, size_t context_len)
{
    if (context_len > ZMTP_PING_MAX_CONTEXT)
        return ZMTP_E_INVAL;
    return command2(e, "PONG", context, context_len, NULL, 0);
}

int zmtp_encoder_subscription(zmtp_encoder *e, int peer_minor, int subscribe,
                              const void *topic, size_t topic_len)
{
    if (peer_minor >= 1 && e->framing == ZMTP_FRAMING_V3)
        return command2(e, subscribe ? "SUBSCRIBE" : "CANCEL", topic, topic_len, NULL, 0);
    /* A 3.0, 2.0 or 1.0 peer knows no SUBSCRIBE command: the subscription is a one-frame
     * message. */
    uint8_t hdr[ZMTP_MAX_HEADER_V1];
    if (topic_len > SIZE_MAX - 1)
        return ZMTP_E_INVAL;
    if (e->crypto) {
        uint8_t op = subscribe ? 1 : 0;
        zmtp__piece pc[] = {{&op, 1}, {topic, topic_len}};
        return zmtp__encoder_sealed(e, 0, pc, 2);
    }
    int hlen = frame_header(e, hdr, 0, topic_len + 1);
    if (hlen < 0)
        return hlen;
    if ((size_t)hlen + 1 + topic_len > e->cap - e->len)
        return ZMTP_E_NOSPACE;
    uint8_t *p = e->buf + e->len;
    memcpy(p, hdr, (size_t)hlen);
    p[hlen] = subscribe ? 1 : 0;
    if (topic_len)
        memcpy(p + hlen + 1, topic, topic_len);
    e->len += (size_t)hlen + 1 + topic_len;
    return ZMTP_OK;
}

int zmtp__encoder_metadata_command(zmtp_encoder *e, const char *name,
                                   const zmtp_property *props, size_t n)
{
    size_t nlen = strlen(name);
    int64_t mlen = zmtp_metadata_size(props, n);
    if (mlen < 0)
        return (int)mlen;
    if (nlen == 0 || nlen > 255 || e->crypto || e->framing != ZMTP_FRAMING_V3)
        return ZMTP_E_INVAL; /* READY and INITIATE: a 3.x handshake only */
    uint8_t *p = zmtp__encoder_command_space(e, name, (size_t)mlen);
    if (!p)
        return ZMTP_E_NOSPACE;
    zmtp_metadata_encode(p, (size_t)mlen, props, n);
    return ZMTP_OK;
}

int zmtp_encoder_ready(zmtp_encoder *e, const zmtp_property *props, size_t n)
{
    return zmtp__encoder_metadata_command(e, "READY", props, n);
}

int zmtp_encoder_error(zmtp_encoder *e, const char *reason, size_t reason_len)
{
    if (reason_len > 255)
        return ZMTP_E_INVAL;
    uint8_t n = (uint8_t)reason_len;
    return command2(e, "ERROR", &n, 1, reason, reason_len);
}
