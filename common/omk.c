/* omk.c - shared helpers (see omk.h): allocation, strict number parsing, Redis-style
 * glob matching, hashing and clocks. Nothing here keeps state but the count of bytes
 * allocated (omk_alloc_bytes). */
#include "config.h"

#include "common/omk.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void omk_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "omenkv: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}

void omk_oom(size_t n)
{
    fprintf(stderr, "omenkv: out of memory allocating %zu bytes\n", n);
    abort();
}

/* ---- The allocation count ----------------------------------------------------------
 *
 * HOW IT WORKS. Each thread adds the usable size of what it allocates (malloc_usable_size)
 * and subtracts what it frees in a counter of its own, a slot on its own cache line that
 * only it writes, so counting costs a load and a store, no locked instruction; a block
 * freed by another thread than the one that allocated it moves bytes between slots, never
 * the sum. omk_alloc_bytes() sums the slots. Threads past the first OMK_ALLOC_SLOTS share
 * one slot with atomic adds. Why not mallinfo2(): it walks every free chunk of every
 * malloc arena, each arena locked meanwhile, so on a heap of gigabytes an INFO stopped
 * every thread's malloc for half a second (bench/README.md, "Sustained writes"). */

#define OMK_ALLOC_SLOTS 63

struct omk_alloc_slot {
    _Atomic long long bytes;
    char pad[64 - sizeof(long long)];
};

static struct omk_alloc_slot omk_alloc_slot[OMK_ALLOC_SLOTS + 1]; /* the last is shared */
static atomic_uint omk_alloc_threads;
static _Thread_local struct omk_alloc_slot *omk_alloc_mine;

/* Add 'delta' bytes to this thread's count. */
static void omk_alloc_count(long long delta)
{
    struct omk_alloc_slot *sl = omk_alloc_mine;

    if (!sl) {
        unsigned i = atomic_fetch_add_explicit(&omk_alloc_threads, 1, memory_order_relaxed);

        sl = omk_alloc_mine = &omk_alloc_slot[i < OMK_ALLOC_SLOTS ? i : OMK_ALLOC_SLOTS];
    }
    if (sl == &omk_alloc_slot[OMK_ALLOC_SLOTS])
        atomic_fetch_add_explicit(&sl->bytes, delta, memory_order_relaxed);
    else /* this thread's alone: no read-modify-write can race with it */
        atomic_store_explicit(&sl->bytes,
                              atomic_load_explicit(&sl->bytes, memory_order_relaxed) + delta,
                              memory_order_relaxed);
}

size_t omk_alloc_bytes(void)
{
    long long sum = 0;

    for (size_t i = 0; i <= OMK_ALLOC_SLOTS; i++)
        sum += atomic_load_explicit(&omk_alloc_slot[i].bytes, memory_order_relaxed);
    return sum > 0 ? (size_t)sum : 0; /* slots read at different instants */
}

void *omk_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        omk_oom(n);
    omk_alloc_count((long long)malloc_usable_size(p));
    return p;
}

void *omk_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);

    if (!p)
        omk_oom(count * size);
    omk_alloc_count((long long)malloc_usable_size(p));
    return p;
}

void *omk_realloc(void *p, size_t n)
{
    long long before = p ? (long long)malloc_usable_size(p) : 0;
    void *q = realloc(p, n ? n : 1);

    if (!q)
        omk_oom(n);
    omk_alloc_count((long long)malloc_usable_size(q) - before);
    return q;
}

void *omk_memdup(const void *p, size_t n)
{
    char *q = omk_malloc(n + 1);

    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void omk_free(void *p)
{
    if (!p)
        return;
    omk_alloc_count(-(long long)malloc_usable_size(p));
    free(p);
}

int omk_str2ull(const char *p, size_t len, unsigned long long *v)
{
    unsigned long long acc = 0;

    if (len == 0 || len > 20)
        return 0;
    if (len == 1 && p[0] == '0') {
        *v = 0;
        return 1;
    }
    if (p[0] < '1' || p[0] > '9')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)p[i] - '0';

        if (d > 9)
            return 0;
        if (acc > (UINT64_MAX - d) / 10)
            return 0;
        acc = acc * 10 + d;
    }
    *v = acc;
    return 1;
}

int omk_str2ll(const char *p, size_t len, long long *v)
{
    unsigned long long u;

    if (len == 0)
        return 0;
    if (p[0] == '-') {
        if (!omk_str2ull(p + 1, len - 1, &u) || u == 0)
            return 0;
        if (u > (unsigned long long)LLONG_MAX + 1)
            return 0;
        *v = (u == (unsigned long long)LLONG_MAX + 1) ? LLONG_MIN : -(long long)u;
        return 1;
    }
    if (!omk_str2ull(p, len, &u) || u > (unsigned long long)LLONG_MAX)
        return 0;
    *v = (long long)u;
    return 1;
}

