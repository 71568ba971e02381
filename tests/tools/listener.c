/* The test listener: one thread, poll() over the listening socket and its connections. */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char tl_http_reply[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

struct tl_listener {
    tl_behaviour how;
    unsigned close_ms;
    const uint8_t *send_data;
    size_t send_len;
    int lfd, wake[2];
    unsigned port;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned nconns, nended;
    tl_conn conns[TL_MAX_CONNS];
    int fds[TL_MAX_CONNS];
    uint64_t close_at[TL_MAX_CONNS];
    struct pollfd pfd[TL_MAX_CONNS + 2];
    unsigned idx[TL_MAX_CONNS + 2];
};

static uint64_t tl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Caller holds mu. */
static void tl_end(tl_listener *l, unsigned i, int how, int rst)
{
    if (rst) {
        struct linger lg = { 1, 0 };
        setsockopt(l->fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(l->fds[i]);
    l->fds[i] = -1;
    l->conns[i].ended = how;
    l->nended++;
    pthread_cond_broadcast(&l->cv);
}

static void tl_accept(tl_listener *l)
{
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int fd = accept4(l->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    pthread_mutex_lock(&l->mu);
    if (l->nconns == TL_MAX_CONNS) {
        pthread_mutex_unlock(&l->mu);
        close(fd);
        return;
    }
    unsigned i = l->nconns++;
    l->fds[i] = fd;
    l->conns[i].peer_ip = ntohl(peer.sin_addr.s_addr);
    l->close_at[i] = tl_now_ms() + l->close_ms;
    if (l->how == TL_RST)
        tl_end(l, i, 3, 1);
    else if (l->how == TL_FIN)
        tl_end(l, i, 3, 0);
    else if (l->how == TL_SEND) {
        /* Blocking, so that all of it goes however small the socket buffer: the probe
         * reads it concurrently on its own thread. */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        for (size_t off = 0; off < l->send_len;) {
            ssize_t k = send(fd, l->send_data + off, l->send_len - off, MSG_NOSIGNAL);
            if (k <= 0)
                break;
            off += (size_t)k;
        }
        tl_end(l, i, 3, 0);
    }
    pthread_mutex_unlock(&l->mu);
}

static void tl_readable(tl_listener *l, unsigned i)
{
    uint8_t buf[1024];
    ssize_t n = recv(l->fds[i], buf, sizeof buf, 0);
    pthread_mutex_lock(&l->mu);
    tl_conn *c = &l->conns[i];
    if (n > 0) {
        uint32_t keep = c->bytes < TL_CAPTURE ? TL_CAPTURE - c->bytes : 0;
        if (keep > (uint32_t)n)
            keep = (uint32_t)n;
        memcpy(c->first + c->bytes, buf, keep);
        c->bytes += (uint32_t)n;
        if (l->how == TL_HTTP && c->bytes <= TL_CAPTURE && c->bytes >= 4 &&
            memcmp(c->first + c->bytes - 4, "\r\n\r\n", 4) == 0) {
            (void)send(l->fds[i], tl_http_reply, sizeof tl_http_reply - 1, MSG_NOSIGNAL);
            tl_end(l, i, 3, 0);
        }
    } else if (n == 0) {
        tl_end(l, i, 1, 0);
    } else if (errno != EAGAIN && errno != EINTR) {
        tl_end(l, i, errno == ECONNRESET ? 2 : 3, 0);
    }
    pthread_mutex_unlock(&l->mu);
}

static void *tl_main(void *arg)
{
    tl_listener *l = arg;
    struct pollfd *pfd = l->pfd;
    unsigned *idx = l->idx;
    for (;;) {
        int n = 0, timeout = -1;
        uint64_t now = tl_now_ms();
        pfd[n++] = (struct pollfd){ .fd = l->wake[0], .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = l->lfd, .events = POLLIN };
        pthread_mutex_lock(&l->mu);
        for (unsigned i = 0; i < l->nconns; i++) {
            if (l->fds[i] < 0)
                continue;
            if (l->how == TL_CLOSE_AFTER) {
                if (l->close_at[i] <= now) {
                    tl_end(l, i, 3, 0);
                    continue;
                }
                int left = (int)(l->close_at[i] - now);
                timeout = timeout < 0 || left < timeout ? left : timeout;
            }
            idx[n] = i;
            pfd[n++] = (struct pollfd){ .fd = l->fds[i], .events = POLLIN };
        }
        pthread_mutex_unlock(&l->mu);
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents)
            break;
        if (pfd[1].revents & POLLIN)
            tl_accept(l);
        for (int k = 2; k < n; k++)
            if (pfd[k].revents)
                tl_readable(l, idx[k]);
    }
    return NULL;
}

static tl_listener *tl_start_with(tl_behaviour b, unsigned close_ms, const void *data,
                                  size_t data_len)
{
    tl_listener *l = calloc(1, sizeof *l);
    l->how = b;
    l->close_ms = close_ms;
    l->send_data = data;
    l->send_len = data_len;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pipe(l->wake) != 0)
        abort();
    l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(l->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(l->lfd, 4096) != 0 ||
        getsockname(l->lfd, (struct sockaddr *)&a, &len) != 0)
        abort();
    l->port = ntohs(a.sin_port);
    pthread_create(&l->thread, NULL, tl_main, l);
    return l;
}

tl_listener *tl_start(tl_behaviour b, unsigned close_ms)
{
    return tl_start_with(b, close_ms, NULL, 0);
}

tl_listener *tl_start_send(const void *data, size_t len)
{
    return tl_start_with(TL_SEND, 0, data, len);
}

unsigned tl_port(const tl_listener *l)
{
    return l->port;
}

unsigned tl_wait_ended(tl_listener *l, unsigned n, unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&l->mu);
    while (l->nended < n && pthread_cond_timedwait(&l->cv, &l->mu, &until) == 0)
        ;
    unsigned got = l->nended;
    pthread_mutex_unlock(&l->mu);
    return got;
}

unsigned tl_stop(tl_listener *l, tl_conn *out, unsigned max)
{
    (void)!write(l->wake[1], "x", 1);
    pthread_join(l->thread, NULL);
    unsigned n = l->nconns < max ? l->nconns : max;
    if (out)
        memcpy(out, l->conns, n * sizeof *out);
    for (unsigned i = 0; i < l->nconns; i++)
        if (l->fds[i] >= 0)
            close(l->fds[i]);
    close(l->lfd);
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
    return n;
}

unsigned tl_count_ended(const tl_conn *c, unsigned n, int how)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += c[i].ended == how;
    return k;
}

unsigned tl_count_peer(const tl_conn *c, unsigned n, const char *ip)
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += c[i].peer_ip == ntohl(a.s_addr);
    return k;
}

unsigned tl_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}
