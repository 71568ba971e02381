/* ipc:// end to end through include/zaio.h: paths, the abstract namespace, the "*"
 * wildcard, the socket file's life (a stale one replaced, a live one refused, ours
 * removed on unbind and close), names too long, peer credential filters, and connect
 * before bind. Every test ends with the context terminated and the live counters zero. */
#include "tcp_helpers.h"

#include <sys/stat.h>
#include <sys/un.h>

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A scratch directory of the test's own, and a socket path in it. */
static void scratch(char *dir, size_t dcap, char *path, size_t pcap, const char *name)
{
    snprintf(dir, dcap, "/tmp/zaio-test-ipc-XXXXXX");
    zt_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(path, pcap, "%s/%s", dir, name);
}

static void pair_round_trip(void *a, void *b)
{
    th_send_str(b, "ping", 0);
    th_recv_str(a, "ping");
    th_send_str(a, "pong", 0);
    th_recv_str(b, "pong");
}

ZT_TEST(ipc, path_bind_connect_and_the_file_goes_with_the_socket, 20)
{
    void *ctx = zaio_ctx_new();
    char dir[64], path[128], ep[160], last[256];
    scratch(dir, sizeof dir, path, sizeof path, "s.ipc");
    snprintf(ep, sizeof ep, "ipc://%s", path);
    void *a = th_socket(ctx, ZAIO_PAIR), *b = th_socket(ctx, ZAIO_PAIR);
    th_bind(a, ep, last, sizeof last);
    zt_assert(strcmp(last, ep) == 0, "LAST_ENDPOINT %s", last);
    zt_assert(exists(path), "the socket file is there");
    th_connect(b, ep);
    pair_round_trip(a, b);
    zaio_msg_t m;
    zaio_msg_init(&m);
    th_send_str(b, "meta", 0);
    zt_assert(zaio_msg_recv(&m, a, 0) == 4, "recv");
    const char *type = zaio_msg_gets(&m, "Socket-Type");
    zt_assert(type && strcmp(type, "PAIR") == 0, "Socket-Type");
    zaio_msg_close(&m);
    zaio_close(b);
    zaio_close(a);
    zt_assert(!exists(path), "the file went with the socket");
    rmdir(dir);
    th_term(ctx);
}

ZT_TEST(ipc, wildcard_and_unbind, 20)
{
    void *ctx = zaio_ctx_new();
    void *a = th_socket(ctx, ZAIO_PULL), *b = th_socket(ctx, ZAIO_PUSH);
    char last[256];
    th_bind(a, "ipc://*", last, sizeof last);
    zt_assert(strncmp(last, "ipc:///", 7) == 0, "LAST_ENDPOINT %s", last);
    const char *path = last + 6;
    zt_assert(exists(path), "%s is there", path);
    th_connect(b, last);
    th_send_str(b, "via *", 0);
    th_recv_str(a, "via *");
    zt_assert(zaio_unbind(a, last) == 0, "unbind: %s", zaio_strerror(zaio_errno()));
    zt_assert(!exists(path), "unbind removed the file");
    char dir[256];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    zt_assert(!exists(dir), "and the wildcard's directory %s", dir);
    zt_assert(zaio_connect(b, "ipc://*") == -1 && zaio_errno() == EINVAL, "connect to *");
    zaio_close(b);
    zaio_close(a);
    th_term(ctx);
}

ZT_TEST(ipc, abstract_namespace, 20)
{
    void *ctx = zaio_ctx_new();
    char ep[64], last[256];
    snprintf(ep, sizeof ep, "ipc://@zaio-test-%d", (int)getpid());
    void *a = th_socket(ctx, ZAIO_PAIR), *b = th_socket(ctx, ZAIO_PAIR);
    th_bind(a, ep, last, sizeof last);
    zt_assert(strcmp(last, ep) == 0, "LAST_ENDPOINT %s", last);
    th_connect(b, ep);
    pair_round_trip(a, b);
    void *c = th_socket(ctx, ZAIO_PAIR);
    zt_assert(zaio_bind(c, ep) == -1 && zaio_errno() == EADDRINUSE, "a second bind");
    zaio_close(c);
    zaio_close(b);
    zaio_close(a);
    th_term(ctx);
}

/* A file a dead process left is replaced; a live listener's is refused, and kept. */
ZT_TEST(ipc, stale_file_replaced_live_one_refused, 20)
{
    void *ctx = zaio_ctx_new();
    char dir[64], path[128], ep[160];
    scratch(dir, sizeof dir, path, sizeof path, "s.ipc");
    snprintf(ep, sizeof ep, "ipc://%s", path);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    zt_assert(strlen(path) < sizeof un.sun_path, "path fits");
    memcpy(un.sun_path, path, strlen(path) + 1);
    int raw = socket(AF_UNIX, SOCK_STREAM, 0);
    zt_assert(raw >= 0 && bind(raw, (struct sockaddr *)&un, sizeof un) == 0 && listen(raw, 1) == 0,
              "raw listener");
    void *a = th_socket(ctx, ZAIO_PAIR);
    zt_assert(zaio_bind(a, ep) == -1 && zaio_errno() == EADDRINUSE, "a live listener's path");
    zt_assert(exists(path), "its file is kept");
    close(raw); /* the file stays behind, as after a crash */
    zt_assert(exists(path), "stale file");
    char last[256];
    th_bind(a, ep, last, sizeof last);
    void *b = th_socket(ctx, ZAIO_PAIR);
    th_connect(b, ep);
    pair_round_trip(a, b);
    zaio_close(b);
    zaio_close(a);
    zt_assert(!exists(path), "removed on close");
    rmdir(dir);
    th_term(ctx);
}

