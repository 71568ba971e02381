/* ipc_addr.c - ipc:// endpoints as libzmq 4.3.4 names them: a filesystem path, "@name"
 * in Linux's abstract namespace, or "*" (bind only): a fresh path in a directory of its
 * own under TMPDIR, reported in LAST_ENDPOINT. The connection itself is a Unix-domain
 * stream socket, carried by the same proactor, listener and session as tcp://. */
#include "wire/wire.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int zipc_resolve(const char *path, bool for_bind, ztcp_addr *out, char *tmpdir, size_t tmpcap)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
    memset(out, 0, sizeof *out);
    un->sun_family = AF_UNIX;
    if (tmpdir && tmpcap)
        tmpdir[0] = 0;
    char wild[sizeof un->sun_path];
    if (strcmp(path, "*") == 0) {
        if (!for_bind || !tmpdir)
            return -EINVAL;
        const char *base = getenv("TMPDIR");
        if (!base || !*base)
            base = "/tmp";
        if ((size_t)snprintf(tmpdir, tmpcap, "%s/zaio-ipc-XXXXXX", base) >= tmpcap) {
            tmpdir[0] = 0;
            return -ENAMETOOLONG;
        }
        if (!mkdtemp(tmpdir)) {
            int err = errno;
            tmpdir[0] = 0;
            return -err;
        }
        if ((size_t)snprintf(wild, sizeof wild, "%s/socket", tmpdir) >= sizeof wild) {
            rmdir(tmpdir);
            tmpdir[0] = 0;
            return -ENAMETOOLONG;
        }
        path = wild;
    }
    size_t n = strlen(path);
    if (n == 0)
        return -EINVAL;
    /* sun_path keeps a NUL after a path; an abstract name has none and may fill it */
    if (path[0] == '@' ? n > sizeof un->sun_path : n >= sizeof un->sun_path)
        return -ENAMETOOLONG;
    memcpy(un->sun_path, path, n);
    if (path[0] == '@') {
        un->sun_path[0] = 0;
        out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

void zipc_format(const ztcp_addr *a, char *out, size_t cap)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
    size_t n = a->len > offsetof(struct sockaddr_un, sun_path)
                   ? (size_t)a->len - offsetof(struct sockaddr_un, sun_path)
                   : 0;
    if (n && un->sun_path[0] == 0) /* abstract: "@" and the name, no NUL */
        snprintf(out, cap, "ipc://@%.*s", (int)(n - 1), un->sun_path + 1);
    else
        snprintf(out, cap, "ipc://%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
}

/* A socket file left by a process that died would make bind fail with EADDRINUSE. As
 * libzmq: if nothing accepts on it, it is stale and goes; if something does, the
 * address is in use. Other files are never touched. */
int zipc_clear_stale(const ztcp_addr *a)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
    if (un->sun_path[0] == 0)
        return 0; /* abstract names vanish with their last socket */
    struct stat st;
    if (lstat(un->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return 0;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = connect(fd, (const struct sockaddr *)un, a->len);
    int err = errno;
    close(fd);
    if (rc == 0)
        return -EADDRINUSE;
    if (err == ECONNREFUSED && unlink(un->sun_path) != 0 && errno != ENOENT)
        return -errno;
    return 0;
}

void zipc_remove(const ztcp_addr *a, const char *tmpdir)
{
    const struct sockaddr_un *un = a ? (const struct sockaddr_un *)&a->ss : NULL;
    if (un && un->sun_path[0] != 0)
        (void)unlink(un->sun_path);
    if (tmpdir && *tmpdir)
        (void)rmdir(tmpdir);
}

#else /* Windows: no ipc:// (see asyncio/README.md) */

int zipc_resolve(const char *path, bool for_bind, ztcp_addr *out, char *tmpdir, size_t tmpcap)
{
    (void)path, (void)for_bind, (void)out, (void)tmpdir, (void)tmpcap;
    return -EPROTONOSUPPORT;
}
void zipc_format(const ztcp_addr *a, char *out, size_t cap) { (void)a, (void)out, (void)cap; }
int zipc_clear_stale(const ztcp_addr *a) { (void)a; return -EPROTONOSUPPORT; }
void zipc_remove(const ztcp_addr *a, const char *tmpdir) { (void)a, (void)tmpdir; }

#endif
