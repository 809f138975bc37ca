/* cfg.c - the configuration table and what works from it (see cfg.h): the
 * defaults, loading redis.conf-style text plus the command line at start-up, CONFIG
 * SET (all or nothing, with apply hooks) and CONFIG GET.
 *
 * Every option is one row of cfg_table; each type (integer, memory size, bool, enum,
 * string, word list, Redis' save, output buffer limits) has one parser, one store, one
 * renderer. A value is parsed into a struct cfg_val first and only then exchanged with
 * the field, so a bad value never changes anything and the old value is at hand for a
 * restore.
 * Invariant: every field named by a row always holds a valid value of its type. */
#include "config.h"

#include "common/omk_thread.h"
#include "common/splitargs.h"
#include "daemon/cfg.h"
#include "daemon/notify.h"
#include "daemon/reply.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- the option table ---- */

enum cfg_type {
    CFG_T_INT,  /* _Atomic int: a decimal integer in min..max */
    CFG_T_LL,   /* _Atomic long long: a decimal integer in min..max, wider than an int */
    CFG_T_MEM,  /* _Atomic long long: a memory size (1k, 1kb, 1gb...) in min..max */
    CFG_T_BOOL, /* _Atomic bool: yes or no */
    CFG_T_ENUM, /* _Atomic int: one of 'names' */
    CFG_T_STR,  /* char *: any text without NUL bytes */
    CFG_T_LIST, /* struct cfg_list: up to 'max' words (bind) */
    CFG_T_SAVE, /* Redis' save: "" or <seconds> <changes> pairs */
    CFG_T_OBUF, /* struct cfg_obuf_limit[]: client-output-buffer-limit */
    CFG_T_PCTL, /* char *: percentiles 0..100, kept as normalised words ("50 99 99.9") */
    CFG_T_NOTIFY, /* _Atomic int: notify-keyspace-events, class letters as NOTIFY_* bits */
};

#define CFG_IMMUTABLE 0x1u /* start-up only: CONFIG SET refuses it */
#define CFG_IGNORED 0x2u   /* accepted and checked for compatibility, stored nowhere */
#define CFG_NOLINE_EMPTY 0x8u /* STR: CONFIG REWRITE writes no line for "" (Redis keeps
                              * requirepass and pidfile out of the file when unset) */
#define CFG_CLAMPED 0x4u   /* INT: a value in min..max is stored clamped to clamp_min..clamp_max
                            * (Redis accepts hz 0..INT_MAX and runs, and shows, 1..500) */

struct cfg_enum_name {
    const char *name;
    int val;
};

struct cfg_row {
    const char *name;
    const char *alias;                 /* another name for the option (Redis 7.0's old
                                        * *-ziplist-* names), or NULL */
    enum cfg_type type;
    unsigned flags;
    size_t off;                        /* field in struct server_config (not IGNORED) */
    long long min, max;                /* INT, LL, MEM: inclusive bounds; LIST: max words */
    long long clamp_min, clamp_max;    /* CFG_CLAMPED rows: what min..max is clamped to */
    const struct cfg_enum_name *names; /* ENUM: terminated by a NULL name */
    int nlisted;                       /* ENUM: names the error text lists (0: all); the
                                        * others are newer than Redis 7.0 */
    const char *def;                   /* default, as written after the name in a file;
                                        * IGNORED rows show it in CONFIG GET */
    const char *why;                   /* IGNORED: logged when set to something else */
    cfg_apply_fn *builtin;             /* applied before the daemon's hook */
};

/* Offset of field 'f', which must have type 'T' (base type: gcc ignores _Atomic here). */
#define CFG_FIELD(f, T)                                                                  \
    (offsetof(struct server_config, f) +                                                 \
     0 * sizeof(char[__builtin_types_compatible_p(                                       \
                         __typeof__(((struct server_config *)0)->f), T) ? 1 : -1]))

#define CFG_INT(n, f, lo, hi, d, fl, ...)                                                \
    { .name = n, .type = CFG_T_INT, .flags = fl, .off = CFG_FIELD(f, _Atomic int),       \
      .min = lo, .max = hi, .def = d, __VA_ARGS__ }
#define CFG_LL(n, f, lo, hi, d, fl, ...)                                                 \
    { .name = n, .type = CFG_T_LL, .flags = fl, .off = CFG_FIELD(f, _Atomic long long),  \
      .min = lo, .max = hi, .def = d, __VA_ARGS__ }
#define CFG_MEM(n, f, lo, hi, d, fl, ...)                                                \
    { .name = n, .type = CFG_T_MEM, .flags = fl, .off = CFG_FIELD(f, _Atomic long long), \
      .min = lo, .max = hi, .def = d, __VA_ARGS__ }
#define CFG_BOOL(n, f, d, fl, ...)                                                       \
    { .name = n, .type = CFG_T_BOOL, .flags = fl, .off = CFG_FIELD(f, _Atomic bool),     \
      .def = d, __VA_ARGS__ }
#define CFG_ENUM(n, f, nm, d, fl, ...)                                                   \
    { .name = n, .type = CFG_T_ENUM, .flags = fl, .off = CFG_FIELD(f, _Atomic int),      \
      .names = nm, .def = d, __VA_ARGS__ }
#define CFG_STR(n, f, d, fl, ...)                                                        \
    { .name = n, .type = CFG_T_STR, .flags = fl, .off = CFG_FIELD(f, char *), .def = d,  \
      __VA_ARGS__ }
#define CFG_LIST(n, f, maxn, d, fl)                                                      \
    { .name = n, .type = CFG_T_LIST, .flags = fl, .off = CFG_FIELD(f, struct cfg_list),  \
      .max = maxn, .def = d }
#define CFG_OBUF(n, f, d, fl)                                                            \
    { .name = n, .type = CFG_T_OBUF, .flags = fl,                                        \
      .off = CFG_FIELD(f, struct cfg_obuf_limit[CFG_OBUF_CLASSES]), .def = d }
#define CFG_PCTL(n, f, d, fl)                                                            \
    { .name = n, .type = CFG_T_PCTL, .flags = fl, .off = CFG_FIELD(f, char *), .def = d }
#define CFG_NOTIFY(n, f, d, fl)                                                           \
    { .name = n, .type = CFG_T_NOTIFY, .flags = fl, .off = CFG_FIELD(f, _Atomic int), .def = d }
#define CFG_IGNORE(n, t, d, reason)                                                      \
    { .name = n, .type = t, .flags = CFG_IGNORED, .def = d, .why = reason }

/* appendfsync stores the store's own enum: the daemon hands it to store_set_fsync. */
static const struct cfg_enum_name cfg_fsync_names[] = {
    {"everysec", STORE_FSYNC_EVERYSEC}, {"always", STORE_FSYNC_ALWAYS}, {"no", STORE_FSYNC_NO},
    {NULL, 0},
};

static const struct cfg_enum_name cfg_loglevel_names[] = {
    {"debug", OMK_LOG_DEBUG},     {"verbose", OMK_LOG_VERBOSE}, {"notice", OMK_LOG_NOTICE},
    {"warning", OMK_LOG_WARNING}, {"nothing", OMK_LOG_NOTHING}, {NULL, 0},
};

static const struct cfg_enum_name cfg_maxmemory_names[] = {
    {"volatile-lru", CFG_MAXMEMORY_VOLATILE_LRU},
    {"volatile-lfu", CFG_MAXMEMORY_VOLATILE_LFU},
    {"volatile-random", CFG_MAXMEMORY_VOLATILE_RANDOM},
    {"volatile-ttl", CFG_MAXMEMORY_VOLATILE_TTL},
    {"allkeys-lru", CFG_MAXMEMORY_ALLKEYS_LRU},
    {"allkeys-lfu", CFG_MAXMEMORY_ALLKEYS_LFU},
    {"allkeys-random", CFG_MAXMEMORY_ALLKEYS_RANDOM},
    {"noeviction", CFG_MAXMEMORY_NOEVICTION},
    {NULL, 0},
};

static const struct cfg_enum_name cfg_compression_names[] = {
    {"none", STORE_COMPRESSION_NONE}, {"snappy", STORE_COMPRESSION_SNAPPY},
    {"lz4", STORE_COMPRESSION_LZ4},   {"zstd", STORE_COMPRESSION_ZSTD},
    {NULL, 0},
};

static const struct cfg_enum_name cfg_wal_recovery_names[] = {
    {"tail", STORE_WAL_TAIL},
    {"absolute", STORE_WAL_ABSOLUTE},
    {"point-in-time", STORE_WAL_POINT_IN_TIME},
    {"skip-any", STORE_WAL_SKIP_ANY},
    {NULL, 0},
};

static const struct cfg_enum_name cfg_debug_names[] = {
    {"no", CFG_DEBUG_NO}, {"yes", CFG_DEBUG_YES}, {"local", CFG_DEBUG_LOCAL}, {NULL, 0},
};

static int cfg_apply_loglevel(struct server_config *c, char *err, size_t errlen);
static int cfg_apply_logfile(struct server_config *c, char *err, size_t errlen);

