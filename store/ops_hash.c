/* ops_hash.c - the hash operations of store.h's "Collections" block, on the collection
 * layer (coll.h): each call is one operation holding its key's stripe, opens the key as
 * a hash, reads and changes fields through it, and saves it in one write set. A call that
 * only reads opens an inline hash in a read operation instead, with no stripe, as GET
 * reads a string (coll_begin_read); HGET, HEXISTS and HSTRLEN look their one field up in
 * the record without opening it (hash_peek).
 *
 * Redis' encoding (OBJECT ENCODING) follows 7.0's rules whatever our layout: a hash is
 * "listpack" until a write gives it more than hash-max-listpack-entries fields, or sets
 * a field or a value longer than hash-max-listpack-value bytes (HSET checks all its
 * arguments first; HINCRBYFLOAT's long results count too); then "hashtable" for good
 * (FMT_F_BIG). */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/store.h"
#include "store/store_internal.h"

/* Begin an operation on hash 'key' ('op' locked, 'c' open). STORE_OK, STORE_WRONGTYPE,
 * STORE_ERR_VALUE or an error; the caller ends with hash_end() in every case. */
static int hash_begin(struct store_op *op, struct coll *c, struct store *s, int db,
                      struct omk_slice key)
{
    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    return coll_open(c, op, 0, STORE_TYPE_HASH);
}

/* Save what 'c' changed (if 'rc' is STORE_OK), commit, close. Returns the outcome. */
static int hash_end(struct store_op *op, struct coll *c, int rc)
{
    if (rc == STORE_OK)
        rc = coll_save(c);
    rc = store_op_end(op, rc);
    coll_close(c);
    return rc;
}

/* Set field 'f' to 'v' in 'c' by Redis 7.0's hashTypeSet: a field or value too long
 * for a listpack, or one field too many, makes the hash "hashtable". */
static int hash_set(struct coll *c, const struct store_coll_limits *l, struct omk_slice f,
                    struct omk_slice v, int *added)
{
    int rc;

    if (f.len > l->hash_max_listpack_value || v.len > l->hash_max_listpack_value)
        c->fflags |= FMT_F_BIG;
    rc = coll_set(c, f, v, added);
    if (c->count > l->hash_max_listpack_entries)
        c->fflags |= FMT_F_BIG;
    return rc;
}

/* A copy of 'v' as a store value (released with store_val_release). */
static struct store_val *hash_val(struct omk_slice v, int64_t expire_ms)
{
    char *buf = omk_malloc(FMT_HDR_LEN + v.len + 1);

    memset(buf, 0, FMT_HDR_LEN);
    if (v.len)
        memcpy(buf + FMT_HDR_LEN, v.p, v.len);
    return store_val_wrap(buf, FMT_HDR_LEN + v.len, expire_ms);
}

int store_hset(struct store *s, int db, struct omk_slice key, const struct omk_slice *fv,
               size_t npairs, int flags, size_t *added)
{
    struct store_coll_limits l;
    struct store_op op;
    struct coll c;
    int rc = hash_begin(&op, &c, s, db, key);

    OMK_ASSERT((flags & ~STORE_HSET_NX) == 0);
    *added = 0;
    coll_limits(s, &l);
    if (rc == STORE_OK && (flags & STORE_HSET_NX)) {
        int frc = coll_find(&c, fv[0], NULL);

        if (frc != STORE_NOTFOUND) /* there already: nothing changes, the encoding neither */
            return hash_end(&op, &c, frc < 0 ? frc : STORE_OK);
    }
    for (size_t i = 0; rc == STORE_OK && i < 2 * npairs; i++)
        if (fv[i].len > l.hash_max_listpack_value)
            c.fflags |= FMT_F_BIG;
    for (size_t i = 0; rc == STORE_OK && i < npairs; i++) {
        int a;

        rc = hash_set(&c, &l, fv[2 * i], fv[2 * i + 1], &a);
        *added += (size_t)a;
    }
    return hash_end(&op, &c, rc);
}

