/* CURVE between zaio and libzmq 4.3.4, each way round, in one process (zaio's calls are
 * zaio_*, libzmq's zmq_*; their contexts meet only over TCP): messages both ways with the
 * right keys (multipart, 1 MiB), subscriptions and heartbeats (commands that travel in
 * boxes), a client with the wrong server key (no connection, no message), and a ZAP
 * handler that refuses the client's key or lets it in with a User-Id. The keys come
 * from libzmq's zmq_curve_keypair, so the Z85 forms meet too. */
#include "zap_handler.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct keys {
    char spub[41], ssec[41], cpub[41], csec[41];
} keys;

static void make_keys(keys *k)
{
    cr_assert_eq(zmq_curve_keypair(k->spub, k->ssec), 0);
    cr_assert_eq(zmq_curve_keypair(k->cpub, k->csec), 0);
}

/* One socket of either library, with what the tests do to it. */
typedef struct sock {
    bool zaio;
    void *s;
} sock;

static sock sk_new(bool zaio, void *ctx, int type)
{
    sock k = {zaio, zaio ? zaio_socket(ctx, type) : zmq_socket(ctx, type)};
    cr_assert_not_null(k.s);
    return k;
}

/* zaio's option numbers are libzmq's, so one call serves both. */
static void sk_opt(sock k, int opt, const void *v, size_t len)
{
    int rc = k.zaio ? zaio_setsockopt(k.s, opt, v, len) : zmq_setsockopt(k.s, opt, v, len);
    cr_assert_eq(rc, 0, "option %d", opt);
}

static void sk_int(sock k, int opt, int v)
{
    sk_opt(k, opt, &v, sizeof v);
}

static void sk_close(sock k)
{
    if (k.zaio)
        zaio_close(k.s);
    else
        zmq_close(k.s);
}

static void sk_bind(sock k, char *ep, size_t cap)
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

static void sk_connect(sock k, const char *ep)
{
    cr_assert_eq(k.zaio ? zaio_connect(k.s, ep) : zmq_connect(k.s, ep), 0);
}

static void sk_send(sock k, const void *d, size_t n, bool more)
{
    int rc = k.zaio ? zaio_send(k.s, d, n, more ? ZAIO_SNDMORE : 0)
                    : zmq_send(k.s, d, n, more ? ZMQ_SNDMORE : 0);
    cr_assert_eq(rc, (int)n, "send");
}

/* The next frame into a buffer of its own (*n bytes), and whether more follow; NULL
 * when nothing came within RCVTIMEO. */
static uint8_t *sk_recv(sock k, size_t *n, bool *more)
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

static void sk_expect(sock k, const void *want, size_t n, bool want_more)
{
    size_t got;
    bool more;
    uint8_t *d = sk_recv(k, &got, &more);
    cr_assert_not_null(d, "a frame of %zu bytes expected", n);
    cr_assert(got == n && memcmp(d, want, n) == 0, "frame of %zu bytes (got %zu)", n, got);
    cr_assert_eq(more, want_more);
    free(d);
}

static void sk_expect_nothing(sock k)
{
    sk_int(k, ZMQ_RCVTIMEO, 300);
    size_t n;
    bool more;
    uint8_t *d = sk_recv(k, &n, &more);
    cr_assert_null(d, "a message got through");
}

static void curve_server(sock k, const keys *ks)
{
    sk_int(k, ZMQ_CURVE_SERVER, 1);
    sk_opt(k, ZMQ_CURVE_SECRETKEY, ks->ssec, 40);
}

static void curve_client(sock k, const keys *ks, const char *server_pub)
{
    sk_opt(k, ZMQ_CURVE_SERVERKEY, server_pub, 40);
    sk_opt(k, ZMQ_CURVE_PUBLICKEY, ks->cpub, 40);
    sk_opt(k, ZMQ_CURVE_SECRETKEY, ks->csec, 41); /* with its NUL, for once */
}

/* ---- monitors on either library ------------------------------------------------------ */

static sock monitor(bool zaio, void *ctx, sock k, const char *ep)
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
static int next_event(sock m, int ms, uint32_t *value)
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
static bool wait_event(sock m, int want, uint32_t *value)
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

static world world_new(void)
{
    world w = {zaio_ctx_new(), zmq_ctx_new()};
    cr_assert(w.zctx && w.lctx);
    return w;
}

static void world_end(world *w)
{
    cr_assert_eq(zmq_ctx_term(w->lctx), 0);
    cr_assert_eq(zaio_ctx_term(w->zctx), 0);
    assert_released();
}

