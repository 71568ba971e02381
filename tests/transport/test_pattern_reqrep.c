/* REQ and REP over inproc, with each other and with DEALER and ROUTER: the state
 * machines (EFSM), envelopes, round robin, replies only from the peer asked, stale
 * and malformed messages dropped, replies to peers that left. */
#include "test_pattern_util.h"

ZT_TEST(reqrep, request_reply_and_state_errors, 10)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP), *req = pt_socket(ctx, ZAIO_REQ);
    pt_bind(rep, "inproc://rr");
    pt_connect(req, "inproc://rr");
    char b[16];
    zt_assert(zaio_recv(req, b, sizeof b, ZAIO_DONTWAIT) == -1 && zaio_errno() == ZAIO_EFSM,
              "REQ recv before send");
    zt_assert(zaio_send(rep, "x", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == ZAIO_EFSM,
              "REP send before recv");
    zt_assert(!(pt_events(req) & ZAIO_POLLIN) && !(pt_events(rep) & ZAIO_POLLOUT), "events");
    for (int round = 0; round < 3; round++) {
        pt_send(req, "hello", 0);
        zt_assert(zaio_send(req, "again", 5, ZAIO_DONTWAIT) == -1 && zaio_errno() == ZAIO_EFSM,
                  "REQ send twice");
        zt_assert(!(pt_events(req) & ZAIO_POLLOUT), "REQ not writable while waiting");
        pt_recv_is(rep, "hello", false);
        zt_assert(zaio_recv(rep, b, sizeof b, ZAIO_DONTWAIT) == -1 && zaio_errno() == ZAIO_EFSM,
                  "REP recv twice");
        zt_assert(pt_events(rep) & ZAIO_POLLOUT, "REP writable with a reply due");
        pt_send(rep, "world", 0);
        zt_assert(pt_events(req) & ZAIO_POLLIN, "REQ readable");
        pt_recv_is(req, "world", false);
    }
    pt_close_all(ctx, rep, req, NULL);
}

ZT_TEST(reqrep, multipart_request_and_reply, 10)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP), *req = pt_socket(ctx, ZAIO_REQ);
    pt_bind(rep, "inproc://mp");
    pt_connect(req, "inproc://mp");
    pt_send(req, "a", ZAIO_SNDMORE);
    pt_send(req, "", ZAIO_SNDMORE);
    pt_send(req, "c", 0);
    pt_recv_is(rep, "a", true);
    pt_recv_is(rep, "", true);
    pt_recv_is(rep, "c", false);
    pt_send(rep, "x", ZAIO_SNDMORE);
    pt_send(rep, "y", 0);
    pt_recv_is(req, "x", true);
    pt_recv_is(req, "y", false);
    pt_close_all(ctx, rep, req, NULL);
}

ZT_TEST(reqrep, req_round_robin_over_reps, 10)
{
    void *ctx = zaio_ctx_new();
    void *req = pt_socket(ctx, ZAIO_REQ);
    void *rep[2];
    for (int i = 0; i < 2; i++) {
        rep[i] = pt_socket(ctx, ZAIO_REP);
        char ep[32];
        snprintf(ep, sizeof ep, "inproc://rep%d", i);
        pt_bind(rep[i], ep);
        pt_connect(req, ep);
    }
    /* four requests: two each, alternating */
    int served[2] = {0, 0};
    for (int i = 0; i < 4; i++) {
        pt_send(req, "q", 0);
        zaio_pollitem_t it[2] = {{rep[0], 0, ZAIO_POLLIN, 0}, {rep[1], 0, ZAIO_POLLIN, 0}};
        zt_assert(zaio_poll(it, 2, PT_TIMEOUT_MS) == 1, "exactly one REP has the request");
        int k = (it[0].revents & ZAIO_POLLIN) ? 0 : 1;
        served[k]++;
        pt_recv_is(rep[k], "q", false);
        pt_send(rep[k], k ? "r1" : "r0", 0);
        pt_recv_is(req, k ? "r1" : "r0", false);
    }
    zt_assert(served[0] == 2 && served[1] == 2, "served %d/%d", served[0], served[1]);
    pt_close_all(ctx, req, rep[0], rep[1], NULL);
}

