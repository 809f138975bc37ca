/* ops_set.c - the set operations of store.h's "Collections" block, on the collection
 * layer (coll.h): each call is one operation holding the stripes of every key it names,
 * opens them as sets, and saves what it changed in one write set.
 *
 * Redis' encoding (OBJECT ENCODING) follows 7.0's rules whatever our layout: a set is
 * "intset" while every member reads as a 64-bit integer and it has at most
 * set-max-intset-entries of them, then "hashtable" for good (FMT_F_BIG). A set a
 * *STORE call or SMOVE creates starts as an intset, as in 7.0.
 *
 * The set algebra probes: SINTER walks the smallest set and looks each member up in
 * the others, SDIFF walks the first, SUNION walks each set and skips members an earlier
 * one holds; the result streams to the caller (or to a builder) without a set in RAM. */
#include "config.h"

#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/store.h"
#include "store/store_internal.h"

/* Begin an operation on set 'key' ('op' locked, 'c' open), as hash_begin(). */
static int set_begin(struct store_op *op, struct coll *c, struct store *s, int db,
                     struct omk_slice key)
{
    store_op_begin1(op, s, STORE_OP_WRITE, db, key);
    return coll_open(c, op, 0, STORE_TYPE_SET);
}

static int set_end(struct store_op *op, struct coll *c, int rc)
{
    if (rc == STORE_OK)
        rc = coll_save(c);
    rc = store_op_end(op, rc);
    coll_close(c);
    return rc;
}

/* Redis 7.0's intset rule after member 'm' was added to 'c'. */
static void set_note(struct coll *c, struct omk_slice m, const struct store_coll_limits *l)
{
    if (!coll_is_int(m) || c->count > l->set_max_intset_entries)
        c->fflags |= FMT_F_BIG;
}

int store_sadd(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
               size_t n, size_t *added)
{
    struct store_coll_limits l;
    struct store_op op;
    struct coll c;
    int rc = set_begin(&op, &c, s, db, key);

    coll_limits(s, &l);
    *added = 0;
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        int a;

        rc = coll_set(&c, members[i], (struct omk_slice){"", 0}, &a);
        *added += (size_t)a;
        if (rc == STORE_OK && a) /* 7.0 converts on an add only */
            set_note(&c, members[i], &l);
    }
    return set_end(&op, &c, rc);
}

int store_srem(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
               size_t n, size_t *removed)
{
    struct store_op op;
    struct coll c;
    int rc = set_begin(&op, &c, s, db, key);

    *removed = 0;
    for (size_t i = 0; rc == STORE_OK && c.existed && i < n; i++) {
        int r;

        rc = coll_remove(&c, members[i], &r);
        *removed += (size_t)r;
    }
    return set_end(&op, &c, rc);
}

int store_scard(struct store *s, int db, struct omk_slice key, uint64_t *card)
{
    return coll_count_key(s, db, key, STORE_TYPE_SET, card);
}

int store_sismember(struct store *s, int db, struct omk_slice key, struct omk_slice member)
{
    struct store_op op;
    struct coll c;
    struct omk_slice v;
    int rc;

    /* An inline set answers from its record as a read, with no stripe (coll_peek). */
    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    rc = store_op_end(&op, coll_peek(&op, 0, STORE_TYPE_SET, member, &v));
    if (rc != COLL_SPLIT)
        return rc;
    rc = set_begin(&op, &c, s, db, key);

    if (rc == STORE_OK)
        rc = c.existed ? coll_find(&c, member, NULL) : STORE_NOTFOUND;
    return set_end(&op, &c, rc);
}

int store_smismember(struct store *s, int db, struct omk_slice key,
                     const struct omk_slice *members, size_t n, unsigned char *out)
{
    struct store_op op;
    struct coll c;
    int rc = coll_begin_read(&op, &c, s, db, key, STORE_TYPE_SET);

    memset(out, 0, n);
    for (size_t i = 0; rc == STORE_OK && c.existed && i < n; i++) {
        int frc = coll_find(&c, members[i], NULL);

        if (frc < 0)
            rc = frc;
        out[i] = frc == STORE_OK;
    }
    return set_end(&op, &c, rc);
}

/* coll_each_fn: hand a member to a store_elem_cb and count it. */
struct set_emit {
    store_elem_cb *cb;
    void *arg;
    size_t n;
    struct coll *pop; /* SPOP: remove each member handed over */
    int rc;
};

static int set_emit_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct set_emit *h = arg;

    if (h->pop) {
        h->rc = coll_remove_found(h->pop, e, v); /* a pick: it is there */
        if (h->rc != STORE_OK)
            return 1;
    }
    h->n++;
    return h->cb(h->arg, e);
}

