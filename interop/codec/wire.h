/* wire.h - a blocking TCP connection driven by the zmtp codec alone, for talking to a
 * real libzmq peer in the interop tests. Nothing of zaio's transport is used: the
 * point is to check the codec's bytes against libzmq's, not the transport's logic. */
#ifndef ZAIO_INTEROP_WIRE_H
#define ZAIO_INTEROP_WIRE_H

#include "zmtp.h"

#include <stddef.h>
#include <stdint.h>

/* Errors of the connection itself, below the codec's. */
#define WIRE_E_EOF (-1000)  /* the peer closed */
#define WIRE_E_IO (-1001)   /* a socket call failed or timed out */

#define WIRE_MAX_PARTS 16

typedef struct wire_part {
    uint8_t *data; /* malloc'd, owned by the message */
    size_t len;
} wire_part;

typedef struct wire_msg {
    wire_part part[WIRE_MAX_PARTS];
    int n;
} wire_msg;

/* One thing read off the stream: a whole message or one command (copied). */
typedef struct wire_item {
    int is_command;
    wire_msg msg;
    zmtp_command_type cmd;
    uint8_t flags;      /* the command frame's flags as received (LONG or not) */
    uint64_t size;      /* its body size */
    uint16_t ttl;       /* PING */
    uint8_t data[512];  /* command data (topic, context...) */
    size_t data_len;
} wire_item;

typedef struct wire {
    int fd;
    zmtp_handshake *hs;
    int minor;                /* spoken, after the handshake */
    int claim_3_0;            /* send a 3.0 greeting (to see libzmq's 3.0 forms) */
    /* the ZAP status for a peer the handshake asks about (PLAIN server) */
    int (*verdict)(const uint8_t *user, size_t user_len, const uint8_t *pass, size_t pass_len);
    size_t greeting_sent;
    zmtp_decoder dec;
    uint8_t scratch[4096];
    uint8_t in[16384];
    size_t in_off, in_len;
    uint8_t out[16384];
    zmtp_encoder enc;
    size_t zero_copy_bytes;   /* large-body bytes received straight into messages */
} wire;

/* A listening socket on 127.0.0.1 with a kernel-chosen port. */
int wire_listen(uint16_t *port);
int wire_accept(int lfd);
int wire_connect(uint16_t port);

void wire_init(wire *w, int fd);
/* Runs the handshake to its end; ZMTP_HS_DONE or the error (after sending any ERROR
 * the codec queued). */
int wire_handshake(wire *w, const zmtp_handshake_config *cfg);
void wire_close(wire *w);

/* Sends one message; parts above 1 KiB go out from their own buffer (header-only
 * encoding), the rest packed. */
int wire_send(wire *w, const wire_part *parts, int n);
int wire_send_str(wire *w, int n, ...);
int wire_send_ping(wire *w, uint16_t ttl, const void *ctx, size_t len);
int wire_send_pong(wire *w, const void *ctx, size_t len);
int wire_send_subscription(wire *w, int minor, int subscribe, const void *topic, size_t len);

int wire_next(wire *w, wire_item *it);
/* The next message, answering PINGs on the way; any other command is an error. */
int wire_recv_msg(wire *w, wire_msg *m);
void wire_msg_free(wire_msg *m);
/* 1 if part i of m holds exactly s. */
int wire_part_is(const wire_msg *m, int i, const char *s);

#endif
