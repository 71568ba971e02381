/* soak_dealer.c - the real traffic of the probe soak (run_soak.sh): a native libzmq
 * DEALER doing round trips with soak_server (zaio under wine) for as long as the probes
 * run. One-frame and three-frame messages alternate; each echo must come back whole
 * and in order. The end of standard input says stop: it then sends "STOP", waits for
 * its echo and prints how many round trips it made. A line "sample N" on standard input
 * sends "SAMPLE N" (N probes so far), for which the server also prints a sample.
 * Usage: soak_dealer ENDPOINT < control */
#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLY_LIMIT_MS 10000

static int fail(const char *what)
{
    fprintf(stderr, "soak_dealer: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 1;
}

/* Sends the n frames and checks they come back the same. 0 or 1. */
static int round_trip(void *d, const char *const *frames, int n)
{
    for (int i = 0; i < n; i++)
        if (zmq_send(d, frames[i], strlen(frames[i]), i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
            return fail("send");
    for (int i = 0; i < n; i++) {
        char got[64];
        int len = zmq_recv(d, got, sizeof got, 0);
        if (len < 0)
            return fail("recv");
        int more;
        size_t ml = sizeof more;
        zmq_getsockopt(d, ZMQ_RCVMORE, &more, &ml);
        if ((size_t)len != strlen(frames[i]) || memcmp(got, frames[i], (size_t)len) != 0 ||
            more != (i + 1 < n)) {
            fprintf(stderr, "soak_dealer: frame %d of '%s' came back as '%.*s' (more %d)\n", i,
                    frames[0], len < 64 ? len : 64, got, more);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: soak_dealer ENDPOINT < control\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int v = REPLY_LIMIT_MS;
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &v, sizeof v);
    zmq_setsockopt(d, ZMQ_SNDTIMEO, &v, sizeof v);
    if (zmq_connect(d, argv[1]) != 0)
        return fail("connect");
    long n = 0;
    for (;;) {
        /* the wait on stdin also paces the traffic: the probes are the load here */
        zmq_pollitem_t ctl = {NULL, STDIN_FILENO, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&ctl, 1, 2);
        if (rc < 0)
            return fail("poll");
        if (rc > 0) {
            /* the driver writes each line whole (far below PIPE_BUF), so a read ends on a
             * line's end; it may hold several */
            char b[512];
            ssize_t got = read(STDIN_FILENO, b, sizeof b - 1);
            if (got <= 0)
                break;
            b[got] = '\0';
            for (char *line = strtok(b, "\n"); line; line = strtok(NULL, "\n")) {
                char *end;
                if (strncmp(line, "sample ", 7) != 0)
                    continue;
                unsigned long long probes = strtoull(line + 7, &end, 10);
                char body[40];
                snprintf(body, sizeof body, "SAMPLE %llu", probes);
                const char *sample[] = {body};
                if (end == line + 7) {
                    fprintf(stderr, "soak_dealer: bad control line '%s'\n", line);
                    return 1;
                }
                if (round_trip(d, sample, 1))
                    return 1;
            }
        }
        char body[32];
        snprintf(body, sizeof body, "round trip %ld", n);
        const char *one[] = {body};
        const char *three[] = {"head", body, ""};
        if (n % 2 ? round_trip(d, three, 3) : round_trip(d, one, 1))
            return 1;
        n++;
    }
    const char *stop[] = {"STOP"};
    if (round_trip(d, stop, 1))
        return 1;
    printf("soak_dealer: %ld round trips\n", n);
    zmq_close(d);
    zmq_ctx_term(ctx);
    return 0;
}
