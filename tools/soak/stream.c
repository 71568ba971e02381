/* stream.c - see stream.h. Written for zmq.h only: this file is built against zaio
 * (zaio-soak, the server's side) and against libzmq (zaio-soak-peer, the peer's).
 *
 * Design notes
 * - The server keeps a table of its connections by routing id, fed by STREAM_NOTIFY:
 *   [id][""] for an id it does not know is an arrival, for one it knows a departure.
 *   Every entry ends exactly once, in stream_srv_free(), after exactly one of the
 *   counters of soak_stream_stats says how; so the counts add up (soak_stream_verdict
 *   checks that they do).
 * - A close is a zero-length data frame. zaio forgets the peer at once and sends no
 *   departure for it; but a chunk or a departure the socket read ahead before the close
 *   (zaio_poll fetches one message ahead) can still come, as can the departure of a peer
 *   that left as we closed it. So a closed entry stays as a tomb, counted already, until
 *   the idle limit: a chunk for it is counted as late, a departure frees it, and neither
 *   is taken for a new arrival.
 * - Entries without a whole record yet are on the idle list in arrival order, tombs on
 *   theirs in close order; the limit is one constant, so each head is the next to go.
 * - The server never waits on POLLOUT: a STREAM socket reports it always (whether a send
 *   goes depends on the peer it names, as in libzmq), so an echo or a close refused with
 *   EAGAIN is retried at the next turn of the loop, which then polls for 1 ms at most.
 *   The peer's window (--window records out) bounds what waits meanwhile. */
#include "stream.h"

#include <zmq.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_MAGIC "ZSK1"
#define STREAM_HDR 8u
#define STREAM_BUCKETS 1024u
#define STREAM_BATCH 512 /* chunks per call: the owner's loop keeps its sampling period */
#define STREAM_ID_MAX 255u

enum { STREAM_LIST_NONE, STREAM_LIST_IDLE, STREAM_LIST_TOMB };

typedef struct stream_conn {
    struct stream_conn *hnext;
    struct stream_conn *iprev, *inext; /* on the idle or the tomb list */
    int list;     /* STREAM_LIST_* */
    int peer;     /* it sent a whole record: the soak peer's connection */
    int blocked;  /* an echo or the close waits for room (EAGAIN) */
    int closing;  /* the close is decided and counted (and waits for room unless a tomb) */
    uint64_t since_ns;
    uint64_t bytes;
    unsigned char *buf; /* what has come and is not yet a whole record */
    size_t len, cap;
    size_t id_len;
    unsigned char id[STREAM_ID_MAX];
} stream_conn;

typedef struct stream_state {
    int server;
    /* the server's side */
    stream_conn *bucket[STREAM_BUCKETS];
    stream_conn *head[3], *tail[3]; /* by STREAM_LIST_*: arrival or close order */
    uint64_t idle_ns;
    unsigned nblocked;
    soak_stream_stats st;
    /* the peer's side */
    unsigned char sid[STREAM_ID_MAX]; /* the server's routing id at this end */
    size_t sid_len;
    int have_id, hello_sent, hello_back, tx_blocked;
    unsigned char *rx, *tx;
    size_t rx_len, rx_cap;
} stream_state;

static uint32_t stream_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void stream_header(unsigned char *p, uint32_t body)
{
    memcpy(p, STREAM_MAGIC, 4);
    p[4] = (unsigned char)(body >> 24);
    p[5] = (unsigned char)(body >> 16);
    p[6] = (unsigned char)(body >> 8);
    p[7] = (unsigned char)body;
}

/* Appends n bytes to a growing buffer. 0, or -1 (ENOMEM). */
static int stream_append(unsigned char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n)
            c *= 2;
        unsigned char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

/* Checks the record at p (avail bytes). Returns its whole length when it is all there,
 * 0 when more must come, -1 when the bytes are not a record of this run. */
