/* The rest of libzmq 4.3.4's options, as values: defaults read back with libzmq's sizes,
 * validation as libzmq validates (measured against libzmq 4.3.4 with small programs:
 * the expected answers below are its answers, or zaio.h says where zaio differs),
 * which socket types take the pattern options, the options refused as a libzmq built
 * without them refuses them, transports zaio lacks, and USE_FD. */
#include "tcp_helpers.h"

static int get_int(void *s, int opt, int *v)
{
    size_t len = sizeof *v;
    int rc = zaio_getsockopt(s, opt, v, &len);
    zt_assert(rc < 0 || len == sizeof *v, "option %d: %zu bytes", opt, len);
    return rc;
}

static int set_int(void *s, int opt, int v) { return zaio_setsockopt(s, opt, &v, sizeof v); }

ZT_TEST(sockopts, defaults_read_back_as_libzmq, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_PUB);
    /* libzmq 4.3.4's answers on a PUB */
    struct {
        int opt, want;
    } ints[] = {
        {ZAIO_RATE, 100},       {ZAIO_RECOVERY_IVL, 10000},    {ZAIO_MULTICAST_HOPS, 1},
        {ZAIO_TOS, 0},          {ZAIO_INVERT_MATCHING, 0},     {ZAIO_THREAD_SAFE, 0},
        {ZAIO_MULTICAST_MAXTPDU, 1500}, {ZAIO_USE_FD, -1},     {ZAIO_LOOPBACK_FASTPATH, 0},
        {ZAIO_MULTICAST_LOOP, 1}, {ZAIO_TCP_MAXRT, 0},         {ZAIO_ROUTER_NOTIFY, 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        int v = -12345;
        zt_assert(get_int(s, ints[i].opt, &v) == 0, "get %d: %s", ints[i].opt,
                  zaio_strerror(zaio_errno()));
        zt_assert(v == ints[i].want, "option %d is %d, want %d", ints[i].opt, v, ints[i].want);
        /* an int option wants exactly an int, as in libzmq */
        int64_t wide = 0;
        size_t len = sizeof wide;
        zt_assert(zaio_getsockopt(s, ints[i].opt, &wide, &len) == -1 && zaio_errno() == EINVAL,
                  "option %d read into 8 bytes", ints[i].opt);
    }
    int64_t aff = -1;
    size_t len = sizeof aff;
    zt_assert(zaio_getsockopt(s, ZAIO_AFFINITY, &aff, &len) == 0 && len == 8 && aff == 0,
              "affinity %lld (%zu bytes)", (long long)aff, len);
    int small;
    len = sizeof small;
    zt_assert(zaio_getsockopt(s, ZAIO_AFFINITY, &small, &len) == -1 && zaio_errno() == EINVAL,
              "affinity is an int64");
    char dev[32] = "x";
    len = sizeof dev;
    zt_assert(zaio_getsockopt(s, ZAIO_BINDTODEVICE, dev, &len) == 0 && len == 1 && dev[0] == 0,
              "bindtodevice reads empty");
    zaio_close(s);
    th_term(ctx);
}

