/* tcp:// end to end through include/zaio.h: binding and LAST_ENDPOINT, IPv4 and IPv6,
 * connect before bind, the socket patterns over TCP, message shapes and sizes, order
 * under volume, reconnect, linger. Every test ends with the context terminated and the
 * live counters at zero. */
#include "tcp_helpers.h"

ZT_TEST(tcp, bind_wildcard_port_and_last_endpoint, 20)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    zt_assert(strncmp(ep, "tcp://127.0.0.1:", 16) == 0 && atoi(ep + 16) > 0, "last endpoint %s", ep);
    void *other = th_socket(ctx, ZAIO_PULL);
    zt_assert(zaio_bind(other, ep) == -1 && zaio_errno() == EADDRINUSE, "second bind: %s",
              zaio_strerror(zaio_errno()));
    zt_assert(zaio_bind(other, "tcp://127.0.0.1:12a") == -1 && zaio_errno() == EINVAL, "bad port");
    zt_assert(zaio_connect(push, "tcp://127.0.0.1:*") == -1, "connect to a wildcard");
    th_connect(push, ep);
    th_send_str(push, "hello", 0);
    th_recv_str(pull, "hello");
    /* wildcard host */
    char any[256];
    th_bind(other, "tcp://*:*", any, sizeof any);
    zt_assert(strncmp(any, "tcp://0.0.0.0:", 14) == 0, "any: %s", any);
    char lo[256];
    snprintf(lo, sizeof lo, "tcp://127.0.0.1:%d", atoi(any + 14));
    void *push2 = th_socket(ctx, ZAIO_PUSH);
    th_connect(push2, lo);
    th_send_str(push2, "via any", 0);
    th_recv_str(other, "via any");
    zt_assert(zaio_unbind(other, any) == 0, "unbind by LAST_ENDPOINT");
    zaio_close(push2);
    zaio_close(other);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

static bool have_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

ZT_TEST(tcp, ipv6_loopback, 20)
{
    if (!have_ipv6_loopback()) {
        zt_log("no ::1 here: skipped");
        return;
    }
    void *ctx = zaio_ctx_new();
    void *rep = th_socket(ctx, ZAIO_REP), *req = th_socket(ctx, ZAIO_REQ);
    th_set_int(rep, ZAIO_IPV6, 1);
    th_set_int(req, ZAIO_IPV6, 1);
    char ep[256];
    th_bind(rep, "tcp://[::1]:*", ep, sizeof ep);
    zt_assert(strncmp(ep, "tcp://[::1]:", 12) == 0, "last endpoint %s", ep);
    th_connect(req, ep);
    th_send_str(req, "ping6", 0);
    th_recv_str(rep, "ping6");
    th_send_str(rep, "pong6", 0);
    th_recv_str(req, "pong6");
    /* a dual-stack wildcard takes IPv4 peers too */
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(pull, ZAIO_IPV6, 1);
    char any[256], v4[256];
    th_bind(pull, "tcp://*:*", any, sizeof any);
    zt_assert(strncmp(any, "tcp://[::]:", 11) == 0, "any6: %s", any);
    snprintf(v4, sizeof v4, "tcp://127.0.0.1:%d", atoi(any + 11));
    th_connect(push, v4);
    th_send_str(push, "v4 to v6", 0);
    th_recv_str(pull, "v4 to v6");
    zaio_close(push);
    zaio_close(pull);
    zaio_close(req);
    zaio_close(rep);
    th_term(ctx);
}

/* A free port: bound by zaio, then released. */
static void free_port(void *ctx, char *ep, size_t cap)
{
    void *s = th_socket(ctx, ZAIO_PULL);
    th_bind(s, "tcp://127.0.0.1:*", ep, cap);
    zaio_close(s);
}

