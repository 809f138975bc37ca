/* hll.c - the HyperLogLog value of hll.h, written from Redis 7's published layout and
 * algorithm so that every edit leaves the bytes Redis would leave: the same opcode
 * chosen for each run, the same neighbours merged, the same moment of going dense.
 * Pure: bytes in, bytes out; store/ops_hll.c does the reading and the writing.
 *
 * Corrupt values are followed the way Redis follows them: a two-byte XZERO cut short by
 * the end of the value reads its missing byte from the byte past the end, struct hll's
 * 'tail' (see hll.h: usually the NUL that ends Redis' strings, but an edit of such an
 * XZERO leaves its own last byte there), and a walk that does not land on exactly 16384
 * registers is an error. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/hll.h"

#define HLL_SEED 0xadc83b19ULL
#define HLL_Q (64 - HLL_P)             /* hash bits left to count zeros in */
#define HLL_REG_BYTES (HLL_DENSE_SIZE - HLL_HDR_SIZE)
#define HLL_REG_MASK ((1u << HLL_BITS) - 1)
#define HLL_ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

#define HLL_OP_XZERO 0x40u   /* 01xxxxxx yyyyyyyy */
#define HLL_OP_VAL 0x80u     /* 1vvvvvxx */
#define HLL_ZERO_RUN_MAX 64  /* longest run a one-byte ZERO holds */
#define HLL_VAL_RUN_MAX 4    /* longest run a VAL holds */
#define HLL_MERGE_SCAN 5     /* opcodes looked at for merges after an edit */

#define HLL_PROMOTE 2        /* internal outcome of hll_sparse_set: go dense first */

/* ---- Buffers ------------------------------------------------------------------------- */

/* Make room for at least 'need' bytes in 'h' (its bytes kept). */
static void hll_reserve(struct hll *h, size_t need)
{
    size_t cap = h->cap ? h->cap : 32;

    if (need <= h->cap)
        return;
    while (cap < need)
        cap *= 2;
    h->p = omk_realloc(h->p, cap);
    h->cap = cap;
}

int hll_check(const void *p, size_t len)
{
    const uint8_t *b = p;

    if (len < HLL_HDR_SIZE || memcmp(b, "HYLL", 4) != 0)
        return HLL_ERR_NOTHLL;
    if (b[4] > HLL_SPARSE)
        return HLL_ERR_NOTHLL;
    if (b[4] == HLL_DENSE && len != HLL_DENSE_SIZE)
        return HLL_ERR_NOTHLL;
    return HLL_OK;
}

void hll_init_empty(struct hll *h)
{
    h->p = NULL;
    h->len = h->cap = 0;
    hll_reserve(h, 64);
    memset(h->p, 0, HLL_EMPTY_SIZE);
    memcpy(h->p, "HYLL", 4);
    h->p[4] = HLL_SPARSE;
    /* one XZERO covering every register */
    h->p[HLL_HDR_SIZE] = (uint8_t)(HLL_OP_XZERO | ((HLL_REGISTERS - 1) >> 8));
    h->p[HLL_HDR_SIZE + 1] = (uint8_t)((HLL_REGISTERS - 1) & 0xff);
    h->len = HLL_EMPTY_SIZE;
    h->tail = 0;
}

void hll_init_copy(struct hll *h, const void *p, size_t len)
{
    h->p = NULL;
    h->len = h->cap = 0;
    hll_reserve(h, len + 8); /* a sparse edit grows by up to 3 bytes */
    memcpy(h->p, p, len);
    h->len = len;
    h->tail = 0;
}

void hll_free(struct hll *h)
{
    omk_free(h->p);
    h->p = NULL;
    h->len = h->cap = 0;
    h->tail = 0;
}

/* ---- Hashing ------------------------------------------------------------------------- */

