/* cfg.h - the server's configuration: every option's current value in one struct,
 * loaded at start-up from redis.conf-style text and the command line, read by all
 * threads, changed at run time by CONFIG SET and shown by CONFIG GET.
 *
 * cfg.c holds one table row per option (name, type, field, limits or names,
 * default, start-up only or not, apply hooks); loading, CONFIG SET, CONFIG GET and the
 * defaults all work from that table, and error texts are redis-server's.
 *
 * Threads. CONFIG SET runs on a worker while every other thread reads the struct:
 *   - Every number, bool and enum field is _Atomic. Read it directly (c->timeout is an
 *     atomic load); a reader may see the value from just before a concurrent CONFIG
 *     SET, never a torn one. Fields read by other threads at run time: timeout,
 *     tcp_keepalive, maxclients, protected_mode, auth_required, proto_max_bulk_len,
 *     client_query_buffer_limit, obuf_limits, maxmemory, maxmemory_policy,
 *     appendfsync, hz, loglevel (the log module keeps its own copy, see log.h).
 *   - Strings and the bind list that CONFIG SET can change (requirepass, logfile) are
 *     swapped under c->lock, which frees the old value: read them only with the lock
 *     held, i.e. through cfg_requirepass_check() and cfg_get(). The start-up-only ones
 *     (bind, dir, pidfile) never change after cfg_load() and may be read freely.
 *   - cfg_set*, cfg_get* and cfg_requirepass_check take c->lock; apply hooks run with
 *     it held (keep them short: AUTH waits for them). Lock order: c->lock, then the
 *     log's mutex.
 *
 * Caveats: "include" and the Redis directives omenkv does not implement are rejected
 * as bad directives; appendonly and save are accepted and ignored (logged); dir is not
 * checked here: the daemon creates or enters it. */
#ifndef OMK_DAEMON_CFG_H
#define OMK_DAEMON_CFG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/omk.h"
#include "daemon/log.h"
#include "store/store.h"

/* maxmemory-policy (accepted for compatibility; names in Redis' order). */
enum cfg_maxmemory_policy {
    CFG_MAXMEMORY_VOLATILE_LRU = 0,
    CFG_MAXMEMORY_VOLATILE_LFU = 1,
    CFG_MAXMEMORY_VOLATILE_RANDOM = 2,
    CFG_MAXMEMORY_VOLATILE_TTL = 3,
    CFG_MAXMEMORY_ALLKEYS_LRU = 4,
    CFG_MAXMEMORY_ALLKEYS_LFU = 5,
    CFG_MAXMEMORY_ALLKEYS_RANDOM = 6,
    CFG_MAXMEMORY_NOEVICTION = 7,
};

/* enable-debug-command: DEBUG allowed never, always, or from loopback clients only. */
enum cfg_debug_command {
    CFG_DEBUG_NO = 0,
    CFG_DEBUG_YES = 1,
    CFG_DEBUG_LOCAL = 2,
};

#define CFG_BIND_MAX 16 /* addresses in bind (Redis' CONFIG_BINDADDR_MAX) */

/* client-output-buffer-limit classes, in Redis' order (CONFIG GET names them normal,
 * slave, pubsub). A client with a subscription is of the pubsub class (pubsub.c), any
 * other of the normal one; the slave class is accepted, stored and shown for
 * compatibility, and applies to nobody. */
enum cfg_obuf_class {
    CFG_OBUF_NORMAL = 0,
    CFG_OBUF_REPLICA = 1,
    CFG_OBUF_PUBSUB = 2,
    CFG_OBUF_CLASSES = 3,
};

/* One class's output buffer limits. A client whose pending output passes 'hard' bytes,
 * or stays above 'soft' bytes for 'soft_seconds', is closed (0: that limit is off).
 * Three separate atomics: a reader racing CONFIG SET may pair an old and a new value
 * for one check, which is harmless. */
struct cfg_obuf_limit {
    _Atomic long long hard;   /* bytes, 0 = no hard limit */
    _Atomic long long soft;   /* bytes, 0 = no soft limit */
    _Atomic int soft_seconds; /* seconds above 'soft' before closing */
};

/* A list of strings (bind). */
struct cfg_list {
    char **v; /* 'n' NUL-terminated strings, owned by the config */
    int n;
};

/* Every option's current value. Comments give the option name, the unit, and
 * "start-up" for options CONFIG SET refuses ("can't set immutable config"). */
