/* allocfail_sweep.c - running out of memory, one allocation at a time (issue 15, part 3).
 *
 * The program is linked with -Wl,--wrap for malloc, calloc, realloc and strdup, so every
 * allocation zaio's objects make (they are linked statically here) goes through the
 * counter below; nothing in the library pays for it. Each scenario is run once with
 * nothing failing to count its allocations, then once for each N = 1, 2, ... with the
 * Nth allocation failing, until a run ends before reaching its Nth:
 *   dealer_router_tcp   context, ROUTER bound on tcp://127.0.0.1:*, DEALER connected,
 *                       the handshake, small and large messages both ways, close, term;
 *   pubsub_tcp_monitor  XPUB (verbose) and SUB over tcp, subscriptions, publishing, an
 *                       unsubscription, a monitor read over inproc;
 *   reqrep_ipc          REQ (RELAXED, CORRELATE) and REP over ipc://;
 *   plain_zap_tcp       PLAIN with a ZAP handler (its own thread) adding metadata;
 *   api_inproc          routing ids, a connect before its bind, messages built every way,
 *                       iovecs, zaio_poll, the poller, timers, unbind and disconnect;
 *   options_tcp         ROUTER_NOTIFY, ROUTER_MANDATORY, a routing id and METADATA over
 *                       tcp, HEARTBEAT_TTL, XPUB_WELCOME_MSG and XPUB_MANUAL.
 * Whichever thread makes the Nth allocation (the application's or an I/O thread's), the
 * failure must end as one of:
 *   - the call that needed the memory fails with ENOMEM (the scenario then closes what it
 *     has and terminates);
 *   - one connection is dropped: a message may be lost with it; over tcp and ipc the
 *     connecting side comes back and a later try gets through (over inproc nothing comes
 *     back, as in libzmq);
 *   - nothing visible (a path that copes, e.g. a timer spilled out of its heap).
 * After each run: zaio_ctx_term returned (a watchdog ends the program if a run takes 20 s),
 * every asyncio counter is zero, the process has the descriptors it had before, and
 * under ASan LeakSanitizer finds nothing unreachable. Any other outcome - a crash, a
 * wrong errno, a connection that never recovers, a leak - fails the program and names
 * the scenario, N and the failed allocation's call site.
 *
 * Usage: allocfail_sweep [--scenario NAME] [--from N] [--to N] [--verbose];
 * ZAIO_BACKEND picks the backend. */
#include "zaio.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define AF_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AF_LSAN 1
#endif
#endif
#ifdef AF_LSAN
int __lsan_do_recoverable_leak_check(void);
#endif

/* ---- the failing allocator ---------------------------------------------------------- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

#define AF_MAX_SITES 512
static atomic_bool af_armed;
static atomic_long af_count;      /* allocations made while armed */
static long af_fail_at;           /* fail the allocation with this number (0: none) */
static atomic_uintptr_t af_failed_site; /* the caller of the one that failed */
static atomic_uintptr_t af_sites[AF_MAX_SITES]; /* every call site seen while armed */

static void af_note_site(uintptr_t pc)
{
    for (int i = 0; i < AF_MAX_SITES; i++) {
        uintptr_t cur = atomic_load(&af_sites[i]);
        if (cur == pc)
            return;
        if (cur == 0) {
            uintptr_t zero = 0;
            if (atomic_compare_exchange_strong(&af_sites[i], &zero, pc) || zero == pc)
                return;
        }
    }
}

/* true when this allocation is the one to fail */
static bool af_fail(void *caller)
{
    if (!atomic_load_explicit(&af_armed, memory_order_acquire))
        return false;
    af_note_site((uintptr_t)caller);
    long k = atomic_fetch_add(&af_count, 1) + 1;
    if (k != af_fail_at)
        return false;
    atomic_store(&af_failed_site, (uintptr_t)caller);
    errno = ENOMEM;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return af_fail(__builtin_return_address(0)) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return af_fail(__builtin_return_address(0)) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return af_fail(__builtin_return_address(0)) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return af_fail(__builtin_return_address(0)) ? NULL : __real_strdup(s);
}

/* "function file:line" of a call site in this program, for the report */
static const char *site_name(uintptr_t pc, char *buf, size_t len)
{
    Dl_info info;
    snprintf(buf, len, "%p", (void *)pc);
    if (!pc || !dladdr((void *)pc, &info) || !info.dli_fbase)
        return buf;
    /* the return address is the instruction after the call: look one byte back */
    uintptr_t off = pc - (uintptr_t)info.dli_fbase - 1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "addr2line -f -s -e /proc/%d/exe 0x%lx 2>/dev/null", (int)getpid(),
             (unsigned long)off);
    FILE *f = popen(cmd, "r");
    char fn[160] = "", where[160] = "";
    if (f) {
        if (fgets(fn, sizeof fn, f) && fgets(where, sizeof where, f)) {
            fn[strcspn(fn, "\n")] = where[strcspn(where, "\n")] = 0;
            snprintf(buf, len, "%s %s", fn, where);
        } else {
            snprintf(buf, len, "exe+0x%lx", (unsigned long)off);
        }
        pclose(f);
    }
    return buf;
}

static int af_nsites(void)
{
    int n = 0;
    while (n < AF_MAX_SITES && atomic_load(&af_sites[n]))
        n++;
    return n;
}

/* ---- the watchdog: zaio_ctx_term (or anything else) must not hang ------------------- */
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static long wd_gen;       /* bumped at the end of each run */
static const char *wd_at; /* what the run is doing */
static long wd_n;

static void *watchdog(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd_lock);
    for (;;) {
        long gen = wd_gen;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 20;
        int rc = 0;
        while (wd_gen == gen && rc == 0)
            rc = pthread_cond_timedwait(&wd_cond, &wd_lock, &until);
        if (wd_gen == gen) {
            fprintf(stderr, "FAIL N=%ld: stuck for 20 s in %s (failed allocation at %p)\n", wd_n,
                    wd_at ? wd_at : "?", (void *)atomic_load(&af_failed_site));
            fflush(stderr);
            _exit(1);
        }
    }
    return NULL;
}

static void wd_step(const char *what)
{
    pthread_mutex_lock(&wd_lock);
    wd_at = what;
    pthread_mutex_unlock(&wd_lock);
}

static void wd_done(void)
{
    pthread_mutex_lock(&wd_lock);
    wd_gen++;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_lock);
}

/* ---- the scenario ------------------------------------------------------------------- */
enum outcome { OUT_OK, OUT_ENOMEM, OUT_DROPPED, OUT_BAD };
static const char *const outcome_name[] = {"ok", "ENOMEM to the caller", "connection dropped",
                                           "FAILED"};

typedef struct run {
    long n;
    bool verbose;
    enum outcome out;
    char why[256];
    int lost; /* round trips that had to be tried again */
    int lost_step; /* the step of the first of them, for the report */
} run;

