/* report.c - what zaio-soak shows and keeps: progress (redrawn on a terminal, plain
 * lines otherwise), a CSV row per sample, the verdict, and a gnuplot PNG of RSS and
 * live records over probes. */
#include "soak.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct soak_report {
    const soak_config *cfg;
    const char *backend, *type;
    FILE *csv;
    int tty;
    int line_open;          /* a progress line is drawn without its newline */
    soak_sample *samples;   /* every sample, for the verdict's RSS figures */
    size_t n, cap;
    soak_sample last_shown;
    int have_last;
};

soak_report *soak_report_open(const soak_config *cfg, const char *backend, const char *type)
{
    soak_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = cfg;
    r->backend = backend;
    r->type = type;
    r->tty = isatty(1);
    r->csv = fopen(cfg->csv, "we"); /* close-on-exec: not the peer's to hold */
    if (!r->csv) {
        fprintf(stderr, "zaio-soak: cannot write %s\n", cfg->csv);
        free(r);
        return NULL;
    }
    fprintf(r->csv, "t_ms,phase,probes_started,probes_done,probes_in_flight,msgs,rss_kib,"
                    "live_records,sockets,accept_sockets,ops_in_flight,bufs,buf_bytes,"
                    "connections,handshakes,submit_failures\n");
    return r;
}

static void soak_csv_row(soak_report *r, const soak_sample *s)
{
    fprintf(r->csv,
            "%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64
            ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
            ",%" PRId64 "\n",
            s->t_ms, s->phase, s->probes_started, s->probes_done, s->probes_in_flight, s->msgs,
            s->rss_kib, s->live, s->sockets, s->accept_sockets, s->ops_in_flight, s->bufs,
            s->buf_bytes, s->connections, s->handshakes, s->submit_failures);
    fflush(r->csv); /* a long soak can be watched (or plotted) while it runs */
}

void soak_report_sample(soak_report *r, const soak_sample *s)
{
    soak_csv_row(r, s);
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        soak_sample *m = realloc(r->samples, cap * sizeof *m);
        if (!m)
            return; /* the CSV has it; the verdict's RSS figures use what fitted */
        r->samples = m;
        r->cap = cap;
    }
    r->samples[r->n++] = *s;
}

void soak_report_progress(soak_report *r, const soak_sample *s, int final)
{
    if (r->cfg->quiet)
        return;
    if (final) {
        if (r->line_open)
            putchar('\n');
        r->line_open = 0;
        fflush(stdout);
        return;
    }
    double secs = (double)s->t_ms / 1e3;
    double probe_rate = 0, msg_rate = 0;
    if (r->have_last && s->t_ms > r->last_shown.t_ms) {
        double dt = (double)(s->t_ms - r->last_shown.t_ms) / 1e3;
        probe_rate = (double)(s->probes_done - r->last_shown.probes_done) / dt;
        msg_rate = (double)(s->msgs - r->last_shown.msgs) / dt;
    }
    r->last_shown = *s;
    r->have_last = 1;
    if (r->tty)
        fputs("\r\033[K", stdout);
    printf("[%7.1fs] %-8s probes %" PRIu64 " (%.0f/s, %" PRIu64 " in flight) | msgs %" PRIu64
           " (%.0f/s) | live records %" PRId64 " (%" PRId64 " conns, %" PRId64
           " handshaking) | RSS %.1f MiB",
           secs, s->phase, s->probes_done, probe_rate, s->probes_in_flight, s->msgs, msg_rate,
           s->live, s->connections, s->handshakes, (double)s->rss_kib / 1024.0);
    if (r->tty) {
        r->line_open = 1;
    } else {
        putchar('\n');
    }
    fflush(stdout);
}

/* The RSS figures: a reference once the run is warm (10% of the probes done, when the
 * buffers and the probe's connections in flight have reached their working size), the
 * end of probing, and the least-squares slope between, per 10,000 probes. */
