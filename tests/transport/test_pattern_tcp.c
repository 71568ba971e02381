/* The socket types over tcp:// where the wire changes what they see: REQ/REP
 * envelopes, routing ids from the ZMTP handshake, ROUTER_MANDATORY, subscriptions and
 * cancels as ZMTP commands between XSUB and XPUB, and large bodies through ROUTER.
 * (test_tcp.c has the transport itself: reconnects, linger, HWM, probes.) */
#include "tcp_helpers.h"
#include "test_pattern_util.h"

#include <stdlib.h>

static void bind_any(void *s, char *ep, size_t cap)
{
    pt_bind(s, "tcp://127.0.0.1:*");
    size_t len = cap;
    zt_assert(zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, ep, &len) == 0, "last endpoint");
}

ZT_TEST(pattern_tcp, req_rep_many_clients, 30)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP);
    char ep[128];
    bind_any(rep, ep, sizeof ep);
    void *req[3];
    for (int i = 0; i < 3; i++) {
        req[i] = pt_socket(ctx, ZAIO_REQ);
        pt_connect(req[i], ep);
        char q[16];
        snprintf(q, sizeof q, "q%d", i);
        pt_send(req[i], q, ZAIO_SNDMORE);
        pt_send(req[i], "part", 0);
    }
    for (int i = 0; i < 3; i++) {
        char q[16];
        int n = pt_recvb(rep, q, sizeof q - 1);
        q[n] = 0;
        pt_recv_is(rep, "part", false);
        q[0] = 'a';
        pt_send(rep, q, 0);
    }
    for (int i = 0; i < 3; i++) {
        char a[16];
        snprintf(a, sizeof a, "a%d", i);
        pt_recv_is(req[i], a, false);
    }
    pt_close_all(ctx, rep, req[0], req[1], req[2], NULL);
}

ZT_TEST(pattern_tcp, routing_ids_from_the_handshake, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    char ep[128];
    bind_any(router, ep, sizeof ep);
    void *named = pt_socket(ctx, ZAIO_REQ), *anon = pt_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(named, ZAIO_ROUTING_ID, "req-7", 5) == 0, "id");
    pt_connect(named, ep);
    pt_connect(anon, ep);
    pt_send(named, "from req", 0);
    pt_send(anon, "from dealer", 0);
    /* both arrive, in whatever order the connections came up */
    char id_anon[8];
    int id_anon_len = 0;
    for (int k = 0; k < 2; k++) {
        char id[64];
        int n = pt_recvb(router, id, sizeof id);
        if (n == 5 && memcmp(id, "req-7", 5) == 0) {
            pt_recv_is(router, "", true);
            pt_recv_is(router, "from req", false);
        } else {
            zt_assert(n == 5 && id[0] == 0, "generated id");
            memcpy(id_anon, id, 5);
            id_anon_len = n;
            pt_recv_is(router, "from dealer", false);
        }
    }
    pt_setint(router, ZAIO_ROUTER_MANDATORY, 1);
    zt_assert(zaio_send(router, "nobody", 6, ZAIO_SNDMORE) == -1 && zaio_errno() == EHOSTUNREACH,
              "unknown id");
    pt_sendb(router, id_anon, (size_t)id_anon_len, ZAIO_SNDMORE);
    pt_send(router, "to dealer", 0);
    pt_send(router, "req-7", ZAIO_SNDMORE);
    pt_send(router, "", ZAIO_SNDMORE);
    pt_send(router, "to req", 0);
    pt_recv_is(anon, "to dealer", false);
    pt_recv_is(named, "to req", false);
    pt_close_all(ctx, router, named, anon, NULL);
}

ZT_TEST(pattern_tcp, large_multipart_through_router, 60)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER), *dealer = pt_socket(ctx, ZAIO_DEALER);
    char ep[128];
    bind_any(router, ep, sizeof ep);
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "d", 1) == 0, "id");
    pt_connect(dealer, ep);
    size_t big = 1 << 20;
    unsigned char *body = malloc(big), *back = malloc(big);
    zt_assert(body && back, "memory");
    for (size_t i = 0; i < big; i++)
        body[i] = (unsigned char)(i * 7);
    pt_send(dealer, "head", ZAIO_SNDMORE);
    pt_sendb(dealer, body, big, 0);
    pt_recv_is(router, "d", true);
    pt_recv_is(router, "head", true);
    zt_assert(zaio_recv(router, back, big, 0) == (int)big && memcmp(body, back, big) == 0,
              "1 MiB to the router");
    pt_send(router, "d", ZAIO_SNDMORE);
    pt_sendb(router, body, big, ZAIO_SNDMORE);
    pt_send(router, "tail", 0);
    memset(back, 0, big);
    zt_assert(zaio_recv(dealer, back, big, 0) == (int)big && memcmp(body, back, big) == 0,
              "1 MiB back");
    pt_recv_is(dealer, "tail", false);
    free(body);
    free(back);
    pt_close_all(ctx, router, dealer, NULL);
}

