/* duo.h - the in-process interop tests' two sides (CURVE's, NULL with ZAP's): a socket of
 * either library behind one set of calls, monitors on either, and a "duo", a server of one
 * library with a client of the other, started in either role (the server binds, or it
 * connects). Header-only, as zap_handler.h. */
#ifndef ZAIO_INTEROP_DUO_H
#define ZAIO_INTEROP_DUO_H

#include "zap_handler.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct keys {
    char spub[41], ssec[41], cpub[41], csec[41];
} keys;

static inline void make_keys(keys *k)
{
    cr_assert_eq(zmq_curve_keypair(k->spub, k->ssec), 0);
    cr_assert_eq(zmq_curve_keypair(k->cpub, k->csec), 0);
}

/* One socket of either library, with what the tests do to it. */
typedef struct sock {
    bool zaio;
    void *s;
} sock;

static inline sock sk_new(bool zaio, void *ctx, int type)
{
    sock k = {zaio, zaio ? zaio_socket(ctx, type) : zmq_socket(ctx, type)};
    cr_assert_not_null(k.s);
    return k;
}

/* zaio's option numbers are libzmq's, so one call serves both. */
static inline void sk_opt(sock k, int opt, const void *v, size_t len)
{
    int rc = k.zaio ? zaio_setsockopt(k.s, opt, v, len) : zmq_setsockopt(k.s, opt, v, len);
    cr_assert_eq(rc, 0, "option %d", opt);
}

static inline void sk_int(sock k, int opt, int v)
{
    sk_opt(k, opt, &v, sizeof v);
}

static inline void sk_close(sock k)
{
    if (k.zaio)
        zaio_close(k.s);
    else
        zmq_close(k.s);
}

static inline void sk_bind(sock k, char *ep, size_t cap)
{
    size_t len = cap;
    if (k.zaio) {
        cr_assert_eq(zaio_bind(k.s, "tcp://127.0.0.1:*"), 0);
        zaio_getsockopt(k.s, ZAIO_LAST_ENDPOINT, ep, &len);
    } else {
        cr_assert_eq(zmq_bind(k.s, "tcp://127.0.0.1:*"), 0);
        zmq_getsockopt(k.s, ZMQ_LAST_ENDPOINT, ep, &len);
    }
}

static inline void sk_connect(sock k, const char *ep)
{
    cr_assert_eq(k.zaio ? zaio_connect(k.s, ep) : zmq_connect(k.s, ep), 0);
}

static inline void sk_send(sock k, const void *d, size_t n, bool more)
{
    int rc = k.zaio ? zaio_send(k.s, d, n, more ? ZAIO_SNDMORE : 0)
                    : zmq_send(k.s, d, n, more ? ZMQ_SNDMORE : 0);
    cr_assert_eq(rc, (int)n, "send");
}

/* The next frame into a buffer of its own (*n bytes), and whether more follow; NULL
 * when nothing came within RCVTIMEO. */
static inline uint8_t *sk_recv(sock k, size_t *n, bool *more)
{
    zaio_msg_t zm;
    zmq_msg_t lm;
    int rc;
    if (k.zaio) {
        zaio_msg_init(&zm);
        rc = zaio_msg_recv(&zm, k.s, 0);
    } else {
        zmq_msg_init(&lm);
        rc = zmq_msg_recv(&lm, k.s, 0);
    }
    uint8_t *d = NULL;
    if (rc >= 0) {
        *n = (size_t)rc;
        d = malloc(*n ? *n : 1);
        memcpy(d, k.zaio ? zaio_msg_data(&zm) : zmq_msg_data(&lm), *n);
        *more = k.zaio ? zaio_msg_more(&zm) : zmq_msg_more(&lm);
    }
    if (k.zaio)
        zaio_msg_close(&zm);
    else
        zmq_msg_close(&lm);
    return d;
}

static inline void sk_expect(sock k, const void *want, size_t n, bool want_more)
{
    size_t got;
    bool more;
    uint8_t *d = sk_recv(k, &got, &more);
    cr_assert_not_null(d, "a frame of %zu bytes expected", n);
    cr_assert(got == n && memcmp(d, want, n) == 0, "frame of %zu bytes (got %zu)", n, got);
    cr_assert_eq(more, want_more);
    free(d);
}

static inline void sk_expect_nothing(sock k)
{
    sk_int(k, ZMQ_RCVTIMEO, 300);
    size_t n;
    bool more;
    uint8_t *d = sk_recv(k, &n, &more);
    cr_assert_null(d, "a message got through");
}

static inline void curve_server(sock k, const keys *ks)
{
    sk_int(k, ZMQ_CURVE_SERVER, 1);
    sk_opt(k, ZMQ_CURVE_SECRETKEY, ks->ssec, 40);
}

