/* fuzz_index.c - libFuzzer target for index/: the input is a stream of operations (insert,
 * delete, find, seek + walk, ranges of keys, random pick, rebuild by bulk load) applied
 * both to one idx and to a plain sorted array; any difference aborts, and idx_validate
 * runs every 256 operations and at the end. `make fuzz-index` builds it with
 * -fsanitize=fuzzer,address,undefined; `make check` replays tests/fuzz/corpus/index/
 * through tests/fuzz/replay.c.
 *
 * Input format (every read past the end yields 0, so any input is valid):
 *   byte 0        leaf cap: max_leaf_slots = 64 << (byte % 9), or the default when
 *                 byte % 9 == 8
 *   then ops      one op byte O, then its key K, then its other operands:
 *     O & 7       0 insert K | 1 delete K | 2 find K | 3 seek K, walk N=byte
 *                 4 insert range R | 5 delete range R | 6 random (rnd=8 bytes)
 *                 7 rebuild: clear, then bulk load the reference (if N=byte is odd:
 *                   clear both instead); past the FZ_MAX_BULK_LOADS-th bulk load of
 *                   the input, an even N does nothing
 *     K           length (O >> 4) bytes; if O & 8 each input byte gives 4 symbols of the
 *                 alphabet {00, 'a', 'b', ff} (so keys collide and share prefixes), else the
 *                 key bytes are the input bytes
 *     R           a key K (the base), count = byte + 1, start = 2 bytes, flags = byte:
 *                 key i is base + suffix(start + i * ((flags >> 1) + 1)), the suffix being
 *                 2 bytes big-endian (flags & 1 == 0) or unpadded decimal (flags & 1)
 * An insert of a new key does nothing once the input holds min(FZ_MAX_KEYS,
 * FZ_KEYS_PER_LEAF_CAP x leaf cap) keys.
 *
 * COST (issue 19 item 10: 10M executions in a long run). Measured 2026-12-07 by replaying
 * a grown corpus of 604 inputs (perf record -g, ASan+UBSan+coverage build): 36-46 CPU ms
 * an input, a third of it in the kernel (ASan maps every block of 128 KB or more with
 * mmap and unmaps it when freed: TLB shootdowns, page faults), most of it under
 * alex_build (bulk loads, and rebuilds of subtrees on insert). The inputs that cost most
 * are those with 64-slot leaves and 8192 keys, and those that bulk load again and again.
 * What this target does about it, each without a check less per key or per op:
 *  - At most FZ_MAX_BULK_LOADS (4) bulk loads an input. A bulk load's result depends on
 *    the key set and the leaf cap alone; a fifth one in the same input runs the same
 *    code on another key set, which the fuzzer reaches as well by cutting the input
 *    there (the mutators erase and copy byte ranges). Inputs still mix bulk-loaded
 *    structures with inserts, deletes and further bulk loads.
 *  - Keys capped at 32 x the leaf cap (2048 keys for 64-slot leaves, 4096 for 128, 8192
 *    from 256 up): 32 full leaves' worth at least, so leaf splits, model nodes, subtree
 *    rebuilds and every walk across leaves still happen; the big caps (8192 slots, the
 *    default 65536) keep 8192 keys, as before.
 *    Both together, side by side on that corpus: 46.0 -> 34.8 CPU ms an input through
 *    libFuzzer (-runs=0), 39.8 -> 30.1 timed input by input; edge coverage of the corpus
 *    1150 -> 1156, features 7593 -> 7560 (hit-count buckets of loops over fewer keys).
 *  - idx_validate every 256 ops and at the end, and the full walk at the end, stay: they
 *    are ~3% of the time.
 * And in the index: alex_build() (index/alex_build.c) used to malloc its fanout array for
 * ALEX_MAX_FANOUT + 1 entries (512 KB, an ASan mmap + munmap) on every call that weighs a
 * model node; sized to the fanouts it tries (cb71253), the same corpus costs 17.6 ms an
 * input (42% less again). */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "index/index.h"

