/* REQ_CORRELATE and REQ_RELAXED across implementations: one zmq.h program, built
 * against zaio and against libzmq 4.3.4.
 *   req_correlate rep            binds a REP, prints its endpoint, echoes two requests
 *   req_correlate req ENDPOINT   a relaxed, correlating REQ sends q1 and at once q2; it
 *                                must get q2's reply, and q1's (echoed first) never
 * Exit 0 on success; a failing REQ says what it got. */
#include <zmq.h>

#include <stdio.h>
#include <string.h>

#ifdef ZAIO_H
#define LIB "zaio"
#else
#define LIB "libzmq"
#endif

static int set_int(void *s, int opt, int v) { return zmq_setsockopt(s, opt, &v, sizeof v); }

static int rep(void *ctx)
{
    void *s = zmq_socket(ctx, ZMQ_REP);
    char ep[256];
    size_t len = sizeof ep;
    if (!s || set_int(s, ZMQ_RCVTIMEO, 20000) || zmq_bind(s, "tcp://127.0.0.1:*") ||
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len)) {
        fprintf(stderr, "[%s REP] setup: %s\n", LIB, zmq_strerror(zmq_errno()));
        return 1;
    }
    printf("%s\n", ep);
    fflush(stdout);
    for (int i = 0; i < 2; i++) {
        char buf[16];
        int n = zmq_recv(s, buf, sizeof buf, 0);
        if (n < 0 || zmq_send(s, buf, (size_t)n, 0) != n) {
            fprintf(stderr, "[%s REP] request %d: %s\n", LIB, i + 1, zmq_strerror(zmq_errno()));
            return 1;
        }
    }
    zmq_close(s);
    return 0;
}

static int req(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_REQ);
    if (!s || set_int(s, ZMQ_REQ_CORRELATE, 1) || set_int(s, ZMQ_REQ_RELAXED, 1) ||
        set_int(s, ZMQ_RCVTIMEO, 20000) || set_int(s, ZMQ_LINGER, 0) || zmq_connect(s, ep) ||
        zmq_send(s, "q1", 2, 0) != 2 || zmq_send(s, "q2", 2, 0) != 2) {
        fprintf(stderr, "[%s REQ] setup and requests: %s\n", LIB, zmq_strerror(zmq_errno()));
        return 1;
    }
    char buf[16];
    int n = zmq_recv(s, buf, sizeof buf, 0);
    if (n != 2 || memcmp(buf, "q2", 2) != 0) {
        fprintf(stderr, "[%s REQ] got %d bytes '%.*s', want q2's reply\n", LIB, n,
                n > 0 ? n : 0, buf);
        return 1;
    }
    zmq_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "req") == 0 && argc < 3)) {
        fprintf(stderr, "usage: %s rep | req ENDPOINT\n", argv[0]);
        return 2;
    }
    void *ctx = zmq_ctx_new();
    int rc = strcmp(argv[1], "rep") == 0 ? rep(ctx) : req(ctx, argv[2]);
    zmq_ctx_term(ctx);
    return rc;
}
