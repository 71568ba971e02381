/* STREAM against libzmq 4.3.4, in one process (zaio's calls are zaio_*, libzmq's zmq_*;
 * their contexts meet only over the wire):
 * - stream_raw: the same scripts with raw sockets run against zaio's STREAM and against
 *   libzmq's, each over tcp:// and ipc://, and both must give what libzmq gives: the
 *   notices, 5-byte ids from a zero byte, the bytes as sent with nothing around them,
 *   the close by an empty frame, EHOSTUNREACH.
 * - stream_libzmq: a zaio STREAM and a libzmq STREAM talking to each other, each way
 *   round, each closing the other.
 * The socket types, options, flags and errnos have the same numbers in both (zaio.h),
 * so one script drives either library through a table of its functions. */
#include "zaio.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#define WAIT_MS 5000 /* a safety net: everything awaited is coming */

typedef struct lib {
    const char *name;
    void *(*ctx_new)(void);
    int (*ctx_term)(void *);
    void *(*socket)(void *, int);
    int (*close)(void *);
    int (*setsockopt)(void *, int, const void *, size_t);
    int (*getsockopt)(void *, int, void *, size_t *);
    int (*bind)(void *, const char *);
    int (*connect)(void *, const char *);
    int (*send)(void *, const void *, size_t, int);
    int (*recv)(void *, void *, size_t, int);
    int (*err)(void);
} lib;

static const lib ZAIO = {"zaio", zaio_ctx_new, zaio_ctx_term, zaio_socket, zaio_close,
                         zaio_setsockopt, zaio_getsockopt, zaio_bind, zaio_connect,
                         zaio_send, zaio_recv, zaio_errno};
static const lib LIBZMQ = {"libzmq", zmq_ctx_new, zmq_ctx_term, zmq_socket, zmq_close,
                           zmq_setsockopt, zmq_getsockopt, zmq_bind, zmq_connect,
                           zmq_send, zmq_recv, zmq_errno};

_Static_assert(ZAIO_STREAM == ZMQ_STREAM && ZAIO_STREAM_NOTIFY == ZMQ_STREAM_NOTIFY &&
                   ZAIO_CONNECT_ROUTING_ID == ZMQ_CONNECT_ROUTING_ID &&
                   ZAIO_SNDMORE == ZMQ_SNDMORE && ZAIO_DONTWAIT == ZMQ_DONTWAIT &&
                   ZAIO_RCVMORE == ZMQ_RCVMORE && ZAIO_LAST_ENDPOINT == ZMQ_LAST_ENDPOINT,
               "one script drives both");

typedef struct sock {
    const lib *l;
    void *ctx, *s;
} sock;

static sock open_stream(const lib *l, void *ctx)
{
    sock k = {l, ctx, l->socket(ctx, ZMQ_STREAM)};
    cr_assert(k.s, "%s STREAM", l->name);
    int t = WAIT_MS, z = 0;
    l->setsockopt(k.s, ZMQ_RCVTIMEO, &t, sizeof t);
    l->setsockopt(k.s, ZMQ_SNDTIMEO, &t, sizeof t);
    l->setsockopt(k.s, ZMQ_LINGER, &z, sizeof z);
    return k;
}

static void bind_any(sock *k, bool ipc, char *ep, size_t cap)
{
    cr_assert_eq(k->l->bind(k->s, ipc ? "ipc://*" : "tcp://127.0.0.1:*"), 0, "%s bind", k->l->name);
    cr_assert_eq(k->l->getsockopt(k->s, ZMQ_LAST_ENDPOINT, ep, &cap), 0);
}

typedef struct frame2 {
    uint8_t id[256];
    size_t idn;
    uint8_t data[4096];
    size_t n;
} frame2;

static void recv2(sock *k, frame2 *f)
{
    int n = k->l->recv(k->s, f->id, sizeof f->id, 0);
    cr_assert(n > 0, "%s recv id: %s", k->l->name, zmq_strerror(k->l->err()));
    f->idn = (size_t)n;
    int more = 0;
    size_t ml = sizeof more;
    k->l->getsockopt(k->s, ZMQ_RCVMORE, &more, &ml);
    cr_assert(more, "%s: the id frame has MORE", k->l->name);
    n = k->l->recv(k->s, f->data, sizeof f->data, 0);
    cr_assert(n >= 0, "%s recv data: %s", k->l->name, zmq_strerror(k->l->err()));
    f->n = (size_t)n;
    k->l->getsockopt(k->s, ZMQ_RCVMORE, &more, &ml);
    cr_assert(!more, "%s: the data frame ends it", k->l->name);
}