ZT_TEST(tcp, connect_before_bind_queues_and_reconnects, 30)
{
    void *ctx = zaio_ctx_new();
    char ep[256];
    free_port(ctx, ep, sizeof ep);
    void *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_RECONNECT_IVL, 20);
    void *mon = th_monitor(ctx, push, "inproc://mon-cbb", ZAIO_EVENT_ALL);
    th_connect(push, ep);
    /* nobody there yet: the messages wait in the pipe */
    for (int i = 0; i < 10; i++) {
        char m[16];
        snprintf(m, sizeof m, "early %d", i);
        th_send_str(push, m, ZAIO_DONTWAIT);
    }
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CONNECT_RETRIED, 3000, NULL), "retried");
    void *pull = th_socket(ctx, ZAIO_PULL);
    th_rebind(pull, ep);
    for (int i = 0; i < 10; i++) {
        char m[16];
        snprintf(m, sizeof m, "early %d", i);
        th_recv_str(pull, m);
    }
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 3000, NULL), "handshake");
    /* the peer goes and comes back on the same port: the pusher reconnects */
    zaio_close(pull);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 3000, NULL), "disconnected");
    th_send_str(push, "while away", 0);
    pull = th_socket(ctx, ZAIO_PULL);
    th_rebind(pull, ep);
    th_recv_str(pull, "while away");
    zaio_close(pull);
    zaio_close(push);
    zaio_close(mon);
    th_term(ctx);
}

/* A monitor started after bind and connect hears the listener and the connections that
 * already exist, as libzmq's does; a second monitor takes over from the first. */
ZT_TEST(tcp, a_late_monitor_hears_existing_listeners_and_connections, 20)
{
    void *ctx = zaio_ctx_new();
    char ep[256];
    void *pull, *push1;
    th_tcp_pair(ctx, ZAIO_PULL, ZAIO_PUSH, &pull, &push1, ep, sizeof ep);
    th_send_str(push1, "one", 0);
    th_recv_str(pull, "one");

    void *mon = th_monitor(ctx, pull, "inproc://mon-late", ZAIO_EVENT_ALL);
    void *push2 = th_socket(ctx, ZAIO_PUSH);
    th_connect(push2, ep);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_ACCEPTED, 3000, NULL), "the listener's accept");
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 3000, NULL), "handshake");
    zaio_close(push1);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 3000, NULL),
              "the connection made before the monitor");

    void *mon2 = th_monitor(ctx, pull, "inproc://mon-late2",
                            ZAIO_EVENT_DISCONNECTED | ZAIO_EVENT_MONITOR_STOPPED);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_MONITOR_STOPPED, 3000, NULL), "replaced");
    zaio_close(push2);
    zt_assert(th_wait_event(mon2, ZAIO_EVENT_DISCONNECTED, 3000, NULL), "the new monitor");
    zt_assert(th_event(mon, 100, NULL) < 0, "nothing more for the old one");
    zt_assert(zaio_socket_monitor(pull, NULL, 0) == 0, "stop");
    zt_assert(th_wait_event(mon2, ZAIO_EVENT_MONITOR_STOPPED, 3000, NULL), "stopped");
    zaio_close(mon);
    zaio_close(mon2);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, push_pull_shapes_and_sizes, 60)
{
    void *ctx = zaio_ctx_new();
    void *pull, *push;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_PULL, ZAIO_PUSH, &pull, &push, ep, sizeof ep);
    /* 0 bytes */
    th_send(push, "", 0, 0);
    char b[8];
    zt_assert(zaio_recv(pull, b, sizeof b, 0) == 0, "empty");
    /* multipart, with an empty frame inside */
    th_send_str(push, "a", ZAIO_SNDMORE);
    th_send(push, "", 0, ZAIO_SNDMORE);
    th_send_str(push, "c", 0);
    th_recv_str(pull, "a");
    int more;
    size_t ml = sizeof more;
    zt_assert(zaio_getsockopt(pull, ZAIO_RCVMORE, &more, &ml) == 0 && more, "more");
    zt_assert(zaio_recv(pull, b, sizeof b, 0) == 0, "empty middle");
    th_recv_str(pull, "c");
    zt_assert(zaio_getsockopt(pull, ZAIO_RCVMORE, &more, &ml) == 0 && !more, "last");
    /* sizes around every threshold: inline, copied, streamed, received in place */
    static const size_t sizes[] = {31, 32, 255, 256, 8192, 8193, 65535, 65536, 65537,
                                   300000, 1 << 20, 64u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        zaio_msg_t m;
        zt_assert(zaio_msg_init_size(&m, n) == 0, "init %zu", n);
        uint8_t *d = zaio_msg_data(&m);
        for (size_t k = 0; k < n; k++)
            d[k] = (uint8_t)(k * 7 + i);
        zt_assert(zaio_msg_send(&m, push, 0) == (int)n, "send %zu", n);
        zaio_msg_t r;
        zaio_msg_init(&r);
        zt_assert(zaio_msg_recv(&r, pull, 0) == (int)n, "recv %zu", n);
        const uint8_t *rd = zaio_msg_data(&r);
        size_t bad = n;
        for (size_t k = 0; k < n && bad == n; k++)
            if (rd[k] != (uint8_t)(k * 7 + i))
                bad = k;
        zt_assert(bad == n, "size %zu: byte %zu differs", n, bad);
        zt_assert(zaio_msg_gets(&r, "Peer-Address") &&
                      strcmp(zaio_msg_gets(&r, "Peer-Address"), "127.0.0.1") == 0, "Peer-Address");
        zt_assert(zaio_msg_gets(&r, "Socket-Type") &&
                      strcmp(zaio_msg_gets(&r, "Socket-Type"), "PUSH") == 0, "Socket-Type");
        zaio_msg_close(&r);
    }
    /* several large multipart frames in one go (more than one send's worth of slices) */
    for (int i = 0; i < 8; i++) {
        zaio_msg_t m;
        zaio_msg_init_size(&m, 100000 + (size_t)i);
        memset(zaio_msg_data(&m), 'a' + i, 100000 + (size_t)i);
        zaio_msg_send(&m, push, i < 7 ? ZAIO_SNDMORE : 0);
    }
    for (int i = 0; i < 8; i++) {
        zaio_msg_t r;
        zaio_msg_init(&r);
        zt_assert(zaio_msg_recv(&r, pull, 0) == 100000 + i, "part %d", i);
        zt_assert(((uint8_t *)zaio_msg_data(&r))[99999] == 'a' + i, "part %d body", i);
        zt_assert(zaio_msg_more(&r) == (i < 7), "part %d more", i);
        zaio_msg_close(&r);
    }
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, large_and_small_frames_back_to_back, 60)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(pull, ZAIO_RCVHWM, 2);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(push, ep);
    th_mixed_frames(push, pull);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

