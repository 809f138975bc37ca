/* test_cache.c - the value cache seen from a client: INFO's Cache section; a data set
 * several times the budget read with a zipfian mix always returns the right values and
 * the cache stays within its budget (and the process within the budget plus a stated
 * overhead); a hot set that fits is served without one RocksDB read; CONFIG SET
 * maxmemory and cache-max-value-size apply live; and a writer and readers on the same
 * keys, on separate connections, never read a value older than a write that had been
 * acknowledged before the read was sent. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk_thread.h"
#include "tests/harness.h"
#include "tests/integ/tcoherence.h"

#define NKEYS 6000       /* 6000 values of 1 KB: 6 MB, three times the 2 MB budget */
#define VLEN 1024
#define BUDGET (2 << 20)
#define HOT 100          /* a hot set of 100 KB: fits */

/* The stated overhead: what the server's resident memory may hold on top of the
 * cache's budget and the index's own bytes (INFO memory): RocksDB's block cache (8 MB
 * here) and memtables (at most 2 x 4 MB here), and 32 MB for everything else (the
 * program's and libraries' pages, thread stacks, libevent, connection buffers, the
 * allocator's slack). */
#define OVERHEAD ((8 + 8 + 32) << 20)

/* The value key 'i' holds: its number first, then a byte pattern of it. */
static void value_of(int i, char *buf)
{
    int n = snprintf(buf, VLEN, "%06d:", i);

    for (int j = n; j < VLEN; j++)
        buf[j] = (char)('a' + (i + j) % 26);
}

static void load(redisContext *c)
{
    char v[VLEN];

    for (int i = 0; i < NKEYS; i++) {
        value_of(i, v);
        redisAppendCommand(c, "SET key:%06d %b", i, v, (size_t)VLEN);
    }
    ok(ts_read_replies(c, NKEYS, REDIS_REPLY_STATUS) == 0, "loaded %d values of %d bytes", NKEYS,
       VLEN);
}

/* ---- A zipfian generator (Gray et al., as YCSB's): ranks 0..n-1, rank 0 hottest. ---- */

struct zipf {
    double theta, alpha, zetan, eta;
    int n;
    unsigned long long seed;
};

static double zipf_rand01(struct zipf *z)
{
    z->seed = z->seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(z->seed >> 11) / 9007199254740992.0;
}

static void zipf_init(struct zipf *z, int n, double theta, unsigned long long seed)
{
    double zeta2 = 1.0 + pow(0.5, theta);

    z->n = n;
    z->theta = theta;
    z->seed = seed;
    z->zetan = 0;
    for (int i = 1; i <= n; i++)
        z->zetan += 1.0 / pow((double)i, theta);
    z->alpha = 1.0 / (1.0 - theta);
    z->eta = (1.0 - pow(2.0 / n, 1.0 - theta)) / (1.0 - zeta2 / z->zetan);
}

static int zipf_next(struct zipf *z)
{
    double u = zipf_rand01(z), uz = u * z->zetan;
    int r;

    if (uz < 1.0)
        return 0;
    if (uz < 1.0 + pow(0.5, z->theta))
        return 1;
    r = (int)(z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
    return r < z->n ? r : z->n - 1;
}

/* Read 'n' keys with a zipfian mix (pipelined by 100) and count wrong replies. The
 * ranks are scattered over the key space so that the hot keys are not neighbours. */
static long zipf_reads(redisContext *c, struct zipf *z, int n, long long *over)
{
    char want[VLEN];
    long wrong = 0;

    for (int done = 0; done < n; done += 100) {
        int keys[100];

        for (int j = 0; j < 100; j++) {
            keys[j] = (int)(((long long)zipf_next(z) * 7919) % NKEYS);
            redisAppendCommand(c, "GET key:%06d", keys[j]);
        }
        for (int j = 0; j < 100; j++) {
            redisReply *r = NULL;

            value_of(keys[j], want);
            if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STRING ||
                r->len != VLEN || memcmp(r->str, want, VLEN) != 0)
                wrong++;
            freeReplyObject(r);
        }
        if (over && done % 2000 == 0)
            *over += ts_info_field(c, "cache", "cache_used_bytes") >
                     ts_info_field(c, "cache", "cache_maxmemory");
    }
    return wrong;
}

