/* wire.c - see wire.h. Blocking sockets with a receive timeout, so a peer that stops
 * talking fails the test instead of hanging it. */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#define COPY_MAX 1024

static void set_timeout(int fd)
{
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int wire_listen(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    set_timeout(fd); /* accept() honours SO_RCVTIMEO */
    *port = ntohs(a.sin_port);
    return fd;
}

int wire_accept(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd >= 0)
        set_timeout(fd);
    return fd;
}

int wire_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = loopback(port);
    if (fd < 0)
        return -1;
    set_timeout(fd);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void wire_init(wire *w, int fd)
{
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->minor = -1;
    zmtp_decoder_init(&w->dec, w->scratch, sizeof w->scratch, 0);
    zmtp_encoder_init(&w->enc, w->out, sizeof w->out, COPY_MAX);
}

void wire_close(wire *w)
{
    zmtp_handshake_free(w->hs);
    w->hs = NULL;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return WIRE_E_IO;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

/* More input into w->in; the unread bytes move to the front. */
static int fill(wire *w)
{
    if (w->in_off) {
        memmove(w->in, w->in + w->in_off, w->in_len - w->in_off);
        w->in_len -= w->in_off;
        w->in_off = 0;
    }
    for (;;) {
        ssize_t r = recv(w->fd, w->in + w->in_len, sizeof w->in - w->in_len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return WIRE_E_EOF;
        if (r < 0)
            return WIRE_E_IO;
        w->in_len += (size_t)r;
        return 0;
    }
}

static int flush_handshake(wire *w)
{
    const uint8_t *p;
    size_t n;
    while ((n = zmtp_handshake_output(w->hs, &p)) > 0) {
        uint8_t g[ZMTP_GREETING_SIZE];
        if (w->claim_3_0 && w->greeting_sent < ZMTP_GREETING_SIZE) {
            /* the greeting goes out first, whole: patch its minor version */
            size_t k = n < ZMTP_GREETING_SIZE - w->greeting_sent ? n : ZMTP_GREETING_SIZE - w->greeting_sent;
            memcpy(g, p, k);
            if (w->greeting_sent <= 11 && w->greeting_sent + k > 11)
                g[11 - w->greeting_sent] = 0;
            p = g;
            n = k;
            w->greeting_sent += k;
        }
        if (send_all(w->fd, p, n) < 0)
            return WIRE_E_IO;
        zmtp_handshake_sent(w->hs, n);
    }
    return 0;
}

int wire_handshake(wire *w, const zmtp_handshake_config *cfg)
{
    int err = 0, rc;
    if (!(w->hs = zmtp_handshake_new(cfg, &err)))
        return err;
    for (;;) {
        if ((rc = flush_handshake(w)) < 0)
            return rc;
        int st = zmtp_handshake_status(w->hs);
        if (st == ZMTP_HS_AUTH && w->verdict) {
            const uint8_t *u, *p;
            size_t ul, pl;
            zmtp_handshake_credentials(w->hs, &u, &ul, &p, &pl);
            if ((rc = zmtp_handshake_auth(w->hs, w->verdict(u, ul, p, pl))) < 0) {
                flush_handshake(w); /* the ERROR */
                return rc;
            }
            continue;
        }
        if (st != ZMTP_HS_RUNNING)
            return st;
        if (w->in_off == w->in_len && (rc = fill(w)) < 0)
            return rc;
        ptrdiff_t r = zmtp_handshake_feed(w->hs, w->in + w->in_off, w->in_len - w->in_off);
        if (r < 0) {
            flush_handshake(w); /* an ERROR, maybe */
            return (int)r;
        }
        w->in_off += (size_t)r;
        if (zmtp_handshake_status(w->hs) == ZMTP_HS_DONE)
            w->minor = w->claim_3_0 ? 0 : zmtp_handshake_minor(w->hs);
    }
}

static int flush(wire *w)
{
    int rc = send_all(w->fd, w->out, w->enc.len);
    zmtp_encoder_reset(&w->enc);
    return rc;
}

int wire_send(wire *w, const wire_part *parts, int n)
{
    for (int i = 0; i < n; i++) {
        unsigned flags = i + 1 < n ? ZMTP_FLAG_MORE : 0;
        int rc = zmtp_encoder_frame(&w->enc, parts[i].data, parts[i].len, flags);
        if (rc == ZMTP_E_NOSPACE) {
            if (flush(w) < 0)
                return WIRE_E_IO;
            rc = zmtp_encoder_frame(&w->enc, parts[i].data, parts[i].len, flags);
        }
        if (rc < 0)
            return rc;
        if (rc == ZMTP_ENC_SEPARATE) {
            /* the header ends the buffer; the body follows from where it lives */
            if (flush(w) < 0 || send_all(w->fd, parts[i].data, parts[i].len) < 0)
                return WIRE_E_IO;
        }
    }
    return flush(w);
}

int wire_send_str(wire *w, int n, ...)
{
    wire_part p[WIRE_MAX_PARTS];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        p[i].data = (uint8_t *)va_arg(ap, const char *);
        p[i].len = strlen((const char *)p[i].data);
    }
    va_end(ap);
    return wire_send(w, p, n);
}

static int sent_command(wire *w, int rc)
{
    return rc < 0 ? rc : flush(w);
}

int wire_send_ping(wire *w, uint16_t ttl, const void *ctx, size_t len)
{
    return sent_command(w, zmtp_encoder_ping(&w->enc, ttl, ctx, len));
}

int wire_send_pong(wire *w, const void *ctx, size_t len)
{
    return sent_command(w, zmtp_encoder_pong(&w->enc, ctx, len));
}

int wire_send_subscription(wire *w, int minor, int subscribe, const void *topic, size_t len)
{
    return sent_command(w, zmtp_encoder_subscription(&w->enc, minor, subscribe, topic, len));
}

/* A large body: what the input buffer already holds is copied, the rest is received
 * straight into the message, and the decoder is told it was skipped. */
static int read_large_body(wire *w, uint8_t *dst, uint64_t size)
{
    size_t have = w->in_len - w->in_off;
    if (have > size)
        have = (size_t)size;
    memcpy(dst, w->in + w->in_off, have);
    w->in_off += have;
    zmtp_decoder_body_skip(&w->dec, have);
    while (zmtp_decoder_body_remaining(&w->dec) > 0) {
        size_t left = (size_t)zmtp_decoder_body_remaining(&w->dec);
        ssize_t r = recv(w->fd, dst + (size - left), left, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? WIRE_E_EOF : WIRE_E_IO;
        w->zero_copy_bytes += (size_t)r;
        zmtp_decoder_body_skip(&w->dec, (uint64_t)r);
    }
    return 0;
}

static int add_part(wire_msg *m, const uint8_t *data, size_t len, uint8_t **dst)
{
    if (m->n == WIRE_MAX_PARTS)
        return ZMTP_E_INVAL;
    wire_part *p = &m->part[m->n++];
    p->data = malloc(len ? len : 1);
    p->len = len;
    if (!p->data)
        return ZMTP_E_NOMEM;
    if (data && len)
        memcpy(p->data, data, len);
    if (dst)
        *dst = p->data;
    return 0;
}

int wire_next(wire *w, wire_item *it)
{
    memset(it, 0, sizeof *it);
    for (;;) {
        if (w->in_off == w->in_len) {
            int rc = fill(w);
            if (rc < 0)
                return rc;
        }
        zmtp_event ev;
        ptrdiff_t r = zmtp_decoder_feed(&w->dec, w->in + w->in_off, w->in_len - w->in_off, &ev);
        if (r < 0)
            return (int)r;
        w->in_off += (size_t)r;
        int rc = 0;
        uint8_t *dst;
        switch (ev.type) {
        case ZMTP_EV_NONE:
        case ZMTP_EV_BODY: /* not reached: bodies are taken whole at the header */
            continue;
        case ZMTP_EV_COMMAND:
            if (it->msg.n)
                return ZMTP_E_INVAL; /* a command inside a message */
            it->is_command = 1;
            it->cmd = ev.cmd.type;
            it->ttl = ev.cmd.ttl;
            it->flags = ev.flags;
            it->size = ev.size;
            {
                const uint8_t *d = ev.cmd.type == ZMTP_CMD_PING ? ev.cmd.context : ev.cmd.data;
                size_t n = ev.cmd.type == ZMTP_CMD_PING ? ev.cmd.context_len : ev.cmd.data_len;
                if (n > sizeof it->data)
                    return ZMTP_E_INVAL;
                memcpy(it->data, d, n);
                it->data_len = n;
            }
            return 0;
        case ZMTP_EV_FRAME:
            rc = add_part(&it->msg, ev.data, ev.len, NULL);
            break;
        case ZMTP_EV_HEADER:
            if ((rc = add_part(&it->msg, NULL, (size_t)ev.size, &dst)) == 0)
                rc = read_large_body(w, dst, ev.size);
            break;
        }
        if (rc < 0) {
            wire_msg_free(&it->msg);
            return rc;
        }
        if (!(ev.flags & ZMTP_FLAG_MORE))
            return 0;
    }
}

int wire_recv_msg(wire *w, wire_msg *m)
{
    wire_item it;
    for (;;) {
        int rc = wire_next(w, &it);
        if (rc < 0)
            return rc;
        if (!it.is_command) {
            *m = it.msg;
            return 0;
        }
        if (it.cmd != ZMTP_CMD_PING)
            return ZMTP_E_UNEXPECTED_COMMAND;
        if ((rc = wire_send_pong(w, it.data, it.data_len)) < 0)
            return rc;
    }
}

void wire_msg_free(wire_msg *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->part[i].data);
    m->n = 0;
}

int wire_part_is(const wire_msg *m, int i, const char *s)
{
    return i < m->n && m->part[i].len == strlen(s) && memcmp(m->part[i].data, s, m->part[i].len) == 0;
}
