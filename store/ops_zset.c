/* ops_zset.c - the sorted-set operations of store.h's "Collections: sorted sets" block, on
 * the collection layer (coll.h): each call is one operation holding its keys' stripes,
 * opens each key as a zset (a map of members to 8-byte scores), reads and changes
 * members through it, and saves it in one write set.
 *
 * ORDER. A zset is ordered by (score, member bytes), -0 equal to 0. An inline zset keeps
 * its members in no order: a call that needs the order sorts them (they fit in
 * collection-inline-max-bytes). A split zset keeps its score index (format.h) beside its
 * element records: keys id | tag | score | member, so one iterator walks it in order,
 * either way, and a score or member bound is one seek. Ranks on a large split zset come
 * from its rank blocks (zrank.h): the count of index keys before a block boundary, then
 * at most a block's steps; a zset without blocks in RAM gets them built by one walk of
 * its index the first time a rank is asked (zset_blocks).
 *
 * Every call that reads an order (ranges, pops, removals by range, ranks) reads first
 * and changes after: the score index iterator sees RocksDB (and this thread's open
 * transaction), not the operation's own pending changes.
 *
 * Redis' encoding (OBJECT ENCODING) follows 7.0's rules whatever our layout: a new zset
 * is "skiplist" at once when zset-max-listpack-entries is 0 or its first member is longer
 * than zset-max-listpack-value; a zset becomes "skiplist" for good when a member is
 * added beyond the entries limit or longer than the value limit (FMT_F_BIG); a *STORE
 * result is encoded by its own size and longest member. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/zrank.h"

/* ---- Scores and members ------------------------------------------------------------- */

/* A member and its score. */
struct zent {
    struct omk_slice m;
    double score;
};

/* Compare (score, member) pairs in the zset's order. */
static int zent_cmp(double s1, struct omk_slice m1, double s2, struct omk_slice m2)
{
    size_t n = m1.len < m2.len ? m1.len : m2.len;
    int d;

    if (s1 < s2)
        return -1;
    if (s1 > s2)
        return 1;
    d = n ? memcmp(m1.p, m2.p, n) : 0;
    if (d)
        return d;
    return m1.len < m2.len ? -1 : m1.len > m2.len;
}

static int zent_qcmp(const void *a, const void *b)
{
    const struct zent *x = a, *y = b;

    return zent_cmp(x->score, x->m, y->score, y->m);
}

/* Compare member bytes (lex ranges). */
static int zlex_cmp(struct omk_slice a, struct omk_slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int d = n ? memcmp(a.p, b.p, n) : 0;

    if (d)
        return d;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* The score a value holds. STORE_OK, or STORE_ERR_VALUE if it is not 8 bytes. */
static int zscore_of(struct omk_slice v, double *score)
{
    if (v.len != 8)
        return STORE_ERR_VALUE;
    *score = fmt_score_get(v.p);
    return STORE_OK;
}

/* Whether 'score' is at or above the range's low end / at or below its high end. */
static int zr_gte_min(const struct store_zrange *r, double score)
{
    return r->minex ? score > r->min : score >= r->min;
}

static int zr_lte_max(const struct store_zrange *r, double score)
{
    return r->maxex ? score < r->max : score <= r->max;
}

static int zr_lex_gte_min(const struct store_zrange *r, struct omk_slice m)
{
    int d;

    if (r->lmininf)
        return 1;
    d = zlex_cmp(m, r->lmin);
    return r->lminex ? d > 0 : d >= 0;
}

static int zr_lex_lte_max(const struct store_zrange *r, struct omk_slice m)
{
    int d;

    if (r->lmaxinf)
        return 1;
    d = zlex_cmp(m, r->lmax);
    return r->lmaxex ? d < 0 : d <= 0;
}

/* ---- Opening ------------------------------------------------------------------------- */

/* Begin a write operation on zset 'key' ('op' locked, 'c' open). STORE_OK,
 * STORE_WRONGTYPE, STORE_ERR_VALUE or an error; the caller ends with zset_end(). */
static int zset_begin(struct store_op *op, struct coll *c, struct store *s, int db,
                      struct omk_slice key);
static int zset_end(struct store_op *op, struct coll *c, int rc);

/* ---- Rank blocks of a split zset (zrank.h) ------------------------------------------- */

#define ZSET_BLOCKS_MIN 1024 /* split zsets this small are walked, with no blocks */
/* A rank query seeks a block's boundary and steps to its key: about 100 ns a step, a
 * block's keys (B / 2 to 2B) at most. Sets built under ZSET_SMALL_BLOCKS_MAX members get
 * blocks of ZSET_SMALL_BLOCK keys: walks a quarter of ZRANK_BLOCK's for 4 times its RAM
 * (about 2.3 bytes a member, 4.7 MB at most per set, within STORE_ZRANK_BUDGET); larger
 * ones keep ZRANK_BLOCK (zrank.c: 5.6 MB at 10M members). */
#define ZSET_SMALL_BLOCK 32
#define ZSET_SMALL_BLOCKS_MAX (UINT64_C(1) << 21)
#define ZSET_DELTAS_MAX 512  /* an operation changing more index keys drops the blocks (a
                              * cut looks at every change so far: quadratic past this) */

/* One change of the score index made by the open operation (not in RocksDB yet). */
struct zdelta {
    char *k;    /* the whole index key */
    size_t klen;
    int add;    /* 1: added, 0: removed */
};

/* The rank blocks of a split zset while an operation has it open: pinned when the
 * registry holds them (or a rank query built them), and told every score-index change
 * made through the operation (coll.h's on_zscore), which it also remembers so that a
 * block cut in the middle of the operation counts the keys RocksDB does not show yet. */
struct zset_ranks {
    struct coll *c;       /* the zset */
    char *end[2];         /* the last key a pop removed from the low [0] / high [1] end:
                           * that end of the index, once the commit is done */
    size_t endlen[2];
    struct zrank *z;      /* pinned, or NULL */
    int failed;           /* a change could not be counted: drop the blocks at the end */
    struct zdelta *d;
    size_t nd, capd;
};

static int zset_blocks_build(struct coll *c, struct zset_ranks *zr);
static void zset_on_zscore(struct coll *c, struct omk_slice m, const struct omk_slice *old,
                           const struct omk_slice *nw);
static void zset_blocks_done(struct store_op *op, int rc, void *arg);
static void zset_end_set(struct store *s, uint64_t id, int side, const char *k, size_t klen);

/* The rank blocks of split zset 'c', pinned in 'zr': the registry's, or built by one walk
 * of the index ('build' 1; a zset under ZSET_BLOCKS_MIN members gets none). Every change
 * made through 'c' after this keeps them in step. STORE_OK or an error. */
static int zset_blocks(struct coll *c, struct zset_ranks *zr, int build)
{
    struct zrank_reg *reg = c->op->s->zranks;

    c->on_zscore = zset_on_zscore;
    c->zarg = zr;
    zr->c = c;
    c->op->before_unlock = zset_blocks_done; /* unpinned under the stripe */
    c->op->before_unlock_arg = zr;
    if (zr->z || !(c->fflags & FMT_F_SPLIT))
        return STORE_OK;
    zr->z = zrank_reg_get(reg, c->id);
    if (zr->z && zrank_total(zr->z) != c->count) { /* cannot be: counted wrong somewhere */
        zrank_reg_drop(reg, c->id);
        zrank_reg_release(reg, zr->z);
        zr->z = NULL;
    }
    if (zr->z || !build || c->count < (c->op->s->zrank_min ? c->op->s->zrank_min : ZSET_BLOCKS_MIN))
        return STORE_OK;
    return zset_blocks_build(c, zr);
}

/* store_op's before_unlock: unpin the blocks, dropped when a change was not counted or
 * the commit failed. */
static void zset_blocks_done(struct store_op *op, int rc, void *arg)
{
    struct zset_ranks *zr = arg;
    struct coll *c = zr->c;

    OMK_UNUSED(op);
    for (int side = 0; side < 2; side++) {
        if (zr->end[side] && rc >= 0)
            zset_end_set(c->op->s, c->id, side, zr->end[side], zr->endlen[side]);
        omk_free(zr->end[side]);
        zr->end[side] = NULL;
    }
    for (size_t i = 0; i < zr->nd; i++)
        omk_free(zr->d[i].k);
    omk_free(zr->d);
    zr->d = NULL;
    zr->nd = zr->capd = 0;
    if (!zr->z)
        return;
    if (zr->failed || rc < 0)
        zrank_reg_drop(c->op->s->zranks, c->id);
    zrank_reg_release(c->op->s->zranks, zr->z);
    zr->z = NULL;
}

