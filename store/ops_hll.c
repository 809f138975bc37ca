/* ops_hll.c - the HyperLogLog operations of store.h's "HyperLogLog" block: PFADD,
 * PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. Each is one write operation of keyspace.c's
 * sequence (store_internal.h): the stripes of its keys are held from the lookups to the
 * commit, so the values it reads, fragmented ones included, are each of one state. A
 * value is read whole through strval.h, edited in RAM by hll.c and written back; when
 * its length did not change only the runs of bytes that did are written (strval_write),
 * so a dense HLL kept in fragments rewrites only the fragments a PFADD touched.
 * Invariant: each key is looked up once per call, in the order Redis reads them, so the
 * error a call reports is the one Redis reports. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/hll.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/strval.h"

/* Bytes of equal value between two changed runs that are still written as one run
 * (fewer, longer writes). */
#define HLL_DIFF_GAP 32

/* ---- The byte past a value's end ----------------------------------------------------
 *
 * HOW IT WORKS: an edit of an XZERO cut short by the end of a sparse value leaves a byte
 * just past the end of Redis' string, which its next walk of the value reads (hll.h,
 * struct hll's 'tail'). Redis keeps that byte with its string object: through the
 * commands that edit the string in place or leave it alone, until a write of another
 * length, a new value (SET, even of the same bytes) or a restart ends it with a NUL
 * again. omenkv keeps the few tails that are not NUL in a small table in RAM, each with
 * the key it belongs to and the length and hash of the value it was left after:
 * hll_put() records the tail of what it writes once the commit is in (under the key's
 * stripes); hll_fetch() gives a value its tail when the key's record is there and the
 * value still has those bytes; every other write of the key (the store's touch hook:
 * SET, DEL, RENAME, APPEND...; not the quiet writes, which change no byte or make the
 * value dense) forgets it, and so does a flush. Lost on a restart, as Redis' is. When
 * the table is full a record is dropped, its key then reads a NUL there. Known gaps:
 * RENAME and MOVE, and SETRANGE or SETBIT changing bytes in place, keep Redis' byte but
 * forget omenkv's. */

#define HLL_TAILS 64         /* records the table holds */
#define HLL_TAIL_KEY_MAX 256 /* longer keys are not recorded (their tail reads as NUL) */

/* One key's byte past the end. */
struct hll_tail_rec {
    const struct store *s; /* the store, NULL: a free slot */
    int db;
    char key[HLL_TAIL_KEY_MAX];
    size_t klen;
    size_t len;            /* the value it was left after: its length ... */
    uint64_t sum;          /* ... and the MurmurHash64A of its bytes */
    uint8_t tail;          /* never 0: a NUL is no record */
};

static pthread_mutex_t hll_tails_mu = PTHREAD_MUTEX_INITIALIZER; /* a leaf lock: guards
                                                                  * the two below */
static struct hll_tail_rec hll_tails[HLL_TAILS];
static unsigned hll_tails_next;    /* the slot taken when none is free (round robin) */
static atomic_int hll_tails_used;  /* records in the table: 0 spares the lock */

/* The hash a record keeps of value 'h'. */
static uint64_t hll_tail_sum(const struct hll *h)
{
    return hll_murmur64a(h->p, h->len, 0);
}

/* The slot of the record of 'key'/'klen' of 'db' in store 's', or -1. Caller holds
 * hll_tails_mu. */
static int hll_tail_slot(const struct store *s, int db, const char *key, size_t klen)
{
    for (int i = 0; i < HLL_TAILS; i++) {
        const struct hll_tail_rec *r = &hll_tails[i];

        if (r->s == s && r->db == db && r->klen == klen && memcmp(r->key, key, klen) == 0)
            return i;
    }
    return -1;
}

/* Free slot 'i'. Caller holds hll_tails_mu. */
static void hll_tail_free(int i)
{
    hll_tails[i].s = NULL;
    atomic_fetch_sub(&hll_tails_used, 1);
}

void hll_tails_forget(const struct store *s, int db, const char *key, size_t klen)
{
    if (atomic_load(&hll_tails_used) == 0)
        return;
    pthread_mutex_lock(&hll_tails_mu);
    for (int i = 0; i < HLL_TAILS; i++) {
        const struct hll_tail_rec *r = &hll_tails[i];

        if (r->s != s || (db >= 0 && r->db != db))
            continue;
        if (!key || (r->klen == klen && memcmp(r->key, key, klen) == 0))
            hll_tail_free(i);
    }
    pthread_mutex_unlock(&hll_tails_mu);
}

