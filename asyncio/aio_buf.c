/* aio_buf.c - refcounted pinned buffers.
 *
 * An op takes a reference at submit and the core drops it when the op's completion is
 * dispatched, so the memory outlives any kernel access whatever the owner does with its
 * own reference (DESIGN.md release path 12). */
#include "aio_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

struct aio_buf {
    atomic_int refs;
    size_t size;
    size_t cap; /* bytes at inline_data (a cached block serves any size up to it) */
    void *data;
    void (*free_fn)(void *data, void *hint); /* NULL: nothing to call (inline, or the
                                                * caller's memory, which outlives it) */
    void *hint;
    struct slab_region *region; /* the huge-page region it is carved from, or NULL */
    _Alignas(16) unsigned char inline_data[];
};

static void block_free(aio_buf *b);

/* ---- a cache of small buffers ------------------------------------------------------------
 *
 * A small message body is made on one thread and freed on another: the sender's
 * application thread makes it and its I/O thread frees it once encoded; the receiver's I/O
 * thread makes it and its application thread frees it. glibc's malloc pays for that
 * pattern with its arena lock and consolidation: a third of both threads' time at 64 B
 * messages (perf, PUSH->PULL over tcp). Buffers of up to CACHE_MAX bytes are kept instead,
 * by size class, in the style of a magazine allocator: each thread keeps a list of up to
 * BATCH free ones per class, gives a full list to a shared depot in one step, and takes
 * one from there in one step when its own is empty. So a buffer costs a lock once in
 * BATCH. The depot keeps up to DEPOT_BYTES a class, enough for a pipe's worth of
 * messages in flight at the default HWM; beyond that lists go back to malloc, so what is
 * kept stays bounded after a burst. Under AddressSanitizer every buffer goes to malloc,
 * which is what finds a use after free; on Windows there is no thread-exit hook here to
 * hand a thread's lists back, so no cache either. */
#if !defined(_WIN32) && !defined(__SANITIZE_ADDRESS__)
#define AIO_BUF_CACHE 1
#endif

#ifdef AIO_BUF_CACHE
enum { CACHE_MIN_LOG = 6, CACHE_CLASSES = 5, CACHE_MAX = 1 << (CACHE_MIN_LOG + CACHE_CLASSES - 1),
       BATCH = 32, DEPOT_BYTES = 1 << 20 };

typedef struct cache_block {
    struct cache_block *next;       /* within a list */
    struct cache_block *next_batch; /* the depot's lists, in each list's first block */
} cache_block;

typedef struct {
    cache_block *head;
    int n;
} cache_list;

static struct {
    aio_mutex lock;
    cache_block *batches[CACHE_CLASSES];
    int nbatches[CACHE_CLASSES];
} depot = {.lock = PTHREAD_MUTEX_INITIALIZER};
static _Thread_local cache_list mine[CACHE_CLASSES];

static int cache_class(size_t size)
{
    int k = 0;
    while (((size_t)1 << (CACHE_MIN_LOG + k)) < size)
        k++;
    return k;
}

static size_t class_bytes(int k) { return sizeof(aio_buf) + ((size_t)1 << (CACHE_MIN_LOG + k)); }

static void free_list(cache_block *b)
{
    while (b) {
        cache_block *next = b->next;
        free(b); /* small: never a huge-page region's */
        b = next;
    }
}

/* Hands a list to the depot, or back to malloc when the depot is full. */
static void depot_put(int k, cache_list *l)
{
    aio__lock(&depot.lock);
    bool kept = (size_t)depot.nbatches[k] * BATCH * class_bytes(k) < DEPOT_BYTES;
    if (kept) {
        l->head->next_batch = depot.batches[k];
        depot.batches[k] = l->head;
        depot.nbatches[k]++;
    }
    aio__unlock(&depot.lock);
    if (!kept)
        free_list(l->head);
    l->head = NULL;
    l->n = 0;
}

