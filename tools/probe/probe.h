/* zaio-probe as a library: the monitoring-probe simulator that zaio-soak links.
 *
 * zprobe_run() opens probe connections to one target at a rate, each in a mode that
 * mimics something a real port sees (a monitor's connect-and-reset, an HTTP health
 * check, a half-written ZMTP greeting, ...), and counts what it did and how the server
 * answered. It blocks until the probes are done (count or duration reached and the
 * last probe finished) or zprobe_stop() is called; run it in a thread of its own.
 *
 * Counters are exact. The run thread publishes them under a sequence lock at most
 * every few milliseconds and at the end; zprobe_sample() returns a consistent copy from
 * any thread, at any time, even before zprobe_run() starts (all zero then).
 *
 * Invariants of every published snapshot, per mode and in total:
 *   started   = done + in_flight
 *   done      = connected_done + refused + timed_out + conn_failed + aborted_connecting
 *   connected = server_rst + server_fin + our_close + io_error + (connected, in flight)
 *   our_close = rst_sent + fin_sent
 * where aborted counts probes ended by zprobe_stop(): those still connecting are in
 * aborted only; those connected are in aborted and in our_close/fin_sent.
 */
#ifndef ZAIO_TOOLS_PROBE_H
#define ZAIO_TOOLS_PROBE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum zprobe_mode {
    ZPROBE_RST,     /* connect, close with SO_LINGER 0: an RST */
    ZPROBE_FIN,     /* connect, close normally: a FIN */
    ZPROBE_SILENT,  /* connect, send nothing until the server drops us (or the cap) */
    ZPROBE_HTTP,    /* send an HTTP GET as a health check would, read until close */
    ZPROBE_PARTIAL, /* send the first partial_bytes of a ZMTP 3.1 greeting, then silent */
    ZPROBE_CORRUPT, /* send a 64-byte greeting that is wrong (see zprobe_corrupt) */
    ZPROBE_DRIP,    /* send a valid greeting one byte every drip_ms, then silent */
    /* CURVE (RFC 26) clients that must not get in (probe_curve.c) */
    ZPROBE_CURVE_GARBAGE,   /* a CURVE greeting, then a HELLO whose box is random bytes */
    ZPROBE_CURVE_TRUNCATED, /* a CURVE greeting, then a HELLO cut short on the wire or in its frame */
    ZPROBE_CURVE_REPLAY,    /* greeting, HELLO and INITIATE of a captured real handshake, again */
    /* older peers (probe.c, zp_old) */
    ZPROBE_ZMTP1,   /* greet as ZMTP 1.0 (libzmq 2.x), then silent or junk (see zp_old) */
    ZPROBE_ZMTP2,   /* greet as ZMTP 2.0 (JeroMQ 0.3, libzmq 3.x), then silent or junk */
    ZPROBE_MODE_COUNT
} zprobe_mode;

/* What the corrupt mode sends: each a different rejection path in a ZMTP server. */
typedef enum zprobe_corrupt {
    ZPROBE_CORRUPT_SIGNATURE, /* 0xFF ... but byte 9 lacks bit 0: not a ZMTP 3 signature */
    ZPROBE_CORRUPT_VERSION,   /* a valid signature, then major version 0xEE, then junk */
    ZPROBE_CORRUPT_MECHANISM, /* a valid 3.1 greeting whose mechanism is "BOGUS" */
    ZPROBE_CORRUPT_RANDOM,    /* 64 seeded random bytes whose first is not 0xFF */
    ZPROBE_CORRUPT_COUNT
} zprobe_corrupt;

typedef struct zprobe_config {
    const char *target;        /* "tcp://host:port", "host:port" or "[v6]:port" */
    unsigned weights[ZPROBE_MODE_COUNT]; /* the mix; a single mode is one weight > 0 */
    uint64_t seed;             /* orders the mix; the same seed, the same sequence */
    double rate;               /* probe starts per second; 0: as fast as concurrency allows */
    uint64_t count;            /* stop starting after this many; 0: no limit */
    uint64_t duration_ms;      /* stop starting after this long; 0: no limit */
    unsigned concurrency;      /* probes in flight at most; each holds a descriptor, and
                                * the library leaves RLIMIT_NOFILE alone (the command raises
                                * it: zprobe_net_raise_fd_limit in probe_net.h) */
    const char *sources;       /* "127.0.0.2,127.0.0.3": bind probe k to source k % n; NULL: none */
    uint64_t connect_timeout_ms;
    uint64_t silent_max_ms;    /* cap on waiting for the server to drop us (all but rst/fin) */
    unsigned partial_bytes;    /* partial mode: greeting bytes sent, 1..63 */
    uint64_t drip_ms;          /* drip mode: gap between greeting bytes */
    zprobe_corrupt corrupt;
    const char *http_host;     /* Host header; NULL: the target's host:port */
    uint64_t progress_ms;      /* how often the progress callback runs; 0: never */
    const char *curve_server_key;  /* curve-replay: the server's public key, 40 Z85 chars */
    const char *curve_socket_type; /* curve-replay's Socket-Type; NULL: "DEALER" */
} zprobe_config;

