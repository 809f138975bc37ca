/* memory.c - the MEMORY command (memory.h), in Redis 7.0's reply shapes.
 *
 * What the figures count, given that omenkv keeps keys in RAM and values on disk:
 *   - MEMORY USAGE: RAM and disk together: the key's share of the index's nodes and
 *     slots (their bytes per key on average), its own index entry as allocated (header
 *     and key), its value in the value cache when it is cached (the cache's charge for
 *     it; a fragmented string's fragments are cached apart and not counted), plus its
 *     value's bytes as stored on disk: a string's length exactly (from RAM, no disk
 *     read); for a collection, the average size of up to SAMPLES elements read (0: all
 *     of them) times its element count, each element with 8 bytes of record overhead
 *     (its collection id or length prefix).
 *   - MEMORY STATS: memory_used() (the heap omenkv's code holds, by its own count, the
 *     entry arena and RocksDB's block cache), the resident set; glibc's heap size
 *     (mallinfo2) is not asked: it walks every free chunk with the arenas locked;
 *     the keyspace overhead is the index; lua.caches and functions.caches are what Redis
 *     counts there: the script cache's and the libraries' bookkeeping (names, code), the
 *     same figures as INFO's used_memory_scripts_eval and used_memory_functions, counted
 *     in overhead.total as Redis does (not the interpreters' own memory, used_memory_lua
 *     and used_memory_vm_functions); what Redis has and omenkv has not (replication
 *     backlog, AOF buffer) is 0.
 *   - MALLOC-STATS: glibc's malloc_info() XML; PURGE: malloc_trim(). */
#include "config.h"

#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/function.h"
#include "daemon/memory.h"
#include "daemon/reply.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "store/store.h"

#define MEMORY_SAMPLES_DEFAULT 5 /* Redis' OBJ_COMPUTE_SIZE_DEF_SAMPLES */
#define MEMORY_ELEM_OVERHEAD 8   /* bytes of record framing counted per element */

/* ---- MEMORY USAGE ---- */

/* Elements seen while sampling a collection. */
struct mem_sample {
    uint64_t want; /* stop after this many */
    uint64_t seen;
    uint64_t bytes;
};

static int mem_elem_cb(void *arg, struct omk_slice elem)
{
    struct mem_sample *s = arg;

    s->bytes += elem.len;
    return ++s->seen >= s->want;
}

static int mem_pair_cb(void *arg, struct omk_slice field, struct omk_slice value)
{
    struct mem_sample *s = arg;

    s->bytes += field.len + value.len;
    return ++s->seen >= s->want;
}

static int mem_zset_cb(void *arg, struct omk_slice member, double score)
{
    struct mem_sample *s = arg;

    OMK_UNUSED(score);
    s->bytes += member.len + sizeof(double);
    return ++s->seen >= s->want;
}

/* The bytes of the value of 'key', a collection of 'count' elements of type 'type',
 * estimated from up to 'samples' of them. STORE_OK or the store's error. */
static int mem_coll_bytes(struct client *c, struct omk_slice key, int type, uint64_t count,
                          uint64_t samples, uint64_t *out)
{
    struct mem_sample s = {samples, 0, 0};
    int64_t last = samples > (uint64_t)INT64_MAX ? -1 : (int64_t)samples - 1;
    struct store_zrange zr;
    size_t n = 0;
    int rc;

    switch (type) {
    case STORE_TYPE_HASH:
        rc = store_hgetall(server.store, c->db, key, mem_pair_cb, &s, &n);
        break;
    case STORE_TYPE_SET:
        rc = store_smembers(server.store, c->db, key, mem_elem_cb, &s, &n);
        break;
    case STORE_TYPE_LIST:
        rc = store_lrange(server.store, c->db, key, 0, last, mem_elem_cb, &s, &n);
        break;
    default:
        memset(&zr, 0, sizeof(zr));
        zr.by = STORE_ZBY_RANK;
        zr.start = 0;
        zr.stop = last;
        zr.limit = -1;
        rc = store_zrange(server.store, c->db, key, &zr, mem_zset_cb, &s, &n);
        break;
    }
    if (rc == STORE_NOTFOUND) {
        *out = 0;
        return STORE_OK;
    }
    if (rc != STORE_OK)
        return rc;
    *out = s.seen ? (uint64_t)((double)s.bytes / (double)s.seen * (double)count) : 0;
    *out += count * MEMORY_ELEM_OVERHEAD;
    return STORE_OK;
}

