/* store-bench.c - the store API (store/store.h) in-process against plain RocksDB with
 * default options and against SQLite, doing the same work on the same keys: a bulk load in
 * key order, point GETs (uniform, zipfian, a hot set of 1000 keys, misses), point SETs
 * (overwrites, one write each) and a walk over every key, at 10K, 100K, 1M and (--full)
 * 10M keys. Prints microseconds per operation and the ratios, and appends CSV rows.
 *
 * The engines and how each is set up (printed at start):
 *  - omenkv: store_open() with store_config_defaults() (WAL synced every second, 256 MB
 *    block cache, bloom filters, 16 KB blocks, the value cache at its default budget, a
 *    share of RAM, which holds every value written here: writes go through it); GET is
 *    store_get (the in-RAM index, then the cache or RocksDB), the walk is store_scan with
 *    COUNT 1000.
 *  - omenkv-nocache: the same with maxmemory 1, which disables the value cache: every GET
 *    is an index lookup plus a RocksDB read.
 *  - rocksdb: rocksdb_options_create() + create_if_missing, nothing else (default write
 *    options: WAL on, no sync); GET is rocksdb_get_pinned, the walk an iterator.
 *  - sqlite: one file in WAL mode with synchronous=NORMAL (no sync per commit, like the
 *    other two), a WITHOUT ROWID table with a BLOB primary key (one B-tree, SQLite's
 *    fastest layout for key-value), page cache as large as omenkv's block cache, prepared
 *    statements; each SET is its own transaction; the walk is SELECT k ORDER BY k.
 * Loads go in batches of 1000 keys for all three (store_mset, a write batch, a
 * transaction). Every probe list is drawn once per size and shared by the engines, and
 * every GET is checked (found with the right length, or missing when it should be). */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rocksdb/c.h>
#ifdef OMK_BENCH_SQLITE
#include <sqlite3.h>
#endif

#include "clients/keydist.h"
#include "common/omk.h"
#include "store/store.h"

#define SB_BATCH 1000        /* keys per load batch */
#define SB_HOT 1000          /* keys in the hot set */
#define SB_SCAN_COUNT 1000   /* COUNT of each store_scan */
#define SB_KEY_MAX 32
#define SB_POOL (64u << 10)  /* random letters values are cut from */
#define SB_NENG 4            /* omenkv, omenkv-nocache, rocksdb, sqlite */

/* One engine behind the benchmark. Each function dies on an engine error. */
struct sb_engine {
    const char *name;
    const char *setup;  /* how it is configured, for the report */
    void *(*open)(const char *dir);
    /* Write keys first .. first + n - 1 with values from 'val' (n * vlen bytes). */
    void (*load)(void *h, uint64_t first, size_t n, const char *val, size_t vlen);
    /* 1 and the value length in '*vlen' if 'key' exists, else 0. */
    int (*get)(void *h, const char *key, size_t klen, size_t *vlen);
    void (*set)(void *h, const char *key, size_t klen, const char *val, size_t vlen);
    /* Visit every key in order; returns how many. */
    uint64_t (*walk)(void *h);
    void (*close)(void *h);
};

struct sb_opts {
    uint64_t sizes[8];
    size_t nsizes;
    uint64_t ops;          /* probes per point-operation phase */
    size_t vlen;
    double theta;
    int want[SB_NENG];     /* engines to run, in sb_engines' order */
    const char *dir;       /* parent of the data directories */
    const char *csv;
};

static char *sb_pool;      /* SB_POOL + value size random letters; read-only */

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "store-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

__attribute__((format(printf, 1, 2), noreturn)) static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "store-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'store-bench --help'.\n");
    exit(2);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Key 'i' as "key:%012llu" into 'buf' (SB_KEY_MAX bytes); returns its length. */
static size_t sb_key(uint64_t i, char *buf)
{
    memcpy(buf, "key:", 4);
    for (int d = 15; d >= 4; d--) {
        buf[d] = (char)('0' + i % 10);
        i /= 10;
    }
    return 16;
}

