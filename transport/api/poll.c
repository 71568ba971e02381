/* poll.c - zaio_poll: zaio sockets and plain descriptors in one wait. A zaio socket is
 * watched through its signaler, which fires when another thread posts to it; its real
 * readiness is what the pattern says after the posted commands have run. */
#include "core/ctx.h"
#include "core/socket.h"

#include <errno.h>
#include <stdlib.h>

#ifdef _WIN32
#include <winsock2.h>
#define poll WSAPoll
#else
#include <poll.h>
#endif

#include "core/error.h"

static int ready_now(zaio_pollitem_t *items, int n)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        items[i].revents = 0;
        zsock *s = items[i].socket;
        if (!s)
            continue;
        if (s->tag != ZSOCK_TAG)
            return -ENOTSOCK;
        if (zctx_terminating(s->ctx))
            return -ZAIO_ETERM;
        int ev = zsock_events(s) & items[i].events;
        items[i].revents = (short)ev;
        if (ev)
            count++;
    }
    return count;
}

int zaio_poll(zaio_pollitem_t *items, int nitems, long timeout)
{
    if (nitems < 0 || (nitems > 0 && !items))
        return zaio__set_errno(-EINVAL);
    struct pollfd stack[ZAIO_POLLITEMS_DFLT];
    struct pollfd *pfd = nitems <= ZAIO_POLLITEMS_DFLT ? stack : calloc((size_t)nitems, sizeof *pfd);
    if (!pfd)
        return zaio__set_errno(-ENOMEM);
    int64_t deadline = timeout < 0 ? -1 : zclock_ms() + timeout;
    int result;
    for (;;) {
        int zready = ready_now(items, nitems);
        if (zready < 0) {
            result = zaio__set_errno(zready);
            break;
        }
        for (int i = 0; i < nitems; i++) {
            zsock *s = items[i].socket;
            if (s) {
                pfd[i].fd = (zaio_fd_t)zsignaler_fd(s->sig);
                pfd[i].events = POLLIN;
            } else {
                pfd[i].fd = items[i].fd;
                pfd[i].events = (short)(((items[i].events & ZAIO_POLLIN) ? POLLIN : 0) |
                                        ((items[i].events & ZAIO_POLLOUT) ? POLLOUT : 0) |
                                        ((items[i].events & ZAIO_POLLPRI) ? POLLPRI : 0));
            }
            pfd[i].revents = 0;
        }
        int wait;
        if (zready > 0)
            wait = 0; /* only the descriptors still need a look */
        else if (deadline < 0)
            wait = -1;
        else {
            int64_t left = deadline - zclock_ms();
            wait = left > 0 ? (int)left : 0;
        }
#ifdef _WIN32
        /* WSAPoll refuses an empty set (WSAEINVAL) where poll() sleeps: zmq_poll with no
         * items is a sleep on every system */
        if (nitems == 0) {
            Sleep(wait < 0 ? INFINITE : (DWORD)wait);
            result = 0;
            break;
        }
#endif
        int rc = poll(pfd, (unsigned)nitems, wait);
        if (rc < 0) {
#ifdef _WIN32
            result = zaio__set_errno(-EINVAL);
#else
            /* EINTR too: zmq_poll gives way to a signal, as libzmq's does */
            result = zaio__set_errno(-errno);
#endif
            break;
        }
        int count = zready;
        for (int i = 0; i < nitems; i++) {
            if (items[i].socket)
                continue;
            short r = 0;
            if (pfd[i].revents & POLLIN)
                r |= ZAIO_POLLIN;
            if (pfd[i].revents & POLLOUT)
                r |= ZAIO_POLLOUT;
            if (pfd[i].revents & POLLPRI)
                r |= ZAIO_POLLPRI;
            if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
                r |= ZAIO_POLLERR;
            items[i].revents = r;
            if (r)
                count++;
        }
        if (count > 0 || wait == 0) {
            if (count == 0 && deadline >= 0 && zclock_ms() < deadline)
                continue; /* a signaler woke us for a command that made nothing ready */
            result = count;
            break;
        }
        /* a signaler fired: the next round runs the socket's commands and looks again */
    }
    if (pfd != stack)
        free(pfd);
    return result;
}
