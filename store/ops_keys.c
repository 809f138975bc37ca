/* ops_keys.c - keyspace operations over the store's operation sequence (keyspace.c,
 * store_internal.h): EXISTS, DEL, TYPE, TTL, [P]EXPIRE[AT] with NX/XX/GT/LT, PERSIST,
 * RENAME[NX], COPY and MOVE.
 *
 * Each call is one operation: the stripes of the one or two keys it names are held from
 * its lookups to the commit of the one write set it makes, so it is atomic and the per-db
 * counters stay exact. A key found expired counts as missing and is deleted (lazy expiry,
 * as Redis' lookupKeyWrite does). The expiry lives in the value's header, so changing it
 * rewrites the value: the value is read only once the call knows it will write (the
 * header alone answers the rest). */
#include "config.h"

#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/list.h"
#include "store/strval.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

/* ---- Existence and deletion ----------------------------------------------------------- */

/* EXISTS, and with 'touch' TOUCH (which counts as an access when this thread's calls
 * do: store_access_set). */
static int keys_exists(struct store *s, int db, struct omk_slice key, int touch)
{
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    op.touch &= touch;
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    return store_op_end(&op, rc);
}

int store_exists(struct store *s, int db, struct omk_slice key)
{
    return keys_exists(s, db, key, 0);
}

int store_touch(struct store *s, int db, struct omk_slice key)
{
    return keys_exists(s, db, key, 1);
}

int store_del(struct store *s, int db, struct omk_slice key)
{
    struct store_op op;
    int rc;

    /* An expired key was already gone for readers: DEL reports 0, as Redis does (its
     * lookup removes it all the same). */
    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc == STORE_OK)
        store_op_del(&op, 0);
    return store_op_end(&op, rc);
}

/* ---- Type and expiry --------------------------------------------------------------------- */

int store_type(struct store *s, int db, struct omk_slice key, const char **name)
{
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    op.touch = 0; /* not an access, as in Redis */
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc == STORE_OK && op.key[0].st.bad)
        rc = STORE_ERR_VALUE;
    else if (rc == STORE_OK)
        *name = store_type_name(op.key[0].st.type);
    return store_op_end(&op, rc);
}

int store_keyinfo(struct store *s, int db, struct omk_slice key, struct store_keyinfo *out)
{
    const struct key_state *st;
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    op.touch = 0; /* not an access, as in Redis */
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    st = &op.key[0].st;
    if (rc == STORE_OK && st->bad)
        rc = STORE_ERR_VALUE;
    if (rc == STORE_OK) {
        out->type = st->type;
        out->count = st->type == STORE_TYPE_STRING ? st->vlen : st->count;
        out->big = st->type == STORE_TYPE_STRING ? (st->fflags & FMT_F_RAW) != 0
                                                 : (st->fflags & FMT_F_BIG) != 0;
        out->noint = st->type == STORE_TYPE_STRING && (st->fflags & FMT_F_NOINT);
    }
    return store_op_end(&op, rc);
}

int store_ttl(struct store *s, int db, struct omk_slice key, int64_t *expire_ms)
{
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    op.touch = 0; /* not an access, as in Redis */
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc == STORE_OK)
        *expire_ms = op.key[0].st.expire_ms; /* 0 for a value that does not decode: no TTL */
    return store_op_end(&op, rc);
}

#define KEYS_PERSIST 0x100 /* keys_set_expiry: remove the expiry ('when_ms' unused) */

/* EXPIRE and PERSIST: set the expiry of 'key' to 'when_ms' (or remove it, with
 * KEYS_PERSIST) if the STORE_EXPIRE_* conditions in 'flags' hold, the way Redis 7's
 * expireGenericCommand checks them; a 'when_ms' not after now deletes the key. Returns as
 * store_expire(). */
