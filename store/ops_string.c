/* ops_string.c - the string operations of store.h's "String operations" block: GET,
 * GETRANGE, SET (with NX/XX/KEEPTTL/GET), MSET, MSETNX, and the read-modify-writes INCRBY,
 * INCRBYFLOAT, APPEND, SETRANGE, STRLEN, GETDEL and GETEX. A value may be stored whole or
 * in fragments: they read and edit it through strval.h, so APPEND and SETRANGE on a
 * large value touch only the fragments they change. Each is one operation of
 * keyspace.c's sequence (store_internal.h): its keys' stripes are held from the lookup
 * to the commit of a single write set, so it is atomic for those keys and the per-db
 * counters stay exact.
 * Invariant: a call reads a key's stored value at most once and writes it at most once. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/strval.h"

/* ---- Reads and writes of whole values ------------------------------------------------ */

/* The outcome so far 'rc' of a lookup of key state 'st', for a call that reads a string:
 * STORE_ERR_VALUE for a value that does not decode, STORE_WRONGTYPE for another type. */
static int str_check(int rc, const struct key_state *st)
{
    if (rc != STORE_OK || !st->exists)
        return rc;
    if (st->bad)
        return STORE_ERR_VALUE;
    return st->type == STORE_TYPE_STRING ? STORE_OK : STORE_WRONGTYPE;
}

int store_get(struct store *s, int db, struct omk_slice key, struct store_val **out)
{
    struct store_op op;
    struct strval v;
    int rc = strval_begin_read(&op, s, db, key, &v);

    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK)
        *out = strval_take(&op, 0, &rc);
    strval_close(&v);
    return store_op_end(&op, rc);
}

void store_mget(struct store *s, int db, const struct omk_slice *keys, size_t n,
                struct store_val **out, int *rcs)
{
    int frag[STORE_MGET_MAX];
    struct store_op op;

    OMK_ASSERT(n <= STORE_MGET_MAX);
    if (n == 0)
        return;
    store_op_begin(&op, s, STORE_OP_READ, n);
    for (size_t i = 0; i < n; i++)
        store_op_key(&op, i, db, keys[i]);
    store_op_lock(&op);
    store_op_lookup_many(&op, STORE_WANT_STRING, rcs);
    for (size_t i = 0; i < n; i++) {
        const struct store_op_key *k = &op.key[i];

        out[i] = NULL;
        frag[i] = 0;
        if (rcs[i] == STORE_OK && !k->st.exists)
            rcs[i] = STORE_NOTFOUND;
        else
            rcs[i] = str_check(rcs[i], &k->st);
        if (rcs[i] != STORE_OK)
            continue;
        if (k->st.fflags & FMT_F_FRAG)
            frag[i] = 1; /* its fragments are read under its stripe, below */
        else
            out[i] = store_op_take_val(&op, i);
    }
    store_op_end(&op, STORE_OK); /* removes the expired keys it found */
    /* A fragmented value is read as GET reads it, in one state under its stripe, after
     * this operation let 'excl' go. */
    for (size_t i = 0; i < n; i++)
        if (frag[i])
            rcs[i] = store_get(s, db, keys[i], &out[i]);
}

/* Clamp GETRANGE's 'start' and 'end' to a value of 'len' bytes as Redis does (negative
 * indexes count from the end, out-of-range ones are cut to the value, except that two
 * negative indexes in the wrong order select nothing). 1 with the range in '*from' and
 * '*n', or 0 when it is empty. */
static int str_range_clamp(long long len, long long start, long long end, uint64_t *from,
                           uint64_t *n)
{
    if (len == 0 || (start < 0 && end < 0 && start > end))
        return 0;
    if (start < 0)
        start = start < -len ? 0 : start + len;
    if (end < 0)
        end = end < -len ? 0 : end + len;
    if (end >= len)
        end = len - 1;
    if (start > end)
        return 0;
    *from = (uint64_t)start;
    *n = (uint64_t)(end - start + 1);
    return 1;
}

