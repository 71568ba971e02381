/* A REQ "hello" client written for zmq.h, as any libzmq user would write it, built
 * unchanged against each library (zaio through include/compat/zmq.h) and run against a
 * REP server of the other in another process. Usage: hello_client ENDPOINT [N] */
#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT [N]\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 10;
    void *context = zmq_ctx_new();
    void *requester = zmq_socket(context, ZMQ_REQ);
    int timeout = 10000;
    zmq_setsockopt(requester, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(requester, argv[1]) != 0) {
        fprintf(stderr, "connect: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char request[32], reply[32];
        snprintf(request, sizeof request, "Hello %d", i);
        zmq_send(requester, request, strlen(request), 0);
        int size = zmq_recv(requester, reply, sizeof reply - 1, 0);
        if (size < 0) {
            fprintf(stderr, "recv %d: %s\n", i, zmq_strerror(zmq_errno()));
            return 1;
        }
        reply[size < (int)sizeof reply - 1 ? size : (int)sizeof reply - 1] = 0;
        char want[32];
        snprintf(want, sizeof want, "World %d", i);
        if (strcmp(reply, want) != 0) {
            fprintf(stderr, "reply %d: got '%s', want '%s'\n", i, reply, want);
            return 1;
        }
    }
    printf("hello client: %d replies\n", n);
    zmq_close(requester);
    zmq_ctx_destroy(context);
    return 0;
}
