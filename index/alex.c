/* alex.c - the ALEX tree over binary keys (index/index.h): lookups, inserts, deletes,
 * ordered iteration, and the structural changes the leaves ask for.
 *
 * HOW IT WORKS (structural changes; ALEX.md 1.3-1.7, 3.4):
 *  - A key descends by evaluating, at each model node, the node's transform and then
 *    route(); in the leaf it is placed by the leaf's own transform and model.
 *  - A full leaf (an insert would pass 80% density) expands to 55% density, keeping its
 *    transform (codes stay valid, no entry is read) and refitting its model. It splits
 *    instead when it would pass expand_slots (BOUNDED INSERTS below), when its shifts are
 *    catastrophic, or when its observed cost deviates from the expected one and two
 *    halves are cheaper.
 *  - BOUNDED INSERTS (issue 25). An expansion or a split relays every key of the leaf,
 *    and it runs inside one idx_insert, under the shard's write lock: every GET on the
 *    shard waits for it. So inserts grow a leaf only up to expand_slots (16384 slots,
 *    256 KB, about 13K keys at the 80% that triggers the next change), not to the slot
 *    cap (65536), and a leaf that would pass it splits. Measured with index-bench
 *    --phases tail (8 shards, inserts slow in both of its passes): 2M random key:%012d,
 *    expanding up to 65536 slots, 46-48 inserts over 1 ms, the worst 10-11 ms (the root
 *    leaf's split down at 42K keys; expansions of ~33K keys took 5-7 ms); up to 16384,
 *    11-14, the worst 3.2-3.3 ms (the split down at 9.4K keys). 20M, with the sampled
 *    pricing inside inserts (alex_build.c): 361 over 1 ms, one
 *    over 10 ms, worst 11.1 ms -> 124, none, 3.9 ms. The price: more, smaller leaves
 *    and a wider root, 24.0 -> 24.8 index bytes per key at 10M random key:%012d (25.0
 *    -> 25.6 for UUIDs); lookups within this VM's noise. Bulk loads and runs of appends
 *    still make leaves up to the cap (laid out once, not at an insert); the first split
 *    of such a leaf still reads all its keys at once. Retrains and deep rebuilds
 *    (below) are not bounded by this: they rebuild whole subtrees.
 *  - A split reads each key once and evaluates the parent's route() on it. An edge leaf
 *    whose keys fall outside the parent's model range first grows the parent toward that
 *    side (new slots owned by the leaf: this is ALEX's key-domain growth, done lazily).
 *    A leaf owning one slot doubles the parent when the doubled model separates its keys.
 *    Then the run of slots is cut at a route value between the keys: a sideways split. If
 *    the parent cannot separate the keys, the leaf is replaced by a model node trained on
 *    them (a downward split); its transform anchors at their common prefix, which is
 *    what pushes keys with long shared prefixes down, trie-style.
 *  - Keys that clamp under a leaf's transform (outside its anchor or alphabet) or tie on a
 *    code are counted; past max(64, n/8) the leaf is rebuilt with a retrained transform
 *    (with back-off when a retrain cannot separate the ties). A key clamped to code 0 or
 *    max (outside the transform's range: appends, prepends) counts ALEX_ODD_EDGE, so an
 *    append run retrains after about n/64 keys. Clamps and ties inside the range count 1
 *    under one alphabet (a retrain may move to per-position alphabets, which tie less)
 *    and 0 under per-position alphabets: those are already the layout that ties least,
 *    and a byte new at a position rounds to a code in the right place, so a retrain
 *    buys little there and costs a pass over the leaf's entries (URLs: 1,425 retrains at
 *    1M keys took 60% of the insert time; without them the leaves still split when
 *    their observed cost says so). Model nodes count clamped inserts too; when they
 *    reach an eighth of the subtree, the subtree is rebuilt.
 *  - An insert that lands ALEX_DEEP or more model levels down rebuilds (bulk-load style)
 *    the highest ancestor of at most ALEX_DEEP_REBUILD_MAX keys that doubled since it was
 *    built, unless the key went to an end of it (appends). Splits under random inserts
 *    of long-prefix keys otherwise stack levels a bulk load would not build.
 *  - An empty leaf gives its slots to a neighbour; a model node left with one child is
 *    replaced by that child. A sparse leaf contracts.
 *  - Runs of inserts past the last key of the index (time-ordered keys) go to leaves made
 *    for them, next to the right-most leaf, instead of through the expansions, splits and
 *    retrains above (alex_append.c); such inserts do not count as clamped in the model
 *    nodes above, and a key past the last key of a run leaf skips the descent
 *    (alex_descend_run).
 * Doubling and growing a model node preserve every existing key's route exactly: the
 * model is scaled by 2 (exact in binary floating point) or shifted by an integer. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

#include <stdlib.h>

#define ALEX_SUBTREE_CLAMP_MIN 64   /* clamped inserts before a subtree may be rebuilt */
#define ALEX_RANDOM_WALK_MAX 1024   /* idx_random weighs children by keys up to this fanout */
#define ALEX_ODD_EDGE 8             /* weight of an insert that clamps to code 0 or max */
#define ALEX_DEVIATION 3.0          /* observed/expected insert cost that asks for a split;
                                     * ALEX's 1.5 split random hex ids into 4x the leaves
                                     * for no faster lookups and 25% slower inserts */
