/* fuzz_zmtp.c - one libFuzzer target for the whole codec. Input: a selector byte, a
 * split byte, a config byte, then the peer's stream.
 *   selector % 6: 0 greeting, 1 frame decoder (config bits 5-6: 1 ZMTP 1.0 framing, 2
 *   ZMTP 2.0, else 3.x), 2 handshake (NULL, PLAIN; ZMTP 1.0/2.0 peers too), 3 command and
 *   metadata parsers, 4 CURVE handshake fed the stream as it is, 5 CURVE behind boxes
 *   that open: a scripted peer (tests/zmtp/curve_peer.h) seals the input's metadata and
 *   frames so the fuzzer gets past the crypto to what is inside.
 * Besides crashes, leaks and over-reads (ASan; every chunk is copied to a buffer of its
 * exact size so reading one byte past it is caught), the target checks the decoders'
 * promise: the stream fed whole and fed in the split's chunks gives the same events,
 * the same bytes consumed and the same error. A difference traps. */
#include "zmtp.h"

#include "curve_peer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_zmtp.c:%d: %s\n", __LINE__, #cond); \
            __builtin_trap(); \
        } \
    } while (0)

typedef struct hash {
    uint64_t h;
} hash;

static void mix(hash *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h->h = (h->h ^ b[i]) * UINT64_C(0x100000001b3);
}

static void mix_u64(hash *h, uint64_t v)
{
    mix(h, &v, sizeof v);
}

/* Chunk i of the stream: whole when split is 0, else 1..split bytes varying with i. */
static size_t chunk_len(uint8_t split, size_t i, size_t left)
{
    size_t n = split == 0 ? left : 1 + (i * 7 + split) % split;
    return n < left ? n : left;
}

/* An exact-size heap copy, so ASan sees any read past the chunk. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    CHECK(c);
    if (n)
        memcpy(c, p, n);
    return c;
}

/* ---- greeting ---- */

typedef struct greet_result {
    ptrdiff_t status;
    size_t used;
    int done;
    zmtp_greeting g;
} greet_result;

static greet_result run_greeting(const uint8_t *s, size_t len, uint8_t split)
{
    greet_result r;
    memset(&r, 0, sizeof r);
    zmtp_greeting_decoder d;
    zmtp_greeting_decoder_init(&d);
    for (size_t i = 0; r.used < len && !r.done; i++) {
        size_t n = chunk_len(split, i, len - r.used);
        uint8_t *c = dup_exact(s + r.used, n);
        ptrdiff_t k = zmtp_greeting_decode(&d, c, n, &r.g, &r.done);
        free(c);
        if (k < 0) {
            r.status = k;
            break;
        }
        CHECK((size_t)k <= n);
        CHECK(r.done || (size_t)k == n);
        r.used += (size_t)k;
    }
    if (r.done)
        (void)zmtp_version_negotiate(&r.g);
    return r;
}

static void fuzz_greeting(const uint8_t *s, size_t len, uint8_t split)
{
    greet_result a = run_greeting(s, len, 0), b = run_greeting(s, len, split);
    CHECK(a.status == b.status && a.done == b.done);
    if (a.status == 0)
        CHECK(a.used == b.used);
    if (a.done)
        CHECK(memcmp(&a.g, &b.g, sizeof a.g) == 0);
}

/* ---- frames ---- */

typedef struct frame_result {
    ptrdiff_t status;
    size_t used;
    hash h;
} frame_result;

/* BODY chunks contribute their bytes only: how a large body is chunked depends on
 * the split, and is the one thing allowed to. */
static void mix_event(hash *h, const zmtp_event *ev)
{
    if (ev->type == ZMTP_EV_NONE)
        return;
    if (ev->type == ZMTP_EV_BODY) {
        mix(h, ev->data, ev->len);
        return;
    }
    mix_u64(h, (uint64_t)ev->type);
    mix_u64(h, ev->flags & ~ZMTP_FLAG_LONG);
    mix_u64(h, ev->size);
    if (ev->type == ZMTP_EV_COMMAND) {
        const zmtp_command *c = &ev->cmd;
        mix_u64(h, c->type);
        mix(h, c->name, c->name_len);
        mix_u64(h, c->ttl);
        mix(h, c->context, c->context_len);
        mix(h, c->username, c->username_len);
        mix(h, c->password, c->password_len);
        mix(h, c->reason, c->reason_len);
        CHECK(c->data + c->data_len == ev->data + ev->len);
    }
    if (ev->type != ZMTP_EV_HEADER)
        mix(h, ev->data, ev->len);
}