static void test_info(redisContext *c)
{
    static const char *const fields[] = {"cache_used_bytes", "cache_maxmemory", "cache_items",
                                         "cache_elements", "cache_hits", "cache_misses", "cache_evictions",
                                         "cache_hit_ratio"};
    redisReply *r = cmd(c, "INFO");
    int all = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Cache\r\n");

    for (size_t i = 0; all && i < sizeof(fields) / sizeof(fields[0]); i++) {
        char pat[64];

        snprintf(pat, sizeof(pat), "\r\n%s:", fields[i]);
        all = strstr(r->str, pat) != NULL;
    }
    ok(all, "plain INFO has a Cache section with every field");
    freeReplyObject(r);
    is_int(ts_info_field(c, "cache", "cache_maxmemory"), BUDGET, "INFO cache shows maxmemory");
    ok(ts_info_field(c, "memory", "used_memory_cache") >= 0, "INFO memory shows the cache's bytes");
}

static void test_larger_than_budget(redisContext *c)
{
    struct zipf z;
    long long over = 0, used, budget, mem, index;

    zipf_init(&z, NKEYS, 0.99, 42);
    is_int(zipf_reads(c, &z, 20000, &over), 0,
           "20000 zipfian reads of a data set 3x the budget: every value right");
    is_int(over, 0, "the cache's bytes never passed the budget while it ran");
    used = ts_info_field(c, "cache", "cache_used_bytes");
    budget = ts_info_field(c, "cache", "cache_maxmemory");
    ok(used > budget / 2 && used <= budget, "the cache is full and within budget (%lld of %lld)",
       used, budget);
    ok(ts_info_field(c, "cache", "cache_evictions") > 0 &&
           ts_info_field(c, "cache", "cache_hits") > 0,
       "it evicted and it hit");
    mem = ts_info_field(c, "memory", "used_memory_rss");
    index = ts_info_field(c, "memory", "index_bytes") +
            ts_info_field(c, "memory", "index_entry_bytes");
    if (TS_SANITIZED)
        skip("resident memory %lld MB: a sanitizer build", mem >> 20);
    else
        ok(mem > 0 && mem <= budget + index + OVERHEAD,
           "resident memory %lld MB <= budget + index %lld MB + stated overhead %d MB",
           mem >> 20, (budget + index) >> 20, OVERHEAD >> 20);
}

/* One pipelined pass over the hot set; returns the wrong replies. */
static int hot_pass(redisContext *c)
{
    char want[VLEN];
    int wrong = 0;

    for (int i = 0; i < HOT; i++)
        redisAppendCommand(c, "GET key:%06d", i);
    for (int i = 0; i < HOT; i++) {
        redisReply *r = NULL;

        value_of(i, want);
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STRING ||
            r->len != VLEN || memcmp(r->str, want, VLEN) != 0)
            wrong++;
        freeReplyObject(r);
    }
    return wrong;
}

static void test_hot_set(redisContext *c)
{
    long long reads0, reads1, hits0, hits1;
    int wrong = 0, warm = 0;

    /* Warm up: SIEVE evicts a newcomer that is not read again before the hand reaches
     * it, so a few passes may be needed before the whole hot set stays. */
    for (int pass = 0; pass < 30 && !warm; pass++) {
        reads0 = ts_info_field(c, "stats", "rocksdb_reads");
        wrong += hot_pass(c);
        warm = ts_info_field(c, "stats", "rocksdb_reads") == reads0;
    }
    ok(warm, "the hot set of %d keys is cached after a few passes", HOT);
    reads0 = ts_info_field(c, "stats", "rocksdb_reads");
    hits0 = ts_info_field(c, "cache", "cache_hits");
    for (int pass = 0; pass < 5; pass++)
        wrong += hot_pass(c);
    reads1 = ts_info_field(c, "stats", "rocksdb_reads");
    hits1 = ts_info_field(c, "cache", "cache_hits");
    is_int(wrong, 0, "the hot set read again and again: every value right");
    is_int(reads1 - reads0, 0, "five more passes: GET reads no RocksDB (rocksdb_reads)");
    is_int(hits1 - hits0, 5 * HOT, "every one of those GETs was a cache hit");
}

