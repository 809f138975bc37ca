/* store.h - the keyspace: every command's data goes through this API. It hides
 * RocksDB (durability, values on disk), expiry and the per-key locks that make each
 * call atomic. It knows nothing of RESP or sockets.
 *
 * Threads: every function may be called from any worker thread at once. Each call is
 * atomic with respect to the keys it names (stripe locks inside); store_flush() is
 * exclusive. No function blocks on anything but RocksDB I/O.
 *
 * Caveats: a SCAN cursor carries or names a resume point (see the SCAN section for
 * what an iteration promises); store_flush() waits for every call in flight. */
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
    STORE_WRONGTYPE = 3,     /* the key holds a value of another type (nothing changed) */
    STORE_ERR_IO = -1,       /* RocksDB failed; details are in the log */
    STORE_ERR_CORRUPT = -2,  /* RocksDB reports corruption; the store is now read-only */
    STORE_ERR_CURSOR = -3,   /* SCAN cursor unknown or evicted */
    STORE_ERR_VALUE = -4,    /* a stored value could not be decoded */
    STORE_ERR_BUSY = -5,     /* a checkpoint is already being written */
};

/* Name of a status code, for logs ("not found", "I/O error", ...). */
const char *store_strerror(int rc);

/* The types of value a key holds (the numbers are format.h's type byte). */
enum store_type {
    STORE_TYPE_STRING = 0,
    STORE_TYPE_HASH = 1,
    STORE_TYPE_LIST = 2,
    STORE_TYPE_SET = 3,
    STORE_TYPE_ZSET = 4,
};

/* The name TYPE gives 'type' ("string", "hash", "list", "set", "zset"); static. */
const char *store_type_name(int type);

/* When a collection leaves the encoding Redis 7.0 calls compact (OBJECT ENCODING: a
 * hash's "listpack" becomes "hashtable", a set's "intset" becomes "hashtable"), by
 * Redis' option names and 7.0 defaults; once left, never taken back. Separately, how
 * big (in bytes) a collection may grow while omenkv keeps it in one record ("inline")
 * before it splits it into one record per element: our own layout, invisible to
 * clients but for speed. */
struct store_coll_limits {
    uint64_t hash_max_listpack_entries; /* default 512 */
    uint64_t hash_max_listpack_value;   /* default 64 (bytes of a field or a value) */
    uint64_t set_max_intset_entries;    /* default 512 */
    uint64_t zset_max_listpack_entries; /* default 128 */
    uint64_t zset_max_listpack_value;   /* default 64 (bytes of a member) */
    uint64_t inline_max_bytes;          /* collection-inline-max-bytes: default
                                         * STORE_INLINE_MAX_DEFAULT */
    uint64_t fragment_threshold;        /* string-fragment-threshold: strings longer
                                         * than this are stored in fragments; default
                                         * STORE_FRAG_THRESHOLD_DEFAULT, at least
                                         * STORE_FRAG_THRESHOLD_MIN */
};

#define STORE_INLINE_MAX_DEFAULT 1024
#define STORE_FRAG_THRESHOLD_DEFAULT 16384
#define STORE_FRAG_THRESHOLD_MIN 256
#define STORE_FRAG_THRESHOLD_MAX (64u << 20)

enum store_fsync {
    STORE_FSYNC_NO = 0,       /* leave WAL syncing to the OS */
    STORE_FSYNC_EVERYSEC = 1, /* sync the WAL once a second from a background thread */
    STORE_FSYNC_ALWAYS = 2,   /* sync the WAL before each write returns */
};

/* Where the store's log lines go: 'warning' is 1 for a problem (a RocksDB error), 0 for
 * progress (loading the index). Called from any of the store's threads. */
typedef void store_log_fn(int warning, const char *msg);

/* Called after every committed change of a key, with 'db' and the user key (WATCH uses
 * it): under the key's stripe lock, no index lock held. 'key' NULL means every key of
 * 'db' ('db' -1: of every database: FLUSHALL). 'created' is the type (enum store_type)
 * of a list or sorted set the change created (the key held nothing live, or another
 * type, before: what Redis signals to blocked clients), else -1. Must be quick and must
 * not call the store. */
typedef void store_touch_fn(int db, const char *key, size_t klen, int created);

/* What the event hook reports (keyspace notifications). */
enum store_event {
    STORE_EVENT_EXPIRED = 1, /* a key whose time had passed was removed or replaced: by a
                              * lookup (lazy) or by the active-expiry thread */
    STORE_EVENT_CREATED = 2, /* a write gave a key that held nothing live a value */
};

/* Called from the commit of every change as store_touch_fn is (same thread, same locks,
 * same rules), before it, for each event 'what' (enum store_event) of key 'key'/'klen'
 * of 'db'; an expired key replaced by a write reports EXPIRED then CREATED. */
typedef void store_event_fn(int db, const char *key, size_t klen, int what);

/* What the store does at open with a damaged write-ahead log (rocksdb-wal-recovery-mode).
 * Whatever the mode, each damage dropped is logged, naming the file and the bytes; after
 * a clean shutdown no log may be torn or shorter than the shutdown left it (mode TAIL and
 * ABSOLUTE refuse; POINT_IN_TIME and SKIP_ANY warn), and a MANIFEST that changed since
 * refuses to open in every mode (store_config.repair rebuilds it). */
enum store_wal_recovery {
    STORE_WAL_TAIL = 0,          /* drop a torn tail of the newest log, which a crash or a
                                  * write that failed on a full disk leaves; refuse any
                                  * other damage */
    STORE_WAL_ABSOLUTE = 1,      /* refuse any damage, a torn tail too */
    STORE_WAL_POINT_IN_TIME = 2, /* replay up to the first damage, drop all after it */
    STORE_WAL_SKIP_ANY = 3,      /* drop the damaged records only, replay the rest */
};

/* How RocksDB compresses its table blocks (store_config.compression). A kind this build
 * of librocksdb lacks makes store_open() fail with RocksDB's message, never a silent
 * fallback. */
enum store_compression {
    STORE_COMPRESSION_NONE = 0,
    STORE_COMPRESSION_SNAPPY = 1, /* RocksDB's own default */
    STORE_COMPRESSION_LZ4 = 2,
    STORE_COMPRESSION_ZSTD = 3,
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
    int max_open_files;         /* table files RocksDB keeps open (>= 20; -1: every one) */
    enum store_compression compression; /* table blocks; default STORE_COMPRESSION_SNAPPY */
    int direct_reads;           /* 1: reads of table files bypass the page cache (O_DIRECT) */
    int direct_io_background;   /* 1: flushes and compactions bypass it too */
    int mmap_reads;             /* 1: table files are read through memory maps (no read
                                 * call, no copy, data blocks not in the block cache);
                                 * refused by RocksDB together with direct_reads */
    int statistics;             /* 1: RocksDB keeps its statistics (block cache hits and
                                 * misses, file reads; store_rocks_stats_get), at a CPU
                                 * cost on every RocksDB read; default 0 */
    size_t maxmemory;           /* value cache budget, bytes, every byte of it counted;
                                 * 0: STORE_CACHE_DEFAULT_PCT % of the machine's RAM; a
                                 * budget below one item (1 byte, say) disables the cache */
    size_t cache_max_value;     /* longer values (bytes) bypass the cache */
    enum store_wal_recovery wal_recovery; /* a damaged log at open; default STORE_WAL_TAIL */
    int repair;                 /* 1: before opening, rebuild the MANIFEST from every
                                 * readable file (RocksDB's RepairDB), moving unreadable
                                 * files to <dir>/lost; default 0 */
    struct store_coll_limits coll; /* encodings of hashes and sets (defaults above) */
    store_log_fn *log;          /* NULL (the default): lines go to stderr */
    store_touch_fn *touched;    /* NULL (the default): nobody is told */
    int access_policy;          /* store_set_access_policy()'s (STORE_ACCESS_CLOCK) */
    unsigned lfu_log_factor;    /* its lfu-log-factor (default 10) */
    unsigned lfu_decay_time;    /* its lfu-decay-time, minutes (default 1) */
    store_event_fn *evented;    /* NULL (the default): nobody is told */
    int index_file;             /* 1: a clean store_close() writes the key index to
                                 * <dir>/index.omk and the next store_open() reads it
                                 * instead of every key of RocksDB when it matches
                                 * (store/index_file.c); default 0 */
};

#define STORE_CACHE_DEFAULT_PCT 25 /* % of physical RAM that maxmemory 0 gives the cache */
#define STORE_CACHE_MAX_VALUE_DEFAULT ((size_t)1 << 20) /* cache_max_value: 1 MB */

/* Fill '*c' with the defaults DESIGN.md names (16 KB blocks, 10 bloom bits, ...). */
void store_config_defaults(struct store_config *c);

/* Open (or create) the store in c->dir and count its keys. Returns STORE_OK and
 * '*out', or an error with a message in 'err' (errlen bytes, NUL-terminated):
 * STORE_ERR_CORRUPT when damaged files refuse the open (the message says which, and how
 * to force it: store_config.wal_recovery, store_config.repair). */
int store_open(const struct store_config *c, struct store **out, char *err, size_t errlen);

/* Sync the WAL, stop background threads, close RocksDB and free 's'. NULL is a no-op. */
void store_close(struct store *s);

/* Change the fsync policy at run time (CONFIG SET appendfsync). */
void store_set_fsync(struct store *s, enum store_fsync f);

/* Change the value cache's budget at run time (CONFIG SET maxmemory), with the meaning
 * of store_config.maxmemory (0: the default share of RAM). A smaller budget takes effect
 * before this returns: the cache evicts until it fits. */
void store_set_maxmemory(struct store *s, size_t maxmemory);

/* Change the size above which values bypass the cache (cache_max_value). Values cached
 * already stay until evicted or rewritten. */
void store_set_cache_max_value(struct store *s, size_t bytes);

/* Change the collection limits at run time (CONFIG SET hash-max-listpack-entries ...).
 * A collection's encoding changes by the new limits at its next write. */
void store_set_coll_limits(struct store *s, const struct store_coll_limits *l);
void store_get_coll_limits(struct store *s, struct store_coll_limits *out);

/* The budget that store_config.maxmemory 'maxmemory' gives the cache, in bytes. */
size_t store_cache_budget_of(size_t maxmemory);

/* A value handed to a reply. 'data'/'len' are the value bytes; 'expire_ms' its absolute
 * expiry (0: none). Owned by the caller until store_val_release(); the caller may narrow
 * 'data'/'len' to a part of the value (GETRANGE). The bytes are either a RocksDB read or
 * a value cache item pinned for the caller (no copy): eviction or a new value of the key
 * never frees them before the release. */
