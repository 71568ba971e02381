/* PLAIN and ZAP between zaio and libzmq 4.3.4, each way round, in one process (zaio's
 * calls are zaio_*, libzmq's zmq_*; their contexts never meet but over TCP): a libzmq
 * client with right and wrong credentials against a zaio server, with and without a
 * ZAP handler, and a zaio client against a libzmq server with its handler. The
 * client wrong and the server without a handler are what a user meets first: nobody
 * may get in. */
#include "zap_handler.h"

/* admin/secret in as "admin-id"; anyone else refused (400). */
static bool admin_only(const zh_request *r, const void *arg)
{
    (void)arg;
    return r->n == 8 && r->len[6] == 5 && memcmp(r->f[6], "admin", 5) == 0 && r->len[7] == 6 &&
           memcmp(r->f[7], "secret", 6) == 0;
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
    handler_start(&h, zctx, true, admin_only, NULL, "admin-id");
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
    handler_start(&h, lctx, false, admin_only, NULL, "admin-id");
    cr_assert(zaio_client_gets_in(lctx, "admin", "secret"));
    cr_assert_not(zaio_client_gets_in(lctx, "intruder", "wrong"));
    handler_stop(&h);
    zmq_ctx_term(lctx);
    assert_released();
}
