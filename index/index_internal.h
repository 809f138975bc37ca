/* index_internal.h - what the files of index/ share: the per-node key transform
 * (keycode.c), the node layouts, the one routing function, and the helpers the tree
 * (alex.c), the gapped-array leaves (alex_leaf.c) and the builder (alex_build.c) call.
 * Tests may include this header; other modules may not (use index/index.h).
 *
 * Invariant kept by everything here: route() is monotone non-decreasing in the code, and
 * the code of a node's transform is monotone non-decreasing in the key (memcmp order,
 * shorter first on a tie), so every node's children and every leaf's slots hold
 * contiguous, ordered key ranges. Nothing ever inverts route(): partitions are made by
 * evaluating it on each key. */
#ifndef OMK_INDEX_INDEX_INTERNAL_H
#define OMK_INDEX_INDEX_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "index/index.h"

/* ---- the per-node key transform T (ALEX.md 3.2) ---- */

#define KC_MAX_DIGITS 32        /* digits read after the anchor (positions |A|..|A|+31) */
#define KC_CODE_LIMIT (UINT64_C(1) << 53) /* codes of a routing transform are < 2^53 */
#define KC_WIDE_LIMIT UINT64_MAX /* codes of a wide transform are < 2^64 - 1 */
#define KC_USED 0x8000u         /* kc.dig[] flag: the byte is in the alphabet */

/* The alphabet of one digit position of a mixed-radix transform: the bytes used there
 * as a 256-bit set; rank(b) = base + (used bytes below b), radix r = base + |set|, where
 * base is 1 when a key may end at this position (digit 0 = "ended") and 0 otherwise.
 * Everything a position needs sits together (56 bytes): a code reads them in order. */
struct kc_pos {
    uint64_t set[4];
    uint64_t w;                  /* weight: the product of the radixes of later positions */
    uint16_t below[4];           /* used bytes in the set words before word i */
    uint16_t base, r;
};

/* An immutable order-preserving map from keys to integer codes in [0, max].
 * code(key) reads the key after the anchor A (the common prefix of the node's keys) as K
 * digits, digit 0 meaning "the key ended", digit rank(b) for a byte b of the alphabet.
 * Keys below A give 0, keys above A give max; a byte outside the alphabet rounds the
 * remaining digits to the nearest code that keeps the order. Two layouts: one alphabet
 * for every position, radix R (w[] and dig[]), or one alphabet per position (pos[],
 * mixed radix), which packs more positions of text whose positions use few bytes each
 * (URLs) into the code's bits. One block: this header, the anchor, then the tables, so a
 * cold transform costs few cache lines. */
struct alex_kc {
    uint64_t max;                /* the largest code: every digit at its maximum */
    uint32_t alen;               /* anchor length in bytes */
    uint32_t refs;               /* nodes using this transform (kc_hold / kc_release) */
    uint32_t bytes;              /* size of the block */
    uint16_t r;                  /* one alphabet: radix R = alphabet size + 1 (>= 1) */
    uint16_t k;                  /* digits K: the code stays below the limit */
    uint64_t *w;                 /* one alphabet: w[i] = R^(K-1-i); else NULL */
    uint16_t *dig;               /* one alphabet: KC_USED|rank for a used byte; else the
                                  * rank of the next used byte up, or R when none is
                                  * above (256 entries); else NULL */
    struct kc_pos *pos;          /* per-position alphabets (K of them), or NULL */
    uint8_t anchor[];            /* alen bytes, then the tables (8-byte aligned) */
};

#define KC_SAMPLE 4096          /* kc_train reads every key of a node up to this many */

/* The transform of a node holding the sorted, unique keys 'e'[0..'n'-1] ('n' 0: the
 * trivial transform, every code 0). Reads at most about KC_SAMPLE of the keys twice.
 * 'allow_mixed' 0 keeps one alphabet for all positions. Codes stay below KC_CODE_LIMIT,
 * or below KC_WIDE_LIMIT when 'wide' (more digits, fewer ties: for leaves only, see
 * alex_build.c). 'codes' (NULL or room for n): receives the keys' codes under the
 * transform, from the training's own pass when it read every key. Returns a transform
 * with one reference, dropped with kc_release(). */
