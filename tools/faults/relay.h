/* relay.h - zaio-relay: a TCP relay that injects network faults between a zaio socket
 * and a libzmq peer (issue 15), as a library a test drives from its own thread and as a
 * command (main.c) that follows a script.
 *
 * The model is toxiproxy's. A relay listens on loopback and, for each connection it
 * accepts, connects to the target and forwards bytes both ways in a thread of its own.
 * Two kinds of fault:
 *   toxics  last until cleared, on every connection, new ones included:
 *           LATENCY (param ms added to every chunk, each way), BANDWIDTH (param bytes per
 *           second, each way), SLICE (every byte its own write, param microseconds apart);
 *   cuts    act once, on the connections open when given:
 *           RST        at the next bytes either way, forward part of a ZMTP frame, then
 *                      reset both sides (SO_LINGER 0);
 *           FIN        the same, then close both sides with FIN;
 *           BLACKHOLE  forward nothing more and close nothing: each side must find out
 *                      by itself (heartbeats), as behind a dead link; its closes are not
 *                      passed on either;
 *           SLOW_CLOSE close toward the connecting side now, toward the target param ms
 *                      later, forwarding nothing in between (one end believes in the
 *                      connection well after the other has left and reconnected).
 * "Mid-frame" is exact: the relay follows the ZMTP framing (greeting, then flags, size,
 * body) of what it has forwarded, and cuts where the receiver holds part of a frame.
 *
 * Thread safety: every call but zrelay_start/zrelay_stop may come from any thread;
 * zrelay_inject returns once the relay thread has applied the fault. */
#ifndef ZAIO_TOOLS_FAULTS_RELAY_H
#define ZAIO_TOOLS_FAULTS_RELAY_H

#include <stdint.h>

typedef enum zrelay_fault {
    ZRELAY_CLEAR,      /* removes every toxic; cuts already made stay made */
    ZRELAY_LATENCY,
    ZRELAY_BANDWIDTH,
    ZRELAY_SLICE,
    ZRELAY_RST,
    ZRELAY_FIN,
    ZRELAY_BLACKHOLE,
    ZRELAY_SLOW_CLOSE,
    ZRELAY_FAULT_COUNT
} zrelay_fault;

/* A cut (it ends connections) rather than a toxic. */
#define ZRELAY_IS_CUT(f) ((f) >= ZRELAY_RST && (f) <= ZRELAY_SLOW_CLOSE)

typedef struct zrelay_stats {
    uint64_t accepted;        /* connections accepted from clients */
    uint64_t upstream_failed; /* of which the target refused (the client was reset) */
    uint64_t open;            /* relayed connections open now (blackholed ones included) */
    uint64_t bytes_up, bytes_down; /* forwarded client->target, target->client */
    uint64_t injected[ZRELAY_FAULT_COUNT]; /* zrelay_inject calls, by kind */
    uint64_t cut[ZRELAY_FAULT_COUNT];      /* connections each cut was carried out on */
    uint64_t mid_frame;       /* RST/FIN cuts made with a frame part-forwarded */
    uint64_t pending_cuts;    /* RST/FIN cuts waiting for bytes to cut into */
} zrelay_stats;

typedef struct zrelay zrelay;

/* Starts a relay to target ("tcp://host:port" or "host:port", IPv4) listening on listen
 * (the same forms; NULL: 127.0.0.1 on a port the system picks). Returns 0 or -errno. */
int zrelay_start(const char *target, const char *listen, zrelay **out);
/* "tcp://127.0.0.1:PORT": where clients connect. */
const char *zrelay_endpoint(const zrelay *r);
/* Applies a fault (see above for param); returns 0 once the relay thread has, or
 * -EINVAL. A cut with no connection open is counted in injected, not in cut. */
int zrelay_inject(zrelay *r, zrelay_fault f, uint64_t param);
void zrelay_get_stats(zrelay *r, zrelay_stats *st);
/* Closes every connection (RST) and the listener, and frees r. */
void zrelay_stop(zrelay *r);

const char *zrelay_fault_name(zrelay_fault f); /* "latency", "rst", "slow-close", ... */
/* "rst", "latency" ... -> the fault; -1 when unknown. */
int zrelay_parse_fault(const char *name);

/* Faults at random (zaio-soak --faults, zaio-relay --random): every period (uniform in
 * [period/2, 3*period/2]) one of the kinds in mask (bit 1<<fault), dealt from a deck the
 * seed shuffles, so each kind comes once in every so many faults. A
 * toxic stays for toxic_ms, then is cleared before the next fault. */
typedef struct zrelay_chaos_config {
    uint64_t period_ms;
    unsigned mask;
    uint64_t seed;
    uint64_t latency_ms, bandwidth, slice_us, slow_close_ms; /* the params used */
    uint64_t toxic_ms;        /* how long a toxic stays (0: a period) */
    void (*on_fault)(void *arg, zrelay_fault f, uint64_t param); /* may be NULL */
    void *arg;
} zrelay_chaos_config;
typedef struct zrelay_chaos zrelay_chaos;
#define ZRELAY_ALL_FAULTS 0xFEu /* every kind but CLEAR */
void zrelay_chaos_config_init(zrelay_chaos_config *c);
int zrelay_chaos_start(zrelay *r, const zrelay_chaos_config *c, zrelay_chaos **out);
/* Stops injecting, clears the toxics; cuts made stay made. */
void zrelay_chaos_stop(zrelay_chaos *ch);

#endif
