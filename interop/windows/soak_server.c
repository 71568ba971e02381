/* soak_server.c - the Windows side of the short probe soak (run_soak.sh): a zaio ROUTER
 * under wine that echoes whatever a native libzmq DEALER sends while zaio-probe hits the
 * same port with resets, FINs, HTTP requests, corrupt, partial and silent greetings.
 *
 * It prints its endpoint (tcp://127.0.0.1:<port>) on the first line, echoes each
 * message (routing id, then the frames as they came) until a one-frame "STOP", closes
 * the ROUTER and then checks what the issue asks of the IOCP backend under probes: the
 * live counters (aio sockets, accept sockets, ops in flight, pinned buffers, TCP
 * connections, handshakes) all come back to zero. Exit 0 only then.
 *
 * A one-frame "SAMPLE <probes>" from the DEALER (the driver asks for one between bursts
 * of probes) is echoed like any message and also prints a line for the soak's picture:
 *   sample <probes> <ms> <sockets> <accept_sockets> <ops_in_flight> <bufs> <connections>
 *          <handshakes> <rss_kib>
 * Usage: soak_server [handshake_ivl_ms]   (default 1000: silent probes go within a second) */
#include "zaio.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built for Windows; the POSIX half lets run_soak.sh drive it natively by hand (no
 * emulator argument) when a difference between the backends needs looking at. */
#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
static long long now_ms(void) { return (long long)GetTickCount64(); }
static void nap_ms(int ms) { Sleep((DWORD)ms); }
static long long rss_kib(void)
{
    PROCESS_MEMORY_COUNTERS pmc;
    if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
        return -1;
    return (long long)(pmc.WorkingSetSize / 1024);
}
#else
#include <time.h>
static long long rss_kib(void)
{
    long long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}
#endif

#define IDLE_LIMIT_MS 120000 /* no message for this long: the driver is gone */
#define DRAIN_LIMIT_MS 10000 /* closing connections and cancelled ops, under wine */

static void set_int(void *s, int opt, int v)
{
    if (zaio_setsockopt(s, opt, &v, sizeof v) != 0) {
        fprintf(stderr, "soak_server: setsockopt %d: %s\n", opt, zaio_strerror(zaio_errno()));
        exit(1);
    }
}

static bool live_zero(const zaio_stats_t *st)
{
    return st->sockets == 0 && st->accept_sockets == 0 && st->ops_in_flight == 0 &&
           st->bufs == 0 && st->connections == 0 && st->handshakes == 0;
}

static void print_stats(const char *when, const zaio_stats_t *st)
{
    printf("soak_server: %s: sockets %lld accept_sockets %lld ops_in_flight %lld bufs %lld "
           "(%lld bytes) connections %lld handshakes %lld; submits %lld completions %lld "
           "cancels %lld submit_failures %lld\n",
           when, (long long)st->sockets, (long long)st->accept_sockets,
           (long long)st->ops_in_flight, (long long)st->bufs, (long long)st->buf_bytes,
           (long long)st->connections, (long long)st->handshakes, (long long)st->submits,
           (long long)st->completions, (long long)st->cancels, (long long)st->submit_failures);
}

static long long start_ms;

static void print_sample(void *ctx, const char *probes)
{
    zaio_stats_t st;
    zaio_stats(ctx, &st);
    printf("sample %s %lld %lld %lld %lld %lld %lld %lld %lld\n", probes, now_ms() - start_ms,
           (long long)st.sockets, (long long)st.accept_sockets, (long long)st.ops_in_flight,
           (long long)st.bufs, (long long)st.connections, (long long)st.handshakes, rss_kib());
}

/* Echoes one whole message (id frame first) back: 1 when it was the STOP, 0 for any
 * other, -1 on an error (the idle limit included). */
