/* aio_win.c - the few platform calls the core needs, Windows side, and the one mapping
 * of Windows error codes onto the negative errno values the Linux backends report, so a
 * user (and the contract suite) sees -ECONNRESET for a reset whatever the platform.
 *
 * Two code spaces arrive here: Winsock's (WSAGetLastError, WSAE*) from calls made
 * synchronously, and Win32's (GetLastError, ERROR_*) from GetOverlappedResult, which
 * translates the NTSTATUS of a finished overlapped op: STATUS_CONNECTION_RESET becomes
 * ERROR_NETNAME_DELETED there, not WSAECONNRESET. Both are mapped in one table. */
#include "aio_internal.h"

#include <errno.h>
#include <string.h>

int aio__win_errno(unsigned long err)
{
    switch (err) {
    case 0: return 0;
    case WSAECONNRESET:
    case WSAENETRESET:
    case WSAEDISCON:
    case ERROR_NETNAME_DELETED: /* STATUS_CONNECTION_RESET / LOCAL_ / REMOTE_DISCONNECT */
        return -ECONNRESET;
    case WSAECONNABORTED:
    case ERROR_CONNECTION_ABORTED:
        return -ECONNABORTED;
    case ERROR_OPERATION_ABORTED: /* == WSA_OPERATION_ABORTED: CancelIoEx, or the handle closed */
        return -ECANCELED;
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
        return -ECONNREFUSED;
    case WSAENETUNREACH:
    case ERROR_NETWORK_UNREACHABLE:
        return -ENETUNREACH;
    case WSAEHOSTUNREACH:
    case ERROR_HOST_UNREACHABLE:
        return -EHOSTUNREACH;
    case WSAENETDOWN: return -ENETDOWN;
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT: /* STATUS_IO_TIMEOUT: a connect whose SYNs went unanswered */
        return -ETIMEDOUT;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:
        return -EAFNOSUPPORT;
    case WSAEPROTONOSUPPORT: return -EPROTONOSUPPORT;
    case WSAEADDRINUSE: return -EADDRINUSE;
    case WSAEADDRNOTAVAIL: return -EADDRNOTAVAIL;
    case WSAEINVAL:
    case ERROR_INVALID_PARAMETER:
        return -EINVAL;
    case WSAEFAULT: return -EFAULT;
    case WSAEMFILE:
    case ERROR_TOO_MANY_OPEN_FILES: /* a Unix EMFILE as wine reports it */
        return -EMFILE;
    case WSAENOBUFS: return -ENOBUFS;
    case ERROR_NOT_ENOUGH_MEMORY: /* == WSA_NOT_ENOUGH_MEMORY */
    case ERROR_OUTOFMEMORY:
        return -ENOMEM;
    case WSAENOTCONN:
    case ERROR_CONNECTION_INVALID:
        return -ENOTCONN;
    case WSAEISCONN: return -EISCONN;
    case WSAESHUTDOWN: return -EPIPE;
    case WSAENOTSOCK: return -ENOTSOCK;
    case ERROR_INVALID_HANDLE: return -EBADF;
    case WSAEWOULDBLOCK: return -EAGAIN;
    case WSAEALREADY: return -EALREADY;
    case WSAEINPROGRESS: return -EINPROGRESS;
    case WSAEACCES:
    case ERROR_ACCESS_DENIED:
        return -EACCES;
    case WSAEMSGSIZE: return -EMSGSIZE;
    case WSAEOPNOTSUPP: return -EOPNOTSUPP;
    case WSAEINTR: return -EINTR;
    default: return -EIO; /* no errno says more; the code is lost, the failure is not */
    }
}

int aio__last_error(void) { return aio__win_errno((unsigned long)WSAGetLastError()); }

void aio__close_fd(aio_fd fd)
{
    /* closing a socket with overlapped ops still pending aborts them: each still
     * completes (ERROR_OPERATION_ABORTED) through the port, never silently */
    (void)closesocket(fd);
}

const char *aio__sys_strerror(int err)
{
    /* the C runtime's strerror knows only the old MS-DOS numbers: "Unknown error" for
     * every network errno mingw's errno.h defines */
    switch (err) {
    case -ECONNRESET: return "connection reset by peer";
    case -ECONNABORTED: return "connection aborted";
    case -ECONNREFUSED: return "connection refused";
    case -ENETUNREACH: return "network is unreachable";
    case -EHOSTUNREACH: return "no route to host";
    case -ENETDOWN: return "network is down";
    case -ETIMEDOUT: return "connection timed out";
    case -EAFNOSUPPORT: return "address family not supported by protocol";
    case -EPROTONOSUPPORT: return "protocol not supported";
    case -EADDRINUSE: return "address already in use";
    case -EADDRNOTAVAIL: return "cannot assign requested address";
    case -ENOBUFS: return "no buffer space available";
    case -ENOTCONN: return "transport endpoint is not connected";
    case -EISCONN: return "transport endpoint is already connected";
    case -ENOTSOCK: return "socket operation on non-socket";
    case -EALREADY: return "operation already in progress";
    case -EINPROGRESS: return "operation now in progress";
    case -EMSGSIZE: return "message too long";
    case -EOPNOTSUPP: return "operation not supported";
    case -ETIME: return "timer expired";
    default: return strerror(-err);
    }
}
