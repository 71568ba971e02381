/* mailbox.h - commands for a thread that owns objects: a socket's application thread,
 * or an I/O thread. Any thread posts; the owner takes them all at once and runs them.
 *
 * A command is a node the poster owns the memory of: nodes embedded in long-lived
 * objects (a pipe end's "became readable") are posted at most once at a time (the
 * `queued` flag), so notifications never allocate; one-off commands are heap nodes
 * with a free function.
 *
 * The mailbox is refcounted: a socket's I/O-side helpers hold references, so a post
 * after the socket closed finds a live mailbox marked dead and drops the command
 * (calling its `drop` function, e.g. to detach a pipe end nobody will take).
 */
#ifndef ZAIO_TRANSPORT_MAILBOX_H
#define ZAIO_TRANSPORT_MAILBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct zcmd zcmd;
typedef void (*zcmd_fn)(zcmd *c);

struct zcmd {
    zcmd *next;
    zcmd_fn run;  /* on the owner's thread */
    zcmd_fn drop; /* instead of run, when the mailbox is dead (may be NULL) */
    bool queued;  /* guarded by the mailbox lock */
    void *target; /* what the command is about */
    void *arg;
    int value;
};

typedef struct zmailbox zmailbox;
/* wake(arg) is called (with the mailbox lock held) when the first command lands in an
 * empty mailbox: a signaler write, or an aio_port_wake. */
zmailbox *zmailbox_new(void (*wake)(void *arg), void *wake_arg);
/* The object whose thread runs the commands (a zsock, a zio): for commands that need
 * it and only know the mailbox. */
void zmailbox_set_owner(zmailbox *mb, void *owner);
void *zmailbox_owner(zmailbox *mb);
void zmailbox_ref(zmailbox *mb);
void zmailbox_unref(zmailbox *mb);
/* Posts c unless it is queued already. False when the mailbox is dead (c->drop ran). */
bool zmailbox_post(zmailbox *mb, zcmd *c);
/* Owner: runs every queued command (and those they post meanwhile, up to a bound).
 * Returns how many ran. */
int zmailbox_process(zmailbox *mb);
/* Takes c off the mailbox if it is queued (neither run nor dropped). An object that
 * embeds commands calls it for each before it frees itself. */
void zmailbox_cancel(zmailbox *mb, zcmd *c);
/* Owner: no command will run from now on; queued ones are dropped. */
void zmailbox_kill(zmailbox *mb);
/* Owner: whether commands are waiting (a cheap atomic read). */
bool zmailbox_pending(zmailbox *mb);

/* A wake-up a thread can block on and a poller can watch: an eventfd on Linux, a
 * loopback socket pair on Windows. */
typedef struct zsignaler zsignaler;
int zsignaler_new(zsignaler **out);
void zsignaler_free(zsignaler *s);
void zsignaler_send(zsignaler *s);           /* any thread */
/* Waits until signalled or timeout_ms (-1 forever); 0 signalled, -EAGAIN timed out,
 * -EINTR when a signal came first (POSIX). */
int zsignaler_wait(zsignaler *s, int timeout_ms);
void zsignaler_clear(zsignaler *s);           /* reads what is pending */
intptr_t zsignaler_fd(zsignaler *s);          /* for ZAIO_FD and zaio_poll */

#endif