ZT_TEST(sockopts, values_validated_as_libzmq, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_PUB);
    /* value, whether libzmq 4.3.4 takes it, and what it reads back then */
    struct {
        int opt, v, ok, back;
    } cases[] = {
        {ZAIO_RATE, 0, 0, 0},            {ZAIO_RATE, -1, 0, 0},
        {ZAIO_RATE, 1000000, 1, 1000000}, {ZAIO_RECOVERY_IVL, -1, 0, 0},
        {ZAIO_RECOVERY_IVL, 0, 1, 0},    {ZAIO_MULTICAST_HOPS, 0, 0, 0},
        {ZAIO_MULTICAST_HOPS, 300, 1, 300}, {ZAIO_MULTICAST_MAXTPDU, 0, 0, 0},
        {ZAIO_MULTICAST_MAXTPDU, 9000, 1, 9000}, {ZAIO_MULTICAST_LOOP, 0, 1, 0},
        {ZAIO_MULTICAST_LOOP, -1, 1, 1}, {ZAIO_LOOPBACK_FASTPATH, 2, 1, 1},
        {ZAIO_TOS, -1, 0, 0},            {ZAIO_TOS, 256, 1, 256},
        {ZAIO_TCP_MAXRT, -1, 0, 0},      {ZAIO_TCP_MAXRT, 5000, 1, 5000},
        {ZAIO_USE_FD, -2, 0, 0},         {ZAIO_USE_FD, 5, 1, 5},
        {ZAIO_USE_FD, -1, 1, -1},        {ZAIO_INVERT_MATCHING, -1, 1, 1},
        {ZAIO_INVERT_MATCHING, 0, 1, 0}, {ZAIO_THREAD_SAFE, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = set_int(s, cases[i].opt, cases[i].v);
        if (!cases[i].ok) {
            zt_assert(rc == -1 && zaio_errno() == EINVAL, "option %d = %d taken", cases[i].opt,
                      cases[i].v);
            continue;
        }
        zt_assert(rc == 0, "option %d = %d: %s", cases[i].opt, cases[i].v,
                  zaio_strerror(zaio_errno()));
        int v;
        zt_assert(get_int(s, cases[i].opt, &v) == 0 && v == cases[i].back,
                  "option %d = %d reads %d, want %d", cases[i].opt, cases[i].v, v, cases[i].back);
    }
    /* the int options want exactly an int, AFFINITY exactly an int64 */
    int64_t wide = 1;
    zt_assert(zaio_setsockopt(s, ZAIO_TOS, &wide, sizeof wide) == -1 && zaio_errno() == EINVAL,
              "tos from 8 bytes");
    zt_assert(set_int(s, ZAIO_AFFINITY, 3) == -1 && zaio_errno() == EINVAL,
              "affinity from 4 bytes");
    wide = -1; /* a uint64 in libzmq: all CPUs' bits */
    zt_assert(zaio_setsockopt(s, ZAIO_AFFINITY, &wide, sizeof wide) == 0, "affinity");
    int64_t back = 0;
    size_t len = sizeof back;
    zt_assert(zaio_getsockopt(s, ZAIO_AFFINITY, &back, &len) == 0 && back == -1, "affinity back");
    zaio_close(s);
    th_term(ctx);
}

