/* A small CZMQ service, written as a CZMQ user writes one and built against Debian's
 * libczmq, which is linked against libzmq.so.5: run under zaio-run it runs on zaio.
 *
 * An echo service in a zactor (a ROUTER over tcp://127.0.0.1:*, the actor's pipe for
 * commands, both in one zpoller), and three DEALER clients that send multipart zmsgs
 * and expect each back whole, in order. Exits 0 when all came back and every socket
 * and actor ended cleanly; prints which library it ran on (zmq_has("zaio") is 1 only on
 * zaio's libzmq.so.5), and with --expect-zaio fails when that is not zaio. */
#include <czmq.h>
#include <stdio.h>
#include <string.h>

enum { CLIENTS = 3, ROUNDS = 200 };

static void echo_actor(zsock_t *pipe, void *args)
{
    (void)args;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    int port = router ? zsock_bind(router, "tcp://127.0.0.1:*") : -1;
    zsock_signal(pipe, 0);
    zstr_sendf(pipe, "%d", port);
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    bool running = port > 0 && poller;
    while (running) {
        zsock_t *which = (zsock_t *)zpoller_wait(poller, -1);
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            running = !(cmd && streq(cmd, "$TERM"));
            zstr_free(&cmd);
        } else if (which == router) {
            zmsg_t *msg = zmsg_recv(router); /* [client id][parts...] */
            if (msg)
                zmsg_send(&msg, router);
        } else {
            running = false; /* interrupted or the context went */
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&router);
}

static int run_client(int port, int n)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    if (!dealer || zsock_connect(dealer, "tcp://127.0.0.1:%d", port) != 0)
        return -1;
    zsock_set_rcvtimeo(dealer, 10000);
    int ok = 0;
    for (int i = 0; i < ROUNDS; i++) {
        zmsg_t *m = zmsg_new();
        zmsg_addstrf(m, "client %d", n);
        zmsg_addstrf(m, "round %d", i);
        zmsg_addmem(m, "", 0);
        zmsg_send(&m, dealer);
        zmsg_t *r = zmsg_recv(dealer);
        if (!r)
            break;
        char *a = zmsg_popstr(r), *b = zmsg_popstr(r);
        zframe_t *c = zmsg_pop(r);
        char wa[32], wb[32];
        snprintf(wa, sizeof wa, "client %d", n);
        snprintf(wb, sizeof wb, "round %d", i);
        if (a && b && c && streq(a, wa) && streq(b, wb) && zframe_size(c) == 0 && zmsg_size(r) == 0)
            ok++;
        zstr_free(&a);
        zstr_free(&b);
        zframe_destroy(&c);
        zmsg_destroy(&r);
    }
    zsock_destroy(&dealer);
    return ok;
}

int main(int argc, char **argv)
{
    bool expect_zaio = argc > 1 && streq(argv[1], "--expect-zaio");
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    bool on_zaio = zmq_has("zaio") == 1;
    printf("czmq_service: libzmq API %d.%d.%d, running on %s\n", major, minor, patch,
           on_zaio ? "zaio" : "libzmq");
    if (expect_zaio && !on_zaio) {
        printf("czmq_service: FAIL: this is not zaio's libzmq.so.5\n");
        return 1;
    }
    zactor_t *echo = zactor_new(echo_actor, NULL);
    char *port_s = zstr_recv(echo);
    int port = port_s ? atoi(port_s) : -1;
    zstr_free(&port_s);
    int total = 0;
    if (port > 0)
        for (int c = 0; c < CLIENTS; c++)
            total += run_client(port, c);
    zactor_destroy(&echo);
    zsys_shutdown();
    bool pass = port > 0 && total == CLIENTS * ROUNDS;
    printf("czmq_service: %d of %d echoes whole and in order: %s\n", total, CLIENTS * ROUNDS,
           pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
