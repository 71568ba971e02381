/* dist.c - the distributor (PUB, XPUB, and SUB/XSUB sending subscriptions upstream):
 * one message to a set of pipes, chosen at its first frame and kept until its last.
 * A pipe at its HWM misses the message, as a libzmq subscriber does, and misses the
 * following ones until it has room again (writable). See patterns.h. */
#include "patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void zdist_init(zdist *d) { memset(d, 0, sizeof *d); }

void zdist_fini(zdist *d)
{
    free(d->pipes);
    memset(d, 0, sizeof *d);
}

static void dist_swap(zdist *d, int i, int j)
{
    if (i == j)
        return;
    zpipe_end *a = d->pipes[i], *b = d->pipes[j];
    d->pipes[i] = b;
    d->pipes[j] = a;
    zpat_of(a)->dist_at = j;
    zpat_of(b)->dist_at = i;
}

int zdist_attach(zdist *d, zpipe_end *p)
{
    if (zpat_grow(&d->pipes, &d->cap, d->n + 1, sizeof *d->pipes) < 0)
        return -ENOMEM;
    d->pipes[d->n] = p;
    zpat_of(p)->dist_at = d->n++;
    /* active but outside the matching set: a message under way is not its to get */
    dist_swap(d, d->n - 1, d->active++);
    return 0;
}

/* Moves pipe i out of the matching set and the active part. Returns its new index. */
static int dist_deactivate(zdist *d, int i)
{
    if (i < d->matching) {
        dist_swap(d, i, --d->matching);
        i = d->matching;
    }
    if (i < d->active) {
        dist_swap(d, i, --d->active);
        i = d->active;
    }
    return i;
}

void zdist_detach(zdist *d, zpipe_end *p)
{
    zpat_pipe *r = zpat_of(p);
    if (r->dist_at < 0)
        return;
    int i = dist_deactivate(d, r->dist_at);
    dist_swap(d, i, --d->n);
    r->dist_at = -1;
}

void zdist_activated(zdist *d, zpipe_end *p)
{
    zpat_pipe *r = zpat_of(p);
    if (r->dist_at >= d->active)
        dist_swap(d, r->dist_at, d->active++);
}

void zdist_match(zdist *d, zpipe_end *p)
{
    int i = zpat_of(p)->dist_at;
    if (i < d->matching || i >= d->active)
        return; /* matched already (it has several matching topics), or full */
    dist_swap(d, i, d->matching++);
}

void zdist_match_all(zdist *d) { d->matching = d->active; }

void zdist_send(zdist *d, zmsg *m)
{
    bool more = zmsg_more(m);
    int i = 0;
    while (i < d->matching) {
        zpipe_end *p = d->pipes[i];
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
            zpipe_flush(d->pipes[j]);
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
