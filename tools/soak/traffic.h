/* traffic.h - the soak's real traffic, checked for loss and order: one engine written
 * for zmq.h and compiled twice, into zaio-soak against zaio (include/compat) for the
 * server's side and into zaio-soak-peer against libzmq for the peer's side, so both
 * sides number, send, echo and check messages the same way.
 *
 * The server's socket type picks the peer's type and the flow:
 *   echo         the peer sends, the server echoes, the peer checks   ROUTER REP DEALER PAIR
 *   peer-echoes  the server sends, the peer echoes, the server checks REQ
 *   to-server    the peer sends, the server checks                    PULL SUB XSUB
 *   from-server  the server sends, the peer checks                    PUSH PUB XPUB
 * STREAM (raw bytes both ways, a libzmq STREAM peer) is an echo flow whose records are
 * framed by stream.c, to which traffic.c hands every call.
 * A message body is an 8-byte big-endian sequence number, padded to the message size
 * with the sequence's low byte, so a corrupt body is caught as well as a lost one. Every
 * flow but PUB's waits for the subscription, so only PUB may skip a first few messages.
 *
 * The engine never blocks: its owner polls the socket for soak_traffic_events() and
 * calls soak_traffic_io() with what came back, at least every soak_traffic_timeout_ms(). */
#ifndef ZAIO_TOOLS_SOAK_TRAFFIC_H
#define ZAIO_TOOLS_SOAK_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

typedef enum soak_flow {
    SOAK_FLOW_ECHO,
    SOAK_FLOW_PEER_ECHOES,
    SOAK_FLOW_TO_SERVER,
    SOAK_FLOW_FROM_SERVER
} soak_flow;

/* The server's type (ZMQ_ROUTER, ...) names the peer's type and the flow; -1 when the
 * type has no soak pairing. Values are zmq.h's, identical in zaio and libzmq. */
int soak_peer_type(int server_type, soak_flow *flow);
const char *soak_type_name(int type);
int soak_parse_type(const char *name); /* "router", "ROUTER" -> 6; -1 when unknown */

typedef struct soak_traffic {
    void *sock;
    int type;
    int sends, echoes, checks; /* this side's roles in the flow */
    int subscribed;            /* an XPUB sender: the subscription has arrived (others: 1) */
    int stopping;              /* no new messages; echo and check what still comes */
    size_t size;               /* body bytes, at least 8 */
    double rate;               /* sends per second; 0: only the window limits */
    uint64_t window;           /* echo flows: sent but not yet back, at most */
    uint64_t start_ns;
    /* counters: exact, this side's view */
    uint64_t sent, received, echoed;
    uint64_t lost, reordered, corrupt, errors;
    uint64_t skipped;          /* a PUB server's SUB peer only: messages published before
                                * the subscription reached the PUB (not sent, by PUB's rules) */
    int may_skip;              /* that peer: the first message seen sets the start */
    uint64_t gaps;             /* runs of lost messages (zaio-soak --faults: one per cut) */
    /* Echo flows: after this long with the window full and nothing back, the messages
     * out are written off (the checker still counts them lost), so that a connection
     * cut with the whole window in it does not stall the sender for good. 0: never (a
     * soak without faults loses nothing, and a stall there is a finding). */
    uint64_t stall_ns;
    uint64_t last_rx_ns, written_off;
    uint64_t expected;         /* the next sequence number the checker wants */
    int first_seen;
    int last_errno;
    int rep_envelope;          /* a DEALER peer of a REP server: an empty delimiter first */
    void *pending;             /* the message held while the socket says EAGAIN (traffic.c) */
    void *stream;              /* a STREAM pairing: its own framing (stream.h) */
} soak_traffic;

/* Sets up t for sock as the server's side (is_server; sock's type is server_type) or
 * the peer's (sock's type is soak_peer_type(server_type)); the caller binds or
 * connects. Sets the socket options the flow needs (subscriptions, HWM). Returns 0, or
 * -1 with errno from the socket. */
int soak_traffic_init(soak_traffic *t, void *sock, int server_type, int is_server, size_t size,
                      double rate, uint64_t window);
void soak_traffic_fini(soak_traffic *t);

/* The poll events to ask for now (ZMQ_POLLIN, plus ZMQ_POLLOUT while it has to send). */
short soak_traffic_events(const soak_traffic *t, uint64_t now_ns);
/* How long the owner may sleep before the rate allows the next send; -1: no limit. */
long soak_traffic_timeout_ms(const soak_traffic *t, uint64_t now_ns);
/* Receives, echoes and sends what it can without blocking. Returns -1 on a socket
 * error that ends the traffic (counted in errors), else 0. */
int soak_traffic_io(soak_traffic *t, uint64_t now_ns);

/* Sending starts at the first soak_traffic_io() after this (the rate counts from now). */
void soak_traffic_start(soak_traffic *t, uint64_t now_ns);

/* For the checker: messages the sender sent (its count) and this side never saw. */
uint64_t soak_traffic_missing(const soak_traffic *t, uint64_t sender_sent);

uint64_t soak_now_ns(void);

#endif
