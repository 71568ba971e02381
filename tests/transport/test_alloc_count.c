/* Allocations per message on the steady-state PUSH -> PULL path (issue 14): none for a
 * body up to the inline size (ZMSG_VSM, 31 bytes); none either for a body up to
 * aio_buf_cache_max() (1 KiB), whose buffer comes back from the cache of small buffers
 * once warm, nor for a large one the short lists of large buffers keep (aio_buf_cached:
 * 32 KiB to 2 MiB), sent one at a time so that the lists hold all there are in flight;
 * and otherwise only the body's own buffer: the one the sender's zaio_msg_init_size
 * makes and, over tcp, the one the receiving session makes for what it reads (inproc
 * hands the sender's on). Pipes, wake-ups, encoding and decoding allocate nothing per
 * message.
 *
 * The binary is linked with --wrap=malloc/calloc/realloc (CMakeLists.txt), so every
 * allocation of the library and of this file goes through the counters below, from any
 * thread (the I/O threads' included). A warm-up first lets pipes, receive buffers and
 * the like reach their steady size; then batches of messages are sent and received
 * and every allocation in that window is counted. */
#include "tcp_helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

static atomic_long allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    return __real_realloc(p, n);
}

enum { BATCH = 20, ROUNDS = 25, WARMUP = 5 };
enum { LARGE_SLOTS = 16, LARGE_MINE = 8 }; /* aio_buf.c: the shared list, a thread's own */

/* rounds batches of batch messages of size bytes, each batch sent then received;
 * returns the allocations counted while doing so. No assertion inside the window. */
static long run_batches(void *push, void *pull, size_t size, int rounds, int batch, int *bad)
{
    long before = atomic_load(&allocs);
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < batch; i++) {
            zaio_msg_t m;
            if (zaio_msg_init_size(&m, size) != 0) {
                (*bad)++;
                continue;
            }
            memset(zaio_msg_data(&m), 'x', size);
            if (zaio_msg_send(&m, push, 0) != (int)size) {
                (*bad)++;
                zaio_msg_close(&m);
            }
        }
        for (int i = 0; i < batch; i++) {
            zaio_msg_t m;
            zaio_msg_init(&m);
            if (zaio_msg_recv(&m, pull, 0) != (int)size)
                (*bad)++;
            zaio_msg_close(&m);
        }
    }
    return atomic_load(&allocs) - before;
}

/* Each size in turn over one connection: exactly the body allocations, no more (a
 * pipe, a wake-up or the codec allocating) and no fewer; none at all where the cache
 * keeps the bodies (a cache that fails to hand a buffer back is caught here). */
