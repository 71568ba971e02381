/* stream.c - STREAM: raw peers over tcp:// and ipc://, as libzmq 4.3.4 has it.
 *
 * The session carries no ZMTP for a STREAM socket (wire/stream_session.c, its raw mode): each
 * chunk of bytes that arrives is one single-frame message in the pipe, and each
 * message the pattern writes goes out as the bytes it holds. Every peer has a routing
 * id, 5 bytes generated as libzmq does (a zero byte, then a 32-bit counter, big-endian,
 * starting at a random value), or the one CONNECT_ROUTING_ID gave the connect.
 *
 * Receiving hands over [id][data]; with STREAM_NOTIFY (on by default) a peer's arrival
 * and its departure are [id][""], which the session writes into the pipe.
 *
 * Sending takes [id][data]: an id no peer has is EHOSTUNREACH, a peer at its SNDHWM
 * EAGAIN (a blocking send waits), both on the id frame as in libzmq. The data frame
 * ends the message whatever its MORE flag says. An empty data frame closes that peer:
 * the pattern forgets it at once (a later send to its id is EHOSTUNREACH) and writes
 * the empty frame into the pipe as a mark, after which the session sends what was
 * queued before it and closes the connection. (libzmq drops what is still queued;
 * zaio lets an HTTP-style reply and its close go in that order.) An id frame without
 * MORE is dropped alone (libzmq also drops the frame after it). */
#include "sockets/patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct stream {
    zfq fq;
    zpat_idtab ids;
    uint32_t next_id;
    /* receiving: a message read ahead, handed out as two frames */
    zmsg pre_id, pre_data;
    int npre; /* 2: both to come, 1: the data to come, 0: none */
    /* sending */
    bool more_out;      /* the id frame has been given: the data follows */
    zpipe_end *cur_out; /* where it goes; NULL: dropped (the peer left meanwhile) */
} stream;

static int stream_init(zsock *s)
{
    stream *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    zfq_init(&t->fq);
    zmsg_init(&t->pre_id);
    zmsg_init(&t->pre_data);
    t->next_id = zpat_seed(t);
    s->pattern = t;
    return 0;
}

static void stream_fini(zsock *s)
{
    stream *t = s->pattern;
    zmsg_close(&t->pre_id);
    zmsg_close(&t->pre_data);
    zfq_fini(&t->fq);
    zpat_idtab_fini(&t->ids);
    free(t);
    s->pattern = NULL;
}

static void stream_attach(zsock *s, zpipe_end *p)
{
    stream *t = s->pattern;
    zpat_pipe *rec = zpat_pipe_new(s, p);
    if (!rec)
        return;
    zpipe_user *u = zpipe_user_of(p);
    if (u->routing_id_len > 0) {
        /* CONNECT_ROUTING_ID: one in use already is refused (libzmq asserts) */
        rec->id = u->routing_id;
        rec->id_len = u->routing_id_len;
        if (zpat_idtab_lookup(&t->ids, rec->id, rec->id_len)) {
            zpat_refuse(s, p);
            return;
        }
    } else {
        rec->id = rec->gen_id;
        rec->id_len = sizeof rec->gen_id;
        zpat_idtab_generate(&t->ids, &t->next_id, rec->gen_id);
    }
    if (zpat_idtab_insert(&t->ids, rec) < 0) {
        zpat_refuse(s, p);
        return;
    }
    if (zfq_attach(&t->fq, p) < 0) {
        zpat_idtab_remove(&t->ids, rec);
        zpat_refuse(s, p);
    }
}

static void stream_detach(zsock *s, zpipe_end *p)
{
    stream *t = s->pattern;
    zpat_pipe *rec = zpat_of(p);
    if (rec->at[ZPAT_FQ] >= 0) /* neither refused nor closed: its id is in the table */
        zpat_idtab_remove(&t->ids, rec);
    zfq_detach(&t->fq, p);
    if (t->cur_out == p)
        t->cur_out = NULL;
    zpat_pipe_free(p);
}

static void stream_readable(zsock *s, zpipe_end *p)
{
    stream *t = s->pattern;
    if (zpat_take_refused(s, p))
        return;
    if (zpat_of(p)->closed) {
        zpat_drain(s, p); /* what came after the user closed it goes nowhere */
        return;
    }
    zfq_activated(&t->fq, p);
}

