/* zaio.h - zaio's messaging API. It follows zmq.h: the same calls under the prefix
 * zaio_, and the same numbers as libzmq 4.3.4 for socket types, options, flags, poll
 * events, monitor events and error codes, so include/zaio_zmq.h can map zmq.h onto it.
 *
 * Calls return 0 (or a count) on success and -1 with zaio_errno() set on failure, as
 * zmq.h's do. A socket is used by one thread at a time; a context by any thread. */
#ifndef ZAIO_H
#define ZAIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's objects are built with -fvisibility=hidden; what this header declares
 * is what libzaio.so exports. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(default)
#endif

#define ZAIO_VERSION_MAJOR 0
#define ZAIO_VERSION_MINOR 1
#define ZAIO_VERSION_PATCH 0
void zaio_version(int *major, int *minor, int *patch); /* zaio's own release */

/* The libzmq API level zaio implements: what zmq_version reports through zaio_zmq.h,
 * since programs compare it with libzmq's releases, not with zaio's. */
#define ZAIO_API_VERSION_MAJOR 4
#define ZAIO_API_VERSION_MINOR 3
#define ZAIO_API_VERSION_PATCH 4
void zaio_api_version(int *major, int *minor, int *patch);

/* 1 if the library has the capability, as zmq_has: of the names libzmq defines (ipc,
 * pgm, tipc, norm, curve, gssapi, draft) zaio has "curve" where it is built with
 * libsodium (the Windows build when given one) and none of the others yet ("draft" is 0 too:
 * zaio has the draft poller and zaio_msg_init_buffer, not the draft socket types a
 * program asking would go on to use). Unlike libzmq, which answers 0 for anything
 * outside that list, zaio also answers 1 for what it does have: "tcp", "inproc",
 * "plain". */
int zaio_has(const char *capability);

/* ---- errors: the system's errno values, plus libzmq's own ------------------------ */
#define ZAIO_HAUSNUMERO 156384712
#define ZAIO_EFSM (ZAIO_HAUSNUMERO + 51)           /* the socket's state forbids it */
#define ZAIO_ENOCOMPATPROTO (ZAIO_HAUSNUMERO + 52) /* the endpoint's transport does not fit */
#define ZAIO_ETERM (ZAIO_HAUSNUMERO + 53)          /* the context is terminating */
#define ZAIO_EMTHREAD (ZAIO_HAUSNUMERO + 54)
int zaio_errno(void);
const char *zaio_strerror(int errnum);

/* ---- context ------------------------------------------------------------------ */
#define ZAIO_IO_THREADS 1
#define ZAIO_MAX_SOCKETS 2
#define ZAIO_SOCKET_LIMIT 3
#define ZAIO_MAX_MSGSZ 5
#define ZAIO_MSG_T_SIZE 6
#define ZAIO_IO_THREADS_DFLT 1
#define ZAIO_MAX_SOCKETS_DFLT 1023
/* The rest of libzmq 4.3.4's context options. zaio_ctx_get reads what libzmq's does:
 * BLOCKY, IPV6, ZERO_COPY_RECV, THREAD_SCHED_POLICY and THREAD_NAME_PREFIX (number 3
 * reads SOCKET_LIMIT, as in libzmq; the CPU set is not readable).
 * - BLOCKY (default 1): 0 gives the sockets created from then on LINGER 0, so that
 *   zaio_ctx_term does not wait for unsent messages; 1 gives them LINGER -1.
 * - IPV6 (default 0): the IPV6 option of the sockets created from then on.
 * - ZERO_COPY_RECV (default 1): stored and read back. zaio's receive path is the same
 *   either way: a large frame is received straight into its message, a small one is
 *   copied, and no message holds on to a shared receive buffer.
 * - THREAD_PRIORITY, THREAD_SCHED_POLICY (each >= 0; default -1, the system's),
 *   THREAD_AFFINITY_CPU_ADD / _REMOVE (a CPU number below 1024; removing one not added
 *   is EINVAL) and THREAD_NAME_PREFIX (a number): applied by each I/O thread as it
 *   starts (the first bind or connect over TCP starts them), as libzmq applies them, so
 *   a change later holds for no thread already running. The threads are named
 *   "zaio/IO/<n>", "<prefix>/zaio/IO/<n>" with a prefix (15 characters at most). The
 *   priority is used with SCHED_FIFO and SCHED_RR only, the sole policies whose static
 *   priority Linux lets be other than 0 (libzmq 4.3.4 calls nice() for the others).
 *   Unlike libzmq, which aborts the process, zaio leaves a thread as it was when the
 *   system refuses its settings (EPERM for a real-time policy without the privilege).
 *   On Windows they are stored and not applied, as libzmq's Windows build does too. */
