/* pub_sub.c - PUB, XPUB, SUB, XSUB (RFC 29 PUBSUB).
 *
 * Subscriptions travel upstream as one-frame messages "\x01topic" (subscribe) and
 * "\x00topic" (cancel), marked ZMSG_SUBSCRIPTION so a TCP session sends them as ZMTP
 * 3.1 SUBSCRIBE/CANCEL commands (or as those very messages to a 3.0 peer). What
 * arrives at a PUB or XPUB in that shape is a subscription whether marked or not,
 * since a ZMTP 3.0 subscriber sends plain messages.
 *
 * PUB/XPUB keep, per topic, the set of pipes subscribed to it; a message goes to the
 * pipes with a topic that is a prefix of its first frame, its later frames to the
 * same set. A subscriber at its HWM misses messages; a publisher never blocks. XPUB
 * also hands the user, as messages: a subscription new to the socket (every one with
 * XPUB_VERBOSE), a cancel that leaves its topic with no subscriber (or that names a
 * topic the pipe did not have, as libzmq 4.3.4 does), the cancels implied when a
 * subscriber goes, and anything else an XSUB sends upstream. PUB drops all of that.
 *
 * SUB/XSUB count their subscriptions (two subscribes need two cancels), send every
 * subscribe upstream and a cancel only when its count reaches zero, send them all
 * again to each new pipe, and filter what arrives by them too (a message already on
 * its way when a cancel left is not delivered). SUB subscribes through the SUBSCRIBE
 * and UNSUBSCRIBE options; XSUB through "\x01topic"/"\x00topic" messages, and sends
 * other messages upstream to every publisher.
 *
 * The XPUB options (zaio.h): XPUB_NODROP makes a send wait while a subscriber it is for
 * is full (a subscriber found full before sleeps outside the distributor's active part,
 * which is why pipes carry a mark for the message being matched); XPUB_MANUAL keeps
 * what subscribers ask in a trie of its own and lets the user's SUBSCRIBE/UNSUBSCRIBE
 * fill the one messages are matched against; XPUB_WELCOME_MSG goes to each pipe as it
 * is attached. INVERT_MATCHING turns the match around at both ends.
 *
 * Deviation: libzmq, by default, examines every frame of a multipart message for the
 * subscription shape; zaio examines the first frame, and the later ones only when the
 * first was a subscription (libzmq's ZMQ_ONLY_FIRST_SUBSCRIBE), so a multipart data
 * message from XSUB whose later frame starts with 0 or 1 stays data.
 */
#include "sockets/patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_sub_shape(const zmsg *m)
{
    return m->size > 0 && (zmsg_data((zmsg *)m)[0] == 0 || zmsg_data((zmsg *)m)[0] == 1);
}

/* ---- PUB and XPUB --------------------------------------------------------------------- */

/* A message for the user, and for XPUB_MANUAL the subscriber whose subscription or
 * cancel it is (NULL once that pipe has gone, or for one made when it went). */
typedef struct xpub_item {
    zmsg m;
    bool sub;
    zpipe_end *from;
} xpub_item;

typedef struct xpub {
    zdist dist;
    ztrie subs;
    /* XPUB: messages for the user (a ring, grown as needed) */
    xpub_item *q;
    int qhead, qlen, qcap;
    /* the XPUB options */
    bool nodrop, manual, send_last_pipe, verbose_unsubs;
    ztrie asked;          /* XPUB_MANUAL: what each subscriber asked for */
    zpipe_end *last_pipe; /* XPUB_MANUAL: whose subscription the user received last */
    zpipe_end *only;      /* XPUB_MANUAL_LAST_VALUE: the one pipe the next message may go to */
    zmsg welcome;
} xpub;

static bool is_xpub(const zsock *s) { return s->o.type == ZAIO_XPUB; }

/* Room for one more message for the user: 0, or -ENOMEM. */
static int xpub_reserve(xpub *x)
{
    if (x->qlen < x->qcap)
        return 0;
    int cap = x->qcap ? x->qcap * 2 : 16;
    xpub_item *q = malloc((size_t)cap * sizeof *q);
    if (!q)
        return -ENOMEM;
    for (int i = 0; i < x->qlen; i++)
        q[i] = x->q[(x->qhead + i) % x->qcap];
    free(x->q);
    x->q = q;
    x->qcap = cap;
    x->qhead = 0;
    return 0;
}

