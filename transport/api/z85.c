/* z85.c - Z85 (ZeroMQ RFC 32): four bytes as five printable characters, the text form
 * of CURVE keys in ZeroMQ configuration and of zmq_z85_encode/decode. */
#include "zaio.h"

#include <errno.h>
#include <string.h>

#include "core/error.h"

static const char z85_chars[85 + 1] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* The value of each character from ' ' (32) to DEL (127); X: not a Z85 character. The
 * tests check it against z85_chars, every character at every position. */
#define X 0xFF
static const uint8_t z85_values[96] = {
    X,  68, X,  84, 83, 82, 72, X,  75, 76, 70, 65, X,  63, 62, 69, /* ' ' to '/' */
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  64, X,  73, 66, 74, 71, /* '0' to '?' */
    81, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, /* '@' to 'O' */
    51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 77, X,  78, 67, X,  /* 'P' to '_' */
    X,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, /* '`' to 'o' */
    25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 79, X,  80, X,  X,  /* 'p' to DEL */
};
#undef X

char *zaio_z85_encode(char *dest, const uint8_t *data, size_t size)
{
    if (!dest || (size && !data) || size % 4 != 0) {
        zaio__set_errno(-EINVAL);
        return NULL;
    }
    char *out = dest;
    for (size_t i = 0; i < size; i += 4) {
        uint32_t v = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 |
                     (uint32_t)data[i + 2] << 8 | data[i + 3];
        for (int k = 4; k >= 0; k--) {
            out[k] = z85_chars[v % 85];
            v /= 85;
        }
        out += 5;
    }
    *out = '\0';
    return dest;
}

uint8_t *zaio_z85_decode(uint8_t *dest, const char *string)
{
    size_t len = string ? strlen(string) : 0;
    if (!dest || len == 0 || len % 5 != 0) {
        zaio__set_errno(-EINVAL);
        return NULL;
    }
    uint8_t *out = dest;
    for (size_t i = 0; i < len; i += 5) {
        uint64_t v = 0; /* 85^5 - 1 exceeds 32 bits: room to see a group that overflows */
        for (size_t k = 0; k < 5; k++) {
            unsigned char c = (unsigned char)string[i + k];
            uint8_t d = c >= 32 && c < 128 ? z85_values[c - 32] : 0xFF;
            if (d == 0xFF) {
                zaio__set_errno(-EINVAL);
                return NULL;
            }
            v = v * 85 + d;
        }
        if (v > UINT32_MAX) {
            zaio__set_errno(-EINVAL);
            return NULL;
        }
        out[0] = (uint8_t)(v >> 24);
        out[1] = (uint8_t)(v >> 16);
        out[2] = (uint8_t)(v >> 8);
        out[3] = (uint8_t)v;
        out += 4;
    }
    return dest;
}
