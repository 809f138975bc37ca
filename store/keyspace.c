/* keyspace.c - the store's primitives, used by every operation: what is known of one
 * key (store_lookup, answered by the in-RAM index), the stripe locks that make a
 * read-modify-write atomic, and the write set that commits changes to several keys in
 * one RocksDB batch and then brings the index and the per-db counters up to date.
 *
 * Invariant: the index holds exactly the keys RocksDB holds, with their value lengths
 * and expiries, and keys[db] / expires[db] count them, because every change goes
 * through store_ws_commit(), under the stripes of the keys it changes, and adjusts the
 * counters from the states the caller read under those same stripes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "index/shard.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"

void store_count(struct store *s, int db, int64_t dkeys, int64_t dexp)
{
    if (dkeys)
        atomic_fetch_add(&s->keys[db], (uint_fast64_t)dkeys); /* modular: -1 subtracts */
    if (dexp)
        atomic_fetch_add(&s->expires[db], (uint_fast64_t)dexp);
}

/* ---- Index entries ------------------------------------------------------------------- */

void store_entry_fill(struct idx_entry *e, size_t vlen, int64_t expire_ms, unsigned flags)
{
    uint64_t exp = (uint64_t)expire_ms;

    if (expire_ms < 0 || exp > IDX_EXPIRE_MASK) { /* beyond year 10889: RocksDB has it */
        exp = IDX_EXPIRE_MASK;
        flags |= STORE_EF_FAR;
    }
    e->val_len = (uint32_t)vlen;
    e->expire_flags = exp | ((uint64_t)flags << IDX_EXPIRE_BITS);
}

/* Fill '*st' from the stored value 'p'/'n' (header first) of an existing key. */
static void store_state_from_value(struct key_state *st, const char *p, size_t n, int64_t now_ms)
{
    struct fmt_hdr h;

    st->exists = 1;
    if (fmt_hdr_decode(p, n, &h) != 0) {
        st->bad = 1;
        st->live = 1;
        st->vlen = n;
        return;
    }
    st->expire_ms = h.expire_ms;
    st->has_expiry = h.expire_ms != 0;
    st->live = !fmt_hdr_expired(&h, now_ms);
    st->vlen = n - FMT_HDR_LEN;
}

/* HOW IT WORKS: every key is in the index, with its value length and expiry, so this
 * answers from RAM; RocksDB is read only for the value itself (when 'val' asks for it)
 * or for an expiry too far in the future for the entry's 48 bits. Writers change a key
 * only under its stripe, index after RocksDB, so a caller holding the stripe sees both
 * agree; a reader without it may see the index one write ahead of its RocksDB read, in
 * which case the value read decides (and a key deleted in between reads as absent). */
int store_lookup(struct store *s, const struct fmt_key *k, int64_t now_ms, struct key_state *st,
                 char **val, size_t *vlen)
{
    unsigned shard = idx_shards_of(s->ix, k->p, k->len), flags = 0;
    const struct idx_entry *e;
    struct idx *ix;
    int64_t exp = 0;
    int rc;

    memset(st, 0, sizeof(*st));
    ix = idx_shards_rdlock(s->ix, shard);
    e = idx_find(ix, k->p, k->len);
    if (e) {
        st->exists = 1;
        st->vlen = e->val_len;
        exp = idx_entry_expire(e);
        flags = idx_entry_flags(e);
    }
    idx_shards_unlock(s->ix, shard);
    if (!st->exists)
        return STORE_OK;
    if (val || (flags & STORE_EF_FAR)) {
        char hdr[FMT_HDR_LEN], *buf = NULL;
        size_t n = 0;

        if (val)
            rc = rocks_get(s->rocks, k->p, k->len, &buf, &n);
        else
            rc = rocks_get_prefix(s->rocks, k->p, k->len, hdr, sizeof(hdr), &n);
        if (rc < 0)
            return rc;
        if (rc == STORE_NOTFOUND) { /* deleted since the index said otherwise */
            st->exists = 0;
            return STORE_OK;
        }
        store_state_from_value(st, buf ? buf : hdr, buf || n < FMT_HDR_LEN ? n : FMT_HDR_LEN,
                               now_ms);
        if (!buf)
            st->vlen = n - (n >= FMT_HDR_LEN ? FMT_HDR_LEN : 0);
        if (val) {
            *val = buf;
            *vlen = n;
        }
        return STORE_OK;
    }
    if (flags & STORE_EF_BAD) {
        st->bad = 1;
        st->live = 1;
        return STORE_OK;
    }
    st->expire_ms = exp;
    st->has_expiry = exp != 0;
    st->live = !(exp != 0 && exp <= now_ms);
    return STORE_OK;
}

