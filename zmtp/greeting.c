/* greeting.c - the 64-byte greeting: ours, and the peer's decoded as it trickles in.
 *
 * A monitoring probe, a browser, a TLS client or an old ZeroMQ is told apart from a
 * ZMTP 3 peer within the first bytes, so the transport can drop it at once with a
 * named reason instead of waiting out a handshake timeout. */
#include "zmtp.h"
#include "internal.h"

#include <string.h>

int zmtp_greeting_encode(uint8_t out[ZMTP_GREETING_SIZE], const char *mechanism, int as_server)
{
    size_t mlen = mechanism ? strlen(mechanism) : 0;
    if (mlen == 0 || mlen > ZMTP_MECHANISM_SIZE)
        return ZMTP_E_INVAL;
    memset(out, 0, ZMTP_GREETING_SIZE);
    out[0] = 0xff;
    /* Padding: libzmq sends 1 here (a routing-id length + 1), which a ZMTP 1.0 peer
     * reads as a zero-length identity frame and so fails cleanly. */
    out[8] = 1;
    out[9] = 0x7f;
    out[10] = 3;
    out[11] = 1;
    memcpy(out + 12, mechanism, mlen);
    out[32] = as_server ? 1 : 0;
    return ZMTP_OK;
}

void zmtp_greeting_decoder_init(zmtp_greeting_decoder *g)
{
    memset(g, 0, sizeof *g);
}

static const char *const http_methods[] = {
    "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ", "OPTIONS ", "TRACE ", "PATCH ",
    "PRI ", /* HTTP/2 preface */
};

/* For a stream that does not start with 0xFF: 0 while the bytes so far cannot tell,
 * else the error that names what the peer is. */
static int classify_foreign(const uint8_t *b, size_t have)
{
    int maybe_http = 0;
    for (size_t m = 0; m < sizeof http_methods / sizeof http_methods[0]; m++) {
        size_t n = strlen(http_methods[m]);
        size_t k = have < n ? have : n;
        if (memcmp(b, http_methods[m], k) == 0) {
            if (have >= n)
                return ZMTP_E_HTTP;
            maybe_http = 1;
        }
    }
    if (maybe_http)
        return 0;
    if (have < 2)
        return 0;
    /* TLS record: handshake (0x16), version major 3 (SSL 3.0 up to TLS 1.3). */
    if (b[0] == 0x16 && b[1] == 0x03)
        return ZMTP_E_TLS;
    /* ZMTP 1.0 opens with its identity frame: a 1-byte length (flags + body, so >= 1)
     * and a flags byte that has at most MORE set. */
    if (b[0] >= 1 && b[1] <= 1)
        return ZMTP_E_OLD_VERSION;
    return ZMTP_E_NOT_ZMTP;
}

static int check_prefix(const uint8_t *b, size_t have)
{
    if (b[0] != 0xff)
        return classify_foreign(b, have);
    /* 0xFF then an 8-byte length whose last byte lacks bit 0... is how a ZMTP 1.0 peer
     * with a long identity starts; 2.0 and 3.x set bit 0 of byte 9. Like libzmq, only
     * that bit is checked, not the whole 0x7F. */
    if (have > 9 && !(b[9] & 1))
        return ZMTP_E_OLD_VERSION;
    if (have > 10 && b[10] < 3)
        return ZMTP_E_OLD_VERSION;
    return 0;
}

int zmtp__signature_check(const uint8_t *b, size_t have)
{
    if (have == 0)
        return ZMTP__SIG_MORE;
    if (b[0] != 0xff) {
        /* libzmq takes any first byte but 0xFF for ZMTP 1.0; zaio still names HTTP, TLS
         * and noise, and takes only what can open a 1.0 identity frame */
        int rc = classify_foreign(b, have);
        return rc == ZMTP_E_OLD_VERSION ? ZMTP__SIG_V1 : rc < 0 ? rc : ZMTP__SIG_MORE;
    }
    if (have < 10)
        return ZMTP__SIG_MORE;
    /* bit 0 of byte 9 clear: the flags byte of a 1.0 identity frame with a long length */
    return (b[9] & 1) ? ZMTP__SIG_VERSIONED : ZMTP__SIG_V1;
}

ptrdiff_t zmtp_greeting_decode(zmtp_greeting_decoder *g, const uint8_t *in, size_t len,
                               zmtp_greeting *out, int *done)
{
    *done = 0;
    if (g->err)
        return g->err;
    size_t take = ZMTP_GREETING_SIZE - g->have;
    if (take > len)
        take = len;
    /* Examine byte by byte up to the version so a verdict comes at the earliest byte. */
    size_t i = 0;
    while (i < take) {
        g->buf[g->have++] = in[i++];
        if (g->have <= 11) {
            int rc = check_prefix(g->buf, g->have);
            if (rc < 0)
                return g->err = rc;
        } else {
            size_t rest = take - i;
            memcpy(g->buf + g->have, in + i, rest);
            g->have += rest;
            i += rest;
        }
    }
    if (g->have < ZMTP_GREETING_SIZE)
        return (ptrdiff_t)i;
    out->major = g->buf[10];
    out->minor = g->buf[11];
    memcpy(out->mechanism, g->buf + 12, ZMTP_MECHANISM_SIZE);
    out->mechanism[ZMTP_MECHANISM_SIZE] = 0;
    out->as_server = g->buf[32] != 0;
    *done = 1;
    return (ptrdiff_t)i;
}

int zmtp_version_negotiate(const zmtp_greeting *peer)
{
    /* Any version from 3.0 up is accepted; a 3.0 peer gets 3.0, everyone else our 3.1. */
    return peer->major == 3 && peer->minor == 0 ? 0 : 1;
}
