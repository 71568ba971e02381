/* aio.h - zaio's proactor: completion ports, async sockets, op records and pinned
 * buffers, in the manner of AsyncIO (the async socket layer under NetMQ). Usable on its
 * own; knows nothing of ZMTP.
 *
 * The model:
 *  - An aio_port delivers completions. One thread at a time runs aio_port_poll(), which
 *    calls each socket's handler for its completions. Any thread may submit ops, post
 *    signals and close sockets.
 *  - An aio_socket has two op records: `in` (accept or recv) and `out` (connect or
 *    send). A record holds one op at a time; submitting on a busy record is -EBUSY.
 *  - Every accepted submit (return 0) produces exactly one completion, including a submit
 *    whose system call fails at once: that failure arrives as a completion carrying the
 *    error, after the record is IDLE again and its buffer references are dropped.
 *  - aio_close() is final and never blocks. In-flight ops are cancelled; their
 *    completions free the records, buffers and the socket, and never reach the handler.
 *  - aio_buf is a refcounted pinned buffer. An op holds a reference from submit to
 *    completion, so the memory outlives the op whatever the user does with its own.
 *
 * Errors are negative errno values; aio_strerror() names them.
 */
#ifndef ZAIO_AIO_H
#define ZAIO_AIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <sys/socket.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The library's objects are built with -fvisibility=hidden; what this header declares
 * is what libzaio.so exports. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(default)
#endif

typedef struct aio_port aio_port;
typedef struct aio_socket aio_socket;
typedef struct aio_buf aio_buf;

typedef enum aio_backend {
    AIO_BACKEND_AUTO = 0, /* ZAIO_BACKEND from the environment, else the best available */
    AIO_BACKEND_URING,
    AIO_BACKEND_EPOLL,
    AIO_BACKEND_IOCP
} aio_backend;

typedef enum aio_op {
    AIO_OP_NONE = 0,
    AIO_OP_ACCEPT,
    AIO_OP_CONNECT,
    AIO_OP_RECV,
    AIO_OP_SEND,
    AIO_OP_SIGNAL /* a completion posted with aio_port_post() */
} aio_op;

typedef struct aio_completion {
    aio_op op;
    int status;           /* 0, or a negative errno */
    size_t bytes;         /* bytes transferred (recv: 0 means the peer closed) */
    aio_socket *sock;     /* NULL for AIO_OP_SIGNAL */
    void *key;            /* the socket's key, or the posted key */
    aio_buf *buf;         /* recv: the buffer received into (borrowed for the call) */
    aio_socket *accepted; /* accept: the new socket, owned by the handler from now on */
} aio_completion;

/* Called on the polling thread. It may submit, close (this or any socket), post. */
typedef void (*aio_handler)(const aio_completion *c);

/* ---- pinned buffers ---------------------------------------------------------------- */

int aio_buf_new(size_t size, aio_buf **out);
/* As aio_buf_new, and a large block made afresh comes with its pages in (aio_buf.c,
 * "pages in at once"), on huge pages from 256 KiB to 2 MiB where the system has them
 * ("huge pages for large application bodies"): for a body its maker fills next, an
 * application's message. Never
 * for a size a peer announced: its memory would be in use before any byte came. */
int aio_buf_new_populated(size_t size, aio_buf **out);
/* Wraps caller memory; free_fn(data, hint) runs when the last reference goes. */
int aio_buf_wrap(void *data, size_t size, void (*free_fn)(void *data, void *hint), void *hint,
                 aio_buf **out);
aio_buf *aio_buf_ref(aio_buf *b);
void aio_buf_unref(aio_buf *b);
void *aio_buf_data(const aio_buf *b);
int aio_buf_refs(const aio_buf *b); /* for tests and assertions */
size_t aio_buf_size(const aio_buf *b);
/* Buffers made by aio_buf_new up to this size are reused once freed (aio_buf.c): 0 in a
 * build without the cache (AddressSanitizer, Windows). */
