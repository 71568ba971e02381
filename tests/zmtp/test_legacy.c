/* Older peers: ZMTP 2.0 (RFC 15) and 1.0 (RFC 13) as libzmq 4.3.4 speaks them. The
 * streams below were recorded from libzmq 4.3.4 (Debian 12) over raw TCP: what it sends
 * a REP's peer that greets as 2.0, as versioned 1.0 and as unversioned 1.0, and what
 * its PUB sends an unversioned 1.0 peer. Each is fed whole and byte by byte. */
#include "testutil.h"

#include <stdio.h>

#define SIG "\xff\0\0\0\0\0\0\0\x01\x7f"

/* libzmq 4.3.4's REP, to a peer that greeted as 2.0 and sent [identity ""] ["" MORE]
 * ["hi"]: signature, major 3, REP (4), identity frame, then the reply in 2.0 framing. */
static const uint8_t libzmq_rep_v2[] = SIG "\x03\x04" "\x00\x00" "\x01\x00" "\x00\x02ok";
/* ... to a versioned 1.0 peer (revision 0): the frames in 1.0 framing. */
static const uint8_t libzmq_rep_v1[] = SIG "\x03\x04" "\x01\x00" "\x01\x01" "\x03\x00ok";
/* ... to an unversioned 1.0 peer: its signature is its identity frame's header (length
 * 1 in the long form, flags 0x7F), then the reply. */
static const uint8_t libzmq_rep_v1u[] = SIG "\x01\x01" "\x03\x00ok";

/* ---- the decoder ---------------------------------------------------------------------- */

static ptrdiff_t decode_framed(const uint8_t *s, size_t len, int framing, feed_mode mode,
                               uint64_t max, dec_ctx *c)
{
    dec_ctx_init(c, ZMTP_DECODER_MIN_SCRATCH, max);
    cr_assert_eq(zmtp_decoder_set_framing(&c->dec, framing), ZMTP_OK);
    return feed_stream(s, len, mode, 7, dec_consume, c);
}

/* The frames of a recorded stream, the same whichever way it is split. */
static void expect_frames(const uint8_t *s, size_t len, int framing, int frames,
                          const uint8_t *want_log, size_t want_len)
{
    feed_mode modes[] = {FEED_WHOLE, FEED_BYTES, FEED_RANDOM};
    for (size_t m = 0; m < 3; m++) {
        dec_ctx c;
        cr_assert_eq(decode_framed(s, len, framing, modes[m], 0, &c), 0, "mode %zu", m);
        cr_assert_eq(c.frames, frames, "mode %zu: %d frames", m, c.frames);
        cr_assert_eq(c.commands, 0);
        if (want_log) {
            cr_assert_eq(c.log.len, want_len, "mode %zu", m);
            cr_assert(memcmp(c.log.p, want_log, want_len) == 0, "mode %zu", m);
        }
        dec_ctx_free(&c);
    }
}

Test(legacy, v2_frames_recorded_from_libzmq)
{
    /* what follows the 12-byte greeting: identity, delimiter (MORE), "ok" */
    const uint8_t *f = libzmq_rep_v2 + 12;
    size_t n = sizeof libzmq_rep_v2 - 1 - 12;
    dec_ctx c;
    cr_assert_eq(decode_framed(f, n, ZMTP_FRAMING_V2, FEED_BYTES, 0, &c), 0);
    cr_assert_eq(c.frames, 3);
    dec_ctx_free(&c);
    expect_frames(f, n, ZMTP_FRAMING_V2, 3, NULL, 0);
    /* a long frame, and the 3.x log of the same frames: 2.0 framing is 3.x's */
    uint8_t s[400];
    size_t k = 0;
    memcpy(s, f, n);
    k = n;
    s[k++] = 0x02; /* LONG */
    memcpy(s + k, "\0\0\0\0\0\0\x01\x2c", 8);
    k += 8;
    memset(s + k, 'x', 300);
    k += 300;
    dec_ctx v3;
    cr_assert_eq(decode_framed(s, k, ZMTP_FRAMING_V3, FEED_WHOLE, 0, &v3), 0);
    expect_frames(s, k, ZMTP_FRAMING_V2, 4, v3.log.p, v3.log.len);
    dec_ctx_free(&v3);
}