#define FZ_MAX_KEYS 8192      /* keys an input may hold at once (leaf caps >= 256) */
#define FZ_KEYS_PER_LEAF_CAP 32 /* ... and at most this many times the leaf cap */
#define FZ_MAX_BULK_LOADS 4   /* rebuilds (op 7) that bulk load, per input */
#define FZ_MAX_KEY 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input ---- */

struct fz_in {
    const uint8_t *p;
    size_t n, pos;
};

/* The next input byte, or 0 past the end. */
static unsigned fz_byte(struct fz_in *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

struct fz_key {
    size_t len;
    unsigned char b[FZ_MAX_KEY];
};

/* Decode a key of 'len' symbols after op byte 'op' (see the format above). */
static void fz_read_key(struct fz_in *in, unsigned op, struct fz_key *k)
{
    size_t len = op >> 4;

    k->len = len;
    if (op & 8) {
        unsigned bits = 0;

        for (size_t i = 0; i < len; i++) {
            if (i % 4 == 0)
                bits = fz_byte(in);
            k->b[i] = (unsigned char)"\x00\x61\x62\xff"[(bits >> (2 * (i % 4))) & 3];
        }
    } else {
        for (size_t i = 0; i < len; i++)
            k->b[i] = (unsigned char)fz_byte(in);
    }
}

/* ---- the reference: a sorted array of keys ---- */

struct fz_ref {
    struct fz_key **k; /* [n] sorted, each omk_malloc'd */
    size_t n, cap;
    size_t max;        /* keys the input may hold at once */
};

/* The index's key order: memcmp on the common length, then the shorter key first. */
static int fz_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0 || alen == blen)
        return c;
    return alen < blen ? -1 : 1;
}

