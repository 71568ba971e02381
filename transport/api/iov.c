/* iov.c - zaio_sendiov and zaio_recviov: libzmq's scatter/gather calls, one frame per
 * buffer, kept to libzmq 4.3.4's exact behaviour (flags as given on every frame but the
 * last, received frames in malloc'd buffers) because programs were written against
 * that behaviour rather than against its man page. */
#include "core/socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
/* no <sys/uio.h>: the layout libzmq and its Windows users define for themselves */
struct iovec {
    void *iov_base;
    size_t iov_len;
};
#else
#include <sys/uio.h>
#endif

#include "core/error.h"

static bool is_socket(void *p)
{
    const zsock *s = p;
    return s && s->tag == ZSOCK_TAG;
}

int zaio_sendiov(void *socket, struct iovec *iov, size_t count, int flags)
{
    if (!is_socket(socket))
        return zaio__set_errno(-ENOTSOCK);
    if (count == 0 || !iov)
        return zaio__set_errno(-EINVAL);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        int f = i + 1 == count ? flags & ~ZAIO_SNDMORE : flags;
        rc = zaio_send(socket, iov[i].iov_base, iov[i].iov_len, f);
        if (rc < 0)
            return -1;
    }
    return rc;
}

int zaio_recviov(void *socket, struct iovec *iov, size_t *count, int flags)
{
    if (!is_socket(socket))
        return zaio__set_errno(-ENOTSOCK);
    if (!count || *count == 0 || !iov)
        return zaio__set_errno(-EINVAL);
    size_t cap = *count;
    *count = 0;
    for (size_t i = 0; i < cap; i++) {
        zaio_msg_t msg;
        zaio_msg_init(&msg);
        if (zaio_msg_recv(&msg, socket, flags) < 0) {
            zaio_msg_close(&msg);
            return -1;
        }
        size_t len = zaio_msg_size(&msg);
        /* never malloc(0): its NULL would read as a failure, and a caller frees every
         * iov_base it was given */
        void *body = malloc(len ? len : 1);
        if (!body) {
            zaio_msg_close(&msg);
            return zaio__set_errno(-ENOMEM);
        }
        if (len)
            memcpy(body, zaio_msg_data(&msg), len);
        iov[i].iov_base = body;
        iov[i].iov_len = len;
        int more = zaio_msg_more(&msg);
        zaio_msg_close(&msg);
        ++*count;
        if (!more)
            break;
    }
    return (int)*count;
}