static long stream_record(const unsigned char *p, size_t avail, size_t body_size)
{
    size_t m = avail < 4 ? avail : 4;
    if (memcmp(p, STREAM_MAGIC, m) != 0)
        return -1; /* the first wrong byte is enough: a probe's "G" or 0xFF */
    if (avail < STREAM_HDR)
        return 0;
    uint32_t body = stream_be32(p + 4);
    if (body != 0 && body != body_size)
        return -1;
    return avail < STREAM_HDR + body ? 0 : (long)(STREAM_HDR + body);
}

/* ---- the server's side ----------------------------------------------------------- */

static unsigned stream_hash(const unsigned char *id, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a: ids are a counter, any spread will do */
    for (size_t i = 0; i < n; i++)
        h = (h ^ id[i]) * 16777619u;
    return h % STREAM_BUCKETS;
}

static stream_conn *stream_srv_find(stream_state *s, const unsigned char *id, size_t n)
{
    for (stream_conn *c = s->bucket[stream_hash(id, n)]; c; c = c->hnext)
        if (c->id_len == n && memcmp(c->id, id, n) == 0)
            return c;
    return NULL;
}

static void stream_list_unlink(stream_state *s, stream_conn *c)
{
    int l = c->list;
    if (l == STREAM_LIST_NONE)
        return;
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        s->head[l] = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    else
        s->tail[l] = c->iprev;
    c->iprev = c->inext = NULL;
    c->list = STREAM_LIST_NONE;
}

/* Appends c to list l, stamped now: each list's limit is one constant, so its head is
 * always the next to expire. */
static void stream_list_push(stream_state *s, stream_conn *c, int l, uint64_t now)
{
    stream_list_unlink(s, c);
    c->since_ns = now;
    c->iprev = s->tail[l];
    if (s->tail[l])
        s->tail[l]->inext = c;
    else
        s->head[l] = c;
    s->tail[l] = c;
    c->list = l;
}

static void stream_srv_free(stream_state *s, stream_conn *c)
{
    stream_conn **pp = &s->bucket[stream_hash(c->id, c->id_len)];
    while (*pp != c)
        pp = &(*pp)->hnext;
    *pp = c->hnext;
    stream_list_unlink(s, c);
    if (c->blocked)
        s->nblocked--;
    if (!c->peer)
        s->st.probe_bytes += c->bytes;
    free(c->buf);
    free(c);
}

static void stream_srv_block(stream_state *s, stream_conn *c)
{
    if (!c->blocked) {
        c->blocked = 1;
        s->nblocked++;
    }
}

/* Sends [id][data] without waiting. 1: taken; 0: no room (EAGAIN); -1: the peer is
 * gone (EHOSTUNREACH), and its departure is on the way; -2: another error. */
