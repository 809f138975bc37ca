/* cache-bench.c - the value cache's benchmark (store/cache.c, issue 6).
 *
 * Part 1, hit ratio: the real cache (SIEVE) against a plain LRU of the same capacity, on
 * traces over N keys of equal size: zipfian 0.99; zipfian 0.99 with a one-pass scan of
 * every key mixed in (one scan read after each zipfian read, in the middle of the
 * trace); uniform. Both policies see the same requests; a miss inserts the key. The hit
 * ratio counts the zipfian (or uniform) reads only: a scan read misses under any policy,
 * what matters is what the scan does to the others. Capacities: 1% and 10% of the keys.
 *
 * Part 2, throughput: GET through the store API in-process (no network) on K keys of
 * 100 bytes, zipfian 0.99 reads, with a cache that holds them all against the cache
 * disabled (maxmemory 1), from 1 and 2 threads.
 *
 * Usage: cache-bench [--quick] [--no-store] [--dir PATH]   (PATH: a scratch directory for
 * the store, default a fresh one under /tmp, removed afterwards). */
#include "config.h"

#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/cache.h"
#include "store/store.h"

#define VALUE_LEN 100

/* ---- Traces ------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_01(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Zipfian ranks 0..n-1 (Gray et al., as YCSB), rank 0 the hottest; a fixed random
 * permutation maps ranks to keys so that hot keys are scattered. */
struct zipf {
    double theta, alpha, zetan, eta;
    uint32_t n;
    uint32_t *perm;
};

static void zipf_init(struct zipf *z, uint32_t n, double theta, uint64_t seed)
{
    double zeta2 = 1.0 + pow(0.5, theta);

    z->n = n;
    z->theta = theta;
    z->zetan = 0;
    for (uint32_t i = 1; i <= n; i++)
        z->zetan += 1.0 / pow((double)i, theta);
    z->alpha = 1.0 / (1.0 - theta);
    z->eta = (1.0 - pow(2.0 / n, 1.0 - theta)) / (1.0 - zeta2 / z->zetan);
    z->perm = omk_malloc(n * sizeof(*z->perm));
    for (uint32_t i = 0; i < n; i++)
        z->perm[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rng_next(&seed) % (i + 1)), t = z->perm[i];

        z->perm[i] = z->perm[j];
        z->perm[j] = t;
    }
}