ZT_TEST(sockopts, pattern_options_on_the_types_libzmq_takes_them, 10)
{
    void *ctx = zaio_ctx_new();
    /* which types take each, as measured on libzmq 4.3.4 (ROUTER_NOTIFY, a draft
     * there: as its draft build's ROUTER) */
    struct {
        int opt;
        unsigned types; /* bit per type that takes it */
    } cases[] = {
        {ZAIO_PROBE_ROUTER,
         1u << ZAIO_ROUTER | 1u << ZAIO_DEALER | 1u << ZAIO_REQ | 1u << ZAIO_REP},
        {ZAIO_XPUB_NODROP, 1u << ZAIO_PUB | 1u << ZAIO_XPUB},
        {ZAIO_XPUB_MANUAL, 1u << ZAIO_PUB | 1u << ZAIO_XPUB},
        {ZAIO_XPUB_VERBOSER, 1u << ZAIO_PUB | 1u << ZAIO_XPUB},
        {ZAIO_XPUB_MANUAL_LAST_VALUE, 1u << ZAIO_PUB | 1u << ZAIO_XPUB},
        {ZAIO_ROUTER_NOTIFY, 1u << ZAIO_ROUTER},
        {ZAIO_INVERT_MATCHING, 0x7FFu},
    };
    for (int t = ZAIO_PAIR; t <= ZAIO_XSUB; t++) {
        void *s = th_socket(ctx, t);
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            bool takes = cases[i].types & (1u << t);
            int rc = set_int(s, cases[i].opt, 1);
            zt_assert(takes ? rc == 0 : rc == -1 && zaio_errno() == EINVAL,
                      "type %d option %d: %d (%s)", t, cases[i].opt, rc,
                      zaio_strerror(zaio_errno()));
        }
        bool xpub = t == ZAIO_PUB || t == ZAIO_XPUB;
        int rc = zaio_setsockopt(s, ZAIO_XPUB_WELCOME_MSG, "hi", 2);
        zt_assert(xpub ? rc == 0 : rc == -1, "type %d welcome: %d", t, rc);
        bool crid = t == ZAIO_ROUTER || t == ZAIO_REP;
        rc = zaio_setsockopt(s, ZAIO_CONNECT_ROUTING_ID, "abc", 3);
        zt_assert(crid ? rc == 0 : rc == -1, "type %d connect routing id: %d", t, rc);
        /* write-only in libzmq, on every type */
        int write_only[] = {ZAIO_PROBE_ROUTER, ZAIO_XPUB_NODROP, ZAIO_XPUB_MANUAL,
                            ZAIO_XPUB_VERBOSER, ZAIO_XPUB_MANUAL_LAST_VALUE};
        for (size_t i = 0; i < sizeof write_only / sizeof *write_only; i++) {
            int v;
            zt_assert(get_int(s, write_only[i], &v) == -1 && zaio_errno() == EINVAL,
                      "type %d reads option %d", t, write_only[i]);
        }
        char buf[300];
        int bin[] = {ZAIO_XPUB_WELCOME_MSG, ZAIO_CONNECT_ROUTING_ID, ZAIO_TCP_ACCEPT_FILTER,
                     ZAIO_METADATA};
        for (size_t i = 0; i < sizeof bin / sizeof *bin; i++) {
            size_t len = sizeof buf;
            zt_assert(zaio_getsockopt(s, bin[i], buf, &len) == -1 && zaio_errno() == EINVAL,
                      "type %d reads option %d", t, bin[i]);
        }
        zaio_close(s);
    }
    th_term(ctx);
}

ZT_TEST(sockopts, xpub_flags_refuse_negative_values, 10)
{
    void *ctx = zaio_ctx_new();
    void *x = th_socket(ctx, ZAIO_XPUB), *r = th_socket(ctx, ZAIO_ROUTER);
    int flags[] = {ZAIO_XPUB_NODROP, ZAIO_XPUB_MANUAL, ZAIO_XPUB_VERBOSER,
                   ZAIO_XPUB_MANUAL_LAST_VALUE, ZAIO_XPUB_VERBOSE};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        zt_assert(set_int(x, flags[i], -1) == -1 && zaio_errno() == EINVAL, "option %d -1",
                  flags[i]);
        zt_assert(set_int(x, flags[i], 2) == 0, "option %d 2", flags[i]);
    }
    zt_assert(set_int(r, ZAIO_PROBE_ROUTER, -1) == -1, "probe -1");
    zt_assert(set_int(r, ZAIO_ROUTER_NOTIFY, 4) == -1 && set_int(r, ZAIO_ROUTER_NOTIFY, -1) == -1,
              "notify out of range");
    int v = 0;
    zt_assert(set_int(r, ZAIO_ROUTER_NOTIFY, ZAIO_NOTIFY_CONNECT | ZAIO_NOTIFY_DISCONNECT) == 0 &&
                  get_int(r, ZAIO_ROUTER_NOTIFY, &v) == 0 && v == 3,
              "notify reads %d", v);
    /* SUBSCRIBE on an XPUB is XPUB_MANUAL's; an empty welcome message is none */
    zt_assert(zaio_setsockopt(x, ZAIO_SUBSCRIBE, "a", 1) == 0, "manual is on: subscribe");
    zt_assert(set_int(x, ZAIO_XPUB_MANUAL, 0) == 0, "manual off");
    zt_assert(zaio_setsockopt(x, ZAIO_SUBSCRIBE, "a", 1) == -1 && zaio_errno() == EINVAL,
              "subscribe without manual");
    zt_assert(zaio_setsockopt(x, ZAIO_XPUB_WELCOME_MSG, NULL, 0) == 0, "no welcome");
    zaio_close(x);
    zaio_close(r);
    th_term(ctx);
}

