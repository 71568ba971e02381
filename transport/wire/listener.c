/* listener.c - a bound tcp:// or ipc:// endpoint: the listening socket and the
 * sessions it accepted. The two differ in their addresses only (ipc_addr.c makes and
 * removes the socket file, and peers may be filtered by their credentials).
 *
 * The listening socket is created, bound and put to listen on the caller's (the
 * socket's) thread - aio allows that from any thread - so EADDRINUSE and friends come
 * back from zaio_bind itself, and ZAIO_LAST_ENDPOINT has the real port at once. From
 * then on the listener lives on one I/O thread: it keeps one accept pending, turns each
 * accepted connection into a server-side session on the same thread (an accepted
 * socket belongs to the listener's port), and keeps the list of its sessions, because
 * closing the endpoint (unbind, or the socket's close) ends them too, after linger, as
 * libzmq's listener ends the sessions it launched. That close runs on the I/O thread
 * and aio releases the descriptor once the pending accept's cancel has completed, so
 * the port is free a moment after zaio_unbind / zaio_close returns (as with libzmq),
 * not at once.
 *
 * Accept errors never stop the listener: a peer that reset before it was accepted is
 * reported (ACCEPT_FAILED) and the next accept submitted; running out of descriptors or
 * memory waits ACCEPT_RETRY_MS first, so the thread does not spin while the process is
 * at its limit, and accepts again when the probes' sockets have been released.
 *
 * The options are the socket's when it bound (a copy, zopts_hold): TCP_ACCEPT_FILTER
 * closes a connection from another address as soon as it is accepted, before any
 * session exists for it; TOS and BINDTODEVICE are set before the bind. */
#include "core/ctx.h"
#include "wire/wire.h"
#include "core/io_thread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#define ACCEPT_RETRY_MS 100

typedef struct zsession zsession;
typedef struct ztcp_listener ztcp_listener;
/* stream_session.c */
zsession *zsession_accepted(zio *io, aio_socket *as, const zopts *o, zmailbox *smb,
                            zmonitor *mon, const char *endpoint, ztcp_listener *parent);
void zsession_start(zsession *s);
void zsession_close(zsession *s, int linger);
void ztcp_listener_forget(ztcp_listener *l, zsession *s);

struct ztcp_listener {
    zio *io;
    zctx *ctx;
    aio_socket *sock;
    intptr_t fd;
    zopts o;       /* the socket's options when it bound: its sessions use them */
    zmailbox *smb; /* the socket's mailbox (a reference) */
    zmonitor *mon;
    char endpoint[256];
    ztcp_addr addr;   /* ipc: the file to remove when the endpoint closes */
    char tmpdir[128]; /* ipc wildcard bind: its directory */
    zsession **sess;
    int nsess, capsess;
    zcmd start_cmd, close_cmd;
    ztimer retry;
};

static void listener_ev(ztcp_listener *l, int event, uint32_t value)
{
    zmonitor_event(l->mon, event, value, l->endpoint);
}

static void listener_accept(ztcp_listener *l)
{
    /* -EBADF (closing) cannot reach here: the close runs on this thread and frees l */
    (void)aio_accept(l->sock);
}

static bool reserve(ztcp_listener *l)
{
    if (l->nsess < l->capsess)
        return true;
    int cap = l->capsess ? l->capsess * 2 : 16;
    zsession **n = realloc(l->sess, (size_t)cap * sizeof *n);
    if (!n)
        return false;
    l->sess = n;
    l->capsess = cap;
    return true;
}

void ztcp_listener_forget(ztcp_listener *l, zsession *s)
{
    for (int i = 0; i < l->nsess; i++) {
        if (l->sess[i] == s) {
            l->sess[i] = l->sess[--l->nsess];
            return;
        }
    }
}

/* ipc: IPC_FILTER_UID/GID/PID, as libzmq checks them: with any set, a peer passes if
 * its credentials match one of them. */
