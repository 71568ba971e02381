/* curve_keys.c - zaio_curve_keypair and zaio_curve_public: CURVE keys in Z85, made by
 * the codec (libsodium stays behind it). Without CURVE (a build without libsodium) they fail
 * with ENOTSUP exactly as a libzmq built without CURVE does: a program that probes for
 * keys takes its no-CURVE path instead of failing to link. */
#include "zaio.h"
#include "zmtp.h"

#include <errno.h>
#include <string.h>

#include "core/error.h"

int zaio_curve_keypair(char *z85_public_key, char *z85_secret_key)
{
    if (!zmtp_curve_available())
        return zaio__set_errno(-ENOTSUP);
    if (!z85_public_key || !z85_secret_key)
        return zaio__set_errno(-EINVAL);
    uint8_t pub[ZMTP_CURVE_KEY_SIZE], sec[ZMTP_CURVE_KEY_SIZE];
    int rc = zmtp_curve_keypair(pub, sec);
    if (rc == ZMTP_OK) {
        zaio_z85_encode(z85_public_key, pub, sizeof pub);
        zaio_z85_encode(z85_secret_key, sec, sizeof sec);
    }
    zmtp_wipe(sec, sizeof sec);
    return rc == ZMTP_OK ? 0 : zaio__set_errno(-EFAULT);
}

int zaio_curve_public(char *z85_public_key, const char *z85_secret_key)
{
    if (!zmtp_curve_available())
        return zaio__set_errno(-ENOTSUP);
    /* exactly a key's 40 characters: libzmq would decode a longer text past its buffer */
    if (!z85_public_key || !z85_secret_key || strlen(z85_secret_key) != 40)
        return zaio__set_errno(-EINVAL);
    uint8_t pub[ZMTP_CURVE_KEY_SIZE], sec[ZMTP_CURVE_KEY_SIZE];
    if (!zaio_z85_decode(sec, z85_secret_key))
        return -1; /* EINVAL, set by the decoder */
    int rc = zmtp_curve_public(pub, sec);
    zmtp_wipe(sec, sizeof sec);
    if (rc != ZMTP_OK)
        return zaio__set_errno(-EFAULT);
    zaio_z85_encode(z85_public_key, pub, sizeof pub);
    return 0;
}