/* ---- Where a split zset's live index keys begin and end --------------------------------
 * A pop (ZPOPMIN, ZREMRANGEBYRANK 0 ...) deletes the first index keys; RocksDB keeps their
 * deletions until a compaction, and a seek to the start of the index would step over
 * every one of them again, pop after pop. So the store remembers per split zset a key no
 * live index key sorts below ('lo') and one none sorts above ('hi'), and walks seek
 * there. A pop moves them (once its commit is done, under the stripe); an added key
 * beyond one of them moves it back. Kept in RAM only (a restart walks the deletions once);
 * a table of ZSET_ENDS entries, an id in the slot its number picks. */

#define ZSET_ENDS 256

struct zset_end {
    uint64_t id;          /* 0: empty */
    char *k[2];           /* [0] lo, [1] hi: whole index keys, NULL: unknown */
    size_t klen[2];
};

struct zset_ends {
    pthread_mutex_t mu;   /* held only inside these calls */
    struct zset_end e[ZSET_ENDS];
};

struct zset_ends *zset_ends_new(void)
{
    struct zset_ends *t = omk_calloc(1, sizeof(*t));

    omk_mutex_init(&t->mu);
    return t;
}

static void zset_end_forget(struct zset_end *x)
{
    omk_free(x->k[0]);
    omk_free(x->k[1]);
    memset(x, 0, sizeof(*x));
}

void zset_ends_clear(struct zset_ends *t)
{
    omk_mutex_lock(&t->mu);
    for (size_t i = 0; i < ZSET_ENDS; i++)
        zset_end_forget(&t->e[i]);
    omk_mutex_unlock(&t->mu);
}

void zset_ends_free(struct zset_ends *t)
{
    if (!t)
        return;
    zset_ends_clear(t);
    pthread_mutex_destroy(&t->mu);
    omk_free(t);
}

/* A copy of end 'side' (0 lo, 1 hi) of zset 'id' (omk_free), or NULL when unknown. */
static char *zset_end_get(struct store *s, uint64_t id, int side, size_t *len)
{
    struct zset_ends *t = s->zends;
    struct zset_end *x = &t->e[id % ZSET_ENDS];
    char *k = NULL;

    omk_mutex_lock(&t->mu);
    if (x->id == id && x->k[side]) {
        k = omk_memdup(x->k[side], x->klen[side]);
        *len = x->klen[side];
    }
    omk_mutex_unlock(&t->mu);
    return k;
}

/* Set end 'side' of zset 'id' to key 'k' (every live key is on its far side). */
static void zset_end_set(struct store *s, uint64_t id, int side, const char *k, size_t klen)
{
    struct zset_ends *t = s->zends;
    struct zset_end *x = &t->e[id % ZSET_ENDS];

    omk_mutex_lock(&t->mu);
    if (x->id != id) {
        zset_end_forget(x);
        x->id = id;
    }
    omk_free(x->k[side]);
    x->k[side] = omk_memdup(k, klen);
    x->klen[side] = klen;
    omk_mutex_unlock(&t->mu);
}

/* Index key 'k' was added to zset 'id': an end it passes moves back to it. */
static void zset_end_added(struct store *s, uint64_t id, const char *k, size_t klen)
{
    struct zset_ends *t = s->zends;
    struct zset_end *x = &t->e[id % ZSET_ENDS];

    omk_mutex_lock(&t->mu);
    if (x->id == id) {
        for (int side = 0; side < 2; side++) {
            int d;

            if (!x->k[side])
                continue;
            d = fmt_bytes_cmp(k, klen, x->k[side], x->klen[side]);
            if (side ? d > 0 : d < 0) {
                omk_free(x->k[side]);
                x->k[side] = omk_memdup(k, klen);
                x->klen[side] = klen;
            }
        }
    }
    omk_mutex_unlock(&t->mu);
}

/* Position 'it' at the first index key of split zset 'c' at or after 'key'/'klen'
 * (NULL: its first), or with 'rev' at its last one at or before 'key' (NULL: its last):
 * past the deletions pops left at that end. */
static void zset_seek(struct coll *c, struct rocks_iter *it, const char *key, size_t klen, int rev)
{
    size_t elen = 0;
    char *end = zset_end_get(c->op->s, c->id, rev, &elen);
    unsigned char k[9];

    if (!key) {
        if (rev)
            fmt_u64_be_put(k, c->id + 1); /* the last key before the next id */
        else
            fmt_zscore_id_prefix(k, c->id);
        key = (const char *)k;
        klen = rev ? 8 : 9;
    }
    if (end && (rev ? fmt_bytes_cmp(end, elen, key, klen) < 0 : fmt_bytes_cmp(end, elen, key, klen) > 0)) {
        key = end;
        klen = elen;
    }
    if (rev)
        rocks_iter_seek_for_prev(it, key, klen);
    else
        rocks_iter_seek(it, key, klen);
    omk_free(end);
}

/* ---- An ordered walk --------------------------------------------------------------- */

/* Members of an open zset in order ('rev': from the highest), one at a time. */
struct zwalk {
    struct coll *c;
    int rev;
    /* Inline: the members sorted, the current index (-1 or n: past an end). */
    struct zent *v;
    long n, i;
    /* Split: the score index through one iterator. */
    struct rocks_iter *it;
    unsigned char pre[9]; /* id | tag: every key of the index starts so */
    int rc;               /* an error met */
    /* The current member (valid until the walk moves). */
    struct zent cur;
};

/* An inline zset's members sorted (pointing into 'c'); '*n' their number. */
static int zset_sorted(struct coll *c, struct zent **out, long *n)
{
    struct zent *v = omk_malloc((c->n ? c->n : 1) * sizeof(*v));

    for (size_t i = 0; i < c->n; i++) {
        v[i].m = c->el[i].e;
        if (zscore_of(c->el[i].v, &v[i].score) != STORE_OK) {
            omk_free(v);
            return STORE_ERR_VALUE;
        }
    }
    if (c->n > 1)
        qsort(v, c->n, sizeof(*v), zent_qcmp);
    *out = v;
    *n = (long)c->n;
    return STORE_OK;
}

/* Load the walk's current member from the iterator: 1 if it is one of this zset's. */
static int zwalk_load(struct zwalk *w)
{
    size_t klen;
    const char *k;
    uint64_t id;

    if (!rocks_iter_valid(w->it)) {
        if (w->rc == STORE_OK)
            w->rc = rocks_iter_status(w->it);
        return 0;
    }
    k = rocks_iter_key(w->it, &klen);
    if (klen < sizeof(w->pre) || memcmp(k, w->pre, sizeof(w->pre)) != 0)
        return 0;
    if (fmt_zscore_decode(k, klen, &id, &w->cur.score, &w->cur.m.p, &w->cur.m.len) != 0) {
        w->rc = STORE_ERR_VALUE;
        return 0;
    }
    if (w->cur.score == 0) {
        size_t vlen;

        rocks_iter_value(w->it, &vlen);
        if (vlen == 1) /* FMT_ZSCORE_NEGZERO */
            w->cur.score = -0.0;
    }
    return 1;
}

static int zwalk_open(struct zwalk *w, struct coll *c, int rev)
{
    memset(w, 0, sizeof(*w));
    w->c = c;
    w->rev = rev;
    if (!(c->fflags & FMT_F_SPLIT)) {
        w->rc = zset_sorted(c, &w->v, &w->n);
        w->i = -1;
        return w->rc;
    }
    {
        unsigned char upper[8];

        fmt_zscore_id_prefix(w->pre, c->id); /* the first 9 bytes: id | tag */
        fmt_u64_be_put(upper, c->id + 1);
        w->it = store_log_iter(c->op->s, ROCKS_CF_ELEMS, (const char *)upper, sizeof(upper));
    }
    return STORE_OK;
}

static void zwalk_close(struct zwalk *w)
{
    omk_free(w->v);
    if (w->it)
        rocks_iter_free(w->it);
    memset(w, 0, sizeof(*w));
}

/* 1 with w->cur set while the walk is on a member; 0 past the end (or on an error:
 * w->rc). */
static int zwalk_valid(struct zwalk *w)
{
    if (w->v || !w->it) {
        if (w->i < 0 || w->i >= w->n)
            return 0;
        w->cur = w->v[w->i];
        return 1;
    }
    return zwalk_load(w);
}

/* One step in the walk's direction. */
static void zwalk_next(struct zwalk *w)
{
    if (!w->it)
        w->i += w->rev ? -1 : 1;
    else if (w->rev)
        rocks_iter_prev(w->it);
    else
        rocks_iter_next(w->it);
}

/* Position a split walk at the first index key >= 'key' (forward) or the last <= it
 * (reverse). */
static void zwalk_seek_key(struct zwalk *w, const unsigned char *key, size_t klen)
{
    zset_seek(w->c, w->it, (const char *)key, klen, w->rev);
}

/* Position the walk at its first member. */
static void zwalk_first(struct zwalk *w)
{
    if (!w->it) {
        w->i = w->rev ? w->n - 1 : 0;
        return;
    }
    zset_seek(w->c, w->it, NULL, 0, w->rev);
}

