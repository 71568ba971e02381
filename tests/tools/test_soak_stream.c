/* The STREAM soak's server side (tools/soak/stream.c) against raw TCP clients: a record
 * fed byte by byte is echoed whole, every kind of probe is closed and counted as what
 * it is, and a bad record on the peer's connection is a fault the verdict names. The
 * soak's figures rest on these counts, so they are checked exactly here. */
#include "stream.h"

#include <zaio.h>

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY 16

static void *ctx, *srv;
static soak_traffic t;
static int port;

static void start(int idle_ms)
{
    ctx = zaio_ctx_new();
    srv = zaio_socket(ctx, ZAIO_STREAM);
    cr_assert(srv);
    cr_assert_eq(zaio_setsockopt(srv, ZAIO_HANDSHAKE_IVL, &idle_ms, sizeof idle_ms), 0);
    cr_assert_eq(soak_traffic_init(&t, srv, ZAIO_STREAM, 1, BODY, 0, 100), 0);
    cr_assert(t.echoes && !t.sends && !t.subscribed);
    cr_assert_eq(zaio_bind(srv, "tcp://127.0.0.1:*"), 0);
    char ep[64];
    size_t len = sizeof ep;
    cr_assert_eq(zaio_getsockopt(srv, ZAIO_LAST_ENDPOINT, ep, &len), 0);
    port = atoi(strrchr(ep, ':') + 1);
}

static void teardown(void)
{
    int zero = 0;
    zaio_setsockopt(srv, ZAIO_LINGER, &zero, sizeof zero);
    soak_traffic_fini(&t);
    zaio_close(srv);
    cr_assert_eq(zaio_ctx_term(ctx), 0);
    zaio_stats_t st;
    cr_assert_eq(zaio_stats(NULL, &st), 0);
    cr_assert(st.sockets == 0 && st.ops_in_flight == 0 && st.bufs == 0,
              "live: sockets %lld ops %lld bufs %lld", (long long)st.sockets,
              (long long)st.ops_in_flight, (long long)st.bufs);
}

TestSuite(soak_stream, .fini = teardown, .timeout = 20);

/* One turn of the soak server's loop. */
static void turn(void)
{
    uint64_t now = soak_now_ns();
    long wait = soak_traffic_timeout_ms(&t, now);
    zaio_pollitem_t it = {srv, 0, soak_traffic_events(&t, now), 0};
    cr_assert(zaio_poll(&it, 1, wait < 0 || wait > 10 ? 10 : wait) >= 0);
    cr_assert_eq(soak_traffic_io(&t, soak_now_ns()), 0, "io: %s", zaio_strerror(t.last_errno));
}

static soak_stream_stats stats(void)
{
    soak_stream_stats st;
    cr_assert_eq(soak_stream_stats_get(&t, &st), 0);
    return st;
}

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s", strerror(errno));
    return fd;
}

static void raw_send(int fd, const void *p, size_t n)
{
    cr_assert_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n, "send: %s", strerror(errno));
}

/* Turns the server until fd has given want bytes (want 0: until the server closes it).
 * Returns the bytes read. */
static size_t raw_read(int fd, unsigned char *buf, size_t want, size_t cap)
{
    size_t got = 0;
    uint64_t end = soak_now_ns() + 5000000000ull;
    for (;;) {
        turn();
        ssize_t n = recv(fd, buf + got, cap - got, MSG_DONTWAIT);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            cr_assert(!want, "closed after %zu of %zu bytes", got, want);
            return got;
        }
        if (want && got >= want)
            return got;
        cr_assert(soak_now_ns() < end, "%zu bytes and no close within 5 s", got);
    }
}

static size_t record(unsigned char *p, uint32_t body, uint64_t seq)
{
    memcpy(p, "ZSK1", 4);
    for (int i = 0; i < 4; i++)
        p[4 + i] = (unsigned char)(body >> (24 - 8 * i));
    if (body) {
        for (int i = 0; i < 8; i++)
            p[8 + i] = (unsigned char)(seq >> (56 - 8 * i));
        memset(p + 16, (unsigned char)seq, body - 8);
    }
    return 8 + body;
}