static void soak_rss_figures(soak_report *r, soak_result *res)
{
    const soak_sample *first = NULL, *end = NULL;
    uint64_t total = res->probes.total.done;
    for (size_t i = 0; i < r->n; i++) {
        const soak_sample *s = &r->samples[i];
        if (s->rss_kib > res->rss_peak_kib)
            res->rss_peak_kib = s->rss_kib;
        if (strcmp(s->phase, "probing") != 0)
            continue;
        if (!first && s->probes_done * 10 >= total)
            first = s;
        end = s;
    }
    res->rss_samples = 0;
    if (!first || !end) {
        res->rss_ref_kib = res->rss_end_kib = res->rss_base_kib;
        return;
    }
    res->rss_ref_kib = first->rss_kib;
    res->rss_ref_probes = first->probes_done;
    res->rss_end_kib = end->rss_kib;
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const soak_sample *s = first; s <= end; s++) {
        if (strcmp(s->phase, "probing") != 0)
            continue;
        double x = (double)s->probes_done, y = (double)s->rss_kib;
        n++;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    res->rss_samples = (int)n;
    double den = n * sxx - sx * sx;
    res->rss_slope_kib_per_10k = n >= 2 && den > 0 ? (n * sxy - sx * sy) / den * 1e4 : 0;
}

