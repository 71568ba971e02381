/* Release paths 10, 11 and 12: ops that finish at once, ops that find the peer gone,
 * and buffers whose owner lets go while an op uses them. */
#include "harness.h"

#include <errno.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* Path 10: AsyncIO posted its own completion packet when WSARecv succeeded at once,
 * while the kernel queued one too: two completions for one op. Here an op that
 * finishes inside the submit call completes once. The fault makes the backend finish
 * it there (on IOCP only the fault does: see aio_iocp.c), and the test checks that it
 * did, or it would prove nothing about this path. */
static void sync_success_once(aio_op op)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    aio_buf *b;
    zt_assert(aio_buf_new(32, &b) == 0, "buf");
    if (op == AIO_OP_RECV) {
        h_cli_send(cli, "ready", 5);
        h_wait_readable(s, 5000); /* the data is there: the recv can finish at once */
    }
    aio_stats before = h_stats();
    aio_fault_arm(p, AIO_FAULT_SYNC_SUCCESS, op, 0);
    int rc = op == AIO_OP_RECV ? aio_recv(s, b, 0, 32) : aio_send(s, b, 0, 32);
    zt_assert(rc == 0, "submit: %s", aio_strerror(rc));
    aio_stats mid = h_stats();
    zt_assert(mid.sync_completions - before.sync_completions == 1 && sr.n == 0,
              "the op did not complete inside the submit (%lld sync completions)",
              (long long)(mid.sync_completions - before.sync_completions));
    h_poll_until(p, &sr.n, 1, 5000);
    zt_assert(sr.c[0].op == op && sr.c[0].status == 0, "status %s", aio_strerror(sr.c[0].status));
    zt_assert(sr.c[0].bytes == (op == AIO_OP_RECV ? 5u : 32u), "bytes %zu", sr.c[0].bytes);
    /* a second completion would be queued by now or arrive with the next events */
    for (int i = 0; i < 5; i++)
        h_poll(p, 10);
    zt_assert(sr.n == 1, "one op, %d completions", sr.n);
    aio_stats st = h_stats();
    zt_assert(st.completions - before.completions == 1 && st.submits - before.submits == 1,
              "one submit, one completion (%lld, %lld)", (long long)(st.submits - before.submits),
              (long long)(st.completions - before.completions));
    zt_assert(st.ops_in_flight == 0, "nothing in flight");
    /* the record is free for the next op */
    zt_assert(aio_recv(s, b, 0, 32) == 0, "next recv");
    aio_buf_unref(b);
    aio_close(s);
    h_cli_close(cli);
    h_finish(p);
}

ZT_TEST(path10_sync_success, recv_completes_once, 30) { sync_success_once(AIO_OP_RECV); }
ZT_TEST(path10_sync_success, send_completes_once, 30) { sync_success_once(AIO_OP_SEND); }

/* Path 11: the peer has gone. recv reports 0 bytes (FIN) or an error (RST), again and
 * again, and each report releases normally. */
ZT_TEST(path11_peer_closed, zero_byte_recv_twice, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    aio_buf *b;
    zt_assert(aio_buf_new(32, &b) == 0, "buf");
    zt_assert(aio_recv(s, b, 0, 32) == 0, "recv");
    h_cli_close(cli);
    h_poll_until(p, &sr.n, 1, 5000);
    zt_assert(sr.c[0].status == 0 && sr.c[0].bytes == 0, "EOF is 0 bytes: %s %zu",
              aio_strerror(sr.c[0].status), sr.c[0].bytes);
    zt_assert(aio_buf_refs(b) == 1, "released before the report");
    zt_assert(aio_recv(s, b, 0, 32) == 0, "recv after EOF");
    h_poll_until(p, &sr.n, 2, 5000);
    zt_assert(sr.c[1].status == 0 && sr.c[1].bytes == 0, "EOF again: %s %zu",
              aio_strerror(sr.c[1].status), sr.c[1].bytes);
    aio_buf_unref(b);
    aio_close(s);
    h_finish(p);
}

