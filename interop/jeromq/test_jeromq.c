/* zaio against JeroMQ 0.3.6 (Debian's libjeromq-java), which greets as ZMTP 2.0: the
 * common pairings, each with zaio binding and with JeroMQ binding, a socket with PLAIN
 * refusing the old peer as libzmq 4.3.4 does, and a connection that outlives three
 * handshake intervals (libzmq 4.3.4 drops such a peer every HANDSHAKE_IVL: its issue
 * 4106). The JeroMQ side is JeromqPeer.java, one java process per test, scripted by its
 * arguments (see there); the build compiles it and passes where it is. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zaio.h"

enum { N = 20 };

static void assert_released(void)
{
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.accept_sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0 &&
                  st.buf_bytes == 0,
              "live: sockets %lld accept %lld ops %lld bufs %lld", (long long)st.sockets,
              (long long)st.accept_sockets, (long long)st.ops_in_flight, (long long)st.bufs);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the java process ---------------------------------------------------------------- */

typedef struct jpeer {
    pid_t pid;
    int out, in; /* its stdout (we read), its stdin (we write) */
    char buf[4096];
    size_t have;
} jpeer;

static void jpeer_start(jpeer *p, const char *type, const char *role, const char *ep, int count,
                        int gap_ms)
{
    int o[2], i[2];
    cr_assert_eq(pipe(o), 0);
    cr_assert_eq(pipe(i), 0);
    char n[16], gap[16];
    snprintf(n, sizeof n, "%d", count);
    snprintf(gap, sizeof gap, "%d", gap_ms);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* the java peer dies with the test, whichever way the test ends */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(o[1], 1);
        dup2(i[0], 0);
        close(o[0]);
        close(o[1]);
        close(i[0]);
        close(i[1]);
        execl(ZAIO_JAVA, "java", "-Xshare:auto", "-cp", ZAIO_JEROMQ_CP, "JeromqPeer", type, role,
              ep, n, gap, (char *)NULL);
        _exit(127);
    }
    close(o[1]);
    close(i[0]);
    *p = (jpeer){.pid = pid, .out = o[0], .in = i[1]};
}

/* The peer's next line, without its newline; false when none came in timeout_ms. */
static bool jpeer_line(jpeer *p, char *line, size_t cap, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->have);
        if (nl) {
            size_t len = (size_t)(nl - p->buf);
            snprintf(line, cap, "%.*s", (int)len, p->buf);
            p->have -= len + 1;
            memmove(p->buf, nl + 1, p->have);
            return true;
        }
        int left = (int)(end - now_ms());
        if (left < 0)
            left = 0;
        struct pollfd pf = {.fd = p->out, .events = POLLIN};
        int rc = poll(&pf, 1, left);
        if (rc <= 0)
            return false;
        ssize_t r = read(p->out, p->buf + p->have, sizeof p->buf - 1 - p->have);
        if (r <= 0)
            return false;
        p->have += (size_t)r;
    }
}