#define MB (1024LL * 1024)

#define CFG_STR_(x) #x
#define CFG_STR_OF(x) CFG_STR_(x) /* a macro's value as a string literal */

/* The options. Defaults and bounds are Redis 7's unless noted; CONFIG GET * lists
 * them in this order. Start-up only (CFG_IMMUTABLE): what Redis makes immutable, plus
 * port, bind and dir (Redis can change those live; omenkv's listener and store
 * cannot) and the RocksDB tuning, read when the store opens. */
static const struct cfg_row cfg_table[] = {
    CFG_INT("port", port, 0, 65535, "6379", CFG_IMMUTABLE),
    CFG_LIST("bind", bind, CFG_BIND_MAX, "127.0.0.1", CFG_IMMUTABLE),
    CFG_BOOL("protected-mode", protected_mode, "yes", 0),
    CFG_INT("tcp-backlog", tcp_backlog, 0, INT_MAX, "511", CFG_IMMUTABLE),
    CFG_INT("tcp-keepalive", tcp_keepalive, 0, INT_MAX, "300", 0),
    CFG_INT("timeout", timeout, 0, INT_MAX, "0", 0),
    /* Redis: an unsigned int. Start-up lowers it to what RLIMIT_NOFILE allows, and CONFIG
     * SET refuses more than that (server_fds_fit). */
    CFG_LL("maxclients", maxclients, 1, UINT_MAX, "10000", 0),
    /* Redis: 1..128, default 1. omenkv: 0 = one worker per core, the default. */
    CFG_INT("io-threads", io_threads, 0, 128, "0", CFG_IMMUTABLE),
    CFG_STR("requirepass", requirepass, "", CFG_NOLINE_EMPTY),
    CFG_STR("aclfile", aclfile, "", CFG_IMMUTABLE),
    CFG_ENUM("enable-debug-command", enable_debug_command, cfg_debug_names, "no",
             CFG_IMMUTABLE),
    CFG_MEM("proto-max-bulk-len", proto_max_bulk_len, 1 * MB, LLONG_MAX, "512mb", 0),
    CFG_MEM("client-query-buffer-limit", client_query_buffer_limit, 1 * MB, LLONG_MAX, "1gb",
            0),
    /* omenkv: bytes all clients' large requests (1 MB and more) may hold together while
     * they are read; a request that would pass it is refused and its client closed.
     * 0: a quarter of the machine's RAM. */
    CFG_MEM("large-requests-max-memory", large_requests_max_memory, 0, LLONG_MAX, "0", 0),
    CFG_OBUF("client-output-buffer-limit", obuf_limits,
             "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", 0),
    /* omenkv: the budget of the value cache (store/cache.c), every byte of it counted;
     * the keys and the index are outside it. 0, the default, does not mean "no limit"
     * as in Redis (the data lives on disk; only hot values are held in RAM): it means
     * 25% of the machine's RAM (STORE_CACHE_DEFAULT_PCT). A budget smaller than one
     * value, such as 1, disables the cache. CONFIG SET applies at once: a smaller
     * budget evicts before the reply. INFO cache shows the budget in effect. */
    CFG_MEM("maxmemory", maxmemory, 0, LLONG_MAX, "0", 0),
    CFG_ENUM("maxmemory-policy", maxmemory_policy, cfg_maxmemory_names, "noeviction", 0),
    /* What OBJECT FREQ counts under an LFU policy, and how fast it decays (minutes per
     * step, 0: never), as in Redis (store/access.c). */
    CFG_INT("lfu-log-factor", lfu_log_factor, 0, INT_MAX, "10", 0),
    CFG_INT("lfu-decay-time", lfu_decay_time, 0, INT_MAX, "1", 0),
    /* omenkv: values longer than this (bytes, up to 1gb) bypass the value cache. */
    CFG_MEM("cache-max-value-size", cache_max_value_size, 0, 1024 * MB, "1mb", 0),
    /* Redis: 1..INT_MAX. */
    CFG_INT("databases", databases, 1, 256, "16", CFG_IMMUTABLE),
    /* Redis' default is ".". */
    CFG_STR("dir", dir, "./data", CFG_IMMUTABLE),
    CFG_IGNORE("appendonly", CFG_T_BOOL, "yes",
               "omenkv always logs writes ahead (RocksDB WAL); appendfsync still applies"),
    CFG_ENUM("appendfsync", appendfsync, cfg_fsync_names, "everysec", 0),
    CFG_IGNORE("save", CFG_T_SAVE, "",
               "omenkv keeps every write in RocksDB and takes no snapshots"),
    CFG_BOOL("daemonize", daemonize, "no", CFG_IMMUTABLE),
    CFG_STR("pidfile", pidfile, "", CFG_IMMUTABLE | CFG_NOLINE_EMPTY),
    /* Redis 7.0's four levels, and 7.2's "nothing" (accepted, not listed in errors). */
    CFG_ENUM("loglevel", loglevel, cfg_loglevel_names, "notice", 0,
             .builtin = cfg_apply_loglevel, .nlisted = 4),
    /* Redis makes logfile immutable; omenkv reopens the log on CONFIG SET. */
    CFG_STR("logfile", logfile, "", 0, .builtin = cfg_apply_logfile),
    /* As Redis: 0..INT_MAX accepted, clamped to 1..500. */
    CFG_INT("hz", hz, 0, INT_MAX, "10", CFG_CLAMPED, .clamp_min = 1, .clamp_max = 500),
    CFG_MEM("rocksdb-block-cache-size", rocksdb_block_cache_size, 0, LLONG_MAX, "256mb",
            CFG_IMMUTABLE),
    CFG_INT("rocksdb-bloom-bits-per-key", rocksdb_bloom_bits_per_key, 0, 64, "10",
            CFG_IMMUTABLE),
    CFG_MEM("rocksdb-block-size", rocksdb_block_size, 1024, 256 * MB, "16kb", CFG_IMMUTABLE),
    CFG_MEM("rocksdb-write-buffer-size", rocksdb_write_buffer_size, 64 * 1024, LLONG_MAX,
            "8mb", CFG_IMMUTABLE),
    CFG_INT("rocksdb-max-background-jobs", rocksdb_max_background_jobs, 1, 256, "2",
            CFG_IMMUTABLE),
    /* omenkv: what a damaged write-ahead log does to the start (store.h,
     * enum store_wal_recovery): "tail" drops a torn tail of the newest log with a
     * warning and refuses any other damage; "point-in-time" and "skip-any" force a
     * start past damage, dropping what follows it or only the damaged records. */
    CFG_ENUM("rocksdb-wal-recovery-mode", rocksdb_wal_recovery_mode, cfg_wal_recovery_names,
             "tail", CFG_IMMUTABLE),
    /* omenkv: yes rebuilds the MANIFEST from every readable file before opening
     * (RocksDB's RepairDB; unreadable files go to <dir>/lost). For one start. */
    CFG_BOOL("rocksdb-repair", rocksdb_repair, "no", CFG_IMMUTABLE),
    /* omenkv: yes writes the key index to <dir>/index.omk at a clean shutdown, and the
     * next start reads it instead of every key of RocksDB when it matches (README,
     * "Durability and limits"). */
    CFG_BOOL("index-file", index_file, "yes", CFG_IMMUTABLE),
    /* Table files RocksDB keeps open (max_open_files); the descriptor budget reserves
     * them (server.c). RocksDB keeps at least 20. */
    CFG_INT("rocksdb-max-open-files", rocksdb_max_open_files, 20, 1000000, "1000",
            CFG_IMMUTABLE),
    /* omenkv: how table blocks are compressed, and whether RocksDB's reads (and its
     * flushes and compactions) bypass the page cache (README, "Beyond the cache"). */
    CFG_ENUM("rocksdb-compression", rocksdb_compression, cfg_compression_names, "snappy",
             CFG_IMMUTABLE),
    CFG_BOOL("rocksdb-use-direct-reads", rocksdb_use_direct_reads, "no", CFG_IMMUTABLE),
    CFG_BOOL("rocksdb-use-direct-io-for-flush-and-compaction", rocksdb_direct_io_background,
             "no", CFG_IMMUTABLE),
    /* omenkv: RocksDB reads its table files through memory maps (README, "Beyond the
     * cache"); RocksDB refuses it together with rocksdb-use-direct-reads. */
    CFG_BOOL("rocksdb-mmap-reads", rocksdb_mmap_reads, "no", CFG_IMMUTABLE),
    /* omenkv: RocksDB's statistics (INFO's rocksdb_block_cache_* hits and misses and
     * rocksdb_file_*), off by default for their CPU cost on every RocksDB read. */
    CFG_BOOL("rocksdb-statistics", rocksdb_statistics, "no", CFG_IMMUTABLE),
    /* When a hash or a set leaves the encoding Redis 7.0 calls compact (OBJECT ENCODING
     * only: omenkv's layout is its own), with Redis 7.0's names, aliases, types and
     * bounds. CONFIG SET applies at each collection's next write. */
    CFG_LL("hash-max-listpack-entries", hash_max_listpack_entries, 0, LLONG_MAX, "512", 0,
           .alias = "hash-max-ziplist-entries"),
    CFG_MEM("hash-max-listpack-value", hash_max_listpack_value, 0, LLONG_MAX, "64", 0,
            .alias = "hash-max-ziplist-value"),
    CFG_LL("set-max-intset-entries", set_max_intset_entries, 0, LLONG_MAX, "512", 0),
    CFG_LL("zset-max-listpack-entries", zset_max_listpack_entries, 0, LLONG_MAX, "128", 0,
           .alias = "zset-max-ziplist-entries"),
    CFG_MEM("zset-max-listpack-value", zset_max_listpack_value, 0, LLONG_MAX, "64", 0,
            .alias = "zset-max-ziplist-value"),
    /* Lists: accepted with Redis' types and bounds; Redis 7.0 calls every list
     * "quicklist", and so does omenkv, whose list layout is its own. */
    CFG_INT("list-max-listpack-size", list_max_listpack_size, INT_MIN, INT_MAX, "-2", 0,
            .alias = "list-max-ziplist-size"),
    CFG_INT("list-compress-depth", list_compress_depth, 0, INT_MAX, "0", 0),
    /* omenkv: bytes a hash or a set may take in its one record (read and rewritten whole,
     * cached whole) before it is split into one record per element; 0 splits every one. */
    CFG_MEM("collection-inline-max-bytes", collection_inline_max_bytes, 0, 1024 * MB,
            CFG_STR_OF(STORE_INLINE_MAX_DEFAULT), 0),
    /* omenkv: a string longer than this is stored in fragments of 4 KB, so SETBIT,
     * SETRANGE and APPEND rewrite only the fragments they touch (store/strval.h). */
    CFG_MEM("string-fragment-threshold", string_fragment_threshold, STORE_FRAG_THRESHOLD_MIN,
            STORE_FRAG_THRESHOLD_MAX, CFG_STR_OF(STORE_FRAG_THRESHOLD_DEFAULT), 0),
    /* The longest sparse HyperLogLog (bytes, header included) before it turns dense; read
     * by each PFADD and PFMERGE. */
    /* The slow log (daemon/slowlog.c): microseconds (negative: log nothing), entries. */
    CFG_LL("slowlog-log-slower-than", slowlog_log_slower_than, LLONG_MIN, LLONG_MAX, "10000", 0),
    CFG_LL("slowlog-max-len", slowlog_max_len, 0, LONG_MAX, "128", 0),
    /* The latency monitor (daemon/latency.c): milliseconds, 0 = off; the per-command
     * histograms behind INFO latencystats and LATENCY HISTOGRAM, and the percentiles
     * INFO shows. */
    CFG_LL("latency-monitor-threshold", latency_monitor_threshold, 0, LLONG_MAX, "0", 0),
    CFG_BOOL("latency-tracking", latency_tracking, "yes", 0),
    CFG_PCTL("latency-tracking-info-percentiles", latency_percentiles, "50 99 99.9", 0),
    /* Scripts (daemon/script.c): after this many ms a running script makes other clients'
     * commands answer BUSY, and SCRIPT KILL is the way to stop it. */
    CFG_LL("busy-reply-threshold", busy_reply_threshold, 0, LONG_MAX, "5000", 0,
           .alias = "lua-time-limit"),
    CFG_MEM("hll-sparse-max-bytes", hll_sparse_max_bytes, 0, LLONG_MAX,
            CFG_STR_OF(STORE_HLL_SPARSE_MAX_DEFAULT), 0),
    /* Client-side caching (daemon/tracking.c): keys the table remembers at most. */
    CFG_LL("tracking-table-max-keys", tracking_table_max_keys, 0, LONG_MAX, "1000000", 0),
    /* Keyspace notifications (daemon/notify.c): "" is off. */
    CFG_NOTIFY("notify-keyspace-events", notify_keyspace_events, "", 0),
};