#define ZAIO_THREAD_PRIORITY 3
#define ZAIO_THREAD_SCHED_POLICY 4
#define ZAIO_THREAD_AFFINITY_CPU_ADD 7
#define ZAIO_THREAD_AFFINITY_CPU_REMOVE 8
#define ZAIO_THREAD_NAME_PREFIX 9
#define ZAIO_ZERO_COPY_RECV 10
#define ZAIO_BLOCKY 70
#define ZAIO_THREAD_PRIORITY_DFLT -1
#define ZAIO_THREAD_SCHED_POLICY_DFLT -1

void *zaio_ctx_new(void);
int zaio_ctx_term(void *ctx);     /* waits for every socket to close and linger */
int zaio_ctx_shutdown(void *ctx); /* makes blocking calls return ZAIO_ETERM */
int zaio_ctx_set(void *ctx, int option, int value);
int zaio_ctx_get(void *ctx, int option);

/* ---- messages ------------------------------------------------------------------ */
typedef struct zaio_msg_t {
#if defined(__GNUC__) || defined(__clang__)
    unsigned char _[64] __attribute__((aligned(sizeof(void *))));
#else
    unsigned char _[64];
#endif
} zaio_msg_t;

typedef void(zaio_free_fn)(void *data, void *hint);

#define ZAIO_MORE 1
#define ZAIO_SHARED 3

int zaio_msg_init(zaio_msg_t *msg);
int zaio_msg_init_size(zaio_msg_t *msg, size_t size);
/* Takes data without copying; ffn(data, hint) runs when zaio no longer needs it
 * (ffn may be NULL for memory that outlives every use). */
int zaio_msg_init_data(zaio_msg_t *msg, void *data, size_t size, zaio_free_fn *ffn, void *hint);
/* Copies size bytes of buf (libzmq's draft zmq_msg_init_buffer). */
int zaio_msg_init_buffer(zaio_msg_t *msg, const void *buf, size_t size);
int zaio_msg_send(zaio_msg_t *msg, void *socket, int flags);
int zaio_msg_recv(zaio_msg_t *msg, void *socket, int flags);
int zaio_msg_close(zaio_msg_t *msg);
int zaio_msg_move(zaio_msg_t *dest, zaio_msg_t *src);
int zaio_msg_copy(zaio_msg_t *dest, zaio_msg_t *src);
void *zaio_msg_data(zaio_msg_t *msg);
size_t zaio_msg_size(const zaio_msg_t *msg);
int zaio_msg_more(const zaio_msg_t *msg);
int zaio_msg_get(const zaio_msg_t *msg, int property);
int zaio_msg_set(zaio_msg_t *msg, int property, int value);
/* Metadata of the connection the message came in on: "Socket-Type", "Routing-Id" (or
 * "Identity"), "Peer-Address", "User-Id", and any property the peer sent. */
const char *zaio_msg_gets(const zaio_msg_t *msg, const char *property);

/* ---- sockets ------------------------------------------------------------------- */
#define ZAIO_PAIR 0
#define ZAIO_PUB 1
#define ZAIO_SUB 2
#define ZAIO_REQ 3
#define ZAIO_REP 4
#define ZAIO_DEALER 5
#define ZAIO_ROUTER 6
#define ZAIO_PULL 7
#define ZAIO_PUSH 8
#define ZAIO_XPUB 9
#define ZAIO_XSUB 10
/* STREAM: raw peers over tcp:// and ipc:// (no ZMTP on the wire), as libzmq 4.3.4's.
 * zaio_recv gives [routing id][data], each data frame a chunk as it arrived (up to
 * 64 KiB); zaio_send takes [routing id][data], and an empty data frame closes that
 * peer's connection. Routing ids are 5 bytes, generated as libzmq's (a zero byte and a
 * counter), or CONNECT_ROUTING_ID's for a connect. An id no peer has fails the id frame
 * with EHOSTUNREACH; a peer at its SNDHWM, with EAGAIN (a blocking send waits). A
 * connect that the user closes with an empty frame is not reconnected; one the peer
 * closes is, under a new id. The monitor reports CONNECTED or ACCEPTED, DISCONNECTED
 * when the peer goes (not when the user closes it, as libzmq) and CLOSED; there is no
 * handshake to report. Security mechanisms, heartbeats and ZMTP options do not apply,
 * HANDSHAKE_IVL included: a peer that stays silent stays connected, as in libzmq.
 * Unlike libzmq:
 * - the empty frame closes the connection after what was sent to the peer before it
 *   has gone out (libzmq drops what is still queued), so a reply and its close arrive
 *   in that order, and the close needs no later call of the program on the socket
 *   (libzmq completes it in the program's next call on that socket);
 * - an id frame sent without ZAIO_SNDMORE is dropped alone (libzmq drops the frame
 *   after it too);
 * - inproc:// is refused (ZAIO_ENOCOMPATPROTO): there is no raw peer there;
 * - a CONNECT_ROUTING_ID in use by another peer gets the new connection refused
 *   (closed, and retried after RECONNECT_IVL), where libzmq asserts. */
