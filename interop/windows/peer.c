/* peer.c - one side of a socket pair in the interop matrix (run_matrix.sh), written for
 * zmq.h and built twice: against libzmq (native Linux) and against zaio for Windows
 * (include/compat/zmq.h, run under wine). Each run plays one role of PUSH/PULL,
 * REQ/REP, DEALER/ROUTER or PUB/SUB, binds when the endpoint has a '*' (and prints the
 * endpoint it got) or connects otherwise, and checks every message the other side
 * sends: all of them, in order, frame by frame.
 *
 * Message i is one frame for even i; for odd i four frames: a short one, a 300-byte
 * one (ZMTP's long frame form), an empty one and a last short one. REP, ROUTER and the
 * DEALER's peer echo what they got, so the requester checks the same message back.
 * PUB cannot know when SUB's subscription has arrived, so it publishes a numbered
 * stream (with a second topic SUB must never see) until its monitor says the SUB has
 * gone; SUB takes COUNT messages in a row from wherever it joined.
 *
 * With PEER_CURVE=1 in the environment both ends speak CURVE (RFC 26): the binding side
 * is the server, with a fixed key pair (libzmq's test-suite one: public, for tests
 * only) that the connecting side, the client, is given as the server's key; the client
 * makes a pair of its own. A build without CURVE fails at once.
 *
 * A run that passed ends with the line "peer ROLE: closed", after the context is gone.
 *
 * Usage: peer ROLE ENDPOINT [COUNT]   ROLE: push pull req rep dealer router pub sub */
#include <zmq.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_MS 20000  /* any one wait */
#define PUB_LIMIT 60000 /* iterations (1 ms apart at most) before PUB gives up on SUB */
#define MAX_FRAMES 4
#define LONG_FRAME 300

typedef struct frames {
    int n;
    size_t len[MAX_FRAMES];
    char data[MAX_FRAMES][LONG_FRAME];
} frames;

static const char *role;

static int fail(const char *what)
{
    fprintf(stderr, "peer %s: %s: %s\n", role, what, zmq_strerror(zmq_errno()));
    return 1;
}

/* Message i, with its first frame starting with topic. */
static void make(frames *f, const char *topic, int i)
{
    memset(f, 0, sizeof *f);
    f->len[0] = (size_t)snprintf(f->data[0], LONG_FRAME, "%s %d", topic, i);
    f->n = 1;
    if (i % 2 == 0)
        return;
    for (int k = 0; k < LONG_FRAME; k++)
        f->data[1][k] = (char)(i + k);
    f->len[1] = LONG_FRAME;
    f->len[2] = 0;
    f->len[3] = (size_t)snprintf(f->data[3], LONG_FRAME, "end of %d", i);
    f->n = 4;
}

static int send_frames(void *s, const frames *f, bool more_after)
{
    for (int k = 0; k < f->n; k++)
        if (zmq_send(s, f->data[k], f->len[k], k + 1 < f->n || more_after ? ZMQ_SNDMORE : 0) < 0)
            return fail("send");
    return 0;
}

/* Receives one whole message into f. */
static int recv_frames(void *s, frames *f)
{
    memset(f, 0, sizeof *f);
    for (;;) {
        if (f->n == MAX_FRAMES) {
            fprintf(stderr, "peer %s: more than %d frames\n", role, MAX_FRAMES);
            return 1;
        }
        int len = zmq_recv(s, f->data[f->n], LONG_FRAME, 0);
        if (len < 0)
            return fail("recv");
        if (len > LONG_FRAME) {
            fprintf(stderr, "peer %s: a %d-byte frame\n", role, len);
            return 1;
        }
        f->len[f->n++] = (size_t)len;
        int more;
        size_t ml = sizeof more;
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
        if (!more)
            return 0;
    }
}

static bool same(const frames *a, const frames *b)
{
    if (a->n != b->n)
        return false;
    for (int k = 0; k < a->n; k++)
        if (a->len[k] != b->len[k] || memcmp(a->data[k], b->data[k], a->len[k]) != 0)
            return false;
    return true;
}

