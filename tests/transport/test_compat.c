/* Behaviours a program written for libzmq 4.3.4 relies on, each checked against
 * libzmq itself when it was written: option sizes, ZMQ_SHARED, HWMs over inproc (connect
 * before bind included) and HWMs changed on a connected socket, the "src;dst" connect
 * form, and the order of monitor events when a socket closes. */
#include "tcp_helpers.h"

/* As many DONTWAIT sends of one byte as the HWM lets through (at most cap). */
static int fill(void *s, int cap)
{
    int n = 0;
    while (n < cap && zaio_send(s, "x", 1, ZAIO_DONTWAIT) == 1)
        n++;
    zt_assert(n == cap || zaio_errno() == EAGAIN, "send: %s", zaio_strerror(zaio_errno()));
    return n;
}

static void *lingerless(void *ctx, int type)
{
    void *s = th_socket(ctx, type);
    th_set_int(s, ZAIO_LINGER, 0);
    return s;
}

ZT_TEST(compat, int_options_take_exactly_an_int, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_DEALER);
    int64_t big = -1;
    size_t len = sizeof big;
    /* libzmq refuses, so a caller never reads 4 right bytes and 4 stale ones as one value */
    zt_assert(zaio_getsockopt(s, ZAIO_SNDHWM, &big, &len) == -1 && zaio_errno() == EINVAL,
              "an int option into 8 bytes");
    int v = 0;
    len = 2;
    zt_assert(zaio_getsockopt(s, ZAIO_SNDHWM, &v, &len) == -1 && zaio_errno() == EINVAL, "into 2");
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_SNDHWM, &v, &len) == 0 && v == 1000 && len == sizeof v, "int");
    /* the socket's state takes any room for an int, as libzmq's does */
    big = -1;
    len = sizeof big;
    zt_assert(zaio_getsockopt(s, ZAIO_EVENTS, &big, &len) == 0 && len == sizeof(int), "EVENTS");
    len = sizeof big;
    zt_assert(zaio_getsockopt(s, ZAIO_RCVMORE, &big, &len) == 0 && len == sizeof(int), "RCVMORE");
    zaio_close(s);
    th_term(ctx);
}

static void free_nothing(void *data, void *hint)
{
    (void)data;
    (void)hint;
}

ZT_TEST(compat, msg_shared, 10)
{
    zaio_msg_t a, b;
    /* a small body is copied, a large one shared, and says so for good */
    const size_t sizes[] = {10, 100};
    for (int i = 0; i < 2; i++) {
        zaio_msg_init_size(&a, sizes[i]);
        zaio_msg_init(&b);
        zt_assert(zaio_msg_get(&a, ZAIO_SHARED) == 0, "fresh");
        zaio_msg_copy(&b, &a);
        int want = sizes[i] > 32;
        zt_assert(zaio_msg_get(&a, ZAIO_SHARED) == want && zaio_msg_get(&b, ZAIO_SHARED) == want,
                  "copy of %zu bytes", sizes[i]);
        zaio_msg_close(&b);
        zt_assert(zaio_msg_get(&a, ZAIO_SHARED) == want, "after the copy closed");
        zaio_msg_close(&a);
    }
    static char data[100];
    zaio_msg_init_data(&a, data, sizeof data, free_nothing, NULL);
    zt_assert(zaio_msg_get(&a, ZAIO_SHARED) == 1, "the user's memory");
    zaio_msg_close(&a);
}

/* Connect before bind: the connector's SNDHWM alone bounds the pipe (0: no bound), and
 * the binder's RCVHWM adds to it once it binds. */
