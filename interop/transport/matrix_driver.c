/* matrix_driver.c - runs one entry of the interop matrix: two matrix_peer processes,
 * one socket each, their control lines relayed between them.
 *
 *     matrix_driver STAY_PROG STAY_TYPE RESTART_PROG RESTART_TYPE stay_binds|stay_connects [ipc]
 *
 * starts  STAY_PROG stay STAY_TYPE RESTART_TYPE bind|connect
 * and     RESTART_PROG restart RESTART_TYPE STAY_TYPE connect|bind
 * with each one's stdout going to the other's stdin, line by line. When the restart
 * side writes "@restart ARGS" and exits 0, it is started again as a new process with
 * ARGS appended, and what the stay side wrote meanwhile goes to the new one. Passes
 * when every process exits 0; fails (killing the rest) on the first that does not, or
 * after MATRIX_TIMEOUT seconds (default 240).
 *
 * MATRIX_STAY_WRAPPER, if set, is a command the stay side runs under (words split on
 * spaces), e.g. "wine" for a Windows build of matrix_peer_zaio.exe.
 *
 * ipc: the binder binds an ipc:// path of the driver's (MATRIX_BIND, in a directory the
 * driver makes and removes), the same path again when it is the side restarted. When the
 * stay side (zaio) binds, the run fails if the socket file outlives it: zaio removes it
 * on close. libzmq 4.3.4 leaves a named path's file (its next bind replaces it). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *name;
    pid_t pid;    /* 0 when not running */
    int in, out;  /* its stdin (we write), its stdout (we read) */
    char buf[4096];
    size_t len;   /* a partial line read so far */
} child;

static child stay = {.name = "stay"}, rst = {.name = "restart"};
static char *restart_args[8];
static int nrestart_args, switching, restarts;
static char *held; /* stay-side lines waiting for the next restart process */
static size_t held_len;
static double deadline; /* now_s() by which the run must be over */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void kill_all(void)
{
    child *cs[] = {&stay, &rst};
    for (int i = 0; i < 2; i++)
        if (cs[i]->pid > 0) {
            kill(cs[i]->pid, SIGKILL);
            waitpid(cs[i]->pid, NULL, 0);
            cs[i]->pid = 0;
        }
}

/* ipc: the directory of the binder's socket file, and the file */
static char ipc_dir[64], ipc_path[96];

static void ipc_cleanup(void)
{
    if (ipc_path[0])
        unlink(ipc_path);
    if (ipc_dir[0])
        rmdir(ipc_dir);
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "[driver] FAIL: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    kill_all();
    ipc_cleanup();
    exit(1);
}

