/* run.c - one soak, start to verdict (see soak.h for the shape of a run). */
#include "soak.h"
#include "stream.h"
#include "traffic.h"

#include <zaio_zmq.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SOAK_CONNECT_NS (15ull * 1000000000u)  /* the peer connects and greets */
#define SOAK_DRAIN_NS (20ull * 1000000000u)    /* the peer's final report (it drains 10 s) */
#define SOAK_TERM_S 15                         /* zaio_ctx_term returns */
#define SOAK_STABLE_NS (100ull * 1000000u)     /* idle baseline: unchanged this long */

static atomic_int soak_stop_requested;

void soak_interrupt(void) { atomic_store(&soak_stop_requested, 1); }

/* ---- the probe thread ------------------------------------------------------------ */

typedef struct soak_prober {
    pthread_t thread;
    zprobe_config cfg;
    zprobe_report rep;
    atomic_int finished;
    int rc;
} soak_prober;

static void *soak_probe_main(void *arg)
{
    soak_prober *p = arg;
    p->rc = zprobe_run(&p->cfg, &p->rep, NULL, NULL);
    atomic_store(&p->finished, 1);
    return NULL;
}

/* ---- the peer process -------------------------------------------------------------- */

typedef struct soak_peer {
    pid_t pid;
    int to, from;            /* its stdin, its stdout */
    char line[512];
    size_t len;
    int ready, done, eof;
    uint64_t sent, received, echoed; /* from its latest "p" or "done" line */
    uint64_t missing, reordered, corrupt, skipped, errors;
    int last_errno;
    uint64_t gaps;           /* runs of lost messages, from its "done" line */
} soak_peer;

static int soak_peer_start(soak_peer *pp, const soak_config *cfg, const char *endpoint)
{
    memset(pp, 0, sizeof *pp);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(out, O_CLOEXEC) < 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        return -e;
    }
    char size[32], rate[32], window[32], hb[32];
    snprintf(size, sizeof size, "%zu", cfg->msg_size);
    snprintf(rate, sizeof rate, "%.17g", cfg->msg_rate);
    snprintf(window, sizeof window, "%" PRIu64, cfg->window);
    snprintf(hb, sizeof hb, "%d", cfg->heartbeat_ms);
    char *argv[] = {(char *)cfg->peer_path, (char *)endpoint,
                    (char *)soak_type_name(cfg->server_type), size, rate, window, hb, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    /* a group of its own: Ctrl-C on a terminal signals the foreground group, and the
     * soak, not the peer, decides how an interrupted run ends (the peer stops when its
     * input closes) */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    int rc = posix_spawn(&pp->pid, cfg->peer_path, &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        return -rc;
    }
    pp->to = in[1];
    pp->from = out[0];
    fcntl(pp->from, F_SETFL, O_NONBLOCK);
    return 0;
}

static void soak_peer_line(soak_peer *pp, const char *l)
{
    unsigned long long v[9];
    int e = 0;
    if (strcmp(l, "ready") == 0) {
        pp->ready = 1;
    } else if (sscanf(l, "p sent=%llu received=%llu echoed=%llu", &v[0], &v[1], &v[2]) == 3) {
        pp->sent = v[0];
        pp->received = v[1];
        pp->echoed = v[2];
    } else if (sscanf(l,
                      "done sent=%llu received=%llu echoed=%llu missing=%llu reordered=%llu "
                      "corrupt=%llu skipped=%llu errors=%llu errno=%d",
                      &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &e) == 9) {
        pp->sent = v[0];
        pp->received = v[1];
        pp->echoed = v[2];
        pp->missing = v[3];
        pp->reordered = v[4];
        pp->corrupt = v[5];
        pp->skipped = v[6];
        pp->errors = v[7];
        pp->last_errno = e;
        const char *g = strstr(l, " gaps=");
        pp->gaps = g ? strtoull(g + 6, NULL, 10) : 0;
        pp->done = 1;
    }
}

static void soak_peer_read(soak_peer *pp)
{
    for (;;) {
        ssize_t n = read(pp->from, pp->line + pp->len, sizeof pp->line - 1 - pp->len);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            pp->eof = 1;
            return;
        }
        if (n < 0)
            return;
        pp->len += (size_t)n;
        pp->line[pp->len] = '\0';
        char *start = pp->line, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            soak_peer_line(pp, start);
            start = nl + 1;
        }
        pp->len -= (size_t)(start - pp->line);
        memmove(pp->line, start, pp->len);
        if (pp->len == sizeof pp->line - 1)
            pp->len = 0; /* a line this long is not one of ours */
    }
}

