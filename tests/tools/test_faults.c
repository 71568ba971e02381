/* Network faults between zaio and libzmq 4.3.4 (issue 15, part 2): every fault of the
 * relay (tools/faults/relay.h) in turn, on DEALER/ROUTER, REQ/REP (lazy pirate with
 * REQ_CORRELATE and REQ_RELAXED), PUSH/PULL and PUB/SUB, with zaio the connecting side
 * (DEALER, REQ, PUSH, SUB) or the bound side (ROUTER, REP, PULL, PUB). zaio and libzmq
 * share this process and meet only over TCP, through the relay.
 *
 * A scenario: numbered messages (sequence, a payload of varying length, sizes past 255
 * so long frames occur too, and a checksum) flow until N have arrived; then the fault.
 *  - A cut (RST or FIN mid-frame, a blackhole, a slow close): traffic goes on while
 *    both sides see the connection die (monitor events; a blackhole only by the
 *    heartbeat timeout, as the relay passes nothing on) and a new one complete its
 *    handshake; then N more must all arrive (PUB/SUB: all from the first that arrives,
 *    the ones before it having gone out before the new subscription reached the PUB).
 *    What was lost must be lost with the cut connection: gaps only among the messages
 *    sent between the fault and the reconnection, counted.
 *  - A toxic (latency, bandwidth, 1-byte slices): the connection must survive it and
 *    every message arrive.
 * Everywhere: nothing corrupt, nothing twice, nothing out of order (a REP may see a
 * lazy pirate's retries, counted, never an older request after a newer one); zaio's live
 * records back to their level once reconnected and idle, and zero after close.
 *
 * Nothing here is timed: each wait is for an event or a message, under a generous
 * deadline that only a broken build reaches. The REQ's retry period is the lazy pirate's
 * protocol, not an assertion. */
#include "relay.h"
#include "zaio.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define HB_IVL_MS 100
#define HB_TIMEOUT_MS 1000     /* a blackhole is found by this, on each side; a stall of
                                * a loaded machine is not */
#define RECONNECT_MS 50
#define DEADLINE_MS 20000      /* a safety net: only a broken build waits this long */
#define PIRATE_RETRY_MS 300    /* the lazy pirate's resend period */
#define N_BEFORE 40            /* messages through before the fault */
#define N_AFTER 40             /* and after the reconnection */
#define N_MAX_DURING 1500      /* at most this many sent while the cut heals */
#define MSG_MAX 512

enum pattern { DEALER_ROUTER, REQ_REP, PUSH_PULL, PUB_SUB };

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- a socket of either library ------------------------------------------------ */

typedef struct xsock {
    void *s;
    int zaio;
} xsock;

static int x_send(xsock *x, const void *b, size_t n, int flags)
{
    return x->zaio ? zaio_send(x->s, b, n, flags) : zmq_send(x->s, b, n, flags);
}
static int x_recv(xsock *x, void *b, size_t n, int flags)
{
    return x->zaio ? zaio_recv(x->s, b, n, flags) : zmq_recv(x->s, b, n, flags);
}
static int x_errno(xsock *x) { return x->zaio ? zaio_errno() : zmq_errno(); }
static void x_set(xsock *x, int opt, int v)
{
    int rc = x->zaio ? zaio_setsockopt(x->s, opt, &v, sizeof v) : zmq_setsockopt(x->s, opt, &v, sizeof v);
    cr_assert_eq(rc, 0, "setsockopt %d on %s", opt, x->zaio ? "zaio" : "libzmq");
}
static int x_more(xsock *x)
{
    int more = 0;
    size_t len = sizeof more;
    if (x->zaio)
        zaio_getsockopt(x->s, ZAIO_RCVMORE, &more, &len);
    else
        zmq_getsockopt(x->s, ZMQ_RCVMORE, &more, &len);
    return more;
}

/* ---- the messages ---------------------------------------------------------------- */

