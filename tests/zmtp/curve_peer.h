/* curve_peer.h - a scripted CURVE peer made of libsodium calls alone, written from RFC 26
 * and libzmq 4.3.4's byte layouts without zmtp/curve.c: the codec's tests and its fuzzer
 * play the other side of a handshake with it, so they can put what they like inside
 * boxes that open (a vouch for other keys, another handshake's cookie, a nonce that goes
 * back, any metadata, any inner flags) and see the codec refuse it by name.
 *
 * Its randomness is a seeded generator, so a script replays byte for byte: the fuzzer
 * feeds the same bytes whole and split and compares what the codec does. Nothing here
 * is a CURVE implementation to copy: it checks nothing a test does not ask it to. */
#ifndef ZAIO_TESTS_ZMTP_CURVE_PEER_H
#define ZAIO_TESTS_ZMTP_CURVE_PEER_H

#include "zmtp.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct cpeer {
    bool server;
    uint64_t rng;
    uint8_t pub[32], sec[32];       /* long-term: C, c (client) or S, s (server) */
    uint8_t server_pub[32];         /* client: S */
    uint8_t cn_pub[32], cn_sec[32]; /* short-term: ours */
    uint8_t peer_cn[32];            /* short-term: the codec's */
    uint8_t peer_pub[32];           /* server: the client's C, from INITIATE */
    uint8_t cookie[96];             /* client: from WELCOME */
    uint8_t cookie_key[32];         /* server */
    uint8_t key[32];                /* the session key */
    uint64_t nonce;                 /* our next short nonce */
} cpeer;

/* What a client script may get wrong on purpose. Zero: everything right. */
typedef struct cp_tamper {
    bool hello_version;       /* HELLO says version 2.0 */
    bool hello_box_not_zero;  /* the HELLO box holds a 1 among its zeros */
    bool vouch_other_server;  /* the vouch names another S */
    bool vouch_other_cn;      /* the vouch names another C' */
    const uint8_t *cookie;    /* INITIATE returns this cookie, not WELCOME's */
    bool initiate_old_nonce;  /* INITIATE reuses HELLO's nonce */
} cp_tamper;

/* A libsodium call that cannot fail with the keys a script has: a failure is a bug. */
#define CP_MUST(call) \
    do { \
        if ((call) != 0) \
            __builtin_trap(); \
    } while (0)

static inline void cp_random(cpeer *p, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p->rng ^= p->rng << 13;
        p->rng ^= p->rng >> 7;
        p->rng ^= p->rng << 17;
        buf[i] = (uint8_t)(p->rng >> 24);
    }
}

