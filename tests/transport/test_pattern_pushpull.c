/* PUSH and PULL over inproc: round robin out, fair queue in, whole multipart messages,
 * the HWM (a full peer is skipped; all full blocks), wake-ups for blocked senders and
 * pollers, what a peer sent before it left, and the directions each type refuses. */
#include "test_pattern_util.h"

#include <pthread.h>

ZT_TEST(pushpull, round_robin_to_every_pull, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_bind(push, "inproc://rr");
    void *pull[3];
    for (int i = 0; i < 3; i++) {
        pull[i] = pt_socket(ctx, ZAIO_PULL);
        pt_connect(pull[i], "inproc://rr");
    }
    for (int i = 0; i < 9; i++)
        pt_send(push, "job", 0);
    /* each of the three got exactly a third */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            pt_recv_is(pull[i], "job", false);
        pt_recv_none(pull[i]);
    }
    pt_close_all(ctx, push, pull[0], pull[1], pull[2], NULL);
}

ZT_TEST(pushpull, fair_queue_takes_turns, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL);
    pt_bind(pull, "inproc://fq");
    void *a = pt_socket(ctx, ZAIO_PUSH), *b = pt_socket(ctx, ZAIO_PUSH);
    pt_connect(a, "inproc://fq");
    pt_connect(b, "inproc://fq");
    for (int i = 0; i < 3; i++) {
        pt_send(a, "a", 0);
        pt_send(b, "b", 0);
    }
    /* both queues are full before the first read: turns alternate, whoever starts */
    char first[4], prev = 0;
    for (int i = 0; i < 6; i++) {
        int n = pt_recvb(pull, first, sizeof first);
        zt_assert(n == 1 && (first[0] == 'a' || first[0] == 'b'), "frame");
        zt_assert(first[0] != prev, "message %d came from the same pusher twice", i);
        prev = first[0];
    }
    pt_recv_none(pull);
    pt_close_all(ctx, pull, a, b, NULL);
}

ZT_TEST(pushpull, multipart_stays_whole_and_together, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_bind(push, "inproc://mp");
    void *p1 = pt_socket(ctx, ZAIO_PULL), *p2 = pt_socket(ctx, ZAIO_PULL);
    pt_connect(p1, "inproc://mp");
    pt_connect(p2, "inproc://mp");
    char big[1000];
    memset(big, 'x', sizeof big);
    for (int i = 0; i < 4; i++) {
        pt_send(push, "head", ZAIO_SNDMORE);
        pt_sendb(push, big, sizeof big, ZAIO_SNDMORE); /* a body in a buffer, not inline */
        pt_send(push, "tail", 0);
    }
    void *pulls[2] = {p1, p2};
    char buf[1024];
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 2; i++) {
            pt_recv_is(pulls[k], "head", true);
            zt_assert(pt_recvb(pulls[k], buf, sizeof buf) == (int)sizeof big, "body");
            zt_assert(memcmp(buf, big, sizeof big) == 0, "body bytes");
            pt_recv_is(pulls[k], "tail", false);
        }
        pt_recv_none(pulls[k]);
    }
    pt_close_all(ctx, push, p1, p2, NULL);
}