ZT_TEST(pattern_tcp, xsub_xpub_subscriptions_cancels_and_data, 30)
{
    void *ctx = zaio_ctx_new();
    void *xpub = pt_socket(ctx, ZAIO_XPUB);
    pt_setint(xpub, ZAIO_XPUB_VERBOSE, 1);
    char ep[128];
    bind_any(xpub, ep, sizeof ep);
    void *xsub = pt_socket(ctx, ZAIO_XSUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_connect(xsub, ep);
    pt_connect(sub, ep);
    pt_send(xsub, "\x01news", 0);
    pt_recv_is(xpub, "\x01news", false);
    zt_assert(zaio_setsockopt(sub, ZAIO_SUBSCRIBE, "news", 4) == 0, "subscribe");
    pt_recv_is(xpub, "\x01news", false); /* verbose: the second subscriber is shown too */
    pt_send(xpub, "news: one", 0);
    pt_send(xpub, "weather", 0);
    pt_send(xpub, "news: two", 0);
    pt_recv_is(xsub, "news: one", false);
    pt_recv_is(xsub, "news: two", false);
    pt_recv_is(sub, "news: one", false);
    pt_recv_is(sub, "news: two", false);
    /* data upstream from XSUB */
    pt_send(xsub, "upstream", ZAIO_SNDMORE);
    pt_send(xsub, "data", 0);
    pt_recv_is(xpub, "upstream", true);
    pt_recv_is(xpub, "data", false);
    /* cancels: the topic goes when its last subscriber cancels */
    pt_sendb(xsub, "\0news", 5, 0);
    zt_assert(zaio_setsockopt(sub, ZAIO_UNSUBSCRIBE, "news", 4) == 0, "unsubscribe");
    pt_recv_bin(xpub, "\0news", 5, false);
    pt_recv_none(xpub);
    pt_close_all(ctx, xpub, xsub, sub, NULL);
}

/* CONFLATE over TCP, DEALER to DEALER with HWMs of 1: the sender never blocks however
 * far the reader is behind (without CONFLATE 1,000 bodies of 64 KiB that nobody reads
 * would fill the HWMs and the kernel's buffers), and the reader sees messages only in
 * the order they were sent, ending with the last. */
ZT_TEST(pattern_tcp, conflate_never_blocks_and_the_last_arrives, 60)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_DEALER), *b = pt_socket(ctx, ZAIO_DEALER);
    void *both[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        pt_setint(both[i], ZAIO_CONFLATE, 1);
        pt_setint(both[i], ZAIO_SNDHWM, 1);
        pt_setint(both[i], ZAIO_RCVHWM, 1);
    }
    char ep[256];
    bind_any(a, ep, sizeof ep);
    pt_connect(b, ep);
    pt_send(b, "hello", 0); /* the connection is up once a has it */
    pt_recv_is(a, "hello", false);
    enum { N = 1000, BODY = 64 * 1024 };
    char *body = calloc(1, BODY);
    zt_assert(body != NULL, "memory");
    for (int i = 0; i < N; i++) {
        memcpy(body, &i, sizeof i);
        pt_sendb(a, body, BODY, ZAIO_DONTWAIT);
    }
    int last = -1, reads = 0;
    while (last != N - 1) {
        int n = zaio_recv(b, body, BODY, 0);
        zt_assert(n == BODY, "recv after %d (%d read): %s", last, reads,
                  n < 0 ? zaio_strerror(zaio_errno()) : "short");
        int v;
        memcpy(&v, body, sizeof v);
        zt_assert(v > last, "message %d after %d", v, last);
        last = v;
        reads++;
    }
    pt_recv_none(b);
    zt_log("%d of %d messages read", reads, N);
    free(body);
    pt_close_all(ctx, a, b, NULL);
}

/* ROUTER_HANDOVER over TCP, the case it is for: a client comes back with its fixed
 * routing id before its old connection is noticed. The new connection gets the id and
 * the replies; the router closes the old one. */
ZT_TEST(pattern_tcp, router_handover_drops_the_old_connection, 30)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_setint(router, ZAIO_ROUTER_HANDOVER, 1);
    char ep[256];
    bind_any(router, ep, sizeof ep);
    void *old = pt_socket(ctx, ZAIO_DEALER), *fresh = pt_socket(ctx, ZAIO_DEALER);
    void *both[2] = {old, fresh};
    for (int i = 0; i < 2; i++) {
        zt_assert(zaio_setsockopt(both[i], ZAIO_ROUTING_ID, "client", 6) == 0, "id");
        pt_setint(both[i], ZAIO_RECONNECT_IVL, -1); /* the old one must stay away */
    }
    void *mon = th_monitor(ctx, old, "inproc://handover-old", ZAIO_EVENT_DISCONNECTED);
    pt_connect(old, ep);
    pt_send(old, "old", 0);
    pt_recv_is(router, "client", true);
    pt_recv_is(router, "old", false);
    pt_connect(fresh, ep);
    pt_send(fresh, "fresh", 0);
    pt_recv_is(router, "client", true);
    pt_recv_is(router, "fresh", false);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, PT_TIMEOUT_MS, NULL),
              "the old connection was not closed");
    pt_send(router, "client", ZAIO_SNDMORE);
    pt_send(router, "reply", 0);
    pt_recv_is(fresh, "reply", false);
    pt_recv_none(old);
    zt_assert(zaio_socket_monitor(old, NULL, 0) == 0, "monitor off");
    pt_close_all(ctx, router, old, fresh, mon, NULL);
}