static int echo_one(void *ctx, void *router, long long *frames)
{
    bool stop = false;
    int part = 0;
    for (;;) {
        zaio_msg_t m;
        zaio_msg_init(&m);
        if (zaio_msg_recv(&m, router, 0) < 0) {
            fprintf(stderr, "soak_server: recv: %s\n", zaio_strerror(zaio_errno()));
            zaio_msg_close(&m);
            return -1;
        }
        bool more = zaio_msg_more(&m);
        if (part == 1 && !more && zaio_msg_size(&m) == 4 && memcmp(zaio_msg_data(&m), "STOP", 4) == 0)
            stop = true;
        /* the probe count is the driver's: digits only, so the line stays one line */
        size_t n = zaio_msg_size(&m);
        const char *d = zaio_msg_data(&m);
        if (part == 1 && !more && n > 7 && n < 32 && memcmp(d, "SAMPLE ", 7) == 0 &&
            strspn(d + 7, "0123456789") == n - 7) {
            char probes[32];
            memcpy(probes, d + 7, n - 7);
            probes[n - 7] = '\0';
            print_sample(ctx, probes);
        }
        if (zaio_msg_send(&m, router, more ? ZAIO_SNDMORE : 0) < 0) {
            fprintf(stderr, "soak_server: send: %s\n", zaio_strerror(zaio_errno()));
            zaio_msg_close(&m);
            return -1;
        }
        (*frames)++;
        part++;
        if (!more)
            return stop ? 1 : 0;
    }
}

int main(int argc, char **argv)
{
    int hs_ivl = argc > 1 ? atoi(argv[1]) : 1000;
    setvbuf(stdout, NULL, _IONBF, 0); /* the driver reads the endpoint through a pipe */

    void *ctx = zaio_ctx_new();
    void *router = ctx ? zaio_socket(ctx, ZAIO_ROUTER) : NULL;
    if (!router) {
        fprintf(stderr, "soak_server: socket: %s\n", zaio_strerror(zaio_errno()));
        return 1;
    }
    set_int(router, ZAIO_HANDSHAKE_IVL, hs_ivl);
    set_int(router, ZAIO_RCVTIMEO, IDLE_LIMIT_MS);
    set_int(router, ZAIO_LINGER, 2000);
    char ep[256];
    size_t len = sizeof ep;
    if (zaio_bind(router, "tcp://127.0.0.1:*") != 0 ||
        zaio_getsockopt(router, ZAIO_LAST_ENDPOINT, ep, &len) != 0) {
        fprintf(stderr, "soak_server: bind: %s\n", zaio_strerror(zaio_errno()));
        return 1;
    }
    printf("%s\n", ep);
    printf("soak_server: backend %s\n", zaio_backend(ctx));
    start_ms = now_ms();

    long long messages = 0, frames = 0;
    int rc;
    while ((rc = echo_one(ctx, router, &frames)) == 0)
        messages++;
    zaio_stats_t st;
    zaio_stats(ctx, &st);
    printf("soak_server: echoed %lld messages (%lld frames)\n", messages, frames);
    print_stats("before close", &st);
    zaio_close(router);

    /* Closing is asynchronous: sessions linger, cancelled ops complete on the I/O thread
     * and only then free their records and buffers. The counters are what we wait on; no
     * event says "all released", so read them until zero or the deadline. */
    long long end = now_ms() + DRAIN_LIMIT_MS;
    for (;;) {
        zaio_stats(ctx, &st);
        if (live_zero(&st) || now_ms() > end)
            break;
        nap_ms(10);
    }
    print_stats("after close", &st);
    bool ok = rc == 1 && live_zero(&st);
    if (zaio_ctx_term(ctx) != 0) {
        fprintf(stderr, "soak_server: term: %s\n", zaio_strerror(zaio_errno()));
        ok = false;
    }
    /* the I/O threads' ports are gone too: the process's own counters */
    zaio_stats(NULL, &st);
    print_stats("after term", &st);
    ok = ok && live_zero(&st);
    printf("soak_server: %s\n", ok ? "live counters zero" : "FAILED");
    return ok ? 0 : 1;
}
