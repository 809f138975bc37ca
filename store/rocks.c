/* rocks.c - the only file that includes <rocksdb/c.h> (see rocks.h). Every 'char *err'
 * that RocksDB fills goes through rocks_fail(), which logs it once with its context,
 * frees it, counts it and maps it to a store code; a "Corruption" status also turns
 * the database read-only, so no write can build on damaged state. A failed write to the
 * log makes every later write fail at once ('refusing') until rocks_reopen() has closed
 * and opened the database again; opening checks the data directory first (recover.c). */
#include "config.h"

#include "store/rocks.h"
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/format.h"

/* What 'db' is (rocks_reopen). */
enum rocks_state {
    ROCKS_RW = 0,     /* open for reads and writes */
    ROCKS_RO = 1,     /* a reopen could only open it read-only: reads go on, writes refused */
    ROCKS_CLOSED = 2, /* a reopen could not open it at all: 'db' is NULL, every call fails */
};

/* 'db' and 'state' change only in rocks_reopen(), which holds 'life' as writer and is
 * called with no other call of this file in flight except those that take 'life' as
 * readers (rocks_checkpoint, rocks_disk_bytes, rocks_compact_all): the store calls
 * everything else under its 'excl' lock, which the reopen holds as writer. */
struct rocks {
    rocksdb_t *db;                   /* NULL in ROCKS_CLOSED */
    enum rocks_state state;
    pthread_rwlock_t life;           /* see above */
    uint64_t closed_seq;             /* rocks_latest_seq() while ROCKS_CLOSED */
    rocksdb_options_t *opts;
    rocksdb_cache_t *cache;          /* the LRU block cache (shared with the table factory) */
    rocksdb_readoptions_t *ro;       /* point reads; read-only after open, shared */
    rocksdb_writeoptions_t *wo;      /* sync = 0: the WAL is flushed by rocks_flush_wal() */
    atomic_uint_fast64_t reads;      /* point reads */
    atomic_uint_fast64_t writes;     /* batches applied */
    atomic_uint_fast64_t io_errors;  /* errors passed to rocks_fail() */
    atomic_int read_only;            /* 1 after a corruption */
    rocksdb_compactionfilter_t *filter; /* drops expired payloads; outlives the DB */
    rocksdb_options_t *cf_opts[ROCKS_CF_COUNT_]; /* each column family's options */
    rocksdb_column_family_handle_t *cf[ROCKS_CF_COUNT_]; /* NULL while 'db' is */
    rocks_live_fn *live;             /* the element filter's question; immutable */
    void *live_arg;
    atomic_int write_failed;         /* the last write failed: no WAL flush (rocks_flush_wal) */
    atomic_int refusing;             /* 1: the log failed; every write fails at once until
                                      * rocks_reopen() reopens read-write */
    atomic_int_fast64_t refused_ms;  /* Unix ms 'refusing' was set, 0 while clear */
    atomic_uint_fast64_t resumes;    /* read-write reopens that cleared 'refusing' */
    char *dir;                       /* the data directory (a copy); immutable */
    enum store_wal_recovery wal_recovery; /* store_config.wal_recovery; immutable */
    store_log_fn *log;               /* store_config.log; immutable */
    atomic_int fail_next[ROCKS_OP_COUNT_]; /* test hook: store code to fake, 0: none */
    store_latency_fn *_Atomic latency; /* told of slow writes (rocks_set_latency) */
};

/* One change a recording batch keeps (rocks_batch_record), for a transaction. */
struct rocks_bop {
    enum rocks_cf cf;
    int del;
    char *key, *val; /* one allocation: key then value */
    size_t klen, vlen;
};

struct rocks_batch {
    rocksdb_writebatch_t *wb;
    struct rocks_bop *ops; /* with rocks_batch_record(): the changes, in order */
    size_t n, cap;
    int record;
};

struct rocks_iter {
    struct rocks *r;
    rocksdb_iterator_t *it;
    rocksdb_readoptions_t *ro;
    char *upper; /* the copied upper bound (RocksDB keeps only a pointer), or NULL */
};

/* The one place a RocksDB error is handled: log 'err' once with 'what' (the call that
 * failed), free it with rocksdb_free(), count it, and return STORE_ERR_CORRUPT for a
 * corruption (after switching 'r' to read-only) or STORE_ERR_IO for anything else. */
static int rocks_fail(struct rocks *r, char *err, const char *what)
{
    int corrupt = strncmp(err, "Corruption", 10) == 0;
    int was_ro = 0;

    atomic_fetch_add(&r->io_errors, 1);
    if (corrupt)
        was_ro = atomic_exchange(&r->read_only, 1);
    store_log(r->log, 1, "RocksDB %s failed: %s%s", what, err,
              corrupt && !was_ro ? " (the store is now read-only)" : "");
    rocksdb_free(err);
    return corrupt ? STORE_ERR_CORRUPT : STORE_ERR_IO;
}

/* Test hook: if a failure of 'op' was armed, disarm it and return a fake RocksDB error
 * message in '*err' (malloc'd, like RocksDB's own: rocksdb_free() is free()). */
static int rocks_injected(struct rocks *r, enum rocks_op op, char **err)
{
    int rc = atomic_exchange(&r->fail_next[op], 0);
    const char *msg;

    if (rc == 0)
        return 0;
    msg = rc == STORE_ERR_CORRUPT ? "Corruption: injected by a test"
                                  : "IO error: injected by a test";
    *err = omk_memdup(msg, strlen(msg));
    return 1;
}

/* HOW EXPIRED VALUES LEAVE THE DISK. A key whose time has passed is deleted (a normal
 * RocksDB delete, through the store) when it is next touched or when the active-expiry
 * thread reaches it. Until then its bytes sit in SST files, and compaction rewrites
 * them again and again. This filter, run by RocksDB on every value it compacts, keeps
 * the 11-byte header of an expired value and drops its payload: the payload of an
 * expired key is never read again, so space comes back at the next compaction.
 * It does not remove the key itself: removing the newest version in one compaction
 * could expose an older version of the key from a lower level, and the in-RAM index
 * must learn of every removal; both stay the job of the store's delete. It keeps no
 * state, so RocksDB may run it on several threads at once. */
static unsigned char rocks_filter_expired(void *state, int level, const char *key, size_t klen,
                                          const char *val, size_t vlen, char **new_val,
                                          size_t *new_vlen, unsigned char *changed)
{
    struct fmt_hdr h;

    OMK_UNUSED(state);
    OMK_UNUSED(level);
    OMK_UNUSED(key);
    OMK_UNUSED(klen);
    if (vlen > FMT_HDR_LEN && fmt_hdr_decode(val, vlen, &h) == 0 &&
        fmt_hdr_expired(&h, omk_now_ms())) {
        *new_val = (char *)val; /* RocksDB copies these bytes before the call returns */
        *new_vlen = FMT_HDR_LEN;
        *changed = 1;
    }
    return 0; /* keep the key */
}

/* The filter has no state to free (RocksDB calls this unconditionally). */
static void rocks_filter_free(void *state)
{
    OMK_UNUSED(state);
}

static const char *rocks_filter_name(void *state)
{
    OMK_UNUSED(state);
    return "omenkv-expired-payload";
}

