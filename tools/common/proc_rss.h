/* proc_rss.h - a process's resident memory, from /proc/PID/statm (Linux): one reader for
 * the tools that measure memory, zaio-soak (itself and its libzmq peer) and the perf
 * programs (memory per idle connection, built against zaio and against libzmq). */
#ifndef ZAIO_TOOLS_PROC_RSS_H
#define ZAIO_TOOLS_PROC_RSS_H

#include <stdint.h>
#include <sys/types.h>

/* Resident KiB of process pid (0: this one); 0 when it cannot be read. */
uint64_t proc_rss_kib(pid_t pid);

#endif
