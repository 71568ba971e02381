/* STREAM end to end through include/zaio.h, over tcp:// and ipc://, against raw
 * sockets: no ZMTP on the wire, [id][data] each way, an empty frame closing a peer,
 * STREAM_NOTIFY on and off, CONNECT_ROUTING_ID, EHOSTUNREACH, SNDHWM per peer, a
 * peer that resets, the monitor. Every test ends with the context terminated and the
 * live counters zero (th_term), which is what catches a release path that leaks. */
#include "tcp_helpers.h"

#include <sys/stat.h>
#include <sys/un.h>

#define WAIT_MS 5000 /* a safety net: everything awaited is coming */

/* ---- raw peers, tcp or ipc --------------------------------------------------------- */

typedef struct raw_listener {
    int fd;
    char ep[160];
    char dir[64], path[128];
} raw_listener;

static void rl_open(raw_listener *l, bool ipc)
{
    memset(l, 0, sizeof *l);
    if (ipc) {
        snprintf(l->dir, sizeof l->dir, "/tmp/zaio-test-stream-XXXXXX");
        zt_assert(mkdtemp(l->dir), "mkdtemp: %s", strerror(errno));
        snprintf(l->path, sizeof l->path, "%s/raw.ipc", l->dir);
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        memcpy(un.sun_path, l->path, strlen(l->path) + 1);
        l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        zt_assert(l->fd >= 0 && bind(l->fd, (struct sockaddr *)&un, sizeof un) == 0, "ipc bind");
        snprintf(l->ep, sizeof l->ep, "ipc://%s", l->path);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        l->fd = socket(AF_INET, SOCK_STREAM, 0);
        zt_assert(l->fd >= 0 && bind(l->fd, (struct sockaddr *)&a, sizeof a) == 0, "tcp bind");
        socklen_t len = sizeof a;
        zt_assert(getsockname(l->fd, (struct sockaddr *)&a, &len) == 0, "getsockname");
        snprintf(l->ep, sizeof l->ep, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    }
    zt_assert(listen(l->fd, 16) == 0, "listen");
}

static int rl_accept(raw_listener *l)
{
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    zt_assert(poll(&p, 1, WAIT_MS) == 1, "no connection came to the raw listener");
    int fd = accept(l->fd, NULL, NULL);
    zt_assert(fd >= 0, "accept: %s", strerror(errno));
    return fd;
}

static void rl_close(raw_listener *l)
{
    close(l->fd);
    if (l->path[0]) {
        unlink(l->path);
        rmdir(l->dir);
    }
}

/* A blocking raw socket connected to a tcp:// or ipc:// endpoint. */
static int raw_connect(const char *ep)
{
    if (strncmp(ep, "tcp://", 6) == 0)
        return th_raw_connect(ep);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    zt_assert(strncmp(ep, "ipc://", 6) == 0 && strlen(ep + 6) < sizeof un.sun_path, "ep %s", ep);
    memcpy(un.sun_path, ep + 6, strlen(ep + 6) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    zt_assert(fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un) == 0, "ipc connect %s: %s",
              ep, strerror(errno));
    return fd;
}

/* Reads exactly n bytes. */
static void raw_recv_exact(int fd, void *buf, size_t n)
{
    uint8_t *b = buf;
    while (n > 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        zt_assert(poll(&p, 1, WAIT_MS) == 1, "raw recv: nothing came (%zu bytes missing)", n);
        ssize_t k = recv(fd, b, n, 0);
        zt_assert(k > 0, "raw recv: %s", k == 0 ? "EOF" : strerror(errno));
        b += k;
        n -= (size_t)k;
    }
}

/* Reads until EOF, which must come; returns the bytes read (at most cap kept). */
static size_t raw_read_to_eof(int fd, uint8_t *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        zt_assert(poll(&p, 1, WAIT_MS) == 1, "no EOF came (%zu bytes read)", got);
        uint8_t tmp[65536];
        ssize_t k = recv(fd, tmp, sizeof tmp, 0);
        zt_assert(k >= 0, "raw recv: %s", strerror(errno));
        if (k == 0)
            return got;
        if (got < cap)
            memcpy(buf + got, tmp, (size_t)k < cap - got ? (size_t)k : cap - got);
        got += (size_t)k;
    }
}

