/* test_pattern_util.h - what the socket-type tests (test_pattern_*.c) share: sockets
 * made with a receive timeout as a safety net (a lost message fails the test instead
 * of hanging it), string frames, and the closing check every test ends with: the
 * sockets and the context closed, zaio_stats' live counters are back at zero. */
#ifndef ZAIO_TEST_PATTERN_UTIL_H
#define ZAIO_TEST_PATTERN_UTIL_H

#include "aio.h"
#include "zaio.h"
#include "zt.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define PT_TIMEOUT_MS 5000 /* safety net only: every message expected is on its way */

static inline void pt_setint(void *s, int opt, int v)
{
    zt_assert(zaio_setsockopt(s, opt, &v, sizeof v) == 0, "setsockopt %d=%d: %s", opt, v,
              zaio_strerror(zaio_errno()));
}

static inline void *pt_socket(void *ctx, int type)
{
    void *s = zaio_socket(ctx, type);
    zt_assert(s != NULL, "socket type %d: %s", type, zaio_strerror(zaio_errno()));
    pt_setint(s, ZAIO_RCVTIMEO, PT_TIMEOUT_MS);
    pt_setint(s, ZAIO_LINGER, 0);
    return s;
}

static inline void pt_bind(void *s, const char *ep)
{
    zt_assert(zaio_bind(s, ep) == 0, "bind %s: %s", ep, zaio_strerror(zaio_errno()));
}

static inline void pt_connect(void *s, const char *ep)
{
    zt_assert(zaio_connect(s, ep) == 0, "connect %s: %s", ep, zaio_strerror(zaio_errno()));
}

static inline void pt_send(void *s, const char *text, int flags)
{
    int n = zaio_send(s, text, strlen(text), flags);
    zt_assert(n == (int)strlen(text), "send '%s': %s", text, zaio_strerror(zaio_errno()));
}

static inline void pt_subscribe(void *s, const char *topic)
{
    zt_assert(zaio_setsockopt(s, ZAIO_SUBSCRIBE, topic, strlen(topic)) == 0, "subscribe %s: %s",
              topic, zaio_strerror(zaio_errno()));
}

static inline void pt_unsubscribe(void *s, const char *topic)
{
    zt_assert(zaio_setsockopt(s, ZAIO_UNSUBSCRIBE, topic, strlen(topic)) == 0,
              "unsubscribe %s: %s", topic, zaio_strerror(zaio_errno()));
}

/* Sends a frame of len bytes (binary). */
static inline void pt_sendb(void *s, const void *data, size_t len, int flags)
{
    int n = zaio_send(s, data, len, flags);
    zt_assert(n == (int)len, "send %zu bytes: %s", len, zaio_strerror(zaio_errno()));
}

/* Receives one frame and checks its body and whether more follow. */
static inline void pt_recv_is(void *s, const char *want, bool more)
{
    char buf[512];
    int n = zaio_recv(s, buf, sizeof buf, 0);
    zt_assert(n >= 0, "recv (want '%s'): %s", want, zaio_strerror(zaio_errno()));
    zt_assert(n == (int)strlen(want) && memcmp(buf, want, (size_t)n) == 0,
              "got '%.*s' (%d bytes), want '%s'", n > (int)sizeof buf ? (int)sizeof buf : n, buf,
              n, want);
    int rcvmore = 0;
    size_t len = sizeof rcvmore;
    zt_assert(zaio_getsockopt(s, ZAIO_RCVMORE, &rcvmore, &len) == 0, "rcvmore");
    zt_assert(rcvmore == (int)more, "'%s': RCVMORE %d, want %d", want, rcvmore, (int)more);
}

/* Receives one frame and checks it byte for byte (for bodies with zero bytes). */
static inline void pt_recv_bin(void *s, const void *want, size_t len, bool more)
{
    char buf[512];
    int n = zaio_recv(s, buf, sizeof buf, 0);
    zt_assert(n >= 0, "recv: %s", zaio_strerror(zaio_errno()));
    zt_assert(n == (int)len && memcmp(buf, want, len) == 0, "got %d bytes, want %zu", n, len);
    int rcvmore = 0;
    size_t sz = sizeof rcvmore;
    zt_assert(zaio_getsockopt(s, ZAIO_RCVMORE, &rcvmore, &sz) == 0 && rcvmore == (int)more,
              "RCVMORE %d, want %d", rcvmore, (int)more);
}

/* Receives one frame into buf (at most cap bytes); returns its size. */
static inline int pt_recvb(void *s, void *buf, size_t cap)
{
    int n = zaio_recv(s, buf, cap, 0);
    zt_assert(n >= 0, "recv: %s", zaio_strerror(zaio_errno()));
    return n;
}

/* Nothing to receive now. */
static inline void pt_recv_none(void *s)
{
    char buf[64];
    int n = zaio_recv(s, buf, sizeof buf, ZAIO_DONTWAIT);
    zt_assert(n == -1 && zaio_errno() == EAGAIN, "expected nothing, got %d bytes '%.*s' (%s)", n,
              n > 0 ? (n > 64 ? 64 : n) : 0, buf, n < 0 ? zaio_strerror(zaio_errno()) : "");
}

static inline int pt_events(void *s)
{
    int ev = 0;
    size_t len = sizeof ev;
    zt_assert(zaio_getsockopt(s, ZAIO_EVENTS, &ev, &len) == 0, "events");
    return ev;
}

/* Closes the sockets (a NULL-terminated list), checks zaio_stats, ends the context
 * and checks the process-wide counters once it has drained. */
static inline void pt_close_all(void *ctx, ...)
{
    va_list ap;
    va_start(ap, ctx);
    for (void *s = va_arg(ap, void *); s; s = va_arg(ap, void *))
        zt_assert(zaio_close(s) == 0, "close: %s", zaio_strerror(zaio_errno()));
    va_end(ap);
    zaio_stats_t st;
    zt_assert(zaio_stats(ctx, &st) == 0, "stats");
    zt_assert(st.zsockets == 0, "sockets still open: %lld", (long long)st.zsockets);
    /* TCP sessions release their buffers on their I/O thread after the close, so the
     * rest is checked once the context has ended and waited for them: the counters
     * zaio_stats sums are the process's, read here directly since ctx is gone */
    zt_assert(zaio_ctx_term(ctx) == 0, "term: %s", zaio_strerror(zaio_errno()));
    aio_stats as;
    aio_stats_get(&as);
    zt_assert(aio_stats_live_zero(&as), "live counters: sockets %lld ops %lld bufs %lld",
              (long long)as.sockets, (long long)as.ops_in_flight, (long long)as.bufs);
}

#endif
