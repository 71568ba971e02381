/* poller.c - zaio_poller_*: libzmq's draft poller, a registered set of sockets and
 * descriptors waited on as a whole. The waiting is zaio_poll's (poll.c): the poller
 * keeps a zaio_pollitem_t array in step with its items and hands it over, so a socket's
 * readiness is decided in one place for both APIs. */
#include "core/socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define ZPOLLER_TAG 0x7a706c72u

#ifdef _WIN32
#define ZPOLLER_NO_FD ((zaio_fd_t)~(uintptr_t)0) /* INVALID_SOCKET */
#else
#define ZPOLLER_NO_FD (-1)
#endif

#define ZPOLLER_EVENTS (ZAIO_POLLIN | ZAIO_POLLOUT | ZAIO_POLLERR | ZAIO_POLLPRI)

typedef struct zpoller_item {
    zsock *socket; /* NULL: fd */
    zaio_fd_t fd;
    void *user_data;
    short events;
} zpoller_item;

typedef struct zpoller {
    uint32_t tag;
    zpoller_item *items; /* in the order they were added: events are reported so */
    int n, cap;
    /* what zaio_poll is given: the items with events, rebuilt after a change */
    zaio_pollitem_t *poll;
    int *poll_item; /* poll[k] is items[poll_item[k]] */
    int npoll;
    bool stale;
} zpoller;

static zpoller *poller_check(void *p)
{
    zpoller *pl = p;
    if (!pl || pl->tag != ZPOLLER_TAG) {
        zaio__set_errno(-EFAULT);
        return NULL;
    }
    return pl;
}

static int find(const zpoller *pl, const zsock *s, zaio_fd_t fd)
{
    for (int i = 0; i < pl->n; i++)
        if (s ? pl->items[i].socket == s : (!pl->items[i].socket && pl->items[i].fd == fd))
            return i;
    return -1;
}

/* The checks every add/modify/remove shares, in libzmq's order: the poller (EFAULT),
 * then the socket (ENOTSOCK) or descriptor (EBADF), then the events (EINVAL). */
static zpoller *args_check(void *poller, void *socket, bool is_fd, zaio_fd_t fd, int events)
{
    zpoller *pl = poller_check(poller);
    if (!pl)
        return NULL;
    const zsock *s = socket;
    if (!is_fd && (!s || s->tag != ZSOCK_TAG)) {
        zaio__set_errno(-ENOTSOCK);
        return NULL;
    }
    if (is_fd && fd == ZPOLLER_NO_FD) {
        zaio__set_errno(-EBADF);
        return NULL;
    }
    if (events & ~ZPOLLER_EVENTS) {
        zaio__set_errno(-EINVAL);
        return NULL;
    }
    return pl;
}

static int item_add(zpoller *pl, zsock *s, zaio_fd_t fd, void *user_data, short events)
{
    if (find(pl, s, fd) >= 0)
        return zaio__set_errno(-EINVAL);
    if (pl->n == pl->cap) {
        int cap = pl->cap ? pl->cap * 2 : ZAIO_POLLITEMS_DFLT;
        zpoller_item *items = realloc(pl->items, (size_t)cap * sizeof *items);
        if (!items)
            return zaio__set_errno(-ENOMEM);
        pl->items = items;
        zaio_pollitem_t *poll = realloc(pl->poll, (size_t)cap * sizeof *poll);
        if (!poll)
            return zaio__set_errno(-ENOMEM);
        pl->poll = poll;
        int *map = realloc(pl->poll_item, (size_t)cap * sizeof *map);
        if (!map)
            return zaio__set_errno(-ENOMEM);
        pl->poll_item = map;
        pl->cap = cap;
    }
    pl->items[pl->n++] = (zpoller_item){s, s ? ZPOLLER_NO_FD : fd, user_data, events};
    pl->stale = true;
    return 0;
}

static int item_modify(zpoller *pl, zsock *s, zaio_fd_t fd, short events)
{
    int i = find(pl, s, fd);
    if (i < 0)
        return zaio__set_errno(-EINVAL);
    pl->items[i].events = events;
    pl->stale = true;
    return 0;
}

static int item_remove(zpoller *pl, zsock *s, zaio_fd_t fd)
{
    int i = find(pl, s, fd);
    if (i < 0)
        return zaio__set_errno(-EINVAL);
    memmove(&pl->items[i], &pl->items[i + 1], (size_t)(pl->n - i - 1) * sizeof pl->items[0]);
    pl->n--;
    pl->stale = true;
    return 0;
}

void *zaio_poller_new(void)
{
    zpoller *pl = calloc(1, sizeof *pl);
    if (!pl) {
        zaio__set_errno(-ENOMEM);
        return NULL;
    }
    pl->tag = ZPOLLER_TAG;
    return pl;
}