static void recv_notice(sock *k, frame2 *f)
{
    recv2(k, f);
    cr_assert_eq(f->n, 0, "%s: a notice expected, got %zu bytes", k->l->name, f->n);
}

static void recv_data(sock *k, frame2 *f, const char *want)
{
    recv2(k, f);
    cr_assert(f->n == strlen(want) && memcmp(f->data, want, f->n) == 0, "%s: got '%.*s', want '%s'",
              k->l->name, (int)f->n, f->data, want);
}

/* libzmq's STREAM finishes closing a peer (the pipe's termination handshake) only on
 * its own socket's thread, inside a call of the application: a libzmq program that
 * closes a peer and then only waits elsewhere never closes it. Whoever waits for a
 * close calls into the closer meanwhile, as a libzmq program's loop does. zaio's
 * session closes on its own I/O thread. */
static void pump(sock *k)
{
    int ev;
    size_t len = sizeof ev;
    (void)k->l->getsockopt(k->s, ZMQ_EVENTS, &ev, &len);
}

/* recv_notice on k, calling into closer while it waits. */
static void recv_notice_pumping(sock *k, sock *closer, frame2 *f)
{
    int t = 20, back = WAIT_MS;
    k->l->setsockopt(k->s, ZMQ_RCVTIMEO, &t, sizeof t);
    for (int waited = 0;; waited += t) {
        int n = k->l->recv(k->s, f->id, sizeof f->id, 0);
        if (n > 0) {
            f->idn = (size_t)n;
            k->l->setsockopt(k->s, ZMQ_RCVTIMEO, &back, sizeof back);
            n = k->l->recv(k->s, f->data, sizeof f->data, 0);
            cr_assert_eq(n, 0, "%s: a notice expected (%d bytes)", k->l->name, n);
            f->n = 0;
            return;
        }
        cr_assert(k->l->err() == EAGAIN && waited < WAIT_MS, "%s: no notice came", k->l->name);
        pump(closer);
    }
}

static int send2(sock *k, const uint8_t *id, size_t idn, const void *d, size_t n, int flags)
{
    if (k->l->send(k->s, id, idn, ZMQ_SNDMORE | flags) != (int)idn)
        return -1;
    return k->l->send(k->s, d, n, flags);
}

static void generated(const lib *l, const frame2 *f)
{
    cr_assert(f->idn == 5 && f->id[0] == 0, "%s: a 5-byte id from a zero byte (%zu)", l->name, f->idn);
}

static void finish(sock *k)
{
    cr_assert_eq(k->l->close(k->s), 0);
    cr_assert_eq(k->l->ctx_term(k->ctx), 0);
}

static void zaio_all_released(void)
{
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0, "zaio left something");
}

/* ---- raw sockets ---------------------------------------------------------------------- */

static int raw_connect(const char *ep)
{
    int fd;
    if (strncmp(ep, "ipc://", 6) == 0) {
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        snprintf(un.sun_path, sizeof un.sun_path, "%s", ep + 6);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un) == 0, "connect %s", ep);
        return fd;
    }
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_port = htons((uint16_t)atoi(strrchr(ep, ':') + 1));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect %s", ep);
    return fd;
}

static void raw_send(int fd, const void *p, size_t n)
{
    cr_assert_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n, "raw send");
}

/* Everything until EOF (which must come); returns the count, at most cap kept. */
static size_t raw_to_eof(int fd, uint8_t *buf, size_t cap, sock *closer)
{
    size_t got = 0;
    for (int waited = 0;; waited += 20) {
        cr_assert(waited < WAIT_MS, "no EOF came (%zu bytes read)", got);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) == 0) {
            pump(closer);
            continue;
        }
        uint8_t tmp[4096];
        ssize_t k = recv(fd, tmp, sizeof tmp, 0);
        cr_assert(k >= 0, "raw recv: %s", strerror(errno));
        if (k == 0)
            return got;
        if (got < cap)
            memcpy(buf + got, tmp, (size_t)k < cap - got ? (size_t)k : cap - got);
        got += (size_t)k;
    }
}

