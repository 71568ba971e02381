/* The probe engine: one thread, one poller, a fixed table of probe slots.
 *
 * Design notes
 * - Every started probe ends exactly once, in zp_finish(), which counts its outcome,
 *   closes its socket and frees its slot. Nothing else closes a probe socket, so the
 *   counts cannot drift from what happened on the wire.
 * - Timers: every deadline a probe can have is "now + a constant of the run" (connect
 *   timeout, silent cap, drip gap), so each kind of timer is a FIFO list kept in
 *   deadline order by appending; the next wake-up is the earliest of three heads.
 * - Poller tags carry the slot's generation: an event for a slot that has since been
 *   finished and reused is recognised and dropped.
 * - The network is untrusted: what the server sends is counted and the first
 *   ZPROBE_CAPTURE bytes kept for classification, read in bounded gulps so that a
 *   server flooding one probe cannot starve the others.
 * - Counters live in a private zprobe_stats and are published to the shared report
 *   under a sequence lock, at most every ZP_PUBLISH_NS and at the end.
 */
#include "probe.h"
#include "probe_curve.h"
#include "probe_net.h"

#include <limits.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#define ZPROBE_CAPTURE 256u   /* bytes of each answer kept to tell what it was */
#define ZP_NIL UINT32_MAX
#define ZP_PUBLISH_NS 5000000u      /* 5 ms: samplers never see counts older than this */
#define ZP_STOP_POLL_MS 100         /* zprobe_stop() from another thread is seen this soon */
#define ZP_READ_GULPS 8             /* reads per readiness event, per probe */

enum { ZP_CONNECT, ZP_CAP, ZP_DRIP, ZP_LISTS };
enum { ZP_FREE, ZP_CONNECTING, ZP_OPEN };

typedef enum zp_outcome {
    ZP_REFUSED, ZP_TIMED_OUT, ZP_CONN_FAILED, ZP_ABORT_CONNECTING,
    ZP_SERVER_RST, ZP_SERVER_FIN, ZP_OUR_RST, ZP_OUR_FIN, ZP_CAPPED, ZP_ABORT_OPEN, ZP_IO_ERROR
} zp_outcome;

typedef struct zp_link {
    uint32_t prev, next;
    uint64_t due;
    int8_t list; /* which list the link is on; -1: none */
} zp_link;

typedef struct zp_slot {
    zprobe_sock fd;
    uint32_t gen;
    uint8_t state, mode;
    unsigned interest;
    zp_link link[2]; /* [0]: connect or cap timer; [1]: drip timer */
    uint64_t connected_ns;
    const uint8_t *out;
    uint32_t out_len, out_off;
    uint32_t in_len;
    uint32_t next_free;
    uint8_t in[ZPROBE_CAPTURE];
    uint8_t own_out[64]; /* corrupt=random: this probe's own garbage */
} zp_slot;

typedef struct zp_list {
    uint32_t head, tail;
} zp_list;

typedef struct zp_run {
    const zprobe_config *cfg;
    zprobe_report *rep;
    zprobe_poller *poller;
    zprobe_addr target;
    zprobe_addr *src;
    size_t nsrc;
    zp_slot *slots;
    uint32_t nslots, free_head, active;
    zp_list lists[ZP_LISTS];
    uint64_t delay_ns[ZP_LISTS];
    zprobe_stats st;
    uint64_t t0, last_pub;
    int dirty;
    uint64_t started;
    uint64_t rng;
    uint8_t *deck; /* the mix: one shuffled block of sum(weights) modes */
    uint32_t deck_len, deck_pos;
    char http_req[320];
    uint32_t http_len;
    uint8_t greeting[64];
    uint8_t corrupt[64];
    zp_curve *curve;    /* the CURVE modes' bytes; NULL when the mix has none */
    uint64_t curve_k;   /* CURVE probes started: picks each one's variant */
} zp_run;

/* ---- small helpers ---------------------------------------------------------- */

static uint64_t zp_rand(zp_run *r)
{
    /* xorshift64*: deterministic per seed, which is all the mix and garbage need. */
    uint64_t x = r->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return x * 2685821657736338717ull;
}

