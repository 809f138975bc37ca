/* test_index_file.c - the key index kept across a clean shutdown (store/index_file.c):
 * SIGTERM writes <dir>/index.omk and the next start reads it instead of every key of
 * RocksDB, with the same keys, types, counts, expiries, encodings and values (DEBUG
 * CHECK compares the index with RocksDB key by key, DEBUG DIGEST the whole dataset);
 * a file that does not match what RocksDB holds is never used: one older than the
 * database's last write, one damaged, cut short or written beside another database,
 * and one present while index-file is no. Every start removes the file; kill -9 writes
 * none. omenkv only: skipped against an external server (OMK_TEST_SERVER). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/integ/tproc.h"

/* Small memtables: the keys live in many table files, which compactions rewrite. */
static const char *args_on[] = {"--enable-debug-command", "yes",
                                "--rocksdb-write-buffer-size", "64kb",
                                "--collection-inline-max-bytes", "256",
                                "--string-fragment-threshold", "256", NULL};
static const char *args_off[] = {"--enable-debug-command", "yes",
                                 "--rocksdb-write-buffer-size", "64kb",
                                 "--collection-inline-max-bytes", "256",
                                 "--string-fragment-threshold", "256",
                                 "--index-file", "no", NULL};

/* '<dir>/index.omk' of 's' into 'buf'. */
static const char *ixf(const struct tserver *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/index.omk", s->dir);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

static long long file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The integer reply of 'r' (freed), or -1. */
static long long int_of(redisReply *r)
{
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    freeReplyObject(r);
    return v;
}

/* Whether reply 'r' (freed) is the status or bulk string 'want'. */
static int str_is(redisReply *r, const char *want)
{
    int eq = r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) &&
             r->len == strlen(want) && memcmp(r->str, want, r->len) == 0;

    if (!eq)
        ts_diag_reply(r);
    freeReplyObject(r);
    return eq;
}

/* The digest of the whole dataset, into 'out' (DEBUG DIGEST's 40 hex digits). */
static void digest(redisContext *c, char *out, size_t cap)
{
    redisReply *r = redisCommand(c, "DEBUG DIGEST");

    snprintf(out, cap, "%s", r && r->type == REDIS_REPLY_STATUS ? r->str : "(none)");
    freeReplyObject(r);
}

/* Keys of every kind in dbs 0, 1 and 15, some expiring, some split, one with a long name,
 * and a SWAPDB (the index holds physical dbs, the meta column family the mapping). */
static void fill(redisContext *c)
{
    char big[1000], *longkey = malloc(70001);
    int bad = 0;

    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memset(longkey, 'k', 70000);
    longkey[70000] = '\0';
    for (int db = 0; db < 16; db += (db == 1 ? 14 : 1)) {
        bad += !str_is(cmd(c, "SELECT %d", db), "OK");
        bad += !str_is(cmd(c, "SET str hello"), "OK");
        bad += !str_is(cmd(c, "SET int 12345"), "OK");
        bad += !str_is(cmd(c, "SET frag %s", big), "OK"); /* fragments: a split string */
        bad += !str_is(cmd(c, "SET ttl x EX 1000"), "OK");
        bad += int_of(cmd(c, "HSET hsmall f v")) != 1;
        bad += int_of(cmd(c, "SADD iset 1 2 3")) != 3;
        for (int i = 0; i < 300; i++) {
            redisAppendCommand(c, "HSET hbig f%d %d", i, i);
            redisAppendCommand(c, "SADD sbig m%d", i);
            redisAppendCommand(c, "RPUSH lbig e%d", i);
            redisAppendCommand(c, "ZADD zbig %d m%d", i, i);
        }
        bad += ts_read_replies(c, 1200, REDIS_REPLY_INTEGER) != 0;
        bad += int_of(cmd(c, "PEXPIRE hbig 5000000")) != 1;
        bad += int_of(cmd(c, "PFADD hll a b c")) != 1;
    }
    bad += !str_is(cmd(c, "SELECT 0"), "OK");
    bad += !str_is(cmd(c, "SET %s long", longkey), "OK");
    bad += !str_is(cmd(c, "SET 5:a only-in-5"), "OK");
    bad += int_of(cmd(c, "MOVE 5:a 5")) != 1;
    bad += !str_is(cmd(c, "SWAPDB 5 6"), "OK");
    is_int(bad, 0, "keys of every kind written in dbs 0, 1 and 15, a 70,000-byte key, SWAPDB");
    free(longkey);
}

