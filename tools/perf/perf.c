/* perf.c - throughput and latency, with the arguments and output lines of libzmq's perf
 * programs, so either side of a measurement can be libzmq's. Written for zmq.h: built
 * against zaio (include/compat/zmq.h) it is zaio-perf, built against libzmq it is the
 * reference side the comparison table runs in the same session.
 *
 *   zaio-perf local_thr  <bind-to>    <message-size> <message-count>
 *   zaio-perf remote_thr <connect-to> <message-size> <message-count>
 *   zaio-perf local_lat  <bind-to>    <message-size> <roundtrip-count>
 *   zaio-perf remote_lat <connect-to> <message-size> <roundtrip-count>
 *   zaio-perf inproc_thr <message-size> <message-count>
 *   zaio-perf inproc_lat <message-size> <roundtrip-count>
 *
 *   zaio-perf local_idle  <bind-to>    <connections>
 *   zaio-perf remote_idle <connect-to> <connections>
 *
 * local_idle and remote_idle measure memory, not speed: remote_idle connects that many
 * DEALERs to local_idle's ROUTER, one message each way, and each side prints the RSS it
 * grew by per connection.
 * inproc_thr and inproc_lat are libzmq's programs of those names: both ends in one
 * process (one context), the remote side on a thread of its own, over inproc://.
 * The program name works as the sub-command too (a link named local_thr). --pair, anywhere
 * among the arguments, has the latency programs bounce over PAIR sockets instead of
 * REQ/REP. --curve, anywhere
 * among the arguments, makes both ends speak CURVE (RFC 26): the local side is the server,
 * with a key pair fixed here so that the remote side, a separate process of either
 * library, knows its public key; the remote side makes a client key pair of its own. The
 * fixed pair is the one in libzmq's test suite (and the CurveZMQ examples): public, and
 * good for nothing but a benchmark. */
#include <zmq.h>

#include "proc_rss.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int fail(const char *what)
{
    fprintf(stderr, "error in %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 1;
}

static int curve;
static int pair; /* --pair: latency over PAIR, not REQ/REP */
static const char curve_server_public[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
static const char curve_server_secret[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

/* Before bind (server) or connect (client), with --curve. */
static int curve_setup(void *s, int server)
{
    if (!curve)
        return 0;
    if (server) {
        int one = 1;
        if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve_server_secret, 40) != 0)
            return fail("CURVE server options");
        return 0;
    }
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0)
        return fail("zmq_curve_keypair");
    if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, curve_server_public, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40) != 0)
        return fail("CURVE client options");
    return 0;
}

static int size_ok(zmq_msg_t *m, size_t size)
{
    if (zmq_msg_size(m) == size)
        return 1;
    fprintf(stderr, "message of incorrect size received\n");
    return 0;
}

/* With a wildcard port ("tcp://127.0.0.1:*") the chosen endpoint goes to stderr as
 * "endpoint: ...", so a script can start the remote side without picking a port. */
static int bind_and_tell(void *s, const char *ep)
{
    if (curve_setup(s, 1) != 0)
        return 1;
    if (zmq_bind(s, ep) != 0)
        return fail("zmq_bind");
    if (strchr(ep, '*')) {
        char last[256];
        size_t len = sizeof last;
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, last, &len);
        fprintf(stderr, "endpoint: %s\n", last);
        fflush(stderr);
    }
    return 0;
}

/* count round trips of m over s; *latency: half a round trip in microseconds. The clock
 * starts after the first round trip, as local_thr's after the first message: a run
 * measures messages, not the connection and its handshake (which libzmq's remote_lat
 * counts in; a zaio-to-zaio handshake holds its READY up to 20 ms). Still count round
 * trips in all, so either side can be libzmq's own program. */
static int bounce(void *s, zmq_msg_t *m, size_t size, int count, double *latency)
{
    uint64_t t0 = 0;
    for (int i = 0; i < count; i++) {
        if (i == 1 || count == 1)
            t0 = now_us();
        if (zmq_msg_send(m, s, 0) < 0)
            return fail("zmq_msg_send");
        if (zmq_msg_recv(m, s, 0) < 0)
            return fail("zmq_msg_recv");
        if (!size_ok(m, size))
            return 1;
    }
    *latency = (double)(now_us() - t0) / ((count > 1 ? count - 1 : 1) * 2);
    return 0;
}

