/* Handshakes: two codecs talking to each other in memory (whole, byte by byte, random
 * splits; every transfer ends at a guard page), and a codec fed the exact bytes libzmq
 * 4.3.4 sends (ZMTP.md). NULL and PLAIN, both sides, metadata round trip, ERROR with a
 * reason, the socket-type check and the bytes that follow the handshake. */
#include "testutil.h"

#define RUNNING ZMTP_HS_RUNNING
#define DONE ZMTP_HS_DONE

static const size_t steps[] = {SIZE_MAX, 1, 3, 7, 64};
#define NSTEPS (sizeof steps / sizeof steps[0])

/* admin/secret in; "busy" a temporary failure (300); "broken" an internal error (500);
 * anyone else refused (400). */
static int check_user(void *arg, const uint8_t *u, size_t ul, const uint8_t *p, size_t pl)
{
    (*(int *)arg)++;
    if (ul == 5 && memcmp(u, "admin", 5) == 0 && pl == 6 && memcmp(p, "secret", 6) == 0)
        return 200;
    if (ul == 4 && memcmp(u, "busy", 4) == 0)
        return 300;
    if (ul == 6 && memcmp(u, "broken", 6) == 0)
        return 500;
    return 400;
}

Test(handshake, null_dealer_router_metadata_round_trip)
{
    const uint8_t bin[] = {0, 0xff, 7};
    zmtp_property pa[] = {{"Identity", 8, "dlr-1", 5}, {"X-Extra", 7, bin, 3}};
    zmtp_property pb[] = {{"Identity", 8, "", 0}};
    for (size_t s = 0; s < NSTEPS; s++) {
        zmtp_handshake_config ca = {.socket_type = ZMTP_DEALER, .props = pa, .nprops = 2};
        zmtp_handshake_config cb = {.socket_type = ZMTP_ROUTER, .props = pb, .nprops = 1};
        zmtp_handshake *a = hs(&ca), *b = hs(&cb);
        cr_assert_eq(zmtp_handshake_minor(a), -1);
        run_pair(a, b, steps[s]);
        cr_assert_eq(zmtp_handshake_status(a), DONE, "step %zu", steps[s]);
        cr_assert_eq(zmtp_handshake_status(b), DONE, "step %zu", steps[s]);
        const uint8_t *out;
        cr_assert_eq(zmtp_handshake_output(a, &out), 0);
        cr_assert_eq(zmtp_handshake_output(b, &out), 0);
        cr_assert_eq(zmtp_handshake_minor(a), 1);
        cr_assert_eq(zmtp_handshake_peer_socket_type(a), ZMTP_ROUTER);
        cr_assert_eq(zmtp_handshake_peer_socket_type(b), ZMTP_DEALER);
        const uint8_t *id, *md;
        size_t idl, mdl;
        cr_assert_eq(zmtp_handshake_peer_routing_id(b, &id, &idl), 1);
        cr_assert(idl == 5 && memcmp(id, "dlr-1", 5) == 0);
        cr_assert_eq(zmtp_handshake_peer_routing_id(a, &id, &idl), 1);
        cr_assert_eq(idl, 0);
        zmtp_handshake_peer_metadata(b, &md, &mdl);
        zmtp_property p;
        cr_assert_eq(zmtp_metadata_find(md, mdl, "x-extra", &p), 1);
        cr_assert(p.value_len == 3 && memcmp(p.value, bin, 3) == 0);
        cr_assert_eq(zmtp_metadata_find(md, mdl, "Socket-Type", &p), 1);
        cr_assert(p.value_len == 6 && memcmp(p.value, "DEALER", 6) == 0);
        zmtp_handshake_free(a);
        zmtp_handshake_free(b);
    }
}

/* Our bytes on the wire: the greeting in libzmq's three stages (the signature at once,
 * the major version after the peer's signature, the rest after its revision), READY
 * only after the peer's greeting, and that READY exactly as libzmq's DEALER with
 * identity "abc" writes it. */
