/* proxy.c - zaio_proxy: whole messages from each side to the other, copies to capture,
 * until the context ends. */
#include "ctx.h"
#include "socket.h"

#include <errno.h>

int zaio__set_errno(int neg); /* api.c */

/* Moves one whole message from `from` to `to`. 0, or -errno. */
static int forward(zsock *from, zsock *to, zsock *capture)
{
    for (;;) {
        zmsg m;
        zmsg_init(&m);
        int rc = zsock_recv(from, &m, ZAIO_DONTWAIT);
        if (rc == -EAGAIN)
            return 0;
        if (rc < 0)
            return rc;
        bool more = zmsg_more(&m);
        if (capture) {
            zmsg c;
            zmsg_init(&c);
            zmsg_copy(&c, &m);
            if (zsock_send(capture, &c, more ? ZAIO_SNDMORE : 0) < 0)
                zmsg_close(&c);
        }
        rc = zsock_send(to, &m, more ? ZAIO_SNDMORE : 0);
        if (rc < 0) {
            zmsg_close(&m);
            return rc;
        }
        if (!more)
            return 0;
    }
}

int zaio_proxy(void *frontend, void *backend, void *capture)
{
    zsock *f = frontend, *b = backend, *c = capture;
    if (!f || f->tag != ZSOCK_TAG || !b || b->tag != ZSOCK_TAG || (c && c->tag != ZSOCK_TAG))
        return zaio__set_errno(-ENOTSOCK);
    for (;;) {
        zaio_pollitem_t items[2] = {{f, 0, ZAIO_POLLIN, 0}, {b, 0, ZAIO_POLLIN, 0}};
        int n = zaio_poll(items, f == b ? 1 : 2, -1);
        if (n < 0)
            return -1; /* errno set: ETERM when the context ends */
        int rc = 0;
        if (items[0].revents & ZAIO_POLLIN)
            rc = forward(f, b, c);
        if (rc == 0 && f != b && (items[1].revents & ZAIO_POLLIN))
            rc = forward(b, f, c);
        if (rc < 0)
            return zaio__set_errno(rc);
    }
}
