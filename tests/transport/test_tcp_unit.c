/* The TCP transport's pieces on their own: the I/O thread (commands, coalesced
 * wake-ups, timers, stop) and tcp:// address parsing and formatting. */
#include "wire/wire.h"
#include "core/io_thread.h"
#include "zt.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

static void sleep_ms(int ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    usleep((useconds_t)ms * 1000);
#endif
}

static void live_zero(void)
{
    aio_stats st;
    aio_stats_get(&st);
    zt_assert(aio_stats_live_zero(&st), "live: sockets %lld ops %lld bufs %lld ports %lld",
              (long long)st.sockets, (long long)st.ops_in_flight, (long long)st.bufs,
              (long long)st.ports);
}

/* ---- the I/O thread ----------------------------------------------------------------- */

static atomic_int calls;

static void count_call(void *arg)
{
    (void)arg;
    atomic_fetch_add(&calls, 1);
}

ZT_TEST(io_thread, calls_run_on_the_thread_and_stop_is_clean, 10)
{
    zio *io;
    zt_assert(zio_new(NULL, 0, &io) == 0, "zio_new");
    for (int i = 0; i < 1000; i++)
        zt_assert(zio_call(io, count_call, NULL) == 0, "call");
    for (int i = 0; i < 200 && atomic_load(&calls) < 1000; i++)
        sleep_ms(5);
    zt_assert(atomic_load(&calls) == 1000, "ran %d of 1000", atomic_load(&calls));
    zio_free(io);
    live_zero();
}

ZT_TEST(io_thread, a_burst_is_one_wakeup, 10)
{
    zio *io;
    zt_assert(zio_new(NULL, 0, &io) == 0, "zio_new");
    aio_stats before, after;
    sleep_ms(20);
    aio_stats_get(&before);
    /* posted faster than the thread takes them: most land in a non-empty mailbox */
    for (int i = 0; i < 10000; i++)
        zio_call(io, count_call, NULL);
    for (int i = 0; i < 400 && atomic_load(&calls) < 10000; i++)
        sleep_ms(5);
    aio_stats_get(&after);
    zt_assert(atomic_load(&calls) == 10000, "ran %d", atomic_load(&calls));
    long long posts = (long long)(after.submits - before.submits);
    zt_assert(posts < 10000, "%lld wake-ups for 10000 commands", posts);
    zio_free(io);
    live_zero();
}

typedef struct tstate {
    zio *io;
    ztimer t[8];
    int64_t fired_at[8];
    int order[8];
    atomic_int nfired;
    int rearm_left;
} tstate;

static void on_timer(ztimer *t)
{
    tstate *st = t->arg;
    int i = (int)(t - st->t);
    st->fired_at[i] = zclock_ms();
    st->order[atomic_load(&st->nfired)] = i;
    atomic_fetch_add(&st->nfired, 1);
}

static tstate ts;
static int64_t t0;

static void arm_timers(void *arg)
{
    (void)arg;
    static const int ms[8] = {80, 10, 50, 30, 70, 20, 60, 40};
    t0 = zclock_ms();
    for (int i = 0; i < 8; i++) {
        ztimer_init(&ts.t[i], on_timer, &ts);
        zio_timer_start(ts.io, &ts.t[i], ms[i]);
    }
    /* cancel one, re-arm another later */
    zio_timer_cancel(ts.io, &ts.t[4]);
    zio_timer_start(ts.io, &ts.t[1], 90);
}

