/* index-bench.c - the index/ benchmark: ALEX (index/index.h) against JudySL and a sorted
 * array with binary search, on the key shapes a Redis server sees, at 1M and 10M keys.
 * Measures lookups (hit and miss, random order), inserts (random and ascending, and hits
 * in what the ascending inserts built), deletes, seek + walk 100 with key copy, bulk load
 * and lookups in the bulk-loaded index, bytes per key, and over idx_shards (shard.h,
 * built by the same inserts): inserts under the write
 * locks, lookups from one and two threads under the read locks, and merged walks; and,
 * asked for by name (--phases tail), the latency tail of inserts into the shards. Prints a
 * table per key set and size, optionally CSV (--csv), and ends with the line
 * `alex/judysl lookup ratio at <size>: X.XX` (key:%012d, the largest size run).
 * See bench/README.md for the protocol and the run times.
 *
 * Fairness: every structure reads the same probe keys from the same buffers in the same
 * order; keys are laid out in the order they are used, so reading a probe key costs no
 * cache miss of its own. ALEX inserts include allocating the entry record (24 B header +
 * key); JudySL stores the key in its trie and an 8-byte value. JudySL's bytes per key are
 * measured as malloc growth (mallinfo2: in-use bytes), which is how ALEX's are
 * cross-checked too. */
#include "config.h"

#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef OMK_BENCH_JUDY
#include <Judy.h>
#endif

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/index.h"
#include "index/shard.h"

#define BENCH_PROBES_MAX 2000000 /* lookups and deletes timed per phase, at most */
#define BENCH_WALKS_MAX 10000    /* seek + walk batches timed, at most */
#define BENCH_WALK_LEN 100       /* keys per walk */
#define BENCH_MAX_KEY 200        /* longest key any generator makes (a record holds 255) */

/* ---- key generators ----
 * Key i of a set is gen(i): the keys present are gen(2j), j < N; the misses gen(2j+1), so
 * a miss falls between present keys and is no easier than a hit to route. */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Unpadded decimal of 'v' at 'p'; returns the length. */
static size_t put_dec(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* 'width' zero-padded decimal digits of 'v' at 'p'. */
static void put_dec_pad(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* The bytes of C string 's' at 'p' (no NUL); returns their count. */
static size_t put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return n;
}

/* The low 'digits' hex digits of 'v' at 'p', most significant first; returns 'digits'. */
static size_t put_hex(char *p, uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        p[i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    }
    return (size_t)digits;
}

/* key:%012d, the shape redis-benchmark uses. */
static size_t gen_key(uint64_t i, char *p)
{
    memcpy(p, "key:", 4);
    put_dec_pad(p + 4, i, 12);
    return 16;
}

/* user:<n>:profile with n unpadded. */
static size_t gen_user(uint64_t i, char *p)
{
    size_t n = put_str(p, "user:");

    n += put_dec(p + n, i);
    return n + put_str(p + n, ":profile");
}

/* 20 random characters of [0-9A-Za-z]. */
static size_t gen_alnum(uint64_t i, char *p)
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t s = i * 0x632be59bd9b4e019ULL + 1;

    for (int half = 0; half < 2; half++) {
        uint64_t v = splitmix64(&s);

        for (int c = 0; c < 10; c++) {
            p[half * 10 + c] = al[v % 62];
            v /= 62;
        }
    }
    return 20;
}

/* 32 random lowercase hex digits (an MD5-sized id). */
static size_t gen_hex(uint64_t i, char *p)
{
    uint64_t s = i * 0x8cb92ba72f3d8dd7ULL + 7;

    put_hex(p, splitmix64(&s), 16);
    put_hex(p + 16, splitmix64(&s), 16);
    return 32;
}

/* A random (version 4) UUID, 36 characters. */
static size_t gen_uuid(uint64_t i, char *p)
{
    uint64_t s = i * 0xd6e8feb86659fd93ULL + 11;
    uint64_t hi = splitmix64(&s), lo = splitmix64(&s);

    hi = (hi & ~0xf000ULL) | 0x4000ULL;                   /* version 4 */
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62);             /* variant 10 */
    put_hex(p, hi >> 32, 8);
    p[8] = '-';
    put_hex(p + 9, hi >> 16, 4);
    p[13] = '-';
    put_hex(p + 14, hi, 4);
    p[18] = '-';
    put_hex(p + 19, lo >> 48, 4);
    p[23] = '-';
    put_hex(p + 24, lo, 12);
    return 36;
}

/* URLs of about 64 bytes: a few hundred hosts, sections and slugs from small word lists,
 * then a numeric id unique to 'i' (a bijection of the low 32 bits). */
static size_t gen_url(uint64_t i, char *p)
{
    static const char *const host[] = {"www", "shop", "news", "blog", "api", "m", "docs", "cdn"};
    static const char *const word[] = {
        "alpha", "bright", "cedar", "delta", "ember", "falcon", "garden", "harbor",
        "island", "jasper", "kettle", "lumen", "meadow", "nimbus", "orchid", "pepper",
        "quartz", "river", "summit", "timber", "umber", "velvet", "willow", "xenon",
        "yellow", "zephyr", "atlas", "boreal", "canyon", "dune", "echo", "fjord"};
    static const char *const section[] = {"products", "orders", "articles", "users",
                                          "catalog", "search", "images", "category"};
    uint64_t s = i * 0x9fb21c651e98df25ULL + 3;
    uint64_t r = splitmix64(&s);
    size_t n = put_str(p, "https://");

    n += put_str(p + n, host[r & 7]);
    p[n++] = '.';
    n += put_str(p + n, word[(r >> 3) & 31]);
    n += put_dec(p + n, (r >> 8) % 100);
    n += put_str(p + n, (r >> 16) & 1 ? ".com/" : ".org/");
    n += put_str(p + n, section[(r >> 17) & 7]);
    p[n++] = '/';
    n += put_str(p + n, word[(r >> 20) & 31]);
    p[n++] = '-';
    n += put_str(p + n, word[(r >> 25) & 31]);
    p[n++] = '-';
    n += put_str(p + n, word[(r >> 30) & 31]);
    n += put_str(p + n, "/p/");
    n += put_dec(p + n, (uint32_t)((uint32_t)i * 2654435761u));
    return n;
}

struct keyset {
    const char *name;  /* for --sets and the CSV */
    const char *shape; /* for the table */
    size_t (*gen)(uint64_t i, char *p);
};

static const struct keyset keysets[] = {
    {"key", "key:%012d", gen_key},
    {"user", "user:<n>:profile", gen_user},
    {"alnum", "random alnum 20", gen_alnum},
    {"hex", "hex 32", gen_hex},
    {"uuid", "uuid", gen_uuid},
    {"url", "url ~64", gen_url},
};

/* ---- key buffers ----
 * Records [u8 len][len key bytes][NUL], back to back, in the order they are used. The NUL
 * lets JudySL take the key where it lies. */

struct keybuf {
    char *buf;
    size_t used, cap;
    size_t n;    /* records */
    size_t half; /* records planned / 2 */
    size_t mid;  /* offset of record 'half' (the second thread's half starts there) */
};

#define REC_LEN(r) ((size_t)(unsigned char)(r)[0])
#define REC_KEY(r) ((r) + 1)
#define REC_NEXT(r) ((r) + REC_LEN(r) + 2)