#define ALEX_DEEP 4                 /* a leaf this many model levels down is deep ... */
#define ALEX_DEEP_REBUILD_MAX 262144 /* ... and a subtree of at most this many keys that
                                      * doubled since its build is rebuilt */

/* ---- small tree helpers ---- */

struct alex_leaf *alex_leftmost_leaf(const struct alex_node *nd)
{
    while (nd->type == ALEX_INNER)
        nd = ((const struct alex_inner *)nd)->ch[0];
    return (struct alex_leaf *)nd;
}

struct alex_leaf *alex_rightmost_leaf(const struct alex_node *nd)
{
    while (nd->type == ALEX_INNER) {
        const struct alex_inner *in = (const struct alex_inner *)nd;

        nd = in->ch[in->nch - 1];
    }
    return (struct alex_leaf *)nd;
}

/* The slot of model node 'in' that 'key' routes to. */
static inline size_t alex_child_slot(const struct alex_inner *in, const void *key, size_t klen,
                                     int *clamped)
{
    uint64_t c = kc_code(in->h.kc, key, klen, clamped);

    return alex_route(in->h.a, in->h.b, in->off, c, in->nch);
}

/* The run [*s, *e) of slots of 'in' that point to child 'c'. */
static void alex_run_of(const struct alex_inner *in, const struct alex_node *c, size_t *s,
                        size_t *e)
{
    const struct alex_leaf *l = alex_leftmost_leaf(c);
    size_t i = 0;
    int cl;

    if (l->n > 0) {
        const struct idx_entry *k = l->slot[leaf_next_set(l, 0)].ent;

        i = alex_child_slot(in, idx_entry_key(k), idx_entry_klen(k), &cl);
    } else {
        while (i < in->nch && in->ch[i] != c)
            i++;
    }
    OMK_ASSERT(i < in->nch && in->ch[i] == c);
    *s = i;
    while (*s > 0 && in->ch[*s - 1] == c)
        (*s)--;
    *e = i + 1;
    while (*e < in->nch && in->ch[*e] == c)
        (*e)++;
}

/* Put 'neu' where 'old' hangs (its parent's run, or the root). 'old' must be intact. */
void alex_replace(struct idx *ix, struct alex_node *old, struct alex_node *neu)
{
    struct alex_inner *p = old->parent;
    size_t s, e;

    neu->parent = p;
    if (!p) {
        ix->root = neu;
        return;
    }
    alex_run_of(p, old, &s, &e);
    for (size_t j = s; j < e; j++)
        p->ch[j] = neu;
}

/* Link the leaves head..tail between 'prev' and 'next' in the leaf chain. */
static void alex_splice(struct alex_leaf *prev, struct alex_leaf *next, struct alex_leaf *head,
                        struct alex_leaf *tail)
{
    head->prev = prev;
    if (prev)
        prev->next = head;
    tail->next = next;
    if (next)
        next->prev = tail;
}

/* Keys under 'nd'. */
static size_t alex_node_keys(const struct alex_node *nd)
{
    if (nd->type == ALEX_LEAF)
        return ((const struct alex_leaf *)nd)->n;
    return ((const struct alex_inner *)nd)->nkeys;
}

/* All entries under 'nd' in key order; returns memory freed with omk_free(). */
static struct idx_entry **alex_gather(const struct alex_node *nd, size_t *n)
{
    struct alex_leaf *l = alex_leftmost_leaf(nd), *last = alex_rightmost_leaf(nd);
    size_t total = alex_node_keys(nd), k = 0;
    struct idx_entry **ents = omk_malloc((total ? total : 1) * sizeof(*ents));