static void zp_seed(zp_run *r, uint64_t seed)
{
    /* splitmix64 step: a zero or small seed still gives a well-mixed non-zero state. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    r->rng = z ? z : 1;
}

static zprobe_counts *zp_c(zp_run *r, const zp_slot *s)
{
    r->dirty = 1;
    return &r->st.mode[s->mode];
}

static uint64_t zp_tag(const zp_run *r, const zp_slot *s)
{
    return ((uint64_t)s->gen << 32) | (uint32_t)(s - r->slots);
}

/* ---- timer lists ------------------------------------------------------------ */

static int zp_link_of(int list)
{
    return list == ZP_DRIP ? 1 : 0;
}

static void zp_timer_stop(zp_run *r, zp_slot *s, int which)
{
    zp_link *l = &s->link[which];
    if (l->list < 0)
        return;
    zp_list *lst = &r->lists[l->list];
    if (l->prev != ZP_NIL)
        r->slots[l->prev].link[which].next = l->next;
    else
        lst->head = l->next;
    if (l->next != ZP_NIL)
        r->slots[l->next].link[which].prev = l->prev;
    else
        lst->tail = l->prev;
    l->list = -1;
    l->prev = l->next = ZP_NIL;
}

static void zp_timer_start(zp_run *r, zp_slot *s, int list, uint64_t now)
{
    int which = zp_link_of(list);
    zp_timer_stop(r, s, which);
    zp_list *lst = &r->lists[list];
    zp_link *l = &s->link[which];
    uint32_t idx = (uint32_t)(s - r->slots);
    l->due = now + r->delay_ns[list];
    l->list = (int8_t)list;
    /* Appending keeps the order (constant delay, monotonic clock); walk back anyway so
     * that an out-of-order push can never break the "head is earliest" rule. */
    uint32_t after = lst->tail;
    while (after != ZP_NIL && r->slots[after].link[which].due > l->due)
        after = r->slots[after].link[which].prev;
    l->prev = after;
    l->next = after == ZP_NIL ? lst->head : r->slots[after].link[which].next;
    if (l->prev != ZP_NIL)
        r->slots[l->prev].link[which].next = idx;
    else
        lst->head = idx;
    if (l->next != ZP_NIL)
        r->slots[l->next].link[which].prev = idx;
    else
        lst->tail = idx;
}

/* ---- what the server said --------------------------------------------------- */

/* Counts what a probe's first ZPROBE_CAPTURE received bytes were: a ZMTP signature,
 * greeting, READY or ERROR command, an HTTP reply. Reads only within in[0..len). */
static void zp_classify(zprobe_counts *c, const uint8_t *in, uint32_t len)
{
    if (len >= 5 && memcmp(in, "HTTP/", 5) == 0)
        c->http_reply++;
    if (len < 10 || in[0] != 0xFF || !(in[9] & 1))
        return;
    c->zmtp_signature++;
    if (len < 64 || in[10] < 3)
        return;
    c->zmtp_greeting++;
    int ready = 0, error = 0;
    for (uint32_t off = 64; off + 2 <= len;) {
        uint8_t flags = in[off];
        uint64_t size;
        uint32_t hdr;
        if (flags & 0x02) {
            if (off + 9 > len)
                break;
            size = 0;
            for (int i = 1; i <= 8; i++)
                size = (size << 8) | in[off + i];
            hdr = 9;
        } else {
            size = in[off + 1];
            hdr = 2;
        }
        if ((flags & 0x04) && off + hdr + 1 <= len) {
            uint32_t nlen = in[off + hdr];
            const uint8_t *name = in + off + hdr + 1;
            if (nlen <= size && off + hdr + 1 + nlen <= len) {
                if (nlen == 5 && memcmp(name, "READY", 5) == 0)
                    ready = 1;
                if (nlen == 5 && memcmp(name, "ERROR", 5) == 0)
                    error = 1;
            }
        }
        if (size > len - off - hdr)
            break;
        off += hdr + (uint32_t)size;
    }
    c->zmtp_ready += (uint64_t)ready;
    c->zmtp_error += (uint64_t)error;
}

/* ---- a probe's life --------------------------------------------------------- */

static void zp_finish(zp_run *r, zp_slot *s, zp_outcome how, uint64_t now, int err)
{
    zprobe_counts *c = zp_c(r, s);
    int connected = s->state == ZP_OPEN;
    int rst = 0;
    switch (how) {
    case ZP_REFUSED: c->refused++; break;
    case ZP_TIMED_OUT: c->timed_out++; break;
    case ZP_CONN_FAILED: c->conn_failed++; r->st.last_errno = (uint64_t)err; break;
    case ZP_ABORT_CONNECTING: c->aborted++; break;
    case ZP_SERVER_RST: c->server_rst++; break;
    case ZP_SERVER_FIN: c->server_fin++; break;
    case ZP_OUR_RST: c->our_close++; c->rst_sent++; rst = 1; break;
    case ZP_OUR_FIN: c->our_close++; c->fin_sent++; break;
    case ZP_CAPPED: c->our_close++; c->fin_sent++; c->capped++; break;
    case ZP_ABORT_OPEN: c->our_close++; c->fin_sent++; c->aborted++; break;
    case ZP_IO_ERROR: c->io_error++; r->st.last_errno = (uint64_t)err; break;
    }
    if (connected) {
        if (s->in_len > 0)
            c->with_data++;
        zp_classify(c, s->in, s->in_len);
        if ((how == ZP_SERVER_RST || how == ZP_SERVER_FIN) && s->mode != ZPROBE_RST &&
            s->mode != ZPROBE_FIN) {
            uint64_t ms = (now - s->connected_ns) / 1000000u;
            c->drop_ms_min = c->drop_count == 0 || ms < c->drop_ms_min ? ms : c->drop_ms_min;
            c->drop_ms_max = ms > c->drop_ms_max ? ms : c->drop_ms_max;
            c->drop_ms_sum += ms;
            c->drop_count++;
        }
    }
    c->done++;
    zp_timer_stop(r, s, 0);
    zp_timer_stop(r, s, 1);
    if (s->fd != ZPROBE_NO_SOCK) {
        zprobe_poller_del(r->poller, s->fd);
        zprobe_net_close(s->fd, rst);
        s->fd = ZPROBE_NO_SOCK;
    }
    s->state = ZP_FREE;
    s->gen++;
    s->next_free = r->free_head;
    r->free_head = (uint32_t)(s - r->slots);
    r->active--;
}

static void zp_want(zp_run *r, zp_slot *s, unsigned ev)
{
    if (s->interest != ev) {
        s->interest = ev;
        (void)zprobe_poller_mod(r->poller, s->fd, ev, zp_tag(r, s));
    }
}

/* Reads what is there. Returns 1 if the probe finished (server closed, reset, error). */
static int zp_read(zp_run *r, zp_slot *s, uint64_t now)
{
    uint8_t buf[4096];
    for (int i = 0; i < ZP_READ_GULPS; i++) {
        size_t got;
        int err;
        zprobe_net_res res = zprobe_net_recv(s->fd, buf, sizeof buf, &got, &err);
        switch (res) {
        case ZN_OK: {
            zp_c(r, s)->bytes_received += got;
            size_t keep = ZPROBE_CAPTURE - s->in_len;
            if (keep > got)
                keep = got;
            memcpy(s->in + s->in_len, buf, keep);
            s->in_len += (uint32_t)keep;
            break;
        }
        case ZN_AGAIN: return 0;
        case ZN_CLOSED: zp_finish(r, s, ZP_SERVER_FIN, now, 0); return 1;
        case ZN_RESET: zp_finish(r, s, ZP_SERVER_RST, now, err); return 1;
        default: zp_finish(r, s, ZP_IO_ERROR, now, err); return 1;
        }
    }
    return 0;
}

/* Sends up to want more bytes of the probe's output. Returns 1 if the probe finished. */
static int zp_write(zp_run *r, zp_slot *s, uint32_t want, uint64_t now)
{
    size_t sent;
    int err;
    zprobe_net_res res = zprobe_net_send(s->fd, s->out + s->out_off, want, &sent, &err);
    if (res == ZN_OK) {
        s->out_off += (uint32_t)sent;
        zp_c(r, s)->bytes_sent += sent;
        return 0;
    }
    if (res == ZN_AGAIN)
        return 0;
    /* A write refused by the server's close: read first, so that a FIN it sent before
     * our bytes reached it is reported as the FIN it was. */
    if (zp_read(r, s, now))
        return 1;
    zp_finish(r, s, res == ZN_RESET ? ZP_SERVER_RST : ZP_IO_ERROR, now, err);
    return 1;
}

static void zp_flush(zp_run *r, zp_slot *s, uint64_t now)
{
    if (s->out_off < s->out_len && zp_write(r, s, s->out_len - s->out_off, now))
        return;
    zp_want(r, s, s->out_off < s->out_len ? ZPROBE_EV_IN | ZPROBE_EV_OUT : ZPROBE_EV_IN);
}

static void zp_drip(zp_run *r, zp_slot *s, uint64_t now)
{
    if (zp_write(r, s, 1, now))
        return;
    if (s->out_off < s->out_len)
        zp_timer_start(r, s, ZP_DRIP, now);
}

static void zp_mark_connected(zp_run *r, zp_slot *s, uint64_t now)
{
    zp_timer_stop(r, s, 0);
    s->state = ZP_OPEN;
    s->connected_ns = now;
    zp_c(r, s)->connected++;
}

/* An old ZeroMQ's opening, then one of two things, half and half by the seed:
 *  zmtp1 silent: a 1.0 identity frame announced 4 bytes long and cut after 2: the
 *    server waits in its handshake, which its HANDSHAKE_IVL ends.
 *  zmtp1 junk: an identity frame header that 1.0 refuses (see below), then noise.
 *  zmtp2 silent: the signature and revision 1, and no socket type.
 *  zmtp2 junk: the same with a socket type that does not exist, then noise.
 * Neither junk becomes a peer of the server's socket: each is refused inside its
 * handshake, so the probe mix cannot take messages from the traffic it runs beside. */
static void zp_old(zp_run *r, zp_slot *s)
{
    static const uint8_t sig[10] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F};
    bool junk = (zp_rand(r) >> 40) & 1;
    uint8_t *o = s->own_out;
    uint32_t n = 0;
    if (s->mode == ZPROBE_ZMTP1) {
        /* The junk must be refused inside the identity frame: a probe whose identity
         * frame is whole has finished its handshake and is a peer, which a PUSH or
         * DEALER server then deals messages to (lost with it, as they would be with any
         * peer that dies). So: a length no 1.0 frame has, 0 (the length counts the
         * flags byte), or a long length past any limit, its flags byte (the 10th,
         * where a signature has bit 0 set) even so that it reads as 1.0. */
        if (!junk) {
            o[n++] = 5, o[n++] = 0, o[n++] = 'p', o[n++] = 'r';
        } else if ((zp_rand(r) >> 41) & 1) {
            o[n++] = 0;
        } else {
            o[n++] = 0xFF;
            o[n++] = 0x40; /* 2^62 */
            while (n < 10)
                o[n++] = 0;
        }
    } else {
        memcpy(o, sig, sizeof sig);
        n = sizeof sig;
        o[n++] = 1;
        if (junk)
            o[n++] = 0xEE;
    }
    while (junk && n < 48)
        o[n++] = (uint8_t)(zp_rand(r) >> 56);
    s->out = o;
    s->out_len = n;
}