static uint32_t fnv1a(const unsigned char *b, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* seq (8 bytes) + payload (0..299 bytes, so some frames are long) + FNV-1a (4 bytes) */
static size_t msg_make(unsigned char *b, uint64_t seq)
{
    size_t pay = (size_t)(seq * 37 % 300);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(seq >> (56 - 8 * i));
    for (size_t i = 0; i < pay; i++)
        b[8 + i] = (unsigned char)(seq + i * 7);
    uint32_t h = fnv1a(b, 8 + pay);
    memcpy(b + 8 + pay, &h, 4);
    return 12 + pay;
}

/* The sequence number, or -1 when the message is corrupt. */
static int64_t msg_check(const unsigned char *b, int n)
{
    if (n < 12 || n > MSG_MAX)
        return -1;
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
        seq = seq << 8 | b[i];
    uint32_t h;
    memcpy(&h, b + n - 4, 4);
    if ((size_t)n != 12 + seq * 37 % 300 || h != fnv1a(b, (size_t)n - 4))
        return -1;
    return (int64_t)seq;
}

/* A receiver's view: in order, once, whole; gaps counted with where they fell. */
typedef struct checker {
    const char *who;
    uint64_t next, received, lost, gaps, dups, corrupt;
    uint64_t gap_lo, gap_hi; /* lowest and highest sequence lost */
    int allow_dups;          /* a REP: the lazy pirate's retries come again */
} checker;

static void check(checker *c, const unsigned char *b, int n)
{
    int64_t s = msg_check(b, n);
    if (s < 0) {
        c->corrupt++;
        return;
    }
    uint64_t seq = (uint64_t)s;
    if (seq < c->next) {
        /* a REP sees a retry of the request it just answered, never an older one */
        if (!(c->allow_dups && seq + 1 == c->next))
            c->dups++;
        return;
    }
    if (seq > c->next) {
        if (!c->gaps || c->next < c->gap_lo)
            c->gap_lo = c->next;
        c->gap_hi = seq - 1;
        c->lost += seq - c->next;
        c->gaps++;
    }
    c->next = seq + 1;
    c->received++;
}

/* ---- a scenario --------------------------------------------------------------------- */

typedef struct monitor {
    xsock m;
    int hs, dc; /* handshakes succeeded, disconnections */
} monitor;

typedef struct scen {
    enum pattern p;
    int zaio_connects;
    zrelay_fault fault;
    void *zctx, *lctx;
    xsock client, server; /* DEALER/REQ/PUSH/SUB and ROUTER/REP/PULL/PUB */
    xsock *sender, *receiver;
    monitor zmon, lmon;
    zrelay *relay;
    checker rx;      /* the receiver (PULL, SUB), or the replies (DEALER, REQ) */
    checker srv;     /* the echo flows' server: the requests it saw */
    uint64_t sent;   /* distinct sequence numbers sent */
    uint64_t send_again; /* EAGAIN at the sender (HWM, no connection): sent later */
    uint64_t echo_ok, echo_dropped; /* ROUTER: echoes out, echoes refused (peer gone) */
    uint64_t pirate_retries, last_send_ms;
    int req_waiting;  /* REQ: a request is out */
    uint64_t skipped; /* PUB/SUB: published before the subscription reached the PUB */
    uint64_t first_after; /* PUB/SUB: the first message to arrive after the reconnection */
} scen;

static void mon_read(monitor *mo)
{
    for (;;) {
        unsigned char f1[6], f2[256];
        if (x_recv(&mo->m, f1, sizeof f1, ZMQ_DONTWAIT) != 6)
            return;
        x_recv(&mo->m, f2, sizeof f2, 0);
        uint16_t ev;
        memcpy(&ev, f1, 2);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            mo->hs++;
        if (ev == ZMQ_EVENT_DISCONNECTED)
            mo->dc++;
    }
}

static int is_echo(const scen *sc) { return sc->p == DEALER_ROUTER || sc->p == REQ_REP; }

static void send_one(scen *sc, uint64_t seq)
{
    unsigned char b[MSG_MAX];
    size_t n = msg_make(b, seq);
    if (x_send(sc->sender, b, n, ZMQ_DONTWAIT) == (int)n) {
        if (seq == sc->sent)
            sc->sent++;
        sc->last_send_ms = now_ms();
        return;
    }
    int e = x_errno(sc->sender);
    cr_assert(e == EAGAIN, "send %" PRIu64 ": %s", seq, zmq_strerror(e));
    sc->send_again++; /* no pipe or a full one: the same number goes later */
}

/* The sender's next step, if the flow allows one now. */
static void maybe_send(scen *sc, uint64_t limit)
{
    uint64_t t = now_ms();
    if (sc->p == REQ_REP) {
        if (sc->req_waiting) {
            if (t - sc->last_send_ms >= PIRATE_RETRY_MS) {
                sc->pirate_retries++;
                send_one(sc, sc->sent - 1); /* RELAXED: resend; CORRELATE drops older replies */
            }
            return;
        }
        if (sc->sent < limit) {
            uint64_t before = sc->sent;
            send_one(sc, sc->sent);
            sc->req_waiting = sc->sent > before;
        }
        return;
    }
    if (sc->sent < limit && t != sc->last_send_ms)
        send_one(sc, sc->sent); /* at most one a millisecond */
}

/* Moves everything that can move: receives, checks, echoes, monitor events. */
static void pump(scen *sc, int wait_ms)
{
    zaio_pollitem_t zi[2];
    zmq_pollitem_t li[2];
    int nz = 0, nl = 0;
    xsock *all[2] = {&sc->client, &sc->server};
    for (int i = 0; i < 2; i++) {
        if (all[i]->zaio)
            zi[nz++] = (zaio_pollitem_t){all[i]->s, 0, ZAIO_POLLIN, 0};
        else
            li[nl++] = (zmq_pollitem_t){all[i]->s, 0, ZMQ_POLLIN, 0};
    }
    zaio_poll(zi, nz, wait_ms);
    zmq_poll(li, nl, wait_ms);
    mon_read(&sc->zmon);
    mon_read(&sc->lmon);
    unsigned char b[MSG_MAX + 1], id[256];
    for (int rounds = 0; rounds < 256; rounds++) {
        int moved = 0;
        /* the receiver, or the client reading replies */
        xsock *rx = is_echo(sc) ? &sc->client : sc->receiver;
        /* a REQ may receive only with a request out */
        int n = sc->p == REQ_REP && !sc->req_waiting ? -2 : x_recv(rx, b, sizeof b, ZMQ_DONTWAIT);
        if (n >= 0) {
            cr_assert(!x_more(rx), "%s: one frame per message", sc->rx.who);
            check(&sc->rx, b, n > MSG_MAX ? MSG_MAX + 1 : n);
            if (sc->p == REQ_REP && sc->rx.next == sc->sent)
                sc->req_waiting = 0;
            moved = 1;
        } else if (n == -1) {
            cr_assert_eq(x_errno(rx), EAGAIN, "recv: %s", zmq_strerror(x_errno(rx)));
        }
        if (is_echo(sc)) {
            xsock *s = &sc->server;
            int idn = 0;
            if (sc->p == DEALER_ROUTER) {
                idn = x_recv(s, id, sizeof id, ZMQ_DONTWAIT);
                if (idn >= 0)
                    cr_assert(x_more(s), "ROUTER: a routing id, then the body");
            }
            if (sc->p == REQ_REP || idn >= 0) {
                n = x_recv(s, b, sizeof b, ZMQ_DONTWAIT);
                if (n >= 0) {
                    cr_assert(!x_more(s), "one body frame");
                    check(&sc->srv, b, n > MSG_MAX ? MSG_MAX + 1 : n);
                    int rc = 0;
                    if (sc->p == DEALER_ROUTER)
                        rc = x_send(s, id, (size_t)idn, ZMQ_SNDMORE | ZMQ_DONTWAIT);
                    if (rc >= 0)
                        rc = x_send(s, b, (size_t)n, ZMQ_DONTWAIT);
                    if (rc >= 0) {
                        sc->echo_ok++;
                    } else {
                        /* ROUTER_MANDATORY: the connection the request came on is gone
                         * (or full): the reply is lost with it, counted */
                        int e = x_errno(s);
                        cr_assert(sc->p == DEALER_ROUTER && (e == EHOSTUNREACH || e == EAGAIN),
                                  "echo: %s", zmq_strerror(e));
                        sc->echo_dropped++;
                    }
                    moved = 1;
                } else {
                    cr_assert(sc->p != DEALER_ROUTER, "ROUTER: the body after the id");
                }
            }
        }
        if (!moved)
            break;
    }
}

static xsock mk(scen *sc, int zaio, int type)
{
    xsock x = {zaio ? zaio_socket(sc->zctx, type) : zmq_socket(sc->lctx, type), zaio};
    cr_assert(x.s, "socket");
    x_set(&x, ZMQ_LINGER, 0);
    x_set(&x, ZMQ_HEARTBEAT_IVL, HB_IVL_MS);
    x_set(&x, ZMQ_HEARTBEAT_TIMEOUT, HB_TIMEOUT_MS);
    x_set(&x, ZMQ_RECONNECT_IVL, RECONNECT_MS);
    return x;
}

static void mk_monitor(scen *sc, xsock *x, monitor *mo, const char *ep)
{
    int ev = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED;
    if (x->zaio) {
        cr_assert_eq(zaio_socket_monitor(x->s, ep, ev), 0, "zaio monitor");
        mo->m = (xsock){zaio_socket(sc->zctx, ZAIO_PAIR), 1};
        cr_assert_eq(zaio_connect(mo->m.s, ep), 0);
    } else {
        cr_assert_eq(zmq_socket_monitor(x->s, ep, ev), 0, "libzmq monitor");
        mo->m = (xsock){zmq_socket(sc->lctx, ZMQ_PAIR), 0};
        cr_assert_eq(zmq_connect(mo->m.s, ep), 0);
    }
    x_set(&mo->m, ZMQ_LINGER, 0);
}

static int64_t zaio_live(void)
{
    zaio_stats_t z;
    cr_assert_eq(zaio_stats(NULL, &z), 0);
    return z.sockets + z.ops_in_flight + z.bufs;
}

/* The live records' level with traffic still: the value that holds for 50 samples in a
 * row (a heartbeat's send is in flight for microseconds). */
static int64_t live_level(void)
{
    int64_t v = -1;
    int same = 0;
    uint64_t end = now_ms() + DEADLINE_MS;
    while (same < 50) {
        cr_assert(now_ms() < end, "live records never settle (last %" PRId64 ")", v);
        int64_t l = zaio_live();
        same = l == v ? same + 1 : 0;
        v = l;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    return v;
}

/* Pumps until everything sent has been answered or received. */
static int caught_up(scen *sc)
{
    return sc->rx.next == sc->sent && (sc->p != REQ_REP || !sc->req_waiting);
}

static void setup(scen *sc)
{
    sc->zctx = zaio_ctx_new();
    sc->lctx = zmq_ctx_new();
    cr_assert(sc->zctx && sc->lctx);
    static const int types[4][2] = {{ZMQ_DEALER, ZMQ_ROUTER}, {ZMQ_REQ, ZMQ_REP},
                                    {ZMQ_PUSH, ZMQ_PULL}, {ZMQ_SUB, ZMQ_PUB}};
    sc->client = mk(sc, sc->zaio_connects, types[sc->p][0]);
    sc->server = mk(sc, !sc->zaio_connects, types[sc->p][1]);
    if (sc->p == REQ_REP) {
        x_set(&sc->client, ZMQ_REQ_CORRELATE, 1);
        x_set(&sc->client, ZMQ_REQ_RELAXED, 1);
    }
    if (sc->p == DEALER_ROUTER)
        x_set(&sc->server, ZMQ_ROUTER_MANDATORY, 1);
    if (sc->p == PUB_SUB) {
        int rc = sc->client.zaio ? zaio_setsockopt(sc->client.s, ZAIO_SUBSCRIBE, "", 0)
                                 : zmq_setsockopt(sc->client.s, ZMQ_SUBSCRIBE, "", 0);
        cr_assert_eq(rc, 0);
    }
    sc->sender = sc->p == PUB_SUB ? &sc->server : &sc->client;
    sc->receiver = sc->p == PUB_SUB ? &sc->client : &sc->server;
    sc->rx.who = sc->p == PUSH_PULL ? "PULL" : sc->p == PUB_SUB ? "SUB" : "replies";
    sc->srv.who = "requests";
    sc->srv.allow_dups = sc->p == REQ_REP;
    xsock *zs = sc->zaio_connects ? &sc->client : &sc->server;
    xsock *ls = sc->zaio_connects ? &sc->server : &sc->client;
    mk_monitor(sc, zs, &sc->zmon, "inproc://faults-zmon");
    mk_monitor(sc, ls, &sc->lmon, "inproc://faults-lmon");

    char ep[256];
    size_t len = sizeof ep;
    if (sc->server.zaio) {
        cr_assert_eq(zaio_bind(sc->server.s, "tcp://127.0.0.1:*"), 0);
        cr_assert_eq(zaio_getsockopt(sc->server.s, ZAIO_LAST_ENDPOINT, ep, &len), 0);
    } else {
        cr_assert_eq(zmq_bind(sc->server.s, "tcp://127.0.0.1:*"), 0);
        cr_assert_eq(zmq_getsockopt(sc->server.s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    }
    cr_assert_eq(zrelay_start(ep, NULL, &sc->relay), 0, "relay");
    const char *rep = zrelay_endpoint(sc->relay);
    int rc = sc->client.zaio ? zaio_connect(sc->client.s, rep) : zmq_connect(sc->client.s, rep);
    cr_assert_eq(rc, 0, "connect through the relay");
}

/* Sends until `count` more have arrived at the receiver (PUB/SUB: counting only from
 * the first that arrives), then until everything sent has. */
static void traffic(scen *sc, uint64_t count, const char *phase)
{
    uint64_t target = sc->sent + count;
    uint64_t end = now_ms() + DEADLINE_MS;
    if (sc->p == PUB_SUB) {
        /* published before the (re)subscription reached the PUB: never sent to us */
        uint64_t got = sc->rx.received;
        while (sc->rx.received == got) {
            cr_assert(now_ms() < end, "%s: nothing reaches the SUB", phase);
            maybe_send(sc, UINT64_MAX);
            pump(sc, 1);
        }
        sc->first_after = sc->rx.next - 1;
        target = sc->rx.next - 1 + count;
    }
    while (sc->sent < target || !caught_up(sc)) {
        cr_assert(now_ms() < end,
                  "%s: sent %" PRIu64 " of %" PRIu64 ", %s got to %" PRIu64 " (lost %" PRIu64 ")",
                  phase, sc->sent, target, sc->rx.who, sc->rx.next, sc->rx.lost);
        maybe_send(sc, target);
        pump(sc, 1);
    }
}

static void teardown(scen *sc)
{
    if (sc->client.zaio) {
        zaio_close(sc->client.s);
        zaio_close(sc->zmon.m.s);
        zmq_close(sc->server.s);
        zmq_close(sc->lmon.m.s);
    } else {
        zaio_close(sc->server.s);
        zaio_close(sc->zmon.m.s);
        zmq_close(sc->client.s);
        zmq_close(sc->lmon.m.s);
    }
    cr_assert_eq(zaio_ctx_term(sc->zctx), 0);
    zmq_ctx_term(sc->lctx);
    zrelay_stop(sc->relay);
    zaio_stats_t z;
    zaio_stats(NULL, &z);
    cr_assert(z.sockets == 0 && z.ops_in_flight == 0 && z.bufs == 0 && z.accept_sockets == 0,
              "after close: sockets %" PRId64 ", ops %" PRId64 ", buffers %" PRId64
              ", accept sockets %" PRId64,
              z.sockets, z.ops_in_flight, z.bufs, z.accept_sockets);
}

static uint64_t toxic_param(zrelay_fault f)
{
    switch (f) {
    case ZRELAY_LATENCY: return 30;          /* ms each way */
    case ZRELAY_BANDWIDTH: return 32 * 1024; /* bytes a second each way */
    case ZRELAY_SLOW_CLOSE: return 300;      /* ms between the two closes */
    default: return 0;                       /* SLICE: back to back */
    }
}

static void scenario(enum pattern p, zrelay_fault fault, int zaio_connects)
{
    scen sc;
    memset(&sc, 0, sizeof sc);
    sc.p = p;
    sc.fault = fault;
    sc.zaio_connects = zaio_connects;
    setup(&sc);
    uint64_t end = now_ms() + DEADLINE_MS;
    while (sc.zmon.hs < 1 || sc.lmon.hs < 1) {
        cr_assert(now_ms() < end, "no handshake through the relay");
        pump(&sc, 5);
    }
    traffic(&sc, N_BEFORE, "before the fault");
    sc.skipped = sc.rx.lost; /* PUB/SUB: before the first subscription */
    sc.rx.gaps = 0;          /* from here on, each gap is the fault's */
    cr_assert(sc.p == PUB_SUB || sc.rx.lost == 0, "lost %" PRIu64 " before any fault", sc.rx.lost);
    uint64_t lost_before = sc.rx.lost, srv_lost_before = sc.srv.lost;
    int64_t level = live_level();
    uint64_t fault_seq = sc.sent;

    cr_assert_eq(zrelay_inject(sc.relay, fault, toxic_param(fault)), 0);
    uint64_t healed_seq;
    if (ZRELAY_IS_CUT(fault)) {
        /* traffic goes on until both sides have lost the connection and made a new one */
        end = now_ms() + DEADLINE_MS;
        while (sc.zmon.dc < 1 || sc.lmon.dc < 1 || sc.zmon.hs < 2 || sc.lmon.hs < 2) {
            cr_assert(now_ms() < end,
                      "%s: zaio saw %d disconnections and %d handshakes, libzmq %d and %d",
                      zrelay_fault_name(fault), sc.zmon.dc, sc.zmon.hs, sc.lmon.dc, sc.lmon.hs);
            maybe_send(&sc, fault_seq + N_MAX_DURING);
            pump(&sc, 1);
        }
        healed_seq = sc.sent;
        traffic(&sc, N_AFTER, "after the reconnection");
    } else {
        uint64_t n = fault == ZRELAY_LATENCY ? 100 : 60;
        if (p == REQ_REP)
            n = 10; /* one round trip each */
        traffic(&sc, n, zrelay_fault_name(fault));
        cr_assert_eq(zrelay_inject(sc.relay, ZRELAY_CLEAR, 0), 0);
        healed_seq = sc.sent;
        traffic(&sc, N_AFTER, "after the toxic");
    }
    zrelay_stats rs;
    zrelay_get_stats(sc.relay, &rs);

    /* what arrived: whole, once, in order */
    cr_assert_eq(sc.rx.corrupt, 0, "%s: %" PRIu64 " corrupt", sc.rx.who, sc.rx.corrupt);
    cr_assert_eq(sc.rx.dups, 0, "%s: %" PRIu64 " twice or out of order", sc.rx.who, sc.rx.dups);
    cr_assert_eq(sc.srv.corrupt, 0, "requests: %" PRIu64 " corrupt", sc.srv.corrupt);
    cr_assert_eq(sc.srv.dups, 0, "requests: %" PRIu64 " repeated out of order", sc.srv.dups);
    if (ZRELAY_IS_CUT(fault)) {
        cr_assert_eq(sc.zmon.dc >= 1 && sc.lmon.dc >= 1, 1);
        cr_assert(rs.cut[fault] >= 1, "the relay made no %s cut", zrelay_fault_name(fault));
        if (fault == ZRELAY_RST || fault == ZRELAY_FIN)
            cr_assert(rs.mid_frame >= 1, "the cut fell between frames");
        /* losses only with the cut connection: among what was sent before the new one
         * was up (PUB/SUB: before the new subscription reached the PUB) */
        uint64_t lost = sc.rx.lost - lost_before;
        cr_assert(lost <= healed_seq - fault_seq || p == PUB_SUB,
                  "lost %" PRIu64 ", more than the %" PRIu64 " sent while cut", lost,
                  healed_seq - fault_seq);
        if (lost) {
            cr_assert(sc.rx.gap_lo >= fault_seq, "lost #%" PRIu64 ", sent before the fault",
                      sc.rx.gap_lo);
            /* PUB/SUB: nothing lost once the new connection has delivered */
            uint64_t bound = p == PUB_SUB ? sc.first_after : healed_seq;
            cr_assert(sc.rx.gap_hi < bound, "lost #%" PRIu64 ", sent after the reconnection",
                      sc.rx.gap_hi);
        }
        if (p == REQ_REP)
            cr_assert_eq(sc.rx.lost, 0, "the lazy pirate gets every reply");
        if (p == DEALER_ROUTER) {
            /* every request lost on the way in, or its echo refused, or lost on the way
             * back: the three add up to what the DEALER missed */
            uint64_t req_lost = sc.srv.lost - srv_lost_before;
            cr_assert(sc.echo_ok >= sc.rx.received, "more replies than echoes");
            uint64_t back_lost = sc.echo_ok - sc.rx.received;
            cr_assert_eq(req_lost + sc.echo_dropped + back_lost, lost,
                         "requests lost %" PRIu64 " + echoes refused %" PRIu64
                         " + replies lost %" PRIu64 " != missed %" PRIu64,
                         req_lost, sc.echo_dropped, back_lost, lost);
        }
        cr_log_info("%s: sent %" PRIu64 " (while cut %" PRIu64 "), lost with the connection %"
                    PRIu64 " in %" PRIu64 " gap(s), echoes refused %" PRIu64
                    ", pirate retries %" PRIu64 ", skipped before subscribing %" PRIu64
                    ", sends held back (EAGAIN: HWM or no connection, sent later) %" PRIu64,
                    zrelay_fault_name(fault), sc.sent, healed_seq - fault_seq, lost,
                    sc.rx.gaps, sc.echo_dropped, sc.pirate_retries, sc.skipped, sc.send_again);
    } else {
        /* a toxic slows the link; it must not cost a connection or a message */
        cr_assert_eq(sc.zmon.dc + sc.lmon.dc, 0, "%s cost a connection",
                     zrelay_fault_name(fault));
        cr_assert_eq(sc.rx.lost, lost_before, "%s lost messages", zrelay_fault_name(fault));
        cr_assert_eq(sc.echo_dropped, 0);
    }
    /* the dead connection's records are gone: back to one connection's level */
    end = now_ms() + DEADLINE_MS;
    int64_t live;
    while ((live = zaio_live()) != level) {
        cr_assert(now_ms() < end, "live records %" PRId64 ", were %" PRId64 " before the fault",
                  live, level);
        pump(&sc, 5);
    }
    teardown(&sc);
}

#define FAULT_TESTS(suite, pat)                                                                 \
    Test(suite, latency_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_LATENCY, 1); }     \
    Test(suite, latency_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_LATENCY, 0); }        \
    Test(suite, bandwidth_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_BANDWIDTH, 1); } \
    Test(suite, bandwidth_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_BANDWIDTH, 0); }    \
    Test(suite, slice_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_SLICE, 1); }         \
    Test(suite, slice_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_SLICE, 0); }            \
    Test(suite, rst_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_RST, 1); }             \
    Test(suite, rst_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_RST, 0); }                \
    Test(suite, fin_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_FIN, 1); }             \
    Test(suite, fin_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_FIN, 0); }                \
    Test(suite, blackhole_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_BLACKHOLE, 1); } \
    Test(suite, blackhole_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_BLACKHOLE, 0); }    \
    Test(suite, slow_close_zaio_connects, .timeout = 60) { scenario(pat, ZRELAY_SLOW_CLOSE, 1); } \
    Test(suite, slow_close_zaio_binds, .timeout = 60) { scenario(pat, ZRELAY_SLOW_CLOSE, 0); }

FAULT_TESTS(dealer_router, DEALER_ROUTER)
FAULT_TESTS(req_rep, REQ_REP)
FAULT_TESTS(push_pull, PUSH_PULL)
FAULT_TESTS(pub_sub, PUB_SUB)
