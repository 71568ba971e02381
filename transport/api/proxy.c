/* proxy.c - zaio_proxy and zaio_proxy_steerable: whole messages from each side to the
 * other, copies to capture, until the context ends or, when steered, until a control
 * socket says TERMINATE (see zaio.h for the commands). */
#include "core/ctx.h"
#include "core/socket.h"

#include <errno.h>
#include <string.h>

#include "core/error.h"

/* One side's traffic, for STATISTICS: whole messages and their bytes. */
typedef struct zproxy_stats {
    uint64_t msgs_in, bytes_in, msgs_out, bytes_out;
} zproxy_stats;

/* A copy of m for capture, if there is one. A capture that cannot take it misses it:
 * the traffic it watches goes on. */
static void to_capture(zsock *capture, const zmsg *m, bool more)
{
    if (!capture)
        return;
    zmsg c;
    zmsg_init(&c);
    zmsg_copy(&c, m);
    if (zsock_send(capture, &c, more ? ZAIO_SNDMORE : 0) < 0)
        zmsg_close(&c);
}

/* Moves one whole message from `from` to `to`. 0, or -errno. */
static int forward(zsock *from, zsock *to, zsock *capture, zproxy_stats *from_st,
                   zproxy_stats *to_st)
{
    uint64_t bytes = 0;
    for (;;) {
        zmsg m;
        zmsg_init(&m);
        int rc = zsock_recv(from, &m, ZAIO_DONTWAIT);
        if (rc == -EAGAIN)
            return 0;
        if (rc < 0)
            return rc;
        bool more = zmsg_more(&m);
        bytes += zmsg_size(&m);
        to_capture(capture, &m, more);
        rc = zsock_send(to, &m, more ? ZAIO_SNDMORE : 0);
        if (rc < 0) {
            zmsg_close(&m);
            return rc;
        }
        if (!more)
            break;
    }
    from_st->msgs_in++;
    from_st->bytes_in += bytes;
    to_st->msgs_out++;
    to_st->bytes_out += bytes;
    return 0;
}

typedef enum { ZPROXY_ACTIVE, ZPROXY_PAUSED, ZPROXY_TERMINATED } zproxy_state;

/* frontend's four counters, then backend's, one uint64 frame each. 0 or -errno. */
static int reply_stats(zsock *control, const zproxy_stats st[2])
{
    const uint64_t v[8] = {st[0].msgs_in, st[0].bytes_in, st[0].msgs_out, st[0].bytes_out,
                           st[1].msgs_in, st[1].bytes_in, st[1].msgs_out, st[1].bytes_out};
    for (int i = 0; i < 8; i++) {
        zmsg m;
        int rc = zmsg_init_copy(&m, &v[i], sizeof v[i]);
        if (rc == 0)
            rc = zsock_send(control, &m, i < 7 ? ZAIO_SNDMORE : 0);
        if (rc < 0) {
            zmsg_close(&m);
            return rc;
        }
    }
    return 0;
}

static bool command_is(const zmsg *m, const char *name)
{
    size_t n = strlen(name);
    return zmsg_size(m) == n && memcmp(zmsg_cdata(m), name, n) == 0;
}

/* Takes one command off control, if one is there. 0 or -errno. */
static int steer(zsock *control, zsock *capture, zproxy_state *state, const zproxy_stats st[2])
{
    zmsg m;
    zmsg_init(&m);
    int rc = zsock_recv(control, &m, ZAIO_DONTWAIT);
    if (rc == -EAGAIN)
        return 0;
    if (rc < 0)
        return rc;
    if (zmsg_more(&m)) {
        /* not a command: drop the whole message, so its frames are not read as ones */
        do {
            zmsg_close(&m);
            rc = zsock_recv(control, &m, ZAIO_DONTWAIT);
        } while (rc == 0 && zmsg_more(&m));
        zmsg_close(&m);
        if (rc < 0 && rc != -EAGAIN)
            return rc;
        zmsg_init(&m); /* answered below like an unknown command */
    } else {
        to_capture(capture, &m, false);
    }
    bool stats = command_is(&m, "STATISTICS");
    if (command_is(&m, "PAUSE"))
        *state = ZPROXY_PAUSED;
    else if (command_is(&m, "RESUME"))
        *state = ZPROXY_ACTIVE;
    else if (command_is(&m, "TERMINATE"))
        *state = ZPROXY_TERMINATED;
    zmsg_close(&m);
    if (stats)
        return reply_stats(control, st);
    if (control->o.type == ZAIO_REP) {
        /* a REP must answer before it can take the next command */
        zmsg_init(&m);
        rc = zsock_send(control, &m, 0);
        if (rc < 0)
            zmsg_close(&m);
        return rc;
    }
    return 0;
}

static bool bad_socket(const zsock *s, bool optional)
{
    return s ? s->tag != ZSOCK_TAG : !optional;
}

int zaio_proxy_steerable(void *frontend, void *backend, void *capture, void *control)
{
    zsock *f = frontend, *b = backend, *c = capture, *ctl = control;
    if (bad_socket(f, false) || bad_socket(b, false) || bad_socket(c, true) ||
        bad_socket(ctl, true))
        return zaio__set_errno(-ENOTSOCK);
    zproxy_stats st[2] = {{0}}; /* frontend, backend */
    zproxy_state state = ZPROXY_ACTIVE;
    for (;;) {
        zaio_pollitem_t items[3];
        int n = 0, ictl = -1;
        if (state == ZPROXY_ACTIVE) {
            items[n++] = (zaio_pollitem_t){f, 0, ZAIO_POLLIN, 0};
            if (b != f)
                items[n++] = (zaio_pollitem_t){b, 0, ZAIO_POLLIN, 0};
        }
        if (ctl) {
            ictl = n;
            items[n++] = (zaio_pollitem_t){ctl, 0, ZAIO_POLLIN, 0};
        }
        if (zaio_poll(items, n, -1) < 0)
            return -1; /* errno set: ETERM when the context ends */
        int rc = 0;
        /* the command first: a PAUSE stops what this round would have forwarded */
        if (ictl >= 0 && (items[ictl].revents & ZAIO_POLLIN)) {
            rc = steer(ctl, c, &state, st);
            if (rc < 0)
                return zaio__set_errno(rc);
            if (state == ZPROXY_TERMINATED)
                return 0;
        }
        if (state != ZPROXY_ACTIVE || ictl == 0)
            continue; /* paused, or it was paused when this round's poll began */
        if (items[0].revents & ZAIO_POLLIN)
            rc = forward(f, b, c, &st[0], &st[1]);
        if (rc == 0 && b != f && (items[1].revents & ZAIO_POLLIN))
            rc = forward(b, f, c, &st[1], &st[0]);
        if (rc < 0)
            return zaio__set_errno(rc);
    }
}

int zaio_proxy(void *frontend, void *backend, void *capture)
{
    return zaio_proxy_steerable(frontend, backend, capture, NULL);
}
