/* PLAIN and ZAP between zaio and libzmq 4.3.4, each way round, in one process (zaio's
 * calls are zaio_*, libzmq's zmq_*; their contexts never meet but over TCP): a libzmq
 * client with right and wrong credentials against a zaio server, with and without a
 * ZAP handler, and a zaio client against a libzmq server with its handler. The
 * client wrong and the server without a handler are what a user meets first: nobody
 * may get in. */
#include "zaio.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <zmq.h>

/* After zaio_ctx_term: nothing of zaio's asyncio is left in the process. */
static void assert_released(void)
{
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.accept_sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0 &&
                  st.buf_bytes == 0,
              "live: sockets %lld accept %lld ops %lld bufs %lld", (long long)st.sockets,
              (long long)st.accept_sockets, (long long)st.ops_in_flight, (long long)st.bufs);
}

/* ---- a ZAP handler on either library ------------------------------------------------- */

typedef struct handler {
    bool zaio;          /* which library's REP it is */
    void *sock;
    pthread_t th;
    atomic_bool stop;
    atomic_int requests;
} handler;

static int h_recv(handler *h, void *buf, size_t cap)
{
    return h->zaio ? zaio_recv(h->sock, buf, cap, 0) : zmq_recv(h->sock, buf, cap, 0);
}

static int h_more(handler *h)
{
    int more = 0;
    size_t len = sizeof more;
    if (h->zaio)
        zaio_getsockopt(h->sock, ZAIO_RCVMORE, &more, &len);
    else
        zmq_getsockopt(h->sock, ZMQ_RCVMORE, &more, &len);
    return more;
}

static void h_send(handler *h, const char *s, bool more)
{
    int flags = more ? (h->zaio ? ZAIO_SNDMORE : ZMQ_SNDMORE) : 0;
    int rc = h->zaio ? zaio_send(h->sock, s, strlen(s), flags)
                     : zmq_send(h->sock, s, strlen(s), flags);
    cr_assert_eq(rc, (int)strlen(s), "handler send");
}

/* admin/secret in as "admin-id"; anyone else refused (400). */
static void *handler_main(void *arg)
{
    handler *h = arg;
    while (!atomic_load(&h->stop)) {
        char f[8][64];
        int len[8], n = 0;
        if ((len[0] = h_recv(h, f[0], sizeof f[0])) < 0)
            continue; /* RCVTIMEO: look at stop again */
        n = 1;
        while (h_more(h) && n < 8) {
            len[n] = h_recv(h, f[n], sizeof f[n]);
            cr_assert_geq(len[n], 0, "request frame");
            n++;
        }
        atomic_fetch_add(&h->requests, 1);
        bool ok = n == 8 && len[6] == 5 && memcmp(f[6], "admin", 5) == 0 && len[7] == 6 &&
                  memcmp(f[7], "secret", 6) == 0;
        h_send(h, "1.0", true);
        h_send(h, "1", true);
        h_send(h, ok ? "200" : "400", true);
        h_send(h, ok ? "OK" : "no", true);
        h_send(h, ok ? "admin-id" : "", true);
        h_send(h, "", false);
    }
    return NULL;
}

