/* table.c - zpattern_find, and the pieces every socket type shares: the
 * per-pipe record, refusing a pipe, the write probe, option checks. */
#include "sockets/patterns.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const zpattern_ops *zpattern_find(int type)
{
    switch (type) {
    case ZAIO_PAIR: return &zpattern_pair;
    case ZAIO_PUB: return &zpattern_pub;
    case ZAIO_SUB: return &zpattern_sub;
    case ZAIO_REQ: return &zpattern_req;
    case ZAIO_REP: return &zpattern_rep;
    case ZAIO_DEALER: return &zpattern_dealer;
    case ZAIO_ROUTER: return &zpattern_router;
    case ZAIO_PULL: return &zpattern_pull;
    case ZAIO_PUSH: return &zpattern_push;
    case ZAIO_XPUB: return &zpattern_xpub;
    case ZAIO_XSUB: return &zpattern_xsub;
    case ZAIO_STREAM: return &zpattern_stream;
    default: return NULL;
    }
}

/* Stands in for the record of a pipe that attached while memory was short: it is
 * refused, and being shared it is never written to or freed. */
static zpat_pipe zpat_no_memory = {
    .at = {-1, -1, -1}, .refused = true};

zpat_pipe *zpat_pipe_new(zsock *s, zpipe_end *p)
{
    zpat_pipe *r = calloc(1, sizeof *r);
    if (!r) {
        zpipe_user_of(p)->owner_data = &zpat_no_memory;
        zsock_pipe_notify(s, p, ZPIPE_PEER_GONE);
        return NULL;
    }
    r->end = p;
    for (int i = 0; i < ZPAT_NSETS; i++)
        r->at[i] = -1;
    zpipe_user_of(p)->owner_data = r;
    return r;
}

void zpat_pipe_free(zpipe_end *p)
{
    zpat_pipe *r = zpat_of(p);
    if (r && r != &zpat_no_memory) {
        /* no helper may keep a pipe that is about to go */
        for (int i = 0; i < ZPAT_NSETS; i++)
            assert(r->at[i] < 0);
        free(r);
    }
    zpipe_user_of(p)->owner_data = NULL;
}

void zpat_refuse(zsock *s, zpipe_end *p)
{
    zpat_pipe *r = zpat_of(p);
    if (r != &zpat_no_memory)
        r->refused = true;
    /* The core's own path for a pipe whose peer left: on the next command run it drops
     * the pipe if nothing is queued in it, or calls readable, where every type
     * terminates a refused pipe. Going through the mailbox keeps attach from freeing
     * the end under zsock_attach's feet. */
    zsock_pipe_notify(s, p, ZPIPE_PEER_GONE);
}

bool zpat_take_refused(zsock *s, zpipe_end *p)
{
    if (!zpat_of(p)->refused)
        return false;
    zsock_pipe_terminated(s, p);
    return true;
}

void zpat_drain(zsock *s, zpipe_end *p)
{
    zmsg m;
    zmsg_init(&m);
    for (;;) {
        switch (zpipe_read(p, &m)) {
        case ZPIPE_OK: zmsg_close(&m); break;
        case ZPIPE_TERMINATED: zsock_pipe_terminated(s, p); return;
        default: return;
        }
    }
}

int zpat_setopt_common(zsock *s, int opt, const void *val, size_t len)
{
    (void)val;
    (void)len;
    int type = s->o.type;
    switch (opt) {
    case ZAIO_SUBSCRIBE:
    case ZAIO_UNSUBSCRIBE:
        return -EINVAL; /* SUB and XSUB handle these themselves */
    case ZAIO_ROUTER_MANDATORY:
    case ZAIO_ROUTER_HANDOVER:
        return type == ZAIO_ROUTER ? 1 : -EINVAL;
    case ZAIO_REQ_CORRELATE:
    case ZAIO_REQ_RELAXED:
        return type == ZAIO_REQ ? 1 : -EINVAL;
    case ZAIO_XPUB_VERBOSE:
        return type == ZAIO_XPUB || type == ZAIO_PUB ? 1 : -EINVAL;
    case ZAIO_XPUB_VERBOSER:
    case ZAIO_XPUB_NODROP:
    case ZAIO_XPUB_MANUAL:
    case ZAIO_XPUB_MANUAL_LAST_VALUE:
    case ZAIO_XPUB_WELCOME_MSG:
        return -EINVAL; /* PUB and XPUB handle these themselves */
    /* where libzmq takes them (its REP is a ROUTER underneath); the core stores them */
    case ZAIO_PROBE_ROUTER:
        return type == ZAIO_ROUTER || type == ZAIO_DEALER || type == ZAIO_REQ || type == ZAIO_REP
                   ? 1
                   : -EINVAL;
    case ZAIO_CONNECT_ROUTING_ID:
        return type == ZAIO_ROUTER || type == ZAIO_REP || type == ZAIO_STREAM ? 1 : -EINVAL;
    case ZAIO_STREAM_NOTIFY:
        return type == ZAIO_STREAM ? 1 : -EINVAL; /* as libzmq 4.3.4: STREAM's alone */
    case ZAIO_ROUTER_NOTIFY:
        return type == ZAIO_ROUTER ? 1 : -EINVAL;
    default:
        return 1;
    }
}

