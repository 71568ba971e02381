/* aio_iocp.c - the Windows backend: an I/O completion port and overlapped sockets.
 *
 * Each record's OVERLAPPED is the first member of the record, so a packet's
 * LPOVERLAPPED is its record; the wake-up packet carries none. Every socket aio makes
 * (including the accept sockets pre-created for AcceptEx) is tied to the port when it
 * is created.
 *
 * Synchronous success. Sockets are NOT put in FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
 * mode: an overlapped call that succeeds at once still queues its packet, and that
 * packet is the op's one completion; submit never completes a successful op itself.
 * This is the rule AsyncIO broke (it posted a second packet of its own: release path
 * 10), and it keeps one completion path. Skip-on-success would save a trip through the
 * port, but Microsoft documents that it must not be used for sockets while a non-IFS
 * layered service provider is installed (the packet may be lost or doubled), and an
 * application cannot control what a user's machine has installed.
 * The one exception is the test fault AIO_FAULT_SYNC_SUCCESS: it puts the socket in
 * skip-on-success mode, for good (the mode cannot be undone), so that a call succeeding
 * at once queues no packet and submit completes it, through the same iocp_complete as
 * a packet: release path 10 as AsyncIO met it, where exactly one completion must come.
 *
 * Synchronous failure. A call that fails at once with anything but WSA_IO_PENDING
 * queues no packet (for the NT_ERROR statuses stream sockets produce), so submit
 * returns the mapped error and the core completes the op with it (release paths 1, 2,
 * 4): the record never stays SUBMITTED.
 *
 * Cancel is CancelIoEx on the one OVERLAPPED: its effect is the op's own packet with
 * ERROR_OPERATION_ABORTED (or its real outcome, if it won the race). There is no
 * separate cancel packet, so a cancel adds nothing to the socket's pending count. The
 * handle is closed only in the endgame, after the last packet: a late packet always
 * finds its record, its buffers and (for an accept) its accept socket alive. */
#include "aio_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SOCKET ((ULONG_PTR)1)
#define IOCP_SKIP_ON_SUCCESS 0x1u /* bk_flags: no packet for a call that succeeds at once */
#define KEY_WAKE ((ULONG_PTR)2)
#define WAIT_BATCH 128

typedef struct iocp_port {
    HANDLE iocp;
    /* the Microsoft provider's extension functions, per address family (IPv4, IPv6) */
    LPFN_ACCEPTEX acceptex[2];
    LPFN_CONNECTEX connectex[2];
} iocp_port;

static iocp_port *ip(aio_port *p) { return p->bk; }
static int fam_index(int family) { return family == AF_INET6; }

static void *extension(SOCKET s, GUID id)
{
    void *fn = NULL;
    DWORD got = 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn, &got, NULL,
                 NULL) != 0)
        return NULL;
    return fn;
}

static SOCKET overlapped_socket(int family)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) /* before Windows 7 SP1 */
        s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    return s;
}

static int iocp_port_init(aio_port *p)
{
    WSADATA wsa;
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa); /* counted: one per port, undone in fini */
    if (rc != 0)
        return aio__win_errno((unsigned long)rc);
    iocp_port *b = calloc(1, sizeof *b);
    if (!b) {
        WSACleanup();
        return -ENOMEM;
    }
    b->iocp = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!b->iocp) {
        rc = aio__win_errno(GetLastError());
        goto fail;
    }
    const int fams[2] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; i++) {
        SOCKET s = overlapped_socket(fams[i]);
        if (s == INVALID_SOCKET)
            continue; /* no IPv6 here: its sockets fail at socket_open anyway */
        b->acceptex[i] = (LPFN_ACCEPTEX)extension(s, (GUID)WSAID_ACCEPTEX);
        b->connectex[i] = (LPFN_CONNECTEX)extension(s, (GUID)WSAID_CONNECTEX);
        closesocket(s);
    }
    if (!b->acceptex[0] || !b->connectex[0]) {
        rc = -ENOSYS;
        goto fail;
    }
    p->bk = b;
    return 0;
fail:
    if (b->iocp)
        CloseHandle(b->iocp);
    free(b);
    WSACleanup();
    return rc;
}

static void iocp_port_fini(aio_port *p)
{
    /* every op has completed (the core drained them); only wake-ups may be left */
    CloseHandle(ip(p)->iocp);
    free(p->bk);
    p->bk = NULL;
    WSACleanup();
}

static int open_on_port(aio_port *p, aio_socket *s, int family)
{
    SOCKET fd = overlapped_socket(family);
    if (fd == INVALID_SOCKET)
        return aio__last_error();
    if (!CreateIoCompletionPort((HANDLE)fd, ip(p)->iocp, KEY_SOCKET, 0)) {
        int err = aio__win_errno(GetLastError());
        closesocket(fd);
        return err;
    }
    s->fd = fd;
    return 0;
}

