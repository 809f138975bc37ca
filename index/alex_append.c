/* alex_append.c - runs of keys past the last key of the index: time-ordered keys (event
 * ids, timestamps, counters, log:<date>:..., a sorted restore), redis-benchmark's load.
 *
 * HOW IT WORKS: ALEX grows a leaf where its keys are. A run of appends all lands in the
 * right-most leaf, past its last key, where the leaf's model (fitted to the keys it
 * holds) predicts worse with every key; the leaf expands by copying everything it holds;
 * a split in two leaves a half-empty leaf behind that no key will reach again; and keys
 * past the range of a transform clamp to its maximum and tie, which asks for retrains of
 * the leaf and of the model nodes above it. Here a run is served by leaves made for it:
 *  - Detection: the insert goes past the last key of the right-most leaf (nothing follows
 *    it in the leaf chain, so the key is past every key of the index), and the leaf is a
 *    run leaf (made here) or nine in ten of its recent inserts went past its last key.
 *    While the leaf can take the key where the run goes, the key goes in the usual way,
 *    at its predicted slot (leaf_insert). It cannot when no slot is left past its last
 *    key, at the density limit, or (once it took APPEND_SEAL_MIN keys) when its model
 *    points past its end or the key clamps under its transform.
 *  - A run leaf knows the slot of its last key (alex_leaf.run_edge, checked before use),
 *    so an append finds its place with one code compare and no search, and the descent
 *    is skipped too: every model node on the right edge routes a key past the last key to
 *    its last child, so such a key routes to the right-most leaf (alex.c,
 *    alex_descend_run).
 *  - When the leaf cannot take the key, a new leaf N is opened for the run. N's
 *    capacity is twice the old leaf's keys (up to the slot cap, whose arrays come from
 *    the huge-page pool of leaf_mem.c); its model is fitted to the run: the slope places
 *    keys 1/ALEX_DENSITY_BUILD slots apart if they keep coming at the pace of the old
 *    leaf (its code span per key), the intercept puts N's first key in its first slot.
 *    The next keys land at their predicted slots: an insert moves nothing, and no key is
 *    copied again unless the leaf later splits or contracts.
 *  - N hangs at the lowest model node M on the right edge that can route the new key to
 *    slots of its own: M gives N its slots from a cut to its end (a sideways split near
 *    the end). The cut is the slot after the old last key's route when the new key routes
 *    past it (nothing moves), else the last key's slot, whose keys move from the old leaf
 *    to N (a tail of the old leaf; at least one key stays). To find room M grows its slots
 *    to the right or doubles them (routes of present keys do not change), within a fanout
 *    limit (append_fanout_limit). Every step is decided by evaluating route() on codes,
 *    never by inverting a model.
 *  - When no model node can (the keys tie or clamp under every transform above, or the
 *    fanout is spent), the highest node too narrow for the new key (the key clamps under
 *    its transform), else the old leaf's parent, is re-routed if it can be
 *    (append_reroute): a new transform over its children's first and last keys and the
 *    new key, and a model fitted to where its children start, children kept, N after
 *    them; no level is added. Failing that, a model node is put in the place of that
 *    narrow node, else of the old leaf (a wrap): its children are that subtree and N,
 *    its transform is trained by kc_train_run on keys spanning both (with room for the
 *    keys to come), and its model maps the subtree onto half of its slots, leaving the
 *    other half to the run; the next leaves of the run hang there. A wrap adds a level
 *    to the subtree: none goes past APPEND_MAX_DEPTH model levels (the run then goes the
 *    usual way).
 *  - N's transform is the one of the model node it hangs under when that codes the run
 *    without clamping and with at least one code per key (one code per lookup down to
 *    the leaf), else the old leaf's, else one trained by kc_train_run on the old leaf's
 *    keys and the new key.
 *  - The old leaf stays as it is; packed if its model spread it thin (append_seal).
 *  - Appends do not count as clamped inserts of the model nodes above, nor as odd inserts
 *    of a run leaf (those counts ask for rebuilds and retrains, see alex.c): the run is
 *    handled here.
 * Runs before the first key (descending inserts) go the usual way: a leaf made for them
 * would have to rewrite every empty slot before its first key on each insert (the gap
 * invariant: they copy the first key), which is slower than the usual path.
 * The index stays what ALEX.md describes: leaves are gapped arrays placed by a model,
 * every key routes from the root to its leaf, and the leaf chain is in key order. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

#define APPEND_MIN_KEYS 64      /* a run leaf is made for at least this many keys */
#define APPEND_FANOUT_MIN 256   /* a model node may grow to this many slots for a run ... */
#define APPEND_KEYS_PER_SLOT 4  /* ... or to one slot per this many keys under it */
#define APPEND_WRAP_SLOTS 8     /* slots of a model node put over a subtree and a run */
#define APPEND_PLAN_STEPS 40    /* growth steps a plan may take */
#define APPEND_SEAL_MIN 16      /* inserts a leaf takes before a run may leave it early */
#define APPEND_REROUTE_SLOTS 4  /* slots per child a re-routed model node starts from */
#define APPEND_MAX_DEPTH 8      /* no wrap puts a leaf more model levels deep than this */

