/* ctx.c - contexts: options, I/O threads started on first use, the sockets, and
 * termination (which waits for every socket to close and every TCP session to finish
 * its linger), plus zaio_stats. */
#include "core/ctx.h"
#include "core/endpoint.h"

#include "core/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

#include "core/error.h"

static zctx *ctx_check(void *p)
{
    zctx *c = p;
    return c && c->tag == ZCTX_TAG ? c : NULL;
}

void *zaio_ctx_new(void)
{
    zctx *c = calloc(1, sizeof *c);
    if (!c) {
        zaio__set_errno(-ENOMEM);
        return NULL;
    }
    zmutex_init(&c->lock);
    zcond_init(&c->cond);
    c->tag = ZCTX_TAG;
    c->io_threads = ZAIO_IO_THREADS_DFLT;
    c->max_sockets = ZAIO_MAX_SOCKETS_DFLT;
    c->max_msgsz = INT32_MAX;
    c->blocky = c->zero_copy_recv = 1;
    c->thread_priority = ZAIO_THREAD_PRIORITY_DFLT;
    c->thread_sched_policy = ZAIO_THREAD_SCHED_POLICY_DFLT;
    return c;
}

bool zctx_terminating(zctx *c) { return atomic_load(&c->terminating); }

int zctx_pick_io(zctx *c, zio **out)
{
    zmutex_lock(&c->lock);
    if (!c->io) {
        int n = c->io_threads > 0 ? c->io_threads : 1;
        c->io = calloc((size_t)n, sizeof *c->io);
        if (!c->io) {
            zmutex_unlock(&c->lock);
            return -ENOMEM;
        }
        for (int i = 0; i < n; i++) {
            int rc = zio_new(c, i, &c->io[i]);
            if (rc < 0) {
                for (int j = 0; j < i; j++)
                    zio_free(c->io[j]);
                free(c->io);
                c->io = NULL;
                zmutex_unlock(&c->lock);
                return rc;
            }
        }
        c->nio = n;
    }
    zmutex_unlock(&c->lock);
    int k = atomic_fetch_add(&c->next_io, 1);
    *out = c->io[(unsigned)k % (unsigned)c->nio];
    return 0;
}

void zctx_session_add(zctx *c)
{
    zmutex_lock(&c->lock);
    c->sessions++;
    zmutex_unlock(&c->lock);
}

void zctx_session_remove(zctx *c)
{
    zmutex_lock(&c->lock);
    c->sessions--;
    zcond_broadcast(&c->cond);
    zmutex_unlock(&c->lock);
}

/* socket.c calls these */
void zctx_socket_defaults(zctx *c, zopts *o)
{
    zmutex_lock(&c->lock);
    if (!c->blocky)
        o->linger = 0; /* as libzmq: a context that must not block makes sockets that don't */
    o->ipv6 = c->ipv6;
    zmutex_unlock(&c->lock);
}

int zctx_socket_opened(zctx *c, zsock *s)
{
    zmutex_lock(&c->lock);
    if (atomic_load(&c->terminating) || c->nsockets >= c->max_sockets) {
        int e = atomic_load(&c->terminating) ? -ZAIO_ETERM : -EMFILE;
        zmutex_unlock(&c->lock);
        return e;
    }
    s->next_in_ctx = c->sockets;
    c->sockets = s;
    c->nsockets++;
    zmutex_unlock(&c->lock);
    return 0;
}

void zctx_socket_closed(zctx *c, zsock *s)
{
    zmutex_lock(&c->lock);
    for (zsock **pp = &c->sockets; *pp; pp = &(*pp)->next_in_ctx) {
        if (*pp == s) {
            *pp = s->next_in_ctx;
            c->nsockets--;
            break;
        }
    }
    zcond_broadcast(&c->cond);
    zmutex_unlock(&c->lock);
}

int zaio_ctx_shutdown(void *ctx)
{
    zctx *c = ctx_check(ctx);
    if (!c)
        return zaio__set_errno(-EFAULT);
    zmutex_lock(&c->lock);
    atomic_store(&c->terminating, true);
    /* blocked calls wake and see ETERM */
    for (zsock *s = c->sockets; s; s = s->next_in_ctx)
        zsignaler_send(s->sig);
    zmutex_unlock(&c->lock);
    return 0;
}

