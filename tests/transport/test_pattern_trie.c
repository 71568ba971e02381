/* The subscription trie (transport/trie.c) against a plain list of topics: counted
 * topics for SUB/XSUB and per-topic pipe sets for PUB/XPUB, under random operations
 * on topics built from a small alphabet (so labels split and merge all the time), plus
 * the edge cases: the empty topic, topics that are prefixes of each other, long ones. */
#include "sockets/patterns.h"
#include "zt.h"

#include <stdlib.h>
#include <string.h>

#define MAXT 512
#define NPIPES 4

typedef struct model {
    uint8_t topic[MAXT][8];
    size_t len[MAXT];
    int count[MAXT];
    bool has[MAXT][NPIPES];
    int n;
} model;

static int model_find(model *m, const uint8_t *t, size_t len, bool add)
{
    for (int i = 0; i < m->n; i++)
        if (m->len[i] == len && memcmp(m->topic[i], t, len) == 0)
            return i;
    if (!add)
        return -1;
    zt_assert(m->n < MAXT, "model full");
    memcpy(m->topic[m->n], t, len);
    m->len[m->n] = len;
    return m->n++;
}

static bool model_prefix(const model *m, int i, const uint8_t *d, size_t len)
{
    return m->len[i] <= len && memcmp(m->topic[i], d, m->len[i]) == 0;
}

static bool model_check(const model *m, const uint8_t *d, size_t len)
{
    for (int i = 0; i < m->n; i++)
        if (m->count[i] > 0 && model_prefix(m, i, d, len))
            return true;
    return false;
}

static int pipe_bits(const model *m, const uint8_t *d, size_t len)
{
    int bits = 0;
    for (int i = 0; i < m->n; i++)
        if (model_prefix(m, i, d, len))
            for (int p = 0; p < NPIPES; p++)
                if (m->has[i][p])
                    bits |= 1 << p;
    return bits;
}

static bool model_any_pipe(const model *m, int i)
{
    for (int p = 0; p < NPIPES; p++)
        if (m->has[i][p])
            return true;
    return false;
}

/* Fake pipe ends: the trie only compares the pointers. */
static char pipe_mem[NPIPES];
static zpipe_end *pipe_of(int i) { return (zpipe_end *)(void *)&pipe_mem[i]; }
static int index_of(zpipe_end *p) { return (int)((char *)(void *)p - pipe_mem); }

static void collect_pipe(zpipe_end *p, void *arg) { *(int *)arg |= 1 << index_of(p); }

static size_t random_topic(uint8_t *t)
{
    size_t len = (size_t)(rand() % 6);
    for (size_t i = 0; i < len; i++)
        t[i] = (uint8_t)("abc"[rand() % 3]);
    return len;
}

typedef struct seen {
    model *m;
    int count; /* topics reported */
    int pipe;
} seen;

static void on_lost(const uint8_t *topic, size_t len, void *arg)
{
    seen *s = arg;
    int i = model_find(s->m, topic, len, false);
    zt_assert(i >= 0 && s->m->has[i][s->pipe], "lost a topic the pipe did not have");
    s->m->has[i][s->pipe] = false;
    zt_assert(!model_any_pipe(s->m, i), "reported lost but others have it");
    s->count++;
}

static void on_apply(const uint8_t *topic, size_t len, void *arg)
{
    seen *s = arg;
    int i = model_find(s->m, topic, len, false);
    zt_assert(i >= 0 && s->m->count[i] > 0, "applied a topic not subscribed");
    s->count++;
}

ZT_TEST(trie, random_against_a_model, 60)
{
    static model m;
    memset(&m, 0, sizeof m);
    ztrie counted, sets;
    zt_assert(ztrie_init(&counted) == 0 && ztrie_init(&sets) == 0, "init");
    srand(4242);
    for (int step = 0; step < 200000; step++) {
        uint8_t t[8];
        size_t len = random_topic(t);
        int i = model_find(&m, t, len, true);
        int p = rand() % NPIPES;
        switch (rand() % 8) {
        case 0:
        case 1: {
            int rc = ztrie_add(&counted, t, len);
            zt_assert(rc == (m.count[i] == 0 ? 1 : 0), "add %d", rc);
            m.count[i]++;
            break;
        }
        case 2: {
            ztrie_rm_result r = ztrie_rm(&counted, t, len);
            ztrie_rm_result want = m.count[i] == 0   ? ZTRIE_NOT_FOUND
                                   : m.count[i] == 1 ? ZTRIE_LAST_REMOVED
                                                     : ZTRIE_VALUES_REMAIN;
            zt_assert(r == want, "rm %d want %d", r, want);
            if (m.count[i])
                m.count[i]--;
            break;
        }
        case 3: {
            int rc = ztrie_add_pipe(&sets, t, len, pipe_of(p));
            zt_assert(rc == (model_any_pipe(&m, i) ? 0 : 1), "add_pipe %d", rc);
            m.has[i][p] = true;
            break;
        }
        case 4: {
            ztrie_rm_result r = ztrie_rm_pipe(&sets, t, len, pipe_of(p));
            ztrie_rm_result want = ZTRIE_NOT_FOUND;
            if (m.has[i][p]) {
                m.has[i][p] = false;
                want = model_any_pipe(&m, i) ? ZTRIE_VALUES_REMAIN : ZTRIE_LAST_REMOVED;
            }
            zt_assert(r == want, "rm_pipe %d want %d", r, want);
            break;
        }
        case 5:
            if (rand() % 50 == 0) {
                int had = 0; /* topics only p has: those are reported */
                for (int k = 0; k < m.n; k++) {
                    bool others = false;
                    for (int q = 0; q < NPIPES; q++)
                        others |= q != p && m.has[k][q];
                    had += m.has[k][p] && !others;
                }
                seen s = {&m, 0, p};
                zt_assert(ztrie_rm_pipe_all(&sets, pipe_of(p), on_lost, &s) == 0, "rm all");
                for (int k = 0; k < m.n; k++)
                    m.has[k][p] = false; /* the shared ones, not reported */
                zt_assert(s.count == had, "reported %d, want %d", s.count, had);
            }
            break;
        default: {
            uint8_t d[8];
            size_t dl = random_topic(d);
            zt_assert(ztrie_check(&counted, d, dl) == model_check(&m, d, dl), "check");
            int bits = 0;
            ztrie_match(&sets, d, dl, collect_pipe, &bits);
            zt_assert(bits == pipe_bits(&m, d, dl), "match %x want %x", bits,
                      pipe_bits(&m, d, dl));
            break;
        }
        }
        if (step % 10000 == 0) {
            int want = 0;
            for (int k = 0; k < m.n; k++)
                want += m.count[k] > 0;
            seen s = {&m, 0, 0};
            zt_assert(ztrie_apply(&counted, on_apply, &s) == 0, "apply");
            zt_assert(s.count == want, "applied %d topics, want %d", s.count, want);
        }
    }
    ztrie_fini(&counted);
    ztrie_fini(&sets);
}

