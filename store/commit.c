/* commit.c - the write path: a write set (the changes one operation makes) goes to
 * RocksDB in one batch, and only then into the index, the value cache and the per-db
 * counters; the WAL is synced as appendfsync says (before the reply with 'always', by
 * the everysec thread once a second, by the OS with 'no'). After a failed log write,
 * the everysec thread also brings writes back (the resume, below).
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
#include "store/coll.h"
#include "store/elemcache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store_internal.h"

/* ---- Write sets ---------------------------------------------------------------------- */

void store_ws_init(struct store_ws *w)
{
    memset(w, 0, sizeof(*w));
    w->b = store_batch_new();
}

void store_ws_deinit(struct store_ws *w)
{
    for (size_t i = 0; i < w->n; i++) /* values of a set never committed (or failed) */
        cache_unpin(w->ops[i].item);
    for (size_t i = 0; i < w->nelems; i++)
        cache_unpin(w->elems[i].item);
    omk_free(w->elems);
    rocks_batch_free(w->b);
    omk_free(w->ops);
    memset(w, 0, sizeof(*w));
}

void store_ws_elem(struct store_ws *w, uint64_t id, struct omk_slice e, struct omk_slice v,
                   int del)
{
    if (w->nelems == w->capelems) {
        w->capelems = w->capelems ? 2 * w->capelems : 8;
        w->elems = omk_realloc(w->elems, w->capelems * sizeof(*w->elems));
    }
    w->elems[w->nelems].item = ecache_item_new(id, e, del ? (struct omk_slice){"", 0} : v);
    w->elems[w->nelems++].del = del;
}

static _Thread_local uint64_t store_tl_signals; /* keys this thread's commits signalled
                                                 * (store_thread_signals) */

/* Tell the touch hook that committed change 'op' wrote its key (unless quiet): WATCH,
 * tracking, and a list or sorted set that appeared wakes its blocked clients. */
static void store_ws_told(struct store *s, const struct store_ws_op *op)
{
    const struct key_state *st = &op->before;

    if (op->quiet)
        return;
    store_tl_signals++;
    store_touched(s, op->db, op->k->p + 1, op->k->len - 1,
                  !op->del && (op->type == STORE_TYPE_LIST || op->type == STORE_TYPE_ZSET) &&
                          (!st->live || st->type != op->type)
                      ? op->type
                      : -1);
}

/* Hand the committed set's element changes to the element cache. */
static void store_ws_elems_apply(struct store *s, struct store_ws *w)
{
    for (size_t i = 0; i < w->nelems; i++) {
        struct cache_item *it = w->elems[i].item;

        if (w->elems[i].del)
            ecache_drop(s, it);
        else
            ecache_put(s, it);
    }
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
    op->type = STORE_TYPE_STRING;
    op->fflags = 0;
    op->count = 0;
    op->id = 0;
    op->quiet = 0;
    op->touch = 0;
}

void store_ws_touch(struct store_ws *w, int db, const struct fmt_key *k,
                    const struct key_state *st)
{
    store_ws_note(w, db, k, st, 0, st->vlen, st->expire_ms);
    w->ops[w->n - 1].touch = 1;
}

void store_ws_put_typed(struct store_ws *w, int db, const struct fmt_key *k,
                        const struct key_state *st, int type, unsigned fflags, const void *val,
                        size_t vlen, int64_t expire_ms)
{
    unsigned char hdr[FMT_HDR_LEN];
    struct store_ws_op *op;

    fmt_hdr_encode(hdr, (enum fmt_type)type, fflags, expire_ms);
    rocks_batch_put(w->b, k->p, k->len, hdr, sizeof(hdr), val, vlen);
    store_ws_note(w, db, k, st, 0, vlen, expire_ms);
    op = &w->ops[w->n - 1];
    op->type = type;
    op->fflags = fflags;
    if (type != STORE_TYPE_STRING) {
        int rc = fmt_coll_meta(fflags, val, vlen, &op->count, &op->id);

        OMK_ASSERT(rc == 0); /* the store wrote the payload itself */
    } else if (fflags & FMT_F_FRAG) {
        uint64_t len = 0;
        int rc = fmt_frag_meta(val, vlen, &op->id, &len);

        OMK_ASSERT(rc == 0);
        op->vlen = (size_t)len; /* the index holds the string's length */
        op->count = store_frag_count(len);
        return;
    }
    /* Copied now: the caller may free 'val' before the commit. Its tag (the shard) is
     * set when it is admitted. A split collection's value (or a fragmented string's) is
     * never cached: its entry's 'loc' holds the id. */
    if (vlen < st->cache_lim && (type == STORE_TYPE_STRING || !(fflags & FMT_F_SPLIT)))
        op->item = cache_item_new(val, vlen, expire_ms, 0);
}

