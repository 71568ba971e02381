/* zaio-probe's CURVE modes against a libzmq 4.3.4 CURVE server on 127.0.0.1: each kind of
 * bad CURVE client is dropped by the server, none gets a READY, and the replay's capture
 * is a real handshake (it fails, and the run with it, when the server key is wrong). The
 * same modes against a zaio server run in the soak_curve_* entries. */
#include "probe.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct curve_server {
    void *ctx, *sock;
    char target[128];
    char pub[41];
} curve_server;

static void server_start(curve_server *z, int handshake_ms)
{
    char sec[41];
    cr_assert_eq(zmq_curve_keypair(z->pub, sec), 0);
    z->ctx = zmq_ctx_new();
    z->sock = zmq_socket(z->ctx, ZMQ_ROUTER);
    cr_assert_not_null(z->sock);
    int one = 1;
    cr_assert_eq(zmq_setsockopt(z->sock, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    cr_assert_eq(zmq_setsockopt(z->sock, ZMQ_CURVE_SECRETKEY, sec, 40), 0);
    zmq_setsockopt(z->sock, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof handshake_ms);
    cr_assert_eq(zmq_bind(z->sock, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t len = sizeof ep;
    zmq_getsockopt(z->sock, ZMQ_LAST_ENDPOINT, ep, &len);
    snprintf(z->target, sizeof z->target, "%s", ep);
}

static void server_stop(curve_server *z)
{
    int zero = 0;
    zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(z->sock);
    zmq_ctx_term(z->ctx);
}

static void cfg_for(zprobe_config *cfg, const curve_server *z, zprobe_mode mode, uint64_t n)
{
    zprobe_config_init(cfg);
    cfg->target = z->target;
    memset(cfg->weights, 0, sizeof cfg->weights);
    cfg->weights[mode] = 1;
    cfg->count = n;
    cfg->progress_ms = 0;
    cfg->silent_max_ms = 10000;
    cfg->curve_server_key = z->pub;
}

static zprobe_stats run(const zprobe_config *cfg)
{
    static zprobe_report rep;
    zprobe_stats st;
    memset(&rep, 0, sizeof rep);
    int rc = zprobe_run(cfg, &rep, NULL, NULL);
    cr_assert_eq(rc, ZPROBE_OK, "zprobe_run: %d %s", rc, rep.error);
    zprobe_sample(&rep, &st);
    cr_expect_eq(st.total.started, st.total.done);
    return st;
}

/* All n connected, all dropped by the server (none capped, none closed by us), no READY. */
static void expect_refused(const zprobe_counts *c, uint64_t n, const char *what)
{
    cr_expect_eq(c->connected, n, "%s", what);
    cr_expect_eq(c->server_rst + c->server_fin, n, "%s: the server drops each", what);
    cr_expect_eq(c->our_close, 0, "%s", what);
    cr_expect_eq(c->capped, 0, "%s", what);
    cr_expect_eq(c->zmtp_ready, 0, "%s: no READY, nobody got in", what);
}

Test(probe_curve, garbage_hello_is_dropped)
{
    curve_server z;
    server_start(&z, 2000);
    zprobe_config cfg;
    cfg_for(&cfg, &z, ZPROBE_CURVE_GARBAGE, 8);
    zprobe_stats st = run(&cfg);
    expect_refused(&st.total, 8, "garbage HELLO");
    cr_expect_eq(st.total.bytes_sent, 8 * (64 + 202), "greeting and a whole HELLO each");
    server_stop(&z);
}

Test(probe_curve, truncated_hello_is_dropped)
{
    curve_server z;
    server_start(&z, 500);
    zprobe_config cfg;
    cfg_for(&cfg, &z, ZPROBE_CURVE_TRUNCATED, 6);
    zprobe_stats st = run(&cfg);
    expect_refused(&st.total, 6, "truncated HELLO");
    /* three cut on the wire (64 + 101 bytes), three whole but short (64 + 102) */
    cr_expect_eq(st.total.bytes_sent, 3 * (64 + 101) + 3 * (64 + 102));
    cr_expect_geq(st.total.drop_ms_max, 400, "half a HELLO waits for the handshake timeout");
    server_stop(&z);
}

Test(probe_curve, replayed_initiate_is_refused)
{
    curve_server z;
    server_start(&z, 2000);
    zprobe_config cfg;
    cfg_for(&cfg, &z, ZPROBE_CURVE_REPLAY, 8);
    zprobe_stats st = run(&cfg);
    expect_refused(&st.total, 8, "replayed INITIATE");
    cr_expect_gt(st.total.bytes_sent, 8 * (64 + 202 + 257), "greeting, HELLO, INITIATE each");
    server_stop(&z);
}

Test(probe_curve, replay_capture_needs_the_right_server_key)
{
    curve_server z, other;
    server_start(&z, 2000);
    server_start(&other, 2000);
    zprobe_config cfg;
    cfg_for(&cfg, &z, ZPROBE_CURVE_REPLAY, 1);
    cfg.curve_server_key = other.pub;
    static zprobe_report rep;
    cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG);
    cr_expect(strstr(rep.error, "capture") != NULL, "%s", rep.error);
    cfg.curve_server_key = "not a key";
    memset(&rep, 0, sizeof rep);
    cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG);
    server_stop(&other);
    server_stop(&z);
}

Test(probe_curve, modes_parse)
{
    unsigned w[ZPROBE_MODE_COUNT];
    cr_expect_eq(zprobe_parse_mode("curve-garbage"), ZPROBE_CURVE_GARBAGE);
    cr_expect_eq(zprobe_parse_mode("curve-truncated"), ZPROBE_CURVE_TRUNCATED);
    cr_expect_eq(zprobe_parse_mode("curve-replay"), ZPROBE_CURVE_REPLAY);
    cr_expect_eq(zprobe_parse_mix("rst:2,curve-replay:1", w), 0);
    cr_expect_eq(w[ZPROBE_CURVE_REPLAY], 1);
}
