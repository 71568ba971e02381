/* Every function libzmq 4.3.4's stable zmq.h declares (the 70 that
 * `nm -D --defined-only libzmq.so.5 | grep ' T zmq'` lists), named by a program written
 * for zmq.h alone. Built twice: against zaio through include/compat (a function zaio
 * lacks, or one whose signature differs from libzmq's, breaks the build) and against
 * libzmq (which keeps the program itself honest). The run then checks a little of what
 * the calls do, each library against its own answers (zmq_has("curve") says whether
 * the key calls work: yes on Linux, no in zaio's Windows build). */
#include <sys/uio.h> /* struct iovec, before zmq.h as libzmq asks */
#include <zmq.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options zmq.h names beyond the core set, with libzmq 4.3.4's numbers: one that
 * zaio_zmq.h lacks, or a number that differs, breaks the zaio build. */
_Static_assert(ZMQ_RATE == 8 && ZMQ_RECOVERY_IVL == 9 && ZMQ_MULTICAST_HOPS == 25 &&
                   ZMQ_TCP_ACCEPT_FILTER == 38 && ZMQ_PROBE_ROUTER == 51 && ZMQ_TOS == 57 &&
                   ZMQ_CONNECT_ROUTING_ID == 61 && ZMQ_CONNECT_RID == 61 &&
                   ZMQ_GSSAPI_SERVER == 62 && ZMQ_GSSAPI_PRINCIPAL == 63 &&
                   ZMQ_GSSAPI_SERVICE_PRINCIPAL == 64 && ZMQ_GSSAPI_PLAINTEXT == 65 &&
                   ZMQ_SOCKS_PROXY == 68 && ZMQ_XPUB_NODROP == 69 && ZMQ_BLOCKY == 70 &&
                   ZMQ_XPUB_MANUAL == 71 && ZMQ_XPUB_WELCOME_MSG == 72 &&
                   ZMQ_INVERT_MATCHING == 74 && ZMQ_XPUB_VERBOSER == 78 && ZMQ_TCP_MAXRT == 80 &&
                   ZMQ_THREAD_SAFE == 81 && ZMQ_MULTICAST_MAXTPDU == 84 &&
                   ZMQ_VMCI_BUFFER_SIZE == 85 && ZMQ_VMCI_BUFFER_MIN_SIZE == 86 &&
                   ZMQ_VMCI_BUFFER_MAX_SIZE == 87 && ZMQ_VMCI_CONNECT_TIMEOUT == 88 &&
                   ZMQ_USE_FD == 89 && ZMQ_GSSAPI_PRINCIPAL_NAMETYPE == 90 &&
                   ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE == 91 && ZMQ_BINDTODEVICE == 92,
               "socket options");
_Static_assert(ZMQ_THREAD_PRIORITY == 3 && ZMQ_THREAD_SCHED_POLICY == 4 &&
                   ZMQ_THREAD_AFFINITY_CPU_ADD == 7 && ZMQ_THREAD_AFFINITY_CPU_REMOVE == 8 &&
                   ZMQ_THREAD_NAME_PREFIX == 9 && ZMQ_THREAD_PRIORITY_DFLT == -1 &&
                   ZMQ_THREAD_SCHED_POLICY_DFLT == -1,
               "context options");

typedef void (*any_fn)(void);
typedef struct named {
    const char *name;
    any_fn fn;
} named;

