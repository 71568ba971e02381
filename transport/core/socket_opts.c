/* socket_opts.c - the options of libzmq 4.3.4 beyond the core set of socket.c, which
 * hands over any option its own switch does not know (zopts_more_set / _get).
 *
 * - Kept, validated as libzmq validates them and read back, with no effect in zaio:
 *   the pgm/epgm ones (RATE, RECOVERY_IVL, MULTICAST_HOPS, MULTICAST_MAXTPDU,
 *   MULTICAST_LOOP: zaio has no multicast transport, pgm:// and epgm:// fail with
 *   EPROTONOSUPPORT), AFFINITY (zaio hands I/O threads out round robin) and
 *   LOOPBACK_FASTPATH (a Windows socket control; libzmq applies it there only).
 * - For the transports: TOS, TCP_MAXRT, BINDTODEVICE, TCP_ACCEPT_FILTER, METADATA and
 *   USE_FD (wire/listener.c, wire/stream_session.c).
 * - For the patterns: INVERT_MATCHING, PROBE_ROUTER, ROUTER_NOTIFY, CONNECT_ROUTING_ID,
 *   STREAM_NOTIFY (which socket types take them is zpat_setopt_common's call, made
 *   before this).
 * - Refused as a libzmq built without them refuses them: GSSAPI, SOCKS, VMCI.
 *
 * METADATA and TCP_ACCEPT_FILTER grow with every call and are read on the I/O threads
 * by the listeners and sessions that copied the options, so they live in blocks that
 * never change once made: a set makes a new block, and copies made before keep the old
 * one (a listener keeps the filters it was bound with, as libzmq's does). */
#include "core/socket.h"
#include "zmtp.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#endif

struct zoptblob {
    atomic_int refs;
    size_t len;
    max_align_t data[]; /* len bytes */
};

/* A copy of old with room for add more bytes at its end, for the caller to fill. */
static struct zoptblob *blob_grow(const struct zoptblob *old, size_t add)
{
    size_t have = old ? old->len : 0;
    struct zoptblob *b = malloc(sizeof *b + have + add);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = have + add;
    if (have)
        memcpy(b->data, old->data, have);
    return b;
}

static uint8_t *blob_bytes(const struct zoptblob *b) { return (uint8_t *)(uintptr_t)b->data; }

static void blob_unref(struct zoptblob *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

static void blob_replace(struct zoptblob **slot, struct zoptblob *b)
{
    blob_unref(*slot);
    *slot = b;
}

void zopts_hold(zopts *o)
{
    struct zoptblob *b[] = {o->metadata, o->accept_filters};
    for (size_t i = 0; i < sizeof b / sizeof *b; i++)
        if (b[i])
            atomic_fetch_add(&b[i]->refs, 1);
}

void zopts_release(zopts *o)
{
    blob_replace(&o->metadata, NULL);
    blob_replace(&o->accept_filters, NULL);
}

void zopts_more_default(zopts *o)
{
    /* libzmq's defaults, which programs read back */
    o->rate = 100;
    o->recovery_ivl = 10000;
    o->multicast_hops = 1;
    o->multicast_maxtpdu = 1500;
    o->multicast_loop = 1;
    o->use_fd = -1;
    o->stream_notify = 1;
}

/* ---- TCP_ACCEPT_FILTER ------------------------------------------------------------- */

typedef struct accept_mask {
    int family; /* AF_INET or AF_INET6 */
    int bits;   /* how many leading bits must match */
    uint8_t addr[16];
} accept_mask;

/* An IPv4 address written as IPv6 (::ffff:a.b.c.d, what a dual-stack listener sees of
 * an IPv4 peer) is taken as the IPv4 one, on both sides of the comparison. */
static int ip_bytes(int family, const void *addr, int *fam_out, uint8_t out[16])
{
    if (family == AF_INET) {
        memcpy(out, addr, 4);
        *fam_out = AF_INET;
        return 0;
    }
    if (family != AF_INET6)
        return -EINVAL;
    const struct in6_addr *a = addr;
    if (IN6_IS_ADDR_V4MAPPED(a)) {
        memcpy(out, a->s6_addr + 12, 4);
        *fam_out = AF_INET;
    } else {
        memcpy(out, a->s6_addr, 16);
        *fam_out = AF_INET6;
    }
    return 0;
}

/* "address" or "address/bits", numeric, as libzmq's tcp_address_mask_t takes it. */
static int mask_parse(const void *val, size_t len, accept_mask *m)
{
    char text[256];
    if (len > 255)
        return -EINVAL;
    memcpy(text, val, len);
    text[len] = 0; /* an embedded NUL ends the text, as libzmq's c_str() does */
    int bits = -1;
    char *slash = strrchr(text, '/');
    if (slash) {
        *slash = 0;
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3)
            return -EINVAL;
        for (bits = 0; *d; d++) {
            if (*d < '0' || *d > '9')
                return -EINVAL;
            bits = bits * 10 + (*d - '0');
        }
    }
    struct in_addr a4;
    struct in6_addr a6;
    memset(m, 0, sizeof *m);
    int rc;
    if (inet_pton(AF_INET, text, &a4) == 1)
        rc = ip_bytes(AF_INET, &a4, &m->family, m->addr);
    else if (inet_pton(AF_INET6, text, &a6) == 1)
        rc = ip_bytes(AF_INET6, &a6, &m->family, m->addr);
    else
        rc = -EINVAL; /* a name: libzmq resolves none here either */
    int full = m->family == AF_INET ? 32 : 128;
    if (rc < 0 || bits > full)
        return -EINVAL;
    m->bits = bits < 0 ? full : bits;
    return 0;
}