/* Closes with an RST where the transport has one (tcp); ipc just closes. */
static void raw_reset(int fd)
{
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* ---- the STREAM side ---------------------------------------------------------------- */

static void *stream_socket(void *ctx)
{
    void *s = th_socket(ctx, ZAIO_STREAM);
    th_set_int(s, ZAIO_RCVTIMEO, WAIT_MS);
    th_set_int(s, ZAIO_SNDTIMEO, WAIT_MS);
    return s;
}

static const char *any_ep(bool ipc) { return ipc ? "ipc://*" : "tcp://127.0.0.1:*"; }

typedef struct peer_id {
    uint8_t b[256];
    size_t n;
} peer_id;

/* One [id][data] message; the data is copied into data (up to cap), its size returned. */
static size_t srecv(void *s, peer_id *id, void *data, size_t cap)
{
    zaio_msg_t m;
    zaio_msg_init(&m);
    int n = zaio_msg_recv(&m, s, 0);
    zt_assert(n >= 0, "recv id: %s", zaio_strerror(zaio_errno()));
    zt_assert(zaio_msg_more(&m), "the id frame has MORE");
    zt_assert(n > 0 && n <= 255, "id of %d bytes", n);
    memcpy(id->b, zaio_msg_data(&m), (size_t)n);
    id->n = (size_t)n;
    n = zaio_msg_recv(&m, s, 0);
    zt_assert(n >= 0, "recv data: %s", zaio_strerror(zaio_errno()));
    zt_assert(!zaio_msg_more(&m), "the data frame ends the message");
    size_t len = (size_t)n;
    if (data && len)
        memcpy(data, zaio_msg_data(&m), len < cap ? len : cap);
    zaio_msg_close(&m);
    return len;
}

/* The next message must be a notice ([id][""]); *id gets its id. */
static void srecv_notice(void *s, peer_id *id)
{
    uint8_t d[64];
    size_t n = srecv(s, id, d, sizeof d);
    zt_assert(n == 0, "a notice (empty data) expected, got %zu bytes '%.*s'", n, (int)(n < 64 ? n : 64), d);
}

static void same_id(const peer_id *a, const peer_id *b)
{
    zt_assert(a->n == b->n && memcmp(a->b, b->b, a->n) == 0, "ids differ");
}

/* A generated id as libzmq makes them: 5 bytes, a zero byte first. */
static void generated_id(const peer_id *id)
{
    zt_assert(id->n == 5 && id->b[0] == 0, "a generated id is 5 bytes from a zero byte (%zu)", id->n);
}

static int ssend(void *s, const peer_id *id, const void *data, size_t len, int flags)
{
    if (zaio_send(s, id->b, id->n, ZAIO_SNDMORE | flags) != (int)id->n)
        return -1;
    return zaio_send(s, data, len, flags);
}

/* After a peer's loss its id becomes unknown once the socket has seen the pipe go: the
 * session writes the notice just before it lets go of the pipe, so a send in between
 * still finds the pipe (and goes nowhere). */
static void wait_unreachable(void *s, const peer_id *id)
{
    int64_t end = th_now_ms() + WAIT_MS;
    while (ssend(s, id, "x", 1, ZAIO_DONTWAIT) == 1) {
        zt_assert(th_now_ms() < end, "the lost peer's id is still routed to");
        th_sleep_ms(1);
    }
    zt_assert(zaio_errno() == EHOSTUNREACH, "a lost peer's id: %s", zaio_strerror(zaio_errno()));
}

/* ---- an HTTP-like exchange: a raw client, a STREAM server that closes ------------------ */

static void http_exchange(bool ipc)
{
    void *ctx = zaio_ctx_new();
    void *srv = stream_socket(ctx);
    void *mon = th_monitor(ctx, srv, ipc ? "inproc://mon-ipc" : "inproc://mon-tcp", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(srv, any_ep(ipc), ep, sizeof ep);
    int fd = raw_connect(ep);
    peer_id id, id2;
    srecv_notice(srv, &id); /* STREAM_NOTIFY is on by default */
    generated_id(&id);

    const char req[] = "GET /health HTTP/1.0\r\nHost: x\r\n\r\n";
    th_raw_send(fd, req, sizeof req - 1);
    char got[512];
    size_t have = 0;
    while (have < sizeof req - 1) { /* chunks as they came: may be more than one */
        size_t n = srecv(srv, &id2, got + have, sizeof got - have);
        same_id(&id, &id2);
        zt_assert(n > 0, "data, not a notice");
        have += n;
    }
    zt_assert(have == sizeof req - 1 && memcmp(got, req, have) == 0, "the request as sent");

    const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    zt_assert(ssend(srv, &id, resp, sizeof resp - 1, 0) == (int)sizeof resp - 1, "send reply: %s",
              zaio_strerror(zaio_errno()));
    zt_assert(ssend(srv, &id, "", 0, 0) == 0, "send close: %s", zaio_strerror(zaio_errno()));
    uint8_t back[512];
    size_t n = raw_read_to_eof(fd, back, sizeof back);
    /* the reply whole, and nothing before it: no ZMTP greeting on a STREAM connection */
    zt_assert(n == sizeof resp - 1 && memcmp(back, resp, n) == 0, "reply then EOF (%zu bytes)", n);
    /* the peer is gone for the socket at once */
    zt_assert(ssend(srv, &id, "late", 4, ZAIO_DONTWAIT) == -1 && zaio_errno() == EHOSTUNREACH,
              "a closed peer's id is unknown: %s", zaio_strerror(zaio_errno()));
    close(fd);
    zaio_close(srv);
    /* as libzmq's monitor: LISTENING, ACCEPTED, CLOSED; no handshake on a raw connection
     * and no DISCONNECTED for a close the user made (the EOF came after any event the
     * session could have said about it) */
    int ev, seen = 0;
    while ((ev = th_event(mon, WAIT_MS, NULL)) != ZAIO_EVENT_CLOSED) {
        zt_assert(ev == ZAIO_EVENT_LISTENING || ev == ZAIO_EVENT_ACCEPTED, "event 0x%x", ev);
        seen |= ev;
    }
    zt_assert(seen == (ZAIO_EVENT_LISTENING | ZAIO_EVENT_ACCEPTED), "events 0x%x", seen);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(stream, http_exchange_server_closes_tcp, 30) { http_exchange(false); }
ZT_TEST(stream, http_exchange_server_closes_ipc, 30) { http_exchange(true); }

/* ---- a STREAM that connects out to a raw listener ------------------------------------- */

static void connect_out(bool ipc)
{
    void *ctx = zaio_ctx_new();
    raw_listener l;
    rl_open(&l, ipc);
    void *cli = stream_socket(ctx);
    th_set_int(cli, ZAIO_RECONNECT_IVL, 10);
    th_connect(cli, l.ep);
    int fd = rl_accept(&l);
    peer_id id, id2;
    srecv_notice(cli, &id);
    generated_id(&id);
    zt_assert(ssend(cli, &id, "hello", 5, 0) == 5, "send");
    char buf[16];
    raw_recv_exact(fd, buf, 5);
    zt_assert(memcmp(buf, "hello", 5) == 0, "the raw listener got the bytes alone");
    th_raw_send(fd, "world", 5);
    zt_assert(srecv(cli, &id2, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0, "reply");
    same_id(&id, &id2);

    /* the listener's side closes: a notice, then a reconnect under a new id */
    close(fd);
    srecv_notice(cli, &id2);
    same_id(&id, &id2);
    fd = rl_accept(&l);
    peer_id id3;
    srecv_notice(cli, &id3);
    generated_id(&id3);
    zt_assert(memcmp(id3.b, id.b, 5) != 0, "a new connection, a new id");
    zt_assert(ssend(cli, &id, "old", 3, ZAIO_DONTWAIT) == -1 && zaio_errno() == EHOSTUNREACH,
              "the old id is gone");
    zt_assert(ssend(cli, &id3, "again", 5, 0) == 5, "send on the new connection");
    raw_recv_exact(fd, buf, 5);
    zt_assert(memcmp(buf, "again", 5) == 0, "again");

    /* the STREAM closes it: EOF, and a connect closed by its user does not come back */
    zt_assert(ssend(cli, &id3, "", 0, 0) == 0, "close");
    uint8_t rest[16];
    zt_assert(raw_read_to_eof(fd, rest, sizeof rest) == 0, "EOF, nothing more");
    close(fd);
    zaio_close(cli);
    rl_close(&l);
    th_term(ctx);
}

ZT_TEST(stream, connects_to_a_raw_listener_tcp, 30) { connect_out(false); }
ZT_TEST(stream, connects_to_a_raw_listener_ipc, 30) { connect_out(true); }

/* ---- STREAM_NOTIFY off ------------------------------------------------------------------ */

static void notify_off(bool ipc)
{
    void *ctx = zaio_ctx_new();
    /* server side: the first message is the data, no connect notice before it */
    void *srv = stream_socket(ctx);
    th_set_int(srv, ZAIO_STREAM_NOTIFY, 0);
    char ep[256];
    th_bind(srv, any_ep(ipc), ep, sizeof ep);
    int fd = raw_connect(ep);
    th_raw_send(fd, "x", 1);
    peer_id id;
    char buf[16];
    zt_assert(srecv(srv, &id, buf, sizeof buf) == 1 && buf[0] == 'x', "data first");
    close(fd);

    /* connecting side: the peer's close says nothing. The old connection's pipe holds
     * what the session wrote before it went, and that is before the reconnect: once the
     * new connection's data is read, anything of the old one is readable too. */
    raw_listener l;
    rl_open(&l, ipc);
    void *cli = stream_socket(ctx);
    th_set_int(cli, ZAIO_STREAM_NOTIFY, 0);
    th_set_int(cli, ZAIO_RECONNECT_IVL, 10);
    th_connect(cli, l.ep);
    int a = rl_accept(&l);
    th_raw_send(a, "1", 1);
    peer_id i1, i2;
    zt_assert(srecv(cli, &i1, buf, sizeof buf) == 1 && buf[0] == '1', "first connection's data");
    close(a);
    int b = rl_accept(&l); /* the reconnect: the first connection's loss is behind us */
    th_raw_send(b, "2", 1);
    zt_assert(srecv(cli, &i2, buf, sizeof buf) == 1 && buf[0] == '2', "second connection's data");
    zt_assert(i1.n == 5 && memcmp(i1.b, i2.b, 5) != 0, "two peers");
    char x;
    zt_assert(zaio_recv(cli, &x, 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "no disconnect notice with STREAM_NOTIFY 0");
    close(b);
    zaio_close(cli);
    zaio_close(srv);
    rl_close(&l);
    th_term(ctx);
}

ZT_TEST(stream, notify_off_tcp, 30) { notify_off(false); }
ZT_TEST(stream, notify_off_ipc, 30) { notify_off(true); }

/* The same sequence with the notices on: the disconnect notice is there. */
ZT_TEST(stream, notify_on_disconnect_notice_tcp, 30)
{
    void *ctx = zaio_ctx_new();
    raw_listener l;
    rl_open(&l, false);
    void *cli = stream_socket(ctx);
    th_set_int(cli, ZAIO_RECONNECT_IVL, 10);
    th_connect(cli, l.ep);
    int a = rl_accept(&l);
    peer_id i1, i2;
    srecv_notice(cli, &i1);
    close(a);
    srecv_notice(cli, &i2);
    same_id(&i1, &i2);
    int b = rl_accept(&l);
    srecv_notice(cli, &i2);
    zt_assert(memcmp(i1.b, i2.b, 5) != 0, "the reconnect is a new peer");
    close(b);
    zaio_close(cli);
    rl_close(&l);
    th_term(ctx);
}

/* ---- options ------------------------------------------------------------------------- */

static void connect_routing_id(bool ipc)
{
    void *ctx = zaio_ctx_new();
    raw_listener l;
    rl_open(&l, ipc);
    void *cli = stream_socket(ctx);
    zt_assert(zaio_setsockopt(cli, ZAIO_CONNECT_ROUTING_ID, "peer-A", 6) == 0, "CONNECT_ROUTING_ID");
    th_connect(cli, l.ep);
    th_connect(cli, l.ep); /* the option named the first connect only */
    int a = rl_accept(&l), b = rl_accept(&l);
    peer_id p, q;
    srecv_notice(cli, &p);
    srecv_notice(cli, &q);
    peer_id *named = p.n == 6 ? &p : &q, *gen = p.n == 6 ? &q : &p;
    zt_assert(named->n == 6 && memcmp(named->b, "peer-A", 6) == 0, "the id given");
    generated_id(gen);
    /* which raw socket is peer-A: send to it and see which one reads */
    zt_assert(ssend(cli, named, "to-A", 4, 0) == 4, "send to peer-A");
    zt_assert(ssend(cli, gen, "to-G", 4, 0) == 4, "send to the other");
    char x[4], y[4];
    raw_recv_exact(a, x, 4);
    raw_recv_exact(b, y, 4);
    zt_assert((memcmp(x, "to-A", 4) == 0 && memcmp(y, "to-G", 4) == 0) ||
                  (memcmp(x, "to-G", 4) == 0 && memcmp(y, "to-A", 4) == 0),
              "each peer got its own");
    close(a);
    close(b);
    zaio_close(cli);
    rl_close(&l);
    th_term(ctx);
}

ZT_TEST(stream, connect_routing_id_tcp, 30) { connect_routing_id(false); }
ZT_TEST(stream, connect_routing_id_ipc, 30) { connect_routing_id(true); }

ZT_TEST(stream, options_and_refusals_as_libzmq, 20)
{
    void *ctx = zaio_ctx_new();
    void *st = th_socket(ctx, ZAIO_STREAM), *d = th_socket(ctx, ZAIO_DEALER);
    int v = 2;
    zt_assert(zaio_setsockopt(st, ZAIO_STREAM_NOTIFY, &v, sizeof v) == -1 && zaio_errno() == EINVAL,
              "STREAM_NOTIFY takes 0 or 1");
    v = 0;
    zt_assert(zaio_setsockopt(st, ZAIO_STREAM_NOTIFY, &v, sizeof v) == 0, "STREAM_NOTIFY 0");
    size_t len = sizeof v;
    zt_assert(zaio_getsockopt(st, ZAIO_STREAM_NOTIFY, &v, &len) == -1 && zaio_errno() == EINVAL,
              "STREAM_NOTIFY is write-only");
    zt_assert(zaio_setsockopt(d, ZAIO_STREAM_NOTIFY, &v, sizeof v) == -1 && zaio_errno() == EINVAL,
              "STREAM_NOTIFY is STREAM's");
    zt_assert(zaio_setsockopt(d, ZAIO_CONNECT_ROUTING_ID, "a", 1) == -1 && zaio_errno() == EINVAL,
              "a DEALER takes no CONNECT_ROUTING_ID");
    len = sizeof v;
    zt_assert(zaio_getsockopt(st, ZAIO_TYPE, &v, &len) == 0 && v == ZAIO_STREAM, "TYPE");
    /* no raw peer lives in the process */
    zt_assert(zaio_bind(st, "inproc://stream") == -1 && zaio_errno() == ZAIO_ENOCOMPATPROTO,
              "inproc bind");
    zt_assert(zaio_connect(st, "inproc://stream") == -1 && zaio_errno() == ZAIO_ENOCOMPATPROTO,
              "inproc connect");
    /* an id nobody has */
    zt_assert(zaio_send(st, "\0\0\0\0\1", 5, ZAIO_SNDMORE) == -1 && zaio_errno() == EHOSTUNREACH,
              "unknown id: %s", zaio_strerror(zaio_errno()));
    zt_assert(zaio_send(st, "nobody", 6, ZAIO_SNDMORE | ZAIO_DONTWAIT) == -1 &&
                  zaio_errno() == EHOSTUNREACH,
              "unknown id, DONTWAIT");
    /* an id alone is dropped; the next message starts afresh */
    zt_assert(zaio_send(st, "nobody", 6, 0) == 6, "a lone id frame");
    zt_assert(zaio_send(st, "nobody", 6, ZAIO_SNDMORE) == -1 && zaio_errno() == EHOSTUNREACH,
              "the next frame is an id again");
    zaio_close(d);
    zaio_close(st);
    th_term(ctx);
}

/* ---- a ZMTP peer is data to a STREAM ------------------------------------------------------ */

ZT_TEST(stream, a_zmtp_peer_is_only_bytes, 20)
{
    void *ctx = zaio_ctx_new();
    void *srv = stream_socket(ctx), *d = th_socket(ctx, ZAIO_DEALER);
    char ep[256];
    th_bind(srv, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(d, ep);
    peer_id id, id2;
    srecv_notice(srv, &id);
    uint8_t g[64];
    size_t n = srecv(srv, &id2, g, sizeof g);
    same_id(&id, &id2);
    /* the DEALER's greeting arrives as data: signature 0xFF ... 0x7F, never answered */
    zt_assert(n >= 10 && g[0] == 0xFF && g[9] == 0x7F, "a ZMTP signature as data (%zu bytes)", n);
    zt_assert(ssend(srv, &id, "", 0, 0) == 0, "close it");
    zaio_close(d);
    zaio_close(srv);
    th_term(ctx);
}

/* ---- large data both ways, and SNDHWM per peer -------------------------------------------- */

static void large_and_hwm(bool ipc)
{
    enum { BIG = 1 << 20 };
    void *ctx = zaio_ctx_new();
    void *srv = stream_socket(ctx);
    th_set_int(srv, ZAIO_SNDHWM, 2);
    char ep[256];
    th_bind(srv, any_ep(ipc), ep, sizeof ep);
    int slow = raw_connect(ep), fast = raw_connect(ep);
    peer_id a, b;
    srecv_notice(srv, &a);
    srecv_notice(srv, &b);
    /* which is which: the fast one says so */
    th_raw_send(fast, "F", 1);
    peer_id f;
    char c;
    zt_assert(srecv(srv, &f, &c, 1) == 1 && c == 'F', "F");
    peer_id s = (f.n == a.n && memcmp(f.b, a.b, a.n) == 0) ? b : a;

    /* 1 MiB in, as chunks of at most the read buffer */
    uint8_t *big = malloc(BIG), *back = malloc(BIG);
    zt_assert(big && back, "memory");
    for (size_t i = 0; i < BIG; i++)
        big[i] = (uint8_t)(i * 7 + (i >> 13));
    th_raw_send(fast, big, BIG);
    size_t have = 0;
    while (have < BIG) {
        peer_id x;
        size_t n = srecv(srv, &x, back + have, BIG - have);
        same_id(&x, &f);
        zt_assert(n > 0 && n <= 65536, "a chunk of %zu bytes", n);
        have += n;
    }
    zt_assert(have == BIG && memcmp(back, big, BIG) == 0, "the megabyte in order");
    /* and out, in one frame (its own buffer, no copy) */
    zt_assert(ssend(srv, &f, big, BIG, 0) == BIG, "send 1 MiB");
    memset(back, 0, BIG);
    raw_recv_exact(fast, back, BIG);
    zt_assert(memcmp(back, big, BIG) == 0, "the megabyte out");

    /* a peer that does not read fills its pipe: EAGAIN on its id frame, while the
     * other peer still takes messages */
    int sent = 0, rc = 0;
    for (; sent < 1000; sent++) {
        rc = ssend(srv, &s, big, 256 * 1024, ZAIO_DONTWAIT);
        if (rc < 0)
            break;
    }
    zt_assert(rc == -1 && zaio_errno() == EAGAIN, "EAGAIN at the slow peer's HWM (%d sent): %s", sent,
              zaio_strerror(zaio_errno()));
    zt_assert(ssend(srv, &f, "still", 5, ZAIO_DONTWAIT) == 5, "the other peer is not blocked");
    raw_recv_exact(fast, back, 5);
    zt_assert(memcmp(back, "still", 5) == 0, "still");
    /* the slow one reads it all: then it takes messages again, and the last goes */
    size_t want = (size_t)sent * 256 * 1024;
    uint8_t *sink = malloc(want);
    zt_assert(sink, "memory");
    raw_recv_exact(slow, sink, want);
    free(sink);
    zt_assert(ssend(srv, &s, "end", 3, 0) == 3, "room again: %s", zaio_strerror(zaio_errno()));
    raw_recv_exact(slow, back, 3);
    zt_assert(memcmp(back, "end", 3) == 0, "end");
    free(big);
    free(back);
    close(slow);
    close(fast);
    zaio_close(srv);
    th_term(ctx);
}

ZT_TEST(stream, large_data_and_sndhwm_per_peer_tcp, 60) { large_and_hwm(false); }
ZT_TEST(stream, large_data_and_sndhwm_per_peer_ipc, 60) { large_and_hwm(true); }

/* ---- a peer that resets, with data queued for it; the monitor ------------------------------ */

static void peer_resets(bool ipc)
{
    void *ctx = zaio_ctx_new();
    void *srv = stream_socket(ctx);
    void *mon = th_monitor(ctx, srv, "inproc://stream-mon", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(srv, any_ep(ipc), ep, sizeof ep);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_LISTENING, WAIT_MS, NULL), "LISTENING");
    int fd = raw_connect(ep);
    peer_id id, id2;
    srecv_notice(srv, &id);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_ACCEPTED, WAIT_MS, NULL), "ACCEPTED");
    /* more than the socket buffers hold, to a peer that never reads */
    enum { CHUNK = 512 * 1024 };
    uint8_t *junk = calloc(1, CHUNK);
    zt_assert(junk, "memory");
    for (int i = 0; i < 16; i++)
        if (ssend(srv, &id, junk, CHUNK, ZAIO_DONTWAIT) < 0)
            break;
    free(junk);
    raw_reset(fd);
    srecv_notice(srv, &id2); /* the disconnect notice */
    same_id(&id, &id2);
    /* no handshake to report on a raw connection: the next event is the loss */
    int ev = th_event(mon, WAIT_MS, NULL);
    zt_assert(ev == ZAIO_EVENT_DISCONNECTED, "DISCONNECTED next, got 0x%x", ev);
    wait_unreachable(srv, &id);
    th_wait_quiet(ctx, WAIT_MS);
    zaio_close(srv);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CLOSED, WAIT_MS, NULL), "CLOSED");
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(stream, peer_resets_with_data_queued_tcp, 30) { peer_resets(false); }
ZT_TEST(stream, peer_resets_with_data_queued_ipc, 30) { peer_resets(true); }

/* A connecting STREAM's monitor: CONNECTED, and DISCONNECTED when the listener's side
 * resets, never a handshake event. */
ZT_TEST(stream, monitor_connect_side_tcp, 30)
{
    void *ctx = zaio_ctx_new();
    raw_listener l;
    rl_open(&l, false);
    void *cli = stream_socket(ctx);
    th_set_int(cli, ZAIO_RECONNECT_IVL, -1);
    void *mon = th_monitor(ctx, cli, "inproc://stream-mon-c", ZAIO_EVENT_ALL);
    th_connect(cli, l.ep);
    int fd = rl_accept(&l);
    peer_id id;
    srecv_notice(cli, &id);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CONNECTED, WAIT_MS, NULL), "CONNECTED");
    raw_reset(fd);
    srecv_notice(cli, &id);
    int ev = th_event(mon, WAIT_MS, NULL);
    zt_assert(ev == ZAIO_EVENT_DISCONNECTED, "DISCONNECTED next, got 0x%x", ev);
    zaio_close(cli);
    zaio_close(mon);
    rl_close(&l);
    th_term(ctx);
}

