/* util.c - libzmq's portability helpers that have nothing to do with messaging: atomic
 * counters, a stopwatch, a sleep and threads. Programs written for zmq.h (its perf
 * tools, CZMQ, tests) lean on them to stay portable, so zaio keeps their contracts. */
#include "core/sync.h"
#include "zaio.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "core/error.h"

/* ---- atomic counters ------------------------------------------------------------ */

/* C11 defines wrap-around for atomic signed arithmetic, so an atomic_int behaves like
 * libzmq's unsigned counter read back as an int, including below zero. */

void *zaio_atomic_counter_new(void)
{
    atomic_int *c = malloc(sizeof *c);
    if (!c) {
        zaio__set_errno(-ENOMEM);
        return NULL;
    }
    atomic_init(c, 0);
    return c;
}

void zaio_atomic_counter_set(void *counter, int value) { atomic_store((atomic_int *)counter, value); }

int zaio_atomic_counter_inc(void *counter) { return atomic_fetch_add((atomic_int *)counter, 1); }

int zaio_atomic_counter_dec(void *counter)
{
    return atomic_fetch_sub((atomic_int *)counter, 1) - 1 != 0;
}

int zaio_atomic_counter_value(void *counter) { return atomic_load((atomic_int *)counter); }

void zaio_atomic_counter_destroy(void **counter_p)
{
    if (!counter_p)
        return;
    free(*counter_p);
    *counter_p = NULL;
}

/* ---- stopwatch and sleep -------------------------------------------------------- */

static uint64_t now_us(void)
{
#ifdef _WIN32
    static LARGE_INTEGER freq; /* constant for the life of the system */
    if (!freq.QuadPart)
        QueryPerformanceFrequency(&freq);
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    /* split so that ticks * 1e6 cannot overflow on a machine up for months */
    uint64_t ticks = (uint64_t)t.QuadPart, f = (uint64_t)freq.QuadPart;
    return ticks / f * 1000000u + ticks % f * 1000000u / f;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
#endif
}

void *zaio_stopwatch_start(void)
{
    uint64_t *w = malloc(sizeof *w);
    if (!w) {
        zaio__set_errno(-ENOMEM);
        return NULL;
    }
    *w = now_us();
    return w;
}

unsigned long zaio_stopwatch_intermediate(void *watch)
{
    return (unsigned long)(now_us() - *(uint64_t *)watch);
}

unsigned long zaio_stopwatch_stop(void *watch)
{
    unsigned long us = zaio_stopwatch_intermediate(watch);
    free(watch);
    return us;
}

void zaio_sleep(int seconds)
{
    if (seconds <= 0)
        return;
#ifdef _WIN32
    Sleep((DWORD)seconds * 1000);
#else
    struct timespec left = {seconds, 0};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
#endif
}

/* ---- threads -------------------------------------------------------------------- */

void *zaio_threadstart(zaio_thread_fn *func, void *arg)
{
    zthread *t = malloc(sizeof *t);
    if (!t) {
        zaio__set_errno(-ENOMEM);
        return NULL;
    }
    int rc = zthread_start(t, func, arg);
    if (rc < 0) {
        free(t);
        zaio__set_errno(rc);
        return NULL;
    }
    return t;
}

void zaio_threadclose(void *thread)
{
    if (!thread)
        return;
    zthread_join(*(zthread *)thread);
    free(thread);
}
