/* test_bits.c - store/bits.c against bit-by-bit models: popcount and bit search over
 * buffers of every small length and alignment, the edge masks, Redis 7.0's range clamping
 * (cases answered by redis-server 7.0.15), BITOP's byte combination, and BITFIELD's
 * integers: reads and writes at every offset and width against a bit model, and every
 * overflow rule at the edges of each type (the values Redis 7.0.15 answers). */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/bits.h"
#include "tests/tap.h"

/* ---- models ---- */

static int model_bit(const unsigned char *p, uint64_t i)
{
    return (p[i / 8] >> (7 - i % 8)) & 1;
}

static uint64_t model_popcount(const unsigned char *p, size_t n)
{
    uint64_t c = 0;

    for (uint64_t i = 0; i < n * 8; i++)
        c += (uint64_t)model_bit(p, i);
    return c;
}

static int64_t model_find(const unsigned char *p, size_t n, int bit)
{
    for (uint64_t i = 0; i < n * 8; i++)
        if (model_bit(p, i) == bit)
            return (int64_t)i;
    return -1;
}

static uint64_t model_get_u(const unsigned char *p, uint64_t off, unsigned width)
{
    uint64_t v = 0;

    for (unsigned j = 0; j < width; j++)
        v = v << 1 | (uint64_t)model_bit(p, off + j);
    return v;
}

/* A random byte with a bias toward 0x00 and 0xff (so runs of them occur). */
static unsigned char rnd_byte(void)
{
    int r = rand() % 8;

    return r == 0 ? 0x00 : r == 1 ? 0xff : (unsigned char)rand();
}

/* ---- counting and finding ---- */

static void test_popcount_find(void)
{
    unsigned char buf[300];
    int bad_count = 0, bad_find = 0;

    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand() % 140), at = (size_t)(rand() % 9);
        int fill = rand() % 3;

        for (size_t i = 0; i < n; i++)
            buf[at + i] = fill == 0 ? 0x00 : fill == 1 ? 0xff : rnd_byte();
        if (n > 0 && rand() % 2) /* a single odd bit somewhere */
            buf[at + (size_t)rand() % n] ^= (unsigned char)(1u << (rand() % 8));
        if (bits_popcount(buf + at, n) != model_popcount(buf + at, n))
            bad_count++;
        for (int bit = 0; bit < 2; bit++)
            if (bits_find(buf + at, n, bit) != model_find(buf + at, n, bit))
                bad_find++;
    }
    ok(bad_count == 0, "bits_popcount matches the model over 2000 buffers (%d differ)", bad_count);
    ok(bad_find == 0, "bits_find matches the model for 0 and 1 (%d differ)", bad_find);
    is_int(bits_popcount("", 0), 0, "popcount of nothing");
    is_int(bits_find("", 0, 0), -1, "find in nothing: -1");
    is_int(bits_find("\xff\xff", 2, 0), -1, "no 0 in ones: -1");
    is_int(bits_find("\x00\x01", 2, 1), 15, "the last bit of two bytes: 15");
    is_int(bits_find("\xff\xfe", 2, 0), 15, "a 0 in the last bit: 15");
}

