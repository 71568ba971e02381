/* tcp:// against ZMTP 1.0 and 2.0 peers played byte by byte over raw sockets (the bytes
 * libzmq 4.3.4 was recorded sending and accepting, tests/zmtp/test_legacy.c): an old
 * peer's messages arrive, it stays connected past the handshake timeout (libzmq 4.3.4
 * drops it: its issue 4106), a publisher serves an unversioned 1.0 subscriber
 * everything and a 2.0 one what it subscribed to as a message, a ROUTER routes by the
 * 2.0 identity frame, and half or broken old greetings are dropped. */
#include "tcp_helpers.h"

#define SIG "\xff\0\0\0\0\0\0\0\x01\x7f"

/* Reads exactly n bytes within timeout_ms; false on close or timeout. */
static bool raw_read(int fd, void *buf, size_t n, int timeout_ms)
{
    uint8_t *b = buf;
    int64_t end = th_now_ms() + timeout_ms;
    while (n > 0) {
        int left = (int)(end - th_now_ms());
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t k = recv(fd, b, n, 0);
        if (k <= 0)
            return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

static void expect_bytes(int fd, const void *want, size_t n)
{
    uint8_t got[256];
    zt_assert(n <= sizeof got, "n");
    zt_assert(raw_read(fd, got, n, 5000), "the server said fewer than %zu bytes", n);
    zt_assert(memcmp(got, want, n) == 0, "the server said other bytes");
}

/* An unversioned 1.0 PUSH (libzmq 2.x) into a PULL that drops unfinished handshakes
 * after 300 ms: its messages arrive, before and after 3 handshake intervals. */
ZT_TEST(tcp_legacy, zmtp_1_0_peer_stays_past_the_handshake_timeout, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL);
    th_set_int(pull, ZAIO_HANDSHAKE_IVL, 300);
    th_set_int(pull, ZAIO_RCVTIMEO, 5000);
    void *mon = th_monitor(ctx, pull, "inproc://mon-v1", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    int fd = th_raw_connect(ep);
    /* identity "me", then "abc" in 1.0 framing (length counts the flags byte) */
    th_raw_send(fd, "\x03\x00me" "\x04\x00" "abc", 9);
    th_recv_str(pull, "abc");
    /* our signature, which the peer reads as our (empty) identity frame, and no more */
    expect_bytes(fd, SIG, 10);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 2000, NULL), "handshake");
    int64_t t0 = th_now_ms();
    zt_assert(!th_raw_wait_closed(fd, 1000, NULL), "dropped after %lld ms",
              (long long)(th_now_ms() - t0));
    int ev;
    while ((ev = th_event(mon, 0, NULL)) > 0)
        zt_assert(ev != ZAIO_EVENT_DISCONNECTED && ev != ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                  "event %#x while the old peer was connected", ev);
    /* a long frame after 3 x HANDSHAKE_IVL: 0xFF, the 8-byte length, flags */
    uint8_t big[10 + 299];
    memcpy(big, "\xff\0\0\0\0\0\0\x01\x2c\x00", 10);
    memset(big + 10, 'q', 299);
    th_raw_send(fd, big, sizeof big);
    char got[400];
    zt_assert(zaio_recv(pull, got, sizeof got, 0) == 299, "the long frame");
    zt_assert(got[0] == 'q' && got[298] == 'q', "its body");
    close(fd);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 2000, NULL), "disconnected");
    zaio_close(pull);
    zaio_close(mon);
    th_term(ctx);
}

/* A PUB serves an unversioned 1.0 peer everything (it never subscribes, as libzmq 2.x
 * did not) and a 2.0 peer only what its "\x01A" message asked for. */
ZT_TEST(tcp_legacy, pub_serves_old_subscribers, 30)
{
    void *ctx = zaio_ctx_new();
    void *pub = th_socket(ctx, ZAIO_PUB);
    char ep[256];
    th_bind(pub, "tcp://127.0.0.1:*", ep, sizeof ep);
    int v1 = th_raw_connect(ep), v2 = th_raw_connect(ep);
    th_raw_send(v1, "\x01\x00", 2);
    th_raw_send(v2, SIG, 10);
    expect_bytes(v2, SIG "\x03", 11);
    th_raw_send(v2, "\x01\x02" "\x00\x00" "\x00\x02\x01" "A", 8);
    /* PUB (1), empty identity, in 2.0 framing */
    expect_bytes(v2, "\x01\x00\x00", 3);
    expect_bytes(v1, SIG, 10);
    /* publish until both have theirs: the subscriptions travel on other threads */
    uint8_t f1[8], f2[8];
    bool got1 = false, got2 = false;
    int64_t end = th_now_ms() + 10000;
    while (!(got1 && got2) && th_now_ms() < end) {
        th_send_str(pub, "B-", 0);
        th_send_str(pub, "A-", 0);
        /* a peer that has its first publication is not watched again: its socket stays
         * readable, and the loop must still wait for the other */
        struct pollfd p[2] = {{.fd = got1 ? -1 : v1, .events = POLLIN},
                              {.fd = got2 ? -1 : v2, .events = POLLIN}};
        poll(p, 2, 10);
        /* every publication is 4 bytes on both wires, so reading 4 at a time stays in
         * step: 1.0 "03 00 X-" (the length counts the flags), 2.0 "00 02 X-" */
        if (!got1 && (p[0].revents & POLLIN)) {
            zt_assert(raw_read(v1, f1, 4, 1000) && memcmp(f1, "\x03\x00", 2) == 0, "1.0 frame");
            got1 = f1[2] == 'B'; /* topic B too: the 1.0 peer gets everything */
        }
        if (!got2 && (p[1].revents & POLLIN)) {
            zt_assert(raw_read(v2, f2, 4, 1000) && memcmp(f2, "\x00\x02", 2) == 0, "2.0 frame");
            zt_assert(f2[2] == 'A', "the 2.0 peer got topic %c, which it never asked for", f2[2]);
            got2 = true;
        }
    }
    zt_assert(got1 && got2, "publications: 1.0 %d, 2.0 %d", got1, got2);
    close(v1);
    close(v2);
    zaio_close(pub);
    th_term(ctx);
}