static int keys_set_expiry(struct store *s, int db, struct omk_slice key, int64_t when_ms,
                           int flags)
{
    const struct store_op_key *k;
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    k = &op.key[0];
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc != STORE_OK)
        return store_op_end(&op, rc);
    if (((flags & STORE_EXPIRE_NX) && k->st.has_expiry) ||
        ((flags & STORE_EXPIRE_XX) && !k->st.has_expiry) ||
        ((flags & STORE_EXPIRE_GT) && (!k->st.has_expiry || when_ms <= k->st.expire_ms)) ||
        ((flags & STORE_EXPIRE_LT) && k->st.has_expiry && when_ms >= k->st.expire_ms))
        return store_op_end(&op, STORE_NOTSET);
    if (!(flags & KEYS_PERSIST) && when_ms <= op.now) { /* already past: the key goes */
        store_op_del(&op, 0);
        return store_op_end(&op, STORE_OK);
    }
    if (!(flags & KEYS_PERSIST) && k->st.has_expiry && k->st.expire_ms == when_ms)
        return store_op_end(&op, STORE_OK); /* nothing would change: spare the rewrite */
    /* The value is read only now that a rewrite is certain. */
    rc = store_op_lookup(&op, 0, STORE_WANT_VALUE);
    if (rc == STORE_OK && k->st.bad)
        rc = STORE_ERR_VALUE;
    if (rc == STORE_OK)
        store_op_put_typed(&op, 0, k->st.type, k->st.fflags, k->val, k->vlen,
                           (flags & KEYS_PERSIST) ? 0 : when_ms);
    return store_op_end(&op, rc);
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

/* COPY of split collection key 0 of locked 'op' (its state looked up, 'rc' STORE_OK) to
 * key 1: its elements written under a new id in chunks (coll.h, builders), then the new
 * top-level record put last, in the operation's write set. Ends 'op'. */
static int keys_copy_split(struct store_op *op, int rc)
{
    const struct key_state *st = &op->key[0].st;
    struct coll_builder bd;
    struct coll c;

    coll_build_init(&bd, op->s, st->type);
    rc = coll_open(&c, op, 0, st->type);
    if (rc == STORE_OK)
        rc = coll_build_from(&bd, &c);
    if (rc == STORE_OK)
        rc = coll_build_finish(&bd, op, 1, c.fflags, c.expire_ms);
    rc = store_op_end(op, rc);
    coll_close(&c);
    coll_build_done(&bd);
    return rc;
}

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
    const struct store_op_key *src, *dst;
    struct store_op op;
    int rc;

    store_op_begin(&op, s, STORE_OP_WRITE, same ? 1 : 2);
    store_op_key(&op, 0, sdb, skey);
    if (!same)
        store_op_key(&op, 1, ddb, dkey);
    store_op_lock(&op);
    src = &op.key[0];
    dst = &op.key[same ? 0 : 1];
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc != STORE_OK)
        return store_op_end(&op, rc);
    if (same)
        return store_op_end(&op, (mode & KEYS_OVERWRITE) ? STORE_OK : STORE_NOTSET);
    /* An expired destination reads as missing (its lookup removes it); a live one may
     * refuse the call. */
    rc = store_op_lookup(&op, 1, STORE_WANT_STATE);
    if (rc == STORE_OK && dst->st.exists && !(mode & KEYS_OVERWRITE))
        rc = STORE_NOTSET;
    if (rc == STORE_OK && (mode & KEYS_KEEP_SRC) && src->st.type == STORE_TYPE_LIST &&
        (src->st.fflags & FMT_F_SPLIT))
        return list_copy_split(&op); /* records keyed by sequence number: list.h */
    if (rc == STORE_OK && (mode & KEYS_KEEP_SRC) && src->st.type != STORE_TYPE_STRING &&
        (src->st.fflags & FMT_F_SPLIT))
        return keys_copy_split(&op, rc);
    if (rc == STORE_OK && (mode & KEYS_KEEP_SRC) && src->st.type == STORE_TYPE_STRING &&
        (src->st.fflags & FMT_F_FRAG))
        return strval_copy(&op); /* fragments under a new id: strval.h */
    if (rc == STORE_OK)
        rc = store_op_lookup(&op, 0, STORE_WANT_VALUE);
    if (rc == STORE_OK && src->st.bad)
        rc = STORE_ERR_VALUE;
    if (rc == STORE_OK) {
        /* A split collection's record carries its id: the elements stay where they are,
         * and the key that holds the id changes (O(1) whatever the size). */
        store_op_put_typed(&op, 1, src->st.type, src->st.fflags, src->val, src->vlen,
                           src->st.expire_ms);
        if (!(mode & KEYS_KEEP_SRC)) {
            store_op_del(&op, 0);
            store_access_follow(&op); /* the moved key keeps its access field */
        }
    }
    return store_op_end(&op, rc);
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
