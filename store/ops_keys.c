/* ops_keys.c - keyspace operations over the store's primitives (store_internal.h): TYPE,
 * TTL, [P]EXPIRE[AT] with NX/XX/GT/LT, PERSIST, RENAME[NX], COPY and MOVE.
 *
 * Each call takes the stripes of the one or two keys it names (store_keylock), looks them
 * up, and commits everything it changes in one write set before it lets them go, so it
 * is atomic and the per-db counters stay exact. A key found expired is deleted in that
 * same write set (lazy expiry, as Redis' lookupKeyWrite does) and then counts as missing.
 * The expiry lives in the value's header, so changing it rewrites the value: the value is
 * read only once the call knows it will write (the header alone answers the rest). */
#include "config.h"

#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

/* One call's keys (one or two), their stripes, and the write set it commits. */
struct keys_op {
    struct fmt_key k[2];
    const struct fmt_key *kp[2];
    int db[2];
    size_t n;
    struct store_keylock l;
    struct store_ws w;
    int64_t now;          /* Unix ms when the stripes were taken */
};

/* Build the RocksDB keys of the call's 'n' (1 or 2) keys 'key0' of 'db0' and 'key1' of
 * 'db1' (ignored when 'n' is 1), then take their stripes. Finish with keys_op_end(). */
static void keys_op_begin(struct store *s, struct keys_op *op, size_t n, int db0,
                          struct omk_slice key0, int db1, struct omk_slice key1)
{
    OMK_ASSERT(n == 1 || n == 2);
    OMK_ASSERT(db0 >= 0 && db0 < s->databases);
    OMK_ASSERT(n == 1 || (db1 >= 0 && db1 < s->databases));
    op->n = n;
    op->db[0] = db0;
    op->db[1] = db1;
    fmt_key_init(&op->k[0], db0, key0.p, key0.len);
    if (n == 2)
        fmt_key_init(&op->k[1], db1, key1.p, key1.len);
    for (size_t i = 0; i < n; i++)
        op->kp[i] = &op->k[i];
    store_ws_init(&op->w);
    store_keylock(s, &op->l, op->kp, n);
    op->now = omk_now_ms();
}

/* Commit the write set when the call's outcome 'rc' is not an error (a NOTFOUND or
 * NOTSET call may still carry the deletion of an expired key), release the stripes and
 * free everything. Returns 'rc', or the commit's error. */
static int keys_op_end(struct store *s, struct keys_op *op, int rc)
{
    if (rc >= 0) {
        int crc = store_ws_commit(s, &op->w);

        if (crc < 0)
            rc = crc;
    }
    store_keyunlock(s, &op->l);
    store_ws_deinit(&op->w);
    for (size_t i = 0; i < op->n; i++)
        fmt_key_deinit(&op->k[i]);
    return rc;
}

/* Look up key 'i' of 'op' (header only) into '*st'. If it exists but has expired, add its
 * deletion to the write set and report it absent ('st->exists' 0). STORE_OK or an I/O
 * error. */
static int keys_lookup(struct store *s, struct keys_op *op, size_t i, struct key_state *st)
{
    int rc = store_lookup(s, op->kp[i], op->now, st, NULL, NULL);

    if (rc == STORE_OK && st->exists && !st->live) {
        store_ws_del(&op->w, op->db[i], op->kp[i], st);
        memset(st, 0, sizeof(*st));
    }
    return rc;
}

/* Read the whole stored value of key 'i' of 'op' (known to exist, live, under its stripe)
 * into '*buf'/'*n' (header included; freed with rocks_free) and its state into '*st'.
 * STORE_OK, STORE_ERR_VALUE when the header does not decode ('*buf' then NULL), or an
 * I/O error. */
static int keys_read_value(struct store *s, struct keys_op *op, size_t i, struct key_state *st,
                           char **buf, size_t *n)
{
    int rc = store_lookup(s, op->kp[i], op->now, st, buf, n);

    if (rc != STORE_OK)
        return rc;
    OMK_ASSERT(st->exists && st->live); /* the stripe kept it as it was */
    if (st->bad) {
        rocks_free(*buf);
        *buf = NULL;
        return STORE_ERR_VALUE;
    }
    return STORE_OK;
}

