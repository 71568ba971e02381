/* compare.c - `zaio-soak --compare`: the same probe schedule against three servers, in
 * one picture, each with its verdict (issue 15, part 5):
 *   - today's zaio: this zaio-soak, run again as a child with the schedule;
 *   - AsyncIO 0.1.26's release behaviour: a zaio-soak built with
 *     ZAIO_AIO_LEGACY_0_1_26=ON (`make soak SOAK_ARGS=--compare` builds it in
 *     $(BUILD)-legacy), run the same way;
 *   - libzmq 4.3.4: a ROUTER of the system's libzmq in a process of its own
 *     (zaio-soak-libzmq; zaio itself never links libzmq), probed from here by the same
 *     engine with the same schedule.
 * The two zaio runs are full soaks (traffic, settle, close) and give their own CSV and
 * verdict. libzmq has no asyncio records to count: what stands for them is its open
 * descriptors (/proc/PID/fd), with its RSS (/proc/PID/statm), sampled at the same
 * interval; its verdict asks that the probes ran, that its descriptors came back to
 * where they were before the first probe within --settle, and that RSS grew less than
 * --rss-bound from 10% of the probes to the end. (The zaio runs' RSS is the soak
 * process's, the probe engine and the libzmq traffic's client side included; libzmq's
 * is its server process alone: compare the slopes, not the levels.)
 * The plot: live records (zaio) and descriptors (libzmq) on a log scale above, RSS
 * below, both over probes done. Exit 0 when today's zaio and libzmq PASS and the legacy
 * build FAILs (its leak seen), 1 otherwise, 2 when a run could not start. */
#include "probe.h"
#include "probe_net.h"
#include "soak.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int soak_compare_main(int argc, char **argv);

/* snprintf that may cut a long path short, knowingly (an over-long path then fails to
 * open, which is reported) */
