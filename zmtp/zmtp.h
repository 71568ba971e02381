/* zmtp.h - zaio's ZMTP 3.x codec: greeting, NULL, PLAIN and CURVE handshakes, frames,
 * commands, metadata and CURVE's message boxes. Pure: no I/O, no sockets, no threads.
 * The transport feeds it the bytes its recv completions deliver and sends the bytes
 * the encoder produces.
 *
 * The pieces, from the bottom up:
 *  - zmtp_decoder: frames. A caller-owned struct fed (ptr, len); each call consumes
 *    some bytes and reports at most one event. It never allocates: frames up to the
 *    caller's scratch size arrive whole (ZMTP_EV_FRAME / ZMTP_EV_COMMAND), larger
 *    message frames arrive as ZMTP_EV_HEADER then ZMTP_EV_BODY chunks pointing into
 *    the caller's input, or the caller reads the body straight into its own buffer and
 *    reports it with zmtp_decoder_body_skip(). Any split of the stream gives the same
 *    frames and the same event types; only the chunking of large bodies differs.
 *  - zmtp_encoder: packs headers and small bodies into one caller buffer (one send);
 *    for a large body it writes only the header, and the body goes from its own buffer.
 *  - zmtp_greeting_*: the 64-byte greeting, decoded incrementally, with non-ZMTP
 *    peers (ZMTP 1.0/2.0, HTTP, TLS, noise) named within the first bytes.
 *  - older peers: the handshake sends its greeting in stages, as libzmq 4.3.4 does, and
 *    downgrades to ZMTP 2.0 or 1.0 when the peer's first bytes say so; the decoder and
 *    encoder then speak that revision's framing (zmtp_*_set_framing). See README.md.
 *  - zmtp_handshake: one per connection. Consumes the peer's greeting and handshake
 *    commands, says what to send, checks the socket type and (PLAIN) credentials, and
 *    keeps the peer's metadata.
 *  - zmtp_crypto: what a CURVE handshake hands over when it is done: the session key
 *    and the nonces that seal every frame sent and open every frame received.
 *
 * Errors are negative ints (ZMTP_E_*); zmtp_strerror() names them. A decoder or
 * handshake that returned an error stays failed and returns the same error again.
 */
#ifndef ZAIO_ZMTP_H
#define ZAIO_ZMTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------- */

enum {
    ZMTP_OK = 0,
    ZMTP_E_INVAL = -1,             /* caller misuse (bad argument or config) */
    ZMTP_E_NOSPACE = -2,           /* the caller's output buffer is too small */
    ZMTP_E_NOMEM = -3,
    ZMTP_E_NO_CURVE = -4,          /* CURVE asked of a build without libsodium */
    /* greeting */
    ZMTP_E_NOT_ZMTP = -10,         /* no ZMTP signature: noise */
    ZMTP_E_HTTP = -11,             /* the peer sent an HTTP request */
    ZMTP_E_TLS = -12,              /* the peer started a TLS handshake */
    ZMTP_E_OLD_VERSION = -13,      /* ZMTP 1.0 or 2.0 where a mechanism or ZAP is set */
    ZMTP_E_MECHANISM = -14,        /* the peer's mechanism differs from ours */
    ZMTP_E_ROLE = -15,             /* PLAIN: both sides claim to be the server */
    /* frames */
    ZMTP_E_RESERVED_FLAGS = -20,   /* flag bits 3-7 set */
    ZMTP_E_COMMAND_MORE = -21,     /* a command frame with MORE */
    ZMTP_E_SIZE_OVERFLOW = -22,    /* a long size above 2^63-1 */
    ZMTP_E_TOO_LARGE = -23,        /* a frame above the maximum message size */
    ZMTP_E_COMMAND_TOO_LARGE = -24,/* a command frame larger than the scratch buffer */
    ZMTP_E_EMPTY_FRAME = -25,      /* ZMTP 1.0: a frame of length 0 (the flags are in it) */
    /* commands */
    ZMTP_E_MALFORMED_COMMAND = -30,/* name size past the body, empty name, bad name */
    ZMTP_E_MALFORMED_METADATA = -31,
    ZMTP_E_MALFORMED_PING = -32,   /* PING without TTL, or context over 16 bytes */
    ZMTP_E_MALFORMED_HELLO = -33,
    ZMTP_E_MALFORMED_ERROR = -34,
    ZMTP_E_UNEXPECTED_COMMAND = -35,/* a command the handshake does not expect now */
    ZMTP_E_UNEXPECTED_MESSAGE = -36,/* a message frame before the handshake is done */
    ZMTP_E_MALFORMED_WELCOME = -37,/* CURVE: a WELCOME, INITIATE or READY of the wrong size */
    ZMTP_E_MALFORMED_INITIATE = -38,
    ZMTP_E_MALFORMED_READY = -39,
    /* handshake */
    ZMTP_E_NO_SOCKET_TYPE = -40,
    ZMTP_E_UNKNOWN_SOCKET_TYPE = -41,
    ZMTP_E_SOCKET_TYPE_MISMATCH = -42,
    ZMTP_E_PEER_ERROR = -43,       /* the peer sent ERROR (reason: zmtp_handshake_error_reason) */
    ZMTP_E_AUTH_DENIED = -44,      /* our authority (ZAP) refused the peer */
    /* CURVE */
    ZMTP_E_CRYPTO = -50,           /* a box did not open: wrong key, or tampered with */
    ZMTP_E_KEY_EXCHANGE = -51,     /* the vouch opened but names other keys than ours */
    ZMTP_E_NONCE = -52,            /* a nonce not above the peer's last: replayed, reordered */
    ZMTP_E_MALFORMED_MESSAGE = -53,/* a MESSAGE too short to hold a box */
};

