/* store_internal.h - what the store's files share: the struct store and its lock order,
 * the operation sequence every call is built from (keyspace.c), the write path
 * (commit.c), the index load and self-checks (load.c), and the test hooks. Module-private:
 * tests/unit may include it, other modules may not. */
#ifndef OMK_STORE_STORE_INTERNAL_H
#define OMK_STORE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "index/index.h"
#include "store/cache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"

#define STORE_STRIPES 1024 /* per-key mutexes; a power of two */
#define STORE_ZRANK_BUDGET ((size_t)64 << 20) /* rank blocks kept unpinned (zrank.h) */
#define STORE_LANES 16     /* reader lanes of 'excl' (threads beyond 16 share lanes) */
#define STORE_LINE 64      /* bytes of a cache line */

/* One reader lane of 'excl', on a cache line of its own: a thread always takes the same
 * lane as reader, so readers on different threads write no shared line. */
struct store_lane {
    pthread_rwlock_t lock;
} __attribute__((aligned(STORE_LINE)));

struct scan_table;
struct coll_ids;
struct zrank_reg;
struct zset_ends;
struct reclaimer;

/* LOCKS, and the order in which they are taken (never the reverse):
 *
 *   1. 'excl' (writer-preferring rwlocks, one lane per cache line). Every public call
 *      holds its thread's lane as a reader for its whole duration (store_rdlock), so
 *      readers on different threads share no written line; store_flush() and
 *      store_check() take every lane as the writer (store_wrlock), so they see no call
 *      in flight. Nothing takes it twice in one thread: with a
 *      waiting writer a second read lock would deadlock, so internal helpers assume
 *      it is held and never take it.
 *   2. 'stripe[i]' (mutex), i = omk_hash(RocksDB key) & (STORE_STRIPES - 1). Held by
 *      every read-modify-write of that key (set with its existence check, del, the
 *      delete of a lazily expired key) across its RocksDB read and write. A call that
 *      needs several (store_op_lock) takes them in ascending index order, each index
 *      once. Plain reads (get, exists, scan) take none. A thread may keep the
 *      stripes of its last write between calls (keyspace.c, "Stripes kept between
 *      operations"): then it tries 'excl' and gives them back before it would wait.
 *   3. The SCAN cursor table mutex (scan.c): held only to look up or update a slot,
 *      never across RocksDB I/O and never together with a stripe but a kept one.
 *   4. 'sync_mu' (the everysec thread's sleep): taken alone, never with the others.
 *      The same thread takes 'excl' as writer to resume writes (commit.c), after
 *      dropping 'sync_mu'.
 *   5. The index shard locks (index/shard.h), innermost: taken for one index operation
 *      at a time (or one ordered walk), after any of 1-2, and never held across
 *      RocksDB I/O or a callback into the caller.
 *   6. The value cache's mutex (cache.c) is a leaf: nothing is taken while it is held.
 *      Its eviction callback (store_cache_detach) takes a shard lock as writer after
 *      dropping it, so cache_admit, cache_set_budget and cache_clear are called with
 *      'excl' held (as reader, or as writer by store_flush) and no shard lock; pins
 *      (cache_pin/unpin) are atomics and may be taken under a shard lock.
 *   7. The element cache's shard mutexes (elemcache.c) are leaves too: taken one at a
 *      time, under a stripe or under nothing (the detach callback), with only pins
 *      taken inside; never held around cache_admit.
 *
 * reclaim.c's mutex is a leaf too: queued to under a stripe, never held while another
 * lock is taken or RocksDB is called.
 *
 * rocks.c's 'life' lock comes after 'excl' (a reopen holds both as writer; a checkpoint
 * holds only 'life', as reader), and RocksDB's internal locks come after all of these. The counters are atomics and need
 * no lock; they are exact because each change is made under the key's stripe (or the
 * exclusive lock), in the same critical section as the write that causes it. */
struct store {
    struct rocks *rocks;
    int databases;                  /* 1..256; immutable */
    atomic_int fsync;               /* enum store_fsync */

    struct store_lane excl[STORE_LANES]; /* lock 1: a reader takes its thread's lane, a
                                     * writer every lane in ascending order */
    pthread_mutex_t stripe[STORE_STRIPES]; /* lock 2 */

    atomic_uint_fast64_t *keys;     /* [256] keys stored (expired ones included), by
                                     * physical db byte (db_phys below) */
    atomic_uint_fast64_t *expires;  /* [256] of those, keys with an expiry */
    unsigned char db_phys[256];     /* logical db (SELECT n) -> the db byte its keys carry
                                     * in RocksDB and the index: a permutation, changed by
                                     * SWAPDB (dbmap.c) under 'excl' as writer; read under
                                     * 'excl', or with __atomic loads (store_dbsize) */
    unsigned char db_logical[256];  /* its inverse: db byte -> logical db */
    _Atomic int access_lfu;         /* 1: the access field holds an LFU counter, 0: a
                                     * clock (store_set_access_policy) */
    _Atomic int access_keep;        /* 1: DEBUG RELOAD keeps the access fields (an LRU or
                                     * LFU policy) */
    _Atomic unsigned lfu_log_factor; /* lfu-log-factor */
    _Atomic unsigned lfu_decay_time; /* lfu-decay-time: minutes per decrement, 0 none */
    store_latency_fn *_Atomic latency; /* store_set_latency(); NULL: none */
    atomic_int_fast64_t access_shift_ms; /* test hook: added to the clock the access
                                     * field is kept by (store_access_shift) */
    atomic_uint_fast64_t expired_keys; /* keys removed because their time passed */
    atomic_uint_fast64_t wal_syncs;    /* WAL syncs (everysec thread, appendfsync always) */
    _Atomic uint64_t flushed_seq;   /* every write up to this sequence number is in the
                                     * log file (synced, under appendfsync always) */
    atomic_int_fast64_t last_sync_ms;  /* Unix ms of the last WAL sync, 0: none */
    int64_t open_ms;                /* ms store_open() spent counting keys; immutable */

