/* io_thread.c - an I/O thread: one aio port, the thread that polls it, a mailbox and a
 * timer heap (see io_thread.h).
 *
 * Design notes
 * ------------
 * - One wake-up path. The mailbox calls io_wake only when its first command lands in
 *   an empty mailbox, and io_wake is aio_port_wake: the port's poll returns (or the
 *   next one does not wait), with no completion and no allocation, so a burst of
 *   commands costs one wake-up, and a message that wakes a sleeping session costs no
 *   malloc. The loop runs the mailbox after every poll whatever woke it.
 * - A wake-up is never lost: aio_port_wake cannot fail, and one that comes before the
 *   poll starts makes that poll return at once. The poll still never sleeps longer
 *   than IO_MAX_SLEEP_MS.
 * - Timers are embedded in their owners (no allocation to arm one) and kept in a binary
 *   heap of pointers ordered by due time; each knows its index, so cancel and re-arm
 *   are O(log n). If the heap cannot grow (out of memory) a timer goes to a small
 *   fixed spill list instead, so arming never fails silently and never runs the
 *   callback inside its caller. Only the I/O thread touches either.
 * - Stop, then free: zio_free asks the thread to stop and joins it, runs what the
 *   mailbox still holds on the caller's thread (the I/O thread is gone, so that thread
 *   is now the owner), and only then destroys the port, which drains what is left. */
#include "core/io_thread.h"

#include "core/ctx.h"
#include "core/sync.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#define IO_MAX_SLEEP_MS 1000
#define IO_SPILL 32

struct zio {
    zctx *ctx;
    int index;
    aio_port *port;
    zmailbox *mb;
    zthread thread;
    bool started;
    atomic_bool stop;
    /* timers: a min-heap on due */
    ztimer **heap;
    int nheap, capheap;
    ztimer *spill[IO_SPILL];
    int nspill;
    zthread_cfg cfg; /* the context's thread options, as the thread was started */
};

int64_t zclock_ms(void)
{
#ifdef _WIN32
    return (int64_t)GetTickCount64();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

int64_t zclock_ns(void)
{
#ifdef _WIN32
    LARGE_INTEGER freq, now; /* the frequency is fixed at boot */
    QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    int64_t f = freq.QuadPart, t = now.QuadPart;
    return t / f * 1000000000 + t % f * 1000000000 / f;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
#endif
}

aio_port *zio_port(zio *io) { return io->port; }
zctx *zio_ctx(zio *io) { return io->ctx; }
zmailbox *zio_mailbox(zio *io) { return io->mb; }

/* ---- timers ------------------------------------------------------------------------ */

void ztimer_init(ztimer *t, void (*fn)(ztimer *t), void *arg)
{
    t->due = 0;
    t->fn = fn;
    t->arg = arg;
    t->heap_index = -1;
}

static void heap_set(zio *io, int i, ztimer *t)
{
    io->heap[i] = t;
    t->heap_index = i;
}

static void heap_up(zio *io, int i)
{
    ztimer *t = io->heap[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (io->heap[parent]->due <= t->due)
            break;
        heap_set(io, i, io->heap[parent]);
        i = parent;
    }
    heap_set(io, i, t);
}

static void heap_down(zio *io, int i)
{
    ztimer *t = io->heap[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= io->nheap)
            break;
        if (c + 1 < io->nheap && io->heap[c + 1]->due < io->heap[c]->due)
            c++;
        if (t->due <= io->heap[c]->due)
            break;
        heap_set(io, i, io->heap[c]);
        i = c;
    }
    heap_set(io, i, t);
}

static void heap_remove(zio *io, ztimer *t)
{
    int i = t->heap_index;
    t->heap_index = -1;
    ztimer *last = io->heap[--io->nheap];
    if (i == io->nheap)
        return;
    heap_set(io, i, last);
    heap_up(io, i);
    heap_down(io, last->heap_index);
}

/* The spill list: where a timer goes when the heap cannot grow (out of memory), so
 * arming never fails silently and never runs the callback inside its caller. A timer
 * there has heap_index -2 - slot. */
static bool spill_add(zio *io, ztimer *t)
{
    if (io->nspill == IO_SPILL)
        return false;
    io->spill[io->nspill] = t;
    t->heap_index = -2 - io->nspill++;
    return true;
}

static void spill_remove(zio *io, ztimer *t)
{
    int i = -2 - t->heap_index;
    t->heap_index = -1;
    io->spill[i] = io->spill[--io->nspill];
    if (i < io->nspill)
        io->spill[i]->heap_index = -2 - i;
}