/* A static string naming err (a ZMTP_E_* value); never NULL. */
const char *zmtp_strerror(int err);

/* ---- socket types (numbers as in zmq.h) ------------------------------------ */

enum {
    ZMTP_PAIR = 0, ZMTP_PUB = 1, ZMTP_SUB = 2, ZMTP_REQ = 3, ZMTP_REP = 4,
    ZMTP_DEALER = 5, ZMTP_ROUTER = 6, ZMTP_PULL = 7, ZMTP_PUSH = 8,
    ZMTP_XPUB = 9, ZMTP_XSUB = 10
};

/* "REQ" etc., or NULL for an unknown type. */
const char *zmtp_socket_type_name(int type);
/* The type named by name[0..len) (any case), or ZMTP_E_UNKNOWN_SOCKET_TYPE. */
int zmtp_socket_type_parse(const void *name, size_t len);
/* 1 if a socket of type ours may talk to one of type peer (ZMTP.md's table). */
int zmtp_socket_types_compatible(int ours, int peer);

/* ---- frames ------------------------------------------------------------------ */

#define ZMTP_FLAG_MORE 0x01u
#define ZMTP_FLAG_LONG 0x02u
#define ZMTP_FLAG_COMMAND 0x04u
#define ZMTP_MAX_HEADER 9
/* ZMTP 1.0: 0xFF, an 8-byte length, the flags byte. */
#define ZMTP_MAX_HEADER_V1 10

/* The framing a decoder reads and an encoder writes. 3: ZMTP 3.x (the default). 2:
 * ZMTP 2.0 (RFC 15), flags MORE and LONG, no commands. 1: ZMTP 1.0 (RFC 13), a length
 * (1 byte, or 0xFF and 8 bytes) counting the flags byte that follows it, then the body;
 * of the flags only MORE means anything. */
enum { ZMTP_FRAMING_V1 = 1, ZMTP_FRAMING_V2 = 2, ZMTP_FRAMING_V3 = 3 };
/* The largest size a long frame may announce. */
#define ZMTP_SIZE_LIMIT UINT64_C(0x7fffffffffffffff)
/* A decoder's scratch must hold at least this much: every handshake command zaio
 * sends without metadata, and the longest SUBSCRIBE libzmq 4.3.4 sends malformed. */
#define ZMTP_DECODER_MIN_SCRATCH 512