/* AF_UNIX has no RST. Its reset is a peer that closes with data it never read: the
 * kernel gives the other end ECONNRESET once, then end of stream. So under AF_UNIX the
 * server first sends a byte that the client leaves unread, and the reports are exact. */
ZT_TEST(path11_peer_closed, recv_after_reset, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    aio_buf *b;
    zt_assert(aio_buf_new(32, &b) == 0, "buf");
    if (h_unix()) {
        zt_assert(aio_send(s, b, 0, 1) == 0, "send");
        h_poll_until(p, &sr.n, 1, 5000); /* in the client's receive queue by now */
        zt_assert(sr.c[0].status == 0 && sr.c[0].bytes == 1, "send: %s",
                  aio_strerror(sr.c[0].status));
    }
    int base = sr.n;
    h_cli_close_rst(cli);
    h_wait_readable(s, 5000);
    for (int i = 0; i < 2; i++) {
        zt_assert(aio_recv(s, b, 0, 32) == 0, "recv %d", i);
        h_poll_until(p, &sr.n, base + i + 1, 5000);
        const aio_completion *c = &sr.c[base + i];
        if (h_unix())
            zt_assert(i == 0 ? c->status == -ECONNRESET : (c->status == 0 && c->bytes == 0),
                      "recv %d after the peer closed unread: %s, %zu bytes (want %s)", i,
                      aio_strerror(c->status), c->bytes, i == 0 ? "ECONNRESET" : "end of stream");
        else
            zt_assert(c->status == -ECONNRESET || (c->status == 0 && c->bytes == 0),
                      "recv %d after RST: %s, %zu bytes", i, aio_strerror(c->status), c->bytes);
    }
    zt_assert(aio_buf_refs(b) == 1 && h_stats().ops_in_flight == 0, "released");
    aio_buf_unref(b);
    aio_close(s);
    h_finish(p);
}

/* A connect refused: the address is bound by a socket that does not listen. Over TCP
 * the refusal (the peer kernel's RST) comes back after the submit, so the connect fails
 * in its completion: not path 2 but the normal release of an op that completes with an
 * error, the connect's counterpart of path 5. Over AF_UNIX connect(2) knows at once: on
 * epoll the submit fails (path 2); uring's connect reports it in its CQE. Either way
 * the completion carries the error and the record is IDLE; the log says which it was. */
ZT_TEST(connect_completes_with_error, refused, 30)
{
    aio_port *p = h_port();
    h_rec cr = {0}, dummy = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_bound(p, h_record, &dummy, &addr, &len);
    aio_socket *s;
    zt_assert(aio_socket_new(p, h_family(), h_record, &cr, &s) == 0, "socket");
    int64_t failures0 = h_stats().submit_failures;
    zt_assert(aio_connect(s, (struct sockaddr *)&addr, len) == 0, "connect");
    bool at_once = h_stats().submit_failures > failures0;
    h_poll_until(p, &cr.n, 1, 10000);
    zt_assert(cr.c[0].op == AIO_OP_CONNECT && cr.c[0].status == -ECONNREFUSED,
              "connect to an address nobody listens on: %s", aio_strerror(cr.c[0].status));
    zt_assert(h_stats().ops_in_flight == 0, "the out record is IDLE again");
    zt_log("the refusal came %s", at_once ? "inside the submit (path 2)" : "in the completion");
    aio_close(s);
    aio_close(l);
    h_finish(p);
}

/* Path 12: a block of memory that records when aio lets go of it. */
typedef struct watched {
    char *mem;
    int freed;
} watched;

static void watched_free(void *data, void *hint)
{
    ((watched *)hint)->freed++;
    free(data);
}

static aio_buf *watched_buf(watched *w, size_t n)
{
    aio_buf *b;
    w->mem = calloc(1, n);
    w->freed = 0;
    zt_assert(w->mem && aio_buf_wrap(w->mem, n, watched_free, w, &b) == 0, "wrap");
    return b;
}

typedef struct reader {
    int n;
    char got[16];
    int status;
} reader;

