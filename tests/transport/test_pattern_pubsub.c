/* PUB, SUB, XPUB, XSUB over inproc: prefix filtering at the publisher and again at
 * the subscriber, counted subscriptions, cancels, subscriptions resent to a new
 * publisher, multipart messages, a full subscriber missing messages while the
 * publisher never blocks, XPUB's view of subscriptions (plain and verbose), and XSUB
 * forwarding subscriptions and data upstream. */
#include "test_pattern_util.h"

#include <pthread.h>

/* Publishes each topic in turn, then a "sync" message the subscriber wants: what it
 * receives before "sync" is exactly what passed the filters. */
static void publish(void *pub, const char *const *topics, int n)
{
    for (int i = 0; i < n; i++)
        pt_send(pub, topics[i], 0);
    pt_send(pub, "sync", 0);
}

ZT_TEST(pubsub, prefix_filter, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_bind(pub, "inproc://ps");
    pt_connect(sub, "inproc://ps");
    pt_subscribe(sub, "ab");
    pt_subscribe(sub, "sync");
    const char *t[] = {"abc", "xyz", "ab", "a", "", "zab", "abab"};
    publish(pub, t, 7);
    pt_recv_is(sub, "abc", false);
    pt_recv_is(sub, "ab", false);
    pt_recv_is(sub, "abab", false);
    pt_recv_is(sub, "sync", false);
    pt_recv_none(sub);
    pt_close_all(ctx, pub, sub, NULL);
}

ZT_TEST(pubsub, nothing_without_a_subscription_everything_with_the_empty_one, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *none = pt_socket(ctx, ZAIO_SUB);
    void *all = pt_socket(ctx, ZAIO_SUB);
    pt_bind(pub, "inproc://all");
    pt_connect(none, "inproc://all");
    pt_connect(all, "inproc://all");
    pt_subscribe(all, "");
    pt_send(pub, "x", 0);
    pt_send(pub, "", 0);
    pt_recv_is(all, "x", false);
    pt_recv_is(all, "", false);
    pt_recv_none(none);
    pt_close_all(ctx, pub, none, all, NULL);
}

ZT_TEST(pubsub, duplicate_subscriptions_need_as_many_cancels, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_bind(pub, "inproc://dup");
    pt_connect(sub, "inproc://dup");
    pt_subscribe(sub, "sync");
    pt_subscribe(sub, "a");
    pt_subscribe(sub, "a");
    pt_unsubscribe(sub, "a");
    const char *t[] = {"a1"};
    publish(pub, t, 1);
    pt_recv_is(sub, "a1", false); /* one subscription left */
    pt_recv_is(sub, "sync", false);
    pt_unsubscribe(sub, "a");
    publish(pub, t, 1);
    pt_recv_is(sub, "sync", false); /* none left */
    pt_unsubscribe(sub, "never subscribed"); /* not an error, as in libzmq */
    pt_close_all(ctx, pub, sub, NULL);
}

ZT_TEST(pubsub, subscriber_filters_what_was_already_on_its_way, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_bind(pub, "inproc://inflight");
    pt_connect(sub, "inproc://inflight");
    pt_subscribe(sub, "a");
    pt_send(pub, "a: queued before the cancel", 0);
    pt_unsubscribe(sub, "a");
    pt_subscribe(sub, "b");
    zt_assert(!(pt_events(sub) & ZAIO_POLLIN), "a message filtered out does not make it readable");
    pt_send(pub, "b: after", 0);
    zt_assert(pt_events(sub) & ZAIO_POLLIN, "readable");
    pt_recv_is(sub, "b: after", false);
    pt_recv_none(sub);
    pt_close_all(ctx, pub, sub, NULL);
}

ZT_TEST(pubsub, multipart_follows_its_first_frame, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_bind(pub, "inproc://mp");
    pt_connect(sub, "inproc://mp");
    pt_subscribe(sub, "topic");
    char big[300];
    memset(big, 'b', sizeof big);
    pt_send(pub, "other", ZAIO_SNDMORE); /* dropped whole */
    pt_send(pub, "topic", 0);            /* matches, but is a later frame */
    pt_send(pub, "topic.x", ZAIO_SNDMORE);
    pt_sendb(pub, big, sizeof big, ZAIO_SNDMORE);
    pt_send(pub, "end", 0);
    pt_recv_is(sub, "topic.x", true);
    char buf[400];
    zt_assert(pt_recvb(sub, buf, sizeof buf) == (int)sizeof big, "body");
    pt_recv_is(sub, "end", false);
    pt_recv_none(sub);
    pt_close_all(ctx, pub, sub, NULL);
}

