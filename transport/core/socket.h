/* socket.h - a zaio socket: options, its pipes, its endpoints, and the pattern (socket
 * type) that decides where a message goes. socket.c is the part every type shares;
 * pattern_*.c hold the types. Everything here runs on the application thread that uses
 * the socket, except where marked.
 *
 * How a pipe reaches a socket: inproc connects and TCP sessions create a pipe and post
 * its socket end to the socket's mailbox (zsock_post_attach); the socket attaches it on
 * its own thread and calls pattern->attach. Notifications from the peer (readable,
 * writable, gone) arrive as mailbox commands too; the core turns them into
 * pattern->readable / writable / detach calls.
 */
#ifndef ZAIO_TRANSPORT_SOCKET_H
#define ZAIO_TRANSPORT_SOCKET_H

#include "core/mailbox.h"
#include "core/msg.h"
#include "core/pipe.h"
#include "zaio.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct zctx zctx;
typedef struct zsock zsock;
struct zmtp_property;

/* ---- metadata of a connection (for zaio_msg_gets and ROUTER) -------------------- */
struct zmeta {
    atomic_int refs;
    int n;
    struct {
        char *name, *value;
    } prop[];
};
/* Builds from extra pairs (e.g. "Peer-Address") and a ZMTP property list. The extras
 * come first, and zmeta_get takes the first of a name: what zaio says of a connection
 * (its address, the user ZAP let in) cannot be overridden by what the peer sends. */
zmeta *zmeta_new(const uint8_t *md, size_t md_len, const char *const *extra, int nextra);
zmeta *zmeta_ref(zmeta *m);
void zmeta_unref(zmeta *m);
/* n references at once (a session hands them to its messages one by one) */
zmeta *zmeta_ref_n(zmeta *m, int n);
void zmeta_unref_n(zmeta *m, int n);
const char *zmeta_get(const zmeta *m, const char *name); /* case-insensitive */

/* ---- options ---------------------------------------------------------------------- */
#define ZOPTS_IPC_FILTERS 16
typedef struct zopts {
    int type;
    int sndhwm, rcvhwm;            /* default 1000 */
    int linger;                    /* ms, -1 forever; default -1 as in libzmq 4.3 */
    int sndtimeo, rcvtimeo;        /* ms, -1 forever */
    int reconnect_ivl, reconnect_ivl_max; /* 100, 0 */
    int backlog;                   /* 100 */
    int64_t maxmsgsize;            /* -1: no limit */
    int immediate;
    int handshake_ivl;             /* 30000 */
    int heartbeat_ivl, heartbeat_ttl, heartbeat_timeout; /* 0, 0, -1 (= ivl) */
    int tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl; /* -1 */
    int ipv6;
    int connect_timeout;           /* 0 */
    int sndbuf, rcvbuf;            /* -1: the OS default */
    int as_server;                 /* PLAIN_SERVER or CURVE_SERVER: one flag, as in libzmq */
    char plain_username[256], plain_password[256];
    uint8_t curve_public[32], curve_secret[32], curve_server[32]; /* CURVE keys */
    int mechanism;                 /* ZAIO_NULL, ZAIO_PLAIN or ZAIO_CURVE, from the above */
    char zap_domain[256];          /* ZAP_DOMAIN: NULL asks ZAP when it is set */
    int zap_enforce_domain;        /* NULL with a domain: no handler fails the handshake */
    /* IPC_FILTER_UID/GID/PID: the credentials an ipc:// listener lets in (none: any) */
    int ipc_uid[ZOPTS_IPC_FILTERS], ipc_gid[ZOPTS_IPC_FILTERS], ipc_pid[ZOPTS_IPC_FILTERS];
    int ipc_nuid, ipc_ngid, ipc_npid;
    uint8_t routing_id[255];
    uint8_t routing_id_len;
    int router_mandatory;
    int router_handover;
    int req_correlate, req_relaxed;
    int xpub_verbose;
    int conflate;
    /* The rest of libzmq 4.3.4's options (socket_opts.c). The pointers are shared,
     * immutable blocks: a copy of the options (a listener's, a session's) holds them
     * with zopts_hold and lets go with zopts_release. */
    int64_t affinity;
    int rate, recovery_ivl, multicast_hops, multicast_maxtpdu, multicast_loop; /* pgm's */
    int loopback_fastpath;
    int tos, tcp_maxrt, use_fd;
    char bindtodevice[17];
    int invert_matching, probe_router, router_notify;
    int stream_notify;               /* STREAM: [id][""] on a connection and its loss */
    uint8_t connect_routing_id[255]; /* ROUTER: our name for the peer of the next connect */
    uint8_t connect_routing_id_len;
    struct zoptblob *metadata;       /* METADATA: ZMTP properties added to our READY */
    struct zoptblob *accept_filters; /* TCP_ACCEPT_FILTER: the masks a peer must match */
} zopts;

