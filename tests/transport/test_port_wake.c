/* aio_port_wake, the I/O thread's wake-up since issue 14 (it replaced an aio_port_post,
 * which allocated a signal per wake-up): a wake from another thread ends a poll that
 * waits forever, a wake before the poll makes that poll return at once, neither
 * delivers a completion, and it leaves nothing behind in the counters. */
#include "aio.h"
#include "zt.h"

#include <pthread.h>

static void *wake_later(void *p)
{
    aio_port_wake(p);
    return NULL;
}

static aio_port *port(void)
{
    aio_port *p;
    int rc = aio_port_new(AIO_BACKEND_AUTO, &p);
    zt_assert(rc == 0, "port: %s", aio_strerror(rc));
    return p;
}

static void finish(aio_port *p)
{
    aio_port_destroy(p);
    aio_stats st;
    aio_stats_get(&st);
    zt_assert(aio_stats_live_zero(&st), "live: ops %lld ports %lld", (long long)st.ops_in_flight,
              (long long)st.ports);
}

ZT_TEST(port_wake, wakes_a_poll_that_waits_forever, 30)
{
    aio_port *p = port();
    pthread_t t;
    zt_assert(pthread_create(&t, NULL, wake_later, p) == 0, "thread");
    /* blocks forever unless the wake ends it, whether it comes before or during */
    int n = aio_port_poll(p, -1);
    pthread_join(t, NULL);
    zt_assert(n == 0, "a wake delivers no completion (poll returned %d)", n);
    finish(p);
}

ZT_TEST(port_wake, a_wake_before_the_poll_is_kept, 30)
{
    aio_port *p = port();
    aio_port_wake(p);
    aio_port_wake(p); /* counts as one */
    zt_assert(aio_port_poll(p, -1) == 0, "the poll after a wake returns at once");
    aio_stats st;
    aio_stats_get(&st);
    zt_assert(st.ops_in_flight == 0, "a wake is no op in flight (%lld)", (long long)st.ops_in_flight);
    finish(p);
}
