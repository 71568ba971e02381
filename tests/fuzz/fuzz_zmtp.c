/* fuzz_zmtp.c - one libFuzzer target for the whole codec. Input: a selector byte, a
 * split byte, a config byte, then the peer's stream.
 *   selector % 4: 0 greeting, 1 frame decoder, 2 handshake, 3 command/metadata parsers.
 * Besides crashes, leaks and over-reads (ASan; every chunk is copied to a buffer of its
 * exact size so reading one byte past it is caught), the target checks the decoders'
 * promise: the stream fed whole and fed in the split's chunks gives the same events,
 * the same bytes consumed and the same error. A difference traps. */
#include "zmtp.h"

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

/* The ZAP status the fuzzed handshake's authority gives: admin/secret (or NULL's empty
 * credentials, when cfgb says so) in; the rest refused loudly (400) or silently (300). */
static int check_cred(uint8_t cfgb, const uint8_t *u, size_t ul, const uint8_t *p, size_t pl)
{
    if (ul == 5 && memcmp(u, "admin", 5) == 0 && pl == 6 && memcmp(p, "secret", 6) == 0)
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

static hs_result run_handshake(const uint8_t *s, size_t len, uint8_t split, uint8_t cfgb)
{
    hs_result r;
    memset(&r, 0, sizeof r);
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

static void fuzz_handshake(const uint8_t *s, size_t len, uint8_t split, uint8_t cfg)
{
    hs_result a = run_handshake(s, len, 0, cfg), b = run_handshake(s, len, split, cfg);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t sel = data[0], split = data[1], cfg = data[2];
    data += 3;
    size -= 3;
    switch (sel % 4) {
    case 0:
        fuzz_greeting(data, size, split);
        break;
    case 1:
        fuzz_frames(data, size, split, cfg);
        break;
    case 2:
        fuzz_handshake(data, size, split, cfg);
        break;
    default:
        fuzz_parsers(data, size);
        break;
    }
    return 0;
}