static void zp_connected(zp_run *r, zp_slot *s, uint64_t now)
{
    const zprobe_config *cfg = r->cfg;
    zp_mark_connected(r, s, now);
    switch ((zprobe_mode)s->mode) {
    case ZPROBE_RST:
        zp_finish(r, s, ZP_OUR_RST, now, 0);
        return;
    case ZPROBE_FIN:
        /* Closing with unread bytes (a server's greeting) makes the kernel send an RST:
         * take what has arrived so that the close is the FIN this mode promises. */
        if (!zp_read(r, s, now))
            zp_finish(r, s, ZP_OUR_FIN, now, 0);
        return;
    case ZPROBE_SILENT:
        break;
    case ZPROBE_HTTP:
        s->out = (const uint8_t *)r->http_req;
        s->out_len = r->http_len;
        break;
    case ZPROBE_PARTIAL:
        s->out = r->greeting;
        s->out_len = cfg->partial_bytes;
        break;
    case ZPROBE_CORRUPT:
        if (cfg->corrupt == ZPROBE_CORRUPT_RANDOM) {
            for (size_t i = 0; i < sizeof s->own_out; i++)
                s->own_out[i] = (uint8_t)(zp_rand(r) >> 56);
            if (s->own_out[0] == 0xFF)
                s->own_out[0] = 0xFE;
            s->out = s->own_out;
        } else {
            s->out = r->corrupt;
        }
        s->out_len = 64;
        break;
    case ZPROBE_DRIP:
        s->out = r->greeting;
        s->out_len = 64;
        break;
    case ZPROBE_CURVE_GARBAGE:
    case ZPROBE_CURVE_TRUNCATED:
    case ZPROBE_CURVE_REPLAY:
        s->out = zp_curve_bytes(r->curve, s->mode, r->curve_k++, &s->out_len);
        break;
    case ZPROBE_ZMTP1:
    case ZPROBE_ZMTP2:
        zp_old(r, s);
        break;
    default:
        break;
    }
    if (cfg->silent_max_ms > 0)
        zp_timer_start(r, s, ZP_CAP, now);
    if (s->mode == ZPROBE_DRIP) {
        zp_want(r, s, ZPROBE_EV_IN);
        zp_drip(r, s, now);
    } else {
        zp_flush(r, s, now);
    }
}

