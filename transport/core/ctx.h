/* ctx.h - a context: options, its I/O threads, its sockets, the inproc endpoints, and
 * the count of TCP sessions still lingering (zaio_ctx_term waits for them). */
#ifndef ZAIO_TRANSPORT_CTX_H
#define ZAIO_TRANSPORT_CTX_H

#include "core/io_thread.h"
#include "core/sync.h"
#include "core/socket.h"

#include <stdatomic.h>

#define ZCTX_TAG 0x7a637478u

struct zctx {
    uint32_t tag;
    int io_threads, max_sockets, max_msgsz;
    zio **io;         /* started with the first socket */
    int nio;
    atomic_int next_io;
    atomic_bool terminating;
    /* the rest under lock */
    zmutex lock;
    zcond cond;       /* signalled when a socket closes or a session ends */
    zsock *sockets;
    int nsockets;
    int sessions;     /* TCP listeners and sessions alive on the I/O threads */
    struct zinproc *inproc; /* bound inproc names (inproc.c) */
    atomic_llong connections, handshakes;
    /* the rest of libzmq 4.3.4's context options (zaio.h); the thread ones under lock */
    int blocky, ipv6, zero_copy_recv;
    int thread_priority, thread_sched_policy; /* -1: the system's */
    int thread_name_prefix;
    bool has_thread_name_prefix;
    uint8_t thread_cpus[1024 / 8]; /* THREAD_AFFINITY_CPU_ADD: a bit per CPU */
};

/* An I/O thread for a new listener or session (round robin). Starts them on first use. */
int zctx_pick_io(zctx *c, zio **out);
/* TCP objects register while alive, so zaio_ctx_term waits for their linger. */
void zctx_session_add(zctx *c);
void zctx_session_remove(zctx *c); /* any thread */
bool zctx_terminating(zctx *c);
/* How an I/O thread sets itself up (THREAD_NAME_PREFIX, _PRIORITY, _SCHED_POLICY,
 * _AFFINITY_CPU_*): read from the context (NULL: none) by zio_new, whose caller holds its
 * lock, and applied by the thread as it starts. */
typedef struct zthread_cfg {
    char name[16];
    int priority, policy; /* -1: the system's */
    bool any_cpu;
    uint8_t cpus[1024 / 8];
} zthread_cfg;
void zctx_thread_cfg(const zctx *c, int index, zthread_cfg *out);
void zthread_cfg_apply(const zthread_cfg *cfg);

#endif