/* skip: take large bodies through zmtp_decoder_body_skip() as a caller reading them
 * straight into its own buffer would, hashing the bytes from the input instead. */
static frame_result run_frames(const uint8_t *s, size_t len, uint8_t split, uint8_t cfg, int skip)
{
    frame_result r;
    memset(&r, 0, sizeof r);
    size_t scratch_cap = ZMTP_DECODER_MIN_SCRATCH + (size_t)(cfg & 0x0f) * 64;
    uint64_t max = (cfg & 0x10) ? 700 : 0;
    uint8_t *scratch = malloc(scratch_cap);
    CHECK(scratch);
    zmtp_decoder d;
    CHECK(zmtp_decoder_init(&d, scratch, scratch_cap, max) == ZMTP_OK);
    int framing = (cfg >> 5) & 3;
    if (framing == ZMTP_FRAMING_V1 || framing == ZMTP_FRAMING_V2)
        CHECK(zmtp_decoder_set_framing(&d, framing) == ZMTP_OK);
    for (size_t i = 0; r.used < len; i++) {
        size_t n = chunk_len(split, i, len - r.used);
        uint8_t *c = dup_exact(s + r.used, n);
        size_t off = 0;
        while (off < n) {
            zmtp_event ev;
            ptrdiff_t k = zmtp_decoder_feed(&d, c + off, n - off, &ev);
            if (k < 0) {
                r.status = k;
                CHECK(d.state == ZMTP_DEC_FAILED);
                CHECK(zmtp_decoder_feed(&d, c, n, &ev) == k);
                break;
            }
            CHECK(k > 0 && (size_t)k <= n - off);
            CHECK(ev.type != ZMTP_EV_NONE || (size_t)k == n - off);
            if (ev.type == ZMTP_EV_FRAME || ev.type == ZMTP_EV_COMMAND)
                CHECK(ev.len == ev.size && ev.len <= scratch_cap);
            if (ev.type == ZMTP_EV_HEADER)
                CHECK(ev.size > scratch_cap && !(ev.flags & ZMTP_FLAG_COMMAND));
            /* older framings have no commands; 1.0's flags come out as MORE alone */
            if (framing == ZMTP_FRAMING_V1 || framing == ZMTP_FRAMING_V2)
                CHECK(ev.type != ZMTP_EV_COMMAND && !(ev.flags & ZMTP_FLAG_COMMAND));
            if (framing == ZMTP_FRAMING_V1)
                CHECK(!(ev.flags & ~ZMTP_FLAG_MORE));
            if (max)
                CHECK(ev.size <= max);
            off += (size_t)k;
            mix_event(&r.h, &ev);
            if (skip && ev.type == ZMTP_EV_HEADER) {
                uint64_t left = zmtp_decoder_body_remaining(&d);
                size_t take = left < n - off ? (size_t)left : n - off;
                mix(&r.h, c + off, take);
                CHECK(zmtp_decoder_body_skip(&d, take) == left - take);
                off += take;
            }
        }
        free(c);
        r.used += off;
        if (r.status)
            break;
        /* bodies skipped past this chunk continue in the next ones */
        while (skip && zmtp_decoder_body_remaining(&d) && r.used < len) {
            uint64_t left = zmtp_decoder_body_remaining(&d);
            size_t take = left < len - r.used ? (size_t)left : len - r.used;
            mix(&r.h, s + r.used, take);
            zmtp_decoder_body_skip(&d, take);
            r.used += take;
        }
    }
    free(scratch);
    return r;
}

static void fuzz_frames(const uint8_t *s, size_t len, uint8_t split, uint8_t cfg)
{
    frame_result a = run_frames(s, len, 0, cfg, 0);
    frame_result b = run_frames(s, len, split, cfg, 0);
    frame_result c = run_frames(s, len, split, cfg, 1);
    CHECK(a.status == b.status && a.status == c.status);
    CHECK(a.h.h == b.h.h && a.h.h == c.h.h);
    /* after an error, what was consumed before the failing call depends on the split */
    if (a.status == 0)
        CHECK(a.used == len && b.used == len && c.used == len);
}