/* HOW DEAD ELEMENTS LEAVE THE DISK. Deleting a split collection removes only its
 * top-level record: its element records stay, dead, under an id no key holds. This
 * filter, created by RocksDB for each compaction of the element column family, asks
 * the store (rocks_live_fn: a set in RAM, never the disk) whether each record's id is
 * live and drops those that are not. Records of one collection are adjacent, so it
 * remembers the last answer. An answer "live" may be stale by the time the record is
 * written out (the collection was deleted meanwhile: the next compaction drops it); an
 * answer "dead" cannot be, since ids are never reused and an id is live before its
 * first element is written. */
struct rocks_elem_filter {
    struct rocks *r;
    uint64_t last_id;
    int last_live; /* -1: no answer yet */
};

static unsigned char rocks_filter_dead(void *state, int level, const char *key, size_t klen,
                                       const char *val, size_t vlen, char **new_val,
                                       size_t *new_vlen, unsigned char *changed)
{
    struct rocks_elem_filter *f = state;
    uint64_t id, pos;
    const char *elem;
    size_t elen;

    OMK_UNUSED(level);
    OMK_UNUSED(val);
    OMK_UNUSED(vlen);
    OMK_UNUSED(new_val);
    OMK_UNUSED(new_vlen);
    OMK_UNUSED(changed);
    if (fmt_elem_decode(key, klen, &id, &pos, &elem, &elen) != 0)
        return 0; /* not ours to judge: keep it */
    if (f->last_live < 0 || id != f->last_id) {
        f->last_id = id;
        f->last_live = f->r->live(f->r->live_arg, id);
    }
    return f->last_live ? 0 : 1;
}

static void rocks_filter_dead_free(void *state)
{
    omk_free(state);
}

static const char *rocks_filter_dead_name(void *state)
{
    OMK_UNUSED(state);
    return "omenkv-dead-elements";
}

static rocksdb_compactionfilter_t *rocks_filter_dead_new(void *state,
                                                         rocksdb_compactionfiltercontext_t *ctx)
{
    struct rocks_elem_filter *f = omk_calloc(1, sizeof(*f));

    OMK_UNUSED(ctx);
    f->r = state;
    f->last_live = -1;
    return rocksdb_compactionfilter_create(f, rocks_filter_dead_free, rocks_filter_dead,
                                           rocks_filter_dead_name);
}

static void rocks_factory_free(void *state)
{
    OMK_UNUSED(state); /* the struct rocks outlives the options */
}

static const char *rocks_factory_name(void *state)
{
    OMK_UNUSED(state);
    return "omenkv-dead-elements";
}

static const char *const rocks_cf_names[ROCKS_CF_COUNT_] = {"default", "elements", "meta"};

/* After a failed log write, writes fail at once until rocks_reopen() opens the database
 * read-write: RocksDB 7.8 keeps a failed log writer's error, and Debian's build asserts
 * on its next use. Logs the start of the refusal once. */
void rocks_refuse(struct rocks *r, const char *why)
{
    if (atomic_exchange(&r->refusing, 1) == 0) {
        atomic_store(&r->refused_ms, omk_now_ms());
        store_log(r->log, STORE_LOG_ALERT, "Writes are refused from now on: %s. Reads go on; "
                  "writes resume by themselves once the data directory takes writes again",
                  why);
    }
}

/* The error of a call made while the database is closed (a reopen failed). */
static int rocks_gone(struct rocks *r, const char *what)
{
    atomic_fetch_add(&r->io_errors, 1);
    store_log(r->log, STORE_LOG_WARN, "RocksDB %s failed: the database is closed (it could not "
              "be reopened; retrying)", what);
    return STORE_ERR_IO;
}

/* Advice appended to an open that RocksDB refused with 'err'. */
static const char *rocks_open_hint(const char *err)
{
    return strncmp(err, "Corruption", 10) == 0
               ? " (a damaged MANIFEST or SST file: --rocksdb-repair yes rebuilds the MANIFEST "
                 "from every readable file and moves unreadable ones to <dir>/lost)"
               : "";
}

/* The SST files of the directory before an open ('names'/'sizes', 'n' of them), against
 * those the opened database uses: log the ones RocksDB drops (it deletes the files the
 * MANIFEST does not reference, as leftovers of a flush or compaction a crash cut short;
 * with a damaged MANIFEST they would hold data). */
static void rocks_report_dropped(struct rocks *r, char **names, uint64_t *sizes, size_t n)
{
    const rocksdb_livefiles_t *lf = rocksdb_livefiles(r->db);
    int nlive = rocksdb_livefiles_count(lf);
    char list[400] = "";
    size_t used = 0, dropped = 0;
    uint64_t bytes = 0;

    for (size_t i = 0; i < n; i++) {
        int live = 0;

        for (int j = 0; j < nlive && !live; j++) {
            const char *ln = rocksdb_livefiles_name(lf, j), *slash = strrchr(ln, '/');

            live = strcmp(slash ? slash + 1 : ln, names[i]) == 0;
        }
        if (live)
            continue;
        dropped++;
        bytes += sizes[i];
        if (used + strlen(names[i]) + 8 < sizeof(list))
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? " " : "",
                                     names[i]);
        else if (used + 5 < sizeof(list))
            used += (size_t)snprintf(list + used, sizeof(list) - used, " ...");
    }
    rocksdb_livefiles_destroy(lf);
    if (dropped)
        store_log(r->log, STORE_LOG_ALERT, "RocksDB deletes %zu SST file%s of '%s' that its "
                  "MANIFEST does not reference (%llu bytes: %s): a flush or compaction cut short "
                  "by a crash leaves such files; were the MANIFEST damaged, their data would be "
                  "lost", dropped, dropped == 1 ? "" : "s", r->dir, (unsigned long long)bytes,
                  list);
}

/* Open the database read-write with WAL recovery mode 'mode' (chosen by
 * recover_check_dir), logging the SST files RocksDB drops. Caller holds 'life' as writer,
 * or is rocks_open(); 'r->db' is NULL. STORE_OK with 'r->db' set, or STORE_ERR_CORRUPT
 * (RocksDB found damage) or STORE_ERR_IO, with a message in 'err'. */
static int rocks_open_db(struct rocks *r, int mode, char *err, size_t errlen)
{
    char *rerr = NULL, **names = NULL;
    uint64_t *sizes = NULL;
    size_t n = 0;
    int rc = STORE_OK;

    rocksdb_options_set_wal_recovery_mode(r->opts, mode);
    if (recover_list_tables(r->dir, &names, &sizes, &n) != 0)
        n = 0; /* a new directory */
    r->db = rocksdb_open_column_families(r->opts, r->dir, ROCKS_CF_COUNT_, rocks_cf_names,
                                         (const rocksdb_options_t *const *)r->cf_opts, r->cf,
                                         &rerr);
    if (rerr) {
        snprintf(err, errlen, "cannot open RocksDB in '%s': %s%s", r->dir, rerr,
                 rocks_open_hint(rerr));
        rc = strncmp(rerr, "Corruption", 10) == 0 ? STORE_ERR_CORRUPT : STORE_ERR_IO;
        rocksdb_free(rerr);
        r->db = NULL;
    } else {
        rocks_report_dropped(r, names, sizes, n);
    }
    recover_tables_free(names, sizes, n);
    return rc;
}

/* --rocksdb-repair: RocksDB's RepairDB on the directory (a new MANIFEST from every SST
 * and log it can read; what it cannot is moved to <dir>/lost), then say what it moved. */
