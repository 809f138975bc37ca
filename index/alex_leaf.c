/* alex_leaf.c - ALEX data nodes: gapped arrays of (code, entry) placed by a linear model.
 * A leaf only knows codes under its own transform; the tree (alex.c) computes them and
 * decides expansions and splits. Invariants (checked by idx_validate):
 *  - an occupied slot (bit set in bm) holds a key's code and entry, in (code, key) order;
 *  - an empty slot holds a copy of the code AND entry of the next occupied slot, or
 *    (UINT64_MAX, NULL) past the last key: the codes never decrease and the entries of
 *    a run of equal codes are in key order, so searches need no bitmap test;
 *  - popcount(bm) == n.
 * Lookups never write the leaf; the cost counters are updated by inserts only. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

/* Bits 0..63 of 64 - clz(x): the bit length of 'x' (0 for 0). */
static unsigned leaf_bitlen(uint64_t x)
{
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

/* log2(x) for x >= 1 within 0.09: the exponent plus the mantissa read linearly. The
 * cost model only compares sums of these, and libm's log2 per key made relayouts slow. */
static double leaf_log2(double x)
{
    uint64_t b;

    memcpy(&b, &x, sizeof(b));
    return (double)((int)(b >> 52) - 1023) +
           (double)(b & ((UINT64_C(1) << 52) - 1)) / (double)(UINT64_C(1) << 52);
}

size_t leaf_cap_for(size_t n, double density)
{
    size_t c = (size_t)ceil((double)n / density);

    if (c < n + 1)
        c = n + 1;
    c = (c + 63) & ~(size_t)63;
    return c < ALEX_LEAF_MIN_CAP ? ALEX_LEAF_MIN_CAP : c;
}

/* Point the slots and the bitmap of 'l' at fresh arrays for 'cap' slots: one block, or
 * for LEAF_MEM_BIG_SLOTS slots an array of the huge-page pool (leaf_mem.c) and a
 * bitmap of its own. */
static void leaf_alloc_arrays(struct alex_leaf *l, size_t cap)
{
    size_t words = cap / 64;

    l->cap = (uint32_t)cap;
    if (cap == LEAF_MEM_BIG_SLOTS) {
        l->slot = leaf_mem_big_alloc();
        l->bm = omk_malloc(words * sizeof(uint64_t));
    } else {
        char *p = omk_malloc(cap * sizeof(struct alex_slot) + words * sizeof(uint64_t));

        l->slot = (struct alex_slot *)p;
        l->bm = (uint64_t *)(p + cap * sizeof(struct alex_slot));
    }
    memset(l->bm, 0, words * sizeof(uint64_t));
}

/* Free arrays 'slot' and 'bm' that leaf_alloc_arrays() made for 'cap' slots. */
static void leaf_free_arrays(struct alex_slot *slot, uint64_t *bm, size_t cap)
{
    if (cap == LEAF_MEM_BIG_SLOTS) {
        leaf_mem_big_free(slot);
        omk_free(bm);
    } else {
        omk_free(slot);
    }
}

/* Where 'n' sorted codes land in 'cap' slots under the model (a, b): each at its
 * predicted slot, pushed right past the previous key, and pulled left when the keys still
 * to place would not fit. With 'l' non-NULL the keys ('ents') are written into it and the
 * gaps filled; always returns the expected cost (ALEX.md 1.5): 20 * mean
 * log2(|error| + 1) + 0.5 * (sum over dense runs of length L of L^2/4) / n. */
ALEX_ROUTE_LOOP
static double leaf_layout(const uint64_t *codes, size_t n, size_t cap, double a, double b,
                          struct alex_leaf *l, struct idx_entry *const *ents)
{
    double err = 0, shift = 0;
    size_t run = 0;
    long last = -1;

    for (size_t i = 0; i < n; i++) {
        size_t p = alex_route(a, b, 0, codes[i], cap), pos = p;

        if ((long)pos <= last)
            pos = (size_t)(last + 1);
        if (pos > cap - (n - i))
            pos = cap - (n - i);
        err += leaf_log2((double)(pos > p ? pos - p : p - pos) + 1.0);
        if ((long)pos == last + 1 && last >= 0) {
            run++;
        } else {
            shift += (double)run * (double)run / 4.0;
            run = 1;
        }
        if (l) {
            l->slot[pos].code = codes[i];
            l->slot[pos].ent = ents[i];
            l->bm[pos >> 6] |= UINT64_C(1) << (pos & 63);
        }
        last = (long)pos;
    }
    shift += (double)run * (double)run / 4.0;
    if (l) {
        uint64_t nc = UINT64_MAX;
        struct idx_entry *ne = NULL;
        size_t end = last >= 0 ? (size_t)last + 1 : 0;

        /* Past the last key by copying ever larger runs of the sentinel (a run leaf is
         * mostly that: memcpy moves it at memory speed), then the gaps before each key. */
        if (end < cap) {
            size_t done = 1;

            l->slot[end].code = UINT64_MAX;
            l->slot[end].ent = NULL;
            while (end + done < cap) {
                size_t k = done < cap - end - done ? done : cap - end - done;

                memcpy(&l->slot[end + done], &l->slot[end], k * sizeof(l->slot[0]));
                done += k;
            }
        }
        for (size_t j = end; j-- > 0;) {
            if (leaf_is_set(l, j)) {
                nc = l->slot[j].code;
                ne = l->slot[j].ent;
            } else {
                l->slot[j].code = nc;
                l->slot[j].ent = ne;
            }
        }
    }
    if (n == 0)
        return 0;
    return ALEX_COST_SEARCH * err / (double)n + ALEX_COST_SHIFT * shift / (double)n;
}

/* leaf_layout()'s cost of placing 'codes'[0..n-1] (n >= 1) in 'cap' slots under the model
 * (a, b), bit for bit, without the layout and without a branch on the data: whether a key
 * is pushed past its predicted slot is a coin toss on random keys, and the mispredicted
 * branches were most of leaf_layout's time when the builder priced fanouts with it. A run
 * of L keys in consecutive slots costs L^2/4: its k-th key adds 2k - 1 to an integer sum,
 * which is that, times 4, exactly. */
ALEX_ROUTE_LOOP
static double leaf_layout_cost(const uint64_t *codes, size_t n, size_t cap, double a,
                               double b)
{
    double err = 0;
    uint64_t sq = 0, run = 0;
    size_t next = 0;            /* the first slot the key may take: the last key's + 1 */

    for (size_t i = 0; i < n; i++) {
        size_t p = alex_route(a, b, 0, codes[i], cap), pos = p > next ? p : next;
        size_t room = cap - (n - i);
        int64_t d;

        pos = pos < room ? pos : room;
        d = (int64_t)pos - (int64_t)p;          /* < 0 only when pulled left */
        err += leaf_log2((double)(d < 0 ? -d : d) + 1.0);
        run = (uint64_t)(pos == next) * run + 1; /* the run goes on, or a new one starts */
        sq += 2 * run - 1;
        next = pos + 1;
    }
    return ALEX_COST_SEARCH * err / (double)n + ALEX_COST_SHIFT * ((double)sq / 4.0) / (double)n;
}

double alex_leaf_cost_est(const uint64_t *codes, size_t n, size_t cap)
{
    double a, b;

    if (n == 0)
        return 0;
    alex_fit(codes, n, (double)cap, &a, &b);
    return leaf_layout_cost(codes, n, cap, a, b);
}

/* Lay the sorted keys out in 'l' (arrays already sized) with a freshly fitted model,
 * and reset the cost counters. 'dir' as for leaf_resize(). */
static void leaf_fill(struct alex_leaf *l, const uint64_t *codes, struct idx_entry *const *ents,
                      size_t n, int dir)
{
    size_t span = l->cap;

    if (dir) {
        span = (size_t)ceil((double)n / ALEX_DENSITY_MAX);
        if (span < n + 1)
            span = n + 1;
        if (span > l->cap)
            span = l->cap;
    }
    alex_fit(codes, n, (double)span, &l->h.a, &l->h.b);
    if (dir < 0)
        l->h.b += (double)(l->cap - span);
    l->n = (uint32_t)n;
    l->exp_cost = leaf_layout(codes, n, l->cap, l->h.a, l->h.b, l, ents);
    l->ins = 0;
    l->edge_hi = 0;
    l->edge_lo = 0;
    l->shifts = 0;
    l->steps = 0;
}

struct alex_leaf *leaf_new(struct alex_kc *kc, const uint64_t *codes,
                           struct idx_entry *const *ents, size_t n, size_t cap)
{
    struct alex_leaf *l = omk_calloc(1, sizeof(*l));

    OMK_ASSERT(n < cap && cap % 64 == 0);
    l->h.type = ALEX_LEAF;
    l->h.kc = kc;
    leaf_alloc_arrays(l, cap);
    leaf_fill(l, codes, ents, n, 0);
    l->odd_limit = (uint32_t)(n / 8 > 64 ? n / 8 : 64);
    return l;
}

struct alex_leaf *leaf_new_run(struct alex_kc *kc, const uint64_t *codes,
                               struct idx_entry *const *ents, size_t n, size_t cap, double a,
                               double b)
{
    struct alex_leaf *l = omk_calloc(1, sizeof(*l));

    OMK_ASSERT(n >= 1 && n < cap && cap % 64 == 0 && a >= 0);
    l->h.type = ALEX_LEAF;
    l->h.kc = kc;
    l->h.a = a;
    l->h.b = b;
    leaf_alloc_arrays(l, cap);
    l->n = (uint32_t)n;
    l->exp_cost = leaf_layout(codes, n, cap, a, b, l, ents);
    l->run = 1;
    l->run_edge = (uint32_t)leaf_prev_set(l, (long)cap - 1);
    l->odd_limit = 64;
    return l;
}

void leaf_cut(struct alex_leaf *l, size_t keep)
{
    OMK_ASSERT(leaf_is_set(l, keep));
    for (size_t j = keep + 1; j < l->cap; j++) {
        if (leaf_is_set(l, j)) {
            l->bm[j >> 6] &= ~(UINT64_C(1) << (j & 63));
            l->n--;
        }
        l->slot[j].code = UINT64_MAX;
        l->slot[j].ent = NULL;
    }
}

void leaf_free(struct alex_leaf *l)
{
    if (!l)
        return;
    kc_release(l->h.kc);
    leaf_free_arrays(l->slot, l->bm, l->cap);
    omk_free(l);
}

size_t leaf_bytes(const struct alex_leaf *l)
{
    return sizeof(*l) + kc_bytes(l->h.kc) +
           (size_t)l->cap * sizeof(struct alex_slot) + l->cap / 8;
}

size_t leaf_next_set(const struct alex_leaf *l, size_t i)
{
    size_t w = i >> 6;
    uint64_t x;

    if (i >= l->cap)
        return l->cap;
    x = l->bm[w] & (~UINT64_C(0) << (i & 63));
    while (!x) {
        if (++w >= l->cap / 64)
            return l->cap;
        x = l->bm[w];
    }
    return (w << 6) + (size_t)__builtin_ctzll(x);
}

long leaf_prev_set(const struct alex_leaf *l, long i)
{
    long w;
    uint64_t x;

    if (i < 0)
        return -1;
    w = i >> 6;
    x = l->bm[w] & (~UINT64_C(0) >> (63 - (i & 63)));
    while (!x) {
        if (--w < 0)
            return -1;
        x = l->bm[w];
    }
    return (w << 6) + 63 - __builtin_clzll(x);
}

/* First empty slot >= 'i', or cap. */
static size_t leaf_next_gap(const struct alex_leaf *l, size_t i)
{
    size_t w = i >> 6;
    uint64_t x;

    if (i >= l->cap)
        return l->cap;
    x = ~l->bm[w] & (~UINT64_C(0) << (i & 63));
    while (!x) {
        if (++w >= l->cap / 64)
            return l->cap;
        x = ~l->bm[w];
    }
    return (w << 6) + (size_t)__builtin_ctzll(x);
}

/* Last empty slot <= 'i', or -1. */
static long leaf_prev_gap(const struct alex_leaf *l, long i)
{
    long w;
    uint64_t x;

    if (i < 0)
        return -1;
    w = i >> 6;
    x = ~l->bm[w] & (~UINT64_C(0) >> (63 - (i & 63)));
    while (!x) {
        if (--w < 0)
            return -1;
        x = ~l->bm[w];
    }
    return (w << 6) + 63 - __builtin_clzll(x);
}

/* First slot in [0, cap] whose code is >= 'c', by exponential search from slot 'p'. */
static size_t leaf_lower_code(const struct alex_leaf *l, uint64_t c, size_t p)
{
    const struct alex_slot *sl = l->slot;
    size_t cap = l->cap, lo, hi, d = 1;

    if (sl[p].code >= c) {
        hi = p;
        while (d <= p && sl[p - d].code >= c) {
            hi = p - d;
            d <<= 1;
        }
        lo = d <= p ? p - d + 1 : 0;
    } else {
        lo = p + 1;
        while (p + d < cap && sl[p + d].code < c) {
            lo = p + d + 1;
            d <<= 1;
        }
        hi = p + d < cap ? p + d : cap;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (sl[mid].code < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void leaf_search(const struct alex_leaf *l, uint64_t c, int exact, const void *key,
                 size_t klen, struct leaf_pos *pos)
{
    int64_t raw = alex_route_raw(l->h.a, l->h.b, 0, c);
    size_t p = raw < 0 ? 0 : ((uint64_t)raw >= l->cap ? l->cap - 1 : (size_t)raw);
    size_t s = leaf_lower_code(l, c, p);

    pos->steps = leaf_bitlen(s > p ? s - p : p - s);
    pos->pred = raw;
    pos->found = 0;
    pos->tied = 0;
    pos->slot = s;
    if (s >= l->cap || l->slot[s].code != c)
        return;
    if (exact) {                /* no other key has this code: no entry read */
        pos->found = 1;
        return;
    }
    /* The run of slots holding code c: binary search it by full key for the first slot
     * whose key is >= the key (ent[] is ordered there, gaps included, since a gap copies
     * the next key of the same run). Each compare reads an entry, a cache miss of its
     * own; the two entries the next step may compare are requested one step ahead, so
     * that misses overlap (URL keys tie in runs of 2 to 8 whose bytes differ past
     * the code's digits). */
    const struct alex_slot *sl = l->slot;
    size_t lo = s, hi = leaf_lower_code(l, c + 1, s);
    int several = sl[lo].ent != sl[hi - 1].ent;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (mid > lo)
            __builtin_prefetch(sl[lo + (mid - lo) / 2].ent);
        if (mid + 1 < hi)
            __builtin_prefetch(sl[mid + 1 + (hi - mid - 1) / 2].ent);
        if (alex_entcmp(sl[mid].ent, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
        pos->steps++;
    }
    pos->slot = lo;
    if (lo < l->cap && sl[lo].code == c && alex_entcmp(sl[lo].ent, key, klen) == 0)
        pos->found = 1;
    pos->tied = several || !pos->found;
}

int leaf_insert(struct alex_leaf *l, uint64_t c, struct idx_entry *e, const struct leaf_pos *pos)
{
    size_t s = pos->slot, cap = l->cap, t;
    uint64_t moved = 0;

    if (l->ins >= 64 && l->ins % 64 == 0 && l->shifts > 100 * (uint64_t)l->ins)
        return LEAF_INS_COSTLY;
    if ((double)(l->n + 1) > ALEX_DENSITY_MAX * (double)cap)
        return LEAF_INS_FULL;
    if (s < cap && !leaf_is_set(l, s)) {
        /* A gap: any slot of the gap run is legal; take the one nearest the model's
         * prediction (model-based insert), then point the gaps before it at the key.
         * Past the last key (or before the first) too: a leaf made for a run of appends
         * (alex_append.c) has a model fitted to the run, so each key lands where the
         * next lookup predicts it; a gap past the last key holds no entry, so that end
         * is found without scanning the bitmap. */
        size_t nxt = l->slot[s].ent ? leaf_next_set(l, s) : cap;
        size_t p = pos->pred < 0 ? 0
                   : ((uint64_t)pos->pred >= cap ? cap - 1 : (size_t)pos->pred);

        t = p < s ? s : (p > nxt - 1 ? nxt - 1 : p);
        if (nxt == cap) {
            l->edge_hi++;
            l->run_edge = (uint32_t)t;
        } else if (s == 0) {
            l->edge_lo++;
        }
        for (size_t j = s; j < t; j++) {
            l->slot[j].code = c;
            l->slot[j].ent = e;
        }
    } else {
        /* 's' is occupied (or cap): open the nearest gap by shifting. 's' - 1 is
         * occupied too (or s == 0), since 's' is the first slot past the smaller keys. */
        size_t g = leaf_next_gap(l, s);
        long gl = leaf_prev_gap(l, (long)s - 1);

        /* No room at the end an append-mostly leaf grows toward: relayout first rather
         * than shift ever longer runs. */
        if ((s == cap && leaf_append_dir(l) > 0) || (s == 0 && leaf_append_dir(l) < 0))
            return LEAF_INS_FULL;
        if (s == cap)
            l->edge_hi++;
        else if (s == 0)
            l->edge_lo++;

        OMK_ASSERT(g < cap || gl >= 0);
        if (g < cap && (gl < 0 || g - s <= s - 1 - (size_t)gl)) {
            memmove(&l->slot[s + 1], &l->slot[s], (g - s) * sizeof(l->slot[0]));
            moved = g - s;
            l->bm[g >> 6] |= UINT64_C(1) << (g & 63);
            t = s;
        } else {
            size_t from = (size_t)gl + 1;

            memmove(&l->slot[gl], &l->slot[from], (s - from) * sizeof(l->slot[0]));
            moved = s - from;
            l->bm[gl >> 6] |= UINT64_C(1) << (gl & 63);
            t = s - 1;
        }
    }
    l->slot[t].code = c;
    l->slot[t].ent = e;
    l->bm[t >> 6] |= UINT64_C(1) << (t & 63);
    l->n++;
    l->ins++;
    l->shifts += moved;
    l->steps += pos->steps;
    return LEAF_INS_OK;
}

struct idx_entry *leaf_erase(struct alex_leaf *l, const struct leaf_pos *pos)
{
    size_t t = leaf_next_set(l, pos->slot);
    struct idx_entry *e = l->slot[t].ent;
    uint64_t nc = t + 1 < l->cap ? l->slot[t + 1].code : UINT64_MAX;
    struct idx_entry *ne = t + 1 < l->cap ? l->slot[t + 1].ent : NULL;
    long j;

    OMK_ASSERT(t < l->cap && e == l->slot[pos->slot].ent);
    l->bm[t >> 6] &= ~(UINT64_C(1) << (t & 63));
    for (j = (long)t; j >= 0 && !leaf_is_set(l, (size_t)j); j--) {
        l->slot[j].code = nc;
        l->slot[j].ent = ne;
    }
    l->n--;
    return e;
}

void leaf_collect(const struct alex_leaf *l, uint64_t *codes, struct idx_entry **ents)
{
    size_t k = 0;

    for (size_t w = 0; w < l->cap / 64; w++) {
        uint64_t x = l->bm[w];

        while (x) {
            size_t i = (w << 6) + (size_t)__builtin_ctzll(x);

            if (codes)
                codes[k] = l->slot[i].code;
            ents[k++] = l->slot[i].ent;
            x &= x - 1;
        }
    }
    OMK_ASSERT(k == l->n);
}

int leaf_append_dir(const struct alex_leaf *l)
{
    if (l->ins < 16)
        return 0;
    if ((uint64_t)l->edge_hi * 10 >= (uint64_t)l->ins * 9)
        return 1;
    if ((uint64_t)l->edge_lo * 10 >= (uint64_t)l->ins * 9)
        return -1;
    return 0;
}

void leaf_resize(struct alex_leaf *l, size_t cap, int dir)
{
    size_t n = l->n;
    uint64_t *codes = omk_malloc((n ? n : 1) * sizeof(uint64_t));
    struct idx_entry **ents = omk_malloc((n ? n : 1) * sizeof(*ents));
    struct alex_slot *old = l->slot;
    uint64_t *old_bm = l->bm;
    size_t old_cap = l->cap;

    OMK_ASSERT(n < cap && cap % 64 == 0);
    leaf_collect(l, codes, ents);
    leaf_alloc_arrays(l, cap);
    leaf_free_arrays(old, old_bm, old_cap);
    leaf_fill(l, codes, ents, n, dir);
    omk_free(codes);
    omk_free(ents);
}

double leaf_observed_cost(const struct alex_leaf *l)
{
    if (!l->ins)
        return 0;
    return (ALEX_COST_SEARCH * (double)l->steps + ALEX_COST_SHIFT * (double)l->shifts) /
           (double)l->ins;
}