#define CFG_NROWS OMK_ARRAY_LEN(cfg_table)

/* Apply hooks registered by the daemon, one per row. Written only at start-up by
 * cfg_set_apply_hook, before any thread runs CONFIG SET; read-only afterwards. */
static cfg_apply_fn *cfg_hooks[CFG_NROWS];

/* The row named 'p'/'len' (case-insensitive) by its name or its alias, or NULL. With
 * 'matched', the name it was found by, as the table spells it. */
static const struct cfg_row *cfg_lookup(const char *p, size_t len, const char **matched)
{
    for (size_t i = 0; i < CFG_NROWS; i++) {
        const char *names[2] = {cfg_table[i].name, cfg_table[i].alias};

        for (int k = 0; k < 2; k++) {
            if (names[k] && strlen(names[k]) == len && strncasecmp(names[k], p, len) == 0) {
                if (matched)
                    *matched = names[k];
                return &cfg_table[i];
            }
        }
    }
    return NULL;
}

/* ---- text buffers ---- */

/* A growable byte buffer (the text to parse). */
struct cfg_buf {
    char *p;
    size_t len, cap;
};

static void cfg_buf_cat(struct cfg_buf *b, const char *p, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->p = omk_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void cfg_buf_puts(struct cfg_buf *b, const char *s)
{
    cfg_buf_cat(b, s, strlen(s));
}

/* Append 's' quoted and escaped as Redis' sdscatrepr does, so that splitting the
 * result gives 's' back. */
static void cfg_buf_catrepr(struct cfg_buf *b, const char *s)
{
    cfg_buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];

        switch (ch) {
        case '\\': cfg_buf_puts(b, "\\\\"); break;
        case '"': cfg_buf_puts(b, "\\\""); break;
        case '\n': cfg_buf_puts(b, "\\n"); break;
        case '\r': cfg_buf_puts(b, "\\r"); break;
        case '\t': cfg_buf_puts(b, "\\t"); break;
        case '\a': cfg_buf_puts(b, "\\a"); break;
        case '\b': cfg_buf_puts(b, "\\b"); break;
        default:
            if (isprint(ch)) {
                cfg_buf_cat(b, (const char *)&ch, 1);
            } else {
                snprintf(esc, sizeof(esc), "\\x%02x", ch);
                cfg_buf_puts(b, esc);
            }
        }
    }
    cfg_buf_puts(b, "\"");
}

/* ---- values: parse, store, compare, render ---- */

/* OBUF: the classes a client-output-buffer-limit value names, and their limits. */
struct cfg_obuf_val {
    unsigned mask; /* bit (1 << class) for each class named; the others keep their value */
    long long hard[CFG_OBUF_CLASSES], soft[CFG_OBUF_CLASSES];
    int seconds[CFG_OBUF_CLASSES];
};

/* A parsed value of any type, before it is stored (or after, holding the old one). */
struct cfg_val {
    long long num;        /* INT, MEM, BOOL, ENUM; SAVE: number of pairs */
    char *str;            /* STR: owned */
    struct cfg_list list; /* LIST: owned */
    struct cfg_obuf_val obuf; /* OBUF */
};