static void soak_peer_say(soak_peer *pp, const char *text)
{
    size_t n = strlen(text);
    if (pp->to >= 0 && write(pp->to, text, n) != (ssize_t)n) {
        close(pp->to);
        pp->to = -1; /* the peer is gone; its eof tells the rest */
    }
}

/* Waits for the peer to exit (it has reported, or it is killed after a grace period). */
static void soak_peer_reap(soak_peer *pp)
{
    if (pp->to >= 0)
        close(pp->to);
    pp->to = -1;
    if (pp->pid <= 0)
        return;
    for (int i = 0; i < 100; i++) {
        if (waitpid(pp->pid, NULL, WNOHANG) == pp->pid)
            goto reaped;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pp->pid, SIGKILL);
    waitpid(pp->pid, NULL, 0);
reaped:
    pp->pid = 0;
    close(pp->from);
}

/* ---- the server and its sampling ------------------------------------------------- */

typedef struct soak_state {
    const soak_config *cfg;
    void *ctx, *sock;
    soak_traffic traffic;
    soak_peer peer;
    soak_prober *prober;
    soak_report *report;
    soak_faults *faults;     /* --faults: the relay the peer goes through */
    soak_result res;
    const char *phase;
    uint64_t start_ns, next_sample, next_progress;
} soak_state;

static uint64_t soak_server_msgs(const soak_traffic *t)
{
    if (t->echoes)
        return t->echoed;
    return t->checks ? t->received : t->sent;
}

static void soak_take_sample(soak_state *st, soak_sample *s)
{
    memset(s, 0, sizeof *s);
    s->t_ms = (soak_now_ns() - st->start_ns) / 1000000u;
    s->phase = st->phase;
    zprobe_stats ps;
    zprobe_sample(&st->prober->rep, &ps);
    s->probes_started = ps.total.started;
    s->probes_done = ps.total.done;
    s->probes_in_flight = ps.total.in_flight;
    s->msgs = soak_server_msgs(&st->traffic);
    s->rss_kib = proc_rss_kib(0);
    zaio_stats_t z;
    if (zaio_stats(st->ctx, &z) == 0) {
        s->sockets = z.sockets;
        s->accept_sockets = z.accept_sockets;
        s->ops_in_flight = z.ops_in_flight;
        s->bufs = z.bufs;
        s->buf_bytes = z.buf_bytes;
        s->connections = z.connections;
        s->handshakes = z.handshakes;
        s->submit_failures = z.submit_failures;
        s->live = z.sockets + z.ops_in_flight + z.bufs;
    }
}

/* Samples when the interval is up (a CSV row) and draws progress when its period is. */
static void soak_tick(soak_state *st, int force)
{
    uint64_t now = soak_now_ns();
    if (!force && now < st->next_sample && now < st->next_progress)
        return;
    soak_sample s;
    soak_take_sample(st, &s);
    if (force || now >= st->next_sample) {
        soak_report_sample(st->report, &s);
        st->next_sample = now + st->cfg->interval_ms * 1000000u;
    }
    if (now >= st->next_progress) {
        soak_report_progress(st->report, &s, 0);
        st->next_progress = now + st->cfg->progress_ms * 1000000u;
    }
}

/* One round of the server's loop: poll the socket and the peer's pipe, move traffic,
 * read the peer, sample. Returns -1 when the traffic failed. */
static int soak_step(soak_state *st, long max_wait_ms)
{
    uint64_t now = soak_now_ns();
    long wait = max_wait_ms;
    long tw = soak_traffic_timeout_ms(&st->traffic, now);
    if (tw >= 0 && tw < wait)
        wait = tw;
    uint64_t next = st->next_sample < st->next_progress ? st->next_sample : st->next_progress;
    long until_tick = next > now ? (long)((next - now) / 1000000u) + 1 : 0;
    if (until_tick < wait)
        wait = until_tick;
    zaio_pollitem_t items[2] = {{st->sock, 0, soak_traffic_events(&st->traffic, now), 0},
                                {NULL, st->peer.from, ZAIO_POLLIN, 0}};
    int nitems = st->peer.eof ? 1 : 2;
    if (zaio_poll(items, nitems, wait) < 0 && zaio_errno() != EINTR) {
        snprintf(st->res.traffic_error, sizeof st->res.traffic_error, "poll: %s",
                 zaio_strerror(zaio_errno()));
        return -1;
    }
    int rc = soak_traffic_io(&st->traffic, soak_now_ns());
    if (nitems == 2 && items[1].revents)
        soak_peer_read(&st->peer);
    soak_tick(st, 0);
    if (rc < 0) {
        snprintf(st->res.traffic_error, sizeof st->res.traffic_error, "server socket: %s",
                 zaio_strerror(st->traffic.last_errno));
        return -1;
    }
    return 0;
}