static void *ctx_of(world *w, bool zaio)
{
    return zaio ? w->zctx : w->lctx;
}

static uint8_t *pattern(size_t n, unsigned seed)
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

static duo duo_new(world *w, bool zaio_server, int st, int ct, const keys *ks,
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
    curve_server(d.srv, ks);
    curve_client(d.cli, ks, server_pub);
    return d;
}

static void duo_start(duo *d)
{
    char ep[256];
    sk_bind(d->srv, ep, sizeof ep);
    sk_connect(d->cli, ep);
}

static void duo_close(duo *d)
{
    sk_close(d->smon);
    sk_close(d->cmon);
    sk_close(d->cli);
    sk_close(d->srv);
}

/* A DEALER client and a ROUTER server, one of each library: multipart and 1 MiB frames
 * both ways. */
static void dealer_router(bool zaio_server)
{
    world w = world_new();
    keys ks;
    make_keys(&ks);
    duo d = duo_new(&w, zaio_server, ZMQ_ROUTER, ZMQ_DEALER, &ks, ks.spub);
    duo_start(&d);
    sock srv = d.srv, cli = d.cli;
    size_t big = (size_t)1 << 20;
    uint8_t *a = pattern(big, 1), *b = pattern(big, 2);
    sk_send(cli, "hello", 5, true);
    sk_send(cli, a, big, true);
    sk_send(cli, "", 0, false);
    size_t idl;
    bool more;
    uint8_t *id = sk_recv(srv, &idl, &more);
    cr_assert(id && more, "routing id");
    sk_expect(srv, "hello", 5, true);
    sk_expect(srv, a, big, true);
    sk_expect(srv, "", 0, false);
    sk_send(srv, id, idl, true);
    sk_send(srv, b, big, true);
    sk_send(srv, "world", 5, false);
    sk_expect(cli, b, big, true);
    sk_expect(cli, "world", 5, false);
    for (int i = 0; i < 200; i++) {
        char t[16];
        int n = snprintf(t, sizeof t, "m%d", i);
        sk_send(cli, t, (size_t)n, false);
    }
    for (int i = 0; i < 200; i++) {
        char t[16];
        int n = snprintf(t, sizeof t, "m%d", i);
        free(sk_recv(srv, &idl, &more));
        sk_expect(srv, t, (size_t)n, false);
    }
    free(id);
    free(a);
    free(b);
    duo_close(&d);
    world_end(&w);
}

TestSuite(curve_libzmq, .timeout = 60);

Test(curve_libzmq, libzmq_client_zaio_server)
{
    dealer_router(true);
}

Test(curve_libzmq, zaio_client_libzmq_server)
{
    dealer_router(false);
}

/* A SUB of one library subscribes to a PUB of the other (SUBSCRIBE travels boxed as a
 * command, which libzmq 4.3.4 sends to a 3.1 peer), and the PUB pings it every 20 ms
 * (PING and PONG boxed too) and would drop it on no answer within 250 ms. */
static void pub_sub(bool zaio_pub)
{
    world w = world_new();
    keys ks;
    make_keys(&ks);
    duo d = duo_new(&w, zaio_pub, ZMQ_PUB, ZMQ_SUB, &ks, ks.spub);
    sock pub = d.srv, sub = d.cli;
    sk_int(pub, ZMQ_HEARTBEAT_IVL, 20);
    sk_int(pub, ZMQ_HEARTBEAT_TIMEOUT, 250);
    sk_opt(sub, ZMQ_SUBSCRIBE, "news", 4);
    duo_start(&d);
    cr_assert(wait_event(d.smon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL), "publisher: handshake");
    sk_int(sub, ZMQ_RCVTIMEO, 100);
    size_t n = 0;
    bool more;
    uint8_t *m = NULL;
    for (int i = 0; i < 50 && !m; i++) {
        sk_send(pub, "other", 5, false);
        sk_send(pub, "news!", 5, false);
        m = sk_recv(sub, &n, &more);
    }
    cr_assert(m && n == 5 && memcmp(m, "news!", 5) == 0, "the subscribed topic, and only it");
    free(m);
    cr_assert_eq(next_event(d.smon, 600, NULL), -1, "30 pings later, no disconnection");
    sk_send(pub, "news?", 5, false);
    sk_expect(sub, "news?", 5, false);
    duo_close(&d);
    world_end(&w);
}

Test(curve_libzmq, libzmq_sub_zaio_pub)
{
    pub_sub(true);
}

Test(curve_libzmq, zaio_sub_libzmq_pub)
{
    pub_sub(false);
}

