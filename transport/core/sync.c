/* sync.c - threads (see sync.h). */
#include "core/sync.h"

#include <errno.h>
#include <stdlib.h>

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
