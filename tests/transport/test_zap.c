/* ZAP (RFC 27) through include/zaio.h, as libzmq 4.3.4 runs it: a PLAIN server lets
 * nobody in without a handler and asks the handler about every client; NULL asks when a
 * domain is set; the handler's verdicts (200, 300, 400, 500), its User-Id and metadata,
 * and each malformed reply reach the monitor and the messages as libzmq has them.
 * The handler is a REP bound at inproc://zeromq.zap.01, served by a thread of its own
 * (the server's I/O thread must get its answer while the test blocks in recv). */
#include "zap_handler.h"

/* ---- the handler (zap_handler.h) ------------------------------------------------------ */

typedef enum reply_kind {
    R_BY_CREDENTIALS, /* admin/secret 200, "busy" 300, "broken" 500, else 400 */
    R_BAD_VERSION,
    R_BAD_REQUEST_ID,
    R_BAD_STATUS,
    R_BAD_METADATA,
    R_TOO_FEW_FRAMES,
    R_VANISH          /* close without replying */
} reply_kind;

typedef struct handler {
    zap_handler zh;
    reply_kind kind;
} handler;

/* A reply as the kind has it: well formed, or broken in its one way. */
static void reply(zap_handler *zh, const char *status, const char *user, const void *md,
                  size_t md_len)
{
    reply_kind kind = ((handler *)zh->arg)->kind;
    if (kind != R_BAD_VERSION && kind != R_BAD_REQUEST_ID && kind != R_TOO_FEW_FRAMES) {
        zap_reply(zh, status, user, md, md_len);
        return;
    }
    th_send_str(zh->sock, kind == R_BAD_VERSION ? "2.0" : "1.0", ZAIO_SNDMORE);
    th_send_str(zh->sock, kind == R_BAD_REQUEST_ID ? "7" : "1", ZAIO_SNDMORE);
    if (kind == R_TOO_FEW_FRAMES) {
        th_send_str(zh->sock, status, 0);
        return;
    }
    th_send_str(zh->sock, status, ZAIO_SNDMORE);
    th_send_str(zh->sock, "text", ZAIO_SNDMORE);
    th_send_str(zh->sock, user, ZAIO_SNDMORE);
    th_send(zh->sock, md, md_len, 0);
}

static bool by_kind(zap_handler *zh, const zap_request *r)
{
    reply_kind kind = ((handler *)zh->arg)->kind;
    int k = r->nframes;
    static const uint8_t md[] = "\x05Hello\x00\x00\x00\x05World";
    static const uint8_t bad_md[] = "\x05Hello\x00\x00\x00\x09World";
    if (kind == R_VANISH)
        return false;
    if (kind == R_BAD_STATUS) {
        reply(zh, "201", "", "", 0);
    } else if (kind == R_BAD_METADATA) {
        reply(zh, "200", "", bad_md, sizeof bad_md - 1);
    } else if (k >= 8 && zap_frame_is(r, 6, "admin") && zap_frame_is(r, 7, "secret")) {
        reply(zh, "200", "admin-id", md, sizeof md - 1);
    } else if (k >= 8 && zap_frame_is(r, 6, "busy")) {
        reply(zh, "300", "", "", 0);
    } else if (k >= 8 && zap_frame_is(r, 6, "broken")) {
        reply(zh, "500", "", "", 0);
    } else if (k == 6 && zap_frame_is(r, 2, "friends")) { /* NULL in the friendly domain */
        reply(zh, "200", "anonymous", "", 0);
    } else {
        reply(zh, "400", "", "", 0);
    }
    return true;
}

static void handler_start(handler *h, void *ctx, reply_kind kind)
{
    h->kind = kind;
    zap_handler_start(&h->zh, ctx, by_kind, h);
}

static void handler_stop(handler *h)
{
    zap_handler_stop(&h->zh);
}

static bool frame_is(const handler *h, int i, const char *s)
{
    return zap_frame_is(&h->zh.last, i, s);
}

/* ---- a server and a client ----------------------------------------------------------------- */

typedef struct pair {
    void *rep, *req, *smon, *cmon;
    char ep[256];
} pair;

/* A REP server (PLAIN or NULL with a domain) and a REQ client with the credentials given,
 * each with a monitor on the handshake's events. */
