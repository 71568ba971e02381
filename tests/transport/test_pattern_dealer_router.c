/* DEALER and ROUTER over inproc: round robin and fair queueing without envelopes,
 * routing ids (announced and generated), replies routed by id, unknown ids and full
 * peers (dropped, or EHOSTUNREACH / EAGAIN with ROUTER_MANDATORY), a duplicate id
 * ignored while its holder is there, and ROUTER to ROUTER. */
#include "test_pattern_util.h"

ZT_TEST(dealer_router, dealer_round_robin_and_fair_queue, 10)
{
    void *ctx = zaio_ctx_new();
    void *dealer = pt_socket(ctx, ZAIO_DEALER);
    pt_bind(dealer, "inproc://d");
    void *peer[2];
    for (int i = 0; i < 2; i++) {
        peer[i] = pt_socket(ctx, ZAIO_DEALER);
        pt_connect(peer[i], "inproc://d");
    }
    pt_send(dealer, "one", ZAIO_SNDMORE);
    pt_send(dealer, "1b", 0);
    pt_send(dealer, "two", 0);
    pt_send(dealer, "three", 0);
    pt_recv_is(peer[0], "one", true);
    pt_recv_is(peer[0], "1b", false);
    pt_recv_is(peer[1], "two", false);
    pt_recv_is(peer[0], "three", false);
    pt_send(peer[0], "from0", 0);
    pt_send(peer[0], "from0 again", 0);
    pt_send(peer[1], "from1", 0);
    pt_recv_is(dealer, "from0", false);
    pt_recv_is(dealer, "from1", false);
    pt_recv_is(dealer, "from0 again", false);
    pt_close_all(ctx, dealer, peer[0], peer[1], NULL);
}

ZT_TEST(dealer_router, router_prefixes_ids_and_routes_replies, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_bind(router, "inproc://r");
    void *named = pt_socket(ctx, ZAIO_DEALER), *anon = pt_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(named, ZAIO_ROUTING_ID, "named", 5) == 0, "id");
    pt_connect(named, "inproc://r");
    pt_connect(anon, "inproc://r");
    pt_send(named, "hi", ZAIO_SNDMORE);
    pt_send(named, "there", 0);
    pt_send(anon, "anon", 0);
    pt_recv_is(router, "named", true);
    pt_recv_is(router, "hi", true);
    pt_recv_is(router, "there", false);
    /* a generated id: 5 bytes, a zero byte first */
    zaio_msg_t id;
    zaio_msg_init(&id);
    zt_assert(zaio_msg_recv(&id, router, 0) == 5, "generated id size");
    zt_assert(((unsigned char *)zaio_msg_data(&id))[0] == 0, "generated id starts with 0");
    zt_assert(zaio_msg_more(&id), "id frame has MORE");
    const char *type = zaio_msg_gets(&id, "Socket-Type");
    zt_assert(type && strcmp(type, "DEALER") == 0, "metadata on the id frame");
    pt_recv_is(router, "anon", false);
    /* replies go by id, whatever the order */
    zaio_msg_t copy;
    zaio_msg_init(&copy);
    zaio_msg_copy(&copy, &id);
    zt_assert(zaio_msg_send(&copy, router, ZAIO_SNDMORE) == 5, "send id");
    pt_send(router, "to anon", 0);
    pt_send(router, "named", ZAIO_SNDMORE);
    pt_send(router, "to named", ZAIO_SNDMORE);
    pt_send(router, "part 2", 0);
    pt_recv_is(anon, "to anon", false);
    pt_recv_is(named, "to named", true);
    pt_recv_is(named, "part 2", false);
    /* the same peer keeps its generated id */
    pt_send(anon, "again", 0);
    zaio_msg_t id2;
    zaio_msg_init(&id2);
    zt_assert(zaio_msg_recv(&id2, router, 0) == 5, "id again");
    zt_assert(memcmp(zaio_msg_data(&id), zaio_msg_data(&id2), 5) == 0, "same id");
    pt_recv_is(router, "again", false);
    zaio_msg_close(&id);
    zaio_msg_close(&id2);
    pt_close_all(ctx, router, named, anon, NULL);
}

