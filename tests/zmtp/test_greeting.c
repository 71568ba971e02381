/* Greeting: ours byte for byte, the peer's decoded whole and byte by byte against a
 * guard page, the version spoken with a 3.0 peer, and non-ZMTP peers named at the
 * earliest byte that tells them apart. */
#include "testutil.h"

typedef struct greet_ctx {
    zmtp_greeting_decoder dec;
    zmtp_greeting g;
    int done;
    size_t fed;
} greet_ctx;

static ptrdiff_t greet_consume(void *vctx, const uint8_t *p, size_t n)
{
    greet_ctx *c = vctx;
    cr_assert(!c->done, "bytes fed after the greeting was complete");
    ptrdiff_t r = zmtp_greeting_decode(&c->dec, p, n, &c->g, &c->done);
    if (r >= 0)
        c->fed += (size_t)r;
    return r;
}

/* Decodes s in every split; all must agree. Returns the status, *out from whole. */
static ptrdiff_t greet_all(const uint8_t *s, size_t len, greet_ctx *out)
{
    ptrdiff_t st = 0;
    for (int m = FEED_WHOLE; m <= FEED_RANDOM; m++) {
        greet_ctx c;
        memset(&c, 0, sizeof c);
        zmtp_greeting_decoder_init(&c.dec);
        ptrdiff_t r = feed_stream(s, len, (feed_mode)m, 7, greet_consume, &c);
        if (m == FEED_WHOLE) {
            st = r;
            *out = c;
        } else {
            cr_assert_eq(r, st, "mode %d", m);
            cr_assert_eq(c.done, out->done, "mode %d", m);
            cr_assert(memcmp(&c.g, &out->g, sizeof c.g) == 0, "mode %d", m);
        }
    }
    return st;
}

/* Feeds s one byte at a time; returns the 1-based index of the byte that produced
 * the error (0 if none) and stores the error. */
static size_t error_at(const uint8_t *s, size_t len, int *err)
{
    guard g;
    guard_open(&g, 1);
    zmtp_greeting_decoder d;
    zmtp_greeting out;
    int done;
    zmtp_greeting_decoder_init(&d);
    *err = 0;
    for (size_t i = 0; i < len; i++) {
        ptrdiff_t r = zmtp_greeting_decode(&d, guard_put(&g, s + i, 1), 1, &out, &done);
        if (r < 0) {
            *err = (int)r;
            /* sticky: more bytes change nothing */
            cr_assert_eq(zmtp_greeting_decode(&d, guard_put(&g, "x", 1), 1, &out, &done), r);
            guard_close(&g);
            return i + 1;
        }
        cr_assert_eq(r, 1);
    }
    guard_close(&g);
    return 0;
}

static void make_greeting(uint8_t *g, int major, int minor, const char *mech, int server)
{
    cr_assert_eq(zmtp_greeting_encode(g, mech, server), ZMTP_OK);
    g[10] = (uint8_t)major;
    g[11] = (uint8_t)minor;
}

