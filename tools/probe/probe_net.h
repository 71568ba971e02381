/* zaio-probe's only contact with the OS: sockets, the readiness poller and the clock.
 * The engine (probe.c) sees result classes, never errno or a socket call, so a Windows
 * port replaces this file's .c alone (WSAPoll or IOCP for the poller, WSAGetLastError
 * for the classes). */
#ifndef ZAIO_TOOLS_PROBE_NET_H
#define ZAIO_TOOLS_PROBE_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef int zprobe_sock;
#define ZPROBE_NO_SOCK (-1)

typedef struct zprobe_addr {
    struct sockaddr_storage ss;
    socklen_t len;
} zprobe_addr;

/* What a socket call came to. err carries the OS error code for reports. */
typedef enum zprobe_net_res {
    ZN_OK,         /* done (for recv: got > 0 bytes) */
    ZN_INPROGRESS, /* connect: wait for writability */
    ZN_AGAIN,      /* would block */
    ZN_CLOSED,     /* recv: the peer's FIN, no more data */
    ZN_REFUSED,    /* connect: nobody listening */
    ZN_TIMEDOUT,   /* connect: the kernel gave up */
    ZN_RESET,      /* the peer reset the connection (or we wrote after its close) */
    ZN_ERROR       /* anything else; see err */
} zprobe_net_res;

enum { ZPROBE_EV_IN = 1, ZPROBE_EV_OUT = 2, ZPROBE_EV_ERR = 4 };

typedef struct zprobe_event {
    uint64_t tag;
    unsigned ev;
} zprobe_event;

typedef struct zprobe_poller zprobe_poller;

uint64_t zprobe_now_ns(void);

/* host is a name or a numeric address (no brackets); fills err on failure. */
int zprobe_net_resolve(const char *host, unsigned port, zprobe_addr *out, char *err, size_t errlen);
/* A numeric address of the given family, port 0: a probe's source. */
int zprobe_net_parse_ip(const char *ip, int family, zprobe_addr *out);
/* An ipc:// target's path, or "@name" in the abstract namespace: -1 when too long. */
int zprobe_net_unix(const char *path, zprobe_addr *out);
int zprobe_net_family(const zprobe_addr *a);
const char *zprobe_net_strerror(int err);

/* A non-blocking socket bound to from (if any) and connecting to to. On ZN_OK and
 * ZN_INPROGRESS *out is the socket; otherwise no socket is left open. nodelay: send
 * each small write at once (drip mode), not when the last one is acked. */
zprobe_net_res zprobe_net_connect(const zprobe_addr *to, const zprobe_addr *from, int nodelay,
                                  zprobe_sock *out, int *err);
zprobe_net_res zprobe_net_connect_result(zprobe_sock s, int *err);
zprobe_net_res zprobe_net_send(zprobe_sock s, const void *buf, size_t len, size_t *sent, int *err);
zprobe_net_res zprobe_net_recv(zprobe_sock s, void *buf, size_t len, size_t *got, int *err);
/* rst: SO_LINGER 0, so the close sends an RST instead of a FIN. */
void zprobe_net_close(zprobe_sock s, int rst);

zprobe_poller *zprobe_poller_new(void);
void zprobe_poller_free(zprobe_poller *p);
int zprobe_poller_add(zprobe_poller *p, zprobe_sock s, unsigned ev, uint64_t tag);
int zprobe_poller_mod(zprobe_poller *p, zprobe_sock s, unsigned ev, uint64_t tag);
void zprobe_poller_del(zprobe_poller *p, zprobe_sock s);
/* Up to max events; 0 on timeout or a signal; -1 on error. */
int zprobe_poller_wait(zprobe_poller *p, zprobe_event *evs, int max, int timeout_ms);

/* Raise the open-files limit towards want; returns the limit now in force. */
uint64_t zprobe_net_raise_fd_limit(uint64_t want);

#endif
