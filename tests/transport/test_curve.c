/* CURVE through include/zaio.h, zaio against zaio over TCP: messages both ways (small,
 * multipart, 1 MiB, subscriptions and heartbeats, which travel boxed), a client with the
 * wrong server key (no connection, no message), ZAP about the client's key (a refusal,
 * a User-Id, no handler, an enforced domain), a raw peer that replays or tampers with a
 * MESSAGE (the connection drops), and the options as libzmq takes and gives them. Every
 * test ends with the asyncio live counters at zero (th_term). */
#include "zap_handler.h"

typedef struct keys {
    char spub[41], ssec[41], cpub[41], csec[41];
} keys;

static void make_keys(keys *k)
{
    zt_assert(zaio_curve_keypair(k->spub, k->ssec) == 0, "keypair: %s",
              zaio_strerror(zaio_errno()));
    zt_assert(zaio_curve_keypair(k->cpub, k->csec) == 0, "keypair");
}

/* What each test starts with: a context, a server's and a client's keys in k, and
 * (other) another pair of each, for what must fail. */
static void *begin(keys *k, keys *other)
{
    make_keys(k);
    if (other)
        make_keys(other);
    return zaio_ctx_new();
}

static void set_key(void *s, int opt, const char *z85)
{
    zt_assert(zaio_setsockopt(s, opt, z85, 40) == 0, "key %d: %s", opt,
              zaio_strerror(zaio_errno()));
}

static void curve_server(void *s, const keys *k)
{
    th_set_int(s, ZAIO_CURVE_SERVER, 1);
    set_key(s, ZAIO_CURVE_SECRETKEY, k->ssec);
}

static void curve_client(void *s, const keys *k, const char *server_pub)
{
    set_key(s, ZAIO_CURVE_SERVERKEY, server_pub);
    set_key(s, ZAIO_CURVE_PUBLICKEY, k->cpub);
    set_key(s, ZAIO_CURVE_SECRETKEY, k->csec);
}

enum {
    HS_EVENTS = ZAIO_EVENT_HANDSHAKE_SUCCEEDED | ZAIO_EVENT_HANDSHAKE_FAILED_AUTH |
                ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL
};

/* A server of type st bound with CURVE, a client of type ct connected to it with the
 * server key given (NULL: the right one), monitors on both; opts, if any, set more
 * options on the server before its bind. */
typedef struct pair {
    void *srv, *cli, *smon, *cmon;
    char ep[256];
} pair;

static void pair_open(void *ctx, pair *p, const keys *k, int st, int ct, const char *server_pub,
                      void (*server_opts)(void *s))
{
    static int seq;
    char mep[64];
    p->srv = th_socket(ctx, st);
    p->cli = th_socket(ctx, ct);
    th_set_int(p->cli, ZAIO_LINGER, 0);
    th_set_int(p->srv, ZAIO_LINGER, 0);
    snprintf(mep, sizeof mep, "inproc://curve-smon-%d", ++seq);
    p->smon = th_monitor(ctx, p->srv, mep, HS_EVENTS);
    snprintf(mep, sizeof mep, "inproc://curve-cmon-%d", seq);
    p->cmon = th_monitor(ctx, p->cli, mep, HS_EVENTS);
    curve_server(p->srv, k);
    if (server_opts)
        server_opts(p->srv);
    curve_client(p->cli, k, server_pub ? server_pub : k->spub);
    th_bind(p->srv, "tcp://127.0.0.1:*", p->ep, sizeof p->ep);
    th_connect(p->cli, p->ep);
}

static void pair_close(pair *p)
{
    zaio_close(p->smon);
    zaio_close(p->cmon);
    zaio_close(p->cli);
    zaio_close(p->srv);
}

static void expect_event(void *mon, int event, uint32_t value, const char *who)
{
    uint32_t v = 0;
    int ev = th_event(mon, 5000, &v);
    zt_assert(ev == event && v == value, "%s: event %#x value %#x, wanted %#x %#x", who, ev, v,
              event, value);
}

