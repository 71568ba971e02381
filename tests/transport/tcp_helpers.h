/* tcp_helpers.h - what the TCP tests share: the end-of-test check (context terminated,
 * every live counter zero), monitor events, and raw loopback sockets playing a probe or
 * a hand-driven ZMTP peer. Linux sockets (the TCP tests run on the Linux backends). */
#ifndef ZAIO_TESTS_TCP_HELPERS_H
#define ZAIO_TESTS_TCP_HELPERS_H

#include "aio.h"
#include "zaio.h"
#include "zmtp.h"
#include "zt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline int64_t th_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void th_sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

static inline void th_set_int(void *s, int opt, int v)
{
    zt_assert(zaio_setsockopt(s, opt, &v, sizeof v) == 0, "setsockopt %d: %s", opt,
              zaio_strerror(zaio_errno()));
}

/* Waits until the context has no TCP connection or handshake left. */
static inline void th_wait_quiet(void *ctx, int timeout_ms)
{
    zaio_stats_t st;
    int64_t end = th_now_ms() + timeout_ms;
    for (;;) {
        zt_assert(zaio_stats(ctx, &st) == 0, "stats");
        if (st.connections == 0 && st.handshakes == 0)
            return;
        zt_assert(th_now_ms() < end, "still %lld connections, %lld handshakes",
                  (long long)st.connections, (long long)st.handshakes);
        th_sleep_ms(5);
    }
}

/* Every test ends here: sockets closed by the caller, then the context. */
static inline void th_term(void *ctx)
{
    th_wait_quiet(ctx, 5000);
    zt_assert(zaio_ctx_term(ctx) == 0, "term: %s", zaio_strerror(zaio_errno()));
    aio_stats st;
    aio_stats_get(&st);
    zt_assert(aio_stats_live_zero(&st),
              "live: sockets %lld accept %lld ops %lld bufs %lld bytes %lld ports %lld",
              (long long)st.sockets, (long long)st.accept_sockets, (long long)st.ops_in_flight,
              (long long)st.bufs, (long long)st.buf_bytes, (long long)st.ports);
}

static inline void *th_socket(void *ctx, int type)
{
    void *s = zaio_socket(ctx, type);
    zt_assert(s, "socket %d: %s", type, zaio_strerror(zaio_errno()));
    return s;
}

static inline void th_bind(void *s, const char *ep, char *out, size_t cap)
{
    zt_assert(zaio_bind(s, ep) == 0, "bind %s: %s", ep, zaio_strerror(zaio_errno()));
    size_t len = cap;
    zt_assert(zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, out, &len) == 0, "last endpoint");
}

/* Binds an address a closed socket or an unbind just released: as with libzmq, the
 * listener lets go of its port on its I/O thread shortly after the call returns. */
static inline void th_rebind(void *s, const char *ep)
{
    int64_t end = th_now_ms() + 3000;
    while (zaio_bind(s, ep) != 0) {
        zt_assert(zaio_errno() == EADDRINUSE && th_now_ms() < end, "rebind %s: %s", ep,
                  zaio_strerror(zaio_errno()));
        th_sleep_ms(5);
    }
}

static inline void th_connect(void *s, const char *ep)
{
    zt_assert(zaio_connect(s, ep) == 0, "connect %s: %s", ep, zaio_strerror(zaio_errno()));
}

static inline void th_send(void *s, const void *data, size_t len, int flags)
{
    int n = zaio_send(s, data, len, flags);
    zt_assert(n == (int)len, "send %zu bytes: %s", len, zaio_strerror(zaio_errno()));
}

/* A send that may find no peer: a client refused during its handshake loses its pipe
 * when it gives up, which can come before this send (then EAGAIN, not a block). */
static inline void th_send_maybe(void *s, const char *str)
{
    int rc = zaio_send(s, str, strlen(str), ZAIO_DONTWAIT);
    zt_assert(rc == (int)strlen(str) || zaio_errno() == EAGAIN, "send: %s",
              zaio_strerror(zaio_errno()));
}

