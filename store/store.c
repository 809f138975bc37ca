/* store.c - the keyspace over RocksDB: point reads and writes, expiry, the per-db
 * counters and the WAL sync policy (scan.c has SCAN and KEYS). Every call is atomic
 * for the keys it names: read-modify-writes hold the key's stripe mutex across their
 * RocksDB read and write, and store_flush() runs alone (locks: store_internal.h).
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
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"

const char *store_strerror(int rc)
{
    switch (rc) {
    case STORE_OK: return "ok";
    case STORE_NOTFOUND: return "not found";
    case STORE_NOTSET: return "not set";
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
    c->write_buffer_bytes = (size_t)64 << 20;
    c->max_background_jobs = 2;
    c->maxmemory = 0;                     /* the default share of RAM */
    c->cache_max_value = STORE_CACHE_MAX_VALUE_DEFAULT;
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

/* ---- Counters -------------------------------------------------------------------- */

/* ---- Logging --------------------------------------------------------------------- */

static store_log_fn *store_logger; /* set once at start-up, before any store exists */

void store_set_logger(store_log_fn *fn)
{
    store_logger = fn;
}

void store_log(int warning, const char *fmt, ...)
{
    static _Atomic int64_t next_warning_ms; /* warnings: one a second at most */
    static _Atomic uint64_t suppressed;
    char msg[1024];
    va_list ap;
    int64_t now = omk_now_ms(), next = atomic_load(&next_warning_ms);

    /* A full disk fails every write: log the first of each second, count the rest. */
    if (warning) {
        if (now < next || !atomic_compare_exchange_strong(&next_warning_ms, &next, now + 1000)) {
            atomic_fetch_add(&suppressed, 1);
            return;
        }
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (warning && atomic_load(&suppressed)) {
        size_t n = strlen(msg);

        snprintf(msg + n, sizeof(msg) - n, " (%llu similar lines suppressed)",
                 (unsigned long long)atomic_exchange(&suppressed, 0));
    }
    if (store_logger)
        store_logger(warning, msg);
    else
        fprintf(stderr, "omenkv: %s\n", msg);
}

/* ---- Small helpers --------------------------------------------------------------- */

static void store_check_db(const struct store *s, int db)
{
    OMK_ASSERT(db >= 0 && db < s->databases);
}

int store_sync_writes(struct store *s)
{
    return atomic_load(&s->fsync) == STORE_FSYNC_ALWAYS;
}

/* Wrap the stored value 'buf'/'n' (header included; from rocks_get, whose ownership
 * this takes) as a store_val. The header must have decoded. */
struct store_val *store_val_wrap(char *buf, size_t n, int64_t expire_ms)
{
    struct store_val *v = omk_malloc(sizeof(*v));

    OMK_ASSERT(n >= FMT_HDR_LEN);
    v->data = buf + FMT_HDR_LEN;
    v->len = n - FMT_HDR_LEN;
    v->expire_ms = expire_ms;
    v->priv_ = buf;
    v->cached_ = 0;
    return v;
}

struct store_val *store_val_of_item(struct cache_item *it)
{
    struct store_val *v = omk_malloc(sizeof(*v));

    v->data = it->data;
    v->len = it->len;
    v->expire_ms = it->expire_ms;
    v->priv_ = it;
    v->cached_ = 1;
    return v;
}

void store_val_release(struct store_val *v)
{
    if (!v)
        return;
    if (v->cached_)
        cache_unpin(v->priv_);
    else
        rocks_free(v->priv_);
    omk_free(v);
}

void store_val_release_cb(const void *data, size_t datalen, void *extra)
{
    OMK_UNUSED(data);
    OMK_UNUSED(datalen);
    store_val_release(extra);
}

/* Sync the WAL now and record it (wal_syncs, last_sync_ms). STORE_OK or an error. */
static int store_sync_wal(struct store *s)
{
    int rc = rocks_flush_wal(s->rocks, 1);

    if (rc == STORE_OK) {
        atomic_fetch_add(&s->wal_syncs, 1);
        atomic_store(&s->last_sync_ms, omk_now_ms());
    }
    return rc;
}

/* ---- The everysec thread ----------------------------------------------------------- */

/* Once a second, while appendfsync is everysec and something was written since the
 * last sync, sync the WAL. Exits when store_close() sets 'sync_stop'. Holds no store
 * lock while syncing: RocksDB orders the sync with concurrent writes itself. */
static void *store_syncer_main(void *arg)
{
    struct store *s = arg;
    struct timespec t;

    omk_mutex_lock(&s->sync_mu);
    while (!s->sync_stop) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_sec += 1;
        while (!s->sync_stop && pthread_cond_timedwait(&s->sync_cv, &s->sync_mu, &t) != ETIMEDOUT)
            ;
        if (s->sync_stop)
            break;
        omk_mutex_unlock(&s->sync_mu);
        if (atomic_load(&s->fsync) == STORE_FSYNC_EVERYSEC) {
            struct rocks_stats rs;

            rocks_stats_get(s->rocks, &rs);
            if (rs.writes != s->synced_writes && store_sync_wal(s) == STORE_OK)
                s->synced_writes = rs.writes;
        }
        omk_mutex_lock(&s->sync_mu);
    }
    omk_mutex_unlock(&s->sync_mu);
    return NULL;
}

