/* The options that show on the wire, between zaio and libzmq 4.3.4 in one process
 * (zaio's calls are zaio_*, libzmq's zmq_*; their contexts meet only over TCP):
 * METADATA each way round (zaio's READY read by libzmq's zmq_msg_gets, and back),
 * PROBE_ROUTER each way round, XPUB_WELCOME_MSG to a libzmq SUB, and a zaio ROUTER's
 * CONNECT_ROUTING_ID for a libzmq ROUTER. Debian's libzmq is built without the draft
 * API, but takes ZMQ_METADATA (95) all the same, so it is set by number. */
#include "zaio.h"

#include <criterion/criterion.h>
#include <string.h>
#include <zmq.h>

#define TIMEOUT_MS 5000 /* a safety net: every message awaited is coming */

static void *zsock(void *ctx, int type)
{
    void *s = zaio_socket(ctx, type);
    cr_assert(s, "zaio socket");
    int t = TIMEOUT_MS, z = 0;
    zaio_setsockopt(s, ZAIO_RCVTIMEO, &t, sizeof t);
    zaio_setsockopt(s, ZAIO_LINGER, &z, sizeof z);
    return s;
}

static void *lsock(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    cr_assert(s, "libzmq socket");
    int t = TIMEOUT_MS, z = 0;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt(s, ZMQ_LINGER, &z, sizeof z);
    return s;
}

static void zbind(void *s, char *ep, size_t cap)
{
    cr_assert_eq(zaio_bind(s, "tcp://127.0.0.1:*"), 0, "zaio bind");
    cr_assert_eq(zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, ep, &cap), 0);
}

static void lbind(void *s, char *ep, size_t cap)
{
    cr_assert_eq(zmq_bind(s, "tcp://127.0.0.1:*"), 0, "libzmq bind");
    cr_assert_eq(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &cap), 0);
}

/* Closes every socket (NULL-terminated, zaio's first then libzmq's after a NULL) and
 * both contexts; then nothing of zaio's asyncio is left. */
static void end(void *zctx, void *lctx, void **zs, void **ls)
{
    for (; *zs; zs++)
        zaio_close(*zs);
    for (; *ls; ls++)
        zmq_close(*ls);
    cr_assert_eq(zaio_ctx_term(zctx), 0);
    cr_assert_eq(zmq_ctx_term(lctx), 0);
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0, "zaio left something");
}