/* ---- handshake ---- */

/* ---- CURVE's keys and randomness: fixed, so that every run replays ---- */

static uint8_t server_sec[32], server_pub[32], client_sec[32], client_pub[32];

static void keys_once(void)
{
    static int done;
    if (done)
        return;
    CHECK(sodium_init() >= 0);
    memset(server_sec, 0x11, 32);
    memset(client_sec, 0x22, 32);
    CHECK(crypto_scalarmult_base(server_pub, server_sec) == 0);
    CHECK(crypto_scalarmult_base(client_pub, client_sec) == 0);
    done = 1;
}

static void fuzz_random(void *arg, uint8_t *buf, size_t len)
{
    uint64_t *x = arg;
    for (size_t i = 0; i < len; i++) {
        *x = *x * 6364136223846793005u + 1442695040888963407u;
        buf[i] = (uint8_t)(*x >> 33);
    }
}

/* The ZAP status the fuzzed handshake's authority gives: admin/secret (or NULL's empty
 * credentials, when cfgb says so, or the CURVE client's key) in; the rest refused
 * loudly (400) or silently (300). */
static int check_cred(uint8_t cfgb, const uint8_t *u, size_t ul, const uint8_t *p, size_t pl)
{
    if (ul == 5 && memcmp(u, "admin", 5) == 0 && pl == 6 && memcmp(p, "secret", 6) == 0)
        return 200;
    if (ul == 32 && pl == 0 && memcmp(u, client_pub, 32) == 0)
        return 200;
    if (ul == 0 && (cfgb & 0x40))
        return 200;
    return ul & 1 ? 300 : 400;
}

/* Gives the verdict the handshake waits for, if it waits. */
static void answer_auth(zmtp_handshake *h, uint8_t cfgb)
{
    if (zmtp_handshake_status(h) != ZMTP_HS_AUTH)
        return;
    const uint8_t *u, *p;
    size_t ul, pl;
    zmtp_handshake_credentials(h, &u, &ul, &p, &pl);
    int rc = zmtp_handshake_auth(h, check_cred(cfgb, u, ul, p, pl));
    CHECK(rc == ZMTP_OK || rc == ZMTP_E_AUTH_DENIED);
    CHECK(zmtp_handshake_status(h) != ZMTP_HS_AUTH);
}

typedef struct hs_result {
    int status, minor, peer_type;
    size_t used, out_total;
    hash h;
} hs_result;

