/* The XPUB options and INVERT_MATCHING, each checked against what libzmq 4.3.4 does
 * (measured with small programs): XPUB_MANUAL (subscriptions take effect only as the
 * application forwards them, a subscriber that goes is reported by everything it asked
 * for), XPUB_MANUAL_LAST_VALUE, XPUB_WELCOME_MSG (inproc and TCP), XPUB_NODROP (a full
 * subscriber makes the sender wait, nothing is lost), XPUB_VERBOSER, and inverted
 * matching at publishers and subscribers. A message that must not arrive is followed
 * by one that must: pipes keep order, so the first is checked without waiting. */
#include "test_pattern_util.h"

#include <pthread.h>

/* XPUB's view of a subscription (1) or cancel (0) of topic */
static void recv_sub(void *xpub, int kind, const char *topic)
{
    char want[64];
    want[0] = (char)kind;
    memcpy(want + 1, topic, strlen(topic));
    pt_recv_bin(xpub, want, strlen(topic) + 1, false);
}

/* Two cancels, of a and of b, in either order (a trie walk's). */
static void recv_two_cancels(void *xpub, const char *a, const char *b)
{
    bool seen_a = false, seen_b = false;
    for (int i = 0; i < 2; i++) {
        char buf[16];
        int n = pt_recvb(xpub, buf, sizeof buf - 1);
        buf[n] = 0;
        zt_assert(n >= 1 && buf[0] == 0, "not a cancel (%d bytes)", n);
        seen_a |= strcmp(buf + 1, a) == 0;
        seen_b |= strcmp(buf + 1, b) == 0;
    }
    zt_assert(seen_a && seen_b, "cancels of %s and %s", a, b);
}