int zaio_ctx_term(void *ctx)
{
    zctx *c = ctx_check(ctx);
    if (!c)
        return zaio__set_errno(-EFAULT);
    zaio_ctx_shutdown(c);
    zmutex_lock(&c->lock);
    /* the sockets are the application's to close; the sessions end after their linger */
    while (c->nsockets > 0 || c->sessions > 0)
        zcond_wait(&c->cond, &c->lock);
    zmutex_unlock(&c->lock);
    for (int i = 0; i < c->nio; i++)
        zio_free(c->io[i]);
    free(c->io);
    ztransport_ctx_fini(c);
    zcond_fini(&c->cond);
    zmutex_fini(&c->lock);
    c->tag = 0;
    free(c);
    return 0;
}

/* ---- the rest of libzmq's context options -------------------------------------------- */

/* As libzmq validates them: each >= 0 but the prefix, and a CPU to remove must have
 * been added. 0 or -EINVAL. */
static int ctx_set_more(zctx *c, int option, int value)
{
    if (value < 0 && option != ZAIO_THREAD_NAME_PREFIX)
        return -EINVAL;
    int rc = 0;
    zmutex_lock(&c->lock);
    switch (option) {
    case ZAIO_BLOCKY: c->blocky = value != 0; break;
    case ZAIO_IPV6: c->ipv6 = value != 0; break;
    case ZAIO_ZERO_COPY_RECV: c->zero_copy_recv = value != 0; break;
    case ZAIO_THREAD_PRIORITY: c->thread_priority = value; break;
    case ZAIO_THREAD_SCHED_POLICY: c->thread_sched_policy = value; break;
    case ZAIO_THREAD_NAME_PREFIX:
        c->thread_name_prefix = value;
        c->has_thread_name_prefix = true;
        break;
    case ZAIO_THREAD_AFFINITY_CPU_ADD:
    case ZAIO_THREAD_AFFINITY_CPU_REMOVE: {
        if (value >= (int)sizeof c->thread_cpus * 8) {
            rc = -EINVAL;
            break;
        }
        uint8_t *byte = &c->thread_cpus[value / 8], bit = (uint8_t)(1u << (value % 8));
        if (option == ZAIO_THREAD_AFFINITY_CPU_ADD)
            *byte |= bit;
        else if (*byte & bit)
            *byte &= (uint8_t)~bit;
        else
            rc = -EINVAL;
        break;
    }
    default: rc = -EINVAL; break;
    }
    zmutex_unlock(&c->lock);
    return rc;
}

void zctx_thread_cfg(const zctx *c, int index, zthread_cfg *out)
{
    memset(out, 0, sizeof *out);
    out->priority = out->policy = -1;
    char name[64];
    if (c && c->has_thread_name_prefix)
        snprintf(name, sizeof name, "%d/zaio/IO/%d", c->thread_name_prefix, index);
    else
        snprintf(name, sizeof name, "zaio/IO/%d", index);
    memcpy(out->name, name, sizeof out->name - 1); /* the kernel keeps 15 characters */
    if (!c)
        return; /* an I/O thread of its own (unit tests) */
    out->priority = c->thread_priority;
    out->policy = c->thread_sched_policy;
    memcpy(out->cpus, c->thread_cpus, sizeof out->cpus);
    for (size_t i = 0; i < sizeof out->cpus; i++)
        out->any_cpu |= out->cpus[i] != 0;
}