static void expect_nothing(void *s)
{
    char buf[16];
    th_set_int(s, ZAIO_RCVTIMEO, 200);
    zt_assert(zaio_recv(s, buf, sizeof buf, 0) == -1 && zaio_errno() == EAGAIN,
              "a message got through");
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    zt_assert(p, "malloc");
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7 + (i >> 12));
    return p;
}

static void recv_big(void *s, const uint8_t *want, size_t n, bool more)
{
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, s, 0) == (int)n, "big frame: %s", zaio_strerror(zaio_errno()));
    zt_assert(memcmp(zaio_msg_data(&m), want, n) == 0, "big frame's bytes");
    zt_assert(zaio_msg_more(&m) == (more ? 1 : 0), "big frame's MORE");
    zaio_msg_close(&m);
}

/* ---- messages ------------------------------------------------------------------------- */

ZT_TEST(curve, messages_both_ways, 30)
{
    keys k;
    void *ctx = begin(&k, NULL);
    pair p;
    pair_open(ctx, &p, &k, ZAIO_ROUTER, ZAIO_DEALER, NULL, NULL);
    th_set_int(p.srv, ZAIO_RCVTIMEO, 5000);
    th_set_int(p.cli, ZAIO_RCVTIMEO, 5000);
    expect_event(p.smon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0, "server");
    expect_event(p.cmon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0, "client");
    size_t big = (size_t)1 << 20;
    uint8_t *a = pattern(big, 1), *b = pattern(big, 2);
    /* client -> server: a small frame, then 1 MiB, sealed each */
    th_send_str(p.cli, "hello", ZAIO_SNDMORE);
    th_send(p.cli, a, big, 0);
    char id[16];
    int idl = zaio_recv(p.srv, id, sizeof id, 0);
    zt_assert(idl > 0, "routing id");
    th_recv_str(p.srv, "hello");
    recv_big(p.srv, a, big, false);
    /* server -> client: multipart with a large frame in the middle and an empty one */
    th_send(p.srv, id, (size_t)idl, ZAIO_SNDMORE);
    th_send_str(p.srv, "one", ZAIO_SNDMORE);
    th_send(p.srv, b, big, ZAIO_SNDMORE);
    th_send(p.srv, "", 0, ZAIO_SNDMORE);
    th_send_str(p.srv, "last", 0);
    th_recv_str(p.cli, "one");
    recv_big(p.cli, b, big, true);
    th_recv_str(p.cli, "");
    th_recv_str(p.cli, "last");
    /* many small ones in a row: packed into few sends, each its own box */
    for (int i = 0; i < 1000; i++) {
        char t[16];
        snprintf(t, sizeof t, "m%d", i);
        th_send_str(p.cli, t, 0);
    }
    for (int i = 0; i < 1000; i++) {
        char t[16];
        snprintf(t, sizeof t, "m%d", i);
        zt_assert(zaio_recv(p.srv, id, sizeof id, 0) > 0, "id");
        th_recv_str(p.srv, t);
    }
    free(a);
    free(b);
    pair_close(&p);
    th_term(ctx);
}

/* Sealed large frames are received the same way before they are opened. */
static void rcvhwm_2(void *s) { th_set_int(s, ZAIO_RCVHWM, 2); }

ZT_TEST(curve, large_and_small_frames_back_to_back, 60)
{
    void *ctx = zaio_ctx_new();
    keys k;
    make_keys(&k);
    pair p;
    pair_open(ctx, &p, &k, ZAIO_PULL, ZAIO_PUSH, NULL, rcvhwm_2);
    expect_event(p.smon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0, "server");
    th_mixed_frames(p.cli, p.srv);
    pair_close(&p);
    th_term(ctx);
}

static void heartbeats(void *s)
{
    th_set_int(s, ZAIO_HEARTBEAT_IVL, 20);
    th_set_int(s, ZAIO_HEARTBEAT_TIMEOUT, 250); /* room for a loaded machine */
}

