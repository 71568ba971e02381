/* aio_core.c - ports, sockets and op records, common to every backend.
 *
 * Read the design notes atop aio_internal.h first: one queue, one dispatch, one
 * endgame. Everything here that touches a port's state holds port->lock; handlers and
 * buffer free callbacks run without it. */
#include "aio_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- backends ---------------------------------------------------------------------- */

static const aio_backend_ops *backend_ops(aio_backend b)
{
    switch (b) {
#ifdef _WIN32
    case AIO_BACKEND_IOCP: return &aio__iocp_ops;
#else
#ifdef ZAIO_HAVE_URING
    case AIO_BACKEND_URING: return &aio__uring_ops;
#endif
    case AIO_BACKEND_EPOLL: return &aio__epoll_ops;
#endif
    default: return NULL;
    }
}

const char *aio_backend_name(aio_backend b)
{
    switch (b) {
    case AIO_BACKEND_AUTO: return "auto";
    case AIO_BACKEND_URING: return "uring";
    case AIO_BACKEND_EPOLL: return "epoll";
    case AIO_BACKEND_IOCP: return "iocp";
    }
    return "?";
}

static aio_backend backend_from_env(void)
{
    const char *e = getenv("ZAIO_BACKEND");
    if (!e || !*e || strcmp(e, "auto") == 0)
        return AIO_BACKEND_AUTO;
    for (aio_backend b = AIO_BACKEND_URING; b <= AIO_BACKEND_IOCP; b++)
        if (strcmp(e, aio_backend_name(b)) == 0)
            return b;
    return (aio_backend)-1;
}

static int port_try(aio_port *p, aio_backend b)
{
    const aio_backend_ops *ops = backend_ops(b);
    if (!ops)
        return -ENOSYS;
    p->ops = ops;
    p->kind = b;
    return ops->port_init(p);
}

int aio_port_new(aio_backend backend, aio_port **out)
{
    if (!out)
        return -EINVAL;
    if (backend == AIO_BACKEND_AUTO)
        backend = backend_from_env();
    if ((int)backend < 0)
        return -EINVAL; /* ZAIO_BACKEND names no backend */
    aio_port *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    aio__mutex_init(&p->lock);
    int rc;
    if (backend != AIO_BACKEND_AUTO) {
        rc = port_try(p, backend); /* an explicit choice is never swapped for another */
    } else {
#ifdef _WIN32
        rc = port_try(p, AIO_BACKEND_IOCP);
#else
        /* io_uring is often forbidden in containers (seccomp: EPERM) or missing (ENOSYS) */
        rc = port_try(p, AIO_BACKEND_URING);
        if (rc == -ENOSYS || rc == -EPERM || rc == -EACCES)
            rc = port_try(p, AIO_BACKEND_EPOLL);
#endif
    }
    if (rc < 0) {
        aio__mutex_fini(&p->lock);
        free(p);
        return rc;
    }
    aio__count(AIO_C_PORTS, 1);
    *out = p;
    return 0;
}

aio_backend aio_port_backend(const aio_port *p) { return p->kind; }

/* ---- the queue, dispatch and endgame ----------------------------------------------- */

static void wake_poller(aio_port *p)
{
    if (p->poller_blocked) {
        p->poller_blocked = false; /* one wake is enough */
        p->ops->wake(p);
    }
}

static void endgame_push(aio_socket *s)
{
    if (s->in_endgame)
        return;
    s->in_endgame = true;
    s->endnext = s->port->endgame;
    s->port->endgame = s;
    wake_poller(s->port);
}

void aio__complete(aio_rec *r, int status, size_t bytes)
{
    aio_port *p = r->sock->port;
    assert(r->state == AIO_REC_SUBMITTED || r->state == AIO_REC_CANCELLING);
    r->state = AIO_REC_DONE;
    r->status = status;
    r->bytes = bytes;
    r->qnext = NULL;
#ifdef ZAIO_FAULT_INJECTION
    if (p->fault.complete_error[r->op]) {
        r->status = p->fault.complete_error[r->op];
        r->bytes = 0;
        p->fault.complete_error[r->op] = 0;
    }
    if (p->fault.hold[r->op]) {
        p->fault.hold[r->op] = false;
        if (p->fault.heldtail)
            p->fault.heldtail->qnext = r;
        else
            p->fault.held = r;
        p->fault.heldtail = r;
        return;
    }
#endif
    if (p->qtail)
        p->qtail->qnext = r;
    else
        p->q = r;
    p->qtail = r;
    wake_poller(p);
}

