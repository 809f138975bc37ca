/* format.c - encode and decode the on-disk layout that format.h specifies. Pure
 * functions: no state, no RocksDB. Decoding never trusts a stored value: every length,
 * version, type and flag is checked before use. */
#include "config.h"

#include "store/format.h"

#include <string.h>

#include "common/omk.h"
#include "store/store.h"

void fmt_hdr_encode(unsigned char *out, enum fmt_type type, int64_t expire_ms)
{
    uint64_t e = (uint64_t)expire_ms;

    out[0] = FMT_VERSION;
    out[1] = (unsigned char)type;
    out[2] = 0;
    for (int i = 0; i < 8; i++)
        out[3 + i] = (unsigned char)(e >> (8 * i));
}

int fmt_hdr_decode(const void *p, size_t len, struct fmt_hdr *h)
{
    const unsigned char *b = p;
    uint64_t e = 0;

    if (len < FMT_HDR_LEN || b[0] != FMT_VERSION || b[1] != FMT_TYPE_STRING || b[2] != 0)
        return STORE_ERR_VALUE;
    for (int i = 0; i < 8; i++)
        e |= (uint64_t)b[3 + i] << (8 * i);
    h->type = b[1];
    h->flags = b[2];
    h->expire_ms = (int64_t)e;
    return 0;
}

int fmt_hdr_expired(const struct fmt_hdr *h, int64_t now_ms)
{
    return h->expire_ms != 0 && h->expire_ms <= now_ms;
}

void fmt_key_init_suffix(struct fmt_key *k, int db, const char *key, size_t klen,
                         const char *extra, size_t elen)
{
    OMK_ASSERT(db >= 0 && db <= 255);
    k->len = 1 + klen + elen;
    k->p = k->len <= sizeof(k->buf) ? k->buf : omk_malloc(k->len);
    k->p[0] = (char)(unsigned char)db;
    if (klen)
        memcpy(k->p + 1, key, klen);
    if (elen)
        memcpy(k->p + 1 + klen, extra, elen);
}

void fmt_key_init(struct fmt_key *k, int db, const char *key, size_t klen)
{
    fmt_key_init_suffix(k, db, key, klen, NULL, 0);
}

void fmt_key_deinit(struct fmt_key *k)
{
    if (k->p != k->buf)
        omk_free(k->p);
    k->p = NULL;
    k->len = 0;
}

int fmt_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

size_t fmt_prefix_successor(char *p, size_t len)
{
    while (len > 0 && (unsigned char)p[len - 1] == 0xff)
        len--;
    if (len == 0)
        return 0;
    p[len - 1] = (char)((unsigned char)p[len - 1] + 1);
    return len;
}