static void cfg_list_free(struct cfg_list *l)
{
    for (int i = 0; i < l->n; i++)
        omk_free(l->v[i]);
    omk_free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void cfg_val_free(struct cfg_val *v)
{
    omk_free(v->str);
    v->str = NULL;
    cfg_list_free(&v->list);
}

/* Whether 'p'/'len' equals the NUL-terminated 'word', ignoring ASCII case. */
static int cfg_word_eq(const char *p, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(p, word, len) == 0;
}

/* Split 's' on spaces into 'out' (skipping empty words); returns the word count.
 * 'out' may be NULL to count only. The words borrow from 's'. */
static size_t cfg_split_spaces(struct omk_slice s, struct omk_slice *out)
{
    size_t n = 0, i = 0;

    while (i < s.len) {
        size_t start;

        while (i < s.len && s.p[i] == ' ')
            i++;
        if (i == s.len)
            break;
        start = i;
        while (i < s.len && s.p[i] != ' ')
            i++;
        if (out)
            out[n] = (struct omk_slice){s.p + start, i - start};
        n++;
    }
    return n;
}

/* The words of a multi-word option (bind, save): the arguments themselves, or, when
 * there is exactly one, that argument split on spaces (as Redis does for CONFIG SET
 * and for "--save '3600 1'"). Returns an array freed with omk_free; '*nw' its size. */
static struct omk_slice *cfg_words(int argc, const struct omk_slice *argv, size_t *nw)
{
    struct omk_slice *w;

    if (argc == 1) {
        *nw = cfg_split_spaces(argv[0], NULL);
        w = omk_calloc(*nw ? *nw : 1, sizeof(*w));
        cfg_split_spaces(argv[0], w);
        return w;
    }
    *nw = (size_t)argc;
    w = omk_calloc(argc ? (size_t)argc : 1, sizeof(*w));
    if (argc > 0)
        memcpy(w, argv, (size_t)argc * sizeof(*w));
    return w;
}

/* Parse a memory size: decimal digits, then an optional unit b, k (1000), kb (1024),
 * m, mb, g, gb, case-insensitive (Redis' memtoull). Returns 1 and '*out', or 0. */
static int cfg_parse_memory(const char *p, size_t len, unsigned long long *out)
{
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {
        {"", 1},          {"b", 1},          {"k", 1000},
        {"kb", 1024},     {"m", 1000000},    {"mb", 1024 * 1024},
        {"g", 1000000000}, {"gb", 1024 * 1024 * 1024},
    };
    unsigned long long n = 0;
    size_t i = 0;

    while (i < len && p[i] >= '0' && p[i] <= '9') {
        unsigned d = (unsigned)(p[i] - '0');

        if (n > (ULLONG_MAX - d) / 10)
            return 0;
        n = n * 10 + d;
        i++;
    }
    if (i == 0)
        return 0;
    for (size_t u = 0; u < OMK_ARRAY_LEN(units); u++) {
        if (cfg_word_eq(p + i, len - i, units[u].unit)) {
            if (n > ULLONG_MAX / units[u].mul)
                return 0;
            *out = n * units[u].mul;
            return 1;
        }
    }
    return 0;
}

/* "argument(s) must be one of the following: a, b, c" for enum row 'r', naming what
 * Redis 7.0 names (its first 'nlisted' names, if set). */
static void cfg_enum_error(const struct cfg_row *r, char *msg, size_t msglen)
{
    size_t used = (size_t)snprintf(msg, msglen, "argument(s) must be one of the following: ");
    int n = 0;

    for (const struct cfg_enum_name *e = r->names; e->name && used < msglen; e++, n++) {
        if (r->nlisted > 0 && n >= r->nlisted)
            break;
        used += (size_t)snprintf(msg + used, msglen - used, "%s%s", n == 0 ? "" : ", ",
                                 e->name);
    }
}

/* Redis' message for a number outside r's bounds. */
static int cfg_range_error(const struct cfg_row *r, char *msg, size_t msglen)
{
    snprintf(msg, msglen, "argument must be between %lld and %lld inclusive", r->min, r->max);
    return -1;
}

/* Check that 'v' lies in r's bounds; else Redis' range message in 'msg'. */
static int cfg_check_range(const struct cfg_row *r, long long v, char *msg, size_t msglen)
{
    return v >= r->min && v <= r->max ? 0 : cfg_range_error(r, msg, msglen);
}

/* Parse Redis' save arguments into 'v' (number of pairs): "" or pairs of seconds >= 1
 * and changes >= 0. */
static int cfg_parse_save(int argc, const struct omk_slice *argv, struct cfg_val *v,
                          char *msg, size_t msglen)
{
    size_t nw;
    struct omk_slice *w = cfg_words(argc, argv, &nw);
    int rc = 0;

    if (nw % 2 != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < nw; i++) {
        long long x;

        if (!omk_str2ll(w[i].p, w[i].len, &x) || x < (i % 2 == 0 ? 1 : 0))
            rc = -1;
    }
    omk_free(w);
    if (rc < 0) {
        snprintf(msg, msglen, "Invalid save parameters");
        return -1;
    }
    v->num = (long long)(nw / 2);
    return 0;
}

/* Class names of client-output-buffer-limit, as Redis' getClientTypeByName reads
 * them ("master" is a class there too, but refused here as Redis refuses it). */
static const struct cfg_enum_name cfg_obuf_names[] = {
    {"normal", CFG_OBUF_NORMAL}, {"slave", CFG_OBUF_REPLICA}, {"replica", CFG_OBUF_REPLICA},
    {"pubsub", CFG_OBUF_PUBSUB}, {NULL, 0},
};

/* Parse client-output-buffer-limit arguments as Redis' updateClientOutputBufferLimit
 * does: groups of <class> <hard> <soft> <soft seconds>, sizes with memory units; all
 * groups are checked before any is kept (a later group for the same class wins).
 * Classes not named keep their current value (v->obuf.mask says which are named). */
static int cfg_parse_obuf(int argc, const struct omk_slice *argv, struct cfg_val *v, char *msg,
                          size_t msglen)
{
    size_t nw;
    struct omk_slice *w = cfg_words(argc, argv, &nw);
    const char *bad = NULL;

    if (nw % 4 != 0)
        bad = "Wrong number of arguments in buffer limit configuration.";
    for (size_t i = 0; !bad && i < nw; i += 4) {
        const struct cfg_enum_name *e = cfg_obuf_names;
        unsigned long long hard, soft;
        long long secs;

        while (e->name && !cfg_word_eq(w[i].p, w[i].len, e->name))
            e++;
        if (!e->name) {
            bad = "Invalid client class specified in buffer limit configuration.";
            break;
        }
        if (!cfg_parse_memory(w[i + 1].p, w[i + 1].len, &hard) ||
            !cfg_parse_memory(w[i + 2].p, w[i + 2].len, &soft) || hard > LLONG_MAX ||
            soft > LLONG_MAX || !omk_str2ll(w[i + 3].p, w[i + 3].len, &secs) || secs < 0 ||
            secs > INT_MAX) {
            bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            break;
        }
        v->obuf.mask |= 1u << e->val;
        v->obuf.hard[e->val] = (long long)hard;
        v->obuf.soft[e->val] = (long long)soft;
        v->obuf.seconds[e->val] = (int)secs;
    }
    omk_free(w);
    if (bad) {
        snprintf(msg, msglen, "%s", bad);
        v->obuf.mask = 0;
        return -1;
    }
    return 0;
}

/* Parse latency-tracking-info-percentiles: numbers 0..100 (Redis' string2d: no spaces,
 * not NaN), none for "". Kept in v->str as "%f" words without trailing zeros, the form
 * CONFIG GET shows. */
static int cfg_parse_percentiles(int argc, const struct omk_slice *argv, struct cfg_val *v,
                                 char *msg, size_t msglen)
{
    size_t nw;
    struct omk_slice *w = cfg_words(argc, argv, &nw);
    struct cfg_buf out = {0};
    const char *bad = NULL;

    cfg_buf_puts(&out, "");
    for (size_t i = 0; !bad && i < nw; i++) {
        long double d;
        char num[64];
        int n;

        if (!omk_str2ld(w[i].p, w[i].len, &d)) {
            bad = "Invalid latency-tracking-info-percentiles parameters";
        } else if (d > 100.0L || d < 0.0L) {
            bad = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        } else {
            n = snprintf(num, sizeof(num), "%f", (double)d);
            while (n > 1 && num[n - 1] == '0')
                n--;
            if (num[n - 1] == '.')
                n--;
            if (i > 0)
                cfg_buf_puts(&out, " ");
            cfg_buf_cat(&out, num, (size_t)n);
        }
    }
    omk_free(w);
    if (bad) {
        snprintf(msg, msglen, "%s", bad);
        omk_free(out.p);
        return -1;
    }
    v->str = out.p;
    return 0;
}

/* Parse the list of words for LIST row 'r' into v->list (owned copies). */
static int cfg_parse_list(const struct cfg_row *r, int argc, const struct omk_slice *argv,
                          struct cfg_val *v, char *msg, size_t msglen)
{
    size_t nw;
    struct omk_slice *w = cfg_words(argc, argv, &nw);

    if ((long long)nw > r->max) {
        omk_free(w);
        snprintf(msg, msglen, "Too many bind addresses specified."); /* bind: the only list */
        return -1;
    }
    v->list.n = (int)nw;
    v->list.v = omk_calloc(nw ? nw : 1, sizeof(char *));
    for (size_t i = 0; i < nw; i++)
        v->list.v[i] = omk_memdup(w[i].p, w[i].len);
    omk_free(w);
    return 0;
}

/* notify-keyspace-events' class letters and their bits, in the order CONFIG GET prints
 * the classes that A does not stand for all together (Redis' order). */
static const struct {
    char letter;
    int bit;
} cfg_notify_letters[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING}, {'l', NOTIFY_LIST},     {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH},    {'z', NOTIFY_ZSET},   {'x', NOTIFY_EXPIRED},  {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM},  {'d', NOTIFY_MODULE}, {'n', NOTIFY_NEW},      {'K', NOTIFY_KEYSPACE},
    {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};

/* Parse notify-keyspace-events' letters 'a' into v->num: any mix of the letters above
 * and A (every class but m and n), in any order and repeated; "" is off. */
static int cfg_parse_notify(const struct omk_slice *a, struct cfg_val *v, char *msg,
                            size_t msglen)
{
    int flags = 0;

    for (size_t i = 0; i < a->len; i++) {
        size_t k = 0;

        if (a->p[i] == 'A') {
            flags |= NOTIFY_ALL;
            continue;
        }
        while (k < OMK_ARRAY_LEN(cfg_notify_letters) && cfg_notify_letters[k].letter != a->p[i])
            k++;
        if (k == OMK_ARRAY_LEN(cfg_notify_letters)) {
            snprintf(msg, msglen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            return -1;
        }
        flags |= cfg_notify_letters[k].bit;
    }
    v->num = flags;
    return 0;
}

/* Write 'flags' as CONFIG GET shows them into 'out' (32 bytes): A when every class A
 * stands for is on (and then, as Redis prints it, no n), else each class letter; then
 * K, E and m. */
static void cfg_render_notify(int flags, char *out)
{
    size_t n = 0;

    if ((flags & NOTIFY_ALL) == NOTIFY_ALL)
        out[n++] = 'A';
    for (size_t k = 0; k < OMK_ARRAY_LEN(cfg_notify_letters); k++) {
        int bit = cfg_notify_letters[k].bit;
        int is_class = !(bit & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_KEY_MISS));

        if ((flags & bit) && !(is_class && (flags & NOTIFY_ALL) == NOTIFY_ALL))
            out[n++] = cfg_notify_letters[k].letter;
    }
    out[n] = '\0';
}

/* Parse 'argc' arguments 'argv' (borrowed) for row 'r' into '*v' (zeroed by the
 * caller). Single-value types take exactly one argument (callers check). Returns 0,
 * or -1 with Redis' message for the error in 'msg'; '*v' then owns nothing. */
static int cfg_parse(const struct cfg_row *r, int argc, const struct omk_slice *argv,
                     struct cfg_val *v, char *msg, size_t msglen)
{
    const struct omk_slice *a = &argv[0];
    unsigned long long m;

    switch (r->type) {
    case CFG_T_INT:
    case CFG_T_LL:
        if (!omk_str2ll(a->p, a->len, &v->num)) {
            snprintf(msg, msglen, "argument couldn't be parsed into an integer");
            return -1;
        }
        if (cfg_check_range(r, v->num, msg, msglen) != 0)
            return -1;
        if (r->flags & CFG_CLAMPED)
            v->num = v->num < r->clamp_min ? r->clamp_min
                     : v->num > r->clamp_max ? r->clamp_max : v->num;
        return 0;
    case CFG_T_MEM:
        if (!cfg_parse_memory(a->p, a->len, &m)) {
            snprintf(msg, msglen, "argument must be a memory value");
            return -1;
        }
        if (m > (unsigned long long)LLONG_MAX)
            return cfg_range_error(r, msg, msglen);
        v->num = (long long)m;
        return cfg_check_range(r, v->num, msg, msglen);
    case CFG_T_BOOL:
        if (cfg_word_eq(a->p, a->len, "yes") || cfg_word_eq(a->p, a->len, "no")) {
            v->num = cfg_word_eq(a->p, a->len, "yes");
            return 0;
        }
        snprintf(msg, msglen, "argument must be 'yes' or 'no'");
        return -1;
    case CFG_T_ENUM:
        for (const struct cfg_enum_name *e = r->names; e->name; e++) {
            if (cfg_word_eq(a->p, a->len, e->name)) {
                v->num = e->val;
                return 0;
            }
        }
        cfg_enum_error(r, msg, msglen);
        return -1;
    case CFG_T_STR:
        if (memchr(a->p, '\0', a->len)) {
            snprintf(msg, msglen, "argument must not contain NUL bytes");
            return -1;
        }
        v->str = omk_memdup(a->p, a->len);
        return 0;
    case CFG_T_LIST:
        return cfg_parse_list(r, argc, argv, v, msg, msglen);
    case CFG_T_SAVE:
        return cfg_parse_save(argc, argv, v, msg, msglen);
    case CFG_T_OBUF:
        return cfg_parse_obuf(argc, argv, v, msg, msglen);
    case CFG_T_PCTL:
        return cfg_parse_percentiles(argc, argv, v, msg, msglen);
    case CFG_T_NOTIFY:
        return cfg_parse_notify(a, v, msg, msglen);
    }
    OMK_ASSERT(!"unknown config type");
    return -1;
}

/* Derived fields, recomputed after every store. Caller holds c->lock. */
static void cfg_derive(struct server_config *c)
{
    atomic_store(&c->auth_required, c->requirepass != NULL && c->requirepass[0] != '\0');
}

/* Exchange '*v' with r's field in 'c': the field takes the new value and '*v' gets the
 * old one (for freeing or restoring). IGNORED rows store nothing. Caller holds c->lock. */
static void cfg_exchange(const struct cfg_row *r, struct server_config *c, struct cfg_val *v)
{
    char *field = (char *)c + r->off;

    if (r->flags & CFG_IGNORED)
        return;
    switch (r->type) {
    case CFG_T_INT:
    case CFG_T_ENUM:
    case CFG_T_NOTIFY:
        v->num = atomic_exchange((_Atomic int *)(void *)field, (int)v->num);
        break;
    case CFG_T_LL:
    case CFG_T_MEM:
        v->num = atomic_exchange((_Atomic long long *)(void *)field, v->num);
        break;
    case CFG_T_BOOL:
        v->num = atomic_exchange((_Atomic bool *)(void *)field, v->num != 0);
        break;
    case CFG_T_STR:
    case CFG_T_PCTL: {
        char **s = (char **)(void *)field, *old = *s;

        *s = v->str;
        v->str = old;
        break;
    }
    case CFG_T_LIST: {
        struct cfg_list *l = (struct cfg_list *)(void *)field, old = *l;

        *l = v->list;
        v->list = old;
        break;
    }
    case CFG_T_OBUF: {
        struct cfg_obuf_limit *o = (struct cfg_obuf_limit *)(void *)field;

        for (int k = 0; k < CFG_OBUF_CLASSES; k++) {
            if (!(v->obuf.mask & (1u << k)))
                continue;
            v->obuf.hard[k] = atomic_exchange(&o[k].hard, v->obuf.hard[k]);
            v->obuf.soft[k] = atomic_exchange(&o[k].soft, v->obuf.soft[k]);
            v->obuf.seconds[k] = atomic_exchange(&o[k].soft_seconds, v->obuf.seconds[k]);
        }
        break;
    }
    case CFG_T_SAVE:
        OMK_ASSERT(!"save is only an ignored option");
    }
    cfg_derive(c);
}

/* Whether r's field in 'c' holds the value '*v'. IGNORED rows compare equal (nothing
 * to apply). Caller holds c->lock. */
static int cfg_equal(const struct cfg_row *r, const struct server_config *c,
                     const struct cfg_val *v)
{
    const char *field = (const char *)c + r->off;

    if (r->flags & CFG_IGNORED)
        return 1;
    switch (r->type) {
    case CFG_T_INT:
    case CFG_T_ENUM:
    case CFG_T_NOTIFY:
        return atomic_load((_Atomic const int *)(const void *)field) == v->num;
    case CFG_T_LL:
    case CFG_T_MEM:
        return atomic_load((_Atomic const long long *)(const void *)field) == v->num;
    case CFG_T_BOOL:
        return atomic_load((_Atomic const bool *)(const void *)field) == (v->num != 0);
    case CFG_T_STR:
    case CFG_T_PCTL:
        return strcmp(*(char *const *)(const void *)field, v->str) == 0;
    case CFG_T_LIST: {
        const struct cfg_list *l = (const struct cfg_list *)(const void *)field;

        if (l->n != v->list.n)
            return 0;
        for (int i = 0; i < l->n; i++)
            if (strcmp(l->v[i], v->list.v[i]) != 0)
                return 0;
        return 1;
    }
    case CFG_T_OBUF: {
        const struct cfg_obuf_limit *o = (const struct cfg_obuf_limit *)(const void *)field;

        for (int k = 0; k < CFG_OBUF_CLASSES; k++)
            if ((v->obuf.mask & (1u << k)) &&
                (atomic_load(&o[k].hard) != v->obuf.hard[k] ||
                 atomic_load(&o[k].soft) != v->obuf.soft[k] ||
                 atomic_load(&o[k].soft_seconds) != v->obuf.seconds[k]))
                return 0;
        return 1;
    }
    case CFG_T_SAVE:
        break;
    }
    OMK_ASSERT(!"save is only an ignored option");
    return 0;
}

/* Render r's current value as CONFIG GET shows it. Returns a string freed with
 * omk_free; '*len' its length. Caller holds c->lock. */
static char *cfg_render(const struct cfg_row *r, const struct server_config *c, size_t *len)
{
    const char *field = (const char *)c + r->off;
    char num[32] = "";
    const char *text = num;

    if (r->flags & CFG_IGNORED) {
        text = r->def;
    } else {
        switch (r->type) {
        case CFG_T_INT:
            snprintf(num, sizeof(num), "%d", atomic_load((_Atomic const int *)(const void *)field));
            break;
        case CFG_T_LL:
        case CFG_T_MEM:
            snprintf(num, sizeof(num), "%lld",
                     atomic_load((_Atomic const long long *)(const void *)field));
            break;
        case CFG_T_BOOL:
            text = atomic_load((_Atomic const bool *)(const void *)field) ? "yes" : "no";
            break;
        case CFG_T_ENUM: {
            int val = atomic_load((_Atomic const int *)(const void *)field);
            const struct cfg_enum_name *e = r->names;

            while (e->name && e->val != val)
                e++;
            OMK_ASSERT(e->name != NULL);
            text = e->name;
            break;
        }
        case CFG_T_STR:
        case CFG_T_PCTL:
            text = *(char *const *)(const void *)field;
            break;
        case CFG_T_LIST: {
            const struct cfg_list *l = (const struct cfg_list *)(const void *)field;
            size_t total = 0, at = 0;
            char *out;

            for (int i = 0; i < l->n; i++)
                total += strlen(l->v[i]) + 1;
            out = omk_malloc(total + 1);
            for (int i = 0; i < l->n; i++) {
                size_t wl = strlen(l->v[i]);

                if (i > 0)
                    out[at++] = ' ';
                memcpy(out + at, l->v[i], wl);
                at += wl;
            }
            out[at] = '\0';
            *len = at;
            return out;
        }
        case CFG_T_OBUF: {
            /* Redis' form: "normal 0 0 0 slave 268435456 67108864 60 pubsub ...". */
            static const char *const names[CFG_OBUF_CLASSES] = {"normal", "slave", "pubsub"};
            const struct cfg_obuf_limit *o = (const struct cfg_obuf_limit *)(const void *)field;
            char buf[CFG_OBUF_CLASSES * 72];
            size_t at = 0;

            for (int k = 0; k < CFG_OBUF_CLASSES; k++)
                at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s %lld %lld %d",
                                       k ? " " : "", names[k], atomic_load(&o[k].hard),
                                       atomic_load(&o[k].soft), atomic_load(&o[k].soft_seconds));
            *len = at;
            return omk_memdup(buf, at);
        }
        case CFG_T_NOTIFY:
            cfg_render_notify(atomic_load((_Atomic const int *)(const void *)field), num);
            break;
        case CFG_T_SAVE:
            OMK_ASSERT(!"save is only an ignored option");
        }
    }
    *len = strlen(text);
    return omk_memdup(text, *len);
}

