/* io_thread.h - an I/O thread: one aio port, the thread that polls it, a mailbox for
 * commands from other threads (woken by a posted completion), and timers. TCP
 * listeners and sessions live on one I/O thread and are touched only there. */
#ifndef ZAIO_TRANSPORT_IO_THREAD_H
#define ZAIO_TRANSPORT_IO_THREAD_H

#include "aio.h"
#include "core/mailbox.h"

#include <stdint.h>

typedef struct zio zio;
typedef struct zctx zctx;

/* The caller holds ctx's lock: the thread's options (zthread_cfg) are read here. */
int zio_new(zctx *ctx, int index, zio **out);
/* Stops the thread once every object on it is gone (the context guarantees that), then
 * frees it: the port is destroyed, draining what is left. */
void zio_free(zio *io);
aio_port *zio_port(zio *io);
zctx *zio_ctx(zio *io);
/* Commands run on the I/O thread (post from any thread). */
zmailbox *zio_mailbox(zio *io);
/* Runs fn(arg) on the I/O thread soon: a heap command, for one-off setup and teardown.
 * Returns 0 or -ENOMEM. */
int zio_call(zio *io, void (*fn)(void *arg), void *arg);

/* Monotonic milliseconds. */
int64_t zclock_ms(void);
int64_t zclock_ns(void); /* monotonic, for spans of microseconds */

/* Timers: I/O thread only. A timer is embedded in its owner; start re-arms it. */
typedef struct ztimer {
    int64_t due;
    void (*fn)(struct ztimer *t);
    void *arg;
    int heap_index; /* -1 when not armed */
} ztimer;
void ztimer_init(ztimer *t, void (*fn)(ztimer *t), void *arg);
void zio_timer_start(zio *io, ztimer *t, int ms);
void zio_timer_cancel(zio *io, ztimer *t);

#endif