/* ---- commands ---------------------------------------------------------------- */

typedef enum zmtp_command_type {
    ZMTP_CMD_UNKNOWN = 0, /* well formed, name not one zaio knows */
    ZMTP_CMD_READY,
    ZMTP_CMD_ERROR,
    ZMTP_CMD_HELLO,
    ZMTP_CMD_WELCOME,
    ZMTP_CMD_INITIATE,
    ZMTP_CMD_PING,
    ZMTP_CMD_PONG,
    ZMTP_CMD_SUBSCRIBE,
    ZMTP_CMD_CANCEL,
    ZMTP_CMD_MESSAGE      /* CURVE's box around a frame */
} zmtp_command_type;

#define ZMTP_PING_MAX_CONTEXT 16

/* A parsed command. Every pointer points into the body it was parsed from. */
typedef struct zmtp_command {
    zmtp_command_type type;
    const uint8_t *name;   /* the command name, name_len bytes (1..255) */
    size_t name_len;
    const uint8_t *data;   /* what follows the name: metadata, topic, reason... */
    size_t data_len;
    /* PING: ttl in tenths of a second, context = data + 2. HELLO: username and
     * password. ERROR: reason. Unused fields are zero. */
    uint16_t ttl;
    const uint8_t *context;
    size_t context_len;
    const uint8_t *username, *password, *reason;
    size_t username_len, password_len, reason_len;
} zmtp_command;

/* Parses a command frame body. ZMTP_OK, or ZMTP_E_MALFORMED_* for bad input. */
int zmtp_command_parse(const uint8_t *body, size_t len, zmtp_command *out);

/* The 3.0 form of a subscription: a message frame "\x01topic" (subscribe) or
 * "\x00topic" (cancel). Returns 1 for subscribe, 0 for cancel, ZMTP_E_INVAL if body is
 * neither; sets *topic and *topic_len. */
int zmtp_subscription_message_parse(const uint8_t *body, size_t len,
                                    const uint8_t **topic, size_t *topic_len);

/* ---- metadata (READY / INITIATE properties) ---------------------------------- */

typedef struct zmtp_property {
    const char *name;  /* 1..255 bytes, not NUL-terminated when parsed */
    size_t name_len;
    const void *value;
    size_t value_len;  /* up to 2^31-1 */
} zmtp_property;

/* Bytes the properties take on the wire, or ZMTP_E_INVAL for a bad name or value. */
int64_t zmtp_metadata_size(const zmtp_property *props, size_t n);
/* Writes them into out[0..cap); returns bytes written or a negative error. */
int64_t zmtp_metadata_encode(uint8_t *out, size_t cap, const zmtp_property *props, size_t n);
/* ZMTP_OK if md[0..len) is a well-formed property list. */
int zmtp_metadata_validate(const uint8_t *md, size_t len);
/* Iterates a validated list: *pos starts at 0; returns 1 and fills *out while there is
 * a property, 0 at the end, ZMTP_E_MALFORMED_METADATA on bad input. */
int zmtp_metadata_next(const uint8_t *md, size_t len, size_t *pos, zmtp_property *out);
/* Finds a property by name, case-insensitively. 1 found, 0 absent, <0 malformed. */
int zmtp_metadata_find(const uint8_t *md, size_t len, const char *name, zmtp_property *out);

/* ---- decoder ------------------------------------------------------------------ */

typedef enum zmtp_decoder_state {
    ZMTP_DEC_FLAGS = 0,   /* expecting a frame's flags byte */
    ZMTP_DEC_SIZE,        /* reading a 1- or 8-byte size */
    ZMTP_DEC_GATHER,      /* collecting a split small body into scratch */
    ZMTP_DEC_STREAM,      /* passing a large body through in chunks */
    ZMTP_DEC_V1_FLAGS,    /* ZMTP 1.0: the flags byte after the length */
    ZMTP_DEC_FAILED
} zmtp_decoder_state;

