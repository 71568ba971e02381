/* curve.c - CURVE (RFC 26, CurveZMQ) as libzmq 4.3.4 speaks it: the four handshake
 * commands, which handshake.c drives, and the MESSAGE boxes every frame travels in once
 * the handshake is done.
 *
 * Design notes
 * ------------
 * Keys: C, S are the client's and server's long-term public keys, c and s their secret
 * ones; C', S', c', s' the short-term ones, made for this connection alone. Every box
 * is libsodium's crypto_box (X25519, XSalsa20, Poly1305): a 16-byte MAC, then the
 * ciphertext, as long as the plaintext. The wire layouts (the data after each
 * command's name), byte for byte what libzmq 4.3.4 sends and expects:
 *   HELLO     (194)  version 1.0 | 72 zeros | C' | nonce 8 | box[64 zeros](C'->S)
 *   WELCOME   (160)  nonce 16 | box[S' | cookie](S->C')
 *                    cookie = nonce 16 | secretbox[C' | s'](cookie key)
 *   INITIATE  (248+) cookie 96 | nonce 8 | box[C | vouch nonce 16 | vouch | metadata](C'->S')
 *                    vouch = box[C' | S](C->S')
 *   READY     (24+)  nonce 8 | box[metadata](S'->C')
 *   MESSAGE   (33+)  "\x07MESSAGE" | nonce 8 | box[flags | frame](C'->S' or S'->C')
 * An 8-byte nonce is a counter, big-endian, behind a 16-byte prefix that names the
 * command ("CurveZMQHELLO---", "CurveZMQINITIATE", "CurveZMQREADY---", and
 * "CurveZMQMESSAGEC" or "...S" by the sender's role); each side counts from 1 over its
 * handshake commands and its messages alike (the client's first MESSAGE is 3, the
 * server's 2). A 16-byte nonce is random, behind "WELCOME-", "COOKIE--" or "VOUCH---".
 *
 * What a peer must prove, and where it fails (the codes are libzmq's):
 *  - HELLO opens with s: the client knows S (a wrong server key ends here, CRYPTO).
 *  - WELCOME opens with c': the answer comes from the holder of s.
 *  - INITIATE's cookie opens with this handshake's cookie key and holds this C' and s'
 *    (CRYPTO), its nonce is above HELLO's (NONCE), its box opens with s' (CRYPTO), and
 *    the vouch opens with C and s' and names C' and S (KEY_EXCHANGE): the holder of c
 *    speaks for C'. Only then is C handed to the ZAP handler.
 *  - every MESSAGE's nonce is above the last (NONCE: a replay or a reordering) and its
 *    box opens with the session key (CRYPTO). The nonce moves only when the box opened.
 * Stricter than libzmq: the HELLO box must hold zeros, the vouch must name S as well as
 * C' (libzmq checks C' only), INITIATE's nonce must be above HELLO's, and a MESSAGE may
 * not carry MORE outside its box nor unknown flags inside it. libzmq's own peers pass
 * every one of these.
 *
 * Secrets (long- and short-term secret keys, the cookie key, the session key, opened
 * plaintexts) live in the state below and in the handshake's buffers only, and are
 * wiped with sodium_memzero when the handshake or the crypto state is freed. The
 * cookie key is made afresh for every WELCOME, so a cookie is good for one handshake. */
#include "zmtp.h"
#include "internal.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    KEY = ZMTP_CURVE_KEY_SIZE,
    MACB = crypto_box_MACBYTES,            /* 16 */
    NONCE24 = crypto_box_NONCEBYTES,       /* 24 */
    HELLO_DATA = 2 + 72 + KEY + 8 + MACB + 64,
    WELCOME_DATA = 16 + MACB + KEY + 16 + MACB + 2 * KEY,
    COOKIE = 16 + MACB + 2 * KEY,          /* what WELCOME gives and INITIATE returns */
    VOUCH = MACB + 2 * KEY,
    INITIATE_BOX_MIN = KEY + 16 + VOUCH,   /* before the metadata */
    INITIATE_MIN = COOKIE + 8 + MACB + INITIATE_BOX_MIN,
    READY_MIN = 8 + MACB,
    MSG_HEAD = 8 + 8                       /* "\x07MESSAGE" and the nonce */
};

