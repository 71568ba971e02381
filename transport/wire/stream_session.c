/* stream_session.c - one TCP connection's life on its I/O thread: connect (client side,
 * with reconnect) or accepted (server side), the ZMTP handshake, then the pump between
 * the connection and the socket's pipe, heartbeats, and the close with linger.
 *
 * Design notes
 * ------------
 * Threads. Everything here runs on the session's I/O thread except ztcp_connect, the
 * endpoint's close function and the sending described next, which run on the socket's
 * thread; the first two hand over through the I/O thread's mailbox (commands embedded
 * in the session, so posting never allocates). The pipe notifies from the socket's
 * thread with the pipe's lock held; the notify function posts the end's embedded
 * notify_cmd[], or sends.
 *
 * Replies from the socket's thread. A message from the application reaches the peer's
 * application after three wake-ups: our I/O thread (to send), the peer's I/O thread
 * (to receive), the peer's application. When the I/O thread leaves the connection idle
 * (nothing in flight, no command due, no CURVE, not raw) after a message came in, it
 * lets the socket's thread send the next batch itself: the flush that would wake the
 * I/O thread packs what the pipe holds and hands it to aio_send_now instead, which
 * saves the first wake-up. That is what a request-reply exchange does, and about a
 * quarter of its round trip on a small machine. Streams, where no message comes back,
 * keep sending in batches from the I/O thread. Every entry point of the I/O thread
 * takes the permission back first (enter: under tx_lock, so one in progress finishes)
 * and gives it again last (leave); the socket's thread only tries the lock. What the
 * kernel does not take at once, or an error, goes back to the I/O thread as the rest
 * of the batch (tx_cmd), which it sends, or reports, as its own.
 *
 * Entry points and the endgame. The session is entered from an aio completion, a
 * timer, or a mailbox command. Any of them may end it: that only marks it a zombie,
 * and the entry point frees it as its last act (leave), so code deeper in the call never
 * touches freed memory. A client session is freed only after its endpoint let go
 * (ep->close), because the endpoint points at it; until then a session that stopped
 * for good (a protocol error) is an idle stub holding nothing but its own memory.
 *
 * Close, stop, free. A lost connection (conn_lost) reports it, tears the connection
 * down (conn_teardown: the aio socket closed - aio frees it after its last
 * completion - and every per-connection buffer dropped) and then decides: a server
 * session ends; a client reconnects after RECONNECT_IVL with backoff, unless the
 * loss was a protocol error (as libzmq: a peer that speaks wrongly is not retried).
 * session_finish ends a session: the connection, the timers and the pipe go.
 *
 * The pump. One recv in flight, into a pinned buffer: 512 bytes while handshaking (a
 * silent probe costs little), 64 KiB after. Frames are decoded in place; small bodies
 * are copied into the message (inline up to 31 bytes), a body larger than the
 * decoder's 8 KiB scratch gets a buffer of its own, what the current recv holds is
 * copied in and the rest (when RX_DIRECT_MIN or more remains) is received straight
 * into it: no copy for the bulk of a large message. So that the bulk is the rest, a
 * recv after a large frame reads only RX_HEAD into the buffer (the next header and the
 * start of its body; libzmq reads 8 KiB), scattered from the same recv as the rest of
 * the body when it can (aio_recvv); a small frame ends that. Messages are
 * flushed to the pipe at message boundaries, in batches per recv; a full pipe (RCVHWM)
 * stops receiving until the socket drains it (ZPIPE_WRITABLE). One send in flight: the
 * encoder packs what the pipe holds into one 64 KiB buffer (control commands first), a
 * body over 8 KiB goes as its own slice of one aio_sendv (up to three per send), and a
 * partial send resubmits the rest.
 *
 * Pipes. A server session creates its pipe after the handshake and posts the socket's
 * end (routing id and metadata filled in). A client session attaches its pipe on the
 * socket's thread at connect time and keeps it across reconnects, so messages queue up
 * to SNDHWM while disconnected (and a SUB's subscriptions are in it before the
 * connection is up, without the application touching the socket again); a message half
 * sent when a connection drops is not continued on the next one. A ROUTER that
 * connects, and IMMEDIATE, get one pipe per connection after the handshake instead:
 * the routing id comes from the peer's handshake.
 *
 * Options for the connection: TOS and BINDTODEVICE before a connect's SYN (a device
 * refused fails that attempt), TCP_MAXRT with the others once it is up; METADATA joins
 * our READY; CONNECT_ROUTING_ID (a ROUTER's connect) names the peer in place of what it
 * says; ROUTER_NOTIFY writes an empty message into the pipe when the handshake is done
 * and when a connection that got that far is lost.
 *
 * Subscriptions. A client session with a kept pipe remembers the topics it has sent
 * upstream (a subscribe adds, a cancel removes) and sends them all again first thing on
 * every new connection: the publisher forgot them with the old one. libzmq does the
 * same by a "hiccup" that makes the SUB resend; here the pipe stays, so the session
 * does it. (A pipe per connection gets them from the pattern when it attaches.)
 *
 * ZAP. Where the handshake stops for a verdict on the peer (ZMTP_HS_AUTH: a PLAIN
 * server after HELLO, a CURVE server after INITIATE, NULL with a ZAP domain) the
 * session asks the context's handler over an inproc pipe of its own (zap.c), watched
 * like the socket's pipe, and reads nothing more from the peer until the reply: the
 * handshake takes what came meanwhile after the verdict. No handler: PLAIN lets nobody
 * in, as libzmq 4.3.4; NULL and CURVE let everyone in unless ZAP_ENFORCE_DOMAIN (CURVE:
 * and a domain). The reply's User-Id and metadata join the connection's metadata,
 * ahead of anything the peer says of itself.
 *
 * Older peers. A ZMTP 2.0 or 1.0 peer (JeroMQ 0.3, libzmq 3.x and 2.x) is spoken to in
 * its own framing, which the handshake reports; its handshake ends with its identity
 * frame, and so does the handshake timer, where libzmq 4.3.4 leaves it running and
 * drops such peers every HANDSHAKE_IVL (its issue 4106). No commands reach it: no
 * PING, subscriptions as messages. A publisher treats a 1.0 peer without signature as
 * subscribed to everything (it never sends subscriptions), as libzmq does. A socket
 * with a mechanism or a ZAP domain refuses old peers with DISCONNECTED alone, as libzmq.
 *
 * CURVE. The handshake hands over a zmtp_crypto when it is done. The encoder seals
 * what it packs (a frame, a PING, a SUBSCRIBE) in place in the send buffer; a large
 * body, which NULL and PLAIN send from its own buffer without a copy, is sealed into a
 * buffer of its own instead. A received MESSAGE up to the decoder's scratch size is
 * opened into a plaintext buffer of the session; a larger one is gathered into its
 * message as any large frame is and opened there in place, the message then starting
 * 33 bytes into its buffer. A box that does not open, or a nonce that does not grow,
 * ends the connection as a protocol error (HANDSHAKE_FAILED_PROTOCOL, as libzmq
 * reports it even after the handshake). NULL and PLAIN never reach this code.
 *
 * Raw mode (STREAM). No greeting, no handshake, no framing: the connection is the peer
 * as soon as it is up. The session gets a pipe per connection (a connecting one too:
 * each connection is a peer with its own id), writes [""] into it first with
 * STREAM_NOTIFY, and then each recv's bytes as one message (at most 512 bytes until a
 * recv fills that, 64 KiB after; copied out of the recv buffer, which is reused). Sending, each message from the pipe is its
 * bytes: small ones packed into the send buffer, large ones sent from their own buffer
 * as ZMTP frames are. An empty message is the user's close (sockets/stream.c): what
 * came before it goes out, then the connection closes and the session ends, a
 * connecting one included (libzmq's raw session ends with its pipe). A connection the
 * peer ends is reported with [""] (STREAM_NOTIFY) and a connecting session reconnects.
 * Heartbeats, the handshake timer and the mechanisms do not apply. */
#include "core/ctx.h"
#include "core/io_thread.h"
#include "wire/wire.h"
#include "wire/zap.h"
#include "zmtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

#ifndef EPROTO
#define EPROTO 71
#endif

enum {
    RX_SMALL = 512,          /* recv buffer while handshaking */
    RX_BIG = 64 * 1024,      /* recv buffer after */
    RX_DIRECT_MIN = 32 * 1024,  /* receive a large body straight into the message from here */
    RX_HEAD = 1024,          /* after a large frame, a recv into the buffer takes this much */
    TX_BUF = 64 * 1024,      /* the encoder's buffer: one send's worth of small frames */
    TX_COPY_MAX = 8 * 1024,  /* bodies above go out from their own buffer */
    DEC_SCRATCH = 8 * 1024,  /* larger frames stream; also the largest command accepted */
    TX_MAX_LARGE = 3,        /* large bodies per send: 3 bodies + 4 segments <= AIO_MAX_IOV */
    ERRSEND_MS = 1000,       /* how long a failed handshake waits for its ERROR to leave */
    READY_HOLD_MS = 20,      /* NULL: our READY waits this long for the peer's (see conn_begin) */
    META_CREDIT = 1024       /* references to meta taken at once (meta_give) */
};
#define RX_DIRECT_MAX ((size_t)1 << 30) /* one recv straight into a body, at most */

typedef struct zsession zsession;
typedef struct ztcp_listener ztcp_listener;
void ztcp_listener_forget(ztcp_listener *l, zsession *s); /* listener.c */

typedef enum ss_state {
    SS_IDLE,       /* no connection: client waiting to (re)connect, or stopped */
    SS_CONNECTING, /* client: connect submitted */
    SS_HANDSHAKE,
    SS_ACTIVE,
    SS_ERRSEND     /* the handshake failed; its last words go out, then the close */
} ss_state;

typedef enum loss_kind { LOSS_CONN, LOSS_TIMEOUT, LOSS_PROTOCOL } loss_kind;

struct zsession {
    zio *io;
    zctx *ctx;
    zopts o;
    bool client;
    bool keep_pipe; /* client: one pipe for the session, attached at connect */
    bool raw;       /* STREAM: raw bytes, no ZMTP (see "Raw mode" above) */
    ztcp_addr addr;
    ztcp_addr src;   /* "tcp://src;dst": where our end binds before it connects */
    bool has_src;
    char endpoint[256];
    zmonitor *mon;
    zmailbox *smb; /* the socket's mailbox (a reference): where pipes are posted */
    ztcp_listener *parent;

    ss_state state;
    aio_socket *as;
    intptr_t fd;
    bool counted_conn, counted_hs;
    bool stopped;   /* client: connects no more */
    bool closing;   /* draining what the pipe holds, then the end */
    bool ep_closed; /* client: the endpoint let go, so the memory may go */
    bool zombie;    /* freed when the current entry point returns */
    int reconnect_cur;
    uint32_t rng;

    zcmd start_cmd, close_cmd;
    ztimer t_reconnect, t_connect, t_handshake, t_hb, t_hb_timeout, t_ttl, t_linger, t_ready;

    zmtp_handshake *hs;
    int minor;
    int framing;       /* ZMTP_FRAMING_*: an older peer's is below V3 */
    zmeta *meta;
    int meta_credit;     /* references to meta held for messages still to come */
    zpipe_end *zap;      /* the ZAP request awaiting its reply */
    char zap_user[256];  /* what the handler let in: its User-Id and metadata */
    uint8_t *zap_md;
    size_t zap_md_len;

    zpipe_end *pipe;     /* our end */
    zpipe_end *sock_end; /* keep_pipe: the socket's end, for ep->close on its thread */
    atomic_bool sock_end_live;