struct store_val {
    const char *data;
    size_t len;
    int64_t expire_ms;
    void *priv_; /* the store's: the RocksDB buffer to free, or the pinned cache item */
    int cached_; /* the store's: 1 when 'priv_' is a cache item */
};

/* Release a value returned by the store. NULL is a no-op. */
void store_val_release(struct store_val *v);

/* Same, in the shape of libevent's evbuffer_ref_cleanup_cb ('extra' is the value),
 * so a large value can be added to an evbuffer by reference. */
void store_val_release_cb(const void *data, size_t datalen, void *extra);

/* ---- Whole databases and the store's state (store/store.c) ------------------------ */

/* Number of keys in 'db' (keys whose expiry passed but were not yet removed count,
 * as in Redis). O(1). */
uint64_t store_dbsize(struct store *s, int db);

/* Number of keys in 'db' that have an expiry. O(1). */
uint64_t store_db_expires(struct store *s, int db);

/* Compact every column family now, waiting for it (DEBUG COMPACT, tests): records of
 * dead collections and payloads of expired keys go. Any thread, no store lock held. */
void store_compact(struct store *s);

/* FLUSHDB ('db' >= 0) or FLUSHALL ('db' == -1). Exclusive: waits for running calls. */
int store_flush(struct store *s, int db);

/* SWAPDB: exchange the contents of databases 'a' and 'b' (both configured) in O(1): a
 * database number names its keys through a map (logical db -> the db byte RocksDB keys
 * carry), and this exchanges two of its entries, in RAM and in RocksDB's meta family
 * with one write, so a restart keeps the swap and a crash keeps it all or not at all
 * (store/dbmap.c). Exclusive: waits for running calls; every later call sees the
 * swapped databases. 'a' == 'b' changes nothing. STORE_OK or the log's error (nothing
 * changed). Nobody is told (the touch hook is not called): the caller tells WATCH and
 * blocked clients what it must. */
int store_swapdb(struct store *s, int a, int b);

/* ---- Access tracking: OBJECT IDLETIME and OBJECT FREQ (store/access.c) -----------
 * Each key carries Redis' 24-bit access field in its index entry: under an LRU policy a
 * clock (the Unix time in seconds of its last access, modulo 2^24: 194 days), under an
 * LFU one the minute of its last decrement and Redis' 8-bit logarithmic counter, which
 * decays by one per lfu-decay-time minutes. Keys created, or loaded at start-up, get the
 * clock now or LFU's initial count 5. A lookup made by a call that counts as an access
 * (every keyed call but EXISTS, TYPE, TTL and OBJECT's) updates it, writing the entry
 * only when the field changes. */

/* What the access fields serve (maxmemory-policy, as Redis reads it). */
enum store_access_policy {
    STORE_ACCESS_CLOCK = 0, /* clocks; no eviction policy uses them (noeviction, random,
                             * volatile-ttl): a DEBUG RELOAD starts them afresh */
    STORE_ACCESS_LRU = 1,   /* clocks, kept across DEBUG RELOAD (Redis' RDB has them) */
    STORE_ACCESS_LFU = 2,   /* LFU counters, kept across DEBUG RELOAD */
};

/* The policy (enum store_access_policy), lfu-log-factor and lfu-decay-time (minutes, 0:
 * no decay). A change between clocks and counters re-reads the fields already there in
 * the new sense, as Redis does. Any thread. */
void store_set_access_policy(struct store *s, int policy, unsigned lfu_log_factor,
                             unsigned lfu_decay_time);

/* Test hook (DEBUG SHIFT-ACCESS-CLOCK): move the clock access fields are kept and read by
 * 'ms' forward (negative: back), so idle times and decay show without waiting. */
void store_access_shift(struct store *s, int64_t ms);

/* Whether this thread's calls count as accesses of the keys they find ('on' 1: the
 * default is 0; the daemon turns it on around commands, off for OBJECT and CLIENT
 * NO-TOUCH). Thread-local. */
void store_access_set(int on);

/* Counters for INFO. */
struct store_stats {
    uint64_t rocks_reads;      /* RocksDB point reads (Get) */
    uint64_t rocks_writes;     /* RocksDB write batches */
    uint64_t expired_keys;     /* keys removed because their time passed */
    uint64_t reclaims;         /* compactions run for dead split collections */
    int64_t reclaim_last_ms;   /* how long the last one took */
    uint64_t coll_live_ids;    /* split collections and fragmented strings alive (ids in the
                                * live set) */
    uint64_t elem_bytes;       /* element column family: SST files plus memtables */
    uint64_t wal_syncs;        /* explicit WAL syncs (everysec thread) */
    uint64_t io_errors;        /* RocksDB errors seen */
    int64_t last_sync_ms;      /* wall-clock ms of the last WAL sync, 0 if none */
    int64_t open_ms;           /* time store_open() took to count the keys */
    int read_only;             /* 1 after a corruption error */
    int write_failed;          /* 1 while the last write failed (until one succeeds) */
    int writes_refused;        /* 1 while writes are refused after a failed log write,
                                * until the store resumes (commit.c) */
    int64_t refused_since_ms;  /* Unix ms when the refusal began, 0: writes are accepted */
    uint64_t resumes;          /* times writes resumed after a failed log write */
    uint64_t index_keys;       /* keys in the in-RAM index (all databases) */
    uint64_t index_bytes;      /* its nodes, slots and models (not the entries) */
    uint64_t entry_bytes;      /* its entry records (key bytes and metadata) */
    uint64_t entry_arena_bytes; /* entry arena blocks in use (memory mallinfo misses) */
    unsigned index_depth;      /* deepest path from a root to a leaf */
    uint64_t cache_used_bytes; /* value cache: bytes charged (items, headers, malloc) */
    uint64_t cache_maxmemory;  /* its budget, bytes */
    uint64_t cache_items;      /* values it holds */
    uint64_t cache_elements;   /* of which elements of split collections (elemcache.h) */
    uint64_t cache_hits;       /* value reads it served */
    uint64_t cache_misses;     /* value reads that went to RocksDB */
    uint64_t cache_evictions;  /* values it evicted to keep within the budget */
    uint64_t cache_max_value;  /* longer values bypass it, bytes */
    uint64_t scan_cursor_bytes; /* SCAN cursor table: resume points held, bytes */
    uint64_t zrank_bytes;      /* rank blocks of large sorted sets held in RAM, bytes */
    uint64_t zrank_sets;       /* sorted sets they cover */
};

void store_stats_get(struct store *s, struct store_stats *out);

/* Bytes RocksDB reports for SST files plus memtables (INFO persistence/memory). */
uint64_t store_disk_bytes(struct store *s);

/* RocksDB's own counters since start-up (its statistics and block cache), for INFO. The
 * block cache counts index, filter and data blocks apart; a read of a table file is
 * counted whatever asked for it (a Get, an iterator, a compaction, opening a table).
 * Without store_config.statistics the counters from data_hits to get_bytes stay 0; the
 * stall time and the cache figures are kept always. */
struct store_rocks_stats {
    int statistics;                      /* store_config.statistics */
    uint64_t data_hits, data_misses;     /* block cache lookups of data blocks */
    uint64_t index_hits, index_misses;   /* of index blocks (partitions included) */
    uint64_t filter_hits, filter_misses; /* of bloom filter blocks (partitions included) */
    uint64_t bloom_useful;       /* point reads a bloom filter answered "not here" */
    uint64_t file_reads;         /* reads of table files */
    uint64_t file_read_bytes;    /* their bytes */
    uint64_t compact_read_bytes; /* bytes compactions read */
    uint64_t get_bytes;          /* bytes point reads (Get) returned */
    uint64_t stall_micros;       /* microseconds writers waited for flush or compaction
                                  * (RocksDB counts it in ms: a multiple of 1000) */
    uint64_t cache_usage;        /* bytes the block cache holds */
    uint64_t cache_pinned;       /* of which pinned (in use, or L0's index and filters) */
    uint64_t cache_capacity;     /* its budget, bytes */
};
void store_rocks_stats_get(struct store *s, struct store_rocks_stats *out);

/* ---- Stripes kept between writes (store/keyspace.c) ------------------------------------
 * A worker running a client's pipelined writes to one hot key would take and give back
 * the key's stripe once a command, against another worker doing the same. While a thread
 * keeps stripes ('on' 1), each write operation that ends leaves its keys' stripes held,
 * and the thread's next write on the same keys takes them over; a write on other keys
 * gives them back first. The caller must not wait for another thread while it keeps
 * them, except inside store calls (which give them back before they could wait): keep
 * only across plain keyed commands, and give them back before anything else. Thread-local. */

/* Keep ('on' 1) or stop keeping and give back what is kept ('on' 0, the default). */
void store_keep_stripes(int on);

/* Give back the stripes this thread keeps, if any, and go on keeping. Cheap when none. */
void store_keep_release(void);

/* ---- Durability: the write path's commit primitive (store/commit.c) ------------------
 * Every commit appends its batch to RocksDB's WAL buffer in this process. A thread that
 * called store_defer_flush(1) (a worker: daemon/pass.c) leaves it there; it takes a
 * ticket when its event-loop pass ends and calls store_durable() before any reply of
 * the pass leaves, so one log write (one fsync under appendfsync always) covers every
 * command of the pass. Any other thread's commits are durable when they return. The
 * invariants this keeps are listed in commit.c. */

/* This thread's commits wait for store_durable() ('on' 1), or flush at once ('on' 0,
 * the default). Thread-local. */
void store_defer_flush(int on);

/* A ticket covering every write any thread has made visible so far: a reply that read
 * or wrote anything before this call waits for it. Any thread holding no store lock
 * (it waits while a resume reopens RocksDB). */
uint64_t store_ticket(struct store *s);

/* Make every write up to 'ticket' durable as appendfsync says (in the log file; synced
 * too under 'always'). Returns STORE_OK at once when it already is, else after one log
 * write; or an error: the log's, after which every write is refused (reads go on) until
 * the store resumes by itself (commit.c, HOW WRITES RESUME), or STORE_ERR_IO when a
 * resume came between this thread's writes since its last call and this call (they may
 * be gone). Any thread holding no store lock. */
int store_durable(struct store *s, uint64_t ticket);

/* Open a transaction on this thread: until store_tx_end(), every commit of this thread
 * (MULTI/EXEC's commands) gathers into one batch instead of writing, and this thread's
 * reads see it. The caller keeps every other writer of the same keys out meanwhile (EXEC
 * holds the daemon's exclusion). Transactions do not nest. */
void store_tx_begin(struct store *s);