static void check_path(const char *transport, const size_t *sizes, int nsizes)
{
    void *ctx = zaio_ctx_new();
    zt_assert(ctx, "ctx");
    void *pull = th_socket(ctx, ZAIO_PULL), *push = th_socket(ctx, ZAIO_PUSH);
    char ep[256];
    if (strcmp(transport, "tcp") == 0) {
        th_bind(pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    } else {
        snprintf(ep, sizeof ep, "inproc://alloc-count");
        zt_assert(zaio_bind(pull, ep) == 0, "bind");
    }
    th_connect(push, ep);
    for (int k = 0; k < nsizes; k++) {
        size_t size = sizes[k];
        int bad = 0;
        bool large = size > aio_buf_cache_max() && aio_buf_cached(size);
        int batch = BATCH, warmup = WARMUP;
        if (large) {
            /* one at a time: at most three bodies live (the sender's, its predecessor's
             * before its send completes, the receiver's). A thread that frees keeps up
             * to LARGE_MINE blocks of its own before it hands them on, so more than
             * those three go round: as many as may be kept are put in first, so that
             * the window does not count the blocks the stream adds until it has enough */
            batch = 1;
            warmup = 4 * LARGE_MINE;
            aio_buf *b[LARGE_SLOTS + LARGE_MINE];
            for (int i = 0; i < LARGE_SLOTS + LARGE_MINE; i++)
                zt_assert(aio_buf_new(size, &b[i]) == 0, "new");
            for (int i = 0; i < LARGE_SLOTS + LARGE_MINE; i++)
                aio_buf_unref(b[i]);
        }
        (void)run_batches(push, pull, size, warmup, batch, &bad);
        long n = run_batches(push, pull, size, ROUNDS, batch, &bad);
        zt_assert(bad == 0, "%s %zu B: %d sends or receives failed", transport, size, bad);
        long msgs = (long)batch * ROUNDS;
        /* the body: the sender's, and over tcp the receiver's too */
        long want = size <= 31 || aio_buf_cached(size)   ? 0
                    : strcmp(transport, "tcp") == 0 ? 2 * msgs
                                                    : msgs;
        zt_assert(n == want, "%s %zu B: %ld allocations for %ld messages, want %ld", transport,
                  size, n, msgs, want);
    }
    zt_assert(zaio_close(push) == 0 && zaio_close(pull) == 0, "close");
    th_term(ctx);
}

static const size_t sizes[] = {0, 1, 8, 31, 32, 64, 1024, 8192, 8193, 65536, 1 << 20, 3 << 20};

ZT_TEST(alloc_count, tcp_push_pull, 60)
{
    check_path("tcp", sizes, (int)(sizeof sizes / sizeof sizes[0]));
}

ZT_TEST(alloc_count, inproc_push_pull, 60)
{
    check_path("inproc", sizes, (int)(sizeof sizes / sizeof sizes[0]));
}

/* ---- the cache of small buffers across threads ---------------------------------------- */

/* Runs fn(arg) on a thread of its own, to its exit (and its thread-exit hooks), and
 * returns what it returned. */
static void *on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    void *ret = NULL;
    zt_assert(pthread_create(&t, NULL, fn, arg) == 0 && pthread_join(t, &ret) == 0, "thread");
    return ret;
}

/* No buffer counted as live: what the caches keep is not. */
static void assert_no_live_bufs(void)
{
    aio_stats st;
    aio_stats_get(&st);
    zt_assert(st.bufs == 0 && st.buf_bytes == 0, "live buffers: %lld, %lld bytes",
              (long long)st.bufs, (long long)st.buf_bytes);
}

enum { LIST = 32 }; /* the cache's list length (aio_buf.c BATCH) */

static void *take_one(void *arg)
{
    /* a thread that only makes buffers, as a sender's application thread does: it
     * takes a whole list from the depot for one buffer, and gives the rest back when it
     * exits */
    zt_assert(aio_buf_new(64, (aio_buf **)arg) == 0, "new");
    return NULL;
}

static void *take_list(void *arg)
{
    aio_buf **b = arg;
    long before = atomic_load(&allocs);
    for (int i = 0; i < LIST - 1; i++)
        zt_assert(aio_buf_new(64, &b[i]) == 0, "new");
    return (void *)(intptr_t)(atomic_load(&allocs) - before);
}

/* A thread's list goes back to the depot when the thread exits, also when the thread
 * only made buffers: otherwise a program that sends from short-lived threads would lose
 * a list's worth of buffers with each. */
ZT_TEST(alloc_count, cache_list_of_exited_thread_comes_back, 30)
{
    if (aio_buf_cache_max() == 0)
        return; /* no cache in this build */
    /* exactly one full list into the depot: this thread's list fills at LIST frees and
     * goes there at the next */
    aio_buf *b[LIST + 1];
    for (int i = 0; i < LIST + 1; i++)
        zt_assert(aio_buf_new(64, &b[i]) == 0, "new");
    for (int i = 0; i < LIST + 1; i++)
        aio_buf_unref(b[i]);
    /* a thread takes that list for one buffer and exits */
    aio_buf *one;
    (void)on_thread(take_one, &one);
    /* another thread then finds the rest of it in the depot: no allocation */
    aio_buf *rest[LIST];
    void *made = on_thread(take_list, rest);
    zt_assert((intptr_t)made == 0,
              "%ld allocations for %d buffers: the exited thread's list did not come back",
              (long)(intptr_t)made, LIST - 1);
    for (int i = 0; i < LIST - 1; i++)
        aio_buf_unref(rest[i]);
    aio_buf_unref(one);
}

