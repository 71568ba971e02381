/* tcp:// against peers that are not well-behaved ZMTP peers: monitoring probes that
 * connect and say nothing, HTTP health checks, resets, partial and corrupt greetings,
 * a peer of the wrong socket type, a peer that stops answering heartbeats, a server
 * that never greets. The server must drop each, release everything, and keep serving;
 * every test ends with the context terminated and the live counters at zero. */
#include "tcp_helpers.h"

/* A DEALER talking to the ROUTER at ep: proves the listener still serves. */
static void round_trip(void *ctx, void *router, const char *ep, const char *text)
{
    void *d = th_socket(ctx, ZAIO_DEALER);
    th_connect(d, ep);
    th_send_str(d, text, 0);
    char id[256];
    int n = zaio_recv(router, id, sizeof id, 0);
    zt_assert(n > 0, "routing id: %s", zaio_strerror(zaio_errno()));
    th_recv_str(router, text);
    th_send(router, id, (size_t)n, ZAIO_SNDMORE);
    th_send_str(router, text, 0);
    th_recv_str(d, text);
    zaio_close(d);
}

static long long stat_handshakes(void *ctx)
{
    zaio_stats_t st;
    zaio_stats(ctx, &st);
    return (long long)st.handshakes;
}

ZT_TEST(tcp_probe, silent_client_dropped_after_handshake_ivl, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER);
    th_set_int(router, ZAIO_HANDSHAKE_IVL, 300);
    void *mon = th_monitor(ctx, router, "inproc://mon-silent", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    int64_t t0 = th_now_ms();
    int fd = th_raw_connect(ep);
    /* the listener serves others while the probe sits there */
    round_trip(ctx, router, ep, "during");
    zt_assert(stat_handshakes(ctx) == 1, "the probe is one handshake in progress: %lld",
              stat_handshakes(ctx));
    size_t got = 0;
    zt_assert(th_raw_wait_closed(fd, 5000, &got), "the server never dropped the probe");
    int64_t waited = th_now_ms() - t0;
    zt_assert(waited >= 250 && waited < 3000, "dropped after %lld ms", (long long)waited);
    /* the signature alone: the rest of a greeting waits for the peer's, as libzmq's */
    zt_assert(got == 10, "the server said %zu bytes (its signature)", got);
    close(fd);
    uint32_t v;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 2000, &v), "event");
    zt_assert(v == ETIMEDOUT, "value %u", v);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 2000, NULL), "disconnected");
    th_wait_quiet(ctx, 2000);
    round_trip(ctx, router, ep, "after");
    zaio_close(router);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(tcp_probe, http_health_check_dropped_at_once, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER); /* HANDSHAKE_IVL stays at 30 s */
    void *mon = th_monitor(ctx, router, "inproc://mon-http", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    for (int i = 0; i < 20; i++) {
        int fd = th_raw_connect(ep);
        static const char get[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
        th_raw_send(fd, get, sizeof get - 1);
        int64_t t0 = th_now_ms();
        zt_assert(th_raw_wait_closed(fd, 3000, NULL), "an HTTP GET was not dropped");
        zt_assert(th_now_ms() - t0 < 1000, "dropped after %lld ms", (long long)(th_now_ms() - t0));
        close(fd);
    }
    uint32_t v;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, 2000, &v), "event");
    zt_assert(v == ZAIO_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, "value %x", v);
    th_wait_quiet(ctx, 2000);
    round_trip(ctx, router, ep, "still serving");
    zaio_close(router);
    zaio_close(mon);
    th_term(ctx);
}

/* One probe of each kind the production monitors and zaio-probe produce. */
static void probe(const char *ep, int kind)
{
    int fd = th_raw_connect(ep);
    switch (kind) {
    case 0: { /* connect then RST */
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        break;
    }
    case 1: /* connect then FIN */
        break;
    case 2: /* a partial greeting, then FIN */
        th_raw_send(fd, "\xff\0\0\0\0\0\0\0\x01\x7f\x03", 11);
        break;
    case 3: /* a corrupt greeting */
        th_raw_send(fd, "\xff\0\0\0\0\0\0\0\x01\x00garbage", 17);
        break;
    case 4: /* TLS client hello start */
        th_raw_send(fd, "\x16\x03\x01\x02\x00\x01", 6);
        break;
    default: { /* a whole valid greeting, then nothing more: RST */
        uint8_t g[ZMTP_GREETING_SIZE];
        zmtp_greeting_encode(g, "NULL", 0);
        th_raw_send(fd, g, sizeof g);
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        break;
    }
    }
    close(fd);
}

