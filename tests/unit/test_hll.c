/* test_hll.c - the HyperLogLog value code (store/hll.c) on its own: Redis' checks of a
 * value, the hash and the register it picks, sparse edits (splits, joins, the moment of
 * going dense both ways), dense packing, counts, merges, DECODE's text, corrupt codes,
 * and PFSELFTEST. Expected bytes, registers and counts were produced by redis-server
 * 7.0.15 (GET, PFDEBUG DECODE, PFCOUNT) for the same elements. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/hll.h"
#include "tests/tap.h"

#define MAXB HLL_SPARSE_MAX_BYTES_DEFAULT

/* The register and value Redis chose for one element (PFDEBUG DECODE of a one-element
 * HLL: the XZERO before the VAL gives the register). */
struct th_pick {
    const char *ele;
    size_t len;
    unsigned index, count;
};

/* Add elements "<prefix>0" .. "<prefix><n-1>" to 'h'. Returns how many changed it. */
static unsigned th_add_seq(struct hll *h, const char *prefix, unsigned n, size_t smax)
{
    unsigned changed = 0;

    for (unsigned i = 0; i < n; i++) {
        char b[32];
        int l = snprintf(b, sizeof(b), "%s%u", prefix, i);

        changed += hll_add(h, b, (size_t)l, smax) == HLL_CHANGED;
    }
    return changed;
}

/* The DECODE text of 'h' compared with 'want'. */
static void th_decode_is(const struct hll *h, const char *want, const char *name)
{
    size_t n;
    char *t = hll_decode(h, &n);

    if (!ok(n == strlen(want) && memcmp(t, want, n) == 0, "%s", name))
        diag("  got '%s', want '%s'", t, want);
    omk_free(t);
}

static void test_check(void)
{
    uint8_t v[HLL_DENSE_SIZE + 1];
    struct hll h;

    memset(v, 0, sizeof(v));
    memcpy(v, "HYLL", 4);
    v[4] = HLL_DENSE;
    is_int(hll_check(v, HLL_DENSE_SIZE), HLL_OK, "a dense value of 12304 bytes is an HLL");
    is_int(hll_check(v, HLL_DENSE_SIZE - 1), HLL_ERR_NOTHLL, "a dense value one byte short is not");
    is_int(hll_check(v, HLL_DENSE_SIZE + 1), HLL_ERR_NOTHLL, "a dense value one byte long is not");
    v[4] = HLL_SPARSE;
    is_int(hll_check(v, 16), HLL_OK, "a sparse header alone passes the check (its code is read later)");
    is_int(hll_check(v, 15), HLL_ERR_NOTHLL, "15 bytes are not an HLL");
    is_int(hll_check(v, 0), HLL_ERR_NOTHLL, "an empty string is not an HLL");
    v[4] = 2;
    is_int(hll_check(v, 18), HLL_ERR_NOTHLL, "encoding 2 is not an HLL");
    v[4] = HLL_SPARSE;
    v[3] = 'l';
    is_int(hll_check(v, 18), HLL_ERR_NOTHLL, "magic \"HYLl\" is not an HLL");

    hll_init_empty(&h);
    is_mem(h.p, h.len, "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18,
           "a new HLL: sparse, cached 0, one XZERO of 16384 (Redis' bytes)");
    is_int(hll_check(h.p, h.len), HLL_OK, "  ... passes the check");
    hll_free(&h);
}

static void test_hash(void)
{
    static const struct th_pick picks[] = {
        {"a", 1, 12711, 2},
        {"hello", 5, 9216, 1},
        {"", 0, 5938, 2},
        {"0123456789abcdefghij", 20, 2027, 1},
        {"12345678", 8, 10579, 3},
    };

    for (size_t i = 0; i < OMK_ARRAY_LEN(picks); i++) {
        unsigned index, count = hll_pattern(picks[i].ele, picks[i].len, &index);

        ok(index == picks[i].index && count == picks[i].count,
           "element '%s' -> register %u, value %u (Redis' choice)", picks[i].ele,
           picks[i].index, picks[i].count);
    }
    is_int(hll_murmur64a("", 0, 0), 0, "MurmurHash64A of nothing with seed 0 is 0");
}

