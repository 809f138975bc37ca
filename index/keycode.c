/* keycode.c - the per-node order-preserving key transform T of ALEX.md 3.2.
 * A node's transform turns a binary key into an integer code below 2^53 (or 2^64 - 1,
 * wide) that a linear model can use: strip the anchor (the longest common prefix of the
 * node's keys), then read the next K bytes as digits in radix R, where the digits are the
 * ranks of the bytes the node's keys use at those positions (0 = the key ended). x < y
 * implies code(x) <= code(y); equal codes are told apart by the callers with a full key
 * compare.
 *
 * HOW IT WORKS (monotonicity): a key below the anchor maps to 0 and one above it to
 * max = R^K - 1, the top of the range. Inside the anchor, digits compare like the bytes
 * (ranks preserve byte order, the terminator 0 sorts first, as a shorter key does). A byte
 * outside the alphabet cannot be written as a digit: a byte between two used bytes maps
 * to the code just below the next used byte up's (one alphabet: the rank below, then
 * maximal digits, see EXACT CODES; per-position alphabets: the next rank up followed by
 * zeros), which is at or above every code whose digit is a smaller used byte and at or
 * below every code whose digit is the larger one;
 * a byte above every used byte maps to "this digit and all the following at maximum".
 * The anchor may stop short of the common prefix (see kc_train): that changes which
 * bytes are digits, not the argument. With one alphabet per position (mixed radix) the
 * argument is the same position by position: rank(b) counts the used bytes below b at
 * that position, and w[i] exceeds the largest value the positions after i can add. A
 * position where no sampled key ends has no digit for "ended": a key ending there codes
 * like its lowest byte followed by zeros, at or below every longer key (a tie at worst,
 * told apart by the full compare), and counts as clamped.
 *
 * EXACT CODES: under one alphabet, a key that matches the anchor, uses only alphabet
 * bytes and ends before the K-th digit has digits "ranks >= 1, then the terminator 0, then
 * zeros", and no other key has that code: a longer key has no 0 digit, a key above the
 * anchor or with a byte above the alphabet codes "every following digit at maximum", and
 * a byte between used bytes rounds down to "the used byte below, then maxima" (a code of
 * K digits or more; rounding up, the obvious choice, would give the next used byte's
 * exact code). Only code 0 is shared (the anchor itself and the keys below it). So a
 * slot whose code equals an exact code holds that very key: a lookup needs no compare,
 * which is the entry read (a cache miss) a hit would otherwise pay. Per-position
 * alphabets give no such promise (a position with radix 1 may code "ended" at maximum).
 *
 * WIDE CODES: a model node partitions its keys by a line through their codes in double
 * precision, and the builder's promise that the line through the first and the last
 * code separates them needs distinct codes to stay distinct as doubles: below 2^53.
 * A leaf needs no such promise: its model only predicts where to start searching, the
 * conversion to double is monotone (so is the prediction), and its slots compare codes
 * as integers. So a leaf's own transform may be wide, codes up to 2^64 - 2 (UINT64_MAX
 * marks the empty slots past the last key): 11 more bits, two to four more digits of
 * text, which is what URL keys need to stop tying in runs of 16 to 64 keys at 10M.
 *
 * WHICH LAYOUT: one alphabet first (it codes the next counter values or ids without
 * clamping: good under appends). The mixed layout is kept instead when the sampled keys
 * tie on one alphabet (text whose distinguishing bytes lie past the K digits one
 * alphabet reaches: URLs) and it halves the ties, or when the one alphabet leaves many
 * digit values unused where the keys vary (the codes are then far from linear): in
 * user:<n>:profile the letters of "profile" enter the one alphabet, so every
 * digit position leaves 9 of its 19 values unused and the codes pile up in the low half
 * of every block (a leaf's model then errs by ~65 slots and inserts shift ~100). Not for
 * a leaf that takes appends, whose next keys would clamp under alphabets fitted to the
 * keys it holds. */
#include "config.h"

#include "index/index_internal.h"