static int local_thr(const char *ep, size_t size, int count)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PULL);
    if (bind_and_tell(s, ep) != 0)
        return 1;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0)
        return fail("zmq_msg_recv");
    if (!size_ok(&m, size))
        return 1;
    uint64_t t0 = now_us();
    for (int i = 1; i < count; i++) {
        if (zmq_msg_recv(&m, s, 0) < 0)
            return fail("zmq_msg_recv");
        if (!size_ok(&m, size))
            return 1;
    }
    uint64_t elapsed = now_us() - t0;
    if (elapsed == 0)
        elapsed = 1;
    zmq_msg_close(&m);
    double throughput = (double)(count - 1) / (double)elapsed * 1000000.0;
    double megabits = throughput * (double)size * 8 / 1000000.0;
    printf("message size: %d [B]\n", (int)size);
    printf("message count: %d\n", count);
    printf("mean throughput: %d [msg/s]\n", (int)throughput);
    printf("mean throughput: %.3f [Mb/s]\n", megabits);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

static int remote_thr(const char *ep, size_t size, int count)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    if (curve_setup(s, 0) != 0)
        return 1;
    if (zmq_connect(s, ep) != 0)
        return fail("zmq_connect");
    for (int i = 0; i < count; i++) {
        zmq_msg_t m;
        if (zmq_msg_init_size(&m, size) != 0)
            return fail("zmq_msg_init_size");
        /* the body is sent as it comes, unwritten, as libzmq's remote_thr does (it fills
         * it only in a build for valgrind): filling a fresh 1 MiB body from cold memory
         * was a quarter of the sender's time, a cost of the benchmark, not the library */
        if (zmq_msg_send(&m, s, 0) < 0)
            return fail("zmq_msg_send");
        zmq_msg_close(&m);
    }
    zmq_close(s); /* lingers until everything went out */
    zmq_ctx_term(ctx);
    return 0;
}

static int local_lat(const char *ep, size_t size, int count)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, pair ? ZMQ_PAIR : ZMQ_REP);
    if (bind_and_tell(s, ep) != 0)
        return 1;
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (int i = 0; i < count; i++) {
        if (zmq_msg_recv(&m, s, 0) < 0)
            return fail("zmq_msg_recv");
        if (!size_ok(&m, size))
            return 1;
        if (zmq_msg_send(&m, s, 0) < 0)
            return fail("zmq_msg_send");
    }
    zmq_msg_close(&m);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

static int remote_lat(const char *ep, size_t size, int count)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, pair ? ZMQ_PAIR : ZMQ_REQ);
    if (curve_setup(s, 0) != 0)
        return 1;
    if (zmq_connect(s, ep) != 0)
        return fail("zmq_connect");
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, size) != 0)
        return fail("zmq_msg_init_size");
    memset(zmq_msg_data(&m), 0, size);
    double latency;
    if (bounce(s, &m, size, count, &latency) != 0)
        return 1;
    zmq_msg_close(&m);
    printf("message size: %d [B]\n", (int)size);
    printf("roundtrip count: %d\n", count);
    printf("average latency: %.3f [us]\n", latency);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- inproc: both ends in this process, as libzmq's inproc_thr / inproc_lat ---------- */

typedef struct inproc_job {
    void *ctx;
    size_t size;
    int count;
    int rc;
} inproc_job;

static void inproc_push(void *arg)
{
    inproc_job *j = arg;
    /* read once: the job sits on the other thread's stack beside the message it receives
     * into, and reading it a message would fetch that cache line back every time */
    const int count = j->count;
    const size_t size = j->size;
    void *s = zmq_socket(j->ctx, ZMQ_PUSH);
    if (!s || zmq_connect(s, "inproc://perf_thr") != 0) {
        j->rc = fail("zmq_connect");
        return;
    }
    for (int i = 0; i < count; i++) {
        zmq_msg_t m;
        if (zmq_msg_init_size(&m, size) != 0 || zmq_msg_send(&m, s, 0) < 0) {
            j->rc = fail("zmq_msg_send");
            return;
        }
        zmq_msg_close(&m);
    }
    zmq_close(s);
}

