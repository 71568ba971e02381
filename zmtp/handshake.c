/* handshake.c - one connection's handshake: greeting, then NULL (READY both ways),
 * PLAIN (HELLO, WELCOME, INITIATE, READY) or CURVE (the same four commands, each a box
 * that curve.c makes and opens), then done or failed.
 *
 * Authentication is the caller's: where the peer must be let in (a PLAIN or CURVE
 * server, or NULL with a ZAP domain) the handshake stops at ZMTP_HS_AUTH with the
 * credentials in hand, and the caller asks its ZAP handler, which may take any time,
 * and gives the verdict. No callback: the codec never waits on anything but bytes. A
 * CURVE server stops there after INITIATE, once every box opened, so the handler hears
 * of a client key only when its holder has proved it holds the secret one.
 *
 * The greeting goes out in stages, as libzmq 4.3.4 sends it, so that an older peer can
 * be answered in its own revision: the 10-byte signature at creation, before a byte of
 * the peer's arrives (waiting for the peer first deadlocks against libzmq); our major
 * version once the peer's signature shows it is versioned; then, from the peer's
 * revision byte, the rest of a 3.x greeting, or for ZMTP 2.0 (revision 1) and 1.0
 * (revision 0) our socket type and identity frame. A peer whose first bytes are a 1.0
 * identity frame (no signature) has read our signature as the header of ours (its
 * padding is our identity's length + 1), so its body follows. An old peer's handshake
 * ends with its identity frame; it has no mechanism, so a socket with one (or with a
 * ZAP domain) refuses it, as libzmq does.
 *
 * Everything after the greeting (READY, HELLO) waits for the peer's greeting, so
 * credentials never go to a peer that turned out to speak another mechanism. The
 * output buffer is sized at creation for everything the handshake can ever send, so
 * queueing never fails halfway. */
#include "zmtp.h"
#include "internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum hs_state {
    HS_SIGNATURE,     /* the peer's first 11 bytes: signature and revision */
    HS_OLD_TYPE,      /* ZMTP 1.0/2.0: the socket type byte */
    HS_IDENTITY,      /* ZMTP 1.0/2.0: the identity frame */
    HS_GREETING,      /* 3.x: the rest of the 64 bytes */
    HS_WAIT_READY,    /* NULL, or a PLAIN/CURVE client after INITIATE */
    HS_WAIT_WELCOME,  /* PLAIN/CURVE client after HELLO */
    HS_WAIT_HELLO,    /* PLAIN/CURVE server */
    HS_WAIT_VERDICT,  /* until zmtp_handshake_auth: PLAIN after HELLO, CURVE after INITIATE */
    HS_WAIT_INITIATE, /* PLAIN/CURVE server after WELCOME */
    HS_END
} hs_state;

struct zmtp_handshake {
    hs_state state;
    int status;
    int minor;
    int socket_type;
    zmtp_mechanism mechanism;
    int as_server;
    bool auth_wanted;       /* NULL: our READY waits for the verdict */
    bool auth_pending;      /* the verdict is awaited now (ZMTP_HS_AUTH) */
    bool hold_ready;        /* NULL: our READY waits for the peer's (or a release) */
    bool ready_held;        /* it is waiting now */
    uint8_t user[255], pass[255]; /* ours (client) or the peer's HELLO (server) */
    size_t user_len, pass_len;

    uint8_t sig[11];        /* the peer's signature and revision */
    size_t sig_have;
    int framing;            /* ZMTP_FRAMING_*, from the peer's revision; 0 before */
    bool unversioned;       /* a ZMTP 1.0 peer without signature */
    uint8_t our_id[255];    /* our identity frame's body, for an old peer */
    size_t our_id_len;

    zmtp_greeting_decoder greeting;
    zmtp_decoder dec;
    uint8_t *scratch;

    uint8_t *md;            /* our metadata, Socket-Type first */
    size_t md_len;
    uint8_t *out;
    size_t out_sent;
    zmtp_encoder enc;

    int peer_type;
    uint8_t *peer_md;
    size_t peer_md_len;
    uint8_t reason[255];
    size_t reason_len;

    zmtp__curve *curve;     /* CURVE: its keys and steps */
};

static const char *mechanism_name(zmtp_mechanism m)
{
    return m == ZMTP_MECH_PLAIN ? "PLAIN" : m == ZMTP_MECH_CURVE ? "CURVE" : "NULL";
}