#include "common/omk.h"

#define KC_SAMPLE_MAX (2 * KC_SAMPLE + 2) /* keys sampled at most: n / (n / KC_SAMPLE) + 1 */
#define KC_TIES_TRY_MIXED 64     /* per-position alphabets when > 1/64 of samples tie ... */
#define KC_MIXED_EFFICIENCY 0.75 /* ... or when one alphabet wastes > 25% of the bits
                                  * (user:<n>:profile 0.69-0.71; key:%012d 0.82, whose
                                  * absent odd keys would clamp and tie under per-position
                                  * alphabets fitted to the even keys present) */
#define KC_MIXED_MIN_KEYS 64     /* below this many keys the sample says too little */

/* What kc_train reads off a sample of the keys: the anchor and, per digit position, the
 * bytes used there and whether a key ends there. */
struct kc_scan {
    size_t alen;
    const uint8_t *anchor;
    uint64_t seen[KC_MAX_DIGITS][4];
    uint32_t ended;              /* bit d: a sampled key ends at digit d */
    size_t step;                 /* every step-th key was sampled */
};
_Static_assert(KC_MAX_DIGITS <= 32, "kc_scan.ended holds one bit per digit");

/* Set bits in 'x', inline (the builtin becomes a libgcc call without -mpopcnt). */
static inline unsigned kc_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* Coding a key under per-position alphabets takes a popcount per position (URL leaves
 * have ~19 positions, and an insert codes under ~3 transforms): on x86-64 the build's
 * baseline has no POPCNT instruction, so the coder is compiled twice, once for CPUs
 * that have it, and picked per call (1M URL inserts: 10-17% faster in alternating runs;
 * the shared body keeps the two copies from diverging). */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__) && defined(__GNUC__)
#define KC_POPCNT_DISPATCH 1
#endif

/* Set bits in a 256-bit byte set. */
static unsigned kc_popcount256(const uint64_t s[4])
{
    return (unsigned)(kc_popcount64(s[0]) + kc_popcount64(s[1]) +
                      kc_popcount64(s[2]) + kc_popcount64(s[3]));
}

/* Does r^k stay within 'limit'? */
static int kc_fits(uint64_t r, unsigned k, uint64_t limit)
{
    uint64_t p = 1;

    for (unsigned i = 0; i < k; i++) {
        if (r > 1 && p > limit / r)
            return 0;
        p *= r;
    }
    return p <= limit;
}

/* The next sampled index after 'i' (the last key is always sampled), n when done. */
static size_t kc_next_sample(size_t i, size_t step, size_t n)
{
    return (i + step < n || i == n - 1) ? i + step : n - 1;
}

/* Fill 'sc' from the sorted keys 'e'[0..n-1], n >= 1. */
static void kc_scan_keys(struct idx_entry *const *e, size_t n, struct kc_scan *sc)
{
    const char *fk = idx_entry_key(e[0]), *lk = idx_entry_key(e[n - 1]);
    size_t fn = idx_entry_klen(e[0]), ln = idx_entry_klen(e[n - 1]);
    size_t m = fn < ln ? fn : ln, alen = 0;

    memset(sc, 0, sizeof(*sc));
    while (alen < m && fk[alen] == lk[alen])
        alen++;
    sc->alen = alen;
    sc->anchor = (const uint8_t *)fk;
    sc->step = n > KC_SAMPLE ? n / KC_SAMPLE : 1;
    for (size_t i = 0; i < n; i = kc_next_sample(i, sc->step, n)) {
        const char *xk = idx_entry_key(e[i]);
        size_t xn = idx_entry_klen(e[i]);

        kc_prefetch_ahead(e, i, n, sc->step);
        if (xn - alen < KC_MAX_DIGITS)
            sc->ended |= UINT32_C(1) << (xn - alen);
        for (unsigned d = 0; d < KC_MAX_DIGITS && alen + d < xn; d++) {
            uint8_t b = (uint8_t)xk[alen + d];

            sc->seen[d][b >> 6] |= UINT64_C(1) << (b & 63);
        }
    }
}