/* Receives message i and checks it. */
static int expect(void *s, int i)
{
    frames want, got;
    make(&want, "msg", i);
    if (recv_frames(s, &got))
        return 1;
    if (!same(&want, &got)) {
        fprintf(stderr, "peer %s: message %d came as '%.*s' (%d frames)\n", role, i,
                (int)got.len[0], got.data[0], got.n);
        return 1;
    }
    return 0;
}

static int send_msg(void *s, int i)
{
    frames f;
    make(&f, "msg", i);
    return send_frames(s, &f, false);
}

/* ROUTER: each message comes after its sender's routing id; the echo goes back to it. */
static int router_echo(void *s, int i)
{
    char id[256];
    int idlen = zmq_recv(s, id, sizeof id, 0);
    if (idlen < 0 || idlen > (int)sizeof id)
        return fail("routing id");
    if (expect(s, i))
        return 1;
    if (zmq_send(s, id, (size_t)idlen, ZMQ_SNDMORE) < 0)
        return fail("send id");
    return send_msg(s, i);
}

/* PUB: publishes until the monitor (mon, started before the bind or connect: zaio's
 * listeners and connections report to the monitor that was there when they began)
 * reports the subscriber's disconnection. */
static int publish(void *s, void *mon)
{
    int rc = 1;
    bool reported = false;
    for (int i = 0; i < PUB_LIMIT && rc && !reported; i++) {
        frames other;
        make(&other, "other", i);
        if (send_frames(s, &other, false) || send_msg(s, i)) {
            reported = true;
            break;
        }
        /* waits for the event, and paces the stream (a millisecond a message) */
        zmq_pollitem_t it = {mon, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, 1);
        if (n < 0)
            reported = fail("poll"); /* said why: ends the loop */
        else if (n > 0) {
            printf("peer pub: %d messages published until the subscriber left\n", i + 1);
            rc = 0;
        }
    }
    if (rc && !reported)
        fprintf(stderr, "peer pub: the subscriber never left\n");
    /* what was published after the subscriber left may sit in a connecting socket's
     * pipe, waiting for a reconnection that never comes: it is nobody's, drop it */
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    return rc;
}

/* SUB: count consecutive messages from the first one that arrives. */
static int subscribe(void *s, int count)
{
    frames got;
    if (recv_frames(s, &got))
        return 1;
    int first;
    if (sscanf(got.data[0], "msg %d", &first) != 1) {
        fprintf(stderr, "peer sub: unexpected '%.*s'\n", (int)got.len[0], got.data[0]);
        return 1;
    }
    frames want;
    make(&want, "msg", first);
    if (!same(&want, &got)) {
        fprintf(stderr, "peer sub: message %d is wrong\n", first);
        return 1;
    }
    for (int i = first + 1; i < first + count; i++)
        if (expect(s, i))
            return 1;
    printf("peer sub: messages %d to %d\n", first, first + count - 1);
    return 0;
}

static int set_int(void *s, int opt, int v)
{
    return zmq_setsockopt(s, opt, &v, sizeof v) == 0 ? 0 : fail("setsockopt");
}