void store_set_maxmemory(struct store *s, size_t maxmemory)
{
    /* As a reader of 'excl', like every call that evicts: store_flush() cannot run
     * while the eviction callbacks reach into the index. */
    store_rdlock(s);
    cache_set_budget(s->cache, store_cache_budget_of(maxmemory));
    store_unlock(s);
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
    s = omk_calloc(1, sizeof(*s));
    rc = rocks_open(c, &s->rocks, err, errlen);
    if (rc != STORE_OK) {
        omk_free(s);
        return rc;
    }
    s->databases = c->databases;
    atomic_init(&s->fsync, (int)c->fsync);

    t0 = omk_mono_us();
    s->ix = idx_shards_new(0, NULL);
    rc = store_index_load(s, ck, ce, err, errlen);
    if (rc == STORE_OK) {
        for (int d = s->databases; d < 256; d++) {
            if (ck[d]) {
                snprintf(err, errlen, "'%s' holds keys of database %d but only %d are "
                         "configured", c->dir, d, s->databases);
                rc = STORE_ERR_VALUE;
                break;
            }
        }
    }
    if (rc != STORE_OK) {
        idx_shards_free(s->ix, NULL);
        rocks_close(s->rocks);
        omk_free(s);
        return rc;
    }
    s->keys = omk_calloc((size_t)s->databases, sizeof(*s->keys));
    s->expires = omk_calloc((size_t)s->databases, sizeof(*s->expires));
    for (int d = 0; d < s->databases; d++) {
        atomic_init(&s->keys[d], ck[d]);
        atomic_init(&s->expires[d], ce[d]);
    }
    s->open_ms = (omk_mono_us() - t0) / 1000;
    s->dir = omk_memdup(c->dir, strlen(c->dir));
    atomic_init(&s->last_save_ms, omk_now_ms());
    atomic_init(&s->last_save_ok, 1);
    omk_mutex_init(&s->bgsave_mu);

    omk_rwlock_init_wrpref(&s->excl);
    for (int i = 0; i < STORE_STRIPES; i++)
        omk_mutex_init(&s->stripe[i]);

    s->scans = scan_table_new();
    s->cache = cache_new(store_cache_budget_of(c->maxmemory), store_cache_detach, s);
    atomic_init(&s->cache_max_value, c->cache_max_value < CACHE_MAX_LEN ? c->cache_max_value
                                                                       : CACHE_MAX_LEN);
    atomic_init(&s->tickets, 0);

    omk_mutex_init(&s->sync_mu);
    omk_cond_init_mono(&s->sync_cv);
    omk_thread_create(&s->syncer, store_syncer_main, s);

    *out = s;
    return STORE_OK;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store_expire_stop(s);
    omk_mutex_lock(&s->bgsave_mu);
    if (s->bgsave_started) /* a background save finishes before the store goes */
        omk_thread_join(s->bgsave);
    s->bgsave_started = 0;
    omk_mutex_unlock(&s->bgsave_mu);
    pthread_mutex_destroy(&s->bgsave_mu);
    omk_mutex_lock(&s->sync_mu);
    s->sync_stop = 1;
    omk_cond_signal(&s->sync_cv);
    omk_mutex_unlock(&s->sync_mu);
    omk_thread_join(s->syncer);
    store_sync_wal(s); /* an error is logged and counted; closing goes on */

    scan_table_free(s->scans);
    idx_shards_free(s->ix, NULL);
    cache_free(s->cache); /* after the entries that pointed at its items */
    rocks_close(s->rocks);
    pthread_cond_destroy(&s->sync_cv);
    pthread_mutex_destroy(&s->sync_mu);
    for (int i = 0; i < STORE_STRIPES; i++)
        pthread_mutex_destroy(&s->stripe[i]);
    pthread_rwlock_destroy(&s->excl);
    omk_free(s->keys);
    omk_free(s->expires);
    omk_free(s->dir);
    omk_free(s);
}