int store_smembers(struct store *s, int db, struct omk_slice key, store_elem_cb *cb, void *arg,
                   size_t *n)
{
    struct set_emit h = {cb, arg, 0, NULL, STORE_OK};
    struct store_op op;
    struct coll c;
    int rc = coll_begin_read(&op, &c, s, db, key, STORE_TYPE_SET);

    if (rc == STORE_OK)
        rc = coll_each(&c, set_emit_one, &h);
    *n = h.n;
    return set_end(&op, &c, rc);
}

int store_srandmember(struct store *s, int db, struct omk_slice key, uint64_t count, int repeats,
                      store_rand_fn *rnd, store_elem_cb *cb, void *arg, size_t *n)
{
    struct set_emit h = {cb, arg, 0, NULL, STORE_OK};
    struct store_op op;
    struct coll c;
    int rc = set_begin(&op, &c, s, db, key);

    *n = 0;
    if (rc == STORE_OK)
        rc = coll_sample(&c, count, repeats, rnd, set_emit_one, &h, n);
    return set_end(&op, &c, rc);
}

/* coll_each_fn: clear '*arg' at the first member that is not an integer. */
static int set_all_int(void *arg, struct omk_slice e, struct omk_slice v)
{
    OMK_UNUSED(v);
    if (!coll_is_int(e)) {
        *(int *)arg = 0;
        return 1;
    }
    return 0;
}

int store_spop(struct store *s, int db, struct omk_slice key, uint64_t count, store_rand_fn *rnd,
               store_elem_cb *cb, void *arg, size_t *n)
{
    struct store_op op;
    struct coll c;
    int rc = set_begin(&op, &c, s, db, key);
    struct set_emit h = {cb, arg, 0, &c, STORE_OK};

    uint64_t size = c.count;

    *n = 0;
    if (rc == STORE_OK)
        rc = coll_sample(&c, count, 0, rnd, set_emit_one, &h, n);
    if (rc == STORE_OK)
        rc = h.rc;
    /* Redis 7.0 pops most of a set (what stays at most a fifth of what goes) by building
     * the rest as a new set, whose encoding starts over: an intset again if it can be. */
    if (rc == STORE_OK && c.count > 0 && count < size && 5 * c.count <= count) {
        struct store_coll_limits l;
        int all_int = 1;

        coll_limits(s, &l);
        rc = coll_each(&c, set_all_int, &all_int);
        if (all_int && c.count <= l.set_max_intset_entries)
            c.fflags &= ~FMT_F_BIG;
        else
            c.fflags |= FMT_F_BIG;
    }
    return set_end(&op, &c, rc);
}

int store_smove(struct store *s, int db, struct omk_slice src, struct omk_slice dst,
                struct omk_slice member)
{
    int same = fmt_bytes_cmp(src.p, src.len, dst.p, dst.len) == 0, r = 0, a;
    struct store_coll_limits l;
    struct store_op op;
    struct coll cs, cd;
    int rc;

    memset(&cd, 0, sizeof(cd));
    store_op_begin(&op, s, STORE_OP_WRITE, same ? 1 : 2);
    store_op_key(&op, 0, db, src);
    if (!same)
        store_op_key(&op, 1, db, dst);
    store_op_lock(&op);
    rc = coll_open(&cs, &op, 0, STORE_TYPE_SET);
    /* As Redis: a missing source answers 0 before the destination's type is looked at. */
    if (rc == STORE_OK && !cs.existed)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && !same)
        rc = coll_open(&cd, &op, 1, STORE_TYPE_SET);
    if (rc == STORE_OK && same)
        rc = coll_find(&cs, member, NULL);
    else if (rc == STORE_OK)
        rc = coll_remove(&cs, member, &r);
    if (rc == STORE_OK && !same && !r)
        rc = STORE_NOTFOUND;
    if (rc == STORE_OK && !same) {
        coll_limits(s, &l);
        rc = coll_set(&cd, member, (struct omk_slice){"", 0}, &a);
        if (rc == STORE_OK && a)
            set_note(&cd, member, &l);
        cd.changed = 1; /* Redis touches the destination even when it held the member */
    }
    if (rc == STORE_OK)
        rc = coll_save(&cs);
    if (rc == STORE_OK && !same)
        rc = coll_save(&cd);
    rc = store_op_end(&op, rc);
    coll_close(&cs);
    coll_close(&cd);
    return rc;
}

/* ---- The set algebra ------------------------------------------------------------------ */

/* The sets of one SINTER / SUNION / SDIFF: argument i is set[arg[i]] (a key named twice
 * is opened once). */