static void on_read(const aio_completion *c)
{
    reader *r = c->key;
    r->n++;
    r->status = c->status;
    /* the buffer handed to the handler is readable even though the user dropped it:
     * under ASan, a freed buffer makes this read fail the test */
    if (c->status == 0 && c->buf)
        memcpy(r->got, aio_buf_data(c->buf), c->bytes < 16 ? c->bytes : 16);
}

ZT_TEST(path12_buffer_lifetime, user_drops_buffer_during_recv, 30)
{
    aio_port *p = h_port();
    reader rd = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_read, &rd, &cli);
    watched wa, wb;
    aio_buf *a = watched_buf(&wa, 64);
    aio_buf *b = watched_buf(&wb, 64);
    zt_assert(aio_recv(s, a, 0, 64) == 0, "recv into a");
    aio_buf_unref(a); /* the user is done with a; the op is not */
    zt_assert(wa.freed == 0, "a freed while the recv uses it");

    /* switching buffers while the recv is pending: refused, and a stays pinned */
    zt_assert(aio_recv(s, b, 0, 64) == -EBUSY, "a second recv on a busy record");
    zt_assert(wa.freed == 0 && aio_buf_refs(b) == 1, "the refused switch touched no reference");

    h_cli_send(cli, "pinned", 6);
    h_poll_until(p, &rd.n, 1, 5000);
    zt_assert(rd.status == 0 && memcmp(rd.got, "pinned", 6) == 0, "data in a: %s",
              aio_strerror(rd.status));
    zt_assert(wa.freed == 1, "a is freed after its completion, once (%d)", wa.freed);

    /* now the switch works */
    zt_assert(aio_recv(s, b, 0, 64) == 0, "recv into b");
    aio_buf_unref(b);
    h_cli_send(cli, "second", 6);
    h_poll_until(p, &rd.n, 2, 5000);
    zt_assert(memcmp(rd.got, "second", 6) == 0 && wb.freed == 1, "b used then freed");
    aio_close(s);
    h_cli_close(cli);
    h_finish(p);
}

/* A send's buffers stay referenced from submit to completion: the completion is held
 * so the op is still in flight when the user lets go of everything. */
ZT_TEST(path12_buffer_lifetime, user_drops_buffers_during_send, 30)
{
    aio_port *p = h_port();
    h_rec sr = {0};
    cli_fd cli;
    aio_socket *s = h_pair(p, h_record, &sr, &cli);
    watched wa, wb;
    aio_buf *a = watched_buf(&wa, 100);
    aio_buf *b = watched_buf(&wb, 100);
    memset(wa.mem, 'a', 100);
    memset(wb.mem, 'b', 100);
    aio_fault_arm(p, AIO_FAULT_HOLD_COMPLETION, AIO_OP_SEND, 0);
    aio_slice v[2] = {{a, 0, 100}, {b, 50, 50}};
    zt_assert(aio_sendv(s, v, 2) == 0, "sendv");
    aio_buf_unref(a);
    aio_buf_unref(b);
    for (int i = 0; i < 3; i++)
        h_poll(p, 10);
    zt_assert(wa.freed == 0 && wb.freed == 0, "freed while the send is in flight");
    zt_assert(h_stats().bufs == 2, "both pinned");
    aio_fault_release(p);
    h_poll_until(p, &sr.n, 1, 5000);
    zt_assert(sr.c[0].status == 0 && sr.c[0].bytes == 150, "sent %zu: %s", sr.c[0].bytes,
              aio_strerror(sr.c[0].status));
    zt_assert(wa.freed == 1 && wb.freed == 1, "both freed once after the completion");
    aio_close(s);
    h_cli_close(cli);
    h_finish(p);
}

/* A scattered recv fills its slices in order, and each slice's buffer outlives the
 * handler's call (the handler reads the second through memory the user let go of; under
 * ASan a freed one fails the test), then is freed once. With the data there before the
 * submit, and with the recv waiting for it (io_uring: recvmsg now, then on the ring). */
typedef struct scatter_reader {
    int n;
    int status;
    size_t bytes;
    watched *second;
    char got[32];
} scatter_reader;