void zpat_probe(zsock *s, zpipe_end *p)
{
    if (!s->o.probe_router)
        return;
    zmsg m;
    zmsg_init(&m);
    zdist_send_one(p, &m);
}

uint32_t zpat_seed(const void *state)
{
    struct timespec ts;
#ifdef _WIN32
    /* C11's timespec_get is UCRT's; mingw-w64 links msvcrt by default */
    ts.tv_sec = time(NULL);
    ts.tv_nsec = (long)(clock() % CLOCKS_PER_SEC) * (1000000000L / CLOCKS_PER_SEC);
#else
    timespec_get(&ts, TIME_UTC);
#endif
    return (uint32_t)ts.tv_nsec * 2654435761u ^ (uint32_t)ts.tv_sec ^ (uint32_t)(uintptr_t)state;
}

int zpat_grow(void *arrp, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap : 4;
    while (ncap < need)
        ncap *= 2;
    void **arr = arrp;
    void *n = realloc(*arr, (size_t)ncap * elem);
    if (!n)
        return -ENOMEM;
    *arr = n;
    *cap = ncap;
    return 0;
}

/* ---- routing ids ------------------------------------------------------------------------ */

static uint32_t id_hash(const uint8_t *id, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ id[i]) * 16777619u;
    return h;
}

zpat_pipe *zpat_idtab_lookup(const zpat_idtab *t, const uint8_t *id, size_t len)
{
    if (!t->cap)
        return NULL;
    uint32_t h = id_hash(id, len);
    for (zpat_pipe *e = t->tab[h & (t->cap - 1)]; e; e = e->id_next)
        if (e->id_hash == h && e->id_len == len && memcmp(e->id, id, len) == 0)
            return e;
    return NULL;
}

int zpat_idtab_insert(zpat_idtab *t, zpat_pipe *rec)
{
    if ((t->count + 1) * 4 > t->cap * 3) {
        uint32_t cap = t->cap ? t->cap * 2 : 16;
        zpat_pipe **tab = calloc(cap, sizeof *tab);
        if (!tab)
            return -ENOMEM;
        for (uint32_t i = 0; i < t->cap; i++) {
            while (t->tab[i]) {
                zpat_pipe *e = t->tab[i];
                t->tab[i] = e->id_next;
                e->id_next = tab[e->id_hash & (cap - 1)];
                tab[e->id_hash & (cap - 1)] = e;
            }
        }
        free(t->tab);
        t->tab = tab;
        t->cap = cap;
    }
    rec->id_hash = id_hash(rec->id, rec->id_len);
    zpat_pipe **b = &t->tab[rec->id_hash & (t->cap - 1)];
    rec->id_next = *b;
    *b = rec;
    t->count++;
    return 0;
}

void zpat_idtab_remove(zpat_idtab *t, zpat_pipe *rec)
{
    if (!t->cap)
        return;
    for (zpat_pipe **pp = &t->tab[rec->id_hash & (t->cap - 1)]; *pp; pp = &(*pp)->id_next) {
        if (*pp == rec) {
            *pp = rec->id_next;
            rec->id_next = NULL;
            t->count--;
            return;
        }
    }
}

void zpat_idtab_fini(zpat_idtab *t)
{
    free(t->tab);
    t->tab = NULL;
    t->cap = t->count = 0;
}

void zpat_idtab_generate(const zpat_idtab *t, uint32_t *next, uint8_t out[5])
{
    do { /* ours only collide after a wrap */
        uint32_t n = (*next)++;
        out[0] = 0;
        out[1] = (uint8_t)(n >> 24);
        out[2] = (uint8_t)(n >> 16);
        out[3] = (uint8_t)(n >> 8);
        out[4] = (uint8_t)n;
    } while (zpat_idtab_lookup(t, out, 5));
}

/* ---- sets of pipes -------------------------------------------------------------------- */

void zpat_set_init(zpat_set *a, int kind)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
}

void zpat_set_fini(zpat_set *a)
{
    free(a->pipes);
    zpat_set_init(a, a->kind);
}

void zpat_set_swap(zpat_set *a, int i, int j)
{
    if (i == j)
        return;
    zpipe_end *x = a->pipes[i], *y = a->pipes[j];
    a->pipes[i] = y;
    a->pipes[j] = x;
    zpat_of(x)->at[a->kind] = j;
    zpat_of(y)->at[a->kind] = i;
}

int zpat_set_add(zpat_set *a, zpipe_end *p)
{
    if (zpat_grow(&a->pipes, &a->cap, a->n + 1, sizeof *a->pipes) < 0)
        return -ENOMEM;
    a->pipes[a->n] = p;
    zpat_of(p)->at[a->kind] = a->n++;
    zpat_set_swap(a, a->n - 1, a->active++);
    return 0;
}

void zpat_set_activate(zpat_set *a, zpipe_end *p)
{
    int i = zpat_set_at(a, p);
    if (i >= a->active) /* a wake-up can race the pattern's own re-check */
        zpat_set_swap(a, i, a->active++);
}

void zpat_set_remove(zpat_set *a, zpipe_end *p)
{
    int i = zpat_set_at(a, p);
    if (i < 0)
        return;
    if (i < a->active) {
        zpat_set_deactivate(a, i);
        i = a->active;
    }
    zpat_set_swap(a, i, --a->n);
    zpat_of(p)->at[a->kind] = -1;
}
