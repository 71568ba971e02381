/* zap_handler.h - what the in-process interop tests with libzmq share (PLAIN's and
 * CURVE's): the end-of-test check that nothing of zaio's asyncio is left, and a ZAP
 * handler (RFC 27) on either library's REP, served by a thread of its own, whose verdict
 * comes from the test. Header-only: each test is one Criterion program. */
#ifndef ZAIO_INTEROP_ZAP_HANDLER_H
#define ZAIO_INTEROP_ZAP_HANDLER_H

#include "zaio.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <zmq.h>

/* After zaio_ctx_term: nothing of zaio's asyncio is left in the process. */
static inline void assert_released(void)
{
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.accept_sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0 &&
                  st.buf_bytes == 0,
              "live: sockets %lld accept %lld ops %lld bufs %lld", (long long)st.sockets,
              (long long)st.accept_sockets, (long long)st.ops_in_flight, (long long)st.bufs);
}

#define ZH_FRAMES 8

/* A request as the handler's REP hands it over (the delimiter taken): 1.0, 1, domain,
 * address, routing id, mechanism, then the credentials. */
typedef struct zh_request {
    char f[ZH_FRAMES][64];
    int len[ZH_FRAMES];
    int n;
} zh_request;

/* The test's verdict: true lets the peer in as user_id. */
typedef bool (*zh_verdict)(const zh_request *r, const void *arg);

typedef struct handler {
    bool zaio;          /* which library's REP it is */
    void *sock;
    pthread_t th;
    atomic_bool stop;
    atomic_int requests;
    zh_verdict verdict;
    const void *arg;
    const char *user_id;
    zh_request last;    /* the last request, for the test to look at after stop */
} handler;

static inline int h_recv(handler *h, void *buf, size_t cap)
{
    return h->zaio ? zaio_recv(h->sock, buf, cap, 0) : zmq_recv(h->sock, buf, cap, 0);
}

static inline int h_more(handler *h)
{
    int more = 0;
    size_t len = sizeof more;
    if (h->zaio)
        zaio_getsockopt(h->sock, ZAIO_RCVMORE, &more, &len);
    else
        zmq_getsockopt(h->sock, ZMQ_RCVMORE, &more, &len);
    return more;
}

static inline void h_send(handler *h, const char *s, bool more)
{
    int flags = more ? (h->zaio ? ZAIO_SNDMORE : ZMQ_SNDMORE) : 0;
    int rc = h->zaio ? zaio_send(h->sock, s, strlen(s), flags)
                     : zmq_send(h->sock, s, strlen(s), flags);
    cr_assert_eq(rc, (int)strlen(s), "handler send");
}

static inline void *handler_main(void *arg)
{
    handler *h = arg;
    while (!atomic_load(&h->stop)) {
        zh_request r;
        if ((r.len[0] = h_recv(h, r.f[0], sizeof r.f[0])) < 0)
            continue; /* RCVTIMEO: look at stop again */
        r.n = 1;
        while (h_more(h) && r.n < ZH_FRAMES) {
            r.len[r.n] = h_recv(h, r.f[r.n], sizeof r.f[r.n]);
            cr_assert_geq(r.len[r.n], 0, "request frame");
            r.n++;
        }
        bool ok = h->verdict(&r, h->arg);
        h->last = r;
        atomic_fetch_add(&h->requests, 1);
        h_send(h, "1.0", true);
        h_send(h, "1", true);
        h_send(h, ok ? "200" : "400", true);
        h_send(h, ok ? "OK" : "no", true);
        h_send(h, ok ? h->user_id : "", true);
        h_send(h, "", false);
    }
    return NULL;
}

static inline void handler_start(handler *h, void *ctx, bool zaio, zh_verdict verdict,
                                 const void *arg, const char *user_id)
{
    memset(h, 0, sizeof *h);
    h->zaio = zaio;
    h->verdict = verdict;
    h->arg = arg;
    h->user_id = user_id;
    int ms = 50;
    if (zaio) {
        h->sock = zaio_socket(ctx, ZAIO_REP);
        zaio_setsockopt(h->sock, ZAIO_RCVTIMEO, &ms, sizeof ms);
        cr_assert_eq(zaio_bind(h->sock, "inproc://zeromq.zap.01"), 0);
    } else {
        h->sock = zmq_socket(ctx, ZMQ_REP);
        zmq_setsockopt(h->sock, ZMQ_RCVTIMEO, &ms, sizeof ms);
        cr_assert_eq(zmq_bind(h->sock, "inproc://zeromq.zap.01"), 0);
    }
    cr_assert_eq(pthread_create(&h->th, NULL, handler_main, h), 0);
}

static inline void handler_stop(handler *h)
{
    atomic_store(&h->stop, true);
    pthread_join(h->th, NULL);
    if (h->zaio)
        zaio_close(h->sock);
    else
        zmq_close(h->sock);
}

#endif