/* Write the transaction's batch to RocksDB in one write (one WAL record: all of it or
 * none survives a crash), then settle it as any commit (a worker: with its pass). Returns
 * STORE_OK or the RocksDB error, or STORE_ERR_IO without writing when a resume reopened
 * RocksDB since store_tx_begin() (it rebuilt RAM without the batch; a commit inside the
 * transaction after it fails the same way); after an error the pass's store_durable()
 * fails too, so that every reply of the pass that reported a write becomes an error.
 * Caller holds no store lock. */
int store_tx_end(struct store *s);

/* The number of batches this thread has committed so far (a command wrote if it changed
 * across the command). Thread-local. */
uint64_t store_thread_commits(void);

/* The number of key changes this thread's commits have signalled so far (WATCH, the touch
 * hook): a quiet write (store_op_quiet: an encoding change Redis does not signal) is a
 * commit but no signal. A command changed a key as Redis signals it if this moved across
 * it. Thread-local. */
uint64_t store_thread_signals(void);

/* Self-check (for tests and DEBUG): walk every stored key and verify that each value
 * header decodes, that each key belongs to a configured database, and that the per-db
 * key and expiry counters equal what the walk counted. Exclusive, like store_flush(),
 * and O(number of keys). Returns STORE_OK, STORE_ERR_VALUE with the first fault
 * described in 'err' (errlen bytes, NUL-terminated), or an I/O error. */
int store_check(struct store *s, char *err, size_t errlen);

/* DEBUG RELOAD: empty the value cache and the index and build them again from what
 * RocksDB holds, as the start does (every applied write is in RocksDB: nothing is lost);
 * the key counters are recounted and watched keys count as changed (SCAN resume points
 * are keys: iterations go on). Exclusive, like store_flush(), and O(number of keys). STORE_OK, or an I/O
 * error with a message in 'err' (errlen bytes), the index and the cache unchanged. */
int store_reload(struct store *s, char *err, size_t errlen);

/* ---- String operations (store/ops_string.c) -----------------------------------------
 * GET, SET, MSET, MSETNX, and the read-modify-writes INCR/DECR[BY], INCRBYFLOAT, APPEND,
 * SETRANGE, STRLEN, GETDEL and GETEX. Each is atomic under the stripes of its keys (held
 * together when there are several), reads the old value at most once and commits one
 * write set. A value they rewrite keeps its expiry unless the call says otherwise; an
 * expired key counts as missing (and is removed on the way). Values are the callers'
 * bytes: binary-safe, not NUL-terminated. */

/* GET: STORE_OK with '*out' (release it), STORE_NOTFOUND, or an error. An expired
 * key is deleted on the way (lazy expiry) and reported as not found. A value the cache
 * holds comes back pinned, without a copy or a RocksDB read; any other is read from
 * RocksDB and, unless longer than cache_max_value, cached on the way. */
int store_get(struct store *s, int db, struct omk_slice key, struct store_val **out);

/* MGET: store_get() of each of the 'n' keys 'keys' of 'db' (at most STORE_MGET_MAX), with
 * the RocksDB reads of the values the cache does not hold made together in one MultiGet.
 * For each key i, rcs[i] is what store_get() would return, with out[i] (release it) when
 * STORE_OK, else out[i] is NULL; STORE_WRONGTYPE for a key of another type. Each value is
 * the key's at some instant during the call, cached on the way as store_get() caches;
 * expired keys are removed on the way. As with n calls of store_get(), the keys are not
 * read at one common instant. */
#define STORE_MGET_MAX 128
void store_mget(struct store *s, int db, const struct omk_slice *keys, size_t n,
                struct store_val **out, int *rcs);

/* Flags for store_set(). No other bit may be set. */
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

/* Expected outcomes of these calls, beyond enum store_rc (a range of their own). */
enum store_string_rc {
    STORE_NOTINT = 16,   /* the stored value is not a base-10 64-bit integer */
    STORE_OVERFLOW = 17, /* the result does not fit in a signed 64-bit integer */
    STORE_NOTFLOAT = 18, /* the stored value is not a valid float */
    STORE_NANINF = 19,   /* the result would be NaN or infinite */
    STORE_TOOBIG = 20,   /* the result would be longer than the caller's 'max_len' */
    STORE_OUTOFRANGE = 21, /* LSET: no element at that index */
};

/* INCRBY: add 'incr' to the integer in 'key' (a missing key counts as 0) and store the
 * sum in decimal, keeping the key's expiry. The stored value must read as Redis'
 * string2ll reads (omk_str2ll: no spaces, '+' or leading zeros). Returns STORE_OK with
 * the sum in '*out', STORE_NOTINT, STORE_OVERFLOW (nothing written), or an error. */
int store_incrby(struct store *s, int db, struct omk_slice key, long long incr, long long *out);

/* Bytes the text of an INCRBYFLOAT result may take (Redis' MAX_LONG_DOUBLE_CHARS). */
#define STORE_FLOAT_STR_MAX 5120

/* INCRBYFLOAT: add 'incr' to the number in 'key' (a missing key counts as 0; the value
 * reads as omk_str2ld reads), in long double, and store the sum as Redis writes it
 * (%.17Lf with trailing zeros and a trailing '.' trimmed, never "-0"), keeping the
 * key's expiry. Returns STORE_OK with that text in 'out' (STORE_FLOAT_STR_MAX bytes,
 * not NUL-terminated) and its length in '*outlen', STORE_NOTFLOAT, STORE_NANINF
 * (nothing written), or an error. */
int store_incrbyfloat(struct store *s, int db, struct omk_slice key, long double incr, char *out,
                      size_t *outlen);

/* APPEND: add 'val' to the end of the value of 'key' (creating the key, with no expiry,
 * if it is missing; an empty 'val' then creates an empty string), keeping its expiry.
 * Returns STORE_OK with the new length in '*newlen', STORE_TOOBIG if an existing value
 * would grow past 'max_len' bytes (nothing written), or an error. */
int store_append(struct store *s, int db, struct omk_slice key, struct omk_slice val,
                 size_t max_len, size_t *newlen);

/* SETRANGE: overwrite the value of 'key' from byte 'offset' with 'val', padding with
 * zero bytes up to 'offset' (a missing key starts empty, with no expiry), keeping its
 * expiry. An empty 'val' writes nothing (and creates no key). Returns STORE_OK with the
 * resulting length in '*newlen' (0 for a missing key), STORE_TOOBIG when 'offset' plus
 * the length of a non-empty 'val' passes 'max_len' (nothing written), or an error. */
int store_setrange(struct store *s, int db, struct omk_slice key, size_t offset,
                   struct omk_slice val, size_t max_len, size_t *newlen);

/* GETRANGE: the bytes of 'key' from 'start' to 'end' inclusive, clamped as Redis does
 * (negative indexes count from the end; two negative ones in the wrong order select
 * nothing). STORE_OK with '*out' (release it; NULL when the range is empty),
 * STORE_NOTFOUND ('*out' NULL), or an error. A value stored in fragments is read only where the range is. */
int store_getrange(struct store *s, int db, struct omk_slice key, long long start, long long end,
                   struct store_val **out);

/* A large value read piece by piece (store/reader.c): one state of the value, as of
 * store_get_reader(), however long the reading takes. */
struct store_reader;

/* GET for a reply that can stream: as store_get(), except that a value longer than
 * 'min_len' bytes and stored in fragments comes back as '*reader' (close it with
 * store_reader_close) instead of '*out', so it is never read into one buffer. STORE_OK
 * with exactly one of '*out' and '*reader' set, STORE_NOTFOUND, or an error. Inside a
 * transaction (store_tx_begin) no reader is made. */
int store_get_reader(struct store *s, int db, struct omk_slice key, uint64_t min_len,
                     struct store_val **out, struct store_reader **reader);

/* The value's length. */
uint64_t store_reader_len(const struct store_reader *r);

/* Copy the value's next bytes, at most 'cap', into 'buf': STORE_OK with their number in
 * '*n' (0 once the whole value was read), or STORE_ERR_IO when the view is gone (RocksDB
 * was reopened after a log failure) or a read failed: the rest cannot be read. */
int store_reader_read(struct store_reader *r, char *buf, size_t cap, size_t *n);

/* Release 'r' (NULL: nothing), read to its end or not. */
void store_reader_close(struct store_reader *r);

/* STRLEN: STORE_OK with the length of the value of 'key' in '*len', STORE_NOTFOUND, or
 * an error. Reads no value: the length comes from what the store knows of the key. */
int store_strlen(struct store *s, int db, struct omk_slice key, size_t *len);

/* GETDEL: remove 'key' and return its value in '*out' (release it). STORE_OK,
 * STORE_NOTFOUND, or an error (nothing removed). */
int store_getdel(struct store *s, int db, struct omk_slice key, struct store_val **out);

/* What store_getex() does to the expiry. */
enum store_getex_mode {
    STORE_GETEX_KEEP = 0,    /* nothing: a plain GET */
    STORE_GETEX_PERSIST = 1, /* remove the expiry */
    STORE_GETEX_SET = 2,     /* set it to 'expire_ms' (absolute; a past time deletes the key) */
};

/* GETEX: return the value of 'key' in '*out' (release it; its expire_ms is the expiry
 * before the change) and change its expiry as 'mode' says. STORE_OK, STORE_NOTFOUND,
 * or an error (nothing changed). */
int store_getex(struct store *s, int db, struct omk_slice key, enum store_getex_mode mode,
                int64_t expire_ms, struct store_val **out);

/* MSETNX: if none of the keys of the 'npairs' pairs in 'kv' (kv[0]=key, kv[1]=value,
 * ...) exists, write them all in one atomic batch with no expiry (a key named twice
 * takes its last value) and return STORE_OK; otherwise write nothing and return
 * STORE_NOTSET. Or an error. */
int store_msetnx(struct store *s, int db, const struct omk_slice *kv, size_t npairs);

/* ---- Bitmaps (store/ops_bitmap.c) ----------------------------------------------------
 * SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO over string values, bit 0 being
 * the most significant bit of the first byte. Each call is one operation, atomic under the
 * stripes of its keys, and reads and edits values through store/strval.h: on a string
 * stored in fragments, GETBIT, SETBIT and BITFIELD touch the fragments their bits lie in,
 * BITCOUNT and BITPOS walk their range fragment by fragment. A missing key reads as an
 * empty string (all zero bits); a write creates it. A written value keeps its expiry and
 * becomes "raw" (OBJECT ENCODING), as Redis makes it; a write that changes nothing is not
 * made (Redis still calls the value "raw" then). The caller checks offsets against
 * its own limit (proto-max-bulk-len); the store refuses only a string longer than it can
 * keep (STRVAL_MAX_LEN bytes) with STORE_TOOBIG. */

