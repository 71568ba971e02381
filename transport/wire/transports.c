/* transports.c - the schemes zaio_bind and zaio_connect know, for the core
 * (core/endpoint.h): it asks here instead of naming the transports itself. */
#include "wire/wire.h"

#include <string.h>

void zinproc_ctx_fini(zctx *c); /* inproc.c */

static const ztransport transports[] = {
    {"tcp", ztcp_bind, ztcp_connect},
    {"ipc", zipc_bind, zipc_connect},
    {"inproc", zinproc_bind, zinproc_connect},
};

const ztransport *ztransport_find(const char *scheme, size_t len)
{
    for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
        if (strlen(transports[i].scheme) == len && memcmp(transports[i].scheme, scheme, len) == 0)
            return &transports[i];
    return NULL;
}

void ztransport_ctx_fini(zctx *c) { zinproc_ctx_fini(c); }