/* Look 'field' up in hash 'key' as a read (coll_peek: no stripe) when the hash is inline:
 * its value's length in '*vlen' and, with 'out' non-NULL, the value itself handed on as
 * a store value narrowed to the field's bytes (no copy). Returns what coll_peek returns;
 * COLL_SPLIT: the caller reads the hash under its stripe instead. */
static int hash_peek(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                     size_t *vlen, struct store_val **out)
{
    struct store_op op;
    struct omk_slice v;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    rc = coll_peek(&op, 0, STORE_TYPE_HASH, field, &v);
    if (rc == STORE_OK) {
        *vlen = v.len;
        if (out) {
            int64_t expire_ms = op.key[0].st.expire_ms;

            *out = store_op_take_val(&op, 0);
            (*out)->data = v.p;
            (*out)->len = v.len;
            (*out)->expire_ms = expire_ms;
        }
    }
    return store_op_end(&op, rc);
}

int store_hget(struct store *s, int db, struct omk_slice key, struct omk_slice field,
               struct store_val **out)
{
    struct store_op op;
    struct coll c;
    struct omk_slice v;
    size_t vlen;
    int rc = hash_peek(s, db, key, field, &vlen, out);

    if (rc != COLL_SPLIT)
        return rc;
    rc = hash_begin(&op, &c, s, db, key);

    if (rc == STORE_OK && !c.existed)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK)
        rc = coll_find(&c, field, &v);
    if (rc == STORE_OK)
        *out = hash_val(v, c.expire_ms);
    return hash_end(&op, &c, rc);
}

