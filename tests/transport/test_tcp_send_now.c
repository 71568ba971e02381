/* Replies sent from the socket's thread (stream_session.c, "Replies from the socket's
 * thread"): once a message has come in and the connection is idle, the next message
 * the application sends goes to the kernel from its own thread (aio_send_now) instead
 * of waking the I/O thread. These tests check that the path is taken (aio_stats
 * sends_now), that what it sends arrives whole and in order whatever the size - a reply
 * larger than the socket buffer is finished by the I/O thread - alongside the I/O
 * thread's own PINGs and PONGs, and that an error on it ends that connection alone.
 * Every test ends with the live counters at zero. */
#include "tcp_helpers.h"

#include <stdlib.h>

static int64_t sends_now(void)
{
    aio_stats st;
    aio_stats_get(&st);
    return st.sends_now;
}

/* IOCP has no aio_send_now: everything goes through the I/O thread there. */
static bool send_now_here(void)
{
#ifdef _WIN32
    return false;
#else
    return true;
#endif
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static void recv_exact(void *s, const void *want, size_t len, bool more)
{
    zaio_msg_t m;
    zaio_msg_init(&m);
    int n = zaio_msg_recv(&m, s, 0);
    zt_assert(n >= 0, "recv %zu bytes: %s", len, zaio_strerror(zaio_errno()));
    zt_assert(zaio_msg_size(&m) == len, "size %zu, want %zu", zaio_msg_size(&m), len);
    zt_assert(memcmp(zaio_msg_data(&m), want, len) == 0, "content of %zu bytes differs", len);
    zt_assert(zaio_msg_more(&m) == more, "more flag");
    zaio_msg_close(&m);
}

/* REQ/REP ping-pong, a two-frame request and its reply each round: the replies and the
 * requests after the first go from the application's threads, and each one arrives
 * intact and in its turn. */
ZT_TEST(send_now, req_rep_rounds_go_from_the_socket_thread, 60)
{
    void *ctx = zaio_ctx_new();
    void *rep, *req;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_REP, ZAIO_REQ, &rep, &req, ep, sizeof ep);
    th_set_int(req, ZAIO_RCVTIMEO, 10000);
    th_set_int(rep, ZAIO_RCVTIMEO, 10000);
    int64_t before = sends_now();
    enum { ROUNDS = 400 };
    for (int i = 0; i < ROUNDS; i++) {
        char q[32], a[32];
        snprintf(q, sizeof q, "question %d", i);
        snprintf(a, sizeof a, "answer %d", i);
        th_send_str(req, "head", ZAIO_SNDMORE);
        th_send_str(req, q, 0);
        recv_exact(rep, "head", 4, true);
        recv_exact(rep, q, strlen(q), false);
        th_send_str(rep, a, 0);
        recv_exact(req, a, strlen(a), false);
    }
    int64_t direct = sends_now() - before;
    if (send_now_here())
        zt_assert(direct > 0, "no message of %d round trips went from the socket's thread",
                  ROUNDS);
    else
        zt_assert(direct == 0, "%lld sends now on a backend without them", (long long)direct);
    zaio_close(req);
    zaio_close(rep);
    th_term(ctx);
}

/* A reply of 4 MiB does not fit the socket buffers (64 KiB each way here): the
 * socket's thread sends what the kernel takes and the I/O thread the rest. Then a
 * reply of three messages mixing small frames and ones sent from their own buffer
 * (over 8 KiB). All arrive intact. */