static hs_result run_handshake(const uint8_t *s, size_t len, uint8_t split, uint8_t cfgb,
                               int curve)
{
    hs_result r;
    memset(&r, 0, sizeof r);
    uint64_t rng = 0x5eed;
    zmtp_property props[] = {{"Identity", 8, "fz", 2}, {"X-Fuzz", 6, "", 0}};
    zmtp_handshake_config cfg = {
        .socket_type = cfgb % 11,
        .mechanism = (cfgb & 0x10) ? ZMTP_MECH_PLAIN : ZMTP_MECH_NULL,
        .as_server = (cfgb & 0x20) != 0,
        .username = "admin",
        .password = (cfgb & 0x40) ? "secret" : "wrong",
        .auth = (cfgb & 0x20) != 0, /* NULL with a ZAP domain */
        .props = props,
        .nprops = (cfgb & 0x80) ? 2 : 0,
        .max_command = 600,
    };
    if (curve) {
        /* 0x10 picks the side here: CURVE has no password to get wrong */
        cfg.mechanism = ZMTP_MECH_CURVE;
        cfg.as_server = (cfgb & 0x10) != 0;
        cfg.curve_public = client_pub;
        cfg.curve_secret = cfg.as_server ? server_sec : client_sec;
        cfg.curve_server = server_pub;
        cfg.random = fuzz_random;
        cfg.random_arg = &rng;
    }
    int err;
    zmtp_handshake *h = zmtp_handshake_new(&cfg, &err);
    CHECK(h);
    for (size_t i = 0;; i++) {
        answer_auth(h, cfgb);
        const uint8_t *out;
        size_t on = zmtp_handshake_output(h, &out);
        mix(&r.h, out, on);
        r.out_total += on;
        zmtp_handshake_sent(h, on);
        if (r.used == len || zmtp_handshake_status(h) != ZMTP_HS_RUNNING)
            break;
        size_t n = chunk_len(split, i, len - r.used);
        uint8_t *c = dup_exact(s + r.used, n);
        ptrdiff_t k = zmtp_handshake_feed(h, c, n);
        free(c);
        if (k < 0) {
            CHECK(k == zmtp_handshake_status(h));
            on = zmtp_handshake_output(h, &out);
            mix(&r.h, out, on);
            r.out_total += on;
            break;
        }
        CHECK((size_t)k <= n);
        r.used += (size_t)k;
        if ((size_t)k < n)
            CHECK(zmtp_handshake_status(h) == ZMTP_HS_DONE ||
                  zmtp_handshake_status(h) == ZMTP_HS_AUTH);
    }
    r.status = zmtp_handshake_status(h);
    r.minor = zmtp_handshake_minor(h);
    /* an old peer's handshake is NULL's alone, and says its framing */
    if (r.status == ZMTP_HS_DONE && zmtp_handshake_framing(h) != ZMTP_FRAMING_V3)
        CHECK(cfg.mechanism == ZMTP_MECH_NULL && !cfg.auth && r.minor == 0);
    mix_u64(&r.h, (uint64_t)zmtp_handshake_framing(h));
    mix_u64(&r.h, (uint64_t)zmtp_handshake_peer_unversioned(h));
    r.peer_type = zmtp_handshake_peer_socket_type(h);
    const uint8_t *p;
    size_t pl;
    zmtp_handshake_peer_metadata(h, &p, &pl);
    mix(&r.h, p, pl);
    if (zmtp_handshake_peer_routing_id(h, &p, &pl))
        mix(&r.h, p, pl);
    const uint8_t *pw;
    size_t pwl;
    zmtp_handshake_credentials(h, &p, &pl, &pw, &pwl);
    mix(&r.h, p, pl);
    mix(&r.h, pw, pwl);
    zmtp_handshake_error_reason(h, &p, &pl);
    mix(&r.h, p, pl);
    zmtp_handshake_free(h);
    return r;
}

static void fuzz_handshake(const uint8_t *s, size_t len, uint8_t split, uint8_t cfg, int curve)
{
    hs_result a = run_handshake(s, len, 0, cfg, curve);
    hs_result b = run_handshake(s, len, split, cfg, curve);
    CHECK(a.status == b.status && a.minor == b.minor && a.peer_type == b.peer_type);
    CHECK(a.h.h == b.h.h && a.out_total == b.out_total);
    if (a.status >= 0)
        CHECK(a.used == b.used);
}

/* ---- parsers ---- */

static void fuzz_parsers(const uint8_t *s, size_t len)
{
    uint8_t *c = dup_exact(s, len);
    zmtp_command cmd;
    if (zmtp_command_parse(c, len, &cmd) == ZMTP_OK) {
        CHECK(cmd.data >= c && cmd.data + cmd.data_len == c + len);
        CHECK(cmd.context_len <= ZMTP_PING_MAX_CONTEXT);
    }
    int valid = zmtp_metadata_validate(c, len) == ZMTP_OK;
    size_t pos = 0, count = 0;
    zmtp_property p;
    int rc;
    while ((rc = zmtp_metadata_next(c, len, &pos, &p)) == 1) {
        CHECK(pos <= len);
        count++;
    }
    CHECK(valid == (rc == 0));
    zmtp_metadata_find(c, len, "Socket-Type", &p);
    const uint8_t *t;
    size_t tl;
    zmtp_subscription_message_parse(c, len, &t, &tl);
    (void)zmtp_socket_type_parse(c, len);
    free(c);
    (void)count;
}

/* ---- CURVE behind boxes that open ---- */

/* Input after the prefix: [md_len][md] for the peer's READY or INITIATE, then frames
 * [nonce step][inner flags][size, 2 bytes LE][body], each sealed by the peer with its
 * nonce moved on by the step (0: the last one again) unless cfg says raw, in which case
 * [size][body] goes to zmtp_crypto_open as the MESSAGE's body itself.
 * cfg: 0x01 the codec is the server (the peer the client), else the client; 0x0e what
 * the peer breaks (curve_peer.h's cp_tamper, one at a time; as server: READY's box);
 * 0x10 raw frames. */