/* The 17-byte score-index prefix at 'score' (+1 when 'after': past every key of that
 * score, as the order-preserving bytes are one integer). */
static void zwalk_score_key(const struct zwalk *w, double score, int after, unsigned char *out)
{
    uint64_t u = 0;

    fmt_zscore_prefix(out, w->c->id, score);
    if (!after)
        return;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | out[9 + i];
    u++;
    for (int i = 7; i >= 0; i--, u >>= 8)
        out[9 + i] = (unsigned char)u;
}

/* Position the walk at the first member in score range 'r' from its start: forward, the
 * first at or above the low end; reverse, the last at or below the high end. The caller
 * checks the other end. */
static void zwalk_seek_score(struct zwalk *w, const struct store_zrange *r)
{
    unsigned char k[FMT_ZSCORE_PREFIX];

    if (!w->it) {
        zwalk_first(w);
        while (zwalk_valid(w) && !(w->rev ? zr_lte_max(r, w->cur.score)
                                           : zr_gte_min(r, w->cur.score)))
            zwalk_next(w);
        return;
    }
    if (!w->rev) {
        if (r->min == -INFINITY && !r->minex) {
            zwalk_first(w);
            return;
        }
        zwalk_score_key(w, r->min, r->minex, k); /* exclusive: past every key of 'min' */
        zwalk_seek_key(w, k, sizeof(k));
        return;
    }
    if (r->max == INFINITY && !r->maxex) {
        zwalk_first(w);
        return;
    }
    zwalk_score_key(w, r->max, !r->maxex, k); /* inclusive: the last key of 'max' */
    zwalk_seek_key(w, k, sizeof(k));
    while (zwalk_valid(w) && !zr_lte_max(r, w->cur.score)) /* an empty member at 'max' */
        zwalk_next(w);
}

/* Position the walk at the first member in lex range 'r' from its start, as Redis walks
 * a listpack: forward, the first member >= the low end (meaningful when the scores are
 * equal, as ZRANGEBYLEX requires); reverse, the last <= the high end. */
static void zwalk_seek_lex(struct zwalk *w, const struct store_zrange *r)
{
    if (w->it && !(w->rev ? r->lmaxinf : r->lmininf)) {
        /* Every score the same (else the result is undefined, as in Redis): seek within
         * the first member's score. */
        struct fmt_key k;
        struct omk_slice b = w->rev ? r->lmax : r->lmin;

        zwalk_first(w);
        if (!zwalk_valid(w))
            return;
        fmt_zscore_key(&k, w->c->id, w->cur.score, b.p, b.len);
        if (w->rev) {
            /* The last key <= (score, max), past it for an exclusive bound. */
            zwalk_seek_key(w, (const unsigned char *)k.p, k.len);
        } else {
            zwalk_seek_key(w, (const unsigned char *)k.p, k.len);
        }
        fmt_key_deinit(&k);
    } else {
        zwalk_first(w);
    }
    while (zwalk_valid(w) && !(w->rev ? zr_lex_lte_max(r, w->cur.m) : zr_lex_gte_min(r, w->cur.m)))
        zwalk_next(w);
}

/* ---- Ranks ----------------------------------------------------------------------------- */

/* Build the rank blocks of split zset 'c' by one walk of its index, adopted by the
 * store's registry and pinned in 'zr'. STORE_OK or an error. */
static int zset_blocks_build(struct coll *c, struct zset_ranks *zr)
{
    uint32_t block = c->op->s->zrank_block ? c->op->s->zrank_block
                     : c->count < ZSET_SMALL_BLOCKS_MAX ? ZSET_SMALL_BLOCK
                                                        : ZRANK_BLOCK;
    struct zrank *z = zrank_new_sized(block);
    struct zwalk w;
    uint64_t n = 0;
    int rc = zwalk_open(&w, c, 0);

    for (zwalk_first(&w); rc == STORE_OK && zwalk_valid(&w); zwalk_next(&w)) {
        size_t klen;
        const char *k = rocks_iter_key(w.it, &klen);

        zrank_build_add(z, k + 8, klen - 8);
        n++;
    }
    if (rc == STORE_OK)
        rc = w.rc;
    zwalk_close(&w);
    if (rc == STORE_OK && n != c->count)
        rc = STORE_ERR_VALUE; /* the index disagrees with the count: DEBUG CHECK says more */
    if (rc != STORE_OK) {
        zrank_free(z);
        return rc;
    }
    zrank_reg_put(c->op->s->zranks, c->id, z);
    zr->z = z;
    return STORE_OK;
}

/* What the operation's own changes say of index key 'k': 1 present, 0 absent, -1 not
 * changed (RocksDB's word holds); '*in_db' whether RocksDB holds it (its first change
 * was a removal). */
static int zdelta_state(const struct zset_ranks *zr, const char *k, size_t klen, int *in_db)
{
    int state = -1;

    *in_db = -1;
    for (size_t i = 0; i < zr->nd; i++) {
        if (zr->d[i].klen != klen || memcmp(zr->d[i].k, k, klen) != 0)
            continue;
        if (*in_db < 0)
            *in_db = !zr->d[i].add;
        state = zr->d[i].add;
    }
    return state;
}

static int zdelta_qcmp(const void *a, const void *b)
{
    const struct zdelta *x = a, *y = b;

    return fmt_bytes_cmp(x->k, x->klen, y->k, y->klen);
}

/* Cut the over-full block holding index key 'k' in two (zrank.h's owner protocol): its
 * keys as they stand now are RocksDB's from its boundary on, minus those this operation
 * removed, plus those it added; the middle one becomes the new boundary. */
static void zset_block_cut(struct coll *c, struct zset_ranks *zr, const char *k, size_t klen)
{
    const char *bound;
    size_t blen, na = 0, ia = 0;
    uint64_t before, count, want, seen = 0;
    struct zdelta *adds = omk_malloc((zr->nd ? zr->nd : 1) * sizeof(*adds));
    unsigned char *seek;
    struct rocks_iter *it;
    unsigned char upper[8], pre[FMT_ZSCORE_PREFIX];
    char *mid = NULL;
    size_t midlen = 0;

    fmt_zscore_id_prefix(pre, c->id); /* its first 9 bytes: id | tag */
    zrank_find(zr->z, k + 8, klen - 8, &bound, &blen, &before, &count);
    want = count / 2;
    /* The keys this operation added that RocksDB lacks, at or past the boundary, sorted. */
    for (size_t i = 0; i < zr->nd; i++) {
        int in_db, st = zdelta_state(zr, zr->d[i].k, zr->d[i].klen, &in_db);

        if (st == 1 && !in_db && zr->d[i].add &&
            fmt_bytes_cmp(zr->d[i].k + 8, zr->d[i].klen - 8, bound, blen) >= 0) {
            int dup = 0;

            for (size_t j = 0; j < na && !dup; j++)
                dup = adds[j].klen == zr->d[i].klen && !memcmp(adds[j].k, zr->d[i].k, adds[j].klen);
            if (!dup)
                adds[na++] = zr->d[i];
        }
    }
    if (na > 1)
        qsort(adds, na, sizeof(*adds), zdelta_qcmp);
    seek = omk_malloc(8 + blen + 1);
    fmt_zscore_id_prefix(seek, c->id);
    if (blen)
        memcpy(seek + 8, bound, blen);
    fmt_u64_be_put(upper, c->id + 1);
    it = store_log_iter(c->op->s, ROCKS_CF_ELEMS, (const char *)upper, sizeof(upper));
    zset_seek(c, it, (const char *)seek, blen ? 8 + blen : 9, 0);
    omk_free(seek);
    /* Merge the two ordered streams up to the key at offset 'want'. */
    while (seen <= want) {
        size_t dlen = 0;
        const char *dk = NULL;
        int in_db, st;

        if (rocks_iter_valid(it)) {
            dk = rocks_iter_key(it, &dlen);
            if (dlen < 9 || memcmp(dk, pre, 9) != 0) /* past this zset's index */
                dk = NULL;
        }
        if (ia < na && (!dk || fmt_bytes_cmp(adds[ia].k, adds[ia].klen, dk, dlen) < 0)) {
            if (seen++ == want) {
                mid = adds[ia].k;
                midlen = adds[ia].klen;
            }
            ia++;
            continue;
        }
        if (!dk)
            break; /* fewer keys than counted */
        st = zdelta_state(zr, dk, dlen, &in_db);
        if (st != 0 && seen++ == want) {
            mid = omk_memdup(dk, dlen);
            midlen = dlen;
            rocks_iter_next(it);
            break;
        }
        rocks_iter_next(it);
    }
    rocks_iter_free(it);
    if (!mid || midlen <= 8 || zrank_split(zr->z, mid + 8, midlen - 8, want) != ZRANK_OK)
        zr->failed = 1; /* the blocks and the index disagree: build them again */
    if (mid && (ia == 0 || mid != adds[ia - 1].k))
        omk_free(mid);
    omk_free(adds);
}

