/* pair.c - PAIR (RFC 31): one peer, both ways. A second peer that connects
 * while the first is attached is refused (its pipe is detached and it sees the
 * connection end), as libzmq does; once the first leaves, a new one is taken. A send
 * with no peer, or with the peer at its HWM, waits (EAGAIN with DONTWAIT). */
#include "sockets/patterns.h"

static int pair_init(zsock *s) { return zpat_flow_init(s, sizeof(zpat_flow), true, true, 1); }

const zpattern_ops zpattern_pair = ZPAT_FLOW_OPS(ZAIO_PAIR, pair_init);
