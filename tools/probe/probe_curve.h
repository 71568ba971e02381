/* probe_curve.h - the CURVE probe modes' bytes (probe_curve.c), made once per run. */
#ifndef ZAIO_TOOLS_PROBE_CURVE_H
#define ZAIO_TOOLS_PROBE_CURVE_H

#include "probe.h"
#include "probe_net.h"

typedef struct zp_curve zp_curve;

/* Makes the payloads of the CURVE modes the mix uses (none: *out NULL, 0). With
 * curve-replay in the mix, runs one real CURVE handshake against target first, to
 * capture its INITIATE. -1 with err filled on failure. */
int zp_curve_setup(const zprobe_config *cfg, const zprobe_addr *target, zp_curve **out,
                   char *err, size_t errlen);
/* What probe number k of a CURVE mode sends; valid until zp_curve_free. */
const uint8_t *zp_curve_bytes(const zp_curve *c, int mode, uint64_t k, uint32_t *len);
void zp_curve_free(zp_curve *c);

#endif