struct set_alg {
    struct store_op op;
    struct coll *set;   /* [nset] */
    size_t nset;
    size_t *arg;        /* [n]: argument -> set */
    size_t n;
    size_t dst;         /* the *STORE destination's key in 'op' (a source's when it is
                         * one of them: each key is named once) */
    int empty;          /* SINTER met a missing key: the result is empty */
};

/* Name the 'n' keys (deduplicated) and, with 'dst', the destination (g->dst) in the
 * operation; lock; open every set in argument order (a key of another type refuses the
 * call, whatever comes before it, as Redis 7.0.15 answers); a missing key makes SINTER's
 * result empty. STORE_OK, STORE_WRONGTYPE or an error. */
static int set_alg_open(struct set_alg *g, struct store *s, int db, enum store_setop kind,
                        const struct omk_slice *keys, size_t n, const struct omk_slice *dst)
{
    int rc = STORE_OK;

    memset(g, 0, sizeof(*g));
    g->n = n;
    g->arg = omk_malloc(n * sizeof(*g->arg));
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;

        while (j < i && fmt_bytes_cmp(keys[g->arg[j]].p, keys[g->arg[j]].len, keys[i].p,
                                      keys[i].len) != 0)
            j++;
        g->arg[i] = j < i ? g->arg[j] : g->nset++;
    }
    /* set[k] is opened from the first argument naming it: arg[i] == k first at keys[i]. */
    g->set = omk_calloc(g->nset, sizeof(*g->set));
    g->dst = g->nset;
    for (size_t i = 0; dst && i < n; i++)
        if (fmt_bytes_cmp(keys[i].p, keys[i].len, dst->p, dst->len) == 0)
            g->dst = g->arg[i];
    store_op_begin(&g->op, s, STORE_OP_WRITE, g->nset + (dst && g->dst == g->nset));
    for (size_t i = 0, k = 0; i < n; i++)
        if (g->arg[i] == k)
            store_op_key(&g->op, k++, db, keys[i]);
    if (dst && g->dst == g->nset)
        store_op_key(&g->op, g->nset, db, *dst);
    store_op_lock(&g->op);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        struct coll *c = &g->set[g->arg[i]];

        if (c->op) /* opened already (a key named twice) */
            continue;
        rc = coll_open(c, &g->op, g->arg[i], STORE_TYPE_SET);
        if (rc == STORE_OK && !c->existed && kind == STORE_SETOP_INTER)
            g->empty = 1;
    }
    return rc;
}

static int set_alg_end(struct set_alg *g, int rc)
{
    rc = store_op_end(&g->op, rc);
    for (size_t i = 0; i < g->nset; i++)
        if (g->set[i].op)
            coll_close(&g->set[i]);
    omk_free(g->set);
    omk_free(g->arg);
    return rc;
}

/* What the walk of one set does with each member. */
struct set_walk {
    struct set_alg *g;
    enum store_setop kind;
    size_t self;          /* the argument being walked */
    uint64_t limit, card;
    store_elem_cb *cb;    /* or */
    struct coll_builder *bd;
    void *arg;
    int all_int;          /* every member so far reads as an integer */
    int first_all_int;    /* SDIFF: every member of the first set does */
    int stopped;          /* the caller's callback asked to stop */
    int rc;
};

/* Whether member 'e' of the set of argument w->self belongs to the result. */
static int set_walk_keep(struct set_walk *w, struct omk_slice e)
{
    struct set_alg *g = w->g;

    for (size_t i = 0; i < g->n; i++) {
        int frc;

        if (i == w->self || (w->kind == STORE_SETOP_UNION && i > w->self))
            continue;
        if (w->kind == STORE_SETOP_UNION && g->arg[i] == g->arg[w->self])
            return 0; /* an earlier naming of this same set gave it already */
        if (w->kind == STORE_SETOP_DIFF && i == 0)
            continue;
        frc = g->set[g->arg[i]].existed ? coll_find(&g->set[g->arg[i]], e, NULL) : STORE_NOTFOUND;
        if (frc < 0) {
            w->rc = frc;
            return 0;
        }
        if ((frc == STORE_OK) != (w->kind == STORE_SETOP_INTER))
            return 0; /* INTER: missing from one; UNION: an earlier set has it; DIFF: a
                       * later set has it */
    }
    return 1;
}