/* A connecting socket keeps one pipe across its connections; what comes in on it still
 * carries the metadata of the connection it came in on (the interop matrix found it
 * missing). */
ZT_TEST(tcp, metadata_on_a_connecting_socket, 20)
{
    void *ctx = zaio_ctx_new();
    void *push, *pull;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_PUSH, ZAIO_PULL, &push, &pull, ep, sizeof ep);
    th_send_str(push, "hello", 0);
    zaio_msg_t r;
    zaio_msg_init(&r);
    zt_assert(zaio_msg_recv(&r, pull, 0) == 5, "recv: %s", zaio_strerror(zaio_errno()));
    const char *type = zaio_msg_gets(&r, "Socket-Type"), *addr = zaio_msg_gets(&r, "Peer-Address");
    zt_assert(type && strcmp(type, "PUSH") == 0, "Socket-Type %s", type ? type : "(none)");
    zt_assert(addr && strcmp(addr, "127.0.0.1") == 0, "Peer-Address %s", addr ? addr : "(none)");
    zaio_msg_close(&r);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, hundred_thousand_in_order, 120)
{
    void *ctx = zaio_ctx_new();
    void *pull, *push;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_PULL, ZAIO_PUSH, &pull, &push, ep, sizeof ep);
    enum { N = 100000 };
    /* the sender blocks at the HWM, so send from this thread in slices and drain */
    int sent = 0, got = 0;
    while (got < N) {
        while (sent < N) {
            uint32_t v = (uint32_t)sent;
            char body[20];
            memcpy(body, &v, 4);
            memset(body + 4, (int)(sent & 0xff), sizeof body - 4);
            if (zaio_send(push, body, (size_t)(4 + sent % 17), ZAIO_DONTWAIT) < 0) {
                zt_assert(zaio_errno() == EAGAIN, "send: %s", zaio_strerror(zaio_errno()));
                break;
            }
            sent++;
        }
        char body[32];
        int n = zaio_recv(pull, body, sizeof body, 0);
        zt_assert(n == 4 + got % 17, "message %d: %d bytes", got, n);
        uint32_t v;
        memcpy(&v, body, 4);
        zt_assert(v == (uint32_t)got, "message %d arrived as %u", got, v);
        got++;
    }
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, dealer_router_with_routing_ids, 20)
{
    void *ctx = zaio_ctx_new();
    void *router = th_socket(ctx, ZAIO_ROUTER);
    char ep[256];
    th_bind(router, "tcp://127.0.0.1:*", ep, sizeof ep);
    void *d1 = th_socket(ctx, ZAIO_DEALER), *d2 = th_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(d1, ZAIO_ROUTING_ID, "alpha", 5) == 0, "id");
    th_connect(d1, ep);
    th_connect(d2, ep);
    th_send_str(d1, "from alpha", 0);
    char id[256];
    int n = zaio_recv(router, id, sizeof id, 0);
    zt_assert(n == 5 && memcmp(id, "alpha", 5) == 0, "routing id %.*s", n, id);
    th_recv_str(router, "from alpha");
    th_send_str(d2, "from anon", 0);
    char id2[256];
    int n2 = zaio_recv(router, id2, sizeof id2, 0);
    zt_assert(n2 > 0, "generated id");
    th_recv_str(router, "from anon");
    /* replies route back by id */
    th_send(router, id2, (size_t)n2, ZAIO_SNDMORE);
    th_send_str(router, "to anon", 0);
    th_send(router, "alpha", 5, ZAIO_SNDMORE);
    th_send_str(router, "to alpha", 0);
    th_recv_str(d1, "to alpha");
    th_recv_str(d2, "to anon");
    /* a ROUTER that connects learns the binder's id from the handshake */
    void *r2 = th_socket(ctx, ZAIO_ROUTER), *dealer = th_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "srv", 3) == 0, "id");
    char ep2[256];
    th_bind(dealer, "tcp://127.0.0.1:*", ep2, sizeof ep2);
    th_connect(r2, ep2);
    th_send_str(dealer, "hi router", 0);
    n = zaio_recv(r2, id, sizeof id, 0);
    zt_assert(n == 3 && memcmp(id, "srv", 3) == 0, "id of the bound dealer: %.*s", n, id);
    th_recv_str(r2, "hi router");
    th_send(r2, "srv", 3, ZAIO_SNDMORE);
    th_send_str(r2, "hi dealer", 0);
    th_recv_str(dealer, "hi dealer");
    zaio_close(dealer);
    zaio_close(r2);
    zaio_close(d1);
    zaio_close(d2);
    zaio_close(router);
    th_term(ctx);
}

