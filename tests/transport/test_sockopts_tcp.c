/* The TCP options, seen where they act: TCP_ACCEPT_FILTER (a connection from an address
 * no filter matches is closed at once), TOS and TCP_MAXRT read back from the sockets
 * themselves (their descriptors come with the monitor's events), BINDTODEVICE on the
 * listening socket and on connects, and METADATA reaching the peer's zaio_msg_gets.
 * Each was measured against libzmq 4.3.4 first. */
#include "tcp_helpers.h"
#include "test_pattern_util.h" /* pt_socket: with a receive timeout, a safety net */

#include <net/if.h>
#include <netinet/ip.h>

/* A raw connection from src (127.0.0.x) to ep. */
static int raw_connect_from(const char *src, const char *ep)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    zt_assert(fd >= 0, "socket");
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &a.sin_addr);
    zt_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind %s: %s", src, strerror(errno));
    struct sockaddr_in to = {.sin_family = AF_INET};
    const char *colon = strrchr(ep, ':');
    to.sin_port = htons((uint16_t)atoi(colon + 1));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    zt_assert(connect(fd, (struct sockaddr *)&to, sizeof to) == 0, "connect: %s", strerror(errno));
    return fd;
}

/* Whether the listener at ep closes a connection from src at once, saying nothing, or
 * greets it: its first recv tells, either way without waiting for a timeout. */
static bool closed_at_once(const char *src, const char *ep)
{
    int fd = raw_connect_from(src, ep);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    zt_assert(poll(&p, 1, 5000) == 1, "%s: neither closed nor greeted", src);
    uint8_t buf[64];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    close(fd);
    zt_assert(n == 0 || n > 0 || errno == ECONNRESET, "%s: %s", src, strerror(errno));
    return n <= 0;
}

ZT_TEST(accept_filter, another_address_is_closed_at_once, 15)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL);
    const char *f = "127.0.0.1";
    zt_assert(zaio_setsockopt(pull, ZAIO_TCP_ACCEPT_FILTER, f, strlen(f)) == 0, "filter");
    void *mon = th_monitor(ctx, pull, "inproc://mon-filter", ZAIO_EVENT_ACCEPT_FAILED);
    char ep[64];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    zt_assert(closed_at_once("127.0.0.2", ep), "127.0.0.2 let in");
    uint32_t err = 0;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_ACCEPT_FAILED, 5000, &err) && err == ECONNREFUSED,
              "ACCEPT_FAILED %u", err);
    zt_assert(!closed_at_once("127.0.0.1", ep), "127.0.0.1 refused");
    /* and a zaio peer from the wrong address gets nothing through */
    void *bad = pt_socket(ctx, ZAIO_PUSH), *good = pt_socket(ctx, ZAIO_PUSH);
    char from[128];
    snprintf(from, sizeof from, "tcp://127.0.0.2:0;%s", ep + 6);
    th_connect(bad, from);
    th_send_str(bad, "bad", 0);
    th_connect(good, ep);
    th_send_str(good, "good", 0);
    th_recv_str(pull, "good");
    zt_assert(th_wait_event(mon, ZAIO_EVENT_ACCEPT_FAILED, 5000, &err), "the bad peer refused");
    char buf[8];
    zt_assert(zaio_recv(pull, buf, sizeof buf, ZAIO_DONTWAIT) == -1, "the bad peer got in");
    zaio_close(bad);
    zaio_close(good);
    zaio_close(mon);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(accept_filter, masks_clearing_and_the_bind_it_was_set_for, 15)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_PULL), *b = pt_socket(ctx, ZAIO_PULL);
    void *c = pt_socket(ctx, ZAIO_PULL);
    char ep_a[64], ep_b[64], ep_c[64];
    /* a /8 takes all of 127.x; several filters: any one will do */
    zt_assert(zaio_setsockopt(a, ZAIO_TCP_ACCEPT_FILTER, "10.0.0.1", 8) == 0, "10.0.0.1");
    zt_assert(zaio_setsockopt(a, ZAIO_TCP_ACCEPT_FILTER, "127.0.0.0/8", 11) == 0, "/8");
    th_bind(a, "tcp://127.0.0.1:*", ep_a, sizeof ep_a);
    zt_assert(!closed_at_once("127.0.0.2", ep_a), "/8 refused 127.0.0.2");
    /* (NULL, 0) clears them */
    zt_assert(zaio_setsockopt(b, ZAIO_TCP_ACCEPT_FILTER, "10.0.0.1", 8) == 0, "10.0.0.1");
    zt_assert(zaio_setsockopt(b, ZAIO_TCP_ACCEPT_FILTER, NULL, 0) == 0, "cleared");
    th_bind(b, "tcp://127.0.0.1:*", ep_b, sizeof ep_b);
    zt_assert(!closed_at_once("127.0.0.2", ep_b), "cleared, yet refused");
    /* a listener keeps the filters it was bound with, as libzmq's */
    th_bind(c, "tcp://127.0.0.1:*", ep_c, sizeof ep_c);
    zt_assert(zaio_setsockopt(c, ZAIO_TCP_ACCEPT_FILTER, "10.0.0.1", 8) == 0, "10.0.0.1");
    zt_assert(!closed_at_once("127.0.0.2", ep_c), "a filter set after the bind");
    zaio_close(a);
    zaio_close(b);
    zaio_close(c);
    th_term(ctx);
}

