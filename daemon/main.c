/* main.c - omenkv-server's entry point: read the configuration (like redis-server:
 * [config-file] [--name value ...]), open the store, start the workers and the
 * listeners, run the main loop until SIGTERM/SIGINT or SHUTDOWN, then stop in order:
 * listeners, workers (closing clients), store (syncing the WAL). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/latency.h"
#include "daemon/log.h"
#include "daemon/multi.h"
#include "daemon/notify.h"
#include "daemon/pubsub.h"
#include "daemon/server.h"
#include "daemon/tracking.h"
#include "store/store.h"

static void usage(void)
{
    fprintf(stderr,
            "Usage: ./omenkv-server [/path/to/omenkv.conf] [options]\n"
            "       ./omenkv-server - (read config from stdin)\n"
            "       ./omenkv-server -v or --version\n"
            "       ./omenkv-server -h or --help\n\n"
            "Examples:\n"
            "       ./omenkv-server (run the server with default config)\n"
            "       ./omenkv-server /etc/omenkv/omenkv.conf\n"
            "       ./omenkv-server --port 7777\n"
            "       ./omenkv-server --port 7777 --dir /tmp/omenkv --appendfsync always\n"
            "       ./omenkv-server /etc/omenkv.conf --loglevel verbose\n");
}

/* SIGTERM / SIGINT on the main loop: stop it; main() shuts down in order. */
static void main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    OMK_UNUSED(what);
    OMK_UNUSED(arg);
    if (!atomic_load(&server.shutting_down))
        omk_log(OMK_LOG_NOTICE, "Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    else
        omk_log(OMK_LOG_NOTICE, "User requested shutdown...");
    atomic_store(&server.shutting_down, 1);
    event_base_loopbreak(server.main_base);
}

/* CONFIG SET appendfsync: switch the store's WAL sync policy at once. */
static int main_apply_appendfsync(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    store_set_fsync(server.store, (enum store_fsync)c->appendfsync);
    return 0;
}

/* CONFIG SET maxmemory: resize the value cache at once (a smaller budget evicts before
 * CONFIG SET replies); 0 gives it the default share of RAM (store.h). */
static int main_apply_maxmemory(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    store_set_maxmemory(server.store, (size_t)c->maxmemory);
    return 0;
}

/* What keys' access fields serve under maxmemory-policy 'policy' (enum
 * store_access_policy): LFU counters, LRU clocks, or clocks no policy uses. */
static int main_access_policy(int policy)
{
    if (policy == CFG_MAXMEMORY_VOLATILE_LFU || policy == CFG_MAXMEMORY_ALLKEYS_LFU)
        return STORE_ACCESS_LFU;
    if (policy == CFG_MAXMEMORY_VOLATILE_LRU || policy == CFG_MAXMEMORY_ALLKEYS_LRU)
        return STORE_ACCESS_LRU;
    return STORE_ACCESS_CLOCK;
}

/* CONFIG SET maxmemory-policy / lfu-log-factor / lfu-decay-time: what keys' access
 * fields hold (OBJECT IDLETIME or FREQ, store/access.c). */
static int main_apply_access(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    store_set_access_policy(server.store, main_access_policy(c->maxmemory_policy),
                            (unsigned)c->lfu_log_factor, (unsigned)c->lfu_decay_time);
    return 0;
}

/* CONFIG SET latency-monitor-threshold: the store times expiry ticks and writes for the
 * monitor only while it is on. */
static int main_apply_latency(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    store_set_latency(server.store, c->latency_monitor_threshold > 0 ? latency_note_store : NULL);
    return 0;
}

/* CONFIG SET cache-max-value-size: values longer than this bypass the cache. */
static int main_apply_cache_max_value(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    store_set_cache_max_value(server.store, (size_t)c->cache_max_value_size);
    return 0;
}

/* CONFIG SET hash-max-listpack-entries and the other collection limits: the store uses
 * them from each collection's next write on. */
static int main_apply_coll_limits(struct server_config *c, char *err, size_t errlen)
{
    struct store_coll_limits l;

    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    cfg_coll_limits(c, &l);
    store_set_coll_limits(server.store, &l);
    return 0;
}

/* CONFIG SET maxclients: raise RLIMIT_NOFILE if more clients need it; refuse, with
 * Redis' words, a number the process cannot get the descriptors for. */
static int main_apply_maxclients(struct server_config *c, char *err, size_t errlen)
{
    long long fit = server_fds_fit(c->maxclients, server.nworkers, 0);

    if (fit < c->maxclients) {
        snprintf(err, errlen, "The operating system is not able to handle the specified "
                 "number of clients, try with %lld", fit);
        return -1;
    }
    return 0;
}

