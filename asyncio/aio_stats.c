/* aio_stats.c - the exact counters and the one strerror. */
#include "aio_internal.h"

#include <errno.h>

static _Atomic int64_t counters[AIO_C_COUNT];

void aio__count(aio_counter c, int64_t delta)
{
    atomic_fetch_add_explicit(&counters[c], delta, memory_order_relaxed);
}

void aio_stats_get(aio_stats *out)
{
    out->sockets = atomic_load(&counters[AIO_C_SOCKETS]);
    out->accept_sockets = atomic_load(&counters[AIO_C_ACCEPT_SOCKETS]);
    out->ops_in_flight = atomic_load(&counters[AIO_C_OPS]);
    out->bufs = atomic_load(&counters[AIO_C_BUFS]);
    out->buf_bytes = atomic_load(&counters[AIO_C_BUF_BYTES]);
    out->ports = atomic_load(&counters[AIO_C_PORTS]);
    out->submits = atomic_load(&counters[AIO_C_SUBMITS]);
    out->completions = atomic_load(&counters[AIO_C_COMPLETIONS]);
    out->cancels = atomic_load(&counters[AIO_C_CANCELS]);
    out->submit_failures = atomic_load(&counters[AIO_C_SUBMIT_FAILURES]);
    out->swallowed = atomic_load(&counters[AIO_C_SWALLOWED]);
    out->sync_completions = atomic_load(&counters[AIO_C_SYNC_COMPLETIONS]);
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
