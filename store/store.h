/* store.h - the keyspace: every command's data goes through this API. It hides
 * RocksDB (durability, values on disk), expiry and the per-key locks that make each
 * call atomic. It knows nothing of RESP or sockets.
 *
 * Threads: every function may be called from any worker thread at once. Each call is
 * atomic with respect to the keys it names (stripe locks inside); store_flush() is
 * exclusive. No function blocks on anything but RocksDB I/O.
 *
 * Caveats: a SCAN cursor names a resume key kept server-side; keys present for the
 * whole iteration come back at least once, a key may come back twice. */
#ifndef OMK_STORE_STORE_H
#define OMK_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/omk.h"

struct store;

/* Status codes: 0 OK, > 0 expected outcomes, < 0 errors. */
enum store_rc {
    STORE_OK = 0,
    STORE_NOTFOUND = 1,      /* no such key (or it has expired) */
    STORE_NOTSET = 2,        /* a NX/XX condition refused the write */
    STORE_ERR_IO = -1,       /* RocksDB failed; details are in the log */
    STORE_ERR_CORRUPT = -2,  /* RocksDB reports corruption; the store is now read-only */
    STORE_ERR_CURSOR = -3,   /* SCAN cursor unknown or evicted */
    STORE_ERR_VALUE = -4,    /* a stored value could not be decoded */
};

/* Name of a status code, for logs ("not found", "I/O error", ...). */
const char *store_strerror(int rc);

enum store_fsync {
    STORE_FSYNC_NO = 0,       /* leave WAL syncing to the OS */
    STORE_FSYNC_EVERYSEC = 1, /* sync the WAL once a second from a background thread */
    STORE_FSYNC_ALWAYS = 2,   /* sync the WAL before each write returns */
};

struct store_config {
    const char *dir;            /* data directory (created if missing); borrowed */
    int databases;              /* number of logical databases, 1..256 */
    enum store_fsync fsync;
    size_t block_cache_bytes;   /* RocksDB LRU block cache */
    int bloom_bits_per_key;     /* 0 disables the bloom filter */
    size_t block_size;          /* bytes */
    size_t write_buffer_bytes;  /* memtable size */
    int max_background_jobs;    /* flush + compaction threads */
};

/* Fill '*c' with the defaults DESIGN.md names (16 KB blocks, 10 bloom bits, ...). */
void store_config_defaults(struct store_config *c);

/* Open (or create) the store in c->dir and count its keys. Returns STORE_OK and
 * '*out', or an error with a message in 'err' (errlen bytes, NUL-terminated). */
int store_open(const struct store_config *c, struct store **out, char *err, size_t errlen);

/* Sync the WAL, stop background threads, close RocksDB and free 's'. NULL is a no-op. */
void store_close(struct store *s);

/* Change the fsync policy at run time (CONFIG SET appendfsync). */
void store_set_fsync(struct store *s, enum store_fsync f);

/* A value handed to a reply. 'data'/'len' are the value bytes; 'expire_ms' its absolute
 * expiry (0: none). Owned by the caller until store_val_release(). */
struct store_val {
    const char *data;
    size_t len;
    int64_t expire_ms;
    void *priv_; /* the store's: the buffer to free */
};

/* Release a value returned by the store. NULL is a no-op. */
void store_val_release(struct store_val *v);

/* Same, in the shape of libevent's evbuffer_ref_cleanup_cb ('extra' is the value),
 * so a large value can be added to an evbuffer by reference. */
void store_val_release_cb(const void *data, size_t datalen, void *extra);

/* GET: STORE_OK with '*out' (release it), STORE_NOTFOUND, or an error. An expired
 * key is deleted on the way (lazy expiry) and reported as not found. */
int store_get(struct store *s, int db, struct omk_slice key, struct store_val **out);

/* Flags for store_set(). */
#define STORE_SET_NX 0x1      /* only if the key does not exist */
#define STORE_SET_XX 0x2      /* only if the key exists */
#define STORE_SET_KEEPTTL 0x4 /* keep the existing expiry ('expire_ms' ignored) */
#define STORE_SET_GET 0x8     /* return the previous value in '*old' */