#define ZAIO_STREAM 11

/* options (AFFINITY: see the rest of libzmq's options below) */
#define ZAIO_AFFINITY 4
#define ZAIO_ROUTING_ID 5
#define ZAIO_IDENTITY ZAIO_ROUTING_ID
#define ZAIO_SUBSCRIBE 6
#define ZAIO_UNSUBSCRIBE 7
#define ZAIO_SNDBUF 11
#define ZAIO_RCVBUF 12
#define ZAIO_RCVMORE 13
#define ZAIO_FD 14
#define ZAIO_EVENTS 15
#define ZAIO_TYPE 16
#define ZAIO_LINGER 17
#define ZAIO_RECONNECT_IVL 18
#define ZAIO_BACKLOG 19
#define ZAIO_RECONNECT_IVL_MAX 21
#define ZAIO_MAXMSGSIZE 22
/* SNDHWM, RCVHWM: 0 is no limit. Over inproc a direction's HWM is the writer's SNDHWM
 * plus the reader's RCVHWM, as in libzmq (a connect before the bind: the connector's
 * alone until the bind, then both). A change applies to the pipes the socket has, as in
 * libzmq 4.3; unlike libzmq, a writer the old HWM stopped may go on at once if the new
 * one has room (libzmq waits for the reader to drain), and a reader's new RCVHWM counts
 * in its peer's direction too. */
#define ZAIO_SNDHWM 23
#define ZAIO_RCVHWM 24
#define ZAIO_RCVTIMEO 27
#define ZAIO_SNDTIMEO 28
#define ZAIO_IPV4ONLY 31
#define ZAIO_LAST_ENDPOINT 32
#define ZAIO_ROUTER_MANDATORY 33
#define ZAIO_TCP_KEEPALIVE 34
#define ZAIO_TCP_KEEPALIVE_CNT 35
#define ZAIO_TCP_KEEPALIVE_IDLE 36
#define ZAIO_TCP_KEEPALIVE_INTVL 37
#define ZAIO_IMMEDIATE 39
#define ZAIO_XPUB_VERBOSE 40
#define ZAIO_IPV6 42
#define ZAIO_MECHANISM 43
#define ZAIO_PLAIN_SERVER 44
#define ZAIO_PLAIN_USERNAME 45
#define ZAIO_PLAIN_PASSWORD 46
/* CURVE (RFC 26), as libzmq 4.3.4: CURVE_SERVER 1 makes a server (it needs its
 * SECRETKEY only); a client sets PUBLICKEY, SECRETKEY and the server's SERVERKEY, and
 * setting any key makes the socket speak CURVE (SERVERKEY: as a client). A key is 32
 * bytes, or 40 Z85 characters (41 with a NUL); it reads back as 32 bytes, or as Z85
 * with its NUL into a 41-byte buffer. A CURVE server asks the ZAP handler about every
 * client's public key (credential: the 32 bytes); with no handler it lets every client
 * that knows its public key in, unless ZAP_ENFORCE_DOMAIN is set and ZAP_DOMAIN too
 * (libzmq's rule: enforced without a domain, ZAP is not asked at all). Without
 * libsodium (a Windows build not given one: tools/build-sodium-win.sh) the four
 * options fail with EINVAL, as in a libzmq
 * built without CURVE. MAXMSGSIZE counts a message's own bytes, not CURVE's 33 bytes
 * of box around it. */
#define ZAIO_CURVE_SERVER 47
#define ZAIO_CURVE_PUBLICKEY 48
#define ZAIO_CURVE_SECRETKEY 49
#define ZAIO_CURVE_SERVERKEY 50
/* ZAP (RFC 27), as libzmq 4.3.4: a PLAIN server asks the handler bound at
 * inproc://zeromq.zap.01 in its context about every client, and with no handler bound
 * lets nobody in; NULL asks when ZAP_DOMAIN is set and a handler is bound, and with
 * ZAP_ENFORCE_DOMAIN also fails when none is. The handler's User-Id and metadata reach
 * zaio_msg_gets on every message from that peer. One difference: a handler that goes
 * away before it replies fails the handshake at once (HANDSHAKE_FAILED_PROTOCOL,
 * ZAP_UNSPECIFIED), where libzmq waits for the handshake timeout. */
