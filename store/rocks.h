/* rocks.h - the one wrapper around RocksDB's C API (module-private to store/). It opens
 * the database with omenkv's tuning, and turns every RocksDB error into a store code:
 * each error is logged once with its context, freed, counted, and a corruption switches
 * the database to read-only (every later write fails with STORE_ERR_CORRUPT). A failed
 * write to the log makes every later write fail (STORE_ERR_IO) until rocks_reopen().
 *
 * Threads: every function may be called from any thread at once, except that
 * rocks_close() must run alone and rocks_reopen() with no other call in flight but
 * rocks_checkpoint(), rocks_disk_bytes(), rocks_compact_all(), rocks_stats_get() and
 * rocks_test_fail_next() (the store calls the rest under its 'excl' lock, which the
 * reopen holds as writer). A batch or an iterator belongs to one thread. */
#ifndef OMK_STORE_ROCKS_H
#define OMK_STORE_ROCKS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct rocks;
struct rocks_batch;
struct rocks_iter;

/* The column families (format.h): every top-level key, the elements of split
 * collections, and the store's own records. */
enum rocks_cf {
    ROCKS_CF_KEYS = 0,  /* "default" */
    ROCKS_CF_ELEMS = 1, /* "elements" */
    ROCKS_CF_META = 2,  /* "meta" */
    ROCKS_CF_COUNT_
};

/* The element filter's question (rocks.c, HOW DEAD ELEMENTS LEAVE THE DISK): 1 if
 * collection id 'id' may still have elements in use, 0 if its records can go. Called
 * from RocksDB's compaction threads; must not call into RocksDB. */
typedef int rocks_live_fn(void *arg, uint64_t id);

/* Operations whose next error a test can inject (rocks_test_fail_next). */
enum rocks_op {
    ROCKS_OP_GET = 0,  /* rocks_get, rocks_get_prefix */
    ROCKS_OP_WRITE,    /* rocks_write */
    ROCKS_OP_ITER,     /* rocks_iter_status */
    ROCKS_OP_SYNC,     /* rocks_flush_wal */
    ROCKS_OP_COUNT_
};

/* Open (creating if missing) the database in c->dir with the tuning of 'c' (bloom
 * bits, LRU block cache, cached and L0-pinned index/filter blocks, block size, write
 * buffer, background jobs) and RocksDB's paranoid checks. First, with c->repair, repair
 * it (RepairDB); then check its logs and its clean-shutdown record as c->wal_recovery
 * says (recover.c), logging what the open will drop. Returns STORE_OK and '*out', or
 * STORE_ERR_CORRUPT (damage the policy refuses) or STORE_ERR_IO, with a message in 'err'
 * (errlen bytes, NUL-terminated) naming the file and the way to force the open. */
int rocks_open(const struct store_config *c, rocks_live_fn *live, void *live_arg,
               struct rocks **out, char *err, size_t errlen);

/* Close the database and free 'r'. Nothing else may use 'r' meanwhile. NULL: no-op.
 * If every write it took is in the log, records the clean shutdown for the next open. */
void rocks_close(struct rocks *r);

/* Whether the data directory would take a reopen now: a file can be created, written and
 * synced there, the space a reopen needs (about the logs' size) can be allocated, and
 * the file descriptors it needs (one per SST file, and some) are free. STORE_OK, or
 * STORE_ERR_IO with the reason in 'why' (whylen bytes). Any thread. */
int rocks_probe(struct rocks *r, char *why, size_t whylen);

/* Refuse every write from now on (STORE_ERR_IO), as after a failed log write, until
 * rocks_reopen() succeeds; 'why' goes to the log line that says so (once). */
void rocks_refuse(struct rocks *r, const char *why);