struct alex_kc *kc_train(struct idx_entry *const *e, size_t n, int allow_mixed, int wide,
                         uint64_t *codes);

/* A transform for the sorted, unique keys 'e'[0..'n'-1] ('n' >= 1) of a run and the keys
 * that will follow them (alex_append.c): one alphabet, closed over the character
 * classes it touches (all digits; a-f or a-z; A-F or A-Z), and the anchor backed off one
 * byte more than kc_train's when that byte is in the alphabet, so that the next counter
 * values, dates or ids code without clamping. 'wide' and 'codes' as for kc_train. */
struct alex_kc *kc_train_run(struct idx_entry *const *e, size_t n, int wide, uint64_t *codes);

/* The code of 'key'/'len' under 'kc'; '*clamped' is set to 1 when the key lies outside
 * the anchor or holds a byte outside the alphabet at a digit position, else 0. */
uint64_t kc_code(const struct alex_kc *kc, const void *key, size_t len, int *clamped);

/* kc_code(), and '*exact' set to 1 when no other key has this code under 'kc' (see
 * keycode.c, EXACT CODES): a slot holding the code then holds this key. */
uint64_t kc_code_exact(const struct alex_kc *kc, const void *key, size_t len, int *clamped,
                       int *exact);

/* Entries sit where they were allocated, so a pass over them in key order misses the
 * cache on each. A pass at e[i] that reads every step-th entry calls this to request
 * the two lines a code reads (the header and the key's first 104 bytes) of the entry
 * KC_AHEAD steps ahead, so that the misses overlap. */
#define KC_AHEAD 8

static inline void kc_prefetch_ahead(struct idx_entry *const *e, size_t i, size_t n,
                                     size_t step)
{
    if (i + KC_AHEAD * step < n) {
        __builtin_prefetch(e[i + KC_AHEAD * step]);
        __builtin_prefetch((const char *)e[i + KC_AHEAD * step] + 64);
    }
}

/* codes[i] = the code of e[i] under 'kc', for i < n. */
void kc_code_all(const struct alex_kc *kc, struct idx_entry *const *e, size_t n,
                 uint64_t *codes);

/* A node may use its parent's transform instead of training its own (see alex_build.c):
 * each node holds one reference. kc_hold() adds one and returns 'kc'; kc_release() drops
 * one and frees the transform with the last. Single writer: plain counts. */
struct alex_kc *kc_hold(struct alex_kc *kc);
void kc_release(struct alex_kc *kc);

/* Bytes the transform occupies, divided among the nodes that share it (for idx_stats:
 * summed over the nodes, each transform counts once). */
size_t kc_bytes(const struct alex_kc *kc);

/* ---- routing: THE one function mapping a code to a slot ---- */

#define ALEX_RAW_SAT 1e18       /* predictions beyond +-this saturate */

/* The unclamped slot floor(fma(a, code, b)) + off, saturated to +-ALEX_RAW_SAT. With
 * a >= 0 it is monotone in 'code'. fma() is called explicitly (the build has
 * -ffp-contract=off) so that every caller computes the very same value. */
static inline int64_t alex_route_raw(double a, double b, int64_t off, uint64_t code)
{
    double x = floor(fma(a, (double)code, b));

    if (!(x > -ALEX_RAW_SAT))     /* NaN cannot happen (finite a, b), but maps low */
        x = -ALEX_RAW_SAT;
    else if (x > ALEX_RAW_SAT)
        x = ALEX_RAW_SAT;
    return (int64_t)x + off;
}

/* For a function whose loop routes every key of a node (a leaf's layout, a partition):
 * on x86-64 it is compiled twice, once for CPUs with FMA and once for any, and the
 * dynamic loader picks one when the program starts (an ifunc). In the FMA clone fma()
 * and floor() are single instructions; in the other each is a libm call, and the call in
 * the loop makes the compiler keep the loop's sums on the stack (that loop was most of a
 * bulk load's profile). Both compute the same values, bit for bit, as every other
 * caller of alex_route_raw(): fma() rounds once and floor() is exact whichever computes
 * them, so a layout agrees with the lookups' routes. Not in sanitizer builds: the ifunc's
 * resolver runs while the loader relocates the program, before the sanitizer's runtime
 * is up, and an instrumented resolver crashes there (ThreadSanitizer's did). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALEX_ONE_CLONE 1         /* sanitizers, GCC's way of saying so */
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define ALEX_ONE_CLONE 1         /* clang's */
#endif
#endif
#if !defined(ALEX_ONE_CLONE) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define ALEX_ROUTE_LOOP __attribute__((target_clones("fma", "default")))
#endif
#endif
#ifndef ALEX_ROUTE_LOOP
#define ALEX_ROUTE_LOOP
#endif

