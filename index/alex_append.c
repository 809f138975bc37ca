/* alex_append.c - runs of keys past the last key of the index (appends: event ids,
 * timestamps, counters, a sorted restore) or before its first (prepends).
 *
 * HOW IT WORKS: ALEX grows a leaf where its keys are. A run of appends all lands in the
 * right-most leaf, past its last key, where the leaf's model (fitted to the keys it
 * holds) predicts worse with every key; the leaf expands by copying everything it holds;
 * a split in two leaves a half-empty leaf behind that no key will reach again; and keys
 * past the range of a transform clamp to its maximum and tie, which asks for retrains of
 * the leaf and of the model nodes above it. Here a run is served by leaves made for it:
 *  - Detection: the insert goes past the last key of the right-most leaf (nothing follows
 *    it in the leaf chain, so the key is past every key of the index), and the leaf was
 *    made here for the run or nine in ten of its recent inserts went past its last key.
 *    While the leaf can take the key where the run goes, the key goes in the usual way:
 *    at its predicted slot (leaf_insert). It cannot when no slot is left past its last
 *    key, when its model points past its end, at the density limit, or when the key
 *    clamps under its transform.
 *  - Then a new leaf N is opened for the run. N's capacity is twice the old leaf's keys
 *    (up to the slot cap); its model is fitted to the run: the slope places keys
 *    1/ALEX_DENSITY_BUILD slots apart if they keep coming at the pace of the last
 *    APPEND_TAIL keys (code distance per key), the intercept puts N's first key in its
 *    first slot. The next keys land at their predicted slots: an insert searches ~1 slot,
 *    moves nothing, and no key is copied again until a split or a delete moves it.
 *  - N hangs at the lowest model node M on the right edge that can route the new key to
 *    slots of its own: M gives N its slots from a cut to its end (a sideways split near
 *    the end). The cut is the slot after the old last key's route when the new key
 *    routes past it (nothing moves), else the last key's slot, whose keys move from the
 *    old leaf to N (they are the tail of the old leaf; at least one key must stay). To
 *    find room M grows its slots to the right or doubles them (routes of present keys do
 *    not change), within a fanout limit (append_fanout_limit); each step is decided by
 *    evaluating route() on codes, never by inverting a model. When no model node can
 *    (the keys tie or clamp under every transform above, or the fanout is spent), the
 *    old leaf is split down: a model node over the old leaf and N, whose transform is
 *    trained on the old leaf's keys and the new key with room for the keys to come
 *    (kc_train_run), and whose model maps the old leaf onto half its slots, leaving the
 *    other half to the run; the next leaves of the run hang there.
 *  - N's transform is the one of the model node it hangs under when that codes the run
 *    without clamping or tying (one code per lookup down to the leaf), else the old
 *    leaf's, else one trained by kc_train_run on the old leaf's keys and the new key.
 *  - Appends do not count as clamped inserts of the model nodes above (that count asks
 *    for subtree rebuilds, see alex.c): the run is handled here.
 * Prepends are the mirror image: the left-most leaf, its first key, slots to the left.
 * The index stays what ALEX.md describes: leaves are gapped arrays placed by a model,
 * every key routes from the root to its leaf, and the leaf chain is in key order. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"


#define APPEND_MIN_KEYS 64      /* a run leaf is made for at least this many keys */
#define APPEND_FANOUT_MIN 256   /* a model node may grow to this many slots for a run ... */
#define APPEND_KEYS_PER_SLOT 4  /* ... or to one slot per this many keys under it */
#define APPEND_DOWN_SLOTS 8     /* slots of a model node made by a split down */
#define APPEND_PLAN_STEPS 40    /* growth steps a plan may take */
#define APPEND_SEAL_MIN 16      /* inserts a leaf takes before a run may leave it early */

/* The first (dir < 0) or last (dir > 0) occupied slot of 'l' (not empty). */
static size_t append_edge_slot(const struct alex_leaf *l, int dir)
{
    return dir > 0 ? (size_t)leaf_prev_set(l, (long)l->cap - 1) : leaf_next_set(l, 0);
}

