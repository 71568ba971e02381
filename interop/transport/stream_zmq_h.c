/* A zmq.h program with a STREAM socket, linked against libzmq.so.5: run as it is it uses
 * libzmq 4.3.4; run through zaio-run it uses zaio's libzmq.so.5 (compat/), unchanged.
 * It plays a tiny HTTP server to a raw client of its own (notice, request, reply, the
 * close by an empty frame, EOF), then a STREAM client to a raw listener with
 * CONNECT_ROUTING_ID and STREAM_NOTIFY off. Argument: --expect-zaio or --expect-libzmq,
 * checked with zmq_has("zaio"), so the run proves which library it ran on. Prints
 * "stream_zmq_h: PASS" and exits 0, or says what failed and exits 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#ifndef ZMQ_STREAM_NOTIFY
#define ZMQ_STREAM_NOTIFY 73
#endif

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "stream_zmq_h: line %d: ", __LINE__);                         \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, " (errno: %s)\n", zmq_strerror(zmq_errno()));                  \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static int tcp_to(const char *ep)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_port = htons((uint16_t)atoi(strrchr(ep, ':') + 1));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect %s", ep);
    return fd;
}

/* [id][data] into id/data; returns the data's size. */
static int recv2(void *s, unsigned char *id, int *idn, char *data, size_t cap)
{
    *idn = zmq_recv(s, id, 256, 0);
    CHECK(*idn > 0, "recv id");
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
    CHECK(more, "the id frame has MORE");
    int n = zmq_recv(s, data, cap, 0);
    CHECK(n >= 0, "recv data");
    return n;
}

/* Reads up to EOF, calling into s meanwhile (libzmq closes a peer only then). */
static size_t read_to_eof(int fd, void *s, char *buf, size_t cap)
{
    size_t got = 0;
    for (int i = 0; i < 250; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) == 0) {
            int ev;
            size_t el = sizeof ev;
            zmq_getsockopt(s, ZMQ_EVENTS, &ev, &el);
            continue;
        }
        ssize_t k = recv(fd, buf + got, cap - got, 0);
        CHECK(k >= 0, "raw recv");
        if (k == 0)
            return got;
        got += (size_t)k;
    }
    CHECK(0, "no EOF came");
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: stream_zmq_h --expect-zaio|--expect-libzmq");
    int want_zaio = strcmp(argv[1], "--expect-zaio") == 0;
    CHECK(zmq_has("zaio") == want_zaio, "running on the wrong library");
    void *ctx = zmq_ctx_new();
    int t = 5000, z = 0;

    /* an HTTP-ish server */
    void *srv = zmq_socket(ctx, ZMQ_STREAM);
    CHECK(srv, "zmq_socket(ZMQ_STREAM)");
    zmq_setsockopt(srv, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt(srv, ZMQ_LINGER, &z, sizeof z);
    CHECK(zmq_bind(srv, "tcp://127.0.0.1:*") == 0, "bind");
    char ep[64];
    size_t len = sizeof ep;
    zmq_getsockopt(srv, ZMQ_LAST_ENDPOINT, ep, &len);
    int fd = tcp_to(ep);
    unsigned char id[256], id2[256];
    int idn, idn2;
    char buf[512];
    CHECK(recv2(srv, id, &idn, buf, sizeof buf) == 0, "the connect notice");
    CHECK(idn == 5 && id[0] == 0, "a 5-byte id from a zero byte (%d)", idn);
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    CHECK(send(fd, req, sizeof req - 1, 0) == (ssize_t)sizeof req - 1, "raw send");
    int n = recv2(srv, id2, &idn2, buf, sizeof buf);
    CHECK(n == (int)sizeof req - 1 && memcmp(buf, req, (size_t)n) == 0, "the request");
    CHECK(idn2 == idn && memcmp(id, id2, (size_t)idn) == 0, "the same peer");
    const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    CHECK(zmq_send(srv, id, (size_t)idn, ZMQ_SNDMORE) == idn, "send id");
    CHECK(zmq_send(srv, resp, sizeof resp - 1, 0) == (int)sizeof resp - 1, "send reply");
    size_t got = 0;
    while (got < sizeof resp - 1) { /* read before the close: libzmq drops what is queued */
        ssize_t k = recv(fd, buf + got, sizeof buf - got, 0);
        CHECK(k > 0, "raw recv of the reply");
        got += (size_t)k;
    }
    CHECK(got == sizeof resp - 1 && memcmp(buf, resp, got) == 0, "the reply, nothing around it");
    CHECK(zmq_send(srv, id, (size_t)idn, ZMQ_SNDMORE) == idn, "send id");
    CHECK(zmq_send(srv, "", 0, 0) == 0, "send the close");
    CHECK(read_to_eof(fd, srv, buf, sizeof buf) == 0, "EOF after the close");
    close(fd);
    CHECK(zmq_send(srv, id, (size_t)idn, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1 &&
              zmq_errno() == EHOSTUNREACH,
          "the closed peer is unreachable");

    /* a client to a raw listener, named, no notices */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0 &&
              getsockname(l, (struct sockaddr *)&a, &al) == 0,
          "raw listener");
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    void *cli = zmq_socket(ctx, ZMQ_STREAM);
    zmq_setsockopt(cli, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt(cli, ZMQ_LINGER, &z, sizeof z);
    CHECK(zmq_setsockopt(cli, ZMQ_STREAM_NOTIFY, &z, sizeof z) == 0, "STREAM_NOTIFY 0");
    CHECK(zmq_setsockopt(cli, ZMQ_CONNECT_ROUTING_ID, "web", 3) == 0, "CONNECT_ROUTING_ID");
    CHECK(zmq_connect(cli, ep) == 0, "connect");
    int c = accept(l, NULL, NULL);
    CHECK(c >= 0, "accept");
    CHECK(send(c, "yo", 2, 0) == 2, "raw send");
    n = recv2(cli, id, &idn, buf, sizeof buf); /* no notice first: the data */
    CHECK(idn == 3 && memcmp(id, "web", 3) == 0 && n == 2 && memcmp(buf, "yo", 2) == 0,
          "[web][yo]");
    CHECK(zmq_send(cli, "web", 3, ZMQ_SNDMORE) == 3, "send to the named peer");
    CHECK(zmq_send(cli, "hi", 2, 0) == 2, "send data");
    char two[2];
    CHECK(recv(c, two, 2, MSG_WAITALL) == 2 && memcmp(two, "hi", 2) == 0, "the bytes alone");
    close(c);
    close(l);
    zmq_close(cli);
    zmq_close(srv);
    zmq_ctx_term(ctx);
    printf("stream_zmq_h: PASS\n");
    return 0;
}
