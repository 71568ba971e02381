/* wire.h - the transports behind zaio_bind / zaio_connect: tcp:// and ipc:// (one
 * listener, listener.c, and one session, stream_session.c, over a stream socket;
 * tcp_addr.c and ipc_addr.c parse the addresses) and inproc:// (inproc.c). The core
 * reaches them only through ztransport_find (core/endpoint.h, transports.c). */
#ifndef ZAIO_TRANSPORT_WIRE_H
#define ZAIO_TRANSPORT_WIRE_H

#include "core/endpoint.h"
#include "core/socket.h"

#include <stdbool.h>

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
 * error, or a failed connect attempt); none for ipc. 0 or -errno. (stream_session.c) */
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
#endif
