/* zaio-probe's engine against real servers on 127.0.0.1: the test listener (whose view
 * of each connection checks the probe's claims from the other end) and a libzmq 4.3.4
 * ROUTER. Each test asserts counts; timings only within generous bounds. */
#include "listener.h"
#include "probe.h"
#include "sanitize_options.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static char target[64];

static void cfg_for(zprobe_config *cfg, unsigned port, zprobe_mode mode, uint64_t count)
{
    zprobe_config_init(cfg);
    snprintf(target, sizeof target, "tcp://127.0.0.1:%u", port);
    cfg->target = target;
    memset(cfg->weights, 0, sizeof cfg->weights);
    cfg->weights[mode] = 1;
    cfg->count = count;
    cfg->progress_ms = 0;
}

/* What holds for any finished run that nobody stopped. */
static void check_finished(const zprobe_counts *c)
{
    cr_expect_eq(c->in_flight, 0);
    cr_expect_eq(c->started, c->done);
    cr_expect_eq(c->done, c->connected + c->refused + c->timed_out + c->conn_failed);
    cr_expect_eq(c->connected, c->server_rst + c->server_fin + c->our_close + c->io_error);
    cr_expect_eq(c->our_close, c->rst_sent + c->fin_sent);
    cr_expect_leq(c->drop_count, c->server_rst + c->server_fin);
}

static zprobe_stats run(const zprobe_config *cfg)
{
    static zprobe_report rep;
    zprobe_stats st;
    memset(&rep, 0, sizeof rep);
    int rc = zprobe_run(cfg, &rep, NULL, NULL);
    cr_assert_eq(rc, ZPROBE_OK, "zprobe_run: %d %s", rc, rep.error);
    zprobe_sample(&rep, &st);
    cr_expect_eq(st.running, 0);
    check_finished(&st.total);
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++)
        check_finished(&st.mode[m]);
    return st;
}

/* The server dropped all n connected probes, min_ms..max_ms after connect. */
static void expect_dropped(const zprobe_counts *c, uint64_t n, uint64_t min_ms, uint64_t max_ms)
{
    cr_expect_eq(c->server_rst + c->server_fin, n);
    cr_expect_eq(c->drop_count, n);
    cr_expect_geq(c->drop_ms_min, min_ms);
    cr_expect_lt(c->drop_ms_max, max_ms);
}

/* ---- the listener's view ------------------------------------------------------- */

static tl_conn conns[TL_MAX_CONNS];

/* Stops the listener once n connections have ended; all n ended by how (1 FIN, 2 RST). */
static void expect_listener_saw(tl_listener *l, unsigned n, int how)
{
    cr_expect_eq(tl_wait_ended(l, n, 10000), n);
    unsigned got = tl_stop(l, conns, TL_MAX_CONNS);
    cr_expect_eq(got, n);
    cr_expect_eq(tl_count_ended(conns, got, how), n, "the listener saw a %s on each",
                 how == 2 ? "RST" : "FIN");
}

Test(probe, rst_mode_resets_every_connection)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_RST, 20);
    cfg.concurrency = 4;
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.connected, 20);
    cr_expect_eq(st.total.rst_sent, 20);
    cr_expect_eq(st.total.our_close, 20);
    expect_listener_saw(l, 20, 2);
}

Test(probe, fin_mode_closes_with_fin)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_FIN, 20);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.connected, 20);
    cr_expect_eq(st.total.fin_sent, 20);
    cr_expect_eq(st.total.rst_sent, 0);
    expect_listener_saw(l, 20, 1);
}

Test(probe, server_rst_and_fin_are_told_apart)
{
    tl_listener *r = tl_start(TL_RST, 0), *f = tl_start(TL_FIN, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(r), ZPROBE_SILENT, 10);
    cfg.silent_max_ms = 10000;
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.connected, 10);
    cr_expect_eq(st.total.server_rst, 10);
    expect_dropped(&st.total, 10, 0, 5000);

    cfg_for(&cfg, tl_port(f), ZPROBE_SILENT, 10);
    cfg.silent_max_ms = 10000;
    st = run(&cfg);
    cr_expect_eq(st.total.server_fin, 10);
    cr_expect_eq(st.total.server_rst, 0);
    tl_stop(r, NULL, 0);
    tl_stop(f, NULL, 0);
}