    for (;;) {
        leaf_collect(l, NULL, ents + k);
        k += l->n;
        if (l == last)
            break;
        l = l->next;
    }
    OMK_ASSERT(k == total);
    *n = total;
    return ents;
}

/* Replace subtree 'nd', whose keys in order are 'ents'[0..n-1], by one built from them
 * ('mode' as for alex_build(); 'pcodes': their codes under the parent's transform, or
 * NULL). Returns the new node. */
static struct alex_node *alex_rebuild_from(struct idx *ix, struct alex_node *nd, int mode,
                                           double density, struct idx_entry **ents,
                                           const uint64_t *pcodes, size_t n)
{
    struct alex_leaf *prev = alex_leftmost_leaf(nd)->prev, *next = alex_rightmost_leaf(nd)->next;
    struct alex_leaf *head = NULL, *tail = NULL;
    struct alex_node *neu = alex_build(ix, ents, n, mode, density,
                                       nd->parent ? nd->parent->h.kc : NULL, pcodes, &head, &tail);

    alex_replace(ix, nd, neu);
    alex_splice(prev, next, head, tail);
    alex_free_subtree(nd);
    return neu;
}

/* Replace subtree 'nd' by one built from its keys ('mode' as for alex_build()).
 * Returns the new node. */
struct alex_node *alex_rebuild(struct idx *ix, struct alex_node *nd, int mode, double density)
{
    size_t n;
    struct idx_entry **ents = alex_gather(nd, &n);
    struct alex_node *neu = alex_rebuild_from(ix, nd, mode, density, ents, NULL, n);

    omk_free(ents);
    return neu;
}

/* ---- model node growth ---- */

/* Append nch slots on the right, owned by the last child. */
void alex_inner_grow_right(struct alex_inner *in)
{
    size_t n = in->nch;

    in->ch = omk_realloc(in->ch, 2 * n * sizeof(in->ch[0]));
    for (size_t j = n; j < 2 * n; j++)
        in->ch[j] = in->ch[n - 1];
    in->nch = (uint32_t)(2 * n);
}

/* Prepend nch slots on the left, owned by the first child; the model shifts by nch. */
void alex_inner_grow_left(struct alex_inner *in)
{
    size_t n = in->nch;
    struct alex_node **ch = omk_malloc(2 * n * sizeof(ch[0]));

    for (size_t j = 0; j < n; j++)
        ch[j] = in->ch[0];
    memcpy(ch + n, in->ch, n * sizeof(ch[0]));
    omk_free(in->ch);
    in->ch = ch;
    in->off += (int64_t)n;
    in->nch = (uint32_t)(2 * n);
}

/* Double every child's run and the model with it (x2 is exact: routes are kept). */
void alex_inner_double(struct alex_inner *in)
{
    size_t n = in->nch;
    struct alex_node **ch = omk_malloc(2 * n * sizeof(ch[0]));

    for (size_t j = 0; j < n; j++)
        ch[2 * j] = ch[2 * j + 1] = in->ch[j];
    omk_free(in->ch);
    in->ch = ch;
    in->h.a *= 2;
    in->h.b *= 2;
    in->off *= 2;
    in->nch = (uint32_t)(2 * n);
}

static size_t alex_clamp_slot(int64_t r, size_t n)
{
    return r < 0 ? 0 : ((uint64_t)r >= n ? n - 1 : (size_t)r);
}

/* ---- splits ---- */

/* Try a sideways split of leaf 'l' (keys 'ents'[0..n-1], their codes under the parent's
 * transform 'mc') into its parent; returns 1 when done ('l' is freed then), 0 when the
 * parent cannot separate the keys. */
