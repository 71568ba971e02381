/* sanitize_options.c - linked into every program of a ZAIO_SANITIZE build (the root
 * CMakeLists.txt): the sanitizers' defaults, so that a report fails the program that
 * makes it, however it is run. ASAN_OPTIONS, LSAN_OPTIONS and UBSAN_OPTIONS still
 * override them, option by option.
 *
 * abort_on_error: Criterion (2.4.1) runs each test in a child process and takes the
 * test's verdict from its events, not from the child's exit status. LeakSanitizer
 * reports when the child exits, after the test has passed, and its exit code went
 * unseen: a leaking test passed and the run exited 0. An abort is a crash, which
 * Criterion does count (its run then exits 1).
 * halt_on_error for UBSan: the first report ends the program, also in code built
 * without -fno-sanitize-recover. */
#include "sanitize_options.h"

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

/* weak: a program that needs more options defines its own (see the header) */
__attribute__((weak)) const char *__asan_default_options(void) { return ZAIO_ASAN_OPTIONS; }

__attribute__((weak)) const char *__ubsan_default_options(void) { return ZAIO_UBSAN_OPTIONS; }