/* The slot in [0, n) for 'code': alex_route_raw() clamped. Used by model nodes (for the
 * child) and by leaves (for the predicted position, off 0). */
static inline size_t alex_route(double a, double b, int64_t off, uint64_t code, size_t n)
{
    int64_t r = alex_route_raw(a, b, off, code);

    if (r < 0)
        return 0;
    if ((uint64_t)r >= n)
        return n - 1;
    return (size_t)r;
}

/* ---- nodes ---- */

enum { ALEX_LEAF = 1, ALEX_INNER = 2 };

struct alex_inner;

struct alex_node {
    uint8_t type;                /* ALEX_LEAF or ALEX_INNER */
    struct alex_inner *parent;   /* NULL at the root */
    struct alex_kc *kc;          /* this node's transform (owned) */
    double a, b;                 /* linear model, a >= 0 */
};

/* Model (inner) node: routes a key to children[route(T(key))]. A child owns a contiguous
 * run of one or more slots (its duplication). nch is a power of two. */
struct alex_inner {
    struct alex_node h;
    int64_t off;                 /* integer shift of the model (left growth, doubling) */
    uint32_t nch;                /* slots in ch[] */
    struct alex_node **ch;
    size_t nkeys;                /* keys in the whole subtree */
    size_t built_n;              /* nkeys when the node was built */
    size_t clamped;              /* inserts whose key clamped under kc (write path) */
};

/* One slot of a leaf: a code and its entry side by side, so the slot a search ends on
 * brings the entry pointer in the same cache line. */
struct alex_slot {
    uint64_t code;
    struct idx_entry *ent;
};

/* Data node (leaf): a gapped array. Slots hold (code, entry) sorted by (code, key); an
 * empty slot (bit clear in bm) holds a copy of the next occupied slot's code and entry,
 * or (UINT64_MAX, NULL) after the last key, so the codes never decrease. */
struct alex_leaf {
    struct alex_node h;
    uint32_t cap;                /* slots, a multiple of 64 */
    uint32_t n;                  /* occupied slots */
    struct alex_slot *slot;      /* cap slots, then the cap/64 words of bm, one block */
    uint64_t *bm;
    struct alex_leaf *prev, *next; /* leaf chain in key order */
    /* cost statistics: written on the insert path only */
    uint32_t ins;                /* inserts since the leaf was (re)built */
    uint32_t edge_hi, edge_lo;   /* ... of which past the last / before the first key */
    uint32_t run;                /* 1: made by alex_append() for a run of keys past the
                                  * last key of the index */
    uint32_t run_edge;           /* run leaves: the slot of the last key as the last
                                  * insert past it left it; a hint, checked before use */
    uint64_t shifts;             /* slots moved by those inserts */
    uint64_t steps;              /* search steps of those inserts */
    double exp_cost;             /* cost the builder expected (ALEX.md 1.5) */
    uint32_t odd;                /* clamped or tied inserts since the last retrain (weighted) */
    uint32_t odd_limit;          /* retrain the transform when odd reaches this */
};

#define ALEX_LEAF_MIN_CAP 64
#define ALEX_DENSITY_BUILD 0.7
#define ALEX_DENSITY_BULK 0.78 /* idx_bulk_load (a restart's index): 0.7 -> 0.78 took 8
                                * shards of 10M 16-byte keys from 24.0 to 21.9 B/key, the
                                * server's RSS after a restart under 64 B/key; lookups
                                * the same, and inserts after the load no slower (leaves
                                * expand sooner, but split less): bench/README.md */