static void pair_open(void *ctx, pair *p, int plain, const char *domain, const char *user,
                      const char *pass)
{
    static int seq;
    char mep[64];
    p->rep = th_socket(ctx, ZAIO_REP);
    p->req = th_socket(ctx, ZAIO_REQ);
    th_set_int(p->req, ZAIO_LINGER, 0); /* a refused request is never delivered */
    int events = ZAIO_EVENT_HANDSHAKE_SUCCEEDED | ZAIO_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    snprintf(mep, sizeof mep, "inproc://zap-smon-%d", ++seq);
    p->smon = th_monitor(ctx, p->rep, mep, events);
    snprintf(mep, sizeof mep, "inproc://zap-cmon-%d", seq);
    p->cmon = th_monitor(ctx, p->req, mep, events);
    if (plain)
        th_set_int(p->rep, ZAIO_PLAIN_SERVER, 1);
    if (domain)
        zt_assert(zaio_setsockopt(p->rep, ZAIO_ZAP_DOMAIN, domain, strlen(domain)) == 0, "domain");
    zt_assert(zaio_setsockopt(p->rep, ZAIO_ROUTING_ID, "srv", 3) == 0, "routing id");
    if (user) {
        zt_assert(zaio_setsockopt(p->req, ZAIO_PLAIN_USERNAME, user, strlen(user)) == 0, "user");
        zt_assert(zaio_setsockopt(p->req, ZAIO_PLAIN_PASSWORD, pass, strlen(pass)) == 0, "pass");
    }
    th_bind(p->rep, "tcp://127.0.0.1:*", p->ep, sizeof p->ep);
    th_connect(p->req, p->ep);
    th_set_int(p->rep, ZAIO_RCVTIMEO, 300);
    th_send_maybe(p->req, "let me in"); /* refused, the REQ may have no pipe left */
}

static void pair_close(pair *p)
{
    zaio_close(p->smon);
    zaio_close(p->cmon);
    zaio_close(p->req);
    zaio_close(p->rep);
}

/* The server got the request: the peer was let in. */
static void expect_in(pair *p)
{
    uint32_t v;
    zt_assert(th_wait_event(p->smon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 5000, &v), "server: in");
    th_set_int(p->rep, ZAIO_RCVTIMEO, 5000);
    th_recv_str(p->rep, "let me in");
}

/* The server reports event with value, and the request never reaches it. */
static void expect_out(pair *p, int event, uint32_t value)
{
    uint32_t v = 0;
    int ev = th_event(p->smon, 5000, &v);
    zt_assert(ev == event && v == value, "server event %#x value %#x, wanted %#x %#x", ev, v,
              event, value);
    char buf[16];
    zt_assert(zaio_recv(p->rep, buf, sizeof buf, 0) == -1 && zaio_errno() == EAGAIN,
              "a refused peer's request arrived");
}

/* ---- PLAIN ------------------------------------------------------------------------------ */

/* The defect this file was written for: with no handler, a PLAIN server let anyone in. */
ZT_TEST(zap, plain_without_handler_lets_nobody_in, 20)
{
    void *ctx = zaio_ctx_new();
    const char *creds[][2] = {{"intruder", "wrong"}, {"admin", "secret"}};
    for (int i = 0; i < 2; i++) {
        pair p;
        pair_open(ctx, &p, 1, NULL, creds[i][0], creds[i][1]);
        expect_out(&p, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT);
        pair_close(&p);
    }
    th_term(ctx);
}

ZT_TEST(zap, plain_handler_lets_the_right_user_in, 20)
{
    void *ctx = zaio_ctx_new();
    handler h;
    handler_start(&h, ctx, R_BY_CREDENTIALS);
    pair p;
    pair_open(ctx, &p, 1, "global", "admin", "secret");
    uint32_t v;
    zt_assert(th_wait_event(p.smon, ZAIO_EVENT_HANDSHAKE_SUCCEEDED, 5000, &v), "server: in");
    th_set_int(p.rep, ZAIO_RCVTIMEO, 5000);
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, p.rep, 0) == 9, "recv");
    const char *user = zaio_msg_gets(&m, "User-Id"), *hello = zaio_msg_gets(&m, "Hello");
    zt_assert(user && strcmp(user, "admin-id") == 0, "User-Id %s", user ? user : "(none)");
    zt_assert(hello && strcmp(hello, "World") == 0, "Hello %s", hello ? hello : "(none)");
    zaio_msg_close(&m);
    th_send_str(p.rep, "welcome", 0);
    th_recv_str(p.req, "welcome");
    /* the request, as RFC 27 and libzmq have it */
    zt_assert(atomic_load(&h.zh.requests) == 1, "requests %d", atomic_load(&h.zh.requests));
    zt_assert(h.zh.last.nframes == 8, "frames %d", h.zh.last.nframes);
    zt_assert(frame_is(&h, 0, "1.0") && frame_is(&h, 1, "1"), "version, request id");
    zt_assert(frame_is(&h, 2, "global") && frame_is(&h, 3, "127.0.0.1"), "domain, address");
    zt_assert(frame_is(&h, 4, "srv") && frame_is(&h, 5, "PLAIN"), "routing id, mechanism");
    zt_assert(frame_is(&h, 6, "admin") && frame_is(&h, 7, "secret"), "credentials");
    handler_stop(&h);
    pair_close(&p);
    th_term(ctx);
}

