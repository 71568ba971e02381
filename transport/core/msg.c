/* msg.c - zmsg and the zaio_msg_* calls that need no socket. */
#include "core/msg.h"

#include "core/socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void zmsg_init(zmsg *m) { memset(m, 0, sizeof *m); }

/* pages_in: a large body comes with its pages in (aio_buf_new_populated), for one
 * that is filled next; not for a size a peer announced */
static int msg__init_size(zmsg *m, size_t size, bool pages_in)
{
    zmsg_init(m);
    if (size > ZMSG_VSM) {
        int rc = pages_in ? aio_buf_new_populated(size, &m->buf) : aio_buf_new(size, &m->buf);
        if (rc < 0)
            return rc;
    }
    m->size = size;
    return 0;
}

int zmsg_init_size(zmsg *m, size_t size) { return msg__init_size(m, size, false); }

int zmsg_init_copy(zmsg *m, const void *data, size_t size)
{
    int rc = msg__init_size(m, size, true); /* the copy fills it at once */
    if (rc == 0 && size)
        memcpy(zmsg_data(m), data, size);
    return rc;
}

void zmsg_init_buf(zmsg *m, aio_buf *b, size_t off, size_t size)
{
    zmsg_init(m);
    m->buf = aio_buf_ref(b);
    m->off = off;
    m->size = size;
}

void zmsg_close(zmsg *m)
{
    if (m->buf)
        aio_buf_unref(m->buf);
    if (m->meta)
        zmeta_unref(m->meta);
    zmsg_init(m);
}

void zmsg_move(zmsg *dst, zmsg *src)
{
    if (dst == src)
        return;
    zmsg_close(dst);
    *dst = *src;
    zmsg_init(src);
}

int zmsg_copy(zmsg *dst, const zmsg *src)
{
    if (dst == src)
        return 0;
    zmsg tmp = *src;
    if (tmp.buf)
        aio_buf_ref(tmp.buf);
    if (tmp.meta)
        zmeta_ref(tmp.meta);
    zmsg_close(dst);
    *dst = tmp;
    return 0;
}

int zmsg_to_buf(zmsg *m, aio_slice *out)
{
    if (!m->buf) {
        /* an inline body moves into a buffer of its own so the slice can outlive m */
        aio_buf *b;
        int rc = aio_buf_new(m->size ? m->size : 1, &b);
        if (rc < 0)
            return rc;
        memcpy(aio_buf_data(b), m->vsm, m->size);
        m->buf = b;
        m->off = 0;
    }
    *out = (aio_slice){m->buf, m->off, m->size};
    return 0;
}

void zmsg_set_meta(zmsg *m, zmeta *meta)
{
    if (meta)
        zmeta_ref(meta);
    if (m->meta)
        zmeta_unref(m->meta);
    m->meta = meta;
}

/* ---- the public calls ------------------------------------------------------------- */

#include "core/error.h"

int zaio_msg_init(zaio_msg_t *msg)
{
    zmsg_init(zmsg_of(msg));
    return 0;
}

int zaio_msg_init_size(zaio_msg_t *msg, size_t size)
{
    /* the application fills the body next (or sends it as it is: the kernel's copy
     * reads every page) */
    int rc = msg__init_size(zmsg_of(msg), size, true);
    return rc < 0 ? zaio__set_errno(rc) : 0;
}

int zaio_msg_init_data(zaio_msg_t *msg, void *data, size_t size, zaio_free_fn *ffn, void *hint)
{
    zmsg *m = zmsg_of(msg);
    zmsg_init(m);
    aio_buf *b;
    /* zaio_free_fn and aio_buf's free function have the same shape: no adapter, so a
     * zero-copy message costs one allocation (the buf), not two */
    int rc = aio_buf_wrap(data, size, ffn, hint, &b);
    if (rc < 0)
        return zaio__set_errno(rc);
    m->buf = b;
    m->size = size;
    m->flags = ZMSG_SHARED; /* the user's memory: libzmq reports it shared */
    return 0;
}

int zaio_msg_init_buffer(zaio_msg_t *msg, const void *buf, size_t size)
{
    if (size && !buf) {
        zmsg_init(zmsg_of(msg));
        return zaio__set_errno(-EFAULT);
    }
    int rc = zmsg_init_copy(zmsg_of(msg), buf, size);
    return rc < 0 ? zaio__set_errno(rc) : 0;
}

int zaio_msg_close(zaio_msg_t *msg)
{
    zmsg_close(zmsg_of(msg));
    return 0;
}

int zaio_msg_move(zaio_msg_t *dest, zaio_msg_t *src)
{
    zmsg_move(zmsg_of(dest), zmsg_of(src));
    return 0;
}

int zaio_msg_copy(zaio_msg_t *dest, zaio_msg_t *src)
{
    zmsg *s = zmsg_of(src);
    if (s->buf)
        s->flags |= ZMSG_SHARED; /* an inline body is copied, a buffer shared */
    return zmsg_copy(zmsg_of(dest), s);
}

void *zaio_msg_data(zaio_msg_t *msg) { return zmsg_data(zmsg_of(msg)); }
size_t zaio_msg_size(const zaio_msg_t *msg) { return zmsg_cof(msg)->size; }
int zaio_msg_more(const zaio_msg_t *msg) { return zmsg_more(zmsg_cof(msg)); }

int zaio_msg_get(const zaio_msg_t *msg, int property)
{
    const zmsg *m = zmsg_cof(msg);
    switch (property) {
    case ZAIO_MORE: return zmsg_more(m);
    case ZAIO_SHARED: return (m->flags & ZMSG_SHARED) || (m->buf && aio_buf_refs(m->buf) > 1);
    default: return zaio__set_errno(-EINVAL);
    }
}

int zaio_msg_set(zaio_msg_t *msg, int property, int value)
{
    (void)msg;
    (void)property;
    (void)value;
    return zaio__set_errno(-EINVAL); /* libzmq 4.3 has no settable property either */
}

const char *zaio_msg_gets(const zaio_msg_t *msg, const char *property)
{
    const zmsg *m = zmsg_cof(msg);
    const char *v = m->meta ? zmeta_get(m->meta, property) : NULL;
    if (!v)
        zaio__set_errno(-EINVAL);
    return v;
}
