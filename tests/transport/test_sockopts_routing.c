/* PROBE_ROUTER, CONNECT_ROUTING_ID and ROUTER_NOTIFY, as libzmq 4.3.4 does them (the
 * first two measured against it; ROUTER_NOTIFY is a draft its Debian build leaves out,
 * so it follows libzmq's source): over TCP and inproc, from each type that takes them. */
#include "tcp_helpers.h"
#include "test_pattern_util.h" /* pt_socket: with a receive timeout, a safety net */

/* Receives one frame of size n (its bytes into buf, at most cap) and its MORE flag. */
static int recv_frame(void *s, void *buf, size_t cap, bool more)
{
    int n = zaio_recv(s, buf, cap, 0);
    zt_assert(n >= 0, "recv: %s", zaio_strerror(zaio_errno()));
    int rcvmore = 0;
    size_t len = sizeof rcvmore;
    zt_assert(zaio_getsockopt(s, ZAIO_RCVMORE, &rcvmore, &len) == 0 && rcvmore == (int)more,
              "RCVMORE %d, want %d", rcvmore, (int)more);
    return n;
}

/* [id][""] at a ROUTER: a probe or a notice. The id goes to id (its size returned). */
static int recv_empty_from(void *router, uint8_t *id, size_t cap)
{
    int n = recv_frame(router, id, cap, true);
    char body[16];
    zt_assert(recv_frame(router, body, sizeof body, false) == 0, "not an empty message");
    return n;
}

/* Waits for waiter to have a message while driving busy: a connecting ROUTER takes a
 * new connection (and probes it) when the program next calls it, zaio_poll included. */
static void poll_in_driving(void *waiter, void *busy)
{
    zaio_pollitem_t items[] = {{waiter, 0, ZAIO_POLLIN, 0}, {busy, 0, 0, 0}};
    zt_assert(zaio_poll(items, 2, 5000) == 1 && (items[0].revents & ZAIO_POLLIN), "poll: %s",
              zaio_strerror(zaio_errno()));
}