/* ---- Point operations ---------------------------------------------------------------- */

/* Lazy expiry: delete RocksDB key 'k' of 'db' if it is still expired once its stripe is
 * held (a writer may have replaced it since the caller looked). Caller holds no lock.
 * A failed delete is logged by rocks/; the key stays absent to readers anyway, since
 * its time has passed. */
static void store_expire_key(struct store *s, int db, const struct fmt_key *k)
{
    struct store_keylock l;
    struct key_state st;

    store_keylock(s, &l, &k, 1);
    if (store_lookup(s, k, omk_now_ms(), &st, NULL, NULL) == STORE_OK && st.exists && !st.live) {
        struct store_ws w;

        store_ws_init(&w);
        store_ws_del(&w, db, k, &st);
        store_ws_commit(s, &w);
        store_ws_deinit(&w);
    }
    store_keyunlock(s, &l);
}

/* The value of a key found live: the cached item '*it' without a copy when there is
 * one, else RocksDB's buffer '*buf'/'n'. Takes over whichever it uses (NULLs it). */
static struct store_val *store_val_take(struct cache_item **it, char **buf, size_t n,
                                        int64_t expire_ms)
{
    struct store_val *v;

    if (*it) {
        v = store_val_of_item(*it);
        *it = NULL;
    } else {
        v = store_val_wrap(*buf, n, expire_ms);
        *buf = NULL;
    }
    return v;
}

int store_get(struct store *s, int db, struct omk_slice key, struct store_val **out)
{
    struct cache_item *it = NULL;
    struct fmt_key k;
    struct key_state st;
    char *buf = NULL;
    size_t n = 0;
    int rc;

    store_check_db(s, db);
    fmt_key_init(&k, db, key.p, key.len);
    store_rdlock(s);
    rc = store_lookup_cached(s, &k, omk_now_ms(), &st, &it, &buf, &n);
    store_unlock(s);
    if (rc == STORE_OK) {
        if (!st.exists) {
            rc = STORE_NOTFOUND;
        } else if (st.bad) {
            rc = STORE_ERR_VALUE;
        } else if (!st.live) {
            store_expire_key(s, db, &k);
            rc = STORE_NOTFOUND;
        } else {
            *out = store_val_take(&it, &buf, n, st.expire_ms);
        }
    }
    cache_unpin(it);
    rocks_free(buf);
    fmt_key_deinit(&k);
    return rc;
}

int store_exists(struct store *s, int db, struct omk_slice key)
{
    struct fmt_key k;
    struct key_state st;
    int rc;

    store_check_db(s, db);
    fmt_key_init(&k, db, key.p, key.len);
    store_rdlock(s);
    rc = store_lookup(s, &k, omk_now_ms(), &st, NULL, NULL);
    store_unlock(s);
    if (rc == STORE_OK && !st.exists) {
        rc = STORE_NOTFOUND;
    } else if (rc == STORE_OK && !st.live) {
        store_expire_key(s, db, &k);
        rc = STORE_NOTFOUND;
    }
    fmt_key_deinit(&k);
    return rc;
}