static void handler_start(handler *h, void *ctx, bool zaio)
{
    memset(h, 0, sizeof *h);
    h->zaio = zaio;
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

static void handler_stop(handler *h)
{
    atomic_store(&h->stop, true);
    pthread_join(h->th, NULL);
    if (h->zaio)
        zaio_close(h->sock);
    else
        zmq_close(h->sock);
}

/* ---- zaio serves, libzmq asks ---------------------------------------------------------- */

/* A libzmq REQ with user/pass sends to a zaio PLAIN REP; returns whether the request
 * arrived, and checks the User-Id it came with. */
static bool libzmq_client_gets_in(void *zctx, const char *user, const char *pass)
{
    void *rep = zaio_socket(zctx, ZAIO_REP);
    int one = 1, ms = 1500, zero = 0;
    zaio_setsockopt(rep, ZAIO_PLAIN_SERVER, &one, sizeof one);
    zaio_setsockopt(rep, ZAIO_RCVTIMEO, &ms, sizeof ms);
    cr_assert_eq(zaio_bind(rep, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t eplen = sizeof ep;
    zaio_getsockopt(rep, ZAIO_LAST_ENDPOINT, ep, &eplen);

    void *lctx = zmq_ctx_new();
    void *req = zmq_socket(lctx, ZMQ_REQ);
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(req, ZMQ_PLAIN_USERNAME, user, strlen(user));
    zmq_setsockopt(req, ZMQ_PLAIN_PASSWORD, pass, strlen(pass));
    cr_assert_eq(zmq_connect(req, ep), 0);
    cr_assert_eq(zmq_send(req, "hello", 5, 0), 5);

    zaio_msg_t m;
    zaio_msg_init(&m);
    bool in = zaio_msg_recv(&m, rep, 0) == 5;
    if (in) {
        const char *uid = zaio_msg_gets(&m, "User-Id");
        cr_assert(uid && strcmp(uid, "admin-id") == 0, "User-Id %s", uid ? uid : "(none)");
        cr_assert_eq(zaio_send(rep, "world", 5, 0), 5);
        char buf[8];
        cr_assert_eq(zmq_recv(req, buf, sizeof buf, 0), 5, "libzmq got the reply");
    }
    zaio_msg_close(&m);
    zmq_close(req);
    zmq_ctx_term(lctx);
    zaio_close(rep);
    return in;
}

Test(plain_zap, zaio_server_without_handler_lets_nobody_in)
{
    void *zctx = zaio_ctx_new();
    cr_assert_not(libzmq_client_gets_in(zctx, "intruder", "wrong"));
    cr_assert_not(libzmq_client_gets_in(zctx, "admin", "secret"));
    cr_assert_eq(zaio_ctx_term(zctx), 0);
    assert_released();
}

Test(plain_zap, zaio_server_with_handler)
{
    void *zctx = zaio_ctx_new();
    handler h;
    handler_start(&h, zctx, true);
    cr_assert(libzmq_client_gets_in(zctx, "admin", "secret"));
    cr_assert_not(libzmq_client_gets_in(zctx, "intruder", "wrong"));
    cr_assert_geq(atomic_load(&h.requests), 2);
    handler_stop(&h);
    cr_assert_eq(zaio_ctx_term(zctx), 0);
    assert_released();
}

/* ---- libzmq serves, zaio asks ---------------------------------------------------------- */

static bool zaio_client_gets_in(void *lctx, const char *user, const char *pass)
{
    void *rep = zmq_socket(lctx, ZMQ_REP);
    int one = 1, ms = 1500, zero = 0;
    zmq_setsockopt(rep, ZMQ_PLAIN_SERVER, &one, sizeof one);
    zmq_setsockopt(rep, ZMQ_RCVTIMEO, &ms, sizeof ms);
    cr_assert_eq(zmq_bind(rep, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t eplen = sizeof ep;
    zmq_getsockopt(rep, ZMQ_LAST_ENDPOINT, ep, &eplen);

    void *zctx = zaio_ctx_new();
    void *req = zaio_socket(zctx, ZAIO_REQ);
    zaio_setsockopt(req, ZAIO_LINGER, &zero, sizeof zero);
    zaio_setsockopt(req, ZAIO_PLAIN_USERNAME, user, strlen(user));
    zaio_setsockopt(req, ZAIO_PLAIN_PASSWORD, pass, strlen(pass));
    cr_assert_eq(zaio_connect(req, ep), 0);
    /* without waiting: a refused client stops for good and its pipe goes, and a REQ
     * without a pipe would block (libzmq's REQ keeps its pipe, so its send never does) */
    (void)zaio_send(req, "hello", 5, ZAIO_DONTWAIT);

    zmq_msg_t m;
    zmq_msg_init(&m);
    bool in = zmq_msg_recv(&m, rep, 0) == 5;
    if (in) {
        const char *uid = zmq_msg_gets(&m, "User-Id");
        cr_assert(uid && strcmp(uid, "admin-id") == 0, "User-Id %s", uid ? uid : "(none)");
        cr_assert_eq(zmq_send(rep, "world", 5, 0), 5);
        char buf[8];
        cr_assert_eq(zaio_recv(req, buf, sizeof buf, 0), 5, "zaio got the reply");
    }
    zmq_msg_close(&m);
    zaio_close(req);
    cr_assert_eq(zaio_ctx_term(zctx), 0);
    zmq_close(rep);
    return in;
}

Test(plain_zap, libzmq_server_with_handler)
{
    void *lctx = zmq_ctx_new();
    handler h;
    handler_start(&h, lctx, false);
    cr_assert(zaio_client_gets_in(lctx, "admin", "secret"));
    cr_assert_not(zaio_client_gets_in(lctx, "intruder", "wrong"));
    handler_stop(&h);
    zmq_ctx_term(lctx);
    assert_released();
}