/* CONFIG SET timeout: the workers give their open connections the new timeout. */
/* CONFIG SET requirepass: the default user's password becomes it ("": nopass). */
static int main_apply_requirepass(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    acl_set_default_password(c->requirepass);
    return 0;
}

static int main_apply_timeout(struct server_config *c, char *err, size_t errlen)
{
    OMK_UNUSED(c);
    OMK_UNUSED(err);
    OMK_UNUSED(errlen);
    workers_apply_timeout();
    return 0;
}

/* Detach from the terminal (daemonize yes), as redis-server does. */
static void main_daemonize(void)
{
    int fd;

    if (fork() != 0)
        exit(0);
    setsid();
    fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

static void main_write_pidfile(void)
{
    FILE *f;

    if (!server.cfg.pidfile || !server.cfg.pidfile[0])
        return;
    f = fopen(server.cfg.pidfile, "w");
    if (!f) {
        omk_log(OMK_LOG_WARNING, "Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

/* The store's log lines go to the server log. */
static void main_store_log(int warning, const char *msg)
{
    omk_log(warning ? OMK_LOG_WARNING : OMK_LOG_NOTICE, "%s", msg);
}

/* The store's touch hook: a changed key may fail a WATCH, is invalidated in tracking
 * clients' caches, and a list or sorted set it created (as Redis signals a key ready
 * only then) may wake a client parked on it (any thread, under the key's stripe). */
static void main_store_touched(int db, const char *key, size_t klen, int created)
{
    multi_touched(db, key, klen);
    tracking_touched(key, klen);
    if (!key || created >= 0)
        blocking_touched(db, key, klen);
}

/* Open the store in 'dir' with the RocksDB tuning from the config. Exits on failure. */
static void main_open_store(void)
{
    struct store_config sc;
    char err[1024];
    struct store_stats st;
    int rc;

    store_config_defaults(&sc);
    sc.dir = server.cfg.dir;
    sc.databases = server.cfg.databases;
    sc.fsync = (enum store_fsync)server.cfg.appendfsync;
    sc.block_cache_bytes = (size_t)server.cfg.rocksdb_block_cache_size;
    sc.bloom_bits_per_key = server.cfg.rocksdb_bloom_bits_per_key;
    sc.block_size = (size_t)server.cfg.rocksdb_block_size;
    sc.write_buffer_bytes = (size_t)server.cfg.rocksdb_write_buffer_size;
    sc.max_background_jobs = server.cfg.rocksdb_max_background_jobs;
    sc.max_open_files = (int)server.rocksdb_open_files; /* what the descriptor budget kept */
    sc.wal_recovery = (enum store_wal_recovery)server.cfg.rocksdb_wal_recovery_mode;
    sc.repair = server.cfg.rocksdb_repair;
    sc.index_file = server.cfg.index_file;
    sc.compression = (enum store_compression)server.cfg.rocksdb_compression;
    sc.direct_reads = server.cfg.rocksdb_use_direct_reads;
    sc.direct_io_background = server.cfg.rocksdb_direct_io_background;
    sc.mmap_reads = server.cfg.rocksdb_mmap_reads;
    sc.statistics = server.cfg.rocksdb_statistics;
    sc.maxmemory = (size_t)server.cfg.maxmemory;
    sc.cache_max_value = (size_t)server.cfg.cache_max_value_size;
    cfg_coll_limits(&server.cfg, &sc.coll);
    sc.log = main_store_log;
    sc.touched = main_store_touched;
    sc.access_policy = main_access_policy(server.cfg.maxmemory_policy);
    sc.lfu_log_factor = (unsigned)server.cfg.lfu_log_factor;
    sc.lfu_decay_time = (unsigned)server.cfg.lfu_decay_time;
    sc.evented = notify_store_event; /* keyspace notifications: expired, new */
    rc = store_open(&sc, &server.store, err, sizeof(err));
    if (rc != STORE_OK) {
        omk_log(OMK_LOG_WARNING, "Cannot open the data directory '%s': %s", sc.dir, err);
        exit(1);
    }
    store_stats_get(server.store, &st);
    omk_log(OMK_LOG_NOTICE, "DB loaded from disk: %.3f seconds (%llu keys indexed)",
            (double)st.open_ms / 1000.0, (unsigned long long)st.index_keys);
    omk_log(OMK_LOG_NOTICE, "Value cache: %llu bytes (maxmemory %lld), values up to %llu "
            "bytes", (unsigned long long)st.cache_maxmemory, (long long)server.cfg.maxmemory,
            (unsigned long long)st.cache_max_value);
}

int main(int argc, char **argv)
{
    char err[4096];
    struct event *sigterm, *sigint;
    int nthreads, nactive;

    /* libevent's buffers (every client's input and output) are counted in used_memory
     * like the rest of omenkv's heap (common/omk.c); before libevent allocates anything. */
    event_set_mem_functions(omk_malloc, omk_realloc, omk_free);
    if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("omenkv server v=%s (Redis %s compatible) bits=%d\n", OMK_VERSION, OMK_REDIS_VERSION,
               (int)(sizeof(long) * 8));
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage();
        return 0;
    }
    if (!realpath(argv[0], server.executable))
        snprintf(server.executable, sizeof(server.executable), "%s", argv[0]);
    cfg_defaults(&server.cfg);
    if (cfg_load(&server.cfg, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (server.cfg.daemonize)
        main_daemonize();
    if (cfg_log_apply(&server.cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    server.start_us = omk_now_us();
    server.start_mono_us = omk_mono_us();
    omk_log(OMK_LOG_NOTICE, "omenkv version=%s, pid=%d, just started", OMK_VERSION, (int)getpid());

    workers_count(server.cfg.io_threads, sysconf(_SC_NPROCESSORS_ONLN), &nthreads, &nactive);
    /* Before the store opens: RocksDB's descriptors come out of the limit set here. */
    server.cfg.maxclients = server_fds_fit(server.cfg.maxclients, nthreads, 1);

    multi_init();
    pubsub_init(nthreads);
    main_open_store();
    store_expire_start(server.store, server.cfg.hz);
    cfg_set_apply_hook("appendfsync", main_apply_appendfsync);
    cfg_set_apply_hook("maxmemory", main_apply_maxmemory);
    cfg_set_apply_hook("maxmemory-policy", main_apply_access);
    cfg_set_apply_hook("lfu-log-factor", main_apply_access);
    cfg_set_apply_hook("lfu-decay-time", main_apply_access);
    cfg_set_apply_hook("latency-monitor-threshold", main_apply_latency);
    main_apply_latency(&server.cfg, NULL, 0);
    cfg_set_apply_hook("cache-max-value-size", main_apply_cache_max_value);
    cfg_set_apply_hook("timeout", main_apply_timeout);
    cfg_set_apply_hook("maxclients", main_apply_maxclients);
    cfg_set_apply_hook("hash-max-listpack-entries", main_apply_coll_limits);
    cfg_set_apply_hook("hash-max-listpack-value", main_apply_coll_limits);
    cfg_set_apply_hook("set-max-intset-entries", main_apply_coll_limits);
    cfg_set_apply_hook("zset-max-listpack-entries", main_apply_coll_limits);
    cfg_set_apply_hook("zset-max-listpack-value", main_apply_coll_limits);
    cfg_set_apply_hook("collection-inline-max-bytes", main_apply_coll_limits);
    cfg_set_apply_hook("string-fragment-threshold", main_apply_coll_limits);
    cmd_init();
    acl_init();
    acl_set_default_password(server.cfg.requirepass);
    cfg_set_apply_hook("requirepass", main_apply_requirepass);
    if (acl_load_at_startup() != 0)
        return 1;
    server.main_base = event_base_new();
    if (!server.main_base) {
        omk_log(OMK_LOG_WARNING, "cannot create the main event loop");
        return 1;
    }
    if (workers_start(nthreads, nactive) != 0 || server_listen() != 0) {
        store_close(server.store);
        return 1;
    }
    main_write_pidfile();
    sigterm = evsignal_new(server.main_base, SIGTERM, main_signal_cb, NULL);
    sigint = evsignal_new(server.main_base, SIGINT, main_signal_cb, NULL);
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    omk_log(OMK_LOG_NOTICE, "Server initialized with %d worker threads (%d taking connections in turn)",
            nthreads, nactive);
    omk_log(OMK_LOG_NOTICE, "Ready to accept connections tcp on port %d", server.cfg.port);

    event_base_dispatch(server.main_base);

    server_unlisten();
    workers_stop();
    omk_log(OMK_LOG_NOTICE, "Syncing and closing the store...");
    store_close(server.store);
    server.store = NULL;
    if (server.cfg.pidfile && server.cfg.pidfile[0])
        unlink(server.cfg.pidfile);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(server.main_base);
    omk_log(OMK_LOG_NOTICE, "omenkv is now ready to exit, bye bye...");
    return 0;
}