#define ZAIO_ZAP_DOMAIN 55
/* ipc:// (Linux): a path, "@name" (abstract), or "*" to bind a fresh path in a new
 * directory under TMPDIR (libzmq 4.3.4 makes it in the working directory). The socket
 * file and a wildcard's directory are removed when the endpoint is unbound or the
 * socket closes (libzmq removes only a wildcard's); a stale file nothing accepts on is
 * replaced at bind, a live one is EADDRINUSE. Windows builds: EPROTONOSUPPORT.
 * ipc:// listeners let in only peers whose uid, gid or pid (SO_PEERCRED) one of these
 * names; each setsockopt adds one (up to 16 each: ENOMEM past), none clears. */
#define ZAIO_IPC_FILTER_PID 58
#define ZAIO_IPC_FILTER_UID 59
#define ZAIO_IPC_FILTER_GID 60
#define ZAIO_ZAP_ENFORCE_DOMAIN 93
/* CONFLATE: keep only the newest message (its last frame), ignoring the HWMs, on
 * DEALER (both ways), SUB and PULL (in), PUB and PUSH (out); other types ignore it.
 * Subscriptions are never conflated. Set it before bind or connect. Over inproc a
 * direction conflates if either end asks for it (libzmq heeds the connecting end
 * only); a binder's setting counts for connects that come after its bind. */
#define ZAIO_CONFLATE 54
/* REQ_CORRELATE: a REQ puts a request id frame before the delimiter and takes only the
 * reply that carries it back. REQ_RELAXED: a REQ may send a new request without the
 * reply to the last (which then counts as lost; with CORRELATE it is dropped if it
 * comes). */
#define ZAIO_REQ_CORRELATE 52
#define ZAIO_REQ_RELAXED 53
/* ROUTER_HANDOVER: a ROUTER's peer with an id in use takes it over; the connection
 * that had it is dropped. Without it the newcomer waits, ignored, for the id. */
#define ZAIO_ROUTER_HANDOVER 56
#define ZAIO_HANDSHAKE_IVL 66
#define ZAIO_HEARTBEAT_IVL 75
#define ZAIO_HEARTBEAT_TTL 76
#define ZAIO_HEARTBEAT_TIMEOUT 77
#define ZAIO_CONNECT_TIMEOUT 79

/* ---- the rest of libzmq 4.3.4's socket options, with its numbers -------------------- */
/* Stored, validated as libzmq validates them and read back, with no effect: RATE (> 0,
 * default 100), RECOVERY_IVL (>= 0, 10000), MULTICAST_HOPS (> 0, 1), MULTICAST_MAXTPDU
 * (> 0, 1500), MULTICAST_LOOP (1) only matter to pgm:// and epgm://, which zaio does
 * not have (bind and connect fail with EPROTONOSUPPORT, as for tipc://, vmci://,
 * norm://, udp://: libzmq's errno for a transport it was built without); AFFINITY (an
 * int64) because zaio hands its I/O threads out round robin; LOOPBACK_FASTPATH, a
 * Windows socket control zaio does not use. THREAD_SAFE reads 0: no zaio socket is. */
#define ZAIO_RATE 8
#define ZAIO_RECOVERY_IVL 9
#define ZAIO_MULTICAST_HOPS 25
#define ZAIO_THREAD_SAFE 81
#define ZAIO_MULTICAST_MAXTPDU 84
#define ZAIO_LOOPBACK_FASTPATH 94
#define ZAIO_MULTICAST_LOOP 96
/* Refused with EINVAL, set or read, as a libzmq built without GSSAPI and VMCI refuses
 * them (zaio_has("gssapi") is 0); SOCKS_PROXY too, as zaio has no SOCKS client (libzmq
 * 4.3.4 always has one). */
#define ZAIO_GSSAPI_SERVER 62
#define ZAIO_GSSAPI_PRINCIPAL 63
#define ZAIO_GSSAPI_SERVICE_PRINCIPAL 64
#define ZAIO_GSSAPI_PLAINTEXT 65
#define ZAIO_SOCKS_PROXY 68
#define ZAIO_VMCI_BUFFER_SIZE 85
#define ZAIO_VMCI_BUFFER_MIN_SIZE 86
#define ZAIO_VMCI_BUFFER_MAX_SIZE 87
#define ZAIO_VMCI_CONNECT_TIMEOUT 88
#define ZAIO_GSSAPI_PRINCIPAL_NAMETYPE 90
#define ZAIO_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE 91

