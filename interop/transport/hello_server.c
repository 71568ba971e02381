/* The server of the hello tests, written for zmq.h and built against both libraries: a
 * REP bound at ENDPOINT (default tcp://127.0.0.1:*, a port the kernel picks). It prints
 * its endpoint on the first line, then answers "Hello N" with "World N", N times.
 * Usage: hello_server [N [ENDPOINT]] */
#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    void *ctx = zmq_ctx_new();
    void *rep = zmq_socket(ctx, ZMQ_REP);
    int timeout = 20000;
    zmq_setsockopt(rep, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_bind(rep, argc > 2 ? argv[2] : "tcp://127.0.0.1:*") != 0) {
        fprintf(stderr, "bind: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt(rep, ZMQ_LAST_ENDPOINT, ep, &len);
    printf("%s\n", ep);
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        char buf[32];
        int size = zmq_recv(rep, buf, sizeof buf - 1, 0);
        if (size < 0) {
            fprintf(stderr, "server recv %d: %s\n", i, zmq_strerror(zmq_errno()));
            return 1;
        }
        buf[size < (int)sizeof buf - 1 ? size : (int)sizeof buf - 1] = 0;
        int k = -1;
        if (sscanf(buf, "Hello %d", &k) != 1 || k != i) {
            fprintf(stderr, "server: unexpected '%s'\n", buf);
            return 1;
        }
        char reply[32];
        snprintf(reply, sizeof reply, "World %d", i);
        zmq_send(rep, reply, strlen(reply), 0);
    }
    zmq_close(rep);
    zmq_ctx_term(ctx);
    return 0;
}