/* The 8 bytes at 'p' as a little-endian integer. */
static uint64_t hll_le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t hll_murmur64a(const void *p, size_t len, uint64_t seed)
{
    const uint64_t mul = 0xc6a4a7935bd1e995ULL;
    const uint8_t *b = p;
    uint64_t h = seed ^ ((uint64_t)len * mul);
    size_t tail = len & 7;

    for (size_t left = len - tail; left > 0; left -= 8, b += 8) {
        uint64_t k = hll_le64(b);

        k *= mul;
        k ^= k >> 47;
        k *= mul;
        h ^= k;
        h *= mul;
    }
    if (tail) {
        uint64_t k = 0;

        for (size_t i = tail; i-- > 0;)
            k = (k << 8) | b[i];
        h ^= k;
        h *= mul;
    }
    h ^= h >> 47;
    h *= mul;
    h ^= h >> 47;
    return h;
}

unsigned hll_pattern(const void *ele, size_t len, unsigned *index)
{
    uint64_t h = hll_murmur64a(ele, len, HLL_SEED);

    *index = (unsigned)(h & (HLL_REGISTERS - 1));
    /* Count the zeros above the index bits; a one set at bit Q of what is left ends
     * every run, so the value is at most Q + 1. */
    h >>= HLL_P;
    h |= (uint64_t)1 << HLL_Q;
    return (unsigned)__builtin_ctzll(h) + 1;
}

/* ---- Dense registers ----------------------------------------------------------------- */

unsigned hll_dense_get(const uint8_t *regs, unsigned i)
{
    unsigned bit = i * HLL_BITS, byte = bit / 8, shift = bit % 8;
    unsigned v = regs[byte] >> shift;

    if (shift > 8 - HLL_BITS) /* the register spills into the next byte */
        v |= (unsigned)regs[byte + 1] << (8 - shift);
    return v & HLL_REG_MASK;
}

void hll_dense_set(uint8_t *regs, unsigned i, unsigned val)
{
    unsigned bit = i * HLL_BITS, byte = bit / 8, shift = bit % 8;

    regs[byte] = (uint8_t)((regs[byte] & ~(HLL_REG_MASK << shift)) | (val << shift));
    if (shift > 8 - HLL_BITS)
        regs[byte + 1] = (uint8_t)((regs[byte + 1] & ~(HLL_REG_MASK >> (8 - shift))) |
                                   (val >> (8 - shift)));
}

/* ---- The cached cardinality ---------------------------------------------------------- */

int hll_cache_get(const void *p, uint64_t *card)
{
    const uint8_t *b = p;

    if (b[15] & 0x80)
        return 0;
    *card = hll_le64(b + 8);
    return 1;
}

void hll_cache_set(void *p, uint64_t card)
{
    uint8_t *b = p;

    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(card >> (8 * i));
}

void hll_cache_invalidate(void *p)
{
    ((uint8_t *)p)[15] |= 0x80;
}

/* ---- Sparse opcodes ------------------------------------------------------------------ */

/* One sparse opcode, decoded. */
struct hll_op {
    unsigned size; /* bytes: 2 for XZERO, else 1 */
    unsigned run;  /* registers it covers */
    unsigned val;  /* their value: 0 for ZERO and XZERO */
};

/* The opcode at offset 'i' (< 'len') of the value 'p'/'len', whose byte past the end
 * reads as 'tail'. */
static struct hll_op hll_op_at(const uint8_t *p, size_t len, uint8_t tail, size_t i)
{
    unsigned b = p[i];
    struct hll_op op;

    if (b & HLL_OP_VAL) {
        op.size = 1;
        op.run = (b & 0x3) + 1;
        op.val = ((b >> 2) & 0x1f) + 1;
    } else if (b & HLL_OP_XZERO) {
        unsigned lo = i + 1 < len ? p[i + 1] : tail; /* cut short: what Redis reads there */

        op.size = 2;
        op.run = (((b & 0x3f) << 8) | lo) + 1;
        op.val = 0;
    } else {
        op.size = 1;
        op.run = (b & 0x3f) + 1;
        op.val = 0;
    }
    return op;
}

/* The VAL opcode for 'run' (1..4) registers at 'val' (1..32). */
static uint8_t hll_val_op(unsigned val, unsigned run)
{
    return (uint8_t)(HLL_OP_VAL | ((val - 1) << 2) | (run - 1));
}