static inline void th_send_str(void *s, const char *str, int flags)
{
    th_send(s, str, strlen(str), flags);
}

static inline void th_recv_str(void *s, const char *want)
{
    char buf[512];
    int n = zaio_recv(s, buf, sizeof buf, 0);
    zt_assert(n >= 0, "recv (want '%s'): %s", want, zaio_strerror(zaio_errno()));
    zt_assert(n == (int)strlen(want) && memcmp(buf, want, (size_t)n) == 0, "got '%.*s', want '%s'",
              n > 512 ? 512 : n, buf, want);
}

/* A socket of bind_type bound to a loopback port (*ep: its endpoint) and one of
 * conn_type connected to it. */
static inline void th_tcp_pair(void *ctx, int bind_type, int conn_type, void **b, void **c,
                               char *ep, size_t cap)
{
    *b = th_socket(ctx, bind_type);
    *c = th_socket(ctx, conn_type);
    th_bind(*b, "tcp://127.0.0.1:*", ep, cap);
    th_connect(*c, ep);
}

/* ---- monitor ------------------------------------------------------------------------- */

static inline void *th_monitor(void *ctx, void *s, const char *ep, int events)
{
    zt_assert(zaio_socket_monitor(s, ep, events) == 0, "monitor: %s", zaio_strerror(zaio_errno()));
    void *m = zaio_socket(ctx, ZAIO_PAIR);
    zt_assert(m, "pair");
    th_connect(m, ep);
    return m;
}

/* The next event, or -1 after timeout_ms. */
static inline int th_event(void *mon, int timeout_ms, uint32_t *value)
{
    th_set_int(mon, ZAIO_RCVTIMEO, timeout_ms);
    uint8_t f1[6];
    char f2[300];
    if (zaio_recv(mon, f1, sizeof f1, 0) != 6)
        return -1;
    int n = zaio_recv(mon, f2, sizeof f2, 0);
    zt_assert(n >= 0, "event endpoint frame");
    uint16_t ev;
    memcpy(&ev, f1, 2);
    if (value)
        memcpy(value, f1 + 2, 4);
    return ev;
}

/* Skips events until want arrives; false after timeout_ms. */
static inline bool th_wait_event(void *mon, int want, int timeout_ms, uint32_t *value)
{
    int64_t end = th_now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(end - th_now_ms());
        if (left <= 0)
            return false;
        int ev = th_event(mon, left, value);
        if (ev == want)
            return true;
        if (ev < 0)
            return false;
    }
}

/* ---- raw peers --------------------------------------------------------------------------- */

/* "tcp://127.0.0.1:port" or "tcp://[::1]:port" -> a connected blocking socket. */
static inline int th_raw_connect(const char *ep)
{
    const char *hp = ep + 6;
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    const char *colon = strrchr(hp, ':');
    int port = atoi(colon + 1);
    char host[64];
    if (hp[0] == '[') {
        snprintf(host, sizeof host, "%.*s", (int)(colon - hp - 2), hp + 1);
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
        len = sizeof *a;
    } else {
        snprintf(host, sizeof host, "%.*s", (int)(colon - hp), hp);
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a->sin_addr);
        len = sizeof *a;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    zt_assert(fd >= 0, "socket");
    zt_assert(connect(fd, (struct sockaddr *)&ss, len) == 0, "raw connect %s: %s", ep,
              strerror(errno));
    return fd;
}

static inline void th_raw_send(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        zt_assert(k > 0, "raw send: %s", strerror(errno));
        b += k;
        n -= (size_t)k;
    }
}

/* Reads (and throws away) what the server sends until it closes the connection: true,
 * or until timeout_ms pass: false. *got counts the bytes read. */
static inline bool th_raw_wait_closed(int fd, int timeout_ms, size_t *got)
{
    int64_t end = th_now_ms() + timeout_ms;
    uint8_t buf[4096];
    for (;;) {
        int left = (int)(end - th_now_ms());
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k == 0 || (k < 0 && errno == ECONNRESET))
            return true;
        if (k > 0 && got)
            *got += (size_t)k;
    }
}