/* A transform with its anchor, 'k' digits and its tables: per-position alphabets when
 * 'mixed', else w[] and dig[]; one reference. */
static struct alex_kc *kc_alloc(const uint8_t *anchor, size_t alen, unsigned k, int mixed)
{
    size_t head = (sizeof(struct alex_kc) + alen + 7) & ~(size_t)7;
    size_t tables = mixed ? k * sizeof(struct kc_pos) : k * sizeof(uint64_t) + 256 * sizeof(uint16_t);
    struct alex_kc *kc = omk_malloc(head + tables);
    char *t = (char *)kc + head;

    memset(kc, 0, head + tables);
    kc->alen = (uint32_t)alen;
    kc->refs = 1;
    kc->bytes = (uint32_t)(head + tables);
    kc->k = (uint16_t)k;
    if (mixed) {
        kc->pos = (struct kc_pos *)t;
    } else {
        kc->w = (uint64_t *)t;
        kc->dig = (uint16_t *)(t + k * sizeof(uint64_t));
    }
    if (alen)
        memcpy(kc->anchor, anchor, alen);
    return kc;
}

/* One alphabet for every position: the bytes seen at the first K positions, with the
 * largest K whose R^K stays within 'limit', and the anchor backed off over spare digits
 * and 'extra' more bytes (each only when it is in the alphabet). */
static struct alex_kc *kc_build_single(const struct kc_scan *sc, uint64_t limit, unsigned extra)
{
    uint64_t used[4] = {0, 0, 0, 0};
    unsigned k = 0, informative = 0;
    size_t alen = sc->alen;

    /* R only grows with K, so the first failure ends the search. */
    for (unsigned d = 0; d < KC_MAX_DIGITS; d++) {
        uint64_t u[4];

        for (int w = 0; w < 4; w++)
            u[w] = used[w] | sc->seen[d][w];
        if (!kc_fits(kc_popcount256(u) + 1, d + 1, limit))
            break;
        memcpy(used, u, sizeof(used));
        k = d + 1;
    }
    OMK_ASSERT(k >= 1);
    /* Spare digits (past the last position where the sample varies) buy room for
     * growth: move the anchor back over trailing bytes that are in the alphabet, so that
     * keys differing there (the next counter values, say) code without clamping. */
    for (unsigned d = 0; d < k; d++)
        if (kc_popcount256(sc->seen[d]) + (sc->ended & (UINT32_C(1) << d) ? 1 : 0) >= 2)
            informative = d + 1;
    for (unsigned spare = k - informative + extra; spare > 0 && alen > 0; spare--) {
        uint8_t b = sc->anchor[alen - 1];

        if (!((used[b >> 6] >> (b & 63)) & 1))
            break;
        alen--;
    }

    struct alex_kc *kc = kc_alloc(sc->anchor, alen, k, 0);
    unsigned r = kc_popcount256(used) + 1, next = r, rank = r;

    kc->r = (uint16_t)r;
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
    kc->w[k - 1] = 1;
    for (int i = (int)k - 2; i >= 0; i--)
        kc->w[i] = kc->w[i + 1] * r;
    kc->max = kc->w[0] * r - 1;
    return kc;
}

/* One alphabet per position, as many positions as fit in 'limit' (NULL when that is
 * not more than one). */
static struct alex_kc *kc_build_mixed(const struct kc_scan *sc, uint64_t limit)
{
    uint16_t r[KC_MAX_DIGITS];
    uint64_t prod = 1;
    unsigned k = 0;

    for (unsigned d = 0; d < KC_MAX_DIGITS; d++) {
        unsigned rd = kc_popcount256(sc->seen[d]) + (sc->ended & (UINT32_C(1) << d) ? 1 : 0);

        if (rd == 0 || prod > limit / rd)
            break;
        prod *= rd;
        r[d] = (uint16_t)rd;
        k = d + 1;
    }
    if (k < 2)
        return NULL;

