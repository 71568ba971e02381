/* zmq_abi.c - libzmq 4.3.4's binary interface over zaio: the zmq_* functions a program
 * linked against libzmq.so.5 calls, each handing over to its zaio_ twin. Built into
 * compat/lib/libzmq.so.5, which exports these and nothing else (libzmq.map), so pyzmq,
 * CZMQ and any binary built for libzmq run on zaio when that directory comes first in
 * the loader's path (zaio-run does that).
 *
 * The types need no translation: zaio_msg_t is libzmq's 64-byte zmq_msg_t, and
 * zaio_pollitem_t its zmq_pollitem_t, field for field; the socket types, options,
 * flags, events and errno values have libzmq's numbers (zaio.h). The checks below hold
 * the layouts to that. This file includes zaio.h only, never a zmq.h, so the names
 * cannot collide. */
#include "zaio.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#define ABI __attribute__((visibility("default")))

_Static_assert(sizeof(zaio_msg_t) == 64, "zmq_msg_t is 64 bytes");
_Static_assert(_Alignof(zaio_msg_t) == sizeof(void *), "zmq_msg_t is pointer-aligned");
_Static_assert(offsetof(zaio_pollitem_t, socket) == 0 && offsetof(zaio_pollitem_t, fd) == 8 &&
                   offsetof(zaio_pollitem_t, events) == 12 &&
                   offsetof(zaio_pollitem_t, revents) == 14 && sizeof(zaio_pollitem_t) == 16,
               "zmq_pollitem_t's layout on LP64 Linux");
_Static_assert(offsetof(zaio_poller_event_t, socket) == 0 &&
                   offsetof(zaio_poller_event_t, fd) == 8 &&
                   offsetof(zaio_poller_event_t, user_data) == 16 &&
                   offsetof(zaio_poller_event_t, events) == 24,
               "zmq_poller_event_t's layout on LP64 Linux");

/* ---- errors, version, capabilities ------------------------------------------------------ */

ABI int zmq_errno(void) { return zaio_errno(); }
ABI const char *zmq_strerror(int errnum) { return zaio_strerror(errnum); }
/* the API level implemented; zaio's own version is zaio_version's */
ABI void zmq_version(int *major, int *minor, int *patch) { zaio_api_version(major, minor, patch); }
/* "zaio" answers 1 here and 0 in libzmq: how a program (or a test) tells which library
 * it really loaded */
ABI int zmq_has(const char *capability)
{
    if (capability && strcmp(capability, "zaio") == 0)
        return 1;
    return zaio_has(capability);
}

/* ---- contexts ------------------------------------------------------------------------------ */

ABI void *zmq_ctx_new(void) { return zaio_ctx_new(); }
ABI int zmq_ctx_term(void *ctx) { return zaio_ctx_term(ctx); }
ABI int zmq_ctx_shutdown(void *ctx) { return zaio_ctx_shutdown(ctx); }
ABI int zmq_ctx_set(void *ctx, int option, int value) { return zaio_ctx_set(ctx, option, value); }
ABI int zmq_ctx_get(void *ctx, int option) { return zaio_ctx_get(ctx, option); }
ABI int zmq_ctx_destroy(void *ctx) { return zaio_ctx_term(ctx); }
ABI int zmq_term(void *ctx) { return zaio_ctx_term(ctx); }
/* a context with io_threads I/O threads; a bad count fails with zaio_ctx_set's EINVAL */
ABI void *zmq_init(int io_threads)
{
    void *ctx = zaio_ctx_new();
    if (ctx && zaio_ctx_set(ctx, ZAIO_IO_THREADS, io_threads) < 0) {
        zaio_ctx_term(ctx); /* a fresh context ends at once and keeps the error */
        return NULL;
    }
    return ctx;
}

/* ---- messages ------------------------------------------------------------------------------ */

