/* zaio_zmq.h - lets a program written for zmq.h build against zaio unchanged:
 *
 *     #include <zaio_zmq.h>    (instead of <zmq.h>)
 *
 * Every zmq_ call and ZMQ_ constant that zaio provides is mapped onto its zaio_ twin
 * (same signature, same numbers: see zaio.h). Calls zaio lacks are left undefined, so a
 * program using them fails to compile rather than behave differently. */
#ifndef ZAIO_ZMQ_H
#define ZAIO_ZMQ_H

#include "zaio.h"

/* zmq.h's version is the libzmq API level zaio implements (zaio_version is zaio's) */
#define ZMQ_VERSION_MAJOR ZAIO_API_VERSION_MAJOR
#define ZMQ_VERSION_MINOR ZAIO_API_VERSION_MINOR
#define ZMQ_VERSION_PATCH ZAIO_API_VERSION_PATCH
#define ZMQ_MAKE_VERSION(major, minor, patch) ((major)*10000 + (minor)*100 + (patch))
#define ZMQ_VERSION ZMQ_MAKE_VERSION(ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH)

/* types */
#define zmq_msg_t zaio_msg_t
#define zmq_pollitem_t zaio_pollitem_t
#define zmq_free_fn zaio_free_fn
#define zmq_fd_t zaio_fd_t
#define zmq_poller_event_t zaio_poller_event_t
#define zmq_timer_fn zaio_timer_fn
#define zmq_thread_fn zaio_thread_fn

/* errors libzmq defines itself */
#define EFSM ZAIO_EFSM
#define ENOCOMPATPROTO ZAIO_ENOCOMPATPROTO
#define ETERM ZAIO_ETERM
#define EMTHREAD ZAIO_EMTHREAD

/* calls */
#define zmq_bind zaio_bind
#define zmq_close zaio_close
#define zmq_connect zaio_connect
#define zmq_ctx_get zaio_ctx_get
#define zmq_ctx_new zaio_ctx_new
#define zmq_ctx_set zaio_ctx_set
#define zmq_ctx_shutdown zaio_ctx_shutdown
#define zmq_ctx_term zaio_ctx_term
#define zmq_disconnect zaio_disconnect
#define zmq_errno zaio_errno
#define zmq_getsockopt zaio_getsockopt
#define zmq_msg_close zaio_msg_close
#define zmq_msg_copy zaio_msg_copy
#define zmq_msg_data zaio_msg_data
#define zmq_msg_get zaio_msg_get
#define zmq_msg_gets zaio_msg_gets
#define zmq_msg_init zaio_msg_init
#define zmq_msg_init_data zaio_msg_init_data
#define zmq_msg_init_size zaio_msg_init_size
#define zmq_msg_more zaio_msg_more
#define zmq_msg_move zaio_msg_move
#define zmq_msg_recv zaio_msg_recv
#define zmq_msg_send zaio_msg_send
#define zmq_msg_set zaio_msg_set
#define zmq_msg_size zaio_msg_size
#define zmq_poll zaio_poll
#define zmq_proxy zaio_proxy
#define zmq_recv zaio_recv
#define zmq_send zaio_send
#define zmq_send_const zaio_send_const
#define zmq_setsockopt zaio_setsockopt
#define zmq_socket zaio_socket
#define zmq_socket_monitor zaio_socket_monitor
#define zmq_strerror zaio_strerror
#define zmq_unbind zaio_unbind
#define zmq_version zaio_api_version
#define zmq_has zaio_has
#define zmq_proxy_steerable zaio_proxy_steerable
#define zmq_sendiov zaio_sendiov
#define zmq_recviov zaio_recviov
#define zmq_z85_encode zaio_z85_encode
#define zmq_z85_decode zaio_z85_decode
#define zmq_curve_keypair zaio_curve_keypair
#define zmq_curve_public zaio_curve_public
#define zmq_atomic_counter_new zaio_atomic_counter_new
#define zmq_atomic_counter_set zaio_atomic_counter_set
#define zmq_atomic_counter_inc zaio_atomic_counter_inc
#define zmq_atomic_counter_dec zaio_atomic_counter_dec
#define zmq_atomic_counter_value zaio_atomic_counter_value
#define zmq_atomic_counter_destroy zaio_atomic_counter_destroy
#define zmq_timers_new zaio_timers_new
#define zmq_timers_destroy zaio_timers_destroy
#define zmq_timers_add zaio_timers_add
#define zmq_timers_cancel zaio_timers_cancel
#define zmq_timers_set_interval zaio_timers_set_interval
#define zmq_timers_reset zaio_timers_reset
#define zmq_timers_timeout zaio_timers_timeout
#define zmq_timers_execute zaio_timers_execute
#define zmq_stopwatch_start zaio_stopwatch_start
#define zmq_stopwatch_intermediate zaio_stopwatch_intermediate
#define zmq_stopwatch_stop zaio_stopwatch_stop
#define zmq_sleep zaio_sleep
#define zmq_threadstart zaio_threadstart
#define zmq_threadclose zaio_threadclose

