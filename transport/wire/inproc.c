/* inproc.c - inproc:// endpoints: a pipe straight between two sockets of a context, no
 * I/O thread. As in libzmq 4, a connect may come before the bind: its pipe is created
 * at once (messages queue up to the HWM) and handed to the binder when it binds. */
#include "core/ctx.h"
#include "wire/wire.h"
#include "core/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "zmtp.h"

typedef struct zinproc zinproc; /* one name: bound, or waited for by connects */
typedef struct pending_pipe {
    zpipe_end *end; /* the binder's end, not attached yet */
    struct pending_pipe *next;
} pending_pipe;

struct zinproc {
    zinproc *next;
    char name[256];
    zmailbox *mb;     /* the binder's mailbox (a reference), NULL while unbound */
    zsock *binder;    /* valid while bound; read only under the ctx lock */
    zopts opts;       /* the binder's options when it bound */
    pending_pipe *pending;
};

static zinproc *find(zctx *c, const char *name)
{
    for (zinproc *i = c->inproc; i; i = i->next)
        if (strcmp(i->name, name) == 0)
            return i;
    return NULL;
}

static zinproc *find_or_add(zctx *c, const char *name)
{
    zinproc *i = find(c, name);
    if (i)
        return i;
    i = calloc(1, sizeof *i);
    if (!i)
        return NULL;
    snprintf(i->name, sizeof i->name, "%s", name);
    i->next = c->inproc;
    c->inproc = i;
    return i;
}

static void forget_if_unused(zctx *c, zinproc *x)
{
    if (x->mb || x->pending)
        return;
    for (zinproc **pp = &c->inproc; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            free(x);
            return;
        }
    }
}

/* The peer's view of a socket: its routing id and a Socket-Type property. */
static void fill_peer(zpipe_end *e, const zopts *peer)
{
    zpipe_user *u = zpipe_user_of(e);
    memcpy(u->routing_id, peer->routing_id, peer->routing_id_len);
    u->routing_id_len = peer->routing_id_len;
    const char *type = zmtp_socket_type_name(peer->type);
    const char *extra[] = {"Socket-Type", type ? type : "", "Peer-Address", "inproc"};
    u->meta = zmeta_new(NULL, 0, extra, 2);
}

/* A binder's shares of the HWMs of a pipe that connected to it: libzmq adds the two
 * sockets' HWMs, connect before bind included (where the connector's alone bound the
 * pipe until then). */
static void bind_shares(zpipe_end *binder_end, const zopts *binder)
{
    zpipe_set_hwm(binder_end, zopts_pipe_hwm(binder, false), zopts_pipe_hwm(binder, true));
}

static void inproc_unbind(zendpoint *ep, zsock *s, int linger)
{
    (void)linger; /* what was sent is in the pipes already; they outlive the binding */
    zctx *c = s->ctx;
    zmutex_lock(&c->lock);
    zinproc *x = ep->impl;
    zmailbox_unref(x->mb);
    x->mb = NULL;
    x->binder = NULL;
    zopts_release(&x->opts);
    forget_if_unused(c, x);
    zmutex_unlock(&c->lock);
}

int zinproc_bind(zsock *s, const char *name, zendpoint *ep)
{
    if (!*name || strlen(name) >= 256)
        return -EINVAL;
    zctx *c = s->ctx;
    zmutex_lock(&c->lock);
    zinproc *x = find_or_add(c, name);
    if (!x) {
        zmutex_unlock(&c->lock);
        return -ENOMEM;
    }
    if (x->mb) {
        zmutex_unlock(&c->lock);
        return -EADDRINUSE;
    }
    zmailbox_ref(s->mb);
    x->mb = s->mb;
    x->binder = s;
    x->opts = s->o;
    zopts_hold(&x->opts);
    zopts_wipe(&x->opts); /* inproc has no mechanism: its copy needs no secret keys */
    pending_pipe *p = x->pending;
    x->pending = NULL;
    zmutex_unlock(&c->lock);
    /* connects that came first: their pipes are ours now (we are on our thread) */
    while (p) {
        pending_pipe *n = p->next;
        bind_shares(p->end, &s->o);
        zsock_attach(s, p->end);
        free(p);
        p = n;
    }
    ep->kind = ZEP_INPROC_BIND;
    ep->impl = x;
    ep->close = inproc_unbind;
    return 0;
}

