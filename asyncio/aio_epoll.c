/* aio_epoll.c - completions emulated on epoll readiness (Linux fallback backend).
 *
 * Each socket is registered once, edge-triggered, for both directions. Submitting an op
 * tries the system call at once; only when it would block does the record wait for the
 * next edge. The attempt and the decision to wait happen under the port lock, and so
 * does the handling of events, so an edge that arrives between a failed attempt and the
 * wait is never lost: the event is handled after the wait flag is set.
 *
 * An op that fails at once (a recv on a connection the peer reset before it was read:
 * the probe case) is a synchronous submit failure, and goes back to the core as such. */
#include "aio_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define EP_WAIT_IN 0x1u
#define EP_WAIT_OUT 0x2u
#define EP_REGISTERED 0x4u

typedef struct ep_port {
    int epfd;
    int evfd; /* wake-ups; its epoll data is NULL */
} ep_port;

static ep_port *ep(aio_port *p) { return p->bk; }

static int ep_port_init(aio_port *p)
{
    ep_port *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0) {
        int err = -errno;
        free(e);
        return err;
    }
    e->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (e->evfd < 0 || epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->evfd, &ev) != 0) {
        int err = -errno;
        if (e->evfd >= 0)
            close(e->evfd);
        close(e->epfd);
        free(e);
        return err;
    }
    p->bk = e;
    return 0;
}

static void ep_port_fini(aio_port *p)
{
    ep_port *e = ep(p);
    close(e->evfd);
    close(e->epfd);
    free(e);
    p->bk = NULL;
}

static int ep_register(aio_socket *s)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = s};
    /* before the add: the poller may see the socket's first event (a listener's, at
     * once) and read these flags as soon as epoll_ctl has it; the add is what orders
     * the write before that read (ThreadSanitizer saw it the other way round) */
    s->bk_flags |= EP_REGISTERED;
    if (epoll_ctl(ep(s->port)->epfd, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
        s->bk_flags &= ~EP_REGISTERED;
        return -errno;
    }
    return 0;
}

static int ep_socket_open(aio_socket *s, int family)
{
    s->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return -errno;
    int rc = ep_register(s);
    if (rc < 0) {
        close(s->fd);
        s->fd = AIO_FD_NONE;
    }
    return rc;
}

static int ep_accept_socket_open(aio_socket *l, aio_socket *as)
{
    (void)l; /* the kernel creates the socket at accept time */
    (void)as;
    return 0;
}

static int ep_socket_adopt(aio_socket *s) { return ep_register(s); }

/* One non-blocking try. 1: done (completed), 0: would block, <0: failed (not completed). */
static int ep_attempt(aio_rec *r)
{
    aio_socket *s = r->sock;
    ssize_t n;
    switch (r->op) {
    case AIO_OP_ACCEPT: {
        r->addrlen = sizeof r->addr;
        int fd = accept4(s->fd, (struct sockaddr *)&r->addr, &r->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
        r->accept_sock->fd = fd;
        aio__complete(r, 0, 0);
        return 1;
    }
    case AIO_OP_CONNECT: {
        int err = 0;
        if (!(s->bk_flags & EP_WAIT_OUT)) {
            if (connect(s->fd, (struct sockaddr *)&r->addr, r->addrlen) != 0)
                err = errno;
            if (err == EINPROGRESS || err == EINTR)
                return 0;
        } else {
            socklen_t len = sizeof err;
            if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
            if (err == 0) {
                /* an edge without a result yet: connected only once getpeername agrees */
                struct sockaddr_storage peer;
                socklen_t plen = sizeof peer;
                if (getpeername(s->fd, (struct sockaddr *)&peer, &plen) != 0)
                    return errno == ENOTCONN ? 0 : -errno;
            }
        }
        if (err)
            return -err;
        aio__complete(r, 0, 0);
        return 1;
    }
    case AIO_OP_RECV:
        if (r->niov == 1) {
            n = recv(s->fd, (char *)aio_buf_data(r->iov[0].buf) + r->iov[0].off, r->iov[0].len, 0);
        } else {
            aio__posix_fill_msg(r);
            n = recvmsg(s->fd, &r->msg, 0);
        }
        break;
    case AIO_OP_SEND:
        aio__posix_fill_msg(r);
        n = sendmsg(s->fd, &r->msg, MSG_NOSIGNAL);
        break;
    default:
        return -EINVAL;
    }
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
    aio__complete(r, 0, (size_t)n);
    return 1;
}

static unsigned wait_flag(const aio_rec *r) { return r == &r->sock->in ? EP_WAIT_IN : EP_WAIT_OUT; }

static int ep_submit(aio_rec *r)
{
    /* every op tries at once, which is all AIO_FAULT_SYNC_SUCCESS asks of this backend */
    int rc = ep_attempt(r);
    if (rc < 0)
        return rc;
    if (rc == 0)
        r->sock->bk_flags |= wait_flag(r);
    return 0;
}

static void ep_cancel(aio_rec *r)
{
    /* a waiting op is ours alone: cancelling it is completing it */
    r->sock->bk_flags &= ~wait_flag(r);
    aio__complete(r, -ECANCELED, 0);
}

static void ep_socket_closing(aio_socket *s)
{
    if (s->bk_flags & EP_REGISTERED) {
        epoll_ctl(ep(s->port)->epfd, EPOLL_CTL_DEL, s->fd, NULL);
        s->bk_flags &= ~EP_REGISTERED;
    }
}

static void ep_socket_free(aio_socket *s)
{
    if (s->fd != AIO_FD_NONE)
        close(s->fd);
    s->fd = AIO_FD_NONE;
}

static void ep_ready(aio_rec *r)
{
    int rc = ep_attempt(r);
    if (rc == 0)
        return; /* spurious edge: keep waiting */
    r->sock->bk_flags &= ~wait_flag(r);
    if (rc < 0)
        aio__complete(r, rc, 0);
}

static int ep_wait(aio_port *p, int timeout_ms)
{
    struct epoll_event evs[128];
    int n = epoll_wait(ep(p)->epfd, evs, 128, timeout_ms);
    int err = n < 0 ? -errno : 0;
    aio__lock(&p->lock);
    p->poller_blocked = false;
    for (int i = 0; i < n; i++) {
        aio_socket *s = evs[i].data.ptr;
        uint32_t e = evs[i].events;
        if (!s) {
            uint64_t v;
            ssize_t rd = read(ep(p)->evfd, &v, sizeof v); /* drain: level-triggered */
            (void)rd;
            continue;
        }
        if (s->closing)
            continue; /* removed from the set already; its ops were cancelled */
        if ((s->bk_flags & EP_WAIT_IN) && (e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
            ep_ready(&s->in);
        if ((s->bk_flags & EP_WAIT_OUT) && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            ep_ready(&s->out);
    }
    aio__unlock(&p->lock);
    return err == -EINTR ? 0 : err;
}

static void ep_wake(aio_port *p)
{
    uint64_t one = 1;
    ssize_t wr = write(ep(p)->evfd, &one, sizeof one);
    (void)wr; /* EAGAIN means a wake-up is pending already */
}

const aio_backend_ops aio__epoll_ops = {
    .name = "epoll",
    .port_init = ep_port_init,
    .port_fini = ep_port_fini,
    .socket_open = ep_socket_open,
    .accept_socket_open = ep_accept_socket_open,
    .socket_adopt = ep_socket_adopt,
    .submit = ep_submit,
    .cancel = ep_cancel,
    .socket_closing = ep_socket_closing,
    .socket_free = ep_socket_free,
    .wait = ep_wait,
    .wake = ep_wake,
    .send_now = aio__posix_send_now,
};
