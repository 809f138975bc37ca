/* test_mget.c - MGET over a data set many times the value cache (64 KB here), whose
 * uncached values the store reads with one RocksDB MultiGet per batch of keys: every
 * value right, in batches wider than the store's (STORE_MGET_MAX) and with repeated
 * keys; missing, expired, non-string and fragmented keys (string-fragment-threshold 256)
 * mixed in, answering nil or their bytes; INFO's keyspace hits and misses counted per key
 * as Redis counts them; and a writer racing MGET readers on other connections never lets
 * a reader see a value older than a write acknowledged before its MGET was sent; inside
 * MULTI/EXEC and EVAL, MGET sees the transaction's own writes. The
 * omenkv-only checks (RocksDB reads, cache hits, DEBUG CHECK's cache coherence) are
 * marked; everything else passes against redis-server 7.0 (OMK_TEST_SERVER). */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk_thread.h"
#include "tests/harness.h"
#include "tests/integ/tcoherence.h"

#define NKEYS 4000 /* values of 120..247 bytes: about 0.75 MB, 12x the cache */
#define WIDE 300   /* keys per MGET: more than one store batch */

/* The value of key 'i': its number, then a pattern of it; 120 to 247 bytes, under the
 * fragment threshold. Returns the length. */
static size_t value_of(int i, char *buf)
{
    size_t len = 120 + (size_t)(i * 37 % 128);
    int n = snprintf(buf, len, "%06d:", i);

    for (size_t j = (size_t)n; j < len; j++)
        buf[j] = (char)('a' + (i + (int)j) % 26);
    return len;
}

static void load(redisContext *c)
{
    char v[256];

    for (int i = 0; i < NKEYS; i++)
        redisAppendCommand(c, "SET k:%d %b", i, v, value_of(i, v));
    ok(ts_read_replies(c, NKEYS, REDIS_REPLY_STATUS) == 0, "loaded %d values", NKEYS);
}

/* Send MGET of the 'n' keys 'keys' (argv strings, "MGET" first is added) and return the
 * reply. */
static redisReply *mget(redisContext *c, char **keys, int n)
{
    const char **argv = malloc((size_t)(n + 1) * sizeof(*argv));
    redisReply *r;

    argv[0] = "MGET";
    for (int i = 0; i < n; i++)
        argv[i + 1] = keys[i];
    r = redisCommandArgv(c, n + 1, argv, NULL);
    free(argv);
    return r;
}

/* MGET of WIDE keys drawn from the loaded ones (repeats allowed), 'rounds' times: the
 * count of elements that were not the key's value. */
static long random_mgets(redisContext *c, int rounds, unsigned seed)
{
    char *keys[WIDE], want[256];
    int ids[WIDE];
    long wrong = 0;

    for (int i = 0; i < WIDE; i++)
        keys[i] = malloc(16);
    for (int round = 0; round < rounds; round++) {
        redisReply *r;

        for (int i = 0; i < WIDE; i++) {
            seed = seed * 1103515245u + 12345u;
            ids[i] = (int)((seed >> 8) % NKEYS);
            if (i % 50 == 7) /* a repeat of an earlier key of the same MGET */
                ids[i] = ids[i / 2];
            snprintf(keys[i], 16, "k:%d", ids[i]);
        }
        r = mget(c, keys, WIDE);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != WIDE) {
            wrong += WIDE;
        } else {
            for (int i = 0; i < WIDE; i++) {
                size_t len = value_of(ids[i], want);
                const redisReply *e = r->element[i];

                wrong += e->type != REDIS_REPLY_STRING || (size_t)e->len != len ||
                         memcmp(e->str, want, len) != 0;
            }
        }
        freeReplyObject(r);
    }
    for (int i = 0; i < WIDE; i++)
        free(keys[i]);
    return wrong;
}

static void test_uncached(const struct tserver *s, redisContext *c)
{
    long long reads0 = 0, reads1;

    if (!s->external)
        reads0 = ts_info_field(c, "stats", "rocksdb_reads");
    is_int(random_mgets(c, 40, 1), 0, "40 MGETs of %d keys over 12x the cache: every value right",
           WIDE);
    if (s->external) {
        skip("omenkv only: the MGETs read RocksDB");
        return;
    }
    reads1 = ts_info_field(c, "stats", "rocksdb_reads");
    ok(reads1 - reads0 > 40 * WIDE / 2, "omenkv: most of them were read from RocksDB (%lld reads)",
       reads1 - reads0);
}

