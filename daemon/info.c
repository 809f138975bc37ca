/* info.c - the text of INFO (its handler, cmd_info, is in cmd_server.c): the server's
 * state as "name:value" lines grouped in "# Section" blocks, with Redis' section and field
 * names so that tools that read INFO (redis-cli, monitoring agents, client libraries)
 * find what they expect. Fields that only omenkv has are prefixed "rocksdb_" or
 * "omenkv_". */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/info.h"
#include "daemon/latency.h"
#include "daemon/memory.h"
#include "daemon/pubsub.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "daemon/tracking.h"
#include "store/store.h"

/* Resident set size in bytes, from /proc/self/statm. */
static unsigned long long info_rss_bytes(void)
{
    unsigned long long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f) {
        if (fscanf(f, "%llu %llu", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* Format 'bytes' the way Redis' *_human fields do ("1.50M"). */
static void info_human(char *buf, size_t len, unsigned long long bytes)
{
    double d = (double)bytes;

    if (bytes < 1024)
        snprintf(buf, len, "%lluB", bytes);
    else if (bytes < 1024ULL * 1024)
        snprintf(buf, len, "%.2fK", d / 1024);
    else if (bytes < 1024ULL * 1024 * 1024)
        snprintf(buf, len, "%.2fM", d / (1024 * 1024));
    else
        snprintf(buf, len, "%.2fG", d / (1024.0 * 1024 * 1024));
}

static void info_server(struct evbuffer *b)
{
    struct utsname u;
    long long up = server_uptime_s();

    uname(&u);
    evbuffer_add_printf(b,
                        "# Server\r\n"
                        "redis_version:%s\r\n"
                        "omenkv_version:%s\r\n"
                        "redis_git_sha1:00000000\r\n"
                        "redis_git_dirty:0\r\n"
                        "redis_mode:standalone\r\n"
                        "os:%s %s %s\r\n"
                        "arch_bits:%d\r\n"
                        "multiplexing_api:%s\r\n"
                        "gcc_version:%d.%d.0\r\n"
                        "process_id:%d\r\n"
                        "tcp_port:%d\r\n"
                        "server_time_usec:%lld\r\n"
                        "uptime_in_seconds:%lld\r\n"
                        "uptime_in_days:%lld\r\n"
                        "hz:%d\r\n"
                        "io_threads_active:%d\r\n"
                        "executable:%s\r\n"
                        "config_file:%s\r\n",
                        OMK_REDIS_VERSION, OMK_VERSION, u.sysname, u.release, u.machine,
                        (int)(sizeof(long) * 8), event_base_get_method(server.main_base),
                        __GNUC__, __GNUC_MINOR__, (int)getpid(), server.cfg.port,
                        (long long)omk_now_us(), up, up / 86400, server.cfg.hz, server.nworkers,
                        server.executable, server.cfg.configfile ? server.cfg.configfile : "");
}

static void info_clients(struct evbuffer *b)
{
    struct tracking_stats ts;

    tracking_stats(&ts);
    evbuffer_add_printf(b,
                        "# Clients\r\n"
                        "connected_clients:%d\r\n"
                        "maxclients:%lld\r\n"
                        "blocked_clients:%ld\r\n"
                        "tracking_clients:%lld\r\n",
                        atomic_load(&server.connected_clients), server.cfg.maxclients,
                        blocking_count(), ts.clients);
}

static void info_memory(struct evbuffer *b)
{
    struct store_stats st;
    unsigned long long used, rss = info_rss_bytes();
    char h_used[32], h_rss[32], h_max[32];

    store_stats_get(server.store, &st);
    used = memory_used(&st); /* counters, never a walk of the heap (memory.h) */
    info_human(h_used, sizeof(h_used), used);
    info_human(h_rss, sizeof(h_rss), rss);
    info_human(h_max, sizeof(h_max), (unsigned long long)server.cfg.maxmemory);
    evbuffer_add_printf(b,
                        "# Memory\r\n"
                        "used_memory:%llu\r\n"
                        "used_memory_human:%s\r\n"
                        "used_memory_rss:%llu\r\n"
                        "used_memory_rss_human:%s\r\n"
                        "maxmemory:%lld\r\n"
                        "maxmemory_human:%s\r\n"
                        "mem_allocator:libc\r\n"
                        "index_keys:%llu\r\n"
                        "index_bytes:%llu\r\n"
                        "index_entry_bytes:%llu\r\n"
                        "index_bytes_per_key:%.1f\r\n"
                        "index_depth:%u\r\n"
                        "used_memory_cache:%llu\r\n"
                        "used_memory_scan_cursors:%llu\r\n"
                        "used_memory_zset_ranks:%llu\r\n"
                        "zset_rank_sets:%llu\r\n",
                        used, h_used, rss, h_rss, (long long)server.cfg.maxmemory, h_max,
                        (unsigned long long)st.index_keys, (unsigned long long)st.index_bytes,
                        (unsigned long long)st.entry_bytes,
                        st.index_keys ? (double)(st.index_bytes + st.entry_bytes) /
                                            (double)st.index_keys : 0.0,
                        st.index_depth, (unsigned long long)st.cache_used_bytes,
                        (unsigned long long)st.scan_cursor_bytes,
                        (unsigned long long)st.zrank_bytes, (unsigned long long)st.zrank_sets);
    script_info_memory(b); /* used_memory_lua ... number_of_cached_scripts, as Redis 7.0 */
}

static void info_persistence(struct evbuffer *b)
{
    static const char *fsync_names[] = {"no", "everysec", "always"};
    struct store_stats st;

    store_stats_get(server.store, &st);
    evbuffer_add_printf(b,
                        "# Persistence\r\n"
                        "loading:0\r\n"
                        "async_loading:0\r\n"
                        "rdb_changes_since_last_save:0\r\n"
                        "rdb_bgsave_in_progress:%d\r\n"
                        "rdb_last_save_time:%lld\r\n"
                        "rdb_last_bgsave_status:%s\r\n"
                        "aof_enabled:1\r\n"
                        "aof_rewrite_in_progress:0\r\n"
                        "aof_last_write_status:%s\r\n"
                        "rocksdb_appendfsync:%s\r\n"
                        "rocksdb_wal_syncs:%llu\r\n"
                        "rocksdb_last_wal_sync_ms:%lld\r\n"
                        "rocksdb_disk_bytes:%llu\r\n"
                        "rocksdb_load_ms:%lld\r\n"
                        "rocksdb_read_only:%d\r\n"
                        "rocksdb_write_failed:%d\r\n"
                        "rocksdb_write_failed_since:%lld\r\n"
                        "rocksdb_resumes:%llu\r\n"
                        "rocksdb_element_bytes:%llu\r\n"
                        "collections_split:%llu\r\n"
                        "collections_reclaims:%llu\r\n"
                        "collections_last_reclaim_ms:%lld\r\n",
                        store_saving(server.store),
                        (long long)(store_last_save_ms(server.store) / 1000),
                        store_last_save_ok(server.store) ? "ok" : "err",
                        st.read_only || st.write_failed || st.writes_refused ? "err" : "ok",
                        fsync_names[server.cfg.appendfsync], (unsigned long long)st.wal_syncs,
                        (long long)st.last_sync_ms,
                        (unsigned long long)store_disk_bytes(server.store), (long long)st.open_ms,
                        st.read_only, st.writes_refused, (long long)(st.refused_since_ms / 1000),
                        (unsigned long long)st.resumes, (unsigned long long)st.elem_bytes,
                        (unsigned long long)st.coll_live_ids, (unsigned long long)st.reclaims,
                        (long long)st.reclaim_last_ms);
}

/* RocksDB's own counters (store_rocks_stats_get), the end of the Stats section: its
 * block cache by kind of block, the reads of table files and their bytes (these with
 * rocksdb-statistics yes; 0 without), its memory, and the time writers stalled. A GET
 * that missed the value cache and read a file shows as cache_misses,
 * rocksdb_block_cache_data_misses and rocksdb_file_read_bytes moving. */
static void info_rocksdb_counters(struct evbuffer *b)
{
    struct store_rocks_stats rs;

    store_rocks_stats_get(server.store, &rs);
    evbuffer_add_printf(b,
                        "rocksdb_statistics:%d\r\n"
                        "rocksdb_block_cache_data_hits:%llu\r\n"
                        "rocksdb_block_cache_data_misses:%llu\r\n"
                        "rocksdb_block_cache_index_hits:%llu\r\n"
                        "rocksdb_block_cache_index_misses:%llu\r\n"
                        "rocksdb_block_cache_filter_hits:%llu\r\n"
                        "rocksdb_block_cache_filter_misses:%llu\r\n"
                        "rocksdb_block_cache_used_bytes:%llu\r\n"
                        "rocksdb_block_cache_pinned_bytes:%llu\r\n"
                        "rocksdb_block_cache_capacity:%llu\r\n"
                        "rocksdb_bloom_useful:%llu\r\n"
                        "rocksdb_file_reads:%llu\r\n"
                        "rocksdb_file_read_bytes:%llu\r\n"
                        "rocksdb_compact_read_bytes:%llu\r\n"
                        "rocksdb_get_bytes:%llu\r\n"
                        "rocksdb_stall_micros:%llu\r\n",
                        rs.statistics, (unsigned long long)rs.data_hits,
                        (unsigned long long)rs.data_misses,
                        (unsigned long long)rs.index_hits, (unsigned long long)rs.index_misses,
                        (unsigned long long)rs.filter_hits,
                        (unsigned long long)rs.filter_misses,
                        (unsigned long long)rs.cache_usage, (unsigned long long)rs.cache_pinned,
                        (unsigned long long)rs.cache_capacity,
                        (unsigned long long)rs.bloom_useful, (unsigned long long)rs.file_reads,
                        (unsigned long long)rs.file_read_bytes,
                        (unsigned long long)rs.compact_read_bytes,
                        (unsigned long long)rs.get_bytes, (unsigned long long)rs.stall_micros);
}

static void info_stats(struct evbuffer *b)
{
    struct store_stats st;
    struct stats_sum sum;
    struct tracking_stats ts;

    store_stats_get(server.store, &st);
    server_stats_sum(&sum);
    tracking_stats(&ts);
    evbuffer_add_printf(b,
                        "# Stats\r\n"
                        "total_connections_received:%llu\r\n"
                        "total_commands_processed:%llu\r\n"
                        "total_net_input_bytes:%llu\r\n"
                        "total_net_output_bytes:%llu\r\n"
                        "rejected_connections:%llu\r\n"
                        "expired_keys:%llu\r\n"
                        "evicted_keys:0\r\n"
                        "keyspace_hits:%llu\r\n"
                        "keyspace_misses:%llu\r\n"
                        "pubsub_channels:%lld\r\n"
                        "pubsub_patterns:%lld\r\n"
                        "pubsubshard_channels:%lld\r\n"
                        "tracking_total_keys:%lld\r\n"
                        "tracking_total_items:%lld\r\n"
                        "tracking_total_prefixes:%lld\r\n"
                        "rocksdb_reads:%llu\r\n"
                        "rocksdb_writes:%llu\r\n"
                        "rocksdb_io_errors:%llu\r\n",
                        (unsigned long long)atomic_load(&server.total_connections),
                        (unsigned long long)sum.commands,
                        (unsigned long long)sum.net_in_bytes,
                        (unsigned long long)sum.net_out_bytes,
                        (unsigned long long)atomic_load(&server.rejected_connections),
                        (unsigned long long)st.expired_keys,
                        (unsigned long long)sum.keyspace_hits,
                        (unsigned long long)sum.keyspace_misses,
                        pubsub_count(PUBSUB_CHANNEL), pubsub_count(PUBSUB_PATTERN),
                        pubsub_count(PUBSUB_SHARD), ts.keys, ts.items, ts.prefixes,
                        (unsigned long long)st.rocks_reads, (unsigned long long)st.rocks_writes,
                        (unsigned long long)st.io_errors);
    info_rocksdb_counters(b);
}

/* The value cache (store/cache.c): its budget (maxmemory, or the default share of RAM
 * when maxmemory is 0), the bytes it charges (items, headers, allocator overhead), and
 * how often a value read was served from it. */
static void info_cache(struct evbuffer *b)
{
    struct store_stats st;
    uint64_t reads;

    store_stats_get(server.store, &st);
    reads = st.cache_hits + st.cache_misses;
    evbuffer_add_printf(b,
                        "# Cache\r\n"
                        "cache_used_bytes:%llu\r\n"
                        "cache_maxmemory:%llu\r\n"
                        "cache_items:%llu\r\n"
                        "cache_elements:%llu\r\n"
                        "cache_hits:%llu\r\n"
                        "cache_misses:%llu\r\n"
                        "cache_evictions:%llu\r\n"
                        "cache_hit_ratio:%.4f\r\n"
                        "cache_max_value_size:%llu\r\n",
                        (unsigned long long)st.cache_used_bytes,
                        (unsigned long long)st.cache_maxmemory,
                        (unsigned long long)st.cache_items,
                        (unsigned long long)st.cache_elements, (unsigned long long)st.cache_hits,
                        (unsigned long long)st.cache_misses,
                        (unsigned long long)st.cache_evictions,
                        reads ? (double)st.cache_hits / (double)reads : 0.0,
                        (unsigned long long)st.cache_max_value);
}

static void info_replication(struct evbuffer *b)
{
    evbuffer_add_printf(b, "# Replication\r\n"
                           "role:master\r\n"
                           "connected_slaves:0\r\n"
                           "master_failover_state:no-failover\r\n"
                           "master_repl_offset:0\r\n"
                           "repl_backlog_active:0\r\n");
}

static void info_cpu(struct evbuffer *b)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    evbuffer_add_printf(b, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
                        (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
                        (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
}

static void info_commandstats(struct evbuffer *b)
{
    struct stats_sum sum;

    server_stats_sum(&sum);
    evbuffer_add_printf(b, "# Commandstats\r\n");
    for (int i = 0; i < cmd_table_len; i++) {
        uint64_t calls = sum.cmd[i].calls, usec = sum.cmd[i].usec;
        uint64_t rej = sum.cmd[i].rejected, failed = sum.cmd[i].failed;

        if (calls == 0 && rej == 0 && failed == 0)
            continue;
        evbuffer_add_printf(b,
                            "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
                            "rejected_calls=%llu,failed_calls=%llu\r\n",
                            cmd_table[i].name, (unsigned long long)calls, (unsigned long long)usec,
                            calls ? (double)usec / (double)calls : 0.0, (unsigned long long)rej,
                            (unsigned long long)failed);
    }
}

static void info_keyspace(struct evbuffer *b)
{
    evbuffer_add_printf(b, "# Keyspace\r\n");
    for (int db = 0; db < server.cfg.databases; db++) {
        uint64_t keys = store_dbsize(server.store, db);

        if (keys)
            evbuffer_add_printf(b, "db%d:keys=%llu,expires=%llu,avg_ttl=0\r\n", db,
                                (unsigned long long)keys,
                                (unsigned long long)store_db_expires(server.store, db));
    }
}

static const struct {
    const char *name;
    void (*fn)(struct evbuffer *b);
    int in_default; /* part of plain INFO / "default" */
} info_sections[] = {
    {"server", info_server, 1},         {"clients", info_clients, 1},
    {"memory", info_memory, 1},         {"persistence", info_persistence, 1},
    {"stats", info_stats, 1},           {"cache", info_cache, 1},
    {"replication", info_replication, 1},
    {"cpu", info_cpu, 1},               {"commandstats", info_commandstats, 0},
    {"latencystats", latency_info, 0},
    {"keyspace", info_keyspace, 1},
};

/* True if 'args' ('n' of them) ask for section 'name', or for a group that holds it. */
static int info_wants(size_t n, const struct omk_slice *args, const char *name, int in_default)
{
    if (n == 0)
        return in_default;
    for (size_t i = 0; i < n; i++) {
        const struct omk_slice *a = &args[i];

        if ((a->len == strlen(name) && !strncasecmp(a->p, name, a->len)) ||
            (a->len == 3 && !strncasecmp(a->p, "all", 3)) ||
            (a->len == 10 && !strncasecmp(a->p, "everything", 10)) ||
            (in_default && a->len == 7 && !strncasecmp(a->p, "default", 7)))
            return 1;
    }
    return 0;
}

void info_write(struct evbuffer *b, size_t n, const struct omk_slice *args)
{
    for (size_t i = 0; i < OMK_ARRAY_LEN(info_sections); i++) {
        if (!info_wants(n, args, info_sections[i].name, info_sections[i].in_default))
            continue;
        if (evbuffer_get_length(b))
            evbuffer_add(b, "\r\n", 2);
        info_sections[i].fn(b);
    }
}