static void test_config(redisContext *c)
{
    char big[300], want[VLEN];
    long long r0, items;
    struct zipf z;

    is_status(cmd(c, "CONFIG SET maxmemory 256kb"), "OK", "CONFIG SET maxmemory 256kb");
    ok(ts_info_field(c, "cache", "cache_used_bytes") <= 256 * 1024 &&
           ts_info_field(c, "cache", "cache_maxmemory") == 256 * 1024,
       "the cache shrank before the reply (%lld bytes)",
       ts_info_field(c, "cache", "cache_used_bytes"));
    {
        redisReply *r = cmd(c, "CONFIG GET maxmemory");

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               !strcmp(r->element[1]->str, "262144"),
           "CONFIG GET maxmemory");
        freeReplyObject(r);
    }
    zipf_init(&z, NKEYS, 0.99, 7);
    is_int(zipf_reads(c, &z, 2000, NULL), 0, "reads through the small cache are right");
    ok(ts_info_field(c, "cache", "cache_used_bytes") <= 256 * 1024, "and stay within it");

    is_status(cmd(c, "CONFIG SET maxmemory 1"), "OK", "CONFIG SET maxmemory 1");
    is_int(ts_info_field(c, "cache", "cache_items"), 0, "maxmemory 1: the cache is empty");
    value_of(5, want);
    is_str(cmd(c, "GET key:000005"), want, VLEN, "GET still answers");
    is_int(ts_info_field(c, "cache", "cache_items"), 0, "and caches nothing");

    is_status(cmd(c, "CONFIG SET maxmemory 0"), "OK", "CONFIG SET maxmemory 0");
    ok(ts_info_field(c, "cache", "cache_maxmemory") > BUDGET,
       "maxmemory 0: the default share of RAM (%lld MB)",
       ts_info_field(c, "cache", "cache_maxmemory") >> 20);

    is_status(cmd(c, "CONFIG SET cache-max-value-size 200"), "OK",
              "CONFIG SET cache-max-value-size 200");
    memset(big, 'B', sizeof(big));
    is_status(cmd(c, "SET big %b", big, sizeof(big)), "OK", "SET a 300-byte value");
    items = ts_info_field(c, "cache", "cache_items");
    r0 = ts_info_field(c, "stats", "rocksdb_reads");
    is_str(cmd(c, "GET big"), big, sizeof(big), "GET big");
    is_str(cmd(c, "GET big"), big, sizeof(big), "GET big again");
    is_int(ts_info_field(c, "stats", "rocksdb_reads") - r0, 2,
           "a value over cache-max-value-size is read from RocksDB every time");
    is_int(ts_info_field(c, "cache", "cache_items"), items, "and never cached");
    is_status(cmd(c, "CONFIG SET cache-max-value-size 1mb"), "OK", "back to 1mb");

    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
    is_int(ts_info_field(c, "cache", "cache_items"), 0, "FLUSHALL empties the cache");
    is_nil(cmd(c, "GET key:000005"), "the keys are gone");
}

/* Elements of a split hash and set: once written they are answered from the cache, and
 * every write keeps the cached element right. */