/* Append a record holding 'key'/'len' (growing the buffer if the estimate was short). */
static void keybuf_add(struct keybuf *kb, const char *key, size_t len)
{
    OMK_ASSERT(len <= BENCH_MAX_KEY);
    if (kb->used + len + 2 > kb->cap) {
        kb->cap = kb->cap ? kb->cap * 3 / 2 + len + 2 : 4096 + len;
        kb->buf = omk_realloc(kb->buf, kb->cap);
    }
    if (kb->n == kb->half)
        kb->mid = kb->used;
    kb->buf[kb->used] = (char)len;
    memcpy(kb->buf + kb->used + 1, key, len);
    kb->buf[kb->used + 1 + len] = 0;
    kb->used += len + 2;
    kb->n++;
}

/* An empty buffer sized for 'n' records of about 'avg' bytes. */
static void keybuf_init(struct keybuf *kb, size_t n, double avg)
{
    memset(kb, 0, sizeof(*kb));
    kb->cap = (size_t)((double)n * (avg + 2) * 1.05) + 4096;
    kb->buf = omk_malloc(kb->cap);
    kb->half = n / 2;
}

/* Free the records of 'kb' and zero it. */
static void keybuf_free(struct keybuf *kb)
{
    omk_free(kb->buf);
    memset(kb, 0, sizeof(*kb));
}

/* One past the last record of 'kb'. */
static const char *keybuf_end(const struct keybuf *kb)
{
    return kb->buf + kb->used;
}

/* The index's key order: memcmp on the common length, then the shorter key first. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0 || alen == blen)
        return c;
    return alen < blen ? -1 : 1;
}

/* qsort comparator over pointers to records, in key order. */
static int rec_ptr_cmp(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;

    return key_cmp(REC_KEY(a), REC_LEN(a), REC_KEY(b), REC_LEN(b));
}

/* ---- measuring ---- */

/* Print the message and exit 1 (a wrong answer or a bad option). */
__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "index-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static int bench_cpu_time; /* --cpu-time */

/* The wall clock in seconds. */
static double wall_s(void)
{
    return (double)omk_mono_us() / 1e6;
}

/* The clock phases are timed by: the wall clock, or with --cpu-time the CPU time (user and
 * system) of the calling thread, which leaves out the time other processes held the core
 * (on a shared machine the wall clock measures the load as much as the code). */
static double now_s(void)
{
    struct timespec ts;

    if (!bench_cpu_time)
        return wall_s();
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        die("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes malloc has handed out and not taken back (0 where malloc is interposed), plus
 * the entry arena's blocks in use (index/entry_arena.c: ALEX's entries live there). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd + idx_entry_arena_bytes();
}

static FILE *csv;
static unsigned bench_shards_n = IDX_SHARDS_DEFAULT; /* --shards */
static struct idx_config bench_cfg;   /* every index's; --expand-slots (0: defaults) */

/* The phases a run makes (--phases; all by default). Lookups, walks and deletes run on the
 * index the random inserts built, so any of them makes those inserts (and reports them). */
enum { P_RANDOM = 1, P_LOOKUP = 2, P_WALK = 4, P_DELETE = 8, P_ASC = 16, P_BULK = 32,
       P_SHARDS = 64, P_SORTED = 128, P_SHBULK = 256, P_TAIL = 512 };
static const char *const phase_name[] = {"random", "lookup", "walk",   "delete", "asc",
                                         "bulk",   "shards", "sorted", "shbulk", "tail"};
static unsigned bench_phases = 511; /* every phase but tail, which is asked for by name */
#define P_BUILT (P_RANDOM | P_LOOKUP | P_WALK | P_DELETE) /* need the random-built index */
static volatile unsigned bench_sink; /* keeps copied keys alive past the optimiser */

/* The figures of one (set, size) run, for the table. NAN-free: < 0 means "not measured". */
enum { M_HIT, M_MISS, M_INS_RND, M_INS_ASC, M_HIT_ASC, M_BPK_ASC, M_DEL, M_WALK, M_BULK,
       M_HIT_BULK, M_BPK_BULK, M_BPK_INDEX, M_BPK_TOTAL, M_BPK_HEAP, M_SH_INS, M_SH_1T,
       M_SH_2T, M_SH_WALK, M_SH_BULK, M_SH_BULK_CPU, M_SH_HIT_BULK, M_BPK_SH_BULK, M_TAIL_INS,
       M_TAIL_CPU, M_TAIL_1MS, M_TAIL_10MS, M_TAIL_MAX, M_TAIL2_1MS, M_TAIL2_10MS, M_TAIL2_MAX,
       M_INS_BULK, M_BPK_INS_BULK, M_NMETRIC };
enum { I_ALEX, I_JUDY, I_SORTED, I_NIMPL };

static const char *const metric_name[M_NMETRIC] = {
    "lookup_hit", "lookup_miss", "insert_random", "insert_ascending",
    "lookup_hit_ascending_built", "bytes_per_key_index_ascending_built", "delete_random",
    "seek_walk100", "bulk_load", "lookup_hit_bulk_loaded", "bytes_per_key_index_bulk_loaded",
    "bytes_per_key_index", "bytes_per_key_total", "bytes_per_key_malloc",
    "insert_random_shards", "lookup_hit_shards_1t", "lookup_hit_shards_2t", "shards_walk100",
    "bulk_load_shards", "bulk_load_shards_per_cpu_s", "lookup_hit_shards_bulk_loaded",
    "bytes_per_key_index_shards_bulk_loaded", "tail_insert_random", "tail_cpu_s",
    "tail_inserts_over_1ms", "tail_inserts_over_10ms", "tail_insert_max_ms",
    "tail_both_inserts_over_1ms", "tail_both_inserts_over_10ms", "tail_both_insert_max_ms",
    "insert_random_bulk_loaded", "bytes_per_key_index_bulk_loaded_inserted"};
static const char *const metric_label[M_NMETRIC] = {
    "lookup hit (Mops/s)", "lookup miss (Mops/s)", "insert random (Mops/s)",
    "insert ascending (Mops/s)", "lookup hit, asc-built (Mops/s)",
    "B/key index, asc-built", "delete random (Mops/s)", "seek+walk 100 (K/s)",
    "bulk load (Mops/s)", "lookup hit, bulk-loaded (Mops/s)", "B/key index, bulk-loaded",
    "B/key index (alex: idx_stats)", "B/key index+entries", "B/key malloc growth",
    "shards insert random (Mops/s)", "shards lookup 1 thr (Mops/s)",
    "shards lookup 2 thr (Mops/s)", "shards walk 100 (K/s)", "shards bulk load (Mops/s)",
    "shards bulk load (Mkeys/CPU s)", "shards lookup, bulk-loaded", "B/key index, shards bulk",
    "tail: insert random (Mops/s)", "tail: CPU s (process)", "tail: inserts > 1 ms",
    "tail: inserts > 10 ms", "tail: worst insert (ms)", "tail, both passes: > 1 ms",
    "tail, both passes: > 10 ms", "tail, both passes: worst (ms)",
    "insert random, bulk-loaded (Mops/s)", "B/key index, bulk + inserts"};
static const char *const impl_name[I_NIMPL] = {"alex", "judysl", "sorted_array"};

struct result {
    double v[I_NIMPL][M_NMETRIC];
};

/* Keep one measured figure for the table and write it to the CSV, if any. */
static void put(struct result *r, const char *set, size_t keys, int impl, int metric,
                double value)
{
    r->v[impl][metric] = value;
    if (csv)
        fprintf(csv, "%s,%zu,%s,%s,%.6g\n", set, keys, impl_name[impl], metric_name[metric],
                value);
}

