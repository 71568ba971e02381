/* The soak's traffic checker (tools/soak/traffic.c) must see every way a message can go
 * wrong, or a soak's "lost 0" means nothing. Crafted messages go over inproc into the
 * engine as the soak uses it; then both engines run an echo end to end. */
#include "traffic.h"

#include <zaio.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static void *ctx;

static void setup(void) { ctx = zaio_ctx_new(); }

static void teardown(void)
{
    cr_assert_eq(zaio_ctx_term(ctx), 0);
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0,
              "live: sockets %lld ops %lld bufs %lld", (long long)st.sockets,
              (long long)st.ops_in_flight, (long long)st.bufs);
}

TestSuite(soak_traffic, .init = setup, .fini = teardown, .timeout = 20);

/* A body as traffic.c writes it: the big-endian sequence, then its low byte. */
static void send_seq(void *s, uint64_t seq, size_t size, int spoil)
{
    unsigned char b[256];
    cr_assert(size <= sizeof b && size >= 8);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(seq >> (56 - 8 * i));
    memset(b + 8, (unsigned char)seq, size - 8);
    if (spoil)
        b[size - 1] ^= 0x5a;
    cr_assert_eq(zaio_send(s, b, size, 0), (int)size, "send: %s", zaio_strerror(zaio_errno()));
}

/* Runs the engine until it has taken `want` messages (or fails after a few seconds). */
static void take(soak_traffic *t, uint64_t want)
{
    uint64_t end = soak_now_ns() + 5000000000ull;
    while (t->received < want) {
        zaio_pollitem_t it = {t->sock, 0, soak_traffic_events(t, soak_now_ns()), 0};
        cr_assert(zaio_poll(&it, 1, 100) >= 0);
        cr_assert_eq(soak_traffic_io(t, soak_now_ns()), 0, "io: %s", zaio_strerror(t->last_errno));
        cr_assert(soak_now_ns() < end, "only %llu of %llu messages arrived",
                  (unsigned long long)t->received, (unsigned long long)want);
    }
}

/* A PULL server (the to-server flow: the server checks) fed by a raw PUSH. */
static void *pull_checker(soak_traffic *t, void **push, const char *ep)
{
    void *pull = zaio_socket(ctx, ZAIO_PULL);
    cr_assert(pull);
    cr_assert_eq(soak_traffic_init(t, pull, ZAIO_PULL, 1, 16, 0, 1), 0);
    cr_assert(t->checks && !t->sends && !t->echoes);
    cr_assert_eq(zaio_bind(pull, ep), 0);
    *push = zaio_socket(ctx, ZAIO_PUSH);
    cr_assert_eq(zaio_connect(*push, ep), 0);
    return pull;
}

static void close_both(soak_traffic *t, void *a, void *b)
{
    soak_traffic_fini(t);
    int zero = 0;
    zaio_setsockopt(a, ZAIO_LINGER, &zero, sizeof zero);
    zaio_setsockopt(b, ZAIO_LINGER, &zero, sizeof zero);
    zaio_close(a);
    zaio_close(b);
}

Test(soak_traffic, in_order_is_clean)
{
    soak_traffic t;
    void *push, *pull = pull_checker(&t, &push, "inproc://in-order");
    for (uint64_t i = 0; i < 100; i++)
        send_seq(push, i, 16, 0);
    take(&t, 100);
    cr_assert_eq(t.lost + t.reordered + t.corrupt + t.skipped, 0);
    cr_assert_eq(soak_traffic_missing(&t, 100), 0);
    close_both(&t, pull, push);
}

Test(soak_traffic, a_gap_and_a_lost_tail_are_missing)
{
    soak_traffic t;
    void *push, *pull = pull_checker(&t, &push, "inproc://gap");
    const uint64_t seqs[] = {0, 1, 2, 5, 6};
    for (size_t i = 0; i < 5; i++)
        send_seq(push, seqs[i], 16, 0);
    take(&t, 5);
    cr_assert_eq(t.lost, 2, "3 and 4 never came");
    cr_assert_eq(soak_traffic_missing(&t, 7), 2);
    cr_assert_eq(soak_traffic_missing(&t, 10), 5, "nor did 7, 8, 9 of the 10 sent");
    close_both(&t, pull, push);
}

