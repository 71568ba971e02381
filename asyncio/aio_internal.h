/* aio_internal.h - what the core (aio_core.c) and the backends (aio_<name>.c) share.
 *
 * Design notes: the exactly-once rule
 * -----------------------------------
 * Every op that aio_<op>() accepted produces exactly one completion, and every
 * completion, native or not, passes through one queue (port->q) and one function
 * (aio__dispatch in aio_core.c). That function is the only place where a record goes
 * back to IDLE, drops its buffer references and decrements its socket's pending count.
 * Backends never finish a record themselves: they hand the outcome over with
 * aio__complete(), whether it came from the kernel (a CQE, an epoll event, a
 * GetQueuedCompletionStatusEx packet) or from a submit that failed or succeeded at
 * once. So a synchronous failure cannot leave a record SUBMITTED (AsyncIO issue 33),
 * and a synchronous success cannot be delivered twice.
 *
 * A socket is freed in one place, its endgame (libuv's word), on the polling thread,
 * after the poll iteration that made it due: when it is CLOSING and `pending` (ops in
 * flight + cancel requests in flight) is zero. Records live inside the socket, so a
 * late completion always finds its record's memory.
 */
#ifndef ZAIO_AIO_INTERNAL_H
#define ZAIO_AIO_INTERNAL_H

#include "aio.h"

#if defined(ZAIO_ASSERT) && defined(NDEBUG)
#error "ZAIO_ASSERT=ON keeps assert(): something defined NDEBUG after the build's -UNDEBUG"
#endif

#include <stdatomic.h>
#include <stdbool.h>

#ifdef _WIN32
#include <mswsock.h>
#include <windows.h>
typedef SOCKET aio_fd;
#define AIO_FD_NONE INVALID_SOCKET
typedef CRITICAL_SECTION aio_mutex;
#define aio__mutex_init(m) InitializeCriticalSection(m)
#define aio__mutex_fini(m) DeleteCriticalSection(m)
#define aio__lock(m) EnterCriticalSection(m)
#define aio__unlock(m) LeaveCriticalSection(m)
#else
#include <pthread.h>
#include <sys/uio.h>
typedef int aio_fd;
#define AIO_FD_NONE (-1)
typedef pthread_mutex_t aio_mutex;
#define aio__mutex_init(m) pthread_mutex_init((m), NULL)
#define aio__mutex_fini(m) pthread_mutex_destroy(m)
#define aio__lock(m) pthread_mutex_lock(m)
#define aio__unlock(m) pthread_mutex_unlock(m)
#endif

typedef enum aio_rec_state {
    AIO_REC_IDLE = 0,
    AIO_REC_SUBMITTED,  /* the backend (kernel) owns the op */
    AIO_REC_CANCELLING, /* a cancel was requested; the op's completion is still to come */
    AIO_REC_DONE        /* the outcome is known and queued on port->q (or held) */
} aio_rec_state;

/* An op record: AsyncIO's overlapped record. Two per socket, inside the socket. */
typedef struct aio_rec {
#ifdef _WIN32
    OVERLAPPED ov; /* first: a completion packet's LPOVERLAPPED is the record */
#endif
    aio_socket *sock;
    aio_op op;
    aio_rec_state state;
    bool legacy_stuck; /* ZAIO_AIO_LEGACY_0_1_26 only: a failed submit left it "in progress" */
    int status;   /* outcome, once DONE */
    size_t bytes; /* outcome, once DONE */
    int niov;
    aio_slice iov[AIO_MAX_IOV]; /* buffers the op references (one ref each) */
    struct sockaddr_storage addr; /* connect: the target; accept: the peer */
    socklen_t addrlen;
    aio_socket *accept_sock; /* accept: the pre-created socket the op owns */
    struct aio_rec *qnext;   /* port->q or port->held */
    /* backend scratch, valid while SUBMITTED */
#ifdef _WIN32
    WSABUF wsabuf[AIO_MAX_IOV];
    /* AcceptEx writes both addresses here, each with 16 bytes of slack */
    char acceptbuf[2 * (sizeof(struct sockaddr_storage) + 16)];
#else
    struct iovec native_iov[AIO_MAX_IOV];
    struct msghdr msg;
#endif
} aio_rec;

struct aio_socket {
    aio_port *port;
    aio_handler handler;
    void *key;
    aio_fd fd;
    int family;
    bool closing;   /* aio_close() was called: final for the user */
    bool is_accept; /* pre-created for an accept, not yet handed to the user */
    bool in_endgame;
    int pending; /* records not IDLE + backend cancel requests in flight */
    aio_rec in, out;
    uint32_t bk_flags; /* backend bookkeeping (epoll: armed directions) */
#ifdef _WIN32
    aio_fd accepted_on; /* is_accept: the listener (SO_UPDATE_ACCEPT_CONTEXT names it) */
#endif
    struct aio_socket *next, *prev; /* port->sockets: every socket the user holds */
    struct aio_socket *endnext;     /* port->endgame */
};

typedef struct aio_signal {
    aio_handler handler;
    void *key;
    struct aio_signal *next;
} aio_signal;

typedef struct aio_backend_ops aio_backend_ops;