ZT_TEST(pushpull, no_peer_blocks_and_times_out, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = pt_socket(ctx, ZAIO_PUSH);
    zt_assert(zaio_send(push, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "no peer: EAGAIN");
    pt_setint(push, ZAIO_SNDTIMEO, 30);
    zt_assert(zaio_send(push, "x", 1, 0) == -1 && zaio_errno() == EAGAIN, "timed out");
    zt_assert(!(pt_events(push) & ZAIO_POLLOUT), "not writable without a peer");
    /* a peer arrives: the same socket sends */
    void *pull = pt_socket(ctx, ZAIO_PULL);
    pt_bind(pull, "inproc://late");
    pt_connect(push, "inproc://late");
    zt_assert(pt_events(push) & ZAIO_POLLOUT, "writable with a peer");
    pt_send(push, "now", 0);
    pt_recv_is(pull, "now", false);
    pt_close_all(ctx, push, pull, NULL);
}

ZT_TEST(pushpull, directions_refused, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = pt_socket(ctx, ZAIO_PUSH), *pull = pt_socket(ctx, ZAIO_PULL);
    char b[4];
    zt_assert(zaio_recv(push, b, sizeof b, ZAIO_DONTWAIT) == -1 && zaio_errno() == ENOTSUP,
              "PUSH recv");
    zt_assert(zaio_send(pull, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == ENOTSUP,
              "PULL send");
    zt_assert(zaio_setsockopt(push, ZAIO_SUBSCRIBE, "", 0) == -1 && zaio_errno() == EINVAL,
              "SUBSCRIBE on PUSH");
    int one = 1;
    zt_assert(zaio_setsockopt(pull, ZAIO_ROUTER_MANDATORY, &one, sizeof one) == -1 &&
                  zaio_errno() == EINVAL, "ROUTER_MANDATORY on PULL");
    zt_assert(!(pt_events(push) & ZAIO_POLLIN) && !(pt_events(pull) & ZAIO_POLLOUT), "events");
    pt_close_all(ctx, push, pull, NULL);
}

/* Sends until the pipes refuse; returns how many went. */
static int fill(void *s)
{
    int n = 0;
    while (zaio_send(s, "m", 1, ZAIO_DONTWAIT) == 1)
        n++;
    zt_assert(zaio_errno() == EAGAIN, "full: %s", zaio_strerror(zaio_errno()));
    return n;
}

ZT_TEST(pushpull, hwm_skips_full_peer_then_blocks, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_setint(push, ZAIO_SNDHWM, 2);
    pt_bind(push, "inproc://hwm");
    void *small = pt_socket(ctx, ZAIO_PULL), *large = pt_socket(ctx, ZAIO_PULL);
    pt_setint(small, ZAIO_RCVHWM, 1); /* pipe: 2 + 1 */
    pt_setint(large, ZAIO_RCVHWM, 5); /* pipe: 2 + 5 */
    pt_connect(small, "inproc://hwm");
    pt_connect(large, "inproc://hwm");
    /* round robin until the small one is full, then everything to the large one */
    zt_assert(fill(push) == 3 + 7, "messages taken before both were full");
    zt_assert(!(pt_events(push) & ZAIO_POLLOUT), "not writable when every peer is full");
    for (int i = 0; i < 3; i++)
        pt_recv_is(small, "m", false);
    pt_recv_none(small);
    for (int i = 0; i < 7; i++)
        pt_recv_is(large, "m", false);
    pt_recv_none(large);
    /* drained: room again */
    zt_assert(pt_events(push) & ZAIO_POLLOUT, "writable again");
    pt_send(push, "again", ZAIO_DONTWAIT);
    pt_close_all(ctx, push, small, large, NULL);
}

typedef struct reader_arg {
    void *pull;
    int count;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    char buf[8];
    for (int i = 0; i < a->count; i++)
        if (zaio_recv(a->pull, buf, sizeof buf, 0) < 0)
            return (void *)1;
    return NULL;
}

ZT_TEST(pushpull, blocked_send_wakes_when_the_reader_drains, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL);
    pt_setint(pull, ZAIO_RCVHWM, 4);
    pt_bind(pull, "inproc://wake");
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_setint(push, ZAIO_SNDHWM, 4);
    pt_connect(push, "inproc://wake");
    int n = fill(push);
    zt_assert(n == 8, "filled %d", n);
    reader_arg a = {pull, n + 1};
    pthread_t t;
    zt_assert(pthread_create(&t, NULL, reader, &a) == 0, "thread");
    pt_send(push, "last", 0); /* blocks until the reader made room; no timeout */
    void *rc;
    pthread_join(t, &rc);
    zt_assert(rc == NULL, "reader failed");
    pt_close_all(ctx, push, pull, NULL);
}

static void *late_sender(void *p)
{
    pt_send(p, "late", 0);
    return NULL;
}

ZT_TEST(pushpull, poll_wakes_on_a_message, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL);
    pt_bind(pull, "inproc://poll");
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_connect(push, "inproc://poll");
    zaio_pollitem_t it = {pull, 0, ZAIO_POLLIN, 0};
    zt_assert(zaio_poll(&it, 1, 0) == 0, "nothing yet");
    pthread_t t;
    zt_assert(pthread_create(&t, NULL, late_sender, push) == 0, "thread");
    /* told "nothing" above, the poller must still be woken by the message */
    zt_assert(zaio_poll(&it, 1, PT_TIMEOUT_MS) == 1 && (it.revents & ZAIO_POLLIN), "woken");
    pthread_join(t, NULL);
    pt_recv_is(pull, "late", false);
    zt_assert(zaio_poll(&it, 1, 0) == 0, "nothing left");
    pt_close_all(ctx, pull, push, NULL);
}

