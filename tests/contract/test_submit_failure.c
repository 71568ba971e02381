/* Release paths 1 and 2: a submit that fails at once completes like any other op. The
 * record is IDLE and has dropped its buffer references before the error is reported,
 * and a later close frees everything. AsyncIO 0.1.26 threw instead and left the record
 * "in progress" forever (its issue 33: 536k sockets, 1.07M records). */
#include "harness.h"

#include <errno.h>
#include <string.h>

/* Handler that checks, at the moment the error is reported, what the record still holds. */
typedef struct fail_seen {
    int n;
    aio_completion c;
    aio_buf *buf;
    int buf_refs_at_report;
    aio_buf *buf2; /* a second slice's, when there is one */
    int buf2_refs_at_report;
    int resubmit_rc; /* a second op on the same record: IDLE means not -EBUSY */
} fail_seen;

static void on_fail(const aio_completion *c)
{
    fail_seen *f = c->key;
    f->n++;
    f->c = *c;
    if (f->buf)
        f->buf_refs_at_report = aio_buf_refs(f->buf);
    if (f->buf2)
        f->buf2_refs_at_report = aio_buf_refs(f->buf2);
}

/* Each test closes everything whatever its submit returned, and h_finish's leak
 * assertion (records, buffers, sockets released) comes before the return code is
 * checked: so a build that leaks the record of a failed submit, as AsyncIO 0.1.26 did,
 * fails on the leak itself, not on the API difference (legacy_control.sh checks). */
static void finish_after_failed_submit(aio_port *p, int submit_rc)
{
    h_finish(p);
    zt_assert(submit_rc == 0, "a failed submit is reported as a completion, not a return: %s",
              aio_strerror(submit_rc));
}

ZT_TEST(path1_submit_fails, recv_error_completes_with_record_idle, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_fail, &f, &cli);
    zt_assert(aio_buf_new(4096, &f.buf) == 0, "buf");

    aio_fault_arm(p, AIO_FAULT_SUBMIT_ERROR, AIO_OP_RECV, -ECONNRESET);
    int rc = aio_recv(s, f.buf, 0, 4096);
    if (rc == 0) {
        h_poll_until(p, &f.n, 1, 5000);
        zt_assert(f.c.op == AIO_OP_RECV && f.c.status == -ECONNRESET, "op %d status %s", f.c.op,
                  aio_strerror(f.c.status));
        zt_assert(f.buf_refs_at_report == 1, "the record still held the buffer when the error "
                                             "was reported (refs %d)", f.buf_refs_at_report);
        aio_stats st = h_stats();
        zt_assert(st.submit_failures == 1 && st.ops_in_flight == 0, "failures %lld ops %lld",
                  (long long)st.submit_failures, (long long)st.ops_in_flight);

        /* the record is usable again: a real recv on it works */
        h_cli_send(cli, "x", 1);
        zt_assert(aio_recv(s, f.buf, 0, 4096) == 0, "resubmit on the same record");
        h_poll_until(p, &f.n, 2, 5000);
        zt_assert(f.c.status == 0 && f.c.bytes == 1, "recv after failure: %s",
                  aio_strerror(f.c.status));
    }
    aio_buf_unref(f.buf);
    aio_close(s);
    h_cli_close(cli);
    finish_after_failed_submit(p, rc);
}

ZT_TEST(path1_submit_fails, send_error_completes_with_record_idle, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_fail, &f, &cli);
    aio_buf *a, *b;
    zt_assert(aio_buf_new(100, &a) == 0 && aio_buf_new(200, &b) == 0, "bufs");
    f.buf = a;

    aio_fault_arm(p, AIO_FAULT_SUBMIT_ERROR, AIO_OP_SEND, -ECONNRESET);
    aio_slice v[2] = {{a, 0, 100}, {b, 0, 200}};
    int rc = aio_sendv(s, v, 2);
    if (rc == 0) {
        h_poll_until(p, &f.n, 1, 5000);
        zt_assert(f.c.op == AIO_OP_SEND && f.c.status == -ECONNRESET, "status %s",
                  aio_strerror(f.c.status));
        zt_assert(f.buf_refs_at_report == 1 && aio_buf_refs(b) == 1,
                  "both slices' references are dropped before the report (a %d, b %d)",
                  f.buf_refs_at_report, aio_buf_refs(b));
    }
    aio_buf_unref(a);
    aio_buf_unref(b);
    aio_close(s);
    h_cli_close(cli);
    finish_after_failed_submit(p, rc);
}

/* A scattered recv that fails at once: every slice's reference is gone when the error
 * is reported, as a send's are. */