#define ALEX_DENSITY_EXPAND 0.55 /* after an expand or a split: ALEX's 0.6 grows a leaf
                                  * by 1.33x per expand; 1.45x made 1M random inserts
                                  * 10-44% faster (hex 1.12 -> 1.62 Mops/s: fewer
                                  * relayouts and shifts) for 1.1-2.4 more B/key */
#define ALEX_DENSITY_MAX 0.8     /* expand when an insert would pass it */
#define ALEX_DENSITY_MIN 0.45    /* contract below it (see alex_leaf.c) */
#define ALEX_DENSITY_CONTRACT 0.7
#define ALEX_MAX_FANOUT 65536
#define ALEX_EXPAND_SLOTS 16384  /* default idx_config.max_expand_slots (see alex.c,
                                  * BOUNDED INSERTS) */

/* ALEX.md 1.5 cost model constants. */
#define ALEX_COST_SEARCH 20.0
#define ALEX_COST_SHIFT 0.5
#define ALEX_COST_LEVEL 20.0
#define ALEX_COST_BYTE 5e-7

struct idx {
    struct alex_node *root;      /* a leaf or a model node; never NULL */
    size_t n;                    /* keys */
    size_t entry_bytes;          /* idx_entry_size() of the entries held, kept as they come
                                  * and go so that the statistics need not visit them */
    size_t max_slots;            /* leaf capacity cap (multiple of 64) */
    size_t expand_slots;         /* an insert grows a leaf up to this many slots, and
                                  * splits it beyond (multiple of 64, <= max_slots) */
    uint64_t expansions, splits_sideways, splits_down, retrains, contractions, merges;
    uint64_t rebuilds;           /* deep subtrees rebuilt (see idx_insert) */
    uint64_t run_leaves;         /* leaves opened for runs past the last key (alex_append.c) */
    uint64_t reroutes;           /* model nodes re-routed for them (alex_append.c) */
    uint64_t ins_total, steps_total; /* inserts and their search steps */
    int single_alphabet;         /* set while rebuilding an append-mostly leaf */
    size_t price_all;            /* the builder prices every key of nodes up to this many
                                  * keys, samples bigger ones (alex_build.c, SAMPLED
                                  * PRICING); 0: its default. Tests raise it to compare */
    int bulk_loading;            /* 1 while idx_bulk_load builds: the default above is
                                  * then higher than inside an insert (SAMPLED PRICING) */
};

/* ---- entries (entry_arena.c) ---- */

/* 1 when entries come from the arena, 0 when every one comes from malloc (ASan builds,
 * OMK_ENTRY_MALLOC=1). */
int entry_arena_enabled(void);

/* ---- slot arrays of full-size leaves (leaf_mem.c) ---- */

#define LEAF_MEM_BIG_SLOTS 65536 /* arrays of this many slots come from the pool */

/* An array of LEAF_MEM_BIG_SLOTS slots, uninitialised, from a pool of huge pages (or
 * malloc where entry_arena_enabled() is 0); freed with leaf_mem_big_free() (NULL: no-op).
 * Any thread. */
void *leaf_mem_big_alloc(void);
void leaf_mem_big_free(void *p);

/* Bytes of the pool's arrays in use (0 when they come from malloc). */
size_t leaf_mem_big_bytes(void);

/* ---- key compare ---- */

/* memcmp order, shorter first on a tie: <0, 0, >0. */
static inline int alex_keycmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t m = alen < blen ? alen : blen;
    int c = m ? memcmp(a, b, m) : 0;

    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

static inline int alex_entcmp(const struct idx_entry *e, const void *key, size_t klen)
{
    return alex_keycmp(idx_entry_key(e), idx_entry_klen(e), key, klen);
}

/* ---- leaves (alex_leaf.c) ---- */

/* Round 'n' slots up to a legal capacity (multiple of 64, at least ALEX_LEAF_MIN_CAP). */
size_t leaf_cap_for(size_t n, double density);

/* A leaf with capacity 'cap' and transform 'kc' (taken), holding the sorted keys
 * 'codes'/'ents'[0..'n'-1] (codes under 'kc'), model trained on them. */
struct alex_leaf *leaf_new(struct alex_kc *kc, const uint64_t *codes,
                           struct idx_entry *const *ents, size_t n, size_t cap);