/* PUB and XPUB (any int >= 0; write-only, as in libzmq):
 * - XPUB_NODROP: a message waits (EAGAIN, or a blocking send) while a subscriber it is
 *   for is at its SNDHWM, instead of being lost to it. POLLOUT stays set, as in libzmq.
 * - XPUB_MANUAL: subscriptions take effect only as the application says. Every
 *   subscribe and cancel reaches zaio_recv; a SUBSCRIBE or UNSUBSCRIBE option set on the
 *   XPUB then applies to the subscriber whose subscription or cancel was received last
 *   (the topic may differ); without XPUB_MANUAL those two options are EINVAL on XPUB. A
 *   subscriber that goes is reported by cancels of every topic it asked for.
 * - XPUB_MANUAL_LAST_VALUE (libzmq draft): XPUB_MANUAL, and the first message sent
 *   after a subscription was received goes to that subscriber alone (if it matches).
 * - XPUB_WELCOME_MSG (bytes; empty: none): a message every new subscriber gets first;
 *   a SUB drops it, as any message, unless it subscribed to a prefix of it.
 * - XPUB_VERBOSER: XPUB_VERBOSE, and every cancel reaches the user too (a subscriber
 *   that goes: a cancel of each of its topics). XPUB_VERBOSE turns that off again.
 * One difference: with XPUB_MANUAL, libzmq 4.3.4 takes the subscriber for the options
 *   from a queue of its own that data from an XSUB upstream puts out of step; zaio
 *   takes it from the subscription the application received. */
#define ZAIO_XPUB_NODROP 69
#define ZAIO_XPUB_MANUAL 71
#define ZAIO_XPUB_WELCOME_MSG 72
#define ZAIO_XPUB_VERBOSER 78
#define ZAIO_XPUB_MANUAL_LAST_VALUE 98
/* INVERT_MATCHING (any socket takes it, readable; PUB, XPUB, SUB and XSUB act on it): a
 * publisher sends a message to the subscribers with no topic that matches it, a
 * subscriber delivers the messages none of its topics match. Set it on both ends. */
#define ZAIO_INVERT_MATCHING 74
/* PROBE_ROUTER (ROUTER, DEALER, REQ, REP; write-only): an empty message goes to each
 * peer as it is attached (a connecting socket's peer once its first connection is up),
 * so a ROUTER there gets [id][""] and learns the peer's id. A ROUTER that connects
 * takes each connection once its handshake is done, when the program next calls it
 * (any zaio_ call on it, zaio_poll too), as any zaio socket takes a peer that connected
 * to it: libzmq's connecting ROUTER probes as the connection comes up, called or not. */
#define ZAIO_PROBE_ROUTER 51
/* CONNECT_ROUTING_ID (ROUTER, STREAM, and REP where it has no visible effect; 1 to 255
 * bytes, write-only): the routing id this ROUTER gives the peer of its next zaio_connect, in
 * place of the one the peer announces or one generated; that connect uses it up. zaio
 * refuses ids over 255 bytes (libzmq takes any length); an id in use makes the new peer
 * wait as a peer with a duplicate id does (libzmq asserts). */
#define ZAIO_CONNECT_ROUTING_ID 61
#define ZAIO_CONNECT_RID ZAIO_CONNECT_ROUTING_ID
/* ROUTER_NOTIFY (libzmq draft; ROUTER, 0..3, readable): with ZAIO_NOTIFY_CONNECT the
 * ROUTER receives [id][""] when a tcp or ipc peer's handshake is done, with
 * ZAIO_NOTIFY_DISCONNECT the same when a connection that got that far is lost (not
 * when the ROUTER itself unbinds, disconnects or closes); a notice that finds the
 * RCVHWM reached is lost, as in libzmq. inproc peers are not notified, as in libzmq. */
#define ZAIO_ROUTER_NOTIFY 97
#define ZAIO_NOTIFY_CONNECT 1
#define ZAIO_NOTIFY_DISCONNECT 2
/* STREAM_NOTIFY (STREAM only, 0 or 1, default 1, write-only, as in libzmq): a peer's
 * connection and its loss (the peer closed or reset it) each come as [id][""]. Set it
 * before the bind or connect: each connection takes the value it had then. A notice
 * that finds the RCVHWM reached is lost, as in libzmq. */
