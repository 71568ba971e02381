/* mailbox.c - commands and signalers (see mailbox.h). */
#include "core/mailbox.h"

#include "core/sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef _WIN32
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#endif

struct zmailbox {
    zmutex lock;
    atomic_int refs;
    zcmd *head, *tail;
    atomic_bool pending;
    bool dead;
    void (*wake)(void *arg);
    void *wake_arg;
    void *owner;
};

void zmailbox_set_owner(zmailbox *mb, void *owner) { mb->owner = owner; }
void *zmailbox_owner(zmailbox *mb) { return mb->owner; }

zmailbox *zmailbox_new(void (*wake)(void *arg), void *wake_arg)
{
    zmailbox *mb = calloc(1, sizeof *mb);
    if (!mb)
        return NULL;
    zmutex_init(&mb->lock);
    atomic_init(&mb->refs, 1);
    mb->wake = wake;
    mb->wake_arg = wake_arg;
    return mb;
}

void zmailbox_ref(zmailbox *mb) { atomic_fetch_add(&mb->refs, 1); }

void zmailbox_unref(zmailbox *mb)
{
    if (atomic_fetch_sub(&mb->refs, 1) != 1)
        return;
    zmutex_fini(&mb->lock);
    free(mb);
}

bool zmailbox_post(zmailbox *mb, zcmd *c)
{
    zmutex_lock(&mb->lock);
    if (mb->dead) {
        zmutex_unlock(&mb->lock);
        if (c->drop)
            c->drop(c);
        return false;
    }
    if (!c->queued) {
        c->queued = true;
        c->next = NULL;
        bool was_empty = !mb->head;
        if (mb->tail)
            mb->tail->next = c;
        else
            mb->head = c;
        mb->tail = c;
        atomic_store(&mb->pending, true);
        if (was_empty && mb->wake)
            mb->wake(mb->wake_arg);
    }
    zmutex_unlock(&mb->lock);
    return true;
}

int zmailbox_process(zmailbox *mb)
{
    /* One at a time off the live list, so a command that cancels another (a socket
     * dropping a pipe whose notification is queued) always finds it there. The bound
     * keeps a command that re-posts itself from starving the caller. */
    int n = 0;
    while (n < 100000) {
        zmutex_lock(&mb->lock);
        zcmd *c = mb->head;
        if (c) {
            mb->head = c->next;
            if (!mb->head)
                mb->tail = NULL;
            c->queued = false;
        }
        atomic_store(&mb->pending, mb->head != NULL);
        bool dead = mb->dead;
        zmutex_unlock(&mb->lock);
        if (!c)
            break;
        if (dead) {
            if (c->drop)
                c->drop(c);
        } else {
            c->run(c);
        }
        n++;
    }
    return n;
}

void zmailbox_cancel(zmailbox *mb, zcmd *c)
{
    zmutex_lock(&mb->lock);
    if (c->queued) {
        zcmd **pp = &mb->head, *prev = NULL;
        while (*pp && *pp != c) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = c->next;
            if (mb->tail == c)
                mb->tail = prev;
        }
        c->queued = false;
        atomic_store(&mb->pending, mb->head != NULL);
    }
    zmutex_unlock(&mb->lock);
}

void zmailbox_kill(zmailbox *mb)
{
    zmutex_lock(&mb->lock);
    mb->dead = true;
    zcmd *c = mb->head;
    mb->head = mb->tail = NULL;
    for (zcmd *i = c; i; i = i->next)
        i->queued = false;
    atomic_store(&mb->pending, false);
    zmutex_unlock(&mb->lock);
    while (c) {
        zcmd *next = c->next;
        if (c->drop)
            c->drop(c);
        c = next;
    }
}

bool zmailbox_pending(zmailbox *mb) { return atomic_load(&mb->pending); }

/* ---- signaler ---------------------------------------------------------------------- */

struct zsignaler {
#ifdef _WIN32
    SOCKET w, r; /* a loopback TCP pair: the one thing both select() and WSAPoll watch */
#else
    int fd; /* eventfd: readable while signalled */
#endif
};

#ifdef _WIN32
int zsignaler_new(zsignaler **out)
{
    zsignaler *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    /* a socket may be made before any I/O thread's port started Winsock; the count is
     * per call, undone in zsignaler_free */
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        free(s);
        return -ENETDOWN;
    }
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int alen = sizeof a;
    s->w = s->r = INVALID_SOCKET;
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0)
        goto fail;
    s->w = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s->w == INVALID_SOCKET || connect(s->w, (struct sockaddr *)&a, sizeof a) != 0)
        goto fail;
    s->r = accept(l, NULL, NULL);
    if (s->r == INVALID_SOCKET)
        goto fail;
    closesocket(l);
    u_long nb = 1;
    ioctlsocket(s->r, FIONBIO, &nb);
    ioctlsocket(s->w, FIONBIO, &nb);
    BOOL one = TRUE;
    setsockopt(s->w, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    *out = s;
    return 0;
fail:
    if (l != INVALID_SOCKET)
        closesocket(l);
    if (s->w != INVALID_SOCKET)
        closesocket(s->w);
    WSACleanup();
    free(s);
    return -EMFILE;
}

void zsignaler_free(zsignaler *s)
{
    closesocket(s->w);
    closesocket(s->r);
    WSACleanup();
    free(s);
}

void zsignaler_send(zsignaler *s)
{
    char b = 1;
    send(s->w, &b, 1, 0); /* a full pipe means a wake-up is pending already */
}

int zsignaler_wait(zsignaler *s, int timeout_ms)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s->r, &rd);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int rc = select(0, &rd, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
    return rc > 0 ? 0 : -EAGAIN;
}

void zsignaler_clear(zsignaler *s)
{
    char b[64];
    while (recv(s->r, b, sizeof b, 0) > 0)
        ;
}

intptr_t zsignaler_fd(zsignaler *s) { return (intptr_t)s->r; }
#else
int zsignaler_new(zsignaler **out)
{
    zsignaler *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        free(s);
        return -e;
    }
    *out = s;
    return 0;
}

void zsignaler_free(zsignaler *s)
{
    close(s->fd);
    free(s);
}

void zsignaler_send(zsignaler *s)
{
    uint64_t one = 1;
    ssize_t n = write(s->fd, &one, sizeof one);
    (void)n; /* EAGAIN: the counter is saturated, a wake-up is pending anyway */
}

int zsignaler_wait(zsignaler *s, int timeout_ms)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR)
        return -EINTR; /* a signal: the blocking call gives way, as libzmq's does */
    return rc > 0 ? 0 : -EAGAIN;
}

void zsignaler_clear(zsignaler *s)
{
    uint64_t v;
    ssize_t n = read(s->fd, &v, sizeof v);
    (void)n;
}

intptr_t zsignaler_fd(zsignaler *s) { return s->fd; }
#endif