__attribute__((format(printf, 3, 4))) static void cmp_fmt(char *buf, size_t len,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

typedef struct cmp_opts {
    const char *probes, *duration, *mix, *rate, *concurrency, *seed, *backend, *interval,
        *settle, *silent_max, *hsk;
    const char *out, *legacy, *libzmq_server;
    double rss_bound_mib;
    int quiet;
} cmp_opts;

/* what each run comes to, for the table */
typedef struct cmp_run {
    const char *label, *measure;
    char csv[PATH_MAX], log[PATH_MAX];
    int rc;           /* 0 PASS, 1 FAIL, 2 could not run */
    char verdict[600];
    uint64_t probes;
    int64_t live_idle, live_peak, live_end, live_closed;
    uint64_t rss_start_kib, rss_end_kib;
} cmp_run;

static uint64_t cmp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *cmp_self(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    return path;
}

/* PATH's folder, then name appended: "<dir of self>/<name>" */
static void cmp_beside(char *out, size_t len, const char *self, const char *name)
{
    cmp_fmt(out, len, "%s", self);
    char *slash = strrchr(out, '/');
    size_t at = slash ? (size_t)(slash - out) + 1 : 0;
    cmp_fmt(out + at, len - at, "%s", name);
}

/* The legacy zaio-soak: --legacy, or next to this build: <build>-legacy (make soak) or
 * <build>/legacy (the ctest negative control's). */
static const char *cmp_find_legacy(const cmp_opts *o, const char *self)
{
    static char path[PATH_MAX];
    if (o->legacy)
        return o->legacy;
    char build[PATH_MAX];
    cmp_fmt(build, sizeof build, "%s", self);
    for (int up = 0; up < 3; up++) { /* <build>/tools/soak/zaio-soak -> <build> */
        char *slash = strrchr(build, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
    }
    cmp_fmt(path, sizeof path, "%s-legacy/tools/soak/zaio-soak", build);
    if (access(path, X_OK) == 0)
        return path;
    cmp_fmt(path, sizeof path, "%s/legacy/tools/soak/zaio-soak", build);
    if (access(path, X_OK) == 0)
        return path;
    return NULL;
}

/* ---- the two zaio runs: zaio-soak children ------------------------------------------- */

static void cmp_push(const char **av, int *ac, const char *opt, const char *val)
{
    if (!val)
        return;
    av[(*ac)++] = opt;
    av[(*ac)++] = val;
}

/* Fills r from the child's CSV: live records and RSS over the phases. */
static void cmp_read_soak_csv(cmp_run *r)
{
    FILE *f = fopen(r->csv, "r");
    if (!f)
        return;
    char line[1024];
    bool probing_seen = false;
    r->live_peak = 0;
    while (fgets(line, sizeof line, f)) {
        char phase[32];
        uint64_t t, started, done, inflight, msgs, rss;
        int64_t live;
        if (sscanf(line, "%" SCNu64 ",%31[^,],%" SCNu64 ",%" SCNu64 ",%" SCNu64 ",%" SCNu64
                         ",%" SCNu64 ",%" SCNd64,
                   &t, phase, &started, &done, &inflight, &msgs, &rss, &live) != 8)
            continue;
        /* idle: the last sample before the first probe (the peer connected by then);
         * RSS from the first probing sample to the last */
        if (!strcmp(phase, "idle")) {
            r->live_idle = live;
        } else if (!strcmp(phase, "probing")) {
            if (!probing_seen)
                r->rss_start_kib = rss;
            probing_seen = true;
            r->rss_end_kib = rss;
        }
        if (!strcmp(phase, "closed")) {
            r->live_closed = live;
        } else {
            r->live_end = live;
            if (live > r->live_peak)
                r->live_peak = live;
        }
        r->probes = done;
    }
    fclose(f);
}

/* The child's verdict line and the summary above it, from its log. */
static void cmp_read_verdict(cmp_run *r, bool show)
{
    FILE *f = fopen(r->log, "r");
    if (!f) {
        cmp_fmt(r->verdict, sizeof r->verdict, "no output (%s)", r->log);
        return;
    }
    char line[1024];
    bool summary = false;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "== zaio-soak", 12))
            summary = true;
        if (summary && show && strncmp(line, "plot:", 5) != 0)
            printf("    %s", line);
        /* the soak's own figures, from samples finer than its CSV's rows */
        int64_t idle, peak, after;
        if (sscanf(line, "records: live %" SCNd64 " before the first probe, peak %" SCNd64
                         ", %" SCNd64 " after the probes",
                   &idle, &peak, &after) == 3) {
            r->live_idle = idle;
            r->live_peak = peak;
            r->live_end = after;
        }
        if (!strncmp(line, "verdict:", 8)) {
            line[strcspn(line, "\n")] = '\0';
            const char *v = line + 8;
            while (*v == ' ')
                v++;
            cmp_fmt(r->verdict, sizeof r->verdict, "%s", v);
        }
    }
    fclose(f);
}