int store_getrange(struct store *s, int db, struct omk_slice key, long long start, long long end,
                   struct store_val **out)
{
    struct store_op op;
    struct strval v;
    uint64_t from = 0, n = 0;
    int rc = strval_begin_read(&op, s, db, key, &v);

    *out = NULL;
    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && str_range_clamp((long long)v.len, start, end, &from, &n)) {
        if (!(op.key[0].st.fflags & FMT_F_FRAG)) { /* narrow the value: no copy */
            *out = store_op_take_val(&op, 0);
            (*out)->data += from;
            (*out)->len = (size_t)n;
        } else {
            char *buf = malloc(FMT_HDR_LEN + (size_t)n); /* freed by rocks_free() */

            if (!buf)
                omk_oom(FMT_HDR_LEN + (size_t)n);
            rc = strval_read(&v, from, (size_t)n, buf + FMT_HDR_LEN);
            if (rc == STORE_OK)
                *out = store_val_wrap(buf, FMT_HDR_LEN + (size_t)n, v.expire_ms);
            else
                free(buf);
        }
    }
    strval_close(&v);
    return store_op_end(&op, rc);
}

int store_set(struct store *s, int db, struct omk_slice key, struct omk_slice val, int flags,
              int64_t expire_ms, struct store_val **old)
{
    int want_old = (flags & STORE_SET_GET) != 0;
    const struct key_state *st;
    struct store_op op;
    int64_t new_exp;
    int rc;

    OMK_ASSERT(!want_old || old);
    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    rc = store_op_lookup(&op, 0, want_old ? STORE_WANT_VALUE : STORE_WANT_STATE);
    st = &op.key[0].st;
    if (rc < 0)
        return store_op_end(&op, rc);
    if (want_old && str_check(rc, st) != STORE_OK) /* the old value cannot be returned */
        return store_op_end(&op, str_check(rc, st));
    if (((flags & STORE_SET_NX) && st->live) || ((flags & STORE_SET_XX) && !st->live))
        rc = STORE_NOTSET;
    if (rc == STORE_OK) {
        new_exp = (flags & STORE_SET_KEEPTTL) ? st->expire_ms : expire_ms;
        if (new_exp != 0 && new_exp <= op.now) /* a time already past: the key ends up absent */
            store_op_del(&op, 0);
        else
            store_op_put(&op, 0, val.p, val.len, new_exp);
    }
    if (want_old) {
        int trc = STORE_OK;

        *old = st->live ? strval_take(&op, 0, &trc) : NULL;
        if (trc < 0)
            rc = trc;
    }
    rc = store_op_end(&op, rc);
    if (rc < 0 && want_old) {
        store_val_release(*old);
        *old = NULL;
    }
    return rc;
}

/* One distinct key of an MSET. */
struct mset_item {
    struct omk_slice key;
    size_t pair;      /* index of the pair that wins (the last one naming the key) */
};

/* qsort: by key bytes, then by pair index (so the last of equal keys comes last). */
static int mset_cmp_key(const void *a, const void *b)
{
    const struct mset_item *x = a, *y = b;
    int c = fmt_bytes_cmp(x->key.p, x->key.len, y->key.p, y->key.len);

    if (c)
        return c;
    return x->pair < y->pair ? -1 : x->pair > y->pair;
}

/* MSET ('nx' 0) and MSETNX ('nx' 1): write the pairs in one batch under all their
 * stripes; with 'nx', only if none of the keys is live (else STORE_NOTSET). */
