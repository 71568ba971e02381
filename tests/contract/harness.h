/* harness.h - what the contract tests share: a port on the backend under test, plain
 * blocking client sockets (the "other side", never through aio), threads, and the final
 * check that every live counter is back to zero. */
#ifndef ZAIO_TEST_HARNESS_H
#define ZAIO_TEST_HARNESS_H

#include "aio.h"
#include "zt.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef _WIN32
typedef SOCKET cli_fd;
#else
#include <arpa/inet.h>
#include <netinet/in.h>
typedef int cli_fd;
#endif

/* A port on the backend named by ZAIO_BACKEND (ctest sets it), asserted to be that one. */
aio_port *h_port(void);

/* The address family under test, from ZAIO_TEST_FAMILY: "tcp" (or unset) is AF_INET on
 * 127.0.0.1; "unix" is AF_UNIX stream sockets with names in Linux's abstract namespace
 * (not on Windows, whose build refuses AF_UNIX). Any other value fails the test. Every
 * socket the harness makes is of this family; a test that creates one itself asks here. */
int h_family(void);
bool h_unix(void); /* h_family() == AF_UNIX */

/* Records completions: a handler whose key is an h_rec. */
#define H_REC_MAX 64
typedef struct h_rec {
    int n;
    int by_op[AIO_OP_SIGNAL + 1];
    aio_completion c[H_REC_MAX];
    bool close_in_handler; /* close the completion's socket from inside the handler */
    aio_socket *accepted[H_REC_MAX];
    int naccepted;
} h_rec;
void h_record(const aio_completion *c);

/* One aio_port_poll whose error fails the test; returns how many completions it gave. */
int h_poll(aio_port *p, int timeout_ms);
/* Polls until *count >= want, failing after deadline_ms (a safety net against a hang,
 * never a timing assertion). */
void h_poll_until(aio_port *p, const int *count, int want, int deadline_ms);
/* Polls until the live socket counter is zero (or `keep`). */
void h_poll_until_freed(aio_port *p, int deadline_ms);
void h_poll_until_freed_except(aio_port *p, int keep, int deadline_ms);

/* A socket of h_family() bound to a fresh local address (127.0.0.1 port 0, or a unique
 * abstract name), not listening; *addr gets the address it has. */
aio_socket *h_bound(aio_port *p, aio_handler h, void *key, struct sockaddr_storage *addr,
                    socklen_t *len);
/* h_bound, listening: a connect to *addr reaches it. */
aio_socket *h_listener(aio_port *p, aio_handler h, void *key, struct sockaddr_storage *addr,
                       socklen_t *len, int backlog);
/* An accepted server-side socket connected to a fresh client (returned in *cli). */
aio_socket *h_pair(aio_port *p, aio_handler h, void *key, cli_fd *cli);

cli_fd h_cli_connect(const struct sockaddr_storage *addr, socklen_t len);
/* A client socket bound to a fresh local address, not connected yet. *self is what the
 * server's aio_peer_addr of the accepted socket will say: its port, or under AF_UNIX its
 * name (an AF_UNIX client has none unless it binds one). */
cli_fd h_cli_bound(struct sockaddr_storage *self, socklen_t *self_len);
/* A connect for a thread that must keep serving meanwhile: a blocking one would wait for
 * room in a full accept queue that only that thread drains. true: connected, or under
 * way in the kernel (TCP); false: the accept queue is full (AF_UNIX fails at once with
 * EAGAIN), so serve and call again. The socket stays non-blocking. */
bool h_cli_connect_nowait(cli_fd fd, const struct sockaddr_storage *addr, socklen_t len);
bool h_same_addr(const struct sockaddr_storage *a, socklen_t alen,
                 const struct sockaddr_storage *b, socklen_t blen);
void h_cli_send(cli_fd fd, const void *data, size_t n);
void h_cli_close(cli_fd fd); /* FIN (AF_UNIX: the peer reads end of stream) */
/* SO_LINGER 0: RST, as a probe does. AF_UNIX has no RST: there this is a plain close, and
 * the peer reads end of stream (ECONNRESET only if this end had unread data). */
void h_cli_close_rst(cli_fd fd);
bool h_cli_readable(cli_fd fd);  /* data, EOF or a reset is there now */
/* Waits (poll/select) until the aio socket's handle is readable. */
void h_wait_readable(aio_socket *s, int deadline_ms);

/* Open descriptors of this process (-1 where the platform cannot tell). */
int h_open_fds(void);

typedef struct h_thread h_thread;
h_thread *h_thread_start(void (*fn)(void *), void *arg);
void h_thread_join(h_thread *t);

/* Runs n connect+RST cycles against addr from `threads` threads at once. */
typedef struct h_probe_run {
    const struct sockaddr_storage *addr;
    socklen_t len;
    int n, threads;
    int connect_failures; /* valid once finished */
    atomic_int finished;  /* set by the probe threads when all n are done */
} h_probe_run;
h_thread *h_probes_start(h_probe_run *run);
void h_probes_join(h_thread *t);

/* n client connections to addr, opened from `threads` threads at once and held open
 * until h_clients_stop closes them all. On POSIX they live in a forked child, so the
 * server side of a 10,000-connection test keeps the whole descriptor limit for itself. */
typedef struct h_clients h_clients;
h_clients *h_clients_start(const struct sockaddr_storage *addr, socklen_t len, int n, int threads);
void h_clients_stop(h_clients *c);  /* FIN on every connection */
void h_clients_reset(h_clients *c); /* RST on every connection (SO_LINGER 0), as probes do */

/* Raises the soft descriptor limit to the hard one; returns how many descriptors the
 * server side of a test may use (-1: no limit known). Under wine that is less than half
 * the Unix limit: the wineserver holds both ends of every loopback connection. */
int h_raise_fd_limit(void);

/* The counters now (aio_stats_get by value). */
aio_stats h_stats(void);

/* Every test ends here: destroys the port (draining it) and asserts that every live
 * counter is zero and that every submit produced exactly one completion. The messages
 * of the assertions that something was not released start with "leak:" (here, in
 * h_poll_until_freed and in the probe loops): legacy_control.sh looks for them. */
void h_finish(aio_port *p);

void h_net_init(void);
#endif