ZT_TEST(reqrep, req_to_router_sees_the_envelope, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER), *req = pt_socket(ctx, ZAIO_REQ);
    pt_bind(router, "inproc://env");
    zt_assert(zaio_setsockopt(req, ZAIO_ROUTING_ID, "client", 6) == 0, "routing id");
    pt_connect(req, "inproc://env");
    pt_send(req, "hello", 0);
    pt_recv_is(router, "client", true);
    pt_recv_is(router, "", true);
    pt_recv_is(router, "hello", false);
    /* a reply without the delimiter is not a reply: REQ drops it */
    pt_send(router, "client", ZAIO_SNDMORE);
    pt_send(router, "malformed", 0);
    pt_send(router, "client", ZAIO_SNDMORE);
    pt_send(router, "", ZAIO_SNDMORE);
    pt_send(router, "world", 0);
    pt_recv_is(req, "world", false);
    pt_close_all(ctx, router, req, NULL);
}

ZT_TEST(reqrep, req_takes_the_reply_only_from_the_peer_asked, 10)
{
    void *ctx = zaio_ctx_new();
    void *r1 = pt_socket(ctx, ZAIO_ROUTER), *r2 = pt_socket(ctx, ZAIO_ROUTER);
    pt_bind(r1, "inproc://r1");
    pt_bind(r2, "inproc://r2");
    void *req = pt_socket(ctx, ZAIO_REQ);
    zt_assert(zaio_setsockopt(req, ZAIO_ROUTING_ID, "req", 3) == 0, "routing id");
    pt_connect(req, "inproc://r1");
    pt_connect(req, "inproc://r2");
    pt_send(req, "question", 0);
    /* the first connected pipe was asked */
    pt_recv_is(r1, "req", true);
    pt_recv_is(r1, "", true);
    pt_recv_is(r1, "question", false);
    /* r2 answers a question it was never asked, before r1 answers */
    pt_recv_none(r2); /* r2 learns of the REQ's pipe */
    pt_send(r2, "req", ZAIO_SNDMORE);
    pt_send(r2, "", ZAIO_SNDMORE);
    pt_send(r2, "bogus", 0);
    pt_send(r1, "req", ZAIO_SNDMORE);
    pt_send(r1, "", ZAIO_SNDMORE);
    pt_send(r1, "answer", 0);
    pt_recv_is(req, "answer", false);
    /* and the bogus one does not pass for the next answer */
    pt_send(req, "second", 0);
    void *asked = NULL;
    zaio_pollitem_t it[2] = {{r1, 0, ZAIO_POLLIN, 0}, {r2, 0, ZAIO_POLLIN, 0}};
    zt_assert(zaio_poll(it, 2, PT_TIMEOUT_MS) == 1, "one router asked");
    asked = (it[0].revents & ZAIO_POLLIN) ? r1 : r2;
    zt_assert(asked == r2, "round robin: r2 asked second");
    pt_recv_is(r2, "req", true);
    pt_recv_is(r2, "", true);
    pt_recv_is(r2, "second", false);
    pt_send(r2, "req", ZAIO_SNDMORE);
    pt_send(r2, "", ZAIO_SNDMORE);
    pt_send(r2, "fresh", 0);
    pt_recv_is(req, "fresh", false);
    pt_close_all(ctx, r1, r2, req, NULL);
}