/* An IGNORED row was given '*v': log that it has no effect, unless '*v' is what
 * omenkv does anyway (the row's default). */
static void cfg_note_ignored(const struct cfg_row *r, const struct cfg_val *v)
{
    struct omk_slice d = {r->def, strlen(r->def)};
    struct cfg_val fixed = {0};
    char msg[128];
    int rc = cfg_parse(r, 1, &d, &fixed, msg, sizeof(msg));

    OMK_ASSERT(rc == 0);
    if (fixed.num != v->num)
        omk_log(OMK_LOG_WARNING, "The '%s' setting is ignored: %s.", r->name, r->why);
    cfg_val_free(&fixed);
}

/* ---- defaults ---- */

void cfg_defaults(struct server_config *c)
{
    char msg[256];

    memset(c, 0, sizeof(*c));
    omk_mutex_init(&c->lock);
    for (size_t i = 0; i < CFG_NROWS; i++) {
        const struct cfg_row *r = &cfg_table[i];
        struct omk_slice d = {r->def, strlen(r->def)};
        struct cfg_val v = {0};

        if (r->flags & CFG_IGNORED)
            continue;
        if (cfg_parse(r, 1, &d, &v, msg, sizeof(msg)) != 0) {
            fprintf(stderr, "omenkv: bad default for %s: %s\n", r->name, msg);
            OMK_ASSERT(!"bad default in cfg_table");
        }
        cfg_exchange(r, c, &v);
        cfg_val_free(&v);
    }
}