/* The last occupied slot of 'l' (not empty). */
static size_t append_last_slot(const struct alex_leaf *l)
{
    return (size_t)leaf_prev_set(l, (long)l->cap - 1);
}

/* The bit length of 'x' (0 for 0): search steps for a prediction off by 'x' slots. */
static unsigned append_bitlen(uint64_t x)
{
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

int alex_past_last(const struct alex_leaf *l, const struct leaf_pos *pos)
{
    return !l->next && (pos->slot == l->cap || !l->slot[pos->slot].ent);
}

int alex_append_pos(const struct alex_leaf *l, uint64_t c, const void *key, size_t klen,
                    struct leaf_pos *pos)
{
    size_t h = l->run_edge, cap = l->cap, p;
    int64_t raw;
    int cmp;

    /* 'h' must hold the last key: occupied, only empty gaps (no entry) after it. */
    if (!l->run || l->next || h >= cap || !leaf_is_set(l, h) ||
        (h + 1 < cap && l->slot[h + 1].ent) || c < l->slot[h].code)
        return 0;
    cmp = c > l->slot[h].code ? 1 : -alex_entcmp(l->slot[h].ent, key, klen);
    if (cmp < 0)
        return 0;               /* inside the leaf: search it */
    pos->found = cmp == 0;
    pos->slot = cmp == 0 ? h : h + 1;
    pos->tied = !pos->found && c == l->slot[h].code;
    raw = alex_route_raw(l->h.a, l->h.b, 0, c);
    p = raw < 0 ? 0 : ((uint64_t)raw >= cap ? cap - 1 : (size_t)raw);
    pos->pred = raw;
    pos->steps = append_bitlen(p > pos->slot ? p - pos->slot : pos->slot - p);
    return 1;
}

/* Can 'l' not take code 'c' (clamped: 'cl'; 'pos' from its search) where the run goes? */
static int append_leaf_done(const struct alex_leaf *l, uint64_t c, int cl,
                            const struct leaf_pos *pos)
{
    if ((double)(l->n + 1) > ALEX_DENSITY_MAX * (double)l->cap)
        return 1;               /* full */
    if (pos->slot == l->cap)
        return 1;               /* no slot left past the last key */
    /* The model points past the leaf, or the key clamps: not before the leaf took a
     * few keys of the run (a run that outran the transform of every new leaf at once
     * would open a leaf per key). */
    if (l->ins < APPEND_SEAL_MIN)
        return 0;
    return pos->pred >= (int64_t)l->cap || (cl && c == l->h.kc->max);
}

int alex_append_fast(struct idx *ix, struct alex_leaf *l, uint64_t c, int cl,
                     const struct leaf_pos *pos, const void *key, size_t klen,
                     struct idx_entry **out)
{
    size_t s = pos->slot, t;
    struct idx_entry *e;

    OMK_DEBUG_ASSERT(!pos->found && l->run && !l->next);
    if (append_leaf_done(l, c, cl, pos))
        return -1;              /* the general path, which may open the next leaf */
    e = idx_entry_new(key, klen);
    t = pos->pred <= (int64_t)s ? s
        : ((uint64_t)pos->pred >= l->cap ? l->cap - 1 : (size_t)pos->pred);
    for (size_t j = s; j <= t; j++) {
        l->slot[j].code = c;
        l->slot[j].ent = e;
    }
    l->bm[t >> 6] |= UINT64_C(1) << (t & 63);
    l->n++;
    l->ins++;
    l->edge_hi++;
    l->steps += pos->steps;
    l->run_edge = (uint32_t)t;
    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent)
        in->nkeys++;
    ix->n++;
    ix->entry_bytes += idx_entry_size(e);
    ix->ins_total++;
    ix->steps_total += pos->steps;
    *out = e;
    return IDX_OK;
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
    return kc_code(kc, idx_entry_key(l->slot[i].ent), idx_entry_klen(l->slot[i].ent), &cl);
}