static int set_walk_one(void *arg, struct omk_slice e, struct omk_slice v)
{
    struct set_walk *w = arg;

    OMK_UNUSED(v);
    if (w->kind == STORE_SETOP_DIFF && !coll_is_int(e))
        w->first_all_int = 0;
    if (!set_walk_keep(w, e))
        return w->rc != STORE_OK;
    w->all_int = w->all_int && coll_is_int(e);
    w->card++;
    if (w->bd)
        coll_build_add(w->bd, e, (struct omk_slice){"", 0});
    else if (w->cb && w->cb(w->arg, e))
        w->stopped = 1;
    return w->stopped || (w->limit && w->card >= w->limit) || (w->bd && w->bd->rc != STORE_OK);
}

/* Walk the sets of 'g' as 'kind' needs, handing the result to 'w'. */
static int set_alg_run(struct set_alg *g, struct set_walk *w)
{
    int rc = STORE_OK;

    if (g->empty || g->n == 0)
        return STORE_OK;
    if (w->kind == STORE_SETOP_INTER) {
        size_t best = 0;

        for (size_t i = 1; i < g->n; i++)
            if (g->set[g->arg[i]].count < g->set[g->arg[best]].count)
                best = i;
        w->self = best;
        return coll_each(&g->set[g->arg[best]], set_walk_one, w);
    }
    for (size_t i = 0; i < g->n && rc == STORE_OK && w->rc == STORE_OK && !w->stopped; i++) {
        if (w->kind == STORE_SETOP_DIFF && i > 0)
            break;
        if (w->limit && w->card >= w->limit)
            break;
        if (!g->set[g->arg[i]].existed)
            continue;
        w->self = i;
        rc = coll_each(&g->set[g->arg[i]], set_walk_one, w);
    }
    return rc;
}

int store_setop(struct store *s, int db, enum store_setop op, const struct omk_slice *keys,
                size_t n, uint64_t limit, store_elem_cb *cb, void *arg, uint64_t *card)
{
    struct set_alg g;
    struct set_walk w = {.g = &g, .kind = op, .limit = limit, .cb = cb, .arg = arg,
                         .all_int = 1, .rc = STORE_OK};
    int rc = set_alg_open(&g, s, db, op, keys, n, NULL);

    if (rc == STORE_OK)
        rc = set_alg_run(&g, &w);
    if (rc == STORE_OK)
        rc = w.rc;
    *card = w.card;
    return set_alg_end(&g, rc);
}

/* Whether Redis 7.0 computes this SDIFF by copying the first set whole and removing the
 * others' members (its second algorithm, chosen when the first set's size times half the
 * number of existing sets named exceeds the sum of their sizes): its result's encoding
 * then follows the first set's members, not only the result's. */
static int set_diff_copies_first(const struct set_alg *g)
{
    uint64_t one = 0, two = 0;

    if (g->n == 0 || !g->set[g->arg[0]].existed)
        return 0;
    for (size_t j = 0; j < g->n; j++) {
        if (!g->set[g->arg[j]].existed)
            continue;
        one += g->set[g->arg[0]].count;
        two += g->set[g->arg[j]].count;
    }
    return one / 2 > two;
}

int store_setop_store(struct store *s, int db, enum store_setop op, struct omk_slice dst,
                      const struct omk_slice *keys, size_t n, uint64_t *card)
{
    struct store_coll_limits l;
    struct coll_builder bd;
    struct set_alg g;
    struct set_walk w = {.g = &g, .kind = op, .bd = &bd, .all_int = 1, .first_all_int = 1,
                         .rc = STORE_OK};
    int rc;

    coll_build_init(&bd, s, STORE_TYPE_SET);
    rc = set_alg_open(&g, s, db, op, keys, n, &dst);
    if (rc == STORE_OK) /* 'dst' may be any type; a source's state is looked up again */
        rc = store_op_lookup(&g.op, g.dst, STORE_WANT_STATE);
    if (rc == STORE_OK)
        rc = set_alg_run(&g, &w);
    if (rc == STORE_OK)
        rc = w.rc;
    if (rc == STORE_OK) {
        int big;

        coll_limits(s, &l);
        big = !w.all_int || w.card > l.set_max_intset_entries;
        if (op == STORE_SETOP_DIFF && set_diff_copies_first(&g))
            big = !w.first_all_int || g.set[g.arg[0]].count > l.set_max_intset_entries;
        rc = coll_build_finish(&bd, &g.op, g.dst, big ? FMT_F_BIG : 0, 0);
    }
    *card = w.card;
    rc = set_alg_end(&g, rc);
    coll_build_done(&bd);
    return rc;
}

int store_sscan(struct store *s, int db, struct omk_slice key, uint64_t cursor, const char *pat,
                size_t plen, size_t count, store_pair_cb *cb, void *arg, uint64_t *next)
{
    return coll_scan_key(s, db, key, STORE_TYPE_SET, cursor, pat, plen, count, cb, arg, next);
}