/* Rates: operations per second, in millions (or thousands for walks). */
static double mops(size_t ops, double secs)
{
    return secs > 0 ? (double)ops / secs / 1e6 : 0;
}

/* ---- the data of one run ---- */

struct run {
    const struct keyset *ks;
    size_t n;          /* keys present */
    size_t q;          /* probes per lookup or delete phase */
    size_t w;          /* walks */
    struct keybuf ins; /* the N keys in random insert order */
    struct keybuf asc; /* the N keys in ascending order */
    struct keybuf hit; /* q present keys, random order (with repeats) */
    struct keybuf miss;/* q absent keys, random order */
    struct keybuf del; /* q distinct present keys, random order */
    const char **sorted; /* [n] records of 'asc', for the sorted-array baseline */
    double avg_len;
};

/* A random permutation of 0..n-1 (Fisher-Yates). Returns memory freed with omk_free. */
static uint32_t *permutation(size_t n, uint64_t seed)
{
    uint32_t *p = omk_malloc((n ? n : 1) * sizeof(*p));

    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&seed) % i);
        uint32_t t = p[i - 1];

        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

/* Make the keys of run 'r': the N present keys in a random order and sorted (checking
 * that they are unique), q random hits, q misses and q distinct keys to delete. */
static void run_prepare(struct run *r)
{
    char key[BENCH_MAX_KEY + 64];
    uint64_t seed = 0x5eed0000 + r->n;
    uint32_t *perm;
    const char **ptr;
    size_t total = 0, i;
    const char *rec;

    for (i = 0; i < 1000; i++)
        total += r->ks->gen(2 * i, key);
    r->avg_len = (double)total / 1000;

    /* Present keys in a random insert order. */
    perm = permutation(r->n, seed);
    keybuf_init(&r->ins, r->n, r->avg_len);
    total = 0;
    for (i = 0; i < r->n; i++) {
        size_t len = r->ks->gen(2 * (uint64_t)perm[i], key);

        keybuf_add(&r->ins, key, len);
        total += len;
    }
    r->avg_len = (double)total / (double)r->n;
    omk_free(perm);

    /* The same keys sorted: checks uniqueness, feeds ascending inserts, bulk loads and the
     * sorted array. */
    ptr = omk_malloc(r->n * sizeof(*ptr));
    for (rec = r->ins.buf, i = 0; rec < keybuf_end(&r->ins); rec = REC_NEXT(rec))
        ptr[i++] = rec;
    qsort(ptr, r->n, sizeof(*ptr), rec_ptr_cmp);
    keybuf_init(&r->asc, r->n, r->avg_len);
    for (i = 0; i < r->n; i++) {
        if (i > 0 && rec_ptr_cmp(&ptr[i - 1], &ptr[i]) == 0)
            die("set %s: duplicate key at %zu keys", r->ks->name, r->n);
        keybuf_add(&r->asc, REC_KEY(ptr[i]), REC_LEN(ptr[i]));
    }
    for (rec = r->asc.buf, i = 0; rec < keybuf_end(&r->asc); rec = REC_NEXT(rec))
        ptr[i++] = rec;
    r->sorted = ptr;

    /* Probes: hits drawn at random (repeats allowed), misses between them, and a distinct
     * random subset to delete. */
    keybuf_init(&r->hit, r->q, r->avg_len);
    keybuf_init(&r->miss, r->q, r->avg_len + 1);
    for (i = 0; i < r->q; i++) {
        uint64_t j = splitmix64(&seed) % r->n;

        keybuf_add(&r->hit, key, r->ks->gen(2 * j, key));
        j = splitmix64(&seed) % r->n;
        keybuf_add(&r->miss, key, r->ks->gen(2 * j + 1, key));
    }
    perm = permutation(r->n, seed ^ 0xde1e7e);
    keybuf_init(&r->del, r->q, r->avg_len);
    for (i = 0; i < r->q; i++)
        keybuf_add(&r->del, key, r->ks->gen(2 * (uint64_t)perm[i], key));
    omk_free(perm);
}

/* Free what run_prepare() made. */
static void run_release(struct run *r)
{
    keybuf_free(&r->ins);
    keybuf_free(&r->asc);
    keybuf_free(&r->hit);
    keybuf_free(&r->miss);
    keybuf_free(&r->del);
    omk_free(r->sorted);
    r->sorted = NULL;
}

/* ---- ALEX, one index, one thread ---- */

/* Time idx_find over every record of 'kb'; returns seconds, '*found' the hits. */
static double alex_lookups(const struct idx *ix, const struct keybuf *kb, size_t *found)
{
    size_t f = 0;
    double t = now_s();

    for (const char *rec = kb->buf; rec < keybuf_end(kb); rec = REC_NEXT(rec))
        f += idx_find(ix, REC_KEY(rec), REC_LEN(rec)) != NULL;
    t = now_s() - t;
    *found = f;
    return t;
}

/* A new index holding every key of 'kb', inserted in its order; '*secs' the time taken. */
static struct idx *alex_insert_all(const struct keybuf *kb, double *secs)
{
    struct idx *ix = idx_new(&bench_cfg);
    double t = now_s();

    for (const char *rec = kb->buf; rec < keybuf_end(kb); rec = REC_NEXT(rec)) {
        struct idx_entry *e;

        if (idx_insert(ix, REC_KEY(rec), REC_LEN(rec), &e) != IDX_OK)
            die("alex: insert refused a new key");
    }
    *secs = now_s() - t;
    return ix;
}

/* Seek at each of the first 'w' records of 'kb' and copy the next BENCH_WALK_LEN keys out. */
static double alex_walks(const struct idx *ix, const struct keybuf *kb, size_t w, size_t *keys)
{
    char out[BENCH_MAX_KEY];
    size_t k = 0, done = 0;
    unsigned sum = 0;
    double t = now_s();

    for (const char *rec = kb->buf; done < w && rec < keybuf_end(kb); rec = REC_NEXT(rec)) {
        struct idx_iter it;
        struct idx_entry *e;

        idx_seek(ix, REC_KEY(rec), REC_LEN(rec), &it);
        for (int s = 0; s < BENCH_WALK_LEN && (e = idx_iter_next(&it)) != NULL; s++) {
            memcpy(out, idx_entry_key(e), idx_entry_klen(e));
            sum += (unsigned char)out[idx_entry_klen(e) / 2];
            k++;
        }
        done++;
    }
    t = now_s() - t;
    bench_sink = sum;
    *keys = k;
    return t;
}

/* One index, one thread: random inserts (and memory), then those of lookups, walks and
 * deletes that --phases asks for, on the index they built. Exits on a wrong answer. */
