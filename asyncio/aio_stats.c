/* aio_stats.c - the exact counters and the one strerror.
 *
 * The counters are sharded: each thread adds to a shard of its own (threads beyond
 * AIO_SHARDS share), each shard on cache lines of its own, and a read sums them. Every
 * message body is a buffer counted once made and once freed, by whichever thread does
 * it: one shared counter line would bounce between the sender, the I/O threads and the
 * receiver on every message. A sum is exact once the counted things are quiet (what
 * the tests and the soak's verdict compare); while they are not, a read is a moment's
 * picture, as it always was. */
#include "aio_internal.h"

#include <errno.h>

#define AIO_SHARDS 16

typedef struct {
    _Alignas(128) _Atomic int64_t c[AIO_C_COUNT];
} aio_shard;

static aio_shard shards[AIO_SHARDS];
static atomic_uint next_shard;
static _Thread_local aio_shard *my_shard;

void aio__count(aio_counter c, int64_t delta)
{
    aio_shard *s = my_shard;
    if (!s)
        s = my_shard = &shards[atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) %
                               AIO_SHARDS];
    atomic_fetch_add_explicit(&s->c[c], delta, memory_order_relaxed);
}

static int64_t sum(aio_counter c)
{
    int64_t v = 0;
    for (int i = 0; i < AIO_SHARDS; i++)
        v += atomic_load(&shards[i].c[c]);
    return v;
}

void aio_stats_get(aio_stats *out)
{
    out->sockets = sum(AIO_C_SOCKETS);
    out->accept_sockets = sum(AIO_C_ACCEPT_SOCKETS);
    out->ops_in_flight = sum(AIO_C_OPS);
    out->bufs = sum(AIO_C_BUFS);
    out->buf_bytes = sum(AIO_C_BUF_BYTES);
    out->ports = sum(AIO_C_PORTS);
    out->submits = sum(AIO_C_SUBMITS);
    out->completions = sum(AIO_C_COMPLETIONS);
    out->cancels = sum(AIO_C_CANCELS);
    out->submit_failures = sum(AIO_C_SUBMIT_FAILURES);
    out->swallowed = sum(AIO_C_SWALLOWED);
    out->sync_completions = sum(AIO_C_SYNC_COMPLETIONS);
}

int aio_stats_live_zero(const aio_stats *s)
{
    return s->sockets == 0 && s->accept_sockets == 0 && s->ops_in_flight == 0 && s->bufs == 0 &&
           s->buf_bytes == 0 && s->ports == 0;
}

const char *aio_strerror(int err)
{
    if (err == 0)
        return "success";
    if (err > 0)
        err = -err;
    switch (err) {
    case -EBUSY: return "the op record is busy with another op";
    case -EBADF: return "the socket is closing";
    case -ECANCELED: return "the op was cancelled";
    case -ENOSYS: return "this backend is not available here";
    default: return aio__sys_strerror(err);
    }
}
