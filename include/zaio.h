/* zaio.h - zaio's messaging API. It follows zmq.h: the same calls under the prefix
 * zaio_, and the same numbers as libzmq 4.3.4 for socket types, options, flags, poll
 * events, monitor events and error codes, so include/zaio_zmq.h can map zmq.h onto it.
 *
 * Calls return 0 (or a count) on success and -1 with zaio_errno() set on failure, as
 * zmq.h's do. A socket is used by one thread at a time; a context by any thread. */
#ifndef ZAIO_H
#define ZAIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZAIO_VERSION_MAJOR 0
#define ZAIO_VERSION_MINOR 1
#define ZAIO_VERSION_PATCH 0
void zaio_version(int *major, int *minor, int *patch); /* zaio's own release */

/* The libzmq API level zaio implements: what zmq_version reports through zaio_zmq.h,
 * since programs compare it with libzmq's releases, not with zaio's. */
#define ZAIO_API_VERSION_MAJOR 4
#define ZAIO_API_VERSION_MINOR 3
#define ZAIO_API_VERSION_PATCH 4
void zaio_api_version(int *major, int *minor, int *patch);

/* 1 if the library has the capability, as zmq_has: of the names libzmq defines (ipc,
 * pgm, tipc, norm, curve, gssapi, draft) zaio has "curve" where it is built with
 * libsodium (not in the Windows build) and none of the others yet ("draft" is 0 too:
 * zaio has the draft poller and zaio_msg_init_buffer, not the draft socket types a
 * program asking would go on to use). Unlike libzmq, which answers 0 for anything
 * outside that list, zaio also answers 1 for what it does have: "tcp", "inproc",
 * "plain". */
int zaio_has(const char *capability);

/* ---- errors: the system's errno values, plus libzmq's own ------------------------ */
#define ZAIO_HAUSNUMERO 156384712
#define ZAIO_EFSM (ZAIO_HAUSNUMERO + 51)           /* the socket's state forbids it */
#define ZAIO_ENOCOMPATPROTO (ZAIO_HAUSNUMERO + 52) /* the endpoint's transport does not fit */
#define ZAIO_ETERM (ZAIO_HAUSNUMERO + 53)          /* the context is terminating */
#define ZAIO_EMTHREAD (ZAIO_HAUSNUMERO + 54)
int zaio_errno(void);
const char *zaio_strerror(int errnum);

/* ---- context ------------------------------------------------------------------ */
#define ZAIO_IO_THREADS 1
#define ZAIO_MAX_SOCKETS 2
#define ZAIO_SOCKET_LIMIT 3
#define ZAIO_MAX_MSGSZ 5
#define ZAIO_MSG_T_SIZE 6
#define ZAIO_IO_THREADS_DFLT 1
#define ZAIO_MAX_SOCKETS_DFLT 1023

void *zaio_ctx_new(void);
int zaio_ctx_term(void *ctx);     /* waits for every socket to close and linger */
int zaio_ctx_shutdown(void *ctx); /* makes blocking calls return ZAIO_ETERM */
int zaio_ctx_set(void *ctx, int option, int value);
int zaio_ctx_get(void *ctx, int option);

/* ---- messages ------------------------------------------------------------------ */
typedef struct zaio_msg_t {
#if defined(__GNUC__) || defined(__clang__)
    unsigned char _[64] __attribute__((aligned(sizeof(void *))));
#else
    unsigned char _[64];
#endif
} zaio_msg_t;

typedef void(zaio_free_fn)(void *data, void *hint);

#define ZAIO_MORE 1
#define ZAIO_SHARED 3

int zaio_msg_init(zaio_msg_t *msg);
int zaio_msg_init_size(zaio_msg_t *msg, size_t size);
/* Takes data without copying; ffn(data, hint) runs when zaio no longer needs it
 * (ffn may be NULL for memory that outlives every use). */