/* 400 and 500 refuse with an ERROR the client reports; 300 refuses without a word. */
ZT_TEST(zap, plain_handler_refusals, 30)
{
    void *ctx = zaio_ctx_new();
    handler h;
    handler_start(&h, ctx, R_BY_CREDENTIALS);
    const struct {
        const char *user;
        uint32_t status;
    } cases[] = {{"intruder", 400}, {"broken", 500}, {"busy", 300}};
    for (int i = 0; i < 3; i++) {
        pair p;
        pair_open(ctx, &p, 1, NULL, cases[i].user, "wrong");
        expect_out(&p, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH, cases[i].status);
        if (cases[i].status != 300) {
            uint32_t v = 0;
            zt_assert(th_wait_event(p.cmon, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH, 5000, &v) &&
                          v == cases[i].status,
                      "client: refused with %u (got %u)", cases[i].status, v);
        }
        pair_close(&p);
    }
    /* at least one each: the client told nothing (300) comes back, as a temporary
     * failure invites it to */
    zt_assert(atomic_load(&h.zh.requests) >= 3, "requests %d", atomic_load(&h.zh.requests));
    handler_stop(&h);
    th_term(ctx);
}

/* Each malformed reply fails the handshake with libzmq's protocol error code. */
ZT_TEST(zap, malformed_replies, 40)
{
    const struct {
        reply_kind kind;
        uint32_t code;
    } cases[] = {
        {R_BAD_VERSION, ZAIO_PROTOCOL_ERROR_ZAP_BAD_VERSION},
        {R_BAD_REQUEST_ID, ZAIO_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID},
        {R_BAD_STATUS, ZAIO_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE},
        {R_BAD_METADATA, ZAIO_PROTOCOL_ERROR_ZAP_INVALID_METADATA},
        {R_TOO_FEW_FRAMES, ZAIO_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY},
        {R_VANISH, ZAIO_PROTOCOL_ERROR_ZAP_UNSPECIFIED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *ctx = zaio_ctx_new();
        handler h;
        handler_start(&h, ctx, cases[i].kind);
        pair p;
        pair_open(ctx, &p, 1, NULL, "admin", "secret");
        expect_out(&p, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, cases[i].code);
        handler_stop(&h);
        pair_close(&p);
        th_term(ctx);
    }
}

/* ---- NULL -------------------------------------------------------------------------------- */

ZT_TEST(zap, null_with_a_domain_asks_the_handler, 20)
{
    void *ctx = zaio_ctx_new();
    handler h;
    handler_start(&h, ctx, R_BY_CREDENTIALS);
    pair p;
    pair_open(ctx, &p, 0, "friends", NULL, NULL);
    expect_in(&p);
    zt_assert(h.zh.last.nframes == 6 && frame_is(&h, 5, "NULL"), "NULL request, %d frames",
              h.zh.last.nframes);
    pair_close(&p);
    pair_open(ctx, &p, 0, "strangers", NULL, NULL);
    expect_out(&p, ZAIO_EVENT_HANDSHAKE_FAILED_AUTH, 400);
    pair_close(&p);
    /* no domain: the handler is not asked */
    pair_open(ctx, &p, 0, NULL, NULL, NULL);
    expect_in(&p);
    pair_close(&p);
    zt_assert(atomic_load(&h.zh.requests) == 2, "requests %d", atomic_load(&h.zh.requests));
    handler_stop(&h);
    th_term(ctx);
}

ZT_TEST(zap, null_domain_without_handler, 20)
{
    void *ctx = zaio_ctx_new();
    pair p;
    pair_open(ctx, &p, 0, "anywhere", NULL, NULL);
    expect_in(&p); /* as libzmq: no handler, no check */
    pair_close(&p);
    void *rep = th_socket(ctx, ZAIO_REP), *req = th_socket(ctx, ZAIO_REQ);
    th_set_int(req, ZAIO_LINGER, 0);
    th_set_int(rep, ZAIO_ZAP_ENFORCE_DOMAIN, 1);
    zt_assert(zaio_setsockopt(rep, ZAIO_ZAP_DOMAIN, "anywhere", 8) == 0, "domain");
    void *mon = th_monitor(ctx, rep, "inproc://zap-enforce", ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    char ep[256];
    th_bind(rep, "tcp://127.0.0.1:*", ep, sizeof ep);
    th_connect(req, ep);
    uint32_t v = 0;
    zt_assert(th_wait_event(mon, ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 5000, &v) && v == EFAULT,
              "enforced domain without a handler: refused (%u)", v);
    zaio_close(mon);
    zaio_close(req);
    zaio_close(rep);
    th_term(ctx);
}

/* What zaio says of a connection cannot be overridden by the peer's own metadata. */
ZT_TEST(zap, peer_metadata_cannot_spoof_user_id_or_address, 20)
{
    void *ctx = zaio_ctx_new();
    handler h;
    handler_start(&h, ctx, R_BY_CREDENTIALS);
    void *rep = th_socket(ctx, ZAIO_REP);
    zt_assert(zaio_setsockopt(rep, ZAIO_ZAP_DOMAIN, "friends", 7) == 0, "domain");
    char ep[256];
    th_bind(rep, "tcp://127.0.0.1:*", ep, sizeof ep);
    zmtp_property lies[] = {{"User-Id", 7, "root", 4}, {"Peer-Address", 12, "10.6.6.6", 8}};
    int fd = th_raw_zmtp_peer_props(ep, ZMTP_REQ, lies, 2);
    /* a REQ's request: delimiter, body */
    th_raw_send(fd, "\x01\x00\x00\x02hi", 6);
    th_set_int(rep, ZAIO_RCVTIMEO, 5000);
    zaio_msg_t m;
    zaio_msg_init(&m);
    zt_assert(zaio_msg_recv(&m, rep, 0) == 2, "recv");
    const char *user = zaio_msg_gets(&m, "User-Id"), *addr = zaio_msg_gets(&m, "Peer-Address");
    zt_assert(user && strcmp(user, "anonymous") == 0, "User-Id %s", user ? user : "(none)");
    zt_assert(addr && strcmp(addr, "127.0.0.1") == 0, "Peer-Address %s", addr ? addr : "(none)");
    zaio_msg_close(&m);
    close(fd);
    handler_stop(&h);
    zaio_close(rep);
    th_term(ctx);
}

/* A NULL client to a PLAIN server is refused before anyone is asked. */
ZT_TEST(zap, null_client_to_plain_server, 20)
{
    void *ctx = zaio_ctx_new();
    handler h;
    handler_start(&h, ctx, R_BY_CREDENTIALS);
    pair p;
    pair_open(ctx, &p, 1, NULL, NULL, NULL);
    expect_out(&p, ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZAIO_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    zt_assert(atomic_load(&h.zh.requests) == 0, "requests %d", atomic_load(&h.zh.requests));
    handler_stop(&h);
    pair_close(&p);
    th_term(ctx);
}

ZT_TEST(zap, options_read_back, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_REP);
    char dom[300];
    size_t len = sizeof dom;
    zt_assert(zaio_getsockopt(s, ZAIO_ZAP_DOMAIN, dom, &len) == 0 && len == 1 && dom[0] == 0,
              "empty domain");
    zt_assert(zaio_setsockopt(s, ZAIO_ZAP_DOMAIN, "global", 6) == 0, "set");
    len = sizeof dom;
    zt_assert(zaio_getsockopt(s, ZAIO_ZAP_DOMAIN, dom, &len) == 0 && len == 7 &&
                  strcmp(dom, "global") == 0,
              "domain read back");
    memset(dom, 'x', sizeof dom);
    zt_assert(zaio_setsockopt(s, ZAIO_ZAP_DOMAIN, dom, 256) == -1 && zaio_errno() == EINVAL,
              "a domain over 255 bytes");
    int v = -1;
    len = sizeof v;
    zt_assert(zaio_getsockopt(s, ZAIO_ZAP_ENFORCE_DOMAIN, &v, &len) == 0 && v == 0, "enforce");
    zaio_close(s);
    th_term(ctx);
}
