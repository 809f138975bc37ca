/* store.c - the store's life and whole-store operations: configuration defaults,
 * open (RocksDB, then the index rebuilt from it) and close, the log, run-time settings,
 * FLUSHDB/FLUSHALL, the per-db counters, the self-check and INFO's statistics. Keyed
 * operations are built on the operation sequence of keyspace.c (ops_string.c,
 * ops_keys.c), committed by commit.c; checkpoints are in checkpoint.c.
 * Invariant: keys[db] and expires[db] always equal what RocksDB holds for 'db'
 * (store_check() verifies it), because every write adjusts them under the same lock
 * that made the write, from the old header it read there. */
#include "config.h"

#include "store/store.h"

#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/cache.h"
#include "store/coll.h"
#include "store/elemcache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"
#include "store/zrank.h"

const char *store_strerror(int rc)
{
    switch (rc) {
    case STORE_OK: return "ok";
    case STORE_NOTFOUND: return "not found";
    case STORE_NOTSET: return "not set";
    case STORE_WRONGTYPE: return "wrong type";
    case STORE_ERR_IO: return "I/O error";
    case STORE_ERR_CORRUPT: return "corruption (read-only)";
    case STORE_ERR_CURSOR: return "invalid cursor";
    case STORE_ERR_VALUE: return "undecodable value";
    case STORE_ERR_BUSY: return "busy";
    case STORE_NOTINT: return "not an integer";
    case STORE_OVERFLOW: return "overflow";
    case STORE_NOTFLOAT: return "not a float";
    case STORE_NANINF: return "NaN or infinity";
    case STORE_TOOBIG: return "too big";
    case STORE_HLL_INVALID: return "not a HyperLogLog";
    case STORE_HLL_CORRUPT: return "corrupted HyperLogLog";
    case STORE_HLL_NOTSPARSE: return "HyperLogLog not sparse";
    default: return "unknown store code";
    }
}

void store_config_defaults(struct store_config *c)
{
    c->dir = "data";
    c->databases = 16;
    c->fsync = STORE_FSYNC_EVERYSEC;      /* Redis' default appendfsync */
    c->block_cache_bytes = (size_t)256 << 20;
    c->bloom_bits_per_key = 10;
    c->block_size = 16 * 1024;
    c->write_buffer_bytes = (size_t)8 << 20; /* smaller memtables: cheaper inserts (bench/README.md) */
    c->max_background_jobs = 2;
    c->max_open_files = -1;               /* RocksDB's default; the daemon caps it */
    c->compression = STORE_COMPRESSION_SNAPPY; /* RocksDB's default */
    c->direct_reads = 0;
    c->direct_io_background = 0;
    c->mmap_reads = 0;                    /* mapped table pages count in the RSS (README) */
    c->statistics = 0;                    /* costs CPU on every RocksDB read (README) */
    c->maxmemory = 0;                     /* the default share of RAM */
    c->cache_max_value = STORE_CACHE_MAX_VALUE_DEFAULT;
    c->wal_recovery = STORE_WAL_TAIL;     /* drop a torn tail (warned), refuse other damage */
    c->repair = 0;
    c->index_file = 0;
    c->access_policy = STORE_ACCESS_CLOCK; /* as under Redis' noeviction */
    c->lfu_log_factor = 10;               /* Redis' default */
    c->lfu_decay_time = 1;                /* Redis' default */
    c->coll.hash_max_listpack_entries = 512; /* Redis 7.0's defaults */
    c->coll.hash_max_listpack_value = 64;
    c->coll.set_max_intset_entries = 512;
    c->coll.zset_max_listpack_entries = 128;
    c->coll.zset_max_listpack_value = 64;
    c->coll.inline_max_bytes = STORE_INLINE_MAX_DEFAULT;
    c->coll.fragment_threshold = STORE_FRAG_THRESHOLD_DEFAULT;
    c->log = NULL;                        /* stderr */
    c->touched = NULL;
    c->evented = NULL;
}

const char *store_type_name(int type)
{
    switch (type) {
    case STORE_TYPE_STRING: return "string";
    case STORE_TYPE_HASH: return "hash";
    case STORE_TYPE_LIST: return "list";
    case STORE_TYPE_SET: return "set";
    case STORE_TYPE_ZSET: return "zset";
    default: return "none";
    }
}