static int sb_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    OMK_UNUSED(st);
    OMK_UNUSED(ftw);
    if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
        fprintf(stderr, "store-bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

/* Remove directory tree 'path' if it exists (symlinks are removed, not followed). */
static void sb_rmtree(const char *path)
{
    if (access(path, F_OK) == 0)
        nftw(path, sb_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- omenkv: the store API ----------------------------------------------------------- */

static void sb_store_log(int warning, const char *msg)
{
    if (warning)
        fprintf(stderr, "store-bench: store: %s\n", msg);
}

/* Open the store in 'dir' with its defaults and value cache budget 'maxmemory' (0: the
 * default share of RAM; 1: no cache). */
static void *omk_open_with(const char *dir, size_t maxmemory)
{
    struct store_config c;
    struct store *s;
    char err[256];

    store_config_defaults(&c);
    c.dir = dir;
    c.maxmemory = maxmemory;
    c.log = sb_store_log;
    if (store_open(&c, &s, err, sizeof(err)) != STORE_OK)
        die("store_open %s: %s", dir, err);
    return s;
}

static void *omk_open(const char *dir)
{
    return omk_open_with(dir, 0);
}

static void *omk_open_nocache(const char *dir)
{
    return omk_open_with(dir, 1);
}

static void omk_load(void *h, uint64_t first, size_t n, const char *val, size_t vlen)
{
    struct omk_slice kv[2 * SB_BATCH];
    char keys[SB_BATCH][SB_KEY_MAX];
    int rc;

    OMK_ASSERT(n <= SB_BATCH);
    for (size_t i = 0; i < n; i++) {
        kv[2 * i] = (struct omk_slice){keys[i], sb_key(first + i, keys[i])};
        kv[2 * i + 1] = (struct omk_slice){val + i * vlen, vlen};
    }
    rc = store_mset(h, 0, kv, n);
    if (rc != STORE_OK)
        die("store_mset: %s", store_strerror(rc));
}

static int omk_get(void *h, const char *key, size_t klen, size_t *vlen)
{
    struct store_val *v;
    int rc = store_get(h, 0, (struct omk_slice){key, klen}, &v);

    if (rc == STORE_NOTFOUND)
        return 0;
    if (rc != STORE_OK)
        die("store_get: %s", store_strerror(rc));
    *vlen = v->len;
    store_val_release(v);
    return 1;
}

static void omk_set(void *h, const char *key, size_t klen, const char *val, size_t vlen)
{
    int rc = store_set(h, 0, (struct omk_slice){key, klen}, (struct omk_slice){val, vlen}, 0, 0,
                       NULL);

    if (rc != STORE_OK)
        die("store_set: %s", store_strerror(rc));
}

static void omk_walk_cb(void *arg, const char *key, size_t klen, int type)
{
    OMK_UNUSED(type);
    OMK_UNUSED(key);
    OMK_UNUSED(klen);
    (*(uint64_t *)arg)++;
}

static uint64_t omk_walk(void *h)
{
    uint64_t cursor = 0, n = 0;

    do {
        int rc = store_scan(h, 0, 0, cursor, NULL, 0, SB_SCAN_COUNT, omk_walk_cb, &n, &cursor);

        if (rc != STORE_OK)
            die("store_scan: %s", store_strerror(rc));
    } while (cursor != 0);
    return n;
}

static void omk_close(void *h)
{
    store_close(h);
}

/* ---- plain RocksDB, default options ---------------------------------------------------- */

struct rdb {
    rocksdb_t *db;
    rocksdb_options_t *opt;
    rocksdb_readoptions_t *ro;
    rocksdb_writeoptions_t *wo;
    rocksdb_writebatch_t *wb;
};

/* Die with RocksDB's message if 'err' is set. */
static void rdb_check(char *err, const char *what)
{
    if (err) {
        fprintf(stderr, "store-bench: rocksdb %s: %s\n", what, err);
        rocksdb_free(err);
        exit(1);
    }
}

static void *rdb_open(const char *dir)
{
    struct rdb *r = omk_calloc(1, sizeof(*r));
    char *err = NULL;

    r->opt = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opt, 1);
    r->db = rocksdb_open(r->opt, dir, &err);
    rdb_check(err, "open");
    r->ro = rocksdb_readoptions_create();
    r->wo = rocksdb_writeoptions_create();
    r->wb = rocksdb_writebatch_create();
    return r;
}

static void rdb_load(void *h, uint64_t first, size_t n, const char *val, size_t vlen)
{
    struct rdb *r = h;
    char key[SB_KEY_MAX], *err = NULL;

    rocksdb_writebatch_clear(r->wb);
    for (size_t i = 0; i < n; i++)
        rocksdb_writebatch_put(r->wb, key, sb_key(first + i, key), val + i * vlen, vlen);
    rocksdb_write(r->db, r->wo, r->wb, &err);
    rdb_check(err, "write");
}

static int rdb_get(void *h, const char *key, size_t klen, size_t *vlen)
{
    struct rdb *r = h;
    char *err = NULL;
    rocksdb_pinnableslice_t *v = rocksdb_get_pinned(r->db, r->ro, key, klen, &err);

    rdb_check(err, "get");
    if (!v)
        return 0;
    rocksdb_pinnableslice_value(v, vlen);
    rocksdb_pinnableslice_destroy(v);
    return 1;
}

static void rdb_set(void *h, const char *key, size_t klen, const char *val, size_t vlen)
{
    struct rdb *r = h;
    char *err = NULL;

    rocksdb_put(r->db, r->wo, key, klen, val, vlen, &err);
    rdb_check(err, "put");
}

static uint64_t rdb_walk(void *h)
{
    struct rdb *r = h;
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
    uint64_t n = 0;
    char *err = NULL;
    size_t klen;

    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        rocksdb_iter_key(it, &klen);
        n++;
    }
    rocksdb_iter_get_error(it, &err);
    rdb_check(err, "iterate");
    rocksdb_iter_destroy(it);
    return n;
}

static void rdb_close(void *h)
{
    struct rdb *r = h;

    rocksdb_close(r->db);
    rocksdb_writebatch_destroy(r->wb);
    rocksdb_writeoptions_destroy(r->wo);
    rocksdb_readoptions_destroy(r->ro);
    rocksdb_options_destroy(r->opt);
    omk_free(r);
}

/* ---- SQLite ---------------------------------------------------------------------------- */

#ifdef OMK_BENCH_SQLITE
struct sql {
    sqlite3 *db;
    sqlite3_stmt *get, *put, *walk, *begin, *commit;
};

/* Die with SQLite's message unless 'rc' is one of 'ok1', 'ok2'. */
static void sql_check(struct sql *q, int rc, int ok1, int ok2, const char *what)
{
    if (rc != ok1 && rc != ok2)
        die("sqlite %s: %s", what, sqlite3_errmsg(q->db));
}

static sqlite3_stmt *sql_prepare(struct sql *q, const char *text)
{
    sqlite3_stmt *st;

    sql_check(q, sqlite3_prepare_v2(q->db, text, -1, &st, NULL), SQLITE_OK, SQLITE_OK, text);
    return st;
}

/* Run a statement that returns no rows, to completion. */
static void sql_step_reset(struct sql *q, sqlite3_stmt *st, const char *what)
{
    sql_check(q, sqlite3_step(st), SQLITE_DONE, SQLITE_DONE, what);
    sqlite3_reset(st);
}

static void *sql_open(const char *dir)
{
    struct sql *q = omk_calloc(1, sizeof(*q));
    char path[4200], *err = NULL;
    int rc;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("mkdir %s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/kv.db", dir);
    if (sqlite3_open(path, &q->db) != SQLITE_OK)
        die("sqlite open %s: %s", path, sqlite3_errmsg(q->db));
    /* cache_size -262144: 256 MB, omenkv's block cache */
    rc = sqlite3_exec(q->db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "PRAGMA cache_size=-262144;"
                      "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;",
                      NULL, NULL, &err);
    if (rc != SQLITE_OK)
        die("sqlite setup: %s", err ? err : "?");
    q->get = sql_prepare(q, "SELECT v FROM kv WHERE k = ?1");
    q->put = sql_prepare(q, "INSERT INTO kv (k, v) VALUES (?1, ?2) "
                            "ON CONFLICT (k) DO UPDATE SET v = excluded.v");
    q->walk = sql_prepare(q, "SELECT k FROM kv ORDER BY k");
    q->begin = sql_prepare(q, "BEGIN");
    q->commit = sql_prepare(q, "COMMIT");
    return q;
}

static void sql_put(struct sql *q, const char *key, size_t klen, const char *val, size_t vlen)
{
    sqlite3_bind_blob(q->put, 1, key, (int)klen, SQLITE_STATIC);
    sqlite3_bind_blob(q->put, 2, val, (int)vlen, SQLITE_STATIC);
    sql_step_reset(q, q->put, "insert");
}

static void sql_load(void *h, uint64_t first, size_t n, const char *val, size_t vlen)
{
    struct sql *q = h;
    char key[SB_KEY_MAX];

    sql_step_reset(q, q->begin, "begin");
    for (size_t i = 0; i < n; i++)
        sql_put(q, key, sb_key(first + i, key), val + i * vlen, vlen);
    sql_step_reset(q, q->commit, "commit");
}

static int sql_get(void *h, const char *key, size_t klen, size_t *vlen)
{
    struct sql *q = h;
    int rc, found = 0;

    sqlite3_bind_blob(q->get, 1, key, (int)klen, SQLITE_STATIC);
    rc = sqlite3_step(q->get);
    sql_check(q, rc, SQLITE_ROW, SQLITE_DONE, "select");
    if (rc == SQLITE_ROW) {
        sqlite3_column_blob(q->get, 0);
        *vlen = (size_t)sqlite3_column_bytes(q->get, 0);
        found = 1;
    }
    sqlite3_reset(q->get);
    return found;
}

static void sql_set(void *h, const char *key, size_t klen, const char *val, size_t vlen)
{
    sql_put(h, key, klen, val, vlen);
}

static uint64_t sql_walk(void *h)
{
    struct sql *q = h;
    uint64_t n = 0;
    int rc;

    while ((rc = sqlite3_step(q->walk)) == SQLITE_ROW) {
        sqlite3_column_blob(q->walk, 0);
        n++;
    }
    sql_check(q, rc, SQLITE_DONE, SQLITE_DONE, "walk");
    sqlite3_reset(q->walk);
    return n;
}

static void sql_close(void *h)
{
    struct sql *q = h;

    sqlite3_finalize(q->get);
    sqlite3_finalize(q->put);
    sqlite3_finalize(q->walk);
    sqlite3_finalize(q->begin);
    sqlite3_finalize(q->commit);
    if (sqlite3_close(q->db) != SQLITE_OK)
        die("sqlite close: %s", sqlite3_errmsg(q->db));
    omk_free(q);
}
#endif

static char sb_omk_setup[160]; /* written once in main() */

static struct sb_engine sb_engines[SB_NENG] = {
    {"omenkv", sb_omk_setup, omk_open, omk_load, omk_get, omk_set, omk_walk, omk_close},
    {"omenkv-nocache", "the same with maxmemory 1 (value cache disabled): index + RocksDB",
     omk_open_nocache, omk_load, omk_get, omk_set, omk_walk, omk_close},
    {"rocksdb", "rocksdb_options_create() + create_if_missing, pinned gets", rdb_open, rdb_load,
     rdb_get, rdb_set, rdb_walk, rdb_close},
#ifdef OMK_BENCH_SQLITE
    {"sqlite", "WAL, synchronous=NORMAL, WITHOUT ROWID, cache_size 256 MB", sql_open, sql_load,
     sql_get, sql_set, sql_walk, sql_close},
#else
    {"sqlite", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
#endif
};

/* ---- the phases ------------------------------------------------------------------------ */

enum { PH_LOAD, PH_GET, PH_GET_ZIPF, PH_GET_HOT, PH_GET_MISS, PH_SET, PH_WALK, PH_N };
static const char *const ph_names[PH_N] = {"load", "get", "get_zipf", "get_hot", "get_miss",
                                           "set", "scan"};

/* The probes of one size, shared by every engine: key numbers per phase. */
struct sb_probes {
    uint64_t *get, *zipf, *hot, *miss, *set;
    size_t n;
};

static void probes_make(struct sb_probes *p, uint64_t keys, uint64_t ops, double theta)
{
    struct kd_rng r;
    struct kd_zipf z;
    struct kd_perm perm;
    uint64_t hot[SB_HOT];

    kd_rng_seed(&r, keys);
    if (kd_zipf_init(&z, keys, theta) != 0)
        die("bad zipfian parameters");
    kd_perm_init(&perm, keys);
    for (size_t i = 0; i < SB_HOT; i++)
        hot[i] = kd_rng_below(&r, keys);
    p->n = ops;
    p->get = omk_malloc(ops * sizeof(uint64_t));
    p->zipf = omk_malloc(ops * sizeof(uint64_t));
    p->hot = omk_malloc(ops * sizeof(uint64_t));
    p->miss = omk_malloc(ops * sizeof(uint64_t));
    p->set = omk_malloc(ops * sizeof(uint64_t));
    for (size_t i = 0; i < ops; i++) {
        p->get[i] = kd_rng_below(&r, keys);
        p->zipf[i] = kd_perm_map(&perm, kd_zipf_next(&z, &r));
        p->hot[i] = hot[kd_rng_below(&r, SB_HOT)];
        p->miss[i] = kd_rng_below(&r, keys);
        p->set[i] = kd_rng_below(&r, keys);
    }
}

static void probes_free(struct sb_probes *p)
{
    omk_free(p->get);
    omk_free(p->zipf);
    omk_free(p->hot);
    omk_free(p->miss);
    omk_free(p->set);
}

/* GET every key of 'probe'[n] ('miss': with a byte appended, so none exists). Returns the
 * nanoseconds taken; dies on a wrong answer. */
static int64_t run_gets(const struct sb_engine *e, void *h, const uint64_t *probe, size_t n,
                        size_t vlen, int miss)
{
    char key[SB_KEY_MAX];
    int64_t t0 = now_ns();

    for (size_t i = 0; i < n; i++) {
        size_t klen = sb_key(probe[i], key), got = 0;
        int found;

        if (miss)
            key[klen++] = '~';
        found = e->get(h, key, klen, &got);
        if (found == miss || (found && got != vlen))
            die("%s: GET %.*s: %s", e->name, (int)klen, key,
                found ? "wrong value length" : miss ? "found a key never written" : "not found");
    }
    return now_ns() - t0;
}

/* Results: us per op (per key for load and scan), per size, engine and phase; NAN where
 * not run. */
struct sb_table {
    double us[8][SB_NENG][PH_N];
};

static void csv_row(FILE *f, const char *engine, uint64_t keys, int ph, uint64_t n, double us)
{
    if (f)
        fprintf(f, "%s,%llu,%s,%llu,%.4f,%.0f\n", engine, (unsigned long long)keys, ph_names[ph],
                (unsigned long long)n, us, us > 0 ? 1e6 / us : 0);
}

/* Run every phase on engine 'e' at 'keys' keys in a fresh directory under o->dir. */
static void bench_engine(const struct sb_opts *o, const struct sb_engine *e, uint64_t keys,
                         const struct sb_probes *p, double *us, FILE *csv)
{
    char dir[4096];
    char *vals = omk_malloc(SB_BATCH * o->vlen + 1);
    int64_t t;
    void *h;
    uint64_t walked;

    if ((size_t)snprintf(dir, sizeof(dir), "%s/%s-%llu", o->dir, e->name,
                         (unsigned long long)keys) >= sizeof(dir))
        die("--dir is too long");
    sb_rmtree(dir);
    h = e->open(dir);

    t = now_ns();
    for (uint64_t first = 0; first < keys; first += SB_BATCH) {
        size_t n = keys - first < SB_BATCH ? (size_t)(keys - first) : SB_BATCH;

        for (size_t i = 0; i < n; i++)
            memcpy(vals + i * o->vlen, sb_pool + (first + i) * 7 % SB_POOL, o->vlen);
        e->load(h, first, n, vals, o->vlen);
    }
    us[PH_LOAD] = (double)(now_ns() - t) / 1e3 / (double)keys;
    csv_row(csv, e->name, keys, PH_LOAD, keys, us[PH_LOAD]);

    us[PH_GET] = (double)run_gets(e, h, p->get, p->n, o->vlen, 0) / 1e3 / (double)p->n;
    us[PH_GET_ZIPF] = (double)run_gets(e, h, p->zipf, p->n, o->vlen, 0) / 1e3 / (double)p->n;
    us[PH_GET_HOT] = (double)run_gets(e, h, p->hot, p->n, o->vlen, 0) / 1e3 / (double)p->n;
    us[PH_GET_MISS] = (double)run_gets(e, h, p->miss, p->n, o->vlen, 1) / 1e3 / (double)p->n;
    for (int ph = PH_GET; ph <= PH_GET_MISS; ph++)
        csv_row(csv, e->name, keys, ph, p->n, us[ph]);

    t = now_ns();
    for (size_t i = 0; i < p->n; i++) {
        char key[SB_KEY_MAX];
        size_t klen = sb_key(p->set[i], key);

        e->set(h, key, klen, sb_pool + (i * 13) % SB_POOL, o->vlen);
    }
    us[PH_SET] = (double)(now_ns() - t) / 1e3 / (double)p->n;
    csv_row(csv, e->name, keys, PH_SET, p->n, us[PH_SET]);

    t = now_ns();
    walked = e->walk(h);
    us[PH_WALK] = (double)(now_ns() - t) / 1e3 / (double)keys;
    if (walked != keys)
        die("%s: the walk met %llu keys, not %llu", e->name, (unsigned long long)walked,
            (unsigned long long)keys);
    csv_row(csv, e->name, keys, PH_WALK, keys, us[PH_WALK]);

    e->close(h);
    sb_rmtree(dir);
    omk_free(vals);
}

/* ---- arguments and main ---------------------------------------------------------------- */

/* Parse "10k,100k,1m" (k/m suffixes x1000) into o->sizes. 1, or 0 if malformed. */
static int parse_sizes(struct sb_opts *o, const char *s)
{
    o->nsizes = 0;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        unsigned long long v, mul = 1;

        if (len > 1 && (s[len - 1] == 'k' || s[len - 1] == 'K'))
            mul = 1000, len--;
        else if (len > 1 && (s[len - 1] == 'm' || s[len - 1] == 'M'))
            mul = 1000000, len--;
        if (!omk_str2ull(s, len, &v) || v == 0 || v > 1000000000ULL / mul ||
            o->nsizes == OMK_ARRAY_LEN(o->sizes))
            return 0;
        o->sizes[o->nsizes++] = v * mul;
        if (!end)
            break;
        s = end + 1;
        if (!*s)
            return 0;
    }
    return o->nsizes > 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: store-bench [--sizes N,N,...] [--full] [--quick] [--ops N] [--value-size N]\n"
            "                   [--theta T] [--engines LIST] [--dir DIR] [--csv FILE]\n"
            "  --sizes    key counts, k/m suffixes x1000 (default 10k,100k,1m)\n"
            "  --full     10k,100k,1m,10m\n"
            "  --quick    a smoke run: 10k keys, 20k probes\n"
            "  --ops      probes per point phase (default 200k)\n"
            "  --value-size  bytes per value (default 64)\n"
            "  --theta    zipfian skew of get_zipf (default 0.99)\n"
            "  --engines  among omenkv,omenkv-nocache,rocksdb,sqlite (default all built);\n"
            "             omenkv is always needed: the ratios are against it\n"
            "  --dir      where the data directories go (default $TMPDIR or /tmp)\n"
            "  --csv      append rows engine,keys,op,ops,us_per_op,ops_per_s to FILE\n"
            "Phases: load (us per key, batches of %d in key order), get (uniform), get_zipf,\n"
            "get_hot (%d keys), get_miss (absent keys between present ones), set (overwrite,\n"
            "one write each), scan (us per key over a walk of all keys).\n",
            SB_BATCH, SB_HOT);
}