/* The tail of value 'h' of key 'ki' of 'op' (read from the store): its record's, if the
 * value still has the bytes it was recorded with, else 0 (Redis' NUL). */
static uint8_t hll_tail_get(const struct store_op *op, size_t ki, const struct hll *h)
{
    const struct fmt_key *k = &op->key[ki].k;
    uint8_t tail = 0;
    int i;

    if (atomic_load(&hll_tails_used) == 0)
        return 0;
    pthread_mutex_lock(&hll_tails_mu);
    i = hll_tail_slot(op->s, op->key[ki].db, k->p + 1, k->len - 1);
    if (i >= 0 && hll_tails[i].len == h->len && hll_tails[i].sum == hll_tail_sum(h))
        tail = hll_tails[i].tail;
    pthread_mutex_unlock(&hll_tails_mu);
    return tail;
}

/* What hll_put() leaves for the record of a tail, until the commit. */
struct hll_tail_note {
    int db;
    char key[HLL_TAIL_KEY_MAX];
    size_t klen;
    size_t len;
    uint64_t sum;
    uint8_t tail;
};

/* store_op's before_unlock (after the commit, under the stripes): record the tail the
 * written value left, or forget the key's (a NUL), once the write is in. Frees 'arg'. */
static void hll_tail_commit(struct store_op *op, int rc, void *arg)
{
    struct hll_tail_note *n = arg;
    int i;

    if (rc >= 0) {
        pthread_mutex_lock(&hll_tails_mu);
        i = hll_tail_slot(op->s, n->db, n->key, n->klen);
        if (i < 0 && n->tail) {
            for (i = 0; i < HLL_TAILS && hll_tails[i].s; i++)
                ;
            if (i == HLL_TAILS) { /* full: drop one */
                i = (int)(hll_tails_next++ % HLL_TAILS);
                hll_tail_free(i);
            }
            atomic_fetch_add(&hll_tails_used, 1);
        } else if (i >= 0 && !n->tail) {
            hll_tail_free(i);
            i = -1;
        }
        if (i >= 0) {
            struct hll_tail_rec *r = &hll_tails[i];

            r->s = op->s;
            r->db = n->db;
            memcpy(r->key, n->key, n->klen);
            r->klen = n->klen;
            r->len = n->len;
            r->sum = n->sum;
            r->tail = n->tail;
        }
        pthread_mutex_unlock(&hll_tails_mu);
    }
    omk_free(n);
}

/* Have the commit of 'op' record the tail of value 'h' written at key 'ki' (or forget
 * the key's record when 'h' leaves a NUL there). At most once per operation. */
static void hll_tail_set(struct store_op *op, size_t ki, const struct hll *h)
{
    const struct fmt_key *k = &op->key[ki].k;
    struct hll_tail_note *n;

    if (k->len - 1 > HLL_TAIL_KEY_MAX || (!h->tail && atomic_load(&hll_tails_used) == 0))
        return;
    OMK_ASSERT(op->before_unlock == NULL);
    n = omk_malloc(sizeof(*n));
    n->db = op->key[ki].db;
    memcpy(n->key, k->p + 1, k->len - 1);
    n->klen = k->len - 1;
    n->len = h->len;
    n->sum = h->tail ? hll_tail_sum(h) : 0;
    n->tail = h->tail;
    op->before_unlock = hll_tail_commit;
    op->before_unlock_arg = n;
}

/* ---- Keys ---------------------------------------------------------------------------- */

/* An argument of a call naming several keys, for sorting them. */
struct hll_arg {
    struct omk_slice key;
    size_t pos; /* its place among the arguments */
};

/* qsort: by key bytes, then by place. */
static int hll_arg_cmp(const void *a, const void *b)
{
    const struct hll_arg *x = a, *y = b;
    int c = fmt_bytes_cmp(x->key.p, x->key.len, y->key.p, y->key.len);

    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Begin write operation 'op' on the distinct keys among the 'n' 'keys' of 'db' and lock
 * it. 'slot[i]' (n entries) receives the operation's key index of keys[i]. */
static void hll_begin_keys(struct store_op *op, struct store *s, int db,
                           const struct omk_slice *keys, size_t n, size_t *slot)
{
    struct hll_arg *a = omk_malloc(n * sizeof(*a));
    size_t nuniq = 0;

    for (size_t i = 0; i < n; i++) {
        a[i].key = keys[i];
        a[i].pos = i;
    }
    qsort(a, n, sizeof(*a), hll_arg_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || fmt_bytes_cmp(a[i].key.p, a[i].key.len, a[i - 1].key.p,
                                    a[i - 1].key.len) != 0)
            nuniq++;
        slot[a[i].pos] = nuniq - 1;
    }
    store_op_begin(op, s, STORE_OP_WRITE, nuniq);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || slot[a[i].pos] != slot[a[i - 1].pos])
            store_op_key(op, slot[a[i].pos], db, a[i].key);
    store_op_lock(op);
    omk_free(a);
}