/* ---- where the new leaf goes: a plan over one model node ---- */

enum { GROW_RIGHT = 1, GROW_DOUBLE = 2 };

/* Growth steps for a model node (simulated on its model, applied by plan_apply) and the
 * cut they lead to. */
struct append_plan {
    double a, b;
    int64_t off;
    size_t nch;
    size_t k;                    /* steps in ops[] */
    uint8_t ops[APPEND_PLAN_STEPS];
    size_t cut;                  /* the new leaf gets slots cut..nch-1 */
    size_t moved;                /* keys at the end of the old leaf that move to it */
};

static int64_t plan_raw(const struct append_plan *pl, uint64_t code)
{
    return alex_route_raw(pl->a, pl->b, pl->off, code);
}

/* Can the right-most leaf 'l' (under model node 'in') give way to a leaf for the new key
 * 'e' at a cut of the slots of 'in', after growth within 'limit' slots? Fills '*pl' on
 * yes. */
static int append_plan(const struct alex_inner *in, const struct alex_leaf *l,
                       const struct idx_entry *e, size_t limit, struct append_plan *pl)
{
    const struct alex_kc *kc = in->h.kc;
    size_t last = append_last_slot(l);
    uint64_t ce = append_slot_code(kc, l, last);
    uint64_t cf = append_slot_code(kc, l, leaf_next_set(l, 0));
    uint64_t cn;
    int cl;

    cn = kc_code(kc, idx_entry_key(e), idx_entry_klen(e), &cl);
    if (cn <= ce)
        return 0;               /* 'in' cannot tell the new key from the last key */
    pl->a = in->h.a;
    pl->b = in->h.b;
    pl->off = in->off;
    pl->nch = in->nch;
    pl->k = 0;
    for (;;) {
        int64_t re = plan_raw(pl, ce);
        int op;

        if (re < (int64_t)pl->nch - 1) {
            if (plan_raw(pl, cn) > re) {
                pl->cut = (size_t)re + 1;
                pl->moved = 0;
                return 1;
            }
            if (plan_raw(pl, cf) < re) {
                /* The new key shares the last key's slot: cut there, and move the keys of
                 * the old leaf that route to that slot (the first key does not). */
                size_t mv = 1;

                for (size_t i = (size_t)leaf_prev_set(l, (long)last - 1);
                     plan_raw(pl, append_slot_code(kc, l, i)) == re;
                     i = (size_t)leaf_prev_set(l, (long)i - 1))
                    mv++;
                pl->cut = (size_t)re;
                pl->moved = mv;
                return 1;
            }
            op = GROW_DOUBLE;
        } else {
            op = GROW_RIGHT;    /* no slot past the last key's */
        }
        if (2 * pl->nch > limit || pl->k >= APPEND_PLAN_STEPS)
            return 0;
        pl->ops[pl->k++] = (uint8_t)op;
        if (op == GROW_DOUBLE) {
            pl->a *= 2;
            pl->b *= 2;
            pl->off *= 2;
        }
        pl->nch *= 2;
    }
}

/* Apply the growth steps of plan 'pl' to 'in'. */
static void plan_apply(struct alex_inner *in, const struct append_plan *pl)
{
    for (size_t k = 0; k < pl->k; k++) {
        if (pl->ops[k] == GROW_DOUBLE)
            alex_inner_double(in);
        else
            alex_inner_grow_right(in);
    }
    OMK_ASSERT(in->nch == pl->nch && in->off == pl->off);
}

