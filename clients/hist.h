/* hist.h - a log-bucketed latency histogram for clients/omenkv-bench (HdrHistogram's layout,
 * fixed precision): any 64-bit value is counted in a bucket whose width is at most 1/64 of
 * its lower edge, so a reported percentile is within 1.6% of the true one, in 30 KB and
 * O(1) per record. Values below 128 are counted exactly.
 *
 * HOW IT WORKS: with HIST_SUB = 2^HIST_SUB_BITS, bucket i < HIST_SUB holds the value i.
 * Above, a value v with its highest set bit at position m (m >= HIST_SUB_BITS) falls in
 * group g = m - HIST_SUB_BITS + 1, whose HIST_SUB buckets split [2^m, 2^(m+1)) in equal
 * widths 2^(g-1); its bucket is g * HIST_SUB + (v >> (g - 1)) - HIST_SUB. Group 1 has
 * width 1, so [HIST_SUB, 2 * HIST_SUB) is exact too.
 *
 * Threads: none; each thread keeps its own histogram and hist_merge() adds them up. */
#ifndef OMK_CLIENTS_HIST_H
#define OMK_CLIENTS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Groups 0..64 - HIST_SUB_BITS, HIST_SUB buckets each: every uint64_t has a bucket. */
#define HIST_NBUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
    uint64_t count;                   /* values recorded */
    uint64_t min;                     /* smallest value (UINT64_MAX while empty) */
    uint64_t max;                     /* largest value (0 while empty) */
    long double sum;                  /* of all values, for the mean */
    uint64_t buckets[HIST_NBUCKETS];  /* counts, indexed by hist_bucket_of() */
};

/* Empty 'h'. */
void hist_init(struct hist *h);

/* Count value 'v' once. */
void hist_record(struct hist *h, uint64_t v);

/* Count value 'v' 'n' times (n may be 0). */
void hist_record_n(struct hist *h, uint64_t v, uint64_t n);

/* Add every count of 'src' to 'dst' (the two may not be the same histogram). */
void hist_merge(struct hist *dst, const struct hist *src);

/* The bucket that counts 'v' (0 <= result < HIST_NBUCKETS). */
size_t hist_bucket_of(uint64_t v);

/* Smallest and largest value that bucket 'i' counts (both inclusive). */
uint64_t hist_bucket_lo(size_t i);
uint64_t hist_bucket_hi(size_t i);

/* The value at percentile 'p' (0..100): the largest value of the bucket that holds the
 * ceil(p / 100 * count)-th smallest recorded value (at least the first), clamped to
 * [min, max]. So it never reports less than the true percentile, and hist_percentile(h,
 * 100) is the exact max, hist_percentile(h, 0) the exact min. Returns 0 when 'h' is
 * empty. */
uint64_t hist_percentile(const struct hist *h, double p);

/* Mean of the recorded values; 0 when empty. */
double hist_mean(const struct hist *h);

#endif