int zaio_msg_init_data(zaio_msg_t *msg, void *data, size_t size, zaio_free_fn *ffn, void *hint);
/* Copies size bytes of buf (libzmq's draft zmq_msg_init_buffer). */
int zaio_msg_init_buffer(zaio_msg_t *msg, const void *buf, size_t size);
int zaio_msg_send(zaio_msg_t *msg, void *socket, int flags);
int zaio_msg_recv(zaio_msg_t *msg, void *socket, int flags);
int zaio_msg_close(zaio_msg_t *msg);
int zaio_msg_move(zaio_msg_t *dest, zaio_msg_t *src);
int zaio_msg_copy(zaio_msg_t *dest, zaio_msg_t *src);
void *zaio_msg_data(zaio_msg_t *msg);
size_t zaio_msg_size(const zaio_msg_t *msg);
int zaio_msg_more(const zaio_msg_t *msg);
int zaio_msg_get(const zaio_msg_t *msg, int property);
int zaio_msg_set(zaio_msg_t *msg, int property, int value);
/* Metadata of the connection the message came in on: "Socket-Type", "Routing-Id" (or
 * "Identity"), "Peer-Address", "User-Id", and any property the peer sent. */
const char *zaio_msg_gets(const zaio_msg_t *msg, const char *property);

/* ---- sockets ------------------------------------------------------------------- */
#define ZAIO_PAIR 0
#define ZAIO_PUB 1
#define ZAIO_SUB 2
#define ZAIO_REQ 3
#define ZAIO_REP 4
#define ZAIO_DEALER 5
#define ZAIO_ROUTER 6
#define ZAIO_PULL 7
#define ZAIO_PUSH 8
#define ZAIO_XPUB 9
#define ZAIO_XSUB 10
#define ZAIO_STREAM 11 /* not supported: zaio_socket fails with EINVAL */

/* options */
#define ZAIO_AFFINITY 4
#define ZAIO_ROUTING_ID 5
#define ZAIO_IDENTITY ZAIO_ROUTING_ID
#define ZAIO_SUBSCRIBE 6
#define ZAIO_UNSUBSCRIBE 7
#define ZAIO_SNDBUF 11
#define ZAIO_RCVBUF 12
#define ZAIO_RCVMORE 13
#define ZAIO_FD 14
#define ZAIO_EVENTS 15
#define ZAIO_TYPE 16
#define ZAIO_LINGER 17
#define ZAIO_RECONNECT_IVL 18
#define ZAIO_BACKLOG 19
#define ZAIO_RECONNECT_IVL_MAX 21
#define ZAIO_MAXMSGSIZE 22
/* SNDHWM, RCVHWM: 0 is no limit. Over inproc a direction's HWM is the writer's SNDHWM
 * plus the reader's RCVHWM, as in libzmq (a connect before the bind: the connector's
 * alone until the bind, then both). A change applies to the pipes the socket has, as in
 * libzmq 4.3; unlike libzmq, a writer the old HWM stopped may go on at once if the new
 * one has room (libzmq waits for the reader to drain), and a reader's new RCVHWM counts
 * in its peer's direction too. */
#define ZAIO_SNDHWM 23
#define ZAIO_RCVHWM 24
#define ZAIO_RCVTIMEO 27
#define ZAIO_SNDTIMEO 28
#define ZAIO_IPV4ONLY 31
#define ZAIO_LAST_ENDPOINT 32
#define ZAIO_ROUTER_MANDATORY 33
#define ZAIO_TCP_KEEPALIVE 34
#define ZAIO_TCP_KEEPALIVE_CNT 35
#define ZAIO_TCP_KEEPALIVE_IDLE 36
#define ZAIO_TCP_KEEPALIVE_INTVL 37
#define ZAIO_IMMEDIATE 39
#define ZAIO_XPUB_VERBOSE 40
#define ZAIO_IPV6 42
#define ZAIO_MECHANISM 43
#define ZAIO_PLAIN_SERVER 44
#define ZAIO_PLAIN_USERNAME 45
#define ZAIO_PLAIN_PASSWORD 46
/* CURVE (RFC 26), as libzmq 4.3.4: CURVE_SERVER 1 makes a server (it needs its
 * SECRETKEY only); a client sets PUBLICKEY, SECRETKEY and the server's SERVERKEY, and
 * setting any key makes the socket speak CURVE (SERVERKEY: as a client). A key is 32
 * bytes, or 40 Z85 characters (41 with a NUL); it reads back as 32 bytes, or as Z85
 * with its NUL into a 41-byte buffer. A CURVE server asks the ZAP handler about every
 * client's public key (credential: the 32 bytes); with no handler it lets every client
 * that knows its public key in, unless ZAP_ENFORCE_DOMAIN is set and ZAP_DOMAIN too
 * (libzmq's rule: enforced without a domain, ZAP is not asked at all). Without
 * libsodium (the Windows build) the four options fail with EINVAL, as in a libzmq
 * built without CURVE. MAXMSGSIZE counts a message's own bytes, not CURVE's 33 bytes
 * of box around it. */
