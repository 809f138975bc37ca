/* test_noread.c - what the in-RAM index promises, observed from outside: a missing key
 * (GET, EXISTS), DBSIZE, SCAN, KEYS, RANDOMKEY, TTL/PTTL/EXPIRETIME, TYPE and STRLEN
 * are answered without one RocksDB read (INFO stats rocksdb_reads does not move), and
 * the index is rebuilt from RocksDB at restart with every key, length and expiry. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

#define NKEYS 2000

/* The value of INFO field 'name' (an integer), or -1. */
static long long info_field(redisContext *c, const char *section, const char *name)
{
    redisReply *r = cmd(c, "INFO %s", section);
    long long v = -1;
    char pat[128];
    const char *p;

    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    if (r && r->type == REDIS_REPLY_STRING && (p = strstr(r->str, pat)) != NULL)
        v = atoll(p + strlen(pat));
    freeReplyObject(r);
    return v;
}

static void load(redisContext *c)
{
    int bad = 0;

    for (int i = 0; i < NKEYS; i++)
        redisAppendCommand(c, "SET key:%06d value-%d", i, i);
    redisAppendCommand(c, "SET volatile:1 x PX 600000");
    for (int i = 0; i <= NKEYS; i++) {
        redisReply *r = NULL;

        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STATUS)
            bad++;
        freeReplyObject(r);
    }
    ok(bad == 0, "loaded %d keys", NKEYS + 1);
}

/* Run the metadata-only commands; every one must be answered from RAM. */
static void metadata_commands(redisContext *c, const char *when)
{
    long long before = info_field(c, "stats", "rocksdb_reads"), after;
    redisReply *r;
    uint64_t cursor = 0;
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
    do {
        r = cmd(c, "SCAN %llu COUNT 100", (unsigned long long)cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            break;
        }
        cursor = strtoull(r->element[0]->str, NULL, 10);
        scanned += (long long)r->element[1]->elements;
        freeReplyObject(r);
    } while (cursor != 0);
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
    after = info_field(c, "stats", "rocksdb_reads");
    is_int(after, before, "none of those read RocksDB (%s)", when);
    is_str(cmd(c, "GET key:000042"), "value-42", 8, "GET of a present key still works");
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("omenkv only: reads INFO rocksdb_reads");
    if (ts_start(&s, NULL) != 0) {
        printf("Bail out! server did not start\n");
        return 1;
    }
    c = ts_connect(&s);
    load(c);
    metadata_commands(c, "after loading");
    ok(info_field(c, "memory", "index_keys") == NKEYS + 1, "INFO memory counts the indexed keys");
    redisFree(c);

    ok(ts_restart(&s) == 0, "restart on the same data");
    c = ts_connect(&s);
    metadata_commands(c, "after restart");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