static void bench_alex_random(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    struct idx_stats st;
    struct idx *ix;
    size_t found, keys = 0;
    double heap0 = (double)heap_in_use(), t;

    ix = alex_insert_all(&r->ins, &t);
    put(res, set, r->n, I_ALEX, M_INS_RND, mops(r->n, t));
    put(res, set, r->n, I_ALEX, M_BPK_HEAP, ((double)heap_in_use() - heap0) / (double)r->n);
    idx_stats_get(ix, &st);
    if (st.keys != r->n)
        die("alex: idx_stats counts %zu keys, want %zu", st.keys, r->n);
    put(res, set, r->n, I_ALEX, M_BPK_INDEX, (double)st.index_bytes / (double)r->n);
    put(res, set, r->n, I_ALEX, M_BPK_TOTAL,
        (double)(st.index_bytes + st.entry_bytes) / (double)r->n);
    printf("  alex: depth %zu, %zu model + %zu data nodes, %.2f search steps/insert, "
           "%llu expansions, %llu+%llu splits, %llu retrains, %llu rebuilds\n",
           st.depth, st.model_nodes, st.data_nodes, st.avg_search_steps,
           (unsigned long long)st.expansions, (unsigned long long)st.splits_sideways,
           (unsigned long long)st.splits_down, (unsigned long long)st.retrains,
           (unsigned long long)st.rebuilds);

    if (bench_phases & P_LOOKUP) {
        t = alex_lookups(ix, &r->hit, &found);
        if (found != r->q)
            die("alex: %zu of %zu present keys not found", r->q - found, r->q);
        put(res, set, r->n, I_ALEX, M_HIT, mops(r->q, t));
        t = alex_lookups(ix, &r->miss, &found);
        if (found != 0)
            die("alex: %zu absent keys found", found);
        put(res, set, r->n, I_ALEX, M_MISS, mops(r->q, t));
    }

    if (bench_phases & P_WALK) {
        t = alex_walks(ix, &r->hit, r->w, &keys);
        if (keys == 0)
            die("alex: walks returned nothing");
        put(res, set, r->n, I_ALEX, M_WALK, mops(r->w, t) * 1e3);
    }

    if (bench_phases & P_DELETE) {
        t = now_s();
        for (const char *rec = r->del.buf; rec < keybuf_end(&r->del); rec = REC_NEXT(rec)) {
            struct idx_entry *e;

            if (idx_delete(ix, REC_KEY(rec), REC_LEN(rec), &e) != IDX_OK)
                die("alex: delete missed a present key");
            idx_entry_free(e);
        }
        t = now_s() - t;
        put(res, set, r->n, I_ALEX, M_DEL, mops(r->q, t));
        if (idx_count(ix) != r->n - r->q)
            die("alex: %zu keys left after deletes, want %zu", idx_count(ix), r->n - r->q);
    }
    idx_free(ix, NULL);
}

/* Ascending inserts (time-ordered keys), and the hit probes on what they built. */
static void bench_alex_ascending(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    struct idx_stats st;
    struct idx *ix;
    size_t found;
    double t;

    ix = alex_insert_all(&r->asc, &t);
    put(res, set, r->n, I_ALEX, M_INS_ASC, mops(r->n, t));
    idx_stats_get(ix, &st);
    put(res, set, r->n, I_ALEX, M_BPK_ASC, (double)st.index_bytes / (double)r->n);
    printf("  alex, ascending: depth %zu, %zu model + %zu data nodes (%llu opened for the run), "
           "%.2f search steps/insert\n", st.depth, st.model_nodes, st.data_nodes,
           (unsigned long long)st.run_leaves, st.avg_search_steps);
    t = alex_lookups(ix, &r->hit, &found);
    if (found != r->q)
        die("alex: %zu present keys not found after ascending inserts", r->q - found);
    put(res, set, r->n, I_ALEX, M_HIT_ASC, mops(r->q, t));
    idx_free(ix, NULL);
}

/* What a restart does: bulk load from sorted keys (entries made in key order), and the
 * hit probes on that index. */
static void bench_alex_bulk(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    struct idx_entry **ents = omk_malloc(r->n * sizeof(*ents));
    struct idx_stats st;
    struct idx *ix;
    size_t found, i = 0;
    double t;

    t = now_s();
    for (const char *rec = r->asc.buf; rec < keybuf_end(&r->asc); rec = REC_NEXT(rec))
        ents[i++] = idx_entry_new(REC_KEY(rec), REC_LEN(rec));
    ix = idx_new(&bench_cfg);
    if (idx_bulk_load(ix, ents, r->n) != IDX_OK)
        die("alex: bulk load refused");
    t = now_s() - t;
    omk_free(ents);
    put(res, set, r->n, I_ALEX, M_BULK, mops(r->n, t));
    idx_stats_get(ix, &st);
    put(res, set, r->n, I_ALEX, M_BPK_BULK, (double)st.index_bytes / (double)r->n);
    printf("  alex, bulk-loaded: depth %zu (%.2f levels/key), %zu model + %zu data nodes, "
           "leaf cost %.2f, %.1f B/key index\n", st.depth, st.avg_depth, st.model_nodes,
           st.data_nodes, st.avg_leaf_cost, (double)st.index_bytes / (double)r->n);
    t = alex_lookups(ix, &r->hit, &found);
    if (found != r->q)
        die("alex: %zu present keys not found after bulk load", r->q - found);
    put(res, set, r->n, I_ALEX, M_HIT_BULK, mops(r->q, t));

    /* What writes after a restart pay for the bulk load's density: the q absent keys
     * (random, some repeated) inserted into the bulk-loaded index. */
    i = 0;
    t = now_s();
    for (const char *rec = r->miss.buf; rec < keybuf_end(&r->miss); rec = REC_NEXT(rec)) {
        struct idx_entry *e;

        i += idx_insert(ix, REC_KEY(rec), REC_LEN(rec), &e) == IDX_OK;
    }
    t = now_s() - t;
    put(res, set, r->n, I_ALEX, M_INS_BULK, mops(r->q, t));
    idx_stats_get(ix, &st);
    put(res, set, r->n, I_ALEX, M_BPK_INS_BULK, (double)st.index_bytes / (double)(r->n + i));
    printf("  alex, %zu new keys inserted after the bulk load: %.2f Mops/s, %llu expansions, "
           "%llu+%llu splits, %.1f B/key index\n", i, mops(r->q, t),
           (unsigned long long)st.expansions, (unsigned long long)st.splits_sideways,
           (unsigned long long)st.splits_down, (double)st.index_bytes / (double)(r->n + i));
    idx_free(ix, NULL);
}

/* One index, one thread, the phases --phases asks for: random inserts and what runs on
 * the index they built, ascending inserts, bulk load. */
static void bench_alex(struct run *r, struct result *res)
{
    if (bench_phases & P_BUILT)
        bench_alex_random(r, res);
    if (bench_phases & P_ASC)
        bench_alex_ascending(r, res);
    if (bench_phases & P_BULK)
        bench_alex_bulk(r, res);
}

/* ---- ALEX, S shards (--shards, default 8), one and two threads ---- */

struct shard_job {
    struct idx_shards *sh;
    const char *from, *to; /* records to look up */
    pthread_barrier_t *start;
    size_t found;
    double t0, t1; /* when this thread started and finished its lookups */
};

/* Thread body: look up the records of one job under the shard read locks. */
static void *shard_lookups(void *arg)
{
    struct shard_job *j = arg;
    size_t f = 0;

    if (j->start)
        pthread_barrier_wait(j->start);
    j->t0 = wall_s();           /* two threads' spans compare on the wall clock only */
    for (const char *rec = j->from; rec < j->to; rec = REC_NEXT(rec)) {
        unsigned s = idx_shards_of(j->sh, REC_KEY(rec), REC_LEN(rec));

        f += idx_find(idx_shards_rdlock(j->sh, s), REC_KEY(rec), REC_LEN(rec)) != NULL;
        idx_shards_unlock(j->sh, s);
    }
    j->found = f;
    j->t1 = wall_s();
    return NULL;
}

struct walk_copy {
    char out[BENCH_MAX_KEY];
    size_t keys;
    unsigned sum;
};