ZT_TEST(ipc, names_too_long_or_nowhere, 10)
{
    void *ctx = zaio_ctx_new();
    void *a = th_socket(ctx, ZAIO_PAIR);
    char ep[300] = "ipc:///tmp/";
    memset(ep + 11, 'x', 200);
    ep[211] = 0;
    zt_assert(zaio_bind(a, ep) == -1 && zaio_errno() == ENAMETOOLONG, "bind: %s",
              zaio_strerror(zaio_errno()));
    zt_assert(zaio_connect(a, ep) == -1 && zaio_errno() == ENAMETOOLONG, "connect");
    zt_assert(zaio_bind(a, "ipc:///nonexistent-zaio-dir/x.ipc") == -1 && zaio_errno() == ENOENT,
              "a directory that is not there: %s", zaio_strerror(zaio_errno()));
    zt_assert(zaio_bind(a, "ipc://") == -1 && zaio_errno() == EINVAL, "no name");
    zaio_close(a);
    th_term(ctx);
}

/* IPC_FILTER_*: a peer whose credentials no filter names is closed at once. */
ZT_TEST(ipc, credential_filters, 30)
{
    void *ctx = zaio_ctx_new();
    const struct {
        int opt, value;
        bool in;
    } cases[] = {
        {ZAIO_IPC_FILTER_UID, (int)getuid() + 1, false},
        {ZAIO_IPC_FILTER_UID, (int)getuid(), true},
        {ZAIO_IPC_FILTER_GID, (int)getgid() + 1, false},
        {ZAIO_IPC_FILTER_PID, (int)getpid(), true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
        th_set_int(push, ZAIO_LINGER, 0);
        th_set_int(pull, cases[i].opt, cases[i].value);
        char mep[64], last[256];
        snprintf(mep, sizeof mep, "inproc://ipc-filter-%zu", i);
        void *mon = th_monitor(ctx, pull, mep,
                               ZAIO_EVENT_ACCEPT_FAILED | ZAIO_EVENT_HANDSHAKE_SUCCEEDED);
        th_bind(pull, "ipc://*", last, sizeof last);
        th_connect(push, last);
        th_send_str(push, "creds", 0);
        uint32_t v = 0;
        int ev = th_event(mon, 5000, &v);
        if (cases[i].in) {
            zt_assert(ev == ZAIO_EVENT_HANDSHAKE_SUCCEEDED, "case %zu: let in (event %#x)", i, ev);
            th_recv_str(pull, "creds");
        } else {
            zt_assert(ev == ZAIO_EVENT_ACCEPT_FAILED && v == EACCES, "case %zu: refused (%#x %u)", i,
                      ev, v);
        }
        zaio_close(mon);
        zaio_close(push);
        zaio_close(pull);
    }
    /* no value clears the list */
    void *s = th_socket(ctx, ZAIO_PULL);
    th_set_int(s, ZAIO_IPC_FILTER_UID, (int)getuid() + 1);
    zt_assert(zaio_setsockopt(s, ZAIO_IPC_FILTER_UID, NULL, 0) == 0, "clear");
    void *p = th_socket(ctx, ZAIO_PUSH);
    char last[256];
    th_bind(s, "ipc://*", last, sizeof last);
    th_connect(p, last);
    th_send_str(p, "cleared", 0);
    th_recv_str(s, "cleared");
    zaio_close(p);
    zaio_close(s);
    th_term(ctx);
}

/* A connect before the bind retries until the path is there. */
ZT_TEST(ipc, connect_before_bind, 20)
{
    void *ctx = zaio_ctx_new();
    char dir[64], path[128], ep[160], last[256];
    scratch(dir, sizeof dir, path, sizeof path, "late.ipc");
    snprintf(ep, sizeof ep, "ipc://%s", path);
    void *push = th_socket(ctx, ZAIO_PUSH), *pull = th_socket(ctx, ZAIO_PULL);
    th_set_int(push, ZAIO_RECONNECT_IVL, 20);
    th_connect(push, ep);
    th_send_str(push, "early", 0);
    th_bind(pull, ep, last, sizeof last);
    th_recv_str(pull, "early");
    zaio_close(push);
    zaio_close(pull);
    rmdir(dir);
    th_term(ctx);
}
