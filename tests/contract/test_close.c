/* Release paths 3, 8, 9 and 13: closing with ops in flight. Close is final for the user
 * and never blocks; records, buffers and the socket are freed when the last completion
 * (aborted or not) has arrived, and that completion reaches no handler. */
#include "harness.h"

#include <errno.h>
#include <string.h>


/* A memory block wrapped as an aio_buf that says when aio frees it. */
typedef struct watched {
    char mem[256];
    int freed;
} watched;

static void watched_free(void *data, void *hint)
{
    (void)data;
    ((watched *)hint)->freed++;
}

static aio_buf *watched_buf(watched *w)
{
    aio_buf *b;
    memset(w, 0, sizeof *w);
    zt_assert(aio_buf_wrap(w->mem, sizeof w->mem, watched_free, w, &b) == 0, "wrap");
    return b;
}

/* Waits until the listening socket has a connection in its accept queue. */
static void wait_queued(aio_socket *l) { h_wait_readable(l, 5000); }

/* Path 3, real: a connect that the kernel keeps pending (the listener's accept queue is
 * full and nobody accepts, so its SYN is dropped; AF_UNIX on uring: the ring waits for
 * room in the queue), then closed. */
ZT_TEST(path3_connect_pending_at_close, cancelled_then_freed, 30)
{
    aio_port *p = h_port();
    if (h_unix() && aio_port_backend(p) == AIO_BACKEND_EPOLL) {
        h_finish(p);
        zt_skip("epoll over AF_UNIX: connect(2) fails at once (EAGAIN) on a full queue, never "
                "pends; completion_races_close holds a connect at close instead");
    }
    h_rec lr = {0}, cr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 0);
    cli_fd fill = h_cli_connect(&addr, len); /* a backlog of 0 holds one connection */
    wait_queued(l);

    aio_socket *s;
    zt_assert(aio_socket_new(p, h_family(), h_record, &cr, &s) == 0, "socket");
    zt_assert(aio_connect(s, (struct sockaddr *)&addr, len) == 0, "connect");
    zt_assert(aio_port_poll(p, 0) == 0 && cr.n == 0, "the connect is pending");
    aio_stats before = h_stats();
    zt_assert(before.ops_in_flight == 1, "one op in flight, have %lld",
              (long long)before.ops_in_flight);

    aio_close(s);
    aio_stats st = h_stats();
    zt_assert(st.sockets == before.sockets && st.ops_in_flight == 1,
              "the record (and the address it holds) must outlive aio_close until the "
              "aborted completion");
    zt_assert(st.cancels == before.cancels + 1, "the pending connect was cancelled");
    h_poll_until_freed_except(p, 1, 5000); /* the listener stays */
    st = h_stats();
    zt_assert(st.ops_in_flight == 0 && st.swallowed == before.swallowed + 1,
              "the aborted completion was processed and swallowed");
    zt_assert(cr.n == 0, "the aborted connect reached the handler of a closed socket");

    aio_close(l);
    h_cli_close(fill);
    h_finish(p);
}

/* Path 3, with the race forced: the connect has completed, its completion is held, and
 * the socket is closed before it is dispatched. */
ZT_TEST(path3_connect_pending_at_close, completion_races_close, 30)
{
    aio_port *p = h_port();
    h_rec lr = {0}, cr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    aio_socket *s;
    zt_assert(aio_socket_new(p, h_family(), h_record, &cr, &s) == 0, "socket");
    aio_fault_arm(p, AIO_FAULT_HOLD_COMPLETION, AIO_OP_CONNECT, 0);
    zt_assert(aio_connect(s, (struct sockaddr *)&addr, len) == 0, "connect");
    wait_queued(l);
    aio_close(s);
    /* held: nothing may be freed however often the port is polled */
    for (int i = 0; i < 3; i++)
        h_poll(p, 10);
    zt_assert(h_stats().sockets == 2 && h_stats().ops_in_flight == 1, "freed before its completion");
    zt_assert(aio_fault_release(p) == 1, "one completion was held");
    h_poll_until_freed_except(p, 1, 5000);
    zt_assert(cr.n == 0, "the completion of a closed socket reached its handler");
    aio_close(l);
    h_finish(p);
}

/* Path 8: recv pending at close. The user drops its buffer at once; the op's reference
 * keeps the memory until the aborted completion. */
