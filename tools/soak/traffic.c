/* traffic.c - see traffic.h. Written for zmq.h only: this file is built against zaio
 * (zaio-soak) and against libzmq (zaio-soak-peer). */
#include "traffic.h"
#include "stream.h"

#include <zmq.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* An echo resends what it received, envelope and all; a ROUTER's has the routing id. */
#define TRAFFIC_MAX_FRAMES 4

/* Held between calls when the socket said EAGAIN: sending waits for POLLOUT, and
 * receiving waits too, so back-pressure reaches the sender instead of a queue here. */
typedef struct traffic_pending {
    zmq_msg_t frame[TRAFFIC_MAX_FRAMES];
    int n, next;
} traffic_pending;

static const struct {
    int server, peer;
    soak_flow flow;
    const char *name;
} traffic_pairs[] = {
    {ZMQ_ROUTER, ZMQ_DEALER, SOAK_FLOW_ECHO, "ROUTER"},
    {ZMQ_REP, ZMQ_DEALER, SOAK_FLOW_ECHO, "REP"},
    {ZMQ_DEALER, ZMQ_DEALER, SOAK_FLOW_ECHO, "DEALER"},
    {ZMQ_PAIR, ZMQ_PAIR, SOAK_FLOW_ECHO, "PAIR"},
    {ZMQ_REQ, ZMQ_REP, SOAK_FLOW_PEER_ECHOES, "REQ"},
    {ZMQ_PULL, ZMQ_PUSH, SOAK_FLOW_TO_SERVER, "PULL"},
    {ZMQ_SUB, ZMQ_XPUB, SOAK_FLOW_TO_SERVER, "SUB"},
    {ZMQ_XSUB, ZMQ_XPUB, SOAK_FLOW_TO_SERVER, "XSUB"},
    {ZMQ_PUSH, ZMQ_PULL, SOAK_FLOW_FROM_SERVER, "PUSH"},
    {ZMQ_PUB, ZMQ_SUB, SOAK_FLOW_FROM_SERVER, "PUB"},
    {ZMQ_XPUB, ZMQ_SUB, SOAK_FLOW_FROM_SERVER, "XPUB"},
    {ZMQ_STREAM, ZMQ_STREAM, SOAK_FLOW_ECHO, "STREAM"}, /* records framed by stream.c */
};
#define TRAFFIC_NPAIRS (sizeof traffic_pairs / sizeof traffic_pairs[0])

int soak_peer_type(int server_type, soak_flow *flow)
{
    for (size_t i = 0; i < TRAFFIC_NPAIRS; i++)
        if (traffic_pairs[i].server == server_type) {
            if (flow)
                *flow = traffic_pairs[i].flow;
            return traffic_pairs[i].peer;
        }
    return -1;
}

const char *soak_type_name(int type)
{
    for (size_t i = 0; i < TRAFFIC_NPAIRS; i++)
        if (traffic_pairs[i].server == type)
            return traffic_pairs[i].name;
    return "?";
}

int soak_parse_type(const char *name)
{
    for (size_t i = 0; i < TRAFFIC_NPAIRS; i++)
        if (strcasecmp(name, traffic_pairs[i].name) == 0)
            return traffic_pairs[i].server;
    return -1;
}

uint64_t soak_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int traffic_is_xpub_sender(const soak_traffic *t)
{
    return t->sends && t->type == ZMQ_XPUB;
}