Test(probe, silent_is_dropped_after_the_servers_timeout)
{
    tl_listener *l = tl_start(TL_CLOSE_AFTER, 1000);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_SILENT, 5);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.server_fin, 5, "by FIN");
    expect_dropped(&st.total, 5, 900, 5000);
    cr_expect_eq(st.total.bytes_sent, 0);
    tl_stop(l, NULL, 0);
}

Test(probe, partial_sends_the_greetings_first_bytes_then_waits)
{
    tl_listener *l = tl_start(TL_CLOSE_AFTER, 1000);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_PARTIAL, 5);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.server_fin, 5, "by FIN");
    expect_dropped(&st.total, 5, 900, 5000);
    cr_expect_eq(st.total.bytes_sent, 50);
    unsigned n = tl_stop(l, conns, TL_MAX_CONNS);
    cr_assert_eq(n, 5);
    for (unsigned i = 0; i < n; i++) {
        cr_expect_eq(conns[i].bytes, 10);
        cr_expect_eq(conns[i].first[0], 0xFF);
        cr_expect_eq(conns[i].first[9], 0x7F, "a ZMTP 3 signature");
    }
}

Test(probe, capped_when_the_server_never_drops)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_SILENT, 3);
    cfg.silent_max_ms = 300;
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.capped, 3);
    cr_expect_eq(st.total.fin_sent, 3);
    cr_expect_eq(st.total.drop_count, 0);
    expect_listener_saw(l, 3, 1);
}

Test(probe, http_health_check)
{
    tl_listener *l = tl_start(TL_HTTP, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_HTTP, 5);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.http_reply, 5);
    cr_expect_eq(st.total.server_fin, 5);
    cr_expect_eq(st.total.bytes_received, 5 * strlen(tl_http_reply));
    unsigned n = tl_stop(l, conns, TL_MAX_CONNS);
    char want[128];
    int len = snprintf(want, sizeof want, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                       (unsigned)atoi(strrchr(target, ':') + 1));
    cr_assert_eq(n, 5);
    for (unsigned i = 0; i < n; i++) {
        cr_expect_eq(conns[i].bytes, (uint32_t)len);
        cr_expect(memcmp(conns[i].first, want, (size_t)len) == 0, "the request as sent");
    }
    cr_expect_eq(st.total.bytes_sent, 5u * (unsigned)len);
}

Test(probe, mix_follows_the_weights_and_the_seed)
{
    int seq[2][40];
    for (int run_no = 0; run_no < 2; run_no++) {
        tl_listener *l = tl_start(TL_HOLD, 0);
        zprobe_config cfg;
        cfg_for(&cfg, tl_port(l), ZPROBE_RST, 40);
        cr_assert_eq(zprobe_parse_mix("rst:3,fin:1", cfg.weights), 0);
        cfg.seed = 42;
        cfg.concurrency = 1; /* one at a time: accept order is probe order */
        zprobe_stats st = run(&cfg);
        cr_expect_eq(st.mode[ZPROBE_RST].started, 30);
        cr_expect_eq(st.mode[ZPROBE_FIN].started, 10);
        cr_expect_eq(st.mode[ZPROBE_RST].rst_sent, 30);
        cr_expect_eq(st.mode[ZPROBE_FIN].fin_sent, 10);
        cr_expect_eq(tl_wait_ended(l, 40, 10000), 40);
        unsigned n = tl_stop(l, conns, TL_MAX_CONNS);
        cr_assert_eq(n, 40);
        cr_expect_eq(tl_count_ended(conns, n, 2), 30);
        cr_expect_eq(tl_count_ended(conns, n, 1), 10);
        for (unsigned i = 0; i < n; i++)
            seq[run_no][i] = conns[i].ended;
    }
    cr_expect(memcmp(seq[0], seq[1], sizeof seq[0]) == 0, "same seed, same sequence");
}