__attribute__((format(printf, 2, 3))) static void bad(run *r, const char *fmt, ...)
{
    if (r->out == OUT_BAD)
        return;
    r->out = OUT_BAD;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
}

/* A zaio call failed: ENOMEM ends the scenario as a right outcome, anything else is a
 * finding. Returns false (to stop) in both cases. */
static bool api_failed(run *r, const char *call)
{
    int e = zaio_errno();
    if (e == ENOMEM) {
        if (r->out == OUT_OK || r->out == OUT_DROPPED)
            r->out = OUT_ENOMEM;
        snprintf(r->why, sizeof r->why, "%s: ENOMEM", call);
        return false;
    }
    bad(r, "%s failed with %s (%d), not ENOMEM", call, zaio_strerror(e), e);
    return false;
}

static bool setopt_int(run *r, void *s, int opt, int v, const char *what)
{
    if (zaio_setsockopt(s, opt, &v, sizeof v) == 0)
        return true;
    return api_failed(r, what);
}

/* each try of a step is told apart from the earlier ones, whose messages may still
 * arrive late (REQ_CORRELATE drops their replies: a REP answering them must go on) */
static int attempt;

#define BIG (96 * 1024) /* over any inline or single-read size: the large-message path */
static unsigned char big_out[BIG], big_in[BIG + 1];

/* One round trip: the DEALER sends [tag][body], the ROUTER echoes it back with the
 * routing id, the DEALER gets it. A message lost with a dropped connection shows as a
 * timeout: 1 = done, 0 = lost (try again), -1 = stop (r->out says why). */
static int round_trip(run *r, void *router, void *dealer, int k, size_t len)
{
    unsigned char tag[8];
    memcpy(tag, &k, sizeof k);
    memcpy(tag + sizeof k, &attempt, sizeof attempt);
    for (size_t i = 0; i < len; i++)
        big_out[i] = (unsigned char)(i * 31u + (unsigned)k);

    wd_step("dealer send");
    if (zaio_send(dealer, tag, sizeof tag, ZAIO_SNDMORE) < 0)
        return api_failed(r, "zaio_send (dealer, tag)") ? 1 : -1;
    if (zaio_send(dealer, big_out, len, 0) < 0)
        return api_failed(r, "zaio_send (dealer, body)") ? 1 : -1;

    /* the ROUTER: skip what an earlier, lost try left behind */
    unsigned char id[256], t[8];
    int idn, n;
    for (;;) {
        wd_step("router recv");
        idn = zaio_recv(router, id, sizeof id, 0);
        if (idn < 0) {
            if (zaio_errno() == EAGAIN)
                return 0;
            return api_failed(r, "zaio_recv (router, id)") ? 1 : -1;
        }
        n = zaio_recv(router, t, sizeof t, 0);
        if (n < 0)
            return api_failed(r, "zaio_recv (router, tag)") ? 1 : -1;
        int more = 0;
        size_t ml = sizeof more;
        zaio_getsockopt(router, ZAIO_RCVMORE, &more, &ml);
        if (!more) {
            bad(r, "router: a message of two frames, not three");
            return -1;
        }
        n = zaio_recv(router, big_in, sizeof big_in, 0);
        if (n < 0)
            return api_failed(r, "zaio_recv (router, body)") ? 1 : -1;
        if (memcmp(t, tag, sizeof tag) == 0)
            break;
    }
    if ((size_t)n != len || memcmp(big_in, big_out, len) != 0) {
        bad(r, "router: round %d body corrupt (%d bytes, %zu sent)", k, n, len);
        return -1;
    }
    wd_step("router send");
    if (zaio_send(router, id, (size_t)idn, ZAIO_SNDMORE) < 0 ||
        zaio_send(router, tag, sizeof tag, ZAIO_SNDMORE) < 0 ||
        zaio_send(router, big_out, len, 0) < 0) {
        /* the DEALER's connection went away between the two: the ROUTER drops the
         * message to an unknown id (no ROUTER_MANDATORY), so a send error is a finding */
        return api_failed(r, "zaio_send (router)") ? 1 : -1;
    }
    for (;;) {
        wd_step("dealer recv");
        n = zaio_recv(dealer, t, sizeof t, 0);
        if (n < 0) {
            if (zaio_errno() == EAGAIN)
                return 0;
            return api_failed(r, "zaio_recv (dealer, tag)") ? 1 : -1;
        }
        n = zaio_recv(dealer, big_in, sizeof big_in, 0);
        if (n < 0)
            return api_failed(r, "zaio_recv (dealer, body)") ? 1 : -1;
        if (memcmp(t, tag, sizeof tag) == 0)
            break;
    }
    if ((size_t)n != len || memcmp(big_in, big_out, len) != 0) {
        bad(r, "dealer: round %d body corrupt", k);
        return -1;
    }
    return 1;
}

/* Closes what a scenario opened and terminates the context, which must return. */
static void finish(run *r, void *ctx, void **socks, int n)
{
    wd_step("zaio_close");
    for (int i = n - 1; i >= 0; i--)
        if (socks[i] && zaio_close(socks[i]) != 0)
            bad(r, "zaio_close: %s", zaio_strerror(zaio_errno()));
    wd_step("zaio_ctx_term");
    if (ctx && zaio_ctx_term(ctx) != 0)
        bad(r, "zaio_ctx_term: %s", zaio_strerror(zaio_errno()));
}

static void *new_socket(run *r, void *ctx, int type, const char *what)
{
    wd_step("zaio_socket");
    void *s = zaio_socket(ctx, type);
    if (!s) {
        api_failed(r, what);
        return NULL;
    }
    /* a lost message is found in a second; a dropped connection comes back at once */
    if (!setopt_int(r, s, ZAIO_RCVTIMEO, 1000, "RCVTIMEO") ||
        !setopt_int(r, s, ZAIO_SNDTIMEO, 1000, "SNDTIMEO") ||
        !setopt_int(r, s, ZAIO_LINGER, 0, "LINGER") ||
        !setopt_int(r, s, ZAIO_RECONNECT_IVL, 10, "RECONNECT_IVL") ||
        !setopt_int(r, s, ZAIO_HEARTBEAT_IVL, 200, "HEARTBEAT_IVL")) {
        zaio_close(s);
        return NULL;
    }
    return s;
}

/* bind to a wildcard endpoint and connect the other socket to what it got */
static bool bind_connect(run *r, void *server, void *client, const char *wild)
{
    wd_step("zaio_bind");
    if (zaio_bind(server, wild) != 0)
        return api_failed(r, "zaio_bind");
    char ep[256];
    size_t epl = sizeof ep;
    if (zaio_getsockopt(server, ZAIO_LAST_ENDPOINT, ep, &epl) != 0)
        return api_failed(r, "LAST_ENDPOINT");
    wd_step("zaio_connect");
    if (zaio_connect(client, ep) != 0)
        return api_failed(r, "zaio_connect");
    return true;
}

