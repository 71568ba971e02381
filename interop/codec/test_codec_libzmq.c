/* The codec against libzmq 4.3.4, byte for byte over real TCP on 127.0.0.1: our side is
 * a blocking socket driven only by zmtp (wire.c), the other a libzmq socket in the same
 * process (its I/O thread runs the other end). Each pattern is run with libzmq bound
 * (we connect) and, where the direction matters, with us listening (libzmq connects). */
#include "wire.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static void *ctx;
/* Sockets still open: a failed assertion leaves the test early, and zmq_ctx_term
 * would wait for them forever. */
static void *open_socks[16];

static void setup(void)
{
    ctx = zmq_ctx_new();
    cr_assert_not_null(ctx);
}

static void teardown(void)
{
    for (size_t i = 0; i < sizeof open_socks / sizeof open_socks[0]; i++)
        if (open_socks[i])
            zmq_close(open_socks[i]);
    memset(open_socks, 0, sizeof open_socks);
    zmq_ctx_term(ctx);
}

static void zclose(void *s)
{
    for (size_t i = 0; i < sizeof open_socks / sizeof open_socks[0]; i++)
        if (open_socks[i] == s)
            open_socks[i] = NULL;
    zmq_close(s);
}

static void *zsock(int type)
{
    void *s = zmq_socket(ctx, type);
    cr_assert_not_null(s);
    size_t slot = 0;
    while (slot < sizeof open_socks / sizeof open_socks[0] && open_socks[slot])
        slot++;
    cr_assert_lt(slot, sizeof open_socks / sizeof open_socks[0]);
    open_socks[slot] = s;
    int linger = 0, timeout = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    return s;
}

static void zopt_int(void *s, int opt, int v)
{
    cr_assert_eq(zmq_setsockopt(s, opt, &v, sizeof v), 0);
}

static void zopt_str(void *s, int opt, const char *v)
{
    cr_assert_eq(zmq_setsockopt(s, opt, v, strlen(v)), 0);
}

/* Binds s to a kernel-chosen port on 127.0.0.1 and returns that port. */
static uint16_t zbind(void *s)
{
    char ep[256];
    size_t len = sizeof ep;
    cr_assert_eq(zmq_bind(s, "tcp://127.0.0.1:*"), 0, "%s", zmq_strerror(zmq_errno()));
    cr_assert_eq(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    const char *colon = strrchr(ep, ':');
    cr_assert_not_null(colon);
    return (uint16_t)atoi(colon + 1);
}

static void zconnect(void *s, uint16_t port)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%u", port);
    cr_assert_eq(zmq_connect(s, ep), 0);
}

/* Receives one frame into a malloc'd buffer; returns its size, *more set. */
static size_t zrecv(void *s, uint8_t **data, int *more)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    cr_assert_geq(zmq_msg_recv(&m, s, 0), 0, "zmq_msg_recv: %s", zmq_strerror(zmq_errno()));
    size_t n = zmq_msg_size(&m);
    *data = malloc(n ? n : 1);
    memcpy(*data, zmq_msg_data(&m), n);
    *more = zmq_msg_more(&m);
    zmq_msg_close(&m);
    return n;
}

static void zexpect(void *s, const char *want, int want_more)
{
    uint8_t *d;
    int more;
    size_t n = zrecv(s, &d, &more);
    cr_assert(n == strlen(want) && memcmp(d, want, n) == 0, "libzmq got %.*s, wanted %s",
              (int)n, d, want);
    cr_assert_eq(more, want_more, "MORE on %s", want);
    free(d);
}

static void zsend(void *s, const void *d, size_t n, int more)
{
    cr_assert_eq(zmq_send(s, d, n, more ? ZMQ_SNDMORE : 0), (int)n);
}

static void zsend_str(void *s, const char *str, int more)
{
    zsend(s, str, strlen(str), more);
}

/* Our end connects to libzmq's bound port and handshakes. */
static void wire_dial(wire *w, uint16_t port, const zmtp_handshake_config *cfg, int want)
{
    int fd = wire_connect(port);
    cr_assert_geq(fd, 0);
    wire_init(w, fd);
    int st = wire_handshake(w, cfg);
    cr_assert_eq(st, want, "handshake: %s", zmtp_strerror(st));
}