/* After a failed log write: check the logs (a torn tail is dropped, with a warning),
 * close the database and open it again read-write, so that writes are accepted again.
 * What never reached the log is gone from RocksDB after this: the caller must bring
 * what it keeps in RAM back in line when '*reopened' is 1 (the database was reopened,
 * read-write or read-only). Returns STORE_OK (writes accepted again); STORE_ERR_CORRUPT
 * (damage beyond a torn tail: the database stays open as it was, now read-only); or
 * STORE_ERR_IO (it could not be opened read-write: it is open read-only if RocksDB could
 * read it, else closed, every call failing, until the next attempt), with a message in
 * 'err'. See the thread rule above. */
int rocks_reopen(struct rocks *r, int *reopened, char *err, size_t errlen);

/* Point read of 'key'/'klen'. STORE_OK with the whole value in '*val'/'*vlen' (returns
 * memory freed with rocks_free()), STORE_NOTFOUND, or an error. */
int rocks_get(struct rocks *r, const char *key, size_t klen, char **val, size_t *vlen);

/* Point read that copies only the first min(cap, value length) bytes of the value into
 * 'buf' and its full length into '*vlen' (the value stays pinned in RocksDB, not copied
 * whole). STORE_OK, STORE_NOTFOUND or an error. */
int rocks_get_prefix(struct rocks *r, const char *key, size_t klen, char *buf, size_t cap,
                     size_t *vlen);

/* rocks_get() in column family 'cf'. */
int rocks_get_cf(struct rocks *r, enum rocks_cf cf, const char *key, size_t klen, char **val,
                 size_t *vlen);

/* Read the values of the 'n' keys 'keys'/'klens' of the default column family in one
 * RocksDB MultiGet (index and filter blocks looked up once per batch, data blocks read
 * together). For each key i, rcs[i] is STORE_OK with the value in vals[i]/vlens[i]
 * (memory freed with rocks_free()), STORE_NOTFOUND, or an error (logged once per key).
 * The values are those of one instant (RocksDB takes one snapshot for the batch). */
#define ROCKS_MULTI_GET_INLINE 64 /* batches up to this size allocate nothing of their own */
void rocks_multi_get(struct rocks *r, size_t n, const char *const *keys, const size_t *klens,
                     char **vals, size_t *vlens, int *rcs);

/* Free a value returned by rocks_get(). NULL: no-op. */
void rocks_free(void *p);

/* A write batch: applied atomically by rocks_write(). Every function copies its
 * arguments, which the caller keeps. */
struct rocks_batch *rocks_batch_new(void);
void rocks_batch_free(struct rocks_batch *b);
/* Put 'key' -> 'hdr'/'hlen' followed by 'payload'/'plen' (no copy into one buffer). */
void rocks_batch_put(struct rocks_batch *b, const char *key, size_t klen, const void *hdr,
                     size_t hlen, const char *payload, size_t plen);
void rocks_batch_delete(struct rocks_batch *b, const char *key, size_t klen);
/* Put / delete in column family 'cf' ('r' names the column families). */
void rocks_batch_put_cf(struct rocks *r, struct rocks_batch *b, enum rocks_cf cf, const char *key,
                        size_t klen, const char *val, size_t vlen);
void rocks_batch_delete_cf(struct rocks *r, struct rocks_batch *b, enum rocks_cf cf,
                           const char *key, size_t klen);
/* Keep a copy of every change made to 'b' from now on (call it while 'b' is empty), so
 * that rocks_tx_add() can take them: a batch of a thread in a transaction. */
void rocks_batch_record(struct rocks_batch *b);
/* Delete every key k with 'begin' <= k < 'end'. */
void rocks_batch_delete_range(struct rocks_batch *b, const char *begin, size_t blen,
                              const char *end, size_t elen);
/* The same in column family 'cf'. One range tombstone, whatever the number of keys it
 * covers; but until a compaction drops them every read of the range steps over the
 * tombstones there, so they suit large ranges, not one per small delete. Not for a
 * recording batch (a transaction's index takes no range deletion: see below). */
void rocks_batch_delete_range_cf(struct rocks *r, struct rocks_batch *b, enum rocks_cf cf,
                                 const char *begin, size_t blen, const char *end, size_t elen);
/* 1 if 'b' records its changes for a transaction (rocks_batch_record), else 0. */
int rocks_batch_recording(const struct rocks_batch *b);