ZT_TEST(io_thread, timers_fire_in_order_cancel_and_rearm, 10)
{
    zt_assert(zio_new(NULL, 0, &ts.io) == 0, "zio_new");
    zio_call(ts.io, arm_timers, NULL);
    for (int i = 0; i < 100 && atomic_load(&ts.nfired) < 7; i++)
        sleep_ms(5);
    sleep_ms(50);
    zt_assert(atomic_load(&ts.nfired) == 7, "fired %d, want 7", atomic_load(&ts.nfired));
    static const int want[7] = {5, 3, 7, 2, 6, 0, 1};
    for (int i = 0; i < 7; i++)
        zt_assert(ts.order[i] == want[i], "#%d fired timer %d, want %d", i, ts.order[i], want[i]);
    zt_assert(ts.fired_at[1] - t0 >= 90, "re-armed timer fired after %lld ms",
              (long long)(ts.fired_at[1] - t0));
    zio_free(ts.io);
    live_zero();
}

/* ---- addresses ------------------------------------------------------------------------ */

static void fmt(const char *hostport, bool bind, bool ipv6, const char *want)
{
    ztcp_addr a;
    int rc = ztcp_resolve(hostport, bind, ipv6, &a);
    zt_assert(rc == 0, "resolve %s: %d", hostport, rc);
    char out[256];
    ztcp_format(&a.ss, out, sizeof out);
    zt_assert(strcmp(out, want) == 0, "%s formats as %s, want %s", hostport, out, want);
}

/* A port the kernel picked for a socket of ours that is still bound, so the forms
 * below name an endpoint nobody else can have. */
static int kernel_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    zt_assert(*fd >= 0 && bind(*fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
                  getsockname(*fd, (struct sockaddr *)&sa, &len) == 0,
              "an ephemeral port");
    return ntohs(sa.sin_port);
}

/* Parsing and formatting only: nothing here binds or connects. */
ZT_TEST(tcp_addr, forms_that_resolve, 10)
{
    int fd, port = kernel_port(&fd);
    char in[64], want[64];
    snprintf(in, sizeof in, "127.0.0.1:%d", port);
    snprintf(want, sizeof want, "tcp://127.0.0.1:%d", port);
    fmt(in, false, false, want);
    snprintf(in, sizeof in, "localhost:%d", port);
    fmt(in, false, false, want);
    close(fd);
    fmt("*:65535", true, false, "tcp://0.0.0.0:65535"); /* the largest port parses */
    fmt("127.0.0.1:*", true, false, "tcp://127.0.0.1:0");
    fmt("127.0.0.1:0", true, false, "tcp://127.0.0.1:0");
    fmt("*:5555", true, false, "tcp://0.0.0.0:5555");
    fmt("*:*", true, true, "tcp://[::]:0");
    fmt("[::1]:7", false, false, "tcp://[::1]:7");
    fmt("::1:7", false, true, "tcp://[::1]:7");
    ztcp_addr a;
    zt_assert(ztcp_resolve("[::1]:9", false, false, &a) == 0 && a.ss.ss_family == AF_INET6 &&
                  a.len == sizeof(struct sockaddr_in6), "v6 literal");
    zt_assert(ztcp_resolve("10.1.2.3:9", false, false, &a) == 0 && a.ss.ss_family == AF_INET &&
                  a.len == sizeof(struct sockaddr_in), "v4 literal");
}

ZT_TEST(tcp_addr, forms_that_do_not, 10)
{
    ztcp_addr a;
    static const char *bad_connect[] = {"127.0.0.1:*", "127.0.0.1:0", "*:5555", "127.0.0.1",
                                        "127.0.0.1:", ":5555", "[::1:5555", "[::1]5555",
                                        "127.0.0.1:65536", "127.0.0.1:12a",
                                        "127.0.0.1:-1", "no-such-host.invalid:5555", "[]:1"};
    for (size_t i = 0; i < sizeof bad_connect / sizeof *bad_connect; i++)
        zt_assert(ztcp_resolve(bad_connect[i], false, false, &a) < 0, "connect %s accepted",
                  bad_connect[i]);
    zt_assert(ztcp_resolve("300.1.1.1:1", true, false, &a) < 0, "bad literal");
    zt_assert(ztcp_resolve("127.0.0.1:123456", true, false, &a) < 0, "long port");
}