static bool ipc_peer_allowed(ztcp_listener *l, aio_socket *as)
{
#if defined(__linux__)
    const zopts *o = &l->o;
    if (l->addr.ss.ss_family != AF_UNIX || (!o->ipc_nuid && !o->ipc_ngid && !o->ipc_npid))
        return true;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt((int)aio_socket_handle(as), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    for (int i = 0; i < o->ipc_nuid; i++)
        if (o->ipc_uid[i] == (int)cred.uid)
            return true;
    for (int i = 0; i < o->ipc_ngid; i++)
        if (o->ipc_gid[i] == (int)cred.gid)
            return true;
    for (int i = 0; i < o->ipc_npid; i++)
        if (o->ipc_pid[i] == (int)cred.pid)
            return true;
    return false;
#else
    (void)l, (void)as;
    return true;
#endif
}

/* tcp: TCP_ACCEPT_FILTER, as libzmq checks it: with any set, a peer passes if its
 * address matches one of them. */
static bool tcp_peer_allowed(ztcp_listener *l, aio_socket *as)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (l->addr.ss.ss_family == AF_UNIX || !l->o.accept_filters)
        return true;
    return aio_peer_addr(as, &ss, &len) == 0 && zopts_accept_ok(&l->o, (struct sockaddr *)&ss);
}

static void listener_on_io(const aio_completion *c)
{
    ztcp_listener *l = c->key;
    if (c->op != AIO_OP_ACCEPT)
        return;
    /* a peer a filter keeps out is closed at once, as libzmq does */
    int refused = 0;
    if (c->status == 0 && c->accepted)
        refused = !ipc_peer_allowed(l, c->accepted)   ? EACCES
                  : !tcp_peer_allowed(l, c->accepted) ? ECONNREFUSED
                                                      : 0;
    if (refused) {
        aio_close(c->accepted);
        listener_ev(l, ZAIO_EVENT_ACCEPT_FAILED, (uint32_t)refused);
        listener_accept(l);
        return;
    }
    if (c->status == 0 && c->accepted) {
        zsession *s = NULL;
        if (!reserve(l))
            aio_close(c->accepted);
        else
            s = zsession_accepted(l->io, c->accepted, &l->o, l->smb, l->mon, l->endpoint, l);
        if (s) {
            l->sess[l->nsess++] = s;
            zsession_start(s); /* may end it at once: it forgets itself here */
        } else {
            listener_ev(l, ZAIO_EVENT_ACCEPT_FAILED, ENOMEM); /* the socket is closed */
        }
        listener_accept(l);
        return;
    }
    int err = c->status < 0 ? -c->status : EINVAL;
    listener_ev(l, ZAIO_EVENT_ACCEPT_FAILED, (uint32_t)err);
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
        zio_timer_start(l->io, &l->retry, ACCEPT_RETRY_MS);
    else
        listener_accept(l);
}

static void listener_on_retry(ztimer *t) { listener_accept(t->arg); }

static void listener_cmd_start(zcmd *c) { listener_accept(c->target); }

static void listener_cmd_close(zcmd *c)
{
    ztcp_listener *l = c->target;
    zio_timer_cancel(l->io, &l->retry);
    /* the pending accept is cancelled; aio frees its pre-created socket afterwards */
    aio_close(l->sock);
    while (l->nsess > 0)
        zsession_close(l->sess[--l->nsess], c->value); /* it forgets its parent first */
    free(l->sess);
    zmonitor_unref(l->mon);
    zmailbox_unref(l->smb);
    zopts_release(&l->o);
    zctx *ctx = l->ctx;
    zopts_wipe(&l->o);
    free(l);
    zctx_session_remove(ctx);
}

/* Socket's thread: unbind or close. Never touches l after the post. */
static void listener_ep_close(zendpoint *ep, zsock *s, int linger)
{
    (void)s;
    ztcp_listener *l = ep->impl;
    /* said here, on the socket's thread, so that it comes before MONITOR_STOPPED when
     * the socket closes, as libzmq orders them (fd never changes after the bind) */
    listener_ev(l, ZAIO_EVENT_CLOSED, (uint32_t)l->fd);
    /* the file goes now, not when the I/O thread closes the socket: a bind of the same
     * path right after must find it free, and never lose its new file to our unlink */
    if (l->addr.ss.ss_family == AF_UNIX)
        zipc_remove(&l->addr, l->tmpdir);
    l->close_cmd.value = linger;
    zmailbox_post(zio_mailbox(l->io), &l->close_cmd);
}

