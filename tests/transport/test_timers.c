/* zaio_timers_*: order of execution, cancel (also from inside a handler), reset,
 * set_interval, timeout, and the errors for bad ids and bad sets. The waits are the
 * ones zaio_timers_timeout asks for, as a program's poll loop would make them. */
#include "tcp_helpers.h"

#define LOG_MAX 64

typedef struct tlog {
    void *timers;
    int ids[LOG_MAX];
    int n;
    int cancel_self; /* a handler cancels its own timer */
    int cancel_other; /* ... or this one, if non-zero */
    int add_from_handler; /* ... or adds a timer with interval 0 */
    int added_id;
} tlog;

static void on_timer(int id, void *arg)
{
    tlog *l = arg;
    if (l->n < LOG_MAX)
        l->ids[l->n++] = id;
    if (l->cancel_self)
        zt_assert(zaio_timers_cancel(l->timers, id) == 0, "cancel itself: %d", zaio_errno());
    if (l->cancel_other) {
        zt_assert(zaio_timers_cancel(l->timers, l->cancel_other) == 0, "cancel another");
        l->cancel_other = 0;
    }
    if (l->add_from_handler) {
        l->added_id = zaio_timers_add(l->timers, 0, on_timer, l);
        zt_assert(l->added_id > 0, "add from a handler");
        l->add_from_handler = 0;
    }
}

/* The loop a program runs: wait what timeout says, execute; until `want` entries are
 * logged or the set is empty. */
static void run_until(void *timers, tlog *l, int want, int max_ms)
{
    int64_t end = th_now_ms() + max_ms;
    while (l->n < want) {
        long t = zaio_timers_timeout(timers);
        if (t < 0)
            break;
        zt_assert(th_now_ms() < end, "only %d of %d timers ran in %d ms", l->n, want, max_ms);
        zt_assert(zaio_poll(NULL, 0, t) == 0, "wait %ld ms", t);
        zt_assert(zaio_timers_execute(timers) == 0, "execute");
    }
}

ZT_TEST(timers, run_in_order_of_due_time, 10)
{
    void *t = zaio_timers_new();
    zt_assert(t, "new");
    tlog l = {.timers = t, .cancel_self = 1};
    int a = zaio_timers_add(t, 60, on_timer, &l);
    int b = zaio_timers_add(t, 20, on_timer, &l);
    int c = zaio_timers_add(t, 40, on_timer, &l);
    zt_assert(a == 1 && b == 2 && c == 3, "ids from 1: %d %d %d", a, b, c);
    zt_assert(zaio_timers_execute(t) == 0 && l.n == 0, "nothing is due yet");
    run_until(t, &l, 3, 5000);
    zt_assert(l.n == 3 && l.ids[0] == b && l.ids[1] == c && l.ids[2] == a,
              "order %d %d %d, want %d %d %d", l.ids[0], l.ids[1], l.ids[2], b, c, a);
    zt_assert(zaio_timers_timeout(t) == -1, "each cancelled itself: none left");
    zt_assert(zaio_timers_destroy(&t) == 0 && t == NULL, "destroy clears the pointer");
}

ZT_TEST(timers, ties_run_in_the_order_they_were_armed, 10)
{
    void *t = zaio_timers_new();
    tlog l = {.timers = t};
    int ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = zaio_timers_add(t, 0, on_timer, &l);
    zt_assert(zaio_timers_timeout(t) == 0, "due at once");
    zt_assert(zaio_timers_execute(t) == 0, "execute");
    zt_assert(l.n == 5, "a zero interval runs once per execute, not forever: %d", l.n);
    for (int i = 0; i < 5; i++)
        zt_assert(l.ids[i] == ids[i], "position %d: %d", i, l.ids[i]);
    zt_assert(zaio_timers_reset(t, ids[0]) == 0, "reset");
    zt_assert(zaio_timers_execute(t) == 0 && l.n == 10, "again: %d", l.n);
    /* the one reset last goes last among equals */
    zt_assert(l.ids[9] == ids[0], "reset moved it to the back: %d", l.ids[9]);
    zaio_timers_destroy(&t);
}

ZT_TEST(timers, repeat_until_cancelled, 10)
{
    void *t = zaio_timers_new();
    tlog l = {.timers = t};
    int id = zaio_timers_add(t, 5, on_timer, &l);
    run_until(t, &l, 3, 5000);
    zt_assert(l.n == 3 && l.ids[0] == id && l.ids[2] == id, "the same timer three times");
    zt_assert(zaio_timers_cancel(t, id) == 0, "cancel");
    zt_assert(zaio_timers_timeout(t) == -1, "no timer left");
    zt_assert(zaio_timers_cancel(t, id) == -1 && zaio_errno() == EINVAL, "cancel twice");
    zt_assert(zaio_timers_reset(t, id) == -1 && zaio_errno() == EINVAL, "reset a cancelled one");
    zt_assert(zaio_timers_set_interval(t, id, 5) == -1 && zaio_errno() == EINVAL,
              "set_interval of a cancelled one");
    zaio_timers_destroy(&t);
}

