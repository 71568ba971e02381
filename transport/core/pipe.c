/* pipe.c - see the design notes in pipe.h.
 *
 * Each direction is a queue of chunks of message slots. The writer fills slots and
 * links a new chunk before it needs it; flush publishes a frame count with release
 * order, so a reader that sees the count sees the frames and the links. The reader
 * recycles an emptied chunk into a one-chunk spare the writer takes back, so a pipe in
 * steady use allocates nothing.
 *
 * A conflating queue (ZPIPE_CONFLATE) is not a queue: one slot under the pipe's lock,
 * which each message written replaces. It is for the few sockets that ask for it, where
 * the newest message is all the reader wants, so a lock there costs nothing that
 * matters and keeps "the newest" exact for the reader. */
#include "core/pipe.h"

#include "core/io_thread.h"
#include "core/socket.h"
#include "core/sync.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ZQ_SLOTS 63

typedef struct zq_chunk {
    zmsg slot[ZQ_SLOTS];
    struct zq_chunk *next; /* written by the writer before the flush that covers it */
} zq_chunk;

/* Laid out by who writes what: the writer's fields and what it publishes, then the
 * reader's and what it publishes, each on cache lines of their own (the pads), then
 * what either writes rarely. Each side keeps the other's counter as last seen and
 * reads it again only when that copy says empty (reader) or full (writer): it is only
 * ever behind, so what it shows is there, and a busy pipe moves one cache line each
 * way per batch rather than per message. */
#define ZQ_PAD 64
typedef struct zqueue {
    /* writer's */
    zq_chunk *w_chunk;
    int w_pos;
    uint64_t w_frames;       /* written, flushed or not */
    uint64_t w_msgs;         /* complete messages written */
    bool w_in_msg;           /* the last frame written had MORE */
    zq_chunk *f_chunk;       /* where the last flush left the writer, for rollback */
    int f_pos;
    uint64_t f_frames, f_msgs;
    uint64_t w_read_seen;    /* msgs_read as last loaded */
    _Atomic uint64_t published;      /* frames the reader may take */
    _Atomic uint64_t published_msgs; /* messages among them */
    char pad_w[ZQ_PAD];
    /* reader's */
    zq_chunk *r_chunk;
    int r_pos;
    uint64_t r_frames;
    uint64_t r_pub_seen;     /* published as last loaded */
    uint64_t r_msgs;         /* complete messages read */
    uint64_t r_bytes_slept;  /* body bytes read since the writer was last seen awake */
    _Atomic uint64_t msgs_read; /* r_msgs as last told the writer (zq_tell_read) */
    char pad_r[ZQ_PAD];
    /* either, rarely */
    atomic_int reader_asleep, writer_asleep;
    _Atomic(zq_chunk *) spare;
    /* the HWM is the writer's share plus the reader's (SHARE_NONE: that end has none,
     * a TCP session's); 0 from either end is no limit. Atomic: the reader's end may
     * change its share while the writer checks. */
    atomic_int w_share, r_share;
    /* ZPIPE_CONFLATE: the one message kept, under the pipe's lock */
    bool conflate, has_last;
    zmsg last;
} zqueue;

struct zpipe_end {
    zpipe *pipe;
    zqueue *in, *out; /* read from in, write to out */
    zpipe_end *peer;
    zpipe_notify_fn notify;
    void *owner;
    atomic_bool detached;
    zpipe_user user;
};

struct zpipe {
    zmutex lock; /* orders notifications against detach */
    bool app_ends; /* both ends application threads (inproc): readers may spin */
    atomic_int refs;
    zqueue q[2];
    zpipe_end end[2];
};

#define SHARE_NONE (-2)

static int zq_hwm(zqueue *q)
{
    int w = atomic_load_explicit(&q->w_share, memory_order_relaxed);
    int r = atomic_load_explicit(&q->r_share, memory_order_relaxed);
    if (w == 0 || r == 0)
        return 0;
    return (w > 0 ? w : 0) + (r > 0 ? r : 0);
}

static int zq_init(zqueue *q, int w_share, int r_share)
{
    memset(q, 0, sizeof *q);
    /* not zeroed: a slot is written before it is read, and an idle connection's pipe then
     * keeps only the pages it used resident, not two chunks of 4 KiB */
    zq_chunk *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    c->next = NULL;
    q->w_chunk = q->r_chunk = q->f_chunk = c;
    q->conflate = w_share == ZPIPE_CONFLATE || r_share == ZPIPE_CONFLATE;
    atomic_init(&q->w_share, w_share);
    atomic_init(&q->r_share, r_share);
    zmsg_init(&q->last);
    return 0;
}

