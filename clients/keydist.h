/* keydist.h - the random numbers clients/omenkv-bench draws keys with: a fast per-thread
 * generator (xorshift128+), uniform integers, YCSB's zipfian generator (Gray et al., "Quickly
 * generating billion-record synthetic databases", SIGMOD 1994) and a bijection of [0, n) that
 * spreads the popular zipfian ranks over the whole key space (YCSB's "scrambled zipfian"), so
 * that the hot keys are not neighbours in key order (where one RocksDB block would hold them
 * all). Pure functions of their arguments; no global state. */
#ifndef OMK_CLIENTS_KEYDIST_H
#define OMK_CLIENTS_KEYDIST_H

#include <stdint.h>

/* One generator per thread; owner thread only. */
struct kd_rng {
    uint64_t s[2];
};

/* Seed 'r' from 'seed' (any value, 0 included: the state is expanded by splitmix64). */
void kd_rng_seed(struct kd_rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t kd_rng_next(struct kd_rng *r);

/* A double uniform in [0, 1), 53 random bits. */
double kd_rng_unit(struct kd_rng *r);

/* An integer uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is below
 * n / 2^64). */
uint64_t kd_rng_below(struct kd_rng *r, uint64_t n);

/* zeta(n, theta) = sum over i = 1..n of 1 / i^theta. O(n). */
double kd_zeta(uint64_t n, double theta);

/* Zipfian ranks over [0, n): rank i is drawn with probability about 1 / ((i + 1)^theta *
 * zeta(n, theta)) (exact for ranks 0 and 1, Gray's approximation above). Read-only once
 * built, so threads may share one. */
struct kd_zipf {
    uint64_t n;
    double theta;
    double alpha;  /* 1 / (1 - theta) */
    double zetan;  /* zeta(n, theta) */
    double eta;
    double half_pow; /* 0.5^theta */
};

/* Build 'z' for 'n' >= 1 ranks and skew 0 < 'theta' < 1 (YCSB's default is 0.99; Gray's
 * formula does not hold at theta >= 1). O(n): 10M ranks take about a third of a second.
 * Returns 0, or -1 (nothing written) for parameters out of range. */
int kd_zipf_init(struct kd_zipf *z, uint64_t n, double theta);

/* A rank in [0, n); 0 is the most popular. */
uint64_t kd_zipf_next(const struct kd_zipf *z, struct kd_rng *r);

/* A bijection of [0, n): i -> (i * mul + add) mod n, with 'mul' a large prime that does
 * not divide n (so it is coprime with n). */
struct kd_perm {
    uint64_t n, mul, add;
};

/* Build 'p' for 'n' >= 1. */
void kd_perm_init(struct kd_perm *p, uint64_t n);

/* The image of 'i' (< n). */
uint64_t kd_perm_map(const struct kd_perm *p, uint64_t i);

#endif