/* libzmq connects to our listener; we accept and handshake. */
static void wire_answer_auth(wire *w, void *zs, const zmtp_handshake_config *cfg, int want,
                             int (*verdict)(const uint8_t *, size_t, const uint8_t *, size_t))
{
    uint16_t port;
    int lfd = wire_listen(&port);
    cr_assert_geq(lfd, 0);
    zconnect(zs, port);
    int fd = wire_accept(lfd);
    close(lfd);
    cr_assert_geq(fd, 0, "libzmq did not connect");
    wire_init(w, fd);
    w->verdict = verdict;
    int st = wire_handshake(w, cfg);
    cr_assert_eq(st, want, "handshake: %s", zmtp_strerror(st));
}

static void wire_answer(wire *w, void *zs, const zmtp_handshake_config *cfg, int want)
{
    wire_answer_auth(w, zs, cfg, want, NULL);
}

static void expect_msg(wire *w, int n, ...)
{
    wire_msg m;
    int rc = wire_recv_msg(w, &m);
    cr_assert_eq(rc, 0, "recv: %s", zmtp_strerror(rc));
    cr_assert_eq(m.n, n, "parts");
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        cr_assert(wire_part_is(&m, i, s), "part %d: wanted %s", i, s);
    }
    va_end(ap);
    wire_msg_free(&m);
}

TestSuite(dealer_router, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(req_rep, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(pub_sub, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(heartbeat, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(sizes, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(plain, .init = setup, .fini = teardown, .timeout = 60);

Test(dealer_router, codec_dealer_to_libzmq_router)
{
    void *router = zsock(ZMQ_ROUTER);
    uint16_t port = zbind(router);
    zmtp_property id = {"Identity", 8, "abc", 3};
    zmtp_handshake_config cfg = {.socket_type = ZMTP_DEALER, .props = &id, .nprops = 1};
    wire w;
    wire_dial(&w, port, &cfg, ZMTP_HS_DONE);
    cr_assert_eq(zmtp_handshake_peer_socket_type(w.hs), ZMTP_ROUTER);
    cr_assert_eq(w.minor, 1);
    cr_assert_eq(wire_send_str(&w, 2, "hello", "world"), 0);
    zexpect(router, "abc", 1); /* our Identity became the routing id */
    zexpect(router, "hello", 1);
    zexpect(router, "world", 0);
    zsend_str(router, "abc", 1);
    zsend_str(router, "back", 0);
    expect_msg(&w, 1, "back");
    wire_close(&w);
    zclose(router);
}

Test(dealer_router, libzmq_dealer_to_codec_router)
{
    void *dealer = zsock(ZMQ_DEALER);
    zopt_str(dealer, ZMQ_ROUTING_ID, "dlr");
    zmtp_property id = {"Identity", 8, "", 0};
    zmtp_handshake_config cfg = {.socket_type = ZMTP_ROUTER, .props = &id, .nprops = 1};
    wire w;
    wire_answer(&w, dealer, &cfg, ZMTP_HS_DONE);
    const uint8_t *rid;
    size_t rlen;
    cr_assert_eq(zmtp_handshake_peer_routing_id(w.hs, &rid, &rlen), 1);
    cr_assert(rlen == 3 && memcmp(rid, "dlr", 3) == 0);
    zsend_str(dealer, "x", 1);
    zsend_str(dealer, "y", 0);
    expect_msg(&w, 2, "x", "y");
    cr_assert_eq(wire_send_str(&w, 1, "z"), 0);
    zexpect(dealer, "z", 0);
    wire_close(&w);
    zclose(dealer);
}

/* Our REQ writes the empty delimiter itself; libzmq's REP strips and restores it. */
Test(req_rep, codec_req_to_libzmq_rep)
{
    void *rep = zsock(ZMQ_REP);
    uint16_t port = zbind(rep);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_REQ};
    wire w;
    wire_dial(&w, port, &cfg, ZMTP_HS_DONE);
    cr_assert_eq(wire_send_str(&w, 2, "", "ping"), 0);
    zexpect(rep, "ping", 0);
    zsend_str(rep, "pong", 0);
    expect_msg(&w, 2, "", "pong");
    wire_close(&w);
    zclose(rep);
}

Test(req_rep, libzmq_req_to_codec_rep)
{
    void *req = zsock(ZMQ_REQ);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_REP};
    wire w;
    wire_answer(&w, req, &cfg, ZMTP_HS_DONE);
    cr_assert_eq(zmtp_handshake_peer_socket_type(w.hs), ZMTP_REQ);
    zsend_str(req, "q", 0);
    expect_msg(&w, 2, "", "q");
    cr_assert_eq(wire_send_str(&w, 2, "", "a"), 0);
    zexpect(req, "a", 0);
    wire_close(&w);
    zclose(req);
}

/* A REQ refused by a PUB: libzmq drops the connection, our codec names the mismatch.
 * Our READY waits for libzmq's (hold_ready): with the staged greeting libzmq may read
 * the end of ours and our READY at once and close before its READY leaves. */
Test(req_rep, socket_type_mismatch)
{
    void *pub = zsock(ZMQ_PUB);
    uint16_t port = zbind(pub);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_REQ, .hold_ready = 1};
    wire w;
    wire_dial(&w, port, &cfg, ZMTP_E_SOCKET_TYPE_MISMATCH);
    wire_close(&w);
    zclose(pub);
}

/* XPUB is libzmq's PUB with the subscriptions made visible, so the test knows when
 * libzmq has read our SUBSCRIBE instead of guessing with a sleep. */
Test(pub_sub, codec_sub_3_1_subscribe_command)
{
    void *xpub = zsock(ZMQ_XPUB);
    uint16_t port = zbind(xpub);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_SUB};
    wire w;
    wire_dial(&w, port, &cfg, ZMTP_HS_DONE);
    cr_assert_eq(w.minor, 1);
    cr_assert_eq(wire_send_subscription(&w, w.minor, 1, "A", 1), 0);
    zexpect(xpub, "\x01" "A", 0);
    zsend_str(xpub, "B-filtered", 0);
    zsend_str(xpub, "A-yes", 0);
    expect_msg(&w, 1, "A-yes");
    cr_assert_eq(wire_send_subscription(&w, w.minor, 0, "A", 1), 0);
    uint8_t *d;
    int more;
    cr_assert_eq(zrecv(xpub, &d, &more), 2);
    cr_assert(memcmp(d, "\x00" "A", 2) == 0);
    free(d);
    wire_close(&w);
    zclose(xpub);
}

/* Toward a peer that said 3.0, a subscription is a message; libzmq takes it too. */
Test(pub_sub, codec_sub_3_0_subscribe_message)
{
    void *xpub = zsock(ZMQ_XPUB);
    uint16_t port = zbind(xpub);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_SUB};
    wire w;
    int fd = wire_connect(port);
    cr_assert_geq(fd, 0);
    wire_init(&w, fd);
    w.claim_3_0 = 1;
    cr_assert_eq(wire_handshake(&w, &cfg), ZMTP_HS_DONE);
    cr_assert_eq(wire_send_subscription(&w, 0, 1, "T", 1), 0);
    zexpect(xpub, "\x01T", 0);
    zsend_str(xpub, "T1", 0);
    expect_msg(&w, 1, "T1");
    wire_close(&w);
    zclose(xpub);
}