/* After a start: the index and RocksDB agree, and the dataset is the one before. */
static void check_same(redisContext *c, const char *want, long long want_keys, const char *when)
{
    char got[128];

    ok(str_is(cmd(c, "DEBUG CHECK"), "OK"), "%s: DEBUG CHECK", when);
    digest(c, got, sizeof(got));
    ok(strcmp(got, want) == 0, "%s: the same DEBUG DIGEST", when);
    is_int(int_of(cmd(c, "DBSIZE")), want_keys, "%s: DBSIZE", when);
}

/* Stop 's' with SIGTERM (exit 0 expected). */
static void stop(struct tserver *s, redisContext **c)
{
    redisFree(*c);
    *c = NULL;
    is_int(ts_stop(s), 0, "SIGTERM: the server exits with status 0");
}

/* Start 's' again and connect; 0, or -1 after a Bail out line. */
static int start(struct tserver *s, redisContext **c, const char *why)
{
    if (!ok(ts_restart(s) == 0 && (*c = ts_connect(s)) != NULL, "restart: %s", why)) {
        printf("Bail out! the server did not start again\n");
        return -1;
    }
    return 0;
}

/* Start 's' again as start() does, and check that its log gained exactly one line
 * containing 'says' (assertion 'what'). 0, or -1 after a Bail out line. */
static int start_saying(struct tserver *s, redisContext **c, const char *why, const char *says,
                        const char *what)
{
    int before = tp_log_count(s, says);

    if (start(s, c, why) != 0)
        return -1;
    is_int(tp_log_count(s, says), before + 1, "%s", what);
    return 0;
}