    /* receiving */
    aio_buf *rbuf;
    size_t rcap, rpos, rlen;
    bool rx_busy, rx_direct, rx_blocked, rx_in_msg, rx_unflushed;
    bool rx_after_large; /* the last frame was large: the next recv reads its header */
    bool has_rx_pending;
    zmsg rx_pending; /* the first frame of a message the full pipe refused */
    bool rx_large_on;
    zmsg rx_large;
    uint64_t rx_large_have;
    size_t rx_direct_len; /* the body's part of the direct recv in flight */
    uint8_t rx_large_flags;
    zmtp_decoder dec;
    uint8_t *scratch;
    zmtp_crypto *crypto; /* CURVE, after the handshake: seals and opens every frame */
    uint8_t *plain;      /* CURVE: a received MESSAGE opened, DEC_SCRATCH bytes */

    /* sending */
    aio_buf *sbuf;
    zmtp_encoder enc;
    bool tx_busy, tx_batch_enc;
    aio_slice tx_v[AIO_MAX_IOV];
    int tx_n;
    zmsg tx_large[TX_MAX_LARGE];
    int tx_nlarge;
    bool tx_has_msg, tx_msg_first, tx_in_msg, tx_drop_rest;
    zmsg tx_msg; /* read from the pipe, not encoded yet (the batch was full) */
    bool ping_pending, pong_pending;
    bool raw_eof; /* raw: the user's close was read; it comes after the send in flight */
    uint8_t pong_ctx[ZMTP_PING_MAX_CONTEXT];
    size_t pong_len;
    struct sub_topic {
        uint8_t *data;
        size_t len;
    } *subs;           /* client: the topics subscribed upstream, replayed on reconnect */
    int nsubs, capsubs;
    int sub_replay;    /* the next of them to send again; nsubs when done */
    /* sending on the socket's thread ("Replies from the socket's thread" above) */
    zmutex tx_lock;     /* held by the I/O thread only to change tx_now */
    bool tx_now;        /* under tx_lock: the socket's thread may send the next batch */
    bool rx_since_tx;   /* a message arrived since the socket's thread last sent */
    bool no_send_now;   /* the backend has no aio_send_now (IOCP) */
    int tx_handoff_err; /* the socket's thread could not pack a batch: the loss to report */
    bool tx_handoff;    /* the socket's thread left a batch (or an error) to tx_cmd */
    zcmd tx_cmd;
    aio_buf *hs_obuf;  /* handshake bytes in flight */
    aio_buf *err_next; /* a failed handshake's last words, after the send in flight */
    size_t err_len;
};

static void conn_lost(zsession *s, loss_kind kind, int err);
static void session_finish(zsession *s);
static void tx_fill(zsession *s);
static void rx_run(zsession *s);
static void hs_send(zsession *s);
static void raw_begin(zsession *s);
static void raw_tx_fill(zsession *s);

/* ---- small helpers --------------------------------------------------------------------- */

static void ev(zsession *s, int event, uint32_t value)
{
    zmonitor_event(s->mon, event, value, s->endpoint);
}

static bool armed(const ztimer *t) { return t->heap_index != -1; }

static uint32_t rng_next(zsession *s)
{
    uint32_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return s->rng = x ? x : 0x9e3779b9u;
}

static bool is_pub(const zsession *s) { return s->o.type == ZAIO_PUB || s->o.type == ZAIO_XPUB; }

/* Whether a closing client still has something to deliver. */
static bool tx_pending(zsession *s)
{
    return s->tx_has_msg || (s->pipe && zpipe_can_read(s->pipe));
}

static void leave(zsession *s);
static void session_free(zsession *s);

/* ---- the pipe ----------------------------------------------------------------------------- */

static void session_cmd_pipe(zcmd *c);
static bool tx_now_send(zsession *s, zpipe_end *e);

static void session_pipe_notify(void *owner, zpipe_end *e, zpipe_event event)
{
    zsession *s = owner;
    if (event == ZPIPE_READABLE && tx_now_send(s, e))
        return; /* sent from here: the I/O thread sleeps on */
    /* the pipe's lock is held: post, nothing else (the command was set up at creation) */
    zmailbox_post(zio_mailbox(s->io), &zpipe_user_of(e)->notify_cmd[event - 1]);
}

/* Our end's events become commands on the I/O thread, run by run. */
static void pipe_watch(zsession *s, zpipe_end *e, zcmd_fn run)
{
    zpipe_user *u = zpipe_user_of(e);
    for (int i = 0; i < 3; i++) {
        zcmd *c = &u->notify_cmd[i];
        memset(c, 0, sizeof *c);
        c->run = run;
        c->target = s;
        c->arg = e;
        c->value = i + 1;
    }
    zpipe_set_notify(e, session_pipe_notify, s);
}

/* No more of them, queued ones included: e may be detached now. */
static void pipe_unwatch(zsession *s, zpipe_end *e)
{
    zpipe_set_notify(e, NULL, NULL);
    zpipe_user *u = zpipe_user_of(e);
    for (int i = 0; i < 3; i++)
        zmailbox_cancel(zio_mailbox(s->io), &u->notify_cmd[i]);
}

static int pipe_create(zsession *s, zpipe_end **sock_end)
{
    zpipe_end *a, *b;
    int rc = zpipe_new(&a, &b, zopts_pipe_hwm(&s->o, false), zopts_pipe_hwm(&s->o, true));
    if (rc < 0)
        return rc;
    pipe_watch(s, b, session_cmd_pipe);
    s->pipe = b;
    s->rx_in_msg = s->rx_unflushed = false;
    s->tx_in_msg = s->tx_drop_rest = false;
    *sock_end = a;
    return 0;
}

/* Lets go of our end: what came in part way is taken back, whole messages stay for the
 * socket to read. */
static void pipe_detach(zsession *s)
{
    zpipe_end *e = s->pipe;
    if (!e)
        return;
    if (s->rx_in_msg)
        zpipe_rollback(e);
    else if (s->rx_unflushed)
        zpipe_flush(e);
    s->rx_in_msg = s->rx_unflushed = false;
    if (s->tx_has_msg) {
        zmsg_close(&s->tx_msg);
        s->tx_has_msg = false;
    }
    s->tx_in_msg = s->tx_drop_rest = false;
    atomic_store(&s->sock_end_live, false);
    pipe_unwatch(s, e);
    s->pipe = NULL;
    zpipe_detach(e);
}

/* ROUTER_NOTIFY, and STREAM_NOTIFY in raw mode: an empty message from the peer says it
 * came (or went). A full pipe loses it, as libzmq's does. */
static void notify_router(zsession *s, int which)
{
    if (!(s->raw ? s->o.stream_notify : s->o.router_notify & which) || !s->pipe)
        return;
    zmsg m;
    zmsg_init(&m);
    if (zpipe_write(s->pipe, &m) == ZPIPE_OK)
        zpipe_flush(s->pipe);
    else
        zmsg_close(&m);
}

/* ---- socket options ------------------------------------------------------------------------ */

static void set_int(zsession *s, int level, int name, int v)
{
    (void)aio_setsockopt(s->as, level, name, &v, (socklen_t)sizeof v); /* best effort */
}

int ztcp_ip_options(aio_socket *as, const zopts *o, int family, bool with_device)
{
    if (family != AF_INET && family != AF_INET6)
        return 0; /* ipc: libzmq sets neither there */
    if (with_device && o->bindtodevice[0]) {
#ifdef SO_BINDTODEVICE
        int rc = aio_setsockopt(as, SOL_SOCKET, SO_BINDTODEVICE, o->bindtodevice,
                                (socklen_t)strlen(o->bindtodevice));
        if (rc < 0)
            return rc;
#else
        return -ENOTSUP; /* as a libzmq built without SO_BINDTODEVICE */
#endif
    }
    if (o->tos) { /* best effort, as the other options here */
        (void)aio_setsockopt(as, IPPROTO_IP, IP_TOS, &o->tos, (socklen_t)sizeof o->tos);
#if defined(IPV6_TCLASS) && !defined(_WIN32)
        if (family == AF_INET6)
            (void)aio_setsockopt(as, IPPROTO_IPV6, IPV6_TCLASS, &o->tos, (socklen_t)sizeof o->tos);
#endif
    }
    return 0;
}

static void conn_options(zsession *s)
{
    /* frames are batched by the encoder already; Nagle would only add latency */
    set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    struct sockaddr_storage local;
    socklen_t local_len;
    if (!s->client && s->o.tos && aio_local_addr(s->as, &local, &local_len) == 0)
        (void)ztcp_ip_options(s->as, &s->o, local.ss_family, false); /* a connect's had it */
    if (s->o.tcp_maxrt > 0) {
#if defined(TCP_USER_TIMEOUT)
        set_int(s, IPPROTO_TCP, TCP_USER_TIMEOUT, s->o.tcp_maxrt);
#elif defined(TCP_MAXRT)
        set_int(s, IPPROTO_TCP, TCP_MAXRT, s->o.tcp_maxrt / 1000); /* Windows: seconds */
#endif
    }
    if (s->o.tcp_keepalive >= 0)
        set_int(s, SOL_SOCKET, SO_KEEPALIVE, s->o.tcp_keepalive);
    if (s->o.tcp_keepalive == 1) {
#ifdef TCP_KEEPCNT
        if (s->o.tcp_keepalive_cnt > 0)
            set_int(s, IPPROTO_TCP, TCP_KEEPCNT, s->o.tcp_keepalive_cnt);
#endif
#ifdef TCP_KEEPIDLE
        if (s->o.tcp_keepalive_idle > 0)
            set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, s->o.tcp_keepalive_idle);
#endif
#ifdef TCP_KEEPINTVL
        if (s->o.tcp_keepalive_intvl > 0)
            set_int(s, IPPROTO_TCP, TCP_KEEPINTVL, s->o.tcp_keepalive_intvl);
#endif
    }
}

static void buf_options(zsession *s)
{
    if (s->o.sndbuf >= 0)
        set_int(s, SOL_SOCKET, SO_SNDBUF, s->o.sndbuf);
    if (s->o.rcvbuf >= 0)
        set_int(s, SOL_SOCKET, SO_RCVBUF, s->o.rcvbuf);
}

static void peer_address(zsession *s, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    out[0] = 0;
    if (aio_peer_addr(s->as, &ss, &len) == 0)
        (void)getnameinfo((struct sockaddr *)&ss, len, out, (socklen_t)cap, NULL, 0,
                          NI_NUMERICHOST);
}

/* ---- sending --------------------------------------------------------------------------------- */

static void tx_submit(zsession *s)
{
    int rc = aio_sendv(s->as, s->tx_v, s->tx_n);
    if (rc < 0) {
        conn_lost(s, LOSS_CONN, -rc);
        return;
    }
    s->tx_busy = true;
}

/* Drops what a send took (done bytes) from the front of the batch. True when nothing
 * of it is left. */
static bool tx_advance(zsession *s, size_t done)
{
    int i = 0;
    while (i < s->tx_n && done >= s->tx_v[i].len) {
        done -= s->tx_v[i].len;
        i++;
    }
    if (i == s->tx_n)
        return true;
    s->tx_v[i].off += done;
    s->tx_v[i].len -= done;
    memmove(s->tx_v, s->tx_v + i, (size_t)(s->tx_n - i) * sizeof *s->tx_v);
    s->tx_n -= i;
    return false;
}

static void tx_batch_done(zsession *s)
{
    for (int i = 0; i < s->tx_nlarge; i++)
        zmsg_close(&s->tx_large[i]);
    s->tx_nlarge = 0;
    s->tx_n = 0;
    if (s->tx_batch_enc)
        zmtp_encoder_reset(&s->enc);
    s->tx_batch_enc = false;
}

