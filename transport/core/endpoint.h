/* endpoint.h - what zaio_bind / zaio_connect create (a zendpoint) and the interface of
 * the transports that make them. The transports live above the core (wire/); the core
 * names them only through ztransport_find, defined in wire/transports.c, so no file of
 * core/ includes a header of wire/. */
#ifndef ZAIO_CORE_ENDPOINT_H
#define ZAIO_CORE_ENDPOINT_H

#include "core/socket.h"

#include <stddef.h>

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

/* One scheme ("tcp", "ipc", "inproc"): on success bind/connect fill in *ep (kind, impl,
 * close, resolved); 0 or -errno. */
typedef struct ztransport {
    const char *scheme;
    int (*bind)(zsock *s, const char *address, zendpoint *ep);
    int (*connect)(zsock *s, const char *address, zendpoint *ep);
} ztransport;

/* The transport for scheme[0..len), or NULL (wire/transports.c). */
const ztransport *ztransport_find(const char *scheme, size_t len);
/* The context is gone: each transport releases what it kept per context (inproc's
 * names). Called once by zaio_ctx_term, after every socket and session has ended. */
void ztransport_ctx_fini(zctx *c);
#endif