void leaf_free(struct alex_leaf *l);

/* Bytes of 'l' (header, slots, bitmap, transform). */
size_t leaf_bytes(const struct alex_leaf *l);

/* Result of a search inside a leaf. */
struct leaf_pos {
    size_t slot;     /* first slot whose (code, key) >= the key: may be a gap, or cap */
    int found;       /* the key is ent[slot] */
    unsigned steps;  /* search steps (exponential + binary + tie compares) */
    unsigned tied;   /* other keys share the code */
    int64_t pred;    /* the leaf model's unclamped prediction for the key
                      * (alex_route_raw), computed once for the search and the insert */
};

/* Find the position of 'key' (code 'c') in 'l'. 'exact': 'c' is an exact code (see
 * kc_code_exact), so a slot holding it is the key with no compare. Reads only. */
void leaf_search(const struct alex_leaf *l, uint64_t c, int exact, const void *key,
                 size_t klen, struct leaf_pos *pos);

enum {
    LEAF_INS_OK = 0,
    LEAF_INS_FULL = 1,       /* over the density limit: expand or split first */
    LEAF_INS_COSTLY = 2,     /* catastrophic shift cost: split first */
};

/* Insert entry 'e' with code 'c' at position 'pos' (from leaf_search, key absent).
 * Returns LEAF_INS_OK, or FULL/COSTLY with 'l' unchanged. */
int leaf_insert(struct alex_leaf *l, uint64_t c, struct idx_entry *e, const struct leaf_pos *pos);

/* A run leaf (alex_append.c) of 'cap' slots under transform 'kc' (taken) and the given
 * model (a, b) (a >= 0, not fitted to the keys), holding the sorted keys
 * 'codes'/'ents'[0..'n'-1] (n >= 1) at their predicted slots. */
struct alex_leaf *leaf_new_run(struct alex_kc *kc, const uint64_t *codes,
                               struct idx_entry *const *ents, size_t n, size_t cap, double a,
                               double b);

/* Drop the keys of 'l' after occupied slot 'keep'; the caller has taken their entries.
 * Walks the slots from 'keep' to the end. */
void leaf_cut(struct alex_leaf *l, size_t keep);

/* Remove the key found at 'pos' (pos->found) from 'l'; returns its entry. */
struct idx_entry *leaf_erase(struct alex_leaf *l, const struct leaf_pos *pos);

/* Re-place the keys of 'l' into 'cap' slots with a model retrained on their codes; the
 * transform and the codes stay, no entry is read. 'dir' > 0 packs the keys at 80% density
 * on the left and leaves the free room on the right (for appends), < 0 the mirror, 0
 * spreads them over the whole leaf. */
void leaf_resize(struct alex_leaf *l, size_t cap, int dir);

/* +1 when nine in ten recent inserts went past the last key, -1 before the first, 0
 * otherwise (ALEX's append-mostly detection). */
int leaf_append_dir(const struct alex_leaf *l);

/* Copy the occupied (code, entry) pairs of 'l' in order into 'codes' and 'ents' (each
 * room for l->n, 'codes' may be NULL). */
void leaf_collect(const struct alex_leaf *l, uint64_t *codes, struct idx_entry **ents);

/* Observed cost of the inserts since the build (ALEX.md 1.5). */
double leaf_observed_cost(const struct alex_leaf *l);

/* First occupied slot >= 'i' (cap if none); last occupied slot <= 'i' (-1 if none). */
size_t leaf_next_set(const struct alex_leaf *l, size_t i);
long leaf_prev_set(const struct alex_leaf *l, long i);

static inline int leaf_is_set(const struct alex_leaf *l, size_t i)
{
    return (int)((l->bm[i >> 6] >> (i & 63)) & 1);
}

/* ---- model fitting and cost estimates (alex_build.c) ---- */

/* Least-squares line mapping codes[i] to i * scale / n (a >= 0). */
void alex_fit(const uint64_t *codes, size_t n, double scale, double *a, double *b);

/* Expected leaf cost of placing 'codes'[0..n-1] in 'cap' slots with a fitted model. */
double alex_leaf_cost_est(const uint64_t *codes, size_t n, size_t cap);