struct aio_port {
    const aio_backend_ops *ops;
    aio_backend kind;
    aio_mutex lock;
    aio_socket *sockets;
    aio_rec *q, *qtail;          /* outcomes waiting for dispatch */
    aio_signal *sigq, *sigtail;  /* posted signals waiting for dispatch */
    aio_socket *endgame;         /* sockets due to be freed */
    bool poller_blocked;         /* a thread sleeps in ops->wait and must be woken */
    bool wake_pending;           /* aio_port_wake: the next poll returns at once */
    bool destroying;
    void *bk; /* backend state */
#ifdef ZAIO_FAULT_INJECTION
    struct {
        int submit_error[AIO_OP_SIGNAL + 1]; /* 0: off */
        bool queue_full[AIO_OP_SIGNAL + 1];
        bool sync_success[AIO_OP_SIGNAL + 1];
        bool hold[AIO_OP_SIGNAL + 1];
        int complete_error[AIO_OP_SIGNAL + 1];
        int accept_socket;
        aio_rec *held, *heldtail;
    } fault;
#endif
};

/* What a backend implements. Called with port->lock held unless marked (unlocked). */
struct aio_backend_ops {
    const char *name;
    /* Refusing with -ENOSYS or -EPERM makes the auto choice fall back. (unlocked) */
    int (*port_init)(aio_port *p);
    void (*port_fini)(aio_port *p); /* (unlocked) after every socket is gone */
    /* Creates s->fd for a new socket and ties it to the port. (unlocked) */
    int (*socket_open)(aio_socket *s, int family);
    /* Pre-creates the socket an accept will complete into (IOCP); may be a no-op. */
    int (*accept_socket_open)(aio_socket *listener, aio_socket *as);
    /* An accepted socket got its handle: tie it to the port. */
    int (*socket_adopt)(aio_socket *s);
    /* Starts r (fields filled in by the core). Returns 0 when the backend owns the op
     * and will call aio__complete() later, or a negative errno when the op could not
     * start: the core then completes it with that error. A backend that finishes the op
     * inside submit calls aio__complete() itself and returns 0. */
    int (*submit)(aio_rec *r);
    /* Asks for r's completion to come soon (aborted or not). Each backend request
     * that will produce its own completion event counts in r->sock->pending. */
    void (*cancel)(aio_rec *r);
    /* The socket is closing: stop watching it (epoll removes it). */
    void (*socket_closing)(aio_socket *s);
    /* Endgame: release the native handle. */
    void (*socket_free)(aio_socket *s);
    /* (unlocked) Waits up to timeout_ms for native events and hands every one that is
     * ready to aio__complete() (taking the lock around that). Returns 0 or -errno. */
    int (*wait)(aio_port *p, int timeout_ms);
    /* Makes a thread blocked in wait() return. */
    void (*wake)(aio_port *p);
    /* (unlocked, any thread) aio_send_now; NULL where the backend has none. */
    int (*send_now)(aio_socket *s, const aio_slice *v, int n);
};

extern const aio_backend_ops aio__uring_ops;
extern const aio_backend_ops aio__epoll_ops;
extern const aio_backend_ops aio__iocp_ops;

/* The outcome of r is known: queue it for dispatch. Lock held. */
void aio__complete(aio_rec *r, int status, size_t bytes);
/* A backend cancel request of s finished (its own completion event arrived). */
void aio__cancel_done(aio_socket *s);

/* Counters (process-wide). */
typedef enum aio_counter {
    AIO_C_SOCKETS,
    AIO_C_ACCEPT_SOCKETS,
    AIO_C_OPS,
    AIO_C_BUFS,
    AIO_C_BUF_BYTES,
    AIO_C_PORTS,
    AIO_C_SUBMITS,
    AIO_C_COMPLETIONS,
    AIO_C_CANCELS,
    AIO_C_SUBMIT_FAILURES,
    AIO_C_SWALLOWED,
    AIO_C_SYNC_COMPLETIONS,
    AIO_C_SENDS_NOW,
    AIO_C_COUNT
} aio_counter;
void aio__count(aio_counter c, int64_t delta);

#ifndef _WIN32
/* Registers this thread for asyncio's thread-exit hook (aio_stats.c), which hands back
 * its counter shard and its cached buffers (aio__buf_thread_exit). False if it cannot. */
bool aio__thread_hook(void);
void aio__buf_thread_exit(void);
#endif

#ifdef ZAIO_FAULT_INJECTION
/* True when the test asked this submit of op to complete inside the call
 * (AIO_FAULT_SYNC_SUCCESS); the core disarms it once the submit returns. */
bool aio__fault_sync(const aio_port *p, aio_op op);
#endif

/* Portable errno for the last socket error (WSAGetLastError on Windows). */
int aio__last_error(void);
void aio__close_fd(aio_fd fd);
#ifndef _WIN32
/* aio_send_now for the backends on sockets that are plain descriptors. */
int aio__posix_send_now(aio_socket *s, const aio_slice *v, int n);
/* Points r->msg at r->native_iov, filled from the record's slices (sendmsg, recvmsg). */
void aio__posix_fill_msg(aio_rec *r);
#endif
/* The platform's text for a negative errno (aio_strerror's fallback). */
const char *aio__sys_strerror(int err);
#ifdef _WIN32
/* A Winsock (WSAE*) or Win32 (ERROR_*) code as a negative errno. */
int aio__win_errno(unsigned long err);
#endif

#endif
