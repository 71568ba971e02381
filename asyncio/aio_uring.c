/* aio_uring.c - the Linux completion backend on io_uring.
 *
 * An SQE's user_data is its record; a cancel SQE's is the record with bit 0 set, and a
 * wake-up NOP's is 0. A record is freed (with its socket) only after the CQE of its op
 * AND the CQE of its cancel request have both arrived: the cancel request counts in the
 * socket's pending count like an op.
 *
 * recv and send first try the call without waiting, as WSARecv/WSASend do on Windows: a
 * connection with data (or an error) ready completes inside the submit, saving a round
 * trip through the ring, and a connection reset before the first recv fails at once, the
 * probe case that AsyncIO 0.1.26 leaked on. Except a recv right after one that took less
 * than it asked for, and a send right after one that sent less: the connection was
 * drained (or its send buffer full) then, so the try would almost surely find nothing
 * to do (a request/reply exchange, every recv; a large message, every send) and cost a
 * system call for it; that op goes to the ring at once, whose submit makes the same
 * attempt in the kernel.
 *
 * Locking: SQEs are prepared and submitted under the port lock from any thread; only the
 * polling thread waits on and reaps the CQ. The wait is a bare io_uring_enter with no SQ
 * access (EXT_ARG timeout), so it never races a submitter. */
#include "aio_internal.h"

#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define URING_ENTRIES 1024
#define TAG_CANCEL ((uintptr_t)1)
#define UR_RECV_SHORT 0x1u /* bk_flags: the last recv took less than it asked for */
#define UR_SEND_SHORT 0x2u /* bk_flags: the last send sent less than it was given */

typedef struct ur_port {
    struct io_uring ring;
} ur_port;

static struct io_uring *ring(aio_port *p) { return &((ur_port *)p->bk)->ring; }

static int ur_port_init(aio_port *p)
{
    ur_port *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    /* SUBMIT_ALL: a bad SQE must not leave the ones behind it stranded in the ring */
    struct io_uring_params prm = {.flags = IORING_SETUP_SUBMIT_ALL};
    int rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &prm);
    if (rc == -EINVAL) {
        memset(&prm, 0, sizeof prm);
        rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &prm);
    }
    if (rc < 0) {
        free(u);
        return rc; /* -ENOSYS, -EPERM: the core falls back to epoll */
    }
    /* what this backend relies on; an older kernel is as good as none */
    struct io_uring_probe *pr = io_uring_get_probe_ring(&u->ring);
    bool ok = pr && (u->ring.features & IORING_FEAT_EXT_ARG) &&
              io_uring_opcode_supported(pr, IORING_OP_ACCEPT) &&
              io_uring_opcode_supported(pr, IORING_OP_CONNECT) &&
              io_uring_opcode_supported(pr, IORING_OP_RECV) &&
              io_uring_opcode_supported(pr, IORING_OP_SENDMSG) &&
              io_uring_opcode_supported(pr, IORING_OP_ASYNC_CANCEL);
    if (pr)
        io_uring_free_probe(pr);
    if (!ok) {
        io_uring_queue_exit(&u->ring);
        free(u);
        return -ENOSYS;
    }
    p->bk = u;
    return 0;
}

static void ur_port_fini(aio_port *p)
{
    io_uring_queue_exit(ring(p));
    free(p->bk);
    p->bk = NULL;
}

static int ur_socket_open(aio_socket *s, int family)
{
    s->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return s->fd < 0 ? -errno : 0;
}

static int ur_accept_socket_open(aio_socket *l, aio_socket *as)
{
    (void)l; /* the kernel creates the socket when the accept completes */
    (void)as;
    return 0;
}

static int ur_socket_adopt(aio_socket *s)
{
    (void)s;
    return 0;
}

/* An SQE, flushing the queue once if it is full. NULL only if the kernel took none. */
static struct io_uring_sqe *ur_sqe(aio_port *p)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring(p));
    if (!sqe) {
        io_uring_submit(ring(p));
        sqe = io_uring_get_sqe(ring(p));
    }
    return sqe;
}

/* Notes whether a recv drained the connection, or a send filled its buffer, when it
 * moved n bytes (see the notes above). */
static void ur_note(aio_rec *r, size_t n)
{
    size_t asked = 0;
    for (int i = 0; i < r->niov; i++)
        asked += r->iov[i].len;
    uint32_t flag = r->op == AIO_OP_RECV ? UR_RECV_SHORT : UR_SEND_SHORT;
    if (n < asked)
        r->sock->bk_flags |= flag;
    else
        r->sock->bk_flags &= ~flag;
}