/* GETBIT: bit 'offset' of the value of 'key' in '*bit' (0 past its end). STORE_OK,
 * STORE_NOTFOUND (no such key: '*bit' is 0 too), STORE_WRONGTYPE, or an error. */
int store_getbit(struct store *s, int db, struct omk_slice key, uint64_t offset, int *bit);

/* SETBIT: set bit 'offset' of the value of 'key' to 'bit' (0 or 1), growing the value with
 * zero bytes to reach it (a missing key starts empty), and give the bit before in '*old'.
 * As in Redis 7.0, a bit set to the value it had in an existing key, within its length,
 * writes nothing (the key is not touched: WATCH). STORE_OK, STORE_WRONGTYPE,
 * STORE_TOOBIG, or an error (nothing written). */
int store_setbit(struct store *s, int db, struct omk_slice key, uint64_t offset, int bit,
                 int *old);

/* A range of BITCOUNT or BITPOS, as the command gives it (not yet clamped). */
struct store_bitrange {
    int given;         /* 0: the whole string (the other fields unused) */
    long long start;   /* first unit; negative: counted from the end */
    int end_given;     /* BITPOS: 0 when only 'start' was given (the range runs to the end) */
    long long end;     /* last unit, inclusive; negative: counted from the end */
    int in_bits;       /* 1: the units are bits (BIT), 0: bytes (BYTE, the default) */
};

/* BITCOUNT: the number of bits set in range '*r' of the value of 'key' (clamped as Redis
 * 7.0 clamps it: bits_range in store/bits.h) in '*count'. STORE_OK, STORE_NOTFOUND (no
 * such key; '*count' 0), STORE_WRONGTYPE, or an error. */
int store_bitcount(struct store *s, int db, struct omk_slice key, const struct store_bitrange *r,
                   uint64_t *count);

/* BITPOS: the position (in bits from the start of the value) of the first bit equal to
 * 'bit' (0 or 1) in range '*r' of the value of 'key', in '*pos'; -1 when the range holds
 * none or is empty. Looking for a 0 with no end given, a range of ones gives the first bit
 * past the value (its zero padding), as Redis does. STORE_OK, STORE_NOTFOUND (no such key;
 * '*pos' untouched: the caller answers -1 for a 1 and 0 for a 0), STORE_WRONGTYPE, or an
 * error. */
int store_bitpos(struct store *s, int db, struct omk_slice key, int bit,
                 const struct store_bitrange *r, long long *pos);

/* BITOP's operations. */
enum store_bitop {
    STORE_BITOP_AND = 0,
    STORE_BITOP_OR = 1,
    STORE_BITOP_XOR = 2,
    STORE_BITOP_NOT = 3, /* one source */
};

/* BITOP: combine the values of the 'n' keys 'keys' (a missing one reads as an empty
 * string, shorter ones as if padded with zero bytes) with 'op' into 'dst', replacing
 * whatever it held (its type and expiry too); when every source is missing or empty, 'dst'
 * is deleted instead. The result is as long as the longest source: '*len'. '*found' is
 * the number of 'keys' that existed (a key named twice counts twice). STORE_OK,
 * STORE_WRONGTYPE (a source holds another type: nothing written), or an error. */
int store_bitop(struct store *s, int db, enum store_bitop op, struct omk_slice dst,
                const struct omk_slice *keys, size_t n, uint64_t *len, size_t *found);

/* BITFIELD's operations, overflow rules and one operation. */
enum store_bf_kind {
    STORE_BF_GET = 0,
    STORE_BF_SET = 1,    /* write 'arg', give the value before */
    STORE_BF_INCRBY = 2, /* add 'arg', give the value after */
};

enum store_bf_overflow {
    STORE_BF_WRAP = 0, /* keep the low bits (signed: wrap to the other end) */
    STORE_BF_SAT = 1,  /* stop at the type's smallest or largest value */
    STORE_BF_FAIL = 2, /* write nothing; the operation answers nil */
};

struct store_bf_op {
    int kind;          /* enum store_bf_kind */
    int overflow;      /* enum store_bf_overflow (SET and INCRBY) */
    int is_signed;     /* 1: iN, 0: uN */
    unsigned bits;     /* the width: 1..64 signed, 1..63 unsigned */
    uint64_t offset;   /* the bit number of the field's most significant bit */
    long long arg;     /* SET's value, INCRBY's increment */
    /* ---- filled by the call ---- */
    long long result;  /* GET: the value; SET: the value before; INCRBY: the value after */
    int failed;        /* an overflow refused under STORE_BF_FAIL: nil, nothing written */
};

/* BITFIELD and BITFIELD_RO: run the 'n' operations 'ops' in order on the value of 'key',
 * filling each one's result. With no SET or INCRBY among them it is a read (a missing key
 * reads as zeros and is not created); otherwise the value first grows with zero bytes to
 * hold the farthest field written (a missing key is created, even when every write then
 * fails). The key is written (touched) only when it is new, grows or a field changes, as
 * Redis 7.0 signals it (Redis does not signal a new key no field changed: here it is
 * touched). '*existed' says whether the key existed. STORE_OK, STORE_WRONGTYPE,
 * STORE_TOOBIG, or an error (nothing written, results undefined). */
int store_bitfield(struct store *s, int db, struct omk_slice key, struct store_bf_op *ops,
                   size_t n, int *existed);

/* ---- HyperLogLog (store/ops_hll.c) ---------------------------------------------------
 * PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST over Redis' own HyperLogLog string
 * (store/hll.h has the layout): a value Redis wrote reads the same here, and the other
 * way. Each call is one operation holding the stripes of its keys from the lookups to
 * the commit; it reads the values it names whole, edits them in RAM and writes back only
 * what changed. A key of another type is STORE_WRONGTYPE; a string that is no HLL, or
 * whose registers do not decode, gets the outcomes below (nothing written, but for
 * PFADD: see there). 'sparse_max' is hll-sparse-max-bytes.
 * As Redis unshares the value of PFADD's key, of PFCOUNT's single key and of PFDEBUG's
 * before it reads it, a value with an HLL header that was not "raw" (OBJECT ENCODING: a
 * short one SET by a client is "embstr") becomes "raw" even when the call writes nothing
 * else or finds the registers damaged; that write alone does not touch WATCH. */

#define STORE_HLL_REGISTERS 16384      /* registers of every HLL */
#define STORE_HLL_SPARSE_MAX_DEFAULT 3000 /* hll-sparse-max-bytes */

/* Expected outcomes of these calls, beyond enum store_rc (a range of their own). */
enum store_hll_rc {
    STORE_HLL_INVALID = 40,   /* a string that is no HLL (Redis: "WRONGTYPE Key is not a
                               * valid HyperLogLog string value.") */
    STORE_HLL_CORRUPT = 41,   /* an HLL whose registers do not decode ("INVALIDOBJ
                               * Corrupted HLL object detected") */
    STORE_HLL_NOTSPARSE = 42, /* PFDEBUG DECODE of a dense HLL */
};

/* PFADD: add the 'n' elements 'elems' to the HLL at 'key', creating an empty one (sparse)
 * if it is missing. '*changed' is 1 if the key was created or a register rose (then the
 * value is written, keeping its expiry), else 0. Returns STORE_OK, STORE_WRONGTYPE,
 * STORE_HLL_INVALID, STORE_HLL_CORRUPT (as Redis, the registers raised by the elements
 * before the one that met the damage stay written; '*changed' says whether any did), or
 * an error. */
int store_pfadd(struct store *s, int db, struct omk_slice key, const struct omk_slice *elems,
                size_t n, size_t sparse_max, int *changed);

/* PFCOUNT: the estimated number of distinct elements added to the 'n' (>= 1) HLLs at
 * 'keys' (missing keys count as empty; several are merged on the fly, a key named twice
 * counting once). With one key, its cached cardinality is used when valid, else the
 * count is computed and cached in the value (a write, which WATCH sees as Redis'
 * PFCOUNT does). Returns STORE_OK with '*card', STORE_WRONGTYPE, STORE_HLL_INVALID,
 * STORE_HLL_CORRUPT (for the first key in 'keys' order that has the fault), or an
 * error. */
int store_pfcount(struct store *s, int db, const struct omk_slice *keys, size_t n,
                  uint64_t *card);

/* PFMERGE: merge the HLLs at 'keys' ('n' >= 1; missing keys count as empty) into the one
 * at keys[0], which is one of the inputs and is created (sparse) if missing. It becomes
 * dense if any input is; its cached cardinality is marked stale and it is written even
 * when no register changed (as Redis touches it). Returns STORE_OK, STORE_WRONGTYPE,
 * STORE_HLL_INVALID, STORE_HLL_CORRUPT (the first key in order with the fault; nothing
 * written), or an error. */
int store_pfmerge(struct store *s, int db, const struct omk_slice *keys, size_t n,
                  size_t sparse_max);

/* What store_pfdebug() does after checking the key. */
enum store_pfdebug_cmd {
    STORE_PFDEBUG_GETREG = 0,   /* make the value dense (written; as in Redis, WATCH does
                                 * not see it) and give its registers */
    STORE_PFDEBUG_DECODE = 1,   /* give a sparse value's opcodes as text */
    STORE_PFDEBUG_ENCODING = 2, /* say whether it is dense or sparse */
    STORE_PFDEBUG_TODENSE = 3,  /* make the value dense (written) */
    STORE_PFDEBUG_NONE = 4,     /* nothing (an unknown subcommand, refused after the checks) */
};

/* What store_pfdebug() gives back; the pointers own memory freed with omk_free. */
struct store_pfdebug_out {
    uint8_t *regs;   /* GETREG: the STORE_HLL_REGISTERS register values */
    char *text;      /* DECODE: "Z:16384" style opcodes, NUL-terminated */
    size_t textlen;
    int dense;       /* ENCODING: 1 dense, 0 sparse */
    int converted;   /* TODENSE: 1 if the value was sparse and is now dense */
};

/* PFDEBUG 'what' on the HLL at 'key' ('*out' zeroed first, filled as 'what' says).
 * Returns STORE_OK, STORE_NOTFOUND, STORE_WRONGTYPE, STORE_HLL_INVALID,
 * STORE_HLL_CORRUPT (GETREG, TODENSE: the sparse code does not decode; nothing written),
 * STORE_HLL_NOTSPARSE (DECODE of a dense value), or an error. */
int store_pfdebug(struct store *s, int db, struct omk_slice key, enum store_pfdebug_cmd what,
                  struct store_pfdebug_out *out);

/* PFSELFTEST: Redis' self-test of the HLL code (register packing; the error of dense and
 * sparse HLLs up to ten million elements, with 'sparse_max'). No keys; takes about a
 * second. 0, or -1 with the failure in 'err' (errlen bytes), "TESTFAILED ...". */