typedef enum zmtp_event_type {
    ZMTP_EV_NONE = 0,     /* all input consumed, need more */
    ZMTP_EV_FRAME,        /* a whole message frame: data/len (len == size) */
    ZMTP_EV_COMMAND,      /* a whole command frame, parsed into cmd */
    ZMTP_EV_HEADER,       /* a large message frame starts: flags, size; body follows */
    ZMTP_EV_BODY          /* a chunk of a large body: data/len; last set on the final one */
} zmtp_event_type;

typedef struct zmtp_event {
    zmtp_event_type type;
    uint8_t flags;        /* the frame's flags (MORE, COMMAND; LONG as received) */
    uint64_t size;        /* the frame's body size */
    const uint8_t *data;  /* valid until the next call on the decoder or a change of the input */
    size_t len;
    int last;             /* ZMTP_EV_BODY: this chunk ends the frame */
    zmtp_command cmd;     /* ZMTP_EV_COMMAND */
} zmtp_event;

typedef struct zmtp_decoder {
    zmtp_decoder_state state;
    uint8_t flags;
    uint8_t size_len;     /* 1 or 8 */
    uint8_t size_have;
    uint8_t quirk_4367;   /* the frame came in libzmq 4.3.4's malformed SUBSCRIBE form */
    uint8_t size_buf[8];
    uint64_t size;
    uint64_t body_have;
    uint64_t max_size;
    uint8_t *scratch;
    size_t scratch_cap;
    unsigned opts;        /* ZMTP_DEC_* below */
    uint8_t framing;      /* ZMTP_FRAMING_* */
    int err;
} zmtp_decoder;

/* Decoder options, all off after zmtp_decoder_init.
 * OPAQUE_HANDSHAKE: HELLO, WELCOME, INITIATE and READY are split into name and data
 *   but their data is not checked as PLAIN's fields or metadata: CURVE's are boxes,
 *   which the handshake opens itself.
 * STREAM_COMMANDS: a command frame larger than scratch arrives as HEADER and BODY
 *   events, as a message frame does, instead of failing: CURVE wraps every frame,
 *   messages of any size included, in a MESSAGE. */
#define ZMTP_DEC_OPAQUE_HANDSHAKE 0x1u
#define ZMTP_DEC_STREAM_COMMANDS 0x2u

/* scratch (caller-owned, >= ZMTP_DECODER_MIN_SCRATCH bytes, kept alive as long as the
 * decoder) takes small bodies that arrive split; it is also the largest command
 * accepted. max_size: the largest frame accepted (0: no limit but 2^63-1).
 * ZMTP_OK or ZMTP_E_INVAL. */
int zmtp_decoder_init(zmtp_decoder *d, uint8_t *scratch, size_t scratch_cap, uint64_t max_size);
void zmtp_decoder_set_options(zmtp_decoder *d, unsigned opts);
/* ZMTP_FRAMING_V3 after init; V2 and V1 for older peers, which send no commands: a
 * ZMTP 2.0 frame with a flag other than MORE and LONG is ZMTP_E_RESERVED_FLAGS, a
 * ZMTP 1.0 frame's other flag bits are ignored (libzmq 2.1 set them). Set it between
 * frames. ZMTP_OK or ZMTP_E_INVAL. */
int zmtp_decoder_set_framing(zmtp_decoder *d, int framing);
/* Consumes bytes from in[0..len) up to and including the first event, which it stores
 * in *ev (ZMTP_EV_NONE when it consumed everything without completing one); ev->cmd is
 * set for ZMTP_EV_COMMAND only. Returns the number of bytes consumed, or a negative
 * ZMTP_E_* error. */
ptrdiff_t zmtp_decoder_feed(zmtp_decoder *d, const uint8_t *in, size_t len, zmtp_event *ev);
/* In ZMTP_DEC_STREAM: body bytes still to come. The caller may receive them into its
 * own buffer and report them with zmtp_decoder_body_skip(), which returns what
 * remains (0: the frame is complete and the decoder expects the next flags). */
uint64_t zmtp_decoder_body_remaining(const zmtp_decoder *d);
uint64_t zmtp_decoder_body_skip(zmtp_decoder *d, uint64_t n);