ZT_TEST(pubsub, fan_out_to_matching_subscribers_only, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB);
    pt_bind(pub, "inproc://fan");
    void *sub[3];
    const char *topic[3] = {"red", "green", "re"};
    for (int i = 0; i < 3; i++) {
        sub[i] = pt_socket(ctx, ZAIO_SUB);
        pt_connect(sub[i], "inproc://fan");
        pt_subscribe(sub[i], topic[i]);
        pt_subscribe(sub[i], "sync");
    }
    char big[100]; /* a shared buffer body, not an inline copy per subscriber */
    memset(big, 'r', sizeof big);
    memcpy(big, "red", 3);
    pt_sendb(pub, big, sizeof big, 0);
    const char *t[] = {"green!", "blue"};
    publish(pub, t, 2);
    char buf[128];
    zt_assert(pt_recvb(sub[0], buf, sizeof buf) == (int)sizeof big, "red to red");
    zt_assert(pt_recvb(sub[2], buf, sizeof buf) == (int)sizeof big, "red to re");
    pt_recv_is(sub[1], "green!", false);
    for (int i = 0; i < 3; i++) {
        pt_recv_is(sub[i], "sync", false);
        pt_recv_none(sub[i]);
    }
    pt_close_all(ctx, pub, sub[0], sub[1], sub[2], NULL);
}

ZT_TEST(pubsub, subscriptions_reach_publishers_that_come_later, 10)
{
    void *ctx = zaio_ctx_new();
    void *sub = pt_socket(ctx, ZAIO_SUB);
    pt_subscribe(sub, "news");
    pt_subscribe(sub, "news"); /* counted twice, sent once per publisher */
    pt_bind(sub, "inproc://later");
    void *pub1 = pt_socket(ctx, ZAIO_PUB), *pub2 = pt_socket(ctx, ZAIO_XPUB);
    pt_connect(pub1, "inproc://later");
    pt_connect(pub2, "inproc://later");
    pt_recv_none(sub); /* the subscriber takes the pipes and sends its subscriptions */
    pt_recv_is(pub2, "\x01news", false);
    pt_recv_none(pub2);
    pt_send(pub1, "news from 1", 0);
    pt_send(pub1, "sports from 1", 0);
    pt_send(pub2, "news from 2", 0);
    pt_recv_is(sub, "news from 1", false);
    pt_recv_is(sub, "news from 2", false);
    pt_recv_none(sub);
    pt_close_all(ctx, sub, pub1, pub2, NULL);
}

ZT_TEST(pubsub, full_subscriber_misses_messages_publisher_never_blocks, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB);
    pt_setint(pub, ZAIO_SNDHWM, 3);
    pt_bind(pub, "inproc://hwm");
    void *slow = pt_socket(ctx, ZAIO_SUB), *fast = pt_socket(ctx, ZAIO_SUB);
    pt_setint(slow, ZAIO_RCVHWM, 2); /* pipe: 3 + 2 */
    pt_connect(slow, "inproc://hwm");
    pt_connect(fast, "inproc://hwm");
    pt_subscribe(slow, "");
    pt_subscribe(fast, "");
    char big[64];
    memset(big, 'z', sizeof big);
    for (int i = 0; i < 20; i++) {
        zt_assert(pt_events(pub) & ZAIO_POLLOUT, "PUB is always writable");
        zt_assert(zaio_send(pub, big, sizeof big, ZAIO_DONTWAIT) == (int)sizeof big, "send %d", i);
        if (i % 2) /* the fast one keeps up */
            for (int k = 0; k < 2; k++)
                zt_assert(pt_recvb(fast, big, sizeof big) == (int)sizeof big, "fast");
    }
    int got = 0;
    while (zaio_recv(slow, big, sizeof big, ZAIO_DONTWAIT) == (int)sizeof big)
        got++;
    zt_assert(got == 5, "slow subscriber got %d, its pipe holds 5", got);
    pt_recv_none(fast);
    /* drained, it gets messages again */
    pt_send(pub, "again", 0);
    pt_recv_is(slow, "again", false);
    pt_recv_is(fast, "again", false);
    pt_close_all(ctx, pub, slow, fast, NULL);
}