typedef struct sealed_result {
    int status;   /* the handshake's */
    int open_err; /* the first failed open, or 0 */
    size_t opened;
    hash h;
} sealed_result;

/* Feeds the peer's bytes to h in split's chunks, each an exact-size copy. */
static int feed_split(zmtp_handshake *h, const uint8_t *b, size_t n, uint8_t split)
{
    size_t used = 0;
    for (size_t i = 0; used < n; i++) {
        size_t k = chunk_len(split, i, n - used);
        uint8_t *c = dup_exact(b + used, k);
        ptrdiff_t r = zmtp_handshake_feed(h, c, k);
        free(c);
        if (r < 0)
            return (int)r;
        used += (size_t)r;
        if ((size_t)r < k)
            break; /* it stopped: AUTH or DONE */
    }
    return zmtp_handshake_status(h);
}

/* The data of the next command the codec sends (after *skip bytes of greeting), copied to
 * out (cap bytes); its length, or -1 if there is none or it is not `name`. */
static long take_command(zmtp_handshake *h, size_t *skip, const char *name, uint8_t *out,
                         size_t cap, hash *hh)
{
    const uint8_t *o;
    size_t n = zmtp_handshake_output(h, &o);
    CHECK(n >= *skip);
    mix(hh, o + *skip, n - *skip);
    uint8_t scratch[ZMTP_DECODER_MIN_SCRATCH * 2];
    zmtp_decoder d;
    CHECK(zmtp_decoder_init(&d, scratch, sizeof scratch, 0) == ZMTP_OK);
    zmtp_decoder_set_options(&d, ZMTP_DEC_OPAQUE_HANDSHAKE);
    zmtp_event ev;
    ptrdiff_t r = zmtp_decoder_feed(&d, o + *skip, n - *skip, &ev);
    zmtp_handshake_sent(h, n);
    *skip = 0;
    if (r <= 0 || ev.type != ZMTP_EV_COMMAND || ev.cmd.name_len != strlen(name) ||
        memcmp(ev.cmd.name, name, ev.cmd.name_len) != 0 || ev.cmd.data_len > cap)
        return -1;
    memcpy(out, ev.cmd.data, ev.cmd.data_len);
    return (long)ev.cmd.data_len;
}

/* The handshake, the codec on one side and the scripted peer on the other. On DONE,
 * *x is the codec's crypto. */