static void xpub_queue(xpub *x, zmsg *m, bool sub, zpipe_end *from)
{
    if (xpub_reserve(x) < 0) {
        zmsg_close(m); /* lost, as a message over the HWM is */
        return;
    }
    x->q[(x->qhead + x->qlen++) % x->qcap] = (xpub_item){*m, sub, from};
    zmsg_init(m);
}

static int xpub_init(zsock *s)
{
    xpub *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    if (ztrie_init(&x->subs) < 0) {
        free(x);
        return -ENOMEM;
    }
    if (ztrie_init(&x->asked) < 0) {
        ztrie_fini(&x->subs);
        free(x);
        return -ENOMEM;
    }
    zdist_init(&x->dist);
    zmsg_init(&x->welcome);
    s->pattern = x;
    return 0;
}

static void xpub_fini(zsock *s)
{
    xpub *x = s->pattern;
    while (x->qlen > 0) {
        zmsg_close(&x->q[x->qhead].m);
        x->qhead = (x->qhead + 1) % x->qcap;
        x->qlen--;
    }
    free(x->q);
    zmsg_close(&x->welcome);
    ztrie_fini(&x->asked);
    ztrie_fini(&x->subs);
    zdist_fini(&x->dist);
    free(x);
    s->pattern = NULL;
}

/* Takes in what p has sent: subscriptions update the trie at once (so the next send
 * sees them); XPUB queues what the user should see. From attach, a pipe found ended
 * is left to the core (which drops it right after attach). */
static void xpub_read_pipe(zsock *s, zpipe_end *p, bool from_attach)
{
    xpub *x = s->pattern;
    bool first = true, sub_msg = false;
    zmsg m;
    zmsg_init(&m);
    for (;;) {
        zpipe_status st = zpipe_read(p, &m);
        if (st == ZPIPE_EMPTY)
            return;
        if (st == ZPIPE_TERMINATED) {
            if (!from_attach)
                zsock_pipe_terminated(s, p);
            return;
        }
        bool is_sub = (first || sub_msg) && is_sub_shape(&m);
        if (first)
            sub_msg = is_sub;
        first = !zmsg_more(&m);
        if (!is_sub) {
            if (is_xpub(s)) {
                zpat_set_meta(&m, p);
                m.flags &= ZMSG_MORE;
                xpub_queue(x, &m, false, NULL);
            } else {
                zmsg_close(&m); /* a PUB takes no data */
            }
            continue;
        }
        /* XPUB_MANUAL: what it asks is noted apart, and the user sees every one */
        const uint8_t *d = zmsg_data(&m);
        bool notify;
        ztrie *t = x->manual ? &x->asked : &x->subs;
        if (d[0] == 1) {
            /* a subscription the trie cannot hold, or that the user should see and
             * cannot, would be lost for good (the subscriber sends it once): the
             * connection goes instead, and the next one brings it again */
            int rc = is_xpub(s) ? xpub_reserve(x) : 0;
            if (rc == 0)
                rc = ztrie_add_pipe(t, d + 1, m.size - 1, p);
            if (rc < 0) {
                zmsg_close(&m);
                zpat_refuse(s, p);
                return;
            }
            notify = x->manual || rc == 1 || (rc == 0 && s->o.xpub_verbose);
        } else {
            ztrie_rm_result rm = ztrie_rm_pipe(t, d + 1, m.size - 1, p);
            notify = x->manual || rm != ZTRIE_VALUES_REMAIN || x->verbose_unsubs;
        }
        if (notify && is_xpub(s)) {
            zpat_set_meta(&m, p);
            m.flags = 0; /* the user sees it whole, as a plain message */
            xpub_queue(x, &m, true, p);
        } else {
            zmsg_close(&m);
        }
    }
}