/* coll.h's on_zscore: count each index change in the pinned rank blocks. */
static void zset_on_zscore(struct coll *c, struct omk_slice m, const struct omk_slice *old,
                           const struct omk_slice *nw)
{
    struct zset_ranks *zr = c->zarg;
    const struct omk_slice *ch[2] = {old, nw};
    int rc;

    if (nw) { /* an end the new key passes moves back to it */
        struct fmt_key k;

        fmt_zscore_key(&k, c->id, fmt_score_get(nw->p), m.p, m.len);
        zset_end_added(c->op->s, c->id, k.p, k.len);
        fmt_key_deinit(&k);
    }
    if (!zr || !zr->z || zr->failed)
        return;
    if (zr->nd >= ZSET_DELTAS_MAX) {
        zr->failed = 1; /* built again from the index when next needed */
        return;
    }
    for (int a = 0; a < 2; a++) {
        struct fmt_key k;
        struct zdelta *d;

        if (!ch[a])
            continue;
        fmt_zscore_key(&k, c->id, fmt_score_get(ch[a]->p), m.p, m.len);
        if (zr->nd == zr->capd) {
            zr->capd = zr->capd ? 2 * zr->capd : 8;
            zr->d = omk_realloc(zr->d, zr->capd * sizeof(*zr->d));
        }
        d = &zr->d[zr->nd++];
        d->k = omk_memdup(k.p, k.len);
        d->klen = k.len;
        d->add = a;
        fmt_key_deinit(&k);
        rc = a ? zrank_insert(zr->z, d->k + 8, d->klen - 8) : zrank_remove(zr->z, d->k + 8, d->klen - 8);
        if (rc == ZRANK_SPLIT)
            zset_block_cut(c, zr, d->k, d->klen);
        else if (rc != ZRANK_OK)
            zr->failed = 1; /* the blocks and the index disagree: build them again */
        if (zr->failed)
            return;
    }
}

/* Position walk 'w' (opened forward or reverse) at the member of forward rank 'rank'
 * (< count). */
static int zwalk_seek_rank(struct zwalk *w, struct zset_ranks *zr, uint64_t rank)
{
    struct coll *c = w->c;
    uint64_t steps;

    if (!w->it) {
        w->i = (long)rank;
        return STORE_OK;
    }
    if (zr && zr->z && !zr->failed) {
        const char *bound;
        size_t blen;
        uint64_t first;
        unsigned char *k = NULL;

        zrank_at(zr->z, rank, &bound, &blen, &first, NULL);
        k = omk_malloc(8 + blen + 1);
        fmt_zscore_id_prefix(k, c->id);
        if (blen)
            memcpy(k + 8, bound, blen);
        zset_seek(c, w->it, (const char *)k, blen ? 8 + blen : sizeof(w->pre), 0);
        omk_free(k);
        for (steps = rank - first; steps > 0 && zwalk_valid(w); steps--)
            rocks_iter_next(w->it);
        return w->rc;
    }
    /* No blocks: walk from the nearer end. */
    if (rank < c->count - rank) {
        zset_seek(c, w->it, NULL, 0, 0);
        for (steps = rank; steps > 0 && zwalk_valid(w); steps--)
            rocks_iter_next(w->it);
    } else {
        zset_seek(c, w->it, NULL, 0, 1);
        for (steps = c->count - 1 - rank; steps > 0 && zwalk_valid(w); steps--)
            rocks_iter_prev(w->it);
    }
    return w->rc;
}

/* The number of score-index keys of split zset 'c' below 'key' (any key of its index
 * range, a member's or a bound's): from the rank blocks, O(log n) plus a block's steps;
 * without them a walk from the start. STORE_OK or an error. */
static int zset_rank_of_key(struct coll *c, struct zset_ranks *zr, const char *key, size_t klen,
                            uint64_t *rank)
{
    struct zwalk w;
    uint64_t r = 0;
    int rc = zwalk_open(&w, c, 0);

    if (rc == STORE_OK && zr->z && !zr->failed) {
        const char *bound;
        size_t blen;
        unsigned char *b;

        zrank_find(zr->z, key + 8, klen - 8, &bound, &blen, &r, NULL);
        b = omk_malloc(8 + blen + 1);
        fmt_zscore_id_prefix(b, c->id);
        if (blen)
            memcpy(b + 8, bound, blen);
        zset_seek(c, w.it, (const char *)b, blen ? 8 + blen : sizeof(w.pre), 0);
        omk_free(b);
    } else if (rc == STORE_OK) {
        zwalk_first(&w);
    }
    while (rc == STORE_OK && zwalk_valid(&w)) {
        size_t kl;
        const char *k = rocks_iter_key(w.it, &kl);

        if (fmt_bytes_cmp(k, kl, key, klen) >= 0)
            break;
        r++;
        zwalk_next(&w);
    }
    if (rc == STORE_OK)
        rc = w.rc;
    zwalk_close(&w);
    *rank = r;
    return rc;
}

/* The forward rank of (score, m), a member of 'c'. STORE_OK or an error. */
static int zset_rank_of(struct coll *c, struct zset_ranks *zr, double score, struct omk_slice m,
                        uint64_t *rank)
{
    struct fmt_key k;
    uint64_t r = 0;
    int rc;

    if (!(c->fflags & FMT_F_SPLIT)) { /* inline: count the members before it, no sort */
        for (size_t i = 0; i < c->n; i++) {
            double sc;

            if (zscore_of(c->el[i].v, &sc) != STORE_OK)
                return STORE_ERR_VALUE;
            if (zent_cmp(sc, c->el[i].e, score, m) < 0)
                r++;
        }
        *rank = r;
        return STORE_OK;
    }
    fmt_zscore_key(&k, c->id, score, m.p, m.len);
    rc = zset_rank_of_key(c, zr, k.p, k.len, rank);
    fmt_key_deinit(&k);
    return rc;
}

/* ---- Walking a range ------------------------------------------------------------------ */

/* Called per member of a range walk; non-zero stops. */
typedef int zemit_fn(void *arg, struct omk_slice m, double score);

/* Walk range 'r' of open zset 'c' in its order, calling 'fn' per member; '*n' counts
 * them. STORE_OK or an error. */
static int zset_range_walk(struct coll *c, struct zset_ranks *zr, const struct store_zrange *r,
                           zemit_fn *fn, void *arg, size_t *n)
{
    struct zwalk w;
    int rc, stop = 0;
    int64_t offset = r->offset, limit = r->limit;

    *n = 0;
    if (c->count == 0)
        return STORE_OK;
    if (r->by == STORE_ZBY_RANK) {
        int64_t len = (int64_t)c->count, start = r->start, end = r->stop;

        if (start < 0)
            start += len;
        if (end < 0)
            end += len;
        if (start < 0)
            start = 0;
        if (start > end || start >= len)
            return STORE_OK;
        if (end >= len)
            end = len - 1;
        rc = zset_blocks(c, zr, 1);
        if (rc == STORE_OK)
            rc = zwalk_open(&w, c, r->rev);
        if (rc == STORE_OK)
            rc = zwalk_seek_rank(&w, zr, r->rev ? (uint64_t)(len - 1 - start) : (uint64_t)start);
        for (int64_t i = start; rc == STORE_OK && !stop && i <= end && zwalk_valid(&w); i++) {
            stop = fn(arg, w.cur.m, w.cur.score);
            (*n)++;
            zwalk_next(&w);
        }
        if (rc == STORE_OK)
            rc = w.rc;
        zwalk_close(&w);
        return rc;
    }
    if (offset < 0) /* Redis skips every member for a negative offset */
        return STORE_OK;
    rc = zwalk_open(&w, c, r->rev);
    if (rc == STORE_OK) {
        if (r->by == STORE_ZBY_SCORE)
            zwalk_seek_score(&w, r);
        else
            zwalk_seek_lex(&w, r);
    }
    for (; rc == STORE_OK && !stop && zwalk_valid(&w); zwalk_next(&w)) {
        int in = r->by == STORE_ZBY_SCORE
                     ? (r->rev ? zr_gte_min(r, w.cur.score) : zr_lte_max(r, w.cur.score))
                     : (r->rev ? zr_lex_gte_min(r, w.cur.m) : zr_lex_lte_max(r, w.cur.m));

        if (!in)
            break;
        if (offset > 0) {
            offset--;
            continue;
        }
        if (limit == 0)
            break;
        if (limit > 0)
            limit--;
        stop = fn(arg, w.cur.m, w.cur.score);
        (*n)++;
    }
    if (rc == STORE_OK)
        rc = w.rc;
    zwalk_close(&w);
    return rc;
}

/* Members copied out of a walk (to change the zset after reading it). */
struct zcopies {
    struct zent *v;
    size_t n, cap;
};