static void spawn(child *c, char **argv)
{
    int to[2], from[2];
    if (pipe(to) < 0 || pipe(from) < 0)
        die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]);
        close(to[1]);
        close(from[0]);
        close(from[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "[driver] exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    c->pid = pid;
    c->in = to[1];
    c->out = from[0];
    c->len = 0;
}

static void put(child *c, const char *data, size_t n)
{
    while (n > 0 && c->in >= 0) {
        ssize_t w = write(c->in, data, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* it exited: its status tells why */
        }
        data += w;
        n -= (size_t)w;
    }
}

static void hold(const char *line, size_t n)
{
    char *p = realloc(held, held_len + n);
    if (!p)
        die("%s", "out of memory");
    memcpy(p + held_len, line, n);
    held = p;
    held_len += n;
}

/* A line (with its \n) from c: to the other side, or for us. */
static void route(child *c, char *line, size_t n)
{
    if (c == &rst) {
        if (strncmp(line, "@restart", 8) == 0) {
            /* from here on the stay side talks to the next process */
            line[n - 1] = 0;
            nrestart_args = 0;
            for (char *w = strtok(line + 8, " \r"); w && nrestart_args < 7; w = strtok(NULL, " \r"))
                restart_args[nrestart_args++] = strdup(w);
            switching = 1;
            return;
        }
        put(&stay, line, n);
        return;
    }
    if (switching || rst.pid == 0)
        hold(line, n);
    else
        put(&rst, line, n);
}

/* Reads what c wrote; 0 at end of file. */
static int drain(child *c)
{
    ssize_t r = read(c->out, c->buf + c->len, sizeof c->buf - c->len);
    if (r < 0)
        return errno == EINTR || errno == EAGAIN;
    if (r == 0)
        return 0;
    c->len += (size_t)r;
    size_t start = 0;
    for (size_t i = 0; i < c->len; i++)
        if (c->buf[i] == '\n') {
            route(c, c->buf + start, i + 1 - start);
            start = i + 1;
        }
    memmove(c->buf, c->buf + start, c->len - start);
    c->len -= start;
    if (c->len == sizeof c->buf)
        die("%s side wrote a line too long", c->name);
    return 1;
}

/* c closed its stdout: collect its status. */
static void ended(child *c)
{
    int status;
    close(c->out);
    c->out = -1;
    if (waitpid(c->pid, &status, 0) < 0)
        die("waitpid: %s", strerror(errno));
    c->pid = 0;
    close(c->in);
    c->in = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char what[64];
        if (WIFEXITED(status))
            snprintf(what, sizeof what, "exit status %d", WEXITSTATUS(status));
        else
            snprintf(what, sizeof what, "signal %d", WTERMSIG(status));
        fprintf(stderr, "[driver] FAIL: the %s side ended with %s\n", c->name, what);
        /* the other side, stuck in a wait of its own, says what it saw when that wait
         * ends (matrix_peer.c's WAIT_MS, 60 s): give it the time, as far as the run's
         * deadline allows, then stop it */
        child *o = c == &stay ? &rst : &stay;
        if (o->pid > 0) {
            if (o->in >= 0)
                close(o->in);
            o->in = -1;
            for (int i = 0; i < 650 && o->pid > 0 && now_s() < deadline; i++) {
                if (waitpid(o->pid, NULL, WNOHANG) != 0)
                    o->pid = 0;
                else
                    usleep(100 * 1000);
            }
        }
        kill_all();
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if ((argc != 6 && !(argc == 7 && strcmp(argv[6], "ipc") == 0)) ||
        (strcmp(argv[5], "stay_binds") != 0 && strcmp(argv[5], "stay_connects") != 0)) {
        fprintf(stderr, "usage: %s STAY_PROG STAY_TYPE RESTART_PROG RESTART_TYPE "
                        "stay_binds|stay_connects [ipc]\n", argv[0]);
        return 2;
    }
    if (argc == 7) {
        snprintf(ipc_dir, sizeof ipc_dir, "/tmp/zaio-matrix-XXXXXX");
        if (!mkdtemp(ipc_dir))
            die("mkdtemp: %s", strerror(errno));
        snprintf(ipc_path, sizeof ipc_path, "%s/m.ipc", ipc_dir);
        char bind_ep[128];
        snprintf(bind_ep, sizeof bind_ep, "ipc://%s", ipc_path);
        setenv("MATRIX_BIND", bind_ep, 1);
    }
    signal(SIGPIPE, SIG_IGN);
    int stay_binds = strcmp(argv[5], "stay_binds") == 0;
    double t0 = now_s();
    const char *tmo = getenv("MATRIX_TIMEOUT");
    deadline = t0 + (tmo ? atof(tmo) : 240);

    char *sargv[24];
    int n = 0;
    char *wrapper = getenv("MATRIX_STAY_WRAPPER") ? strdup(getenv("MATRIX_STAY_WRAPPER")) : NULL;
    for (char *w = wrapper ? strtok(wrapper, " ") : NULL; w && n < 16; w = strtok(NULL, " "))
        sargv[n++] = w;
    sargv[n++] = argv[1];
    sargv[n++] = "stay";
    sargv[n++] = argv[2];
    sargv[n++] = argv[4];
    sargv[n++] = stay_binds ? "bind" : "connect";
    sargv[n] = NULL;
    char *rargv[16] = {argv[3], "restart", argv[4], argv[2], stay_binds ? "connect" : "bind"};
    spawn(&stay, sargv);
    spawn(&rst, rargv);

    while (stay.out >= 0 || rst.out >= 0) {
        struct pollfd p[2] = {{rst.out, POLLIN, 0}, {stay.out, POLLIN, 0}};
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0)
            die("no end after %s seconds", tmo ? tmo : "240");
        int rc = poll(p, 2, left);
        if (rc < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (rc <= 0)
            continue;
        /* the restart side first: its "@restart" was written before it closed its
         * socket, so before anything the stay side says about that */
        if (p[0].revents && !drain(&rst)) {
            ended(&rst);
            if (!switching && stay.in >= 0) {
                close(stay.in); /* nobody left to answer it: let it see the end */
                stay.in = -1;
            } else if (switching) {
                for (int i = 0; i < nrestart_args; i++)
                    rargv[5 + i] = restart_args[i];
                rargv[5 + nrestart_args] = NULL;
                spawn(&rst, rargv);
                switching = 0;
                restarts++;
                put(&rst, held, held_len);
                held_len = 0;
            }
        }
        if (p[1].revents && !drain(&stay)) {
            ended(&stay);
            if (rst.in >= 0) {
                close(rst.in);
                rst.in = -1;
            }
        }
    }
    if (ipc_path[0] && stay_binds && access(ipc_path, F_OK) == 0)
        die("the socket file %s outlived both processes", ipc_path);
    ipc_cleanup();
    fprintf(stderr, "[driver] %s (stay) with %s (restart), %s%s: passed in %.2f s, %d restart(s)\n",
            argv[2], argv[4], argv[5], ipc_path[0] ? " over ipc" : "", now_s() - t0, restarts);
    return 0;
}