/* Write the opcode Redis uses for 'run' (1..16384) zero registers at 'out': a ZERO up to
 * 64, else an XZERO. Returns its size. */
static size_t hll_zero_op(uint8_t *out, unsigned run)
{
    if (run <= HLL_ZERO_RUN_MAX) {
        out[0] = (uint8_t)(run - 1);
        return 1;
    }
    out[0] = (uint8_t)(HLL_OP_XZERO | ((run - 1) >> 8));
    out[1] = (uint8_t)((run - 1) & 0xff);
    return 2;
}

/* After an edit, join adjacent VAL opcodes of one value whose runs fit one opcode,
 * looking at HLL_MERGE_SCAN opcodes from offset 'from' (as Redis does: a join does not
 * advance, so the joined opcode may join its right neighbour too). */
static void hll_sparse_join(struct hll *h, size_t from)
{
    uint8_t *p = h->p;
    size_t i = from;

    for (int scan = HLL_MERGE_SCAN; i < h->len && scan > 0; scan--) {
        unsigned b = p[i];

        if (!(b & HLL_OP_VAL)) {
            i += (b & HLL_OP_XZERO) ? 2 : 1;
            continue;
        }
        if (i + 1 < h->len && (p[i + 1] & HLL_OP_VAL)) {
            struct hll_op a = hll_op_at(p, h->len, 0, i), c = hll_op_at(p, h->len, 0, i + 1);

            if (a.val == c.val && a.run + c.run <= HLL_VAL_RUN_MAX) {
                p[i + 1] = hll_val_op(a.val, a.run + c.run);
                memmove(p + i, p + i + 1, h->len - i - 1);
                h->len--;
                h->tail = 0; /* Redis ends the shorter string with a NUL */
                continue;
            }
        }
        i++;
    }
}

/* HOW IT WORKS: raising one register of a sparse value. Walk the opcodes to the one
 * covering 'index'. A VAL already as high needs nothing. A one-register VAL or ZERO is
 * rewritten in place. Otherwise the opcode is replaced by up to three: the registers
 * before 'index' (as they were), a one-register VAL of 'count', the registers after
 * (zeros get a ZERO up to 64, else an XZERO). That can grow the value by up to 3 bytes;
 * growing it past 'sparse_max' makes it dense instead. Then adjacent VALs that can be
 * joined are, starting from the opcode before the edited one.
 * Returns HLL_CHANGED, HLL_OK (already as high), HLL_PROMOTE (the caller goes dense and
 * sets the register there; nothing changed here) or HLL_ERR_CORRUPT (no opcode covers
 * 'index'; nothing changed). */
static int hll_sparse_set(struct hll *h, unsigned index, unsigned count, size_t sparse_max)
{
    struct hll_op op = {0, 0, 0};
    size_t i = HLL_HDR_SIZE, prev = 0; /* prev 0: no opcode before (none sits at 0) */
    uint64_t first = 0, last;          /* registers: the first and last 'op' covers */
    uint8_t seq[5];
    size_t n = 0, newlen, tail;

    if (count > HLL_SPARSE_VAL_MAX)
        return HLL_PROMOTE;
    while (i < h->len) {
        op = hll_op_at(h->p, h->len, h->tail, i);
        if (index < first + op.run)
            break;
        prev = i;
        i += op.size;
        first += op.run;
    }
    if (i >= h->len)
        return HLL_ERR_CORRUPT;
    if (op.val >= count)
        return HLL_OK;
    if (op.run == 1 && op.size == 1) { /* a VAL or a ZERO of this register alone */
        h->p[i] = hll_val_op(count, 1);
        goto join;
    }

    last = first + op.run - 1;
    if (op.val == 0) {
        if (index > first)
            n += hll_zero_op(seq + n, (unsigned)(index - first));
        seq[n++] = hll_val_op(count, 1);
        if (index < last)
            n += hll_zero_op(seq + n, (unsigned)(last - index));
    } else {
        if (index > first)
            seq[n++] = hll_val_op(op.val, (unsigned)(index - first));
        seq[n++] = hll_val_op(count, 1);
        if (index < last)
            seq[n++] = hll_val_op(op.val, (unsigned)(last - index));
    }
    if (n > op.size && h->len + (n - op.size) > sparse_max)
        return HLL_PROMOTE;

    /* An XZERO cut short by the end covers one byte less than its size: the new length
     * follows the sizes (as Redis counts it), which then leaves the sequence's last byte
     * just past the end, where Redis' string had its NUL: the next walk reads it there. */
    newlen = h->len + n - op.size;
    hll_reserve(h, (newlen > i + n ? newlen : i + n) + 1);
    tail = i + op.size;
    if (tail < h->len)
        memmove(h->p + i + n, h->p + tail, h->len - tail);
    memcpy(h->p + i, seq, n);
    h->len = newlen;
    h->tail = newlen - i < n ? seq[newlen - i] : 0;

join:
    hll_sparse_join(h, prev ? prev : HLL_HDR_SIZE);
    hll_cache_invalidate(h->p);
    return HLL_CHANGED;
}

