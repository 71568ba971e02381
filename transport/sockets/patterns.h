/* patterns.h - what the socket types (pattern_*.c) share: a record per attached pipe,
 * the fair queue (fq.c), the load balancer (lb.c), the distributor (dist.c) and the
 * subscription trie (trie.c), and each type's zpattern_ops.
 *
 * Design notes
 * ------------
 * - A pipe's record (zpat_pipe, in its zpipe_user.owner_data) holds its position in
 *   every helper it belongs to, so joining, leaving, sleeping and waking are O(1) and
 *   the steady path allocates nothing: arrays grow geometrically when pipes attach.
 * - A helper keeps its active pipes at the front of its array. A pipe leaves the
 *   active part only when the pipe itself said EMPTY or FULL: from then on it is
 *   asleep and the core will call readable/writable for it, so nothing is forgotten.
 *   zpipe_can_read/can_write do not put a pipe to sleep, which is why has_in
 *   prefetches a frame (zfq_has_in) and has_out asks zpipe_check_write, which does:
 *   a poller that is told "nothing" must be woken later.
 * - Multipart messages are atomic in a pipe, so a reader in the middle of a message
 *   always finds its next frame, and a writer past a message's first frame is never
 *   refused by the HWM. The helpers stay on one pipe for the whole message.
 * - A helper that reads ZPIPE_TERMINATED calls zsock_pipe_terminated, which calls the
 *   pattern's detach, which removes the pipe from every helper: callers hold no pipe
 *   pointer across a read. attach must never do that (zsock_attach still uses the end
 *   after ops->attach returns); a pipe a type cannot take is refused instead
 *   (zpat_refuse), which drops it on the socket's next command run.
 */
#ifndef ZAIO_TRANSPORT_PATTERNS_H
#define ZAIO_TRANSPORT_PATTERNS_H

#include "core/socket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the per-pipe record ---------------------------------------------------------- */
/* A pipe's place in each helper that may hold it (a DEALER's pipe is in two). */
enum { ZPAT_FQ, ZPAT_LB, ZPAT_DIST, ZPAT_NSETS };

typedef struct zpat_pipe {
    zpipe_end *end;
    int at[ZPAT_NSETS];        /* position in each helper's set, -1 when not in it */
    bool refused;              /* to be dropped: the type could not take it */
    bool ignored;              /* ROUTER: a duplicate routing id; never read nor routed to */
    bool handed_over;          /* ROUTER: its id went to a newer peer (ROUTER_HANDOVER) */
    bool marked;               /* XPUB_NODROP: the message being sent matched it (scratch) */
    bool closed;               /* STREAM: the user closed it; never read nor routed to again */
    /* ROUTER, STREAM: the routing id (the peer's, or one we generated) and the id table chain */
    const uint8_t *id;
    uint8_t id_len;
    uint8_t gen_id[5];
    uint32_t id_hash;
    struct zpat_pipe *id_next;
} zpat_pipe;

/* Creates p's record (or marks it refused when memory is short: the caller then
 * leaves it alone). Returns the record or NULL. */
zpat_pipe *zpat_pipe_new(zsock *s, zpipe_end *p);
/* The record of an attached pipe (never NULL once zpat_pipe_new ran). */
static inline zpat_pipe *zpat_of(zpipe_end *p) { return zpipe_user_of(p)->owner_data; }
/* Frees p's record; the helpers must have let go of p already. */
void zpat_pipe_free(zpipe_end *p);
/* The type will not take p: it is dropped the next time the socket runs its commands
 * (the core's peer-gone path, which reads nothing and calls detach). */
void zpat_refuse(zsock *s, zpipe_end *p);
/* Reads and drops whatever p holds, for pipes a type never reads (PUSH). A pipe whose
 * peer has gone and that is empty is terminated here. */
void zpat_drain(zsock *s, zpipe_end *p);
/* A refused pipe woke up: it is terminated (true), and the caller leaves p alone. */
bool zpat_take_refused(zsock *s, zpipe_end *p);
/* A frame the user sends is data: a subscription mark it carries from a received
 * message must not turn it into a SUBSCRIBE command on the wire. */
static inline void zpat_user_frame(zmsg *m) { m->flags &= (uint8_t)~ZMSG_SUBSCRIPTION; }
/* Gives a frame read from p the peer's metadata, for zaio_msg_gets. A frame from TCP
 * has its connection's already: a connecting socket's pipe outlives its connections
 * and holds none of theirs, so the pipe's only fills in (inproc). */