static void test_elements(redisContext *c)
{
    long long r0, e0;
    redisReply *r;

    for (int i = 0; i < 300; i++) {
        freeReplyObject(cmd(c, "HSET eh field:%03d value:%03d", i, i));
        freeReplyObject(cmd(c, "SADD es member:%03d", i));
    }
    is_int(ts_info_field(c, "persistence", "collections_split"), 2,
           "elements: a hash and a set of 300 are split");
    e0 = ts_info_field(c, "cache", "cache_elements");
    ok(e0 >= 600, "  its fields and the set's members are cached (%lld elements)", e0);
    r0 = ts_info_field(c, "stats", "rocksdb_reads");
    is_str(cmd(c, "HGET eh field:010"), "value:010", 9, "  HGET");
    is_integer(cmd(c, "HEXISTS eh field:011"), 1, "  HEXISTS");
    is_integer(cmd(c, "HSET eh field:012 changed"), 0, "  HSET of a field there");
    is_str(cmd(c, "HGET eh field:012"), "changed", 7, "  HGET sees the new value");
    is_integer(cmd(c, "SADD es member:013"), 0, "  SADD of a member there");
    is_integer(cmd(c, "SISMEMBER es member:014"), 1, "  SISMEMBER");
    is_int(ts_info_field(c, "stats", "rocksdb_reads") - r0, 0, "  ... none of them read RocksDB");
    is_integer(cmd(c, "HDEL eh field:010"), 1, "  HDEL");
    is_nil(cmd(c, "HGET eh field:010"), "  HGET of the removed field");
    is_integer(cmd(c, "SREM es member:013"), 1, "  SREM");
    is_integer(cmd(c, "SISMEMBER es member:013"), 0, "  SISMEMBER of the removed member");
    /* A field changed in place leaves the hash's record as it is: WATCH still sees it. */
    is_status(cmd(c, "WATCH eh"), "OK", "  WATCH the hash");
    is_integer(cmd(c, "HSET eh field:020 other"), 0, "  HSET of a field there");
    is_status(cmd(c, "MULTI"), "OK", "  MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "  PING queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_NIL, "  EXEC fails: the watched hash was written");
    freeReplyObject(r);
    is_status(cmd(c, "DEBUG CHECK"), "OK", "  DEBUG CHECK compares the cached elements with RocksDB");
    is_integer(cmd(c, "DEL eh es"), 2, "  DEL of both");
    is_integer(cmd(c, "HSET eh field:012 again"), 1, "  a new hash of the same name");
    is_str(cmd(c, "HGET eh field:012"), "again", 5, "  ... answers its own value");
}

/* ---- A writer and readers on the same keys ---- */

/* Varied lengths. */
static int co_pad(long long v)
{
    return (int)(v % 50);
}

/* Every 300 versions: evict everything (maxmemory 1), then let it fill again. */
static void co_evict(redisContext *c, long long v)
{
    if (v % 300 == 0)
        freeReplyObject(cmd(c, "CONFIG SET maxmemory %s", v % 600 ? "1" : "64kb"));
}

/* One GET of a random key. */
static void co_get(struct tco *co, redisContext *c)
{
    static _Thread_local unsigned seed;
    int k;

    if (seed == 0)
        seed = (unsigned)(uintptr_t)&seed | 1;
    k = (int)((seed = seed * 1103515245u + 12345u) >> 8) % co->nkeys;
    long long before = atomic_load(&co->acked[k]);
    redisReply *r = cmd(c, "GET co:%d", k);

    tco_check(co, k, before, r);
    freeReplyObject(r);
}

static void test_coherence(const struct tserver *s, redisContext *c)
{
    struct tco *co = calloc(1, sizeof(*co));

    co->s = s;
    co->nkeys = 8;
    co->stride = 1;
    co->writes = 3000;
    co->pad_of = co_pad;
    co->after_set = co_evict;
    co->read_round = co_get;
    is_status(cmd(c, "CONFIG SET maxmemory 64kb"), "OK", "a small cache for the race");
    tco_run(co, 3);
    is_int(atomic_load(&co->wrong), 0, "writer and readers: every reply well-formed");
    is_int(atomic_load(&co->stale), 0,
           "no GET returned a value older than a SET acknowledged before it (%ld GETs)",
           atomic_load(&co->reads));
    ok(ts_info_field(c, "cache", "cache_hits") > 0, "the readers hit the cache");
    free(co);
}

int main(void)
{
    const char *args[] = {"--maxmemory", "2mb", "--rocksdb-block-cache-size", "8mb",
                          "--rocksdb-write-buffer-size", "4mb", NULL};
    struct tserver s;
    redisContext *c;

    if (ts_start(&s, args) != 0) {
        ok(0, "server started");
        return tap_done();
    }
    c = ts_connect(&s);
    test_info(c);
    load(c);
    test_larger_than_budget(c);
    test_hot_set(c);
    test_config(c);
    test_elements(c);
    test_coherence(&s, c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