static int store_mset_generic(struct store *s, int db, const struct omk_slice *kv, size_t npairs,
                              int nx)
{
    struct mset_item *it;
    struct store_op op;
    size_t n = 0;
    int rc = STORE_OK;

    if (npairs == 0)
        return STORE_OK;
    /* Keep one item per distinct key, the last pair naming it (Redis: last wins). */
    it = omk_malloc(npairs * sizeof(*it));
    for (size_t i = 0; i < npairs; i++) {
        it[i].key = kv[2 * i];
        it[i].pair = i;
    }
    qsort(it, npairs, sizeof(*it), mset_cmp_key);
    for (size_t i = 0; i < npairs; i++) {
        if (i + 1 < npairs && fmt_bytes_cmp(it[i].key.p, it[i].key.len, it[i + 1].key.p,
                                            it[i + 1].key.len) == 0)
            continue;
        it[n++] = it[i];
    }
    store_op_begin(&op, s, STORE_OP_WRITE, n);
    for (size_t i = 0; i < n; i++)
        store_op_key(&op, i, db, it[i].key);
    store_op_lock(&op);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = store_op_lookup(&op, i, STORE_WANT_STATE);
        if (rc == STORE_OK && nx && op.key[i].st.live)
            rc = STORE_NOTSET;
    }
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        const struct omk_slice *v = &kv[2 * it[i].pair + 1];

        store_op_put(&op, i, v->p, v->len, 0);
    }
    rc = store_op_end(&op, rc);
    omk_free(it);
    return rc;
}

int store_mset(struct store *s, int db, const struct omk_slice *kv, size_t npairs)
{
    return store_mset_generic(s, db, kv, npairs, 0);
}

int store_msetnx(struct store *s, int db, const struct omk_slice *kv, size_t npairs)
{
    return store_mset_generic(s, db, kv, npairs, 1);
}

/* The expiry a rewrite of key 0 of 'op' keeps: its own (0 for a missing key). */
static int64_t str_keep_expiry(const struct store_op *op)
{
    return op->key[0].st.expire_ms;
}

/* ---- Counters ------------------------------------------------------------------------- */

/* Begin the read-modify-write of 'key' in 'db' ('op' is then locked and key 0 looked up
 * with its value). STORE_OK, STORE_ERR_VALUE (its value does not decode), STORE_WRONGTYPE,
 * or an error; in every case the caller ends with store_op_end(). */
static int str_rmw_begin(struct store_op *op, struct store *s, int db, struct omk_slice key)
{
    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    return str_check(store_op_lookup(op, 0, STORE_WANT_VALUE), &op->key[0].st);
}

int store_incrby(struct store *s, int db, struct omk_slice key, long long incr, long long *out)
{
    struct store_op op;
    long long v = 0;
    int rc = str_rmw_begin(&op, s, db, key);
    const struct store_op_key *k = &op.key[0]; /* set by the begin */

    /* A fragmented value is longer than any integer's text. */
    if (rc == STORE_OK && k->val &&
        ((k->st.fflags & FMT_F_FRAG) || !omk_str2ll(k->val, k->vlen, &v)))
        rc = STORE_NOTINT;
    if (rc == STORE_OK && ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
                           (incr > 0 && v > 0 && incr > LLONG_MAX - v)))
        rc = STORE_OVERFLOW;
    if (rc == STORE_OK) {
        char txt[24];

        v += incr;
        store_op_put(&op, 0, txt, omk_ll2str(txt, v), str_keep_expiry(&op));
    }
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK)
        *out = v;
    return rc;
}

/* Write finite 'v' into 'out' (STORE_FLOAT_STR_MAX bytes) as Redis' ld2string() does in
 * its LD_STR_HUMAN mode: "%.17Lf", then the zeros ending the fraction and a dot left
 * alone dropped, and "-0" written "0". Returns the length (no NUL is counted). The
 * widest finite long double takes under 5,000 bytes, so the text always fits. */
size_t store_ld_format(char *out, long double v)
{
    int w = snprintf(out, STORE_FLOAT_STR_MAX, "%.17Lf", v);
    size_t n;

    OMK_ASSERT(w > 0 && w < STORE_FLOAT_STR_MAX);
    n = (size_t)w;
    if (memchr(out, '.', n)) {
        while (out[n - 1] == '0')
            n--;
        if (out[n - 1] == '.')
            n--;
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        n = 1;
    }
    return n;
}