static int soak_live(soak_state *st, int64_t *conn, int64_t *hs)
{
    zaio_stats_t z;
    zaio_stats(st->ctx, &z);
    if (conn)
        *conn = z.connections;
    if (hs)
        *hs = z.handshakes;
    return (int)(z.sockets + z.ops_in_flight + z.bufs);
}

/* Runs the loop until the live records stay the same for SOAK_STABLE_NS with only the
 * peer connected, or until the deadline. Returns 1 when stable (value in *live). */
static int soak_settle(soak_state *st, uint64_t deadline, int64_t want, int64_t *live)
{
    int64_t last = -1;
    uint64_t since = 0;
    for (;;) {
        int64_t conn, hs;
        int64_t now_live = soak_live(st, &conn, &hs);
        uint64_t now = soak_now_ns();
        if (now_live != last || conn != 1 || hs != 0) {
            last = now_live;
            since = now;
        }
        *live = now_live;
        if (conn == 1 && hs == 0 && now - since >= SOAK_STABLE_NS && (want < 0 || now_live <= want))
            return 1;
        if (now >= deadline || st->peer.eof)
            return 0; /* a peer that is gone will not connect again: no use waiting */
        if (soak_step(st, 10) < 0)
            return 0;
    }
}

/* ---- the run ------------------------------------------------------------------ */

typedef struct soak_term_arg {
    void *ctx;
    int rc;
} soak_term_arg;

static void *soak_term_main(void *arg)
{
    soak_term_arg *a = arg;
    a->rc = zaio_ctx_term(a->ctx);
    return NULL;
}

/* Closes the socket and the context, and reads the process's asyncio counters. A
 * session whose record never completes (the 0.1.26 leak) keeps zaio_ctx_term waiting:
 * the deadline turns that into a finding instead of a hang. */
