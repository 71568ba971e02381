/* errors.c - the names of zmtp's errors. */
#include "zmtp.h"

const char *zmtp_strerror(int err)
{
    switch (err) {
    case ZMTP_OK: return "success";
    case ZMTP_E_INVAL: return "invalid argument";
    case ZMTP_E_NOSPACE: return "output buffer too small";
    case ZMTP_E_NOMEM: return "out of memory";
    case ZMTP_E_NO_CURVE: return "CURVE is not in this build (no libsodium)";
    case ZMTP_E_NOT_ZMTP: return "peer is not speaking ZMTP (no signature)";
    case ZMTP_E_HTTP: return "peer sent an HTTP request, not ZMTP";
    case ZMTP_E_TLS: return "peer started a TLS handshake, not ZMTP";
    case ZMTP_E_OLD_VERSION:
        return "peer speaks ZMTP 1.0 or 2.0, which has no security: refused (mechanism or ZAP set)";
    case ZMTP_E_MECHANISM: return "security mechanism mismatch";
    case ZMTP_E_ROLE: return "both peers claim the PLAIN server role";
    case ZMTP_E_RESERVED_FLAGS: return "frame has reserved flag bits set";
    case ZMTP_E_COMMAND_MORE: return "command frame has the MORE flag";
    case ZMTP_E_SIZE_OVERFLOW: return "frame size above 2^63-1";
    case ZMTP_E_TOO_LARGE: return "frame above the maximum message size";
    case ZMTP_E_COMMAND_TOO_LARGE: return "command frame larger than the decoder's buffer";
    case ZMTP_E_EMPTY_FRAME: return "ZMTP 1.0 frame of length 0";
    case ZMTP_E_MALFORMED_COMMAND: return "malformed command";
    case ZMTP_E_MALFORMED_METADATA: return "malformed metadata";
    case ZMTP_E_MALFORMED_PING: return "malformed PING";
    case ZMTP_E_MALFORMED_HELLO: return "malformed HELLO";
    case ZMTP_E_MALFORMED_ERROR: return "malformed ERROR";
    case ZMTP_E_UNEXPECTED_COMMAND: return "unexpected command during the handshake";
    case ZMTP_E_UNEXPECTED_MESSAGE: return "message frame before the handshake completed";
    case ZMTP_E_MALFORMED_WELCOME: return "malformed WELCOME";
    case ZMTP_E_MALFORMED_INITIATE: return "malformed INITIATE";
    case ZMTP_E_MALFORMED_READY: return "malformed READY";
    case ZMTP_E_NO_SOCKET_TYPE: return "peer metadata lacks Socket-Type";
    case ZMTP_E_UNKNOWN_SOCKET_TYPE: return "unknown socket type";
    case ZMTP_E_SOCKET_TYPE_MISMATCH: return "socket types cannot talk to each other";
    case ZMTP_E_PEER_ERROR: return "peer sent ERROR";
    case ZMTP_E_AUTH_DENIED: return "the peer was refused (ZAP)";
    case ZMTP_E_CRYPTO: return "a CURVE box did not open (wrong key, or tampered with)";
    case ZMTP_E_KEY_EXCHANGE: return "the CURVE vouch names other keys";
    case ZMTP_E_NONCE: return "a CURVE nonce did not increase (replayed or reordered)";
    case ZMTP_E_MALFORMED_MESSAGE: return "malformed MESSAGE";
    default: return "unknown zmtp error";
    }
}
