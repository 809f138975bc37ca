/* keydist.c - random generators for omenkv-bench's key choice (see keydist.h). */
#include "config.h"

#include <math.h>

#include "clients/keydist.h"
#include "common/omk.h"

static uint64_t kd_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void kd_rng_seed(struct kd_rng *r, uint64_t seed)
{
    r->s[0] = kd_splitmix64(&seed);
    r->s[1] = kd_splitmix64(&seed);
    if ((r->s[0] | r->s[1]) == 0) /* the one state xorshift never leaves */
        r->s[1] = 1;
}

uint64_t kd_rng_next(struct kd_rng *r)
{
    uint64_t s1 = r->s[0];
    const uint64_t s0 = r->s[1];
    const uint64_t result = s0 + s1;

    r->s[0] = s0;
    s1 ^= s1 << 23;
    r->s[1] = s1 ^ s0 ^ (s1 >> 18) ^ (s0 >> 5);
    return result;
}

double kd_rng_unit(struct kd_rng *r)
{
    return (double)(kd_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t kd_rng_below(struct kd_rng *r, uint64_t n)
{
    OMK_ASSERT(n >= 1);
    return (uint64_t)(((unsigned __int128)kd_rng_next(r) * n) >> 64);
}

double kd_zeta(uint64_t n, double theta)
{
    double sum = 0;

    /* Smallest terms first, for a sum that does not lose them. */
    for (uint64_t i = n; i >= 1; i--)
        sum += 1.0 / pow((double)i, theta);
    return sum;
}

int kd_zipf_init(struct kd_zipf *z, uint64_t n, double theta)
{
    double zeta2;

    if (n < 1 || !(theta > 0) || !(theta < 1))
        return -1;
    z->n = n;
    z->theta = theta;
    z->alpha = 1.0 / (1.0 - theta);
    z->zetan = kd_zeta(n, theta);
    z->half_pow = pow(0.5, theta);
    zeta2 = 1.0 + z->half_pow;
    /* With n <= 2 every draw takes one of the exact branches of kd_zipf_next(). */
    z->eta = n > 2 ? (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / (1.0 - zeta2 / z->zetan) : 0;
    return 0;
}

uint64_t kd_zipf_next(const struct kd_zipf *z, struct kd_rng *r)
{
    double u = kd_rng_unit(r), uz = u * z->zetan;
    uint64_t v;

    if (uz < 1.0 || z->n == 1)
        return 0;
    if (uz < 1.0 + z->half_pow || z->n == 2)
        return 1;
    v = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
    return v < z->n ? v : z->n - 1;
}

void kd_perm_init(struct kd_perm *p, uint64_t n)
{
    /* Primes near 2^31 .. 2^32: coprime with n unless they divide it. */
    static const uint64_t primes[] = {2654435761ULL, 2246822519ULL, 3266489917ULL, 668265263ULL};
    size_t i = 0;

    OMK_ASSERT(n >= 1);
    while (i + 1 < OMK_ARRAY_LEN(primes) && n % primes[i] == 0)
        i++;
    OMK_ASSERT(n % primes[i] != 0 || n == 1);
    p->n = n;
    p->mul = primes[i] % n;
    p->add = (n / 3) % n;
    if (p->mul == 0) /* n == 1 */
        p->mul = 1;
}

uint64_t kd_perm_map(const struct kd_perm *p, uint64_t i)
{
    return (uint64_t)(((unsigned __int128)i * p->mul + p->add) % p->n);
}