/* MEMORY USAGE key [SAMPLES count]: Redis' options and errors; nil for a missing key. */
static void memory_usage(struct client *c)
{
    long long samples = MEMORY_SAMPLES_DEFAULT;
    struct store_keyinfo ki;
    struct store_keymem km;
    struct store_stats st;
    uint64_t value = 0, index_share;
    int rc;

    for (int j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "samples") && j + 1 < c->argc) {
            if (!omk_str2ll(c->argv[j + 1].p, c->argv[j + 1].len, &samples)) {
                reply_err_not_int(c);
                return;
            }
            if (samples < 0) {
                reply_err_syntax(c);
                return;
            }
            if (samples == 0)
                samples = LLONG_MAX;
            j++;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    rc = store_keyinfo(server.store, c->db, c->argv[2], &ki);
    if (rc == STORE_NOTFOUND) {
        reply_null(c);
        return;
    }
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
        return;
    }
    if (ki.type == STORE_TYPE_STRING)
        value = ki.count;
    else if ((rc = mem_coll_bytes(c, c->argv[2], ki.type, ki.count, (uint64_t)samples,
                                  &value)) != STORE_OK) {
        reply_err_store(c, rc);
        return;
    }
    rc = store_key_memory(server.store, c->db, c->argv[2], &km);
    if (rc == STORE_NOTFOUND) { /* deleted since */
        reply_null(c);
        return;
    }
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
        return;
    }
    store_stats_get(server.store, &st);
    index_share = st.index_keys ? st.index_bytes / st.index_keys : 0;
    reply_int(c, (long long)(index_share + km.entry_bytes + km.cached_bytes + value));
}

/* ---- MEMORY STATS ---- */

/* A field of /proc/self/status ("VmHWM:") in bytes, or 0. */
static unsigned long long mem_proc_status(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    size_t n = strlen(field);

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0)
            kb = strtoull(line + n, NULL, 10);
    if (f)
        fclose(f);
    return kb * 1024;
}

static void mem_pair_ll(struct client *c, const char *name, long long v)
{
    reply_bulk_cstr(c, name);
    reply_int(c, v);
}

static void mem_pair_double(struct client *c, const char *name, double v)
{
    reply_bulk_cstr(c, name);
    reply_double(c, v);
}

unsigned long long memory_used(const struct store_stats *st)
{
    struct store_rocks_stats rs;

    store_rocks_stats_get(server.store, &rs);
    return (unsigned long long)omk_alloc_bytes() + st->entry_arena_bytes + rs.cache_usage;
}

/* MEMORY STATS: Redis 7.0's map, field for field, from omenkv's figures. The allocator's
 * active bytes are its allocated ones (a fragmentation ratio of 1): glibc tells its heap
 * size only by walking it (memory_used). */
