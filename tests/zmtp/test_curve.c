/* CURVE in the codec: a client and a server handshake against each other (whole, byte
 * by byte, in small steps), the sizes and bytes libzmq 4.3.4 expects of each command,
 * each check a peer must pass (a scripted peer, curve_peer.h, breaks them one by one),
 * and the MESSAGE boxes: round trips, and replays, reorders and tampering refused by
 * name. */
#include "testutil.h"

#include "curve_peer.h"

#define DONE ZMTP_HS_DONE

static const size_t steps[] = {SIZE_MAX, 1, 3, 7, 64};
#define NSTEPS (sizeof steps / sizeof steps[0])

typedef struct keys {
    uint8_t spub[32], ssec[32], cpub[32], csec[32];
} keys;

static void make_keys(keys *k)
{
    cr_assert_eq(zmtp_curve_keypair(k->spub, k->ssec), ZMTP_OK);
    cr_assert_eq(zmtp_curve_keypair(k->cpub, k->csec), ZMTP_OK);
}

static zmtp_handshake_config server_cfg(const keys *k, int type)
{
    return (zmtp_handshake_config){.socket_type = type, .mechanism = ZMTP_MECH_CURVE,
                                   .as_server = 1, .curve_secret = k->ssec};
}

static zmtp_handshake_config client_cfg(const keys *k, int type)
{
    return (zmtp_handshake_config){.socket_type = type, .mechanism = ZMTP_MECH_CURVE,
                                   .curve_public = k->cpub, .curve_secret = k->csec,
                                   .curve_server = k->spub};
}

/* ZAP's part: lets in the key it knows (unless told to refuse), counts the questions. */
typedef struct judge {
    const uint8_t *key;
    int refuse; /* 0, or the status to refuse with */
    int asked;
} judge;

static int judge_key(void *arg, const uint8_t *u, size_t ul, const uint8_t *p, size_t pl)
{
    judge *j = arg;
    (void)p;
    j->asked++;
    cr_assert_eq(ul, 32, "the credential is the client's public key");
    cr_assert_eq(pl, 0);
    if (j->refuse)
        return j->refuse;
    return memcmp(u, j->key, 32) == 0 ? 200 : 400;
}

/* A client DEALER and a server ROUTER, run to their end. */
static void curve_pair(const keys *k, size_t step, judge *j, zmtp_handshake **c,
                       zmtp_handshake **s)
{
    static const zmtp_property id = {"Identity", 8, "curve-1", 7};
    zmtp_handshake_config cc = client_cfg(k, ZMTP_DEALER), sc = server_cfg(k, ZMTP_ROUTER);
    cc.props = &id;
    cc.nprops = 1;
    *c = hs(&cc);
    *s = hs(&sc);
    run_pair_auth(*c, *s, step, judge_key, j);
}

/* Both sides' crypto after a good handshake. */
static void crypto_pair(const keys *k, zmtp_crypto **cx, zmtp_crypto **sx)
{
    judge j = {.key = k->cpub};
    zmtp_handshake *c, *s;
    curve_pair(k, SIZE_MAX, &j, &c, &s);
    cr_assert_eq(zmtp_handshake_status(c), DONE);
    cr_assert_eq(zmtp_handshake_status(s), DONE);
    *cx = zmtp_handshake_take_crypto(c);
    *sx = zmtp_handshake_take_crypto(s);
    cr_assert(*cx && *sx);
    zmtp_handshake_free(c);
    zmtp_handshake_free(s);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 131 + (i >> 8));
}

static uint8_t wire[70000], plain[70000], body[70000];

/* The header length of a sealed frame of n bytes on the wire. */
static size_t head_of(size_t n, size_t len)
{
    return n - len - ZMTP_CRYPTO_OVERHEAD;
}

/* Seals on one side and opens on the other: frames with and without MORE, an empty one,
 * a command, one large enough for a long header (opened in place). */
static void round_trip(zmtp_crypto *from, zmtp_crypto *to)
{
    const struct {
        unsigned flags;
        size_t len;
    } f[] = {{ZMTP_FLAG_MORE, 5}, {0, 0}, {ZMTP_FLAG_COMMAND, 7}, {ZMTP_FLAG_MORE, 222},
             {0, 65536}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        fill(body, f[i].len, (unsigned)i);
        ptrdiff_t n = zmtp_crypto_seal(from, wire, sizeof wire, f[i].flags, body, f[i].len);
        cr_assert_eq((uint64_t)n, zmtp_crypto_sealed_size(f[i].len), "frame %zu", i);
        size_t h = head_of((size_t)n, f[i].len);
        /* a message frame whatever it carries, as libzmq sends it */
        cr_assert_eq(wire[0], h == 9 ? ZMTP_FLAG_LONG : 0, "outer flags %#x", wire[0]);
        unsigned flags = 99;
        uint8_t *frame;
        size_t flen;
        uint8_t *in = wire + h, *out = f[i].len > 1000 ? in + 32 : plain;
        int rc = zmtp_crypto_open(to, 0, in, (size_t)n - h, out, (size_t)n - h - 32, &flags,
                                  &frame, &flen);
        cr_assert_eq(rc, ZMTP_OK, "frame %zu: %s", i, zmtp_strerror(rc));
        cr_assert_eq(flags, f[i].flags, "frame %zu", i);
        cr_assert_eq(flen, f[i].len);
        cr_assert(flen == 0 || memcmp(frame, body, flen) == 0, "frame %zu body", i);
    }
}

