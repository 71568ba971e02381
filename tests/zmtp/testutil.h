/* testutil.h - shared by the zmtp tests: inputs placed against a guard page, feeding a
 * stream whole / byte by byte / in random splits, and a transcript of decoded frames
 * that the split modes must reproduce exactly. */
#ifndef ZAIO_TESTS_ZMTP_TESTUTIL_H
#define ZAIO_TESTS_ZMTP_TESTUTIL_H

#include "zmtp.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A mapping whose last page is PROT_NONE; inputs are copied to end exactly at it, so
 * reading one byte past the input faults. */
typedef struct guard {
    uint8_t *base;
    size_t usable; /* bytes before the guard page */
} guard;

static inline void guard_open(guard *g, size_t max_len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g->usable = (max_len + page - 1) / page * page;
    if (g->usable == 0)
        g->usable = page;
    g->base = mmap(NULL, g->usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    cr_assert(g->base != MAP_FAILED);
    cr_assert(mprotect(g->base + g->usable, page, PROT_NONE) == 0);
}

static inline void guard_close(guard *g)
{
    munmap(g->base, g->usable + (size_t)sysconf(_SC_PAGESIZE));
}

/* The copy of data[0..len) that ends at the guard page. */
static inline const uint8_t *guard_put(guard *g, const void *data, size_t len)
{
    cr_assert(len <= g->usable);
    uint8_t *dst = g->base + g->usable - len;
    if (len)
        memcpy(dst, data, len);
    return dst;
}

typedef enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_RANDOM } feed_mode;

/* Consumes chunk[0..len); returns bytes consumed or a negative error. A consumer that
 * returns 0 with bytes left is stuck, which the driver reports as a failure. */
typedef ptrdiff_t (*consume_fn)(void *ctx, const uint8_t *chunk, size_t len);

/* Feeds stream[0..len) in the given split, each chunk against a guard page. Returns 0
 * or the first negative result. */
static inline ptrdiff_t feed_stream(const uint8_t *stream, size_t len, feed_mode mode,
                                    unsigned seed, consume_fn fn, void *ctx)
{
    guard g;
    guard_open(&g, len ? len : 1);
    size_t off = 0;
    ptrdiff_t rc = 0;
    while (off < len) {
        size_t n = len - off;
        if (mode == FEED_BYTES)
            n = 1;
        else if (mode == FEED_RANDOM) {
            seed = seed * 1103515245u + 12345u;
            size_t r = 1 + (seed >> 8) % 97;
            n = r < n ? r : n;
        }
        const uint8_t *chunk = guard_put(&g, stream + off, n);
        size_t used = 0;
        while (used < n) {
            ptrdiff_t r = fn(ctx, chunk + used, n - used);
            if (r < 0) {
                rc = r;
                goto out;
            }
            if (r == 0) {
                rc = -9999; /* stuck: never happens with a correct consumer */
                goto out;
            }
            used += (size_t)r;
        }
        off += n;
    }
out:
    guard_close(&g);
    return rc;
}

/* ---- two handshakes talking ---- */

/* Moves what from has to send into to, at most step bytes at a time. Returns bytes
 * moved; a negative feed result stops the transfer (the status says why). */
static inline size_t pump(zmtp_handshake *from, zmtp_handshake *to, size_t step, guard *g)
{
    const uint8_t *out;
    size_t n = zmtp_handshake_output(from, &out);
    if (n == 0 || zmtp_handshake_status(to) != ZMTP_HS_RUNNING)
        return 0;
    if (n > step)
        n = step;
    ptrdiff_t r = zmtp_handshake_feed(to, guard_put(g, out, n), n);
    if (r <= 0)
        return 0;
    zmtp_handshake_sent(from, (size_t)r);
    return (size_t)r;
}

/* The authority a test plays: the ZAP status for the credentials, counted. */
typedef int (*verdict_fn)(void *arg, const uint8_t *u, size_t ul, const uint8_t *p, size_t pl);

static inline size_t ask(zmtp_handshake *h, verdict_fn verdict, void *arg)
{
    if (!verdict || zmtp_handshake_status(h) != ZMTP_HS_AUTH)
        return 0;
    const uint8_t *u, *p;
    size_t ul, pl;
    zmtp_handshake_credentials(h, &u, &ul, &p, &pl);
    int rc = zmtp_handshake_auth(h, verdict(arg, u, ul, p, pl));
    cr_assert(rc == ZMTP_OK || rc == ZMTP_E_AUTH_DENIED, "%s", zmtp_strerror(rc));
    return 1;
}