static int rocks_repair(struct rocks *r, char *err, size_t errlen)
{
    char *rerr = NULL, lost[4096], **before = NULL, **after = NULL;
    uint64_t *bsizes = NULL, *asizes = NULL, bytes = 0;
    size_t nb = 0, na = 0, moved = 0;

    snprintf(lost, sizeof(lost), "%s/lost", r->dir);
    if (recover_list_tables(lost, &before, &bsizes, &nb) != 0)
        nb = 0; /* no lost/ yet */
    recover_forget_clean(r->dir); /* the files change: the record no longer holds */
    store_log(r->log, STORE_LOG_ALERT, "Repairing '%s' (rocksdb-repair yes): rebuilding the "
              "MANIFEST from every readable file", r->dir);
    recover_note_damage(r->dir, r->log, "the repair drops the records it cannot read there "
                        "and keeps the rest");
    rocksdb_repair_db(r->opts, r->dir, &rerr);
    if (rerr) {
        snprintf(err, errlen, "cannot repair '%s': %s", r->dir, rerr);
        rocksdb_free(rerr);
        recover_tables_free(before, bsizes, nb);
        return STORE_ERR_IO;
    }
    if (recover_list_tables(lost, &after, &asizes, &na) != 0)
        na = 0;
    for (size_t i = 0; i < na; i++) { /* the SST files this repair moved there */
        int old = 0;

        for (size_t j = 0; j < nb && !old; j++)
            old = strcmp(after[i], before[j]) == 0;
        moved += !old;
        bytes += old ? 0 : asizes[i];
    }
    if (moved)
        store_log(r->log, STORE_LOG_ALERT, "Repair done: %zu SST file%s (%llu bytes) could not "
                  "be read whole and %s now in '%s', out of the database with every key in "
                  "them", moved, moved == 1 ? "" : "s", (unsigned long long)bytes,
                  moved == 1 ? "is" : "are", lost);
    else
        store_log(r->log, STORE_LOG_ALERT, "Repair done: every SST file was read whole (the old "
                  "MANIFEST and the logs it replayed are in '%s')", lost);
    recover_tables_free(before, bsizes, nb);
    recover_tables_free(after, asizes, na);
    return STORE_OK;
}

#define ROCKS_CACHE_SHARD_MIN ((size_t)32 << 20) /* bytes of a block cache shard, at least */

/* The LRU block cache of 'bytes': in shards of ROCKS_CACHE_SHARD_MIN or more (RocksDB's
 * default cuts 256 MB into 64 shards of 4 MB, and a block bigger than its shard is never
 * kept: the filter block of a large element table file was read again at every Get, and
 * a 10M-member set's build fell from 130k to 6k members/s). */
static rocksdb_cache_t *rocks_cache_new(size_t bytes)
{
    rocksdb_lru_cache_options_t *o = rocksdb_lru_cache_options_create();
    rocksdb_cache_t *cache;
    int bits = 0;

    while (bits < 6 && (bytes >> (bits + 1)) >= ROCKS_CACHE_SHARD_MIN)
        bits++;
    rocksdb_lru_cache_options_set_capacity(o, bytes);
    rocksdb_lru_cache_options_set_num_shard_bits(o, bits);
    cache = rocksdb_cache_create_lru_opts(o);
    rocksdb_lru_cache_options_destroy(o);
    return cache;
}

/* The table options of a column family: blocks, bloom filter, index and filter blocks in
 * 'cache' (L0's pinned). With 'partitioned' (the element column family, whose table
 * files hold millions of small records) the filter and index are cut into 4 KB
 * partitions under a pinned top level, so a point read loads only the partition it
 * needs, whatever the file's size. */
static void rocks_table_options(rocksdb_block_based_table_options_t *bbto,
                                const struct store_config *c, rocksdb_cache_t *cache,
                                int partitioned)
{
    rocksdb_block_based_options_set_block_cache(bbto, cache);
    rocksdb_block_based_options_set_block_size(bbto, c->block_size);
    if (c->bloom_bits_per_key > 0) /* the table options take ownership of the policy */
        rocksdb_block_based_options_set_filter_policy(
            bbto, rocksdb_filterpolicy_create_bloom_full(c->bloom_bits_per_key));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(bbto, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(bbto, 1);
    if (partitioned) {
        rocksdb_block_based_options_set_index_type(bbto, 2 /* kTwoLevelIndexSearch */);
        rocksdb_block_based_options_set_partition_filters(bbto, 1);
        rocksdb_block_based_options_set_metadata_block_size(bbto, 4096);
        rocksdb_block_based_options_set_pin_top_level_index_and_filter(bbto, 1);
        rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(bbto, 1);
    }
}

/* RocksDB's name of a block compression. */
static int rocks_compression_type(enum store_compression kind)
{
    switch (kind) {
    case STORE_COMPRESSION_NONE: return rocksdb_no_compression;
    case STORE_COMPRESSION_SNAPPY: return rocksdb_snappy_compression;
    case STORE_COMPRESSION_LZ4: return rocksdb_lz4_compression;
    case STORE_COMPRESSION_ZSTD: return rocksdb_zstd_compression;
    }
    OMK_ASSERT(!"unknown store_compression");
    return rocksdb_no_compression;
}

/* How 'opts' reads and writes its files: block compression (every level, the last one
 * too; RocksDB's open fails if this librocksdb lacks it), direct I/O or memory-mapped
 * reads (RocksDB's open refuses both at once), and, if asked, the statistics rocks_counters_get() reports. They are off by default: the C API of
 * RocksDB 7.8 cannot lower their level below "all but the detailed timers", and at that
 * level they cost about a fifth of the CPU of a GET that misses the value cache with
 * -P 16 (bench/beyond-cache, README "Beyond the cache"). */
static void rocks_io_options(rocksdb_options_t *opts, const struct store_config *c)
{
    rocksdb_options_set_compression(opts, rocks_compression_type(c->compression));
    rocksdb_options_set_use_direct_reads(opts, c->direct_reads ? 1 : 0);
    rocksdb_options_set_use_direct_io_for_flush_and_compaction(opts,
                                                               c->direct_io_background ? 1 : 0);
    rocksdb_options_set_allow_mmap_reads(opts, c->mmap_reads ? 1 : 0);
    if (c->statistics)
        rocksdb_options_enable_statistics(opts);
}

int rocks_open(const struct store_config *c, rocks_live_fn *live, void *live_arg,
               struct rocks **out, char *err, size_t errlen)
{
    struct rocks *r = omk_calloc(1, sizeof(*r));
    rocksdb_block_based_table_options_t *bbto = rocksdb_block_based_options_create();
    int rc, mode = 0;

    r->log = c->log;
    r->live = live;
    r->live_arg = live_arg;
    r->dir = omk_memdup(c->dir, strlen(c->dir) + 1);
    r->wal_recovery = c->wal_recovery;
    omk_rwlock_init_wrpref(&r->life);

    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, 1);
    /* Check what is read (and stop writes on a failed log write) rather than go on: a
     * damaged file refuses the open or fails the read, never passes in silence. */
    rocksdb_options_set_paranoid_checks(r->opts, 1);
    /* The WAL is appended to in RAM and flushed by rocks_flush_wal(): once per worker
     * pass instead of one write() per command (the store's commit.c). */
    rocksdb_options_set_manual_wal_flush(r->opts, 1);
    /* The leader of a write group inserts every member's batch into the memtable itself:
     * with two workers writing, parallel inserts cost more in waiting for each other
     * than they save (bench/README.md, "Concurrent memtable writes"). */
    rocksdb_options_set_allow_concurrent_memtable_write(r->opts, 0);
    /* RocksDB 7.8 (Debian's build keeps its assertions) aborts on the log line after
     * one that failed to reach a full disk (WritableFileWriter::
     * AssertFalseAndGetStatusForPrevError), so its own LOG gets only its header;
     * every error it returns is logged by rocks_fail() in the server log instead. */
    rocksdb_options_set_info_log_level(r->opts, 5 /* HEADER_LEVEL */);
    r->filter = rocksdb_compactionfilter_create(NULL, rocks_filter_free, rocks_filter_expired,
                                                rocks_filter_name);
    rocksdb_options_set_compaction_filter(r->opts, r->filter);
    rocksdb_options_set_write_buffer_size(r->opts, c->write_buffer_bytes);
    rocksdb_options_set_max_background_jobs(r->opts, c->max_background_jobs);
    rocksdb_options_set_max_open_files(r->opts, c->max_open_files);
    /* Until rocks_compactions_start(): the start's index load has both cores. */
    rocksdb_options_set_disable_auto_compactions(r->opts, 1);
    rocks_io_options(r->opts, c);

    r->cache = rocks_cache_new(c->block_cache_bytes);
    rocks_table_options(bbto, c, r->cache, 0);
    rocksdb_options_set_block_based_table_factory(r->opts, bbto); /* copies 'bbto' */
    rocksdb_block_based_options_destroy(bbto);
    rocksdb_options_set_create_missing_column_families(r->opts, 1);
    /* The keys keep the expiry filter; elements get the dead-id filter; meta neither. */
    r->cf_opts[ROCKS_CF_KEYS] = r->opts;
    r->cf_opts[ROCKS_CF_ELEMS] = rocksdb_options_create_copy(r->opts);
    rocksdb_options_set_compaction_filter(r->cf_opts[ROCKS_CF_ELEMS], NULL);
    bbto = rocksdb_block_based_options_create();
    rocks_table_options(bbto, c, r->cache, 1);
    rocksdb_options_set_block_based_table_factory(r->cf_opts[ROCKS_CF_ELEMS], bbto);
    rocksdb_block_based_options_destroy(bbto);
    /* A table file written with many deletions (SPOP, SREM, HDEL of many elements) is
     * compacted soon: walks and random picks would otherwise step over each tombstone. */
    rocksdb_options_add_compact_on_deletion_collector_factory(r->cf_opts[ROCKS_CF_ELEMS],
                                                              16384, 8192);
    if (live)
        rocksdb_options_set_compaction_filter_factory(
            r->cf_opts[ROCKS_CF_ELEMS],
            rocksdb_compactionfilterfactory_create(r, rocks_factory_free, rocks_filter_dead_new,
                                                   rocks_factory_name));
    r->cf_opts[ROCKS_CF_META] = rocksdb_options_create_copy(r->opts);
    rocksdb_options_set_compaction_filter(r->cf_opts[ROCKS_CF_META], NULL);

    rc = c->repair ? rocks_repair(r, err, errlen) : STORE_OK;
    if (rc == STORE_OK)
        rc = recover_check_dir(r->dir, r->wal_recovery, 1, r->log, &mode, err, errlen);
    if (rc == STORE_OK)
        rc = rocks_open_db(r, mode, err, errlen);
    if (rc != STORE_OK) {
        rocksdb_cache_destroy(r->cache);
        rocksdb_options_destroy(r->cf_opts[ROCKS_CF_ELEMS]);
        rocksdb_options_destroy(r->cf_opts[ROCKS_CF_META]);
        rocksdb_options_destroy(r->opts);
        rocksdb_compactionfilter_destroy(r->filter);
        pthread_rwlock_destroy(&r->life);
        omk_free(r->dir);
        omk_free(r);
        return rc;
    }
    r->state = ROCKS_RW;
    r->ro = rocksdb_readoptions_create();
    r->wo = rocksdb_writeoptions_create();
    *out = r;
    return STORE_OK;
}