Test(handshake, null_bytes_as_libzmq)
{
    zmtp_property id = {"Identity", 8, "abc", 3};
    zmtp_handshake_config cfg = {.socket_type = ZMTP_DEALER, .props = &id, .nprops = 1};
    zmtp_handshake *h = hs(&cfg);
    const uint8_t *out;
    uint8_t want[64];
    zmtp_greeting_encode(want, "NULL", 0);
    cr_assert_eq(zmtp_handshake_output(h, &out), 10);
    cr_assert(memcmp(out, want, 10) == 0);
    zmtp_handshake_sent(h, 10);
    guard g;
    guard_open(&g, 64);
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, want, 9), 9), 9);
    cr_assert_eq(zmtp_handshake_output(h, &out), 0, "the major waits for the peer's signature");
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, want + 9, 1), 1), 1);
    cr_assert_eq(zmtp_handshake_output(h, &out), 1);
    cr_assert_eq(out[0], 3);
    zmtp_handshake_sent(h, 1);
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, want + 10, 1), 1), 1);
    cr_assert_eq(zmtp_handshake_output(h, &out), 53);
    cr_assert(memcmp(out, want + 11, 53) == 0);
    zmtp_handshake_sent(h, 53);
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, want + 11, 52), 52), 52);
    cr_assert_eq(zmtp_handshake_output(h, &out), 0, "READY before the peer's greeting");
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, want + 63, 1), 1), 1);
    const char ready[] = "\x04\x2c\x05READY\x0bSocket-Type\x00\x00\x00\x06"
                         "DEALER\x08Identity\x00\x00\x00\x03" "abc";
    cr_assert_eq(zmtp_handshake_output(h, &out), sizeof ready - 1);
    cr_assert(memcmp(out, ready, sizeof ready - 1) == 0);
    guard_close(&g);
    zmtp_handshake_free(h);
}

/* A libzmq 3.0 peer's stream, with the first message in the same read: the handshake
 * takes exactly its own bytes and leaves the message; property names in any case. */
Test(handshake, stops_at_its_last_byte_and_speaks_3_0)
{
    uint8_t s[256];
    zmtp_greeting_encode(s, "NULL", 0);
    s[11] = 0;
    const char ready[] = "\x04\x19\x05READY\x0bsocket-type\x00\x00\x00\x03" "REP"
                         "\x00\x02hi";
    memcpy(s + 64, ready, sizeof ready - 1);
    size_t hs_len = 64 + 27, total = 64 + sizeof ready - 1;
    for (int m = FEED_WHOLE; m <= FEED_BYTES; m++) {
        zmtp_handshake_config cfg = {.socket_type = ZMTP_REQ};
        zmtp_handshake *h = hs(&cfg);
        guard g;
        guard_open(&g, sizeof s);
        size_t off = 0;
        while (off < total && zmtp_handshake_status(h) == RUNNING) {
            size_t n = m == FEED_WHOLE ? total - off : 1;
            ptrdiff_t r = zmtp_handshake_feed(h, guard_put(&g, s + off, n), n);
            cr_assert_geq(r, 0, "%s", zmtp_strerror((int)r));
            off += (size_t)r;
        }
        cr_assert_eq(zmtp_handshake_status(h), DONE);
        cr_assert_eq(off, hs_len);
        cr_assert_eq(zmtp_handshake_minor(h), 0);
        cr_assert_eq(zmtp_handshake_peer_socket_type(h), ZMTP_REP);
        /* a REQ sends no identity: none reported */
        const uint8_t *id;
        size_t idl;
        cr_assert_eq(zmtp_handshake_peer_routing_id(h, &id, &idl), 0);
        /* after DONE, feeding more consumes nothing */
        cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, s + off, 1), 1), 0);
        guard_close(&g);
        zmtp_handshake_free(h);
    }
}

/* Runs a handshake between a and b configured so; returns a's status, *sb b's. */
static int configs_status(const zmtp_handshake_config *ca, const zmtp_handshake_config *cb,
                          int *sb)
{
    zmtp_handshake *a = hs(ca), *b = hs(cb);
    run_pair(a, b, 5);
    int st = zmtp_handshake_status(a);
    *sb = zmtp_handshake_status(b);
    zmtp_handshake_free(a);
    zmtp_handshake_free(b);
    return st;
}