static void on_scatter_read(const aio_completion *c)
{
    scatter_reader *r = c->key;
    r->n++;
    r->status = c->status;
    r->bytes = c->bytes;
    if (c->status == 0 && c->bytes > 6) {
        memcpy(r->got, (const char *)aio_buf_data(c->buf) + 10, 6); /* the first slice's offset */
        memcpy(r->got + 6, r->second->mem, c->bytes - 6 < 16 ? c->bytes - 6 : 16);
    }
}

static void scatter_recv(bool data_first)
{
    aio_port *p = h_port();
    watched wa, wb;
    scatter_reader rd = {.second = &wb};
    cli_fd cli;
    aio_socket *s = h_pair(p, on_scatter_read, &rd, &cli);
    aio_buf *a = watched_buf(&wa, 64);
    aio_buf *b = watched_buf(&wb, 64);
    if (data_first) {
        h_cli_send(cli, "headerbody", 10);
        h_wait_readable(s, 5000);
    }
    aio_slice v[2] = {{a, 10, 6}, {b, 0, 64}};
    zt_assert(aio_recvv(s, v, 2) == 0, "recvv");
    aio_buf_unref(a);
    aio_buf_unref(b);
    if (!data_first)
        zt_assert(wa.freed == 0 && wb.freed == 0, "freed while the recv waits");
    if (!data_first)
        h_cli_send(cli, "headerbody", 10);
    h_poll_until(p, &rd.n, 1, 5000);
    /* one segment of 10 bytes: a stream recv takes it all, 6 then 4 */
    zt_assert(rd.status == 0 && rd.bytes == 10, "recvv got %zu: %s", rd.bytes,
              aio_strerror(rd.status));
    zt_assert(memcmp(rd.got, "headerbody", 10) == 0, "slices filled in order: %.10s", rd.got);
    zt_assert(wa.freed == 1 && wb.freed == 1, "each freed once after the completion (%d, %d)",
              wa.freed, wb.freed);
    /* an empty slice would make a recv of 0 bytes, which means the peer closed */
    aio_buf *c;
    zt_assert(aio_buf_new(16, &c) == 0, "buf");
    aio_slice bad[2] = {{c, 0, 16}, {c, 16, 0}};
    zt_assert(aio_recvv(s, bad, 2) == -EINVAL, "an empty slice is refused");
    aio_buf_unref(c);
    aio_close(s);
    h_cli_close(cli);
    h_finish(p);
}

ZT_TEST(path12_buffer_lifetime, scattered_recv_waiting, 30) { scatter_recv(false); }
ZT_TEST(path12_buffer_lifetime, scattered_recv_data_first, 30) { scatter_recv(true); }

/* The cache of small buffers (aio_buf.c) takes back only blocks aio_buf_new made. A
 * wrapped buffer without a free function is a header alone; were it cached, the next
 * aio_buf_new of its class would hand out a block too small for the body and the body
 * would overrun it (a zaio_send_const of 100 B over tcp, then a 100 B frame received on
 * the same I/O thread). So: many such buffers released, then every buffer made for 100
 * bytes must have room for them in its own allocation. */
ZT_TEST(buffers, cache_takes_only_its_own_blocks, 30)
{
    aio_port *p = h_port();
#if defined(__GLIBC__)
    static char mem[100];
    enum { N = 100 }; /* more than a thread's list and a depot list of the class */
    for (int i = 0; i < N; i++) {
        aio_buf *w;
        zt_assert(aio_buf_wrap(mem, sizeof mem, NULL, NULL, &w) == 0, "wrap");
        aio_buf_unref(w);
    }
    aio_buf *b[N];
    for (int i = 0; i < N; i++) {
        zt_assert(aio_buf_new(sizeof mem, &b[i]) == 0, "new");
        char *end = (char *)(void *)b[i] + malloc_usable_size(b[i]);
        zt_assert((char *)aio_buf_data(b[i]) + sizeof mem <= end,
                  "buffer %d: 100 bytes do not fit in its block (%zu usable)", i,
                  malloc_usable_size(b[i]));
    }
    for (int i = 0; i < N; i++)
        aio_buf_unref(b[i]);
#endif
    h_finish(p);
}