/* Close 'db' and its column family handles, if open. */
static void rocks_close_db(struct rocks *r)
{
    if (!r->db)
        return;
    for (int i = 0; i < ROCKS_CF_COUNT_; i++) {
        if (r->cf[i])
            rocksdb_column_family_handle_destroy(r->cf[i]);
        r->cf[i] = NULL;
    }
    rocksdb_close(r->db);
    r->db = NULL;
}

void rocks_close(struct rocks *r)
{
    int clean;

    if (!r)
        return;
    /* Clean: open read-write, and every write acknowledged is in the log. */
    clean = r->state == ROCKS_RW && !atomic_load(&r->refusing) &&
            !atomic_load(&r->write_failed) && !atomic_load(&r->read_only);
    rocks_close_db(r);
    if (clean)
        recover_mark_clean(r->dir, r->log);
    rocksdb_readoptions_destroy(r->ro);
    rocksdb_writeoptions_destroy(r->wo);
    rocksdb_cache_destroy(r->cache);
    rocksdb_options_destroy(r->cf_opts[ROCKS_CF_ELEMS]); /* frees the filter factory */
    rocksdb_options_destroy(r->cf_opts[ROCKS_CF_META]);
    rocksdb_options_destroy(r->opts);
    rocksdb_compactionfilter_destroy(r->filter); /* the options only borrowed it */
    pthread_rwlock_destroy(&r->life);
    omk_free(r->dir);
    omk_free(r);
}

#define ROCKS_PROBE_FDS_SPARE 32 /* descriptors a reopen needs besides the SST files */

/* Whether a reopen would find the descriptors it needs: one per SST file (RocksDB keeps
 * every table open) and ROCKS_PROBE_FDS_SPARE more, taken (by duplicating 'fd') and
 * given back. STORE_OK, or STORE_ERR_IO with the reason in 'why'. */
static int rocks_probe_fds(struct rocks *r, int fd, char *why, size_t whylen)
{
    char **names = NULL;
    uint64_t *sizes = NULL;
    size_t n = 0, want, got = 0;
    int *fds, rc = STORE_OK;

    if (recover_list_tables(r->dir, &names, &sizes, &n) != 0)
        n = 0;
    recover_tables_free(names, sizes, n);
    want = n + ROCKS_PROBE_FDS_SPARE;
    fds = omk_malloc(want * sizeof(*fds));
    while (got < want && (fds[got] = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0)
        got++;
    if (got < want) {
        snprintf(why, whylen, "a reopen needs %zu file descriptors, %zu are free: %s", want,
                 got, strerror(errno));
        rc = STORE_ERR_IO;
    }
    while (got > 0)
        close(fds[--got]);
    omk_free(fds);
    return rc;
}

int rocks_probe(struct rocks *r, char *why, size_t whylen)
{
    uint64_t need = recover_log_bytes(r->dir);
    char path[4096], block[4096];
    int fd, rc;

    /* Reopening replays the logs into a new SST file (about their size) and writes a new
     * MANIFEST, OPTIONS file and log: ask for the logs' bytes, an eighth more, and 1 MB. */
    need += need / 8 + (1u << 20);
    snprintf(path, sizeof(path), "%s/omenkv-probe.tmp", r->dir);
    fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, whylen, "cannot create a file in '%s': %s", r->dir, strerror(errno));
        return STORE_ERR_IO;
    }
    memset(block, 0, sizeof(block));
    if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fdatasync(fd) != 0) {
        snprintf(why, whylen, "cannot write a file in '%s': %s", r->dir, strerror(errno));
        rc = STORE_ERR_IO;
    } else if ((rc = posix_fallocate(fd, 0, (off_t)need)) != 0 && rc != EOPNOTSUPP &&
               rc != EINVAL) {
        snprintf(why, whylen, "%llu bytes are not free in '%s': %s",
                 (unsigned long long)need, r->dir, strerror(rc));
        rc = STORE_ERR_IO;
    } else {
        rc = rocks_probe_fds(r, fd, why, whylen);
    }
    close(fd);
    unlink(path);
    return rc;
}

