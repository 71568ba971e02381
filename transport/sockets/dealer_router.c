/* dealer_router.c - DEALER and ROUTER (RFC 28), and the flow base DEALER
 * shares with PAIR, PUSH, PULL and REQ.
 *
 * DEALER: each message goes whole to the next peer that has room (blocking when none
 * has), messages come in fair-queued, nothing is added or removed.
 *
 * ROUTER: every peer has a routing id: the one it announced (ZMTP Identity, or the
 * inproc peer's ROUTING_ID), else one generated here as libzmq does (a zero byte then
 * a 32-bit counter, big-endian, starting at a random value). A received message is
 * handed over with that id as an extra first frame; a sent message's first frame
 * names the peer. An unknown id, or a peer at its HWM, drops the message silently,
 * unless ROUTER_MANDATORY is set: then EHOSTUNREACH, or EAGAIN. A second peer with an
 * id in use is ignored (never read, never routed to), as libzmq does without
 * ROUTER_HANDOVER; unlike libzmq, it takes the id over once the first peer has gone
 * (a client that restarted before its old connection was noticed gets through). With
 * ROUTER_HANDOVER the newcomer takes the id at once and the old peer's pipe is
 * dropped (its connection closed), as libzmq does.
 *
 * PROBE_ROUTER (DEALER, REQ, ROUTER, and REP in req_rep.c) sends an empty message
 * to each pipe as it is attached; CONNECT_ROUTING_ID and ROUTER_NOTIFY are the
 * transports' (they set a pipe's routing id, and write the notices into the pipe).
 */
#include "sockets/patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the flow base ------------------------------------------------------------------ */

int zpat_flow_init(zsock *s, size_t size, bool in, bool out, int max_pipes)
{
    zpat_flow *f = calloc(1, size);
    if (!f)
        return -ENOMEM;
    zfq_init(&f->fq);
    zlb_init(&f->lb);
    f->in = in;
    f->out = out;
    f->max_pipes = max_pipes;
    s->pattern = f;
    return 0;
}

void zpat_flow_fini(zsock *s)
{
    zpat_flow *f = s->pattern;
    zfq_fini(&f->fq);
    zlb_fini(&f->lb);
    free(f);
    s->pattern = NULL;
}

void zpat_flow_attach(zsock *s, zpipe_end *p)
{
    zpat_flow *f = s->pattern;
    if (!zpat_pipe_new(s, p))
        return;
    if (f->max_pipes && f->npipes >= f->max_pipes) {
        zpat_refuse(s, p); /* PAIR: one peer at a time, as libzmq */
        return;
    }
    /* both ways even for PUSH and PULL: the fq/lb of the unused way stays empty */
    if ((f->in && zfq_attach(&f->fq, p) < 0) || (f->out && zlb_attach(&f->lb, p) < 0)) {
        zfq_detach(&f->fq, p);
        zpat_refuse(s, p);
        return;
    }
    f->npipes++;
    zpat_probe(s, p); /* DEALER, REQ */
}

void zpat_flow_detach(zsock *s, zpipe_end *p)
{
    zpat_flow *f = s->pattern;
    zpat_pipe *r = zpat_of(p);
    if (r->at[ZPAT_FQ] >= 0 || r->at[ZPAT_LB] >= 0)
        f->npipes--;
    zfq_detach(&f->fq, p);
    zlb_detach(&f->lb, p);
    zpat_pipe_free(p);
}

void zpat_flow_readable(zsock *s, zpipe_end *p)
{
    zpat_flow *f = s->pattern;
    if (zpat_take_refused(s, p))
        return;
    if (f->in)
        zfq_activated(&f->fq, p);
    else
        zpat_drain(s, p); /* PUSH reads nothing: what a peer sends anyway goes */
}

void zpat_flow_writable(zsock *s, zpipe_end *p)
{
    zpat_flow *f = s->pattern;
    if (f->out && !zpat_of(p)->refused)
        zlb_activated(&f->lb, p);
}