static void xpub_attach(zsock *s, zpipe_end *p)
{
    xpub *x = s->pattern;
    if (!zpat_pipe_new(s, p))
        return;
    if (zdist_attach(&x->dist, p) < 0) {
        zpat_refuse(s, p);
        return;
    }
    if (zmsg_size(&x->welcome) > 0) { /* XPUB_WELCOME_MSG: before anything else */
        zmsg w;
        zmsg_init(&w);
        zmsg_copy(&w, &x->welcome);
        zdist_send_one(p, &w);
    }
    xpub_read_pipe(s, p, true); /* subscriptions sent before it reached us */
}

static void xpub_lost_topic(const uint8_t *topic, size_t len, void *arg)
{
    zmsg m;
    if (zmsg_init_size(&m, len + 1) < 0)
        return;
    zmsg_data(&m)[0] = 0;
    memcpy(zmsg_data(&m) + 1, topic, len);
    xpub_queue(arg, &m, true, NULL);
}

static void xpub_detach(zsock *s, zpipe_end *p)
{
    xpub *x = s->pattern;
    zdist_detach(&x->dist, p);
    /* its topics are cancelled: XPUB tells the user, as libzmq's does, of those it
     * leaves without a subscriber, of all of them with XPUB_VERBOSER, and of all it
     * asked for with XPUB_MANUAL (whatever the user made of them) */
    ztrie_topic_fn lost = is_xpub(s) ? xpub_lost_topic : NULL;
    if (x->manual)
        ztrie_rm_pipe_every(&x->asked, p, lost, x);
    else
        ztrie_rm_pipe_all(&x->asked, p, NULL, NULL); /* XPUB_MANUAL was on once */
    if (!x->manual && x->verbose_unsubs)
        ztrie_rm_pipe_every(&x->subs, p, lost, x);
    else
        ztrie_rm_pipe_all(&x->subs, p, x->manual ? NULL : lost, x);
    for (int i = 0; i < x->qlen; i++)
        if (x->q[(x->qhead + i) % x->qcap].from == p)
            x->q[(x->qhead + i) % x->qcap].from = NULL;
    if (x->last_pipe == p)
        x->last_pipe = NULL;
    zpat_pipe_free(p);
}

static void xpub_readable(zsock *s, zpipe_end *p)
{
    if (!zpat_take_refused(s, p))
        xpub_read_pipe(s, p, false);
}

static void xpub_writable(zsock *s, zpipe_end *p)
{
    xpub *x = s->pattern;
    if (!zpat_of(p)->refused)
        zdist_activated(&x->dist, p);
}

static void xpub_mark(zpipe_end *p, void *arg)
{
    xpub *x = arg;
    if (x->only && p != x->only)
        return;
    zdist_match(&x->dist, p);
    zpat_of(p)->marked = x->nodrop;
}

/* XPUB_NODROP: whether every pipe the message is for can take it now. One full pipe
 * says no; it wakes the socket (writable) when it has room again. Clears the marks. */
static bool xpub_room(zsock *s, xpub *x)
{
    zpat_set *set = &x->dist.set;
    bool room = true;
    for (int i = 0; i < set->n; i++) {
        zpat_pipe *r = zpat_of(set->pipes[i]);
        bool target = r->marked != (s->o.invert_matching != 0);
        if (i < x->dist.matching)
            room &= zpipe_check_write(set->pipes[i]);
        else if (i >= set->active && target)
            room = false; /* found full by an earlier message: asleep until writable */
        r->marked = false;
    }
    return room;
}

static int xpub_send(zsock *s, zmsg *m)
{
    xpub *x = s->pattern;
    if (!x->dist.more) { /* the first frame decides for the whole message */
        if (x->manual && x->send_last_pipe && x->last_pipe) {
            x->only = x->last_pipe; /* XPUB_MANUAL_LAST_VALUE: to that subscriber, once */
            x->last_pipe = NULL;
        }
        ztrie_match(&x->subs, zmsg_data(m), zmsg_size(m), xpub_mark, x);
        x->only = NULL;
        if (s->o.invert_matching)
            zdist_reverse_match(&x->dist);
        if (x->nodrop && !xpub_room(s, x)) {
            zdist_unmatch(&x->dist);
            return -EAGAIN;
        }
    }
    zpat_user_frame(m);
    zdist_send(&x->dist, m);
    return 0;
}

