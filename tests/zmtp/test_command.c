/* Command bodies, metadata, the 3.0 subscription message, socket types and error
 * names. Every parsed input ends at a guard page, so reading past a field faults. */
#include "testutil.h"

static guard g;
static void setup(void) { guard_open(&g, 4096); }
static void teardown(void) { guard_close(&g); }
TestSuite(command, .init = setup, .fini = teardown);
TestSuite(metadata, .init = setup, .fini = teardown);
TestSuite(socket_type);
TestSuite(errors);

static int parse(const void *body, size_t len, zmtp_command *c)
{
    return zmtp_command_parse(guard_put(&g, body, len), len, c);
}

Test(command, names_and_data)
{
    zmtp_command c;
    cr_assert_eq(parse("\x05READYxyz", 9, &c), ZMTP_E_MALFORMED_METADATA);
    cr_assert_eq(parse("\x05READY", 6, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_READY);
    cr_assert_eq(c.data_len, 0);
    cr_assert_eq(parse("\x09SUBSCRIBEtopic", 15, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_SUBSCRIBE);
    cr_assert_eq(c.data_len, 5);
    cr_assert(memcmp(c.data, "topic", 5) == 0);
    cr_assert_eq(parse("\x06" "CANCEL", 7, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_CANCEL);
    cr_assert_eq(c.data_len, 0);
    /* names are case-sensitive, as libzmq reads them; an unknown one is not an error */
    cr_assert_eq(parse("\x05ready", 6, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_UNKNOWN);
    cr_assert_eq(parse("\x04JOINgroup", 9, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_UNKNOWN);
    cr_assert_eq(c.name_len, 4);
}

Test(command, malformed)
{
    zmtp_command c;
    cr_assert_eq(parse("", 0, &c), ZMTP_E_MALFORMED_COMMAND);
    cr_assert_eq(parse("\x00", 1, &c), ZMTP_E_MALFORMED_COMMAND);
    cr_assert_eq(parse("\x05READ", 5, &c), ZMTP_E_MALFORMED_COMMAND);
    cr_assert_eq(parse("\x02\x00\x01", 3, &c), ZMTP_E_MALFORMED_COMMAND);
    cr_assert_eq(parse("\x07WELCOMEx", 9, &c), ZMTP_E_MALFORMED_COMMAND);
    cr_assert_eq(parse("\x07WELCOME", 8, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_WELCOME);
}

/* PING: 2-byte TTL (tenths of a second) then up to 16 bytes of context; PONG: the
 * context. zaio refuses a longer context (RFC 37's limit) where libzmq truncates. */
Test(command, ping_pong)
{
    zmtp_command c;
    cr_assert_eq(parse("\x04PING\x00\x14", 7, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_PING);
    cr_assert_eq(c.ttl, 20);
    cr_assert_eq(c.context_len, 0);
    cr_assert_eq(parse("\x04PING\xff\xfe" "0123456789abcdef", 23, &c), 0);
    cr_assert_eq(c.ttl, 0xfffe);
    cr_assert_eq(c.context_len, 16);
    cr_assert(memcmp(c.context, "0123456789abcdef", 16) == 0);
    cr_assert_eq(parse("\x04PING\x00\x01" "0123456789abcdefg", 24, &c), ZMTP_E_MALFORMED_PING);
    cr_assert_eq(parse("\x04PING\x00", 6, &c), ZMTP_E_MALFORMED_PING);
    cr_assert_eq(parse("\x04PING", 5, &c), ZMTP_E_MALFORMED_PING);
    cr_assert_eq(parse("\x04PONGctx", 8, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_PONG);
    cr_assert_eq(c.context_len, 3);
    cr_assert(memcmp(c.context, "ctx", 3) == 0);
    cr_assert_eq(parse("\x04PONG" "0123456789abcdefg", 22, &c), ZMTP_E_MALFORMED_PING);
}

/* RFC 24 HELLO: username and password, each a 1-byte length then bytes, nothing after. */
Test(command, hello)
{
    zmtp_command c;
    cr_assert_eq(parse("\x05HELLO\x05" "admin\x06secret", 19, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_HELLO);
    cr_assert_eq(c.username_len, 5);
    cr_assert(memcmp(c.username, "admin", 5) == 0);
    cr_assert_eq(c.password_len, 6);
    cr_assert(memcmp(c.password, "secret", 6) == 0);
    cr_assert_eq(parse("\x05HELLO\x00\x00", 8, &c), 0);
    cr_assert_eq(c.username_len + c.password_len, 0);
    cr_assert_eq(parse("\x05HELLO", 6, &c), ZMTP_E_MALFORMED_HELLO);
    cr_assert_eq(parse("\x05HELLO\x00", 7, &c), ZMTP_E_MALFORMED_HELLO);
    cr_assert_eq(parse("\x05HELLO\x06" "admin", 12, &c), ZMTP_E_MALFORMED_HELLO);
    cr_assert_eq(parse("\x05HELLO\x01" "a\x02" "b", 10, &c), ZMTP_E_MALFORMED_HELLO);
    cr_assert_eq(parse("\x05HELLO\x01" "a\x01" "bc", 11, &c), ZMTP_E_MALFORMED_HELLO);
}

Test(command, error_reason)
{
    zmtp_command c;
    cr_assert_eq(parse("\x05" "ERROR\x03" "400", 10, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_ERROR);
    cr_assert_eq(c.reason_len, 3);
    cr_assert(memcmp(c.reason, "400", 3) == 0);
    cr_assert_eq(parse("\x05" "ERROR\x00", 7, &c), 0);
    cr_assert_eq(c.reason_len, 0);
    cr_assert_eq(parse("\x05" "ERROR", 6, &c), ZMTP_E_MALFORMED_ERROR);
    cr_assert_eq(parse("\x05" "ERROR\x04" "400", 10, &c), ZMTP_E_MALFORMED_ERROR);
    cr_assert_eq(parse("\x05" "ERROR\x02" "400", 10, &c), ZMTP_E_MALFORMED_ERROR);
}

/* libzmq 4.3.4 sends a ZAP refusal as 04 09 5E "RROR" 03 "400" (its name literal
 * "\x5ERROR" lost the E to the hex escape); read as ERROR, and nothing else is. */
Test(command, libzmq_4_3_4_error_shape)
{
    zmtp_command c;
    cr_assert_eq(parse("\x5eRROR\x03" "400", 9, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_ERROR);
    cr_assert_eq(c.reason_len, 3);
    cr_assert(memcmp(c.reason, "400", 3) == 0);
    cr_assert_eq(parse("\x5eRROR\x04" "400", 9, &c), ZMTP_E_MALFORMED_ERROR);
    cr_assert_eq(parse("\x5eRROR", 5, &c), ZMTP_E_MALFORMED_COMMAND);
    cr_assert_eq(parse("\x5eRRORS\x00", 7, &c), ZMTP_E_MALFORMED_ERROR);
    /* a real 94-byte name starting RROR is an ordinary (unknown) command */
    uint8_t body[95];
    body[0] = 0x5e;
    memset(body + 1, 'R', 94);
    cr_assert_eq(parse(body, 95, &c), 0);
    cr_assert_eq(c.type, ZMTP_CMD_UNKNOWN);
    cr_assert_eq(c.name_len, 94);
}

/* The 3.0 form: a message whose first byte is 1 (subscribe) or 0 (cancel). */
Test(command, subscription_message)
{
    const uint8_t *t;
    size_t tl;
    cr_assert_eq(zmtp_subscription_message_parse(guard_put(&g, "\x01topic", 6), 6, &t, &tl), 1);
    cr_assert_eq(tl, 5);
    cr_assert(memcmp(t, "topic", 5) == 0);
    cr_assert_eq(zmtp_subscription_message_parse(guard_put(&g, "\x00", 1), 1, &t, &tl), 0);
    cr_assert_eq(tl, 0);
    cr_assert_eq(zmtp_subscription_message_parse(guard_put(&g, "\x02x", 2), 2, &t, &tl),
                 ZMTP_E_INVAL);
    cr_assert_eq(zmtp_subscription_message_parse(guard_put(&g, "", 0), 0, &t, &tl), ZMTP_E_INVAL);
}

Test(metadata, round_trip_any_property)
{
    const uint8_t bin[] = {0, 1, 2, 0xff, 0};
    zmtp_property in[] = {{"Socket-Type", 11, "ROUTER", 6},
                          {"Identity", 8, "", 0},
                          {"X-Custom.v+1_", 13, bin, sizeof bin},
                          {"Resource", 8, "/a/b", 4}};
    uint8_t md[256];
    int64_t n = zmtp_metadata_encode(md, sizeof md, in, 4);
    cr_assert_eq(n, zmtp_metadata_size(in, 4));
    cr_assert_eq(n, (1 + 11 + 4 + 6) + (1 + 8 + 4) + (1 + 13 + 4 + 5) + (1 + 8 + 4 + 4));
    const uint8_t *p = guard_put(&g, md, (size_t)n);
    cr_assert_eq(zmtp_metadata_validate(p, (size_t)n), 0);
    size_t pos = 0;
    zmtp_property out;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(zmtp_metadata_next(p, (size_t)n, &pos, &out), 1);
        cr_assert_eq(out.name_len, in[i].name_len);
        cr_assert(memcmp(out.name, in[i].name, out.name_len) == 0);
        cr_assert_eq(out.value_len, in[i].value_len);
        cr_assert(out.value_len == 0 || memcmp(out.value, in[i].value, out.value_len) == 0);
    }
    cr_assert_eq(zmtp_metadata_next(p, (size_t)n, &pos, &out), 0);
    /* names are found in any case */
    cr_assert_eq(zmtp_metadata_find(p, (size_t)n, "socket-type", &out), 1);
    cr_assert(out.value_len == 6 && memcmp(out.value, "ROUTER", 6) == 0);
    cr_assert_eq(zmtp_metadata_find(p, (size_t)n, "X-CUSTOM.V+1_", &out), 1);
    cr_assert_eq(zmtp_metadata_find(p, (size_t)n, "Routing-Id", &out), 0);
    cr_assert_eq(zmtp_metadata_encode(md, (size_t)n - 1, in, 4), ZMTP_E_NOSPACE);
}

Test(metadata, malformed)
{
    const struct { const char *s; size_t n; } bad[] = {
        {"\x00", 1},                          /* empty name */
        {"\x04" "ab", 3},                     /* name past the end */
        {"\x02" "a b\x00\x00\x00\x00", 7},    /* bad name char (size says 2: "a ") */
        {"\x01" "a\x00\x00\x00", 5},          /* value size cut short */
        {"\x01" "a\x00\x00\x00\x02x", 7},     /* value past the end */
        {"\x01" "a\xff\xff\xff\xff", 6},      /* value size 4 GiB */
        {"\x01" "a\x00\x00\x00\x00\x01", 7},  /* a second property cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const uint8_t *p = guard_put(&g, bad[i].s, bad[i].n);
        cr_assert_eq(zmtp_metadata_validate(p, bad[i].n), ZMTP_E_MALFORMED_METADATA, "case %zu", i);
        zmtp_property out;
        cr_assert_eq(zmtp_metadata_find(p, bad[i].n, "zz", &out), ZMTP_E_MALFORMED_METADATA);
    }
    cr_assert_eq(zmtp_metadata_validate(guard_put(&g, "", 0), 0), 0);
    zmtp_property nul = {"a", 1, NULL, 3};
    cr_assert_eq(zmtp_metadata_size(&nul, 1), ZMTP_E_INVAL);
    zmtp_property empty = {"", 0, "x", 1};
    cr_assert_eq(zmtp_metadata_size(&empty, 1), ZMTP_E_INVAL);
}

/* ZMTP.md's table, written out independently of the code's bitmasks. */
Test(socket_type, compatibility_table)
{
    static const char *const table[][4] = {
        {"REQ", "REP", "ROUTER"},       {"REP", "REQ", "DEALER"},
        {"DEALER", "REP", "DEALER", "ROUTER"}, {"ROUTER", "REQ", "DEALER", "ROUTER"},
        {"PUB", "SUB", "XSUB"},         {"XPUB", "SUB", "XSUB"},
        {"SUB", "PUB", "XPUB"},         {"XSUB", "PUB", "XPUB"},
        {"PUSH", "PULL"},               {"PULL", "PUSH"},
        {"PAIR", "PAIR"},
    };
    int pairs = 0;
    for (int a = 0; a <= ZMTP_XSUB; a++) {
        for (int b = 0; b <= ZMTP_XSUB; b++) {
            int want = 0;
            for (size_t r = 0; r < sizeof table / sizeof table[0]; r++) {
                if (strcmp(table[r][0], zmtp_socket_type_name(a)) != 0)
                    continue;
                for (int k = 1; k < 4 && table[r][k]; k++)
                    want |= strcmp(table[r][k], zmtp_socket_type_name(b)) == 0;
            }
            cr_assert_eq(zmtp_socket_types_compatible(a, b), want, "%s-%s",
                         zmtp_socket_type_name(a), zmtp_socket_type_name(b));
            pairs += want;
        }
    }
    cr_assert_eq(pairs, 21);
    cr_assert_eq(zmtp_socket_types_compatible(-1, 0), 0);
    cr_assert_eq(zmtp_socket_types_compatible(0, 11), 0);
}

Test(socket_type, names)
{
    cr_assert_eq(zmtp_socket_type_parse("ROUTER", 6), ZMTP_ROUTER);
    cr_assert_eq(zmtp_socket_type_parse("router", 6), ZMTP_ROUTER);
    cr_assert_eq(zmtp_socket_type_parse("XPUB", 4), ZMTP_XPUB);
    cr_assert_eq(zmtp_socket_type_parse("ROUTE", 5), ZMTP_E_UNKNOWN_SOCKET_TYPE);
    cr_assert_eq(zmtp_socket_type_parse("ROUTERS", 7), ZMTP_E_UNKNOWN_SOCKET_TYPE);
    cr_assert_eq(zmtp_socket_type_parse("", 0), ZMTP_E_UNKNOWN_SOCKET_TYPE);
    cr_assert_str_eq(zmtp_socket_type_name(ZMTP_PAIR), "PAIR");
    cr_assert_null(zmtp_socket_type_name(11));
    cr_assert_null(zmtp_socket_type_name(-1));
}

/* One strerror: every error has its own name, and unknown codes a generic one. */
Test(errors, every_error_named_once)
{
    const char *seen[64];
    int n = 0;
    for (int e = -1; e >= -63; e--) {
        const char *s = zmtp_strerror(e);
        cr_assert_not_null(s);
        if (strcmp(s, zmtp_strerror(-1000)) == 0)
            continue;
        for (int k = 0; k < n; k++)
            cr_assert(strcmp(seen[k], s) != 0, "%d shares its name", e);
        seen[n++] = s;
    }
    cr_assert_eq(n, 35);
    cr_assert_str_eq(zmtp_strerror(ZMTP_E_HTTP), "peer sent an HTTP request, not ZMTP");
}