static int pair_status(int ta, int tb, int *sb)
{
    zmtp_handshake_config ca = {.socket_type = ta}, cb = {.socket_type = tb};
    return configs_status(&ca, &cb, sb);
}

/* A REQ must not be accepted by a PUB, and so on through the table: both sides see
 * the mismatch (libzmq sends no ERROR for it, nor does zaio). */
Test(handshake, socket_type_check)
{
    for (int a = 0; a <= ZMTP_XSUB; a++) {
        for (int b = 0; b <= ZMTP_XSUB; b++) {
            int sb, sa = pair_status(a, b, &sb);
            int want = zmtp_socket_types_compatible(a, b) ? DONE : ZMTP_E_SOCKET_TYPE_MISMATCH;
            cr_assert_eq(sa, want, "%d-%d: %s", a, b, zmtp_strerror(sa));
            cr_assert_eq(sb, want, "%d-%d: %s", a, b, zmtp_strerror(sb));
        }
    }
}

static int feed_ready_after_greeting(int ours, const char *md, size_t mdlen)
{
    zmtp_handshake_config cfg = {.socket_type = ours};
    zmtp_handshake *h = hs(&cfg);
    uint8_t s[512];
    zmtp_greeting_encode(s, "NULL", 0);
    uint8_t *p = s + 64;
    p[0] = ZMTP_FLAG_COMMAND;
    p[1] = (uint8_t)(6 + mdlen);
    memcpy(p + 2, "\x05READY", 6);
    memcpy(p + 8, md, mdlen);
    size_t len = 64 + 8 + mdlen;
    guard g;
    guard_open(&g, len);
    ptrdiff_t r = zmtp_handshake_feed(h, guard_put(&g, s, len), len);
    guard_close(&g);
    int st = zmtp_handshake_status(h);
    cr_assert(r == st || (r == (ptrdiff_t)len && st == DONE));
    zmtp_handshake_free(h);
    return st;
}

Test(handshake, socket_type_missing_or_unknown)
{
    cr_assert_eq(feed_ready_after_greeting(ZMTP_DEALER, "", 0), ZMTP_E_NO_SOCKET_TYPE);
    cr_assert_eq(feed_ready_after_greeting(ZMTP_DEALER, "\x08Identity\x00\x00\x00\x00", 13),
                 ZMTP_E_NO_SOCKET_TYPE);
    cr_assert_eq(feed_ready_after_greeting(ZMTP_DEALER, "\x0bSocket-Type\x00\x00\x00\x03" "FOO", 19),
                 ZMTP_E_UNKNOWN_SOCKET_TYPE);
    cr_assert_eq(feed_ready_after_greeting(ZMTP_DEALER, "\x0bSocket-Type\x00\x00\x00\x03" "REP", 19),
                 DONE);
    cr_assert_eq(feed_ready_after_greeting(ZMTP_DEALER, "\x0bSocket-Type\x00\x00\x00\x09" "REP", 19),
                 ZMTP_E_MALFORMED_METADATA);
}

Test(handshake, mechanism_mismatch)
{
    zmtp_handshake_config ca = {.socket_type = ZMTP_DEALER};
    zmtp_handshake_config cb = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .as_server = 1};
    int sb, sa = configs_status(&ca, &cb, &sb);
    cr_assert_eq(sa, ZMTP_E_MECHANISM);
    cr_assert_eq(sb, ZMTP_E_MECHANISM);
}

static void plain_pair(const char *user, const char *pass, size_t step, int *sc, int *ss,
                       int *calls, zmtp_handshake **client, zmtp_handshake **server)
{
    zmtp_property id = {"Identity", 8, "cli", 3};
    zmtp_handshake_config cc = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .username = user, .password = pass, .props = &id, .nprops = 1};
    zmtp_handshake_config cs = {.socket_type = ZMTP_ROUTER, .mechanism = ZMTP_MECH_PLAIN,
                                .as_server = 1};
    *client = hs(&cc);
    *server = hs(&cs);
    run_pair_auth(*client, *server, step, check_user, calls);
    *sc = zmtp_handshake_status(*client);
    *ss = zmtp_handshake_status(*server);
}