Test(legacy, v2_has_no_commands)
{
    /* a command frame (PING), and a reserved bit, are errors in 2.0 framing */
    static const uint8_t ping[] = "\x04\x07\x04PING\x00\x14";
    dec_ctx c;
    cr_assert_eq(decode_framed(ping, sizeof ping - 1, ZMTP_FRAMING_V2, FEED_BYTES, 0, &c),
                 ZMTP_E_RESERVED_FLAGS);
    dec_ctx_free(&c);
    static const uint8_t bit3[] = "\x08\x01x";
    cr_assert_eq(decode_framed(bit3, 3, ZMTP_FRAMING_V2, FEED_WHOLE, 0, &c), ZMTP_E_RESERVED_FLAGS);
    dec_ctx_free(&c);
}

Test(legacy, v1_frames_recorded_from_libzmq)
{
    /* libzmq's own signature read as a 1.0 frame: long length 1, flags 0x7F (MORE alone
     * counts), empty body; then the reply [""(MORE), "ok"] */
    const uint8_t *s = libzmq_rep_v1u;
    size_t n = sizeof libzmq_rep_v1u - 1;
    uint8_t want[64];
    size_t w = 0;
    /* the transcript dec_consume writes: kind, flags, 8-byte size, type, body */
    struct {
        uint8_t flags;
        const char *body;
    } fr[] = {{1, ""}, {1, ""}, {0, "ok"}};
    for (int i = 0; i < 3; i++) {
        uint64_t size = strlen(fr[i].body);
        want[w++] = 'F';
        want[w++] = fr[i].flags;
        memcpy(want + w, &size, 8);
        w += 8;
        want[w++] = 0;
        memcpy(want + w, fr[i].body, size);
        w += size;
    }
    expect_frames(s, n, ZMTP_FRAMING_V1, 3, want, w);
    /* libzmq 2.1 set reserved flag bits (its issue 293): ignored, as libzmq does */
    static const uint8_t junk_flags[] = "\x03\xfe" "ab";
    dec_ctx c;
    cr_assert_eq(decode_framed(junk_flags, 4, ZMTP_FRAMING_V1, FEED_BYTES, 0, &c), 0);
    cr_assert_eq(c.frames, 1);
    cr_assert_eq(c.log.p[1], 0, "flags: no MORE");
    dec_ctx_free(&c);
}