int store_hmget(struct store *s, int db, struct omk_slice key, const struct omk_slice *fields,
                size_t n, struct store_val **out)
{
    struct store_op op;
    struct coll c;
    int rc = coll_begin_read(&op, &c, s, db, key, STORE_TYPE_HASH);

    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    for (size_t i = 0; rc == STORE_OK && c.existed && i < n; i++) {
        struct omk_slice v;
        int frc = coll_find(&c, fields[i], &v);

        if (frc == STORE_OK)
            out[i] = hash_val(v, c.expire_ms);
        else if (frc < 0)
            rc = frc;
    }
    rc = hash_end(&op, &c, rc);
    if (rc != STORE_OK) {
        for (size_t i = 0; i < n; i++) {
            store_val_release(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}

int store_hdel(struct store *s, int db, struct omk_slice key, const struct omk_slice *fields,
               size_t n, size_t *removed)
{
    struct store_op op;
    struct coll c;
    int rc = hash_begin(&op, &c, s, db, key);

    *removed = 0;
    for (size_t i = 0; rc == STORE_OK && c.existed && i < n; i++) {
        int r;

        rc = coll_remove(&c, fields[i], &r);
        *removed += (size_t)r;
    }
    return hash_end(&op, &c, rc);
}

int store_hlen(struct store *s, int db, struct omk_slice key, uint64_t *len)
{
    return coll_count_key(s, db, key, STORE_TYPE_HASH, len);
}

int store_hstrlen(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                  size_t *len)
{
    struct store_op op;
    struct coll c;
    struct omk_slice v;
    int rc = hash_peek(s, db, key, field, len, NULL);

    if (rc != COLL_SPLIT) {
        if (rc != STORE_OK)
            *len = 0;
        return rc == STORE_NOTFOUND ? STORE_OK : rc; /* no key or field: length 0 */
    }
    rc = hash_begin(&op, &c, s, db, key);
    *len = 0;
    if (rc == STORE_OK && c.existed) {
        int frc = coll_find(&c, field, &v);

        if (frc == STORE_OK)
            *len = v.len;
        else if (frc < 0)
            rc = frc;
    }
    return hash_end(&op, &c, rc);
}

int store_hexists(struct store *s, int db, struct omk_slice key, struct omk_slice field)
{
    struct store_op op;
    struct coll c;
    size_t vlen;
    int rc = hash_peek(s, db, key, field, &vlen, NULL);

    if (rc != COLL_SPLIT)
        return rc;
    rc = hash_begin(&op, &c, s, db, key);

    if (rc == STORE_OK)
        rc = c.existed ? coll_find(&c, field, NULL) : STORE_NOTFOUND;
    return hash_end(&op, &c, rc);
}

int store_hincrby(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                  long long incr, long long *out)
{
    struct store_coll_limits l;
    struct store_op op;
    struct coll c;
    struct omk_slice v;
    long long cur = 0;
    int rc = hash_begin(&op, &c, s, db, key), frc, a;
    char txt[24];

    if (rc == STORE_OK) {
        frc = coll_find(&c, field, &v);
        if (frc < 0)
            rc = frc;
        else if (frc == STORE_OK && !omk_str2ll(v.p, v.len, &cur))
            rc = STORE_NOTINT;
    }
    if (rc == STORE_OK && ((incr < 0 && cur < 0 && incr < LLONG_MIN - cur) ||
                           (incr > 0 && cur > 0 && incr > LLONG_MAX - cur)))
        rc = STORE_OVERFLOW;
    if (rc == STORE_OK) {
        cur += incr;
        coll_limits(s, &l);
        rc = hash_set(&c, &l, field, (struct omk_slice){txt, omk_ll2str(txt, cur)}, &a);
    }
    rc = hash_end(&op, &c, rc);
    if (rc == STORE_OK)
        *out = cur;
    return rc;
}

int store_hincrbyfloat(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                       long double incr, char *out, size_t *outlen)
{
    struct store_coll_limits l;
    char txt[STORE_FLOAT_STR_MAX];
    struct store_op op;
    struct coll c;
    struct omk_slice v;
    long double cur = 0;
    size_t n = 0;
    int rc = hash_begin(&op, &c, s, db, key), frc, a;

    if (rc == STORE_OK) {
        frc = coll_find(&c, field, &v);
        if (frc < 0)
            rc = frc;
        else if (frc == STORE_OK && !omk_str2ld(v.p, v.len, &cur))
            rc = STORE_NOTFLOAT;
    }
    if (rc == STORE_OK) {
        cur += incr;
        if (isnan(cur) || isinf(cur))
            rc = STORE_NANINF;
    }
    if (rc == STORE_OK) {
        n = store_ld_format(txt, cur);
        coll_limits(s, &l);
        rc = hash_set(&c, &l, field, (struct omk_slice){txt, n}, &a);
    }
    rc = hash_end(&op, &c, rc);
    if (rc == STORE_OK) {
        memcpy(out, txt, n);
        *outlen = n;
    }
    return rc;
}

/* coll_each_fn: hand a pair to a store_pair_cb and count it. */
struct hash_emit {
    store_pair_cb *cb;
    void *arg;
    size_t n;
    const char *pat; /* HSCAN's MATCH, or NULL */
    size_t plen;
};

static int hash_emit_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct hash_emit *h = arg;

    if (h->pat && !omk_glob_match(h->pat, h->plen, e.p, e.len, 0))
        return 0;
    h->n++;
    return h->cb(h->arg, e, v);
}

int store_hgetall(struct store *s, int db, struct omk_slice key, store_pair_cb *cb, void *arg,
                  size_t *npairs)
{
    struct hash_emit h = {cb, arg, 0, NULL, 0};
    struct store_op op;
    struct coll c;
    int rc = coll_begin_read(&op, &c, s, db, key, STORE_TYPE_HASH);

    if (rc == STORE_OK)
        rc = coll_each(&c, hash_emit_one, &h);
    *npairs = h.n;
    return hash_end(&op, &c, rc);
}

int store_hrandfield(struct store *s, int db, struct omk_slice key, uint64_t count, int repeats,
                     store_rand_fn *rnd, store_pair_cb *cb, void *arg, size_t *n)
{
    struct hash_emit h = {cb, arg, 0, NULL, 0};
    struct store_op op;
    struct coll c;
    int rc = hash_begin(&op, &c, s, db, key);

    *n = 0;
    if (rc == STORE_OK)
        rc = coll_sample(&c, count, repeats, rnd, hash_emit_one, &h, n);
    return hash_end(&op, &c, rc);
}

int store_hscan(struct store *s, int db, struct omk_slice key, uint64_t cursor, const char *pat,
                size_t plen, size_t count, store_pair_cb *cb, void *arg, uint64_t *next)
{
    return coll_scan_key(s, db, key, STORE_TYPE_HASH, cursor, pat, plen, count, cb, arg, next);
}