static int build_metadata(zmtp_handshake *h, const zmtp_handshake_config *cfg)
{
    const char *type = zmtp_socket_type_name(cfg->socket_type);
    if (!type || (cfg->nprops && !cfg->props))
        return ZMTP_E_INVAL;
    zmtp_property st = {"Socket-Type", 11, type, strlen(type)};
    int64_t total = zmtp_metadata_size(&st, 1);
    for (size_t i = 0; i < cfg->nprops; i++) {
        const zmtp_property *p = &cfg->props[i];
        /* Socket-Type comes from socket_type only, so the two cannot disagree; peers
         * read names in any case, so any case is a second Socket-Type. */
        if (p->name && p->name_len == 11 && strncasecmp(p->name, "Socket-Type", 11) == 0)
            return ZMTP_E_INVAL;
    }
    int64_t rest = zmtp_metadata_size(cfg->props, cfg->nprops);
    if (rest < 0)
        return (int)rest;
    total += rest;
    h->md = malloc((size_t)total);
    if (!h->md)
        return ZMTP_E_NOMEM;
    int64_t a = zmtp_metadata_encode(h->md, (size_t)total, &st, 1);
    int64_t b = zmtp_metadata_encode(h->md + a, (size_t)(total - a), cfg->props, cfg->nprops);
    if (a < 0 || b < 0)
        return ZMTP_E_INVAL;
    h->md_len = (size_t)total;
    return ZMTP_OK;
}

static int copy_credential(uint8_t *dst, size_t *dst_len, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n > 255)
        return ZMTP_E_INVAL;
    if (n)
        memcpy(dst, src, n);
    *dst_len = n;
    return ZMTP_OK;
}

zmtp_handshake *zmtp_handshake_new(const zmtp_handshake_config *cfg, int *err)
{
    int rc = ZMTP_E_INVAL;
    zmtp_handshake *h = NULL;
    if (!cfg || (cfg->mechanism != ZMTP_MECH_NULL && cfg->mechanism != ZMTP_MECH_PLAIN &&
                 cfg->mechanism != ZMTP_MECH_CURVE))
        goto out;
    rc = ZMTP_E_NOMEM;
    if (!(h = calloc(1, sizeof *h)))
        goto out;
    h->socket_type = cfg->socket_type;
    h->mechanism = cfg->mechanism;
    h->as_server = cfg->mechanism != ZMTP_MECH_NULL && cfg->as_server;
    h->auth_wanted = cfg->mechanism == ZMTP_MECH_NULL && cfg->auth;
    h->hold_ready = cfg->mechanism == ZMTP_MECH_NULL && !cfg->auth && cfg->hold_ready;
    h->minor = -1;
    h->peer_type = -1;
    rc = ZMTP_E_INVAL;
    if (cfg->routing_id_len > sizeof h->our_id || (cfg->routing_id_len && !cfg->routing_id))
        goto out;
    if (cfg->routing_id_len)
        memcpy(h->our_id, cfg->routing_id, cfg->routing_id_len);
    h->our_id_len = cfg->routing_id_len;
    if ((rc = build_metadata(h, cfg)) < 0)
        goto out;
    if (h->mechanism == ZMTP_MECH_PLAIN && !h->as_server &&
        ((rc = copy_credential(h->user, &h->user_len, cfg->username)) < 0 ||
         (rc = copy_credential(h->pass, &h->pass_len, cfg->password)) < 0))
        goto out;
    if (h->mechanism == ZMTP_MECH_CURVE && !(h->curve = zmtp__curve_new(cfg, &rc)))
        goto out;

    size_t scratch_cap = cfg->max_command ? cfg->max_command : 8192;
    if (scratch_cap < ZMTP_DECODER_MIN_SCRATCH)
        scratch_cap = ZMTP_DECODER_MIN_SCRATCH;
    rc = ZMTP_E_NOMEM;
    if (!(h->scratch = malloc(scratch_cap)))
        goto out;
    zmtp_decoder_init(&h->dec, h->scratch, scratch_cap, scratch_cap);
    if (h->curve)
        zmtp_decoder_set_options(&h->dec, ZMTP_DEC_OPAQUE_HANDSHAKE);

    /* greeting + READY/INITIATE (one of them) + HELLO + WELCOME + ERROR, headers long;
     * CURVE's boxed commands on top; or for an old peer, type byte and identity frame. */
    size_t out_cap = ZMTP_GREETING_SIZE + (9 + 9 + h->md_len) + (9 + 6 + 2 + 510) +
                     (9 + 8) + (9 + 7 + 255) + (h->curve ? zmtp__curve_output_max(h->md_len) : 0) +
                     (1 + ZMTP_MAX_HEADER_V1 + sizeof h->our_id);
    if (!(h->out = malloc(out_cap)))
        goto out;
    zmtp_encoder_init(&h->enc, h->out, out_cap, out_cap);
    /* the signature alone; its padding is what a ZMTP 1.0 peer reads as the length of
     * our identity frame (flags 0x7F: libzmq's, MORE included, which 1.0 peers ignore) */
    h->out[0] = 0xff;
    zmtp__put64(h->out + 1, (uint64_t)h->our_id_len + 1);
    h->out[9] = 0x7f;
    h->enc.len = 10;
    zmtp_greeting_decoder_init(&h->greeting);
    h->state = HS_SIGNATURE;
    h->status = ZMTP_HS_RUNNING;
    return h;
out:
    if (err)
        *err = rc;
    zmtp_handshake_free(h);
    return NULL;
}

