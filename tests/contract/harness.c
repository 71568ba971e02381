/* harness.c - see harness.h. */
#include "harness.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/un.h>
#include <unistd.h>
#endif

void h_net_init(void)
{
#ifdef _WIN32
    static bool done;
    if (!done) {
        WSADATA wsa;
        WSAStartup(MAKEWORD(2, 2), &wsa);
        done = true;
    }
#endif
}

static int64_t now_ms(void)
{
#ifdef _WIN32
    return (int64_t)GetTickCount64();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

int h_family(void)
{
    static int family; /* 0: not read yet */
    if (family)
        return family;
    const char *e = getenv("ZAIO_TEST_FAMILY");
    if (!e || !*e || strcmp(e, "tcp") == 0)
        family = AF_INET;
#ifndef _WIN32
    else if (strcmp(e, "unix") == 0)
        family = AF_UNIX;
#endif
    else
        zt_fail("ZAIO_TEST_FAMILY=%s names no family this build tests (tcp%s)", e,
#ifdef _WIN32
                ": the Windows build has no AF_UNIX"
#else
                " or unix"
#endif
        );
    return family;
}

bool h_unix(void)
{
#ifdef _WIN32
    (void)h_family(); /* fails on ZAIO_TEST_FAMILY=unix */
    return false;
#else
    return h_family() == AF_UNIX;
#endif
}

aio_port *h_port(void)
{
    h_net_init();
    (void)h_family(); /* a family this build cannot test fails every test, never runs TCP */
    aio_port *p = NULL;
    int rc = aio_port_new(AIO_BACKEND_AUTO, &p);
    zt_assert(rc == 0, "aio_port_new: %s", aio_strerror(rc));
    const char *want = getenv("ZAIO_BACKEND");
    if (want && *want)
        zt_assert(strcmp(want, aio_backend_name(aio_port_backend(p))) == 0,
                  "asked for backend %s, got %s", want, aio_backend_name(aio_port_backend(p)));
    return p;
}

void h_record(const aio_completion *c)
{
    h_rec *r = c->key;
    if (r->n < H_REC_MAX)
        r->c[r->n] = *c;
    r->n++;
    r->by_op[c->op]++;
    if (c->op == AIO_OP_ACCEPT && c->accepted && r->naccepted < H_REC_MAX)
        r->accepted[r->naccepted++] = c->accepted;
    if (r->close_in_handler && c->sock)
        aio_close(c->sock);
}

int h_poll(aio_port *p, int timeout_ms)
{
    int rc = aio_port_poll(p, timeout_ms);
    zt_assert(rc >= 0, "aio_port_poll: %s", aio_strerror(rc));
    return rc;
}

void h_poll_until(aio_port *p, const int *count, int want, int deadline_ms)
{
    int64_t end = now_ms() + deadline_ms;
    while (*count < want) {
        h_poll(p, 100);
        zt_assert(now_ms() < end, "waited %d ms for %d completions, have %d", deadline_ms, want, *count);
    }
}

void h_poll_until_freed(aio_port *p, int deadline_ms) { h_poll_until_freed_except(p, 0, deadline_ms); }

void h_poll_until_freed_except(aio_port *p, int keep, int deadline_ms)
{
    int64_t end = now_ms() + deadline_ms;
    for (;;) {
        aio_stats st;
        aio_stats_get(&st);
        if (st.sockets <= keep)
            return;
        h_poll(p, 50);
        zt_assert(now_ms() < end, "leak: %lld sockets still alive after %d ms (%d expected)",
                  (long long)st.sockets, deadline_ms, keep);
    }
}

/* A local address nobody has: 127.0.0.1 port 0 (the kernel picks a free port at bind),
 * or a name of this process's own in Linux's abstract namespace (sun_path[0] == 0: no
 * file, so nothing to clean up, even after a crash). */
static socklen_t fresh_addr(struct sockaddr_storage *a)
{
    memset(a, 0, sizeof *a);
#ifndef _WIN32
    if (h_unix()) {
        static atomic_int seq;
        struct sockaddr_un *u = (struct sockaddr_un *)a;
        u->sun_family = AF_UNIX;
        int n = snprintf(u->sun_path + 1, sizeof u->sun_path - 1, "zaio-contract-%ld-%d",
                         (long)getpid(), atomic_fetch_add(&seq, 1));
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    }
#endif
    struct sockaddr_in *in = (struct sockaddr_in *)a;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *in;
}

aio_socket *h_bound(aio_port *p, aio_handler h, void *key, struct sockaddr_storage *addr,
                    socklen_t *len)
{
    aio_socket *s = NULL;
    int rc = aio_socket_new(p, h_family(), h, key, &s);
    zt_assert(rc == 0, "aio_socket_new: %s", aio_strerror(rc));
    struct sockaddr_storage a;
    socklen_t alen = fresh_addr(&a);
    rc = aio_bind(s, (struct sockaddr *)&a, alen);
    zt_assert(rc == 0, "aio_bind: %s", aio_strerror(rc));
    rc = aio_local_addr(s, addr, len);
    zt_assert(rc == 0, "aio_local_addr: %s", aio_strerror(rc));
    return s;
}

aio_socket *h_listener(aio_port *p, aio_handler h, void *key, struct sockaddr_storage *addr,
                       socklen_t *len, int backlog)
{
    aio_socket *l = h_bound(p, h, key, addr, len);
    int rc = aio_listen(l, backlog);
    zt_assert(rc == 0, "aio_listen: %s", aio_strerror(rc));
    return l;
}

aio_socket *h_pair(aio_port *p, aio_handler h, void *key, cli_fd *cli)
{
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    zt_assert(aio_accept(l) == 0, "accept submit");
    *cli = h_cli_connect(&addr, len);
    h_poll_until(p, &lr.n, 1, 10000);
    zt_assert(lr.c[0].status == 0 && lr.c[0].accepted, "accept failed: %s",
              aio_strerror(lr.c[0].status));
    aio_socket *s = lr.c[0].accepted;
    aio_socket_set_handler(s, h, key);
    aio_close(l);
    return s;
}

static void cli_close_raw(cli_fd fd)
{
#ifdef _WIN32
    closesocket(fd);
#else
    close(fd);
#endif
}

static cli_fd cli_socket(int family)
{
    h_net_init();
    cli_fd fd = socket(family, SOCK_STREAM, 0);
#ifdef _WIN32
    zt_assert(fd != INVALID_SOCKET, "socket: %d", WSAGetLastError());
#else
    zt_assert(fd >= 0, "socket: %s", strerror(errno));
#endif
    return fd;
}

static void cli_connect(cli_fd fd, const struct sockaddr_storage *addr, socklen_t len)
{
    if (addr->ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    }
    int rc = connect(fd, (const struct sockaddr *)addr, len);
    zt_assert(rc == 0, "client connect failed");
}

cli_fd h_cli_connect(const struct sockaddr_storage *addr, socklen_t len)
{
    cli_fd fd = cli_socket(addr->ss_family);
    cli_connect(fd, addr, len);
    return fd;
}

cli_fd h_cli_bound(struct sockaddr_storage *self, socklen_t *self_len)
{
    struct sockaddr_storage a;
    socklen_t alen = fresh_addr(&a);
    cli_fd fd = cli_socket(a.ss_family);
    zt_assert(bind(fd, (struct sockaddr *)&a, alen) == 0, "client bind failed");
    *self_len = sizeof *self;
    zt_assert(getsockname(fd, (struct sockaddr *)self, self_len) == 0, "getsockname failed");
    return fd;
}

bool h_cli_connect_nowait(cli_fd fd, const struct sockaddr_storage *addr, socklen_t len)
{
#ifdef _WIN32
    u_long one = 1;
    zt_assert(ioctlsocket(fd, FIONBIO, &one) == 0, "FIONBIO: %d", WSAGetLastError());
    if (connect(fd, (const struct sockaddr *)addr, len) == 0)
        return true;
    zt_assert(WSAGetLastError() == WSAEWOULDBLOCK, "client connect: %d", WSAGetLastError());
    return true;
#else
    int fl = fcntl(fd, F_GETFL);
    zt_assert(fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0, "O_NONBLOCK: %s",
              strerror(errno));
    if (connect(fd, (const struct sockaddr *)addr, len) == 0 || errno == EINPROGRESS)
        return true;
    zt_assert(errno == EAGAIN, "client connect: %s", strerror(errno));
    return false;
#endif
}

bool h_same_addr(const struct sockaddr_storage *a, socklen_t alen,
                 const struct sockaddr_storage *b, socklen_t blen)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) { /* not sin_zero, which no system promises to clear */
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    return alen == blen && memcmp(a, b, (size_t)alen) == 0;
}

