/* Release path 14 and the port itself: destroying a port with every kind of op in
 * flight drains them first; posted signals wake a blocked poller from any thread. */
#include "harness.h"

#include <errno.h>
#include <string.h>

static void must_not_run(const aio_completion *c)
{
    zt_fail("a handler ran while the port was being destroyed (op %d)", (int)c->op);
}

ZT_TEST(path14_destroy_with_ops_pending, drains_everything, 30)
{
    aio_port *p = h_port();
    struct sockaddr_storage addr, addr0;
    socklen_t len, len0;
    /* an accept pending */
    aio_socket *l = h_listener(p, must_not_run, NULL, &addr, &len, 16);
    zt_assert(aio_accept(l) == 0, "accept");

    /* a connected pair: a recv pending on one, a completed recv held on the other */
    h_rec tmp = {0};
    cli_fd c1, c2;
    aio_socket *s1 = h_pair(p, h_record, &tmp, &c1);
    aio_socket *s2 = h_pair(p, h_record, &tmp, &c2);
    aio_socket_set_handler(s1, must_not_run, NULL);
    aio_socket_set_handler(s2, must_not_run, NULL);
    aio_buf *b1, *b2;
    zt_assert(aio_buf_new(16, &b1) == 0 && aio_buf_new(16, &b2) == 0, "bufs");
    zt_assert(aio_recv(s1, b1, 0, 16) == 0, "recv 1");
    h_cli_send(c2, "held", 4);
    h_wait_readable(s2, 5000);
    aio_fault_arm(p, AIO_FAULT_HOLD_COMPLETION, AIO_OP_RECV, 0);
    zt_assert(aio_recv(s2, b2, 0, 16) == 0, "recv 2");
    aio_buf_unref(b1);
    aio_buf_unref(b2);

    /* a connect the kernel holds pending (full accept queue, see path 3). Last, and
     * nothing polls after it: epoll over AF_UNIX fails it at once (EAGAIN, a connect
     * there never pends), and then it is a failure queued for the destroy to drain. */
    aio_socket *l0 = h_listener(p, must_not_run, NULL, &addr0, &len0, 0);
    cli_fd fill = h_cli_connect(&addr0, len0);
    h_wait_readable(l0, 5000);
    aio_socket *c;
    zt_assert(aio_socket_new(p, h_family(), must_not_run, NULL, &c) == 0, "socket");
    int64_t failures0 = h_stats().submit_failures;
    zt_assert(aio_connect(c, (struct sockaddr *)&addr0, len0) == 0, "connect");
    zt_log("the connect %s", h_stats().submit_failures > failures0 ? "failed at once (queued)"
                                                                   : "is pending");
    /* a posted signal never dispatched */
    zt_assert(aio_port_post(p, must_not_run, NULL) == 0, "post");

    aio_stats st = h_stats();
    zt_assert(st.ops_in_flight == 5 && st.accept_sockets == 1 && st.bufs == 2,
              "in flight before destroy: ops %lld accept sockets %lld bufs %lld",
              (long long)st.ops_in_flight, (long long)st.accept_sockets, (long long)st.bufs);
    h_finish(p); /* destroys with all of it pending, then checks every counter */
    h_cli_close(fill);
    h_cli_close(c1);
    h_cli_close(c2);
}

ZT_TEST(path14_destroy_with_ops_pending, empty_port, 10)
{
    aio_port *p = h_port();
    h_finish(p);
}

/* ---- signals ---------------------------------------------------------------------- */

typedef struct signalled {
    int n;
    void *key;
} signalled;

static signalled sig_seen;

static void on_signal(const aio_completion *c)
{
    zt_assert(c->op == AIO_OP_SIGNAL && c->sock == NULL, "a signal completion");
    sig_seen.n++;
    sig_seen.key = c->key;
}

static void post_from_thread(void *a) { aio_port_post(a, on_signal, &sig_seen); }

ZT_TEST(port_signal, post_wakes_blocked_poll, 30)
{
    aio_port *p = h_port();
    memset(&sig_seen, 0, sizeof sig_seen);
    h_thread *t = h_thread_start(post_from_thread, p);
    /* blocks forever unless the post wakes it (whether it comes before or after) */
    int n = aio_port_poll(p, -1);
    h_thread_join(t);
    zt_assert(n == 1 && sig_seen.n == 1 && sig_seen.key == &sig_seen,
              "poll returned %d, handler ran %d times", n, sig_seen.n);
    h_finish(p);
}

typedef struct closer {
    aio_socket *s;
} closer;

static void close_from_thread(void *a) { aio_close(((closer *)a)->s); }

/* A close from another thread frees the socket through a blocked poller. */
ZT_TEST(port_signal, close_wakes_blocked_poll, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    aio_buf *b;
    zt_assert(aio_buf_new(16, &b) == 0, "buf");
    zt_assert(aio_recv(s, b, 0, 16) == 0, "recv");
    aio_buf_unref(b);
    closer c = {s};
    h_thread *t = h_thread_start(close_from_thread, &c);
    while (h_stats().sockets > 0)
        zt_assert(aio_port_poll(p, -1) >= 0, "poll");
    h_thread_join(t);
    zt_assert(sr.n == 0, "the cancelled recv was not reported");
    h_cli_close(cli);
    h_finish(p);
}

ZT_TEST(port_signal, many_posts_each_once, 30)
{
    aio_port *p = h_port();
    memset(&sig_seen, 0, sizeof sig_seen);
    for (int i = 0; i < 1000; i++)
        zt_assert(aio_port_post(p, on_signal, &sig_seen) == 0, "post");
    h_poll_until(p, &sig_seen.n, 1000, 5000);
    h_poll(p, 0);
    zt_assert(sig_seen.n == 1000, "1000 posts, %d deliveries", sig_seen.n);
    h_finish(p);
}