static int zcopies_add(void *arg, struct omk_slice m, double score)
{
    struct zcopies *z = arg;

    if (z->n == z->cap) {
        z->cap = z->cap ? 2 * z->cap : 16;
        z->v = omk_realloc(z->v, z->cap * sizeof(*z->v));
    }
    z->v[z->n].m = (struct omk_slice){omk_memdup(m.p, m.len), m.len};
    z->v[z->n++].score = score;
    return 0;
}

static void zcopies_free(struct zcopies *z)
{
    for (size_t i = 0; i < z->n; i++)
        omk_free((char *)z->v[i].m.p);
    omk_free(z->v);
    memset(z, 0, sizeof(*z));
}

/* ---- Writing members ----------------------------------------------------------------- */

static int zset_begin(struct store_op *op, struct coll *c, struct store *s, int db,
                      struct omk_slice key)
{
    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    return coll_open(c, op, 0, STORE_TYPE_ZSET);
}

/* Save what 'c' changed (if 'rc' is STORE_OK), commit, close. Returns the outcome. */
static int zset_end(struct store_op *op, struct coll *c, int rc)
{
    if (rc == STORE_OK)
        rc = coll_save(c);
    rc = store_op_end(op, rc);
    coll_close(c);
    return rc;
}

/* Set member 'm' (new: 'isnew') of 'c' to 'score' by Redis 7.0's zsetAdd: a member
 * added beyond zset-max-listpack-entries, or longer than zset-max-listpack-value, makes
 * the zset "skiplist" first. A listpack keeps no sign on a zero score (Redis then prints
 * "0"), a skiplist does ("-0"): the score is kept as Redis would keep it. */
static int zset_put(struct coll *c, const struct store_coll_limits *l, struct omk_slice m,
                    double score, int isnew)
{
    unsigned char v[8];
    int added;

    if (isnew && (c->count + 1 > l->zset_max_listpack_entries || m.len > l->zset_max_listpack_value))
        c->fflags |= FMT_F_BIG;
    if (score == 0 && !(c->fflags & FMT_F_BIG))
        score = 0.0; /* -0 loses its sign in a listpack */
    fmt_score_put(v, score);
    return coll_set(c, m, (struct omk_slice){(const char *)v, 8}, &added);
}

/* The score of member 'm' in 'c': STORE_OK, STORE_NOTFOUND, or an error. */
static int zset_score(struct coll *c, struct omk_slice m, double *score)
{
    struct omk_slice v;
    int rc = coll_find(c, m, &v);

    return rc == STORE_OK ? zscore_of(v, score) : rc;
}

int store_zadd(struct store *s, int db, struct omk_slice key, const double *scores,
               const struct omk_slice *members, size_t n, int flags, size_t *added,
               size_t *changed, double *out)
{
    struct store_coll_limits l;
    struct zset_ranks zr = {0};
    struct store_op op;
    struct coll c;
    int rc = zset_begin(&op, &c, s, db, key);
    int nx = flags & STORE_ZADD_NX, xx = flags & STORE_ZADD_XX;
    int gt = flags & STORE_ZADD_GT, lt = flags & STORE_ZADD_LT, incr = flags & STORE_ZADD_INCR;

    *added = *changed = 0;
    OMK_ASSERT(!incr || n == 1);
    coll_limits(s, &l);
    if (rc == STORE_OK && !c.existed) {
        if (xx) /* no key and XX: nothing to do */
            return zset_end(&op, &c, incr ? STORE_NOTSET : STORE_OK);
        if (l.zset_max_listpack_entries == 0 || members[0].len > l.zset_max_listpack_value)
            c.fflags |= FMT_F_BIG;
    }
    if (rc == STORE_OK)
        rc = zset_blocks(&c, &zr, 0); /* blocks in RAM are kept in step */
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        double cur, score = scores[i];
        int frc = zset_score(&c, members[i], &cur);

        if (frc < 0) {
            rc = frc;
            break;
        }
        if (frc == STORE_OK) {
            if (nx) {
                if (incr)
                    rc = STORE_NOTSET;
                continue;
            }
            if (incr) {
                score = cur + score;
                if (isnan(score)) {
                    rc = STORE_NANINF;
                    break;
                }
            }
            if ((gt && score <= cur) || (lt && score >= cur)) {
                if (incr)
                    rc = STORE_NOTSET;
                continue;
            }
            if (incr)
                *out = score;
            if (score != cur) {
                rc = zset_put(&c, &l, members[i], score, 0);
                (*changed)++;
            }
            continue;
        }
        if (xx) {
            if (incr)
                rc = STORE_NOTSET;
            continue;
        }
        if (incr)
            *out = score;
        rc = zset_put(&c, &l, members[i], score, 1);
        (*added)++;
    }
    rc = zset_end(&op, &c, rc);
    return rc;
}

int store_zrem(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
               size_t n, size_t *removed)
{
    struct zset_ranks zr = {0};
    struct store_op op;
    struct coll c;
    int rc = zset_begin(&op, &c, s, db, key);

    *removed = 0;
    if (rc == STORE_OK)
        rc = zset_blocks(&c, &zr, 0);
    for (size_t i = 0; rc == STORE_OK && c.existed && i < n; i++) {
        int r;

        rc = coll_remove(&c, members[i], &r);
        *removed += (size_t)r;
    }
    rc = zset_end(&op, &c, rc);
    return rc;
}

int store_zcard(struct store *s, int db, struct omk_slice key, uint64_t *card)
{
    return coll_count_key(s, db, key, STORE_TYPE_ZSET, card);
}

int store_zscore(struct store *s, int db, struct omk_slice key, struct omk_slice member,
                 double *score)
{
    struct store_op op;
    struct coll c;
    int rc = coll_begin_read(&op, &c, s, db, key, STORE_TYPE_ZSET);

    if (rc == STORE_OK)
        rc = c.existed ? zset_score(&c, member, score) : STORE_NOTFOUND;
    return zset_end(&op, &c, rc);
}

int store_zmscore(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
                  size_t n, double *scores, unsigned char *found)
{
    struct store_op op;
    struct coll c;
    int rc = coll_begin_read(&op, &c, s, db, key, STORE_TYPE_ZSET);

    memset(found, 0, n);
    for (size_t i = 0; rc == STORE_OK && c.existed && i < n; i++) {
        int frc = zset_score(&c, members[i], &scores[i]);

        if (frc < 0)
            rc = frc;
        found[i] = frc == STORE_OK;
    }
    if (rc != STORE_OK)
        memset(found, 0, n);
    return zset_end(&op, &c, rc);
}

int store_zrank(struct store *s, int db, struct omk_slice key, struct omk_slice member, int rev,
                uint64_t *rank)
{
    struct zset_ranks zr = {0};
    struct store_op op;
    struct coll c;
    double score;
    int rc = zset_begin(&op, &c, s, db, key);

    if (rc == STORE_OK)
        rc = c.existed ? zset_score(&c, member, &score) : STORE_NOTFOUND;
    if (rc == STORE_OK)
        rc = zset_blocks(&c, &zr, 1);
    if (rc == STORE_OK)
        rc = zset_rank_of(&c, &zr, score, member, rank);
    if (rc == STORE_OK && rev)
        *rank = c.count - 1 - *rank;
    return zset_end(&op, &c, rc);
}

/* ---- Ranges ---------------------------------------------------------------------------- */

/* zemit_fn: hand a member to a store_zcb. */
struct zemit_cb {
    store_zcb *cb;
    void *arg;
};

static int zemit_to_cb(void *arg, struct omk_slice m, double score)
{
    struct zemit_cb *e = arg;

    return e->cb(e->arg, m, score);
}

int store_zrange(struct store *s, int db, struct omk_slice key, const struct store_zrange *r,
                 store_zcb *cb, void *arg, size_t *n)
{
    struct zemit_cb e = {cb, arg};
    struct zset_ranks zr = {0};
    struct store_op op;
    struct coll c;
    int rc = zset_begin(&op, &c, s, db, key);

    *n = 0;
    if (rc == STORE_OK && c.existed)
        rc = zset_range_walk(&c, &zr, r, zemit_to_cb, &e, n);
    return zset_end(&op, &c, rc);
}

/* zemit_fn: count only. */
static int zemit_count(void *arg, struct omk_slice m, double score)
{
    OMK_UNUSED(arg);
    OMK_UNUSED(m);
    OMK_UNUSED(score);
    return 0;
}