static int alex_split_sideways(struct idx *ix, struct alex_leaf *l, struct idx_entry **ents,
                               const uint64_t *mc, size_t n)
{
    struct alex_inner *m = l->h.parent;
    size_t s, e, mid, k, e0, e1;
    int done = 0;

    alex_run_of(m, &l->h, &s, &e);
#define RAW(i) alex_route_raw(m->h.a, m->h.b, m->off, mc[i])
    if (e == m->nch && RAW(n - 1) >= (int64_t)m->nch && 2 * (size_t)m->nch <= ALEX_MAX_FANOUT) {
        alex_inner_grow_right(m);
        e = m->nch;
    } else if (s == 0 && RAW(0) < 0 && 2 * (size_t)m->nch <= ALEX_MAX_FANOUT) {
        e += m->nch;
        alex_inner_grow_left(m);
    }
    if (e - s == 1 && 2 * (size_t)m->nch <= ALEX_MAX_FANOUT) {
        size_t n2 = 2 * (size_t)m->nch;
        int64_t off2 = 2 * m->off;

        e0 = alex_route(2 * m->h.a, 2 * m->h.b, off2, mc[0], n2);
        e1 = alex_route(2 * m->h.a, 2 * m->h.b, off2, mc[n - 1], n2);
        if (e0 != e1) {
            alex_inner_double(m);
            s *= 2;
            e = s + 2;
        }
    }
    e0 = alex_clamp_slot(RAW(0), m->nch);
    e1 = alex_clamp_slot(RAW(n - 1), m->nch);
    OMK_ASSERT(e0 >= s && e1 < e);
    if (e - s >= 2 && e0 != e1) {
        struct alex_leaf *prev = l->prev, *next = l->next, *head = NULL, *tail = NULL;
        struct alex_node *left, *right;

        mid = alex_clamp_slot(RAW(n / 2), m->nch);
        if (mid <= e0)
            mid = e0 + 1;
        for (k = 0; k < n && alex_clamp_slot(RAW(k), m->nch) < mid; k++)
            ;
        OMK_ASSERT(k > 0 && k < n);
        left = alex_build(ix, ents, k, BUILD_LEAF, ALEX_DENSITY_EXPAND, m->h.kc, mc, &head,
                          &tail);
        right = alex_build(ix, ents + k, n - k, BUILD_LEAF, ALEX_DENSITY_EXPAND, m->h.kc, mc + k,
                           &head, &tail);
        left->parent = right->parent = m;
        for (size_t j = s; j < e; j++)
            m->ch[j] = j < mid ? left : right;
        alex_splice(prev, next, head, tail);
        leaf_free(l);
        ix->splits_sideways++;
        done = 1;
    }
#undef RAW
    return done;
}

/* Split leaf 'l': sideways when its parent can separate the keys, else downward. When
 * 'l' shares its parent's transform, its codes are the parent's: no entry is read. */
static void alex_split(struct idx *ix, struct alex_leaf *l)
{
    size_t n = l->n;
    struct idx_entry **ents = omk_malloc(n * sizeof(*ents));
    uint64_t *codes = omk_malloc(n * sizeof(uint64_t));
    struct alex_inner *m = l->h.parent;
    int shared = m && m->h.kc == l->h.kc;

    OMK_ASSERT(n >= 2);
    leaf_collect(l, codes, ents);
    if (m && !shared)
        kc_code_all(m->h.kc, ents, n, codes);
    if (!m || !alex_split_sideways(ix, l, ents, codes, n)) {
        alex_rebuild_from(ix, &l->h, BUILD_INNER, ALEX_DENSITY_EXPAND, ents, m ? codes : NULL, n);
        ix->splits_down++;
    }
    omk_free(codes);
    omk_free(ents);
}

/* Leaf 'l' refused an insert with 'rc': expand it, or split it (ALEX.md 1.3-1.4). */
static void alex_make_room(struct idx *ix, struct alex_leaf *l, int rc)
{
    size_t n = l->n, newcap = leaf_cap_for(n + 1, ALEX_DENSITY_EXPAND);
    double obs = leaf_observed_cost(l);
    int dir = leaf_append_dir(l);

    if (dir && newcap <= ix->expand_slots) {
        /* Append-mostly: keep the keys dense and the room where the inserts go. */
        leaf_resize(l, newcap > l->cap ? newcap : l->cap, dir);
        ix->expansions++;
        return;
    }
    if (rc == LEAF_INS_COSTLY || newcap > ix->expand_slots) {
        alex_split(ix, l);      /* BOUNDED INSERTS: no expansion past expand_slots */
        return;
    }
    if (l->ins >= 64 && obs > ALEX_DEVIATION * l->exp_cost && obs > 2 * ALEX_COST_SEARCH) {
        /* Significant deviation: expand-and-retrain or split in two, whichever the cost
         * model prefers (a downward split also pays a model level). */
        uint64_t *codes = omk_malloc(n * sizeof(uint64_t));
        struct idx_entry **ents = omk_malloc(n * sizeof(*ents));
        size_t h = n / 2;
        double ce, cs;

        leaf_collect(l, codes, ents);
        ce = alex_leaf_cost_est(codes, n, newcap);
        cs = (alex_leaf_cost_est(codes, h, leaf_cap_for(h, ALEX_DENSITY_EXPAND)) * (double)h +
              alex_leaf_cost_est(codes + h, n - h, leaf_cap_for(n - h, ALEX_DENSITY_EXPAND)) *
                  (double)(n - h)) / (double)n;
        if (!l->h.parent)
            cs += ALEX_COST_LEVEL;
        omk_free(codes);
        omk_free(ents);
        if (cs < ce) {
            alex_split(ix, l);
            return;
        }
    }
    leaf_resize(l, newcap, 0);
    ix->expansions++;
}

