/* zaio-soak-libzmq: the libzmq 4.3.4 side of `zaio-soak --compare`. A ROUTER of the
 * system's libzmq, in a process of its own (zaio never links libzmq), bound on loopback
 * with the soak server's handshake timeout and backlog, echoing whatever it receives.
 * It prints "endpoint <ep>" on stdout once bound, then serves until its stdin closes
 * (the soak's end of the pipe: when the soak goes, so does the server) or SIGTERM.
 *
 * Usage: zaio-soak-libzmq [bind-endpoint [handshake-ivl-ms [backlog]]] */
#include <zmq.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *bind = argc > 1 ? argv[1] : "tcp://127.0.0.1:*";
    int hsk = argc > 2 ? atoi(argv[2]) : 2000;
    int backlog = argc > 3 ? atoi(argv[3]) : 4096;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    void *ctx = zmq_ctx_new();
    void *s = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    int zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &hsk, sizeof hsk) != 0 ||
        zmq_setsockopt(s, ZMQ_BACKLOG, &backlog, sizeof backlog) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 || zmq_bind(s, bind) != 0) {
        fprintf(stderr, "zaio-soak-libzmq: %s\n", zmq_strerror(zmq_errno()));
        return 2;
    }
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len);
    printf("endpoint %s\n", ep);
    fflush(stdout);

    zmq_pollitem_t items[2] = {{s, 0, ZMQ_POLLIN, 0}, {NULL, 0, ZMQ_POLLIN, 0}};
    while (!stop) {
        if (zmq_poll(items, 2, 1000) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;
        }
        if (items[1].revents) { /* the soak closed our stdin: it is done with us */
            char b[64];
            if (read(0, b, sizeof b) <= 0)
                break;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) >= 0) {
                int more = zmq_msg_more(&m);
                zmq_msg_send(&m, s, more ? ZMQ_SNDMORE : 0);
                zmq_msg_init(&m);
            }
            zmq_msg_close(&m);
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