Test(probe, sources_take_turns)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_RST, 10);
    cfg.sources = "127.0.0.2,127.0.0.3";
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.connected, 10);
    cr_expect_eq(tl_wait_ended(l, 10, 10000), 10);
    unsigned n = tl_stop(l, conns, TL_MAX_CONNS);
    cr_expect_eq(tl_count_peer(conns, n, "127.0.0.2"), 5);
    cr_expect_eq(tl_count_peer(conns, n, "127.0.0.3"), 5);
}

Test(probe, rate_spreads_the_starts)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_RST, 100);
    cr_assert_eq(zprobe_parse_rate("50", &cfg.rate), 0);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.rst_sent, 100);
    cr_expect_geq(st.elapsed_ms, 1500, "100 at 50/s is about 2 s, took %llu ms",
                  (unsigned long long)st.elapsed_ms);
    cr_expect_lt(st.elapsed_ms, 10000);
    tl_stop(l, NULL, 0);
}

Test(probe, duration_stops_the_starts)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_RST, 0);
    cfg.rate = 20;
    cfg.duration_ms = 500;
    zprobe_stats st = run(&cfg);
    cr_expect_geq(st.total.started, 3);
    cr_expect_leq(st.total.started, 11);
    tl_stop(l, NULL, 0);
}

Test(probe, many_silent_probes_in_flight_at_once)
{
    tl_listener *l = tl_start(TL_CLOSE_AFTER, 500);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_SILENT, 300);
    cfg.concurrency = 300;
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.server_fin, 300);
    cr_expect_eq(st.peak_in_flight, 300);
    tl_stop(l, NULL, 0);
}

Test(probe, refused_means_unreachable)
{
    zprobe_config cfg;
    cfg_for(&cfg, tl_dead_port(), ZPROBE_RST, 5);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.refused, 5);
    cr_expect_eq(st.total.connected, 0);
    cr_expect(zprobe_unreachable(&st));
}

Test(probe, connect_timeout_when_the_backlog_is_full)
{
    /* Listening with backlog 0 and never accepting: the kernel queues one, then drops
     * SYNs, so the rest of the connects neither complete nor fail. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 0), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    zprobe_config cfg;
    cfg_for(&cfg, ntohs(a.sin_port), ZPROBE_SILENT, 6);
    cfg.concurrency = 6;
    cfg.connect_timeout_ms = 300;
    cfg.silent_max_ms = 300;
    zprobe_stats st = run(&cfg);
    cr_expect_geq(st.total.timed_out, 4);
    cr_expect_eq(st.total.connected + st.total.timed_out, 6);
    close(fd);
}

/* ---- what a server may send: counted, classified, never trusted -------------------- */

static zprobe_stats probe_answer(const void *data, size_t len, unsigned count)
{
    tl_listener *l = tl_start_send(data, len);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_SILENT, count);
    zprobe_stats st = run(&cfg);
    tl_stop(l, NULL, 0);
    cr_expect_eq(st.total.server_fin, count);
    cr_expect_eq(st.total.bytes_received, (uint64_t)len * count);
    return st;
}

/* A ZMTP 3.1 NULL greeting as a server sends it. */
static size_t greeting(uint8_t *g)
{
    memset(g, 0, 64);
    g[0] = 0xFF;
    g[8] = 1;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 1;
    memcpy(g + 12, "NULL", 4);
    g[32] = 1;
    return 64;
}