/* ---- encoder ------------------------------------------------------------------ */

typedef struct zmtp_crypto zmtp_crypto;

typedef struct zmtp_encoder {
    uint8_t *buf;
    size_t cap;
    size_t len;           /* bytes ready to send in buf */
    size_t copy_max;      /* bodies above this go out from their own buffer */
    zmtp_crypto *crypto;  /* CURVE: every frame is sealed in a MESSAGE (see below) */
    int framing;          /* ZMTP_FRAMING_*: V3 after init */
} zmtp_encoder;

/* Writes a frame header for a body of size bytes; LONG is set from size.
 * Returns the header length (2 or 9), or ZMTP_E_INVAL (size over 2^63-1, bad flags). */
int zmtp_frame_header(uint8_t out[ZMTP_MAX_HEADER], unsigned flags, uint64_t size);
/* The same in ZMTP 1.0 framing (flags: MORE or 0): the length counts the flags byte, and
 * from 255 on it is 0xFF and 8 bytes. Returns 2 or 10, or ZMTP_E_INVAL. */
int zmtp_frame_header_v1(uint8_t out[ZMTP_MAX_HEADER_V1], unsigned flags, uint64_t size);

void zmtp_encoder_init(zmtp_encoder *e, uint8_t *buf, size_t cap, size_t copy_max);
/* From now on every frame and command the encoder writes goes out sealed by c (NULL:
 * in the clear again). Sealing copies: a frame above copy_max gets ZMTP_E_INVAL, and
 * the caller seals it into a buffer of its own with zmtp_crypto_seal. */
void zmtp_encoder_set_crypto(zmtp_encoder *e, zmtp_crypto *c);
/* The framing of every frame from now on (ZMTP_FRAMING_*). Below V3 there are no
 * commands: command, PING, PONG, READY and ERROR give ZMTP_E_INVAL, and a subscription
 * goes as a message whatever peer_minor says. ZMTP_OK or ZMTP_E_INVAL. */
int zmtp_encoder_set_framing(zmtp_encoder *e, int framing);
/* Forget what buf holds (after the caller sent it). */
void zmtp_encoder_reset(zmtp_encoder *e);

#define ZMTP_ENC_PACKED 0   /* header and body are in buf */
#define ZMTP_ENC_SEPARATE 1 /* only the header is in buf: send buf, then the body */
/* Appends a message frame (flags: ZMTP_FLAG_MORE or 0). Bodies up to copy_max are
 * copied; larger ones get only their header (up to ZMTP_MAX_HEADER_V1 bytes).
 * ZMTP_E_NOSPACE leaves buf unchanged: send what it holds, reset, and retry. */
int zmtp_encoder_frame(zmtp_encoder *e, const void *body, size_t len, unsigned flags);
/* Appends a command frame: name (1..255 bytes) then data. Always copied. */
int zmtp_encoder_command(zmtp_encoder *e, const char *name, const void *data, size_t len);
int zmtp_encoder_ping(zmtp_encoder *e, uint16_t ttl, const void *context, size_t context_len);
int zmtp_encoder_pong(zmtp_encoder *e, const void *context, size_t context_len);
/* A subscription (subscribe = 1) or cancel (0) in the form the peer's minor version
 * wants: a SUBSCRIBE/CANCEL command for 3.1, a \x01/\x00 message for 3.0. */
int zmtp_encoder_subscription(zmtp_encoder *e, int peer_minor, int subscribe,
                              const void *topic, size_t topic_len);
int zmtp_encoder_ready(zmtp_encoder *e, const zmtp_property *props, size_t n);
int zmtp_encoder_error(zmtp_encoder *e, const char *reason, size_t reason_len);

/* ---- greeting ------------------------------------------------------------------ */

#define ZMTP_GREETING_SIZE 64
#define ZMTP_MECHANISM_SIZE 20

typedef struct zmtp_greeting {
    uint8_t major, minor;                   /* as the peer sent them */
    char mechanism[ZMTP_MECHANISM_SIZE + 1];/* NUL-terminated */
    int as_server;
} zmtp_greeting;