/* ---- Reading and writing a value ----------------------------------------------------- */

/* Look key 'ki' of locked 'op' up, open it as '*v' and, if it exists, read its value
 * into '*h' after Redis' checks (its header is read first, so a long string that is no
 * HLL costs one small read). '*h' is left empty (p NULL) for a missing key. STORE_OK,
 * STORE_WRONGTYPE, STORE_HLL_INVALID, STORE_ERR_VALUE, or an I/O error; in every case
 * the caller closes '*v' and frees '*h'. */
static int hll_fetch(struct store_op *op, size_t ki, struct strval *v, struct hll *h)
{
    char hdr[HLL_HDR_SIZE];
    int rc = store_op_lookup(op, ki, STORE_WANT_VALUE);

    memset(h, 0, sizeof(*h));
    if (rc != STORE_OK) {
        memset(v, 0, sizeof(*v));
        return rc;
    }
    rc = strval_open(v, op, ki);
    if (rc != STORE_OK || !v->exists)
        return rc;
    if (v->len < HLL_HDR_SIZE)
        return STORE_HLL_INVALID;
    rc = strval_read(v, 0, sizeof(hdr), hdr);
    if (rc != STORE_OK)
        return rc;
    if (hll_check(hdr, (size_t)v->len) != HLL_OK)
        return STORE_HLL_INVALID;
    h->len = (size_t)v->len;
    h->cap = h->len + 8; /* a sparse edit grows it by up to 3 bytes */
    h->p = omk_malloc(h->cap);
    rc = strval_read(v, 0, h->len, (char *)h->p);
    if (rc == STORE_OK && hll_encoding(h->p) == HLL_SPARSE)
        h->tail = hll_tail_get(op, ki, h);
    return rc;
}

/* Write edited value 'h' at key 'ki' of 'op' ('v' open on it), keeping the key's expiry.
 * 'old' holds the bytes the key had ('v->len' of them), or is NULL for a new key. With
 * the same length, only the runs of bytes that differ are written; with none, nothing
 * is, unless 'force' (a call Redis counts as a change: the value is then put again).
 * Otherwise the value is put whole. STORE_OK or an error. */
static int hll_put(struct store_op *op, size_t ki, struct strval *v, const uint8_t *old,
                   const struct hll *h, int force)
{
    int rc = STORE_OK, wrote = 0;

    hll_tail_set(op, ki, h);
    if (old && v->len == h->len) {
        for (size_t i = 0; i < h->len && rc == STORE_OK;) {
            size_t last = i;

            if (old[i] == h->p[i]) {
                i++;
                continue;
            }
            for (size_t j = i + 1; j < h->len && j - last <= HLL_DIFF_GAP; j++)
                if (old[j] != h->p[j])
                    last = j;
            rc = strval_write(v, i, (const char *)h->p + i, last + 1 - i);
            wrote = 1;
            i = last + 1;
        }
        if (rc == STORE_OK && wrote)
            return strval_save(v);
        if (rc != STORE_OK || !force)
            return rc;
    }
    store_op_put_typed(op, ki, STORE_TYPE_STRING, FMT_F_RAW, h->p, h->len,
                       v->exists ? v->expire_ms : 0);
    return STORE_OK;
}

/* Make key 'ki' of 'op' ('v' open on it: an existing value with an HLL header) "raw"
 * without calling it modified, as Redis unshares the value (dbUnshareStringValue) before
 * PFADD, PFCOUNT of one key or PFDEBUG looks at it: written (quietly) only when it is not
 * "raw" yet. For a call that writes nothing else. STORE_OK or an error. */
static int hll_unshare(struct store_op *op, size_t ki, struct strval *v)
{
    int rc;

    strval_unshare(v);
    rc = strval_save(v);
    store_op_quiet(op, ki);
    return rc;
}

/* ---- PFADD --------------------------------------------------------------------------- */