int store_zcount(struct store *s, int db, struct omk_slice key, const struct store_zrange *r,
                 uint64_t *n)
{
    struct zset_ranks zr = {0};
    struct store_op op;
    struct coll c;
    size_t k = 0;
    int rc = zset_begin(&op, &c, s, db, key);

    if (rc == STORE_OK && c.existed && r->by == STORE_ZBY_SCORE && (c.fflags & FMT_F_SPLIT))
        rc = zset_blocks(&c, &zr, 1);
    if (rc == STORE_OK && c.existed && r->by == STORE_ZBY_SCORE && zr.z) {
        /* Two ranks: the keys below each end of the range. */
        unsigned char lo[FMT_ZSCORE_PREFIX], hi[FMT_ZSCORE_PREFIX];
        struct zwalk w = {.c = &c};
        uint64_t a = 0, b = 0;

        zwalk_score_key(&w, r->min, r->minex, lo);
        zwalk_score_key(&w, r->max, !r->maxex, hi);
        rc = zset_rank_of_key(&c, &zr, (const char *)lo, sizeof(lo), &a);
        if (rc == STORE_OK)
            rc = zset_rank_of_key(&c, &zr, (const char *)hi, sizeof(hi), &b);
        k = b > a ? (size_t)(b - a) : 0;
    } else if (rc == STORE_OK && c.existed) {
        rc = zset_range_walk(&c, &zr, r, zemit_count, NULL, &k);
    }
    *n = k;
    return zset_end(&op, &c, rc);
}

/* Whether range 'r' starts at its end of the zset ('rev': the high end). */
static int zrange_from_end(const struct store_zrange *r, uint64_t count)
{
    switch (r->by) {
    case STORE_ZBY_RANK:
        return r->start == 0 || (r->start < 0 && r->start + (int64_t)count <= 0);
    case STORE_ZBY_SCORE:
        return r->offset == 0 && (r->rev ? r->max == INFINITY && !r->maxex
                                         : r->min == -INFINITY && !r->minex);
    default:
        return r->offset == 0 && (r->rev ? r->lmaxinf : r->lmininf);
    }
}

/* Remove the copied members from 'c' (keeping its rank blocks in step). When they were
 * the first of their end of a split zset ('from_end'; the walk's direction 'rev'), the
 * last one's index key becomes that end once the commit is done (zset_blocks_done). */
static int zset_remove_all(struct coll *c, struct zset_ranks *zr, const struct zcopies *z,
                           int from_end, int rev)
{
    int rc = STORE_OK;

    for (size_t i = 0; rc == STORE_OK && i < z->n; i++) {
        unsigned char v[8]; /* the walk read it: no second read to remove it */

        fmt_score_put(v, z->v[i].score);
        rc = coll_remove_found(c, z->v[i].m, (struct omk_slice){(const char *)v, 8});
    }
    if (rc == STORE_OK && from_end && z->n && (c->fflags & FMT_F_SPLIT) && c->zarg == zr) {
        struct fmt_key k;
        const struct zent *last = &z->v[z->n - 1];

        fmt_zscore_key(&k, c->id, last->score, last->m.p, last->m.len);
        omk_free(zr->end[rev]);
        zr->end[rev] = omk_memdup(k.p, k.len);
        zr->endlen[rev] = k.len;
        fmt_key_deinit(&k);
    }
    return rc;
}

int store_zremrange(struct store *s, int db, struct omk_slice key, const struct store_zrange *r,
                    uint64_t *removed)
{
    struct zset_ranks zr = {0};
    struct zcopies z = {0};
    struct store_op op;
    struct coll c;
    size_t k = 0;
    int rc = zset_begin(&op, &c, s, db, key);

    if (rc == STORE_OK && c.existed)
        rc = zset_blocks(&c, &zr, r->by == STORE_ZBY_RANK);
    if (rc == STORE_OK && c.existed)
        rc = zset_range_walk(&c, &zr, r, zcopies_add, &z, &k);
    if (rc == STORE_OK)
        rc = zset_remove_all(&c, &zr, &z, zrange_from_end(r, c.count), 0);
    *removed = rc == STORE_OK ? z.n : 0;
    zcopies_free(&z);
    rc = zset_end(&op, &c, rc);
    return rc;
}

/* Pop up to 'count' members of open zset 'c' from 'end', calling 'cb' per member. */
static int zset_pop(struct coll *c, struct zset_ranks *zr, enum store_end end, uint64_t count,
                    store_zcb *cb, void *arg, size_t *n)
{
    struct store_zrange r = {.by = STORE_ZBY_RANK, .rev = end == STORE_RIGHT, .start = 0};
    struct zcopies z = {0};
    size_t k = 0;
    int rc;

    *n = 0;
    if (count == 0 || c->count == 0)
        return STORE_OK;
    r.stop = count > c->count ? (int64_t)c->count - 1 : (int64_t)count - 1;
    rc = zset_range_walk(c, zr, &r, zcopies_add, &z, &k);
    if (rc == STORE_OK)
        rc = zset_remove_all(c, zr, &z, 1, r.rev);
    for (size_t i = 0; rc == STORE_OK && i < z.n; i++)
        if (cb(arg, z.v[i].m, z.v[i].score))
            break;
    if (rc == STORE_OK)
        *n = z.n;
    zcopies_free(&z);
    return rc;
}

int store_zpop(struct store *s, int db, struct omk_slice key, enum store_end end, uint64_t count,
               store_zcb *cb, void *arg, size_t *n)
{
    size_t which;
    int rc = store_zmpop(s, db, &key, 1, end, count, cb, arg, &which, n);

    return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

int store_zmpop(struct store *s, int db, const struct omk_slice *keys, size_t nkeys,
                enum store_end end, uint64_t count, store_zcb *cb, void *arg, size_t *which,
                size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < nkeys; i++) {
        struct zset_ranks zr = {0};
        struct store_op op;
        struct coll c;
        int rc = zset_begin(&op, &c, s, db, keys[i]);

        if (rc == STORE_OK && !c.existed) {
            zset_end(&op, &c, STORE_OK);
            continue;
        }
        if (rc == STORE_OK)
            rc = zset_blocks(&c, &zr, 0);
        if (rc == STORE_OK)
            rc = zset_pop(&c, &zr, end, count, cb, arg, n);
        rc = zset_end(&op, &c, rc);
        *which = i;
        return rc;
    }
    return STORE_NOTFOUND;
}

/* coll_each_fn: a sampled member to a store_zcb. */
static int zsample_emit(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zemit_cb *z = arg;
    double score;

    if (zscore_of(v, &score) != STORE_OK)
        return 1;
    return z->cb(z->arg, e, score);
}

int store_zrandmember(struct store *s, int db, struct omk_slice key, uint64_t count, int repeats,
                      store_rand_fn *rnd, store_zcb *cb, void *arg, size_t *n)
{
    struct zemit_cb z = {cb, arg};
    struct store_op op;
    struct coll c;
    int rc = zset_begin(&op, &c, s, db, key);

    *n = 0;
    if (rc == STORE_OK && c.existed)
        rc = coll_sample(&c, count, repeats, rnd, zsample_emit, &z, n);
    return zset_end(&op, &c, rc);
}

/* coll_each_fn with a glob: ZSCAN's member to a store_zcb. */
struct zscan_emit {
    store_zcb *cb;
    void *arg;
    const char *pat;
    size_t plen;
};

static int zscan_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zscan_emit *h = arg;
    double score;

    if (zscore_of(v, &score) != STORE_OK)
        return 1;
    if (!h->pat || omk_glob_match(h->pat, h->plen, e.p, e.len, 0))
        return h->cb(h->arg, e, score);
    return 0;
}

int store_zscan(struct store *s, int db, struct omk_slice key, uint64_t cursor, const char *pat,
                size_t plen, size_t count, store_zcb *cb, void *arg, uint64_t *next)
{
    struct zscan_emit h = {cb, arg, pat, plen};
    struct store_op op;
    struct coll c;
    int rc = zset_begin(&op, &c, s, db, key);

    *next = 0;
    if (rc == STORE_OK && c.existed)
        rc = coll_scan(&c, cursor, count ? count : 1, zscan_one, &h, next);
    return zset_end(&op, &c, rc);
}

/* ---- ZUNION, ZINTER, ZDIFF ------------------------------------------------------------- */

/* A member -> score accumulator (open addressing over copies of the members). */
struct zacc {
    struct zent *v;     /* the members, in insertion order */
    size_t n, cap;
    uint32_t *slot;     /* index + 1 into 'v', 0: empty; 'nslots' a power of two */
    size_t nslots;
    size_t maxlen;      /* the longest member ever added (encoding of a *STORE) */
};

static struct zent *zacc_find(const struct zacc *a, struct omk_slice m, size_t *at)
{
    size_t i;

    if (a->nslots == 0)
        return NULL;
    for (i = omk_hash(m.p, m.len) & (a->nslots - 1); a->slot[i]; i = (i + 1) & (a->nslots - 1)) {
        struct zent *x = &a->v[a->slot[i] - 1];

        if (x->m.len == m.len && memcmp(x->m.p, m.p, m.len) == 0) {
            if (at)
                *at = i;
            return x;
        }
    }
    return NULL;
}