/* Count the code duplicates among the keys of 'l' (ties a retrain could not remove). */
static size_t leaf_dup_codes(const struct alex_leaf *l)
{
    size_t d = 0;
    long prev = -1;

    for (size_t i = leaf_next_set(l, 0); i < l->cap; i = leaf_next_set(l, i + 1)) {
        if (prev >= 0 && l->slot[prev].code == l->slot[i].code)
            d++;
        prev = (long)i;
    }
    return d;
}

/* Rebuild subtree 'nd' from its keys with transforms trained anew; one alphabet per
 * transform when leaf 'l' (where the insert went) takes appends. Returns the new node. */
static struct alex_node *alex_retrain(struct idx *ix, struct alex_node *nd,
                                      const struct alex_leaf *l)
{
    struct alex_node *neu;

    ix->single_alphabet = leaf_append_dir(l) != 0;
    neu = alex_rebuild(ix, nd, BUILD_AUTO, ALEX_DENSITY_BUILD);
    ix->single_alphabet = 0;
    return neu;
}

/* Retrain the transform of leaf 'l' by rebuilding it from its keys. When the rebuilt
 * leaf still has many tied codes, back off: the next retrain waits twice as long. */
static void alex_retrain_leaf(struct idx *ix, struct alex_leaf *l)
{
    uint32_t limit = l->odd_limit;
    struct alex_node *neu = alex_retrain(ix, &l->h, l);

    ix->retrains++;
    if (neu->type == ALEX_LEAF) {
        struct alex_leaf *nl = (struct alex_leaf *)neu;

        if (leaf_dup_codes(nl) >= nl->odd_limit && limit < UINT32_MAX / 2)
            nl->odd_limit = 2 * limit > nl->odd_limit ? 2 * limit : nl->odd_limit;
    }
}

/* ---- public API ---- */

/* The root of an empty index: one small leaf under the trivial transform. */
static struct alex_node *alex_empty_root(void)
{
    return &leaf_new(kc_train(NULL, 0, 0, 0, NULL), NULL, NULL, 0, ALEX_LEAF_MIN_CAP)->h;
}

struct idx *idx_new(const struct idx_config *cfg)
{
    struct idx *ix = omk_calloc(1, sizeof(*ix));
    size_t m = cfg && cfg->max_leaf_slots ? cfg->max_leaf_slots : 65536;
    size_t g = cfg && cfg->max_expand_slots ? cfg->max_expand_slots : ALEX_EXPAND_SLOTS;

    m = (m + 63) & ~(size_t)63;
    ix->max_slots = m < 256 ? 256 : m;
    g = (g + 63) & ~(size_t)63;
    g = g < 256 ? 256 : g;
    ix->expand_slots = g < ix->max_slots ? g : ix->max_slots;
    ix->root = alex_empty_root();
    return ix;
}

void idx_clear(struct idx *ix, void (*free_entry)(struct idx_entry *e))
{
    struct alex_leaf *l = alex_leftmost_leaf(ix->root);

    for (; l; l = l->next)
        for (size_t i = leaf_next_set(l, 0); i < l->cap; i = leaf_next_set(l, i + 1))
            (free_entry ? free_entry : idx_entry_free)(l->slot[i].ent);
    alex_free_subtree(ix->root);
    ix->root = alex_empty_root();
    ix->n = 0;
    ix->entry_bytes = 0;
}

void idx_free(struct idx *ix, void (*free_entry)(struct idx_entry *e))
{
    if (!ix)
        return;
    idx_clear(ix, free_entry);
    alex_free_subtree(ix->root);
    omk_free(ix);
}

size_t idx_count(const struct idx *ix)
{
    return ix->n;
}