static int set_bin(void *s, int opt, const char *v, size_t len)
{
    return zaio_setsockopt(s, opt, v, len);
}

ZT_TEST(sockopts, strings_and_bytes_as_libzmq, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_ROUTER);
    char buf[64];
    size_t len = sizeof buf;
    /* BINDTODEVICE: up to 16 bytes, read back with its NUL; "" is EINVAL, NULL clears */
    zt_assert(set_bin(s, ZAIO_BINDTODEVICE, "lo", 2) == 0, "lo");
    zt_assert(zaio_getsockopt(s, ZAIO_BINDTODEVICE, buf, &len) == 0 && len == 3 &&
                  strcmp(buf, "lo") == 0,
              "lo back (%zu)", len);
    zt_assert(set_bin(s, ZAIO_BINDTODEVICE, "abcdefghijklmnop", 16) == 0, "16 bytes");
    zt_assert(set_bin(s, ZAIO_BINDTODEVICE, "abcdefghijklmnopq", 17) == -1, "17 bytes");
    zt_assert(set_bin(s, ZAIO_BINDTODEVICE, "", 0) == -1 && zaio_errno() == EINVAL, "empty");
    zt_assert(set_bin(s, ZAIO_BINDTODEVICE, NULL, 0) == 0, "cleared");
    len = sizeof buf;
    zt_assert(zaio_getsockopt(s, ZAIO_BINDTODEVICE, buf, &len) == 0 && len == 1, "cleared back");
    /* TCP_ACCEPT_FILTER: numeric address, optional /bits */
    struct {
        const char *v;
        size_t len;
        int ok;
    } filters[] = {
        {"127.0.0.1", 9, 1},      {"127.0.0.0/8", 11, 1}, {"10.0.0.1/0", 10, 1},
        {"127.0.0.1\0", 10, 1},   {"localhost", 9, 0},    {"garbage", 7, 0},
        {"127.0.0.1/33", 12, 0},  {"127.0.0.1/", 10, 0},  {"", 0, 0},
        {"::1/128", 7, 1},        {"::1/129", 7, 0},
    };
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        int rc = set_bin(s, ZAIO_TCP_ACCEPT_FILTER, filters[i].v, filters[i].len);
        zt_assert(filters[i].ok ? rc == 0 : rc == -1 && zaio_errno() == EINVAL, "filter '%s': %d",
                  filters[i].v, rc);
    }
    zt_assert(set_bin(s, ZAIO_TCP_ACCEPT_FILTER, NULL, 0) == 0, "filters cleared");
    /* METADATA: "X-name:value" */
    struct {
        const char *v;
        int ok;
    } md[] = {
        {"X-a:b", 1},   {"X-foo:bar", 1}, {"X-a:b:c", 1}, {"X-foo:baz", 1}, /* kept: first wins */
        {"Y-foo:bar", 0}, {"x-foo:bar", 0}, {"X-foo:", 0}, {":bar", 0},
        {"X-foo", 0},   {"X-:b", 0},      {"X-a b:c", 0},
    };
    for (size_t i = 0; i < sizeof md / sizeof *md; i++) {
        int rc = set_bin(s, ZAIO_METADATA, md[i].v, strlen(md[i].v));
        zt_assert(md[i].ok ? rc == 0 : rc == -1 && zaio_errno() == EINVAL, "metadata '%s': %d",
                  md[i].v, rc);
    }
    /* CONNECT_ROUTING_ID: 1 to 255 bytes */
    char big[256];
    memset(big, 'i', sizeof big);
    zt_assert(set_bin(s, ZAIO_CONNECT_ROUTING_ID, "", 0) == -1, "empty id");
    zt_assert(set_bin(s, ZAIO_CONNECT_ROUTING_ID, big, 255) == 0, "255 bytes");
    zt_assert(set_bin(s, ZAIO_CONNECT_ROUTING_ID, big, 256) == -1, "256 bytes");
    zt_assert(set_bin(s, ZAIO_CONNECT_ROUTING_ID, "\0ab", 3) == 0, "a leading zero byte");
    zaio_close(s);
    th_term(ctx);
}