static aio_buf *cache_get(int k)
{
    cache_list *l = &mine[k];
    if (!l->head) {
        /* a list is kept only by a thread hooked for its exit: one that only makes
         * buffers (a sender's application thread) holds a list it took from the depot
         * as much as one that frees them. A buffer's first count hooks it already;
         * this holds the rule where no hook can be made. */
        if (!aio__thread_hook())
            return NULL;
        aio__lock(&depot.lock);
        cache_block *b = depot.batches[k];
        if (b) {
            depot.batches[k] = b->next_batch;
            depot.nbatches[k]--;
        }
        aio__unlock(&depot.lock);
        if (!b)
            return NULL;
        l->head = b;
        l->n = BATCH; /* a partial list counts as full: it only goes back sooner */
    }
    cache_block *b = l->head;
    l->head = b->next;
    l->n--;
    if (!l->head)
        l->n = 0;
    return (aio_buf *)(void *)b;
}

/* False when this thread cannot keep it (no thread-exit hook): then it is freed. */
static bool cache_put(int k, aio_buf *buf)
{
    if (!aio__thread_hook())
        return false;
    cache_list *l = &mine[k];
    if (l->n == BATCH)
        depot_put(k, l);
    cache_block *b = (cache_block *)(void *)buf;
    b->next = l->head;
    l->head = b;
    l->n++;
    return true;
}

/* ---- a few large buffers ------------------------------------------------------------------
 *
 * A large body (LARGE_MIN to LARGE_MAX bytes) crosses threads as a small one does, and
 * glibc hands such blocks back to the kernel often (trimming the heap, madvise on a
 * thread's arena, munmap above its mmap threshold), so that the next one is fresh pages
 * to fault in and clear: the receiving side of 64 KiB messages over tcp spent an eighth
 * of its time there, and inproc at 64 KiB, where the allocator is all there is to pay,
 * ran at 1.4-1.5M msg/s. Freed large blocks wait instead for the next aio_buf_new of
 * about their size (a stream's bodies are mostly one size): a block serves a request at
 * most an eighth smaller than it.
 *
 * They wait in one shared list, newest last, at most LARGE_SLOTS blocks and LARGE_BYTES
 * in all; a block that does not fit pushes out the oldest, so after a change of size the
 * list holds the new size soon, and what a burst leaves behind is bounded. Taking its
 * lock once a buffer on each side was then the largest cost of inproc at 64 KiB (a third
 * of the time, the thread that makes bodies and the one that frees them contending), so
 * each thread also keeps a few of its own, as for small buffers: up to MINE_SLOTS blocks
 * and MINE_BYTES, served without a lock. A thread that frees more gives all of its own
 * to the shared list in one step, and one that finds none of its own that fits takes as
 * many that fit as it may keep, also in one step (first giving back its own if they
 * leave no room: they are of a size it no longer asks for). A block of 1 MiB is kept
 * alone, and larger ones always go through the shared list: a lock a buffer costs
 * nothing beside their copy.
 * What is kept stays bounded: LARGE_BYTES, and MINE_BYTES a thread; a thread's own go
 * back to the shared list when it exits. */
enum { LARGE_MIN = 32 * 1024, LARGE_MAX = 2 * 1024 * 1024, LARGE_SLOTS = 16,
       LARGE_BYTES = 8 * 1024 * 1024, MINE_SLOTS = 8, MINE_BYTES = 1024 * 1024 };

typedef struct {
    aio_buf *slot[LARGE_SLOTS]; /* oldest first */
    int n;
    size_t bytes;
} large_list;

static struct {
    pthread_mutex_t lock;
    large_list l;
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
/* glibc's adaptive kind spins a little before it sleeps: the sections are a few loads
 * and stores, and a plain mutex put the thread that makes bodies and the one that frees
 * them to sleep and woke them in turn, message after message (inproc 64 KiB: 1.3-1.7M
 * msg/s against 1.8-1.9M, before threads kept their own) */
} large = {.lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP};
#else
} large = {.lock = PTHREAD_MUTEX_INITIALIZER};
#endif
static _Thread_local large_list large_mine; /* uses MINE_SLOTS of the slots */

static bool large_fits(size_t cap, size_t size) { return cap >= size && cap - size <= size / 8; }

/* Takes out the newest block in l that serves size, or NULL. */
static aio_buf *list_take(large_list *l, size_t size)
{
    for (int i = l->n - 1; i >= 0; i--) {
        aio_buf *b = l->slot[i];
        if (large_fits(b->cap, size)) {
            memmove(&l->slot[i], &l->slot[i + 1], (size_t)(l->n - i - 1) * sizeof b);
            l->n--;
            l->bytes -= b->cap;
            return b;
        }
    }
    return NULL;
}

