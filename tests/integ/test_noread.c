/* test_noread.c - what the in-RAM index promises, observed from outside: a missing key
 * (GET, EXISTS), DBSIZE, SCAN, KEYS, RANDOMKEY, TTL/PTTL/EXPIRETIME, TYPE and STRLEN
 * are answered without one RocksDB read (INFO stats rocksdb_reads does not move), and
 * the index is rebuilt from RocksDB at restart with every key, length and expiry.
 * The same for hashes and sets (issue 20), small (inline) and split ones on a server
 * with --collection-inline-max-bytes 64: TYPE, EXISTS, HLEN, SCARD, DBSIZE, SCAN and
 * SCAN TYPE read nothing, before and after a restart. And strings kept in fragments
 * (issue 22; --string-fragment-threshold 256): TYPE, EXISTS and STRLEN read nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

#define NKEYS 2000

/* The collections' server: NCOLL inline and NCOLL split hashes and sets, NCOLL strings. */
#define NCOLL 100
#define SPLIT_ELEMS 40 /* elements of a split collection: well past 64 bytes */

/* NKEYS keys without expiry and one with: one TAP assertion that every SET said OK. */
static void load(redisContext *c)
{
    for (int i = 0; i < NKEYS; i++)
        redisAppendCommand(c, "SET key:%06d value-%d", i, i);
    redisAppendCommand(c, "SET volatile:1 x PX 600000");
    ok(ts_read_replies(c, NKEYS + 1, REDIS_REPLY_STATUS) == 0, "loaded %d keys", NKEYS + 1);
}

/* ts_key_fn: count one more key in the long long at 'arg'. */
static void count_key(void *arg, const char *key, size_t len)
{
    OMK_UNUSED(key);
    OMK_UNUSED(len);
    (*(long long *)arg)++;
}

/* Run the metadata-only commands; every one must be answered from RAM. */
static void metadata_commands(redisContext *c, const char *when)
{
    static const char *const count100[] = {"COUNT", "100", NULL};
    long long before = ts_info_field(c, "stats", "rocksdb_reads"), after;
    redisReply *r;
    long long scanned = 0;
    int bad = 0;

    ok(before >= 0, "INFO stats has rocksdb_reads (%s)", when);
    for (int i = 0; i < 200; i++) {
        r = cmd(c, "GET missing:%d", i);
        bad += !(r && r->type == REDIS_REPLY_NIL);
        freeReplyObject(r);
        r = cmd(c, "EXISTS key:%06d missing:%d", i, i);
        bad += !(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
        freeReplyObject(r);
    }
    ok(bad == 0, "GET of missing keys and EXISTS answer right (%s)", when);
    is_integer(cmd(c, "DBSIZE"), NKEYS + 1, "DBSIZE");
    ts_scan_all(c, count100, count_key, &scanned, 0);
    is_int(scanned, NKEYS + 1, "a full SCAN sees every key (%s)", when);
    r = cmd(c, "KEYS key:00000*");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 10, "KEYS with a prefix");
    freeReplyObject(r);
    r = cmd(c, "RANDOMKEY");
    ok(r && r->type == REDIS_REPLY_STRING && r->len > 0, "RANDOMKEY returns a key");
    freeReplyObject(r);
    is_integer(cmd(c, "TTL key:000001"), -1, "TTL of a key without expiry");
    is_integer(cmd(c, "TTL missing"), -2, "TTL of a missing key");
    r = cmd(c, "PTTL volatile:1");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 500000 && r->integer <= 600000,
       "PTTL of a volatile key (%s)", when);
    freeReplyObject(r);
    r = cmd(c, "EXPIRETIME volatile:1");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 1700000000, "EXPIRETIME");
    freeReplyObject(r);
    is_status(cmd(c, "TYPE key:000002"), "string", "TYPE of a string");
    is_status(cmd(c, "TYPE missing"), "none", "TYPE of a missing key");
    is_integer(cmd(c, "STRLEN key:001234"), 10, "STRLEN from the stored length");
    is_integer(cmd(c, "STRLEN missing"), 0, "STRLEN of a missing key");
    after = ts_info_field(c, "stats", "rocksdb_reads");
    is_int(after, before, "none of those read RocksDB (%s)", when);
    is_str(cmd(c, "GET key:000042"), "value-42", 8, "GET of a present key still works");
}

/* ---- hashes and sets ---- */

/* NCOLL of each: inline hashes ih:N (2 fields), split hashes sh:N (SPLIT_ELEMS fields),
 * inline sets is:N (2 members), split sets ss:N (SPLIT_ELEMS members), strings str:N,
 * and one hash with a TTL. One TAP assertion: every write answered as expected. */
