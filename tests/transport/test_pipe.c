/* Pipes: what the patterns and sessions rely on. Frames are visible only at a flush,
 * multipart messages are atomic under the HWM, sleepers are woken exactly when they
 * need to be, and detach hands over what was sent before it. */
#include "core/pipe.h"
#include "core/sync.h"

#include "zt.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

typedef struct seen {
    atomic_int readable, writable, gone;
} seen;

static void on_event(void *owner, zpipe_end *e, zpipe_event ev)
{
    (void)e;
    seen *s = owner;
    if (ev == ZPIPE_READABLE)
        atomic_fetch_add(&s->readable, 1);
    else if (ev == ZPIPE_WRITABLE)
        atomic_fetch_add(&s->writable, 1);
    else
        atomic_fetch_add(&s->gone, 1);
}

static zmsg frame(const char *text, bool more)
{
    zmsg m;
    zt_assert(zmsg_init_copy(&m, text, strlen(text)) == 0, "msg");
    if (more)
        m.flags |= ZMSG_MORE;
    return m;
}

static bool read_is(zpipe_end *e, const char *text)
{
    zmsg m;
    zmsg_init(&m);
    if (zpipe_read(e, &m) != ZPIPE_OK)
        return false;
    bool ok = m.size == strlen(text) && memcmp(zmsg_data(&m), text, m.size) == 0;
    zmsg_close(&m);
    return ok;
}

static void live_zero(void)
{
    aio_stats st;
    aio_stats_get(&st);
    zt_assert(st.bufs == 0, "message bodies leaked: %lld", (long long)st.bufs);
}