/* Runs step k until it is done (1) or stops the scenario (-1), trying again while it
 * reports a lost message (0), at most 6 times (a second each: room for a reconnect on a
 * loaded machine). Between tries the application looks at each of its sockets (socks:
 * NULL-terminated), as one waiting on them would: a socket takes in what its
 * connections told it (a pipe dropped, a new one) only when used. */
static bool retry(run *r, int (*step)(run *, void **, int), void **socks, int k)
{
    int rc;
    for (int tries = 0; (++attempt, rc = step(r, socks, k)) == 0;) {
        if (r->lost++ == 0)
            r->lost_step = k;
        if (getenv("AF_DEBUG"))
            fprintf(stderr, "N=%ld: step %d lost a message (try %d)\n", r->n, k, tries + 1);
        if (r->out == OUT_OK)
            r->out = OUT_DROPPED;
        if (++tries == 6) {
            bad(r, "step %d: nothing in 6 tries: the connection never came back", k);
            return false;
        }
        for (void **sp = socks; *sp; sp++) {
            int ev;
            size_t evl = sizeof ev;
            (void)zaio_getsockopt(*sp, ZAIO_EVENTS, &ev, &evl);
        }
    }
    return rc > 0 && r->out != OUT_ENOMEM && r->out != OUT_BAD;
}

/* ---- 1: DEALER/ROUTER over tcp, small and large messages both ways -------------------- */
static int dr_step(run *r, void **socks, int k)
{
    static const size_t sizes[] = {5, BIG, 0, 300, BIG / 2, 17};
    return round_trip(r, socks[0], socks[1], k, sizes[k]);
}

static void scenario_dealer_router(run *r)
{
    void *socks[3] = {0};
    wd_step("zaio_ctx_new");
    void *ctx = zaio_ctx_new();
    if (!ctx) {
        api_failed(r, "zaio_ctx_new");
        return;
    }
    if ((socks[0] = new_socket(r, ctx, ZAIO_ROUTER, "zaio_socket (ROUTER)")) &&
        (socks[1] = new_socket(r, ctx, ZAIO_DEALER, "zaio_socket (DEALER)")) &&
        bind_connect(r, socks[0], socks[1], "tcp://127.0.0.1:*"))
        for (int k = 0; k < 6 && retry(r, dr_step, socks, k); k++)
            ;
    finish(r, ctx, socks, 2);
}

/* ---- 2: XPUB/SUB over tcp with subscriptions, and a monitor over inproc --------------- */
/* 1 when the XPUB has the (un)subscription, 0 when lost with a connection, -1 to stop */
static int xpub_wait(run *r, void *xpub, const char *want, size_t len)
{
    char b[64];
    for (;;) {
        wd_step("xpub recv");
        int n = zaio_recv(xpub, b, sizeof b, 0);
        if (n < 0)
            return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (xpub)") ? 1 : -1);
        if (getenv("AF_DEBUG"))
            fprintf(stderr, "xpub got %d bytes: %02x %.*s\n", n, (unsigned char)b[0], n - 1, b + 1);
        if ((size_t)n == len && memcmp(b, want, len) == 0)
            return 1;
    }
}

static int ps_step(run *r, void **socks, int k)
{
    void *xpub = socks[0], *sub = socks[1];
    switch (k) {
    case 1: {
        int rc = xpub_wait(r, xpub, "\001a", 2);
        return rc > 0 ? xpub_wait(r, xpub, "\001bb", 3) : rc;
    }
    case 2:
    case 3: { /* publish; the SUB gets what it subscribed to and nothing else */
        char m[3][16];
        snprintf(m[0], sizeof m[0], "c-%d", k);
        snprintf(m[1], sizeof m[1], "a-%d", k);
        snprintf(m[2], sizeof m[2], "bb-%d", k);
        wd_step("xpub send");
        for (int i = 0; i < 3; i++)
            if (zaio_send(xpub, m[i], strlen(m[i]), 0) < 0)
                return api_failed(r, "zaio_send (xpub)") ? 1 : -1;
        for (int i = 1; i < 3; i++) {
            char b[64];
            wd_step("sub recv");
            int n = zaio_recv(sub, b, sizeof b, 0);
            if (n < 0)
                return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (sub)") ? 1 : -1);
            if ((size_t)n != strlen(m[i]) || memcmp(b, m[i], (size_t)n) != 0) {
                bad(r, "sub: got %.*s, not %s", n < 64 ? n : 64, b, m[i]);
                return -1;
            }
        }
        return 1;
    }
    case 4: /* an unsubscription reaches the XPUB */
        wd_step("unsubscribe");
        if (zaio_setsockopt(sub, ZAIO_UNSUBSCRIBE, "a", 1) != 0)
            return api_failed(r, "UNSUBSCRIBE") ? 1 : -1;
        /* lost with a connection, it is not sent again (nothing to ask again): done */
        if (xpub_wait(r, xpub, "\000a", 2) == 0 && r->out == OUT_OK)
            r->out = OUT_DROPPED;
        return 1;
    }
    return 1;
}

static void scenario_pubsub(run *r)
{
    void *socks[4] = {0};
    wd_step("zaio_ctx_new");
    void *ctx = zaio_ctx_new();
    if (!ctx) {
        api_failed(r, "zaio_ctx_new");
        return;
    }
    if (!(socks[0] = new_socket(r, ctx, ZAIO_XPUB, "zaio_socket (XPUB)")) ||
        !setopt_int(r, socks[0], ZAIO_XPUB_VERBOSE, 1, "XPUB_VERBOSE"))
        goto done;
    wd_step("zaio_socket_monitor");
    if (zaio_socket_monitor(socks[0], "inproc://allocfail-mon", ZAIO_EVENT_ALL) != 0) {
        api_failed(r, "zaio_socket_monitor");
        goto done;
    }
    if (!(socks[2] = new_socket(r, ctx, ZAIO_PAIR, "zaio_socket (PAIR)")))
        goto done;
    wd_step("monitor connect");
    if (zaio_connect(socks[2], "inproc://allocfail-mon") != 0) {
        api_failed(r, "zaio_connect (inproc monitor)");
        goto done;
    }
    if (!(socks[1] = new_socket(r, ctx, ZAIO_SUB, "zaio_socket (SUB)")))
        goto done;
    wd_step("subscribe");
    if (zaio_setsockopt(socks[1], ZAIO_SUBSCRIBE, "a", 1) != 0 ||
        zaio_setsockopt(socks[1], ZAIO_SUBSCRIBE, "bb", 2) != 0) {
        api_failed(r, "SUBSCRIBE");
        goto done;
    }
    if (!bind_connect(r, socks[0], socks[1], "tcp://127.0.0.1:*"))
        goto done;
    for (int k = 1; k < 5 && retry(r, ps_step, socks, k); k++)
        ;
    /* the monitor's events: each is two frames; one it could not allocate is dropped */
    wd_step("monitor events");
    char ev[512];
    while (zaio_recv(socks[2], ev, sizeof ev, ZAIO_DONTWAIT) >= 0)
        ;
done:
    finish(r, ctx, socks, 3);
}