static void coll_load(redisContext *c)
{
    int bad = 0, n = 0;

    for (int i = 0; i < NCOLL; i++) {
        redisAppendCommand(c, "HSET ih:%03d a 1 b 2", i);
        redisAppendCommand(c, "SADD is:%03d x y", i);
        n += 2;
    }
    bad += ts_read_replies(c, n, REDIS_REPLY_INTEGER);
    for (int i = 0; i < NCOLL; i++) /* 5001 bytes: kept in fragments */
        redisAppendCommand(c, "SETRANGE str:%03d 5000 v", i);
    bad += ts_read_replies(c, NCOLL, REDIS_REPLY_INTEGER);
    for (int i = 0; i < NCOLL; i++) {
        for (int k = 0; k < SPLIT_ELEMS; k++) {
            redisAppendCommand(c, "HSET sh:%03d field-%02d value-%02d", i, k, k);
            redisAppendCommand(c, "SADD ss:%03d member-%02d", i, k);
        }
    }
    bad += ts_read_replies(c, 2 * NCOLL * SPLIT_ELEMS, REDIS_REPLY_INTEGER);
    redisAppendCommand(c, "HSET vh f v");
    redisAppendCommand(c, "PEXPIRE vh 600000");
    bad += ts_read_replies(c, 2, REDIS_REPLY_INTEGER);
    ok(bad == 0, "loaded %d hashes, %d sets and %d fragmented strings", 2 * NCOLL + 1, 2 * NCOLL,
       NCOLL);
}

/* Run 'line' formatted with 'i' and count it a failure unless it answers 'want' (an
 * integer) or, 'status' non-NULL, that status. */
static int coll_expect(redisContext *c, const char *fmt, int i, long long want,
                       const char *status)
{
    redisReply *r = cmd(c, fmt, i);
    int good = status ? r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, status)
                      : r && r->type == REDIS_REPLY_INTEGER && r->integer == want;

    if (!good) {
        diag("  %s (%d):", fmt, i);
        ts_diag_reply(r);
    }
    freeReplyObject(r);
    return !good;
}

/* HGETALL-like 'line' answers 2 * 'n' strings. */
static void is_pairs_of_count(redisContext *c, const char *line, int n, const char *when)
{
    redisReply *r = redisCommand(c, line);

    if (!ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 * (size_t)n, "%s: %d fields (%s)",
            line, n, when))
        ts_diag_reply(r);
    freeReplyObject(r);
}