static void expect_subscribe_command(wire *w, zmtp_command_type type, const void *topic,
                                     size_t len, wire_item *out)
{
    wire_item it;
    int rc = wire_next(w, &it);
    cr_assert_eq(rc, 0, "%s", zmtp_strerror(rc));
    cr_assert(it.is_command, "a message, not a command");
    cr_assert_eq(it.cmd, type);
    cr_assert_eq(it.data_len, len);
    cr_assert(memcmp(it.data, topic, len) == 0);
    if (out)
        *out = it;
}

/* libzmq's SUB sends SUBSCRIBE commands to a 3.1 peer, including the 246-255-byte
 * topic that 4.3.4 frames without LONG (libzmq issue 4367): the decoder takes it. */
Test(pub_sub, libzmq_sub_to_codec_pub)
{
    void *sub = zsock(ZMQ_SUB);
    char big[251];
    memset(big, 'k', 250);
    big[250] = 0;
    zopt_str(sub, ZMQ_SUBSCRIBE, "A");
    zopt_str(sub, ZMQ_SUBSCRIBE, big);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_PUB};
    wire w;
    wire_answer(&w, sub, &cfg, ZMTP_HS_DONE);
    wire_item it;
    expect_subscribe_command(&w, ZMTP_CMD_SUBSCRIBE, "A", 1, NULL);
    expect_subscribe_command(&w, ZMTP_CMD_SUBSCRIBE, big, 250, &it);
    cr_assert_eq(it.size, 260);
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    if (major == 4 && minor == 3 && patch <= 4)
        cr_assert_eq(it.flags & ZMTP_FLAG_LONG, 0, "expected 4.3.4's frame without LONG");
    cr_assert_eq(wire_send_str(&w, 1, "A-msg"), 0);
    zexpect(sub, "A-msg", 0);
    zopt_str(sub, ZMQ_UNSUBSCRIBE, "A");
    /* the cancel only leaves with the next operation on the SUB */
    uint8_t b;
    cr_assert_eq(zmq_recv(sub, &b, 1, ZMQ_DONTWAIT), -1);
    expect_subscribe_command(&w, ZMTP_CMD_CANCEL, "A", 1, NULL);
    wire_close(&w);
    zclose(sub);
}

