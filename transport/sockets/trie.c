/* trie.c - subscriptions: a radix tree of topics (bytes), each node labelled with the
 * bytes between it and its parent, so a long topic costs one node, not one per byte.
 * A node holds a count (SUB/XSUB's own subscriptions) and a set of pipes (PUB/XPUB:
 * who subscribed to that topic). Matching walks the first frame of a message from the
 * root: every node on the way is a topic that is a prefix of it.
 *
 * Memory is allocated when a new topic arrives and freed when the last subscriber of
 * a topic leaves; matching allocates nothing. Walks over the whole tree (resending
 * subscriptions, removing a pipe) use an explicit stack, so a deep tree built by a
 * peer cannot exhaust the C stack. */
#include "sockets/patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ztnode {
    ztnode *parent;
    uint8_t *key; /* the label: bytes from the parent to here (root: none) */
    size_t keylen;
    uint32_t count;
    zpipe_end **pipes;
    int npipes, cappipes;
    ztnode **kids; /* sorted by their label's first byte, which is unique among them */
    int nkids, capkids;
};

typedef struct ztframe {
    ztnode *n;
    int next;    /* the next kid to visit */
    size_t plen; /* length of the topic up to and including n */
} ztframe;

static ztnode *tn_new(const uint8_t *key, size_t len)
{
    ztnode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    if (len) {
        n->key = malloc(len);
        if (!n->key) {
            free(n);
            return NULL;
        }
        memcpy(n->key, key, len);
        n->keylen = len;
    }
    return n;
}

static void tn_free(ztnode *n)
{
    free(n->key);
    free(n->pipes);
    free(n->kids);
    free(n);
}

static bool tn_empty(const ztnode *n) { return n->count == 0 && n->npipes == 0; }

/* Index of the kid whose label starts with b, or -1; *ins: where it would go. */
static int tn_kid(const ztnode *n, uint8_t b, int *ins)
{
    int lo = 0, hi = n->nkids;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        uint8_t k = n->kids[mid]->key[0];
        if (k == b)
            return mid;
        if (k < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (ins)
        *ins = lo;
    return -1;
}

/* The node for exactly this topic, or NULL. */
static ztnode *tn_find(ztnode *n, const uint8_t *k, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        int i = tn_kid(n, k[pos], NULL);
        if (i < 0)
            return NULL;
        ztnode *c = n->kids[i];
        if (c->keylen > len - pos || memcmp(c->key, k + pos, c->keylen) != 0)
            return NULL;
        pos += c->keylen;
        n = c;
    }
    return n;
}

/* The node for this topic, made if needed (splitting a label that diverges). NULL
 * when memory is short; the tree is valid either way. */
static ztnode *tn_get(ztrie *t, const uint8_t *k, size_t len)
{
    ztnode *n = t->root;
    size_t pos = 0;
    while (pos < len) {
        int ins = 0;
        int i = tn_kid(n, k[pos], &ins);
        if (i < 0) {
            ztnode *leaf = tn_new(k + pos, len - pos);
            if (!leaf || zpat_grow(&n->kids, &n->capkids, n->nkids + 1, sizeof *n->kids) < 0) {
                if (leaf)
                    tn_free(leaf);
                return NULL;
            }
            memmove(n->kids + ins + 1, n->kids + ins, (size_t)(n->nkids - ins) * sizeof *n->kids);
            n->kids[ins] = leaf;
            n->nkids++;
            leaf->parent = n;
            return leaf;
        }
        ztnode *c = n->kids[i];
        size_t rest = len - pos, max = c->keylen < rest ? c->keylen : rest, common = 1;
        while (common < max && c->key[common] == k[pos + common])
            common++;
        if (common < c->keylen) {
            /* the topic leaves c's label part way: a node for the shared part goes
             * between n and c */
            ztnode *mid = tn_new(c->key, common);
            if (!mid || zpat_grow(&mid->kids, &mid->capkids, 1, sizeof *mid->kids) < 0) {
                if (mid)
                    tn_free(mid);
                return NULL;
            }
            memmove(c->key, c->key + common, c->keylen - common);
            c->keylen -= common;
            mid->kids[0] = c;
            mid->nkids = 1;
            mid->parent = n;
            c->parent = mid;
            n->kids[i] = mid; /* same first byte: the order holds */
            c = mid;
        }
        n = c;
        pos += common;
    }
    return n;
}

/* An empty node with one kid and its kid become one node. Skipped when memory is
 * short: the tree is only less compact. */
static void tn_merge(ztnode *n)
{
    ztnode *c = n->kids[0];
    uint8_t *key = malloc(n->keylen + c->keylen);
    if (!key)
        return;
    memcpy(key, n->key, n->keylen);
    memcpy(key + n->keylen, c->key, c->keylen);
    free(c->key);
    c->key = key;
    c->keylen += n->keylen;
    ztnode *par = n->parent;
    par->kids[tn_kid(par, n->key[0], NULL)] = c;
    c->parent = par;
    n->nkids = 0;
    tn_free(n);
}

