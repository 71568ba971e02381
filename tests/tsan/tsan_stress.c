/* tsan_stress.c - zaio's threads against each other, for ThreadSanitizer: the tests
 * cannot run under it (Criterion will not start there), so this program does what
 * they would, with every socket used from a thread of its own and the I/O threads
 * between them:
 *  - PUSH/PULL, PUB/SUB and DEALER/ROUTER pairs over inproc, tcp and ipc, each side in
 *    its own thread, with HWMs small enough that writers sleep and get woken;
 *  - a REQ/REP pair across a PLAIN handshake through a ZAP handler thread;
 *  - PAIR ping-pong over tcp, each side on its thread: replies sent from the socket's
 *    thread while the I/O threads send heartbeats, some larger than the socket buffer
 *    (the I/O thread sends the rest);
 *  - monitors read on a thread of their own while connections come and go;
 *  - sockets closed while their peers still send, and the context ended at the end.
 * It checks what it receives (counts, order) and exits non-zero on a wrong one; TSan's
 * reports make it exit with TSan's exit code. */
#include <zaio.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MSGS = 20000 };

static void die(const char *what)
{
    fprintf(stderr, "tsan_stress: %s: %s\n", what, zaio_strerror(zaio_errno()));
    exit(1);
}

static void set_int(void *s, int opt, int v)
{
    if (zaio_setsockopt(s, opt, &v, sizeof v) != 0)
        die("setsockopt");
}

typedef struct flow {
    void *ctx;
    int tx_type, rx_type;
    const char *bind_ep;
    char ep[256];
    atomic_bool bound;
    atomic_bool warm; /* PUB/SUB: a warm-up message arrived, so the subscription has */
    int received;
} flow;

static void *sender(void *arg)
{
    flow *f = arg;
    while (!atomic_load(&f->bound))
        ;
    void *s = zaio_socket(f->ctx, f->tx_type);
    /* a PUB drops at the HWM: no limit there, so every message past the warm-up arrives */
    set_int(s, ZAIO_SNDHWM, f->tx_type == ZAIO_PUB ? 0 : 16);
    set_int(s, ZAIO_LINGER, 1000);
    if (zaio_connect(s, f->ep) != 0)
        die("connect");
    /* A PUB drops what it sends before the SUB's subscription arrives, which takes the
     * handshake and the subscription's trip: warm-ups (the topic alone) until one has
     * reached the SUB (they are dropped, not queued, until then) */
    if (f->tx_type == ZAIO_PUB)
        while (!atomic_load(&f->warm))
            zaio_send(s, "seq:", 4, ZAIO_DONTWAIT);
    for (uint32_t i = 0; i < MSGS; i++) {
        char m[8];
        memcpy(m, "seq:", 4);
        memcpy(m + 4, &i, 4);
        if (zaio_send(s, m, sizeof m, 0) != (int)sizeof m)
            die("send");
    }
    zaio_close(s);
    return NULL;
}

static void *receiver(void *arg)
{
    flow *f = arg;
    void *s = zaio_socket(f->ctx, f->rx_type);
    set_int(s, ZAIO_RCVHWM, f->rx_type == ZAIO_SUB ? 0 : 16);
    set_int(s, ZAIO_RCVTIMEO, 20000);
    if (f->rx_type == ZAIO_SUB && zaio_setsockopt(s, ZAIO_SUBSCRIBE, "seq:", 4) != 0)
        die("subscribe");
    if (zaio_bind(s, f->bind_ep) != 0)
        die("bind");
    size_t len = sizeof f->ep;
    zaio_getsockopt(s, ZAIO_LAST_ENDPOINT, f->ep, &len);
    atomic_store(&f->bound, true);
    uint32_t next = 0;
    for (;;) {
        char m[64];
        int n = zaio_recv(s, m, sizeof m, 0);
        if (n < 0)
            break; /* the sender is done and closed: the timeout ends it */
        if (n == 4) { /* a PUB's warm-up */
            atomic_store(&f->warm, true);
            continue;
        }
        uint32_t seq;
        memcpy(&seq, m + 4, 4);
        /* PUB/SUB loses those sent before the subscription landed; nobody reorders */
        if (seq < next || (f->rx_type != ZAIO_SUB && seq != next)) {
            fprintf(stderr, "tsan_stress: %s: got %u, wanted %u\n", f->bind_ep, seq, next);
            exit(1);
        }
        next = seq + 1;
        f->received++;
        if (next == MSGS)
            break;
    }
    if (next != MSGS) {
        fprintf(stderr, "tsan_stress: %s, %d to %d: stopped at %u of %d\n", f->bind_ep,
                f->tx_type, f->rx_type, next, MSGS);
        exit(1);
    }
    zaio_close(s);
    return NULL;
}

