/* pipe.h - a pipe joins a socket to one peer: a TCP session in an I/O thread, or
 * another socket (inproc). It is two lock-free single-producer single-consumer queues of
 * messages, one each way, and two ends; each end is used by one thread at a time.
 *
 * Design notes
 * ------------
 * - Frames written become visible to the reader only at zpipe_flush(), and the writer
 *   flushes at message boundaries, so a reader never sees part of a multipart message.
 * - HWM counts whole messages and is checked when a message starts: once its first
 *   frame is in, the rest always fit (multipart messages are atomic).
 * - Waking: a reader that finds its queue empty is "asleep"; the writer's next flush
 *   wakes it by calling the reader end's notify function (ZPIPE_READABLE). A writer
 *   refused by the HWM is asleep the same way, woken by the reader (ZPIPE_WRITABLE)
 *   when the queue has drained to half the HWM, or sooner when the reader has read
 *   zpipe_wake_bytes() since the writer slept (large bodies: pipe.c says why).
 *   Notifications are rare on a busy pipe: only a sleeper costs one.
 * - Ending: either end detaches once (zpipe_detach). The other end is told
 *   (ZPIPE_PEER_GONE) and may still read what was queued before; after that its reads
 *   return ZPIPE_TERMINATED and writes are dropped. The memory goes when both ends
 *   have detached. A notify function is never called after its end detached (a per-pipe
 *   mutex orders the two), so the owner may free itself right after zpipe_detach.
 * - Conflating (ZAIO_CONFLATE): a direction created with ZPIPE_CONFLATE keeps only the
 *   newest message, its last frame only; writes never block and need no flush.
 */
#ifndef ZAIO_TRANSPORT_PIPE_H
#define ZAIO_TRANSPORT_PIPE_H

#include "core/mailbox.h"
#include "core/msg.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct zpipe zpipe;
typedef struct zpipe_end zpipe_end;

typedef enum zpipe_event {
    ZPIPE_READABLE = 1, /* messages arrived while the reader slept */
    ZPIPE_WRITABLE,     /* room again after the HWM refused a write */
    ZPIPE_PEER_GONE     /* the other end detached */
} zpipe_event;

/* Called on the thread of the *other* end (or the thread that detached it), with the
 * pipe's lock held: it must only queue a command or signal a wake-up, never call back
 * into the pipe, with one exception: on ZPIPE_READABLE of a queue that does not
 * conflate, it may read e (zpipe_read, zpipe_can_read) as its reader, when the reader's
 * own thread is kept away meanwhile (a TCP session sending on the writer's thread). */
typedef void (*zpipe_notify_fn)(void *owner, zpipe_end *e, zpipe_event ev);

typedef enum zpipe_status {
    ZPIPE_OK = 0,
    ZPIPE_EMPTY,      /* read: nothing now; the reader sleeps until ZPIPE_READABLE */
    ZPIPE_FULL,       /* write: HWM reached; the writer sleeps until ZPIPE_WRITABLE */
    ZPIPE_TERMINATED  /* the peer is gone and (read) everything it sent has been read */
} zpipe_status;

/* An hwm for zpipe_new: that direction keeps only the newest message. */
#define ZPIPE_CONFLATE (-1)

/* Creates a pipe; *a and *b are its two ends. The HWM of a direction is the writer's
 * share plus the reader's, as libzmq adds a socket's SNDHWM and its inproc peer's
 * RCVHWM; a share of 0 makes it unlimited. a has its shares at once: a_sndhwm of the
 * messages a writes, a_rcvhwm of those it reads (ZPIPE_CONFLATE: that direction keeps
 * the newest only). b has none until zpipe_set_hwm: a TCP session, which never sets
 * any, leaves its socket's alone. Returns 0 or -ENOMEM. */