ZT_TEST(tcp_probe, probe_storm_beside_real_traffic_releases_everything, 120)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER);
    th_set_int(router, ZAIO_HANDSHAKE_IVL, 500);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    void *dealer = th_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "real", 4) == 0, "id");
    th_connect(dealer, ep);
    th_set_int(router, ZAIO_RCVTIMEO, 5000);
    enum { PROBES = 3000 };
    uint32_t next = 0, expect = 0;
    for (int i = 0; i < PROBES; i++) {
        probe(ep, i % 6);
        if (i % 10 == 0) {
            th_send(dealer, &next, sizeof next, 0);
            next++;
        }
        if (i % 50 == 49) {
            while (expect < next) {
                char id[16];
                uint32_t v;
                zt_assert(zaio_recv(router, id, sizeof id, 0) == 4, "id");
                zt_assert(zaio_recv(router, &v, sizeof v, 0) == 4, "body");
                zt_assert(v == expect, "message %u arrived as %u", expect, v);
                expect++;
            }
        }
    }
    /* the probes go within a handshake interval; the real connection stays */
    int64_t end = th_now_ms() + 5000;
    zaio_stats_t st;
    for (;;) {
        zaio_stats(ctx, &st);
        /* a closed aio socket is freed once its cancelled ops complete: a moment later */
        if ((st.connections == 2 && st.handshakes == 0 && st.sockets <= 4) || th_now_ms() > end)
            break;
        th_sleep_ms(10);
    }
    zt_assert(st.connections == 2 && st.handshakes == 0,
              "after the storm: %lld connections, %lld handshakes", (long long)st.connections,
              (long long)st.handshakes);
    /* the dealer's two ends, the listener, its pending accept's socket */
    zt_assert(st.sockets <= 4 && st.accept_sockets <= 1, "aio sockets %lld accept %lld",
              (long long)st.sockets, (long long)st.accept_sockets);
    round_trip(ctx, router, ep, "after the storm");
    zaio_close(dealer);
    zaio_close(router);
    th_term(ctx);
}

