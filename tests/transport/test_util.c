/* The calls of zmq.h that are not messaging: Z85 (RFC 32), atomic counters, the
 * stopwatch and sleep, threads, zaio_has, the API version, the CURVE key calls,
 * and zaio_msg_init_buffer. */
#include "tcp_helpers.h"

#include <stdatomic.h>

/* ---- Z85 ---------------------------------------------------------------------------- */

static const char z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

ZT_TEST(util, z85_rfc32_vector, 10)
{
    const uint8_t data[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    memset(text, 'x', sizeof text);
    zt_assert(zaio_z85_encode(text, data, sizeof data) == text, "encode: %d", zaio_errno());
    zt_assert(strcmp(text, "HelloWorld") == 0, "got '%.11s'", text);
    uint8_t back[8] = {0};
    zt_assert(zaio_z85_decode(back, "HelloWorld") == back, "decode: %d", zaio_errno());
    zt_assert(memcmp(back, data, sizeof data) == 0, "decoded bytes differ");
}

/* Every character at the last position of a group stands for its index in the
 * alphabet, both ways: this is what checks the decoder's table. */
ZT_TEST(util, z85_every_character, 10)
{
    for (int d = 0; d < 85; d++) {
        uint8_t v[4] = {0, 0, 0, (uint8_t)d};
        char text[6];
        zt_assert(zaio_z85_encode(text, v, 4), "encode %d", d);
        zt_assert(memcmp(text, "0000", 4) == 0 && text[4] == z85_alphabet[d] && !text[5],
                  "value %d encodes as '%s'", d, text);
        uint8_t back[4] = {9, 9, 9, 9};
        zt_assert(zaio_z85_decode(back, text) && memcmp(back, v, 4) == 0, "'%s' decodes back",
                  text);
    }
}

ZT_TEST(util, z85_round_trips, 10)
{
    uint8_t data[128], back[128];
    char text[128 * 5 / 4 + 1];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
    }
    memset(data + 64, 0xFF, 8); /* the largest group, 0xFFFFFFFF, included */
    memset(data + 72, 0x00, 8);
    for (size_t n = 0; n <= sizeof data; n += 4) {
        zt_assert(zaio_z85_encode(text, data, n) == text, "encode %zu", n);
        zt_assert(strlen(text) == n / 4 * 5, "%zu bytes give %zu characters", n, strlen(text));
        if (n == 0)
            continue; /* "" does not decode, as in libzmq: see z85_rejects */
        memset(back, 0, sizeof back);
        zt_assert(zaio_z85_decode(back, text) == back, "decode %zu", n);
        zt_assert(memcmp(back, data, n) == 0, "round trip of %zu bytes", n);
    }
}