Test(handshake, plain_right_credentials)
{
    for (size_t s = 0; s < NSTEPS; s++) {
        int sc, ss, calls = 0;
        zmtp_handshake *c, *sv;
        plain_pair("admin", "secret", steps[s], &sc, &ss, &calls, &c, &sv);
        cr_assert_eq(sc, DONE, "%s", zmtp_strerror(sc));
        cr_assert_eq(ss, DONE, "%s", zmtp_strerror(ss));
        cr_assert_eq(calls, 1);
        const uint8_t *u, *p, *id;
        size_t ul, pl, idl;
        zmtp_handshake_credentials(sv, &u, &ul, &p, &pl);
        cr_assert(ul == 5 && memcmp(u, "admin", 5) == 0);
        cr_assert(pl == 6 && memcmp(p, "secret", 6) == 0);
        cr_assert_eq(zmtp_handshake_peer_routing_id(sv, &id, &idl), 1);
        cr_assert(idl == 3 && memcmp(id, "cli", 3) == 0);
        cr_assert_eq(zmtp_handshake_peer_socket_type(c), ZMTP_ROUTER);
        zmtp_handshake_free(c);
        zmtp_handshake_free(sv);
    }
}

/* Refused: the server sends ERROR with the ZAP status code (400, 500) and fails; the
 * client reads the code. */
Test(handshake, plain_wrong_credentials)
{
    const struct { const char *user, *reason; } cases[] = {{"admin", "400"}, {"broken", "500"}};
    for (size_t k = 0; k < 2; k++) {
        for (size_t s = 0; s < NSTEPS; s++) {
            int sc, ss, calls = 0;
            zmtp_handshake *c, *sv;
            plain_pair(cases[k].user, "wrong", steps[s], &sc, &ss, &calls, &c, &sv);
            cr_assert_eq(ss, ZMTP_E_AUTH_DENIED, "%s", zmtp_strerror(ss));
            cr_assert_eq(sc, ZMTP_E_PEER_ERROR, "%s", zmtp_strerror(sc));
            cr_assert_eq(calls, 1);
            const uint8_t *r;
            size_t rl;
            zmtp_handshake_error_reason(c, &r, &rl);
            cr_assert_eq(rl, strlen(cases[k].reason));
            cr_assert(memcmp(r, cases[k].reason, rl) == 0);
            zmtp_handshake_free(c);
            zmtp_handshake_free(sv);
        }
    }
}

/* A temporary failure (300) ends the server's side without an ERROR (RFC 27): the
 * client hears nothing and is closed on. */
Test(handshake, plain_temporary_failure_is_silent)
{
    for (size_t s = 0; s < NSTEPS; s++) {
        int sc, ss, calls = 0;
        zmtp_handshake *c, *sv;
        plain_pair("busy", "x", steps[s], &sc, &ss, &calls, &c, &sv);
        cr_assert_eq(ss, ZMTP_E_AUTH_DENIED, "%s", zmtp_strerror(ss));
        cr_assert_eq(sc, ZMTP_HS_RUNNING, "%s", zmtp_strerror(sc));
        const uint8_t *out;
        cr_assert_eq(zmtp_handshake_output(sv, &out), 0);
        zmtp_handshake_free(c);
        zmtp_handshake_free(sv);
    }
}

/* Until the verdict, a PLAIN server holds the client at HELLO: no WELCOME goes out, so
 * no message can, and a verdict is taken once only. */
Test(handshake, plain_server_waits_for_the_verdict)
{
    zmtp_handshake_config cc = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .username = "admin", .password = "secret"};
    zmtp_handshake_config cs = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .as_server = 1};
    zmtp_handshake *c = hs(&cc), *sv = hs(&cs);
    cr_assert_eq(zmtp_handshake_auth(sv, 200), ZMTP_E_INVAL); /* nothing asked yet */
    run_pair(c, sv, SIZE_MAX);
    cr_assert_eq(zmtp_handshake_status(sv), ZMTP_HS_AUTH);
    cr_assert_eq(zmtp_handshake_status(c), ZMTP_HS_RUNNING);
    const uint8_t *out;
    cr_assert_eq(zmtp_handshake_output(sv, &out), 0);
    cr_assert_eq(zmtp_handshake_auth(sv, 201), ZMTP_E_INVAL);
    cr_assert_eq(zmtp_handshake_status(sv), ZMTP_HS_AUTH);
    cr_assert_eq(zmtp_handshake_auth(sv, 200), ZMTP_OK);
    cr_assert_eq(zmtp_handshake_auth(sv, 200), ZMTP_E_INVAL);
    run_pair(c, sv, SIZE_MAX);
    cr_assert_eq(zmtp_handshake_status(sv), DONE);
    cr_assert_eq(zmtp_handshake_status(c), DONE);
    zmtp_handshake_free(c);
    zmtp_handshake_free(sv);
}