/* A ROUTER names a 2.0 DEALER by the identity frame it sent, and replies through it. */
ZT_TEST(tcp_legacy, router_routes_by_the_2_0_identity, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER);
    th_set_int(router, ZAIO_RCVTIMEO, 5000);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    int fd = th_raw_connect(ep);
    th_raw_send(fd, SIG "\x01\x05" "\x00\x05peer1" "\x00\x02hi", 23);
    char id[32];
    zt_assert(zaio_recv(router, id, sizeof id, 0) == 5 && memcmp(id, "peer1", 5) == 0,
              "the routing id is the identity frame");
    th_recv_str(router, "hi");
    th_send(router, "peer1", 5, ZAIO_SNDMORE);
    th_send_str(router, "yo", 0);
    expect_bytes(fd, SIG "\x03\x06" "\x00\x00" "\x00\x02yo", 18);
    close(fd);
    zaio_close(router);
    th_term(ctx);
}

/* Half an old greeting is dropped at the handshake timeout; broken ones at once; a
 * socket with PLAIN drops an old peer with DISCONNECTED alone, as libzmq 4.3.4. */
ZT_TEST(tcp_legacy, half_and_broken_old_greetings_are_dropped, 30)
{
    void *ctx = zaio_ctx_new();
    void *rep = th_socket(ctx, ZAIO_REP);
    th_set_int(rep, ZAIO_HANDSHAKE_IVL, 300);
    void *mon = th_monitor(ctx, rep, "inproc://mon-half", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(rep, "tcp://127.0.0.1:*", ep, sizeof ep);
    static const struct {
        const char *bytes;
        size_t n;
        bool at_once;
    } cases[] = {
        {SIG "\x01", 11, false},           /* 2.0 without its socket type */
        {SIG "\x01\x03\x00\x05" "ab", 16, false}, /* a 2.0 identity cut short */
        {"\x05\x00" "ab", 4, false},           /* a 1.0 identity cut short */
        {SIG "\x01\x01", 12, true},         /* 2.0 PUB for a REP */
        {SIG "\x01\xee", 12, true},         /* a socket type that does not exist */
        {SIG "\x02", 11, true},             /* revision 2 */
        {"\x01\x00\x00", 3, true},          /* a 1.0 frame of length 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = th_raw_connect(ep);
        int64_t t0 = th_now_ms();
        th_raw_send(fd, cases[i].bytes, cases[i].n);
        zt_assert(th_raw_wait_closed(fd, 5000, NULL), "case %zu not dropped", i);
        int64_t ms = th_now_ms() - t0;
        if (cases[i].at_once)
            zt_assert(ms < 250, "case %zu dropped after %lld ms", i, (long long)ms);
        else
            zt_assert(ms >= 250, "case %zu dropped after %lld ms, before the timeout", i,
                      (long long)ms);
        close(fd);
        zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 2000, NULL), "case %zu", i);
    }
    zaio_close(rep);
    zaio_close(mon);

    void *plain = th_socket(ctx, ZAIO_PULL);
    th_set_int(plain, ZAIO_PLAIN_SERVER, 1);
    mon = th_monitor(ctx, plain, "inproc://mon-plain", ZAIO_EVENT_ALL);
    th_bind(plain, "tcp://127.0.0.1:*", ep, sizeof ep);
    int fd = th_raw_connect(ep);
    th_raw_send(fd, SIG "\x01\x08\x00\x00", 14);
    zt_assert(th_raw_wait_closed(fd, 5000, NULL), "PLAIN kept an old peer");
    close(fd);
    int ev, seen = 0;
    while ((ev = th_event(mon, 2000, NULL)) > 0 && ev != ZAIO_EVENT_DISCONNECTED)
        seen |= ev;
    zt_assert(ev == ZAIO_EVENT_DISCONNECTED, "no DISCONNECTED");
    zt_assert(!(seen & (ZAIO_EVENT_HANDSHAKE_SUCCEEDED | ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                        ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL)),
              "events %#x: libzmq 4.3.4 reports DISCONNECTED alone", seen);
    zaio_close(plain);
    zaio_close(mon);
    th_term(ctx);
}