static void zp_connect_done(zp_run *r, zp_slot *s, uint64_t now)
{
    int err;
    switch (zprobe_net_connect_result(s->fd, &err)) {
    case ZN_OK: zp_connected(r, s, now); break;
    case ZN_INPROGRESS: break;
    case ZN_REFUSED: zp_finish(r, s, ZP_REFUSED, now, err); break;
    case ZN_TIMEDOUT: zp_finish(r, s, ZP_TIMED_OUT, now, err); break;
    case ZN_RESET:
        /* A refused SYN reads ECONNREFUSED; a reset means the handshake had completed
         * and the server reset the connection before we looked: a connected probe. */
        zp_mark_connected(r, s, now);
        zp_finish(r, s, ZP_SERVER_RST, now, err);
        break;
    default: zp_finish(r, s, ZP_CONN_FAILED, now, err); break;
    }
}

static zprobe_mode zp_next_mode(zp_run *r)
{
    if (r->deck_pos == r->deck_len) {
        /* Fisher-Yates over the block: exact proportions every block, seeded order. */
        for (uint32_t i = r->deck_len - 1; i > 0; i--) {
            uint32_t j = (uint32_t)(zp_rand(r) % (i + 1));
            uint8_t t = r->deck[i];
            r->deck[i] = r->deck[j];
            r->deck[j] = t;
        }
        r->deck_pos = 0;
    }
    return (zprobe_mode)r->deck[r->deck_pos++];
}

