/* timers.c - zaio_timers_*: libzmq's timer set for an application's own poll loop
 * (timeout says how long to poll, execute runs what is due). The I/O threads' timers in
 * io_thread.c are a different thing: theirs live on a thread zaio owns.
 *
 * A set holds a handful of timers, so it is an array scanned in full: that keeps the
 * hard part simple, which is a handler changing the set while execute walks it. Nothing
 * is removed from the array during execute (a cancel only marks), so an index stays
 * good across a handler that adds timers and moves the array; the marked ones go when
 * the outermost execute ends. */
#include "core/io_thread.h" /* zclock_ms */
#include "zaio.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"

#define ZTIMERS_TAG 0x7a746d72u

typedef struct ztimer_entry {
    int id;
    bool cancelled;
    size_t interval;
    int64_t due;
    uint64_t armed; /* arming order: ties on due run in it, as libzmq's multimap does */
    zaio_timer_fn *fn;
    void *arg;
} ztimer_entry;

typedef struct ztimers {
    uint32_t tag;
    ztimer_entry *v;
    int n, cap;
    int last_id;
    uint64_t last_armed;
    int executing; /* nesting depth of execute: no removal while above zero */
} ztimers;

static ztimers *timers_check(void *p)
{
    ztimers *t = p;
    if (!t || t->tag != ZTIMERS_TAG) {
        zaio__set_errno(-EFAULT);
        return NULL;
    }
    return t;
}

/* The timer an id names in a set: NULL with EFAULT for a bad set, EINVAL for an id
 * that is not (or no longer) there. */
static ztimer_entry *find_live(void *timers, int id, ztimers **set)
{
    ztimers *t = timers_check(timers);
    if (!t)
        return NULL;
    for (int i = 0; i < t->n; i++)
        if (t->v[i].id == id && !t->v[i].cancelled) {
            *set = t;
            return &t->v[i];
        }
    zaio__set_errno(-EINVAL);
    return NULL;
}

static void arm(ztimers *t, ztimer_entry *e, int64_t now)
{
    /* a size_t beyond int64_t would wrap to the past: never due is the honest reading */
    e->due = e->interval >= (size_t)(INT64_MAX - now) ? INT64_MAX : now + (int64_t)e->interval;
    e->armed = ++t->last_armed;
}

static void compact(ztimers *t)
{
    int k = 0;
    for (int i = 0; i < t->n; i++)
        if (!t->v[i].cancelled)
            t->v[k++] = t->v[i];
    t->n = k;
}

void *zaio_timers_new(void)
{
    ztimers *t = calloc(1, sizeof *t);
    if (!t) {
        zaio__set_errno(-ENOMEM);
        return NULL;
    }
    t->tag = ZTIMERS_TAG;
    return t;
}

int zaio_timers_destroy(void **timers_p)
{
    ztimers *t = timers_check(timers_p ? *timers_p : NULL);
    if (!t)
        return -1;
    t->tag = 0;
    free(t->v);
    free(t);
    *timers_p = NULL;
    return 0;
}

int zaio_timers_add(void *timers, size_t interval, zaio_timer_fn handler, void *arg)
{
    ztimers *t = timers_check(timers);
    if (!t)
        return -1;
    if (!handler)
        return zaio__set_errno(-EFAULT);
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        ztimer_entry *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v)
            return zaio__set_errno(-ENOMEM);
        t->v = v;
        t->cap = cap;
    }
    ztimer_entry *e = &t->v[t->n++];
    *e = (ztimer_entry){.id = ++t->last_id, .interval = interval, .fn = handler, .arg = arg};
    arm(t, e, zclock_ms());
    return e->id;
}

int zaio_timers_cancel(void *timers, int timer_id)
{
    ztimers *t;
    ztimer_entry *e = find_live(timers, timer_id, &t);
    if (!e)
        return -1;
    e->cancelled = true;
    if (!t->executing)
        compact(t);
    return 0;
}

int zaio_timers_set_interval(void *timers, int timer_id, size_t interval)
{
    ztimers *t;
    ztimer_entry *e = find_live(timers, timer_id, &t);
    if (!e)
        return -1;
    e->interval = interval;
    arm(t, e, zclock_ms());
    return 0;
}

int zaio_timers_reset(void *timers, int timer_id)
{
    ztimers *t;
    ztimer_entry *e = find_live(timers, timer_id, &t);
    if (!e)
        return -1;
    arm(t, e, zclock_ms());
    return 0;
}

long zaio_timers_timeout(void *timers)
{
    ztimers *t = timers_check(timers);
    if (!t)
        return -1;
    int64_t next = INT64_MAX;
    bool any = false;
    for (int i = 0; i < t->n; i++) {
        if (t->v[i].cancelled)
            continue;
        any = true;
        if (t->v[i].due < next)
            next = t->v[i].due;
    }
    if (!any)
        return -1;
    int64_t left = next - zclock_ms();
    if (left < 0)
        return 0;
    return left > LONG_MAX ? LONG_MAX : (long)left;
}

/* The next timer to run in an execute that began at now after arming `before`: due,
 * live, and not armed since (a handler's re-arm or reset waits for the next execute,
 * which is also what stops a zero interval from running forever). -1: none. */
static int next_due(const ztimers *t, int64_t now, uint64_t before)
{
    int best = -1;
    for (int i = 0; i < t->n; i++) {
        const ztimer_entry *e = &t->v[i];
        if (e->cancelled || e->due > now || e->armed > before)
            continue;
        if (best < 0 || e->due < t->v[best].due ||
            (e->due == t->v[best].due && e->armed < t->v[best].armed))
            best = i;
    }
    return best;
}

int zaio_timers_execute(void *timers)
{
    ztimers *t = timers_check(timers);
    if (!t)
        return -1;
    int64_t now = zclock_ms();
    uint64_t before = t->last_armed;
    t->executing++;
    int i;
    while ((i = next_due(t, now, before)) >= 0) {
        ztimer_entry *e = &t->v[i];
        uint64_t armed = e->armed;
        e->fn(e->id, e->arg);
        e = &t->v[i]; /* the handler may have added timers and moved the array */
        if (!e->cancelled && e->armed == armed)
            arm(t, e, now); /* unless the handler re-armed it itself */
    }
    if (--t->executing == 0)
        compact(t);
    return 0;
}