/* n may have become empty: remove what is no longer needed on its way up. */
static void tn_prune(ztrie *t, ztnode *n)
{
    while (n != t->root && tn_empty(n)) {
        ztnode *par = n->parent;
        if (n->nkids > 1)
            return;
        if (n->nkids == 1) {
            tn_merge(n);
            return;
        }
        int i = tn_kid(par, n->key[0], NULL);
        memmove(par->kids + i, par->kids + i + 1, (size_t)(par->nkids - i - 1) * sizeof *par->kids);
        par->nkids--;
        tn_free(n);
        n = par;
    }
}

int ztrie_init(ztrie *t)
{
    memset(t, 0, sizeof *t);
    t->root = tn_new(NULL, 0);
    return t->root ? 0 : -ENOMEM;
}

void ztrie_fini(ztrie *t)
{
    /* frees kids before parents without recursion: detach a leaf, climb, repeat */
    ztnode *n = t->root;
    while (n) {
        if (n->nkids > 0) {
            n = n->kids[--n->nkids];
            continue;
        }
        ztnode *par = n->parent;
        tn_free(n);
        n = par;
    }
    free(t->stack);
    free(t->prefix);
    memset(t, 0, sizeof *t);
}

/* ---- counted topics ------------------------------------------------------------------ */

int ztrie_add(ztrie *t, const uint8_t *topic, size_t len)
{
    ztnode *n = tn_get(t, topic, len);
    if (!n)
        return -ENOMEM;
    return n->count++ == 0 ? 1 : 0;
}

ztrie_rm_result ztrie_rm(ztrie *t, const uint8_t *topic, size_t len)
{
    ztnode *n = tn_find(t->root, topic, len);
    if (!n || n->count == 0)
        return ZTRIE_NOT_FOUND;
    if (--n->count > 0)
        return ZTRIE_VALUES_REMAIN;
    tn_prune(t, n);
    return ZTRIE_LAST_REMOVED;
}

bool ztrie_check(const ztrie *t, const uint8_t *data, size_t len)
{
    const ztnode *n = t->root;
    size_t pos = 0;
    for (;;) {
        if (n->count > 0)
            return true;
        if (pos == len)
            return false;
        int i = tn_kid(n, data[pos], NULL);
        if (i < 0)
            return false;
        const ztnode *c = n->kids[i];
        if (c->keylen > len - pos || memcmp(c->key, data + pos, c->keylen) != 0)
            return false;
        pos += c->keylen;
        n = c;
    }
}

/* ---- walks over the whole tree --------------------------------------------------- */

typedef struct walk_ops {
    /* on reaching a node; the topic so far is t->prefix[0, plen) */
    void (*enter)(ztrie *t, ztnode *n, size_t plen, void *arg);
    /* after its kids; frame is n's, frame[-1] its parent's (none for the root) */
    void (*leave)(ztrie *t, ztframe *frame, void *arg);
} walk_ops;

static int walk(ztrie *t, const walk_ops *ops, void *arg)
{
    int depth = 0;
    if (zpat_grow(&t->stack, &t->stack_cap, 1, sizeof *t->stack) < 0)
        return -ENOMEM;
    if (!t->prefix) { /* callbacks always get a real pointer, even for the empty topic */
        t->prefix = malloc(64);
        if (!t->prefix)
            return -ENOMEM;
        t->prefix_cap = 64;
    }
    t->stack[0] = (ztframe){t->root, 0, 0};
    if (ops->enter)
        ops->enter(t, t->root, 0, arg);
    while (depth >= 0) {
        ztframe *f = &t->stack[depth];
        if (f->next < f->n->nkids) {
            ztnode *c = f->n->kids[f->next++];
            size_t plen = f->plen + c->keylen;
            if (zpat_grow(&t->stack, &t->stack_cap, depth + 2, sizeof *t->stack) < 0)
                return -ENOMEM;
            if (plen > t->prefix_cap) {
                size_t cap = t->prefix_cap ? t->prefix_cap : 64;
                while (cap < plen)
                    cap *= 2;
                uint8_t *np = realloc(t->prefix, cap);
                if (!np)
                    return -ENOMEM;
                t->prefix = np;
                t->prefix_cap = cap;
            }
            f = &t->stack[depth]; /* the stack may have moved */
            memcpy(t->prefix + f->plen, c->key, c->keylen);
            t->stack[++depth] = (ztframe){c, 0, plen};
            if (ops->enter)
                ops->enter(t, c, plen, arg);
            continue;
        }
        if (ops->leave)
            ops->leave(t, f, arg);
        depth--;
    }
    return 0;
}

typedef struct apply_arg {
    ztrie_topic_fn fn;
    void *arg;
} apply_arg;

static void apply_enter(ztrie *t, ztnode *n, size_t plen, void *arg)
{
    apply_arg *a = arg;
    if (n->count > 0)
        a->fn(t->prefix, plen, a->arg);
}

int ztrie_apply(ztrie *t, ztrie_topic_fn fn, void *arg)
{
    apply_arg a = {fn, arg};
    static const walk_ops ops = {apply_enter, NULL};
    return walk(t, &ops, &a);
}

/* ---- pipe sets --------------------------------------------------------------------- */