Test(options_libzmq, metadata_each_way_round, .timeout = 20)
{
    void *zc = zaio_ctx_new(), *lc = zmq_ctx_new();
    char ep[64], ep2[64];
    void *lpull = lsock(lc, ZMQ_PULL), *zpush = zsock(zc, ZAIO_PUSH);
    lbind(lpull, ep, sizeof ep);
    cr_assert_eq(zaio_setsockopt(zpush, ZAIO_METADATA, "X-from:zaio", 11), 0);
    cr_assert_eq(zaio_connect(zpush, ep), 0);
    cr_assert_eq(zaio_send(zpush, "m", 1, 0), 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    cr_assert_eq(zmq_msg_recv(&m, lpull, 0), 1, "libzmq recv");
    const char *v = zmq_msg_gets(&m, "X-from");
    cr_assert(v && strcmp(v, "zaio") == 0, "libzmq read X-from '%s'", v ? v : "(none)");
    zmq_msg_close(&m);

    void *zpull = zsock(zc, ZAIO_PULL), *lpush = lsock(lc, ZMQ_PUSH);
    zbind(zpull, ep2, sizeof ep2);
    cr_assert_eq(zmq_setsockopt(lpush, 95 /* ZMQ_METADATA */, "X-from:libzmq", 13), 0);
    cr_assert_eq(zmq_connect(lpush, ep2), 0);
    cr_assert_eq(zmq_send(lpush, "m", 1, 0), 1);
    zaio_msg_t zm;
    zaio_msg_init(&zm);
    cr_assert_eq(zaio_msg_recv(&zm, zpull, 0), 1, "zaio recv");
    v = zaio_msg_gets(&zm, "X-from");
    cr_assert(v && strcmp(v, "libzmq") == 0, "zaio read X-from '%s'", v ? v : "(none)");
    zaio_msg_close(&zm);
    end(zc, lc, (void *[]){zpush, zpull, NULL}, (void *[]){lpull, lpush, NULL});
}

/* [id][""] at a ROUTER of either library. */
static void probe_seen(int n_id, int n_body, const char *id, const char *want)
{
    cr_assert(n_id == (int)strlen(want) && memcmp(id, want, (size_t)n_id) == 0, "probe id");
    cr_assert_eq(n_body, 0, "a probe is empty");
}

Test(options_libzmq, probe_router_each_way_round, .timeout = 20)
{
    void *zc = zaio_ctx_new(), *lc = zmq_ctx_new();
    char ep[64], ep2[64], id[16], body[16];
    int one = 1;
    void *lr = lsock(lc, ZMQ_ROUTER), *zd = zsock(zc, ZAIO_DEALER);
    lbind(lr, ep, sizeof ep);
    zaio_setsockopt(zd, ZAIO_PROBE_ROUTER, &one, sizeof one);
    zaio_setsockopt(zd, ZAIO_ROUTING_ID, "ZD", 2);
    cr_assert_eq(zaio_connect(zd, ep), 0);
    int n = zmq_recv(lr, id, sizeof id, 0);
    probe_seen(n, zmq_recv(lr, body, sizeof body, 0), id, "ZD");

    void *zr = zsock(zc, ZAIO_ROUTER), *ld = lsock(lc, ZMQ_DEALER);
    zbind(zr, ep2, sizeof ep2);
    zmq_setsockopt(ld, ZMQ_PROBE_ROUTER, &one, sizeof one);
    zmq_setsockopt(ld, ZMQ_ROUTING_ID, "LD", 2);
    cr_assert_eq(zmq_connect(ld, ep2), 0);
    n = zaio_recv(zr, id, sizeof id, 0);
    probe_seen(n, zaio_recv(zr, body, sizeof body, 0), id, "LD");
    end(zc, lc, (void *[]){zd, zr, NULL}, (void *[]){lr, ld, NULL});
}

Test(options_libzmq, welcome_message_to_a_libzmq_sub, .timeout = 20)
{
    void *zc = zaio_ctx_new(), *lc = zmq_ctx_new();
    char ep[64], buf[16];
    void *zx = zsock(zc, ZAIO_XPUB), *ls = lsock(lc, ZMQ_SUB);
    cr_assert_eq(zaio_setsockopt(zx, ZAIO_XPUB_WELCOME_MSG, "Welcome", 7), 0);
    zbind(zx, ep, sizeof ep);
    zmq_setsockopt(ls, ZMQ_SUBSCRIBE, "W", 1);
    cr_assert_eq(zmq_connect(ls, ep), 0);
    cr_assert_eq(zaio_recv(zx, buf, sizeof buf, 0), 2, "the subscription"); /* XPUB took it */
    int n = zmq_recv(ls, buf, sizeof buf, 0);
    cr_assert(n == 7 && memcmp(buf, "Welcome", 7) == 0, "libzmq SUB got %d bytes", n);
    end(zc, lc, (void *[]){zx, NULL}, (void *[]){ls, NULL});
}

Test(options_libzmq, connect_routing_id_names_a_libzmq_router, .timeout = 20)
{
    void *zc = zaio_ctx_new(), *lc = zmq_ctx_new();
    char ep[64], buf[16];
    int one = 1;
    void *lr = lsock(lc, ZMQ_ROUTER), *zr = zsock(zc, ZAIO_ROUTER);
    zmq_setsockopt(lr, ZMQ_ROUTING_ID, "L", 1);
    lbind(lr, ep, sizeof ep);
    zaio_setsockopt(zr, ZAIO_CONNECT_ROUTING_ID, "peer-L", 6);
    zaio_setsockopt(zr, ZAIO_ROUTING_ID, "ZR", 2);
    zaio_setsockopt(zr, ZAIO_PROBE_ROUTER, &one, sizeof one); /* so the libzmq side hears */
    cr_assert_eq(zaio_connect(zr, ep), 0);
    /* a connecting zaio ROUTER takes its connection when called: poll it meanwhile */
    zaio_pollitem_t zi = {zr, 0, 0, 0};
    zmq_pollitem_t li = {lr, 0, ZMQ_POLLIN, 0};
    for (int i = 0; i < TIMEOUT_MS / 10 && !(li.revents & ZMQ_POLLIN); i++) {
        zaio_poll(&zi, 1, 5);
        zmq_poll(&li, 1, 5);
    }
    int n = zmq_recv(lr, buf, sizeof buf, 0);
    probe_seen(n, zmq_recv(lr, buf + 8, 8, 0), buf, "ZR");
    zmq_send(lr, "ZR", 2, ZMQ_SNDMORE);
    zmq_send(lr, "hi", 2, 0);
    n = zaio_recv(zr, buf, sizeof buf, 0);
    cr_assert(n == 6 && memcmp(buf, "peer-L", 6) == 0, "zaio names the peer '%.*s'", n, buf);
    cr_assert_eq(zaio_recv(zr, buf, sizeof buf, 0), 2);
    cr_assert_eq(zaio_send(zr, "peer-L", 6, ZAIO_SNDMORE), 6);
    cr_assert_eq(zaio_send(zr, "back", 4, 0), 4);
    cr_assert_eq(zmq_recv(lr, buf, sizeof buf, 0), 2, "id");
    cr_assert_eq(zmq_recv(lr, buf, sizeof buf, 0), 4, "back");
    end(zc, lc, (void *[]){zr, NULL}, (void *[]){lr, NULL});
}