ZT_TEST(send_now, a_reply_larger_than_the_socket_buffer_is_finished_by_the_io_thread, 120)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER), *dealer = th_socket(ctx, ZAIO_DEALER);
    th_set_int(router, ZAIO_SNDBUF, 64 * 1024);
    th_set_int(dealer, ZAIO_RCVBUF, 64 * 1024);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(dealer, ep);
    th_set_int(dealer, ZAIO_RCVTIMEO, 10000);
    th_set_int(router, ZAIO_RCVTIMEO, 10000);
    enum { BIG = 4 << 20, MID = 20000 };
    uint8_t *big = malloc(BIG), *mid = malloc(MID);
    zt_assert(big && mid, "memory");
    int64_t before = sends_now();
    for (int i = 0; i < 6; i++) {
        char q[16];
        snprintf(q, sizeof q, "q%d", i);
        th_send_str(dealer, q, 0);
        char id[256];
        int idn = zaio_recv(router, id, sizeof id, 0);
        zt_assert(idn > 0, "routing id: %s", zaio_strerror(zaio_errno()));
        recv_exact(router, q, strlen(q), false);
        fill(big, BIG, (unsigned)i);
        fill(mid, MID, (unsigned)i + 100);
        if (i % 2 == 0) {
            th_send(router, id, (size_t)idn, ZAIO_SNDMORE);
            th_send(router, big, BIG, 0);
            recv_exact(dealer, big, BIG, false);
        } else {
            for (int k = 0; k < 3; k++) {
                th_send(router, id, (size_t)idn, ZAIO_SNDMORE);
                th_send_str(router, "small", ZAIO_SNDMORE);
                th_send(router, mid, MID, ZAIO_SNDMORE);
                th_send(router, &k, sizeof k, 0);
            }
            for (int k = 0; k < 3; k++) {
                recv_exact(dealer, "small", 5, true);
                recv_exact(dealer, mid, MID, true);
                recv_exact(dealer, &k, sizeof k, false);
            }
        }
    }
    if (send_now_here())
        zt_assert(sends_now() > before, "no reply went from the socket's thread");
    free(big);
    free(mid);
    zaio_close(dealer);
    zaio_close(router);
    th_term(ctx);
}

/* Heartbeats every few milliseconds on both sides: the I/O thread's PINGs and PONGs
 * share the connection with the application's sends, thousands of rounds, and nothing
 * is lost, doubled or reordered. */
ZT_TEST(send_now, pair_ping_pong_alongside_heartbeats, 60)
{
    void *ctx = zaio_ctx_new();
    void *a = th_socket(ctx, ZAIO_PAIR), *b = th_socket(ctx, ZAIO_PAIR);
    for (int k = 0; k < 2; k++) {
        void *s = k ? b : a;
        th_set_int(s, ZAIO_HEARTBEAT_IVL, 2);
        th_set_int(s, ZAIO_HEARTBEAT_TIMEOUT, 30000); /* PINGs, never a drop */
    }
    th_set_int(a, ZAIO_RCVTIMEO, 10000);
    th_set_int(b, ZAIO_RCVTIMEO, 10000);
    char ep[256];
    th_bind(a, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(b, ep);
    for (int i = 0; i < 3000; i++) {
        char m[32];
        snprintf(m, sizeof m, "ping %d", i);
        th_send_str(b, m, 0);
        recv_exact(a, m, strlen(m), false);
        snprintf(m, sizeof m, "pong %d", i);
        th_send_str(a, m, 0);
        recv_exact(b, m, strlen(m), false);
    }
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

/* A client that goes away between its request and the reply: the reply finds the
 * connection reset (on whichever thread sends it); that connection ends and the
 * server answers the next client. */
ZT_TEST(send_now, a_reply_to_a_vanished_peer_ends_only_that_connection, 60)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_set_int(router, ZAIO_RCVTIMEO, 10000);
    for (int i = 0; i < 20; i++) {
        void *gone = th_socket(ctx, ZAIO_DEALER);
        th_set_int(gone, ZAIO_LINGER, 0);
        th_connect(gone, ep);
        th_send_str(gone, "bye", 0);
        char id[256];
        int idn = zaio_recv(router, id, sizeof id, 0);
        zt_assert(idn > 0, "routing id: %s", zaio_strerror(zaio_errno()));
        recv_exact(router, "bye", 3, false);
        zaio_close(gone);
        /* the reply may go before or after the router hears of the close: either way
         * it is accepted (ROUTER drops what it cannot route) and nothing is left over */
        zt_assert(zaio_send(router, id, (size_t)idn, ZAIO_SNDMORE) == idn, "id");
        zt_assert(zaio_send(router, "too late", 8, 0) == 8, "reply");
        void *next = th_socket(ctx, ZAIO_DEALER);
        th_set_int(next, ZAIO_RCVTIMEO, 10000);
        th_connect(next, ep);
        th_send_str(next, "hello", 0);
        idn = zaio_recv(router, id, sizeof id, 0);
        zt_assert(idn > 0, "routing id: %s", zaio_strerror(zaio_errno()));
        recv_exact(router, "hello", 5, false);
        th_send(router, id, (size_t)idn, ZAIO_SNDMORE);
        th_send_str(router, "welcome", 0);
        recv_exact(next, "welcome", 7, false);
        zaio_close(next);
    }
    zaio_close(router);
    th_term(ctx);
}