ZT_TEST(pubsub, directions_refused, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    void *xsub = pt_socket(ctx, ZAIO_XSUB), *xpub = pt_socket(ctx, ZAIO_XPUB);
    char b[8];
    zt_assert(zaio_recv(pub, b, sizeof b, ZAIO_DONTWAIT) == -1 && zaio_errno() == ENOTSUP,
              "PUB recv");
    zt_assert(zaio_send(sub, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == ENOTSUP,
              "SUB send");
    zt_assert(zaio_setsockopt(pub, ZAIO_SUBSCRIBE, "", 0) == -1 && zaio_errno() == EINVAL,
              "SUBSCRIBE on PUB");
    zt_assert(zaio_setsockopt(xsub, ZAIO_SUBSCRIBE, "", 0) == -1 && zaio_errno() == EINVAL,
              "SUBSCRIBE on XSUB (it subscribes by message)");
    int one = 1;
    zt_assert(zaio_setsockopt(sub, ZAIO_XPUB_VERBOSE, &one, sizeof one) == -1 &&
                  zaio_errno() == EINVAL, "XPUB_VERBOSE on SUB");
    zt_assert(zaio_setsockopt(xpub, ZAIO_XPUB_VERBOSE, &one, sizeof one) == 0, "on XPUB");
    zt_assert(!(pt_events(sub) & ZAIO_POLLOUT) && (pt_events(pub) & ZAIO_POLLOUT) &&
                  !(pt_events(pub) & ZAIO_POLLIN), "events");
    /* a PUB with nobody subscribed takes and drops */
    pt_send(pub, "into the void", ZAIO_DONTWAIT);
    pt_close_all(ctx, pub, sub, xsub, xpub, NULL);
}

static void xpub_case(int verbose)
{
    void *ctx = zaio_ctx_new();
    void *xpub = pt_socket(ctx, ZAIO_XPUB);
    pt_setint(xpub, ZAIO_XPUB_VERBOSE, verbose);
    pt_bind(xpub, "inproc://x");
    void *s1 = pt_socket(ctx, ZAIO_SUB), *s2 = pt_socket(ctx, ZAIO_SUB);
    pt_connect(s1, "inproc://x");
    pt_connect(s2, "inproc://x");
    pt_subscribe(s1, "t");
    pt_recv_is(xpub, "\x01t", false);
    pt_subscribe(s2, "t"); /* a second subscriber to the same topic */
    if (verbose)
        pt_recv_is(xpub, "\x01t", false);
    pt_subscribe(s1, "u");
    pt_recv_is(xpub, "\x01u", false);
    /* the topic is still wanted by s2: no cancel yet */
    pt_unsubscribe(s1, "t");
    pt_subscribe(s1, "mark");
    pt_recv_is(xpub, "\x01mark", false);
    pt_unsubscribe(s2, "t");
    pt_recv_bin(xpub, "\0t", 2, false);
    /* a subscriber that goes cancels what only it wanted */
    zt_assert(zaio_close(s1) == 0, "close s1");
    char buf[16];
    int n1 = pt_recvb(xpub, buf, sizeof buf);
    char first[16];
    memcpy(first, buf, (size_t)n1);
    int n2 = pt_recvb(xpub, buf, sizeof buf);
    bool u_then_mark = n1 == 2 && memcmp(first, "\0u", 2) == 0 && n2 == 5 &&
                       memcmp(buf, "\0mark", 5) == 0;
    bool mark_then_u = n1 == 5 && memcmp(first, "\0mark", 5) == 0 && n2 == 2 &&
                       memcmp(buf, "\0u", 2) == 0;
    zt_assert(u_then_mark || mark_then_u, "cancels of the closed subscriber");
    pt_recv_none(xpub);
    pt_close_all(ctx, xpub, s2, NULL);
}

ZT_TEST(pubsub, xpub_sees_new_subscriptions_and_last_cancels, 10) { xpub_case(0); }
ZT_TEST(pubsub, xpub_verbose_sees_every_subscription, 10) { xpub_case(1); }

ZT_TEST(pubsub, xsub_forwards_subscriptions_and_data_upstream, 10)
{
    void *ctx = zaio_ctx_new();
    void *xpub = pt_socket(ctx, ZAIO_XPUB), *xsub = pt_socket(ctx, ZAIO_XSUB);
    pt_bind(xpub, "inproc://xx");
    pt_connect(xsub, "inproc://xx");
    pt_send(xsub, "\x01topic", 0);
    pt_recv_is(xpub, "\x01topic", false);
    pt_send(xpub, "topic!", 0);
    pt_send(xpub, "other", 0);
    pt_recv_is(xsub, "topic!", false);
    pt_recv_none(xsub);
    /* data upstream: XPUB hands it over as it came, multipart included */
    pt_send(xsub, "hello", ZAIO_SNDMORE);
    pt_send(xsub, "\x01not a subscription", 0);
    pt_recv_is(xpub, "hello", true);
    pt_recv_is(xpub, "\x01not a subscription", false);
    /* counted: the first cancel of two subscriptions is not forwarded */
    pt_send(xsub, "\x01topic", 0);
    pt_sendb(xsub, "\0topic", 6, 0);
    pt_send(xsub, "\x01zz", 0);
    pt_recv_is(xpub, "\x01zz", false); /* a repeat from the same pipe: not new */
    pt_sendb(xsub, "\0topic", 6, 0);
    pt_recv_bin(xpub, "\0topic", 6, false);
    pt_send(xpub, "topic?", 0);
    pt_send(xpub, "zz", 0);
    pt_recv_is(xsub, "zz", false);
    pt_close_all(ctx, xpub, xsub, NULL);
}

static void *run_proxy(void *arg)
{
    void **s = arg;
    zaio_proxy(s[0], s[1], NULL);
    return NULL;
}

ZT_TEST(pubsub, proxy_between_xsub_and_xpub, 10)
{
    void *ctx = zaio_ctx_new();
    /* an XPUB upstream, so the test can see the subscription arrive before publishing */
    void *pub = pt_socket(ctx, ZAIO_XPUB), *sub = pt_socket(ctx, ZAIO_SUB);
    void *front = pt_socket(ctx, ZAIO_XSUB), *back = pt_socket(ctx, ZAIO_XPUB);
    pt_bind(pub, "inproc://upstream");
    pt_connect(front, "inproc://upstream");
    pt_bind(back, "inproc://downstream");
    pt_connect(sub, "inproc://downstream");
    void *ends[2] = {front, back};
    pthread_t t;
    zt_assert(pthread_create(&t, NULL, run_proxy, ends) == 0, "proxy thread");
    pt_subscribe(sub, "w");
    /* SUB -> XPUB -> proxy -> XSUB -> XPUB */
    pt_recv_is(pub, "\x01w", false);
    pt_send(pub, "w1", 0);
    pt_send(pub, "x1", 0);
    pt_send(pub, "w2", ZAIO_SNDMORE);
    pt_send(pub, "tail", 0);
    pt_recv_is(sub, "w1", false);
    pt_recv_is(sub, "w2", true);
    pt_recv_is(sub, "tail", false);
    zaio_ctx_shutdown(ctx); /* ends the proxy */
    pthread_join(t, NULL);
    pt_close_all(ctx, pub, sub, front, back, NULL);
}

/* CONFLATE on a SUB conflates the data only: every subscription reaches the publisher
 * (libzmq conflates a SUB's subscriptions too, so only the last one queued survives). */
ZT_TEST(pubsub, conflating_subscriber_keeps_every_subscription_and_the_newest_message, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_setint(sub, ZAIO_CONFLATE, 1);
    pt_bind(pub, "inproc://conflate");
    pt_connect(sub, "inproc://conflate");
    pt_subscribe(sub, "a");
    pt_subscribe(sub, "b");
    pt_subscribe(sub, "c");
    const char *t[] = {"a1", "x1", "b1", "c1", "x2"};
    for (int i = 0; i < 5; i++)
        pt_send(pub, t[i], 0);
    pt_recv_is(sub, "c1", false); /* the newest that matched */
    pt_recv_none(sub);
    pt_send(pub, "a2", 0); /* each subscription took effect */
    pt_recv_is(sub, "a2", false);
    pt_send(pub, "b2", 0);
    pt_recv_is(sub, "b2", false);
    pt_recv_none(sub);
    pt_close_all(ctx, pub, sub, NULL);
}

/* A conflating SUB whose read-ahead message stops matching (an unsubscribe) drops that
 * one, not the newer message that does match. */
ZT_TEST(pubsub, conflating_subscriber_poll_keeps_the_newer_wanted_message, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_setint(sub, ZAIO_CONFLATE, 1);
    pt_bind(pub, "inproc://conflate-poll");
    pt_connect(sub, "inproc://conflate-poll");
    pt_subscribe(sub, "a");
    pt_subscribe(sub, "b");
    pt_send(pub, "b1", 0);
    zt_assert(pt_events(sub) & ZAIO_POLLIN, "b1 is readable"); /* read ahead */
    pt_unsubscribe(sub, "b");
    pt_send(pub, "a1", 0);
    zt_assert(pt_events(sub) & ZAIO_POLLIN, "a1 is readable");
    pt_recv_is(sub, "a1", false);
    pt_recv_none(sub);
    pt_close_all(ctx, pub, sub, NULL);
}
