/* alex_build.c - building ALEX subtrees from sorted entries: bulk load, and the rebuilds
 * behind splits and transform retrains. Each node takes its parent's key transform or
 * trains its own on its keys (see "Transform sharing" below), then either becomes a leaf
 * or a model node whose fanout comes from the fanout tree (ALEX.md 1.6).
 *
 * HOW IT WORKS: for a node with keys k[0..n-1] and codes c[i] under its transform, the
 * leaf option costs alex_leaf_cost_est() (expected search steps and shifts). For fanouts
 * F = 2, 4, 8, ... a model mapping codes to [0, F) is fitted (once: the line at fanout 1,
 * scaled by F); the keys are partitioned by EVALUATING route() on each code (never by
 * inverting the model), each part is priced as a leaf, and the level's cost is the
 * key-weighted mean plus one model level and the traversal term of ALEX.md 1.5 (on a
 * sample for big nodes: see SAMPLED PRICING). The search stops once the cost rose twice
 * in a row.
 * The cheaper of leaf and best fanout wins (a model node is forced when the keys do not
 * fit in one leaf). Adjacent parts are then grouped: empty parts join their left
 * neighbour (the first ones join the first non-empty part) and small neighbours join
 * while the group stays small, so each child owns a contiguous run of slots. At least two
 * groups always remain: the transform's anchor is the common prefix of the first and last
 * key, so their codes differ, and a fallback line through the extreme codes separates
 * them; every child therefore has fewer keys than its parent and the recursion ends.
 *
 * Transform sharing: a node first tries its parent's transform. When that one already
 * tells the node's keys apart (almost no tied codes, almost no clamped keys), the node
 * holds a reference to it instead of training its own: a lookup then computes one code
 * for all the levels that share it (for key:%012d, hex ids or UUIDs, usually one code for
 * the whole descent), and the transform's ~700 bytes are paid once. Keys with long shared
 * prefixes (URLs) tie under the parent's transform, so their nodes train their own,
 * anchored deeper.
 *
 * SAMPLED PRICING. Pricing every part of every fanout tried lays out each key of the node
 * once per fanout tried, at every level: the largest item of a 10M-key restart's profile.
 * A node of more than BUILD_PRICE_ALL keys prices a fanout on a sample of its parts
 * instead: it takes BUILD_PRICE_SAMPLES evenly spread keys and prices the part holding
 * each, exactly as before (all its keys laid out under its own fitted model), once per
 * part. The part's bounds come from two binary searches on route() (monotone in the
 * code, so in the index): no partition pass. A part met k times stands for k/SAMPLES of
 * the keys, which is its weight m/n in the exact mean up to rounding: parts are picked
 * with probability proportional to their size, so the estimate is the exact level cost
 * with noise only (a part smaller than n/SAMPLES may go unmet and its neighbours stand
 * in for it), not biased toward big or small parts. Work per fanout: the keys of at most
 * SAMPLES parts, so a fanout of F >= SAMPLES parts of n/F keys costs about SAMPLES/F of
 * an exact pricing; the first fanouts, whose parts are few and big, cost what they did.
 * (Pricing a big part on windows of a few hundred of its keys was tried and rejected: it
 * misses the long runs of crowded keys that dominate the cost of URL-like sets and priced
 * them up to 5 times too cheap; every s-th key laid out s times smaller would miss them
 * the same way.)
 * Why this is safe: the estimate only steers the choice of the fanout (and where the
 * search stops). Whatever the estimate, the node is then partitioned exactly by route()
 * under the model it keeps, each child is built from its own keys (a big one priced again
 * as a leaf, and given its own fanout search when it would be a poor one), and every leaf
 * is laid out from all its keys. A noisy estimate can cost a worse fanout (a level more
 * or less for some keys, other leaf sizes), never a wrong index.
 * Inside an insert (a split down, a retrain, a rebuild) the work is done under the
 * shard's write lock, so there the threshold is BUILD_PRICE_ALL_INSERT: the split down
 * of a root leaf of 9.4K key:%012d keys tried every fanout from 2 to 16384, each priced
 * on every key, for 2.1-2.6 of its ~3.5 ms; sampled, 0.7-0.9 ms (issue 25). */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