/* The next frame to send, read from the pipe; false when there is none now. */
static bool tx_next(zsession *s, bool *dry)
{
    while (!s->tx_has_msg) {
        if (!s->pipe || zpipe_read(s->pipe, &s->tx_msg) != ZPIPE_OK) {
            *dry = true; /* EMPTY: READABLE wakes us; TERMINATED: the socket is gone */
            return false;
        }
        s->tx_msg_first = !s->tx_in_msg;
        s->tx_in_msg = zmsg_more(&s->tx_msg);
        if (s->tx_drop_rest && !s->tx_msg_first) {
            zmsg_close(&s->tx_msg); /* the rest of a message cut by a lost connection */
            continue;
        }
        s->tx_drop_rest = false;
        s->tx_has_msg = true;
    }
    return true;
}

/* A client's record of what it subscribed to upstream (exact topics, as sent). */
static int sub_find(zsession *s, const uint8_t *t, size_t len)
{
    for (int i = 0; i < s->nsubs; i++)
        if (s->subs[i].len == len && (len == 0 || memcmp(s->subs[i].data, t, len) == 0))
            return i;
    return -1;
}

static void sub_forget_all(zsession *s)
{
    for (int i = 0; i < s->nsubs; i++)
        free(s->subs[i].data);
    free(s->subs);
    s->subs = NULL;
    s->nsubs = s->capsubs = s->sub_replay = 0;
}

static void sub_note(zsession *s, int subscribe, const uint8_t *t, size_t len)
{
    int i = sub_find(s, t, len);
    if (!subscribe) {
        if (i >= 0) {
            free(s->subs[i].data);
            s->subs[i] = s->subs[--s->nsubs];
        }
        return;
    }
    if (i >= 0)
        return; /* the SUB counts duplicates; upstream a topic is there or not */
    if (s->nsubs == s->capsubs) {
        int cap = s->capsubs ? s->capsubs * 2 : 8;
        struct sub_topic *n = realloc(s->subs, (size_t)cap * sizeof *n);
        if (!n)
            return; /* out of memory: this topic is not replayed after a reconnect */
        s->subs = n;
        s->capsubs = cap;
    }
    uint8_t *d = malloc(len ? len : 1);
    if (!d)
        return;
    if (len)
        memcpy(d, t, len);
    s->subs[s->nsubs++] = (struct sub_topic){d, len};
}

/* Replaces a large frame by its MESSAGE, sealed into a buffer of its own. */
static int tx_seal(zsession *s, zmsg *m)
{
    uint64_t n = zmtp_crypto_sealed_size(m->size);
    zmsg sealed;
    if (n > SIZE_MAX || zmsg_init_size(&sealed, (size_t)n) < 0)
        return -ENOMEM;
    ptrdiff_t r = zmtp_crypto_seal(s->crypto, zmsg_data(&sealed), (size_t)n,
                                   zmsg_more(m) ? ZMTP_FLAG_MORE : 0, zmsg_data(m), m->size);
    if (r < 0) {
        zmsg_close(&sealed);
        return -EPROTO; /* the nonces ran out: this connection can say no more */
    }
    zmsg_close(m);
    *m = sealed;
    return 0;
}

/* Packs what there is to send into one batch (s->tx_v): the number of slices, 0 when
 * there is nothing (*dry: the pipe has no more now), or a negative errno when the
 * stream cannot go on. */
static int tx_pack(zsession *s, bool *dry)
{
    zmtp_encoder *e = &s->enc;
    int n = 0;
    size_t seg = 0;
    if (s->pong_pending && zmtp_encoder_pong(e, s->pong_ctx, s->pong_len) == ZMTP_OK)
        s->pong_pending = false;
    if (s->ping_pending) {
        int ttl = s->o.heartbeat_ttl / 100; /* tenths of a second on the wire */
        if (zmtp_encoder_ping(e, (uint16_t)(ttl > 65535 ? 65535 : ttl), NULL, 0) == ZMTP_OK)
            s->ping_pending = false;
    }
    /* a new connection starts with the subscriptions the old one had */
    while (s->sub_replay < s->nsubs) {
        struct sub_topic *t = &s->subs[s->sub_replay];
        int rc = zmtp_encoder_subscription(e, s->minor, 1, t->data, t->len);
        if (rc == ZMTP_E_NOSPACE && e->len > 0)
            break;
        s->sub_replay++;
    }
    while (s->sub_replay == s->nsubs && tx_next(s, dry)) {
        zmsg *m = &s->tx_msg;
        const uint8_t *d = zmsg_data(m);
        /* a subscription is a whole one-frame message; anything else marked so (a
         * frame of a multipart message) travels as the data it also is */
        bool sub = (m->flags & ZMSG_SUBSCRIPTION) && s->tx_msg_first && !zmsg_more(m) &&
                   m->size >= 1 && d[0] <= 1;
        bool large = !sub && m->size > TX_COPY_MAX;
        if (large && s->tx_nlarge == TX_MAX_LARGE)
            break;
        int rc;
        if (large && s->crypto) {
            /* the sealed frame, header and all, goes out as the body would */
            if ((rc = tx_seal(s, m)) < 0)
                return rc;
            rc = ZMTP_ENC_SEPARATE;
        } else {
            rc = sub ? zmtp_encoder_subscription(e, s->minor, d[0], d + 1, m->size - 1)
                     : zmtp_encoder_frame(e, d, m->size, zmsg_more(m) ? ZMTP_FLAG_MORE : 0);
        }
        if (rc == ZMTP_E_NOSPACE && e->len > 0)
            break; /* next batch */
        if (rc < 0) {
            /* can never be encoded (a subscription larger than the buffer): dropped, as
             * libzmq drops what it cannot send; the frames after it are unaffected */
            zmsg_close(m);
            s->tx_has_msg = false;
            continue;
        }
        if (sub && s->keep_pipe) {
            sub_note(s, d[0], d + 1, m->size - 1);
            s->sub_replay = s->nsubs; /* sent just now: nothing of it to replay */
        }
        if (rc == ZMTP_ENC_SEPARATE) {
            if (e->len > seg)
                s->tx_v[n++] = (aio_slice){s->sbuf, seg, e->len - seg};
            aio_slice body;
            if (zmsg_to_buf(m, &body) < 0)
                return -ENOMEM; /* its header is in the stream already: the stream ends */
            s->tx_v[n++] = body;
            s->tx_large[s->tx_nlarge++] = *m;
            zmsg_init(m);
            seg = e->len;
        } else {
            zmsg_close(m);
        }
        s->tx_has_msg = false;
    }
    if (e->len > seg)
        s->tx_v[n++] = (aio_slice){s->sbuf, seg, e->len - seg};
    s->tx_n = n;
    s->tx_batch_enc = n > 0;
    return n;
}

/* Packs what there is to send into one batch and sends it. */
static void tx_fill(zsession *s)
{
    if (s->state != SS_ACTIVE || s->tx_busy)
        return;
    if (s->raw) {
        raw_tx_fill(s);
        return;
    }
    bool dry = false;
    int n = tx_pack(s, &dry);
    if (n < 0) {
        conn_lost(s, LOSS_CONN, -n);
        return;
    }
    if (n == 0) {
        if (s->closing && dry && s->sub_replay == s->nsubs)
            session_finish(s); /* linger: everything queued went out */
        return;
    }
    tx_submit(s);
}

/* ---- sending from the socket's thread ------------------------------------------------------- */

/* Whether the socket's thread may send the next batch itself: the connection is up and
 * idle (nothing in flight or half packed, no command due), and the peer has sent a
 * message since our last send, so it is likely waiting for the answer. */
static bool tx_now_ok(zsession *s)
{
    return s->state == SS_ACTIVE && s->rx_since_tx && !s->raw && !s->crypto && !s->closing &&
           !s->no_send_now && s->as && s->pipe && !zpipe_conflates(s->pipe) && !s->tx_busy &&
           !s->tx_handoff && !s->tx_has_msg && s->tx_n == 0 && !s->ping_pending &&
           !s->pong_pending && s->sub_replay == s->nsubs;
}

/* Every entry point of the I/O thread starts here: from now on the socket's thread
 * keeps off the sending side (one that is sending now finishes first). */
static void enter(zsession *s)
{
    zmutex_lock(&s->tx_lock);
    s->tx_now = false;
    zmutex_unlock(&s->tx_lock);
}

/* ... and ends here: the session is freed if it ended, or else the socket's thread
 * may send the next batch when the connection is idle. */
static void leave(zsession *s)
{
    if (s->zombie) {
        session_free(s);
        return;
    }
    if (tx_now_ok(s)) {
        zmutex_lock(&s->tx_lock);
        s->tx_now = true;
        zmutex_unlock(&s->tx_lock);
    }
}

/* On the socket's thread, in its flush (the pipe's lock held, so s and its end e are
 * alive): sends what the pipe holds with aio_send_now, which saves the wake-up of the I/O
 * thread, one of three per message each way, when the I/O thread left the connection
 * idle (tx_now). What the kernel does not take at once, and any error, goes to the I/O
 * thread by tx_cmd. False: not allowed now, the I/O thread is to be woken. */
static bool tx_now_send(zsession *s, zpipe_end *e)
{
    if (!zmutex_trylock(&s->tx_lock))
        return false; /* the I/O thread is in: it will be told */
    if (!s->tx_now || e != s->pipe) {
        zmutex_unlock(&s->tx_lock);
        return false;
    }
    s->tx_now = false; /* once: the next message waits for another one from the peer */
    s->rx_since_tx = false;
    /* one batch: the I/O thread waits for this lock, so it is held for one system call */
    bool dry = false;
    int n = tx_pack(s, &dry);
    if (n < 0) {
        s->tx_handoff_err = -n;
        s->tx_handoff = true;
    } else if (n > 0) {
        int rc = aio_send_now(s->as, s->tx_v, n);
        if (rc > 0 && tx_advance(s, (size_t)rc)) {
            tx_batch_done(s);
            s->tx_handoff = !dry; /* more than a batch: the I/O thread packs the rest */
        } else {
            /* a full socket buffer, or an error the I/O thread's own send will report */
            s->tx_busy = true; /* the batch is the I/O thread's now: nothing packs another */
            s->tx_handoff = true;
        }
    }
    if (s->tx_handoff)
        zmailbox_post(zio_mailbox(s->io), &s->tx_cmd);
    zmutex_unlock(&s->tx_lock);
    return true;
}

/* What the socket's thread left: the rest of a batch to send, more of the pipe to pack,
 * or the loss to report. */
static void cmd_tx(zcmd *c)
{
    zsession *s = c->target;
    enter(s);
    if (s->tx_handoff) {
        int err = s->tx_handoff_err;
        s->tx_handoff = false;
        s->tx_handoff_err = 0;
        s->tx_busy = false;
        if (err)
            conn_lost(s, LOSS_CONN, err);
        else if (s->tx_n > 0)
            tx_submit(s);
        else
            tx_fill(s);
    }
    leave(s);
}

static void errsend_next(zsession *s)
{
    if (!s->err_next) {
        conn_lost(s, LOSS_PROTOCOL, EPROTO); /* the last words are out: close */
        return;
    }
    if (s->hs_obuf)
        aio_buf_unref(s->hs_obuf);
    s->hs_obuf = s->err_next;
    s->err_next = NULL;
    s->tx_v[0] = (aio_slice){s->hs_obuf, 0, s->err_len};
    s->tx_n = 1;
    tx_submit(s);
}

static void on_send(zsession *s, const aio_completion *c)
{
    s->tx_busy = false;
    if (c->status < 0 || c->bytes == 0) {
        conn_lost(s, s->state == SS_ERRSEND ? LOSS_PROTOCOL : LOSS_CONN,
                  c->status < 0 ? -c->status : EPIPE);
        return;
    }
    if (!tx_advance(s, c->bytes)) {
        tx_submit(s); /* a partial send: the rest, from where it stopped */
        return;
    }
    tx_batch_done(s);
    switch (s->state) {
    case SS_HANDSHAKE: hs_send(s); break;
    case SS_ACTIVE: tx_fill(s); break;
    case SS_ERRSEND: errsend_next(s); break;
    default: break;
    }
}

