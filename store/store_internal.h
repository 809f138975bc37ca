/* store_internal.h - what store.c and scan.c share, and test hooks. Module-private:
 * tests/unit may include it, other modules may not. */
#ifndef OMK_STORE_STORE_INTERNAL_H
#define OMK_STORE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "store/cache.h"
#include "store/rocks.h"
#include "store/store.h"

#define STORE_STRIPES 1024 /* per-key mutexes; a power of two */

struct scan_table;

/* LOCKS, and the order in which they are taken (never the reverse):
 *
 *   1. 'excl' (rwlock, writer-preferring). Every public call holds it as a reader for
 *      its whole duration; store_flush() and store_check() hold it as the writer, so
 *      they see no call in flight. Nothing takes it twice in one thread: with a
 *      waiting writer a second read lock would deadlock, so internal helpers assume
 *      it is held and never take it.
 *   2. 'stripe[i]' (mutex), i = omk_hash(RocksDB key) & (STORE_STRIPES - 1). Held by
 *      every read-modify-write of that key (set with its existence check, del, the
 *      delete of a lazily expired key) across its RocksDB read and write. A call that
 *      needs several (store_mset) takes them in ascending index order, each index
 *      once. Plain reads (get, exists, scan) take none.
 *   3. The SCAN cursor table mutex (scan.c): held only to look up or update a slot,
 *      never across RocksDB I/O and never together with a stripe.
 *   4. 'sync_mu' (the everysec thread's sleep): taken alone, never with the others.
 *   5. The index shard locks (index/shard.h), innermost: taken for one index operation
 *      at a time (or one ordered walk), after any of 1-2, and never held across
 *      RocksDB I/O or a callback into the caller.
 *   6. The value cache's mutex (cache.c) is a leaf: nothing is taken while it is held.
 *      Its eviction callback (store_cache_detach) takes a shard lock as writer after
 *      dropping it, so cache_admit, cache_set_budget and cache_clear are called with
 *      'excl' held (as reader, or as writer by store_flush) and no shard lock; pins
 *      (cache_pin/unpin) are atomics and may be taken under a shard lock.
 *
 * RocksDB's internal locks come after all of these. The counters are atomics and need
 * no lock; they are exact because each change is made under the key's stripe (or the
 * exclusive lock), in the same critical section as the write that causes it. */
struct store {
    struct rocks *rocks;
    int databases;                  /* 1..256; immutable */
    atomic_int fsync;               /* enum store_fsync */

    pthread_rwlock_t excl;          /* lock 1 */
    pthread_mutex_t stripe[STORE_STRIPES]; /* lock 2 */

    atomic_uint_fast64_t *keys;     /* [databases] keys stored (expired ones included) */
    atomic_uint_fast64_t *expires;  /* [databases] of those, keys with an expiry */
    atomic_uint_fast64_t expired_keys; /* keys removed because their time passed */
    atomic_uint_fast64_t wal_syncs;    /* WAL syncs by the everysec thread */
    atomic_int_fast64_t last_sync_ms;  /* Unix ms of the last WAL sync, 0: none */
    int64_t open_ms;                /* ms store_open() spent counting keys; immutable */

    pthread_t syncer;               /* the everysec thread */
    pthread_mutex_t sync_mu;        /* lock 4: guards 'sync_stop' */
    pthread_cond_t sync_cv;         /* signalled by store_close(); CLOCK_MONOTONIC */
    int sync_stop;                  /* 1: the syncer must exit (sync_mu) */
    uint64_t synced_writes;         /* rocks writes at the last sync (syncer only) */

    struct scan_table *scans;       /* SCAN cursors (scan.c; its own mutex) */
    struct idx_shards *ix;          /* every key: RocksDB key -> entry (lock 5, innermost) */
    char *dir;                      /* the data directory; immutable */
    atomic_int_fast64_t last_save_ms;  /* Unix ms of the last checkpoint (or of the open) */
    atomic_int saving;              /* 1 while a checkpoint is being written */
    atomic_int last_save_ok;        /* 1 if the last checkpoint succeeded (or none ran) */
    pthread_mutex_t bgsave_mu;      /* guards the two fields below; taken alone */
    pthread_t bgsave;               /* the last BGSAVE thread, joined by the next or close */
    int bgsave_started;             /* 'bgsave' holds a thread not yet joined */
    struct expirer *expirer;        /* active expiry (expire.c): set by store_expire_start()
                                     * and cleared by store_expire_stop(), both before or
                                     * after every other caller; NULL when not running */