/* What alex_descend() saw of the model nodes on the way down, for an insert's way up
 * (which would otherwise code the key again under each of their transforms). */
struct alex_path {
    unsigned levels;             /* model nodes passed */
    uint64_t clamped;            /* bit i: the key clamped under the transform of the
                                  * i-th of them, root first (the first 64) */
};

/* The leaf 'key' routes to, and the key's code there ('*exact': see kc_code_exact).
 * Fills '*path' unless NULL. Reads only. */
static struct alex_leaf *alex_descend(const struct idx *ix, const void *key, size_t klen,
                                      uint64_t *code, int *clamped, int *exact,
                                      struct alex_path *path)
{
    const struct alex_node *nd = ix->root;
    const struct alex_kc *kc = NULL;
    uint64_t c = 0, cmask = 0;
    unsigned levels = 0;
    int cl = 0, ex = 0;

    for (;;) {
        if (nd->kc != kc) {         /* levels sharing a transform share the code */
            kc = nd->kc;
            c = kc_code_exact(kc, key, klen, &cl, &ex);
        }
        if (nd->type != ALEX_INNER)
            break;
        const struct alex_inner *in = (const struct alex_inner *)nd;

        if (cl && levels < 64)
            cmask |= UINT64_C(1) << levels;
        levels++;
        nd = in->ch[alex_route(in->h.a, in->h.b, in->off, c, in->nch)];
    }
    if (path) {
        path->levels = levels;
        path->clamped = cmask;
    }
    *code = c;
    *clamped = cl;
    *exact = ex;
    return (struct alex_leaf *)nd;
}

/* When the right-most leaf is a run leaf and 'key' lies at or past its last key, that
 * leaf, with the key's code there and its position as leaf_search() gives it; else
 * NULL. Every model node on the right edge routes a key past the last key to its last
 * child (route() is monotone, and no leaf but the root is empty), so the key routes to
 * that leaf: the descent need not code it under each transform on the way. Reads only. */
static struct alex_leaf *alex_descend_run(const struct idx *ix, const void *key, size_t klen,
                                          uint64_t *code, int *clamped, struct alex_path *path,
                                          struct leaf_pos *pos)
{
    const struct alex_node *nd = ix->root;
    unsigned levels = 0;
    int ex;

    while (nd->type == ALEX_INNER) {
        const struct alex_inner *in = (const struct alex_inner *)nd;

        nd = in->ch[in->nch - 1];
        levels++;
    }
    struct alex_leaf *l = (struct alex_leaf *)nd;

    if (!l->run)
        return NULL;
    *code = kc_code_exact(l->h.kc, key, klen, clamped, &ex);
    if (!alex_append_pos(l, *code, key, klen, pos))
        return NULL;
    path->levels = levels;
    path->clamped = 0;          /* not counted past the last key (see idx_insert) */
    return l;
}

struct idx_entry *idx_find(const struct idx *ix, const void *key, size_t klen)
{
    uint64_t c;
    int cl, ex;
    struct alex_leaf *l = alex_descend(ix, key, klen, &c, &cl, &ex, NULL);
    struct leaf_pos pos;

    leaf_search(l, c, ex, key, klen, &pos);
    return pos.found ? l->slot[pos.slot].ent : NULL;
}