Test(probe_answers, greeting_ready_and_error_are_recognised)
{
    uint8_t b[256];
    size_t n = greeting(b);
    static const uint8_t ready[] = "\x04\x1c\x05READY\x0bSocket-Type\0\0\0\x06ROUTER";
    static const uint8_t error[] = "\x04\x0a\x05" "ERROR\x03" "400";
    memcpy(b + n, ready, sizeof ready - 1);
    n += sizeof ready - 1;
    memcpy(b + n, error, sizeof error - 1);
    n += sizeof error - 1;
    zprobe_stats st = probe_answer(b, n, 3);
    cr_expect_eq(st.total.zmtp_signature, 3);
    cr_expect_eq(st.total.zmtp_greeting, 3);
    cr_expect_eq(st.total.zmtp_ready, 3);
    cr_expect_eq(st.total.zmtp_error, 3);
    cr_expect_eq(st.total.http_reply, 0);
}

Test(probe_answers, hostile_frames_do_not_mislead_or_crash)
{
    uint8_t b[256];
    size_t n = greeting(b);
    /* a LONG command frame claiming 2^64-1 bytes, then an "ERROR" that is inside it */
    static const uint8_t huge[] = { 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x05,
                                    'E', 'R', 'R', 'O', 'R', 0x04, 0x06, 0x05, 'R', 'E', 'A', 'D', 'Y' };
    memcpy(b + n, huge, sizeof huge);
    n += sizeof huge;
    zprobe_stats st = probe_answer(b, n, 2);
    cr_expect_eq(st.total.zmtp_greeting, 2);
    cr_expect_eq(st.total.zmtp_error, 2, "the frame's own name is read");
    cr_expect_eq(st.total.zmtp_ready, 0, "nothing past a frame that runs off the capture");

    /* a command whose name length exceeds its frame, and a truncated header */
    n = greeting(b);
    static const uint8_t liar[] = { 0x04, 0x02, 0xF0, 'E', 0x02 };
    memcpy(b + n, liar, sizeof liar);
    st = probe_answer(b, n + sizeof liar, 2);
    cr_expect_eq(st.total.zmtp_error + st.total.zmtp_ready, 0);

    /* a greeting cut short, an old major version */
    n = greeting(b);
    b[10] = 2;
    st = probe_answer(b, 40, 1);
    cr_expect_eq(st.total.zmtp_signature, 1);
    cr_expect_eq(st.total.zmtp_greeting, 0);
    st = probe_answer(b, 64, 1);
    cr_expect_eq(st.total.zmtp_greeting, 0, "major 2 is not ZMTP 3");
}

Test(probe_answers, a_flood_is_counted_not_kept)
{
    static uint8_t junk[1 << 20];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    memcpy(junk, "HTTP/1.1 200 OK\r\n", 17);
    zprobe_stats st = probe_answer(junk, sizeof junk, 2);
    cr_expect_eq(st.total.http_reply, 2);
    cr_expect_eq(st.total.with_data, 2);
}

/* ---- the library from another thread ------------------------------------------ */

typedef struct bg_run {
    zprobe_config cfg;
    zprobe_report rep;
    int rc;
} bg_run;

static void *bg_main(void *arg)
{
    bg_run *b = arg;
    b->rc = zprobe_run(&b->cfg, &b->rep, NULL, NULL);
    return NULL;
}

Test(probe, sample_from_another_thread_and_stop)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    static bg_run b;
    cfg_for(&b.cfg, tl_port(l), ZPROBE_SILENT, 0); /* no count, no duration: until stopped */
    b.cfg.concurrency = 20;
    b.cfg.silent_max_ms = 0;
    pthread_t t;
    pthread_create(&t, NULL, bg_main, &b);
    zprobe_stats st;
    uint64_t last_started = 0;
    struct timespec tick = { 0, 1000000 };
    for (int i = 0; i < 10000; i++) { /* at most ~10 s */
        zprobe_sample(&b.rep, &st);
        cr_assert_eq(st.total.started, st.total.done + st.total.in_flight);
        cr_assert_geq(st.total.started, last_started);
        last_started = st.total.started;
        if (st.total.connected == 20)
            break;
        nanosleep(&tick, NULL);
    }
    cr_assert_eq(st.total.connected, 20);
    cr_expect_eq(st.running, 1);
    zprobe_stop(&b.rep);
    pthread_join(t, NULL);
    cr_expect_eq(b.rc, ZPROBE_OK);
    zprobe_sample(&b.rep, &st);
    cr_expect_eq(st.running, 0);
    cr_expect_eq(st.total.started, 20);
    cr_expect_eq(st.total.aborted, 20);
    cr_expect_eq(st.total.our_close, 20);
    cr_expect_eq(st.total.in_flight, 0);
    cr_expect_eq(tl_wait_ended(l, 20, 10000), 20);
    tl_stop(l, NULL, 0);
}