int zpat_flow_send(zsock *s, zmsg *m)
{
    zpat_flow *f = s->pattern;
    if (!f->out)
        return -ENOTSUP;
    zpat_user_frame(m);
    return zlb_send(&f->lb, m, NULL);
}

int zpat_flow_recv(zsock *s, zmsg *m)
{
    zpat_flow *f = s->pattern;
    if (!f->in)
        return -ENOTSUP;
    return zfq_recv(&f->fq, s, m, NULL);
}

bool zpat_flow_has_in(zsock *s)
{
    zpat_flow *f = s->pattern;
    return f->in && zfq_has_in(&f->fq, s);
}

zpipe_end *zpat_flow_spin_pipe(zsock *s)
{
    zpat_flow *f = s->pattern;
    return f->in ? zfq_spin_pipe(&f->fq) : NULL;
}

bool zpat_flow_has_out(zsock *s)
{
    zpat_flow *f = s->pattern;
    return f->out && zlb_has_out(&f->lb);
}

/* ---- DEALER ------------------------------------------------------------------------- */

static int dealer_init(zsock *s) { return zpat_flow_init(s, sizeof(zpat_flow), true, true, 0); }

const zpattern_ops zpattern_dealer = ZPAT_FLOW_OPS(ZAIO_DEALER, dealer_init);

/* ---- ROUTER ------------------------------------------------------------------------- */

typedef struct router {
    zfq fq;
    zpat_idtab ids; /* routing id -> pipe */
    uint32_t next_id;
    /* peers ignored for an id in use, waiting for it to be free */
    zpipe_end **ignored;
    int nignored, capignored;
    /* receiving: a message's id frame and first frame, taken together */
    zmsg pre_id, pre_msg;
    bool has_pre_id, has_pre_msg;
    zpipe_end *pre_from;
    bool more_in; /* the user is in the middle of a message */
    zpipe_end *retire; /* handed over while its message was being read: dropped after */
    /* sending */
    bool more_out;      /* the id frame has been given: the rest follows */
    zpipe_end *cur_out; /* where it goes; NULL: dropped */
} router;

static zpat_pipe *router_lookup(router *r, const uint8_t *id, size_t len)
{
    return zpat_idtab_lookup(&r->ids, id, len);
}

static int router_init(zsock *s)
{
    router *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    zfq_init(&r->fq);
    zmsg_init(&r->pre_id);
    zmsg_init(&r->pre_msg);
    /* libzmq starts its counter at a random value, so ids differ between sockets and
     * runs; a peer that reconnects does not inherit what a former one was sent */
    r->next_id = zpat_seed(r);
    s->pattern = r;
    return 0;
}

static void router_fini(zsock *s)
{
    router *r = s->pattern;
    zmsg_close(&r->pre_id);
    zmsg_close(&r->pre_msg);
    zfq_fini(&r->fq);
    zpat_idtab_fini(&r->ids);
    free(r->ignored);
    free(r);
    s->pattern = NULL;
}

/* Routes to p from now on (its id is free). 0, or -ENOMEM with nothing changed. */
static int router_take(router *r, zpat_pipe *rec)
{
    if (zpat_idtab_insert(&r->ids, rec) < 0)
        return -ENOMEM;
    if (zfq_attach(&r->fq, rec->end) < 0) {
        zpat_idtab_remove(&r->ids, rec);
        return -ENOMEM;
    }
    return 0;
}

/* The pipe the message the user is part way through comes from, or NULL. */
static zpipe_end *router_reading_from(const router *r)
{
    if (!r->more_in)
        return NULL;
    if (r->has_pre_msg)
        return r->pre_from;
    return r->fq.more ? r->fq.cur : NULL;
}

