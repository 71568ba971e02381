/* hello.c - zaio's hello world: a REP server answers "World" to each "Hello" from a REQ
 * client, over TCP on a port the system picks. Both sides live in this one process, the
 * server in a thread of its own, so the program needs nothing else running.
 *
 * Build it against an installed zaio, with pkg-config (PKG_CONFIG_PATH=<prefix>/lib/
 * pkgconfig if zaio is not installed where pkg-config looks already):
 *   cc -pthread hello.c $(pkg-config --cflags --libs zaio) -o hello
 * or with CMake and CMakeLists.txt beside this file:
 *   cmake -S . -B build -DCMAKE_PREFIX_PATH=<prefix> && cmake --build build
 * A prefix the dynamic loader does not search needs LD_LIBRARY_PATH=<prefix>/lib to run
 * the first (CMake records the path in its build). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zaio.h>

#define ROUNDS 3

static void die(const char *what)
{
    fprintf(stderr, "hello: %s: %s\n", what, zaio_strerror(zaio_errno()));
    exit(1);
}

static void *serve(void *rep)
{
    for (int i = 0; i < ROUNDS; i++) {
        char request[16];
        if (zaio_recv(rep, request, sizeof request, 0) < 0)
            die("server recv");
        if (zaio_send(rep, "World", 5, 0) < 0)
            die("server send");
    }
    return NULL;
}

int main(void)
{
    void *ctx = zaio_ctx_new();
    if (!ctx)
        die("zaio_ctx_new");

    /* The server binds first, so the client knows which port to connect to. */
    void *rep = zaio_socket(ctx, ZAIO_REP);
    if (!rep || zaio_bind(rep, "tcp://127.0.0.1:*") < 0)
        die("server bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zaio_getsockopt(rep, ZAIO_LAST_ENDPOINT, endpoint, &len) < 0)
        die("ZAIO_LAST_ENDPOINT");

    /* A socket is used by one thread at a time: from here until the join, the server
     * thread's. */
    pthread_t server;
    if (pthread_create(&server, NULL, serve, rep) != 0) {
        fprintf(stderr, "hello: cannot start the server thread\n");
        return 1;
    }

    void *req = zaio_socket(ctx, ZAIO_REQ);
    if (!req || zaio_connect(req, endpoint) < 0)
        die("client connect");
    for (int i = 0; i < ROUNDS; i++) {
        char reply[16];
        if (zaio_send(req, "Hello", 5, 0) < 0)
            die("client send");
        int n = zaio_recv(req, reply, sizeof reply, 0);
        if (n < 0)
            die("client recv");
        if (n > (int)sizeof reply)
            n = (int)sizeof reply;
        printf("hello: sent Hello, received %.*s\n", n, reply);
    }
    pthread_join(server, NULL);

    int major, minor, patch;
    zaio_version(&major, &minor, &patch);
    printf("hello: zaio %d.%d.%d, %s backend, %s\n", major, minor, patch, zaio_backend(ctx),
           endpoint);

    zaio_close(req);
    zaio_close(rep);
    if (zaio_ctx_term(ctx) < 0)
        die("zaio_ctx_term");
    return 0;
}
