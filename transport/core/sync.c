/* sync.c - threads (see sync.h). */
#include "core/sync.h"

#include <errno.h>
#include <stdlib.h>
#ifdef __linux__
#include <sched.h>
#elif !defined(_WIN32)
#include <unistd.h>
#endif

int zcpu_count(void)
{
#ifdef _WIN32
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
#elif defined(__linux__)
    /* the affinity mask, not the processors online: under taskset -c 0 a spinning
     * reader would only keep its writer off the one processor they share */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#endif
}

typedef struct zthread_start_arg {
    void (*fn)(void *);
    void *arg;
} zthread_start_arg;

#ifdef _WIN32
static DWORD WINAPI zthread_main(LPVOID p)
#else
static void *zthread_main(void *p)
#endif
{
    zthread_start_arg a = *(zthread_start_arg *)p;
    free(p);
    a.fn(a.arg);
#ifdef _WIN32
    return 0;
#else
    return NULL;
#endif
}

int zthread_start(zthread *t, void (*fn)(void *), void *arg)
{
    zthread_start_arg *a = malloc(sizeof *a);
    if (!a)
        return -ENOMEM;
    a->fn = fn;
    a->arg = arg;
#ifdef _WIN32
    *t = CreateThread(NULL, 0, zthread_main, a, 0, NULL);
    if (!*t) {
        free(a);
        return -EAGAIN;
    }
#else
    int rc = pthread_create(t, NULL, zthread_main, a);
    if (rc != 0) {
        free(a);
        return -rc;
    }
#endif
    return 0;
}

void zthread_join(zthread t)
{
#ifdef _WIN32
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
#else
    pthread_join(t, NULL);
#endif
}