int soak_traffic_init(soak_traffic *t, void *sock, int server_type, int is_server, size_t size,
                      double rate, uint64_t window)
{
    soak_flow flow;
    int peer_type = soak_peer_type(server_type, &flow);
    if (peer_type < 0 || !sock) {
        errno = EINVAL;
        return -1;
    }
    memset(t, 0, sizeof *t);
    t->sock = sock;
    t->type = is_server ? server_type : peer_type;
    t->size = size < 8 ? 8 : size;
    t->rate = rate;
    t->window = window ? window : 1;
    int server_sends = flow == SOAK_FLOW_PEER_ECHOES || flow == SOAK_FLOW_FROM_SERVER;
    int echo = flow == SOAK_FLOW_ECHO || flow == SOAK_FLOW_PEER_ECHOES;
    t->sends = is_server == server_sends;
    t->echoes = echo && !t->sends;
    t->checks = echo ? t->sends : !t->sends;
    if (t->type == ZMQ_REQ)
        t->window = 1; /* REQ's lockstep: one request out at a time */
    t->subscribed = !traffic_is_xpub_sender(t);
    t->may_skip = !is_server && server_type == ZMQ_PUB;
    t->rep_envelope = !is_server && server_type == ZMQ_REP;
    t->pending = calloc(1, sizeof(traffic_pending));
    if (!t->pending) {
        soak_traffic_fini(t);
        errno = ENOMEM;
        return -1;
    }
    if (server_type == ZMQ_STREAM)
        return soak_stream_init(t, is_server);
    /* Publishers drop at the HWM by design; the soak counts every message, so the
     * pub/sub pairs queue without bound and the rate (never 0 for them: zaio-soak
     * refuses that) keeps the queue short. */
    int zero = 0;
    if (t->type == ZMQ_PUB || t->type == ZMQ_XPUB) {
        if (zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof zero) < 0)
            return -1;
    }
    if (t->type == ZMQ_SUB || t->type == ZMQ_XSUB) {
        if (zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero) < 0)
            return -1;
    }
    if (t->type == ZMQ_SUB && zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0) < 0)
        return -1;
    if (t->type == ZMQ_XSUB) {
        /* an XSUB subscribes by sending; it keeps the subscription for later peers */
        if (zmq_send(sock, "\x01", 1, 0) < 0)
            return -1;
    }
    if (t->type == ZMQ_ROUTER) {
        /* an echo to a full pipe must wait (EAGAIN), not vanish as a ROUTER's would */
        int one = 1;
        if (zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) < 0)
            return -1;
    }
    return 0;
}

static void traffic_drop_pending(soak_traffic *t)
{
    traffic_pending *p = t->pending;
    for (int i = p->next; i < p->n; i++)
        zmq_msg_close(&p->frame[i]);
    p->n = p->next = 0;
}

void soak_traffic_fini(soak_traffic *t)
{
    soak_stream_fini(t);
    if (t->pending) {
        traffic_drop_pending(t);
        free(t->pending);
    }
    t->pending = NULL;
}

void soak_traffic_start(soak_traffic *t, uint64_t now_ns)
{
    t->start_ns = now_ns ? now_ns : 1;
}

static int traffic_has_pending(const soak_traffic *t)
{
    const traffic_pending *p = t->pending;
    return p->next < p->n;
}

/* Messages the rate allows now (0 or more), ignoring the window. */
static uint64_t traffic_rate_allows(const soak_traffic *t, uint64_t now_ns)
{
    if (t->rate <= 0)
        return UINT64_MAX;
    double due = (double)(now_ns - t->start_ns) / 1e9 * t->rate + 1.0;
    return due > (double)t->sent ? (uint64_t)(due - (double)t->sent) : 0;
}

/* Echo flows: the window is full (messages out, not back and not written off). */
static int traffic_window_full(const soak_traffic *t)
{
    uint64_t back = t->received + t->written_off;
    return t->checks && back < t->sent && t->sent - back >= t->window;
}

/* A full window that nothing has come back to for stall_ns: write off what is out. */
static void traffic_unstall(soak_traffic *t, uint64_t now_ns)
{
    if (t->stall_ns && traffic_window_full(t) && now_ns - t->last_rx_ns > t->stall_ns)
        t->written_off = t->sent - t->received;
}

static int traffic_may_send(const soak_traffic *t, uint64_t now_ns)
{
    if (!t->sends || t->stopping || !t->subscribed || !t->start_ns)
        return 0;
    if (traffic_window_full(t))
        return 0; /* echo flows: wait for what is out to come back */
    return traffic_rate_allows(t, now_ns) > 0;
}

