/* curve_keys.c - zaio_curve_keypair and zaio_curve_public. CURVE is not implemented
 * yet, so they fail with ENOTSUP exactly as a libzmq built without CURVE does: a
 * program that probes for keys takes its no-CURVE path instead of failing to link. */
#include "zaio.h"

#include <errno.h>

int zaio__set_errno(int neg); /* api.c */

int zaio_curve_keypair(char *z85_public_key, char *z85_secret_key)
{
    (void)z85_public_key;
    (void)z85_secret_key;
    return zaio__set_errno(-ENOTSUP);
}

int zaio_curve_public(char *z85_public_key, const char *z85_secret_key)
{
    (void)z85_public_key;
    (void)z85_secret_key;
    return zaio__set_errno(-ENOTSUP);
}