/* SUBSCRIBE and the heartbeats' PING and PONG travel inside boxes too: the publisher
 * pings every 20 ms and drops a subscriber that does not answer within 250 ms, as the
 * SUB sends nothing else. */
ZT_TEST(curve, subscriptions_and_heartbeats, 30)
{
    keys k;
    void *ctx = begin(&k, NULL);
    pair p;
    pair_open(ctx, &p, &k, ZAIO_PUB, ZAIO_SUB, NULL, heartbeats);
    zt_assert(zaio_setsockopt(p.cli, ZAIO_SUBSCRIBE, "news", 4) == 0, "subscribe");
    expect_event(p.smon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0, "server");
    expect_event(p.cmon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0, "client");
    th_set_int(p.cli, ZAIO_RCVTIMEO, 100);
    /* the subscription reaches the publisher at some point after the handshake: publish
     * until one arrives (PUB drops what nobody subscribed to) */
    char buf[32];
    int n = -1;
    int64_t end = th_now_ms() + 5000;
    while (n < 0 && th_now_ms() < end) {
        th_send_str(p.srv, "other", 0);
        th_send_str(p.srv, "news!", 0);
        n = zaio_recv(p.cli, buf, sizeof buf, 0);
    }
    zt_assert(n == 5 && memcmp(buf, "news!", 5) == 0, "subscribed topic only (%d)", n);
    /* 30 PINGs later the connection still stands: no new handshake, no failure on
     * either side, as there would be had a PONG not come back boxed */
    zt_assert(th_event(p.smon, 600, NULL) == -1, "server: the connection was dropped");
    zt_assert(th_event(p.cmon, 0, NULL) == -1, "client: the connection was dropped");
    zaio_stats_t st;
    zt_assert(zaio_stats(ctx, &st) == 0 && st.connections == 2, "connections %lld",
              (long long)st.connections);
    th_send_str(p.srv, "news?", 0);
    zt_assert(zaio_recv(p.cli, buf, sizeof buf, 0) == 5, "the same connection carries on");
    pair_close(&p);
    th_term(ctx);
}

/* ---- who gets in ---------------------------------------------------------------------- */

ZT_TEST(curve, wrong_server_key_no_connection, 20)
{
    keys k, other;
    void *ctx = begin(&k, &other);
    pair p;
    pair_open(ctx, &p, &k, ZAIO_PULL, ZAIO_PUSH, other.spub, NULL);
    th_send_str(p.cli, "secret", ZAIO_DONTWAIT); /* queued: never delivered */
    /* the server cannot open HELLO and says so; the client sees its connection close */
    expect_event(p.smon, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                 ZAIO_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "server");
    zt_assert(th_wait_event(p.cmon, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 5000, NULL),
              "client: handshake failed");
    expect_nothing(p.srv);
    pair_close(&p);
    th_term(ctx);
}

/* The ZAP handler (zap_handler.h) for CURVE: lets in the one key it is given as
 * "curve-user" (with a property), refuses every other with 400. */
static bool key_known(zap_handler *h, const zap_request *r)
{
    static const uint8_t md[] = "\x04Role\x00\x00\x00\x05"
                                "admin";
    bool ok = r->nframes == 7 && r->frame_len[6] == 32 && memcmp(r->frame[6], h->arg, 32) == 0;
    zap_reply(h, ok ? "200" : "400", ok ? "curve-user" : "", md, ok ? sizeof md - 1 : 0);
    return true;
}

static void handler_start(zap_handler *h, void *ctx, const char *allow_z85, uint8_t key[32])
{
    zt_assert(zaio_z85_decode(key, allow_z85) != NULL, "key");
    zap_handler_start(h, ctx, key_known, key);
}