static inline void cp_nonce(uint8_t n[24], const char *prefix16, uint64_t v)
{
    memcpy(n, prefix16, 16);
    for (int i = 0; i < 8; i++)
        n[16 + i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t cp_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Frames a command: header, name, then data_len bytes of data, which start at
 * out + *data_at for the caller to fill. Returns the frame's size. */
static inline size_t cp_command(uint8_t *out, const char *name, size_t data_len, size_t *data_at)
{
    size_t nlen = strlen(name), body = 1 + nlen + data_len;
    int h = zmtp_frame_header(out, ZMTP_FLAG_COMMAND, body);
    out[h] = (uint8_t)nlen;
    memcpy(out + h + 1, name, nlen);
    *data_at = (size_t)h + 1 + nlen;
    return (size_t)h + body;
}

static inline void cp_init(cpeer *p, bool server, const uint8_t pub[32], const uint8_t sec[32],
                           const uint8_t *server_pub, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    if (sodium_init() < 0)
        __builtin_trap();
    p->server = server;
    p->rng = seed ? seed : 0x9e3779b97f4a7c15u;
    memcpy(p->pub, pub, 32);
    memcpy(p->sec, sec, 32);
    if (server_pub)
        memcpy(p->server_pub, server_pub, 32);
    cp_random(p, p->cn_sec, 32);
    crypto_scalarmult_base(p->cn_pub, p->cn_sec);
    p->nonce = 1;
}

/* ---- the client's side ---------------------------------------------------------------- */

static inline size_t cp_hello(cpeer *p, uint8_t *out, const cp_tamper *t)
{
    size_t at, n = cp_command(out, "HELLO", 194, &at);
    uint8_t *d = out + at, nn[24], plain[64] = {0};
    d[0] = t && t->hello_version ? 2 : 1;
    d[1] = 0;
    memset(d + 2, 0, 72);
    memcpy(d + 74, p->cn_pub, 32);
    uint64_t v = p->nonce++;
    cp_nonce(nn, "CurveZMQHELLO---", v);
    memcpy(d + 106, nn + 16, 8);
    if (t && t->hello_box_not_zero)
        plain[63] = 1;
    CP_MUST(crypto_box_detached(d + 130, d + 114, plain, 64, nn, p->server_pub, p->cn_sec));
    return n;
}

static inline int cp_on_welcome(cpeer *p, const uint8_t *d, size_t len)
{
    uint8_t nn[24], w[128];
    if (len != 160)
        return -1;
    memcpy(nn, "WELCOME-", 8);
    memcpy(nn + 8, d, 16);
    if (crypto_box_open_detached(w, d + 32, d + 16, 128, nn, p->server_pub, p->cn_sec) != 0)
        return -1;
    memcpy(p->peer_cn, w, 32);
    memcpy(p->cookie, w + 32, 96);
    return crypto_box_beforenm(p->key, p->peer_cn, p->cn_sec);
}

static inline size_t cp_initiate(cpeer *p, uint8_t *out, const uint8_t *md, size_t md_len,
                                 const cp_tamper *t)
{
    size_t at, plain_len = 128 + md_len;
    size_t n = cp_command(out, "INITIATE", 96 + 8 + 16 + plain_len, &at);
    uint8_t *d = out + at, nn[24], vn[24], vouch[64];
    memcpy(d, t && t->cookie ? t->cookie : p->cookie, 96);
    uint64_t v = t && t->initiate_old_nonce ? p->nonce - 1 : p->nonce++;
    cp_nonce(nn, "CurveZMQINITIATE", v);
    memcpy(d + 96, nn + 16, 8);
    uint8_t *box = d + 120;
    memcpy(box, p->pub, 32);
    memcpy(vn, "VOUCH---", 8);
    cp_random(p, vn + 8, 16);
    memcpy(box + 32, vn + 8, 16);
    memcpy(vouch, p->cn_pub, 32);
    memcpy(vouch + 32, p->server_pub, 32);
    if (t && t->vouch_other_cn)
        vouch[0] ^= 1;
    if (t && t->vouch_other_server)
        vouch[32] ^= 1;
    CP_MUST(crypto_box_detached(box + 64, box + 48, vouch, 64, vn, p->peer_cn, p->sec));
    if (md_len)
        memcpy(box + 128, md, md_len);
    crypto_box_detached_afternm(box, d + 104, box, plain_len, nn, p->key);
    return n;
}

/* READY's metadata, opened into md (cap bytes); its length, or -1. */
static inline long cp_on_ready(cpeer *p, const uint8_t *d, size_t len, uint8_t *md, size_t cap)
{
    uint8_t nn[24];
    if (len < 24 || len - 24 > cap)
        return -1;
    cp_nonce(nn, "CurveZMQREADY---", cp_get64(d));
    if (crypto_box_open_detached_afternm(md, d + 24, d + 8, len - 24, nn, p->key) != 0)
        return -1;
    return (long)(len - 24);
}

/* ---- the server's side ----------------------------------------------------------------- */

static inline int cp_on_hello(cpeer *p, const uint8_t *d, size_t len)
{
    uint8_t nn[24], plain[64];
    if (len != 194)
        return -1;
    memcpy(p->peer_cn, d + 74, 32);
    cp_nonce(nn, "CurveZMQHELLO---", cp_get64(d + 106));
    return crypto_box_open_detached(plain, d + 130, d + 114, 64, nn, p->peer_cn, p->sec);
}

static inline size_t cp_welcome(cpeer *p, uint8_t *out)
{
    size_t at, n = cp_command(out, "WELCOME", 160, &at);
    uint8_t *d = out + at, cn[24], wn[24], w[128], ck[64];
    cp_random(p, p->cookie_key, 32);
    memcpy(cn, "COOKIE--", 8);
    cp_random(p, cn + 8, 16);
    memcpy(ck, p->peer_cn, 32);
    memcpy(ck + 32, p->cn_sec, 32);
    memcpy(w, p->cn_pub, 32);
    memcpy(w + 32, cn + 8, 16);
    crypto_secretbox_detached(w + 64, w + 48, ck, 64, cn, p->cookie_key);
    memcpy(wn, "WELCOME-", 8);
    cp_random(p, wn + 8, 16);
    memcpy(d, wn + 8, 16);
    CP_MUST(crypto_box_detached(d + 32, d + 16, w, 128, wn, p->peer_cn, p->sec));
    CP_MUST(crypto_box_beforenm(p->key, p->peer_cn, p->cn_sec));
    return n;
}

/* Opens INITIATE's box (nothing else is checked): 0 or -1. */
static inline int cp_on_initiate(cpeer *p, const uint8_t *d, size_t len)
{
    static uint8_t plain[65536];
    uint8_t nn[24];
    if (len < 248 || len - 120 > sizeof plain)
        return -1;
    cp_nonce(nn, "CurveZMQINITIATE", cp_get64(d + 96));
    if (crypto_box_open_detached_afternm(plain, d + 120, d + 104, len - 120, nn, p->key) != 0)
        return -1;
    memcpy(p->peer_pub, plain, 32);
    return 0;
}

static inline size_t cp_ready(cpeer *p, uint8_t *out, const uint8_t *md, size_t md_len)
{
    size_t at, n = cp_command(out, "READY", 24 + md_len, &at);
    uint8_t *d = out + at, nn[24];
    uint64_t v = p->nonce++;
    cp_nonce(nn, "CurveZMQREADY---", v);
    memcpy(d, nn + 16, 8);
    if (md_len)
        memcpy(d + 24, md, md_len);
    crypto_box_detached_afternm(d + 24, d + 8, d + 24, md_len, nn, p->key);
    return n;
}

/* ---- MESSAGE, either side ------------------------------------------------------------------ */

/* A MESSAGE frame around inner flags (any byte) and a body; nonce 0: the next one. */
static inline size_t cp_message(cpeer *p, uint8_t *out, uint8_t inner, const void *body,
                                size_t len, uint64_t nonce)
{
    int h = zmtp_frame_header(out, 0, 33 + len);
    uint8_t *d = out + h, nn[24];
    uint64_t v = nonce ? nonce : p->nonce++;
    cp_nonce(nn, p->server ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC", v);
    memcpy(d, "\x07MESSAGE", 8);
    memcpy(d + 8, nn + 16, 8);
    d[32] = inner;
    if (len)
        memcpy(d + 33, body, len);
    crypto_box_detached_afternm(d + 32, d + 16, d + 32, len + 1, nn, p->key);
    return (size_t)h + 33 + len;
}

/* Opens a MESSAGE body from the codec into plain (flags byte first): its length or -1. */
static inline long cp_open(cpeer *p, const uint8_t *body, size_t len, uint8_t *plain)
{
    uint8_t nn[24];
    if (len < 33 || memcmp(body, "\x07MESSAGE", 8) != 0)
        return -1;
    cp_nonce(nn, p->server ? "CurveZMQMESSAGEC" : "CurveZMQMESSAGES", cp_get64(body + 8));
    if (crypto_box_open_detached_afternm(plain, body + 32, body + 16, len - 32, nn, p->key) != 0)
        return -1;
    return (long)(len - 32);
}

#endif