void aio__cancel_done(aio_socket *s)
{
    assert(s->pending > 0);
    if (--s->pending == 0 && s->closing)
        endgame_push(s);
}

static void socket_free_accept(aio_socket *as)
{
    if (as->fd != AIO_FD_NONE)
        aio__close_fd(as->fd);
    aio__count(AIO_C_ACCEPT_SOCKETS, -1);
    aio__count(AIO_C_SOCKETS, -1);
    free(as);
}

static void link_socket(aio_port *p, aio_socket *s)
{
    s->prev = NULL;
    s->next = p->sockets;
    if (p->sockets)
        p->sockets->prev = s;
    p->sockets = s;
}

static void unlink_socket(aio_port *p, aio_socket *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        p->sockets = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

/* Finishes r: the record is IDLE and owns nothing when this returns. Lock held; the
 * buffer references it held are moved to *refs for the caller to drop unlocked. */
static int finish_record(aio_rec *r, aio_slice *refs, aio_completion *c)
{
    aio_socket *s = r->sock;
    aio_port *p = s->port;
    int nrefs = r->niov;
    memcpy(refs, r->iov, sizeof(aio_slice) * (size_t)nrefs);
    memset(c, 0, sizeof *c);
    c->op = r->op;
    c->status = r->status;
    c->bytes = r->bytes;
    c->sock = s;
    c->key = s->key;

    aio_socket *as = r->accept_sock;
    r->accept_sock = NULL;
    r->niov = 0;
    r->op = AIO_OP_NONE;
    r->state = AIO_REC_IDLE;
    s->pending--;
    aio__count(AIO_C_OPS, -1);
    aio__count(AIO_C_COMPLETIONS, 1);

    bool deliver = !s->closing && !p->destroying;
    if (as) {
        if (c->status == 0 && deliver) {
            int rc = p->ops->socket_adopt(as);
            if (rc == 0) {
                /* the one place an accepted socket changes owner (release path 7) */
                as->is_accept = false;
                aio__count(AIO_C_ACCEPT_SOCKETS, -1);
                link_socket(p, as);
                c->accepted = as;
            } else {
                c->status = rc;
                socket_free_accept(as);
            }
        } else {
            /* failed accept (peer reset first) or listener closing: never orphaned */
            socket_free_accept(as);
        }
    }
    if (!deliver) {
        aio__count(AIO_C_SWALLOWED, 1);
        if (s->closing && s->pending == 0)
            endgame_push(s);
    }
    return deliver ? nrefs : -nrefs - 1;
}

static void drop_refs(aio_slice *refs, int n)
{
    for (int i = 0; i < n; i++)
        aio_buf_unref(refs[i].buf);
}

/* Dispatches what is queued now (not what handlers queue meanwhile, so a handler that
 * keeps completing at once cannot starve the port). Lock held on entry and exit. */
static int dispatch(aio_port *p)
{
    int n = 0;
    aio_rec *batch = p->q;
    aio_signal *sigs = p->sigq;
    p->q = p->qtail = NULL;
    p->sigq = p->sigtail = NULL;

    while (batch) {
        aio_rec *r = batch;
        batch = r->qnext;
        r->qnext = NULL;
        aio_slice refs[AIO_MAX_IOV];
        aio_completion c;
        int k = finish_record(r, refs, &c);
        aio_socket *s = c.sock;
        aio_handler h = s->handler;
        aio__unlock(&p->lock);
        if (k >= 0) {
            /* a failed op's buffer references are gone before the error is reported;
             * a recv's buffers (every slice's) stay referenced for the handler's call */
            if (c.op == AIO_OP_RECV && c.status == 0 && k >= 1) {
                c.buf = refs[0].buf;
                h(&c);
                drop_refs(refs, k);
            } else {
                drop_refs(refs, k);
                h(&c);
            }
            n++;
        } else {
            drop_refs(refs, -k - 1);
        }
        aio__lock(&p->lock);
    }
    while (sigs) {
        aio_signal *g = sigs;
        sigs = g->next;
        aio__count(AIO_C_OPS, -1);
        aio__count(AIO_C_COMPLETIONS, 1);
        bool deliver = !p->destroying;
        aio__unlock(&p->lock);
        if (deliver) {
            aio_completion c = {.op = AIO_OP_SIGNAL, .key = g->key};
            g->handler(&c);
            n++;
        } else {
            aio__count(AIO_C_SWALLOWED, 1);
        }
        free(g);
        aio__lock(&p->lock);
    }
    return n;
}

/* Frees the sockets whose last completion has been dispatched. Only the polling thread
 * gets here, after the iteration's events are handled, so no event in hand can still
 * point at them. Lock held. */
static void endgame(aio_port *p)
{
    while (p->endgame) {
        aio_socket *s = p->endgame;
        p->endgame = s->endnext;
        assert(s->closing && s->pending == 0);
        assert(s->in.state == AIO_REC_IDLE && s->out.state == AIO_REC_IDLE);
        p->ops->socket_free(s);
        unlink_socket(p, s);
        aio__count(AIO_C_SOCKETS, -1);
        free(s);
    }
}

int aio_port_poll(aio_port *p, int timeout_ms)
{
    aio__lock(&p->lock);
    bool ready = p->q || p->sigq || p->endgame || p->wake_pending;
    p->wake_pending = false; /* this poll is the one it asked for */
    p->poller_blocked = !ready && timeout_ms != 0;
    aio__unlock(&p->lock);

    int rc = p->ops->wait(p, ready ? 0 : timeout_ms);

    aio__lock(&p->lock);
    p->poller_blocked = false;
    int n = dispatch(p);
    endgame(p);
    aio__unlock(&p->lock);
    if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -ETIMEDOUT)
        return rc;
    return n;
}

