/* endpoint.h - what zaio_bind / zaio_connect create, and the transports behind them:
 * tcp:// (tcp_listener.c, tcp_session.c) and inproc:// (inproc.c). */
#ifndef ZAIO_TRANSPORT_ENDPOINT_H
#define ZAIO_TRANSPORT_ENDPOINT_H

#include "socket.h"

#include <stdbool.h>

typedef enum zendpoint_kind { ZEP_TCP_BIND, ZEP_TCP_CONNECT, ZEP_INPROC_BIND, ZEP_INPROC_CONNECT } zendpoint_kind;

struct zendpoint {
    zendpoint *next;
    zendpoint_kind kind;
    char given[256];    /* as the user wrote it (zaio_unbind/disconnect match either) */
    char resolved[256]; /* tcp://127.0.0.1:40123 after a wildcard port */
    void *impl;
    /* Ends it: unbind, disconnect, or the socket closing. Called on the socket's
     * thread; the transport releases impl (at once or later on its I/O thread, after
     * linger) and never touches ep or the socket afterwards. ep is freed by the core. */
    void (*close)(zendpoint *ep, zsock *s, int linger);
};

/* "tcp://host:port" parsed: host "*" means any; port 0 or "*" means any. */
typedef struct ztcp_addr {
    struct sockaddr_storage ss;
    socklen_t len;
} ztcp_addr;
/* Resolves host:port (numeric first, then getaddrinfo; IPv6 in brackets). For bind,
 * "*" is INADDR_ANY (or in6addr_any with ZAIO_IPV6). Returns 0 or -errno. */
int ztcp_resolve(const char *hostport, bool for_bind, bool ipv6, ztcp_addr *out);
/* Formats "tcp://a.b.c.d:port" or "tcp://[v6]:port". */
void ztcp_format(const struct sockaddr_storage *ss, char *out, size_t cap);

/* IP options for a TCP socket of family, set before it binds or connects: TOS (so a
 * SYN carries it) and, with_device, BINDTODEVICE, whose failure is returned (the bind's
 * error, or a failed connect attempt); none for ipc. 0 or -errno. (tcp_session.c) */
int ztcp_ip_options(aio_socket *as, const zopts *o, int family, bool with_device);

/* tcp:// — on success *ep is filled in (kind, impl, close, resolved). */
int ztcp_bind(zsock *s, const char *hostport, zendpoint *ep);
int ztcp_connect(zsock *s, const char *hostport, zendpoint *ep);

/* ipc:// (ipc_addr.c): the same listener and session over a Unix-domain socket. */
int zipc_bind(zsock *s, const char *path, zendpoint *ep);
int zipc_connect(zsock *s, const char *path, zendpoint *ep);
/* path, "@abstract" or (bind) "*", the wildcard: a fresh path in a new directory under
 * TMPDIR, named in tmpdir (for zipc_remove). -ENAMETOOLONG past sun_path, -EINVAL for "" or a "*"
 * connect. Windows: -EPROTONOSUPPORT. */
int zipc_resolve(const char *path, bool for_bind, ztcp_addr *out, char *tmpdir, size_t tmpcap);
/* "ipc://path" or "ipc://@name". */
void zipc_format(const ztcp_addr *a, char *out, size_t cap);
/* Before a bind: a socket file nobody accepts on is removed; -EADDRINUSE if somebody does. */
int zipc_clear_stale(const ztcp_addr *a);
/* After the listener: its file goes (a may be NULL: none), and the directory of an
 * wildcard bind (tmpdir may be NULL or empty: none). */
void zipc_remove(const ztcp_addr *a, const char *tmpdir);
/* inproc:// */
int zinproc_bind(zsock *s, const char *name, zendpoint *ep);
int zinproc_connect(zsock *s, const char *name, zendpoint *ep);
/* A pipe from an I/O-side client (a session's ZAP request) to the socket bound at name,
 * which attaches the other end: 0 and *mine (no HWM either way), or -ECONNREFUSED when
 * nothing is bound there now. */
int zinproc_open(zctx *c, const char *name, zpipe_end **mine);
/* The socket closes: inproc bindings of s go (called with the socket's thread). */
#endif