static void soak_close(soak_state *st)
{
    int zero = 0;
    zaio_setsockopt(st->sock, ZAIO_LINGER, &zero, sizeof zero);
    soak_traffic_fini(&st->traffic);
    zaio_close(st->sock);
    uint64_t deadline = soak_now_ns() + 5ull * 1000000000u;
    int64_t conn = 1, hs = 1;
    while ((conn || hs) && soak_now_ns() < deadline) {
        soak_live(st, &conn, &hs);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    static soak_term_arg ta; /* static: a hung term thread may outlive this frame */
    ta.ctx = st->ctx;
    pthread_t th;
    st->res.term_done = 0;
    if (pthread_create(&th, NULL, soak_term_main, &ta) == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += SOAK_TERM_S;
        st->res.term_done = pthread_timedjoin_np(th, NULL, &ts) == 0;
        if (!st->res.term_done)
            pthread_detach(th);
    }
    zaio_stats_t z;
    zaio_stats(NULL, &z);
    st->res.sockets_closed = z.sockets;
    st->res.ops_closed = z.ops_in_flight;
    st->res.bufs_closed = z.bufs;
    st->res.live_closed = z.sockets + z.ops_in_flight + z.bufs;
}

static int soak_setup(soak_state *st, char *endpoint, size_t cap, zprobe_config *probe)
{
    const soak_config *cfg = st->cfg;
    st->ctx = zaio_ctx_new();
    st->sock = st->ctx ? zaio_socket(st->ctx, cfg->server_type) : NULL;
    if (!st->sock)
        goto fail;
    if (zaio_setsockopt(st->sock, ZAIO_HANDSHAKE_IVL, &cfg->handshake_ivl_ms, sizeof(int)) < 0 ||
        zaio_setsockopt(st->sock, ZAIO_BACKLOG, &cfg->backlog, sizeof(int)) < 0)
        goto fail;
    if (cfg->curve && soak_curve_server(st->sock, cfg->server_type, probe) < 0)
        goto fail;
    if (cfg->faults && soak_faults_server_opts(st->sock, cfg) < 0)
        goto fail;
    if (soak_traffic_init(&st->traffic, st->sock, cfg->server_type, 1, cfg->msg_size,
                          cfg->msg_rate, cfg->window) < 0)
        goto fail;
    if (zaio_bind(st->sock, cfg->bind) < 0)
        goto fail;
    if (zaio_getsockopt(st->sock, ZAIO_LAST_ENDPOINT, endpoint, &cap) < 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "zaio-soak: server %s on %s: %s\n", soak_type_name(cfg->server_type),
            cfg->bind, zaio_strerror(zaio_errno()));
    return -1;
}

/* Probes until the count or duration is reached (or an interrupt), with traffic. */
static void soak_probe_phase(soak_state *st)
{
    soak_prober *p = st->prober;
    uint64_t t0 = soak_now_ns();
    int stopped = 0;
    while (!atomic_load(&p->finished)) {
        if (!stopped && atomic_load(&soak_stop_requested)) {
            zprobe_stop(&p->rep);
            stopped = 1;
            st->res.interrupted = 1;
        }
        if (soak_step(st, 100) < 0 || st->peer.eof) {
            if (!st->res.traffic_error[0])
                snprintf(st->res.traffic_error, sizeof st->res.traffic_error,
                         "the peer exited during the run");
            zprobe_stop(&p->rep);
            stopped = 1;
            break;
        }
        int64_t live = soak_live(st, NULL, NULL);
        if (live > st->res.live_peak)
            st->res.live_peak = live;
    }
    pthread_join(p->thread, NULL);
    st->res.probe_ms = (soak_now_ns() - t0) / 1000000u;
    zprobe_sample(&p->rep, &st->res.probes);
    st->res.probe_rc = p->rc;
}

/* Stops the traffic and reconciles what each side counted. */
static void soak_drain_phase(soak_state *st)
{
    soak_traffic *t = &st->traffic;
    soak_result *r = &st->res;
    t->stopping = 1;
    uint64_t deadline = soak_now_ns() + SOAK_DRAIN_NS;
    /* REQ: the request out must come back before the count is final */
    while (t->sends && t->checks && t->received < t->sent && !st->peer.eof &&
           soak_now_ns() < deadline)
        if (soak_step(st, 10) < 0)
            break;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "stop %" PRIu64 "\n", t->sent);
    soak_peer_say(&st->peer, cmd);
    while (!st->peer.done && !st->peer.eof && soak_now_ns() < deadline)
        if (soak_step(st, 50) < 0)
            break;
    r->peer_done = st->peer.done;
    /* what the peer sent and the server checks may still be on the way */
    while (t->checks && !t->sends && st->peer.done && t->expected < st->peer.sent &&
           soak_now_ns() < deadline)
        if (soak_step(st, 10) < 0)
            break;
    r->sent = t->sends ? t->sent : st->peer.sent;
    if (t->checks) {
        r->received = t->received;
        r->missing = soak_traffic_missing(t, r->sent);
        r->reordered = t->reordered;
        r->corrupt = t->corrupt;
        r->skipped = t->skipped;
    } else {
        r->received = st->peer.received;
        r->missing = st->peer.missing;
        r->reordered = st->peer.reordered;
        r->corrupt = st->peer.corrupt;
        r->skipped = st->peer.skipped;
    }
    r->peer_checks = !t->checks;
    r->peer_gone = st->peer.eof && !st->peer.done;
    r->errors = t->errors + st->peer.errors;
    r->msgs = soak_server_msgs(t);
    if (!r->peer_done && !r->traffic_error[0])
        snprintf(r->traffic_error, sizeof r->traffic_error,
                 "the peer gave no final count within %llu s",
                 (unsigned long long)(SOAK_DRAIN_NS / 1000000000u));
}

