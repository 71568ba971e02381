/* decoder.c - the incremental frame decoder.
 *
 * Design notes. The caller owns the state; each feed consumes bytes up to and including
 * the first event and stops there, so the caller handles one event at a time and the
 * handshake never eats bytes that belong to the message stream. Which event a frame
 * yields depends only on its size, never on how the input was split: size <= scratch
 * gives one FRAME/COMMAND event (pointing into the input when the body is contiguous
 * there, into scratch when it arrived split), a larger message gives HEADER then BODY
 * chunks. Sizes are checked when the header is complete, before a body byte is
 * accepted, so a hostile size costs nothing.
 *
 * Older peers. ZMTP 2.0 framing is 3.x framing without commands. ZMTP 1.0 puts the
 * length first and the flags byte inside it (ZMTP_DEC_FLAGS then reads a length byte,
 * ZMTP_DEC_SIZE its 8-byte form, ZMTP_DEC_V1_FLAGS the flags); the size is checked as
 * soon as the length is complete, so the same bounds hold. */
#include "zmtp.h"
#include "internal.h"

#include <string.h>

static ptrdiff_t fail(zmtp_decoder *d, int err)
{
    d->state = ZMTP_DEC_FAILED;
    d->err = err;
    return err;
}

int zmtp_decoder_init(zmtp_decoder *d, uint8_t *scratch, size_t scratch_cap, uint64_t max_size)
{
    if (!d || !scratch || scratch_cap < ZMTP_DECODER_MIN_SCRATCH)
        return ZMTP_E_INVAL;
    memset(d, 0, sizeof *d);
    d->state = ZMTP_DEC_FLAGS;
    d->scratch = scratch;
    d->scratch_cap = scratch_cap;
    d->max_size = max_size == 0 || max_size > ZMTP_SIZE_LIMIT ? ZMTP_SIZE_LIMIT : max_size;
    d->framing = ZMTP_FRAMING_V3;
    return ZMTP_OK;
}

int zmtp_decoder_set_framing(zmtp_decoder *d, int framing)
{
    if (framing != ZMTP_FRAMING_V1 && framing != ZMTP_FRAMING_V2 && framing != ZMTP_FRAMING_V3)
        return ZMTP_E_INVAL;
    d->framing = (uint8_t)framing;
    return ZMTP_OK;
}

void zmtp_decoder_set_options(zmtp_decoder *d, unsigned opts)
{
    d->opts = opts & (ZMTP_DEC_OPAQUE_HANDSHAKE | ZMTP_DEC_STREAM_COMMANDS);
}

static int quirk_4367_shape(const uint8_t *body, size_t len)
{
    size_t nlen = body[0]; /* len >= 256 here */
    return len - 1 - nlen <= 255 && (zmtp__name_is(body + 1, nlen, "SUBSCRIBE") ||
                                     zmtp__name_is(body + 1, nlen, "CANCEL"));
}

/* A whole body is in hand: report it as a frame or a parsed command. */
static int complete(zmtp_decoder *d, const uint8_t *body, zmtp_event *ev)
{
    ev->data = body;
    ev->len = (size_t)d->size;
    d->state = ZMTP_DEC_FLAGS;
    if (!(d->flags & ZMTP_FLAG_COMMAND)) {
        ev->type = ZMTP_EV_FRAME;
        return ZMTP_OK;
    }
    /* libzmq 4.3.4 sets LONG from the topic's size but writes an 8-byte size when the
     * topic plus the command name passes 255 (libzmq issue 4367). Only a SUBSCRIBE or
     * CANCEL whose topic fits in 255 bytes can come out like that; anything else in
     * that shape is judged as the malformed frame it is, before its contents are. */
    if (d->quirk_4367 && !quirk_4367_shape(body, ev->len))
        return ZMTP_E_MALFORMED_COMMAND;
    int rc = zmtp__command_parse(body, ev->len, &ev->cmd, d->opts & ZMTP_DEC_OPAQUE_HANDSHAKE);
    if (rc < 0)
        return rc;
    ev->type = ZMTP_EV_COMMAND;
    return ZMTP_OK;
}