static int tn_pipe_at(const ztnode *n, const zpipe_end *p)
{
    for (int i = 0; i < n->npipes; i++)
        if (n->pipes[i] == p)
            return i;
    return -1;
}

int ztrie_add_pipe(ztrie *t, const uint8_t *topic, size_t len, zpipe_end *p)
{
    ztnode *n = tn_get(t, topic, len);
    if (!n)
        return -ENOMEM;
    if (tn_pipe_at(n, p) >= 0)
        return 0; /* a repeated subscription changes nothing (libzmq's set semantics) */
    if (zpat_grow(&n->pipes, &n->cappipes, n->npipes + 1, sizeof *n->pipes) < 0) {
        tn_prune(t, n);
        return -ENOMEM;
    }
    n->pipes[n->npipes++] = p;
    return n->npipes == 1 ? 1 : 0;
}

ztrie_rm_result ztrie_rm_pipe(ztrie *t, const uint8_t *topic, size_t len, zpipe_end *p)
{
    ztnode *n = tn_find(t->root, topic, len);
    int i = n ? tn_pipe_at(n, p) : -1;
    if (i < 0)
        return ZTRIE_NOT_FOUND;
    n->pipes[i] = n->pipes[--n->npipes];
    if (n->npipes > 0)
        return ZTRIE_VALUES_REMAIN;
    tn_prune(t, n);
    return ZTRIE_LAST_REMOVED;
}

typedef struct rm_all_arg {
    zpipe_end *p;
    ztrie_topic_fn fn;
    void *arg;
    bool every; /* fn for each topic p was in, not only for those it leaves empty */
} rm_all_arg;

static void rm_all_enter(ztrie *t, ztnode *n, size_t plen, void *arg)
{
    rm_all_arg *a = arg;
    int i = tn_pipe_at(n, a->p);
    if (i < 0)
        return;
    n->pipes[i] = n->pipes[--n->npipes];
    if ((n->npipes == 0 || a->every) && a->fn)
        a->fn(t->prefix, plen, a->arg);
}

/* After the kids: an empty leaf goes, an empty node with one kid merges with it. The
 * parent's frame is adjusted so the walk goes on at the right kid. */
static void rm_all_leave(ztrie *t, ztframe *f, void *arg)
{
    (void)arg;
    ztnode *n = f->n;
    if (n == t->root || !tn_empty(n))
        return;
    ztframe *pf = f - 1;
    if (n->nkids == 0) {
        ztnode *par = n->parent;
        int i = pf->next - 1; /* n is the kid the parent visited last */
        memmove(par->kids + i, par->kids + i + 1, (size_t)(par->nkids - i - 1) * sizeof *par->kids);
        par->nkids--;
        pf->next--;
        tn_free(n);
    } else if (n->nkids == 1) {
        tn_merge(n); /* its kid takes its place in the parent, visited already */
    }
}

static int rm_pipe_all(ztrie *t, zpipe_end *p, ztrie_topic_fn fn, void *arg, bool every);

int ztrie_rm_pipe_all(ztrie *t, zpipe_end *p, ztrie_topic_fn fn, void *arg)
{
    return rm_pipe_all(t, p, fn, arg, false);
}

int ztrie_rm_pipe_every(ztrie *t, zpipe_end *p, ztrie_topic_fn fn, void *arg)
{
    return rm_pipe_all(t, p, fn, arg, true);
}

static int rm_pipe_all(ztrie *t, zpipe_end *p, ztrie_topic_fn fn, void *arg, bool every)
{
    rm_all_arg a = {p, fn, arg, every};
    static const walk_ops ops = {rm_all_enter, rm_all_leave};
    int rc = walk(t, &ops, &a);
    if (rc == 0)
        return 0;
    /* No memory for the walk: p must still leave every set, or a node would keep a
     * pipe that is about to be freed. A walk along the parent links needs no memory;
     * it leaves empty nodes behind and tells nobody about topics. */
    ztnode *n = t->root, *prev = NULL;
    while (n) {
        ztnode *next;
        if (prev == n->parent) { /* first visit */
            int i = tn_pipe_at(n, p);
            if (i >= 0)
                n->pipes[i] = n->pipes[--n->npipes];
            next = n->nkids ? n->kids[0] : n->parent;
        } else { /* back from the kid prev */
            int i = tn_kid(n, prev->key[0], NULL);
            next = i + 1 < n->nkids ? n->kids[i + 1] : n->parent;
        }
        prev = n;
        n = next;
    }
    return rc;
}

void ztrie_match(const ztrie *t, const uint8_t *data, size_t len, ztrie_pipe_fn fn, void *arg)
{
    const ztnode *n = t->root;
    size_t pos = 0;
    for (;;) {
        for (int i = 0; i < n->npipes; i++)
            fn(n->pipes[i], arg);
        if (pos == len)
            return;
        int i = tn_kid(n, data[pos], NULL);
        if (i < 0)
            return;
        const ztnode *c = n->kids[i];
        if (c->keylen > len - pos || memcmp(c->key, data + pos, c->keylen) != 0)
            return;
        pos += c->keylen;
        n = c;
    }
}