ZT_TEST(tcp, pub_sub_subscriptions_over_tcp, 20)
{
    void *ctx = zaio_ctx_new();
    void *pub = th_socket(ctx, ZAIO_PUB), *sub = th_socket(ctx, ZAIO_SUB);
    char ep[256];
    th_bind(pub, "tcp://127.0.0.1:*", ep, sizeof ep);
    zt_assert(zaio_setsockopt(sub, ZAIO_SUBSCRIBE, "news", 4) == 0, "subscribe");
    th_connect(sub, ep);
    th_set_int(sub, ZAIO_RCVTIMEO, 100);
    /* the subscription travels after the handshake: publish until it takes */
    char buf[64];
    int n = -1;
    for (int i = 0; i < 100 && n < 0; i++) {
        th_send_str(pub, "sports 1", 0);
        th_send_str(pub, "news 1", 0);
        n = zaio_recv(sub, buf, sizeof buf, 0);
    }
    zt_assert(n == 6 && memcmp(buf, "news 1", 6) == 0, "filtered: %d", n);
    zt_assert(zaio_setsockopt(sub, ZAIO_UNSUBSCRIBE, "news", 4) == 0, "unsubscribe");
    zt_assert(zaio_setsockopt(sub, ZAIO_SUBSCRIBE, "sports", 6) == 0, "subscribe");
    n = -1;
    for (int i = 0; i < 100 && n < 0; i++) {
        th_send_str(pub, "news 2", 0);
        th_send_str(pub, "sports 2", 0);
        n = zaio_recv(sub, buf, sizeof buf, 0);
    }
    zt_assert(n == 8 && memcmp(buf, "sports 2", 8) == 0, "after the change: %.*s", n, buf);
    /* an XPUB sees the subscriptions as messages */
    void *xpub = th_socket(ctx, ZAIO_XPUB), *sub2 = th_socket(ctx, ZAIO_SUB);
    char ep2[256];
    th_bind(xpub, "tcp://127.0.0.1:*", ep2, sizeof ep2);
    zt_assert(zaio_setsockopt(sub2, ZAIO_SUBSCRIBE, "topic", 5) == 0, "subscribe");
    th_connect(sub2, ep2);
    n = zaio_recv(xpub, buf, sizeof buf, 0);
    zt_assert(n == 6 && buf[0] == 1 && memcmp(buf + 1, "topic", 5) == 0, "xpub got %d", n);
    zaio_close(sub2);
    zaio_close(xpub);
    zaio_close(sub);
    zaio_close(pub);
    th_term(ctx);
}