static int iocp_socket_open(aio_socket *s, int family) { return open_on_port(s->port, s, family); }

static int iocp_accept_socket_open(aio_socket *l, aio_socket *as)
{
    as->accepted_on = l->fd;
    return open_on_port(l->port, as, l->family);
}

static int iocp_socket_adopt(aio_socket *s)
{
    /* Until this, the accepted socket has no addresses and refuses shutdown,
     * getpeername and most options. The listener is not closing (the core adopts only
     * for a live listener), so its handle is still open. */
    if (setsockopt(s->fd, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (const char *)&s->accepted_on,
                   sizeof s->accepted_on) != 0)
        return aio__last_error();
    return 0;
}

/* ConnectEx wants a bound socket; bind the wildcard unless the user bound it. */
static int bind_for_connect(aio_socket *s)
{
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = (ADDRESS_FAMILY)s->family; /* the wildcard address, port 0 */
    int len = s->family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) : (int)sizeof(struct sockaddr_in);
    if (bind(s->fd, (struct sockaddr *)&any, len) == 0)
        return 0;
    int err = WSAGetLastError();
    return err == WSAEINVAL ? 0 : aio__win_errno((unsigned long)err); /* EINVAL: bound already */
}

/* Points the record's WSABUFs at its slices (WSARecv, WSASend). */
static void fill_wsabuf(aio_rec *r)
{
    for (int i = 0; i < r->niov; i++) {
        r->wsabuf[i].buf = (char *)aio_buf_data(r->iov[i].buf) + r->iov[i].off;
        r->wsabuf[i].len = (ULONG)r->iov[i].len;
    }
}

static int pending_or_error(void)
{
    int err = WSAGetLastError();
    return err == WSA_IO_PENDING ? 0 : aio__win_errno((unsigned long)err);
}

static void iocp_complete(aio_rec *r, DWORD bytes);

/* A call returned success at once: its packet completes it, unless the socket is in
 * skip-on-success mode, where no packet comes and the outcome is already in r->ov. */
static int succeeded_at_once(aio_rec *r, DWORD bytes)
{
    if (r->sock->bk_flags & IOCP_SKIP_ON_SUCCESS)
        iocp_complete(r, bytes);
    return 0;
}

#ifdef ZAIO_FAULT_INJECTION
static int skip_on_success(aio_socket *s)
{
    if (s->bk_flags & IOCP_SKIP_ON_SUCCESS)
        return 0;
    if (!SetFileCompletionNotificationModes((HANDLE)s->fd, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS))
        return aio__win_errno(GetLastError());
    s->bk_flags |= IOCP_SKIP_ON_SUCCESS;
    return 0;
}
#endif

static int iocp_submit(aio_rec *r)
{
    aio_socket *s = r->sock;
    iocp_port *b = ip(s->port);
#ifdef ZAIO_FAULT_INJECTION
    if (aio__fault_sync(s->port, r->op)) {
        int rc = skip_on_success(s);
        if (rc < 0)
            return rc;
    }
#endif
    memset(&r->ov, 0, sizeof r->ov);
    DWORD got = 0;
    /* a byte count with an OVERLAPPED means something only for a call that succeeds
     * at once and queues no packet: skip-on-success mode */
    DWORD *gotp = (s->bk_flags & IOCP_SKIP_ON_SUCCESS) ? &got : NULL;
    switch (r->op) {
    case AIO_OP_ACCEPT: {
        DWORD alen = sizeof(struct sockaddr_storage) + 16; /* AcceptEx's required slack */
        LPFN_ACCEPTEX acceptex = b->acceptex[fam_index(s->family)];
        if (!acceptex)
            return -EAFNOSUPPORT;
        if (!acceptex(s->fd, r->accept_sock->fd, r->acceptbuf, 0, alen, alen, &got, &r->ov))
            return pending_or_error();
        return succeeded_at_once(r, 0);
    }
    case AIO_OP_CONNECT: {
        LPFN_CONNECTEX connectex = b->connectex[fam_index(s->family)];
        if (!connectex)
            return -EAFNOSUPPORT;
        int rc = bind_for_connect(s);
        if (rc < 0)
            return rc;
        if (!connectex(s->fd, (const struct sockaddr *)&r->addr, (int)r->addrlen, NULL, 0, NULL,
                       &r->ov))
            return pending_or_error();
        return succeeded_at_once(r, 0);
    }
    case AIO_OP_RECV: {
        DWORD flags = 0;
        fill_wsabuf(r);
        if (WSARecv(s->fd, r->wsabuf, (DWORD)r->niov, gotp, &flags, &r->ov, NULL) != 0)
            return pending_or_error();
        return succeeded_at_once(r, got);
    }
    case AIO_OP_SEND:
        fill_wsabuf(r);
        if (WSASend(s->fd, r->wsabuf, (DWORD)r->niov, gotp, 0, &r->ov, NULL) != 0)
            return pending_or_error();
        return succeeded_at_once(r, got);
    default:
        return -EINVAL;
    }
}

