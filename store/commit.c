/* commit.c - the write path: a write set (the changes one operation makes) goes to
 * RocksDB in one batch, and only then into the index, the value cache and the per-db
 * counters; the WAL is synced as appendfsync says (before the reply with 'always', by
 * the everysec thread once a second, by the OS with 'no').
 *
 * Invariant: the index, the cache and the counters change only after RocksDB took the
 * write, under the stripes of the keys changed, so a failed write changes nothing in RAM
 * and a reader holding a key's stripe sees RAM and RocksDB agree. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/cache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"

/* ---- Write sets ---------------------------------------------------------------------- */

void store_ws_init(struct store_ws *w)
{
    memset(w, 0, sizeof(*w));
    w->b = rocks_batch_new();
}

void store_ws_deinit(struct store_ws *w)
{
    for (size_t i = 0; i < w->n; i++) /* values of a set never committed (or failed) */
        cache_unpin(w->ops[i].item);
    rocks_batch_free(w->b);
    omk_free(w->ops);
    memset(w, 0, sizeof(*w));
}

/* Record one change for the counters, once the batch has committed. */
static void store_ws_note(struct store_ws *w, int db, const struct fmt_key *k,
                          const struct key_state *st, int del, size_t vlen, int64_t expire_ms)
{
    struct store_ws_op *op;

    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 4;
        w->ops = omk_realloc(w->ops, w->cap * sizeof(*w->ops));
    }
    op = &w->ops[w->n++];
    op->db = db;
    op->k = k;
    op->vlen = vlen;
    op->before = *st;
    op->del = del;
    op->expire_ms = expire_ms;
    op->item = NULL;
}

void store_ws_put(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st,
                  const void *val, size_t vlen, int64_t expire_ms)
{
    unsigned char hdr[FMT_HDR_LEN];

    fmt_hdr_encode(hdr, FMT_TYPE_STRING, expire_ms);
    rocks_batch_put(w->b, k->p, k->len, hdr, sizeof(hdr), val, vlen);
    store_ws_note(w, db, k, st, 0, vlen, expire_ms);
    /* Copied now: the caller may free 'val' before the commit. Its tag (the shard) is
     * set when it is admitted. */
    if (vlen < st->cache_lim)
        w->ops[w->n - 1].item = cache_item_new(val, vlen, expire_ms, 0);
}

void store_ws_del(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st)
{
    if (!st->exists)
        return; /* nothing on disk: nothing to write */
    rocks_batch_delete(w->b, k->p, k->len);
    store_ws_note(w, db, k, st, 1, 0, 0);
}

int store_ws_commit(struct store *s, struct store_ws *w)
{
    int rc;

    if (w->n == 0)
        return STORE_OK;
    rc = store_log_append(s, w->b);
    if (rc != STORE_OK)
        return rc;
    for (size_t i = 0; i < w->n; i++) {
        struct store_ws_op *op = &w->ops[i];
        const struct key_state *st = &op->before;
        unsigned shard = idx_shards_of(s->ix, op->k->p, op->k->len);
        struct cache_item *old = NULL, *it = op->item;
        struct idx *ix;
        struct idx_entry *e;
        int published = 0;

        /* Admit before taking the shard lock: admitting may evict, and eviction takes
         * shard locks. An item evicted before it is published is marked dead. */
        if (it) {
            it->tag = shard;
            if (cache_admit(s->cache, it) != CACHE_OK) {
                cache_unpin(it);
                it = op->item = NULL;
            }
        }
        ix = idx_shards_wrlock(s->ix, shard);
        if (op->del) {
            if (idx_delete(ix, op->k->p, op->k->len, &e) == IDX_OK) {
                old = store_loc_clear(e, 1);
                idx_entry_free(e);
            }
        } else {
            idx_insert(ix, op->k->p, op->k->len, &e);
            old = store_loc_clear(e, 1);
            store_entry_fill(e, op->vlen, op->expire_ms, 0);
            if (it && !it->dead) {
                store_loc_publish(e, it);
                published = 1;
            }
        }
        idx_shards_unlock(s->ix, shard);
        if (old) {
            cache_remove(s->cache, old);
            cache_unpin(old);
        }
        if (it) {
            if (!published)
                cache_remove(s->cache, it);
            cache_unpin(it); /* the write set's pin; the cache keeps its own */
            op->item = NULL;
        }

        if (op->del)
            store_count(s, op->db, -1, -st->has_expiry);
        else
            store_count(s, op->db, !st->exists, (op->expire_ms != 0) - st->has_expiry);
        if (st->exists && !st->live) /* an expired key was replaced or removed */
            atomic_fetch_add(&s->expired_keys, 1);
        store_touched(s, op->db, op->k->p + 1, op->k->len - 1);
    }
    return store_log_settle(s);
}

