/* zaio-probe's defaults and the parsers of its option values, shared by the command
 * line and by zaio-soak so that both accept the same "2/5s" and "rst:5,fin:1". */
#include "probe.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const zprobe_mode_names[ZPROBE_MODE_COUNT] = {
    "rst", "fin", "silent", "http", "partial", "corrupt", "drip",
    "curve-garbage", "curve-truncated", "curve-replay", "zmtp1", "zmtp2",
};

static const char *const zprobe_corrupt_names[ZPROBE_CORRUPT_COUNT] = {
    "signature", "version", "mechanism", "random",
};

void zprobe_config_init(zprobe_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->weights[ZPROBE_RST] = 1;
    cfg->seed = 1;
    cfg->concurrency = 256;
    cfg->connect_timeout_ms = 5000;
    cfg->silent_max_ms = 60000;
    cfg->partial_bytes = 10;
    cfg->drip_ms = 200;
    cfg->corrupt = ZPROBE_CORRUPT_SIGNATURE;
    cfg->progress_ms = 1000;
}

const char *zprobe_mode_name(zprobe_mode m)
{
    return (unsigned)m < ZPROBE_MODE_COUNT ? zprobe_mode_names[m] : "?";
}

static int zprobe_lookup(const char *s, size_t len, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncmp(s, names[i], len) == 0)
            return i;
    return -1;
}

int zprobe_parse_mode(const char *s)
{
    return s ? zprobe_lookup(s, strlen(s), zprobe_mode_names, ZPROBE_MODE_COUNT) : -1;
}

const char *zprobe_corrupt_name(zprobe_corrupt c)
{
    return (unsigned)c < ZPROBE_CORRUPT_COUNT ? zprobe_corrupt_names[c] : "?";
}

int zprobe_parse_corrupt(const char *s)
{
    return s ? zprobe_lookup(s, strlen(s), zprobe_corrupt_names, ZPROBE_CORRUPT_COUNT) : -1;
}

/* A whole decimal number in [lo, hi], nothing after it. */
static int zprobe_parse_uint(const char *s, size_t len, unsigned long lo, unsigned long hi,
                             unsigned long *out)
{
    if (len == 0 || len > 12)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int zprobe_parse_mix(const char *s, unsigned weights[ZPROBE_MODE_COUNT])
{
    unsigned w[ZPROBE_MODE_COUNT] = { 0 };
    unsigned long sum = 0;
    if (s == NULL || *s == '\0')
        return -1;
    for (const char *p = s;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        size_t name_len = colon ? (size_t)(colon - p) : len;
        int m = zprobe_lookup(p, name_len, zprobe_mode_names, ZPROBE_MODE_COUNT);
        unsigned long weight = 1;
        if (m < 0 || w[m] != 0)
            return -1; /* unknown, or named twice: which weight was meant? */
        if (colon && zprobe_parse_uint(colon + 1, len - name_len - 1, 0, 10000, &weight) != 0)
            return -1;
        w[m] = (unsigned)weight;
        sum += weight;
        if (!end)
            break;
        p = end + 1;
    }
    /* The mix is dealt in shuffled blocks of sum(weights) probes; keep a block small. */
    if (sum == 0 || sum > 10000)
        return -1;
    memcpy(weights, w, sizeof w);
    return 0;
}

/* A non-negative decimal number, then the rest of the string in *unit. */
static int zprobe_parse_number(const char *s, double *v, const char **unit)
{
    if (s == NULL || !(isdigit((unsigned char)*s) || *s == '.'))
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(d) || d < 0)
        return -1;
    *v = d;
    *unit = end;
    return 0;
}

static int zprobe_unit_ms(const char *unit, double *ms)
{
    static const struct { const char *name; double ms; } units[] = {
        { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].name) == 0) {
            *ms = units[i].ms;
            return 0;
        }
    return -1;
}

int zprobe_parse_duration_ms(const char *s, uint64_t *ms)
{
    double v, scale;
    const char *unit;
    if (zprobe_parse_number(s, &v, &unit) != 0 || zprobe_unit_ms(unit, &scale) != 0)
        return -1;
    double r = v * scale;
    if (r > 1e12) /* about 30 years: anything larger is a typo */
        return -1;
    *ms = (uint64_t)(r + 0.5);
    return 0;
}

int zprobe_parse_rate(const char *s, double *per_second)
{
    double count;
    const char *rest;
    if (zprobe_parse_number(s, &count, &rest) != 0)
        return -1;
    if (*rest == '\0') {
        *per_second = count;
        return count <= 1e7 ? 0 : -1;
    }
    if (*rest != '/')
        return -1;
    /* "/s" is "/1s"; "/5s" is five seconds. */
    char period[32];
    if (strlen(rest + 1) + 2 > sizeof period)
        return -1;
    if (isdigit((unsigned char)rest[1]) || rest[1] == '.')
        strcpy(period, rest + 1);
    else {
        period[0] = '1';
        strcpy(period + 1, rest + 1);
    }
    double v, scale;
    const char *unit;
    if (zprobe_parse_number(period, &v, &unit) != 0 || *unit == '\0' ||
        zprobe_unit_ms(unit, &scale) != 0 || v * scale <= 0)
        return -1;
    double r = count * 1000.0 / (v * scale);
    if (r > 1e7)
        return -1;
    *per_second = r;
    return 0;
}