void store_ws_put(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st,
                  const void *val, size_t vlen, int64_t expire_ms)
{
    store_ws_put_typed(w, db, k, st, STORE_TYPE_STRING, 0, val, vlen, expire_ms);
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
    /* A split collection's id is live before its elements reach RocksDB, and dies only
     * once the batch that drops the last key holding it is in (coll.c). */
    for (size_t i = 0; i < w->n; i++)
        if (!w->ops[i].del && w->ops[i].id)
            coll_ids_ref(s, w->ops[i].id);
    rc = store_log_append(s, w->b);
    for (size_t i = 0; i < w->n; i++) {
        const struct store_ws_op *op = &w->ops[i];

        if (op->touch)
            continue; /* its id stays where it was */
        if (rc != STORE_OK && !op->del && op->id)
            coll_ids_unref(s, op->id);
        else if (rc == STORE_OK && op->before.exists && op->before.id &&
                 coll_ids_unref(s, op->before.id))
            store_reclaim_note(s, op->before.id, op->before.count);
    }
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

        if (op->touch) {
            store_ws_told(s, op);
            continue;
        }
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
            /* A key that held nothing live is a new key: its access field starts afresh
             * (Redis' new object); one rewritten keeps what its lookup made of it. */
            int fresh = idx_insert(ix, op->k->p, op->k->len, &e) == IDX_OK || !st->live;

            old = store_loc_clear(e, 1);
            store_entry_fill(e, op->type == STORE_TYPE_STRING ? op->vlen : op->count,
                             op->expire_ms, store_entry_flags_of(op->type, op->fflags));
            if (fresh)
                store_access_init(s, e, omk_now_ms());
            if (op->id)
                store_loc_set(e, op->id << 2 | STORE_LOC_ID);
            else if (it && !it->dead) {
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
        if (st->exists && !st->live) { /* an expired key was replaced or removed */
            atomic_fetch_add(&s->expired_keys, 1);
            if (s->evented) /* the daemon knows databases by number (dbmap.c) */
                s->evented(store_db_logical(s, op->db), op->k->p + 1, op->k->len - 1,
                           STORE_EVENT_EXPIRED);
        }
        if (s->evented && !op->del && !st->live)
            s->evented(store_db_logical(s, op->db), op->k->p + 1, op->k->len - 1,
                       STORE_EVENT_CREATED);
        store_ws_told(s, op);
    }
    store_ws_elems_apply(s, w);
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
 *      every later write is refused (rocks.c) until the store resumes; reads go on and
 *      nothing is rolled back in RAM: the index and the cache already hold the writes,
 *      as RocksDB's memtable does. The resume (below) then brings RAM back to what the
 *      log holds, and answers with an error every pass whose writes it dropped.
 *   4. A store operation is one RocksDB batch: one WAL record, atomic in the log; so is
 *      a transaction (MULTI/EXEC, a script): between store_tx_begin() and store_tx_end()
 *      a thread's batches gather in one (reads see them through it) and are written
 *      together at the end. Nothing else runs keyed commands meanwhile (EXEC holds every
 *      lane of the daemon's exclusion), and the index and cache change as each command
 *      commits, as outside a transaction.
 *   5. No worker waits for another's flush, and no lock is held from one pass to the
 *      next: a worker flushes its own pass, so workers never wait on each other's logs.
 *
 * A flush covers every write whose sequence number was visible before it started; it
 * runs under 'excl' as reader, so the sequence number it reads and the 'flushed_seq' it
 * raises belong to one opening of RocksDB. 'flushed_seq' only grows, except when a
 * resume reopens RocksDB (under 'excl' as writer) and it restarts at what the log held.
 *
 * HOW WRITES RESUME. A failed log write (a full disk, a read-only directory, no file
 * descriptor left) leaves RocksDB's log writer broken, and Debian's RocksDB 7.8 aborts
 * if it is used again; its C API has no DB::Resume. So rocks.c refuses every write from
 * then on, and once a second the everysec thread calls store_resume(): it asks
 * rocks_probe() whether the directory takes a file and the space a reopen needs; when
 * it does, it takes 'excl' as writer (no call in flight, none starts), and
 * rocks_reopen() checks the logs (their torn tail is dropped with a warning), closes
 * RocksDB and opens it again, which replays what reached the log. Writes that never
 * reached it are gone from RocksDB but still in RAM (invariant 3), so the index is built
 * again from RocksDB, the value cache emptied, the counters recounted (as at start-up:
 * RAM matches disk again, which store_check() verifies), every WATCH touched, and
 * 'flushed_seq' set to what the log holds; then 'epoch' goes up. A pass whose thread
 * appended before the reopen and has not yet reached store_durable() lost those writes:
 * store_durable() sees its 'epoch' changed and answers them with an error. If RocksDB
 * opens only read-only, reads go on from it (the index rebuilt too) and the next
 * attempt waits longer; damage beyond a torn tail keeps the old handle, read-only.
 * Caveat: while writes are refused, a read of a write that never reached the log is
 * still answered (daemon/pass.c replaces only the replies of writes), and after the
 * resume that value is gone. */

static _Thread_local int store_tl_defer;        /* this thread's commits wait for a pass */
static _Thread_local uint64_t store_tl_commits; /* batches this thread committed */
static _Thread_local struct rocks_tx *store_tl_tx; /* the open transaction, or NULL */
static _Thread_local uint64_t store_tl_tx_epoch;   /* the store's 'epoch' when it opened */

int store_tx_active(void)
{
    return store_tl_tx != NULL;
}
static _Thread_local int store_tl_failed;       /* a transaction's write failed: the pass's
                                                 * store_durable() reports it */
static _Thread_local struct store *store_tl_dirty; /* the store this deferring thread
                                                    * wrote to since its store_durable() */
static _Thread_local uint64_t store_tl_epoch;      /* that store's 'epoch' at the first write */

void store_defer_flush(int on)
{
    store_tl_defer = on;
}

uint64_t store_thread_commits(void)
{
    return store_tl_commits;
}

uint64_t store_thread_signals(void)
{
    return store_tl_signals;
}

uint64_t store_ticket(struct store *s)
{
    uint64_t t;

    store_keep_release(); /* kept stripes would hold other writers through the log write */
    store_rdlock(s); /* not during a reopen */
    t = rocks_latest_seq(s->rocks);
    store_rdunlock(s);
    return t;
}

int store_sync_writes(struct store *s)
{
    return atomic_load(&s->fsync) == STORE_FSYNC_ALWAYS;
}

/* Flush the WAL (with 'sync': sync it too), and record what it covered. Caller holds
 * 'excl' (either way). */
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

/* store_durable() with 'excl' held. */
static int store_durable_locked(struct store *s, uint64_t ticket)
{
    if (store_tl_failed) { /* the pass carried a transaction that never reached RocksDB */
        store_tl_failed = 0;
        return STORE_ERR_IO;
    }
    if (ticket <= atomic_load(&s->flushed_seq))
        return STORE_OK;
    return store_flush_log(s, store_sync_writes(s));
}

int store_durable(struct store *s, uint64_t ticket)
{
    int rc, lost = 0;

    store_keep_release();
    store_rdlock(s);
    if (store_tl_dirty == s) {
        lost = store_tl_epoch != atomic_load(&s->epoch); /* a resume dropped them */
        store_tl_dirty = NULL;
    }
    rc = store_durable_locked(s, ticket);
    store_rdunlock(s);
    return lost ? STORE_ERR_IO : rc;
}

int store_sync_wal(struct store *s)
{
    int rc;

    store_rdlock(s);
    rc = store_flush_log(s, 1);
    store_rdunlock(s);
    return rc;
}

/* This thread wrote to RocksDB (caller holds 'excl'): note the opening of RocksDB a
 * deferring thread's pass wrote to, for its store_durable(). */
static void store_note_write(struct store *s)
{
    if (store_tl_defer && store_tl_dirty != s) {
        store_tl_dirty = s;
        store_tl_epoch = atomic_load(&s->epoch);
    }
}

/* Whether a resume reopened RocksDB since this thread's transaction opened: the batches
 * it gathered before were dropped from RAM with the rest, so none may be written. */
static int store_tx_stale(struct store *s)
{
    return store_tl_tx_epoch != atomic_load(&s->epoch);
}

int store_log_append(struct store *s, struct rocks_batch *b)
{
    int rc;

    if (store_tl_tx) {
        if (store_tx_stale(s))
            return STORE_ERR_IO;
        rocks_tx_add(s->rocks, store_tl_tx, b);
        store_tl_commits++;
        return STORE_OK;
    }
    rc = rocks_write(s->rocks, b);
    if (rc == STORE_OK) {
        store_tl_commits++;
        store_note_write(s);
    }
    return rc;
}

int store_log_append_now(struct store *s, struct rocks_batch *b)
{
    int rc = STORE_OK;

    if (store_tl_tx)
        rc = store_tx_stale(s) ? STORE_ERR_IO : rocks_tx_write(s->rocks, store_tl_tx);
    if (rc != STORE_OK)
        store_tl_failed = 1;
    if (rc == STORE_OK)
        rc = rocks_write(s->rocks, b);
    if (rc == STORE_OK) {
        store_tl_commits++;
        store_note_write(s);
    }
    return rc;
}

int store_log_settle(struct store *s)
{
    if (store_tl_tx || store_tl_defer)
        return STORE_OK;
    return store_durable_locked(s, rocks_latest_seq(s->rocks));
}

int store_log_get(struct store *s, const char *key, size_t klen, char **val, size_t *vlen)
{
    if (store_tl_tx)
        return rocks_tx_get(s->rocks, store_tl_tx, key, klen, val, vlen);
    return rocks_get(s->rocks, key, klen, val, vlen);
}

struct rocks_batch *store_batch_new(void)
{
    struct rocks_batch *b = rocks_batch_new();

    if (store_tl_tx)
        rocks_batch_record(b);
    return b;
}

int store_log_get_cf(struct store *s, enum rocks_cf cf, const char *key, size_t klen, char **val,
                     size_t *vlen)
{
    if (store_tl_tx)
        return rocks_tx_get_cf(s->rocks, store_tl_tx, cf, key, klen, val, vlen);
    return rocks_get_cf(s->rocks, cf, key, klen, val, vlen);
}

struct rocks_iter *store_log_iter(struct store *s, enum rocks_cf cf, const char *upper,
                                  size_t ulen)
{
    if (store_tl_tx)
        return rocks_tx_iter_new(s->rocks, store_tl_tx, cf, upper, ulen);
    return rocks_iter_new_cf(s->rocks, cf, upper, ulen, 0);
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
    OMK_ASSERT(store_tl_tx == NULL); /* transactions do not nest */
    store_tl_tx = rocks_tx_new();
    store_tl_tx_epoch = atomic_load(&s->epoch);
}

int store_tx_end(struct store *s)
{
    struct rocks_tx *t = store_tl_tx;
    int rc;

    OMK_ASSERT(t != NULL);
    store_tl_tx = NULL;
    store_rdlock(s); /* the write and 'epoch' belong to one opening of RocksDB */
    rc = store_tx_stale(s) ? STORE_ERR_IO : rocks_tx_write(s->rocks, t);
    if (rc != STORE_OK) {
        store_tl_failed = 1;
    } else {
        store_note_write(s);
        rc = store_log_settle(s);
    }
    store_rdunlock(s);
    rocks_tx_free(t);
    return rc;
}

/* ---- The resume (HOW WRITES RESUME, above) -------------------------------------------- */

#define STORE_RESUME_MAX_WAIT_MS 60000 /* longest pause between failed reopens */

/* Reopen RocksDB and rebuild RAM from it, 'excl' held as writer: see HOW WRITES RESUME.
 * Logs the outcome. Returns what rocks_reopen() returned, or the index load's error. */
static int store_reopen(struct store *s)
{
    uint64_t keys[256] = { 0 }, exps[256] = { 0 }, before, after, nkeys = 0;
    char err[1024];
    int reopened, rc;
    int64_t t0 = omk_mono_us();

    before = rocks_latest_seq(s->rocks);
    store_readers_drop(s); /* their iterators belong to the handle that closes */
    rc = rocks_reopen(s->rocks, &reopened, err, sizeof(err));
    if (!reopened) {
        store_log(s->log, STORE_LOG_ALERT, "Writes stay refused: RocksDB could not be reopened: "
                  "%s", err);
        return rc;
    }
    after = rocks_latest_seq(s->rocks);
    if (store_index_reload(s, keys, exps, err, sizeof(err)) != STORE_OK) {
        /* RAM cannot be checked against what the log kept: no write may build on it. */
        rocks_refuse(s->rocks, "the index could not be rebuilt after a reopen");
        store_log(s->log, STORE_LOG_ALERT, "Writes stay refused: the index could not be "
                  "rebuilt after the reopen (%s); retrying", err);
        return STORE_ERR_IO;
    }
    for (int d = 0; d < 256; d++) { /* by db byte */
        atomic_store(&s->keys[d], keys[d]);
        atomic_store(&s->expires[d], exps[d]);
        nkeys += keys[d];
    }
    atomic_store(&s->flushed_seq, after); /* what the log holds is all RocksDB has */
    atomic_fetch_add(&s->epoch, 1);
    store_touched(s, -1, NULL, 0, -1); /* WATCH: the keys whose writes were dropped changed */
    if (rc == STORE_OK)
        store_log(s->log, STORE_LOG_ALERT, "Writes resumed without a restart: RocksDB reopened "
                  "'%s'; %llu writes that never reached the log are gone, and the index was "
                  "rebuilt to match (%llu keys, %.1f s)", s->dir,
                  (unsigned long long)(before > after ? before - after : 0),
                  (unsigned long long)nkeys, (double)(omk_mono_us() - t0) / 1e6);
    else
        store_log(s->log, STORE_LOG_ALERT, "Writes stay refused: RocksDB could not be reopened "
                  "read-write (%s); reads go on from it opened %s (%llu keys)", err,
                  rc == STORE_ERR_CORRUPT ? "as it was" : "read-only",
                  (unsigned long long)nkeys);
    return rc;
}

/* Once a second, from the everysec thread: while writes are refused after a failed log
 * write, probe the directory and, when it takes writes again, reopen. A failed reopen
 * waits longer before the next (up to a minute). */
static void store_resume(struct store *s)
{
    struct rocks_stats rs;
    char why[512];
    int64_t now = omk_now_ms();
    int rc;

    rocks_stats_get(s->rocks, &rs);
    if (!rs.refusing || rs.read_only || now < s->resume_next_ms)
        return;
    if (rocks_probe(s->rocks, why, sizeof(why)) != STORE_OK) {
        /* Said at the first failed probe, the tenth, then once a minute. */
        s->resume_probes++;
        if (s->resume_probes == 1 || s->resume_probes == 10 || s->resume_probes % 60 == 0)
            store_log(s->log, STORE_LOG_ALERT, "Writes refused for %lld s: %s; trying again "
                      "every second", (long long)((now - rs.refused_ms) / 1000), why);
        return;
    }
    store_wrlock(s);
    rc = store_reopen(s);
    store_wrunlock(s);
    s->resume_probes = 0;
    if (rc == STORE_OK) {
        s->resume_wait_ms = 0;
    } else {
        s->resume_wait_ms = s->resume_wait_ms ? 2 * s->resume_wait_ms : 2000;
        if (s->resume_wait_ms > STORE_RESUME_MAX_WAIT_MS)
            s->resume_wait_ms = STORE_RESUME_MAX_WAIT_MS;
        s->resume_next_ms = omk_now_ms() + s->resume_wait_ms;
    }
}

/* Once a second: while writes are refused, try to resume them (store_resume); while
 * appendfsync is everysec and something was written since the last sync, sync the WAL.
 * Exits when store_close() sets 'sync_stop'. Syncs under 'excl' as reader only: RocksDB
 * orders the sync with concurrent writes itself. */
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
        store_resume(s);
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
