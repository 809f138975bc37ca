/* test_bench_hist.c - the math behind omenkv-bench's figures: the log-bucketed histogram
 * (clients/hist.h: bucket edges, percentiles of known distributions against exact ones,
 * merging) and the key generators (clients/keydist.h: the zipfian frequencies of ranks 0
 * and 1, the bijection of the key space, uniform draws). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clients/hist.h"
#include "clients/keydist.h"
#include "common/omk.h"
#include "tests/tap.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The exact percentile 'p' of sorted 'v'[n] under hist.h's definition: the
 * ceil(p / 100 * n)-th smallest value (at least the first). */
static uint64_t exact_percentile(const uint64_t *v, size_t n, double p)
{
    size_t rank = (size_t)ceil(p * (double)n / 100.0 - 1e-9);

    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

static void test_bucket_edges(void)
{
    int contiguous = 1, self = 1, narrow = 1;

    is_int(hist_bucket_lo(0), 0, "bucket 0 starts at 0");
    is_int(hist_bucket_hi(HIST_NBUCKETS - 1) == UINT64_MAX, 1, "the last bucket ends at 2^64-1");
    for (size_t i = 0; i < HIST_NBUCKETS; i++) {
        uint64_t lo = hist_bucket_lo(i), hi = hist_bucket_hi(i);

        if (lo > hi || hist_bucket_of(lo) != i || hist_bucket_of(hi) != i)
            self = 0;
        if (i + 1 < HIST_NBUCKETS && hist_bucket_lo(i + 1) != hi + 1)
            contiguous = 0;
        /* width at most 1/64 of the lower edge, past the exact range */
        if (lo >= 2 * HIST_SUB && (hi - lo + 1) * HIST_SUB > lo)
            narrow = 0;
    }
    ok(self, "every bucket's edges map back to the bucket");
    ok(contiguous, "buckets tile the 64-bit range with no gap or overlap");
    ok(narrow, "each bucket is at most 1/64 of its lower edge wide");
    for (uint64_t v = 0; v < 2 * HIST_SUB; v++) {
        if (hist_bucket_of(v) != v || hist_bucket_lo(v) != v || hist_bucket_hi(v) != v) {
            ok(0, "values below 128 have buckets of their own (fails at %llu)",
               (unsigned long long)v);
            break;
        }
        if (v == 2 * HIST_SUB - 1)
            ok(1, "values below 128 have buckets of their own");
    }
    is_int(hist_bucket_of(128), 128, "128 opens the first 2-wide bucket");
    is_int(hist_bucket_of(129), 128, "129 shares it");
    is_int(hist_bucket_of(130), 129, "130 opens the next");
    is_int(hist_bucket_lo(hist_bucket_of(1000000)), 999424, "1e6 lies in [999424, 1007615]");
    is_int(hist_bucket_hi(hist_bucket_of(1000000)), 1007615, "... whose upper edge is 1007615");
    is_int(hist_bucket_of(UINT64_MAX), HIST_NBUCKETS - 1, "2^64-1 is in the last bucket");
}

static void test_small_exact(void)
{
    struct hist h;

    hist_init(&h);
    is_int(hist_percentile(&h, 50), 0, "empty: percentiles are 0");
    ok(hist_mean(&h) == 0, "empty: mean 0");
    for (uint64_t v = 1; v <= 100; v++)
        hist_record(&h, v);
    is_int(h.count, 100, "100 values counted");
    is_int(hist_percentile(&h, 0), 1, "p0 of 1..100 is the min");
    is_int(hist_percentile(&h, 50), 50, "p50 of 1..100 is 50");
    is_int(hist_percentile(&h, 99), 99, "p99 of 1..100 is 99");
    is_int(hist_percentile(&h, 99.9), 100, "p99.9 of 1..100 is 100");
    is_int(hist_percentile(&h, 100), 100, "p100 is the max");
    is_int(hist_percentile(&h, 0.5), 1, "p0.5 of 100 values is the first");
    is_int(hist_percentile(&h, 1), 1, "p1 of 100 values is the first");
    is_int(hist_percentile(&h, 1.01), 2, "p1.01 of 100 values is the second");
    ok(fabs(hist_mean(&h) - 50.5) < 1e-9, "mean of 1..100 is 50.5");

    /* p99.9 of 1000 values: rank 999 although 99.9 is not exact in binary */
    hist_init(&h);
    for (uint64_t v = 1; v <= 1000; v++)
        hist_record(&h, v < 100 ? v : 100 + (v - 100) / 100); /* values up to 109 */
    is_int(hist_percentile(&h, 99.9), 108, "p99.9 of 1000 values is the 999th, not the 1000th");
    is_int(hist_percentile(&h, 89.9), 107, "p89.9 of 1000 values is the 899th");
}

static void test_single_and_huge(void)
{
    struct hist h;

    hist_init(&h);
    hist_record(&h, 1000003);
    is_int(hist_percentile(&h, 50), 1000003, "one value: p50 is clamped to it (not its bucket edge)");
    is_int(hist_percentile(&h, 99.9), 1000003, "one value: p99.9 too");
    hist_record(&h, UINT64_MAX);
    hist_record(&h, UINT64_C(1) << 63);
    ok(hist_percentile(&h, 100) == UINT64_MAX, "2^64-1 is recorded and is the max");
    ok(hist_percentile(&h, 60) == (UINT64_C(1) << 63) + ((UINT64_C(1) << 57) - 1),
       "p60 of 3 values is the upper edge of 2^63's bucket");
}

/* Draw 'n' values of a distribution into 'v' (sorted) and into 'h'; check that every
 * percentile of a list lies within [exact, exact * (1 + 1/64)]. */
static void check_dist(const char *name, uint64_t *v, size_t n)
{
    static const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
    struct hist *h = omk_malloc(sizeof(*h));
    int good = 1;

    hist_init(h);
    for (size_t i = 0; i < n; i++)
        hist_record(h, v[i]);
    qsort(v, n, sizeof(*v), cmp_u64);
    for (size_t i = 0; i < OMK_ARRAY_LEN(ps); i++) {
        uint64_t want = exact_percentile(v, n, ps[i]), got = hist_percentile(h, ps[i]);

        if (got < want || (double)got > (double)want * (1.0 + 1.0 / HIST_SUB)) {
            diag("  %s p%g: got %llu, exact %llu", name, ps[i], (unsigned long long)got,
                 (unsigned long long)want);
            good = 0;
        }
    }
    ok(good, "%s: percentiles within +1/64 of the exact ones, never below", name);
    is_int(hist_percentile(h, 100), v[n - 1], "%s: max exact", name);
    is_int(hist_percentile(h, 0), v[0], "%s: min exact", name);
    omk_free(h);
}

static void test_distributions(void)
{
    enum { N = 200000 };
    uint64_t *v = omk_malloc(N * sizeof(*v));
    struct kd_rng r;

    kd_rng_seed(&r, 42);
    for (size_t i = 0; i < N; i++) /* uniform over [0, 10^6) */
        v[i] = kd_rng_below(&r, 1000000);
    check_dist("uniform 0..1e6", v, N);
    for (size_t i = 0; i < N; i++) /* exponential, mean 50 us in ns */
        v[i] = (uint64_t)(-log(1.0 - kd_rng_unit(&r)) * 50000.0);
    check_dist("exponential mean 5e4", v, N);
    for (size_t i = 0; i < N; i++) { /* log-normal over six decades: a latency tail */
        double u1 = kd_rng_unit(&r), u2 = kd_rng_unit(&r);
        double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2 * M_PI * u2);

        v[i] = (uint64_t)exp(10.0 + 2.0 * z);
    }
    check_dist("log-normal", v, N);
    for (size_t i = 0; i < N; i++) /* bimodal: 99% fast, 1% slow */
        v[i] = i % 100 ? 20000 + kd_rng_below(&r, 1000) : 5000000 + kd_rng_below(&r, 100000);
    check_dist("bimodal 99/1", v, N);
    omk_free(v);
}

