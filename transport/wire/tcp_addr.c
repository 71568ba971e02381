/* tcp_addr.c - "host:port" for tcp:// endpoints, both ways.
 *
 * Accepted forms, as libzmq 4.3 takes them: "1.2.3.4:5555", "[::1]:5555" (IPv6 in
 * brackets; a bare "::1:5555" also works, the port being what follows the last colon),
 * "localhost:5555" (getaddrinfo), "*:5555" and "*:*" / "host:0" for bind (any address,
 * any port). A literal IPv6 address is taken even without ZAIO_IPV6: whoever wrote one
 * asked for IPv6; the option decides only what "*" and host names resolve to. Names
 * are resolved once, on the caller's thread, when the endpoint is opened: the I/O
 * threads never block in the resolver. */
#include "wire/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#endif

#define HOST_MAX 256

/* Splits "host:port" into host (brackets stripped) and port. */
static int split(const char *hostport, char *host, const char **port)
{
    const char *h = hostport, *h_end;
    if (*h == '[') {
        h_end = strchr(h, ']');
        if (!h_end || h_end[1] != ':')
            return -EINVAL;
        h++;
        *port = h_end + 2;
    } else {
        h_end = strrchr(h, ':');
        if (!h_end)
            return -EINVAL;
        *port = h_end + 1;
    }
    size_t n = (size_t)(h_end - h);
    if (n == 0 || n >= HOST_MAX)
        return -EINVAL;
    memcpy(host, h, n);
    host[n] = 0;
    return 0;
}

/* 0..65535; "*" and "0" are 0 (any port: bind only). */
static int parse_port(const char *p, bool for_bind, uint16_t *out)
{
    if (strcmp(p, "*") == 0) {
        *out = 0;
        return for_bind ? 0 : -EINVAL;
    }
    if (!*p || strlen(p) > 5)
        return -EINVAL;
    unsigned long v = 0;
    for (const char *c = p; *c; c++) {
        if (*c < '0' || *c > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(*c - '0');
    }
    if (v > 65535 || (v == 0 && !for_bind))
        return -EINVAL;
    *out = (uint16_t)v;
    return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static int lookup(const char *host, int family, int flags, ztcp_addr *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return rc == EAI_MEMORY ? -ENOMEM : -EINVAL;
    int err = -EINVAL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof out->ss) {
            memset(&out->ss, 0, sizeof out->ss);
            memcpy(&out->ss, ai->ai_addr, ai->ai_addrlen);
            out->len = (socklen_t)ai->ai_addrlen;
            err = 0;
            break;
        }
    }
    freeaddrinfo(res);
    return err;
}

int ztcp_resolve(const char *hostport, bool for_bind, bool ipv6, ztcp_addr *out)
{
    char host[HOST_MAX];
    const char *port_s;
    uint16_t port;
    if (!hostport || !out)
        return -EINVAL;
    int rc = split(hostport, host, &port_s);
    if (rc == 0)
        rc = parse_port(port_s, for_bind, &port);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    if (strcmp(host, "*") == 0) {
        if (!for_bind)
            return -EINVAL;
        if (ipv6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
            a->sin6_family = AF_INET6;
            a->sin6_addr = in6addr_any;
            out->len = sizeof *a;
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_ANY);
            out->len = sizeof *a;
        }
    } else {
        int passive = for_bind ? AI_PASSIVE : 0;
        /* a literal first (either family, scope ids included), then a name */
        rc = lookup(host, AF_UNSPEC, AI_NUMERICHOST | passive, out);
        if (rc == -EINVAL)
            rc = lookup(host, ipv6 ? AF_UNSPEC : AF_INET, passive, out);
        if (rc < 0)
            return rc;
    }
    set_port(&out->ss, port);
    return 0;
}

void ztcp_format(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN + 1] = "";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, (void *)&a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "tcp://[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, (void *)&a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "tcp://%s:%u", ip, (unsigned)ntohs(a->sin_port));
    }
}
