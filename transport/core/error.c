/* error.c - zaio_errno, zaio_strerror and the setter behind them (error.h). */
#include "core/error.h"

#include <errno.h>

#include "aio.h"
#include "zaio.h"

static _Thread_local int last_errno;

int zaio__set_errno(int neg)
{
    last_errno = -neg;
    errno = -neg;
    return -1;
}

int zaio_errno(void) { return last_errno; }

const char *zaio_strerror(int errnum)
{
    switch (errnum) {
    case ZAIO_EFSM: return "Operation cannot be accomplished in current state";
    case ZAIO_ENOCOMPATPROTO: return "The protocol is not compatible with the socket type";
    case ZAIO_ETERM: return "Context was terminated";
    case ZAIO_EMTHREAD: return "No thread available";
    default: return aio_strerror(-errnum);
    }
}