static void test_masks_ranges(void)
{
    uint64_t first = 99, last = 99;

    is_int(bits_byte_mask(0, 0, 7), 0xff, "mask of a whole byte");
    is_int(bits_byte_mask(0, 3, 7), 0x1f, "mask from bit 3");
    is_int(bits_byte_mask(0, 0, 4), 0xf8, "mask to bit 4");
    is_int(bits_byte_mask(1, 10, 12), 0x38, "mask of bits 10..12 in byte 1");
    is_int(bits_byte_mask(2, 3, 30), 0xff, "mask of a byte inside the range");
    is_int(bits_byte_mask(4, 3, 30), 0, "mask of a byte past the range");

    /* "foobar" is 6 bytes; the expected bit ranges follow from Redis 7.0.15's answers
     * (BITCOUNT foobar 5 30 BIT = 17, -2 -1 BIT = 1, 1 1 BIT = 1). */
    ok(bits_range(6, 0, -1, 0, &first, &last) && first == 0 && last == 47, "0 -1: all 48 bits");
    ok(bits_range(6, -2, -1, 0, &first, &last) && first == 32 && last == 47, "-2 -1: bytes 4..5");
    ok(bits_range(6, -100, 2, 0, &first, &last) && first == 0 && last == 23, "-100 2: from 0");
    ok(bits_range(6, 5, 30, 1, &first, &last) && first == 5 && last == 30, "5 30 BIT");
    ok(bits_range(6, 40, 100, 1, &first, &last) && first == 40 && last == 47, "40 100 BIT: cut");
    ok(bits_range(6, -2, -1, 1, &first, &last) && first == 46 && last == 47, "-2 -1 BIT");
    ok(bits_range(6, LLONG_MIN, LLONG_MAX, 1, &first, &last) && first == 0 && last == 47,
       "LLONG_MIN LLONG_MAX BIT: the whole string");
    first = last = 99;
    ok(!bits_range(6, 1, 0, 0, &first, &last) && first == 99 && last == 99,
       "1 0: empty, outputs untouched");
    ok(!bits_range(6, -1, -2, 0, &first, &last), "-1 -2: empty");
    ok(!bits_range(6, 6, 10, 0, &first, &last), "6 10: past the end, empty");
    ok(!bits_range(0, 0, -1, 0, &first, &last), "an empty string: empty");
    ok(!bits_range(0, 0, 0, 1, &first, &last), "an empty string in bits: empty");
}

static void test_combine(void)
{
    unsigned char a[70], b[70], want[70];
    int bad = 0;

    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(rand() % 70);
        enum store_bitop op = (enum store_bitop)(rand() % 3);

        for (size_t i = 0; i < n; i++) {
            a[i] = rnd_byte();
            b[i] = rnd_byte();
            want[i] = (unsigned char)(op == STORE_BITOP_AND  ? a[i] & b[i]
                                      : op == STORE_BITOP_OR ? a[i] | b[i]
                                                             : a[i] ^ b[i]);
        }
        bits_combine(a, b, n, op);
        bad += n > 0 && memcmp(a, want, n) != 0;
    }
    ok(bad == 0, "bits_combine AND/OR/XOR match byte by byte (%d differ)", bad);
}

/* ---- BITFIELD ---- */

static void test_get_set(void)
{
    unsigned char buf[20], before[20];
    int bad_get = 0, bad_set = 0, bad_sign = 0;

    for (int round = 0; round < 5000; round++) {
        unsigned width = 1 + (unsigned)(rand() % 64);
        uint64_t off = (uint64_t)(rand() % (int)(sizeof(buf) * 8 - width + 1));
        uint64_t v = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
        uint64_t mask = width == 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
        int64_t sv;

        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = rnd_byte();
        if (bits_get_u(buf, off, width) != model_get_u(buf, off, width))
            bad_get++;
        sv = bits_get_i(buf, off, width);
        if ((uint64_t)sv != (model_get_u(buf, off, width) |
                             (model_bit(buf, off) && width < 64 ? ~mask : 0)))
            bad_sign++;
        memcpy(before, buf, sizeof(buf));
        bits_set(buf, off, width, v);
        if (model_get_u(buf, off, width) != (v & mask))
            bad_set++;
        for (uint64_t i = 0; i < sizeof(buf) * 8; i++)
            if ((i < off || i >= off + width) && model_bit(buf, i) != model_bit(before, i)) {
                bad_set++;
                break;
            }
    }
    ok(bad_get == 0, "bits_get_u matches the model at every width and offset (%d differ)",
       bad_get);
    ok(bad_sign == 0, "bits_get_i sign-extends the same field (%d differ)", bad_sign);
    ok(bad_set == 0, "bits_set writes the field and nothing else (%d differ)", bad_set);
    is_int(bits_field_bytes(0, 8), 1, "u8 at bit 0 covers 1 byte");
    is_int(bits_field_bytes(7, 64), 9, "i64 at bit 7 covers 9 bytes");
    is_int(bits_field_bytes(1, 8), 2, "u8 at bit 1 covers 2 bytes");
}

/* One BITFIELD step on a 9-byte field buffer holding 'start' (as the type's bits at
 * 'shift'): the op's result or nil, and the value left. */