/* ---- PLAIN through a ZAP handler, and a monitor read on its own thread ---------- */

static atomic_bool stop_handler;

static void *zap_handler(void *sock)
{
    while (!atomic_load(&stop_handler)) {
        char f[8][64];
        int n = 0, more = 1;
        size_t len = sizeof more;
        if (zaio_recv(sock, f[0], sizeof f[0], 0) < 0)
            continue;
        for (n = 1; n < 8 && zaio_getsockopt(sock, ZAIO_RCVMORE, &more, &len) == 0 && more; n++)
            zaio_recv(sock, f[n], sizeof f[n], 0);
        const char *reply[] = {"1.0", "1", "200", "OK", "stress", ""};
        for (int i = 0; i < 6; i++)
            zaio_send(sock, reply[i], strlen(reply[i]), i < 5 ? ZAIO_SNDMORE : 0);
    }
    return NULL;
}

static void *monitor_reader(void *mon)
{
    char buf[300];
    while (zaio_recv(mon, buf, sizeof buf, 0) >= 0)
        ;
    return NULL;
}

static void plain_round(void *ctx)
{
    void *zap = zaio_socket(ctx, ZAIO_REP);
    set_int(zap, ZAIO_RCVTIMEO, 50);
    if (zaio_bind(zap, "inproc://zeromq.zap.01") != 0)
        die("bind zap");
    pthread_t h;
    pthread_create(&h, NULL, zap_handler, zap);
    void *rep = zaio_socket(ctx, ZAIO_REP);
    set_int(rep, ZAIO_PLAIN_SERVER, 1);
    if (zaio_socket_monitor(rep, "inproc://stress-mon", ZAIO_EVENT_ALL) != 0)
        die("monitor");
    void *mon = zaio_socket(ctx, ZAIO_PAIR);
    set_int(mon, ZAIO_RCVTIMEO, 3000);
    zaio_connect(mon, "inproc://stress-mon");
    pthread_t m;
    pthread_create(&m, NULL, monitor_reader, mon);
    if (zaio_bind(rep, "tcp://127.0.0.1:*") != 0)
        die("bind rep");
    char ep[256];
    size_t len = sizeof ep;
    zaio_getsockopt(rep, ZAIO_LAST_ENDPOINT, ep, &len);
    for (int c = 0; c < 20; c++) {
        void *req = zaio_socket(ctx, ZAIO_REQ);
        set_int(req, ZAIO_LINGER, 0);
        zaio_setsockopt(req, ZAIO_PLAIN_USERNAME, "u", 1);
        zaio_setsockopt(req, ZAIO_PLAIN_PASSWORD, "p", 1);
        zaio_connect(req, ep);
        zaio_send(req, "q", 1, 0);
        char b[8];
        if (zaio_recv(rep, b, sizeof b, 0) != 1 || zaio_send(rep, "a", 1, 0) != 1 ||
            zaio_recv(req, b, sizeof b, 0) != 1)
            die("plain round");
        zaio_close(req);
    }
    zaio_close(rep); /* the monitor stops once its connections have gone */
    pthread_join(m, NULL);
    zaio_close(mon);
    atomic_store(&stop_handler, true);
    pthread_join(h, NULL);
    zaio_close(zap);
}

/* One side of the ping-pong: the first sends round i, the other answers it; each
 * checks that round i comes back whole, with a body whose size cycles through small,
 * sent from its own buffer, and larger than the 64 KiB socket buffers. */
enum { PP_ROUNDS = 3000, PP_MAX = 300000 };
static size_t pp_size(int i) { return i % 50 == 49 ? PP_MAX : i % 7 == 3 ? 20000 : 16; }

typedef struct pp_side {
    void *s;
    bool first;
} pp_side;

