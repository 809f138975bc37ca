/* test_index.c - unit tests of index/ (the ALEX learned index) in TAP.
 * 1. Property tests of the per-node key transform: monotone on sorted probe sets and on
 *    random pairs, with crafted keys (prefixes, 0x00/0xFF, bytes outside the alphabet,
 *    keys shorter than the anchor).
 * 2. Differential random operation streams (insert / delete / find / seek+walk) against a
 *    sorted array of keys, seeded and reproducible (OMK_SEED=n), with idx_validate every
 *    1,000 operations, over realistic and adversarial key sets and insert orders.
 * 2b. The same streams with the smallest max_expand_slots, where inserts split full
 *    leaves instead of expanding them (issue 25), also after a bulk load.
 * 3. Keys of 0, 1, 16, 65534, 65535, 65536 bytes and 1 MB (the entry's length escape)
 *    through insert, find, seek, delete, bulk load and validate.
 * OMK_SLOW=1 runs the streams at 1M keys. */
#include "config.h"

#include "index/index.h"
#include "index/index_internal.h"

#include "common/omk.h"
#include "tests/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* ---- key pools ---- */

struct key {
    char *p;
    size_t len;
};

struct pool {
    struct key *k;
    size_t n, cap;
};

static void pool_add(struct pool *pl, const void *p, size_t len)
{
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? 2 * pl->cap : 1024;
        pl->k = omk_realloc(pl->k, pl->cap * sizeof(pl->k[0]));
    }
    pl->k[pl->n].p = omk_memdup(p, len);
    pl->k[pl->n].len = len;
    pl->n++;
}

static void pool_free(struct pool *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        omk_free(pl->k[i].p);
    omk_free(pl->k);
    memset(pl, 0, sizeof(*pl));
}

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;

    return alex_keycmp(x->p, x->len, y->p, y->len);
}

/* Sort the pool and drop duplicates. */
static void pool_uniq(struct pool *pl)
{
    size_t w = 0;

    qsort(pl->k, pl->n, sizeof(pl->k[0]), key_cmp);
    for (size_t i = 0; i < pl->n; i++) {
        if (w > 0 && key_cmp(&pl->k[w - 1], &pl->k[i]) == 0) {
            omk_free(pl->k[i].p);
            continue;
        }
        pl->k[w++] = pl->k[i];
    }
    pl->n = w;
}

enum keyset { KS_NUM, KS_USER, KS_ALNUM, KS_HEX, KS_UUID, KS_URL, KS_SLUG, KS_BIN,
              KS_LONGPREFIX, KS_COUNT };
static const char *const ks_name[KS_COUNT] = {"key:%012d", "user:<n>:profile", "alnum20",
                                              "hex32", "uuid", "url", "slug-url", "binary",
                                              "200B-prefix"};