static void iocp_cancel(aio_rec *r)
{
    aio_socket *s = r->sock;
    if (s->fd == AIO_FD_NONE)
        return; /* closed below for the other record: that aborted this op too */
    if (CancelIoEx((HANDLE)s->fd, &r->ov))
        return;
    if (GetLastError() == ERROR_NOT_FOUND)
        return; /* finished already: its packet is queued or being handed over */
    /* CancelIoEx refused for another reason: closing the handle aborts every op on it
     * for certain, and each still completes through the port */
    aio__close_fd(s->fd);
    s->fd = AIO_FD_NONE;
}

static void iocp_socket_closing(aio_socket *s)
{
    (void)s; /* the handle stays open until the endgame, so no packet outlives it */
}

static void iocp_socket_free(aio_socket *s)
{
    if (s->fd != AIO_FD_NONE)
        aio__close_fd(s->fd);
    s->fd = AIO_FD_NONE;
}

/* An AcceptEx whose connection the peer reset before it was accepted (release path 5)
 * fails with ERROR_NETNAME_DELETED on Windows; wine 8 fails it with ERROR_UNEXP_NET_ERR
 * (the accepted Unix socket's getpeername says ENOTCONN, which wine maps to
 * STATUS_INVALID_CONNECTION). Both are what Linux's accept calls ECONNABORTED. */
static int accept_error(DWORD e)
{
    if (e == ERROR_NETNAME_DELETED || e == ERROR_UNEXP_NET_ERR)
        return -ECONNABORTED;
    return aio__win_errno(e);
}

/* The outcome of one packet. Lock held. */
static void iocp_complete(aio_rec *r, DWORD bytes)
{
    DWORD n = 0;
    int status = 0;
    /* GetOverlappedResult turns the NTSTATUS the kernel left in the OVERLAPPED into a
     * Win32 error; with bWait FALSE it reads only the OVERLAPPED, so a handle the
     * cancel fallback closed does not matter */
    if (!GetOverlappedResult((HANDLE)r->sock->fd, &r->ov, &n, FALSE)) {
        DWORD e = GetLastError();
        status = r->op == AIO_OP_ACCEPT ? accept_error(e) : aio__win_errno(e);
        bytes = 0;
    }
    if (status == 0 && r->op == AIO_OP_CONNECT) {
        /* without it the connected socket refuses getpeername, shutdown and options */
        if (setsockopt(r->sock->fd, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0) != 0)
            status = aio__last_error();
    }
    aio__complete(r, status, status == 0 ? bytes : 0);
}

static int iocp_wait(aio_port *p, int timeout_ms)
{
    OVERLAPPED_ENTRY ev[WAIT_BATCH];
    ULONG n = 0;
    int err = 0;
    DWORD wait = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
    if (!GetQueuedCompletionStatusEx(ip(p)->iocp, ev, WAIT_BATCH, &n, wait, FALSE)) {
        DWORD e = GetLastError();
        n = 0;
        if (e != WAIT_TIMEOUT)
            err = aio__win_errno(e);
    }
    aio__lock(&p->lock);
    p->poller_blocked = false;
    for (ULONG i = 0; i < n; i++) {
        if (!ev[i].lpOverlapped)
            continue; /* a wake-up */
        aio_rec *r = (aio_rec *)ev[i].lpOverlapped; /* ov is the record's first member */
        iocp_complete(r, ev[i].dwNumberOfBytesTransferred);
    }
    aio__unlock(&p->lock);
    return err;
}

static void iocp_wake(aio_port *p)
{
    /* if the port cannot take the packet the system is out of memory; the poller then
     * returns at its timeout, or with the next packet */
    PostQueuedCompletionStatus(ip(p)->iocp, 0, KEY_WAKE, NULL);
}

const aio_backend_ops aio__iocp_ops = {
    .name = "iocp",
    .port_init = iocp_port_init,
    .port_fini = iocp_port_fini,
    .socket_open = iocp_socket_open,
    .accept_socket_open = iocp_accept_socket_open,
    .socket_adopt = iocp_socket_adopt,
    .submit = iocp_submit,
    .cancel = iocp_cancel,
    .socket_closing = iocp_socket_closing,
    .socket_free = iocp_socket_free,
    .wait = iocp_wait,
    .wake = iocp_wake,
};
