/* lb.c - the load balancer: each outgoing message goes whole to the next pipe, round
 * robin, skipping pipes at their HWM. See the design notes in patterns.h. */
#include "sockets/patterns.h"

#include <errno.h>
#include <string.h>

void zlb_init(zlb *lb)
{
    memset(lb, 0, sizeof *lb);
    zpat_set_init(&lb->set, ZPAT_LB);
}

void zlb_fini(zlb *lb) { zpat_set_fini(&lb->set); }

int zlb_attach(zlb *lb, zpipe_end *p) { return zpat_set_add(&lb->set, p); }

static void lb_deactivate(zlb *lb, int i)
{
    zpat_set_deactivate(&lb->set, i);
    if (lb->current >= lb->set.active)
        lb->current = 0;
}

void zlb_detach(zlb *lb, zpipe_end *p)
{
    if (zpat_set_at(&lb->set, p) < 0)
        return;
    zpat_set_remove(&lb->set, p);
    if (lb->current >= lb->set.active)
        lb->current = 0;
    if (lb->cur == p) {
        /* the rest of the message has nowhere to go whole: drop it */
        lb->cur = NULL;
        lb->dropping = true;
    }
}

void zlb_activated(zlb *lb, zpipe_end *p) { zpat_set_activate(&lb->set, p); }

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
            int at = p && !lb->dropping ? zpat_set_at(&lb->set, p) : -1;
            if (at >= 0)
                lb->current = at + 1 < lb->set.active ? at + 1 : 0;
            lb->more = false;
            lb->cur = NULL;
            lb->dropping = false;
        }
        return 0;
    }
    while (lb->set.active > 0) {
        if (lb->current >= lb->set.active)
            lb->current = 0;
        zpipe_end *p = lb->set.pipes[lb->current];
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
            lb->current = lb->current + 1 < lb->set.active ? lb->current + 1 : 0;
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
    for (int i = 0; i < lb->set.active;) {
        if (zpipe_check_write(lb->set.pipes[i]))
            return true;
        lb_deactivate(lb, i); /* it sleeps now: writable will bring it back */
    }
    return false;
}