Test(curve, handshake_whole_and_byte_by_byte)
{
    keys k;
    make_keys(&k);
    for (size_t i = 0; i < NSTEPS; i++) {
        judge j = {.key = k.cpub};
        zmtp_handshake *c, *s;
        curve_pair(&k, steps[i], &j, &c, &s);
        cr_assert_eq(zmtp_handshake_status(c), DONE, "client, step %zu: %s", steps[i],
                     zmtp_strerror(zmtp_handshake_status(c)));
        cr_assert_eq(zmtp_handshake_status(s), DONE, "server, step %zu: %s", steps[i],
                     zmtp_strerror(zmtp_handshake_status(s)));
        cr_assert_eq(j.asked, 1, "ZAP asked once");
        const uint8_t *out;
        cr_assert_eq(zmtp_handshake_output(c, &out), 0);
        cr_assert_eq(zmtp_handshake_output(s, &out), 0);
        cr_assert_eq(zmtp_handshake_peer_socket_type(c), ZMTP_ROUTER);
        cr_assert_eq(zmtp_handshake_peer_socket_type(s), ZMTP_DEALER);
        const uint8_t *id, *u, *p;
        size_t idl, ul, pl;
        cr_assert_eq(zmtp_handshake_peer_routing_id(s, &id, &idl), 1);
        cr_assert(idl == 7 && memcmp(id, "curve-1", 7) == 0, "metadata out of INITIATE's box");
        zmtp_handshake_credentials(s, &u, &ul, &p, &pl);
        cr_assert(ul == 32 && memcmp(u, k.cpub, 32) == 0 && pl == 0, "C as the credential");
        zmtp_handshake_credentials(c, &u, &ul, &p, &pl);
        cr_assert(ul == 0 && pl == 0, "a client has no peer credentials");
        zmtp_crypto *cx = zmtp_handshake_take_crypto(c), *sx = zmtp_handshake_take_crypto(s);
        cr_assert(cx && sx);
        cr_assert_null(zmtp_handshake_take_crypto(c), "handed over once");
        zmtp_handshake_free(c);
        zmtp_handshake_free(s);
        round_trip(cx, sx);
        round_trip(sx, cx);
        zmtp_crypto_free(cx);
        zmtp_crypto_free(sx);
    }
}

/* Everything one side has to send, moved to the other whole; a copy of it in got. */
static size_t transfer(zmtp_handshake *from, zmtp_handshake *to, uint8_t *got)
{
    const uint8_t *out;
    size_t n = zmtp_handshake_output(from, &out);
    memcpy(got, out, n);
    if (n) {
        cr_assert_eq(zmtp_handshake_feed(to, got, n), (ptrdiff_t)n);
        zmtp_handshake_sent(from, n);
    }
    return n;
}

/* The bytes libzmq 4.3.4 sends and expects: command sizes, the HELLO's version and
 * padding, READY's first nonce, and MESSAGE frames that are message frames (flags 0)
 * counting on from the handshake's nonces (the client's first is 3, the server's 2). */
