/* PAIR over inproc: both ways with one peer, a second peer refused while the first is
 * there and taken once it left, multipart messages, and the HWM (a send waits). */
#include "test_pattern_util.h"

ZT_TEST(pair, both_ways_and_multipart, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_PAIR), *b = pt_socket(ctx, ZAIO_PAIR);
    pt_bind(a, "inproc://pair");
    pt_connect(b, "inproc://pair");
    pt_send(b, "ping", 0);
    pt_recv_is(a, "ping", false);
    pt_send(a, "pong", ZAIO_SNDMORE);
    pt_send(a, "", ZAIO_SNDMORE);
    pt_send(a, "end", 0);
    pt_recv_is(b, "pong", true);
    pt_recv_is(b, "", true);
    pt_recv_is(b, "end", false);
    pt_recv_none(a);
    pt_recv_none(b);
    pt_close_all(ctx, a, b, NULL);
}

ZT_TEST(pair, metadata_of_the_peer, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_PAIR), *b = pt_socket(ctx, ZAIO_PAIR);
    pt_bind(a, "inproc://meta");
    pt_connect(b, "inproc://meta");
    pt_send(b, "hi", 0);
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, a, 0) == 2, "recv");
    const char *type = zaio_msg_gets(&m, "Socket-Type");
    zt_assert(type && strcmp(type, "PAIR") == 0, "Socket-Type %s", type ? type : "(none)");
    zaio_msg_close(&m);
    pt_close_all(ctx, a, b, NULL);
}

ZT_TEST(pair, second_peer_refused_until_the_first_leaves, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_PAIR), *b = pt_socket(ctx, ZAIO_PAIR);
    void *c = pt_socket(ctx, ZAIO_PAIR);
    pt_bind(a, "inproc://one");
    pt_connect(b, "inproc://one");
    pt_connect(c, "inproc://one");
    /* a takes b, refuses c (c's connection ends: it has nobody to send to) */
    pt_recv_none(a);
    zt_assert(zaio_send(c, "intruder", 8, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "refused peer cannot send");
    pt_send(b, "from b", 0);
    pt_recv_is(a, "from b", false);
    pt_recv_none(a);
    /* b leaves; c comes again and is taken */
    zt_assert(zaio_close(b) == 0, "close b");
    zt_assert(zaio_disconnect(c, "inproc://one") == 0, "disconnect c");
    pt_connect(c, "inproc://one");
    pt_send(c, "from c", 0);
    pt_recv_is(a, "from c", false);
    pt_send(a, "to c", 0);
    pt_recv_is(c, "to c", false);
    pt_close_all(ctx, a, c, NULL);
}

ZT_TEST(pair, hwm_blocks_then_room_again, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_PAIR), *b = pt_socket(ctx, ZAIO_PAIR);
    pt_setint(a, ZAIO_RCVHWM, 2);
    pt_bind(a, "inproc://hwm");
    pt_setint(b, ZAIO_SNDHWM, 2);
    pt_connect(b, "inproc://hwm");
    int n = 0;
    while (zaio_send(b, "m", 1, ZAIO_DONTWAIT) == 1)
        n++;
    zt_assert(zaio_errno() == EAGAIN && n == 4, "took %d before EAGAIN", n);
    zt_assert(!(pt_events(b) & ZAIO_POLLOUT), "not writable at the HWM");
    pt_setint(b, ZAIO_SNDTIMEO, 20);
    zt_assert(zaio_send(b, "m", 1, 0) == -1 && zaio_errno() == EAGAIN, "times out");
    for (int i = 0; i < 4; i++)
        pt_recv_is(a, "m", false);
    zt_assert(pt_events(b) & ZAIO_POLLOUT, "writable after the reader drained");
    pt_send(b, "more", ZAIO_DONTWAIT);
    pt_recv_is(a, "more", false);
    /* no peer at all: a send waits too */
    zt_assert(zaio_close(b) == 0, "close b");
    zt_assert(zaio_send(a, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN, "no peer");
    pt_close_all(ctx, a, NULL);
}