static int progress_calls;

static int stop_on_third(const zprobe_stats *st, void *arg)
{
    (void)arg;
    cr_expect_eq(st->running, 1);
    return ++progress_calls == 3;
}

Test(probe, progress_callback_runs_and_can_stop)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    zprobe_config cfg;
    cfg_for(&cfg, tl_port(l), ZPROBE_RST, 0);
    cfg.rate = 100;
    cfg.progress_ms = 50;
    static zprobe_report rep;
    cr_expect_eq(zprobe_run(&cfg, &rep, stop_on_third, NULL), ZPROBE_OK);
    cr_expect_eq(progress_calls, 3);
    zprobe_stats st;
    zprobe_sample(&rep, &st);
    cr_expect_geq(st.elapsed_ms, 100);
    cr_expect_geq(st.total.started, 5);
    tl_stop(l, NULL, 0);
}

Test(probe, bad_configs_are_refused)
{
    static zprobe_report rep;
    zprobe_config cfg;
    const char *bad_targets[] = { "nonsense", "tcp://127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999",
                                  "[::1:5", "host.invalid.:5555" };
    for (size_t i = 0; i < sizeof bad_targets / sizeof bad_targets[0]; i++) {
        cfg_for(&cfg, 1, ZPROBE_RST, 1);
        cfg.target = bad_targets[i];
        cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG, "%s", bad_targets[i]);
        cr_expect_neq(rep.error[0], '\0');
    }
    cfg_for(&cfg, 1, ZPROBE_RST, 1);
    memset(cfg.weights, 0, sizeof cfg.weights);
    cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG);
    cfg_for(&cfg, 1, ZPROBE_RST, 1);
    cfg.sources = "::1";
    cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG, "an IPv6 source for IPv4");
    cfg_for(&cfg, 1, ZPROBE_RST, 1);
    cfg.partial_bytes = 64;
    cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG);
    cfg_for(&cfg, 1, ZPROBE_RST, 1);
    cfg.concurrency = 0;
    cr_expect_eq(zprobe_run(&cfg, &rep, NULL, NULL), ZPROBE_ERR_CONFIG);
}

/* ---- against libzmq 4.3.4 ------------------------------------------------------ */

