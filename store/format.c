/* format.c - encode and decode the on-disk layout that format.h specifies. Pure
 * functions: no state, no RocksDB. Decoding never trusts a stored value: every length,
 * version, type and flag is checked before use. */
#include "config.h"

#include "store/format.h"

#include <string.h>

#include "common/omk.h"
#include "store/store.h"

void fmt_hdr_encode(unsigned char *out, enum fmt_type type, unsigned flags, int64_t expire_ms)
{
    uint64_t e = (uint64_t)expire_ms;

    out[0] = FMT_VERSION;
    out[1] = (unsigned char)type;
    out[2] = (unsigned char)flags;
    for (int i = 0; i < 8; i++)
        out[3 + i] = (unsigned char)(e >> (8 * i));
}

int fmt_hdr_decode(const void *p, size_t len, struct fmt_hdr *h)
{
    const unsigned char *b = p;
    uint64_t e = 0;

    if (len < FMT_HDR_LEN || b[0] != FMT_VERSION)
        return STORE_ERR_VALUE;
    if (b[1] == FMT_TYPE_STRING ? (b[2] & ~(FMT_F_RAW | FMT_F_NOINT | FMT_F_FRAG)) != 0
        : b[1] == FMT_TYPE_HASH || b[1] == FMT_TYPE_SET || b[1] == FMT_TYPE_ZSET
            ? (b[2] & ~(FMT_F_SPLIT | FMT_F_BIG)) != 0
        : b[1] == FMT_TYPE_LIST ? (b[2] & ~FMT_F_SPLIT) != 0
                                : 1)
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

/* ---- Collections ---- */

uint64_t fmt_elem_pos(const char *p, size_t len)
{
    return omk_hash(p, len) >> (64 - FMT_POS_BITS);
}

void fmt_u64_be_put(unsigned char *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)v;
        v >>= 8;
    }
}

uint64_t fmt_u64_be_get(const char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | (unsigned char)p[i];
    return v;
}

void fmt_elem_prefix(unsigned char *out, uint64_t id, uint64_t pos)
{
    fmt_u64_be_put(out, id);
    fmt_u64_be_put(out + 8, pos);
}

void fmt_elem_key(struct fmt_key *k, uint64_t id, uint64_t pos, const char *p, size_t len)
{
    k->len = FMT_ELEM_PREFIX + len;
    k->p = k->len <= sizeof(k->buf) ? k->buf : omk_malloc(k->len);
    fmt_elem_prefix((unsigned char *)k->p, id, pos);
    if (len)
        memcpy(k->p + FMT_ELEM_PREFIX, p, len);
}

int fmt_elem_decode(const char *k, size_t klen, uint64_t *id, uint64_t *pos, const char **elem,
                    size_t *elen)
{
    if (klen < FMT_ELEM_PREFIX)
        return -1;
    *id = fmt_u64_be_get(k);
    *pos = fmt_u64_be_get(k + 8);
    *elem = k + FMT_ELEM_PREFIX;
    *elen = klen - FMT_ELEM_PREFIX;
    return 0;
}

size_t fmt_varint_put(unsigned char *out, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

int fmt_varint_get(const char *p, size_t len, size_t *off, uint64_t *v)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < 10; i++) {
        unsigned char b;

        if (*off >= len)
            return -1;
        b = (unsigned char)p[(*off)++];
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

void fmt_u64_put(unsigned char *out, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(v >> (8 * i));
}

uint64_t fmt_u64_get(const void *p)
{
    const unsigned char *b = p;
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

int fmt_coll_meta(unsigned flags, const char *p, size_t len, uint64_t *count, uint64_t *id)
{
    size_t off = 0;

    *id = 0;
    if (flags & FMT_F_SPLIT) {
        if (len != FMT_SPLIT_LEN && len != FMT_LIST_SPLIT_LEN) /* a list adds its head */
            return -1;
        *id = fmt_u64_get(p);
        *count = fmt_u64_get(p + 8);
        return 0;
    }
    return fmt_varint_get(p, len, &off, count);
}

int fmt_frag_meta(const char *p, size_t len, uint64_t *id, uint64_t *strlen_)
{
    if (len != FMT_SPLIT_LEN)
        return -1;
    *id = fmt_u64_get(p);
    *strlen_ = fmt_u64_get(p + 8);
    return *id == 0 || *strlen_ > UINT32_MAX ? -1 : 0;
}

void fmt_score_put(unsigned char *out, double score)
{
    uint64_t u;

    memcpy(&u, &score, 8);
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(u >> (8 * i));
}

double fmt_score_get(const void *p)
{
    uint64_t u = fmt_u64_get(p);
    double d;

    memcpy(&d, &u, 8);
    return d;
}

void fmt_score_key_put(unsigned char *out, double score)
{
    uint64_t u;

    if (score == 0)
        score = 0; /* -0 sorts with 0 */
    memcpy(&u, &score, 8);
    u = (u >> 63) ? ~u : u | (UINT64_C(1) << 63); /* negatives reversed, below positives */
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(u >> (56 - 8 * i));
}

double fmt_score_key_get(const void *p)
{
    const unsigned char *b = p;
    uint64_t u = 0;
    double d;

    for (int i = 0; i < 8; i++)
        u = (u << 8) | b[i];
    u = (u >> 63) ? u & ~(UINT64_C(1) << 63) : ~u;
    memcpy(&d, &u, 8);
    return d;
}

void fmt_zscore_id_prefix(unsigned char *out, uint64_t id)
{
    fmt_u64_be_put(out, id);
    out[8] = FMT_ZSCORE_TAG;
}

void fmt_zscore_prefix(unsigned char *out, uint64_t id, double score)
{
    fmt_u64_be_put(out, id);
    out[8] = FMT_ZSCORE_TAG;
    fmt_score_key_put(out + 9, score);
}

void fmt_zscore_key(struct fmt_key *k, uint64_t id, double score, const char *m, size_t mlen)
{
    k->len = FMT_ZSCORE_PREFIX + mlen;
    k->p = k->len <= sizeof(k->buf) ? k->buf : omk_malloc(k->len);
    fmt_zscore_prefix((unsigned char *)k->p, id, score);
    if (mlen)
        memcpy(k->p + FMT_ZSCORE_PREFIX, m, mlen);
}

int fmt_zscore_decode(const char *k, size_t klen, uint64_t *id, double *score, const char **m,
                      size_t *mlen)
{
    if (klen < FMT_ZSCORE_PREFIX || (unsigned char)k[8] != FMT_ZSCORE_TAG)
        return -1;
    *id = fmt_u64_be_get(k);
    *score = fmt_score_key_get(k + 9);
    *m = k + FMT_ZSCORE_PREFIX;
    *mlen = klen - FMT_ZSCORE_PREFIX;
    return 0;
}
