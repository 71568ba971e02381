/* zap.h - the client side of ZAP (RFC 27, the ZeroMQ Authentication Protocol), as a TCP
 * session runs it for its handshake: one request to the handler bound at
 * inproc://zeromq.zap.01 in the socket's context, one reply.
 *
 * The session owns the pipe end and watches it like its other pipe (notifications come
 * through its I/O thread's mailbox), so waiting for a handler never blocks the thread. */
#ifndef ZAIO_TRANSPORT_ZAP_H
#define ZAIO_TRANSPORT_ZAP_H

#include "core/pipe.h"

#include <stddef.h>
#include <stdint.h>

typedef struct zctx zctx;

#define ZZAP_ENDPOINT "zeromq.zap.01"

/* What a request carries (RFC 27): the credentials are the mechanism's (PLAIN:
 * username then password; NULL: none). */
typedef struct zzap_request {
    const char *domain;     /* ZAP_DOMAIN */
    const char *address;    /* the peer's IP address */
    const uint8_t *routing_id;
    size_t routing_id_len;  /* the socket's own ROUTING_ID, as libzmq sends */
    const char *mechanism;  /* "NULL", "PLAIN" */
    const uint8_t *cred[2];
    size_t cred_len[2];
    int ncred;
} zzap_request;

typedef struct zzap_reply {
    int status;             /* 200, 300, 400 or 500 */
    char user_id[256];      /* NUL-terminated; longer ones are cut */
    uint8_t *md;            /* the handler's metadata (a ZMTP property list), malloc'd */
    size_t md_len;
} zzap_reply;

enum {
    ZZAP_PENDING = 0,  /* no reply yet: wait for the pipe's ZPIPE_READABLE */
    ZZAP_REPLIED = 1,  /* *reply is filled in */
    ZZAP_BAD = -1,     /* the reply is malformed: *code says how (ZAIO_PROTOCOL_ERROR_ZAP_*) */
    ZZAP_GONE = -2,    /* the handler went away without replying */
    ZZAP_NOMEM = -3
};

/* A pipe to the context's handler: 0 and *mine, or -ECONNREFUSED when nothing is bound
 * at ZZAP_ENDPOINT, or -ENOMEM. The handler's socket gets the other end. */
int zzap_open(zctx *c, zpipe_end **mine);
/* Writes the request: 0, or -EPIPE when the handler is gone, or -ENOMEM. */
int zzap_send(zpipe_end *e, const zzap_request *r);
/* Reads the reply if it has come. */
int zzap_recv(zpipe_end *e, zzap_reply *reply, uint32_t *code);
/* Frees what a reply holds (its metadata). */
void zzap_reply_fini(zzap_reply *reply);

#endif