static void router_attach(zsock *s, zpipe_end *p)
{
    router *r = s->pattern;
    zpat_pipe *rec = zpat_pipe_new(s, p);
    if (!rec)
        return;
    zpat_probe(s, p); /* every peer, as libzmq: one ignored for its id too */
    zpipe_user *u = zpipe_user_of(p);
    if (u->routing_id_len > 0) {
        rec->id = u->routing_id;
        rec->id_len = u->routing_id_len;
        zpat_pipe *old = router_lookup(r, rec->id, rec->id_len);
        if (old && s->o.router_handover) {
            /* the newcomer takes the id; the old peer goes (router_detach then leaves
             * the id alone), once the message the user is reading from it is whole:
             * dropping it now would splice another peer's frames onto that message */
            zpat_idtab_remove(&r->ids, old);
            old->handed_over = true;
            if (router_reading_from(r) == old->end)
                r->retire = old->end;
            else
                zpat_refuse(s, old->end);
        } else if (old) {
            /* the id is taken: libzmq ignores the newcomer */
            if (zpat_grow(&r->ignored, &r->capignored, r->nignored + 1, sizeof *r->ignored) < 0) {
                zpat_refuse(s, p);
                return;
            }
            rec->ignored = true;
            r->ignored[r->nignored++] = p;
            return;
        }
    } else {
        rec->id = rec->gen_id;
        rec->id_len = sizeof rec->gen_id;
        zpat_idtab_generate(&r->ids, &r->next_id, rec->gen_id);
    }
    if (router_take(r, rec) < 0)
        zpat_refuse(s, p);
}

static void router_detach(zsock *s, zpipe_end *p)
{
    router *r = s->pattern;
    zpat_pipe *rec = zpat_of(p);
    if (rec->ignored) {
        for (int i = 0; i < r->nignored; i++)
            if (r->ignored[i] == p) {
                r->ignored[i] = r->ignored[--r->nignored];
                break;
            }
    } else if (rec->at[ZPAT_FQ] >= 0 && !rec->handed_over) {
        zpat_idtab_remove(&r->ids, rec);
        /* its id is free: the first peer that was refused it takes it */
        for (int i = 0; i < r->nignored; i++) {
            zpat_pipe *w = zpat_of(r->ignored[i]);
            if (w->id_len == rec->id_len && memcmp(w->id, rec->id, rec->id_len) == 0 &&
                router_take(r, w) == 0) {
                w->ignored = false;
                r->ignored[i] = r->ignored[--r->nignored];
                break;
            }
        }
    }
    zfq_detach(&r->fq, p);
    if (r->retire == p)
        r->retire = NULL;
    if (r->cur_out == p)
        r->cur_out = NULL; /* the rest of the message being sent is dropped */
    if (r->pre_from == p) {
        r->pre_from = NULL;
        /* a message read ahead whose rest went with the pipe cannot be delivered */
        if (r->has_pre_msg && zmsg_more(&r->pre_msg)) {
            zmsg_close(&r->pre_msg);
            zmsg_close(&r->pre_id);
            r->has_pre_msg = r->has_pre_id = false;
        }
    }
    zpat_pipe_free(p);
}

static void router_readable(zsock *s, zpipe_end *p)
{
    router *r = s->pattern;
    if (zpat_take_refused(s, p))
        return;
    if (zpat_of(p)->ignored) {
        /* never read; only its end matters (the core drops it when nothing is left,
         * and an ignored pipe is never read, so its end is decided here) */
        if (zpipe_peer_gone(p))
            zsock_pipe_terminated(s, p);
        return;
    }
    zfq_activated(&r->fq, p);
}

static void router_writable(zsock *s, zpipe_end *p)
{
    /* nothing to wake: sends look a pipe up afresh, and a sender blocked by
     * ROUTER_MANDATORY is woken by this very command */
    (void)s;
    (void)p;
}