ZT_TEST(path1_submit_fails, recvv_error_releases_every_slice, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_fail, &f, &cli);
    zt_assert(aio_buf_new(100, &f.buf) == 0 && aio_buf_new(200, &f.buf2) == 0, "bufs");

    aio_fault_arm(p, AIO_FAULT_SUBMIT_ERROR, AIO_OP_RECV, -ECONNRESET);
    aio_slice v[2] = {{f.buf, 0, 100}, {f.buf2, 50, 150}};
    int rc = aio_recvv(s, v, 2);
    if (rc == 0) {
        h_poll_until(p, &f.n, 1, 5000);
        zt_assert(f.c.op == AIO_OP_RECV && f.c.status == -ECONNRESET, "status %s",
                  aio_strerror(f.c.status));
        zt_assert(f.buf_refs_at_report == 1 && f.buf2_refs_at_report == 1,
                  "both slices' references are dropped before the report (a %d, b %d)",
                  f.buf_refs_at_report, f.buf2_refs_at_report);
    }
    aio_buf_unref(f.buf);
    aio_buf_unref(f.buf2);
    aio_close(s);
    h_cli_close(cli);
    finish_after_failed_submit(p, rc);
}

ZT_TEST(path1_submit_fails, queue_full_completes, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_fail, &f, &cli);
    zt_assert(aio_buf_new(64, &f.buf) == 0, "buf");
    aio_fault_arm(p, AIO_FAULT_QUEUE_FULL, AIO_OP_RECV, 0);
    int rc = aio_recv(s, f.buf, 0, 64);
    if (rc == 0) {
        h_poll_until(p, &f.n, 1, 5000);
        zt_assert(f.c.status == -EAGAIN, "a full submission queue reports -EAGAIN, got %s",
                  aio_strerror(f.c.status));
        zt_assert(f.buf_refs_at_report == 1, "refs %d", f.buf_refs_at_report);
    }
    aio_buf_unref(f.buf);
    aio_close(s);
    h_cli_close(cli);
    finish_after_failed_submit(p, rc);
}

/* The failure sits queued when the socket is closed: still released, never reported. */
ZT_TEST(path1_submit_fails, close_before_failure_is_dispatched, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_fail, &f, &cli);
    aio_buf *b;
    zt_assert(aio_buf_new(64, &b) == 0, "buf");
    aio_fault_arm(p, AIO_FAULT_SUBMIT_ERROR, AIO_OP_RECV, -ECONNRESET);
    int rc = aio_recv(s, b, 0, 64);
    aio_buf_unref(b);
    aio_close(s);
    h_poll_until_freed(p, 5000);
    zt_assert(f.n == 0, "a closed socket's completion reached the handler");
    h_cli_close(cli);
    finish_after_failed_submit(p, rc);
}

ZT_TEST(path2_connect_fails, injected_failure_leaves_out_record_idle, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    aio_socket *s;
    zt_assert(aio_socket_new(p, h_family(), on_fail, &f, &s) == 0, "socket");

    aio_fault_arm(p, AIO_FAULT_SUBMIT_ERROR, AIO_OP_CONNECT, -ENETUNREACH);
    int rc = aio_connect(s, (struct sockaddr *)&addr, len);
    if (rc == 0) {
        h_poll_until(p, &f.n, 1, 5000);
        zt_assert(f.c.op == AIO_OP_CONNECT && f.c.status == -ENETUNREACH, "status %s",
                  aio_strerror(f.c.status));

        /* the out record went back to IDLE: the same socket connects for real now */
        zt_assert(aio_accept(l) == 0, "accept");
        zt_assert(aio_connect(s, (struct sockaddr *)&addr, len) == 0, "connect again");
        h_poll_until(p, &f.n, 2, 5000);
        zt_assert(f.c.status == 0, "second connect: %s", aio_strerror(f.c.status));
        h_poll_until(p, &lr.n, 1, 5000);
        zt_assert(lr.naccepted == 1, "accepted");
        aio_close(lr.accepted[0]);
    }
    aio_close(s);
    aio_close(l);
    finish_after_failed_submit(p, rc);
}

/* An address of another family than the socket's fails inside connect(2) (uring checks
 * it before the ring, which would say it in a completion): an IPv6 address on an IPv4
 * socket, or under AF_UNIX an IPv4 address on the Unix-domain socket (EINVAL, or
 * EAFNOSUPPORT from uring's check). */
ZT_TEST(path2_connect_fails, wrong_address_family, 30)
{
    aio_port *p = h_port();
    fail_seen f = {0};
    aio_socket *s;
    zt_assert(aio_socket_new(p, h_family(), on_fail, &f, &s) == 0, "socket");
    struct sockaddr_storage other = {0};
    socklen_t other_len;
    if (h_unix()) {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&other;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(9);
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        other_len = sizeof *a4;
    } else {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&other;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(9);
        a6->sin6_addr = in6addr_loopback;
        other_len = sizeof *a6;
    }
    aio_stats before = h_stats();
    int rc = aio_connect(s, (struct sockaddr *)&other, other_len);
    if (rc == 0) {
        h_poll_until(p, &f.n, 1, 5000);
        zt_assert(f.c.status < 0, "an address of another family must fail");
        aio_stats st = h_stats();
        zt_assert(st.submit_failures == before.submit_failures + 1,
                  "the failure is synchronous (submit_failures %lld -> %lld)",
                  (long long)before.submit_failures, (long long)st.submit_failures);
    }
    aio_close(s);
    finish_after_failed_submit(p, rc);
}