static void zacc_index(struct zacc *a, size_t idx)
{
    size_t i = omk_hash(a->v[idx].m.p, a->v[idx].m.len) & (a->nslots - 1);

    while (a->slot[i])
        i = (i + 1) & (a->nslots - 1);
    a->slot[i] = (uint32_t)(idx + 1);
}

/* Add member 'm' (absent) with 'score'. */
static void zacc_add(struct zacc *a, struct omk_slice m, double score)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = omk_realloc(a->v, a->cap * sizeof(*a->v));
    }
    if (2 * (a->n + 1) > a->nslots) {
        a->nslots = a->nslots ? 2 * a->nslots : 32;
        omk_free(a->slot);
        a->slot = omk_calloc(a->nslots, sizeof(*a->slot));
        for (size_t i = 0; i < a->n; i++)
            if (a->v[i].m.p)
                zacc_index(a, i);
    }
    a->v[a->n].m = (struct omk_slice){omk_memdup(m.p, m.len), m.len};
    a->v[a->n].score = score;
    zacc_index(a, a->n++);
    if (m.len > a->maxlen)
        a->maxlen = m.len;
}

/* Remove member 'm' if there (its entry stays, marked by a NULL member). */
static void zacc_remove(struct zacc *a, struct omk_slice m)
{
    size_t at, i, j;
    struct zent *x = zacc_find(a, m, &at);

    if (!x)
        return;
    omk_free((char *)x->m.p);
    x->m.p = NULL;
    /* Re-place the run after the hole so every probe still finds its entry. */
    a->slot[at] = 0;
    for (i = (at + 1) & (a->nslots - 1); a->slot[i]; i = (i + 1) & (a->nslots - 1)) {
        j = a->slot[i] - 1;
        a->slot[i] = 0;
        zacc_index(a, j);
    }
}

static void zacc_free(struct zacc *a)
{
    for (size_t i = 0; i < a->n; i++)
        omk_free((char *)a->v[i].m.p);
    omk_free(a->v);
    omk_free(a->slot);
    memset(a, 0, sizeof(*a));
}

/* Redis' zunionInterAggregate: combine 'val' into '*target' (a sum reaching NaN is 0). */
static void zagg(double *target, double val, enum store_zagg agg)
{
    if (agg == STORE_ZAGG_SUM) {
        *target = *target + val;
        if (isnan(*target))
            *target = 0.0;
    } else if (agg == STORE_ZAGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* The inputs of one ZUNION / ZINTER / ZDIFF: argument i is src[arg[i]] (a key named twice
 * is opened once), each a zset or a set (members scoring 1), or missing. */
struct zalg {
    struct store_op op;
    struct coll *src;   /* [nsrc] */
    size_t nsrc;
    size_t *arg;        /* [n]: argument -> source */
    size_t n;
    size_t dst;         /* the *STORE destination's key in 'op' */
};

/* Name the keys (deduplicated) and 'dst' in one operation, lock, and open every input as
 * the type it holds. STORE_OK, STORE_WRONGTYPE (a key neither a set nor a zset) or an
 * error. */
static int zalg_open(struct zalg *g, struct store *s, int db, const struct omk_slice *keys,
                     size_t n, const struct omk_slice *dst)
{
    int rc = STORE_OK;

    memset(g, 0, sizeof(*g));
    g->n = n;
    g->arg = omk_malloc((n ? n : 1) * sizeof(*g->arg));
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;

        while (j < i && fmt_bytes_cmp(keys[j].p, keys[j].len, keys[i].p, keys[i].len) != 0)
            j++;
        g->arg[i] = j < i ? g->arg[j] : g->nsrc++;
    }
    g->src = omk_calloc(g->nsrc ? g->nsrc : 1, sizeof(*g->src));
    g->dst = g->nsrc;
    for (size_t i = 0; dst && i < n; i++)
        if (fmt_bytes_cmp(keys[i].p, keys[i].len, dst->p, dst->len) == 0)
            g->dst = g->arg[i];
    store_op_begin(&g->op, s, STORE_OP_WRITE, g->nsrc + (dst && g->dst == g->nsrc));
    for (size_t i = 0, k = 0; i < n; i++)
        if (g->arg[i] == k)
            store_op_key(&g->op, k++, db, keys[i]);
    if (dst && g->dst == g->nsrc)
        store_op_key(&g->op, g->nsrc, db, *dst);
    store_op_lock(&g->op);
    for (size_t k = 0; k < g->nsrc && rc == STORE_OK; k++) {
        const struct key_state *st = &g->op.key[k].st;

        rc = store_op_lookup(&g->op, k, STORE_WANT_STATE);
        if (rc == STORE_OK)
            rc = coll_open(&g->src[k], &g->op, k,
                           st->exists && st->type == STORE_TYPE_SET ? STORE_TYPE_SET
                                                                    : STORE_TYPE_ZSET);
    }
    return rc;
}

static int zalg_end(struct zalg *g, int rc)
{
    rc = store_op_end(&g->op, rc);
    for (size_t i = 0; i < g->nsrc; i++)
        if (g->src[i].op)
            coll_close(&g->src[i]);
    omk_free(g->src);
    omk_free(g->arg);
    return rc;
}

/* The score an input's element carries: a zset's, or 1 for a set's member. */
static double zalg_score(const struct coll *c, struct omk_slice v)
{
    double score = 1.0;

    if (c->type == STORE_TYPE_ZSET && zscore_of(v, &score) != STORE_OK)
        score = 0.0; /* malformed: DEBUG CHECK reports it */
    return score;
}

/* One walk of input argument 'self' feeding the accumulator. */
struct zalg_walk {
    struct zalg *g;
    struct zacc *acc;
    enum store_setop op;
    enum store_zagg agg;
    const double *weights;
    const size_t *order;   /* the arguments in the order Redis combines them */
    size_t self;           /* index into 'order' of the input walked */
    uint64_t limit, card;  /* ZINTERCARD */
    int count_only;
    int rc;
};

static double zalg_weight(const struct zalg_walk *w, size_t arg)
{
    return w->weights ? w->weights[arg] : 1.0;
}

static int zalg_union_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zalg_walk *w = arg;
    size_t a = w->order[w->self];
    double score = zalg_weight(w, a) * zalg_score(&w->g->src[w->g->arg[a]], v);
    struct zent *x;

    if (isnan(score))
        score = 0;
    x = zacc_find(w->acc, e, NULL);
    if (x)
        zagg(&x->score, score, w->agg);
    else
        zacc_add(w->acc, e, score);
    return 0;
}

static int zalg_inter_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zalg_walk *w = arg;
    struct zalg *g = w->g;
    size_t a0 = w->order[0];
    double score = zalg_weight(w, a0) * zalg_score(&g->src[g->arg[a0]], v);
    size_t j;

    if (isnan(score))
        score = 0;
    for (j = 1; j < g->n; j++) {
        size_t a = w->order[j];
        struct coll *c = &g->src[g->arg[a]];
        struct omk_slice fv = v;
        int frc;

        if (g->arg[a] != g->arg[a0]) {
            frc = c->existed ? coll_find(c, e, &fv) : STORE_NOTFOUND;
            if (frc < 0) {
                w->rc = frc;
                return 1;
            }
            if (frc != STORE_OK)
                break;
        }
        zagg(&score, zalg_score(c, fv) * zalg_weight(w, a), w->agg);
    }
    if (j < g->n)
        return 0;
    w->card++;
    if (!w->count_only)
        zacc_add(w->acc, e, score);
    return w->count_only && w->limit && w->card >= w->limit;
}

/* ZDIFF: Redis' algorithm 1 keeps a member of the first input found in no other; its
 * algorithm 2 copies the first input and removes the others' members, which makes the
 * longest member of the whole first input count for a *STORE's encoding. */
static int zalg_diff_keep(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zalg_walk *w = arg;
    struct zalg *g = w->g;

    for (size_t j = 1; j < g->n; j++) {
        struct coll *c = &g->src[g->arg[j]];
        int frc;

        if (g->arg[j] == g->arg[0])
            return 0; /* the first input minus itself */
        frc = c->existed ? coll_find(c, e, NULL) : STORE_NOTFOUND;
        if (frc < 0) {
            w->rc = frc;
            return 1;
        }
        if (frc == STORE_OK)
            return 0;
    }
    zacc_add(w->acc, e, zalg_score(&g->src[g->arg[0]], v));
    return 0;
}

static int zalg_diff_remove(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zalg_walk *w = arg;

    OMK_UNUSED(v);
    zacc_remove(w->acc, e);
    return 0;
}

static int zalg_diff_copy(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct zalg_walk *w = arg;

    zacc_add(w->acc, e, zalg_score(&w->g->src[w->g->arg[0]], v));
    return 0;
}

