/* keycode.c - the per-node order-preserving key transform T of ALEX.md 3.2.
 * A node's transform turns a binary key into an integer code below 2^53 that a linear
 * model can use: strip the anchor (the longest common prefix of the node's keys), then
 * read the next K bytes as digits in radix R, where the digits are the ranks of the bytes
 * the node's keys use at those positions (0 = the key ended). x < y implies
 * code(x) <= code(y); equal codes are told apart by the callers with a full key compare.
 *
 * HOW IT WORKS (monotonicity): a key below the anchor maps to 0 and one above it to
 * max = R^K - 1, the top of the range. Inside the anchor, digits compare like the bytes
 * (ranks preserve byte order, the terminator 0 sorts first, as a shorter key does). A byte
 * outside the alphabet cannot be written as a digit: a byte between two used bytes maps
 * to the rank of the next used byte up followed by zeros, which is above every code whose
 * digit is a smaller used byte and at or below every code whose digit is the larger one;
 * a byte above every used byte maps to "this digit and all the following at maximum".
 * The anchor may stop short of the common prefix (see kc_train): that changes which
 * bytes are digits, not the argument. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

#define KC_SAMPLE 4096

/* Set bits in a 256-bit byte set. */
static unsigned kc_popcount256(const uint64_t s[4])
{
    return (unsigned)(__builtin_popcountll(s[0]) + __builtin_popcountll(s[1]) +
                      __builtin_popcountll(s[2]) + __builtin_popcountll(s[3]));
}

/* Does r^k stay within 2^53? */
static int kc_fits(uint64_t r, unsigned k)
{
    uint64_t p = 1;

    for (unsigned i = 0; i < k; i++) {
        if (r > 1 && p > KC_CODE_LIMIT / r)
            return 0;
        p *= r;
    }
    return p <= KC_CODE_LIMIT;
}

struct alex_kc *kc_train(struct idx_entry *const *e, size_t n)
{
    size_t alen = 0;
    const uint8_t *anchor = NULL;
    uint64_t seen[KC_MAX_DIGITS][4];
    uint64_t used[4] = {0, 0, 0, 0};
    unsigned k = KC_MAX_DIGITS, ended = 0;  /* ended: bit d, a sampled key ends at digit d */

    memset(seen, 0, sizeof(seen));
    if (n > 0) {
        const struct idx_entry *f = e[0], *l = e[n - 1];
        size_t m = f->key_len < l->key_len ? f->key_len : l->key_len;
        size_t step = n > KC_SAMPLE ? n / KC_SAMPLE : 1;

        while (alen < m && f->key[alen] == l->key[alen])
            alen++;
        anchor = (const uint8_t *)f->key;
        for (size_t i = 0; i < n; i = (i + step < n || i == n - 1) ? i + step : n - 1) {
            const struct idx_entry *x = e[i];

            if (x->key_len - alen < KC_MAX_DIGITS)
                ended |= 1u << (x->key_len - alen);
            for (unsigned d = 0; d < KC_MAX_DIGITS && alen + d < x->key_len; d++) {
                uint8_t b = (uint8_t)x->key[alen + d];

                seen[d][b >> 6] |= UINT64_C(1) << (b & 63);
            }
        }
        /* The largest K whose alphabet (bytes seen at positions < K) keeps R^K <= 2^53;
         * R only grows with K, so the first failure ends the search. */
        k = 0;
        for (unsigned d = 0; d < KC_MAX_DIGITS; d++) {
            uint64_t u[4];

            for (int w = 0; w < 4; w++)
                u[w] = used[w] | seen[d][w];
            if (!kc_fits(kc_popcount256(u) + 1, d + 1))
                break;
            memcpy(used, u, sizeof(used));
            k = d + 1;
        }
        OMK_ASSERT(k >= 1);
        /* Spare digits (past the last position where the sample varies) buy room for
         * growth: move the anchor back over trailing bytes that are in the alphabet, so
         * that keys differing there (the next counter values, say) code without clamping. */
        unsigned informative = 0;

        for (unsigned d = 0; d < k; d++)
            if (kc_popcount256(seen[d]) + (ended & (1u << d) ? 1 : 0) >= 2)
                informative = d + 1;
        for (unsigned spare = k - informative; spare > 0 && alen > 0; spare--) {
            uint8_t b = anchor[alen - 1];

            if (!((used[b >> 6] >> (b & 63)) & 1))
                break;
            alen--;
        }
    }

    struct alex_kc *kc = omk_malloc(sizeof(*kc) + alen);
    unsigned r = kc_popcount256(used) + 1, next = r, rank = r;

    kc->alen = (uint32_t)alen;
    kc->refs = 1;
    kc->r = (uint16_t)r;
    kc->k = (uint16_t)k;
    if (alen)
        memcpy(kc->anchor, anchor, alen);
    /* Ranks from the top down: the used bytes get r-1, r-2, ..., 1. */
    for (int b = 255; b >= 0; b--) {
        if ((used[b >> 6] >> (b & 63)) & 1) {
            rank--;
            next = rank;
            kc->dig[b] = (uint16_t)(KC_USED | rank);
        } else {
            kc->dig[b] = (uint16_t)next;
        }
    }
    OMK_ASSERT(rank == 1);
    memset(kc->w, 0, sizeof(kc->w));
    kc->w[k - 1] = 1;
    for (int i = (int)k - 2; i >= 0; i--)
        kc->w[i] = kc->w[i + 1] * r;
    kc->max = kc->w[0] * r - 1;
    return kc;
}

uint64_t kc_code(const struct alex_kc *kc, const void *key, size_t len, int *clamped)
{
    const uint8_t *p = key;
    size_t al = kc->alen;
    uint64_t c = 0;

    *clamped = 0;
    if (al) {
        int cmp = memcmp(p, kc->anchor, len < al ? len : al);

        if (cmp < 0 || (cmp == 0 && len < al)) {
            *clamped = 1;
            return 0;
        }
        if (cmp > 0) {
            *clamped = 1;
            return kc->max;
        }
    }
    p += al;
    len -= al;
    for (unsigned i = 0; i < kc->k; i++) {
        unsigned d;

        if (i == len)
            return c;
        d = kc->dig[p[i]];
        if (d & KC_USED) {
            c += (uint64_t)(d & ~KC_USED) * kc->w[i];
            continue;
        }
        *clamped = 1;
        if (d == kc->r)
            return c + (uint64_t)kc->r * kc->w[i] - 1;
        return c + (uint64_t)d * kc->w[i];
    }
    return c;
}

struct alex_kc *kc_hold(struct alex_kc *kc)
{
    kc->refs++;
    return kc;
}

void kc_release(struct alex_kc *kc)
{
    OMK_ASSERT(kc->refs > 0);
    if (--kc->refs == 0)
        omk_free(kc);
}

size_t kc_bytes(const struct alex_kc *kc)
{
    return (sizeof(*kc) + kc->alen) / kc->refs;
}