static uint32_t zipf_next(const struct zipf *z, uint64_t *s)
{
    double u = rng_01(s), uz = u * z->zetan;
    uint32_t r;

    if (uz < 1.0)
        r = 0;
    else if (uz < 1.0 + pow(0.5, z->theta))
        r = 1;
    else
        r = (uint32_t)(z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
    return z->perm[r < z->n ? r : z->n - 1];
}

enum trace_kind { TRACE_ZIPF, TRACE_ZIPF_SCAN, TRACE_UNIFORM };

static const char *const trace_names[] = {"zipfian 0.99", "zipfian 0.99 + one-pass scan",
                                          "uniform"};

/* One request: the key, and whether it belongs to the scan (not counted) or is a
 * counted read made while the scan runs. */
struct req {
    uint32_t key;
    uint8_t scan;
    uint8_t during;
};

/* Build trace 'kind' of 'nreq' counted reads over 'nkeys' keys into '*out' (returns
 * the length, scan reads included). */
static size_t trace_make(enum trace_kind kind, uint32_t nkeys, size_t nreq, const struct zipf *z,
                         struct req **out)
{
    size_t cap = nreq + (kind == TRACE_ZIPF_SCAN ? nkeys : 0), n = 0;
    struct req *r = omk_malloc(cap * sizeof(*r));
    uint64_t seed = 12345;
    uint32_t scanned = 0;
    size_t scan_from = nreq / 3;

    for (size_t i = 0; i < nreq; i++) {
        uint32_t k = kind == TRACE_UNIFORM ? (uint32_t)(rng_next(&seed) % nkeys)
                                           : zipf_next(z, &seed);

        int during = kind == TRACE_ZIPF_SCAN && i >= scan_from && scanned < nkeys;

        r[n++] = (struct req){ k, 0, (uint8_t)during };
        if (during)
            r[n++] = (struct req){ scanned++, 1, 0 };
    }
    *out = r;
    return n;
}

/* ---- Plain LRU (the baseline): a doubly linked list over key slots ---------------------- */

struct lru {
    uint32_t *prev, *next; /* per key; NONE when not cached */
    uint8_t *in;
    uint32_t head, tail, n, cap;
};

#define NONE UINT32_MAX

static void lru_init(struct lru *l, uint32_t nkeys, uint32_t cap)
{
    l->prev = omk_malloc(nkeys * sizeof(*l->prev));
    l->next = omk_malloc(nkeys * sizeof(*l->next));
    l->in = omk_calloc(nkeys, 1);
    l->head = l->tail = NONE;
    l->n = 0;
    l->cap = cap;
}

static void lru_unlink(struct lru *l, uint32_t k)
{
    if (l->prev[k] != NONE)
        l->next[l->prev[k]] = l->next[k];
    else
        l->head = l->next[k];
    if (l->next[k] != NONE)
        l->prev[l->next[k]] = l->prev[k];
    else
        l->tail = l->prev[k];
}

static void lru_push_front(struct lru *l, uint32_t k)
{
    l->prev[k] = NONE;
    l->next[k] = l->head;
    if (l->head != NONE)
        l->prev[l->head] = k;
    else
        l->tail = k;
    l->head = k;
}

/* A read of 'k': 1 on a hit (moved to the front), 0 on a miss (inserted, evicting the
 * least recently used key when full). */
static int lru_access(struct lru *l, uint32_t k)
{
    if (l->in[k]) {
        lru_unlink(l, k);
        lru_push_front(l, k);
        return 1;
    }
    if (l->n == l->cap) {
        uint32_t v = l->tail;

        lru_unlink(l, v);
        l->in[v] = 0;
        l->n--;
    }
    lru_push_front(l, k);
    l->in[k] = 1;
    l->n++;
    return 0;
}

static void lru_free(struct lru *l)
{
    omk_free(l->prev);
    omk_free(l->next);
    omk_free(l->in);
}

/* ---- SIEVE: store/cache.c itself, with a table of item pointers as its owner ------------- */

struct owner {
    struct cache *c;
    struct cache_item **slot; /* per key */
};

/* cache_detach_fn: one thread, no lock needed. */
static void owner_detach(void *arg, struct cache_item *it)
{
    struct owner *o = arg;

    if (it->owner) {
        o->slot[it->tag] = NULL;
        it->owner = NULL;
    }
    it->dead = 1;
}

static int sieve_access(struct owner *o, uint32_t k, const char *val)
{
    struct cache_item *it = o->slot[k];

    if (it) {
        cache_note_hit(o->c, it);
        return 1;
    }
    it = cache_item_new(val, VALUE_LEN, 0, k);
    if (cache_admit(o->c, it) == CACHE_OK && !it->dead) {
        o->slot[k] = it;
        it->owner = &o->slot[k];
    }
    cache_unpin(it);
    return 0;
}

/* Hit ratios (%) of trace 'r'/'n' under each policy: [0] of all counted reads, [1] of
 * those made while the scan runs (0 when there is no scan). */
static void run_trace(const struct req *r, size_t n, uint32_t nkeys, uint32_t cap, double *lru_pct,
                      double *sieve_pct)
{
    char val[VALUE_LEN] = { 0 };
    struct lru l;
    struct owner o;
    struct cache_item *probe = cache_item_new(val, VALUE_LEN, 0, 0);
    size_t counted[2] = { 0, 0 }, lru_hits[2] = { 0, 0 }, sieve_hits[2] = { 0, 0 };

    lru_init(&l, nkeys, cap);
    o.slot = omk_calloc(nkeys, sizeof(*o.slot));
    o.c = cache_new((size_t)cap * probe->charge, owner_detach, &o);
    cache_unpin(probe);
    for (size_t i = 0; i < n; i++) {
        int h1 = lru_access(&l, r[i].key), h2 = sieve_access(&o, r[i].key, val);

        for (int w = 0; w < 2 && !r[i].scan; w++) {
            if (w == 1 && !r[i].during)
                break;
            counted[w]++;
            lru_hits[w] += (size_t)h1;
            sieve_hits[w] += (size_t)h2;
        }
    }
    for (int w = 0; w < 2; w++) {
        lru_pct[w] = counted[w] ? 100.0 * (double)lru_hits[w] / (double)counted[w] : 0;
        sieve_pct[w] = counted[w] ? 100.0 * (double)sieve_hits[w] / (double)counted[w] : 0;
    }
    cache_free(o.c);
    omk_free(o.slot);
    lru_free(&l);
}

static void hit_ratios(int quick)
{
    uint32_t nkeys = quick ? 20000 : 100000;
    size_t nreq = quick ? 200000 : 2000000;
    const double fracs[] = {0.01, 0.10};
    struct zipf z;

    zipf_init(&z, nkeys, 0.99, 7);
    printf("Hit ratio, %u keys of %d bytes, %zu counted reads (scan reads not counted)\n",
           nkeys, VALUE_LEN, nreq);
    printf("%-30s %6s %8s %8s %7s   %s\n", "trace", "cache", "LRU %", "SIEVE %", "diff",
           "while the scan runs: LRU %, SIEVE %");
    for (int t = TRACE_ZIPF; t <= TRACE_UNIFORM; t++) {
        struct req *r;
        size_t n = trace_make((enum trace_kind)t, nkeys, nreq, &z, &r);

        for (size_t f = 0; f < OMK_ARRAY_LEN(fracs); f++) {
            uint32_t cap = (uint32_t)(nkeys * fracs[f]);
            double lp[2], sp[2];

            run_trace(r, n, nkeys, cap, lp, sp);
            printf("%-30s %5.0f%% %8.2f %8.2f %+7.2f", trace_names[t], fracs[f] * 100, lp[0],
                   sp[0], sp[0] - lp[0]);
            if (t == TRACE_ZIPF_SCAN)
                printf("   %.2f, %.2f", lp[1], sp[1]);
            printf("\n");
        }
        omk_free(r);
    }
    omk_free(z.perm);
}

/* ---- Part 2: GET throughput through the store ----------------------------------------- */

struct get_arg {
    struct store *s;
    const struct zipf *z;
    size_t reads;
    uint64_t seed;
};

static void *get_main(void *arg)
{
    struct get_arg *a = arg;
    char key[32];

    for (size_t i = 0; i < a->reads; i++) {
        struct store_val *v;
        uint32_t k = zipf_next(a->z, &a->seed);
        int n = snprintf(key, sizeof(key), "key:%010u", k);

        OMK_ASSERT(store_get(a->s, 0, (struct omk_slice){ key, (size_t)n }, &v) == STORE_OK);
        store_val_release(v);
    }
    return NULL;
}

/* GETs per second from 'threads' threads, 'reads' each. */
static double get_rate(struct store *s, const struct zipf *z, int threads, size_t reads)
{
    struct get_arg a[2];
    pthread_t th[2];
    int64_t t0 = omk_mono_us(), dt;

    for (int i = 0; i < threads; i++) {
        a[i] = (struct get_arg){ s, z, reads, 99 + (uint64_t)i };
        omk_thread_create(&th[i], get_main, &a[i]);
    }
    for (int i = 0; i < threads; i++)
        omk_thread_join(th[i]);
    dt = omk_mono_us() - t0;
    return (double)reads * threads * 1e6 / (double)(dt > 0 ? dt : 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    OMK_UNUSED(sb);
    OMK_UNUSED(flag);
    OMK_UNUSED(ftw);
    return remove(path);
}

static void throughput(int quick, const char *dir_arg)
{
    uint32_t nkeys = quick ? 20000 : 100000;
    size_t reads = quick ? 100000 : 500000;
    char tmpl[] = "/tmp/omk-cache-bench-XXXXXX", err[256], key[32], val[VALUE_LEN];
    const char *dir = dir_arg ? dir_arg : mkdtemp(tmpl);
    struct store_config c;
    struct store_stats st0, st1;
    struct store *s;
    struct zipf z;
    double r[2][2];

    OMK_ASSERT(dir != NULL);
    store_config_defaults(&c);
    c.dir = dir;
    c.fsync = STORE_FSYNC_NO;
    c.maxmemory = (size_t)256 << 20;
    if (store_open(&c, &s, err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "cache-bench: cannot open a store in %s: %s\n", dir, err);
        exit(1);
    }
    memset(val, 'v', sizeof(val));
    for (uint32_t k = 0; k < nkeys; k++) {
        int n = snprintf(key, sizeof(key), "key:%010u", k);

        store_set(s, 0, (struct omk_slice){ key, (size_t)n }, (struct omk_slice){ val, VALUE_LEN },
                  0, 0, NULL);
    }
    zipf_init(&z, nkeys, 0.99, 11);
    for (int cached = 1; cached >= 0; cached--) {
        store_set_maxmemory(s, cached ? c.maxmemory : 1);
        get_rate(s, &z, 1, reads / 4); /* warm up the cache or RocksDB's block cache */
        store_stats_get(s, &st0);
        for (int t = 1; t <= 2; t++)
            r[cached][t - 1] = get_rate(s, &z, t, reads);
        store_stats_get(s, &st1);
        if (cached)
            printf("(cached runs: %llu RocksDB reads, hit ratio %.4f)\n",
                   (unsigned long long)(st1.rocks_reads - st0.rocks_reads),
                   (double)(st1.cache_hits - st0.cache_hits) /
                       (double)(st1.cache_hits - st0.cache_hits + st1.cache_misses -
                                st0.cache_misses));
    }
    printf("\nGET throughput in-process, %u keys x %d B, zipfian 0.99, %zu reads per thread\n",
           nkeys, VALUE_LEN, reads);
    printf("%-34s %14s %14s\n", "", "1 thread", "2 threads");
    printf("%-34s %12.0f/s %12.0f/s\n", "cache (maxmemory 256mb)", r[1][0], r[1][1]);
    printf("%-34s %12.0f/s %12.0f/s\n", "cache disabled (maxmemory 1)", r[0][0], r[0][1]);
    printf("%-34s %13.1fx %13.1fx\n", "speed-up", r[1][0] / r[0][0], r[1][1] / r[0][1]);
    store_close(s);
    omk_free(z.perm);
    if (!dir_arg)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quick", no_argument, NULL, 'q'},
        {"no-store", no_argument, NULL, 'n'},
        {"dir", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int quick = 0, store = 1, ch;
    const char *dir = NULL;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'q')
            quick = 1;
        else if (ch == 'n')
            store = 0;
        else if (ch == 'd')
            dir = optarg;
        else {
            fprintf(stderr, "usage: %s [--quick] [--no-store] [--dir PATH]\n", argv[0]);
            return 2;
        }
    }
    hit_ratios(quick);
    if (store) {
        printf("\n");
        throughput(quick, dir);
    }
    return 0;
}