ZT_TEST(tcp_probe, wrong_socket_type_refused_with_error_and_event, 30)
{
    void *ctx = zaio_ctx_new();
    void *pub = th_socket(ctx, ZAIO_PUB), *req = th_socket(ctx, ZAIO_REQ);
    th_set_int(req, ZAIO_RECONNECT_IVL, 20);
    void *mpub = th_monitor(ctx, pub, "inproc://mon-pub", ZAIO_EVENT_ALL);
    void *mreq = th_monitor(ctx, req, "inproc://mon-req", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(pub, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(req, ep);
    uint32_t v = 0;
    zt_assert(th_wait_event(mreq, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, 3000, &v), "req event");
    zt_assert(v == ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "req value %x", v);
    zt_assert(th_wait_event(mpub, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, 3000, &v), "pub event");
    zt_assert(v == ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "pub value %x", v);
    /* a protocol error is not retried (libzmq does not either) */
    int ev;
    while ((ev = th_event(mreq, 300, NULL)) >= 0)
        zt_assert(ev != ZAIO_EVENT_CONNECT_RETRIED && ev != ZAIO_EVENT_CONNECTED,
                  "reconnected after a protocol error (event %x)", ev);
    /* on the wire: READY, then an ERROR saying why, then the close */
    int fd = th_raw_connect(ep);
    uint8_t g[ZMTP_GREETING_SIZE];
    zmtp_greeting_encode(g, "NULL", 0);
    th_raw_send(fd, g, sizeof g);
    uint8_t ready[64];
    zmtp_encoder e;
    zmtp_encoder_init(&e, ready, sizeof ready, sizeof ready);
    zmtp_property st = {"Socket-Type", 11, "PUSH", 4};
    zt_assert(zmtp_encoder_ready(&e, &st, 1) == ZMTP_OK, "ready");
    th_raw_send(fd, ready, e.len);
    uint8_t in[1024];
    size_t have = 0;
    for (;;) {
        ssize_t k = recv(fd, in + have, sizeof in - have, 0);
        if (k <= 0)
            break;
        have += (size_t)k;
    }
    close(fd);
    zt_assert(have > ZMTP_GREETING_SIZE, "only %zu bytes", have);
    zmtp_decoder d;
    uint8_t scratch[ZMTP_DECODER_MIN_SCRATCH];
    zmtp_decoder_init(&d, scratch, sizeof scratch, 0);
    size_t pos = ZMTP_GREETING_SIZE;
    bool saw_ready = false, saw_error = false;
    while (pos < have) {
        zmtp_event evt;
        ptrdiff_t n = zmtp_decoder_feed(&d, in + pos, have - pos, &evt);
        zt_assert(n > 0, "decode: %d", (int)n);
        pos += (size_t)n;
        if (evt.type == ZMTP_EV_COMMAND && evt.cmd.type == ZMTP_CMD_READY)
            saw_ready = true;
        if (evt.type == ZMTP_EV_COMMAND && evt.cmd.type == ZMTP_CMD_ERROR) {
            saw_error = true;
            zt_assert(evt.cmd.reason_len > 0, "an empty reason");
        }
    }
    zt_assert(saw_ready && saw_error, "ready %d error %d", saw_ready, saw_error);
    zaio_close(req);
    zaio_close(pub);
    zaio_close(mpub);
    zaio_close(mreq);
    th_term(ctx);
}

ZT_TEST(tcp_probe, heartbeat_timeout_drops_a_silent_peer, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER);
    th_set_int(router, ZAIO_HEARTBEAT_IVL, 100);
    th_set_int(router, ZAIO_HEARTBEAT_TIMEOUT, 300);
    void *mon = th_monitor(ctx, router, "inproc://mon-hb", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    /* a ZMTP peer that completes the handshake, then never answers a PING */
    int fd = th_raw_zmtp_peer(ep, ZMTP_DEALER);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 2000, NULL), "handshake");
    int64_t t0 = th_now_ms();
    size_t got = 0;
    zt_assert(th_raw_wait_closed(fd, 5000, &got), "the silent peer was kept");
    int64_t waited = th_now_ms() - t0;
    zt_assert(waited >= 250 && waited < 3000, "dropped after %lld ms", (long long)waited);
    zt_assert(got >= 5, "no PING reached the peer (%zu bytes)", got);
    close(fd);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 2000, NULL), "disconnected");
    /* a zaio peer answers PINGs: idle for many timeouts, still connected */
    void *dealer = th_socket(ctx, ZAIO_DEALER);
    th_set_int(dealer, ZAIO_HEARTBEAT_IVL, 50);
    th_connect(dealer, ep);
    th_send_str(dealer, "one", 0);
    char id[64];
    int n = zaio_recv(router, id, sizeof id, 0);
    zt_assert(n > 0, "id");
    th_recv_str(router, "one");
    th_sleep_ms(1500);
    int ev;
    while ((ev = th_event(mon, 10, NULL)) >= 0)
        zt_assert(ev != ZAIO_EVENT_DISCONNECTED, "a live peer was dropped");
    th_send_str(dealer, "two", 0);
    zt_assert(zaio_recv(router, id, sizeof id, 0) == n, "id");
    th_recv_str(router, "two");
    zaio_close(dealer);
    zaio_close(router);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(tcp_probe, a_peers_ping_ttl_is_honoured, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER); /* no heartbeat options of its own */
    void *mon = th_monitor(ctx, router, "inproc://mon-ttl", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    int fd = th_raw_zmtp_peer(ep, ZMTP_DEALER);
    /* PING with a TTL of 0.3 s, then silence: the server may drop us after 0.3 s */
    uint8_t ping[32];
    zmtp_encoder e;
    zmtp_encoder_init(&e, ping, sizeof ping, sizeof ping);
    zt_assert(zmtp_encoder_ping(&e, 3, "ctx", 3) == ZMTP_OK, "ping");
    th_raw_send(fd, ping, e.len);
    int64_t t0 = th_now_ms();
    /* the PONG comes back with our context */
    uint8_t in[64];
    size_t have = 0;
    while (have < 9) {
        ssize_t k = recv(fd, in + have, sizeof in - have, 0);
        zt_assert(k > 0, "pong");
        have += (size_t)k;
    }
    zt_assert(in[0] == ZMTP_FLAG_COMMAND && in[2] == 4 && memcmp(in + 3, "PONG", 4) == 0 &&
                  memcmp(in + 7, "ctx", 3) == 0, "PONG with the context");
    zt_assert(th_raw_wait_closed(fd, 5000, NULL), "kept past the TTL");
    int64_t waited = th_now_ms() - t0;
    zt_assert(waited >= 250 && waited < 3000, "dropped after %lld ms", (long long)waited);
    close(fd);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 2000, NULL), "disconnected");
    zaio_close(router);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(tcp_probe, a_server_that_never_greets, 30)
{
    /* a raw listener that accepts and says nothing */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    zt_assert(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 16) == 0, "listen");
    socklen_t alen = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &alen);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    void *ctx = zaio_ctx_new();
    void *dealer = th_socket(ctx, ZAIO_DEALER);
    th_set_int(dealer, ZAIO_HANDSHAKE_IVL, 200);
    th_set_int(dealer, ZAIO_RECONNECT_IVL, 50);
    th_set_int(dealer, ZAIO_LINGER, 0);
    void *mon = th_monitor(ctx, dealer, "inproc://mon-mute", ZAIO_EVENT_ALL);
    th_connect(dealer, ep);
    uint32_t v;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 3000, &v), "timeout");
    zt_assert(v == ETIMEDOUT, "value %u", v);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CONNECT_RETRIED, 3000, NULL), "a timeout is retried");
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CONNECTED, 3000, NULL), "and connects again");
    zaio_close(dealer);
    zaio_close(mon);
    th_term(ctx);
    close(lfd);
}