void h_cli_send(cli_fd fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        int k = (int)send(fd, p, (int)n, 0);
        zt_assert(k > 0, "client send failed");
        p += k;
        n -= (size_t)k;
    }
}

void h_cli_close(cli_fd fd) { cli_close_raw(fd); }

void h_cli_close_rst(cli_fd fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg);
    cli_close_raw(fd);
}

static int readable_within(intptr_t fd, int ms)
{
#ifdef _WIN32
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET((SOCKET)fd, &rd);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return select(0, &rd, NULL, NULL, &tv);
#else
    struct pollfd pfd = {.fd = (int)fd, .events = POLLIN};
    return poll(&pfd, 1, ms);
#endif
}

bool h_cli_readable(cli_fd fd) { return readable_within((intptr_t)fd, 0) == 1; }

void h_wait_readable(aio_socket *s, int deadline_ms)
{
    int rc = readable_within(aio_socket_handle(s), deadline_ms);
    zt_assert(rc == 1, "socket not readable within %d ms", deadline_ms);
}

int h_open_fds(void)
{
#ifdef _WIN32
    DWORD n = 0;
    if (GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0)
        return (int)n;
    /* Wine (8.0) answers 0 handles. Its handle table is filled lowest slot first, so
     * count the valid handles up to the first long run of free slots. */
    int count = 0, gap = 0;
    for (uintptr_t h = 4; gap < 1024; h += 4) {
        DWORD flags;
        if (GetHandleInformation((HANDLE)h, &flags)) {
            count++;
            gap = 0;
        } else {
            gap++;
        }
    }
    return count;
#else
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
#endif
}

