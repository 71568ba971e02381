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

/* What the first bytes of a peer's stream (up to the 10 of a signature) say, as libzmq
 * 4.3.4 reads them: MORE (cannot tell yet), V1 (a ZMTP 1.0 peer without signature: the
 * bytes so far are its identity frame's header), VERSIONED (a whole signature, have ==
 * 10), or a ZMTP_E_* error naming HTTP, TLS or noise. */
enum { ZMTP__SIG_MORE = 0, ZMTP__SIG_V1 = 1, ZMTP__SIG_VERSIONED = 2 };
int zmtp__signature_check(const uint8_t *b, size_t have);

/* 1 if name[0..len) equals the NUL-terminated lit exactly. */
int zmtp__name_is(const uint8_t *name, size_t len, const char *lit);

/* A READY or INITIATE: name, then the properties as metadata. */
struct zmtp_encoder;
struct zmtp_property;
struct zmtp_command;
int zmtp__encoder_metadata_command(struct zmtp_encoder *e, const char *name,
                                   const struct zmtp_property *props, size_t n);
/* Appends a command's header and name and returns where its data_len bytes of data go,
 * for the caller to fill in place; NULL when they do not fit (nothing appended). */
uint8_t *zmtp__encoder_command_space(struct zmtp_encoder *e, const char *name, size_t data_len);

/* zmtp_command_parse; opaque: the handshake commands' data is left unchecked. */
int zmtp__command_parse(const uint8_t *body, size_t len, struct zmtp_command *c, int opaque);

/* ---- CURVE (curve.c) ------------------------------------------------------------ */

/* A frame to seal, in pieces, so no caller needs a staging buffer. */
typedef struct zmtp__piece {
    const void *p;
    size_t n;
} zmtp__piece;

/* Seals the pieces as one frame into e's buffer (ZMTP_E_NOSPACE: nothing written). */
int zmtp__encoder_sealed(struct zmtp_encoder *e, unsigned flags, const zmtp__piece *pc, int n);

/* One CURVE handshake's secrets and steps; handshake.c drives them. */
typedef struct zmtp__curve zmtp__curve;
struct zmtp_handshake_config;
zmtp__curve *zmtp__curve_new(const struct zmtp_handshake_config *cfg, int *err);
void zmtp__curve_free(zmtp__curve *c);
/* Each queues its command into e, or checks the peer's (its data, parsed opaque). The
 * metadata of INITIATE (server) and READY (client) comes out in *md, valid until the
 * next step or the free. */
int zmtp__curve_hello(zmtp__curve *c, struct zmtp_encoder *e);
int zmtp__curve_on_hello(zmtp__curve *c, const uint8_t *data, size_t len);
int zmtp__curve_welcome(zmtp__curve *c, struct zmtp_encoder *e);
int zmtp__curve_on_welcome(zmtp__curve *c, const uint8_t *data, size_t len);
int zmtp__curve_initiate(zmtp__curve *c, struct zmtp_encoder *e, const uint8_t *md, size_t md_len);
int zmtp__curve_on_initiate(zmtp__curve *c, const uint8_t *data, size_t len,
                            const uint8_t **md, size_t *md_len);
int zmtp__curve_ready(zmtp__curve *c, struct zmtp_encoder *e, const uint8_t *md, size_t md_len);
int zmtp__curve_on_ready(zmtp__curve *c, const uint8_t *data, size_t len,
                         const uint8_t **md, size_t *md_len);
/* Server, after INITIATE: the client's long-term public key. */
const uint8_t *zmtp__curve_client_key(const zmtp__curve *c);
/* The message-phase state, once; NULL before the keys are agreed or after. */
struct zmtp_crypto *zmtp__curve_take_crypto(zmtp__curve *c);
/* The most a CURVE handshake queues, given our metadata's size. */
size_t zmtp__curve_output_max(size_t md_len);

#endif
