/* curve.c - encryption and authentication with zaio: CURVE (RFC 26) with a ZAP handler
 * (RFC 27), as with libzmq. The server has a long-term key pair and its clients know its
 * public key; each client has a key pair of its own. The handshake proves both sides
 * hold their secret keys and encrypts everything after it; the server then asks the ZAP
 * handler (a REP socket bound at inproc://zeromq.zap.01 in the server's context) about
 * the client's public key, and lets in only the keys the handler answers "200" for.
 * Each message from an admitted client carries the User-Id the handler named.
 *
 *   server: ZAIO_CURVE_SERVER 1 and its ZAIO_CURVE_SECRETKEY
 *   client: ZAIO_CURVE_SERVERKEY (the server's public key), ZAIO_CURVE_PUBLICKEY and
 *           ZAIO_CURVE_SECRETKEY (its own pair)
 * Keys are 40 Z85 characters (zaio_curve_keypair) or 32 bytes. Without a handler bound,
 * a CURVE server lets in every client that knows its public key, as libzmq does; keep
 * the secret keys secret (a real program reads them from files only it can read).
 *
 * Build it against an installed zaio like examples/hello:
 *   cc -pthread curve.c $(pkg-config --cflags --libs zaio) -o curve
 * It tries three clients, a known one, a stranger and one with the wrong server key,
 * prints what happened and exits 0 when only the known one got in. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zaio.h>

static void die(const char *what)
{
    fprintf(stderr, "curve: %s: %s\n", what, zaio_strerror(zaio_errno()));
    exit(1);
}

static void send_str(void *s, const char *str, bool more)
{
    if (zaio_send(s, str, strlen(str), more ? ZAIO_SNDMORE : 0) < 0)
        die("send");
}

typedef struct keypair {
    char pub[41], sec[41];
} keypair;

static keypair new_keys(void)
{
    keypair k;
    if (zaio_curve_keypair(k.pub, k.sec) != 0)
        die("zaio_curve_keypair (a build without CURVE?)");
    return k;
}

/* ---- the ZAP handler: the application's say on who comes in ----------------------------- */

static volatile bool handler_stop;
static uint8_t known_client[32]; /* the one public key the handler lets in */

static void *zap_handler(void *sock)
{
    while (!handler_stop) {
        /* request: version, request id, domain, address, routing id, mechanism, then the
         * mechanism's credentials (CURVE: the client's long-term public key, 32 bytes) */
        uint8_t f[7][64];
        int len[7], n, more = 1;
        size_t ml = sizeof more;
        if ((len[0] = zaio_recv(sock, f[0], sizeof f[0], 0)) < 0)
            continue; /* RCVTIMEO: look at handler_stop again */
        for (n = 1; n < 7 && zaio_getsockopt(sock, ZAIO_RCVMORE, &more, &ml) == 0 && more; n++)
            len[n] = zaio_recv(sock, f[n], sizeof f[n], 0);
        while (zaio_getsockopt(sock, ZAIO_RCVMORE, &more, &ml) == 0 && more)
            zaio_recv(sock, f[0], 0, 0); /* a request longer than CURVE's: not ours */
        bool ok = n == 7 && len[5] == 5 && memcmp(f[5], "CURVE", 5) == 0 && len[6] == 32 &&
                  memcmp(f[6], known_client, 32) == 0;
        /* reply: version, request id, status code, status text, user id, metadata */
        send_str(sock, "1.0", true);
        if (zaio_send(sock, f[1], (size_t)len[1], ZAIO_SNDMORE) < 0)
            die("send");
        send_str(sock, ok ? "200" : "400", true);
        send_str(sock, ok ? "OK" : "unknown key", true);
        send_str(sock, ok ? "client-1" : "", true);
        send_str(sock, "", false);
    }
    return NULL;
}

/* A client with these keys sends one request: whether the server replied. */
static bool try_client(void *ctx, const char *endpoint, const char *name, const keypair *own,
                       const char *server_pub)
{
    void *req = zaio_socket(ctx, ZAIO_REQ);
    int zero = 0, ms = 1000;
    zaio_setsockopt(req, ZAIO_LINGER, &zero, sizeof zero);
    zaio_setsockopt(req, ZAIO_RCVTIMEO, &ms, sizeof ms);
    if (zaio_setsockopt(req, ZAIO_CURVE_SERVERKEY, server_pub, 40) != 0 ||
        zaio_setsockopt(req, ZAIO_CURVE_PUBLICKEY, own->pub, 40) != 0 ||
        zaio_setsockopt(req, ZAIO_CURVE_SECRETKEY, own->sec, 40) != 0)
        die("client keys");
    if (zaio_connect(req, endpoint) != 0)
        die("connect");
    /* DONTWAIT: a refused client stops, and with no connection a REQ would wait */
    (void)zaio_send(req, "hello", 5, ZAIO_DONTWAIT);
    char reply[64];
    int n = zaio_recv(req, reply, sizeof reply - 1, 0);
    bool in = n >= 0;
    if (in)
        reply[(size_t)n < sizeof reply - 1 ? (size_t)n : sizeof reply - 1] = 0;
    printf("curve: %-34s %s\n", name, in ? reply : "refused");
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
    keypair server = new_keys(), client = new_keys(), stranger = new_keys(), other = new_keys();
    if (!zaio_z85_decode(known_client, client.pub))
        die("z85");

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
    if (zaio_setsockopt(rep, ZAIO_CURVE_SERVER, &one, sizeof one) != 0 ||
        zaio_setsockopt(rep, ZAIO_CURVE_SECRETKEY, server.sec, 40) != 0)
        die("server key");
    if (zaio_bind(rep, "tcp://127.0.0.1:*") != 0)
        die("bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    zaio_getsockopt(rep, ZAIO_LAST_ENDPOINT, endpoint, &len);
    pthread_t srv;
    pthread_create(&srv, NULL, serve, rep);

    bool known = try_client(ctx, endpoint, "the known client:", &client, server.pub);
    bool unknown = try_client(ctx, endpoint, "a stranger:", &stranger, server.pub);
    bool wrong = try_client(ctx, endpoint, "the known one, wrong server key:", &client, other.pub);

    handler_stop = true;
    pthread_join(handler, NULL);
    zaio_close(zap);
    zaio_ctx_shutdown(ctx); /* the server's recv returns ETERM */
    pthread_join(srv, NULL);
    zaio_close(rep);
    zaio_ctx_term(ctx);
    bool pass = known && !unknown && !wrong;
    printf("curve: %s\n", pass ? "the known client got in, the stranger and the wrong key did not"
                               : "FAIL");
    return pass ? 0 : 1;
}