#define ZAIO_CURVE_SERVER 47
#define ZAIO_CURVE_PUBLICKEY 48
#define ZAIO_CURVE_SECRETKEY 49
#define ZAIO_CURVE_SERVERKEY 50
/* ZAP (RFC 27), as libzmq 4.3.4: a PLAIN server asks the handler bound at
 * inproc://zeromq.zap.01 in its context about every client, and with no handler bound
 * lets nobody in; NULL asks when ZAP_DOMAIN is set and a handler is bound, and with
 * ZAP_ENFORCE_DOMAIN also fails when none is. The handler's User-Id and metadata reach
 * zaio_msg_gets on every message from that peer. One difference: a handler that goes
 * away before it replies fails the handshake at once (HANDSHAKE_FAILED_PROTOCOL,
 * ZAP_UNSPECIFIED), where libzmq waits for the handshake timeout. */
#define ZAIO_ZAP_DOMAIN 55
#define ZAIO_ZAP_ENFORCE_DOMAIN 93
/* CONFLATE: keep only the newest message (its last frame), ignoring the HWMs, on
 * DEALER (both ways), SUB and PULL (in), PUB and PUSH (out); other types ignore it.
 * Subscriptions are never conflated. Set it before bind or connect. Over inproc a
 * direction conflates if either end asks for it (libzmq heeds the connecting end
 * only); a binder's setting counts for connects that come after its bind. */
#define ZAIO_CONFLATE 54
/* REQ_CORRELATE: a REQ puts a request id frame before the delimiter and takes only the
 * reply that carries it back. REQ_RELAXED: a REQ may send a new request without the
 * reply to the last (which then counts as lost; with CORRELATE it is dropped if it
 * comes). */
#define ZAIO_REQ_CORRELATE 52
#define ZAIO_REQ_RELAXED 53
/* ROUTER_HANDOVER: a ROUTER's peer with an id in use takes it over; the connection
 * that had it is dropped. Without it the newcomer waits, ignored, for the id. */
#define ZAIO_ROUTER_HANDOVER 56
#define ZAIO_HANDSHAKE_IVL 66
#define ZAIO_HEARTBEAT_IVL 75
#define ZAIO_HEARTBEAT_TTL 76
#define ZAIO_HEARTBEAT_TIMEOUT 77
#define ZAIO_CONNECT_TIMEOUT 79

/* security mechanisms (ZAIO_MECHANISM) */
#define ZAIO_NULL 0
#define ZAIO_PLAIN 1
#define ZAIO_CURVE 2

/* send/recv flags */
#define ZAIO_DONTWAIT 1
#define ZAIO_SNDMORE 2

void *zaio_socket(void *ctx, int type);
int zaio_close(void *socket);
int zaio_setsockopt(void *socket, int option, const void *value, size_t len);
int zaio_getsockopt(void *socket, int option, void *value, size_t *len);
int zaio_bind(void *socket, const char *endpoint);
int zaio_connect(void *socket, const char *endpoint);
int zaio_unbind(void *socket, const char *endpoint);
int zaio_disconnect(void *socket, const char *endpoint);
int zaio_send(void *socket, const void *buf, size_t len, int flags);
int zaio_send_const(void *socket, const void *buf, size_t len, int flags);
/* Copies at most len bytes; returns the message's full size. */
int zaio_recv(void *socket, void *buf, size_t len, int flags);

