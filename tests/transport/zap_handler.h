/* zap_handler.h - a ZAP handler (RFC 27) for the transport tests: a REP bound at
 * inproc://zeromq.zap.01, served by a thread of its own (the server's I/O thread must
 * get its answer while the test blocks in recv), that hands each request to the test's
 * reply function and keeps its frames for the test to look at afterwards. */
#ifndef ZAIO_TESTS_ZAP_HANDLER_H
#define ZAIO_TESTS_ZAP_HANDLER_H

#include "tcp_helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* A request's frames after REP took the delimiter: 1.0, 1, domain, address, routing
 * id, mechanism, then the mechanism's credentials. */
typedef struct zap_request {
    char frame[8][64];
    size_t frame_len[8];
    int nframes;
} zap_request;

typedef struct zap_handler zap_handler;
/* Sends the reply to r; false closes the handler without one (a handler gone away). */
typedef bool (*zap_reply_fn)(zap_handler *h, const zap_request *r);

struct zap_handler {
    void *sock;
    pthread_t th;
    atomic_bool stop;
    atomic_int requests;
    zap_reply_fn reply;
    void *arg;          /* the test's, for its reply function */
    zap_request last;   /* the last request */
};

static inline bool zap_frame_is(const zap_request *r, int i, const char *s)
{
    return i < r->nframes && r->frame_len[i] == strlen(s) &&
           memcmp(r->frame[i], s, r->frame_len[i]) == 0;
}

/* A well-formed reply: 1.0, 1, status, its text, user id, metadata. */
static inline void zap_reply(zap_handler *h, const char *status, const char *user,
                             const void *md, size_t md_len)
{
    th_send_str(h->sock, "1.0", ZAIO_SNDMORE);
    th_send_str(h->sock, "1", ZAIO_SNDMORE);
    th_send_str(h->sock, status, ZAIO_SNDMORE);
    th_send_str(h->sock, "text", ZAIO_SNDMORE);
    th_send_str(h->sock, user, ZAIO_SNDMORE);
    th_send(h->sock, md, md_len, 0);
}

static inline void *zap_handler_main(void *arg)
{
    zap_handler *h = arg;
    while (!atomic_load(&h->stop)) {
        zap_request r;
        char buf[64];
        int n = zaio_recv(h->sock, buf, sizeof buf, 0);
        if (n < 0)
            continue; /* RCVTIMEO: look at stop again */
        int k = 0;
        r.frame_len[k] = (size_t)n;
        memcpy(r.frame[k++], buf, (size_t)n);
        int more = 1;
        size_t ml = sizeof more;
        while (zaio_getsockopt(h->sock, ZAIO_RCVMORE, &more, &ml) == 0 && more && k < 8) {
            n = zaio_recv(h->sock, buf, sizeof buf, 0);
            zt_assert(n >= 0, "request frame");
            r.frame_len[k] = (size_t)n;
            memcpy(r.frame[k++], buf, (size_t)n);
        }
        r.nframes = k;
        h->last = r;
        atomic_fetch_add(&h->requests, 1);
        if (!h->reply(h, &r)) {
            zaio_close(h->sock); /* the server's pipe to us goes with it */
            h->sock = NULL;
            return NULL;
        }
    }
    return NULL;
}

static inline void zap_handler_start(zap_handler *h, void *ctx, zap_reply_fn reply, void *arg)
{
    memset(h, 0, sizeof *h);
    h->reply = reply;
    h->arg = arg;
    h->sock = th_socket(ctx, ZAIO_REP);
    th_set_int(h->sock, ZAIO_RCVTIMEO, 50);
    zt_assert(zaio_bind(h->sock, "inproc://zeromq.zap.01") == 0, "bind the handler");
    zt_assert(pthread_create(&h->th, NULL, zap_handler_main, h) == 0, "handler thread");
}

static inline void zap_handler_stop(zap_handler *h)
{
    atomic_store(&h->stop, true);
    pthread_join(h->th, NULL);
    if (h->sock)
        zaio_close(h->sock);
}

#endif
