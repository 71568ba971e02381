/* aio_stats.c - the exact counters and the one strerror.
 *
 * The counters are sharded: each thread adds to a shard of its own (threads beyond
 * AIO_SHARDS - 1 share one), each shard on cache lines of its own, and a read sums them. Every
 * message body is a buffer counted once made and once freed, by whichever thread does
 * it: one shared counter line would bounce between the sender, the I/O threads and the
 * receiver on every message. A sum is exact once the counted things are quiet (what
 * the tests and the soak's verdict compare); while they are not, a read is a moment's
 * picture, as it always was. */
#include "aio_internal.h"

#include <errno.h>

#define AIO_SHARDS 64

typedef struct {
    _Alignas(128) _Atomic int64_t c[AIO_C_COUNT];
    atomic_int owned; /* 1 while one thread alone writes c */
} aio_shard;

/* Shard 0 is shared by the threads that find no free shard, and adds atomically. Any
 * other shard has one writer at a time, which adds with a plain load and store: a
 * lock-prefixed add per count cost about a sixth of a receiving thread's time at 64 B
 * messages (four counts a message body). A thread gives its shard back when it exits;
 * the counts stay in it and the next owner adds to them, so a sum stays exact. */
static aio_shard shards[AIO_SHARDS];
static _Thread_local aio_shard *my_shard;

#ifdef _WIN32
/* no thread-exit hook here: every thread adds atomically to one of the shards */
static atomic_uint next_shard;

static aio_shard *claim(void)
{
    return &shards[atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % AIO_SHARDS];
}
#else
/* One thread-exit hook for asyncio's per-thread state: this thread's counter shard and
 * its lists of cached buffers (aio_buf.c) go back when it exits. */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static bool exit_key_ok;
static _Thread_local bool thread_hooked, thread_exiting;

static void thread_exit(void *unused)
{
    (void)unused;
    /* From here on the thread keeps nothing of its own: a buffer that another library's
     * exit hook frees later goes to the shared lists, and a count to the shared shard. A
     * hook set again here would not run if this is glibc's last round of destructors,
     * and what the thread kept would be lost with it. */
    thread_hooked = false;
    thread_exiting = true;
    aio__buf_thread_exit();
    aio_shard *s = my_shard;
    my_shard = NULL;
    if (s && s != &shards[0])
        atomic_store_explicit(&s->owned, 0, memory_order_release);
}

static void make_key(void) { exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0; }

bool aio__thread_hook(void)
{
    if (thread_hooked)
        return true;
    if (thread_exiting)
        return false;
    pthread_once(&exit_once, make_key);
    if (!exit_key_ok || pthread_setspecific(exit_key, &thread_hooked) != 0)
        return false;
    thread_hooked = true;
    return true;
}

static aio_shard *claim(void)
{
    if (!aio__thread_hook())
        return &shards[0];
    for (int i = 1; i < AIO_SHARDS; i++) {
        int free_ = 0;
        if (atomic_load_explicit(&shards[i].owned, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(&shards[i].owned, &free_, 1,
                                                    memory_order_acquire, memory_order_relaxed))
            return &shards[i];
    }
    return &shards[0];
}
#endif

void aio__count(aio_counter c, int64_t delta)
{
    aio_shard *s = my_shard;
    if (!s)
        s = my_shard = claim();
    if (s == &shards[0] || !atomic_load_explicit(&s->owned, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&s->c[c], delta, memory_order_relaxed);
        return;
    }
    atomic_store_explicit(&s->c[c], atomic_load_explicit(&s->c[c], memory_order_relaxed) + delta,
                          memory_order_relaxed);
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
    out->sends_now = sum(AIO_C_SENDS_NOW);
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