int omk_str2ld(const char *p, size_t len, long double *v)
{
    char buf[5 * 1024];
    char *end;
    long double d;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return 0;
    errno = 0;
    d = strtold(buf, &end);
    /* Every byte must be consumed: a NUL inside the value ("1\0x") would stop strtold
     * early and look like the end of the string. */
    if (end != buf + len || isnan(d) ||
        (errno == ERANGE && (d == HUGE_VALL || d == -HUGE_VALL || d == 0)))
        return 0;
    *v = d;
    return 1;
}

size_t omk_ll2str(char *buf, long long v)
{
    char tmp[24];
    size_t n = 0, i;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    i = 0;
    if (v < 0)
        buf[i++] = '-';
    while (n)
        buf[i++] = tmp[--n];
    return i;
}

static int glob_eq(unsigned char a, unsigned char b, int nocase)
{
    return nocase ? tolower(a) == tolower(b) : a == b;
}

/* Match 'c' against the class that starts at pat[0] == '['. Writes in '*used' how many
 * pattern bytes the class spans (through its ']', or to the end of an unclosed class). */
static int glob_class(const char *pat, size_t plen, unsigned char c, int nocase, size_t *used)
{
    size_t i = 1;
    int neg = 0, match = 0;

    if (i < plen && pat[i] == '^') {
        neg = 1;
        i++;
    }
    for (;;) {
        if (i >= plen) /* unclosed: the class runs to the end of the pattern */
            break;
        if (pat[i] == '\\' && plen - i >= 2) {
            i++;
            if ((unsigned char)pat[i] == c)
                match = 1;
        } else if (pat[i] == ']') {
            i++;
            break;
        } else if (plen - i >= 3 && pat[i + 1] == '-') {
            int lo = (unsigned char)pat[i], hi = (unsigned char)pat[i + 2], x = c;

            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = tolower(lo);
                hi = tolower(hi);
                x = tolower(x);
            }
            i += 2;
            if (x >= lo && x <= hi)
                match = 1;
        } else if (glob_eq((unsigned char)pat[i], c, nocase)) {
            match = 1;
        }
        i++;
    }
    *used = i > plen ? plen : i;
    return neg ? !match : match;
}

/* HOW IT WORKS: every pattern token other than '*' matches exactly one byte, so a
 * greedy walk that remembers only the last '*' and, on a mismatch, lets that star
 * swallow one more byte finds a match whenever one exists, in O(plen * slen) time
 * and no recursion (a hostile pattern cannot blow the stack). */
int omk_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    size_t pi = 0, si = 0, star_pi = 0, star_si = 0;
    int have_star = 0;

    while (si < slen) {
        if (pi < plen) {
            unsigned char c = (unsigned char)str[si];
            size_t used;

            switch (pat[pi]) {
            case '*':
                while (pi < plen && pat[pi] == '*')
                    pi++;
                if (pi == plen)
                    return 1;
                have_star = 1;
                star_pi = pi;
                star_si = si;
                continue;
            case '?':
                pi++;
                si++;
                continue;
            case '[':
                if (glob_class(pat + pi, plen - pi, c, nocase, &used)) {
                    pi += used;
                    si++;
                    continue;
                }
                break;
            case '\\':
                if (plen - pi >= 2) {
                    if (glob_eq((unsigned char)pat[pi + 1], c, nocase)) {
                        pi += 2;
                        si++;
                        continue;
                    }
                    break;
                }
                /* a trailing backslash is literal */
                __attribute__((fallthrough));
            default:
                if (glob_eq((unsigned char)pat[pi], c, nocase)) {
                    pi++;
                    si++;
                    continue;
                }
                break;
            }
        }
        if (!have_star)
            return 0;
        si = ++star_si;
        pi = star_pi;
    }
    while (pi < plen && pat[pi] == '*')
        pi++;
    return pi == plen;
}

size_t omk_glob_literal_prefix(const char *pat, size_t plen)
{
    size_t i;

    for (i = 0; i < plen; i++)
        if (pat[i] == '*' || pat[i] == '?' || pat[i] == '[' || pat[i] == '\\')
            break;
    return i;
}

static uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

uint64_t omk_hash(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0x87c37b91114253d5ULL);
    uint64_t k;

    while (len >= 8) {
        memcpy(&k, s, 8);
        h ^= fmix64(k);
        h = rotl64(h, 27) * 0x4cf5ad432745937fULL;
        s += 8;
        len -= 8;
    }
    k = 0;
    if (len)
        memcpy(&k, s, len);
    h ^= fmix64(k ^ 0x52dce729);
    return fmix64(h);
}

int64_t omk_now_ms(void)
{
    return omk_now_us() / 1000;
}

int64_t omk_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t omk_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