ZT_TEST(compat, inproc_hwm_connect_before_bind, 20)
{
    void *ctx = zaio_ctx_new();
    void *push = lingerless(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_SNDHWM, 5);
    zt_assert(zaio_connect(push, "inproc://early") == 0, "connect");
    zt_assert(fill(push, 100000) == 5, "before the bind: the connector's 5");
    void *pull = lingerless(ctx, ZAIO_PULL);
    th_set_int(pull, ZAIO_RCVHWM, 7);
    zt_assert(zaio_bind(pull, "inproc://early") == 0, "bind");
    zt_assert(fill(push, 100000) == 7, "after the bind: 5 + 7");

    void *unbounded = lingerless(ctx, ZAIO_PUSH);
    th_set_int(unbounded, ZAIO_SNDHWM, 0);
    zt_assert(zaio_connect(unbounded, "inproc://later") == 0, "connect");
    zt_assert(fill(unbounded, 20000) == 20000, "SNDHWM 0: no bound");
    zaio_close(unbounded);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(compat, inproc_hwm_connect_after_bind_adds_both, 20)
{
    void *ctx = zaio_ctx_new();
    void *pull = lingerless(ctx, ZAIO_PULL), *push = lingerless(ctx, ZAIO_PUSH);
    th_set_int(pull, ZAIO_RCVHWM, 4);
    th_set_int(push, ZAIO_SNDHWM, 3);
    zt_assert(zaio_bind(pull, "inproc://sum") == 0, "bind");
    zt_assert(zaio_connect(push, "inproc://sum") == 0, "connect");
    zt_assert(fill(push, 100000) == 7, "3 + 4");
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

/* libzmq 4.3 applies a new SNDHWM to the pipes a socket has: 2 + the peer's 1000. */
ZT_TEST(compat, hwm_change_reaches_existing_pipes, 20)
{
    void *ctx = zaio_ctx_new();
    void *pull = lingerless(ctx, ZAIO_PULL), *push = lingerless(ctx, ZAIO_PUSH);
    zt_assert(zaio_bind(pull, "inproc://change") == 0, "bind");
    zt_assert(zaio_connect(push, "inproc://change") == 0, "connect");
    th_set_int(push, ZAIO_SNDHWM, 2);
    zt_assert(fill(push, 100000) == 1002, "2 + 1000");
    /* raising it lets a writer the old one stopped go on */
    th_set_int(push, ZAIO_SNDHWM, 10);
    zt_assert(fill(push, 100000) == 8, "10 + 1000 in all");
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

/* "tcp://src;dst": our end binds src (port 0: any) before it connects. */
ZT_TEST(compat, connect_with_a_source_address, 20)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    char ep[256], src_ep[300];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    snprintf(src_ep, sizeof src_ep, "tcp://127.0.0.2:0;%s", ep + 6);
    zt_assert(zaio_connect(push, src_ep) == 0, "connect %s: %s", src_ep, zaio_strerror(zaio_errno()));
    th_send_str(push, "from .2", 0);
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, pull, 0) == 7, "recv");
    const char *peer = zaio_msg_gets(&m, "Peer-Address");
    zt_assert(peer && strcmp(peer, "127.0.0.2") == 0, "Peer-Address %s", peer ? peer : "(none)");
    zaio_msg_close(&m);
    zt_assert(zaio_connect(push, "tcp://127.0.0.2:0;[::1]:5") == -1 && zaio_errno() == EINVAL,
              "source and peer of different families");
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

/* The events of a closing socket, in libzmq's order: a peer's departure, the listener's
 * CLOSED, and MONITOR_STOPPED last, once the socket is all gone. */
ZT_TEST(compat, monitor_events_on_close, 20)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_PAIR, ZAIO_PAIR, &a, &b, ep, sizeof ep);
    void *mon = th_monitor(ctx, a, "inproc://mon-close", ZAIO_EVENT_ALL);
    th_send_str(b, "x", 0);
    th_recv_str(a, "x");
    zaio_close(b);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 5000, NULL), "the peer left");
    zaio_close(a);
    uint32_t v;
    zt_assert(th_event(mon, 5000, &v) == ZAIO_EVENT_CLOSED, "the listener closed");
    zt_assert(th_event(mon, 5000, &v) == ZAIO_EVENT_MONITOR_STOPPED, "then the monitor stopped");
    zt_assert(th_event(mon, 200, &v) == -1, "and nothing after");
    zaio_close(mon);
    th_term(ctx);
}