ZT_TEST(tcp_probe, garbage_after_the_handshake, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL);
    void *mon = th_monitor(ctx, pull, "inproc://mon-garbage", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    int fd = th_raw_zmtp_peer(ep, ZMTP_PUSH);
    /* one good message, one whole multipart part, then a frame with reserved flags */
    static const uint8_t bytes[] = {0x00, 0x02, 'o', 'k', 0x01, 0x01, 'x', 0xf0, 0x01, 'z'};
    th_raw_send(fd, bytes, sizeof bytes);
    th_recv_str(pull, "ok");
    zt_assert(th_raw_wait_closed(fd, 3000, NULL), "the peer was kept");
    close(fd);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 2000, NULL), "disconnected");
    /* the half message never surfaces */
    th_set_int(pull, ZAIO_RCVTIMEO, 200);
    char b[8];
    zt_assert(zaio_recv(pull, b, sizeof b, 0) == -1 && zaio_errno() == EAGAIN, "half a message");
    /* a size over 2^63-1: refused at the header, before anything is allocated */
    fd = th_raw_zmtp_peer(ep, ZMTP_PUSH);
    static const uint8_t overflow[] = {0x02, 0x80, 0, 0, 0, 0, 0, 0, 0};
    th_raw_send(fd, overflow, sizeof overflow);
    zt_assert(th_raw_wait_closed(fd, 3000, NULL), "kept the overflowing frame's sender");
    close(fd);
#ifndef __SANITIZE_ADDRESS__
    /* 2^62 bytes with no MAXMSGSIZE is legal ZMTP; the allocation fails and the
     * connection goes (ASan aborts on such a malloc by design, hence not there) */
    fd = th_raw_zmtp_peer(ep, ZMTP_PUSH);
    static const uint8_t huge[] = {0x02, 0x40, 0, 0, 0, 0, 0, 0, 0};
    th_raw_send(fd, huge, sizeof huge);
    th_raw_send(fd, "abc", 3);
    zt_assert(th_raw_wait_closed(fd, 3000, NULL), "kept the huge frame's sender");
    close(fd);
#endif
    void *push = th_socket(ctx, ZAIO_PUSH);
    th_connect(push, ep);
    th_send_str(push, "still serving", 0);
    th_set_int(pull, ZAIO_RCVTIMEO, 5000);
    th_recv_str(pull, "still serving");
    zaio_close(push);
    zaio_close(pull);
    zaio_close(mon);
    th_term(ctx);
}