/* Apply 'b' atomically: into the memtable (readers see it once this returns) and into
 * the WAL's buffer in this process (the WAL is flushed by hand: manual_wal_flush). It
 * reaches the log file only with the next rocks_flush_wal(), which covers every write
 * whose sequence number rocks_latest_seq() reported before it started. STORE_OK, or
 * STORE_ERR_CORRUPT at once when the database is read-only, STORE_ERR_IO at once while
 * writes are refused (a failed log write, until rocks_reopen), or an error. */
int rocks_write(struct rocks *r, struct rocks_batch *b);

/* Report each rocks_write() that takes 1 ms or more to 'fn' (STORE_LAT_WRITE_STALL);
 * NULL: none, and no clock is read. Any thread. */
void rocks_set_latency(struct rocks *r, store_latency_fn *fn);

/* The sequence number of the newest write readers can see. A reopen may make it go
 * down: the writes that never reached the log are gone. */
uint64_t rocks_latest_seq(struct rocks *r);

/* The path of table file number 'table' (RocksDB names it <dir>/%06llu.sst), or with
 * 'table' 0 of RocksDB's IDENTITY file (the database's id, fixed at its creation), into
 * 'buf'. */
void rocks_file_path(const struct rocks *r, uint64_t table, char *buf, size_t cap);

/* Let RocksDB compact again: rocks_open() opens with automatic compactions off, so that
 * none runs while the store loads its index at a start (a compaction that the last
 * writes left pending took a core from the load: bench/README.md). Called once, after
 * the load; a later rocks_reopen() opens with them on. */
void rocks_compactions_start(struct rocks *r);

/* Stop RocksDB's flushes and compactions for good, waiting for the running ones (they
 * stop early, their output dropped): its files stay as they are until rocks_close().
 * Only when closing. */
void rocks_quiesce(struct rocks *r);

/* A table file of one column family: <dir>/<number as %06llu>.sst, 'size' bytes. */
struct rocks_table_file {
    uint64_t number;
    uint64_t size;
};

/* The table files of column family 'cf' that RocksDB uses now, into '*out' (omk_free)
 * and '*n'. STORE_OK, or STORE_ERR_IO while RocksDB is closed. */
int rocks_table_files(struct rocks *r, enum rocks_cf cf, struct rocks_table_file **out,
                      size_t *n);

/* Hand the WAL buffer to the OS (after which a crash of the process loses nothing),
 * and with 'sync' also sync it to disk. STORE_OK or an error. After a failed flush every
 * later one fails at once (STORE_ERR_IO), and so does every write, until rocks_reopen():
 * RocksDB 7.8's WAL writer keeps the error (and Debian's build asserts on it). */
int rocks_flush_wal(struct rocks *r, int sync);

/* Compact every key range of every column family now (tests: makes the compaction
 * filters run). */
void rocks_compact_all(struct rocks *r);

/* Compact the keys 'begin' <= k < 'end' of column family 'cf' now (waits for it). */
void rocks_compact_range(struct rocks *r, enum rocks_cf cf, const char *begin, size_t blen,
                         const char *end, size_t elen);

/* Write a consistent copy of the database to the new directory 'path' (it must not
 * exist): SST files hard-linked, the memtable flushed into it. STORE_OK or an error. */
int rocks_checkpoint(struct rocks *r, const char *path);

/* An iterator over a consistent snapshot, bounded above by 'upper'/'ulen' exclusive
 * (copied; NULL: no bound). 'bulk' marks a long walk: it reads ahead and does not fill
 * the block cache. Never NULL (while the database is closed it is never valid and its
 * status is an error). Position it with a seek before use. */
struct rocks_iter *rocks_iter_new(struct rocks *r, const char *upper, size_t ulen, int bulk);
/* The same over column family 'cf'. */
struct rocks_iter *rocks_iter_new_cf(struct rocks *r, enum rocks_cf cf, const char *upper,
                                     size_t ulen, int bulk);