static void gen_key(enum keyset ks, char *buf, size_t *len)
{
    static const char alnum[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const char hex[] = "0123456789abcdef";
    static const char *const words[] = {"orders", "users", "items", "cart", "a", "search"};

    switch (ks) {
    case KS_NUM:
        *len = (size_t)sprintf(buf, "key:%012llu", (unsigned long long)rnd_below(100000000));
        break;
    case KS_USER:
        *len = (size_t)sprintf(buf, "user:%llu:profile", (unsigned long long)rnd_below(10000000));
        break;
    case KS_ALNUM:
        for (int i = 0; i < 20; i++)
            buf[i] = alnum[rnd_below(62)];
        *len = 20;
        break;
    case KS_HEX:
        for (int i = 0; i < 32; i++)
            buf[i] = hex[rnd_below(16)];
        *len = 32;
        break;
    case KS_UUID:
        for (int i = 0; i < 36; i++)
            buf[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rnd_below(16)];
        *len = 36;
        break;
    case KS_URL:
        *len = (size_t)sprintf(buf, "https://host%llu.example.com/%s/%llu?q=%llu",
                               (unsigned long long)rnd_below(50), words[rnd_below(6)],
                               (unsigned long long)rnd_below(1000000),
                               (unsigned long long)rnd_below(100));
        break;
    case KS_SLUG:
        /* The bytes that tell keys apart lie 20+ bytes past the common prefix, at
         * positions using few distinct bytes each: per-position alphabets. */
        *len = (size_t)sprintf(buf, "https://shop.example.com/%s/%s-%s-%s/p/%llu",
                               words[rnd_below(6)], words[rnd_below(6)], words[rnd_below(6)],
                               words[rnd_below(6)], (unsigned long long)rnd_below(1000));
        break;
    case KS_BIN:
        *len = rnd_below(25);
        for (size_t i = 0; i < *len; i++) {
            uint64_t r = rnd();

            buf[i] = (char)((r & 3) == 0 ? 0 : (r & 3) == 1 ? 0xff : (int)(r >> 8));
        }
        break;
    case KS_LONGPREFIX:
        memset(buf, 'p', 200);
        *len = 200 + (size_t)sprintf(buf + 200, "%llu", (unsigned long long)rnd_below(10000000));
        break;
    default:
        OMK_ASSERT(0);
    }
}

static void pool_gen(struct pool *pl, enum keyset ks, size_t n)
{
    char buf[512];
    size_t len;

    while (pl->n < n) {
        gen_key(ks, buf, &len);
        pool_add(pl, buf, len);
        if (pl->n == n)
            pool_uniq(pl);
    }
}

/* ---- 1. the transform ---- */

/* Mutations of 'k' that stress the transform: truncations, extensions, bytes set to 0x00,
 * 0xFF or a random value. */
static void probe_mutate(struct pool *out, const struct key *k)
{
    char buf[600];
    size_t len = k->len > 500 ? 500 : k->len, j;

    memcpy(buf, k->p, len);
    pool_add(out, buf, len);
    pool_add(out, buf, rnd_below(len + 1));
    j = rnd_below(len + 1);
    if (j < len) {
        char save = buf[j];

        buf[j] = 0;
        pool_add(out, buf, len);
        buf[j] = (char)0xff;
        pool_add(out, buf, j + 1);
        buf[j] = (char)rnd();
        pool_add(out, buf, len);
        buf[j] = save;
    }
    buf[len] = (char)rnd();
    pool_add(out, buf, len + 1);
    buf[len] = 0;
    pool_add(out, buf, len + 1);
}

static size_t kc_mixed_made;  /* transforms kc_check_set trained with per-position alphabets */
static size_t kc_exact_seen;  /* probes kc_check_set found to have an exact code */

/* Train a transform ('wide' as for kc_train) on a sorted sample of 'ks', then check it on
 * probes. Returns the number of violations (of monotonicity, of the code range, of exact
 * codes being unshared); '*pairs' counts the pairs covered. */
static size_t kc_check_set(enum keyset ks, size_t train_n, int wide, size_t *pairs)
{
    struct pool tr = {0}, pr = {0};
    struct idx_entry **ents;
    struct alex_kc *kc;
    size_t bad = 0, lo = rnd_below(8), hi;
    uint64_t prev = 0;
    int cl;

    pool_gen(&tr, ks, train_n);
    /* Train on a sub-range so that probes fall below, inside and above the anchor. */
    hi = tr.n - rnd_below(8);
    ents = omk_malloc(tr.n * sizeof(*ents));
    for (size_t i = lo; i < hi; i++)
        ents[i - lo] = idx_entry_new(tr.k[i].p, tr.k[i].len);
    uint64_t *tcodes = omk_malloc((hi - lo) * sizeof(uint64_t));

    kc = kc_train(ents, hi - lo, 1, wide, tcodes);
    if (kc->max >= (wide ? KC_WIDE_LIMIT : KC_CODE_LIMIT))
        bad++;
    kc_mixed_made += kc->pos != NULL;
    for (size_t i = 0; i < hi - lo; i++) {
        uint64_t c = kc_code(kc, idx_entry_key(ents[i]), idx_entry_klen(ents[i]), &cl);

        if (hi - lo <= KC_SAMPLE)
            bad += (size_t)cl;  /* a training key never clamps when every one is read */
        bad += c != tcodes[i];  /* the codes training hands back are the keys' codes */
    }
    omk_free(tcodes);
    for (size_t i = 0; i < tr.n; i++)
        probe_mutate(&pr, &tr.k[i]);
    pool_uniq(&pr);
    /* Sorted sweep: non-decreasing codes over the sorted probes means every pair holds;
     * keys of one code are neighbours here, so an exact code shared by two distinct keys
     * shows as two neighbours of equal code, one of them exact. */
    for (size_t i = 0, prev_exact = 0; i < pr.n; i++) {
        int exact;
        uint64_t c = kc_code_exact(kc, pr.k[i].p, pr.k[i].len, &cl, &exact);

        if (c > kc->max || (i > 0 && c < prev))
            bad++;
        if (i > 0 && c == prev && (exact || prev_exact))
            bad++;
        if (exact && cl)
            bad++;
        kc_exact_seen += (size_t)exact;
        prev = c;
        prev_exact = (size_t)exact;
    }
    /* Random pairs, checked directly. */
    for (size_t t = 0; t < 4 * pr.n; t++) {
        const struct key *x = &pr.k[rnd_below(pr.n)], *y = &pr.k[rnd_below(pr.n)];
        int o = alex_keycmp(x->p, x->len, y->p, y->len);
        uint64_t cx = kc_code(kc, x->p, x->len, &cl), cy = kc_code(kc, y->p, y->len, &cl);

        if ((o < 0 && cx > cy) || (o > 0 && cx < cy) || (o == 0 && cx != cy))
            bad++;
    }
    *pairs += 4 * pr.n + pr.n;
    for (size_t i = 0; i < hi - lo; i++)
        idx_entry_free(ents[i]);
    omk_free(ents);
    kc_release(kc);
    pool_free(&tr);
    pool_free(&pr);
    return bad;
}

static void test_keycode(void)
{
    size_t pairs = 0, bad = 0;

    for (int ks = 0; ks < KS_COUNT; ks++)
        for (int rep = 0; rep < 3; rep++)
            for (int wide = 0; wide < 2; wide++)
                /* 9000 keys: more than training reads (KC_SAMPLE) */
                bad += kc_check_set((enum keyset)ks,
                                    rep == 0 ? 3000 : rep == 1 ? 9000 : 200 + rnd_below(300),
                                    wide, &pairs);
    ok(pairs >= 400000, "transform: %zu pairs checked", pairs);
    is_int(bad, 0, "transform: monotone, codes within 2^53 (wide: 2^64 - 1), exact codes "
                   "unshared on every key set");
    ok(kc_exact_seen > 1000, "transform: %zu probes with an exact code, none shared",
       kc_exact_seen);
    ok(kc_mixed_made > 0, "transform: %zu of the checked transforms use per-position alphabets",
       kc_mixed_made);

    /* Crafted: anchor "key:00", alphabet of digits; probes outside it. */
    const char *train[] = {"key:0012", "key:0055", "key:0090"};
    const char *probe[] = {"", "a", "key", "key:", "key:0", "key:00", "key:00\x00",
                           "key:000", "key:0012", "key:0012\x00", "key:0012\xff", "key:001:",
                           "key:0055", "key:005a", "key:0090", "key:009\xff", "key:00\xff",
                           "key:01", "key:1", "kez", "\xff"};
    struct idx_entry *te[3];
    struct alex_kc *kc;
    uint64_t prev = 0;
    int cl, mono = 1;

    for (int i = 0; i < 3; i++)
        te[i] = idx_entry_new(train[i], strlen(train[i]));
    kc = kc_train(te, 3, 1, 0, NULL);
    /* The common prefix is "key:00"; the spare digits move the anchor back over the
     * zeros (they are in the alphabet) to "key:", so "key:01..." codes without clamping. */
    is_int(kc->alen, 4, "crafted: the anchor backs off to \"key:\"");
    is_int(kc->r, 5 + 1, "crafted: radix = the 5 digits used + the terminator");
    for (size_t i = 0; i < OMK_ARRAY_LEN(probe); i++) {
        size_t len = strlen(probe[i]) + (i == 6 || i == 9 ? 1 : 0);
        uint64_t c = kc_code(kc, probe[i], len, &cl);

        if (i > 0 && c < prev)
            mono = 0;
        prev = c;
    }
    ok(mono, "crafted: probes around the anchor keep their order");
    is_int(kc_code(kc, "key", 3, &cl), 0, "crafted: a key shorter than the anchor codes 0");
    ok(cl, "crafted: ... and is flagged as clamped");
    ok(kc_code(kc, "kez", 3, &cl) == kc->max && cl, "crafted: above the anchor codes max");
    ok(kc_code(kc, "key:0100", 8, &cl) > kc_code(kc, "key:0090", 8, &cl) && !cl,
       "crafted: a larger counter codes above the set, unclamped");
    ok(kc_code(kc, "key:0012", 8, &cl) < kc_code(kc, "key:0012\x00", 9, &cl),
       "crafted: a key sorts before its extension by 0x00");
    (void)kc_code(kc, "key:0055", 8, &cl);
    ok(!cl, "crafted: a key of the training set is not clamped");
    for (int i = 0; i < 3; i++)
        idx_entry_free(te[i]);
    kc_release(kc);

    /* Trivial transform (no keys): everything codes 0. */
    kc = kc_train(NULL, 0, 1, 0, NULL);
    ok(kc_code(kc, "abc", 3, &cl) == 0 && kc->max == 0, "empty transform codes 0");
    kc_release(kc);
}

/* ---- 2. differential streams ---- */

/* The reference: a sorted array of pool indexes. */
struct ref {
    const struct pool *pl;
    size_t *ix;
    size_t n;
};

/* First reference position whose key >= 'k'. */
static size_t ref_lb(const struct ref *r, const struct key *k)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (key_cmp(&r->pl->k[r->ix[mid]], k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct stream {
    const char *name;
    int fails;       /* mismatches so far (only the first few are printed) */
    size_t ops;
};

static void stream_fail(struct stream *st, const char *what, size_t op)
{
    if (st->fails++ < 5)
        diag("%s: op %zu: %s", st->name, op, what);
}

static int check_valid(struct idx *ix, struct stream *st)
{
    char err[256];

    if (idx_validate(ix, err, sizeof(err)) == 0)
        return 1;
    stream_fail(st, err, st->ops);
    return 0;
}

/* Insert pool key 'i'; compares with the reference. */
static void op_insert(struct idx *ix, struct ref *r, size_t i, struct stream *st)
{
    const struct key *k = &r->pl->k[i];
    size_t p = ref_lb(r, k);
    int present = p < r->n && r->ix[p] == i;
    struct idx_entry *e = NULL;
    int rc = idx_insert(ix, k->p, k->len, &e);

    if (rc != (present ? IDX_EXISTS : IDX_OK) || !e || idx_entry_klen(e) != k->len ||
        memcmp(idx_entry_key(e), k->p, k->len) != 0 || (present && e->loc != i)) {
        stream_fail(st, "insert mismatch", st->ops);
        return;
    }
    if (!present) {
        e->loc = i;
        memmove(&r->ix[p + 1], &r->ix[p], (r->n - p) * sizeof(r->ix[0]));
        r->ix[p] = i;
        r->n++;
    }
}

static void op_delete(struct idx *ix, struct ref *r, size_t i, struct stream *st)
{
    const struct key *k = &r->pl->k[i];
    size_t p = ref_lb(r, k);
    int present = p < r->n && r->ix[p] == i;
    struct idx_entry *e = NULL;
    int rc = idx_delete(ix, k->p, k->len, &e);

    if (rc != (present ? IDX_OK : IDX_NOTFOUND) || (present && (!e || e->loc != i))) {
        stream_fail(st, "delete mismatch", st->ops);
        return;
    }
    if (present) {
        idx_entry_free(e);
        memmove(&r->ix[p], &r->ix[p + 1], (r->n - p - 1) * sizeof(r->ix[0]));
        r->n--;
    }
}

static void op_find(struct idx *ix, struct ref *r, size_t i, struct stream *st)
{
    const struct key *k = &r->pl->k[i];
    size_t p = ref_lb(r, k);
    int present = p < r->n && r->ix[p] == i;
    struct idx_entry *e = idx_find(ix, k->p, k->len);

    if (present ? (!e || e->loc != i) : e != NULL)
        stream_fail(st, "find mismatch", st->ops);
}

/* Seek to a pool key or a mutation of it, then walk 'walk' keys. */
static void op_seek(struct idx *ix, struct ref *r, size_t i, size_t walk, struct stream *st)
{
    const struct key *k = &r->pl->k[i];
    char buf[600];
    struct key q = {buf, k->len > 500 ? 500 : k->len};
    struct idx_iter it;
    size_t p;

    memcpy(buf, k->p, q.len);
    if (rnd() & 1) {
        if (q.len && (rnd() & 1))
            q.len--;
        else
            buf[q.len++] = (char)rnd();
    }
    p = ref_lb(r, &q);
    idx_seek(ix, q.p, q.len, &it);
    if (q.len == 0)
        p = 0;
    for (size_t w = 0; w < walk; w++, p++) {
        struct idx_entry *e = idx_iter_next(&it);

        if (p >= r->n) {
            if (e)
                stream_fail(st, "seek: walk runs past the end", st->ops);
            return;
        }
        if (!e || e->loc != r->ix[p]) {
            stream_fail(st, "seek: walk mismatch", st->ops);
            return;
        }
    }
}

/* A full walk equals the reference. */
static int check_walk(struct idx *ix, struct ref *r, struct stream *st)
{
    struct idx_iter it;
    struct idx_entry *e;
    size_t p = 0;

    idx_seek(ix, NULL, 0, &it);
    while ((e = idx_iter_next(&it))) {
        if (p >= r->n || e->loc != r->ix[p]) {
            stream_fail(st, "full walk mismatch", st->ops);
            return 0;
        }
        p++;
    }
    if (p != r->n || idx_count(ix) != r->n) {
        stream_fail(st, "full walk count mismatch", st->ops);
        return 0;
    }
    return 1;
}

enum order { ORD_RANDOM, ORD_ASC, ORD_DESC, ORD_SAW, ORD_RUNS };

#define RUN_SEQS 5  /* ORD_RUNS: sequences whose runs are interleaved */

/* Run 'nops' mixed operations over pool 'pl' on a fresh index (or 'ix0'), after
 * inserting 'preload' keys in 'order'. Mix in percent: insert, delete, find, seek.
 * Validates every 'vevery' operations. Returns the index (caller frees). */
struct mix {
    int ins, del, find, seek;
};

static struct idx *run_stream(const char *name, struct pool *pl, size_t preload,
                              enum order order, size_t nops, struct mix mx, size_t vevery,
                              const struct idx_config *cfg, struct ref *r)
{
    struct idx *ix = idx_new(cfg);
    struct stream st = {name, 0, 0};
    size_t *perm = omk_malloc((pl->n ? pl->n : 1) * sizeof(size_t));
    int valid = 1;

    r->pl = pl;
    r->ix = omk_malloc((pl->n ? pl->n : 1) * sizeof(size_t));
    r->n = 0;
    for (size_t i = 0; i < pl->n; i++)
        perm[i] = i;
    /* The pool is sorted: pick the preload order. */
    if (order == ORD_RANDOM) {
        for (size_t i = pl->n; i > 1; i--) {
            size_t j = rnd_below(i), t = perm[i - 1];

            perm[i - 1] = perm[j];
            perm[j] = t;
        }
    } else if (order == ORD_DESC) {
        for (size_t i = 0; i < pl->n; i++)
            perm[i] = pl->n - 1 - i;
    } else if (order == ORD_SAW) {
        size_t tooth = 1000, k = 0;

        for (size_t base = 0; base < pl->n; base += tooth)
            for (size_t i = base + tooth; i-- > base;)
                if (i < pl->n)
                    perm[k++] = i;
    } else if (order == ORD_RUNS) {
        /* The sorted pool cut in RUN_SEQS parts, each inserted ascending, in turn: only
         * the last part's keys go past the last key of the index. */
        size_t part = (pl->n + RUN_SEQS - 1) / RUN_SEQS, k = 0;

        for (size_t i = 0; i < part; i++)
            for (size_t q = 0; q < RUN_SEQS; q++)
                if (q * part + i < pl->n)
                    perm[k++] = q * part + i;
    }
    if (preload > pl->n)
        preload = pl->n;
    for (size_t i = 0; i < preload; i++) {
        op_insert(ix, r, perm[i], &st);
        if (++st.ops % vevery == 0 && valid)
            valid = check_valid(ix, &st);
    }
    for (size_t o = 0; o < nops; o++) {
        size_t i = rnd_below(pl->n), t = rnd_below(100);

        if (t < (size_t)mx.ins)
            op_insert(ix, r, i, &st);
        else if (t < (size_t)(mx.ins + mx.del))
            op_delete(ix, r, i, &st);
        else if (t < (size_t)(mx.ins + mx.del + mx.find))
            op_find(ix, r, i, &st);
        else
            op_seek(ix, r, i, 1 + rnd_below(20), &st);
        if (++st.ops % vevery == 0 && valid)
            valid = check_valid(ix, &st);
    }
    if (valid)
        valid = check_valid(ix, &st);
    check_walk(ix, r, &st);
    ok(st.fails == 0 && valid, "%s: %zu ops, %zu keys, no mismatch, validates", name, st.ops,
       r->n);
    omk_free(perm);
    return ix;
}

static void ref_free(struct ref *r)
{
    omk_free(r->ix);
    r->ix = NULL;
}

static void stats_diag(const char *name, struct idx *ix)
{
    struct idx_stats s;

    idx_stats_get(ix, &s);
    diag("%s: keys %zu depth %zu model %zu data %zu index %.1f B/key entry %.1f B/key "
         "exp %llu side %llu down %llu retrain %llu rebuild %llu contract %llu merge %llu "
         "runs %llu steps %.2f",
         name, s.keys, s.depth, s.model_nodes, s.data_nodes,
         s.keys ? (double)s.index_bytes / (double)s.keys : 0.0,
         s.keys ? (double)s.entry_bytes / (double)s.keys : 0.0,
         (unsigned long long)s.expansions, (unsigned long long)s.splits_sideways,
         (unsigned long long)s.splits_down, (unsigned long long)s.retrains,
         (unsigned long long)s.rebuilds, (unsigned long long)s.contractions,
         (unsigned long long)s.merges, (unsigned long long)s.run_leaves, s.avg_search_steps);
}

static size_t N;        /* base size of the streams (100k, or 1M with OMK_SLOW) */
static size_t VEVERY;   /* validate every this many ops */

static void test_keysets(void)
{
    struct mix mx = {40, 20, 25, 15};

    for (int ks = 0; ks < KS_COUNT; ks++) {
        struct pool pl = {0};
        struct ref r;
        struct idx *ix;
        size_t n = N / 2;
        char name[64];

        pool_gen(&pl, (enum keyset)ks, ks == KS_LONGPREFIX ? n / 4 : n);
        snprintf(name, sizeof(name), "random %s", ks_name[ks]);
        ix = run_stream(name, &pl, pl.n / 2, ORD_RANDOM, pl.n / 2, mx, VEVERY, NULL, &r);
        stats_diag(name, ix);
        idx_free(ix, NULL);
        ref_free(&r);
        pool_free(&pl);
    }
}

static void test_small_leaves(void)
{
    struct idx_config cfg = {.max_leaf_slots = 256};
    struct mix mx = {45, 25, 15, 15};
    struct pool pl = {0};
    struct ref r;
    struct idx *ix;

    pool_gen(&pl, KS_USER, N / 5);
    ix = run_stream("user ids, 256-slot leaves", &pl, pl.n / 2, ORD_RANDOM, pl.n, mx, VEVERY,
                    &cfg, &r);
    stats_diag("256-slot leaves", ix);
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

/* Small leaves over keys with long shared prefixes make deep trees: the subtrees that
 * doubled get rebuilt under the stream's checks. */
static void test_deep_rebuilds(void)
{
    struct idx_config cfg = {.max_leaf_slots = 256};
    struct mix mx = {85, 5, 5, 5};
    struct pool pl = {0};
    struct ref r;
    struct idx *ix;
    struct idx_stats st;

    pool_gen(&pl, KS_SLUG, N);
    ix = run_stream("slug URLs, 256-slot leaves", &pl, pl.n / 16, ORD_RANDOM, pl.n, mx, VEVERY,
                    &cfg, &r);
    stats_diag("slug URLs, 256-slot leaves", ix);
    idx_stats_get(ix, &st);
    ok(st.rebuilds > 0, "deep subtrees were rebuilt (%llu times; depth now %zu)",
       (unsigned long long)st.rebuilds, st.depth);
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

static void test_orders(void)
{
    struct mix mx = {30, 20, 30, 20};
    static const char *const oname[] = {"random", "ascending", "descending", "sawtooth"};

    for (int o = ORD_ASC; o <= ORD_SAW; o++) {
        struct pool pl = {0};
        struct ref r;
        struct idx *ix;
        struct idx_stats s;
        char name[64], buf[32];

        for (size_t i = 0; i < N; i++)
            pool_add(&pl, buf, (size_t)sprintf(buf, "key:%012zu", i * 7));
        snprintf(name, sizeof(name), "%s key:%%012d", oname[o]);
        ix = run_stream(name, &pl, pl.n, (enum order)o, N / 10, mx, VEVERY * 10, NULL, &r);
        idx_stats_get(ix, &s);
        stats_diag(name, ix);
        ok(s.depth <= 6, "%s: depth %zu stays small", name, s.depth);
        idx_free(ix, NULL);
        ref_free(&r);
        pool_free(&pl);
    }
}

/* ---- 3. runs at the edges (index/alex_append.c) ---- */

/* Ascending and descending inserts of every key set, then mixed operations: the index
 * validates all along and stays shallow, and ascending runs go to leaves made for them
 * (descending ones go the usual way: see alex_append.c). */
static void test_runs(void)
{
    struct mix mx = {30, 20, 30, 20};

    for (int ks = 0; ks < KS_COUNT; ks++) {
        for (int o = ORD_ASC; o <= ORD_DESC; o++) {
            struct pool pl = {0};
            struct ref r;
            struct idx *ix;
            struct idx_stats s;
            char name[80];

            pool_gen(&pl, (enum keyset)ks, ks == KS_LONGPREFIX ? N / 8 : N / 2);
            snprintf(name, sizeof(name), "%s %s", o == ORD_ASC ? "ascending" : "descending",
                     ks_name[ks]);
            ix = run_stream(name, &pl, pl.n, (enum order)o, pl.n / 10, mx, VEVERY, NULL, &r);
            idx_stats_get(ix, &s);
            stats_diag(name, ix);
            if (o == ORD_ASC)
                ok(s.run_leaves > 0, "%s: %llu run leaves opened", name,
                   (unsigned long long)s.run_leaves);
            ok(s.depth <= 12, "%s: depth %zu bounded", name, s.depth);
            idx_free(ix, NULL);
            ref_free(&r);
            pool_free(&pl);
        }
    }
}

/* Redis-benchmark's keys in ascending order: the run takes few search steps, moves no
 * key, little memory, and leaves lookups as good as a bulk load's (steps, depth). */
static void test_run_cost(void)
{
    struct idx *ix = idx_new(NULL);
    struct idx_stats s;
    char buf[32];
    size_t n = N * 2, found = 0;
    int dup = 0;

    for (size_t i = 0; i < n; i++) {
        struct idx_entry *e;

        dup |= idx_insert(ix, buf, (size_t)sprintf(buf, "key:%012zu", 2 * i), &e) != IDX_OK;
    }
    idx_stats_get(ix, &s);
    stats_diag("ascending key:%012d, cost", ix);
    ok(!dup && idx_validate(ix, NULL, 0) == 0, "ascending %zu keys: inserted, valid", n);
    ok(s.avg_search_steps < 1.5, "ascending: %.2f search steps per insert", s.avg_search_steps);
    ok(s.expansions == 0 && s.retrains <= 2 && s.rebuilds == 0,
       "ascending: no expansion, retrain or rebuild (%llu, %llu, %llu)",
       (unsigned long long)s.expansions, (unsigned long long)s.retrains,
       (unsigned long long)s.rebuilds);
    ok((double)s.index_bytes / (double)n < 28.0, "ascending: index %.1f B/key",
       (double)s.index_bytes / (double)n);
    ok(s.depth <= 4, "ascending: depth %zu", s.depth);
    for (size_t i = 0; i < 2 * n; i++) {
        struct idx_entry *e = idx_find(ix, buf, (size_t)sprintf(buf, "key:%012zu", i));

        found += e != NULL && (i % 2 == 0);
        found -= e != NULL && (i % 2 == 1);
    }
    is_int(found, n, "ascending: every key found, no miss found");
    idx_free(ix, NULL);
}

/* Several sequences appended in turn (only one runs past the last key), with deletes;
 * then the same over 256-slot leaves. */
static void test_run_interleaved(void)
{
    struct mix mx = {40, 25, 20, 15};
    struct idx_config small = {.max_leaf_slots = 256};
    const int sets[] = {KS_NUM, KS_URL, KS_UUID};

    for (size_t i = 0; i < OMK_ARRAY_LEN(sets); i++) {
        struct pool pl = {0};
        struct ref r;
        struct idx *ix;
        char name[80];

        pool_gen(&pl, (enum keyset)sets[i], N / 2);
        snprintf(name, sizeof(name), "%d interleaved runs of %s", RUN_SEQS, ks_name[sets[i]]);
        ix = run_stream(name, &pl, pl.n, ORD_RUNS, pl.n / 5, mx, VEVERY, NULL, &r);
        stats_diag(name, ix);
        idx_free(ix, NULL);
        ref_free(&r);
        snprintf(name, sizeof(name), "ascending %s, 256-slot leaves", ks_name[sets[i]]);
        ix = run_stream(name, &pl, pl.n, ORD_ASC, pl.n / 5, mx, VEVERY, &small, &r);
        stats_diag(name, ix);
        idx_free(ix, NULL);
        ref_free(&r);
        pool_free(&pl);
    }
}

/* Time-ordered keys with expiry: each insert past the last key, the oldest key deleted
 * once W are present; then deletes at the run's own end (the run's edge moves back) and
 * appends again. Memory follows the window. */
static void test_run_window(void)
{
    struct pool pl = {0};
    struct ref r = {&pl, NULL, 0};
    struct stream st = {"sliding window", 0, 0};
    struct idx *ix = idx_new(NULL);
    struct idx_stats s;
    size_t w = N / 10, i, k = 0;
    int valid = 1;
    char buf[64];

    for (i = 0; i < 2 * N; i++)
        pool_add(&pl, buf, (size_t)sprintf(buf, "log:2026-12-%02zu:%010zu", 1 + i / 100000, i));
    r.ix = omk_malloc(pl.n * sizeof(size_t));
    for (i = 0; i < pl.n; i++) {
        op_insert(ix, &r, i, &st);
        if (i >= w)
            op_delete(ix, &r, i - w, &st);
        if (i % 97 == 0)
            op_find(ix, &r, rnd_below(i + 1), &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    idx_stats_get(ix, &s);
    stats_diag("sliding window", ix);
    ok(valid && st.fails == 0 && idx_count(ix) == w, "sliding window of %zu over %zu appends: "
       "correct and valid", w, pl.n);
    ok(s.run_leaves > 0 && s.merges > 0, "sliding window: run leaves opened (%llu), emptied "
       "ones merged (%llu)", (unsigned long long)s.run_leaves, (unsigned long long)s.merges);
    ok((double)s.index_bytes / (double)w < 64.0, "sliding window: index %.1f B per live key",
       (double)s.index_bytes / (double)w);

    /* Deletes at the end of the run, then appends: the last keys come and go. */
    for (i = 0; i < 20000; i++) {
        size_t top = r.ix[r.n - 1];

        if (rnd_below(3) == 0) {
            op_delete(ix, &r, top - rnd_below(3), &st);
        } else {
            for (k = top + 1; k < pl.n && k <= top + 3; k++)
                op_insert(ix, &r, k, &st);
        }
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
        if (r.ix[r.n - 1] >= pl.n - 4)
            break;
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    ok(valid && st.fails == 0, "deletes and appends at the run's end: correct and valid");
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

/* A restart (bulk load of sorted keys), then time-ordered writes past the last key and
 * before the first, then mixed operations. */
static void test_run_after_bulk_load(void)
{
    struct pool pl = {0};
    struct ref r;
    struct stream st = {"bulk load then runs", 0, 0};
    struct idx *ix = idx_new(NULL);
    struct idx_entry **ents;
    struct idx_stats s;
    struct mix mx = {40, 30, 15, 15};
    size_t lo, hi, i;
    int valid = 1;

    pool_gen(&pl, KS_USER, N);
    lo = pl.n / 4;
    hi = pl.n / 2;
    ents = omk_malloc((hi - lo) * sizeof(*ents));
    r.pl = &pl;
    r.ix = omk_malloc(pl.n * sizeof(size_t));
    r.n = 0;
    for (i = lo; i < hi; i++) {
        ents[i - lo] = idx_entry_new(pl.k[i].p, pl.k[i].len);
        ents[i - lo]->loc = i;
        r.ix[r.n++] = i;
    }
    is_int(idx_bulk_load(ix, ents, hi - lo), IDX_OK, "bulk load of %zu keys", hi - lo);
    for (i = hi; i < pl.n; i++) {
        op_insert(ix, &r, i, &st);
        if (lo > 0 && i % 2 == 0)
            op_insert(ix, &r, --lo, &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    for (size_t o = 0; o < N / 4; o++) {
        size_t t = rnd_below(100);

        i = rnd_below(pl.n);
        if (t < (size_t)mx.ins)
            op_insert(ix, &r, i, &st);
        else if (t < (size_t)(mx.ins + mx.del))
            op_delete(ix, &r, i, &st);
        else
            op_find(ix, &r, i, &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    idx_stats_get(ix, &s);
    stats_diag("bulk load then runs", ix);
    ok(valid && st.fails == 0, "bulk load, appends and prepends, mixed ops: correct and valid");
    ok(s.run_leaves > 0, "bulk load then runs: %llu run leaves opened",
       (unsigned long long)s.run_leaves);
    omk_free(ents);
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

/* The pool of full-size slot arrays (index/leaf_mem.c): arrays are distinct, whole, and
 * come back for reuse. */
static void test_leaf_mem(void)
{
    enum { K = 5 };
    void *a[K], *b[K];
    int distinct = 1, reused = 0;
    size_t base = idx_entry_arena_bytes(), big = LEAF_MEM_BIG_SLOTS * sizeof(struct alex_slot);

    for (int i = 0; i < K; i++) {
        a[i] = leaf_mem_big_alloc();
        memset(a[i], i, LEAF_MEM_BIG_SLOTS * sizeof(struct alex_slot));
    }
    ok(idx_entry_arena_bytes() - base == (entry_arena_enabled() ? K * big : 0),
       "leaf_mem: arrays in use count as memory mallinfo misses");
    for (int i = 0; i < K; i++)
        for (int j = 0; j < i; j++)
            distinct &= a[i] != a[j] && ((const char *)a[j])[0] == (char)j &&
                        ((const char *)a[j])[LEAF_MEM_BIG_SLOTS * sizeof(struct alex_slot) - 1] ==
                            (char)j;
    ok(distinct, "leaf_mem: %d arrays of %d slots, distinct and whole", K, LEAF_MEM_BIG_SLOTS);
    for (int i = 0; i < K; i++)
        leaf_mem_big_free(a[i]);
    for (int i = 0; i < K; i++) {
        b[i] = leaf_mem_big_alloc();
        for (int j = 0; j < K; j++)
            reused += b[i] == a[j];
    }
    ok(!entry_arena_enabled() || reused == K, "leaf_mem: freed arrays come back (%d of %d)",
       reused, K);
    for (int i = 0; i < K; i++)
        leaf_mem_big_free(b[i]);
    leaf_mem_big_free(NULL);
    ok(idx_entry_arena_bytes() == base, "leaf_mem: freed arrays no longer count");
}

static void test_adversarial(void)
{
    struct mix mx = {40, 30, 15, 15};
    struct pool pl = {0};
    struct ref r;
    struct idx *ix;
    struct idx_stats s;
    char buf[1100];

    /* The empty key, all 256 one-byte keys, and NUL/0xFF-heavy two-byte keys. */
    pool_add(&pl, "", 0);
    for (int b = 0; b < 256; b++) {
        buf[0] = (char)b;
        pool_add(&pl, buf, 1);
    }
    for (int b = 0; b < 256; b += 15) {
        buf[0] = (char)b;
        buf[1] = 0;
        pool_add(&pl, buf, 2);
        buf[1] = (char)0xff;
        pool_add(&pl, buf, 2);
    }
    pool_uniq(&pl);
    ix = run_stream("one-byte keys and the empty key", &pl, pl.n, ORD_RANDOM, 20000, mx, 500,
                    NULL, &r);
    ok((idx_find(ix, "", 0) != NULL) == (r.n > 0 && r.ix[0] == 0),
       "the empty key is found exactly when present");
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);

    /* Prefix chain "a", "aa", ..., 1000 'a's in three orders. */
    memset(buf, 'a', sizeof(buf));
    for (int o = ORD_RANDOM; o <= ORD_DESC; o++) {
        for (size_t i = 1; i <= 1000; i++)
            pool_add(&pl, buf, i);
        ix = run_stream("prefix chain a..a^1000", &pl, pl.n, (enum order)o, 5000, mx, 1000,
                        NULL, &r);
        idx_stats_get(ix, &s);
        ok(s.depth <= 70, "prefix chain: depth %zu bounded", s.depth);
        idx_free(ix, NULL);
        ref_free(&r);
        pool_free(&pl);
    }

    /* A few 512 KB keys, some differing only in their last byte. */
    {
        size_t big = 512 * 1024;
        char *k = omk_malloc(big);

        for (int i = 0; i < 6; i++) {
            for (size_t j = 0; j < big; j++)
                k[j] = (char)(i < 3 ? 'x' : rnd());
            k[big - 1] = (char)i;
            pool_add(&pl, k, big);
        }
        pool_add(&pl, k, 10);
        pool_add(&pl, "x", 1);
        omk_free(k);
        pool_uniq(&pl);
        ix = run_stream("512 KB keys", &pl, pl.n, ORD_RANDOM, 200, mx, 10, NULL, &r);
        idx_free(ix, NULL);
        ref_free(&r);
        pool_free(&pl);
    }

    /* 200-byte shared prefixes, inserted ascending (long ties under short anchors). */
    pool_gen(&pl, KS_LONGPREFIX, N / 5);
    ix = run_stream("200-byte prefixes ascending", &pl, pl.n, ORD_ASC, N / 5, mx, VEVERY, NULL,
                    &r);
    stats_diag("200-byte prefixes", ix);
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);

    /* Binary keys with NULs and 0xFF. */
    pool_gen(&pl, KS_BIN, N / 5);
    ix = run_stream("binary keys", &pl, pl.n / 2, ORD_RANDOM, N / 5, mx, VEVERY, NULL, &r);
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

/* Delete 90% at random, reinsert, then delete everything. */
static void test_deletes(void)
{
    struct pool pl = {0};
    struct ref r;
    struct idx *ix;
    struct idx_stats s0, s1, s2;
    struct stream st = {"deletes", 0, 0};
    struct mix none = {0, 0, 100, 0};
    int valid = 1;

    pool_gen(&pl, KS_NUM, N);
    ix = run_stream("deletes: load", &pl, pl.n, ORD_RANDOM, 0, none, VEVERY * 10, NULL, &r);
    idx_stats_get(ix, &s0);

    size_t *perm = omk_malloc(pl.n * sizeof(size_t));

    for (size_t i = 0; i < pl.n; i++)
        perm[i] = i;
    for (size_t i = pl.n; i > 1; i--) {
        size_t j = rnd_below(i), t = perm[i - 1];

        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < pl.n * 9 / 10; i++) {
        op_delete(ix, &r, perm[i], &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    idx_stats_get(ix, &s1);
    stats_diag("after 90% deletes", ix);
    ok(valid && st.fails == 0, "90%% random deletes: correct and valid");
    ok(s1.index_bytes < s0.index_bytes / 2, "90%% deletes: index memory shrinks (%zu -> %zu)",
       s0.index_bytes, s1.index_bytes);
    for (size_t i = 0; i < pl.n * 9 / 10; i++) {
        op_insert(ix, &r, perm[i], &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    ok(valid && st.fails == 0, "reinserts after deletes: correct and valid");
    for (size_t i = 0; i < pl.n; i++) {
        op_delete(ix, &r, perm[i], &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    idx_stats_get(ix, &s2);
    ok(valid && st.fails == 0 && idx_count(ix) == 0, "delete everything: empty and valid");
    ok(s2.depth == 1 && s2.model_nodes == 0 && s2.data_nodes == 1,
       "delete everything: the root collapsed to one leaf (depth %zu, %zu model nodes)",
       s2.depth, s2.model_nodes);
    ok(s2.index_bytes < 8192, "delete everything: memory shrank to %zu bytes", s2.index_bytes);
    ok(idx_random(ix, 1) == NULL, "idx_random on an empty index is NULL");
    omk_free(perm);
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

/* Bulk-load the sorted 'pl' into a new index whose builder prices every key of nodes up
 * to 'price_all' keys (0: the default, sampling bigger ones); entries' loc = position. */
static struct idx *bulk_index(const struct pool *pl, size_t price_all)
{
    struct idx *ix = idx_new(NULL);
    struct idx_entry **ents = omk_malloc(pl->n * sizeof(*ents));

    for (size_t i = 0; i < pl->n; i++) {
        ents[i] = idx_entry_new(pl->k[i].p, pl->k[i].len);
        ents[i]->loc = i;
    }
    ix->price_all = price_all;
    OMK_ASSERT(idx_bulk_load(ix, ents, pl->n) == IDX_OK);
    omk_free(ents);
    return ix;
}

/* Big nodes price their fanouts on a sample (alex_build.c, SAMPLED PRICING): on every
 * key shape the bulk-loaded index is valid and holds every key in order, and it is about
 * as good as the one that prices every key, by the cost model's own measure (20 per level
 * below the root plus the leaves' expected cost, per key) and in bytes. The bounds are
 * loose on purpose: where two fanouts cost about the same, or the search's stop rule
 * (two rises in a row) meets a near tie, the sample's noise may pick the other one, and
 * at 100k keys a root's pointer array alone is up to 5 B/key. */
static void test_bulk_sampled(void)
{
    const int sets[] = {KS_NUM, KS_USER, KS_UUID, KS_URL, KS_SLUG, KS_LONGPREFIX};

    for (size_t k = 0; k < OMK_ARRAY_LEN(sets); k++) {
        struct pool pl = {0};
        struct stream st = {"sampled bulk load", 0, 0};
        struct idx_stats ss, se;
        struct idx *sampled, *exact;
        struct ref r;
        char err[256];
        const char *name = ks_name[sets[k]];

        pool_gen(&pl, (enum keyset)sets[k], sets[k] == KS_LONGPREFIX ? N / 4 : N);
        sampled = bulk_index(&pl, 0);
        exact = bulk_index(&pl, SIZE_MAX);
        ok(idx_validate(sampled, err, sizeof(err)) == 0, "%s: sampled pricing, %zu keys: "
           "valid %s", name, pl.n, err);
        r.pl = &pl;
        r.n = pl.n;
        r.ix = omk_malloc(pl.n * sizeof(size_t));
        for (size_t i = 0; i < pl.n; i++)
            r.ix[i] = i;
        ok(check_walk(sampled, &r, &st) && st.fails == 0, "%s: walk equals the input", name);
        idx_stats_get(sampled, &ss);
        idx_stats_get(exact, &se);
        diag("%s: sampled %.3f levels/key, leaf cost %.2f, %.2f B/key, %zu+%zu nodes; "
             "exact %.3f, %.2f, %.2f B/key, %zu+%zu nodes", name, ss.avg_depth,
             ss.avg_leaf_cost, (double)ss.index_bytes / (double)pl.n, ss.model_nodes,
             ss.data_nodes, se.avg_depth, se.avg_leaf_cost,
             (double)se.index_bytes / (double)pl.n, se.model_nodes, se.data_nodes);
        ok(20 * (ss.avg_depth - 1) + ss.avg_leaf_cost <=
               (20 * (se.avg_depth - 1) + se.avg_leaf_cost) * 1.3 + 5 &&
           (double)ss.index_bytes <= (double)se.index_bytes * 1.3 + 2.0 * (double)pl.n,
           "%s: about as good as pricing every key", name);
        ref_free(&r);
        idx_free(sampled, NULL);
        idx_free(exact, NULL);
        pool_free(&pl);
    }
}

/* The leaves of 'ix' with more than 'slots' slots. */
static size_t leaves_over(const struct idx *ix, size_t slots)
{
    size_t over = 0;

    for (const struct alex_leaf *l = alex_leftmost_leaf(ix->root); l; l = l->next)
        over += l->cap > slots;
    return over;
}

/* BOUNDED INSERTS (alex.c, issue 25): with max_expand_slots at its smallest (256 slots)
 * a full leaf splits instead of expanding past it, so nearly every make-room is a split,
 * sideways or down. Streams of random inserts, deletes, finds and seeks on several key
 * shapes, then on a bulk-loaded index whose leaves are far over the bound (they are
 * split by the inserts, and their halves again): every answer matches the reference,
 * idx_validate passes every VEVERY operations, and a full walk equals the reference. */
static void test_bounded_inserts(void)
{
    const int sets[] = {KS_NUM, KS_UUID, KS_USER, KS_URL};
    struct idx_config cfg = {.max_expand_slots = 256};
    struct mix mx = {45, 25, 15, 15};

    for (size_t k = 0; k < OMK_ARRAY_LEN(sets); k++) {
        struct pool pl = {0};
        struct ref r;
        struct idx *ix;
        char name[96];

        pool_gen(&pl, (enum keyset)sets[k], N / 2);
        snprintf(name, sizeof(name), "bounded inserts (256 slots), random %s", ks_name[sets[k]]);
        ix = run_stream(name, &pl, pl.n / 2, ORD_RANDOM, pl.n, mx, VEVERY, &cfg, &r);
        stats_diag(name, ix);
        diag("%s: %zu leaves over 256 slots (made by retrains and rebuilds)", name,
             leaves_over(ix, 256));
        idx_free(ix, NULL);
        ref_free(&r);
        pool_free(&pl);
    }

    /* Bulk load every other key (big leaves), then insert the others in random order
     * and delete at random. */
    struct pool pl = {0};
    struct stream st = {"bounded inserts after a bulk load", 0, 0};
    struct idx *ix = idx_new(&cfg);
    struct idx_entry **ents;
    struct ref r = {&pl, NULL, 0};
    size_t half, big;
    int valid = 1;

    pool_gen(&pl, KS_NUM, N);
    half = (pl.n + 1) / 2;
    ents = omk_malloc(half * sizeof(*ents));
    r.ix = omk_malloc(pl.n * sizeof(size_t));
    for (size_t i = 0; i < pl.n; i += 2) {
        ents[r.n] = idx_entry_new(pl.k[i].p, pl.k[i].len);
        ents[r.n]->loc = i;
        r.ix[r.n++] = i;
    }
    ok(idx_bulk_load(ix, ents, r.n) == IDX_OK && check_valid(ix, &st),
       "bounded inserts: bulk load of %zu keys, valid", r.n);
    omk_free(ents);
    big = leaves_over(ix, 256);
    for (size_t o = 0; o < pl.n; o++) {
        size_t i = rnd_below(pl.n), t = rnd_below(100);

        if (t < 70)
            op_insert(ix, &r, (i | 1) < pl.n ? (i | 1) : i, &st); /* mostly new keys */
        else if (t < 85)
            op_delete(ix, &r, i, &st);
        else
            op_find(ix, &r, i, &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    if (valid)
        valid = check_valid(ix, &st);
    check_walk(ix, &r, &st);
    ok(st.fails == 0 && valid, "bounded inserts after a bulk load: %zu ops, %zu keys, no "
       "mismatch, validates", st.ops, r.n);
    stats_diag("bounded inserts after a bulk load", ix);
    diag("bounded inserts after a bulk load: leaves over 256 slots %zu before the inserts, "
         "%zu after", big, leaves_over(ix, 256));
    idx_free(ix, NULL);
    ref_free(&r);
    pool_free(&pl);
}

static void test_bulk_load(void)
{
    struct pool pl = {0};
    struct idx *ix = idx_new(NULL);
    struct idx_entry **ents;
    struct stream st = {"bulk load", 0, 0};
    struct ref r;
    struct mix mx = {40, 30, 15, 15};
    char err[256];
    int valid = 1;

    pool_gen(&pl, KS_URL, N / 2);
    ents = omk_malloc(pl.n * sizeof(*ents));
    for (size_t i = 0; i < pl.n; i++) {
        ents[i] = idx_entry_new(pl.k[i].p, pl.k[i].len);
        ents[i]->loc = i;
    }
    is_int(idx_bulk_load(ix, ents, pl.n), IDX_OK, "bulk load of %zu URL-like keys", pl.n);
    ok(idx_validate(ix, err, sizeof(err)) == 0, "bulk load validates %s", err);
    stats_diag("bulk load url", ix);
    r.pl = &pl;
    r.ix = omk_malloc(pl.n * sizeof(size_t));
    r.n = pl.n;
    for (size_t i = 0; i < pl.n; i++)
        r.ix[i] = i;
    ok(check_walk(ix, &r, &st), "bulk load: walk equals the input");
    is_int(idx_bulk_load(ix, ents, 1), IDX_EXISTS, "bulk load refuses a non-empty index");
    for (size_t o = 0; o < N / 2; o++) {
        size_t i = rnd_below(pl.n), t = rnd_below(100);

        if (t < (size_t)mx.ins)
            op_insert(ix, &r, i, &st);
        else if (t < (size_t)(mx.ins + mx.del))
            op_delete(ix, &r, i, &st);
        else if (t < (size_t)(mx.ins + mx.del + mx.find))
            op_find(ix, &r, i, &st);
        else
            op_seek(ix, &r, i, 10, &st);
        if (++st.ops % VEVERY == 0 && valid)
            valid = check_valid(ix, &st);
    }
    valid = valid && check_valid(ix, &st) && check_walk(ix, &r, &st);
    ok(valid && st.fails == 0, "bulk load then mixed ops: correct and valid");
    stats_diag("bulk load + mixed", ix);

    /* idx_random returns present keys, spread over the set. */
    {
        size_t distinct = 0, tries = 20000, bad = 0;
        unsigned char *seen = omk_calloc(pl.n, 1);

        for (size_t t = 0; t < tries; t++) {
            struct idx_entry *e = idx_random(ix, rnd());

            if (!e || idx_find(ix, idx_entry_key(e), idx_entry_klen(e)) != e)
                bad++;
            else if (!seen[e->loc]++)
                distinct++;
        }
        is_int(bad, 0, "idx_random returns present entries");
        ok(distinct > tries / 2, "idx_random spreads (%zu distinct of %zu)", distinct, tries);
        omk_free(seen);
    }
    idx_clear(ix, NULL);
    ok(idx_count(ix) == 0 && idx_validate(ix, err, sizeof(err)) == 0, "idx_clear empties");
    {
        struct idx_entry *e;

        is_int(idx_insert(ix, "again", 5, &e), IDX_OK, "index reusable after idx_clear");
    }
    idx_free(ix, NULL);
    omk_free(ents);
    ref_free(&r);
    pool_free(&pl);
}

/* ---- key lengths around the entry's 16-bit length (index.h, LAYOUT) ----
 * Keys of 0, 1, 16, 65534, 65535 (the escape value), 65536 bytes and 1 MB, long ones
 * sharing prefixes with each other and with short neighbours, so that their order rests on
 * the lengths and on the last bytes. */

/* The pool of special keys plus 'fill' short ones, sorted and unique. */
static void pool_lengths(struct pool *pl, size_t fill)
{
    static const size_t lens[] = {0, 1, 16, 65534, 65535, 65536, (size_t)1 << 20};
    size_t max = (size_t)1 << 20;
    char *b = omk_malloc(max + 1);

    memset(b, 'x', max + 1);
    for (size_t i = 0; i < OMK_ARRAY_LEN(lens); i++) {
        pool_add(pl, b, lens[i]);  /* x...x: each a prefix of the next */
        if (lens[i] > 0) {
            b[lens[i] - 1] = 'y';  /* same length, larger last byte */
            pool_add(pl, b, lens[i]);
            b[lens[i] - 1] = '\0'; /* same length, smaller last byte */
            pool_add(pl, b, lens[i]);
            b[lens[i] - 1] = 'x';
        }
    }
    for (size_t i = 0; i < fill; i++) {
        char k[32];
        int n = i % 2 ? snprintf(k, sizeof(k), "key:%012zu", i * 7919)
                      : snprintf(k, sizeof(k), "xxxx%zu", i); /* next to the long keys */

        pool_add(pl, k, (size_t)n);
    }
    omk_free(b);
    pool_uniq(pl);
}

/* Whether 'e' is the entry of pool key 'k' tagged 'tag' in 'loc'. */
static int entry_of(const struct idx_entry *e, const struct key *k, size_t tag)
{
    return e && idx_entry_klen(e) == k->len && memcmp(idx_entry_key(e), k->p, k->len) == 0 &&
           e->loc == tag;
}

/* Walk 'ix' from the start: its keys are those of 'pl' at 'present' (tagged i). */
static int walk_is(const struct idx *ix, const struct pool *pl, const unsigned char *present)
{
    struct idx_iter it;
    struct idx_entry *e;
    size_t i = 0;

    idx_seek(ix, NULL, 0, &it);
    while ((e = idx_iter_next(&it)) != NULL) {
        while (i < pl->n && !present[i])
            i++;
        if (i == pl->n || !entry_of(e, &pl->k[i], i))
            return 0;
        i++;
    }
    while (i < pl->n && !present[i])
        i++;
    return i == pl->n;
}

/* Whether the index's entry_bytes is the sum of idx_entry_size over the keys present. */
static int bytes_are(const struct idx *ix, const struct pool *pl, const unsigned char *present)
{
    struct idx_stats st;
    size_t sum = 0;

    idx_stats_get(ix, &st);
    for (size_t i = 0; i < pl->n; i++) {
        if (present[i]) {
            struct idx_entry *e = idx_find(ix, pl->k[i].p, pl->k[i].len);

            if (!e)
                return 0;
            sum += idx_entry_size(e);
        }
    }
    return st.entry_bytes == sum;
}

/* Delete keys 0, 'step', 2 * 'step', ... of 'pl' from 'ix', clearing them in 'present':
 * how many were missing or handed back an entry other than theirs (tagged with their
 * number). */
static int delete_every(struct idx *ix, const struct pool *pl, unsigned char *present,
                        size_t step)
{
    struct idx_entry *e;
    int bad = 0;

    for (size_t i = 0; i < pl->n; i += step) {
        if (idx_delete(ix, pl->k[i].p, pl->k[i].len, &e) == IDX_OK) {
            bad += !entry_of(e, &pl->k[i], i);
            idx_entry_free(e);
        } else {
            bad++;
        }
        present[i] = 0;
    }
    return bad;
}

static void test_key_lengths(void)
{
    struct pool pl = {0};
    struct idx *ix = idx_new(NULL);
    struct idx_entry **ents, *e;
    unsigned char *present;
    size_t *order, nsp = 0, bad = 0;
    char err[256];

    pool_lengths(&pl, 2000);
    present = omk_calloc(pl.n, 1);
    order = omk_malloc(pl.n * sizeof(*order));
    for (size_t i = 0; i < pl.n; i++) {
        order[i] = i;
        nsp += pl.k[i].len < 2 || pl.k[i].len == 16 || pl.k[i].len > 65000;
    }
    for (size_t i = pl.n - 1; i > 0; i--) { /* shuffle the insert order */
        size_t j = rnd_below(i + 1), t = order[i];

        order[i] = order[j];
        order[j] = t;
    }
    for (size_t o = 0; o < pl.n; o++) {
        size_t i = order[o];

        if (idx_insert(ix, pl.k[i].p, pl.k[i].len, &e) != IDX_OK || !entry_of(e, &pl.k[i], 0))
            bad++;
        else
            e->loc = i;
        present[i] = 1;
    }
    is_int(bad, 0, "insert %zu keys, %zu of them of 0, 1, 16, 65534-65536 bytes or 1 MB", pl.n,
           nsp);
    ok(idx_validate(ix, err, sizeof(err)) == IDX_OK, "and the index validates %s", err);
    for (size_t i = 0; i < pl.n; i++) {
        bad += !entry_of(idx_find(ix, pl.k[i].p, pl.k[i].len), &pl.k[i], i);
        bad += idx_insert(ix, pl.k[i].p, pl.k[i].len, &e) != IDX_EXISTS ||
               !entry_of(e, &pl.k[i], i);
        if (pl.k[i].len > 0) {  /* a key one byte shorter is another key (or absent) */
            e = idx_find(ix, pl.k[i].p, pl.k[i].len - 1);
            bad += e != NULL && idx_entry_klen(e) != pl.k[i].len - 1;
        }
    }
    is_int(bad, 0, "each is found with its length and bytes; inserting it again finds it");
    ok(walk_is(ix, &pl, present), "a walk gives them in order, long ones by length and bytes");
    for (size_t i = 0; i < pl.n; i++) {
        struct idx_iter it;

        idx_seek(ix, pl.k[i].p, pl.k[i].len, &it);
        bad += pl.k[i].len > 0 && !entry_of(idx_iter_next(&it), &pl.k[i], i);
    }
    is_int(bad, 0, "idx_seek to each key lands on it");
    ok(bytes_are(ix, &pl, present), "entry_bytes is the sum of the entries' sizes");
    {
        /* An escaped length under 65535 is a corrupt entry: idx_validate says so. */
        char *x = omk_malloc(65536);
        uint32_t real, fake = 100;

        memset(x, 'x', 65536);
        e = idx_find(ix, x, 65536);
        memcpy(&real, e->kdata, sizeof(real));
        memcpy(e->kdata, &fake, sizeof(fake));
        ok(idx_validate(ix, err, sizeof(err)) == IDX_ERR_CORRUPT && strstr(err, "escaped"),
           "idx_validate catches an escaped length under 65535: %s", err);
        memcpy(e->kdata, &real, sizeof(real));
        ok(idx_validate(ix, err, sizeof(err)) == IDX_OK, "and passes once it is restored %s",
           err);
        omk_free(x);
    }
    bad += delete_every(ix, &pl, present, 2);
    is_int(bad, 0, "delete every other key: each hands back its entry");
    ok(idx_validate(ix, err, sizeof(err)) == IDX_OK && walk_is(ix, &pl, present) &&
       bytes_are(ix, &pl, present), "valid, walk and entry_bytes right after the deletes %s", err);
    for (size_t i = 0; i < pl.n; i++)
        bad += (idx_find(ix, pl.k[i].p, pl.k[i].len) != NULL) != present[i];
    is_int(bad, 0, "the deleted keys are gone, the others found");
    for (size_t i = 1; i < pl.n; i += 2) {
        if (idx_delete(ix, pl.k[i].p, pl.k[i].len, &e) == IDX_OK)
            idx_entry_free(e);
        else
            bad++;
        present[i] = 0;
    }
    ok(bad == 0 && idx_count(ix) == 0 && idx_validate(ix, err, sizeof(err)) == IDX_OK,
       "delete the rest: empty and valid %s", err);

    /* The same keys bulk-loaded. */
    ents = omk_malloc(pl.n * sizeof(*ents));
    for (size_t i = 0; i < pl.n; i++) {
        ents[i] = idx_entry_new(pl.k[i].p, pl.k[i].len);
        ents[i]->loc = i;
        present[i] = 1;
    }
    is_int(idx_bulk_load(ix, ents, pl.n), IDX_OK, "bulk load of the same %zu keys", pl.n);
    ok(idx_validate(ix, err, sizeof(err)) == IDX_OK, "bulk load validates %s", err);
    for (size_t i = 0; i < pl.n; i++)
        bad += !entry_of(idx_find(ix, pl.k[i].p, pl.k[i].len), &pl.k[i], i);
    ok(bad == 0 && walk_is(ix, &pl, present) && bytes_are(ix, &pl, present),
       "after the bulk load each is found, the walk is in order, entry_bytes right");
    bad += delete_every(ix, &pl, present, 3);
    ok(bad == 0 && idx_validate(ix, err, sizeof(err)) == IDX_OK && walk_is(ix, &pl, present) &&
       bytes_are(ix, &pl, present), "a third deleted after the bulk load: valid %s", err);
    idx_free(ix, NULL);
    omk_free(ents);
    omk_free(order);
    omk_free(present);
    pool_free(&pl);
}

int main(void)
{
    const char *seed_s = getenv("OMK_SEED"), *slow = getenv("OMK_SLOW");
    uint64_t seed = seed_s ? strtoull(seed_s, NULL, 10) : (uint64_t)time(NULL);

    rng_state = seed;
    diag("seed %llu (rerun with OMK_SEED=%llu)", (unsigned long long)seed,
         (unsigned long long)seed);
    N = slow && *slow == '1' ? 1000000 : 100000;
    VEVERY = slow && *slow == '1' ? 20000 : 1000;
    test_keycode();
    test_keysets();
    test_small_leaves();
    test_deep_rebuilds();
    test_orders();
    test_runs();
    test_run_cost();
    test_run_interleaved();
    test_run_window();
    test_run_after_bulk_load();
    test_leaf_mem();
    test_adversarial();
    test_deletes();
    test_bounded_inserts();
    test_bulk_load();
    test_bulk_sampled();
    test_key_lengths();
    return tap_done();
}