int zpipe_new(zpipe_end **a, zpipe_end **b, int a_sndhwm, int a_rcvhwm);
/* Sets e's shares (a SNDHWM or RCVHWM changed, or an inproc binder arrived). Any
 * thread of e's owner; a writer waiting for room looks again. Conflating directions
 * keep conflating. */
void zpipe_set_hwm(zpipe_end *e, int sndhwm, int rcvhwm);
/* The bytes a reader reads from a writer the HWM stopped before it wakes the writer,
 * if the queue has not drained to half before. For tests. */
size_t zpipe_wake_bytes(void);

/* Sets who is told about this end's events. Call before the other end can act, or
 * from this end's thread while attached. */
void zpipe_set_notify(zpipe_end *e, zpipe_notify_fn fn, void *owner);

/* Write one frame (m is moved in: empty after ZPIPE_OK; untouched otherwise). The HWM
 * is checked when m starts a message. ZPIPE_TERMINATED: the peer is gone (m untouched,
 * the caller closes it). */
zpipe_status zpipe_write(zpipe_end *e, zmsg *m);
/* Whether a new message would be accepted now (does not put the writer to sleep). */
bool zpipe_can_write(zpipe_end *e);
/* Like zpipe_can_write, but a refusal puts the writer to sleep as a refused write
 * does: ZPIPE_WRITABLE follows once there is room (for has_out / ZAIO_EVENTS). */
bool zpipe_check_write(zpipe_end *e);
/* Makes what was written visible to the reader and wakes it if it sleeps. */
void zpipe_flush(zpipe_end *e);
/* Takes back the frames written since the last flush (a partial multipart message
 * whose sender gave up): they are closed. */
void zpipe_rollback(zpipe_end *e);

/* Marks e's pipe as one between two application threads (inproc), for which a reader
 * about to block may spin (zpipe_spin_read). Before either end is in use. */
void zpipe_set_app_ends(zpipe_end *e);
/* Whether e's pipe joins two application threads and does not conflate what e reads. */
bool zpipe_spins(const zpipe_end *e);
/* Reader: waits up to about ns nanoseconds for a frame, without saying it sleeps, so
 * the flush that brings it wakes nobody. Whether a read may find something now (a
 * frame, or the pipe's end: the peer went). */
bool zpipe_spin_read(zpipe_end *e, int64_t ns);

/* Read one frame into m (m must be empty/closed). */
zpipe_status zpipe_read(zpipe_end *e, zmsg *m);
/* Whether a read would find a frame now (does not put the reader to sleep). */
bool zpipe_can_read(zpipe_end *e);
/* Whether what e reads is conflated (ZPIPE_CONFLATE). */
bool zpipe_conflates(const zpipe_end *e);

/* The other end detached. */
bool zpipe_peer_gone(const zpipe_end *e);
/* This end lets go. Its owner first stops notifications (zpipe_set_notify(e, NULL,
 * NULL)), takes the end's queued notify_cmd[] off its mailbox (zmailbox_cancel), then
 * detaches: the end's memory may be gone when this returns. Unread messages stay readable by nobody and are freed with the
 * pipe; messages this end wrote and flushed stay readable by the peer. */
void zpipe_detach(zpipe_end *e);

/* Per-end data for the owner (patterns keep their bookkeeping here). */
typedef struct zpipe_user {
    void *owner_data;      /* e.g. the TCP session, or the pattern's per-pipe record */
    uint8_t routing_id[256];
    uint8_t routing_id_len;
    bool in_active;        /* pattern bookkeeping: in the fair-queue set */
    bool out_active;       /* pattern bookkeeping: in the load-balance set */
    zmeta *meta;           /* the peer's metadata, or NULL; one reference (freed with the pipe) */
    /* mailbox commands the end's owner posts from its notify function, one per event,
     * so a notification never allocates (index: zpipe_event - 1) */
    zcmd notify_cmd[3];
} zpipe_user;
zpipe_user *zpipe_user_of(zpipe_end *e);

#endif
