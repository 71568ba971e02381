/* A test TCP server on 127.0.0.1:0 that behaves as told and records what each peer did,
 * so that zaio-probe's reports can be checked against the other end of the wire. */
#ifndef ZAIO_TESTS_TOOLS_LISTENER_H
#define ZAIO_TESTS_TOOLS_LISTENER_H

#include <stddef.h>
#include <stdint.h>

typedef enum tl_behaviour {
    TL_HOLD,        /* accept, read until the peer closes; record FIN or RST */
    TL_RST,         /* accept, reset at once (SO_LINGER 0) */
    TL_FIN,         /* accept, close at once */
    TL_CLOSE_AFTER, /* accept, read, close normally close_ms after the accept */
    TL_HTTP,        /* accept, read a request up to the blank line, answer, close */
    TL_SEND         /* accept, send the bytes given to tl_start_send, close */
} tl_behaviour;

#define TL_MAX_CONNS 4096
#define TL_CAPTURE 128

typedef struct tl_conn {
    uint32_t peer_ip;            /* host order */
    uint32_t bytes;
    uint8_t first[TL_CAPTURE];
    int ended;                   /* 1 FIN, 2 RST, 3 closed by us */
} tl_conn;

typedef struct tl_listener tl_listener;

extern const char tl_http_reply[];

tl_listener *tl_start(tl_behaviour b, unsigned close_ms);
/* TL_SEND: each connection gets data[0..len) (the caller keeps data alive), then a FIN. */
tl_listener *tl_start_send(const void *data, size_t len);
unsigned tl_port(const tl_listener *l);
/* Waits (bounded by timeout_ms) until n connections have ended; returns how many had. */
unsigned tl_wait_ended(tl_listener *l, unsigned n, unsigned timeout_ms);
/* Stops the thread; copies up to max connections (in accept order) and returns the count. */
unsigned tl_stop(tl_listener *l, tl_conn *out, unsigned max);

/* Counts over a copy from tl_stop. */
unsigned tl_count_ended(const tl_conn *c, unsigned n, int how);
unsigned tl_count_peer(const tl_conn *c, unsigned n, const char *ip);

/* A port that nothing listens on (bound, then closed). */
unsigned tl_dead_port(void);

#endif