/* ---- Durability: the log and the tickets replies wait on ------------------------------
 *
 * HOW IT WORKS. RocksDB keeps the WAL in a buffer in this process (manual_wal_flush) and
 * store_durable() hands it to the OS (and syncs it, under appendfsync always) in one
 * write. A worker defers: its commits only append, and at the end of each event-loop
 * pass it makes one store_durable() call covering the ticket of the pass, the newest
 * sequence number any reader could have seen, before any reply of the pass leaves
 * (daemon/pass.c). Every other thread (the tests, the expiry thread, the main thread)
 * flushes after each commit, as before. The five invariants of the write path
 * (DESIGN.md), and where each is kept:
 *
 *   1. No reply leaves before the log holds every write it reports or reveals: a
 *      reader's pass waits for the newest visible sequence number, which covers another
 *      worker's write it read (a write is in the WAL buffer before it is visible).
 *   2. Per key, the log order is the order of the writes in RAM: a key's writes append
 *      to the WAL under its stripe, and the index changes after the append, under the
 *      same stripe.
 *   3. A failed flush answers the writes of its pass with an error (daemon/pass.c) and
 *      RocksDB refuses every later write until the store is reopened; reads go on and
 *      nothing is rolled back in RAM: the index and the cache already hold the writes,
 *      as RocksDB's memtable does.
 *   4. A store operation is one RocksDB batch: one WAL record, atomic in the log; so is
 *      a transaction (MULTI/EXEC, a script): between store_tx_begin() and store_tx_end()
 *      a thread's batches gather in one (reads see them through it) and are written
 *      together at the end. Nothing else runs keyed commands meanwhile (EXEC holds every
 *      lane of the daemon's exclusion), and the index and cache change as each command
 *      commits, as outside a transaction.
 *   5. No worker waits for another's flush, and no lock is held from one pass to the
 *      next: a worker flushes its own pass, so workers never wait on each other's logs.
 *
 * 'flushed_seq' only grows; a flush covers every write whose sequence number was
 * visible before it started. */

static _Thread_local int store_tl_defer;        /* this thread's commits wait for a pass */
static _Thread_local uint64_t store_tl_commits; /* batches this thread committed */
static _Thread_local struct rocks_tx *store_tl_tx; /* the open transaction, or NULL */
static _Thread_local int store_tl_failed;       /* a transaction's write failed: the pass's
                                                 * store_durable() reports it */

void store_defer_flush(int on)
{
    store_tl_defer = on;
}

uint64_t store_thread_commits(void)
{
    return store_tl_commits;
}

uint64_t store_ticket(struct store *s)
{
    return rocks_latest_seq(s->rocks);
}

int store_sync_writes(struct store *s)
{
    return atomic_load(&s->fsync) == STORE_FSYNC_ALWAYS;
}

