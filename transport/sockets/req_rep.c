/* req_rep.c - REQ and REP (RFC 28 REQREP).
 *
 * REQ sends a request (an empty delimiter frame, then the user's frames) to the next
 * peer round robin, then must receive the reply before it sends again (EFSM either
 * way round). Only a reply from the peer it asked is taken; anything else, and any
 * reply without the delimiter, is dropped. Stale replies still queued when a new
 * request goes out are dropped first, so an old answer never passes for a new one.
 * If the peer asked leaves, a reply from any peer is taken (libzmq 4.3.4 does the same).
 * REQ_CORRELATE puts a request id frame (opaque to the peer, which echoes it with the
 * envelope) before the delimiter, and a reply must bring the newest one back.
 * REQ_RELAXED lets a new request go before the reply to the last has come; that reply
 * is then lost (dropped if it comes, with REQ_CORRELATE; without it, a late reply can
 * still pass for the new one's, as in libzmq).
 *
 * REP takes requests fair-queued. It keeps the envelope (every frame up to and
 * including the empty delimiter) and hands the user the rest; the reply, with that
 * envelope in front, goes back on the pipe the request came from. A request without
 * a delimiter is dropped. A reply whose peer has gone, or is at its HWM, is dropped
 * (a REP never blocks on a reply, as libzmq's does not). Sending before receiving, or
 * receiving twice, is EFSM.
 */
#include "sockets/patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- REQ -------------------------------------------------------------------------- */

typedef struct req {
    zpat_flow f; /* first: the flow functions see it */
    zpipe_end *reply_pipe;  /* the peer asked; NULL: it left (any reply will do) */
    bool receiving_reply;   /* a request went out whole: the reply is awaited */
    bool request_begins;    /* the next frame sent starts a request */
    bool reply_begins;      /* the next frame read should start a reply */
    bool correlated;        /* the request awaiting its reply carries request_id */
    uint32_t request_id;    /* REQ_CORRELATE: the newest request's id */
} req;

static int req_init(zsock *s)
{
    int rc = zpat_flow_init(s, sizeof(req), true, true, 0);
    if (rc == 0) {
        req *r = s->pattern;
        r->request_begins = r->reply_begins = true;
        /* ids differ between sockets and runs, so a peer's old reply never matches */
        r->request_id = zpat_seed(r);
    }
    return rc;
}

static void req_detach(zsock *s, zpipe_end *p)
{
    req *r = s->pattern;
    if (r->reply_pipe == p)
        r->reply_pipe = NULL;
    zpat_flow_detach(s, p);
}

static int req_send(zsock *s, zmsg *m)
{
    req *r = s->pattern;
    if (r->receiving_reply) {
        if (!s->o.req_relaxed)
            return -ZAIO_EFSM;
        r->receiving_reply = false; /* relaxed: the last reply is given up */
    }
    zpat_user_frame(m);
    if (r->request_begins) {
        bool correlate = s->o.req_correlate;
        uint32_t id = r->request_id + 1;
        zmsg first;
        if (correlate) {
            if (zmsg_init_copy(&first, &id, sizeof id) < 0)
                return -ENOMEM;
        } else {
            zmsg_init(&first); /* the delimiter */
        }
        first.flags = ZMSG_MORE;
        zpipe_end *to;
        int rc = zlb_send(&r->f.lb, &first, &to);
        if (rc < 0) {
            zmsg_close(&first);
            return rc; /* no peer has room: nothing was sent, m is untouched */
        }
        if (correlate) {
            zmsg bottom;
            zmsg_init(&bottom);
            bottom.flags = ZMSG_MORE;
            (void)zlb_send(&r->f.lb, &bottom, NULL); /* the same pipe takes the rest */
            r->request_id = id;
        }
        r->correlated = correlate;
        r->reply_pipe = to;
        r->request_begins = false;
        /* replies to earlier requests (from peers that answered late) go now */
        zfq_drop_ready(&r->f.fq, s);
    }
    bool more = zmsg_more(m);
    /* after the delimiter the same pipe takes the rest (or it left: dropped) */
    (void)zlb_send(&r->f.lb, m, NULL);
    if (!more) {
        r->request_begins = true;
        r->receiving_reply = true;
        r->reply_begins = true;
    }
    return 0;
}

static bool req_from_asked(const req *r, const zpipe_end *from)
{
    return !r->reply_pipe || from == r->reply_pipe;
}