Test(greeting, ours_is_3_1_byte_for_byte)
{
    uint8_t g[64], want[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1, 'P', 'L', 'A', 'I', 'N'};
    want[32] = 1;
    cr_assert_eq(zmtp_greeting_encode(g, "PLAIN", 1), ZMTP_OK);
    cr_assert(memcmp(g, want, 64) == 0);
    cr_assert_eq(zmtp_greeting_encode(g, "NULL", 0), ZMTP_OK);
    cr_assert_eq(g[32], 0);
    cr_assert(memcmp(g + 12, "NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20) == 0);
    for (int i = 33; i < 64; i++)
        cr_assert_eq(g[i], 0);
    cr_assert_eq(zmtp_greeting_encode(g, "", 0), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_greeting_encode(g, "ABCDEFGHIJKLMNOPQRSTU", 0), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_greeting_encode(g, "ABCDEFGHIJKLMNOPQRST", 0), ZMTP_OK);
}

Test(greeting, decoded_whole_and_byte_by_byte)
{
    uint8_t g[64];
    make_greeting(g, 3, 1, "PLAIN", 1);
    greet_ctx c;
    cr_assert_eq(greet_all(g, 64, &c), 0);
    cr_assert(c.done);
    cr_assert_eq(c.fed, 64);
    cr_assert_eq(c.g.major, 3);
    cr_assert_eq(c.g.minor, 1);
    cr_assert_str_eq(c.g.mechanism, "PLAIN");
    cr_assert_eq(c.g.as_server, 1);
    /* 63 bytes: not done, nothing decided */
    cr_assert_eq(greet_all(g, 63, &c), 0);
    cr_assert(!c.done);
}

/* The padding is never validated: libzmq puts its routing-id length there. */
Test(greeting, padding_ignored_and_only_bit0_of_byte9)
{
    uint8_t g[64];
    make_greeting(g, 3, 1, "NULL", 0);
    memset(g + 1, 0xa5, 8);
    g[9] = 0x01;
    greet_ctx c;
    cr_assert_eq(greet_all(g, 64, &c), 0);
    cr_assert(c.done);
}

/* A 3.0 peer is spoken to in 3.0; any later version gets 3.1; equality is never
 * demanded. */
Test(greeting, version_negotiation)
{
    const struct { int major, minor, want; } v[] = {
        {3, 0, 0}, {3, 1, 1}, {3, 2, 1}, {3, 255, 1}, {4, 0, 1}, {255, 255, 1}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t g[64];
        make_greeting(g, v[i].major, v[i].minor, "NULL", 0);
        greet_ctx c;
        cr_assert_eq(greet_all(g, 64, &c), 0, "%d.%d", v[i].major, v[i].minor);
        cr_assert(c.done);
        cr_assert_eq(zmtp_version_negotiate(&c.g), v[i].want, "%d.%d", v[i].major, v[i].minor);
    }
}

Test(greeting, http_named_within_the_method)
{
    const char *reqs[] = {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD /health HTTP/1.0\r\n\r\n",
                          "POST /x HTTP/1.1\r\n\r\n", "OPTIONS * HTTP/1.1\r\n\r\n",
                          "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"};
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        int err;
        size_t at = error_at((const uint8_t *)reqs[i], strlen(reqs[i]), &err);
        cr_assert_eq(err, ZMTP_E_HTTP, "%s", reqs[i]);
        cr_assert_eq(at, (size_t)(strchr(reqs[i], ' ') - reqs[i]) + 1, "%s: at %zu", reqs[i], at);
        greet_ctx c;
        cr_assert_eq(greet_all((const uint8_t *)reqs[i], strlen(reqs[i]), &c), ZMTP_E_HTTP);
    }
}

Test(greeting, tls_named_at_byte_2)
{
    const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03};
    int err;
    cr_assert_eq(error_at(hello, sizeof hello, &err), 2);
    cr_assert_eq(err, ZMTP_E_TLS);
}

/* ZMTP 1.0 opens with an identity frame (length byte, flags byte); with a long
 * identity it opens 0xFF + 8-byte length whose last byte may be even. ZMTP 2.0 has
 * the signature but revision 1 at byte 10. */
Test(greeting, old_versions_named)
{
    const uint8_t v10[] = {0x01, 0x00};
    const uint8_t v10_id[] = {0x04, 0x00, 'a', 'b', 'c'};
    uint8_t v10_long[12] = {0xff, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
    uint8_t v20[12] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x05};
    uint8_t v2x[12] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x02, 0x00};
    int err;
    cr_assert_eq(error_at(v10, sizeof v10, &err), 2);
    cr_assert_eq(err, ZMTP_E_OLD_VERSION);
    cr_assert_eq(error_at(v10_id, sizeof v10_id, &err), 2);
    cr_assert_eq(err, ZMTP_E_OLD_VERSION);
    cr_assert_eq(error_at(v10_long, sizeof v10_long, &err), 10);
    cr_assert_eq(err, ZMTP_E_OLD_VERSION);
    cr_assert_eq(error_at(v20, sizeof v20, &err), 11);
    cr_assert_eq(err, ZMTP_E_OLD_VERSION);
    cr_assert_eq(error_at(v2x, sizeof v2x, &err), 11);
    cr_assert_eq(err, ZMTP_E_OLD_VERSION);
}

Test(greeting, noise_named_early)
{
    const uint8_t noise[] = {0x42, 0x99, 0x13, 0x37};
    const uint8_t crlf[] = "\r\n\r\n";
    const uint8_t zero[] = {0x00, 0x00, 0x00};
    int err;
    cr_assert_eq(error_at(noise, sizeof noise, &err), 2);
    cr_assert_eq(err, ZMTP_E_NOT_ZMTP);
    cr_assert_eq(error_at(crlf, 4, &err), 2);
    cr_assert_eq(err, ZMTP_E_NOT_ZMTP);
    cr_assert_eq(error_at(zero, sizeof zero, &err), 2);
    cr_assert_eq(err, ZMTP_E_NOT_ZMTP);
    /* a lone byte cannot be judged yet */
    cr_assert_eq(error_at(noise, 1, &err), 0);
}

/* A decoder stops at the 64th byte: what follows is the handshake's. */
Test(greeting, stops_at_64)
{
    uint8_t s[70];
    make_greeting(s, 3, 1, "NULL", 0);
    memcpy(s + 64, "\x04\x05\x05READY", 6);
    guard g;
    guard_open(&g, sizeof s);
    zmtp_greeting_decoder d;
    zmtp_greeting out;
    int done;
    zmtp_greeting_decoder_init(&d);
    cr_assert_eq(zmtp_greeting_decode(&d, guard_put(&g, s, sizeof s), sizeof s, &out, &done), 64);
    cr_assert(done);
    guard_close(&g);
}