    struct cache *cache;            /* hot values (lock 6); items found through 'loc' */
    atomic_size_t cache_max_value;  /* longer values bypass the cache, bytes */
    atomic_uint_fast64_t tickets;   /* fill tickets handed out (keyspace.c) */
};

/* The 'loc' word of an index entry (index.h leaves it to the store) says where the
 * value is besides RocksDB, and is read and written with __atomic builtins:
 *   0             nowhere: on disk only.
 *   even, != 0    a struct cache_item * holding the current value (its 'owner' is the
 *                 entry, its 'tag' the shard). Changed to anything else only under the
 *                 shard's write lock, so a reader holding the read lock may pin it.
 *   odd           a fill ticket: a reader is reading the value from RocksDB to cache it;
 *                 it publishes its item only if the ticket is still there (no write of
 *                 the key came in between). Placed (from 0) and withdrawn by CAS under
 *                 the read lock; any write of the key overwrites it.
 * Tags 2 mod 4 are free for inline values (ALEX.md 3.1) if they come. */
#define STORE_LOC_TICKET 0x1u

/* Log one line through the logger set by store_set_logger() (printf-style). */
void store_log(int warning, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Build the index from RocksDB (store_open): one ordered pass, then a bulk load.
 * Counts keys and keys with an expiry per db byte into 'keys'/'expires' (arrays of 256,
 * zeroed by the caller). STORE_OK, or an I/O error with a message in 'err'. */
int store_index_load(struct store *s, uint64_t *keys, uint64_t *expires, char *err,
                     size_t errlen);

/* Walk RocksDB and check every key against its index entry and the index's own
 * invariants, counting as store_index_load() does (plus undecodable values in '*bad').
 * Caller holds 'excl' as writer. STORE_OK, or an error with the first fault in 'err'. */
int store_index_check(struct store *s, uint64_t *keys, uint64_t *expires, uint64_t *bad,
                      char *err, size_t errlen);

/* Remove every key of database 'db' from the index (FLUSHDB, after RocksDB dropped
 * them). Caller holds 'excl' as writer. */
void store_index_clear_db(struct store *s, int db);

/* ---- Primitives (keyspace.c): every operation is built from these ---- */

struct fmt_key;

/* What the store knows of one key before it writes it. */
struct key_state {
    int exists;        /* RocksDB holds the key (live, expired, or undecodable) */
    int live;          /* exists and has not expired */
    int has_expiry;    /* its header has an expiry: it is in the 'expires' count */
    int bad;           /* exists but its header does not decode (treated as live, no TTL) */
    int64_t expire_ms; /* its absolute expiry, 0: none */
    size_t vlen;       /* payload bytes of its value */
    size_t cache_lim;  /* a new value shorter than this (bytes) is written through to
                        * the cache by store_ws_put(); 0: none (set by store_lookup) */
};

/* Flag bits of an index entry (idx_entry_flags). */
#define STORE_EF_BAD 0x1 /* the stored header does not decode */
#define STORE_EF_FAR 0x2 /* the expiry does not fit 48 bits: read it from RocksDB */

struct idx_entry;

/* Set the metadata of index entry 'e': payload length, absolute expiry, flags. */
void store_entry_fill(struct idx_entry *e, size_t vlen, int64_t expire_ms, unsigned flags);

/* The one place that answers "does RocksDB key 'k' exist at 'now_ms', and what is its
 * header?" into '*st'. With 'val' non-NULL it also returns the whole stored value
 * (header included, FMT_HDR_LEN bytes before the payload) in '*val'/'*vlen' when the
 * key exists, memory freed with rocks_free(): a copy of the cached value when the cache
 * holds it (no RocksDB read), else the RocksDB read, which then fills the cache.
 * Returns STORE_OK or an I/O error ('*st' then undefined). Caller holds 'excl' as reader
 * and, for a write that follows, the key's stripe. */
int store_lookup(struct store *s, const struct fmt_key *k, int64_t now_ms, struct key_state *st,
                 char **val, size_t *vlen);

/* store_lookup() asking for the value, without copying a cached one: on a hit '*hit'
 * receives the cache item, pinned for the caller (cache_unpin(), or hand it to
 * store_val_of_item()), and '*val' is NULL; otherwise '*hit' is NULL and '*val'/'*vlen'
 * are as store_lookup() returns them (NULL when the key does not exist). */
int store_lookup_cached(struct store *s, const struct fmt_key *k, int64_t now_ms,
                        struct key_state *st, struct cache_item **hit, char **val, size_t *vlen);

/* Cache coherence self-check, for store_check(): every resident item published in an
 * index entry that points back at it, with the entry's length and expiry and the bytes
 * RocksDB holds; every entry's 'loc' a resident item or 0 (no ticket outlives its call);
 * then cache_check(). Caller holds 'excl' as writer. STORE_OK, or STORE_ERR_VALUE with
 * the first fault in 'err', or an I/O error. */
int store_cache_check(struct store *s, char *err, size_t errlen);

/* The cache's eviction callback (cache_detach_fn): unpublish item 'it' from its index
 * entry under the shard's write lock. 'arg' is the store. */
void store_cache_detach(void *arg, struct cache_item *it);

/* Tell the touch hook (store_set_touch_hook) that key 'key'/'klen' of 'db' changed
 * ('key' NULL: every key of 'db'; 'db' -1: of every db). */
void store_touched(int db, const char *key, size_t klen);

/* Add 'dkeys' and 'dexp' to db 'db''s counters (modular: negative values subtract).
 * Call under the lock that made the write. */
void store_count(struct store *s, int db, int64_t dkeys, int64_t dexp);

/* 1 if writes must sync the WAL before they are acknowledged (appendfsync always). */
int store_sync_writes(struct store *s);

/* The stripe index of RocksDB key 'k'. */
unsigned store_stripe_index(const struct fmt_key *k);

/* Take / release 'excl' as reader (lock 1). */
void store_rdlock(struct store *s);
void store_unlock(struct store *s);

/* The stripes of a set of keys, held together. */
struct store_keylock {
    unsigned *idx;          /* distinct stripe indexes, ascending */
    size_t n;
    unsigned inline_idx[8]; /* storage for up to 8 keys */
};

/* Take 'excl' as reader, then the stripes of the 'n' keys 'ks' in ascending order,
 * each once (the lock order of this file's header). Release with store_keyunlock(). */
void store_keylock(struct store *s, struct store_keylock *l, const struct fmt_key *const *ks,
                   size_t n);
void store_keyunlock(struct store *s, struct store_keylock *l);

/* A write set: changes to keys, committed in one RocksDB batch (atomic on disk), after
 * which the counters are adjusted from each key's state before the change. The caller
 * holds the stripes of every key in it from its store_lookup() to the commit, and keeps
 * each 'k' passed in valid until store_ws_deinit(). */
struct store_ws_op {
    int db;
    const struct fmt_key *k;
    struct key_state before;
    int del;           /* 1: delete, 0: put */
    size_t vlen;       /* payload bytes (put) */
    int64_t expire_ms; /* the new expiry (put) */
    struct cache_item *item; /* put: the new value for the cache (pinned, not admitted),
                              * or NULL when it bypasses the cache */
};

struct store_ws {
    struct rocks_batch *b;
    struct store_ws_op *ops;
    size_t n, cap;
};

void store_ws_init(struct store_ws *w);
void store_ws_deinit(struct store_ws *w);

/* Put string value 'val'/'vlen' with absolute expiry 'expire_ms' (0: none) at key 'k' of
 * 'db', whose state before is '*st'. */
void store_ws_put(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st,
                  const void *val, size_t vlen, int64_t expire_ms);

/* Delete key 'k' of 'db', whose state before is '*st' (nothing happens if it does not
 * exist). */
void store_ws_del(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st);

/* Write the set to RocksDB (syncing per appendfsync), then, key by key under the
 * shard's write lock, update the index entry and the cache (the new value replaces the
 * cached one, or a delete drops it: write-through), and adjust the counters. Returns
 * STORE_OK, or the RocksDB error with nothing changed (the cache included). An empty set
 * writes nothing. */
int store_ws_commit(struct store *s, struct store_ws *w);

/* The SCAN cursor table (scan.c): made by store_open(), freed by store_close(). */
struct scan_table *scan_table_new(void);
void scan_table_free(struct scan_table *t);

/* Test hook (STYLE.md 2.11): the next RocksDB call of kind 'op' fails with 'rc'
 * (STORE_ERR_IO, or STORE_ERR_CORRUPT, which makes the store read-only), through the
 * same error path as a real failure. Arming a read error also empties the value cache,
 * so that the next value read does reach RocksDB. */
void store_test_fail_next(struct store *s, enum rocks_op op, int rc);

/* Wrap stored value 'buf'/'n' (header included, from rocks_get; takes ownership) as a
 * store_val expiring at 'expire_ms' (store.c). */
struct store_val *store_val_wrap(char *buf, size_t n, int64_t expire_ms);

/* Wrap cache item 'it' as a store_val without copying (store.c); takes over the
 * caller's pin, which store_val_release() drops. */
struct store_val *store_val_of_item(struct cache_item *it);

#endif