int store_set(struct store *s, int db, struct omk_slice key, struct omk_slice val, int flags,
              int64_t expire_ms, struct store_val **old)
{
    int want_old = (flags & STORE_SET_GET) != 0;
    int64_t now = omk_now_ms(), new_exp;
    const struct fmt_key *kp;
    struct cache_item *oit = NULL;
    struct store_keylock l;
    struct key_state st;
    struct store_ws w;
    struct fmt_key k;
    char *obuf = NULL;
    size_t on = 0;
    int rc;

    store_check_db(s, db);
    OMK_ASSERT(!want_old || old);
    fmt_key_init(&k, db, key.p, key.len);
    kp = &k;
    store_ws_init(&w);
    store_keylock(s, &l, &kp, 1);

    if (want_old) /* the old value, pinned in the cache or read: no copy */
        rc = store_lookup_cached(s, &k, now, &st, &oit, &obuf, &on);
    else
        rc = store_lookup(s, &k, now, &st, NULL, NULL);
    if (rc < 0)
        goto out;
    if (want_old && st.bad) { /* the old value cannot be returned: change nothing */
        rc = STORE_ERR_VALUE;
        goto out;
    }
    if (((flags & STORE_SET_NX) && st.live) || ((flags & STORE_SET_XX) && !st.live)) {
        rc = STORE_NOTSET;
        goto out;
    }
    new_exp = (flags & STORE_SET_KEEPTTL) ? (st.live ? st.expire_ms : 0) : expire_ms;
    if (new_exp != 0 && new_exp <= now) /* a time already past: the key ends up absent */
        store_ws_del(&w, db, &k, &st);
    else
        store_ws_put(&w, db, &k, &st, val.p, val.len, new_exp);
    rc = store_ws_commit(s, &w);

out:
    if (rc >= 0 && want_old) {
        *old = NULL;
        if (st.exists && st.live)
            *old = store_val_take(&oit, &obuf, on, st.expire_ms);
    }
    store_keyunlock(s, &l);
    store_ws_deinit(&w);
    cache_unpin(oit);
    rocks_free(obuf);
    fmt_key_deinit(&k);
    return rc;
}

int store_del(struct store *s, int db, struct omk_slice key)
{
    const struct fmt_key *kp;
    struct store_keylock l;
    struct key_state st;
    struct store_ws w;
    struct fmt_key k;
    int rc;

    store_check_db(s, db);
    fmt_key_init(&k, db, key.p, key.len);
    kp = &k;
    store_ws_init(&w);
    store_keylock(s, &l, &kp, 1);
    rc = store_lookup(s, &k, omk_now_ms(), &st, NULL, NULL);
    if (rc == STORE_OK) {
        store_ws_del(&w, db, &k, &st);
        rc = store_ws_commit(s, &w);
        /* An expired key was already gone for readers: DEL reports 0, as Redis. */
        if (rc == STORE_OK && !st.live)
            rc = STORE_NOTFOUND;
    }
    store_keyunlock(s, &l);
    store_ws_deinit(&w);
    fmt_key_deinit(&k);
    return rc;
}

/* One distinct key of an MSET. */
struct mset_item {
    struct omk_slice key;
    size_t pair;      /* index of the pair that wins (the last one naming the key) */
};

/* qsort: by key bytes, then by pair index (so the last of equal keys comes last). */
static int mset_cmp_key(const void *a, const void *b)
{
    const struct mset_item *x = a, *y = b;
    int c = fmt_bytes_cmp(x->key.p, x->key.len, y->key.p, y->key.len);

    if (c)
        return c;
    return x->pair < y->pair ? -1 : x->pair > y->pair;
}

/* MSET ('nx' 0) and MSETNX ('nx' 1): write the pairs in one batch under all their
 * stripes; with 'nx', only if none of the keys is live (else STORE_NOTSET). */