struct h_thread {
#ifdef _WIN32
    HANDLE h;
#else
    pthread_t t;
#endif
    void (*fn)(void *);
    void *arg;
};

#ifdef _WIN32
static DWORD WINAPI thread_main(LPVOID a)
{
    h_thread *t = a;
    t->fn(t->arg);
    return 0;
}
#else
static void *thread_main(void *a)
{
    h_thread *t = a;
    t->fn(t->arg);
    return NULL;
}
#endif

h_thread *h_thread_start(void (*fn)(void *), void *arg)
{
    h_thread *t = calloc(1, sizeof *t);
    zt_assert(t != NULL, "out of memory");
    t->fn = fn;
    t->arg = arg;
#ifdef _WIN32
    t->h = CreateThread(NULL, 0, thread_main, t, 0, NULL);
    zt_assert(t->h != NULL, "CreateThread");
#else
    int rc = pthread_create(&t->t, NULL, thread_main, t);
    zt_assert(rc == 0, "pthread_create: %s", strerror(rc));
#endif
    return t;
}

void h_thread_join(h_thread *t)
{
#ifdef _WIN32
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
#else
    pthread_join(t->t, NULL);
#endif
    free(t);
}

/* ---- probes ------------------------------------------------------------------------ */

typedef struct probe_worker {
    h_probe_run *run;
    int n;
    int failures;
} probe_worker;