    store_log_fn *log;              /* store_config.log; immutable */
    store_touch_fn *touched;        /* store_config.touched; immutable */
    store_event_fn *evented;        /* store_config.evented; immutable */

    pthread_t syncer;               /* the everysec thread (commit.c) */
    pthread_mutex_t sync_mu;        /* lock 4: guards 'sync_stop' */
    pthread_cond_t sync_cv;         /* signalled by store_close(); CLOCK_MONOTONIC */
    int sync_stop;                  /* 1: the syncer must exit (sync_mu) */
    uint64_t synced_writes;         /* rocks writes at the last sync (syncer only) */
    atomic_uint_fast64_t epoch;     /* RocksDB reopens by a resume (commit.c); changed
                                     * under 'excl' as writer */
    uint64_t resume_probes;         /* failed probes in a row (syncer only) */
    int64_t resume_wait_ms;         /* pause after the last failed reopen (syncer only) */
    int64_t resume_next_ms;         /* Unix ms before which no reopen is tried (syncer only) */

    struct scan_table *scans;       /* SCAN cursors (scan.c; its own mutex) */
    struct idx_shards *ix;          /* every key: RocksDB key -> entry (lock 5, innermost) */
    char *dir;                      /* the data directory; immutable */
    int index_file;                 /* store_config's: write the index at a clean
                                     * close and read it at the next open */
    int index_file_use;             /* ... and this open may trust it (no repair,
                                     * no skip-any log recovery) */
    struct ixf_table *ixf_known;    /* the keys' table files this start verified with
                                     * their hashes (index_file.c): a clean close reuses
                                     * the hashes of those still there; NULL if none */
    size_t ixf_nknown;
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
    struct ecache *ecache;          /* hot elements of split collections, items of 'cache'
                                     * found by (id, element) (elemcache.h) */
    struct coll_ids *ids;           /* live collection ids and the id counter (coll.c) */
    struct zrank_reg *zranks;       /* rank blocks of large split zsets (zrank.h) */
    struct zset_ends *zends;        /* where split zsets' live index keys begin and end
                                     * (ops_zset.c): pops leave deletions behind */
    uint64_t zrank_min;             /* test hook: 0, or the size blocks start at */
    uint32_t zrank_block;           /* test hook: 0, or the keys per block */
    struct reclaimer *reclaim;      /* compactions of dead collections (reclaim.c) */
    pthread_mutex_t readers_mu;     /* a leaf lock: guards 'readers' */
    struct store_reader *readers;   /* the live store_get_reader() readers (reader.c) */
    _Atomic uint64_t lim_hash_entries, lim_hash_value, lim_set_entries, lim_inline;
    _Atomic uint64_t lim_zset_entries, lim_zset_value;
    _Atomic uint64_t lim_frag;      /* strings longer than this are fragmented (strval.h) */
                                    /* store_coll_limits, changed at run time */
    atomic_size_t cache_max_value;  /* longer values bypass the cache, bytes */
    atomic_uint_fast64_t tickets;   /* fill tickets handed out (keyspace.c) */
};

/* The 'loc' word of an index entry (index.h leaves it to the store) says where the
 * value is besides RocksDB, and is read and written with __atomic builtins:
 * (bits 0-55; the top byte holds the entry's flags, THE INDEX ENTRY'S LAYOUT below):
 *   0             nowhere: on disk only.
 *   even, != 0    a struct cache_item * holding the current value (its 'owner' is the
 *                 entry, its 'tag' the shard). Changed to anything else only under the
 *                 shard's write lock, so a reader holding the read lock may pin it.
 *   odd           a fill ticket: a reader is reading the value from RocksDB to cache it;
 *                 it publishes its item only if the ticket is still there (no write of
 *                 the key came in between). Placed (from 0) and withdrawn by CAS under
 *                 the read lock; any write of the key overwrites it.
 *   2 mod 4       a split collection's id: (id << 2) | STORE_LOC_ID (STORE_EF_SPLIT set);
 *                 set and changed by writes only, under the key's stripe.
 * Tags 2 mod 4 on an entry without STORE_EF_SPLIT stay free for inline values (ALEX.md
 * 3.1) if they come. */
#define STORE_LOC_TICKET 0x1u
#define STORE_LOC_ID 0x2u

/* Levels of store_log(). */
enum store_log_level {
    STORE_LOG_NOTICE = 0, /* progress (loading the index) */
    STORE_LOG_WARN = 1,   /* a problem that may repeat (a RocksDB error): rate-limited */
    STORE_LOG_ALERT = 2,  /* a problem said once (recovery, a reopen): never suppressed */
};

/* Log one line through 'fn' (store_config.log; NULL: stderr), printf-style, at 'level'
 * (enum store_log_level; 'fn' sees 1 for a warning or an alert, 0 for a notice).
 * STORE_LOG_WARN lines are rate-limited to one a second process-wide (a full disk fails
 * every write); the next one that passes says how many were suppressed. */