Test(curve, wire_layout_as_libzmq)
{
    keys k;
    make_keys(&k);
    zmtp_handshake_config cc = client_cfg(&k, ZMTP_DEALER), sc = server_cfg(&k, ZMTP_ROUTER);
    zmtp_handshake *c = hs(&cc), *s = hs(&sc);
    uint8_t b[1024], cg[64], sg[64];
    size_t cn = 0, sn = 0;
    /* the greetings, in libzmq's stages: each side's next one waits for the other's */
    while (cn < 64 || sn < 64) {
        size_t a = transfer(c, s, cg + cn);
        cn += a;
        size_t z = transfer(s, c, sg + sn);
        sn += z;
        cr_assert(a || z, "a greeting stalled");
        cr_assert(cn <= 64 && sn <= 64);
    }
    cr_assert(memcmp(cg + 12, "CURVE\0", 6) == 0 && cg[32] == 0, "greeting: CURVE, client");
    cr_assert_eq(sg[32], 1, "as-server 1 from a server, as RFC 23 says");
    /* HELLO: a short command of 200 bytes */
    cr_assert_eq(transfer(c, s, b), 2 + 200);
    cr_assert(b[0] == 0x04 && b[1] == 200 && memcmp(b + 2, "\x05HELLO\x01\x00", 8) == 0);
    for (int i = 0; i < 72; i++)
        cr_assert_eq(b[10 + i], 0, "padding");
    cr_assert(memcmp(b + 2 + 112, "\0\0\0\0\0\0\0\x01", 8) == 0, "HELLO's nonce is 1");
    /* WELCOME: 168 bytes */
    cr_assert_eq(transfer(s, c, b), 2 + 168);
    cr_assert(b[0] == 0x04 && b[1] == 168 && memcmp(b + 2, "\x07WELCOME", 8) == 0);
    /* INITIATE: a long command, 257 bytes and the metadata */
    size_t n = transfer(c, s, b);
    cr_assert_eq(b[0], 0x06);
    uint64_t size = 0;
    for (int i = 0; i < 8; i++)
        size = size << 8 | b[1 + i];
    cr_assert_eq(n, 9 + size);
    cr_assert_eq(size, 257 + 1 + 11 + 4 + 6, "257, then Socket-Type DEALER");
    cr_assert(memcmp(b + 9, "\x08INITIATE", 9) == 0);
    cr_assert(memcmp(b + 9 + 105, "\0\0\0\0\0\0\0\x02", 8) == 0, "INITIATE's nonce is 2");
    cr_assert_eq(zmtp_handshake_status(s), ZMTP_HS_AUTH);
    cr_assert_eq(zmtp_handshake_auth(s, 200), ZMTP_OK);
    /* READY: nonce 1, box[metadata] */
    n = transfer(s, c, b);
    cr_assert(b[0] == 0x04 && b[1] == n - 2 && memcmp(b + 2, "\x05READY", 6) == 0);
    cr_assert(memcmp(b + 8, "\0\0\0\0\0\0\0\x01", 8) == 0, "READY's nonce is 1");
    cr_assert_eq(n - 2, 14 + 16 + 1 + 11 + 4 + 6, "READY: Socket-Type ROUTER in a box");
    cr_assert_eq(zmtp_handshake_status(c), DONE);
    cr_assert_eq(zmtp_handshake_status(s), DONE);
    zmtp_crypto *cx = zmtp_handshake_take_crypto(c), *sx = zmtp_handshake_take_crypto(s);
    ptrdiff_t m = zmtp_crypto_seal(cx, wire, sizeof wire, ZMTP_FLAG_MORE, "hi", 2);
    cr_assert(m == 2 + 35 && wire[0] == 0 && wire[1] == 35, "a short message frame");
    cr_assert(memcmp(wire + 2, "\x07MESSAGE\0\0\0\0\0\0\0\x03", 16) == 0, "client: nonce 3");
    m = zmtp_crypto_seal(sx, wire, sizeof wire, 0, "", 0);
    cr_assert(memcmp(wire + 2, "\x07MESSAGE\0\0\0\0\0\0\0\x02", 16) == 0, "server: nonce 2");
    zmtp_crypto_free(cx);
    zmtp_crypto_free(sx);
    zmtp_handshake_free(c);
    zmtp_handshake_free(s);
}

/* A client with the wrong server key gets nowhere: the server cannot open its HELLO,
 * answers nothing and asks nobody. */
Test(curve, wrong_server_key_fails_at_hello)
{
    keys k, other;
    make_keys(&k);
    make_keys(&other);
    for (size_t i = 0; i < NSTEPS; i++) {
        judge j = {.key = k.cpub};
        zmtp_handshake_config cc = client_cfg(&k, ZMTP_DEALER), sc = server_cfg(&k, ZMTP_ROUTER);
        cc.curve_server = other.spub;
        zmtp_handshake *c = hs(&cc), *s = hs(&sc);
        run_pair_auth(c, s, steps[i], judge_key, &j);
        cr_assert_eq(zmtp_handshake_status(s), ZMTP_E_CRYPTO, "%s",
                     zmtp_strerror(zmtp_handshake_status(s)));
        cr_assert_eq(zmtp_handshake_status(c), ZMTP_HS_RUNNING, "the client still waits");
        const uint8_t *out;
        cr_assert_eq(zmtp_handshake_output(s, &out), 0, "no WELCOME, no ERROR");
        cr_assert_eq(j.asked, 0);
        cr_assert_null(zmtp_handshake_take_crypto(s));
        zmtp_handshake_free(c);
        zmtp_handshake_free(s);
    }
}

Test(curve, zap_refusals)
{
    keys k;
    make_keys(&k);
    const int codes[] = {400, 500, 300};
    for (size_t i = 0; i < 3; i++) {
        judge j = {.key = k.cpub, .refuse = codes[i]};
        zmtp_handshake *c, *s;
        curve_pair(&k, 3, &j, &c, &s);
        cr_assert_eq(zmtp_handshake_status(s), ZMTP_E_AUTH_DENIED);
        if (codes[i] == 300) {
            cr_assert_eq(zmtp_handshake_status(c), ZMTP_HS_RUNNING, "300: not a word");
        } else {
            cr_assert_eq(zmtp_handshake_status(c), ZMTP_E_PEER_ERROR);
            const uint8_t *r;
            size_t rl;
            zmtp_handshake_error_reason(c, &r, &rl);
            char want[4];
            snprintf(want, sizeof want, "%d", codes[i]);
            cr_assert(rl == 3 && memcmp(r, want, 3) == 0, "ERROR %s in the clear", want);
        }
        cr_assert_null(zmtp_handshake_take_crypto(s));
        zmtp_handshake_free(c);
        zmtp_handshake_free(s);
    }
}

/* ---- MESSAGE: replays, reorders, tampering ---------------------------------------------- */

typedef struct sealed {
    uint8_t b[64];
    size_t n;
} sealed;