static int fd_int(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    zt_assert(getsockopt(fd, level, name, &v, &len) == 0, "getsockopt: %s", strerror(errno));
    return v;
}

ZT_TEST(tcp_options, tos_and_maxrt_on_every_socket, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL), *push = pt_socket(ctx, ZAIO_PUSH);
    th_set_int(pull, ZAIO_TOS, 0x28);
    th_set_int(push, ZAIO_TOS, 0x48);
    th_set_int(pull, ZAIO_TCP_MAXRT, 3000);
    th_set_int(push, ZAIO_TCP_MAXRT, 4000);
    int ev = ZAIO_EVENT_LISTENING | ZAIO_EVENT_ACCEPTED | ZAIO_EVENT_CONNECTED |
             ZAIO_EVENT_HANDSHAKE_SUCCEEDED;
    void *mpull = th_monitor(ctx, pull, "inproc://mon-pull", ev);
    void *mpush = th_monitor(ctx, push, "inproc://mon-push", ev);
    char ep[64];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(push, ep);
    uint32_t lfd, afd, cfd;
    zt_assert(th_wait_event(mpull, ZAIO_EVENT_LISTENING, 5000, &lfd), "listening");
    zt_assert(th_wait_event(mpull, ZAIO_EVENT_ACCEPTED, 5000, &afd), "accepted");
    zt_assert(th_wait_event(mpush, ZAIO_EVENT_CONNECTED, 5000, &cfd), "connected");
    /* after the handshake the options were set long since; the sockets are still open */
    zt_assert(th_wait_event(mpull, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 5000, NULL), "handshake");
    zt_assert(th_wait_event(mpush, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 5000, NULL), "handshake");
    zt_assert(fd_int((int)lfd, IPPROTO_IP, IP_TOS) == 0x28, "listener tos");
    zt_assert(fd_int((int)afd, IPPROTO_IP, IP_TOS) == 0x28, "accepted tos");
    zt_assert(fd_int((int)cfd, IPPROTO_IP, IP_TOS) == 0x48, "connected tos");
    zt_assert(fd_int((int)afd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 3000, "accepted maxrt");
    zt_assert(fd_int((int)cfd, IPPROTO_TCP, TCP_USER_TIMEOUT) == 4000, "connected maxrt");
    th_send_str(push, "x", 0);
    th_recv_str(pull, "x");
    zaio_close(mpull);
    zaio_close(mpush);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp_options, bindtodevice_on_the_listener_and_each_connect, 10)
{
    void *ctx = zaio_ctx_new();
    void *pull = pt_socket(ctx, ZAIO_PULL), *nodev = pt_socket(ctx, ZAIO_PULL);
    zt_assert(zaio_setsockopt(nodev, ZAIO_BINDTODEVICE, "nosuchdev0", 10) == 0, "set");
    zt_assert(zaio_bind(nodev, "tcp://127.0.0.1:*") == -1 && zaio_errno() == ENODEV, "bind: %s",
              zaio_strerror(zaio_errno()));
    zt_assert(zaio_setsockopt(pull, ZAIO_BINDTODEVICE, "lo", 2) == 0, "lo");
    void *mon = th_monitor(ctx, pull, "inproc://mon-dev", ZAIO_EVENT_LISTENING);
    char ep[64];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    uint32_t lfd;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_LISTENING, 5000, &lfd), "listening");
    char dev[IFNAMSIZ] = "";
    socklen_t len = sizeof dev;
    zt_assert(getsockopt((int)lfd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) == 0 &&
                  strcmp(dev, "lo") == 0,
              "device '%s'", dev);
    /* a connect whose device does not exist: each attempt fails, and it retries */
    void *push = pt_socket(ctx, ZAIO_PUSH), *good = pt_socket(ctx, ZAIO_PUSH);
    zt_assert(zaio_setsockopt(push, ZAIO_BINDTODEVICE, "nosuchdev0", 10) == 0, "set");
    void *mpush = th_monitor(ctx, push, "inproc://mon-dev-push",
                             ZAIO_EVENT_CONNECT_RETRIED | ZAIO_EVENT_CONNECTED);
    th_connect(push, ep);
    th_send_str(push, "never", ZAIO_DONTWAIT);
    zt_assert(th_event(mpush, 5000, NULL) == ZAIO_EVENT_CONNECT_RETRIED, "retried first");
    zt_assert(zaio_setsockopt(good, ZAIO_BINDTODEVICE, "lo", 2) == 0, "lo");
    th_connect(good, ep);
    th_send_str(good, "via lo", 0);
    th_recv_str(pull, "via lo");
    zaio_close(mpush);
    zaio_close(mon);
    zaio_close(push);
    zaio_close(good);
    zaio_close(nodev);
    zaio_close(pull);
    th_term(ctx);
}