/* Puts b last in l, which has room for it. */
static void list_append(large_list *l, aio_buf *b)
{
    l->slot[l->n++] = b;
    l->bytes += b->cap;
}

/* Puts b last in the shared list (under its lock), pushing the oldest out into out[]. */
static void shared_push(aio_buf *b, aio_buf **out, int *nout)
{
    large_list *l = &large.l;
    while (l->n > 0 && (l->n == LARGE_SLOTS || l->bytes + b->cap > LARGE_BYTES)) {
        out[(*nout)++] = l->slot[0];
        l->bytes -= l->slot[0]->cap;
        memmove(&l->slot[0], &l->slot[1], (size_t)(--l->n) * sizeof b);
    }
    list_append(l, b);
}

/* Frees what shared_push pushed out, outside the lock. */
static void free_pushed_out(aio_buf **out, int nout)
{
    for (int i = 0; i < nout; i++)
        block_free(out[i]);
}

static bool mine_has_room(size_t cap)
{
    return large_mine.n < MINE_SLOTS && large_mine.bytes + cap <= MINE_BYTES;
}

/* Moves all of this thread's own blocks to the shared list (under its lock). */
static void mine_to_shared(aio_buf **out, int *nout)
{
    for (int i = 0; i < large_mine.n; i++)
        shared_push(large_mine.slot[i], out, nout);
    large_mine.n = 0;
    large_mine.bytes = 0;
}

static aio_buf *large_get(size_t size)
{
    aio_buf *b = list_take(&large_mine, size);
    if (b)
        return b;
    /* a thread keeps blocks of its own only if it is hooked for its exit */
    bool keep = aio__thread_hook();
    aio_buf *out[LARGE_SLOTS + MINE_SLOTS];
    int nout = 0;
    size_t most = size + size / 8; /* the largest block that serves size */
    pthread_mutex_lock(&large.lock);
    /* none of its own fits: if they leave no room, they are of a size this thread no
     * longer asks for, and a thread that only makes buffers would hold them for good */
    if (keep && !mine_has_room(most))
        mine_to_shared(out, &nout);
    b = list_take(&large.l, size);
    aio_buf *more;
    while (b && keep && mine_has_room(most) && (more = list_take(&large.l, size)))
        list_append(&large_mine, more);
    pthread_mutex_unlock(&large.lock);
    free_pushed_out(out, nout);
    return b;
}

/* Gives b (if any) and all of this thread's own blocks to the shared list. */
static void large_flush(aio_buf *b)
{
    aio_buf *out[LARGE_SLOTS + MINE_SLOTS + 1];
    int nout = 0;
    pthread_mutex_lock(&large.lock);
    mine_to_shared(out, &nout);
    if (b)
        shared_push(b, out, &nout);
    pthread_mutex_unlock(&large.lock);
    free_pushed_out(out, nout);
}

static void large_put(aio_buf *b)
{
    if (mine_has_room(b->cap) && aio__thread_hook())
        list_append(&large_mine, b);
    else
        large_flush(b);
}

/* This thread's lists and large blocks, at its exit (aio__thread_hook): partial lists
 * too, the depot takes any length. */
void aio__buf_thread_exit(void)
{
    for (int k = 0; k < CACHE_CLASSES; k++)
        if (mine[k].head)
            depot_put(k, &mine[k]);
    if (large_mine.n)
        large_flush(NULL);
}
#elif !defined(_WIN32)
void aio__buf_thread_exit(void) {}
#endif

int aio_buf_cached(size_t size)
{
#ifdef AIO_BUF_CACHE
    return size <= CACHE_MAX || (size >= LARGE_MIN && size <= LARGE_MAX);
#else
    (void)size;
    return 0;
#endif
}

size_t aio_buf_cache_max(void)
{
#ifdef AIO_BUF_CACHE
    return CACHE_MAX;
#else
    return 0;
#endif
}