static int xpub_recv(zsock *s, zmsg *m)
{
    xpub *x = s->pattern;
    if (!is_xpub(s))
        return -ENOTSUP;
    if (x->qlen == 0)
        return -EAGAIN;
    xpub_item *it = &x->q[x->qhead];
    if (x->manual && it->sub)
        x->last_pipe = it->from; /* what the user's SUBSCRIBE will apply to */
    zmsg_move(m, &it->m);
    x->qhead = (x->qhead + 1) % x->qcap;
    x->qlen--;
    return 0;
}

static bool xpub_has_in(zsock *s)
{
    xpub *x = s->pattern;
    return is_xpub(s) && x->qlen > 0;
}

static bool xpub_has_out(zsock *s)
{
    (void)s;
    /* never blocks: a full subscriber misses the message; with XPUB_NODROP a send may
     * say EAGAIN all the same, and POLLOUT stays set, as in libzmq */
    return true;
}

/* The XPUB options, and SUBSCRIBE/UNSUBSCRIBE under XPUB_MANUAL, on PUB and XPUB
 * alike, as libzmq (whose PUB is an XPUB). */
static int xpub_setopt(zsock *s, int opt, const void *val, size_t len)
{
    xpub *x = s->pattern;
    int v;
    switch (opt) {
    case ZAIO_SUBSCRIBE:
    case ZAIO_UNSUBSCRIBE:
        if (!x->manual || (len && !val))
            return -EINVAL;
        if (x->last_pipe && opt == ZAIO_SUBSCRIBE)
            return ztrie_add_pipe(&x->subs, val, len, x->last_pipe) < 0 ? -ENOMEM : 0;
        if (x->last_pipe)
            ztrie_rm_pipe(&x->subs, val, len, x->last_pipe);
        return 0; /* no subscriber received yet: nothing to apply it to, as libzmq */
    case ZAIO_XPUB_WELCOME_MSG:
        if (len && !val)
            return -EINVAL;
        zmsg_close(&x->welcome);
        return len ? zmsg_init_copy(&x->welcome, val, len) : 0;
    case ZAIO_XPUB_VERBOSE:
    case ZAIO_XPUB_VERBOSER:
    case ZAIO_XPUB_NODROP:
    case ZAIO_XPUB_MANUAL:
    case ZAIO_XPUB_MANUAL_LAST_VALUE: break;
    default: return zpat_setopt_common(s, opt, val, len);
    }
    if (!val || len != sizeof v)
        return -EINVAL;
    memcpy(&v, val, sizeof v);
    if (v < 0)
        return -EINVAL;
    switch (opt) {
    case ZAIO_XPUB_VERBOSE: /* the core keeps it; it ends XPUB_VERBOSER's cancels */
        x->verbose_unsubs = false;
        return 1;
    case ZAIO_XPUB_VERBOSER:
        s->o.xpub_verbose = x->verbose_unsubs = v != 0;
        return 0;
    case ZAIO_XPUB_NODROP: x->nodrop = v != 0; return 0;
    case ZAIO_XPUB_MANUAL: x->manual = v != 0; return 0;
    default: /* ZAIO_XPUB_MANUAL_LAST_VALUE */
        x->manual = x->send_last_pipe = v != 0;
        return 0;
    }
}

#define XPUB_OPS(type_)                                                                    \
    {                                                                                      \
        .type = (type_), .init = xpub_init, .fini = xpub_fini, .attach = xpub_attach,      \
        .detach = xpub_detach, .readable = xpub_readable, .writable = xpub_writable,       \
        .send = xpub_send, .recv = xpub_recv, .has_in = xpub_has_in,                       \
        .has_out = xpub_has_out, .setopt = xpub_setopt,                                    \
    }

const zpattern_ops zpattern_pub = XPUB_OPS(ZAIO_PUB);
const zpattern_ops zpattern_xpub = XPUB_OPS(ZAIO_XPUB);

/* ---- SUB and XSUB --------------------------------------------------------------------- */

typedef struct xsub {
    zfq fq;
    zdist dist;
    ztrie subs;
    bool more_in;  /* the user is in the middle of a message that matched */
    bool more_out; /* XSUB: in the middle of a message being sent */
    bool sub_msg;  /* ... which began as a subscription: each frame stands alone */
} xsub;