int rocks_reopen(struct rocks *r, int *reopened, char *err, size_t errlen)
{
    char *rerr = NULL;
    int rc, mode = 0;

    *reopened = 0;
    if (atomic_load(&r->read_only))
        return STORE_ERR_CORRUPT;
    /* The logs are checked before the database closes: damage beyond a torn tail keeps
     * it open as it is (reads go on) and read-only, as a corruption does. */
    rc = recover_check_dir(r->dir, r->wal_recovery, 0, r->log, &mode, err, errlen);
    if (rc == STORE_ERR_CORRUPT)
        atomic_store(&r->read_only, 1);
    if (rc != STORE_OK)
        return rc;
    omk_rwlock_wrlock(&r->life);
    if (r->db) {
        r->closed_seq = rocksdb_get_latest_sequence_number(r->db);
        rocks_close_db(r);
        r->state = ROCKS_CLOSED;
    }
    rc = rocks_open_db(r, mode, err, errlen);
    if (rc == STORE_OK) {
        r->state = ROCKS_RW;
        atomic_store(&r->write_failed, 0);
        atomic_store(&r->refused_ms, 0);
        atomic_store(&r->refusing, 0);
        atomic_fetch_add(&r->resumes, 1);
    } else {
        /* Reads go on from what the files hold, if RocksDB can read them; the next
         * attempt closes this handle and tries read-write again. */
        if (rc == STORE_ERR_CORRUPT)
            atomic_store(&r->read_only, 1); /* damage: no more attempts, writes refused */
        r->db = rocksdb_open_for_read_only_column_families(
            r->opts, r->dir, ROCKS_CF_COUNT_, rocks_cf_names,
            (const rocksdb_options_t *const *)r->cf_opts, r->cf, 0, &rerr);
        if (rerr) {
            store_log(r->log, STORE_LOG_ALERT, "RocksDB cannot be opened read-only either: %s",
                      rerr);
            rocksdb_free(rerr);
            r->db = NULL;
        } else {
            r->state = ROCKS_RO;
        }
    }
    *reopened = r->db != NULL;
    omk_rwlock_unlock(&r->life);
    return rc;
}

/* RocksDB counts every step of a read in a per-thread perf context at its default level
 * (kEnableCount): an access to a thread-local of the shared library (__tls_get_addr and
 * its init check) on each Get and each iterator step, for counts omenkv never reads. Each
 * thread turns that off once, before its first read or write. */
static void rocks_thread_init(void)
{
    static _Thread_local int done;

    if (!done) {
        rocksdb_set_perf_level(rocksdb_disable);
        done = 1;
    }
}

int rocks_get(struct rocks *r, const char *key, size_t klen, char **val, size_t *vlen)
{
    return rocks_get_cf(r, ROCKS_CF_KEYS, key, klen, val, vlen);
}

int rocks_get_cf(struct rocks *r, enum rocks_cf cf, const char *key, size_t klen, char **val,
                 size_t *vlen)
{
    char *err = NULL, *v = NULL;
    size_t n = 0;

    rocks_thread_init();
    atomic_fetch_add(&r->reads, 1);
    if (!r->db)
        return rocks_gone(r, "get");
    if (!rocks_injected(r, ROCKS_OP_GET, &err))
        v = rocksdb_get_cf(r->db, r->ro, r->cf[cf], key, klen, &n, &err);
    if (err)
        return rocks_fail(r, err, "get");
    if (!v)
        return STORE_NOTFOUND;
    *val = v;
    *vlen = n;
    return STORE_OK;
}

int rocks_get_prefix(struct rocks *r, const char *key, size_t klen, char *buf, size_t cap,
                     size_t *vlen)
{
    char *err = NULL;
    rocksdb_pinnableslice_t *ps = NULL;
    const char *v;
    size_t n;

    rocks_thread_init();
    atomic_fetch_add(&r->reads, 1);
    if (!r->db)
        return rocks_gone(r, "get");
    if (!rocks_injected(r, ROCKS_OP_GET, &err))
        ps = rocksdb_get_pinned(r->db, r->ro, key, klen, &err);
    if (err)
        return rocks_fail(r, err, "get");
    if (!ps)
        return STORE_NOTFOUND;
    v = rocksdb_pinnableslice_value(ps, &n);
    memcpy(buf, v, n < cap ? n : cap);
    *vlen = n;
    rocksdb_pinnableslice_destroy(ps);
    return STORE_OK;
}

void rocks_multi_get(struct rocks *r, size_t n, const char *const *keys, const size_t *klens,
                     char **vals, size_t *vlens, int *rcs)
{
    rocksdb_pinnableslice_t *inline_ps[ROCKS_MULTI_GET_INLINE], **ps = inline_ps;
    char *inline_errs[ROCKS_MULTI_GET_INLINE], **errs = inline_errs, *err = NULL;

    rocks_thread_init();
    atomic_fetch_add(&r->reads, n);
    if (!r->db || rocks_injected(r, ROCKS_OP_GET, &err)) {
        int rc = err ? rocks_fail(r, err, "multi-get") : rocks_gone(r, "multi-get");

        for (size_t i = 0; i < n; i++)
            rcs[i] = rc;
        return;
    }
    if (n > ROCKS_MULTI_GET_INLINE) {
        ps = omk_malloc(n * sizeof(*ps));
        errs = omk_malloc(n * sizeof(*errs));
    }
    /* Unsorted input: RocksDB sorts a copy of the key array itself. */
    rocksdb_batched_multi_get_cf(r->db, r->ro, r->cf[ROCKS_CF_KEYS], n, keys, klens, ps, errs,
                                 0);
    for (size_t i = 0; i < n; i++) {
        if (errs[i]) {
            rcs[i] = rocks_fail(r, errs[i], "multi-get");
        } else if (!ps[i]) {
            rcs[i] = STORE_NOTFOUND;
        } else {
            size_t len;
            const char *v = rocksdb_pinnableslice_value(ps[i], &len);
            char *copy = malloc(len ? len : 1); /* freed by rocks_free(), as rocks_get's are */

            if (!copy)
                omk_oom(len);
            memcpy(copy, v, len);
            rocksdb_pinnableslice_destroy(ps[i]);
            vals[i] = copy;
            vlens[i] = len;
            rcs[i] = STORE_OK;
        }
    }
    if (ps != inline_ps) {
        omk_free(ps);
        omk_free(errs);
    }
}

void rocks_free(void *p)
{
    if (p)
        rocksdb_free(p);
}

struct rocks_batch *rocks_batch_new(void)
{
    struct rocks_batch *b = omk_malloc(sizeof(*b));

    b->wb = rocksdb_writebatch_create();
    b->ops = NULL;
    b->n = b->cap = 0;
    b->record = 0;
    return b;
}

void rocks_batch_record(struct rocks_batch *b)
{
    b->record = 1;
}

