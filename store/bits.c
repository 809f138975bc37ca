/* bits.c - the pure bit logic of the bitmap operations (bits.h): popcount and bit search
 * over a buffer, Redis 7.0's clamping of BITCOUNT/BITPOS ranges, and BITFIELD's integers.
 * Words are loaded with memcpy, so a buffer needs no alignment; every shift stays below
 * the width of its type. */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "store/bits.h"

/* ---- Counting and finding ----------------------------------------------------------------- */

/* Bits set in 64-bit word 'w' (the classic SWAR sum: pairs, nibbles, bytes). */
static unsigned bits_pop64(uint64_t w)
{
    w -= (w >> 1) & UINT64_C(0x5555555555555555);
    w = (w & UINT64_C(0x3333333333333333)) + ((w >> 2) & UINT64_C(0x3333333333333333));
    w = (w + (w >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((w * UINT64_C(0x0101010101010101)) >> 56);
}

uint64_t bits_popcount(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t total = 0;
    size_t i = 0;

    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];

        memcpy(w, b + i, sizeof(w));
        total += bits_pop64(w[0]) + bits_pop64(w[1]) + bits_pop64(w[2]) + bits_pop64(w[3]);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;

        memcpy(&w, b + i, sizeof(w));
        total += bits_pop64(w);
    }
    for (; i < n; i++)
        total += bits_pop64(b[i]);
    return total;
}

int64_t bits_find(const void *p, size_t n, int bit)
{
    const unsigned char *b = p;
    unsigned char skip = bit ? 0x00 : 0xff; /* a byte with no bit of the kind sought */
    uint64_t skipw = bit ? 0 : UINT64_MAX;
    size_t i = 0;

    while (i + 8 <= n) {
        uint64_t w;

        memcpy(&w, b + i, sizeof(w));
        if (w != skipw)
            break;
        i += 8;
    }
    for (; i < n; i++) {
        if (b[i] == skip)
            continue;
        for (unsigned j = 0; j < 8; j++)
            if (((b[i] >> (7 - j)) & 1) == (unsigned)bit)
                return (int64_t)(i * 8 + j);
    }
    return -1;
}

unsigned bits_byte_mask(uint64_t byte, uint64_t first, uint64_t last)
{
    unsigned mask = 0xff;

    if (byte < first >> 3 || byte > last >> 3)
        return 0;
    if (byte == first >> 3)
        mask &= 0xffu >> (first & 7);
    if (byte == last >> 3)
        mask &= (0xffu << (7 - (last & 7))) & 0xff;
    return mask;
}

int bits_range(uint64_t len, long long start, long long end, int in_bits, uint64_t *first,
               uint64_t *last)
{
    /* 'len' is at most STRVAL_MAX_LEN bytes, so its bits fit a long long */
    long long total = (long long)(in_bits ? len * 8 : len);

    if (start < 0)
        start += total;
    if (end < 0)
        end += total;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= total)
        end = total - 1;
    if (start > end)
        return 0;
    *first = in_bits ? (uint64_t)start : (uint64_t)start * 8;
    *last = in_bits ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return 1;
}

void bits_combine(unsigned char *dst, const void *src, size_t n, enum store_bitop op)
{
    const unsigned char *b = src;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;

        memcpy(&x, dst + i, sizeof(x));
        memcpy(&y, b + i, sizeof(y));
        x = op == STORE_BITOP_AND ? x & y : op == STORE_BITOP_OR ? x | y : x ^ y;
        memcpy(dst + i, &x, sizeof(x));
    }
    for (; i < n; i++)
        dst[i] = (unsigned char)(op == STORE_BITOP_AND  ? dst[i] & b[i]
                                 : op == STORE_BITOP_OR ? dst[i] | b[i]
                                                        : dst[i] ^ b[i]);
}

/* ---- BITFIELD's integers -------------------------------------------------------------------- */

uint64_t bits_get_u(const unsigned char *p, uint64_t off, unsigned width)
{
    uint64_t v = 0;

    for (unsigned j = 0; j < width; j++, off++)
        v = (v << 1) | ((p[off >> 3] >> (7 - (off & 7))) & 1);
    return v;
}

/* 'v', the low 'width' bits of a two's complement number, extended to 64 bits by its sign
 * bit (bit width - 1). */
