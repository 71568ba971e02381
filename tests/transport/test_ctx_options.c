/* The context options of libzmq 4.3.4 zaio lacked, as libzmq 4.3.4 answers them
 * (measured with a small program): their defaults and validation, BLOCKY and IPV6 as the
 * defaults of new sockets, and the I/O threads' name, scheduling policy and CPUs, read
 * back from the threads themselves. */
#include "tcp_helpers.h"

#include <dirent.h>
#include <sched.h>

static int get_int(void *s, int opt, int *v)
{
    size_t len = sizeof *v;
    return zaio_getsockopt(s, opt, v, &len);
}

ZT_TEST(ctx_options, read_and_validated_as_libzmq, 10)
{
    void *ctx = zaio_ctx_new();
    /* libzmq 4.3.4's defaults */
    zt_assert(zaio_ctx_get(ctx, ZAIO_BLOCKY) == 1, "blocky");
    zt_assert(zaio_ctx_get(ctx, ZAIO_IPV6) == 0, "ipv6");
    zt_assert(zaio_ctx_get(ctx, ZAIO_ZERO_COPY_RECV) == 1, "zero copy");
    zt_assert(zaio_ctx_get(ctx, ZAIO_THREAD_SCHED_POLICY) == -1, "policy");
    zt_assert(zaio_ctx_get(ctx, ZAIO_THREAD_NAME_PREFIX) == 0, "prefix");
    zt_assert(zaio_ctx_get(ctx, ZAIO_SOCKET_LIMIT) == 65535, "3 reads SOCKET_LIMIT");
    zt_assert(zaio_ctx_get(ctx, ZAIO_THREAD_AFFINITY_CPU_ADD) == -1 && zaio_errno() == EINVAL,
              "the CPU set is not readable");
    /* every one takes values >= 0 (booleans read 0 or 1), none takes -1 but the prefix */
    int opts[] = {ZAIO_BLOCKY, ZAIO_IPV6, ZAIO_ZERO_COPY_RECV, ZAIO_THREAD_PRIORITY,
                  ZAIO_THREAD_SCHED_POLICY, ZAIO_THREAD_AFFINITY_CPU_ADD};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        zt_assert(zaio_ctx_set(ctx, opts[i], -1) == -1 && zaio_errno() == EINVAL, "%d -1", opts[i]);
    zt_assert(zaio_ctx_set(ctx, ZAIO_BLOCKY, 5) == 0 && zaio_ctx_get(ctx, ZAIO_BLOCKY) == 1, "5");
    zt_assert(zaio_ctx_set(ctx, ZAIO_ZERO_COPY_RECV, 0) == 0 &&
                  zaio_ctx_get(ctx, ZAIO_ZERO_COPY_RECV) == 0,
              "zero copy off");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_SCHED_POLICY, 99) == 0 &&
                  zaio_ctx_get(ctx, ZAIO_THREAD_SCHED_POLICY) == 99,
              "policy stored");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_NAME_PREFIX, -7) == 0 &&
                  zaio_ctx_get(ctx, ZAIO_THREAD_NAME_PREFIX) == -7,
              "prefix");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_AFFINITY_CPU_REMOVE, 3) == -1, "remove, not added");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_AFFINITY_CPU_ADD, 3) == 0, "add 3");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_AFFINITY_CPU_REMOVE, 3) == 0, "remove 3");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_AFFINITY_CPU_REMOVE, 3) == -1, "removed already");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_AFFINITY_CPU_ADD, 1024) == -1, "cpu 1024");
    zt_assert(zaio_ctx_set(ctx, ZAIO_MSG_T_SIZE, 10) == -1, "read-only");
    th_term(ctx);
}