ZT_TEST(pipe, visible_only_after_flush_and_wakes_sleeper, 10)
{
    zpipe_end *a, *b;
    seen sa = {0}, sb = {0};
    zt_assert(zpipe_new(&a, &b, 0, 0) == 0, "new");
    zpipe_set_notify(a, on_event, &sa);
    zpipe_set_notify(b, on_event, &sb);
    zmsg m;
    zmsg_init(&m);
    zt_assert(zpipe_read(b, &m) == ZPIPE_EMPTY, "empty at first"); /* b sleeps now */
    zmsg f = frame("one", true);
    zt_assert(zpipe_write(a, &f) == ZPIPE_OK && f.size == 0, "write moves the frame in");
    zt_assert(!zpipe_can_read(b), "unflushed frames are invisible");
    zmsg g = frame("two", false);
    zt_assert(zpipe_write(a, &g) == ZPIPE_OK, "write");
    zpipe_flush(a);
    zt_assert(atomic_load(&sb.readable) == 1, "the sleeping reader was woken once");
    zt_assert(read_is(b, "one") && read_is(b, "two"), "in order");
    /* a reader that did not sleep is not woken */
    zmsg h = frame("three", false);
    zpipe_write(a, &h);
    zpipe_flush(a);
    zt_assert(atomic_load(&sb.readable) == 1, "no wake-up for a reader that never slept");
    zt_assert(read_is(b, "three"), "read");
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

#define LONG_PART "part1 of a message long enough for a buffer body"

ZT_TEST(pipe, hwm_counts_messages_and_keeps_multipart_whole, 10)
{
    zpipe_end *a, *b;
    seen sa = {0};
    zt_assert(zpipe_new(&a, &b, 4, 0) == 0, "new");
    zpipe_set_notify(a, on_event, &sa);
    for (int i = 0; i < 4; i++) {
        zmsg p1 = frame(LONG_PART, true);
        zmsg p2 = frame("part2", false);
        zt_assert(zpipe_write(a, &p1) == ZPIPE_OK && zpipe_write(a, &p2) == ZPIPE_OK,
                  "message %d fits whole", i);
        zpipe_flush(a);
    }
    zmsg x = frame("fifth", false);
    zt_assert(!zpipe_can_write(a) && zpipe_write(a, &x) == ZPIPE_FULL, "the HWM of 4 messages");
    zt_assert(x.size == 5, "a refused frame stays the caller's");
    /* the writer sleeps until the queue is down to half the HWM */
    zt_assert(read_is(b, LONG_PART) && read_is(b, "part2"), "first");
    zt_assert(atomic_load(&sa.writable) == 0, "not yet: 3 of 4 still queued");
    zt_assert(read_is(b, LONG_PART) && read_is(b, "part2"), "second");
    zt_assert(atomic_load(&sa.writable) == 1, "woken at 2 of 4");
    zt_assert(zpipe_write(a, &x) == ZPIPE_OK, "room again");
    zpipe_flush(a);
    for (int i = 0; i < 2; i++)
        zt_assert(read_is(b, LONG_PART) && read_is(b, "part2"), "queued %d", i);
    zt_assert(read_is(b, "fifth"), "fifth");
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

/* Writes copies of like (one-frame messages) while the writer sees room, at most
 * limit, each flushed; returns how many went in. */
static int write_copies_while_room(zpipe_end *a, const zmsg *like, int limit)
{
    int n = 0;
    while (n < limit && zpipe_can_write(a)) {
        zmsg m;
        zmsg_init(&m);
        zt_assert(zmsg_copy(&m, like) == 0, "copy %d", n);
        zt_assert(zpipe_write(a, &m) == ZPIPE_OK, "write %d", n);
        zpipe_flush(a);
        n++;
    }
    return n;
}

/* The same with "m" */
static int write_while_room(zpipe_end *a, int limit)
{
    zmsg m = frame("m", false);
    int n = write_copies_while_room(a, &m, limit);
    zmsg_close(&m);
    return n;
}

/* Reads n messages of the given size; after each, the writer must have been woken
 * woken_before times, and woken_before + 1 after the last of them when wakes_last. */
static void read_large(zpipe_end *b, seen *sa, size_t size, int n, int woken_before,
                       bool wakes_last, const char *when)
{
    for (int i = 0; i < n; i++) {
        zmsg m;
        zmsg_init(&m);
        zt_assert(zpipe_read(b, &m) == ZPIPE_OK && zmsg_size(&m) == size, "%s: read %d",
                  when, i);
        zmsg_close(&m);
        int want = woken_before + (wakes_last && i == n - 1);
        int woken = atomic_load(&sa->writable);
        zt_assert(woken == want, "%s: woken %d times after %d read, not %d", when, woken, i + 1,
                  want);
    }
}

/* A new pipe (*a writes, sa counts its events) filled to hwm with messages of size
 * bytes, all sharing the body *big, and its writer asleep after a refused write of *x,
 * another copy: both are the caller's to close. */
static void large_pipe_full(zpipe_end **a, zpipe_end **b, seen *sa, int hwm, size_t size,
                            zmsg *big, zmsg *x)
{
    zt_assert(zpipe_new(a, b, hwm, 0) == 0, "new");
    zpipe_set_notify(*a, on_event, sa);
    zt_assert(zmsg_init_size(big, size) == 0, "body");
    int n = write_copies_while_room(*a, big, 2 * hwm);
    zt_assert(n == hwm, "%d messages before the HWM, not %d", n, hwm);
    zmsg_init(x);
    zt_assert(zmsg_copy(x, big) == 0, "copy");
    zt_assert(zpipe_write(*a, x) == ZPIPE_FULL, "full"); /* the writer sleeps */
}

/* A writer of large messages that the HWM stopped is woken once the reader has read
 * zpipe_wake_bytes() since it slept, long before half the HWM: the bodies freed
 * meanwhile are then still kept for the writer's next ones (pipe.c). The bytes count
 * from when the writer slept: neither those read before the last wake nor those read
 * while it was awake bring its next wake forward. */
ZT_TEST(pipe, a_writer_of_large_messages_is_woken_by_the_bytes_read, 10)
{
    enum { HWM = 100 };
    size_t size = zpipe_wake_bytes() / 4;
    zpipe_end *a, *b;
    seen sa = {0};
    zmsg big, x;
    large_pipe_full(&a, &b, &sa, HWM, size, &big, &x);
    read_large(b, &sa, size, 4, 0, true, "first sleep");
    /* room for the 4 read: the writer fills it and sleeps again */
    int n = write_copies_while_room(a, &big, 2 * HWM);
    zt_assert(n == 4, "%d written after 4 read, not 4", n);
    zt_assert(zpipe_write(a, &x) == ZPIPE_FULL, "full again");
    read_large(b, &sa, size, 4, 1, true, "second sleep");
    /* 3 read while the writer is awake, then it fills the queue and sleeps: 1 read is
     * not enough, 4 are */
    read_large(b, &sa, size, 3, 2, false, "writer awake");
    n = write_copies_while_room(a, &big, 2 * HWM);
    /* the reader tells reads made while the writer is awake in batches (zq_read_batch),
     * so the writer may not know of the last 3 yet */
    zt_assert(n >= 4 && n <= 7, "%d written after 7 read, not 4 to 7", n);
    zt_assert(zpipe_write(a, &x) == ZPIPE_FULL, "full a third time");
    read_large(b, &sa, size, 4, 2, true, "third sleep");
    zmsg_close(&x);
    zmsg_close(&big);
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

/* With a larger HWM the reader tells the writer what it read a quarter of the HWM at a
 * time, not once a message; the writer is still woken when half has drained, and a
 * reader that has read everything it saw leaves the writer the exact count. */
ZT_TEST(pipe, a_large_hwm_wakes_at_half_and_counts_a_drained_queue_exactly, 10)
{
    enum { HWM = 100 };
    zpipe_end *a, *b;
    seen sa = {0};
    zt_assert(zpipe_new(&a, &b, HWM, 0) == 0, "new");
    zpipe_set_notify(a, on_event, &sa);
    for (int round = 0; round < 2; round++) {
        int n = write_while_room(a, 2 * HWM);
        /* the first round starts empty; the second after a drained queue, so the
         * writer must have learnt of every read */
        zt_assert(n == HWM, "round %d: %d messages before the HWM, not %d", round, n, HWM);
        zmsg x = frame("x", false);
        zt_assert(zpipe_write(a, &x) == ZPIPE_FULL, "round %d: full", round); /* sleeps */
        zmsg_close(&x);
        for (int i = 0; i < HWM; i++) {
            zt_assert(read_is(b, "m"), "round %d: read %d", round, i);
            int woken = atomic_load(&sa.writable);
            if (i + 1 < HWM / 2)
                zt_assert(woken == round, "round %d: woken after %d of %d", round, i + 1, HWM);
            else
                zt_assert(woken == round + 1, "round %d: not woken at half (%d read)", round,
                          i + 1);
        }
    }
    /* fewer than a quarter read, but all there was: the writer has the whole HWM again */
    for (int i = 0; i < 7; i++) {
        zmsg m = frame("m", false);
        zt_assert(zpipe_write(a, &m) == ZPIPE_OK, "few %d", i);
    }
    zpipe_flush(a);
    for (int i = 0; i < 7; i++)
        zt_assert(read_is(b, "m"), "few: read %d", i);
    int n = write_while_room(a, 2 * HWM);
    zt_assert(n == HWM, "after 7 read of 7: %d messages before the HWM, not %d", n, HWM);
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

/* The reader's tells fall where it last caught up with what it saw: here at 10 read,
 * with 90 queued behind. A writer asleep at the HWM is still woken at half exactly. */
ZT_TEST(pipe, a_sleeping_writer_is_woken_at_half_whatever_the_last_tell, 10)
{
    enum { HWM = 100 };
    zpipe_end *a, *b;
    seen sa = {0};
    zt_assert(zpipe_new(&a, &b, HWM, 0) == 0, "new");
    zpipe_set_notify(a, on_event, &sa);
    int written = 0;
    for (; written < 10; written++) {
        zmsg m = frame("m", false);
        zt_assert(zpipe_write(a, &m) == ZPIPE_OK, "write %d", written);
    }
    zpipe_flush(a);
    zt_assert(read_is(b, "m"), "first read: the reader has seen 10");
    for (;; written++) { /* fill to the HWM: the writer knows of none read yet */
        zmsg m = frame("m", false);
        zpipe_status st = zpipe_write(a, &m);
        zpipe_flush(a);
        if (st == ZPIPE_FULL) {
            zmsg_close(&m);
            break;
        }
        zt_assert(st == ZPIPE_OK && written < 2 * HWM, "write %d", written);
    }
    zt_assert(written == HWM, "%d written before the HWM", written);
    for (int read = 1; read < HWM; read++) {
        zt_assert(read_is(b, "m"), "read %d", read + 1);
        int left = HWM - (read + 1);
        zt_assert(atomic_load(&sa.writable) == (left <= HWM / 2),
                  "%d left: the writer %s", left, left <= HWM / 2 ? "sleeps on" : "woke early");
        if (left == HWM / 2)
            break;
    }
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

/* Bytes read wake the writer only into room: with the HWM lowered under it, a writer
 * of large messages sleeps until the queue is below the new HWM, not once every
 * zpipe_wake_bytes() read. */
ZT_TEST(pipe, a_writer_of_large_messages_is_not_woken_without_room, 10)
{
    enum { HWM = 100, LOW = 10 };
    size_t size = zpipe_wake_bytes() / 4;
    zpipe_end *a, *b;
    seen sa = {0};
    zmsg big, x;
    large_pipe_full(&a, &b, &sa, HWM, size, &big, &x);
    zpipe_set_hwm(a, LOW, 0); /* wakes the writer to look again */
    zt_assert(atomic_load(&sa.writable) == 1, "not woken by the new HWM");
    zt_assert(zpipe_write(a, &x) == ZPIPE_FULL, "full under the new HWM"); /* sleeps */
    read_large(b, &sa, size, HWM - LOW, 1, false, "no room under the new HWM");
    read_large(b, &sa, size, 1, 1, true, "room for one");
    zmsg_close(&x);
    zmsg_close(&big);
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

/* Without an HWM the reader still tells every read, so an HWM set later counts what
 * is queued exactly, even where the reader stopped short of what it saw. */
ZT_TEST(pipe, an_hwm_set_later_counts_the_queue_exactly, 10)
{
    zpipe_end *a, *b;
    zt_assert(zpipe_new(&a, &b, 0, 0) == 0, "new");
    for (int i = 0; i < 203; i++) {
        zmsg m = frame("m", false);
        zt_assert(zpipe_write(a, &m) == ZPIPE_OK, "write %d", i);
    }
    zpipe_flush(a);
    for (int i = 0; i < 200; i++)
        zt_assert(read_is(b, "m"), "read %d", i);
    zpipe_set_hwm(a, 10, 0);
    int n = write_while_room(a, 20);
    zt_assert(n == 7, "3 queued under an HWM of 10: %d written, not 7", n);
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

ZT_TEST(pipe, rollback_takes_back_a_partial_message, 10)
{
    zpipe_end *a, *b;
    zt_assert(zpipe_new(&a, &b, 0, 0) == 0, "new");
    zmsg whole = frame("whole", false);
    zpipe_write(a, &whole);
    zpipe_flush(a);
    for (int i = 0; i < 100; i++) { /* across chunk boundaries */
        zmsg p = frame("a partial frame with a body in a pinned buffer", true);
        zt_assert(zpipe_write(a, &p) == ZPIPE_OK, "partial %d", i);
    }
    zpipe_rollback(a);
    zmsg after = frame("after", false);
    zpipe_write(a, &after);
    zpipe_flush(a);
    zt_assert(read_is(b, "whole") && read_is(b, "after"), "the partial message is gone");
    zmsg m;
    zmsg_init(&m);
    zt_assert(zpipe_read(b, &m) == ZPIPE_EMPTY, "nothing else");
    zpipe_detach(a);
    zpipe_detach(b);
    live_zero();
}

ZT_TEST(pipe, detach_hands_over_what_was_sent, 10)
{
    zpipe_end *a, *b;
    seen sb = {0};
    zt_assert(zpipe_new(&a, &b, 0, 0) == 0, "new");
    zpipe_set_notify(b, on_event, &sb);
    zmsg m1 = frame("last words", false);
    zpipe_write(a, &m1);
    zpipe_flush(a);
    zmsg unflushed = frame("never flushed", false);
    zpipe_write(a, &unflushed);
    zpipe_detach(a);
    zt_assert(atomic_load(&sb.gone) == 1 && zpipe_peer_gone(b), "the peer was told");
    zt_assert(read_is(b, "last words"), "what was flushed is delivered");
    zmsg m;
    zmsg_init(&m);
    zt_assert(zpipe_read(b, &m) == ZPIPE_TERMINATED, "then the pipe ends");
    zmsg w = frame("to nobody", false);
    zt_assert(zpipe_write(b, &w) == ZPIPE_TERMINATED, "writes to a gone peer are refused");
    zmsg_close(&w);
    zpipe_detach(b);
    live_zero();
}

ZT_TEST(pipe, reader_detaching_frees_unread, 10)
{
    zpipe_end *a, *b;
    zt_assert(zpipe_new(&a, &b, 0, 0) == 0, "new");
    for (int i = 0; i < 500; i++) {
        zmsg f = frame("an unread message whose body needs a pinned buffer", false);
        zpipe_write(a, &f);
    }
    zpipe_flush(a);
    zpipe_detach(b);
    zpipe_detach(a);
    live_zero();
}

/* A reader about to block on an inproc pipe spins first (zpipe_spin_read): it looks
 * without saying it sleeps, so the flush that ends its wait wakes nobody. Only pipes
 * between application threads spin, and never a conflating direction. */
typedef struct late_writer {
    zpipe_end *w;
    atomic_bool spinning;
} late_writer;

static void *late_writer_main(void *arg)
{
    late_writer *t = arg;
    while (!atomic_load(&t->spinning))
        sched_yield();
    zmsg m = frame("late", false);
    zpipe_write(t->w, &m);
    zpipe_flush(t->w);
    return NULL;
}

ZT_TEST(pipe, a_spinning_reader_costs_the_writer_no_wake_up, 30)
{
    zpipe_end *a, *b;
    seen sa = {0}, sb = {0};
    zt_assert(zpipe_new(&a, &b, 10, 10) == 0, "new");
    zpipe_set_notify(a, on_event, &sa);
    zpipe_set_notify(b, on_event, &sb);
    zt_assert(!zpipe_spins(a) && !zpipe_spins(b), "a pipe to a TCP session does not spin");
    zpipe_set_app_ends(a);
    zt_assert(zpipe_spins(a) && zpipe_spins(b), "an inproc pipe spins, both ways");

    zt_assert(!zpipe_spin_read(b, 20000), "nothing written: the spin gives up");
    zmsg f = frame("one", false);
    zt_assert(zpipe_write(a, &f) == ZPIPE_OK, "write");
    zpipe_flush(a);
    zt_assert(atomic_load(&sb.readable) == 0, "the flush after a spin wakes nobody");
    zt_assert(zpipe_spin_read(b, 20000), "a frame there ends the spin");
    zt_assert(read_is(b, "one"), "read");

    /* a frame flushed while the reader spins ends the spin (the budget is far longer
     * than the test's limit: only the frame can end it in time) */
    late_writer t = {.w = a};
    atomic_init(&t.spinning, false);
    pthread_t th;
    pthread_create(&th, NULL, late_writer_main, &t);
    atomic_store(&t.spinning, true);
    zt_assert(zpipe_spin_read(b, 3600LL * 1000000000), "the writer's flush ends the spin");
    pthread_join(th, NULL);
    zt_assert(read_is(b, "late"), "read");
    zt_assert(atomic_load(&sb.readable) == 0, "and woke nobody");

    zpipe_detach(a);
    zt_assert(zpipe_spin_read(b, 3600LL * 1000000000), "the peer's going ends the spin");
    zpipe_detach(b);

    zt_assert(zpipe_new(&a, &b, ZPIPE_CONFLATE, 10) == 0, "new");
    zpipe_set_app_ends(a);
    zt_assert(!zpipe_spins(b) && zpipe_spins(a), "the reader of a conflating direction does not spin");
    zpipe_detach(a);
    zpipe_detach(b);
    (void)sa;
    live_zero();
}

#ifdef __linux__
/* With one processor a spinning reader would only keep its writer off it: sockets ask
 * zcpu_count, which follows the affinity mask (taskset), not the processors online. */
ZT_TEST(pipe, the_processor_count_follows_the_affinity_mask, 10)
{
    cpu_set_t all, one;
    zt_assert(sched_getaffinity(0, sizeof all, &all) == 0, "getaffinity");
    zt_assert(zcpu_count() == CPU_COUNT(&all), "every processor allowed: %d", zcpu_count());
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    zt_assert(sched_setaffinity(0, sizeof one, &one) == 0, "setaffinity");
    int n = zcpu_count();
    sched_setaffinity(0, sizeof all, &all);
    zt_assert(n == 1, "pinned to one processor: %d", n);
}
#endif

/* Two threads, 300,000 frames, a small HWM: every frame arrives once, in order, and
 * the wake-ups never get lost (the test would hang). */
typedef struct spsc {
    zpipe_end *w, *r;
    seen ws, rs;
    int n;
} spsc;

static void *writer_main(void *arg)
{
    spsc *t = arg;
    for (int i = 0; i < t->n; i++) {
        zmsg m;
        zmsg_init(&m);
        memcpy(m.vsm, &i, sizeof i);
        m.size = sizeof i;
        for (;;) {
            int seen_before = atomic_load(&t->ws.writable);
            zpipe_status st = zpipe_write(t->w, &m);
            if (st == ZPIPE_OK)
                break;
            /* asleep: wait for the wake-up the reader owes us */
            while (atomic_load(&t->ws.writable) == seen_before)
                sched_yield(); /* two cores shared with the rest of the suite */
        }
        if (i % 7 == 0 || i == t->n - 1)
            zpipe_flush(t->w);
    }
    return NULL;
}

ZT_TEST(pipe, two_threads_300000_frames_in_order, 60)
{
    spsc t = {.n = 300000};
    atomic_init(&t.ws.writable, 0);
    atomic_init(&t.rs.readable, 0);
    zt_assert(zpipe_new(&t.w, &t.r, 64, 0) == 0, "new");
    zpipe_set_notify(t.w, on_event, &t.ws);
    zpipe_set_notify(t.r, on_event, &t.rs);
    pthread_t th;
    pthread_create(&th, NULL, writer_main, &t);
    for (int i = 0; i < t.n;) {
        int seen_before = atomic_load(&t.rs.readable);
        zmsg m;
        zmsg_init(&m);
        zpipe_status st = zpipe_read(t.r, &m);
        if (st == ZPIPE_EMPTY) {
            while (atomic_load(&t.rs.readable) == seen_before)
                sched_yield();
            continue;
        }
        int v;
        memcpy(&v, m.vsm, sizeof v);
        zt_assert(v == i, "frame %d arrived as %d", i, v);
        i++;
    }
    pthread_join(th, NULL);
    zpipe_detach(t.w);
    zpipe_detach(t.r);
    live_zero();
}

/* ZAIO_CONFLATE's direction: one slot, the newest message, never a full pipe. */
ZT_TEST(pipe, conflate_keeps_the_newest_message_only, 10)
{
    zpipe_end *a, *b;
    seen sa = {0}, sb = {0};
    zt_assert(zpipe_new(&a, &b, ZPIPE_CONFLATE, 0) == 0, "new");
    zpipe_set_notify(a, on_event, &sa);
    zpipe_set_notify(b, on_event, &sb);
    zt_assert(zpipe_conflates(b) && !zpipe_conflates(a), "only a to b conflates");
    zmsg m;
    zmsg_init(&m);
    zt_assert(zpipe_read(b, &m) == ZPIPE_EMPTY, "empty at first"); /* b sleeps now */
    zmsg f = frame("one", false);
    zt_assert(zpipe_write(a, &f) == ZPIPE_OK && f.size == 0, "write moves the frame in");
    zt_assert(atomic_load(&sb.readable) == 1, "the sleeper is woken by the write itself");
    zt_assert(zpipe_can_read(b), "visible without a flush");
    for (int i = 0; i < 5000; i++) { /* far past any HWM: nothing blocks, nothing piles up */
        zmsg g = frame(LONG_PART, false);
        zt_assert(zpipe_can_write(a) && zpipe_write(a, &g) == ZPIPE_OK, "write %d", i);
    }
    zmsg p1 = frame("head", true);
    zmsg p2 = frame("tail", false);
    zt_assert(zpipe_write(a, &p1) == ZPIPE_OK && zpipe_write(a, &p2) == ZPIPE_OK, "multipart");
    zpipe_flush(a);
    zt_assert(zpipe_read(b, &m) == ZPIPE_OK, "read");
    zt_assert(m.size == 4 && memcmp(zmsg_data(&m), "tail", 4) == 0 && !zmsg_more(&m),
              "the newest message, its last frame, and nothing of the 5,001 before it");
    zmsg_close(&m);
    zt_assert(zpipe_read(b, &m) == ZPIPE_EMPTY, "one message at most");
    zt_assert(atomic_load(&sa.writable) == 0, "the writer never slept");
    /* the other way is an ordinary queue */
    zmsg x = frame("x", false), y = frame("y", false);
    zpipe_write(b, &x);
    zpipe_write(b, &y);
    zpipe_flush(b);
    zt_assert(read_is(a, "x") && read_is(a, "y"), "b to a keeps everything, in order");
    /* what the writer left behind is read, then the end */
    zmsg z = frame(LONG_PART, false);
    zpipe_write(a, &z);
    zpipe_detach(a);
    zt_assert(read_is(b, LONG_PART), "the last message outlives its writer");
    zt_assert(zpipe_read(b, &m) == ZPIPE_TERMINATED, "then the end");
    zpipe_detach(b);
    live_zero();
}

ZT_TEST(pipe, conflate_two_threads_newest_wins_and_nothing_goes_back, 60)
{
    spsc t = {.n = 300000};
    atomic_init(&t.ws.writable, 0);
    atomic_init(&t.rs.readable, 0);
    zt_assert(zpipe_new(&t.w, &t.r, ZPIPE_CONFLATE, 0) == 0, "new");
    zpipe_set_notify(t.w, on_event, &t.ws);
    zpipe_set_notify(t.r, on_event, &t.rs);
    pthread_t th;
    pthread_create(&th, NULL, writer_main, &t);
    int last = -1, reads = 0;
    while (last != t.n - 1) {
        int seen_before = atomic_load(&t.rs.readable);
        zmsg m;
        zmsg_init(&m);
        if (zpipe_read(t.r, &m) == ZPIPE_EMPTY) {
            /* a lost wake-up would hang here (the test's deadline) */
            while (atomic_load(&t.rs.readable) == seen_before)
                sched_yield();
            continue;
        }
        int v;
        memcpy(&v, m.vsm, sizeof v);
        zt_assert(v > last, "%d after %d: an older message came after a newer one", v, last);
        last = v;
        reads++;
    }
    pthread_join(th, NULL);
    zt_assert(atomic_load(&t.ws.writable) == 0, "the writer never slept");
    zmsg m;
    zmsg_init(&m);
    zt_assert(zpipe_read(t.r, &m) == ZPIPE_EMPTY, "nothing after the newest");
    zt_log("%d of %d messages read", reads, t.n);
    zpipe_detach(t.w);
    zpipe_detach(t.r);
    live_zero();
}
