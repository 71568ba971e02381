/* internal.h - helpers shared by the codec's files; not part of the API. */
#ifndef ZAIO_ZMTP_INTERNAL_H
#define ZAIO_ZMTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t zmtp__get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t zmtp__get64(const uint8_t *p)
{
    return (uint64_t)zmtp__get32(p) << 32 | zmtp__get32(p + 4);
}

static inline void zmtp__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void zmtp__put64(uint8_t *p, uint64_t v)
{
    zmtp__put32(p, (uint32_t)(v >> 32));
    zmtp__put32(p + 4, (uint32_t)v);
}

/* 1 if name[0..len) equals the NUL-terminated lit exactly. */
int zmtp__name_is(const uint8_t *name, size_t len, const char *lit);

/* A READY or INITIATE: name, then the properties as metadata. */
struct zmtp_encoder;
struct zmtp_property;
int zmtp__encoder_metadata_command(struct zmtp_encoder *e, const char *name,
                                   const struct zmtp_property *props, size_t n);

#endif