/* ---- Locks ------------------------------------------------------------------------ */

unsigned store_stripe_index(const struct fmt_key *k)
{
    return (unsigned)omk_hash(k->p, k->len) & (STORE_STRIPES - 1);
}

void store_rdlock(struct store *s)
{
    OMK_ASSERT(pthread_rwlock_rdlock(&s->excl) == 0);
}

void store_unlock(struct store *s)
{
    OMK_ASSERT(pthread_rwlock_unlock(&s->excl) == 0);
}

static int store_cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

void store_keylock(struct store *s, struct store_keylock *l, const struct fmt_key *const *ks,
                   size_t n)
{
    size_t m = 0;

    l->idx = n <= OMK_ARRAY_LEN(l->inline_idx) ? l->inline_idx : omk_malloc(n * sizeof(*l->idx));
    for (size_t i = 0; i < n; i++)
        l->idx[i] = store_stripe_index(ks[i]);
    qsort(l->idx, n, sizeof(*l->idx), store_cmp_uint);
    for (size_t i = 0; i < n; i++)
        if (m == 0 || l->idx[m - 1] != l->idx[i])
            l->idx[m++] = l->idx[i];
    l->n = m;
    store_rdlock(s);
    for (size_t i = 0; i < m; i++)
        OMK_ASSERT(pthread_mutex_lock(&s->stripe[l->idx[i]]) == 0);
}

void store_keyunlock(struct store *s, struct store_keylock *l)
{
    for (size_t i = l->n; i-- > 0;)
        OMK_ASSERT(pthread_mutex_unlock(&s->stripe[l->idx[i]]) == 0);
    store_unlock(s);
    if (l->idx != l->inline_idx)
        omk_free(l->idx);
    l->idx = NULL;
    l->n = 0;
}

/* ---- Write sets --------------------------------------------------------------------- */

void store_ws_init(struct store_ws *w)
{
    memset(w, 0, sizeof(*w));
    w->b = rocks_batch_new();
}

void store_ws_deinit(struct store_ws *w)
{
    rocks_batch_free(w->b);
    omk_free(w->ops);
    memset(w, 0, sizeof(*w));
}

/* Record one change for the counters, once the batch has committed. */
static void store_ws_note(struct store_ws *w, int db, const struct fmt_key *k,
                          const struct key_state *st, int del, size_t vlen, int64_t expire_ms)
{
    struct store_ws_op *op;

    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 4;
        w->ops = omk_realloc(w->ops, w->cap * sizeof(*w->ops));
    }
    op = &w->ops[w->n++];
    op->db = db;
    op->k = k;
    op->vlen = vlen;
    op->before = *st;
    op->del = del;
    op->expire_ms = expire_ms;
}

void store_ws_put(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st,
                  const void *val, size_t vlen, int64_t expire_ms)
{
    unsigned char hdr[FMT_HDR_LEN];

    fmt_hdr_encode(hdr, FMT_TYPE_STRING, expire_ms);
    rocks_batch_put(w->b, k->p, k->len, hdr, sizeof(hdr), val, vlen);
    store_ws_note(w, db, k, st, 0, vlen, expire_ms);
}

void store_ws_del(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st)
{
    if (!st->exists)
        return; /* nothing on disk: nothing to write */
    rocks_batch_delete(w->b, k->p, k->len);
    store_ws_note(w, db, k, st, 1, 0, 0);
}

int store_ws_commit(struct store *s, struct store_ws *w)
{
    int rc;

    if (w->n == 0)
        return STORE_OK;
    rc = rocks_write(s->rocks, w->b, store_sync_writes(s));
    if (rc != STORE_OK)
        return rc;
    for (size_t i = 0; i < w->n; i++) {
        const struct store_ws_op *op = &w->ops[i];
        const struct key_state *st = &op->before;
        unsigned shard = idx_shards_of(s->ix, op->k->p, op->k->len);
        struct idx *ix = idx_shards_wrlock(s->ix, shard);
        struct idx_entry *e;

        if (op->del) {
            if (idx_delete(ix, op->k->p, op->k->len, &e) == IDX_OK)
                idx_entry_free(e);
        } else {
            idx_insert(ix, op->k->p, op->k->len, &e);
            store_entry_fill(e, op->vlen, op->expire_ms, 0);
        }
        idx_shards_unlock(s->ix, shard);

        if (op->del)
            store_count(s, op->db, -1, -st->has_expiry);
        else
            store_count(s, op->db, !st->exists, (op->expire_ms != 0) - st->has_expiry);
        if (st->exists && !st->live) /* an expired key was replaced or removed */
            atomic_fetch_add(&s->expired_keys, 1);
    }
    return STORE_OK;
}