ZT_TEST(tcp, linger_delivers_what_was_sent_before_close, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull, *push;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_PULL, ZAIO_PUSH, &pull, &push, ep, sizeof ep);
    enum { N = 500 };
    static char big[200000];
    for (int i = 0; i < N; i++)
        th_send(push, big, i % 50 == 0 ? sizeof big : 10, 0);
    zaio_close(push); /* LINGER -1: what was queued still goes */
    for (int i = 0; i < N; i++) {
        int n = zaio_recv(pull, big, sizeof big, 0);
        zt_assert(n == (i % 50 == 0 ? (int)sizeof big : 10), "message %d after close: %d", i, n);
    }
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, linger_zero_drops_and_disconnect_stops, 20)
{
    void *ctx = zaio_ctx_new();
    char ep[256];
    free_port(ctx, ep, sizeof ep);
    /* nobody will ever accept: LINGER 0 must not hold zaio_ctx_term */
    void *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_LINGER, 0);
    th_connect(push, ep);
    th_send_str(push, "lost", 0);
    zt_assert(zaio_disconnect(push, ep) == 0, "disconnect");
    zt_assert(zaio_disconnect(push, ep) == -1 && zaio_errno() == ENOENT, "twice");
    th_connect(push, ep);
    th_send_str(push, "lost too", 0);
    zaio_close(push);
    /* a finite linger ends too */
    void *push2 = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push2, ZAIO_LINGER, 100);
    th_connect(push2, ep);
    th_send_str(push2, "lost after 100 ms", 0);
    int64_t t0 = th_now_ms();
    zaio_close(push2);
    th_term(ctx);
    zt_assert(th_now_ms() - t0 < 2000, "term took %lld ms", (long long)(th_now_ms() - t0));
}