static void zp_start(zp_run *r, uint64_t now)
{
    zp_slot *s = &r->slots[r->free_head];
    r->free_head = s->next_free;
    r->active++;
    memset(s->link, 0, sizeof s->link);
    s->link[0].list = s->link[1].list = -1;
    s->link[0].prev = s->link[0].next = s->link[1].prev = s->link[1].next = ZP_NIL;
    s->mode = (uint8_t)zp_next_mode(r);
    s->state = ZP_CONNECTING;
    s->interest = 0;
    s->out = NULL;
    s->out_len = s->out_off = s->in_len = 0;
    s->fd = ZPROBE_NO_SOCK;
    zp_c(r, s)->started++;
    if (r->active > r->st.peak_in_flight)
        r->st.peak_in_flight = r->active;
    const zprobe_addr *from = r->nsrc ? &r->src[r->started % r->nsrc] : NULL;
    r->started++;

    int err;
    zprobe_net_res res = zprobe_net_connect(&r->target, from, s->mode == ZPROBE_DRIP, &s->fd, &err);
    if (res == ZN_OK || res == ZN_INPROGRESS) {
        s->interest = res == ZN_OK ? ZPROBE_EV_IN : ZPROBE_EV_OUT;
        if (zprobe_poller_add(r->poller, s->fd, s->interest, zp_tag(r, s)) != 0) {
            zp_finish(r, s, ZP_CONN_FAILED, now, 0);
            return;
        }
        if (res == ZN_OK) {
            zp_connected(r, s, now);
        } else {
            zp_timer_start(r, s, ZP_CONNECT, now);
        }
        return;
    }
    zp_finish(r, s, res == ZN_REFUSED ? ZP_REFUSED : res == ZN_TIMEDOUT ? ZP_TIMED_OUT
                                                                        : ZP_CONN_FAILED,
              now, err);
}

static void zp_event(zp_run *r, const zprobe_event *e, uint64_t now)
{
    uint32_t idx = (uint32_t)e->tag;
    if (idx >= r->nslots)
        return;
    zp_slot *s = &r->slots[idx];
    if (s->state == ZP_FREE || s->gen != (uint32_t)(e->tag >> 32))
        return;
    if (s->state == ZP_CONNECTING) {
        zp_connect_done(r, s, now);
        return;
    }
    if ((e->ev & (ZPROBE_EV_IN | ZPROBE_EV_ERR)) && zp_read(r, s, now))
        return;
    if ((e->ev & ZPROBE_EV_OUT) && s->mode != ZPROBE_DRIP)
        zp_flush(r, s, now);
}

static void zp_expire(zp_run *r, uint64_t now)
{
    for (int list = 0; list < ZP_LISTS; list++) {
        int which = zp_link_of(list);
        while (r->lists[list].head != ZP_NIL) {
            zp_slot *s = &r->slots[r->lists[list].head];
            if (s->link[which].due > now)
                break;
            zp_timer_stop(r, s, which);
            if (list == ZP_CONNECT)
                zp_finish(r, s, ZP_TIMED_OUT, now, 0);
            else if (list == ZP_CAP)
                zp_finish(r, s, ZP_CAPPED, now, 0);
            else
                zp_drip(r, s, now);
        }
    }
}

static void zp_abort_all(zp_run *r, uint64_t now)
{
    for (uint32_t i = 0; i < r->nslots; i++) {
        zp_slot *s = &r->slots[i];
        if (s->state == ZP_CONNECTING)
            zp_finish(r, s, ZP_ABORT_CONNECTING, now, 0);
        else if (s->state == ZP_OPEN)
            zp_finish(r, s, ZP_ABORT_OPEN, now, 0);
    }
}

/* ---- publishing ------------------------------------------------------------- */

