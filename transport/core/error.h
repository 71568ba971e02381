/* error.h - how a zaio_* call reports an error: internals return -errno, and the call
 * that gives it to the user returns zaio__set_errno(rc), which is -1 with zaio_errno()
 * and errno set. It lives in the core because the core's own public calls (messages,
 * the context, the monitor) report errors too, and must not call up into api/. */
#ifndef ZAIO_CORE_ERROR_H
#define ZAIO_CORE_ERROR_H

/* neg is -errno; returns -1 */
int zaio__set_errno(int neg);
#endif