/* idx_shards_walk callback: copy the key out, as SCAN does. */
static int walk_copy_fn(const struct idx_entry *e, void *arg)
{
    struct walk_copy *wc = arg;

    memcpy(wc->out, idx_entry_key(e), idx_entry_klen(e));
    wc->sum += (unsigned char)wc->out[idx_entry_klen(e) / 2];
    wc->keys++;
    return 0;
}

/* S shards built by the same random inserts: insert rate under the write locks, lookups
 * from one thread then two, and merged walks of 100. */
static void bench_shards(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    struct idx_shards *sh = idx_shards_new(bench_shards_n, &bench_cfg);
    struct shard_job one = {sh, r->hit.buf, keybuf_end(&r->hit), NULL, 0, 0, 0};
    struct shard_job two[2];
    struct walk_copy wc = {.keys = 0};
    struct idx_keybuf last = {0};
    struct idx_stats st;
    pthread_barrier_t start;
    pthread_t th[2];
    size_t done = 0;
    double t;

    /* Built like the single index (same keys, same order) so that the two compare. */
    t = now_s();
    for (const char *rec = r->ins.buf; rec < keybuf_end(&r->ins); rec = REC_NEXT(rec)) {
        unsigned s = idx_shards_of(sh, REC_KEY(rec), REC_LEN(rec));
        struct idx_entry *e;

        if (idx_insert(idx_shards_wrlock(sh, s), REC_KEY(rec), REC_LEN(rec), &e) != IDX_OK)
            die("shards: insert refused a new key");
        idx_shards_unlock(sh, s);
    }
    t = now_s() - t;
    put(res, set, r->n, I_ALEX, M_SH_INS, mops(r->n, t));
    if (idx_shards_count(sh) != r->n)
        die("shards: count %zu, want %zu", idx_shards_count(sh), r->n);
    idx_shards_stats(sh, &st);
    printf("  alex, %u shards: depth %zu, %zu model + %zu data nodes, %.1f B/key index\n",
           bench_shards_n, st.depth, st.model_nodes, st.data_nodes,
           (double)st.index_bytes / (double)r->n);

    shard_lookups(&one);
    t = one.t1 - one.t0;
    if (one.found != r->q)
        die("shards: %zu present keys not found", r->q - one.found);
    put(res, set, r->n, I_ALEX, M_SH_1T, mops(r->q, t));

    omk_pthread_check(pthread_barrier_init(&start, NULL, 3), "pthread_barrier_init");
    two[0] = (struct shard_job){sh, r->hit.buf, r->hit.buf + r->hit.mid, &start, 0, 0, 0};
    two[1] = (struct shard_job){sh, r->hit.buf + r->hit.mid, keybuf_end(&r->hit), &start, 0,
                                0, 0};
    for (int k = 0; k < 2; k++)
        omk_thread_create(&th[k], shard_lookups, &two[k]);
    pthread_barrier_wait(&start);
    for (int k = 0; k < 2; k++)
        omk_thread_join(th[k]);
    pthread_barrier_destroy(&start);
    /* Wall time from the first start to the last finish, as the threads saw it. */
    t = (two[0].t1 > two[1].t1 ? two[0].t1 : two[1].t1) -
        (two[0].t0 < two[1].t0 ? two[0].t0 : two[1].t0);
    if (two[0].found + two[1].found != r->q)
        die("shards: present keys not found from two threads");
    put(res, set, r->n, I_ALEX, M_SH_2T, mops(r->q, t));

    /* SCAN's path: a merged walk of 100 from a present key, keys copied out. */
    t = now_s();
    for (const char *rec = r->hit.buf; done < r->w; rec = REC_NEXT(rec), done++)
        idx_shards_walk(sh, REC_KEY(rec), REC_LEN(rec), 1, BENCH_WALK_LEN, walk_copy_fn, &wc,
                        NULL, &last);
    t = now_s() - t;
    if (wc.keys == 0)
        die("shards: walks returned nothing");
    bench_sink = wc.sum;
    put(res, set, r->n, I_ALEX, M_SH_WALK, mops(r->w, t) * 1e3);
    idx_keybuf_deinit(&last);
    idx_shards_free(sh, NULL);
}