/* NULL with a ZAP domain: our READY waits for the verdict; the peer's READY, sent
 * without waiting, is held and the handshake ends with the verdict. */
Test(handshake, null_with_auth)
{
    const int codes[] = {200, 400, 300};
    for (size_t k = 0; k < 3; k++) {
        for (size_t s = 0; s < NSTEPS; s++) {
            zmtp_handshake_config cc = {.socket_type = ZMTP_DEALER};
            zmtp_handshake_config cs = {.socket_type = ZMTP_ROUTER, .auth = 1};
            zmtp_handshake *c = hs(&cc), *sv = hs(&cs);
            run_pair(c, sv, steps[s]);
            cr_assert_eq(zmtp_handshake_status(sv), ZMTP_HS_AUTH);
            cr_assert_eq(zmtp_handshake_status(c), ZMTP_HS_RUNNING);
            const uint8_t *u, *p;
            size_t ul, pl;
            zmtp_handshake_credentials(sv, &u, &ul, &p, &pl);
            cr_assert(ul == 0 && pl == 0);
            int rc = zmtp_handshake_auth(sv, codes[k]);
            run_pair(c, sv, steps[s]);
            if (codes[k] == 200) {
                cr_assert_eq(rc, ZMTP_OK);
                cr_assert_eq(zmtp_handshake_status(sv), DONE);
                cr_assert_eq(zmtp_handshake_status(c), DONE);
                cr_assert_eq(zmtp_handshake_peer_socket_type(sv), ZMTP_DEALER);
            } else {
                cr_assert_eq(rc, ZMTP_E_AUTH_DENIED);
                cr_assert_eq(zmtp_handshake_status(sv), ZMTP_E_AUTH_DENIED);
                cr_assert_eq(zmtp_handshake_status(c),
                             codes[k] == 300 ? ZMTP_HS_RUNNING : ZMTP_E_PEER_ERROR);
            }
            zmtp_handshake_free(c);
            zmtp_handshake_free(sv);
        }
    }
}

/* Two servers are named from the greeting. Two clients cannot be (libzmq's PLAIN
 * server says as-server 0 too), but each refuses the other's HELLO. */
Test(handshake, plain_roles_must_differ)
{
    zmtp_handshake_config cc = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .username = "a", .password = "b"};
    int sb, sa = configs_status(&cc, &cc, &sb);
    cr_assert_eq(sa, ZMTP_E_UNEXPECTED_COMMAND);
    cr_assert_eq(sb, ZMTP_E_UNEXPECTED_COMMAND);
    zmtp_handshake_config cs = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .as_server = 1};
    sa = configs_status(&cs, &cs, &sb);
    cr_assert_eq(sa, ZMTP_E_ROLE);
    cr_assert_eq(sb, ZMTP_E_ROLE);
}

/* libzmq 4.3.4's PLAIN server greets with as-server 0: a client must not mind. */
Test(handshake, plain_client_accepts_server_greeting_as_server_0)
{
    zmtp_handshake_config cc = {.socket_type = ZMTP_DEALER, .mechanism = ZMTP_MECH_PLAIN,
                                .username = "u", .password = "p"};
    zmtp_handshake *c = hs(&cc);
    uint8_t s[80];
    zmtp_greeting_encode(s, "PLAIN", 0);
    memcpy(s + 64, "\x04\x08\x07WELCOME", 10);
    guard g;
    guard_open(&g, sizeof s);
    cr_assert_eq(zmtp_handshake_feed(c, guard_put(&g, s, 74), 74), 74);
    cr_assert_eq(zmtp_handshake_status(c), RUNNING);
    const uint8_t *out;
    size_t n = zmtp_handshake_output(c, &out);
    /* greeting, HELLO (1+5+1+1+1+1 = 10 bytes of body), INITIATE */
    cr_assert_geq(n, 64 + 12);
    cr_assert(memcmp(out + 64, "\x04\x0a\x05HELLO\x01u\x01p", 12) == 0);
    cr_assert(memcmp(out + 76 + 2, "\x08INITIATE", 9) == 0);
    guard_close(&g);
    zmtp_handshake_free(c);
}