/* Scatter/gather over frames, as libzmq 4.3.4 does it. sendiov sends each of the count
 * buffers as a frame with flags, the last without ZAIO_SNDMORE: pass ZAIO_SNDMORE for one
 * multipart message (without it, each buffer is a message of its own); it returns the
 * last frame's size, and frames sent before a failure stay sent. recviov receives up to
 * *count frames of one message into iov, each in a buffer of its own from malloc that
 * the caller frees, sets *count to how many it stored (also on failure: those are the
 * caller's to free) and returns that number; frames beyond *count stay for the next
 * receive (ZAIO_RCVMORE). On Windows, where there is no <sys/uio.h>, the program defines
 * struct iovec {void *iov_base; size_t iov_len;} as it would for libzmq. */
struct iovec;
int zaio_sendiov(void *socket, struct iovec *iov, size_t count, int flags);
int zaio_recviov(void *socket, struct iovec *iov, size_t *count, int flags);

/* ---- monitor ------------------------------------------------------------------- */
#define ZAIO_EVENT_CONNECTED 0x0001
#define ZAIO_EVENT_CONNECT_DELAYED 0x0002
#define ZAIO_EVENT_CONNECT_RETRIED 0x0004
#define ZAIO_EVENT_LISTENING 0x0008
#define ZAIO_EVENT_BIND_FAILED 0x0010
#define ZAIO_EVENT_ACCEPTED 0x0020
#define ZAIO_EVENT_ACCEPT_FAILED 0x0040
#define ZAIO_EVENT_CLOSED 0x0080
#define ZAIO_EVENT_CLOSE_FAILED 0x0100
#define ZAIO_EVENT_DISCONNECTED 0x0200
#define ZAIO_EVENT_MONITOR_STOPPED 0x0400
#define ZAIO_EVENT_ALL 0xFFFF
#define ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL 0x0800
#define ZAIO_EVENT_HANDSHAKE_SUCCEEDED 0x1000
#define ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL 0x2000
#define ZAIO_EVENT_HANDSHAKE_FAILED_AUTH 0x4000

/* values of ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL */
#define ZAIO_PROTOCOL_ERROR_ZMTP_UNSPECIFIED 0x10000000
#define ZAIO_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND 0x10000001
#define ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE 0x10000002
#define ZAIO_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE 0x10000003
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED 0x10000011
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE 0x10000012
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO 0x10000013
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE 0x10000014
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR 0x10000015
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY 0x10000016
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME 0x10000017
#define ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_METADATA 0x10000018
#define ZAIO_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC 0x11000001
#define ZAIO_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH 0x11000002
#define ZAIO_PROTOCOL_ERROR_ZAP_UNSPECIFIED 0x20000000
#define ZAIO_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY 0x20000001
#define ZAIO_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID 0x20000002
#define ZAIO_PROTOCOL_ERROR_ZAP_BAD_VERSION 0x20000003
#define ZAIO_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE 0x20000004
#define ZAIO_PROTOCOL_ERROR_ZAP_INVALID_METADATA 0x20000005

/* Events go to a PAIR socket bound at endpoint (inproc://...) as two frames: 6 bytes
 * (uint16 event, uint32 value, host order) then the endpoint string, as libzmq does.
 * endpoint NULL stops monitoring. When the socket closes, its listeners say CLOSED and
 * MONITOR_STOPPED comes last, once its connections are gone, as in libzmq. */
int zaio_socket_monitor(void *socket, const char *endpoint, int events);

/* ---- poll and proxy ------------------------------------------------------------ */
#define ZAIO_POLLIN 1
#define ZAIO_POLLOUT 2
#define ZAIO_POLLERR 4
#define ZAIO_POLLPRI 8

#ifdef _WIN32
typedef uintptr_t zaio_fd_t; /* SOCKET */
#else
typedef int zaio_fd_t;
#endif

