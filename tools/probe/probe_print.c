/* zaio-probe's summaries (text for people, JSON and CSV for zaio-soak and scripts) and
 * its progress line. The field table below is the one list of counter names: JSON keys
 * and CSV columns come from it, so they cannot fall out of step with zprobe_counts. */
#include "probe.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#define ZP_FIELD(f) { #f, offsetof(zprobe_counts, f) }
static const struct {
    const char *name;
    size_t off;
} zp_fields[] = {
    ZP_FIELD(started), ZP_FIELD(done), ZP_FIELD(in_flight), ZP_FIELD(connected),
    ZP_FIELD(refused), ZP_FIELD(timed_out), ZP_FIELD(conn_failed), ZP_FIELD(aborted),
    ZP_FIELD(server_rst), ZP_FIELD(server_fin), ZP_FIELD(our_close), ZP_FIELD(io_error),
    ZP_FIELD(rst_sent), ZP_FIELD(fin_sent), ZP_FIELD(capped), ZP_FIELD(bytes_sent),
    ZP_FIELD(bytes_received), ZP_FIELD(with_data), ZP_FIELD(zmtp_signature),
    ZP_FIELD(zmtp_greeting), ZP_FIELD(zmtp_ready), ZP_FIELD(zmtp_error), ZP_FIELD(http_reply),
    ZP_FIELD(drop_count), ZP_FIELD(drop_ms_sum), ZP_FIELD(drop_ms_min), ZP_FIELD(drop_ms_max),
};
#define ZP_NFIELDS (sizeof zp_fields / sizeof zp_fields[0])
_Static_assert(ZP_NFIELDS * sizeof(uint64_t) == sizeof(zprobe_counts),
               "every zprobe_counts field must be in zp_fields");

static uint64_t zp_get(const zprobe_counts *c, size_t i)
{
    uint64_t v;
    memcpy(&v, (const char *)c + zp_fields[i].off, sizeof v);
    return v;
}

/* The modes to show: those in the mix, or (without a config) those that ran. */
static int zp_shown(const zprobe_config *cfg, const zprobe_stats *st, int m)
{
    return cfg ? cfg->weights[m] > 0 : st->mode[m].started > 0;
}

static void zp_json_counts(FILE *out, const zprobe_counts *c)
{
    fputc('{', out);
    for (size_t i = 0; i < ZP_NFIELDS; i++)
        fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", zp_fields[i].name, zp_get(c, i));
    fputc('}', out);
}

static void zp_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void zp_print_json(FILE *out, const zprobe_config *cfg, const zprobe_stats *st)
{
    fputs("{\"target\":", out);
    zp_json_string(out, cfg ? cfg->target : NULL);
    fprintf(out, ",\"elapsed_ms\":%" PRIu64 ",\"peak_in_flight\":%" PRIu64
                 ",\"last_errno\":%" PRIu64 ",\"total\":",
            st->elapsed_ms, st->peak_in_flight, st->last_errno);
    zp_json_counts(out, &st->total);
    fputs(",\"modes\":{", out);
    int first = 1;
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++) {
        if (!zp_shown(cfg, st, m))
            continue;
        fprintf(out, "%s\"%s\":", first ? "" : ",", zprobe_mode_name((zprobe_mode)m));
        zp_json_counts(out, &st->mode[m]);
        first = 0;
    }
    fputs("}}\n", out);
}

static void zp_csv_row(FILE *out, const char *name, const zprobe_counts *c, uint64_t elapsed)
{
    fprintf(out, "%s", name);
    for (size_t i = 0; i < ZP_NFIELDS; i++)
        fprintf(out, ",%" PRIu64, zp_get(c, i));
    fprintf(out, ",%" PRIu64 "\n", elapsed);
}

static void zp_print_csv(FILE *out, const zprobe_config *cfg, const zprobe_stats *st)
{
    fputs("mode", out);
    for (size_t i = 0; i < ZP_NFIELDS; i++)
        fprintf(out, ",%s", zp_fields[i].name);
    fputs(",elapsed_ms\n", out);
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++)
        if (zp_shown(cfg, st, m))
            zp_csv_row(out, zprobe_mode_name((zprobe_mode)m), &st->mode[m], st->elapsed_ms);
    zp_csv_row(out, "total", &st->total, st->elapsed_ms);
}