static int traffic_may_recv(const soak_traffic *t);

short soak_traffic_events(const soak_traffic *t, uint64_t now_ns)
{
    if (t->stream)
        return soak_stream_events(t, now_ns);
    short ev = traffic_may_recv(t) ? ZMQ_POLLIN : 0;
    if (traffic_has_pending(t) || traffic_may_send(t, now_ns))
        ev |= ZMQ_POLLOUT;
    return ev;
}

static long traffic_timeout_ms(const soak_traffic *t, uint64_t now_ns);

long soak_traffic_timeout_ms(const soak_traffic *t, uint64_t now_ns)
{
    long wait = traffic_timeout_ms(t, now_ns);
    return t->stream ? soak_stream_timeout_ms(t, now_ns, wait) : wait;
}

static long traffic_timeout_ms(const soak_traffic *t, uint64_t now_ns)
{
    if (!t->sends || t->stopping || t->rate <= 0 || !t->start_ns || traffic_may_send(t, now_ns))
        return -1;
    if (traffic_window_full(t)) /* an echo wakes us, not the clock (or the stall's end) */
        return t->stall_ns ? (long)(t->stall_ns / 1000000u) + 1 : -1;
    double next_s = ((double)t->sent) / t->rate; /* when the next token is due */
    double wait_ms = next_s * 1e3 - (double)(now_ns - t->start_ns) / 1e6;
    return wait_ms < 1 ? 1 : (long)wait_ms + 1;
}

/* Sends the pending frames. 1: all out; 0: EAGAIN, try at POLLOUT; -1: error. */
static int traffic_flush(soak_traffic *t)
{
    traffic_pending *p = t->pending;
    while (p->next < p->n) {
        int more = p->next + 1 < p->n ? ZMQ_SNDMORE : 0;
        if (zmq_msg_send(&p->frame[p->next], t->sock, ZMQ_DONTWAIT | more) < 0) {
            if (zmq_errno() == EAGAIN)
                return 0;
            /* the echo is lost and retrying it would spin: dropped, counted once */
            t->last_errno = zmq_errno();
            t->errors++;
            traffic_drop_pending(t);
            /* EHOSTUNREACH: a ROUTER's peer is gone (mandatory), which the next
             * connection mends; the rest fail the run */
            return t->last_errno == EHOSTUNREACH ? 1 : -1;
        }
        p->next++;
    }
    p->n = p->next = 0;
    return 1;
}

static void traffic_fill(unsigned char *b, size_t size, uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(seq >> (56 - 8 * i));
    memset(b + 8, (unsigned char)seq, size - 8);
}

/* Queues the next numbered message (with the DEALER's empty delimiter when the server
 * is a REP) as pending; the caller flushes. */
static int traffic_make_next(soak_traffic *t)
{
    traffic_pending *p = t->pending;
    if (t->rep_envelope)
        zmq_msg_init(&p->frame[p->n++]);
    zmq_msg_t *m = &p->frame[p->n];
    if (zmq_msg_init_size(m, t->size) < 0)
        return -1;
    traffic_fill(zmq_msg_data(m), t->size, t->sent);
    p->n++;
    return 0;
}

static void traffic_check(soak_traffic *t, const unsigned char *b, size_t size)
{
    if (size != t->size) {
        t->corrupt++;
        return;
    }
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
        seq = seq << 8 | b[i];
    for (size_t i = 8; i < size; i++)
        if (b[i] != (unsigned char)seq) {
            t->corrupt++;
            return;
        }
    if (!t->first_seen && t->may_skip) {
        /* a PUB's messages before our subscription reached it are not sent to us */
        t->skipped = seq;
        t->expected = seq;
    }
    t->first_seen = 1;
    if (seq == t->expected) {
        t->expected++;
    } else if (seq > t->expected) {
        t->lost += seq - t->expected;
        t->gaps++;
        t->expected = seq + 1;
    } else {
        t->reordered++; /* a late one was counted lost too: either fails the soak */
    }
}