int store_pfselftest(size_t sparse_max, char *err, size_t errlen);

/* ---- Keyspace and expiry operations (store/ops_keys.c, store/expire.c) ---------------
 * EXISTS, DEL, TYPE, RENAME[NX], COPY, MOVE, [P]EXPIRE[AT] with NX/XX/GT/LT, PERSIST, TTL,
 * and the active-expiry thread. Each call holds the stripes of the keys it names from
 * its lookups to its commit, so it is atomic; it changes a value only by rewriting it
 * whole with a new header (the expiry lives in the value's header). A key whose time has
 * passed counts as missing, and a call that meets one deletes it on the way (lazy
 * expiry, counted in expired_keys). */

/* DEL: STORE_OK if the key existed and was removed, STORE_NOTFOUND, or an error. */
int store_del(struct store *s, int db, struct omk_slice key);

/* EXISTS: STORE_OK, STORE_NOTFOUND or an error. Not an access (as Redis' EXISTS,
 * TYPE, TTL and OBJECT, the calls below leave the key's access field alone). */
int store_exists(struct store *s, int db, struct omk_slice key);

/* TOUCH: store_exists() that counts as an access of the key (store_access_set). */
int store_touch(struct store *s, int db, struct omk_slice key);

/* OBJECT IDLETIME / FREQ: STORE_OK with the key's LFU counter after decay in '*freq'
 * and the seconds since its last access in '*idle_s' (each meaningful only under its
 * policy, as in Redis); STORE_NOTFOUND; or an error. Not an access. */
int store_access_info(struct store *s, int db, struct omk_slice key, unsigned *freq,
                      int64_t *idle_s);

/* TYPE: STORE_OK with the type name of 'key' (store_type_name) in '*name',
 * STORE_NOTFOUND, STORE_ERR_VALUE when its header does not decode, or an error. */
int store_type(struct store *s, int db, struct omk_slice key, const char **name);

/* What RAM knows of a key, with no RocksDB read (OBJECT ENCODING, SCAN TYPE). */
struct store_keyinfo {
    int type;       /* enum store_type */
    uint64_t count; /* a collection's elements; a string's bytes */
    int big;        /* a collection: 1 once it left Redis' compact encoding
                     * (OBJECT ENCODING "hashtable"), 0 while "listpack" / "intset";
                     * a string: 1 when Redis would call it "raw" whatever its bytes
                     * (APPEND and SETRANGE make such strings) */
    int noint;      /* a string Redis would never call "int" (INCRBYFLOAT made it) */
};

/* STORE_OK with '*out', STORE_NOTFOUND (missing or expired), or STORE_ERR_VALUE (its
 * header does not decode). */
int store_keyinfo(struct store *s, int db, struct omk_slice key, struct store_keyinfo *out);

/* What one key holds in RAM (MEMORY USAGE), read from the index with no RocksDB read. */
struct store_keymem {
    size_t entry_bytes;  /* its index entry: header and key, as allocated */
    size_t cached_bytes; /* its value in the value cache (the cache's charge: header,
                          * payload, allocator overhead), 0 when the value is not cached */
};

/* STORE_OK with '*out', or STORE_NOTFOUND (missing or expired). Not an access. */
int store_key_memory(struct store *s, int db, struct omk_slice key, struct store_keymem *out);

/* TTL / PTTL / EXPIRETIME: STORE_OK with the absolute expiry of 'key' in Unix ms in
 * '*expire_ms' (0: the key has none), STORE_NOTFOUND, or an error. */
int store_ttl(struct store *s, int db, struct omk_slice key, int64_t *expire_ms);

/* Conditions for store_expire(), as Redis 7's EXPIRE options. A key without an expiry
 * counts as expiring never (infinitely late): GT always refuses it, LT always accepts. */
#define STORE_EXPIRE_NX 0x1 /* only if the key has no expiry */
#define STORE_EXPIRE_XX 0x2 /* only if the key has an expiry */
#define STORE_EXPIRE_GT 0x4 /* only if 'when_ms' is later than the current expiry */
#define STORE_EXPIRE_LT 0x8 /* only if 'when_ms' is earlier than the current expiry */

/* [P]EXPIRE[AT]: give 'key' the absolute expiry 'when_ms' (Unix ms, any value: a time
 * not after now deletes the key, as Redis does) if the conditions in 'flags' hold. NX
 * with XX, GT or LT, and GT with LT, are the caller's to refuse. Returns STORE_OK (set,
 * or deleted), STORE_NOTFOUND, STORE_NOTSET (a condition refused; nothing changed),
 * STORE_ERR_VALUE (the value cannot be rewritten: its header does not decode), or an
 * error. */
int store_expire(struct store *s, int db, struct omk_slice key, int64_t when_ms, int flags);

/* PERSIST: remove the expiry of 'key'. STORE_OK (removed), STORE_NOTSET (it had none),
 * STORE_NOTFOUND, or an error. */
int store_persist(struct store *s, int db, struct omk_slice key);

#define STORE_RENAME_NX 0x1 /* RENAMENX: only if 'dst' does not exist */

/* RENAME / RENAMENX in database 'db': give 'dst' the value and expiry of 'src' (replacing
 * 'dst', whatever its expiry) and delete 'src', in one batch. When 'src' and 'dst' are
 * the same key nothing changes: STORE_OK if it exists (STORE_NOTSET with NX, as Redis
 * answers 0). Returns STORE_OK, STORE_NOTFOUND ('src' missing), STORE_NOTSET (NX and
 * 'dst' exists), STORE_ERR_VALUE ('src' does not decode), or an error. */
int store_rename(struct store *s, int db, struct omk_slice src, struct omk_slice dst, int flags);

#define STORE_COPY_REPLACE 0x1 /* COPY ... REPLACE: overwrite an existing 'dst' */

/* COPY: give 'dst' in 'dstdb' the value and expiry of 'src' in 'srcdb', which stays.
 * The two must differ ('srcdb' != 'dstdb' or different keys; the caller replies Redis'
 * "source and destination objects are the same"). Returns STORE_OK, STORE_NOTFOUND
 * ('src' missing), STORE_NOTSET ('dst' exists, no REPLACE), STORE_ERR_VALUE, or an
 * error. */
int store_copy(struct store *s, int srcdb, struct omk_slice src, int dstdb, struct omk_slice dst,
               int flags);

/* MOVE: move 'key' with its expiry from 'srcdb' to 'dstdb' (!= 'srcdb') in one batch.
 * Returns STORE_OK, STORE_NOTFOUND (missing in 'srcdb'), STORE_NOTSET (it exists in
 * 'dstdb'; nothing changed), STORE_ERR_VALUE, or an error. */
int store_move(struct store *s, int srcdb, struct omk_slice key, int dstdb);

/* Active expiry (expire.c): start a thread that, 'hz' (1..500) times a second, walks the
 * keys in key order (resuming where it stopped, wrapping around) and deletes those whose
 * time has passed, until it has seen 200 keys with an expiry of which at most a quarter
 * had expired, for at most 25 ms or a quarter of the period per tick (Redis' rule, on the
 * index: keys without an expiry are stepped over). At most one per store; call it before
 * other threads use the store. store_close() stops it. */
void store_expire_start(struct store *s, int hz);

/* Pause ('on' 0) or resume ('on' 1) active expiry (DEBUG SET-ACTIVE-EXPIRE). When a pause
 * returns, no deletion of the thread is in flight. No-op if no thread was started. */
void store_expire_set_active(struct store *s, int on);

/* ---- Latency events (LATENCY's monitor) ----------------------------------------------- */

/* What the store times for the latency monitor. */
enum store_latency_event {
    STORE_LAT_EXPIRE_CYCLE = 0, /* one tick of active expiry (expire.c), as Redis times
                                 * one activeExpireCycle: "expire-cycle" */
    STORE_LAT_WRITE_STALL = 1,  /* one RocksDB write (memtable and log buffer) that took
                                 * a millisecond or more: it waited, in a write stall
                                 * (flushes and compactions behind) or behind other
                                 * writers: omenkv's "rocksdb-write-stall" */
};

/* Told that 'event' (enum store_latency_event) took 'usec' microseconds. Called on the
 * thread that measured it (an expiry tick every 1000/hz ms; a write of any thread, only
 * past 1 ms): it must be quick and must not call the store. */
typedef void store_latency_fn(int event, int64_t usec);

/* Report latency events to 'fn' from now on; NULL stops them, and the store then reads
 * no clock for them. Any thread. */
void store_set_latency(struct store *s, store_latency_fn *fn);

/* Stop and join the thread of 's' (waits for a tick in progress). No-op if none runs, so
 * it may be called twice; store_close() calls it. */
void store_expire_stop(struct store *s);

/* ---- SCAN, KEYS and RANDOMKEY (store/scan.c) -----------------------------------------
 * Ordered walks over one database's keys in the in-RAM index: no RocksDB read.
 *
 * SCAN's promise (the one statement of it; scan.c explains how it is kept): a key present
 * from the first call of an iteration to the last is returned, and no key is returned
 * twice by one iteration, because keys come back in increasing byte order and each call
 * resumes strictly after the last key the previous one examined. A key added, deleted or
 * re-added during the iteration may or may not be returned (once at most). A client that
 * lost a reply may repeat its call: the keys of that call then come back again.
 *
 * Cursors are below 2^53. A short resume point is written into the cursor itself (a
 * "position"): it needs no server state and stays valid forever, like a Redis cursor.
 * Any other names a slot of a server-side table, which keeps the newest cursor of the
 * iteration and the one before it, and is bounded: 4096 iterations, 64 MB of resume
 * points (each at most 64 KB: an iteration over keys sharing longer prefixes returns
 * more than COUNT keys per call), and fair: an owner starting its 65th iteration loses
 * its own least recently used one, and when the table is full the owner holding the
 * most loses first. FLUSHDB and FLUSHALL free the iterations of the databases they
 * empty (their table cursors become unknown). */

/* Called once per key by store_scan() and store_keys() with its type (enum store_type);
 * 'key' is valid only during the call. It runs inside the store's shared lock, so it
 * must not call the store. */
typedef void store_key_cb(void *arg, const char *key, size_t klen, int type);

/* SCAN: examine up to 'count' keys of 'db' in key order (more when neighbouring keys
 * share over 64 KB), starting where 'cursor' says (0: the beginning), and call 'cb' for
 * those that match glob 'pat' ('pat' NULL: all) and have not expired. Writes the cursor
 * to return in '*next' (0: the iteration is complete). A pattern with a literal prefix
 * seeks straight to it and ends past it. 'owner' names the caller for the table's
 * fairness (the daemon passes the client id; any number, 0 included, is one owner); a
 * cursor may be continued by any owner. Returns STORE_OK, or STORE_ERR_CURSOR for a
 * cursor the server does not know (never made, made for another database, older than
 * the one before the newest, finished, evicted or flushed; a made-up number is taken
 * for a position 1 time in 4096). No other error: RocksDB is not read. */
