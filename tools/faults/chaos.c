/* chaos.c - faults at random on a relay, for the length of a soak (relay.h). */
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct zrelay_chaos {
    zrelay *relay;
    zrelay_chaos_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    uint64_t rng;
};

void zrelay_chaos_config_init(zrelay_chaos_config *c)
{
    memset(c, 0, sizeof *c);
    c->period_ms = 1000;
    c->mask = ZRELAY_ALL_FAULTS;
    c->seed = 1;
    c->latency_ms = 20;
    c->bandwidth = 256 * 1024;
    c->slice_us = 0;
    c->slow_close_ms = 300;
}

/* xorshift64*: reproducible from the seed, which is all a soak needs */
static uint64_t chaos_rand(zrelay_chaos *ch)
{
    uint64_t x = ch->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ch->rng = x;
    return x * 2685821657736338717ull;
}

/* Waits ms or until stopped; returns 1 when stopped. */
static int chaos_wait(zrelay_chaos *ch, uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&ch->mu);
    while (!ch->stop && pthread_cond_timedwait(&ch->cv, &ch->mu, &ts) != ETIMEDOUT)
        ;
    int stop = ch->stop;
    pthread_mutex_unlock(&ch->mu);
    return stop;
}

static void *chaos_main(void *arg)
{
    zrelay_chaos *ch = arg;
    int kinds[ZRELAY_FAULT_COUNT], nk = 0, dealt = 0;
    for (int f = 1; f < ZRELAY_FAULT_COUNT; f++)
        if (ch->cfg.mask & (1u << f))
            kinds[nk++] = f;
    for (;;) {
        uint64_t p = ch->cfg.period_ms;
        uint64_t wait = p / 2 + (p ? chaos_rand(ch) % (p + 1) : 0);
        if (chaos_wait(ch, wait) || !nk)
            break;
        /* dealt from a shuffled deck of the kinds, so that every kind comes once in
         * every nk faults: a short run sees them all, in an order the seed fixes */
        if (dealt == 0)
            for (int i = nk - 1; i > 0; i--) {
                int j = (int)(chaos_rand(ch) % (uint64_t)(i + 1)), t = kinds[i];
                kinds[i] = kinds[j];
                kinds[j] = t;
            }
        zrelay_fault f = (zrelay_fault)kinds[dealt];
        dealt = (dealt + 1) % nk;
        uint64_t param = 0;
        switch (f) {
        case ZRELAY_LATENCY: param = ch->cfg.latency_ms; break;
        case ZRELAY_BANDWIDTH: param = ch->cfg.bandwidth; break;
        case ZRELAY_SLICE: param = ch->cfg.slice_us; break;
        case ZRELAY_SLOW_CLOSE: param = ch->cfg.slow_close_ms; break;
        default: break;
        }
        zrelay_inject(ch->relay, f, param);
        if (ch->cfg.on_fault)
            ch->cfg.on_fault(ch->cfg.arg, f, param);
        if (!ZRELAY_IS_CUT(f)) {
            /* a toxic lasts a while, then the link is clean again */
            int stopped = chaos_wait(ch, ch->cfg.toxic_ms ? ch->cfg.toxic_ms : p);
            zrelay_inject(ch->relay, ZRELAY_CLEAR, 0);
            if (stopped)
                break;
        }
    }
    return NULL;
}

int zrelay_chaos_start(zrelay *r, const zrelay_chaos_config *c, zrelay_chaos **out)
{
    zrelay_chaos *ch = calloc(1, sizeof *ch);
    if (!ch)
        return -ENOMEM;
    ch->relay = r;
    ch->cfg = *c;
    ch->rng = c->seed * 0x9E3779B97F4A7C15ull + 1;
    pthread_mutex_init(&ch->mu, NULL);
    pthread_cond_init(&ch->cv, NULL);
    int rc = pthread_create(&ch->thread, NULL, chaos_main, ch);
    if (rc) {
        pthread_mutex_destroy(&ch->mu);
        pthread_cond_destroy(&ch->cv);
        free(ch);
        return -rc;
    }
    *out = ch;
    return 0;
}

void zrelay_chaos_stop(zrelay_chaos *ch)
{
    if (!ch)
        return;
    pthread_mutex_lock(&ch->mu);
    ch->stop = 1;
    pthread_cond_broadcast(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
    pthread_join(ch->thread, NULL);
    zrelay_inject(ch->relay, ZRELAY_CLEAR, 0);
    pthread_mutex_destroy(&ch->mu);
    pthread_cond_destroy(&ch->cv);
    free(ch);
}