ZT_TEST(path8_recv_pending_at_close, buffer_lives_until_completion, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    watched w;
    aio_buf *b = watched_buf(&w);
    zt_assert(aio_recv(s, b, 0, sizeof w.mem) == 0, "recv");
    aio_buf_unref(b);
    zt_assert(aio_port_poll(p, 0) == 0 && sr.n == 0, "the recv is pending");
    zt_assert(w.freed == 0 && h_stats().bufs == 1, "the op holds the buffer");

    aio_close(s);
    zt_assert(w.freed == 0, "the buffer was freed while the cancelled recv could still write it");
    h_poll_until_freed(p, 5000);
    zt_assert(w.freed == 1, "freed once after the completion (freed %d times)", w.freed);
    zt_assert(sr.n == 0, "the aborted recv reached the handler");
    h_cli_close(cli);
    h_finish(p);
}

/* Path 8 with a scattered recv: every slice's buffer is held until the aborted
 * completion, not only the first one's. */
ZT_TEST(path8_recv_pending_at_close, scattered_buffers_live_until_completion, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    watched wa, wb;
    aio_buf *a = watched_buf(&wa);
    aio_buf *b = watched_buf(&wb);
    aio_slice v[2] = {{a, 0, 10}, {b, 0, sizeof wb.mem}};
    zt_assert(aio_recvv(s, v, 2) == 0, "recvv");
    aio_buf_unref(a);
    aio_buf_unref(b);
    zt_assert(aio_port_poll(p, 0) == 0 && sr.n == 0, "the recv is pending");
    zt_assert(wa.freed == 0 && wb.freed == 0 && h_stats().bufs == 2, "the op holds both");

    aio_close(s);
    zt_assert(wa.freed == 0 && wb.freed == 0,
              "a buffer was freed while the cancelled recv could still write it");
    h_poll_until_freed(p, 5000);
    zt_assert(wa.freed == 1 && wb.freed == 1, "each freed once after the completion (%d, %d)",
              wa.freed, wb.freed);
    zt_assert(sr.n == 0, "the aborted recv reached the handler");
    h_cli_close(cli);
    h_finish(p);
}

/* Path 8, the race: the recv succeeded (data is in the buffer) but its completion is
 * dispatched after the close. It releases like an aborted one. */
ZT_TEST(path8_recv_pending_at_close, success_racing_close, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    watched w;
    aio_buf *b = watched_buf(&w);
    aio_fault_arm(p, AIO_FAULT_HOLD_COMPLETION, AIO_OP_RECV, 0);
    zt_assert(aio_recv(s, b, 0, sizeof w.mem) == 0, "recv");
    aio_buf_unref(b);
    h_cli_send(cli, "late", 4);
    /* the recv completes into the held list; poll until the backend has seen it */
    for (int i = 0; i < 100 && h_stats().ops_in_flight == 1; i++) {
        h_poll(p, 20);
        if (w.mem[0] == 'l')
            break;
    }
    zt_assert(memcmp(w.mem, "late", 4) == 0, "the recv completed into the buffer");
    aio_close(s);
    zt_assert(aio_fault_release(p) == 1, "held");
    h_poll_until_freed(p, 5000);
    zt_assert(w.freed == 1 && sr.n == 0, "released once (freed %d), never reported (%d)",
              w.freed, sr.n);
    h_cli_close(cli);
    h_finish(p);
}

/* Path 9: a completion for a closed socket never touches freed memory (ASan watches)
 * and never reaches the user, whatever order close, completion and poll come in. */
static void must_not_run(const aio_completion *c)
{
    (void)c;
    zt_fail("a completion of a closed socket reached its handler (op %d)", (int)c->op);
}