struct bf_case {
    const char *name;
    int kind, overflow, is_signed;
    unsigned bits;
    long long start, arg;
    int failed;
    long long result, after;
};

static void test_overflow(void)
{
    static const struct bf_case cases[] = {
        /* unsigned INCRBY */
        {"u8 250 +10 WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 0, 8, 250, 10, 0, 4, 4},
        {"u8 250 +10 SAT", STORE_BF_INCRBY, STORE_BF_SAT, 0, 8, 250, 10, 0, 255, 255},
        {"u8 250 +10 FAIL", STORE_BF_INCRBY, STORE_BF_FAIL, 0, 8, 250, 10, 1, 0, 250},
        {"u8 5 -300 WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 0, 8, 5, -300, 0, 217, 217},
        {"u8 5 -300 SAT", STORE_BF_INCRBY, STORE_BF_SAT, 0, 8, 5, -300, 0, 0, 0},
        {"u8 5 -5 exact", STORE_BF_INCRBY, STORE_BF_FAIL, 0, 8, 5, -5, 0, 0, 0},
        {"u8 5 LLONG_MIN SAT", STORE_BF_INCRBY, STORE_BF_SAT, 0, 8, 5, LLONG_MIN, 0, 0, 0},
        {"u8 5 LLONG_MIN WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 0, 8, 5, LLONG_MIN, 0, 5, 5},
        {"u63 0 +LLONG_MAX", STORE_BF_INCRBY, STORE_BF_FAIL, 0, 63, 0, LLONG_MAX, 0, LLONG_MAX,
         LLONG_MAX},
        {"u63 1 +LLONG_MAX WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 0, 63, 1, LLONG_MAX, 0, 0, 0},
        {"u1 1 +1 FAIL", STORE_BF_INCRBY, STORE_BF_FAIL, 0, 1, 1, 1, 1, 0, 1},
        /* unsigned SET: a negative value is a huge one */
        {"u63 SET -1 WRAP", STORE_BF_SET, STORE_BF_WRAP, 0, 63, 0, -1, 0, 0, LLONG_MAX},
        {"u63 SET -1 SAT", STORE_BF_SET, STORE_BF_SAT, 0, 63, 7, -1, 0, 7, LLONG_MAX},
        {"u63 SET -1 FAIL", STORE_BF_SET, STORE_BF_FAIL, 0, 63, 7, -1, 1, 0, 7},
        {"u1 SET 2 FAIL", STORE_BF_SET, STORE_BF_FAIL, 0, 1, 0, 2, 1, 0, 0},
        {"u1 SET 3 WRAP", STORE_BF_SET, STORE_BF_WRAP, 0, 1, 0, 3, 0, 0, 1},
        {"u8 SET 255", STORE_BF_SET, STORE_BF_FAIL, 0, 8, 1, 255, 0, 1, 255},
        /* signed */
        {"i8 SET 200 WRAP", STORE_BF_SET, STORE_BF_WRAP, 1, 8, 0, 200, 0, 0, -56},
        {"i8 SET 200 SAT", STORE_BF_SET, STORE_BF_SAT, 1, 8, 0, 200, 0, 0, 127},
        {"i8 SET 200 FAIL", STORE_BF_SET, STORE_BF_FAIL, 1, 8, 3, 200, 1, 0, 3},
        /* Redis 7.0 takes a value within max of INT64_MIN as too large (i4: max 7) */
        {"i4 SET INT64_MIN SAT", STORE_BF_SET, STORE_BF_SAT, 1, 4, 0, LLONG_MIN, 0, 0, 7},
        {"i4 SET INT64_MIN+7 SAT", STORE_BF_SET, STORE_BF_SAT, 1, 4, 0, LLONG_MIN + 7, 0, 0, 7},
        {"i4 SET INT64_MIN+8 SAT", STORE_BF_SET, STORE_BF_SAT, 1, 4, 0, LLONG_MIN + 8, 0, 0, -8},
        {"i4 SET INT64_MIN WRAP", STORE_BF_SET, STORE_BF_WRAP, 1, 4, 2, LLONG_MIN, 0, 2, 0},
        {"i4 SET INT64_MIN FAIL", STORE_BF_SET, STORE_BF_FAIL, 1, 4, 2, LLONG_MIN, 1, 0, 2},
        {"i8 SET -129 SAT", STORE_BF_SET, STORE_BF_SAT, 1, 8, 0, -129, 0, 0, -128},
        {"i8 SET -128", STORE_BF_SET, STORE_BF_FAIL, 1, 8, -1, -128, 0, -1, -128},
        {"i1 SET 1 WRAP", STORE_BF_SET, STORE_BF_WRAP, 1, 1, 0, 1, 0, 0, -1},
        {"i1 -1 +1", STORE_BF_INCRBY, STORE_BF_FAIL, 1, 1, -1, 1, 0, 0, 0},
        {"i1 0 +1 SAT", STORE_BF_INCRBY, STORE_BF_SAT, 1, 1, 0, 1, 0, 0, 0},
        {"i8 120 +10 WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 1, 8, 120, 10, 0, -126, -126},
        {"i8 -120 -10 WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 1, 8, -120, -10, 0, 126, 126},
        {"i8 -120 -10 SAT", STORE_BF_INCRBY, STORE_BF_SAT, 1, 8, -120, -10, 0, -128, -128},
        {"i64 max +1 WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 1, 64, LLONG_MAX, 1, 0, LLONG_MIN,
         LLONG_MIN},
        {"i64 max +1 SAT", STORE_BF_INCRBY, STORE_BF_SAT, 1, 64, LLONG_MAX, 1, 0, LLONG_MAX,
         LLONG_MAX},
        {"i64 max +1 FAIL", STORE_BF_INCRBY, STORE_BF_FAIL, 1, 64, LLONG_MAX, 1, 1, 0, LLONG_MAX},
        {"i64 min -1 SAT", STORE_BF_INCRBY, STORE_BF_SAT, 1, 64, LLONG_MIN, -1, 0, LLONG_MIN,
         LLONG_MIN},
        {"i64 min +min SAT", STORE_BF_INCRBY, STORE_BF_SAT, 1, 64, LLONG_MIN, LLONG_MIN, 0,
         LLONG_MIN, LLONG_MIN},
        {"i64 min +min WRAP", STORE_BF_INCRBY, STORE_BF_WRAP, 1, 64, LLONG_MIN, LLONG_MIN, 0, 0, 0},
        {"i64 -1 +max", STORE_BF_INCRBY, STORE_BF_FAIL, 1, 64, -1, LLONG_MAX, 0, LLONG_MAX - 1,
         LLONG_MAX - 1},
        {"i64 1 +min", STORE_BF_INCRBY, STORE_BF_FAIL, 1, 64, 1, LLONG_MIN, 0, LLONG_MIN + 1,
         LLONG_MIN + 1},
        {"i64 SET min", STORE_BF_SET, STORE_BF_FAIL, 1, 64, 5, LLONG_MIN, 0, 5, LLONG_MIN},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bf_case *t = &cases[i];
        for (unsigned shift = 0; shift < 8; shift += 7) {
            unsigned char buf[9];
            struct store_bf_op op = {t->kind, t->overflow, t->is_signed, t->bits, shift,
                                     t->arg, 0, 0};
            struct store_bf_op get = {STORE_BF_GET, 0, t->is_signed, t->bits, shift, 0, 0, 0};
            int wrote;

            memset(buf, 0xa5, sizeof(buf));
            bits_set(buf, shift, t->bits, (uint64_t)t->start);
            wrote = bits_field_apply(buf, shift, &op);
            bits_field_apply(buf, shift, &get);
            ok(op.failed == t->failed && wrote == !t->failed &&
                   (t->failed || op.result == t->result) && get.result == t->after,
               "%s at bit %u: %s, then %lld", t->name, shift, t->failed ? "nil" : "a result",
               t->after);
            if (op.failed != t->failed || (!t->failed && op.result != t->result) ||
                get.result != t->after)
                diag("  got failed %d result %lld after %lld", op.failed, op.result, get.result);
        }
    }
}

int main(void)
{
    srand(22);
    test_popcount_find();
    test_masks_ranges();
    test_combine();
    test_get_set();
    test_overflow();
    return tap_done();
}