void zopts_default(zopts *o, int type);
/* Wipes the secrets (PLAIN password, CURVE secret key) of a copy about to be freed:
 * the socket's, a listener's, a session's. */
void zopts_wipe(zopts *o);
/* The HWM for the socket's inbound (or outbound) pipe direction: RCVHWM (SNDHWM), or
 * ZPIPE_CONFLATE where CONFLATE applies: set, the type one libzmq conflates (PUB, SUB,
 * PUSH, PULL, DEALER), and the direction one that carries data for it. SUB's and PUB's
 * subscriptions are never conflated, unlike libzmq's, which conflates both directions
 * and so can lose all but a SUB's last subscription. */
int zopts_pipe_hwm(const zopts *o, bool inbound);

/* socket_opts.c, for socket.c: the options its own switch does not know. set: 0,
 * -errno, or 1 when opt is none of them; get: the value as an int or as bytes. */
typedef struct zopt_value {
    bool is_int;
    int i;
    const void *p;
    size_t n;
} zopt_value;
void zopts_more_default(zopts *o);
int zopts_more_set(zopts *o, int opt, const void *val, size_t len);
int zopts_more_get(const zopts *o, int opt, zopt_value *out);
void zopts_hold(zopts *o);
void zopts_release(zopts *o);
/* TCP_ACCEPT_FILTER: whether a peer at sa may come in (true when there is no filter). */
bool zopts_accept_ok(const zopts *o, const struct sockaddr *sa);
/* METADATA: how many properties there are; with out, they are written there too. */
size_t zopts_metadata(const zopts *o, struct zmtp_property *out);

/* ---- patterns ----------------------------------------------------------------------- */
typedef struct zpattern_ops {
    int type;
    /* state: zsock.pattern, zeroed before init; init may allocate */
    int (*init)(zsock *s);
    void (*fini)(zsock *s);
    /* a pipe joins (its zpipe_user has the peer's routing id and metadata) */
    void (*attach)(zsock *s, zpipe_end *p);
    /* a pipe leaves: forget it (the core detaches it afterwards) */
    void (*detach)(zsock *s, zpipe_end *p);
    /* the pipe has messages again / room again */
    void (*readable)(zsock *s, zpipe_end *p);
    void (*writable)(zsock *s, zpipe_end *p);
    /* (readable and writable may come for a pipe that is active already: a wake-up can
     * race the reader's own re-check. Be idempotent.) */
    /* one frame; m is moved out on success (0). -EAGAIN: cannot now (the core waits
     * and retries, or reports EAGAIN); other -errno: fails (m untouched). */
    int (*send)(zsock *s, zmsg *m);
    /* one frame into m (empty on entry). -EAGAIN: nothing now. */
    int (*recv)(zsock *s, zmsg *m);
    bool (*has_in)(zsock *s);
    bool (*has_out)(zsock *s);
    /* the pipe the next recv would read, when it is the one pipe there is, the type
     * holds no frame read ahead and a recv may come now; else NULL (and NULL as the
     * op: the type never says). A blocking recv may spin on it before it sleeps. */
    zpipe_end *(*spin_pipe)(zsock *s);
    /* pattern options (SUBSCRIBE, ROUTER_MANDATORY, ...): 0, -EINVAL, or 1 when the
     * option is not the pattern's (the core handles it) */
    int (*setopt)(zsock *s, int opt, const void *val, size_t len);
} zpattern_ops;