ZT_TEST(dealer_router, unknown_id_dropped_or_unreachable, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER), *dealer = pt_socket(ctx, ZAIO_DEALER);
    pt_bind(router, "inproc://u");
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "d", 1) == 0, "id");
    pt_connect(dealer, "inproc://u");
    /* silently dropped, the whole message */
    pt_send(router, "nobody", ZAIO_SNDMORE);
    pt_send(router, "lost", ZAIO_SNDMORE);
    pt_send(router, "lost too", 0);
    pt_send(router, "d", ZAIO_SNDMORE);
    pt_send(router, "found", 0);
    pt_recv_is(dealer, "found", false);
    pt_recv_none(dealer);
    /* with ROUTER_MANDATORY: EHOSTUNREACH, and nothing was started */
    pt_setint(router, ZAIO_ROUTER_MANDATORY, 1);
    zt_assert(zaio_send(router, "nobody", 6, ZAIO_SNDMORE) == -1 && zaio_errno() == EHOSTUNREACH,
              "EHOSTUNREACH");
    pt_send(router, "d", ZAIO_SNDMORE);
    pt_send(router, "still found", 0);
    pt_recv_is(dealer, "still found", false);
    /* a peer that left is unknown again */
    zt_assert(zaio_close(dealer) == 0, "close dealer");
    zt_assert(zaio_send(router, "d", 1, ZAIO_SNDMORE) == -1 && zaio_errno() == EHOSTUNREACH,
              "gone peer");
    pt_close_all(ctx, router, NULL);
}

ZT_TEST(dealer_router, full_peer_dropped_or_eagain, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_setint(router, ZAIO_SNDHWM, 2);
    pt_bind(router, "inproc://full");
    void *dealer = pt_socket(ctx, ZAIO_DEALER);
    pt_setint(dealer, ZAIO_RCVHWM, 2);
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "d", 1) == 0, "id");
    pt_connect(dealer, "inproc://full");
    /* without ROUTER_MANDATORY the excess is dropped and sends never block */
    char text[16];
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "m%d", i);
        pt_send(router, "d", ZAIO_SNDMORE);
        pt_send(router, text, 0);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(text, sizeof text, "m%d", i);
        pt_recv_is(dealer, text, false);
    }
    pt_recv_none(dealer);
    /* with it: EAGAIN on the id frame, then room once the dealer has read */
    pt_setint(router, ZAIO_ROUTER_MANDATORY, 1);
    for (int i = 0; i < 4; i++) {
        pt_send(router, "d", ZAIO_SNDMORE);
        pt_send(router, "n", 0);
    }
    zt_assert(zaio_send(router, "d", 1, ZAIO_SNDMORE | ZAIO_DONTWAIT) == -1 &&
                  zaio_errno() == EAGAIN, "EAGAIN at the HWM");
    zt_assert(!(pt_events(router) & ZAIO_POLLOUT), "not writable with every peer full");
    for (int i = 0; i < 4; i++)
        pt_recv_is(dealer, "n", false);
    zt_assert(pt_events(router) & ZAIO_POLLOUT, "writable again");
    pt_send(router, "d", ZAIO_SNDMORE | ZAIO_DONTWAIT);
    pt_send(router, "after", 0);
    pt_recv_is(dealer, "after", false);
    pt_close_all(ctx, router, dealer, NULL);
}