int store_type(struct store *s, int db, struct omk_slice key, const char **name)
{
    struct keys_op op;
    struct key_state st;
    int rc;

    keys_op_begin(s, &op, 1, db, key, 0, key);
    rc = keys_lookup(s, &op, 0, &st);
    if (rc == STORE_OK && !st.exists)
        rc = STORE_NOTFOUND;
    else if (rc == STORE_OK && st.bad)
        rc = STORE_ERR_VALUE;
    rc = keys_op_end(s, &op, rc);
    if (rc == STORE_OK)
        *name = "string"; /* every decodable value is a string (format.h) */
    return rc;
}

int store_ttl(struct store *s, int db, struct omk_slice key, int64_t *expire_ms)
{
    struct keys_op op;
    struct key_state st;
    int rc;

    keys_op_begin(s, &op, 1, db, key, 0, key);
    rc = keys_lookup(s, &op, 0, &st);
    if (rc == STORE_OK && !st.exists)
        rc = STORE_NOTFOUND;
    rc = keys_op_end(s, &op, rc);
    if (rc == STORE_OK)
        *expire_ms = st.expire_ms; /* 0 for a value that does not decode: no TTL */
    return rc;
}

#define KEYS_PERSIST 0x100 /* keys_set_expiry: remove the expiry ('when_ms' unused) */

/* EXPIRE and PERSIST: set the expiry of 'key' to 'when_ms' (or remove it, with
 * KEYS_PERSIST) if the STORE_EXPIRE_* conditions in 'flags' hold, the way Redis 7's
 * expireGenericCommand checks them; a 'when_ms' not after now deletes the key. Returns as
 * store_expire(). */
static int keys_set_expiry(struct store *s, int db, struct omk_slice key, int64_t when_ms,
                           int flags)
{
    struct keys_op op;
    struct key_state st;
    char *buf = NULL;
    size_t n = 0;
    int rc;

    keys_op_begin(s, &op, 1, db, key, 0, key);
    rc = keys_lookup(s, &op, 0, &st);
    if (rc != STORE_OK)
        goto out;
    if (!st.exists) {
        rc = STORE_NOTFOUND;
        goto out;
    }
    if (((flags & STORE_EXPIRE_NX) && st.has_expiry) ||
        ((flags & STORE_EXPIRE_XX) && !st.has_expiry) ||
        ((flags & STORE_EXPIRE_GT) && (!st.has_expiry || when_ms <= st.expire_ms)) ||
        ((flags & STORE_EXPIRE_LT) && st.has_expiry && when_ms >= st.expire_ms)) {
        rc = STORE_NOTSET;
        goto out;
    }
    if (!(flags & KEYS_PERSIST) && when_ms <= op.now) { /* already past: the key goes */
        store_ws_del(&op.w, db, op.kp[0], &st);
        goto out;
    }
    if (!(flags & KEYS_PERSIST) && st.has_expiry && st.expire_ms == when_ms)
        goto out; /* nothing would change: spare the rewrite */
    rc = keys_read_value(s, &op, 0, &st, &buf, &n);
    if (rc == STORE_OK)
        store_ws_put(&op.w, db, op.kp[0], &st, buf + FMT_HDR_LEN, n - FMT_HDR_LEN,
                     (flags & KEYS_PERSIST) ? 0 : when_ms);
out:
    rc = keys_op_end(s, &op, rc);
    rocks_free(buf);
    return rc;
}

int store_expire(struct store *s, int db, struct omk_slice key, int64_t when_ms, int flags)
{
    OMK_ASSERT((flags & ~(STORE_EXPIRE_NX | STORE_EXPIRE_XX | STORE_EXPIRE_GT |
                          STORE_EXPIRE_LT)) == 0);
    return keys_set_expiry(s, db, key, when_ms, flags);
}

