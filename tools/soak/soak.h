/* soak.h - zaio-soak's parts: the run (run.c) and what it reports (report.c).
 *
 * A run: a zaio server socket bound on loopback; a libzmq peer process (zaio-soak-peer)
 * that trades numbered messages with it (traffic.h); zprobe_run in a thread of its own
 * hitting the same port; a sample every interval of RSS, zaio_stats and the counters;
 * then the probes stop, the traffic drains and is reconciled, the live records must
 * settle back to where they were before the first probe, and after the socket and the
 * context close every asyncio counter must read zero. */
#ifndef ZAIO_TOOLS_SOAK_H
#define ZAIO_TOOLS_SOAK_H

#include "probe.h"
#include "proc_rss.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct soak_config {
    const char *backend;     /* ZAIO_BACKEND: uring, epoll, iocp; NULL: the best available */
    int server_type;         /* ZAIO_ROUTER, ... (traffic.h pairs each with a peer) */
    const char *bind;        /* the server's endpoint, default tcp://127.0.0.1:* */
    zprobe_config probe;     /* target is filled in with the bound endpoint */
    size_t msg_size;
    double msg_rate;         /* messages per second the sender aims at; 0: window only */
    uint64_t window;
    int handshake_ivl_ms;    /* the server drops a peer that has not greeted by then */
    int heartbeat_ms;        /* the peer's ZMQ_HEARTBEAT_IVL; 0: off */
    int backlog;
    uint64_t interval_ms;    /* a CSV row every interval */
    uint64_t progress_ms;    /* a progress line (or a redraw on a terminal) every period */
    uint64_t settle_ms;      /* how long live records may take to return after the probes */
    double rss_bound_mib;    /* PASS needs RSS growth under this */
    double rss_slope_bound_kib; /* and, in long runs (SOAK_SLOPE_MIN_PROBES), the RSS slope
                                 * under this many KiB per 10,000 probes */
    const char *csv, *png;
    const char *peer_path;   /* the zaio-soak-peer executable */
    int quiet;               /* no progress lines, the verdict only */
    int curve;               /* the server speaks CURVE (soak_curve.c), the peer too */
    /* --faults (faults.c): the peer goes through zaio-relay, faults at random */
    int faults;
    uint64_t fault_period_ms;  /* a fault every period on average */
    unsigned fault_mask;       /* relay.h kinds, 1 << fault */
} soak_config;

/* A run of --probes this many or more is long enough for its RSS slope to be judged:
 * shorter ones still show the warm-up (buffers and allocator arenas reaching their
 * working size) in it. */
#define SOAK_SLOPE_MIN_PROBES 100000u

void soak_config_init(soak_config *cfg);

/* One sample: a CSV row and a point of the plot. */
typedef struct soak_sample {
    uint64_t t_ms;
    const char *phase;       /* idle, probing, draining, settling, closed */
    uint64_t probes_started, probes_done, probes_in_flight;
    uint64_t msgs;           /* messages the server handled (echoed, received or sent) */
    uint64_t rss_kib;
    int64_t live;            /* aio sockets + ops in flight + pinned buffers */
    int64_t sockets, accept_sockets, ops_in_flight, bufs, buf_bytes;
    int64_t connections, handshakes, submit_failures;
} soak_sample;

