/* alex_check.c - idx_validate (every invariant of ALEX.md section 4, like SQLite's
 * integrity check: walk everything, report the first fault) and idx_stats_get. Both only
 * read the index. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

#include <stdarg.h>
#include <stdio.h>

struct check {
    const struct idx *ix;
    char *err;
    size_t errlen;
    const struct alex_leaf *prev;     /* the previous leaf in tree order */
    const struct idx_entry *last;     /* the previous key in tree order */
    size_t keys;
    size_t entry_bytes;               /* idx_entry_size() of the entries seen */
};

__attribute__((format(printf, 2, 3)))
static int check_fail(struct check *ck, const char *fmt, ...)
{
    va_list ap;

    if (ck->err && ck->errlen) {
        va_start(ap, fmt);
        vsnprintf(ck->err, ck->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Does 'e' route from the root to leaf 'l'? */
static int check_route(const struct idx *ix, const struct idx_entry *e, const struct alex_leaf *l)
{
    const struct alex_node *nd = ix->root;
    int cl;

    while (nd->type == ALEX_INNER) {
        const struct alex_inner *in = (const struct alex_inner *)nd;
        uint64_t c = kc_code(in->h.kc, idx_entry_key(e), idx_entry_klen(e), &cl);

        nd = in->ch[alex_route(in->h.a, in->h.b, in->off, c, in->nch)];
    }
    return nd == &l->h;
}

static int check_leaf(struct check *ck, const struct alex_leaf *l)
{
    size_t pop = 0;
    int cl;

    if (l->cap % 64 || l->cap < ALEX_LEAF_MIN_CAP || l->n >= l->cap)
        return check_fail(ck, "leaf %p: cap %u n %u", (const void *)l, l->cap, l->n);
    if (l->cap > ck->ix->max_slots && l->cap > ALEX_LEAF_MIN_CAP)
        return check_fail(ck, "leaf %p: cap %u over the cap %zu", (const void *)l, l->cap,
                          ck->ix->max_slots);
    if (!(l->h.a >= 0) || !isfinite(l->h.b))
        return check_fail(ck, "leaf %p: bad model a=%g b=%g", (const void *)l, l->h.a, l->h.b);
    if (l->h.parent && l->n == 0)
        return check_fail(ck, "leaf %p: empty non-root leaf", (const void *)l);
    if (l->prev != ck->prev || (ck->prev && ck->prev->next != l))
        return check_fail(ck, "leaf %p: leaf chain broken", (const void *)l);
    for (size_t w = 0; w < l->cap / 64; w++)
        pop += (size_t)__builtin_popcountll(l->bm[w]);
    if (pop != l->n)
        return check_fail(ck, "leaf %p: popcount %zu != n %u", (const void *)l, pop, l->n);
    for (size_t i = 0; i < l->cap; i++) {
        if (i > 0 && l->slot[i].code < l->slot[i - 1].code)
            return check_fail(ck, "leaf %p: code decreases at slot %zu", (const void *)l, i);
        if (!leaf_is_set(l, i)) {
            size_t j = leaf_next_set(l, i);
            uint64_t want_c = j < l->cap ? l->slot[j].code : UINT64_MAX;
            const struct idx_entry *want_e = j < l->cap ? l->slot[j].ent : NULL;

            if (l->slot[i].code != want_c || l->slot[i].ent != want_e)
                return check_fail(ck, "leaf %p: gap %zu does not copy the next key",
                                  (const void *)l, i);
            continue;
        }
        const struct idx_entry *e = l->slot[i].ent;

        if (!e)
            return check_fail(ck, "leaf %p: slot %zu has no entry", (const void *)l, i);
        if (e->klen16 == IDX_KLEN_ESC && idx_entry_klen(e) < IDX_KLEN_ESC)
            return check_fail(ck, "leaf %p: slot %zu: a %zu-byte key with an escaped length",
                              (const void *)l, i, idx_entry_klen(e));
        if (l->slot[i].code > l->h.kc->max ||
            l->slot[i].code != kc_code(l->h.kc, idx_entry_key(e), idx_entry_klen(e), &cl))
            return check_fail(ck, "leaf %p: slot %zu holds a wrong code", (const void *)l, i);
        if (ck->last && alex_entcmp(ck->last, idx_entry_key(e), idx_entry_klen(e)) >= 0)
            return check_fail(ck, "leaf %p: keys out of order at slot %zu (key #%zu)",
                              (const void *)l, i, ck->keys);
        if (!check_route(ck->ix, e, l))
            return check_fail(ck, "leaf %p: key #%zu (slot %zu) does not route to its leaf",
                              (const void *)l, ck->keys, i);
        ck->last = e;
        ck->keys++;
        ck->entry_bytes += idx_entry_size(e);
    }
    ck->prev = l;
    return 0;
}

/* Check the subtree 'nd' whose parent must be 'parent'; '*keys' gets its key count. */
static int check_node(struct check *ck, const struct alex_node *nd,
                      const struct alex_inner *parent, size_t *keys)
{
    if (nd->parent != parent)
        return check_fail(ck, "node %p: wrong parent pointer", (const void *)nd);
    if (!nd->kc)
        return check_fail(ck, "node %p: no transform", (const void *)nd);
    if (nd->type == ALEX_LEAF) {
        *keys = ((const struct alex_leaf *)nd)->n;
        return check_leaf(ck, (const struct alex_leaf *)nd);
    }
    if (nd->type != ALEX_INNER)
        return check_fail(ck, "node %p: bad type %u", (const void *)nd, nd->type);

    const struct alex_inner *in = (const struct alex_inner *)nd;
    size_t sum = 0, distinct = 0;

    if (in->nch < 2 || (in->nch & (in->nch - 1)) || in->nch > ALEX_MAX_FANOUT)
        return check_fail(ck, "model node %p: fanout %u", (const void *)nd, in->nch);
    if (!(in->h.a >= 0) || !isfinite(in->h.a) || !isfinite(in->h.b))
        return check_fail(ck, "model node %p: bad model", (const void *)nd);
    if (in->h.kc->max >= KC_CODE_LIMIT)  /* routes on codes below 2^53 (keycode.c) */
        return check_fail(ck, "model node %p: routes on a wide transform", (const void *)nd);
    for (size_t j = 0; j < in->nch; j++) {
        size_t k;

        if (!in->ch[j])
            return check_fail(ck, "model node %p: slot %zu empty", (const void *)nd, j);
        if (j > 0 && in->ch[j] == in->ch[j - 1])
            continue;
        /* A child seen before its run would be a second, disjoint run: its leaves would
         * come twice and break the chain check; the parent check catches model nodes. */
        distinct++;
        if (check_node(ck, in->ch[j], in, &k))
            return -1;
        sum += k;
    }
    if (distinct < 2)
        return check_fail(ck, "model node %p: a single child", (const void *)nd);
    if (sum != in->nkeys)
        return check_fail(ck, "model node %p: nkeys %zu but children hold %zu",
                          (const void *)nd, in->nkeys, sum);
    *keys = sum;
    return 0;
}

int idx_validate(const struct idx *ix, char *err, size_t errlen)
{
    struct check ck = {ix, err, errlen, NULL, NULL, 0, 0};
    size_t keys;

    if (!ix->root)
        return check_fail(&ck, "no root");
    if (check_node(&ck, ix->root, NULL, &keys))
        return -1;
    if (ck.prev && ck.prev->next)
        return check_fail(&ck, "leaf chain runs past the last leaf");
    if (keys != ix->n || ck.keys != ix->n)
        return check_fail(&ck, "count %zu but the tree holds %zu", ix->n, ck.keys);
    if (ck.entry_bytes != ix->entry_bytes)
        return check_fail(&ck, "entry bytes %zu but the entries hold %zu", ix->entry_bytes,
                          ck.entry_bytes);
    if (err && errlen)
        err[0] = '\0';
    return 0;
}

/* Add subtree 'nd', whose root is at level 'depth', to '*st': node counts, bytes, the
 * deepest level, and avg_depth and avg_leaf_cost as sums over the keys (the caller
 * divides them). */
static void stats_walk(const struct alex_node *nd, size_t depth, struct idx_stats *st)
{
    if (depth > st->depth)
        st->depth = depth;
    if (nd->type == ALEX_LEAF) {
        const struct alex_leaf *l = (const struct alex_leaf *)nd;

        st->data_nodes++;
        st->index_bytes += leaf_bytes(l);
        st->avg_depth += (double)depth * (double)l->n;      /* sums, divided at the end */
        st->avg_leaf_cost += l->exp_cost * (double)l->n;
        return;
    }
    const struct alex_inner *in = (const struct alex_inner *)nd;

    st->model_nodes++;
    st->index_bytes += sizeof(*in) + kc_bytes(in->h.kc) + in->nch * sizeof(in->ch[0]);
    for (size_t j = 0; j < in->nch; j++)
        if (j == 0 || in->ch[j] != in->ch[j - 1])
            stats_walk(in->ch[j], depth + 1, st);
}

void idx_stats_get(const struct idx *ix, struct idx_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->keys = ix->n;
    st->entry_bytes = ix->entry_bytes;
    st->index_bytes = sizeof(*ix);
    stats_walk(ix->root, 1, st);
    st->avg_depth = ix->n ? st->avg_depth / (double)ix->n : 0;
    st->avg_leaf_cost = ix->n ? st->avg_leaf_cost / (double)ix->n : 0;
    st->expansions = ix->expansions;
    st->splits_sideways = ix->splits_sideways;
    st->splits_down = ix->splits_down;
    st->retrains = ix->retrains;
    st->rebuilds = ix->rebuilds;
    st->run_leaves = ix->run_leaves;
    st->reroutes = ix->reroutes;
    st->contractions = ix->contractions;
    st->merges = ix->merges;
    st->avg_search_steps = ix->ins_total ? (double)ix->steps_total / (double)ix->ins_total : 0;
}