static int64_t bits_sign_extend(uint64_t v, unsigned width)
{
    if (width < 64) {
        uint64_t sign = UINT64_C(1) << (width - 1);

        v &= (UINT64_C(1) << width) - 1;
        v = (v ^ sign) - sign; /* two's complement without a signed overflow */
    }
    return (int64_t)v;
}

int64_t bits_get_i(const unsigned char *p, uint64_t off, unsigned width)
{
    return bits_sign_extend(bits_get_u(p, off, width), width);
}

void bits_set(unsigned char *p, uint64_t off, unsigned width, uint64_t v)
{
    for (unsigned j = 0; j < width; j++, off++) {
        unsigned bit = (unsigned)((v >> (width - 1 - j)) & 1);
        unsigned shift = 7 - (unsigned)(off & 7);

        p[off >> 3] = (unsigned char)((p[off >> 3] & ~(1u << shift)) | (bit << shift));
    }
}

size_t bits_field_bytes(unsigned shift, unsigned width)
{
    return (shift + width + 7) / 8;
}

/* The new value of unsigned field 'op' (width below 64) holding 'cur': for SET its
 * argument, for INCRBY 'cur' plus it, brought into range by the op's overflow rule. Sets
 * '*over' when the exact result did not fit. */
static uint64_t bits_next_u(const struct store_bf_op *op, uint64_t cur, int *over)
{
    uint64_t max = (UINT64_C(1) << op->bits) - 1;
    uint64_t incr = (uint64_t)op->arg; /* modular: a negative argument wraps */
    int up, down;

    if (op->kind == STORE_BF_SET) {
        /* a negative value reads as a huge one, as Redis reads it: above every max */
        up = (uint64_t)op->arg > max;
        down = 0;
        cur = (uint64_t)op->arg;
        incr = 0;
    } else {
        up = op->arg > 0 && (uint64_t)op->arg > max - cur;
        down = op->arg < 0 && (uint64_t)(-(op->arg + 1)) + 1 > cur;
    }
    *over = up || down;
    if (*over && op->overflow == STORE_BF_SAT)
        return up ? max : 0;
    return (cur + incr) & max;
}

/* The same for a signed field (width up to 64) holding 'cur'. */
static int64_t bits_next_i(const struct store_bf_op *op, int64_t cur, int *over)
{
    int64_t max = op->bits == 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (op->bits - 1)) - 1);
    int64_t min = -max - 1;
    int up, down;

    if (op->kind == STORE_BF_SET) {
        /* Redis 7.0 finds "too large" also when max - arg wraps past INT64_MAX (an arg
         * within max of INT64_MIN, below 64 bits): SAT then gives the max, not the min. */
        up = op->arg > max ||
             (op->bits < 64 && (uint64_t)max - (uint64_t)op->arg > (uint64_t)INT64_MAX);
        down = !up && op->arg < min;
        cur = op->arg;
    } else {
        up = op->arg > 0 && cur > max - op->arg;
        down = op->arg < 0 && cur < min - op->arg;
    }
    *over = up || down;
    if (*over && op->overflow == STORE_BF_SAT)
        return up ? max : min;
    if (op->kind == STORE_BF_SET)
        return bits_sign_extend((uint64_t)cur, op->bits);
    return bits_sign_extend((uint64_t)cur + (uint64_t)op->arg, op->bits);
}

int bits_field_apply(unsigned char *p, unsigned shift, struct store_bf_op *op)
{
    int over = 0;

    op->failed = 0;
    if (op->is_signed) {
        int64_t cur = bits_get_i(p, shift, op->bits), next;

        if (op->kind == STORE_BF_GET) {
            op->result = cur;
            return 0;
        }
        next = bits_next_i(op, cur, &over);
        if (over && op->overflow == STORE_BF_FAIL) {
            op->failed = 1;
            return 0;
        }
        op->result = op->kind == STORE_BF_SET ? cur : next;
        bits_set(p, shift, op->bits, (uint64_t)next);
    } else {
        uint64_t cur = bits_get_u(p, shift, op->bits), next;

        if (op->kind == STORE_BF_GET) {
            op->result = (long long)cur; /* at most 63 bits: it fits */
            return 0;
        }
        next = bits_next_u(op, cur, &over);
        if (over && op->overflow == STORE_BF_FAIL) {
            op->failed = 1;
            return 0;
        }
        op->result = (long long)(op->kind == STORE_BF_SET ? cur : next);
        bits_set(p, shift, op->bits, next);
    }
    return 1;
}