int main(void)
{
    struct tserver s, other;
    redisContext *c, *c2;
    char path[512], bak[600], want[128];
    long long keys0;

    c = ts_begin(&s, args_on, 1);
    if (s.external) {
        skip("the index file: an external server cannot be restarted from here");
        redisFree(c);
        return tap_done();
    }
    ixf(&s, path, sizeof(path));
    snprintf(bak, sizeof(bak), "%s.bak", path);

    diag("---- an empty database");
    stop(&s, &c);
    ok(exists(path), "a clean stop writes index.omk, even of an empty database");
    if (start(&s, &c, "an empty database") != 0)
        return 1;
    is_int(tp_log_count(&s, " 0 keys read from"), 1, "the start read the file");
    ok(!exists(path), "the start removed the file");
    is_int(int_of(cmd(c, "DBSIZE")), 0, "DBSIZE 0");

    diag("---- a clean restart reads the file");
    fill(c);
    keys0 = int_of(cmd(c, "DBSIZE"));
    digest(c, want, sizeof(want));
    ok(str_is(cmd(c, "DEBUG CHECK"), "OK"), "DEBUG CHECK before the restart");
    stop(&s, &c);
    ok(file_size(path) > 70000, "index.omk written (%lld bytes)", file_size(path));
    if (start_saying(&s, &c, "the file written at the stop", "keys read from",
                     "the start read the file") != 0)
        return 1;
    ok(!exists(path), "the start removed the file");
    check_same(c, want, keys0, "after reading the file");
    ok(int_of(cmd(c, "TTL ttl")) > 900, "an expiry kept");
    ok(int_of(cmd(c, "PTTL hbig")) > 4000000, "a split hash's expiry kept");
    is_int(int_of(cmd(c, "HLEN hbig")), 300, "a split hash's count");
    ok(str_is(cmd(c, "OBJECT ENCODING sbig"), "hashtable"), "a set's encoding");
    ok(str_is(cmd(c, "OBJECT ENCODING iset"), "intset"), "an intset's encoding");
    ok(str_is(cmd(c, "SELECT 6"), "OK") && str_is(cmd(c, "GET 5:a"), "only-in-5") &&
           str_is(cmd(c, "SELECT 0"), "OK"),
       "SWAPDB's mapping kept");
    is_int(int_of(cmd(c, "HSET hbig new 1")), 1, "a split hash takes writes");
    is_int(int_of(cmd(c, "DEL sbig")), 1, "a split set deleted");
    ok(str_is(cmd(c, "DEBUG CHECK"), "OK"), "DEBUG CHECK after writes");

    diag("---- a file older than the last write is not used");
    stop(&s, &c);
    ok(ts_system("cp '%s' '%s'", path, bak) == 0, "keep a copy of the file");
    if (start(&s, &c, "the file") != 0)
        return 1;
    ok(str_is(cmd(c, "SET after-copy 1"), "OK"), "a write after the copy");
    is_int(int_of(cmd(c, "DEL str")), 1, "a delete after the copy");
    keys0 = int_of(cmd(c, "DBSIZE"));
    digest(c, want, sizeof(want));
    redisFree(c);
    c = NULL;
    ts_kill9(&s);
    ok(!exists(path), "kill -9 writes no file");
    ok(ts_system("cp '%s' '%s'", bak, path) == 0, "put the old file back");
    if (start_saying(&s, &c, "an old file", "not used (RocksDB is at sequence number",
                     "the start said why it did not use the file") != 0)
        return 1;
    ok(!exists(path), "the start removed the file");
    check_same(c, want, keys0, "after the old file");
    ok(str_is(cmd(c, "GET after-copy"), "1"), "the write after the copy is there");
    is_nil(cmd(c, "GET str"), "the delete after the copy holds");

    diag("---- a damaged or cut file is not used");
    stop(&s, &c);
    ok(ts_system("printf 'X' | dd of='%s' bs=1 seek=%lld conv=notrunc status=none", path,
                 file_size(path) / 2) == 0, "a byte in the middle overwritten");
    if (start_saying(&s, &c, "a damaged file", "not used (a block's hash does not match",
                     "the damage was seen") != 0)
        return 1;
    check_same(c, want, keys0, "after the damaged file");
    stop(&s, &c);
    ok(truncate(path, file_size(path) - 100) == 0, "the file cut short");
    if (start_saying(&s, &c, "a cut file", "not used (the file ends early",
                     "the cut was seen") != 0)
        return 1;
    check_same(c, want, keys0, "after the cut file");

    diag("---- a file written beside another database is not used");
    c2 = ts_begin(&other, args_on, 0);
    ok(str_is(cmd(c2, "SET mine 1"), "OK"), "the other database's key");
    stop(&other, &c2);
    stop(&s, &c);
    ok(ts_system("cp '%s/index.omk' '%s'", other.dir, path) == 0,
       "the other database's file copied in");
    if (start_saying(&s, &c, "another database's file",
                     "not used (written beside another database",
                     "the other database's file was refused") != 0)
        return 1;
    check_same(c, want, keys0, "after another database's file");
    ts_cleanup(&other);

    diag("---- index-file no");
    stop(&s, &c);
    ok(exists(path), "index.omk written");
    s.args = args_off;
    if (start_saying(&s, &c, "index-file no", "not used (this start may drop log records",
                     "a file found with index-file no is not used") != 0)
        return 1;
    ok(!exists(path), "... and removed");
    check_same(c, want, keys0, "with index-file no");
    stop(&s, &c);
    ok(!exists(path), "index-file no writes no file");

    ts_cleanup(&s);
    return tap_done();
}
