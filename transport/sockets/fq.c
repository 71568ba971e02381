/* fq.c - the fair queue: incoming messages taken round robin from the pipes that
 * have some, one whole message at a time. See the design notes in patterns.h. */
#include "sockets/patterns.h"

#include <errno.h>
#include <string.h>

void zfq_init(zfq *fq)
{
    memset(fq, 0, sizeof *fq);
    zpat_set_init(&fq->set, ZPAT_FQ);
    zmsg_init(&fq->pre);
}

void zfq_fini(zfq *fq)
{
    zmsg_close(&fq->pre);
    zpat_set_fini(&fq->set);
}

zpipe_end *zfq_spin_pipe(const zfq *fq)
{
    if (fq->set.n != 1 || fq->set.active != 1 || fq->has_pre || fq->more)
        return NULL;
    return fq->set.pipes[0];
}

/* active from the start: it may hold messages already (inproc before bind) */
int zfq_attach(zfq *fq, zpipe_end *p) { return zpat_set_add(&fq->set, p); }

static void fq_deactivate(zfq *fq, int i)
{
    zpat_set_deactivate(&fq->set, i);
    if (fq->current >= fq->set.active)
        fq->current = 0;
}

void zfq_detach(zfq *fq, zpipe_end *p)
{
    if (zpat_set_at(&fq->set, p) < 0)
        return;
    zpat_set_remove(&fq->set, p);
    if (fq->current >= fq->set.active)
        fq->current = 0;
    if (fq->cur == p) {
        /* only an unbind/disconnect can take a pipe in the middle of a message (a peer
         * that leaves flushed whole messages, which are read first): its rest is lost */
        fq->cur = NULL;
        fq->more = false;
    }
    if (fq->pre_from == p) {
        fq->pre_from = NULL;
        /* a whole message read ahead is still delivered; the head of a cut one is not */
        if (fq->has_pre && zmsg_more(&fq->pre)) {
            zmsg_close(&fq->pre);
            fq->has_pre = false;
        }
    }
}

void zfq_activated(zfq *fq, zpipe_end *p) { zpat_set_activate(&fq->set, p); }

/* A frame from p was taken: follow the message, or move on to the next pipe. */
static void fq_took(zfq *fq, zpipe_end *p, zmsg *m)
{
    zpat_set_meta(m, p);
    fq->more = zmsg_more(m);
    if (fq->more) {
        fq->cur = p;
    } else {
        fq->cur = NULL;
        int at = zpat_set_at(&fq->set, p);
        fq->current = at + 1 < fq->set.active ? at + 1 : 0;
    }
}

int zfq_recv(zfq *fq, zsock *s, zmsg *m, zpipe_end **from)
{
    zpipe_end *dummy;
    if (!from)
        from = &dummy;
    if (fq->has_pre && !zmsg_more(&fq->pre) && fq->pre_from &&
        zpipe_conflates(fq->pre_from) && zpipe_can_read(fq->pre_from) &&
        zpipe_read(fq->pre_from, m) == ZPIPE_OK) {
        /* CONFLATE: a newer message came since has_in read this one ahead */
        zmsg_close(&fq->pre);
        fq->has_pre = false;
        *from = fq->pre_from;
        fq->pre_from = NULL;
        fq_took(fq, *from, m);
        return 0;
    }
    if (fq->has_pre) {
        /* fq_took ran when it was read ahead */
        zmsg_move(m, &fq->pre);
        fq->has_pre = false;
        *from = fq->pre_from;
        fq->pre_from = NULL;
        return 0;
    }
    if (fq->more) {
        zpipe_end *p = fq->cur;
        zpipe_status st = zpipe_read(p, m);
        if (st == ZPIPE_OK) {
            fq_took(fq, p, m);
            *from = p;
            return 0;
        }
        /* cannot happen while messages are atomic; recover at a message boundary */
        fq->more = false;
        fq->cur = NULL;
        if (st == ZPIPE_TERMINATED)
            zsock_pipe_terminated(s, p);
    }
    while (fq->set.active > 0) {
        if (fq->current >= fq->set.active)
            fq->current = 0;
        zpipe_end *p = fq->set.pipes[fq->current];
        switch (zpipe_read(p, m)) {
        case ZPIPE_OK:
            fq_took(fq, p, m);
            *from = p;
            return 0;
        case ZPIPE_TERMINATED:
            zsock_pipe_terminated(s, p); /* detach takes it out of the array */
            break;
        default:
            fq_deactivate(fq, fq->current); /* asleep: readable will bring it back */
            break;
        }
    }
    return -EAGAIN;
}

void zfq_drop_ready(zfq *fq, zsock *s)
{
    zmsg m;
    zmsg_init(&m);
    for (;;) {
        if (!fq->has_pre && !fq->more) {
            /* at a message boundary: only from a pipe that has one (messages are whole) */
            int i = 0;
            while (i < fq->set.active && !zpipe_can_read(fq->set.pipes[i]))
                i++;
            if (i == fq->set.active)
                return;
            fq->current = i;
        }
        if (zfq_recv(fq, s, &m, NULL) < 0)
            return;
        zmsg_close(&m);
    }
}

bool zfq_has_in(zfq *fq, zsock *s)
{
    if (fq->has_pre || fq->more)
        return true;
    /* Reading is the only way to learn a pipe is empty and have it wake us later. */
    if (zfq_recv(fq, s, &fq->pre, &fq->pre_from) < 0)
        return false;
    fq->has_pre = true;
    return true;
}

void zfq_skip_rest(zfq *fq, zsock *s)
{
    zmsg m;
    zmsg_init(&m);
    while (fq->more && zfq_recv(fq, s, &m, NULL) == 0)
        zmsg_close(&m);
}

void zfq_drop_next(zfq *fq, zsock *s)
{
    zmsg m;
    zmsg_init(&m);
    if (fq->has_pre) {
        /* the message the caller looked at, not a newer one CONFLATE would swap in */
        zmsg_move(&m, &fq->pre);
        fq->has_pre = false;
        fq->pre_from = NULL;
    } else if (zfq_recv(fq, s, &m, NULL) != 0) {
        return;
    }
    zmsg_close(&m);
    zfq_skip_rest(fq, s);
}