/* Closes everything, judges and reports. */
static int soak_end(soak_state *st)
{
    soak_close(st);
    st->phase = "closed";
    st->res.elapsed_ms = (soak_now_ns() - st->start_ns) / 1000000u;
    soak_report_finish(st->report, &st->res);
    soak_report_close(st->report);
    int rc = st->res.pass ? 0 : 1;
    if (!st->res.term_done) {
        /* a zaio_ctx_term still waiting in its thread: exit() would run with zaio's
         * threads live under it */
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}

int soak_run(const soak_config *cfg)
{
    if (cfg->backend && setenv("ZAIO_BACKEND", cfg->backend, 1) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN); /* a peer that died is seen as eof, not a signal */
    static soak_prober prober; /* static: zeroed, and large (the report) */
    soak_state st_, *st = &st_;
    memset(st, 0, sizeof *st);
    st->cfg = cfg;
    st->prober = &prober;
    st->phase = "idle";
    st->start_ns = soak_now_ns();
    st->res.backend = cfg->backend ? cfg->backend : "auto";
    st->res.type = soak_type_name(cfg->server_type);
    st->res.rss_bound_mib = cfg->rss_bound_mib;

    char endpoint[256];
    prober.cfg = cfg->probe;
    if (soak_setup(st, endpoint, sizeof endpoint, &prober.cfg) < 0)
        return 2;
    const char *backend = zaio_backend(st->ctx); /* the one running, not the one asked */
    st->res.backend = backend ? backend : st->res.backend;
    st->report = soak_report_open(cfg, st->res.backend, st->res.type);
    if (!st->report)
        return 2;
    const char *peer_ep = endpoint;
    if (cfg->faults && soak_faults_start(cfg, endpoint, &st->faults, &peer_ep) < 0)
        return 2;
    int rc = soak_peer_start(&st->peer, cfg, peer_ep);
    if (rc < 0) {
        fprintf(stderr, "zaio-soak: cannot start the peer %s: %s\n", cfg->peer_path, strerror(-rc));
        return 2;
    }
    if (!cfg->quiet)
        printf("zaio-soak: %s server on %s (backend %s), libzmq peer pid %d\n", st->res.type,
               endpoint, st->res.backend, (int)st->peer.pid);

    /* idle: the peer connected and greeted; the live records before any probe */
    uint64_t deadline = soak_now_ns() + SOAK_CONNECT_NS;
    while (!(st->peer.ready && st->traffic.subscribed) && !st->peer.eof &&
           soak_now_ns() < deadline)
        soak_step(st, 50);
    if (!soak_settle(st, deadline, -1, &st->res.live_base)) {
        /* zaio's side of a connect, a handshake or a subscription failed: a finding */
        snprintf(st->res.traffic_error, sizeof st->res.traffic_error,
                 "the libzmq peer %s within %llu s",
                 st->peer.eof ? "exited before it was connected"
                 : !st->peer.ready || !st->traffic.subscribed ? "was not connected and subscribed"
                                                               : "did not settle as one connection",
                 (unsigned long long)(SOAK_CONNECT_NS / 1000000000u));
        soak_peer_reap(&st->peer);
        soak_faults_free(st->faults);
        return soak_end(st);
    }
    st->res.live_peak = st->res.live_base;
    st->res.rss_base_kib = proc_rss_kib(0);
    soak_tick(st, 1);

    /* probing, with traffic */
    st->phase = "probing";
    soak_traffic_start(&st->traffic, soak_now_ns());
    soak_peer_say(&st->peer, "go\n");
    prober.cfg.target = endpoint;
    if (pthread_create(&prober.thread, NULL, soak_probe_main, &prober) != 0) {
        soak_peer_reap(&st->peer);
        return 2;
    }
    if (st->faults)
        soak_faults_begin(st->faults);
    soak_probe_phase(st);
    if (st->faults)
        soak_faults_calm(st->faults);
    soak_tick(st, 1);

    st->phase = "draining";
    soak_drain_phase(st);
    if (st->faults) {
        int refused = st->traffic.last_errno == EHOSTUNREACH && !st->res.traffic_error[0];
        soak_faults_account(st->faults, &st->res,
                            st->traffic.checks ? st->traffic.gaps : st->peer.gaps,
                            refused ? st->traffic.errors : 0,
                            cfg->server_type == ZAIO_PUSH || cfg->server_type == ZAIO_DEALER);
    }

    /* settling: every probe's records released, the peer's connection alone left */
    st->phase = "settling";
    st->res.settled = soak_settle(st, soak_now_ns() + cfg->settle_ms * 1000000u,
                                  st->res.live_base, &st->res.live_after);
    soak_stream_verdict(&st->traffic, st->res.stream_line, sizeof st->res.stream_line,
                        st->res.stream_why, sizeof st->res.stream_why); /* STREAM only */
    soak_tick(st, 1);
    soak_report_progress(st->report, &(soak_sample){0}, 1);

    soak_peer_reap(&st->peer);
    if (st->faults) {
        soak_faults_print(st->faults);
        soak_faults_free(st->faults);
    }
    return soak_end(st);
}