static int inproc_thr(size_t size, int count)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PULL);
    if (zmq_bind(s, "inproc://perf_thr") != 0)
        return fail("zmq_bind");
    inproc_job j = {ctx, size, count, 0};
    void *t = zmq_threadstart(inproc_push, &j);
    if (!t)
        return fail("zmq_threadstart");
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, s, 0) < 0)
        return fail("zmq_msg_recv");
    uint64_t t0 = now_us();
    for (int i = 1; i < count; i++) {
        if (zmq_msg_recv(&m, s, 0) < 0)
            return fail("zmq_msg_recv");
        if (!size_ok(&m, size))
            return 1;
    }
    uint64_t elapsed = now_us() - t0;
    if (elapsed == 0)
        elapsed = 1;
    zmq_msg_close(&m);
    zmq_threadclose(t);
    if (j.rc)
        return j.rc;
    double throughput = (double)(count - 1) / (double)elapsed * 1000000.0;
    printf("message size: %d [B]\n", (int)size);
    printf("message count: %d\n", count);
    printf("mean throughput: %d [msg/s]\n", (int)throughput);
    printf("mean throughput: %.3f [Mb/s]\n", throughput * (double)size * 8 / 1000000.0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

static void inproc_rep(void *arg)
{
    inproc_job *j = arg;
    const int count = j->count; /* read once, as in inproc_push */
    void *s = zmq_socket(j->ctx, ZMQ_REP);
    if (!s || zmq_connect(s, "inproc://perf_lat") != 0) {
        j->rc = fail("zmq_connect");
        return;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (int i = 0; i < count; i++) {
        if (zmq_msg_recv(&m, s, 0) < 0 || zmq_msg_send(&m, s, 0) < 0) {
            j->rc = fail("zmq_msg_recv/send");
            return;
        }
    }
    zmq_msg_close(&m);
    zmq_close(s);
}

static int inproc_lat(size_t size, int count)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REQ);
    if (zmq_bind(s, "inproc://perf_lat") != 0)
        return fail("zmq_bind");
    inproc_job j = {ctx, size, count, 0};
    void *t = zmq_threadstart(inproc_rep, &j);
    if (!t)
        return fail("zmq_threadstart");
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, size) != 0)
        return fail("zmq_msg_init_size");
    memset(zmq_msg_data(&m), 0, size);
    double latency;
    if (bounce(s, &m, size, count, &latency) != 0)
        return 1;
    zmq_msg_close(&m);
    zmq_threadclose(t);
    if (j.rc)
        return j.rc;
    printf("message size: %d [B]\n", (int)size);
    printf("roundtrip count: %d\n", count);
    printf("average latency: %.3f [us]\n", latency);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- memory per idle connection: N DEALERs connected to one ROUTER -------------------- */

static double rss_bytes(void) { return (double)proc_rss_kib(0) * 1024; }

/* Descriptors enough for count connections: with either library the DEALERs' side holds
 * two a socket (its connection and its mailbox's eventfd). Above the hard limit only
 * for root; otherwise up to it. */
static void more_fds(int count)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return;
    rlim_t want = 2 * (rlim_t)count + 64;
    if (r.rlim_cur >= want)
        return;
    struct rlimit more = {want, want > r.rlim_max ? want : r.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &more) != 0) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

static void print_idle(int count, double before, double after)
{
    printf("idle connections: %d\n", count);
    printf("rss growth: %.0f [KiB]\n", (after - before) / 1024);
    printf("rss per connection: %.0f [B]\n", (after - before) / count);
}

/* The ROUTER: counts the RSS it grew by once every DEALER's hello is in (every
 * connection made and handshaken, each having carried one message), then answers each. */