int hll_to_dense(struct hll *h)
{
    uint64_t idx = 0;
    uint8_t *d;
    size_t i = HLL_HDR_SIZE;

    if (h->p[4] == HLL_DENSE)
        return HLL_OK;
    d = omk_calloc(1, HLL_DENSE_SIZE);
    memcpy(d, h->p, HLL_HDR_SIZE); /* the cached cardinality stays as it was */
    d[4] = HLL_DENSE;
    while (i < h->len) {
        struct hll_op op = hll_op_at(h->p, h->len, h->tail, i);

        if (op.val) {
            if (idx + op.run > HLL_REGISTERS) { /* past the last register: damaged, as
                                                 * Redis 7.0.15's fix of CVE-2025-32023 says */
                idx = HLL_REGISTERS + 1;
                break;
            }
            for (unsigned k = 0; k < op.run; k++)
                hll_dense_set(d + HLL_HDR_SIZE, (unsigned)idx++, op.val);
        } else {
            idx += op.run;
        }
        i += op.size;
    }
    if (idx != HLL_REGISTERS) {
        omk_free(d);
        return HLL_ERR_CORRUPT;
    }
    omk_free(h->p);
    h->p = d;
    h->len = h->cap = HLL_DENSE_SIZE;
    h->tail = 0;
    return HLL_CHANGED;
}

int hll_set(struct hll *h, unsigned index, unsigned count, size_t sparse_max)
{
    uint8_t *regs;

    OMK_ASSERT(index < HLL_REGISTERS && count <= HLL_REG_MASK);
    if (count == 0)
        return HLL_OK;
    if (h->p[4] == HLL_SPARSE) {
        int rc = hll_sparse_set(h, index, count, sparse_max);

        if (rc != HLL_PROMOTE)
            return rc;
        if (hll_to_dense(h) == HLL_ERR_CORRUPT)
            return HLL_ERR_CORRUPT;
    }
    regs = h->p + HLL_HDR_SIZE;
    if (hll_dense_get(regs, index) >= count)
        return HLL_OK;
    hll_dense_set(regs, index, count);
    hll_cache_invalidate(h->p);
    return HLL_CHANGED;
}

int hll_add(struct hll *h, const void *ele, size_t len, size_t sparse_max)
{
    unsigned index, count = hll_pattern(ele, len, &index);

    return hll_set(h, index, count, sparse_max);
}

/* ---- Counting and merging ------------------------------------------------------------ */

/* Ertl's sigma(x), for the registers at zero (x: their share, 0..1). */
static double hll_sigma(double x)
{
    double y = 1, z = x, before;

    if (x == 1.)
        return INFINITY;
    do {
        x *= x;
        before = z;
        z += x * y;
        y += y;
    } while (z != before);
    return z;
}