/* Seals "msg-<i>" and keeps the MESSAGE's body (the header stripped). */
static void seal_one(zmtp_crypto *c, int i, sealed *out)
{
    char text[16];
    int len = snprintf(text, sizeof text, "msg-%d", i);
    ptrdiff_t n = zmtp_crypto_seal(c, out->b, sizeof out->b, 0, text, (size_t)len);
    cr_assert_gt(n, 2);
    out->n = (size_t)n - 2;
    memmove(out->b, out->b + 2, out->n);
}

static int open_one(zmtp_crypto *c, unsigned fflags, const uint8_t *b, size_t n)
{
    unsigned flags;
    uint8_t *frame;
    size_t flen;
    return zmtp_crypto_open(c, fflags, b, n, plain, sizeof plain, &flags, &frame, &flen);
}

/* Four MESSAGEs from the client, opened by the server in each order given. */
Test(curve, message_replay_and_reorder_rejected)
{
    keys k;
    make_keys(&k);
    const struct {
        const char *what;
        int order[3];
        int want[3];
    } cases[] = {
        {"the same MESSAGE again, then failed for good", {0, 0, 1},
         {ZMTP_OK, ZMTP_E_NONCE, ZMTP_E_NONCE}},
        {"an older MESSAGE after a newer", {1, 0, 2}, {ZMTP_OK, ZMTP_E_NONCE, ZMTP_E_NONCE}},
        /* a gap is no reordering: nonces must grow, as libzmq has it, not grow by one */
        {"a gap, then the one skipped", {0, 2, 1}, {ZMTP_OK, ZMTP_OK, ZMTP_E_NONCE}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zmtp_crypto *cx, *sx;
        sealed m[4];
        crypto_pair(&k, &cx, &sx);
        for (int j = 0; j < 4; j++)
            seal_one(cx, j, &m[j]);
        for (int j = 0; j < 3; j++) {
            const sealed *x = &m[cases[i].order[j]];
            int rc = open_one(sx, 0, x->b, x->n);
            cr_assert_eq(rc, cases[i].want[j], "%s, open %d: %s", cases[i].what, j,
                         zmtp_strerror(rc));
        }
        zmtp_crypto_free(cx);
        zmtp_crypto_free(sx);
    }
}

Test(curve, message_tampering_rejected)
{
    keys k;
    make_keys(&k);
    const struct {
        const char *what;
        size_t at;    /* byte to flip, or SIZE_MAX */
        int cut;      /* bytes to drop from the end */
        unsigned fflags;
        int want;
    } cases[] = {
        {"MAC", 20, 0, 0, ZMTP_E_CRYPTO},
        {"ciphertext", 40, 0, 0, ZMTP_E_CRYPTO},
        {"flags byte", 32, 0, 0, ZMTP_E_CRYPTO},
        {"nonce raised", 14, 0, 0, ZMTP_E_CRYPTO},
        {"nonce lowered to the last one", 15, 0, 0, ZMTP_E_NONCE}, /* 3 becomes 2 */
        {"nonce's high byte", 8, 0, 0, ZMTP_E_CRYPTO},
        {"one byte short", SIZE_MAX, 1, 0, ZMTP_E_CRYPTO},
        {"no room for a box", SIZE_MAX, 9, 0, ZMTP_E_MALFORMED_MESSAGE},
        {"command name", 7, 0, 0, ZMTP_E_UNEXPECTED_COMMAND},
        {"MORE outside the box", SIZE_MAX, 0, ZMTP_FLAG_MORE, ZMTP_E_MALFORMED_MESSAGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zmtp_crypto *cx, *sx;
        crypto_pair(&k, &cx, &sx);
        sealed m;
        seal_one(cx, 1234, &m); /* 41 bytes: 33 + "msg-1234" */
        if (cases[i].at != SIZE_MAX)
            m.b[cases[i].at] ^= 0x01;
        int rc = open_one(sx, cases[i].fflags, m.b, m.n - (size_t)cases[i].cut);
        cr_assert_eq(rc, cases[i].want, "%s: %s", cases[i].what, zmtp_strerror(rc));
        zmtp_crypto_free(cx);
        zmtp_crypto_free(sx);
    }
    /* a server's own MESSAGE reflected back to it: the nonce prefixes differ by role (its
     * second one, nonce 3: the first, 2, is refused already as the client's last nonce) */
    zmtp_crypto *cx, *sx;
    crypto_pair(&k, &cx, &sx);
    sealed m;
    seal_one(sx, 1, &m);
    seal_one(sx, 2, &m);
    cr_assert_eq(open_one(sx, 0, m.b, m.n), ZMTP_E_CRYPTO, "reflected");
    zmtp_crypto_free(cx);
    zmtp_crypto_free(sx);
}

/* The encoder seals what it packs once it has a session's crypto: frames, PING, PONG,
 * SUBSCRIBE in either form; a frame above copy_max is the caller's to seal. */
Test(curve, encoder_seals_everything)
{
    keys k;
    make_keys(&k);
    zmtp_crypto *cx, *sx;
    crypto_pair(&k, &cx, &sx);
    zmtp_encoder e;
    zmtp_encoder_init(&e, wire, 4096, 1024);
    zmtp_encoder_set_crypto(&e, cx);
    cr_assert_eq(zmtp_encoder_frame(&e, "abc", 3, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, "", 0, 0), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_ping(&e, 20, "ctx", 3), ZMTP_OK);
    cr_assert_eq(zmtp_encoder_pong(&e, "ctx", 3), ZMTP_OK);
    cr_assert_eq(zmtp_encoder_subscription(&e, 1, 1, "topic", 5), ZMTP_OK);
    cr_assert_eq(zmtp_encoder_subscription(&e, 0, 0, "topic", 5), ZMTP_OK);
    cr_assert_eq(zmtp_encoder_frame(&e, body, 1025, 0), ZMTP_E_INVAL, "large: not here");
    cr_assert_eq(zmtp_encoder_ready(&e, NULL, 0), ZMTP_E_INVAL, "READY: handshake only");
    size_t before = e.len;
    zmtp_encoder enc_small;
    zmtp_encoder_init(&enc_small, plain, 20, 20);
    zmtp_encoder_set_crypto(&enc_small, cx);
    cr_assert_eq(zmtp_encoder_frame(&enc_small, "abc", 3, 0), ZMTP_E_NOSPACE);
    cr_assert_eq(enc_small.len, 0, "nothing written");

    static const struct {
        unsigned flags;
        const char *body;
        size_t len;
    } want[] = {{ZMTP_FLAG_MORE, "abc", 3},
                {0, "", 0},
                {ZMTP_FLAG_COMMAND, "\x04PING\x00\x14" "ctx", 10},
                {ZMTP_FLAG_COMMAND, "\x04PONGctx", 8},
                {ZMTP_FLAG_COMMAND, "\x09SUBSCRIBEtopic", 15},
                {0, "\x00topic", 6}};
    zmtp_decoder d;
    uint8_t scratch[ZMTP_DECODER_MIN_SCRATCH];
    zmtp_decoder_init(&d, scratch, sizeof scratch, 0);
    size_t off = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        zmtp_event ev;
        ptrdiff_t r = zmtp_decoder_feed(&d, wire + off, before - off, &ev);
        cr_assert_gt(r, 0);
        off += (size_t)r;
        cr_assert_eq(ev.type, ZMTP_EV_FRAME, "frame %zu is a message frame", i);
        unsigned flags;
        uint8_t *frame;
        size_t flen;
        cr_assert_eq(zmtp_crypto_open(sx, ev.flags, ev.data, ev.len, plain, sizeof plain, &flags,
                                      &frame, &flen),
                     ZMTP_OK, "frame %zu", i);
        cr_assert_eq(flags, want[i].flags, "frame %zu", i);
        cr_assert(flen == want[i].len && memcmp(frame, want[i].body, flen) == 0, "frame %zu", i);
    }
    cr_assert_eq(off, before);
    zmtp_crypto_free(cx);
    zmtp_crypto_free(sx);
}

/* ---- every check, broken on purpose by a scripted peer ----------------------------------- */

static size_t md_of(uint8_t *out, const char *type)
{
    zmtp_property p = {"Socket-Type", 11, type, strlen(type)};
    return (size_t)zmtp_metadata_encode(out, 64, &p, 1);
}

/* The next command the codec has to send, after its greeting: its data copied to out. */
static size_t take_command(zmtp_handshake *h, const char *name, uint8_t *out, size_t *skip)
{
    const uint8_t *o;
    size_t n = zmtp_handshake_output(h, &o);
    cr_assert_geq(n, *skip);
    o += *skip;
    n -= *skip;
    zmtp_decoder d;
    uint8_t scratch[4096];
    zmtp_decoder_init(&d, scratch, sizeof scratch, 0);
    zmtp_decoder_set_options(&d, ZMTP_DEC_OPAQUE_HANDSHAKE);
    zmtp_event ev;
    ptrdiff_t r = zmtp_decoder_feed(&d, o, n, &ev);
    cr_assert(r > 0 && ev.type == ZMTP_EV_COMMAND, "a command from the codec");
    cr_assert(ev.cmd.name_len == strlen(name) && memcmp(ev.cmd.name, name, ev.cmd.name_len) == 0,
              "%s expected", name);
    memcpy(out, ev.cmd.data, ev.cmd.data_len);
    zmtp_handshake_sent(h, *skip + (size_t)r);
    *skip = 0;
    return ev.cmd.data_len;
}

static int feed_all(zmtp_handshake *h, const uint8_t *b, size_t n)
{
    ptrdiff_t r = zmtp_handshake_feed(h, b, n);
    return r < 0 ? (int)r : zmtp_handshake_status(h);
}

/* The codec as server against a scripted client that breaks what t says; the server's
 * status at the end. md: the client's metadata (NULL: Socket-Type DEALER). */
static int script_client(const keys *k, const cp_tamper *t, const uint8_t *md, size_t md_len,
                         judge *j, zmtp_crypto **sx, cpeer *out_peer)
{
    zmtp_handshake_config sc = server_cfg(k, ZMTP_ROUTER);
    zmtp_handshake *s = hs(&sc);
    cpeer cp;
    cp_init(&cp, false, k->cpub, k->csec, k->spub, 7);
    uint8_t b[2048], mdb[64];
    zmtp_greeting_encode(b, "CURVE", 0);
    size_t n = cp_hello(&cp, b + 64, t);
    int st = feed_all(s, b, 64 + n);
    if (st == ZMTP_HS_RUNNING) {
        size_t skip = 64;
        n = take_command(s, "WELCOME", b, &skip);
        cr_assert_eq(cp_on_welcome(&cp, b, n), 0, "the scripted client opens WELCOME");
        if (!md)
            md_len = md_of(mdb, "DEALER"), md = mdb;
        n = cp_initiate(&cp, b, md, md_len, t);
        st = feed_all(s, b, n);
    }
    if (st == ZMTP_HS_AUTH)
        ask(s, judge_key, j);
    st = zmtp_handshake_status(s);
    if (st == DONE && sx) {
        size_t skip = 0;
        n = take_command(s, "READY", b, &skip);
        uint8_t got[256];
        long ml = cp_on_ready(&cp, b, n, got, sizeof got);
        cr_assert_gt(ml, 0, "the scripted client opens READY");
        *sx = zmtp_handshake_take_crypto(s);
        *out_peer = cp;
    }
    zmtp_handshake_free(s);
    return st;
}

Test(curve, server_checks_each_step)
{
    keys k;
    make_keys(&k);
    uint8_t other_cookie[96];
    {
        /* a cookie from another handshake with the same server: its key was that one's */
        zmtp_handshake_config sc = server_cfg(&k, ZMTP_ROUTER);
        zmtp_handshake *s = hs(&sc);
        cpeer cp;
        cp_init(&cp, false, k.cpub, k.csec, k.spub, 99);
        uint8_t b[1024];
        zmtp_greeting_encode(b, "CURVE", 0);
        size_t n = cp_hello(&cp, b + 64, NULL), skip = 64;
        cr_assert_eq(feed_all(s, b, 64 + n), ZMTP_HS_RUNNING);
        n = take_command(s, "WELCOME", b, &skip);
        cr_assert_eq(cp_on_welcome(&cp, b, n), 0);
        memcpy(other_cookie, cp.cookie, 96);
        zmtp_handshake_free(s);
    }
    uint8_t bad_md[] = "\x0bSocket-Type\x00\x00\x00\x09"
                       "DEALER";
    uint8_t pub_md[64];
    size_t pub_len = md_of(pub_md, "PUB");
    const struct {
        const char *what;
        cp_tamper t;
        const uint8_t *md;
        size_t md_len;
        int want;
    } cases[] = {
        {"all right", {0}, NULL, 0, DONE},
        {"HELLO version 2.0", {.hello_version = true}, NULL, 0, ZMTP_E_MALFORMED_HELLO},
        {"HELLO box not zeros", {.hello_box_not_zero = true}, NULL, 0, ZMTP_E_CRYPTO},
        {"vouch for another S", {.vouch_other_server = true}, NULL, 0, ZMTP_E_KEY_EXCHANGE},
        {"vouch for another C'", {.vouch_other_cn = true}, NULL, 0, ZMTP_E_KEY_EXCHANGE},
        {"another handshake's cookie", {.cookie = other_cookie}, NULL, 0, ZMTP_E_CRYPTO},
        {"INITIATE with HELLO's nonce", {.initiate_old_nonce = true}, NULL, 0, ZMTP_E_NONCE},
        {"metadata past its end", {0}, bad_md, sizeof bad_md - 1, ZMTP_E_MALFORMED_METADATA},
        {"a PUB to a ROUTER", {0}, pub_md, pub_len, ZMTP_E_SOCKET_TYPE_MISMATCH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        judge j = {.key = k.cpub};
        int st = script_client(&k, &cases[i].t, cases[i].md, cases[i].md_len, &j, NULL, NULL);
        cr_assert_eq(st, cases[i].want, "%s: %s", cases[i].what, zmtp_strerror(st));
        cr_assert_eq(j.asked, st == DONE ? 1 : 0, "%s: ZAP hears only of proven keys",
                     cases[i].what);
    }
}

/* Inside a box that opens, the inner flags byte is still checked. */
Test(curve, message_inner_flags_checked)
{
    keys k;
    make_keys(&k);
    const struct {
        uint8_t inner;
        int want;
        unsigned flags;
    } cases[] = {{0x00, ZMTP_OK, 0},
                 {0x01, ZMTP_OK, ZMTP_FLAG_MORE},
                 {0x02, ZMTP_OK, ZMTP_FLAG_COMMAND},
                 {0x03, ZMTP_E_COMMAND_MORE, 0},
                 {0x04, ZMTP_E_RESERVED_FLAGS, 0},
                 {0x80, ZMTP_E_RESERVED_FLAGS, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        judge j = {.key = k.cpub};
        zmtp_crypto *sx = NULL;
        cpeer cp;
        cr_assert_eq(script_client(&k, &(cp_tamper){0}, NULL, 0, &j, &sx, &cp), DONE);
        size_t n = cp_message(&cp, wire, cases[i].inner, "\x04PING\x00\x00", 7, 0);
        unsigned flags = 99;
        uint8_t *frame;
        size_t flen;
        int rc = zmtp_crypto_open(sx, 0, wire + 2, n - 2, plain, sizeof plain, &flags, &frame,
                                  &flen);
        cr_assert_eq(rc, cases[i].want, "inner %#x: %s", cases[i].inner, zmtp_strerror(rc));
        if (rc == ZMTP_OK)
            cr_assert(flags == cases[i].flags && flen == 7, "inner %#x", cases[i].inner);
        zmtp_crypto_free(sx);
    }
}

/* The codec as client against a scripted server; the client's status at the end. */
typedef enum server_fault {
    SF_NONE,
    SF_WELCOME_SHORT,   /* WELCOME of 159 bytes */
    SF_WELCOME_OTHER_S, /* WELCOME boxed by another server key */
    SF_READY_TAMPERED,
    SF_READY_SHORT,
    SF_READY_BAD_MD
} server_fault;

static int script_server(const keys *k, server_fault f)
{
    keys other;
    make_keys(&other);
    zmtp_handshake_config cc = client_cfg(k, ZMTP_DEALER);
    zmtp_handshake *c = hs(&cc);
    cpeer sp;
    bool other_s = f == SF_WELCOME_OTHER_S;
    cp_init(&sp, true, other_s ? other.spub : k->spub, other_s ? other.ssec : k->ssec, NULL, 5);
    uint8_t b[2048], g[64];
    zmtp_greeting_encode(g, "CURVE", 0);
    int st = feed_all(c, g, 64);
    size_t skip = 64, n = take_command(c, "HELLO", b, &skip);
    cr_assert_eq(cp_on_hello(&sp, b, n), other_s ? -1 : 0, "HELLO opens with the right s only");
    if (f == SF_WELCOME_SHORT) {
        size_t at;
        n = cp_command(b, "WELCOME", 159, &at);
        memset(b + at, 0, 159);
    } else {
        n = cp_welcome(&sp, b);
    }
    st = feed_all(c, b, n);
    if (st != ZMTP_HS_RUNNING)
        goto out;
    n = take_command(c, "INITIATE", b, &skip);
    cr_assert_eq(cp_on_initiate(&sp, b, n), 0, "the scripted server opens INITIATE");
    cr_assert(memcmp(sp.peer_pub, k->cpub, 32) == 0, "INITIATE carries C");
    uint8_t md[64];
    size_t md_len = md_of(md, "ROUTER");
    if (f == SF_READY_BAD_MD)
        md[md_len - 1 - 6] = 9; /* the value's size runs past the end */
    n = cp_ready(&sp, b, md, md_len);
    if (f == SF_READY_TAMPERED)
        b[n - 1] ^= 0x20;
    if (f == SF_READY_SHORT) {
        size_t at;
        n = cp_command(b, "READY", 20, &at);
        memset(b + at, 0, 20);
    }
    st = feed_all(c, b, n);
out:
    zmtp_handshake_free(c);
    return st;
}

Test(curve, client_checks_each_step)
{
    keys k;
    make_keys(&k);
    const struct {
        const char *what;
        server_fault f;
        int want;
    } cases[] = {
        {"all right", SF_NONE, DONE},
        {"WELCOME of 159 bytes", SF_WELCOME_SHORT, ZMTP_E_MALFORMED_WELCOME},
        {"WELCOME from another server key", SF_WELCOME_OTHER_S, ZMTP_E_CRYPTO},
        {"READY tampered with", SF_READY_TAMPERED, ZMTP_E_CRYPTO},
        {"READY without room for a box", SF_READY_SHORT, ZMTP_E_MALFORMED_READY},
        {"READY's metadata past its end", SF_READY_BAD_MD, ZMTP_E_MALFORMED_METADATA},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = script_server(&k, cases[i].f);
        cr_assert_eq(st, cases[i].want, "%s: %s", cases[i].what, zmtp_strerror(st));
    }
}

/* ---- randomness, configuration ------------------------------------------------------------ */

static void counter_random(void *arg, uint8_t *buf, size_t len)
{
    uint32_t *x = arg;
    for (size_t i = 0; i < len; i++) {
        *x = *x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(*x >> 16);
    }
}

/* Every byte both sides send, in order. */
static void transcript(const keys *k, blog *log)
{
    uint32_t rc = 1, rs = 2;
    zmtp_handshake_config cc = client_cfg(k, ZMTP_DEALER), sc = server_cfg(k, ZMTP_ROUTER);
    cc.random = counter_random;
    cc.random_arg = &rc;
    sc.random = counter_random;
    sc.random_arg = &rs;
    zmtp_handshake *c = hs(&cc), *s = hs(&sc);
    uint8_t b[1024];
    for (int i = 0; i < 10; i++) {
        size_t n = transfer(c, s, b);
        blog_add(log, b, n);
        if (zmtp_handshake_status(s) == ZMTP_HS_AUTH)
            zmtp_handshake_auth(s, 200);
        n = transfer(s, c, b);
        blog_add(log, b, n);
    }
    cr_assert_eq(zmtp_handshake_status(c), DONE);
    zmtp_handshake_free(c);
    zmtp_handshake_free(s);
}

/* With the randomness given, a handshake replays byte for byte (what the fuzzer relies
 * on); with libsodium's, two are never alike. */
Test(curve, given_randomness_replays)
{
    keys k;
    make_keys(&k);
    blog a = {0}, b = {0};
    transcript(&k, &a);
    transcript(&k, &b);
    cr_assert(a.len == b.len && memcmp(a.p, b.p, a.len) == 0, "the same bytes");
    blog_free(&a);
    blog_free(&b);
    zmtp_handshake *c1, *s1, *c2, *s2;
    judge j = {.key = k.cpub};
    curve_pair(&k, SIZE_MAX, &j, &c1, &s1);
    curve_pair(&k, SIZE_MAX, &j, &c2, &s2);
    zmtp_crypto *x1 = zmtp_handshake_take_crypto(c1), *x2 = zmtp_handshake_take_crypto(c2);
    uint8_t w1[64], w2[64];
    zmtp_crypto_seal(x1, w1, sizeof w1, 0, "same", 4);
    zmtp_crypto_seal(x2, w2, sizeof w2, 0, "same", 4);
    cr_assert(memcmp(w1 + 18, w2 + 18, 21) != 0, "two sessions, two keys");
    zmtp_crypto_free(x1);
    zmtp_crypto_free(x2);
    zmtp_handshake_free(c1);
    zmtp_handshake_free(s1);
    zmtp_handshake_free(c2);
    zmtp_handshake_free(s2);
}

Test(curve, config_checked)
{
    keys k;
    make_keys(&k);
    int err = 0;
    zmtp_handshake_config cc = client_cfg(&k, ZMTP_DEALER), sc = server_cfg(&k, ZMTP_ROUTER);
    cc.curve_server = NULL;
    cr_assert_null(zmtp_handshake_new(&cc, &err));
    cr_assert_eq(err, ZMTP_E_INVAL, "a client needs the server's key");
    sc.curve_secret = NULL;
    cr_assert_null(zmtp_handshake_new(&sc, &err));
    cr_assert_eq(err, ZMTP_E_INVAL, "a server needs its secret key");
    cr_assert_eq(zmtp_curve_available(), 1);
    uint8_t pub[32];
    cr_assert_eq(zmtp_curve_public(pub, k.ssec), ZMTP_OK);
    cr_assert(memcmp(pub, k.spub, 32) == 0, "the public key follows from the secret one");
    /* NULL and PLAIN hand over nothing */
    zmtp_handshake_config na = {.socket_type = ZMTP_PAIR}, nb = {.socket_type = ZMTP_PAIR};
    zmtp_handshake *a = hs(&na), *b = hs(&nb);
    run_pair(a, b, SIZE_MAX);
    cr_assert_eq(zmtp_handshake_status(a), DONE);
    cr_assert_null(zmtp_handshake_take_crypto(a));
    zmtp_handshake_free(a);
    zmtp_handshake_free(b);
    uint8_t w[64];
    cr_assert_eq(zmtp_crypto_seal(NULL, w, sizeof w, 0, "x", 1), ZMTP_E_INVAL);
}

/* A CURVE client and a NULL or PLAIN server never get past the greeting. */
Test(curve, mechanism_mismatch)
{
    keys k;
    make_keys(&k);
    zmtp_handshake_config cc = client_cfg(&k, ZMTP_DEALER);
    zmtp_handshake_config others[] = {
        {.socket_type = ZMTP_ROUTER},
        {.socket_type = ZMTP_ROUTER, .mechanism = ZMTP_MECH_PLAIN, .as_server = 1},
    };
    for (int i = 0; i < 2; i++) {
        zmtp_handshake *c = hs(&cc), *s = hs(&others[i]);
        run_pair(c, s, 5);
        cr_assert_eq(zmtp_handshake_status(c), ZMTP_E_MECHANISM);
        zmtp_handshake_free(c);
        zmtp_handshake_free(s);
    }
}

/* After a CURVE handshake every frame is a MESSAGE, so a command frame may be as large as
 * a message: with STREAM_COMMANDS it streams as one does, and without it fails. */
Test(curve, decoder_streams_large_commands)
{
    static uint8_t stream[9 + 10000];
    int h = zmtp_frame_header(stream, ZMTP_FLAG_COMMAND, 10000);
    memcpy(stream + h, "\x07MESSAGE", 8);
    fill(stream + h + 8, 10000 - 8, 3);
    uint8_t scratch[ZMTP_DECODER_MIN_SCRATCH];
    for (int opt = 0; opt < 2; opt++) {
        zmtp_decoder d;
        zmtp_decoder_init(&d, scratch, sizeof scratch, 0);
        if (opt)
            zmtp_decoder_set_options(&d, ZMTP_DEC_STREAM_COMMANDS);
        zmtp_event ev;
        ptrdiff_t r = zmtp_decoder_feed(&d, stream, (size_t)h + 10000, &ev);
        if (!opt) {
            cr_assert_eq(r, ZMTP_E_COMMAND_TOO_LARGE);
            continue;
        }
        cr_assert(r == h && ev.type == ZMTP_EV_HEADER && ev.size == 10000 &&
                  (ev.flags & ZMTP_FLAG_COMMAND));
        r = zmtp_decoder_feed(&d, stream + h, 10000, &ev);
        cr_assert(r == 10000 && ev.type == ZMTP_EV_BODY && ev.last && ev.len == 10000);
    }
}