/* ---- 3: REQ/REP over ipc, REQ_RELAXED and REQ_CORRELATE so that a lost request or reply
 * is asked again ----------------------------------------------------------------------- */
static int rr_step(run *r, void **socks, int k)
{
    void *rep = socks[0], *req = socks[1];
    char q[32], b[64];
    snprintf(q, sizeof q, "request %d.%d", k, attempt);
    wd_step("req send");
    if (zaio_send(req, q, strlen(q), 0) < 0)
        return api_failed(r, "zaio_send (req)") ? 1 : -1;
    for (;;) {
        wd_step("rep recv");
        int n = zaio_recv(rep, b, sizeof b, 0);
        if (n < 0)
            return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (rep)") ? 1 : -1);
        wd_step("rep send");
        if (zaio_send(rep, b, (size_t)n, 0) < 0)
            return api_failed(r, "zaio_send (rep)") ? 1 : -1;
        if ((size_t)n == strlen(q) && memcmp(b, q, (size_t)n) == 0)
            break; /* an older, lost request is answered and skipped */
    }
    wd_step("req recv");
    int n = zaio_recv(req, b, sizeof b, 0);
    if (n < 0)
        return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (req)") ? 1 : -1);
    if ((size_t)n != strlen(q) || memcmp(b, q, (size_t)n) != 0) {
        bad(r, "req: got %.*s, not %s", n < 64 ? n : 64, b, q);
        return -1;
    }
    return 1;
}

static void scenario_reqrep_ipc(run *r)
{
    void *socks[3] = {0};
    wd_step("zaio_ctx_new");
    void *ctx = zaio_ctx_new();
    if (!ctx) {
        api_failed(r, "zaio_ctx_new");
        return;
    }
    if ((socks[0] = new_socket(r, ctx, ZAIO_REP, "zaio_socket (REP)")) &&
        (socks[1] = new_socket(r, ctx, ZAIO_REQ, "zaio_socket (REQ)")) &&
        setopt_int(r, socks[1], ZAIO_REQ_RELAXED, 1, "REQ_RELAXED") &&
        setopt_int(r, socks[1], ZAIO_REQ_CORRELATE, 1, "REQ_CORRELATE") &&
        bind_connect(r, socks[0], socks[1], "ipc://*"))
        for (int k = 0; k < 4 && retry(r, rr_step, socks, k); k++)
            ;
    finish(r, ctx, socks, 2);
}

/* ---- 4: PLAIN over tcp, with a ZAP handler (a thread of its own) that adds metadata -- */
typedef struct zapd {
    void *sock;
    pthread_t th;
    atomic_bool stop;
    atomic_int failed; /* a call of the handler's failed with ENOMEM: it has gone away */
    atomic_int other;  /* ... or with something else (a finding) */
} zapd;

static void *zapd_main(void *arg)
{
    zapd *z = arg;
    while (!atomic_load(&z->stop)) {
        char f[8][64];
        int len[8], k = 0, more = 1;
        while (more && k < 8) {
            len[k] = zaio_recv(z->sock, f[k], sizeof f[k], 0);
            if (len[k] < 0)
                break;
            size_t ml = sizeof more;
            zaio_getsockopt(z->sock, ZAIO_RCVMORE, &more, &ml);
            k++;
        }
        if (k == 0) {
            int e = zaio_errno();
            if (e == EAGAIN)
                continue; /* RCVTIMEO: look at stop again */
            atomic_fetch_add(e == ENOMEM ? &z->failed : &z->other, 1);
            return NULL;
        }
        if (more || k < 2) {
            atomic_fetch_add(&z->other, 1);
            return NULL;
        }
        /* 1.0, the request id, 200, text, user id, metadata (Color=red) */
        static const char md[] = "\005Color\000\000\000\003red";
        if (zaio_send(z->sock, "1.0", 3, ZAIO_SNDMORE) < 0 ||
            zaio_send(z->sock, f[1], (size_t)len[1], ZAIO_SNDMORE) < 0 ||
            zaio_send(z->sock, "200", 3, ZAIO_SNDMORE) < 0 ||
            zaio_send(z->sock, "OK", 2, ZAIO_SNDMORE) < 0 ||
            zaio_send(z->sock, "alice", 5, ZAIO_SNDMORE) < 0 ||
            zaio_send(z->sock, md, sizeof md - 1, 0) < 0) {
            /* a reply half sent cannot be taken back: the handler is done */
            atomic_fetch_add(zaio_errno() == ENOMEM ? &z->failed : &z->other, 1);
            return NULL;
        }
    }
    return NULL;
}

static zapd zap;

/* a message through PLAIN, ZAP's User-Id and metadata on it */
static int plain_step(run *r, void **socks, int k)
{
    void *router = socks[0], *dealer = socks[1];
    if (atomic_load(&zap.other)) {
        bad(r, "the ZAP handler failed with something other than ENOMEM");
        return -1;
    }
    char body[32];
    snprintf(body, sizeof body, "plain %d.%d", k, attempt);
    wd_step("dealer send");
    if (zaio_send(dealer, body, strlen(body), 0) < 0)
        return api_failed(r, "zaio_send (dealer)") ? 1 : -1;
    for (;;) {
        zaio_msg_t id, m;
        zaio_msg_init(&id);
        zaio_msg_init(&m);
        wd_step("router recv");
        if (zaio_msg_recv(&id, router, 0) < 0) {
            zaio_msg_close(&id);
            if (zaio_errno() != EAGAIN)
                return api_failed(r, "zaio_msg_recv (router)") ? 1 : -1;
            if (atomic_load(&zap.failed)) { /* its caller had ENOMEM: nobody lets us in */
                if (r->out == OUT_OK || r->out == OUT_DROPPED)
                    r->out = OUT_ENOMEM;
                snprintf(r->why, sizeof r->why, "the ZAP handler: ENOMEM");
                return -1;
            }
            return 0;
        }
        if (zaio_msg_recv(&m, router, 0) < 0) {
            zaio_msg_close(&id);
            return api_failed(r, "zaio_msg_recv (router, body)") ? 1 : -1;
        }
        bool mine = zaio_msg_size(&m) == strlen(body) &&
                    memcmp(zaio_msg_data(&m), body, strlen(body)) == 0;
        const char *user = zaio_msg_gets(&m, "User-Id"), *color = zaio_msg_gets(&m, "Color");
        bool md_ok = user && !strcmp(user, "alice") && color && !strcmp(color, "red");
        zaio_msg_close(&id);
        zaio_msg_close(&m);
        if (!md_ok) {
            bad(r, "router: User-Id %s, Color %s (alice, red from ZAP)", user ? user : "none",
                color ? color : "none");
            return -1;
        }
        if (mine)
            return 1;
    }
}