/* ---- pages in at once ----------------------------------------------------------------------
 *
 * A large block that malloc did not have at hand is fresh memory (glibc maps a large one
 * afresh, or hands back heap it trimmed), whose pages come in one fault each when first
 * touched. An application's message body is touched in full next: written by the
 * application, or read by the kernel's copy of a send. Here (a virtual machine) a fault
 * cost about 10 us: writing 1 MiB of fresh pages took 2.7 ms, against 0.12 ms to ask for
 * them all in one call (MADV_POPULATE_WRITE, Linux 5.14), and 11 us for that call on
 * pages already in. The sending side of tcp 1 MiB PUSH->PULL took those faults in its
 * I/O thread's send (a run of 6,000 messages: 260,000 faults, 1,270 msg/s); once the
 * application thread, which makes the body and has time to spare, takes the pages in
 * one call, 2,100 faults and 1,700-2,000 msg/s. So aio_buf_new_populated does it, for
 * the bodies an application makes; never for a size a peer announced (a frame header),
 * whose pages would then be in before any of its bytes came. Below POPULATE_MIN a block
 * is mostly heap already in, and the call would cost more than it saves. A kernel
 * without the call refuses it: nothing is lost. */
enum { POPULATE_MIN = 256 * 1024 };

static void populate(unsigned char *p, size_t n)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (n < POPULATE_MIN)
        return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    /* whole pages only: the partial ones at either end are shared with the allocator's
     * own bookkeeping, and are in already */
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(page - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

/* ---- huge pages for large application bodies ----------------------------------------------
 *
 * A sender of large messages has up to its HWM of them queued: at the default 1,000 and
 * 1 MiB a body, a gigabyte, each body written by the application and read by the
 * kernel's copy of its send a second later. Over that much memory in 4 KiB pages the
 * copy misses the TLB page after page, and here (a virtual machine) that halved the rate:
 * a loop writing 1 MiB over tcp loopback from 1,000 buffers in turn did 1,770-1,850
 * writes a second, against 4,000-4,400 from one buffer, and 3,480-3,610 with the 1,000 on
 * transparent huge pages (a scratch copy of tools/bench/raw_tcp.c). zaio's 1 MiB PUSH->PULL
 * went from 1,260-1,780 msg/s to 2,460-4,870 with its bodies on huge pages (raw: 4,265-
 * 4,595, libzmq 812-962).
 *
 * So the blocks aio_buf_new_populated makes afresh of SLAB_MIN to SLAB_MAX bytes are
 * carved from regions of SLAB_REGION bytes, aligned to and advised for huge pages
 * (MADV_HUGEPAGE: honoured when the system's THP setting is madvise or always). A
 * region holds blocks of one size, rounded up by a sixteenth at most (to a power of two
 * no larger than a sixteenth of it, a page at least), so that a stream of one size fills
 * regions of its own. A freed block goes straight back to its region, never to the
 * short lists of large buffers above: the regions are a cache already, and a block
 * kept there would keep its region in for as long. A block is taken from the oldest
 * region that has one free, the most recently freed first: what a burst leaves empties
 * its newest regions, and an empty region is unmapped but for the one emptied last
 * (kept for the next burst: at most SLAB_REGION bytes). A region with a block in use
 * keeps its pages in, its free blocks' too: an application that holds one 1 MiB body
 * for good holds SLAB_REGION. Only bodies an application makes, as for "pages in at
 * once": no region block ever serves a size a peer announces. Where there are no huge
 * pages to have (THP set to never, or a kernel that refuses the advice) the regions
 * would only cost what they waste: they are off, and malloc serves, as before.
 * Without the cache (AddressSanitizer, Windows) and off Linux every block is malloc's. With THP's
 * defrag at "madvise" a fault in a region may compact memory first: a stall of the
 * application thread that makes the body, once a huge page. */
#if defined(AIO_BUF_CACHE) && defined(__linux__) && defined(MADV_HUGEPAGE)
#define AIO_BUF_SLAB 1
#endif

#ifdef AIO_BUF_SLAB
enum { SLAB_MIN = POPULATE_MIN, SLAB_MAX = LARGE_MAX, SLAB_REGION = 16 << 20, SLAB_HUGE = 2 << 20 };

typedef struct slab_region {
    struct slab_region *next; /* the regions, oldest first */
    unsigned char *base;
    size_t block;  /* bytes a block, its aio_buf header included */
    int nblocks;   /* that the region holds */
    int carved;    /* blocks taken from it so far (the rest were never touched) */
    int live;      /* blocks in use */
    aio_buf *free; /* freed blocks, linked through their hint */
} slab_region;

static struct {
    pthread_mutex_t lock;
    slab_region *head;
    int nregions;
    atomic_bool off; /* no huge pages to have here (THP never, advice refused): malloc */
} slab = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The block size that serves need bytes: need rounded up to a step of at most a
 * sixteenth of it (a power of two, a page at least). */
static size_t slab_block(size_t need)
{
    size_t step = 4096;
    while (step * 2 <= need / 16)
        step *= 2;
    return (need + step - 1) & ~(step - 1);
}

/* Whether the system hands out transparent huge pages at all: not when its setting says
 * [never] (a system without the file refuses the advice instead). Read for each new
 * region, until the answer turns the regions off. */
static bool slab_thp_never(void)
{
    char line[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
    }
    return strstr(line, "[never]") != NULL;
}

static slab_region *slab_region_new(size_t block)
{
    if (slab_thp_never()) {
        atomic_store_explicit(&slab.off, true, memory_order_relaxed);
        return NULL;
    }
    slab_region *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    /* one huge page more than the region, trimmed to the region aligned within it */
    size_t len = (size_t)SLAB_REGION + SLAB_HUGE;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        free(r);
        return NULL;
    }
    uintptr_t base = ((uintptr_t)m + SLAB_HUGE - 1) & ~(uintptr_t)(SLAB_HUGE - 1);
    size_t head = base - (uintptr_t)m, tail = len - head - SLAB_REGION;
    if (head)
        munmap(m, head);
    if (tail)
        munmap((unsigned char *)base + SLAB_REGION, tail);
    /* EINVAL: a kernel without transparent huge pages, malloc from now on; anything
     * else (ENOMEM: no room to split the mapping) fails this region only */
    if (madvise((void *)base, SLAB_REGION, MADV_HUGEPAGE) != 0) {
        if (errno == EINVAL)
            atomic_store_explicit(&slab.off, true, memory_order_relaxed);
        munmap((void *)base, SLAB_REGION);
        free(r);
        return NULL;
    }
    *r = (slab_region){.base = (unsigned char *)base, .block = block,
                       .nblocks = (int)(SLAB_REGION / block)};
    return r;
}

