/* The loops: what a monitoring probe did to AsyncIO 0.1.26 for two months, 10,000 times,
 * and 10,000 idle connections closed at once. Every loop asserts that descriptors and
 * live counters come back to where they started, so a leak of one record a cycle fails. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 10000
#define PROBE_THREADS 8

static aio_stats stats(void)
{
    aio_stats st;
    aio_stats_get(&st);
    return st;
}

/* A server that accepts, reads, and closes whatever ends: a probe's connection. */
typedef struct server {
    aio_socket *l;
    int accepted, accept_errors, ended;
    int served; /* accepted + accept_errors */
    int last_error;
    int64_t max_sockets;
    int inject_every; /* every k-th accept completes with a reset (0: never) */
    bool rearm;       /* keep an accept pending */
    aio_port *p;
} server;

static void conn_done(const aio_completion *c)
{
    server *sv = c->key;
    /* a reset, EOF, or a failed submit: the connection ends here either way */
    sv->ended++;
    aio_close(c->sock);
}

static void start_recv(server *sv, aio_socket *s)
{
    aio_buf *b;
    zt_assert(aio_buf_new(64, &b) == 0, "buf");
    aio_socket_set_handler(s, conn_done, sv);
    int rc = aio_recv(s, b, 0, 64);
    aio_buf_unref(b);
    if (rc != 0) {
        /* a synchronous error only the 0.1.26 emulation returns; the socket is closed as
         * AsyncIO's caller did, and whether that frees it is what the test measures */
        sv->ended++;
        aio_close(s);
    }
}

static void on_accept(const aio_completion *c)
{
    server *sv = c->key;
    aio_stats st;
    aio_stats_get(&st);
    if (st.sockets > sv->max_sockets)
        sv->max_sockets = st.sockets;
    sv->served++;
    if (c->status == 0) {
        sv->accepted++;
        start_recv(sv, c->accepted);
    } else {
        sv->accept_errors++;
        sv->last_error = c->status;
    }
    if (sv->rearm) {
        if (sv->inject_every && (sv->accepted + sv->accept_errors) % sv->inject_every == 0)
            aio_fault_arm(sv->p, AIO_FAULT_COMPLETE_ERROR, AIO_OP_ACCEPT, -ECONNABORTED);
        zt_assert(aio_accept(sv->l) == 0, "accept");
    }
}

static void server_open(server *sv, aio_port *p, struct sockaddr_storage *addr, socklen_t *len)
{
    memset(sv, 0, sizeof *sv);
    sv->p = p;
    sv->l = h_listener(p, on_accept, sv, addr, len, 4096);
}

static void assert_flat(const char *what, int fds0, int64_t sockets_expected)
{
    aio_stats st = stats();
    int fds = h_open_fds();
    zt_assert(fds == fds0, "%s: open descriptors %d -> %d", what, fds0, fds);
    zt_assert(st.sockets == sockets_expected && st.accept_sockets == 0 && st.bufs == 0,
              "%s: live sockets %lld (want %lld), accept sockets %lld, bufs %lld", what,
              (long long)st.sockets, (long long)sockets_expected, (long long)st.accept_sockets,
              (long long)st.bufs);
}

/* Path 1 loop: each probe connects and resets before the server's first recv. The
 * probes of a batch all reset while no accept is pending, so every accepted connection
 * is already dead and its first recv fails inside the submit. */
ZT_TEST(path1_probe_loop, rst_before_first_recv_10000, 300)
{
    aio_port *p = h_port();
    server sv;
    struct sockaddr_storage addr;
    socklen_t len;
    server_open(&sv, p, &addr, &len);
    int fds0 = h_open_fds();
    aio_stats st0 = stats();
    int batch = 500, done = 0, failed_connects = 0;
    while (done < PROBES) {
        h_probe_run run = {&addr, len, batch, PROBE_THREADS, 0, 0};
        h_probes_join(h_probes_start(&run));
        failed_connects += run.connect_failures;
        /* accept what the batch left queued. A probe whose RST overtook its own ACK
         * (the two can be handled on different CPUs) never reaches the queue: it is
         * gone as far as the server can tell, so the queue, not the count, decides */
        while (h_readable(sv.l)) {
            int before = sv.served;
            zt_assert(aio_accept(sv.l) == 0, "accept");
            h_poll_until(p, &sv.served, before + 1, 5000);
            zt_assert(sv.accept_errors == 0, "accept failed: %s", aio_strerror(sv.last_error));
        }
        h_poll_until(p, &sv.ended, sv.accepted, 10000);
        h_poll_until_freed_except(p, 1, 10000);
        assert_flat("after a batch", fds0, 1);
        done += batch;
    }
    aio_stats st = stats();
    int64_t sync_failures = st.submit_failures - st0.submit_failures;
    zt_log("%d probes, %d accepted, %lld recvs failed inside the submit, %d connects failed, "
           "%d vanished before the accept queue",
           PROBES, sv.accepted, (long long)sync_failures, failed_connects,
           PROBES - failed_connects - sv.accepted);
    zt_assert(sv.accepted >= PROBES * 9 / 10, "only %d of %d probes connected", sv.accepted, PROBES);
    zt_assert(sync_failures > 0, "no recv failed synchronously: the loop did not test path 1");
    aio_close(sv.l);
    h_finish(p);
}

/* Path 5 loop: probes connect and reset while the server accepts, so accepts race the
 * resets; every third accept is made to complete with the reset error Windows reports
 * (ERROR_NETNAME_DELETED), which Linux does not produce by itself. */
