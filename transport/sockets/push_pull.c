/* push_pull.c - PUSH and PULL (RFC 30 PIPELINE). PUSH hands each message whole
 * to the next peer that has room, round robin, and waits when none has (no peer, or
 * all at their HWM); it receives nothing (ENOTSUP), and drops whatever a peer sends
 * it. PULL takes messages fair-queued from its peers and sends nothing (ENOTSUP). */
#include "sockets/patterns.h"

static int push_init(zsock *s) { return zpat_flow_init(s, sizeof(zpat_flow), false, true, 0); }
static int pull_init(zsock *s) { return zpat_flow_init(s, sizeof(zpat_flow), true, false, 0); }

const zpattern_ops zpattern_push = ZPAT_FLOW_OPS(ZAIO_PUSH, push_init);
const zpattern_ops zpattern_pull = ZPAT_FLOW_OPS(ZAIO_PULL, pull_init);