/* The occupied slot after (dir < 0) or before (dir > 0) occupied slot 'i' of 'l'. */
static size_t append_inward(const struct alex_leaf *l, size_t i, int dir)
{
    return dir > 0 ? (size_t)leaf_prev_set(l, (long)i - 1) : leaf_next_set(l, i + 1);
}

/* The bit length of 'x' (0 for 0): search steps for a prediction off by 'x' slots. */
static unsigned append_bitlen(uint64_t x)
{
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

int alex_edge_dir(const struct alex_leaf *l, const struct leaf_pos *pos)
{
    size_t s = pos->slot;

    if (!l->next && (s == l->cap || !l->slot[s].ent))
        return 1;               /* past the last key: only empty gaps follow */
    if (!l->prev && s < l->cap && l->slot[s].ent == l->slot[0].ent)
        return -1;              /* before the first key: slots 0..s hold it */
    return 0;
}

int alex_append_pos(const struct alex_leaf *l, uint64_t c, const void *key, size_t klen,
                    struct leaf_pos *pos)
{
    size_t h = l->run_edge, cap = l->cap, p;
    int cmp;

    if (h >= cap || !leaf_is_set(l, h))
        return 0;
    if (l->run > 0) {
        if (l->next || (h + 1 < cap && l->slot[h + 1].ent) || c < l->slot[h].code)
            return 0;
    } else {
        if (l->prev || l->slot[0].ent != l->slot[h].ent || c > l->slot[h].code)
            return 0;
    }
    /* 'h' is the edge key's slot (only empty gaps lie beyond it): compare with it. */
    cmp = c != l->slot[h].code ? (c > l->slot[h].code ? 1 : -1)
                               : -alex_entcmp(l->slot[h].ent, key, klen);
    if (cmp != 0 && (cmp > 0) != (l->run > 0))
        return 0;               /* inside the leaf: search it */
    pos->found = cmp == 0;
    pos->slot = cmp == 0 ? h : (l->run > 0 ? h + 1 : 0);
    pos->tied = !pos->found && c == l->slot[h].code;
    p = alex_route(l->h.a, l->h.b, 0, c, cap);
    pos->steps = append_bitlen(p > pos->slot ? p - pos->slot : pos->slot - p);
    return 1;
}

/* Can 'l' not take code 'c' (clamped: 'cl', its search ended at slot 's') where a run in
 * direction 'dir' goes? */
static int append_leaf_done(const struct alex_leaf *l, uint64_t c, int cl, size_t s, int dir)
{
    int64_t p = alex_route_raw(l->h.a, l->h.b, 0, c);

    if ((double)(l->n + 1) > ALEX_DENSITY_MAX * (double)l->cap)
        return 1;               /* full */
    if (dir > 0 ? s == l->cap : leaf_is_set(l, 0))
        return 1;               /* no slot left at the run's end */
    /* The model points past the leaf, or the key clamps: not before the leaf took a
     * few keys of the run (a run that outruns every new leaf's transform at once, such
     * as ever shorter prefixes of one key, goes the usual way instead). */
    if (l->ins < APPEND_SEAL_MIN)
        return 0;
    if (dir > 0)
        return p >= (int64_t)l->cap || (cl && c == l->h.kc->max);
    return p < 0 || (cl && c == 0);
}

/* The most slots model node 'in' may grow to for a run. */
static size_t append_fanout_limit(const struct alex_inner *in)
{
    size_t lim = in->nkeys / APPEND_KEYS_PER_SLOT;

    if (lim < APPEND_FANOUT_MIN)
        lim = APPEND_FANOUT_MIN;
    return lim < ALEX_MAX_FANOUT ? lim : ALEX_MAX_FANOUT;
}

/* The code under 'kc' of the key in occupied slot 'i' of 'l'. */
static uint64_t append_slot_code(const struct alex_kc *kc, const struct alex_leaf *l, size_t i)
{
    int cl;

    if (kc == l->h.kc)
        return l->slot[i].code;
    return kc_code(kc, l->slot[i].ent->key, l->slot[i].ent->key_len, &cl);
}

/* ---- where the new leaf goes: a plan over one model node ---- */

enum { GROW_SIDE = 1, GROW_DOUBLE = 2 };

/* Growth steps for model node 'in' (simulated on its model, applied by plan_apply) and
 * the cut they lead to. */
struct append_plan {
    double a, b;
    int64_t off;
    size_t nch;
    size_t k;                    /* steps in ops[] */
    uint8_t ops[APPEND_PLAN_STEPS];
    size_t cut;                  /* the new leaf gets slots cut..nch-1 (dir > 0), 0..cut-1 */
    size_t moved;                /* keys of the edge leaf that move to it */
};

static int64_t plan_raw(const struct append_plan *pl, uint64_t code)
{
    return alex_route_raw(pl->a, pl->b, pl->off, code);
}

/* Can edge leaf 'l' (under model node 'in', on the 'dir' edge) give way to a leaf for
 * new key 'e' at a cut of the slots of 'in', after growth within 'limit' slots? Fills
 * '*pl' on yes. */
static int append_plan(const struct alex_inner *in, const struct alex_leaf *l,
                       const struct idx_entry *e, int dir, size_t limit, struct append_plan *pl)
{
    const struct alex_kc *kc = in->h.kc;
    size_t edge = append_edge_slot(l, dir), far = append_edge_slot(l, -dir);
    uint64_t ce = append_slot_code(kc, l, edge), cf = append_slot_code(kc, l, far), cn;
    int cl;

    cn = kc_code(kc, e->key, e->key_len, &cl);
    if (dir > 0 ? cn <= ce : cn >= ce)
        return 0;               /* 'in' cannot tell the new key from the edge key */
    pl->a = in->h.a;
    pl->b = in->h.b;
    pl->off = in->off;
    pl->nch = in->nch;
    pl->k = 0;
    for (;;) {
        int64_t re = plan_raw(pl, ce), n = (int64_t)pl->nch;
        int room = dir > 0 ? re < n - 1 : re > 0;
        int op;

        if (room) {
            int64_t rn = plan_raw(pl, cn), rf = plan_raw(pl, cf);

            if (dir > 0 ? rn > re : rn < re) {
                pl->cut = (size_t)(dir > 0 ? re + 1 : re);
                pl->moved = 0;
                return 1;
            }
            if (dir > 0 ? rf < re : rf > re) {
                /* The new key shares the edge key's slot: cut there, and move the keys
                 * of the edge leaf that route to that slot. */
                size_t i = edge, mv = 1;

                pl->cut = (size_t)(dir > 0 ? re : re + 1);
                for (i = append_inward(l, i, dir); plan_raw(pl, append_slot_code(kc, l, i)) == re;
                     i = append_inward(l, i, dir))
                    mv++;
                pl->moved = mv;
                return 1;
            }
            op = GROW_DOUBLE;
        } else {
            op = GROW_SIDE;
        }
        if (2 * pl->nch > limit || pl->k >= APPEND_PLAN_STEPS)
            return 0;
        pl->ops[pl->k++] = (uint8_t)op;
        if (op == GROW_DOUBLE) {
            pl->a *= 2;
            pl->b *= 2;
            pl->off *= 2;
        } else if (dir < 0) {
            pl->off += n;
        }
        pl->nch *= 2;
    }
}

/* Apply the growth steps of plan 'pl' to 'in'. */
static void plan_apply(struct alex_inner *in, const struct append_plan *pl, int dir)
{
    for (size_t k = 0; k < pl->k; k++) {
        if (pl->ops[k] == GROW_DOUBLE)
            alex_inner_double(in);
        else if (dir > 0)
            alex_inner_grow_right(in);
        else
            alex_inner_grow_left(in);
    }
    OMK_ASSERT(in->nch == pl->nch && in->off == pl->off);
}

/* ---- the new leaf ---- */

/* The transform for a run leaf following edge leaf 'l' (direction 'dir') whose first
 * keys are the 'moved' edge keys of 'l' and 'e': 'pkc' (the transform of the model node
 * it hangs under) or the one of 'l' when it codes 'e' and the tail of 'l' without
 * clamping and with at least one code per key, else one trained by kc_train_run on the
 * keys of 'l' and 'e'. Returns a held reference; '*cn' gets the code of 'e' and '*ct'
 * the code of the key '*m' keys behind it (toward the inside of 'l'). */
static struct alex_kc *append_leaf_kc(const struct alex_leaf *l, struct alex_kc *pkc,
                                      const struct idx_entry *e, int dir, uint64_t *cn,
                                      uint64_t *ct, size_t *m)
{
    struct alex_kc *cand[2] = {pkc, l->h.kc};
    size_t ts = append_edge_slot(l, -dir), back = l->n;
    int cl;

    *m = back;
    for (int i = 0; i < 2; i++) {
        struct alex_kc *kc = cand[i];

        if (!kc || (i == 1 && kc == pkc))
            continue;
        *cn = kc_code(kc, e->key, e->key_len, &cl);
        if (cl)
            continue;
        if (kc != l->h.kc) {
            int tcl;
            const struct idx_entry *t = l->slot[ts].ent;

            *ct = kc_code(kc, t->key, t->key_len, &tcl);
            if (tcl)
                continue;
        } else {
            *ct = l->slot[ts].code;
        }
        if (dir > 0 ? *cn > *ct && *cn - *ct >= back : *ct > *cn && *ct - *cn >= back)
            return kc_hold(kc);
    }

    size_t n = l->n;
    struct idx_entry **ents = omk_malloc((n + 1) * sizeof(*ents));
    uint64_t *codes = omk_malloc((n + 1) * sizeof(uint64_t));
    struct alex_kc *kc;

    leaf_collect(l, NULL, ents + (dir > 0 ? 0 : 1));
    ents[dir > 0 ? n : 0] = (struct idx_entry *)e;
    kc = kc_train_run(ents, n + 1, 1, codes);
    *cn = codes[dir > 0 ? n : 0];
    *ct = codes[dir > 0 ? n - back : back];
    omk_free(codes);
    omk_free(ents);
    return kc;
}

/* Move the 'moved' keys at the 'dir' edge of 'l' and the new key 'e' into a new run leaf
 * (to hang under a model node whose transform is 'pkc'), and return it. */
static struct alex_leaf *append_leaf_new(const struct idx *ix, struct alex_leaf *l,
                                         struct alex_kc *pkc, struct idx_entry *e, int dir,
                                         size_t moved)
{
    size_t want = 2 * (size_t)l->n, m, cap, n = moved + 1;
    uint64_t cn, ct;
    struct alex_kc *kc = append_leaf_kc(l, pkc, e, dir, &cn, &ct, &m);
    uint64_t *codes = omk_malloc(n * sizeof(uint64_t));
    struct idx_entry **ents = omk_malloc(n * sizeof(*ents));
    struct alex_leaf *nl;
    double pace, a, b;
    size_t i = append_edge_slot(l, dir), keep = i;

    /* N in key order: dir > 0: moved keys then e; dir < 0: e then moved keys. */
    for (size_t k = 0; k < moved; k++) {
        size_t at = dir > 0 ? moved - 1 - k : 1 + k;

        codes[at] = append_slot_code(kc, l, i);
        ents[at] = l->slot[i].ent;
        keep = i = append_inward(l, i, dir);
    }
    codes[dir > 0 ? moved : 0] = cn;
    ents[dir > 0 ? moved : 0] = e;
    if (moved)
        leaf_cut(l, keep, dir);

    if (want < n + APPEND_MIN_KEYS)
        want = n + APPEND_MIN_KEYS;
    cap = leaf_cap_for(want, ALEX_DENSITY_BUILD);
    if (cap > ix->max_slots)
        cap = ix->max_slots;
    OMK_ASSERT(n < cap);
    pace = (dir > 0 ? (double)(cn - ct) : (double)(ct - cn)) / (double)m;
    a = pace > 0 ? 1.0 / (ALEX_DENSITY_BUILD * pace) : 0;
    if (!isfinite(a))
        a = 0;
    b = dir > 0 ? 0.5 - a * (double)codes[0] : (double)cap - 0.5 - a * (double)codes[n - 1];
    if (!isfinite(b)) {
        a = 0;
        b = dir > 0 ? 0 : (double)cap - 1;
    }
    nl = leaf_new_run(kc, codes, ents, n, cap, a, b, dir);
    omk_free(codes);
    omk_free(ents);
    return nl;
}

/* Link run leaf 'nl' beside 'l' in the leaf chain, on side 'dir'. */
static void append_link(struct alex_leaf *l, struct alex_leaf *nl, int dir)
{
    if (dir > 0) {
        nl->prev = l;
        nl->next = NULL;
        l->next = nl;
    } else {
        nl->next = l;
        nl->prev = NULL;
        l->prev = nl;
    }
}

/* Edge leaf 'l' has given way to a new run leaf: when it was left sparse (its model
 * spread the run wider than the run came), pack it. */
static void append_seal(struct idx *ix, struct alex_leaf *l)
{
    if (l->cap > ALEX_LEAF_MIN_CAP && (double)l->n < ALEX_DENSITY_MIN * (double)l->cap) {
        size_t nc = leaf_cap_for(l->n, ALEX_DENSITY_BUILD);

        if (nc < l->cap) {
            leaf_resize(l, nc, 0);
            ix->contractions++;
        }
    }
}

/* Carry out plan 'pl' at model node 'in' (an ancestor of edge leaf 'l'): grow 'in', move
 * the planned keys and 'e' into a new run leaf, give it the slots past the cut. */
static void append_hang(struct idx *ix, struct alex_inner *in, struct alex_leaf *l,
                        struct idx_entry *e, int dir, const struct append_plan *pl)
{
    struct alex_leaf *nl;
    size_t from, to;

    plan_apply(in, pl, dir);
    nl = append_leaf_new(ix, l, in->h.kc, e, dir, pl->moved);
    nl->h.parent = in;
    from = dir > 0 ? pl->cut : 0;
    to = dir > 0 ? in->nch : pl->cut;
    OMK_ASSERT(from < to);
    for (size_t j = from; j < to; j++)
        in->ch[j] = &nl->h;
    append_link(l, nl, dir);
    /* The moved keys left the nodes between 'l' and 'in'; 'e' is new from 'in' up. */
    for (struct alex_inner *p = l->h.parent; p != in; p = p->h.parent)
        p->nkeys -= pl->moved;
    for (struct alex_inner *p = in; p; p = p->h.parent)
        p->nkeys++;
    append_seal(ix, l);
}

/* Sorted, unique entries spanning subtree 'x' (every key of a leaf; the first and last
 * keys of each leaf of a model node) with 'e' added on side 'dir'; returns memory freed
 * with omk_free(), '*n' the count. */
static struct idx_entry **append_sample(const struct alex_node *x, struct idx_entry *e,
                                        int dir, size_t *n)
{
    const struct alex_leaf *l = alex_leftmost_leaf(x), *last = alex_rightmost_leaf(x);
    size_t cnt = 0, cap;
    struct idx_entry **s;

    if (x->type == ALEX_LEAF) {
        cap = l->n + 1;
        s = omk_malloc(cap * sizeof(*s));
        leaf_collect(l, NULL, s + (dir > 0 ? 0 : 1));
        s[dir > 0 ? l->n : 0] = e;
        *n = cap;
        return s;
    }
    cap = 64;
    s = omk_malloc(cap * sizeof(*s));
    if (dir < 0)
        s[cnt++] = e;
    for (;; l = l->next) {
        size_t f = leaf_next_set(l, 0), t = (size_t)leaf_prev_set(l, (long)l->cap - 1);

        if (cnt + 3 > cap) {
            cap *= 2;
            s = omk_realloc(s, cap * sizeof(*s));
        }
        s[cnt++] = l->slot[f].ent;
        if (t != f)
            s[cnt++] = l->slot[t].ent;
        if (l == last)
            break;
    }
    if (dir > 0)
        s[cnt++] = e;
    *n = cnt;
    return s;
}

/* Put a model node over subtree 'x' (edge leaf 'l' or an ancestor of it, on the 'dir'
 * edge) and a run leaf for 'e' in the place of 'x'. Its transform is trained by
 * kc_train_run on keys spanning 'x' and 'e' (or on the edge key and 'e' when those tie
 * under it: then the other keys of 'x' code 0 or max, and still route to 'x'); its model
 * maps 'x' onto the half of its slots away from 'dir'. Returns 1 when done, 0 when the
 * new node could not separate them either (nothing changed). */
static int append_wrap(struct idx *ix, struct alex_node *x, struct alex_leaf *l,
                       struct idx_entry *e, int dir)
{
    size_t n, ie, iedge, lo, hi;
    struct idx_entry **ents = append_sample(x, e, dir, &n);
    uint64_t *codes = omk_malloc(n * sizeof(uint64_t));
    struct alex_inner *in = omk_calloc(1, sizeof(*in));
    struct append_plan pl;
    double span;

    ie = dir > 0 ? n - 1 : 0;
    iedge = dir > 0 ? n - 2 : 1;
    lo = dir > 0 ? 0 : 1;           /* the keys of 'x': lo..hi */
    hi = dir > 0 ? n - 2 : n - 1;
    in->h.type = ALEX_INNER;
    in->h.kc = kc_train_run(ents, n, 0, codes);
    if (codes[ie] == codes[iedge]) {
        struct idx_entry *two[2] = {ents[dir > 0 ? iedge : ie], ents[dir > 0 ? ie : iedge]};

        kc_release(in->h.kc);
        in->h.kc = kc_train_run(two, 2, 0, NULL);
        kc_code_all(in->h.kc, ents, n, codes);
    }
    in->nch = APPEND_DOWN_SLOTS;
    span = (double)(codes[hi] - codes[lo]) + 1.0;
    in->h.a = (double)(APPEND_DOWN_SLOTS / 2) / span;
    in->h.b = (dir > 0 ? 0.0 : (double)(APPEND_DOWN_SLOTS / 2)) - in->h.a * (double)codes[lo];
    if (!isfinite(in->h.a) || !isfinite(in->h.b))
        in->h.a = in->h.b = 0;
    in->ch = omk_malloc(APPEND_DOWN_SLOTS * sizeof(in->ch[0]));
    for (size_t j = 0; j < APPEND_DOWN_SLOTS; j++)
        in->ch[j] = x;
    in->nkeys = in->built_n = x->type == ALEX_LEAF ? l->n : ((struct alex_inner *)x)->nkeys;
    if (!append_plan(in, l, e, dir, append_fanout_limit(in), &pl) || pl.moved >= l->n) {
        kc_release(in->h.kc);
        omk_free(in->ch);
        omk_free(in);
        omk_free(codes);
        omk_free(ents);
        return 0;
    }
    omk_free(codes);
    omk_free(ents);
    alex_replace(ix, x, &in->h);
    x->parent = in;
    append_hang(ix, in, l, e, dir, &pl);
    ix->splits_down++;
    return 1;
}

int alex_append(struct idx *ix, struct alex_leaf *l, uint64_t c, int clamped,
                const struct leaf_pos *pos, struct idx_entry *e)
{
    struct append_plan pl;
    int dir;

    if (l->n == 0 || (dir = alex_edge_dir(l, pos)) <= 0)
        return 0;
    if (l->run != dir && leaf_append_dir(l) != dir)
        return 0;
    if (!append_leaf_done(l, c, clamped, pos->slot, dir))
        return 0;
    if (dir < 0) {
        /* A prefix of the first key codes 0 under every transform anchored in it: a run
         * of ever shorter prefixes would open a leaf and a level per key or two. */
        const struct idx_entry *f = l->slot[append_edge_slot(l, -1)].ent;

        if (e->key_len < f->key_len && memcmp(e->key, f->key, e->key_len) == 0)
            return 0;
    }
    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent) {
        if (append_plan(in, l, e, dir, append_fanout_limit(in), &pl) && pl.moved < l->n) {
            append_hang(ix, in, l, e, dir, &pl);
            ix->run_leaves++;
            return 1;
        }
    }
    /* No model node can: wrap the highest one too narrow for the new key (it clamps
     * there) with a node whose transform spans both, else split the edge leaf down. */
    struct alex_inner *narrow = NULL;

    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent) {
        int cl;

        (void)kc_code(in->h.kc, e->key, e->key_len, &cl);
        if (cl)
            narrow = in;
    }
    if (!(narrow && append_wrap(ix, &narrow->h, l, e, dir)) && !append_wrap(ix, &l->h, l, e, dir))
        return 0;
    ix->run_leaves++;
    return 1;
}
