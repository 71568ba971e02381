/* monitor.c - zaio_socket_monitor: events go to a PAIR socket bound at an inproc
 * endpoint, two frames each (6 bytes: uint16 event and uint32 value in host order, then
 * the endpoint), as libzmq 4.3 sends them. Any thread may emit (the I/O threads do);
 * the monitor's lock makes the PAIR single-threaded, as a socket must be.
 *
 * Every socket has one zmonitor from its creation to its close, and its TCP listeners and
 * sessions each hold a reference: a monitor started, replaced or stopped at any time only
 * swaps the PAIR inside, so it hears the listeners and connections that already exist,
 * as libzmq's does. When the socket closes, the monitor stops with the last of them
 * (MONITOR_STOPPED last of all, after what its connections said while they lingered and
 * went), on whichever thread lets go last: libzmq too stops it once the socket is gone. */
#include "core/ctx.h"
#include "core/socket.h"
#include "core/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct zmonitor {
    atomic_int refs;
    zmutex lock;
    zsock *pair; /* NULL once stopped */
    int events;
};

zmonitor *zmonitor_new(void)
{
    zmonitor *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    zmutex_init(&m->lock);
    return m;
}

zmonitor *zmonitor_ref(zmonitor *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

static void monitor_swap(zmonitor *m, zsock *pair, int events);

void zmonitor_unref(zmonitor *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    monitor_swap(m, NULL, 0); /* nobody else can emit now: the lock is only for form */
    zmutex_fini(&m->lock);
    free(m);
}

static void emit_locked(zmonitor *m, int event, uint32_t value, const char *endpoint)
{
    if (!m->pair || !(m->events & event))
        return;
    zmsg f1, f2;
    zmsg_init(&f1);
    uint16_t ev = (uint16_t)event;
    memcpy(f1.vsm, &ev, 2);
    memcpy(f1.vsm + 2, &value, 4);
    f1.size = 6;
    if (zmsg_init_copy(&f2, endpoint ? endpoint : "", endpoint ? strlen(endpoint) : 0) < 0)
        return;
    /* nobody listening, or a slow reader at the HWM: the event is dropped, as in libzmq */
    if (zsock_send(m->pair, &f1, ZAIO_SNDMORE | ZAIO_DONTWAIT) == 0) {
        if (zsock_send(m->pair, &f2, ZAIO_DONTWAIT) != 0)
            zmsg_close(&f2);
    } else {
        zmsg_close(&f1);
        zmsg_close(&f2);
    }
}

void zmonitor_event(zmonitor *m, int event, uint32_t value, const char *endpoint)
{
    if (!m)
        return;
    zmutex_lock(&m->lock);
    emit_locked(m, event, value, endpoint);
    zmutex_unlock(&m->lock);
}

/* Puts `pair` (NULL: none) in the monitor's place; the one there before hears that it
 * stopped, then closes. */
static void monitor_swap(zmonitor *m, zsock *pair, int events)
{
    zmutex_lock(&m->lock);
    emit_locked(m, ZAIO_EVENT_MONITOR_STOPPED, 0, "");
    zsock *old = m->pair;
    m->pair = pair;
    m->events = events;
    zmutex_unlock(&m->lock);
    if (old)
        zsock_close(old); /* what it sent stays in its pipe for the reader */
}

/* The socket closes: its reference goes; the monitor stops with the last one. */
void zmonitor_stop(zsock *s)
{
    zmonitor *m = s->monitor;
    s->monitor = NULL;
    zmonitor_unref(m);
}

int zaio_socket_monitor(void *socket, const char *endpoint, int events)
{
    zsock *s = socket;
    if (!s || s->tag != ZSOCK_TAG)
        return zaio__set_errno(-ENOTSOCK);
    if (!endpoint) {
        monitor_swap(s->monitor, NULL, 0);
        return 0;
    }
    if (strncmp(endpoint, "inproc://", 9) != 0)
        return zaio__set_errno(-EPROTONOSUPPORT);
    zsock *pair;
    int rc = zsock_new(s->ctx, ZAIO_PAIR, &pair);
    if (rc == 0) {
        rc = zsock_bind(pair, endpoint);
        if (rc < 0)
            zsock_close(pair);
    }
    if (rc < 0)
        return zaio__set_errno(rc);
    monitor_swap(s->monitor, pair, events); /* a new monitor replaces the old one */
    return 0;
}