static inline void run_pair_auth(zmtp_handshake *a, zmtp_handshake *b, size_t step,
                                 verdict_fn verdict, void *arg)
{
    guard g;
    guard_open(&g, 4096);
    for (int i = 0; i < 100000; i++)
        if (pump(a, b, step, &g) + pump(b, a, step, &g) + ask(a, verdict, arg) +
                ask(b, verdict, arg) == 0)
            break;
    guard_close(&g);
}

static inline void run_pair(zmtp_handshake *a, zmtp_handshake *b, size_t step)
{
    run_pair_auth(a, b, step, NULL, NULL);
}

static inline zmtp_handshake *hs(const zmtp_handshake_config *cfg)
{
    int err = 0;
    zmtp_handshake *h = zmtp_handshake_new(cfg, &err);
    cr_assert_not_null(h, "handshake_new: %s", zmtp_strerror(err));
    return h;
}

/* A growable byte log. */
typedef struct blog {
    uint8_t *p;
    size_t len, cap;
} blog;

static inline void blog_add(blog *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        cr_assert(b->p);
    }
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

static inline void blog_free(blog *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Decodes into a transcript: per frame "F" or "C", flags without LONG, 8-byte size, the
 * command type for commands, then the body. Large bodies are reassembled from chunks. */
typedef struct dec_ctx {
    zmtp_decoder dec;
    uint8_t *scratch;
    blog log;
    int frames, commands, headers, chunks;
    uint64_t stream_left;
} dec_ctx;

static inline void dec_ctx_init(dec_ctx *c, size_t scratch, uint64_t max)
{
    memset(c, 0, sizeof *c);
    c->scratch = malloc(scratch);
    cr_assert(zmtp_decoder_init(&c->dec, c->scratch, scratch, max) == ZMTP_OK);
}

static inline void dec_ctx_free(dec_ctx *c)
{
    free(c->scratch);
    blog_free(&c->log);
}

static inline void log_frame_head(blog *b, char kind, uint8_t flags, uint64_t size, int cmd)
{
    uint8_t f = (uint8_t)(flags & ~ZMTP_FLAG_LONG);
    uint8_t t = (uint8_t)cmd;
    blog_add(b, &kind, 1);
    blog_add(b, &f, 1);
    blog_add(b, &size, sizeof size);
    blog_add(b, &t, 1);
}

static inline ptrdiff_t dec_consume(void *vctx, const uint8_t *p, size_t n)
{
    dec_ctx *c = vctx;
    zmtp_event ev;
    ptrdiff_t r = zmtp_decoder_feed(&c->dec, p, n, &ev);
    if (r < 0)
        return r;
    switch (ev.type) {
    case ZMTP_EV_NONE:
        cr_assert_eq((size_t)r, n, "NONE must mean all input consumed");
        break;
    case ZMTP_EV_FRAME:
        cr_assert_eq(ev.len, ev.size);
        c->frames++;
        log_frame_head(&c->log, 'F', ev.flags, ev.size, 0);
        blog_add(&c->log, ev.data, ev.len);
        break;
    case ZMTP_EV_COMMAND:
        cr_assert_eq(ev.len, ev.size);
        c->commands++;
        log_frame_head(&c->log, 'C', ev.flags, ev.size, ev.cmd.type);
        blog_add(&c->log, ev.data, ev.len);
        break;
    case ZMTP_EV_HEADER:
        cr_assert_eq(c->stream_left, 0);
        c->headers++;
        c->stream_left = ev.size;
        log_frame_head(&c->log, 'F', ev.flags, ev.size, 0);
        break;
    case ZMTP_EV_BODY:
        cr_assert(ev.len <= c->stream_left);
        c->chunks++;
        c->stream_left -= ev.len;
        cr_assert_eq(ev.last, c->stream_left == 0);
        blog_add(&c->log, ev.data, ev.len);
        break;
    }
    /* An event that consumed nothing would loop forever; only a zero-length body in
     * one of our own states could do that, and it must not. */
    return r;
}

/* Decodes stream in mode; returns the final status (0 or the error) and the log. */
static inline ptrdiff_t decode_all(const uint8_t *s, size_t len, feed_mode mode, unsigned seed,
                                   size_t scratch, uint64_t max, dec_ctx *out)
{
    dec_ctx_init(out, scratch, max);
    return feed_stream(s, len, mode, seed, dec_consume, out);
}

#endif