_Static_assert(HELLO_DATA == 194 && WELCOME_DATA == 160 && INITIATE_MIN == 248,
               "libzmq's sizes: HELLO 200, WELCOME 168, INITIATE at least 257 with the name");
_Static_assert(MSG_HEAD + MACB + 1 == ZMTP_CRYPTO_OVERHEAD, "the MESSAGE overhead");

/* The inner flags of a MESSAGE's box (libzmq's msg_t::more and msg_t::command). */
#define BOX_MORE 0x01u
#define BOX_COMMAND 0x02u

struct zmtp_crypto {
    uint8_t key[crypto_box_BEFORENMBYTES]; /* ours short-term secret x the peer's public */
    uint64_t nonce;      /* the next one we send */
    uint64_t peer_nonce; /* the peer's last; the next must be above it */
    bool server;
    bool keyed;
    int err;             /* an open failed: the connection is over */
};

struct zmtp__curve {
    bool server;
    zmtp_random_fn random;
    void *random_arg;
    uint8_t pub[KEY], sec[KEY];       /* our long-term pair: C and c, or S and s */
    uint8_t server_pub[KEY];          /* client: S */
    uint8_t cn_pub[KEY], cn_sec[KEY]; /* our short-term pair */
    uint8_t peer_cn[KEY];             /* the peer's short-term public key */
    uint8_t cookie[COOKIE];           /* client: WELCOME's cookie, for INITIATE */
    uint8_t cookie_key[crypto_secretbox_KEYBYTES]; /* server: this handshake's */
    uint8_t client_pub[KEY];          /* server: C, from INITIATE */
    uint8_t *plain;                   /* INITIATE's or READY's box, opened */
    size_t plain_cap;
    zmtp_crypto *crypto;              /* the session: handed over at the end */
};

static void random_bytes(zmtp__curve *c, uint8_t *buf, size_t n)
{
    if (c->random)
        c->random(c->random_arg, buf, n);
    else
        randombytes_buf(buf, n);
}

static void nonce24(uint8_t n[NONCE24], const char *prefix16, uint64_t v)
{
    memcpy(n, prefix16, 16);
    zmtp__put64(n + 16, v);
}

/* A nonce of a prefix of 8 and 16 bytes that travel (random ones). */
static void nonce24_long(uint8_t n[NONCE24], const char *prefix8, const uint8_t *tail16)
{
    memcpy(n, prefix8, 8);
    memcpy(n + 8, tail16, 16);
}

int zmtp_curve_available(void)
{
    return 1;
}

void zmtp_wipe(void *p, size_t n)
{
    if (p && n)
        sodium_memzero(p, n);
}

static int init_sodium(void)
{
    /* idempotent and thread-safe; fails only when the system has no randomness */
    return sodium_init() < 0 ? ZMTP_E_NO_CURVE : ZMTP_OK;
}

int zmtp_curve_keypair(uint8_t pub[KEY], uint8_t sec[KEY])
{
    int rc = init_sodium();
    if (rc < 0)
        return rc;
    return crypto_box_keypair(pub, sec) == 0 ? ZMTP_OK : ZMTP_E_CRYPTO;
}

int zmtp_curve_public(uint8_t pub[KEY], const uint8_t sec[KEY])
{
    int rc = init_sodium();
    if (rc < 0)
        return rc;
    return crypto_scalarmult_base(pub, sec) == 0 ? ZMTP_OK : ZMTP_E_CRYPTO;
}

/* ---- the message phase ---------------------------------------------------------------- */