#define BUILD_SMALL_LEAF 1024    /* at most this many keys: always a leaf when it fits */
#define BUILD_GROUP_KEYS 1024    /* neighbouring parts merge while the group stays <= */
#define BUILD_SHARE_BAD 256      /* share the parent's transform when at most one key in
                                  * this many ties or clamps under it */
#define BUILD_PRICE_ALL 16384    /* a node of at most this many keys prices each fanout on
                                  * every key; a bigger one on the parts holding */
#define BUILD_PRICE_SAMPLES 64   /* this many evenly spread keys (SAMPLED PRICING) */
#define BUILD_PRICE_ALL_INSERT BUILD_SMALL_LEAF /* BUILD_PRICE_ALL for the builds an
                                  * insert makes (not idx_bulk_load's) */

void alex_fit(const uint64_t *codes, size_t n, double scale, double *a, double *b)
{
    double mx = 0, my, sxx = 0, sxy = 0, step;

    *a = 0;
    *b = 0;
    if (n == 0)
        return;
    step = scale / (double)n;
    for (size_t i = 0; i < n; i++)
        mx += (double)codes[i];
    mx /= (double)n;
    my = step * (double)(n - 1) / 2.0;
    for (size_t i = 0; i < n; i++) {
        double dx = (double)codes[i] - mx;

        sxx += dx * dx;
        sxy += dx * (step * (double)i - my);
    }
    if (sxx > 0)
        *a = sxy / sxx;
    if (!(*a >= 0) || !isfinite(*a))
        *a = 0;
    *b = my - *a * mx;
    if (!isfinite(*b)) {
        *a = 0;
        *b = my;
    }
}

/* The fallback model mapping [lo, hi] onto [0, f): lo routes to 0, hi to f - 1 or above
 * (hi > lo, f >= 2). */
static void build_minmax(uint64_t lo, uint64_t hi, size_t f, double *a, double *b)
{
    *a = (double)f / ((double)(hi - lo) + 1.0);
    *b = -*a * (double)lo;
}

/* Partition 'codes' by route() under (a, b) into 'f' parts: first[j] is the first index
 * routed to a part >= j (first[f] = n). Returns the number of non-empty parts. */
ALEX_ROUTE_LOOP
static size_t build_partition(const uint64_t *codes, size_t n, double a, double b, size_t f,
                              size_t *first)
{
    size_t j = 0, parts = 0;

    for (size_t i = 0; i < n; i++) {
        size_t r = alex_route(a, b, 0, codes[i], f);

        if (i == 0 || r >= j)
            parts++;
        while (j <= r)
            first[j++] = i;
    }
    while (j <= f)
        first[j++] = n;
    return parts;
}

/* The model of fanout 'f' over the sorted 'codes'[0..n-1] (codes[0] < codes[n-1]), given
 * their least-squares line (a1, b1) at fanout 1: that line scaled by f (the fit is linear
 * in its scale, so this is alex_fit at scale f up to rounding, without a pass over the
 * codes), or the min/max line when the scaled one routes the first and the last code to
 * the same part. Either way at least two parts are non-empty. */
static void build_model(const uint64_t *codes, size_t n, double a1, double b1, size_t f,
                        double *a, double *b)
{
    *a = a1 * (double)f;
    *b = b1 * (double)f;
    if (alex_route(*a, *b, 0, codes[0], f) == alex_route(*a, *b, 0, codes[n - 1], f))
        build_minmax(codes[0], codes[n - 1], f, a, b);
}

/* The first index in [lo, hi) whose code routes to a part >= 'r' under (a, b) over 'f'
 * parts, or hi: a binary search, route() being monotone in the code. */
static size_t build_first_routed(const uint64_t *codes, size_t lo, size_t hi, double a,
                                 double b, size_t f, size_t r)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (alex_route(a, b, 0, codes[mid], f) < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The traversal term of a model node of fanout 'f' over 'n' of the index's keys (ALEX.md
 * 1.5): one level, and its bytes against the keys under it. */
static double build_node_cost(const struct idx *ix, size_t n, size_t f)
{
    double total = (double)(ix->n > n ? ix->n : n);

    return ALEX_COST_LEVEL +
           ALEX_COST_BYTE * (double)(sizeof(struct alex_inner) + f * sizeof(void *)) * total /
               (double)n;
}

/* Expected cost of a model node of fanout 'f' over 'codes' (ALEX.md 1.5), every part
 * priced on all its keys: 'first' is the partition (build_partition). */
static double build_level_cost(const struct idx *ix, const uint64_t *codes, size_t n,
                               size_t f, const size_t *first, double density)
{
    double cost = 0;

    for (size_t j = 0; j < f; j++) {
        size_t m = first[j + 1] - first[j], cap;
        double c;

        if (m == 0)
            continue;
        cap = leaf_cap_for(m, density);
        c = alex_leaf_cost_est(codes + first[j], m, cap);
        if (cap > ix->max_slots)
            c += ALEX_COST_LEVEL;  /* that part becomes a model node in turn */
        cost += c * (double)m / (double)n;
    }
    return cost + build_node_cost(ix, n, f);
}

/* build_level_cost() estimated on a sample (see SAMPLED PRICING at the top of this file),
 * for the model (a, b) of fanout 'f'; no partition pass. */
static double build_level_cost_sampled(const struct idx *ix, const uint64_t *codes, size_t n,
                                       size_t f, double a, double b, double density)
{
    double sum = 0, part = 0;
    size_t hi = 0;

    for (size_t k = 0; k < BUILD_PRICE_SAMPLES; k++) {
        size_t p = (2 * k + 1) * n / (2 * BUILD_PRICE_SAMPLES);

        if (p >= hi) {
            /* A new part: its bounds by binary search, then its price on all its keys. */
            size_t r = alex_route(a, b, 0, codes[p], f);
            size_t lo = build_first_routed(codes, hi, p, a, b, f, r), m, cap;

            hi = build_first_routed(codes, p + 1, n, a, b, f, r + 1);
            m = hi - lo;
            cap = leaf_cap_for(m, density);
            part = alex_leaf_cost_est(codes + lo, m, cap);
            if (cap > ix->max_slots)
                part += ALEX_COST_LEVEL;
        }
        sum += part;
    }
    return sum / BUILD_PRICE_SAMPLES + build_node_cost(ix, n, f);
}

/* Group the parts of a fanout-'f' partition into children: writes group starts (slot
 * indexes) into 'gs' and key starts into 'gk', returns the number of groups (>= 2 when
 * at least two parts are non-empty). 'merge_small' also joins small neighbours. */
static size_t build_groups(const size_t *first, size_t f, size_t n, int merge_small,
                           size_t *gs, size_t *gk)
{
    size_t g = 0, most = n / 2 < BUILD_GROUP_KEYS ? n / 2 : BUILD_GROUP_KEYS;

    for (size_t j = 0; j < f; j++) {
        size_t m = first[j + 1] - first[j];

        if (g > 0) {
            size_t gm = first[j] - gk[g - 1];

            if (m == 0 || gm == 0 || (merge_small && gm + m <= most))
                continue;
        }
        gs[g] = j;
        gk[g] = first[j];
        g++;
    }
    gs[g] = f;
    gk[g] = n;
    return g;
}

/* A leaf holding 'e'[0..n-1] under transform 'kc' (taken) with codes 'codes', linked at
 * the end of the chain. */
static struct alex_node *build_leaf(struct alex_kc *kc, const uint64_t *codes,
                                    struct idx_entry *const *e, size_t n, double density,
                                    struct alex_leaf **head, struct alex_leaf **tail)
{
    struct alex_leaf *l = leaf_new(kc, codes, e, n, leaf_cap_for(n, density));

    l->prev = *tail;
    l->next = NULL;
    if (*tail)
        (*tail)->next = l;
    else
        *head = l;
    *tail = l;
    return &l->h;
}

/* Adjacent equal codes among 'codes'[0..n-1]. */
static size_t build_ties(const uint64_t *codes, size_t n)
{
    size_t ties = 0;

    for (size_t i = 1; i < n; i++)
        ties += codes[i] == codes[i - 1];
    return ties;
}

/* A transform trained on 'e'[0..n-1] ('wide' as for kc_train), their codes into 'codes'. */
static struct alex_kc *build_train(const struct idx *ix, struct idx_entry *const *e, size_t n,
                                   int wide, uint64_t *codes)
{
    return kc_train(e, n, !ix->single_alphabet, wide, codes);
}

/* The transform for a node holding 'e'[0..n-1], with their codes written to 'codes':
 * a new reference to the parent's transform 'pkc' when it separates the keys well
 * enough (see the top of this file), else a newly trained one, wide when 'wide' (the
 * node will be a leaf). 'pcodes' (or NULL): the keys' codes under 'pkc', known to the
 * caller; then only ties are counted and no entry is read unless a transform must be
 * trained. */
static struct alex_kc *build_transform(const struct idx *ix, struct alex_kc *pkc,
                                       const uint64_t *pcodes, struct idx_entry *const *e,
                                       size_t n, int wide, uint64_t *codes)
{
    int cl;

    if (pkc && pcodes && n >= 2) {
        if (build_ties(pcodes, n) * BUILD_SHARE_BAD <= n) {
            memcpy(codes, pcodes, n * sizeof(uint64_t));
            return kc_hold(pkc);
        }
    } else if (pkc && n >= 2) {
        size_t bad = 0;

        for (size_t i = 0; i < n && bad * BUILD_SHARE_BAD <= n; i++) {
            kc_prefetch_ahead(e, i, n, 1);
            codes[i] = kc_code(pkc, idx_entry_key(e[i]), idx_entry_klen(e[i]), &cl);
            bad += (size_t)cl + (i > 0 && codes[i] == codes[i - 1]);
        }
        if (bad * BUILD_SHARE_BAD <= n)
            return kc_hold(pkc);
    }
    return build_train(ix, e, n, wide, codes);
}

/* A node of 'n' keys that the cost model made a leaf although it was not sure to be one
 * (so its transform '*kc' routes, codes below 2^53): when that transform is its own and
 * ties, retrain it wide (see keycode.c, WIDE CODES), codes into 'codes'. */
static void build_widen(const struct idx *ix, struct alex_kc **kc, const struct alex_kc *pkc,
                        struct idx_entry *const *e, size_t n, uint64_t *codes)
{
    if (*kc == pkc || build_ties(codes, n) * BUILD_SHARE_BAD <= n)
        return;
    kc_release(*kc);
    *kc = build_train(ix, e, n, 1, codes);
}

struct alex_node *alex_build(struct idx *ix, struct idx_entry *const *e, size_t n, int mode,
                             double density, struct alex_kc *pkc, const uint64_t *pcodes,
                             struct alex_leaf **head, struct alex_leaf **tail)
{
    uint64_t *codes = omk_malloc((n ? n : 1) * sizeof(uint64_t));
    size_t leaf_cap = leaf_cap_for(n, density), maxf = ALEX_MAX_FANOUT;
    int leaf_ok = mode != BUILD_INNER && leaf_cap <= ix->max_slots;
    /* A node sure to be a leaf gets a wide transform straight away; one the cost model
     * may make a model node needs codes below 2^53 to partition them (build_widen). */
    int sure_leaf = mode == BUILD_LEAF || (leaf_ok && n <= BUILD_SMALL_LEAF);
    struct alex_kc *kc = build_transform(ix, pkc, pcodes, e, n, sure_leaf, codes);
    double leaf_cost = 0;

    OMK_ASSERT(mode != BUILD_INNER || n >= 2);
    if (mode == BUILD_LEAF && !leaf_ok) {
        /* Denser than asked, but one leaf under the cap. */
        OMK_ASSERT(n < ix->max_slots);
        density = (double)n / (double)ix->max_slots;
        leaf_ok = 1;
    }
    if (leaf_ok && n > BUILD_SMALL_LEAF && mode == BUILD_AUTO)
        leaf_cost = alex_leaf_cost_est(codes, n, leaf_cap);
    if (leaf_ok && (n <= BUILD_SMALL_LEAF || leaf_cost < 1.0 || mode == BUILD_LEAF)) {
        struct alex_node *nd;

        if (!sure_leaf)
            build_widen(ix, &kc, pkc, e, n, codes);
        nd = build_leaf(kc, codes, e, n, density, head, tail);

        omk_free(codes);
        return nd;
    }

    /* The fanout tree, level by level. */
    size_t *first;
    size_t best_f = 0, rises = 0;
    double best_cost = INFINITY, prev_cost = INFINITY, a, b, a1, b1;

    size_t minf = 2;

    while (maxf > 2 && maxf / 2 >= 4 * n)
        maxf /= 2;
    first = omk_malloc((maxf + 1) * sizeof(size_t)); /* sized for the fanouts tried, not
                                                        * ALEX_MAX_FANOUT: small nodes are
                                                        * most of a build */
    /* Fanouts whose average part cannot fit in a leaf only add levels (the per-part
     * estimate prices such a part as one leaf plus one level, which flattered them):
     * start where an average part fits. */
    while (minf < maxf && (double)n / (double)minf > ALEX_DENSITY_BUILD * (double)ix->max_slots)
        minf *= 2;
    OMK_ASSERT(codes[0] < codes[n - 1]); /* the transform's anchor: see the top of this file */
    alex_fit(codes, n, 1.0, &a1, &b1);
    for (size_t f = minf; f <= maxf; f *= 2) {
        double cost;

        build_model(codes, n, a1, b1, f, &a, &b);
        if (n <= (ix->price_all       ? ix->price_all
                  : ix->bulk_loading ? BUILD_PRICE_ALL
                                     : BUILD_PRICE_ALL_INSERT)) {
            build_partition(codes, n, a, b, f, first);
            cost = build_level_cost(ix, codes, n, f, first, density);
        } else {
            cost = build_level_cost_sampled(ix, codes, n, f, a, b, density);
        }
        if (cost < best_cost) {
            best_cost = cost;
            best_f = f;
        }
        rises = cost > prev_cost ? rises + 1 : 0;
        prev_cost = cost;
        if (rises >= 2)
            break;
    }
    OMK_ASSERT(best_f >= 2);
    if (leaf_ok && leaf_cost <= best_cost) {
        struct alex_node *nd;

        omk_free(first);
        build_widen(ix, &kc, pkc, e, n, codes);
        nd = build_leaf(kc, codes, e, n, density, head, tail);
        omk_free(codes);
        return nd;
    }

    /* A model node of fanout best_f. */
    struct alex_inner *in = omk_calloc(1, sizeof(*in));
    size_t *gs = omk_malloc((best_f + 1) * sizeof(size_t));
    size_t *gk = omk_malloc((best_f + 1) * sizeof(size_t));
    size_t g;

    build_model(codes, n, a1, b1, best_f, &a, &b);
    build_partition(codes, n, a, b, best_f, first);
    g = build_groups(first, best_f, n, 1, gs, gk);
    if (g < 2)
        g = build_groups(first, best_f, n, 0, gs, gk);
    OMK_ASSERT(g >= 2);
    in->h.type = ALEX_INNER;
    in->h.kc = kc;
    in->h.a = a;
    in->h.b = b;
    in->nch = (uint32_t)best_f;
    in->ch = omk_malloc(best_f * sizeof(in->ch[0]));
    in->nkeys = n;
    in->built_n = n;
    for (size_t k = 0; k < g; k++) {
        struct alex_node *c = alex_build(ix, e + gk[k], gk[k + 1] - gk[k], BUILD_AUTO,
                                         density, kc, codes + gk[k], head, tail);

        c->parent = in;
        for (size_t j = gs[k]; j < gs[k + 1]; j++)
            in->ch[j] = c;
    }
    omk_free(gs);
    omk_free(gk);
    omk_free(first);
    omk_free(codes);
    return &in->h;
}

void alex_free_subtree(struct alex_node *nd)
{
    if (nd->type == ALEX_LEAF) {
        leaf_free((struct alex_leaf *)nd);
        return;
    }
    struct alex_inner *in = (struct alex_inner *)nd;

    for (size_t j = 0; j < in->nch; j++)
        if (j == 0 || in->ch[j] != in->ch[j - 1])
            alex_free_subtree(in->ch[j]);
    kc_release(in->h.kc);
    omk_free(in->ch);
    omk_free(in);
}