void zio_timer_start(zio *io, ztimer *t, int ms)
{
    if (ms < 0)
        ms = 0;
    t->due = zclock_ms() + ms;
    if (t->heap_index >= 0) {
        heap_up(io, t->heap_index);
        heap_down(io, t->heap_index);
        return;
    }
    if (t->heap_index <= -2)
        return; /* in the spill list: it holds the new due time already */
    if (io->nheap == io->capheap) {
        int cap = io->capheap ? io->capheap * 2 : 64;
        ztimer **nh = realloc(io->heap, (size_t)cap * sizeof *nh);
        if (!nh) {
            /* A timer here is a timeout or a retry; with the spill list full too it is
             * lost, which only a process already out of memory can reach. */
            (void)spill_add(io, t);
            return;
        }
        io->heap = nh;
        io->capheap = cap;
    }
    io->heap[io->nheap] = t;
    t->heap_index = io->nheap++;
    heap_up(io, t->heap_index);
}

void zio_timer_cancel(zio *io, ztimer *t)
{
    if (t->heap_index >= 0)
        heap_remove(io, t);
    else if (t->heap_index <= -2)
        spill_remove(io, t);
}

/* Runs the due timers; returns ms until the next one, or -1 when none is armed. */
static int io_run_timers(zio *io)
{
    int64_t now = zclock_ms();
    /* a callback may arm timers that are due at once: bound the round so one
     * re-arming itself with 0 ms cannot hold the thread here */
    int budget = io->nheap + io->nspill + 16;
    while (io->nheap > 0 && budget > 0) {
        ztimer *t = io->heap[0];
        if (t->due > now)
            break;
        heap_remove(io, t);
        budget--;
        t->fn(t);
    }
    for (int i = 0; i < io->nspill && budget > 0; i++) {
        ztimer *t = io->spill[i];
        if (t->due > now)
            continue;
        spill_remove(io, t);
        budget--;
        t->fn(t);
        i = -1; /* the list changed under us: look again from the start */
    }
    int64_t next = -1;
    if (io->nheap > 0)
        next = io->heap[0]->due;
    for (int i = 0; i < io->nspill; i++)
        if (next < 0 || io->spill[i]->due < next)
            next = io->spill[i]->due;
    if (next < 0)
        return -1;
    int64_t left = next - zclock_ms();
    if (left < 0)
        return 0;
    return left > IO_MAX_SLEEP_MS ? IO_MAX_SLEEP_MS : (int)left;
}

/* ---- the thread -------------------------------------------------------------------- */

static void io_wake(void *arg)
{
    zio *io = arg;
    aio_port_wake(io->port); /* the loop runs the mailbox after the poll it ends */
}

static void io_loop(void *arg)
{
    zio *io = arg;
    zthread_cfg_apply(&io->cfg);
    while (!atomic_load(&io->stop)) {
        if (zmailbox_pending(io->mb))
            zmailbox_process(io->mb);
        int timeout = io_run_timers(io);
        if (zmailbox_pending(io->mb))
            timeout = 0;
        else if (timeout < 0)
            timeout = IO_MAX_SLEEP_MS;
        (void)aio_port_poll(io->port, timeout); /* errors: retried next round */
    }
}

int zio_new(zctx *ctx, int index, zio **out)
{
    zio *io = calloc(1, sizeof *io);
    if (!io)
        return -ENOMEM;
    io->ctx = ctx;
    io->index = index;
    atomic_init(&io->stop, false);
    int rc = aio_port_new(AIO_BACKEND_AUTO, &io->port);
    if (rc < 0) {
        free(io);
        return rc;
    }
    io->mb = zmailbox_new(io_wake, io);
    if (!io->mb) {
        aio_port_destroy(io->port);
        free(io);
        return -ENOMEM;
    }
    zmailbox_set_owner(io->mb, io);
    zctx_thread_cfg(ctx, index, &io->cfg); /* our caller holds the context's lock */
    rc = zthread_start(&io->thread, io_loop, io);
    if (rc < 0) {
        zmailbox_unref(io->mb);
        aio_port_destroy(io->port);
        free(io);
        return rc;
    }
    io->started = true;
    *out = io;
    return 0;
}

void zio_free(zio *io)
{
    if (!io)
        return;
    if (io->started) {
        atomic_store(&io->stop, true);
        aio_port_wake(io->port);
        zthread_join(io->thread);
    }
    /* the thread is gone: this one owns the mailbox now */
    zmailbox_process(io->mb);
    zmailbox_kill(io->mb);
    zmailbox_unref(io->mb);
    aio_port_destroy(io->port);
    free(io->heap);
    free(io);
}

/* ---- one-off commands ---------------------------------------------------------------- */

typedef struct io_call {
    zcmd cmd; /* first: the command is the allocation */
    void (*fn)(void *arg);
    void *arg;
} io_call;

static void io_call_run(zcmd *c)
{
    io_call *k = (io_call *)c;
    k->fn(k->arg);
    free(k);
}

static void io_call_drop(zcmd *c)
{
    free(c); /* posted after zio_free: the caller broke the context's ordering */
}

int zio_call(zio *io, void (*fn)(void *arg), void *arg)
{
    io_call *k = calloc(1, sizeof *k);
    if (!k)
        return -ENOMEM;
    k->cmd.run = io_call_run;
    k->cmd.drop = io_call_drop;
    k->fn = fn;
    k->arg = arg;
    zmailbox_post(io->mb, &k->cmd);
    return 0;
}