int store_incrbyfloat(struct store *s, int db, struct omk_slice key, long double incr, char *out,
                      size_t *outlen)
{
    char txt[STORE_FLOAT_STR_MAX];
    struct store_op op;
    long double v = 0;
    size_t n = 0;
    int rc = str_rmw_begin(&op, s, db, key);
    const struct store_op_key *k = &op.key[0];

    if (rc == STORE_OK && k->val && (k->st.fflags & FMT_F_FRAG)) {
        /* A fragmented value may still be a number's text (the threshold is low). */
        struct strval sv;

        rc = strval_open(&sv, &op, 0);
        if (rc == STORE_OK && sv.len >= sizeof(txt))
            rc = STORE_NOTFLOAT;
        if (rc == STORE_OK)
            rc = strval_read(&sv, 0, (size_t)sv.len, txt);
        if (rc == STORE_OK && !omk_str2ld(txt, (size_t)sv.len, &v))
            rc = STORE_NOTFLOAT;
        strval_close(&sv);
    } else if (rc == STORE_OK && k->val && !omk_str2ld(k->val, k->vlen, &v)) {
        rc = STORE_NOTFLOAT;
    }
    if (rc == STORE_OK) {
        v += incr;
        if (isnan(v) || isinf(v))
            rc = STORE_NANINF;
    }
    if (rc == STORE_OK) {
        n = store_ld_format(txt, v);
        /* Redis makes it a string object of the text: "embstr" or "raw", never "int" */
        store_op_put_typed(&op, 0, STORE_TYPE_STRING, FMT_F_NOINT, txt, n, str_keep_expiry(&op));
    }
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK) {
        memcpy(out, txt, n);
        *outlen = n;
    }
    return rc;
}

/* ---- Editing a value ------------------------------------------------------------------ */

int store_append(struct store *s, int db, struct omk_slice key, struct omk_slice val,
                 size_t max_len, size_t *newlen)
{
    struct store_op op;
    struct strval v;
    size_t n = 0;
    int rc = str_rmw_begin(&op, s, db, key);

    if (max_len > STRVAL_MAX_LEN)
        max_len = STRVAL_MAX_LEN;
    if (rc == STORE_OK)
        rc = strval_open(&v, &op, 0);
    else
        memset(&v, 0, sizeof(v));
    if (rc == STORE_OK && v.exists && (v.len > max_len || val.len > max_len - v.len))
        rc = STORE_TOOBIG; /* a missing key is not checked: 'val' itself passed the limit */
    if (rc == STORE_OK && !v.exists) {
        n = val.len;
        store_op_put(&op, 0, val.p, val.len, 0);
    } else if (rc == STORE_OK) {
        n = (size_t)v.len + val.len;
        /* Redis appends to a "raw" copy, whatever the result's bytes (an empty append
         * included: strval_grow() to the same length writes nothing, so grow by hand) */
        if (val.len == 0 && !(op.key[0].st.fflags & FMT_F_FRAG))
            store_op_put_typed(&op, 0, STORE_TYPE_STRING, op.key[0].st.fflags | FMT_F_RAW,
                               op.key[0].val, op.key[0].vlen, str_keep_expiry(&op));
        else
            rc = strval_write(&v, v.len, val.p, val.len);
        if (rc == STORE_OK)
            rc = strval_save(&v);
    }
    strval_close(&v);
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK)
        *newlen = n;
    return rc;
}

int store_setrange(struct store *s, int db, struct omk_slice key, size_t offset,
                   struct omk_slice val, size_t max_len, size_t *newlen)
{
    const struct store_op_key *k;
    struct store_op op;
    size_t n = 0;
    int rc;