static void test_sparse_bytes(void)
{
    static const char abc[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80"
                              "\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a";
    static const char x40[] =
        "z:57 v:1,1 Z:825 v:6,1 Z:676 v:2,1 Z:72 v:1,1 z:21 v:1,1 Z:533 v:1,1 Z:252 v:5,1 "
        "Z:137 v:1,1 z:31 v:1,1 Z:715 v:3,1 Z:324 v:2,1 Z:662 v:14,1 Z:68 v:5,1 Z:77 v:3,1 "
        "Z:222 v:1,1 z:5 v:2,1 Z:667 v:1,1 Z:637 v:1,1 Z:81 v:3,1 Z:665 v:1,1 Z:511 v:2,1 "
        "Z:90 v:2,1 Z:304 v:4,1 Z:201 v:2,1 Z:1452 v:1,1 Z:299 v:1,1 Z:1332 v:7,1 Z:384 "
        "v:4,1 Z:1134 v:1,1 Z:160 v:3,1 Z:521 v:1,1 z:37 v:2,1 z:46 v:3,1 Z:124 v:6,1 "
        "Z:1110 v:4,1 Z:265 v:2,1 Z:1003 v:2,1 Z:295 v:10,1 Z:170 v:1,1 Z:81 v:3,1 Z:98";
    struct hll h;
    uint64_t card = 0;

    hll_init_empty(&h);
    is_int(hll_add(&h, "a", 1, MAXB), HLL_CHANGED, "PFADD a: changed");
    is_int(hll_add(&h, "b", 1, MAXB), HLL_CHANGED, "PFADD b: changed");
    is_int(hll_add(&h, "c", 1, MAXB), HLL_CHANGED, "PFADD c: changed");
    is_int(hll_add(&h, "a", 1, MAXB), HLL_OK, "PFADD a again: no change");
    is_mem(h.p, h.len, abc, sizeof(abc) - 1, "a b c: Redis' bytes, cache marked stale");
    is_int(hll_cache_get(h.p, &card), 0, "  ... the cache is stale");
    is_int(hll_count(&h, &card), HLL_OK, "  ... counts");
    is_int(card, 3, "  ... to 3");
    hll_cache_set(h.p, card);
    is_int(hll_cache_get(h.p, &card) && card == 3, 1, "the cache holds 3 once set");
    is_int(h.p[15], 0, "  ... with the stale bit clear");
    hll_free(&h);

    hll_init_empty(&h);
    th_add_seq(&h, "x", 40, MAXB);
    th_decode_is(&h, x40, "x0..x39: Redis' opcodes (ZERO, XZERO and VAL as Redis chose them)");
    is_int(hll_count(&h, &card) == HLL_OK && card == 40, 1, "  ... count 40 as Redis");
    hll_free(&h);
}

/* Redis' own example: registers 1000, 1020, 1021 at 2, 3, 3. */
static void test_sparse_edits(void)
{
    struct hll h;

    hll_init_empty(&h);
    is_int(hll_set(&h, 1000, 2, MAXB), HLL_CHANGED, "set register 1000 to 2");
    th_decode_is(&h, "Z:1000 v:2,1 Z:15383", "  ... the XZERO is split in three");
    hll_set(&h, 1020, 3, MAXB);
    th_decode_is(&h, "Z:1000 v:2,1 z:19 v:3,1 Z:15363", "set 1020 to 3: a ZERO of 19 before it");
    hll_set(&h, 1021, 3, MAXB);
    th_decode_is(&h, "Z:1000 v:2,1 z:19 v:3,2 Z:15362", "set 1021 to 3: joined with 1020");
    is_int(hll_set(&h, 1021, 3, MAXB), HLL_OK, "setting the same value changes nothing");
    is_int(hll_set(&h, 1020, 1, MAXB), HLL_OK, "a lower value changes nothing");
    hll_set(&h, 1021, 5, MAXB);
    th_decode_is(&h, "Z:1000 v:2,1 z:19 v:3,1 v:5,1 Z:15362", "raising one of a VAL run splits it");
    hll_set(&h, 1022, 5, MAXB);
    hll_set(&h, 1023, 5, MAXB);
    hll_set(&h, 1024, 5, MAXB);
    th_decode_is(&h, "Z:1000 v:2,1 z:19 v:3,1 v:5,4 Z:15359", "a VAL run joins up to 4");
    hll_set(&h, 1025, 5, MAXB);
    th_decode_is(&h, "Z:1000 v:2,1 z:19 v:3,1 v:5,4 v:5,1 Z:15358", "  ... and not past 4");
    hll_set(&h, 1001, 1, MAXB);
    th_decode_is(&h, "Z:1000 v:2,1 v:1,1 z:18 v:3,1 v:5,4 v:5,1 Z:15358",
                 "a ZERO split at its first register");
    hll_set(&h, 0, 1, MAXB);
    hll_set(&h, 16383, 32, MAXB);
    th_decode_is(&h, "v:1,1 Z:999 v:2,1 v:1,1 z:18 v:3,1 v:5,4 v:5,1 Z:15357 v:32,1",
                 "the first and last registers; 32 still fits a sparse value");
    is_int(hll_encoding(h.p), HLL_SPARSE, "  ... sparse");
    hll_free(&h);

    /* An XZERO of one register (only a corrupt-looking but valid code holds one). */
    {
        static const uint8_t code[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0x40, 0x00, 0x7f, 0xfe};
        uint64_t card;

        hll_init_copy(&h, code, sizeof(code));
        th_decode_is(&h, "Z:1 Z:16383", "an XZERO of one register decodes");
        is_int(hll_set(&h, 0, 4, MAXB), HLL_CHANGED, "setting it");
        th_decode_is(&h, "v:4,1 Z:16383", "  ... replaces it by one VAL (one byte shorter)");
        is_int(hll_count(&h, &card), HLL_OK, "  ... still covers 16384 registers");
        hll_free(&h);
    }
}

static void test_promotion(void)
{
    struct hll h, d;
    uint64_t cs, cd;
    unsigned changed;

    hll_init_empty(&h);
    hll_set(&h, 7, 3, MAXB);
    hll_cache_set(h.p, 1);
    is_int(hll_set(&h, 9, 33, MAXB), HLL_CHANGED, "a register of 33 does not fit sparse");
    is_int(hll_encoding(h.p), HLL_DENSE, "  ... so the HLL is dense");
    is_int(h.len, HLL_DENSE_SIZE, "  ... of 12304 bytes");
    is_int(hll_dense_get(h.p + HLL_HDR_SIZE, 7), 3, "  ... register 7 kept");
    is_int(hll_dense_get(h.p + HLL_HDR_SIZE, 9), 33, "  ... register 9 set");
    is_int(h.p[15] & 0x80, 0x80, "  ... the cache is stale");
    is_int(hll_set(&h, 9, 20, MAXB), HLL_OK, "a dense register is not lowered");
    hll_free(&h);

    /* Size: with a limit of 300 bytes the value goes dense at the edit that would pass it. */
    hll_init_empty(&h);
    hll_init_empty(&d);
    hll_to_dense(&d);
    changed = 0;
    for (unsigned i = 0; i < 2000 && hll_encoding(h.p) == HLL_SPARSE; i++) {
        char b[16];
        int l = snprintf(b, sizeof(b), "p%u", i);
        size_t before = h.len;

        hll_add(&h, b, (size_t)l, 300);
        hll_add(&d, b, (size_t)l, 300);
        if (hll_encoding(h.p) == HLL_SPARSE && h.len > 300)
            changed++;
        if (hll_encoding(h.p) == HLL_DENSE)
            ok(before + 3 > 300, "went dense at an edit that could pass 300 bytes (was %zu)",
               before);
    }
    is_int(changed, 0, "a sparse value never passed 300 bytes");
    is_int(hll_encoding(h.p), HLL_DENSE, "  ... and went dense");
    is_mem(h.p + HLL_HDR_SIZE, HLL_DENSE_SIZE - HLL_HDR_SIZE, d.p + HLL_HDR_SIZE,
           HLL_DENSE_SIZE - HLL_HDR_SIZE, "  ... with the registers of a dense one fed the same");
    hll_count(&h, &cs);
    hll_count(&d, &cd);
    is_int(cs, cd, "  ... and the same count");
    is_int(hll_to_dense(&h), HLL_OK, "making a dense value dense changes nothing");
    hll_free(&h);
    hll_free(&d);
}

static void test_dense_packing(void)
{
    uint8_t *regs = omk_calloc(1, HLL_DENSE_SIZE - HLL_HDR_SIZE);
    uint8_t want[HLL_REGISTERS];
    uint64_t x = 12345;
    int bad = 0;

    for (unsigned i = 0; i < HLL_REGISTERS; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        want[i] = (uint8_t)((x >> 33) & 63);
        hll_dense_set(regs, i, want[i]);
    }
    for (unsigned i = 0; i < HLL_REGISTERS; i++)
        bad += hll_dense_get(regs, i) != want[i];
    is_int(bad, 0, "16384 random 6-bit registers read back");
    hll_dense_set(regs, 1, 63);
    hll_dense_set(regs, 1, 0);
    is_int(hll_dense_get(regs, 0) == want[0] && hll_dense_get(regs, 2) == want[2], 1,
           "setting a register leaves its neighbours");
    memset(regs, 0, HLL_DENSE_SIZE - HLL_HDR_SIZE);
    hll_dense_set(regs, 1, 63);
    is_int(regs[0], 0xc0, "register 1 starts at bit 6 of byte 0");
    is_int(regs[1], 0x0f, "  ... and ends in byte 1");
    hll_dense_set(regs, HLL_REGISTERS - 1, 63);
    is_int(regs[HLL_DENSE_SIZE - HLL_HDR_SIZE - 1], 0xfc, "the last register is the top of the last byte");
    omk_free(regs);
}

static void test_counts(void)
{
    /* PFCOUNT of x0..x(n-1) in Redis 7.0.15. */
    static const struct {
        unsigned n;
        uint64_t card;
    } want[] = {{10, 10}, {270, 269}, {2430, 2409}, {7290, 7325}, {65610, 65725}};
    struct hll h;
    unsigned done = 0;
    uint64_t card = 99;

    hll_init_empty(&h);
    is_int(hll_count(&h, &card) == HLL_OK && card == 0, 1, "an empty HLL counts 0");
    for (size_t i = 0; i < OMK_ARRAY_LEN(want); i++) {
        for (; done < want[i].n; done++) {
            char b[16];
            int l = snprintf(b, sizeof(b), "x%u", done);

            hll_add(&h, b, (size_t)l, MAXB);
        }
        hll_count(&h, &card);
        is_int(card, want[i].card, "x0..x%u: Redis' estimate", want[i].n - 1);
    }
    hll_free(&h);
}

static void test_merge(void)
{
    uint8_t max[HLL_REGISTERS];
    struct hll a, b, u;
    uint64_t cu;

    hll_init_empty(&a);
    hll_init_empty(&b);
    hll_init_empty(&u);
    th_add_seq(&a, "m", 500, MAXB);
    th_add_seq(&b, "n", 5000, MAXB);
    th_add_seq(&u, "m", 500, MAXB);
    th_add_seq(&u, "n", 5000, MAXB);
    is_int(hll_encoding(a.p) == HLL_SPARSE && hll_encoding(b.p) == HLL_DENSE, 1,
           "one sparse and one dense input");
    memset(max, 0, sizeof(max));
    is_int(hll_merge(max, &a), HLL_OK, "merge the sparse one");
    is_int(hll_merge(max, &b), HLL_OK, "merge the dense one");
    hll_count(&u, &cu);
    is_int(hll_count_bytes(max), cu, "the merged registers count as the union does");
    hll_free(&a);
    hll_free(&b);
    hll_free(&u);
}

static void test_corrupt(void)
{
    static const uint8_t shortcode[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0x40, 0x63}; /* XZERO of 100 */
    static const uint8_t longcode[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0x7f, 0xff, 0x80};  /* 16384 zeros, then a VAL */
    static const uint8_t cut[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0x7f}; /* XZERO missing its second byte */
    uint8_t max[HLL_REGISTERS] = {0};
    struct hll h;
    uint64_t card;
    size_t n;
    char *t;

    hll_init_copy(&h, shortcode, sizeof(shortcode));
    is_int(hll_count(&h, &card), HLL_ERR_CORRUPT, "a code of 100 registers: count fails");
    is_int(hll_merge(max, &h), HLL_ERR_CORRUPT, "  ... merge fails");
    is_int(hll_to_dense(&h), HLL_ERR_CORRUPT, "  ... making it dense fails");
    is_int(hll_set(&h, 5000, 1, MAXB), HLL_ERR_CORRUPT, "  ... a register past its end fails");
    is_int(hll_set(&h, 50, 40, MAXB), HLL_ERR_CORRUPT, "  ... going dense for 40 fails");
    is_mem(h.p, h.len, shortcode, sizeof(shortcode), "  ... and nothing changed");
    is_int(hll_set(&h, 50, 1, MAXB), HLL_CHANGED, "a register inside it can still be set (as Redis)");
    hll_free(&h);

    hll_init_copy(&h, longcode, sizeof(longcode));
    is_int(hll_count(&h, &card), HLL_ERR_CORRUPT, "a code of 16385 registers: count fails");
    memset(max, 0, sizeof(max));
    /* Redis 7.0.15 as Debian ships it (the fix of CVE-2025-32023) refuses a VAL past the
     * last register in every walk (the unpatched 7.0.15 stopped there and passed). */
    is_int(hll_merge(max, &h), HLL_ERR_CORRUPT,
           "  ... merge refuses a VAL past the end too (as the reference redis-server)");
    is_int(hll_to_dense(&h), HLL_ERR_CORRUPT, "  ... and so does making it dense");
    hll_free(&h);

    hll_init_copy(&h, cut, sizeof(cut));
    t = hll_decode(&h, &n);
    is_mem(t, n, "Z:16129", 7, "an XZERO cut short reads its missing byte as 0 (as Redis)");
    omk_free(t);
    is_int(hll_count(&h, &card), HLL_ERR_CORRUPT, "  ... and does not cover 16384");
    hll_free(&h);

    {
        /* Z:254 v:1,1 and an XZERO of 16129 registers cut short: 16384 with its NUL */
        static const uint8_t cut2[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0x80, 0x40, 0xfd, 0x80, 0x7f};

        hll_init_copy(&h, cut2, sizeof(cut2));
        is_int(hll_count(&h, &card), HLL_OK, "an XZERO cut short with a NUL past the end");
        is_int(hll_add(&h, "hello", 5, MAXB), HLL_CHANGED, "  ... split by an element in it");
        is_mem(h.p + 16, h.len - 16, "\x40\xfd\x80\x63\x00\x80\x5b", 7,
               "  ... which leaves a new XZERO cut short");
        is_int(h.tail, 0xfe, "  ... its low byte past the end, as Redis leaves it");
        is_int(hll_count(&h, &card) == HLL_OK && card == 2, 1, "  ... where a count reads it");
        t = hll_decode(&h, &n);
        is_mem(t, n, "Z:254 v:1,1 Z:8961 v:1,1 Z:7167", 31, "  ... and PFDEBUG DECODE");
        omk_free(t);
        h.tail = 0;
        is_int(hll_count(&h, &card), HLL_ERR_CORRUPT, "  ... without it the code is short");
        hll_free(&h);
    }

    hll_init_copy(&h, cut, 16);
    t = hll_decode(&h, &n);
    is_int(n, 0, "a header alone decodes to nothing");
    omk_free(t);
    is_int(hll_set(&h, 0, 1, MAXB), HLL_ERR_CORRUPT, "  ... and no register can be set");
    hll_free(&h);
}

static void test_selftest(void)
{
    char err[200] = "";

    is_int(hll_selftest(MAXB, err, sizeof(err)), 0, "PFSELFTEST passes");
    if (err[0])
        diag("  %s", err);
    is_int(hll_selftest(0, err, sizeof(err)), 0, "  ... also when every HLL is dense at once");
}

int main(void)
{
    test_check();
    test_hash();
    test_sparse_bytes();
    test_sparse_edits();
    test_promotion();
    test_dense_packing();
    test_counts();
    test_merge();
    test_corrupt();
    test_selftest();
    return tap_done();
}