static void raw_exact(int fd, void *buf, size_t n)
{
    uint8_t *b = buf;
    while (n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "raw: nothing came");
        ssize_t k = recv(fd, b, n, 0);
        cr_assert(k > 0, "raw recv");
        b += k;
        n -= (size_t)k;
    }
}

typedef struct raw_listener {
    int fd;
    char ep[160], dir[64], path[128];
} raw_listener;

static void rl_open(raw_listener *r, bool ipc)
{
    memset(r, 0, sizeof *r);
    if (ipc) {
        snprintf(r->dir, sizeof r->dir, "/tmp/zaio-interop-stream-XXXXXX");
        cr_assert(mkdtemp(r->dir));
        snprintf(r->path, sizeof r->path, "%s/raw.ipc", r->dir);
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        cr_assert(strlen(r->path) < sizeof un.sun_path);
        memcpy(un.sun_path, r->path, strlen(r->path) + 1);
        r->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        cr_assert(r->fd >= 0 && bind(r->fd, (struct sockaddr *)&un, sizeof un) == 0);
        snprintf(r->ep, sizeof r->ep, "ipc://%s", r->path);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        r->fd = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert(r->fd >= 0 && bind(r->fd, (struct sockaddr *)&a, sizeof a) == 0);
        socklen_t len = sizeof a;
        cr_assert_eq(getsockname(r->fd, (struct sockaddr *)&a, &len), 0);
        snprintf(r->ep, sizeof r->ep, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    }
    cr_assert_eq(listen(r->fd, 8), 0);
}

static int rl_accept(raw_listener *r)
{
    struct pollfd p = {.fd = r->fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no connection came");
    int fd = accept(r->fd, NULL, NULL);
    cr_assert(fd >= 0);
    return fd;
}

static void rl_close(raw_listener *r)
{
    close(r->fd);
    if (r->path[0]) {
        unlink(r->path);
        rmdir(r->dir);
    }
}

/* A raw client and a STREAM server: request, reply, the server's close, EOF. */
static void raw_client_script(const lib *l, bool ipc)
{
    void *ctx = l->ctx_new();
    sock srv = open_stream(l, ctx);
    char ep[256];
    bind_any(&srv, ipc, ep, sizeof ep);
    int fd = raw_connect(ep);
    frame2 f, g;
    recv_notice(&srv, &f);
    generated(l, &f);
    raw_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    recv_data(&srv, &g, "GET / HTTP/1.0\r\n\r\n");
    cr_assert(g.idn == f.idn && memcmp(g.id, f.id, f.idn) == 0, "%s: same peer", l->name);
    const char resp[] = "HTTP/1.0 200 OK\r\n\r\nok";
    cr_assert_eq(send2(&srv, f.id, f.idn, resp, sizeof resp - 1, 0), (int)sizeof resp - 1);
    /* the raw side reads the reply before the close is sent: libzmq drops what is still
     * queued when the close comes, zaio does not, and this script asks neither */
    uint8_t back[256];
    raw_exact(fd, back, sizeof resp - 1);
    cr_assert(memcmp(back, resp, sizeof resp - 1) == 0, "%s: the reply as sent, nothing around it",
              l->name);
    cr_assert_eq(send2(&srv, f.id, f.idn, "", 0, 0), 0, "%s: close", l->name);
    cr_assert_eq(raw_to_eof(fd, back, sizeof back, &srv), 0, "%s: EOF and nothing more", l->name);
    cr_assert(send2(&srv, f.id, f.idn, "x", 1, ZMQ_DONTWAIT) == -1 && l->err() == EHOSTUNREACH,
              "%s: the closed peer's id", l->name);
    cr_assert(send2(&srv, (const uint8_t *)"nobody", 6, "x", 1, 0) == -1 && l->err() == EHOSTUNREACH,
              "%s: an unknown id", l->name);
    /* the client side closes: a notice */
    int fd2 = raw_connect(ep);
    recv_notice(&srv, &f);
    close(fd2);
    recv_notice(&srv, &g);
    cr_assert(g.idn == f.idn && memcmp(g.id, f.id, f.idn) == 0, "%s: its disconnect", l->name);
    close(fd);
    finish(&srv);
}

/* A STREAM that connects to a raw listener, with and without CONNECT_ROUTING_ID. */
static void raw_listener_script(const lib *l, bool ipc)
{
    void *ctx = l->ctx_new();
    raw_listener r;
    rl_open(&r, ipc);
    sock cli = open_stream(l, ctx);
    cr_assert_eq(l->setsockopt(cli.s, ZMQ_CONNECT_ROUTING_ID, "named", 5), 0);
    cr_assert_eq(l->connect(cli.s, r.ep), 0);
    int fd = rl_accept(&r);
    frame2 f;
    recv_notice(&cli, &f);
    cr_assert(f.idn == 5 && memcmp(f.id, "named", 5) == 0, "%s: CONNECT_ROUTING_ID", l->name);
    cr_assert_eq(send2(&cli, f.id, f.idn, "hello", 5, 0), 5);
    char buf[8];
    raw_exact(fd, buf, 5);
    cr_assert(memcmp(buf, "hello", 5) == 0, "%s: the bytes alone", l->name);
    raw_send(fd, "world", 5);
    recv_data(&cli, &f, "world");
    close(fd);
    recv_notice(&cli, &f); /* the listener's side went */
    finish(&cli);
    rl_close(&r);
}

#define BOTH_LIBS(name, fn)                                                                 \
    Test(stream_raw, name##_zaio_tcp, .timeout = 30) { fn(&ZAIO, false); zaio_all_released(); } \
    Test(stream_raw, name##_zaio_ipc, .timeout = 30) { fn(&ZAIO, true); zaio_all_released(); }  \
    Test(stream_raw, name##_libzmq_tcp, .timeout = 30) { fn(&LIBZMQ, false); }                 \
    Test(stream_raw, name##_libzmq_ipc, .timeout = 30) { fn(&LIBZMQ, true); }

BOTH_LIBS(raw_client, raw_client_script)
BOTH_LIBS(raw_listener, raw_listener_script)

/* ---- zaio STREAM and libzmq STREAM ------------------------------------------------------ */

/* srv binds, cli connects; they talk, then `closer` closes the connection. */
static void stream_pair(const lib *ls, const lib *lc, bool ipc, bool server_closes)
{
    void *sctx = ls->ctx_new(), *cctx = lc->ctx_new();
    sock srv = open_stream(ls, sctx), cli = open_stream(lc, cctx);
    char ep[256];
    bind_any(&srv, ipc, ep, sizeof ep);
    cr_assert_eq(lc->connect(cli.s, ep), 0);
    frame2 sf, cf, x;
    recv_notice(&cli, &cf); /* each sees the other connect */
    recv_notice(&srv, &sf);
    generated(lc, &cf);
    generated(ls, &sf);
    cr_assert_eq(send2(&cli, cf.id, cf.idn, "ping", 4, 0), 4);
    recv_data(&srv, &x, "ping");
    cr_assert(x.idn == sf.idn && memcmp(x.id, sf.id, sf.idn) == 0, "the same peer");
    cr_assert_eq(send2(&srv, sf.id, sf.idn, "pong", 4, 0), 4);
    recv_data(&cli, &x, "pong");
    sock *closer = server_closes ? &srv : &cli, *other = server_closes ? &cli : &srv;
    frame2 *cid = server_closes ? &sf : &cf, *oid = server_closes ? &cf : &sf;
    cr_assert_eq(send2(closer, cid->id, cid->idn, "", 0, 0), 0, "%s closes", closer->l->name);
    recv_notice_pumping(other, closer, &x); /* the other sees it go */
    cr_assert(x.idn == oid->idn && memcmp(x.id, oid->id, oid->idn) == 0, "its disconnect");
    finish(&cli);
    finish(&srv);
}

Test(stream_libzmq, zaio_server_libzmq_client_tcp, .timeout = 30)
{
    stream_pair(&ZAIO, &LIBZMQ, false, true);
    zaio_all_released();
}
Test(stream_libzmq, zaio_server_libzmq_client_ipc, .timeout = 30)
{
    stream_pair(&ZAIO, &LIBZMQ, true, false);
    zaio_all_released();
}
Test(stream_libzmq, libzmq_server_zaio_client_tcp, .timeout = 30)
{
    stream_pair(&LIBZMQ, &ZAIO, false, false);
    zaio_all_released();
}
Test(stream_libzmq, libzmq_server_zaio_client_ipc, .timeout = 30)
{
    stream_pair(&LIBZMQ, &ZAIO, true, true);
    zaio_all_released();
}