int aio_port_post(aio_port *p, aio_handler handler, void *key)
{
    if (!p || !handler)
        return -EINVAL;
    aio_signal *g = malloc(sizeof *g);
    if (!g)
        return -ENOMEM;
    g->handler = handler;
    g->key = key;
    g->next = NULL;
    aio__lock(&p->lock);
    if (p->sigtail)
        p->sigtail->next = g;
    else
        p->sigq = g;
    p->sigtail = g;
    aio__count(AIO_C_OPS, 1);
    aio__count(AIO_C_SUBMITS, 1);
    wake_poller(p);
    aio__unlock(&p->lock);
    return 0;
}

void aio_port_wake(aio_port *p)
{
    if (!p)
        return;
    aio__lock(&p->lock);
    /* the flag covers a poll that has not started yet; wake_poller one that waits */
    p->wake_pending = true;
    wake_poller(p);
    aio__unlock(&p->lock);
}

/* ---- sockets ----------------------------------------------------------------------- */

static void close_locked(aio_socket *s);

/* Unix-domain stream sockets (ipc://) on the POSIX backends; the contract is the same.
 * Windows has AF_UNIX since 10 1803, but wine cannot run it: not there (yet). */
#ifdef _WIN32
#define AIO_UNIX(family) 0
#else
#define AIO_UNIX(family) ((family) == AF_UNIX)
#endif

int aio_socket_new(aio_port *p, int family, aio_handler handler, void *key, aio_socket **out)
{
    if (!p || !out || !handler || (family != AF_INET && family != AF_INET6 && !AIO_UNIX(family)))
        return -EINVAL;
    aio_socket *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->port = p;
    s->handler = handler;
    s->key = key;
    s->family = family;
    s->fd = AIO_FD_NONE;
    s->in.sock = s->out.sock = s;
    int rc = p->ops->socket_open(s, family);
    if (rc < 0) {
        free(s);
        return rc;
    }
    aio__count(AIO_C_SOCKETS, 1);
    aio__lock(&p->lock);
    link_socket(p, s);
    aio__unlock(&p->lock);
    *out = s;
    return 0;
}

void aio_socket_set_handler(aio_socket *s, aio_handler handler, void *key)
{
    aio__lock(&s->port->lock);
    s->handler = handler;
    s->key = key;
    aio__unlock(&s->port->lock);
}

void *aio_socket_key(const aio_socket *s) { return s->key; }
intptr_t aio_socket_handle(const aio_socket *s) { return (intptr_t)s->fd; }
aio_port *aio_socket_port(const aio_socket *s) { return s->port; }