void zmtp_handshake_free(zmtp_handshake *h)
{
    if (!h)
        return;
    zmtp__curve_free(h->curve); /* wipes its secrets */
    free(h->md);
    free(h->scratch);
    free(h->out);
    free(h->peer_md);
    /* a password outlives nothing it was needed for */
    zmtp_wipe(h->pass, sizeof h->pass);
    free(h);
}

size_t zmtp_handshake_output(const zmtp_handshake *h, const uint8_t **data)
{
    *data = h->out + h->out_sent;
    return h->enc.len - h->out_sent;
}

void zmtp_handshake_sent(zmtp_handshake *h, size_t n)
{
    size_t left = h->enc.len - h->out_sent;
    h->out_sent += n < left ? n : left;
}

static int fail(zmtp_handshake *h, int err)
{
    h->status = err;
    h->state = HS_END;
    return err;
}

static int on_greeting(zmtp_handshake *h, const zmtp_greeting *g)
{
    char ours[ZMTP_MECHANISM_SIZE] = {0};
    const char *name = mechanism_name(h->mechanism);
    memcpy(ours, name, strlen(name));
    if (memcmp(ours, g->mechanism, ZMTP_MECHANISM_SIZE) != 0)
        return ZMTP_E_MECHANISM;
    h->minor = zmtp_version_negotiate(g);
    if (h->mechanism == ZMTP_MECH_NULL) {
        h->state = HS_WAIT_READY;
        if (h->auth_wanted) {
            h->auth_pending = true; /* READY goes out with the verdict */
            return ZMTP_OK;
        }
        if (h->hold_ready) {
            h->ready_held = true; /* until the peer's READY, or the caller's release */
            return ZMTP_OK;
        }
        return zmtp_encoder_command(&h->enc, "READY", h->md, h->md_len);
    }
    /* Only two servers can be named: libzmq 4.3.4's PLAIN server sends as-server 0,
     * so a 0 proves nothing. Two clients fail on each other's HELLO instead. */
    if (g->as_server && h->as_server)
        return ZMTP_E_ROLE;
    if (h->as_server) {
        h->state = HS_WAIT_HELLO;
        return ZMTP_OK;
    }
    h->state = HS_WAIT_WELCOME;
    if (h->curve)
        return zmtp__curve_hello(h->curve, &h->enc);
    uint8_t hello[2 + 255 + 255];
    hello[0] = (uint8_t)h->user_len;
    memcpy(hello + 1, h->user, h->user_len);
    hello[1 + h->user_len] = (uint8_t)h->pass_len;
    memcpy(hello + 2 + h->user_len, h->pass, h->pass_len);
    return zmtp_encoder_command(&h->enc, "HELLO", hello, 2 + h->user_len + h->pass_len);
}

/* ---- older peers --------------------------------------------------------------- */

/* No mechanism below 3.0: where ours would authenticate, an old peer is refused. */
static bool refuse_old(const zmtp_handshake *h)
{
    return h->mechanism != ZMTP_MECH_NULL || h->auth_wanted;
}

