/* aio_posix.c - the few platform calls the core needs, POSIX side. */
#include "aio_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int aio__last_error(void) { return -errno; }

void aio__close_fd(aio_fd fd)
{
    /* close(2) on Linux releases the descriptor even when it reports EINTR: never retry */
    (void)close(fd);
}

const char *aio__sys_strerror(int err) { return strerror(-err); }

void aio__posix_fill_msg(aio_rec *r)
{
    for (int i = 0; i < r->niov; i++) {
        r->native_iov[i].iov_base = (char *)aio_buf_data(r->iov[i].buf) + r->iov[i].off;
        r->native_iov[i].iov_len = r->iov[i].len;
    }
    r->msg = (struct msghdr){.msg_iov = r->native_iov, .msg_iovlen = (size_t)r->niov};
}

int aio__posix_send_now(aio_socket *s, const aio_slice *v, int n)
{
    struct iovec iov[AIO_MAX_IOV];
    for (int i = 0; i < n; i++)
        iov[i] = (struct iovec){(char *)aio_buf_data(v[i].buf) + v[i].off, v[i].len};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    for (;;) {
        ssize_t sent = sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent >= 0)
            return (int)sent; /* aio_send_now asks for no more than INT32_MAX */
        if (errno != EINTR)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}