ZT_TEST(dealer_router, duplicate_id_ignored_until_the_first_leaves, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_bind(router, "inproc://dup");
    void *first = pt_socket(ctx, ZAIO_DEALER), *second = pt_socket(ctx, ZAIO_DEALER);
    void *third = pt_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(first, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    zt_assert(zaio_setsockopt(second, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    zt_assert(zaio_setsockopt(third, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    pt_connect(first, "inproc://dup");
    pt_connect(second, "inproc://dup");
    pt_connect(third, "inproc://dup");
    pt_send(second, "from second", 0);
    pt_send(third, "from third", 0);
    pt_send(first, "from first", 0);
    pt_recv_is(router, "same", true);
    pt_recv_is(router, "from first", false);
    pt_recv_none(router);
    pt_send(router, "same", ZAIO_SNDMORE);
    pt_send(router, "reply", 0);
    pt_recv_is(first, "reply", false);
    pt_recv_none(second);
    pt_recv_none(third);
    /* an ignored peer that goes is released with what it sent */
    zt_assert(zaio_close(third) == 0, "close third");
    pt_recv_none(router);
    /* the first goes: the one still waiting takes the id, and is heard */
    zt_assert(zaio_close(first) == 0, "close first");
    pt_recv_is(router, "same", true);
    pt_recv_is(router, "from second", false);
    pt_send(router, "same", ZAIO_SNDMORE);
    pt_send(router, "now you", 0);
    pt_recv_is(second, "now you", false);
    pt_close_all(ctx, router, second, NULL);
}

/* ROUTER_HANDOVER: the newcomer with an id in use takes it at once, and the peer that
 * had it is dropped (it has nowhere to send now). */
ZT_TEST(dealer_router, handover_gives_the_id_to_the_newcomer, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_setint(router, ZAIO_ROUTER_HANDOVER, 1);
    pt_bind(router, "inproc://handover");
    void *first = pt_socket(ctx, ZAIO_DEALER), *second = pt_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(first, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    zt_assert(zaio_setsockopt(second, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    pt_connect(first, "inproc://handover");
    pt_send(first, "from first", 0);
    pt_recv_is(router, "same", true);
    pt_recv_is(router, "from first", false);
    pt_connect(second, "inproc://handover");
    pt_send(second, "from second", 0);
    pt_recv_is(router, "same", true); /* without handover: ignored, nothing comes */
    pt_recv_is(router, "from second", false);
    pt_send(router, "same", ZAIO_SNDMORE);
    pt_send(router, "reply", 0);
    pt_recv_is(second, "reply", false);
    pt_recv_none(first);
    /* the first lost its only peer */
    zt_assert(zaio_send(first, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "the first still has a peer to send to");
    int v = -1;
    size_t len = sizeof v;
    zt_assert(zaio_getsockopt(router, ZAIO_ROUTER_HANDOVER, &v, &len) == 0 && v == 1, "get");
    zt_assert(zaio_setsockopt(first, ZAIO_ROUTER_HANDOVER, &v, sizeof v) == -1 &&
                  zaio_errno() == EINVAL,
              "a DEALER has no ROUTER_HANDOVER");
    pt_close_all(ctx, router, first, second, NULL);
}

/* A handover while the user is part way through the old peer's message: that message
 * ends whole, and only then does the old peer go. */
ZT_TEST(dealer_router, handover_waits_for_the_message_being_read, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_setint(router, ZAIO_ROUTER_HANDOVER, 1);
    pt_bind(router, "inproc://handover-mid");
    void *first = pt_socket(ctx, ZAIO_DEALER), *second = pt_socket(ctx, ZAIO_DEALER);
    void *other = pt_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(first, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    zt_assert(zaio_setsockopt(second, ZAIO_ROUTING_ID, "same", 4) == 0, "id");
    zt_assert(zaio_setsockopt(other, ZAIO_ROUTING_ID, "other", 5) == 0, "id");
    pt_connect(first, "inproc://handover-mid");
    pt_send(first, "A1", ZAIO_SNDMORE);
    pt_send(first, "A2", ZAIO_SNDMORE);
    pt_send(first, "A3", 0);
    pt_recv_is(router, "same", true);
    pt_recv_is(router, "A1", true);
    pt_connect(other, "inproc://handover-mid");
    pt_send(other, "O1", 0);
    pt_connect(second, "inproc://handover-mid");
    pt_send(second, "S1", 0);
    pt_recv_is(router, "A2", true); /* the rest of the first's message, nothing else */
    pt_recv_is(router, "A3", false);
    bool got_other = false, got_second = false;
    for (int i = 0; i < 2; i++) {
        char id[8];
        int n = pt_recvb(router, id, sizeof id);
        if (n == 5 && memcmp(id, "other", 5) == 0) {
            pt_recv_is(router, "O1", false);
            got_other = true;
        } else {
            zt_assert(n == 4 && memcmp(id, "same", 4) == 0, "an id frame");
            pt_recv_is(router, "S1", false);
            got_second = true;
        }
    }
    zt_assert(got_other && got_second, "both other messages came whole");
    pt_send(router, "same", ZAIO_SNDMORE);
    pt_send(router, "reply", 0);
    pt_recv_is(second, "reply", false);
    zt_assert(zaio_send(first, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "the first was dropped once its message was read");
    pt_close_all(ctx, router, first, second, other, NULL);
}

ZT_TEST(dealer_router, router_to_router, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_ROUTER), *b = pt_socket(ctx, ZAIO_ROUTER);
    zt_assert(zaio_setsockopt(a, ZAIO_ROUTING_ID, "A", 1) == 0, "id");
    zt_assert(zaio_setsockopt(b, ZAIO_ROUTING_ID, "B", 1) == 0, "id");
    pt_bind(a, "inproc://rr");
    pt_connect(b, "inproc://rr");
    /* the connecting side knows the binder's id at once */
    pt_setint(b, ZAIO_ROUTER_MANDATORY, 1);
    pt_send(b, "A", ZAIO_SNDMORE);
    pt_send(b, "hello A", 0);
    pt_recv_is(a, "B", true);
    pt_recv_is(a, "hello A", false);
    pt_send(a, "B", ZAIO_SNDMORE);
    pt_send(a, "hello B", 0);
    pt_recv_is(b, "A", true);
    pt_recv_is(b, "hello B", false);
    pt_close_all(ctx, a, b, NULL);
}

ZT_TEST(dealer_router, dealer_poll_and_many_messages_in_order, 20)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER), *dealer = pt_socket(ctx, ZAIO_DEALER);
    pt_bind(router, "inproc://many");
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "d", 1) == 0, "id");
    pt_connect(dealer, "inproc://many");
    /* more than a pipe's chunk and the default HWM, read as they come */
    for (int i = 0; i < 5000; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        pt_send(dealer, text, 0);
        zaio_pollitem_t it = {router, 0, ZAIO_POLLIN, 0};
        zt_assert(zaio_poll(&it, 1, PT_TIMEOUT_MS) == 1, "poll %d", i);
        pt_recv_is(router, "d", true);
        pt_recv_is(router, text, false);
    }
    pt_close_all(ctx, router, dealer, NULL);
}