static void zp_totals(zprobe_stats *st)
{
    uint64_t *t = (uint64_t *)&st->total;
    size_t n = sizeof st->total / sizeof(uint64_t);
    memset(&st->total, 0, sizeof st->total);
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++) {
        zprobe_counts *c = &st->mode[m];
        c->in_flight = c->started - c->done;
        const uint64_t *w = (const uint64_t *)c;
        for (size_t i = 0; i < n; i++)
            t[i] += w[i];
    }
    /* min and max do not add up */
    st->total.drop_ms_min = st->total.drop_ms_max = 0;
    int any = 0;
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++) {
        const zprobe_counts *c = &st->mode[m];
        if (c->drop_count == 0)
            continue;
        if (!any || c->drop_ms_min < st->total.drop_ms_min)
            st->total.drop_ms_min = c->drop_ms_min;
        if (c->drop_ms_max > st->total.drop_ms_max)
            st->total.drop_ms_max = c->drop_ms_max;
        any = 1;
    }
}

static void zp_store(zprobe_report *rep, const zprobe_stats *st)
{
    uint64_t w[ZPROBE_STATS_WORDS];
    memcpy(w, st, sizeof w);
    uint64_t q = atomic_load_explicit(&rep->seq, memory_order_relaxed);
    atomic_store_explicit(&rep->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < ZPROBE_STATS_WORDS; i++)
        atomic_store_explicit(&rep->words[i], w[i], memory_order_relaxed);
    atomic_store_explicit(&rep->seq, q + 2, memory_order_release);
}

static void zp_publish(zp_run *r, uint64_t now)
{
    r->st.elapsed_ms = (now - r->t0) / 1000000u;
    zp_totals(&r->st);
    zp_store(r->rep, &r->st);
    r->last_pub = now;
    r->dirty = 0;
}

void zprobe_sample(const zprobe_report *rep, zprobe_stats *out)
{
    _Static_assert(sizeof(zprobe_stats) == ZPROBE_STATS_WORDS * sizeof(uint64_t),
                   "zprobe_stats must be made of uint64_t only");
    uint64_t w[ZPROBE_STATS_WORDS];
    for (;;) {
        uint64_t q1 = atomic_load_explicit(&rep->seq, memory_order_acquire);
        if (q1 & 1)
            continue; /* the writer holds it for a copy of ~2 KB: spin */
        for (size_t i = 0; i < ZPROBE_STATS_WORDS; i++)
            w[i] = atomic_load_explicit(&rep->words[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&rep->seq, memory_order_relaxed) == q1)
            break;
    }
    memcpy(out, w, sizeof w);
}

void zprobe_stop(zprobe_report *rep)
{
    atomic_store(&rep->stop, 1);
}

int zprobe_unreachable(const zprobe_stats *st)
{
    return st->total.connected == 0 &&
           st->total.refused + st->total.timed_out + st->total.conn_failed > 0;
}

/* ---- setup ------------------------------------------------------------------ */

static int zp_fail(zprobe_report *rep, int rc, const char *msg, const char *what)
{
    snprintf(rep->error, sizeof rep->error, "%.120s%s%.120s%s", msg, what ? " '" : "", what ? what : "",
             what ? "'" : "");
    return rc;
}

/* "tcp://host:port", "host:port", "[v6]:port" -> host (no brackets) and port. */
static int zp_split_target(const char *t, char *host, size_t hostlen, unsigned *port)
{
    if (strncmp(t, "tcp://", 6) == 0)
        t += 6;
    const char *start = t, *colon;
    if (*t == '[') {
        const char *close = strchr(t, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        start = t + 1;
        colon = close + 1;
    } else {
        colon = strrchr(t, ':');
        if (colon == NULL)
            return -1;
    }
    size_t hl = (size_t)(colon - start) - (*t == '[');
    if (hl == 0 || hl >= hostlen)
        return -1;
    memcpy(host, start, hl);
    host[hl] = '\0';
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || p == 0 || p > 65535)
        return -1;
    *port = (unsigned)p;
    return 0;
}

static void zp_make_greetings(zp_run *r)
{
    /* ZMTP 3.1 NULL, as libzmq sends it: padding 00..01, client (as-server 0). */
    uint8_t *g = r->greeting;
    memset(g, 0, 64);
    g[0] = 0xFF;
    g[8] = 0x01;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 1;
    memcpy(g + 12, "NULL", 4);

    uint8_t *c = r->corrupt;
    switch (r->cfg->corrupt) {
    case ZPROBE_CORRUPT_VERSION:
        memcpy(c, g, 10);
        c[10] = 0xEE;
        for (int i = 11; i < 64; i++)
            c[i] = (uint8_t)(0xA5 ^ i);
        break;
    case ZPROBE_CORRUPT_MECHANISM:
        memcpy(c, g, 64);
        memcpy(c + 12, "BOGUS", 5);
        break;
    default: /* signature; random is made per probe */
        c[0] = 0xFF;
        for (int i = 1; i < 64; i++)
            c[i] = (uint8_t)(0x5A ^ (i * 7));
        c[9] = 0x7E; /* bit 0 clear: "not a ZMTP 3 signature" */
        break;
    }
}

