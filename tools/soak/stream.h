/* stream.h - zaio-soak's traffic when the server is a STREAM socket (--type STREAM).
 *
 * A STREAM socket carries raw bytes: [routing id][a chunk as it arrived]. There are no
 * messages on the wire, so the soak frames its own: a record is the 4 bytes "ZSK1", a
 * 32-bit big-endian body length, and a body. The peer (zaio-soak-peer, a libzmq STREAM
 * socket) first sends a hello record (an empty body), then numbered records whose body
 * is traffic.h's (sequence number and padding, --msg-size bytes). The server reassembles
 * each connection's chunks, echoes every whole numbered record back as one data frame,
 * and the peer reassembles the echoes and checks them for loss, order and corruption as
 * every echo flow does.
 *
 * Every other connection is a probe, and for STREAM every probe is just a peer sending
 * data (or nothing). STREAM has no handshake and no handshake timer (zaio.h), so the
 * soak server drops them itself, with a zero-length data frame:
 *   - at once, when the first bytes are not the start of a record (http, partial,
 *     corrupt and drip probes: "GET ..." or a ZMTP greeting);
 *   - at the idle limit, when the connection has not sent a whole record within
 *     ZMQ_HANDSHAKE_IVL of its arrival (silent probes). The limit is read from the
 *     server socket's HANDSHAKE_IVL, which zaio keeps for STREAM but does not apply.
 * A connection that has sent a whole record is the peer's: it has no idle limit, and a
 * bad record from it later is a traffic fault (it is closed and counted).
 *
 * Written for zmq.h only, like traffic.c: built into zaio-soak (server) and
 * zaio-soak-peer (peer). traffic.c hands every call for a STREAM pairing to this file. */
#ifndef ZAIO_TOOLS_SOAK_STREAM_H
#define ZAIO_TOOLS_SOAK_STREAM_H

#include "traffic.h"

#include <stddef.h>
#include <stdint.h>

/* The server's view of its connections, exact. Every connection it was told of
 * (STREAM_NOTIFY) ends as exactly one of: closed by the server (bad_*, idle, fault),
 * left by the remote end (gone_*), or still open. */
typedef struct soak_stream_stats {
    uint64_t conns;          /* connections announced by STREAM_NOTIFY */
    uint64_t peers;          /* of them, the ones that sent a whole valid record */
    uint64_t bad_text;       /* closed at once: first bytes printable text (HTTP) */
    uint64_t bad_zmtp;       /* closed at once: first byte 0xFF (a ZMTP greeting) */
    uint64_t bad_other;      /* closed at once: other bytes that are not a record */
    uint64_t idle;           /* closed at the idle limit, no whole record by then */
    uint64_t fault;          /* a peer's connection closed for a bad record */
    uint64_t gone_quiet;     /* the remote end left before sending a byte (rst, fin) */
    uint64_t gone_data;      /* the remote end left after some bytes, before our close */
    uint64_t peers_gone;     /* a peer's connection left (the libzmq peer disconnected) */
    uint64_t open, open_peers; /* still in the table */
    uint64_t probe_bytes;    /* bytes read from connections that never sent a record */
    uint64_t late_chunks;    /* chunks for a connection already closed (read ahead) */
    uint64_t close_gone;     /* the zero-length frame found the peer gone (EHOSTUNREACH) */
    int idle_ms;
} soak_stream_stats;

/* traffic.c calls these for a STREAM pairing (t->stream is set by init). */
int soak_stream_init(soak_traffic *t, int is_server);
void soak_stream_fini(soak_traffic *t);
short soak_stream_events(const soak_traffic *t, uint64_t now_ns);
/* wait: what the rate alone allows (-1: no limit); returns it or a shorter one */
long soak_stream_timeout_ms(const soak_traffic *t, uint64_t now_ns, long wait);
int soak_stream_io(soak_traffic *t, uint64_t now_ns);

/* The server's counters; -1 when t is not a STREAM server's traffic. */
int soak_stream_stats_get(const soak_traffic *t, soak_stream_stats *out);
/* One summary line for the report, and why the STREAM-specific checks fail ("" when
 * they pass). Called after the settle, with the peer still connected. */
void soak_stream_verdict(const soak_traffic *t, char *line, size_t line_len, char *why,
                         size_t why_len);

/* traffic.c's body format and sending rule, for the records (traffic.c's end) */
void soak__traffic_fill(unsigned char *b, size_t size, uint64_t seq);
void soak__traffic_check(soak_traffic *t, const unsigned char *b, size_t size);
int soak__traffic_may_send(const soak_traffic *t, uint64_t now_ns);

#endif