void store_set_coll_limits(struct store *s, const struct store_coll_limits *l)
{
    atomic_store(&s->lim_hash_entries, l->hash_max_listpack_entries);
    atomic_store(&s->lim_hash_value, l->hash_max_listpack_value);
    atomic_store(&s->lim_set_entries, l->set_max_intset_entries);
    atomic_store(&s->lim_zset_entries, l->zset_max_listpack_entries);
    atomic_store(&s->lim_zset_value, l->zset_max_listpack_value);
    atomic_store(&s->lim_inline, l->inline_max_bytes);
    OMK_ASSERT(l->fragment_threshold >= STORE_FRAG_THRESHOLD_MIN &&
               l->fragment_threshold <= STORE_FRAG_THRESHOLD_MAX);
    atomic_store(&s->lim_frag, l->fragment_threshold);
}

void store_get_coll_limits(struct store *s, struct store_coll_limits *out)
{
    coll_limits(s, out);
}

size_t store_cache_budget_of(size_t maxmemory)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

    if (maxmemory != 0)
        return maxmemory;
    if (pages <= 0 || psize <= 0) /* unknown RAM: assume 1 GB */
        return ((size_t)1 << 30) / 100 * STORE_CACHE_DEFAULT_PCT;
    return (size_t)pages / 100 * STORE_CACHE_DEFAULT_PCT * (size_t)psize;
}

/* ---- Logging --------------------------------------------------------------------- */