static void parse_args(struct sb_opts *o, int argc, char **argv)
{
    enum { O_SIZES = 256, O_FULL, O_QUICK, O_OPS, O_VSIZE, O_THETA, O_ENGINES, O_DIR, O_CSV,
           O_HELP };
    static const struct option opts[] = {
        {"sizes", required_argument, NULL, O_SIZES}, {"full", no_argument, NULL, O_FULL},
        {"quick", no_argument, NULL, O_QUICK},       {"ops", required_argument, NULL, O_OPS},
        {"value-size", required_argument, NULL, O_VSIZE},
        {"theta", required_argument, NULL, O_THETA},
        {"engines", required_argument, NULL, O_ENGINES},
        {"dir", required_argument, NULL, O_DIR},     {"csv", required_argument, NULL, O_CSV},
        {"help", no_argument, NULL, O_HELP},         {NULL, 0, NULL, 0}};
    const char *tmp = getenv("TMPDIR");
    unsigned long long v;
    char *end;
    int c;

    *o = (struct sb_opts){.ops = 200000, .vlen = 64, .theta = 0.99, .want = {1, 1, 1, 1},
                          .dir = tmp && *tmp ? tmp : "/tmp"};
    parse_sizes(o, "10k,100k,1m");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_SIZES:
            if (!parse_sizes(o, optarg))
                usage_error("--sizes wants counts like 10k,100k,1m (1 .. 1000m), not '%s'",
                            optarg);
            break;
        case O_FULL: parse_sizes(o, "10k,100k,1m,10m"); break;
        case O_QUICK:
            parse_sizes(o, "10k");
            o->ops = 20000;
            break;
        case O_OPS:
            if (!omk_str2ull(optarg, strlen(optarg), &v) || v < 1 || v > 100000000)
                usage_error("--ops wants 1 .. 100000000, not '%s'", optarg);
            o->ops = v;
            break;
        case O_VSIZE:
            if (!omk_str2ull(optarg, strlen(optarg), &v) || v < 1 || v > 1000000)
                usage_error("--value-size wants 1 .. 1000000, not '%s'", optarg);
            o->vlen = (size_t)v;
            break;
        case O_THETA:
            errno = 0;
            o->theta = strtod(optarg, &end);
            if (end == optarg || *end || errno || !(o->theta > 0 && o->theta < 1))
                usage_error("--theta wants a number strictly between 0 and 1, not '%s'", optarg);
            break;
        case O_ENGINES: {
            const char *s = optarg;

            memset(o->want, 0, sizeof(o->want));
            while (*s) {
                size_t len = strcspn(s, ","), i = 0;

                while (i < SB_NENG && (strlen(sb_engines[i].name) != len ||
                                       strncmp(sb_engines[i].name, s, len) != 0))
                    i++;
                if (i == SB_NENG)
                    usage_error("--engines: unknown engine '%.*s' (omenkv, omenkv-nocache, "
                                "rocksdb, sqlite)", (int)len, s);
                o->want[i] = 1;
                s += len + (s[len] == ',');
            }
            break;
        }
        case O_DIR: o->dir = optarg; break;
        case O_CSV: o->csv = optarg; break;
        case O_HELP: usage(stdout); exit(0);
        case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
        default: usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (o->want[SB_NENG - 1] && !sb_engines[SB_NENG - 1].open) {
        fprintf(stderr, "store-bench: built without SQLite (libsqlite3-dev); skipping it\n");
        o->want[SB_NENG - 1] = 0;
    }
    if (!o->want[0])
        usage_error("--engines must include omenkv: the ratios are against it");
}