/* Keep a copy of one change of a recording batch. */
static void rocks_batch_keep(struct rocks_batch *b, enum rocks_cf cf, int del, const char *key,
                             size_t klen, const void *v1, size_t l1, const void *v2, size_t l2)
{
    struct rocks_bop *op;

    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 8;
        b->ops = omk_realloc(b->ops, b->cap * sizeof(*b->ops));
    }
    op = &b->ops[b->n++];
    op->cf = cf;
    op->del = del;
    op->key = omk_malloc(klen + l1 + l2 + 1);
    memcpy(op->key, key, klen);
    op->val = op->key + klen;
    if (l1)
        memcpy(op->val, v1, l1);
    if (l2)
        memcpy(op->val + l1, v2, l2);
    op->klen = klen;
    op->vlen = l1 + l2;
}

void rocks_batch_free(struct rocks_batch *b)
{
    if (!b)
        return;
    rocksdb_writebatch_destroy(b->wb);
    for (size_t i = 0; i < b->n; i++)
        omk_free(b->ops[i].key);
    omk_free(b->ops);
    omk_free(b);
}

void rocks_batch_put(struct rocks_batch *b, const char *key, size_t klen, const void *hdr,
                     size_t hlen, const char *payload, size_t plen)
{
    const char *vals[2] = { hdr, payload };
    size_t vlens[2] = { hlen, plen };

    rocksdb_writebatch_putv(b->wb, 1, &key, &klen, 2, vals, vlens);
    if (b->record)
        rocks_batch_keep(b, ROCKS_CF_KEYS, 0, key, klen, hdr, hlen, payload, plen);
}

/* The handle of column family 'cf' for batches: column families are created at the
 * first open and keep their ids (0 default, then in rocks_cf_names order) for the life
 * of the directory, which is all a batch records; 'r' is any open database. */
static rocksdb_column_family_handle_t *rocks_cf_of(struct rocks *r, enum rocks_cf cf)
{
    return r->cf[cf];
}

void rocks_batch_put_cf(struct rocks *r, struct rocks_batch *b, enum rocks_cf cf, const char *key,
                        size_t klen, const char *val, size_t vlen)
{
    rocksdb_writebatch_put_cf(b->wb, rocks_cf_of(r, cf), key, klen, val, vlen);
    if (b->record)
        rocks_batch_keep(b, cf, 0, key, klen, val, vlen, NULL, 0);
}

void rocks_batch_delete_cf(struct rocks *r, struct rocks_batch *b, enum rocks_cf cf,
                           const char *key, size_t klen)
{
    rocksdb_writebatch_delete_cf(b->wb, rocks_cf_of(r, cf), key, klen);
    if (b->record)
        rocks_batch_keep(b, cf, 1, key, klen, NULL, 0, NULL, 0);
}

void rocks_batch_delete(struct rocks_batch *b, const char *key, size_t klen)
{
    rocksdb_writebatch_delete(b->wb, key, klen);
    if (b->record)
        rocks_batch_keep(b, ROCKS_CF_KEYS, 1, key, klen, NULL, 0, NULL, 0);
}

void rocks_batch_delete_range(struct rocks_batch *b, const char *begin, size_t blen,
                              const char *end, size_t elen)
{
    rocksdb_writebatch_delete_range(b->wb, begin, blen, end, elen);
}

void rocks_batch_delete_range_cf(struct rocks *r, struct rocks_batch *b, enum rocks_cf cf,
                                 const char *begin, size_t blen, const char *end, size_t elen)
{
    OMK_ASSERT(!b->record); /* a transaction's batch index takes no range deletion */
    rocksdb_writebatch_delete_range_cf(b->wb, rocks_cf_of(r, cf), begin, blen, end, elen);
}

int rocks_batch_recording(const struct rocks_batch *b)
{
    return b->record;
}

/* Whether a write may be tried now: STORE_OK, STORE_ERR_CORRUPT (read-only), or
 * STORE_ERR_IO (writes are refused after a failure; logged once, when it began). */
static int rocks_write_allowed(struct rocks *r)
{
    if (atomic_load(&r->read_only))
        return STORE_ERR_CORRUPT;
    if (atomic_load(&r->refusing))
        return STORE_ERR_IO;
    return STORE_OK;
}

/* The outcome of a write that left 'err' (NULL: it worked; 'injected': a test's failure):
 * count it, or log the failure and, for a real one, begin refusing writes. A write
 * appends to the log's buffer, and writes the buffer out when it is full or when a new
 * log file is needed: a real failure may have broken the log. An injected one (tests)
 * stands for a single failed write. */
static int rocks_write_result(struct rocks *r, char *err, int injected)
{
    int rc;

    if (err) {
        atomic_store(&r->write_failed, 1);
        rc = rocks_fail(r, err, "write");
        if (!injected && rc == STORE_ERR_IO)
            rocks_refuse(r, "a write failed");
        return rc;
    }
    if (atomic_load(&r->write_failed)) /* a load: no store to a shared line per write */
        atomic_store(&r->write_failed, 0);
    atomic_fetch_add(&r->writes, 1);
    return STORE_OK;
}

void rocks_set_latency(struct rocks *r, store_latency_fn *fn)
{
    atomic_store(&r->latency, fn);
}

int rocks_write(struct rocks *r, struct rocks_batch *b)
{
    store_latency_fn *lat = atomic_load_explicit(&r->latency, memory_order_relaxed);
    char *err = NULL;
    int rc = rocks_write_allowed(r), injected;
    int64_t t0;

    rocks_thread_init();
    if (rc != STORE_OK)
        return rc;
    injected = rocks_injected(r, ROCKS_OP_WRITE, &err);
    if (!injected) {
        t0 = lat ? omk_mono_us() : 0;
        rocksdb_write(r->db, r->wo, b->wb, &err);
        if (lat && omk_mono_us() - t0 >= 1000) /* RocksDB delays or stops writers
                                                 * when flushes or compactions lag */
            lat(STORE_LAT_WRITE_STALL, omk_mono_us() - t0);
    }
    return rocks_write_result(r, err, injected);
}

int rocks_flush_wal(struct rocks *r, int sync)
{
    char *err = NULL;
    int rc;

    /* After a failed write (a full disk) RocksDB's WAL writer keeps the error, and a
     * FlushWAL on it trips the same assertion. Nothing reached the WAL since, so there
     * is nothing to flush until a write succeeds again (after an injected failure) or
     * the database is reopened (after a real one: 'refusing'). */
    if (atomic_load(&r->write_failed) || atomic_load(&r->refusing))
        return STORE_ERR_IO;
    if (!rocks_injected(r, ROCKS_OP_SYNC, &err))
        rocksdb_flush_wal(r->db, (unsigned char)(sync != 0), &err);
    if (err) {
        atomic_store(&r->write_failed, 1);
        rc = rocks_fail(r, err, sync ? "WAL sync" : "WAL write");
        rocks_refuse(r, sync ? "a sync of the write-ahead log failed"
                          : "a write to the write-ahead log failed");
        return rc;
    }
    return STORE_OK;
}

uint64_t rocks_latest_seq(struct rocks *r)
{
    return r->db ? rocksdb_get_latest_sequence_number(r->db) : r->closed_seq;
}

void rocks_file_path(const struct rocks *r, uint64_t table, char *buf, size_t cap)
{
    if (table)
        snprintf(buf, cap, "%s/%06llu.sst", r->dir, (unsigned long long)table);
    else
        snprintf(buf, cap, "%s/IDENTITY", r->dir);
}

