/* dist.c - the distributor (PUB, XPUB, and SUB/XSUB sending subscriptions upstream):
 * one message to a set of pipes, chosen at its first frame and kept until its last.
 * A pipe at its HWM misses the message, as a libzmq subscriber does, and misses the
 * following ones until it has room again (writable). See patterns.h. */
#include "sockets/patterns.h"

#include <string.h>

void zdist_init(zdist *d)
{
    memset(d, 0, sizeof *d);
    zpat_set_init(&d->set, ZPAT_DIST);
}

void zdist_fini(zdist *d) { zpat_set_fini(&d->set); }

/* active but outside the matching set: a message under way is not its to get */
int zdist_attach(zdist *d, zpipe_end *p) { return zpat_set_add(&d->set, p); }

/* Takes pipe i out of the matching set, and of the active part. */
static void dist_deactivate(zdist *d, int i)
{
    if (i < d->matching) {
        zpat_set_swap(&d->set, i, --d->matching);
        i = d->matching;
    }
    if (i < d->set.active)
        zpat_set_deactivate(&d->set, i);
}

void zdist_detach(zdist *d, zpipe_end *p)
{
    int i = zpat_set_at(&d->set, p);
    if (i < 0)
        return;
    dist_deactivate(d, i);
    zpat_set_remove(&d->set, p);
}

void zdist_activated(zdist *d, zpipe_end *p) { zpat_set_activate(&d->set, p); }

void zdist_match(zdist *d, zpipe_end *p)
{
    int i = zpat_set_at(&d->set, p);
    if (i < d->matching || i >= d->set.active)
        return; /* matched already (it has several matching topics), or full */
    zpat_set_swap(&d->set, i, d->matching++);
}

void zdist_match_all(zdist *d) { d->matching = d->set.active; }

void zdist_unmatch(zdist *d) { d->matching = 0; }

void zdist_reverse_match(zdist *d)
{
    int matched = d->matching;
    d->matching = 0;
    for (int i = matched; i < d->set.active; i++)
        zpat_set_swap(&d->set, i, d->matching++);
}

void zdist_send(zdist *d, zmsg *m)
{
    bool more = zmsg_more(m);
    int i = 0;
    while (i < d->matching) {
        zpipe_end *p = d->set.pipes[i];
        bool last = i == d->matching - 1;
        zmsg copy;
        zmsg_init(&copy);
        zmsg *out = m;
        if (!last) {
            zmsg_copy(&copy, m); /* shares a large body, copies an inline one */
            out = &copy;
        }
        if (zpipe_write(p, out) == ZPIPE_OK) {
            i++;
            continue;
        }
        /* Full at the first frame (or its peer gone): p misses this message and sleeps
         * until writable. A pipe never refuses a later frame of a message it took. */
        zmsg_close(&copy);
        dist_deactivate(d, i); /* brings another pipe to i, or ends the loop */
    }
    zmsg_close(m); /* moved out already unless nobody took it */
    if (!more) {
        for (int j = 0; j < d->matching; j++)
            zpipe_flush(d->set.pipes[j]);
        d->matching = 0;
    }
    d->more = more;
}

void zdist_send_one(zpipe_end *p, zmsg *m)
{
    if (zpipe_write(p, m) == ZPIPE_OK)
        zpipe_flush(p);
    else
        zmsg_close(m);
}