size_t aio_buf_cache_max(void);
/* Whether a buffer of this size made by aio_buf_new is kept for reuse once freed: up to
 * aio_buf_cache_max(), and large ones from 32 KiB to 2 MiB in a short list (8 MiB at
 * most, and 1 MiB a thread). For tests and benchmarks. */
int aio_buf_cached(size_t size);
/* The regions of huge pages that large application bodies are carved from (aio_buf.c,
 * "huge pages for large application bodies") mapped now; -1 in a build without them
 * (AddressSanitizer, not Linux). For tests. */
int aio_buf_slab_regions(void);

/* ---- ports ------------------------------------------------------------------------- */

int aio_port_new(aio_backend backend, aio_port **out);
aio_backend aio_port_backend(const aio_port *p);
const char *aio_backend_name(aio_backend b);
/* Dispatches ready completions, waiting up to timeout_ms (-1: forever, 0: don't wait)
 * for the first. Returns how many completions reached handlers (>= 0), or -errno. */
int aio_port_poll(aio_port *p, int timeout_ms);
/* Queues a completion {op = AIO_OP_SIGNAL, key} that handler receives on the polling
 * thread (PostQueuedCompletionStatus). Safe from any thread. */
int aio_port_post(aio_port *p, aio_handler handler, void *key);
/* Makes the current or the next aio_port_poll return without waiting, delivering no
 * completion: a wake-up for a poller that has other work (a mailbox) to look at after
 * each poll. Never allocates, never fails; wakes made before that poll returns count
 * as one. Safe from any thread. */
void aio_port_wake(aio_port *p);
/* Closes every socket still open, drains every pending completion, then frees the port.
 * Handlers are not called while draining. */
void aio_port_destroy(aio_port *p);

/* ---- sockets ----------------------------------------------------------------------- */

/* A stream socket of the family (AF_INET, AF_INET6; AF_UNIX but on Windows) bound to
 * the port. */
int aio_socket_new(aio_port *p, int family, aio_handler handler, void *key, aio_socket **out);
/* For an accepted socket, before its first submit. */
void aio_socket_set_handler(aio_socket *s, aio_handler handler, void *key);
void *aio_socket_key(const aio_socket *s);
/* The native handle (fd or SOCKET), for readiness checks and options aio does not wrap.
 * Never close it: aio_close() does. */
intptr_t aio_socket_handle(const aio_socket *s);
aio_port *aio_socket_port(const aio_socket *s);
int aio_bind(aio_socket *s, const struct sockaddr *addr, socklen_t len);
int aio_listen(aio_socket *s, int backlog);
int aio_local_addr(aio_socket *s, struct sockaddr_storage *addr, socklen_t *len);
int aio_peer_addr(aio_socket *s, struct sockaddr_storage *addr, socklen_t *len);
/* setsockopt on the native handle (SOL_SOCKET / IPPROTO_TCP options). */
int aio_setsockopt(aio_socket *s, int level, int name, const void *val, socklen_t len);

/* Ops. 0: submitted, one completion will follow. -EBUSY: the record holds an op already.
 * -EBADF: the socket is closing. -EINVAL: bad arguments. Nothing else is returned
 * synchronously: failures of the operation itself arrive as the completion's status. */
int aio_accept(aio_socket *listener);
int aio_connect(aio_socket *s, const struct sockaddr *addr, socklen_t len);
int aio_recv(aio_socket *s, aio_buf *buf, size_t off, size_t len);

#define AIO_MAX_IOV 8
typedef struct aio_slice {
    aio_buf *buf;
    size_t off;
    size_t len;
} aio_slice;
/* Scatters one recv over up to AIO_MAX_IOV slices, none empty, filled in order: the
 * rest of a large body and the buffer for what follows it in one call. The completion's
 * bytes count across the slices and its buf is the first slice's; every slice's buffer
 * stays referenced until the completion (or its cancel's) is delivered. */