/* A block of a region for cap bytes of data, its pages in; NULL if no region can be had.
 * A new region is made under the lock: once in SLAB_REGION bytes of bodies, a few system
 * calls that a thread freeing a block may wait out, rather than a race to make one. */
static aio_buf *slab_get(size_t cap)
{
    if (atomic_load_explicit(&slab.off, memory_order_relaxed))
        return NULL;
    size_t block = slab_block(sizeof(aio_buf) + cap);
    slab_region *r, **last = &slab.head;
    pthread_mutex_lock(&slab.lock);
    for (r = slab.head; r; last = &r->next, r = r->next)
        if (r->block == block && (r->free || r->carved < r->nblocks))
            break;
    if (!r) {
        r = slab_region_new(block);
        if (!r) {
            pthread_mutex_unlock(&slab.lock);
            return NULL;
        }
        *last = r; /* the newest last */
        slab.nregions++;
    }
    aio_buf *b;
    bool fresh = !r->free;
    if (fresh) {
        b = (aio_buf *)(void *)(r->base + (size_t)r->carved++ * block);
    } else {
        b = r->free;
        r->free = b->hint;
    }
    r->live++;
    pthread_mutex_unlock(&slab.lock);
    b->region = r;
    if (fresh)
        populate(b->inline_data, block - sizeof *b);
    return b;
}

/* Gives b back to its region. A region left empty is kept for the next burst, and an
 * empty one kept before goes: only the one most recently emptied stays, whose block size
 * the application has used last. */
static void slab_put(aio_buf *b)
{
    slab_region *r = b->region, *gone = NULL;
    pthread_mutex_lock(&slab.lock);
    b->hint = r->free;
    r->free = b;
    if (--r->live == 0) {
        for (slab_region **p = &slab.head; *p; p = &(*p)->next)
            if (*p != r && (*p)->live == 0) {
                gone = *p;
                *p = gone->next;
                slab.nregions--;
                break; /* there was one at most */
            }
    }
    pthread_mutex_unlock(&slab.lock);
    if (gone) {
        munmap(gone->base, SLAB_REGION);
        free(gone);
    }
}
#endif