static void scenario_plain_zap(run *r)
{
    void *socks[3] = {0};
    bool zap_running = false;
    wd_step("zaio_ctx_new");
    void *ctx = zaio_ctx_new();
    if (!ctx) {
        api_failed(r, "zaio_ctx_new");
        return;
    }
    memset(&zap, 0, sizeof zap);
    wd_step("zap handler");
    if (!(zap.sock = new_socket(r, ctx, ZAIO_REP, "zaio_socket (ZAP REP)")))
        goto done;
    if (!setopt_int(r, zap.sock, ZAIO_RCVTIMEO, 50, "RCVTIMEO"))
        goto done;
    if (zaio_bind(zap.sock, "inproc://zeromq.zap.01") != 0) {
        api_failed(r, "zaio_bind (ZAP handler)");
        goto done;
    }
    if (pthread_create(&zap.th, NULL, zapd_main, &zap) != 0) {
        bad(r, "pthread_create");
        goto done;
    }
    zap_running = true;
    if (!(socks[0] = new_socket(r, ctx, ZAIO_ROUTER, "zaio_socket (ROUTER)")) ||
        !setopt_int(r, socks[0], ZAIO_PLAIN_SERVER, 1, "PLAIN_SERVER") ||
        !setopt_int(r, socks[0], ZAIO_HANDSHAKE_IVL, 500, "HANDSHAKE_IVL"))
        goto done;
    wd_step("setsockopt");
    if (zaio_setsockopt(socks[0], ZAIO_ZAP_DOMAIN, "global", 6) != 0) {
        api_failed(r, "ZAP_DOMAIN");
        goto done;
    }
    if (!(socks[1] = new_socket(r, ctx, ZAIO_DEALER, "zaio_socket (DEALER)")))
        goto done;
    if (zaio_setsockopt(socks[1], ZAIO_PLAIN_USERNAME, "alice", 5) != 0 ||
        zaio_setsockopt(socks[1], ZAIO_PLAIN_PASSWORD, "secret", 6) != 0) {
        api_failed(r, "PLAIN_USERNAME/PASSWORD");
        goto done;
    }
    if (bind_connect(r, socks[0], socks[1], "tcp://127.0.0.1:*"))
        for (int k = 0; k < 3 && retry(r, plain_step, socks, k); k++)
            ;
done:
    if (zap_running) {
        atomic_store(&zap.stop, true);
        pthread_join(zap.th, NULL);
    }
    if (zap.sock && zaio_close(zap.sock) != 0)
        bad(r, "zaio_close (ZAP handler)");
    if (atomic_load(&zap.other))
        bad(r, "the ZAP handler failed with something other than ENOMEM");
    finish(r, ctx, socks, 2);
}

/* ---- 5: the rest of the API over inproc: routing ids, a connect before its bind,
 * messages built every way, iovecs, poll and the poller, timers, unbind/disconnect ----- */
static void ffn_count(void *data, void *hint)
{
    (void)data;
    atomic_fetch_add((atomic_int *)hint, 1);
}

static void timer_fn(int id, void *arg)
{
    (void)id;
    (*(int *)arg)++;
}

/* An inproc connection whose pipe could not be attached at one end (out of memory) is
 * dropped, and inproc does not reconnect (nor does libzmq's): what was sent through it
 * is gone, and a send waits for a peer that will not come (EAGAIN after SNDTIMEO). The
 * scenario ends there; leaks, counters and termination are checked as for any run. */
static void inproc_dropped(run *r, const char *what)
{
    if (r->out == OUT_OK)
        r->out = OUT_DROPPED;
    snprintf(r->why, sizeof r->why, "%s: the inproc connection was dropped", what);
}