ZT_TEST(path5_probe_loop, connect_rst_while_accepting_10000, 300)
{
    aio_port *p = h_port();
    server sv;
    struct sockaddr_storage addr;
    socklen_t len;
    int fds0 = h_open_fds();
    server_open(&sv, p, &addr, &len);
    sv.rearm = true;
    sv.inject_every = 3;
    zt_assert(aio_accept(sv.l) == 0, "accept");
    h_probe_run run = {&addr, len, PROBES, PROBE_THREADS, 0, 0};
    h_thread *probes = h_probes_start(&run);
    /* serve while the probes run, then until each probe that connected is served */
    int64_t last_log = 0;
    while (!atomic_load(&run.finished)) {
        zt_assert(aio_port_poll(p, 100) >= 0, "poll");
        if (sv.accepted + sv.accept_errors - last_log >= 2500) {
            last_log = sv.accepted + sv.accept_errors;
            zt_log("  %lld accepts, %d live sockets", (long long)last_log, (int)stats().sockets);
        }
    }
    h_probes_join(probes);
    /* the probes are done: serve until nothing is queued and every connection ended */
    do
        zt_assert(aio_port_poll(p, 10) >= 0, "poll");
    while (h_readable(sv.l) || sv.ended < sv.accepted);
    sv.rearm = false;
    aio_close(sv.l);
    h_poll_until_freed(p, 10000);
    zt_log("%d probes: %d accepted, %d accepts failed (injected reset), %d connects failed, "
           "%d vanished, at most %lld live sockets",
           PROBES, sv.accepted, sv.accept_errors, run.connect_failures,
           PROBES - run.connect_failures - sv.served, (long long)sv.max_sockets);
    zt_assert(sv.accept_errors >= PROBES / 4, "the injected accept errors did not happen (%d)",
              sv.accept_errors);
    zt_assert(sv.accepted + sv.accept_errors >= PROBES * 9 / 10, "only %d of %d probes served",
              sv.accepted + sv.accept_errors, PROBES);
    /* live sockets are bounded by the probes in flight, not by the probes so far */
    zt_assert(sv.max_sockets < PROBES / 4, "live sockets grew to %lld", (long long)sv.max_sockets);
    assert_flat("after the probes", fds0, 0);
    h_finish(p);
}

/* Path 8 at scale: 10,000 idle connections, each with a recv pending on its own pinned
 * buffer, closed at once, then drained. */
typedef struct idle_server {
    aio_socket *l;
    aio_socket **conns;
    int n, want;
    int reported;
} idle_server;

static void idle_conn(const aio_completion *c)
{
    idle_server *sv = c->key;
    sv->reported++; /* idle clients send nothing: nothing should arrive */
}

static void idle_accept(const aio_completion *c)
{
    idle_server *sv = c->key;
    zt_assert(c->status == 0, "accept: %s", aio_strerror(c->status));
    aio_socket *s = c->accepted;
    aio_socket_set_handler(s, idle_conn, sv);
    aio_buf *b;
    zt_assert(aio_buf_new(64, &b) == 0, "buf");
    zt_assert(aio_recv(s, b, 0, 64) == 0, "recv");
    aio_buf_unref(b); /* the pending recv holds the only reference */
    sv->conns[sv->n++] = s;
    if (sv->n < sv->want)
        zt_assert(aio_accept(sv->l) == 0, "accept");
}

ZT_TEST(path8_recv_pending_at_close, idle_10000_closed_at_once, 300)
{
    int limit = h_raise_fd_limit();
    int n = 10000;
    if (limit > 0 && limit < n + 200) {
        n = limit - 200; /* the descriptor limit bounds the test, and says so */
        zt_log("RLIMIT_NOFILE is %d: %d connections instead of 10000", limit, n);
    }
    aio_port *p = h_port();
    idle_server sv = {.want = n};
    sv.conns = calloc((size_t)n, sizeof *sv.conns);
    zt_assert(sv.conns != NULL, "out of memory");
    struct sockaddr_storage addr;
    socklen_t len;
    sv.l = h_listener(p, idle_accept, &sv, &addr, &len, 4096);
    int fds0 = h_open_fds();
    zt_assert(aio_accept(sv.l) == 0, "accept");
    h_clients *cl = h_clients_start(&addr, len, n, PROBE_THREADS);
    h_poll_until(p, &sv.n, n, 240000);
    aio_port_poll(p, 0);
    aio_stats st = stats();
    zt_assert(st.sockets == n + 1 && st.ops_in_flight == n && st.bufs == n,
              "%d idle connections with a recv each: sockets %lld ops %lld bufs %lld", n,
              (long long)st.sockets, (long long)st.ops_in_flight, (long long)st.bufs);

    for (int i = 0; i < n; i++)
        aio_close(sv.conns[i]);
    st = stats();
    zt_assert(st.bufs == n, "buffers freed before their recv's completion (%lld left)",
              (long long)st.bufs);
    h_poll_until_freed_except(p, 1, 60000);
    st = stats();
    zt_assert(st.ops_in_flight == 0 && st.bufs == 0 && st.buf_bytes == 0,
              "drained: ops %lld bufs %lld", (long long)st.ops_in_flight, (long long)st.bufs);
    zt_assert(sv.reported == 0, "%d cancelled recvs reached the handler", sv.reported);
    h_clients_stop(cl); /* closes the pipe to the client process too */
    zt_assert(h_open_fds() == fds0, "descriptors: %d -> %d", fds0, h_open_fds());
    aio_close(sv.l);
    free(sv.conns);
    h_finish(p);
}