static int stream_send2(void *sock, const unsigned char *id, size_t id_len, const void *data,
                        size_t n, int *err)
{
    if (zmq_send(sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        *err = zmq_errno();
        return *err == EAGAIN ? 0 : *err == EHOSTUNREACH ? -1 : -2;
    }
    /* the id found room: the data frame is taken (or dropped if the peer left) */
    if (zmq_send(sock, data, n, ZMQ_DONTWAIT) < 0) {
        *err = zmq_errno();
        return -2;
    }
    return 1;
}

/* Closes c with a zero-length frame; the reason is counted by the caller. c becomes a
 * tomb: a departure (or a chunk) the socket read ahead before the close, or one from a
 * peer that left as we closed it (EHOSTUNREACH), can still come for its id, and must
 * not be taken for a new arrival. Tombs are freed at the idle limit; ids are never
 * reused (a counter in zaio). -1 on a socket error. */
static int stream_srv_close(soak_traffic *t, stream_state *s, stream_conn *c, uint64_t now)
{
    stream_list_unlink(s, c);
    c->closing = 1;
    c->len = 0; /* what it sent is judged already */
    int err = 0;
    int r = stream_send2(t->sock, c->id, c->id_len, "", 0, &err);
    if (r == 0) {
        stream_srv_block(s, c);
        return 0;
    }
    if (r == -1)
        s->st.close_gone++;
    stream_list_push(s, c, STREAM_LIST_TOMB, now);
    if (r == -2) {
        t->last_errno = err;
        t->errors++;
        return -1;
    }
    return 0;
}

/* Bytes that are not a record: a probe's (counted by what they look like), or a fault
 * on the peer's connection. */
static int stream_srv_reject(soak_traffic *t, stream_state *s, stream_conn *c, uint64_t now)
{
    if (c->peer) {
        s->st.fault++;
    } else if (c->buf[0] == 0xFF) {
        s->st.bad_zmtp++;
    } else if (c->buf[0] >= 0x20 && c->buf[0] < 0x7F) {
        s->st.bad_text++;
    } else {
        s->st.bad_other++;
    }
    return stream_srv_close(t, s, c, now);
}

/* Echoes every whole record in c's buffer, or rejects it. -1 on a socket error. */
static int stream_srv_parse(soak_traffic *t, stream_state *s, stream_conn *c, uint64_t now)
{
    size_t off = 0;
    while (!c->blocked && off < c->len) {
        long n = stream_record(c->buf + off, c->len - off, t->size);
        if (n < 0)
            return stream_srv_reject(t, s, c, now);
        if (n == 0)
            break;
        {
            /* the hello comes back too: the peer is ready when it has, so the idle
             * baseline has the peer's connection with its send buffer (a raw session
             * takes it with its first message to send) */
            int err = 0;
            int r = stream_send2(t->sock, c->id, c->id_len, c->buf + off, (size_t)n, &err);
            if (r == 0) {
                stream_srv_block(s, c); /* the rest waits with it, in order */
                break;
            }
            if (r == -2) {
                t->last_errno = err;
                t->errors++;
                return -1;
            }
            if (r == -1) {
                c->len = 0; /* gone: its departure frees the entry */
                return 0;
            }
            if ((size_t)n > STREAM_HDR)
                t->echoed++;
        }
        if (!c->peer) {
            /* a whole record (the hello first): the peer's connection, no idle limit */
            c->peer = 1;
            s->st.peers++;
            stream_list_unlink(s, c);
            t->subscribed = 1;
        }
        off += (size_t)n;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return 0;
}

static int stream_srv_chunk(soak_traffic *t, stream_state *s, const unsigned char *id,
                            size_t id_len, const unsigned char *data, size_t n, uint64_t now)
{
    stream_conn *c = stream_srv_find(s, id, id_len);
    if (n == 0) {
        if (!c) {
            /* an arrival */
            if (id_len > STREAM_ID_MAX || !(c = calloc(1, sizeof *c))) {
                t->last_errno = ENOMEM;
                t->errors++;
                return -1;
            }
            memcpy(c->id, id, id_len);
            c->id_len = id_len;
            unsigned h = stream_hash(id, id_len);
            c->hnext = s->bucket[h];
            s->bucket[h] = c;
            stream_list_push(s, c, STREAM_LIST_IDLE, now);
            s->st.conns++;
            return 0;
        }
        /* a departure; a close already decided was counted then */
        if (!c->closing) {
            if (c->peer)
                s->st.peers_gone++;
            else if (c->bytes)
                s->st.gone_data++;
            else
                s->st.gone_quiet++;
        }
        stream_srv_free(s, c);
        return 0;
    }
    if (!c || c->list == STREAM_LIST_TOMB) {
        s->st.late_chunks++;
        return 0;
    }
    c->bytes += n;
    if (c->closing)
        return 0;
    if (stream_append(&c->buf, &c->len, &c->cap, data, n) < 0) {
        t->last_errno = ENOMEM;
        t->errors++;
        return -1;
    }
    return stream_srv_parse(t, s, c, now);
}

/* Closes the connections that have sent no whole record within the limit, and frees
 * the tombs past it. */
static int stream_srv_expire(soak_traffic *t, stream_state *s, uint64_t now)
{
    stream_conn *c;
    while ((c = s->head[STREAM_LIST_IDLE]) && now >= c->since_ns + s->idle_ns) {
        s->st.idle++;
        if (stream_srv_close(t, s, c, now) < 0)
            return -1;
    }
    while ((c = s->head[STREAM_LIST_TOMB]) && now >= c->since_ns + s->idle_ns)
        stream_srv_free(s, c);
    return 0;
}

/* Retries the echoes and closes that found no room. */
static int stream_srv_retry(soak_traffic *t, stream_state *s, uint64_t now)
{
    for (unsigned b = 0; b < STREAM_BUCKETS && s->nblocked; b++) {
        stream_conn *next;
        for (stream_conn *c = s->bucket[b]; c; c = next) {
            next = c->hnext;
            if (!c->blocked)
                continue;
            c->blocked = 0;
            s->nblocked--;
            int rc = c->closing ? stream_srv_close(t, s, c, now) : stream_srv_parse(t, s, c, now);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static int stream_srv_io(soak_traffic *t, stream_state *s, uint64_t now)
{
    if (s->nblocked && stream_srv_retry(t, s, now) < 0)
        return -1;
    if (stream_srv_expire(t, s, now) < 0)
        return -1;
    for (int i = 0; i < STREAM_BATCH; i++) {
        zmq_msg_t id, data;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, t->sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&id);
            if (e == EAGAIN || e == EINTR)
                return 0;
            t->last_errno = e;
            t->errors++;
            return -1;
        }
        zmq_msg_init(&data);
        if (!zmq_msg_more(&id) || zmq_msg_recv(&data, t->sock, ZMQ_DONTWAIT) < 0) {
            /* a STREAM socket always hands out both frames together */
            t->last_errno = zmq_msg_more(&id) ? zmq_errno() : EPROTO;
            t->errors++;
            zmq_msg_close(&id);
            zmq_msg_close(&data);
            return -1;
        }
        int rc = stream_srv_chunk(t, s, zmq_msg_data(&id), zmq_msg_size(&id),
                                  zmq_msg_data(&data), zmq_msg_size(&data), soak_now_ns());
        zmq_msg_close(&id);
        zmq_msg_close(&data);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- the peer's side --------------------------------------------------------------- */

/* Takes the echoes in rx: each whole record is checked as any echo is. -1 when the
 * framing is broken (nothing after it can be trusted). */
static int stream_peer_parse(soak_traffic *t, stream_state *s)
{
    size_t off = 0;
    for (;;) {
        long n = stream_record(s->rx + off, s->rx_len - off, t->size);
        if (n == 0)
            break;
        if ((size_t)n == STREAM_HDR && !s->hello_back) { /* the hello's echo: ready */
            s->hello_back = 1;
            t->subscribed = 1; /* zaio-soak-peer says "ready" */
            off += (size_t)n;
            continue;
        }
        if (n < 0 || (size_t)n == STREAM_HDR) { /* one hello, one echo of it */
            t->corrupt++;
            t->last_errno = EPROTO;
            t->errors++;
            return -1;
        }
        t->received++;
        soak__traffic_check(t, s->rx + off + STREAM_HDR, (size_t)n - STREAM_HDR);
        off += (size_t)n;
    }
    memmove(s->rx, s->rx + off, s->rx_len - off);
    s->rx_len -= off;
    return 0;
}

/* Receives one [id][data]. 1: got one; 0: nothing there; -1: the traffic ends. */
static int stream_peer_recv(soak_traffic *t, stream_state *s)
{
    zmq_msg_t id, data;
    zmq_msg_init(&id);
    zmq_msg_init(&data);
    int rc = 1;
    if (zmq_msg_recv(&id, t->sock, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        rc = e == EAGAIN || e == EINTR ? 0 : -1;
        t->last_errno = rc ? e : t->last_errno;
    } else if (!zmq_msg_more(&id) || zmq_msg_recv(&data, t->sock, ZMQ_DONTWAIT) < 0) {
        t->last_errno = EPROTO;
        rc = -1;
    } else if (zmq_msg_size(&data) == 0) {
        if (!s->have_id && zmq_msg_size(&id) <= STREAM_ID_MAX) {
            /* connected: this is the id that reaches the server */
            memcpy(s->sid, zmq_msg_data(&id), zmq_msg_size(&id));
            s->sid_len = zmq_msg_size(&id);
            s->have_id = 1;
        } else {
            t->last_errno = ECONNRESET; /* the server closed us, or the connection broke */
            rc = -1;
        }
    } else if (!s->have_id || zmq_msg_size(&id) != s->sid_len ||
               memcmp(zmq_msg_data(&id), s->sid, s->sid_len) != 0) {
        t->last_errno = EPROTO; /* data from a connection we did not make */
        rc = -1;
    } else if (stream_append(&s->rx, &s->rx_len, &s->rx_cap, zmq_msg_data(&data),
                             zmq_msg_size(&data)) < 0) {
        t->last_errno = ENOMEM;
        rc = -1;
    } else if (stream_peer_parse(t, s) < 0) {
        rc = -2; /* counted there */
    }
    zmq_msg_close(&id);
    zmq_msg_close(&data);
    if (rc == -1)
        t->errors++;
    return rc < 0 ? -1 : rc;
}

/* Sends one record: 1 taken, 0 no room, -1 the traffic ends. */
static int stream_peer_send(soak_traffic *t, stream_state *s, size_t body)
{
    int err = 0;
    int r = stream_send2(t->sock, s->sid, s->sid_len, s->tx, STREAM_HDR + body, &err);
    if (r == 0) {
        s->tx_blocked = 1;
        return 0;
    }
    if (r < 0) {
        t->last_errno = err;
        t->errors++;
        return -1;
    }
    return 1;
}

static int stream_peer_io(soak_traffic *t, stream_state *s, uint64_t now)
{
    s->tx_blocked = 0; /* no POLLOUT to wait for: try again each turn */
    for (int round = 0; round < STREAM_BATCH; round++) {
        int progress = 0;
        int r = stream_peer_recv(t, s);
        if (r < 0)
            return -1;
        progress |= r;
        if (s->have_id && !s->hello_sent) {
            stream_header(s->tx, 0);
            if ((r = stream_peer_send(t, s, 0)) < 0)
                return -1;
            if (r > 0) {
                s->hello_sent = 1;
                progress = 1;
            }
        }
        if (s->hello_sent && !s->tx_blocked && soak__traffic_may_send(t, now)) {
            stream_header(s->tx, (uint32_t)t->size);
            soak__traffic_fill(s->tx + STREAM_HDR, t->size, t->sent);
            if ((r = stream_peer_send(t, s, t->size)) < 0)
                return -1;
            if (r > 0) {
                t->sent++;
                progress = 1;
            }
        }
        if (!progress)
            break;
    }
    return 0;
}

/* ---- for traffic.c ------------------------------------------------------------------ */

int soak_stream_init(soak_traffic *t, int is_server)
{
    if (t->size > UINT32_MAX - STREAM_HDR) {
        errno = EINVAL;
        return -1;
    }
    stream_state *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    t->stream = s;
    s->server = is_server;
    t->subscribed = 0; /* the server: the peer's hello came; the peer: it came back */
    int one = 1;
    if (zmq_setsockopt(t->sock, ZMQ_STREAM_NOTIFY, &one, sizeof one) < 0)
        return -1;
    if (is_server) {
        int ivl = 0;
        size_t len = sizeof ivl;
        if (zmq_getsockopt(t->sock, ZMQ_HANDSHAKE_IVL, &ivl, &len) < 0)
            return -1;
        s->st.idle_ms = ivl > 0 ? ivl : 30000; /* the limit is never off: see stream.h */
        s->idle_ns = (uint64_t)s->st.idle_ms * 1000000u;
    } else if (!(s->tx = malloc(STREAM_HDR + t->size))) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void soak_stream_fini(soak_traffic *t)
{
    stream_state *s = t->stream;
    if (!s)
        return;
    for (unsigned b = 0; b < STREAM_BUCKETS; b++)
        while (s->bucket[b])
            stream_srv_free(s, s->bucket[b]);
    free(s->rx);
    free(s->tx);
    free(s);
    t->stream = NULL;
}

short soak_stream_events(const soak_traffic *t, uint64_t now_ns)
{
    const stream_state *s = t->stream;
    short ev = ZMQ_POLLIN;
    if (!s->server && s->hello_sent && !s->tx_blocked && soak__traffic_may_send(t, now_ns))
        ev |= ZMQ_POLLOUT;
    return ev;
}

long soak_stream_timeout_ms(const soak_traffic *t, uint64_t now_ns, long wait)
{
    const stream_state *s = t->stream;
    if (s->tx_blocked || s->nblocked || (!s->server && s->have_id && !s->hello_sent))
        return 1;
    if (s->server && s->head[STREAM_LIST_IDLE]) {
        uint64_t due = s->head[STREAM_LIST_IDLE]->since_ns + s->idle_ns;
        long ms = due > now_ns ? (long)((due - now_ns) / 1000000u) + 1 : 0;
        if (wait < 0 || ms < wait)
            wait = ms;
    }
    return wait;
}

int soak_stream_io(soak_traffic *t, uint64_t now_ns)
{
    stream_state *s = t->stream;
    return s->server ? stream_srv_io(t, s, now_ns) : stream_peer_io(t, s, now_ns);
}

int soak_stream_stats_get(const soak_traffic *t, soak_stream_stats *out)
{
    const stream_state *s = t->stream;
    if (!s || !s->server)
        return -1;
    *out = s->st;
    out->open = out->open_peers = 0;
    for (unsigned b = 0; b < STREAM_BUCKETS; b++)
        for (const stream_conn *c = s->bucket[b]; c; c = c->hnext) {
            if (!c->peer)
                out->probe_bytes += c->bytes;
            if (c->closing)
                continue; /* counted when the close was decided */
            out->open++;
            out->open_peers += (uint64_t)c->peer;
        }
    return 0;
}

static void stream_why(char *why, size_t len, const char *text)
{
    size_t n = strlen(why);
    if (n + 3 < len)
        snprintf(why + n, len - n, "%s%s", n ? "; " : "", text);
}

void soak_stream_verdict(const soak_traffic *t, char *line, size_t line_len, char *why,
                         size_t why_len)
{
    soak_stream_stats st;
    why[0] = '\0';
    line[0] = '\0';
    if (soak_stream_stats_get(t, &st) < 0)
        return;
    uint64_t bad = st.bad_text + st.bad_zmtp + st.bad_other;
    snprintf(line, line_len,
             "%" PRIu64 " connections, %" PRIu64 " with records (the peer's); the server "
             "closed %" PRIu64 " at once for bytes that are not a record (text %" PRIu64
             ", 0xFF %" PRIu64 ", other %" PRIu64 ") and %" PRIu64
             " at its %d ms idle limit; %" PRIu64 " left first (%" PRIu64
             " without a byte); %" PRIu64 " open; %" PRIu64 " probe bytes read, %" PRIu64
             " chunks after a close",
             st.conns, st.peers, bad, st.bad_text, st.bad_zmtp, st.bad_other, st.idle,
             st.idle_ms, st.gone_quiet + st.gone_data, st.gone_quiet, st.open, st.probe_bytes,
             st.late_chunks);
    char text[200];
    uint64_t ended = bad + st.idle + st.fault + st.gone_quiet + st.gone_data + st.peers_gone;
    if (ended + st.open != st.conns) {
        snprintf(text, sizeof text,
                 "the STREAM server's counts do not add up: %" PRIu64 " connections, %" PRIu64
                 " ended and %" PRIu64 " open",
                 st.conns, ended, st.open);
        stream_why(why, why_len, text);
    }
    if (st.open != 1 || st.open_peers != 1) {
        snprintf(text, sizeof text,
                 "after the settle the STREAM server holds %" PRIu64 " connections, %" PRIu64
                 " of them the peer's (1 and 1 expected)",
                 st.open, st.open_peers);
        stream_why(why, why_len, text);
    }
    if (st.fault || st.peers_gone || st.peers != 1) {
        snprintf(text, sizeof text,
                 "the peer's connection: %" PRIu64 " sent records (1 expected), %" PRIu64
                 " closed for a bad record, %" PRIu64 " lost",
                 st.peers, st.fault, st.peers_gone);
        stream_why(why, why_len, text);
    }
}