/* Reads the first frame of the next message and makes its id frame. 0 or -EAGAIN. */
static int router_fetch(zsock *s, router *r)
{
    zpipe_end *from;
    int rc = zfq_recv(&r->fq, s, &r->pre_msg, &from);
    if (rc < 0)
        return rc;
    zpat_pipe *rec = zpat_of(from);
    rc = zmsg_init_copy(&r->pre_id, rec->id, rec->id_len);
    if (rc < 0) {
        /* no memory for the id: the message cannot be told apart, drop it */
        bool more = zmsg_more(&r->pre_msg);
        zmsg_close(&r->pre_msg);
        if (more)
            zfq_skip_rest(&r->fq, s);
        return -EAGAIN;
    }
    r->pre_id.flags = ZMSG_MORE;
    zpat_set_meta(&r->pre_id, from);
    r->has_pre_id = r->has_pre_msg = true;
    r->pre_from = from;
    return 0;
}

/* A frame of the message goes to the user; at its end a handed-over peer may go. */
static void router_frame_out(zsock *s, router *r, const zmsg *m)
{
    r->more_in = zmsg_more(m);
    if (!r->more_in && r->retire) {
        zpat_refuse(s, r->retire);
        r->retire = NULL;
    }
}

static int router_recv(zsock *s, zmsg *m)
{
    router *r = s->pattern;
    if (!r->has_pre_id && !r->has_pre_msg) {
        if (r->more_in) {
            int rc = zfq_recv(&r->fq, s, m, NULL);
            if (rc == 0)
                router_frame_out(s, r, m);
            return rc;
        }
        int rc = router_fetch(s, r);
        if (rc < 0)
            return rc;
    }
    if (r->has_pre_id) {
        zmsg_move(m, &r->pre_id);
        r->has_pre_id = false;
        r->more_in = true;
        return 0;
    }
    zmsg_move(m, &r->pre_msg);
    r->has_pre_msg = false;
    r->pre_from = NULL;
    router_frame_out(s, r, m);
    return 0;
}

static int router_send(zsock *s, zmsg *m)
{
    router *r = s->pattern;
    bool more = zmsg_more(m);
    if (!r->more_out) {
        /* the routing id */
        if (!more) {
            zmsg_close(m); /* an id alone says nothing to send: libzmq drops it too */
            return 0;
        }
        zpat_pipe *rec = router_lookup(r, zmsg_data(m), zmsg_size(m));
        r->cur_out = NULL;
        if (!rec) {
            if (s->o.router_mandatory)
                return -EHOSTUNREACH;
        } else if (!zpipe_check_write(rec->end)) {
            if (s->o.router_mandatory)
                return zpipe_peer_gone(rec->end) ? -EHOSTUNREACH : -EAGAIN;
        } else {
            r->cur_out = rec->end;
        }
        r->more_out = true;
        zmsg_close(m);
        return 0;
    }
    zpat_user_frame(m);
    zpipe_end *p = r->cur_out;
    if (p && zpipe_write(p, m) == ZPIPE_OK) {
        if (!more)
            zpipe_flush(p);
    } else {
        if (p) { /* its peer went: what was written of the message goes nowhere */
            zpipe_rollback(p);
            r->cur_out = NULL;
        }
        zmsg_close(m);
    }
    if (!more) {
        r->more_out = false;
        r->cur_out = NULL;
    }
    return 0;
}

static bool router_has_in(zsock *s)
{
    router *r = s->pattern;
    if (r->more_in || r->has_pre_id || r->has_pre_msg)
        return true;
    return router_fetch(s, r) == 0;
}

static bool router_has_out(zsock *s)
{
    router *r = s->pattern;
    if (!s->o.router_mandatory || r->more_out)
        return true; /* a send is always taken (maybe dropped) */
    for (int i = 0; i < r->fq.set.n; i++)
        if (zpipe_check_write(r->fq.set.pipes[i]))
            return true;
    return false;
}

const zpattern_ops zpattern_router = {
    .type = ZAIO_ROUTER,
    .init = router_init,
    .fini = router_fini,
    .attach = router_attach,
    .detach = router_detach,
    .readable = router_readable,
    .writable = router_writable,
    .send = router_send,
    .recv = router_recv,
    .has_in = router_has_in,
    .has_out = router_has_out,
    .setopt = zpat_setopt_common,
};