void zmtp_crypto_free(zmtp_crypto *c)
{
    if (!c)
        return;
    sodium_memzero(c, sizeof *c);
    free(c);
}

uint64_t zmtp_crypto_sealed_size(uint64_t len)
{
    uint64_t body = len + ZMTP_CRYPTO_OVERHEAD;
    return (body > 255 ? 9 : 2) + body;
}

static ptrdiff_t seal(zmtp_crypto *c, uint8_t *out, size_t cap, unsigned flags,
                      const zmtp__piece *pc, int n)
{
    if (!c || !c->keyed || (flags & ~(ZMTP_FLAG_MORE | ZMTP_FLAG_COMMAND)) ||
        (flags & ZMTP_FLAG_MORE && flags & ZMTP_FLAG_COMMAND))
        return ZMTP_E_INVAL;
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (pc[i].n > SIZE_MAX / 2 - len - 64)
            return ZMTP_E_INVAL;
        len += pc[i].n;
    }
    uint8_t hdr[ZMTP_MAX_HEADER];
    /* a message frame, never a command frame: libzmq sends it so, and would take a
     * COMMAND (or MORE) flag outside the box as the frame's own and drop it */
    int hlen = zmtp_frame_header(hdr, 0, len + ZMTP_CRYPTO_OVERHEAD);
    if (hlen < 0)
        return hlen;
    size_t total = (size_t)hlen + len + ZMTP_CRYPTO_OVERHEAD;
    if (total > cap)
        return ZMTP_E_NOSPACE;
    if (c->nonce == UINT64_MAX)
        return ZMTP_E_NONCE; /* never reuse a nonce: the connection must end first */
    uint64_t v = c->nonce++;
    uint8_t *p = out;
    memcpy(p, hdr, (size_t)hlen);
    p += hlen;
    memcpy(p, "\x07MESSAGE", 8);
    zmtp__put64(p + 8, v);
    uint8_t *mac = p + MSG_HEAD, *plain = mac + MACB;
    plain[0] = (uint8_t)((flags & ZMTP_FLAG_MORE ? BOX_MORE : 0) |
                         (flags & ZMTP_FLAG_COMMAND ? BOX_COMMAND : 0));
    size_t at = 1;
    for (int i = 0; i < n; i++) {
        if (pc[i].n)
            memcpy(plain + at, pc[i].p, pc[i].n);
        at += pc[i].n;
    }
    uint8_t nn[NONCE24];
    nonce24(nn, c->server ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC", v);
    crypto_box_detached_afternm(plain, mac, plain, len + 1, nn, c->key); /* in place */
    return (ptrdiff_t)total;
}

ptrdiff_t zmtp_crypto_seal(zmtp_crypto *c, uint8_t *out, size_t cap, unsigned flags,
                           const void *body, size_t len)
{
    if (len && !body)
        return ZMTP_E_INVAL;
    zmtp__piece pc = {body, len};
    return seal(c, out, cap, flags, &pc, 1);
}

int zmtp__encoder_sealed(zmtp_encoder *e, unsigned flags, const zmtp__piece *pc, int n)
{
    ptrdiff_t r = seal(e->crypto, e->buf + e->len, e->cap - e->len, flags, pc, n);
    if (r < 0)
        return (int)r;
    e->len += (size_t)r;
    return ZMTP_OK;
}

static int open_fail(zmtp_crypto *c, int err)
{
    c->err = err;
    return err;
}