static int hist_equal(const struct hist *a, const struct hist *b)
{
    return a->count == b->count && a->min == b->min && a->max == b->max &&
           fabsl(a->sum - b->sum) <= 1e-6L * (a->sum > 0 ? a->sum : 1) &&
           memcmp(a->buckets, b->buckets, sizeof(a->buckets)) == 0;
}

static void test_merge(void)
{
    struct hist *all = omk_malloc(sizeof(*all)), *part[3], *sum = omk_malloc(sizeof(*sum));
    struct hist *empty = omk_malloc(sizeof(*empty)), *rep = omk_malloc(sizeof(*rep));
    struct kd_rng r;

    kd_rng_seed(&r, 7);
    hist_init(all);
    hist_init(sum);
    hist_init(empty);
    for (int k = 0; k < 3; k++) {
        part[k] = omk_malloc(sizeof(*part[k]));
        hist_init(part[k]);
    }
    for (int i = 0; i < 100000; i++) {
        uint64_t v = kd_rng_next(&r) >> kd_rng_below(&r, 64);

        hist_record(all, v);
        hist_record(part[i % 3], v);
    }
    for (int k = 0; k < 3; k++)
        hist_merge(sum, part[k]);
    ok(hist_equal(sum, all), "merging three parts equals recording all in one");
    is_int(hist_percentile(sum, 99), hist_percentile(all, 99), "merged p99 equals the whole's");
    hist_merge(sum, empty);
    ok(hist_equal(sum, all), "merging an empty histogram changes nothing");
    hist_merge(empty, all);
    ok(hist_equal(empty, all), "merging into an empty histogram copies");
    is_int(empty->min, all->min, "min carried over by the merge");

    hist_init(rep);
    hist_init(sum);
    hist_record_n(rep, 777, 5);
    hist_record_n(rep, 5, 0);
    for (int i = 0; i < 5; i++)
        hist_record(sum, 777);
    ok(hist_equal(rep, sum), "record_n(v, 5) equals five records; n = 0 records nothing");
    for (int k = 0; k < 3; k++)
        omk_free(part[k]);
    omk_free(all);
    omk_free(sum);
    omk_free(empty);
    omk_free(rep);
}

