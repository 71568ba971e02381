/* NULL with ZAP between zaio and libzmq 4.3.4, each way round and in both roles (the
 * server binds, or it connects to a client that binds), in one process: a NULL server
 * with a ZAP domain asks its handler about every client (mechanism "NULL", no
 * credentials) and a refusal keeps the client out, told so (ERROR, 400) on both sides;
 * a handler that says 200 lets it in with its User-Id; without a domain the handler is
 * not asked at all, as libzmq does. */
#include "duo.h"

/* The test's verdict is in arg: a bool. */
static bool verdict_of(const zh_request *r, const void *arg)
{
    (void)r;
    return *(const bool *)arg;
}

/* The next message's body (9 bytes) and User-Id (want NULL: none, as without ZAP). */
static void expect_user(sock k, const char *want)
{
    zaio_msg_t zm;
    zmq_msg_t lm;
    const char *user;
    if (k.zaio) {
        zaio_msg_init(&zm);
        cr_assert_eq(zaio_msg_recv(&zm, k.s, 0), 9, "the request");
        user = zaio_msg_gets(&zm, "User-Id");
    } else {
        zmq_msg_init(&lm);
        cr_assert_eq(zmq_msg_recv(&lm, k.s, 0), 9, "the request");
        user = zmq_msg_gets(&lm, "User-Id");
    }
    if (want)
        cr_assert(user && strcmp(user, want) == 0, "User-Id %s", user ? user : "-");
    else
        cr_assert_null(user, "User-Id %s without ZAP", user);
    if (k.zaio)
        zaio_msg_close(&zm);
    else
        zmq_msg_close(&lm);
}

static void null_zap(bool zaio_server, bool reversed, const char *domain, bool let_in)
{
    world w = world_new();
    handler h;
    handler_start(&h, ctx_of(&w, zaio_server), zaio_server, verdict_of, &let_in, "null-user");
    duo d = duo_new(&w, zaio_server, ZMQ_REP, ZMQ_REQ, NULL, NULL);
    if (domain)
        sk_opt(d.srv, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
    if (reversed)
        duo_start_reversed(&d);
    else
        duo_start(&d);
    if (let_in) {
        sk_send(d.cli, "let me in", 9, false);
        expect_user(d.srv, domain ? "null-user" : NULL);
        sk_send(d.srv, "welcome", 7, false);
        sk_expect(d.cli, "welcome", 7, false);
    } else {
        /* the refused REQ may have dropped its pipe already: a send that does not wait */
        int rc = d.cli.zaio ? zaio_send(d.cli.s, "let me in", 9, ZAIO_DONTWAIT)
                            : zmq_send(d.cli.s, "let me in", 9, ZMQ_DONTWAIT);
        cr_assert(rc == 9 || (d.cli.zaio ? zaio_errno() : zmq_errno()) == EAGAIN);
        uint32_t v = 0;
        cr_assert(wait_event(d.smon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &v) && v == 400,
                  "server: refused %u", v);
        cr_assert(wait_event(d.cmon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &v) && v == 400,
                  "client: told 400 (%u)", v);
        sk_expect_nothing(d.srv);
    }
    handler_stop(&h);
    if (domain) {
        cr_assert_geq(atomic_load(&h.requests), 1, "the handler was asked");
        cr_assert(h.last.n == 6, "version, id, domain, address, routing id, mechanism: %d",
                  h.last.n);
        cr_assert(h.last.len[2] == (int)strlen(domain) &&
                      memcmp(h.last.f[2], domain, strlen(domain)) == 0,
                  "the socket's domain");
        cr_assert(h.last.len[5] == 4 && memcmp(h.last.f[5], "NULL", 4) == 0, "mechanism NULL");
    } else {
        cr_assert_eq(atomic_load(&h.requests), 0, "no domain: the handler is not asked");
    }
    duo_close(&d);
    world_end(&w);
}

TestSuite(null_zap, .timeout = 60);

Test(null_zap, zaio_server_domain_refuses_libzmq_client)
{
    null_zap(true, false, "interop", false);
}

Test(null_zap, libzmq_server_domain_refuses_zaio_client)
{
    null_zap(false, false, "interop", false);
}

Test(null_zap, zaio_server_connects_domain_refuses_libzmq_client)
{
    null_zap(true, true, "interop", false);
}

Test(null_zap, libzmq_server_connects_domain_refuses_zaio_client)
{
    null_zap(false, true, "interop", false);
}

Test(null_zap, zaio_server_domain_lets_libzmq_client_in)
{
    null_zap(true, false, "interop", true);
}

Test(null_zap, libzmq_server_domain_lets_zaio_client_in)
{
    null_zap(false, false, "interop", true);
}

Test(null_zap, zaio_server_without_domain_does_not_ask)
{
    null_zap(true, false, NULL, true);
}

Test(null_zap, libzmq_server_without_domain_does_not_ask)
{
    null_zap(false, false, NULL, true);
}
