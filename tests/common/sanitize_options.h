/* sanitize_options.h - the sanitizer defaults every program of a ZAIO_SANITIZE build
 * carries (sanitize_options.c says why). A program that needs more defines its own
 * __asan_default_options from ZAIO_ASAN_OPTIONS, which takes the place of the weak one. */
#ifndef ZAIO_SANITIZE_OPTIONS_H
#define ZAIO_SANITIZE_OPTIONS_H

#define ZAIO_ASAN_OPTIONS "abort_on_error=1:detect_leaks=1"
#define ZAIO_UBSAN_OPTIONS "halt_on_error=1:abort_on_error=1:print_stacktrace=1"

#endif