/* Binds and listens on a (either kind), on the caller's thread. tmpdir: the directory
 * of an ipc wildcard bind, or NULL. */
static int listen_on(zsock *s, const ztcp_addr *a, const char *tmpdir, zendpoint *ep)
{
    zio *io;
    int rc = zctx_pick_io(s->ctx, &io);
    if (rc < 0)
        return rc;
    ztcp_listener *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->io = io;
    l->ctx = s->ctx;
    l->addr = *a;
    if (tmpdir)
        snprintf(l->tmpdir, sizeof l->tmpdir, "%s", tmpdir);
    rc = aio_socket_new(zio_port(io), a->ss.ss_family, listener_on_io, l, &l->sock);
    if (rc < 0) {
        free(l);
        return rc;
    }
    if (a->ss.ss_family == AF_INET6) {
        /* "*" with ZAIO_IPV6 takes IPv4 peers too, as libzmq's dual-stack listener */
        int off = 0;
        (void)aio_setsockopt(l->sock, IPPROTO_IPV6, IPV6_V6ONLY, &off, (socklen_t)sizeof off);
    }
    rc = ztcp_ip_options(l->sock, &s->o, a->ss.ss_family, true);
    if (rc == 0)
        rc = aio_bind(l->sock, (const struct sockaddr *)&a->ss, a->len);
    bool bound = rc == 0;
    if (rc == 0)
        rc = aio_listen(l->sock, s->o.backlog > 0 ? s->o.backlog : 100);
    struct sockaddr_storage local;
    socklen_t local_len;
    if (rc == 0)
        rc = aio_local_addr(l->sock, &local, &local_len);
    if (rc < 0) {
        zmonitor_event(s->monitor, ZAIO_EVENT_BIND_FAILED, (uint32_t)-rc, ep->given);
        aio_close(l->sock);
        if (a->ss.ss_family == AF_UNIX)
            zipc_remove(bound ? a : NULL, tmpdir); /* never a file some other bind made */
        free(l);
        return rc;
    }
    if (a->ss.ss_family == AF_UNIX)
        zipc_format(a, l->endpoint, sizeof l->endpoint);
    else
        ztcp_format(&local, l->endpoint, sizeof l->endpoint);
    snprintf(ep->resolved, sizeof ep->resolved, "%s", l->endpoint);
    l->fd = aio_socket_handle(l->sock);
    l->o = s->o;
    zopts_hold(&l->o);
    zmailbox_ref(s->mb);
    l->smb = s->mb;
    l->mon = zmonitor_ref(s->monitor);
    ztimer_init(&l->retry, listener_on_retry, l);
    l->start_cmd.run = listener_cmd_start;
    l->start_cmd.target = l;
    l->close_cmd.run = listener_cmd_close;
    l->close_cmd.target = l;
    zctx_session_add(s->ctx);
    listener_ev(l, ZAIO_EVENT_LISTENING, (uint32_t)l->fd);
    ep->kind = ZEP_TCP_BIND;
    ep->impl = l;
    ep->close = listener_ep_close;
    zmailbox_post(zio_mailbox(io), &l->start_cmd);
    return 0;
}

int ztcp_bind(zsock *s, const char *hostport, zendpoint *ep)
{
    if (s->o.use_fd != -1)
        return -ENOTSUP; /* aio cannot adopt a listening socket it did not make (zaio.h) */
    ztcp_addr a;
    int rc = ztcp_resolve(hostport, true, s->o.ipv6, &a);
    return rc < 0 ? rc : listen_on(s, &a, NULL, ep);
}

int zipc_bind(zsock *s, const char *path, zendpoint *ep)
{
    if (s->o.use_fd != -1)
        return -ENOTSUP; /* as for tcp:// */
    ztcp_addr a;
    char tmpdir[128];
    int rc = zipc_resolve(path, true, &a, tmpdir, sizeof tmpdir);
    if (rc == 0 && (rc = zipc_clear_stale(&a)) < 0)
        zipc_remove(NULL, tmpdir);
    return rc < 0 ? rc : listen_on(s, &a, tmpdir, ep);
}