static void inproc_disconnect(zendpoint *ep, zsock *s, int linger)
{
    (void)linger;
    zpipe_end *mine = ep->impl;
    /* the pipe may be gone already (the peer closed and we read everything) */
    for (int i = 0; i < s->npipes; i++)
        if (s->pipes[i] == mine) {
            zsock_pipe_terminated(s, mine);
            break;
        }
}

int zinproc_connect(zsock *s, const char *name, zendpoint *ep)
{
    if (!*name || strlen(name) >= 256)
        return -EINVAL;
    zctx *c = s->ctx;
    zmutex_lock(&c->lock);
    zinproc *x = find_or_add(c, name);
    if (!x) {
        zmutex_unlock(&c->lock);
        return -ENOMEM;
    }
    bool bound = x->mb != NULL;
    zopts peer = x->opts; /* read under the lock; its shared blocks are never used */
    if (bound && peer.type >= 0 && !zmtp_socket_types_compatible(s->o.type, peer.type)) {
        zmutex_unlock(&c->lock);
        return -ZAIO_ENOCOMPATPROTO;
    }
    /* a direction conflates if either end conflates it; the binder's share of the HWMs
     * comes with the binder */
    int snd = zopts_pipe_hwm(&s->o, false), rcv = zopts_pipe_hwm(&s->o, true);
    if (bound && zopts_pipe_hwm(&peer, true) == ZPIPE_CONFLATE)
        snd = ZPIPE_CONFLATE;
    if (bound && zopts_pipe_hwm(&peer, false) == ZPIPE_CONFLATE)
        rcv = ZPIPE_CONFLATE;
    zpipe_end *mine, *theirs;
    int rc = zpipe_new(&mine, &theirs, snd, rcv);
    if (rc < 0) {
        forget_if_unused(c, x);
        zmutex_unlock(&c->lock);
        return rc;
    }
    zpipe_set_app_ends(mine);
    fill_peer(theirs, &s->o);
    if (bound) {
        bind_shares(theirs, &peer);
        fill_peer(mine, &peer);
        zsock_post_attach(x->mb, theirs);
    } else {
        pending_pipe *p = calloc(1, sizeof *p);
        if (!p) {
            zmutex_unlock(&c->lock);
            zpipe_detach(mine);
            zpipe_detach(theirs);
            return -ENOMEM;
        }
        p->end = theirs;
        p->next = x->pending;
        x->pending = p;
    }
    zmutex_unlock(&c->lock);
    if (s->o.connect_routing_id_len) { /* CONNECT_ROUTING_ID: a ROUTER's name for the peer */
        zpipe_user *u = zpipe_user_of(mine);
        memcpy(u->routing_id, s->o.connect_routing_id, s->o.connect_routing_id_len);
        u->routing_id_len = s->o.connect_routing_id_len;
    }
    zsock_attach(s, mine);
    ep->kind = ZEP_INPROC_CONNECT;
    ep->impl = mine;
    ep->close = inproc_disconnect;
    return 0;
}

int zinproc_open(zctx *c, const char *name, zpipe_end **mine)
{
    zmutex_lock(&c->lock);
    zinproc *x = find(c, name);
    if (!x || !x->mb) {
        zmutex_unlock(&c->lock);
        return -ECONNREFUSED;
    }
    zpipe_end *theirs;
    int rc = zpipe_new(mine, &theirs, 0, 0);
    if (rc == 0) {
        /* the handler sees a requester that brings its own delimiter, as a REQ does */
        zopts req;
        zopts_default(&req, ZAIO_REQ);
        fill_peer(theirs, &req);
        zsock_post_attach(x->mb, theirs);
    }
    zmutex_unlock(&c->lock);
    return rc;
}

void zinproc_ctx_fini(zctx *c)
{
    /* connects to names nobody bound: their binder ends never found an owner */
    while (c->inproc) {
        zinproc *x = c->inproc;
        c->inproc = x->next;
        while (x->pending) {
            pending_pipe *p = x->pending;
            x->pending = p->next;
            zpipe_detach(p->end);
            free(p);
        }
        if (x->mb)
            zmailbox_unref(x->mb);
        zopts_release(&x->opts);
        free(x);
    }
}
