/* Encoder: frame headers at the short/long boundary, small frames packed into one
 * buffer, header-only output for large bodies, commands byte for byte as libzmq 4.3.4
 * sends them (ZMTP.md), and every output decoded back, whole and byte by byte. */
#include "testutil.h"

#define ENC(e, cap) \
    uint8_t e##_buf[cap]; \
    zmtp_encoder e; \
    zmtp_encoder_init(&e, e##_buf, sizeof e##_buf, sizeof e##_buf)

Test(encoder, header_short_long_boundary)
{
    uint8_t h[ZMTP_MAX_HEADER];
    cr_assert_eq(zmtp_frame_header(h, 0, 0), 2);
    cr_assert(h[0] == 0 && h[1] == 0);
    cr_assert_eq(zmtp_frame_header(h, ZMTP_FLAG_MORE, 255), 2);
    cr_assert(h[0] == ZMTP_FLAG_MORE && h[1] == 255);
    cr_assert_eq(zmtp_frame_header(h, ZMTP_FLAG_MORE, 256), 9);
    cr_assert(memcmp(h, "\x03\x00\x00\x00\x00\x00\x00\x01\x00", 9) == 0);
    cr_assert_eq(zmtp_frame_header(h, ZMTP_FLAG_COMMAND, ZMTP_SIZE_LIMIT), 9);
    cr_assert(memcmp(h, "\x06\x7f\xff\xff\xff\xff\xff\xff\xff", 9) == 0);
    cr_assert_eq(zmtp_frame_header(h, 0, ZMTP_SIZE_LIMIT + 1), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_frame_header(h, ZMTP_FLAG_LONG, 1), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_frame_header(h, 0x08, 1), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_frame_header(h, ZMTP_FLAG_COMMAND | ZMTP_FLAG_MORE, 1), ZMTP_E_INVAL);
}

/* A multipart message and more go out as one contiguous buffer. */
Test(encoder, packs_small_frames)
{
    ENC(e, 64);
    cr_assert_eq(zmtp_encoder_frame(&e, "ab", 2, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, NULL, 0, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, "c", 1, 0), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, "xyz", 3, 0), ZMTP_ENC_PACKED);
    const uint8_t want[] = {1, 2, 'a', 'b', 1, 0, 0, 1, 'c', 0, 3, 'x', 'y', 'z'};
    cr_assert_eq(e.len, sizeof want);
    cr_assert(memcmp(e_buf, want, sizeof want) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(e.len, 0);
    cr_assert_eq(zmtp_encoder_frame(&e, "x", 1, ZMTP_FLAG_COMMAND), ZMTP_E_INVAL);
}

/* Above copy_max only the header is written and the body is left where it lives. */
Test(encoder, large_body_header_only)
{
    uint8_t buf[64];
    zmtp_encoder e;
    zmtp_encoder_init(&e, buf, sizeof buf, 32);
    static uint8_t body[1 << 20];
    cr_assert_eq(zmtp_encoder_frame(&e, "a", 1, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED);
    cr_assert_eq(zmtp_encoder_frame(&e, body, sizeof body, 0), ZMTP_ENC_SEPARATE);
    cr_assert_eq(e.len, 3 + 9);
    cr_assert(memcmp(buf + 3, "\x02\x00\x00\x00\x00\x00\x10\x00\x00", 9) == 0);
    /* 33 bytes: above copy_max though short on the wire */
    cr_assert_eq(zmtp_encoder_frame(&e, body, 33, 0), ZMTP_ENC_SEPARATE);
    cr_assert_eq(e.len, 3 + 9 + 2);
    cr_assert_eq(zmtp_encoder_frame(&e, body, 32, 0), ZMTP_ENC_PACKED);
}

/* Every size of the path for bodies after a 2-byte header (up to 32 bytes copied in
 * fixed-size moves, up to 255 with memcpy), byte for byte, with the bytes after the
 * frame untouched and NOSPACE exact; 256 takes the 9-byte header. */
Test(encoder, every_short_body_size_byte_for_byte)
{
    uint8_t body[300];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(0x40 + i);
    for (size_t len = 0; len <= 256; len++) {
        uint8_t buf[300];
        memset(buf, 0xee, sizeof buf);
        zmtp_encoder e;
        zmtp_encoder_init(&e, buf, 2 + len, sizeof buf);
        if (len == 256) {
            cr_assert_eq(zmtp_encoder_frame(&e, body, len, 0), ZMTP_E_NOSPACE);
            zmtp_encoder_init(&e, buf, 9 + len, sizeof buf);
            cr_assert_eq(zmtp_encoder_frame(&e, body, len, 0), ZMTP_ENC_PACKED);
            cr_assert(e.len == 9 + len && buf[0] == ZMTP_FLAG_LONG, "256: the long header");
            cr_assert(memcmp(buf + 9, body, len) == 0, "256: body");
            break;
        }
        cr_assert_eq(zmtp_encoder_frame(&e, body, len, ZMTP_FLAG_MORE), ZMTP_ENC_PACKED,
                     "size %zu", len);
        cr_assert_eq(e.len, 2 + len);
        cr_assert(buf[0] == ZMTP_FLAG_MORE && buf[1] == len, "size %zu: header", len);
        cr_assert(memcmp(buf + 2, body, len) == 0, "size %zu: body", len);
        for (size_t i = 2 + len; i < sizeof buf; i++)
            cr_assert_eq(buf[i], 0xee, "size %zu: byte %zu written", len, i);
        zmtp_encoder_reset(&e);
        e.len = 1; /* one byte short */
        cr_assert_eq(zmtp_encoder_frame(&e, body, len, 0), ZMTP_E_NOSPACE, "size %zu", len);
        cr_assert_eq(e.len, 1);
    }
}

Test(encoder, nospace_leaves_buffer_unchanged)
{
    ENC(e, 10);
    cr_assert_eq(zmtp_encoder_frame(&e, "12345", 5, 0), ZMTP_ENC_PACKED);
    uint8_t before[10];
    memcpy(before, e_buf, sizeof before);
    cr_assert_eq(zmtp_encoder_frame(&e, "1234", 4, 0), ZMTP_E_NOSPACE);
    cr_assert_eq(zmtp_encoder_ping(&e, 1, NULL, 0), ZMTP_E_NOSPACE);
    cr_assert_eq(zmtp_encoder_subscription(&e, 1, 1, "ab", 2), ZMTP_E_NOSPACE);
    cr_assert_eq(e.len, 7);
    cr_assert(memcmp(before, e_buf, sizeof before) == 0);
    cr_assert_eq(zmtp_encoder_frame(&e, "1", 1, 0), ZMTP_ENC_PACKED);
    cr_assert_eq(e.len, 10);
}

/* libzmq's PING: `04 07 04 PING 00 14` (TTL 2 s, no context). */
Test(encoder, ping_pong_bytes)
{
    ENC(e, 128);
    cr_assert_eq(zmtp_encoder_ping(&e, 20, NULL, 0), 0);
    cr_assert_eq(e.len, 9);
    cr_assert(memcmp(e_buf, "\x04\x07\x04PING\x00\x14", 9) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_ping(&e, 0x1234, "0123456789abcdef", 16), 0);
    cr_assert(memcmp(e_buf, "\x04\x17\x04PING\x12\x34" "0123456789abcdef", 25) == 0);
    cr_assert_eq(zmtp_encoder_ping(&e, 1, "0123456789abcdefg", 17), ZMTP_E_INVAL);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_pong(&e, "ctx", 3), 0);
    cr_assert(memcmp(e_buf, "\x04\x08\x04PONGctx", 10) == 0);
    cr_assert_eq(zmtp_encoder_pong(&e, e_buf, 17), ZMTP_E_INVAL);
}

/* As libzmq 4.3.4 sends them: a command to a 3.1 peer, a message to a 3.0 peer. */
Test(encoder, subscription_forms)
{
    ENC(e, 64);
    cr_assert_eq(zmtp_encoder_subscription(&e, 1, 1, "topic", 5), 0);
    cr_assert_eq(e.len, 17);
    cr_assert(memcmp(e_buf, "\x04\x0f\x09SUBSCRIBEtopic", 17) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_subscription(&e, 1, 0, "topic", 5), 0);
    cr_assert(memcmp(e_buf, "\x04\x0c\x06" "CANCELtopic", 14) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_subscription(&e, 0, 1, "topic", 5), 0);
    cr_assert_eq(e.len, 8);
    cr_assert(memcmp(e_buf, "\x00\x06\x01topic", 8) == 0);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_subscription(&e, 0, 0, "", 0), 0);
    cr_assert(memcmp(e_buf, "\x00\x01\x00", 3) == 0);
}