ABI int zmq_msg_init(zaio_msg_t *m) { return zaio_msg_init(m); }
ABI int zmq_msg_init_size(zaio_msg_t *m, size_t size) { return zaio_msg_init_size(m, size); }
ABI int zmq_msg_init_data(zaio_msg_t *m, void *data, size_t size, zaio_free_fn *ffn, void *hint)
{
    return zaio_msg_init_data(m, data, size, ffn, hint);
}
ABI int zmq_msg_init_buffer(zaio_msg_t *m, const void *buf, size_t size)
{
    return zaio_msg_init_buffer(m, buf, size);
}
ABI int zmq_msg_send(zaio_msg_t *m, void *s, int flags) { return zaio_msg_send(m, s, flags); }
ABI int zmq_msg_recv(zaio_msg_t *m, void *s, int flags) { return zaio_msg_recv(m, s, flags); }
ABI int zmq_sendmsg(void *s, zaio_msg_t *m, int flags) { return zaio_msg_send(m, s, flags); }
ABI int zmq_recvmsg(void *s, zaio_msg_t *m, int flags) { return zaio_msg_recv(m, s, flags); }
ABI int zmq_msg_close(zaio_msg_t *m) { return zaio_msg_close(m); }
ABI int zmq_msg_move(zaio_msg_t *dst, zaio_msg_t *src) { return zaio_msg_move(dst, src); }
ABI int zmq_msg_copy(zaio_msg_t *dst, zaio_msg_t *src) { return zaio_msg_copy(dst, src); }
ABI void *zmq_msg_data(zaio_msg_t *m) { return zaio_msg_data(m); }
ABI size_t zmq_msg_size(const zaio_msg_t *m) { return zaio_msg_size(m); }
ABI int zmq_msg_more(const zaio_msg_t *m) { return zaio_msg_more(m); }
ABI int zmq_msg_get(const zaio_msg_t *m, int property) { return zaio_msg_get(m, property); }
ABI int zmq_msg_set(zaio_msg_t *m, int property, int value) { return zaio_msg_set(m, property, value); }
ABI const char *zmq_msg_gets(const zaio_msg_t *m, const char *property)
{
    return zaio_msg_gets(m, property);
}

/* ---- sockets ------------------------------------------------------------------------------- */

ABI void *zmq_socket(void *ctx, int type) { return zaio_socket(ctx, type); }
ABI int zmq_close(void *s) { return zaio_close(s); }
ABI int zmq_setsockopt(void *s, int option, const void *val, size_t len)
{
    return zaio_setsockopt(s, option, val, len);
}
ABI int zmq_getsockopt(void *s, int option, void *val, size_t *len)
{
    return zaio_getsockopt(s, option, val, len);
}
ABI int zmq_bind(void *s, const char *ep) { return zaio_bind(s, ep); }
ABI int zmq_connect(void *s, const char *ep) { return zaio_connect(s, ep); }
ABI int zmq_unbind(void *s, const char *ep) { return zaio_unbind(s, ep); }
ABI int zmq_disconnect(void *s, const char *ep) { return zaio_disconnect(s, ep); }
ABI int zmq_send(void *s, const void *buf, size_t len, int flags) { return zaio_send(s, buf, len, flags); }
ABI int zmq_send_const(void *s, const void *buf, size_t len, int flags)
{
    return zaio_send_const(s, buf, len, flags);
}
ABI int zmq_recv(void *s, void *buf, size_t len, int flags) { return zaio_recv(s, buf, len, flags); }
ABI int zmq_sendiov(void *s, struct iovec *iov, size_t count, int flags)
{
    return zaio_sendiov(s, iov, count, flags);
}
ABI int zmq_recviov(void *s, struct iovec *iov, size_t *count, int flags)
{
    return zaio_recviov(s, iov, count, flags);
}
ABI int zmq_socket_monitor(void *s, const char *ep, int events)
{
    return zaio_socket_monitor(s, ep, events);
}

/* ---- poll, proxy --------------------------------------------------------------------------- */

ABI int zmq_poll(zaio_pollitem_t *items, int n, long timeout) { return zaio_poll(items, n, timeout); }
ABI int zmq_proxy(void *front, void *back, void *capture) { return zaio_proxy(front, back, capture); }
ABI int zmq_proxy_steerable(void *front, void *back, void *capture, void *control)
{
    return zaio_proxy_steerable(front, back, capture, control);
}
/* the device type (QUEUE, FORWARDER, STREAMER) changes nothing, as in libzmq */
ABI int zmq_device(int type, void *front, void *back)
{
    (void)type;
    return zaio_proxy(front, back, NULL);
}

/* ---- CURVE keys, Z85 ----------------------------------------------------------------------- */