Test(legacy, v1_long_frames_and_limits)
{
    uint8_t s[600];
    uint8_t hdr[ZMTP_MAX_HEADER_V1];
    /* 253 bytes: length 254, the last short form; 254 bytes: length 255, the long form */
    cr_assert_eq(zmtp_frame_header_v1(hdr, 0, 253), 2);
    cr_assert_eq(hdr[0], 254);
    cr_assert_eq(zmtp_frame_header_v1(hdr, ZMTP_FLAG_MORE, 254), 10);
    cr_assert(hdr[0] == 0xff && hdr[8] == 0xff && hdr[9] == 1);
    cr_assert_eq(zmtp_frame_header_v1(hdr, ZMTP_FLAG_COMMAND, 1), ZMTP_E_INVAL);
    size_t k = 0;
    k += (size_t)zmtp_frame_header_v1(s, 0, 500);
    memset(s + k, 'z', 500);
    k += 500;
    expect_frames(s, k, ZMTP_FRAMING_V1, 1, NULL, 0);
    /* above MAXMSGSIZE: refused at the length, before a body byte */
    dec_ctx c;
    cr_assert_eq(decode_framed(s, 10, ZMTP_FRAMING_V1, FEED_BYTES, 499, &c), ZMTP_E_TOO_LARGE);
    dec_ctx_free(&c);
    /* a length of 0 in either form: the flags byte is counted, so there is no frame */
    cr_assert_eq(decode_framed((const uint8_t *)"\x00", 1, ZMTP_FRAMING_V1, FEED_WHOLE, 0, &c),
                 ZMTP_E_EMPTY_FRAME);
    dec_ctx_free(&c);
    cr_assert_eq(decode_framed((const uint8_t *)"\xff\0\0\0\0\0\0\0\0", 9, ZMTP_FRAMING_V1,
                               FEED_BYTES, 0, &c),
                 ZMTP_E_EMPTY_FRAME);
    dec_ctx_free(&c);
    cr_assert_eq(decode_framed((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9,
                               ZMTP_FRAMING_V1, FEED_WHOLE, 0, &c),
                 ZMTP_E_SIZE_OVERFLOW);
    dec_ctx_free(&c);
}

/* ---- the encoder ---------------------------------------------------------------------- */

Test(legacy, encoder_writes_what_libzmq_writes)
{
    uint8_t buf[256];
    zmtp_encoder e;
    zmtp_encoder_init(&e, buf, sizeof buf, sizeof buf);
    cr_assert_eq(zmtp_encoder_set_framing(&e, ZMTP_FRAMING_V2), ZMTP_OK);
    cr_assert_eq(zmtp_encoder_frame(&e, "", 0, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, "ok", 2, 0), ZMTP_ENC_PACKED);
    cr_assert_eq(e.len, 6);
    cr_assert(memcmp(buf, libzmq_rep_v2 + 14, 6) == 0);
    cr_assert_eq(zmtp_encoder_ping(&e, 20, NULL, 0), ZMTP_E_INVAL, "no PING before 3.0");
    cr_assert_eq(zmtp_encoder_command(&e, "READY", NULL, 0), ZMTP_E_INVAL);
    zmtp_encoder_reset(&e);
    /* subscriptions to an old peer are messages, whatever minor the caller passes */
    cr_assert_eq(zmtp_encoder_subscription(&e, 1, 1, "A", 1), ZMTP_OK);
    cr_assert(e.len == 4 && memcmp(buf, "\x00\x02\x01" "A", 4) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_set_framing(&e, ZMTP_FRAMING_V1), ZMTP_OK);
    cr_assert_eq(zmtp_encoder_frame(&e, "", 0, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, "ok", 2, 0), ZMTP_ENC_PACKED);
    cr_assert(e.len == 6 && memcmp(buf, libzmq_rep_v1u + 10, 6) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_subscription(&e, 0, 0, "A", 1), ZMTP_OK);
    cr_assert(e.len == 4 && memcmp(buf, "\x03\x00\x00" "A", 4) == 0, "1.0 cancel");
    cr_assert_eq(zmtp_encoder_set_framing(&e, 4), ZMTP_E_INVAL);
}

/* ---- the handshake -------------------------------------------------------------------- */

typedef struct run {
    uint8_t out[512];
    size_t out_len;
    size_t used;
    int status;
} run;

/* Feeds peer[0..len) whole or one byte at a time until the handshake ends, collecting
 * everything it says; used is what it took (never past its end). */
static run drive(const zmtp_handshake_config *cfg, const uint8_t *peer, size_t len, bool bytes,
                 zmtp_handshake **keep)
{
    run r = {0};
    zmtp_handshake *h = hs(cfg);
    guard g;
    guard_open(&g, len ? len : 1);
    for (;;) {
        const uint8_t *o;
        size_t n = zmtp_handshake_output(h, &o);
        cr_assert_leq(r.out_len + n, sizeof r.out);
        memcpy(r.out + r.out_len, o, n);
        r.out_len += n;
        zmtp_handshake_sent(h, n);
        r.status = zmtp_handshake_status(h);
        if (r.status != ZMTP_HS_RUNNING || r.used == len)
            break;
        size_t step = bytes ? 1 : len - r.used;
        ptrdiff_t k = zmtp_handshake_feed(h, guard_put(&g, peer + r.used, step), step);
        if (k < 0) {
            r.status = (int)k;
            n = zmtp_handshake_output(h, &o);
            memcpy(r.out + r.out_len, o, n);
            r.out_len += n;
            break;
        }
        r.used += (size_t)k;
        if ((size_t)k < step)
            cr_assert_neq(zmtp_handshake_status(h), ZMTP_HS_RUNNING, "stopped short while running");
    }
    guard_close(&g);
    if (keep)
        *keep = h;
    else
        zmtp_handshake_free(h);
    return r;
}

static void expect_out(const run *r, const void *want, size_t n)
{
    cr_assert_eq(r->out_len, n, "said %zu bytes, want %zu", r->out_len, n);
    cr_assert(memcmp(r->out, want, n) == 0, "bytes differ");
}

/* A zaio REP against a JeroMQ-style 2.0 REQ: it answers exactly as libzmq 4.3.4 does
 * and stops at the end of the peer's identity frame. */
Test(legacy, rep_answers_v2_as_libzmq)
{
    static const uint8_t peer[] = SIG "\x01\x03" "\x00\x00" "\x01\x00" "\x00\x02hi";
    zmtp_handshake_config cfg = {.socket_type = ZMTP_REP};
    for (int bytes = 0; bytes < 2; bytes++) {
        zmtp_handshake *h;
        run r = drive(&cfg, peer, sizeof peer - 1, bytes, &h);
        cr_assert_eq(r.status, ZMTP_HS_DONE);
        cr_assert_eq(r.used, 14, "the greeting and the identity frame, no more");
        expect_out(&r, libzmq_rep_v2, 14);
        cr_assert_eq(zmtp_handshake_framing(h), ZMTP_FRAMING_V2);
        cr_assert_eq(zmtp_handshake_minor(h), 0);
        cr_assert_eq(zmtp_handshake_peer_unversioned(h), 0);
        cr_assert_eq(zmtp_handshake_peer_socket_type(h), ZMTP_REQ);
        const uint8_t *id;
        size_t idn;
        cr_assert_eq(zmtp_handshake_peer_routing_id(h, &id, &idn), 1);
        cr_assert_eq(idn, 0);
        zmtp_handshake_free(h);
    }
}

Test(legacy, rep_answers_versioned_v1_as_libzmq)
{
    static const uint8_t peer[] = SIG "\x00\x03" "\x01\x00" "\x01\x01" "\x03\x00hi";
    zmtp_handshake_config cfg = {.socket_type = ZMTP_REP};
    for (int bytes = 0; bytes < 2; bytes++) {
        zmtp_handshake *h;
        run r = drive(&cfg, peer, sizeof peer - 1, bytes, &h);
        cr_assert_eq(r.status, ZMTP_HS_DONE);
        cr_assert_eq(r.used, 14);
        expect_out(&r, libzmq_rep_v1, 14);
        cr_assert_eq(zmtp_handshake_framing(h), ZMTP_FRAMING_V1);
        cr_assert_eq(zmtp_handshake_peer_unversioned(h), 0);
        zmtp_handshake_free(h);
    }
}

/* libzmq 2.x: no signature, its identity frame first. Our signature was the header of
 * our identity frame, so only its body follows (here "ab": the padding said 3). */
Test(legacy, unversioned_v1_peer)
{
    static const uint8_t peer[] = "\x03\x00" "xy" "\x01\x01" "\x03\x00hi";
    zmtp_handshake_config cfg = {.socket_type = ZMTP_ROUTER, .routing_id = (const uint8_t *)"ab",
                                 .routing_id_len = 2};
    for (int bytes = 0; bytes < 2; bytes++) {
        zmtp_handshake *h;
        run r = drive(&cfg, peer, sizeof peer - 1, bytes, &h);
        cr_assert_eq(r.status, ZMTP_HS_DONE);
        cr_assert_eq(r.used, 4);
        expect_out(&r, "\xff\0\0\0\0\0\0\0\x03\x7f" "ab", 12);
        cr_assert_eq(zmtp_handshake_framing(h), ZMTP_FRAMING_V1);
        cr_assert_eq(zmtp_handshake_peer_unversioned(h), 1);
        cr_assert_eq(zmtp_handshake_peer_socket_type(h), -1, "1.0 says no type");
        const uint8_t *id;
        size_t idn;
        cr_assert_eq(zmtp_handshake_peer_routing_id(h, &id, &idn), 1);
        cr_assert(idn == 2 && memcmp(id, "xy", 2) == 0);
        zmtp_handshake_free(h);
    }
    /* an identity of 0 bytes ends the handshake with its header */
    zmtp_handshake_config pub = {.socket_type = ZMTP_PUB};
    run r = drive(&pub, (const uint8_t *)"\x01\x00", 2, true, NULL);
    cr_assert_eq(r.status, ZMTP_HS_DONE);
    expect_out(&r, libzmq_rep_v1u, 10);
    /* the long form: 0xFF, an 8-byte length, then flags whose bit 0 is clear */
    static const uint8_t longid[] = "\xff\0\0\0\0\0\0\0\x04\x00" "abc" "\x02\x00x";
    for (int bytes = 0; bytes < 2; bytes++) {
        zmtp_handshake *h;
        r = drive(&cfg, longid, sizeof longid - 1, bytes, &h);
        cr_assert_eq(r.status, ZMTP_HS_DONE);
        cr_assert_eq(r.used, 13);
        cr_assert_eq(zmtp_handshake_peer_unversioned(h), 1);
        const uint8_t *id;
        size_t idn;
        cr_assert(zmtp_handshake_peer_routing_id(h, &id, &idn) && idn == 3 && !memcmp(id, "abc", 3));
        zmtp_handshake_free(h);
    }
}

/* No mechanism below 3.0: PLAIN, CURVE-less NULL with a ZAP domain, all refuse old
 * peers by name, before a byte of credentials or metadata is said. */
Test(legacy, mechanisms_refuse_old_peers)
{
    static const uint8_t v2[] = SIG "\x01\x03" "\x00\x00";
    static const uint8_t v1u[] = "\x01\x00";
    zmtp_handshake_config plain = {.socket_type = ZMTP_REP, .mechanism = ZMTP_MECH_PLAIN,
                                   .as_server = 1};
    zmtp_handshake_config zap = {.socket_type = ZMTP_REP, .auth = 1};
    const zmtp_handshake_config *cfgs[] = {&plain, &zap};
    for (int c = 0; c < 2; c++) {
        for (int bytes = 0; bytes < 2; bytes++) {
            run r = drive(cfgs[c], v2, sizeof v2 - 1, bytes, NULL);
            cr_assert_eq(r.status, ZMTP_E_OLD_VERSION);
            expect_out(&r, SIG "\x03", 11); /* signature and major, as libzmq */
            r = drive(cfgs[c], v1u, 2, bytes, NULL);
            cr_assert_eq(r.status, ZMTP_E_OLD_VERSION);
            expect_out(&r, SIG, 10);
        }
    }
}

Test(legacy, old_greetings_checked)
{
    zmtp_handshake_config req = {.socket_type = ZMTP_REQ};
    /* a 2.0 PUB for our REQ: the socket types cannot talk */
    run r = drive(&req, (const uint8_t *)SIG "\x01\x01" "\x00\x00", 14, true, NULL);
    cr_assert_eq(r.status, ZMTP_E_SOCKET_TYPE_MISMATCH);
    r = drive(&req, (const uint8_t *)SIG "\x01\x20", 12, false, NULL);
    cr_assert_eq(r.status, ZMTP_E_UNKNOWN_SOCKET_TYPE);
    /* revision 2 never existed */
    r = drive(&req, (const uint8_t *)SIG "\x02\x00", 12, true, NULL);
    cr_assert_eq(r.status, ZMTP_E_NOT_ZMTP);
    /* HTTP, TLS and noise are still named, not taken for 1.0 */
    r = drive(&req, (const uint8_t *)"GET / HTTP/1.0\r\n", 16, true, NULL);
    cr_assert_eq(r.status, ZMTP_E_HTTP);
    r = drive(&req, (const uint8_t *)"\x16\x03\x01\x00", 4, true, NULL);
    cr_assert_eq(r.status, ZMTP_E_TLS);
    r = drive(&req, (const uint8_t *)"\x00\x00", 2, true, NULL);
    cr_assert_eq(r.status, ZMTP_E_NOT_ZMTP);
    /* a peer that sends a 2.0 identity larger than the handshake accepts */
    uint8_t big[12 + 9];
    memcpy(big, SIG "\x01\x04", 12);
    memcpy(big + 12, "\x02\0\0\0\0\0\x01\0\0", 9);
    zmtp_handshake_config small = {.socket_type = ZMTP_REQ, .max_command = 600};
    r = drive(&small, big, sizeof big, true, NULL);
    cr_assert_eq(r.status, ZMTP_E_TOO_LARGE);
    /* our routing id is at most 255 bytes */
    uint8_t id[256] = {0};
    zmtp_handshake_config longid = {.socket_type = ZMTP_REQ, .routing_id = id, .routing_id_len = 256};
    int err = 0;
    cr_assert_null(zmtp_handshake_new(&longid, &err));
    cr_assert_eq(err, ZMTP_E_INVAL);
}

/* Two zaio handshakes still meet in 3.1, whatever the split, with the staged greeting. */
Test(legacy, zaio_to_zaio_stays_3_1)
{
    zmtp_handshake_config a = {.socket_type = ZMTP_DEALER}, b = {.socket_type = ZMTP_ROUTER};
    for (size_t step = 1; step <= 64; step *= 4) {
        zmtp_handshake *x = hs(&a), *y = hs(&b);
        run_pair(x, y, step);
        cr_assert_eq(zmtp_handshake_status(x), ZMTP_HS_DONE);
        cr_assert_eq(zmtp_handshake_framing(x), ZMTP_FRAMING_V3);
        cr_assert_eq(zmtp_handshake_framing(y), ZMTP_FRAMING_V3);
        cr_assert_eq(zmtp_handshake_minor(y), 1);
        zmtp_handshake_free(x);
        zmtp_handshake_free(y);
    }
}

/* hold_ready: our READY waits for the peer's (libzmq sends its own at once), then goes
 * ahead of everything else, also when the peer turns out to be of the wrong type; a
 * peer that holds too is answered after the caller's release. */
Test(legacy, hold_ready)
{
    uint8_t peer[256];
    zmtp_greeting_encode(peer, "NULL", 0);
    static const char ready_pub[] = "\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03" "PUB";
    static const char ready_rep[] = "\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03" "REP";
    static const char our_ready[] = "\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03" "REQ";
    zmtp_handshake_config cfg = {.socket_type = ZMTP_REQ, .hold_ready = 1};
    for (int bytes = 0; bytes < 2; bytes++) {
        run r = drive(&cfg, peer, 64, bytes, NULL);
        cr_assert_eq(r.status, ZMTP_HS_RUNNING);
        cr_assert_eq(r.out_len, 64, "the greeting, no READY yet");
        memcpy(peer + 64, ready_rep, sizeof ready_rep - 1);
        zmtp_handshake *h;
        r = drive(&cfg, peer, 64 + sizeof ready_rep - 1, bytes, &h);
        cr_assert_eq(r.status, ZMTP_HS_DONE);
        cr_assert_eq(r.out_len, 64 + sizeof our_ready - 1);
        cr_assert(memcmp(r.out + 64, our_ready, sizeof our_ready - 1) == 0);
        zmtp_handshake_free(h);
        /* the wrong type: our READY is still said, then the handshake fails */
        memcpy(peer + 64, ready_pub, sizeof ready_pub - 1);
        r = drive(&cfg, peer, 64 + sizeof ready_pub - 1, bytes, NULL);
        cr_assert_eq(r.status, ZMTP_E_SOCKET_TYPE_MISMATCH);
        cr_assert(r.out_len == 64 + sizeof our_ready - 1 &&
                  memcmp(r.out + 64, our_ready, sizeof our_ready - 1) == 0);
    }
    /* two that hold: nothing moves until one is released */
    zmtp_handshake_config a = {.socket_type = ZMTP_DEALER, .hold_ready = 1},
                          b = {.socket_type = ZMTP_ROUTER, .hold_ready = 1};
    zmtp_handshake *x = hs(&a), *y = hs(&b);
    run_pair(x, y, 64);
    cr_assert(zmtp_handshake_ready_held(x) && zmtp_handshake_ready_held(y));
    cr_assert_eq(zmtp_handshake_status(x), ZMTP_HS_RUNNING);
    zmtp_handshake_release_ready(x);
    cr_assert_not(zmtp_handshake_ready_held(x));
    run_pair(x, y, 64);
    cr_assert_eq(zmtp_handshake_status(x), ZMTP_HS_DONE);
    cr_assert_eq(zmtp_handshake_status(y), ZMTP_HS_DONE);
    zmtp_handshake_free(x);
    zmtp_handshake_free(y);
    /* with a ZAP domain the verdict holds READY; hold_ready has nothing to add */
    zmtp_handshake_config z = {.socket_type = ZMTP_REQ, .auth = 1, .hold_ready = 1};
    zmtp_handshake *w = hs(&z);
    guard g;
    guard_open(&g, 64);
    zmtp_handshake_feed(w, guard_put(&g, peer, 64), 64);
    cr_assert_eq(zmtp_handshake_status(w), ZMTP_HS_AUTH);
    cr_assert_not(zmtp_handshake_ready_held(w));
    guard_close(&g);
    zmtp_handshake_free(w);
}