/* ---- the new leaf ---- */

/* The transform for a run leaf following leaf 'l' and starting near 'e': 'pkc' (the
 * transform of the model node it hangs under) or the one of 'l', when it codes 'e' and
 * the first key of 'l' without clamping and at least one code per key apart, else one
 * trained by kc_train_run on the keys of 'l' and 'e'. Returns a held reference; '*cn'
 * gets the code of 'e' and '*cf' the code of the first key of 'l' ('l->n' keys before
 * 'e'). */
static struct alex_kc *append_leaf_kc(const struct alex_leaf *l, struct alex_kc *pkc,
                                      const struct idx_entry *e, uint64_t *cn, uint64_t *cf)
{
    struct alex_kc *cand[2] = {pkc, l->h.kc};
    size_t first = leaf_next_set(l, 0), n = l->n;
    int cl;

    for (int i = 0; i < 2; i++) {
        struct alex_kc *kc = cand[i];

        if (!kc || (i == 1 && kc == pkc))
            continue;
        *cn = kc_code(kc, idx_entry_key(e), idx_entry_klen(e), &cl);
        if (cl)
            continue;
        if (kc != l->h.kc) {
            const struct idx_entry *f = l->slot[first].ent;

            *cf = kc_code(kc, idx_entry_key(f), idx_entry_klen(f), &cl);
            if (cl)
                continue;
        } else {
            *cf = l->slot[first].code;
        }
        if (*cn > *cf && *cn - *cf >= n)
            return kc_hold(kc);
    }

    struct idx_entry **ents = omk_malloc((n + 1) * sizeof(*ents));
    uint64_t *codes = omk_malloc((n + 1) * sizeof(uint64_t));
    struct alex_kc *kc;

    leaf_collect(l, NULL, ents);
    ents[n] = (struct idx_entry *)e;
    kc = kc_train_run(ents, n + 1, 1, codes);
    *cn = codes[n];
    *cf = codes[0];
    omk_free(codes);
    omk_free(ents);
    return kc;
}

/* Move the last 'moved' keys of 'l' and the new key 'e' into a new run leaf (to hang
 * under a model node whose transform is 'pkc'), and return it. */
static struct alex_leaf *append_leaf_new(const struct idx *ix, struct alex_leaf *l,
                                         struct alex_kc *pkc, struct idx_entry *e,
                                         size_t moved)
{
    size_t want = 2 * (size_t)l->n, cap, n = moved + 1, i = append_last_slot(l);
    uint64_t cn, cf;
    struct alex_kc *kc = append_leaf_kc(l, pkc, e, &cn, &cf);
    uint64_t *codes = omk_malloc(n * sizeof(uint64_t));
    struct idx_entry **ents = omk_malloc(n * sizeof(*ents));
    struct alex_leaf *nl;
    double pace, a, b;

    /* The run's pace: the code span of 'l' per key, up to 'e'. */
    pace = (double)(cn - cf) / (double)l->n;
    for (size_t k = moved; k-- > 0;) {
        codes[k] = append_slot_code(kc, l, i);
        ents[k] = l->slot[i].ent;
        i = (size_t)leaf_prev_set(l, (long)i - 1);
    }
    codes[moved] = cn;
    ents[moved] = e;
    if (moved)
        leaf_cut(l, i);

    if (want < n + APPEND_MIN_KEYS)
        want = n + APPEND_MIN_KEYS;
    cap = leaf_cap_for(want, ALEX_DENSITY_BUILD);
    if (cap > ix->max_slots)
        cap = ix->max_slots;
    OMK_ASSERT(n < cap);
    a = pace > 0 ? 1.0 / (ALEX_DENSITY_BUILD * pace) : 0;
    b = 0.5 - a * (double)codes[0];
    if (!isfinite(a) || !isfinite(b)) {
        a = 0;
        b = 0;
    }
    nl = leaf_new_run(kc, codes, ents, n, cap, a, b);
    omk_free(codes);
    omk_free(ents);
    return nl;
}

/* Leaf 'l' has given way to a run leaf: when its model spread the run thinner than it
 * came, pack it. */
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