    struct alex_kc *kc = kc_alloc(sc->anchor, sc->alen, k, 1);

    kc->pos[k - 1].w = 1;
    for (int i = (int)k - 2; i >= 0; i--)
        kc->pos[i].w = kc->pos[i + 1].w * r[i + 1];
    kc->max = kc->pos[0].w * r[0] - 1;
    for (unsigned d = 0; d < k; d++) {
        struct kc_pos *p = &kc->pos[d];
        unsigned below = 0;

        memcpy(p->set, sc->seen[d], sizeof(p->set));
        for (int w = 0; w < 4; w++) {
            p->below[w] = (uint16_t)below;
            below += (unsigned)kc_popcount64(p->set[w]);
        }
        p->base = sc->ended & (UINT32_C(1) << d) ? 1 : 0;
        p->r = r[d];
    }
    kc->r = 0;
    return kc;
}

/* The codes of the sampled keys under 'kc' into 'codes' (room for KC_SAMPLE_MAX);
 * returns how many, and the number of adjacent ones that tie in '*ties'. */
static size_t kc_sample_codes(const struct alex_kc *kc, struct idx_entry *const *e, size_t n,
                              size_t step, uint64_t *codes, size_t *ties)
{
    size_t cnt = 0;
    int cl;

    *ties = 0;
    for (size_t i = 0; i < n; i = kc_next_sample(i, step, n)) {
        kc_prefetch_ahead(e, i, n, step);
        codes[cnt] = kc_code(kc, idx_entry_key(e[i]), idx_entry_klen(e[i]), &cl);
        *ties += cnt > 0 && codes[cnt] == codes[cnt - 1];
        cnt++;
    }
    return cnt;
}

/* How much of the one-alphabet transform 'kc' the sampled keys use: over the digit
 * positions where they vary, bits of the values seen per bits of the radix (1: every
 * digit value occurs at every such position). */
static double kc_single_efficiency(const struct alex_kc *kc, const struct kc_scan *sc)
{
    double used = 0, room = 0;

    for (unsigned d = 0; d < kc->k; d++) {
        unsigned u = kc_popcount256(sc->seen[d]) + (sc->ended & (UINT32_C(1) << d) ? 1 : 0);

        if (u >= 2) {
            used += log2((double)u);
            room += log2((double)kc->r);
        }
    }
    return room > 0 ? used / room : 1.0;
}

struct alex_kc *kc_train(struct idx_entry *const *e, size_t n, int allow_mixed, int wide,
                         uint64_t *codes)
{
    uint64_t limit = wide ? KC_WIDE_LIMIT : KC_CODE_LIMIT;
    struct kc_scan sc;
    struct alex_kc *kc, *mixed;
    size_t cnt, ties, mties, room = n < KC_SAMPLE_MAX ? n : KC_SAMPLE_MAX;
    uint64_t *scodes, *mcodes;
    int better;

    if (n == 0) {
        kc = kc_alloc(NULL, 0, 1, 0);
        kc->r = 1;
        for (int b = 0; b < 256; b++)
            kc->dig[b] = 1;     /* every byte is above the (empty) alphabet */
        kc->w[0] = 1;
        kc->max = 0;
        return kc;
    }
    kc_scan_keys(e, n, &sc);
    kc = kc_build_single(&sc, limit, 0);
    if (!allow_mixed || n < KC_MIXED_MIN_KEYS || !(mixed = kc_build_mixed(&sc, limit))) {
        if (codes)
            kc_code_all(kc, e, n, codes);
        return kc;
    }
    /* With every key sampled (step 1), the sample's codes are the keys' codes: the
     * caller's buffer takes the mixed ones and a scratch buffer the single ones, so the
     * winner's need not be computed again. */
    int whole = codes && sc.step == 1;

    scodes = omk_malloc(room * sizeof(uint64_t));
    mcodes = whole ? codes : scodes;
    cnt = kc_sample_codes(kc, e, n, sc.step, scodes, &ties);
    (void)kc_sample_codes(mixed, e, n, sc.step, mcodes, &mties);
    if (ties * KC_TIES_TRY_MIXED > cnt)
        better = 2 * mties <= ties;
    else
        better = mties <= ties && kc_single_efficiency(kc, &sc) < KC_MIXED_EFFICIENCY;
    if (better) {
        kc_release(kc);
        kc = mixed;
    } else {
        kc_release(mixed);
        if (whole)
            memcpy(codes, scodes, n * sizeof(uint64_t));
    }
    omk_free(scodes);
    if (codes && !whole)
        kc_code_all(kc, e, n, codes);
    return kc;
}