int zmtp_crypto_open(zmtp_crypto *c, unsigned frame_flags, const uint8_t *body, size_t len,
                     uint8_t *out, size_t out_cap, unsigned *flags, uint8_t **frame,
                     size_t *frame_len)
{
    if (!c || !c->keyed || (len && !body) || !out)
        return ZMTP_E_INVAL;
    if (c->err)
        return c->err;
    if (len < 8 || memcmp(body, "\x07MESSAGE", 8) != 0)
        return open_fail(c, ZMTP_E_UNEXPECTED_COMMAND);
    /* the MORE that counts is the one inside the box, where nobody can forge it */
    if (len < ZMTP_CRYPTO_OVERHEAD || (frame_flags & ZMTP_FLAG_MORE))
        return open_fail(c, ZMTP_E_MALFORMED_MESSAGE);
    size_t clen = len - MSG_HEAD - MACB;
    if (out_cap < clen)
        return ZMTP_E_INVAL;
    uint64_t v = zmtp__get64(body + 8);
    if (v <= c->peer_nonce)
        return open_fail(c, ZMTP_E_NONCE);
    uint8_t nn[NONCE24];
    nonce24(nn, c->server ? "CurveZMQMESSAGEC" : "CurveZMQMESSAGES", v);
    if (crypto_box_open_detached_afternm(out, body + MSG_HEAD + MACB, body + MSG_HEAD, clen, nn,
                                         c->key) != 0)
        return open_fail(c, ZMTP_E_CRYPTO);
    c->peer_nonce = v;
    uint8_t f = out[0];
    if (f & ~(BOX_MORE | BOX_COMMAND))
        return open_fail(c, ZMTP_E_RESERVED_FLAGS);
    if ((f & BOX_MORE) && (f & BOX_COMMAND))
        return open_fail(c, ZMTP_E_COMMAND_MORE);
    *flags = (f & BOX_MORE ? ZMTP_FLAG_MORE : 0) | (f & BOX_COMMAND ? ZMTP_FLAG_COMMAND : 0);
    *frame = out + 1;
    *frame_len = clen - 1;
    return ZMTP_OK;
}

/* ---- the handshake ------------------------------------------------------------------------ */

zmtp__curve *zmtp__curve_new(const zmtp_handshake_config *cfg, int *err)
{
    int rc = init_sodium();
    zmtp__curve *c = NULL;
    if (rc < 0)
        goto fail;
    rc = ZMTP_E_INVAL;
    if (!cfg->curve_secret || (!cfg->as_server && (!cfg->curve_public || !cfg->curve_server)))
        goto fail;
    rc = ZMTP_E_NOMEM;
    if (!(c = calloc(1, sizeof *c)) || !(c->crypto = calloc(1, sizeof *c->crypto)))
        goto fail;
    c->server = cfg->as_server != 0;
    c->random = cfg->random;
    c->random_arg = cfg->random_arg;
    memcpy(c->sec, cfg->curve_secret, KEY);
    rc = ZMTP_E_INVAL;
    if (c->server) {
        /* libzmq's servers are given the secret key only: S follows from s */
        if (crypto_scalarmult_base(c->pub, c->sec) != 0)
            goto fail;
    } else {
        memcpy(c->pub, cfg->curve_public, KEY);
        memcpy(c->server_pub, cfg->curve_server, KEY);
    }
    random_bytes(c, c->cn_sec, KEY);
    if (crypto_scalarmult_base(c->cn_pub, c->cn_sec) != 0)
        goto fail;
    c->crypto->server = c->server;
    c->crypto->nonce = 1;
    return c;
fail:
    zmtp__curve_free(c);
    *err = rc;
    return NULL;
}

static void plain_free(zmtp__curve *c)
{
    if (c->plain)
        sodium_memzero(c->plain, c->plain_cap);
    free(c->plain);
    c->plain = NULL;
    c->plain_cap = 0;
}

void zmtp__curve_free(zmtp__curve *c)
{
    if (!c)
        return;
    zmtp_crypto_free(c->crypto);
    plain_free(c);
    sodium_memzero(c, sizeof *c);
    free(c);
}

static uint8_t *plain_space(zmtp__curve *c, size_t n)
{
    if (c->plain_cap < n) {
        plain_free(c);
        if (!(c->plain = malloc(n ? n : 1)))
            return NULL;
        c->plain_cap = n;
    }
    return c->plain;
}