int idx_insert(struct idx *ix, const void *key, size_t klen, struct idx_entry **out)
{
    struct idx_entry *e = NULL;
    struct alex_leaf *l;
    struct leaf_pos pos;
    struct alex_path path;
    uint64_t c;
    int cl, ex, edge;

    /* Past the last key of a run leaf: no descent, no search, and usually nothing else. */
    l = ix->run_leaves ? alex_descend_run(ix, key, klen, &c, &cl, &path, &pos) : NULL;
    if (l && !pos.found && alex_append_fast(ix, l, c, cl, &pos, key, klen, out) == IDX_OK)
        return IDX_OK;
    for (;; l = NULL) {         /* after making room the key is looked for again */
        if (!l) {
            l = alex_descend(ix, key, klen, &c, &cl, &ex, &path);
            if (!l->run || !alex_append_pos(l, c, key, klen, &pos))
                leaf_search(l, c, ex, key, klen, &pos);
        }
        if (pos.found) {
            OMK_ASSERT(!e);
            *out = l->slot[pos.slot].ent;
            return IDX_EXISTS;
        }
        if (!e)
            e = idx_entry_new(key, klen);
        if (alex_append(ix, l, c, cl, &pos, e)) {
            /* A run past the last key took it: counts are done. */
            ix->n++;
            ix->entry_bytes += idx_entry_size(e);
            ix->ins_total++;
            ix->steps_total += pos.steps;
            *out = e;
            return IDX_OK;
        }
        edge = l->n ? alex_past_last(l, &pos) : 0;
        int rc = leaf_insert(l, c, e, &pos);

        if (rc == LEAF_INS_OK)
            break;
        alex_make_room(ix, l, rc);
    }
    ix->n++;
    ix->entry_bytes += idx_entry_size(e);
    ix->ins_total++;
    ix->steps_total += pos.steps;
    if (edge && l->run) {
        /* The run a run leaf was made for: alex_append() opens the next leaf, no retrain. */
    } else if (cl && (c == 0 || c == l->h.kc->max)) {
        l->odd += ALEX_ODD_EDGE;    /* outside the transform's range: appends, prepends */
    } else if ((cl || pos.tied) && !l->h.kc->pos) {
        l->odd++;                   /* per-position alphabets: see the top of the file */
    }

    /* Walk up: subtree counts, clamp counters of the model nodes on the path, and the
     * highest subtree that doubled since its build (for a deep leaf). */
    struct alex_inner *rebuild = NULL, *grown = NULL;
    unsigned lvl = path.levels;

    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent) {
        int icl;

        in->nkeys++;
        if (in->nkeys >= 2 * in->built_n && in->nkeys <= ALEX_DEEP_REBUILD_MAX)
            grown = in;
        if (--lvl < 64)
            icl = (int)((path.clamped >> lvl) & 1);
        else
            (void)kc_code(in->h.kc, key, klen, &icl);
        if (icl && !edge) {      /* past the last key: alex_append() handles runs */
            in->clamped++;
            if (in->clamped >= ALEX_SUBTREE_CLAMP_MIN && in->clamped * 8 >= in->nkeys)
                rebuild = in;
        }
    }
    OMK_DEBUG_ASSERT(lvl == 0);     /* the way up is the way down */
    if (!rebuild && path.levels >= ALEX_DEEP && grown && l != alex_rightmost_leaf(&grown->h) &&
        l != alex_leftmost_leaf(&grown->h)) {
        /* Splits under random inserts of keys with long shared prefixes stack model
         * levels a bulk load would not build (URLs: depth 11 against 4). Rebuilding a
         * deep subtree each time it doubles costs O(1) rebuilds per key per level and
         * at most ALEX_DEEP_REBUILD_MAX keys at once (tail latency). Not when the key
         * went to an end of the subtree: appends would rebuild it over and over. */
        rebuild = grown;
        ix->rebuilds++;
    } else if (rebuild) {
        ix->retrains++;
    }
    if (rebuild)
        alex_retrain(ix, &rebuild->h, l);
    else if (l->odd >= l->odd_limit)
        alex_retrain_leaf(ix, l);
    *out = e;
    return IDX_OK;
}

/* Leaf 'l' (not the root) became empty: give its slots to a neighbour, and fold a parent
 * left with a single child. 'key' routed to 'l'. */
static void alex_merge_empty(struct idx *ix, struct alex_leaf *l)
{
    struct alex_inner *m = l->h.parent;
    struct alex_node *nb;
    size_t s, e;

    alex_run_of(m, &l->h, &s, &e);
    nb = s > 0 ? m->ch[s - 1] : m->ch[e];
    for (size_t j = s; j < e; j++)
        m->ch[j] = nb;
    if (l->prev)
        l->prev->next = l->next;
    if (l->next)
        l->next->prev = l->prev;
    leaf_free(l);
    ix->merges++;
    if (m->ch[0] == m->ch[m->nch - 1]) {
        /* One child left: it takes the model node's place. */
        alex_replace(ix, &m->h, nb);
        kc_release(m->h.kc);
        omk_free(m->ch);
        omk_free(m);
    }
}