static int store_mset_generic(struct store *s, int db, const struct omk_slice *kv, size_t npairs,
                              int nx)
{
    struct mset_item *it;
    struct fmt_key *keys;
    const struct fmt_key **kps;
    struct key_state *sts;
    struct store_keylock l;
    struct store_ws w;
    size_t n = 0;
    int64_t now = omk_now_ms();
    int rc = STORE_OK;

    store_check_db(s, db);
    if (npairs == 0)
        return STORE_OK;
    /* Keep one item per distinct key, the last pair naming it (Redis: last wins). */
    it = omk_malloc(npairs * sizeof(*it));
    for (size_t i = 0; i < npairs; i++) {
        it[i].key = kv[2 * i];
        it[i].pair = i;
    }
    qsort(it, npairs, sizeof(*it), mset_cmp_key);
    for (size_t i = 0; i < npairs; i++) {
        if (i + 1 < npairs && fmt_bytes_cmp(it[i].key.p, it[i].key.len, it[i + 1].key.p,
                                            it[i + 1].key.len) == 0)
            continue;
        it[n++] = it[i];
    }
    keys = omk_malloc(n * sizeof(*keys));
    kps = omk_malloc(n * sizeof(*kps));
    for (size_t i = 0; i < n; i++) {
        fmt_key_init(&keys[i], db, it[i].key.p, it[i].key.len);
        kps[i] = &keys[i];
    }
    sts = omk_malloc(n * sizeof(*sts));
    store_ws_init(&w);
    store_keylock(s, &l, kps, n);
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        rc = store_lookup(s, &keys[i], now, &sts[i], NULL, NULL);
        if (rc == STORE_OK && nx && sts[i].live)
            rc = STORE_NOTSET;
    }
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        const struct omk_slice *v = &kv[2 * it[i].pair + 1];

        store_ws_put(&w, db, &keys[i], &sts[i], v->p, v->len, 0);
    }
    if (rc == STORE_OK)
        rc = store_ws_commit(s, &w);
    store_keyunlock(s, &l);
    store_ws_deinit(&w);
    for (size_t i = 0; i < n; i++)
        fmt_key_deinit(&keys[i]);
    omk_free(sts);
    omk_free(kps);
    omk_free(keys);
    omk_free(it);
    return rc;
}

int store_mset(struct store *s, int db, const struct omk_slice *kv, size_t npairs)
{
    return store_mset_generic(s, db, kv, npairs, 0);
}