/* libzmq reads the "signature" corrupt greeting as ZMTP 1.0 and mallocs the frame size
 * it finds there (~0x5d54... bytes); malloc's NULL makes it drop the connection, which
 * is what the test checks. Under ASan that malloc would abort the test instead. The
 * defaults of every sanitizer build come along (tests/common/sanitize_options.c). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return ZAIO_ASAN_OPTIONS ":allocator_may_return_null=1";
}

typedef struct zmq_router {
    void *ctx, *sock;
    unsigned port;
} zmq_router;

static void router_start(zmq_router *z, int handshake_ms)
{
    z->ctx = zmq_ctx_new();
    z->sock = zmq_socket(z->ctx, ZMQ_ROUTER);
    cr_assert_not_null(z->sock);
    zmq_setsockopt(z->sock, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof handshake_ms);
    cr_assert_eq(zmq_bind(z->sock, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t len = sizeof ep;
    zmq_getsockopt(z->sock, ZMQ_LAST_ENDPOINT, ep, &len);
    z->port = (unsigned)atoi(strrchr(ep, ':') + 1);
}

static void router_stop(zmq_router *z)
{
    int zero = 0;
    zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(z->sock);
    zmq_ctx_term(z->ctx);
}

Test(probe_libzmq, corrupt_greetings_are_dropped)
{
    zmq_router z;
    router_start(&z, 2000);
    for (int k = 0; k < ZPROBE_CORRUPT_COUNT; k++) {
        zprobe_config cfg;
        cfg_for(&cfg, z.port, ZPROBE_CORRUPT, 5);
        cfg.corrupt = (zprobe_corrupt)k;
        cfg.silent_max_ms = 10000;
        zprobe_stats st = run(&cfg);
        cr_expect_eq(st.total.connected, 5, "%s", zprobe_corrupt_name(cfg.corrupt));
        cr_expect_eq(st.total.server_rst + st.total.server_fin, 5, "%s: libzmq drops each",
                     zprobe_corrupt_name(cfg.corrupt));
        cr_expect_eq(st.total.our_close, 0);
        cr_expect_eq(st.total.bytes_sent, 5 * 64);
    }
    router_stop(&z);
}

Test(probe_libzmq, silent_is_dropped_at_the_handshake_timeout)
{
    zmq_router z;
    router_start(&z, 500);
    zprobe_config cfg;
    cfg_for(&cfg, z.port, ZPROBE_SILENT, 5);
    zprobe_stats st = run(&cfg);
    expect_dropped(&st.total, 5, 400, 5000);
    cr_expect_eq(st.total.zmtp_signature, 5, "libzmq sends its signature first");
    cr_expect_eq(st.total.zmtp_greeting, 0, "and the rest only after ours");
    router_stop(&z);
}

Test(probe_libzmq, drip_gets_the_greeting_and_ready)
{
    zmq_router z;
    router_start(&z, 1000);
    zprobe_config cfg;
    cfg_for(&cfg, z.port, ZPROBE_DRIP, 5);
    cfg.drip_ms = 5;
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.total.bytes_sent, 5 * 64, "the whole greeting, byte by byte");
    cr_expect_eq(st.total.zmtp_greeting, 5);
    cr_expect_eq(st.total.zmtp_ready, 5, "NULL: libzmq sends READY after the greetings");
    cr_expect_eq(st.total.zmtp_error, 0);
    expect_dropped(&st.total, 5, 300, 5000); /* no READY from us: the handshake times out */
    router_stop(&z);
}

Test(probe_libzmq, rst_partial_and_http)
{
    zmq_router z;
    router_start(&z, 500);
    zprobe_config cfg;
    cfg_for(&cfg, z.port, ZPROBE_RST, 10);
    cr_assert_eq(zprobe_parse_mix("rst:2,partial:1,http:1,fin:1", cfg.weights), 0);
    zprobe_stats st = run(&cfg);
    cr_expect_eq(st.mode[ZPROBE_RST].rst_sent, 4);
    cr_expect_eq(st.mode[ZPROBE_FIN].fin_sent, 2);
    cr_expect_eq(st.mode[ZPROBE_PARTIAL].bytes_sent, 20);
    cr_expect_eq(st.mode[ZPROBE_PARTIAL].zmtp_signature, 2);
    cr_expect_eq(st.mode[ZPROBE_PARTIAL].server_fin + st.mode[ZPROBE_PARTIAL].server_rst, 2);
    cr_expect_eq(st.mode[ZPROBE_HTTP].http_reply, 0, "libzmq does not speak HTTP");
    cr_expect_eq(st.mode[ZPROBE_HTTP].server_fin + st.mode[ZPROBE_HTTP].server_rst, 2);
    router_stop(&z);
}

/* ---- parsers -------------------------------------------------------------------- */