Test(soak_stream, records_fed_byte_by_byte_come_back_whole)
{
    start(5000);
    int fd = raw_connect();
    unsigned char out[256], in[256];
    size_t n = record(out, 0, 0); /* the hello: echoed too, and not counted */
    size_t first = n;
    n += record(out + n, BODY, 0);
    n += record(out + n, BODY, 1);
    n += record(out + n, BODY, 2);
    for (size_t i = 0; i < first + 8 + BODY; i++) {
        raw_send(fd, out + i, 1);
        turn();
    }
    raw_send(fd, out + first + 8 + BODY, n - first - 8 - BODY); /* two in one chunk */
    cr_assert_eq(raw_read(fd, in, n, sizeof in), n);
    cr_assert(memcmp(in, out, n) == 0, "the echo differs from the hello and the records");
    cr_assert_eq(t.echoed, 3);
    cr_assert(t.subscribed, "the hello makes it the peer's connection");
    soak_stream_stats st = stats();
    cr_assert(st.conns == 1 && st.peers == 1 && st.open == 1 && st.open_peers == 1);
    char line[512], why[320];
    soak_stream_verdict(&t, line, sizeof line, why, sizeof why);
    cr_assert_str_empty(why, "%s", why);
    close(fd);
}

Test(soak_stream, every_probe_is_closed_and_counted_as_what_it_sent)
{
    start(200);
    uint64_t t0 = soak_now_ns(); /* before the silent one arrives */
    int http = raw_connect(), zmtp = raw_connect(), other = raw_connect();
    int silent = raw_connect(), quiet = raw_connect();
    raw_send(http, "GET / HTTP/1.1\r\n", 16);
    raw_send(zmtp, "\xff\0\0\0\0\0\0\0\0\x7f", 10);
    raw_send(other, "\x01\x02", 2);
    raw_send(silent, "ZSK", 3); /* a record's start, never finished: the idle limit */
    close(quiet);               /* leaves before a byte, as rst and fin probes do */
    unsigned char buf[64];
    cr_assert_eq(raw_read(http, buf, 0, sizeof buf), 0);
    cr_assert_eq(raw_read(zmtp, buf, 0, sizeof buf), 0);
    cr_assert_eq(raw_read(other, buf, 0, sizeof buf), 0);
    cr_assert_eq(raw_read(silent, buf, 0, sizeof buf), 0);
    cr_assert(soak_now_ns() - t0 >= 200000000u, "closed before the idle limit");
    uint64_t end = soak_now_ns() + 5000000000ull;
    soak_stream_stats st = stats();
    while (!(st.conns == 5 && st.gone_quiet == 1) && soak_now_ns() < end) {
        turn();
        st = stats();
    }
    cr_assert(st.conns == 5 && st.bad_text == 1 && st.bad_zmtp == 1 && st.bad_other == 1 &&
                  st.idle == 1 && st.gone_quiet == 1 && st.open == 0 && st.peers == 0,
              "conns %llu text %llu zmtp %llu other %llu idle %llu quiet %llu open %llu",
              (unsigned long long)st.conns, (unsigned long long)st.bad_text,
              (unsigned long long)st.bad_zmtp, (unsigned long long)st.bad_other,
              (unsigned long long)st.idle, (unsigned long long)st.gone_quiet,
              (unsigned long long)st.open);
    cr_assert_eq(st.probe_bytes, 16 + 10 + 2 + 3);
    char line[512], why[320];
    soak_stream_verdict(&t, line, sizeof line, why, sizeof why);
    cr_assert(strstr(why, "0 of them the peer's") && !strstr(why, "do not add up"), "%s", why);
    close(http);
    close(zmtp);
    close(other);
    close(silent);
}

Test(soak_stream, a_bad_record_on_the_peers_connection_is_a_fault)
{
    start(5000);
    int fd = raw_connect();
    unsigned char out[64], buf[64];
    size_t n = record(out, 0, 0);
    n += record(out + n, BODY + 1, 0); /* a length this run does not use */
    raw_send(fd, out, n);
    cr_assert_eq(raw_read(fd, buf, 0, sizeof buf), 8); /* the hello's echo, then the close */
    soak_stream_stats st = stats();
    cr_assert(st.peers == 1 && st.fault == 1 && st.open == 0);
    char line[512], why[320];
    soak_stream_verdict(&t, line, sizeof line, why, sizeof why);
    cr_assert(strstr(why, "1 closed for a bad record"), "%s", why);
    close(fd);
}