static int cmp_run_soak(const cmp_opts *o, cmp_run *r, const char *exe, const char *tag)
{
    char prefix[PATH_MAX];
    cmp_fmt(prefix, sizeof prefix, "%s-%s", o->out, tag);
    cmp_fmt(r->csv, sizeof r->csv, "%s.csv", prefix);
    cmp_fmt(r->log, sizeof r->log, "%s.txt", prefix);
    const char *av[64];
    int ac = 0;
    av[ac++] = exe;
    cmp_push(av, &ac, "--probes", o->probes);
    cmp_push(av, &ac, "--duration", o->duration);
    cmp_push(av, &ac, "--mix", o->mix);
    cmp_push(av, &ac, "--probe-rate", o->rate);
    cmp_push(av, &ac, "--concurrency", o->concurrency);
    cmp_push(av, &ac, "--seed", o->seed);
    cmp_push(av, &ac, "--backend", o->backend);
    cmp_push(av, &ac, "--interval", o->interval);
    cmp_push(av, &ac, "--settle", o->settle);
    cmp_push(av, &ac, "--silent-max", o->silent_max);
    cmp_push(av, &ac, "--handshake-ivl", o->hsk);
    cmp_push(av, &ac, "--progress", "5s");
    cmp_push(av, &ac, "--png", "");
    cmp_push(av, &ac, "-o", prefix);
    av[ac] = NULL;

    printf("-- %s: %s (log %s)\n", r->label, exe, r->log);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        r->rc = 2;
        cmp_fmt(r->verdict, sizeof r->verdict, "fork: %s", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(2);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execv(exe, (char *const *)av);
        fprintf(stderr, "exec %s: %s\n", exe, strerror(errno));
        _exit(2);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    r->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
    cmp_read_soak_csv(r);
    cmp_read_verdict(r, !o->quiet);
    if (!r->verdict[0])
        cmp_fmt(r->verdict, sizeof r->verdict, "none (exit %d; see %s)", r->rc, r->log);
    return r->rc;
}

/* ---- libzmq: its server process, probed from here ------------------------------------- */

static int cmp_count_fds(pid_t pid)
{
    char path[64];
    cmp_fmt(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

typedef struct zmq_sampler {
    pid_t pid;
    FILE *csv;
    uint64_t t0;
    cmp_run *r;
    uint64_t count;                /* probes to run (0: by duration) */
    /* the RSS reference: the first probing sample at 10% of the probes or later */
    uint64_t ref_kib;
    bool have_ref, probing_seen;
} zmq_sampler;

static void zmq_sample(zmq_sampler *z, const char *phase, const zprobe_stats *st)
{
    int fds = cmp_count_fds(z->pid);
    uint64_t rss = proc_rss_kib(z->pid);
    uint64_t started = st ? st->total.started : 0, done = st ? st->total.done : 0,
             inflight = st ? st->total.in_flight : 0;
    fprintf(z->csv, "%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d\n",
            cmp_now_ms() - z->t0, phase, started, done, inflight, rss, fds);
    fflush(z->csv);
    cmp_run *r = z->r;
    if (!strcmp(phase, "idle")) {
        r->live_idle = fds;
        r->rss_start_kib = rss;
    }
    if (!strcmp(phase, "probing")) {
        if (!z->probing_seen)
            r->rss_start_kib = rss;
        z->probing_seen = true;
        r->rss_end_kib = rss;
        if (!z->have_ref && (z->count == 0 || done * 10 >= z->count)) {
            z->have_ref = true;
            z->ref_kib = rss;
        }
    }
    if (fds > r->live_peak)
        r->live_peak = fds;
    r->live_end = fds;
    r->probes = done;
}

static int zmq_progress(const zprobe_stats *now, void *arg)
{
    zmq_sample(arg, "probing", now);
    return 0;
}

static int cmp_run_libzmq(const cmp_opts *o, cmp_run *r, const char *server,
                          const zprobe_config *base, uint64_t interval_ms, uint64_t settle_ms)
{
    cmp_fmt(r->csv, sizeof r->csv, "%s-libzmq.csv", o->out);
    cmp_fmt(r->log, sizeof r->log, "%s-libzmq.txt", o->out);
    printf("-- %s: %s (log %s)\n", r->label, server, r->log);
    fflush(stdout);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        cmp_fmt(r->verdict, sizeof r->verdict, "pipe: %s", strerror(errno));
        return r->rc = 2;
    }
    char hsk[32];
    cmp_fmt(hsk, sizeof hsk, "%s", "2000");
    if (o->hsk) {
        uint64_t ms;
        if (zprobe_parse_duration_ms(o->hsk, &ms) == 0)
            cmp_fmt(hsk, sizeof hsk, "%" PRIu64, ms);
    }
    pid_t pid = fork();
    if (pid < 0) {
        cmp_fmt(r->verdict, sizeof r->verdict, "fork: %s", strerror(errno));
        return r->rc = 2;
    }
    if (pid == 0) {
        int log = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in[0], 0);
        dup2(out[1], 1);
        if (log >= 0)
            dup2(log, 2);
        execl(server, server, "tcp://127.0.0.1:*", hsk, "4096", (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", server, strerror(errno));
        _exit(2);
    }
    close(in[0]);
    close(out[1]);
    FILE *sout = fdopen(out[0], "r");
    char line[512], ep[300] = "";
    if (sout && fgets(line, sizeof line, sout) && sscanf(line, "endpoint %299s", ep) == 1) {
        /* bound */
    }
    if (!ep[0]) {
        cmp_fmt(r->verdict, sizeof r->verdict, "the libzmq server printed no endpoint (see %s)",
                 r->log);
        close(in[1]);
        waitpid(pid, NULL, 0);
        if (sout)
            fclose(sout);
        return r->rc = 2;
    }

    zmq_sampler z = {.pid = pid, .t0 = cmp_now_ms(), .r = r, .count = base->count};
    z.csv = fopen(r->csv, "w");
    if (!z.csv) {
        cmp_fmt(r->verdict, sizeof r->verdict, "cannot write %s", r->csv);
        kill(pid, SIGTERM);
        close(in[1]);
        waitpid(pid, NULL, 0);
        fclose(sout);
        return r->rc = 2;
    }
    fprintf(z.csv, "t_ms,phase,probes_started,probes_done,probes_in_flight,rss_kib,fds\n");
    zmq_sample(&z, "idle", NULL);
    int64_t fds_idle = r->live_idle;

    zprobe_config cfg = *base;
    cfg.target = ep;
    cfg.progress_ms = interval_ms;
    static zprobe_report rep;
    memset(&rep, 0, sizeof rep);
    uint64_t t_probe = cmp_now_ms();
    int prc = zprobe_run(&cfg, &rep, zmq_progress, &z);
    uint64_t probe_ms = cmp_now_ms() - t_probe;
    zprobe_stats st;
    zprobe_sample(&rep, &st);
    zmq_sample(&z, "probing", &st);

    /* the descriptors must come back within --settle */
    uint64_t until = cmp_now_ms() + settle_ms;
    bool settled = false;
    while (!settled && cmp_now_ms() < until) {
        struct timespec ts = {0, (long)(interval_ms % 1000) * 1000000L};
        ts.tv_sec = (time_t)(interval_ms / 1000);
        nanosleep(&ts, NULL); /* a sampling interval, not a wait for a race */
        zmq_sample(&z, "settling", &st);
        settled = r->live_end <= fds_idle;
    }
    /* the server goes: stdin closed, then SIGTERM if it lingers */
    close(in[1]);
    int wst = 0;
    uint64_t deadline = cmp_now_ms() + 5000;
    pid_t w;
    while ((w = waitpid(pid, &wst, WNOHANG)) == 0 && cmp_now_ms() < deadline) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (w == 0) {
        kill(pid, SIGTERM);
        waitpid(pid, &wst, 0);
    }
    fprintf(z.csv, "%" PRIu64 ",closed,%" PRIu64 ",%" PRIu64 ",0,0,0\n", cmp_now_ms() - z.t0,
            st.total.started, st.total.done);
    fclose(z.csv);
    fclose(sout);
    r->live_closed = 0;
    r->probes = st.total.done;

    double growth_mib = z.have_ref ? ((double)r->rss_end_kib - (double)z.ref_kib) / 1024 : 0;
    const zprobe_counts *p = &st.total;
    double ps = probe_ms ? (double)p->done * 1e3 / (double)probe_ms : 0;
    if (!o->quiet) {
        printf("    libzmq ROUTER at %s: %" PRIu64 " probes done in %.1f s (%.0f/s), %" PRIu64
               " connected, %" PRIu64 " refused, %" PRIu64 " timed out; server reset %" PRIu64
               ", closed %" PRIu64 "\n",
               ep, p->done, (double)probe_ms / 1e3, ps, p->connected, p->refused, p->timed_out,
               p->server_rst, p->server_fin);
        printf("    descriptors: %" PRId64 " idle, peak %" PRId64 ", %" PRId64 " after the probes "
               "(%s)\n",
               fds_idle, r->live_peak, r->live_end, settled ? "settled" : "did not settle");
        printf("    memory: RSS %.1f MiB at the first probe, %.1f MiB at the reference (10%% of the probes), "
               "%.1f MiB at the end of probing: growth %.1f MiB (bound %.1f MiB)\n",
               (double)r->rss_start_kib / 1024, (double)z.ref_kib / 1024,
               (double)r->rss_end_kib / 1024, growth_mib, o->rss_bound_mib);
    }
    if (prc != ZPROBE_OK)
        cmp_fmt(r->verdict, sizeof r->verdict, "FAIL: the probes did not run: %s", rep.error);
    else if (p->connected == 0)
        cmp_fmt(r->verdict, sizeof r->verdict, "FAIL: no probe connected");
    else if (!settled)
        cmp_fmt(r->verdict, sizeof r->verdict,
                 "FAIL: descriptors %" PRId64 " after the probes, %" PRId64 " before", r->live_end,
                 fds_idle);
    else if (!z.have_ref)
        cmp_fmt(r->verdict, sizeof r->verdict, "FAIL: no RSS reference sample");
    else if (growth_mib >= o->rss_bound_mib)
        cmp_fmt(r->verdict, sizeof r->verdict, "FAIL: RSS grew %.1f MiB (bound %.1f MiB)",
                 growth_mib, o->rss_bound_mib);
    else
        cmp_fmt(r->verdict, sizeof r->verdict, "PASS");
    r->rc = !strcmp(r->verdict, "PASS") ? 0 : 1;
    return r->rc;
}

/* ---- the picture --------------------------------------------------------------------- */

static void cmp_plot(const char *png, const cmp_run *z, const cmp_run *l, const cmp_run *m,
                     const char *schedule)
{
    FILE *g = popen("gnuplot 2>&1", "w");
    if (!g) {
        printf("plot:     not written (gnuplot did not start)\n");
        return;
    }
#define CMP_V(r) ((r)->rc == 0 ? "PASS" : (r)->rc == 1 ? "FAIL" : "did not run")
    fprintf(g,
            "set terminal pngcairo size 1280,960 font ',10'\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set multiplot layout 2,1 title \"zaio-soak --compare: %s\"\n"
            "set xlabel 'probes done'\nset grid\nset key top left\n"
            "set ylabel 'live records (zaio) / open descriptors (libzmq), + 1'\n"
            "set logscale y\nset yrange [1:*]\n"
            "plot '%s' using 4:($8+1) skip 1 with lines lw 2 lc rgb '#1a9850' "
            "title \"today's zaio: live asyncio records (%s)\", "
            "'%s' using 4:($8+1) skip 1 with lines lw 2 lc rgb '#d73027' "
            "title 'legacy 0.1.26 build: live asyncio records (%s)', "
            "'%s' using 4:(strcol(2) eq 'closed' ? NaN : $7+1) skip 1 with lines lw 2 lc rgb '#4575b4' "
            "title 'libzmq 4.3.4 ROUTER: open descriptors (%s)'\n"
            "unset logscale y\nset yrange [0:*]\n"
            "set ylabel 'RSS (MiB)'\n"
            "plot '%s' using 4:($7/1024) skip 1 with lines lw 2 lc rgb '#1a9850' "
            "title \"today's zaio (soak process)\", "
            "'%s' using 4:($7/1024) skip 1 with lines lw 2 lc rgb '#d73027' "
            "title 'legacy 0.1.26 build (soak process)', "
            "'%s' using 4:(strcol(2) eq 'closed' ? NaN : $6/1024) skip 1 with lines lw 2 lc rgb '#4575b4' "
            "title 'libzmq 4.3.4 (server process)'\n"
            "unset multiplot\n",
            png, schedule, z->csv, CMP_V(z), l->csv, CMP_V(l), m->csv, CMP_V(m), z->csv, l->csv,
            m->csv);
#undef CMP_V
    int rc = pclose(g);
    if (rc == 0 && access(png, R_OK) == 0)
        printf("plot:     %s\n", png);
    else
        printf("plot:     not written (gnuplot failed: is gnuplot-nox installed?)\n");
}

/* ---- the command --------------------------------------------------------------------- */

static const char cmp_usage[] =
"usage: zaio-soak --compare [--probes N | --duration D] [options]\n"
"\n"
"The same probe schedule against today's zaio, the ZAIO_AIO_LEGACY_0_1_26 build\n"
"(AsyncIO 0.1.26's release behaviour) and a libzmq 4.3.4 ROUTER (zaio-soak-libzmq);\n"
"live records (zaio) or open descriptors (libzmq) and RSS of the three over probes in\n"
"one PNG, and each one's verdict. Exit 0 when today's zaio and libzmq PASS and the\n"
"legacy build FAILs; 1 otherwise; 2 when a run could not start.\n"
"\n"
"  -n, --probes N        probes per server (default 20000)\n"
"  -d, --duration D      probe each server for D instead\n"
"  -x, --mix LIST        probe modes (default rst: production's connect-and-reset)\n"
"  -r, --probe-rate R    probe starts per second (default 1000)\n"
"  -c, --concurrency C   probes in flight at most (default 256)\n"
"      --seed N          orders the mix\n"
"  -b, --backend B       the zaio runs' backend (uring, epoll; default the best)\n"
"  -i, --interval D      a sample every D (default 250ms)\n"
"      --settle D        how long records/descriptors may take to come back (default 5s)\n"
"      --silent-max D, --handshake-ivl D   as for a soak\n"
"      --rss-bound MIB   libzmq's RSS growth bound (default 16)\n"
"      --legacy PATH     the legacy build's zaio-soak (default: <build>-legacy or\n"
"                        <build>/legacy beside this one; make soak SOAK_ARGS=--compare\n"
"                        builds it)\n"
"      --libzmq-server PATH  the libzmq server (default: zaio-soak-libzmq beside this)\n"
"  -o, --out PREFIX      PREFIX-compare.png, PREFIX-{zaio,legacy,libzmq}.csv and .txt\n"
"  -q, --quiet           the table and verdicts only\n";

int soak_compare_main(int argc, char **argv)
{
    enum { O_CMP = 300, O_SEED, O_SETTLE, O_SILENT, O_HSK, O_RSS, O_LEGACY, O_SERVER };
    static const struct option opts[] = {
        {"compare", no_argument, NULL, O_CMP},
        {"probes", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"mix", required_argument, NULL, 'x'},
        {"probe-rate", required_argument, NULL, 'r'},
        {"concurrency", required_argument, NULL, 'c'},
        {"seed", required_argument, NULL, O_SEED},
        {"backend", required_argument, NULL, 'b'},
        {"interval", required_argument, NULL, 'i'},
        {"settle", required_argument, NULL, O_SETTLE},
        {"silent-max", required_argument, NULL, O_SILENT},
        {"handshake-ivl", required_argument, NULL, O_HSK},
        {"rss-bound", required_argument, NULL, O_RSS},
        {"legacy", required_argument, NULL, O_LEGACY},
        {"libzmq-server", required_argument, NULL, O_SERVER},
        {"out", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cmp_opts o = {.mix = "rst", .rate = "1000", .interval = "250ms", .settle = "5s",
                  .out = "soak", .rss_bound_mib = 16};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:d:x:r:c:b:i:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_CMP: break;
        case 'n': o.probes = optarg; break;
        case 'd': o.duration = optarg; break;
        case 'x': o.mix = optarg; break;
        case 'r': o.rate = optarg; break;
        case 'c': o.concurrency = optarg; break;
        case O_SEED: o.seed = optarg; break;
        case 'b': o.backend = optarg; break;
        case 'i': o.interval = optarg; break;
        case O_SETTLE: o.settle = optarg; break;
        case O_SILENT: o.silent_max = optarg; break;
        case O_HSK: o.hsk = optarg; break;
        case O_RSS: o.rss_bound_mib = atof(optarg); break;
        case O_LEGACY: o.legacy = optarg; break;
        case O_SERVER: o.libzmq_server = optarg; break;
        case 'o': o.out = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': fputs(cmp_usage, stdout); return 0;
        default: fputs("Try 'zaio-soak --compare --help'.\n", stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "zaio-soak --compare: takes options only ('%s')\n", argv[optind]);
        return 2;
    }
    if (!o.probes && !o.duration)
        o.probes = "20000";

    /* the schedule, parsed once as the soak children will parse it */
    zprobe_config probe;
    zprobe_config_init(&probe);
    probe.silent_max_ms = 10000;
    uint64_t interval_ms = 250, settle_ms = 5000;
    if ((o.probes && (probe.count = strtoull(o.probes, NULL, 10)) == 0) ||
        (o.duration && zprobe_parse_duration_ms(o.duration, &probe.duration_ms) < 0) ||
        zprobe_parse_mix(o.mix, probe.weights) < 0 || zprobe_parse_rate(o.rate, &probe.rate) < 0 ||
        zprobe_parse_duration_ms(o.interval, &interval_ms) < 0 || interval_ms < 10 ||
        zprobe_parse_duration_ms(o.settle, &settle_ms) < 0 ||
        (o.silent_max && zprobe_parse_duration_ms(o.silent_max, &probe.silent_max_ms) < 0)) {
        fprintf(stderr, "zaio-soak --compare: a bad option value; see --help\n");
        return 2;
    }
    if (o.concurrency)
        probe.concurrency = (unsigned)strtoul(o.concurrency, NULL, 10);
    if (o.seed)
        probe.seed = strtoull(o.seed, NULL, 10);
    zprobe_net_raise_fd_limit(2 * (uint64_t)probe.concurrency + 256);

    const char *self = cmp_self();
    if (!self) {
        fprintf(stderr, "zaio-soak --compare: cannot find my own executable\n");
        return 2;
    }
    static char self_copy[PATH_MAX], server[PATH_MAX], png[PATH_MAX], schedule[256];
    cmp_fmt(self_copy, sizeof self_copy, "%s", self);
    if (o.libzmq_server)
        cmp_fmt(server, sizeof server, "%s", o.libzmq_server);
    else
        cmp_beside(server, sizeof server, self_copy, "zaio-soak-libzmq");
    const char *legacy = cmp_find_legacy(&o, self_copy);
    if (!legacy) {
        fprintf(stderr, "zaio-soak --compare: no legacy build found beside %s: build one "
                        "(make soak SOAK_ARGS=--compare does, in $(BUILD)-legacy) or give "
                        "--legacy PATH\n",
                self_copy);
        return 2;
    }
    cmp_fmt(png, sizeof png, "%s-compare.png", o.out);
    cmp_fmt(schedule, sizeof schedule, "%s%s probes each, mix %s, %s/s, %s in flight",
             o.probes ? o.probes : o.duration, o.probes ? "" : " of", o.mix, o.rate,
             o.concurrency ? o.concurrency : "256");
    printf("== zaio-soak --compare: %s ==\n", schedule);

    cmp_run runs[3] = {
        {.label = "today's zaio", .measure = "live records"},
        {.label = "legacy 0.1.26 build", .measure = "live records"},
        {.label = "libzmq 4.3.4 ROUTER", .measure = "descriptors"},
    };
    cmp_run_soak(&o, &runs[0], self_copy, "zaio");
    cmp_run_soak(&o, &runs[1], legacy, "legacy");
    cmp_run_libzmq(&o, &runs[2], server, &probe, interval_ms, settle_ms);

    printf("\n== zaio-soak --compare: %s ==\n", schedule);
    printf("%-20s %8s  %-13s %6s %7s %12s %8s  %-18s  %s\n", "server", "probes", "measure",
           "idle", "peak", "after probes", "closed", "RSS start -> end", "verdict");
    for (int i = 0; i < 3; i++) {
        cmp_run *r = &runs[i];
        char rss[40], closed[16];
        cmp_fmt(rss, sizeof rss, "%.1f -> %.1f MiB", (double)r->rss_start_kib / 1024,
                 (double)r->rss_end_kib / 1024);
        if (i == 2)
            cmp_fmt(closed, sizeof closed, "%s", "-");
        else
            cmp_fmt(closed, sizeof closed, "%" PRId64, r->live_closed);
        printf("%-20s %8" PRIu64 "  %-13s %6" PRId64 " %7" PRId64 " %12" PRId64 " %8s  %-18s  %s\n",
               r->label, r->probes, r->measure, r->live_idle, r->live_peak, r->live_end, closed,
               rss, r->verdict);
    }
    cmp_plot(png, &runs[0], &runs[1], &runs[2], schedule);
    if (runs[0].rc == 2 || runs[1].rc == 2 || runs[2].rc == 2) {
        printf("compare: a run could not start\n");
        return 2;
    }
    bool expected = runs[0].rc == 0 && runs[1].rc == 1 && runs[2].rc == 0;
    printf("compare: %s\n", expected ? "as expected: today's zaio and libzmq PASS, the legacy "
                                       "build FAILs with its leak"
                                     : "NOT as expected (see the verdicts above)");
    return expected ? 0 : 1;
}