ZT_TEST(reqrep, stale_reply_dropped_before_a_new_request, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER), *req = pt_socket(ctx, ZAIO_REQ);
    pt_bind(router, "inproc://stale");
    zt_assert(zaio_setsockopt(req, ZAIO_ROUTING_ID, "r", 1) == 0, "routing id");
    pt_connect(req, "inproc://stale");
    pt_send(req, "one", 0);
    pt_recv_is(router, "r", true);
    pt_recv_is(router, "", true);
    pt_recv_is(router, "one", false);
    pt_send(router, "r", ZAIO_SNDMORE);
    pt_send(router, "", ZAIO_SNDMORE);
    pt_send(router, "reply one", 0);
    pt_recv_is(req, "reply one", false);
    /* a duplicate answer to "one" is still queued when "two" goes out */
    pt_send(router, "r", ZAIO_SNDMORE);
    pt_send(router, "", ZAIO_SNDMORE);
    pt_send(router, "late duplicate", 0);
    pt_send(req, "two", 0);
    pt_recv_is(router, "r", true);
    pt_recv_is(router, "", true);
    pt_recv_is(router, "two", false);
    pt_send(router, "r", ZAIO_SNDMORE);
    pt_send(router, "", ZAIO_SNDMORE);
    pt_send(router, "reply two", 0);
    pt_recv_is(req, "reply two", false);
    pt_close_all(ctx, router, req, NULL);
}

ZT_TEST(reqrep, dealer_to_rep_and_malformed_requests, 10)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP), *dealer = pt_socket(ctx, ZAIO_DEALER);
    pt_bind(rep, "inproc://dr");
    pt_connect(dealer, "inproc://dr");
    pt_send(dealer, "no envelope", 0);                   /* no delimiter: dropped */
    pt_send(dealer, "label", ZAIO_SNDMORE);              /* ends before a delimiter */
    pt_send(dealer, "still none", 0);
    pt_send(dealer, "id1", ZAIO_SNDMORE);                /* a proper envelope */
    pt_send(dealer, "id2", ZAIO_SNDMORE);
    pt_send(dealer, "", ZAIO_SNDMORE);
    pt_send(dealer, "request", 0);
    pt_recv_is(rep, "request", false);
    pt_send(rep, "response", 0);
    /* the whole envelope comes back in front of the reply */
    pt_recv_is(dealer, "id1", true);
    pt_recv_is(dealer, "id2", true);
    pt_recv_is(dealer, "", true);
    pt_recv_is(dealer, "response", false);
    pt_recv_none(rep);
    pt_close_all(ctx, rep, dealer, NULL);
}

ZT_TEST(reqrep, rep_answers_each_peer_on_its_own_pipe, 10)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP);
    pt_bind(rep, "inproc://many");
    void *req[3];
    for (int i = 0; i < 3; i++) {
        req[i] = pt_socket(ctx, ZAIO_REQ);
        pt_connect(req[i], "inproc://many");
        char q[16];
        snprintf(q, sizeof q, "q%d", i);
        pt_send(req[i], q, 0);
    }
    for (int i = 0; i < 3; i++) {
        char q[16];
        int n = pt_recvb(rep, q, sizeof q - 1);
        q[n] = 0;
        q[0] = 'a'; /* answer "a<i>" to the one who asked "q<i>" */
        pt_send(rep, q, 0);
    }
    for (int i = 0; i < 3; i++) {
        char a[16];
        snprintf(a, sizeof a, "a%d", i);
        pt_recv_is(req[i], a, false);
    }
    pt_close_all(ctx, rep, req[0], req[1], req[2], NULL);
}

ZT_TEST(reqrep, reply_to_a_peer_that_left_is_dropped, 10)
{
    void *ctx = zaio_ctx_new();
    void *rep = pt_socket(ctx, ZAIO_REP), *req = pt_socket(ctx, ZAIO_REQ);
    pt_bind(rep, "inproc://left");
    pt_connect(req, "inproc://left");
    pt_send(req, "q", 0);
    pt_recv_is(rep, "q", false);
    zt_assert(zaio_close(req) == 0, "close req");
    pt_send(rep, "nobody hears this", 0); /* taken, dropped, and REP may receive again */
    void *req2 = pt_socket(ctx, ZAIO_REQ);
    pt_connect(req2, "inproc://left");
    pt_send(req2, "q2", 0);
    pt_recv_is(rep, "q2", false);
    pt_send(rep, "a2", 0);
    pt_recv_is(req2, "a2", false);
    pt_close_all(ctx, rep, req2, NULL);
}

