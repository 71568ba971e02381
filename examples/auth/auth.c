/* auth.c - authentication with zaio: a REP server that lets in only the users a ZAP
 * handler (RFC 27) approves, as libzmq does. The handler is a REP socket bound at
 * inproc://zeromq.zap.01 in the server's context, served by a thread of its own; the
 * server asks it about every client during the handshake and lets in only those it
 * answers "200" for. Each message from an admitted client carries the User-Id the
 * handler named (zaio_msg_gets).
 *
 *   PLAIN: the server sets ZAIO_PLAIN_SERVER; clients set ZAIO_PLAIN_USERNAME and
 *   ZAIO_PLAIN_PASSWORD. Without a handler bound, a PLAIN server lets nobody in.
 *   (PLAIN sends the password in clear: use it on loopback or inside a tunnel.)
 *
 * Build it against an installed zaio like examples/hello:
 *   cc -pthread auth.c $(pkg-config --cflags --libs zaio) -o auth
 * It prints what happened to a right and a wrong password and exits 0 when the right
 * one got in and the wrong one did not. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zaio.h>

static void die(const char *what)
{
    fprintf(stderr, "auth: %s: %s\n", what, zaio_strerror(zaio_errno()));
    exit(1);
}

static void send_str(void *s, const char *str, bool more)
{
    if (zaio_send(s, str, strlen(str), more ? ZAIO_SNDMORE : 0) < 0)
        die("send");
}

/* One frame into buf (NUL-terminated, cut to fit); its length, or -1 on a timeout. */
static int recv_str(void *s, char *buf, size_t cap)
{
    int n = zaio_recv(s, buf, cap - 1, 0);
    if (n >= 0)
        buf[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = 0;
    return n;
}

/* ---- the ZAP handler: the application's say on who comes in ----------------------------- */

static volatile bool handler_stop;

static void *zap_handler(void *sock)
{
    while (!handler_stop) {
        /* request: version, request id, domain, address, routing id, mechanism, then the
         * mechanism's credentials (PLAIN: username, password) */
        char f[8][256];
        int n = 0, more = 1;
        size_t len = sizeof more;
        if (recv_str(sock, f[0], sizeof f[0]) < 0)
            continue; /* RCVTIMEO: look at handler_stop again */
        for (n = 1; n < 8 && zaio_getsockopt(sock, ZAIO_RCVMORE, &more, &len) == 0 && more; n++)
            recv_str(sock, f[n], sizeof f[n]);
        bool ok = n == 8 && strcmp(f[5], "PLAIN") == 0 && strcmp(f[6], "alice") == 0 &&
                  strcmp(f[7], "open sesame") == 0;
        /* reply: version, request id, status code, status text, user id, metadata */
        send_str(sock, "1.0", true);
        send_str(sock, f[1], true);
        send_str(sock, ok ? "200" : "400", true);
        send_str(sock, ok ? "OK" : "no such user or wrong password", true);
        send_str(sock, ok ? "user-alice" : "", true);
        send_str(sock, "", false);
    }
    return NULL;
}

/* A client with these credentials sends one request: whether the server replied. */
static bool try_client(void *ctx, const char *endpoint, const char *user, const char *pass)
{
    void *req = zaio_socket(ctx, ZAIO_REQ);
    int zero = 0, ms = 1000;
    zaio_setsockopt(req, ZAIO_LINGER, &zero, sizeof zero);
    zaio_setsockopt(req, ZAIO_RCVTIMEO, &ms, sizeof ms);
    zaio_setsockopt(req, ZAIO_PLAIN_USERNAME, user, strlen(user));
    zaio_setsockopt(req, ZAIO_PLAIN_PASSWORD, pass, strlen(pass));
    if (zaio_connect(req, endpoint) != 0)
        die("connect");
    /* DONTWAIT: a refused client stops, and with no connection a REQ would wait */
    (void)zaio_send(req, "hello", 5, ZAIO_DONTWAIT);
    char reply[64];
    bool in = recv_str(req, reply, sizeof reply) >= 0;
    printf("auth: %s with password '%s': %s\n", user, pass, in ? reply : "refused");
    zaio_close(req);
    return in;
}

static void *serve(void *rep)
{
    zaio_msg_t m;
    zaio_msg_init(&m);
    while (zaio_msg_recv(&m, rep, 0) >= 0) {
        const char *user = zaio_msg_gets(&m, "User-Id");
        char reply[64];
        snprintf(reply, sizeof reply, "welcome, %s", user ? user : "?");
        send_str(rep, reply, false);
    }
    zaio_msg_close(&m);
    return NULL; /* the context terminated */
}

int main(void)
{
    void *ctx = zaio_ctx_new();
    if (!ctx)
        die("ctx");

    void *zap = zaio_socket(ctx, ZAIO_REP);
    int ms = 100;
    zaio_setsockopt(zap, ZAIO_RCVTIMEO, &ms, sizeof ms);
    if (zaio_bind(zap, "inproc://zeromq.zap.01") != 0)
        die("bind the ZAP handler");
    pthread_t handler;
    pthread_create(&handler, NULL, zap_handler, zap);

    void *rep = zaio_socket(ctx, ZAIO_REP);
    int one = 1;
    zaio_setsockopt(rep, ZAIO_PLAIN_SERVER, &one, sizeof one);
    if (zaio_bind(rep, "tcp://127.0.0.1:*") != 0)
        die("bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    zaio_getsockopt(rep, ZAIO_LAST_ENDPOINT, endpoint, &len);
    pthread_t server;
    pthread_create(&server, NULL, serve, rep);

    bool right = try_client(ctx, endpoint, "alice", "open sesame");
    bool wrong = try_client(ctx, endpoint, "alice", "guess");

    handler_stop = true;
    pthread_join(handler, NULL);
    zaio_close(zap);
    zaio_ctx_shutdown(ctx); /* the server's recv returns ETERM */
    pthread_join(server, NULL);
    zaio_close(rep);
    zaio_ctx_term(ctx);
    bool pass = right && !wrong;
    printf("auth: %s\n", pass ? "the right password got in, the wrong one did not" : "FAIL");
    return pass ? 0 : 1;
}