/* ---- the list of large buffers ---------------------------------------------------------- */

static long allocs_now(void) { return atomic_load(&allocs); }

enum { KEPT_N = 44 };

/* On a thread of its own, whose own list starts empty: KEPT_N blocks of *size bytes made
 * and freed, then as many asked for again; returns the allocations that took. 44 frees
 * leave the thread's own list exactly full at both sizes the test uses (44 = 4 * 9 + 8 =
 * 8 * 5 + 4), so the count is exact: a list that keeps one more, or one fewer, shows. */
static void *free_then_take(void *arg)
{
    size_t size = *(const size_t *)arg;
    aio_buf *b[KEPT_N];
    for (int i = 0; i < KEPT_N; i++)
        zt_assert(aio_buf_new(size, &b[i]) == 0, "new");
    for (int i = 0; i < KEPT_N; i++)
        aio_buf_unref(b[i]);
    long before = allocs_now();
    for (int i = 0; i < KEPT_N; i++)
        zt_assert(aio_buf_new(size - size / 16, &b[i]) == 0, "new"); /* within an eighth */
    long made = allocs_now() - before;
    for (int i = 0; i < KEPT_N; i++)
        aio_buf_unref(b[i]);
    return (void *)(intptr_t)made;
}

/* A freed large buffer serves the next request of its size or up to an eighth smaller,
 * not a smaller one; what is kept is bounded (the shared list's 16 blocks and 8 MiB, and
 * a thread's own 8 blocks and 1 MiB: four of 256 KiB) but is most of what was freed; one
 * over 2 MiB is never kept. */
ZT_TEST(alloc_count, large_buffers_come_back_within_bounds, 30)
{
    if (!aio_buf_cached(65536))
        return; /* no cache in this build */
    static const size_t sizes_kept[][2] = {{65536, LARGE_MINE}, {262144, 4}};
    for (int k = 0; k < 2; k++) {
        size_t size = sizes_kept[k][0];
        long kept = LARGE_SLOTS + (long)sizes_kept[k][1];
        void *made = on_thread(free_then_take, &size);
        zt_assert((long)(intptr_t)made == KEPT_N - kept,
                  "%zu B: %ld allocations for %d buffers, where %ld are kept", size,
                  (long)(intptr_t)made, KEPT_N, kept);
        if (k == 0) {
            /* the thread's 64 KiB blocks are in the shared list now: they serve 60000
             * bytes, not 50000 (more than an eighth smaller) */
            aio_buf *small, *fits;
            long before = allocs_now();
            zt_assert(aio_buf_new(50000, &small) == 0, "new");
            zt_assert(allocs_now() - before == 1, "a 64 KiB block served 50000 bytes");
            zt_assert(aio_buf_new(60000, &fits) == 0, "new");
            zt_assert(allocs_now() - before == 1, "no 64 KiB block came back for 60000 bytes");
            aio_buf_unref(small);
            aio_buf_unref(fits);
        }
    }
    long before = allocs_now();
    aio_buf *huge;
    zt_assert(aio_buf_new((2 << 20) + 1, &huge) == 0, "new");
    aio_buf_unref(huge);
    before = allocs_now();
    zt_assert(aio_buf_new((2 << 20) + 1, &huge) == 0, "new");
    zt_assert(allocs_now() - before == 1, "a block over 2 MiB came back from the list");
    aio_buf_unref(huge);
    assert_no_live_bufs(); /* cached blocks are not live */
}

static void *free_few(void *arg)
{
    aio_buf **b = arg;
    for (int i = 0; i < 4; i++)
        aio_buf_unref(b[i]);
    return NULL;
}

/* The few large blocks a thread keeps of its own go to the shared list when it exits:
 * otherwise a program whose threads come and go would lose them with each. */