void store_log(store_log_fn *fn, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Build the index from RocksDB (store_open): one ordered pass, then a bulk load.
 * Counts keys and keys with an expiry per db byte into 'keys'/'expires' (arrays of 256,
 * zeroed by the caller). STORE_OK, or an I/O error with a message in 'err'. */
int store_index_load(struct store *s, uint64_t *keys, uint64_t *expires, char *err,
                     size_t errlen);

/* CPU seconds the process has used so far (every thread), for the index load's log
 * lines (load.c, index_file.c). */
double store_cpu_s(void);

/* The key index written at a clean shutdown (index_file.c, HOW IT WORKS): write every
 * entry to <dir>/index.omk for the next start. Called by store_close() once nothing
 * writes any more; writes nothing while writes are refused. STORE_OK, or STORE_ERR_IO
 * (logged; the next start reads RocksDB). */
int store_index_file_write(struct store *s);

/* Read <dir>/index.omk, if there is one, into entries sorted by key ('*out', omk_free;
 * the entries idx_entry_free), counting keys and keys with an expiry per db byte into
 * 'keys'/'expires' as store_index_load() does, when 'use' is 1 and the file matches
 * RocksDB as opened; in every case the file is removed and the outcome logged.
 * STORE_OK, or STORE_NOTFOUND (no file, or not used: read RocksDB). */
int store_index_file_read(struct store *s, int use, struct idx_entry ***out, size_t *nout,
                          uint64_t *keys, uint64_t *expires);

/* Build the index again from RocksDB (after a reopen): read every key as
 * store_index_load() does, and only once that succeeded empty the value cache and the
 * index and load them. Caller holds 'excl' as writer. STORE_OK, or an I/O error with a
 * message in 'err', the index and the cache unchanged. */
int store_index_reload(struct store *s, uint64_t *keys, uint64_t *expires, char *err,
                       size_t errlen);

/* Walk RocksDB and check every key against its index entry and the index's own
 * invariants, counting as store_index_load() does (plus undecodable values in '*bad').
 * Caller holds 'excl' as writer. STORE_OK, or an error with the first fault in 'err'. */
int store_index_check(struct store *s, uint64_t *keys, uint64_t *expires, uint64_t *bad,
                      char *err, size_t errlen);

/* Check every split collection against its element records: as many records under its
 * id as its count, each where its layout puts it (a hash's, set's or zset's element at
 * its position, and a zset's score index one record per member; a list's at head,
 * head + 1, ... with no gap), every live id held by exactly the keys that name it.
 * Records of dead ids (awaiting compaction) are allowed. Caller holds 'excl' as writer.
 * STORE_OK, STORE_ERR_VALUE with the first fault in 'err', or an I/O error. */
int store_coll_check(struct store *s, char *err, size_t errlen);

/* Remove every key of database 'db' from the index (FLUSHDB, after RocksDB dropped
 * them). Caller holds 'excl' as writer. */
void store_index_clear_db(struct store *s, int db);

/* ---- What the index knows of a key (keyspace.c) ---- */

/* What the store knows of one key before it writes it. */
struct key_state {
    int exists;        /* RocksDB holds the key (live, expired, or undecodable) */
    int live;          /* exists and has not expired */
    int has_expiry;    /* its header has an expiry: it is in the 'expires' count */
    int bad;           /* exists but its header does not decode (treated as live, no TTL) */
    int64_t expire_ms; /* its absolute expiry, 0: none */
    size_t vlen;       /* a string's length (a fragmented one's too); a collection's
                        * payload bytes, only once its value was read */
    int type;          /* enum store_type (STORE_TYPE_STRING when it does not exist) */
    unsigned fflags;   /* its format flags (FMT_F_SPLIT, FMT_F_BIG; a string's FMT_F_RAW,
                        * FMT_F_NOINT, FMT_F_FRAG) */
    uint64_t count;    /* a collection's element count; a fragmented string's fragments */
    uint64_t id;       /* a split collection's or a fragmented string's id, else 0 */
    size_t cache_lim;  /* a new value shorter than this (bytes) is written through to
                        * the cache by store_ws_put(); 0: none (set by store_lookup) */
};

/* THE INDEX ENTRY'S LAYOUT (struct idx_entry in index.h leaves these words to the store),
 * defined here once for every type, 22 bytes before the key (index.h, LAYOUT):
 *
 *   val_len        a string: its length (a fragmented one's too, not its record's); a
 *                  collection: its element count (so a collection holds at most
 *                  2^32 - 1 elements, a string 2^32 - 1 bytes)
 *   expire_flags   bits 0-39: the expiry, ms after IDX_EXPIRE_EPOCH_MS (2020-01-01),
 *                  0 for none; an expiry outside what 40 bits reach has STORE_EF_FAR
 *                  set and a bound in the field: 1 (in 2020: past) for one before 2020,
 *                  all ones for one after 2054-11; the exact value is read from the
 *                  record's header (keyspace.c) when a call needs it.
 *                  bits 40-63: the access field (access.c), Redis' 24-bit 'lru': under
 *                  an LRU policy the Unix time in seconds of the key's last access modulo
 *                  2^24 (194 days); under an LFU one the minutes (modulo 2^16) of the
 *                  counter's last decrement, then the logarithmic access counter in the
 *                  low 8 bits. Readers holding only the shard's read lock change it with
 *                  a compare-and-swap of the whole word, and only when its value changes;
 *                  writers keep it (store_entry_fill) or set it (store_access_init) under
 *                  the write lock.
 *   loc            bits 0-55: see the 'loc' word above; bits 56-63, the flags:
 *     bit 0        STORE_EF_BAD    the stored header does not decode
 *     bit 1        STORE_EF_FAR    the expiry does not fit the field: RocksDB has it
 *     bits 2-4     the type (enum store_type)
 *     bit 5        STORE_EF_SPLIT  a split collection or a fragmented string: 'loc'
 *                                  holds its id (tag 2 below)
 *     bit 6        STORE_EF_BIG    the collection left Redis' compact encoding; a
 *                                  string is "raw" whatever its bytes (FMT_F_RAW)
 *     bit 7        STORE_EF_NOINT  a string is never "int" (FMT_F_NOINT)
 *                  The flags change only under the shard's write lock; readers' CAS on
 *                  'loc' (fill tickets) carry them over unchanged (keyspace.c).
 *
 * Why so: Redis' 24 access bits had to come from somewhere without growing the entry.
 * An absolute expiry needed 48 bits; counted from 2020 it needs 40 for 34 years, and the
 * flags moved to the top byte of 'loc', which no pointer, ticket or id reaches (user
 * space ends below 2^56; tickets and ids are kept below it).
 *
 * So a collection costs no byte more than a string: its id lives where a string keeps
 * its cache handle (a split collection has no cached value), its count where a string
 * keeps its length. */
#define STORE_EF_BAD 0x1    /* the stored header does not decode */
#define STORE_EF_FAR 0x2    /* the expiry does not fit the field: read it from RocksDB */
#define STORE_EF_TYPE_SHIFT 2
#define STORE_EF_TYPE_MASK (0x7u << STORE_EF_TYPE_SHIFT)
#define STORE_EF_SPLIT 0x20 /* a split collection; 'loc' holds its id */
#define STORE_EF_BIG 0x40   /* left the compact encoding (OBJECT ENCODING "hashtable", "raw") */
#define STORE_EF_NOINT 0x80 /* a string that is never "int" */
#define STORE_ACCESS_BITS 24 /* the access field: bits 40-63 of expire_flags */
#define STORE_ACCESS_MAX ((1u << STORE_ACCESS_BITS) - 1)
#define STORE_ACCESS_WORD ((uint64_t)STORE_ACCESS_MAX << IDX_EXPIRE_BITS)
#define STORE_LOC_MASK ((UINT64_C(1) << IDX_FLAGS_SHIFT) - 1) /* 'loc' without the flags */

/* The 'loc' word of 'e' without its flags (acquire: a published item is complete). */
static inline uint64_t store_loc_get(const struct idx_entry *e)
{
    return __atomic_load_n(&e->loc, __ATOMIC_ACQUIRE) & STORE_LOC_MASK;
}

/* Set the 'loc' word of 'e' to 'loc', keeping its flags. Caller holds the shard's write
 * lock (or owns 'e' alone). */
static inline void store_loc_set(struct idx_entry *e, uint64_t loc)
{
    OMK_ASSERT((loc & ~STORE_LOC_MASK) == 0);
    uint64_t flags = __atomic_load_n(&e->loc, __ATOMIC_RELAXED) & ~STORE_LOC_MASK;

    __atomic_store_n(&e->loc, flags | (loc & STORE_LOC_MASK), __ATOMIC_RELEASE);
}

/* The id of split collection (or fragmented string) 'e' (STORE_EF_SPLIT set). */
static inline uint64_t store_entry_id(const struct idx_entry *e)
{
    return store_loc_get(e) >> 2;
}

/* The fragments of a fragmented string of 'len' bytes (its element records at most). */
static inline uint64_t store_frag_count(uint64_t len)
{
    return (len + FMT_FRAG_BYTES - 1) / FMT_FRAG_BYTES;
}

/* The type of the key of entry 'e' (enum store_type). */
static inline int store_entry_type(const struct idx_entry *e)
{
    return (int)((idx_entry_flags(e) & STORE_EF_TYPE_MASK) >> STORE_EF_TYPE_SHIFT);
}

struct idx_entry;

/* Set the metadata of index entry 'e' (the layout above): 'len' (a string's payload
 * length or a collection's count), absolute expiry, flags (type bits included). The
 * access byte is kept. Caller holds the shard's write lock (or owns 'e' alone). */
void store_entry_fill(struct idx_entry *e, size_t len, int64_t expire_ms, unsigned flags);

/* ---- The access field (access.c) ---- */

/* Give new entry 'e' the access field of a key created at 'now_ms' (Unix ms): the clock
 * now, or LFU's initial count (5) stamped now. Shard write lock held, or 'e' not yet
 * published. */
void store_access_init(struct store *s, struct idx_entry *e, int64_t now_ms);

/* Record an access to 'e' at 'now_ms' if this thread's lookups touch keys
 * (store_access_set): the clock moves to now, or the LFU counter decays and may grow.
 * The entry's word is written only when the field changes. Shard read (or write) lock
 * held. */
void store_access_touch(struct store *s, struct idx_entry *e, int64_t now_ms);

/* Give entry 'to' the access field of entry 'from' (a key that becomes another: RENAME,
 * MOVE, the index rebuilt by DEBUG RELOAD). Shard write lock of 'to' held, or 'to' not
 * yet published; 'from' stable under its lock. */
void store_access_carry(struct idx_entry *to, const struct idx_entry *from);

struct store_op;

/* RENAME and MOVE: write 'op' (its stripes held, key 0 looked up) moves key 0 to key 1,
 * so once it commits key 1 gets the access field key 0 has now, as Redis' renamed object
 * keeps its 'lru' (COPY makes a new object, with a fresh field). Sets the operation's
 * before_unlock hook. */
void store_access_follow(struct store_op *op);

/* DEBUG RELOAD under an LRU or LFU policy: give each new entry of 'v' (n) the access
 * field of the key's entry in the index being replaced, as Redis' reload keeps idle
 * times or counts (a count is stamped now, as Redis' load does). Under 'excl' as
 * writer. */
void store_access_reloaded(struct store *s, struct idx_entry **v, size_t n);

/* 1 if this thread's lookups touch the keys they find (store_access_set). */
int store_access_touching(void);

/* ---- Logical and physical databases (dbmap.c) ---- */

/* The db byte of logical db 'db' / the logical db of db byte 'phys'. Under 'excl' (either
 * side) for a stable answer. */
static inline int store_db_phys(const struct store *s, int db)
{
    return __atomic_load_n(&s->db_phys[db], __ATOMIC_RELAXED);
}

static inline int store_db_logical(const struct store *s, int phys)
{
    return __atomic_load_n(&s->db_logical[phys], __ATOMIC_RELAXED);
}

/* Read the database map from RocksDB's meta family into 's' (the identity when none was
 * written) and check it: a permutation of 0..255 under which every db byte that holds
 * keys ('keys', counted per db byte by the index load) is a configured database.
 * STORE_OK, or STORE_ERR_VALUE / an I/O error with the reason in 'err'. Before any
 * other user of the store, or under 'excl' as writer. */
int store_dbmap_load(struct store *s, const uint64_t *keys, char *err, size_t errlen);

/* The entry flags (type, split, big) of a value of 'type' with format flags 'fflags'. */
unsigned store_entry_flags_of(int type, unsigned fflags);

/* Cache coherence self-check, for store_check(): every resident item published in an
 * index entry that points back at it, with the entry's length and expiry and the bytes
 * RocksDB holds; every entry's 'loc' a resident item or 0 (no ticket outlives its call);
 * then cache_check(). Caller holds 'excl' as writer. STORE_OK, or STORE_ERR_VALUE with
 * the first fault in 'err', or an I/O error. */
int store_cache_check(struct store *s, char *err, size_t errlen);

/* The cache's eviction callback (cache_detach_fn): unpublish item 'it' from its index
 * entry under the shard's write lock. 'arg' is the store. */
void store_cache_detach(void *arg, struct cache_item *it);

/* Tell the store's touch hook (store_config.touched) that key 'key'/'klen' of 'db'
 * changed ('key' NULL: every key of 'db'; 'db' -1: of every db), creating a list or a
 * sorted set of type 'created' (else -1; store_touch_fn). */
void store_touched(struct store *s, int db, const char *key, size_t klen, int created);

/* Add 'dkeys' and 'dexp' to db 'db''s counters (modular: negative values subtract).
 * Call under the lock that made the write. */
void store_count(struct store *s, int db, int64_t dkeys, int64_t dexp);

/* Take / release 'excl' as reader (lock 1: this thread's lane). */
void store_rdlock(struct store *s);
void store_rdunlock(struct store *s);

/* Take / release 'excl' as writer (every lane, ascending): store_flush, store_check. */
void store_wrlock(struct store *s);
void store_wrunlock(struct store *s);

/* ---- The operation sequence (keyspace.c) ----------------------------------------------
 *
 * HOW IT WORKS: every call that names keys is one operation, in this order:
 *
 *   store_op_begin(&op, s, mode, n)      the operation and its number of keys
 *   store_op_key(&op, i, db, key)        each key (i < n)
 *   store_op_lock(&op)                   'excl' as reader; a write also takes the keys'
 *                                        stripes, ascending, each once; then the clock
 *                                        is read, once: 'op.now'
 *   store_op_lookup(&op, i, want)        what is known of key i (and its value)
 *   store_op_put / store_op_del          changes, into one write set
 *   store_op_end(&op, rc)                commit the write set (one RocksDB batch) unless
 *                                        'rc' is an error, unlock, free
 *
 * The clock is read after the stripes are held, so every expiry the operation judges is
 * judged at an instant no other writer of its keys can come between. A key found
 * expired counts as missing: a write removes it in its own write set (lazy expiry, as
 * Redis' lookupKeyWrite does); a read (which holds no stripe) has store_op_end() remove
 * it afterwards in an operation of its own, if it is still expired then.
 *
 * A read (STORE_OP_READ) takes no stripe: it sees each key as of one instant, and a
 * value it reads is the key's value at some instant during the call. */

enum store_op_mode {
    STORE_OP_READ = 0,  /* no change: 'excl' as reader only */
    STORE_OP_WRITE = 1, /* may change its keys: their stripes held from lock to end */
};

/* What store_op_lookup() reads. */
enum store_op_want {
    STORE_WANT_STATE = 0, /* the key's state (the index answers; no RocksDB read) */
    STORE_WANT_VALUE = 1, /* and its value, when it is live and decodes */
    STORE_WANT_STRING = 2, /* and its value if it is a string (MGET: another type's
                            * payload is not read) */
    STORE_WANT_INLINE = 3, /* and its value if it is an inline collection (a split one's
                            * record says what the state does; a string's is not read):
                            * a collection opened in one lookup */
};

/* The stripes of an operation's keys, held together: distinct indexes, ascending. */
struct store_keylock {
    unsigned *idx;          /* 'inline_idx' or allocated */
    size_t n;
    unsigned inline_idx[8]; /* storage for up to 8 keys */
};

/* One key of an operation. */
struct store_op_key {
    struct fmt_key k;        /* the RocksDB key */
    int db;                  /* its db byte (the logical db named, until store_op_lock
                              * maps it, unless 'phys_' said it is a db byte already) */
    int phys_;               /* 'db' is a db byte (store_op_key_phys) */
    int touched_;            /* a lookup of it counted as an access: the next do not (an
                              * operation is one access of each key, as Redis' lookup) */
    struct key_state st;     /* as found by the last store_op_lookup() of it; an expired
                              * key reads as missing (all zero) */
    const char *val;         /* STORE_WANT_VALUE, live and decodable: its payload, valid
                              * until store_op_end() or store_op_take_val(); else NULL */
    size_t vlen;             /* bytes at 'val' */
    /* The operation's own: */
    struct key_state cur_;   /* the state the write set has left it in so far */
    struct cache_item *item_; /* the pinned cache item 'val' points into, or NULL */
    char *buf_;              /* or the RocksDB buffer it points into (header first) */
    size_t n_;               /* bytes at 'buf_' */
    int expired_;            /* found expired (a read removes it at store_op_end) */
    unsigned char meta_[FMT_SPLIT_LEN]; /* a fragmented string's record payload, rebuilt
                                         * from the index ('val' points here) */
};

/* A write set: changes to keys, committed in one RocksDB batch (atomic on disk), after
 * which the index, the cache and the counters are brought up to date from each key's
 * state before the change (commit.c). */
struct store_ws_op {
    int db;
    const struct fmt_key *k;
    struct key_state before;
    int del;           /* 1: delete, 0: put */
    size_t vlen;       /* payload bytes (put) */
    int64_t expire_ms; /* the new expiry (put) */
    int type;          /* the new value's type (put) */
    unsigned fflags;   /* its format flags */
    uint64_t count;    /* a collection's count (put) */
    uint64_t id;       /* a split collection's id (put), else 0 */
    struct cache_item *item; /* put: the new value for the cache (pinned, not admitted),
                              * or NULL when it bypasses the cache */
    int quiet;         /* 1: the commit does not tell the touch hook (store_op_quiet) */
    int touch;         /* 1: the key's record and index entry stay as they are (its
                        * elements changed, not its metadata): the commit only tells the
                        * key written (store_op_touch) */
};

/* A split collection's element change, for the element cache once the batch is in. */
struct store_ws_elem {
    struct cache_item *item; /* the element and its new value (pinned, not admitted) */
    int del;                 /* 1: removed (the item's value is empty) */
};

struct store_ws {
    struct rocks_batch *b;
    struct store_ws_op *ops;
    size_t n, cap;
    struct store_ws_elem *elems;
    size_t nelems, capelems;
};

struct store_op {
    struct store *s;
    enum store_op_mode mode;
    int64_t now;             /* Unix ms: the operation's one reading of the clock */
    int touch;               /* its lookups count as accesses (OBJECT IDLETIME / FREQ):
                              * this thread's store_access_set() unless the call is one
                              * that Redis never lets touch (EXISTS, TYPE, TTL, ...) */
    size_t n;                /* keys */
    struct store_op_key *key; /* [n]: 'key_inline' or allocated */
    struct store_op_key key_inline[2];
    struct store_keylock l;  /* the stripes a write holds */
    struct store_ws w;       /* what a write commits */
    /* A write's last step under its stripes: called by store_op_end() with the outcome
     * (the commit's error if it failed) after the commit, before the unlock (NULL: none).
     * It must not call the store. */
    void (*before_unlock)(struct store_op *op, int rc, void *arg);
    void *before_unlock_arg;
    int err;                 /* STORE_OK, or the error of a step that returns none (a
                              * store_op_put of a fragmented string that found no id):
                              * store_op_end() then commits nothing and returns it */
    uint64_t *held;          /* ids this operation keeps live (coll_ids_ref) while it
                              * writes their records ahead of its commit; store_op_end()
                              * drops them after the commit (store_op_hold_id) */
    size_t nheld;
};

/* Keep collection id 'id' live until the end of 'op' (records written under it in
 * batches of their own before the commit must not meet the dead-id filter). */
void store_op_hold_id(struct store_op *op, uint64_t id);

/* Start operation 'op' of 'mode' on 'n' keys (named next with store_op_key()). */
void store_op_begin(struct store_op *op, struct store *s, enum store_op_mode mode, size_t n);

/* Name key 'i' of 'op': user key 'key' (bytes copied) of logical database 'db';
 * store_op_lock() maps it to its db byte (SWAPDB's indirection, dbmap.c). */
void store_op_key(struct store_op *op, size_t i, int db, struct omk_slice key);

/* The same for a key whose db byte 'phys' is known (read from the index or RocksDB). */
void store_op_key_phys(struct store_op *op, size_t i, int phys, struct omk_slice key);

/* Take the operation's locks and read the clock (see HOW IT WORKS). */
void store_op_lock(struct store_op *op);

/* The three calls above for an operation on one key. */
void store_op_begin1(struct store_op *op, struct store *s, enum store_op_mode mode, int db,
                     struct omk_slice key);

/* Look up key 'i' of locked 'op' into 'op->key[i]' (see struct store_op_key): its state,
 * and with STORE_WANT_VALUE its value (the cache's item pinned, without a copy, or read
 * from RocksDB and cached on the way). A key found expired reads as missing; a write
 * records its deletion in the write set. Looking a key up again (to read its value once
 * the state says a write will follow) gives the same state. Returns STORE_OK or an I/O
 * error (the key's fields are then undefined). A value that does not decode reads as
 * 'st.bad' with 'val' NULL: the caller decides what that means. */
int store_op_lookup(struct store_op *op, size_t i, enum store_op_want want);

/* store_op_lookup(), then STORE_NOTFOUND when key 'i' does not exist (or has expired). */
int store_op_find(struct store_op *op, size_t i, enum store_op_want want);

/* store_op_lookup() of every key of 'op', their RocksDB reads made together: the index
 * answers each key first (hits, missing and expired keys, other types need no read),
 * then the values it did not answer are read in one MultiGet (store_log_multi_get), and
 * each is judged and cached as store_op_lookup() would. rcs[i] (op->n of them) is key
 * i's outcome; returns STORE_OK or the first error among them. */
int store_op_lookup_many(struct store_op *op, enum store_op_want want, int *rcs);

/* Add to the write set of write 'op': put string value 'val'/'vlen' (copied) with
 * absolute expiry 'expire_ms' (0: none) at key 'i'; or delete key 'i' (nothing if it
 * does not exist by then). */
void store_op_put(struct store_op *op, size_t i, const void *val, size_t vlen,
                  int64_t expire_ms);
/* The same for a value of any type: 'type', format flags 'fflags' (format.h) and its
 * payload (a collection's as format.h lays it out). */
void store_op_put_typed(struct store_op *op, size_t i, int type, unsigned fflags, const void *val,
                        size_t vlen, int64_t expire_ms);
void store_op_del(struct store_op *op, size_t i);

/* Keep the commit of 'op' quiet about key 'i': what the write set holds for it so far
 * still reaches RocksDB, the index and the cache, but the touch hook (WATCH) is not told.
 * For a change Redis makes without calling the key modified: a string made "raw" before
 * a command looks at it (dbUnshareStringValue), an HLL PFDEBUG turns dense. */
void store_op_quiet(struct store_op *op, size_t i);

/* Key 'i' of 'op' (write mode, an existing key) counts as written though its record
 * stays as it is: a split collection whose elements changed and whose count, expiry and
 * flags did not. */
void store_op_touch(struct store_op *op, size_t i);

/* Hand the value of key 'i' (looked up with STORE_WANT_VALUE, live) to the caller as a
 * store_val (release it), without a copy. 'op->key[i].val' is NULL afterwards. */
struct store_val *store_op_take_val(struct store_op *op, size_t i);

/* Finish 'op' whose outcome so far is 'rc': unless 'rc' is an error, commit the write
 * set (a STORE_NOTFOUND or STORE_NOTSET call may still carry the deletion of an expired
 * key); release the locks, the values not taken and the keys; for a read, remove the
 * keys it found expired. Returns 'rc', or the commit's error. */
int store_op_end(struct store_op *op, int rc);

/* ---- Write sets (commit.c) ------------------------------------------------------------ */

void store_ws_init(struct store_ws *w);
void store_ws_deinit(struct store_ws *w);

/* Put string value 'val'/'vlen' with absolute expiry 'expire_ms' (0: none) at key 'k' of
 * 'db', whose state before is '*st'; 'k' stays valid until store_ws_deinit(). */
void store_ws_put(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st,
                  const void *val, size_t vlen, int64_t expire_ms);
/* The same for a value of 'type' with format flags 'fflags'. */
void store_ws_put_typed(struct store_ws *w, int db, const struct fmt_key *k,
                        const struct key_state *st, int type, unsigned fflags, const void *val,
                        size_t vlen, int64_t expire_ms);

/* Key 'k' of 'db' (state '*st', an existing key) is written without its record: the
 * commit tells it written (WATCH, tracking, keyspace hooks) and changes nothing else. */
void store_ws_touch(struct store_ws *w, int db, const struct fmt_key *k,
                    const struct key_state *st);

/* Delete key 'k' of 'db', whose state before is '*st' (nothing happens if it does not
 * exist). */
void store_ws_del(struct store_ws *w, int db, const struct fmt_key *k, const struct key_state *st);

/* Element 'e' of split collection 'id' set to 'v' (or removed: 'del') by the set's batch:
 * the element cache follows once the batch is in (elemcache.h). */
void store_ws_elem(struct store_ws *w, uint64_t id, struct omk_slice e, struct omk_slice v,
                   int del);

/* Write the set to RocksDB (syncing per appendfsync), then, key by key under the
 * shard's write lock, update the index entry and the cache (the new value replaces the
 * cached one, or a delete drops it: write-through), and adjust the counters; the
 * element cache takes the set's element changes last. The caller
 * holds the stripes of every key in it. Returns STORE_OK, or the RocksDB error with
 * nothing changed (the cache included). An empty set writes nothing. */
int store_ws_commit(struct store *s, struct store_ws *w);

/* 1 if writes must sync the WAL before they are acknowledged (appendfsync always). */
int store_sync_writes(struct store *s);

/* Sync the WAL now and record it (wal_syncs, last_sync_ms). Takes 'excl' as reader: the
 * caller holds no store lock. STORE_OK or an error. */
int store_sync_wal(struct store *s);

/* The two halves of every commit (commit.c, HOW IT WORKS): append batch 'b' to RocksDB
 * (memtable and the WAL's buffer), counted as this thread's; then, once RAM reflects
 * it, settle: a thread that defers (a worker) is done, any other flushes the log now
 * as appendfsync says. Each returns STORE_OK or the RocksDB error. */
int store_log_append(struct store *s, struct rocks_batch *b);
int store_log_settle(struct store *s);

/* store_log_append() for a batch a transaction cannot hold (range deletes: FLUSHDB):
 * what the open transaction holds is written first, then 'b', each on its own. */
int store_log_append_now(struct store *s, struct rocks_batch *b);

/* rocks_get() and rocks_get_prefix() that see this thread's open transaction. */
int store_log_get(struct store *s, const char *key, size_t klen, char **val, size_t *vlen);
/* The same in column family 'cf'. */
int store_log_get_cf(struct store *s, enum rocks_cf cf, const char *key, size_t klen, char **val,
                     size_t *vlen);
/* An iterator over 'cf' (bounded above by 'upper' for the database's keys: check keys)
 * that sees this thread's open transaction. */
struct rocks_iter *store_log_iter(struct store *s, enum rocks_cf cf, const char *upper,
                                  size_t ulen);
/* A new batch for store_log_append(): one that records its changes while this thread
 * has a transaction open (rocks_batch_record). */
struct rocks_batch *store_batch_new(void);
int store_log_get_prefix(struct store *s, const char *key, size_t klen, char *buf, size_t cap,
                         size_t *vlen);

/* Start / stop the everysec thread (store_open, store_close). */
void store_syncer_start(struct store *s);
void store_syncer_stop(struct store *s);

/* ---- The data directory before RocksDB opens it (recover.c) ---------------------------- */

/* Check the write-ahead logs of 'dir' (and at start-up, 'startup' 1, the clean-shutdown
 * record, which is removed when the check passes) as 'mode' says, logging through 'log'
 * each damage it lets RocksDB drop, and choose RocksDB's WAL recovery mode
 * ('*rocks_mode', a WALRecoveryMode value). Returns STORE_OK; STORE_ERR_CORRUPT when the
 * policy refuses the damage found, with the reason and the way to force it in 'err'
 * (errlen bytes, NUL-terminated); or STORE_ERR_IO (a file cannot be read). A directory
 * that does not exist yet passes. */
int recover_check_dir(const char *dir, enum store_wal_recovery mode, int startup,
                      store_log_fn *log, int *rocks_mode, char *err, size_t errlen);

/* Log, through 'log', each write-ahead log of 'dir' that has damage, where, and 'what'
 * will happen to it (before a repair). */
void recover_note_damage(const char *dir, store_log_fn *log, const char *what);

/* Record in 'dir' that RocksDB has just closed cleanly (the MANIFEST and the logs, with
 * their sizes), for recover_check_dir() at the next start. 0, or -1 after logging why. */
int recover_mark_clean(const char *dir, store_log_fn *log);

/* Remove the clean-shutdown record of 'dir', if any (before a repair rewrites the files). */
void recover_forget_clean(const char *dir);

/* Bytes of every write-ahead log in 'dir' (0 if it cannot be listed). */
uint64_t recover_log_bytes(const char *dir);

/* The SST files of 'dir': 'n' names (returns memory freed with recover_tables_free) and
 * their sizes. 0, or -1 with errno. */
int recover_list_tables(const char *dir, char ***names, uint64_t **sizes, size_t *n);
void recover_tables_free(char **names, uint64_t *sizes, size_t n);

/* ---- The rest of the store's files ---------------------------------------------------- */

/* Compactions that give back the space of dead split collections (reclaim.c): start and
 * stop the thread (store_open, store_close); queue the range of dead 'id' if it had at
 * least RECLAIM_MIN elements ('id' 0: the whole element column family); how many ran
 * and how long the last took. */
#define RECLAIM_MIN 4096
void store_reclaim_start(struct store *s);
void store_reclaim_stop(struct store *s);
void store_reclaim_note(struct store *s, uint64_t id, uint64_t count);
/* Live split collection 'id' lost 'removed' elements and holds 'left': queue its range
 * once its removals since the last pass reach RECLAIM_MIN and 'left' (reclaim.c). */
void store_reclaim_removed(struct store *s, uint64_t id, uint64_t removed, uint64_t left);
void store_reclaim_stats(struct store *s, uint64_t *done, int64_t *last_ms);

/* Forget the byte past the end of the HyperLogLog value at 'key'/'klen' of 'db' that
 * ops_hll.c keeps ('key' NULL: of every key of 'db'; 'db' -1: of every db): the key was
 * written by another command (store_touched). Takes a leaf lock of ops_hll.c. */
void hll_tails_forget(const struct store *s, int db, const char *key, size_t klen);

/* Free the iterator of every live reader (reader.c), before RocksDB closes or reopens:
 * their next read fails. Caller holds 'excl' as writer, or no reader is in use. */
void store_readers_drop(struct store *s);

/* 1 if this thread has a transaction open (store_tx_begin) (commit.c). */
int store_tx_active(void);

/* Finish the background save thread, if one was started (checkpoint.c; store_close). */
void store_bgsave_join(struct store *s);

/* The cache's side of an index entry (keyspace.c), for commit.c: empty the 'loc' of 'e'
 * (caller holds its shard's write lock) and return the item it published, pinned, for
 * cache_remove() and cache_unpin() once the lock is dropped; NULL if none. */
struct cache_item *store_loc_clear(struct idx_entry *e, int pin);

/* Publish item 'it' (admitted, alive) in the 'loc' of 'e' (shard write lock held). */
void store_loc_publish(struct idx_entry *e, struct cache_item *it);

/* Write-through limit for a new value (key_state.cache_lim): values shorter than this
 * go to the cache. */
size_t store_cache_lim(struct store *s);

/* The SCAN cursor table (scan.c): made by store_open(), freed by store_close(). */
struct scan_table *scan_table_new(void);
void scan_table_free(struct scan_table *t);

/* Forget the table's iterations of 'db' (-1: of every database): store_flush(). */
void scan_table_flush(struct scan_table *t, int db);

/* Bytes of resume points the table holds (store_stats.scan_cursor_bytes). */
size_t scan_table_bytes(struct scan_table *t);

/* Test hook (STYLE.md 2.11): the next RocksDB call of kind 'op' fails with 'rc'
 * (STORE_ERR_IO, or STORE_ERR_CORRUPT, which makes the store read-only), through the
 * same error path as a real failure. Arming a read error also empties the value cache,
 * so that the next value read does reach RocksDB. */
void store_test_fail_next(struct store *s, enum rocks_op op, int rc);

/* The table of split zsets' live ends (ops_zset.c): create and free it (store_open,
 * store_close); forget every entry (the index is loaded again: coll_ids_reset). */
struct zset_ends *zset_ends_new(void);
void zset_ends_free(struct zset_ends *e);
void zset_ends_clear(struct zset_ends *e);

/* Test hook: split zsets from 'min_count' members get rank blocks of 'block' keys
 * (defaults ZSET_BLOCKS_MIN and ZRANK_BLOCK: small values let a unit test reach every
 * path of ops_zset.c's blocks with small sets). Before any zset is used. */
void store_test_zrank(struct store *s, uint64_t min_count, uint32_t block);

/* Write finite 'v' into 'out' (STORE_FLOAT_STR_MAX bytes) as Redis writes INCRBYFLOAT
 * results; returns the length (ops_string.c). */
size_t store_ld_format(char *out, long double v);

/* Wrap stored value 'buf'/'n' (header included, from rocks_get; takes ownership) as a
 * store_val expiring at 'expire_ms' (keyspace.c). */
struct store_val *store_val_wrap(char *buf, size_t n, int64_t expire_ms);

/* Wrap cache item 'it' as a store_val without copying (keyspace.c); takes over the
 * caller's pin, which store_val_release() drops. */
struct store_val *store_val_of_item(struct cache_item *it);

#endif