/* The old peer's identity frame ends its handshake. Its metadata is made up of what it
 * said: the socket type of its greeting (2.0 and versioned 1.0) and its identity. */
static int on_identity(zmtp_handshake *h, const uint8_t *id, size_t len)
{
    const char *type = h->peer_type >= 0 ? zmtp_socket_type_name(h->peer_type) : NULL;
    zmtp_property p[2];
    size_t n = 0;
    if (type)
        p[n++] = (zmtp_property){"Socket-Type", 11, type, strlen(type)};
    p[n++] = (zmtp_property){"Identity", 8, id, len};
    int64_t mlen = zmtp_metadata_size(p, n);
    if (mlen < 0)
        return (int)mlen;
    if (!(h->peer_md = malloc((size_t)mlen)))
        return ZMTP_E_NOMEM;
    h->peer_md_len = (size_t)zmtp_metadata_encode(h->peer_md, (size_t)mlen, p, n);
    h->state = HS_END;
    h->status = ZMTP_HS_DONE;
    return ZMTP_OK;
}

/* Bytes of the old peer's identity frame; the decoder speaks its framing already. */
static ptrdiff_t identity_feed(zmtp_handshake *h, const uint8_t *in, size_t len)
{
    zmtp_event ev;
    ptrdiff_t r = zmtp_decoder_feed(&h->dec, in, len, &ev);
    if (r < 0)
        return r;
    /* the decoder's limit is its scratch, so an identity never streams (HEADER) */
    if (ev.type == ZMTP_EV_FRAME) {
        int rc = on_identity(h, ev.data, ev.len);
        if (rc < 0)
            return rc;
    }
    return r;
}

/* A ZMTP 1.0 peer without signature: what we read of it so far is its identity
 * frame's header, and what we sent (our signature) is ours. */
static int start_unversioned(zmtp_handshake *h)
{
    if (refuse_old(h))
        return ZMTP_E_OLD_VERSION;
    h->unversioned = true;
    h->framing = ZMTP_FRAMING_V1;
    h->minor = 0;
    memcpy(h->out + h->enc.len, h->our_id, h->our_id_len);
    h->enc.len += h->our_id_len;
    zmtp_decoder_set_framing(&h->dec, ZMTP_FRAMING_V1);
    h->state = HS_IDENTITY;
    ptrdiff_t r = identity_feed(h, h->sig, h->sig_have);
    return r < 0 ? (int)r : ZMTP_OK;
}

/* The peer's revision byte decides what the rest of our greeting is. */
static int on_revision(zmtp_handshake *h, uint8_t rev)
{
    if (rev >= 3) {
        uint8_t g[ZMTP_GREETING_SIZE];
        zmtp_greeting gr;
        int d;
        zmtp_greeting_encode(g, mechanism_name(h->mechanism), h->as_server);
        memcpy(h->out + h->enc.len, g + 11, ZMTP_GREETING_SIZE - 11);
        h->enc.len += ZMTP_GREETING_SIZE - 11;
        h->framing = ZMTP_FRAMING_V3;
        h->state = HS_GREETING;
        /* a valid 3.x prefix, so the 3.x greeting decoder takes it whole */
        ptrdiff_t r = zmtp_greeting_decode(&h->greeting, h->sig, sizeof h->sig, &gr, &d);
        return r < 0 ? (int)r : ZMTP_OK;
    }
    /* revision 2 was never a ZMTP (libzmq reads it as 3.1; zaio refuses it) */
    if (rev == 2)
        return ZMTP_E_NOT_ZMTP;
    if (refuse_old(h))
        return ZMTP_E_OLD_VERSION;
    h->framing = rev == 0 ? ZMTP_FRAMING_V1 : ZMTP_FRAMING_V2;
    h->minor = 0;
    h->out[h->enc.len++] = (uint8_t)h->socket_type;
    zmtp_encoder_set_framing(&h->enc, h->framing);
    int rc = zmtp_encoder_frame(&h->enc, h->our_id, h->our_id_len, 0);
    if (rc < 0)
        return rc;
    zmtp_decoder_set_framing(&h->dec, h->framing);
    h->state = HS_OLD_TYPE;
    return ZMTP_OK;
}