/* The socket closes with connections up and data queued each way: everything goes. */
ZT_TEST(stream, close_with_peers_up_releases_everything, 30)
{
    void *ctx = zaio_ctx_new();
    void *srv = stream_socket(ctx);
    th_set_int(srv, ZAIO_LINGER, 0);
    char ep[256];
    th_bind(srv, "tcp://127.0.0.1:*", ep, sizeof ep);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = raw_connect(ep);
        th_raw_send(fds[i], "unread", 6);
    }
    peer_id id;
    srecv_notice(srv, &id);
    uint8_t *junk = calloc(1, 1 << 20);
    zt_assert(junk, "memory");
    (void)ssend(srv, &id, junk, 1 << 20, ZAIO_DONTWAIT);
    free(junk);
    zaio_close(srv);
    for (int i = 0; i < 4; i++) {
        size_t got = 0;
        zt_assert(th_raw_wait_closed(fds[i], WAIT_MS, &got), "connection %d closed", i);
        close(fds[i]);
    }
    th_term(ctx);
}

/* RCVHWM 1: the session stops receiving while the socket's pipe is full and goes on when
 * it drains; what the peer sent arrives whole and in order, with its metadata. */
static void rcvhwm_backpressure(bool ipc)
{
    enum { TOTAL = 8 << 20 };
    void *ctx = zaio_ctx_new();
    void *srv = stream_socket(ctx);
    th_set_int(srv, ZAIO_RCVHWM, 1);
    char ep[256];
    th_bind(srv, any_ep(ipc), ep, sizeof ep);
    int fd = raw_connect(ep);
    peer_id id, x;
    srecv_notice(srv, &id);
    uint8_t *out = malloc(TOTAL), *in = malloc(TOTAL);
    zt_assert(out && in, "memory");
    for (size_t i = 0; i < TOTAL; i++)
        out[i] = (uint8_t)(i ^ (i >> 11));
    size_t sent = 0, got = 0;
    int64_t end = th_now_ms() + 20000;
    while (got < TOTAL) {
        zt_assert(th_now_ms() < end, "stuck: %zu sent, %zu received", sent, got);
        if (sent < TOTAL) {
            ssize_t k = send(fd, out + sent, TOTAL - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            zt_assert(k > 0 || errno == EAGAIN || errno == EWOULDBLOCK, "raw send: %s",
                      strerror(errno));
            if (k > 0)
                sent += (size_t)k;
        }
        /* one message at a time, waiting only when the peer has nothing left to send */
        zaio_msg_t m;
        zaio_msg_init(&m);
        int n = zaio_msg_recv(&m, srv, sent < TOTAL ? ZAIO_DONTWAIT : 0);
        if (n < 0) {
            zt_assert(zaio_errno() == EAGAIN, "recv: %s", zaio_strerror(zaio_errno()));
            zaio_msg_close(&m);
            continue;
        }
        zt_assert(zaio_msg_more(&m) && (size_t)n == id.n, "an id frame");
        n = zaio_msg_recv(&m, srv, 0);
        zt_assert(n > 0 && got + (size_t)n <= TOTAL, "a chunk (%d)", n);
        const char *addr = zaio_msg_gets(&m, "Peer-Address");
        zt_assert(addr != NULL, "Peer-Address on a STREAM message");
        memcpy(in + got, zaio_msg_data(&m), (size_t)n);
        got += (size_t)n;
        zaio_msg_close(&m);
    }
    zt_assert(memcmp(in, out, TOTAL) == 0, "8 MiB whole and in order");
    free(in);
    free(out);
    close(fd);
    srecv_notice(srv, &x);
    same_id(&id, &x);
    zaio_close(srv);
    th_term(ctx);
}

ZT_TEST(stream, rcvhwm_backpressure_keeps_order_tcp, 60) { rcvhwm_backpressure(false); }
ZT_TEST(stream, rcvhwm_backpressure_keeps_order_ipc, 60) { rcvhwm_backpressure(true); }