/* Told we speak 3.0, libzmq's SUB sends \x01topic as a message. */
Test(pub_sub, libzmq_sub_to_codec_pub_3_0)
{
    void *sub = zsock(ZMQ_SUB);
    zopt_str(sub, ZMQ_SUBSCRIBE, "old");
    uint16_t port;
    int lfd = wire_listen(&port);
    zconnect(sub, port);
    int fd = wire_accept(lfd);
    close(lfd);
    cr_assert_geq(fd, 0);
    wire w;
    wire_init(&w, fd);
    w.claim_3_0 = 1;
    zmtp_handshake_config cfg = {.socket_type = ZMTP_PUB};
    cr_assert_eq(wire_handshake(&w, &cfg), ZMTP_HS_DONE);
    wire_msg m;
    cr_assert_eq(wire_recv_msg(&w, &m), 0);
    cr_assert_eq(m.n, 1);
    const uint8_t *topic;
    size_t tl;
    cr_assert_eq(zmtp_subscription_message_parse(m.part[0].data, m.part[0].len, &topic, &tl), 1);
    cr_assert(tl == 3 && memcmp(topic, "old", 3) == 0);
    wire_msg_free(&m);
    cr_assert_eq(wire_send_str(&w, 1, "old-news"), 0);
    zexpect(sub, "old-news", 0);
    wire_close(&w);
    zclose(sub);
}

/* libzmq with HEARTBEAT_IVL pings us; we answer PONG. It answers our PING with our
 * context. With HEARTBEAT_TIMEOUT short, the connection lives while we answer and
 * dies when we stop: the answers are what keeps it up. */
Test(heartbeat, ping_answered_by_pong)
{
    void *dealer = zsock(ZMQ_DEALER);
    /* a timeout ten intervals long, so a loaded machine (ctest -j2 beside the fuzzer)
     * cannot make one late PONG look like silence */
    zopt_int(dealer, ZMQ_HEARTBEAT_IVL, 100);
    zopt_int(dealer, ZMQ_HEARTBEAT_TTL, 2000);
    zopt_int(dealer, ZMQ_HEARTBEAT_TIMEOUT, 1000);
    uint16_t port = zbind(dealer);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_DEALER};
    wire w;
    wire_dial(&w, port, &cfg, ZMTP_HS_DONE);
    wire_item it;
    for (int pings = 0; pings < 15;) {
        cr_assert_eq(wire_next(&w, &it), 0);
        cr_assert(it.is_command);
        if (it.cmd != ZMTP_CMD_PING)
            continue;
        cr_assert_eq(it.ttl, 20, "TTL in tenths of a second");
        cr_assert_eq(wire_send_pong(&w, it.data, it.data_len), 0);
        pings++;
    }
    /* 15 pings at 100 ms: past the 1 s timeout, kept alive by our PONGs alone */
    cr_assert_eq(wire_send_ping(&w, 10, "ctx-1234", 8), 0);
    for (;;) {
        cr_assert_eq(wire_next(&w, &it), 0);
        cr_assert(it.is_command);
        if (it.cmd == ZMTP_CMD_PONG)
            break;
        cr_assert_eq(it.cmd, ZMTP_CMD_PING);
        cr_assert_eq(wire_send_pong(&w, it.data, it.data_len), 0);
    }
    cr_assert(it.data_len == 8 && memcmp(it.data, "ctx-1234", 8) == 0);
    cr_assert_eq(wire_send_str(&w, 1, "alive"), 0);
    zexpect(dealer, "alive", 0);
    /* now stay silent: libzmq must hang up */
    int rc;
    while ((rc = wire_next(&w, &it)) == 0)
        cr_assert(it.is_command && it.cmd == ZMTP_CMD_PING);
    cr_assert(rc == WIRE_E_EOF || rc == WIRE_E_IO, "%d", rc);
    wire_close(&w);
    zclose(dealer);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 2654435761u) >> 13 ^ seed);
    return p;
}

/* Multipart, 0-byte and 1 MiB messages both ways; the 1 MiB body leaves from its own
 * buffer (header-only encoding) and arrives straight into the message. */