static inline void zpat_set_meta(zmsg *m, zpipe_end *p)
{
    zmeta *meta = zpipe_user_of(p)->meta;
    if (meta && m->meta != meta)
        zmsg_set_meta(m, meta);
}
/* The options only some types accept (ROUTER_MANDATORY, XPUB_VERBOSE, SUBSCRIBE...):
 * -EINVAL for them, as libzmq answers on the wrong type; 1 (the core's) otherwise. */
int zpat_setopt_common(zsock *s, int opt, const void *val, size_t len);
/* PROBE_ROUTER: an empty message to a pipe as it is attached, so that a ROUTER at the
 * other end learns of the peer at once. Nothing without the option. */
void zpat_probe(zsock *s, zpipe_end *p);
/* Grows an array of pointers to hold at least need elements (geometrically). */
int zpat_grow(void *arrp, int *cap, int need, size_t elem);
/* A starting value for a socket's counters (ROUTER ids, REQ request ids) that differs
 * between sockets and runs: the time mixed with the address of the socket's state. */
uint32_t zpat_seed(const void *state);

/* ---- routing ids: id -> pipe record, for ROUTER and STREAM ------------------------- */
/* A chained hash table of records (their id, id_len, id_hash and id_next), a power of
 * two buckets, grown at three quarters full. */
typedef struct zpat_idtab {
    zpat_pipe **tab;
    uint32_t cap, count;
} zpat_idtab;

zpat_pipe *zpat_idtab_lookup(const zpat_idtab *t, const uint8_t *id, size_t len);
int zpat_idtab_insert(zpat_idtab *t, zpat_pipe *rec); /* 0 or -ENOMEM (nothing changed) */
void zpat_idtab_remove(zpat_idtab *t, zpat_pipe *rec); /* idempotent */
void zpat_idtab_fini(zpat_idtab *t);
/* A 5-byte id as libzmq generates them: a zero byte (never a peer's own id's first),
 * then *next, big-endian, which is incremented; skips ids in t. */
void zpat_idtab_generate(const zpat_idtab *t, uint32_t *next, uint8_t out[5]);

/* ---- a set of pipes, the active ones first ------------------------------------------ */
/* What the fair queue, the load balancer and the distributor keep their pipes in:
 * [0, active) may be used, [active, n) are asleep until readable/writable. Each pipe's
 * record holds its index (at[kind]), so every operation is O(1). */
typedef struct zpat_set {
    zpipe_end **pipes;
    int n, active, cap;
    int kind; /* ZPAT_FQ, ZPAT_LB or ZPAT_DIST */
} zpat_set;

void zpat_set_init(zpat_set *a, int kind);
void zpat_set_fini(zpat_set *a);
static inline int zpat_set_at(const zpat_set *a, zpipe_end *p) { return zpat_of(p)->at[a->kind]; }
void zpat_set_swap(zpat_set *a, int i, int j);
int zpat_set_add(zpat_set *a, zpipe_end *p); /* active; 0 or -ENOMEM */
/* Pipe i goes to sleep (to the end of the active part). */
static inline void zpat_set_deactivate(zpat_set *a, int i) { zpat_set_swap(a, i, --a->active); }
void zpat_set_activate(zpat_set *a, zpipe_end *p); /* idempotent */
void zpat_set_remove(zpat_set *a, zpipe_end *p);   /* idempotent */

/* ---- fair queue: round robin among readable pipes, one message at a time ------------- */
typedef struct zfq {
    zpat_set set;      /* active: may have something; the rest read EMPTY and sleep */
    int current;       /* where the next message is looked for */
    zpipe_end *cur;    /* while more: the pipe the message comes from */
    bool more;         /* the last frame handed out had MORE */
    /* a first frame read ahead by zfq_has_in, handed out by the next zfq_recv */
    zmsg pre;
    bool has_pre;
    zpipe_end *pre_from; /* NULL once that pipe left (its frame is still delivered) */
} zfq;

void zfq_init(zfq *fq);
void zfq_fini(zfq *fq);
int zfq_attach(zfq *fq, zpipe_end *p); /* 0 or -ENOMEM; the pipe starts active */
void zfq_detach(zfq *fq, zpipe_end *p);
void zfq_activated(zfq *fq, zpipe_end *p);
/* One frame into m (empty on entry), with the metadata of the pipe it came from;
 * *from is that pipe, or NULL when it has left since the frame was read ahead.
 * 0 or -EAGAIN. */