/* A key of each kind, then MGET of all of them at once. */
static void test_mixed(redisContext *c)
{
    static char big[20000], mid[5000];
    char want0[256], want1[256];
    size_t n0 = value_of(0, want0), n1 = value_of(1, want1);
    long long hits0, miss0;
    redisReply *r;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7 + (i >> 9)); /* NULs and high bytes too */
    memset(mid, 'm', sizeof(mid));
    is_status(cmd(c, "SET big %b", big, sizeof(big)), "OK", "SET a 20000-byte value");
    is_status(cmd(c, "SET mid %b", mid, sizeof(mid)), "OK", "SET a 5000-byte value");
    is_integer(cmd(c, "RPUSH list a b"), 2, "a list");
    is_integer(cmd(c, "HSET hash f v"), 1, "a hash");
    is_integer(cmd(c, "SADD set m"), 1, "a set");
    is_integer(cmd(c, "ZADD zset 1 m"), 1, "a sorted set");
    is_status(cmd(c, "SET gone v PX 1"), "OK", "a key that expires in 1 ms");
    is_status(cmd(c, "SET ttl v EX 1000"), "OK", "a key with a TTL still ahead");
    is_status(cmd(c, "SET empty %b", "", (size_t)0), "OK", "an empty value");
    ts_sleep_ms(20); /* 'gone' has expired: MGET must not see it, whatever happens */
    hits0 = ts_info_field(c, "stats", "keyspace_hits");
    miss0 = ts_info_field(c, "stats", "keyspace_misses");
    r = cmd(c, "MGET k:0 nokey big list gone hash mid set ttl zset empty k:1 big nokey2");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 14, "MGET of 14 mixed keys: 14 elements");
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 14) {
        redisReply **e = r->element;

        ok(e[0]->type == REDIS_REPLY_STRING && (size_t)e[0]->len == n0 &&
               !memcmp(e[0]->str, want0, n0),
           "  a small value");
        ok(e[1]->type == REDIS_REPLY_NIL && e[13]->type == REDIS_REPLY_NIL, "  missing: nil");
        ok(e[2]->type == REDIS_REPLY_STRING && e[2]->len == sizeof(big) &&
               !memcmp(e[2]->str, big, sizeof(big)) && e[12]->type == REDIS_REPLY_STRING &&
               e[12]->len == sizeof(big) && !memcmp(e[12]->str, big, sizeof(big)),
           "  a fragmented value, twice, every byte");
        ok(e[3]->type == REDIS_REPLY_NIL && e[5]->type == REDIS_REPLY_NIL &&
               e[7]->type == REDIS_REPLY_NIL && e[9]->type == REDIS_REPLY_NIL,
           "  list, hash, set, sorted set: nil");
        ok(e[4]->type == REDIS_REPLY_NIL, "  expired: nil");
        ok(e[6]->type == REDIS_REPLY_STRING && e[6]->len == sizeof(mid) &&
               !memcmp(e[6]->str, mid, sizeof(mid)),
           "  a 5000-byte value");
        ok(e[8]->type == REDIS_REPLY_STRING && !strcmp(e[8]->str, "v"), "  a key with a TTL");
        ok(e[10]->type == REDIS_REPLY_STRING && e[10]->len == 0, "  an empty value");
        ok(e[11]->type == REDIS_REPLY_STRING && (size_t)e[11]->len == n1 &&
               !memcmp(e[11]->str, want1, n1),
           "  another small value");
    }
    freeReplyObject(r);
    /* Redis counts a found key of another type as a hit, an expired one as a miss. */
    is_int(ts_info_field(c, "stats", "keyspace_hits") - hits0, 11, "11 keyspace hits");
    is_int(ts_info_field(c, "stats", "keyspace_misses") - miss0, 3, "3 keyspace misses");
    is_integer(cmd(c, "EXISTS gone"), 0, "the expired key is gone");
    r = cmd(c, "MGET gone");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
           r->element[0]->type == REDIS_REPLY_NIL,
       "MGET of it alone: one nil");
    freeReplyObject(r);
    is_error(cmd(c, "MGET"), "ERR wrong number of arguments for 'mget' command", "MGET arity");
}

/* MGET inside MULTI/EXEC and a script sees the writes made before it in the same
 * transaction (omenkv reads those through the open transaction, key by key). */
static void test_tx(redisContext *c)
{
    redisReply *r;

    is_status(cmd(c, "SET tx:a old"), "OK", "SET tx:a old");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SET tx:a new"), "QUEUED", "  SET queued");
    is_status(cmd(c, "SET tx:b bee"), "QUEUED", "  SET queued");
    is_status(cmd(c, "MGET tx:a tx:b tx:c k:5"), "QUEUED", "  MGET queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
           r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements == 4 &&
           !strcmp(r->element[2]->element[0]->str, "new") &&
           !strcmp(r->element[2]->element[1]->str, "bee") &&
           r->element[2]->element[2]->type == REDIS_REPLY_NIL &&
           r->element[2]->element[3]->type == REDIS_REPLY_STRING,
       "EXEC: MGET sees the transaction's own writes");
    freeReplyObject(r);
    r = cmd(c, "EVAL %s 1 tx:a",
            "redis.call('SET', KEYS[1], 'lua'); redis.call('DEL', 'tx:b'); "
            "return redis.call('MGET', KEYS[1], 'tx:b', KEYS[1])");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
           r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "lua") &&
           r->element[1]->type == REDIS_REPLY_NIL && r->element[2]->type == REDIS_REPLY_STRING &&
           !strcmp(r->element[2]->str, "lua"),
       "EVAL: MGET sees the script's own SET and DEL");
    freeReplyObject(r);
}

