/* zaio_proxy_steerable: PAUSE, RESUME, STATISTICS and TERMINATE on a PAIR and on a REP
 * control socket, commands copied to capture, commands it does not know, and ETERM.
 * Each step waits for the proxy to have taken the command (a STATISTICS round trip, or
 * the REP's reply) before it looks at what the command did. */
#include "tcp_helpers.h"

#include <stdatomic.h>

typedef struct proxy_run {
    void *front, *back, *capture, *control;
    int rc, err;
    atomic_int done;
} proxy_run;

static void proxy_main(void *arg)
{
    proxy_run *r = arg;
    r->rc = zaio_proxy_steerable(r->front, r->back, r->capture, r->control);
    r->err = zaio_errno();
    atomic_store(&r->done, 1);
}

typedef struct rig {
    void *ctx;
    void *in, *out;   /* the test's ends: PUSH into front, PULL out of back */
    void *ctl;        /* the test's end of control */
    void *cap;        /* the test's end of capture, or NULL */
    proxy_run run;
    void *thread;
} rig;

/* front PULL <- in PUSH, back PUSH -> out PULL, both ways over tcp when asked (the
 * proxy then waits on sockets the I/O thread wakes); control a pair of ctl_type. */
static void rig_start(rig *r, bool tcp, int ctl_type, bool capture)
{
    memset(r, 0, sizeof *r);
    r->ctx = zaio_ctx_new();
    char ep[64];
    r->run.front = th_socket(r->ctx, ZAIO_PULL);
    r->run.back = th_socket(r->ctx, ZAIO_PUSH);
    r->in = th_socket(r->ctx, ZAIO_PUSH);
    r->out = th_socket(r->ctx, ZAIO_PULL);
    th_bind(r->run.front, tcp ? "tcp://127.0.0.1:*" : "inproc://front", ep, sizeof ep);
    th_connect(r->in, ep);
    th_bind(r->run.back, tcp ? "tcp://127.0.0.1:*" : "inproc://back", ep, sizeof ep);
    th_connect(r->out, ep);
    r->run.control = th_socket(r->ctx, ctl_type);
    r->ctl = th_socket(r->ctx, ctl_type == ZAIO_REP ? ZAIO_REQ : ZAIO_PAIR);
    th_bind(r->run.control, "inproc://control", ep, sizeof ep);
    th_connect(r->ctl, "inproc://control");
    if (capture) {
        r->run.capture = th_socket(r->ctx, ZAIO_PUSH);
        r->cap = th_socket(r->ctx, ZAIO_PULL);
        th_bind(r->run.capture, "inproc://capture", ep, sizeof ep);
        th_connect(r->cap, "inproc://capture");
    }
    th_set_int(r->out, ZAIO_RCVTIMEO, 5000);
    th_set_int(r->ctl, ZAIO_RCVTIMEO, 5000);
    r->thread = zaio_threadstart(proxy_main, &r->run);
    zt_assert(r->thread, "threadstart");
}

static void rig_end(rig *r)
{
    zaio_threadclose(r->thread);
    void *socks[] = {r->run.front, r->run.back, r->run.capture, r->run.control,
                     r->in, r->out, r->ctl, r->cap};
    for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++)
        if (socks[i])
            zaio_close(socks[i]);
    th_term(r->ctx);
}

/* Sends STATISTICS and reads the 8 counters. */
static void stats(rig *r, uint64_t v[8])
{
    th_send_str(r->ctl, "STATISTICS", 0);
    for (int i = 0; i < 8; i++) {
        zaio_msg_t m;
        zaio_msg_init(&m);
        zt_assert(zaio_msg_recv(&m, r->ctl, 0) == 8, "stat frame %d: %s", i,
                  zaio_strerror(zaio_errno()));
        memcpy(&v[i], zaio_msg_data(&m), 8);
        zt_assert(zaio_msg_more(&m) == (i < 7), "frame %d's MORE", i);
        zaio_msg_close(&m);
    }
}

static void want_stats(rig *r, uint64_t fin, uint64_t fin_b, uint64_t bout, uint64_t bout_b)
{
    uint64_t v[8];
    stats(r, v);
    /* frontend in, frontend out, backend in, backend out: this rig only forwards
     * front to back, so the other direction stays zero */
    const uint64_t want[8] = {fin, fin_b, 0, 0, 0, 0, bout, bout_b};
    for (int i = 0; i < 8; i++)
        zt_assert(v[i] == want[i], "stat %d is %llu, want %llu", i, (unsigned long long)v[i],
                  (unsigned long long)want[i]);
}

/* A command to a REP control comes back with an empty reply. */
static void command(rig *r, const char *cmd, bool rep)
{
    th_send_str(r->ctl, cmd, 0);
    if (rep) {
        char buf[8];
        zt_assert(zaio_recv(r->ctl, buf, sizeof buf, 0) == 0, "empty reply to %s", cmd);
    }
}