/* Run the algebra of 'w' over the inputs of 'g' into w->acc (or w->card). */
static int zalg_run(struct zalg *g, struct zalg_walk *w)
{
    size_t *order = omk_malloc((g->n ? g->n : 1) * sizeof(*order));
    int rc = STORE_OK;

    /* Redis combines ZUNION/ZINTER inputs from the smallest (a stable order for ties). */
    for (size_t i = 0; i < g->n; i++) {
        size_t j = i;

        while (w->op != STORE_SETOP_DIFF && j > 0 &&
               g->src[g->arg[order[j - 1]]].count > g->src[g->arg[i]].count) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    w->order = order;
    if (w->op == STORE_SETOP_INTER) {
        if (g->n > 0 && g->src[g->arg[order[0]]].count > 0)
            rc = coll_each(&g->src[g->arg[order[0]]], zalg_inter_one, w);
    } else if (w->op == STORE_SETOP_UNION) {
        for (size_t i = 0; i < g->n && rc == STORE_OK; i++) {
            w->self = i;
            if (g->src[g->arg[order[i]]].count)
                rc = coll_each(&g->src[g->arg[order[i]]], zalg_union_one, w);
        }
    } else if (g->n > 0 && g->src[g->arg[0]].count > 0) {
        uint64_t one = 0, two = 0;

        for (size_t j = 0; j < g->n; j++) {
            if (!g->src[g->arg[j]].existed)
                continue;
            one += g->src[g->arg[0]].count;
            two += g->src[g->arg[j]].count;
        }
        if (one / 2 <= two) {
            rc = coll_each(&g->src[g->arg[0]], zalg_diff_keep, w);
        } else {
            rc = coll_each(&g->src[g->arg[0]], zalg_diff_copy, w);
            for (size_t j = 1; j < g->n && rc == STORE_OK; j++)
                if (g->src[g->arg[j]].existed)
                    rc = coll_each(&g->src[g->arg[j]], zalg_diff_remove, w);
        }
    }
    omk_free(order);
    return rc == STORE_OK ? w->rc : rc;
}

/* The members left in 'a', sorted by (score, member); '*n' their number. */
static struct zent *zacc_sorted(struct zacc *a, size_t *n)
{
    struct zent *v = omk_malloc((a->n ? a->n : 1) * sizeof(*v));
    size_t k = 0;

    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].m.p)
            v[k++] = a->v[i];
    if (k > 1)
        qsort(v, k, sizeof(*v), zent_qcmp);
    *n = k;
    return v;
}

int store_zsetop(struct store *s, int db, enum store_setop op, const struct omk_slice *keys,
                 size_t n, const double *weights, enum store_zagg agg, uint64_t limit,
                 store_zcb *cb, void *arg, uint64_t *card)
{
    struct zacc acc = {0};
    struct zalg g;
    struct zalg_walk w = {.g = &g, .acc = &acc, .op = op, .agg = agg, .weights = weights,
                          .limit = limit, .count_only = cb == NULL, .rc = STORE_OK};
    int rc = zalg_open(&g, s, db, keys, n, NULL);

    *card = 0;
    if (rc == STORE_OK)
        rc = zalg_run(&g, &w);
    rc = zalg_end(&g, rc);
    if (rc == STORE_OK && cb == NULL && op == STORE_SETOP_INTER) {
        *card = w.card;
    } else if (rc == STORE_OK) {
        size_t k;
        struct zent *v = zacc_sorted(&acc, &k);

        *card = k;
        for (size_t i = 0; cb && i < k; i++)
            if (cb(arg, v[i].m, v[i].score))
                break;
        omk_free(v);
    }
    zacc_free(&acc);
    return rc;
}

/* Put the members of 'v' at key 'ki' of 'op' as a new zset ("skiplist" when 'big'), or
 * delete the key when there are none. A zero score of the members before 'keep_from'
 * loses its sign: Redis held them in a listpack (see zset_put). */
static int zset_store(struct store *s, struct store_op *op, size_t ki, const struct zent *v,
                      size_t n, int big, size_t keep_from)
{
    struct coll_builder bd;
    int rc;

    coll_build_init(&bd, s, STORE_TYPE_ZSET);
    for (size_t i = 0; i < n; i++) {
        unsigned char sc[8];

        fmt_score_put(sc, v[i].score == 0 && i < keep_from ? 0.0 : v[i].score);
        coll_build_add(&bd, v[i].m, (struct omk_slice){(const char *)sc, 8});
    }
    rc = coll_build_finish(&bd, op, ki, big ? FMT_F_BIG : 0, 0);
    coll_build_done(&bd);
    return rc;
}

/* Redis 7.0's encoding of a *STORE result: "listpack" while it has at most
 * zset-max-listpack-entries members, none longer than zset-max-listpack-value. */
static int zset_store_big(struct store *s, size_t n, size_t maxlen)
{
    struct store_coll_limits l;

    coll_limits(s, &l);
    return n > l.zset_max_listpack_entries || maxlen > l.zset_max_listpack_value;
}

int store_zsetop_store(struct store *s, int db, enum store_setop op, struct omk_slice dst,
                       const struct omk_slice *keys, size_t n, const double *weights,
                       enum store_zagg agg, uint64_t *card)
{
    struct zacc acc = {0};
    struct zalg g;
    struct zalg_walk w = {.g = &g, .acc = &acc, .op = op, .agg = agg, .weights = weights,
                          .rc = STORE_OK};
    int rc = zalg_open(&g, s, db, keys, n, &dst);

    *card = 0;
    if (rc == STORE_OK) /* 'dst' may be of any type */
        rc = store_op_lookup(&g.op, g.dst, STORE_WANT_STATE);
    if (rc == STORE_OK)
        rc = zalg_run(&g, &w);
    if (rc == STORE_OK) {
        size_t k;
        struct zent *v = zacc_sorted(&acc, &k);

        int big = zset_store_big(s, k, acc.maxlen);

        /* Redis builds the result as a skiplist and converts a small one to a listpack. */
        rc = zset_store(s, &g.op, g.dst, v, k, big, big ? 0 : k);
        *card = rc == STORE_OK ? k : 0;
        omk_free(v);
    }
    rc = zalg_end(&g, rc);
    zacc_free(&acc);
    return rc;
}

/* ---- ZRANGESTORE ----------------------------------------------------------------------- */

int store_zrangestore(struct store *s, int db, struct omk_slice dst, struct omk_slice src,
                      const struct store_zrange *r, uint64_t *card)
{
    struct zset_ranks zr = {0};
    struct zcopies z = {0};
    struct store_op op;
    struct coll c;
    size_t k = 0, si = 0, di = 1, maxlen = 0;
    int same = fmt_bytes_cmp(src.p, src.len, dst.p, dst.len) == 0;
    int rc;

    *card = 0;
    store_op_begin(&op, s, STORE_OP_WRITE, same ? 1 : 2);
    store_op_key(&op, 0, db, src);
    if (!same)
        store_op_key(&op, 1, db, dst);
    else
        di = 0;
    store_op_lock(&op);
    rc = coll_open(&c, &op, si, STORE_TYPE_ZSET);
    if (rc == STORE_OK && c.existed)
        rc = zset_range_walk(&c, &zr, r, zcopies_add, &z, &k);
    if (rc == STORE_OK && !same)
        rc = store_op_lookup(&op, di, STORE_WANT_STATE); /* 'dst' may be of any type */
    if (rc == STORE_OK) {
        struct store_coll_limits l;
        size_t keep_from = z.n;

        /* Redis 7.0 fills a listpack in the range's order (a skiplist from the start for
         * a rank range longer than zset-max-listpack-entries) and converts it at the
         * first member past either limit, which keeps its sign from there on. */
        coll_limits(s, &l);
        if (r->by == STORE_ZBY_RANK && z.n > l.zset_max_listpack_entries)
            keep_from = 0;
        for (size_t i = 0; i < z.n; i++) {
            if (z.v[i].m.len > maxlen)
                maxlen = z.v[i].m.len;
            if (keep_from == z.n &&
                (i + 1 > l.zset_max_listpack_entries || z.v[i].m.len > l.zset_max_listpack_value))
                keep_from = i;
        }
        rc = zset_store(s, &op, di, z.v, z.n, zset_store_big(s, z.n, maxlen), keep_from);
        *card = rc == STORE_OK ? z.n : 0;
    }
    rc = store_op_end(&op, rc);
    coll_close(&c);
    zcopies_free(&z);
    return rc;
}

/* ---- SORT's conversion -------------------------------------------------------------- */

int store_zconvert(struct store *s, int db, struct omk_slice key)
{
    struct store_op op;
    struct coll c;
    int rc = zset_begin(&op, &c, s, db, key);

    if (rc == STORE_OK && c.existed && !(c.fflags & FMT_F_BIG)) {
        c.fflags |= FMT_F_BIG; /* the members are as a skiplist holds them: no -0 to restore */
        c.changed = 1;
    }
    return zset_end(&op, &c, rc);
}
