/* zap.c - a ZAP request and the checks on its reply (RFC 27), as libzmq 4.3.4 makes and
 * checks them, so a handler written for libzmq serves zaio unchanged.
 *
 * The request: an empty delimiter (the handler is usually a REP, which keeps the
 * envelope and puts it back on the reply), "1.0", the request id "1" (one request per
 * connection), domain, address, routing id, mechanism, credentials. The reply: the
 * delimiter, "1.0", "1", the status code, its text, the user id, metadata; anything
 * else is named by a protocol error code for the monitor. */
#include "wire/zap.h"

#include "core/ctx.h"
#include "wire/wire.h"
#include "zmtp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { REPLY_FRAMES = 7 };

int zzap_open(zctx *c, zpipe_end **mine)
{
    return zinproc_open(c, ZZAP_ENDPOINT, mine);
}

static int put(zpipe_end *e, const void *data, size_t len, bool more)
{
    zmsg m;
    if (zmsg_init_copy(&m, data, len) < 0)
        return -ENOMEM;
    m.flags = more ? ZMSG_MORE : 0;
    if (zpipe_write(e, &m) != ZPIPE_OK) {
        zmsg_close(&m);
        return -EPIPE; /* no HWM on this pipe: only a gone handler refuses */
    }
    return 0;
}

int zzap_send(zpipe_end *e, const zzap_request *r)
{
    const struct {
        const void *p;
        size_t n;
    } f[] = {
        {"", 0},
        {"1.0", 3},
        {"1", 1},
        {r->domain, strlen(r->domain)},
        {r->address, strlen(r->address)},
        {r->routing_id, r->routing_id_len},
        {r->mechanism, strlen(r->mechanism)},
        {r->cred[0], r->cred_len[0]},
        {r->cred[1], r->cred_len[1]},
    };
    int n = 7 + r->ncred;
    for (int i = 0; i < n; i++) {
        int rc = put(e, f[i].p, f[i].n, i + 1 < n);
        if (rc < 0) {
            zpipe_rollback(e);
            return rc;
        }
    }
    zpipe_flush(e);
    return 0;
}

static bool is(const zmsg *m, const char *s)
{
    return zmsg_size(m) == strlen(s) && memcmp(zmsg_cdata(m), s, zmsg_size(m)) == 0;
}

/* The reply's frames, in order, against what RFC 27 allows; 0 or the protocol code. */
static uint32_t check(zmsg *f, int n, bool overlong)
{
    if (overlong || n != REPLY_FRAMES || zmsg_size(&f[0]) != 0)
        return ZAIO_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY;
    if (!is(&f[1], "1.0"))
        return ZAIO_PROTOCOL_ERROR_ZAP_BAD_VERSION;
    if (!is(&f[2], "1"))
        return ZAIO_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID;
    if (!is(&f[3], "200") && !is(&f[3], "300") && !is(&f[3], "400") && !is(&f[3], "500"))
        return ZAIO_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE;
    if (zmtp_metadata_validate(zmsg_cdata(&f[6]), zmsg_size(&f[6])) != ZMTP_OK)
        return ZAIO_PROTOCOL_ERROR_ZAP_INVALID_METADATA;
    return 0;
}

int zzap_recv(zpipe_end *e, zzap_reply *reply, uint32_t *code)
{
    zmsg f[REPLY_FRAMES + 1];
    int n = 0, rc = ZZAP_PENDING;
    bool overlong = false;
    /* the writer flushes whole messages, so a first frame brings all the others */
    for (;;) {
        zmsg *m = &f[n < REPLY_FRAMES ? n : REPLY_FRAMES];
        zmsg_init(m);
        zpipe_status st = zpipe_read(e, m);
        if (st == ZPIPE_EMPTY && n == 0)
            return ZZAP_PENDING;
        if (st != ZPIPE_OK) {
            rc = ZZAP_GONE;
            goto out;
        }
        bool more = zmsg_more(m);
        if (n < REPLY_FRAMES)
            n++;
        else {
            overlong = true; /* read on to the end of it, keeping nothing */
            zmsg_close(m);
        }
        if (!more)
            break;
    }
    if ((*code = check(f, n, overlong)) != 0) {
        rc = ZZAP_BAD;
        goto out;
    }
    reply->status = (zmsg_cdata(&f[3])[0] - '0') * 100;
    size_t ul = zmsg_size(&f[5]) < sizeof reply->user_id ? zmsg_size(&f[5])
                                                          : sizeof reply->user_id - 1;
    memcpy(reply->user_id, zmsg_cdata(&f[5]), ul);
    reply->user_id[ul] = 0;
    reply->md = NULL;
    reply->md_len = zmsg_size(&f[6]);
    if (reply->md_len) {
        if (!(reply->md = malloc(reply->md_len))) {
            rc = ZZAP_NOMEM;
            goto out;
        }
        memcpy(reply->md, zmsg_cdata(&f[6]), reply->md_len);
    }
    rc = ZZAP_REPLIED;
out:
    for (int i = 0; i < n; i++)
        zmsg_close(&f[i]);
    return rc;
}

void zzap_reply_fini(zzap_reply *reply)
{
    free(reply->md);
    reply->md = NULL;
    reply->md_len = 0;
}
