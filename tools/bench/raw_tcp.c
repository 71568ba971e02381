/* raw_tcp.c - the baseline for `make bench`: what the machine does with no messaging
 * library at all. One process writes <count> writes of <size> bytes over a loopback
 * connection (TCP, or a Unix-domain stream socket for ipc) to another that reads them
 * into a 256 KiB buffer; or, for latency, the two bounce <size> bytes back and forth.
 * Output lines are those of libzmq's perf programs, so one script reads all three.
 * A benchmark, not a test.
 *
 *   raw-tcp thr tcp|unix <size> <count>
 *   raw-tcp lat tcp|unix <size> <roundtrip-count> */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            die("write");
        p += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            die("read");
        p += r;
        n -= (size_t)r;
    }
}

/* A connected pair: *srv accepted here, *cli connected in the same process before the
 * fork (each side then keeps one). */
static void pair_up(int is_unix, int *srv, int *cli)
{
    int l;
    if (is_unix) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "/tmp/zaio-raw-%d.sock", (int)getpid());
        unlink(a.sun_path);
        l = socket(AF_UNIX, SOCK_STREAM, 0);
        if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0)
            die("unix listen");
        *cli = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(*cli, (struct sockaddr *)&a, sizeof a) != 0)
            die("unix connect");
        *srv = accept(l, NULL, NULL);
        unlink(a.sun_path);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof a;
        l = socket(AF_INET, SOCK_STREAM, 0);
        if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
            getsockname(l, (struct sockaddr *)&a, &len) != 0)
            die("tcp listen");
        *cli = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(*cli, (struct sockaddr *)&a, sizeof a) != 0)
            die("tcp connect");
        *srv = accept(l, NULL, NULL);
        int one = 1; /* as a messaging library sets it */
        setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (*srv < 0)
        die("accept");
    close(l);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s thr|lat tcp|unix <size> <count>\n", argv[0]);
        return 1;
    }
    int lat = strcmp(argv[1], "lat") == 0;
    int is_unix = strcmp(argv[2], "unix") == 0;
    size_t size = (size_t)atol(argv[3]);
    long count = atol(argv[4]);
    if (size < 1 || count < 1) {
        fprintf(stderr, "size and count must be at least 1\n");
        return 1;
    }
    int srv, cli;
    pair_up(is_unix, &srv, &cli);
    size_t cap = lat ? size : 256 * 1024;
    char *buf = calloc(1, cap > size ? cap : size);
    if (!buf)
        die("calloc");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) { /* the remote side: writes, or echoes */
        close(srv);
        for (long i = 0; i < count; i++) {
            if (lat)
                read_all(cli, buf, size);
            write_all(cli, buf, size);
        }
        close(cli);
        _exit(0);
    }
    close(cli);
    uint64_t t0 = 0, elapsed;
    if (lat) {
        t0 = now_us();
        for (long i = 0; i < count; i++) {
            write_all(srv, buf, size);
            read_all(srv, buf, size);
        }
        elapsed = now_us() - t0;
    } else {
        /* as local_thr: the clock starts at the first message, which is not counted */
        uint64_t total = (uint64_t)size * (uint64_t)count, got = 0;
        while (got < total) {
            ssize_t r = read(srv, buf, cap);
            if (r <= 0)
                die("read");
            if (got < size && got + (uint64_t)r >= size)
                t0 = now_us();
            got += (uint64_t)r;
        }
        elapsed = now_us() - t0;
    }
    if (elapsed == 0)
        elapsed = 1;
    close(srv);
    int st;
    waitpid(pid, &st, 0);
    printf("message size: %zu [B]\n", size);
    if (lat) {
        printf("roundtrip count: %ld\n", count);
        printf("average latency: %.3f [us]\n", (double)elapsed / (double)(count * 2));
    } else {
        double thr = (double)(count - 1) / (double)elapsed * 1000000.0;
        printf("message count: %ld\n", count);
        printf("mean throughput: %d [msg/s]\n", (int)thr);
        printf("mean throughput: %.3f [Mb/s]\n", thr * (double)size * 8 / 1000000.0);
    }
    free(buf);
    return 0;
}