static void close_locked(aio_socket *s)
{
    if (s->closing)
        return; /* double close: released once */
    s->closing = true;
    s->port->ops->socket_closing(s);
    aio_rec *recs[2] = {&s->in, &s->out};
    for (int i = 0; i < 2; i++) {
        aio_rec *r = recs[i];
        if (r->state != AIO_REC_SUBMITTED)
            continue; /* idle, already cancelling, or its outcome is queued */
#ifdef ZAIO_AIO_LEGACY_0_1_26
        if (r->legacy_stuck)
            continue; /* AsyncIO: "in progress", nothing to cancel, never freed */
#endif
        r->state = AIO_REC_CANCELLING;
        aio__count(AIO_C_CANCELS, 1);
        s->port->ops->cancel(r);
    }
    if (s->pending == 0)
        endgame_push(s);
}

void aio_close(aio_socket *s)
{
    if (!s)
        return;
    aio_port *p = s->port;
    aio__lock(&p->lock);
    close_locked(s);
    aio__unlock(&p->lock);
}

/* ---- ops --------------------------------------------------------------------------- */

/* Claims r for op. Lock held. */
static int begin(aio_socket *s, aio_rec *r, aio_op op)
{
    if (s->closing)
        return -EBADF;
    if (r->state != AIO_REC_IDLE)
        return -EBUSY;
    r->op = op;
    r->state = AIO_REC_SUBMITTED;
    r->status = 0;
    r->bytes = 0;
    s->pending++;
    aio__count(AIO_C_OPS, 1);
    aio__count(AIO_C_SUBMITS, 1);
    return 0;
}

/* The op could not start. Lock held. Returns what the user's call returns. */
static int submit_failed(aio_rec *r, int err)
{
    aio__count(AIO_C_SUBMIT_FAILURES, 1);
#ifdef ZAIO_AIO_LEGACY_0_1_26
    /* AsyncIO 0.1.26: the submit throws and its record stays "in progress" with the
     * buffers it referenced; Dispose skips such a record, so nothing is ever freed. */
    r->legacy_stuck = true;
    return err;
#else
    aio__complete(r, err, 0);
    return 0;
#endif
}

/* Hands r to the backend, or to the fault injector. Lock held. */
static int launch(aio_rec *r)
{
    aio_port *p = r->sock->port;
#ifdef ZAIO_FAULT_INJECTION
    int fe = p->fault.submit_error[r->op];
    if (fe) {
        p->fault.submit_error[r->op] = 0;
        return submit_failed(r, fe);
    }
    if (p->fault.queue_full[r->op]) {
        p->fault.queue_full[r->op] = false;
        return submit_failed(r, -EAGAIN);
    }
#endif
    int rc = p->ops->submit(r);
#ifdef ZAIO_FAULT_INJECTION
    p->fault.sync_success[r->op] = false; /* one submit's worth, used or not */
#endif
    if (rc < 0)
        return submit_failed(r, rc);
    /* the lock is held from the submit to here, so only the submit itself can have
     * finished the record (a held completion is DONE too) */
    if (r->state == AIO_REC_DONE)
        aio__count(AIO_C_SYNC_COMPLETIONS, 1);
    return 0;
}

int aio_accept(aio_socket *l)
{
    if (!l)
        return -EINVAL;
    aio_port *p = l->port;
    aio__lock(&p->lock);
    int rc = begin(l, &l->in, AIO_OP_ACCEPT);
    if (rc < 0)
        goto out;
    aio_rec *r = &l->in;
    int err = 0;
#ifdef ZAIO_FAULT_INJECTION
    err = p->fault.accept_socket;
    p->fault.accept_socket = 0;
#endif
    aio_socket *as = err ? NULL : calloc(1, sizeof *as);
    if (!as) {
        rc = submit_failed(r, err ? err : -ENOMEM);
        goto out;
    }
    as->port = p;
    as->handler = l->handler;
    as->key = l->key;
    as->family = l->family;
    as->fd = AIO_FD_NONE;
    as->is_accept = true;
    as->in.sock = as->out.sock = as;
    aio__count(AIO_C_SOCKETS, 1);
    aio__count(AIO_C_ACCEPT_SOCKETS, 1);
    err = p->ops->accept_socket_open(l, as);
    if (err < 0) {
        socket_free_accept(as);
        rc = submit_failed(r, err);
        goto out;
    }
    r->accept_sock = as;
    r->addrlen = sizeof r->addr;
    rc = launch(r);
out:
    aio__unlock(&p->lock);
    return rc;
}