/* Add to byte set 's' the bytes a run of keys may go on to use next to those in it:
 * every byte once one outside printable ASCII is in it (binary keys); else every digit
 * once one is in it; a-f once its lowercase letters are among them, else a-z once one
 * is; the same for uppercase. */
static void kc_close_classes(uint64_t s[4])
{
    uint64_t printable[4] = {0, 0, 0, 0};

    for (unsigned b = 0x20; b <= 0x7e; b++)
        printable[b >> 6] |= UINT64_C(1) << (b & 63);
    for (int w = 0; w < 4; w++) {
        if (s[w] & ~printable[w]) {
            memset(s, 0xff, 4 * sizeof(s[0]));
            return;
        }
    }

    static const struct {
        uint8_t lo, hi, sub_hi;  /* the class lo..hi; lo..sub_hi when nothing above it */
    } cls[] = {{'0', '9', '9'}, {'a', 'z', 'f'}, {'A', 'Z', 'F'}};

    for (size_t i = 0; i < OMK_ARRAY_LEN(cls); i++) {
        int any = 0, above = 0;

        for (unsigned b = cls[i].lo; b <= cls[i].hi; b++) {
            if ((s[b >> 6] >> (b & 63)) & 1) {
                any = 1;
                above |= b > cls[i].sub_hi;
            }
        }
        if (!any)
            continue;
        for (unsigned b = cls[i].lo; b <= (above ? cls[i].hi : cls[i].sub_hi); b++)
            s[b >> 6] |= UINT64_C(1) << (b & 63);
    }
}

struct alex_kc *kc_train_run(struct idx_entry *const *e, size_t n, int wide, uint64_t *codes)
{
    struct kc_scan sc;
    struct alex_kc *kc;

    OMK_ASSERT(n >= 1);
    kc_scan_keys(e, n, &sc);
    for (unsigned d = 0; d < KC_MAX_DIGITS; d++)
        kc_close_classes(sc.seen[d]);
    kc = kc_build_single(&sc, wide ? KC_WIDE_LIMIT : KC_CODE_LIMIT, 1);
    if (n >= 2) {
        /* The extra byte pushes the last digit out: keep it only when the first and last
         * keys still code apart. */
        int cl;

        if (kc_code(kc, idx_entry_key(e[0]), idx_entry_klen(e[0]), &cl) ==
            kc_code(kc, idx_entry_key(e[n - 1]), idx_entry_klen(e[n - 1]), &cl)) {
            kc_release(kc);
            kc = kc_build_single(&sc, wide ? KC_WIDE_LIMIT : KC_CODE_LIMIT, 0);
        }
    }
    if (codes)
        kc_code_all(kc, e, n, codes);
    return kc;
}

/* The code of the key bytes 'p'/'len' after the anchor under per-position alphabets;
 * 'hw' 1 counts bits with __builtin_popcountll (one instruction where the target has
 * it), 0 with kc_popcount64(). Inlined into each of the variants below. */