/* Flush the WAL (with 'sync': sync it too), and record what it covered. */
static int store_flush_log(struct store *s, int sync)
{
    uint64_t upto = rocks_latest_seq(s->rocks), cur;
    int rc = rocks_flush_wal(s->rocks, sync);

    if (rc != STORE_OK)
        return rc;
    if (sync) {
        atomic_fetch_add(&s->wal_syncs, 1);
        atomic_store(&s->last_sync_ms, omk_now_ms());
    }
    cur = atomic_load(&s->flushed_seq);
    while (cur < upto && !atomic_compare_exchange_weak(&s->flushed_seq, &cur, upto))
        ;
    return STORE_OK;
}

int store_durable(struct store *s, uint64_t ticket)
{
    if (store_tl_failed) { /* the pass carried a transaction that never reached RocksDB */
        store_tl_failed = 0;
        return STORE_ERR_IO;
    }
    if (ticket <= atomic_load(&s->flushed_seq))
        return STORE_OK;
    return store_flush_log(s, store_sync_writes(s));
}

int store_sync_wal(struct store *s)
{
    return store_flush_log(s, 1);
}

int store_log_append(struct store *s, struct rocks_batch *b)
{
    int rc;

    if (store_tl_tx) {
        rocks_tx_add(store_tl_tx, b);
        store_tl_commits++;
        return STORE_OK;
    }
    rc = rocks_write(s->rocks, b);
    if (rc == STORE_OK)
        store_tl_commits++;
    return rc;
}

int store_log_append_now(struct store *s, struct rocks_batch *b)
{
    int rc = store_tl_tx ? rocks_tx_write(s->rocks, store_tl_tx) : STORE_OK;

    if (rc != STORE_OK)
        store_tl_failed = 1;
    if (rc == STORE_OK)
        rc = rocks_write(s->rocks, b);
    if (rc == STORE_OK)
        store_tl_commits++;
    return rc;
}

int store_log_settle(struct store *s)
{
    if (store_tl_tx || store_tl_defer)
        return STORE_OK;
    return store_durable(s, rocks_latest_seq(s->rocks));
}

int store_log_get(struct store *s, const char *key, size_t klen, char **val, size_t *vlen)
{
    if (store_tl_tx)
        return rocks_tx_get(s->rocks, store_tl_tx, key, klen, val, vlen);
    return rocks_get(s->rocks, key, klen, val, vlen);
}

int store_log_get_prefix(struct store *s, const char *key, size_t klen, char *buf, size_t cap,
                         size_t *vlen)
{
    char *v = NULL;
    int rc;

    if (!store_tl_tx)
        return rocks_get_prefix(s->rocks, key, klen, buf, cap, vlen);
    rc = rocks_tx_get(s->rocks, store_tl_tx, key, klen, &v, vlen);
    if (rc == STORE_OK)
        memcpy(buf, v, *vlen < cap ? *vlen : cap);
    rocks_free(v);
    return rc;
}

void store_tx_begin(struct store *s)
{
    OMK_UNUSED(s);
    OMK_ASSERT(store_tl_tx == NULL); /* transactions do not nest */
    store_tl_tx = rocks_tx_new();
}

int store_tx_end(struct store *s)
{
    struct rocks_tx *t = store_tl_tx;
    int rc;

    OMK_ASSERT(t != NULL);
    store_tl_tx = NULL;
    rc = rocks_tx_write(s->rocks, t);
    rocks_tx_free(t);
    if (rc != STORE_OK) {
        store_tl_failed = 1;
        return rc;
    }
    return store_log_settle(s);
}

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

void store_syncer_start(struct store *s)
{
    omk_mutex_init(&s->sync_mu);
    omk_cond_init_mono(&s->sync_cv);
    omk_thread_create(&s->syncer, store_syncer_main, s);
}

void store_syncer_stop(struct store *s)
{
    omk_mutex_lock(&s->sync_mu);
    s->sync_stop = 1;
    omk_cond_signal(&s->sync_cv);
    omk_mutex_unlock(&s->sync_mu);
    omk_thread_join(s->syncer);
    pthread_cond_destroy(&s->sync_cv);
    pthread_mutex_destroy(&s->sync_mu);
}
