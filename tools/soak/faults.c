/* faults.c - zaio-soak --faults: the soak's libzmq traffic through the fault relay
 * (tools/faults/relay.h), with faults at random while the probes run (soak.h).
 *
 * What the verdict asks of a run with faults: nothing corrupt, nothing twice, nothing
 * out of order (the checker's reordered counts both), and every message lost lost with
 * a connection a fault cut: the checker's runs of lost messages (gaps) no more than the
 * connections the relay cut (but for PUSH and DEALER servers, whose round robin spreads
 * a cut's losses over many runs: there losses need a cut, and the runs are shown). Those losses are counted and reported, not failed; the rest
 * of the soak's verdict (live records back to the idle level, zero after close, RSS) is
 * unchanged. */
#include "relay.h"
#include "soak.h"

#include <zaio.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct soak_faults {
    zrelay *relay;
    zrelay_chaos *chaos;
    zrelay_chaos_config cc;
    zrelay_stats st;          /* at the calm */
    uint64_t cuts;            /* connections cut, all kinds */
    uint64_t lost, refused, gaps;
    int accounted;
    int round_robin;          /* the runs of losses are not judged (see account) */
};

int soak_faults_server_opts(void *sock, const soak_config *cfg)
{
    int ivl = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : 1000, timeout = 3 * ivl;
    if (zaio_setsockopt(sock, ZAIO_HEARTBEAT_IVL, &ivl, sizeof ivl) < 0 ||
        zaio_setsockopt(sock, ZAIO_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) < 0)
        return -1;
    return 0;
}

int soak_faults_start(const soak_config *cfg, const char *server_ep, soak_faults **out,
                      const char **peer_ep)
{
    soak_faults *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    int rc = zrelay_start(server_ep, NULL, &f->relay);
    if (rc < 0) {
        fprintf(stderr, "zaio-soak: the fault relay to %s: %s\n", server_ep, strerror(-rc));
        free(f);
        return -1;
    }
    zrelay_chaos_config_init(&f->cc);
    f->cc.period_ms = cfg->fault_period_ms;
    f->cc.mask = cfg->fault_mask;
    f->cc.seed = cfg->probe.seed;
    /* a toxic slows the link for half a period; it must not by itself stall the traffic
     * past the heartbeat timeout, which would cut a connection no fault cut */
    f->cc.toxic_ms = cfg->fault_period_ms / 2;
    f->cc.bandwidth = 1024 * 1024;
    f->cc.latency_ms = 20;
    f->cc.slow_close_ms = 500;
    *out = f;
    *peer_ep = zrelay_endpoint(f->relay);
    return 0;
}

void soak_faults_begin(soak_faults *f)
{
    if (zrelay_chaos_start(f->relay, &f->cc, &f->chaos) < 0)
        f->chaos = NULL; /* no fault injected: the verdict says so */
}

void soak_faults_calm(soak_faults *f)
{
    zrelay_chaos_stop(f->chaos);
    f->chaos = NULL;
    zrelay_get_stats(f->relay, &f->st);
}

void soak_faults_account(soak_faults *f, soak_result *res, uint64_t gaps,
                         uint64_t server_unreachable, int round_robin)
{
    zrelay_get_stats(f->relay, &f->st);
    f->cuts = 0;
    uint64_t injected = 0;
    for (int k = ZRELAY_RST; k <= ZRELAY_SLOW_CLOSE; k++)
        f->cuts += f->st.cut[k];
    for (int k = 1; k < ZRELAY_FAULT_COUNT; k++)
        injected += f->st.injected[k];
    f->gaps = gaps;
    f->accounted = 1;
    size_t len = strlen(res->traffic_error);
    char *why = res->traffic_error + len;
    size_t cap = sizeof res->traffic_error - len;
    if (!injected) {
        snprintf(why, cap, "%sno fault was injected (a run shorter than the fault period?)",
                 len ? "; " : "");
        return;
    }
    if (res->corrupt || res->reordered)
        return; /* never a fault's doing: the verdict fails on them as it stands */
    if (res->missing && !f->cuts) {
        snprintf(why, cap, "%smessages lost with no connection cut", len ? "; " : "");
        return;
    }
    /* A PUSH or DEALER server deals its messages round robin over the connections it
     * has, the half-dead one a blackhole or a slow close left included, until it finds
     * that one dead: its losses come interleaved with deliveries, in many runs per cut,
     * so there the runs are reported, not judged. */
    f->round_robin = round_robin;
    if (res->missing && !round_robin && gaps > f->cuts) {
        snprintf(why, cap, "%s%" PRIu64 " runs of lost messages for %" PRIu64
                 " connections cut: a loss no fault explains", len ? "; " : "", gaps, f->cuts);
        return;
    }
    if (res->missing && f->cuts) {
        f->lost = res->missing;
        res->missing = 0;
    }
    if (server_unreachable && f->cuts && server_unreachable <= res->errors) {
        f->refused = server_unreachable;
        res->errors -= server_unreachable;
    }
}

void soak_faults_print(const soak_faults *f)
{
    const zrelay_stats *s = &f->st;
    printf("faults:   injected");
    for (int k = ZRELAY_LATENCY; k < ZRELAY_FAULT_COUNT; k++)
        printf(" %s %" PRIu64, zrelay_fault_name((zrelay_fault)k), s->injected[k]);
    printf("\n          connections through the relay %" PRIu64 ", cut %" PRIu64
           " (rst %" PRIu64 ", fin %" PRIu64 ", blackhole %" PRIu64 ", slow-close %" PRIu64
           "; mid-frame %" PRIu64 ")\n",
           s->accepted, f->cuts, s->cut[ZRELAY_RST], s->cut[ZRELAY_FIN],
           s->cut[ZRELAY_BLACKHOLE], s->cut[ZRELAY_SLOW_CLOSE], s->mid_frame);
    if (f->accounted)
        printf("          lost with cut connections %" PRIu64 " in %" PRIu64 " runs%s, echoes"
               " refused (peer's connection gone) %" PRIu64 "\n",
               f->lost, f->gaps, f->round_robin ? " (round robin: runs not judged)" : "",
               f->refused);
}

void soak_faults_free(soak_faults *f)
{
    if (!f)
        return;
    zrelay_chaos_stop(f->chaos);
    zrelay_stop(f->relay);
    free(f);
}