int zaio_poller_destroy(void **poller_p)
{
    zpoller *pl = poller_check(poller_p ? *poller_p : NULL);
    if (!pl)
        return -1;
    pl->tag = 0;
    free(pl->items);
    free(pl->poll);
    free(pl->poll_item);
    free(pl);
    *poller_p = NULL;
    return 0;
}

int zaio_poller_size(void *poller)
{
    zpoller *pl = poller_check(poller);
    return pl ? pl->n : -1;
}

int zaio_poller_add(void *poller, void *socket, void *user_data, short events)
{
    zpoller *pl = args_check(poller, socket, false, 0, events);
    return pl ? item_add(pl, socket, 0, user_data, events) : -1;
}

int zaio_poller_modify(void *poller, void *socket, short events)
{
    zpoller *pl = args_check(poller, socket, false, 0, events);
    return pl ? item_modify(pl, socket, 0, events) : -1;
}

int zaio_poller_remove(void *poller, void *socket)
{
    zpoller *pl = args_check(poller, socket, false, 0, 0);
    return pl ? item_remove(pl, socket, 0) : -1;
}

int zaio_poller_add_fd(void *poller, zaio_fd_t fd, void *user_data, short events)
{
    zpoller *pl = args_check(poller, NULL, true, fd, events);
    return pl ? item_add(pl, NULL, fd, user_data, events) : -1;
}

int zaio_poller_modify_fd(void *poller, zaio_fd_t fd, short events)
{
    zpoller *pl = args_check(poller, NULL, true, fd, events);
    return pl ? item_modify(pl, NULL, fd, events) : -1;
}

int zaio_poller_remove_fd(void *poller, zaio_fd_t fd)
{
    zpoller *pl = args_check(poller, NULL, true, fd, 0);
    return pl ? item_remove(pl, NULL, fd) : -1;
}

int zaio_poller_fd(void *poller, zaio_fd_t *fd)
{
    (void)fd;
    return poller_check(poller) ? zaio__set_errno(-EINVAL) : -1;
}

static void rebuild(zpoller *pl)
{
    /* an item with no events is not polled at all, as in libzmq: a descriptor's
     * POLLERR/POLLHUP would otherwise be reported for an item that asked for nothing */
    pl->npoll = 0;
    for (int i = 0; i < pl->n; i++) {
        const zpoller_item *it = &pl->items[i];
        if (!it->events)
            continue;
        pl->poll[pl->npoll] = (zaio_pollitem_t){it->socket, it->fd, it->events, 0};
        pl->poll_item[pl->npoll++] = i;
    }
    pl->stale = false;
}

int zaio_poller_wait_all(void *poller, zaio_poller_event_t *events, int n_events, long timeout)
{
    zpoller *pl = poller_check(poller);
    if (!pl)
        return -1;
    if (!events)
        return zaio__set_errno(-EFAULT);
    if (n_events < 0)
        return zaio__set_errno(-EINVAL);
    if (pl->stale)
        rebuild(pl);
    if (pl->npoll == 0) {
        /* nothing to wait for: forever would never return (libzmq 4.3.4 sleeps for good
         * when it has items without events; later releases fail as here) */
        if (timeout < 0)
            return zaio__set_errno(-EFAULT);
        if (timeout > 0 && zaio_poll(NULL, 0, timeout) < 0)
            return -1;
        return zaio__set_errno(-EAGAIN);
    }
    int rc = zaio_poll(pl->poll, pl->npoll, timeout);
    if (rc < 0)
        return -1; /* errno set: ETERM, ENOTSOCK for a socket closed while registered */
    int found = 0;
    for (int k = 0; k < pl->npoll && found < n_events; k++) {
        if (!pl->poll[k].revents)
            continue;
        const zpoller_item *it = &pl->items[pl->poll_item[k]];
        events[found++] = (zaio_poller_event_t){it->socket, it->fd, it->user_data,
                                                pl->poll[k].revents};
    }
    if (found == 0)
        return zaio__set_errno(-EAGAIN);
    for (int k = found; k < n_events; k++)
        events[k] = (zaio_poller_event_t){NULL, ZPOLLER_NO_FD, NULL, 0};
    return found;
}

int zaio_poller_wait(void *poller, zaio_poller_event_t *event, long timeout)
{
    int rc = zaio_poller_wait_all(poller, event, 1, timeout);
    if (rc < 0) {
        if (event)
            *event = (zaio_poller_event_t){NULL, ZPOLLER_NO_FD, NULL, 0};
        return -1;
    }
    return 0;
}