/* A client with another server's key: the server cannot open its HELLO and says so
 * (CRYPTOGRAPHIC), the client's handshake fails, and no message crosses. */
static void wrong_server_key(bool zaio_server)
{
    world w = world_new();
    keys ks, other;
    make_keys(&ks);
    make_keys(&other);
    duo d = duo_new(&w, zaio_server, ZMQ_PULL, ZMQ_PUSH, &ks, other.spub);
    duo_start(&d);
    sk_send(d.cli, "secret", 6, false); /* queued, never delivered */
    uint32_t v = 0;
    cr_assert(wait_event(d.smon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &v), "server: failed");
    cr_assert_eq(v, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "server: %#x", v);
    cr_assert(wait_event(d.cmon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, NULL), "client: failed");
    sk_expect_nothing(d.srv);
    duo_close(&d);
    world_end(&w);
}

Test(curve_libzmq, libzmq_client_wrong_server_key)
{
    wrong_server_key(true);
}

Test(curve_libzmq, zaio_client_wrong_server_key)
{
    wrong_server_key(false);
}

/* ZAP: the server's handler (same library as the server) is asked about the client's
 * long-term key, CURVE and 32 bytes, and lets in only the key it knows. */
static bool key_known(const zh_request *r, const void *arg)
{
    return r->n == 7 && r->len[5] == 5 && memcmp(r->f[5], "CURVE", 5) == 0 && r->len[6] == 32 &&
           memcmp(r->f[6], arg, 32) == 0;
}

/* The User-Id a message came with. */
static void expect_user(sock k, const char *want)
{
    zaio_msg_t zm;
    zmq_msg_t lm;
    const char *user;
    if (k.zaio) {
        zaio_msg_init(&zm);
        cr_assert_eq(zaio_msg_recv(&zm, k.s, 0), 9);
        user = zaio_msg_gets(&zm, "User-Id");
    } else {
        zmq_msg_init(&lm);
        cr_assert_eq(zmq_msg_recv(&lm, k.s, 0), 9);
        user = zmq_msg_gets(&lm, "User-Id");
    }
    cr_assert(user && strcmp(user, want) == 0, "User-Id %s", user ? user : "-");
    if (k.zaio)
        zaio_msg_close(&zm);
    else
        zmq_msg_close(&lm);
}

static void zap(bool zaio_server, bool let_in)
{
    world w = world_new();
    keys ks, stranger;
    make_keys(&ks);
    make_keys(&stranger);
    uint8_t known[32];
    cr_assert_not_null(zmq_z85_decode(known, let_in ? ks.cpub : stranger.cpub));
    handler h;
    handler_start(&h, ctx_of(&w, zaio_server), zaio_server, key_known, known, "curve-user");
    duo d = duo_new(&w, zaio_server, ZMQ_REP, ZMQ_REQ, &ks, ks.spub);
    duo_start(&d);
    if (let_in) {
        sk_send(d.cli, "let me in", 9, false);
        expect_user(d.srv, "curve-user");
        sk_send(d.srv, "welcome", 7, false);
        sk_expect(d.cli, "welcome", 7, false);
    } else {
        /* the refused REQ may have dropped its pipe already: a send that does not wait */
        int rc = d.cli.zaio ? zaio_send(d.cli.s, "let me in", 9, ZAIO_DONTWAIT)
                            : zmq_send(d.cli.s, "let me in", 9, ZMQ_DONTWAIT);
        cr_assert(rc == 9 || (d.cli.zaio ? zaio_errno() : zmq_errno()) == EAGAIN);
        uint32_t v = 0;
        cr_assert(wait_event(d.smon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &v) && v == 400,
                  "server: refused %u", v);
        cr_assert(wait_event(d.cmon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &v) && v == 400,
                  "client: told 400 (%u)", v);
        sk_expect_nothing(d.srv);
    }
    handler_stop(&h);
    cr_assert_geq(atomic_load(&h.requests), 1);
    cr_assert(h.last.n == 7 && h.last.len[6] == 32, "asked about a 32-byte key");
    duo_close(&d);
    world_end(&w);
}

Test(curve_libzmq, zaio_server_zap_refuses_libzmq_client)
{
    zap(true, false);
}

Test(curve_libzmq, libzmq_server_zap_refuses_zaio_client)
{
    zap(false, false);
}

Test(curve_libzmq, zaio_server_zap_lets_libzmq_client_in)
{
    zap(true, true);
}

Test(curve_libzmq, libzmq_server_zap_lets_zaio_client_in)
{
    zap(false, true);
}