/* libzmq's draft API that programs use: the poller and zmq_msg_init_buffer. Given
 * whether or not ZMQ_BUILD_DRAFT_API is defined, since zaio has them either way; the
 * draft socket types and zmq_msg_routing_id / set_routing_id (for SERVER and CLIENT)
 * are not here, as zaio does not have those types. */
#define zmq_msg_init_buffer zaio_msg_init_buffer
#define zmq_poller_new zaio_poller_new
#define zmq_poller_destroy zaio_poller_destroy
#define zmq_poller_size zaio_poller_size
#define zmq_poller_add zaio_poller_add
#define zmq_poller_modify zaio_poller_modify
#define zmq_poller_remove zaio_poller_remove
#define zmq_poller_add_fd zaio_poller_add_fd
#define zmq_poller_modify_fd zaio_poller_modify_fd
#define zmq_poller_remove_fd zaio_poller_remove_fd
#define zmq_poller_wait zaio_poller_wait
#define zmq_poller_wait_all zaio_poller_wait_all
#define zmq_poller_fd zaio_poller_fd

/* Deprecated spellings, still common. Object-like, like the rest, so a program may
 * take their address as it can of libzmq's; the ones whose arguments differ from a
 * zaio call go through a small inline function. */
#define zmq_ctx_destroy zaio_ctx_term
#define zmq_term zaio_ctx_term
#define zmq_init zaio__zmq_init
#define zmq_sendmsg zaio__zmq_sendmsg
#define zmq_recvmsg zaio__zmq_recvmsg
#define zmq_device zaio__zmq_device

static inline void *zaio__zmq_init(int io_threads)
{
    void *ctx = zaio_ctx_new();
    if (ctx && io_threads > 0)
        zaio_ctx_set(ctx, ZAIO_IO_THREADS, io_threads);
    return ctx;
}

static inline int zaio__zmq_sendmsg(void *s, zaio_msg_t *msg, int flags)
{
    return zaio_msg_send(msg, s, flags);
}

static inline int zaio__zmq_recvmsg(void *s, zaio_msg_t *msg, int flags)
{
    return zaio_msg_recv(msg, s, flags);
}

/* As in libzmq, the device type is not looked at: every device is a proxy. */
static inline int zaio__zmq_device(int type, void *frontend, void *backend)
{
    (void)type;
    return zaio_proxy(frontend, backend, NULL);
}

/* what zmq.h says it has, for programs that test before they use */
#define ZMQ_HAS_CAPABILITIES 1
#define ZMQ_HAVE_TIMERS
#define ZMQ_HAVE_POLLER

/* zmq_device's types (deprecated; zaio, like libzmq, ignores them) */
#define ZMQ_STREAMER 1
#define ZMQ_FORWARDER 2
#define ZMQ_QUEUE 3

