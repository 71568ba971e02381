/* Linux sockets, epoll and the monotonic clock for zaio-probe (see probe_net.h). */
#include "probe_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct zprobe_poller {
    int ep;
    struct epoll_event evs[256];
};

uint64_t zprobe_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int zprobe_net_resolve(const char *host, unsigned port, zprobe_addr *out, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char service[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = (socklen_t)res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int zprobe_net_parse_ip(const char *ip, int family, zprobe_addr *out)
{
    memset(out, 0, sizeof *out);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
        if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
            return -1;
        a->sin_family = AF_INET;
        out->len = sizeof *a;
        return 0;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
        if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
            return -1;
        a->sin6_family = AF_INET6;
        out->len = sizeof *a;
        return 0;
    }
    return -1;
}

int zprobe_net_unix(const char *path, zprobe_addr *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
    size_t n = strlen(path);
    if (n == 0 || (path[0] == '@' ? n > sizeof un->sun_path : n >= sizeof un->sun_path))
        return -1;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n);
    if (path[0] == '@')
        un->sun_path[0] = 0; /* abstract: no NUL after the name, it counts by length */
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
    return 0;
}

int zprobe_net_family(const zprobe_addr *a)
{
    return a->ss.ss_family;
}

const char *zprobe_net_strerror(int err)
{
    return strerror(err);
}

zprobe_net_res zprobe_net_connect(const zprobe_addr *to, const zprobe_addr *from, int nodelay,
                                  zprobe_sock *out, int *err)
{
    *out = ZPROBE_NO_SOCK;
    *err = 0;
    int s = socket(to->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
        *err = errno;
        return ZN_ERROR;
    }
    if (from != NULL) {
        /* Leave the port to connect(): bind() alone would pick one unique to the source
         * address, and at hundreds of probes a second those run out long before the
         * (source, target) pairs do. Older kernels lack the option; bind works anyway. */
#ifdef IP_BIND_ADDRESS_NO_PORT
        int one = 1;
        (void)setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        if (bind(s, (const struct sockaddr *)&from->ss, from->len) != 0) {
            *err = errno;
            close(s);
            return ZN_ERROR;
        }
    }
    if (nodelay) {
        int one = 1;
        (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(s, (const struct sockaddr *)&to->ss, to->len) == 0) {
        *out = s;
        return ZN_OK;
    }
    int e = errno;
    if (e == EINPROGRESS || e == EINTR) {
        *out = s;
        return ZN_INPROGRESS;
    }
    close(s);
    *err = e;
    return e == ECONNREFUSED ? ZN_REFUSED : e == ETIMEDOUT ? ZN_TIMEDOUT : ZN_ERROR;
}

zprobe_net_res zprobe_net_connect_result(zprobe_sock s, int *err)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    *err = e;
    switch (e) {
    case 0: return ZN_OK;
    case EINPROGRESS: case EALREADY: return ZN_INPROGRESS;
    case ECONNREFUSED: return ZN_REFUSED;
    case ETIMEDOUT: return ZN_TIMEDOUT;
    case ECONNRESET: return ZN_RESET;
    default: return ZN_ERROR;
    }
}

static zprobe_net_res zprobe_net_io_error(int e, int *err)
{
    *err = e;
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
        return ZN_AGAIN;
    if (e == ECONNRESET || e == EPIPE)
        return ZN_RESET;
    return ZN_ERROR;
}

zprobe_net_res zprobe_net_send(zprobe_sock s, const void *buf, size_t len, size_t *sent, int *err)
{
    *sent = 0;
    *err = 0;
    /* MSG_NOSIGNAL: a write after the server's close must be a result, not SIGPIPE. */
    ssize_t n = send(s, buf, len, MSG_NOSIGNAL);
    if (n >= 0) {
        *sent = (size_t)n;
        return ZN_OK;
    }
    return zprobe_net_io_error(errno, err);
}

zprobe_net_res zprobe_net_recv(zprobe_sock s, void *buf, size_t len, size_t *got, int *err)
{
    *got = 0;
    *err = 0;
    ssize_t n = recv(s, buf, len, 0);
    if (n > 0) {
        *got = (size_t)n;
        return ZN_OK;
    }
    if (n == 0)
        return ZN_CLOSED;
    return zprobe_net_io_error(errno, err);
}

void zprobe_net_close(zprobe_sock s, int rst)
{
    if (rst) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        (void)setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(s);
}

zprobe_poller *zprobe_poller_new(void)
{
    zprobe_poller *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    if (p->ep < 0) {
        free(p);
        return NULL;
    }
    return p;
}

void zprobe_poller_free(zprobe_poller *p)
{
    if (p != NULL) {
        close(p->ep);
        free(p);
    }
}

static int zprobe_poller_ctl(zprobe_poller *p, int op, zprobe_sock s, unsigned ev, uint64_t tag)
{
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    /* RDHUP: learn of the server's FIN even while we have nothing to read. */
    e.events = EPOLLRDHUP;
    if (ev & ZPROBE_EV_IN)
        e.events |= EPOLLIN;
    if (ev & ZPROBE_EV_OUT)
        e.events |= EPOLLOUT;
    e.data.u64 = tag;
    return epoll_ctl(p->ep, op, s, &e);
}

int zprobe_poller_add(zprobe_poller *p, zprobe_sock s, unsigned ev, uint64_t tag)
{
    return zprobe_poller_ctl(p, EPOLL_CTL_ADD, s, ev, tag);
}

int zprobe_poller_mod(zprobe_poller *p, zprobe_sock s, unsigned ev, uint64_t tag)
{
    return zprobe_poller_ctl(p, EPOLL_CTL_MOD, s, ev, tag);
}

void zprobe_poller_del(zprobe_poller *p, zprobe_sock s)
{
    (void)epoll_ctl(p->ep, EPOLL_CTL_DEL, s, NULL);
}

int zprobe_poller_wait(zprobe_poller *p, zprobe_event *evs, int max, int timeout_ms)
{
    int cap = (int)(sizeof p->evs / sizeof p->evs[0]);
    if (max > cap)
        max = cap;
    int n = epoll_wait(p->ep, p->evs, max, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        unsigned ev = 0;
        if (p->evs[i].events & (EPOLLIN | EPOLLRDHUP))
            ev |= ZPROBE_EV_IN;
        if (p->evs[i].events & EPOLLOUT)
            ev |= ZPROBE_EV_OUT;
        if (p->evs[i].events & (EPOLLERR | EPOLLHUP))
            ev |= ZPROBE_EV_ERR;
        evs[i].tag = p->evs[i].data.u64;
        evs[i].ev = ev;
    }
    return n;
}

uint64_t zprobe_net_raise_fd_limit(uint64_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < want && rl.rlim_cur != RLIM_INFINITY) {
        rlim_t to = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? (rlim_t)want : rl.rlim_max;
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = to;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = old;
    }
    return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}