enum { BUILD_AUTO, BUILD_INNER, BUILD_LEAF };

/* A subtree holding the sorted entries 'e'[0..'n'-1], linked into the leaf chain after
 * '*tail' (updated; '*head' gets the first leaf if NULL). 'mode': BUILD_AUTO lets the
 * cost model choose, BUILD_INNER puts a model node on top (needs n >= 2), BUILD_LEAF
 * makes one leaf (n must fit under the slot cap). 'density': leaf fill. 'pkc': the
 * transform of the model node the subtree will hang under (NULL at the root), which its
 * nodes use when it separates their keys; 'pcodes': the keys' codes under 'pkc' when the
 * caller knows them (saves reading every entry), else NULL. */
struct alex_node *alex_build(struct idx *ix, struct idx_entry *const *e, size_t n, int mode,
                             double density, struct alex_kc *pkc, const uint64_t *pcodes,
                             struct alex_leaf **head, struct alex_leaf **tail);

/* Free a subtree's nodes (not the entries). */
void alex_free_subtree(struct alex_node *nd);

/* ---- tree helpers (alex.c) ---- */

struct alex_leaf *alex_leftmost_leaf(const struct alex_node *nd);
struct alex_leaf *alex_rightmost_leaf(const struct alex_node *nd);

/* Replace subtree 'nd' by one built from its keys ('mode' and 'density' as for
 * alex_build()); returns the new node. */
struct alex_node *alex_rebuild(struct idx *ix, struct alex_node *nd, int mode, double density);

/* Put 'neu' where 'old' hangs (its parent's run, or the root); 'old' must be intact. */
void alex_replace(struct idx *ix, struct alex_node *old, struct alex_node *neu);

/* Model node growth; each keeps the route of every code that routed inside the node:
 * grow_right appends nch slots owned by the last child, grow_left prepends nch slots
 * owned by the first child (the model shifts by nch), double gives every child twice
 * its slots (the model scales by 2, exactly). */
void alex_inner_grow_right(struct alex_inner *in);
void alex_inner_grow_left(struct alex_inner *in);
void alex_inner_double(struct alex_inner *in);

/* ---- runs past the last key (alex_append.c) ---- */

/* Does the key whose search in leaf 'l' ended at 'pos' (not found) lie past every key of
 * the index? (1 or 0; 'l' is not empty.) */
int alex_past_last(const struct alex_leaf *l, const struct leaf_pos *pos);

/* When 'l' is a run leaf, the right-most leaf, and 'key'/'klen' (code 'c' there) lies at
 * or past its last key, fill '*pos' as leaf_search() would, without searching (the slot
 * of its last key is known), and return 1; else return 0. Reads only. */
int alex_append_pos(const struct alex_leaf *l, uint64_t c, const void *key, size_t klen,
                    struct leaf_pos *pos);

/* The insert of new key 'key'/'klen' past the last key of the index, whose place in the
 * right-most leaf 'l', a run leaf, alex_append_pos() found ('pos', not found; 'c' its code
 * there, 'cl' as kc_code set it; the caller found 'l' without the descent, see
 * alex_descend_run in alex.c), when 'l' can take it where the run goes: placed at its
 * predicted slot, with what idx_insert() would do for it and nothing else. Returns IDX_OK
 * ('*out' the new entry), or -1 when the caller must insert it the usual way (nothing
 * changed). Writer. */
int alex_append_fast(struct idx *ix, struct alex_leaf *l, uint64_t c, int cl,
                     const struct leaf_pos *pos, const void *key, size_t klen,
                     struct idx_entry **out);

/* Insert entry 'e' (code 'c' under the transform of leaf 'l', 'clamped' as kc_code set
 * it; 'pos' from leaf_search, key absent) when it continues a run of inserts past the
 * last key of the index that 'l' cannot take where the run goes: into a new leaf sized
 * and modelled for the run, hung beside 'l' (see alex_append.c). Returns 1 when 'e' is
 * in the index (keys and counts updated), 0 when the caller must insert it the usual
 * way (nothing changed). */
int alex_append(struct idx *ix, struct alex_leaf *l, uint64_t c, int clamped,
                const struct leaf_pos *pos, struct idx_entry *e);

#endif