ZT_TEST(alloc_count, large_blocks_of_exited_thread_come_back, 30)
{
    if (!aio_buf_cached(65536))
        return; /* no cache in this build */
    aio_buf *b[4];
    for (int i = 0; i < 4; i++)
        zt_assert(aio_buf_new(100000, &b[i]) == 0, "new"); /* a size no other test uses */
    (void)on_thread(free_few, b);
    long before = allocs_now();
    for (int i = 0; i < 4; i++)
        zt_assert(aio_buf_new(100000, &b[i]) == 0, "new");
    zt_assert(allocs_now() - before == 0,
              "%ld allocations for 4 buffers: the exited thread's blocks did not come back",
              allocs_now() - before);
    for (int i = 0; i < 4; i++)
        aio_buf_unref(b[i]);
    assert_no_live_bufs();
}

static pthread_barrier_t checked;

static void *hold_old_size(void *arg)
{
    (void)arg;
    /* three blocks of one size fill the MiB a thread keeps */
    aio_buf *b[3], *other;
    for (int i = 0; i < 3; i++)
        zt_assert(aio_buf_new(340000, &b[i]) == 0, "new");
    for (int i = 0; i < 3; i++)
        aio_buf_unref(b[i]);
    /* then this thread asks only for another size */
    zt_assert(aio_buf_new(40000, &other) == 0, "new");
    pthread_barrier_wait(&checked); /* alive while the test looks: no exit hand-back */
    pthread_barrier_wait(&checked);
    aio_buf_unref(other);
    return NULL;
}

/* A thread whose own blocks are of a size it no longer asks for, and leave no room,
 * gives them to the shared list when it next takes a block: otherwise a thread that only
 * makes buffers (a sender's) would hold up to 1 MiB of them as long as it lives. */
ZT_TEST(alloc_count, large_blocks_of_an_old_size_go_back, 30)
{
    if (!aio_buf_cached(65536))
        return; /* no cache in this build */
    zt_assert(pthread_barrier_init(&checked, NULL, 2) == 0, "barrier");
    pthread_t t;
    zt_assert(pthread_create(&t, NULL, hold_old_size, NULL) == 0, "t");
    pthread_barrier_wait(&checked);
    long before = allocs_now();
    aio_buf *b[3];
    for (int i = 0; i < 3; i++)
        zt_assert(aio_buf_new(340000, &b[i]) == 0, "new"); /* a size no other test uses */
    long made = allocs_now() - before;
    pthread_barrier_wait(&checked);
    zt_assert(pthread_join(t, NULL) == 0, "join");
    pthread_barrier_destroy(&checked);
    for (int i = 0; i < 3; i++)
        aio_buf_unref(b[i]);
    zt_assert(made == 0, "%ld allocations for 3 buffers: the other thread kept its old ones",
              made);
}

static pthread_key_t late_key;
static aio_buf *late_buf;

/* Sets itself again for rounds 2 to 4 of glibc's thread-exit destructors (4 at most,
 * PTHREAD_DESTRUCTOR_ITERATIONS) and frees the buffer in the last, after asyncio's own
 * exit hook has run (its key is older, so it goes first in a round). */
static void late_free(void *v)
{
    intptr_t round = (intptr_t)v;
    if (round < 4) {
        pthread_setspecific(late_key, (void *)(round + 1));
        return;
    }
    aio_buf_unref(late_buf);
}

static void *free_at_exit(void *arg)
{
    (void)arg;
    aio_buf *b;
    zt_assert(aio_buf_new(64, &b) == 0, "new"); /* asyncio's hook for this thread */
    aio_buf_unref(b);
    pthread_setspecific(late_key, (void *)1);
    return NULL;
}

/* A buffer freed by another library's exit hook, after asyncio's has run for the thread,
 * goes to the shared list: kept by the thread, it would be lost with it. */
ZT_TEST(alloc_count, buffer_freed_late_in_thread_exit_comes_back, 30)
{
    if (!aio_buf_cached(65536))
        return; /* no cache in this build */
    /* asyncio's thread-exit key first (made when a thread first keeps something), so
     * that in each round its hook runs before late_free */
    aio_buf *b;
    zt_assert(aio_buf_new(64, &b) == 0, "new");
    aio_buf_unref(b);
    zt_assert(pthread_key_create(&late_key, late_free) == 0, "key");
    zt_assert(aio_buf_new(120000, &late_buf) == 0, "new"); /* a size no other test uses */
    (void)on_thread(free_at_exit, NULL);
    pthread_key_delete(late_key);
    long before = allocs_now();
    zt_assert(aio_buf_new(120000, &b) == 0, "new");
    long made = allocs_now() - before;
    aio_buf_unref(b);
    zt_assert(made == 0, "the buffer freed in the last round of thread exit was lost");
    assert_no_live_bufs();
}