static int curve_setup(void *s, bool server)
{
    static const char server_public[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    static const char server_secret[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
    const char *on = getenv("PEER_CURVE");
    if (!on || strcmp(on, "1") != 0)
        return 0;
    if (!zmq_has("curve")) {
        fprintf(stderr, "peer %s: PEER_CURVE=1, but this build has no CURVE\n", role);
        return 1;
    }
    if (server)
        return set_int(s, ZMQ_CURVE_SERVER, 1) ||
               (zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, server_secret, 40) != 0 && fail("secret key"));
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0)
        return fail("zmq_curve_keypair");
    if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_public, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40) != 0)
        return fail("client keys");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int type;
    } roles[] = {{"push", ZMQ_PUSH}, {"pull", ZMQ_PULL},     {"req", ZMQ_REQ}, {"rep", ZMQ_REP},
                 {"dealer", ZMQ_DEALER}, {"router", ZMQ_ROUTER}, {"pub", ZMQ_PUB}, {"sub", ZMQ_SUB}};
    int type = -1;
    for (size_t k = 0; argc >= 3 && k < sizeof roles / sizeof roles[0]; k++)
        if (strcmp(argv[1], roles[k].name) == 0)
            type = roles[k].type;
    if (type < 0) {
        fprintf(stderr, "usage: peer push|pull|req|rep|dealer|router|pub|sub ENDPOINT [COUNT]\n");
        return 2;
    }
    role = argv[1];
    const char *ep = argv[2];
    int count = argc > 3 ? atoi(argv[3]) : 100;
    setvbuf(stdout, NULL, _IONBF, 0); /* the driver reads the endpoint through a pipe */

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, type);
    if (!s)
        return fail("socket");
    if (set_int(s, ZMQ_RCVTIMEO, LIMIT_MS) || set_int(s, ZMQ_SNDTIMEO, LIMIT_MS) ||
        set_int(s, ZMQ_LINGER, LIMIT_MS))
        return 1;
    /* PUB/SUB: no drop at the high-water mark, so the stream has no gap */
    if ((type == ZMQ_PUB || type == ZMQ_SUB) &&
        (set_int(s, ZMQ_SNDHWM, 0) || set_int(s, ZMQ_RCVHWM, 0)))
        return 1;
    if (type == ZMQ_SUB && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "msg ", 4) != 0)
        return fail("subscribe");
    void *mon = NULL;
    if (type == ZMQ_PUB) {
        if (zmq_socket_monitor(s, "inproc://peer-pub-monitor", ZMQ_EVENT_DISCONNECTED) != 0 ||
            !(mon = zmq_socket(ctx, ZMQ_PAIR)) || zmq_connect(mon, "inproc://peer-pub-monitor") != 0)
            return fail("monitor");
    }
    if (curve_setup(s, strchr(ep, '*') != NULL))
        return 1;
    if (strchr(ep, '*')) {
        char got[256];
        size_t len = sizeof got;
        if (zmq_bind(s, ep) != 0 || zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, got, &len) != 0)
            return fail("bind");
        printf("%s\n", got);
    } else if (zmq_connect(s, ep) != 0) {
        return fail("connect");
    }

    int rc = 0;
    switch (type) {
    case ZMQ_PUSH:
        for (int i = 0; i < count && !rc; i++)
            rc = send_msg(s, i);
        break;
    case ZMQ_PULL:
        for (int i = 0; i < count && !rc; i++)
            rc = expect(s, i);
        break;
    case ZMQ_REQ:
        for (int i = 0; i < count && !rc; i++)
            rc = send_msg(s, i) || expect(s, i);
        break;
    case ZMQ_REP:
        for (int i = 0; i < count && !rc; i++)
            rc = expect(s, i) || send_msg(s, i);
        break;
    case ZMQ_DEALER: /* all out, then all back: the ROUTER holds the echoes in order */
        for (int i = 0; i < count && !rc; i++)
            rc = send_msg(s, i);
        for (int i = 0; i < count && !rc; i++)
            rc = expect(s, i);
        break;
    case ZMQ_ROUTER:
        for (int i = 0; i < count && !rc; i++)
            rc = router_echo(s, i);
        break;
    case ZMQ_PUB:
        rc = publish(s, mon);
        break;
    case ZMQ_SUB:
        rc = subscribe(s, count);
        break;
    }
    if (!rc && type != ZMQ_PUB && type != ZMQ_SUB)
        printf("peer %s: %d messages\n", role, count);
    zmq_close(s);
    if (mon)
        zmq_close(mon);
    if (zmq_ctx_term(ctx) != 0 && !rc)
        rc = fail("zmq_ctx_term");
    /* the driver passes a run on this line, not on the exit code alone: under wine a
     * process that crashes (in zmq_ctx_term, say) may still exit 0 */
    if (!rc)
        printf("peer %s: closed\n", role);
    return rc;
}