struct server_config {
    /* network */
    _Atomic int port;               /* port: TCP port, 0 = no TCP listener; start-up */
    struct cfg_list bind;           /* bind: addresses ("-" prefix = optional); start-up */
    _Atomic bool protected_mode;    /* protected-mode */
    _Atomic int tcp_backlog;        /* tcp-backlog: listen(2) backlog; start-up */
    _Atomic int tcp_keepalive;      /* tcp-keepalive: seconds, 0 = off */
    _Atomic int timeout;            /* timeout: idle seconds before closing, 0 = never */
    _Atomic long long maxclients;   /* maxclients: 1..UINT_MAX; start-up lowers it to what
                                     * RLIMIT_NOFILE allows (server_fds_fit) */
    _Atomic int io_threads;         /* io-threads: workers, 0 = workers_count()'s choice;
                                     * start-up */
    /* security */
    char *requirepass;              /* requirepass: "" = none; guarded by 'lock' */
    _Atomic bool auth_required;     /* derived: requirepass is not "" */
    char *aclfile;                  /* aclfile: the ACL users file, "" = none; start-up */
    _Atomic int enable_debug_command; /* enable-debug-command (cfg_debug_command); start-up */
    /* limits */
    _Atomic long long proto_max_bulk_len;        /* proto-max-bulk-len: bytes */
    _Atomic long long client_query_buffer_limit; /* client-query-buffer-limit: bytes */
    _Atomic long long large_requests_max_memory; /* large-requests-max-memory: bytes, 0 auto */
    struct cfg_obuf_limit obuf_limits[CFG_OBUF_CLASSES]; /* client-output-buffer-limit */
    _Atomic long long maxmemory;    /* maxmemory: value cache bytes, 0 = 25% of RAM */
    _Atomic int maxmemory_policy;   /* maxmemory-policy (cfg_maxmemory_policy) */
    _Atomic int lfu_log_factor;     /* lfu-log-factor: LFU counters' growth (store access.c) */
    _Atomic int lfu_decay_time;     /* lfu-decay-time: minutes per LFU decrement (access.c) */
    _Atomic long long cache_max_value_size; /* cache-max-value-size: bytes */
    _Atomic int databases;          /* databases: number of DBs; start-up */
    /* collections (struct store_coll_limits; CONFIG SET applies them to the store) */
    _Atomic long long hash_max_listpack_entries; /* hash-max-listpack-entries
                                                  * (alias hash-max-ziplist-entries) */
    _Atomic long long hash_max_listpack_value;   /* hash-max-listpack-value: bytes
                                                  * (alias hash-max-ziplist-value) */
    _Atomic long long set_max_intset_entries;    /* set-max-intset-entries */
    _Atomic long long zset_max_listpack_entries; /* zset-max-listpack-entries
                                                  * (alias zset-max-ziplist-entries) */
    _Atomic long long zset_max_listpack_value;   /* zset-max-listpack-value: bytes
                                                  * (alias zset-max-ziplist-value) */
    _Atomic int list_max_listpack_size;          /* list-max-listpack-size (alias
                                                  * list-max-ziplist-size): accepted only */
    _Atomic int list_compress_depth;             /* list-compress-depth: accepted only */
    _Atomic long long collection_inline_max_bytes; /* collection-inline-max-bytes: bytes */
    _Atomic long long string_fragment_threshold;   /* string-fragment-threshold: bytes */
    _Atomic long long hll_sparse_max_bytes;        /* hll-sparse-max-bytes: bytes */
    /* introspection */
    _Atomic long long slowlog_log_slower_than;   /* slowlog-log-slower-than: us, < 0 off */
    _Atomic long long slowlog_max_len;           /* slowlog-max-len: entries */
    _Atomic long long latency_monitor_threshold; /* latency-monitor-threshold: ms, 0 off */
    _Atomic bool latency_tracking;               /* latency-tracking: per-command histograms */
    char *latency_percentiles;      /* latency-tracking-info-percentiles: words such as
                                     * "50 99 99.9" (each 0..100), "" none; guarded by 'lock' */
    _Atomic long long busy_reply_threshold;      /* busy-reply-threshold (alias lua-time-limit):
                                                  * ms a script runs before others get BUSY */
    _Atomic long long tracking_table_max_keys;   /* tracking-table-max-keys: keys, 0 none */
    _Atomic int notify_keyspace_events;          /* notify-keyspace-events: NOTIFY_* bits
                                                  * (daemon/notify.h), 0 = off */
    /* persistence */
    char *dir;                      /* dir: data directory; start-up */
    _Atomic int appendfsync;        /* appendfsync (enum store_fsync) */
    /* process */
    _Atomic bool daemonize;         /* daemonize; start-up */
    char *pidfile;                  /* pidfile: "" = none; start-up */
    _Atomic int loglevel;           /* loglevel (omk_log_level) */
    char *logfile;                  /* logfile: "" = stdout; guarded by 'lock' */
    _Atomic int hz;                 /* hz: background tasks per second */
    /* RocksDB tuning, all start-up */
    _Atomic long long rocksdb_block_cache_size;  /* rocksdb-block-cache-size: bytes */
    _Atomic int rocksdb_bloom_bits_per_key;      /* rocksdb-bloom-bits-per-key, 0 = none */
    _Atomic long long rocksdb_block_size;        /* rocksdb-block-size: bytes */
    _Atomic long long rocksdb_write_buffer_size; /* rocksdb-write-buffer-size: bytes */
    _Atomic int rocksdb_max_background_jobs;     /* rocksdb-max-background-jobs */
    _Atomic int rocksdb_max_open_files;          /* rocksdb-max-open-files */
    _Atomic int rocksdb_wal_recovery_mode;       /* enum store_wal_recovery */
    _Atomic bool rocksdb_repair;                 /* rocksdb-repair: repair before opening */
    _Atomic bool index_file;                     /* index-file: the key index kept across a
                                                  * clean shutdown (store/index_file.c) */
    _Atomic int rocksdb_compression;             /* enum store_compression */
    _Atomic bool rocksdb_use_direct_reads;       /* rocksdb-use-direct-reads */
    _Atomic bool rocksdb_direct_io_background;   /* rocksdb-use-direct-io-for-flush-and-compaction */
    _Atomic bool rocksdb_mmap_reads;             /* rocksdb-mmap-reads */
    _Atomic bool rocksdb_statistics;             /* rocksdb-statistics */
    /* not options */
    char *configfile;               /* absolute path of the file loaded, NULL if none */
    pthread_mutex_t lock;           /* serialises cfg_set*; guards the mutable strings */
};