/* ---- the pages of a large buffer ---------------------------------------------------------- */

#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
/* Whole pages of [p, p + n) that are in memory, of *total; -1 if mincore fails */
static long pages_in(const void *p, size_t n, long *total)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(page - 1);
    size_t count = (hi - lo) / page;
    unsigned char *vec = malloc(count);
    long in = -1;
    if (vec && mincore((void *)lo, hi - lo, vec) == 0) {
        in = 0;
        for (size_t i = 0; i < count; i++)
            in += vec[i] & 1;
    }
    free(vec);
    *total = (long)count;
    return in;
}

/* An application's large message body made afresh has its pages in (aio_buf.c, "pages
 * in at once"): it is filled or sent next, and fresh pages taken one fault at a time
 * cost the thread that first touches them (a send's, in the kernel) 20 times as much.
 * A block for a size a peer announced has none in until its bytes come. 40 MiB is above
 * glibc's largest mmap threshold, so each block is a fresh mapping with no page in. */
ZT_TEST(alloc_count, an_application_body_has_its_pages_in_and_a_peer_size_not, 30)
{
    enum { SIZE = 40 << 20 };
    long page = sysconf(_SC_PAGESIZE);
    void *probe = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    zt_assert(probe != MAP_FAILED, "mmap");
    int rc = madvise(probe, (size_t)page, MADV_POPULATE_WRITE);
    munmap(probe, (size_t)page);
    if (rc != 0)
        return; /* a kernel before 5.14: aio_buf asks, and is refused */
    long total, in;
    zaio_msg_t m;
    zt_assert(zaio_msg_init_size(&m, SIZE) == 0, "msg");
    in = pages_in(zaio_msg_data(&m), SIZE, &total);
    zaio_msg_close(&m);
    zt_assert(in == total, "%ld of %ld pages of a new 40 MiB message body in", in, total);
    aio_buf *b;
    zt_assert(aio_buf_new_populated(SIZE, &b) == 0, "new");
    in = pages_in(aio_buf_data(b), SIZE, &total);
    aio_buf_unref(b);
    zt_assert(in == total, "%ld of %ld pages of a populated 40 MiB buffer in", in, total);
    zt_assert(aio_buf_new(SIZE, &b) == 0, "new");
    in = pages_in(aio_buf_data(b), SIZE, &total);
    aio_buf_unref(b);
    /* one at most: AddressSanitizer's malloc writes the first 4 KiB of each block */
    zt_assert(in >= 0 && in <= 1, "%ld of %ld pages of a plain 40 MiB buffer in before any write",
              in, total);
    assert_no_live_bufs();
}
#endif

/* ---- huge pages for large application bodies --------------------------------------------- */

#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MADV_POPULATE_WRITE)
/* Whether the mapping that holds p is advised for huge pages: "hg" in its VmFlags
 * (/proc/self/smaps). */
static bool advised_huge(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    zt_assert(f, "smaps");
    char line[512];
    bool in = false, hg = false;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = a >= lo && a < hi;
        } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            hg = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return hg;
}

/* Whether this system has huge pages to give: its THP setting is not [never] and the
 * kernel takes the advice (aio_buf turns its regions off otherwise). */
static bool huge_pages_here(void)
{
    char line[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
    }
    if (strstr(line, "[never]"))
        return false;
    size_t len = 4 << 20;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    zt_assert(m != MAP_FAILED, "mmap");
    int rc = madvise(m, len, MADV_HUGEPAGE);
    munmap(m, len);
    return rc == 0;
}

/* A message body of 256 KiB to 2 MiB that an application makes comes from a region of
 * huge pages (aio_buf.c: with the default HWM a sender has a gigabyte of 1 MiB bodies
 * queued, and over 4 KiB pages the kernel's copies of the sends ran at half the rate),
 * with its pages in. A size a peer announced stays with malloc, as does anything above
 * 2 MiB. */