/* Every metadata command on the collections, answered right and from RAM. */
static void coll_metadata(redisContext *c, const char *when)
{
    static const char *const t_hash[] = {"TYPE", "hash", "COUNT", "50", NULL};
    static const char *const t_set[] = {"TYPE", "set", "COUNT", "50", NULL};
    static const char *const t_string[] = {"TYPE", "string", "COUNT", "50", NULL};
    static const char *const count100[] = {"COUNT", "100", NULL};
    long long before, after, all = 0, hashes = 0, sets = 0, strings = 0;
    int bad = 0;
    redisReply *r;

    /* It counts live collection ids: the fragmented strings hold one each. */
    is_int(ts_info_field(c, "persistence", "collections_split"), 3 * NCOLL,
           "INFO collections_split: the %d collections of %d elements are split and the %d "
           "strings fragmented (%s)", 2 * NCOLL, SPLIT_ELEMS, NCOLL, when);
    before = ts_info_field(c, "stats", "rocksdb_reads");
    ok(before >= 0, "INFO stats has rocksdb_reads (collections, %s)", when);
    for (int i = 0; i < NCOLL; i++) {
        bad += coll_expect(c, "TYPE ih:%03d", i, 0, "hash");
        bad += coll_expect(c, "TYPE sh:%03d", i, 0, "hash");
        bad += coll_expect(c, "TYPE is:%03d", i, 0, "set");
        bad += coll_expect(c, "TYPE ss:%03d", i, 0, "set");
    }
    ok(bad == 0, "TYPE of inline and split hashes and sets (%s)", when);
    bad = 0;
    for (int i = 0; i < NCOLL; i++) {
        r = cmd(c, "EXISTS ih:%03d sh:%03d is:%03d ss:%03d nokey:%d", i, i, i, i, i);
        bad += !(r && r->type == REDIS_REPLY_INTEGER && r->integer == 4);
        freeReplyObject(r);
    }
    ok(bad == 0, "EXISTS of each collection (%s)", when);
    bad = 0;
    for (int i = 0; i < NCOLL; i++) {
        bad += coll_expect(c, "HLEN ih:%03d", i, 2, NULL);
        bad += coll_expect(c, "HLEN sh:%03d", i, SPLIT_ELEMS, NULL);
        bad += coll_expect(c, "HLEN nokey:%d", i, 0, NULL);
    }
    ok(bad == 0, "HLEN of inline, split and missing hashes (%s)", when);
    bad = 0;
    for (int i = 0; i < NCOLL; i++) {
        bad += coll_expect(c, "SCARD is:%03d", i, 2, NULL);
        bad += coll_expect(c, "SCARD ss:%03d", i, SPLIT_ELEMS, NULL);
        bad += coll_expect(c, "SCARD nokey:%d", i, 0, NULL);
    }
    ok(bad == 0, "SCARD of inline, split and missing sets (%s)", when);
    bad = 0;
    for (int i = 0; i < NCOLL; i++) {
        bad += coll_expect(c, "STRLEN str:%03d", i, 5001, NULL);
        bad += coll_expect(c, "TYPE str:%03d", i, 0, "string");
        bad += coll_expect(c, "EXISTS str:%03d", i, 1, NULL);
    }
    ok(bad == 0, "STRLEN, TYPE and EXISTS of strings kept in fragments (%s)", when);
    is_integer(cmd(c, "DBSIZE"), 5 * NCOLL + 1, "DBSIZE counts every collection");
    ts_scan_all(c, count100, count_key, &all, 0);
    is_int(all, 5 * NCOLL + 1, "a full SCAN sees every key (%s)", when);
    ts_scan_all(c, t_hash, count_key, &hashes, 0);
    is_int(hashes, 2 * NCOLL + 1, "SCAN TYPE hash sees every hash (%s)", when);
    ts_scan_all(c, t_set, count_key, &sets, 0);
    is_int(sets, 2 * NCOLL, "SCAN TYPE set sees every set (%s)", when);
    ts_scan_all(c, t_string, count_key, &strings, 0);
    is_int(strings, NCOLL, "SCAN TYPE string sees every string (%s)", when);
    r = cmd(c, "PTTL vh");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 500000 && r->integer <= 600000,
       "PTTL of a hash (%s)", when);
    freeReplyObject(r);
    after = ts_info_field(c, "stats", "rocksdb_reads");
    is_int(after, before, "none of those read RocksDB (collections, %s)", when);

    /* a wrong type is known from RAM too */
    before = after;
    is_error(cmd(c, "HLEN is:000"), "WRONGTYPE Operation against a key holding the wrong kind of value",
             "HLEN of a set -> WRONGTYPE");
    is_error(cmd(c, "SCARD sh:000"), "WRONGTYPE Operation against a key holding the wrong kind of value",
             "SCARD of a hash -> WRONGTYPE");
    is_error(cmd(c, "HLEN str:000"), "WRONGTYPE Operation against a key holding the wrong kind of value",
             "HLEN of a string -> WRONGTYPE");
    after = ts_info_field(c, "stats", "rocksdb_reads");
    is_int(after, before, "WRONGTYPE from HLEN and SCARD read nothing either (%s)", when);
    /* the counter does see collection reads: what the checks above rely on (elements not
     * there, which the element cache never answers) */
    is_str(cmd(c, "HGET sh:007 field-39"), "value-39", 8, "HGET of a split hash still works");
    is_integer(cmd(c, "SISMEMBER ss:007 member-39"), 1, "SISMEMBER of a split set still works");
    is_nil(cmd(c, "HGET sh:007 field-none"), "HGET of a field not in a split hash");
    is_integer(cmd(c, "SISMEMBER ss:007 member-none"), 0, "SISMEMBER of a member not in a split set");
    is_pairs_of_count(c, "HGETALL sh:008", SPLIT_ELEMS, when);
    after = ts_info_field(c, "stats", "rocksdb_reads");
    ok(after > before, "... those did read RocksDB: rocksdb_reads %lld -> %lld (%s)", before,
       after, when);
}

static void collections(void)
{
    static const char *args[] = {"--collection-inline-max-bytes", "64",
                                 "--string-fragment-threshold", "256", NULL};
    struct tserver s;
    redisContext *c;

    diag("---- hashes and sets, inline and split (--collection-inline-max-bytes 64)");
    c = ts_begin(&s, args, 0);
    coll_load(c);
    coll_metadata(c, "after loading");
    redisFree(c);
    ok(ts_restart(&s) == 0, "restart the collections' server");
    c = ts_connect(&s);
    coll_metadata(c, "after restart");
    redisFree(c);
    ts_cleanup(&s);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("omenkv only: reads INFO rocksdb_reads");
    c = ts_begin(&s, NULL, 0);
    load(c);
    metadata_commands(c, "after loading");
    ok(ts_info_field(c, "memory", "index_keys") == NKEYS + 1,
       "INFO memory counts the indexed keys");
    redisFree(c);

    ok(ts_restart(&s) == 0, "restart on the same data");
    c = ts_connect(&s);
    metadata_commands(c, "after restart");
    redisFree(c);
    ts_cleanup(&s);
    collections();
    return tap_done();
}