ZT_TEST(tcp, hwm_blocks_the_sender_then_drains, 30)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(pull, ZAIO_RCVHWM, 10);
    th_set_int(push, ZAIO_SNDHWM, 10);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(push, ep);
    static char body[100000];
    int sent = 0;
    /* pipes and kernel buffers fill; then DONTWAIT says EAGAIN */
    for (int i = 0; i < 100000; i++) {
        if (zaio_send(push, body, sizeof body, ZAIO_DONTWAIT) < 0) {
            zt_assert(zaio_errno() == EAGAIN, "send: %s", zaio_strerror(zaio_errno()));
            break;
        }
        sent++;
    }
    zt_assert(sent < 100000, "the HWM never pushed back");
    for (int i = 0; i < sent; i++)
        zt_assert(zaio_recv(pull, body, sizeof body, 0) == (int)sizeof body, "drain %d", i);
    th_send_str(push, "after", 0);
    th_recv_str(pull, "after");
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, maxmsgsize_drops_the_connection, 20)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    int64_t max = 1000;
    zt_assert(zaio_setsockopt(pull, ZAIO_MAXMSGSIZE, &max, sizeof max) == 0, "maxmsgsize");
    void *mon = th_monitor(ctx, pull, "inproc://mon-max", ZAIO_EVENT_DISCONNECTED);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(push, ep);
    th_send_str(push, "small", 0);
    th_recv_str(pull, "small");
    static char big[2000];
    th_send(push, big, sizeof big, 0);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 3000, NULL), "dropped");
    th_set_int(pull, ZAIO_RCVTIMEO, 200);
    zt_assert(zaio_recv(pull, big, sizeof big, 0) == -1 && zaio_errno() == EAGAIN,
              "the large message was not delivered");
    zaio_close(push);
    zaio_close(pull);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(tcp, sub_resubscribes_after_the_publisher_restarts, 30)
{
    void *ctx = zaio_ctx_new();
    char ep[256];
    free_port(ctx, ep, sizeof ep);
    void *sub = th_socket(ctx, ZAIO_SUB);
    th_set_int(sub, ZAIO_RECONNECT_IVL, 20);
    zt_assert(zaio_setsockopt(sub, ZAIO_SUBSCRIBE, "a", 1) == 0, "subscribe a");
    th_connect(sub, ep); /* before the bind, and the SUB is not touched again until recv */
    zt_assert(zaio_setsockopt(sub, ZAIO_SUBSCRIBE, "b", 1) == 0, "subscribe b");
    zt_assert(zaio_setsockopt(sub, ZAIO_SUBSCRIBE, "c", 1) == 0, "subscribe c");
    zt_assert(zaio_setsockopt(sub, ZAIO_UNSUBSCRIBE, "c", 1) == 0, "cancel c");
    th_set_int(sub, ZAIO_RCVTIMEO, 50);
    for (int round = 0; round < 3; round++) {
        void *pub = th_socket(ctx, ZAIO_PUB);
        th_rebind(pub, ep);
        char buf[16];
        bool got_a = false, got_b = false;
        for (int i = 0; i < 200 && !(got_a && got_b); i++) {
            th_send_str(pub, "c-no", 0);
            th_send_str(pub, "a-yes", 0);
            th_send_str(pub, "b-yes", 0);
            int n;
            while ((n = zaio_recv(sub, buf, sizeof buf, 0)) > 0) {
                zt_assert(buf[0] != 'c', "round %d: a cancelled topic arrived", round);
                got_a |= buf[0] == 'a';
                got_b |= buf[0] == 'b';
            }
        }
        zt_assert(got_a && got_b, "round %d: a %d b %d", round, got_a, got_b);
        zaio_close(pub); /* the next round's publisher knows nothing of the SUB */
    }
    zaio_close(sub);
    th_term(ctx);
}