static bool is_xsub(const zsock *s) { return s->o.type == ZAIO_XSUB; }

/* A subscription (kind 1) or cancel (kind 0) to every pipe, or to only. */
static int xsub_send_sub(xsub *x, uint8_t kind, const void *topic, size_t len, zpipe_end *only)
{
    zmsg m;
    int rc = zmsg_init_size(&m, len + 1);
    if (rc < 0)
        return rc;
    zmsg_data(&m)[0] = kind;
    if (len)
        memcpy(zmsg_data(&m) + 1, topic, len);
    m.flags = ZMSG_SUBSCRIPTION;
    if (only) {
        zdist_send_one(only, &m);
    } else {
        zdist_match_all(&x->dist);
        zdist_send(&x->dist, &m);
    }
    return 0;
}

static int xsub_init(zsock *s)
{
    xsub *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    if (ztrie_init(&x->subs) < 0) {
        free(x);
        return -ENOMEM;
    }
    zfq_init(&x->fq);
    zdist_init(&x->dist);
    s->pattern = x;
    return 0;
}

static void xsub_fini(zsock *s)
{
    xsub *x = s->pattern;
    ztrie_fini(&x->subs);
    zdist_fini(&x->dist);
    zfq_fini(&x->fq);
    free(x);
    s->pattern = NULL;
}

typedef struct resend_arg {
    xsub *x;
    zpipe_end *p;
    int rc;
} resend_arg;

static void xsub_resend_one(const uint8_t *topic, size_t len, void *arg)
{
    resend_arg *a = arg;
    if (a->rc == 0)
        a->rc = xsub_send_sub(a->x, 1, topic, len, a->p);
}

static void xsub_attach(zsock *s, zpipe_end *p)
{
    xsub *x = s->pattern;
    if (!zpat_pipe_new(s, p))
        return;
    if (zfq_attach(&x->fq, p) < 0 || zdist_attach(&x->dist, p) < 0) {
        zfq_detach(&x->fq, p);
        zpat_refuse(s, p);
        return;
    }
    /* a new publisher (or one back after a reconnect) learns every subscription; out of
     * memory half way, it would never hear of the rest: the connection goes instead, and
     * the next one tries again */
    resend_arg a = {x, p, 0};
    if (ztrie_apply(&x->subs, xsub_resend_one, &a) < 0 || a.rc < 0) {
        zfq_detach(&x->fq, p);
        zdist_detach(&x->dist, p);
        zpat_refuse(s, p);
    }
}

static void xsub_detach(zsock *s, zpipe_end *p)
{
    xsub *x = s->pattern;
    zfq_detach(&x->fq, p);
    zdist_detach(&x->dist, p);
    zpat_pipe_free(p);
}

static void xsub_readable(zsock *s, zpipe_end *p)
{
    xsub *x = s->pattern;
    if (!zpat_take_refused(s, p))
        zfq_activated(&x->fq, p);
}

static void xsub_writable(zsock *s, zpipe_end *p)
{
    xsub *x = s->pattern;
    if (!zpat_of(p)->refused)
        zdist_activated(&x->dist, p);
}

static bool xsub_wanted(const zsock *s, const xsub *x, const zmsg *m)
{
    bool match = ztrie_check(&x->subs, zmsg_data((zmsg *)m), zmsg_size(m));
    return match != (s->o.invert_matching != 0); /* INVERT_MATCHING */
}

/* Drops the message whose first frame is in m (closed here). */
static void xsub_drop(zsock *s, xsub *x, zmsg *m)
{
    bool more = zmsg_more(m);
    zmsg_close(m);
    if (more)
        zfq_skip_rest(&x->fq, s);
}

static int xsub_recv(zsock *s, zmsg *m)
{
    xsub *x = s->pattern;
    for (;;) {
        int rc = zfq_recv(&x->fq, s, m, NULL);
        if (rc < 0)
            return rc;
        if (x->more_in || xsub_wanted(s, x, m)) {
            x->more_in = zmsg_more(m);
            return 0;
        }
        xsub_drop(s, x, m);
    }
}