void store_log(store_log_fn *fn, int level, const char *fmt, ...)
{
    static _Atomic int64_t next_warning_ms; /* warnings: one a second at most */
    static _Atomic uint64_t suppressed;
    char msg[1024];
    va_list ap;
    int64_t now = omk_now_ms(), next = atomic_load(&next_warning_ms);

    /* A full disk fails every write: log the first of each second, count the rest. */
    if (level == STORE_LOG_WARN) {
        if (now < next || !atomic_compare_exchange_strong(&next_warning_ms, &next, now + 1000)) {
            atomic_fetch_add(&suppressed, 1);
            return;
        }
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (level == STORE_LOG_WARN && atomic_load(&suppressed)) {
        size_t n = strlen(msg);

        snprintf(msg + n, sizeof(msg) - n, " (%llu similar lines suppressed)",
                 (unsigned long long)atomic_exchange(&suppressed, 0));
    }
    if (fn)
        fn(level != STORE_LOG_NOTICE, msg);
    else
        fprintf(stderr, "omenkv: %s\n", msg);
}

/* ---- Small helpers --------------------------------------------------------------- */

static void store_check_db(const struct store *s, int db)
{
    OMK_ASSERT(db >= 0 && db < s->databases);
}

void store_set_maxmemory(struct store *s, size_t maxmemory)
{
    /* As a reader of 'excl', like every call that evicts: store_flush() cannot run
     * while the eviction callbacks reach into the index. */
    store_rdlock(s);
    cache_set_budget(s->cache, store_cache_budget_of(maxmemory));
    store_rdunlock(s);
}

void store_set_cache_max_value(struct store *s, size_t bytes)
{
    atomic_store(&s->cache_max_value, bytes < CACHE_MAX_LEN ? bytes : CACHE_MAX_LEN);
}

void store_set_fsync(struct store *s, enum store_fsync f)
{
    enum store_fsync old = atomic_exchange(&s->fsync, (int)f);

    /* Writes acknowledged under the old policy become durable now, as 'always' says. */
    if (f == STORE_FSYNC_ALWAYS && old != STORE_FSYNC_ALWAYS)
        store_sync_wal(s);
}

/* ---- Open and close ---------------------------------------------------------------- */

int store_open(const struct store_config *c, struct store **out, char *err, size_t errlen)
{
    struct store *s;
    uint64_t ck[256] = { 0 }, ce[256] = { 0 };
    int64_t t0;
    int rc;

    OMK_ASSERT(c->databases >= 1 && c->databases <= 256);
    if (posix_memalign((void **)&s, STORE_LINE, sizeof(*s)) != 0) /* 'excl' lanes: one line each */
        omk_oom(sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->ids = coll_ids_new(); /* before RocksDB opens: its element filter asks it */
    s->zranks = zrank_reg_new(STORE_ZRANK_BUDGET);
    s->zends = zset_ends_new();
    store_set_coll_limits(s, &c->coll);
    rc = rocks_open(c, coll_ids_live, s, &s->rocks, err, errlen);
    if (rc != STORE_OK) {
        coll_ids_free(s->ids);
        zrank_reg_free(s->zranks);
        zset_ends_free(s->zends);
        omk_free(s);
        return rc;
    }
    s->databases = c->databases;
    s->log = c->log;
    s->touched = c->touched;
    s->evented = c->evented;
    atomic_init(&s->fsync, (int)c->fsync);
    atomic_init(&s->access_lfu, c->access_policy == STORE_ACCESS_LFU);
    atomic_init(&s->access_keep, c->access_policy != STORE_ACCESS_CLOCK);
    atomic_init(&s->lfu_log_factor, c->lfu_log_factor);
    atomic_init(&s->lfu_decay_time, c->lfu_decay_time);
    atomic_init(&s->access_shift_ms, 0);

    t0 = omk_mono_us();
    s->dir = omk_memdup(c->dir, strlen(c->dir) + 1);
    s->index_file = c->index_file;
    s->index_file_use = c->index_file && !c->repair && c->wal_recovery != STORE_WAL_SKIP_ANY;
    s->ix = idx_shards_new(0, NULL);
    rc = store_index_load(s, ck, ce, err, errlen);
    if (rc == STORE_OK) /* which db byte holds which database (SWAPDB: dbmap.c) */
        rc = store_dbmap_load(s, ck, err, errlen);
    if (rc != STORE_OK) {
        idx_shards_free(s->ix, NULL);
        rocks_close(s->rocks);
        coll_ids_free(s->ids);
        zrank_reg_free(s->zranks);
        zset_ends_free(s->zends);
        omk_free(s->ixf_known);
        omk_free(s->dir);
        omk_free(s);
        return rc;
    }
    rocks_compactions_start(s->rocks); /* off during the load (rocks_open) */
    s->keys = omk_calloc(256, sizeof(*s->keys)); /* by db byte, which SWAPDB permutes */
    s->expires = omk_calloc(256, sizeof(*s->expires));
    for (int d = 0; d < 256; d++) {
        atomic_init(&s->keys[d], ck[d]);
        atomic_init(&s->expires[d], ce[d]);
    }
    s->open_ms = (omk_mono_us() - t0) / 1000;
    atomic_init(&s->last_save_ms, omk_now_ms());
    atomic_init(&s->last_save_ok, 1);
    omk_mutex_init(&s->bgsave_mu);
    omk_mutex_init(&s->readers_mu);

    for (int l = 0; l < STORE_LANES; l++)
        omk_rwlock_init_wrpref(&s->excl[l].lock);
    for (int i = 0; i < STORE_STRIPES; i++)
        omk_mutex_init(&s->stripe[i]);

    s->scans = scan_table_new();
    s->cache = cache_new(store_cache_budget_of(c->maxmemory), store_cache_detach, s);
    s->ecache = ecache_new();
    atomic_init(&s->cache_max_value, c->cache_max_value < CACHE_MAX_LEN ? c->cache_max_value
                                                                       : CACHE_MAX_LEN);
    atomic_init(&s->tickets, 0);

    store_syncer_start(s);
    store_reclaim_start(s);

    *out = s;
    return STORE_OK;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store_expire_stop(s);
    store_bgsave_join(s); /* a background save finishes before the store goes */
    pthread_mutex_destroy(&s->bgsave_mu);
    store_syncer_stop(s);
    store_reclaim_stop(s); /* a compaction in progress finishes first */
    /* An error is logged and counted; closing goes on, without the index file. */
    if (store_sync_wal(s) == STORE_OK && s->index_file)
        store_index_file_write(s);

    store_readers_drop(s); /* before RocksDB closes (the daemon closed its clients) */
    pthread_mutex_destroy(&s->readers_mu);
    scan_table_free(s->scans);
    idx_shards_free(s->ix, NULL);
    cache_free(s->cache); /* after the entries that pointed at its items */
    ecache_free(s->ecache); /* after the cache: its items are gone */
    rocks_close(s->rocks);
    coll_ids_free(s->ids); /* after RocksDB: its compactions ask it */
    zrank_reg_free(s->zranks);
    zset_ends_free(s->zends);
    for (int i = 0; i < STORE_STRIPES; i++)
        pthread_mutex_destroy(&s->stripe[i]);
    for (int l = 0; l < STORE_LANES; l++)
        pthread_rwlock_destroy(&s->excl[l].lock);
    omk_free(s->keys);
    omk_free(s->expires);
    omk_free(s->ixf_known);
    omk_free(s->dir);
    omk_free(s);
}

/* ---- Whole databases --------------------------------------------------------------- */

/* Add to 'b' the deletion of every key of database 'db'. A db below 255 is the range
 * [db, db+1). Keys of db 255 have no upper bound of that form, so its range runs from
 * 0xff to its last key, which is deleted on its own. Caller holds 'excl' as writer
 * (no write can land between the walk and the batch). STORE_OK or an I/O error. */
static int store_batch_clear_db(struct store *s, struct rocks_batch *b, int db)
{
    char lo = (char)(unsigned char)db, hi = (char)(unsigned char)(db + 1);
    struct rocks_iter *it;
    int rc = STORE_OK;

    if (db < 255) {
        rocks_batch_delete_range(b, &lo, 1, &hi, 1);
        return STORE_OK;
    }
    it = rocks_iter_new(s->rocks, NULL, 0, 0);
    rocks_iter_seek_to_last(it);
    if (rocks_iter_valid(it)) {
        size_t klen;
        const char *k = rocks_iter_key(it, &klen);

        if (klen > 0 && (unsigned char)k[0] == 0xff) {
            rocks_batch_delete_range(b, &lo, 1, k, klen);
            rocks_batch_delete(b, k, klen);
        }
    } else {
        rc = rocks_iter_status(it);
    }
    rocks_iter_free(it);
    return rc;
}

int store_flush(struct store *s, int ldb)
{
    int lo = ldb < 0 ? 0 : ldb, hi = ldb < 0 ? s->databases - 1 : ldb, db;
    struct rocks_batch *b = rocks_batch_new();
    int rc = STORE_OK, any = 0;

    OMK_ASSERT(ldb == -1 || (ldb >= 0 && ldb < s->databases));
    store_wrlock(s);
    /* Logical databases lo..hi, each through the map to its db byte 'd' (dbmap.c). */
    db = ldb < 0 ? -1 : store_db_phys(s, ldb);
    for (int l = lo; l <= hi && rc == STORE_OK; l++) {
        int d = store_db_phys(s, l);

        if (atomic_load(&s->keys[d]) == 0) /* exact: no tombstone for an empty db */
            continue;
        rc = store_batch_clear_db(s, b, d);
        any = 1;
    }
    if (rc == STORE_OK && any)
        rc = store_log_append_now(s, b);
    if (rc == STORE_OK && any) {
        store_touched(s, db, NULL, 0, -1);
        /* Every cached value goes (those of other databases too: simpler, and a flush
         * is rare), unpublished from its entry before any entry is freed. */
        cache_clear(s->cache);
        if (db < 0) { /* every collection id is dead: the element filter drops them */
            int split = coll_ids_count(s) > 0;

            idx_shards_clear(s->ix, NULL);
            coll_ids_reset(s);
            coll_ids_loaded(s);
            if (split)
                store_reclaim_note(s, 0, 0);
        }
        for (int l = lo; l <= hi; l++) {
            int d = store_db_phys(s, l);

            if (db >= 0 && atomic_load(&s->keys[d]) != 0)
                store_index_clear_db(s, d);
            atomic_store(&s->keys[d], 0);
            atomic_store(&s->expires[d], 0);
        }
        rc = store_log_settle(s);
    }
    if (rc == STORE_OK) /* iterations of emptied databases name nothing: free them */
        scan_table_flush(s->scans, ldb);
    store_wrunlock(s);
    rocks_batch_free(b);
    return rc;
}

void store_compact(struct store *s)
{
    rocks_compact_all(s->rocks);
}

uint64_t store_dbsize(struct store *s, int db)
{
    store_check_db(s, db);
    return atomic_load(&s->keys[store_db_phys(s, db)]);
}

uint64_t store_db_expires(struct store *s, int db)
{
    store_check_db(s, db);
    return atomic_load(&s->expires[store_db_phys(s, db)]);
}

int store_check(struct store *s, char *err, size_t errlen)
{
    uint64_t ck[256] = { 0 }, ce[256] = { 0 }, bad = 0;
    int rc;

    store_wrlock(s);
    rc = store_index_check(s, ck, ce, &bad, err, errlen);
    if (rc == STORE_OK)
        rc = store_coll_check(s, err, errlen);
    if (rc == STORE_OK)
        rc = store_cache_check(s, err, errlen);
    if (rc == STORE_OK && bad) {
        snprintf(err, errlen, "%llu values do not decode", (unsigned long long)bad);
        rc = STORE_ERR_VALUE;
    }
    for (int l = 0; l < 256 && rc == STORE_OK; l++) { /* logical dbs, counted by db byte */
        int d = store_db_phys(s, l);
        uint64_t k = l < s->databases ? atomic_load(&s->keys[d]) : 0;
        uint64_t e = l < s->databases ? atomic_load(&s->expires[d]) : 0;

        if (ck[d] != k || ce[d] != e) {
            snprintf(err, errlen, "db %d: counters say %llu keys, %llu with expiry; RocksDB "
                     "holds %llu, %llu", l, (unsigned long long)k, (unsigned long long)e,
                     (unsigned long long)ck[d], (unsigned long long)ce[d]);
            rc = STORE_ERR_VALUE;
        }
    }
    store_wrunlock(s);
    return rc;
}

int store_reload(struct store *s, char *err, size_t errlen)
{
    uint64_t keys[256] = { 0 }, exps[256] = { 0 };
    int rc;

    store_wrlock(s);
    rc = store_index_reload(s, keys, exps, err, errlen);
    if (rc == STORE_OK) {
        for (int d = 0; d < s->databases; d++) {
            atomic_store(&s->keys[d], keys[d]);
            atomic_store(&s->expires[d], exps[d]);
        }
        store_touched(s, -1, NULL, 0, -1); /* as a flush and load: WATCH sees a change */
    }
    store_wrunlock(s);
    return rc;
}

/* ---- Statistics ---------------------------------------------------------------------- */

void store_stats_get(struct store *s, struct store_stats *out)
{
    struct rocks_stats rs;
    struct idx_stats is;
    struct cache_stats cs;

    rocks_stats_get(s->rocks, &rs);
    out->rocks_reads = rs.reads;
    idx_shards_stats(s->ix, &is);
    out->index_keys = is.keys;
    out->index_bytes = is.index_bytes;
    out->entry_bytes = is.entry_bytes;
    out->entry_arena_bytes = idx_entry_arena_bytes();
    out->index_depth = (unsigned)is.depth;
    out->rocks_writes = rs.writes;
    out->io_errors = rs.io_errors;
    out->read_only = rs.read_only;
    out->write_failed = rs.write_failed;
    out->writes_refused = rs.refusing;
    out->refused_since_ms = rs.refused_ms;
    out->resumes = rs.resumes;
    out->expired_keys = atomic_load(&s->expired_keys);
    store_reclaim_stats(s, &out->reclaims, &out->reclaim_last_ms);
    out->coll_live_ids = coll_ids_count(s);
    out->elem_bytes = rocks_cf_bytes(s->rocks, ROCKS_CF_ELEMS);
    out->wal_syncs = atomic_load(&s->wal_syncs);
    out->last_sync_ms = atomic_load(&s->last_sync_ms);
    out->open_ms = s->open_ms;
    cache_stats_get(s->cache, &cs);
    out->cache_used_bytes = cs.used_bytes;
    out->cache_maxmemory = cs.budget;
    out->cache_items = cs.items;
    out->cache_elements = ecache_count(s->ecache);
    out->cache_hits = cs.hits;
    out->cache_misses = cs.misses;
    out->cache_evictions = cs.evictions;
    out->cache_max_value = atomic_load(&s->cache_max_value);
    out->scan_cursor_bytes = scan_table_bytes(s->scans);
    {
        struct zrank_reg_stats zs;

        zrank_reg_stats_get(s->zranks, &zs);
        out->zrank_bytes = zrank_reg_bytes(s->zranks);
        out->zrank_sets = zs.held;
    }
}

uint64_t store_disk_bytes(struct store *s)
{
    return rocks_disk_bytes(s->rocks);
}

void store_rocks_stats_get(struct store *s, struct store_rocks_stats *out)
{
    rocks_counters_get(s->rocks, out);
}

void store_test_zrank(struct store *s, uint64_t min_count, uint32_t block)
{
    s->zrank_min = min_count;
    s->zrank_block = block;
}

void store_test_fail_next(struct store *s, enum rocks_op op, int rc)
{
    if (op == ROCKS_OP_GET) {
        store_rdlock(s); /* evicting needs 'excl', as in store_set_maxmemory() */
        cache_clear(s->cache);
        store_rdunlock(s);
    }
    rocks_test_fail_next(s->rocks, op, rc);
}