int store_msetnx(struct store *s, int db, const struct omk_slice *kv, size_t npairs)
{
    return store_mset_generic(s, db, kv, npairs, 1);
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

int store_flush(struct store *s, int db)
{
    int lo = db < 0 ? 0 : db, hi = db < 0 ? s->databases - 1 : db;
    struct rocks_batch *b = rocks_batch_new();
    int rc = STORE_OK, any = 0;

    OMK_ASSERT(db == -1 || (db >= 0 && db < s->databases));
    omk_rwlock_wrlock(&s->excl);
    for (int d = lo; d <= hi && rc == STORE_OK; d++) {
        if (atomic_load(&s->keys[d]) == 0) /* exact: no tombstone for an empty db */
            continue;
        rc = store_batch_clear_db(s, b, d);
        any = 1;
    }
    if (rc == STORE_OK && any)
        rc = rocks_write(s->rocks, b, store_sync_writes(s));
    if (rc == STORE_OK) {
        store_touched(db, NULL, 0);
        /* Every cached value goes (those of other databases too: simpler, and a flush
         * is rare), unpublished from its entry before any entry is freed. */
        cache_clear(s->cache);
        if (db < 0)
            idx_shards_clear(s->ix, NULL);
        for (int d = lo; d <= hi; d++) {
            if (db >= 0 && atomic_load(&s->keys[d]) != 0)
                store_index_clear_db(s, d);
            atomic_store(&s->keys[d], 0);
            atomic_store(&s->expires[d], 0);
        }
    }
    store_unlock(s);
    rocks_batch_free(b);
    return rc;
}

uint64_t store_dbsize(struct store *s, int db)
{
    store_check_db(s, db);
    return atomic_load(&s->keys[db]);
}

uint64_t store_db_expires(struct store *s, int db)
{
    store_check_db(s, db);
    return atomic_load(&s->expires[db]);
}

int store_check(struct store *s, char *err, size_t errlen)
{
    uint64_t ck[256] = { 0 }, ce[256] = { 0 }, bad = 0;
    int rc;

    omk_rwlock_wrlock(&s->excl);
    rc = store_index_check(s, ck, ce, &bad, err, errlen);
    if (rc == STORE_OK)
        rc = store_cache_check(s, err, errlen);
    if (rc == STORE_OK && bad) {
        snprintf(err, errlen, "%llu values do not decode", (unsigned long long)bad);
        rc = STORE_ERR_VALUE;
    }
    for (int d = 0; d < 256 && rc == STORE_OK; d++) {
        uint64_t k = d < s->databases ? atomic_load(&s->keys[d]) : 0;
        uint64_t e = d < s->databases ? atomic_load(&s->expires[d]) : 0;

        if (ck[d] != k || ce[d] != e) {
            snprintf(err, errlen, "db %d: counters say %llu keys, %llu with expiry; RocksDB "
                     "holds %llu, %llu", d, (unsigned long long)k, (unsigned long long)e,
                     (unsigned long long)ck[d], (unsigned long long)ce[d]);
            rc = STORE_ERR_VALUE;
        }
    }
    store_unlock(s);
    return rc;
}

/* ---- Checkpoints --------------------------------------------------------------------- */

/* nftw callback of store_rmtree: remove one file or (emptied) directory. */
static int store_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    OMK_UNUSED(sb);
    OMK_UNUSED(ftw);
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remove 'path' and everything under it; a missing path is fine. 0 or -1 (errno). */
static int store_rmtree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, store_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The checkpoint itself; the caller set 'saving' to 1, and this clears it. */
static int store_save_now(struct store *s, char *path, size_t pathlen)
{
    char tmp[4096];
    int rc;

    snprintf(path, pathlen, "%s/checkpoint", s->dir);
    snprintf(tmp, sizeof(tmp), "%s/checkpoint.tmp", s->dir);
    if (store_rmtree(tmp) != 0) {
        store_log(1, "Cannot remove the old '%s': %s", tmp, strerror(errno));
        rc = STORE_ERR_IO;
    } else {
        rc = rocks_checkpoint(s->rocks, tmp);
    }
    if (rc == STORE_OK && (store_rmtree(path) != 0 || rename(tmp, path) != 0)) {
        store_log(1, "Cannot move the checkpoint to '%s': %s", path, strerror(errno));
        rc = STORE_ERR_IO;
    }
    if (rc == STORE_OK)
        atomic_store(&s->last_save_ms, omk_now_ms());
    atomic_store(&s->last_save_ok, rc == STORE_OK);
    atomic_store(&s->saving, 0);
    return rc;
}

int store_save(struct store *s, char *path, size_t pathlen)
{
    int expected = 0;

    if (!atomic_compare_exchange_strong(&s->saving, &expected, 1))
        return STORE_ERR_BUSY;
    return store_save_now(s, path, pathlen);
}

static void *store_bgsave_main(void *arg)
{
    struct store *s = arg;
    char path[4096];

    if (store_save_now(s, path, sizeof(path)) == STORE_OK)
        store_log(0, "Background saving terminated with success: %s", path);
    return NULL;
}

int store_bgsave(struct store *s)
{
    int expected = 0;

    if (!atomic_compare_exchange_strong(&s->saving, &expected, 1))
        return STORE_ERR_BUSY;
    /* Only the thread that won 'saving' gets here, so 'bgsave' has one writer; the
     * previous background save (if any) has finished: join it first. */
    omk_mutex_lock(&s->bgsave_mu);
    if (s->bgsave_started)
        omk_thread_join(s->bgsave);
    s->bgsave_started = 1;
    omk_thread_create(&s->bgsave, store_bgsave_main, s);
    omk_mutex_unlock(&s->bgsave_mu);
    return STORE_OK;
}

int store_last_save_ok(struct store *s)
{
    return atomic_load(&s->last_save_ok);
}

int64_t store_last_save_ms(struct store *s)
{
    return atomic_load(&s->last_save_ms);
}

int store_saving(struct store *s)
{
    return atomic_load(&s->saving);
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
    out->expired_keys = atomic_load(&s->expired_keys);
    out->wal_syncs = atomic_load(&s->wal_syncs);
    out->last_sync_ms = atomic_load(&s->last_sync_ms);
    out->open_ms = s->open_ms;
    cache_stats_get(s->cache, &cs);
    out->cache_used_bytes = cs.used_bytes;
    out->cache_maxmemory = cs.budget;
    out->cache_items = cs.items;
    out->cache_hits = cs.hits;
    out->cache_misses = cs.misses;
    out->cache_evictions = cs.evictions;
    out->cache_max_value = atomic_load(&s->cache_max_value);
}

uint64_t store_disk_bytes(struct store *s)
{
    return rocks_disk_bytes(s->rocks);
}

void store_test_fail_next(struct store *s, enum rocks_op op, int rc)
{
    if (op == ROCKS_OP_GET) {
        store_rdlock(s); /* evicting needs 'excl', as in store_set_maxmemory() */
        cache_clear(s->cache);
        store_unlock(s);
    }
    rocks_test_fail_next(s->rocks, op, rc);
}