static inline void curve_client(sock k, const keys *ks, const char *server_pub)
{
    sk_opt(k, ZMQ_CURVE_SERVERKEY, server_pub, 40);
    sk_opt(k, ZMQ_CURVE_PUBLICKEY, ks->cpub, 40);
    sk_opt(k, ZMQ_CURVE_SECRETKEY, ks->csec, 41); /* with its NUL, for once */
}

/* ---- monitors on either library ------------------------------------------------------ */

static inline sock monitor(bool zaio, void *ctx, sock k, const char *ep)
{
    int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_DISCONNECTED;
    cr_assert_eq(zaio ? zaio_socket_monitor(k.s, ep, events) : zmq_socket_monitor(k.s, ep, events),
                 0);
    sock m = sk_new(zaio, ctx, ZMQ_PAIR);
    sk_connect(m, ep);
    return m;
}

/* The next event within ms, or -1. */
static inline int next_event(sock m, int ms, uint32_t *value)
{
    sk_int(m, ZMQ_RCVTIMEO, ms);
    size_t n;
    bool more;
    uint8_t *d = sk_recv(m, &n, &more);
    if (!d)
        return -1;
    cr_assert(n == 6 && more, "event frame");
    uint16_t ev;
    memcpy(&ev, d, 2);
    if (value)
        memcpy(value, d + 2, 4);
    free(d);
    d = sk_recv(m, &n, &more); /* the endpoint */
    free(d);
    return ev;
}

/* Skips events until want comes (true) or 5 s pass (false); a HANDSHAKE_SUCCEEDED on
 * the way fails the test unless it is what is wanted. */
static inline bool wait_event(sock m, int want, uint32_t *value)
{
    for (int i = 0; i < 100; i++) {
        int ev = next_event(m, 5000, value);
        if (ev == want)
            return true;
        if (ev < 0)
            return false;
        cr_assert_neq(ev, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "a handshake succeeded");
    }
    return false;
}

/* ---- the two sides ---------------------------------------------------------------------- */

typedef struct world {
    void *zctx, *lctx;
} world;

static inline world world_new(void)
{
    world w = {zaio_ctx_new(), zmq_ctx_new()};
    cr_assert(w.zctx && w.lctx);
    return w;
}

static inline void world_end(world *w)
{
    cr_assert_eq(zmq_ctx_term(w->lctx), 0);
    cr_assert_eq(zaio_ctx_term(w->zctx), 0);
    assert_released();
}

static inline void *ctx_of(world *w, bool zaio)
{
    return zaio ? w->zctx : w->lctx;
}

static inline uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 13 + (i >> 10));
    return p;
}

/* A server of one library and a client of the other, with CURVE keys (the client
 * given server_pub as the server's key) and monitors; duo_start binds and connects once
 * the test has set what else it wants. */
typedef struct duo {
    sock srv, cli, smon, cmon;
} duo;

static inline duo duo_new(world *w, bool zaio_server, int st, int ct, const keys *ks,
                          const char *server_pub)
{
    duo d;
    d.srv = sk_new(zaio_server, ctx_of(w, zaio_server), st);
    d.cli = sk_new(!zaio_server, ctx_of(w, !zaio_server), ct);
    d.smon = monitor(zaio_server, ctx_of(w, zaio_server), d.srv, "inproc://curve-smon");
    d.cmon = monitor(!zaio_server, ctx_of(w, !zaio_server), d.cli, "inproc://curve-cmon");
    sk_int(d.srv, ZMQ_LINGER, 0);
    sk_int(d.cli, ZMQ_LINGER, 0);
    sk_int(d.srv, ZMQ_RCVTIMEO, 5000);
    sk_int(d.cli, ZMQ_RCVTIMEO, 5000);
    if (ks) { /* NULL: the NULL mechanism */
        curve_server(d.srv, ks);
        curve_client(d.cli, ks, server_pub);
    }
    return d;
}

static inline void duo_start(duo *d)
{
    char ep[256];
    sk_bind(d->srv, ep, sizeof ep);
    sk_connect(d->cli, ep);
}

/* The other role: the client binds and the server connects (a CURVE or ZAP server is
 * the side with the keys or the handler, whichever end binds). */
static inline void duo_start_reversed(duo *d)
{
    char ep[256];
    sk_bind(d->cli, ep, sizeof ep);
    sk_connect(d->srv, ep);
}

static inline void duo_close(duo *d)
{
    sk_close(d->smon);
    sk_close(d->cmon);
    sk_close(d->cli);
    sk_close(d->srv);
}

#endif
