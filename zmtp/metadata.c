/* metadata.c - READY/INITIATE property lists: name-size (1), name, value-size (4, network
 * order), value; repeated to the end of the command. */
#include "zmtp.h"
#include "internal.h"

#include <string.h>
#include <strings.h>

/* RFC 23's property names: ALPHA DIGIT and "-_.+". Checked so that a name zaio emits
 * is one every peer can read, and so that garbage is caught as garbage. */
static int name_char_ok(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '+';
}

static int name_ok(const uint8_t *name, size_t len)
{
    if (len == 0 || len > 255)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!name_char_ok(name[i]))
            return 0;
    return 1;
}

int64_t zmtp_metadata_size(const zmtp_property *props, size_t n)
{
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!props[i].name || !name_ok((const uint8_t *)props[i].name, props[i].name_len))
            return ZMTP_E_INVAL;
        if (props[i].value_len > INT32_MAX || (props[i].value_len && !props[i].value))
            return ZMTP_E_INVAL;
        total += 1 + (int64_t)props[i].name_len + 4 + (int64_t)props[i].value_len;
    }
    return total;
}

int64_t zmtp_metadata_encode(uint8_t *out, size_t cap, const zmtp_property *props, size_t n)
{
    int64_t total = zmtp_metadata_size(props, n);
    if (total < 0)
        return total;
    if ((uint64_t)total > cap)
        return ZMTP_E_NOSPACE;
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        *p++ = (uint8_t)props[i].name_len;
        memcpy(p, props[i].name, props[i].name_len);
        p += props[i].name_len;
        zmtp__put32(p, (uint32_t)props[i].value_len);
        p += 4;
        if (props[i].value_len)
            memcpy(p, props[i].value, props[i].value_len);
        p += props[i].value_len;
    }
    return total;
}

int zmtp_metadata_next(const uint8_t *md, size_t len, size_t *pos, zmtp_property *out)
{
    size_t p = *pos;
    if (p >= len)
        return 0;
    size_t nlen = md[p++];
    if (nlen > len - p || !name_ok(md + p, nlen))
        return ZMTP_E_MALFORMED_METADATA;
    const uint8_t *name = md + p;
    p += nlen;
    if (len - p < 4)
        return ZMTP_E_MALFORMED_METADATA;
    uint32_t vlen = zmtp__get32(md + p);
    p += 4;
    if (vlen > INT32_MAX || vlen > len - p)
        return ZMTP_E_MALFORMED_METADATA;
    out->name = (const char *)name;
    out->name_len = nlen;
    out->value = md + p;
    out->value_len = vlen;
    *pos = p + vlen;
    return 1;
}

int zmtp_metadata_validate(const uint8_t *md, size_t len)
{
    size_t pos = 0;
    zmtp_property prop;
    int rc;
    while ((rc = zmtp_metadata_next(md, len, &pos, &prop)) == 1)
        ;
    return rc;
}

int zmtp_metadata_find(const uint8_t *md, size_t len, const char *name, zmtp_property *out)
{
    size_t want = strlen(name), pos = 0;
    zmtp_property prop;
    int rc;
    while ((rc = zmtp_metadata_next(md, len, &pos, &prop)) == 1) {
        if (prop.name_len == want && strncasecmp(prop.name, name, want) == 0) {
            *out = prop;
            return 1;
        }
    }
    return rc;
}