static void test_keydist(void)
{
    struct kd_zipf z;
    struct kd_rng r;
    enum { DRAWS = 1000000, N = 1000 };
    uint64_t *count = omk_calloc(N, sizeof(*count));
    int in_range = 1, bij = 1;
    double p0, p1;

    ok(fabs(kd_zeta(3, 0.5) - (1 + 1 / sqrt(2.0) + 1 / sqrt(3.0))) < 1e-12, "zeta(3, 0.5)");
    is_int(kd_zipf_init(&z, 1000, 0), -1, "zipf: theta 0 refused");
    is_int(kd_zipf_init(&z, 1000, 1), -1, "zipf: theta 1 refused");
    is_int(kd_zipf_init(&z, 1000, 1.5), -1, "zipf: theta 1.5 refused");
    is_int(kd_zipf_init(&z, 0, 0.99), -1, "zipf: 0 ranks refused");

    for (int t = 0; t < 2; t++) {
        double theta = t ? 0.5 : 0.99;

        memset(count, 0, N * sizeof(*count));
        is_int(kd_zipf_init(&z, N, theta), 0, "zipf(%d, %g) built", N, theta);
        kd_rng_seed(&r, 99 + (uint64_t)t);
        for (int i = 0; i < DRAWS; i++) {
            uint64_t k = kd_zipf_next(&z, &r);

            if (k >= N)
                in_range = 0;
            else
                count[k]++;
        }
        p0 = 1.0 / kd_zeta(N, theta);
        p1 = pow(0.5, theta) / kd_zeta(N, theta);
        /* 5 standard deviations of a binomial frequency over DRAWS */
        ok(fabs((double)count[0] / DRAWS - p0) < 5 * sqrt(p0 * (1 - p0) / DRAWS),
           "zipf theta %g: rank 0 drawn with frequency 1/zeta (%.4f vs %.4f)", theta,
           (double)count[0] / DRAWS, p0);
        ok(fabs((double)count[1] / DRAWS - p1) < 5 * sqrt(p1 * (1 - p1) / DRAWS),
           "zipf theta %g: rank 1 with 2^-theta/zeta (%.4f vs %.4f)", theta,
           (double)count[1] / DRAWS, p1);
        ok(count[2] + count[3] + count[4] > count[500] + count[501] + count[502],
           "zipf theta %g: low ranks beat the middle", theta);
    }
    ok(in_range, "zipf ranks stay below n");
    is_int(kd_zipf_init(&z, 1, 0.99), 0, "zipf over 1 rank");
    kd_rng_seed(&r, 3);
    is_int(kd_zipf_next(&z, &r), 0, "... always draws rank 0");

    for (uint64_t n = 1; n <= 2000 && bij; n++) {
        struct kd_perm p;
        unsigned char *seen = omk_calloc(n, 1);

        kd_perm_init(&p, n);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t j = kd_perm_map(&p, i);

            if (j >= n || seen[j]++) {
                diag("  perm of %llu maps %llu to %llu twice or out of range",
                     (unsigned long long)n, (unsigned long long)i, (unsigned long long)j);
                bij = 0;
                break;
            }
        }
        omk_free(seen);
    }
    ok(bij, "kd_perm is a bijection of [0, n) for every n up to 2000");
    {
        struct kd_perm p;
        uint64_t n = 2654435761ULL * 3; /* divisible by the first prime */
        uint64_t a = 0, b = 0;

        kd_perm_init(&p, n);
        ok(n % p.mul != 0 && p.mul != 2654435761ULL, "kd_perm skips a prime that divides n");
        a = kd_perm_map(&p, 0);
        b = kd_perm_map(&p, 1);
        ok(a != b && a < n && b < n, "... and still maps inside [0, n)");
    }
    {
        enum { B = 10, M = 200000 };
        uint64_t c[B] = {0};
        int flat = 1;

        kd_rng_seed(&r, 5);
        for (int i = 0; i < M; i++)
            c[kd_rng_below(&r, B)]++;
        for (int i = 0; i < B; i++)
            if (fabs((double)c[i] - M / B) > 5 * sqrt(M / B))
                flat = 0;
        ok(flat, "kd_rng_below(10) is flat within 5 sigma");
    }
    omk_free(count);
}

int main(void)
{
    test_bucket_edges();
    test_small_exact();
    test_single_and_huge();
    test_distributions();
    test_merge();
    test_keydist();
    return tap_done();
}