/* Carry out plan 'pl' at model node 'in' (an ancestor of the right-most leaf 'l'): grow
 * 'in', move the planned keys and 'e' into a new run leaf, give it the slots past the
 * cut. */
static void append_hang(struct idx *ix, struct alex_inner *in, struct alex_leaf *l,
                        struct idx_entry *e, const struct append_plan *pl)
{
    struct alex_leaf *nl;

    plan_apply(in, pl);
    nl = append_leaf_new(ix, l, in->h.kc, e, pl->moved);
    nl->h.parent = in;
    OMK_ASSERT(pl->cut < in->nch);
    for (size_t j = pl->cut; j < in->nch; j++)
        in->ch[j] = &nl->h;
    nl->prev = l;
    nl->next = NULL;
    l->next = nl;
    /* The moved keys left the nodes between 'l' and 'in'; 'e' is new from 'in' up. */
    for (struct alex_inner *p = l->h.parent; p != in; p = p->h.parent)
        p->nkeys -= pl->moved;
    for (struct alex_inner *p = in; p; p = p->h.parent)
        p->nkeys++;
    append_seal(ix, l);
}

/* Sorted, unique entries spanning subtree 'x' (every key of a leaf; the first and last
 * keys of each leaf of a model node), then 'e'; returns memory freed with omk_free(),
 * '*n' the count. */