/* ---- receiving ---------------------------------------------------------------------------------- */

static void rx_submit(zsession *s)
{
    if (s->rx_busy || !s->as)
        return;
    int rc;
    if (s->rx_large_on) {
        uint64_t rem = zmtp_decoder_body_remaining(&s->dec);
        if (rem >= RX_DIRECT_MIN) {
            size_t len = rem > RX_DIRECT_MAX ? RX_DIRECT_MAX : (size_t)rem;
            /* The same recv reads what follows the body into the buffer, as much as the
             * recv after it would (below): one system call a large message instead of
             * two. Only once the buffer's bytes are all decoded, which they are when a
             * body is left to come. */
            size_t head = s->rx_after_large && s->rcap > RX_HEAD ? RX_HEAD : s->rcap;
            aio_slice v[2] = {{s->rx_large.buf, s->rx_large.off + (size_t)s->rx_large_have, len},
                              {s->rbuf, 0, head}};
            int n = len == rem && s->rpos == s->rlen ? 2 : 1;
            if (n == 2)
                s->rpos = s->rlen = 0;
            rc = aio_recvv(s->as, v, n);
            if (rc < 0) {
                conn_lost(s, LOSS_CONN, -rc);
                return;
            }
            s->rx_busy = s->rx_direct = true;
            s->rx_direct_len = len;
            return;
        }
    }
    /* A connection grows only once a recv has filled the small buffer: a probe that sends
     * a few bytes, or none, pins 512 bytes and not 64 KiB (a STREAM server under a probe
     * storm), and so does an idle ZMTP connection (10,000 idle DEALERs: the big buffer's
     * first page alone was a seventh of each connection's resident memory). */
    if (s->state == SS_ACTIVE && s->rcap < RX_BIG && s->rlen == s->rcap) {
        aio_buf *b;
        if (aio_buf_new(RX_BIG, &b) == 0) { /* else the small one still works */
            aio_buf_unref(s->rbuf);
            s->rbuf = b;
            s->rcap = RX_BIG;
        }
    }
    s->rpos = s->rlen = 0;
    /* After a large frame another may follow: read little more than its header and the
     * start of its body here, so that the bulk of it goes straight into the message
     * (the branch above) rather than through this buffer and a copy. Small frames turn
     * this off again and get the whole buffer's worth per recv. */
    size_t want = s->rcap;
    if (s->rx_after_large) {
        /* the header comes after what is left of a large body still arriving (a direct
         * recv that came back short), which this recv takes too */
        uint64_t head = RX_HEAD;
        if (s->rx_large_on)
            head += zmtp_decoder_body_remaining(&s->dec);
        if (want > head)
            want = (size_t)head;
    }
    rc = aio_recv(s->as, s->rbuf, 0, want);
    if (rc < 0) {
        conn_lost(s, LOSS_CONN, -rc);
        return;
    }
    s->rx_busy = true;
}

/* The connection's metadata for m, with a reference of its own. The references are taken
 * from meta in bulk: the application thread drops each message's, and a count the I/O
 * thread also wrote on every message moved between the two cores each time (an eighth of
 * the receiving thread at 64 B messages). */
static void meta_give(zsession *s, zmsg *m)
{
    if (m->meta == s->meta)
        return; /* a frame given back by a full pipe and delivered again keeps its own */
    if (s->meta_credit == 0) {
        zmeta_ref_n(s->meta, META_CREDIT);
        s->meta_credit = META_CREDIT;
    }
    s->meta_credit--;
    zmeta_unref(m->meta);
    m->meta = s->meta;
}

/* Replaces the connection's metadata (NULL: none), giving back what meta_give held. */
static void meta_set(zsession *s, zmeta *meta)
{
    if (s->meta)
        zmeta_unref_n(s->meta, s->meta_credit + 1);
    s->meta_credit = 0;
    s->meta = meta;
}

/* Writes one frame to the pipe (m moved in). A full pipe keeps it and stops receiving. */
static void rx_deliver(zsession *s, zmsg *m)
{
    if (!s->pipe) {
        zmsg_close(m);
        return;
    }
    bool more = zmsg_more(m);
    if (s->meta)
        meta_give(s, m);
    /* whole messages before a multipart one go now, so a rollback of a cut multipart
     * message takes back only its own frames */
    if (!s->rx_in_msg && more && s->rx_unflushed) {
        zpipe_flush(s->pipe);
        s->rx_unflushed = false;
    }
    zpipe_status st = zpipe_write(s->pipe, m);
    if (st == ZPIPE_FULL && s->rx_unflushed) {
        /* the HWM counts unflushed messages the socket cannot see yet: show them */
        zpipe_flush(s->pipe);
        s->rx_unflushed = false;
        st = zpipe_write(s->pipe, m);
    }
    if (st == ZPIPE_FULL) {
        s->rx_pending = *m;
        zmsg_init(m);
        s->has_rx_pending = true;
        s->rx_blocked = true;
        return;
    }
    if (st == ZPIPE_TERMINATED)
        zmsg_close(m); /* the socket is gone (PEER_GONE follows): nobody to read it */
    s->rx_in_msg = more;
    if (!more && st == ZPIPE_OK)
        s->rx_unflushed = s->rx_since_tx = true;
}

static void rx_frame(zsession *s, const uint8_t *data, size_t len, uint8_t flags)
{
    s->rx_after_large = false;
    zmsg m;
    if (zmsg_init_copy(&m, data, len) < 0) {
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    bool more = (flags & ZMTP_FLAG_MORE) != 0;
    if (more)
        m.flags |= ZMSG_MORE;
    /* a ZMTP 3.0 peer subscribes with messages: mark them for PUB/XPUB */
    if (!more && !s->rx_in_msg && is_pub(s) && len >= 1 && data[0] <= 1)
        m.flags |= ZMSG_SUBSCRIPTION;
    rx_deliver(s, &m);
}

static void rx_command(zsession *s, const zmtp_command *c)
{
    switch (c->type) {
    case ZMTP_CMD_PING: {
        size_t n = c->context_len > ZMTP_PING_MAX_CONTEXT ? ZMTP_PING_MAX_CONTEXT : c->context_len;
        if (n)
            memcpy(s->pong_ctx, c->context, n);
        s->pong_len = n;
        s->pong_pending = true; /* sent by rx_run once the recv is processed */
        if (c->ttl > 0)
            zio_timer_start(s->io, &s->t_ttl, c->ttl * 100);
        break;
    }
    case ZMTP_CMD_SUBSCRIBE:
    case ZMTP_CMD_CANCEL: {
        if (!is_pub(s) || s->rx_in_msg)
            break; /* only a publisher has use for them */
        zmsg m;
        if (zmsg_init_size(&m, c->data_len + 1) < 0) {
            conn_lost(s, LOSS_CONN, ENOMEM);
            return;
        }
        uint8_t *d = zmsg_data(&m);
        d[0] = c->type == ZMTP_CMD_SUBSCRIBE ? 1 : 0;
        if (c->data_len)
            memcpy(d + 1, c->data, c->data_len);
        m.flags |= ZMSG_SUBSCRIPTION;
        rx_deliver(s, &m);
        break;
    }
    default:
        /* PONG (any traffic counts already), and whatever else a peer may send after
         * the handshake: libzmq ignores unknown commands, and so do we */
        break;
    }
}

static uint32_t protocol_code(int err);

/* A MESSAGE that does not open ends the connection, reported as libzmq does. */
static void rx_crypto_fail(zsession *s, int err)
{
    ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, protocol_code(err));
    conn_lost(s, LOSS_PROTOCOL, EPROTO);
}

/* What an opened MESSAGE carried: a frame, or a command (PING, SUBSCRIBE...). */
static void rx_opened(zsession *s, unsigned flags, const uint8_t *frame, size_t len)
{
    if (!(flags & ZMTP_FLAG_COMMAND)) {
        rx_frame(s, frame, len, (uint8_t)flags);
        return;
    }
    zmtp_command c;
    int rc = zmtp_command_parse(frame, len, &c);
    if (rc < 0) {
        rx_crypto_fail(s, rc);
        return;
    }
    rx_command(s, &c);
}

/* A whole MESSAGE the decoder reported (a frame, or a command from a peer that sends
 * it as one): opened into the session's plaintext buffer. */
static void rx_sealed(zsession *s, uint8_t fflags, const uint8_t *body, size_t len)
{
    unsigned flags;
    uint8_t *frame;
    size_t flen;
    int rc = zmtp_crypto_open(s->crypto, fflags, body, len, s->plain, DEC_SCRATCH, &flags, &frame,
                              &flen);
    if (rc < 0) {
        rx_crypto_fail(s, rc);
        return;
    }
    rx_opened(s, flags, frame, flen);
}

static void rx_large_end(zsession *s)
{
    zmsg m = s->rx_large;
    zmsg_init(&s->rx_large);
    s->rx_large_on = false;
    uint8_t flags = s->rx_large_flags;
    if (s->crypto) {
        /* opened in place: the frame it carried starts 33 bytes into the buffer */
        uint8_t *d = zmsg_data(&m), *frame;
        unsigned f;
        size_t flen;
        int rc = zmtp_crypto_open(s->crypto, flags, d, m.size, d + 32, m.size - 32, &f, &frame,
                                  &flen);
        if (rc < 0 || (f & ZMTP_FLAG_COMMAND)) {
            if (rc == 0)
                rx_opened(s, f, frame, flen); /* a command as large as that: a long topic */
            else
                rx_crypto_fail(s, rc);
            zmsg_close(&m);
            return;
        }
        m.off += (size_t)(frame - d);
        m.size = flen;
        flags = (uint8_t)f;
    }
    if (flags & ZMTP_FLAG_MORE)
        m.flags |= ZMSG_MORE;
    rx_deliver(s, &m);
}

