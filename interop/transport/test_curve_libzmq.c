/* CURVE between zaio and libzmq 4.3.4, each way round, in one process (zaio's calls are
 * zaio_*, libzmq's zmq_*; their contexts meet only over TCP): messages both ways with the
 * right keys (multipart, 1 MiB), subscriptions and heartbeats (commands that travel in
 * boxes), a client with the wrong server key (no connection, no message), and a ZAP
 * handler that refuses the client's key or lets it in with a User-Id; the last three in
 * both roles too (the CURVE server binds, or it connects to a client that binds). The
 * keys come from libzmq's zmq_curve_keypair, so the Z85 forms meet too. */
#include "duo.h"

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
static void wrong_server_key(bool zaio_server, bool reversed)
{
    world w = world_new();
    keys ks, other;
    make_keys(&ks);
    make_keys(&other);
    duo d = duo_new(&w, zaio_server, ZMQ_PULL, ZMQ_PUSH, &ks, other.spub);
    if (reversed)
        duo_start_reversed(&d);
    else
        duo_start(&d);
    /* queued, never delivered; a client that binds has no pipe to queue in (EAGAIN) */
    int rc = d.cli.zaio ? zaio_send(d.cli.s, "secret", 6, ZAIO_DONTWAIT)
                        : zmq_send(d.cli.s, "secret", 6, ZMQ_DONTWAIT);
    cr_assert(rc == 6 || (d.cli.zaio ? zaio_errno() : zmq_errno()) == EAGAIN);
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
    wrong_server_key(true, false);
}

Test(curve_libzmq, zaio_client_wrong_server_key)
{
    wrong_server_key(false, false);
}

Test(curve_libzmq, libzmq_client_binds_wrong_server_key)
{
    wrong_server_key(true, true);
}

Test(curve_libzmq, zaio_client_binds_wrong_server_key)
{
    wrong_server_key(false, true);
}

/* The right keys in the other role: the client binds, the CURVE server connects. */
static void server_connects(bool zaio_server)
{
    world w = world_new();
    keys ks;
    make_keys(&ks);
    duo d = duo_new(&w, zaio_server, ZMQ_REP, ZMQ_REQ, &ks, ks.spub);
    duo_start_reversed(&d);
    sk_send(d.cli, "ping", 4, false);
    sk_expect(d.srv, "ping", 4, false);
    sk_send(d.srv, "pong", 4, false);
    sk_expect(d.cli, "pong", 4, false);
    duo_close(&d);
    world_end(&w);
}

Test(curve_libzmq, zaio_server_connects_to_libzmq_client)
{
    server_connects(true);
}

Test(curve_libzmq, libzmq_server_connects_to_zaio_client)
{
    server_connects(false);
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

static void zap(bool zaio_server, bool let_in, bool reversed)
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
    if (reversed)
        duo_start_reversed(&d);
    else
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
    zap(true, false, false);
}

Test(curve_libzmq, libzmq_server_zap_refuses_zaio_client)
{
    zap(false, false, false);
}

Test(curve_libzmq, zaio_server_zap_lets_libzmq_client_in)
{
    zap(true, true, false);
}

Test(curve_libzmq, libzmq_server_zap_lets_zaio_client_in)
{
    zap(false, true, false);
}

Test(curve_libzmq, zaio_server_connects_zap_refuses_libzmq_client)
{
    zap(true, false, true);
}

Test(curve_libzmq, libzmq_server_connects_zap_refuses_zaio_client)
{
    zap(false, false, true);
}