/* Ertl's tau(x), for the registers at the largest value (x: one minus their share). */
static double hll_tau(double x)
{
    double y = 1.0, z, before;

    if (x == 0. || x == 1.)
        return 0.;
    z = 1 - x;
    do {
        x = sqrt(x);
        before = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (z != before);
    return z / 3;
}

/* The estimate for a histogram of register values ('hist[v]': registers at v). Values
 * above Q + 1 cannot come from the hash and are left out, as Redis leaves them out. */
static uint64_t hll_estimate(const uint64_t hist[64])
{
    double m = HLL_REGISTERS;
    double z = m * hll_tau((m - (double)hist[HLL_Q + 1]) / m);

    for (int v = HLL_Q; v >= 1; v--) {
        z += (double)hist[v];
        z *= 0.5;
    }
    z += m * hll_sigma((double)hist[0] / m);
    return (uint64_t)llroundl(HLL_ALPHA_INF * m * m / z);
}

int hll_count(const struct hll *h, uint64_t *card)
{
    const uint8_t *b = h->p;
    size_t len = h->len;
    uint64_t hist[64] = {0};

    if (b[4] == HLL_DENSE) {
        for (unsigned i = 0; i < HLL_REGISTERS; i++)
            hist[hll_dense_get(b + HLL_HDR_SIZE, i)]++;
    } else {
        uint64_t idx = 0;

        for (size_t i = HLL_HDR_SIZE; i < len;) {
            struct hll_op op = hll_op_at(b, len, h->tail, i);

            idx += op.run;
            hist[op.val] += op.run;
            i += op.size;
        }
        if (idx != HLL_REGISTERS)
            return HLL_ERR_CORRUPT;
    }
    *card = hll_estimate(hist);
    return HLL_OK;
}

int hll_merge(uint8_t max[HLL_REGISTERS], const struct hll *h)
{
    const uint8_t *b = h->p;
    size_t len = h->len;
    uint64_t idx = 0;

    if (b[4] == HLL_DENSE) {
        for (unsigned i = 0; i < HLL_REGISTERS; i++) {
            unsigned v = hll_dense_get(b + HLL_HDR_SIZE, i);

            if (v > max[i])
                max[i] = (uint8_t)v;
        }
        return HLL_OK;
    }
    for (size_t i = HLL_HDR_SIZE; i < len;) {
        struct hll_op op = hll_op_at(b, len, h->tail, i);

        if (op.val) {
            if (idx + op.run > HLL_REGISTERS) { /* past the last register: damaged, as
                                                 * Redis 7.0.15's fix of CVE-2025-32023 says */
                idx = HLL_REGISTERS + 1;
                break;
            }
            for (unsigned k = 0; k < op.run; k++, idx++)
                if (op.val > max[idx])
                    max[idx] = (uint8_t)op.val;
        } else {
            idx += op.run;
        }
        i += op.size;
    }
    return idx == HLL_REGISTERS ? HLL_OK : HLL_ERR_CORRUPT;
}

uint64_t hll_count_bytes(const uint8_t max[HLL_REGISTERS])
{
    uint64_t hist[64] = {0};

    for (unsigned i = 0; i < HLL_REGISTERS; i++)
        hist[max[i] & 63]++;
    return hll_estimate(hist);
}

/* ---- PFDEBUG DECODE ------------------------------------------------------------------ */

/* Append the text of opcode 'op' (and a space) at 'out' if not NULL; returns its length. */
static size_t hll_op_text(char *out, const struct hll_op *op, int xzero)
{
    char buf[32];
    int n;

    if (op->val)
        n = snprintf(buf, sizeof(buf), "v:%u,%u ", op->val, op->run);
    else
        n = snprintf(buf, sizeof(buf), "%c:%u ", xzero ? 'Z' : 'z', op->run);
    if (out)
        memcpy(out, buf, (size_t)n);
    return (size_t)n;
}

char *hll_decode(const struct hll *h, size_t *outlen)
{
    const uint8_t *b = h->p;
    size_t len = h->len;
    size_t total = 0, at = 0;
    char *out = NULL;

    /* Two passes: measure, then write (a corrupt value may be long). */
    for (int pass = 0; pass < 2; pass++) {
        out = pass ? omk_malloc(total + 1) : NULL;
        for (size_t i = HLL_HDR_SIZE; i < len;) {
            struct hll_op op = hll_op_at(b, len, h->tail, i);
            size_t w = hll_op_text(out ? out + at : NULL, &op, op.size == 2);

            if (pass)
                at += w;
            else
                total += w;
            i += op.size;
        }
    }
    if (at > 0) /* the space after the last opcode */
        at--;
    out[at] = '\0';
    *outlen = at;
    return out;
}

/* ---- PFSELFTEST ---------------------------------------------------------------------- */

/* A xorshift64* step: the self-test's random numbers. */
static uint64_t hll_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Test 1 of hll_selftest: every register keeps its value and leaves its neighbours
 * alone, over 1000 rounds of random values. */
static int hll_selftest_registers(uint64_t *rng, char *err, size_t errlen)
{
    uint8_t *regs = omk_calloc(1, HLL_REG_BYTES);
    uint8_t *want = omk_malloc(HLL_REGISTERS);
    int rc = 0;

    for (int round = 0; round < 1000 && rc == 0; round++) {
        for (unsigned i = 0; i < HLL_REGISTERS; i++) {
            want[i] = (uint8_t)(hll_rand(rng) & HLL_REG_MASK);
            hll_dense_set(regs, i, want[i]);
        }
        for (unsigned i = 0; i < HLL_REGISTERS && rc == 0; i++) {
            unsigned got = hll_dense_get(regs, i);

            if (got != want[i]) {
                snprintf(err, errlen, "TESTFAILED Register %u should be %d but is %u", i,
                         (int)want[i], got);
                rc = -1;
            }
        }
    }
    omk_free(regs);
    omk_free(want);
    return rc;
}

/* Test 2 of hll_selftest: the same elements into a dense and a sparse HLL. */
static int hll_selftest_estimate(uint64_t *rng, size_t sparse_max, char *err, size_t errlen)
{
    const double relerr = 1.04 / sqrt(HLL_REGISTERS);
    struct hll dense, sparse;
    uint64_t seed = hll_rand(rng), checkpoint = 1;
    int rc = 0;

    dense.p = omk_calloc(1, HLL_DENSE_SIZE);
    memcpy(dense.p, "HYLL", 4);
    dense.len = dense.cap = HLL_DENSE_SIZE;
    dense.tail = 0;
    hll_init_empty(&sparse);
    for (uint64_t j = 1; j <= 10000000 && rc == 0; j++) {
        uint64_t x = j ^ seed, cd = 0, cs = 0;
        uint8_t ele[8];

        for (int k = 0; k < 8; k++)
            ele[k] = (uint8_t)(x >> (8 * k));
        hll_add(&dense, ele, sizeof(ele), sparse_max);
        hll_add(&sparse, ele, sizeof(ele), sparse_max);
        if (j != checkpoint)
            continue;
        if (j < sparse_max / 2 && sparse.p[4] != HLL_SPARSE) {
            snprintf(err, errlen, "TESTFAILED sparse encoding not used");
            rc = -1;
            break;
        }
        hll_count(&dense, &cd);
        if (hll_count(&sparse, &cs) != HLL_OK || cd != cs) {
            snprintf(err, errlen, "TESTFAILED dense/sparse disagree");
            rc = -1;
            break;
        }
        {
            int64_t abserr = (int64_t)checkpoint - (int64_t)cd;
            uint64_t maxerr = (uint64_t)ceil(relerr * 6 * (double)checkpoint);

            if (j == 10)
                maxerr = 1;
            if (abserr < 0)
                abserr = -abserr;
            if (abserr > (int64_t)maxerr) {
                snprintf(err, errlen, "TESTFAILED Too big error. card:%llu abserr:%llu",
                         (unsigned long long)checkpoint, (unsigned long long)abserr);
                rc = -1;
            }
        }
        checkpoint *= 10;
    }
    hll_free(&dense);
    hll_free(&sparse);
    return rc;
}

int hll_selftest(size_t sparse_max, char *err, size_t errlen)
{
    uint64_t rng = (uint64_t)omk_now_us() * 0x9e3779b97f4a7c15ULL | 1;

    if (hll_selftest_registers(&rng, err, errlen) != 0)
        return -1;
    return hll_selftest_estimate(&rng, sparse_max, err, errlen);
}