void rocks_compactions_start(struct rocks *r)
{
    static const char *const key[] = {"disable_auto_compactions"};
    static const char *const val[] = {"false"};

    omk_rwlock_rdlock(&r->life);
    for (int i = 0; i < ROCKS_CF_COUNT_; i++) {
        char *err = NULL;

        rocksdb_options_set_disable_auto_compactions(r->cf_opts[i], 0); /* for a reopen */
        if (!r->db)
            continue;
        rocksdb_set_options_cf(r->db, r->cf[i], 1, key, val, &err);
        if (err) {
            store_log(r->log, STORE_LOG_WARN, "RocksDB: cannot turn compactions on: %s", err);
            rocksdb_free(err);
        }
    }
    omk_rwlock_unlock(&r->life);
}

void rocks_quiesce(struct rocks *r)
{
    omk_rwlock_rdlock(&r->life);
    if (r->db)
        rocksdb_cancel_all_background_work(r->db, 1);
    omk_rwlock_unlock(&r->life);
}

int rocks_table_files(struct rocks *r, enum rocks_cf cf, struct rocks_table_file **out,
                      size_t *n)
{
    const rocksdb_livefiles_t *lf;
    int count;

    *out = NULL;
    *n = 0;
    omk_rwlock_rdlock(&r->life);
    lf = r->db ? rocksdb_livefiles(r->db) : NULL;
    omk_rwlock_unlock(&r->life);
    if (!lf)
        return STORE_ERR_IO;
    count = rocksdb_livefiles_count(lf);
    *out = omk_malloc((count > 0 ? (size_t)count : 1) * sizeof(**out));
    for (int i = 0; i < count; i++) {
        const char *name = rocksdb_livefiles_name(lf, i), *cfname;
        unsigned long long num;

        cfname = rocksdb_livefiles_column_family_name(lf, i);
        if (!cfname || strcmp(cfname, rocks_cf_names[cf]) != 0)
            continue;
        if (!name || sscanf(name[0] == '/' ? name + 1 : name, "%llu.sst", &num) != 1)
            continue; /* RocksDB names table files <number>.sst */
        (*out)[*n].number = num;
        (*out)[(*n)++].size = rocksdb_livefiles_size(lf, i);
    }
    rocksdb_livefiles_destroy(lf);
    return STORE_OK;
}

void rocks_compact_all(struct rocks *r)
{
    omk_rwlock_rdlock(&r->life);
    for (int i = 0; r->db && i < ROCKS_CF_COUNT_; i++)
        rocksdb_compact_range_cf(r->db, r->cf[i], NULL, 0, NULL, 0);
    omk_rwlock_unlock(&r->life);
}

void rocks_compact_range(struct rocks *r, enum rocks_cf cf, const char *begin, size_t blen,
                         const char *end, size_t elen)
{
    omk_rwlock_rdlock(&r->life);
    if (r->db)
        rocksdb_compact_range_cf(r->db, r->cf[cf], begin, blen, end, elen);
    omk_rwlock_unlock(&r->life);
}

int rocks_checkpoint(struct rocks *r, const char *path)
{
    char *err = NULL;
    rocksdb_checkpoint_t *cp;
    int rc = STORE_OK;

    omk_rwlock_rdlock(&r->life); /* a reopen waits for the checkpoint */
    if (!r->db) {
        omk_rwlock_unlock(&r->life);
        return rocks_gone(r, "checkpoint");
    }
    cp = rocksdb_checkpoint_object_create(r->db, &err);
    if (!err) {
        rocksdb_checkpoint_create(cp, path, 0, &err); /* 0: flush the memtable into it */
        rocksdb_checkpoint_object_destroy(cp);
    }
    if (err)
        rc = rocks_fail(r, err, "checkpoint");
    omk_rwlock_unlock(&r->life);
    return rc;
}

struct rocks_iter *rocks_iter_new(struct rocks *r, const char *upper, size_t ulen, int bulk)
{
    return rocks_iter_new_cf(r, ROCKS_CF_KEYS, upper, ulen, bulk);
}

struct rocks_iter *rocks_iter_new_cf(struct rocks *r, enum rocks_cf cf, const char *upper,
                                     size_t ulen, int bulk)
{
    struct rocks_iter *it = omk_calloc(1, sizeof(*it));

    rocks_thread_init();
    it->r = r;
    it->ro = rocksdb_readoptions_create();
    if (upper) {
        it->upper = omk_memdup(upper, ulen);
        rocksdb_readoptions_set_iterate_upper_bound(it->ro, it->upper, ulen);
    }
    if (bulk) {
        rocksdb_readoptions_set_fill_cache(it->ro, 0);
        rocksdb_readoptions_set_readahead_size(it->ro, 2u << 20);
    }
    it->it = r->db ? rocksdb_create_iterator_cf(r->db, it->ro, r->cf[cf]) : NULL; /* NULL: closed */
    return it;
}

void rocks_iter_free(struct rocks_iter *it)
{
    if (!it)
        return;
    if (it->it)
        rocksdb_iter_destroy(it->it);
    rocksdb_readoptions_destroy(it->ro); /* after the iterator: it reads the bound */
    omk_free(it->upper);
    omk_free(it);
}

void rocks_iter_seek(struct rocks_iter *it, const char *key, size_t klen)
{
    if (it->it)
        rocksdb_iter_seek(it->it, key, klen);
}

void rocks_iter_seek_to_last(struct rocks_iter *it)
{
    if (it->it)
        rocksdb_iter_seek_to_last(it->it);
}

int rocks_iter_valid(struct rocks_iter *it)
{
    return it->it && rocksdb_iter_valid(it->it) != 0;
}

void rocks_iter_next(struct rocks_iter *it)
{
    rocksdb_iter_next(it->it);
}

void rocks_iter_prev(struct rocks_iter *it)
{
    rocksdb_iter_prev(it->it);
}

void rocks_iter_seek_for_prev(struct rocks_iter *it, const char *key, size_t klen)
{
    if (it->it)
        rocksdb_iter_seek_for_prev(it->it, key, klen);
}

const char *rocks_iter_key(struct rocks_iter *it, size_t *len)
{
    return rocksdb_iter_key(it->it, len);
}

const char *rocks_iter_value(struct rocks_iter *it, size_t *len)
{
    return rocksdb_iter_value(it->it, len);
}

int rocks_iter_status(struct rocks_iter *it)
{
    char *err = NULL;

    if (!it->it)
        return rocks_gone(it->r, "iterator");
    if (!rocks_injected(it->r, ROCKS_OP_ITER, &err))
        rocksdb_iter_get_error(it->it, &err);
    if (err)
        return rocks_fail(it->r, err, "iterator");
    return STORE_OK;
}

void rocks_stats_get(struct rocks *r, struct rocks_stats *out)
{
    out->reads = atomic_load(&r->reads);
    out->writes = atomic_load(&r->writes);
    out->io_errors = atomic_load(&r->io_errors);
    out->read_only = atomic_load(&r->read_only);
    out->write_failed = atomic_load(&r->write_failed);
    out->refusing = atomic_load(&r->refusing);
    out->refused_ms = atomic_load(&r->refused_ms);
    out->resumes = atomic_load(&r->resumes);
}

/* The count of ticker 'name' in 'text' (RocksDB's statistics as text: one line
 * "<name> COUNT : <n>" per ticker), 0 if it is not there. */
static uint64_t rocks_ticker(const char *text, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = text;

    while ((p = strstr(p, name)) != NULL) {
        if ((p == text || p[-1] == '\n') && strncmp(p + nlen, " COUNT : ", 9) == 0)
            return strtoull(p + nlen + 9, NULL, 10);
        p += nlen;
    }
    return 0;
}

/* Microseconds writers have stalled since the open, from the "Cumulative stall:
 * H:M:S.mmm" line of RocksDB's DB stats (kept with or without statistics); 0 if the
 * database is closed or the line is missing. */