/* recv/send without waiting. 1: completed, 0: would block, <0: failed. */
static int ur_try_now(aio_rec *r)
{
    ssize_t n;
    if (r->op == AIO_OP_RECV && r->niov == 1)
        n = recv(r->sock->fd, (char *)aio_buf_data(r->iov[0].buf) + r->iov[0].off, r->iov[0].len,
                 MSG_DONTWAIT);
    else if (r->op == AIO_OP_RECV)
        n = recvmsg(r->sock->fd, &r->msg, MSG_DONTWAIT);
    else
        n = sendmsg(r->sock->fd, &r->msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
    ur_note(r, (size_t)n);
    aio__complete(r, 0, (size_t)n);
    return 1;
}

static int ur_submit(aio_rec *r)
{
    aio_port *p = r->sock->port;
    /* AIO_FAULT_SYNC_SUCCESS (recv, send) asks for no more than this backend does
     * unless the last op was short: the try below completes the op inside the submit
     * when the call succeeds, and the fault has it tried whatever came before */
    if (r->op == AIO_OP_SEND || r->niov > 1)
        aio__posix_fill_msg(r);
    bool try_now = (r->op == AIO_OP_RECV && !(r->sock->bk_flags & UR_RECV_SHORT)) ||
                   (r->op == AIO_OP_SEND && !(r->sock->bk_flags & UR_SEND_SHORT));
#ifdef ZAIO_FAULT_INJECTION
    try_now = try_now ||
              ((r->op == AIO_OP_RECV || r->op == AIO_OP_SEND) && aio__fault_sync(p, r->op));
#endif
    if (try_now) {
        int rc = ur_try_now(r);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    if (r->op == AIO_OP_CONNECT && r->addr.ss_family != r->sock->family)
        return -EAFNOSUPPORT; /* what connect(2) says at once; the ring would say it later */

    struct io_uring_sqe *sqe = ur_sqe(p);
    if (!sqe)
        return -EAGAIN; /* submission queue full */
    int fd = r->sock->fd;
    switch (r->op) {
    case AIO_OP_ACCEPT:
        r->addrlen = sizeof r->addr;
        io_uring_prep_accept(sqe, fd, (struct sockaddr *)&r->addr, &r->addrlen, SOCK_CLOEXEC);
        break;
    case AIO_OP_CONNECT:
        io_uring_prep_connect(sqe, fd, (struct sockaddr *)&r->addr, r->addrlen);
        break;
    case AIO_OP_RECV:
        if (r->niov == 1)
            io_uring_prep_recv(sqe, fd, (char *)aio_buf_data(r->iov[0].buf) + r->iov[0].off,
                               r->iov[0].len, 0);
        else
            io_uring_prep_recvmsg(sqe, fd, &r->msg, 0);
        break;
    case AIO_OP_SEND:
        io_uring_prep_sendmsg(sqe, fd, &r->msg, MSG_NOSIGNAL);
        break;
    default:
        return -EINVAL;
    }
    io_uring_sqe_set_data(sqe, r);
    /* A refused io_uring_enter (-EBUSY while the CQ overflows) leaves the SQE in the
     * ring, where the next submit takes it: the op is ours to complete either way. */
    io_uring_submit(ring(p));
    return 0;
}

static void ur_cancel(aio_rec *r)
{
    aio_port *p = r->sock->port;
    struct io_uring_sqe *sqe;
    /* A cancel must not be dropped: without it a pending recv would hold its socket
     * forever. The kernel consumes every SQE at submit (SUBMIT_ALL), so this ends. */
    while (!(sqe = ur_sqe(p)))
        ;
    io_uring_prep_cancel(sqe, r, 0);
    io_uring_sqe_set_data(sqe, (void *)((uintptr_t)r | TAG_CANCEL));
    r->sock->pending++; /* the cancel's own CQE: the record lives until it arrives too */
    io_uring_submit(ring(p));
}

static void ur_socket_closing(aio_socket *s) { (void)s; }

static void ur_socket_free(aio_socket *s)
{
    if (s->fd != AIO_FD_NONE)
        close(s->fd);
    s->fd = AIO_FD_NONE;
}

static void ur_complete(aio_rec *r, int res)
{
    switch (r->op) {
    case AIO_OP_ACCEPT:
        if (res >= 0) {
            r->accept_sock->fd = res;
            aio__complete(r, 0, 0);
        } else {
            aio__complete(r, res, 0);
        }
        break;
    case AIO_OP_CONNECT:
        aio__complete(r, res < 0 ? res : 0, 0);
        break;
    default:
        if (res > 0)
            ur_note(r, (size_t)res);
        aio__complete(r, res < 0 ? res : 0, res < 0 ? 0 : (size_t)res);
        break;
    }
}

static int ur_wait(aio_port *p, int timeout_ms)
{
    struct io_uring *rg = ring(p);
    int err = 0;
    if (timeout_ms != 0 && io_uring_cq_ready(rg) == 0) {
        struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
                                       .tv_nsec = (long long)(timeout_ms % 1000) * 1000000};
        struct io_uring_getevents_arg arg = {.ts = timeout_ms > 0 ? (uint64_t)(uintptr_t)&ts : 0};
        long rc = syscall(__NR_io_uring_enter, rg->ring_fd, 0, 1,
                          IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
        if (rc < 0 && errno != ETIME && errno != EINTR && errno != EAGAIN && errno != EBUSY)
            err = -errno;
    }
    aio__lock(&p->lock);
    p->poller_blocked = false;
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(rg, head, cqe)
    {
        uintptr_t ud = (uintptr_t)io_uring_cqe_get_data(cqe);
        n++;
        if (ud == 0)
            continue; /* a wake-up */
        aio_rec *r = (aio_rec *)(ud & ~TAG_CANCEL);
        if (ud & TAG_CANCEL)
            aio__cancel_done(r->sock);
        else
            ur_complete(r, cqe->res);
    }
    io_uring_cq_advance(rg, n);
    aio__unlock(&p->lock);
    return err;
}

static void ur_wake(aio_port *p)
{
    struct io_uring_sqe *sqe = ur_sqe(p);
    if (!sqe)
        return;
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data(sqe, NULL);
    io_uring_submit(ring(p));
}

const aio_backend_ops aio__uring_ops = {
    .name = "uring",
    .port_init = ur_port_init,
    .port_fini = ur_port_fini,
    .socket_open = ur_socket_open,
    .accept_socket_open = ur_accept_socket_open,
    .socket_adopt = ur_socket_adopt,
    .submit = ur_submit,
    .cancel = ur_cancel,
    .socket_closing = ur_socket_closing,
    .socket_free = ur_socket_free,
    .wait = ur_wait,
    .wake = ur_wake,
    .send_now = aio__posix_send_now,
};