ZT_TEST(curve, zap_refuses_the_client_key, 20)
{
    keys k, stranger;
    void *ctx = begin(&k, &stranger);
    zap_handler h;
    uint8_t allowed[32];
    handler_start(&h, ctx, stranger.cpub, allowed); /* someone else's key is let in */
    pair p;
    pair_open(ctx, &p, &k, ZAIO_REP, ZAIO_REQ, NULL, NULL);
    th_send_maybe(p.cli, "let me in"); /* refused, the REQ may have no pipe left */
    expect_event(p.smon, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH, 400, "server");
    expect_event(p.cmon, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH, 400, "client");
    expect_nothing(p.srv);
    uint8_t key[32];
    zt_assert(zaio_z85_decode(key, k.cpub) != NULL, "key");
    zt_assert(zap_frame_is(&h.last, 5, "CURVE") && h.last.nframes == 7,
              "a CURVE request, %d frames", h.last.nframes);
    zt_assert(h.last.frame_len[6] == 32 && memcmp(h.last.frame[6], key, 32) == 0,
              "asked about the client's key");
    pair_close(&p);
    zap_handler_stop(&h);
    th_term(ctx);
}

ZT_TEST(curve, zap_user_id_and_metadata, 20)
{
    keys k;
    void *ctx = begin(&k, NULL);
    zap_handler h;
    uint8_t allowed[32];
    handler_start(&h, ctx, k.cpub, allowed);
    pair p;
    pair_open(ctx, &p, &k, ZAIO_REP, ZAIO_REQ, NULL, NULL);
    th_send_str(p.cli, "let me in", 0);
    th_set_int(p.srv, ZAIO_RCVTIMEO, 5000);
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, p.srv, 0) == 9, "recv: %s", zaio_strerror(zaio_errno()));
    const char *user = zaio_msg_gets(&m, "User-Id"), *role = zaio_msg_gets(&m, "Role");
    zt_assert(user && strcmp(user, "curve-user") == 0, "User-Id %s", user ? user : "(none)");
    zt_assert(role && strcmp(role, "admin") == 0, "Role %s", role ? role : "(none)");
    zaio_msg_close(&m);
    th_send_str(p.srv, "welcome", 0);
    th_set_int(p.cli, ZAIO_RCVTIMEO, 5000);
    th_recv_str(p.cli, "welcome");
    zt_assert(atomic_load(&h.requests) == 1, "requests %d", atomic_load(&h.requests));
    pair_close(&p);
    zap_handler_stop(&h);
    th_term(ctx);
}

static void with_domain(void *s)
{
    zt_assert(zaio_setsockopt(s, ZAIO_ZAP_DOMAIN, "global", 6) == 0, "domain");
}

static void enforced(void *s)
{
    th_set_int(s, ZAIO_ZAP_ENFORCE_DOMAIN, 1);
}

static void enforced_with_domain(void *s)
{
    with_domain(s);
    enforced(s);
}

/* libzmq 4.3.4's rule: no handler lets every client that knows the server key in (a
 * domain or not), unless ZAP_ENFORCE_DOMAIN is set with a domain. */
ZT_TEST(curve, without_handler, 30)
{
    keys k;
    void *ctx = begin(&k, NULL);
    void (*opts[])(void *) = {NULL, with_domain, enforced};
    for (int i = 0; i < 3; i++) {
        pair p;
        pair_open(ctx, &p, &k, ZAIO_PULL, ZAIO_PUSH, NULL, opts[i]);
        th_send_str(p.cli, "in", 0);
        th_set_int(p.srv, ZAIO_RCVTIMEO, 5000);
        th_recv_str(p.srv, "in");
        pair_close(&p);
    }
    pair p;
    pair_open(ctx, &p, &k, ZAIO_PULL, ZAIO_PUSH, NULL, enforced_with_domain);
    th_send_str(p.cli, "in?", 0);
    expect_event(p.smon, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT, "server");
    expect_nothing(p.srv);
    pair_close(&p);
    th_term(ctx);
}