/* An apply hook: called by CONFIG SET after 'c' holds the new value of an option it
 * is registered for (once per CONFIG SET even if several of its options changed, and
 * only if a value actually changed). Runs on the worker thread running CONFIG SET,
 * with c->lock held: it may read any field, strings included, and must not call cfg_*
 * functions. Returns 0, or -1 with a message in 'err' (at most 'errlen' bytes, NUL
 * included): CONFIG SET then restores the old values, calls the hooks again, and
 * replies "CONFIG SET failed (possibly related to argument '<name>') - <err>". */
typedef int cfg_apply_fn(struct server_config *c, char *err, size_t errlen);

/* Initialise 'c' (uninitialised memory) with every option's default: Redis' defaults
 * except dir "./data" and io-threads 0 (workers_count decides). Pair with cfg_deinit(). */
void cfg_defaults(struct server_config *c);

/* Free what 'c' owns (strings, bind list, mutex). 'c' may be reinitialised after. */
void cfg_deinit(struct server_config *c);

/* Load the configuration as redis-server does: 'argv[1]' is a config file unless it
 * starts with '-'; the following "--name value [value ...]" arguments become lines
 * ("name "value" ...") appended after the file's lines, so they win. Lines follow
 * redis.conf syntax: '#' comments, arguments split and unquoted by omk_splitargs
 * (common/splitargs.h: Redis' sdssplitargs rules, the same as inline requests'), option
 * names case-insensitive, memory sizes with k/kb/m/mb/g/gb.
 * 'argc'/'argv' are main()'s (argv[0] is skipped); --version and --help are not
 * handled here. 'c' must come from cfg_defaults(); no apply hook is called.
 * Returns 0, or -1 with 'err' holding the whole text to print to stderr, ending in a
 * newline, in redis-server's words, e.g.
 *
 *     \n*** FATAL CONFIG FILE ERROR (omenkv 0.1.0) ***\n
 *     Reading the configuration file, at line 2\n
 *     >>> 'port "abc"'\n
 *     argument couldn't be parsed into an integer\n
 *
 * or "Fatal error, can't open config file '/abs/path': No such file or directory\n".
 * On failure 'c' holds the lines read before the bad one; it stays valid for
 * cfg_deinit(). Start-up only (single thread). */
int cfg_load(struct server_config *c, int argc, char *const argv[], char *err, size_t errlen);