ZT_TEST(sockopts, refused_as_by_a_libzmq_built_without_them, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_DEALER);
    int ints[] = {ZAIO_GSSAPI_SERVER, ZAIO_GSSAPI_PLAINTEXT, ZAIO_GSSAPI_PRINCIPAL_NAMETYPE,
                  ZAIO_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE, ZAIO_VMCI_CONNECT_TIMEOUT};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        int v;
        zt_assert(set_int(s, ints[i], 1) == -1 && zaio_errno() == EINVAL, "set %d", ints[i]);
        zt_assert(get_int(s, ints[i], &v) == -1 && zaio_errno() == EINVAL, "get %d", ints[i]);
    }
    int bin[] = {ZAIO_GSSAPI_PRINCIPAL, ZAIO_GSSAPI_SERVICE_PRINCIPAL, ZAIO_SOCKS_PROXY};
    for (size_t i = 0; i < sizeof bin / sizeof *bin; i++) {
        char buf[64];
        size_t len = sizeof buf;
        zt_assert(set_bin(s, bin[i], "p", 1) == -1 && zaio_errno() == EINVAL, "set %d", bin[i]);
        zt_assert(zaio_getsockopt(s, bin[i], buf, &len) == -1 && zaio_errno() == EINVAL, "get %d",
                  bin[i]);
    }
    int vmci64[] = {ZAIO_VMCI_BUFFER_SIZE, ZAIO_VMCI_BUFFER_MIN_SIZE, ZAIO_VMCI_BUFFER_MAX_SIZE};
    for (size_t i = 0; i < sizeof vmci64 / sizeof *vmci64; i++) {
        int64_t v = 5;
        zt_assert(zaio_setsockopt(s, vmci64[i], &v, sizeof v) == -1 && zaio_errno() == EINVAL,
                  "set %d", vmci64[i]);
    }
    zt_assert(zaio_has("gssapi") == 0, "gssapi");
    zaio_close(s);
    th_term(ctx);
}

ZT_TEST(sockopts, transports_zaio_lacks_are_eprotonosupport, 10)
{
    void *ctx = zaio_ctx_new();
    const char *eps[] = {"pgm://127.0.0.1;239.192.1.1:5555", "epgm://127.0.0.1;239.192.1.1:5555",
                         "tipc://{5560,0,0}", "vmci://1:5555", "norm://127.0.0.1:5555",
                         "udp://127.0.0.1:5555"};
    void *s = th_socket(ctx, ZAIO_PUB);
    for (size_t i = 0; i < sizeof eps / sizeof *eps; i++) {
        zt_assert(zaio_bind(s, eps[i]) == -1 && zaio_errno() == EPROTONOSUPPORT, "bind %s: %s",
                  eps[i], zaio_strerror(zaio_errno()));
        zt_assert(zaio_connect(s, eps[i]) == -1 && zaio_errno() == EPROTONOSUPPORT,
                  "connect %s: %s", eps[i], zaio_strerror(zaio_errno()));
    }
    zaio_close(s);
    th_term(ctx);
}

ZT_TEST(sockopts, use_fd_makes_a_tcp_or_ipc_bind_enotsup, 10)
{
    void *ctx = zaio_ctx_new();
    void *s = th_socket(ctx, ZAIO_PULL);
    th_set_int(s, ZAIO_USE_FD, 3);
    zt_assert(zaio_bind(s, "tcp://127.0.0.1:*") == -1 && zaio_errno() == ENOTSUP, "bind: %s",
              zaio_strerror(zaio_errno()));
    zt_assert(zaio_bind(s, "ipc://*") == -1 && zaio_errno() == ENOTSUP, "ipc bind: %s",
              zaio_strerror(zaio_errno()));
    th_bind(s, "inproc://use-fd", (char[64]){0}, 64); /* a listening socket is tcp's alone */
    th_set_int(s, ZAIO_USE_FD, -1);
    char ep[64];
    th_bind(s, "tcp://127.0.0.1:*", ep, sizeof ep);
    zaio_close(s);
    th_term(ctx);
}