/* Whether f can start the reply awaited: the request id, or else the delimiter. */
static bool req_reply_head(const req *r, const zmsg *f)
{
    if (!zmsg_more(f))
        return false;
    if (!r->correlated)
        return zmsg_size(f) == 0;
    return zmsg_size(f) == sizeof r->request_id &&
           memcmp(zmsg_cdata(f), &r->request_id, sizeof r->request_id) == 0;
}

static int req_recv(zsock *s, zmsg *m)
{
    req *r = s->pattern;
    if (!r->receiving_reply)
        return -ZAIO_EFSM;
    while (r->reply_begins) {
        zmsg f;
        zmsg_init(&f);
        zpipe_end *from;
        int rc = zfq_recv(&r->f.fq, s, &f, &from);
        if (rc < 0)
            return rc;
        bool ok = req_from_asked(r, from) && req_reply_head(r, &f);
        if (ok && r->correlated) {
            /* the delimiter follows in the same message (messages arrive whole) */
            zmsg_close(&f);
            zmsg_init(&f);
            ok = zfq_recv(&r->f.fq, s, &f, NULL) == 0 && zmsg_more(&f) && zmsg_size(&f) == 0;
        }
        bool more = zmsg_more(&f);
        zmsg_close(&f);
        if (ok) {
            r->reply_begins = false;
        } else if (more) {
            zfq_skip_rest(&r->f.fq, s); /* not ours, or not a reply: all of it goes */
        }
    }
    int rc = zfq_recv(&r->f.fq, s, m, NULL);
    if (rc < 0)
        return rc;
    if (!zmsg_more(m)) {
        r->receiving_reply = false;
        r->reply_begins = true;
    }
    return 0;
}

static bool req_has_in(zsock *s)
{
    req *r = s->pattern;
    if (!r->receiving_reply)
        return false;
    if (!r->reply_begins)
        return true;
    /* look at what is queued, dropping what recv would drop, so a poller is told
     * "readable" only for the reply */
    while (zfq_has_in(&r->f.fq, s)) {
        const zmsg *head = zfq_peek(&r->f.fq);
        if (!head || (req_from_asked(r, r->f.fq.pre_from) && req_reply_head(r, head)))
            return true;
        zfq_drop_next(&r->f.fq, s);
    }
    return false;
}

static zpipe_end *req_spin_pipe(zsock *s)
{
    req *r = s->pattern;
    return r->receiving_reply ? zfq_spin_pipe(&r->f.fq) : NULL;
}

static bool req_has_out(zsock *s)
{
    req *r = s->pattern;
    /* relaxed: a new request may go while the reply is awaited, as in libzmq */
    return (!r->receiving_reply || s->o.req_relaxed) && zpat_flow_has_out(s);
}

const zpattern_ops zpattern_req = {
    .type = ZAIO_REQ,
    .init = req_init,
    .fini = zpat_flow_fini,
    .attach = zpat_flow_attach,
    .detach = req_detach,
    .readable = zpat_flow_readable,
    .writable = zpat_flow_writable,
    .send = req_send,
    .recv = req_recv,
    .has_in = req_has_in,
    .spin_pipe = req_spin_pipe,
    .has_out = req_has_out,
    .setopt = zpat_setopt_common,
};

/* ---- REP -------------------------------------------------------------------------- */

typedef struct rep {
    zfq fq;
    zmsg *env; /* the envelope of the request being answered, delimiter included */
    int nenv, capenv;
    zpipe_end *reply_pipe; /* NULL: it left, the reply is dropped */
    bool request_begins;   /* reading: still in the envelope */
    bool sending_reply;    /* the request was handed over whole: a reply is due */
    bool reply_started;    /* the envelope went out (or the reply is being dropped) */
    bool dropping;
} rep;

static void rep_env_clear(rep *r)
{
    for (int i = 0; i < r->nenv; i++)
        zmsg_close(&r->env[i]);
    r->nenv = 0;
}

static int rep_init(zsock *s)
{
    rep *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    zfq_init(&r->fq);
    r->request_begins = true;
    s->pattern = r;
    return 0;
}

static void rep_fini(zsock *s)
{
    rep *r = s->pattern;
    rep_env_clear(r);
    free(r->env);
    zfq_fini(&r->fq);
    free(r);
    s->pattern = NULL;
}