static bool xsub_has_in(zsock *s)
{
    xsub *x = s->pattern;
    if (x->more_in)
        return true;
    while (zfq_has_in(&x->fq, s)) {
        const zmsg *head = zfq_peek(&x->fq);
        if (!head || xsub_wanted(s, x, head))
            return true;
        zfq_drop_next(&x->fq, s);
    }
    return false;
}

static zpipe_end *xsub_spin_pipe(zsock *s)
{
    /* in the middle of a message (more_in) fq is too, and names no pipe */
    return zfq_spin_pipe(&((xsub *)s->pattern)->fq);
}

static int xsub_send(zsock *s, zmsg *m)
{
    xsub *x = s->pattern;
    if (!is_xsub(s))
        return -ENOTSUP;
    bool more = zmsg_more(m);
    bool first = !x->more_out, was_sub_msg = x->sub_msg;
    x->more_out = more;
    if (first)
        x->sub_msg = is_sub_shape(m);
    if (!x->sub_msg) { /* data for every publisher */
        zpat_user_frame(m);
        if (first)
            zdist_match_all(&x->dist);
        zdist_send(&x->dist, m);
        return 0;
    }
    /* A message that began as a subscription: each frame is a message of its own (a
     * SUBSCRIBE command cannot be part of a multipart message). */
    m->flags = 0;
    if (!is_sub_shape(m)) {
        zdist_match_all(&x->dist);
        zdist_send(&x->dist, m);
        return 0;
    }
    const uint8_t *d = zmsg_data(m);
    if (d[0] == 1) {
        /* every subscribe goes upstream, repeated ones too: the publisher counts
         * them once per pipe, and XPUB_VERBOSE shows them all */
        int rc = ztrie_add(&x->subs, d + 1, m->size - 1);
        if (rc < 0) { /* nothing happened: the frame may be sent again */
            x->more_out = !first;
            x->sub_msg = was_sub_msg;
            return rc;
        }
    } else if (ztrie_rm(&x->subs, d + 1, m->size - 1) != ZTRIE_LAST_REMOVED) {
        zmsg_close(m); /* still subscribed here (or never was): nothing to cancel */
        return 0;
    }
    m->flags = ZMSG_SUBSCRIPTION;
    zdist_match_all(&x->dist);
    zdist_send(&x->dist, m);
    return 0;
}

static bool xsub_has_out(zsock *s)
{
    return is_xsub(s); /* subscriptions and data never wait: a full publisher misses them */
}

static int sub_setopt(zsock *s, int opt, const void *val, size_t len)
{
    xsub *x = s->pattern;
    if (opt != ZAIO_SUBSCRIBE && opt != ZAIO_UNSUBSCRIBE)
        return zpat_setopt_common(s, opt, val, len);
    if (is_xsub(s))
        return -EINVAL; /* XSUB subscribes by message, as in libzmq */
    if (len && !val)
        return -EINVAL;
    if (opt == ZAIO_SUBSCRIBE) {
        int rc = ztrie_add(&x->subs, val, len);
        if (rc < 0)
            return rc;
        rc = xsub_send_sub(x, 1, val, len, NULL);
        if (rc < 0)
            ztrie_rm(&x->subs, val, len);
        return rc;
    }
    if (ztrie_rm(&x->subs, val, len) == ZTRIE_LAST_REMOVED)
        (void)xsub_send_sub(x, 0, val, len, NULL); /* if lost, the local filter still holds */
    return 0;
}

#define XSUB_OPS(type_)                                                                    \
    {                                                                                      \
        .type = (type_), .init = xsub_init, .fini = xsub_fini, .attach = xsub_attach,      \
        .detach = xsub_detach, .readable = xsub_readable, .writable = xsub_writable,       \
        .send = xsub_send, .recv = xsub_recv, .has_in = xsub_has_in,                       \
        .has_out = xsub_has_out, .spin_pipe = xsub_spin_pipe, .setopt = sub_setopt,        \
    }

const zpattern_ops zpattern_sub = XSUB_OPS(ZAIO_SUB);
const zpattern_ops zpattern_xsub = XSUB_OPS(ZAIO_XSUB);