Test(sizes, multipart_empty_and_1mib)
{
    void *pair = zsock(ZMQ_PAIR);
    uint16_t port = zbind(pair);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_PAIR};
    wire w;
    wire_dial(&w, port, &cfg, ZMTP_HS_DONE);
    const size_t big = 1 << 20;
    uint8_t *out = pattern(big, 1), *mid = pattern(300, 2);

    wire_part empty = {NULL, 0};
    cr_assert_eq(wire_send(&w, &empty, 1), 0);
    uint8_t *d;
    int more;
    cr_assert_eq(zrecv(pair, &d, &more), 0);
    cr_assert_eq(more, 0);
    free(d);

    wire_part multi[4] = {{(uint8_t *)"a", 1}, {NULL, 0}, {mid, 300}, {out, big}};
    cr_assert_eq(wire_send(&w, multi, 4), 0);
    const size_t want[4] = {1, 0, 300, big};
    for (int i = 0; i < 4; i++) {
        size_t n = zrecv(pair, &d, &more);
        cr_assert_eq(n, want[i], "part %d", i);
        cr_assert(n == 0 || memcmp(d, multi[i].data, n) == 0, "part %d", i);
        cr_assert_eq(more, i < 3);
        free(d);
    }

    zsend(pair, "", 0, 0);
    zsend(pair, "x", 1, 1);
    zsend(pair, out, big, 1);
    zsend(pair, "", 0, 0);
    wire_msg m;
    cr_assert_eq(wire_recv_msg(&w, &m), 0);
    cr_assert_eq(m.n, 1);
    cr_assert_eq(m.part[0].len, 0);
    wire_msg_free(&m);
    cr_assert_eq(wire_recv_msg(&w, &m), 0);
    cr_assert_eq(m.n, 3);
    cr_assert(wire_part_is(&m, 0, "x"));
    cr_assert_eq(m.part[1].len, big);
    cr_assert(memcmp(m.part[1].data, out, big) == 0);
    cr_assert_eq(m.part[2].len, 0);
    cr_assert_gt(w.zero_copy_bytes, 0, "no body byte went straight into the message");
    wire_msg_free(&m);
    free(out);
    free(mid);
    wire_close(&w);
    zclose(pair);
}

/* ---- PLAIN ---------------------------------------------------------------------- */

/* libzmq's ZAP handler (RFC 27): accepts admin/secret, refuses the rest with 400. */
static void *zap_handler(void *arg)
{
    void *rep = arg;
    for (;;) {
        char f[8][256];
        size_t len[8];
        int n = 0, more = 1;
        while (more) {
            int r = zmq_recv(rep, f[n < 8 ? n : 7], 255, 0);
            if (r < 0) {
                zmq_close(rep);
                return NULL; /* the context is ending */
            }
            len[n < 8 ? n : 7] = (size_t)r;
            n++;
            size_t ml = sizeof more;
            zmq_getsockopt(rep, ZMQ_RCVMORE, &more, &ml);
        }
        int ok = n >= 8 && len[6] == 5 && memcmp(f[6], "admin", 5) == 0 && len[7] == 6 &&
                 memcmp(f[7], "secret", 6) == 0;
        zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(rep, f[1], len[1], ZMQ_SNDMORE);
        zmq_send(rep, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(rep, ok ? "OK" : "No", 2, ZMQ_SNDMORE);
        zmq_send(rep, ok ? "admin" : "", ok ? 5 : 0, ZMQ_SNDMORE);
        zmq_send(rep, "", 0, 0);
    }
}

static pthread_t zap_thread;

static void plain_setup(void)
{
    setup();
    void *rep = zmq_socket(ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_bind(rep, "inproc://zeromq.zap.01"), 0);
    cr_assert_eq(pthread_create(&zap_thread, NULL, zap_handler, rep), 0);
}

static void plain_teardown(void)
{
    teardown(); /* the handler's recv fails with ETERM, it closes its socket */
    pthread_join(zap_thread, NULL);
}

TestSuite(plain_libzmq_server, .init = plain_setup, .fini = plain_teardown, .timeout = 60);

static void plain_client_against_libzmq(const char *pass, int want)
{
    void *router = zsock(ZMQ_ROUTER);
    zopt_int(router, ZMQ_PLAIN_SERVER, 1);
    uint16_t port = zbind(router);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                 .username = "admin", .password = pass};
    wire w;
    wire_dial(&w, port, &cfg, want);
    if (want == ZMTP_HS_DONE) {
        cr_assert_eq(wire_send_str(&w, 1, "secret-msg"), 0);
        zmq_msg_t m;
        zmq_msg_init(&m);
        cr_assert_geq(zmq_msg_recv(&m, router, 0), 0); /* routing id */
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        cr_assert_eq(zmq_msg_recv(&m, router, 0), 10);
        cr_assert(memcmp(zmq_msg_data(&m), "secret-msg", 10) == 0);
        const char *user = zmq_msg_gets(&m, "User-Id");
        cr_assert(user && strcmp(user, "admin") == 0, "User-Id %s", user ? user : "(none)");
        zmq_msg_close(&m);
    } else {
        const uint8_t *r;
        size_t rl;
        zmtp_handshake_error_reason(w.hs, &r, &rl);
        cr_assert(rl == 3 && memcmp(r, "400", 3) == 0, "reason %.*s", (int)rl, r);
    }
    wire_close(&w);
    zclose(router);
}

