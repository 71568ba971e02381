/* curve_none.c - a build without libsodium (a Windows cross build not given one): CURVE is
 * refused wherever it is asked for, with ZMTP_E_NO_CURVE, as a libzmq built without
 * CURVE refuses it. CMake compiles this file or curve.c, never both. */
#include "zmtp.h"
#include "internal.h"

int zmtp_curve_available(void)
{
    return 0;
}

void zmtp_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; p && i < n; i++)
        v[i] = 0;
}

int zmtp_curve_keypair(uint8_t pub[ZMTP_CURVE_KEY_SIZE], uint8_t sec[ZMTP_CURVE_KEY_SIZE])
{
    (void)pub;
    (void)sec;
    return ZMTP_E_NO_CURVE;
}

int zmtp_curve_public(uint8_t pub[ZMTP_CURVE_KEY_SIZE], const uint8_t sec[ZMTP_CURVE_KEY_SIZE])
{
    (void)pub;
    (void)sec;
    return ZMTP_E_NO_CURVE;
}

void zmtp_crypto_free(zmtp_crypto *c)
{
    (void)c; /* none is ever made */
}

uint64_t zmtp_crypto_sealed_size(uint64_t len)
{
    return len;
}

ptrdiff_t zmtp_crypto_seal(zmtp_crypto *c, uint8_t *out, size_t cap, unsigned flags,
                           const void *body, size_t len)
{
    (void)c, (void)out, (void)cap, (void)flags, (void)body, (void)len;
    return ZMTP_E_NO_CURVE;
}

int zmtp_crypto_open(zmtp_crypto *c, unsigned frame_flags, const uint8_t *body, size_t len,
                     uint8_t *out, size_t out_cap, unsigned *flags, uint8_t **frame,
                     size_t *frame_len)
{
    (void)c, (void)frame_flags, (void)body, (void)len, (void)out, (void)out_cap;
    (void)flags, (void)frame, (void)frame_len;
    return ZMTP_E_NO_CURVE;
}

int zmtp__encoder_sealed(zmtp_encoder *e, unsigned flags, const zmtp__piece *pc, int n)
{
    (void)e, (void)flags, (void)pc, (void)n;
    return ZMTP_E_NO_CURVE;
}

zmtp__curve *zmtp__curve_new(const zmtp_handshake_config *cfg, int *err)
{
    (void)cfg;
    *err = ZMTP_E_NO_CURVE;
    return NULL;
}

/* Unreachable without a zmtp__curve; here so that handshake.c links. */
void zmtp__curve_free(zmtp__curve *c) { (void)c; }
size_t zmtp__curve_output_max(size_t md_len) { return md_len; }
const uint8_t *zmtp__curve_client_key(const zmtp__curve *c) { (void)c; return NULL; }
zmtp_crypto *zmtp__curve_take_crypto(zmtp__curve *c) { (void)c; return NULL; }
int zmtp__curve_hello(zmtp__curve *c, zmtp_encoder *e) { (void)c, (void)e; return ZMTP_E_NO_CURVE; }
int zmtp__curve_on_hello(zmtp__curve *c, const uint8_t *d, size_t len)
{
    (void)c, (void)d, (void)len;
    return ZMTP_E_NO_CURVE;
}
int zmtp__curve_welcome(zmtp__curve *c, zmtp_encoder *e)
{
    (void)c, (void)e;
    return ZMTP_E_NO_CURVE;
}
int zmtp__curve_on_welcome(zmtp__curve *c, const uint8_t *d, size_t len)
{
    (void)c, (void)d, (void)len;
    return ZMTP_E_NO_CURVE;
}
int zmtp__curve_initiate(zmtp__curve *c, zmtp_encoder *e, const uint8_t *md, size_t md_len)
{
    (void)c, (void)e, (void)md, (void)md_len;
    return ZMTP_E_NO_CURVE;
}
int zmtp__curve_on_initiate(zmtp__curve *c, const uint8_t *d, size_t len, const uint8_t **md,
                            size_t *md_len)
{
    (void)c, (void)d, (void)len, (void)md, (void)md_len;
    return ZMTP_E_NO_CURVE;
}
int zmtp__curve_ready(zmtp__curve *c, zmtp_encoder *e, const uint8_t *md, size_t md_len)
{
    (void)c, (void)e, (void)md, (void)md_len;
    return ZMTP_E_NO_CURVE;
}
int zmtp__curve_on_ready(zmtp__curve *c, const uint8_t *d, size_t len, const uint8_t **md,
                         size_t *md_len)
{
    (void)c, (void)d, (void)len, (void)md, (void)md_len;
    return ZMTP_E_NO_CURVE;
}