/* A 2.0 (or versioned 1.0) peer's socket type, a zmq.h number. */
static int on_old_type(zmtp_handshake *h, uint8_t type)
{
    if (!zmtp_socket_type_name(type))
        return ZMTP_E_UNKNOWN_SOCKET_TYPE;
    if (!zmtp_socket_types_compatible(h->socket_type, type))
        return ZMTP_E_SOCKET_TYPE_MISMATCH;
    h->peer_type = type;
    h->state = HS_IDENTITY;
    return ZMTP_OK;
}

/* The peer's first bytes, one at a time, so each verdict comes at the earliest byte
 * and nothing past the signature and revision is taken. */
static ptrdiff_t feed_signature(zmtp_handshake *h, const uint8_t *in, size_t len)
{
    size_t i = 0;
    int rc = ZMTP_OK;
    while (i < len && h->state == HS_SIGNATURE) {
        h->sig[h->sig_have++] = in[i++];
        if (h->sig_have == sizeof h->sig) {
            rc = on_revision(h, h->sig[10]);
        } else {
            rc = zmtp__signature_check(h->sig, h->sig_have);
            if (rc == ZMTP__SIG_V1)
                rc = start_unversioned(h);
            else if (rc == ZMTP__SIG_VERSIONED)
                h->out[h->enc.len++] = 3; /* our major: the peer reads a revision byte */
        }
        if (rc < 0)
            return rc;
    }
    return (ptrdiff_t)i;
}

/* The peer's READY or INITIATE: its socket type must suit ours. */
static int take_metadata(zmtp_handshake *h, const uint8_t *md, size_t len)
{
    zmtp_property st;
    /* CURVE's came out of a box unchecked; the decoder checked the others already */
    int rc = zmtp_metadata_validate(md, len);
    if (rc < 0 || (rc = zmtp_metadata_find(md, len, "Socket-Type", &st)) < 0)
        return rc;
    if (rc == 0)
        return ZMTP_E_NO_SOCKET_TYPE;
    int type = zmtp_socket_type_parse(st.value, st.value_len);
    if (type < 0)
        return type;
    if (!zmtp_socket_types_compatible(h->socket_type, type))
        return ZMTP_E_SOCKET_TYPE_MISMATCH;
    if (len && !(h->peer_md = malloc(len)))
        return ZMTP_E_NOMEM;
    if (len)
        memcpy(h->peer_md, md, len);
    h->peer_md_len = len;
    h->peer_type = type;
    return ZMTP_OK;
}

/* The peer's READY (or a PLAIN client's INITIATE) is the last thing we wait for. */
static int peer_ready(zmtp_handshake *h, const uint8_t *md, size_t len)
{
    int rc = take_metadata(h, md, len);
    if (rc < 0)
        return rc;
    h->state = HS_END;
    h->status = ZMTP_HS_DONE;
    return ZMTP_OK;
}

static int on_hello(zmtp_handshake *h, const zmtp_command *c)
{
    memcpy(h->user, c->username, c->username_len);
    h->user_len = c->username_len;
    memcpy(h->pass, c->password, c->password_len);
    h->pass_len = c->password_len;
    h->state = HS_WAIT_VERDICT;
    h->auth_pending = true;
    return ZMTP_OK;
}

int zmtp_handshake_auth(zmtp_handshake *h, int status)
{
    if (!h->auth_pending || h->status != ZMTP_HS_RUNNING ||
        (status != 200 && status != 300 && status != 400 && status != 500))
        return ZMTP_E_INVAL;
    h->auth_pending = false;
    if (status != 200) {
        /* RFC 27: a temporary failure (300) closes without an ERROR; the others say
         * their code, as libzmq does */
        if (status != 300) {
            char code[4] = {(char)('0' + status / 100), '0', '0', 0};
            zmtp_encoder_error(&h->enc, code, 3);
        }
        return fail(h, ZMTP_E_AUTH_DENIED);
    }
    int rc;
    if (h->mechanism == ZMTP_MECH_PLAIN) {
        h->state = HS_WAIT_INITIATE;
        rc = zmtp_encoder_command(&h->enc, "WELCOME", NULL, 0);
        return rc < 0 ? fail(h, rc) : ZMTP_OK;
    }
    if (h->curve) {
        /* the client's INITIATE was the last we waited for: READY ends it */
        if ((rc = zmtp__curve_ready(h->curve, &h->enc, h->md, h->md_len)) < 0)
            return fail(h, rc);
        h->state = HS_END;
        h->status = ZMTP_HS_DONE;
        return ZMTP_OK;
    }
    rc = zmtp_encoder_command(&h->enc, "READY", h->md, h->md_len);
    return rc < 0 ? fail(h, rc) : ZMTP_OK;
}