ZT_TEST(util, z85_rejects, 10)
{
    uint8_t data[8] = {0}, out[16];
    char text[16];
    for (size_t n = 1; n < 8; n++) {
        if (n % 4 == 0)
            continue;
        errno = 0;
        zt_assert(zaio_z85_encode(text, data, n) == NULL && zaio_errno() == EINVAL,
                  "encode of %zu bytes", n);
    }
    const char *bad[] = {
        "",            /* empty */
        "Hell",        /* not a multiple of 5 */
        "HelloWorl",   /* nor this */
        "Hello World", /* 11 */
        "Hell\"",      /* '"' is not Z85 */
        "Hell~",       /* nor '~' */
        "Hell ",       /* nor ' ' */
        "Hell\x7f",    /* nor DEL */
        "Hell\xc3",    /* nor anything above 127 */
        "#####",       /* 85^5 - 1: more than 32 bits */
        "%nSc1",       /* 0xFFFFFFFF + 1 */
        "HelloWor,d",  /* a bad character in the second group */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        zt_assert(zaio_z85_decode(out, bad[i]) == NULL && zaio_errno() == EINVAL,
                  "'%s' is refused", bad[i]);
    uint8_t max[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    zt_assert(zaio_z85_encode(text, max, 4) && strcmp(text, "%nSc0") == 0, "0xFFFFFFFF is '%s'",
              text);
    zt_assert(zaio_z85_decode(out, "%nSc0") && memcmp(out, max, 4) == 0, "and decodes");
    zt_assert(zaio_z85_decode(NULL, "HelloWorld") == NULL && zaio_errno() == EINVAL, "no dest");
    zt_assert(zaio_z85_decode(out, NULL) == NULL && zaio_errno() == EINVAL, "no string");
}

/* ---- atomic counters -------------------------------------------------------------- */

ZT_TEST(util, atomic_counter_as_documented, 10)
{
    /* the sequence of libzmq's man page */
    void *c = zaio_atomic_counter_new();
    zt_assert(c, "new");
    zt_assert(zaio_atomic_counter_value(c) == 0, "starts at 0");
    zt_assert(zaio_atomic_counter_inc(c) == 0, "inc returns the old value");
    zt_assert(zaio_atomic_counter_inc(c) == 1, "inc");
    zt_assert(zaio_atomic_counter_inc(c) == 2, "inc");
    zt_assert(zaio_atomic_counter_value(c) == 3, "value");
    zt_assert(zaio_atomic_counter_dec(c) == 1, "2 left");
    zt_assert(zaio_atomic_counter_dec(c) == 1, "1 left");
    zt_assert(zaio_atomic_counter_dec(c) == 0, "reached zero");
    zaio_atomic_counter_set(c, 2);
    zt_assert(zaio_atomic_counter_dec(c) == 1, "after set");
    zt_assert(zaio_atomic_counter_dec(c) == 0, "zero again");
    /* below zero: non-zero, as libzmq's unsigned counter reads */
    zt_assert(zaio_atomic_counter_dec(c) == 1 && zaio_atomic_counter_value(c) == -1, "below 0");
    zaio_atomic_counter_destroy(&c);
    zt_assert(c == NULL, "destroy clears the pointer");
    zaio_atomic_counter_destroy(&c); /* and a cleared one is left alone */
}

#define COUNTER_THREADS 4
#define COUNTER_ROUNDS 100000

typedef struct counter_run {
    void *counter;
    atomic_int *go;
    int zeros; /* how often this thread's dec said zero */
} counter_run;

static void counter_inc_main(void *arg)
{
    counter_run *r = arg;
    while (!atomic_load(r->go)) {
    }
    for (int i = 0; i < COUNTER_ROUNDS; i++)
        zaio_atomic_counter_inc(r->counter);
}

static void counter_dec_main(void *arg)
{
    counter_run *r = arg;
    while (!atomic_load(r->go)) {
    }
    for (int i = 0; i < COUNTER_ROUNDS; i++)
        if (zaio_atomic_counter_dec(r->counter) == 0)
            r->zeros++;
}

static void counter_race(void (*fn)(void *), void *counter)
{
    atomic_int go = 0;
    counter_run runs[COUNTER_THREADS];
    void *th[COUNTER_THREADS];
    for (int i = 0; i < COUNTER_THREADS; i++) {
        runs[i] = (counter_run){counter, &go, 0};
        th[i] = zaio_threadstart(fn, &runs[i]);
        zt_assert(th[i], "threadstart: %s", zaio_strerror(zaio_errno()));
    }
    atomic_store(&go, 1);
    int zeros = 0;
    for (int i = 0; i < COUNTER_THREADS; i++) {
        zaio_threadclose(th[i]);
        zeros += runs[i].zeros;
    }
    if (fn == counter_dec_main)
        zt_assert(zeros == 1, "exactly one dec saw zero, not %d", zeros);
}

ZT_TEST(util, atomic_counter_across_threads, 30)
{
    void *c = zaio_atomic_counter_new();
    counter_race(counter_inc_main, c);
    zt_assert(zaio_atomic_counter_value(c) == COUNTER_THREADS * COUNTER_ROUNDS,
              "no increment lost: %d", zaio_atomic_counter_value(c));
    counter_race(counter_dec_main, c);
    zt_assert(zaio_atomic_counter_value(c) == 0, "no decrement lost: %d",
              zaio_atomic_counter_value(c));
    zaio_atomic_counter_destroy(&c);
}

/* ---- threads, stopwatch, sleep ------------------------------------------------------ */

typedef struct thread_arg {
    atomic_int ran;
    void *ctx_socket; /* a socket the thread uses, to show it really is another thread */
} thread_arg;

static void thread_main(void *arg)
{
    thread_arg *a = arg;
    th_sleep_ms(50); /* so that a threadclose that did not wait would see ran == 0 */
    atomic_store(&a->ran, 1);
    th_send_str(a->ctx_socket, "from the thread", 0);
}

ZT_TEST(util, threadclose_waits_for_the_thread, 10)
{
    void *ctx = zaio_ctx_new();
    void *push = th_socket(ctx, ZAIO_PUSH), *pull = th_socket(ctx, ZAIO_PULL);
    th_bind(pull, "inproc://thread", (char[64]){0}, 64);
    th_connect(push, "inproc://thread");
    thread_arg a = {0, push};
    void *t = zaio_threadstart(thread_main, &a);
    zt_assert(t, "threadstart");
    zaio_threadclose(t);
    zt_assert(atomic_load(&a.ran) == 1, "threadclose returned before the thread ended");
    th_recv_str(pull, "from the thread");
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}

ZT_TEST(util, stopwatch_and_sleep, 10)
{
    void *w = zaio_stopwatch_start();
    zt_assert(w, "start");
    unsigned long a = zaio_stopwatch_intermediate(w);
    zaio_sleep(1);
    unsigned long b = zaio_stopwatch_intermediate(w);
    zt_assert(b >= a, "monotonic: %lu then %lu", a, b);
    zt_assert(b >= 1000000ul, "a one-second sleep lasted %lu us", b);
    zt_assert(b < 5000000ul, "microseconds, not something finer: %lu", b);
    unsigned long c = zaio_stopwatch_stop(w);
    zt_assert(c >= b, "stop: %lu after %lu", c, b);
    zaio_sleep(0); /* returns at once */
}

/* ---- identity: zaio_has, versions, CURVE ------------------------------------------- */

ZT_TEST(util, has_answers_truthfully, 10)
{
    const char *no[] = {"pgm", "tipc", "norm", "gssapi", "draft", "vmci",
                        "ws",  "wss",  "TCP",  "",       "tcp://", "CURVE", "IPC"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        zt_assert(zaio_has(no[i]) == 0, "has '%s'", no[i]);
    /* curve: libsodium on Linux; ipc: Unix-domain sockets (test_ipc.c) */
    const char *yes[] = {"tcp", "inproc", "plain", "curve", "ipc"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        zt_assert(zaio_has(yes[i]) == 1, "has '%s'", yes[i]);
    zt_assert(zaio_has(NULL) == 0, "NULL");
}

ZT_TEST(util, api_version_is_libzmq_4_3_4, 10)
{
    int major = -1, minor = -1, patch = -1;
    zaio_api_version(&major, &minor, &patch);
    zt_assert(major == 4 && minor == 3 && patch == 4, "api %d.%d.%d", major, minor, patch);
    zt_assert(ZAIO_API_VERSION_MAJOR * 10000 + ZAIO_API_VERSION_MINOR * 100 +
                      ZAIO_API_VERSION_PATCH == 40304, "the macros");
    zaio_version(&major, &minor, &patch);
    zt_assert(major == ZAIO_VERSION_MAJOR && minor == ZAIO_VERSION_MINOR &&
                  patch == ZAIO_VERSION_PATCH, "zaio's own %d.%d.%d", major, minor, patch);
    zaio_api_version(NULL, NULL, NULL); /* any may be NULL */
}

/* RFC 32's test key pair: the public key follows from the secret one, as libzmq's
 * zmq_curve_public computes it. */
ZT_TEST(util, curve_keys, 10)
{
    char pub[41] = "unchanged", sec[41] = "unchanged", pub2[41];
    zt_assert(zaio_curve_keypair(pub, sec) == 0, "keypair: %d", zaio_errno());
    zt_assert(strlen(pub) == 40 && strlen(sec) == 40 && strcmp(pub, sec) != 0, "two Z85 keys");
    zt_assert(zaio_curve_public(pub2, sec) == 0 && strcmp(pub, pub2) == 0, "public of secret");
    zt_assert(zaio_curve_public(pub2, "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6") == 0 &&
                  strcmp(pub2, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7") == 0,
              "RFC 32's pair: %s", pub2);
    zt_assert(zaio_curve_public(pub2, "too short") == -1 && zaio_errno() == EINVAL, "EINVAL");
}

/* ---- zaio_msg_init_buffer ------------------------------------------------------------- */

ZT_TEST(util, msg_init_buffer_copies, 10)
{
    char small[8] = "1234567", big[100];
    memset(big, 'b', sizeof big);
    zaio_msg_t m1, m2, m0;
    zt_assert(zaio_msg_init_buffer(&m1, small, sizeof small) == 0, "small");
    zt_assert(zaio_msg_init_buffer(&m2, big, sizeof big) == 0, "big");
    zt_assert(zaio_msg_init_buffer(&m0, NULL, 0) == 0 && zaio_msg_size(&m0) == 0, "empty");
    small[0] = 'X';
    big[50] = 'X';
    zt_assert(zaio_msg_size(&m1) == sizeof small &&
                  memcmp(zaio_msg_data(&m1), "1234567", sizeof small) == 0, "a copy, not a view");
    zt_assert(zaio_msg_size(&m2) == sizeof big && ((char *)zaio_msg_data(&m2))[50] == 'b',
              "a copy of the large one too");
    zt_assert(zaio_msg_init_buffer(&m0, NULL, 4) == -1 && zaio_errno() == EFAULT, "NULL data");
    /* and it travels like any message */
    void *ctx = zaio_ctx_new();
    void *a = th_socket(ctx, ZAIO_PAIR), *b = th_socket(ctx, ZAIO_PAIR);
    th_bind(a, "inproc://buffer", (char[64]){0}, 64);
    th_connect(b, "inproc://buffer");
    zt_assert(zaio_msg_send(&m2, b, 0) == (int)sizeof big, "send");
    char got[128];
    zt_assert(zaio_recv(a, got, sizeof got, 0) == (int)sizeof big && got[50] == 'b', "recv");
    zaio_msg_close(&m0);
    zaio_msg_close(&m1);
    zaio_msg_close(&m2);
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}
