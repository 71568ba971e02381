/* socket_type.c - socket type names and ZMTP.md's compatibility table. */
#include "zmtp.h"

#include <strings.h>

static const char *const names[] = {
    [ZMTP_PAIR] = "PAIR", [ZMTP_PUB] = "PUB", [ZMTP_SUB] = "SUB",
    [ZMTP_REQ] = "REQ", [ZMTP_REP] = "REP", [ZMTP_DEALER] = "DEALER",
    [ZMTP_ROUTER] = "ROUTER", [ZMTP_PULL] = "PULL", [ZMTP_PUSH] = "PUSH",
    [ZMTP_XPUB] = "XPUB", [ZMTP_XSUB] = "XSUB",
};
#define NTYPES (int)(sizeof names / sizeof names[0])

#define B(t) (1u << (t))
static const unsigned peers[] = {
    [ZMTP_PAIR] = B(ZMTP_PAIR),
    [ZMTP_PUB] = B(ZMTP_SUB) | B(ZMTP_XSUB),
    [ZMTP_SUB] = B(ZMTP_PUB) | B(ZMTP_XPUB),
    [ZMTP_REQ] = B(ZMTP_REP) | B(ZMTP_ROUTER),
    [ZMTP_REP] = B(ZMTP_REQ) | B(ZMTP_DEALER),
    [ZMTP_DEALER] = B(ZMTP_REP) | B(ZMTP_DEALER) | B(ZMTP_ROUTER),
    [ZMTP_ROUTER] = B(ZMTP_REQ) | B(ZMTP_DEALER) | B(ZMTP_ROUTER),
    [ZMTP_PULL] = B(ZMTP_PUSH),
    [ZMTP_PUSH] = B(ZMTP_PULL),
    [ZMTP_XPUB] = B(ZMTP_SUB) | B(ZMTP_XSUB),
    [ZMTP_XSUB] = B(ZMTP_PUB) | B(ZMTP_XPUB),
};

const char *zmtp_socket_type_name(int type)
{
    return type >= 0 && type < NTYPES ? names[type] : NULL;
}

int zmtp_socket_type_parse(const void *name, size_t len)
{
    for (int t = 0; t < NTYPES; t++) {
        size_t n = 0;
        while (names[t][n])
            n++;
        if (n == len && strncasecmp(names[t], (const char *)name, len) == 0)
            return t;
    }
    return ZMTP_E_UNKNOWN_SOCKET_TYPE;
}

int zmtp_socket_types_compatible(int ours, int peer)
{
    if (ours < 0 || ours >= NTYPES || peer < 0 || peer >= NTYPES)
        return 0;
    return (peers[ours] & B(peer)) != 0;
}
