/* probe_curve.c - the CURVE probe modes (RFC 26): what each one sends, made once per run.
 *
 *  curve-garbage    a CURVE client's greeting, then a HELLO command of the right size and
 *                   version whose key, nonce and box are random: the box cannot open, so
 *                   the server must drop the connection (libzmq: a CRYPTO protocol error).
 *  curve-truncated  a CURVE client's greeting, then a HELLO cut short, in turn: on the wire
 *                   (the frame announces 200 bytes, half of them come, then nothing: the
 *                   server's handshake timeout must drop it, its CURVE state held until
 *                   then) and in the frame (a whole command of 100 bytes: MALFORMED).
 *  curve-replay     the greeting, HELLO and INITIATE of a real handshake, captured once at
 *                   the start of the run with a client key of our own and the server's
 *                   public key (zprobe_config.curve_server_key), sent again byte for byte
 *                   on every fresh connection. The server's WELCOME there holds a new
 *                   cookie under a new cookie key and a new S', so the old INITIATE's cookie
 *                   does not open (or its box does not): the server must drop it and never
 *                   send READY. A READY in the answer (counted as zmtp_ready) is a replay
 *                   the server took.
 *
 * The capture is a whole client handshake written here with libsodium, independent of
 * zaio's codec, so that a fault shared by zaio's client and server cannot hide itself: it
 * must end in a READY that opens under the session key, or the run refuses to start. */
#include "probe_curve.h"

#include <sodium.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum {
    KEY = crypto_box_PUBLICKEYBYTES,
    MACB = crypto_box_MACBYTES,
    HELLO_FRAME = 2 + 200,        /* command frame: flags, size, "\x05HELLO" and 194 */
    WELCOME_FRAME = 2 + 168,
    COOKIE = 96,
    GARBAGE_VARIANTS = 8
};

struct zp_curve {
    uint8_t garbage[GARBAGE_VARIANTS][64 + HELLO_FRAME];
    uint8_t cut[64 + HELLO_FRAME / 2];
    uint8_t short_hello[64 + 2 + 100];
    uint8_t *replay;
    uint32_t replay_len;
};

static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* 40 Z85 characters -> 32 bytes (RFC 32). */
static int zp_z85_key(const char *s, uint8_t out[KEY])
{
    if (s == NULL || strlen(s) != 40)
        return -1;
    for (int i = 0; i < 8; i++) {
        uint32_t v = 0;
        for (int j = 0; j < 5; j++) {
            const char *p = strchr(z85_chars, s[i * 5 + j]);
            if (p == NULL || *p == '\0')
                return -1;
            uint64_t w = (uint64_t)v * 85 + (uint64_t)(p - z85_chars);
            if (w > UINT32_MAX)
                return -1;
            v = (uint32_t)w;
        }
        out[i * 4] = (uint8_t)(v >> 24);
        out[i * 4 + 1] = (uint8_t)(v >> 16);
        out[i * 4 + 2] = (uint8_t)(v >> 8);
        out[i * 4 + 3] = (uint8_t)v;
    }
    return 0;
}

static void zp_put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* ZMTP 3.0, mechanism CURVE, as-server 0: what libzmq 4.3.4's CURVE client sends. */
static void zp_curve_greeting(uint8_t g[64])
{
    memset(g, 0, 64);
    g[0] = 0xFF;
    g[8] = 0x01;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 0;
    memcpy(g + 12, "CURVE", 5);
}

static void zp_hello_head(uint8_t *f)
{
    f[0] = 0x04;
    f[1] = 200;
    memcpy(f + 2, "\x05HELLO", 6);
    f[8] = 1; /* CurveZMQ 1.0 */
    f[9] = 0;
    memset(f + 10, 0, 72);
}

/* ---- the capture: one real client handshake ------------------------------------ */

typedef struct zp_cap {
    int fd;
    char *err;
    size_t errlen;
} zp_cap;

static int zp_cap_fail(zp_cap *c, const char *what, int e)
{
    snprintf(c->err, c->errlen, "curve-replay capture: %s%s%s", what, e ? ": " : "",
             e ? strerror(e) : "");
    return -1;
}

