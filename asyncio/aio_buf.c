/* aio_buf.c - refcounted pinned buffers.
 *
 * An op takes a reference at submit and the core drops it when the op's completion is
 * dispatched, so the memory outlives any kernel access whatever the owner does with its
 * own reference (DESIGN.md release path 12). */
#include "aio_internal.h"

#include <errno.h>
#include <stdlib.h>

struct aio_buf {
    atomic_int refs;
    size_t size;
    void *data;
    void (*free_fn)(void *data, void *hint); /* NULL: data is inline[] */
    void *hint;
    _Alignas(16) unsigned char inline_data[];
};

int aio_buf_new(size_t size, aio_buf **out)
{
    if (!out || size > SIZE_MAX - sizeof(aio_buf))
        return -EINVAL;
    aio_buf *b = malloc(sizeof *b + size);
    if (!b)
        return -ENOMEM;
    atomic_init(&b->refs, 1);
    b->size = size;
    b->data = b->inline_data;
    b->free_fn = NULL;
    b->hint = NULL;
    aio__count(AIO_C_BUFS, 1);
    aio__count(AIO_C_BUF_BYTES, (int64_t)size);
    *out = b;
    return 0;
}

int aio_buf_wrap(void *data, size_t size, void (*free_fn)(void *, void *), void *hint, aio_buf **out)
{
    if (!out || (!data && size))
        return -EINVAL;
    aio_buf *b = malloc(sizeof *b);
    if (!b)
        return -ENOMEM;
    atomic_init(&b->refs, 1);
    b->size = size;
    b->data = data;
    b->free_fn = free_fn;
    b->hint = hint;
    aio__count(AIO_C_BUFS, 1);
    aio__count(AIO_C_BUF_BYTES, (int64_t)size);
    *out = b;
    return 0;
}

aio_buf *aio_buf_ref(aio_buf *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void aio_buf_unref(aio_buf *b)
{
    if (!b)
        return;
    /* acq_rel: every write through other references happens before the free */
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    aio__count(AIO_C_BUFS, -1);
    aio__count(AIO_C_BUF_BYTES, -(int64_t)b->size);
    if (b->free_fn)
        b->free_fn(b->data, b->hint);
    free(b);
}

int aio_buf_refs(const aio_buf *b)
{
    return atomic_load_explicit(&((aio_buf *)b)->refs, memory_order_acquire);
}

void *aio_buf_data(const aio_buf *b) { return b->data; }
size_t aio_buf_size(const aio_buf *b) { return b->size; }