#define ZAIO_STREAM_NOTIFY 73
/* TCP (ipc:// takes METADATA and USE_FD only, as in libzmq). Each holds for the binds
 * and connects made after it is set.
 * - TCP_ACCEPT_FILTER (write-only): "address" or "address/bits", numeric; each call
 *   adds one, and a connection accepted from an address none matches is closed at once
 *   (the monitor says ACCEPT_FAILED with ECONNREFUSED); (NULL, 0) removes them all, and
 *   an empty value with a pointer is EINVAL, as in libzmq. Unlike libzmq, an IPv4
 *   address written as IPv6 (::ffff:a.b.c.d) is its IPv4 address on both sides, and an
 *   IPv6 filter is taken without ZAIO_IPV6 (as zaio takes IPv6 endpoints).
 * - TOS (>= 0, default 0): IP_TOS (and IPV6_TCLASS) of the listening socket and of
 *   every connection, set before a connect's SYN.
 * - TCP_MAXRT (ms, >= 0, 0: the system's): TCP_USER_TIMEOUT on every connection.
 * - BINDTODEVICE (up to 16 bytes; read back with its NUL): SO_BINDTODEVICE on the
 *   listening socket (a bind fails with its errno, ENODEV for no such device) and on
 *   each connect's socket (a failure fails that attempt, and the connect retries).
 * - USE_FD (>= -1, default -1): libzmq binds the listening socket the program made.
 *   zaio's proactor cannot adopt a descriptor it did not create, so a tcp:// or
 *   ipc:// bind with USE_FD set fails with ENOTSUP; the value is stored and read back.
 * - METADATA (libzmq draft; write-only): "X-name:value", a property added to the
 *   READY (or PLAIN INITIATE) this socket sends, which the peer reads with
 *   zaio_msg_gets(msg, "X-name"). The name begins with "X-" and goes on in ZMTP's
 *   characters (letters, digits, - _ . +); the value is not empty; a name set already
 *   keeps its first value, as in libzmq. A zaio peer takes handshake commands of up to
 *   8 KiB. Not carried over inproc, as in libzmq. */
#define ZAIO_TCP_ACCEPT_FILTER 38
#define ZAIO_TOS 57
#define ZAIO_TCP_MAXRT 80
#define ZAIO_USE_FD 89
#define ZAIO_BINDTODEVICE 92
#define ZAIO_METADATA 95

/* security mechanisms (ZAIO_MECHANISM) */
#define ZAIO_NULL 0
#define ZAIO_PLAIN 1
#define ZAIO_CURVE 2

/* send/recv flags */
#define ZAIO_DONTWAIT 1
#define ZAIO_SNDMORE 2

void *zaio_socket(void *ctx, int type);
int zaio_close(void *socket);
int zaio_setsockopt(void *socket, int option, const void *value, size_t len);
int zaio_getsockopt(void *socket, int option, void *value, size_t *len);
int zaio_bind(void *socket, const char *endpoint);
int zaio_connect(void *socket, const char *endpoint);
int zaio_unbind(void *socket, const char *endpoint);
int zaio_disconnect(void *socket, const char *endpoint);
int zaio_send(void *socket, const void *buf, size_t len, int flags);
int zaio_send_const(void *socket, const void *buf, size_t len, int flags);
/* Copies at most len bytes; returns the message's full size. */
int zaio_recv(void *socket, void *buf, size_t len, int flags);

/* Scatter/gather over frames, as libzmq 4.3.4 does it. sendiov sends each of the count
 * buffers as a frame with flags, the last without ZAIO_SNDMORE: pass ZAIO_SNDMORE for one
 * multipart message (without it, each buffer is a message of its own); it returns the
 * last frame's size, and frames sent before a failure stay sent. recviov receives up to
 * *count frames of one message into iov, each in a buffer of its own from malloc that
 * the caller frees, sets *count to how many it stored (also on failure: those are the
 * caller's to free) and returns that number; frames beyond *count stay for the next
 * receive (ZAIO_RCVMORE). On Windows, where there is no <sys/uio.h>, the program defines
 * struct iovec {void *iov_base; size_t iov_len;} as it would for libzmq. */
struct iovec;
int zaio_sendiov(void *socket, struct iovec *iov, size_t count, int flags);
int zaio_recviov(void *socket, struct iovec *iov, size_t *count, int flags);

/* ---- monitor ------------------------------------------------------------------- */
#define ZAIO_EVENT_CONNECTED 0x0001
#define ZAIO_EVENT_CONNECT_DELAYED 0x0002
#define ZAIO_EVENT_CONNECT_RETRIED 0x0004
#define ZAIO_EVENT_LISTENING 0x0008
#define ZAIO_EVENT_BIND_FAILED 0x0010
#define ZAIO_EVENT_ACCEPTED 0x0020
#define ZAIO_EVENT_ACCEPT_FAILED 0x0040
#define ZAIO_EVENT_CLOSED 0x0080
#define ZAIO_EVENT_CLOSE_FAILED 0x0100
#define ZAIO_EVENT_DISCONNECTED 0x0200
#define ZAIO_EVENT_MONITOR_STOPPED 0x0400
#define ZAIO_EVENT_ALL 0xFFFF
#define ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL 0x0800
#define ZAIO_EVENT_HANDSHAKE_SUCCEEDED 0x1000
#define ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL 0x2000
#define ZAIO_EVENT_HANDSHAKE_FAILED_AUTH 0x4000

