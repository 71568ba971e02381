/* sync.h - mutexes, condition variables and threads for the transport, one spelling
 * for POSIX and Windows. */
#ifndef ZAIO_TRANSPORT_SYNC_H
#define ZAIO_TRANSPORT_SYNC_H

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
typedef CRITICAL_SECTION zmutex;
typedef CONDITION_VARIABLE zcond;
typedef HANDLE zthread;
#define zmutex_init(m) InitializeCriticalSection(m)
#define zmutex_fini(m) DeleteCriticalSection(m)
#define zmutex_lock(m) EnterCriticalSection(m)
#define zmutex_unlock(m) LeaveCriticalSection(m)
#define zmutex_trylock(m) (TryEnterCriticalSection(m) != 0) /* true: taken */
#define zcond_init(c) InitializeConditionVariable(c)
#define zcond_fini(c) ((void)(c))
#define zcond_broadcast(c) WakeAllConditionVariable(c)
#define zcond_wait(c, m) SleepConditionVariableCS((c), (m), INFINITE)
#else
#include <pthread.h>
typedef pthread_mutex_t zmutex;
typedef pthread_cond_t zcond;
typedef pthread_t zthread;
#define zmutex_init(m) pthread_mutex_init((m), NULL)
#define zmutex_fini(m) pthread_mutex_destroy(m)
#define zmutex_lock(m) pthread_mutex_lock(m)
#define zmutex_unlock(m) pthread_mutex_unlock(m)
#define zmutex_trylock(m) (pthread_mutex_trylock(m) == 0) /* true: taken */
#define zcond_init(c) pthread_cond_init((c), NULL)
#define zcond_fini(c) pthread_cond_destroy(c)
#define zcond_broadcast(c) pthread_cond_broadcast(c)
#define zcond_wait(c, m) pthread_cond_wait((c), (m))
#endif

/* Tells the core a thread is spinning (x86 pause, arm yield): a spinning reader then
 * neither starves the other hardware thread of its core nor floods the memory bus. */
#if defined(__x86_64__) || defined(__i386__)
#define zcpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define zcpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
/* no pause to have: a compiler barrier keeps the loop, whose length is measured */
#include <stdatomic.h>
#define zcpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif
/* The processors this process may run on now (at least 1). */
int zcpu_count(void);

/* Starts fn(arg) on a new thread. 0 or -errno. */
int zthread_start(zthread *t, void (*fn)(void *), void *arg);
void zthread_join(zthread t);

#endif
