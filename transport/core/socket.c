/* socket.c - what every socket type shares: its life, its pipes, its commands, the
 * blocking send/recv loop, options, endpoints. The type-specific routing is in the
 * pattern (pattern_*.c) behind zsock->ops. */
#include "core/socket.h"

#include "core/ctx.h"
#include "core/endpoint.h"
#include "core/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zmtp.h"

/* ---- metadata ----------------------------------------------------------------------- */

static char *dup_n(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

/* Appends name=value; false when out of memory (the caller frees m). */
static bool meta_add(zmeta *m, const void *name, size_t nlen, const void *value, size_t vlen)
{
    m->prop[m->n].name = dup_n(name, nlen);
    m->prop[m->n].value = dup_n(value, vlen);
    m->n++;
    return m->prop[m->n - 1].name && m->prop[m->n - 1].value;
}

zmeta *zmeta_new(const uint8_t *md, size_t md_len, const char *const *extra, int nextra)
{
    int n = nextra;
    size_t pos = 0;
    zmtp_property pr;
    while (md && zmtp_metadata_next(md, md_len, &pos, &pr) == 1)
        n++;
    zmeta *m = calloc(1, sizeof *m + (size_t)n * sizeof m->prop[0]);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    bool ok = true;
    pos = 0;
    for (int i = 0; ok && extra && i < nextra * 2; i += 2)
        ok = meta_add(m, extra[i], strlen(extra[i]), extra[i + 1], strlen(extra[i + 1]));
    while (ok && md && zmtp_metadata_next(md, md_len, &pos, &pr) == 1)
        ok = meta_add(m, pr.name, pr.name_len, pr.value, pr.value_len);
    if (!ok) {
        zmeta_unref(m);
        return NULL;
    }
    return m;
}

zmeta *zmeta_ref(zmeta *m) { return zmeta_ref_n(m, 1); }

zmeta *zmeta_ref_n(zmeta *m, int n)
{
    atomic_fetch_add(&m->refs, n);
    return m;
}

void zmeta_unref(zmeta *m) { zmeta_unref_n(m, 1); }

void zmeta_unref_n(zmeta *m, int n)
{
    if (!m || n == 0 || atomic_fetch_sub(&m->refs, n) != n)
        return;
    for (int i = 0; i < m->n; i++) {
        free(m->prop[i].name);
        free(m->prop[i].value);
    }
    free(m);
}

const char *zmeta_get(const zmeta *m, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (strcasecmp(m->prop[i].name, name) == 0)
            return m->prop[i].value;
    /* libzmq 4.3 answers "Routing-Id" for a peer that sent "Identity", and back */
    if (strcasecmp(name, "Routing-Id") == 0)
        return zmeta_get(m, "Identity");
    return NULL;
}

/* ---- options ------------------------------------------------------------------------ */

void zopts_default(zopts *o, int type)
{
    memset(o, 0, sizeof *o);
    o->type = type;
    o->sndhwm = o->rcvhwm = 1000;
    o->linger = -1;
    o->sndtimeo = o->rcvtimeo = -1;
    o->reconnect_ivl = 100;
    o->reconnect_ivl_max = 0;
    o->backlog = 100;
    o->maxmsgsize = -1;
    o->handshake_ivl = 30000;
    o->heartbeat_timeout = -1;
    o->tcp_keepalive = o->tcp_keepalive_cnt = o->tcp_keepalive_idle = o->tcp_keepalive_intvl = -1;
    o->sndbuf = o->rcvbuf = -1;
    o->mechanism = ZAIO_NULL;
    zopts_more_default(o);
}

void zopts_wipe(zopts *o)
{
    zmtp_wipe(o->plain_password, sizeof o->plain_password);
    zmtp_wipe(o->curve_secret, sizeof o->curve_secret);
}

int zopts_pipe_hwm(const zopts *o, bool inbound)
{
    bool conflate = false;
    if (o->conflate) {
        switch (o->type) {
        case ZAIO_DEALER: conflate = true; break;
        case ZAIO_SUB:
        case ZAIO_PULL: conflate = inbound; break;
        case ZAIO_PUB:
        case ZAIO_PUSH: conflate = !inbound; break;
        default: break;
        }
    }
    return conflate ? ZPIPE_CONFLATE : inbound ? o->rcvhwm : o->sndhwm;
}

/* ---- life --------------------------------------------------------------------------- */

static void sock_wake(void *arg) { zsignaler_send(arg); }

int zctx_socket_opened(zctx *c, zsock *s); /* ctx.c: counts it, or refuses (ETERM, EMFILE) */
void zctx_socket_defaults(zctx *c, zopts *o); /* ctx.c: BLOCKY's LINGER, the context's IPV6 */

int zsock_new(zctx *c, int type, zsock **out)
{
    const zpattern_ops *ops = zpattern_find(type);
    if (!ops)
        return -EINVAL;
    zsock *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->tag = ZSOCK_TAG;
    s->ctx = c;
    s->ops = ops;
    zopts_default(&s->o, type);
    s->spin = zcpu_count() > 1;
    zctx_socket_defaults(c, &s->o);
    int rc = zsignaler_new(&s->sig);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->mb = zmailbox_new(sock_wake, s->sig);
    s->monitor = zmonitor_new();
    if (!s->mb || !s->monitor) {
        rc = -ENOMEM;
        goto fail;
    }
    zmailbox_set_owner(s->mb, s);
    rc = ops->init(s);
    if (rc == 0) {
        rc = zctx_socket_opened(c, s);
        if (rc < 0)
            ops->fini(s);
    }
    if (rc < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    zmonitor_unref(s->monitor);
    if (s->mb)
        zmailbox_unref(s->mb);
    zsignaler_free(s->sig);
    free(s);
    return rc;
}

/* Takes e out of the socket and lets go of it: the one way a pipe end leaves. */
static void sock_drop_pipe(zsock *s, zpipe_end *e)
{
    for (int i = 0; i < s->npipes; i++) {
        if (s->pipes[i] == e) {
            s->pipes[i] = s->pipes[--s->npipes];
            break;
        }
    }
    s->ops->detach(s, e);
    /* no notification after this, none queued, then the end may vanish */
    zpipe_set_notify(e, NULL, NULL);
    zpipe_user *u = zpipe_user_of(e);
    for (int i = 0; i < 3; i++)
        zmailbox_cancel(s->mb, &u->notify_cmd[i]);
    zpipe_detach(e);
}

void zsock_pipe_terminated(zsock *s, zpipe_end *p) { sock_drop_pipe(s, p); }

static void sock_peer_gone(zsock *s, zpipe_end *e)
{
    /* what the peer sent before it went is still delivered; a pipe with nothing left
     * leaves now, the others when the pattern's read says TERMINATED */
    if (zpipe_can_read(e))
        s->ops->readable(s, e);
    else
        sock_drop_pipe(s, e);
}

static void sock_cmd_pipe_event(zcmd *c)
{
    zsock *s = c->arg;
    zpipe_end *e = c->target;
    switch ((zpipe_event)c->value) {
    case ZPIPE_READABLE: s->ops->readable(s, e); break;
    case ZPIPE_WRITABLE: s->ops->writable(s, e); break;
    case ZPIPE_PEER_GONE: sock_peer_gone(s, e); break;
    }
}

void zsock_pipe_notify(void *owner, zpipe_end *e, zpipe_event ev)
{
    zsock *s = owner;
    /* post only: the command was set up at attach. Writing its fields here, from the
     * peer's thread, raced the socket's thread running the same command from its last
     * post (ThreadSanitizer saw it: the mailbox's lock covers the queue, not the run) */
    zmailbox_post(s->mb, &zpipe_user_of(e)->notify_cmd[ev - 1]);
}

void zsock_attach(zsock *s, zpipe_end *e)
{
    if (s->npipes == s->cappipes) {
        int cap = s->cappipes ? s->cappipes * 2 : 8;
        zpipe_end **np = realloc(s->pipes, (size_t)cap * sizeof *np);
        if (!np) {
            zpipe_detach(e); /* out of memory: the peer sees the pipe go */
            return;
        }
        s->pipes = np;
        s->cappipes = cap;
    }
    s->pipes[s->npipes++] = e;
    for (int i = 0; i < 3; i++) { /* before any notification can come */
        zcmd *c = &zpipe_user_of(e)->notify_cmd[i];
        c->run = sock_cmd_pipe_event;
        c->drop = NULL;
        c->target = e;
        c->arg = s;
        c->value = i + 1;
    }
    zpipe_set_notify(e, zsock_pipe_notify, s);
    s->ops->attach(s, e);
    /* a peer that left before we listened could not tell us */
    if (zpipe_peer_gone(e))
        zsock_pipe_notify(s, e, ZPIPE_PEER_GONE);
}

static void sock_cmd_attach(zcmd *c)
{
    zmailbox *mb = c->target;
    zsock_attach(zmailbox_owner(mb), c->arg);
    free(c);
}

static void sock_cmd_attach_drop(zcmd *c)
{
    zpipe_detach(c->arg); /* the socket closed: nobody takes this end */
    free(c);
}

void zsock_post_attach(zmailbox *mb, zpipe_end *e)
{
    zcmd *c = calloc(1, sizeof *c);
    if (!c) {
        zpipe_detach(e);
        return;
    }
    c->run = sock_cmd_attach;
    c->drop = sock_cmd_attach_drop;
    c->target = mb;
    c->arg = e;
    zmailbox_post(mb, c);
}

/* Runs what other threads asked of this socket. */
void zsock_process(zsock *s)
{
    if (zmailbox_pending(s->mb)) {
        zsignaler_clear(s->sig); /* first: a post after this signals again */
        zmailbox_process(s->mb);
    }
}

static void sock_endpoint_free_all(zsock *s)
{
    while (s->endpoints) {
        zendpoint *ep = s->endpoints;
        s->endpoints = ep->next;
        ep->close(ep, s, s->o.linger);
        free(ep);
    }
}

void zmonitor_stop(zsock *s); /* monitor.c */
void zctx_socket_closed(zctx *c, zsock *s); /* ctx.c */

void zsock_close(zsock *s)
{
    s->closing = true;
    zsock_process(s);
    sock_endpoint_free_all(s);
    while (s->npipes > 0)
        sock_drop_pipe(s, s->pipes[s->npipes - 1]);
    s->ops->fini(s);
    zmonitor_stop(s);
    zmailbox_kill(s->mb); /* attaches still on the way are dropped: their ends detach */
    zmailbox_unref(s->mb);
    free(s->pipes);
    zopts_release(&s->o);
    zctx *c = s->ctx;
    s->tag = 0;
    zopts_wipe(&s->o);
    /* out of the context's list before the signaler goes: zaio_ctx_shutdown signals every
     * socket in that list, and an I/O thread closes sockets too (a monitor's, when the
     * last session that held it ends) while the application terminates the context */
    zctx_socket_closed(c, s);
    zsignaler_free(s->sig);
    free(s);
}

/* ---- send and recv ------------------------------------------------------------------- */

/* Waits for something to happen to s, up to *left ms (-1 forever), then runs its
 * commands. -EAGAIN when the time is up, -ETERM when the context is ending, -EINTR
 * when a signal interrupted the wait (libzmq's blocking calls return EINTR, and
 * bindings such as pyzmq rely on it to run the program's signal handlers). */
static int sock_wait(zsock *s, int *left)
{
    if (zctx_terminating(s->ctx))
        return -ZAIO_ETERM;
    if (*left == 0)
        return -EAGAIN;
    int64_t t0 = zclock_ms();
    int rc = zsignaler_wait(s->sig, *left);
    if (rc == -EINTR)
        return rc;
    if (*left > 0) {
        int64_t spent = zclock_ms() - t0;
        *left = spent >= *left ? 0 : *left - (int)spent;
    }
    zsignaler_clear(s->sig);
    zmailbox_process(s->mb);
    if (zctx_terminating(s->ctx))
        return -ZAIO_ETERM;
    (void)rc; /* a timeout shows as *left == 0 on the next round */
    return 0;
}

int zsock_send(zsock *s, zmsg *m, int flags)
{
    if (zctx_terminating(s->ctx))
        return -ZAIO_ETERM;
    zsock_process(s);
    if (flags & ZAIO_SNDMORE)
        m->flags |= ZMSG_MORE;
    else
        m->flags &= (uint8_t)~ZMSG_MORE;
    int left = (flags & ZAIO_DONTWAIT) ? 0 : s->o.sndtimeo;
    for (;;) {
        int rc = s->ops->send(s, m);
        if (rc != -EAGAIN)
            return rc;
        rc = sock_wait(s, &left);
        if (rc < 0)
            return rc;
    }
}

/* A blocking receive whose one pipe is inproc waits for the writer a while before it
 * sleeps. Both ends are application threads, and when the reader is the faster one it
 * finds the queue empty every few messages: each time, sleeping and being woken cost
 * both threads system calls and the writer a wake-up (inproc 8 B: 4.1M msg/s on the
 * project's 2-core machine, libzmq 3.9M; spinning, 7.2M; ping-pong 13 us, 3 us
 * spinning). It is limited to inproc, where both ends are application threads: for a
 * TCP session's pipe the writer is an I/O thread that needs a processor too, and a
 * trial of this spin there helped some tcp cases and hurt others (io_uring 1 KiB
 * throughput fell by up to half). With one processor there is nobody to wait for.
 * A spin that finds nothing costs SOCK_SPIN_NS of processor time once per sleep, next
 * to the system calls of the sleep itself. Only the types that read straight from
 * their one pipe spin (PULL, PAIR, DEALER, SUB, XSUB, REQ, REP: zpattern_ops.spin_pipe). */
enum { SOCK_SPIN_NS = 10000 };

static void sock_spin_for_input(zsock *s)
{
    /* the type says which pipe: not one whose frame it has read ahead already (a
     * ROUTER's, or after a poll), nor when the recv cannot succeed (REQ before a send) */
    if (!s->spin || !s->ops->spin_pipe)
        return;
    zpipe_end *p = s->ops->spin_pipe(s);
    if (p && zpipe_spins(p) && !zpipe_can_read(p))
        zpipe_spin_read(p, SOCK_SPIN_NS);
}

int zsock_recv(zsock *s, zmsg *m, int flags)
{
    if (zctx_terminating(s->ctx))
        return -ZAIO_ETERM;
    zsock_process(s);
    int left = (flags & ZAIO_DONTWAIT) ? 0 : s->o.rcvtimeo;
    if (left != 0)
        sock_spin_for_input(s);
    for (;;) {
        zmsg_close(m);
        int rc = s->ops->recv(s, m);
        if (rc == 0) {
            s->rcvmore = zmsg_more(m);
            return 0;
        }
        if (rc != -EAGAIN)
            return rc;
        rc = sock_wait(s, &left);
        if (rc < 0)
            return rc;
    }
}

int zsock_events(zsock *s)
{
    /* clear even with nothing posted: a stale wake-up must not keep a poller spinning */
    zsignaler_clear(s->sig);
    zmailbox_process(s->mb);
    int ev = 0;
    if (s->ops->has_in(s))
        ev |= ZAIO_POLLIN;
    if (s->ops->has_out(s))
        ev |= ZAIO_POLLOUT;
    return ev;
}

/* ---- options ------------------------------------------------------------------------- */

static int opt_int(const void *val, size_t len, int *out)
{
    if (!val || len != sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

static int opt_str(const void *val, size_t len, char *dst, size_t cap)
{
    if (len >= cap || (len && !val))
        return -EINVAL;
    if (len)
        memcpy(dst, val, len);
    dst[len] = 0;
    return 0;
}

/* A CURVE key as libzmq 4.3.4 takes it: 32 bytes, or 40 Z85 characters with or without
 * a NUL after them. Any key makes the socket speak CURVE; SERVERKEY makes it a client. */
static int opt_curve_key(zopts *o, uint8_t key[32], const void *val, size_t len)
{
    uint8_t k[32];
    char z85[41];
    if (!zmtp_curve_available())
        return -EINVAL; /* as a libzmq built without CURVE: no such option */
    if (!val)
        return -EINVAL;
    if (len == 32) {
        memcpy(k, val, 32);
    } else if (len == 40 || (len == 41 && ((const char *)val)[40] == 0)) {
        memcpy(z85, val, 40);
        z85[40] = 0;
        if (!zaio_z85_decode(k, z85))
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    memcpy(key, k, 32);
    zmtp_wipe(k, sizeof k);
    o->mechanism = ZAIO_CURVE;
    return 0;
}

/* Reads a CURVE key back as libzmq does: 32 bytes, or Z85 and its NUL into exactly 41. */
static int get_curve_key(void *val, const size_t *len, const uint8_t key[32])
{
    if (!zmtp_curve_available() || !val || !len)
        return -EINVAL;
    if (*len == 32) {
        memcpy(val, key, 32);
        return 0;
    }
    if (*len == 41) {
        zaio_z85_encode(val, key, 32);
        return 0;
    }
    return -EINVAL;
}

int zsock_setopt(zsock *s, int opt, const void *val, size_t len)
{
    int rc = s->ops->setopt ? s->ops->setopt(s, opt, val, len) : 1;
    if (rc <= 0)
        return rc;
    rc = zopts_more_set(&s->o, opt, val, len); /* socket_opts.c */
    if (rc <= 0)
        return rc;
    zopts *o = &s->o;
    int v = 0;
    int64_t v64;
    switch (opt) {
    case ZAIO_ROUTING_ID:
        if (len < 1 || len > 255 || ((const uint8_t *)val)[0] == 0)
            return -EINVAL; /* a leading zero byte is reserved for generated ids */
        memcpy(o->routing_id, val, len);
        o->routing_id_len = (uint8_t)len;
        return 0;
    case ZAIO_MAXMSGSIZE:
        if (!val || len != sizeof v64)
            return -EINVAL;
        memcpy(&v64, val, sizeof v64);
        o->maxmsgsize = v64;
        return 0;
    case ZAIO_PLAIN_USERNAME:
        rc = opt_str(val, len, o->plain_username, sizeof o->plain_username);
        if (rc == 0) {
            o->mechanism = len ? ZAIO_PLAIN : ZAIO_NULL;
            o->as_server = 0;
        }
        return rc;
    case ZAIO_PLAIN_PASSWORD:
        rc = opt_str(val, len, o->plain_password, sizeof o->plain_password);
        if (rc == 0) {
            o->mechanism = ZAIO_PLAIN;
            o->as_server = 0;
        }
        return rc;
    case ZAIO_CURVE_PUBLICKEY: return opt_curve_key(o, o->curve_public, val, len);
    case ZAIO_CURVE_SECRETKEY: return opt_curve_key(o, o->curve_secret, val, len);
    case ZAIO_CURVE_SERVERKEY:
        rc = opt_curve_key(o, o->curve_server, val, len);
        if (rc == 0)
            o->as_server = 0;
        return rc;
    case ZAIO_ZAP_DOMAIN:
        return opt_str(val, len, o->zap_domain, sizeof o->zap_domain);
    case ZAIO_IPC_FILTER_UID:
    case ZAIO_IPC_FILTER_GID:
    case ZAIO_IPC_FILTER_PID: {
        int *list = opt == ZAIO_IPC_FILTER_UID   ? o->ipc_uid
                    : opt == ZAIO_IPC_FILTER_GID ? o->ipc_gid
                                                 : o->ipc_pid;
        int *n = opt == ZAIO_IPC_FILTER_UID   ? &o->ipc_nuid
                 : opt == ZAIO_IPC_FILTER_GID ? &o->ipc_ngid
                                              : &o->ipc_npid;
        if (!val && len == 0) { /* as libzmq: no value clears the list */
            *n = 0;
            return 0;
        }
        if ((rc = opt_int(val, len, &v)) < 0)
            return rc;
        if (*n == ZOPTS_IPC_FILTERS)
            return -ENOMEM;
        list[(*n)++] = v;
        return 0;
    }
    default: break;
    }
    rc = opt_int(val, len, &v);
    if (rc < 0)
        return rc;
    switch (opt) {
    case ZAIO_SNDHWM:
    case ZAIO_RCVHWM:
        if (v < 0)
            return -EINVAL;
        *(opt == ZAIO_SNDHWM ? &o->sndhwm : &o->rcvhwm) = v;
        /* as libzmq 4.3: the pipes the socket has take the new HWM too */
        for (int i = 0; i < s->npipes; i++)
            zpipe_set_hwm(s->pipes[i], zopts_pipe_hwm(o, false), zopts_pipe_hwm(o, true));
        return 0;
    case ZAIO_LINGER: if (v < -1) return -EINVAL; o->linger = v; return 0;
    case ZAIO_SNDTIMEO: if (v < -1) return -EINVAL; o->sndtimeo = v; return 0;
    case ZAIO_RCVTIMEO: if (v < -1) return -EINVAL; o->rcvtimeo = v; return 0;
    case ZAIO_RECONNECT_IVL: if (v < -1) return -EINVAL; o->reconnect_ivl = v; return 0;
    case ZAIO_RECONNECT_IVL_MAX: if (v < 0) return -EINVAL; o->reconnect_ivl_max = v; return 0;
    case ZAIO_BACKLOG: if (v < 0) return -EINVAL; o->backlog = v; return 0;
    case ZAIO_IMMEDIATE: o->immediate = v != 0; return 0;
    case ZAIO_HANDSHAKE_IVL: if (v < 0) return -EINVAL; o->handshake_ivl = v; return 0;
    case ZAIO_HEARTBEAT_IVL: if (v < 0) return -EINVAL; o->heartbeat_ivl = v; return 0;
    case ZAIO_HEARTBEAT_TTL:
        if (v < 0 || v > 6553500) return -EINVAL; /* tenths of a second on the wire */
        o->heartbeat_ttl = v;
        return 0;
    case ZAIO_HEARTBEAT_TIMEOUT: if (v < -1) return -EINVAL; o->heartbeat_timeout = v; return 0;
    case ZAIO_TCP_KEEPALIVE: if (v < -1 || v > 1) return -EINVAL; o->tcp_keepalive = v; return 0;
    case ZAIO_TCP_KEEPALIVE_CNT: o->tcp_keepalive_cnt = v; return 0;
    case ZAIO_TCP_KEEPALIVE_IDLE: o->tcp_keepalive_idle = v; return 0;
    case ZAIO_TCP_KEEPALIVE_INTVL: o->tcp_keepalive_intvl = v; return 0;
    case ZAIO_IPV6: o->ipv6 = v != 0; return 0;
    case ZAIO_IPV4ONLY: o->ipv6 = v == 0; return 0;
    case ZAIO_CONNECT_TIMEOUT: if (v < 0) return -EINVAL; o->connect_timeout = v; return 0;
    case ZAIO_SNDBUF: o->sndbuf = v; return 0;
    case ZAIO_RCVBUF: o->rcvbuf = v; return 0;
    case ZAIO_PLAIN_SERVER:
        o->as_server = v != 0;
        o->mechanism = v ? ZAIO_PLAIN : ZAIO_NULL;
        return 0;
    case ZAIO_CURVE_SERVER:
        if (!zmtp_curve_available())
            return -EINVAL;
        o->as_server = v != 0;
        o->mechanism = v ? ZAIO_CURVE : ZAIO_NULL;
        return 0;
    case ZAIO_ROUTER_MANDATORY: o->router_mandatory = v != 0; return 0;
    case ZAIO_ROUTER_HANDOVER: o->router_handover = v != 0; return 0;
    case ZAIO_REQ_CORRELATE: o->req_correlate = v != 0; return 0;
    case ZAIO_REQ_RELAXED: o->req_relaxed = v != 0; return 0;
    case ZAIO_XPUB_VERBOSE: o->xpub_verbose = v != 0; return 0;
    case ZAIO_CONFLATE: o->conflate = v != 0; return 0;
    case ZAIO_ZAP_ENFORCE_DOMAIN: o->zap_enforce_domain = v != 0; return 0;
    default: return -EINVAL;
    }
}

/* The socket's state (RCVMORE, EVENTS, FD): any room for an int will do, as libzmq. */
static int put_int_state(void *val, size_t *len, int v)
{
    if (!val || !len || *len < sizeof(int))
        return -EINVAL;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

/* An int option: exactly an int, as libzmq demands. A larger variable would keep its
 * upper bytes as they were, and the caller would read a wrong value as a right one. */
static int put_int(void *val, size_t *len, int v)
{
    if (!len || *len != sizeof(int))
        return -EINVAL;
    return put_int_state(val, len, v);
}

static int put_bytes(void *val, size_t *len, const void *p, size_t n)
{
    if (!len || *len < n || (n && !val))
        return -EINVAL;
    if (n)
        memcpy(val, p, n);
    *len = n;
    return 0;
}

int zsock_getopt(zsock *s, int opt, void *val, size_t *len)
{
    zopts *o = &s->o;
    switch (opt) {
    case ZAIO_TYPE: return put_int(val, len, o->type);
    case ZAIO_RCVMORE: return put_int_state(val, len, s->rcvmore);
    case ZAIO_EVENTS: return put_int_state(val, len, zsock_events(s));
    case ZAIO_FD: {
#ifdef _WIN32
        if (!val || !len || *len < sizeof(zaio_fd_t))
            return -EINVAL;
        zaio_fd_t fd = (zaio_fd_t)zsignaler_fd(s->sig);
        memcpy(val, &fd, sizeof fd);
        *len = sizeof fd;
        return 0;
#else
        return put_int_state(val, len, (int)zsignaler_fd(s->sig));
#endif
    }
    case ZAIO_LAST_ENDPOINT:
        return put_bytes(val, len, s->last_endpoint, strlen(s->last_endpoint) + 1);
    case ZAIO_ROUTING_ID: return put_bytes(val, len, o->routing_id, o->routing_id_len);
    case ZAIO_MAXMSGSIZE: return put_bytes(val, len, &o->maxmsgsize, sizeof o->maxmsgsize);
    case ZAIO_PLAIN_USERNAME:
        return put_bytes(val, len, o->plain_username, strlen(o->plain_username) + 1);
    case ZAIO_PLAIN_PASSWORD:
        return put_bytes(val, len, o->plain_password, strlen(o->plain_password) + 1);
    case ZAIO_SNDHWM: return put_int(val, len, o->sndhwm);
    case ZAIO_RCVHWM: return put_int(val, len, o->rcvhwm);
    case ZAIO_LINGER: return put_int(val, len, o->linger);
    case ZAIO_SNDTIMEO: return put_int(val, len, o->sndtimeo);
    case ZAIO_RCVTIMEO: return put_int(val, len, o->rcvtimeo);
    case ZAIO_RECONNECT_IVL: return put_int(val, len, o->reconnect_ivl);
    case ZAIO_RECONNECT_IVL_MAX: return put_int(val, len, o->reconnect_ivl_max);
    case ZAIO_BACKLOG: return put_int(val, len, o->backlog);
    case ZAIO_IMMEDIATE: return put_int(val, len, o->immediate);
    case ZAIO_HANDSHAKE_IVL: return put_int(val, len, o->handshake_ivl);
    case ZAIO_HEARTBEAT_IVL: return put_int(val, len, o->heartbeat_ivl);
    case ZAIO_HEARTBEAT_TTL: return put_int(val, len, o->heartbeat_ttl);
    case ZAIO_HEARTBEAT_TIMEOUT: return put_int(val, len, o->heartbeat_timeout);
    case ZAIO_TCP_KEEPALIVE: return put_int(val, len, o->tcp_keepalive);
    case ZAIO_TCP_KEEPALIVE_CNT: return put_int(val, len, o->tcp_keepalive_cnt);
    case ZAIO_TCP_KEEPALIVE_IDLE: return put_int(val, len, o->tcp_keepalive_idle);
    case ZAIO_TCP_KEEPALIVE_INTVL: return put_int(val, len, o->tcp_keepalive_intvl);
    case ZAIO_IPV6: return put_int(val, len, o->ipv6);
    case ZAIO_IPV4ONLY: return put_int(val, len, !o->ipv6);
    case ZAIO_CONNECT_TIMEOUT: return put_int(val, len, o->connect_timeout);
    case ZAIO_SNDBUF: return put_int(val, len, o->sndbuf);
    case ZAIO_RCVBUF: return put_int(val, len, o->rcvbuf);
    case ZAIO_MECHANISM: return put_int(val, len, o->mechanism);
    case ZAIO_PLAIN_SERVER: return put_int(val, len, o->as_server && o->mechanism == ZAIO_PLAIN);
    case ZAIO_CURVE_SERVER:
        if (!zmtp_curve_available())
            return -EINVAL;
        return put_int(val, len, o->as_server && o->mechanism == ZAIO_CURVE);
    case ZAIO_CURVE_PUBLICKEY: return get_curve_key(val, len, o->curve_public);
    case ZAIO_CURVE_SECRETKEY: return get_curve_key(val, len, o->curve_secret);
    case ZAIO_CURVE_SERVERKEY: return get_curve_key(val, len, o->curve_server);
    case ZAIO_ROUTER_MANDATORY: return put_int(val, len, o->router_mandatory);
    case ZAIO_ROUTER_HANDOVER: return put_int(val, len, o->router_handover);
    case ZAIO_REQ_CORRELATE: return put_int(val, len, o->req_correlate);
    case ZAIO_REQ_RELAXED: return put_int(val, len, o->req_relaxed);
    case ZAIO_XPUB_VERBOSE: return put_int(val, len, o->xpub_verbose);
    case ZAIO_CONFLATE: return put_int(val, len, o->conflate);
    case ZAIO_ZAP_DOMAIN:
        return put_bytes(val, len, o->zap_domain, strlen(o->zap_domain) + 1);
    case ZAIO_ZAP_ENFORCE_DOMAIN: return put_int(val, len, o->zap_enforce_domain);
    default: {
        zopt_value v; /* socket_opts.c */
        int rc = zopts_more_get(o, opt, &v);
        if (rc < 0)
            return rc;
        return v.is_int ? put_int(val, len, v.i) : put_bytes(val, len, v.p, v.n);
    }
    }
}

/* ---- endpoints ----------------------------------------------------------------------- */

static int sock_endpoint_open(zsock *s, const char *endpoint, bool bind)
{
    const char *sep = strstr(endpoint, "://");
    if (!sep)
        return -EINVAL;
    size_t proto_len = (size_t)(sep - endpoint);
    const char *rest = sep + 3;
    if (strlen(endpoint) >= sizeof((zendpoint *)0)->given)
        return -EINVAL;
    zendpoint *ep = calloc(1, sizeof *ep);
    if (!ep)
        return -ENOMEM;
    snprintf(ep->given, sizeof ep->given, "%s", endpoint);
    const ztransport *t = ztransport_find(endpoint, proto_len);
    int rc;
    if (!t)
        rc = -EPROTONOSUPPORT;
    else if (s->o.type == ZAIO_STREAM && strcmp(t->scheme, "inproc") == 0)
        rc = -ZAIO_ENOCOMPATPROTO; /* a STREAM's peers are raw connections: none in-process */
    else
        rc = bind ? t->bind(s, rest, ep) : t->connect(s, rest, ep);
    if (rc < 0) {
        free(ep);
        return rc;
    }
    if (!bind)
        s->o.connect_routing_id_len = 0; /* CONNECT_ROUTING_ID names one connect's peer */
    if (!ep->resolved[0])
        snprintf(ep->resolved, sizeof ep->resolved, "%s", endpoint);
    snprintf(s->last_endpoint, sizeof s->last_endpoint, "%s", ep->resolved);
    ep->next = s->endpoints;
    s->endpoints = ep;
    return 0;
}

int zsock_bind(zsock *s, const char *endpoint) { return sock_endpoint_open(s, endpoint, true); }
int zsock_connect(zsock *s, const char *endpoint) { return sock_endpoint_open(s, endpoint, false); }

/* unbind / disconnect: the endpoint as given or as resolved (LAST_ENDPOINT). */
int zsock_endpoint_close(zsock *s, const char *endpoint, bool bound)
{
    zsock_process(s);
    for (zendpoint **pp = &s->endpoints; *pp; pp = &(*pp)->next) {
        zendpoint *ep = *pp;
        bool is_bind = ep->kind == ZEP_TCP_BIND || ep->kind == ZEP_INPROC_BIND;
        if (is_bind != bound)
            continue;
        if (strcmp(ep->given, endpoint) != 0 && strcmp(ep->resolved, endpoint) != 0)
            continue;
        *pp = ep->next;
        ep->close(ep, s, s->o.linger);
        free(ep);
        return 0;
    }
    return -ENOENT;
}