size_t zmtp__curve_output_max(size_t md_len)
{
    /* each side sends two of these; the sum covers either, with long headers */
    return (9 + 6 + HELLO_DATA) + (9 + 8 + WELCOME_DATA) + (9 + 9 + INITIATE_MIN + md_len) +
           (9 + 6 + READY_MIN + md_len);
}

const uint8_t *zmtp__curve_client_key(const zmtp__curve *c)
{
    return c->client_pub;
}

zmtp_crypto *zmtp__curve_take_crypto(zmtp__curve *c)
{
    zmtp_crypto *k = c->crypto;
    if (!k || !k->keyed)
        return NULL;
    c->crypto = NULL;
    return k;
}

/* INITIATE's and READY's boxes are under the session key, with a short nonce: sealed in
 * place (the MAC, then plain_len bytes of plaintext at mac + 16), and opened into the
 * plaintext buffer (NULL and *err when they do not open). */
static void session_seal(zmtp__curve *c, const char *prefix16, uint64_t v, uint8_t *mac,
                         size_t plain_len)
{
    uint8_t nn[NONCE24];
    nonce24(nn, prefix16, v);
    crypto_box_detached_afternm(mac + MACB, mac, mac + MACB, plain_len, nn, c->crypto->key);
}

static uint8_t *session_open(zmtp__curve *c, const char *prefix16, uint64_t v,
                             const uint8_t *mac, size_t plain_len, int *err)
{
    uint8_t *p = plain_space(c, plain_len), nn[NONCE24];
    if (!p) {
        *err = ZMTP_E_NOMEM;
        return NULL;
    }
    nonce24(nn, prefix16, v);
    if (crypto_box_open_detached_afternm(p, mac + MACB, mac, plain_len, nn, c->crypto->key) != 0) {
        *err = ZMTP_E_CRYPTO;
        return NULL;
    }
    return p;
}

/* A command queued in place failed half way: nothing of it may go out. */
static int undo(zmtp_encoder *e, size_t mark, int err)
{
    zmtp_wipe(e->buf + mark, e->len - mark);
    e->len = mark;
    return err;
}

int zmtp__curve_hello(zmtp__curve *c, zmtp_encoder *e)
{
    size_t mark = e->len;
    uint8_t *d = zmtp__encoder_command_space(e, "HELLO", HELLO_DATA);
    if (!d)
        return ZMTP_E_NOSPACE;
    d[0] = 1; /* CurveZMQ 1.0 */
    d[1] = 0;
    memset(d + 2, 0, 72); /* anti-amplification: HELLO is as large as WELCOME */
    memcpy(d + 74, c->cn_pub, KEY);
    uint64_t v = c->crypto->nonce++;
    zmtp__put64(d + 106, v);
    uint8_t *mac = d + 114, *box = mac + MACB;
    memset(box, 0, 64);
    uint8_t nn[NONCE24];
    nonce24(nn, "CurveZMQHELLO---", v);
    if (crypto_box_detached(box, mac, box, 64, nn, c->server_pub, c->cn_sec) != 0)
        return undo(e, mark, ZMTP_E_CRYPTO); /* S is no usable key */
    return ZMTP_OK;
}

int zmtp__curve_on_hello(zmtp__curve *c, const uint8_t *d, size_t len)
{
    if (len != HELLO_DATA || d[0] != 1 || d[1] != 0)
        return ZMTP_E_MALFORMED_HELLO;
    memcpy(c->peer_cn, d + 74, KEY);
    uint64_t v = zmtp__get64(d + 106);
    uint8_t nn[NONCE24], zeros[64];
    nonce24(nn, "CurveZMQHELLO---", v);
    if (crypto_box_open_detached(zeros, d + 114 + MACB, d + 114, 64, nn, c->peer_cn, c->sec) != 0)
        return ZMTP_E_CRYPTO; /* the client does not know our S */
    if (!sodium_is_zero(zeros, sizeof zeros))
        return ZMTP_E_CRYPTO;
    c->crypto->peer_nonce = v;
    return ZMTP_OK;
}