/* Enforced without a domain, libzmq does not ask the handler at all: neither does zaio. */
ZT_TEST(curve, enforced_without_domain_asks_nobody, 20)
{
    keys k, stranger;
    void *ctx = begin(&k, &stranger);
    zap_handler h;
    uint8_t allowed[32];
    handler_start(&h, ctx, stranger.cpub, allowed); /* it would refuse this client */
    pair p;
    pair_open(ctx, &p, &k, ZAIO_PULL, ZAIO_PUSH, NULL, enforced);
    th_send_str(p.cli, "in", 0);
    th_set_int(p.srv, ZAIO_RCVTIMEO, 5000);
    th_recv_str(p.srv, "in");
    zt_assert(atomic_load(&h.requests) == 0, "requests %d", atomic_load(&h.requests));
    pair_close(&p);
    zap_handler_stop(&h);
    th_term(ctx);
}

/* ---- a peer that breaks the MESSAGE rules ----------------------------------------------- */

/* A raw CURVE client (the codec over a blocking socket) that sends sealed frames as it
 * likes to a zaio PULL server; what the server makes of them. */
static void raw_client(const char *ep, const keys *k, zmtp_crypto **crypto, int *fd)
{
    uint8_t spub[32], cpub[32], csec[32];
    zaio_z85_decode(spub, k->spub);
    zaio_z85_decode(cpub, k->cpub);
    zaio_z85_decode(csec, k->csec);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_PUSH, .mechanism = ZMTP_MECH_CURVE,
                                 .curve_public = cpub, .curve_secret = csec,
                                 .curve_server = spub};
    *fd = th_raw_zmtp_handshake(ep, &cfg, crypto);
    zt_assert(*crypto != NULL, "the raw client's session");
}