ZT_TEST(trie, edges, 10)
{
    ztrie t;
    zt_assert(ztrie_init(&t) == 0, "init");
    zt_assert(!ztrie_check(&t, (const uint8_t *)"x", 1), "empty trie matches nothing");
    zt_assert(ztrie_add(&t, NULL, 0) == 1, "the empty topic");
    zt_assert(ztrie_check(&t, (const uint8_t *)"anything", 8) && ztrie_check(&t, NULL, 0),
              "matches everything");
    zt_assert(ztrie_rm(&t, NULL, 0) == ZTRIE_LAST_REMOVED, "rm empty");
    zt_assert(ztrie_rm(&t, NULL, 0) == ZTRIE_NOT_FOUND, "rm empty again");
    /* a long topic and one that splits it far in */
    static uint8_t big[100000], other[100000];
    memset(big, 'q', sizeof big);
    memcpy(other, big, sizeof other);
    other[sizeof other - 1] = 'r';
    zt_assert(ztrie_add(&t, big, sizeof big) == 1 && ztrie_add(&t, other, sizeof other) == 1,
              "long topics");
    zt_assert(!ztrie_check(&t, big, sizeof big - 1), "a prefix of a topic does not match");
    zt_assert(ztrie_check(&t, other, sizeof other), "exact");
    zt_assert(ztrie_rm(&t, big, sizeof big) == ZTRIE_LAST_REMOVED, "rm long");
    zt_assert(!ztrie_check(&t, big, sizeof big) && ztrie_check(&t, other, sizeof other),
              "the other stays");
    /* a deep tree: every prefix of a long topic is a topic of its own */
    for (size_t n = 1; n <= 2000; n++)
        zt_assert(ztrie_add_pipe(&t, big, n, pipe_of(0)) == 1, "deep %zu", n);
    int bits = 0;
    ztrie_match(&t, big, 2000, collect_pipe, &bits);
    zt_assert(bits == 1, "deep match");
    zt_assert(ztrie_rm_pipe_all(&t, pipe_of(0), NULL, NULL) == 0, "rm all deep");
    bits = 0;
    ztrie_match(&t, big, 2000, collect_pipe, &bits);
    zt_assert(bits == 0, "nothing left");
    ztrie_fini(&t);
}

static void count_topic(const uint8_t *topic, size_t len, void *arg)
{
    (void)topic;
    *(int *)arg += 1 + (int)len * 100; /* how many, and their lengths */
}

ZT_TEST(trie, rm_pipe_every_reports_each_topic_of_the_pipe, 10)
{
    ztrie t;
    zt_assert(ztrie_init(&t) == 0, "init");
    const char *topics[] = {"a", "ab", "b", ""};
    for (int i = 0; i < 4; i++) {
        const uint8_t *topic = (const uint8_t *)topics[i];
        zt_assert(ztrie_add_pipe(&t, topic, strlen(topics[i]), pipe_of(0)) >= 0, "add");
    }
    ztrie_add_pipe(&t, (const uint8_t *)"ab", 2, pipe_of(1)); /* shared with another pipe */
    int every = 0, last = 0;
    zt_assert(ztrie_rm_pipe_every(&t, pipe_of(0), count_topic, &every) == 0, "every");
    zt_assert(every == 4 + (1 + 2 + 1 + 0) * 100, "every topic of the pipe: %d", every);
    int bits = 0;
    ztrie_match(&t, (const uint8_t *)"abc", 3, collect_pipe, &bits);
    zt_assert(bits == 2, "only the other pipe is left: %d", bits);
    zt_assert(ztrie_rm_pipe_all(&t, pipe_of(1), count_topic, &last) == 0, "all");
    zt_assert(last == 1 + 200, "the topic it left empty: %d", last);
    ztrie_fini(&t);
}