/* Waits for the peer's exit; its status (the test's ctest TIMEOUT is the backstop). */
static int jpeer_end(jpeer *p)
{
    int st = 0;
    close(p->in);
    close(p->out);
    waitpid(p->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void jpeer_expect_done(jpeer *p)
{
    char line[512];
    cr_assert(jpeer_line(p, line, sizeof line, 30000), "no word from the JeroMQ peer");
    cr_assert_str_eq(line, "DONE ok", "JeroMQ peer: %s", line);
    cr_assert_eq(jpeer_end(p), 0, "the JeroMQ peer's exit status");
}

/* ---- zaio's side --------------------------------------------------------------------- */

static void set_int(void *s, int opt, int v)
{
    cr_assert_eq(zaio_setsockopt(s, opt, &v, sizeof v), 0);
}

static void *monitor(void *ctx, void *s, const char *ep)
{
    cr_assert_eq(zaio_socket_monitor(s, ep, ZAIO_EVENT_ALL), 0);
    void *m = zaio_socket(ctx, ZAIO_PAIR);
    cr_assert_eq(zaio_connect(m, ep), 0);
    return m;
}

/* The next event, or -1 after timeout_ms. */
static int event(void *mon, int timeout_ms, uint32_t *value)
{
    set_int(mon, ZAIO_RCVTIMEO, timeout_ms);
    uint8_t f1[6];
    char f2[300];
    if (zaio_recv(mon, f1, sizeof f1, 0) != 6)
        return -1;
    cr_assert_geq(zaio_recv(mon, f2, sizeof f2, 0), 0);
    uint16_t ev;
    memcpy(&ev, f1, 2);
    if (value)
        memcpy(value, f1 + 2, 4);
    return ev;
}

/* Events seen so far, as a mask. */
static int drain_events(void *mon)
{
    int seen = 0, ev;
    while ((ev = event(mon, 0, NULL)) > 0)
        seen |= ev;
    return seen;
}

static void recv_str(void *s, char *buf, size_t cap, const char *what)
{
    int n = zaio_recv(s, buf, cap - 1, 0);
    cr_assert_geq(n, 0, "zaio: %s: %s", what, zaio_strerror(zaio_errno()));
    buf[n < (int)cap - 1 ? n : (int)cap - 1] = 0;
}

static void send_str(void *s, const char *m, int flags)
{
    cr_assert_eq(zaio_send(s, m, strlen(m), flags), (int)strlen(m), "zaio send: %s",
                 zaio_strerror(zaio_errno()));
}

static const char *peer_of(int type)
{
    switch (type) {
    case ZAIO_REQ: return "REP";
    case ZAIO_REP: return "REQ";
    case ZAIO_DEALER: return "ROUTER";
    case ZAIO_ROUTER: return "DEALER";
    case ZAIO_PUSH: return "PULL";
    case ZAIO_PULL: return "PUSH";
    case ZAIO_PUB: return "SUB";
    default: return "PUB"; /* ZAIO_SUB */
    }
}

/* zaio's half of each pairing (JeromqPeer.java has the other). */
static void zaio_half(int type, void *s, jpeer *p)
{
    char buf[256], want[300], line[512];
    switch (type) {
    case ZAIO_REP:
        for (int i = 0; i < N; i++) {
            recv_str(s, buf, sizeof buf, "request");
            snprintf(want, sizeof want, "req-%d", i);
            cr_assert_str_eq(buf, want);
            snprintf(want, sizeof want, "rep:%s", buf);
            send_str(s, want, 0);
        }
        break;
    case ZAIO_REQ:
        for (int i = 0; i < N; i++) {
            snprintf(want, sizeof want, "req-%d", i);
            send_str(s, want, 0);
            recv_str(s, buf, sizeof buf, "reply");
            cr_assert_eq(strncmp(buf, "rep:", 4), 0, "%s", buf);
            cr_assert_str_eq(buf + 4, want);
        }
        break;
    case ZAIO_ROUTER:
        for (int i = 0; i < N; i++) {
            uint8_t id[256];
            int idn = zaio_recv(s, id, sizeof id, 0);
            cr_assert_gt(idn, 0, "a routing id for the JeroMQ dealer");
            recv_str(s, buf, sizeof buf, "routed body");
            snprintf(want, sizeof want, "d-%d", i);
            cr_assert_str_eq(buf, want);
            cr_assert_eq(zaio_send(s, id, (size_t)idn, ZAIO_SNDMORE), idn);
            snprintf(want, sizeof want, "echo:%s", buf);
            send_str(s, want, 0);
        }
        break;
    case ZAIO_DEALER:
        for (int i = 0; i < N; i++) {
            snprintf(want, sizeof want, "d-%d", i);
            send_str(s, want, 0);
        }
        for (int i = 0; i < N; i++) {
            recv_str(s, buf, sizeof buf, "echo");
            snprintf(want, sizeof want, "echo:d-%d", i);
            cr_assert_str_eq(buf, want);
        }
        break;
    case ZAIO_PULL:
        for (int i = 0; i < N; i++) {
            recv_str(s, buf, sizeof buf, "pushed");
            snprintf(want, sizeof want, "p-%d", i);
            cr_assert_str_eq(buf, want);
        }
        break;
    case ZAIO_PUSH:
        for (int i = 0; i < N; i++) {
            snprintf(want, sizeof want, "p-%d", i);
            send_str(s, want, 0);
        }
        break;
    case ZAIO_SUB:
        for (int i = 0; i < N; i++) {
            recv_str(s, buf, sizeof buf, "publication");
            cr_assert_eq(strncmp(buf, "A:", 2), 0, "topic B leaked through: %s", buf);
        }
        cr_assert_eq(write(p->in, "stop\n", 5), 5);
        break;
    case ZAIO_PUB:
        /* publish until the JeroMQ SUB has its N (its subscription travels as a 2.0
         * message, "\x01A"); waiting for its line paces the loop */
        for (int i = 0;; i++) {
            snprintf(want, sizeof want, "A:%d", i);
            send_str(s, want, 0);
            snprintf(want, sizeof want, "B:%d", i);
            send_str(s, want, 0);
            if (jpeer_line(p, line, sizeof line, 10)) {
                cr_assert_str_eq(line, "DONE ok", "JeroMQ SUB: %s", line);
                cr_assert_eq(jpeer_end(p), 0);
                p->pid = 0;
                return;
            }
            cr_assert_lt(i, 3000, "the JeroMQ SUB got nothing in 30 s");
        }
    }
}

static void pairing(int type, bool zaio_binds)
{
    void *ctx = zaio_ctx_new();
    void *s = zaio_socket(ctx, type);
    set_int(s, ZAIO_RCVTIMEO, 10000);
    set_int(s, ZAIO_SNDTIMEO, 10000);
    set_int(s, ZAIO_LINGER, 1000);
    if (type == ZAIO_SUB)
        cr_assert_eq(zaio_setsockopt(s, ZAIO_SUBSCRIBE, "A", 1), 0);
    void *mon = monitor(ctx, s, "inproc://jeromq-mon");
    jpeer p;
    char ep[256], line[512];
    if (zaio_binds) {
        cr_assert_eq(zaio_bind(s, "tcp://127.0.0.1:*"), 0);
        size_t len = sizeof ep;
        cr_assert_eq(zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, ep, &len), 0);
        jpeer_start(&p, peer_of(type), "connect", ep, N, 0);
    } else {
        jpeer_start(&p, peer_of(type), "bind", "tcp://127.0.0.1:0", N, 0);
        cr_assert(jpeer_line(&p, line, sizeof line, 30000), "JeroMQ did not bind");
        cr_assert_eq(strncmp(line, "ENDPOINT ", 9), 0, "JeroMQ: %s", line);
        cr_assert_eq(zaio_connect(s, line + 9), 0);
    }
    zaio_half(type, s, &p);
    if (p.pid)
        jpeer_expect_done(&p);
    int seen = drain_events(mon);
    cr_assert(seen & ZAIO_EVENT_HANDSHAKE_SUCCEEDED, "no HANDSHAKE_SUCCEEDED (events %#x)", seen);
    cr_assert_not(seen & (ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                          ZAIO_EVENT_HANDSHAKE_FAILED_AUTH),
                  "a handshake failed (events %#x)", seen);
    zaio_close(mon);
    zaio_close(s);
    cr_assert_eq(zaio_ctx_term(ctx), 0);
    assert_released();
}

#define PAIRING(T)                                                                                 \
    Test(jeromq, T##_zaio_binds) { pairing(ZAIO_##T, true); }                                      \
    Test(jeromq, T##_zaio_connects) { pairing(ZAIO_##T, false); }
PAIRING(REP)
PAIRING(REQ)
PAIRING(ROUTER)
PAIRING(DEALER)
PAIRING(PULL)
PAIRING(PUSH)
PAIRING(SUB)
PAIRING(PUB)

/* No mechanism below ZMTP 3.0: a PLAIN server refuses JeroMQ's 2.0 greeting, and says
 * so as libzmq 4.3.4 does, with DISCONNECTED and no handshake event; nothing arrives. */
Test(jeromq, plain_server_refuses_zmtp_2_0)
{
    void *ctx = zaio_ctx_new();
    void *s = zaio_socket(ctx, ZAIO_PULL);
    set_int(s, ZAIO_PLAIN_SERVER, 1);
    void *mon = monitor(ctx, s, "inproc://jeromq-mon-plain");
    cr_assert_eq(zaio_bind(s, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t len = sizeof ep;
    cr_assert_eq(zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, ep, &len), 0);
    jpeer p;
    jpeer_start(&p, "PUSH", "connect", ep, 1, 0);
    int ev, seen = 0;
    while ((ev = event(mon, 30000, NULL)) > 0 && ev != ZAIO_EVENT_DISCONNECTED)
        seen |= ev;
    cr_assert_eq(ev, ZAIO_EVENT_DISCONNECTED, "the old peer was not dropped");
    cr_assert(seen & ZAIO_EVENT_ACCEPTED);
    cr_assert_not(seen & (ZAIO_EVENT_HANDSHAKE_SUCCEEDED | ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                          ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZAIO_EVENT_HANDSHAKE_FAILED_AUTH),
                  "events %#x", seen);
    char buf[16];
    cr_assert_eq(zaio_recv(s, buf, sizeof buf, ZAIO_DONTWAIT), -1, "a message got through");
    kill(p.pid, SIGKILL); /* it sent into the void and lingers; nothing more to learn */
    jpeer_end(&p);
    zaio_close(mon);
    zaio_close(s);
    cr_assert_eq(zaio_ctx_term(ctx), 0);
    assert_released();
}

/* A JeroMQ REQ and a zaio REP talk for more than three handshake intervals (1 s here,
 * 30 s by default) over one connection: libzmq 4.3.4 would cut it at each interval. */
enum { HS_IVL_MS = 1000, LONG_REQS = 20, LONG_GAP_MS = 250 };

static void long_lived(bool zaio_binds)
{
    void *ctx = zaio_ctx_new();
    void *s = zaio_socket(ctx, zaio_binds ? ZAIO_REP : ZAIO_REQ);
    set_int(s, ZAIO_HANDSHAKE_IVL, HS_IVL_MS);
    set_int(s, ZAIO_RCVTIMEO, 10000);
    set_int(s, ZAIO_LINGER, 0);
    void *mon = monitor(ctx, s, zaio_binds ? "inproc://jeromq-long-b" : "inproc://jeromq-long-c");
    jpeer p;
    char ep[256], buf[256], want[300], line[512];
    if (zaio_binds) {
        cr_assert_eq(zaio_bind(s, "tcp://127.0.0.1:*"), 0);
        size_t len = sizeof ep;
        cr_assert_eq(zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, ep, &len), 0);
        jpeer_start(&p, "REQ", "connect", ep, LONG_REQS, LONG_GAP_MS);
    } else {
        jpeer_start(&p, "REP", "bind", "tcp://127.0.0.1:0", LONG_REQS, 0);
        cr_assert(jpeer_line(&p, line, sizeof line, 30000), "JeroMQ did not bind");
        cr_assert_eq(strncmp(line, "ENDPOINT ", 9), 0, "JeroMQ: %s", line);
        cr_assert_eq(zaio_connect(s, line + 9), 0);
    }
    int64_t up = 0, last = 0;
    int handshakes = 0, disconnects = 0, failures = 0, ev;
    for (int i = 0; i < LONG_REQS; i++) {
        if (i > 0) {
            /* the events since the last exchange (never after the last one: the peer
             * then leaves); waiting for them paces our REQ as JeroMQ's REQ is paced */
            int64_t until = now_ms() + (zaio_binds ? 0 : LONG_GAP_MS);
            do {
                int left = (int)(until - now_ms());
                while ((ev = event(mon, left > 0 ? left : 0, NULL)) > 0) {
                    if (ev == ZAIO_EVENT_HANDSHAKE_SUCCEEDED && handshakes++ == 0)
                        up = now_ms();
                    disconnects += ev == ZAIO_EVENT_DISCONNECTED;
                    failures += (ev & (ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                       ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL)) != 0;
                    left = (int)(until - now_ms());
                    if (left < 0)
                        left = 0;
                }
            } while (now_ms() < until);
        }
        snprintf(want, sizeof want, "req-%d", i);
        if (zaio_binds) {
            recv_str(s, buf, sizeof buf, "request");
            cr_assert_str_eq(buf, want);
            snprintf(want, sizeof want, "rep:%s", buf);
            send_str(s, want, 0);
        } else {
            send_str(s, want, 0);
            recv_str(s, buf, sizeof buf, "reply");
            cr_assert_eq(strncmp(buf, "rep:", 4), 0);
        }
        last = now_ms();
    }
    jpeer_expect_done(&p);
    cr_assert_eq(handshakes, 1, "one connection, one handshake (%d)", handshakes);
    cr_assert_eq(disconnects, 0, "a disconnect while the old peer talked");
    cr_assert_eq(failures, 0, "a handshake failure event");
    double secs = (double)(last - up) / 1000.0;
    cr_log_info("long-lived (%s): connected %.1f s past HANDSHAKE_IVL %d ms, no disconnect",
                zaio_binds ? "zaio binds" : "JeroMQ binds", secs, HS_IVL_MS);
    fprintf(stderr, "long-lived (%s): %.1f s connected, HANDSHAKE_IVL %d ms, 0 disconnects\n",
            zaio_binds ? "zaio binds" : "JeroMQ binds", secs, HS_IVL_MS);
    cr_assert_gt(secs, 3.0 * HS_IVL_MS / 1000.0, "the test was too short to show anything");
    zaio_close(mon);
    zaio_close(s);
    cr_assert_eq(zaio_ctx_term(ctx), 0);
    assert_released();
}

Test(jeromq_long, zaio_rep_binds) { long_lived(true); }
Test(jeromq_long, zaio_req_connects) { long_lived(false); }