/* The one command each waiting state accepts; anything else (ERROR aside) fails. */
static const zmtp_command_type expected[HS_END + 1] = {
    [HS_WAIT_READY] = ZMTP_CMD_READY,
    [HS_WAIT_WELCOME] = ZMTP_CMD_WELCOME,
    [HS_WAIT_HELLO] = ZMTP_CMD_HELLO,
    [HS_WAIT_INITIATE] = ZMTP_CMD_INITIATE,
};

/* CURVE's steps: each opens the peer's box and queues ours. */
static int on_curve_command(zmtp_handshake *h, const zmtp_command *c)
{
    const uint8_t *md;
    size_t md_len;
    int rc;
    switch (h->state) {
    case HS_WAIT_HELLO:
        if ((rc = zmtp__curve_on_hello(h->curve, c->data, c->data_len)) < 0)
            return rc;
        h->state = HS_WAIT_INITIATE;
        return zmtp__curve_welcome(h->curve, &h->enc);
    case HS_WAIT_WELCOME:
        if ((rc = zmtp__curve_on_welcome(h->curve, c->data, c->data_len)) < 0)
            return rc;
        h->state = HS_WAIT_READY;
        return zmtp__curve_initiate(h->curve, &h->enc, h->md, h->md_len);
    case HS_WAIT_INITIATE:
        if ((rc = zmtp__curve_on_initiate(h->curve, c->data, c->data_len, &md, &md_len)) < 0 ||
            (rc = take_metadata(h, md, md_len)) < 0)
            return rc;
        /* the client's long-term key is what ZAP is asked about */
        memcpy(h->user, zmtp__curve_client_key(h->curve), ZMTP_CURVE_KEY_SIZE);
        h->user_len = ZMTP_CURVE_KEY_SIZE;
        h->state = HS_WAIT_VERDICT;
        h->auth_pending = true;
        return ZMTP_OK;
    default: /* HS_WAIT_READY */
        if ((rc = zmtp__curve_on_ready(h->curve, c->data, c->data_len, &md, &md_len)) < 0)
            return rc;
        return peer_ready(h, md, md_len);
    }
}

static int on_command(zmtp_handshake *h, const zmtp_command *c)
{
    int rc;
    if (c->type == ZMTP_CMD_ERROR) {
        memcpy(h->reason, c->reason, c->reason_len);
        h->reason_len = c->reason_len;
        return ZMTP_E_PEER_ERROR;
    }
    /* HS_GREETING and HS_END expect nothing (UNKNOWN), so nothing matches there */
    if (c->type == ZMTP_CMD_UNKNOWN || c->type != expected[h->state])
        return ZMTP_E_UNEXPECTED_COMMAND;
    if (h->curve)
        return on_curve_command(h, c);
    switch (h->state) {
    case HS_WAIT_READY:
        /* a held READY goes first, so that a peer of the wrong type still reads it, as
         * it would have without the hold */
        if (h->ready_held) {
            h->ready_held = false;
            if ((rc = zmtp_encoder_command(&h->enc, "READY", h->md, h->md_len)) < 0)
                return rc;
        }
        return peer_ready(h, c->data, c->data_len);
    case HS_WAIT_WELCOME:
        h->state = HS_WAIT_READY;
        return zmtp_encoder_command(&h->enc, "INITIATE", h->md, h->md_len);
    case HS_WAIT_HELLO:
        return on_hello(h, c);
    default: /* HS_WAIT_INITIATE */
        if ((rc = peer_ready(h, c->data, c->data_len)) < 0)
            return rc;
        return zmtp_encoder_command(&h->enc, "READY", h->md, h->md_len);
    }
}

