/* test_zrank.c - the order-statistic structure of large sorted sets and its registry
 * (store/zrank.c). The test plays the owner of zrank.h: it keeps the index as a sorted
 * array of keys (random lengths, prefixes of each other, the empty key among them),
 * tells the structure every insert and remove, answers its split requests from the
 * array as a RocksDB walk would, and checks every find and at answer against the array
 * and against the boundaries the structure reports. Then the registry: the budget, LRU
 * order, pinning, drops, and four threads sharing one registry (also run under TSan). */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/zrank.h"
#include "tests/tap.h"

/* ---- The reference: the index as a sorted array ------------------------------------- */

#define TZ_MAXKEY 12 /* longest random key (bytes) */

struct tz_key {
    size_t len;
    char p[TZ_MAXKEY];
};

struct tz_ref {
    struct tz_key *keys; /* ascending, distinct */
    size_t n;
    size_t cap;
};

static uint64_t tz_rng = 0x2545F4914F6CDD1DULL;

/* xorshift64*: a fixed sequence, so a failure reproduces. */
static uint64_t tz_rand(void)
{
    tz_rng ^= tz_rng >> 12;
    tz_rng ^= tz_rng << 25;
    tz_rng ^= tz_rng >> 27;
    return tz_rng * 0x2545F4914F6CDD1DULL;
}

/* A random key of 0..TZ_MAXKEY bytes over four byte values (0x00 and 0xff among them), so
 * keys are often prefixes of each other and the empty key comes up. */
static void tz_key_random(struct tz_key *k)
{
    static const char alphabet[] = {'\0', 'a', 'b', '\xff'};

    k->len = 3 + tz_rand() % (TZ_MAXKEY - 2);
    if (tz_rand() % 8 == 0)
        k->len = tz_rand() % 3; /* short keys too */
    for (size_t i = 0; i < k->len; i++)
        k->p[i] = alphabet[tz_rand() % 4];
}