ZT_TEST(xpub_manual, subscriptions_take_effect_as_the_application_forwards_them, 10)
{
    void *ctx = zaio_ctx_new();
    void *x = pt_socket(ctx, ZAIO_XPUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_setint(x, ZAIO_XPUB_MANUAL, 1);
    /* nobody's subscription received yet: accepted, applied to nobody (libzmq) */
    pt_subscribe(x, "A");
    pt_bind(x, "inproc://manual");
    pt_connect(sub, "inproc://manual");
    pt_subscribe(sub, "A");
    recv_sub(x, 1, "A");
    pt_send(x, "A1", 0); /* not forwarded yet: nobody gets it */
    pt_subscribe(x, "A");   /* the application forwards it, for that subscriber */
    pt_send(x, "A2", 0);
    pt_recv_is(sub, "A2", false);
    pt_subscribe(sub, "AB");
    recv_sub(x, 1, "AB");
    pt_unsubscribe(x, "A"); /* the application cancels A for it, and has not forwarded AB */
    pt_send(x, "AB1", 0);
    pt_subscribe(x, "AB");
    pt_send(x, "AB2", 0);
    pt_recv_is(sub, "AB2", false);
    /* every subscribe reaches the application, repeated ones too */
    pt_subscribe(sub, "A");
    recv_sub(x, 1, "A");
    pt_unsubscribe(sub, "A"); /* the SUB counts: one left, nothing sent */
    pt_unsubscribe(sub, "A");
    recv_sub(x, 0, "A");
    /* a subscriber that goes: a cancel of every topic it asked for and kept */
    pt_subscribe(sub, "C");
    recv_sub(x, 1, "C");
    zaio_close(sub);
    recv_two_cancels(x, "AB", "C");
    pt_recv_none(x);
    pt_close_all(ctx, x, NULL);
}

ZT_TEST(xpub_manual, xsub_upstream_and_a_topic_of_the_applications_choice, 10)
{
    void *ctx = zaio_ctx_new();
    void *x = pt_socket(ctx, ZAIO_XPUB), *xs = pt_socket(ctx, ZAIO_XSUB);
    pt_setint(x, ZAIO_XPUB_MANUAL, 1);
    pt_bind(x, "inproc://manual-xsub");
    pt_connect(xs, "inproc://manual-xsub");
    pt_sendb(xs, "\x01" "A", 2, 0);
    recv_sub(x, 1, "A");
    pt_send(xs, "upstream", 0); /* data from XSUB: delivered, the subscriber stays the same */
    pt_recv_is(x, "upstream", false);
    pt_subscribe(x, "AB"); /* narrower than what it asked for: the application's call */
    pt_send(x, "AC1", 0);
    pt_send(x, "AB1", 0);
    pt_recv_is(xs, "AB1", false);
    pt_close_all(ctx, x, xs, NULL);
}

ZT_TEST(xpub_manual, last_value_goes_to_the_last_subscriber_alone, 10)
{
    void *ctx = zaio_ctx_new();
    void *x = pt_socket(ctx, ZAIO_XPUB);
    void *s1 = pt_socket(ctx, ZAIO_SUB), *s2 = pt_socket(ctx, ZAIO_SUB);
    pt_setint(x, ZAIO_XPUB_MANUAL_LAST_VALUE, 1);
    pt_bind(x, "inproc://mlv");
    pt_connect(s1, "inproc://mlv");
    pt_subscribe(s1, "A");
    recv_sub(x, 1, "A");
    pt_subscribe(x, "A");
    pt_send(x, "A-for-s1", 0); /* s1 is the last subscriber: to it alone */
    pt_connect(s2, "inproc://mlv");
    pt_subscribe(s2, "A");
    recv_sub(x, 1, "A");
    pt_subscribe(x, "A");
    pt_send(x, "A-last", 0); /* to s2 alone */
    pt_send(x, "A-all", 0);  /* then to everyone again */
    pt_recv_is(s1, "A-for-s1", false);
    pt_recv_is(s1, "A-all", false);
    pt_recv_is(s2, "A-last", false);
    pt_recv_is(s2, "A-all", false);
    pt_close_all(ctx, x, s1, s2, NULL);
}

static void welcome_case(const char *bind_ep)
{
    void *ctx = zaio_ctx_new();
    void *x = pt_socket(ctx, ZAIO_XPUB);
    void *w = pt_socket(ctx, ZAIO_SUB), *other = pt_socket(ctx, ZAIO_SUB);
    zt_assert(zaio_setsockopt(x, ZAIO_XPUB_WELCOME_MSG, "Welcome", 7) == 0, "welcome");
    pt_bind(x, bind_ep);
    char ep[64];
    size_t len = sizeof ep;
    zt_assert(zaio_getsockopt(x, ZAIO_LAST_ENDPOINT, ep, &len) == 0, "endpoint");
    pt_subscribe(w, "W");
    pt_connect(w, ep);
    recv_sub(x, 1, "W"); /* the XPUB has taken the subscriber: the welcome went first */
    pt_recv_is(w, "Welcome", false);
    pt_subscribe(other, "D"); /* not a prefix of the welcome message: its SUB drops it */
    pt_connect(other, ep);
    recv_sub(x, 1, "D");
    pt_send(x, "Data", 0);
    pt_recv_is(other, "Data", false);
    pt_recv_none(w);
    pt_close_all(ctx, x, w, other, NULL);
}

ZT_TEST(xpub_welcome, a_new_subscriber_gets_it_first_inproc, 10)
{
    welcome_case("inproc://welcome");
}

ZT_TEST(xpub_welcome, a_new_subscriber_gets_it_first_tcp, 10)
{
    welcome_case("tcp://127.0.0.1:*");
}

/* An XPUB (XPUB_NODROP as nodrop says) and a SUB subscribed to topic at ep, each at the
 * smallest HWM, once the XPUB has taken the subscription. */
static void nodrop_pair(void *ctx, const char *ep, int nodrop, const char *topic, void **x,
                        void **sub)
{
    *x = pt_socket(ctx, ZAIO_XPUB);
    *sub = pt_socket(ctx, ZAIO_SUB);
    pt_setint(*x, ZAIO_XPUB_NODROP, nodrop);
    pt_setint(*x, ZAIO_SNDHWM, 1);
    pt_setint(*sub, ZAIO_RCVHWM, 1);
    pt_bind(*x, ep);
    pt_connect(*sub, ep);
    pt_subscribe(*sub, topic);
    recv_sub(*x, 1, topic);
}

ZT_TEST(xpub_nodrop, a_full_subscriber_holds_the_sender_and_loses_nothing, 10)
{
    void *ctx = zaio_ctx_new();
    void *x, *sub;
    nodrop_pair(ctx, "inproc://nodrop", 1, "A", &x, &sub);
    int sent = 0;
    char msg[16];
    for (; sent < 100; sent++) {
        snprintf(msg, sizeof msg, "A%d", sent);
        if (zaio_send(x, msg, strlen(msg), ZAIO_DONTWAIT) < 0)
            break;
    }
    zt_assert(sent >= 1 && sent < 100 && zaio_errno() == EAGAIN, "sent %d: %s", sent,
              zaio_strerror(zaio_errno()));
    zt_assert(pt_events(x) & ZAIO_POLLOUT, "POLLOUT stays, as in libzmq");
    pt_send(x, "B-nobody", ZAIO_DONTWAIT); /* a message for no full subscriber goes */
    pt_recv_is(sub, "A0", false);          /* room again */
    snprintf(msg, sizeof msg, "A%d", sent);
    pt_send(x, msg, ZAIO_DONTWAIT);
    for (int i = 1; i <= sent; i++) { /* every one of them, in order */
        snprintf(msg, sizeof msg, "A%d", i);
        pt_recv_is(sub, msg, false);
    }
    pt_recv_none(sub);
    pt_close_all(ctx, x, sub, NULL);
}

ZT_TEST(xpub_nodrop, without_it_a_full_subscriber_misses_messages, 10)
{
    void *ctx = zaio_ctx_new();
    void *x, *sub;
    nodrop_pair(ctx, "inproc://drop", 0, "A", &x, &sub);
    for (int i = 0; i < 100; i++)
        pt_send(x, "A", ZAIO_DONTWAIT);
    int got = 0;
    char buf[8];
    while (zaio_recv(sub, buf, sizeof buf, ZAIO_DONTWAIT) >= 0)
        got++;
    zt_assert(got >= 1 && got < 100, "got %d of 100", got);
    pt_close_all(ctx, x, sub, NULL);
}

/* A subscriber blocked: the send waits until the reader (another thread) makes room. */
typedef struct reader_arg {
    void *sub;
    int n;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    char buf[8];
    for (int i = 0; i < a->n; i++)
        zt_assert(zaio_recv(a->sub, buf, sizeof buf, 0) >= 0, "reader %d", i);
    return NULL;
}

ZT_TEST(xpub_nodrop, a_blocking_send_waits_for_room, 10)
{
    void *ctx = zaio_ctx_new();
    void *x, *sub;
    nodrop_pair(ctx, "inproc://nodrop-block", 1, "", &x, &sub);
    reader_arg a = {sub, 50};
    pthread_t t;
    zt_assert(pthread_create(&t, NULL, reader, &a) == 0, "thread");
    for (int i = 0; i < 50; i++)
        pt_send(x, "m", 0); /* blocks at the HWM until the reader takes one */
    pthread_join(t, NULL);
    pt_close_all(ctx, x, sub, NULL);
}

ZT_TEST(xpub_verboser, every_cancel_reaches_the_application, 10)
{
    void *ctx = zaio_ctx_new();
    void *x = pt_socket(ctx, ZAIO_XPUB);
    void *s1 = pt_socket(ctx, ZAIO_SUB), *s2 = pt_socket(ctx, ZAIO_SUB);
    pt_setint(x, ZAIO_XPUB_VERBOSER, 1);
    pt_bind(x, "inproc://verboser");
    pt_connect(s1, "inproc://verboser");
    pt_connect(s2, "inproc://verboser");
    pt_subscribe(s1, "A");
    recv_sub(x, 1, "A");
    pt_subscribe(s2, "A");
    recv_sub(x, 1, "A"); /* VERBOSE's part */
    pt_unsubscribe(s1, "A");
    recv_sub(x, 0, "A"); /* though s2 still has A */
    zaio_close(s2);
    recv_sub(x, 0, "A"); /* s2 went: each of its topics */
    /* XPUB_VERBOSE turns the cancels off again: s1's second A stays quiet */
    pt_setint(x, ZAIO_XPUB_VERBOSE, 1);
    pt_subscribe(s1, "A");
    recv_sub(x, 1, "A");
    void *s3 = pt_socket(ctx, ZAIO_SUB);
    pt_connect(s3, "inproc://verboser");
    pt_subscribe(s3, "A");
    recv_sub(x, 1, "A");
    pt_unsubscribe(s3, "A");
    pt_subscribe(s1, "B");
    recv_sub(x, 1, "B"); /* and not the cancel of A before it */
    pt_close_all(ctx, x, s1, s3, NULL);
}

ZT_TEST(invert_matching, a_subscriber_gets_what_does_not_match, 10)
{
    void *ctx = zaio_ctx_new();
    void *pub = pt_socket(ctx, ZAIO_PUB), *inv = pt_socket(ctx, ZAIO_SUB);
    void *plain = pt_socket(ctx, ZAIO_SUB);
    pt_setint(pub, ZAIO_INVERT_MATCHING, 1);
    pt_setint(inv, ZAIO_INVERT_MATCHING, 1);
    pt_bind(pub, "inproc://invert");
    pt_connect(inv, "inproc://invert");
    pt_connect(plain, "inproc://invert");
    pt_subscribe(inv, "A");
    pt_subscribe(plain, "A");
    pt_send(pub, "A1", 0);
    pt_send(pub, "B1", 0);
    pt_send(pub, "C1", 0);
    pt_recv_is(inv, "B1", false);
    pt_recv_is(inv, "C1", false);
    /* an ordinary SUB with the inverting PUB gets what does not match A, then drops it */
    pt_recv_none(plain);
    pt_close_all(ctx, pub, inv, plain, NULL);
}

ZT_TEST(invert_matching, xpub_to_each_subscriber_what_none_of_its_topics_match, 10)
{
    void *ctx = zaio_ctx_new();
    void *x = pt_socket(ctx, ZAIO_XPUB), *sa = pt_socket(ctx, ZAIO_SUB);
    void *sb = pt_socket(ctx, ZAIO_XSUB);
    pt_setint(x, ZAIO_INVERT_MATCHING, 1);
    pt_setint(sa, ZAIO_INVERT_MATCHING, 1);
    pt_setint(sb, ZAIO_INVERT_MATCHING, 1);
    pt_bind(x, "tcp://127.0.0.1:*");
    char ep[64];
    size_t len = sizeof ep;
    zt_assert(zaio_getsockopt(x, ZAIO_LAST_ENDPOINT, ep, &len) == 0, "endpoint");
    pt_subscribe(sa, "A");
    pt_connect(sa, ep);
    recv_sub(x, 1, "A");
    pt_connect(sb, ep);
    pt_sendb(sb, "\x01" "B", 2, 0);
    recv_sub(x, 1, "B");
    pt_send(x, "A1", 0);
    pt_send(x, "B1", 0);
    pt_send(x, "C1", 0);
    pt_recv_is(sa, "B1", false);
    pt_recv_is(sa, "C1", false);
    pt_recv_is(sb, "A1", false);
    pt_recv_is(sb, "C1", false);
    pt_close_all(ctx, x, sa, sb, NULL);
}