void zthread_cfg_apply(const zthread_cfg *cfg)
{
#if defined(__linux__)
    /* What the system refuses leaves the thread as it was (see zaio.h): there is nobody
     * to tell on this thread, and the program goes on as it would without the option. */
    (void)pthread_setname_np(pthread_self(), cfg->name);
    struct sched_param sp;
    int policy;
    if ((cfg->priority >= 0 || cfg->policy >= 0) &&
        pthread_getschedparam(pthread_self(), &policy, &sp) == 0) {
        if (cfg->policy >= 0)
            policy = cfg->policy;
        if (policy != SCHED_FIFO && policy != SCHED_RR)
            sp.sched_priority = 0; /* the only static priority of the other policies */
        else if (cfg->priority >= 0)
            sp.sched_priority = cfg->priority;
        (void)pthread_setschedparam(pthread_self(), policy, &sp);
    }
    if (cfg->any_cpu) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        for (int i = 0; i < (int)sizeof cfg->cpus * 8; i++)
            if (cfg->cpus[i / 8] & (1u << (i % 8)))
                CPU_SET(i, &cpus);
        (void)pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
    }
#else
    (void)cfg; /* stored only: see zaio.h */
#endif
}

int zaio_ctx_set(void *ctx, int option, int value)
{
    zctx *c = ctx_check(ctx);
    if (!c)
        return zaio__set_errno(-EFAULT);
    switch (option) {
    case ZAIO_IO_THREADS:
        if (value < 1 || c->io)
            return zaio__set_errno(-EINVAL); /* fixed once the first one started */
        c->io_threads = value;
        return 0;
    case ZAIO_MAX_SOCKETS:
        if (value < 1)
            return zaio__set_errno(-EINVAL);
        c->max_sockets = value;
        return 0;
    case ZAIO_MAX_MSGSZ:
        if (value < 0)
            return zaio__set_errno(-EINVAL);
        c->max_msgsz = value;
        return 0;
    default: {
        int rc = ctx_set_more(c, option, value);
        return rc < 0 ? zaio__set_errno(rc) : 0;
    }
    }
}

int zaio_ctx_get(void *ctx, int option)
{
    zctx *c = ctx_check(ctx);
    if (!c)
        return zaio__set_errno(-EFAULT);
    switch (option) {
    case ZAIO_IO_THREADS: return c->io_threads;
    case ZAIO_MAX_SOCKETS: return c->max_sockets;
    case ZAIO_SOCKET_LIMIT: return 65535;
    case ZAIO_MAX_MSGSZ: return c->max_msgsz;
    case ZAIO_MSG_T_SIZE: return (int)sizeof(zaio_msg_t);
    case ZAIO_BLOCKY: return c->blocky;
    case ZAIO_IPV6: return c->ipv6;
    case ZAIO_ZERO_COPY_RECV: return c->zero_copy_recv;
    case ZAIO_THREAD_SCHED_POLICY: return c->thread_sched_policy;
    case ZAIO_THREAD_NAME_PREFIX: return c->thread_name_prefix;
    default: return zaio__set_errno(-EINVAL);
    }
}

const char *zaio_backend(void *ctx)
{
    zctx *c = ctx_check(ctx);
    if (!c) {
        zaio__set_errno(-EFAULT);
        return NULL;
    }
    zmutex_lock(&c->lock);
    const char *name = c->nio > 0 ? aio_backend_name(aio_port_backend(zio_port(c->io[0]))) : NULL;
    zmutex_unlock(&c->lock);
    return name;
}

int zaio_stats(void *ctx, zaio_stats_t *out)
{
    zctx *c = ctx ? ctx_check(ctx) : NULL;
    if ((ctx && !c) || !out)
        return zaio__set_errno(-EFAULT);
    aio_stats st;
    aio_stats_get(&st);
    memset(out, 0, sizeof *out);
    out->sockets = st.sockets;
    out->accept_sockets = st.accept_sockets;
    out->ops_in_flight = st.ops_in_flight;
    out->bufs = st.bufs;
    out->buf_bytes = st.buf_bytes;
    out->submits = st.submits;
    out->completions = st.completions;
    out->cancels = st.cancels;
    out->submit_failures = st.submit_failures;
    if (!c)
        return 0; /* the process's asyncio counters alone, e.g. after every context ended */
    out->connections = atomic_load(&c->connections);
    out->handshakes = atomic_load(&c->handshakes);
    zmutex_lock(&c->lock);
    out->zsockets = c->nsockets;
    zmutex_unlock(&c->lock);
    return 0;
}
