/* Running out of file descriptors: a listener whose accepts fail with EMFILE reports it
 * (ACCEPT_FAILED, EMFILE), backs off instead of spinning, keeps serving the connections
 * it has, and accepts again once descriptors are free. The process's own limit is
 * lowered for the test (both ends live here, so the probes' sockets use it up too). */
#include "tcp_helpers.h"

#include <fcntl.h>
#include <sys/resource.h>

/* How many descriptors the process has open now. */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

/* A non-blocking connect: the kernel completes it into the listener's backlog whether
 * or not the server can accept it. -1 when the process is out of descriptors itself. */
static int raw_connect_nb(const struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)a, sizeof *a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

ZT_TEST(emfile, accept_backs_off_and_recovers, 60)
{
    void *ctx = zaio_ctx_new();
    void *pull, *push;
    char ep[256];
    th_tcp_pair(ctx, ZAIO_PULL, ZAIO_PUSH, &pull, &push, ep, sizeof ep);
    th_send_str(push, "before", 0);
    th_recv_str(pull, "before");
    void *mon = th_monitor(ctx, pull, "inproc://mon-emfile", ZAIO_EVENT_ACCEPT_FAILED);

    struct rlimit old;
    zt_assert(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit");
    struct rlimit low = old;
    low.rlim_cur = (rlim_t)open_fds() + 24;
    zt_assert(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit %llu", (unsigned long long)low.rlim_cur);

    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_port = htons((uint16_t)atoi(strrchr(ep, ':') + 1));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int cli[64], n = 0;
    while (n < 64 && (cli[n] = raw_connect_nb(&a)) >= 0)
        n++;
    zt_assert(n > 0 && n < 64, "the client side ran out after %d connects", n);

    /* what the server holds: each accepted one took a descriptor, the rest wait */
    uint32_t v = 0;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_ACCEPT_FAILED, 5000, &v) && v == EMFILE,
              "ACCEPT_FAILED with EMFILE (got %u)", v);
    /* backing off, not spinning: a handful of failures in a second, not thousands */
    int64_t t0 = th_now_ms();
    int again = 0;
    while (th_now_ms() - t0 < 1000)
        if (th_event(mon, (int)(1000 - (th_now_ms() - t0)), &v) == ZAIO_EVENT_ACCEPT_FAILED)
            again++;
    zt_assert(again < 50, "%d accept failures in a second: the listener spins", again);
    /* the connection it has still works */
    th_send_str(push, "during", 0);
    th_recv_str(pull, "during");

    /* descriptors come back: the waiting connections are accepted, new ones too */
    for (int i = 0; i < n; i++)
        close(cli[i]);
    zt_assert(setrlimit(RLIMIT_NOFILE, &old) == 0, "restore the limit");
    void *push2 = th_socket(ctx, ZAIO_PUSH);
    th_connect(push2, ep);
    th_send_str(push2, "after", 0);
    th_recv_str(pull, "after");

    zaio_close(push2);
    zaio_close(mon);
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}