typedef struct zmtp_greeting_decoder {
    uint8_t buf[ZMTP_GREETING_SIZE];
    size_t have;
    int err;
} zmtp_greeting_decoder;

/* Our greeting: version 3.1, mechanism ("NULL", "PLAIN", "CURVE"), as-server. */
int zmtp_greeting_encode(uint8_t out[ZMTP_GREETING_SIZE], const char *mechanism, int as_server);
void zmtp_greeting_decoder_init(zmtp_greeting_decoder *g);
/* Consumes up to the end of the greeting. Returns bytes consumed (>= 0) and sets
 * *done once the 64 bytes are in and *out is filled; or a negative error
 * (ZMTP_E_NOT_ZMTP, _HTTP, _TLS, _OLD_VERSION) as soon as the first bytes show it. */
ptrdiff_t zmtp_greeting_decode(zmtp_greeting_decoder *g, const uint8_t *in, size_t len,
                               zmtp_greeting *out, int *done);
/* The minor version both sides speak: 0 with a 3.0 peer, else 1. */
int zmtp_version_negotiate(const zmtp_greeting *peer);

/* ---- handshake ------------------------------------------------------------------ */

typedef enum zmtp_mechanism {
    ZMTP_MECH_NULL = 0,
    ZMTP_MECH_PLAIN = 1,
    ZMTP_MECH_CURVE = 2
} zmtp_mechanism;

#define ZMTP_CURVE_KEY_SIZE 32

/* Where CURVE's randomness comes from: len random bytes into buf. */
typedef void (*zmtp_random_fn)(void *arg, uint8_t *buf, size_t len);

typedef struct zmtp_handshake_config {
    int socket_type;                 /* ZMTP_REQ ... */
    zmtp_mechanism mechanism;
    int as_server;                   /* PLAIN and CURVE: 1 on the server side */
    const char *username, *password; /* PLAIN client, NUL-terminated, up to 255 bytes */
    int auth;                        /* NULL: hold our READY until zmtp_handshake_auth() lets
                                        the peer in (a ZAP domain is set). A PLAIN or CURVE
                                        server always waits for that verdict, whatever
                                        this says. */
    const zmtp_property *props;      /* sent in READY/INITIATE after Socket-Type, e.g. */
    size_t nprops;                   /* {"Identity", 8, id, id_len}; not Socket-Type */
    size_t max_command;              /* largest handshake command accepted; 0: 8192 */
    /* Our identity frame for a ZMTP 1.0/2.0 peer (up to 255 bytes; empty: NULL, 0). libzmq
     * sends one whatever the socket type, and announces its length in the signature's
     * padding (length + 1), which a ZMTP 1.0 peer reads as the frame's header. */
    const uint8_t *routing_id;
    size_t routing_id_len;
    /* NULL without auth: after the greetings, hold our READY until the peer's READY
     * arrives or zmtp_handshake_release_ready(). libzmq 4.3.4 reads a READY that lands
     * with the end of our greeting before its own READY leaves, and on a socket-type
     * mismatch closes without it; the staged greeting makes that likely. Holding lets
     * libzmq's READY out first; the caller releases ours after a short wait, for a peer
     * that holds too (another zaio). */
    int hold_ready;
    /* CURVE (RFC 26), keys of ZMTP_CURVE_KEY_SIZE bytes, copied at creation: a server
     * needs its secret key only (its public key follows from it); a client its own key
     * pair and the server's public key. */
    const uint8_t *curve_public, *curve_secret, *curve_server;
    /* CURVE's short-term keys, cookie key and random nonces come from random (NULL:
     * libsodium's randombytes, the system's CSPRNG). Only tests and fuzzers pass their
     * own, so that a handshake replays byte for byte. */
    zmtp_random_fn random;
    void *random_arg;
} zmtp_handshake_config;

typedef struct zmtp_handshake zmtp_handshake;