int store_scan(struct store *s, int db, uint64_t owner, uint64_t cursor, const char *pat,
               size_t plen, size_t count, store_key_cb *cb, void *arg, uint64_t *next);

/* KEYS: call 'cb' for every live key of 'db' matching 'pat', in key order. Returns
 * STORE_OK: the index answers alone, so no error is possible. */
int store_keys(struct store *s, int db, const char *pat, size_t plen, store_key_cb *cb, void *arg);

/* RANDOMKEY: a live key of 'db' chosen at random from the in-RAM index (no RocksDB
 * read), copied to '*key'/'*klen' (freed with omk_free). 'rnd' returns random 64-bit
 * numbers. STORE_OK, or STORE_NOTFOUND when the db has no live key. */
int store_randomkey(struct store *s, int db, uint64_t (*rnd)(void), char **key, size_t *klen);

/* ---- Collections: hashes and sets (store/ops_hash.c, store/ops_set.c) -----------------
 * A hash maps fields to values, a set holds members; both binary-safe. Each call is
 * atomic under the stripes of its keys, and a read sees one state of each collection
 * (store/coll.c, HOW IT WORKS). A missing key reads as an empty collection and a
 * collection left empty is deleted, as in Redis; a key of another type answers
 * STORE_WRONGTYPE with nothing changed (for a call naming several keys: if any of them
 * is of another type). Writes keep the key's expiry. Element counts come from RAM.
 *
 * Callbacks run with the key's stripe held: they must not call the store. Elements are
 * passed in no promised order; 'elem' / 'field' / 'value' are valid during the call. A
 * callback returns 0 to go on, non-zero to stop the walk (its caller gives up the reply:
 * a client closing, an output limit passed); the call then returns STORE_OK with the
 * counts so far. */

typedef int store_elem_cb(void *arg, struct omk_slice elem);
typedef int store_pair_cb(void *arg, struct omk_slice field, struct omk_slice value);

/* A source of random 64-bit numbers (SPOP, SRANDMEMBER, HRANDFIELD). */
typedef uint64_t store_rand_fn(void);

#define STORE_HSET_NX 0x1 /* HSETNX: set only fields that are absent */

/* HSET / HMSET / HSETNX: set 'npairs' field/value pairs (fv[0]=field, fv[1]=value, ...;
 * a field named twice takes its last value), creating the hash if missing. STORE_OK
 * with the number of fields that were new in '*added', STORE_WRONGTYPE, or an error. */
int store_hset(struct store *s, int db, struct omk_slice key, const struct omk_slice *fv,
               size_t npairs, int flags, size_t *added);

/* HGET: STORE_OK with the value in '*out' (release it), STORE_NOTFOUND (no such key or
 * field), STORE_WRONGTYPE, or an error. */
int store_hget(struct store *s, int db, struct omk_slice key, struct omk_slice field,
               struct store_val **out);

/* HMGET: out[i] is the value of fields[i] (release each) or NULL when absent (all NULL
 * for a missing key). STORE_OK, STORE_WRONGTYPE or an error (every out[i] NULL). */
int store_hmget(struct store *s, int db, struct omk_slice key, const struct omk_slice *fields,
                size_t n, struct store_val **out);

/* HDEL: remove the 'n' fields; '*removed' counts those that were there. STORE_OK,
 * STORE_WRONGTYPE or an error. */
int store_hdel(struct store *s, int db, struct omk_slice key, const struct omk_slice *fields,
               size_t n, size_t *removed);

/* HLEN: STORE_OK with the number of fields in '*len' (0 for a missing key),
 * STORE_WRONGTYPE, or an error. From RAM. */
int store_hlen(struct store *s, int db, struct omk_slice key, uint64_t *len);

/* HSTRLEN: STORE_OK with the length of the field's value in '*len' (0 when the key or
 * the field is missing), STORE_WRONGTYPE, or an error. */
int store_hstrlen(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                  size_t *len);

/* HEXISTS: STORE_OK, STORE_NOTFOUND (no such key or field), STORE_WRONGTYPE or an error. */
int store_hexists(struct store *s, int db, struct omk_slice key, struct omk_slice field);

/* HINCRBY: add 'incr' to the integer in the field (a missing field counts as 0).
 * STORE_OK with the sum in '*out', STORE_NOTINT ("hash value is not an integer"),
 * STORE_OVERFLOW, STORE_WRONGTYPE (nothing written), or an error. */
int store_hincrby(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                  long long incr, long long *out);

/* HINCRBYFLOAT: as store_incrbyfloat() on the field (text in 'out', STORE_FLOAT_STR_MAX
 * bytes): STORE_OK, STORE_NOTFLOAT ("hash value is not a float"), STORE_NANINF,
 * STORE_WRONGTYPE, or an error. */
int store_hincrbyfloat(struct store *s, int db, struct omk_slice key, struct omk_slice field,
                       long double incr, char *out, size_t *outlen);

/* HGETALL / HKEYS / HVALS: call 'cb' once per field with its value; '*npairs' says how
 * many. STORE_OK (a missing key: none), STORE_WRONGTYPE, or an error (after which the
 * calls already made are to be discarded). */
int store_hgetall(struct store *s, int db, struct omk_slice key, store_pair_cb *cb, void *arg,
                  size_t *npairs);

/* HRANDFIELD: call 'cb' for 'count' fields picked at random: distinct ones (at most
 * every field) when 'repeats' is 0, else 'count' picks that may repeat; '*n' says how
 * many. STORE_OK (a missing key: none), STORE_WRONGTYPE, or an error. */
int store_hrandfield(struct store *s, int db, struct omk_slice key, uint64_t count, int repeats,
                     store_rand_fn *rnd, store_pair_cb *cb, void *arg, size_t *n);

/* HSCAN / SSCAN: call 'cb' for the elements matching glob 'pat' ('pat' NULL: all) among
 * about 'count' examined from 'cursor' (0: the start), and write the cursor to return to
 * '*next' (0: complete). A collection held in one record answers whole with cursor 0, as
 * Redis does for its compact encodings; a split one in the order of its elements'
 * hashes, the cursor being the next hash position: an element present from the first
 * call to the last is returned, none twice, and any number is a valid cursor. SSCAN's
 * 'cb' gets the member as 'field' and an empty 'value'. STORE_OK (a missing key: nothing,
 * '*next' 0), STORE_WRONGTYPE, or an error. */
int store_hscan(struct store *s, int db, struct omk_slice key, uint64_t cursor, const char *pat,
                size_t plen, size_t count, store_pair_cb *cb, void *arg, uint64_t *next);
int store_sscan(struct store *s, int db, struct omk_slice key, uint64_t cursor, const char *pat,
                size_t plen, size_t count, store_pair_cb *cb, void *arg, uint64_t *next);

/* SADD: add the 'n' members; '*added' counts the new ones. STORE_OK, STORE_WRONGTYPE or
 * an error. */
int store_sadd(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
               size_t n, size_t *added);

/* SREM: remove the 'n' members; '*removed' counts those that were there. */
int store_srem(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
               size_t n, size_t *removed);

/* SCARD: STORE_OK with the number of members (0 for a missing key), STORE_WRONGTYPE, or
 * an error. From RAM. */
int store_scard(struct store *s, int db, struct omk_slice key, uint64_t *card);

/* SISMEMBER: STORE_OK, STORE_NOTFOUND (no such key or member), STORE_WRONGTYPE, error. */
int store_sismember(struct store *s, int db, struct omk_slice key, struct omk_slice member);

/* SMISMEMBER: out[i] = 1 if members[i] is in the set, else 0. STORE_OK, STORE_WRONGTYPE
 * or an error. */
int store_smismember(struct store *s, int db, struct omk_slice key,
                     const struct omk_slice *members, size_t n, unsigned char *out);

/* SMEMBERS: call 'cb' once per member; '*n' says how many. STORE_OK, STORE_WRONGTYPE or
 * an error. */
int store_smembers(struct store *s, int db, struct omk_slice key, store_elem_cb *cb, void *arg,
                   size_t *n);

/* SRANDMEMBER with a count: as store_hrandfield() for members. */
int store_srandmember(struct store *s, int db, struct omk_slice key, uint64_t count, int repeats,
                      store_rand_fn *rnd, store_elem_cb *cb, void *arg, size_t *n);

/* SPOP: remove up to 'count' members picked at random (distinct) and call 'cb' for each;
 * '*n' says how many. STORE_OK, STORE_WRONGTYPE or an error (nothing removed). */
int store_spop(struct store *s, int db, struct omk_slice key, uint64_t count, store_rand_fn *rnd,
               store_elem_cb *cb, void *arg, size_t *n);

/* SMOVE: move 'member' from set 'src' to set 'dst' (created if missing) in one batch.
 * STORE_OK (moved, or 'src' is 'dst' and holds it), STORE_NOTFOUND ('src' missing or
 * without it), STORE_WRONGTYPE (either key of another type: nothing changed), error. */
int store_smove(struct store *s, int db, struct omk_slice src, struct omk_slice dst,
                struct omk_slice member);

/* The set algebra of SINTER, SUNION, SDIFF (the first set minus all the others). */
enum store_setop {
    STORE_SETOP_INTER = 0,
    STORE_SETOP_UNION = 1,
    STORE_SETOP_DIFF = 2,
};

/* SINTER / SUNION / SDIFF / SINTERCARD over the 'n' sets 'keys' (a missing key is an
 * empty set; a key named twice counts once per naming): call 'cb' (NULL: none) once per
 * member of the result, stopping after 'limit' (0: no limit), and write how many to
 * '*card'. STORE_OK, STORE_WRONGTYPE or an error. */
int store_setop(struct store *s, int db, enum store_setop op, const struct omk_slice *keys,
                size_t n, uint64_t limit, store_elem_cb *cb, void *arg, uint64_t *card);

/* SINTERSTORE / SUNIONSTORE / SDIFFSTORE: replace 'dst' (whatever it held) with the
 * result in one atomic step, deleting it when the result is empty; '*card' its size.
 * STORE_OK, STORE_WRONGTYPE (a source key; 'dst' may be of any type) or an error. */
int store_setop_store(struct store *s, int db, enum store_setop op, struct omk_slice dst,
                      const struct omk_slice *keys, size_t n, uint64_t *card);

