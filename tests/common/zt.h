/* zt.h - the test vocabulary shared by Criterion (Linux) and tests/common/zt_runner.c
 * (Windows, where Criterion is not built). A test written with these macros runs under
 * both unchanged:
 *
 *   ZT_TEST(suite, name, timeout_s) { zt_assert(x == 1, "x is %d", x); }
 *
 * zt_skip("why") ends a test that does not apply here as skipped, never as passed: both
 * runners count and name it (Criterion's [SKIP] line; zt_runner's [SKIP] and ", N skipped"
 * after its closing line's counts).
 *
 * Each test runs in a process of its own under both: Criterion forks; zt_runner starts
 * its own executable again for each test (the tests read process-wide counters), ends
 * one that outlives its timeout, and a failed assertion ends its test by longjmp. */
#ifndef ZAIO_ZT_H
#define ZAIO_ZT_H

#include <stdio.h>

#ifndef _WIN32
#include <criterion/criterion.h>
#include <stdarg.h>

#define ZT_TEST(suite, name, timeout_s) Test(suite, name, .timeout = (timeout_s))
#define zt_assert(cond, ...) cr_assert((cond), __VA_ARGS__)
#define zt_fail(...) cr_assert(0, __VA_ARGS__)
#define zt_log(...) cr_log_info(__VA_ARGS__)
/* Criterion names a skipped test only with --verbose, and its warning log would make the
 * run exit 1: the line goes to stderr itself */
__attribute__((format(printf, 1, 2))) static inline void zt__skip(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[SKIP] %s::%s: %s\n", criterion_current_test->category,
            criterion_current_test->name, why);
    cr_skip_test("%s", why);
}
#define zt_skip(...) zt__skip(__VA_ARGS__)

#else /* the Windows runner */
#include <setjmp.h>

typedef struct zt_case {
    const char *suite, *name;
    void (*fn)(void);
    int timeout_s;
    struct zt_case *next;
} zt_case;
void zt__register(zt_case *c);
_Noreturn void zt__fail(const char *file, int line, const char *fmt, ...);
_Noreturn void zt__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the exit code of a test process that skipped (automake's) */
#define ZT_SKIP_EXIT 77

#define ZT_TEST(suite, name, timeout_s)                                                    \
    static void zt_fn_##suite##_##name(void);                                              \
    static zt_case zt_case_##suite##_##name = {#suite, #name, zt_fn_##suite##_##name,      \
                                               (timeout_s), 0};                            \
    __attribute__((constructor)) static void zt_reg_##suite##_##name(void)                 \
    {                                                                                      \
        zt__register(&zt_case_##suite##_##name);                                           \
    }                                                                                      \
    static void zt_fn_##suite##_##name(void)
#define zt_assert(cond, ...)                                                               \
    do {                                                                                   \
        if (!(cond))                                                                       \
            zt__fail(__FILE__, __LINE__, __VA_ARGS__);                                     \
    } while (0)
#define zt_fail(...) zt__fail(__FILE__, __LINE__, __VA_ARGS__)
#define zt_log(...) (printf(__VA_ARGS__), printf("\n"))
#define zt_skip(...) zt__skip(__VA_ARGS__)
#endif

#endif