/* ZMTP_HS_AUTH: the peer's credentials are in (a PLAIN server: its HELLO; a CURVE
 * server: its INITIATE, every box opened; NULL with auth: its greeting) and the
 * handshake goes no further until the caller, having asked its authority (ZAP, RFC 27),
 * gives the verdict with zmtp_handshake_auth(). Until then feeding consumes nothing: keep what the peer sends (a NULL peer's READY comes without
 * waiting for ours) and feed it after the verdict. */
enum { ZMTP_HS_RUNNING = 0, ZMTP_HS_DONE = 1, ZMTP_HS_AUTH = 2 };

/* Allocates a handshake and queues our greeting. NULL with *err on failure. */
zmtp_handshake *zmtp_handshake_new(const zmtp_handshake_config *cfg, int *err);
void zmtp_handshake_free(zmtp_handshake *h);
/* Bytes to send now (ours: greeting, commands, ERROR); *data valid until the next
 * feed or sent call. Call zmtp_handshake_sent() with what went out. */
size_t zmtp_handshake_output(const zmtp_handshake *h, const uint8_t **data);
void zmtp_handshake_sent(zmtp_handshake *h, size_t n);
/* Consumes peer bytes, never past the end of the handshake: the rest of in belongs to
 * the message stream. Returns bytes consumed or a negative error; after an error,
 * send what zmtp_handshake_output() holds (an ERROR command, maybe) and close. */
ptrdiff_t zmtp_handshake_feed(zmtp_handshake *h, const uint8_t *in, size_t len);
/* ZMTP_HS_RUNNING, ZMTP_HS_AUTH (see above), ZMTP_HS_DONE (the peer is ready; send the
 * output that remains before any message), or the negative error that ended it. */
int zmtp_handshake_status(const zmtp_handshake *h);
/* After the peer's greeting: the minor version spoken (0 or 1; 0 with a ZMTP 1.0/2.0
 * peer), else -1. */
int zmtp_handshake_minor(const zmtp_handshake *h);
/* After DONE: the framing the message phase speaks (ZMTP_FRAMING_V1, _V2 or _V3); the
 * caller sets its decoder and encoder to it. 0 before the peer's revision is known. */
int zmtp_handshake_framing(const zmtp_handshake *h);
/* 1 if the peer is a ZMTP 1.0 peer that sent no signature (libzmq 2.x): it sends no
 * subscriptions, so a publisher treats it as subscribed to everything, as libzmq does. */
int zmtp_handshake_peer_unversioned(const zmtp_handshake *h);
/* After DONE: the peer's socket type and its metadata (READY or INITIATE). A ZMTP 2.0
 * peer's metadata is made up from its greeting's socket type and its identity frame
 * (Socket-Type, Identity); an unversioned ZMTP 1.0 peer's holds the Identity only
 * (type -1). */
int zmtp_handshake_peer_socket_type(const zmtp_handshake *h);
void zmtp_handshake_peer_metadata(const zmtp_handshake *h, const uint8_t **md, size_t *len);
/* The peer's routing id ("Identity", or "Routing-Id"); 1 if present, else 0. */
int zmtp_handshake_peer_routing_id(const zmtp_handshake *h, const uint8_t **id, size_t *len);
/* From ZMTP_HS_AUTH on: a PLAIN server, the username and password of the peer's HELLO;
 * a CURVE server, the client's long-term public key (32 bytes) as user and an empty
 * password; NULL, both empty. */
void zmtp_handshake_credentials(const zmtp_handshake *h, const uint8_t **user, size_t *user_len,
                                const uint8_t **pass, size_t *pass_len);
/* The verdict on the peer, in ZMTP_HS_AUTH: a ZAP status code. 200 lets it in: ZMTP_OK,
 * and the handshake goes on (send its output, read its status). 300 refuses it without
 * a word (a temporary failure, as RFC 27 and libzmq have it), 400 and 500 with an ERROR
 * that carries the code: ZMTP_E_AUTH_DENIED, and the output holds what goes out before
 * the close. ZMTP_E_INVAL when no verdict is awaited or the code is none of these. */