typedef struct zaio_pollitem_t {
    void *socket;  /* a zaio socket, or NULL to poll fd */
    zaio_fd_t fd;
    short events;
    short revents;
} zaio_pollitem_t;

#define ZAIO_POLLITEMS_DFLT 16

/* timeout in milliseconds, -1 forever. Returns how many items have events. */
int zaio_poll(zaio_pollitem_t *items, int nitems, long timeout);

/* Shuttles messages between frontend and backend (and copies them to capture) until
 * the context terminates. */
int zaio_proxy(void *frontend, void *backend, void *capture);
/* zaio_proxy steered by one-frame commands on control (NULL: zaio_proxy): PAUSE stops
 * forwarding (messages wait in their queues), RESUME goes on, TERMINATE returns 0, and
 * STATISTICS replies with 8 frames of a uint64 each (host order): messages and bytes
 * received on frontend, messages and bytes sent out of frontend, the same four for
 * backend; a multipart message counts once, its bytes summed. Commands are copied to
 * capture. Where zaio differs from libzmq 4.3.4: an unknown or multipart command is
 * ignored (libzmq aborts the process, or ends the proxy), and a REP control socket gets
 * an empty reply to every command but STATISTICS (as libzmq 4.3.5; 4.3.4 leaves the REP
 * unable to take its next command). */
int zaio_proxy_steerable(void *frontend, void *backend, void *capture, void *control);

/* ---- poller (libzmq's draft zmq_poller) ------------------------------------------ */
/* The same layout as zmq_poller_event_t. A socket's event has fd -1 (INVALID_SOCKET on
 * Windows); a descriptor's has socket NULL. */
typedef struct zaio_poller_event_t {
    void *socket;
    zaio_fd_t fd;
    void *user_data;
    short events;
} zaio_poller_event_t;

/* As libzmq: a socket or descriptor is added once (again: EINVAL), modify and remove
 * want one that was added (EINVAL), events outside POLLIN|POLLOUT|POLLERR|POLLPRI are
 * EINVAL, a bad poller EFAULT, a bad socket ENOTSOCK. wait_all fills up to n_events in
 * the order items were added and returns how many; wait fills one and returns 0; both
 * fail with EAGAIN when the timeout passes without events, with ETERM when a socket's
 * context terminates, and with EFAULT when asked to wait forever with nothing to wait
 * for. zaio_poller_fd fails with EINVAL: it exists for thread-safe sockets, which zaio
 * does not have (libzmq answers the same for a poller without them). */
void *zaio_poller_new(void);
int zaio_poller_destroy(void **poller_p);
int zaio_poller_size(void *poller);
int zaio_poller_add(void *poller, void *socket, void *user_data, short events);
int zaio_poller_modify(void *poller, void *socket, short events);
int zaio_poller_remove(void *poller, void *socket);
int zaio_poller_add_fd(void *poller, zaio_fd_t fd, void *user_data, short events);
int zaio_poller_modify_fd(void *poller, zaio_fd_t fd, short events);
int zaio_poller_remove_fd(void *poller, zaio_fd_t fd);
int zaio_poller_wait(void *poller, zaio_poller_event_t *event, long timeout);
int zaio_poller_wait_all(void *poller, zaio_poller_event_t *events, int n_events, long timeout);
int zaio_poller_fd(void *poller, zaio_fd_t *fd);

/* ---- timers ---------------------------------------------------------------------- */
/* As zmq_timers: not thread-safe; add returns the timer's id (from 1); timeout is the
 * milliseconds until the next one is due, 0 if one is, -1 with none; execute runs every
 * timer due, earliest first (ties in the order they were armed) and re-arms each for its
 * interval from when execute began; a handler may add, cancel (itself too), reset or
 * change timers: a timer it cancels does not run, and one it adds, resets or re-times
 * runs in a later execute. So a zero interval runs once per execute, where libzmq 4.3.4's
 * execute never returns for one. EFAULT for a bad timers or handler, EINVAL for an id
 * that does not exist or was cancelled. */