int aio_recvv(aio_socket *s, const aio_slice *v, int n);
/* Gathers up to AIO_MAX_IOV slices into one send. A completion may report fewer bytes
 * than asked (a partial send); the caller submits the rest. */
int aio_send(aio_socket *s, aio_buf *buf, size_t off, size_t len);
int aio_sendv(aio_socket *s, const aio_slice *v, int n);
/* Sends what the kernel takes at once, on the calling thread, with no op record and no
 * completion: a sender whose peer answers quickly saves the wake-up of the polling
 * thread. Returns the bytes sent (fewer than asked when the socket buffer filled) or a
 * negative errno: -EAGAIN when nothing could go, -ENOTSUP on a backend without it
 * (IOCP), where aio_sendv is the way. The caller makes sure, for the length of the
 * call, that the socket is open, that no aio_close can run and that no send of it is in
 * flight: the bytes then go in order. Any thread. */
int aio_send_now(aio_socket *s, const aio_slice *v, int n);

/* Final for the caller; never blocks; safe from any thread and from handlers. Closing
 * an already-closing socket is a no-op until the socket is freed, which happens only
 * on the polling thread, in aio_port_poll() or aio_port_destroy(). */
void aio_close(aio_socket *s);

/* ---- counters ---------------------------------------------------------------------- */

typedef struct aio_stats {
    /* live: back to zero once everything is closed and the ports have drained */
    int64_t sockets;        /* aio_sockets not yet freed (accept sockets included) */
    int64_t accept_sockets; /* sockets pre-created for a pending accept */
    int64_t ops_in_flight;  /* op records SUBMITTED or CANCELLING, posted signals queued */
    int64_t bufs;           /* pinned buffers alive */
    int64_t buf_bytes;      /* bytes in them */
    int64_t ports;          /* ports alive */
    /* totals, since the process started */
    int64_t submits;
    int64_t completions; /* every completion, delivered or swallowed */
    int64_t cancels;     /* cancel requests issued */
    int64_t submit_failures;
    int64_t swallowed; /* completions of closed sockets that never reached a handler */
    int64_t sync_completions; /* accepted ops whose outcome was known inside the submit call */
    int64_t sends_now;        /* aio_send_now calls that sent bytes */
} aio_stats;

/* Process-wide, exact (atomic counters, not samples). */
void aio_stats_get(aio_stats *out);
/* True when every live counter is zero. */
int aio_stats_live_zero(const aio_stats *s);

const char *aio_strerror(int err);

/* ---- fault injection (ZAIO_FAULT_INJECTION builds only) --------------------------- */
#ifdef ZAIO_FAULT_INJECTION
typedef enum aio_fault {
    AIO_FAULT_SUBMIT_ERROR = 1, /* next submit of `op` fails at once with `err` */
    AIO_FAULT_QUEUE_FULL,       /* next submit of `op` finds the submission queue full */
    AIO_FAULT_SYNC_SUCCESS,     /* next submit of `op` (recv or send) completes inside the
                                 * submit call when its call succeeds at once, instead of by
                                 * the kernel's queue (IOCP: the socket is put in
                                 * skip-on-success mode); the test makes sure it can succeed */
    AIO_FAULT_HOLD_COMPLETION,  /* next completion of `op` is held until aio_fault_release */
    AIO_FAULT_ACCEPT_SOCKET,    /* creating the next pre-created accept socket fails with err */
    AIO_FAULT_COMPLETE_ERROR    /* next completion of `op` arrives with status `err` instead */
} aio_fault;
void aio_fault_arm(aio_port *p, aio_fault f, aio_op op, int err);
/* Lets held completions go; they are dispatched by the next aio_port_poll. */
int aio_fault_release(aio_port *p);
void aio_fault_clear(aio_port *p);
#endif

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