static struct idx_entry **append_sample(const struct alex_node *x, struct idx_entry *e,
                                        size_t *n)
{
    const struct alex_leaf *l = alex_leftmost_leaf(x), *last = alex_rightmost_leaf(x);
    size_t cnt = 0, cap;
    struct idx_entry **s;

    if (x->type == ALEX_LEAF) {
        s = omk_malloc((l->n + 1) * sizeof(*s));
        leaf_collect(l, NULL, s);
        s[l->n] = e;
        *n = l->n + 1;
        return s;
    }
    cap = 64;
    s = omk_malloc(cap * sizeof(*s));
    for (;; l = l->next) {
        size_t f = leaf_next_set(l, 0), t = append_last_slot(l);

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
    s[cnt++] = e;
    *n = cnt;
    return s;
}

/* Put a model node over subtree 'x' (the right-most leaf 'l' or an ancestor of it) and a
 * run leaf for 'e' in the place of 'x'. Its transform is trained by kc_train_run on keys
 * spanning 'x' and 'e' (for a leaf, on its last key and 'e' when those tie under that:
 * the other keys of 'x' then code 0 and still route to 'x'); its model maps 'x' onto the
 * first half of its slots. Returns 1 when done, 0 when the new node could not separate
 * them either (nothing changed). */
static int append_wrap(struct idx *ix, struct alex_node *x, struct alex_leaf *l,
                       struct idx_entry *e)
{
    size_t n;
    struct idx_entry **ents = append_sample(x, e, &n);
    uint64_t *codes = omk_malloc(n * sizeof(uint64_t));
    struct alex_inner *in = omk_calloc(1, sizeof(*in));
    struct append_plan pl;
    int ok;

    in->h.type = ALEX_INNER;
    in->h.kc = kc_train_run(ents, n, 0, codes);
    if (codes[n - 1] == codes[n - 2] && x->type == ALEX_LEAF) {
        /* A leaf's last key and 'e' differ past the digits: anchor at the two. (Not for
         * a model node: a node that narrow over a whole subtree would clamp the run's
         * next keys at once; its leaf is wrapped instead.) */
        kc_release(in->h.kc);
        in->h.kc = kc_train_run(ents + n - 2, 2, 0, NULL);
        kc_code_all(in->h.kc, ents, n, codes);
    }
    in->nch = APPEND_WRAP_SLOTS;
    in->h.a = (double)(APPEND_WRAP_SLOTS / 2) / ((double)(codes[n - 2] - codes[0]) + 1.0);
    in->h.b = -in->h.a * (double)codes[0];
    if (!isfinite(in->h.a) || !isfinite(in->h.b))
        in->h.a = in->h.b = 0;
    in->ch = omk_malloc(APPEND_WRAP_SLOTS * sizeof(in->ch[0]));
    for (size_t j = 0; j < APPEND_WRAP_SLOTS; j++)
        in->ch[j] = x;
    in->nkeys = in->built_n = x->type == ALEX_LEAF ? l->n : ((struct alex_inner *)x)->nkeys;
    omk_free(codes);
    omk_free(ents);
    ok = append_plan(in, l, e, append_fanout_limit(in), &pl);
    if (!ok) {
        kc_release(in->h.kc);
        omk_free(in->ch);
        omk_free(in);
        return 0;
    }
    alex_replace(ix, x, &in->h);
    x->parent = in;
    append_hang(ix, in, l, e, &pl);
    ix->splits_down++;
    return 1;
}

/* Re-route model node 'x' (an ancestor of the right-most leaf 'l'), keeping its
 * children, so that it routes 'e' past them, to a new run leaf: a transform trained by
 * kc_train_run on the first and last keys of each child and 'e', and a model fitted to
 * where the children start, with as many slots as the children need apart (doubling
 * from APPEND_REROUTE_SLOTS per child, within the fanout limit). Nothing below 'x'
 * changes; children that shared the old transform keep it. Returns 1 when done, 0 when
 * the new transform or model cannot tell two neighbours apart (nothing changed). */
static int append_reroute(struct idx *ix, struct alex_inner *x, struct alex_leaf *l,
                          struct idx_entry *e)
{
    size_t m = 0, cnt = 0, f, limit = append_fanout_limit(x), cut = 0;
    struct alex_node **kid = omk_malloc(x->nch * sizeof(*kid));
    struct idx_entry **ents = omk_malloc((2 * x->nch + 1) * sizeof(*ents));
    size_t *ifirst = omk_malloc(x->nch * sizeof(size_t));
    size_t *ilast = omk_malloc(x->nch * sizeof(size_t));
    uint64_t *codes = omk_malloc((2 * x->nch + 1) * sizeof(uint64_t)), *starts = NULL;
    struct alex_kc *kc;
    struct alex_node **ch = NULL;
    double a = 0, b = 0;
    int ok = 0;

    /* The children in order, and the first and last key of each (distinct, sorted). */
    for (size_t j = 0; j < x->nch; j++) {
        if (j > 0 && x->ch[j] == x->ch[j - 1])
            continue;
        const struct alex_leaf *fl = alex_leftmost_leaf(x->ch[j]);
        const struct alex_leaf *ll = alex_rightmost_leaf(x->ch[j]);
        struct idx_entry *fe = fl->slot[leaf_next_set(fl, 0)].ent;
        struct idx_entry *le = ll->slot[append_last_slot(ll)].ent;

        kid[m] = x->ch[j];
        ifirst[m] = cnt;
        ents[cnt++] = fe;
        if (le != fe)
            ents[cnt++] = le;
        ilast[m++] = cnt - 1;
    }
    ents[cnt++] = e;
    kc = kc_train_run(ents, cnt, 0, codes);
    /* The new transform must keep neighbours apart: each child's last key below the
     * next one's first key, the last child's below 'e'. 'starts' gets the first codes
     * of the children, then the code of 'e'. */
    starts = omk_malloc((m + 1) * sizeof(uint64_t));
    for (size_t i = 0; i < m; i++)
        starts[i] = codes[ifirst[i]];
    starts[m] = codes[cnt - 1];
    ok = 1;
    for (size_t i = 0; ok && i < m; i++)
        ok = codes[ilast[i]] < starts[i + 1];
    /* A model over those codes with room for the run: the fewest slots (from
     * APPEND_REROUTE_SLOTS per child) that route every child's keys to slots of its own. */
    for (f = 2; f < APPEND_REROUTE_SLOTS * (m + 1); f *= 2)
        ;
    for (; ok; f *= 2) {
        if (f > limit) {
            ok = 0;
            break;
        }
        alex_fit(starts, m + 1, (double)f / 2, &a, &b);
        int apart = 1;

        for (size_t i = 0; apart && i < m; i++)
            apart = alex_route(a, b, 0, codes[ilast[i]], f) <
                    alex_route(a, b, 0, starts[i + 1], f);
        if (apart)
            break;
    }
    if (ok) {
        cut = alex_route(a, b, 0, codes[ilast[m - 1]], f) + 1;
        ch = omk_malloc(f * sizeof(*ch));
        for (size_t i = 0, jj = 0; i < m; i++) {
            size_t end = i + 1 < m ? alex_route(a, b, 0, starts[i + 1], f) : cut;

            for (; jj < end; jj++)
                ch[jj] = kid[i];
        }
    }
    if (ok) {
        struct alex_leaf *nl;

        kc_release(x->h.kc);
        x->h.kc = kc;
        x->h.a = a;
        x->h.b = b;
        x->off = 0;
        x->nch = (uint32_t)f;
        omk_free(x->ch);
        x->ch = ch;
        x->clamped = 0;
        x->built_n = x->nkeys;
        nl = append_leaf_new(ix, l, kc, e, 0);
        nl->h.parent = x;
        for (size_t j = cut; j < x->nch; j++)
            x->ch[j] = &nl->h;
        nl->prev = l;
        nl->next = NULL;
        l->next = nl;
        for (struct alex_inner *p = x; p; p = p->h.parent)
            p->nkeys++;
        append_seal(ix, l);
    } else {
        kc_release(kc);
    }
    omk_free(starts);
    omk_free(codes);
    omk_free(ilast);
    omk_free(ifirst);
    omk_free(ents);
    omk_free(kid);
    return ok;
}

/* Model levels within subtree 'nd' (0 for a leaf). */
static unsigned append_height(const struct alex_node *nd)
{
    const struct alex_inner *in = (const struct alex_inner *)nd;
    unsigned h = 0;

    if (nd->type == ALEX_LEAF)
        return 0;
    for (size_t j = 0; j < in->nch; j++) {
        if (j == 0 || in->ch[j] != in->ch[j - 1]) {
            unsigned ch = append_height(in->ch[j]);

            if (ch > h)
                h = ch;
        }
    }
    return h + 1;
}

/* Model nodes above 'nd'. */
static unsigned append_depth(const struct alex_node *nd)
{
    unsigned d = 0;

    for (const struct alex_inner *in = nd->parent; in; in = in->h.parent)
        d++;
    return d;
}

/* Would wrapping subtree 'nd' put a leaf more than APPEND_MAX_DEPTH model levels deep? */
static int append_too_deep(const struct alex_node *nd)
{
    return append_depth(nd) + append_height(nd) + 1 > APPEND_MAX_DEPTH;
}

int alex_append(struct idx *ix, struct alex_leaf *l, uint64_t c, int clamped,
                const struct leaf_pos *pos, struct idx_entry *e)
{
    struct append_plan pl;
    struct alex_inner *narrow = NULL;

    if (l->n == 0 || !alex_past_last(l, pos))
        return 0;
    if (!l->run && leaf_append_dir(l) <= 0)
        return 0;
    if (!append_leaf_done(l, c, clamped, pos))
        return 0;
    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent) {
        if (append_plan(in, l, e, append_fanout_limit(in), &pl)) {
            append_hang(ix, in, l, e, &pl);
            ix->run_leaves++;
            return 1;
        }
    }
    /* No model node can as it is. Re-route the highest one too narrow for the new key
     * (it clamps there), else the leaf's parent (its slots may be spent); failing that,
     * wrap that node, else the leaf, in a node whose transform spans the new key. */
    for (struct alex_inner *in = l->h.parent; in; in = in->h.parent) {
        int cl;

        (void)kc_code(in->h.kc, idx_entry_key(e), idx_entry_klen(e), &cl);
        if (cl)
            narrow = in;
    }
    if (narrow ? append_reroute(ix, narrow, l, e)
               : l->h.parent && append_reroute(ix, l->h.parent, l, e)) {
        ix->reroutes++;
        ix->run_leaves++;
        return 1;
    }
    /* A wrap makes every leaf under the wrapped node one level deeper: not past
     * APPEND_MAX_DEPTH (the run then goes the usual way). */
    if (!(narrow && !append_too_deep(&narrow->h) && append_wrap(ix, &narrow->h, l, e)) &&
        !(!append_too_deep(&l->h) && append_wrap(ix, &l->h, l, e)))
        return 0;
    ix->run_leaves++;
    return 1;
}