int aio_buf_slab_regions(void)
{
#ifdef AIO_BUF_SLAB
    pthread_mutex_lock(&slab.lock);
    int n = slab.nregions;
    pthread_mutex_unlock(&slab.lock);
    return n;
#else
    return -1;
#endif
}

/* A block malloc or a region made, back where it came from. */
static void block_free(aio_buf *b)
{
#ifdef AIO_BUF_SLAB
    if (b->region) {
        slab_put(b);
        return;
    }
#endif
    free(b);
}

static int buf_new(size_t size, bool pages_in, aio_buf **out)
{
    if (!out || size > SIZE_MAX - sizeof(aio_buf))
        return -EINVAL;
    aio_buf *b = NULL;
    size_t cap = size;
#ifdef AIO_BUF_CACHE
    if (size <= CACHE_MAX) {
        int k = cache_class(size);
        b = cache_get(k);
        cap = class_bytes(k) - sizeof *b; /* a block that can serve its whole class later */
    } else if (size >= LARGE_MIN && size <= LARGE_MAX) {
        b = large_get(size);
        if (b)
            cap = b->cap;
    }
#endif
#ifdef AIO_BUF_SLAB
    if (!b && pages_in && cap >= SLAB_MIN && cap <= SLAB_MAX)
        b = slab_get(cap);
#endif
    if (!b) {
        b = malloc(sizeof *b + cap);
        if (!b)
            return -ENOMEM;
        b->region = NULL;
        if (pages_in)
            populate(b->inline_data, cap);
    }
    atomic_init(&b->refs, 1);
    b->size = size;
    b->cap = cap;
    b->data = b->inline_data;
    b->free_fn = NULL;
    b->hint = NULL;
    aio__count(AIO_C_BUFS, 1);
    aio__count(AIO_C_BUF_BYTES, (int64_t)size);
    *out = b;
    return 0;
}

int aio_buf_new(size_t size, aio_buf **out) { return buf_new(size, false, out); }

int aio_buf_new_populated(size_t size, aio_buf **out) { return buf_new(size, true, out); }

int aio_buf_wrap(void *data, size_t size, void (*free_fn)(void *, void *), void *hint, aio_buf **out)
{
    if (!out || (!data && size))
        return -EINVAL;
    aio_buf *b = malloc(sizeof *b);
    if (!b)
        return -ENOMEM;
    atomic_init(&b->refs, 1);
    b->size = size;
    b->cap = 0; /* a header alone: never cached */
    b->region = NULL;
    b->data = data;
    b->free_fn = free_fn;
    b->hint = hint;
    aio__count(AIO_C_BUFS, 1);
    aio__count(AIO_C_BUF_BYTES, (int64_t)size);
    *out = b;
    return 0;
}

aio_buf *aio_buf_ref(aio_buf *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void aio_buf_unref(aio_buf *b)
{
    if (!b)
        return;
    /* The last reference, as a message body nearly always is: no other holder is left
     * to change the count, so a load (acquire: every write through other references
     * happens before the free) stands in for the locked subtract on a line the thread
     * that made the body wrote last. Otherwise acq_rel, for the same reason. */
    if (atomic_load_explicit(&b->refs, memory_order_acquire) != 1 &&
        atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    aio__count(AIO_C_BUFS, -1);
    aio__count(AIO_C_BUF_BYTES, -(int64_t)b->size);
    if (b->free_fn)
        b->free_fn(b->data, b->hint);
#ifdef AIO_BUF_CACHE
    /* only a block aio_buf_new made: a wrapped one (aio_buf_wrap, free_fn or not) is a
     * header alone, too small for any class; a region's goes back to its region */
    else if (b->data == b->inline_data && !b->region) {
        if (b->size <= CACHE_MAX && cache_put(cache_class(b->size), b))
            return;
        if (b->cap >= LARGE_MIN && b->cap <= LARGE_MAX) {
            large_put(b);
            return;
        }
    }
#endif
    block_free(b);
}

int aio_buf_refs(const aio_buf *b)
{
    return atomic_load_explicit(&((aio_buf *)b)->refs, memory_order_acquire);
}

void *aio_buf_data(const aio_buf *b) { return b->data; }
size_t aio_buf_size(const aio_buf *b) { return b->size; }
