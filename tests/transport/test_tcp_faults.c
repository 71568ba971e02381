/* tcp:// with faults injected into the proactor under it (ZAIO_FAULT_INJECTION builds):
 * recv and send completing with errors or failing at submit, connect failing at once,
 * the listener unable to create its accept socket (out of descriptors), completions
 * arriving inside the submit. Each time the session reports the loss, reconnects, and
 * traffic resumes; every test ends with the live counters at zero. */
#include "core/ctx.h"
#include "tcp_helpers.h"

#ifdef ZAIO_FAULT_INJECTION

/* The port of the context's (only) I/O thread. */
static aio_port *io_port(void *ctx)
{
    zio *io;
    zt_assert(zctx_pick_io(ctx, &io) == 0, "io thread");
    return zio_port(io);
}

/* Sends numbered messages until one arrives after the fault; true when it does. */
static void traffic_resumes(void *push, void *pull, const char *what)
{
    th_set_int(pull, ZAIO_RCVTIMEO, 50);
    char buf[32];
    for (int i = 0; i < 200; i++) {
        char m[32];
        snprintf(m, sizeof m, "%s %d", what, i);
        zaio_send(push, m, strlen(m), ZAIO_DONTWAIT);
        if (zaio_recv(pull, buf, sizeof buf, 0) > 0)
            return;
    }
    zt_fail("%s: nothing arrived after the fault", what);
}

static void pair(void *ctx, void **pull, void **push, void **mon, const char *mon_ep)
{
    *pull = th_socket(ctx, ZAIO_PULL);
    *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(*push, ZAIO_RECONNECT_IVL, 10);
    *mon = th_monitor(ctx, *push, mon_ep, ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(*pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(*push, ep);
    th_send_str(*push, "first", 0);
    th_recv_str(*pull, "first");
}

static void finish(void *ctx, void *pull, void *push, void *mon)
{
    zaio_close(push);
    zaio_close(pull);
    zaio_close(mon);
    th_term(ctx);
}

/* One fault costs one connection: it drops, reconnects, and traffic resumes. */
static void one_connection_lost(aio_fault f, aio_op op, int err, const char *what)
{
    void *ctx = zaio_ctx_new();
    void *pull, *push, *mon;
    pair(ctx, &pull, &push, &mon, "inproc://f-one");
    aio_fault_arm(io_port(ctx), f, op, err);
    /* the next op of that kind, on either side, meets the fault */
    th_send_str(push, "trigger", 0);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 3000, NULL), "%s: dropped", what);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 3000, NULL), "%s: reconnected",
              what);
    traffic_resumes(push, pull, what);
    finish(ctx, pull, push, mon);
}

ZT_TEST(tcp_faults, recv_completes_with_an_error, 30)
{
    one_connection_lost(AIO_FAULT_COMPLETE_ERROR, AIO_OP_RECV, -ECONNRESET, "recv error");
}

ZT_TEST(tcp_faults, send_fails_at_submit, 30)
{
    one_connection_lost(AIO_FAULT_SUBMIT_ERROR, AIO_OP_SEND, -EPIPE, "send error");
}

ZT_TEST(tcp_faults, send_completes_with_an_error, 30)
{
    one_connection_lost(AIO_FAULT_COMPLETE_ERROR, AIO_OP_SEND, -ECONNRESET, "send completion");
}

ZT_TEST(tcp_faults, send_queue_full_and_sync_success, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull, *push, *mon;
    pair(ctx, &pull, &push, &mon, "inproc://f-sync");
    aio_port *p = io_port(ctx);
    /* a send that completes inside its submit is one completion like any other */
    aio_fault_arm(p, AIO_FAULT_SYNC_SUCCESS, AIO_OP_SEND, 0);
    th_send_str(push, "sync", 0);
    th_recv_str(pull, "sync");
    aio_fault_arm(p, AIO_FAULT_SYNC_SUCCESS, AIO_OP_RECV, 0);
    th_send_str(push, "sync recv", 0);
    th_recv_str(pull, "sync recv");
    /* a full submission queue fails the op: the connection goes, and comes back */
    aio_fault_arm(p, AIO_FAULT_QUEUE_FULL, AIO_OP_SEND, 0);
    th_send_str(push, "queue full", 0);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 3000, NULL), "dropped");
    traffic_resumes(push, pull, "after a full queue");
    finish(ctx, pull, push, mon);
}

ZT_TEST(tcp_faults, connect_fails_at_once_then_retries, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_RECONNECT_IVL, 10);
    void *mon = th_monitor(ctx, push, "inproc://f-connect", ZAIO_EVENT_ALL);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    aio_fault_arm(io_port(ctx), AIO_FAULT_SUBMIT_ERROR, AIO_OP_CONNECT, -ECONNREFUSED);
    th_connect(push, ep);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CONNECT_RETRIED, 3000, NULL), "retried");
    th_send_str(push, "connected anyway", 0);
    th_recv_str(pull, "connected anyway");
    finish(ctx, pull, push, mon);
}

ZT_TEST(tcp_faults, listener_out_of_descriptors_recovers, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    void *lmon = th_monitor(ctx, pull, "inproc://f-accept", ZAIO_EVENT_ACCEPT_FAILED);
    /* armed before the listener submits its first accept */
    aio_fault_arm(io_port(ctx), AIO_FAULT_ACCEPT_SOCKET, AIO_OP_ACCEPT, -EMFILE);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(push, ep);
    uint32_t v;
    zt_assert(th_wait_event(lmon, ZAIO_EVENT_ACCEPT_FAILED, 3000, &v) && v == EMFILE,
              "accept failed with EMFILE");
    /* the listener waits a moment (no spinning at the descriptor limit), then accepts */
    th_send_str(push, "accepted later", 0);
    th_recv_str(pull, "accepted later");
    zaio_close(lmon);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp_faults, accept_completes_with_an_error, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_RECONNECT_IVL, 10);
    void *lmon = th_monitor(ctx, pull, "inproc://f-accept2", ZAIO_EVENT_ACCEPT_FAILED);
    aio_fault_arm(io_port(ctx), AIO_FAULT_COMPLETE_ERROR, AIO_OP_ACCEPT, -ECONNABORTED);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(push, ep);
    uint32_t v;
    zt_assert(th_wait_event(lmon, ZAIO_EVENT_ACCEPT_FAILED, 3000, &v), "accept failed");
    zt_assert(v == ECONNABORTED, "value %u", v);
    th_send_str(push, "the listener goes on", 0);
    th_recv_str(pull, "the listener goes on");
    zaio_close(lmon);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

#else
ZT_TEST(tcp_faults, skipped_without_fault_injection, 5)
{
    zt_log("built without ZAIO_FAULT_INJECTION: nothing to inject");
}
#endif
