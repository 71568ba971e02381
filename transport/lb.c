/* lb.c - the load balancer: each outgoing message goes whole to the next pipe, round
 * robin, skipping pipes at their HWM. See the design notes in patterns.h. */
#include "patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void zlb_init(zlb *lb) { memset(lb, 0, sizeof *lb); }

void zlb_fini(zlb *lb)
{
    free(lb->pipes);
    memset(lb, 0, sizeof *lb);
}

static void lb_swap(zlb *lb, int i, int j)
{
    if (i == j)
        return;
    zpipe_end *a = lb->pipes[i], *b = lb->pipes[j];
    lb->pipes[i] = b;
    lb->pipes[j] = a;
    zpat_of(a)->lb_at = j;
    zpat_of(b)->lb_at = i;
}

int zlb_attach(zlb *lb, zpipe_end *p)
{
    if (zpat_grow(&lb->pipes, &lb->cap, lb->n + 1, sizeof *lb->pipes) < 0)
        return -ENOMEM;
    lb->pipes[lb->n] = p;
    zpat_of(p)->lb_at = lb->n++;
    lb_swap(lb, lb->n - 1, lb->active++);
    return 0;
}

static void lb_deactivate(zlb *lb, int i)
{
    lb_swap(lb, i, --lb->active);
    if (lb->current >= lb->active)
        lb->current = 0;
}

void zlb_detach(zlb *lb, zpipe_end *p)
{
    zpat_pipe *r = zpat_of(p);
    if (r->lb_at < 0)
        return;
    if (r->lb_at < lb->active)
        lb_deactivate(lb, r->lb_at);
    lb_swap(lb, r->lb_at, --lb->n);
    r->lb_at = -1;
    if (lb->cur == p) {
        /* the rest of the message has nowhere to go whole: drop it */
        lb->cur = NULL;
        lb->dropping = true;
    }
}

void zlb_activated(zlb *lb, zpipe_end *p)
{
    zpat_pipe *r = zpat_of(p);
    if (r->lb_at >= lb->active)
        lb_swap(lb, r->lb_at, lb->active++);
}

int zlb_send(zlb *lb, zmsg *m, zpipe_end **to)
{
    bool more = zmsg_more(m);
    if (to)
        *to = NULL;
    if (lb->more) {
        /* past the first frame the pipe takes everything (multipart is atomic) unless
         * its peer has gone, and then the message is lost to it */
        zpipe_end *p = lb->cur;
        if (p && !lb->dropping && zpipe_write(p, m) == ZPIPE_OK) {
            if (!more)
                zpipe_flush(p);
            if (to)
                *to = p;
        } else {
            if (p)
                zpipe_rollback(p);
            lb->dropping = true;
            zmsg_close(m);
        }
        if (!more) {
            if (p && !lb->dropping && zpat_of(p)->lb_at >= 0) {
                int at = zpat_of(p)->lb_at;
                lb->current = at + 1 < lb->active ? at + 1 : 0;
            }
            lb->more = false;
            lb->cur = NULL;
            lb->dropping = false;
        }
        return 0;
    }
    while (lb->active > 0) {
        if (lb->current >= lb->active)
            lb->current = 0;
        zpipe_end *p = lb->pipes[lb->current];
        if (zpipe_write(p, m) != ZPIPE_OK) {
            /* full (asleep until writable) or its peer gone (detach follows): skip it */
            lb_deactivate(lb, lb->current);
            continue;
        }
        if (more) {
            lb->more = true;
            lb->cur = p;
        } else {
            zpipe_flush(p);
            lb->current = lb->current + 1 < lb->active ? lb->current + 1 : 0;
        }
        if (to)
            *to = p;
        return 0;
    }
    return -EAGAIN;
}

bool zlb_has_out(zlb *lb)
{
    if (lb->more)
        return true;
    for (int i = 0; i < lb->active;) {
        if (zpat_check_write(lb->pipes[i]))
            return true;
        lb_deactivate(lb, i); /* it sleeps now: writable will bring it back */
    }
    return false;
}