static int zp_cap_send(zp_cap *c, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return zp_cap_fail(c, "send", w < 0 ? errno : 0);
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int zp_cap_recv(zp_cap *c, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(c->fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return zp_cap_fail(c, "the server closed the connection (wrong server key, or a "
                                  "ZAP handler that refuses the probe's client key?)", 0);
        if (r < 0)
            return zp_cap_fail(c, "recv", errno == EAGAIN ? ETIMEDOUT : errno);
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* A command frame's head: flags, size (short or long). Returns the body size. */
static int zp_cap_frame(zp_cap *c, uint64_t *size)
{
    uint8_t h[9];
    if (zp_cap_recv(c, h, 2) < 0)
        return -1;
    if (!(h[0] & 0x04))
        return zp_cap_fail(c, "the server sent a message before its handshake was done", 0);
    if (h[0] & 0x02) {
        h[8] = h[1];
        if (zp_cap_recv(c, h + 1, 7) < 0)
            return -1;
        uint64_t v = 0;
        for (int i = 1; i < 8; i++)
            v = v << 8 | h[i];
        *size = v << 8 | h[8];
    } else {
        *size = h[1];
    }
    return 0;
}

static int zp_capture_run(zp_cap *c, const uint8_t server[KEY], const char *socket_type,
                          zp_curve *out)
{
    uint8_t pub[KEY], sec[KEY], cn_pub[KEY], cn_sec[KEY];
    crypto_box_keypair(pub, sec);
    crypto_box_keypair(cn_pub, cn_sec);

    /* greeting + HELLO: nonce 1 */
    uint8_t hello[64 + HELLO_FRAME];
    zp_curve_greeting(hello);
    uint8_t *f = hello + 64;
    zp_hello_head(f);
    memcpy(f + 82, cn_pub, KEY);
    zp_put64(f + 114, 1);
    uint8_t nonce[crypto_box_NONCEBYTES], zeros[64] = {0};
    memcpy(nonce, "CurveZMQHELLO---", 16);
    zp_put64(nonce + 16, 1);
    if (crypto_box_easy(f + 122, zeros, sizeof zeros, nonce, server, cn_sec) != 0)
        return zp_cap_fail(c, "the server key is no usable key", 0);
    if (zp_cap_send(c, hello, sizeof hello) < 0)
        return -1;

    /* the server's greeting, then WELCOME: box[S' | cookie](S -> C') */
    uint8_t g[64], w[168], plain[KEY + COOKIE];
    uint64_t size;
    if (zp_cap_recv(c, g, 64) < 0)
        return -1;
    if (g[0] != 0xFF || !(g[9] & 1) || g[10] < 3 || memcmp(g + 12, "CURVE\0", 6) != 0)
        return zp_cap_fail(c, "the target is no ZMTP 3 CURVE server", 0);
    if (zp_cap_frame(c, &size) < 0)
        return -1;
    if (size != sizeof w)
        return zp_cap_fail(c, "the server's first command is no WELCOME", 0);
    if (zp_cap_recv(c, w, sizeof w) < 0)
        return -1;
    memcpy(nonce, "WELCOME-", 8);
    memcpy(nonce + 8, w + 8, 16);
    if (memcmp(w, "\x07WELCOME", 8) != 0 ||
        crypto_box_open_easy(plain, w + 24, sizeof w - 24, nonce, server, cn_sec) != 0)
        return zp_cap_fail(c, "WELCOME does not open: the server key is wrong", 0);
    const uint8_t *sn_pub = plain, *cookie = plain + KEY;

    /* INITIATE: cookie | nonce 2 | box[C | vouch nonce | vouch | metadata](C' -> S') */
    uint8_t md[64];
    size_t tl = strlen(socket_type);
    if (tl > 32)
        return zp_cap_fail(c, "socket type name too long", 0);
    size_t md_len = 0;
    md[md_len++] = 11;
    memcpy(md + md_len, "Socket-Type", 11);
    md_len += 11;
    md[md_len++] = 0;
    md[md_len++] = 0;
    md[md_len++] = 0;
    md[md_len++] = (uint8_t)tl;
    memcpy(md + md_len, socket_type, tl);
    md_len += tl;
    size_t box_plain = KEY + 16 + MACB + 2 * KEY + md_len;
    size_t body = 9 + COOKIE + 8 + MACB + box_plain;
    size_t init_len = 9 + body;
    uint8_t *init = malloc(init_len), *ip = malloc(box_plain);
    if (init == NULL || ip == NULL) {
        free(init);
        free(ip);
        return zp_cap_fail(c, "out of memory", 0);
    }
    init[0] = 0x06;
    zp_put64(init + 1, body);
    memcpy(init + 9, "\x08INITIATE", 9);
    memcpy(init + 18, cookie, COOKIE);
    zp_put64(init + 18 + COOKIE, 2);
    memcpy(ip, pub, KEY);
    uint8_t vn[crypto_box_NONCEBYTES], vplain[2 * KEY];
    memcpy(vn, "VOUCH---", 8);
    randombytes_buf(vn + 8, 16);
    memcpy(ip + KEY, vn + 8, 16);
    memcpy(vplain, cn_pub, KEY);
    memcpy(vplain + KEY, server, KEY);
    int rc = crypto_box_easy(ip + KEY + 16, vplain, sizeof vplain, vn, sn_pub, sec);
    memcpy(ip + KEY + 16 + MACB + 2 * KEY, md, md_len);
    memcpy(nonce, "CurveZMQINITIATE", 16);
    zp_put64(nonce + 16, 2);
    if (rc == 0)
        rc = crypto_box_easy(init + 18 + COOKIE + 8, ip, box_plain, nonce, sn_pub, cn_sec);
    free(ip);
    if (rc != 0 || zp_cap_send(c, init, init_len) < 0) {
        free(init);
        return rc != 0 ? zp_cap_fail(c, "S' is no usable key", 0) : -1;
    }

    /* READY, under the session key: the server took this INITIATE */
    uint8_t r[512];
    if (zp_cap_frame(c, &size) < 0 || size < 6 + 8 + MACB || size > sizeof r ||
        zp_cap_recv(c, r, (size_t)size) < 0 || memcmp(r, "\x05READY", 6) != 0) {
        free(init);
        if (!c->err[0])
            zp_cap_fail(c, "the server answered INITIATE with something else than READY "
                           "(a ZAP handler refusing the probe's client key?)", 0);
        return -1;
    }
    memcpy(nonce, "CurveZMQREADY---", 16);
    memcpy(nonce + 16, r + 6, 8);
    uint8_t rplain[512];
    if (crypto_box_open_easy(rplain, r + 14, (size_t)size - 14, nonce, sn_pub, cn_sec) != 0) {
        free(init);
        return zp_cap_fail(c, "READY does not open under the session key", 0);
    }

    out->replay_len = (uint32_t)(sizeof hello + init_len);
    out->replay = malloc(out->replay_len);
    if (out->replay == NULL) {
        free(init);
        return zp_cap_fail(c, "out of memory", 0);
    }
    memcpy(out->replay, hello, sizeof hello);
    memcpy(out->replay + sizeof hello, init, init_len);
    free(init);
    sodium_memzero(sec, sizeof sec);
    sodium_memzero(cn_sec, sizeof cn_sec);
    return 0;
}

static int zp_capture(const zprobe_config *cfg, const zprobe_addr *target, zp_curve *out,
                      char *err, size_t errlen)
{
    uint8_t server[KEY];
    zp_cap c = {-1, err, errlen};
    err[0] = '\0';
    if (zp_z85_key(cfg->curve_server_key, server) != 0)
        return zp_cap_fail(&c, "curve-replay needs the server's public key (40 Z85 characters)", 0);
    c.fd = socket(target->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0)
        return zp_cap_fail(&c, "socket", errno);
    struct timeval tv = {(time_t)(cfg->connect_timeout_ms / 1000),
                         (suseconds_t)(cfg->connect_timeout_ms % 1000) * 1000};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc = connect(c.fd, (const struct sockaddr *)&target->ss, target->len) == 0
                 ? zp_capture_run(&c, server, cfg->curve_socket_type ? cfg->curve_socket_type
                                                                     : "DEALER", out)
                 : zp_cap_fail(&c, "connect", errno);
    close(c.fd);
    return rc;
}

/* ---- the run's payloads ----------------------------------------------------------- */

int zp_curve_setup(const zprobe_config *cfg, const zprobe_addr *target, zp_curve **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg->weights[ZPROBE_CURVE_GARBAGE] && !cfg->weights[ZPROBE_CURVE_TRUNCATED] &&
        !cfg->weights[ZPROBE_CURVE_REPLAY])
        return 0;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium did not start");
        return -1;
    }
    zp_curve *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < GARBAGE_VARIANTS; i++) {
        uint8_t *g = c->garbage[i];
        zp_curve_greeting(g);
        zp_hello_head(g + 64);
        randombytes_buf(g + 64 + 82, HELLO_FRAME - 82); /* C', nonce and box */
    }
    uint8_t whole[64 + HELLO_FRAME];
    memcpy(whole, c->garbage[0], sizeof whole);
    memcpy(c->cut, whole, sizeof c->cut);
    memcpy(c->short_hello, whole, sizeof c->short_hello);
    c->short_hello[64 + 1] = 100; /* a whole command, 94 bytes short of a HELLO */
    if (cfg->weights[ZPROBE_CURVE_REPLAY] && zp_capture(cfg, target, c, err, errlen) != 0) {
        zp_curve_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

const uint8_t *zp_curve_bytes(const zp_curve *c, int mode, uint64_t k, uint32_t *len)
{
    switch (mode) {
    case ZPROBE_CURVE_GARBAGE:
        *len = sizeof c->garbage[0];
        return c->garbage[k % GARBAGE_VARIANTS];
    case ZPROBE_CURVE_TRUNCATED:
        if (k & 1) {
            *len = sizeof c->short_hello;
            return c->short_hello;
        }
        *len = sizeof c->cut;
        return c->cut;
    case ZPROBE_CURVE_REPLAY:
        *len = c->replay_len;
        return c->replay;
    default:
        *len = 0;
        return NULL;
    }
}

void zp_curve_free(zp_curve *c)
{
    if (c == NULL)
        return;
    free(c->replay);
    free(c);
}