typedef void(zaio_timer_fn)(int timer_id, void *arg);
void *zaio_timers_new(void);
int zaio_timers_destroy(void **timers_p);
int zaio_timers_add(void *timers, size_t interval, zaio_timer_fn handler, void *arg);
int zaio_timers_cancel(void *timers, int timer_id);
int zaio_timers_set_interval(void *timers, int timer_id, size_t interval);
int zaio_timers_reset(void *timers, int timer_id);
long zaio_timers_timeout(void *timers);
int zaio_timers_execute(void *timers);

/* ---- Z85 (ZeroMQ RFC 32) and CURVE keys ----------------------------------------- */
/* encode: size a multiple of 4, dest size * 5 / 4 + 1 bytes (text and its NUL); dest,
 * or NULL with EINVAL. decode: a string whose length is a non-zero multiple of 5 (an
 * empty one fails, as in libzmq) of Z85 characters, each group of 5 at most 0xFFFFFFFF;
 * dest (strlen * 4 / 5 bytes), or NULL with EINVAL. */
char *zaio_z85_encode(char *dest, const uint8_t *data, size_t size);
uint8_t *zaio_z85_decode(uint8_t *dest, const char *string);
/* A new CURVE key pair, or the public key of a secret one, as 40 Z85 characters and a
 * NUL each (41 bytes). Without CURVE (the Windows build, zaio_has("curve") 0) both
 * fail with ENOTSUP, as a libzmq built without CURVE does; a secret key that is not 40
 * Z85 characters fails with EINVAL. */
int zaio_curve_keypair(char *z85_public_key, char *z85_secret_key);
int zaio_curve_public(char *z85_public_key, const char *z85_secret_key);

/* ---- utilities (libzmq's portability helpers) ----------------------------------- */
/* A counter any thread may change: inc returns the value before, dec returns 1 while
 * the counter is non-zero after it and 0 when it reaches zero (below zero it answers 1,
 * as libzmq's unsigned counter does), destroy frees it and sets *counter_p NULL. */
void *zaio_atomic_counter_new(void);
void zaio_atomic_counter_set(void *counter, int value);
int zaio_atomic_counter_inc(void *counter);
int zaio_atomic_counter_dec(void *counter);
int zaio_atomic_counter_value(void *counter);
void zaio_atomic_counter_destroy(void **counter_p);
/* Microseconds on a monotonic clock since start; stop also frees the watch. */
void *zaio_stopwatch_start(void);
unsigned long zaio_stopwatch_intermediate(void *watch);
unsigned long zaio_stopwatch_stop(void *watch);
void zaio_sleep(int seconds);
/* Runs func(arg) on a new thread; threadclose waits for it to end and frees the handle.
 * NULL (errno set) if the thread cannot start, where libzmq aborts. */
typedef void(zaio_thread_fn)(void *);
void *zaio_threadstart(zaio_thread_fn *func, void *arg);
void zaio_threadclose(void *thread);

/* ---- counters ------------------------------------------------------------------ */
typedef struct zaio_stats_t {
    /* the asyncio counters, summed over the context's I/O threads (process-wide: the
     * counters are kept per process, so with several contexts they add up) */
    int64_t sockets, accept_sockets, ops_in_flight, bufs, buf_bytes;
    int64_t submits, completions, cancels, submit_failures;
    /* the context's own */
    int64_t connections; /* TCP connections open (handshaking or ready) */
    int64_t handshakes;  /* of which still in the handshake */
    int64_t zsockets;    /* zaio sockets open */
} zaio_stats_t;
/* The asyncio backend the context's I/O threads run on: "uring", "epoll" or "iocp"
 * (ZAIO_BACKEND in the environment picks one; otherwise the best available). NULL
 * until the first bind or connect over TCP has started the I/O threads. */
const char *zaio_backend(void *ctx);
/* ctx NULL: the asyncio counters alone (the context's fields are zero), so a program
 * can check that nothing is left once zaio_ctx_term has returned. */
int zaio_stats(void *ctx, zaio_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif
