/* relay.c - the fault relay's thread (see relay.h for the model).
 *
 * One thread, one poll() loop over the listener, a control pipe and every relayed
 * connection. Each direction has its own buffer; a byte read from one side is written
 * to the other when the toxics allow (latency: the chunk's due time; bandwidth: a token
 * bucket; slice: one byte a write). Sockets are non-blocking and every read and write
 * is simply tried each round: a relay for tests carries a handful of connections, and
 * trying beats bookkeeping readiness for code that must not be wrong. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include "relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RELAY_BUF (64 * 1024)
#define RELAY_CHUNKS 1024          /* latency: chunks held at most, per direction */
#define RELAY_DRAIN_NS (5000000000ull) /* a FIN or slow close gives up waiting after this */

static uint64_t relay_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- ZMTP framing, followed so that a cut lands inside a frame ------------------ */

enum { ZF_GREETING, ZF_FLAGS, ZF_SIZE, ZF_BODY };

typedef struct relay_zmtp {
    int state;
    uint64_t need;   /* bytes left in this part */
    uint64_t size;   /* a long size being read */
    int long_size;
} relay_zmtp;

static void relay_zmtp_init(relay_zmtp *z)
{
    z->state = ZF_GREETING;
    z->need = 64;
}

/* Between two frames (after the greeting): a cut here would be clean. */
static int relay_zmtp_boundary(const relay_zmtp *z) { return z->state == ZF_FLAGS; }

static void relay_zmtp_byte(relay_zmtp *z, unsigned char b)
{
    switch (z->state) {
    case ZF_GREETING:
        if (--z->need == 0)
            z->state = ZF_FLAGS;
        break;
    case ZF_FLAGS:
        z->long_size = (b & 0x02) != 0;
        z->need = z->long_size ? 8 : 1;
        z->size = 0;
        z->state = ZF_SIZE;
        break;
    case ZF_SIZE:
        z->size = z->size << 8 | b;
        if (--z->need == 0) {
            z->need = z->size;
            z->state = z->need ? ZF_BODY : ZF_FLAGS;
        }
        break;
    default:
        if (--z->need == 0)
            z->state = ZF_FLAGS;
        break;
    }
}

/* ---- connections ------------------------------------------------------------------- */

typedef struct relay_chunk {
    uint64_t end; /* the direction's byte count at the chunk's end */
    uint64_t due;
} relay_chunk;

typedef struct relay_dir {
    unsigned char buf[RELAY_BUF];
    size_t off, len;              /* buf[off..len) waits to be written */
    uint64_t read_total, written_total;
    relay_chunk chunks[RELAY_CHUNKS];
    unsigned chunk_head, chunk_count;
    double tokens;
    uint64_t tokens_ns, next_slice_ns;
    int eof;                      /* the source sent FIN */
    int shut;                     /* FIN passed on to the destination */
    relay_zmtp zmtp;              /* of the bytes written to the destination */
} relay_dir;

enum { RC_CONNECTING, RC_NORMAL, RC_DISCARD };

typedef struct relay_conn {
    int fd[2];                    /* 0: the client (accepted), 1: the target */
    relay_dir dir[2];             /* dir[d] reads fd[d], writes fd[1 - d] */
    int state;
    int cut;                      /* RST or FIN waiting for bytes to cut into; 0: none */
    int discard_kind;             /* BLACKHOLE, FIN, SLOW_CLOSE */
    int in_eof[2];                /* RC_DISCARD: side d has closed (or failed) */
    uint64_t slow_close_at;       /* SLOW_CLOSE: when the target's side gets its FIN */
    uint64_t give_up_at;          /* FIN, SLOW_CLOSE: close regardless after this */
    struct relay_conn *next;
} relay_conn;

struct zrelay {
    int listen_fd;
    int ctl[2];
    struct sockaddr_in target;
    char endpoint[64];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* control, under mu */
    int stop;
    uint64_t cmd_seq, done_seq;
    zrelay_fault cmd_fault;
    uint64_t cmd_param;
    zrelay_stats stats;           /* under mu */
    /* the thread's own */
    relay_conn *conns;
    uint64_t toxic[ZRELAY_FAULT_COUNT]; /* LATENCY, BANDWIDTH, SLICE params; set[] says on */
    int toxic_on[ZRELAY_FAULT_COUNT];
};

static const char *const relay_names[ZRELAY_FAULT_COUNT] = {
    "clear", "latency", "bandwidth", "slice", "rst", "fin", "blackhole", "slow-close"};

const char *zrelay_fault_name(zrelay_fault f)
{
    return (unsigned)f < ZRELAY_FAULT_COUNT ? relay_names[f] : "?";
}

int zrelay_parse_fault(const char *name)
{
    for (int i = 0; i < ZRELAY_FAULT_COUNT; i++)
        if (strcmp(name, relay_names[i]) == 0)
            return i;
    if (strcmp(name, "slowclose") == 0 || strcmp(name, "slow_close") == 0)
        return ZRELAY_SLOW_CLOSE;
    return -1;
}

static void relay_stat_add(zrelay *r, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&r->mu);
    *field += n;
    pthread_mutex_unlock(&r->mu);
}

static void relay_nodelay(int fd)
{
    int one = 1;
    /* slicing needs each write on the wire as it is, not coalesced */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void relay_close_fd(int *fd, int rst)
{
    if (*fd < 0)
        return;
    if (rst) {
        struct linger lg = {1, 0};
        setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(*fd);
    *fd = -1;
}

static void relay_conn_free(zrelay *r, relay_conn *c, int rst)
{
    if (c->cut) {
        pthread_mutex_lock(&r->mu);
        r->stats.pending_cuts--; /* the connection ended before its cut */
        pthread_mutex_unlock(&r->mu);
    }
    relay_close_fd(&c->fd[0], rst);
    relay_close_fd(&c->fd[1], rst);
    relay_conn **pp = &r->conns;
    while (*pp != c)
        pp = &(*pp)->next;
    *pp = c->next;
    free(c);
    pthread_mutex_lock(&r->mu);
    r->stats.open--;
    pthread_mutex_unlock(&r->mu);
}

static void relay_accept(zrelay *r)
{
    for (;;) {
        int fd = accept4(r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a transient error: the next round tries again */
        relay_conn *c = calloc(1, sizeof *c);
        int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (!c || up < 0) {
            free(c);
            if (up >= 0)
                close(up);
            relay_close_fd(&fd, 1);
            continue;
        }
        relay_nodelay(fd);
        relay_nodelay(up);
        c->fd[0] = fd;
        c->fd[1] = up;
        for (int d = 0; d < 2; d++)
            relay_zmtp_init(&c->dir[d].zmtp);
        c->state = RC_CONNECTING;
        if (connect(up, (struct sockaddr *)&r->target, sizeof r->target) == 0)
            c->state = RC_NORMAL;
        else if (errno != EINPROGRESS)
            c->state = -1;
        c->next = r->conns;
        r->conns = c;
        pthread_mutex_lock(&r->mu);
        r->stats.accepted++;
        r->stats.open++;
        pthread_mutex_unlock(&r->mu);
        if (c->state < 0) {
            relay_stat_add(r, &r->stats.upstream_failed, 1);
            relay_conn_free(r, c, 1);
        }
    }
}

/* How many buffered bytes of d the toxics let through now; sets *wake to when more
 * will be (0: no timer). */
static size_t relay_allowed(zrelay *r, relay_dir *d, uint64_t now, uint64_t *wake)
{
    size_t n = d->len - d->off;
    *wake = 0;
    if (!n)
        return 0;
    if (d->chunk_count) {
        /* latency: only the chunks that are due */
        uint64_t due_end = d->written_total;
        unsigned i = 0;
        for (; i < d->chunk_count; i++) {
            relay_chunk *ch = &d->chunks[(d->chunk_head + i) % RELAY_CHUNKS];
            if (ch->due > now) {
                *wake = ch->due;
                break;
            }
            due_end = ch->end;
        }
        if (i == d->chunk_count)
            due_end = d->read_total; /* bytes read with no latency on are due at once */
        if (due_end - d->written_total < n)
            n = (size_t)(due_end - d->written_total);
    }
    if (n && r->toxic_on[ZRELAY_BANDWIDTH]) {
        double rate = (double)r->toxic[ZRELAY_BANDWIDTH];
        double cap = rate / 50 > 1 ? rate / 50 : 1; /* at most 20 ms of burst */
        if (!d->tokens_ns)
            d->tokens_ns = now;
        d->tokens += (double)(now - d->tokens_ns) * rate / 1e9;
        d->tokens_ns = now;
        if (d->tokens > cap)
            d->tokens = cap;
        if (d->tokens < 1) {
            uint64_t w = now + (uint64_t)((1 - d->tokens) / rate * 1e9) + 1;
            if (!*wake || w < *wake)
                *wake = w;
            return 0;
        }
        if ((double)n > d->tokens)
            n = (size_t)d->tokens;
    }
    if (n && r->toxic_on[ZRELAY_SLICE]) {
        if (d->next_slice_ns > now) {
            *wake = d->next_slice_ns;
            return 0;
        }
        n = 1;
    }
    return n;
}

/* Writes up to n bytes of d to fd; returns bytes written, or -1 on a write error. */
static ssize_t relay_write(zrelay *r, relay_dir *d, int fd, size_t n, int dirn, uint64_t now)
{
    ssize_t w = send(fd, d->buf + d->off, n, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    for (ssize_t i = 0; i < w; i++)
        relay_zmtp_byte(&d->zmtp, d->buf[d->off + (size_t)i]);
    d->off += (size_t)w;
    d->written_total += (uint64_t)w;
    if (d->off == d->len)
        d->off = d->len = 0;
    while (d->chunk_count && d->chunks[d->chunk_head].end <= d->written_total) {
        d->chunk_head = (d->chunk_head + 1) % RELAY_CHUNKS;
        d->chunk_count--;
    }
    if (r->toxic_on[ZRELAY_BANDWIDTH])
        d->tokens -= (double)w;
    if (r->toxic_on[ZRELAY_SLICE])
        d->next_slice_ns = now + r->toxic[ZRELAY_SLICE] * 1000u;
    relay_stat_add(r, dirn == 0 ? &r->stats.bytes_up : &r->stats.bytes_down, (uint64_t)w);
    return w;
}

/* Turns a connection into one that forwards nothing (blackhole, FIN, slow close). */
static void relay_discard(relay_conn *c, int kind, uint64_t now)
{
    c->state = RC_DISCARD;
    c->discard_kind = kind;
    c->cut = 0;
    for (int d = 0; d < 2; d++) {
        c->dir[d].off = c->dir[d].len = 0;
        c->dir[d].chunk_count = 0;
        c->in_eof[d] = c->dir[d].eof;
    }
    if (kind != ZRELAY_BLACKHOLE)
        c->give_up_at = now + RELAY_DRAIN_NS;
}

/* Carries out a pending RST or FIN on direction dn, which has bytes buffered: forwards
 * the fewest bytes (one at least) that leave the receiver inside a frame. Returns 1 when
 * the cut was made (c may be freed), 0 when it must wait for more bytes. */
static int relay_try_cut(zrelay *r, relay_conn *c, int dn, uint64_t now)
{
    relay_dir *d = &c->dir[dn];
    size_t n = d->len - d->off, k = 0;
    relay_zmtp z = d->zmtp;
    while (k < n) {
        relay_zmtp_byte(&z, d->buf[d->off + k]);
        k++;
        if (!relay_zmtp_boundary(&z))
            break;
    }
    size_t done = 0;
    while (done < k) {
        ssize_t w = relay_write(r, d, c->fd[1 - dn], k - done, dn, now);
        if (w <= 0)
            break; /* full or failed: cut with what got through */
        done += (size_t)w;
    }
    if (done == 0 || relay_zmtp_boundary(&d->zmtp))
        return 0; /* nothing forwarded yet, or a whole frame: wait for the next bytes */
    int kind = c->cut;
    c->cut = 0;
    pthread_mutex_lock(&r->mu);
    r->stats.cut[kind]++;
    r->stats.mid_frame++;
    r->stats.pending_cuts--;
    pthread_mutex_unlock(&r->mu);
    if (kind == ZRELAY_RST) {
        relay_conn_free(r, c, 1);
    } else {
        shutdown(c->fd[0], SHUT_WR);
        shutdown(c->fd[1], SHUT_WR);
        relay_discard(c, ZRELAY_FIN, now);
    }
    return 1;
}

/* One round for a normal connection. Returns 1 when c was freed. */
static int relay_service_normal(zrelay *r, relay_conn *c, uint64_t now, uint64_t *wake)
{
    for (int dn = 0; dn < 2; dn++) {
        relay_dir *d = &c->dir[dn];
        int src = c->fd[dn], dst = c->fd[1 - dn];
        /* read what fits */
        while (!d->eof && d->len < RELAY_BUF && d->chunk_count < RELAY_CHUNKS) {
            if (d->off && d->len == RELAY_BUF) {
                memmove(d->buf, d->buf + d->off, d->len - d->off);
                d->len -= d->off;
                d->off = 0;
            }
            ssize_t n = recv(src, d->buf + d->len, RELAY_BUF - d->len, 0);
            if (n == 0) {
                d->eof = 1;
                break;
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                relay_conn_free(r, c, 1); /* reset by one side: reset the other */
                return 1;
            }
            d->len += (size_t)n;
            d->read_total += (uint64_t)n;
            if (r->toxic_on[ZRELAY_LATENCY]) {
                relay_chunk *ch = &d->chunks[(d->chunk_head + d->chunk_count) % RELAY_CHUNKS];
                ch->end = d->read_total;
                ch->due = now + r->toxic[ZRELAY_LATENCY] * 1000000u;
                d->chunk_count++;
            }
            if (d->len == RELAY_BUF && d->off) {
                memmove(d->buf, d->buf + d->off, d->len - d->off);
                d->len -= d->off;
                d->off = 0;
            }
        }
        if (c->cut && d->len > d->off)
            if (relay_try_cut(r, c, dn, now))
                return 1;
        /* write what the toxics allow */
        for (;;) {
            uint64_t w_at;
            size_t n = relay_allowed(r, d, now, &w_at);
            if (w_at && (!*wake || w_at < *wake))
                *wake = w_at;
            if (!n)
                break;
            ssize_t w = relay_write(r, d, dst, n, dn, now);
            if (w < 0) {
                relay_conn_free(r, c, 1);
                return 1;
            }
            if (w == 0 || r->toxic_on[ZRELAY_SLICE])
                break; /* full; or one slice a round, so each is a segment of its own */
        }
        if (d->eof && !d->shut && d->off == d->len) {
            shutdown(dst, SHUT_WR);
            d->shut = 1;
        }
    }
    if (c->dir[0].shut && c->dir[1].shut) {
        relay_conn_free(r, c, 0);
        return 1;
    }
    return 0;
}

/* One round for a connection that forwards nothing. Returns 1 when c was freed. */
static int relay_service_discard(zrelay *r, relay_conn *c, uint64_t now, uint64_t *wake)
{
    unsigned char sink[4096];
    for (int side = 0; side < 2; side++) {
        while (c->fd[side] >= 0 && !c->in_eof[side]) {
            ssize_t n = recv(c->fd[side], sink, sizeof sink, 0);
            if (n > 0)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            c->in_eof[side] = 1; /* FIN or reset from that side */
        }
    }
    if (c->discard_kind == ZRELAY_SLOW_CLOSE && c->slow_close_at) {
        if (now >= c->slow_close_at) {
            shutdown(c->fd[1], SHUT_WR);
            c->slow_close_at = 0;
        } else if (!*wake || c->slow_close_at < *wake) {
            *wake = c->slow_close_at;
        }
    }
    if (c->in_eof[0] && c->in_eof[1]) {
        /* both ends have left: nothing unread, so close sends FIN, not RST */
        relay_conn_free(r, c, 0);
        return 1;
    }
    if (c->give_up_at) {
        if (now >= c->give_up_at) {
            relay_conn_free(r, c, 1);
            return 1;
        }
        if (!*wake || c->give_up_at < *wake)
            *wake = c->give_up_at;
    }
    return 0;
}

static void relay_apply(zrelay *r, zrelay_fault f, uint64_t param, uint64_t now)
{
    if (f == ZRELAY_CLEAR) {
        memset(r->toxic_on, 0, sizeof r->toxic_on);
        for (relay_conn *c = r->conns; c; c = c->next)
            for (int d = 0; d < 2; d++)
                c->dir[d].chunk_count = 0;
        return;
    }
    if (!ZRELAY_IS_CUT(f)) {
        r->toxic_on[f] = 1;
        r->toxic[f] = param;
        return;
    }
    relay_conn *next;
    for (relay_conn *c = r->conns; c; c = next) {
        next = c->next;
        if (c->state == RC_DISCARD || (c->cut && (f == ZRELAY_RST || f == ZRELAY_FIN)))
            continue; /* already being cut */
        if (f == ZRELAY_RST || f == ZRELAY_FIN) {
            if (c->cut)
                continue;
            c->cut = f;
            relay_stat_add(r, &r->stats.pending_cuts, 1);
            continue;
        }
        if (c->cut) {
            c->cut = 0;
            relay_stat_add(r, &r->stats.pending_cuts, (uint64_t)-1);
        }
        relay_stat_add(r, &r->stats.cut[f], 1);
        relay_discard(c, f, now);
        if (f == ZRELAY_SLOW_CLOSE) {
            shutdown(c->fd[0], SHUT_WR);
            c->slow_close_at = now + param * 1000000u;
            if (!c->slow_close_at)
                c->slow_close_at = 1;
            c->give_up_at = c->slow_close_at + RELAY_DRAIN_NS;
        }
    }
}

static void relay_control(zrelay *r, uint64_t now)
{
    char b[64];
    while (read(r->ctl[0], b, sizeof b) > 0)
        ;
    pthread_mutex_lock(&r->mu);
    if (r->cmd_seq != r->done_seq) {
        zrelay_fault f = r->cmd_fault;
        uint64_t p = r->cmd_param;
        pthread_mutex_unlock(&r->mu);
        relay_apply(r, f, p, now);
        pthread_mutex_lock(&r->mu);
        r->done_seq = r->cmd_seq;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
}

static void *relay_main(void *arg)
{
    zrelay *r = arg;
    struct pollfd *pfd = NULL;
    size_t pcap = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        uint64_t now = relay_now(), wake = 0;
        relay_control(r, now);
        relay_accept(r);
        relay_conn *next;
        for (relay_conn *c = r->conns; c; c = next) {
            next = c->next;
            if (c->state == RC_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof err;
                struct pollfd p = {c->fd[1], POLLOUT, 0};
                if (poll(&p, 1, 0) == 1) {
                    getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &el);
                    if (err) {
                        relay_stat_add(r, &r->stats.upstream_failed, 1);
                        relay_conn_free(r, c, 1);
                        continue;
                    }
                    c->state = RC_NORMAL;
                }
            }
            if (c->state == RC_NORMAL)
                relay_service_normal(r, c, now, &wake);
            else if (c->state == RC_DISCARD)
                relay_service_discard(r, c, now, &wake);
        }
        /* wait for any of it to move again */
        size_t n = 2;
        for (relay_conn *c = r->conns; c; c = c->next)
            n += 2;
        if (n > pcap) {
            struct pollfd *np = realloc(pfd, n * 2 * sizeof *np);
            if (!np)
                continue;
            pfd = np;
            pcap = n * 2;
        }
        size_t k = 0;
        pfd[k++] = (struct pollfd){r->ctl[0], POLLIN, 0};
        pfd[k++] = (struct pollfd){r->listen_fd, POLLIN, 0};
        for (relay_conn *c = r->conns; c; c = c->next) {
            for (int s = 0; s < 2; s++) {
                if (c->fd[s] < 0)
                    continue;
                short ev = 0;
                if (c->state == RC_CONNECTING) {
                    ev = s == 1 ? POLLOUT : 0;
                } else if (c->state == RC_DISCARD) {
                    ev = c->in_eof[s] ? 0 : POLLIN;
                } else {
                    relay_dir *in = &c->dir[s], *out = &c->dir[1 - s];
                    if (!in->eof && in->len < RELAY_BUF && in->chunk_count < RELAY_CHUNKS)
                        ev |= POLLIN;
                    uint64_t w;
                    if (relay_allowed(r, out, now, &w))
                        ev |= POLLOUT;
                }
                pfd[k++] = (struct pollfd){c->fd[s], ev, 0};
            }
        }
        int timeout = -1;
        if (wake) {
            uint64_t t = relay_now();
            timeout = wake > t ? (int)((wake - t + 999999) / 1000000u) : 0;
        }
        poll(pfd, (nfds_t)k, timeout);
    }
    free(pfd);
    while (r->conns)
        relay_conn_free(r, r->conns, 1);
    return NULL;
}

/* "tcp://1.2.3.4:5" or "1.2.3.4:5" -> sin. */
static int relay_addr(const char *s, struct sockaddr_in *sin)
{
    if (strncmp(s, "tcp://", 6) == 0)
        s += 6;
    const char *colon = strrchr(s, ':');
    if (!colon || colon - s >= 64)
        return -EINVAL;
    char host[64];
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (strcmp(host, "localhost") == 0 || strcmp(host, "*") == 0)
        strcpy(host, "127.0.0.1");
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return -EINVAL;
    return 0;
}

int zrelay_start(const char *target, const char *listen_at, zrelay **out)
{
    zrelay *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->listen_fd = r->ctl[0] = r->ctl[1] = -1;
    struct sockaddr_in la;
    int rc = relay_addr(target, &r->target);
    if (rc == 0)
        rc = relay_addr(listen_at ? listen_at : "127.0.0.1:0", &la);
    if (rc < 0)
        goto fail;
    r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t ll = sizeof la;
    if (r->listen_fd < 0 ||
        setsockopt(r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(r->listen_fd, (struct sockaddr *)&la, sizeof la) < 0 ||
        listen(r->listen_fd, 128) < 0 ||
        getsockname(r->listen_fd, (struct sockaddr *)&la, &ll) < 0 ||
        pipe2(r->ctl, O_NONBLOCK | O_CLOEXEC) < 0) {
        rc = -errno;
        goto fail;
    }
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &la.sin_addr, host, sizeof host);
    snprintf(r->endpoint, sizeof r->endpoint, "tcp://%s:%u", host, ntohs(la.sin_port));
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    rc = -pthread_create(&r->thread, NULL, relay_main, r);
    if (rc < 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        goto fail;
    }
    *out = r;
    return 0;
fail:
    if (r->listen_fd >= 0)
        close(r->listen_fd);
    if (r->ctl[0] >= 0) {
        close(r->ctl[0]);
        close(r->ctl[1]);
    }
    free(r);
    return rc;
}

const char *zrelay_endpoint(const zrelay *r) { return r->endpoint; }

static void relay_wake(zrelay *r)
{
    char b = 0;
    /* a full pipe already wakes the thread */
    if (write(r->ctl[1], &b, 1) < 0)
        return;
}

int zrelay_inject(zrelay *r, zrelay_fault f, uint64_t param)
{
    if ((unsigned)f >= ZRELAY_FAULT_COUNT)
        return -EINVAL;
    pthread_mutex_lock(&r->mu);
    /* one command at a time: wait for the previous one to be taken */
    while (r->cmd_seq != r->done_seq)
        pthread_cond_wait(&r->cv, &r->mu);
    r->cmd_fault = f;
    r->cmd_param = param;
    uint64_t seq = ++r->cmd_seq;
    r->stats.injected[f]++;
    pthread_mutex_unlock(&r->mu);
    relay_wake(r);
    pthread_mutex_lock(&r->mu);
    while (r->done_seq < seq)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

void zrelay_get_stats(zrelay *r, zrelay_stats *st)
{
    pthread_mutex_lock(&r->mu);
    *st = r->stats;
    pthread_mutex_unlock(&r->mu);
}

void zrelay_stop(zrelay *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_mutex_unlock(&r->mu);
    relay_wake(r);
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
    close(r->ctl[0]);
    close(r->ctl[1]);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}