int zmtp__curve_welcome(zmtp__curve *c, zmtp_encoder *e)
{
    size_t mark = e->len;
    uint8_t *d = zmtp__encoder_command_space(e, "WELCOME", WELCOME_DATA);
    if (!d)
        return ZMTP_E_NOSPACE;
    /* box[S' | cookie] goes at d + 16 + MACB, sealed in place once it is filled in */
    uint8_t *w = d + 16 + MACB;
    memcpy(w, c->cn_pub, KEY);
    /* the cookie: C' and s' under a key of this handshake alone */
    uint8_t cn[NONCE24];
    memcpy(cn, "COOKIE--", 8);
    random_bytes(c, cn + 8, 16);
    random_bytes(c, c->cookie_key, sizeof c->cookie_key);
    memcpy(w + KEY, cn + 8, 16);
    uint8_t *cmac = w + KEY + 16, *cbox = cmac + MACB;
    memcpy(cbox, c->peer_cn, KEY);
    memcpy(cbox + KEY, c->cn_sec, KEY);
    crypto_secretbox_detached(cbox, cmac, cbox, 2 * KEY, cn, c->cookie_key);
    uint8_t wn[NONCE24];
    memcpy(wn, "WELCOME-", 8);
    random_bytes(c, wn + 8, 16);
    memcpy(d, wn + 8, 16);
    if (crypto_box_detached(w, d + 16, w, KEY + COOKIE, wn, c->peer_cn, c->sec) != 0)
        return undo(e, mark, ZMTP_E_CRYPTO); /* C' is no usable key */
    return ZMTP_OK;
}

int zmtp__curve_on_welcome(zmtp__curve *c, const uint8_t *d, size_t len)
{
    if (len != WELCOME_DATA)
        return ZMTP_E_MALFORMED_WELCOME;
    uint8_t wn[NONCE24], w[KEY + COOKIE];
    nonce24_long(wn, "WELCOME-", d);
    int rc = ZMTP_E_CRYPTO; /* not from the holder of s: a wrong server key */
    if (crypto_box_open_detached(w, d + 16 + MACB, d + 16, sizeof w, wn, c->server_pub,
                                 c->cn_sec) == 0) {
        memcpy(c->peer_cn, w, KEY);
        memcpy(c->cookie, w + KEY, COOKIE);
        if (crypto_box_beforenm(c->crypto->key, c->peer_cn, c->cn_sec) == 0) {
            c->crypto->keyed = true;
            rc = ZMTP_OK;
        }
    }
    sodium_memzero(w, sizeof w);
    return rc;
}

int zmtp__curve_initiate(zmtp__curve *c, zmtp_encoder *e, const uint8_t *md, size_t md_len)
{
    size_t mark = e->len, plain_len = INITIATE_BOX_MIN + md_len;
    uint8_t *d = zmtp__encoder_command_space(e, "INITIATE", COOKIE + 8 + MACB + plain_len);
    if (!d)
        return ZMTP_E_NOSPACE;
    memcpy(d, c->cookie, COOKIE);
    uint64_t v = c->crypto->nonce++;
    zmtp__put64(d + COOKIE, v);
    uint8_t *mac = d + COOKIE + 8, *p = mac + MACB;
    memcpy(p, c->pub, KEY);
    /* the vouch: C speaks for C' towards this server (S) and this session (S') */
    uint8_t vn[NONCE24];
    memcpy(vn, "VOUCH---", 8);
    random_bytes(c, vn + 8, 16);
    memcpy(p + KEY, vn + 8, 16);
    uint8_t *vmac = p + KEY + 16, *vbox = vmac + MACB;
    memcpy(vbox, c->cn_pub, KEY);
    memcpy(vbox + KEY, c->server_pub, KEY);
    if (crypto_box_detached(vbox, vmac, vbox, 2 * KEY, vn, c->peer_cn, c->sec) != 0)
        return undo(e, mark, ZMTP_E_CRYPTO);
    if (md_len)
        memcpy(p + INITIATE_BOX_MIN, md, md_len);
    session_seal(c, "CurveZMQINITIATE", v, mac, plain_len);
    return ZMTP_OK;
}