static uint64_t rocks_stall_micros(struct rocks *r)
{
    const char *tag = "Cumulative stall: ";
    unsigned h = 0, m = 0;
    double sec = 0;
    uint64_t us = 0;
    char *text, *p;

    omk_rwlock_rdlock(&r->life);
    text = r->db ? rocksdb_property_value(r->db, "rocksdb.dbstats") : NULL;
    omk_rwlock_unlock(&r->life);
    if (text && (p = strstr(text, tag)) != NULL &&
        sscanf(p + strlen(tag), "%u:%u:%lf", &h, &m, &sec) == 3)
        us = ((uint64_t)h * 3600 + m * 60) * 1000000 + (uint64_t)(sec * 1e6 + 0.5);
    rocksdb_free(text);
    return us;
}

void rocks_counters_get(struct rocks *r, struct store_rocks_stats *out)
{
    char *text = rocksdb_options_statistics_get_string(r->opts); /* NULL without statistics;
                                                                  * shared by every copy of
                                                                  * the options */

    memset(out, 0, sizeof(*out));
    out->statistics = text != NULL;
    if (text) {
        out->data_hits = rocks_ticker(text, "rocksdb.block.cache.data.hit");
        out->data_misses = rocks_ticker(text, "rocksdb.block.cache.data.miss");
        out->index_hits = rocks_ticker(text, "rocksdb.block.cache.index.hit");
        out->index_misses = rocks_ticker(text, "rocksdb.block.cache.index.miss");
        out->filter_hits = rocks_ticker(text, "rocksdb.block.cache.filter.hit");
        out->filter_misses = rocks_ticker(text, "rocksdb.block.cache.filter.miss");
        out->bloom_useful = rocks_ticker(text, "rocksdb.bloom.filter.useful");
        out->file_reads = rocks_ticker(text, "rocksdb.last.level.read.count") +
                          rocks_ticker(text, "rocksdb.non.last.level.read.count");
        out->file_read_bytes = rocks_ticker(text, "rocksdb.last.level.read.bytes") +
                               rocks_ticker(text, "rocksdb.non.last.level.read.bytes");
        out->compact_read_bytes = rocks_ticker(text, "rocksdb.compact.read.bytes");
        out->get_bytes = rocks_ticker(text, "rocksdb.bytes.read");
        rocksdb_free(text);
    }
    out->stall_micros = rocks_stall_micros(r);
    out->cache_usage = rocksdb_cache_get_usage(r->cache);
    out->cache_pinned = rocksdb_cache_get_pinned_usage(r->cache);
    out->cache_capacity = rocksdb_cache_get_capacity(r->cache);
}

uint64_t rocks_disk_bytes(struct rocks *r)
{
    uint64_t sum = 0;

    for (int i = 0; i < ROCKS_CF_COUNT_; i++)
        sum += rocks_cf_bytes(r, (enum rocks_cf)i);
    return sum;
}

uint64_t rocks_cf_bytes(struct rocks *r, enum rocks_cf cf)
{
    uint64_t sst = 0, mem = 0;

    omk_rwlock_rdlock(&r->life);
    if (!r->db ||
        rocksdb_property_int_cf(r->db, r->cf[cf], "rocksdb.total-sst-files-size", &sst) != 0)
        sst = 0;
    if (!r->db ||
        rocksdb_property_int_cf(r->db, r->cf[cf], "rocksdb.cur-size-all-mem-tables", &mem) != 0)
        mem = 0;
    omk_rwlock_unlock(&r->life);
    return sst + mem;
}

void rocks_test_fail_next(struct rocks *r, enum rocks_op op, int rc)
{
    OMK_ASSERT(op >= 0 && op < ROCKS_OP_COUNT_);
    OMK_ASSERT(rc == STORE_ERR_IO || rc == STORE_ERR_CORRUPT);
    atomic_store(&r->fail_next[op], rc);
}

/* ---- Transactions: several batches written as one ------------------------------------- */

struct rocks_tx {
    rocksdb_writebatch_wi_t *wi; /* the batches so far, indexed so reads can see them */
};

struct rocks_tx *rocks_tx_new(void)
{
    struct rocks_tx *t = omk_malloc(sizeof(*t));

    t->wi = rocksdb_writebatch_wi_create(0, 1);
    return t;
}

void rocks_tx_free(struct rocks_tx *t)
{
    if (!t)
        return;
    rocksdb_writebatch_wi_destroy(t->wi);
    omk_free(t);
}

void rocks_tx_add(struct rocks *r, struct rocks_tx *t, struct rocks_batch *b)
{
    OMK_ASSERT(b->record || rocksdb_writebatch_count(b->wb) == 0);
    for (size_t i = 0; i < b->n; i++) {
        const struct rocks_bop *op = &b->ops[i];

        if (op->del)
            rocksdb_writebatch_wi_delete_cf(t->wi, rocks_cf_of(r, op->cf), op->key, op->klen);
        else
            rocksdb_writebatch_wi_put_cf(t->wi, rocks_cf_of(r, op->cf), op->key, op->klen, op->val,
                                         op->vlen);
    }
}

int rocks_tx_get(struct rocks *r, struct rocks_tx *t, const char *key, size_t klen, char **val,
                 size_t *vlen)
{
    return rocks_tx_get_cf(r, t, ROCKS_CF_KEYS, key, klen, val, vlen);
}

int rocks_tx_get_cf(struct rocks *r, struct rocks_tx *t, enum rocks_cf cf, const char *key,
                    size_t klen, char **val, size_t *vlen)
{
    char *err = NULL, *v = NULL;
    size_t n = 0;

    rocks_thread_init();
    atomic_fetch_add(&r->reads, 1);
    if (!r->db)
        return rocks_gone(r, "get");
    if (!rocks_injected(r, ROCKS_OP_GET, &err))
        v = rocksdb_writebatch_wi_get_from_batch_and_db_cf(t->wi, r->db, r->ro, r->cf[cf], key,
                                                           klen, &n, &err);
    if (err)
        return rocks_fail(r, err, "get");
    if (!v)
        return STORE_NOTFOUND;
    *val = v;
    *vlen = n;
    return STORE_OK;
}

struct rocks_iter *rocks_tx_iter_new(struct rocks *r, struct rocks_tx *t, enum rocks_cf cf,
                                     const char *upper, size_t ulen)
{
    struct rocks_iter *it = rocks_iter_new_cf(r, cf, upper, ulen, 0);

    /* The new iterator takes over the base one (RocksDB frees its wrapper now). It
     * ignores the upper bound for the transaction's own changes: callers check keys. */
    if (it->it)
        it->it = rocksdb_writebatch_wi_create_iterator_with_base_cf(t->wi, it->it, r->cf[cf]);
    return it;
}

int rocks_tx_write(struct rocks *r, struct rocks_tx *t)
{
    char *err = NULL;
    int rc, injected;

    if (rocksdb_writebatch_wi_count(t->wi) == 0)
        return STORE_OK;
    rc = rocks_write_allowed(r);
    if (rc != STORE_OK)
        return rc;
    injected = rocks_injected(r, ROCKS_OP_WRITE, &err);
    if (!injected)
        rocksdb_write_writebatch_wi(r->db, r->wo, t->wi, &err);
    rc = rocks_write_result(r, err, injected);
    if (rc == STORE_OK)
        rocksdb_writebatch_wi_clear(t->wi);
    return rc;
}