ZT_TEST(pushpull, messages_of_a_closed_peer_still_arrive, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL);
    pt_bind(pull, "inproc://gone");
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_connect(push, "inproc://gone");
    pt_send(push, "one", 0);
    pt_send(push, "two", ZAIO_SNDMORE);
    pt_send(push, "three", 0);
    /* the poller reads the first message ahead, then the peer goes */
    zt_assert(pt_events(pull) & ZAIO_POLLIN, "readable");
    zt_assert(zaio_close(push) == 0, "close push");
    pt_recv_is(pull, "one", false);
    pt_recv_is(pull, "two", true);
    pt_recv_is(pull, "three", false);
    pt_recv_none(pull);
    /* a peer that sent one message and left, read ahead before its end is known */
    void *push2 = pt_socket(ctx, ZAIO_PUSH);
    pt_connect(push2, "inproc://gone");
    pt_send(push2, "last words", 0);
    zt_assert(pt_events(pull) & ZAIO_POLLIN, "readable again");
    zt_assert(zaio_close(push2) == 0, "close push2");
    pt_recv_is(pull, "last words", false);
    pt_recv_none(pull);
    pt_close_all(ctx, pull, NULL);
}

/* CONFLATE on the PULL: only the newest message waits, whatever the HWMs, and a poll
 * that saw one message does not pin it once a newer one has come. */
ZT_TEST(pushpull, conflate_keeps_only_the_newest, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL);
    pt_setint(pull, ZAIO_CONFLATE, 1);
    pt_setint(pull, ZAIO_RCVHWM, 2);
    pt_bind(pull, "inproc://conflate");
    void *push = pt_socket(ctx, ZAIO_PUSH);
    pt_setint(push, ZAIO_SNDHWM, 2);
    pt_connect(push, "inproc://conflate");
    char text[16];
    for (int i = 0; i < 100; i++) { /* an HWM of 2 + 2 would refuse the fifth */
        snprintf(text, sizeof text, "m%d", i);
        pt_send(push, text, ZAIO_DONTWAIT);
    }
    pt_recv_is(pull, "m99", false);
    pt_recv_none(pull);
    /* one part of a multipart message is kept, the last, as libzmq keeps one */
    pt_send(push, "head", ZAIO_SNDMORE);
    pt_send(push, "tail", 0);
    pt_recv_is(pull, "tail", false);
    pt_recv_none(pull);
    /* EVENTS reads ahead to answer; a newer message still wins */
    pt_send(push, "n1", 0);
    zt_assert(pt_events(pull) & ZAIO_POLLIN, "readable");
    pt_send(push, "n2", 0);
    pt_recv_is(pull, "n2", false);
    pt_recv_none(pull);
    pt_close_all(ctx, push, pull, NULL);
}