/* The frame libzmq 4.3.4 gets wrong (issue 4367): a SUBSCRIBE whose topic is 246-255
 * bytes has a body of 256-265 bytes, so LONG must be set, from the whole body. */
Test(encoder, subscribe_246_to_255_is_long)
{
    uint8_t topic[256];
    memset(topic, 't', sizeof topic);
    for (size_t tl = 240; tl <= 256; tl++) {
        ENC(e, 512);
        cr_assert_eq(zmtp_encoder_subscription(&e, 1, 1, topic, tl), 0);
        size_t body = 10 + tl;
        if (body > 255) {
            cr_assert_eq(e_buf[0], ZMTP_FLAG_COMMAND | ZMTP_FLAG_LONG, "topic %zu", tl);
            cr_assert_eq(e.len, 9 + body);
        } else {
            cr_assert_eq(e_buf[0], ZMTP_FLAG_COMMAND, "topic %zu", tl);
            cr_assert_eq(e.len, 2 + body);
        }
        dec_ctx c;
        cr_assert_eq(decode_all(e_buf, e.len, FEED_BYTES, 0, 512, 0, &c), 0);
        cr_assert_eq(c.commands, 1);
        cr_assert_eq(c.log.p[10], ZMTP_CMD_SUBSCRIBE);
        dec_ctx_free(&c);
    }
}