ZT_TEST(path9_completion_after_close, never_reaches_user, 30)
{
    aio_port *p = h_port();
    cli_fd cli;
    aio_socket *s = h_pair(p, must_not_run, NULL, &cli);
    aio_buf *in, *out;
    zt_assert(aio_buf_new(64, &in) == 0 && aio_buf_new(64, &out) == 0, "bufs");
    memset(aio_buf_data(out), 'o', 64);
    /* both records busy: the recv's completion held, the send's natural */
    aio_fault_arm(p, AIO_FAULT_HOLD_COMPLETION, AIO_OP_RECV, 0);
    zt_assert(aio_recv(s, in, 0, 64) == 0, "recv");
    zt_assert(aio_send(s, out, 0, 64) == 0, "send");
    h_cli_send(cli, "x", 1);
    aio_buf_unref(in);
    aio_buf_unref(out);
    aio_close(s);
    aio_close(s); /* and again: a no-op */
    h_poll(p, 0);
    aio_fault_release(p);
    h_poll_until_freed(p, 5000);
    aio_stats st = h_stats();
    zt_assert(st.swallowed >= 2, "both completions swallowed (%lld)", (long long)st.swallowed);
    h_cli_close(cli);
    h_finish(p);
}

/* Path 13: double close, close in the handler, close from another thread. */
ZT_TEST(path13_close_once, double_close, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    aio_buf *b;
    zt_assert(aio_buf_new(16, &b) == 0, "buf");
    zt_assert(aio_recv(s, b, 0, 16) == 0, "recv");
    aio_buf_unref(b);
    aio_close(s);
    aio_close(s);
    zt_assert(h_stats().cancels == 1, "one cancel for two closes, have %lld",
              (long long)h_stats().cancels);
    aio_close(s); /* still not freed: closing again is still a no-op */
    h_poll_until_freed(p, 5000);
    h_cli_close(cli);
    h_finish(p);
}

ZT_TEST(path13_close_once, close_inside_handler, 30)
{
    aio_port *p = h_port();
    h_rec sr = {.close_in_handler = true};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    aio_buf *in, *out;
    zt_assert(aio_buf_new(16, &in) == 0 && aio_buf_new(16, &out) == 0, "bufs");
    /* the send completes first and its handler closes the socket; the recv still
     * pending is cancelled and must not be reported */
    zt_assert(aio_recv(s, in, 0, 16) == 0, "recv");
    zt_assert(aio_send(s, out, 0, 16) == 0, "send");
    aio_buf_unref(in);
    aio_buf_unref(out);
    h_poll_until(p, &sr.n, 1, 5000);
    zt_assert(sr.c[0].op == AIO_OP_SEND, "the send was reported");
    h_poll_until_freed(p, 5000);
    zt_assert(sr.n == 1, "one report, then nothing (have %d)", sr.n);
    h_cli_close(cli);
    h_finish(p);
}

typedef struct racer {
    aio_socket *s;
} racer;

static void racer_close(void *a) { aio_close(((racer *)a)->s); }

/* A thread closes the socket while the polling thread dispatches the recv's completion.
 * Whichever wins, the handler runs at most once and everything is released once. */
ZT_TEST(path13_close_once, close_from_another_thread_races_completion, 120)
{
    aio_port *p = h_port();
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 64);
    int delivered = 0, swallowed = 0;
    for (int i = 0; i < 200; i++) {
        h_rec sr = {0};
        lr = (h_rec){0};
        zt_assert(aio_accept(l) == 0, "accept");
        cli_fd cli = h_cli_connect(&addr, len);
        h_poll_until(p, &lr.n, 1, 5000);
        zt_assert(lr.naccepted == 1, "accept: %s", aio_strerror(lr.c[0].status));
        aio_socket *s = lr.accepted[0];
        aio_socket_set_handler(s, h_record, &sr);
        aio_buf *b;
        zt_assert(aio_buf_new(8, &b) == 0, "buf");
        zt_assert(aio_recv(s, b, 0, 8) == 0, "recv");
        aio_buf_unref(b);
        int64_t sw0 = h_stats().swallowed;
        racer rc = {s};
        h_cli_send(cli, "r", 1);
        h_thread *t = h_thread_start(racer_close, &rc);
        while (h_stats().sockets > 1 && sr.n == 0)
            h_poll(p, 10);
        h_thread_join(t);
        h_poll_until_freed_except(p, 1, 5000);
        zt_assert(sr.n <= 1, "reported %d times", sr.n);
        delivered += sr.n;
        swallowed += (int)(h_stats().swallowed - sw0);
        zt_assert(sr.n + (h_stats().swallowed - sw0) == 1,
                  "the completion is either reported or swallowed, exactly once");
        h_cli_close(cli);
    }
    zt_log("close raced the completion 200 times: %d reported first, %d swallowed", delivered,
           swallowed);
    aio_close(l);
    h_finish(p);
}