/* CONFIG SET for 'n' name/value pairs ('names[i]' gets 'values[i]'; both borrowed),
 * all or nothing as in Redis 7: every name is looked up and every value parsed before
 * anything changes; then the values are stored, and the apply hooks of the options
 * whose value changed are called; if one fails, every old value is restored.
 * Returns 0, or -1 with the error text Redis replies, without the "ERR " prefix:
 *     Unknown option or number of arguments for CONFIG SET - 'foo'
 *     CONFIG SET failed (possibly related to argument 'port') - can't set immutable config
 *     CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter
 *     CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be
 *         parsed into an integer
 * User text in the message is cut to 128 bytes, CR and LF replaced by spaces.
 * Any thread; takes c->lock. */
int cfg_set_many(struct server_config *c, size_t n, const struct omk_slice *names,
                 const struct omk_slice *values, char *err, size_t errlen);

/* cfg_set_many for one pair given as C strings. */
int cfg_set(struct server_config *c, const char *name, const char *value, char *err,
            size_t errlen);

/* CONFIG GET callback: one option's 'name' and its value as text ('value'/'vlen',
 * NUL-terminated too); both valid only during the call, which runs with c->lock held
 * (do not call cfg_* from it). 'arg' is cfg_get's. */
typedef void cfg_get_fn(const char *name, const char *value, size_t vlen, void *arg);

/* CONFIG GET: call 'cb' for each option whose name matches the glob 'pattern'/'plen'
 * (case-insensitive), in table order; an option with an alias (Redis 7.0's
 * hash-max-ziplist-entries for hash-max-listpack-entries) is reported under each name
 * that matches, as Redis 7.0 does. Values are shown as CONFIG GET shows them:
 * memory sizes as plain byte counts, bools yes/no, enums by name, bind
 * space-separated, save "" and appendonly yes. Returns the number of options
 * reported. Any thread; takes c->lock. */
size_t cfg_get(struct server_config *c, const char *pattern, size_t plen, cfg_get_fn *cb,
               void *arg);

/* CONFIG GET with several patterns (Redis 7): each option is reported once, in table
 * order, if it matches any of 'pats[0..n-1]'. Returns the number reported. */
size_t cfg_get_many(struct server_config *c, size_t n, const struct omk_slice *pats,
                    cfg_get_fn *cb, void *arg);

/* CONFIG REWRITE callback: option 'name' (primary names only) should appear in a config
 * file as the NUL-terminated 'line' ("maxmemory 1gb"); 'force' 0 when the value is the
 * default, so the line is only needed where the file already names the option. 'line'
 * NULL: the option should have no line at all (bind at its default, no requirepass).
 * An option of several lines (client-output-buffer-limit, one per class) calls once per
 * line. Both strings are valid only during the call, made with c->lock held. */
typedef void cfg_rewrite_fn(void *arg, const char *name, const char *line, int force);

/* Call 'cb' for every option CONFIG REWRITE writes, in table order, with the line its
 * current value takes in redis.conf syntax (Redis' forms: memory sizes in gb/mb/kb when
 * exact, strings quoted, dir absolute, save always written). Options accepted only for
 * compatibility (appendonly) are skipped, so their lines stay as they are. Any thread;
 * takes c->lock. */
void cfg_rewrite_each(struct server_config *c, cfg_rewrite_fn *cb, void *arg);

/* The primary name of the option 'p'/'len' names (by its name or alias, any case):
 * "hash-max-listpack-entries" for "HASH-MAX-ZIPLIST-ENTRIES"; NULL if none. Static. */
const char *cfg_option_name(const char *p, size_t len);

/* Register 'fn' (NULL to remove) as the apply hook of option 'name'. Call at start-up,
 * before any cfg_set; the hook list is process-wide, not per struct. loglevel and
 * logfile already apply themselves to the log (log_set_level/log_set_file); a hook
 * registered for them runs after that. Returns 0, or -1 if there is no such option
 * or CONFIG SET cannot change it (start-up only or ignored). */
int cfg_set_apply_hook(const char *name, cfg_apply_fn *fn);

/* Whether 'p'/'len' equals requirepass (binary-safe; the time taken depends on 'len'
 * only). Returns 1 on a match, 0 otherwise. Whether a password is needed at all is
 * c->auth_required. Any thread; takes c->lock. */
int cfg_requirepass_check(struct server_config *c, const char *p, size_t len);

/* The collection limits 'c' holds now, as the store takes them (store_config.coll at
 * start, store_set_coll_limits() on CONFIG SET). */
void cfg_coll_limits(const struct server_config *c, struct store_coll_limits *out);

/* Point the log (log.h) at c's loglevel and logfile: the daemon calls it once after
 * cfg_load (and after daemonizing). CONFIG SET calls the same code. Returns 0, or -1
 * with "Can't open the log file: <strerror>" in 'err'. */
int cfg_log_apply(struct server_config *c, char *err, size_t errlen);

#endif