ZT_TEST(timers, a_handler_cancels_a_due_timer, 10)
{
    void *t = zaio_timers_new();
    tlog l = {.timers = t};
    int first = zaio_timers_add(t, 0, on_timer, &l);
    int second = zaio_timers_add(t, 0, on_timer, &l);
    l.cancel_other = second;
    zt_assert(zaio_timers_execute(t) == 0, "execute");
    zt_assert(l.n == 1 && l.ids[0] == first, "the cancelled one did not run: %d ran", l.n);
    zt_assert(zaio_timers_cancel(t, second) == -1 && zaio_errno() == EINVAL, "it is gone");
    zt_assert(zaio_timers_execute(t) == 0 && l.n == 2 && l.ids[1] == first, "the other goes on");
    zaio_timers_destroy(&t);
}

ZT_TEST(timers, a_timer_added_by_a_handler_waits_for_the_next_execute, 10)
{
    void *t = zaio_timers_new();
    tlog l = {.timers = t, .add_from_handler = 1};
    int first = zaio_timers_add(t, 0, on_timer, &l);
    /* enough timers that the handler's add moves the array (8 fit at first) */
    for (int i = 0; i < 7; i++)
        zaio_timers_add(t, 1000000, on_timer, &l);
    zt_assert(zaio_timers_execute(t) == 0, "execute");
    zt_assert(l.n == 1 && l.ids[0] == first, "only the due one: %d", l.n);
    zt_assert(l.added_id == 9, "the new timer's id: %d", l.added_id);
    zt_assert(zaio_timers_execute(t) == 0 && l.n == 3, "both next time: %d", l.n);
    /* which goes first depends on whether the clock ticked during the handler (the
     * re-armed one is due from when execute began, the new one from its add) */
    zt_assert((l.ids[1] == first && l.ids[2] == l.added_id) ||
                  (l.ids[1] == l.added_id && l.ids[2] == first), "%d and %d", l.ids[1], l.ids[2]);
    zaio_timers_destroy(&t);
}

ZT_TEST(timers, reset_and_set_interval, 10)
{
    void *t = zaio_timers_new();
    tlog l = {.timers = t};
    int id = zaio_timers_add(t, 1000, on_timer, &l);
    long t0 = zaio_timers_timeout(t);
    zt_assert(t0 > 0 && t0 <= 1000, "timeout %ld", t0);
    th_sleep_ms(300); /* let a third of the interval pass */
    long before = zaio_timers_timeout(t);
    zt_assert(before <= 700, "time passed: %ld left", before);
    zt_assert(zaio_timers_reset(t, id) == 0, "reset");
    long after = zaio_timers_timeout(t);
    zt_assert(after > before && after <= 1000, "reset starts the interval again: %ld, was %ld",
              after, before);
    zt_assert(zaio_timers_set_interval(t, id, 10) == 0, "set_interval");
    zt_assert(zaio_timers_timeout(t) <= 10, "due within the new interval: %ld",
              zaio_timers_timeout(t));
    run_until(t, &l, 1, 5000);
    zt_assert(l.n == 1 && l.ids[0] == id, "ran");
    long next = zaio_timers_timeout(t);
    zt_assert(next >= 0 && next <= 10, "and repeats at the new interval: %ld", next);
    zaio_timers_destroy(&t);
}

ZT_TEST(timers, bad_ids_and_bad_sets, 10)
{
    void *t = zaio_timers_new();
    tlog l = {.timers = t};
    zt_assert(zaio_timers_timeout(t) == -1, "an empty set has no timeout");
    zt_assert(zaio_timers_execute(t) == 0, "an empty set executes nothing");
    int ids[] = {0, -1, 1, 42};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        zt_assert(zaio_timers_cancel(t, ids[i]) == -1 && zaio_errno() == EINVAL, "cancel %d",
                  ids[i]);
        zt_assert(zaio_timers_reset(t, ids[i]) == -1 && zaio_errno() == EINVAL, "reset %d", ids[i]);
        zt_assert(zaio_timers_set_interval(t, ids[i], 1) == -1 && zaio_errno() == EINVAL,
                  "set_interval %d", ids[i]);
    }
    zt_assert(zaio_timers_add(t, 10, NULL, &l) == -1 && zaio_errno() == EFAULT, "no handler");
    int not_timers = 7;
    zt_assert(zaio_timers_add(&not_timers, 10, on_timer, &l) == -1 && zaio_errno() == EFAULT,
              "not a timer set");
    zt_assert(zaio_timers_add(NULL, 10, on_timer, &l) == -1 && zaio_errno() == EFAULT, "NULL");
    zt_assert(zaio_timers_cancel(NULL, 1) == -1 && zaio_errno() == EFAULT, "cancel on NULL");
    zt_assert(zaio_timers_execute(NULL) == -1 && zaio_errno() == EFAULT, "execute on NULL");
    zt_assert(zaio_timers_timeout(NULL) == -1 && zaio_errno() == EFAULT, "timeout on NULL");
    zt_assert(zaio_timers_destroy(&t) == 0 && t == NULL, "destroy");
    zt_assert(zaio_timers_destroy(&t) == -1 && zaio_errno() == EFAULT, "destroy twice");
    zt_assert(zaio_timers_destroy(NULL) == -1 && zaio_errno() == EFAULT, "destroy NULL");
}