ABI char *zmq_z85_encode(char *dest, const uint8_t *data, size_t size)
{
    return zaio_z85_encode(dest, data, size);
}
ABI uint8_t *zmq_z85_decode(uint8_t *dest, const char *string) { return zaio_z85_decode(dest, string); }
ABI int zmq_curve_keypair(char *pub, char *sec) { return zaio_curve_keypair(pub, sec); }
ABI int zmq_curve_public(char *pub, const char *sec) { return zaio_curve_public(pub, sec); }

/* ---- utilities ------------------------------------------------------------------------------ */

ABI void *zmq_atomic_counter_new(void) { return zaio_atomic_counter_new(); }
ABI void zmq_atomic_counter_set(void *c, int value) { zaio_atomic_counter_set(c, value); }
ABI int zmq_atomic_counter_inc(void *c) { return zaio_atomic_counter_inc(c); }
ABI int zmq_atomic_counter_dec(void *c) { return zaio_atomic_counter_dec(c); }
ABI int zmq_atomic_counter_value(void *c) { return zaio_atomic_counter_value(c); }
ABI void zmq_atomic_counter_destroy(void **c) { zaio_atomic_counter_destroy(c); }

ABI void *zmq_timers_new(void) { return zaio_timers_new(); }
ABI int zmq_timers_destroy(void **t) { return zaio_timers_destroy(t); }
ABI int zmq_timers_add(void *t, size_t interval, zaio_timer_fn handler, void *arg)
{
    return zaio_timers_add(t, interval, handler, arg);
}
ABI int zmq_timers_cancel(void *t, int id) { return zaio_timers_cancel(t, id); }
ABI int zmq_timers_set_interval(void *t, int id, size_t interval)
{
    return zaio_timers_set_interval(t, id, interval);
}
ABI int zmq_timers_reset(void *t, int id) { return zaio_timers_reset(t, id); }
ABI long zmq_timers_timeout(void *t) { return zaio_timers_timeout(t); }
ABI int zmq_timers_execute(void *t) { return zaio_timers_execute(t); }

ABI void *zmq_stopwatch_start(void) { return zaio_stopwatch_start(); }
ABI unsigned long zmq_stopwatch_intermediate(void *w) { return zaio_stopwatch_intermediate(w); }
ABI unsigned long zmq_stopwatch_stop(void *w) { return zaio_stopwatch_stop(w); }
ABI void zmq_sleep(int seconds) { zaio_sleep(seconds); }
ABI void *zmq_threadstart(zaio_thread_fn *fn, void *arg) { return zaio_threadstart(fn, arg); }
ABI void zmq_threadclose(void *thread) { zaio_threadclose(thread); }

/* ---- the draft poller (Debian's libzmq does not export it; programs built with the
 * draft API against another libzmq.so.5 find it here) ------------------------------------ */

ABI void *zmq_poller_new(void) { return zaio_poller_new(); }
ABI int zmq_poller_destroy(void **p) { return zaio_poller_destroy(p); }
ABI int zmq_poller_size(void *p) { return zaio_poller_size(p); }
ABI int zmq_poller_add(void *p, void *s, void *user, short events)
{
    return zaio_poller_add(p, s, user, events);
}
ABI int zmq_poller_modify(void *p, void *s, short events) { return zaio_poller_modify(p, s, events); }
ABI int zmq_poller_remove(void *p, void *s) { return zaio_poller_remove(p, s); }
ABI int zmq_poller_add_fd(void *p, zaio_fd_t fd, void *user, short events)
{
    return zaio_poller_add_fd(p, fd, user, events);
}
ABI int zmq_poller_modify_fd(void *p, zaio_fd_t fd, short events)
{
    return zaio_poller_modify_fd(p, fd, events);
}
ABI int zmq_poller_remove_fd(void *p, zaio_fd_t fd) { return zaio_poller_remove_fd(p, fd); }
ABI int zmq_poller_wait(void *p, zaio_poller_event_t *ev, long timeout)
{
    return zaio_poller_wait(p, ev, timeout);
}
ABI int zmq_poller_wait_all(void *p, zaio_poller_event_t *ev, int n, long timeout)
{
    return zaio_poller_wait_all(p, ev, n, timeout);
}
ABI int zmq_poller_fd(void *p, zaio_fd_t *fd) { return zaio_poller_fd(p, fd); }