static int local_idle(const char *ep, int count)
{
    more_fds(count);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    /* the routing ids' room is made resident first, so it is not counted */
    uint8_t(*ids)[256] = calloc((size_t)count, sizeof *ids);
    size_t *lens = calloc((size_t)count, sizeof *lens);
    if (!ids || !lens)
        return fail("malloc");
    memset(ids, 1, (size_t)count * sizeof *ids);
    memset(lens, 1, (size_t)count * sizeof *lens);
    /* a deep listen queue: with libzmq's 100 a burst of connects overflows it, and each
     * dropped SYN waits a second to come again */
    int backlog = count < 4096 ? count : 4096;
    zmq_setsockopt(s, ZMQ_BACKLOG, &backlog, sizeof backlog);
    double before = rss_bytes();
    if (bind_and_tell(s, ep) != 0)
        return 1;
    for (int i = 0; i < count; i++) {
        int n = zmq_recv(s, ids[i], sizeof ids[i], 0);
        char hello[8];
        if (n < 0 || zmq_recv(s, hello, sizeof hello, 0) < 0)
            return fail("zmq_recv");
        lens[i] = (size_t)n;
    }
    double after = rss_bytes();
    for (int i = 0; i < count; i++)
        if (zmq_send(s, ids[i], lens[i], ZMQ_SNDMORE) < 0 || zmq_send(s, "ok", 2, 0) < 0)
            return fail("zmq_send");
    print_idle(count, before, after);
    free(ids);
    free(lens);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

/* count DEALERs, each connected and sending a hello; the RSS they grew by is counted once
 * every one has its answer. */
static int remote_idle(const char *ep, int count)
{
    more_fds(count);
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, count + 16);
    void **d = calloc((size_t)count, sizeof *d);
    if (!d)
        return fail("malloc");
    memset(d, 1, (size_t)count * sizeof *d);
    double before = rss_bytes();
    for (int i = 0; i < count; i++) {
        d[i] = zmq_socket(ctx, ZMQ_DEALER);
        if (!d[i])
            return fail("zmq_socket");
        int zero = 0;
        zmq_setsockopt(d[i], ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_connect(d[i], ep) != 0 || zmq_send(d[i], "hello", 5, 0) != 5)
            return fail("zmq_connect");
    }
    for (int i = 0; i < count; i++) {
        char ok[8];
        if (zmq_recv(d[i], ok, sizeof ok, 0) < 0)
            return fail("zmq_recv");
    }
    print_idle(count, before, rss_bytes());
    for (int i = 0; i < count; i++)
        zmq_close(d[i]);
    free(d);
    zmq_ctx_term(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--curve") == 0)
            curve = 1;
        else if (strcmp(argv[i], "--pair") == 0)
            pair = 1;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    const char *prog = strrchr(argv[0], '/');
    prog = prog ? prog + 1 : argv[0];
    const char *cmd = prog;
    int a = 1;
    if (strstr(prog, "perf")) { /* zaio-perf <cmd> ... */
        if (argc < 2) {
            fprintf(stderr, "usage: %s local_thr|remote_thr|local_lat|remote_lat "
                            "<endpoint> <message-size> <count> [--curve] [--pair]\n"
                            "       %s inproc_thr|inproc_lat <message-size> <count>\n"
                            "       %s local_idle|remote_idle <endpoint> <connections>\n",
                    prog, prog, prog);
            return 1;
        }
        cmd = argv[1];
        a = 2;
    }
    if (strncmp(cmd, "inproc_", 7) == 0) {
        if (argc - a != 2 || atoi(argv[a + 1]) < 1) {
            fprintf(stderr, "usage: %s <message-size> <count>\n", cmd);
            return 1;
        }
        size_t size = (size_t)atol(argv[a]);
        int count = atoi(argv[a + 1]);
        if (strcmp(cmd, "inproc_thr") == 0)
            return inproc_thr(size, count);
        if (strcmp(cmd, "inproc_lat") == 0)
            return inproc_lat(size, count);
        fprintf(stderr, "unknown command %s\n", cmd);
        return 1;
    }
    if (strcmp(cmd, "local_idle") == 0 || strcmp(cmd, "remote_idle") == 0) {
        if (argc - a != 2 || atoi(argv[a + 1]) < 1) {
            fprintf(stderr, "usage: %s <endpoint> <connections>\n", cmd);
            return 1;
        }
        int n = atoi(argv[a + 1]);
        return cmd[0] == 'l' ? local_idle(argv[a], n) : remote_idle(argv[a], n);
    }
    if (argc - a != 3) {
        fprintf(stderr, "usage: %s <endpoint> <message-size> <count> [--curve]\n", cmd);
        return 1;
    }
    const char *ep = argv[a];
    size_t size = (size_t)atol(argv[a + 1]);
    int count = atoi(argv[a + 2]);
    if (count < 1) {
        fprintf(stderr, "count must be at least 1\n");
        return 1;
    }
    if (strcmp(cmd, "local_thr") == 0)
        return local_thr(ep, size, count);
    if (strcmp(cmd, "remote_thr") == 0)
        return remote_thr(ep, size, count);
    if (strcmp(cmd, "local_lat") == 0)
        return local_lat(ep, size, count);
    if (strcmp(cmd, "remote_lat") == 0)
        return remote_lat(ep, size, count);
    fprintf(stderr, "unknown command %s\n", cmd);
    return 1;
}