static int tz_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* The number of reference keys sorting before 'p'/'len'. */
static size_t tz_lower(const struct tz_ref *ref, const char *p, size_t len)
{
    size_t lo = 0, hi = ref->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (tz_cmp(ref->keys[mid].p, ref->keys[mid].len, p, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int tz_has(const struct tz_ref *ref, const struct tz_key *k, size_t *at)
{
    *at = tz_lower(ref, k->p, k->len);
    return *at < ref->n && tz_cmp(ref->keys[*at].p, ref->keys[*at].len, k->p, k->len) == 0;
}

static void tz_ref_insert(struct tz_ref *ref, size_t at, const struct tz_key *k)
{
    if (ref->n == ref->cap) {
        ref->cap = ref->cap ? ref->cap * 2 : 256;
        ref->keys = omk_realloc(ref->keys, ref->cap * sizeof(*ref->keys));
    }
    memmove(&ref->keys[at + 1], &ref->keys[at], (ref->n - at) * sizeof(*ref->keys));
    ref->keys[at] = *k;
    ref->n++;
}

static void tz_ref_remove(struct tz_ref *ref, size_t at)
{
    memmove(&ref->keys[at], &ref->keys[at + 1], (ref->n - at - 1) * sizeof(*ref->keys));
    ref->n--;
}

/* ---- Playing the owner --------------------------------------------------------------- */

/* The first fault of a phase, kept for one diag line (later faults only count). */
static char tz_fault[256];
static unsigned long tz_faults;

__attribute__((format(printf, 1, 2))) static void tz_fail(const char *fmt, ...)
{
    va_list ap;

    if (tz_faults++ == 0) {
        va_start(ap, fmt);
        vsnprintf(tz_fault, sizeof(tz_fault), fmt, ap);
        va_end(ap);
    }
}

/* Report the phase 'what' as one assertion: no fault since the last report. */
static void tz_report(const char *what)
{
    if (!ok(tz_faults == 0, "%s", what))
        diag("  %lu faults; first: %s", tz_faults, tz_fault);
    tz_faults = 0;
}

/* Tell 'z' that key 'p'/'len' left the index; it must agree. */
static void tz_remove(struct zrank *z, const char *p, size_t len)
{
    if (zrank_remove(z, p, len) != ZRANK_OK)
        tz_fail("remove of a %zu-byte key refused", len);
}

/* Add 'k' (absent, to go at 'at') to the index and tell 'z'; when it asks, split the
 * block at its middle key, found by "walking" the reference from the block's first key. */
static void tz_insert(struct zrank *z, struct tz_ref *ref, size_t at, const struct tz_key *k,
                      unsigned long *splits)
{
    const char *bound;
    size_t blen;
    uint64_t before, count;

    tz_ref_insert(ref, at, k);
    if (!zrank_insert(z, k->p, k->len))
        return;
    zrank_find(z, k->p, k->len, &bound, &blen, &before, &count);
    if (before != tz_lower(ref, bound, blen) || before + count > ref->n) {
        tz_fail("split request: block at %" PRIu64 " of %" PRIu64 " keys, %zu in the index", before,
                count, ref->n);
        return;
    }
    {
        const struct tz_key *mid = &ref->keys[before + count / 2];

        if (zrank_split(z, mid->p, mid->len, count / 2) != ZRANK_OK)
            tz_fail("split at rank %" PRIu64 " refused", before + count / 2);
    }
    (*splits)++;
}

/* Check one zrank_find() of 'k' against the reference and, when 'bounds' is given,
 * against every block's boundary in order as the structure reported them ('nb'). */
static void tz_check_find(const struct zrank *z, const struct tz_ref *ref, const char *kp,
                          size_t klen, struct tz_key *const *bounds, size_t nb)
{
    const char *bound;
    size_t blen, rank;
    uint64_t before, count;

    zrank_find(z, kp, klen, &bound, &blen, &before, &count);
    if (bounds) { /* the expected block: the last boundary at or before k */
        size_t lo = 0, hi = nb;

        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;

            if (tz_cmp(bounds[mid]->p, bounds[mid]->len, kp, klen) <= 0)
                lo = mid;
            else
                hi = mid;
        }
        if (nb && tz_cmp(bound, blen, bounds[lo]->p, bounds[lo]->len) != 0) {
            tz_fail("find of a %zu-byte key: boundary of %zu bytes, not block %zu's", klen, blen,
                    lo);
            return;
        }
    }
    rank = tz_lower(ref, kp, klen);
    if (tz_cmp(bound, blen, kp, klen) > 0 || before != tz_lower(ref, bound, blen) ||
        rank < before || rank > before + count) {
        tz_fail("find at rank %zu: block at %" PRIu64 " of %" PRIu64, rank, before, count);
        return;
    }
    if (rank < ref->n && tz_cmp(ref->keys[rank].p, ref->keys[rank].len, kp, klen) == 0 &&
        rank == before + count)
        tz_fail("find of key %zu: block at %" PRIu64 " of %" PRIu64 " stops before it", rank,
                before, count);
}

/* Check one zrank_at() of rank 'r' (< keys) against the reference: the block holds 'r' and
 * its first rank is where its boundary sorts in the index. */
static void tz_check_at(const struct zrank *z, const struct tz_ref *ref, uint64_t r)
{
    const char *bound;
    size_t blen;
    uint64_t first, count;

    zrank_at(z, r, &bound, &blen, &first, &count);
    if (r < first || r >= first + count || first != tz_lower(ref, bound, blen))
        tz_fail("at %" PRIu64 ": block at %" PRIu64 " of %" PRIu64 " keys", r, first, count);
}

/* A light check of 'z' against 'ref' (O(log n)): the totals, 4 random ranks and 4 finds
 * (2 of index keys, 2 of random keys). */
static void tz_check_light(const struct zrank *z, const struct tz_ref *ref)
{
    if (zrank_total(z) != ref->n) {
        tz_fail("total %" PRIu64 " for %zu keys", zrank_total(z), ref->n);
        return;
    }
    for (int i = 0; i < 4 && ref->n; i++)
        tz_check_at(z, ref, tz_rand() % ref->n);
    for (int i = 0; i < 2 && ref->n; i++) {
        const struct tz_key *k = &ref->keys[tz_rand() % ref->n];

        tz_check_find(z, ref, k->p, k->len, NULL, 0);
    }
    for (int i = 0; i < 2; i++) {
        struct tz_key k;

        tz_key_random(&k);
        tz_check_find(z, ref, k.p, k.len, NULL, 0);
    }
}

/* A full check of 'z' against 'ref' (O(n log n)): the self-check; every block by
 * zrank_at(), each block's first rank being where its boundary sorts in the index, so each
 * holds exactly the index keys from its boundary to the next; 'at' of every rank; 'find' of
 * every index key and of random ones, each against the boundaries collected. */
static void tz_check_full(const struct zrank *z, const struct tz_ref *ref)
{
    char err[256];
    struct tz_key **bounds, *bstore;
    size_t nb = 0, cap = zrank_blocks(z);

    if (zrank_check(z, err, sizeof(err)) < 0) {
        tz_fail("zrank_check: %s", err);
        return;
    }
    tz_check_light(z, ref);
    bounds = omk_malloc(cap * sizeof(*bounds));
    bstore = omk_malloc(cap * sizeof(*bstore));
    for (uint64_t r = 0; r < ref->n;) {
        const char *bound;
        size_t blen;
        uint64_t first, count;

        zrank_at(z, r, &bound, &blen, &first, &count);
        if (first != r || count == 0 || first != tz_lower(ref, bound, blen) || blen > TZ_MAXKEY ||
            nb == cap) {
            tz_fail("block %zu: first %" PRIu64 " (want %" PRIu64 "), %" PRIu64 " keys", nb, first,
                    r, count);
            goto out;
        }
        bstore[nb].len = blen;
        memcpy(bstore[nb].p, bound, blen);
        bounds[nb] = &bstore[nb];
        nb++;
        r += count;
    }
    if (ref->n > 0 && (nb != zrank_blocks(z) || bounds[0]->len != 0)) {
        tz_fail("%zu blocks reached by rank of %" PRIu64 ", first boundary %zu bytes", nb,
                zrank_blocks(z), bounds[0]->len);
        goto out;
    }
    for (uint64_t r = 0; r < ref->n; r++)
        tz_check_at(z, ref, r);
    for (size_t i = 0; i < ref->n; i++)
        tz_check_find(z, ref, ref->keys[i].p, ref->keys[i].len, ref->n ? bounds : NULL, nb);
    for (int i = 0; i < 64; i++) {
        struct tz_key k;

        tz_key_random(&k);
        tz_check_find(z, ref, k.p, k.len, ref->n ? bounds : NULL, nb);
    }
out:
    omk_free(bounds);
    omk_free(bstore);
}

/* ---- The structure under random changes ---------------------------------------------- */

/* Random inserts and removes on a structure of 'block' keys a block: the index grows to
 * about 'grow' keys, shrinks to 'shrink', grows again; a full check every 'full_every'
 * ops, a light one after every other. */
static void test_random(uint32_t block, size_t grow, size_t shrink, unsigned full_every,
                        const char *what)
{
    struct zrank *z = zrank_new_sized(block);
    struct tz_ref ref = {0};
    unsigned long splits = 0, ops = 0, maxblocks = 0;
    char name[160];
    size_t target = grow;

    for (int phase = 0; phase < 3; phase++) {
        target = phase == 1 ? shrink : grow;
        while (phase == 1 ? ref.n > target : ref.n < target) {
            struct tz_key k;
            size_t at;
            /* mostly toward the target, sometimes the other way */
            int add = (phase == 1) ? tz_rand() % 4 == 0 : tz_rand() % 4 != 0;

            if (add) {
                tz_key_random(&k);
                if (!tz_has(&ref, &k, &at))
                    tz_insert(z, &ref, at, &k, &splits);
            } else if (ref.n) {
                at = tz_rand() % ref.n;
                k = ref.keys[at];
                tz_ref_remove(&ref, at);
                tz_remove(z, k.p, k.len);
            }
            ops++;
            if (zrank_blocks(z) > maxblocks)
                maxblocks = zrank_blocks(z);
            if (ops % full_every == 0)
                tz_check_full(z, &ref);
            else
                tz_check_light(z, &ref);
            if (tz_faults)
                break;
        }
    }
    tz_check_full(z, &ref);
    snprintf(name, sizeof(name),
             "%s: block %u, %lu ops, %lu splits, up to %lu blocks, every answer right", what, block,
             ops, splits, maxblocks);
    tz_report(name);
    zrank_free(z);
    omk_free(ref.keys);
}

/* A time index: keys taken in ascending order at the top end while the oldest go from the
 * bottom (a queue, ZADD of timestamps with ZREMRANGEBYRANK of the oldest), and now and then
 * a key in the middle: the tree is emptied on its left edge while it grows on its right. */
static void test_window(uint32_t block, size_t window, unsigned rounds)
{
    struct zrank *z = zrank_new_sized(block);
    struct tz_ref ref = {0};
    unsigned long splits = 0;
    uint64_t next = 0;
    char name[160];

    for (unsigned i = 0; i < rounds && !tz_faults; i++) {
        struct tz_key k;
        size_t at;

        k.len = 8; /* big-endian 'next' shifted left: room for keys in between */
        for (int b = 0; b < 8; b++)
            k.p[b] = (char)((next << 4) >> (56 - 8 * b));
        next++;
        tz_insert(z, &ref, ref.n, &k, &splits);
        if (tz_rand() % 4 == 0 && ref.n > 2) { /* one in between (low 4 bits set), more
                                                 * often among the oldest */
            k = ref.keys[(tz_rand() % ref.n) * (tz_rand() % ref.n) / ref.n];
            k.p[7] = (char)(k.p[7] | (char)(1 + tz_rand() % 15));
            if (!tz_has(&ref, &k, &at))
                tz_insert(z, &ref, at, &k, &splits);
        }
        while (ref.n > window - (i / 97) % (window / 2)) { /* the window breathes */
            k = ref.keys[0];
            tz_ref_remove(&ref, 0);
            tz_remove(z, k.p, k.len);
        }
        if (i % 1000 == 0)
            tz_check_full(z, &ref);
        else
            tz_check_light(z, &ref);
    }
    tz_check_full(z, &ref);
    snprintf(name, sizeof(name), "time window of %zu keys, block %u: %u rounds, %lu splits", window,
             block, rounds, splits);
    tz_report(name);
    zrank_free(z);
    omk_free(ref.keys);
}

/* The same random keys built in ascending order (zrank_build_add), then changed. */
static void test_build(uint32_t block, size_t n)
{
    struct zrank *z = zrank_new_sized(block);
    struct tz_ref ref = {0};
    unsigned long splits = 0;
    char name[160];

    while (ref.n < n) {
        struct tz_key k;
        size_t at;

        tz_key_random(&k);
        if (!tz_has(&ref, &k, &at))
            tz_ref_insert(&ref, at, &k);
    }
    for (size_t i = 0; i < ref.n; i++)
        zrank_build_add(z, ref.keys[i].p, ref.keys[i].len);
    tz_check_full(z, &ref);
    if (zrank_blocks(z) != (n + block - 1) / block)
        tz_fail("%" PRIu64 " blocks built from %zu keys", zrank_blocks(z), n);
    snprintf(name, sizeof(name), "build of %zu keys, block %u: %" PRIu64 " blocks, answers right",
             n, block, zrank_blocks(z));
    tz_report(name);

    for (int i = 0; i < 4000 && !tz_faults; i++) {
        struct tz_key k;
        size_t at;

        if (i % 2) {
            tz_key_random(&k);
            if (!tz_has(&ref, &k, &at))
                tz_insert(z, &ref, at, &k, &splits);
        } else if (ref.n) {
            at = tz_rand() % ref.n;
            k = ref.keys[at];
            tz_ref_remove(&ref, at);
            tz_remove(z, k.p, k.len);
        }
        if (i % 500 == 0)
            tz_check_full(z, &ref);
        else
            tz_check_light(z, &ref);
    }
    tz_check_full(z, &ref);
    snprintf(name, sizeof(name), "built, block %u, then 4000 changes (%lu splits): answers right",
             block, splits);
    tz_report(name);
    zrank_free(z);
    omk_free(ref.keys);
}

/* Small cases by hand: the empty structure, the empty key, a first block emptied. */
static void test_edges(void)
{
    struct zrank *z = zrank_new_sized(4);
    const char *bound;
    size_t blen;
    uint64_t before, count;
    char err[256];

    is_int(zrank_total(z), 0, "new: no keys");
    is_int(zrank_blocks(z), 1, "new: one block");
    zrank_find(z, "x", 1, &bound, &blen, &before, &count);
    ok(blen == 0 && before == 0 && count == 0, "new: find answers the empty first block");
    zrank_find(z, "", 0, NULL, NULL, NULL, NULL);
    ok(zrank_check(z, err, sizeof(err)) == 0, "new: self-check passes");

    /* "" itself as an index key, then more: blocks of 4, split at 9 keys. */
    is_int(zrank_insert(z, "", 0), 0, "the empty key counts in block \"\"");
    zrank_find(z, "", 0, &bound, &blen, &before, &count);
    ok(blen == 0 && before == 0 && count == 1, "find of \"\": first block, 1 key");
    for (char c = 'a'; c < 'a' + 7; c++)
        is_int(zrank_insert(z, &c, 1), 0, "insert '%c': no split yet", c);
    is_int(zrank_insert(z, "h", 1), 1, "the 9th key in a block of 4: split asked");
    is_int(zrank_split(z, "d", 1, 10), ZRANK_STALE, "a split keeping more than the block has");
    is_int(zrank_split(z, "", 0, 0), ZRANK_STALE, "a split at the block's boundary: refused");
    is_int(zrank_split(z, "d", 1, 4), ZRANK_OK, "split at \"d\""); /* "", a, b, c | d .. h */
    is_int(zrank_blocks(z), 2, "two blocks after the split");
    zrank_at(z, 4, &bound, &blen, &before, &count);
    is_mem(bound, blen, "d", 1, "rank 4 is in block \"d\"");
    ok(before == 4 && count == 5, "block \"d\" starts at rank 4 with 5 keys");
    zrank_find(z, "cz", 2, &bound, &blen, &before, &count);
    ok(blen == 0 && before == 0 && count == 4, "\"cz\" (absent) falls in the first block");

    /* Shrink the first block: at 2 keys (half a block) it stays; at 1 it takes block "d"
     * in (1 + 5 <= 8) and keeps its boundary "". */
    tz_remove(z, "", 0);
    tz_remove(z, "a", 1);
    is_int(zrank_blocks(z), 2, "first block at half a block: kept");
    ok(zrank_check(z, err, sizeof(err)) == 0, "self-check: %s", err);
    tz_remove(z, "b", 1);
    is_int(zrank_blocks(z), 1, "first block under half a block: merged with its neighbour");
    zrank_find(z, "e", 1, &bound, &blen, &before, &count);
    ok(blen == 0 && before == 0 && count == 6, "the merged block is \"\" with 6 keys");
    ok(zrank_check(z, err, sizeof(err)) == 0, "self-check: %s", err);
    tz_remove(z, "c", 1);
    for (char c = 'd'; c <= 'h'; c++)
        tz_remove(z, &c, 1);
    is_int(zrank_total(z), 0, "all removed: no keys");
    is_int(zrank_blocks(z), 1, "all removed: the first block stays");
    ok(zrank_check(z, err, sizeof(err)) == 0, "self-check: %s", err);
    is_int(zrank_remove(z, "x", 1), ZRANK_STALE, "a remove from an empty block: refused");
    ok(zrank_total(z) == 0 && zrank_check(z, err, sizeof(err)) == 0, "... and nothing changed");
    zrank_free(z);
    zrank_free(NULL);
    tz_report("edges: every other remove and split accepted");
}

/* A small block between two full ones stays (the merge would pass 2 * block) until it is
 * empty. Keys are two bytes: "k" and a letter, so the order is the letters'. */
static void test_merge_full(void)
{
    struct zrank *z = zrank_new_sized(4);
    char key[2] = {'k', 0}, err[256];
    const char *bound;
    size_t blen;
    uint64_t before, count;

    for (char c = 'a'; c < 'a' + 12; c++) { /* blocks: "" a-d, "ke" e-h, "ki" i-l */
        key[1] = c;
        zrank_build_add(z, key, 2);
    }
    is_int(zrank_blocks(z), 3, "12 keys built in blocks of 4: 3 blocks");
    for (char c = 'A'; c < 'A' + 4; c++) { /* "kA".."kD" sort before "ka": first block */
        key[1] = c;
        is_int(zrank_insert(z, key, 2), 0, "first block grows to %d", c - 'A' + 5);
    }
    for (char c = 'm'; c < 'm' + 4; c++) { /* after "kl": last block */
        key[1] = c;
        is_int(zrank_insert(z, key, 2), 0, "last block grows to %d", c - 'm' + 5);
    }
    for (char c = 'e'; c < 'e' + 3; c++) {
        key[1] = c;
        tz_remove(z, key, 2);
    }
    is_int(zrank_blocks(z), 3, "middle block at 1 key between two of 8: kept (9 > 8)");
    zrank_find(z, "kh", 2, &bound, &blen, &before, &count);
    ok(before == 8 && count == 1, "its 1 key has rank 8");
    is_mem(bound, blen, "ke", 2, "its boundary \"ke\" stays although \"ke\" left the index");
    ok(zrank_check(z, err, sizeof(err)) == 0, "self-check: %s", err);
    tz_remove(z, "kh", 2);
    is_int(zrank_blocks(z), 2, "emptied, it merges (0 + 8 <= 8)");
    zrank_at(z, 8, &bound, &blen, &before, &count);
    ok(before == 8 && count == 8, "rank 8 is now the last block's first key");
    ok(zrank_check(z, err, sizeof(err)) == 0, "self-check: %s", err);
    for (char c = 'A'; c < 'A' + 4; c++) {
        key[1] = c;
        tz_remove(z, key, 2);
    }
    for (char c = 'a'; c < 'a' + 3; c++) {
        key[1] = c;
        tz_remove(z, key, 2);
    }
    is_int(zrank_blocks(z), 2, "first block at 1 key before one of 8: kept (9 > 8)");
    ok(zrank_check(z, err, sizeof(err)) == 0, "self-check: %s", err);
    zrank_free(z);
    tz_report("merges: every remove accepted");
}

/* ---- The registry --------------------------------------------------------------------- */

/* A structure of 'n' built keys "%08u" (ascending). */
static struct zrank *tz_built(unsigned n)
{
    struct zrank *z = zrank_new();
    char key[16];

    for (unsigned i = 0; i < n; i++) {
        int len = snprintf(key, sizeof(key), "%08u", i);

        zrank_build_add(z, key, (size_t)len);
    }
    return z;
}

/* Append 'n' keys to 'z', built by tz_built() and grown only by this: "%08u" of its total
 * on, splitting as asked (the key at rank r is "%08u" of r). */
static void tz_append(struct zrank *z, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char key[24];
        int len = snprintf(key, sizeof(key), "%08" PRIu64, zrank_total(z));

        if (zrank_insert(z, key, (size_t)len)) {
            uint64_t before, count;

            zrank_find(z, key, (size_t)len, NULL, NULL, &before, &count);
            len = snprintf(key, sizeof(key), "%08" PRIu64, before + count / 2);
            if (zrank_split(z, key, (size_t)len, count / 2) != ZRANK_OK)
                tz_fail("split of a block at %" PRIu64 " refused", before);
        }
    }
}

/* Budget, LRU order, pinning, the too-large structure, drops while pinned, clear. */
static void test_registry(void)
{
    struct zrank *a = tz_built(5000), *b, *c, *d, *big, *g;
    /* (b is id 2's structure, then id 5's) */
    size_t unit = zrank_bytes(a);
    /* room for two structures of 5000 keys but not three */
    struct zrank_reg *reg = zrank_reg_new(unit * 5 / 2);
    struct zrank_reg_stats st;

    ok(zrank_reg_get(reg, 1) == NULL, "empty registry: no structure for id 1");
    zrank_reg_put(reg, 1, a);
    ok(zrank_reg_get(reg, 1) == a, "put: id 1 found while pinned (pinned twice)");
    zrank_reg_release(reg, a);
    zrank_reg_release(reg, a);
    b = tz_built(5000);
    zrank_reg_put(reg, 2, b);
    zrank_reg_release(reg, b);
    ok(zrank_reg_get(reg, 1) == a, "id 1 still held; now the most recently used");
    zrank_reg_release(reg, a);
    c = tz_built(5000);
    zrank_reg_put(reg, 3, c);
    zrank_reg_release(reg, c);
    ok(zrank_reg_get(reg, 2) == NULL, "a third structure evicted the least recently used (2)");
    g = zrank_reg_get(reg, 1);
    ok(g == a, "id 1 kept");
    zrank_reg_release(reg, g);
    g = zrank_reg_get(reg, 3);
    ok(g == c, "id 3 kept");
    zrank_reg_release(reg, g);
    zrank_reg_stats_get(reg, &st);
    ok(st.held == 2 && st.pinned == 0 && st.evictions == 1 && st.charged <= st.budget,
       "stats: 2 held, none pinned, 1 eviction, charge within the budget");
    ok(zrank_reg_bytes(reg) > st.charged && st.charged == zrank_bytes(a) + zrank_bytes(c),
       "bytes: the charge of the two structures plus the table");

    /* Pinned structures are never freed: pin 1 and 3, add two more. */
    a = zrank_reg_get(reg, 1);
    c = zrank_reg_get(reg, 3);
    d = tz_built(5000);
    zrank_reg_put(reg, 4, d);
    b = tz_built(5000);
    zrank_reg_put(reg, 5, b);
    zrank_reg_stats_get(reg, &st);
    ok(st.held == 4 && st.pinned == 4 && st.charged > st.budget,
       "four pinned: all held, over the budget while pinned");
    ok(zrank_total(a) == 5000 && zrank_total(c) == 5000, "pinned structures intact");
    /* The pinner changes its structure: released, it is charged as it is now. */
    tz_append(a, 3000);
    zrank_reg_release(reg, c);
    zrank_reg_release(reg, d);
    zrank_reg_release(reg, b);
    zrank_reg_stats_get(reg, &st);
    ok(st.held == 2 && st.pinned == 1 && st.evictions == 3 && zrank_reg_get(reg, 3) == NULL &&
           zrank_reg_get(reg, 4) == NULL,
       "released while 1 stays pinned (charged as it was): 3 and 4 evicted, 5 fits");
    {
        size_t grown = zrank_bytes(a), five = zrank_bytes(b);
        int both = grown + five <= st.budget; /* id 5 stays beside the grown id 1 */

        zrank_reg_release(reg, a);
        zrank_reg_stats_get(reg, &st);
        ok(grown > unit && st.charged == grown + (both ? five : 0) && st.held == (both ? 2u : 1u) &&
               st.evictions == (both ? 3u : 4u),
           "1 released: charged at its new size (%zu > %zu bytes); 5 %s", grown, unit,
           both ? "still fits" : "evicted, older");
    }

    /* A structure larger than the whole budget: usable while pinned, freed at release. */
    big = tz_built(20000);
    zrank_reg_put(reg, 6, big);
    ok(zrank_total(big) == 20000, "too large: usable while pinned");
    zrank_reg_release(reg, big);
    ok(zrank_reg_get(reg, 6) == NULL, "too large: gone once released");
    zrank_reg_stats_get(reg, &st);
    ok(st.charged <= st.budget, "too large: nothing over the budget kept");

    /* One that grows past the whole budget while pinned: freed at its release. */
    g = tz_built(10);
    zrank_reg_put(reg, 7, g);
    tz_append(g, 30000);
    zrank_reg_stats_get(reg, &st);
    ok(zrank_bytes(g) > st.budget && st.charged <= st.budget,
       "grown past the budget while pinned (%zu bytes), still charged as put", zrank_bytes(g));
    zrank_reg_release(reg, g);
    zrank_reg_stats_get(reg, &st);
    ok(zrank_reg_get(reg, 7) == NULL && st.charged <= st.budget,
       "grown too large: freed at its release");

    /* Dropped while pinned: valid until its release, then freed; a new one may take the id
     * meanwhile. */
    a = zrank_reg_get(reg, 1);
    ok(a != NULL, "id 1 held");
    zrank_reg_drop(reg, 1);
    ok(zrank_reg_get(reg, 1) == NULL, "dropped: not found any more");
    ok(zrank_total(a) == 8000, "dropped while pinned: still valid for its pinner");
    g = tz_built(100);
    zrank_reg_put(reg, 1, g);
    zrank_reg_release(reg, a);
    ok(zrank_reg_get(reg, 1) == g, "the new structure of id 1 survives the old one's release");
    zrank_reg_release(reg, g);
    zrank_reg_release(reg, g);
    zrank_reg_drop(reg, 1);
    zrank_reg_drop(reg, 99);
    zrank_reg_stats_get(reg, &st);
    g = zrank_reg_get(reg, 5); /* kept or not, by the sizes this allocator gives */
    ok(st.held == (g ? 1u : 0u) && st.pinned == 0 && st.charged == (g ? zrank_bytes(g) : 0),
       "dropped: nothing held or charged but id 5 (%s)", g ? "kept" : "evicted");
    if (g)
        zrank_reg_release(reg, g);

    zrank_reg_free(reg);

    /* Clear with one pinned, in a registry with room for all. */
    reg = zrank_reg_new((size_t)1 << 20);
    for (uint64_t id = 10; id < 50; id++) {
        g = tz_built(10);
        zrank_reg_put(reg, id, g);
        if (id != 15)
            zrank_reg_release(reg, g);
    }
    g = zrank_reg_get(reg, 15);
    zrank_reg_stats_get(reg, &st);
    ok(st.held == 40 && st.pinned == 1, "40 small ones held (the table grew), one pinned");
    for (uint64_t id = 10; id < 50; id++) {
        struct zrank *y = id == 15 ? g : zrank_reg_get(reg, id);

        if (!y || zrank_total(y) != 10)
            tz_fail("id %" PRIu64 " lost in the grown table", id);
        else if (id != 15)
            zrank_reg_release(reg, y);
    }
    tz_report("each found again after the table grew");
    zrank_reg_clear(reg);
    zrank_reg_stats_get(reg, &st);
    ok(st.held == 0 && st.charged == 0 && zrank_reg_get(reg, 12) == NULL, "clear: none held");
    ok(zrank_total(g) == 10, "cleared while pinned: still valid for its pinner");
    zrank_reg_release(reg, g);
    zrank_reg_release(reg, g);
    zrank_reg_free(reg);
    zrank_reg_free(NULL);

    /* A zero budget holds nothing: a structure is only lent back until its release. */
    reg = zrank_reg_new(0);
    g = tz_built(10);
    zrank_reg_put(reg, 1, g);
    ok(zrank_reg_get(reg, 1) == NULL && zrank_total(g) == 10,
       "budget 0: the structure is usable but not held");
    zrank_reg_release(reg, g);
    zrank_reg_stats_get(reg, &st);
    ok(st.held == 0 && st.pinned == 0 && st.charged == 0 && st.evictions == 1,
       "budget 0: released, nothing left");
    zrank_reg_free(reg);
}

/* ---- Threads sharing a registry ------------------------------------------------------ */

#define TZ_THREADS 4
#define TZ_IDS 24
#define TZ_ROUNDS 3000

/* What the threads share: the registry, and one lock per id standing for the store's
 * key stripes (one user per id at a time, as zrank.h asks). */
static struct zrank_reg *tz_reg;
static pthread_mutex_t tz_stripe[TZ_IDS];

/* Keys of id 'id': "%08u" for i below 200 + 150 * id (so sizes differ). */
static unsigned tz_id_keys(unsigned id)
{
    return 200 + 150 * id;
}

/* One thread: pick ids at random; under the id's lock get its structure (or build and
 * put it), check it, change it (one key in and out again, so its content stays what a
 * fresh build gives), release; sometimes drop the id or clear everything. Returns the
 * number of faults. */
static void *tz_thread(void *arg)
{
    uint64_t seed = (uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1;
    uintptr_t faults = 0;

    for (int round = 0; round < TZ_ROUNDS; round++) {
        unsigned id, n;
        struct zrank *z;
        char key[16];
        int len;
        uint64_t first, count;

        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        id = (unsigned)(seed % TZ_IDS);
        n = tz_id_keys(id);
        omk_mutex_lock(&tz_stripe[id]);
        z = zrank_reg_get(tz_reg, id);
        if (!z) {
            z = tz_built(n);
            zrank_reg_put(tz_reg, id, z);
        }
        len = snprintf(key, sizeof(key), "%08u~", (unsigned)(seed >> 20) % n);
        zrank_insert(z, key, (size_t)len);
        zrank_at(z, (seed >> 8) % (n + 1), NULL, NULL, &first, &count);
        if (zrank_remove(z, key, (size_t)len) != ZRANK_OK)
            faults++;
        if (zrank_total(z) != n || count == 0 || first > n)
            faults++;
        if (seed % 97 == 0)
            zrank_reg_drop(tz_reg, id); /* while pinned: freed at the release below */
        zrank_reg_release(tz_reg, z);
        omk_mutex_unlock(&tz_stripe[id]);
        if (seed % 503 == 0)
            zrank_reg_clear(tz_reg); /* other threads' pinned ones stay theirs */
        if (seed % 7 == 0)
            (void)zrank_reg_bytes(tz_reg);
    }
    return (void *)faults;
}

static void test_threads(void)
{
    pthread_t th[TZ_THREADS];
    struct zrank_reg_stats st;
    uintptr_t faults = 0;
    struct zrank *probe = tz_built(tz_id_keys(TZ_IDS / 2));

    /* room for about a third of the ids' structures: evictions all the time */
    tz_reg = zrank_reg_new(zrank_bytes(probe) * TZ_IDS / 3);
    zrank_free(probe);
    for (int i = 0; i < TZ_IDS; i++)
        omk_mutex_init(&tz_stripe[i]);
    for (uintptr_t t = 0; t < TZ_THREADS; t++)
        pthread_create(&th[t], NULL, tz_thread, (void *)(t + 1));
    for (int t = 0; t < TZ_THREADS; t++) {
        void *rv;

        pthread_join(th[t], &rv);
        faults += (uintptr_t)rv;
    }
    zrank_reg_stats_get(tz_reg, &st);
    is_int(faults, 0, "%d threads x %d rounds on %d ids: every structure as built", TZ_THREADS,
           TZ_ROUNDS, TZ_IDS);
    ok(st.pinned == 0 && st.charged <= st.budget && st.evictions > 0 && st.hits > 0 &&
           st.hits + st.misses == TZ_THREADS * TZ_ROUNDS,
       "after: none pinned, within the budget (%" PRIu64 " <= %" PRIu64 "), %" PRIu64
       " hits, %" PRIu64 " misses, %" PRIu64 " evictions",
       st.charged, st.budget, st.hits, st.misses, st.evictions);
    zrank_reg_free(tz_reg);
    for (int i = 0; i < TZ_IDS; i++)
        pthread_mutex_destroy(&tz_stripe[i]);
}

int main(void)
{
    /* Under ThreadSanitizer (bootstrap test-tsan) the single-threaded phases run at a
     * tenth of their size: that run is for the threads. */
#if defined(__SANITIZE_THREAD__)
    const size_t k = 10;
#else
    const size_t k = 1;
#endif

    test_edges();
    test_merge_full();
    test_random(2, 3000 / k, 200 / k, 300, "grow, shrink, grow");
    test_random(3, 6000 / k, 50 / k, 1000, "grow, shrink, grow");
    test_random(4, 12000 / k, 1000 / k, 3000, "grow, shrink, grow");
    test_random(ZRANK_BLOCK, 20000 / k, 2000 / k, 5000, "grow, shrink, grow (production block)");
    test_window(2, 3000 / k, (unsigned)(20000 / k));
    test_window(8, 6000 / k, (unsigned)(20000 / k));
    test_build(2, 5000 / k);
    test_build(ZRANK_BLOCK, 50000 / k);
    test_registry();
    test_threads();
    return tap_done();
}