/* First position whose key is >= 'k'. */
static size_t fz_lower(const struct fz_ref *r, const struct fz_key *k)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (fz_cmp(r->k[mid]->b, r->k[mid]->len, k->b, k->len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether the reference holds 'k'; '*pos' its position or where it would go. */
static int fz_has(const struct fz_ref *r, const struct fz_key *k, size_t *pos)
{
    *pos = fz_lower(r, k);
    return *pos < r->n && fz_cmp(r->k[*pos]->b, r->k[*pos]->len, k->b, k->len) == 0;
}

/* ---- checks ---- */

/* Report a difference on stderr and abort (libFuzzer keeps the input as a crash). */
__attribute__((noreturn, format(printf, 1, 2)))
static void fz_fail(const char *fmt, ...);

static void fz_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz_index: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

/* The 'loc' tag every entry carries, so a find proves it got the entry that was inserted. */
static uint64_t fz_tag(const void *key, size_t len)
{
    return omk_hash(key, len) | 1;
}

/* Abort unless 'e' is the entry of 'k' (key bytes and loc tag). */
static void fz_check_entry(const struct idx_entry *e, const struct fz_key *k, const char *op)
{
    if (e == NULL)
        fz_fail("%s: NULL entry for a %zu-byte key", op, k->len);
    if (fz_cmp(idx_entry_key(e), idx_entry_klen(e), k->b, k->len) != 0)
        fz_fail("%s: entry holds another key (%zu bytes, want %zu)", op, idx_entry_klen(e), k->len);
    if (e->loc != fz_tag(k->b, k->len))
        fz_fail("%s: entry lost its loc field", op);
}

/* Abort unless idx_validate() passes and the counts agree. */
static void fz_validate(const struct idx *ix, const struct fz_ref *r, size_t opno)
{
    char err[256];

    if (idx_validate(ix, err, sizeof(err)) != 0)
        fz_fail("idx_validate after op %zu: %s", opno, err);
    if (idx_count(ix) != r->n)
        fz_fail("count %zu, reference %zu", idx_count(ix), r->n);
}

/* ---- operations ---- */

/* Insert 'k' into both (unless the key cap is reached); abort if they disagree. */
static void fz_insert(struct idx *ix, struct fz_ref *r, const struct fz_key *k)
{
    struct idx_entry *e = NULL;
    size_t pos;
    int had = fz_has(r, k, &pos);
    int rc;

    if (!had && r->n >= r->max)
        return;
    rc = idx_insert(ix, k->b, k->len, &e);
    if (rc != (had ? IDX_EXISTS : IDX_OK))
        fz_fail("insert: rc %d, reference %s", rc, had ? "has it" : "has not");
    if (!had) {
        if (e == NULL || e->loc != 0 || e->val_len != 0 || e->expire_flags != 0)
            fz_fail("insert: new entry not zeroed");
        e->loc = fz_tag(k->b, k->len);
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 64;
            r->k = omk_realloc(r->k, r->cap * sizeof(*r->k));
        }
        memmove(&r->k[pos + 1], &r->k[pos], (r->n - pos) * sizeof(*r->k));
        r->k[pos] = omk_malloc(sizeof(*k));
        *r->k[pos] = *k;
        r->n++;
    }
    fz_check_entry(e, k, "insert");
}

/* Delete 'k' from both; abort if they disagree. */
static void fz_delete(struct idx *ix, struct fz_ref *r, const struct fz_key *k)
{
    struct idx_entry *e = NULL;
    size_t pos;
    int had = fz_has(r, k, &pos);
    int rc = idx_delete(ix, k->b, k->len, &e);

    if (rc != (had ? IDX_OK : IDX_NOTFOUND))
        fz_fail("delete: rc %d, reference %s", rc, had ? "has it" : "has not");
    if (had) {
        fz_check_entry(e, k, "delete");
        idx_entry_free(e);
        omk_free(r->k[pos]);
        memmove(&r->k[pos], &r->k[pos + 1], (r->n - pos - 1) * sizeof(*r->k));
        r->n--;
    }
}

/* Find 'k' in both; abort if they disagree. */
static void fz_find(struct idx *ix, const struct fz_ref *r, const struct fz_key *k)
{
    size_t pos;
    int had = fz_has(r, k, &pos);
    struct idx_entry *e = idx_find(ix, k->b, k->len);

    if ((e != NULL) != had)
        fz_fail("find: index %s, reference %s", e ? "has it" : "has not",
                had ? "has it" : "has not");
    if (had)
        fz_check_entry(e, k, "find");
}

/* Seek both to 'k' and compare the next 'steps' + 1 entries (or the end). */
static void fz_walk(struct idx *ix, const struct fz_ref *r, const struct fz_key *k,
                    unsigned steps)
{
    struct idx_iter it;
    size_t pos = fz_lower(r, k);

    idx_seek(ix, k->b, k->len, &it);
    for (unsigned i = 0; i <= steps; i++, pos++) {
        struct idx_entry *e = idx_iter_next(&it);

        if (pos >= r->n) {
            if (e != NULL)
                fz_fail("walk: entry past the reference's end (step %u)", i);
            return;
        }
        fz_check_entry(e, r->k[pos], "walk");
    }
}

/* Key 'i' of a range: 'base' plus a suffix of 'v' (2 bytes big-endian, or decimal). */
static void fz_range_key(const struct fz_key *base, unsigned v, int decimal, struct fz_key *k)
{
    *k = *base;
    if (decimal) {
        char num[16];
        size_t n = (size_t)snprintf(num, sizeof(num), "%u", v);

        memcpy(k->b + k->len, num, n);
        k->len += n;
    } else {
        k->b[k->len++] = (unsigned char)(v >> 8);
        k->b[k->len++] = (unsigned char)v;
    }
}

/* Clear the index, then bulk load the reference into it; or, when 'empty', clear both. */
static void fz_rebuild(struct idx *ix, struct fz_ref *r, int empty)
{
    struct idx_entry **ents;

    idx_clear(ix, NULL);
    if (idx_count(ix) != 0)
        fz_fail("clear left %zu keys", idx_count(ix));
    if (empty) {
        for (size_t i = 0; i < r->n; i++)
            omk_free(r->k[i]);
        r->n = 0;
        return;
    }
    ents = omk_malloc((r->n ? r->n : 1) * sizeof(*ents));
    for (size_t i = 0; i < r->n; i++) {
        ents[i] = idx_entry_new(r->k[i]->b, r->k[i]->len);
        ents[i]->loc = fz_tag(r->k[i]->b, r->k[i]->len);
    }
    if (idx_bulk_load(ix, ents, r->n) != IDX_OK)
        fz_fail("bulk load into an empty index refused");
    omk_free(ents);
}

/* Run the operations of 'data' (format at the top) on a fresh index and reference; abort on
 * the first difference. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size, 0};
    struct fz_ref ref = {0};
    struct idx_config cfg = {0};
    struct idx *ix;
    unsigned cap = fz_byte(&in);
    size_t opno = 0;
    unsigned bulk_loads = 0;

    cfg.max_leaf_slots = cap % 9 == 8 ? 0 : (size_t)64 << (cap % 9);
    ref.max = FZ_MAX_KEYS;
    if (cfg.max_leaf_slots && FZ_KEYS_PER_LEAF_CAP * cfg.max_leaf_slots < ref.max)
        ref.max = FZ_KEYS_PER_LEAF_CAP * cfg.max_leaf_slots;
    ix = idx_new(&cfg);
    while (in.pos < in.n) {
        unsigned op = fz_byte(&in);
        struct fz_key k;

        fz_read_key(&in, op, &k);
        switch (op & 7) {
        case 0:
            fz_insert(ix, &ref, &k);
            break;
        case 1:
            fz_delete(ix, &ref, &k);
            break;
        case 2:
            fz_find(ix, &ref, &k);
            break;
        case 3:
            fz_walk(ix, &ref, &k, fz_byte(&in));
            break;
        case 4:
        case 5: {
            unsigned count = fz_byte(&in) + 1;
            unsigned start = fz_byte(&in) << 8;
            unsigned flags, step;

            start |= fz_byte(&in);
            flags = fz_byte(&in);
            step = (flags >> 1) + 1;
            for (unsigned i = 0; i < count; i++) {
                struct fz_key rk;

                fz_range_key(&k, start + i * step, flags & 1, &rk);
                if ((op & 7) == 4)
                    fz_insert(ix, &ref, &rk);
                else
                    fz_delete(ix, &ref, &rk);
            }
            break;
        }
        case 6: {
            uint64_t rnd = 0;
            struct idx_entry *e;

            for (int i = 0; i < 8; i++)
                rnd = rnd << 8 | fz_byte(&in);
            e = idx_random(ix, rnd);
            if ((e != NULL) != (ref.n > 0))
                fz_fail("random: %s entry with %zu keys", e ? "an" : "no", ref.n);
            if (e) {
                struct fz_key rk;
                size_t pos;

                rk.len = idx_entry_klen(e);
                memcpy(rk.b, idx_entry_key(e), idx_entry_klen(e));
                if (idx_entry_klen(e) > FZ_MAX_KEY || !fz_has(&ref, &rk, &pos))
                    fz_fail("random: returned a key not in the reference");
                fz_check_entry(e, &rk, "random");
            }
            break;
        }
        default: {
            int empty = fz_byte(&in) & 1;

            if (empty || bulk_loads < FZ_MAX_BULK_LOADS) {
                bulk_loads += !empty;
                fz_rebuild(ix, &ref, empty);
            }
            break;
        }
        }
        if (idx_count(ix) != ref.n)
            fz_fail("op %zu (%u): count %zu, reference %zu", opno, op & 7, idx_count(ix),
                    ref.n);
        if (++opno % 256 == 0)
            fz_validate(ix, &ref, opno);
    }
    fz_validate(ix, &ref, opno);
    fz_walk(ix, &ref, &(struct fz_key){.len = 0}, (unsigned)ref.n);
    idx_free(ix, NULL);
    for (size_t i = 0; i < ref.n; i++)
        omk_free(ref.k[i]);
    omk_free(ref.k);
    return 0;
}