static inline __attribute__((always_inline)) uint64_t
kc_code_mixed_with(const struct alex_kc *kc, const uint8_t *p, size_t len, int *clamped, int hw)
{
    uint64_t c = 0;

    for (unsigned i = 0; i < kc->k; i++) {
        const struct kc_pos *ps = &kc->pos[i];

        if (i == len) {
            *clamped = !ps->base;   /* no digit for "ended" here */
            return c;
        }
        unsigned b = p[i], w = b >> 6;
        uint64_t bit = UINT64_C(1) << (b & 63), below = ps->set[w] & (bit - 1);
        unsigned rank = ps->base + ps->below[w] +
                        (hw ? (unsigned)__builtin_popcountll(below) : kc_popcount64(below));

        if (ps->set[w] & bit) {
            c += (uint64_t)rank * ps->w;
            continue;
        }
        *clamped = 1;
        if (rank == ps->r)
            return c + (uint64_t)ps->r * ps->w - 1;
        return c + (uint64_t)rank * ps->w;
    }
    return c;
}

#ifdef KC_POPCNT_DISPATCH
/* kc_code_mixed_with() for CPUs with POPCNT. */
__attribute__((target("popcnt"))) static uint64_t
kc_code_mixed_popcnt(const struct alex_kc *kc, const uint8_t *p, size_t len, int *clamped)
{
    return kc_code_mixed_with(kc, p, len, clamped, 1);
}
#endif

/* The code of the key bytes 'p'/'len' after the anchor under per-position alphabets,
 * with the fastest popcount this CPU has. */
static uint64_t kc_code_mixed(const struct alex_kc *kc, const uint8_t *p, size_t len,
                              int *clamped)
{
#ifdef KC_POPCNT_DISPATCH
    if (__builtin_cpu_supports("popcnt"))
        return kc_code_mixed_popcnt(kc, p, len, clamped);
    return kc_code_mixed_with(kc, p, len, clamped, 0);
#else
    return kc_code_mixed_with(kc, p, len, clamped, 1);
#endif
}

uint64_t kc_code_exact(const struct alex_kc *kc, const void *key, size_t len, int *clamped,
                       int *exact)
{
    const uint8_t *p = key;
    size_t al = kc->alen;
    uint64_t c = 0;

    *clamped = 0;
    *exact = 0;
    if (al) {
        size_t m = len < al ? len : al, i = 0;
        int cmp = 0;

        /* Short anchors (key:, user:, log:2026-...) compare inline: a call to memcmp
         * costs more than the bytes. */
        if (m <= 16) {
            while (i < m && p[i] == kc->anchor[i])
                i++;
            cmp = i < m ? (int)p[i] - (int)kc->anchor[i] : 0;
        } else {
            cmp = memcmp(p, kc->anchor, m);
        }

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
    if (kc->pos)
        return kc_code_mixed(kc, p, len, clamped);
    for (unsigned i = 0; i < kc->k; i++) {
        unsigned d;

        if (i == len) {
            *exact = c != 0;        /* 0 is shared with the keys below the anchor */
            return c;
        }
        d = kc->dig[p[i]];
        if (d & KC_USED) {
            c += (uint64_t)(d & ~KC_USED) * kc->w[i];
            continue;
        }
        *clamped = 1;
        if (d == kc->r)
            return c + (uint64_t)kc->r * kc->w[i] - 1;
        /* Round down to "the used byte below, then every digit at its maximum", a code
         * only keys of K digits or more have; at the last digit with nothing below,
         * round up to the same kind of code instead of the prefix's exact one. */
        if ((uint64_t)d * kc->w[i] == 1)
            return c + 1;
        return c + (uint64_t)d * kc->w[i] - 1;
    }
    return c;
}

uint64_t kc_code(const struct alex_kc *kc, const void *key, size_t len, int *clamped)
{
    int exact;

    return kc_code_exact(kc, key, len, clamped, &exact);
}

void kc_code_all(const struct alex_kc *kc, struct idx_entry *const *e, size_t n,
                 uint64_t *codes)
{
    int cl;

    for (size_t i = 0; i < n; i++) {
        kc_prefetch_ahead(e, i, n, 1);
        codes[i] = kc_code(kc, idx_entry_key(e[i]), idx_entry_klen(e[i]), &cl);
    }
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
    return kc->bytes / kc->refs;
}
