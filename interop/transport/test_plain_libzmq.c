/* PLAIN and ZAP between zaio and libzmq 4.3.4, each way round, in one process (zaio's
 * calls are zaio_*, libzmq's zmq_*; their contexts never meet but over TCP): a libzmq
 * client with right and wrong credentials against a zaio server, with and without a
 * ZAP handler, and a zaio client against a libzmq server with its handler. The
 * client wrong and the server without a handler are what a user meets first: nobody
 * may get in. Then the other role, each way round: the PLAIN server connects to a
 * client that binds, with right and wrong credentials, both sides told of a refusal. */
#include "duo.h"

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

/* ---- the other role: the client binds, the PLAIN server connects ------------------------- */

static void server_connects(bool zaio_server, bool right)
{
    world w = world_new();
    handler h;
    handler_start(&h, ctx_of(&w, zaio_server), zaio_server, admin_only, NULL, "admin-id");
    duo d = duo_new(&w, zaio_server, ZMQ_REP, ZMQ_REQ, NULL, NULL);
    sk_int(d.srv, ZMQ_PLAIN_SERVER, 1);
    sk_opt(d.cli, ZMQ_PLAIN_USERNAME, right ? "admin" : "intruder", right ? 5 : 8);
    sk_opt(d.cli, ZMQ_PLAIN_PASSWORD, right ? "secret" : "wrong", right ? 6 : 5);
    duo_start_reversed(&d);
    if (right) {
        sk_send(d.cli, "hello", 5, false);
        sk_expect(d.srv, "hello", 5, false);
        sk_send(d.srv, "world", 5, false);
        sk_expect(d.cli, "world", 5, false);
    } else {
        /* a REQ that binds has no pipe until a handshake succeeds: nothing to queue in */
        int rc = d.cli.zaio ? zaio_send(d.cli.s, "hello", 5, ZAIO_DONTWAIT)
                            : zmq_send(d.cli.s, "hello", 5, ZMQ_DONTWAIT);
        cr_assert(rc == 5 || (d.cli.zaio ? zaio_errno() : zmq_errno()) == EAGAIN);
        uint32_t v = 0;
        cr_assert(wait_event(d.smon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &v) && v == 400,
                  "server: refused %u", v);
        if (zaio_server) {
            /* zaio sends ERROR as RFC 23 has it ("\x05ERROR"); libzmq 4.3.4's PLAIN client
             * only knows its own server's, whose name is the C literal "\x05ERROR" read
             * as the hex escape \x05E ("^RROR", zmtp/command.c): it takes a right one for
             * an unknown command. Refused all the same, under another name. */
            cr_assert(wait_event(d.cmon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &v) &&
                          v == ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
                      "libzmq client: failed (%#x)", v);
        } else {
            cr_assert(wait_event(d.cmon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &v) && v == 400,
                      "zaio client: told 400 (%u)", v);
        }
        sk_expect_nothing(d.srv);
    }
    handler_stop(&h);
    cr_assert_geq(atomic_load(&h.requests), 1);
    cr_assert(h.last.n == 8 && h.last.len[5] == 5 && memcmp(h.last.f[5], "PLAIN", 5) == 0,
              "asked about PLAIN credentials");
    duo_close(&d);
    world_end(&w);
}

Test(plain_zap, zaio_server_connects_right_credentials)
{
    server_connects(true, true);
}

Test(plain_zap, zaio_server_connects_wrong_credentials)
{
    server_connects(true, false);
}

Test(plain_zap, libzmq_server_connects_right_credentials)
{
    server_connects(false, true);
}

Test(plain_zap, libzmq_server_connects_wrong_credentials)
{
    server_connects(false, false);
}
