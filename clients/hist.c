/* hist.c - the log-bucketed latency histogram of hist.h (layout explained there). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "clients/hist.h"
#include "common/omk.h"

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

size_t hist_bucket_of(uint64_t v)
{
    unsigned m, g;

    if (v < HIST_SUB)
        return (size_t)v;
    m = 63u - (unsigned)__builtin_clzll(v);
    g = m - HIST_SUB_BITS + 1;
    return (size_t)g * HIST_SUB + (size_t)(v >> (g - 1)) - HIST_SUB;
}

uint64_t hist_bucket_lo(size_t i)
{
    size_t g = i / HIST_SUB, sub = i % HIST_SUB;

    OMK_ASSERT(i < HIST_NBUCKETS);
    if (g == 0)
        return (uint64_t)sub;
    return ((uint64_t)HIST_SUB + sub) << (g - 1);
}

uint64_t hist_bucket_hi(size_t i)
{
    size_t g = i / HIST_SUB;

    if (g == 0)
        return hist_bucket_lo(i);
    /* lo + (width - 1): the last bucket ends at UINT64_MAX without overflowing. */
    return hist_bucket_lo(i) + ((UINT64_C(1) << (g - 1)) - 1);
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
    if (n == 0)
        return;
    h->buckets[hist_bucket_of(v)] += n;
    h->count += n;
    h->sum += (long double)v * (long double)n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_record(struct hist *h, uint64_t v)
{
    hist_record_n(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    OMK_ASSERT(dst != src);
    if (src->count == 0)
        return;
    for (size_t i = 0; i < HIST_NBUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    long double want;
    uint64_t rank, seen = 0;

    if (h->count == 0)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    /* ceil(p% of count), minus a relative hair so that 99.9% of 1000 is rank 999 even
     * though 99.9 is not exact in binary. */
    want = (long double)p * (long double)h->count / 100.0L;
    want -= want * 1e-12L;
    rank = (uint64_t)ceill(want);
    if (rank < 1)
        rank = 1;
    for (size_t i = 0; i < HIST_NBUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = hist_bucket_hi(i);

            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    OMK_ASSERT(!"histogram buckets sum to less than its count");
    return h->max;
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)(h->sum / (long double)h->count) : 0.0;
}