ZT_TEST(tcp, unbind_ends_the_accepted_connections, 20)
{
    void *ctx = zaio_ctx_new();
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    void *mon = th_monitor(ctx, push, "inproc://mon-unbind", ZAIO_EVENT_ALL);
    th_connect(push, ep);
    th_send_str(push, "before", 0);
    th_recv_str(pull, "before");
    zt_assert(zaio_unbind(pull, ep) == 0, "unbind");
    zt_assert(zaio_unbind(pull, ep) == -1 && zaio_errno() == ENOENT, "twice");
    zt_assert(th_wait_event(mon, ZAIO_EVENT_DISCONNECTED, 3000, NULL), "the peer saw it go");
    /* the port is free again, for anyone */
    void *pull2 = th_socket(ctx, ZAIO_PULL);
    th_rebind(pull2, ep);
    th_send_str(push, "after", 0);
    th_recv_str(pull2, "after");
    zaio_close(push);
    zaio_close(pull);
    zaio_close(pull2);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(tcp, immediate_sends_only_to_connected_peers, 20)
{
    void *ctx = zaio_ctx_new();
    char dead[256];
    free_port(ctx, dead, sizeof dead);
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    char ep[256];
    th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_set_int(push, ZAIO_IMMEDIATE, 1);
    th_set_int(push, ZAIO_LINGER, 0);
    th_set_int(push, ZAIO_SNDTIMEO, 3000);
    th_connect(push, dead);
    th_connect(push, ep);
    /* without IMMEDIATE half of these would wait in the dead endpoint's pipe */
    for (int i = 0; i < 10; i++) {
        char m[16];
        snprintf(m, sizeof m, "msg %d", i);
        th_send_str(push, m, 0);
    }
    for (int i = 0; i < 10; i++) {
        char m[16];
        snprintf(m, sizeof m, "msg %d", i);
        th_recv_str(pull, m);
    }
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(tcp, reconnect_backoff_grows_to_the_max, 20)
{
    void *ctx = zaio_ctx_new();
    char dead[256];
    free_port(ctx, dead, sizeof dead);
    void *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_RECONNECT_IVL, 10);
    th_set_int(push, ZAIO_RECONNECT_IVL_MAX, 80);
    th_set_int(push, ZAIO_LINGER, 0);
    void *mon = th_monitor(ctx, push, "inproc://mon-backoff", ZAIO_EVENT_CONNECT_RETRIED);
    th_connect(push, dead);
    static const uint32_t base[] = {10, 20, 40, 80, 80, 80};
    for (int i = 0; i < 6; i++) {
        uint32_t v;
        zt_assert(th_event(mon, 3000, &v) == ZAIO_EVENT_CONNECT_RETRIED, "retry %d", i);
        /* the interval, plus a jitter below RECONNECT_IVL so peers do not retry in step */
        zt_assert(v >= base[i] && v < base[i] + 10, "retry %d after %u ms, want %u..%u", i, v,
                  base[i], base[i] + 9);
    }
    zaio_close(push);
    zaio_close(mon);
    th_term(ctx);
}

ZT_TEST(tcp, connecting_router_learns_a_restarted_peers_new_id, 30)
{
    void *ctx = zaio_ctx_new();
    void *dealer = th_socket(ctx, ZAIO_DEALER), *router = th_socket(ctx, ZAIO_ROUTER);
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "first", 5) == 0, "id");
    char ep[256];
    th_bind(dealer, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_set_int(router, ZAIO_RECONNECT_IVL, 20);
    th_connect(router, ep);
    th_send_str(dealer, "one", 0);
    char id[64];
    int n = zaio_recv(router, id, sizeof id, 0);
    zt_assert(n == 5 && memcmp(id, "first", 5) == 0, "id %.*s", n, id);
    th_recv_str(router, "one");
    zaio_close(dealer);
    dealer = th_socket(ctx, ZAIO_DEALER);
    zt_assert(zaio_setsockopt(dealer, ZAIO_ROUTING_ID, "second", 6) == 0, "id");
    th_rebind(dealer, ep);
    th_send_str(dealer, "two", 0);
    n = zaio_recv(router, id, sizeof id, 0);
    zt_assert(n == 6 && memcmp(id, "second", 6) == 0, "after the restart: %.*s", n, id);
    th_recv_str(router, "two");
    th_set_int(router, ZAIO_ROUTER_MANDATORY, 1);
    zt_assert(zaio_send(router, "first", 5, ZAIO_SNDMORE | ZAIO_DONTWAIT) == -1 &&
                  zaio_errno() == EHOSTUNREACH, "the old id is gone: %s", zaio_strerror(zaio_errno()));
    th_send(router, "second", 6, ZAIO_SNDMORE);
    th_send_str(router, "back", 0);
    th_recv_str(dealer, "back");
    zaio_close(dealer);
    zaio_close(router);
    th_term(ctx);
}

ZT_TEST(tcp, no_reconnect_without_reconnect_ivl, 20)
{
    void *ctx = zaio_ctx_new();
    char dead[256];
    free_port(ctx, dead, sizeof dead);
    void *push = th_socket(ctx, ZAIO_PUSH);
    th_set_int(push, ZAIO_RECONNECT_IVL, -1);
    void *mon = th_monitor(ctx, push, "inproc://mon-noretry", ZAIO_EVENT_ALL);
    th_connect(push, dead);
    zt_assert(th_wait_event(mon, ZAIO_EVENT_CONNECT_DELAYED, 3000, NULL), "one attempt");
    int ev;
    while ((ev = th_event(mon, 300, NULL)) >= 0)
        zt_assert(ev != ZAIO_EVENT_CONNECT_RETRIED && ev != ZAIO_EVENT_CONNECT_DELAYED,
                  "retried (event %x)", ev);
    /* the endpoint gave up: its pipe is gone, so not even one message queues */
    zt_assert(zaio_send(push, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "a message queued for a dead endpoint");
    zaio_close(push);
    zaio_close(mon);
    th_term(ctx);
}