int store_pfadd(struct store *s, int db, struct omk_slice key, const struct omk_slice *elems,
                size_t n, size_t sparse_max, int *changed)
{
    struct store_op op;
    struct strval v;
    struct hll h;
    uint8_t *old = NULL;
    int rc, upd = 0;

    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    rc = hll_fetch(&op, 0, &v, &h);
    if (rc == STORE_OK && !v.exists) {
        hll_init_empty(&h);
        upd = 1; /* a new key is a change even with no element */
    } else if (rc == STORE_OK) {
        old = omk_memdup(h.p, h.len);
    }
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        int hrc = hll_add(&h, elems[i].p, elems[i].len, sparse_max);

        if (hrc == HLL_CHANGED)
            upd = 1;
        else if (hrc < 0)
            rc = STORE_HLL_CORRUPT; /* the registers raised so far stay, as in Redis */
    }
    if ((rc == STORE_OK || rc == STORE_HLL_CORRUPT) && upd) {
        int prc;

        hll_cache_invalidate(h.p); /* a created key too: Redis marks it stale */
        prc = hll_put(&op, 0, &v, old, &h, 0);
        if (rc == STORE_HLL_CORRUPT) /* Redis replied the error before it signals */
            store_op_quiet(&op, 0);
        if (prc != STORE_OK)
            rc = prc;
    } else if (rc == STORE_OK || rc == STORE_HLL_CORRUPT) {
        int prc = hll_unshare(&op, 0, &v);

        if (prc != STORE_OK)
            rc = prc;
    }
    strval_close(&v);
    hll_free(&h);
    omk_free(old);
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK || rc == STORE_HLL_CORRUPT)
        *changed = upd;
    return rc;
}

/* ---- PFCOUNT ------------------------------------------------------------------------- */

/* PFCOUNT of one key: the cached cardinality, or a count that is then cached. */
static int hll_count_one(struct store *s, int db, struct omk_slice key, uint64_t *card)
{
    struct store_op op;
    struct strval v;
    struct hll h;
    uint64_t c = 0;
    int rc;

    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    rc = hll_fetch(&op, 0, &v, &h);
    if (rc == STORE_OK && v.exists && hll_cache_get(h.p, &c)) {
        rc = hll_unshare(&op, 0, &v);
    } else if (rc == STORE_OK && v.exists && hll_count(&h, &c) != HLL_OK) {
        rc = hll_unshare(&op, 0, &v);
        rc = rc == STORE_OK ? STORE_HLL_CORRUPT : rc;
    } else if (rc == STORE_OK && v.exists) {
        /* the count is cached: a write Redis calls a change */
        uint8_t *old = omk_memdup(h.p, h.len);

        hll_cache_set(h.p, c);
        rc = hll_put(&op, 0, &v, old, &h, 0);
        omk_free(old);
    }
    strval_close(&v);
    hll_free(&h);
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK)
        *card = c;
    return rc;
}

/* Merge the HLLs at 'keys' of 'op' (key indexes 'slot', in argument order; each distinct
 * key read once) into 'max'. With 'dst' not NULL, the first key's value is handed over
 * in '*dst' (empty if missing), opened as '*dv', and '*any_dense' says whether an input
 * was dense. STORE_OK or the first key's fault. */
static int hll_merge_keys(struct store_op *op, const size_t *slot, size_t n, uint8_t *max,
                          struct strval *dv, struct hll *dst, int *any_dense)
{
    uint8_t *seen = omk_calloc(op->n, 1);
    int rc = STORE_OK;

    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        struct strval v;
        struct hll h;

        if (seen[slot[i]])
            continue;
        seen[slot[i]] = 1;
        rc = hll_fetch(op, slot[i], &v, &h);
        if (rc == STORE_OK && h.p) {
            if (hll_encoding(h.p) == HLL_DENSE && any_dense)
                *any_dense = 1;
            if (hll_merge(max, &h) != HLL_OK)
                rc = STORE_HLL_CORRUPT;
        }
        if (i == 0 && dst) {
            *dv = v;  /* the caller closes and frees these */
            *dst = h;
            continue;
        }
        strval_close(&v);
        hll_free(&h);
    }
    omk_free(seen);
    return rc;
}

int store_pfcount(struct store *s, int db, const struct omk_slice *keys, size_t n,
                  uint64_t *card)
{
    struct store_op op;
    uint8_t *max;
    size_t *slot;
    int rc;

    OMK_ASSERT(n >= 1);
    if (n == 1)
        return hll_count_one(s, db, keys[0], card);
    /* Several keys: a write that writes nothing, so each value is read in one state. */
    slot = omk_malloc(n * sizeof(*slot));
    max = omk_calloc(1, HLL_REGISTERS);
    hll_begin_keys(&op, s, db, keys, n, slot);
    rc = hll_merge_keys(&op, slot, n, max, NULL, NULL, NULL);
    rc = store_op_end(&op, rc);
    if (rc == STORE_OK)
        *card = hll_count_bytes(max);
    omk_free(max);
    omk_free(slot);
    return rc;
}