Test(soak_traffic, a_duplicate_and_a_swap_are_reordered)
{
    soak_traffic t;
    void *push, *pull = pull_checker(&t, &push, "inproc://swap");
    const uint64_t seqs[] = {0, 1, 1, 3, 2, 4};
    for (size_t i = 0; i < 6; i++)
        send_seq(push, seqs[i], 16, 0);
    take(&t, 6);
    cr_assert_eq(t.reordered, 2, "the second 1, and 2 after 3");
    cr_assert(t.lost > 0 || t.reordered > 0, "a swap fails the soak either way");
    close_both(&t, pull, push);
}

Test(soak_traffic, a_spoilt_body_or_a_wrong_size_is_corrupt)
{
    soak_traffic t;
    void *push, *pull = pull_checker(&t, &push, "inproc://corrupt");
    send_seq(push, 0, 16, 0);
    send_seq(push, 1, 16, 1);
    send_seq(push, 2, 12, 0);
    send_seq(push, 3, 16, 0);
    take(&t, 4);
    cr_assert_eq(t.corrupt, 2);
    close_both(&t, pull, push);
}

/* Only the SUB peer of a PUB server may start late; every other checker counts a late
 * start as loss (the XPUB server waits for the subscription). */
static void late_start(int server_type, uint64_t want_skipped, uint64_t want_lost)
{
    void *pub = zaio_socket(ctx, ZAIO_PUB);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://late-%d", server_type);
    cr_assert_eq(zaio_bind(pub, ep), 0);
    void *sub = zaio_socket(ctx, ZAIO_SUB);
    soak_traffic t;
    cr_assert_eq(soak_traffic_init(&t, sub, server_type, 0, 16, 0, 1), 0);
    cr_assert_eq(zaio_connect(sub, ep), 0);
    /* inproc: the subscription is in the PUB's pipe once connect returns; the PUB
     * reads it before its first send */
    send_seq(pub, 5, 16, 0);
    send_seq(pub, 6, 16, 0);
    send_seq(pub, 8, 16, 0);
    take(&t, 3);
    cr_assert_eq(t.skipped, want_skipped);
    cr_assert_eq(t.lost, want_lost);
    close_both(&t, sub, pub);
}

Test(soak_traffic, only_a_pub_servers_peer_may_skip_the_start)
{
    late_start(ZAIO_PUB, 5, 1);
    late_start(ZAIO_XPUB, 0, 6);
}

/* Both engines, as zaio-soak and its peer run them: a ROUTER server echoing to a DEALER
 * that sends a window at a time and checks what comes back. */
Test(soak_traffic, router_echo_end_to_end)
{
    void *router = zaio_socket(ctx, ZAIO_ROUTER);
    void *dealer = zaio_socket(ctx, ZAIO_DEALER);
    soak_traffic srv, peer;
    cr_assert_eq(soak_traffic_init(&srv, router, ZAIO_ROUTER, 1, 64, 0, 10), 0);
    cr_assert_eq(soak_traffic_init(&peer, dealer, ZAIO_ROUTER, 0, 64, 0, 10), 0);
    cr_assert(srv.echoes && peer.sends && peer.checks);
    cr_assert_eq(zaio_bind(router, "inproc://echo"), 0);
    cr_assert_eq(zaio_connect(dealer, "inproc://echo"), 0);
    soak_traffic_start(&peer, soak_now_ns());
    uint64_t end = soak_now_ns() + 10000000000ull;
    while (!peer.stopping || peer.received < peer.sent) {
        if (peer.sent >= 2000)
            peer.stopping = 1;
        zaio_pollitem_t it[2] = {{router, 0, soak_traffic_events(&srv, soak_now_ns()), 0},
                                 {dealer, 0, soak_traffic_events(&peer, soak_now_ns()), 0}};
        cr_assert(zaio_poll(it, 2, 100) >= 0);
        cr_assert_eq(soak_traffic_io(&srv, soak_now_ns()), 0);
        cr_assert_eq(soak_traffic_io(&peer, soak_now_ns()), 0);
        cr_assert(peer.sent - peer.received <= 10, "the window holds");
        cr_assert(soak_now_ns() < end, "stuck at %llu", (unsigned long long)peer.received);
    }
    cr_assert(peer.sent >= 2000);
    cr_assert_eq(srv.echoed, peer.sent);
    cr_assert_eq(soak_traffic_missing(&peer, peer.sent), 0);
    cr_assert_eq(peer.reordered + peer.corrupt + peer.errors + srv.errors, 0);
    soak_traffic_fini(&srv);
    close_both(&peer, router, dealer);
}