int aio_connect(aio_socket *s, const struct sockaddr *addr, socklen_t len)
{
    if (!s || !addr || len <= 0 || (size_t)len > sizeof(struct sockaddr_storage))
        return -EINVAL;
    aio_port *p = s->port;
    aio__lock(&p->lock);
    int rc = begin(s, &s->out, AIO_OP_CONNECT);
    if (rc == 0) {
        /* the record owns its copy of the address until the completion (path 3) */
        memcpy(&s->out.addr, addr, (size_t)len);
        s->out.addrlen = len;
        rc = launch(&s->out);
    }
    aio__unlock(&p->lock);
    return rc;
}

/* The bytes slices v[0..n) name, or 0 when they are not a valid send or recv. */
static size_t slices_total(const aio_slice *v, int n)
{
    if (!v || n <= 0 || n > AIO_MAX_IOV)
        return 0;
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (!v[i].buf || v[i].off > aio_buf_size(v[i].buf) ||
            v[i].len > aio_buf_size(v[i].buf) - v[i].off)
            return 0;
        total += v[i].len;
    }
    return total;
}

/* Submits op on rec with references to the slices (checked by the caller). */
static int submit_slices(aio_socket *s, aio_rec *rec, aio_op op, const aio_slice *v, int n)
{
    aio_port *p = s->port;
    aio__lock(&p->lock);
    int rc = begin(s, rec, op);
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            rec->iov[i] = (aio_slice){aio_buf_ref(v[i].buf), v[i].off, v[i].len};
        rec->niov = n;
        rc = launch(rec);
    }
    aio__unlock(&p->lock);
    return rc;
}

int aio_recvv(aio_socket *s, const aio_slice *v, int n)
{
    /* an empty slice would make a recv of 0 bytes, which reads as the peer closing */
    if (!s || slices_total(v, n) == 0)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        if (v[i].len == 0)
            return -EINVAL;
    return submit_slices(s, &s->in, AIO_OP_RECV, v, n);
}

int aio_recv(aio_socket *s, aio_buf *buf, size_t off, size_t len)
{
    aio_slice v = {buf, off, len};
    return aio_recvv(s, &v, 1);
}

int aio_sendv(aio_socket *s, const aio_slice *v, int n)
{
    if (!s || slices_total(v, n) == 0)
        return -EINVAL;
    return submit_slices(s, &s->out, AIO_OP_SEND, v, n);
}

int aio_send_now(aio_socket *s, const aio_slice *v, int n)
{
    size_t total = s ? slices_total(v, n) : 0;
    if (total == 0 || total > INT32_MAX)
        return -EINVAL; /* the count returned is an int */
    /* no lock: the caller keeps the socket open and its out record idle meanwhile, and
     * the port's lock is what the polling thread holds most */
    if (!s->port->ops->send_now)
        return -ENOTSUP;
    int rc = s->port->ops->send_now(s, v, n);
    if (rc > 0)
        aio__count(AIO_C_SENDS_NOW, 1);
    return rc;
}

int aio_send(aio_socket *s, aio_buf *buf, size_t off, size_t len)
{
    aio_slice v = {buf, off, len};
    return aio_sendv(s, &v, 1);
}

/* ---- destroy ----------------------------------------------------------------------- */

#ifdef ZAIO_AIO_LEGACY_0_1_26
/* AsyncIO never drained its port: a stuck record keeps its socket forever. */
static bool only_stuck_left(aio_port *p)
{
    for (aio_socket *s = p->sockets; s; s = s->next) {
        int stuck = s->in.legacy_stuck + s->out.legacy_stuck;
        if (s->pending != stuck)
            return false;
    }
    return true;
}
#endif