Test(probe_parse, durations)
{
    uint64_t ms;
    cr_expect(zprobe_parse_duration_ms("10s", &ms) == 0 && ms == 10000);
    cr_expect(zprobe_parse_duration_ms("5m", &ms) == 0 && ms == 300000);
    cr_expect(zprobe_parse_duration_ms("2h", &ms) == 0 && ms == 7200000);
    cr_expect(zprobe_parse_duration_ms("250ms", &ms) == 0 && ms == 250);
    cr_expect(zprobe_parse_duration_ms("1.5", &ms) == 0 && ms == 1500);
    cr_expect(zprobe_parse_duration_ms("0", &ms) == 0 && ms == 0);
    const char *bad[] = { "", "s", "10x", "-1s", "1e400", "nan", "10 s", "5mm" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_neq(zprobe_parse_duration_ms(bad[i], &ms), 0, "%s", bad[i]);
    cr_expect_neq(zprobe_parse_duration_ms(NULL, &ms), 0);
}

Test(probe_parse, rates)
{
    double r;
    cr_expect(zprobe_parse_rate("200", &r) == 0 && r == 200);
    cr_expect(zprobe_parse_rate("200/s", &r) == 0 && r == 200);
    cr_expect(zprobe_parse_rate("2/5s", &r) == 0 && r > 0.3999 && r < 0.4001);
    cr_expect(zprobe_parse_rate("1/500ms", &r) == 0 && r == 2);
    cr_expect(zprobe_parse_rate("30/m", &r) == 0 && r == 0.5);
    const char *bad[] = { "", "abc", "2/", "2/0s", "2/5", "2/5x", "/5s", "-3", "2//5s" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_neq(zprobe_parse_rate(bad[i], &r), 0, "%s", bad[i]);
}

Test(probe_parse, mixes_and_modes)
{
    unsigned w[ZPROBE_MODE_COUNT];
    cr_assert_eq(zprobe_parse_mix("rst:5,fin:1,http", w), 0);
    cr_expect_eq(w[ZPROBE_RST], 5);
    cr_expect_eq(w[ZPROBE_FIN], 1);
    cr_expect_eq(w[ZPROBE_HTTP], 1);
    cr_expect_eq(w[ZPROBE_DRIP], 0);
    const char *bad[] = { "", "bogus", "rst:x", "rst:5,rst:1", "rst:0", "rst:10001",
                          "rst:5,", ",rst", "rst:-1", "rst:5000,fin:5001" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_neq(zprobe_parse_mix(bad[i], w), 0, "%s", bad[i]);
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++)
        cr_expect_eq(zprobe_parse_mode(zprobe_mode_name((zprobe_mode)m)), m);
    cr_expect_eq(zprobe_parse_mode("RST"), -1);
    for (int k = 0; k < ZPROBE_CORRUPT_COUNT; k++)
        cr_expect_eq(zprobe_parse_corrupt(zprobe_corrupt_name((zprobe_corrupt)k)), k);
}

/* zmtp1 and zmtp2 against libzmq 4.3.4: each probe is dropped (at once, at the handshake
 * timeout, or by libzmq's issue 4106 timer), none waits for the cap. */
Test(probe_libzmq, old_greetings_are_dropped)
{
    zmq_router z;
    router_start(&z, 1000);
    zprobe_mode modes[] = {ZPROBE_ZMTP1, ZPROBE_ZMTP2};
    for (int k = 0; k < 2; k++) {
        zprobe_config cfg;
        cfg_for(&cfg, z.port, modes[k], 8);
        cfg.silent_max_ms = 10000;
        zprobe_stats st = run(&cfg);
        const char *name = zprobe_mode_name(modes[k]);
        cr_expect_eq(st.total.connected, 8, "%s", name);
        cr_expect_eq(st.total.server_rst + st.total.server_fin, 8, "%s: libzmq drops each", name);
        cr_expect_eq(st.total.capped, 0, "%s", name);
        cr_expect_gt(st.total.bytes_sent, 0, "%s", name);
        /* (libzmq's signature reaches the probe only when it closes without a reset:
         * a junk probe's unread bytes make it an RST, which discards it) */
    }
    router_stop(&z);
}