int zfq_recv(zfq *fq, zsock *s, zmsg *m, zpipe_end **from);
/* Whether zfq_recv would find a frame; at a message boundary this reads the first
 * frame ahead (zfq_peek shows it). */
bool zfq_has_in(zfq *fq, zsock *s);
/* After zfq_has_in said true at a message boundary: the frame read ahead. */
static inline const zmsg *zfq_peek(const zfq *fq) { return fq->has_pre ? &fq->pre : NULL; }
/* The one pipe, when there is one, active, and no frame is read ahead or half a
 * message handed out: what a blocking recv may spin on (zpattern_ops.spin_pipe). */
zpipe_end *zfq_spin_pipe(const zfq *fq);
/* Reads and drops every message there is now, as zfq_recv would hand them out, but
 * leaves a pipe found empty active rather than asleep: a REQ drops stale replies so
 * before it waits for the new one, and may then spin on the pipe (zfq_spin_pipe). */
void zfq_drop_ready(zfq *fq, zsock *s);
/* Reads and drops the rest of the current message (after a frame with MORE). */
void zfq_skip_rest(zfq *fq, zsock *s);
/* Reads and drops the next message whole (the one zfq_peek shows). */
void zfq_drop_next(zfq *fq, zsock *s);

/* ---- load balancer: round robin among writable pipes, one message at a time ---------- */
typedef struct zlb {
    zpat_set set;      /* active: take messages; the rest said FULL and sleep */
    int current;
    zpipe_end *cur;    /* while more: the pipe the message goes to */
    bool more;
    bool dropping;     /* the pipe left in the middle of a message: drop its rest */
} zlb;

void zlb_init(zlb *lb);
void zlb_fini(zlb *lb);
int zlb_attach(zlb *lb, zpipe_end *p); /* 0 or -ENOMEM */
void zlb_detach(zlb *lb, zpipe_end *p);
void zlb_activated(zlb *lb, zpipe_end *p);
/* One frame; m is moved out on 0 and *to (if not NULL) is the pipe it went to (NULL
 * when dropped). -EAGAIN when no pipe takes a new message (m untouched). */
int zlb_send(zlb *lb, zmsg *m, zpipe_end **to);
bool zlb_has_out(zlb *lb);

/* ---- distributor: a message to a set of pipes; a full pipe misses it ----------------- */
typedef struct zdist {
    /* set.pipes[0, matching) get the current message; the active ones have room; the
     * rest wait for writable (they miss messages meanwhile, as libzmq's PUB does) */
    zpat_set set;
    int matching;
    bool more; /* in the middle of a message: the set is fixed until it ends */
} zdist;

void zdist_init(zdist *d);
void zdist_fini(zdist *d);
int zdist_attach(zdist *d, zpipe_end *p); /* 0 or -ENOMEM */
void zdist_detach(zdist *d, zpipe_end *p);
void zdist_activated(zdist *d, zpipe_end *p);
void zdist_match(zdist *d, zpipe_end *p); /* p gets the next message (idempotent) */
void zdist_match_all(zdist *d);
void zdist_unmatch(zdist *d); /* before the first frame: nothing matches again */
/* INVERT_MATCHING: the active pipes that did not match are the ones that do. */
void zdist_reverse_match(zdist *d);
/* One frame to the matching pipes; m is always consumed. At the message's end the
 * pipes are flushed and the matching set is emptied. */
void zdist_send(zdist *d, zmsg *m);
/* One whole single-frame message to p alone (subscriptions for a new pipe); m is
 * consumed; dropped if p is full. */
void zdist_send_one(zpipe_end *p, zmsg *m);

/* ---- subscription trie: a radix tree of topics -------------------------------------- */
/* Two uses, one per trie: counted topics (SUB/XSUB: a topic subscribed twice needs two
 * cancels) and, per topic, the set of pipes subscribed to it (PUB/XPUB: a pipe is in a
 * topic's set once, whatever it repeats, as in libzmq's mtrie). */
typedef struct ztnode ztnode;
typedef struct ztrie {
    ztnode *root;
    /* scratch for walks over the whole tree; grows, never shrinks */
    struct ztframe *stack;
    int stack_cap;
    uint8_t *prefix;
    size_t prefix_cap;
} ztrie;