/* ---- PFMERGE ------------------------------------------------------------------------- */

int store_pfmerge(struct store *s, int db, const struct omk_slice *keys, size_t n,
                  size_t sparse_max)
{
    struct store_op op;
    struct strval dv;
    struct hll d;
    uint8_t *max, *old = NULL;
    size_t *slot;
    int rc, any_dense = 0;

    OMK_ASSERT(n >= 1);
    slot = omk_malloc(n * sizeof(*slot));
    max = omk_calloc(1, HLL_REGISTERS);
    hll_begin_keys(&op, s, db, keys, n, slot);
    memset(&dv, 0, sizeof(dv));
    memset(&d, 0, sizeof(d));
    rc = hll_merge_keys(&op, slot, n, max, &dv, &d, &any_dense);
    if (rc == STORE_OK && !d.p)
        hll_init_empty(&d);
    else if (rc == STORE_OK)
        old = omk_memdup(d.p, d.len);
    if (rc == STORE_OK && any_dense && hll_to_dense(&d) == HLL_ERR_CORRUPT)
        rc = STORE_HLL_CORRUPT;
    if (rc == STORE_OK) {
        for (unsigned i = 0; i < HLL_REGISTERS; i++)
            if (max[i])
                hll_set(&d, i, max[i], sparse_max); /* 'd' passed the merge: it decodes */
        hll_cache_invalidate(d.p);
        rc = hll_put(&op, slot[0], &dv, old, &d, 1);
    }
    strval_close(&dv);
    hll_free(&d);
    omk_free(old);
    rc = store_op_end(&op, rc);
    omk_free(max);
    omk_free(slot);
    return rc;
}

/* ---- PFDEBUG and PFSELFTEST ---------------------------------------------------------- */

int store_pfdebug(struct store *s, int db, struct omk_slice key, enum store_pfdebug_cmd what,
                  struct store_pfdebug_out *out)
{
    struct store_op op;
    struct strval v;
    struct hll h;
    int rc;

    memset(out, 0, sizeof(*out));
    store_op_begin1(&op, s, STORE_OP_WRITE, db, key);
    rc = hll_fetch(&op, 0, &v, &h);
    if (rc == STORE_OK && !v.exists)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && (what == STORE_PFDEBUG_GETREG || what == STORE_PFDEBUG_TODENSE) &&
        hll_encoding(h.p) == HLL_SPARSE && hll_to_dense(&h) == HLL_CHANGED) {
        /* Redis keeps the dense form it made, without calling the key modified */
        rc = hll_put(&op, 0, &v, NULL, &h, 1);
        store_op_quiet(&op, 0);
        out->converted = rc == STORE_OK;
    } else if (rc == STORE_OK) {
        /* Redis unshares the value before it reads the subcommand (an unknown one too) */
        rc = hll_unshare(&op, 0, &v);
        if (rc == STORE_OK &&
            (what == STORE_PFDEBUG_GETREG || what == STORE_PFDEBUG_TODENSE) &&
            hll_encoding(h.p) == HLL_SPARSE)
            rc = STORE_HLL_CORRUPT; /* the sparse code did not decode */
    }
    if (rc == STORE_OK && what == STORE_PFDEBUG_GETREG) {
        out->regs = omk_malloc(HLL_REGISTERS);
        for (unsigned i = 0; i < HLL_REGISTERS; i++)
            out->regs[i] = (uint8_t)hll_dense_get(h.p + HLL_HDR_SIZE, i);
    } else if (rc == STORE_OK && what == STORE_PFDEBUG_DECODE) {
        if (hll_encoding(h.p) != HLL_SPARSE)
            rc = STORE_HLL_NOTSPARSE;
        else
            out->text = hll_decode(&h, &out->textlen);
    } else if (rc == STORE_OK && what == STORE_PFDEBUG_ENCODING) {
        out->dense = hll_encoding(h.p) == HLL_DENSE;
    }
    strval_close(&v);
    hll_free(&h);
    rc = store_op_end(&op, rc);
    if (rc != STORE_OK) {
        omk_free(out->regs);
        omk_free(out->text);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int store_pfselftest(size_t sparse_max, char *err, size_t errlen)
{
    return hll_selftest(sparse_max, err, errlen);
}