void aio_port_destroy(aio_port *p)
{
    if (!p)
        return;
    aio__lock(&p->lock);
    p->destroying = true;
    for (aio_socket *s = p->sockets; s; s = s->next)
        close_locked(s);
    for (;;) {
#ifdef ZAIO_FAULT_INJECTION
        if (p->fault.held) { /* a held completion is still a completion to drain */
            if (p->qtail)
                p->qtail->qnext = p->fault.held;
            else
                p->q = p->fault.held;
            p->qtail = p->fault.heldtail;
            p->fault.held = p->fault.heldtail = NULL;
        }
#endif
        bool busy = p->sockets || p->q || p->sigq || p->endgame;
#ifdef ZAIO_AIO_LEGACY_0_1_26
        if (busy && !p->q && !p->sigq && !p->endgame && only_stuck_left(p))
            busy = false; /* leaks, as AsyncIO 0.1.26 did */
#endif
        if (!busy)
            break;
        aio__unlock(&p->lock);
        aio_port_poll(p, 50);
        aio__lock(&p->lock);
    }
    aio__unlock(&p->lock);
    p->ops->port_fini(p);
    aio__mutex_fini(&p->lock);
    aio__count(AIO_C_PORTS, -1);
    free(p);
}

/* ---- plain socket calls ------------------------------------------------------------ */

int aio_bind(aio_socket *s, const struct sockaddr *addr, socklen_t len)
{
    if (!s || !addr)
        return -EINVAL;
#ifndef _WIN32
    int one = 1;
    /* a restarted server must be able to bind its port while old connections linger.
     * Not on Windows: there it lets a second socket bind a port in use (libzmq and libuv
     * leave it off), and lingering connections do not block a bind anyway. */
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
#endif
    if (bind(s->fd, addr, len) != 0)
        return aio__last_error();
    return 0;
}

int aio_listen(aio_socket *s, int backlog)
{
    if (!s)
        return -EINVAL;
    if (listen(s->fd, backlog) != 0)
        return aio__last_error();
    return 0;
}

int aio_local_addr(aio_socket *s, struct sockaddr_storage *addr, socklen_t *len)
{
    *len = sizeof *addr;
    if (getsockname(s->fd, (struct sockaddr *)addr, len) != 0)
        return aio__last_error();
    return 0;
}

int aio_peer_addr(aio_socket *s, struct sockaddr_storage *addr, socklen_t *len)
{
    *len = sizeof *addr;
    if (getpeername(s->fd, (struct sockaddr *)addr, len) != 0)
        return aio__last_error();
    return 0;
}

int aio_setsockopt(aio_socket *s, int level, int name, const void *val, socklen_t len)
{
    if (setsockopt(s->fd, level, name, val, len) != 0)
        return aio__last_error();
    return 0;
}

/* ---- fault injection --------------------------------------------------------------- */

#ifdef ZAIO_FAULT_INJECTION
void aio_fault_arm(aio_port *p, aio_fault f, aio_op op, int err)
{
    aio__lock(&p->lock);
    switch (f) {
    case AIO_FAULT_SUBMIT_ERROR: p->fault.submit_error[op] = err; break;
    case AIO_FAULT_QUEUE_FULL: p->fault.queue_full[op] = true; break;
    case AIO_FAULT_SYNC_SUCCESS: p->fault.sync_success[op] = true; break;
    case AIO_FAULT_HOLD_COMPLETION: p->fault.hold[op] = true; break;
    case AIO_FAULT_ACCEPT_SOCKET: p->fault.accept_socket = err; break;
    case AIO_FAULT_COMPLETE_ERROR: p->fault.complete_error[op] = err; break;
    }
    aio__unlock(&p->lock);
}

int aio_fault_release(aio_port *p)
{
    int n = 0;
    aio__lock(&p->lock);
    while (p->fault.held) {
        aio_rec *r = p->fault.held;
        p->fault.held = r->qnext;
        r->qnext = NULL;
        if (p->qtail)
            p->qtail->qnext = r;
        else
            p->q = r;
        p->qtail = r;
        n++;
    }
    p->fault.heldtail = NULL;
    wake_poller(p);
    aio__unlock(&p->lock);
    return n;
}

void aio_fault_clear(aio_port *p)
{
    aio__lock(&p->lock);
    aio_rec *held = p->fault.held, *heldtail = p->fault.heldtail;
    memset(&p->fault, 0, sizeof p->fault);
    p->fault.held = held;
    p->fault.heldtail = heldtail;
    aio__unlock(&p->lock);
}

bool aio__fault_sync(const aio_port *p, aio_op op) { return p->fault.sync_success[op]; }
#endif