static void scenario_api_inproc(run *r)
{
    void *socks[5] = {0}; /* router, dealer, push, pull */
    void *poller = NULL, *timers = NULL;
    static char data[4096];
    static atomic_int freed;
    atomic_store(&freed, 0);
    int msgs_given = 0; /* messages handed to init_data whose ffn must run */
    wd_step("zaio_ctx_new");
    void *ctx = zaio_ctx_new();
    if (!ctx) {
        api_failed(r, "zaio_ctx_new");
        return;
    }
    /* the DEALER connects before the ROUTER binds (inproc's pending connect), with an id */
    if (!(socks[1] = new_socket(r, ctx, ZAIO_DEALER, "zaio_socket (DEALER)")))
        goto done;
    if (zaio_setsockopt(socks[1], ZAIO_ROUTING_ID, "dealer-1", 8) != 0) {
        api_failed(r, "ROUTING_ID");
        goto done;
    }
    wd_step("inproc connect");
    if (zaio_connect(socks[1], "inproc://allocfail-r") != 0) {
        api_failed(r, "zaio_connect (inproc, before the bind)");
        goto done;
    }
    if (!(socks[0] = new_socket(r, ctx, ZAIO_ROUTER, "zaio_socket (ROUTER)")))
        goto done;
    wd_step("inproc bind");
    if (zaio_bind(socks[0], "inproc://allocfail-r") != 0) {
        api_failed(r, "zaio_bind (inproc)");
        goto done;
    }
    if (!(socks[2] = new_socket(r, ctx, ZAIO_PUSH, "zaio_socket (PUSH)")) ||
        !(socks[3] = new_socket(r, ctx, ZAIO_PULL, "zaio_socket (PULL)")) ||
        !bind_connect(r, socks[3], socks[2], "inproc://allocfail-p"))
        goto done;

    /* messages every way: init_size, init_data (its ffn must run once), init_buffer, a
     * copy and a move, as one multipart message */
    wd_step("messages");
    zaio_msg_t m[4];
    for (int i = 0; i < 4; i++)
        zaio_msg_init(&m[i]);
    bool ok = zaio_msg_init_size(&m[0], 1000) == 0;
    if (ok)
        memset(zaio_msg_data(&m[0]), 7, 1000);
    if (ok && zaio_msg_init_data(&m[1], data, sizeof data, ffn_count, &freed) == 0)
        msgs_given++;
    else
        ok = false;
    ok = ok && zaio_msg_init_buffer(&m[2], "buffer", 6) == 0;
    ok = ok && zaio_msg_copy(&m[3], &m[1]) == 0;
    ok = ok && zaio_msg_send(&m[0], socks[2], ZAIO_SNDMORE) >= 0;
    ok = ok && zaio_msg_send(&m[1], socks[2], ZAIO_SNDMORE) >= 0;
    ok = ok && zaio_msg_send(&m[2], socks[2], ZAIO_SNDMORE) >= 0;
    ok = ok && zaio_msg_send(&m[3], socks[2], 0) >= 0;
    int e = zaio_errno();
    for (int i = 0; i < 4; i++)
        zaio_msg_close(&m[i]); /* what was sent is empty now; the rest is freed */
    if (!ok) {
        errno = e;
        if (e == EAGAIN)
            inproc_dropped(r, "zaio_msg_send");
        else if (e != ENOMEM)
            bad(r, "building or sending messages: %s", zaio_strerror(e));
        else
            api_failed(r, "zaio_msg_* / zaio_msg_send");
        goto done;
    }
    /* the PULL takes them as iovecs: 4 frames, each in a malloc'd buffer */
    wd_step("recviov");
    struct iovec iov[4];
    size_t cnt = 4;
    int rc = zaio_recviov(socks[3], iov, &cnt, 0);
    int re = zaio_errno();
    for (size_t i = 0; i < cnt; i++)
        free(iov[i].iov_base);
    if (rc < 0) {
        if (re == EAGAIN) {
            inproc_dropped(r, "zaio_recviov");
            goto done;
        }
        errno = re;
        api_failed(r, "zaio_recviov");
        goto done;
    }
    if (cnt != 4 || iov[0].iov_len != 1000 || iov[1].iov_len != sizeof data ||
        iov[2].iov_len != 6 || iov[3].iov_len != sizeof data) {
        bad(r, "recviov: %zu frames", cnt);
        goto done;
    }
    /* the DEALER sends by iovecs; the ROUTER sees its routing id */
    wd_step("sendiov");
    struct iovec out[2] = {{(void *)"hello", 5}, {(void *)"world", 5}};
    if (zaio_sendiov(socks[1], out, 2, ZAIO_SNDMORE) < 0) { /* one message, as libzmq */
        if (zaio_errno() == EAGAIN)
            inproc_dropped(r, "zaio_sendiov");
        else
            api_failed(r, "zaio_sendiov");
        goto done;
    }
    /* poll: more items than fit on its stack, then the poller */
    wd_step("zaio_poll");
    zaio_pollitem_t items[ZAIO_POLLITEMS_DFLT + 4];
    for (int i = 0; i < ZAIO_POLLITEMS_DFLT + 4; i++)
        items[i] = (zaio_pollitem_t){i % 2 ? socks[3] : socks[0], 0, ZAIO_POLLIN, 0};
    rc = zaio_poll(items, ZAIO_POLLITEMS_DFLT + 4, 1000);
    if (rc < 0) {
        api_failed(r, "zaio_poll");
        goto done;
    }
    if (rc == 0) {
        inproc_dropped(r, "zaio_poll (nothing came)");
        goto done;
    }
    if (!(items[0].revents & ZAIO_POLLIN)) {
        bad(r, "zaio_poll: the ROUTER has a message and poll does not say so");
        goto done;
    }
    wd_step("poller");
    if (!(poller = zaio_poller_new())) {
        api_failed(r, "zaio_poller_new");
        goto done;
    }
    for (int i = 0; i < 4; i++) {
        if (zaio_poller_add(poller, socks[i], NULL, ZAIO_POLLIN) != 0) {
            api_failed(r, "zaio_poller_add");
            goto done;
        }
    }
    zaio_poller_event_t ev[4];
    rc = zaio_poller_wait_all(poller, ev, 4, 1000);
    if (rc < 0) {
        api_failed(r, "zaio_poller_wait_all");
        goto done;
    }
    if (rc != 1 || ev[0].socket != socks[0]) {
        bad(r, "poller: %d events, not the ROUTER's one", rc);
        goto done;
    }
    wd_step("router recv");
    char id[16], b[16];
    int idn = zaio_recv(socks[0], id, sizeof id, 0);
    if (idn < 0) {
        api_failed(r, "zaio_recv (router)");
        goto done;
    }
    if (idn != 8 || memcmp(id, "dealer-1", 8) != 0) {
        bad(r, "router: routing id %.*s", idn < 16 ? idn : 16, id);
        goto done;
    }
    for (int i = 0; i < 2; i++) {
        int n = zaio_recv(socks[0], b, sizeof b, 0);
        if (n < 0) {
            api_failed(r, "zaio_recv (router)");
            goto done;
        }
        if (n != 5 || memcmp(b, i ? "world" : "hello", 5) != 0) {
            bad(r, "router: frame %d is %d bytes %.*s", i, n, n < 16 ? n : 16, b);
            goto done;
        }
    }
    /* timers */
    wd_step("timers");
    int fired = 0;
    if (!(timers = zaio_timers_new())) {
        api_failed(r, "zaio_timers_new");
        goto done;
    }
    for (int i = 0; i < 20; i++) {
        if (zaio_timers_add(timers, 0, timer_fn, &fired) < 0) {
            api_failed(r, "zaio_timers_add");
            goto done;
        }
    }
    if (zaio_timers_execute(timers) < 0) {
        api_failed(r, "zaio_timers_execute");
        goto done;
    }
    if (fired != 20) {
        bad(r, "timers: %d of 20 ran", fired);
        goto done;
    }
    /* unbind and disconnect */
    wd_step("unbind");
    if (zaio_disconnect(socks[1], "inproc://allocfail-r") != 0) {
        api_failed(r, "zaio_disconnect");
        goto done;
    }
    if (zaio_unbind(socks[3], "inproc://allocfail-p") != 0) {
        api_failed(r, "zaio_unbind");
        goto done;
    }
done:
    if (timers)
        zaio_timers_destroy(&timers);
    if (poller)
        zaio_poller_destroy(&poller);
    finish(r, ctx, socks, 4);
    if (atomic_load(&freed) != msgs_given)
        bad(r, "init_data's free function ran %d times for %d messages", atomic_load(&freed),
            msgs_given);
}

/* ---- 6: options that allocate, over tcp: ROUTER_NOTIFY and ROUTER_MANDATORY, a routing
 * id and METADATA, heartbeats with a TTL, XPUB_WELCOME_MSG and XPUB_MANUAL ------------- */
static int opt_recv(run *r, void *s, zaio_msg_t *m, const char *what)
{
    wd_step(what);
    if (zaio_msg_recv(m, s, 0) >= 0)
        return 1;
    if (zaio_errno() == EAGAIN)
        return 0;
    return api_failed(r, what) ? 1 : -1;
}

static bool msg_is(zaio_msg_t *m, const char *s)
{
    return zaio_msg_size(m) == strlen(s) && memcmp(zaio_msg_data(m), s, strlen(s)) == 0;
}

/* XPUB_MANUAL: each "\001t" the XPUB is handed is applied by hand (to the pipe it came
 * from); a new connection hands it again. DONTWAIT: what has come so far. -1 to stop. */