/* values of ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL */
#define ZAIO_PROTOCOL_ERROR_ZMTP_UNSPECIFIED 0x10000000
#define ZAIO_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND 0x10000001
#define ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE 0x10000002
#define ZAIO_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE 0x10000003
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED 0x10000011
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE 0x10000012
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO 0x10000013
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE 0x10000014
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR 0x10000015
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY 0x10000016
#define ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME 0x10000017
#define ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_METADATA 0x10000018
#define ZAIO_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC 0x11000001
#define ZAIO_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH 0x11000002
#define ZAIO_PROTOCOL_ERROR_ZAP_UNSPECIFIED 0x20000000
#define ZAIO_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY 0x20000001
#define ZAIO_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID 0x20000002
#define ZAIO_PROTOCOL_ERROR_ZAP_BAD_VERSION 0x20000003
#define ZAIO_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE 0x20000004
#define ZAIO_PROTOCOL_ERROR_ZAP_INVALID_METADATA 0x20000005

/* Events go to a PAIR socket bound at endpoint (inproc://...) as two frames: 6 bytes
 * (uint16 event, uint32 value, host order) then the endpoint string, as libzmq does.
 * endpoint NULL stops monitoring. When the socket closes, its listeners say CLOSED and
 * MONITOR_STOPPED comes last, once its connections are gone, as in libzmq. */
int zaio_socket_monitor(void *socket, const char *endpoint, int events);

/* ---- poll and proxy ------------------------------------------------------------ */
#define ZAIO_POLLIN 1
#define ZAIO_POLLOUT 2
#define ZAIO_POLLERR 4
#define ZAIO_POLLPRI 8

#ifdef _WIN32
typedef uintptr_t zaio_fd_t; /* SOCKET */
#else
typedef int zaio_fd_t;
#endif

typedef struct zaio_pollitem_t {
    void *socket;  /* a zaio socket, or NULL to poll fd */
    zaio_fd_t fd;
    short events;
    short revents;
} zaio_pollitem_t;

#define ZAIO_POLLITEMS_DFLT 16

/* timeout in milliseconds, -1 forever. Returns how many items have events. */
int zaio_poll(zaio_pollitem_t *items, int nitems, long timeout);

/* Shuttles messages between frontend and backend (and copies them to capture) until
 * the context terminates. */
int zaio_proxy(void *frontend, void *backend, void *capture);
/* zaio_proxy steered by one-frame commands on control (NULL: zaio_proxy): PAUSE stops
 * forwarding (messages wait in their queues), RESUME goes on, TERMINATE returns 0, and
 * STATISTICS replies with 8 frames of a uint64 each (host order): messages and bytes
 * received on frontend, messages and bytes sent out of frontend, the same four for
 * backend; a multipart message counts once, its bytes summed. Commands are copied to
 * capture. Where zaio differs from libzmq 4.3.4: an unknown or multipart command is
 * ignored (libzmq aborts the process, or ends the proxy), and a REP control socket gets
 * an empty reply to every command but STATISTICS (as libzmq 4.3.5; 4.3.4 leaves the REP
 * unable to take its next command). */
int zaio_proxy_steerable(void *frontend, void *backend, void *capture, void *control);

/* ---- poller (libzmq's draft zmq_poller) ------------------------------------------ */
/* The same layout as zmq_poller_event_t. A socket's event has fd -1 (INVALID_SOCKET on
 * Windows); a descriptor's has socket NULL. */
typedef struct zaio_poller_event_t {
    void *socket;
    zaio_fd_t fd;
    void *user_data;
    short events;
} zaio_poller_event_t;

/* As libzmq: a socket or descriptor is added once (again: EINVAL), modify and remove
 * want one that was added (EINVAL), events outside POLLIN|POLLOUT|POLLERR|POLLPRI are
 * EINVAL, a bad poller EFAULT, a bad socket ENOTSOCK. wait_all fills up to n_events in
 * the order items were added and returns how many; wait fills one and returns 0; both
 * fail with EAGAIN when the timeout passes without events, with ETERM when a socket's
 * context terminates, and with EFAULT when asked to wait forever with nothing to wait
 * for. zaio_poller_fd fails with EINVAL: it exists for thread-safe sockets, which zaio
 * does not have (libzmq answers the same for a poller without them). */
void *zaio_poller_new(void);
int zaio_poller_destroy(void **poller_p);
int zaio_poller_size(void *poller);
int zaio_poller_add(void *poller, void *socket, void *user_data, short events);
int zaio_poller_modify(void *poller, void *socket, short events);
int zaio_poller_remove(void *poller, void *socket);
int zaio_poller_add_fd(void *poller, zaio_fd_t fd, void *user_data, short events);
int zaio_poller_modify_fd(void *poller, zaio_fd_t fd, short events);
int zaio_poller_remove_fd(void *poller, zaio_fd_t fd);
int zaio_poller_wait(void *poller, zaio_poller_event_t *event, long timeout);
int zaio_poller_wait_all(void *poller, zaio_poller_event_t *events, int n_events, long timeout);
int zaio_poller_fd(void *poller, zaio_fd_t *fd);