/* One table: a header, then a row per shown mode and the total, of the given fields. */
static void zp_table(FILE *out, const zprobe_config *cfg, const zprobe_stats *st,
                     const char *title, const char *const *heads, const size_t *offs, int n)
{
    fprintf(out, "%-17s", title);
    for (int i = 0; i < n; i++)
        fprintf(out, " %10s", heads[i]);
    fputc('\n', out);
    for (int m = 0; m <= ZPROBE_MODE_COUNT; m++) {
        const zprobe_counts *c = m < ZPROBE_MODE_COUNT ? &st->mode[m] : &st->total;
        if (m < ZPROBE_MODE_COUNT && !zp_shown(cfg, st, m))
            continue;
        fprintf(out, "  %-15s", m < ZPROBE_MODE_COUNT ? zprobe_mode_name((zprobe_mode)m) : "total");
        for (int i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, (const char *)c + offs[i], sizeof v);
            fprintf(out, " %10" PRIu64, v);
        }
        fputc('\n', out);
    }
}

#define ZP_OFF(f) offsetof(zprobe_counts, f)

static void zp_print_text(FILE *out, const zprobe_config *cfg, const zprobe_stats *st)
{
    double secs = (double)st->elapsed_ms / 1000.0;
    fprintf(out, "zaio-probe: %s: %" PRIu64 " probes in %.2f s (%.1f/s), peak %" PRIu64
                 " in flight\n",
            cfg && cfg->target ? cfg->target : "?", st->total.started, secs,
            secs > 0 ? (double)st->total.started / secs : 0.0, st->peak_in_flight);

    static const char *const h1[] = { "started", "connected", "refused", "timeout",
                                      "failed", "aborted", "in flight" };
    static const size_t o1[] = { ZP_OFF(started), ZP_OFF(connected), ZP_OFF(refused),
                                 ZP_OFF(timed_out), ZP_OFF(conn_failed), ZP_OFF(aborted),
                                 ZP_OFF(in_flight) };
    zp_table(out, cfg, st, "connections", h1, o1, 7);

    static const char *const h2[] = { "server RST", "server FIN", "we RST", "we FIN",
                                      "capped", "io error" };
    static const size_t o2[] = { ZP_OFF(server_rst), ZP_OFF(server_fin), ZP_OFF(rst_sent),
                                 ZP_OFF(fin_sent), ZP_OFF(capped), ZP_OFF(io_error) };
    zp_table(out, cfg, st, "ended by", h2, o2, 6);

    static const char *const h3[] = { "bytes out", "bytes in", "with data", "ZMTP sig",
                                      "greeting", "READY", "ERROR", "HTTP" };
    static const size_t o3[] = { ZP_OFF(bytes_sent), ZP_OFF(bytes_received), ZP_OFF(with_data),
                                 ZP_OFF(zmtp_signature), ZP_OFF(zmtp_greeting),
                                 ZP_OFF(zmtp_ready), ZP_OFF(zmtp_error), ZP_OFF(http_reply) };
    zp_table(out, cfg, st, "received", h3, o3, 8);

    int header = 0;
    for (int m = 0; m <= ZPROBE_MODE_COUNT; m++) {
        const zprobe_counts *c = m < ZPROBE_MODE_COUNT ? &st->mode[m] : &st->total;
        if (c->drop_count == 0 || (m < ZPROBE_MODE_COUNT && !zp_shown(cfg, st, m)))
            continue;
        if (!header)
            fprintf(out, "%-17s %10s %10s %10s %10s\n", "time to drop", "dropped", "min ms",
                    "avg ms", "max ms");
        header = 1;
        fprintf(out, "  %-15s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
                m < ZPROBE_MODE_COUNT ? zprobe_mode_name((zprobe_mode)m) : "total",
                c->drop_count, c->drop_ms_min, c->drop_ms_sum / c->drop_count, c->drop_ms_max);
    }
    if (st->last_errno)
        fprintf(out, "last error: %s\n", strerror((int)st->last_errno));
}

void zprobe_print_summary(FILE *out, zprobe_format fmt, const zprobe_config *cfg,
                          const zprobe_stats *st)
{
    if (fmt == ZPROBE_JSON)
        zp_print_json(out, cfg, st);
    else if (fmt == ZPROBE_CSV)
        zp_print_csv(out, cfg, st);
    else
        zp_print_text(out, cfg, st);
    fflush(out);
}

int zprobe_format_progress(char *buf, size_t len, const zprobe_stats *st)
{
    const zprobe_counts *t = &st->total;
    double secs = (double)st->elapsed_ms / 1000.0;
    return snprintf(buf, len,
                    "%7.1fs started %" PRIu64 " (%.0f/s) in flight %" PRIu64 " | connected %" PRIu64
                    " refused %" PRIu64 " timeout %" PRIu64 " failed %" PRIu64
                    " | server RST %" PRIu64 " FIN %" PRIu64 " | we closed %" PRIu64
                    " | in %" PRIu64 " B",
                    secs, t->started, secs > 0 ? (double)t->started / secs : 0.0, t->in_flight,
                    t->connected, t->refused, t->timed_out, t->conn_failed, t->server_rst,
                    t->server_fin, t->our_close, t->bytes_received);
}