typedef enum ztrie_rm_result { ZTRIE_NOT_FOUND, ZTRIE_LAST_REMOVED, ZTRIE_VALUES_REMAIN } ztrie_rm_result;
typedef void (*ztrie_topic_fn)(const uint8_t *topic, size_t len, void *arg);
typedef void (*ztrie_pipe_fn)(zpipe_end *p, void *arg);

int ztrie_init(ztrie *t); /* 0 or -ENOMEM */
void ztrie_fini(ztrie *t);
/* counted: 1 when the topic is new, 0 when counted once more, -ENOMEM */
int ztrie_add(ztrie *t, const uint8_t *topic, size_t len);
ztrie_rm_result ztrie_rm(ztrie *t, const uint8_t *topic, size_t len);
/* Whether some counted topic is a prefix of data. */
bool ztrie_check(const ztrie *t, const uint8_t *data, size_t len);
/* fn for each counted topic, once. 0 or -ENOMEM. */
int ztrie_apply(ztrie *t, ztrie_topic_fn fn, void *arg);
/* pipe sets: 1 when p is the topic's first pipe, 0 otherwise, -ENOMEM */
int ztrie_add_pipe(ztrie *t, const uint8_t *topic, size_t len, zpipe_end *p);
ztrie_rm_result ztrie_rm_pipe(ztrie *t, const uint8_t *topic, size_t len, zpipe_end *p);
/* Takes p out of every set; fn for each topic left with no pipe. 0 or -ENOMEM (then p
 * is still taken out, but fn may have missed topics). */
int ztrie_rm_pipe_all(ztrie *t, zpipe_end *p, ztrie_topic_fn fn, void *arg);
/* The same, with fn for every topic p was in (XPUB_VERBOSER, XPUB_MANUAL). */
int ztrie_rm_pipe_every(ztrie *t, zpipe_end *p, ztrie_topic_fn fn, void *arg);
/* fn for each pipe of each topic that is a prefix of data (a pipe may come twice). */
void ztrie_match(const ztrie *t, const uint8_t *data, size_t len, ztrie_pipe_fn fn, void *arg);

/* ---- the flow base: PAIR, PUSH, PULL, DEALER, and REQ under its state machine ------- */
/* Load-balanced out, fair-queued in, no envelope. A type's state starts with it. */
typedef struct zpat_flow {
    zfq fq;
    zlb lb;
    bool in, out;   /* which ways the type moves messages */
    int max_pipes;  /* 0: any number; PAIR: 1 (a second peer is refused) */
    int npipes;
} zpat_flow;

/* Allocates the type's state (size bytes, zeroed, a zpat_flow first) as s->pattern. */
int zpat_flow_init(zsock *s, size_t size, bool in, bool out, int max_pipes);
void zpat_flow_fini(zsock *s);
void zpat_flow_attach(zsock *s, zpipe_end *p);
void zpat_flow_detach(zsock *s, zpipe_end *p);
void zpat_flow_readable(zsock *s, zpipe_end *p);
void zpat_flow_writable(zsock *s, zpipe_end *p);
int zpat_flow_send(zsock *s, zmsg *m);
int zpat_flow_recv(zsock *s, zmsg *m);
bool zpat_flow_has_in(zsock *s);
bool zpat_flow_has_out(zsock *s);
zpipe_end *zpat_flow_spin_pipe(zsock *s);
/* The ops of a type that is the flow base and nothing else. */
#define ZPAT_FLOW_OPS(type_, init_)                                                        \
    {                                                                                      \
        .type = (type_), .init = (init_), .fini = zpat_flow_fini,                          \
        .attach = zpat_flow_attach, .detach = zpat_flow_detach,                            \
        .readable = zpat_flow_readable, .writable = zpat_flow_writable,                    \
        .send = zpat_flow_send, .recv = zpat_flow_recv, .has_in = zpat_flow_has_in,        \
        .has_out = zpat_flow_has_out, .spin_pipe = zpat_flow_spin_pipe,                    \
        .setopt = zpat_setopt_common,                                                      \
    }

/* ---- the types ---------------------------------------------------------------------- */
extern const zpattern_ops zpattern_pair;
extern const zpattern_ops zpattern_push, zpattern_pull;
extern const zpattern_ops zpattern_req, zpattern_rep;
extern const zpattern_ops zpattern_dealer, zpattern_router;
extern const zpattern_ops zpattern_pub, zpattern_sub, zpattern_xpub, zpattern_xsub;
extern const zpattern_ops zpattern_stream;

#endif