static int zp_setup(zp_run *r, const zprobe_config *cfg, zprobe_report *rep)
{
    char host[256];
    unsigned port = 0;
    bool ipc = cfg->target != NULL && strncmp(cfg->target, "ipc://", 6) == 0;
    if (ipc) {
        /* a Unix-domain peer: every mode applies, but rst is a plain close there (no RST
         * exists on AF_UNIX) and the source addresses have nothing to choose */
        if (zprobe_net_unix(cfg->target + 6, &r->target) != 0)
            return zp_fail(rep, ZPROBE_ERR_CONFIG, "bad ipc target (a path, or @name):", cfg->target);
        if (cfg->sources != NULL && *cfg->sources != '\0')
            return zp_fail(rep, ZPROBE_ERR_CONFIG, "source addresses need a tcp:// target", NULL);
        snprintf(host, sizeof host, "localhost");
    } else {
        if (cfg->target == NULL || zp_split_target(cfg->target, host, sizeof host, &port) != 0)
            return zp_fail(rep, ZPROBE_ERR_CONFIG,
                           "bad target (want tcp://host:port, host:port, [v6]:port or ipc://path):",
                           cfg->target ? cfg->target : "(none)");
        if (zprobe_net_resolve(host, port, &r->target, rep->error, sizeof rep->error) != 0)
            return ZPROBE_ERR_CONFIG;
    }

    uint32_t sum = 0;
    for (int m = 0; m < ZPROBE_MODE_COUNT; m++) {
        if (cfg->weights[m] > 10000)
            return zp_fail(rep, ZPROBE_ERR_CONFIG, "a mode weight is over 10000", NULL);
        sum += cfg->weights[m];
    }
    if (sum == 0 || sum > 10000)
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "the mode weights must add up to 1..10000", NULL);
    if (cfg->concurrency == 0 || cfg->concurrency > 1000000)
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "concurrency must be 1..1000000", NULL);
    if (!(cfg->rate >= 0 && cfg->rate <= 1e7))
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "rate must be 0..10000000 per second", NULL);
    if (cfg->partial_bytes < 1 || cfg->partial_bytes > 63)
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "partial bytes must be 1..63", NULL);
    if (cfg->drip_ms < 1 || cfg->connect_timeout_ms < 1)
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "drip and connect timeout must be >= 1 ms", NULL);
    if ((unsigned)cfg->corrupt >= ZPROBE_CORRUPT_COUNT)
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "unknown corrupt kind", NULL);

    const char *hh = cfg->http_host;
    char hostport[300];
    if (hh == NULL && ipc) {
        hh = host;
    } else if (hh == NULL) {
        snprintf(hostport, sizeof hostport, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
        hh = hostport;
    }
    int n = snprintf(r->http_req, sizeof r->http_req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", hh);
    if (n < 0 || (size_t)n >= sizeof r->http_req || strpbrk(hh, "\r\n"))
        return zp_fail(rep, ZPROBE_ERR_CONFIG, "bad HTTP host", hh);
    r->http_len = (uint32_t)n;

    if (cfg->sources != NULL && *cfg->sources != '\0') {
        size_t cap = 1;
        for (const char *p = cfg->sources; *p; p++)
            cap += *p == ',';
        r->src = calloc(cap, sizeof *r->src);
        if (r->src == NULL)
            return zp_fail(rep, ZPROBE_ERR_SYSTEM, "out of memory", NULL);
        for (const char *p = cfg->sources;;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            char ip[64];
            if (len == 0 || len >= sizeof ip)
                return zp_fail(rep, ZPROBE_ERR_CONFIG, "bad source list", cfg->sources);
            memcpy(ip, p, len);
            ip[len] = '\0';
            if (zprobe_net_parse_ip(ip, zprobe_net_family(&r->target), &r->src[r->nsrc]) != 0)
                return zp_fail(rep, ZPROBE_ERR_CONFIG,
                               "bad source address (numeric, same family as the target):", ip);
            r->nsrc++;
            if (!end)
                break;
            p = end + 1;
        }
    }

    r->deck = malloc(sum);
    r->slots = calloc(cfg->concurrency, sizeof *r->slots);
    r->poller = zprobe_poller_new();
    if (r->deck == NULL || r->slots == NULL || r->poller == NULL)
        return zp_fail(rep, ZPROBE_ERR_SYSTEM, "cannot allocate the probe table or the poller",
                       NULL);
    r->deck_len = sum;
    for (int m = 0, k = 0; m < ZPROBE_MODE_COUNT; m++)
        for (unsigned i = 0; i < cfg->weights[m]; i++)
            r->deck[k++] = (uint8_t)m;
    r->deck_pos = sum; /* shuffle before the first draw */
    zp_seed(r, cfg->seed);

    r->nslots = cfg->concurrency;
    r->free_head = ZP_NIL;
    for (uint32_t i = r->nslots; i-- > 0;) {
        r->slots[i].fd = ZPROBE_NO_SOCK;
        r->slots[i].next_free = r->free_head;
        r->free_head = i;
    }
    for (int l = 0; l < ZP_LISTS; l++)
        r->lists[l].head = r->lists[l].tail = ZP_NIL;
    r->delay_ns[ZP_CONNECT] = cfg->connect_timeout_ms * 1000000u;
    r->delay_ns[ZP_CAP] = cfg->silent_max_ms * 1000000u;
    r->delay_ns[ZP_DRIP] = cfg->drip_ms * 1000000u;
    zp_make_greetings(r);
    if (zp_curve_setup(cfg, &r->target, &r->curve, rep->error, sizeof rep->error) != 0)
        return ZPROBE_ERR_CONFIG;
    return ZPROBE_OK;
}

static void zp_teardown(zp_run *r)
{
    zp_curve_free(r->curve);
    zprobe_poller_free(r->poller);
    free(r->slots);
    free(r->deck);
    free(r->src);
}

/* ---- the loop --------------------------------------------------------------- */

static uint64_t zp_due(const zp_run *r)
{
    return r->t0 + (uint64_t)((double)r->started * 1e9 / r->cfg->rate);
}

static int zp_may_start(const zp_run *r, uint64_t now)
{
    const zprobe_config *cfg = r->cfg;
    return (cfg->count == 0 || r->started < cfg->count) &&
           (cfg->duration_ms == 0 || now - r->t0 < cfg->duration_ms * 1000000u);
}

static uint64_t zp_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

int zprobe_run(const zprobe_config *cfg, zprobe_report *rep, zprobe_progress_fn fn, void *arg)
{
    zp_run run;
    zp_run *r = &run;
    memset(r, 0, sizeof *r);
    r->cfg = cfg;
    r->rep = rep;
    rep->error[0] = '\0';
    zp_store(rep, &r->st); /* a rerun starts from zero for samplers too */
    int rc = zp_setup(r, cfg, rep);
    if (rc != ZPROBE_OK) {
        zp_teardown(r);
        return rc;
    }

    zprobe_event evs[256];
    r->t0 = zprobe_now_ns();
    uint64_t next_progress = fn && cfg->progress_ms ? r->t0 + cfg->progress_ms * 1000000u : UINT64_MAX;
    r->st.running = 1;
    zp_publish(r, r->t0);
    for (;;) {
        uint64_t now = zprobe_now_ns();
        if (atomic_load(&rep->stop)) {
            zp_abort_all(r, now);
            break;
        }
        int may = zp_may_start(r, now);
        while (may && r->free_head != ZP_NIL && (cfg->rate <= 0 || zp_due(r) <= now)) {
            zp_start(r, now);
            may = zp_may_start(r, now);
        }
        if (!may && r->active == 0)
            break;

        uint64_t wake = now + (uint64_t)ZP_STOP_POLL_MS * 1000000u;
        if (may && r->free_head != ZP_NIL && cfg->rate > 0)
            wake = zp_min(wake, zp_due(r));
        if (may && cfg->duration_ms)
            wake = zp_min(wake, r->t0 + cfg->duration_ms * 1000000u);
        for (int l = 0; l < ZP_LISTS; l++)
            if (r->lists[l].head != ZP_NIL)
                wake = zp_min(wake, r->slots[r->lists[l].head].link[zp_link_of(l)].due);
        wake = zp_min(wake, next_progress);
        if (r->dirty)
            wake = zp_min(wake, r->last_pub + ZP_PUBLISH_NS);
        int timeout = wake <= now ? 0 : (int)((wake - now + 999999u) / 1000000u);

        int n = zprobe_poller_wait(r->poller, evs, (int)(sizeof evs / sizeof evs[0]), timeout);
        if (n < 0) {
            zp_abort_all(r, zprobe_now_ns());
            zp_fail(rep, ZPROBE_ERR_SYSTEM, "the poller failed", NULL);
            rc = ZPROBE_ERR_SYSTEM;
            break;
        }
        now = zprobe_now_ns();
        for (int i = 0; i < n; i++)
            zp_event(r, &evs[i], now);
        zp_expire(r, now);
        if (r->dirty && now - r->last_pub >= ZP_PUBLISH_NS)
            zp_publish(r, now);
        if (now >= next_progress) {
            zp_publish(r, now);
            next_progress = now + cfg->progress_ms * 1000000u;
            if (fn(&r->st, arg))
                zprobe_stop(rep);
        }
    }
    r->st.running = 0;
    zp_publish(r, zprobe_now_ns());
    zp_teardown(r);
    return rc;
}