static void probe_main(void *a)
{
    probe_worker *w = a;
    for (int i = 0; i < w->n; i++) {
        cli_fd fd = socket(w->run->addr->ss_family, SOCK_STREAM, 0);
        if (connect(fd, (const struct sockaddr *)w->run->addr, w->run->len) != 0) {
            w->failures++; /* counted, not asserted: a worker thread cannot fail the test */
            cli_close_raw(fd);
            continue;
        }
        h_cli_close_rst(fd);
    }
}

typedef struct probe_group {
    h_probe_run *run;
    h_thread *t[32];
    probe_worker w[32];
    int nt;
} probe_group;

static void probes_main(void *a)
{
    probe_group *g = a;
    for (int i = 0; i < g->nt; i++)
        g->t[i] = h_thread_start(probe_main, &g->w[i]);
    for (int i = 0; i < g->nt; i++) {
        h_thread_join(g->t[i]);
        g->run->connect_failures += g->w[i].failures;
    }
    atomic_store(&g->run->finished, 1);
}

h_thread *h_probes_start(h_probe_run *run)
{
    probe_group *g = calloc(1, sizeof *g);
    zt_assert(g != NULL, "out of memory");
    g->run = run;
    g->nt = run->threads > 32 ? 32 : run->threads;
    for (int i = 0; i < g->nt; i++) {
        g->w[i].run = run;
        g->w[i].n = run->n / g->nt + (i < run->n % g->nt);
    }
    return h_thread_start(probes_main, g); /* the group is freed in h_probes_join */
}

void h_probes_join(h_thread *t)
{
    probe_group *g = t->arg;
    h_thread_join(t);
    free(g);
}

aio_stats h_stats(void)
{
    aio_stats st;
    aio_stats_get(&st);
    return st;
}

void h_finish(aio_port *p)
{
    aio_port_destroy(p);
    aio_stats st;
    aio_stats_get(&st);
    /* first: a record that never completes is still held, and that is the leak */
    zt_assert(aio_stats_live_zero(&st),
              "leak: live counters not zero after the port drained: sockets %lld "
              "accept_sockets %lld op records %lld buffers %lld bytes %lld ports %lld",
              (long long)st.sockets, (long long)st.accept_sockets, (long long)st.ops_in_flight,
              (long long)st.bufs, (long long)st.buf_bytes, (long long)st.ports);
    zt_assert(st.completions == st.submits,
              "every submit must complete exactly once: %lld submits, %lld completions",
              (long long)st.submits, (long long)st.completions);
}

/* ---- many held client connections ------------------------------------------------- */

typedef struct clients_worker {
    const struct sockaddr_storage *addr;
    socklen_t len;
    cli_fd *fds;
    int n;
    int failures;
} clients_worker;

static void clients_worker_main(void *a)
{
    clients_worker *w = a;
    for (int i = 0; i < w->n; i++) {
        cli_fd fd = socket(w->addr->ss_family, SOCK_STREAM, 0);
        if (connect(fd, (const struct sockaddr *)w->addr, w->len) != 0) {
            w->failures++;
            cli_close_raw(fd);
#ifdef _WIN32
            fd = INVALID_SOCKET;
#else
            fd = -1;
#endif
        }
        w->fds[i] = fd;
    }
}

/* Opens n connections from up to 32 threads; returns how many failed. */
static int clients_open(const struct sockaddr_storage *addr, socklen_t len, cli_fd *fds, int n,
                        int threads)
{
    clients_worker w[32];
    h_thread *t[32];
    int nt = threads < 1 ? 1 : threads > 32 ? 32 : threads;
    int at = 0, failures = 0;
    for (int i = 0; i < nt; i++) {
        w[i] = (clients_worker){addr, len, fds + at, n / nt + (i < n % nt), 0};
        at += w[i].n;
        t[i] = h_thread_start(clients_worker_main, &w[i]);
    }
    for (int i = 0; i < nt; i++) {
        h_thread_join(t[i]);
        failures += w[i].failures;
    }
    return failures;
}