int idx_delete(struct idx *ix, const void *key, size_t klen, struct idx_entry **out)
{
    uint64_t c;
    int cl, ex;
    struct alex_leaf *l = alex_descend(ix, key, klen, &c, &cl, &ex, NULL);
    struct leaf_pos pos;
    struct idx_entry *e;

    leaf_search(l, c, ex, key, klen, &pos);
    if (!pos.found)
        return IDX_NOTFOUND;
    e = leaf_erase(l, &pos);
    ix->n--;
    ix->entry_bytes -= idx_entry_size(e);
    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent)
        in->nkeys--;
    if (l->n == 0 && l->h.parent) {
        alex_merge_empty(ix, l);
    } else if (l->cap > ALEX_LEAF_MIN_CAP && (double)l->n < ALEX_DENSITY_MIN * (double)l->cap) {
        size_t nc = leaf_cap_for(l->n, ALEX_DENSITY_CONTRACT);

        if (nc < l->cap) {
            leaf_resize(l, nc, 0);
            ix->contractions++;
        }
    }
    *out = e;
    return IDX_OK;
}

int idx_bulk_load(struct idx *ix, struct idx_entry **sorted, size_t n)
{
    struct alex_leaf *head = NULL, *tail = NULL;
    struct alex_node *root;

    if (ix->n)
        return IDX_EXISTS;
    if (n == 0)
        return IDX_OK;
    /* One pass reads each entry once (a cache miss each at 10M keys, so the next ones are
     * requested ahead): the order check, and the entries' bytes. */
    for (size_t i = 0; i < n; i++) {
        kc_prefetch_ahead(sorted, i, n, 1);
        OMK_ASSERT(i == 0 || alex_entcmp(sorted[i - 1], idx_entry_key(sorted[i]),
                                         idx_entry_klen(sorted[i])) < 0);
        ix->entry_bytes += idx_entry_size(sorted[i]);
    }
    ix->n = n;  /* the builder's traversal cost uses the final size */
    ix->bulk_loading = 1;
    root = alex_build(ix, sorted, n, BUILD_AUTO, ALEX_DENSITY_BULK, NULL, NULL, &head, &tail);
    ix->bulk_loading = 0;
    alex_free_subtree(ix->root);
    root->parent = NULL;
    ix->root = root;
    return IDX_OK;
}

void idx_seek(const struct idx *ix, const void *key, size_t klen, struct idx_iter *it)
{
    uint64_t c;
    int cl, ex;
    struct alex_leaf *l;
    struct leaf_pos pos;

    it->ix = ix;
    if (klen == 0) {
        it->leaf = alex_leftmost_leaf(ix->root);
        it->slot = 0;
        return;
    }
    l = alex_descend(ix, key, klen, &c, &cl, &ex, NULL);
    leaf_search(l, c, ex, key, klen, &pos);
    it->leaf = l;
    it->slot = pos.slot;
}

struct idx_entry *idx_iter_next(struct idx_iter *it)
{
    const struct alex_leaf *l = it->leaf;

    while (l) {
        size_t i = leaf_next_set(l, it->slot);

        if (i < l->cap) {
            it->slot = i + 1;
            return l->slot[i].ent;
        }
        l = l->next;
        it->leaf = l;
        it->slot = 0;
    }
    return NULL;
}

/* splitmix64 step: the next pseudo-random number after '*s'. */
static uint64_t alex_mix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

struct idx_entry *idx_random(const struct idx *ix, uint64_t rnd)
{
    const struct alex_node *nd = ix->root;
    const struct alex_leaf *l;
    size_t i;

    if (ix->n == 0)
        return NULL;
    /* Descend by key count, so each key is about equally likely: at a model node pick a
     * target rank and walk the distinct children (on very wide nodes, pick a slot). */
    while (nd->type == ALEX_INNER) {
        const struct alex_inner *in = (const struct alex_inner *)nd;
        size_t want = (size_t)(alex_mix(&rnd) % (in->nkeys ? in->nkeys : 1)), j = 0;
        const struct alex_node *c = in->ch[0];

        if (in->nch > ALEX_RANDOM_WALK_MAX) {
            nd = in->ch[alex_mix(&rnd) % in->nch];
            continue;
        }
        for (;;) {
            size_t k = alex_node_keys(c);

            if (want < k)
                break;
            want -= k;
            while (j < in->nch && in->ch[j] == c)
                j++;
            if (j >= in->nch)
                break;
            c = in->ch[j];
        }
        nd = c;
    }
    l = (const struct alex_leaf *)nd;
    while (l->n == 0)
        l = l->next ? l->next : alex_leftmost_leaf(ix->root);
    i = leaf_next_set(l, (size_t)(alex_mix(&rnd) % l->cap));
    if (i >= l->cap)
        i = leaf_next_set(l, 0);
    return l->slot[i].ent;
}