    /* Writing nothing needs only the current length, which the key's state gives. */
    if (val.len == 0) {
        store_op_begin1(&op, s, STORE_OP_READ, db, key);
        k = &op.key[0];
        rc = str_check(store_op_lookup(&op, 0, STORE_WANT_STATE), &k->st);
        n = k->st.vlen;
        rc = store_op_end(&op, rc);
    } else {
        struct strval v;

        if (max_len > STRVAL_MAX_LEN)
            max_len = STRVAL_MAX_LEN;
        rc = str_rmw_begin(&op, s, db, key);
        if (rc == STORE_OK)
            rc = strval_open(&v, &op, 0);
        else
            memset(&v, 0, sizeof(v));
        if (rc == STORE_OK && (offset > max_len || val.len > max_len - offset)) {
            rc = STORE_TOOBIG;
        } else if (rc == STORE_OK) {
            /* "raw", as Redis makes every SETRANGE result; a missing key has no expiry */
            v.expire_ms = str_keep_expiry(&op);
            rc = strval_write(&v, offset, val.p, val.len);
            if (rc == STORE_OK)
                rc = strval_save(&v);
            n = (size_t)v.len;
        }
        strval_close(&v);
        rc = store_op_end(&op, rc);
    }
    if (rc == STORE_OK)
        *newlen = n;
    return rc;
}

int store_strlen(struct store *s, int db, struct omk_slice key, size_t *len)
{
    const struct key_state *st;
    struct store_op op;
    int rc;

    /* A read, like store_get(): the length comes from the key's state. */
    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    st = &op.key[0].st;
    rc = str_check(store_op_find(&op, 0, STORE_WANT_STATE), st);
    if (rc == STORE_OK)
        *len = st->vlen;
    return store_op_end(&op, rc);
}

/* ---- Reads that write ------------------------------------------------------------------ */

/* Hand value 'v' (NULL: none) to '*out' if the call's outcome 'rc' is STORE_OK, else
 * release it. Returns 'rc'. */
static int str_hand_val(int rc, struct store_val *v, struct store_val **out)
{
    if (rc == STORE_OK)
        *out = v;
    else
        store_val_release(v);
    return rc;
}

int store_getdel(struct store *s, int db, struct omk_slice key, struct store_val **out)
{
    struct store_val *v = NULL;
    struct store_op op;
    int rc = str_rmw_begin(&op, s, db, key);

    if (rc == STORE_OK && !op.key[0].val)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK) {
        store_op_del(&op, 0);
        v = strval_take(&op, 0, &rc);
    }
    return str_hand_val(store_op_end(&op, rc), v, out);
}

int store_getex(struct store *s, int db, struct omk_slice key, enum store_getex_mode mode,
                int64_t expire_ms, struct store_val **out)
{
    struct store_val *v = NULL;
    const struct store_op_key *k;
    struct store_op op;
    int rc;

    if (mode == STORE_GETEX_KEEP)
        return store_get(s, db, key, out);
    rc = str_rmw_begin(&op, s, db, key);
    k = &op.key[0];
    if (rc == STORE_OK && !k->val)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && mode == STORE_GETEX_PERSIST) {
        if (k->st.has_expiry)
            store_op_put_typed(&op, 0, STORE_TYPE_STRING, k->st.fflags, k->val, k->vlen, 0);
    } else if (rc == STORE_OK) {
        OMK_ASSERT(mode == STORE_GETEX_SET && expire_ms > 0);
        if (expire_ms <= op.now) /* a time already past: the key ends up absent */
            store_op_del(&op, 0);
        else
            store_op_put_typed(&op, 0, STORE_TYPE_STRING, k->st.fflags, k->val, k->vlen,
                               expire_ms);
    }
    if (rc == STORE_OK)
        v = strval_take(&op, 0, &rc);
    return str_hand_val(store_op_end(&op, rc), v, out);
}
