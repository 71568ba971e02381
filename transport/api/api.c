/* api.c - the zaio_* socket calls: argument checks and the thin layer over socket.c.
 * Internals return -errno; here it becomes -1 and zaio_errno() (core/error.c). */
#include "core/ctx.h"
#include "core/error.h"
#include "core/socket.h"

#include <errno.h>
#include <string.h>

#include "zmtp.h"


void zaio_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = ZAIO_VERSION_MAJOR;
    if (minor)
        *minor = ZAIO_VERSION_MINOR;
    if (patch)
        *patch = ZAIO_VERSION_PATCH;
}

void zaio_api_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = ZAIO_API_VERSION_MAJOR;
    if (minor)
        *minor = ZAIO_API_VERSION_MINOR;
    if (patch)
        *patch = ZAIO_API_VERSION_PATCH;
}

int zaio_has(const char *capability)
{
    /* libzmq's own names (ipc, pgm, tipc, norm, curve, gssapi, draft) belong here as
     * zaio gains them. ipc:// is there on POSIX (wire/ipc_addr.c refuses it on Windows),
     * CURVE where libsodium is. */
    static const char *const have[] = {"tcp", "inproc", "plain"};
    if (!capability)
        return 0;
    if (strcmp(capability, "curve") == 0)
        return zmtp_curve_available();
    if (strcmp(capability, "ipc") == 0) {
#ifdef _WIN32
        return 0;
#else
        return 1;
#endif
    }
    for (size_t i = 0; i < sizeof have / sizeof have[0]; i++)
        if (strcmp(capability, have[i]) == 0)
            return 1;
    return 0;
}


static zsock *sock_check(void *p)
{
    zsock *s = p;
    if (!s || s->tag != ZSOCK_TAG) {
        zaio__set_errno(-ENOTSOCK);
        return NULL;
    }
    return s;
}

static int ret(int rc) { return rc < 0 ? zaio__set_errno(rc) : rc; }

void *zaio_socket(void *ctx, int type)
{
    zctx *c = ctx;
    if (!c || c->tag != ZCTX_TAG) {
        zaio__set_errno(-EFAULT);
        return NULL;
    }
    if (zctx_terminating(c)) {
        zaio__set_errno(-ZAIO_ETERM);
        return NULL;
    }
    zsock *s;
    int rc = zsock_new(c, type, &s);
    if (rc < 0) {
        zaio__set_errno(rc);
        return NULL;
    }
    return s;
}

int zaio_close(void *socket)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    zsock_close(s);
    return 0;
}

int zaio_setsockopt(void *socket, int option, const void *value, size_t len)
{
    zsock *s = sock_check(socket);
    return s ? ret(zsock_setopt(s, option, value, len)) : -1;
}

int zaio_getsockopt(void *socket, int option, void *value, size_t *len)
{
    zsock *s = sock_check(socket);
    return s ? ret(zsock_getopt(s, option, value, len)) : -1;
}

int zaio_bind(void *socket, const char *endpoint)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    if (!endpoint)
        return zaio__set_errno(-EINVAL);
    if (zctx_terminating(s->ctx))
        return zaio__set_errno(-ZAIO_ETERM);
    return ret(zsock_bind(s, endpoint));
}

int zaio_connect(void *socket, const char *endpoint)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    if (!endpoint)
        return zaio__set_errno(-EINVAL);
    if (zctx_terminating(s->ctx))
        return zaio__set_errno(-ZAIO_ETERM);
    return ret(zsock_connect(s, endpoint));
}

int zaio_unbind(void *socket, const char *endpoint)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    return endpoint ? ret(zsock_endpoint_close(s, endpoint, true)) : zaio__set_errno(-EINVAL);
}

int zaio_disconnect(void *socket, const char *endpoint)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    return endpoint ? ret(zsock_endpoint_close(s, endpoint, false)) : zaio__set_errno(-EINVAL);
}

int zaio_msg_send(zaio_msg_t *msg, void *socket, int flags)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    zmsg *m = zmsg_of(msg);
    size_t size = m->size;
    int rc = zsock_send(s, m, flags);
    if (rc < 0)
        return zaio__set_errno(rc);
    zmsg_init(m); /* sent: the caller's message is empty, as with zmq_msg_send */
    return size > INT32_MAX ? INT32_MAX : (int)size;
}

int zaio_msg_recv(zaio_msg_t *msg, void *socket, int flags)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    zmsg *m = zmsg_of(msg);
    int rc = zsock_recv(s, m, flags);
    if (rc < 0)
        return zaio__set_errno(rc);
    return m->size > INT32_MAX ? INT32_MAX : (int)m->size;
}

/* Sends m (built by the caller from len bytes); closes it on failure. */
static int send_built(zsock *s, zmsg *m, size_t len, int flags)
{
    int rc = zsock_send(s, m, flags);
    if (rc < 0) {
        zmsg_close(m);
        return zaio__set_errno(rc);
    }
    return len > INT32_MAX ? INT32_MAX : (int)len;
}

int zaio_send(void *socket, const void *buf, size_t len, int flags)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    if (len && !buf)
        return zaio__set_errno(-EFAULT);
    zmsg m;
    int rc = zmsg_init_copy(&m, buf, len);
    if (rc < 0)
        return zaio__set_errno(rc);
    return send_built(s, &m, len, flags);
}

int zaio_send_const(void *socket, const void *buf, size_t len, int flags)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    if (len && !buf)
        return zaio__set_errno(-EFAULT);
    zmsg m;
    zmsg_init(&m);
    if (len <= ZMSG_VSM) {
        if (len)
            memcpy(m.vsm, buf, len);
        m.size = len;
    } else {
        /* constant memory: wrapped, never freed by zaio */
        aio_buf *b;
        int rc = aio_buf_wrap((void *)(uintptr_t)buf, len, NULL, NULL, &b);
        if (rc < 0)
            return zaio__set_errno(rc);
        m.buf = b;
        m.size = len;
    }
    return send_built(s, &m, len, flags);
}

int zaio_recv(void *socket, void *buf, size_t len, int flags)
{
    zsock *s = sock_check(socket);
    if (!s)
        return -1;
    zmsg m;
    zmsg_init(&m);
    int rc = zsock_recv(s, &m, flags);
    if (rc < 0)
        return zaio__set_errno(rc);
    size_t n = m.size < len ? m.size : len;
    if (n)
        memcpy(buf, zmsg_data(&m), n);
    size_t size = m.size;
    zmsg_close(&m);
    return size > INT32_MAX ? INT32_MAX : (int)size;
}