const zpattern_ops *zpattern_find(int type);

/* ---- the socket --------------------------------------------------------------------- */
typedef struct zendpoint zendpoint; /* a bound listener or a connect session (core/endpoint.h) */

#define ZSOCK_TAG 0x7a61696fu /* "zaio": zaio_ calls check it before trusting a pointer */

struct zsock {
    uint32_t tag;
    zctx *ctx;
    zopts o;
    const zpattern_ops *ops;
    void *pattern;         /* the pattern's state */
    zmailbox *mb;          /* commands for this socket (one reference) */
    zsignaler *sig;        /* wakes a blocked call; ZAIO_FD */
    zpipe_end **pipes;     /* every attached pipe end */
    int npipes, cappipes;
    zendpoint *endpoints;  /* bound listeners and connect sessions */
    bool rcvmore;          /* the last frame received had MORE */
    bool sndmore;          /* a multipart message is being sent */
    bool closing;
    bool spin;             /* more than one processor: a receive may spin (socket.c) */
    char last_endpoint[256];
    struct zmonitor *monitor; /* monitor.c; from zsock_new to close (one reference) */
    zsock *next_in_ctx;
};

/* The socket's life and calls (socket.c; the zaio_* wrappers in api/api.c check the
 * arguments and turn -errno into errno). */
int zsock_new(zctx *c, int type, zsock **out);
void zsock_close(zsock *s);
int zsock_send(zsock *s, zmsg *m, int flags); /* m moved out on success */
int zsock_recv(zsock *s, zmsg *m, int flags);
int zsock_events(zsock *s);                   /* ZAIO_POLLIN | ZAIO_POLLOUT */
int zsock_setopt(zsock *s, int opt, const void *val, size_t len);
int zsock_getopt(zsock *s, int opt, void *val, size_t *len);
int zsock_bind(zsock *s, const char *endpoint);
int zsock_connect(zsock *s, const char *endpoint);
int zsock_endpoint_close(zsock *s, const char *endpoint, bool bound);
void zsock_process(zsock *s); /* runs the commands other threads posted */

/* Core services (socket's thread). */
/* A pattern's read said ZPIPE_TERMINATED: the core calls ops->detach, then detaches the
 * end. The pattern must not use p afterwards. */
void zsock_pipe_terminated(zsock *s, zpipe_end *p);
/* Attaches a pipe end now (the transports' connect path runs on the socket's thread):
 * sets its notify to the socket, then ops->attach. */
void zsock_attach(zsock *s, zpipe_end *e);

/* Cross-thread entry points (any thread). */
/* Hands a pipe end to s: it is attached on s's thread. If s has closed meanwhile the
 * end is detached instead. The end's zpipe_user (routing id, meta) is filled in first. */
void zsock_post_attach(zmailbox *mb, zpipe_end *e);
/* The notify function for a socket's pipe ends (owner: the zsock, which stops
 * notifications before it frees itself). */
void zsock_pipe_notify(void *owner, zpipe_end *e, zpipe_event ev);

/* Monitor events (any thread; monitor.c). value as in zmq_socket_monitor. Every socket
 * has a zmonitor from zsock_new to its close; TCP listeners and sessions take a
 * reference (zmonitor_ref on s->monitor) when created and emit through it from the I/O
 * thread, to whichever monitor PAIR the socket has then (none: dropped). NULL-safe. */
typedef struct zmonitor zmonitor;
zmonitor *zmonitor_new(void);
zmonitor *zmonitor_ref(zmonitor *m);
void zmonitor_unref(zmonitor *m);
void zmonitor_event(zmonitor *m, int event, uint32_t value, const char *endpoint);

#endif