static void steer(bool tcp, int ctl_type)
{
    bool rep = ctl_type == ZAIO_REP;
    rig r;
    rig_start(&r, tcp, ctl_type, false);
    th_send_str(r.in, "ab", ZAIO_SNDMORE);
    th_send_str(r.in, "cde", 0);
    th_recv_str(r.out, "ab");
    th_recv_str(r.out, "cde");
    want_stats(&r, 1, 5, 1, 5); /* one message of two frames, five bytes */

    command(&r, "PAUSE", rep);
    th_send_str(r.in, "held", 0);
    /* Over inproc "held" is in front's queue once the send returns, so the proxy, awake
     * for the STATISTICS after it, has it to forward and must not. Over tcp it may still
     * be on its way: there the run shows only that it comes after RESUME. */
    want_stats(&r, 1, 5, 1, 5);
    char buf[16];
    zt_assert(zaio_recv(r.out, buf, sizeof buf, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "nothing forwarded while paused");

    command(&r, "RESUME", rep);
    th_recv_str(r.out, "held");
    want_stats(&r, 2, 9, 2, 9);

    command(&r, "TERMINATE", rep);
    rig_end(&r);
    zt_assert(r.run.rc == 0, "TERMINATE returns 0, not %d (errno %d)", r.run.rc, r.run.err);
}

ZT_TEST(proxy, steer_over_pair_inproc, 20) { steer(false, ZAIO_PAIR); }
ZT_TEST(proxy, steer_over_pair_tcp, 20) { steer(true, ZAIO_PAIR); }
ZT_TEST(proxy, steer_over_rep, 20) { steer(false, ZAIO_REP); }

ZT_TEST(proxy, capture_gets_messages_and_commands, 20)
{
    rig r;
    rig_start(&r, false, ZAIO_PAIR, true);
    th_send_str(r.in, "x", ZAIO_SNDMORE);
    th_send_str(r.in, "yz", 0);
    th_recv_str(r.out, "x");
    th_recv_str(r.out, "yz");
    want_stats(&r, 1, 3, 1, 3);
    command(&r, "PAUSE", false);
    command(&r, "RESUME", false);
    th_send_str(r.in, "w", 0);
    th_recv_str(r.out, "w");
    command(&r, "TERMINATE", false);
    zaio_threadclose(r.thread);
    r.thread = NULL;
    const char *want[] = {"x", "yz", "STATISTICS", "PAUSE", "RESUME", "w", "TERMINATE"};
    th_set_int(r.cap, ZAIO_RCVTIMEO, 5000);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        th_recv_str(r.cap, want[i]);
    char buf[16];
    zt_assert(zaio_recv(r.cap, buf, sizeof buf, ZAIO_DONTWAIT) == -1, "nothing else captured");
    zt_assert(r.run.rc == 0, "terminated");
    rig_end(&r);
}

ZT_TEST(proxy, unknown_and_multipart_commands_are_ignored, 20)
{
    rig r;
    rig_start(&r, false, ZAIO_PAIR, false);
    command(&r, "HELLO", false);
    th_send_str(r.ctl, "PAUSE", ZAIO_SNDMORE); /* a command is one frame: not a PAUSE */
    th_send_str(r.ctl, "really", 0);
    want_stats(&r, 0, 0, 0, 0);
    th_send_str(r.in, "still forwarding", 0);
    th_recv_str(r.out, "still forwarding");
    command(&r, "TERMINATE", false);
    rig_end(&r);
    zt_assert(r.run.rc == 0, "terminated");
}

ZT_TEST(proxy, unknown_command_on_rep_is_answered, 20)
{
    rig r;
    rig_start(&r, false, ZAIO_REP, false);
    command(&r, "HELLO", true);
    want_stats(&r, 0, 0, 0, 0); /* the REP took its next command */
    command(&r, "TERMINATE", true);
    rig_end(&r);
    zt_assert(r.run.rc == 0, "terminated");
}

ZT_TEST(proxy, eterm_while_paused, 20)
{
    rig r;
    rig_start(&r, false, ZAIO_PAIR, false);
    command(&r, "PAUSE", false);
    want_stats(&r, 0, 0, 0, 0); /* the proxy has the PAUSE */
    zt_assert(zaio_ctx_shutdown(r.ctx) == 0, "shutdown");
    zaio_threadclose(r.thread);
    r.thread = NULL;
    zt_assert(r.run.rc == -1 && r.run.err == ZAIO_ETERM, "rc %d errno %d", r.run.rc, r.run.err);
    rig_end(&r);
}

ZT_TEST(proxy, bad_sockets, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = th_socket(ctx, ZAIO_PAIR), *b = th_socket(ctx, ZAIO_PAIR);
    int not_a_socket = 0;
    zt_assert(zaio_proxy_steerable(a, b, NULL, &not_a_socket) == -1 && zaio_errno() == ENOTSOCK,
              "control");
    zt_assert(zaio_proxy_steerable(a, NULL, NULL, NULL) == -1 && zaio_errno() == ENOTSOCK,
              "backend");
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}
