/* msg.h - the inside of a zaio_msg_t. Small bodies live inline (no allocation); larger
 * ones in a refcounted aio_buf, which the TCP session can hand to aio_sendv as it is
 * (a large message goes out without a copy) and which a copy shares. */
#ifndef ZAIO_TRANSPORT_MSG_H
#define ZAIO_TRANSPORT_MSG_H

#include "aio.h"
#include "zaio.h"

#include <stdbool.h>
#include <stdint.h>

#define ZMSG_VSM 31 /* bodies up to this size are stored inline */

/* msg flags (ZAIO_MORE is bit 0, as in zmq.h) */
#define ZMSG_MORE 0x01u
/* SUB/XSUB set it on a message that is a subscription ("\x01topic") or a cancel
 * ("\x00topic"), so a TCP session sends it as SUBSCRIBE/CANCEL to a ZMTP 3.1 peer and
 * as that message to a 3.0 peer. Received subscriptions reach PUB/XPUB as messages in
 * the same form, with the flag set. */
#define ZMSG_SUBSCRIPTION 0x02u
/* The body has been shared (zaio_msg_copy of a buffer body, or a zero-copy body the
 * user owns): ZAIO_SHARED says so for good, as libzmq's flag does, even after the
 * other copy is gone. */
#define ZMSG_SHARED 0x04u

typedef struct zmeta zmeta; /* a connection's metadata, refcounted (socket.h) */

typedef struct zmsg {
    aio_buf *buf; /* NULL: the body is in vsm */
    size_t off;   /* buf: where the body starts */
    size_t size;
    zmeta *meta;  /* the connection it came in on, or NULL; one reference */
    uint8_t flags;
    uint8_t vsm[ZMSG_VSM];
} zmsg;

_Static_assert(sizeof(zmsg) <= sizeof(zaio_msg_t), "zmsg must fit in zaio_msg_t");

static inline zmsg *zmsg_of(zaio_msg_t *m) { return (zmsg *)(void *)m; }
static inline const zmsg *zmsg_cof(const zaio_msg_t *m) { return (const zmsg *)(const void *)m; }

/* All return 0 or a negative errno. */
void zmsg_init(zmsg *m);                   /* empty */
int zmsg_init_size(zmsg *m, size_t size);  /* uninitialised body */
int zmsg_init_copy(zmsg *m, const void *data, size_t size);
/* Takes a reference to b for body [off, off+size). */
void zmsg_init_buf(zmsg *m, aio_buf *b, size_t off, size_t size);
void zmsg_close(zmsg *m);                  /* drops the body; m is empty after */
void zmsg_move(zmsg *dst, zmsg *src);      /* dst closed first; src empty after */
int zmsg_copy(zmsg *dst, const zmsg *src); /* shares a buf body, copies a vsm body */
static inline uint8_t *zmsg_data(zmsg *m)
{
    return m->buf ? (uint8_t *)aio_buf_data(m->buf) + m->off : m->vsm;
}
static inline const uint8_t *zmsg_cdata(const zmsg *m)
{
    return m->buf ? (const uint8_t *)aio_buf_data(m->buf) + m->off : m->vsm;
}
static inline size_t zmsg_size(const zmsg *m) { return m->size; }
static inline bool zmsg_more(const zmsg *m) { return (m->flags & ZMSG_MORE) != 0; }
/* The body as an aio_buf slice, allocating one (and copying a vsm body) if needed.
 * For the TCP session's zero-copy send of large bodies. */
int zmsg_to_buf(zmsg *m, aio_slice *out);
void zmsg_set_meta(zmsg *m, zmeta *meta); /* takes a new reference */

/* process-wide count of live bodies in bufs, for leak checks in tests */
#endif