ZT_TEST(reqrep, req_blocks_without_a_peer, 10)
{
    void *ctx = zaio_ctx_new();
    void *req = pt_socket(ctx, ZAIO_REQ);
    zt_assert(zaio_send(req, "q", 1, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN, "EAGAIN");
    /* nothing went out: the state is unchanged and a peer can still get the request */
    void *rep = pt_socket(ctx, ZAIO_REP);
    pt_bind(rep, "inproc://later");
    pt_connect(req, "inproc://later");
    pt_send(req, "q", 0);
    pt_recv_is(rep, "q", false);
    pt_send(rep, "a", 0);
    pt_recv_is(req, "a", false);
    pt_close_all(ctx, req, rep, NULL);
}

/* REQ_RELAXED lets a second request go before the first is answered; REQ_CORRELATE
 * tags each with an id the ROUTER sees and echoes, so the late answer to the first is
 * dropped and the second's is taken. Without CORRELATE the late answer would pass. */
ZT_TEST(reqrep, relaxed_and_correlated_req_drops_the_late_reply, 10)
{
    void *ctx = zaio_ctx_new();
    void *router = pt_socket(ctx, ZAIO_ROUTER);
    pt_bind(router, "inproc://correlate");
    void *req = pt_socket(ctx, ZAIO_REQ);
    zt_assert(zaio_setsockopt(req, ZAIO_ROUTING_ID, "R", 1) == 0, "id");
    pt_connect(req, "inproc://correlate");
    pt_send(req, "q0", 0);
    zt_assert(!(pt_events(req) & ZAIO_POLLOUT), "strict: no POLLOUT while a reply is due");
    zt_assert(zaio_send(req, "again", 5, ZAIO_DONTWAIT) == -1 && zaio_errno() == ZAIO_EFSM,
              "strict by default: EFSM");
    pt_setint(req, ZAIO_REQ_RELAXED, 1);
    pt_setint(req, ZAIO_REQ_CORRELATE, 1);
    zt_assert(pt_events(req) & ZAIO_POLLOUT, "relaxed: a new request may go now");
    pt_send(req, "q1", 0); /* relaxed: allowed though q0 has no answer */
    pt_send(req, "q2", 0);
    pt_recv_is(router, "R", true); /* q0 went before CORRELATE: no id */
    pt_recv_is(router, "", true);
    pt_recv_is(router, "q0", false);
    uint8_t id[2][8];
    for (int i = 0; i < 2; i++) {
        pt_recv_is(router, "R", true);
        zt_assert(zaio_recv(router, id[i], sizeof id[i], 0) == 4, "a 4-byte request id");
        pt_recv_is(router, "", true);
        pt_recv_is(router, i ? "q2" : "q1", false);
    }
    zt_assert(memcmp(id[0], id[1], 4) != 0, "each request has its own id");
    pt_send(router, "R", ZAIO_SNDMORE); /* the answers to q0 and q1 come first */
    pt_send(router, "", ZAIO_SNDMORE);
    pt_send(router, "a0", 0);
    for (int i = 0; i < 2; i++) {
        pt_send(router, "R", ZAIO_SNDMORE);
        pt_sendb(router, id[i], 4, ZAIO_SNDMORE);
        pt_send(router, "", ZAIO_SNDMORE);
        pt_send(router, i ? "a2" : "a1", 0);
    }
    pt_recv_is(req, "a2", false); /* a0 and a1 were dropped on the way */
    char buf[8];
    zt_assert(zaio_recv(req, buf, sizeof buf, ZAIO_DONTWAIT) == -1 && zaio_errno() == ZAIO_EFSM,
              "the reply is in: the next step is a request");
    int v = 0;
    zt_assert(zaio_setsockopt(router, ZAIO_REQ_CORRELATE, &v, sizeof v) == -1 &&
                  zaio_errno() == EINVAL,
              "only a REQ has REQ_CORRELATE");
    pt_close_all(ctx, req, router, NULL);
}