/* The typed pointer is the check: zmq.h's exact signature, or a -Werror diagnostic. */
#define NAME(fn, ret, params)                                                              \
    do {                                                                                   \
        ret(*typed_) params = fn;                                                          \
        api[n++] = (named){#fn, (any_fn)typed_};                                           \
    } while (0)

static int failures;
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static int list_api(named *api)
{
    int n = 0;
    NAME(zmq_atomic_counter_dec, int, (void *));
    NAME(zmq_atomic_counter_destroy, void, (void **));
    NAME(zmq_atomic_counter_inc, int, (void *));
    NAME(zmq_atomic_counter_new, void *, (void));
    NAME(zmq_atomic_counter_set, void, (void *, int));
    NAME(zmq_atomic_counter_value, int, (void *));
    NAME(zmq_bind, int, (void *, const char *));
    NAME(zmq_close, int, (void *));
    NAME(zmq_connect, int, (void *, const char *));
    NAME(zmq_ctx_destroy, int, (void *));
    NAME(zmq_ctx_get, int, (void *, int));
    NAME(zmq_ctx_new, void *, (void));
    NAME(zmq_ctx_set, int, (void *, int, int));
    NAME(zmq_ctx_shutdown, int, (void *));
    NAME(zmq_ctx_term, int, (void *));
    NAME(zmq_curve_keypair, int, (char *, char *));
    NAME(zmq_curve_public, int, (char *, const char *));
    NAME(zmq_device, int, (int, void *, void *));
    NAME(zmq_disconnect, int, (void *, const char *));
    NAME(zmq_errno, int, (void));
    NAME(zmq_getsockopt, int, (void *, int, void *, size_t *));
    NAME(zmq_has, int, (const char *));
    NAME(zmq_init, void *, (int));
    NAME(zmq_msg_close, int, (zmq_msg_t *));
    NAME(zmq_msg_copy, int, (zmq_msg_t *, zmq_msg_t *));
    NAME(zmq_msg_data, void *, (zmq_msg_t *));
    NAME(zmq_msg_get, int, (const zmq_msg_t *, int));
    NAME(zmq_msg_gets, const char *, (const zmq_msg_t *, const char *));
    NAME(zmq_msg_init, int, (zmq_msg_t *));
    NAME(zmq_msg_init_data, int, (zmq_msg_t *, void *, size_t, zmq_free_fn *, void *));
    NAME(zmq_msg_init_size, int, (zmq_msg_t *, size_t));
    NAME(zmq_msg_more, int, (const zmq_msg_t *));
    NAME(zmq_msg_move, int, (zmq_msg_t *, zmq_msg_t *));
    NAME(zmq_msg_recv, int, (zmq_msg_t *, void *, int));
    NAME(zmq_msg_send, int, (zmq_msg_t *, void *, int));
    NAME(zmq_msg_set, int, (zmq_msg_t *, int, int));
    NAME(zmq_msg_size, size_t, (const zmq_msg_t *));
    NAME(zmq_poll, int, (zmq_pollitem_t *, int, long));
    NAME(zmq_proxy, int, (void *, void *, void *));
    NAME(zmq_proxy_steerable, int, (void *, void *, void *, void *));
    NAME(zmq_recv, int, (void *, void *, size_t, int));
    NAME(zmq_recviov, int, (void *, struct iovec *, size_t *, int));
    NAME(zmq_recvmsg, int, (void *, zmq_msg_t *, int));
    NAME(zmq_send, int, (void *, const void *, size_t, int));
    NAME(zmq_send_const, int, (void *, const void *, size_t, int));
    NAME(zmq_sendiov, int, (void *, struct iovec *, size_t, int));
    NAME(zmq_sendmsg, int, (void *, zmq_msg_t *, int));
    NAME(zmq_setsockopt, int, (void *, int, const void *, size_t));
    NAME(zmq_sleep, void, (int));
    NAME(zmq_socket, void *, (void *, int));
    NAME(zmq_socket_monitor, int, (void *, const char *, int));
    NAME(zmq_stopwatch_intermediate, unsigned long, (void *));
    NAME(zmq_stopwatch_start, void *, (void));
    NAME(zmq_stopwatch_stop, unsigned long, (void *));
    NAME(zmq_strerror, const char *, (int));
    NAME(zmq_term, int, (void *));
    NAME(zmq_threadclose, void, (void *));
    NAME(zmq_threadstart, void *, (zmq_thread_fn *, void *));
    NAME(zmq_timers_add, int, (void *, size_t, zmq_timer_fn *, void *));
    NAME(zmq_timers_cancel, int, (void *, int));
    NAME(zmq_timers_destroy, int, (void **));
    NAME(zmq_timers_execute, int, (void *));
    NAME(zmq_timers_new, void *, (void));
    NAME(zmq_timers_reset, int, (void *, int));
    NAME(zmq_timers_set_interval, int, (void *, int, size_t));
    NAME(zmq_timers_timeout, long, (void *));
    NAME(zmq_unbind, int, (void *, const char *));
    NAME(zmq_version, void, (int *, int *, int *));
    NAME(zmq_z85_decode, uint8_t *, (uint8_t *, const char *));
    NAME(zmq_z85_encode, char *, (char *, const uint8_t *, size_t));
    return n;
}

static void on_timer(int id, void *arg)
{
    (void)id;
    ++*(int *)arg;
}

static void on_thread(void *arg) { zmq_atomic_counter_inc(arg); }

int main(void)
{
    named api[80];
    int n = list_api(api);
    CHECK(n == 70, "%d functions named, libzmq 4.3.4 has 70", n);
    for (int i = 0; i < n; i++)
        CHECK(api[i].fn != NULL, "%s", api[i].name);

    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("zmq_version: %d.%d.%d\n", major, minor, patch);
    CHECK(major == 4 && minor == 3 && patch == 4, "the API level is 4.3.4");
    CHECK(ZMQ_VERSION == 40304, "ZMQ_VERSION %d", ZMQ_VERSION);

    printf("zmq_has(\"curve\"): %d\n", zmq_has("curve"));
    char pub[41], sec[41];
    int keys = zmq_curve_keypair(pub, sec);
    CHECK(keys == (zmq_has("curve") ? 0 : -1), "curve_keypair as zmq_has says");
    if (keys < 0)
        CHECK(zmq_errno() == ENOTSUP, "curve_keypair fails with ENOTSUP without CURVE");

    const uint8_t vec[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    uint8_t back[8];
    CHECK(zmq_z85_encode(text, vec, 8) && strcmp(text, "HelloWorld") == 0, "z85 encode");
    CHECK(zmq_z85_decode(back, "HelloWorld") && memcmp(back, vec, 8) == 0, "z85 decode");
    printf("z85: %s\n", text);

    void *counter = zmq_atomic_counter_new();
    void *thread = zmq_threadstart(on_thread, counter);
    zmq_threadclose(thread);
    CHECK(zmq_atomic_counter_value(counter) == 1, "the thread ran and was joined");
    CHECK(zmq_atomic_counter_dec(counter) == 0, "dec to zero");
    zmq_atomic_counter_destroy(&counter);

    void *timers = zmq_timers_new();
    int fired = 0;
    /* 1 ms, not 0: libzmq 4.3.4's execute never returns for a zero interval */
    int id = zmq_timers_add(timers, 1, on_timer, &fired);
    CHECK(id > 0, "add");
    for (int round = 0; round < 1000 && !fired; round++) {
        zmq_poll(NULL, 0, zmq_timers_timeout(timers));
        CHECK(zmq_timers_execute(timers) == 0, "execute");
    }
    CHECK(fired >= 1, "the timer ran");
    CHECK(zmq_timers_cancel(timers, id) == 0 && zmq_timers_timeout(timers) == -1, "cancelled");
    zmq_timers_destroy(&timers);

    void *watch = zmq_stopwatch_start();
    (void)zmq_stopwatch_stop(watch);

    /* the deprecated spellings and the scatter/gather calls, over inproc */
    void *ctx = zmq_init(1);
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(zmq_bind(a, "inproc://api") == 0 && zmq_connect(b, "inproc://api") == 0, "pair");
    struct iovec out[2] = {{(void *)"two", 3}, {(void *)"parts", 5}};
    CHECK(zmq_sendiov(b, out, 2, ZMQ_SNDMORE) == 5, "sendiov");
    struct iovec in[4];
    size_t count = 4;
    CHECK(zmq_recviov(a, in, &count, 0) == 2 && count == 2, "recviov");
    for (size_t i = 0; i < count; i++)
        free(in[i].iov_base);
    zmq_msg_t msg;
    zmq_msg_init_size(&msg, 4);
    memcpy(zmq_msg_data(&msg), "old!", 4);
    CHECK(zmq_sendmsg(b, &msg, 0) == 4, "sendmsg");
    zmq_msg_init(&msg);
    CHECK(zmq_recvmsg(a, &msg, 0) == 4 && memcmp(zmq_msg_data(&msg), "old!", 4) == 0, "recvmsg");
    zmq_msg_close(&msg);
    zmq_close(a);
    zmq_close(b);
    CHECK(zmq_term(ctx) == 0, "term");

    printf("%d functions of zmq.h named; %s\n", n, failures ? "FAILED" : "all checks pass");
    return failures ? 1 : 0;
}