static void rx_large_begin(zsession *s, uint64_t size, uint8_t flags)
{
    /* the decoder checked MAXMSGSIZE before a byte of the body was accepted */
    if (size > SIZE_MAX || zmsg_init_size(&s->rx_large, (size_t)size) < 0) {
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    s->rx_large_on = true;
    /* the next frame is likely as large: worth a short recv for its header if the rest
     * of it would then go straight into its message. Short indeed: what that recv takes
     * of the body is copied, and with 32 KiB (once RX_DIRECT_MIN's value) a 1 MiB
     * stream went at 2,000-2,960 msg/s on uring and 2,230-2,650 on epoll, with 1 KiB at
     * 3,470-4,380 and 3,680-4,470; 256 KiB 12,600-13,100 and 17,500-18,400 (epoll);
     * 64 KiB 5 % faster, within the noise at 16 and 40 KiB. */
    s->rx_after_large = size >= RX_HEAD + RX_DIRECT_MIN;
    s->rx_large_have = 0;
    s->rx_large_flags = flags;
}

static void rx_large_chunk(zsession *s, const uint8_t *data, size_t len, int last)
{
    if (len)
        memcpy(zmsg_data(&s->rx_large) + s->rx_large_have, data, len);
    s->rx_large_have += len;
    if (last)
        rx_large_end(s);
}

/* Decodes what the recv buffer holds, then receives again (unless the pipe is full). */
static void rx_run(zsession *s)
{
    while (s->state == SS_ACTIVE && !s->rx_blocked) {
        if (s->has_rx_pending) {
            zmsg m = s->rx_pending;
            s->has_rx_pending = false;
            zmsg_init(&s->rx_pending);
            rx_deliver(s, &m);
            continue;
        }
        if (s->rpos == s->rlen)
            break;
        if (s->raw) { /* what came is one message, as it came */
            zmsg m;
            if (zmsg_init_copy(&m, (const uint8_t *)aio_buf_data(s->rbuf) + s->rpos,
                               s->rlen - s->rpos) < 0) {
                conn_lost(s, LOSS_CONN, ENOMEM);
                return;
            }
            s->rpos = s->rlen;
            rx_deliver(s, &m);
            continue;
        }
        zmtp_event e;
        const uint8_t *in = (const uint8_t *)aio_buf_data(s->rbuf) + s->rpos;
        ptrdiff_t n = zmtp_decoder_feed(&s->dec, in, s->rlen - s->rpos, &e);
        if (n < 0) {
            conn_lost(s, LOSS_PROTOCOL, EPROTO); /* a bad frame, or one over MAXMSGSIZE */
            return;
        }
        s->rpos += (size_t)n;
        switch (e.type) {
        case ZMTP_EV_NONE:
            /* the decoder holds part of a frame that comes whole (up to its scratch
             * size): the rest comes at full size, not RX_HEAD a recv. (Part of a header
             * keeps the flag: that frame may be large.) */
            if (s->dec.state == ZMTP_DEC_GATHER)
                s->rx_after_large = false;
            break;
        case ZMTP_EV_FRAME:
            if (s->crypto)
                rx_sealed(s, e.flags, e.data, e.len);
            else
                rx_frame(s, e.data, e.len, e.flags);
            break;
        case ZMTP_EV_COMMAND:
            if (s->crypto)
                rx_sealed(s, e.flags, e.data, e.len);
            else
                rx_command(s, &e.cmd);
            break;
        case ZMTP_EV_HEADER: rx_large_begin(s, e.size, e.flags); break;
        case ZMTP_EV_BODY: rx_large_chunk(s, e.data, e.len, e.last); break;
        }
    }
    if (s->state != SS_ACTIVE)
        return;
    if (!s->rx_in_msg && s->rx_unflushed) {
        zpipe_flush(s->pipe);
        s->rx_unflushed = false;
    }
    if (s->pong_pending) {
        tx_fill(s);
        if (s->state != SS_ACTIVE)
            return;
    }
    if (!s->rx_blocked && s->rpos == s->rlen)
        rx_submit(s);
}

/* ---- the handshake ------------------------------------------------------------------------- */

static void hs_send(zsession *s)
{
    if (s->tx_busy || !s->hs)
        return;
    const uint8_t *out;
    size_t n = zmtp_handshake_output(s->hs, &out);
    if (n == 0)
        return;
    if (!s->hs_obuf || aio_buf_size(s->hs_obuf) < n) {
        if (s->hs_obuf)
            aio_buf_unref(s->hs_obuf);
        s->hs_obuf = NULL;
        if (aio_buf_new(n < 256 ? 256 : n, &s->hs_obuf) < 0) {
            conn_lost(s, LOSS_CONN, ENOMEM);
            return;
        }
    }
    memcpy(aio_buf_data(s->hs_obuf), out, n);
    zmtp_handshake_sent(s->hs, n);
    s->tx_v[0] = (aio_slice){s->hs_obuf, 0, n};
    s->tx_n = 1;
    tx_submit(s);
}

static uint32_t protocol_code(int err)
{
    switch (err) {
    case ZMTP_E_MECHANISM:
    case ZMTP_E_ROLE: return ZAIO_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
    case ZMTP_E_UNEXPECTED_COMMAND: return ZAIO_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND;
    case ZMTP_E_UNEXPECTED_MESSAGE: return ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE;
    case ZMTP_E_MALFORMED_COMMAND:
    case ZMTP_E_MALFORMED_PING:
    case ZMTP_E_RESERVED_FLAGS:
    case ZMTP_E_COMMAND_MORE:
    case ZMTP_E_COMMAND_TOO_LARGE: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED;
    case ZMTP_E_MALFORMED_HELLO: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO;
    case ZMTP_E_MALFORMED_ERROR: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR;
    case ZMTP_E_MALFORMED_WELCOME: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME;
    case ZMTP_E_MALFORMED_INITIATE: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE;
    case ZMTP_E_MALFORMED_READY: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY;
    case ZMTP_E_MALFORMED_MESSAGE: return ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE;
    /* CURVE, as libzmq names them: a box that does not open (a wrong key, or tampering),
     * a vouch for other keys, a nonce that did not grow */
    case ZMTP_E_CRYPTO: return ZAIO_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC;
    case ZMTP_E_KEY_EXCHANGE: return ZAIO_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE;
    case ZMTP_E_NONCE: return ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE;
    case ZMTP_E_MALFORMED_METADATA:
    case ZMTP_E_NO_SOCKET_TYPE:
    case ZMTP_E_UNKNOWN_SOCKET_TYPE:
    case ZMTP_E_SOCKET_TYPE_MISMATCH: return ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_METADATA;
    default: return ZAIO_PROTOCOL_ERROR_ZMTP_UNSPECIFIED;
    }
}

#define MISMATCH_REASON "Incompatible socket type"

static void hs_fail(zsession *s, int err)
{
    if (err == ZMTP_E_NOMEM || err == ZMTP_E_INVAL) {
        conn_lost(s, LOSS_CONN, ENOMEM); /* ours, not the peer's fault */
        return;
    }
    if (err == ZMTP_E_AUTH_DENIED) {
        /* the ZAP reply's status was reported when it came (zap_read) */
    } else if (err == ZMTP_E_PEER_ERROR) {
        /* a ZAP status code ("400") is an authentication failure, as libzmq reports it */
        const uint8_t *r;
        size_t rlen;
        zmtp_handshake_error_reason(s->hs, &r, &rlen);
        if (rlen == 3 && r[0] >= '3' && r[0] <= '5' && r[1] >= '0' && r[1] <= '9' &&
            r[2] >= '0' && r[2] <= '9')
            ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH,
               (uint32_t)((r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0')));
        else
            ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZAIO_PROTOCOL_ERROR_ZMTP_UNSPECIFIED);
    } else if (err == ZMTP_E_OLD_VERSION) {
        /* an old peer where a mechanism is set: libzmq 4.3.4 reports DISCONNECTED alone */
    } else {
        ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, protocol_code(err));
    }
    /* What goes out before the close: what the handshake holds (an ERROR after a
     * refused HELLO) and, for a socket-type mismatch, an ERROR of ours saying why
     * (ZMTP 3.x only: older peers know no commands). */
    const uint8_t *out;
    size_t n = zmtp_handshake_output(s->hs, &out);
    bool mismatch = err == ZMTP_E_SOCKET_TYPE_MISMATCH &&
                    zmtp_handshake_framing(s->hs) == ZMTP_FRAMING_V3;
    if (n == 0 && !mismatch) {
        conn_lost(s, LOSS_PROTOCOL, EPROTO);
        return;
    }
    size_t cap = n + ZMTP_MAX_HEADER + 7 + sizeof MISMATCH_REASON;
    aio_buf *b;
    if (aio_buf_new(cap, &b) < 0) {
        conn_lost(s, LOSS_PROTOCOL, EPROTO);
        return;
    }
    zmtp_encoder e;
    zmtp_encoder_init(&e, aio_buf_data(b), cap, cap);
    memcpy(e.buf, out, n);
    e.len = n;
    zmtp_handshake_sent(s->hs, n);
    if (mismatch)
        zmtp_encoder_error(&e, MISMATCH_REASON, sizeof MISMATCH_REASON - 1);
    s->err_next = b;
    s->err_len = e.len;
    s->state = SS_ERRSEND;
    /* a peer that does not read cannot keep us: the close comes after this at most */
    zio_timer_start(s->io, &s->t_handshake, ERRSEND_MS);
    if (!s->tx_busy)
        errsend_next(s);
}

static void hs_done(zsession *s)
{
    zio_timer_cancel(s->io, &s->t_handshake);
    zio_timer_cancel(s->io, &s->t_ready);
    if (s->counted_hs) {
        atomic_fetch_sub(&s->ctx->handshakes, 1);
        s->counted_hs = false;
    }
    s->minor = zmtp_handshake_minor(s->hs);
    s->framing = zmtp_handshake_framing(s->hs);
    bool subscribe_all = zmtp_handshake_peer_unversioned(s->hs) && is_pub(s);

    /* the peer's metadata, our view of it, and its routing id */
    const uint8_t *md, *id = NULL;
    size_t md_len, id_len = 0;
    zmtp_handshake_peer_metadata(s->hs, &md, &md_len);
    char addr[64];
    peer_address(s, addr, sizeof addr);
    const char *extra[4] = {"Peer-Address", addr, "User-Id", s->zap_user};
    zmeta *meta;
    if (s->zap_md_len) {
        /* the handler's properties first: they win over the peer's of the same name */
        uint8_t *all = malloc(s->zap_md_len + md_len);
        if (all) {
            memcpy(all, s->zap_md, s->zap_md_len);
            if (md_len)
                memcpy(all + s->zap_md_len, md, md_len);
        }
        meta = all ? zmeta_new(all, s->zap_md_len + md_len, extra, s->zap_user[0] ? 2 : 1) : NULL;
        free(all);
    } else {
        meta = zmeta_new(md, md_len, extra, s->zap_user[0] ? 2 : 1);
    }
    if (!zmtp_handshake_peer_routing_id(s->hs, &id, &id_len) || id_len > 255)
        id_len = 0; /* none, or too long to route by: the socket makes one up */
    if (s->client && s->o.connect_routing_id_len) { /* CONNECT_ROUTING_ID: ours wins */
        id = s->o.connect_routing_id;
        id_len = s->o.connect_routing_id_len;
    }

    /* buffers for the message phase, once per session (reconnects reuse them) */
    zmtp_crypto *crypto = zmtp_handshake_take_crypto(s->hs);
    if (!s->sbuf && aio_buf_new(TX_BUF, &s->sbuf) == 0)
        zmtp_encoder_init(&s->enc, aio_buf_data(s->sbuf), TX_BUF, TX_COPY_MAX);
    if (!s->scratch)
        s->scratch = malloc(DEC_SCRATCH);
    if (crypto && !s->plain)
        s->plain = malloc(DEC_SCRATCH);
    if (!meta || !s->sbuf || !s->scratch || (crypto && !s->plain)) {
        zmtp_crypto_free(crypto);
        zmeta_unref(meta);
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    meta_set(s, meta);
    /* MAXMSGSIZE is the message's; CURVE's box around it does not count */
    uint64_t max = s->o.maxmsgsize > 0 ? (uint64_t)s->o.maxmsgsize : 0;
    if (max && crypto)
        max += ZMTP_CRYPTO_OVERHEAD;
    zmtp_decoder_init(&s->dec, s->scratch, DEC_SCRATCH, max);
    zmtp_decoder_set_framing(&s->dec, s->framing);
    zmtp_encoder_set_framing(&s->enc, s->framing);
    s->crypto = crypto;
    zmtp_encoder_set_crypto(&s->enc, crypto);
    if (crypto)
        zmtp_decoder_set_options(&s->dec, ZMTP_DEC_STREAM_COMMANDS);

    zpipe_end *sock_end = NULL;
    if (!s->pipe) {
        if (pipe_create(s, &sock_end) < 0) {
            conn_lost(s, LOSS_CONN, ENOMEM);
            return;
        }
        zpipe_user *u = zpipe_user_of(sock_end);
        if (id_len)
            memcpy(u->routing_id, id, id_len);
        u->routing_id_len = (uint8_t)id_len;
        u->meta = zmeta_ref(meta);
    }

    /* what the handshake still has to say (a PLAIN server's READY) goes first */
    const uint8_t *out;
    size_t n = zmtp_handshake_output(s->hs, &out);
    memcpy(s->enc.buf + s->enc.len, out, n);
    s->enc.len += n;
    zmtp_handshake_free(s->hs);
    s->hs = NULL;

    s->state = SS_ACTIVE;
    s->reconnect_cur = s->o.reconnect_ivl;
    s->sub_replay = 0;
    ev(s, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 0);
    notify_router(s, ZAIO_NOTIFY_CONNECT);
    if (sock_end)
        zsock_post_attach(s->smb, sock_end);
    if (s->o.heartbeat_ivl > 0 && s->framing == ZMTP_FRAMING_V3) /* no PING before 3.0 */
        zio_timer_start(s->io, &s->t_hb, s->o.heartbeat_ivl);
    if (subscribe_all) {
        /* a ZMTP 1.0 subscriber filtered for itself and never says what it wants: it
         * gets everything, as libzmq injects for it */
        zmsg m;
        if (zmsg_init_copy(&m, "\x01", 1) < 0) {
            conn_lost(s, LOSS_CONN, ENOMEM);
            return;
        }
        m.flags |= ZMSG_SUBSCRIPTION;
        rx_deliver(s, &m);
    }
    tx_fill(s);
}

static void zap_ask(zsession *s);

/* Feeds the peer's handshake bytes; what follows the handshake is the message stream. */
static void hs_run(zsession *s)
{
    const uint8_t *in = (const uint8_t *)aio_buf_data(s->rbuf) + s->rpos;
    ptrdiff_t n = zmtp_handshake_feed(s->hs, in, s->rlen - s->rpos);
    if (n < 0) {
        hs_fail(s, (int)n);
        return;
    }
    s->rpos += (size_t)n;
    int st = zmtp_handshake_status(s->hs);
    if (st == ZMTP_HS_DONE) {
        hs_done(s);
        if (s->state == SS_ACTIVE)
            rx_run(s);
        return;
    }
    hs_send(s);
    if (s->state != SS_HANDSHAKE)
        return;
    if (zmtp_handshake_ready_held(s->hs) && !armed(&s->t_ready))
        zio_timer_start(s->io, &s->t_ready, READY_HOLD_MS);
    if (st == ZMTP_HS_AUTH) {
        /* no recv until the verdict: rbuf keeps what the handshake did not take */
        if (!s->zap)
            zap_ask(s);
        return;
    }
    rx_submit(s);
}

/* ---- ZAP ------------------------------------------------------------------------------------ */

static void zap_close(zsession *s)
{
    if (s->zap) {
        pipe_unwatch(s, s->zap);
        zpipe_detach(s->zap);
        s->zap = NULL;
    }
}

/* Frees what the last handler said, when the connection that it was about goes. */
static void zap_forget(zsession *s)
{
    zap_close(s);
    free(s->zap_md);
    s->zap_md = NULL;
    s->zap_md_len = 0;
    s->zap_user[0] = 0;
}

/* The handshake goes on with the verdict, from what the peer sent meanwhile. */
static void zap_verdict(zsession *s, int status)
{
    int rc = zmtp_handshake_auth(s->hs, status);
    if (rc < 0) {
        hs_fail(s, rc);
        return;
    }
    hs_run(s);
}

static void session_cmd_zap(zcmd *c);
static void zap_read(zsession *s);

static void zap_ask(zsession *s)
{
    bool plain = s->o.mechanism == ZAIO_PLAIN, curve = s->o.mechanism == ZAIO_CURVE;
    if (curve && !s->o.zap_domain[0] && s->o.zap_enforce_domain) {
        /* libzmq 4.3.4's CURVE asks ZAP when a domain is set or it is not enforced:
         * enforced without a domain, the handler is not asked at all */
        zap_verdict(s, 200);
        return;
    }
    zpipe_end *e;
    int rc = zzap_open(s->ctx, &e);
    if (rc == -ECONNREFUSED && !plain && !s->o.zap_enforce_domain) {
        /* NULL, CURVE: no handler lets everyone in, as libzmq (CURVE: everyone who knows
         * the server's key, which is libzmq's "Stonehouse") */
        zap_verdict(s, 200);
        return;
    }
    if (rc < 0) {
        /* PLAIN or an enforced domain with no handler: nobody comes in (libzmq 4.3.4
         * reports this as HANDSHAKE_FAILED_NO_DETAIL with EFAULT) */
        conn_lost(s, LOSS_CONN, rc == -ECONNREFUSED ? EFAULT : ENOMEM);
        return;
    }
    pipe_watch(s, e, session_cmd_zap);
    s->zap = e;
    char addr[64];
    peer_address(s, addr, sizeof addr);
    zzap_request r = {
        .domain = s->o.zap_domain,
        .address = addr,
        .routing_id = s->o.routing_id,
        .routing_id_len = s->o.routing_id_len,
        .mechanism = plain ? "PLAIN" : curve ? "CURVE" : "NULL",
        .ncred = plain ? 2 : curve ? 1 : 0, /* CURVE: the client's public key, 32 bytes */
    };
    zmtp_handshake_credentials(s->hs, &r.cred[0], &r.cred_len[0], &r.cred[1], &r.cred_len[1]);
    rc = zzap_send(e, &r);
    if (rc == -ENOMEM) {
        conn_lost(s, LOSS_CONN, ENOMEM);
    } else if (rc < 0) {
        ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZAIO_PROTOCOL_ERROR_ZAP_UNSPECIFIED);
        conn_lost(s, LOSS_PROTOCOL, EPROTO);
    } else {
        /* a pipe wakes only a reader that found it empty: look once, so the reply's
         * flush notifies us */
        zap_read(s);
    }
}

static void zap_read(zsession *s)
{
    zzap_reply r;
    uint32_t code = ZAIO_PROTOCOL_ERROR_ZAP_UNSPECIFIED; /* the handler went away */
    int rc = zzap_recv(s->zap, &r, &code);
    if (rc == ZZAP_PENDING)
        return;
    zap_close(s);
    if (rc == ZZAP_NOMEM) {
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    if (rc != ZZAP_REPLIED) {
        ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, code);
        conn_lost(s, LOSS_PROTOCOL, EPROTO);
        return;
    }
    if (r.status == 200) {
        memcpy(s->zap_user, r.user_id, sizeof s->zap_user);
        s->zap_md = r.md; /* hs_done adds them to the connection's metadata */
        s->zap_md_len = r.md_len;
    } else {
        ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH, (uint32_t)r.status);
        zzap_reply_fini(&r);
    }
    zap_verdict(s, r.status);
}