Test(plain_libzmq_server, right_credentials)
{
    plain_client_against_libzmq("secret", ZMTP_HS_DONE);
}

Test(plain_libzmq_server, wrong_credentials)
{
    plain_client_against_libzmq("guess", ZMTP_E_PEER_ERROR);
}

static int check_admin(const uint8_t *u, size_t ul, const uint8_t *p, size_t pl)
{
    return ul == 5 && memcmp(u, "admin", 5) == 0 && pl == 6 && memcmp(p, "secret", 6) == 0 ? 200
                                                                                           : 400;
}

/* Reads libzmq monitor events until one of mask arrives; returns its value. */
static int wait_event(void *mon, int mask, int *value)
{
    for (;;) {
        uint8_t *d;
        int more;
        size_t n = zrecv(mon, &d, &more);
        cr_assert_eq(n, 6);
        uint16_t ev;
        uint32_t v;
        memcpy(&ev, d, 2);
        memcpy(&v, d + 2, 4);
        free(d);
        while (more) {
            zrecv(mon, &d, &more); /* the endpoint */
            free(d);
        }
        if (ev & mask) {
            *value = (int)v;
            return ev;
        }
    }
}

static void plain_server_for_libzmq(const char *pass, int want)
{
    void *dealer = zsock(ZMQ_DEALER);
    zopt_str(dealer, ZMQ_PLAIN_USERNAME, "admin");
    zopt_str(dealer, ZMQ_PLAIN_PASSWORD, pass);
    cr_assert_eq(zmq_socket_monitor(dealer, "inproc://mon",
                                    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
                 0);
    void *mon = zsock(ZMQ_PAIR);
    cr_assert_eq(zmq_connect(mon, "inproc://mon"), 0);
    zmtp_handshake_config cfg = {.socket_type = ZMTP_ROUTER, .mechanism = ZMTP_MECH_PLAIN,
                                 .as_server = 1};
    wire w;
    wire_answer_auth(&w, dealer, &cfg, want, check_admin);
    int value;
    if (want == ZMTP_HS_DONE) {
        const uint8_t *u, *p;
        size_t ul, pl;
        zmtp_handshake_credentials(w.hs, &u, &ul, &p, &pl);
        cr_assert(ul == 5 && memcmp(u, "admin", 5) == 0);
        cr_assert_eq(wait_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
                                &value),
                     ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        zsend_str(dealer, "hi", 0);
        expect_msg(&w, 1, "hi");
    } else {
        /* libzmq fails the handshake. 4.3.4 only knows ERROR by its own misspelt name
         * (5E "RROR", see command.c), so our RFC 24 ERROR "400" reaches it as an
         * unexpected command; a libzmq that reads the RFC form reports the 400. */
        int ev = wait_event(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                            &value);
        cr_assert((ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400) ||
                      (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                       value == ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND),
                  "event %x value %x", ev, value);
        /* and it hangs up: past the HELLO we refused, nothing more arrives */
        w.in_off = w.in_len;
        wire_item it;
        int rc = wire_next(&w, &it);
        cr_assert(rc == WIRE_E_EOF || rc == WIRE_E_IO, "%d", rc);
    }
    wire_close(&w);
    zmq_socket_monitor(dealer, NULL, 0);
    zclose(mon);
    zclose(dealer);
}

Test(plain, codec_server_right_credentials)
{
    plain_server_for_libzmq("secret", ZMTP_HS_DONE);
}

Test(plain, codec_server_wrong_credentials)
{
    plain_server_for_libzmq("guess", ZMTP_E_AUTH_DENIED);
}