static void stream_writable(zsock *s, zpipe_end *p)
{
    /* nothing to wake: a send looks its pipe up afresh, and a sender waiting for room
     * is woken by this very command */
    (void)s;
    (void)p;
}

/* Reads the next chunk and makes its id frame. 0 or -EAGAIN. */
static int stream_fetch(zsock *s, stream *t)
{
    zpipe_end *from;
    int rc = zfq_recv(&t->fq, s, &t->pre_data, &from);
    if (rc < 0)
        return rc;
    t->pre_data.flags &= (uint8_t)~ZMSG_MORE; /* the session writes single frames */
    zpat_pipe *rec = zpat_of(from);
    if (zmsg_init_copy(&t->pre_id, rec->id, rec->id_len) < 0) {
        zmsg_close(&t->pre_data); /* no memory to say whose it is: dropped */
        return -EAGAIN;
    }
    t->pre_id.flags = ZMSG_MORE;
    zpat_set_meta(&t->pre_id, from);
    t->npre = 2;
    return 0;
}

static int stream_recv(zsock *s, zmsg *m)
{
    stream *t = s->pattern;
    if (t->npre == 0) {
        int rc = stream_fetch(s, t);
        if (rc < 0)
            return rc;
    }
    zmsg_move(m, t->npre == 2 ? &t->pre_id : &t->pre_data);
    t->npre--;
    return 0;
}

/* The user closed p with an empty frame: the mark goes to the session, and p is
 * neither read nor routed to from now on. */
static void stream_close_peer(stream *t, zpipe_end *p, zmsg *m)
{
    zpat_pipe *rec = zpat_of(p);
    if (zpipe_write(p, m) == ZPIPE_OK)
        zpipe_flush(p);
    else
        zmsg_close(m); /* the session has gone already: nothing left to close */
    zpat_idtab_remove(&t->ids, rec);
    zfq_detach(&t->fq, p);
    rec->closed = true;
}

static int stream_send(zsock *s, zmsg *m)
{
    stream *t = s->pattern;
    if (!t->more_out) {
        if (!zmsg_more(m)) {
            zmsg_close(m); /* an id alone says nothing to send */
            return 0;
        }
        zpat_pipe *rec = zpat_idtab_lookup(&t->ids, zmsg_data(m), zmsg_size(m));
        if (!rec)
            return -EHOSTUNREACH;
        if (!zpipe_check_write(rec->end))
            return zpipe_peer_gone(rec->end) ? -EHOSTUNREACH : -EAGAIN;
        t->cur_out = rec->end;
        t->more_out = true;
        zmsg_close(m);
        return 0;
    }
    /* the data: the last frame of the message, whatever MORE says */
    zpipe_end *p = t->cur_out;
    t->more_out = false;
    t->cur_out = NULL;
    m->flags &= (uint8_t)~ZMSG_MORE;
    zpat_user_frame(m);
    if (!p) {
        zmsg_close(m); /* its peer left between the two frames */
        return 0;
    }
    if (zmsg_size(m) == 0) {
        stream_close_peer(t, p, m);
        return 0;
    }
    /* the id frame found room, and only this thread writes: FULL cannot happen, and
     * TERMINATED means the session is gone */
    if (zpipe_write(p, m) == ZPIPE_OK)
        zpipe_flush(p);
    else
        zmsg_close(m);
    return 0;
}

static bool stream_has_in(zsock *s)
{
    stream *t = s->pattern;
    return t->npre > 0 || stream_fetch(s, t) == 0;
}

static bool stream_has_out(zsock *s)
{
    (void)s;
    return true; /* as libzmq: whether a send goes depends on the peer it names */
}

const zpattern_ops zpattern_stream = {
    .type = ZAIO_STREAM,
    .init = stream_init,
    .fini = stream_fini,
    .attach = stream_attach,
    .detach = stream_detach,
    .readable = stream_readable,
    .writable = stream_writable,
    .send = stream_send,
    .recv = stream_recv,
    .has_in = stream_has_in,
    .has_out = stream_has_out,
    .setopt = zpat_setopt_common,
};