static void recv_none(void *s)
{
    char buf[16];
    zt_assert(zaio_recv(s, buf, sizeof buf, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN,
              "something more came");
}

static void probe_from_dealer(const char *bind_ep)
{
    void *ctx = zaio_ctx_new();
    void *r = pt_socket(ctx, ZAIO_ROUTER), *d = pt_socket(ctx, ZAIO_DEALER);
    char ep[64];
    th_bind(r, bind_ep, ep, sizeof ep);
    th_set_int(d, ZAIO_PROBE_ROUTER, 1);
    zt_assert(zaio_setsockopt(d, ZAIO_ROUTING_ID, "D", 1) == 0, "id");
    th_connect(d, ep);
    uint8_t id[16];
    int n = recv_empty_from(r, id, sizeof id);
    zt_assert(n == 1 && id[0] == 'D', "probe from %d bytes of id", n);
    /* the ROUTER knows the peer before it said anything of its own */
    th_send(r, "D", 1, ZAIO_SNDMORE);
    th_send_str(r, "hello", 0);
    th_recv_str(d, "hello");
    zaio_close(d);
    zaio_close(r);
    th_term(ctx);
}

ZT_TEST(probe_router, a_dealer_says_so_over_tcp, 10) { probe_from_dealer("tcp://127.0.0.1:*"); }

ZT_TEST(probe_router, a_dealer_says_so_over_inproc, 10) { probe_from_dealer("inproc://probe"); }

ZT_TEST(probe_router, a_req_says_so_and_asks_as_usual, 10)
{
    void *ctx = zaio_ctx_new();
    void *r = pt_socket(ctx, ZAIO_ROUTER), *q = pt_socket(ctx, ZAIO_REQ);
    char ep[64];
    th_bind(r, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_set_int(q, ZAIO_PROBE_ROUTER, 1);
    th_connect(q, ep);
    uint8_t id[16], id2[16];
    int n = recv_empty_from(r, id, sizeof id);
    zt_assert(n == 5 && id[0] == 0, "a generated id: %d bytes", n);
    th_send_str(q, "request", 0);
    zt_assert(recv_frame(r, id2, sizeof id2, true) == n && memcmp(id, id2, (size_t)n) == 0, "id");
    char buf[16];
    zt_assert(recv_frame(r, buf, sizeof buf, true) == 0, "delimiter");
    zt_assert(recv_frame(r, buf, sizeof buf, false) == 7, "request");
    zaio_close(q);
    zaio_close(r);
    th_term(ctx);
}

ZT_TEST(probe_router, router_and_rep_probe_what_they_connect_to, 10)
{
    void *ctx = zaio_ctx_new();
    void *d = pt_socket(ctx, ZAIO_DEALER), *r = pt_socket(ctx, ZAIO_ROUTER);
    void *target = pt_socket(ctx, ZAIO_DEALER), *rep = pt_socket(ctx, ZAIO_REP); /* REP's peers */
    char ep[64], ep2[64];
    th_bind(d, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_set_int(r, ZAIO_PROBE_ROUTER, 1);
    th_connect(r, ep);
    poll_in_driving(d, r);
    char buf[16];
    zt_assert(recv_frame(d, buf, sizeof buf, false) == 0, "the ROUTER's probe");
    th_bind(target, "tcp://127.0.0.1:*", ep2, sizeof ep2);
    th_set_int(rep, ZAIO_PROBE_ROUTER, 1);
    th_connect(rep, ep2);
    zt_assert(recv_frame(target, buf, sizeof buf, false) == 0, "the REP's probe");
    zaio_close(d);
    zaio_close(r);
    zaio_close(target);
    zaio_close(rep);
    th_term(ctx);
}

ZT_TEST(probe_router, without_it_nothing, 10)
{
    void *ctx = zaio_ctx_new();
    void *r = pt_socket(ctx, ZAIO_ROUTER), *d = pt_socket(ctx, ZAIO_DEALER);
    char ep[64];
    th_bind(r, "tcp://127.0.0.1:*", ep, sizeof ep);
    zt_assert(zaio_setsockopt(d, ZAIO_ROUTING_ID, "D", 1) == 0, "id");
    th_connect(d, ep);
    th_send_str(d, "first", 0);
    uint8_t id[16];
    zt_assert(recv_frame(r, id, sizeof id, true) == 1, "id");
    th_recv_str(r, "first"); /* and no empty message before it */
    zaio_close(d);
    zaio_close(r);
    th_term(ctx);
}

/* a connects to b with CONNECT_ROUTING_ID "peer-b": a names b so, whatever b calls itself. */
static void connect_routing_id(const char *bind_ep)
{
    void *ctx = zaio_ctx_new();
    void *a = pt_socket(ctx, ZAIO_ROUTER), *b = pt_socket(ctx, ZAIO_ROUTER);
    void *c = pt_socket(ctx, ZAIO_ROUTER);
    char ep[64], ep2[128];
    zt_assert(zaio_setsockopt(b, ZAIO_ROUTING_ID, "B", 1) == 0, "b's id");
    th_bind(b, bind_ep, ep, sizeof ep);
    zt_assert(zaio_setsockopt(a, ZAIO_ROUTING_ID, "A", 1) == 0, "a's id");
    zt_assert(zaio_setsockopt(a, ZAIO_CONNECT_ROUTING_ID, "peer-b", 6) == 0, "connect id");
    th_set_int(a, ZAIO_PROBE_ROUTER, 1); /* so that b hears of a first */
    th_connect(a, ep);
    poll_in_driving(b, a);
    uint8_t id[16];
    zt_assert(recv_empty_from(b, id, sizeof id) == 1 && id[0] == 'A', "b sees a as A");
    th_send(b, "A", 1, ZAIO_SNDMORE);
    th_send_str(b, "from b", 0);
    char buf[16];
    int n = recv_frame(a, buf, sizeof buf, true);
    zt_assert(n == 6 && memcmp(buf, "peer-b", 6) == 0, "a names b '%.*s'", n, buf);
    th_recv_str(a, "from b");
    th_send(a, "peer-b", 6, ZAIO_SNDMORE);
    th_send_str(a, "to b", 0);
    zt_assert(recv_frame(b, id, sizeof id, true) == 1 && id[0] == 'A', "id");
    th_recv_str(b, "to b");
    /* that connect used it up: the next peer goes by its own id */
    zt_assert(zaio_setsockopt(c, ZAIO_ROUTING_ID, "C", 1) == 0, "c's id");
    snprintf(ep2, sizeof ep2, "%s-c", bind_ep);
    if (strncmp(bind_ep, "tcp", 3) == 0)
        th_bind(c, "tcp://127.0.0.1:*", ep2, sizeof ep2);
    else
        th_bind(c, ep2, (char[128]){0}, 128);
    th_connect(a, ep2);
    poll_in_driving(c, a);
    zt_assert(recv_empty_from(c, id, sizeof id) == 1 && id[0] == 'A', "c sees a");
    th_send(c, "A", 1, ZAIO_SNDMORE);
    th_send_str(c, "from c", 0);
    n = recv_frame(a, buf, sizeof buf, true);
    zt_assert(n == 1 && buf[0] == 'C', "a names c '%.*s'", n, buf);
    th_recv_str(a, "from c");
    zaio_close(a);
    zaio_close(b);
    zaio_close(c);
    th_term(ctx);
}

ZT_TEST(connect_routing_id, names_the_next_connects_peer_tcp, 10)
{
    connect_routing_id("tcp://127.0.0.1:*");
}

ZT_TEST(connect_routing_id, names_the_next_connects_peer_inproc, 10)
{
    connect_routing_id("inproc://crid");
}

ZT_TEST(router_notify, connect_and_disconnect_notices, 10)
{
    void *ctx = zaio_ctx_new();
    void *r = pt_socket(ctx, ZAIO_ROUTER), *d = pt_socket(ctx, ZAIO_DEALER);
    th_set_int(r, ZAIO_ROUTER_NOTIFY, ZAIO_NOTIFY_CONNECT | ZAIO_NOTIFY_DISCONNECT);
    char ep[64];
    th_bind(r, "tcp://127.0.0.1:*", ep, sizeof ep);
    zt_assert(zaio_setsockopt(d, ZAIO_ROUTING_ID, "D", 1) == 0, "id");
    th_connect(d, ep);
    uint8_t id[16];
    zt_assert(recv_empty_from(r, id, sizeof id) == 1 && id[0] == 'D', "connect notice");
    th_send_str(d, "x", 0);
    zt_assert(recv_frame(r, id, sizeof id, true) == 1 && id[0] == 'D', "id");
    th_recv_str(r, "x");
    zaio_close(d);
    zt_assert(recv_empty_from(r, id, sizeof id) == 1 && id[0] == 'D', "disconnect notice");
    th_wait_quiet(ctx, 5000);
    recv_none(r);
    zaio_close(r);
    th_term(ctx);
}

ZT_TEST(router_notify, a_connecting_router_and_the_flags_apart, 10)
{
    void *ctx = zaio_ctx_new();
    void *d = pt_socket(ctx, ZAIO_DEALER), *r = pt_socket(ctx, ZAIO_ROUTER);
    char ep[64];
    zt_assert(zaio_setsockopt(d, ZAIO_ROUTING_ID, "D", 1) == 0, "id");
    th_bind(d, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_set_int(r, ZAIO_ROUTER_NOTIFY, ZAIO_NOTIFY_DISCONNECT);
    th_connect(r, ep);
    th_send_str(d, "first", 0); /* no connect notice before it */
    uint8_t id[16];
    zt_assert(recv_frame(r, id, sizeof id, true) == 1 && id[0] == 'D', "id");
    th_recv_str(r, "first");
    zaio_close(d); /* the connection goes; the ROUTER will reconnect in vain */
    zt_assert(recv_empty_from(r, id, sizeof id) == 1 && id[0] == 'D', "disconnect notice");
    zaio_close(r);
    th_term(ctx);
}

ZT_TEST(router_notify, none_over_inproc_nor_without_it, 10)
{
    void *ctx = zaio_ctx_new();
    void *r = pt_socket(ctx, ZAIO_ROUTER), *d = pt_socket(ctx, ZAIO_DEALER);
    void *r2 = pt_socket(ctx, ZAIO_ROUTER), *d2 = pt_socket(ctx, ZAIO_DEALER);
    th_set_int(r, ZAIO_ROUTER_NOTIFY, 3);
    th_bind(r, "inproc://notify", (char[64]){0}, 64);
    zt_assert(zaio_setsockopt(d, ZAIO_ROUTING_ID, "D", 1) == 0, "id");
    th_connect(d, "inproc://notify");
    th_send_str(d, "inproc", 0);
    uint8_t id[16];
    zt_assert(recv_frame(r, id, sizeof id, true) == 1, "id");
    th_recv_str(r, "inproc");
    char ep[64];
    th_bind(r2, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(d2, ep);
    th_send_str(d2, "tcp", 0);
    zt_assert(recv_frame(r2, id, sizeof id, true) == 5, "id");
    th_recv_str(r2, "tcp");
    zaio_close(d2);
    th_wait_quiet(ctx, 5000); /* the connection is gone: a notice would be in by now */
    recv_none(r2);
    zaio_close(d);
    zaio_close(r);
    zaio_close(r2);
    th_term(ctx);
}
