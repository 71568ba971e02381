/* zaio-soak-peer: the libzmq side of zaio-soak's traffic, a process of its own linked
 * with libzmq 4.3.4, as a real client of a zaio server would be.
 *
 *   zaio-soak-peer <endpoint> <server-type> <size> <rate> <window> <heartbeat-ms>
 *
 * It connects a socket of the type that pairs with the server's (traffic.h) and talks
 * to zaio-soak over its stdin and stdout, one line each:
 *   out "ready"                       set up and connecting (an XPUB: the subscription
 *                                     is in); zaio-soak sees the connection itself
 *   in  "go"                          start sending (when this side sends)
 *   out "p sent=N received=N echoed=N" every half second
 *   in  "stop N"                      stop sending; N is what the server sent. Drain
 *                                     what is still due (10 s at most), then
 *   out "done sent=.. received=.. echoed=.. missing=.. reordered=.. corrupt=..
 *             skipped=.. errors=.. errno=.. gaps=.." (one line)
 * then wait for the end of input and exit. End of input without "stop" ends it the
 * same way, with N = 0. */
#include "traffic.h"

#include <zmq.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEER_DRAIN_NS (10ull * 1000000000u)
#define PEER_PROGRESS_NS (500ull * 1000000u)

static int peer_fail(const char *what)
{
    fprintf(stderr, "zaio-soak-peer: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 1;
}

/* The next command in what stdin sent: 1 "go", 2 "stop N", 0 nothing (yet). */
static int peer_next_cmd(char *line, size_t *len, uint64_t *stop_n)
{
    char *nl = memchr(line, '\n', *len);
    if (!nl)
        return 0;
    *nl = '\0';
    int cmd = 0;
    unsigned long long v = 0;
    if (strcmp(line, "go") == 0) {
        cmd = 1;
    } else if (sscanf(line, "stop %llu", &v) == 1) {
        *stop_n = v;
        cmd = 2;
    }
    size_t rest = *len - (size_t)(nl + 1 - line);
    memmove(line, nl + 1, rest);
    *len = rest;
    return cmd ? cmd : -1; /* -1: a line we do not know, skipped */
}

/* Everything due has arrived: what this side sent came back, or what the server sent. */
static int peer_drained(const soak_traffic *t, uint64_t stop_n)
{
    if (t->checks && t->sends) /* the last one back (earlier ones may be lost to a fault) */
        return t->received >= t->sent || t->expected >= t->sent;
    if (t->checks)
        return t->expected >= stop_n;
    return !(soak_traffic_events(t, soak_now_ns()) & ZMQ_POLLOUT);
}

/* zaio-soak --curve: the server's public key in the environment makes this a CURVE
 * client with a key pair of its own. */
static int peer_curve(void *s)
{
    const char *server = getenv("ZAIO_SOAK_CURVE_SERVERKEY");
    char pub[41], sec[41];
    if (!server)
        return 0;
    if (zmq_curve_keypair(pub, sec) < 0 || zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 40) < 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) < 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: zaio-soak-peer <endpoint> <server-type> <size> <rate> <window> "
                        "<heartbeat-ms>\n(started by zaio-soak; see its --help)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int server_type = soak_parse_type(argv[2]);
    int type = soak_peer_type(server_type, NULL);
    if (type < 0) {
        fprintf(stderr, "zaio-soak-peer: no pairing for server type %s\n", argv[2]);
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = ctx ? zmq_socket(ctx, type) : NULL;
    if (!s)
        return peer_fail("socket");
    int linger = 5000, hb = atoi(argv[6]);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (hb > 0) {
        int ttl = hb * 10, timeout = hb * 3;
        if (zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb) < 0 ||
            zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl) < 0 ||
            zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout) < 0)
            return peer_fail("heartbeat options");
    }
    if (peer_curve(s) < 0)
        return peer_fail("CURVE options");
    soak_traffic t;
    if (soak_traffic_init(&t, s, server_type, 0, strtoull(argv[3], NULL, 10),
                          strtod(argv[4], NULL), strtoull(argv[5], NULL, 10)) < 0)
        return peer_fail("traffic setup");
    /* a window that a cut connection swallowed whole (zaio-soak --faults) is written
     * off after a few heartbeat timeouts, not waited for until the end of the run */
    t.stall_ns = hb > 0 ? (uint64_t)hb * 2 * 1000000u : 0;
    if (zmq_connect(s, argv[1]) < 0)
        return peer_fail("connect");

    char line[256];
    size_t len = 0;
    int ready = 0, stopping = 0, in_open = 1;
    uint64_t stop_n = 0, deadline = 0, next_progress = soak_now_ns() + PEER_PROGRESS_NS;
    for (;;) {
        uint64_t now = soak_now_ns();
        if (!ready && t.subscribed) {
            puts("ready");
            ready = 1;
        }
        if (stopping && (peer_drained(&t, stop_n) || now >= deadline))
            break;
        if (now >= next_progress) {
            printf("p sent=%" PRIu64 " received=%" PRIu64 " echoed=%" PRIu64 "\n", t.sent,
                   t.received, t.echoed);
            next_progress = now + PEER_PROGRESS_NS;
        }
        long wait = (long)((next_progress - now) / 1000000u) + 1;
        long tw = soak_traffic_timeout_ms(&t, now);
        if (tw >= 0 && tw < wait)
            wait = tw;
        if (stopping && wait > 50)
            wait = 50; /* the drain's deadline is checked at the top */
        zmq_pollitem_t items[2] = {{s, 0, soak_traffic_events(&t, now), 0},
                                   {NULL, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, stopping ? 1 : 2, wait) < 0 && zmq_errno() != EINTR)
            return peer_fail("poll");
        if (soak_traffic_io(&t, soak_now_ns()) < 0)
            break; /* counted in errors, reported below */
        if (!stopping && items[1].revents) {
            ssize_t n = read(0, line + len, sizeof line - len);
            if (n > 0)
                len += (size_t)n;
            int cmd;
            while ((cmd = peer_next_cmd(line, &len, &stop_n)) != 0) {
                if (cmd == 1)
                    soak_traffic_start(&t, soak_now_ns());
                if (cmd == 2)
                    break;
            }
            if (n <= 0 || cmd == 2 || len == sizeof line) {
                in_open = n > 0; /* stop, or the end of input (or nonsense): stop with N = 0 */
                stopping = 1;
                t.stopping = 1;
                deadline = soak_now_ns() + PEER_DRAIN_NS;
            }
        }
    }
    uint64_t missing = !t.checks ? 0 : soak_traffic_missing(&t, t.sends ? t.sent : stop_n);
    printf("done sent=%" PRIu64 " received=%" PRIu64 " echoed=%" PRIu64 " missing=%" PRIu64
           " reordered=%" PRIu64 " corrupt=%" PRIu64 " skipped=%" PRIu64 " errors=%" PRIu64
           " errno=%d gaps=%" PRIu64 "\n",
           t.sent, t.received, t.echoed, missing, t.reordered, t.corrupt, t.skipped, t.errors,
           t.last_errno, t.gaps);
    /* stay connected until zaio-soak closes our input: it checks that its live records
     * settle back to the idle level with this connection still up */
    char sink[64];
    while (in_open && read(0, sink, sizeof sink) > 0)
        ;
    soak_traffic_fini(&t);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