/* ---- timers ---------------------------------------------------------------------- */
/* As zmq_timers: not thread-safe; add returns the timer's id (from 1); timeout is the
 * milliseconds until the next one is due, 0 if one is, -1 with none; execute runs every
 * timer due, earliest first (ties in the order they were armed) and re-arms each for its
 * interval from when execute began; a handler may add, cancel (itself too), reset or
 * change timers: a timer it cancels does not run, and one it adds, resets or re-times
 * runs in a later execute. So a zero interval runs once per execute, where libzmq 4.3.4's
 * execute never returns for one. EFAULT for a bad timers or handler, EINVAL for an id
 * that does not exist or was cancelled. */
typedef void(zaio_timer_fn)(int timer_id, void *arg);
void *zaio_timers_new(void);
int zaio_timers_destroy(void **timers_p);
int zaio_timers_add(void *timers, size_t interval, zaio_timer_fn handler, void *arg);
int zaio_timers_cancel(void *timers, int timer_id);
int zaio_timers_set_interval(void *timers, int timer_id, size_t interval);
int zaio_timers_reset(void *timers, int timer_id);
long zaio_timers_timeout(void *timers);
int zaio_timers_execute(void *timers);

/* ---- Z85 (ZeroMQ RFC 32) and CURVE keys ----------------------------------------- */
/* encode: size a multiple of 4, dest size * 5 / 4 + 1 bytes (text and its NUL); dest,
 * or NULL with EINVAL. decode: a string whose length is a non-zero multiple of 5 (an
 * empty one fails, as in libzmq) of Z85 characters, each group of 5 at most 0xFFFFFFFF;
 * dest (strlen * 4 / 5 bytes), or NULL with EINVAL. */
char *zaio_z85_encode(char *dest, const uint8_t *data, size_t size);
uint8_t *zaio_z85_decode(uint8_t *dest, const char *string);
/* A new CURVE key pair, or the public key of a secret one, as 40 Z85 characters and a
 * NUL each (41 bytes). Without CURVE (a build without libsodium, zaio_has("curve") 0) both
 * fail with ENOTSUP, as a libzmq built without CURVE does; a secret key that is not 40
 * Z85 characters fails with EINVAL. */
int zaio_curve_keypair(char *z85_public_key, char *z85_secret_key);
int zaio_curve_public(char *z85_public_key, const char *z85_secret_key);

/* ---- utilities (libzmq's portability helpers) ----------------------------------- */
/* A counter any thread may change: inc returns the value before, dec returns 1 while
 * the counter is non-zero after it and 0 when it reaches zero (below zero it answers 1,
 * as libzmq's unsigned counter does), destroy frees it and sets *counter_p NULL. */
void *zaio_atomic_counter_new(void);
void zaio_atomic_counter_set(void *counter, int value);
int zaio_atomic_counter_inc(void *counter);
int zaio_atomic_counter_dec(void *counter);
int zaio_atomic_counter_value(void *counter);
void zaio_atomic_counter_destroy(void **counter_p);
/* Microseconds on a monotonic clock since start; stop also frees the watch. */
void *zaio_stopwatch_start(void);
unsigned long zaio_stopwatch_intermediate(void *watch);
unsigned long zaio_stopwatch_stop(void *watch);
void zaio_sleep(int seconds);
/* Runs func(arg) on a new thread; threadclose waits for it to end and frees the handle.
 * NULL (errno set) if the thread cannot start, where libzmq aborts. */
typedef void(zaio_thread_fn)(void *);
void *zaio_threadstart(zaio_thread_fn *func, void *arg);
void zaio_threadclose(void *thread);

/* ---- counters ------------------------------------------------------------------ */
typedef struct zaio_stats_t {
    /* the asyncio counters, summed over the context's I/O threads (process-wide: the
     * counters are kept per process, so with several contexts they add up) */
    int64_t sockets, accept_sockets, ops_in_flight, bufs, buf_bytes;
    int64_t submits, completions, cancels, submit_failures;
    /* the context's own */
    int64_t connections; /* TCP connections open (handshaking or ready) */
    int64_t handshakes;  /* of which still in the handshake */
    int64_t zsockets;    /* zaio sockets open */
} zaio_stats_t;
/* The asyncio backend the context's I/O threads run on: "uring", "epoll" or "iocp"
 * (ZAIO_BACKEND in the environment picks one; otherwise the best available). NULL
 * until the first bind or connect over TCP has started the I/O threads. */
const char *zaio_backend(void *ctx);
/* ctx NULL: the asyncio counters alone (the context's fields are zero), so a program
 * can check that nothing is left once zaio_ctx_term has returned. */
int zaio_stats(void *ctx, zaio_stats_t *out);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
