/* store_internal.h - what store.c and scan.c share, and test hooks. Module-private:
 * tests/unit may include it, other modules may not. */
#ifndef OMK_STORE_STORE_INTERNAL_H
#define OMK_STORE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

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
};

/* The SCAN cursor table (scan.c): made by store_open(), freed by store_close(). */
struct scan_table *scan_table_new(void);
void scan_table_free(struct scan_table *t);

/* Test hook (STYLE.md 2.11): the next RocksDB call of kind 'op' fails with 'rc'
 * (STORE_ERR_IO, or STORE_ERR_CORRUPT, which makes the store read-only), through the
 * same error path as a real failure. */
void store_test_fail_next(struct store *s, enum rocks_op op, int rc);

#endif