/* ---- Collections: lists (store/ops_list.c) ---------------------------------------------
 * A list is a sequence of binary-safe elements; the rules of the Collections block above
 * hold (atomic under its stripe, one state read, a missing key an empty list, an empty
 * list deleted, WRONGTYPE with nothing changed, the expiry kept, the length from RAM).
 * Indexes are Redis': 0 the head, -1 the tail. Redis 7.0 calls every list "quicklist"
 * (OBJECT ENCODING): lists have no compact encoding to leave. */

/* The two ends of a list (and of a sorted set's order: STORE_LEFT the lowest score). */
enum store_end {
    STORE_LEFT = 0,
    STORE_RIGHT = 1,
};

#define STORE_PUSH_X 0x1 /* LPUSHX / RPUSHX: only onto a list that exists */

/* LPUSH / RPUSH / LPUSHX / RPUSHX: push the 'n' elements one after the other at 'end'
 * (LPUSH a b c leaves c first), creating the list unless STORE_PUSH_X. STORE_OK with the
 * length after in '*len' (0 when STORE_PUSH_X found no list), STORE_TOOBIG (the list
 * would pass 2^32 - 1 elements; nothing changed), STORE_WRONGTYPE, or an error. */
int store_lpush(struct store *s, int db, struct omk_slice key, enum store_end end,
                const struct omk_slice *elems, size_t n, int flags, uint64_t *len);

/* LPOP / RPOP: remove up to 'count' elements from 'end', calling 'cb' for each in the
 * order removed; '*n' says how many. STORE_OK (a missing key: none), STORE_WRONGTYPE, or
 * an error (nothing removed). */
int store_lpop(struct store *s, int db, struct omk_slice key, enum store_end end, uint64_t count,
               store_elem_cb *cb, void *arg, size_t *n);

/* LMPOP (and the blocking pops' serving): pop up to 'count' elements from 'end' of the
 * first of the 'nkeys' keys that holds a list, as store_lpop(); '*which' is its index.
 * Keys are looked at in order: a missing key is skipped, a key of another type answers
 * STORE_WRONGTYPE (nothing removed). STORE_OK, STORE_NOTFOUND (no key holds a list),
 * STORE_WRONGTYPE, or an error. */
int store_lmpop(struct store *s, int db, const struct omk_slice *keys, size_t nkeys,
                enum store_end end, uint64_t count, store_elem_cb *cb, void *arg, size_t *which,
                size_t *n);

/* LLEN: STORE_OK with the length in '*len' (0 for a missing key), STORE_WRONGTYPE, or an
 * error. From RAM. */
int store_llen(struct store *s, int db, struct omk_slice key, uint64_t *len);

/* LINDEX: STORE_OK with the element at 'index' in '*out' (release it; the header's
 * expiry is the key's), STORE_NOTFOUND (no such key or index), STORE_WRONGTYPE, or an
 * error. */
int store_lindex(struct store *s, int db, struct omk_slice key, int64_t index,
                 struct store_val **out);

/* LRANGE: call 'cb' for the elements from 'start' to 'stop' (inclusive, Redis' rules
 * for negative and out-of-range indexes) in order; '*n' says how many. STORE_OK,
 * STORE_WRONGTYPE, or an error. */
int store_lrange(struct store *s, int db, struct omk_slice key, int64_t start, int64_t stop,
                 store_elem_cb *cb, void *arg, size_t *n);

/* LSET: replace the element at 'index'. STORE_OK, STORE_NOTFOUND (no such key: Redis'
 * "no such key"), STORE_OUTOFRANGE, STORE_WRONGTYPE, or an error. */
int store_lset(struct store *s, int db, struct omk_slice key, int64_t index,
               struct omk_slice elem);

/* LINSERT: insert 'elem' before (or, 'after' 1, after) the first element equal to
 * 'pivot'. STORE_OK with the length after in '*len', or -1 when no element equals
 * 'pivot' (nothing changed), 0 for a missing key; STORE_TOOBIG (as store_lpush),
 * STORE_WRONGTYPE, or an error. */
int store_linsert(struct store *s, int db, struct omk_slice key, int after,
                  struct omk_slice pivot, struct omk_slice elem, int64_t *len);

/* LREM: remove the first 'count' elements equal to 'elem' from the head ('count' > 0),
 * the last -'count' from the tail ('count' < 0), or all ('count' 0); '*removed' says
 * how many. STORE_OK, STORE_WRONGTYPE, or an error. */
int store_lrem(struct store *s, int db, struct omk_slice key, int64_t count,
               struct omk_slice elem, uint64_t *removed);

/* LTRIM: keep only the elements from 'start' to 'stop' (LRANGE's rules; an empty range
 * deletes the key). STORE_OK, STORE_WRONGTYPE, or an error. */
int store_ltrim(struct store *s, int db, struct omk_slice key, int64_t start, int64_t stop);

/* Called with the index of each match (LPOS); non-zero stops. */
typedef int store_index_cb(void *arg, uint64_t index);

/* LPOS: call 'cb' with the index (from the head) of the elements equal to 'elem': from
 * the head when 'rank' > 0, skipping the first 'rank' - 1 matches, from the tail when
 * 'rank' < 0 (skipping -'rank' - 1); at most 'count' matches (0: all), comparing at most
 * 'maxlen' elements (0: all); '*n' says how many. 'rank' is never 0 (the caller's error);
 * INT64_MIN reports every match from the tail whatever 'count', as Redis 7.0.15 does
 * (its negation of the rank overflows). STORE_OK, STORE_WRONGTYPE, or an error. */
int store_lpos(struct store *s, int db, struct omk_slice key, struct omk_slice elem,
               int64_t rank, uint64_t count, uint64_t maxlen, store_index_cb *cb, void *arg,
               size_t *n);

/* LMOVE / RPOPLPUSH (and BLMOVE's serving): pop an element from 'from' of list 'src'
 * and push it at 'to' of list 'dst' (created if missing; 'src' may be 'dst': a
 * rotation), in one batch. STORE_OK with the element in '*out' (release it),
 * STORE_NOTFOUND ('src' missing: nothing looked at 'dst'), STORE_WRONGTYPE ('src', or
 * 'dst' when 'src' has an element; nothing changed), STORE_TOOBIG ('dst' full, as
 * store_lpush; nothing changed), or an error. */
int store_lmove(struct store *s, int db, struct omk_slice src, struct omk_slice dst,
                enum store_end from, enum store_end to, struct store_val **out);

/* SORT ... STORE: replace 'dst' (whatever it held, and its expiry) with a list of the 'n'
 * elements 'elems' in that order, in one atomic step, or delete it when 'n' is 0.
 * STORE_OK, STORE_TOOBIG (more than 2^32 - 1 elements: nothing changed), or an error. */
int store_lreplace(struct store *s, int db, struct omk_slice dst, const struct omk_slice *elems,
                   size_t n);

/* ---- Collections: sorted sets (store/ops_zset.c) ---------------------------------------
 * A sorted set maps binary-safe members to scores (doubles, never NaN), ordered by
 * (score, member bytes); -0 is stored as 0. The rules of the Collections block hold.
 * OBJECT ENCODING: "listpack" until a write leaves it more than
 * zset-max-listpack-entries members or adds a member longer than
 * zset-max-listpack-value bytes, then "skiplist" for good (a *STORE result is encoded
 * by its own size, as Redis 7.0 does). Ranks count from 0 at the lowest score. */

/* Called per member with its score, in the order the call states; non-zero stops. */
typedef int store_zcb(void *arg, struct omk_slice member, double score);

/* ZADD's conditions (Redis' options; the caller refuses the combinations Redis refuses). */
#define STORE_ZADD_NX 0x1   /* only add new members */
#define STORE_ZADD_XX 0x2   /* only update existing members */
#define STORE_ZADD_GT 0x4   /* update only to a greater score (new members are added) */
#define STORE_ZADD_LT 0x8   /* update only to a lesser score */
#define STORE_ZADD_INCR 0x10 /* add scores[0] to the member's score (n is 1) */

/* ZADD / ZINCRBY (STORE_ZADD_INCR): set the 'n' members to their scores, under 'flags'.
 * '*added' counts new members, '*changed' existing members whose score changed (CH is
 * their sum). With INCR: STORE_OK with the new score in '*out', STORE_NOTSET when a
 * condition refused it (nothing changed), STORE_NANINF when the sum is NaN (nothing
 * changed). Else STORE_OK. STORE_WRONGTYPE or an error otherwise. */
int store_zadd(struct store *s, int db, struct omk_slice key, const double *scores,
               const struct omk_slice *members, size_t n, int flags, size_t *added,
               size_t *changed, double *out);

/* ZREM: remove the 'n' members; '*removed' counts those that were there. */
int store_zrem(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
               size_t n, size_t *removed);

/* ZCARD: STORE_OK with the number of members (0 for a missing key), STORE_WRONGTYPE, or
 * an error. From RAM. */
int store_zcard(struct store *s, int db, struct omk_slice key, uint64_t *card);

/* ZSCORE: STORE_OK with the score in '*score', STORE_NOTFOUND (no such key or member),
 * STORE_WRONGTYPE, or an error. */
int store_zscore(struct store *s, int db, struct omk_slice key, struct omk_slice member,
                 double *score);

/* ZMSCORE: found[i] 1 and scores[i] set when members[i] is there, else found[i] 0.
 * STORE_OK, STORE_WRONGTYPE, or an error. */
int store_zmscore(struct store *s, int db, struct omk_slice key, const struct omk_slice *members,
                  size_t n, double *scores, unsigned char *found);

/* ZRANK / ZREVRANK ('rev' 1: counted from the highest score): STORE_OK with the rank in
 * '*rank', STORE_NOTFOUND, STORE_WRONGTYPE, or an error. O(log n) on a split set. */
int store_zrank(struct store *s, int db, struct omk_slice key, struct omk_slice member, int rev,
                uint64_t *rank);

/* What a range of a sorted set selects: by rank, by score or by member bytes. */
enum store_zby {
    STORE_ZBY_RANK = 0,
    STORE_ZBY_SCORE = 1,
    STORE_ZBY_LEX = 2,
};

/* A range (ZRANGE's arguments, parsed). Rank: 'start'/'stop' inclusive with Redis'
 * negative indexes, counted from the end 'rev' names. Score: 'min'..'max' ('minex',
 * 'maxex': exclusive; infinities allowed). Lex: 'lmin'..'lmax' ('lminex'/'lmaxex'
 * exclusive; 'lmininf' is "-", 'lmaxinf' is "+"). 'min' and 'lmin' are always the low
 * end, also when 'rev'. 'offset'/'limit' (LIMIT; 'limit' < 0: all) apply to score and
 * lex ranges, after 'rev'. */
struct store_zrange {
    enum store_zby by;
    int rev;
    int64_t start, stop;
    double min, max;
    int minex, maxex;
    struct omk_slice lmin, lmax;
    int lminex, lmaxex, lmininf, lmaxinf;
    int64_t offset, limit;
};