static void rep_attach(zsock *s, zpipe_end *p)
{
    rep *r = s->pattern;
    if (!zpat_pipe_new(s, p))
        return;
    if (zfq_attach(&r->fq, p) < 0)
        zpat_refuse(s, p);
    else
        zpat_probe(s, p); /* PROBE_ROUTER: libzmq's REP, a ROUTER underneath, takes it */
}

static void rep_detach(zsock *s, zpipe_end *p)
{
    rep *r = s->pattern;
    if (r->reply_pipe == p)
        r->reply_pipe = NULL;
    zfq_detach(&r->fq, p);
    zpat_pipe_free(p);
}

static void rep_readable(zsock *s, zpipe_end *p)
{
    rep *r = s->pattern;
    if (!zpat_take_refused(s, p))
        zfq_activated(&r->fq, p);
}

static void rep_writable(zsock *s, zpipe_end *p)
{
    (void)s; /* replies never wait for room */
    (void)p;
}

static int rep_recv(zsock *s, zmsg *m)
{
    rep *r = s->pattern;
    if (r->sending_reply)
        return -ZAIO_EFSM;
    while (r->request_begins) {
        zmsg f;
        zmsg_init(&f);
        zpipe_end *from;
        int rc = zfq_recv(&r->fq, s, &f, &from);
        if (rc < 0)
            return rc; /* what was gathered of the envelope stays for the next call */
        if (!zmsg_more(&f)) {
            /* the message ended before a delimiter: not a request */
            zmsg_close(&f);
            rep_env_clear(r);
            continue;
        }
        if (zpat_grow(&r->env, &r->capenv, r->nenv + 1, sizeof *r->env) < 0) {
            zmsg_close(&f);
            zfq_skip_rest(&r->fq, s);
            rep_env_clear(r);
            continue;
        }
        bool bottom = zmsg_size(&f) == 0;
        zmsg_init(&r->env[r->nenv]);
        zmsg_move(&r->env[r->nenv++], &f);
        if (bottom) {
            r->reply_pipe = from;
            r->request_begins = false;
        }
    }
    int rc = zfq_recv(&r->fq, s, m, NULL);
    if (rc < 0)
        return rc;
    if (!zmsg_more(m)) {
        r->sending_reply = true;
        r->request_begins = true;
    }
    return 0;
}

static int rep_send(zsock *s, zmsg *m)
{
    rep *r = s->pattern;
    if (!r->sending_reply)
        return -ZAIO_EFSM;
    zpat_user_frame(m);
    bool more = zmsg_more(m);
    zpipe_end *p = r->reply_pipe;
    if (!r->reply_started) {
        r->reply_started = true;
        r->dropping = !p || !zpipe_check_write(p);
        for (int i = 0; i < r->nenv && !r->dropping; i++) {
            if (zpipe_write(p, &r->env[i]) != ZPIPE_OK) {
                zpipe_rollback(p);
                r->dropping = true;
            }
        }
        rep_env_clear(r);
    }
    if (!r->dropping && zpipe_write(p, m) != ZPIPE_OK) {
        zpipe_rollback(p); /* its peer went meanwhile */
        r->dropping = true;
    }
    if (r->dropping)
        zmsg_close(m);
    if (!more) {
        if (!r->dropping)
            zpipe_flush(p);
        r->sending_reply = r->reply_started = r->dropping = false;
        r->reply_pipe = NULL;
    }
    return 0;
}

static bool rep_has_in(zsock *s)
{
    rep *r = s->pattern;
    return !r->sending_reply && zfq_has_in(&r->fq, s);
}

static zpipe_end *rep_spin_pipe(zsock *s)
{
    rep *r = s->pattern;
    return r->sending_reply ? NULL : zfq_spin_pipe(&r->fq);
}

static bool rep_has_out(zsock *s)
{
    rep *r = s->pattern;
    return r->sending_reply;
}

const zpattern_ops zpattern_rep = {
    .type = ZAIO_REP,
    .init = rep_init,
    .fini = rep_fini,
    .attach = rep_attach,
    .detach = rep_detach,
    .readable = rep_readable,
    .writable = rep_writable,
    .send = rep_send,
    .recv = rep_recv,
    .has_in = rep_has_in,
    .spin_pipe = rep_spin_pipe,
    .has_out = rep_has_out,
    .setopt = zpat_setopt_common,
};
