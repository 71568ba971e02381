/* aio_posix.c - the few platform calls the core needs, POSIX side. */
#include "aio_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int aio__last_error(void) { return -errno; }

void aio__close_fd(aio_fd fd)
{
    /* close(2) on Linux releases the descriptor even when it reports EINTR: never retry */
    (void)close(fd);
}

const char *aio__sys_strerror(int err) { return strerror(-err); }
