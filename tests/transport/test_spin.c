/* Which blocking receives spin before they sleep (socket.c, sock_spin_for_input): the
 * pipe a socket type names (zpattern_ops.spin_pipe) and whether that pipe may spin
 * (zpipe_spins). A receive must not spin when the type already holds the next frame
 * (read ahead by a poll), when it cannot receive now (REQ before its request, REP
 * while a reply is owed), when there is more than one pipe, or on a TCP session's
 * pipe; a REQ waiting for its reply must, and only if dropping stale replies left
 * its pipe awake (else the wake-up is owed anyway). Every test ends with the live
 * counters at zero. */
#include "core/socket.h"
#include "test_pattern_util.h"

static zpipe_end *spin_pipe(void *s)
{
    zsock *z = s;
    return z->ops->spin_pipe ? z->ops->spin_pipe(z) : NULL;
}

/* Whether a blocking receive on s would spin now. */
static bool would_spin(void *s)
{
    zpipe_end *p = spin_pipe(s);
    return p && zpipe_spins(p);
}

ZT_TEST(spin, pull_spins_unless_a_frame_was_read_ahead, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = pt_socket(ctx, ZAIO_PUSH), *pull = pt_socket(ctx, ZAIO_PULL);
    pt_bind(push, "inproc://spin-pull");
    pt_connect(pull, "inproc://spin-pull");
    zt_assert(would_spin(pull), "one inproc pipe, nothing read ahead: spins");
    zt_assert(!would_spin(push), "a PUSH receives nothing");
    pt_send(push, "one", 0);
    zaio_pollitem_t it = {pull, 0, ZAIO_POLLIN, 0};
    zt_assert(zaio_poll(&it, 1, PT_TIMEOUT_MS) == 1, "poll");
    zt_assert(!would_spin(pull), "the poll read the frame ahead: the receive has it");
    pt_recv_is(pull, "one", false);
    zt_assert(would_spin(pull), "spins again once it is handed out");

    void *push2 = pt_socket(ctx, ZAIO_PUSH);
    pt_bind(push2, "inproc://spin-pull2");
    pt_connect(pull, "inproc://spin-pull2");
    zt_assert(!would_spin(pull), "two pipes: fair queuing must not wait on one");
    pt_close_all(ctx, push, pull, push2, NULL);
}

ZT_TEST(spin, req_spins_for_its_reply_and_rep_for_a_request, 10)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP), *req = pt_socket(ctx, ZAIO_REQ);
    pt_bind(rep, "inproc://spin-req");
    pt_connect(req, "inproc://spin-req");
    zt_assert(!would_spin(req), "a REQ before its request cannot receive");
    pt_send(req, "ask", 0);
    zt_assert(would_spin(req), "a REQ awaiting its reply spins (its pipe left awake)");
    pt_recv_is(rep, "ask", false);
    zt_assert(!would_spin(rep), "a REP that owes a reply cannot receive");
    pt_send(rep, "answer", 0);
    zt_assert(would_spin(rep), "a REP that answered spins for the next request");
    pt_recv_is(req, "answer", false);
    zt_assert(!would_spin(req), "and the REQ, answered, cannot receive again");
    pt_close_all(ctx, rep, req, NULL);
}

ZT_TEST(spin, router_and_tcp_do_not_spin_sub_does, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER), *dealer = pt_socket(ctx, ZAIO_DEALER);
    pt_bind(router, "inproc://spin-router");
    pt_connect(dealer, "inproc://spin-router");
    zt_assert(would_spin(dealer), "a DEALER on one inproc pipe spins");
    zt_assert(spin_pipe(router) == NULL, "a ROUTER reads its peer's frame ahead: never");
    void *pub = pt_socket(ctx, ZAIO_PUB), *sub = pt_socket(ctx, ZAIO_SUB);
    pt_bind(pub, "inproc://spin-pub");
    pt_connect(sub, "inproc://spin-pub");
    pt_subscribe(sub, "");
    zt_assert(would_spin(sub), "a SUB on one inproc pipe spins");
    zt_assert(!would_spin(pub), "a PUB receives nothing");

    void *pull = pt_socket(ctx, ZAIO_PULL), *push = pt_socket(ctx, ZAIO_PUSH);
    char ep[256];
    size_t len = sizeof ep;
    pt_bind(push, "tcp://127.0.0.1:*");
    zt_assert(zaio_getsockopt(push, ZAIO_LAST_ENDPOINT, ep, &len) == 0, "endpoint");
    pt_connect(pull, ep);
    zt_assert(spin_pipe(pull) != NULL, "the PULL names its one pipe");
    zt_assert(!would_spin(pull), "but a TCP session's pipe does not spin");
    pt_close_all(ctx, router, dealer, pub, sub, pull, push, NULL);
}