ptrdiff_t zmtp_handshake_feed(zmtp_handshake *h, const uint8_t *in, size_t len)
{
    size_t used = 0;
    ptrdiff_t r;
    int rc;
    if (h->status < 0)
        return h->status;
    /* Nothing is read while the verdict is awaited: what the peer sends meanwhile is
     * judged after it, so any split of the input gives the same outcome. */
    while (used < len && h->status == ZMTP_HS_RUNNING && !h->auth_pending) {
        if (h->state == HS_SIGNATURE) {
            if ((r = feed_signature(h, in + used, len - used)) < 0)
                return fail(h, (int)r);
            used += (size_t)r;
            continue;
        }
        if (h->state == HS_OLD_TYPE) {
            if ((rc = on_old_type(h, in[used++])) < 0)
                return fail(h, rc);
            continue;
        }
        if (h->state == HS_IDENTITY) {
            if ((r = identity_feed(h, in + used, len - used)) < 0)
                return fail(h, (int)r);
            used += (size_t)r;
            continue;
        }
        if (h->state == HS_GREETING) {
            zmtp_greeting g;
            int done;
            if ((r = zmtp_greeting_decode(&h->greeting, in + used, len - used, &g, &done)) < 0)
                return fail(h, (int)r);
            used += (size_t)r;
            if (done && (rc = on_greeting(h, &g)) < 0)
                return fail(h, rc);
            continue;
        }
        zmtp_event ev;
        if ((r = zmtp_decoder_feed(&h->dec, in + used, len - used, &ev)) < 0)
            return fail(h, (int)r);
        used += (size_t)r;
        if (ev.type == ZMTP_EV_FRAME || ev.type == ZMTP_EV_HEADER)
            return fail(h, ZMTP_E_UNEXPECTED_MESSAGE);
        if (ev.type == ZMTP_EV_COMMAND && (rc = on_command(h, &ev.cmd)) < 0)
            return fail(h, rc);
    }
    return (ptrdiff_t)used;
}

int zmtp_handshake_status(const zmtp_handshake *h)
{
    if (h->status == ZMTP_HS_RUNNING && h->auth_pending)
        return ZMTP_HS_AUTH;
    return h->status;
}

int zmtp_handshake_minor(const zmtp_handshake *h)
{
    return h->minor;
}

int zmtp_handshake_ready_held(const zmtp_handshake *h)
{
    return h->ready_held && h->status == ZMTP_HS_RUNNING;
}

void zmtp_handshake_release_ready(zmtp_handshake *h)
{
    if (!h->ready_held || h->status != ZMTP_HS_RUNNING)
        return;
    h->ready_held = false;
    int rc = zmtp_encoder_command(&h->enc, "READY", h->md, h->md_len);
    if (rc < 0)
        fail(h, rc);
}

int zmtp_handshake_framing(const zmtp_handshake *h)
{
    return h->framing;
}

int zmtp_handshake_peer_unversioned(const zmtp_handshake *h)
{
    return h->unversioned;
}

int zmtp_handshake_peer_socket_type(const zmtp_handshake *h)
{
    return h->peer_type;
}

void zmtp_handshake_peer_metadata(const zmtp_handshake *h, const uint8_t **md, size_t *len)
{
    *md = h->peer_md;
    *len = h->peer_md_len;
}

int zmtp_handshake_peer_routing_id(const zmtp_handshake *h, const uint8_t **id, size_t *len)
{
    zmtp_property p;
    if (zmtp_metadata_find(h->peer_md, h->peer_md_len, "Identity", &p) != 1 &&
        zmtp_metadata_find(h->peer_md, h->peer_md_len, "Routing-Id", &p) != 1)
        return 0;
    *id = p.value;
    *len = p.value_len;
    return 1;
}

void zmtp_handshake_credentials(const zmtp_handshake *h, const uint8_t **user, size_t *user_len,
                                const uint8_t **pass, size_t *pass_len)
{
    bool theirs = h->mechanism != ZMTP_MECH_NULL && h->as_server;
    *user = h->user;
    *user_len = theirs ? h->user_len : 0;
    *pass = h->pass;
    *pass_len = theirs ? h->pass_len : 0;
}

void zmtp_handshake_error_reason(const zmtp_handshake *h, const uint8_t **reason, size_t *len)
{
    *reason = h->reason;
    *len = h->reason_len;
}

zmtp_crypto *zmtp_handshake_take_crypto(zmtp_handshake *h)
{
    return h->curve && h->status == ZMTP_HS_DONE ? zmtp__curve_take_crypto(h->curve) : NULL;
}
