/* zaio_poller_*: sockets and descriptors in one set, modify and remove, wait and
 * wait_all with their events in the order the items were added, the timeout (EAGAIN),
 * ETERM, and libzmq's errors for duplicates, unknown items and bad arguments. */
#include "tcp_helpers.h"

#include <pthread.h>

static const zaio_poller_event_t garbage = {(void *)1, 12345, (void *)2, 0x7f};

static void pair_inproc(void *ctx, const char *ep, void **a, void **b)
{
    *a = th_socket(ctx, ZAIO_PAIR);
    *b = th_socket(ctx, ZAIO_PAIR);
    char last[64];
    th_bind(*a, ep, last, sizeof last);
    th_connect(*b, ep);
}

ZT_TEST(poller, sockets_and_descriptors, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_inproc(ctx, "inproc://poller-a", &a, &b);
    int p[2];
    zt_assert(pipe(p) == 0, "pipe");
    void *pl = zaio_poller_new();
    zt_assert(pl, "new");
    int tag_a, tag_p;
    zt_assert(zaio_poller_add(pl, a, &tag_a, ZAIO_POLLIN) == 0, "add socket");
    zt_assert(zaio_poller_add_fd(pl, p[0], &tag_p, ZAIO_POLLIN) == 0, "add fd");
    zt_assert(zaio_poller_size(pl) == 2, "size %d", zaio_poller_size(pl));

    zaio_poller_event_t ev = garbage;
    zt_assert(zaio_poller_wait(pl, &ev, 0) == -1 && zaio_errno() == EAGAIN, "nothing yet");
    zt_assert(ev.socket == NULL && ev.fd == -1 && ev.user_data == NULL && ev.events == 0,
              "a failed wait clears its event");

    th_send_str(b, "hello", 0);
    zt_assert(zaio_poller_wait(pl, &ev, 5000) == 0, "wait: %s", zaio_strerror(zaio_errno()));
    zt_assert(ev.socket == a && ev.fd == -1 && ev.user_data == &tag_a && ev.events == ZAIO_POLLIN,
              "the socket's event: %p %d %p %d", ev.socket, ev.fd, ev.user_data, ev.events);

    /* both ready: reported in the order they were added, the rest cleared */
    zt_assert(write(p[1], "x", 1) == 1, "write");
    zaio_poller_event_t evs[4] = {garbage, garbage, garbage, garbage};
    zt_assert(zaio_poller_wait_all(pl, evs, 4, 5000) == 2, "two events");
    zt_assert(evs[0].socket == a && evs[0].user_data == &tag_a, "the socket first");
    zt_assert(evs[1].socket == NULL && evs[1].fd == p[0] && evs[1].user_data == &tag_p &&
                  evs[1].events == ZAIO_POLLIN, "then the descriptor");
    zt_assert(evs[2].socket == NULL && evs[2].user_data == NULL && evs[2].events == 0 &&
                  evs[3].events == 0, "the unused events are cleared");
    /* room for one: the first */
    zt_assert(zaio_poller_wait_all(pl, evs, 1, 0) == 1 && evs[0].socket == a, "one of two");

    th_recv_str(a, "hello");
    char c;
    zt_assert(read(p[0], &c, 1) == 1, "read");
    zt_assert(zaio_poller_wait_all(pl, evs, 4, 0) == -1 && zaio_errno() == EAGAIN, "drained");

    zt_assert(zaio_poller_destroy(&pl) == 0 && pl == NULL, "destroy");
    close(p[0]);
    close(p[1]);
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

ZT_TEST(poller, modify_and_remove, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_inproc(ctx, "inproc://poller-m", &a, &b);
    int p[2];
    zt_assert(pipe(p) == 0, "pipe");
    void *pl = zaio_poller_new();
    zt_assert(zaio_poller_add(pl, a, NULL, ZAIO_POLLIN) == 0, "add");
    zaio_poller_event_t ev;
    zt_assert(zaio_poller_wait(pl, &ev, 0) == -1 && zaio_errno() == EAGAIN, "not readable");
    zt_assert(zaio_poller_modify(pl, a, ZAIO_POLLIN | ZAIO_POLLOUT) == 0, "modify");
    zt_assert(zaio_poller_wait(pl, &ev, 5000) == 0 && ev.socket == a && ev.events == ZAIO_POLLOUT,
              "a connected PAIR is writable: %d", ev.events);
    zt_assert(zaio_poller_modify(pl, a, 0) == 0, "no events");
    zt_assert(zaio_poller_wait(pl, &ev, 0) == -1 && zaio_errno() == EAGAIN, "asks for nothing");

    /* a descriptor: the write end of a pipe is writable */
    zt_assert(zaio_poller_add_fd(pl, p[1], NULL, ZAIO_POLLIN) == 0, "add fd");
    zt_assert(zaio_poller_wait(pl, &ev, 0) == -1 && zaio_errno() == EAGAIN, "not readable");
    zt_assert(zaio_poller_modify_fd(pl, p[1], ZAIO_POLLOUT) == 0, "modify fd");
    zt_assert(zaio_poller_wait(pl, &ev, 5000) == 0 && ev.fd == p[1] && ev.events == ZAIO_POLLOUT,
              "writable");

    zt_assert(zaio_poller_remove_fd(pl, p[1]) == 0 && zaio_poller_size(pl) == 1, "remove fd");
    zt_assert(zaio_poller_remove_fd(pl, p[1]) == -1 && zaio_errno() == EINVAL, "removed twice");
    zt_assert(zaio_poller_modify_fd(pl, p[1], ZAIO_POLLIN) == -1 && zaio_errno() == EINVAL,
              "modify a removed fd");
    zt_assert(zaio_poller_remove(pl, a) == 0 && zaio_poller_size(pl) == 0, "remove");
    zt_assert(zaio_poller_remove(pl, a) == -1 && zaio_errno() == EINVAL, "removed twice");
    zt_assert(zaio_poller_modify(pl, a, ZAIO_POLLIN) == -1 && zaio_errno() == EINVAL,
              "modify a removed socket");
    /* and it can come back */
    zt_assert(zaio_poller_add(pl, a, NULL, ZAIO_POLLOUT) == 0, "add again");
    zt_assert(zaio_poller_wait(pl, &ev, 5000) == 0 && ev.socket == a, "polled again");

    zaio_poller_destroy(&pl);
    close(p[0]);
    close(p[1]);
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

ZT_TEST(poller, wait_all_fills_several, 10)
{
    void *ctx = zaio_ctx_new();
    enum { N = 5 };
    void *pull[N], *push[N];
    void *pl = zaio_poller_new();
    for (int i = 0; i < N; i++) {
        char ep[64], last[64];
        snprintf(ep, sizeof ep, "inproc://poller-w%d", i);
        pull[i] = th_socket(ctx, ZAIO_PULL);
        push[i] = th_socket(ctx, ZAIO_PUSH);
        th_bind(pull[i], ep, last, sizeof last);
        th_connect(push[i], ep);
        zt_assert(zaio_poller_add(pl, pull[i], pull[i], ZAIO_POLLIN) == 0, "add %d", i);
    }
    /* three of five readable, the middle ones and the last */
    int ready[] = {1, 2, 4};
    for (size_t k = 0; k < 3; k++)
        th_send_str(push[ready[k]], "m", 0);
    zaio_poller_event_t evs[N];
    zt_assert(zaio_poller_wait_all(pl, evs, N, 5000) == 3, "three: %s", zaio_strerror(zaio_errno()));
    for (size_t k = 0; k < 3; k++)
        zt_assert(evs[k].socket == pull[ready[k]] && evs[k].user_data == pull[ready[k]] &&
                      evs[k].events == ZAIO_POLLIN, "event %zu", k);
    zt_assert(zaio_poller_wait_all(pl, evs, 2, 0) == 2 && evs[1].socket == pull[2], "two of three");
    zaio_poller_destroy(&pl);
    for (int i = 0; i < N; i++) {
        zaio_close(pull[i]);
        zaio_close(push[i]);
    }
    th_term(ctx);
}

/* Over TCP a message arrives from the I/O thread: the poller must wake for it. */
ZT_TEST(poller, wakes_for_tcp, 10)
{
    void *ctx = zaio_ctx_new();
    void *b, *c;
    char ep[64];
    th_tcp_pair(ctx, ZAIO_PAIR, ZAIO_PAIR, &b, &c, ep, sizeof ep);
    void *pl = zaio_poller_new();
    zt_assert(zaio_poller_add(pl, b, NULL, ZAIO_POLLIN) == 0, "add");
    zt_assert(zaio_poller_add(pl, c, NULL, ZAIO_POLLIN) == 0, "add");
    th_send_str(c, "over tcp", 0);
    zaio_poller_event_t ev;
    zt_assert(zaio_poller_wait(pl, &ev, 5000) == 0 && ev.socket == b && ev.events == ZAIO_POLLIN,
              "woke: %s", zaio_strerror(zaio_errno()));
    th_recv_str(b, "over tcp");
    zaio_poller_destroy(&pl);
    zaio_close(b);
    zaio_close(c);
    th_term(ctx);
}

ZT_TEST(poller, timeout_is_eagain, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_inproc(ctx, "inproc://poller-t", &a, &b);
    void *pl = zaio_poller_new();
    zaio_poller_add(pl, a, NULL, ZAIO_POLLIN);
    zaio_poller_event_t evs[2];
    int64_t t0 = th_now_ms();
    zt_assert(zaio_poller_wait_all(pl, evs, 2, 100) == -1 && zaio_errno() == EAGAIN, "timeout");
    int64_t took = th_now_ms() - t0;
    zt_assert(took >= 95, "waited %lld ms of 100", (long long)took);
    /* an empty poller waits out a finite timeout too, and refuses to wait forever */
    void *empty = zaio_poller_new();
    t0 = th_now_ms();
    zt_assert(zaio_poller_wait(empty, evs, 50) == -1 && zaio_errno() == EAGAIN, "empty, 50 ms");
    zt_assert(th_now_ms() - t0 >= 45, "slept");
    zt_assert(zaio_poller_wait(empty, evs, -1) == -1 && zaio_errno() == EFAULT, "empty, forever");
    zaio_poller_destroy(&empty);
    zaio_poller_destroy(&pl);
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

typedef struct waiter {
    void *poller;
    int rc, err;
} waiter;

static void *wait_forever(void *arg)
{
    waiter *w = arg;
    zaio_poller_event_t ev;
    w->rc = zaio_poller_wait(w->poller, &ev, -1);
    w->err = zaio_errno();
    return NULL;
}

ZT_TEST(poller, eterm_when_the_context_ends, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = th_socket(ctx, ZAIO_PULL);
    char last[64];
    th_bind(a, "inproc://poller-e", last, sizeof last);
    waiter w = {zaio_poller_new(), 0, 0};
    zaio_poller_add(w.poller, a, NULL, ZAIO_POLLIN);
    pthread_t t;
    pthread_create(&t, NULL, wait_forever, &w);
    zt_assert(zaio_ctx_shutdown(ctx) == 0, "shutdown");
    pthread_join(t, NULL);
    zt_assert(w.rc == -1 && w.err == ZAIO_ETERM, "rc %d errno %d", w.rc, w.err);
    zaio_poller_destroy(&w.poller);
    zaio_close(a);
    th_term(ctx);
}

ZT_TEST(poller, errors_as_libzmq, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_inproc(ctx, "inproc://poller-x", &a, &b);
    void *pl = zaio_poller_new();
    zt_assert(zaio_poller_add(pl, a, NULL, ZAIO_POLLIN) == 0, "add");
    zt_assert(zaio_poller_add(pl, a, NULL, ZAIO_POLLOUT) == -1 && zaio_errno() == EINVAL,
              "a socket twice");
    zt_assert(zaio_poller_add_fd(pl, 0, NULL, ZAIO_POLLIN) == 0, "add fd 0");
    zt_assert(zaio_poller_add_fd(pl, 0, NULL, ZAIO_POLLIN) == -1 && zaio_errno() == EINVAL,
              "a descriptor twice");
    zt_assert(zaio_poller_size(pl) == 2, "the duplicates were not added");
    zt_assert(zaio_poller_modify(pl, b, ZAIO_POLLIN) == -1 && zaio_errno() == EINVAL,
              "modify a socket never added");
    zt_assert(zaio_poller_remove(pl, b) == -1 && zaio_errno() == EINVAL, "remove one never added");
    zt_assert(zaio_poller_remove_fd(pl, 1) == -1 && zaio_errno() == EINVAL, "fd never added");
    int not_a_socket = 0;
    zt_assert(zaio_poller_add(pl, &not_a_socket, NULL, ZAIO_POLLIN) == -1 &&
                  zaio_errno() == ENOTSOCK, "not a socket");
    zt_assert(zaio_poller_add(pl, NULL, NULL, ZAIO_POLLIN) == -1 && zaio_errno() == ENOTSOCK,
              "NULL socket");
    zt_assert(zaio_poller_add_fd(pl, -1, NULL, ZAIO_POLLIN) == -1 && zaio_errno() == EBADF,
              "fd -1");
    zt_assert(zaio_poller_add(pl, b, NULL, 0x100) == -1 && zaio_errno() == EINVAL, "bad events");
    zt_assert(zaio_poller_modify(pl, a, 0x40) == -1 && zaio_errno() == EINVAL, "bad events");
    zt_assert(zaio_poller_add(NULL, a, NULL, ZAIO_POLLIN) == -1 && zaio_errno() == EFAULT,
              "NULL poller");
    zt_assert(zaio_poller_add(&not_a_socket, a, NULL, ZAIO_POLLIN) == -1 &&
                  zaio_errno() == EFAULT, "not a poller");
    zt_assert(zaio_poller_size(NULL) == -1 && zaio_errno() == EFAULT, "size of NULL");
    zaio_poller_event_t evs[1];
    zt_assert(zaio_poller_wait(pl, NULL, 0) == -1 && zaio_errno() == EFAULT, "no event");
    zt_assert(zaio_poller_wait_all(pl, evs, -1, 0) == -1 && zaio_errno() == EINVAL, "n_events -1");
    zaio_fd_t fd;
    zt_assert(zaio_poller_fd(pl, &fd) == -1 && zaio_errno() == EINVAL, "no thread-safe sockets");
    zt_assert(zaio_poller_fd(NULL, &fd) == -1 && zaio_errno() == EFAULT, "fd of NULL");
    zt_assert(zaio_poller_destroy(&pl) == 0, "destroy");
    zt_assert(zaio_poller_destroy(&pl) == -1 && zaio_errno() == EFAULT, "destroy twice");
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}