ZT_TEST(ctx_options, blocky_and_ipv6_are_new_sockets_defaults, 10)
{
    void *ctx = zaio_ctx_new();
    zt_assert(zaio_ctx_set(ctx, ZAIO_BLOCKY, 0) == 0, "blocky");
    zt_assert(zaio_ctx_set(ctx, ZAIO_IPV6, 1) == 0, "ipv6");
    void *push = th_socket(ctx, ZAIO_PUSH);
    int v = 7;
    zt_assert(get_int(push, ZAIO_LINGER, &v) == 0 && v == 0, "linger %d", v);
    zt_assert(get_int(push, ZAIO_IPV6, &v) == 0 && v == 1, "ipv6 %d", v);
    /* a message for a peer that never comes does not hold the context's end: with
     * LINGER -1 this test would time out in zaio_ctx_term */
    th_connect(push, "tcp://127.0.0.1:1"); /* nobody listens on port 1 */
    th_send_str(push, "lost", ZAIO_DONTWAIT);
    zt_assert(zaio_ctx_set(ctx, ZAIO_BLOCKY, 1) == 0, "blocky back");
    zt_assert(zaio_ctx_set(ctx, ZAIO_IPV6, 0) == 0, "ipv6 back");
    void *later = th_socket(ctx, ZAIO_PUSH);
    zt_assert(get_int(later, ZAIO_LINGER, &v) == 0 && v == -1, "linger %d after BLOCKY 1", v);
    zt_assert(get_int(later, ZAIO_IPV6, &v) == 0 && v == 0, "ipv6 %d", v);
    zt_assert(get_int(push, ZAIO_LINGER, &v) == 0 && v == 0, "an older socket keeps its own");
    zaio_close(later);
    zaio_close(push);
    th_term(ctx);
}

/* The thread of this process named name, or -1. */
static pid_t thread_named(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    zt_assert(d, "/proc/self/task");
    pid_t found = -1;
    struct dirent *e;
    while ((e = readdir(d)) && found < 0) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(comm, sizeof comm, f)) {
            comm[strcspn(comm, "\n")] = 0;
            if (strcmp(comm, name) == 0)
                found = (pid_t)atoi(e->d_name);
        }
        if (f)
            fclose(f);
    }
    closedir(d);
    return found;
}

ZT_TEST(ctx_options, io_threads_take_name_policy_and_cpus, 10)
{
    cpu_set_t mine;
    zt_assert(sched_getaffinity(0, sizeof mine, &mine) == 0, "affinity");
    int cpu = 0;
    while (!CPU_ISSET(cpu, &mine))
        cpu++; /* one this process may run on */
    void *ctx = zaio_ctx_new();
    zt_assert(zaio_ctx_set(ctx, ZAIO_IO_THREADS, 2) == 0, "2 threads");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_NAME_PREFIX, 42) == 0, "prefix");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_SCHED_POLICY, SCHED_BATCH) == 0, "policy");
    zt_assert(zaio_ctx_set(ctx, ZAIO_THREAD_AFFINITY_CPU_ADD, cpu) == 0, "cpu");
    /* a message through both I/O threads: each ran its start, where it applies them */
    void *pull, *push;
    char ep[64];
    th_tcp_pair(ctx, ZAIO_PULL, ZAIO_PUSH, &pull, &push, ep, sizeof ep);
    th_send_str(push, "x", 0);
    th_recv_str(pull, "x");
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "42/zaio/IO/%d", i);
        pid_t tid = thread_named(name);
        zt_assert(tid > 0, "no thread %s", name);
        int policy = sched_getscheduler(tid);
        zt_assert(policy == SCHED_BATCH, "%s: policy %d", name, policy);
        cpu_set_t set;
        zt_assert(sched_getaffinity(tid, sizeof set, &set) == 0, "affinity of %s", name);
        zt_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set), "%s: %d CPUs", name,
                  CPU_COUNT(&set));
    }
    zt_assert(thread_named("zaio/IO/0") < 0, "a thread without the prefix");
    zaio_close(push);
    zaio_close(pull);
    th_term(ctx);
}