static int sealed_handshake(const uint8_t *md, size_t md_len, uint8_t split, uint8_t cfg,
                            cpeer *peer, zmtp_crypto **x, hash *hh)
{
    static uint8_t b[4096];
    uint64_t rng = 0x5eed;
    int server = cfg & 0x01, fault = (cfg >> 1) & 7;
    cp_tamper t = {0};
    static const uint8_t stray_cookie[96] = {1};
    switch (server ? fault : 0) {
    case 1: t.hello_version = true; break;
    case 2: t.hello_box_not_zero = true; break;
    case 3: t.vouch_other_server = true; break;
    case 4: t.vouch_other_cn = true; break;
    case 5: t.initiate_old_nonce = true; break;
    case 6: t.cookie = stray_cookie; break;
    default: break;
    }
    zmtp_handshake_config c = {
        .socket_type = server ? ZMTP_ROUTER : ZMTP_DEALER,
        .mechanism = ZMTP_MECH_CURVE,
        .as_server = server,
        .curve_public = client_pub,
        .curve_secret = server ? server_sec : client_sec,
        .curve_server = server_pub,
        .random = fuzz_random,
        .random_arg = &rng,
    };
    int err;
    zmtp_handshake *h = zmtp_handshake_new(&c, &err);
    CHECK(h);
    if (server)
        cp_init(peer, false, client_pub, client_sec, server_pub, 3);
    else
        cp_init(peer, true, server_pub, server_sec, NULL, 3);
    zmtp_greeting_encode(b, "CURVE", 0);
    size_t skip = ZMTP_GREETING_SIZE, n = ZMTP_GREETING_SIZE;
    long dl;
    int st;
    if (server) {
        n += cp_hello(peer, b + n, &t);
        if ((st = feed_split(h, b, n, split)) != ZMTP_HS_RUNNING)
            goto out;
        CHECK((dl = take_command(h, &skip, "WELCOME", b, sizeof b, hh)) > 0);
        CHECK(cp_on_welcome(peer, b, (size_t)dl) == 0);
        n = cp_initiate(peer, b, md, md_len, &t);
        if ((st = feed_split(h, b, n, split)) != ZMTP_HS_AUTH)
            goto out;
        const uint8_t *u, *p;
        size_t ul, pl;
        zmtp_handshake_credentials(h, &u, &ul, &p, &pl);
        CHECK(ul == 32 && memcmp(u, client_pub, 32) == 0 && pl == 0);
        CHECK(zmtp_handshake_auth(h, 200) == ZMTP_OK);
        st = zmtp_handshake_status(h);
        CHECK(st == ZMTP_HS_DONE);
        uint8_t got[512];
        CHECK((dl = take_command(h, &skip, "READY", b, sizeof b, hh)) > 0);
        CHECK(cp_on_ready(peer, b, (size_t)dl, got, sizeof got) >= 0);
    } else {
        if ((st = feed_split(h, b, n, split)) != ZMTP_HS_RUNNING)
            goto out;
        CHECK((dl = take_command(h, &skip, "HELLO", b, sizeof b, hh)) > 0);
        CHECK(cp_on_hello(peer, b, (size_t)dl) == 0);
        n = cp_welcome(peer, b);
        if ((st = feed_split(h, b, n, split)) != ZMTP_HS_RUNNING)
            goto out;
        CHECK((dl = take_command(h, &skip, "INITIATE", b, sizeof b, hh)) > 0);
        CHECK(cp_on_initiate(peer, b, (size_t)dl) == 0);
        CHECK(memcmp(peer->peer_pub, client_pub, 32) == 0);
        n = cp_ready(peer, b, md, md_len);
        if (fault == 1)
            b[n - 1] ^= 0x40; /* READY's box, tampered with */
        st = feed_split(h, b, n, split);
    }
out:
    CHECK(st == ZMTP_HS_DONE || st < 0); /* AUTH is answered; nothing else waits */
    /* a peer that broke a check never gets through, whatever the metadata */
    if (server ? fault >= 1 && fault <= 6 : fault == 1)
        CHECK(st < 0);
    if (st == ZMTP_HS_DONE) {
        /* what the peer said of itself came out of its box intact */
        const uint8_t *pm;
        size_t pml;
        zmtp_handshake_peer_metadata(h, &pm, &pml);
        CHECK(pml == md_len && (md_len == 0 || memcmp(pm, md, md_len) == 0));
        *x = zmtp_handshake_take_crypto(h);
        CHECK(*x);
    }
    zmtp_handshake_free(h);
    return st;
}

/* One frame the peer sealed, opened by the codec; the oracle: it opens exactly when the
 * nonce moved on and the inner flags are one of the three libzmq sends. */