static void memory_stats(struct client *c)
{
    struct store_stats st;
    unsigned long long allocated, active, rss, total, peak, overhead, dataset;
    struct function_stats fs;
    long long lua_caches = script_cache_bytes();
    int ndbs = 0;

    store_stats_get(server.store, &st);
    function_stats_get(&fs);
    total = memory_used(&st);
    allocated = total - st.entry_arena_bytes; /* malloc's part */
    active = allocated;
    rss = mem_proc_status("VmRSS:");
    peak = mem_proc_status("VmHWM:");
    if (peak < total)
        peak = total;
    overhead = st.index_bytes + st.entry_bytes + st.scan_cursor_bytes +
               (unsigned long long)lua_caches + (unsigned long long)fs.bytes;
    if (overhead > total)
        overhead = total;
    dataset = total - overhead;
    for (int db = 0; db < server.cfg.databases; db++)
        ndbs += store_dbsize(server.store, db) > 0;

    reply_map_len(c, 27 + ndbs);
    mem_pair_ll(c, "peak.allocated", (long long)peak);
    mem_pair_ll(c, "total.allocated", (long long)total);
    mem_pair_ll(c, "startup.allocated", 0);
    mem_pair_ll(c, "replication.backlog", 0);
    mem_pair_ll(c, "clients.slaves", 0);
    mem_pair_ll(c, "clients.normal", 0);
    mem_pair_ll(c, "cluster.links", 0);
    mem_pair_ll(c, "aof.buffer", 0);
    mem_pair_ll(c, "lua.caches", lua_caches);
    mem_pair_ll(c, "functions.caches", fs.bytes);
    for (int db = 0; db < server.cfg.databases; db++) {
        uint64_t keys = store_dbsize(server.store, db);
        char name[16];

        if (keys == 0)
            continue;
        snprintf(name, sizeof(name), "db.%d", db);
        reply_bulk_cstr(c, name);
        reply_map_len(c, 3);
        mem_pair_ll(c, "overhead.hashtable.main",
                    st.index_keys ? (long long)((st.index_bytes + st.entry_bytes) * keys /
                                                st.index_keys)
                                  : 0);
        mem_pair_ll(c, "overhead.hashtable.expires", 0); /* the expiry is in the entry */
        mem_pair_ll(c, "overhead.hashtable.slot-to-keys", 0); /* no cluster mode */
    }
    mem_pair_ll(c, "overhead.total", (long long)overhead);
    mem_pair_ll(c, "keys.count", (long long)st.index_keys);
    mem_pair_ll(c, "keys.bytes-per-key", st.index_keys ? (long long)(total / st.index_keys) : 0);
    mem_pair_ll(c, "dataset.bytes", (long long)dataset);
    mem_pair_double(c, "dataset.percentage", total ? (double)dataset * 100.0 / (double)total : 0);
    mem_pair_double(c, "peak.percentage", peak ? (double)total * 100.0 / (double)peak : 0);
    mem_pair_ll(c, "allocator.allocated", (long long)allocated);
    mem_pair_ll(c, "allocator.active", (long long)active);
    mem_pair_ll(c, "allocator.resident", (long long)rss);
    mem_pair_double(c, "allocator-fragmentation.ratio",
                    allocated ? (double)active / (double)allocated : 0);
    mem_pair_ll(c, "allocator-fragmentation.bytes", (long long)active - (long long)allocated);
    mem_pair_double(c, "allocator-rss.ratio", active ? (double)rss / (double)active : 0);
    mem_pair_ll(c, "allocator-rss.bytes", (long long)rss - (long long)active);
    mem_pair_double(c, "rss-overhead.ratio", 1.0);
    mem_pair_ll(c, "rss-overhead.bytes", 0);
    mem_pair_double(c, "fragmentation", total ? (double)rss / (double)total : 0);
    mem_pair_ll(c, "fragmentation.bytes", (long long)rss - (long long)total);
}

/* ---- the rest ---- */

/* MEMORY DOCTOR: a short report in omenkv's words on where the memory goes. */
static void memory_doctor(struct client *c)
{
    struct store_stats st;
    char text[1024];
    int n;

    store_stats_get(server.store, &st);
    if (st.index_keys == 0) {
        n = snprintf(text, sizeof(text), "The server holds no keys: nothing to report.\n");
    } else {
        n = snprintf(text, sizeof(text),
                     "Keys: %llu, in an index of %llu bytes (%.1f bytes per key, key bytes "
                     "included).\nValue cache: %llu of %llu bytes used, %llu values; values "
                     "live on disk, so the cache's budget (maxmemory) bounds the RAM they "
                     "take.\n%s",
                     (unsigned long long)st.index_keys,
                     (unsigned long long)(st.index_bytes + st.entry_bytes),
                     (double)(st.index_bytes + st.entry_bytes) / (double)st.index_keys,
                     (unsigned long long)st.cache_used_bytes,
                     (unsigned long long)st.cache_maxmemory, (unsigned long long)st.cache_items,
                     st.cache_evictions && st.cache_misses > st.cache_hits
                         ? "Most value reads miss the cache and it evicts: a larger maxmemory "
                           "would serve more of them from RAM.\n"
                         : "No memory problem found.\n");
    }
    reply_verbatim(c, text, (size_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1));
}

/* MEMORY MALLOC-STATS: glibc's malloc_info() report (XML). */
static void memory_malloc_stats(struct client *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f || malloc_info(0, f) != 0) {
        if (f)
            fclose(f);
        free(text);
        reply_bulk_cstr(c, "Stats not supported for the current allocator");
        return;
    }
    fclose(f);
    reply_bulk(c, text, len);
    free(text);
}

/* MEMORY PURGE: give free heap memory back to the system (malloc_trim). */
static void memory_purge(struct client *c)
{
    malloc_trim(0);
    reply_ok(c);
}

/* MEMORY HELP */
static void memory_help(struct client *c)
{
    static const char *const help[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    };

    cmd_reply_help(c, "MEMORY", help, OMK_ARRAY_LEN(help));
}

static const struct cmd_sub memory_subs[] = {
    {"help", 2, memory_help},     {"usage", -3, memory_usage},
    {"stats", 2, memory_stats},   {"doctor", 2, memory_doctor},
    {"malloc-stats", 2, memory_malloc_stats}, {"purge", 2, memory_purge},
};

void memory_command(struct client *c)
{
    cmd_dispatch_sub(c, "memory", memory_subs, OMK_ARRAY_LEN(memory_subs), 0);
}
