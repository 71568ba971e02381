/* tcp_listener.c - a bound tcp:// endpoint: the listening socket and the sessions it
 * accepted.
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
 * at its limit, and accepts again when the probes' sockets have been released. */
#include "ctx.h"
#include "endpoint.h"
#include "io_thread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <netinet/in.h>
#endif

#define ACCEPT_RETRY_MS 100

typedef struct zsession zsession;
typedef struct ztcp_listener ztcp_listener;
/* tcp_session.c */
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

static void listener_on_io(const aio_completion *c)
{
    ztcp_listener *l = c->key;
    if (c->op != AIO_OP_ACCEPT)
        return;
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
    l->close_cmd.value = linger;
    zmailbox_post(zio_mailbox(l->io), &l->close_cmd);
}

int ztcp_bind(zsock *s, const char *hostport, zendpoint *ep)
{
    ztcp_addr a;
    int rc = ztcp_resolve(hostport, true, s->o.ipv6, &a);
    if (rc < 0)
        return rc;
    zio *io;
    rc = zctx_pick_io(s->ctx, &io);
    if (rc < 0)
        return rc;
    ztcp_listener *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->io = io;
    l->ctx = s->ctx;
    rc = aio_socket_new(zio_port(io), a.ss.ss_family, listener_on_io, l, &l->sock);
    if (rc < 0) {
        free(l);
        return rc;
    }
    if (a.ss.ss_family == AF_INET6) {
        /* "*" with ZAIO_IPV6 takes IPv4 peers too, as libzmq's dual-stack listener */
        int off = 0;
        (void)aio_setsockopt(l->sock, IPPROTO_IPV6, IPV6_V6ONLY, &off, (socklen_t)sizeof off);
    }
    rc = aio_bind(l->sock, (const struct sockaddr *)&a.ss, a.len);
    if (rc == 0)
        rc = aio_listen(l->sock, s->o.backlog > 0 ? s->o.backlog : 100);
    struct sockaddr_storage local;
    socklen_t local_len;
    if (rc == 0)
        rc = aio_local_addr(l->sock, &local, &local_len);
    if (rc < 0) {
        zmonitor_event(s->monitor, ZAIO_EVENT_BIND_FAILED, (uint32_t)-rc, ep->given);
        aio_close(l->sock);
        free(l);
        return rc;
    }
    ztcp_format(&local, l->endpoint, sizeof l->endpoint);
    snprintf(ep->resolved, sizeof ep->resolved, "%s", l->endpoint);
    l->fd = aio_socket_handle(l->sock);
    l->o = s->o;
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