static void zq_fini(zqueue *q)
{
    zmsg_close(&q->last);
    /* every frame not read yet, published or not, belongs to nobody now */
    zq_chunk *c = q->r_chunk;
    int pos = q->r_pos;
    uint64_t left = q->w_frames - q->r_frames;
    while (left > 0) {
        zmsg_close(&c->slot[pos]);
        left--;
        if (++pos == ZQ_SLOTS) {
            c = c->next;
            pos = 0;
        }
    }
    c = q->r_chunk;
    while (c) {
        zq_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(atomic_load(&q->spare));
}

int zpipe_new(zpipe_end **a, zpipe_end **b, int a_sndhwm, int a_rcvhwm)
{
    zpipe *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    if (zq_init(&p->q[0], a_sndhwm, SHARE_NONE) < 0 || zq_init(&p->q[1], SHARE_NONE, a_rcvhwm) < 0) {
        free(p->q[0].r_chunk);
        free(p);
        return -ENOMEM;
    }
    zmutex_init(&p->lock);
    atomic_init(&p->refs, 2);
    for (int i = 0; i < 2; i++) {
        zpipe_end *e = &p->end[i];
        e->pipe = p;
        e->out = &p->q[i];     /* end 0 writes q[0] (a to b) */
        e->in = &p->q[1 - i];
        e->peer = &p->end[1 - i];
        atomic_init(&e->detached, false);
    }
    *a = &p->end[0];
    *b = &p->end[1];
    return 0;
}

void zpipe_set_notify(zpipe_end *e, zpipe_notify_fn fn, void *owner)
{
    zmutex_lock(&e->pipe->lock);
    e->notify = fn;
    e->owner = owner;
    zmutex_unlock(&e->pipe->lock);
}

zpipe_user *zpipe_user_of(zpipe_end *e) { return &e->user; }

static void notify(zpipe_end *e, zpipe_event ev);

void zpipe_set_hwm(zpipe_end *e, int sndhwm, int rcvhwm)
{
    /* a writer the old HWM stopped (the peer, or e itself) may have room now: it looks
     * again, and sleeps again if not */
    if (!e->out->conflate) {
        atomic_store(&e->out->w_share, sndhwm);
        if (atomic_exchange(&e->out->writer_asleep, 0))
            notify(e, ZPIPE_WRITABLE);
    }
    if (!e->in->conflate) {
        atomic_store(&e->in->r_share, rcvhwm);
        if (atomic_exchange(&e->in->writer_asleep, 0))
            notify(e->peer, ZPIPE_WRITABLE);
    }
}

/* The pipe whose lock this thread holds for a notify function, if any: a TCP session
 * sending from the writer's thread reads its end inside ZPIPE_READABLE, and a WRITABLE
 * that read causes is told under the lock already held. */
static _Thread_local zpipe *notifying;

/* Tells end e (the other side of the caller) about ev, unless it has let go. */
static void notify(zpipe_end *e, zpipe_event ev)
{
    zpipe *p = e->pipe, *outer = notifying;
    bool held = outer == p;
    if (!held) {
        zmutex_lock(&p->lock);
        notifying = p;
    }
    if (!atomic_load(&e->detached) && e->notify)
        e->notify(e->owner, e, ev);
    if (!held) {
        notifying = outer;
        zmutex_unlock(&p->lock);
    }
}

/* ---- writing ----------------------------------------------------------------------- */

/* Writer: whether the HWM is reached. A copy of the reader's count that shows room
 * is enough (the count only grows); one that shows none is loaded again, so a check
 * after the writer said it sleeps always sees the reader's latest. */
static bool zq_full(zqueue *q)
{
    int hwm = zq_hwm(q);
    if (!hwm)
        return false;
    if (q->w_msgs - q->w_read_seen < (uint64_t)hwm)
        return false;
    q->w_read_seen = atomic_load(&q->msgs_read);
    return q->w_msgs - q->w_read_seen >= (uint64_t)hwm;
}

bool zpipe_can_write(zpipe_end *e)
{
    if (atomic_load(&e->peer->detached))
        return false;
    return e->out->conflate || e->out->w_in_msg || !zq_full(e->out);
}

/* At a message start: whether the HWM has room. When not, the writer sleeps, then
 * looks again: the reader may have drained the queue meanwhile. */
static bool zq_room_or_sleep(zqueue *q)
{
    if (q->conflate || q->w_in_msg || !zq_full(q))
        return true;
    atomic_store(&q->writer_asleep, 1);
    if (zq_full(q))
        return false;
    atomic_store(&q->writer_asleep, 0);
    return true;
}

bool zpipe_check_write(zpipe_end *e)
{
    return !atomic_load(&e->peer->detached) && zq_room_or_sleep(e->out);
}

/* A conflating write: the frame replaces what the reader has not taken. Only a
 * message's last frame is kept (as libzmq keeps one part), so the reader never sees
 * part of a message; the write is visible at once, flush has nothing to do. */
static zpipe_status zq_conflate_write(zpipe_end *e, zmsg *m)
{
    zqueue *q = e->out;
    zmsg old;
    zmsg_init(&old);
    if (zmsg_more(m)) {
        zmsg_close(m);
        return ZPIPE_OK;
    }
    zmutex_lock(&e->pipe->lock);
    if (q->has_last)
        old = q->last;
    q->last = *m;
    q->has_last = true;
    bool wake = atomic_exchange(&q->reader_asleep, 0);
    zmutex_unlock(&e->pipe->lock);
    zmsg_init(m);
    zmsg_close(&old); /* outside the lock: it may free a body */
    if (wake)
        notify(e->peer, ZPIPE_READABLE);
    return ZPIPE_OK;
}

zpipe_status zpipe_write(zpipe_end *e, zmsg *m)
{
    zqueue *q = e->out;
    if (atomic_load(&e->peer->detached))
        return ZPIPE_TERMINATED;
    if (q->conflate)
        return zq_conflate_write(e, m);
    if (!zq_room_or_sleep(q))
        return ZPIPE_FULL;
    if (q->w_pos == ZQ_SLOTS - 1 && !q->w_chunk->next) {
        /* link the next chunk before filling the last slot, so a reader that takes
         * the last slot always finds its successor */
        zq_chunk *n = atomic_exchange(&q->spare, NULL);
        if (!n)
            n = malloc(sizeof *n);
        if (!n)
            return ZPIPE_FULL; /* out of memory: back-pressure, not a crash */
        n->next = NULL;
        q->w_chunk->next = n;
    }
    q->w_chunk->slot[q->w_pos] = *m;
    zmsg_init(m);
    q->w_frames++;
    q->w_in_msg = zmsg_more(&q->w_chunk->slot[q->w_pos]);
    if (!q->w_in_msg)
        q->w_msgs++;
    if (++q->w_pos == ZQ_SLOTS) {
        q->w_chunk = q->w_chunk->next;
        q->w_pos = 0;
    }
    return ZPIPE_OK;
}

void zpipe_flush(zpipe_end *e)
{
    zqueue *q = e->out;
    if (q->w_frames == q->f_frames)
        return;
    q->f_chunk = q->w_chunk;
    q->f_pos = q->w_pos;
    q->f_frames = q->w_frames;
    q->f_msgs = q->w_msgs;
    /* release is enough for the message count: a reader reads it only after loading
     * published, which comes after it; published itself is the writer's half of the
     * handshake with reader_asleep below, so it stays sequentially consistent */
    atomic_store_explicit(&q->published_msgs, q->w_msgs, memory_order_release);
    atomic_store(&q->published, q->w_frames);
    /* a load first: a reader that is awake never has its line taken for nothing */
    if (atomic_load(&q->reader_asleep) && atomic_exchange(&q->reader_asleep, 0))
        notify(e->peer, ZPIPE_READABLE);
}

void zpipe_rollback(zpipe_end *e)
{
    zqueue *q = e->out;
    zq_chunk *c = q->f_chunk;
    int pos = q->f_pos;
    for (uint64_t n = q->f_frames; n < q->w_frames; n++) {
        zmsg_close(&c->slot[pos]);
        if (++pos == ZQ_SLOTS) {
            c = c->next;
            pos = 0;
        }
    }
    /* chunks linked past the flush point stay linked and are reused */
    q->w_chunk = q->f_chunk;
    q->w_pos = q->f_pos;
    q->w_frames = q->f_frames;
    q->w_msgs = q->f_msgs;
    q->w_in_msg = false;
}

/* ---- reading ----------------------------------------------------------------------- */

/* Reader: frames ready. The copy of the writer's count is loaded again only when it
 * shows none left, so a check after the reader said it sleeps sees the latest. */
static uint64_t zq_avail(zqueue *q)
{
    if (q->r_pub_seen == q->r_frames)
        q->r_pub_seen = atomic_load(&q->published);
    return q->r_pub_seen - q->r_frames;
}

bool zpipe_can_read(zpipe_end *e)
{
    zqueue *q = e->in;
    if (!q->conflate)
        return zq_avail(q) > 0;
    zmutex_lock(&e->pipe->lock);
    bool has = q->has_last;
    zmutex_unlock(&e->pipe->lock);
    return has;
}

bool zpipe_conflates(const zpipe_end *e) { return e->in->conflate; }

static zpipe_status zq_conflate_read(zpipe_end *e, zmsg *m)
{
    zqueue *q = e->in;
    zpipe_status st = ZPIPE_OK;
    zmutex_lock(&e->pipe->lock);
    if (q->has_last) {
        *m = q->last;
        zmsg_init(&q->last);
        q->has_last = false;
    } else {
        /* under the lock the writer takes: its next write sees the flag and wakes us */
        atomic_store(&q->reader_asleep, 1);
        st = atomic_load(&e->peer->detached) ? ZPIPE_TERMINATED : ZPIPE_EMPTY;
    }
    zmutex_unlock(&e->pipe->lock);
    return st;
}

/* Reader: how many messages it reads before it tells the writer. Telling is a store
 * the writer's core must fetch back, and a busy reader told it once a message: a
 * quarter of the HWM keeps that off the per-message path. The writer may see the queue
 * full up to that many messages early, as libzmq's writer, which learns of reads only
 * at its low-water mark, does by more. Without an HWM the count matters only once one
 * is set, and then it must be exact, so that reader tells every message. */
static uint64_t zq_read_batch(zqueue *q)
{
    int hwm = zq_hwm(q);
    return hwm < 8 ? 1 : (uint64_t)hwm / 4;
}

/* Reader: whether the writer the HWM stopped should be woken before the queue is down
 * to half, for the bytes read since it slept (and only with room for it: an HWM lowered
 * meanwhile, or a writer that went to sleep on a count the reader had just told, leaves
 * none). A writer of large bodies woken only at half makes half an HWM of them at once,
 * after the reader's thread has freed as many: at 1 MiB that is 500 MiB, far more than
 * aio_buf keeps of large blocks (8 MiB), so they went back to malloc and from there to
 * the kernel, and came back as fresh pages, each faulted in by the kernel's copy of the
 * send (tcp 1 MiB PUSH->PULL, 6,000 messages: 516,000 faults on the sending side, 650
 * msg/s; woken every 4 MiB, 260,000, all while the first HWM's worth went out, and 1,270
 * msg/s). Woken after half of what aio_buf keeps, the writer finds the bodies freed
 * meanwhile still kept. Small messages get there only with a huge HWM (64 B: from an HWM
 * of 131,072); at the default one a writer of 64 B is woken at half, as before. */
enum { ZQ_WAKE_BYTES = 4 * 1024 * 1024 };

size_t zpipe_wake_bytes(void) { return ZQ_WAKE_BYTES; }

static bool zq_read_enough_bytes(const zqueue *q, uint64_t queued, int hwm)
{
    return q->r_bytes_slept >= ZQ_WAKE_BYTES && queued < (uint64_t)hwm;
}

/* Reader: tells the writer what it has read, and wakes it if the HWM stopped it and
 * the queue is down to half (or zq_read_enough_bytes). zpipe_read calls it every
 * zq_read_batch messages, every message while the writer sleeps (so it is woken at half
 * exactly), and whenever the reader has read all it saw published (so a reader that
 * stops there leaves the writer the exact count). The store and the load of
 * writer_asleep are the reader's half of the handshake zq_room_or_sleep makes the other
 * way, so both are sequentially consistent. */
static void zq_tell_read(zpipe_end *e)
{
    zqueue *q = e->in;
    atomic_store(&q->msgs_read, q->r_msgs);
    if (!atomic_load(&q->writer_asleep))
        return;
    /* an HWM of 0 (set while the writer slept) wakes it from zpipe_set_hwm */
    uint64_t queued = atomic_load_explicit(&q->published_msgs, memory_order_acquire) - q->r_msgs;
    int hwm = zq_hwm(q);
    if ((queued <= (uint64_t)hwm / 2 || zq_read_enough_bytes(q, queued, hwm)) &&
        atomic_exchange(&q->writer_asleep, 0)) {
        q->r_bytes_slept = 0;
        notify(e->peer, ZPIPE_WRITABLE);
    }
}

zpipe_status zpipe_read(zpipe_end *e, zmsg *m)
{
    zqueue *q = e->in;
    if (q->conflate)
        return zq_conflate_read(e, m);
    if (zq_avail(q) == 0) {
        atomic_store(&q->reader_asleep, 1);
        if (zq_avail(q) == 0) {
            /* the peer flushes before it detaches: gone and empty means done */
            if (atomic_load(&e->peer->detached) && zq_avail(q) == 0)
                return ZPIPE_TERMINATED;
            return ZPIPE_EMPTY;
        }
        atomic_store(&q->reader_asleep, 0);
    }
    *m = q->r_chunk->slot[q->r_pos];
    q->r_frames++;
    if (++q->r_pos == ZQ_SLOTS) {
        zq_chunk *done = q->r_chunk;
        q->r_chunk = done->next;
        q->r_pos = 0;
        done->next = NULL;
        free(atomic_exchange(&q->spare, done));
    }
    q->r_bytes_slept += zmsg_size(m);
    if (!zmsg_more(m)) {
        q->r_msgs++;
        bool asleep = atomic_load_explicit(&q->writer_asleep, memory_order_relaxed);
        if (!asleep)
            q->r_bytes_slept = 0; /* bytes count from when the writer slept */
        if (q->r_msgs - atomic_load_explicit(&q->msgs_read, memory_order_relaxed) >=
                zq_read_batch(q) ||
            q->r_frames == q->r_pub_seen || asleep)
            zq_tell_read(e);
    }
    return ZPIPE_OK;
}

/* ---- spinning (inproc) --------------------------------------------------------------- */

void zpipe_set_app_ends(zpipe_end *e) { e->pipe->app_ends = true; }

bool zpipe_spins(const zpipe_end *e) { return e->pipe->app_ends && !e->in->conflate; }

/* How often a spinning reader looks at the writer's count. Each look brings the line
 * the writer stores to on every flush over to the reader's core, so looking at every
 * pause makes the writer wait for that line on every message: the inproc stream of 8 B
 * went at 5.3M msg/s looking every 0.3 us, 7.2M every 1.2 us, 8.3M every 2.4 us, on
 * this project's 2-core machine, where not spinning made 4.1M and libzmq 3.9M. A look
 * every 1.5 us adds at most that to a ping-pong (3 us where sleeping took 13). */
enum { ZQ_SPIN_LOOK_NS = 1500 };

/* The pauses in a look's interval, measured once: a pause takes 3 ns on some
 * processors and 40 on others. */
static int zq_spin_pauses(void)
{
    static atomic_int cached;
    int n = atomic_load_explicit(&cached, memory_order_relaxed);
    if (n > 0)
        return n;
    /* the fastest of a few probes: one the scheduler interrupted comes out too slow,
     * and too few pauses a look would cost the writer (see ZQ_SPIN_LOOK_NS) */
    enum { PROBE = 256, PROBES = 5 };
    int64_t dt = INT64_MAX;
    for (int k = 0; k < PROBES; k++) {
        int64_t t0 = zclock_ns();
        for (int i = 0; i < PROBE; i++)
            zcpu_relax();
        int64_t d = zclock_ns() - t0;
        if (d < dt)
            dt = d;
    }
    n = dt > 0 ? (int)(PROBE * (int64_t)ZQ_SPIN_LOOK_NS / dt) : PROBE;
    n = n < 1 ? 1 : n > 100000 ? 100000 : n;
    atomic_store_explicit(&cached, n, memory_order_relaxed);
    return n;
}

bool zpipe_spin_read(zpipe_end *e, int64_t ns)
{
    zqueue *q = e->in;
    int pauses = zq_spin_pauses();
    int64_t t0 = zclock_ns();
    do {
        for (int i = 0; i < pauses; i++)
            zcpu_relax();
        /* only looks: a reader that said it sleeps would cost the writer a wake-up */
        if (zq_avail(q) > 0 || atomic_load_explicit(&e->peer->detached, memory_order_relaxed))
            return true;
    } while (zclock_ns() - t0 < ns);
    return false;
}

/* ---- ending ------------------------------------------------------------------------ */

bool zpipe_peer_gone(const zpipe_end *e) { return atomic_load(&e->peer->detached); }

static void zpipe_free(zpipe *p)
{
    zq_fini(&p->q[0]);
    zq_fini(&p->q[1]);
    for (int i = 0; i < 2; i++)
        if (p->end[i].user.meta)
            zmeta_unref(p->end[i].user.meta);
    zmutex_fini(&p->lock);
    free(p);
}

void zpipe_detach(zpipe_end *e)
{
    zpipe *p = e->pipe;
    zmutex_lock(&p->lock);
    atomic_store(&e->detached, true);
    e->notify = NULL;
    zpipe_end *peer = e->peer;
    if (!atomic_load(&peer->detached) && peer->notify)
        peer->notify(peer->owner, peer, ZPIPE_PEER_GONE);
    zmutex_unlock(&p->lock);
    if (atomic_fetch_sub(&p->refs, 1) == 1)
        zpipe_free(p);
}