/* SET 'key' to 'val' with absolute expiry 'expire_ms' (0: none; a time already past
 * deletes the key, as Redis does). Returns STORE_OK when written, STORE_NOTSET when
 * NX/XX refused, or an error. With STORE_SET_GET, '*old' receives the previous value
 * or NULL (also when NOTSET); otherwise 'old' may be NULL. */
int store_set(struct store *s, int db, struct omk_slice key, struct omk_slice val, int flags,
              int64_t expire_ms, struct store_val **old);

/* MSET: write 'npairs' key/value pairs (kv[0]=key, kv[1]=value, ...) in one atomic
 * batch, clearing their expiries. STORE_OK or an error. */
int store_mset(struct store *s, int db, const struct omk_slice *kv, size_t npairs);

/* DEL: STORE_OK if the key existed and was removed, STORE_NOTFOUND, or an error. */
int store_del(struct store *s, int db, struct omk_slice key);

/* EXISTS: STORE_OK, STORE_NOTFOUND or an error. */
int store_exists(struct store *s, int db, struct omk_slice key);

/* Number of keys in 'db' (keys whose expiry passed but were not yet removed count,
 * as in Redis). O(1). */
uint64_t store_dbsize(struct store *s, int db);

/* Number of keys in 'db' that have an expiry. O(1). */
uint64_t store_db_expires(struct store *s, int db);

/* FLUSHDB ('db' >= 0) or FLUSHALL ('db' == -1). Exclusive: waits for running calls. */
int store_flush(struct store *s, int db);

/* Called once per key by store_scan() and store_keys(); 'key' is valid only during
 * the call. It runs inside the store's shared lock, so it must not call the store. */
typedef void store_key_cb(void *arg, const char *key, size_t klen);

/* SCAN: examine up to 'count' keys of 'db' in key order, starting after the position
 * that 'cursor' names (0: the beginning), and call 'cb' for those that match glob
 * 'pat' ('pat' NULL: all) and have not expired. Writes the cursor to return in
 * '*next' (0: the iteration is complete). A pattern with a literal prefix seeks
 * straight to it and ends past it. Returns STORE_OK, STORE_ERR_CURSOR for a cursor
 * the server does not know (never made, or evicted), or an error. */
int store_scan(struct store *s, int db, uint64_t cursor, const char *pat, size_t plen,
               size_t count, store_key_cb *cb, void *arg, uint64_t *next);

/* KEYS: call 'cb' for every live key of 'db' matching 'pat', in key order. */
int store_keys(struct store *s, int db, const char *pat, size_t plen, store_key_cb *cb, void *arg);

/* Counters for INFO. */
struct store_stats {
    uint64_t rocks_reads;      /* RocksDB point reads (Get) */
    uint64_t rocks_writes;     /* RocksDB write batches */
    uint64_t expired_keys;     /* keys removed because their time passed */
    uint64_t wal_syncs;        /* explicit WAL syncs (everysec thread) */
    uint64_t io_errors;        /* RocksDB errors seen */
    int64_t last_sync_ms;      /* wall-clock ms of the last WAL sync, 0 if none */
    int64_t open_ms;           /* time store_open() took to count the keys */
    int read_only;             /* 1 after a corruption error */
};

void store_stats_get(struct store *s, struct store_stats *out);

/* Bytes RocksDB reports for SST files plus memtables (INFO persistence/memory). */
uint64_t store_disk_bytes(struct store *s);

/* Self-check (for tests and DEBUG): walk every stored key and verify that each value
 * header decodes, that each key belongs to a configured database, and that the per-db
 * key and expiry counters equal what the walk counted. Exclusive, like store_flush(),
 * and O(number of keys). Returns STORE_OK, STORE_ERR_VALUE with the first fault
 * described in 'err' (errlen bytes, NUL-terminated), or an I/O error. */
int store_check(struct store *s, char *err, size_t errlen);

#endif