int zmtp__curve_on_initiate(zmtp__curve *c, const uint8_t *d, size_t len, const uint8_t **md,
                            size_t *md_len)
{
    if (len < INITIATE_MIN)
        return ZMTP_E_MALFORMED_INITIATE;
    /* the cookie: ours, of this handshake, for this C' */
    uint8_t cn[NONCE24], ck[2 * KEY];
    nonce24_long(cn, "COOKIE--", d);
    int rc = ZMTP_OK;
    if (crypto_secretbox_open_detached(ck, d + 16 + MACB, d + 16, sizeof ck, cn,
                                       c->cookie_key) != 0 ||
        sodium_memcmp(ck, c->peer_cn, KEY) != 0 || sodium_memcmp(ck + KEY, c->cn_sec, KEY) != 0)
        rc = ZMTP_E_CRYPTO;
    sodium_memzero(ck, sizeof ck);
    if (rc < 0)
        return rc;
    uint64_t v = zmtp__get64(d + COOKIE);
    if (v <= c->crypto->peer_nonce)
        return ZMTP_E_NONCE; /* HELLO's again, or older */
    if (crypto_box_beforenm(c->crypto->key, c->peer_cn, c->cn_sec) != 0)
        return ZMTP_E_CRYPTO;
    size_t plain_len = len - COOKIE - 8 - MACB;
    uint8_t *p = session_open(c, "CurveZMQINITIATE", v, d + COOKIE + 8, plain_len, &rc);
    if (!p)
        return rc;
    /* the vouch: the holder of c (C = p[0..32)) speaks for this C' to this S */
    uint8_t vn[NONCE24], vouch[2 * KEY];
    nonce24_long(vn, "VOUCH---", p + KEY);
    if (crypto_box_open_detached(vouch, p + KEY + 16 + MACB, p + KEY + 16, sizeof vouch, vn, p,
                                 c->cn_sec) != 0)
        return ZMTP_E_CRYPTO;
    if (sodium_memcmp(vouch, c->peer_cn, KEY) != 0 || sodium_memcmp(vouch + KEY, c->pub, KEY) != 0)
        return ZMTP_E_KEY_EXCHANGE;
    memcpy(c->client_pub, p, KEY);
    c->crypto->peer_nonce = v;
    c->crypto->keyed = true;
    *md = p + INITIATE_BOX_MIN;
    *md_len = plain_len - INITIATE_BOX_MIN;
    return ZMTP_OK;
}

int zmtp__curve_ready(zmtp__curve *c, zmtp_encoder *e, const uint8_t *md, size_t md_len)
{
    uint8_t *d = zmtp__encoder_command_space(e, "READY", READY_MIN + md_len);
    if (!d)
        return ZMTP_E_NOSPACE;
    uint64_t v = c->crypto->nonce++;
    zmtp__put64(d, v);
    if (md_len)
        memcpy(d + 8 + MACB, md, md_len);
    session_seal(c, "CurveZMQREADY---", v, d + 8, md_len);
    return ZMTP_OK;
}

int zmtp__curve_on_ready(zmtp__curve *c, const uint8_t *d, size_t len, const uint8_t **md,
                         size_t *md_len)
{
    if (len < READY_MIN)
        return ZMTP_E_MALFORMED_READY;
    int rc;
    uint64_t v = zmtp__get64(d);
    uint8_t *p = session_open(c, "CurveZMQREADY---", v, d + 8, len - READY_MIN, &rc);
    if (!p)
        return rc;
    c->crypto->peer_nonce = v;
    *md = p;
    *md_len = len - READY_MIN;
    return ZMTP_OK;
}