/* "x.xx" of a / b, or "-" when either is missing. */
static const char *ratio_str(char *buf, size_t cap, double a, double b)
{
    if (isnan(a) || isnan(b) || b <= 0)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.2fx", a / b);
    return buf;
}

/* Print the table of size index 's': us per op of each engine run, then each other
 * engine's time over omenkv's (above 1: omenkv is faster). */
static void print_size(const struct sb_opts *o, const struct sb_table *tab, size_t s)
{
    char r[32];

    printf("\n%llu keys, us per op (load, scan: per key)\n  %-14s",
           (unsigned long long)o->sizes[s], "op");
    for (int e = 0; e < SB_NENG; e++)
        if (o->want[e])
            printf(" %14s", sb_engines[e].name);
    for (int e = 1; e < SB_NENG; e++)
        if (o->want[e])
            printf(" %14s", e == 1 ? "nocache/omenkv" : e == 2 ? "rocksdb/omenkv" : "sqlite/omenkv");
    printf("\n");
    for (int ph = 0; ph < PH_N; ph++) {
        printf("  %-14s", ph_names[ph]);
        for (int e = 0; e < SB_NENG; e++)
            if (o->want[e])
                printf(" %14.3f", tab->us[s][e][ph]);
        for (int e = 1; e < SB_NENG; e++)
            if (o->want[e])
                printf(" %14s", ratio_str(r, sizeof(r), tab->us[s][e][ph], tab->us[s][0][ph]));
        printf("\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct sb_opts o;
    struct sb_table *tab = omk_malloc(sizeof(*tab));
    FILE *csv = NULL;
    struct kd_rng r;
    char base[4096], r1[32], r2[32];
    size_t last;

    parse_args(&o, argc, argv);
    for (size_t s = 0; s < OMK_ARRAY_LEN(tab->us); s++)
        for (int e = 0; e < SB_NENG; e++)
            for (int ph = 0; ph < PH_N; ph++)
                tab->us[s][e][ph] = NAN;
    sb_pool = omk_malloc(SB_POOL + o.vlen + 1);
    kd_rng_seed(&r, 12345);
    for (size_t i = 0; i < SB_POOL + o.vlen; i++)
        sb_pool[i] = (char)('a' + kd_rng_below(&r, 26));
    if ((size_t)snprintf(base, sizeof(base), "%s/store-bench-%d", o.dir, (int)getpid()) >=
        sizeof(base) - 64)
        die("--dir is too long");
    if (mkdir(base, 0700) != 0)
        die("mkdir %s: %s", base, strerror(errno));
    o.dir = base;
    if (o.csv) {
        struct stat st;

        csv = fopen(o.csv, "a");
        if (!csv)
            die("%s: %s", o.csv, strerror(errno));
        if (fstat(fileno(csv), &st) == 0 && st.st_size == 0)
            fprintf(csv, "engine,keys,op,ops,us_per_op,ops_per_s\n");
    }
    printf("store-bench: %zu-byte values, keys key:%%012d, %llu probes per point phase, "
           "zipfian theta %g, one thread\n", o.vlen, (unsigned long long)o.ops, o.theta);
    snprintf(sb_omk_setup, sizeof(sb_omk_setup),
             "store API, store_config_defaults(): value cache budget %zu MiB (maxmemory 0: "
             "%d%% of RAM)", store_cache_budget_of(0) >> 20, STORE_CACHE_DEFAULT_PCT);
    for (int e = 0; e < SB_NENG; e++)
        if (o.want[e])
            printf("  %-15s %s\n", sb_engines[e].name, sb_engines[e].setup);

    for (size_t s = 0; s < o.nsizes; s++) {
        struct sb_probes p;

        probes_make(&p, o.sizes[s], o.ops, o.theta);
        for (int e = 0; e < SB_NENG; e++)
            if (o.want[e])
                bench_engine(&o, &sb_engines[e], o.sizes[s], &p, tab->us[s][e], csv);
        probes_free(&p);
        print_size(&o, tab, s);
    }
    last = o.nsizes - 1;
    printf("\nomenkv GET speed-up at %llu keys: %s over rocksdb, %s over sqlite\n",
           (unsigned long long)o.sizes[last],
           ratio_str(r1, sizeof(r1), tab->us[last][2][PH_GET], tab->us[last][0][PH_GET]),
           ratio_str(r2, sizeof(r2), tab->us[last][3][PH_GET], tab->us[last][0][PH_GET]));
    if (csv && fclose(csv) != 0)
        die("%s: write failed", o.csv);
    sb_rmtree(base);
    omk_free(sb_pool);
    omk_free(tab);
    return 0;
}