int store_persist(struct store *s, int db, struct omk_slice key)
{
    /* "Only if it has an expiry" is XX; the new expiry is none. */
    return keys_set_expiry(s, db, key, 0, STORE_EXPIRE_XX | KEYS_PERSIST);
}

/* How keys_transfer() treats the source and an existing destination. */
#define KEYS_KEEP_SRC 0x1  /* COPY: the source stays */
#define KEYS_OVERWRITE 0x2 /* RENAME, COPY REPLACE: an existing destination is replaced */

/* The one core of RENAME, COPY and MOVE: give key 'dkey' of 'ddb' the value and expiry
 * of key 'skey' of 'sdb', then delete the source unless KEYS_KEEP_SRC, all in one batch
 * under both stripes. An existing destination makes it STORE_NOTSET unless
 * KEYS_OVERWRITE. When source and destination are the same RocksDB key nothing is
 * written: STORE_OK if it exists (STORE_NOTSET without KEYS_OVERWRITE). Returns
 * STORE_OK, STORE_NOTFOUND (no source), STORE_NOTSET, STORE_ERR_VALUE, or an error. */
static int keys_transfer(struct store *s, int sdb, struct omk_slice skey, int ddb,
                         struct omk_slice dkey, int mode)
{
    int same = sdb == ddb && fmt_bytes_cmp(skey.p, skey.len, dkey.p, dkey.len) == 0;
    struct key_state sst, dst;
    struct keys_op op;
    char *buf = NULL;
    size_t n = 0;
    int rc;

    keys_op_begin(s, &op, same ? 1 : 2, sdb, skey, ddb, dkey);
    rc = keys_lookup(s, &op, 0, &sst);
    if (rc != STORE_OK)
        goto out;
    if (!sst.exists) {
        rc = STORE_NOTFOUND;
        goto out;
    }
    if (same) {
        rc = (mode & KEYS_OVERWRITE) ? STORE_OK : STORE_NOTSET;
        goto out;
    }
    /* An expired destination is simply overwritten (its state says so, which counts it
     * in expired_keys); a live one may refuse the call. */
    rc = store_lookup(s, op.kp[1], op.now, &dst, NULL, NULL);
    if (rc != STORE_OK)
        goto out;
    if (dst.exists && dst.live && !(mode & KEYS_OVERWRITE)) {
        rc = STORE_NOTSET;
        goto out;
    }
    rc = keys_read_value(s, &op, 0, &sst, &buf, &n);
    if (rc != STORE_OK)
        goto out;
    store_ws_put(&op.w, ddb, op.kp[1], &dst, buf + FMT_HDR_LEN, n - FMT_HDR_LEN, sst.expire_ms);
    if (!(mode & KEYS_KEEP_SRC))
        store_ws_del(&op.w, sdb, op.kp[0], &sst);
out:
    rc = keys_op_end(s, &op, rc);
    rocks_free(buf);
    return rc;
}

int store_rename(struct store *s, int db, struct omk_slice src, struct omk_slice dst, int flags)
{
    OMK_ASSERT((flags & ~STORE_RENAME_NX) == 0);
    return keys_transfer(s, db, src, db, dst, (flags & STORE_RENAME_NX) ? 0 : KEYS_OVERWRITE);
}

int store_copy(struct store *s, int srcdb, struct omk_slice src, int dstdb, struct omk_slice dst,
               int flags)
{
    OMK_ASSERT((flags & ~STORE_COPY_REPLACE) == 0);
    OMK_ASSERT(srcdb != dstdb || fmt_bytes_cmp(src.p, src.len, dst.p, dst.len) != 0);
    return keys_transfer(s, srcdb, src, dstdb, dst,
                         KEYS_KEEP_SRC | ((flags & STORE_COPY_REPLACE) ? KEYS_OVERWRITE : 0));
}

int store_move(struct store *s, int srcdb, struct omk_slice key, int dstdb)
{
    OMK_ASSERT(srcdb != dstdb);
    return keys_transfer(s, srcdb, key, dstdb, key, 0);
}