static void soak_why(soak_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void soak_why(soak_result *res, const char *fmt, ...)
{
    size_t len = strlen(res->why);
    if (len + 3 >= sizeof res->why)
        return;
    if (len)
        strcat(res->why, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->why + strlen(res->why), sizeof res->why - strlen(res->why), fmt, ap);
    va_end(ap);
}

static int soak_slope_judged(const soak_config *cfg, const soak_result *res)
{
    return cfg->probe.count >= SOAK_SLOPE_MIN_PROBES && res->rss_samples >= 2;
}

static void soak_judge(const soak_config *cfg, soak_result *res)
{
    const zprobe_counts *p = &res->probes.total;
    res->why[0] = '\0';
    if (res->interrupted)
        soak_why(res, "interrupted after %" PRIu64 " probes: an unfinished run proves nothing",
                 p->done);
    else if (cfg->probe.count && p->done < cfg->probe.count)
        soak_why(res, "%" PRIu64 " of the %" PRIu64 " probes ran", p->done, cfg->probe.count);
    if (cfg->handshake_ivl_ms > 0 && (uint64_t)cfg->handshake_ivl_ms < cfg->probe.silent_max_ms &&
        p->capped)
        soak_why(res, "%" PRIu64 " probes were never dropped by the server: they gave up at "
                      "--silent-max, past the %d ms %s",
                 p->capped, cfg->handshake_ivl_ms,
                 res->stream_line[0] ? "idle limit" : "handshake timeout");
    if (cfg->curve && soak_curve_admitted(&res->probes))
        soak_why(res, "%" PRIu64 " CURVE probes (garbage or truncated HELLO, replayed "
                      "INITIATE) got READY: the server let them in",
                 soak_curve_admitted(&res->probes));
    if (res->probe_rc != ZPROBE_OK || p->done == 0 || p->connected == 0)
        soak_why(res, "the probes did not run (%" PRIu64 " done, %" PRIu64 " connected)",
                 p->done, p->connected);
    if (res->traffic_error[0])
        soak_why(res, "traffic: %s", res->traffic_error);
    if (res->stream_why[0])
        soak_why(res, "%s", res->stream_why);
    if (res->msgs == 0)
        soak_why(res, "no traffic went through the server");
    if (res->skipped > cfg->window)
        soak_why(res, "the PUB's first %" PRIu64 " messages never reached the peer: more than "
                      "a late subscription explains (%" PRIu64 ")",
                 res->skipped, cfg->window);
    if (res->missing || res->reordered || res->corrupt || res->errors)
        soak_why(res, "traffic lost %" PRIu64 ", reordered %" PRIu64 ", corrupt %" PRIu64
                      ", errors %" PRIu64,
                 res->missing, res->reordered, res->corrupt, res->errors);
    if (res->peer_gone)
        soak_why(res, "the peer's connection is gone: the peer exited without a final count");
    else if (!res->settled || res->live_after > res->live_base)
        soak_why(res, "live records did not settle within --settle: %" PRId64
                      " (before the first probe: %" PRId64 ")",
                 res->live_after, res->live_base);
    if (!res->term_done)
        soak_why(res, "zaio_ctx_term did not return: sessions never finished");
    if (res->live_closed != 0)
        soak_why(res, "after close: %" PRId64 " live records (%" PRId64 " sockets, %" PRId64
                      " ops, %" PRId64 " buffers)",
                 res->live_closed, res->sockets_closed, res->ops_closed, res->bufs_closed);
    /* one sample or none from the reference on compares nothing with nothing */
    double growth = ((double)res->rss_end_kib - (double)res->rss_ref_kib) / 1024.0;
    if (res->rss_samples < 2)
        soak_why(res, "memory not judged: %d RSS samples from 10%% of the probes to the end of "
                      "probing, 2 needed (too short a run for --interval)",
                 res->rss_samples);
    else if (growth > res->rss_bound_mib)
        soak_why(res, "RSS grew %.1f MiB during the probes (bound %.1f MiB)", growth,
                 res->rss_bound_mib);
    if (soak_slope_judged(cfg, res) && res->rss_slope_kib_per_10k > cfg->rss_slope_bound_kib)
        soak_why(res, "RSS grew %.1f KiB per 10,000 probes (least squares, from 10%% of the "
                      "probes on; bound %.1f KiB)",
                 res->rss_slope_kib_per_10k, cfg->rss_slope_bound_kib);
    res->pass = res->why[0] == '\0';
}

static void soak_plot(soak_report *r, const soak_result *res)
{
    const char *png = r->cfg->png;
    if (!png || !*png)
        return;
    FILE *g = popen("gnuplot 2>&1", "w");
    if (!g) {
        printf("plot:     not written (gnuplot did not start)\n");
        return;
    }
    /* x: probes done; left axis RSS in MiB, right axis live records; the settle phase
     * after the last probe shows as the vertical end of each line */
    fprintf(g,
            "set terminal pngcairo size 1280,720 font ',10'\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set title \"zaio-soak: %s server, %s backend, %" PRIu64 " probes in %.0f s: %s\"\n"
            "set xlabel 'probes done'\n"
            "set ylabel 'RSS (MiB)'\n"
            "set y2label 'live asyncio records (sockets + ops in flight + pinned buffers)'\n"
            "set ytics nomirror\nset y2tics\nset grid\nset key top left\n"
            "set yrange [0:*]\nset y2range [0:*]\n"
            "plot '%s' using 4:($7/1024) skip 1 with lines lw 2 title 'RSS (MiB)' axes x1y1, "
            "'' using 4:8 skip 1 with lines lw 2 title 'live records' axes x1y2\n",
            png, res->type, res->backend, res->probes.total.done, (double)res->elapsed_ms / 1e3,
            res->pass ? "PASS" : "FAIL", r->cfg->csv);
    int rc = pclose(g);
    if (rc == 0 && access(png, R_OK) == 0)
        printf("plot:     %s\n", png);
    else
        printf("plot:     not written (gnuplot failed: is gnuplot-nox installed?)\n");
}

void soak_report_finish(soak_report *r, soak_result *res)
{
    soak_sample closed = {0};
    closed.t_ms = res->elapsed_ms;
    closed.phase = "closed";
    closed.probes_done = res->probes.total.done;
    closed.probes_started = res->probes.total.started;
    closed.msgs = res->msgs;
    closed.rss_kib = proc_rss_kib(0);
    closed.live = res->live_closed;
    closed.sockets = res->sockets_closed;
    closed.ops_in_flight = res->ops_closed;
    closed.bufs = res->bufs_closed;
    soak_csv_row(r, &closed);
    fflush(r->csv);

    soak_rss_figures(r, res);
    soak_judge(r->cfg, res);
    const zprobe_counts *p = &res->probes.total;
    double ps = res->probe_ms ? (double)p->done * 1e3 / (double)res->probe_ms : 0;
    printf("\n== zaio-soak: %s server, backend %s, %.1f s%s ==\n", res->type, res->backend,
           (double)res->elapsed_ms / 1e3, res->interrupted ? ", probes interrupted" : "");
    printf("probes:   %" PRIu64 " done in %.1f s (%.0f/s): %" PRIu64 " connected, %" PRIu64
           " refused, %" PRIu64 " timed out; server reset %" PRIu64 ", closed %" PRIu64
           "; peak %" PRIu64 " in flight\n",
           p->done, (double)res->probe_ms / 1e3, ps, p->connected, p->refused, p->timed_out,
           p->server_rst, p->server_fin, res->probes.peak_in_flight);
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++) {
        const zprobe_counts *c = &res->probes.mode[m];
        if (c->started)
            printf("          %-15s %9" PRIu64 " done, %" PRIu64 " dropped by the server (reset "
                   "%" PRIu64 ", close %" PRIu64 ")\n",
                   zprobe_mode_name((zprobe_mode)m), c->done, c->server_rst + c->server_fin,
                   c->server_rst, c->server_fin);
    }
    if (r->cfg->curve)
        printf("curve:    %" PRIu64 " CURVE probes let in (answered READY; PASS needs 0)\n",
               soak_curve_admitted(&res->probes));
    if (res->peer_checks && !res->peer_done)
        printf("traffic:  %" PRIu64 " messages through the server; lost ? (the peer, which "
               "checks them, gave no final count)",
               res->msgs);
    else
        printf("traffic:  %" PRIu64 " messages through the server; sent %" PRIu64
               ", received %" PRIu64 ", lost %" PRIu64 ", reordered %" PRIu64
               ", corrupt %" PRIu64 ", errors %" PRIu64,
               res->msgs, res->sent, res->received, res->missing, res->reordered,
               res->corrupt, res->errors);
    if (res->skipped)
        printf(" (%" PRIu64 " published before the subscription landed: not sent, by PUB's rules)",
               res->skipped);
    printf("\n");
    if (res->stream_line[0])
        printf("stream:   %s\n", res->stream_line);
    printf("records:  live %" PRId64 " before the first probe, peak %" PRId64
           ", %" PRId64 " after the probes (%s); %" PRId64 " after close%s\n",
           res->live_base, res->live_peak, res->live_after,
           res->settled ? "settled" : "did not settle", res->live_closed,
           res->term_done ? "" : " (zaio_ctx_term hung)");
    printf("memory:   RSS %.1f MiB idle, %.1f MiB at %" PRIu64 " probes (reference), %.1f MiB at "
           "the end of probing, peak %.1f MiB; ",
           (double)res->rss_base_kib / 1024, (double)res->rss_ref_kib / 1024, res->rss_ref_probes,
           (double)res->rss_end_kib / 1024, (double)res->rss_peak_kib / 1024);
    if (res->rss_samples < 2)
        printf("not judged: %d samples from the reference on, 2 needed\n", res->rss_samples);
    else if (soak_slope_judged(r->cfg, res))
        printf("growth %.1f MiB (bound %.1f MiB), slope %.1f KiB per 10,000 probes (bound "
               "%.1f KiB)\n",
               ((double)res->rss_end_kib - (double)res->rss_ref_kib) / 1024, res->rss_bound_mib,
               res->rss_slope_kib_per_10k, r->cfg->rss_slope_bound_kib);
    else
        printf("growth %.1f MiB (bound %.1f MiB), slope %.1f KiB per 10,000 probes (not judged "
               "below --probes %u: the warm-up shows in it)\n",
               ((double)res->rss_end_kib - (double)res->rss_ref_kib) / 1024, res->rss_bound_mib,
               res->rss_slope_kib_per_10k, SOAK_SLOPE_MIN_PROBES);
    printf("csv:      %s\n", r->cfg->csv);
    soak_plot(r, res);
    if (res->pass)
        printf("verdict:  PASS\n");
    else
        printf("verdict:  FAIL: %s\n", res->why);
    fflush(stdout);
}

void soak_report_close(soak_report *r)
{
    if (!r)
        return;
    if (r->csv)
        fclose(r->csv);
    free(r->samples);
    free(r);
}