static void session_cmd_zap(zcmd *c)
{
    zsession *s = c->target;
    enter(s);
    if (c->arg == s->zap && s->state == SS_HANDSHAKE)
        zap_read(s);
    leave(s);
}


/* The connection is up (connected or accepted): the handshake starts. */
static void conn_begin(zsession *s)
{
    if (s->raw) {
        raw_begin(s);
        return;
    }
    s->fd = aio_socket_handle(s->as);
    atomic_fetch_add(&s->ctx->connections, 1);
    atomic_fetch_add(&s->ctx->handshakes, 1);
    s->counted_conn = s->counted_hs = true;
    s->state = SS_HANDSHAKE;
    conn_options(s);
    if (s->o.handshake_ivl > 0)
        zio_timer_start(s->io, &s->t_handshake, s->o.handshake_ivl);

    /* READY says: Identity where libzmq sends one, then the METADATA properties */
    bool send_id = s->o.type == ZAIO_REQ || s->o.type == ZAIO_DEALER || s->o.type == ZAIO_ROUTER;
    size_t nmd = zopts_metadata(&s->o, NULL), nprops = 0;
    zmtp_property one, *props = nmd ? malloc((nmd + 1) * sizeof *props) : &one;
    if (!props) {
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    if (send_id)
        props[nprops++] = (zmtp_property){"Identity", 8, s->o.routing_id, s->o.routing_id_len};
    nprops += zopts_metadata(&s->o, props + nprops);
    zmtp_handshake_config cfg = {
        .socket_type = s->o.type,
        .mechanism = s->o.mechanism == ZAIO_PLAIN   ? ZMTP_MECH_PLAIN
                     : s->o.mechanism == ZAIO_CURVE ? ZMTP_MECH_CURVE
                                                    : ZMTP_MECH_NULL,
        .as_server = s->o.as_server,
        .username = s->o.plain_username,
        .password = s->o.plain_password,
        .curve_public = s->o.curve_public,
        .curve_secret = s->o.curve_secret,
        .curve_server = s->o.curve_server,
        .auth = s->o.zap_domain[0] != 0,
        .props = nprops ? props : NULL,
        .nprops = nprops,
        .routing_id = s->o.routing_id_len ? (const uint8_t *)s->o.routing_id : NULL,
        .routing_id_len = s->o.routing_id_len,
        /* The greeting goes out in libzmq's stages, so the end of ours and our READY
         * reach a libzmq peer close together; it may read both at once and, on a
         * socket-type mismatch, close before its READY leaves: the refusal would look
         * like a lost connection (retried) instead of a protocol error (not retried).
         * Our READY waits for libzmq's, which it sends at once, or READY_HOLD_MS for a
         * peer that waits too (zaio). */
        .hold_ready = 1,
    };
    int err = 0;
    s->hs = zmtp_handshake_new(&cfg, &err); /* it keeps a copy of the properties */
    if (props != &one)
        free(props);
    if (!s->rbuf && aio_buf_new(RX_SMALL, &s->rbuf) == 0)
        s->rcap = RX_SMALL;
    if (!s->hs || !s->rbuf) {
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    hs_send(s);
    if (s->state == SS_HANDSHAKE)
        rx_submit(s);
}

/* ---- losing a connection, reconnecting, ending ------------------------------------------ */

/* Closes the connection and drops everything that belonged to it. */
static void conn_teardown(zsession *s)
{
    zio_timer_cancel(s->io, &s->t_connect);
    zio_timer_cancel(s->io, &s->t_handshake);
    zio_timer_cancel(s->io, &s->t_ready);
    zio_timer_cancel(s->io, &s->t_hb);
    zio_timer_cancel(s->io, &s->t_hb_timeout);
    zio_timer_cancel(s->io, &s->t_ttl);
    if (s->as) {
        aio_close(s->as); /* aio frees it after its last completion; none reaches us */
        s->as = NULL;
    }
    if (s->counted_hs)
        atomic_fetch_sub(&s->ctx->handshakes, 1);
    if (s->counted_conn)
        atomic_fetch_sub(&s->ctx->connections, 1);
    s->counted_hs = s->counted_conn = false;
    if (s->hs) {
        zmtp_handshake_free(s->hs);
        s->hs = NULL;
    }
    zmtp_encoder_set_crypto(&s->enc, NULL);
    zmtp_crypto_free(s->crypto); /* the session key goes with the connection */
    s->crypto = NULL;
    zap_forget(s);
    /* receiving: a message cut short is taken back; whole ones stay for the socket */
    if (s->has_rx_pending)
        zmsg_close(&s->rx_pending);
    if (s->rx_large_on)
        zmsg_close(&s->rx_large);
    s->has_rx_pending = s->rx_large_on = false;
    if (s->pipe) {
        if (s->rx_in_msg)
            zpipe_rollback(s->pipe);
        else if (s->rx_unflushed)
            zpipe_flush(s->pipe);
    }
    s->rx_in_msg = s->rx_unflushed = false;
    s->rx_busy = s->rx_direct = s->rx_blocked = s->rx_after_large = false;
    s->rpos = s->rlen = 0;
    /* sending: the batch in flight is lost with the connection, and a message half
     * sent must not be continued on the next one */
    for (int i = 0; i < s->tx_nlarge; i++)
        zmsg_close(&s->tx_large[i]);
    s->tx_nlarge = s->tx_n = 0;
    s->tx_busy = s->tx_batch_enc = false;
    if (s->sbuf)
        zmtp_encoder_reset(&s->enc);
    if (s->tx_has_msg && !s->tx_msg_first) {
        zmsg_close(&s->tx_msg);
        s->tx_has_msg = false;
        s->tx_drop_rest = true;
    } else if (!s->tx_has_msg && s->tx_in_msg) {
        s->tx_drop_rest = true;
    }
    s->ping_pending = s->pong_pending = false;
    s->tx_handoff = false; /* tx_cmd, if queued, finds nothing to do */
    s->tx_handoff_err = 0;
    s->rx_since_tx = false;
    s->raw_eof = false;
    if (s->err_next) {
        aio_buf_unref(s->err_next);
        s->err_next = NULL;
    }
    s->state = SS_IDLE;
}

static void connect_now(zsession *s);
static void client_stop(zsession *s);

static void reconnect_later(zsession *s)
{
    s->state = SS_IDLE;
    if (s->closing && !tx_pending(s)) {
        session_finish(s);
        return;
    }
    if (s->o.reconnect_ivl <= 0) {
        client_stop(s); /* as libzmq: no retry timer unless RECONNECT_IVL > 0 */
        return;
    }
    /* the interval plus a jitter, so peers that lost the same server do not retry in step */
    int ivl = s->reconnect_cur + (int)(rng_next(s) % (uint32_t)s->o.reconnect_ivl);
    if (s->o.reconnect_ivl_max > s->o.reconnect_ivl)
        s->reconnect_cur = s->reconnect_cur > s->o.reconnect_ivl_max / 2 ? s->o.reconnect_ivl_max
                                                                          : s->reconnect_cur * 2;
    ev(s, ZAIO_EVENT_CONNECT_RETRIED, (uint32_t)ivl);
    zio_timer_start(s->io, &s->t_reconnect, ivl);
}

/* A client that will connect no more: its pipe goes (as in libzmq the socket sees the
 * peer leave). */
static void client_stop(zsession *s)
{
    s->stopped = true;
    pipe_detach(s);
    if (s->closing)
        session_finish(s);
}

static void conn_lost(zsession *s, loss_kind kind, int err)
{
    bool established = s->state == SS_HANDSHAKE || s->state == SS_ACTIVE || s->state == SS_ERRSEND;
    bool was_active = s->state == SS_ACTIVE;
    if (s->state == SS_HANDSHAKE && kind != LOSS_PROTOCOL)
        ev(s, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, (uint32_t)err);
    if (established)
        ev(s, ZAIO_EVENT_DISCONNECTED, (uint32_t)s->fd);
    conn_teardown(s); /* what came in part way is taken back first */
    if (was_active)
        notify_router(s, ZAIO_NOTIFY_DISCONNECT);
    if (s->client && !s->keep_pipe)
        pipe_detach(s); /* a pipe per connection: the next one brings its own id and pipe */
    if (!s->client)
        session_finish(s);
    else if (kind == LOSS_PROTOCOL)
        client_stop(s);
    else
        reconnect_later(s);
}

static void session_finish(zsession *s)
{
    conn_teardown(s);
    zio_timer_cancel(s->io, &s->t_reconnect);
    zio_timer_cancel(s->io, &s->t_linger);
    pipe_detach(s);
    s->stopped = true;
    if (!s->client || s->ep_closed)
        s->zombie = true;
}

static void session_free(zsession *s)
{
    zmailbox *mb = zio_mailbox(s->io);
    zmailbox_cancel(mb, &s->start_cmd);
    zmailbox_cancel(mb, &s->close_cmd);
    zmailbox_cancel(mb, &s->tx_cmd);
    ztimer *timers[] = {&s->t_reconnect, &s->t_connect, &s->t_handshake, &s->t_hb,
                        &s->t_hb_timeout, &s->t_ttl, &s->t_linger, &s->t_ready};
    for (size_t i = 0; i < sizeof timers / sizeof *timers; i++)
        zio_timer_cancel(s->io, timers[i]);
    if (s->parent)
        ztcp_listener_forget(s->parent, s);
    aio_buf *bufs[] = {s->rbuf, s->sbuf, s->hs_obuf, s->err_next};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (bufs[i])
            aio_buf_unref(bufs[i]);
    free(s->scratch);
    free(s->plain);
    zopts_wipe(&s->o);
    sub_forget_all(s);
    meta_set(s, NULL);
    zmonitor_unref(s->mon);
    zmailbox_unref(s->smb);
    zopts_release(&s->o);
    zmutex_fini(&s->tx_lock);
    zctx *ctx = s->ctx;
    free(s);
    zctx_session_remove(ctx); /* last: the context may finish terminating from here on */
}

/* Ends the session once what the pipe holds has gone out, or linger ms have passed. */
static void session_close(zsession *s, int linger)
{
    if (s->zombie)
        return;
    if (!s->closing) {
        s->closing = true;
        if (linger > 0)
            zio_timer_start(s->io, &s->t_linger, linger);
    }
    if (linger == 0 || s->stopped) {
        session_finish(s);
        return;
    }
    switch (s->state) {
    case SS_ACTIVE:
        tx_fill(s); /* finishes once the pipe is dry and the last batch is out */
        break;
    case SS_ERRSEND:
        session_finish(s);
        break;
    default:
        /* a client with messages queued keeps connecting to deliver them (libzmq
         * does too: with LINGER -1 that can be forever) */
        if (!s->client || !tx_pending(s))
            session_finish(s);
        break;
    }
}

/* The socket let go of its end of our pipe. */
static void on_pipe_gone(zsession *s)
{
    if (s->closing) {
        tx_fill(s); /* reads what is left, then TERMINATED: the drain ends */
        return;
    }
    if (!s->client) {
        session_close(s, s->o.linger);
        return;
    }
    /* a client whose socket dropped the pipe but not the endpoint: this connection
     * has nowhere to go; the next ones get a pipe each, as with IMMEDIATE */
    bool connected = s->state == SS_ACTIVE;
    pipe_detach(s);
    s->keep_pipe = false;
    sub_forget_all(s); /* each new pipe gets the subscriptions from the pattern now */
    if (connected)
        conn_lost(s, LOSS_CONN, ECONNRESET);
}

/* ---- raw mode (STREAM) ------------------------------------------------------------------------ */

/* The connection is up: it is the peer at once. */
static void raw_begin(zsession *s)
{
    s->fd = aio_socket_handle(s->as);
    atomic_fetch_add(&s->ctx->connections, 1);
    s->counted_conn = true;
    s->state = SS_ACTIVE; /* from here a loss is a DISCONNECTED */
    conn_options(s);
    /* small until the peer sends much (rx_submit); the send buffer comes with the first
     * message to send (raw_tx_fill) */
    if (!s->rbuf && aio_buf_new(RX_SMALL, &s->rbuf) == 0)
        s->rcap = RX_SMALL;
    char addr[64];
    peer_address(s, addr, sizeof addr);
    const char *extra[2] = {"Peer-Address", addr};
    zmeta *meta = zmeta_new(NULL, 0, extra, 1);
    zpipe_end *sock_end = NULL;
    if (!meta || !s->rbuf || pipe_create(s, &sock_end) < 0) {
        zmeta_unref(meta);
        conn_lost(s, LOSS_CONN, ENOMEM);
        return;
    }
    meta_set(s, meta);
    zpipe_user *u = zpipe_user_of(sock_end);
    if (s->client && s->o.connect_routing_id_len) {
        memcpy(u->routing_id, s->o.connect_routing_id, s->o.connect_routing_id_len);
        u->routing_id_len = s->o.connect_routing_id_len;
    }
    u->meta = zmeta_ref(meta);
    s->reconnect_cur = s->o.reconnect_ivl;
    notify_router(s, ZAIO_NOTIFY_CONNECT);
    zsock_post_attach(s->smb, sock_end);
    rx_submit(s);
    tx_fill(s); /* finds the pipe empty: its first message wakes us (ZPIPE_READABLE) */
}

/* The user closed the peer (an empty message), and what it queued before has gone
 * out: the connection and the session end. */
static void raw_close(zsession *s)
{
    conn_teardown(s);
    if (s->client)
        client_stop(s); /* no reconnect: stays a stub until its endpoint goes */
    else
        session_finish(s);
}

/* Packs what the pipe holds into one send, as tx_fill does for ZMTP frames. */
static void raw_tx_fill(zsession *s)
{
    zmtp_encoder *e = &s->enc; /* its buffer only: the bytes go in as they are */
    int n = 0;
    size_t seg = 0;
    bool dry = false;
    while (!s->raw_eof && tx_next(s, &dry)) {
        zmsg *m = &s->tx_msg;
        if (m->size == 0) {
            zmsg_close(m);
            s->tx_has_msg = false;
            s->raw_eof = true; /* after this batch: nothing the user sends later goes */
            break;
        }
        if (!s->sbuf) {
            if (aio_buf_new(TX_BUF, &s->sbuf) < 0) {
                conn_lost(s, LOSS_CONN, ENOMEM);
                return;
            }
            zmtp_encoder_init(e, aio_buf_data(s->sbuf), TX_BUF, TX_COPY_MAX);
        }
        if (m->size > TX_COPY_MAX) {
            if (s->tx_nlarge == TX_MAX_LARGE)
                break;
            aio_slice body;
            if (zmsg_to_buf(m, &body) < 0) {
                conn_lost(s, LOSS_CONN, ENOMEM); /* as the ZMTP path: nothing retries */
                return;
            }
            if (e->len > seg)
                s->tx_v[n++] = (aio_slice){s->sbuf, seg, e->len - seg};
            s->tx_v[n++] = body;
            s->tx_large[s->tx_nlarge++] = *m;
            zmsg_init(m);
            seg = e->len;
        } else {
            if (e->cap - e->len < m->size)
                break; /* next batch */
            memcpy(e->buf + e->len, zmsg_data(m), m->size);
            e->len += m->size;
            zmsg_close(m);
        }
        s->tx_has_msg = false;
    }
    if (e->len > seg)
        s->tx_v[n++] = (aio_slice){s->sbuf, seg, e->len - seg};
    if (n == 0) {
        if (s->raw_eof)
            raw_close(s);
        else if (s->closing && dry)
            session_finish(s); /* linger: everything queued went out */
        return;
    }
    s->tx_n = n;
    s->tx_batch_enc = true;
    tx_submit(s);
}

/* ---- entry points: completions, timers, commands -------------------------------------------- */

static void on_recv(zsession *s, const aio_completion *c)
{
    s->rx_busy = false;
    if (c->status < 0 || c->bytes == 0) {
        conn_lost(s, s->state == SS_ERRSEND ? LOSS_PROTOCOL : LOSS_CONN,
                  c->status < 0 ? -c->status : ECONNRESET);
        return;
    }
    /* any traffic shows the peer alive */
    zio_timer_cancel(s->io, &s->t_hb_timeout);
    zio_timer_cancel(s->io, &s->t_ttl);
    if (s->rx_direct) {
        s->rx_direct = false;
        size_t body = c->bytes < s->rx_direct_len ? c->bytes : s->rx_direct_len;
        if (c->bytes > body)
            s->rlen = c->bytes - body; /* what follows the body, in the buffer from 0 */
        s->rx_large_have += body;
        if (zmtp_decoder_body_skip(&s->dec, body) == 0)
            rx_large_end(s);
        rx_run(s);
        return;
    }
    s->rpos = 0;
    s->rlen = c->bytes;
    if (s->state == SS_HANDSHAKE)
        hs_run(s);
    else if (s->state == SS_ACTIVE)
        rx_run(s);
    /* SS_ERRSEND: what the peer says no longer matters */
}

static void on_connect(zsession *s, int status)
{
    zio_timer_cancel(s->io, &s->t_connect);
    if (status < 0) {
        aio_close(s->as);
        s->as = NULL;
        reconnect_later(s);
        return;
    }
    ev(s, ZAIO_EVENT_CONNECTED, (uint32_t)aio_socket_handle(s->as));
    conn_begin(s);
}

static void session_on_io(const aio_completion *c)
{
    zsession *s = c->key;
    enter(s);
    /* c->sock is s->as: a closed socket's completions never reach us */
    switch (c->sock == s->as ? c->op : AIO_OP_NONE) {
    case AIO_OP_CONNECT: on_connect(s, c->status); break;
    case AIO_OP_RECV: on_recv(s, c); break;
    case AIO_OP_SEND: on_send(s, c); break;
    default: break;
    }
    leave(s);
}

static void connect_now(zsession *s)
{
    if (s->stopped || s->state != SS_IDLE)
        return;
    s->state = SS_CONNECTING;
    int rc = aio_socket_new(zio_port(s->io), s->addr.ss.ss_family, session_on_io, s, &s->as);
    if (rc == 0) {
        rc = ztcp_ip_options(s->as, &s->o, s->addr.ss.ss_family, true);
        if (rc < 0) { /* BINDTODEVICE refused: this attempt fails, a later one may not */
            aio_close(s->as);
            s->as = NULL;
        }
    }
    if (rc == 0 && s->has_src) {
        /* as libzmq: one source port may serve connections to several servers */
        set_int(s, SOL_SOCKET, SO_REUSEADDR, 1);
        rc = aio_bind(s->as, (const struct sockaddr *)&s->src.ss, s->src.len);
        if (rc < 0) {
            aio_close(s->as);
            s->as = NULL;
        }
    }
    if (rc == 0) {
        buf_options(s); /* before the SYN: the window scale is agreed there */
        rc = aio_connect(s->as, (const struct sockaddr *)&s->addr.ss, s->addr.len);
        if (rc < 0) {
            aio_close(s->as);
            s->as = NULL;
        }
    }
    if (rc < 0) {
        reconnect_later(s); /* out of sockets, say: try again later */
        return;
    }
    ev(s, ZAIO_EVENT_CONNECT_DELAYED, EINPROGRESS);
    if (s->o.connect_timeout > 0)
        zio_timer_start(s->io, &s->t_connect, s->o.connect_timeout);
}

static void on_t_reconnect(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    connect_now(s);
    leave(s);
}

static void on_t_connect(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    if (s->state == SS_CONNECTING) {
        aio_close(s->as);
        s->as = NULL;
        reconnect_later(s);
    }
    leave(s);
}

static void on_t_handshake(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    if (s->state == SS_HANDSHAKE)
        conn_lost(s, LOSS_TIMEOUT, ETIMEDOUT); /* a probe, a health check, a dead peer */
    else if (s->state == SS_ERRSEND)
        conn_lost(s, LOSS_PROTOCOL, ETIMEDOUT);
    leave(s);
}

static void on_t_hb(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    if (s->state == SS_ACTIVE) {
        s->ping_pending = true;
        zio_timer_start(s->io, &s->t_hb, s->o.heartbeat_ivl);
        int timeout = s->o.heartbeat_timeout > 0 ? s->o.heartbeat_timeout : s->o.heartbeat_ivl;
        if (!armed(&s->t_hb_timeout))
            zio_timer_start(s->io, &s->t_hb_timeout, timeout);
        tx_fill(s);
    }
    leave(s);
}

static void on_t_dead(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    if (s->state == SS_ACTIVE)
        conn_lost(s, LOSS_TIMEOUT, ETIMEDOUT); /* silent past HEARTBEAT_TIMEOUT or the TTL */
    leave(s);
}

/* A peer that holds its READY as we do ours (another zaio): ours goes first now. */
static void on_t_ready(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    if (s->state == SS_HANDSHAKE && s->hs) {
        zmtp_handshake_release_ready(s->hs);
        hs_send(s);
    }
    leave(s);
}

static void on_t_linger(ztimer *t)
{
    zsession *s = t->arg;
    enter(s);
    session_finish(s); /* linger is over: what is left is dropped */
    leave(s);
}

static void session_cmd_pipe(zcmd *c)
{
    zsession *s = c->target;
    enter(s);
    /* an event of a pipe since let go is nobody's */
    switch (c->arg == s->pipe ? (zpipe_event)c->value : (zpipe_event)0) {
    case ZPIPE_READABLE: tx_fill(s); break;
    case ZPIPE_WRITABLE:
        if (s->rx_blocked) {
            s->rx_blocked = false;
            rx_run(s);
        }
        break;
    case ZPIPE_PEER_GONE: on_pipe_gone(s); break;
    default: break;
    }
    leave(s);
}

static void cmd_start(zcmd *c)
{
    zsession *s = c->target;
    enter(s);
    connect_now(s);
    leave(s);
}

static void cmd_close(zcmd *c)
{
    zsession *s = c->target;
    enter(s);
    s->ep_closed = true;
    session_close(s, c->value);
    leave(s);
}

/* ---- creation ------------------------------------------------------------------------------- */

static zsession *session_new(zio *io, const zopts *o, bool client)
{
    zsession *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->io = io;
    s->ctx = zio_ctx(io);
    s->o = *o;
    zopts_hold(&s->o);
    s->client = client;
    s->raw = o->type == ZAIO_STREAM;
    s->state = SS_IDLE;
    s->reconnect_cur = o->reconnect_ivl;
    s->rng = (uint32_t)(uintptr_t)s ^ (uint32_t)zclock_ms() ^ 0x2545f491u;
    atomic_init(&s->sock_end_live, false);
    ztimer_init(&s->t_reconnect, on_t_reconnect, s);
    ztimer_init(&s->t_connect, on_t_connect, s);
    ztimer_init(&s->t_handshake, on_t_handshake, s);
    ztimer_init(&s->t_hb, on_t_hb, s);
    ztimer_init(&s->t_hb_timeout, on_t_dead, s);
    ztimer_init(&s->t_ttl, on_t_dead, s);
    ztimer_init(&s->t_linger, on_t_linger, s);
    ztimer_init(&s->t_ready, on_t_ready, s);
    s->start_cmd.run = cmd_start;
    s->start_cmd.target = s;
    s->close_cmd.run = cmd_close;
    s->close_cmd.target = s;
    s->tx_cmd.run = cmd_tx;
    s->tx_cmd.target = s;
    /* IOCP has no aio_send_now: its sessions never try */
    s->no_send_now = aio_port_backend(zio_port(io)) == AIO_BACKEND_IOCP;
    zmutex_init(&s->tx_lock);
    return s;
}

/* Server side, called by the listener on the I/O thread with an accepted socket: the
 * session is created (NULL when out of memory, the socket closed) and started with
 * zsession_start once the listener has recorded it. */
zsession *zsession_accepted(zio *io, aio_socket *as, const zopts *o, zmailbox *smb,
                            zmonitor *mon, const char *endpoint, ztcp_listener *parent);
void zsession_start(zsession *s);
void zsession_close(zsession *s, int linger);

zsession *zsession_accepted(zio *io, aio_socket *as, const zopts *o, zmailbox *smb,
                            zmonitor *mon, const char *endpoint, ztcp_listener *parent)
{
    zsession *s = session_new(io, o, false);
    if (!s) {
        aio_close(as);
        return NULL;
    }
    s->as = as;
    s->parent = parent;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    zmailbox_ref(smb);
    s->smb = smb;
    s->mon = zmonitor_ref(mon);
    aio_socket_set_handler(as, session_on_io, s);
    zctx_session_add(s->ctx);
    return s;
}

void zsession_start(zsession *s)
{
    enter(s);
    ev(s, ZAIO_EVENT_ACCEPTED, (uint32_t)aio_socket_handle(s->as));
    buf_options(s);
    conn_begin(s);
    leave(s);
}

/* The listener goes (unbind, or the socket's close): its sessions end after linger. */
void zsession_close(zsession *s, int linger)
{
    enter(s);
    s->parent = NULL;
    session_close(s, linger);
    leave(s);
}

/* ---- the endpoint (socket's thread) -------------------------------------------------------- */

static void session_ep_close(zendpoint *ep, zsock *sk, int linger)
{
    zsession *s = ep->impl;
    /* Read before the post: after it the I/O thread may free s. While the flag says
     * live, the session has not let go of its end, so the socket's end is still ours
     * and, if the socket has not dropped it, still in sk->pipes. */
    zpipe_end *mine = atomic_load(&s->sock_end_live) ? s->sock_end : NULL;
    s->close_cmd.value = linger;
    zmailbox_post(zio_mailbox(s->io), &s->close_cmd);
    /* the socket stops using the connection now; what it queued stays readable by the
     * session, which sends it during linger */
    for (int i = 0; mine && i < sk->npipes; i++) {
        if (sk->pipes[i] == mine) {
            zsock_pipe_terminated(sk, mine);
            break;
        }
    }
}

/* A client session to a (either kind; src: where to bind first, or NULL). */
static int connect_to(zsock *sk, const ztcp_addr *a, const ztcp_addr *src, zendpoint *ep)
{
    zio *io;
    int rc = zctx_pick_io(sk->ctx, &io);
    if (rc < 0)
        return rc;
    zsession *s = session_new(io, &sk->o, true);
    if (!s)
        return -ENOMEM;
    s->addr = *a;
    if (src) {
        s->src = *src;
        s->has_src = true;
    }
    if (a->ss.ss_family == AF_UNIX)
        zipc_format(a, s->endpoint, sizeof s->endpoint);
    else
        ztcp_format(&a->ss, s->endpoint, sizeof s->endpoint);
    int t = sk->o.type;
    s->keep_pipe = !sk->o.immediate && t != ZAIO_ROUTER && t != ZAIO_STREAM;
    zpipe_end *sock_end = NULL;
    if (s->keep_pipe && pipe_create(s, &sock_end) < 0) {
        zopts_release(&s->o);
        zmutex_fini(&s->tx_lock);
        free(s);
        return -ENOMEM;
    }
    zmailbox_ref(sk->mb);
    s->smb = sk->mb;
    s->mon = zmonitor_ref(sk->monitor);
    zctx_session_add(s->ctx);
    if (sock_end) {
        s->sock_end = sock_end;
        atomic_store(&s->sock_end_live, true);
        zsock_attach(sk, sock_end);
    }
    ep->kind = ZEP_TCP_CONNECT;
    ep->impl = s;
    ep->close = session_ep_close;
    snprintf(ep->resolved, sizeof ep->resolved, "%s", s->endpoint);
    zmailbox_post(zio_mailbox(io), &s->start_cmd);
    return 0;
}

int ztcp_connect(zsock *sk, const char *hostport, zendpoint *ep)
{
    /* "src;dst" (libzmq's syntax): the source address, any port 0 or *, then the peer */
    ztcp_addr a, src;
    const char *semi = strchr(hostport, ';');
    int rc;
    if (semi) {
        char sbuf[256];
        if ((size_t)(semi - hostport) >= sizeof sbuf)
            return -EINVAL;
        memcpy(sbuf, hostport, (size_t)(semi - hostport));
        sbuf[semi - hostport] = 0;
        if ((rc = ztcp_resolve(sbuf, true, sk->o.ipv6, &src)) < 0)
            return rc;
        hostport = semi + 1;
    }
    rc = ztcp_resolve(hostport, false, sk->o.ipv6, &a);
    if (rc < 0)
        return rc;
    if (semi && src.ss.ss_family != a.ss.ss_family)
        return -EINVAL;
    return connect_to(sk, &a, semi ? &src : NULL, ep);
}

int zipc_connect(zsock *sk, const char *path, zendpoint *ep)
{
    ztcp_addr a;
    int rc = zipc_resolve(path, false, &a, NULL, 0);
    return rc < 0 ? rc : connect_to(sk, &a, NULL, ep);
}