static int xpub_apply(run *r, void *xpub, int flags)
{
    for (;;) {
        char b[16];
        int n = zaio_recv(xpub, b, sizeof b, flags);
        if (n < 0)
            return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (xpub)") ? 0 : -1);
        if (n == 2 && b[0] == 1 && b[1] == 't') {
            if (zaio_setsockopt(xpub, ZAIO_SUBSCRIBE, "t", 1) != 0)
                return api_failed(r, "SUBSCRIBE (xpub, manual)") ? 0 : -1;
            return 1;
        }
    }
}

static int opts_step(run *r, void **socks, int k)
{
    void *router = socks[0], *dealer = socks[1], *xpub = socks[2], *sub = socks[3];
    char body[32];
    snprintf(body, sizeof body, "opt %d.%d", k, attempt);
    switch (k) {
    case 0: { /* DEALER -> ROUTER -> DEALER, past ROUTER_NOTIFY's empty messages */
        wd_step("dealer send");
        if (zaio_send(dealer, body, strlen(body), 0) < 0)
            return api_failed(r, "zaio_send (dealer)") ? 1 : -1;
        for (;;) {
            zaio_msg_t id, m;
            zaio_msg_init(&id);
            zaio_msg_init(&m);
            int rc = opt_recv(r, router, &id, "router recv");
            if (rc <= 0) {
                zaio_msg_close(&id);
                return rc;
            }
            rc = opt_recv(r, router, &m, "router recv (body)");
            if (rc <= 0) {
                zaio_msg_close(&id);
                zaio_msg_close(&m);
                return rc < 0 ? -1 : (bad(r, "router: the rest of a message did not come"), -1);
            }
            bool notify = zaio_msg_size(&m) == 0;
            bool mine = msg_is(&m, body);
            const char *x = zaio_msg_gets(&m, "X-Test");
            bool id_ok = msg_is(&id, "dlr-1");
            if (!notify && (!id_ok || !x || strcmp(x, "yes") != 0)) {
                bad(r, "router: routing id or X-Test metadata wrong (%s)", x ? x : "none");
                zaio_msg_close(&id);
                zaio_msg_close(&m);
                return -1;
            }
            if (!mine) {
                zaio_msg_close(&id);
                zaio_msg_close(&m);
                continue;
            }
            wd_step("router send");
            rc = zaio_msg_send(&id, router, ZAIO_SNDMORE) >= 0 ? zaio_msg_send(&m, router, 0) : -1;
            int e = zaio_errno();
            zaio_msg_close(&id);
            zaio_msg_close(&m);
            if (rc < 0) {
                if (e == EHOSTUNREACH) /* ROUTER_MANDATORY: the dealer's connection went */
                    return 0;
                errno = e;
                return api_failed(r, "zaio_msg_send (router)") ? 1 : -1;
            }
            break;
        }
        for (;;) {
            char b[32];
            wd_step("dealer recv");
            int n = zaio_recv(dealer, b, sizeof b, 0);
            if (n < 0)
                return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (dealer)") ? 1 : -1);
            if ((size_t)n == strlen(body) && memcmp(b, body, (size_t)n) == 0)
                return 1;
        }
    }
    case 1: { /* the welcome message, first thing on the SUB's connection: the XPUB sends
               * it as it takes the connection in, when the application uses it */
        int ev;
        size_t evl = sizeof ev;
        wd_step("xpub events");
        (void)zaio_getsockopt(xpub, ZAIO_EVENTS, &ev, &evl);
        zaio_msg_t m;
        zaio_msg_init(&m);
        int rc = opt_recv(r, sub, &m, "sub recv (welcome)");
        bool ok = rc <= 0 || msg_is(&m, "welcome");
        zaio_msg_close(&m);
        if (!ok) {
            bad(r, "sub: the first message is not the welcome");
            return -1;
        }
        return rc;
    }
    case 2: /* the XPUB applies the subscription it is handed */
        wd_step("xpub manual");
        return xpub_apply(r, xpub, 0);
    case 3: { /* a publication through the manual subscription */
        if (xpub_apply(r, xpub, ZAIO_DONTWAIT) < 0) /* a new connection asks again */
            return -1;
        char t[32];
        snprintf(t, sizeof t, "t-%d", attempt);
        wd_step("xpub send");
        if (zaio_send(xpub, t, strlen(t), 0) < 0)
            return api_failed(r, "zaio_send (xpub)") ? 1 : -1;
        for (;;) {
            char b[32];
            wd_step("sub recv");
            int n = zaio_recv(sub, b, sizeof b, 0);
            if (n < 0)
                return zaio_errno() == EAGAIN ? 0 : (api_failed(r, "zaio_recv (sub)") ? 1 : -1);
            if ((size_t)n == strlen(t) && memcmp(b, t, (size_t)n) == 0)
                return 1;
        }
    }
    }
    return 1;
}

static void scenario_options(run *r)
{
    void *socks[5] = {0};
    int notify = ZAIO_NOTIFY_CONNECT | ZAIO_NOTIFY_DISCONNECT;
    wd_step("zaio_ctx_new");
    void *ctx = zaio_ctx_new();
    if (!ctx) {
        api_failed(r, "zaio_ctx_new");
        return;
    }
    if (!(socks[0] = new_socket(r, ctx, ZAIO_ROUTER, "zaio_socket (ROUTER)")) ||
        !setopt_int(r, socks[0], ZAIO_ROUTER_NOTIFY, notify, "ROUTER_NOTIFY") ||
        !setopt_int(r, socks[0], ZAIO_ROUTER_MANDATORY, 1, "ROUTER_MANDATORY") ||
        !(socks[1] = new_socket(r, ctx, ZAIO_DEALER, "zaio_socket (DEALER)")) ||
        !setopt_int(r, socks[1], ZAIO_HEARTBEAT_TTL, 2000, "HEARTBEAT_TTL"))
        goto done;
    wd_step("setsockopt");
    if (zaio_setsockopt(socks[1], ZAIO_ROUTING_ID, "dlr-1", 5) != 0 ||
        zaio_setsockopt(socks[1], ZAIO_METADATA, "X-Test:yes", 10) != 0) {
        api_failed(r, "ROUTING_ID / METADATA");
        goto done;
    }
    if (!(socks[2] = new_socket(r, ctx, ZAIO_XPUB, "zaio_socket (XPUB)")) ||
        !setopt_int(r, socks[2], ZAIO_XPUB_MANUAL, 1, "XPUB_MANUAL"))
        goto done;
    if (zaio_setsockopt(socks[2], ZAIO_XPUB_WELCOME_MSG, "welcome", 7) != 0) {
        api_failed(r, "XPUB_WELCOME_MSG");
        goto done;
    }
    if (!(socks[3] = new_socket(r, ctx, ZAIO_SUB, "zaio_socket (SUB)")))
        goto done;
    if (zaio_setsockopt(socks[3], ZAIO_SUBSCRIBE, "w", 1) != 0 ||
        zaio_setsockopt(socks[3], ZAIO_SUBSCRIBE, "t", 1) != 0) {
        api_failed(r, "SUBSCRIBE");
        goto done;
    }
    if (bind_connect(r, socks[0], socks[1], "tcp://127.0.0.1:*") &&
        bind_connect(r, socks[2], socks[3], "tcp://127.0.0.1:*"))
        for (int k = 0; k < 4 && retry(r, opts_step, socks, k); k++)
            ;
done:
    finish(r, ctx, socks, 4);
}