static bool mask_match(const accept_mask *m, int family, const uint8_t *a)
{
    if (m->family != family)
        return false;
    int whole = m->bits / 8, rest = m->bits % 8;
    if (memcmp(m->addr, a, (size_t)whole) != 0)
        return false;
    uint8_t keep = (uint8_t)(0xFFu << (8 - rest));
    return rest == 0 || (m->addr[whole] & keep) == (a[whole] & keep);
}

static int accept_filter_add(zopts *o, const void *val, size_t len)
{
    if (!val && len == 0) { /* (NULL, 0) clears; "" is EINVAL, as libzmq has it */
        blob_replace(&o->accept_filters, NULL);
        return 0;
    }
    accept_mask m;
    if (!val || len == 0 || mask_parse(val, len, &m) < 0)
        return -EINVAL;
    struct zoptblob *b = blob_grow(o->accept_filters, sizeof m);
    if (!b)
        return -ENOMEM;
    memcpy(blob_bytes(b) + b->len - sizeof m, &m, sizeof m);
    blob_replace(&o->accept_filters, b);
    return 0;
}

bool zopts_accept_ok(const zopts *o, const struct sockaddr *sa)
{
    const struct zoptblob *b = o->accept_filters;
    if (!b)
        return true;
    int family;
    uint8_t a[16];
    const struct sockaddr_in6 *a6 = (const void *)sa;
    const struct sockaddr_in *a4 = (const void *)sa;
    const void *addr = sa->sa_family == AF_INET6 ? (const void *)&a6->sin6_addr
                                                 : (const void *)&a4->sin_addr;
    if (ip_bytes(sa->sa_family, addr, &family, a) < 0)
        return false;
    const accept_mask *m = (const accept_mask *)(const void *)b->data;
    for (size_t i = 0; i < b->len / sizeof *m; i++)
        if (mask_match(&m[i], family, a))
            return true;
    return false;
}

/* ---- METADATA ------------------------------------------------------------------------ */

/* "X-name:value": a name that begins with "X-" and goes on in ZMTP's characters, then a
 * value that is not empty. A name set already keeps its first value, as in libzmq. */
static int metadata_add(zopts *o, const void *val, size_t len)
{
    const char *s = val;
    const char *colon = s && len ? memchr(s, ':', len) : NULL;
    if (!colon || colon == s + len - 1)
        return -EINVAL;
    size_t nlen = (size_t)(colon - s);
    zmtp_property p = {s, nlen, colon + 1, len - nlen - 1};
    int64_t size = zmtp_metadata_size(&p, 1); /* < 0: a name ZMTP cannot carry */
    if (nlen <= 2 || memcmp(s, "X-", 2) != 0 || size < 0)
        return -EINVAL;
    zmtp_property q;
    size_t pos = 0;
    const struct zoptblob *old = o->metadata;
    while (old && zmtp_metadata_next(blob_bytes(old), old->len, &pos, &q) == 1)
        if (q.name_len == nlen && memcmp(q.name, s, nlen) == 0)
            return 0;
    struct zoptblob *b = blob_grow(old, (size_t)size);
    if (!b)
        return -ENOMEM;
    zmtp_metadata_encode(blob_bytes(b) + b->len - (size_t)size, (size_t)size, &p, 1);
    blob_replace(&o->metadata, b);
    return 0;
}

size_t zopts_metadata(const zopts *o, zmtp_property *out)
{
    size_t n = 0, pos = 0;
    zmtp_property p;
    const struct zoptblob *b = o->metadata;
    while (b && zmtp_metadata_next(blob_bytes(b), b->len, &pos, &p) == 1) {
        if (out)
            out[n] = p;
        n++;
    }
    return n;
}

/* ---- set and get ------------------------------------------------------------------------ */

/* The int options here: their place in zopts and the values libzmq takes. */
typedef struct int_opt {
    int opt;
    size_t off;
    int min, max;
    bool as_bool;  /* any int, kept as 0 or 1 */
    bool readable; /* libzmq answers getsockopt for it */
} int_opt;

