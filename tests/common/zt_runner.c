/* zt_runner.c - runs ZT_TEST cases where Criterion is not available (the Windows build
 * under wine). Prints one line a test and the closing line "N passed, N failed".
 * Usage: runner [substring]  (runs the tests whose suite::name contains it) */
#include "zt.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static zt_case *head, *tail;
static jmp_buf fail_jmp;

void zt__register(zt_case *c)
{
    c->next = NULL;
    if (tail)
        tail->next = c;
    else
        head = c;
    tail = c;
}

void zt__fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    longjmp(fail_jmp, 1);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (zt_case *c = head; c; c = c->next) {
        char full[256];
        snprintf(full, sizeof full, "%s::%s", c->suite, c->name);
        if (filter && !strstr(full, filter))
            continue;
        if (setjmp(fail_jmp) == 0) {
            c->fn();
            printf("[PASS] %s\n", full);
            passed++;
        } else {
            printf("[FAIL] %s\n", full);
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