/* A hand-driven ZMTP peer: runs cfg's handshake to its end over a blocking socket to
 * ep and returns the socket; with CURVE *crypto gets the session (crypto NULL: none). */
static inline int th_raw_zmtp_handshake(const char *ep, const zmtp_handshake_config *cfg,
                                        zmtp_crypto **crypto)
{
    int fd = th_raw_connect(ep);
    int err;
    zmtp_handshake *h = zmtp_handshake_new(cfg, &err);
    zt_assert(h, "handshake");
    uint8_t buf[4096];
    for (;;) {
        const uint8_t *out;
        size_t n = zmtp_handshake_output(h, &out);
        if (n) {
            th_raw_send(fd, out, n);
            zmtp_handshake_sent(h, n);
        }
        if (zmtp_handshake_status(h) == ZMTP_HS_DONE)
            break;
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        zt_assert(k > 0, "raw handshake recv");
        ptrdiff_t used = zmtp_handshake_feed(h, buf, (size_t)k);
        zt_assert(used >= 0, "raw handshake: %s", zmtp_strerror((int)used));
    }
    if (crypto)
        *crypto = zmtp_handshake_take_crypto(h);
    zmtp_handshake_free(h);
    return fd;
}

/* Large frames (received straight into the message, together with the start of what
 * follows) back to back with small ones and with each other, sizes around the
 * thresholds, each body checked byte for byte: a byte of the next frame lost, moved or
 * read twice fails. Everything is sent before anything is received, so with a small
 * RCVHWM on pull the session stops with a frame's head in its buffer and goes on later. */
static inline uint8_t th_mixed_byte(size_t seq, size_t k) { return (uint8_t)(k * 7 + seq * 13 + (k >> 8)); }

static inline void th_mixed_frames(void *push, void *pull)
{
    static const size_t sizes[] = {65536, 10, 100000, 40000, 1, 33000, 32768 + 1024 + 5,
                                   300000, 0, 70000, 33792, 33793, 9000};
    enum { ROUNDS = 6, N = sizeof sizes / sizeof *sizes };
    for (size_t i = 0; i < ROUNDS * N; i++) {
        size_t n = sizes[i % N];
        zaio_msg_t m;
        zt_assert(zaio_msg_init_size(&m, n) == 0, "init %zu", n);
        uint8_t *d = zaio_msg_data(&m);
        for (size_t k = 0; k < n; k++)
            d[k] = th_mixed_byte(i, k);
        zt_assert(zaio_msg_send(&m, push, 0) == (int)n, "send %zu: %s", n,
                  zaio_strerror(zaio_errno()));
    }
    for (size_t i = 0; i < ROUNDS * N; i++) {
        size_t n = sizes[i % N];
        zaio_msg_t r;
        zaio_msg_init(&r);
        zt_assert(zaio_msg_recv(&r, pull, 0) == (int)n, "message %zu: %zu bytes expected", i, n);
        const uint8_t *rd = zaio_msg_data(&r);
        size_t bad = n;
        for (size_t k = 0; k < n && bad == n; k++)
            if (rd[k] != th_mixed_byte(i, k))
                bad = k;
        zt_assert(bad == n, "message %zu (%zu bytes): byte %zu differs", i, n, bad);
        zaio_msg_close(&r);
    }
}

/* The NULL handshake as `type`, saying props of itself in READY. */
static inline int th_raw_zmtp_peer_props(const char *ep, int type, const zmtp_property *props,
                                         size_t nprops)
{
    zmtp_handshake_config cfg = {.socket_type = type, .mechanism = ZMTP_MECH_NULL,
                                 .props = props, .nprops = nprops};
    return th_raw_zmtp_handshake(ep, &cfg, NULL);
}

static inline int th_raw_zmtp_peer(const char *ep, int type)
{
    return th_raw_zmtp_peer_props(ep, type, NULL, 0);
}

#endif