#ifdef _WIN32
struct h_clients {
    cli_fd *fds;
    int n;
    h_thread *opener;
    const struct sockaddr_storage *addr;
    socklen_t len;
    int threads;
};

static void clients_opener(void *a)
{
    h_clients *c = a;
    clients_open(c->addr, c->len, c->fds, c->n, c->threads);
}

h_clients *h_clients_start(const struct sockaddr_storage *addr, socklen_t len, int n, int threads)
{
    h_clients *c = calloc(1, sizeof *c);
    zt_assert(c != NULL, "out of memory");
    c->fds = calloc((size_t)n, sizeof *c->fds);
    zt_assert(c->fds != NULL, "out of memory");
    *c = (h_clients){c->fds, n, NULL, addr, len, threads};
    c->opener = h_thread_start(clients_opener, c);
    return c;
}

static void clients_close(h_clients *c, bool rst)
{
    h_thread_join(c->opener);
    for (int i = 0; i < c->n; i++)
        if (c->fds[i] != INVALID_SOCKET)
            (rst ? h_cli_close_rst : h_cli_close)(c->fds[i]);
    free(c->fds);
    free(c);
}

void h_clients_stop(h_clients *c) { clients_close(c, false); }
void h_clients_reset(h_clients *c) { clients_close(c, true); }

int h_raise_fd_limit(void)
{
    /* Windows has no descriptor limit to raise. Wine has: it keeps every socket as a
     * Unix descriptor in the wineserver (which holds the sockets of every process of
     * the prefix) and in this process, so both ends of each loopback connection count
     * against one RLIMIT_NOFILE, which a Windows program cannot read: wine-run.sh passes
     * it. Half of it, less what wine itself holds, is left for the server side. */
    if (!GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version"))
        return -1;
    const char *e = getenv("ZAIO_WINE_NOFILE");
    long nofile = e ? strtol(e, NULL, 10) : 0;
    if (nofile <= 400)
        return -1;
    return (int)((nofile - 400) / 2);
}
#else
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

struct h_clients {
    pid_t pid;
    int release_fd; /* closing it tells the child to close everything and exit */
};

h_clients *h_clients_start(const struct sockaddr_storage *addr, socklen_t len, int n, int threads)
{
    int pfd[2];
    zt_assert(pipe(pfd) == 0, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    zt_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(pfd[1]);
        cli_fd *fds = calloc((size_t)n, sizeof *fds);
        if (!fds)
            _exit(2);
        int failures = clients_open(addr, len, fds, n, threads);
        char b;
        bool rst = false;
        while (read(pfd[0], &b, 1) > 0)
            rst = b == 'R'; /* held open until the parent lets go */
        if (rst)
            for (int i = 0; i < n; i++)
                if (fds[i] >= 0)
                    setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
                               sizeof(struct linger));
        _exit(failures ? 1 : 0); /* exit closes every connection at once */
    }
    close(pfd[0]);
    h_clients *c = calloc(1, sizeof *c);
    zt_assert(c != NULL, "out of memory");
    c->pid = pid;
    c->release_fd = pfd[1];
    return c;
}

void h_clients_reset(h_clients *c)
{
    zt_assert(write(c->release_fd, "R", 1) == 1, "write: %s", strerror(errno));
    h_clients_stop(c);
}

void h_clients_stop(h_clients *c)
{
    close(c->release_fd);
    int st = 0;
    pid_t r;
    while ((r = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR)
        ;
    free(c);
    zt_assert(r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the client process failed to open its connections (status %d)", st);
}

int h_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > 1000000 ? 1000000 : (int)rl.rlim_cur;
}
#endif