int zmtp_handshake_auth(zmtp_handshake *h, int status);
/* 1 while our READY is held (hold_ready), waiting for the peer's. */
int zmtp_handshake_ready_held(const zmtp_handshake *h);
/* Queues the held READY now (nothing if none is held). */
void zmtp_handshake_release_ready(zmtp_handshake *h);
/* After ZMTP_E_PEER_ERROR: the reason the peer gave. */
void zmtp_handshake_error_reason(const zmtp_handshake *h, const uint8_t **reason, size_t *len);
/* After ZMTP_HS_DONE: a CURVE handshake's message-phase state, which the caller owns
 * from now on (zmtp_crypto_free); NULL for NULL and PLAIN, and on a second call. */
zmtp_crypto *zmtp_handshake_take_crypto(zmtp_handshake *h);

/* ---- CURVE (RFC 26, as libzmq 4.3.4 speaks it) ------------------------------------ */

/* 1 if this build has CURVE (libsodium), else 0: every call below then fails with
 * ZMTP_E_NO_CURVE, and so does a CURVE handshake. */
int zmtp_curve_available(void);
/* A new long-term key pair, or the public key of a secret one. ZMTP_OK or an error. */
int zmtp_curve_keypair(uint8_t pub[ZMTP_CURVE_KEY_SIZE], uint8_t sec[ZMTP_CURVE_KEY_SIZE]);
int zmtp_curve_public(uint8_t pub[ZMTP_CURVE_KEY_SIZE], const uint8_t sec[ZMTP_CURVE_KEY_SIZE]);
/* Zeros n bytes at p in a way the compiler cannot leave out, for secrets. */
void zmtp_wipe(void *p, size_t n);

/* After the handshake every frame travels sealed in a MESSAGE: a message frame (never
 * a command frame, as libzmq sends it; flags 0, LONG as needed) whose body is
 * "\x07MESSAGE", an 8-byte nonce that grows by one with every frame, then the box of
 * [flags + the frame's body], where flags holds MORE (1) and COMMAND (2): PING, PONG,
 * SUBSCRIBE and CANCEL travel inside as commands. ZMTP_CRYPTO_OVERHEAD is what sealing
 * adds to a body, header aside. */
#define ZMTP_CRYPTO_OVERHEAD 33
/* Wipes the session key and frees c (NULL is fine). */
void zmtp_crypto_free(zmtp_crypto *c);
/* The wire size of a frame of len bytes once sealed, header included. */
uint64_t zmtp_crypto_sealed_size(uint64_t len);
/* Seals one frame: flags ZMTP_FLAG_MORE for a message frame, or ZMTP_FLAG_COMMAND for a
 * command body (name-size, name, data). Writes the whole MESSAGE frame into out and
 * returns its size; ZMTP_E_NOSPACE (nothing written) or ZMTP_E_INVAL. */
ptrdiff_t zmtp_crypto_seal(zmtp_crypto *c, uint8_t *out, size_t cap, unsigned flags,
                           const void *body, size_t len);
/* Opens a MESSAGE: the flags and the whole body of a frame as the decoder reported
 * it (a FRAME, a COMMAND, or a streamed one gathered by the caller). The plaintext goes
 * to out, which needs len - 32 bytes and may be body + 32 to open in place; the frame
 * it carried is *frame (inside out), *frame_len bytes, with *flags ZMTP_FLAG_MORE or
 * ZMTP_FLAG_COMMAND. ZMTP_OK; or ZMTP_E_UNEXPECTED_COMMAND (not a MESSAGE),
 * ZMTP_E_MALFORMED_MESSAGE, ZMTP_E_NONCE (replayed or reordered), ZMTP_E_CRYPTO (the box
 * does not open), ZMTP_E_RESERVED_FLAGS, ZMTP_E_COMMAND_MORE; after an error c fails
 * every call with it. */
int zmtp_crypto_open(zmtp_crypto *c, unsigned frame_flags, const uint8_t *body, size_t len,
                     uint8_t *out, size_t out_cap, unsigned *flags, uint8_t **frame,
                     size_t *frame_len);

#ifdef __cplusplus
}
#endif

#endif