/* Receives one whole message into pending (so an echo can resend it). 1: got one;
 * 0: nothing there; -1: error. */
static int traffic_recv(soak_traffic *t)
{
    traffic_pending *p = t->pending;
    p->n = p->next = 0;
    int more = 1;
    while (more) {
        zmq_msg_t scratch, *m = p->n < TRAFFIC_MAX_FRAMES ? &p->frame[p->n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, t->sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(m);
            if (e == EAGAIN && p->n == 0)
                return 0;
            traffic_drop_pending(t);
            t->last_errno = e;
            t->errors++;
            return -1;
        }
        more = zmq_msg_more(m);
        if (m == &scratch) {
            zmq_msg_close(m); /* more frames than any soak pairing sends */
            t->corrupt++;
        } else {
            p->n++;
        }
    }
    return 1;
}

/* PUSH and PUB cannot receive at all; a REQ only once its request is out. */
static int traffic_may_recv(const soak_traffic *t)
{
    if (t->type == ZMQ_PUSH || t->type == ZMQ_PUB)
        return 0;
    return t->type != ZMQ_REQ || t->sent > t->received;
}

/* What one received message means here; it may become the pending echo. */
static void traffic_take(soak_traffic *t)
{
    traffic_pending *p = t->pending;
    zmq_msg_t *body = &p->frame[p->n - 1];
    if (traffic_is_xpub_sender(t)) {
        /* all an XPUB receives is (un)subscriptions: byte 1 then the topic */
        if (zmq_msg_size(body) >= 1 && ((unsigned char *)zmq_msg_data(body))[0] == 1)
            t->subscribed = 1;
        traffic_drop_pending(t);
        return;
    }
    if (t->echoes) {
        t->echoed++;
        return; /* resent as it came, envelope included */
    }
    t->received++;
    t->last_rx_ns = soak_now_ns();
    if (t->checks)
        traffic_check(t, zmq_msg_data(body), zmq_msg_size(body));
    traffic_drop_pending(t);
}

int soak_traffic_io(soak_traffic *t, uint64_t now_ns)
{
    if (t->stream)
        return soak_stream_io(t, now_ns);
    traffic_unstall(t, now_ns);
    /* a bounded batch, so the owner's loop keeps its sampling period */
    for (int round = 0; round < 512; round++) {
        int progress = 0;
        if (traffic_has_pending(t)) {
            int r = traffic_flush(t);
            if (r < 0)
                return -1;
            if (r == 0)
                return 0; /* full: POLLOUT will call us again */
            progress = 1;
        }
        int r = traffic_may_recv(t) ? traffic_recv(t) : 0;
        if (r < 0)
            return -1;
        if (r > 0) {
            traffic_take(t);
            progress = 1;
            if (traffic_has_pending(t))
                continue; /* flush the echo before anything else */
        }
        if (traffic_may_send(t, now_ns)) {
            if (traffic_make_next(t) < 0) {
                t->last_errno = zmq_errno();
                t->errors++;
                return -1;
            }
            t->sent++;
            progress = 1;
        }
        if (!progress)
            return 0;
    }
    return 0;
}

uint64_t soak_traffic_missing(const soak_traffic *t, uint64_t sender_sent)
{
    return t->lost + (sender_sent > t->expected ? sender_sent - t->expected : 0);
}

/* stream.c frames the same bodies in its own records, and sends by the same rule. */
void soak__traffic_fill(unsigned char *b, size_t size, uint64_t seq)
{
    traffic_fill(b, size, seq);
}

void soak__traffic_check(soak_traffic *t, const unsigned char *b, size_t size)
{
    traffic_check(t, b, size);
}

int soak__traffic_may_send(const soak_traffic *t, uint64_t now_ns)
{
    return traffic_may_send(t, now_ns);
}