/* ZRANGE (every form), ZRANGEBYSCORE, ZRANGEBYLEX, ZREV*: call 'cb' for the members of
 * range 'r' in its order; '*n' says how many. STORE_OK, STORE_WRONGTYPE, or an error. */
int store_zrange(struct store *s, int db, struct omk_slice key, const struct store_zrange *r,
                 store_zcb *cb, void *arg, size_t *n);

/* ZRANGESTORE: replace 'dst' (whatever it held) with the members of range 'r' of 'src'
 * in one atomic step, deleting it when empty; '*card' its size. STORE_OK,
 * STORE_WRONGTYPE ('src'), or an error. */
int store_zrangestore(struct store *s, int db, struct omk_slice dst, struct omk_slice src,
                      const struct store_zrange *r, uint64_t *card);

/* ZCOUNT (by score) / ZLEXCOUNT (by lex) of range 'r' (no LIMIT, no 'rev'): STORE_OK
 * with the number in '*n', STORE_WRONGTYPE, or an error. */
int store_zcount(struct store *s, int db, struct omk_slice key, const struct store_zrange *r,
                 uint64_t *n);

/* ZREMRANGEBYRANK / BYSCORE / BYLEX: remove range 'r' (no LIMIT, no 'rev');
 * '*removed' says how many. STORE_OK, STORE_WRONGTYPE, or an error. */
int store_zremrange(struct store *s, int db, struct omk_slice key, const struct store_zrange *r,
                    uint64_t *removed);

/* ZPOPMIN (STORE_LEFT) / ZPOPMAX (STORE_RIGHT): remove up to 'count' members from that
 * end, calling 'cb' for each in the order removed; '*n' says how many. STORE_OK,
 * STORE_WRONGTYPE, or an error (nothing removed). */
int store_zpop(struct store *s, int db, struct omk_slice key, enum store_end end, uint64_t count,
               store_zcb *cb, void *arg, size_t *n);

/* ZMPOP (and BZPOPMIN / BZPOPMAX / BZMPOP's serving): store_zpop() on the first of the
 * 'nkeys' keys that holds a sorted set, as store_lmpop() looks for a list. */
int store_zmpop(struct store *s, int db, const struct omk_slice *keys, size_t nkeys,
                enum store_end end, uint64_t count, store_zcb *cb, void *arg, size_t *which,
                size_t *n);

/* ZRANDMEMBER with a count: as store_hrandfield() for members and their scores. */
int store_zrandmember(struct store *s, int db, struct omk_slice key, uint64_t count, int repeats,
                      store_rand_fn *rnd, store_zcb *cb, void *arg, size_t *n);

/* How ZUNION / ZINTER combine the scores of a member found in several inputs. */
enum store_zagg {
    STORE_ZAGG_SUM = 0,
    STORE_ZAGG_MIN = 1,
    STORE_ZAGG_MAX = 2,
};

/* ZUNION / ZINTER / ZDIFF / ZINTERCARD over the 'n' keys (sorted sets, or sets whose
 * members score 1; a missing key is empty), each input's scores multiplied by
 * weights[i] ('weights' NULL: all 1; inf * 0 is 0, as in Redis) and combined by 'agg'
 * (a sum reaching NaN is 0, as in Redis): call 'cb' (NULL: none) per member of the
 * result in (score, member) order, stopping after 'limit' (0: no limit), and write how
 * many to '*card'. ZDIFF keeps the first input's scores. STORE_OK, STORE_WRONGTYPE (a
 * key of another type), or an error. */
int store_zsetop(struct store *s, int db, enum store_setop op, const struct omk_slice *keys,
                 size_t n, const double *weights, enum store_zagg agg, uint64_t limit,
                 store_zcb *cb, void *arg, uint64_t *card);

/* ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: replace 'dst' with the result, as
 * store_setop_store() does for sets. */
int store_zsetop_store(struct store *s, int db, enum store_setop op, struct omk_slice dst,
                       const struct omk_slice *keys, size_t n, const double *weights,
                       enum store_zagg agg, uint64_t *card);

/* ZSCAN: as store_hscan(), 'cb' getting each member with its score. */
int store_zscan(struct store *s, int db, struct omk_slice key, uint64_t cursor, const char *pat,
                size_t plen, size_t count, store_zcb *cb, void *arg, uint64_t *next);

/* SORT's mark on the sorted set it sorts: Redis 7.0 converts it to "skiplist" (OBJECT
 * ENCODING), so a zset at 'key' still "listpack" leaves it for good; its members, scores
 * and expiry stay as they are, but the write counts as a change of the key (WATCH).
 * STORE_OK (also when 'key' is missing or already "skiplist"), STORE_WRONGTYPE, or an
 * error. */
int store_zconvert(struct store *s, int db, struct omk_slice key);

/* ---- SORT (store/ops_sort.c) -------------------------------------------------------------
 * SORT and SORT_RO over a list, a set or a sorted set, by Redis 7.0's rules (sort.c):
 * the elements ordered by themselves or by the values a BY pattern names, cut by LIMIT,
 * each mapped to the values of its GET patterns, replied or stored as a list. Built on
 * the calls above, holding no lock of its own: the source is read in one call (one state
 * of it), then each BY and GET lookup is a call of its own, so a write another client
 * makes meanwhile may be seen by some lookups and not others (Redis runs the whole
 * command at one instant). STORE replaces the destination in one call (store_lreplace).
 *
 * A pattern names a value for an element: "#" the element itself; else its first '*'
 * is replaced by the element to give a key whose string value it names, or with
 * "->field" after the '*', that hash field of the key. A pattern without '*', a missing
 * key or field, or a key of another type names nothing (nil). As in Redis, the pattern is
 * read as a C string where it looks for '*', "->" and "#": a zero byte ends that search. */

struct store_sort_opts {
    const struct omk_slice *by;   /* the BY patterns, in order ('nby' of them); the last
                                   * one counts, but if any has no '*' nothing is sorted
                                   * (Redis' rule): a list or sorted set keeps its order
                                   * (DESC reverses it), a set comes in no order (sorted as
                                   * ALPHA when 'store' is set, as Redis does). None: the
                                   * elements are sorted by themselves */
    size_t nby;
    const struct omk_slice *get;  /* the GET patterns, in order ('nget' of them); none:
                                   * the elements themselves are the result */
    size_t nget;
    int64_t offset, count;        /* LIMIT offset count ('count' < 0: to the end); without
                                   * LIMIT 0 and -1. Clamped as Redis clamps them */
    int desc;                     /* DESC: the order reversed */
    int alpha;                    /* ALPHA: compared as byte strings, else as numbers */
    const struct omk_slice *store; /* STORE destination; NULL: the result goes to 'cb' */
};

/* Called per value of the result, in order: 'val' is the value (valid during the call),
 * or NULL for a nil (a GET that named nothing). Returns 0 to go on, non-zero to stop (the
 * caller gives up its reply). Runs with no store lock held. */
typedef int store_sort_cb(void *arg, const struct omk_slice *val);

/* The keys store_sort() looked up, for INFO's keyspace_hits and keyspace_misses as Redis'
 * lookupKeyRead counts them: the key sorted, then each key a BY or GET pattern named (not
 * "#", nor a pattern without '*'); a hit when the key exists, whatever it holds. */
struct store_sort_lookups {
    uint64_t hits, misses;
};

/* SORT key [options 'o'] of database 'db'. Without 'o->store', call 'cb' for each value
 * of the result; with it, replace 'o->store' by the result (nil values as empty strings;
 * an empty result deletes it). '*n' is the number of values (Redis' reply: the array's
 * length, or STORE's count). Numbers are read as Redis 7.0 reads them (strtod taking
 * every byte up to the first zero byte, neither NaN nor out of range), a missing BY value
 * counting as 0; equal numbers are ordered by the elements' bytes. ALPHA compares bytes
 * (up to the first zero byte unless storing: Redis' strcoll in the C locale), a missing
 * BY value first. Returns STORE_OK, STORE_WRONGTYPE ('key' is not a list, set or sorted
 * set; a missing key is an empty list), STORE_NOTFLOAT (a value to sort by does not read
 * as a number: Redis' "One or more scores can't be converted into double"; nothing
 * stored), or an error (a lookup's: some values may have gone to 'cb'). A sorted set
 * read, whatever the outcome after the read, is marked "skiplist" (store_zconvert).
 * '*lk' (zeroed by the caller) counts the lookups made, whatever the outcome. */
int store_sort(struct store *s, int db, struct omk_slice key, const struct store_sort_opts *o,
               store_sort_cb *cb, void *arg, uint64_t *n, struct store_sort_lookups *lk);

/* ---- Checkpoints (store/checkpoint.c) ------------------------------------------------ */

/* SAVE / BGSAVE: write a consistent copy of every database to '<dir>/checkpoint' (a
 * RocksDB checkpoint: SST files hard-linked, so it costs little space and time; open
 * it with omenkv-server --dir <dir>/checkpoint), replacing the previous one only once
 * the new one is complete. Writes the path to 'path'. Returns STORE_OK,
 * STORE_ERR_BUSY when another save is running, or an I/O error. Any thread. */
int store_save(struct store *s, char *path, size_t pathlen);

/* BGSAVE: the same in a background thread (store_close waits for it). STORE_OK when
 * started, STORE_ERR_BUSY when a save is running. */
int store_bgsave(struct store *s);

/* Unix ms of the last successful save (the open time before any), whether a save is
 * running now, and whether the last one succeeded (LASTSAVE, INFO persistence). */
int64_t store_last_save_ms(struct store *s);
int store_saving(struct store *s);
int store_last_save_ok(struct store *s);

/* ---- Named meta blobs (store/metablob.c) --------------------------------------------
 * Small records of the daemon's own (FUNCTION's libraries) kept in RocksDB's meta column
 * family under a name (up to 200 bytes), so that they survive a restart. A put or a
 * delete is one write through the log (inside a transaction: part of its batch), as
 * durable as any other write. Any thread, no store lock held. */

/* Read blob 'name': STORE_OK with a copy in '*val'/'*vlen' (omk_malloc'ed, one NUL byte
 * after it, freed with omk_free), STORE_NOTFOUND, or the read's error. */
int store_meta_get(struct store *s, const char *name, char **val, size_t *vlen);

/* Write blob 'name' = 'val'/'vlen' (replacing it). STORE_OK or the log's error. */
int store_meta_put(struct store *s, const char *name, const void *val, size_t vlen);

/* Delete blob 'name' (none: nothing changes). STORE_OK or the log's error. */
int store_meta_del(struct store *s, const char *name);

#endif