ZT_TEST(curve, replayed_or_tampered_message_drops_the_connection, 30)
{
    keys k;
    void *ctx = begin(&k, NULL);
    const struct {
        const char *what;
        uint32_t code;
    } cases[] = {{"replayed", ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE},
                 {"tampered", ZAIO_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC},
                 {"in the clear", ZAIO_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *srv = th_socket(ctx, ZAIO_PULL);
        void *mon = th_monitor(ctx, srv, i == 0 ? "inproc://curve-raw-0" : i == 1
                                                    ? "inproc://curve-raw-1"
                                                    : "inproc://curve-raw-2",
                               HS_EVENTS | ZAIO_EVENT_DISCONNECTED);
        curve_server(srv, &k);
        char ep[256];
        th_bind(srv, "tcp://127.0.0.1:*", ep, sizeof ep);
        zmtp_crypto *c;
        int fd;
        raw_client(ep, &k, &c, &fd);
        expect_event(mon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0, "server");
        uint8_t first[64], second[64];
        ptrdiff_t n1 = zmtp_crypto_seal(c, first, sizeof first, 0, "first", 5);
        ptrdiff_t n2 = zmtp_crypto_seal(c, second, sizeof second, 0, "second", 6);
        zt_assert(n1 > 0 && n2 > 0, "sealed");
        th_raw_send(fd, first, (size_t)n1);
        th_set_int(srv, ZAIO_RCVTIMEO, 5000);
        th_recv_str(srv, "first");
        if (i == 0) {
            th_raw_send(fd, first, (size_t)n1); /* the same MESSAGE again */
        } else if (i == 1) {
            second[n2 - 1] ^= 1;
            th_raw_send(fd, second, (size_t)n2);
        } else {
            th_raw_send(fd, "\x00\x06second", 8); /* a plain frame after a CURVE handshake */
        }
        expect_event(mon, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, cases[i].code, cases[i].what);
        zt_assert(th_raw_wait_closed(fd, 5000, NULL), "%s: the server closes", cases[i].what);
        expect_nothing(srv);
        zmtp_crypto_free(c);
        close(fd);
        zaio_close(mon);
        zaio_close(srv);
    }
    th_term(ctx);
}

static void max_10000(void *s)
{
    int64_t max = 10000;
    zt_assert(zaio_setsockopt(s, ZAIO_MAXMSGSIZE, &max, sizeof max) == 0, "maxmsgsize");
}

/* MAXMSGSIZE counts the message, not the box around it. */
ZT_TEST(curve, maxmsgsize_counts_the_message, 20)
{
    keys k;
    void *ctx = begin(&k, NULL);
    pair p;
    pair_open(ctx, &p, &k, ZAIO_PULL, ZAIO_PUSH, NULL, max_10000);
    uint8_t *b = pattern(10001, 3);
    th_send(p.cli, b, 10000, 0);
    th_set_int(p.srv, ZAIO_RCVTIMEO, 5000);
    recv_big(p.srv, b, 10000, false);
    th_send(p.cli, b, 10001, 0);
    expect_nothing(p.srv);
    free(b);
    pair_close(&p);
    th_term(ctx);
}

/* ---- options and keys ------------------------------------------------------------------- */

ZT_TEST(curve, options_as_libzmq, 10)
{
    void *ctx = zaio_ctx_new();
    zt_assert(zaio_has("curve") == 1, "has curve");
    keys k;
    make_keys(&k);
    char pub[41];
    zt_assert(zaio_curve_public(pub, k.ssec) == 0 && strcmp(pub, k.spub) == 0, "public of secret");
    zt_assert(zaio_curve_public(pub, "short") == -1 && zaio_errno() == EINVAL, "a bad secret");
    void *s = th_socket(ctx, ZAIO_DEALER);
    int v = -1;
    size_t len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_MECHANISM, &v, &len) == 0 && v == ZAIO_NULL, "NULL first");
    /* a key in each form: 40 Z85 characters, 41 with the NUL, 32 bytes */
    uint8_t bin[32];
    zaio_z85_decode(bin, k.cpub);
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_PUBLICKEY, k.cpub, 40) == 0, "40");
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_SECRETKEY, k.csec, 41) == 0, "41");
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_SERVERKEY, bin, 32) == 0, "32");
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_MECHANISM, &v, &len) == 0 && v == ZAIO_CURVE, "CURVE now");
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_CURVE_SERVER, &v, &len) == 0 && v == 0, "a client");
    char z[41];
    uint8_t back[32];
    len = sizeof z;
    zt_assert(zaio_getsockopt(s, ZAIO_CURVE_PUBLICKEY, z, &len) == 0 && len == 41 &&
                  strcmp(z, k.cpub) == 0, "Z85 back into 41 bytes");
    len = sizeof back;
    zt_assert(zaio_getsockopt(s, ZAIO_CURVE_SERVERKEY, back, &len) == 0 && len == 32 &&
                  memcmp(back, bin, 32) == 0, "32 bytes back");
    len = 40;
    zt_assert(zaio_getsockopt(s, ZAIO_CURVE_SECRETKEY, z, &len) == -1 && zaio_errno() == EINVAL,
              "40 is no size to read a key into");
    /* what libzmq refuses */
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_PUBLICKEY, k.cpub, 39) == -1 && zaio_errno() == EINVAL,
              "39");
    char badz[41];
    memcpy(badz, k.cpub, 41);
    badz[3] = '~'; /* not a Z85 character */
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_PUBLICKEY, badz, 40) == -1 && zaio_errno() == EINVAL,
              "not Z85");
    memcpy(badz, k.cpub, 41);
    badz[40] = 'x';
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_PUBLICKEY, badz, 41) == -1 && zaio_errno() == EINVAL,
              "41 without its NUL");
    /* one server flag for PLAIN and CURVE, as in libzmq */
    th_set_int(s, ZAIO_CURVE_SERVER, 1);
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_CURVE_SERVER, &v, &len) == 0 && v == 1, "server");
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_PLAIN_SERVER, &v, &len) == 0 && v == 0, "not PLAIN's");
    zt_assert(zaio_setsockopt(s, ZAIO_CURVE_SERVERKEY, k.spub, 40) == 0, "a server key");
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_CURVE_SERVER, &v, &len) == 0 && v == 0, "a client again");
    th_set_int(s, ZAIO_CURVE_SERVER, 0);
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_MECHANISM, &v, &len) == 0 && v == ZAIO_NULL, "NULL again");
    zaio_close(s);
    th_term(ctx);
}
