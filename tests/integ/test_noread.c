/* test_noread.c - what the in-RAM index promises, observed from outside: a missing key
 * (GET, EXISTS), DBSIZE, SCAN, KEYS, RANDOMKEY, TTL/PTTL/EXPIRETIME, TYPE and STRLEN
 * are answered without one RocksDB read (INFO stats rocksdb_reads does not move), and
 * the index is rebuilt from RocksDB at restart with every key, length and expiry. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

#define NKEYS 2000

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
    return tap_done();
}