static void md_is(zaio_msg_t *m, const char *name, const char *want)
{
    const char *v = zaio_msg_gets(m, name);
    zt_assert(want ? v && strcmp(v, want) == 0 : v == NULL, "%s is '%s', want '%s'", name,
              v ? v : "(none)", want ? want : "(none)");
}

ZT_TEST(metadata, reaches_the_peer_both_ways, 10)
{
    void *ctx = zaio_ctx_new();
    void *r = pt_socket(ctx, ZAIO_ROUTER), *d = pt_socket(ctx, ZAIO_DEALER);
    const char *mine[] = {"X-foo:bar", "X-foo:baz", "X-two:2:3"};
    for (int i = 0; i < 3; i++)
        zt_assert(zaio_setsockopt(d, ZAIO_METADATA, mine[i], strlen(mine[i])) == 0, "md");
    zt_assert(zaio_setsockopt(r, ZAIO_METADATA, "X-server:yes", 12) == 0, "md");
    char ep[64];
    th_bind(r, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(d, ep);
    th_send_str(d, "hi", 0);
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, r, 0) >= 0, "id");
    md_is(&m, "X-foo", "bar"); /* the first value of a name stays, as in libzmq */
    md_is(&m, "X-two", "2:3");
    md_is(&m, "Socket-Type", "DEALER");
    md_is(&m, "X-server", NULL);
    uint8_t id[16];
    size_t idn = zaio_msg_size(&m);
    memcpy(id, zaio_msg_data(&m), idn);
    zt_assert(zaio_msg_recv(&m, r, 0) >= 0, "body");
    th_send(r, id, idn, ZAIO_SNDMORE);
    th_send_str(r, "back", 0);
    zt_assert(zaio_msg_recv(&m, d, 0) == 4, "back");
    md_is(&m, "X-server", "yes");
    md_is(&m, "X-foo", NULL);
    zaio_msg_close(&m);
    /* inproc has no handshake to carry it, as in libzmq */
    void *pull = pt_socket(ctx, ZAIO_PULL), *push = pt_socket(ctx, ZAIO_PUSH);
    zt_assert(zaio_setsockopt(push, ZAIO_METADATA, "X-foo:bar", 9) == 0, "md");
    th_bind(pull, "inproc://md", (char[64]){0}, 64);
    th_connect(push, "inproc://md");
    th_send_str(push, "x", 0);
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, pull, 0) == 1, "inproc");
    md_is(&m, "X-foo", NULL);
    zaio_msg_close(&m);
    zaio_close(pull);
    zaio_close(push);
    zaio_close(d);
    zaio_close(r);
    th_term(ctx);
}