void cfg_deinit(struct server_config *c)
{
    for (size_t i = 0; i < CFG_NROWS; i++) {
        const struct cfg_row *r = &cfg_table[i];

        if (r->flags & CFG_IGNORED)
            continue;
        if (r->type == CFG_T_STR || r->type == CFG_T_PCTL) {
            char **s = (char **)(void *)((char *)c + r->off);

            omk_free(*s);
            *s = NULL;
        } else if (r->type == CFG_T_LIST) {
            cfg_list_free((struct cfg_list *)(void *)((char *)c + r->off));
        }
    }
    omk_free(c->configfile);
    c->configfile = NULL;
    pthread_mutex_destroy(&c->lock);
}

/* ---- loading: file text + command line, redis.conf syntax ---- */

/* The arguments of a config line being split (see cfg_load_line). */
struct cfg_args {
    struct omk_slice *av; /* at least len / 2 + 1 slots for a line of 'len' bytes */
    int n;
};

/* omk_splitargs() callback: append one argument to the struct cfg_args 'arg'. */
static void cfg_args_push(void *arg, const char *p, size_t len)
{
    struct cfg_args *a = arg;

    a->av[a->n++] = (struct omk_slice){p, len};
}

/* omk_splitargs() callback: count one argument in the int 'arg'. */
static void cfg_args_count(void *arg, const char *p, size_t len)
{
    OMK_UNUSED(p);
    OMK_UNUSED(len);
    (*(int *)arg)++;
}

/* Number of arguments in the NUL-terminated 's' (-1 for unbalanced quotes). */
static int cfg_count_args(const char *s)
{
    size_t len = strlen(s);
    char *buf = omk_malloc(len + 1);
    int n = 0, rc = omk_splitargs(s, len, buf, cfg_args_count, &n);

    omk_free(buf);
    return rc < 0 ? -1 : n;
}

/* Turn the command-line arguments after the config file into config lines the way
 * redis-server's main() does: "--name" starts a line "name ", each following argument
 * is appended quoted (sdscatrepr); "--x" counts as a name only once the previous name
 * has an argument, so "--maxmemory-policy --x" fails later as a bad value; "--port
 * 6380" in one argument is a whole line; a bare "--save" gets "". */
static void cfg_options_from_argv(struct cfg_buf *b, int n, char *const args[])
{
    size_t start = b->len;
    int handled_last = 1;

    for (int i = 0; i < n; i++) {
        const char *a = args[i];

        if (handled_last && a[0] == '-' && a[1] == '-') {
            if (b->len > start)
                cfg_buf_puts(b, "\n");
            cfg_buf_puts(b, a + 2);
            cfg_buf_puts(b, " ");
            handled_last = cfg_count_args(a) != 1;
            if (!handled_last && strcasecmp(a, "--save") == 0 &&
                (i == n - 1 || (args[i + 1][0] == '-' && args[i + 1][1] == '-'))) {
                cfg_buf_puts(b, "\"\"");
                handled_last = 1;
            }
        } else {
            cfg_buf_catrepr(b, a);
            cfg_buf_puts(b, " ");
            handled_last = 1;
        }
    }
}

/* Write redis-server's fatal config error into 'err': with the line when 'linenum' > 0. */
static void cfg_fatal(char *err, size_t errlen, int linenum, const char *line, size_t len,
                      const char *msg)
{
    if (linenum > 0)
        snprintf(err, errlen,
                 "\n*** FATAL CONFIG FILE ERROR (%s %s) ***\n"
                 "Reading the configuration file, at line %d\n>>> '%.*s'\n%s\n",
                 PACKAGE_NAME, PACKAGE_VERSION, linenum, (int)len, line, msg);
    else
        snprintf(err, errlen, "\n*** FATAL CONFIG FILE ERROR (%s %s) ***\n%s\n", PACKAGE_NAME,
                 PACKAGE_VERSION, msg);
}

/* Apply one trimmed, non-comment line 'line'/'len' to 'c'. Returns 0, or -1 with the
 * error message in 'msg'. Caller holds c->lock. */
static int cfg_load_line(struct server_config *c, const char *line, size_t len, char *msg,
                         size_t msglen)
{
    char *buf = omk_malloc(len + 1);
    struct cfg_args a = {omk_calloc(len / 2 + 2, sizeof(*a.av)), 0};
    const struct cfg_row *r;
    struct cfg_val v = {0};
    int rc = -1;

    if (omk_splitargs(line, len, buf, cfg_args_push, &a) < 0) {
        snprintf(msg, msglen, "Unbalanced quotes in configuration line");
        goto out;
    }
    if (a.n == 0) {
        rc = 0;
        goto out;
    }
    r = cfg_lookup(a.av[0].p, a.av[0].len, NULL);
    if (!r) {
        snprintf(msg, msglen, "Bad directive or wrong number of arguments");
        goto out;
    }
    if (r->type != CFG_T_LIST && r->type != CFG_T_SAVE && r->type != CFG_T_OBUF &&
        r->type != CFG_T_PCTL && a.n != 2) {
        snprintf(msg, msglen, "wrong number of arguments");
        goto out;
    }
    if (cfg_parse(r, a.n - 1, a.av + 1, &v, msg, msglen) < 0)
        goto out;
    if (r->flags & CFG_IGNORED)
        cfg_note_ignored(r, &v);
    cfg_exchange(r, c, &v);
    cfg_val_free(&v);
    rc = 0;
out:
    omk_free(buf);
    omk_free(a.av);
    return rc;
}

/* Apply every line of 'text'/'len' to 'c', numbering lines from 1 as Redis does.
 * Returns 0, or -1 with the fatal error text in 'err'. Caller holds c->lock. */