/* ZMTP.md: a DEALER with identity "abc" sends exactly this READY. */
Test(encoder, ready_bytes_as_libzmq)
{
    ENC(e, 128);
    zmtp_property p[] = {{"Socket-Type", 11, "DEALER", 6}, {"Identity", 8, "abc", 3}};
    cr_assert_eq(zmtp_encoder_ready(&e, p, 2), 0);
    const char want[] = "\x04\x2c\x05READY\x0bSocket-Type\x00\x00\x00\x06"
                        "DEALER\x08Identity\x00\x00\x00\x03" "abc";
    cr_assert_eq(e.len, sizeof want - 1);
    cr_assert(memcmp(e_buf, want, e.len) == 0);
    zmtp_property bad = {"bad name", 8, "x", 1};
    cr_assert_eq(zmtp_encoder_ready(&e, &bad, 1), ZMTP_E_INVAL);
}

Test(encoder, error_with_reason)
{
    ENC(e, 512);
    cr_assert_eq(zmtp_encoder_error(&e, "400", 3), 0);
    cr_assert(memcmp(e_buf, "\x04\x0a\x05" "ERROR\x03" "400", 12) == 0);
    char r[256];
    memset(r, 'r', sizeof r);
    cr_assert_eq(zmtp_encoder_error(&e, r, 256), ZMTP_E_INVAL);
    zmtp_encoder_reset(&e);
    cr_assert_eq(zmtp_encoder_error(&e, r, 255), 0);
    cr_assert_eq(e_buf[0], ZMTP_FLAG_COMMAND | ZMTP_FLAG_LONG);
    dec_ctx c;
    cr_assert_eq(decode_all(e_buf, e.len, FEED_BYTES, 0, 512, 0, &c), 0);
    cr_assert_eq(c.log.p[10], ZMTP_CMD_ERROR);
    dec_ctx_free(&c);
}

Test(encoder, command_names_checked)
{
    ENC(e, 512);
    char name[257];
    memset(name, 'A', 256);
    name[256] = 0;
    cr_assert_eq(zmtp_encoder_command(&e, "", NULL, 0), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_encoder_command(&e, name, NULL, 0), ZMTP_E_INVAL);
    name[255] = 0;
    cr_assert_eq(zmtp_encoder_command(&e, name, NULL, 0), 0);
    cr_assert_eq(e.len, 9 + 256);
}

/* Everything the encoder can produce decodes to what went in. */
Test(encoder, round_trip_through_decoder)
{
    static uint8_t buf[1 << 16], body[3000];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 31 + 7);
    zmtp_encoder e;
    zmtp_encoder_init(&e, buf, sizeof buf, sizeof buf);
    const size_t sizes[] = {0, 1, 254, 255, 256, 257, 511, 512, 513, 3000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        cr_assert_eq(zmtp_encoder_frame(&e, body, sizes[i], i % 3 ? ZMTP_FLAG_MORE : 0), 0);
    for (int m = FEED_WHOLE; m <= FEED_RANDOM; m++) {
        dec_ctx c;
        cr_assert_eq(decode_all(buf, e.len, (feed_mode)m, 3, 512, 0, &c), 0);
        size_t off = 0;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            uint64_t size;
            memcpy(&size, c.log.p + off + 2, 8);
            cr_assert_eq(size, sizes[i]);
            cr_assert_eq(c.log.p[off + 1], i % 3 ? ZMTP_FLAG_MORE : 0);
            cr_assert(memcmp(c.log.p + off + 11, body, sizes[i]) == 0);
            off += 11 + sizes[i];
        }
        cr_assert_eq(off, c.log.len);
        dec_ctx_free(&c);
    }
}