/* Counts for one mode, or the total. All uint64_t so snapshots copy word by word. */
typedef struct zprobe_counts {
    uint64_t started, done, in_flight;
    /* connection */
    uint64_t connected;
    uint64_t refused;       /* connect failed: ECONNREFUSED (nobody listening, or reset) */
    uint64_t timed_out;     /* connect not done within connect_timeout_ms */
    uint64_t conn_failed;   /* any other socket/bind/connect error (see last_errno) */
    uint64_t aborted;       /* ended by zprobe_stop() */
    /* how each connected probe ended: exactly one of these four */
    uint64_t server_rst;    /* the server reset the connection */
    uint64_t server_fin;    /* the server closed it (read returned 0) */
    uint64_t our_close;     /* we closed first: at once (rst/fin), at the cap, or on stop */
    uint64_t io_error;      /* a read/write error other than a reset */
    uint64_t rst_sent, fin_sent; /* how we closed, when we closed first */
    uint64_t capped;        /* held until silent_max_ms, then closed by us */
    /* what came back */
    uint64_t bytes_sent, bytes_received;
    uint64_t with_data;     /* probes that received at least one byte */
    uint64_t zmtp_signature;/* received at least a valid 10-byte ZMTP signature */
    uint64_t zmtp_greeting; /* received a whole 64-byte greeting, major version >= 3 */
    uint64_t zmtp_ready;    /* received a READY command after the greeting */
    uint64_t zmtp_error;    /* received an ERROR command after the greeting */
    uint64_t http_reply;    /* received bytes starting "HTTP/" */
    /* time from connected to the server's RST/FIN (silent/http/partial/corrupt/drip) */
    uint64_t drop_count, drop_ms_sum, drop_ms_min, drop_ms_max;
} zprobe_counts;

typedef struct zprobe_stats {
    uint64_t elapsed_ms;
    uint64_t running;         /* 1 while zprobe_run is in its loop */
    uint64_t peak_in_flight;
    uint64_t last_errno;      /* the last conn_failed/io_error errno; 0: none */
    zprobe_counts total;
    zprobe_counts mode[ZPROBE_MODE_COUNT];
} zprobe_stats;

#define ZPROBE_STATS_WORDS (sizeof(zprobe_stats) / sizeof(uint64_t))

/* Shared between the run thread and samplers. Zero-initialised is a valid state;
 * zprobe_run resets the counters at its start but not a pending stop, so that a
 * zprobe_stop() that races ahead of the run still stops it: zero the report before
 * reusing one that was stopped. Fields are private: use the functions. */
typedef struct zprobe_report {
    _Atomic uint64_t seq;
    _Atomic uint64_t words[ZPROBE_STATS_WORDS];
    atomic_int stop;
    char error[256];          /* why zprobe_run returned ZPROBE_ERR_*; set by the run thread */
} zprobe_report;

/* Called from the run thread every progress_ms with a fresh snapshot; return non-zero
 * to stop the run (as zprobe_stop). */
typedef int (*zprobe_progress_fn)(const zprobe_stats *now, void *arg);

enum { ZPROBE_OK = 0, ZPROBE_ERR_CONFIG = -1, ZPROBE_ERR_SYSTEM = -2 };

void zprobe_config_init(zprobe_config *cfg);

/* Runs the probes. Returns ZPROBE_OK when it ran (whatever the server did; see
 * zprobe_unreachable for "could not reach it at all"), ZPROBE_ERR_CONFIG on a bad
 * config (message in rep->error), ZPROBE_ERR_SYSTEM when the OS refused what the run
 * needs (epoll, memory). */
int zprobe_run(const zprobe_config *cfg, zprobe_report *rep, zprobe_progress_fn fn, void *arg);

/* Any thread, async-signal-safe: ends the run; in-flight probes are closed (aborted). */
void zprobe_stop(zprobe_report *rep);

/* Any thread: a consistent copy of the counters as last published. */
void zprobe_sample(const zprobe_report *rep, zprobe_stats *out);

/* Probes were tried and none connected. */
int zprobe_unreachable(const zprobe_stats *st);

/* Parsers shared by the command line and zaio-soak. Return 0, or -1 on bad input. */
const char *zprobe_mode_name(zprobe_mode m);
int zprobe_parse_mode(const char *s);                     /* -1 when unknown */
int zprobe_parse_mix(const char *s, unsigned weights[ZPROBE_MODE_COUNT]); /* "rst:5,fin:1,http" */
int zprobe_parse_duration_ms(const char *s, uint64_t *ms); /* "500ms", "10s", "5m", "2h", "1.5" (s) */
int zprobe_parse_rate(const char *s, double *per_second);  /* "200", "200/s", "2/5s", "1/500ms" */
const char *zprobe_corrupt_name(zprobe_corrupt c);
int zprobe_parse_corrupt(const char *s);                  /* -1 when unknown */

/* Summaries: human text, JSON (one object), or CSV (header, one row per mode used, total). */
typedef enum zprobe_format { ZPROBE_TEXT, ZPROBE_JSON, ZPROBE_CSV } zprobe_format;
void zprobe_print_summary(FILE *out, zprobe_format fmt, const zprobe_config *cfg,
                          const zprobe_stats *st);
/* One progress line, no newline: elapsed, started and rate, in flight, outcomes. */
int zprobe_format_progress(char *buf, size_t len, const zprobe_stats *st);

#ifdef __cplusplus
}
#endif
#endif