/* constants */
#define ZMQ_HAUSNUMERO ZAIO_HAUSNUMERO
#define ZMQ_IO_THREADS ZAIO_IO_THREADS
#define ZMQ_MAX_SOCKETS ZAIO_MAX_SOCKETS
#define ZMQ_SOCKET_LIMIT ZAIO_SOCKET_LIMIT
#define ZMQ_MAX_MSGSZ ZAIO_MAX_MSGSZ
#define ZMQ_MSG_T_SIZE ZAIO_MSG_T_SIZE
#define ZMQ_IO_THREADS_DFLT ZAIO_IO_THREADS_DFLT
#define ZMQ_MAX_SOCKETS_DFLT ZAIO_MAX_SOCKETS_DFLT
#define ZMQ_MORE ZAIO_MORE
#define ZMQ_SHARED ZAIO_SHARED
#define ZMQ_PAIR ZAIO_PAIR
#define ZMQ_PUB ZAIO_PUB
#define ZMQ_SUB ZAIO_SUB
#define ZMQ_REQ ZAIO_REQ
#define ZMQ_REP ZAIO_REP
#define ZMQ_DEALER ZAIO_DEALER
#define ZMQ_ROUTER ZAIO_ROUTER
#define ZMQ_PULL ZAIO_PULL
#define ZMQ_PUSH ZAIO_PUSH
#define ZMQ_XPUB ZAIO_XPUB
#define ZMQ_XSUB ZAIO_XSUB
#define ZMQ_STREAM ZAIO_STREAM
#define ZMQ_AFFINITY ZAIO_AFFINITY
#define ZMQ_ROUTING_ID ZAIO_ROUTING_ID
#define ZMQ_IDENTITY ZAIO_IDENTITY
#define ZMQ_SUBSCRIBE ZAIO_SUBSCRIBE
#define ZMQ_UNSUBSCRIBE ZAIO_UNSUBSCRIBE
#define ZMQ_SNDBUF ZAIO_SNDBUF
#define ZMQ_RCVBUF ZAIO_RCVBUF
#define ZMQ_RCVMORE ZAIO_RCVMORE
#define ZMQ_FD ZAIO_FD
#define ZMQ_EVENTS ZAIO_EVENTS
#define ZMQ_TYPE ZAIO_TYPE
#define ZMQ_LINGER ZAIO_LINGER
#define ZMQ_RECONNECT_IVL ZAIO_RECONNECT_IVL
#define ZMQ_BACKLOG ZAIO_BACKLOG
#define ZMQ_RECONNECT_IVL_MAX ZAIO_RECONNECT_IVL_MAX
#define ZMQ_MAXMSGSIZE ZAIO_MAXMSGSIZE
#define ZMQ_SNDHWM ZAIO_SNDHWM
#define ZMQ_RCVHWM ZAIO_RCVHWM
#define ZMQ_RCVTIMEO ZAIO_RCVTIMEO
#define ZMQ_SNDTIMEO ZAIO_SNDTIMEO
#define ZMQ_IPV4ONLY ZAIO_IPV4ONLY
#define ZMQ_LAST_ENDPOINT ZAIO_LAST_ENDPOINT
#define ZMQ_ROUTER_MANDATORY ZAIO_ROUTER_MANDATORY
#define ZMQ_ROUTER_HANDOVER ZAIO_ROUTER_HANDOVER
#define ZMQ_TCP_KEEPALIVE ZAIO_TCP_KEEPALIVE
#define ZMQ_TCP_KEEPALIVE_CNT ZAIO_TCP_KEEPALIVE_CNT
#define ZMQ_TCP_KEEPALIVE_IDLE ZAIO_TCP_KEEPALIVE_IDLE
#define ZMQ_TCP_KEEPALIVE_INTVL ZAIO_TCP_KEEPALIVE_INTVL
#define ZMQ_IMMEDIATE ZAIO_IMMEDIATE
#define ZMQ_XPUB_VERBOSE ZAIO_XPUB_VERBOSE
#define ZMQ_IPV6 ZAIO_IPV6
#define ZMQ_MECHANISM ZAIO_MECHANISM
#define ZMQ_PLAIN_SERVER ZAIO_PLAIN_SERVER
#define ZMQ_PLAIN_USERNAME ZAIO_PLAIN_USERNAME
#define ZMQ_PLAIN_PASSWORD ZAIO_PLAIN_PASSWORD
#define ZMQ_CURVE_SERVER ZAIO_CURVE_SERVER
#define ZMQ_CURVE_PUBLICKEY ZAIO_CURVE_PUBLICKEY
#define ZMQ_CURVE_SECRETKEY ZAIO_CURVE_SECRETKEY
#define ZMQ_CURVE_SERVERKEY ZAIO_CURVE_SERVERKEY
#define ZMQ_ZAP_DOMAIN ZAIO_ZAP_DOMAIN
#define ZMQ_IPC_FILTER_PID ZAIO_IPC_FILTER_PID
#define ZMQ_IPC_FILTER_UID ZAIO_IPC_FILTER_UID
#define ZMQ_IPC_FILTER_GID ZAIO_IPC_FILTER_GID
#define ZMQ_ZAP_ENFORCE_DOMAIN ZAIO_ZAP_ENFORCE_DOMAIN
#define ZMQ_CONFLATE ZAIO_CONFLATE
#define ZMQ_REQ_CORRELATE ZAIO_REQ_CORRELATE
#define ZMQ_REQ_RELAXED ZAIO_REQ_RELAXED
#define ZMQ_HANDSHAKE_IVL ZAIO_HANDSHAKE_IVL
#define ZMQ_HEARTBEAT_IVL ZAIO_HEARTBEAT_IVL
#define ZMQ_HEARTBEAT_TTL ZAIO_HEARTBEAT_TTL
#define ZMQ_HEARTBEAT_TIMEOUT ZAIO_HEARTBEAT_TIMEOUT
#define ZMQ_CONNECT_TIMEOUT ZAIO_CONNECT_TIMEOUT
#define ZMQ_NULL ZAIO_NULL
#define ZMQ_PLAIN ZAIO_PLAIN
#define ZMQ_CURVE ZAIO_CURVE
#define ZMQ_DONTWAIT ZAIO_DONTWAIT
#define ZMQ_SNDMORE ZAIO_SNDMORE
#define ZMQ_EVENT_CONNECTED ZAIO_EVENT_CONNECTED
#define ZMQ_EVENT_CONNECT_DELAYED ZAIO_EVENT_CONNECT_DELAYED
#define ZMQ_EVENT_CONNECT_RETRIED ZAIO_EVENT_CONNECT_RETRIED
#define ZMQ_EVENT_LISTENING ZAIO_EVENT_LISTENING
#define ZMQ_EVENT_BIND_FAILED ZAIO_EVENT_BIND_FAILED
#define ZMQ_EVENT_ACCEPTED ZAIO_EVENT_ACCEPTED
#define ZMQ_EVENT_ACCEPT_FAILED ZAIO_EVENT_ACCEPT_FAILED
#define ZMQ_EVENT_CLOSED ZAIO_EVENT_CLOSED
#define ZMQ_EVENT_CLOSE_FAILED ZAIO_EVENT_CLOSE_FAILED
#define ZMQ_EVENT_DISCONNECTED ZAIO_EVENT_DISCONNECTED
#define ZMQ_EVENT_MONITOR_STOPPED ZAIO_EVENT_MONITOR_STOPPED
#define ZMQ_EVENT_ALL ZAIO_EVENT_ALL
#define ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ZAIO_EVENT_HANDSHAKE_FAILED_NO_DETAIL
#define ZMQ_EVENT_HANDSHAKE_SUCCEEDED ZAIO_EVENT_HANDSHAKE_SUCCEEDED
#define ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ZAIO_EVENT_HANDSHAKE_FAILED_PROTOCOL
#define ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ZAIO_EVENT_HANDSHAKE_FAILED_AUTH
#define ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED ZAIO_PROTOCOL_ERROR_ZMTP_UNSPECIFIED
#define ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND ZAIO_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND
#define ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE
#define ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE ZAIO_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME ZAIO_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME
#define ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA ZAIO_PROTOCOL_ERROR_ZMTP_INVALID_METADATA
#define ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC ZAIO_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
#define ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH ZAIO_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
#define ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED ZAIO_PROTOCOL_ERROR_ZAP_UNSPECIFIED
#define ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY ZAIO_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
#define ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID ZAIO_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID
#define ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION ZAIO_PROTOCOL_ERROR_ZAP_BAD_VERSION
#define ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE ZAIO_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
#define ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA ZAIO_PROTOCOL_ERROR_ZAP_INVALID_METADATA
#define ZMQ_POLLIN ZAIO_POLLIN
#define ZMQ_POLLOUT ZAIO_POLLOUT
#define ZMQ_POLLERR ZAIO_POLLERR
#define ZMQ_POLLPRI ZAIO_POLLPRI
#define ZMQ_POLLITEMS_DFLT ZAIO_POLLITEMS_DFLT