ZT_TEST(alloc_count, an_application_body_of_a_mebibyte_is_on_huge_pages_and_a_peer_size_not, 30)
{
    if (aio_buf_slab_regions() < 0 || !huge_pages_here())
        return; /* a build or a system without them: every block is malloc's */
    enum { SIZE = 1 << 20 };
    aio_buf *peer, *big;
    /* first, while no region exists: no freed region block can be handed out for it */
    zt_assert(aio_buf_new(SIZE, &peer) == 0, "new");
    zt_assert(aio_buf_slab_regions() == 0, "%d regions for a peer's size", aio_buf_slab_regions());
    /* two: the second crosses a huge page's end, whose next page its header does not
     * touch, so its pages are in only if they were asked for */
    zaio_msg_t m[2];
    for (int i = 0; i < 2; i++) {
        zt_assert(zaio_msg_init_size(&m[i], SIZE) == 0, "msg");
        long total, in = pages_in(zaio_msg_data(&m[i]), SIZE, &total);
        zt_assert(in == total, "%ld of %ld pages of 1 MiB message body %d in", in, total, i);
        zt_assert(advised_huge(zaio_msg_data(&m[i])), "1 MiB message body %d not on huge pages", i);
    }
    zt_assert(aio_buf_slab_regions() == 1, "%d regions for two bodies", aio_buf_slab_regions());
    zt_assert(aio_buf_new_populated(3 << 20, &big) == 0, "new");
    zt_assert(aio_buf_slab_regions() == 1, "%d regions with a 3 MiB body", aio_buf_slab_regions());
    /* a freed region block goes back to its region, not to the lists of large buffers,
     * where a size a peer announced could be served with it (freed in this order, the
     * lists' newest would be the second body) */
    aio_buf_unref(peer);
    zaio_msg_close(&m[0]);
    zaio_msg_close(&m[1]);
    aio_buf_unref(big);
    zt_assert(aio_buf_new(SIZE, &peer) == 0, "new");
    /* (glibc advises its own blocks too when told to: GLIBC_TUNABLES=glibc.malloc.hugetlb) */
    const char *tun = getenv("GLIBC_TUNABLES");
    zt_assert((tun && strstr(tun, "hugetlb")) || !advised_huge(aio_buf_data(peer)),
              "a 1 MiB body for a peer's size on huge pages");
    aio_buf_unref(peer);
    assert_no_live_bufs();
}

/* What a burst of large bodies leaves goes back to the system: a region whose blocks are
 * all freed is unmapped, but for one kept for the next burst. 150 bodies of 512 KiB are
 * 5 regions (16 MiB each, 30 blocks of 544 KiB); once all are freed, one is left. */
ZT_TEST(alloc_count, the_huge_page_regions_of_a_burst_go_back, 30)
{
    if (aio_buf_slab_regions() < 0 || !huge_pages_here())
        return;
    enum { N = 150, SIZE = 512 << 10, REGIONS = 5 };
    aio_buf *b[N];
    for (int i = 0; i < N; i++)
        zt_assert(aio_buf_new_populated(SIZE, &b[i]) == 0, "new");
    zt_assert(aio_buf_slab_regions() == REGIONS, "%d regions for %d bodies of 512 KiB, not %d",
              aio_buf_slab_regions(), N, REGIONS);
    for (int i = 0; i < N; i++)
        aio_buf_unref(b[i]);
    zt_assert(aio_buf_slab_regions() == 1, "%d regions left after the burst, not 1",
              aio_buf_slab_regions());
    /* and they serve again: the next burst takes the blocks that are left first */
    for (int i = 0; i < N; i++)
        zt_assert(aio_buf_new_populated(SIZE, &b[i]) == 0, "new");
    zt_assert(aio_buf_slab_regions() == REGIONS, "%d regions for the second burst, not %d",
              aio_buf_slab_regions(), REGIONS);
    for (int i = 0; i < N; i++)
        aio_buf_unref(b[i]);
    assert_no_live_bufs();
}
#endif