/* The process's CPU time in seconds, every thread's. */
static double proc_cpu_s(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        die("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a server's restart does (store/load.c): entries made from the sorted keys, then
 * idx_shards_bulk_load into S shards (the hash partition, then the shards' loads on one
 * thread per CPU), timed alone, by the wall clock and by the process's CPU time; then
 * the hit probes on one thread under the read locks. */
static void bench_shards_bulk(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    struct idx_entry **ents = omk_malloc(r->n * sizeof(*ents));
    struct idx_shards *sh = idx_shards_new(bench_shards_n, &bench_cfg);
    struct shard_job one = {sh, r->hit.buf, keybuf_end(&r->hit), NULL, 0, 0, 0};
    struct idx_stats st;
    size_t i = 0;
    double t, cpu;

    for (const char *rec = r->asc.buf; rec < keybuf_end(&r->asc); rec = REC_NEXT(rec))
        ents[i++] = idx_entry_new(REC_KEY(rec), REC_LEN(rec));
    cpu = proc_cpu_s();
    t = wall_s();
    if (idx_shards_bulk_load(sh, ents, r->n) != IDX_OK)
        die("shards: bulk load refused");
    t = wall_s() - t;
    cpu = proc_cpu_s() - cpu;
    omk_free(ents);
    put(res, set, r->n, I_ALEX, M_SH_BULK, mops(r->n, t));
    put(res, set, r->n, I_ALEX, M_SH_BULK_CPU, mops(r->n, cpu));
    idx_shards_stats(sh, &st);
    put(res, set, r->n, I_ALEX, M_BPK_SH_BULK, (double)st.index_bytes / (double)r->n);
    printf("  alex, %u shards bulk-loaded in %.2f s (%.2f s CPU): depth %zu (%.2f levels/key), "
           "%zu model + %zu data nodes, leaf cost %.2f, %.1f B/key index\n", bench_shards_n,
           t, cpu, st.depth, st.avg_depth, st.model_nodes, st.data_nodes, st.avg_leaf_cost,
           (double)st.index_bytes / (double)r->n);
    shard_lookups(&one);
    if (one.found != r->q)
        die("shards: %zu present keys not found after the bulk load", r->q - one.found);
    put(res, set, r->n, I_ALEX, M_SH_HIT_BULK, mops(r->q, one.t1 - one.t0));
    idx_shards_free(sh, NULL);
}

/* ---- insert latency tail over idx_shards (--phases tail) ---- */

#define TAIL_HIST_US 1000000 /* per-microsecond histogram up to 1 s (the last bucket: more) */
#define TAIL_SLOW_NS 100000  /* inserts this slow in the first pass are timed again */
#define TAIL_WORST 8         /* slowest inserts listed */

/* The monotonic clock in nanoseconds (the vDSO's: about 30 ns here, cheap enough to read
 * twice per insert; the thread CPU clock is a system call of 1.6 us on this VM, and it
 * counts the time the host takes the virtual CPU away, as the wall clock does). */
static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The first microsecond bucket at or under which a fraction 'q' of the 'n' timed inserts
 * fall. */
static size_t tail_quantile_us(const uint32_t *hist, size_t n, double q)
{
    size_t want = (size_t)((double)n * q), seen = 0;

    for (size_t us = 0; us < TAIL_HIST_US; us++) {
        seen += hist[us];
        if (seen > want)
            return us;
    }
    return TAIL_HIST_US;
}

/* One slow insert: its number in the run (the keys present before it) and its times. */
struct tail_slow {
    size_t i;
    uint64_t ns[2]; /* first pass, second pass (0: not timed again yet) */
};

/* The tallies of one list of insert times. */
struct tail_sum {
    uint64_t over_100us, over_1ms, over_10ms, ms_over_1ms;
    uint64_t worst[TAIL_WORST];
    size_t worst_at[TAIL_WORST];
};

/* Count 'd' (ns) of insert number 'i' into 't'. */
static void tail_count(struct tail_sum *t, size_t i, uint64_t d)
{
    int k = TAIL_WORST - 1;

    t->over_100us += d >= 100000;
    t->over_1ms += d >= 1000000;
    t->ms_over_1ms += d >= 1000000 ? d : 0;
    t->over_10ms += d >= 10000000;
    if (d <= t->worst[k])
        return;
    for (; k > 0 && d > t->worst[k - 1]; k--) {
        t->worst[k] = t->worst[k - 1];
        t->worst_at[k] = t->worst_at[k - 1];
    }
    t->worst[k] = d;
    t->worst_at[k] = i;
}

/* Print the tallies 't' under 'label'. */
static void tail_print(const char *label, const struct tail_sum *t)
{
    printf("  tail, %s: inserts > 100 us %llu, > 1 ms %llu (%.0f ms in all), > 10 ms %llu;"
           " worst:", label, (unsigned long long)t->over_100us, (unsigned long long)t->over_1ms,
           (double)t->ms_over_1ms / 1e6, (unsigned long long)t->over_10ms);
    for (int k = 0; k < TAIL_WORST && t->worst[k]; k++)
        printf(" %.2f ms at %zu%s", (double)t->worst[k] / 1e6, t->worst_at[k],
               k + 1 < TAIL_WORST && t->worst[k + 1] ? ";" : "");
    printf("\n");
}

/* Insert every key of 'r' in its random order into new shards, each under its shard's
 * write lock (wrlock, idx_insert, unlock), timed by the wall clock. Pass 0 keeps the
 * inserts of TAIL_SLOW_NS or more in '*slow' ('*nslow' of them, the array grown with
 * omk_realloc) and fills 'hist'; pass 1 times again the inserts already in '*slow'. */
static void tail_pass(struct run *r, int pass, uint32_t *hist, struct tail_slow **slow,
                      size_t *nslow, size_t *cap)
{
    struct idx_shards *sh = idx_shards_new(bench_shards_n, &bench_cfg);
    size_t i = 0, next = 0;

    for (const char *rec = r->ins.buf; rec < keybuf_end(&r->ins); rec = REC_NEXT(rec), i++) {
        unsigned s = idx_shards_of(sh, REC_KEY(rec), REC_LEN(rec));
        struct idx_entry *e;
        uint64_t t0 = mono_ns(), d;

        if (idx_insert(idx_shards_wrlock(sh, s), REC_KEY(rec), REC_LEN(rec), &e) != IDX_OK)
            die("tail: insert refused a new key");
        idx_shards_unlock(sh, s);
        d = mono_ns() - t0;
        if (pass == 1) {
            if (next < *nslow && (*slow)[next].i == i)
                (*slow)[next++].ns[1] = d;
            continue;
        }
        hist[d / 1000 < TAIL_HIST_US ? d / 1000 : TAIL_HIST_US]++;
        if (d < TAIL_SLOW_NS)
            continue;
        if (*nslow == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            *slow = omk_realloc(*slow, *cap * sizeof(**slow));
        }
        (*slow)[(*nslow)++] = (struct tail_slow){i, {d, 0}};
    }
    if (idx_shards_count(sh) != r->n)
        die("tail: count %zu, want %zu", idx_shards_count(sh), r->n);
    idx_shards_free(sh, NULL);
}

/* The server's write path, insert by insert: each key of the run, in its random order,
 * under its shard's write lock (what a SET that creates a key holds the lock for, and
 * what every GET on that shard waits behind), timed by the wall clock. The first pass
 * gives what a client sees: that counts the times the thread or the whole virtual CPU
 * was taken away (on this shared VM, stalls of ~100 ms at random places, which neither
 * the wall nor the thread CPU clock can tell from work). The index is deterministic, so
 * a second pass builds it again and times once more the inserts that took 100 us or
 * more: the slower of an insert's work shows in both passes, a stall of the machine
 * almost never hits the same insert twice. "both passes" counts each insert at the
 * smaller of its two times. Also reports quantiles and the process CPU time of the first
 * pass. */
static void bench_tail(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    uint32_t *hist = omk_calloc(TAIL_HIST_US + 1, sizeof(*hist));
    struct tail_slow *slow = NULL;
    struct tail_sum one = {0}, both = {0};
    size_t nslow = 0, cap = 0;
    struct rusage ru0, ru1;
    double t, cpu;

    getrusage(RUSAGE_SELF, &ru0);
    cpu = proc_cpu_s();
    t = wall_s();
    tail_pass(r, 0, hist, &slow, &nslow, &cap);
    t = wall_s() - t;
    cpu = proc_cpu_s() - cpu;
    getrusage(RUSAGE_SELF, &ru1);
    tail_pass(r, 1, hist, &slow, &nslow, &cap);
    for (size_t k = 0; k < nslow; k++) {
        tail_count(&one, slow[k].i, slow[k].ns[0]);
        tail_count(&both, slow[k].i,
                   slow[k].ns[0] < slow[k].ns[1] ? slow[k].ns[0] : slow[k].ns[1]);
    }
    put(res, set, r->n, I_ALEX, M_TAIL_INS, mops(r->n, t));
    put(res, set, r->n, I_ALEX, M_TAIL_CPU, cpu);
    put(res, set, r->n, I_ALEX, M_TAIL_1MS, (double)one.over_1ms);
    put(res, set, r->n, I_ALEX, M_TAIL_10MS, (double)one.over_10ms);
    put(res, set, r->n, I_ALEX, M_TAIL_MAX, (double)one.worst[0] / 1e6);
    put(res, set, r->n, I_ALEX, M_TAIL2_1MS, (double)both.over_1ms);
    put(res, set, r->n, I_ALEX, M_TAIL2_10MS, (double)both.over_10ms);
    put(res, set, r->n, I_ALEX, M_TAIL2_MAX, (double)both.worst[0] / 1e6);
    printf("  tail, %u shards: %.2f s wall, %.2f s CPU (first pass); p99 %zu us, p99.9 %zu us,"
           " p99.99 %zu us; %ld involuntary context switches\n", bench_shards_n, t, cpu,
           tail_quantile_us(hist, r->n, 0.99), tail_quantile_us(hist, r->n, 0.999),
           tail_quantile_us(hist, r->n, 0.9999), ru1.ru_nivcsw - ru0.ru_nivcsw);
    tail_print("first pass", &one);
    tail_print("both passes", &both);
    omk_free(slow);
    omk_free(hist);
}

/* ---- JudySL ---- */

#ifdef OMK_BENCH_JUDY
/* Time JudySLGet over every record of 'kb'; returns seconds, '*found' the hits. */
static double judy_lookups(Pvoid_t arr, const struct keybuf *kb, size_t *found)
{
    size_t f = 0;
    double t = now_s();

    for (const char *rec = kb->buf; rec < keybuf_end(kb); rec = REC_NEXT(rec))
        f += JudySLGet(arr, (const uint8_t *)REC_KEY(rec), PJE0) != NULL;
    t = now_s() - t;
    *found = f;
    return t;
}

/* A new JudySL array holding every key of 'kb' (value: a counter); '*secs' the time. */
static Pvoid_t judy_insert_all(const struct keybuf *kb, double *secs)
{
    Pvoid_t arr = NULL;
    Word_t v = 0;
    double t = now_s();

    for (const char *rec = kb->buf; rec < keybuf_end(kb); rec = REC_NEXT(rec)) {
        PPvoid_t pv = JudySLIns(&arr, (const uint8_t *)REC_KEY(rec), PJE0);

        if (pv == PPJERR)
            die("judy: out of memory");
        *(Word_t *)pv = ++v;
    }
    *secs = now_s() - t;
    return arr;
}

/* Random inserts and what --phases asks for on the array they built, as
 * bench_alex_random() does. */
static void bench_judy_random(struct run *r, struct result *res)
{
    const char *set = r->ks->name;
    uint8_t idx[BENCH_MAX_KEY + 1];
    size_t found, keys = 0, done = 0;
    double heap0 = (double)heap_in_use(), t;
    Pvoid_t arr;

    arr = judy_insert_all(&r->ins, &t);
    put(res, set, r->n, I_JUDY, M_INS_RND, mops(r->n, t));
    put(res, set, r->n, I_JUDY, M_BPK_HEAP, ((double)heap_in_use() - heap0) / (double)r->n);

    if (bench_phases & P_LOOKUP) {
        t = judy_lookups(arr, &r->hit, &found);
        if (found != r->q)
            die("judy: %zu present keys not found", r->q - found);
        put(res, set, r->n, I_JUDY, M_HIT, mops(r->q, t));
        t = judy_lookups(arr, &r->miss, &found);
        if (found != 0)
            die("judy: %zu absent keys found", found);
        put(res, set, r->n, I_JUDY, M_MISS, mops(r->q, t));
    }

    /* JudySLFirst gives the first key >= the buffer's; JudySLNext writes each next key into
     * the buffer, which is the copy. */
    if (bench_phases & P_WALK) {
        t = now_s();
        for (const char *rec = r->hit.buf; done < r->w; rec = REC_NEXT(rec), done++) {
            PPvoid_t pv;

            memcpy(idx, REC_KEY(rec), REC_LEN(rec) + 1);
            pv = JudySLFirst(arr, idx, PJE0);
            for (int s = 0; s < BENCH_WALK_LEN && pv != NULL; s++) {
                keys++;
                bench_sink += idx[0];
                pv = JudySLNext(arr, idx, PJE0);
            }
        }
        t = now_s() - t;
        if (keys == 0)
            die("judy: walks returned nothing");
        put(res, set, r->n, I_JUDY, M_WALK, mops(r->w, t) * 1e3);
    }

    if (bench_phases & P_DELETE) {
        t = now_s();
        for (const char *rec = r->del.buf; rec < keybuf_end(&r->del); rec = REC_NEXT(rec))
            if (JudySLDel(&arr, (const uint8_t *)REC_KEY(rec), PJE0) != 1)
                die("judy: delete missed a present key");
        t = now_s() - t;
        put(res, set, r->n, I_JUDY, M_DEL, mops(r->q, t));
    }
    JudySLFreeArray(&arr, PJE0);
}

/* The same phases as bench_alex() on JudySL (no bulk load: JudySL has none). */
static void bench_judy(struct run *r, struct result *res)
{
    Pvoid_t arr;
    double t;

    if (bench_phases & P_BUILT)
        bench_judy_random(r, res);
    if (bench_phases & P_ASC) {
        arr = judy_insert_all(&r->asc, &t);
        put(res, r->ks->name, r->n, I_JUDY, M_INS_ASC, mops(r->n, t));
        JudySLFreeArray(&arr, PJE0);
    }
}
#endif

/* ---- sorted array with binary search (lookups only) ---- */

static double sorted_lookups(const struct run *r, const struct keybuf *kb, size_t *found)
{
    size_t f = 0;
    double t = now_s();

    for (const char *rec = kb->buf; rec < keybuf_end(kb); rec = REC_NEXT(rec)) {
        size_t lo = 0, hi = r->n;

        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const char *m = r->sorted[mid];
            int c = key_cmp(REC_KEY(m), REC_LEN(m), REC_KEY(rec), REC_LEN(rec));

            if (c == 0) {
                f++;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    t = now_s() - t;
    *found = f;
    return t;
}

/* Lookups by binary search over the sorted record pointers. */
static void bench_sorted(struct run *r, struct result *res)
{
    size_t found;
    double t;

    t = sorted_lookups(r, &r->hit, &found);
    if (found != r->q)
        die("sorted array: present keys not found");
    put(res, r->ks->name, r->n, I_SORTED, M_HIT, mops(r->q, t));
    t = sorted_lookups(r, &r->miss, &found);
    if (found != 0)
        die("sorted array: absent keys found");
    put(res, r->ks->name, r->n, I_SORTED, M_MISS, mops(r->q, t));
    /* The array of pointers; the keys themselves sit in the record buffer. */
    put(res, r->ks->name, r->n, I_SORTED, M_BPK_INDEX, (double)sizeof(*r->sorted));
}

/* ---- driver ---- */

static void size_name(size_t n, char *buf, size_t len)
{
    if (n >= 1000000 && n % 1000000 == 0)
        snprintf(buf, len, "%zuM", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0)
        snprintf(buf, len, "%zuk", n / 1000);
    else
        snprintf(buf, len, "%zu", n);
}

/* One table cell: the value, or '-' when not measured (< 0). */
static void print_cell(double v)
{
    if (v < 0)
        printf(" %10s", "-");
    else
        printf(" %10.3f", v);
}

/* The table of one (set, size) run; rows nobody measured are left out. */
static void print_result(const struct run *r, const struct result *res, double secs)
{
    char sz[32];

    size_name(r->n, sz, sizeof(sz));
    printf("  %-32s %10s %10s %10s %10s\n", "", "alex", "judysl", "sorted", "alex/judy");
    for (int m = 0; m < M_NMETRIC; m++) {
        double a = res->v[I_ALEX][m], j = res->v[I_JUDY][m];

        if (a < 0 && j < 0 && res->v[I_SORTED][m] < 0)
            continue;
        printf("  %-32s", metric_label[m]);
        for (int i = 0; i < I_NIMPL; i++)
            print_cell(res->v[i][m]);
        print_cell(a > 0 && j > 0 ? a / j : -1);
        printf("\n");
    }
    if (res->v[I_ALEX][M_SH_1T] > 0)
        printf("  2 threads / 1 thread (%u shards): %.2fx;", bench_shards_n,
               res->v[I_ALEX][M_SH_2T] / res->v[I_ALEX][M_SH_1T]);
    printf("  run took %.1f s\n", secs);
    fflush(stdout);
}

/* Parse "1M,10M,100k,5000" into 'sizes'; returns the count, 0 on a syntax error. */
static size_t parse_sizes(const char *s, size_t *sizes, size_t max)
{
    size_t n = 0;

    while (*s && n < max) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        unsigned long long v, mult = 1;

        if (len > 0 && (s[len - 1] == 'k' || s[len - 1] == 'K'))
            mult = 1000, len--;
        else if (len > 0 && s[len - 1] == 'M')
            mult = 1000000, len--;
        if (!omk_str2ull(s, len, &v) || v == 0 || v * mult > UINT32_MAX)
            return 0;
        sizes[n++] = (size_t)(v * mult);
        s += len + (mult > 1) + (end != NULL);
    }
    return n;
}

/* The option summary, on 'f'. */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: index-bench [--keys N[,N...]] [--sets a,b,...] [--quick] [--csv FILE] [--shards S]\n"
            "                   [--phases p,q,...] [--cpu-time] [--expand-slots N]\n"
            "  --keys   sizes, with k/M suffixes (default 1M,10M)\n"
            "  --sets   key sets among key,user,alnum,hex,uuid,url (default all)\n"
            "  --quick  a 100k smoke run of every set (same as --keys 100k)\n"
            "  --csv    also write every figure to FILE (set,keys,impl,metric,value)\n"
            "  --shards S for the idx_shards rows: a power of two up to %d (default %d)\n"
            "  --phases only these, among random,lookup,walk,delete,asc,bulk,shards,sorted,\n"
            "           shbulk,tail\n"
            "           (default all but tail; lookup, walk and delete run the random inserts\n"
            "           too; tail times each insert into the shards: the latency tail)\n"
            "  --expand-slots N  idx_config.max_expand_slots of every index (default: the\n"
            "           index's own)\n"
            "  --cpu-time  time phases by the thread's CPU time, not the wall clock\n"
            "           (the shard lookups stay on the wall clock)\n",
            IDX_SHARDS_MAX, IDX_SHARDS_DEFAULT);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"keys", required_argument, NULL, 'k'}, {"sets", required_argument, NULL, 's'},
        {"quick", no_argument, NULL, 'q'},      {"csv", required_argument, NULL, 'c'},
        {"shards", required_argument, NULL, 'S'}, {"phases", required_argument, NULL, 'p'},
        {"cpu-time", no_argument, NULL, 't'},   {"help", no_argument, NULL, 'h'},
        {"expand-slots", required_argument, NULL, 'g'},
        {NULL, 0, NULL, 0}};
    size_t sizes[16] = {1000000, 10000000}, nsizes = 2;
    int want[OMK_ARRAY_LEN(keysets)];
    double ratio = -1;
    size_t ratio_n = 0, largest = 0;
    char sz[32];
    int c;
    struct rusage ru;

    for (size_t i = 0; i < OMK_ARRAY_LEN(keysets); i++)
        want[i] = 1;
    while ((c = getopt_long(argc, argv, "k:s:qc:S:p:thg:", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            nsizes = parse_sizes(optarg, sizes, OMK_ARRAY_LEN(sizes));
            if (nsizes == 0)
                die("bad --keys '%s'", optarg);
            break;
        case 'q':
            sizes[0] = 100000;
            nsizes = 1;
            break;
        case 's': {
            char *list = omk_memdup(optarg, strlen(optarg)), *save = NULL;

            for (size_t i = 0; i < OMK_ARRAY_LEN(keysets); i++)
                want[i] = 0;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                size_t i = 0;

                while (i < OMK_ARRAY_LEN(keysets) && strcmp(keysets[i].name, t) != 0)
                    i++;
                if (i == OMK_ARRAY_LEN(keysets))
                    die("unknown key set '%s' (key,user,alnum,hex,uuid,url)", t);
                want[i] = 1;
            }
            omk_free(list);
            break;
        }
        case 'c':
            csv = fopen(optarg, "w");
            if (csv == NULL)
                die("cannot write %s", optarg);
            fprintf(csv, "set,keys,impl,metric,value\n");
            break;
        case 'S': {
            unsigned long long v;

            if (!omk_str2ull(optarg, strlen(optarg), &v) || v == 0 || v > IDX_SHARDS_MAX ||
                (v & (v - 1)) != 0)
                die("bad --shards '%s' (a power of two up to %d)", optarg, IDX_SHARDS_MAX);
            bench_shards_n = (unsigned)v;
            break;
        }
        case 'p': {
            char *list = omk_memdup(optarg, strlen(optarg)), *save = NULL;

            bench_phases = 0;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                size_t i = 0;

                while (i < OMK_ARRAY_LEN(phase_name) && strcmp(phase_name[i], t) != 0)
                    i++;
                if (i == OMK_ARRAY_LEN(phase_name))
                    die("unknown phase '%s' (random,lookup,walk,delete,asc,bulk,shards,sorted,"
                        "shbulk,tail)", t);
                bench_phases |= 1u << i;
            }
            omk_free(list);
            break;
        }
        case 't':
            bench_cpu_time = 1;
            break;
        case 'g': {
            unsigned long long v;

            if (!omk_str2ull(optarg, strlen(optarg), &v) || v == 0)
                die("bad --expand-slots '%s'", optarg);
            bench_cfg.max_expand_slots = (size_t)v;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }

#ifndef OMK_BENCH_JUDY
    printf("JudySL baseline: not built (configure did not find libJudy)\n");
#endif
    for (size_t si = 0; si < nsizes; si++) {
        for (size_t k = 0; k < OMK_ARRAY_LEN(keysets); k++) {
            struct run r = {.ks = &keysets[k], .n = sizes[si]};
            struct result res;
            double t0 = wall_s();

            if (!want[k])
                continue;
            for (int i = 0; i < I_NIMPL; i++)
                for (int m = 0; m < M_NMETRIC; m++)
                    res.v[i][m] = -1;
            r.q = r.n < BENCH_PROBES_MAX ? r.n : BENCH_PROBES_MAX;
            r.w = r.n / 100 < BENCH_WALKS_MAX ? r.n / 100 : BENCH_WALKS_MAX;
            if (r.w == 0)
                r.w = 1;
            size_name(r.n, sz, sizeof(sz));
            printf("== %s, %s keys ==\n", r.ks->shape, sz);
            fflush(stdout);
            run_prepare(&r);
            printf("  keys average %.1f bytes; %zu probes per lookup/delete phase, %zu walks;"
                   " keys made in %.1f s\n", r.avg_len, r.q, r.w, wall_s() - t0);
            bench_alex(&r, &res);
            if (bench_phases & P_SHARDS)
                bench_shards(&r, &res);
            if (bench_phases & P_SHBULK)
                bench_shards_bulk(&r, &res);
            if (bench_phases & P_TAIL)
                bench_tail(&r, &res);
#ifdef OMK_BENCH_JUDY
            bench_judy(&r, &res);
#endif
            if (bench_phases & P_SORTED)
                bench_sorted(&r, &res);
            print_result(&r, &res, wall_s() - t0);
            if (r.n > largest)
                largest = r.n;
            if (k == 0 && r.n >= ratio_n && res.v[I_JUDY][M_HIT] > 0) {
                ratio = res.v[I_ALEX][M_HIT] / res.v[I_JUDY][M_HIT];
                ratio_n = r.n;
            }
            run_release(&r);
        }
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.0f MiB\n", (double)ru.ru_maxrss / 1024);
    if (csv)
        fclose(csv);

    /* The last line, in the form scripts read. */
    if (ratio >= 0) {
        size_name(ratio_n, sz, sizeof(sz));
        printf("alex/judysl lookup ratio at %s: %.2f\n", sz, ratio);
    } else {
        size_name(largest, sz, sizeof(sz));
        printf("alex/judysl lookup ratio at %s: n/a (%s)\n", sz,
#ifdef OMK_BENCH_JUDY
               "the key:%012d set was not run"
#else
               "built without Judy"
#endif
        );
    }
    return 0;
}