static int cfg_load_text(struct server_config *c, const char *text, size_t len, char *err,
                         size_t errlen)
{
    const char *p = text, *end = text + len;
    int linenum = 0;

    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        char msg[512];

        linenum++;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (s < e && *s != '#' &&
            cfg_load_line(c, s, (size_t)(e - s), msg, sizeof(msg)) < 0) {
            cfg_fatal(err, errlen, linenum, s, (size_t)(e - s), msg);
            return -1;
        }
        if (!nl)
            return 0;
        p = nl + 1;
    }
}

/* Read the file 'path' into 'b' and record its absolute path in c->configfile.
 * Returns 0, or -1 with Redis' message in 'err'. */
static int cfg_read_file(struct server_config *c, const char *path, struct cfg_buf *b,
                         char *err, size_t errlen)
{
    char cwd[4096], chunk[4096];
    FILE *f;
    size_t n;

    omk_free(c->configfile);
    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
        size_t cl = strlen(cwd), pl = strlen(path);

        c->configfile = omk_malloc(cl + pl + 2);
        memcpy(c->configfile, cwd, cl);
        c->configfile[cl] = '/';
        memcpy(c->configfile + cl + 1, path, pl + 1);
    } else {
        c->configfile = omk_memdup(path, strlen(path));
    }
    f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Fatal error, can't open config file '%s': %s\n", c->configfile,
                 strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        cfg_buf_cat(b, chunk, n);
    if (ferror(f)) {
        snprintf(err, errlen, "Fatal error, can't read config file '%s': %s\n", c->configfile,
                 strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

int cfg_load(struct server_config *c, int argc, char *const argv[], char *err, size_t errlen)
{
    struct cfg_buf text = {0};
    int first = 1, rc = 0;

    cfg_buf_puts(&text, "");
    if (argc >= 2 && argv[1][0] != '-') {
        if (cfg_read_file(c, argv[1], &text, err, errlen) < 0) {
            omk_free(text.p);
            return -1;
        }
        first = 2;
    }
    /* As redis-server: the options follow the file after one more newline. */
    cfg_buf_puts(&text, "\n");
    cfg_options_from_argv(&text, argc - first, argv + first);

    omk_mutex_lock(&c->lock);
    rc = cfg_load_text(c, text.p, text.len, err, errlen);
    if (rc == 0 && c->logfile[0] != '\0') {
        /* Redis checks this once here: the server could not report it later. */
        FILE *f = fopen(c->logfile, "a");
        char msg[512];

        if (f) {
            fclose(f);
        } else {
            snprintf(msg, sizeof(msg), "Can't open the log file: %s", strerror(errno));
            cfg_fatal(err, errlen, 0, NULL, 0, msg);
            rc = -1;
        }
    }
    omk_mutex_unlock(&c->lock);
    omk_free(text.p);
    return rc;
}

/* ---- CONFIG SET ---- */

/* Copy user text 's' into 'dst' for an error reply: at most REPLY_USER_TEXT_MAX bytes,
 * CR and LF turned into spaces (the text may also go to stderr at start-up). */
static void cfg_user_text(char *dst, size_t dstlen, struct omk_slice s)
{
    size_t n = (size_t)reply_user_len(s.len);

    if (n > dstlen - 1)
        n = dstlen - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (s.p[i] == '\r' || s.p[i] == '\n') ? ' ' : s.p[i];
    dst[n] = '\0';
}

static int cfg_apply_loglevel(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    log_set_level(c->loglevel);
    return 0;
}

static int cfg_apply_logfile(struct server_config *c, char *err, size_t errlen)
{
    if (log_set_file(c->logfile) < 0) {
        snprintf(err, errlen, "Can't open the log file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int cfg_log_apply(struct server_config *c, char *err, size_t errlen)
{
    int rc;

    omk_mutex_lock(&c->lock);
    rc = cfg_apply_loglevel(c, err, errlen);
    if (rc == 0)
        rc = cfg_apply_logfile(c, err, errlen);
    omk_mutex_unlock(&c->lock);
    return rc;
}

/* Add r's hooks (built-in, then the daemon's) to 'fns' unless already there; 'owner'
 * remembers the first row that needed each, for the error message. */
static void cfg_collect_hooks(const struct cfg_row *r, cfg_apply_fn **fns,
                              const struct cfg_row **owner, size_t *nfns)
{
    cfg_apply_fn *mine[2] = {r->builtin, cfg_hooks[r - cfg_table]};

    for (size_t k = 0; k < 2; k++) {
        size_t j = 0;

        if (!mine[k])
            continue;
        while (j < *nfns && fns[j] != mine[k])
            j++;
        if (j == *nfns) {
            fns[j] = mine[k];
            owner[j] = r;
            (*nfns)++;
        }
    }
}

int cfg_set_many(struct server_config *c, size_t n, const struct omk_slice *names,
                 const struct omk_slice *values, char *err, size_t errlen)
{
    const struct cfg_row **rows = omk_calloc(n ? n : 1, sizeof(*rows));
    const char **as = omk_calloc(n ? n : 1, sizeof(*as)); /* the name each was given by */
    struct cfg_val *vals = omk_calloc(n ? n : 1, sizeof(*vals));
    cfg_apply_fn **fns = omk_calloc(2 * n + 1, sizeof(*fns));
    const struct cfg_row **owner = omk_calloc(2 * n + 1, sizeof(*owner));
    char msg[512], who[REPLY_USER_TEXT_MAX + 1];
    size_t i, nfns = 0, parsed = 0;
    int rc = -1;

    omk_mutex_lock(&c->lock);
    /* 1. Names: unknown, start-up only, repeated (an option and its alias are two names,
     * as in Redis 7.0: the later one wins). Nothing changes on an error. */
    for (i = 0; i < n; i++) {
        rows[i] = cfg_lookup(names[i].p, names[i].len, &as[i]);
        cfg_user_text(who, sizeof(who), names[i]);
        if (!rows[i]) {
            snprintf(err, errlen, "Unknown option or number of arguments for CONFIG SET - '%s'",
                     who);
            goto out;
        }
        if (rows[i]->flags & CFG_IMMUTABLE) {
            snprintf(err, errlen,
                     "CONFIG SET failed (possibly related to argument '%s') - can't set "
                     "immutable config",
                     who);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (as[j] == as[i]) {
                snprintf(err, errlen,
                         "CONFIG SET failed (possibly related to argument '%s') - duplicate "
                         "parameter",
                         who);
                goto out;
            }
        }
    }
    /* 2. Values: parse them all before storing any. */
    for (parsed = 0; parsed < n; parsed++) {
        if (cfg_parse(rows[parsed], 1, &values[parsed], &vals[parsed], msg, sizeof(msg)) < 0) {
            snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                     as[parsed], msg);
            goto out;
        }
    }
    /* 3. Store; vals[] now holds the old values. Hooks only for real changes. */
    for (i = 0; i < n; i++) {
        cfg_exchange(rows[i], c, &vals[i]);
        if (!cfg_equal(rows[i], c, &vals[i]))
            cfg_collect_hooks(rows[i], fns, owner, &nfns);
    }
    /* 4. Apply; on a failure put every old value back and apply those. */
    for (i = 0; i < nfns; i++) {
        if (fns[i](c, msg, sizeof(msg)) < 0)
            break;
    }
    if (i < nfns) {
        omk_log(OMK_LOG_WARNING,
                "Failed applying new configuration. Possibly related to new %s setting. "
                "Restoring previous settings.",
                owner[i]->name);
        snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                 owner[i]->name, msg);
        for (size_t j = n; j-- > 0;) /* backwards: an option set twice gets its first value */
            cfg_exchange(rows[j], c, &vals[j]);
        for (size_t j = 0; j < nfns; j++) {
            char again[512];

            if (fns[j](c, again, sizeof(again)) < 0)
                omk_log(OMK_LOG_WARNING, "Failed applying restored failed CONFIG SET command: %s",
                        again);
        }
        goto out;
    }
    for (i = 0; i < n; i++)
        if (rows[i]->flags & CFG_IGNORED)
            cfg_note_ignored(rows[i], &vals[i]);
    rc = 0;
out:
    omk_mutex_unlock(&c->lock);
    for (i = 0; i < parsed; i++)
        cfg_val_free(&vals[i]);
    omk_free(rows);
    omk_free(as);
    omk_free(vals);
    omk_free(fns);
    omk_free(owner);
    return rc;
}

int cfg_set(struct server_config *c, const char *name, const char *value, char *err,
            size_t errlen)
{
    struct omk_slice n = {name, strlen(name)}, v = {value, strlen(value)};

    return cfg_set_many(c, 1, &n, &v, err, errlen);
}

int cfg_set_apply_hook(const char *name, cfg_apply_fn *fn)
{
    const struct cfg_row *r = cfg_lookup(name, strlen(name), NULL);

    if (!r || (r->flags & (CFG_IMMUTABLE | CFG_IGNORED)))
        return -1;
    cfg_hooks[r - cfg_table] = fn;
    return 0;
}

/* ---- CONFIG GET and readers ---- */

size_t cfg_get_many(struct server_config *c, size_t n, const struct omk_slice *pats,
                    cfg_get_fn *cb, void *arg)
{
    size_t found = 0;

    omk_mutex_lock(&c->lock);
    for (size_t i = 0; i < CFG_NROWS; i++) {
        const struct cfg_row *r = &cfg_table[i];
        const char *names[2] = {r->name, r->alias};

        for (int a = 0; a < 2 && names[a]; a++) {
            size_t nlen = strlen(names[a]), vlen, k = 0;
            char *text;

            while (k < n && !omk_glob_match(pats[k].p, pats[k].len, names[a], nlen, 1))
                k++;
            if (k == n)
                continue;
            text = cfg_render(r, c, &vlen);
            cb(names[a], text, vlen, arg);
            omk_free(text);
            found++;
        }
    }
    omk_mutex_unlock(&c->lock);
    return found;
}

size_t cfg_get(struct server_config *c, const char *pattern, size_t plen, cfg_get_fn *cb,
               void *arg)
{
    struct omk_slice pat = {pattern, plen};

    return cfg_get_many(c, 1, &pat, cb, arg);
}

void cfg_coll_limits(const struct server_config *c, struct store_coll_limits *out)
{
    out->hash_max_listpack_entries = (uint64_t)atomic_load(&c->hash_max_listpack_entries);
    out->hash_max_listpack_value = (uint64_t)atomic_load(&c->hash_max_listpack_value);
    out->set_max_intset_entries = (uint64_t)atomic_load(&c->set_max_intset_entries);
    out->zset_max_listpack_entries = (uint64_t)atomic_load(&c->zset_max_listpack_entries);
    out->zset_max_listpack_value = (uint64_t)atomic_load(&c->zset_max_listpack_value);
    out->inline_max_bytes = (uint64_t)atomic_load(&c->collection_inline_max_bytes);
    out->fragment_threshold = (uint64_t)atomic_load(&c->string_fragment_threshold);
}

int cfg_requirepass_check(struct server_config *c, const char *p, size_t len)
{
    unsigned diff;
    size_t slen;

    omk_mutex_lock(&c->lock);
    slen = strlen(c->requirepass);
    diff = slen != len;
    /* Touch every input byte whatever matches, so timing reveals only 'len'. */
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned char)p[i] ^ (unsigned char)c->requirepass[slen ? i % slen : 0];
    omk_mutex_unlock(&c->lock);
    return diff == 0;
}

/* ---- CONFIG REWRITE's lines ---- */

const char *cfg_option_name(const char *p, size_t len)
{
    const struct cfg_row *r = cfg_lookup(p, len, NULL);

    return r ? r->name : NULL;
}

/* Append 'bytes' to 'b' as redis.conf writes a memory size: in gb, mb or kb when it is a
 * non-zero multiple of one, else in bytes (Redis' rewriteConfigFormatMemory). */
static void cfg_buf_memory(struct cfg_buf *b, long long bytes)
{
    static const struct {
        long long mul;
        const char *unit;
    } units[] = {{1024LL * 1024 * 1024, "gb"}, {1024 * 1024, "mb"}, {1024, "kb"}};
    char num[48];

    for (size_t i = 0; i < OMK_ARRAY_LEN(units); i++) {
        if (bytes != 0 && bytes % units[i].mul == 0) {
            snprintf(num, sizeof(num), "%lld%s", bytes / units[i].mul, units[i].unit);
            cfg_buf_puts(b, num);
            return;
        }
    }
    snprintf(num, sizeof(num), "%lld", bytes);
    cfg_buf_puts(b, num);
}

/* The client-output-buffer-limit lines, one per class, each forced when that class is
 * not at its default. Caller holds c->lock. */
static void cfg_rewrite_obuf(const struct cfg_row *r, const struct server_config *c,
                             cfg_rewrite_fn *cb, void *arg)
{
    static const char *const names[CFG_OBUF_CLASSES] = {"normal", "replica", "pubsub"};
    const struct cfg_obuf_limit *o =
        (const struct cfg_obuf_limit *)(const void *)((const char *)c + r->off);
    struct omk_slice d = {r->def, strlen(r->def)};
    struct cfg_val def = {0};
    char msg[128], secs[24];
    int rc = cfg_parse(r, 1, &d, &def, msg, sizeof(msg));

    OMK_ASSERT(rc == 0);
    for (int k = 0; k < CFG_OBUF_CLASSES; k++) {
        struct cfg_buf b = {0};
        long long hard = atomic_load(&o[k].hard), soft = atomic_load(&o[k].soft);
        int sec = atomic_load(&o[k].soft_seconds);

        cfg_buf_puts(&b, r->name);
        cfg_buf_puts(&b, " ");
        cfg_buf_puts(&b, names[k]);
        cfg_buf_puts(&b, " ");
        cfg_buf_memory(&b, hard);
        cfg_buf_puts(&b, " ");
        cfg_buf_memory(&b, soft);
        snprintf(secs, sizeof(secs), " %d", sec);
        cfg_buf_puts(&b, secs);
        cb(arg, r->name, b.p,
           hard != def.obuf.hard[k] || soft != def.obuf.soft[k] || sec != def.obuf.seconds[k]);
        omk_free(b.p);
    }
}

/* The line of one option other than client-output-buffer-limit into 'b' (empty: no
 * line); '*force' whether it differs from the default. Caller holds c->lock. */
static void cfg_rewrite_line(const struct cfg_row *r, const struct server_config *c,
                             struct cfg_buf *b, int *force)
{
    const char *field = (const char *)c + r->off;
    struct omk_slice d = {r->def, strlen(r->def)};
    struct cfg_val def = {0};
    char msg[128], *text;
    size_t len;
    int rc;

    if (r->type == CFG_T_SAVE) { /* omenkv takes no snapshots: Redis' line for none */
        cfg_buf_puts(b, "save \"\"");
        *force = 1;
        return;
    }
    rc = cfg_parse(r, 1, &d, &def, msg, sizeof(msg));
    OMK_ASSERT(rc == 0);
    *force = !cfg_equal(r, c, &def);
    cfg_val_free(&def);
    switch (r->type) {
    case CFG_T_STR: {
        const char *v = *(char *const *)(const void *)field;
        char abs[4096];

        if ((r->flags & CFG_NOLINE_EMPTY) && v[0] == '\0')
            return;
        if (r->off == offsetof(struct server_config, dir)) {
            /* Redis writes the directory it runs in, absolute, always. */
            if (realpath(v, abs))
                v = abs;
            *force = 1;
        }
        cfg_buf_puts(b, r->name);
        cfg_buf_puts(b, " ");
        cfg_buf_catrepr(b, v);
        return;
    }
    case CFG_T_LIST:
        if (!*force)
            return; /* bind at its default: no line, as Redis */
        text = cfg_render(r, c, &len);
        cfg_buf_puts(b, r->name);
        cfg_buf_puts(b, len ? " " : " \"\"");
        cfg_buf_cat(b, text, len);
        omk_free(text);
        return;
    case CFG_T_MEM:
        cfg_buf_puts(b, r->name);
        cfg_buf_puts(b, " ");
        cfg_buf_memory(b, atomic_load((_Atomic const long long *)(const void *)field));
        return;
    case CFG_T_PCTL:
        text = cfg_render(r, c, &len);
        cfg_buf_puts(b, r->name);
        cfg_buf_puts(b, len ? " " : " \"\"");
        cfg_buf_cat(b, text, len);
        omk_free(text);
        return;
    case CFG_T_NOTIFY: /* Redis quotes the class letters: notify-keyspace-events "KEA" */
        text = cfg_render(r, c, &len);
        cfg_buf_puts(b, r->name);
        cfg_buf_puts(b, " ");
        cfg_buf_catrepr(b, text);
        omk_free(text);
        return;
    default: /* numbers, bools, enums: as CONFIG GET shows them */
        text = cfg_render(r, c, &len);
        cfg_buf_puts(b, r->name);
        cfg_buf_puts(b, " ");
        cfg_buf_cat(b, text, len);
        omk_free(text);
        return;
    }
}

void cfg_rewrite_each(struct server_config *c, cfg_rewrite_fn *cb, void *arg)
{
    omk_mutex_lock(&c->lock);
    for (size_t i = 0; i < CFG_NROWS; i++) {
        const struct cfg_row *r = &cfg_table[i];
        struct cfg_buf b = {0};
        int force = 0;

        if ((r->flags & CFG_IGNORED) && r->type != CFG_T_SAVE)
            continue;
        if (r->type == CFG_T_OBUF) {
            cfg_rewrite_obuf(r, c, cb, arg);
            continue;
        }
        cfg_buf_puts(&b, "");
        cfg_rewrite_line(r, c, &b, &force);
        cb(arg, r->name, b.len ? b.p : NULL, force);
        omk_free(b.p);
    }
    omk_mutex_unlock(&c->lock);
}