/* The probe that leaked the seed sent HTTP to a ZMTP port: named at once. */
Test(handshake, http_probe_named)
{
    zmtp_handshake_config cfg = {.socket_type = ZMTP_ROUTER};
    zmtp_handshake *h = hs(&cfg);
    const char *get = "GET /health HTTP/1.1\r\n\r\n";
    guard g;
    guard_open(&g, 64);
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, get, strlen(get)), strlen(get)), ZMTP_E_HTTP);
    cr_assert_eq(zmtp_handshake_status(h), ZMTP_E_HTTP);
    cr_assert_eq(zmtp_handshake_feed(h, guard_put(&g, "\xff", 1), 1), ZMTP_E_HTTP);
    guard_close(&g);
    zmtp_handshake_free(h);
}

static int null_then(const void *frames, size_t len)
{
    zmtp_handshake_config cfg = {.socket_type = ZMTP_DEALER};
    zmtp_handshake *h = hs(&cfg);
    uint8_t s[512];
    zmtp_greeting_encode(s, "NULL", 0);
    memcpy(s + 64, frames, len);
    guard g;
    guard_open(&g, 64 + len);
    for (size_t i = 0; i < 64 + len && zmtp_handshake_status(h) == RUNNING; i++)
        zmtp_handshake_feed(h, guard_put(&g, s + i, 1), 1);
    guard_close(&g);
    int st = zmtp_handshake_status(h);
    zmtp_handshake_free(h);
    return st;
}

Test(handshake, out_of_order_input)
{
    cr_assert_eq(null_then("\x00\x02hi", 4), ZMTP_E_UNEXPECTED_MESSAGE);
    cr_assert_eq(null_then("\x04\x08\x07WELCOME", 10), ZMTP_E_UNEXPECTED_COMMAND);
    cr_assert_eq(null_then("\x04\x07\x04PING\x00\x14", 9), ZMTP_E_UNEXPECTED_COMMAND);
    cr_assert_eq(null_then("\x04\x0a\x05" "ERROR\x03" "500", 12), ZMTP_E_PEER_ERROR);
    cr_assert_eq(null_then("\xf0", 1), ZMTP_E_RESERVED_FLAGS);
    /* a command larger than max_command is refused at its header */
    cr_assert_eq(null_then("\x06\x00\x00\x00\x00\x00\x01\x00\x00", 9), ZMTP_E_TOO_LARGE);
}

Test(handshake, config_checked)
{
    int err = 0;
    zmtp_handshake_config bad_type = {.socket_type = 42};
    cr_assert_null(zmtp_handshake_new(&bad_type, &err));
    cr_assert_eq(err, ZMTP_E_INVAL);
    zmtp_property st = {"socket-type", 11, "PUB", 3};
    zmtp_handshake_config dup = {.socket_type = ZMTP_SUB, .props = &st, .nprops = 1};
    cr_assert_null(zmtp_handshake_new(&dup, &err));
    cr_assert_eq(err, ZMTP_E_INVAL);
    char longname[300];
    memset(longname, 'u', 299);
    longname[299] = 0;
    zmtp_handshake_config lu = {.socket_type = ZMTP_SUB, .mechanism = ZMTP_MECH_PLAIN,
                                .username = longname};
    cr_assert_null(zmtp_handshake_new(&lu, &err));
    cr_assert_eq(err, ZMTP_E_INVAL);
    zmtp_handshake_config mech = {.socket_type = ZMTP_SUB, .mechanism = 7};
    cr_assert_null(zmtp_handshake_new(&mech, &err));
}