/* The figures the verdict rests on. */
typedef struct soak_result {
    const char *backend, *type;
    uint64_t elapsed_ms, probe_ms;
    zprobe_stats probes;
    int probe_rc;
    int interrupted;         /* SIGINT/SIGTERM ended the probes early */
    /* traffic, reconciled after the drain */
    int peer_done;           /* the peer reported its final counts */
    int peer_checks;         /* the peer, not the server, checks the messages */
    int peer_gone;           /* the peer exited before its final count */
    uint64_t msgs, sent, received, missing, reordered, corrupt, errors, skipped;
    char traffic_error[160];
    /* live records */
    int64_t live_base;       /* idle, before the first probe */
    int64_t live_peak;
    int64_t live_after;      /* settled, after the probes and the drain */
    int settled;
    int term_done;           /* zaio_ctx_term returned within its deadline */
    int64_t live_closed;     /* after the socket and the context closed (must be 0) */
    int64_t sockets_closed, ops_closed, bufs_closed;
    /* memory */
    uint64_t rss_base_kib, rss_ref_kib, rss_end_kib, rss_peak_kib;
    uint64_t rss_ref_probes; /* the probe count at the reference sample */
    int rss_samples;         /* probing samples from the reference on: 2 or more to judge */
    double rss_slope_kib_per_10k; /* least squares over the probing samples past the reference */
    double rss_bound_mib;
    /* a STREAM server: its own view of its connections, and what fails in it (stream.h) */
    char stream_line[512], stream_why[320];
    int pass;
    char why[512];
} soak_result;

/* run.c: the whole soak. Returns 0 on PASS, 1 on FAIL, 2 when it could not run. */
int soak_run(const soak_config *cfg);
/* Asks a running soak to end early (SIGINT): the probes stop, the rest runs as usual
 * and the verdict is FAIL (an interrupted run proves nothing). */
void soak_interrupt(void);

/* soak_curve.c: --curve. The server's key pair, made once; its public key (Z85) reaches
 * the peer as ZAIO_SOAK_CURVE_SERVERKEY in its environment and the probe's curve-replay
 * through cfg->probe. Returns -1 (zaio_errno set) when a key or option is refused. */
int soak_curve_server(void *sock, int server_type, zprobe_config *probe);
/* The command line's part: the CURVE modes join the default mix (mix_set 0), and a
 * server type that deals its messages out round-robin is refused with curve-replay, whose
 * capture connection would take a share of them. -1 after a message on stderr. */
int soak_curve_options(soak_config *cfg, int mix_set);
/* The CURVE probes that a server should never let in but answered with READY. */
uint64_t soak_curve_admitted(const zprobe_stats *st);

/* report.c */
typedef struct soak_report soak_report;
soak_report *soak_report_open(const soak_config *cfg, const char *backend, const char *type);
void soak_report_sample(soak_report *r, const soak_sample *s);
void soak_report_progress(soak_report *r, const soak_sample *s, int final);
/* Judges res from the samples and prints the verdict; writes the plot. */
void soak_report_finish(soak_report *r, soak_result *res);
void soak_report_close(soak_report *r);


/* faults.c: zaio-soak --faults. The peer connects through a fault relay (tools/faults)
 * that injects faults at random for the whole probing phase; the verdict then allows
 * losses, but only where a fault cut the connection: no more runs of lost messages than
 * connections cut (a round-robin PUSH or DEALER server: losses need a cut), and nothing
 * corrupt, duplicated or reordered. */
typedef struct soak_faults soak_faults;
/* Heartbeats on the server's socket: a blackholed connection must be found dead there
 * too, or its records never return to the idle level. */
int soak_faults_server_opts(void *sock, const soak_config *cfg);
/* Starts the relay to the server's endpoint; *peer_ep is where the peer connects. */
int soak_faults_start(const soak_config *cfg, const char *server_ep, soak_faults **out,
                      const char **peer_ep);
void soak_faults_begin(soak_faults *f);  /* the random faults start */
void soak_faults_calm(soak_faults *f);   /* they stop, toxics cleared, before the drain */
/* Judges the reconciled traffic: losses with cuts behind them become the faults' (out of
 * res->missing), as do a ROUTER's echoes refused because the peer's connection was gone
 * (server_unreachable, out of res->errors); anything else stays for the verdict.
 * gaps: runs of lost messages the checker saw. */
void soak_faults_account(soak_faults *f, soak_result *res, uint64_t gaps,
                         uint64_t server_unreachable, int round_robin);
void soak_faults_print(const soak_faults *f);
void soak_faults_free(soak_faults *f);

#endif