/* omenkv only: values read by MGET are cached as GET caches them, and the cache agrees
 * with RocksDB afterwards (DEBUG CHECK compares every cached value). */
static void test_cache_fill(const struct tserver *s, redisContext *c)
{
    char *keys[20];
    long long reads0, hits0;
    redisReply *r;
    int right = 1, warm = 0;

    if (s->external) {
        skip("omenkv only: the cache filled by MGET");
        skip("omenkv only: the same keys again");
        skip("omenkv only: served by the cache");
        skip("omenkv only: DEBUG CHECK");
        return;
    }
    for (int i = 0; i < 20; i++) {
        keys[i] = malloc(16);
        snprintf(keys[i], 16, "k:%d", 3000 + i);
    }
    /* SIEVE evicts a newcomer not read again before its hand reaches it: a few passes
     * may be needed before all 20 (about 7 KB) stay in the 64 KB cache. */
    for (int pass = 0; pass < 30 && !warm; pass++) {
        reads0 = ts_info_field(c, "stats", "rocksdb_reads");
        freeReplyObject(mget(c, keys, 20));
        warm = ts_info_field(c, "stats", "rocksdb_reads") == reads0;
    }
    ok(warm, "omenkv: MGET alone brings 20 keys into the cache after a few passes");
    reads0 = ts_info_field(c, "stats", "rocksdb_reads");
    hits0 = ts_info_field(c, "cache", "cache_hits");
    r = mget(c, keys, 20);
    for (int i = 0; i < 20 && r && r->type == REDIS_REPLY_ARRAY; i++) {
        char want[256];
        size_t n = value_of(3000 + i, want);

        right &= r->element[i]->type == REDIS_REPLY_STRING && (size_t)r->element[i]->len == n &&
                 !memcmp(r->element[i]->str, want, n);
    }
    ok(r && r->type == REDIS_REPLY_ARRAY && right, "omenkv: the same 20 keys again, right");
    freeReplyObject(r);
    ok(ts_info_field(c, "cache", "cache_hits") - hits0 == 20 &&
           ts_info_field(c, "stats", "rocksdb_reads") == reads0,
       "omenkv: and served by the cache alone (20 hits, no RocksDB read)");
    is_status(cmd(c, "DEBUG CHECK"), "OK", "omenkv: DEBUG CHECK (cache, index, RocksDB agree)");
    for (int i = 0; i < 20; i++)
        free(keys[i]);
}

/* ---- A writer and MGET readers on the same keys ---- */

#define CO_KEYS 40

/* Varied lengths, some fragmented (over 256 bytes). */
static int co_pad(long long v)
{
    return (int)(v % 7 == 0 ? 300 : v % 60);
}

/* One MGET of every key. */
static void co_mget(struct tco *co, redisContext *c)
{
    char *keys[CO_KEYS], names[CO_KEYS][16];
    long long before[CO_KEYS];
    redisReply *r;

    for (int k = 0; k < CO_KEYS; k++) {
        snprintf(names[k], sizeof(names[k]), "co:%d", k);
        keys[k] = names[k];
        before[k] = atomic_load(&co->acked[k]);
    }
    r = mget(c, keys, CO_KEYS);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != CO_KEYS)
        tco_check(co, 0, 0, NULL);
    else
        for (int k = 0; k < CO_KEYS; k++)
            tco_check(co, k, before[k], r->element[k]);
    freeReplyObject(r);
}

static void test_race(const struct tserver *s, redisContext *c)
{
    struct tco *co = calloc(1, sizeof(*co));

    co->s = s;
    co->nkeys = CO_KEYS;
    co->stride = 7;
    co->writes = 3000;
    co->pad_of = co_pad;
    co->read_round = co_mget;
    tco_run(co, 2);
    is_int(atomic_load(&co->wrong), 0, "writer and MGET readers: every reply well-formed");
    is_int(atomic_load(&co->stale), 0,
           "no MGET element older than a SET acknowledged before it was sent (%ld MGETs)",
           atomic_load(&co->reads));
    if (s->external)
        skip("omenkv only: DEBUG CHECK after the race");
    else
        is_status(cmd(c, "DEBUG CHECK"), "OK", "omenkv: DEBUG CHECK after the race");
    free(co);
}

int main(void)
{
    static const char *args[] = {"--maxmemory", "64kb", "--string-fragment-threshold", "256",
                                 "--rocksdb-block-cache-size", "1mb", NULL};
    struct tserver s;
    redisContext *c = ts_begin(&s, args, 1);

    load(c);
    test_uncached(&s, c);
    test_mixed(c);
    test_tx(c);
    test_cache_fill(&s, c);
    test_race(&s, c);
    is_status(cmd(c, "PING"), "PONG", "the server still answers");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