void rocks_iter_free(struct rocks_iter *it);
void rocks_iter_seek(struct rocks_iter *it, const char *key, size_t klen);
void rocks_iter_seek_to_last(struct rocks_iter *it);
int rocks_iter_valid(struct rocks_iter *it);
void rocks_iter_next(struct rocks_iter *it);
/* Step back; position at the last key <= 'key' (walks toward lower keys: a bound above
 * does not apply to them, callers check keys). */
void rocks_iter_prev(struct rocks_iter *it);
void rocks_iter_seek_for_prev(struct rocks_iter *it, const char *key, size_t klen);
/* The current key / value; valid until the iterator moves or is freed. */
const char *rocks_iter_key(struct rocks_iter *it, size_t *len);
const char *rocks_iter_value(struct rocks_iter *it, size_t *len);
/* After the walk (the iterator no longer valid): STORE_OK if it ended at the data's end,
 * or the error that ended it. */
int rocks_iter_status(struct rocks_iter *it);

/* Counters kept by this layer. */
struct rocks_stats {
    uint64_t reads;     /* point reads */
    uint64_t writes;    /* write batches applied */
    uint64_t io_errors; /* errors seen (each logged once) */
    int read_only;      /* 1 after a corruption error */
    int write_failed;   /* 1 while the last write failed (a full disk, say) */
    int refusing;       /* 1 while writes are refused, after a failed log write */
    int64_t refused_ms; /* Unix ms when the refusal began, 0: none */
    uint64_t resumes;   /* reopens that ended a refusal */
};
void rocks_stats_get(struct rocks *r, struct rocks_stats *out);

/* RocksDB's statistics and block cache figures (store_rocks_stats_get()); zeros for what
 * it cannot give (the database closed). Costs a formatting of every RocksDB ticker:
 * for INFO, not for a hot path. May run beside rocks_reopen(). */
void rocks_counters_get(struct rocks *r, struct store_rocks_stats *out);

/* Bytes of SST files plus memtables, as RocksDB reports them (0 if it cannot): of every
 * column family, or of 'cf'. */
uint64_t rocks_disk_bytes(struct rocks *r);
uint64_t rocks_cf_bytes(struct rocks *r, enum rocks_cf cf);

/* Test hook: the next call of 'op' fails as if RocksDB had returned an I/O error
 * ('rc' STORE_ERR_IO) or a corruption ('rc' STORE_ERR_CORRUPT), through the same
 * error path as a real one. */
void rocks_test_fail_next(struct rocks *r, enum rocks_op op, int rc);

/* A transaction: batches added to it are written to RocksDB as one batch (one WAL record:
 * all or nothing in the log) by rocks_tx_write(); until then rocks_tx_get() reads through
 * them. Only puts and deletes (no range deletes) may be in the batches added. */
struct rocks_tx;
struct rocks_tx *rocks_tx_new(void);
void rocks_tx_free(struct rocks_tx *t); /* NULL: no-op */

/* Add the puts and deletes of recording batch 'b' (rocks_batch_record; copied, 'b' is not
 * changed). */
void rocks_tx_add(struct rocks *r, struct rocks_tx *t, struct rocks_batch *b);

/* rocks_get() / rocks_get_cf() as if the transaction's batches were already written. */
int rocks_tx_get(struct rocks *r, struct rocks_tx *t, const char *key, size_t klen, char **val,
                 size_t *vlen);
int rocks_tx_get_cf(struct rocks *r, struct rocks_tx *t, enum rocks_cf cf, const char *key,
                    size_t klen, char **val, size_t *vlen);

/* An iterator over column family 'cf' that sees the transaction's changes over the
 * database's: the upper bound holds for the database's keys only (check keys). */
struct rocks_iter *rocks_tx_iter_new(struct rocks *r, struct rocks_tx *t, enum rocks_cf cf,
                                     const char *upper, size_t ulen);

/* Write what was added since the last write as one batch, as rocks_write() does (nothing
 * to write: STORE_OK); the transaction is then empty and may take more. */
int rocks_tx_write(struct rocks *r, struct rocks_tx *t);

#endif