static const int_opt int_opts[] = {
    {ZAIO_RATE, offsetof(zopts, rate), 1, INT_MAX, false, true},
    {ZAIO_RECOVERY_IVL, offsetof(zopts, recovery_ivl), 0, INT_MAX, false, true},
    {ZAIO_MULTICAST_HOPS, offsetof(zopts, multicast_hops), 1, INT_MAX, false, true},
    {ZAIO_MULTICAST_MAXTPDU, offsetof(zopts, multicast_maxtpdu), 1, INT_MAX, false, true},
    {ZAIO_MULTICAST_LOOP, offsetof(zopts, multicast_loop), INT_MIN, INT_MAX, true, true},
    {ZAIO_LOOPBACK_FASTPATH, offsetof(zopts, loopback_fastpath), INT_MIN, INT_MAX, true, true},
    {ZAIO_TOS, offsetof(zopts, tos), 0, INT_MAX, false, true},
    {ZAIO_TCP_MAXRT, offsetof(zopts, tcp_maxrt), 0, INT_MAX, false, true},
    {ZAIO_USE_FD, offsetof(zopts, use_fd), -1, INT_MAX, false, true},
    {ZAIO_INVERT_MATCHING, offsetof(zopts, invert_matching), INT_MIN, INT_MAX, true, true},
    {ZAIO_PROBE_ROUTER, offsetof(zopts, probe_router), 0, INT_MAX, true, false},
    {ZAIO_ROUTER_NOTIFY, offsetof(zopts, router_notify), 0,
     ZAIO_NOTIFY_CONNECT | ZAIO_NOTIFY_DISCONNECT, false, true},
    {ZAIO_STREAM_NOTIFY, offsetof(zopts, stream_notify), 0, 1, false, false}, /* strict */
};

static const int_opt *int_opt_find(int opt)
{
    for (size_t i = 0; i < sizeof int_opts / sizeof *int_opts; i++)
        if (int_opts[i].opt == opt)
            return &int_opts[i];
    return NULL;
}

int zopts_more_set(zopts *o, int opt, const void *val, size_t len)
{
    const int_opt *io = int_opt_find(opt);
    if (io) {
        int v;
        if (!val || len != sizeof v)
            return -EINVAL;
        memcpy(&v, val, sizeof v);
        if (v < io->min || v > io->max)
            return -EINVAL;
        *(int *)(void *)((char *)o + io->off) = io->as_bool ? v != 0 : v;
        return 0;
    }
    switch (opt) {
    case ZAIO_AFFINITY:
        if (!val || len != sizeof o->affinity)
            return -EINVAL;
        memcpy(&o->affinity, val, sizeof o->affinity);
        return 0;
    case ZAIO_BINDTODEVICE:
        /* as TCP_ACCEPT_FILTER: (NULL, 0) clears, "" is EINVAL */
        if ((val && len == 0) || (!val && len) || len >= sizeof o->bindtodevice)
            return -EINVAL;
        if (len)
            memcpy(o->bindtodevice, val, len);
        o->bindtodevice[len] = 0;
        return 0;
    case ZAIO_CONNECT_ROUTING_ID:
        /* as libzmq, never empty; at most 255 bytes, the longest id a ROUTER has */
        if (!val || len == 0 || len > sizeof o->connect_routing_id)
            return -EINVAL;
        memcpy(o->connect_routing_id, val, len);
        o->connect_routing_id_len = (uint8_t)len;
        return 0;
    case ZAIO_TCP_ACCEPT_FILTER: return accept_filter_add(o, val, len);
    case ZAIO_METADATA: return metadata_add(o, val, len);
    /* read-only, and the ones a libzmq built without GSSAPI, SOCKS and VMCI refuses */
    case ZAIO_THREAD_SAFE:
    case ZAIO_GSSAPI_SERVER:
    case ZAIO_GSSAPI_PRINCIPAL:
    case ZAIO_GSSAPI_SERVICE_PRINCIPAL:
    case ZAIO_GSSAPI_PLAINTEXT:
    case ZAIO_GSSAPI_PRINCIPAL_NAMETYPE:
    case ZAIO_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE:
    case ZAIO_SOCKS_PROXY:
    case ZAIO_VMCI_BUFFER_SIZE:
    case ZAIO_VMCI_BUFFER_MIN_SIZE:
    case ZAIO_VMCI_BUFFER_MAX_SIZE:
    case ZAIO_VMCI_CONNECT_TIMEOUT: return -EINVAL;
    default: return 1;
    }
}

int zopts_more_get(const zopts *o, int opt, zopt_value *out)
{
    memset(out, 0, sizeof *out);
    const int_opt *io = int_opt_find(opt);
    if (io && io->readable) {
        out->is_int = true;
        out->i = *(const int *)(const void *)((const char *)o + io->off);
        return 0;
    }
    switch (opt) {
    case ZAIO_THREAD_SAFE: out->is_int = true; return 0; /* no zaio socket is */
    case ZAIO_AFFINITY:
        out->p = &o->affinity;
        out->n = sizeof o->affinity;
        return 0;
    case ZAIO_BINDTODEVICE:
        out->p = o->bindtodevice;
        out->n = strlen(o->bindtodevice) + 1;
        return 0;
    default:
        /* PROBE_ROUTER, CONNECT_ROUTING_ID, TCP_ACCEPT_FILTER and METADATA are
         * write-only in libzmq too */
        return -EINVAL;
    }
}