static int open_sealed(zmtp_crypto *x, cpeer *peer, uint64_t *last, const uint8_t *f,
                       size_t len, sealed_result *r)
{
    static uint8_t w[ZMTP_MAX_HEADER + 33 + 65536], back[ZMTP_MAX_HEADER + 33 + 65536 + 64];
    uint8_t step = f[0], inner = f[1];
    uint64_t v = *last + step;
    size_t n = cp_message(peer, w, inner, f + 4, len, v);
    size_t h = n - len - 33;
    uint8_t *body = dup_exact(w + h, n - h);
    int in_place = len & 1;
    uint8_t *out = in_place ? body + 32 : malloc(n - h - 32);
    unsigned flags;
    uint8_t *frame;
    size_t flen;
    int rc = zmtp_crypto_open(x, 0, body, n - h, out, n - h - 32, &flags, &frame, &flen);
    int ok = step != 0 && inner <= 2;
    CHECK((rc == ZMTP_OK) == ok);
    if (rc == ZMTP_OK) {
        *last = v;
        CHECK(flen == len && memcmp(frame, f + 4, len) == 0);
        mix(&r->h, frame, flen);
        zmtp_command cmd;
        if ((flags & ZMTP_FLAG_COMMAND) && zmtp_command_parse(frame, flen, &cmd) == ZMTP_OK)
            mix_u64(&r->h, cmd.type);
        /* and back: the codec seals, the peer opens */
        ptrdiff_t m = zmtp_crypto_seal(x, back, sizeof back, flags, frame, flen);
        CHECK(m > 0 && (uint64_t)m == zmtp_crypto_sealed_size(flen));
        size_t bh = (size_t)m - flen - 33;
        CHECK(back[0] == (bh == 9 ? ZMTP_FLAG_LONG : 0));
        static uint8_t plain[65536 + 64];
        CHECK(cp_open(peer, back + bh, (size_t)m - bh, plain) == (long)flen + 1);
        CHECK(plain[0] == inner && memcmp(plain + 1, f + 4, len) == 0);
    } else {
        CHECK(rc == ZMTP_E_NONCE || rc == ZMTP_E_RESERVED_FLAGS || rc == ZMTP_E_COMMAND_MORE);
    }
    if (!in_place)
        free(out);
    free(body);
    return rc;
}

static sealed_result run_sealed(const uint8_t *s, size_t len, uint8_t split, uint8_t cfg)
{
    sealed_result r;
    memset(&r, 0, sizeof r);
    size_t md_len = len ? s[0] : 0;
    if (md_len > len - (len ? 1 : 0))
        md_len = len ? len - 1 : 0;
    const uint8_t *md = s + (len ? 1 : 0);
    cpeer peer;
    zmtp_crypto *x = NULL;
    r.status = sealed_handshake(md, md_len, split, cfg, &peer, &x, &r.h);
    if (!x)
        return r;
    uint64_t last = peer.nonce - 1;
    size_t at = (len ? 1 : 0) + md_len;
    while (at + 4 <= len && !r.open_err) {
        const uint8_t *f = s + at;
        size_t flen = (size_t)f[2] | (size_t)f[3] << 8;
        if (flen > len - at - 4)
            flen = len - at - 4;
        at += 4 + flen;
        int rc;
        if (cfg & 0x10) {
            /* raw: the input is the MESSAGE body, no box built around it */
            uint8_t *body = dup_exact(f + 4, flen), *out = malloc(flen + 1);
            unsigned flags;
            uint8_t *frame;
            size_t fl;
            rc = zmtp_crypto_open(x, f[1] & ZMTP_FLAG_MORE, body, flen, out, flen + 1, &flags,
                                  &frame, &fl);
            if (rc == ZMTP_OK)
                mix(&r.h, frame, fl);
            free(body);
            free(out);
        } else {
            rc = open_sealed(x, &peer, &last, f, flen, &r);
        }
        if (rc < 0) {
            r.open_err = rc;
            uint8_t again[40] = "\x07MESSAGE";
            unsigned flags;
            uint8_t *frame;
            size_t fl;
            uint8_t out[40];
            CHECK(zmtp_crypto_open(x, 0, again, sizeof again, out, sizeof out, &flags, &frame,
                                   &fl) == rc); /* failed for good */
        } else {
            r.opened++;
        }
    }
    zmtp_crypto_free(x);
    return r;
}

static void fuzz_sealed(const uint8_t *s, size_t len, uint8_t split, uint8_t cfg)
{
    sealed_result a = run_sealed(s, len, 0, cfg), b = run_sealed(s, len, split, cfg);
    CHECK(a.status == b.status && a.open_err == b.open_err && a.opened == b.opened);
    CHECK(a.h.h == b.h.h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t sel = data[0], split = data[1], cfg = data[2];
    data += 3;
    size -= 3;
    switch (sel % 6) {
    case 0:
        fuzz_greeting(data, size, split);
        break;
    case 1:
        fuzz_frames(data, size, split, cfg);
        break;
    case 2:
        fuzz_handshake(data, size, split, cfg, 0);
        break;
    case 3:
        fuzz_parsers(data, size);
        break;
    case 4:
        keys_once();
        fuzz_handshake(data, size, split, cfg, 1);
        break;
    default:
        keys_once();
        fuzz_sealed(data, size, split, cfg);
        break;
    }
    return 0;
}