/* The size is known: check it, then decide how the body will travel. */
static int header_done(zmtp_decoder *d)
{
    if (d->size > ZMTP_SIZE_LIMIT)
        return ZMTP_E_SIZE_OVERFLOW;
    if (d->size > d->max_size)
        return ZMTP_E_TOO_LARGE;
    if ((d->flags & ZMTP_FLAG_COMMAND) && d->size > d->scratch_cap &&
        !(d->opts & ZMTP_DEC_STREAM_COMMANDS))
        return ZMTP_E_COMMAND_TOO_LARGE;
    d->body_have = 0;
    d->state = d->size <= d->scratch_cap ? ZMTP_DEC_GATHER : ZMTP_DEC_STREAM;
    return ZMTP_OK;
}

_Static_assert(ZMTP_DECODER_MIN_SCRATCH > 255, "a short frame always fits in scratch");

ptrdiff_t zmtp_decoder_feed(zmtp_decoder *d, const uint8_t *in, size_t len, zmtp_event *ev)
{
    size_t i = 0;
    int rc;
    /* A short message frame whose flags and body are whole in the input, the common case
     * of a stream of small messages: the event the state machine below would give, with
     * its checks (flags MORE or none, the size within max_size), without going through
     * its states a byte at a time. Anything else takes the long way. */
    if (d->state == ZMTP_DEC_FLAGS && d->framing != ZMTP_FRAMING_V1 && len >= 2 &&
        (in[0] & ~ZMTP_FLAG_MORE) == 0 && (size_t)in[1] + 2 <= len && in[1] <= d->max_size) {
        d->flags = in[0];
        d->size = in[1];
        d->quirk_4367 = 0;
        /* field by field: clearing the whole event (its cmd is 112 bytes a FRAME never
         * uses) was 40% of this path */
        ev->type = ZMTP_EV_FRAME;
        ev->flags = in[0];
        ev->size = in[1];
        ev->data = in + 2;
        ev->len = in[1];
        ev->last = 0;
        return (ptrdiff_t)in[1] + 2;
    }
    memset(ev, 0, sizeof *ev);
    if (d->state == ZMTP_DEC_FAILED)
        return d->err;
    while (i < len || (d->state == ZMTP_DEC_GATHER && d->size == 0)) {
        switch (d->state) {
        case ZMTP_DEC_FLAGS: {
            uint8_t f = in[i++];
            if (d->framing == ZMTP_FRAMING_V1) {
                /* the length: it counts the flags byte, so 0 is no frame at all */
                if (f == 0)
                    return fail(d, ZMTP_E_EMPTY_FRAME);
                d->quirk_4367 = 0;
                d->size_have = 0;
                if (f == 0xff) {
                    d->size_len = 8;
                    d->state = ZMTP_DEC_SIZE;
                } else {
                    d->size = (uint64_t)f - 1;
                    d->state = ZMTP_DEC_V1_FLAGS;
                }
                break;
            }
            if (d->framing == ZMTP_FRAMING_V2 && (f & ~(ZMTP_FLAG_MORE | ZMTP_FLAG_LONG)))
                return fail(d, ZMTP_E_RESERVED_FLAGS); /* COMMAND too: 2.0 has none */
            /* Stricter than libzmq, which ignores bits 3-7: RFC 23 reserves them as
             * zero, and a frame with them set is far likelier a desynchronised stream
             * than a future extension. */
            if (f & ~(ZMTP_FLAG_MORE | ZMTP_FLAG_LONG | ZMTP_FLAG_COMMAND))
                return fail(d, ZMTP_E_RESERVED_FLAGS);
            if ((f & ZMTP_FLAG_COMMAND) && (f & ZMTP_FLAG_MORE))
                return fail(d, ZMTP_E_COMMAND_MORE);
            d->flags = f;
            d->size_len = (f & ZMTP_FLAG_LONG) ? 8 : 1;
            d->size_have = 0;
            d->quirk_4367 = 0;
            d->state = ZMTP_DEC_SIZE;
            break;
        }
        case ZMTP_DEC_SIZE: {
            size_t take = d->size_len - d->size_have;
            if (take > len - i)
                take = len - i;
            memcpy(d->size_buf + d->size_have, in + i, take);
            d->size_have = (uint8_t)(d->size_have + take);
            i += take;
            if (d->size_have < d->size_len)
                break;
            if (d->framing == ZMTP_FRAMING_V1) {
                uint64_t len1 = zmtp__get64(d->size_buf);
                if (len1 == 0)
                    return fail(d, ZMTP_E_EMPTY_FRAME);
                if (len1 - 1 > ZMTP_SIZE_LIMIT)
                    return fail(d, ZMTP_E_SIZE_OVERFLOW);
                d->size = len1 - 1;
                d->state = ZMTP_DEC_V1_FLAGS;
                break;
            }
            if (d->size_len == 1) {
                d->size = d->size_buf[0];
                /* A short command of size 0 is never legal (a command has at least a
                 * name-size byte and a name), so it can only be the first byte of
                 * libzmq 4.3.4's 8-byte size sent without LONG (issue 4367). Reading
                 * it that way keeps SUBSCRIBEs for 246-255-byte topics from the Debian
                 * 12 libzmq working instead of dropping the SUB; complete() then
                 * accepts only the frame that bug produces, so nothing else gets in. */
                if ((d->flags & ZMTP_FLAG_COMMAND) && d->size == 0 && !d->quirk_4367) {
                    d->quirk_4367 = 1;
                    d->size_len = 8;
                    break;
                }
            } else {
                d->size = zmtp__get64(d->size_buf);
                if (d->quirk_4367 && (d->size < 256 || d->size > 1 + 9 + 255))
                    return fail(d, ZMTP_E_MALFORMED_COMMAND);
            }
            if ((rc = header_done(d)) < 0)
                return fail(d, rc);
            if (d->state == ZMTP_DEC_STREAM) {
                ev->type = ZMTP_EV_HEADER;
                ev->flags = d->flags;
                ev->size = d->size;
                return (ptrdiff_t)i;
            }
            break;
        }
        case ZMTP_DEC_V1_FLAGS: {
            /* libzmq 2.1 sent reserved bits set (its issue 293) and libzmq 4.3.4's own
             * signature, read as a 1.0 identity frame, carries flags 0x7F: only MORE
             * counts, as in libzmq's v1 decoder */
            d->flags = in[i++] & ZMTP_FLAG_MORE;
            if ((rc = header_done(d)) < 0)
                return fail(d, rc);
            if (d->state == ZMTP_DEC_STREAM) {
                ev->type = ZMTP_EV_HEADER;
                ev->flags = d->flags;
                ev->size = d->size;
                return (ptrdiff_t)i;
            }
            break;
        }
        case ZMTP_DEC_GATHER: {
            size_t want = (size_t)(d->size - d->body_have), avail = len - i;
            const uint8_t *body;
            if (d->body_have == 0 && avail >= want) {
                body = in + i; /* contiguous in the caller's input: no copy */
                i += want;
            } else {
                size_t take = avail < want ? avail : want;
                memcpy(d->scratch + d->body_have, in + i, take);
                d->body_have += take;
                i += take;
                if (d->body_have < d->size)
                    break;
                body = d->scratch;
            }
            ev->flags = d->flags;
            ev->size = d->size;
            if ((rc = complete(d, body, ev)) < 0)
                return fail(d, rc);
            return (ptrdiff_t)i;
        }
        case ZMTP_DEC_STREAM: {
            uint64_t want = d->size - d->body_have;
            size_t take = len - i < want ? len - i : (size_t)want;
            ev->type = ZMTP_EV_BODY;
            ev->flags = d->flags;
            ev->size = d->size;
            ev->data = in + i;
            ev->len = take;
            d->body_have += take;
            i += take;
            ev->last = d->body_have == d->size;
            if (ev->last)
                d->state = ZMTP_DEC_FLAGS;
            return (ptrdiff_t)i;
        }
        case ZMTP_DEC_FAILED:
            return d->err;
        }
    }
    return (ptrdiff_t)i;
}

uint64_t zmtp_decoder_body_remaining(const zmtp_decoder *d)
{
    return d->state == ZMTP_DEC_STREAM ? d->size - d->body_have : 0;
}

uint64_t zmtp_decoder_body_skip(zmtp_decoder *d, uint64_t n)
{
    if (d->state != ZMTP_DEC_STREAM)
        return 0;
    uint64_t left = d->size - d->body_have;
    d->body_have += n < left ? n : left;
    if (d->body_have == d->size)
        d->state = ZMTP_DEC_FLAGS;
    return d->size - d->body_have;
}