static void *pp_run(void *arg)
{
    pp_side *side = arg;
    char *out = malloc(PP_MAX), *in = malloc(PP_MAX);
    if (!out || !in)
        die("memory");
    for (int i = 0; i < PP_ROUNDS; i++) {
        size_t n = pp_size(i);
        memset(out, 'a' + i % 26, n);
        memcpy(out, &i, sizeof i);
        if (side->first && zaio_send(side->s, out, n, 0) != (int)n)
            die("ping-pong send");
        int got = zaio_recv(side->s, in, PP_MAX, 0);
        int seq = -1;
        if (got >= (int)sizeof seq)
            memcpy(&seq, in, sizeof seq);
        if (got != (int)n || seq != i || in[n - 1] != 'a' + i % 26) {
            fprintf(stderr, "tsan_stress: ping-pong round %d: got %d bytes of round %d\n", i,
                    got, seq);
            die("ping-pong: a message lost, doubled, cut or out of order");
        }
        if (!side->first && zaio_send(side->s, out, n, 0) != (int)n)
            die("ping-pong send");
    }
    free(out);
    free(in);
    return NULL;
}

static void ping_pong_start(void *ctx, pp_side side[2], pthread_t t[2])
{
    for (int k = 0; k < 2; k++) {
        side[k].s = zaio_socket(ctx, ZAIO_PAIR);
        side[k].first = k == 1;
        set_int(side[k].s, ZAIO_HEARTBEAT_IVL, 1);
        set_int(side[k].s, ZAIO_HEARTBEAT_TIMEOUT, 30000); /* PINGs, never a drop */
        set_int(side[k].s, ZAIO_SNDBUF, 64 * 1024);
        set_int(side[k].s, ZAIO_RCVBUF, 64 * 1024);
        set_int(side[k].s, ZAIO_RCVTIMEO, 20000);
    }
    if (zaio_bind(side[0].s, "tcp://127.0.0.1:*") != 0)
        die("bind pair");
    char ep[256];
    size_t len = sizeof ep;
    zaio_getsockopt(side[0].s, ZAIO_LAST_ENDPOINT, ep, &len);
    if (zaio_connect(side[1].s, ep) != 0)
        die("connect pair");
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, pp_run, &side[k]);
}

int main(void)
{
    void *ctx = zaio_ctx_new();
    if (!ctx)
        die("ctx");
    zaio_ctx_set(ctx, ZAIO_IO_THREADS, 2);
    flow flows[] = {
        {ctx, ZAIO_PUSH, ZAIO_PULL, "inproc://stress-a", "", false, false, 0},
        {ctx, ZAIO_PUSH, ZAIO_PULL, "tcp://127.0.0.1:*", "", false, false, 0},
        {ctx, ZAIO_PUSH, ZAIO_PULL, "ipc://*", "", false, false, 0},
        {ctx, ZAIO_PUB, ZAIO_SUB, "tcp://127.0.0.1:*", "", false, false, 0},
        {ctx, ZAIO_DEALER, ZAIO_DEALER, "tcp://127.0.0.1:*", "", false, false, 0},
        {ctx, ZAIO_DEALER, ZAIO_DEALER, "inproc://stress-b", "", false, false, 0},
    };
    enum { N = sizeof flows / sizeof flows[0] };
    pthread_t tx[N], rx[N];
    for (int i = 0; i < N; i++) {
        pthread_create(&rx[i], NULL, receiver, &flows[i]);
        pthread_create(&tx[i], NULL, sender, &flows[i]);
    }
    pthread_t pp[2];
    pp_side side[2];
    ping_pong_start(ctx, side, pp);
    plain_round(ctx);
    for (int k = 0; k < 2; k++) {
        pthread_join(pp[k], NULL);
        zaio_close(side[k].s);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(tx[i], NULL);
        pthread_join(rx[i], NULL);
    }
    if (zaio_ctx_term(ctx) != 0)
        die("term");
    zaio_stats_t st;
    zaio_stats(NULL, &st);
    if (st.sockets || st.ops_in_flight || st.bufs || st.accept_sockets) {
        fprintf(stderr, "tsan_stress: left: sockets %lld ops %lld bufs %lld\n", (long long)st.sockets,
                (long long)st.ops_in_flight, (long long)st.bufs);
        return 1;
    }
    printf("tsan_stress: %d flows of %d messages, 20 PLAIN handshakes, %d ping-pong rounds: "
           "done\n", N, MSGS, PP_ROUNDS);
    return 0;
}