static const struct {
    const char *name;
    void (*fn)(run *);
} scenarios[] = {
    {"dealer_router_tcp", scenario_dealer_router},
    {"pubsub_tcp_monitor", scenario_pubsub},
    {"reqrep_ipc", scenario_reqrep_ipc},
    {"plain_zap_tcp", scenario_plain_zap},
    {"api_inproc", scenario_api_inproc},
    {"options_tcp", scenario_options},
};

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* One run, failing allocation n (0: none). Returns the allocations it made. */
static long run_one(run *r, void (*scenario)(run *))
{
    int fds = open_fds();
    atomic_store(&af_count, 0);
    atomic_store(&af_failed_site, 0);
    af_fail_at = r->n;
    wd_n = r->n;
    atomic_store_explicit(&af_armed, true, memory_order_release);
    scenario(r);
    atomic_store_explicit(&af_armed, false, memory_order_release);
    wd_done();
    long count = atomic_load(&af_count);

    zaio_stats_t st;
    if (zaio_stats(NULL, &st) != 0)
        bad(r, "zaio_stats failed");
    else if (st.sockets || st.accept_sockets || st.ops_in_flight || st.bufs || st.buf_bytes)
        bad(r,
            "asyncio counters not zero after term: sockets %lld, accept sockets %lld, ops %lld, "
            "bufs %lld (%lld bytes)",
            (long long)st.sockets, (long long)st.accept_sockets, (long long)st.ops_in_flight,
            (long long)st.bufs, (long long)st.buf_bytes);
    int fds_after = open_fds();
    if (fds_after != fds)
        bad(r, "%d descriptors open before the run, %d after", fds, fds_after);
#ifdef AF_LSAN
    /* a leak stays unreachable, and every later check would report it again: the first
     * is the finding, the rest of the sweep goes on without leak checks */
    static bool leaked;
    if (!leaked && __lsan_do_recoverable_leak_check() != 0) {
        leaked = true;
        bad(r, "LeakSanitizer found memory left unreachable (report above; no more leak "
               "checks in this run)");
    }
#endif
    return count;
}

/* every call site made to fail, over all scenarios */
static uintptr_t all_failed[AF_MAX_SITES];
static int nall_failed;

static void note_failed_site(uintptr_t site)
{
    for (int i = 0; i < nall_failed; i++)
        if (all_failed[i] == site)
            return;
    if (nall_failed < AF_MAX_SITES)
        all_failed[nall_failed++] = site;
}

/* Sweeps one scenario; returns the number of runs that failed (-1: could not start). */
static long sweep(const char *name, void (*fn)(run *), long from, long to, bool verbose,
                  long *runs)
{
    run base = {.n = 0};
    memset(af_sites, 0, sizeof af_sites);
    long total = run_one(&base, fn);
    int base_sites = af_nsites();
    if (base.out != OUT_OK || base.lost) {
        printf("FAIL %s: the scenario without a failure: %s (%d lost, the first in step %d)\n",
               name, base.out == OUT_BAD ? base.why : outcome_name[base.out], base.lost,
               base.lost ? base.lost_step : -1);
        return -1;
    }
    printf("%s: %ld allocations from %d call sites with nothing failing\n", name, total,
           base_sites);

    long counts[4] = {0}, swept = 0, failures = 0;
    uintptr_t failed_sites[AF_MAX_SITES];
    int nfailed_sites = 0;
    long n;
    for (n = from; to < 0 || n <= to; n++) {
        run r = {.n = n, .verbose = verbose};
        long made = run_one(&r, fn);
        uintptr_t site = atomic_load(&af_failed_site);
        char nm[320];
        if (made < n) /* the run ended before its Nth allocation: the sweep is complete */
            break;
        swept++;
        counts[r.out]++;
        int j = 0;
        while (j < nfailed_sites && failed_sites[j] != site)
            j++;
        if (j == nfailed_sites && nfailed_sites < AF_MAX_SITES)
            failed_sites[nfailed_sites++] = site;
        note_failed_site(site);
        if (r.out == OUT_BAD) {
            failures++;
            printf("FAIL %s N=%ld (allocation in %s): %s\n", name, n,
                   site_name(site, nm, sizeof nm), r.why);
        } else if (verbose) {
            printf("%s N=%ld (allocation in %s): %s%s%s\n", name, n,
                   site_name(site, nm, sizeof nm), outcome_name[r.out],
                   r.out == OUT_ENOMEM ? ": " : "", r.out == OUT_ENOMEM ? r.why : "");
        }
    }
    printf("%s: swept N=%ld..%ld, %ld runs, %d distinct call sites failed (%d seen); ENOMEM to "
           "the caller %ld, a message lost with a dropped connection %ld, no loss %ld, FAILED %ld\n",
           name, from, n - 1, swept, nfailed_sites, af_nsites(), counts[OUT_ENOMEM],
           counts[OUT_DROPPED], counts[OUT_OK], failures);
    *runs += swept;
    if (swept == 0) {
        printf("FAIL %s: nothing swept\n", name);
        return -1;
    }
    return failures;
}

int main(int argc, char **argv)
{
    long from = 1, to = -1;
    bool verbose = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--from") && i + 1 < argc)
            from = atol(argv[++i]);
        else if (!strcmp(argv[i], "--to") && i + 1 < argc)
            to = atol(argv[++i]);
        else if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            verbose = true;
        else {
            fprintf(stderr, "usage: %s [--scenario NAME] [--from N] [--to N] [--verbose]\n",
                    argv[0]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t wd;
    if (pthread_create(&wd, NULL, watchdog, NULL) != 0) {
        perror("pthread_create");
        return 2;
    }
    printf("backend %s\n", getenv("ZAIO_BACKEND") ? getenv("ZAIO_BACKEND") : "auto");
    long failed = 0, runs = 0;
    int ran = 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (only && strcmp(only, scenarios[i].name) != 0)
            continue;
        ran++;
        long f = sweep(scenarios[i].name, scenarios[i].fn, from, to, verbose, &runs);
        failed += f < 0 ? 1 : f;
    }
    if (!ran) {
        fprintf(stderr, "no scenario %s\n", only);
        return 2;
    }
    printf("allocfail sweep: %ld runs in %d scenarios, %d distinct call sites failed, %ld "
           "failed: %s\n",
           runs, ran, nall_failed, failed, failed ? "FAIL" : "PASS");
    return failed ? 1 : 0;
}