/* the rest of libzmq 4.3.4's context and socket options (zaio.h says how each behaves;
 * the GSSAPI, SOCKS and VMCI ones fail with EINVAL, as in a libzmq built without them) */
#define ZMQ_THREAD_PRIORITY ZAIO_THREAD_PRIORITY
#define ZMQ_THREAD_SCHED_POLICY ZAIO_THREAD_SCHED_POLICY
#define ZMQ_THREAD_AFFINITY_CPU_ADD ZAIO_THREAD_AFFINITY_CPU_ADD
#define ZMQ_THREAD_AFFINITY_CPU_REMOVE ZAIO_THREAD_AFFINITY_CPU_REMOVE
#define ZMQ_THREAD_NAME_PREFIX ZAIO_THREAD_NAME_PREFIX
#define ZMQ_THREAD_PRIORITY_DFLT ZAIO_THREAD_PRIORITY_DFLT
#define ZMQ_THREAD_SCHED_POLICY_DFLT ZAIO_THREAD_SCHED_POLICY_DFLT
#define ZMQ_BLOCKY ZAIO_BLOCKY
#define ZMQ_RATE ZAIO_RATE
#define ZMQ_RECOVERY_IVL ZAIO_RECOVERY_IVL
#define ZMQ_MULTICAST_HOPS ZAIO_MULTICAST_HOPS
#define ZMQ_TCP_ACCEPT_FILTER ZAIO_TCP_ACCEPT_FILTER
#define ZMQ_PROBE_ROUTER ZAIO_PROBE_ROUTER
#define ZMQ_TOS ZAIO_TOS
#define ZMQ_CONNECT_ROUTING_ID ZAIO_CONNECT_ROUTING_ID
#define ZMQ_CONNECT_RID ZAIO_CONNECT_RID
#define ZMQ_GSSAPI_SERVER ZAIO_GSSAPI_SERVER
#define ZMQ_GSSAPI_PRINCIPAL ZAIO_GSSAPI_PRINCIPAL
#define ZMQ_GSSAPI_SERVICE_PRINCIPAL ZAIO_GSSAPI_SERVICE_PRINCIPAL
#define ZMQ_GSSAPI_PLAINTEXT ZAIO_GSSAPI_PLAINTEXT
#define ZMQ_SOCKS_PROXY ZAIO_SOCKS_PROXY
#define ZMQ_XPUB_NODROP ZAIO_XPUB_NODROP
#define ZMQ_XPUB_MANUAL ZAIO_XPUB_MANUAL
#define ZMQ_XPUB_WELCOME_MSG ZAIO_XPUB_WELCOME_MSG
#define ZMQ_INVERT_MATCHING ZAIO_INVERT_MATCHING
#define ZMQ_XPUB_VERBOSER ZAIO_XPUB_VERBOSER
#define ZMQ_TCP_MAXRT ZAIO_TCP_MAXRT
#define ZMQ_THREAD_SAFE ZAIO_THREAD_SAFE
#define ZMQ_MULTICAST_MAXTPDU ZAIO_MULTICAST_MAXTPDU
#define ZMQ_VMCI_BUFFER_SIZE ZAIO_VMCI_BUFFER_SIZE
#define ZMQ_VMCI_BUFFER_MIN_SIZE ZAIO_VMCI_BUFFER_MIN_SIZE
#define ZMQ_VMCI_BUFFER_MAX_SIZE ZAIO_VMCI_BUFFER_MAX_SIZE
#define ZMQ_VMCI_CONNECT_TIMEOUT ZAIO_VMCI_CONNECT_TIMEOUT
#define ZMQ_USE_FD ZAIO_USE_FD
#define ZMQ_GSSAPI_PRINCIPAL_NAMETYPE ZAIO_GSSAPI_PRINCIPAL_NAMETYPE
#define ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE ZAIO_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE
#define ZMQ_BINDTODEVICE ZAIO_BINDTODEVICE
#define ZMQ_STREAM_NOTIFY ZAIO_STREAM_NOTIFY
/* draft in libzmq 4.3.4, defined whether or not ZMQ_BUILD_DRAFT_API is, since zaio has
 * them either way (as the poller above) */
#define ZMQ_ZERO_COPY_RECV ZAIO_ZERO_COPY_RECV
#define ZMQ_LOOPBACK_FASTPATH ZAIO_LOOPBACK_FASTPATH
#define ZMQ_METADATA ZAIO_METADATA
#define ZMQ_MULTICAST_LOOP ZAIO_MULTICAST_LOOP
#define ZMQ_ROUTER_NOTIFY ZAIO_ROUTER_NOTIFY
#define ZMQ_XPUB_MANUAL_LAST_VALUE ZAIO_XPUB_MANUAL_LAST_VALUE
#define ZMQ_NOTIFY_CONNECT ZAIO_NOTIFY_CONNECT
#define ZMQ_NOTIFY_DISCONNECT ZAIO_NOTIFY_DISCONNECT

#endif
