/* test_coll.c - hashes and sets as keys, against a real server: the generic commands on
 * both types (TYPE EXISTS DEL UNLINK, the EXPIRE family with NX XX GT LT, TTL PTTL
 * PERSIST, RENAME RENAMENX, COPY with DB and REPLACE and a copy independent of its
 * original, MOVE, TOUCH, DBSIZE, SCAN TYPE, KEYS), OBJECT ENCODING through Redis 7.0's
 * conversions (listpack -> hashtable by entries and by value length, intset ->
 * hashtable by a non-integer member and by entries, never back after deleting down;
 * CONFIG GET/SET of the limits and their ziplist aliases), WRONGTYPE both ways, SET over
 * a collection, MULTI/EXEC, WATCH (what a write to a collection touches, and EXEC
 * failing after a watched key expired, as 7.0's isWatchedKeyExpired does).
 * Then, on omenkv only (skipped against an external server): collections surviving a
 * restart with their counts, contents and TTLs, and a server with a small
 * --collection-inline-max-bytes where hashes and sets are grown past the inline limit
 * and shrunk back, every reply checked against a model along the way. Every other
 * expectation was checked against redis-server 7.0 (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define BIG 1000

/* tc_fill() of elements "<prefix>0" .. "<prefix>(n-1)", with values "v<N>" for HSET. */
static long long fill(redisContext *c, const char *verb, const char *key, const char *prefix,
                      int n)
{
    return tc_fill(c, verb, key, prefix, 0, strcmp(verb, "HSET") ? NULL : "v", 0, n);
}

/* OBJECT ENCODING of 'key' is 'want'. */
static void enc_is(redisContext *c, const char *key, const char *want, const char *name)
{
    is_str(cmd(c, "OBJECT ENCODING %s", key), want, strlen(want), name);
}

/* The TTL of 'key' is within [lo, hi]. */
static void ttl_within(redisContext *c, const char *verb, const char *key, long long lo,
                       long long hi, const char *name)
{
    redisReply *r = cmd(c, "%s %s", verb, key);

    if (!ok(r && r->type == REDIS_REPLY_INTEGER && r->integer >= lo && r->integer <= hi, "%s",
            name)) {
        ts_diag_reply(r);
        diag("  wanted %s in [%lld, %lld]", verb, lo, hi);
    }
    freeReplyObject(r);
}

/* ---- TYPE EXISTS DEL UNLINK TOUCH ---- */

static void test_basic_keys(redisContext *c)
{
    tc_section(c, "TYPE EXISTS DEL UNLINK TOUCH");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_integer(cmd(c, "SADD s m"), 1, "a set");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_status(cmd(c, "TYPE h"), "hash", "TYPE hash");
    is_status(cmd(c, "TYPE s"), "set", "TYPE set");
    is_status(cmd(c, "TYPE str"), "string", "TYPE string");
    is_integer(cmd(c, "EXISTS h s str nokey h"), 4, "EXISTS counts hashes and sets");
    is_integer(cmd(c, "TOUCH h s nokey"), 2, "TOUCH counts a hash and a set");
    is_integer(cmd(c, "DEL h s nokey"), 2, "DEL of a hash and a set -> 2");
    is_integer(cmd(c, "EXISTS h s"), 0, "... both gone");
    is_status(cmd(c, "TYPE h"), "none", "... TYPE none");
    is_integer(cmd(c, "HLEN h"), 0, "... HLEN 0");
    is_integer(cmd(c, "SCARD s"), 0, "... SCARD 0");
    is_integer(cmd(c, "HSET h g w"), 1, "a new hash under the deleted name");
    is_pairs_of(cmd(c, "HGETALL h"), "g w", "... holds only its own field");

    is_int(fill(c, "HSET", "bigh", "f", BIG), BIG, "a hash of %d fields", BIG);
    is_int(fill(c, "SADD", "bigs", "m", BIG), BIG, "a set of %d members", BIG);
    is_integer(cmd(c, "DBSIZE"), 4, "DBSIZE counts every key once");
    is_integer(cmd(c, "UNLINK bigh bigs nokey"), 2, "UNLINK of the large hash and set -> 2");
    is_integer(cmd(c, "EXISTS bigh bigs"), 0, "... both gone");
    is_integer(cmd(c, "DBSIZE"), 2, "DBSIZE after UNLINK");
    is_integer(cmd(c, "HSET bigh f1 x"), 1, "a new hash under the unlinked name");
    is_integer(cmd(c, "HLEN bigh"), 1, "... has one field");
    is_array_of(cmd(c, "HMGET bigh f0 f1 f999"), "(nil) x (nil)", "... none of the old ones");
    is_integer(cmd(c, "SADD bigs m5"), 1, "a new set under the unlinked name");
    is_set_of(cmd(c, "SMEMBERS bigs"), "m5", "... has one member");
    is_integer(cmd(c, "SISMEMBER bigs m6"), 0, "... none of the old ones");
    is_int(fill(c, "HSET", "bigh", "f", BIG), BIG - 1, "the hash grown to %d again", BIG);
    is_integer(cmd(c, "DEL bigh"), 1, "DEL of the large hash");
    is_integer(cmd(c, "HLEN bigh"), 0, "... HLEN 0");
}

/* ---- the EXPIRE family ---- */

static void test_expire(redisContext *c)
{
    static const char *const keys[] = {"h", "s"};

    tc_section(c, "EXPIRE TTL PERSIST on hashes and sets");
    is_integer(cmd(c, "HSET h a 1 b 2"), 2, "a hash");
    is_integer(cmd(c, "SADD s a b"), 2, "a set");
    for (int k = 0; k < 2; k++) {
        const char *key = keys[k];
        char name[128];

#define NAME(what) (snprintf(name, sizeof(name), "%s: %s", key, what), name)
        is_integer(cmd(c, "TTL %s", key), -1, NAME("TTL without expiry -> -1"));
        is_integer(cmd(c, "PTTL %s", key), -1, NAME("PTTL without expiry -> -1"));
        is_integer(cmd(c, "EXPIRE %s 100 XX", key), 0, NAME("EXPIRE XX without a TTL -> 0"));
        is_integer(cmd(c, "EXPIRE %s 100 GT", key), 0, NAME("EXPIRE GT without a TTL -> 0"));
        is_integer(cmd(c, "TTL %s", key), -1, NAME("... still no TTL"));
        is_integer(cmd(c, "EXPIRE %s 100 LT", key), 1, NAME("EXPIRE LT without a TTL -> 1"));
        ttl_within(c, "TTL", key, 99, 100, NAME("TTL 100"));
        is_integer(cmd(c, "EXPIRE %s 200 NX", key), 0, NAME("EXPIRE NX with a TTL -> 0"));
        is_integer(cmd(c, "EXPIRE %s 50 GT", key), 0, NAME("EXPIRE GT by a smaller TTL -> 0"));
        is_integer(cmd(c, "EXPIRE %s 200 GT", key), 1, NAME("EXPIRE GT by a larger TTL -> 1"));
        ttl_within(c, "TTL", key, 199, 200, NAME("TTL 200"));
        is_integer(cmd(c, "EXPIRE %s 300 LT", key), 0, NAME("EXPIRE LT by a larger TTL -> 0"));
        is_integer(cmd(c, "PEXPIRE %s 150000 LT", key), 1, NAME("PEXPIRE LT by a smaller TTL"));
        ttl_within(c, "PTTL", key, 149000, 150000, NAME("PTTL 150000"));
        is_integer(cmd(c, "EXPIRE %s 300 XX", key), 1, NAME("EXPIRE XX with a TTL -> 1"));
        is_integer(cmd(c, "EXPIREAT %s 9999999999", key), 1, NAME("EXPIREAT far ahead"));
        ttl_within(c, "EXPIRETIME", key, 9999999999LL, 9999999999LL, NAME("EXPIRETIME"));
        is_integer(cmd(c, "PERSIST %s", key), 1, NAME("PERSIST -> 1"));
        is_integer(cmd(c, "PERSIST %s", key), 0, NAME("PERSIST again -> 0"));
        is_integer(cmd(c, "TTL %s", key), -1, NAME("no TTL after PERSIST"));
        is_integer(cmd(c, "EXPIRE %s 100 NX", key), 1, NAME("EXPIRE NX without a TTL -> 1"));
        is_error(cmd(c, "EXPIRE %s 10 NX XX", key),
                 "ERR NX and XX, GT or LT options at the same time are not compatible",
                 NAME("EXPIRE NX XX -> error"));
        is_error(cmd(c, "EXPIRE %s 10 GT LT", key),
                 "ERR GT and LT options at the same time are not compatible",
                 NAME("EXPIRE GT LT -> error"));
#undef NAME
    }
    is_integer(cmd(c, "HSET h c 3"), 1, "HSET on a hash with a TTL");
    ttl_within(c, "TTL", "h", 95, 100, "... keeps the TTL");
    is_integer(cmd(c, "HDEL h a"), 1, "HDEL of one field");
    ttl_within(c, "TTL", "h", 95, 100, "... keeps the TTL");
    is_integer(cmd(c, "HINCRBY h b 1"), 3, "HINCRBY");
    ttl_within(c, "TTL", "h", 95, 100, "... keeps the TTL");
    is_integer(cmd(c, "SADD s c"), 1, "SADD on a set with a TTL");
    ttl_within(c, "TTL", "s", 95, 100, "... keeps the TTL");
    is_integer(cmd(c, "SREM s a"), 1, "SREM of one member");
    ttl_within(c, "TTL", "s", 95, 100, "... keeps the TTL");

    /* keys with a TTL go; an emptied collection comes back without its TTL */
    is_integer(cmd(c, "PEXPIRE h 100"), 1, "PEXPIRE the hash 100 ms");
    is_integer(cmd(c, "PEXPIRE s 100"), 1, "PEXPIRE the set 100 ms");
    {
        int64_t t0 = omk_mono_us();
        long long left = 2;

        while (left > 0 && omk_mono_us() - t0 < 3000000) {
            ts_sleep_ms(20);
            left = tc_int(c, "EXISTS h s");
        }
        ok(left == 0, "both are gone after their TTL (%lld ms)",
           (long long)(omk_mono_us() - t0) / 1000);
    }
    is_integer(cmd(c, "HLEN h"), 0, "HLEN of the expired hash -> 0");
    is_integer(cmd(c, "SCARD s"), 0, "SCARD of the expired set -> 0");
    is_nil(cmd(c, "HGET h b"), "HGET of the expired hash -> nil");
    is_integer(cmd(c, "HSET h a 1"), 1, "HSET recreates the hash");
    is_integer(cmd(c, "TTL h"), -1, "... without a TTL");
    is_pairs_of(cmd(c, "HGETALL h"), "a 1", "... and only the new field");
    is_integer(cmd(c, "EXPIREAT h 1"), 1, "EXPIREAT in the past");
    is_integer(cmd(c, "EXISTS h"), 0, "... deletes the hash");
    is_integer(cmd(c, "SADD s a"), 1, "a set");
    is_integer(cmd(c, "PEXPIREAT s 1"), 1, "PEXPIREAT in the past");
    is_integer(cmd(c, "EXISTS s"), 0, "... deletes the set");
    is_integer(cmd(c, "SADD s a"), 1, "a set");
    is_integer(cmd(c, "EXPIRE s 100"), 1, "... with a TTL");
    is_integer(cmd(c, "SREM s a"), 1, "SREM its only member");
    is_integer(cmd(c, "SADD s b"), 1, "SADD recreates it");
    is_integer(cmd(c, "TTL s"), -1, "... without the old TTL");
    is_int(fill(c, "HSET", "bigh", "f", BIG), BIG, "a hash of %d", BIG);
    is_integer(cmd(c, "PEXPIRE bigh 50"), 1, "... PEXPIRE 50 ms");
    ts_sleep_ms(200);
    is_integer(cmd(c, "HLEN bigh"), 0, "... HLEN 0 once expired");
    is_integer(cmd(c, "EXISTS bigh"), 0, "... EXISTS 0");
    is_integer(cmd(c, "HSET bigh f5 x"), 1, "HSET recreates it");
    is_array_of(cmd(c, "HMGET bigh f4 f5 f6"), "(nil) x (nil)", "... with none of the old fields");
    is_error(cmd(c, "EXPIRE"), "ERR wrong number of arguments for 'expire' command",
             "EXPIRE arity");
}

/* ---- RENAME RENAMENX COPY MOVE ---- */

static void test_rename_copy_move(redisContext *c)
{
    tc_section(c, "RENAME RENAMENX COPY MOVE");
    is_integer(cmd(c, "HSET h a 1 b 2"), 2, "a hash");
    is_integer(cmd(c, "SADD s x y"), 2, "a set");
    is_integer(cmd(c, "EXPIRE h 100"), 1, "the hash has a TTL");
    is_status(cmd(c, "RENAME h h2"), "OK", "RENAME a hash");
    is_integer(cmd(c, "EXISTS h"), 0, "... the old name is gone");
    is_pairs_of(cmd(c, "HGETALL h2"), "a 1 b 2", "... the new name has the fields");
    ttl_within(c, "TTL", "h2", 95, 100, "... and the TTL");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_status(cmd(c, "RENAME s str"), "OK", "RENAME a set over a string");
    is_status(cmd(c, "TYPE str"), "set", "... the target is a set");
    is_set_of(cmd(c, "SMEMBERS str"), "x y", "... with the members");
    is_status(cmd(c, "RENAME str h2"), "OK", "RENAME a set over a hash");
    is_status(cmd(c, "TYPE h2"), "set", "... the target is a set");
    is_integer(cmd(c, "TTL h2"), -1, "... with the source's (no) TTL");
    is_status(cmd(c, "RENAME h2 h2"), "OK", "RENAME onto itself");
    is_set_of(cmd(c, "SMEMBERS h2"), "x y", "... changes nothing");
    is_integer(cmd(c, "HSET h a 1"), 1, "a hash");
    is_integer(cmd(c, "RENAMENX h h2"), 0, "RENAMENX onto an existing set -> 0");
    is_status(cmd(c, "TYPE h2"), "set", "... the target is untouched");
    is_integer(cmd(c, "RENAMENX h h3"), 1, "RENAMENX to a new name -> 1");
    is_pairs_of(cmd(c, "HGETALL h3"), "a 1", "... holds the hash");
    is_int(fill(c, "HSET", "bigh", "f", BIG), BIG, "a hash of %d", BIG);
    is_status(cmd(c, "RENAME bigh bigh2"), "OK", "RENAME the large hash");
    is_integer(cmd(c, "HLEN bigh2"), BIG, "... HLEN of the new name");
    is_str(cmd(c, "HGET bigh2 f777"), "v777", 4, "... a field read through it");
    is_integer(cmd(c, "HLEN bigh"), 0, "... the old name is empty");

    /* COPY: an independent copy */
    is_integer(cmd(c, "HSET hc a 1 b 2"), 2, "a hash to copy");
    is_integer(cmd(c, "EXPIRE hc 100"), 1, "... with a TTL");
    is_integer(cmd(c, "COPY hc hc2"), 1, "COPY a hash");
    is_pairs_of(cmd(c, "HGETALL hc2"), "a 1 b 2", "... the copy has the fields");
    ttl_within(c, "TTL", "hc2", 95, 100, "... and the TTL");
    is_integer(cmd(c, "HSET hc2 a changed c 3"), 1, "HSET on the copy");
    is_integer(cmd(c, "HDEL hc b"), 1, "HDEL on the original");
    is_pairs_of(cmd(c, "HGETALL hc"), "a 1", "the original did not see the copy's HSET");
    is_pairs_of(cmd(c, "HGETALL hc2"), "a changed b 2 c 3",
                "the copy did not see the original's HDEL");
    is_integer(cmd(c, "SADD sc x y"), 2, "a set to copy");
    is_integer(cmd(c, "COPY sc sc2"), 1, "COPY a set");
    is_integer(cmd(c, "SADD sc z"), 1, "SADD on the original");
    is_integer(cmd(c, "SREM sc2 x"), 1, "SREM on the copy");
    is_set_of(cmd(c, "SMEMBERS sc"), "x y z", "the original");
    is_set_of(cmd(c, "SMEMBERS sc2"), "y", "the copy");
    is_integer(cmd(c, "COPY sc hc2"), 0, "COPY onto an existing key -> 0");
    is_status(cmd(c, "TYPE hc2"), "hash", "... the target is untouched");
    is_integer(cmd(c, "COPY sc hc2 REPLACE"), 1, "COPY REPLACE a set over a hash");
    is_status(cmd(c, "TYPE hc2"), "set", "... the target is a set");
    is_set_of(cmd(c, "SMEMBERS hc2"), "x y z", "... with the members");
    is_integer(cmd(c, "TTL hc2"), -1, "... and the source's (no) TTL");
    is_status(cmd(c, "SET cs text"), "OK", "a string");
    is_integer(cmd(c, "COPY hc cs REPLACE"), 1, "COPY REPLACE a hash over a string");
    is_pairs_of(cmd(c, "HGETALL cs"), "a 1", "... the target is the hash");
    is_integer(cmd(c, "COPY hc hc DB 1"), 1, "COPY a hash to db 1");
    is_integer(cmd(c, "COPY sc sc DB 1"), 1, "COPY a set to db 1");
    is_integer(cmd(c, "COPY sc sc DB 1"), 0, "COPY to db 1 again -> 0");
    is_integer(cmd(c, "HSET hc a 9"), 0, "HSET on the original in db 0");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_pairs_of(cmd(c, "HGETALL hc"), "a 1", "the copy in db 1 kept the old value");
    is_set_of(cmd(c, "SMEMBERS sc"), "x y z", "the set copy in db 1");
    is_integer(cmd(c, "DBSIZE"), 2, "db 1 holds the two copies");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_int(fill(c, "SADD", "bigs", "m", BIG), BIG, "a set of %d", BIG);
    is_integer(cmd(c, "COPY bigs bigs2"), 1, "COPY the large set");
    is_integer(cmd(c, "SREM bigs m0 m1 m2"), 3, "SREM on the original");
    is_integer(cmd(c, "SADD bigs2 extra"), 1, "SADD on the copy");
    is_integer(cmd(c, "SCARD bigs"), BIG - 3, "SCARD of the original");
    is_integer(cmd(c, "SCARD bigs2"), BIG + 1, "SCARD of the copy");
    is_ints_of(cmd(c, "SMISMEMBER bigs2 m0 m1 m999 extra"), "1 1 1 1", "the copy's members");
    is_ints_of(cmd(c, "SMISMEMBER bigs m0 m3 m999 extra"), "0 1 1 0", "the original's members");
    is_integer(cmd(c, "COPY bigh2 bigs2 REPLACE"), 1, "COPY REPLACE the large hash over the copy");
    is_integer(cmd(c, "HLEN bigs2"), BIG, "... HLEN of the target");
    is_integer(cmd(c, "HSET bigh2 f0 new"), 0, "HSET on the source");
    is_str(cmd(c, "HGET bigs2 f0"), "v0", 2, "... not seen in the copy");

    /* MOVE */
    is_integer(cmd(c, "HSET hm a 1"), 1, "a hash to move");
    is_integer(cmd(c, "EXPIRE hm 100"), 1, "... with a TTL");
    is_integer(cmd(c, "MOVE hm 2"), 1, "MOVE a hash to db 2");
    is_integer(cmd(c, "EXISTS hm"), 0, "... gone from db 0");
    is_integer(cmd(c, "SADD sm x"), 1, "a set to move");
    is_integer(cmd(c, "MOVE sm 2"), 1, "MOVE a set to db 2");
    is_integer(cmd(c, "SADD sm y"), 1, "a set of the same name in db 0");
    is_integer(cmd(c, "MOVE sm 2"), 0, "MOVE onto a key db 2 has -> 0");
    is_integer(cmd(c, "MOVE bigs 2"), 1, "MOVE the large set to db 2");
    is_status(cmd(c, "SELECT 2"), "OK", "SELECT 2");
    is_pairs_of(cmd(c, "HGETALL hm"), "a 1", "the moved hash");
    ttl_within(c, "TTL", "hm", 95, 100, "... with its TTL");
    is_set_of(cmd(c, "SMEMBERS sm"), "x", "the moved set kept its members");
    is_integer(cmd(c, "SCARD bigs"), BIG - 3, "the moved large set");
    is_integer(cmd(c, "SISMEMBER bigs m500"), 1, "... with its members");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_set_of(cmd(c, "SMEMBERS sm"), "y", "db 0's set is untouched");
}

/* ---- OBJECT ENCODING and the limits ---- */

static void test_encoding(redisContext *c)
{
    char *v64 = omk_malloc(66), *v65 = omk_malloc(66);
    redisReply *r;

    memset(v64, 'x', 64);
    v64[64] = '\0';
    memset(v65, 'x', 65);
    v65[65] = '\0';
    tc_section(c, "OBJECT ENCODING");
    is_pairs_of(cmd(c, "CONFIG GET hash-max-listpack-entries"), "hash-max-listpack-entries 512",
                "CONFIG GET hash-max-listpack-entries: 512");
    is_pairs_of(cmd(c, "CONFIG GET hash-max-listpack-value"), "hash-max-listpack-value 64",
                "CONFIG GET hash-max-listpack-value: 64");
    is_pairs_of(cmd(c, "CONFIG GET hash-max-ziplist-entries"), "hash-max-ziplist-entries 512",
                "CONFIG GET hash-max-ziplist-entries (alias): 512");
    is_pairs_of(cmd(c, "CONFIG GET hash-max-ziplist-value"), "hash-max-ziplist-value 64",
                "CONFIG GET hash-max-ziplist-value (alias): 64");
    is_pairs_of(cmd(c, "CONFIG GET set-max-intset-entries"), "set-max-intset-entries 512",
                "CONFIG GET set-max-intset-entries: 512");
    is_pairs_of(cmd(c, "CONFIG GET hash-max-*"),
                "hash-max-listpack-entries 512 hash-max-listpack-value 64 "
                "hash-max-ziplist-entries 512 hash-max-ziplist-value 64",
                "CONFIG GET hash-max-*: both names of both limits");
    is_array_of(cmd(c, "CONFIG GET set-max-listpack-entries"), "",
                "CONFIG GET set-max-listpack-entries: no such option in 7.0");
    is_error(cmd(c, "CONFIG SET set-max-listpack-entries 5"),
             "ERR Unknown option or number of arguments for CONFIG SET - "
             "'set-max-listpack-entries'",
             "CONFIG SET set-max-listpack-entries: unknown in 7.0");
    is_error(cmd(c, "CONFIG SET hash-max-listpack-entries abc"),
             "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - "
             "argument couldn't be parsed into an integer",
             "CONFIG SET hash-max-listpack-entries abc");
    is_error(cmd(c, "CONFIG SET set-max-intset-entries -1"),
             "ERR CONFIG SET failed (possibly related to argument 'set-max-intset-entries') - "
             "argument must be between 0 and 9223372036854775807 inclusive",
             "CONFIG SET set-max-intset-entries -1");
    is_status(cmd(c, "CONFIG SET hash-max-ziplist-value 10"), "OK", "CONFIG SET through an alias");
    is_pairs_of(cmd(c, "CONFIG GET hash-max-listpack-value"), "hash-max-listpack-value 10",
                "... changes the option");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-value 64"), "OK", "... set back");

    /* hashes: listpack -> hashtable by value length, field length, entries */
    is_integer(cmd(c, "HSET h a 1"), 1, "a small hash");
    enc_is(c, "h", "listpack", "a small hash is listpack");
    is_integer(cmd(c, "HSET h b %s", v64), 1, "HSET a 64-byte value");
    enc_is(c, "h", "listpack", "... still listpack (64 is the limit)");
    is_integer(cmd(c, "HSET h c %s", v65), 1, "HSET a 65-byte value");
    enc_is(c, "h", "hashtable", "... hashtable");
    is_integer(cmd(c, "HDEL h c b"), 2, "HDEL the long values");
    enc_is(c, "h", "hashtable", "... stays hashtable (never converts back)");
    is_integer(cmd(c, "HSET hf %s 1", v65), 1, "HSET a 65-byte field");
    enc_is(c, "hf", "hashtable", "... hashtable");
    is_integer(cmd(c, "HSETNX hn f %s", v65), 1, "HSETNX a 65-byte value");
    enc_is(c, "hn", "hashtable", "... hashtable");
    is_int(fill(c, "HSET", "he", "f", 512), 512, "HSET 512 fields");
    enc_is(c, "he", "listpack", "... listpack (512 is the limit)");
    is_integer(cmd(c, "HSET he f512 x"), 1, "HSET the 513th");
    enc_is(c, "he", "hashtable", "... hashtable");
    is_int(fill(c, "HDEL", "he", "f", 510), 510, "HDEL down to 3 fields");
    enc_is(c, "he", "hashtable", "... stays hashtable");
    is_integer(cmd(c, "HDEL he f510 f511 f512"), 3, "HDEL the last fields");
    is_integer(cmd(c, "EXISTS he"), 0, "... the hash is gone");
    is_integer(cmd(c, "HSET he a 1"), 1, "a new hash under the same name");
    enc_is(c, "he", "listpack", "... is listpack again");
    is_int(fill(c, "HSET", "h513", "f", 513), 513, "HSET 513 fields in calls of 100");
    enc_is(c, "h513", "hashtable", "... hashtable");
    is_str(cmd(c, "HINCRBYFLOAT hi f 1.5"), "1.5", 3, "HINCRBYFLOAT creates a hash");
    enc_is(c, "hi", "listpack", "... listpack");
    is_integer(cmd(c, "HSET hx f 1e70"), 1, "HSET a short value");
    enc_is(c, "hx", "listpack", "... listpack");
    r = cmd(c, "HINCRBYFLOAT hx f 1");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == 71, "HINCRBYFLOAT writes it out: 71 bytes");
    freeReplyObject(r);
    enc_is(c, "hx", "hashtable", "... a value past 64 bytes: hashtable");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-value 5"), "OK", "hash-max-listpack-value 5");
    is_integer(cmd(c, "HSET hy f 1 g 1"), 2, "a hash of short values");
    is_integer(cmd(c, "HINCRBY hy f 1234"), 1235, "HINCRBY to 4 digits");
    enc_is(c, "hy", "listpack", "... listpack");
    is_integer(cmd(c, "HINCRBY hy g 123456"), 123457, "HINCRBY to 6 digits");
    enc_is(c, "hy", "hashtable", "... a value past the limit: hashtable");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-value 64"), "OK", "back to 64");

    /* the limits changed at run time apply at the next write that sets a field */
    is_status(cmd(c, "CONFIG SET hash-max-listpack-entries 4"), "OK", "hash-max-listpack-entries 4");
    is_integer(cmd(c, "HSET h4 a 1 b 2 c 3 d 4"), 4, "HSET 4 fields");
    enc_is(c, "h4", "listpack", "... listpack");
    is_integer(cmd(c, "HSET h4 e 5"), 1, "HSET a 5th");
    enc_is(c, "h4", "hashtable", "... hashtable");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-entries 512"), "OK", "back to 512");
    is_integer(cmd(c, "HSET h6 a 1 b 2 c 3 d 4 e 5 f 6"), 6, "HSET 6 fields");
    is_status(cmd(c, "CONFIG SET hash-max-ziplist-entries 4"), "OK", "limit 4 (by the alias)");
    enc_is(c, "h6", "listpack", "a read does not convert");
    is_integer(cmd(c, "HDEL h6 f"), 1, "HDEL one field");
    enc_is(c, "h6", "listpack", "... does not convert");
    is_integer(cmd(c, "HSETNX h6 a 9"), 0, "HSETNX of an existing field (no write)");
    enc_is(c, "h6", "listpack", "... does not convert");
    is_integer(cmd(c, "HSET h6 a 9"), 0, "HSET of an existing field");
    enc_is(c, "h6", "hashtable", "... converts by the new limit");
    is_integer(cmd(c, "HSET h7 a 1 b 2 c 3 d 4 e 5"), 5, "a new hash of 5 over limit 4");
    enc_is(c, "h7", "hashtable", "... hashtable at once");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-entries 512"), "OK", "back to 512");
    is_integer(cmd(c, "HSET h8 a 1 b 2 c 3 d 4 e 5"), 5, "a hash of 5");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-entries 4"), "OK", "limit 4");
    is_integer(cmd(c, "HINCRBY h8 a 1"), 2, "HINCRBY sets a field");
    enc_is(c, "h8", "hashtable", "... converts by the new limit");
    is_status(cmd(c, "CONFIG SET hash-max-listpack-entries 512"), "OK", "back to 512");

    /* sets: intset -> hashtable by a non-integer member, by entries */
    is_integer(cmd(c, "SADD si 1 2 3 -9223372036854775808 9223372036854775807"), 5,
               "a set of integers");
    enc_is(c, "si", "intset", "... intset");
    is_integer(cmd(c, "SADD si 01"), 1, "SADD '01' (not an integer's canonical form)");
    enc_is(c, "si", "hashtable", "... hashtable");
    is_integer(cmd(c, "SREM si 01"), 1, "SREM it");
    enc_is(c, "si", "hashtable", "... stays hashtable");
    {
        static const char *const nonint[] = {"a", "9223372036854775808", "+1", "-0", "1.0"};

        for (size_t i = 0; i < sizeof(nonint) / sizeof(nonint[0]); i++) {
            char key[32], name[96];

            snprintf(key, sizeof(key), "sn%zu", i);
            freeReplyObject(cmd(c, "SADD %s 1 %s", key, nonint[i]));
            snprintf(name, sizeof(name), "a set of 1 and '%s' is hashtable", nonint[i]);
            enc_is(c, key, "hashtable", name);
        }
    }
    is_int(fill(c, "SADD", "se", "", 512), 512, "SADD 512 integers");
    enc_is(c, "se", "intset", "... intset (512 is the limit)");
    is_integer(cmd(c, "SADD se 512"), 1, "SADD the 513th");
    enc_is(c, "se", "hashtable", "... hashtable");
    is_integer(cmd(c, "SREM se 0 1 2 3 4 5 6 7 8 9"), 10, "SREM down");
    enc_is(c, "se", "hashtable", "... stays hashtable");
    is_status(cmd(c, "CONFIG SET set-max-intset-entries 4"), "OK", "set-max-intset-entries 4");
    is_integer(cmd(c, "SADD s4 1 2 3 4"), 4, "SADD 4 integers");
    enc_is(c, "s4", "intset", "... intset");
    is_integer(cmd(c, "SADD s4 1"), 0, "SADD a present member");
    enc_is(c, "s4", "intset", "... intset");
    is_integer(cmd(c, "SADD s4 5"), 1, "SADD a 5th");
    enc_is(c, "s4", "hashtable", "... hashtable");
    is_integer(cmd(c, "SADD s6 1 2 3 4 5 6"), 6, "a new set of 6 integers over limit 4");
    enc_is(c, "s6", "hashtable", "... hashtable");
    is_status(cmd(c, "CONFIG SET set-max-intset-entries 512"), "OK", "back to 512");
    is_integer(cmd(c, "SADD s7 1 2 3 4 5 6"), 6, "a set of 6 integers");
    is_status(cmd(c, "CONFIG SET set-max-intset-entries 4"), "OK", "limit 4");
    enc_is(c, "s7", "intset", "a read does not convert");
    is_integer(cmd(c, "SREM s7 6"), 1, "SREM");
    enc_is(c, "s7", "intset", "... does not convert");
    is_integer(cmd(c, "SADD s7 7"), 1, "SADD of a new member");
    enc_is(c, "s7", "hashtable", "... converts by the new limit");
    is_status(cmd(c, "CONFIG SET set-max-intset-entries 512"), "OK", "back to 512");
    is_integer(cmd(c, "SREM s7 1 2 3 4 5 7"), 6, "SREM every member");
    is_integer(cmd(c, "SADD s7 1"), 1, "a new set under the same name");
    enc_is(c, "s7", "intset", "... is intset again");

    /* what the other writes make */
    is_integer(cmd(c, "SADD a1 1 2 3"), 3, "a1 {1 2 3}");
    is_integer(cmd(c, "SADD a2 2 3 x"), 3, "a2 {2 3 x}");
    enc_is(c, "a2", "hashtable", "a2 is hashtable");
    is_integer(cmd(c, "SINTERSTORE d a1 a2"), 2, "SINTERSTORE of integers");
    enc_is(c, "d", "intset", "... the result is intset");
    is_integer(cmd(c, "SUNIONSTORE d a1 a2"), 4, "SUNIONSTORE with a string member");
    enc_is(c, "d", "hashtable", "... the result is hashtable");
    is_integer(cmd(c, "SDIFFSTORE d a2 a1"), 1, "SDIFFSTORE of a string member");
    enc_is(c, "d", "hashtable", "... the result is hashtable");
    is_integer(cmd(c, "SMOVE a2 mv 2"), 1, "SMOVE an integer to a new key");
    enc_is(c, "mv", "intset", "... the new set is intset");
    is_integer(cmd(c, "SMOVE a2 mv x"), 1, "SMOVE a string member into it");
    enc_is(c, "mv", "hashtable", "... hashtable");
    is_integer(cmd(c, "COPY a2 a2c"), 1, "COPY a hashtable set");
    enc_is(c, "a2c", "hashtable", "... the copy is hashtable");
    is_integer(cmd(c, "SADD a2c 9"), 1, "SADD an integer to the copy (all its members integers)");
    enc_is(c, "a2c", "hashtable", "... stays hashtable");
    is_integer(cmd(c, "COPY a1 a1c"), 1, "COPY an intset");
    enc_is(c, "a1c", "intset", "... the copy is intset");
    is_status(cmd(c, "RENAME h hr"), "OK", "RENAME a hashtable hash");
    enc_is(c, "hr", "hashtable", "... the renamed hash is hashtable");
    is_integer(cmd(c, "MOVE hr 3"), 1, "MOVE it to db 3");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    enc_is(c, "hr", "hashtable", "... still hashtable there");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");

    /* 7.0's SPOP with a count close to the size rebuilds the rest with setTypeCreate():
     * a hashtable set of integers comes back as intset */
    is_int(fill(c, "SADD", "sp", "", 20), 20, "a set of 20 integers");
    is_status(cmd(c, "CONFIG SET set-max-intset-entries 10"), "OK", "limit 10");
    is_integer(cmd(c, "SADD sp 20"), 1, "SADD the 21st");
    enc_is(c, "sp", "hashtable", "... hashtable");
    is_status(cmd(c, "CONFIG SET set-max-intset-entries 512"), "OK", "back to 512");
    r = cmd(c, "SPOP sp 19");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 19, "SPOP 19 of 21");
    freeReplyObject(r);
    enc_is(c, "sp", "intset", "... the 2 left are intset (7.0's SPOP rebuilds the rest)");
    is_int(fill(c, "SADD", "sp2", "", 600), 600, "a set of 600 integers");
    r = cmd(c, "SPOP sp2 10");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 10, "SPOP 10 of 600");
    freeReplyObject(r);
    enc_is(c, "sp2", "hashtable", "... pops one by one: stays hashtable");

    is_nil(cmd(c, "OBJECT ENCODING nokey"), "OBJECT ENCODING of a missing key -> nil");
    is_integer(cmd(c, "OBJECT REFCOUNT se"), 1, "OBJECT REFCOUNT of a set");
    omk_free(v64);
    omk_free(v65);
}

/* ---- DBSIZE SCAN TYPE KEYS INFO keyspace ---- */

/* ts_key_fn: add the key to the tc_strs at 'arg'. */
static void add_key(void *arg, const char *key, size_t len)
{
    tc_add(arg, key, len);
}

/* A full SCAN with 'opts' returns exactly the keys 'words' (each at least once). */
static void scan_is(redisContext *c, const char *const *opts, const char *words, const char *name)
{
    struct tc_strs got = {0}, want = {0}, uniq = {0};
    long calls = ts_scan_all(c, opts, add_key, &got, 0);

    tc_sort(&got);
    for (size_t i = 0; i < got.n; i++)
        if (i == 0 || tc_str_cmp(&got.e[i - 1], &got.e[i]))
            tc_add(&uniq, got.e[i].p, got.e[i].len);
    tc_add_words(&want, words);
    tc_sort(&want);
    if (!ok(calls > 0 && tc_same(&uniq, &want), "%s", name)) {
        tc_diag(&uniq, "got");
        tc_diag(&want, "want");
    }
    tc_free(&got);
    tc_free(&want);
    tc_free(&uniq);
}

static void test_keyspace(redisContext *c)
{
    static const char *const t_hash[] = {"TYPE", "hash", NULL};
    static const char *const t_set[] = {"TYPE", "set", NULL};
    static const char *const t_string[] = {"type", "STRING", NULL};
    static const char *const t_set_count[] = {"COUNT", "3", "TYPE", "set", NULL};
    static const char *const t_hash_match[] = {"MATCH", "*2", "TYPE", "hash", NULL};
    static const char *const none[] = {NULL};
    redisReply *r;

    tc_section(c, "DBSIZE SCAN TYPE KEYS");
    is_integer(cmd(c, "HSET h1 f v"), 1, "hash h1");
    is_integer(cmd(c, "HSET h2 f v"), 1, "hash h2");
    is_int(fill(c, "HSET", "h3", "f", BIG), BIG, "hash h3 of %d", BIG);
    is_integer(cmd(c, "SADD s1 m"), 1, "set s1");
    is_int(fill(c, "SADD", "s2", "m", BIG), BIG, "set s2 of %d", BIG);
    is_status(cmd(c, "MSET k1 v k2 v"), "OK", "strings k1 k2");
    is_integer(cmd(c, "EXPIRE h2 100"), 1, "h2 has a TTL");
    is_integer(cmd(c, "DBSIZE"), 7, "DBSIZE counts hashes, sets and strings");
    scan_is(c, none, "h1 h2 h3 s1 s2 k1 k2", "SCAN: every key");
    scan_is(c, t_hash, "h1 h2 h3", "SCAN TYPE hash: the hashes only");
    scan_is(c, t_set, "s1 s2", "SCAN TYPE set: the sets only");
    scan_is(c, t_string, "k1 k2", "SCAN type STRING: the strings only (any case)");
    scan_is(c, t_set_count, "s1 s2", "SCAN COUNT 3 TYPE set");
    scan_is(c, t_hash_match, "h2", "SCAN MATCH *2 TYPE hash");
    is_set_of(cmd(c, "KEYS *"), "h1 h2 h3 s1 s2 k1 k2", "KEYS *: every key");
    is_set_of(cmd(c, "KEYS h*"), "h1 h2 h3", "KEYS h*");
    is_set_of(cmd(c, "KEYS ?2"), "h2 s2 k2", "KEYS ?2");
    r = cmd(c, "INFO keyspace");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "db0:keys=7,expires=1,"),
       "INFO keyspace: db0:keys=7,expires=1");
    freeReplyObject(r);
    is_integer(cmd(c, "DEL h3 s2"), 2, "DEL the large ones");
    is_integer(cmd(c, "DBSIZE"), 5, "DBSIZE after DEL");
    scan_is(c, t_hash, "h1 h2", "SCAN TYPE hash after DEL");
    is_integer(cmd(c, "HDEL h1 f"), 1, "HDEL h1's only field");
    is_integer(cmd(c, "DBSIZE"), 4, "DBSIZE after a hash emptied by HDEL");
    scan_is(c, t_hash, "h2", "SCAN TYPE hash: the emptied hash is gone");
    is_str(cmd(c, "SPOP s1"), "m", 1, "SPOP s1's only member");
    is_integer(cmd(c, "DBSIZE"), 3, "DBSIZE after a set emptied by SPOP");
    scan_is(c, t_set, "", "SCAN TYPE set: none left");
    is_set_of(cmd(c, "KEYS *"), "h2 k1 k2", "KEYS * after it");
}

/* ---- WRONGTYPE both ways, SET over a collection ---- */

static void test_wrongtype(redisContext *c)
{
    static const char *const string_cmds[] = {
        "GET %s",          "GETSET %s v",       "GETDEL %s",     "GETEX %s",
        "GETEX %s EX 10",  "APPEND %s x",       "STRLEN %s",     "INCR %s",
        "DECR %s",         "INCRBY %s 1",       "DECRBY %s 1",   "INCRBYFLOAT %s 1",
        "GETRANGE %s 0 1", "SUBSTR %s 0 1",     "SETRANGE %s 0 x", "SET %s v GET",
        "SET %s v XX GET",
    };
    static const char *const keys[] = {"h", "s"};
    char line[64], name[128];
    redisReply *r;

    tc_section(c, "WRONGTYPE and SET over a collection");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_integer(cmd(c, "SADD s m"), 1, "a set");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof(string_cmds) / sizeof(string_cmds[0]); i++) {
            snprintf(line, sizeof(line), string_cmds[i], keys[k]);
            snprintf(name, sizeof(name), "%s on a %s -> WRONGTYPE", line, k ? "set" : "hash");
            is_error(cmdline(c, line), WRONGTYPE, name);
        }
        snprintf(line, sizeof(line), "LCS %s str", keys[k]);
        is_error(cmdline(c, line), "ERR The specified keys must contain string values",
                 "LCS of a collection and a string");
    }
    is_status(cmd(c, "TYPE h"), "hash", "the hash survived every refused string command");
    is_str(cmd(c, "HGET h f"), "v", 1, "... with its field");
    is_status(cmd(c, "TYPE s"), "set", "the set survived too");
    is_set_of(cmd(c, "SMEMBERS s"), "m", "... with its member");
    is_array_of(cmd(c, "MGET h s str nokey"), "(nil) (nil) v (nil)",
                "MGET: nil for a hash and a set");
    is_integer(cmd(c, "SETNX h v"), 0, "SETNX on a hash -> 0");
    is_nil(cmd(c, "SET h v NX"), "SET NX on a hash -> nil");
    is_integer(cmd(c, "MSETNX h v new v"), 0, "MSETNX naming a hash -> 0");
    is_integer(cmd(c, "EXISTS new"), 0, "... set nothing");
    is_status(cmd(c, "TYPE h"), "hash", "the hash is still there");
    is_error(cmd(c, "HSET str f v"), WRONGTYPE, "HSET on a string -> WRONGTYPE");
    is_error(cmd(c, "SADD str m"), WRONGTYPE, "SADD on a string -> WRONGTYPE");
    is_error(cmd(c, "SADD h m"), WRONGTYPE, "SADD on a hash -> WRONGTYPE");
    is_error(cmd(c, "HSET s f v"), WRONGTYPE, "HSET on a set -> WRONGTYPE");
    is_str(cmd(c, "GET str"), "v", 1, "the string is unchanged");

    is_integer(cmd(c, "EXPIRE h 100"), 1, "the hash gets a TTL");
    is_status(cmd(c, "SET h v KEEPTTL"), "OK", "SET KEEPTTL over a hash");
    is_status(cmd(c, "TYPE h"), "string", "... the key is a string");
    is_str(cmd(c, "GET h"), "v", 1, "... GET reads it");
    ttl_within(c, "TTL", "h", 95, 100, "... and KEEPTTL kept the hash's TTL");
    is_error(cmd(c, "HLEN h"), WRONGTYPE, "... HLEN of it -> WRONGTYPE");
    is_integer(cmd(c, "SADD s2 a b"), 2, "a set");
    is_integer(cmd(c, "EXPIRE s2 100"), 1, "... with a TTL");
    is_status(cmd(c, "SET s2 text"), "OK", "SET over a set");
    is_str(cmd(c, "GET s2"), "text", 4, "... the key is the string");
    is_integer(cmd(c, "TTL s2"), -1, "... and plain SET dropped the TTL");
    is_error(cmd(c, "SADD s2 a"), WRONGTYPE, "... SADD to it -> WRONGTYPE");
    is_status(cmd(c, "MSET s x"), "OK", "MSET over a set");
    is_str(cmd(c, "GET s"), "x", 1, "... the key is the string");
    is_integer(cmd(c, "HSET h3 f v"), 1, "a hash");
    is_status(cmd(c, "SETEX h3 100 v"), "OK", "SETEX over a hash");
    is_status(cmd(c, "TYPE h3"), "string", "... the key is a string");
    r = cmd(c, "GETDEL h3");
    is_str(r, "v", 1, "GETDEL of it");
}

/* ---- MULTI/EXEC and WATCH ---- */

/* EXEC on 'c' replies the null array (a watched key changed). */
static void exec_aborted(redisContext *c, const char *name)
{
    redisReply *r;

    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "PING queued");
    r = cmd(c, "EXEC");
    if (!ok(r && r->type == REDIS_REPLY_NIL, "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

/* EXEC on 'c' runs (one queued PING). */
static void exec_ran(redisContext *c, const char *name)
{
    redisReply *r;

    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "PING queued");
    r = cmd(c, "EXEC");
    if (!ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

static void test_multi_watch(const struct tserver *s, redisContext *c)
{
    /* {setup, what the other client runs, 1 if EXEC must fail}: Redis touches a key only
     * when a write changed it (HSET always does, even to the same value) */
    static const char *const cases[][3] = {
        {"HSET w a 1", "HSET w a 2", "1"},         {"HSET w a 1", "HSET w a 1", "1"},
        {"HSET w a 1", "HSET w b 1", "1"},         {"HSET w a 1", "HDEL w a", "1"},
        {"HSET w a 1", "HINCRBY w a 0", "1"},      {"HSET w a 1", "HINCRBYFLOAT w a 0", "1"},
        {"HSET w a 1", "HSETNX w a 5", "0"},       {"HSET w a 1", "HDEL w zz", "0"},
        {"SADD w a", "SADD w b", "1"},             {"SADD w a", "SREM w a", "1"},
        {"SADD w a", "SADD w a", "0"},             {"SADD w a", "SREM w zz", "0"},
        {"SADD w a", "SMOVE w w a", "0"},          {"SADD w a", "SPOP w 0", "0"},
        {"SADD w a b", "SPOP w", "1"},             {"SADD w a", "SMOVE w other a", "1"},
        {"SADD w a", "SINTERSTORE w w", "1"},      {"SADD w a", "SDIFFSTORE w nokey", "1"},
        {"SADD w a", "EXPIRE w 100", "1"},         {"SADD w a", "PERSIST w", "0"},
        {"HSET w a 1", "RENAME w w2", "1"},        {"HSET w a 1", "SET w v", "1"},
        {"SADD src x", "SMOVE src w x", "1"},      {"HSET w a 1", "DEL w", "1"},
    };
    redisContext *o = ts_connect(s);
    redisReply *r;
    char name[160];

    tc_section(c, "MULTI/EXEC and WATCH");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SADD ms a b"), "QUEUED", "SADD queued");
    is_status(cmd(c, "HSET mh f v g w"), "QUEUED", "HSET queued");
    is_status(cmd(c, "SCARD ms"), "QUEUED", "SCARD queued");
    is_status(cmd(c, "HGET mh g"), "QUEUED", "HGET queued");
    is_status(cmd(c, "SADD mh x"), "QUEUED", "SADD on the hash queued");
    is_status(cmd(c, "SREM ms a"), "QUEUED", "SREM queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
           r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 2 &&
           r->element[1]->type == REDIS_REPLY_INTEGER && r->element[1]->integer == 2 &&
           r->element[2]->type == REDIS_REPLY_INTEGER && r->element[2]->integer == 2 &&
           r->element[3]->type == REDIS_REPLY_STRING && !strcmp(r->element[3]->str, "w") &&
           r->element[4]->type == REDIS_REPLY_ERROR && !strcmp(r->element[4]->str, WRONGTYPE) &&
           r->element[5]->type == REDIS_REPLY_INTEGER && r->element[5]->integer == 1,
       "EXEC replies each: 2, 2, 2, w, WRONGTYPE, 1");
    if (r && r->type != REDIS_REPLY_ARRAY)
        ts_diag_reply(r);
    freeReplyObject(r);
    is_set_of(cmd(c, "SMEMBERS ms"), "b", "the transaction's SADD and SREM took effect");
    is_pairs_of(cmd(c, "HGETALL mh"), "f v g w", "... and its HSET");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SADD ms c"), "QUEUED", "SADD queued");
    is_error(cmd(c, "HSET mh f"), "ERR wrong number of arguments for 'hset' command",
             "an arity error while queuing");
    is_error(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.",
             "EXEC after it -> EXECABORT");
    is_integer(cmd(c, "SISMEMBER ms c"), 0, "... the queued SADD never ran");

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        freeReplyObject(cmd(c, "DEL w w2 other src"));
        if (!tc_run(c, cases[i][0], REDIS_REPLY_INTEGER))
            ok(0, "setup %s", cases[i][0]);
        is_status(cmd(c, "WATCH w"), "OK", "WATCH w");
        freeReplyObject(cmdline(o, cases[i][1]));
        snprintf(name, sizeof(name), "WATCH w (%s), another client runs %s: EXEC %s", cases[i][0],
                 cases[i][1], cases[i][2][0] == '1' ? "fails" : "runs");
        if (cases[i][2][0] == '1')
            exec_aborted(c, name);
        else
            exec_ran(c, name);
    }

    /* a watched key that expires makes EXEC fail (7.0: isWatchedKeyExpired) */
    {
        static const char *const setups[] = {"HSET x f v", "SADD x m", "SET x v"};

        for (size_t i = 0; i < 3; i++) {
            freeReplyObject(cmd(c, "DEL x"));
            if (!tc_run(c, setups[i], i == 2 ? REDIS_REPLY_STATUS : REDIS_REPLY_INTEGER))
                ok(0, "setup %s", setups[i]);
            is_integer(cmd(c, "PEXPIRE x 300"), 1, "PEXPIRE x 300");
            is_status(cmd(c, "WATCH x"), "OK", "WATCH x while it lives");
            ts_sleep_ms(600);
            snprintf(name, sizeof(name), "%s, WATCH, it expires: EXEC fails", setups[i]);
            exec_aborted(c, name);
        }
        freeReplyObject(cmd(c, "DEL x"));
        is_integer(cmd(c, "HSET x f v"), 1, "a hash");
        is_integer(cmd(c, "EXPIRE x 100"), 1, "... that expires in 100 s");
        is_status(cmd(c, "WATCH x"), "OK", "WATCH it");
        exec_ran(c, "... EXEC runs while it lives");
        is_status(cmd(c, "WATCH nokey"), "OK", "WATCH a missing key");
        ts_sleep_ms(50);
        exec_ran(c, "... EXEC runs while it stays missing");
    }
    redisFree(o);
}

/* ---- omenkv only: restart ---- */

/* Whether HGETALL 'key' is exactly fields "<prefix>0..n-1" with values "v<i>". */
static int hash_is_model(redisContext *c, const char *key, const char *prefix, int from, int n)
{
    struct tc_strs got = {0}, want = {0};
    redisReply *r = cmd(c, "HGETALL %s", key);
    int good = tc_pairs_from_reply(&got, r);
    char buf[64];

    for (int i = from; i < n; i++) {
        snprintf(buf, sizeof(buf), "%s%d=v%d", prefix, i, i);
        tc_add(&want, buf, strlen(buf));
    }
    tc_sort(&got);
    tc_sort(&want);
    good = good && tc_same(&got, &want);
    if (!good) {
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    freeReplyObject(r);
    tc_free(&got);
    tc_free(&want);
    return good;
}

/* Whether SMEMBERS 'key' is exactly "<prefix><from>..<prefix><n-1>". */
static int set_is_model(redisContext *c, const char *key, const char *prefix, int from, int n)
{
    struct tc_strs got = {0}, want = {0};
    redisReply *r = cmd(c, "SMEMBERS %s", key);
    int good = tc_from_reply(&got, r);
    char buf[64];

    for (int i = from; i < n; i++) {
        snprintf(buf, sizeof(buf), "%s%d", prefix, i);
        tc_add(&want, buf, strlen(buf));
    }
    tc_sort(&got);
    tc_sort(&want);
    good = good && tc_same(&got, &want);
    if (!good) {
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    freeReplyObject(r);
    tc_free(&got);
    tc_free(&want);
    return good;
}

/* Load collections of several sizes on 'c'; check them (after a restart too). */
static void restart_load(redisContext *c)
{
    is_int(fill(c, "HSET", "rh:small", "f", 5), 5, "hash rh:small of 5");
    is_int(fill(c, "HSET", "rh:big", "f", 5000), 5000, "hash rh:big of 5000");
    is_int(fill(c, "SADD", "rs:small", "m", 5), 5, "set rs:small of 5");
    is_int(fill(c, "SADD", "rs:big", "m", 5000), 5000, "set rs:big of 5000");
    is_int(fill(c, "SADD", "rs:ints", "", 100), 100, "set rs:ints of 100 integers");
    is_int(fill(c, "HSET", "rh:ttl", "f", 300), 300, "hash rh:ttl of 300");
    is_integer(cmd(c, "EXPIRE rh:ttl 1000"), 1, "... with a TTL");
    is_integer(cmd(c, "HDEL rh:big f0 f1"), 2, "HDEL two fields of rh:big");
    is_integer(cmd(c, "SREM rs:big m0 m1 m2"), 3, "SREM three members of rs:big");
    is_integer(cmd(c, "HSET rh:gone a 1"), 1, "a hash");
    is_integer(cmd(c, "DEL rh:gone"), 1, "... deleted");
    is_int(fill(c, "SADD", "rs:gone", "m", 2000), 2000, "a set of 2000");
    is_integer(cmd(c, "DEL rs:gone"), 1, "... deleted");
    is_status(cmd(c, "SELECT 4"), "OK", "SELECT 4");
    is_integer(cmd(c, "HSET rh:db4 a 1"), 1, "a hash in db 4");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
}

static void restart_check(redisContext *c, const char *when)
{
    char name[128];

#define NAME(what) (snprintf(name, sizeof(name), "%s (%s)", what, when), name)
    is_integer(cmd(c, "DBSIZE"), 6, NAME("DBSIZE"));
    is_integer(cmd(c, "HLEN rh:small"), 5, NAME("HLEN rh:small"));
    is_integer(cmd(c, "HLEN rh:big"), 4998, NAME("HLEN rh:big"));
    is_integer(cmd(c, "SCARD rs:small"), 5, NAME("SCARD rs:small"));
    is_integer(cmd(c, "SCARD rs:big"), 4997, NAME("SCARD rs:big"));
    is_integer(cmd(c, "SCARD rs:ints"), 100, NAME("SCARD rs:ints"));
    ok(hash_is_model(c, "rh:small", "f", 0, 5), "%s", NAME("HGETALL rh:small"));
    ok(hash_is_model(c, "rh:big", "f", 2, 5000), "%s", NAME("HGETALL rh:big"));
    ok(set_is_model(c, "rs:small", "m", 0, 5), "%s", NAME("SMEMBERS rs:small"));
    ok(set_is_model(c, "rs:big", "m", 3, 5000), "%s", NAME("SMEMBERS rs:big"));
    ok(set_is_model(c, "rs:ints", "", 0, 100), "%s", NAME("SMEMBERS rs:ints"));
    ok(hash_is_model(c, "rh:ttl", "f", 0, 300), "%s", NAME("HGETALL rh:ttl"));
    ttl_within(c, "TTL", "rh:ttl", 900, 1000, NAME("TTL rh:ttl"));
    is_integer(cmd(c, "TTL rh:big"), -1, NAME("TTL rh:big"));
    is_status(cmd(c, "TYPE rh:big"), "hash", NAME("TYPE rh:big"));
    is_status(cmd(c, "TYPE rs:big"), "set", NAME("TYPE rs:big"));
    is_integer(cmd(c, "EXISTS rh:gone rs:gone"), 0, NAME("deleted collections stay deleted"));
    is_integer(cmd(c, "SCARD rs:gone"), 0, NAME("SCARD rs:gone"));
    enc_is(c, "rh:small", "listpack", NAME("OBJECT ENCODING rh:small"));
    enc_is(c, "rh:big", "hashtable", NAME("OBJECT ENCODING rh:big"));
    enc_is(c, "rs:small", "hashtable", NAME("OBJECT ENCODING rs:small (strings)"));
    enc_is(c, "rs:ints", "intset", NAME("OBJECT ENCODING rs:ints"));
    is_status(cmd(c, "SELECT 4"), "OK", "SELECT 4");
    is_pairs_of(cmd(c, "HGETALL rh:db4"), "a 1", NAME("the hash in db 4"));
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
#undef NAME
}

static void test_restart(struct tserver *s, redisContext **c)
{
    tc_section(*c, "restart (omenkv only)");
    if (s->external) {
        skip("restart: an external server cannot be restarted from here");
        return;
    }
    restart_load(*c);
    restart_check(*c, "before restart");
    redisFree(*c);
    ok(ts_restart(s) == 0, "restart on the same data");
    *c = ts_connect(s);
    restart_check(*c, "after restart");
    /* writes after the restart: the ids of new split collections are new */
    is_int(fill(*c, "SADD", "rs:new", "n", 3000), 3000, "a new set of 3000 after the restart");
    is_integer(cmd(*c, "SCARD rs:big"), 4997, "... rs:big is untouched");
    ok(set_is_model(*c, "rs:new", "n", 0, 3000), "... rs:new holds only its members");
    is_int(fill(*c, "HSET", "rh:gone", "g", 2000), 2000, "a hash under a deleted name");
    ok(hash_is_model(*c, "rh:gone", "g", 0, 2000), "... holds only its own fields");
    is_status(cmd(*c, "FLUSHALL"), "OK", "FLUSHALL");
    is_int(fill(*c, "SADD", "rs:big", "z", 1500), 1500, "rs:big again after FLUSHALL");
    ok(set_is_model(*c, "rs:big", "z", 0, 1500), "... holds only its new members");
    redisFree(*c);
    ok(ts_restart(s) == 0, "restart once more");
    *c = ts_connect(s);
    ok(set_is_model(*c, "rs:big", "z", 0, 1500), "rs:big after FLUSHALL and a restart");
    is_integer(cmd(*c, "DBSIZE"), 1, "DBSIZE after FLUSHALL and a restart");
}

/* ---- omenkv only: across the inline limit ---- */

/* INFO persistence collections_split: how many split collections the server holds. */
static long long nsplit(redisContext *c)
{
    return ts_info_field(c, "persistence", "collections_split");
}

/* Grow hash 'key' one field at a time to 'n' fields, then delete them one at a time,
 * checking each reply, HLEN, HGET, HEXISTS, HSTRLEN and, every 'every' steps, HGETALL
 * and a full HSCAN against the model. One assertion per phase (the failures say where). */
static void split_hash_walk(redisContext *c, const char *key, int n, int every)
{
    long long base = nsplit(c), most = base, one_left = -1;
    int bad = 0;
    char line[160], val[64];

    for (int i = 0; i < n && bad < 5; i++) {
        long long v;

        snprintf(line, sizeof(line), "HSET %s f%d v%d", key, i, i);
        bad += (v = tc_int(c, line)) != 1;
        snprintf(line, sizeof(line), "HLEN %s", key);
        bad += (v = tc_int(c, line)) != i + 1;
        if (v != i + 1)
            diag("  HLEN after %d fields: %lld", i + 1, v);
        snprintf(line, sizeof(line), "HEXISTS %s f%d", key, i / 2);
        bad += tc_int(c, line) != 1;
        snprintf(line, sizeof(line), "HSTRLEN %s f%d", key, i);
        snprintf(val, sizeof(val), "v%d", i);
        bad += tc_int(c, line) != (long long)strlen(val);
        {
            redisReply *r = cmd(c, "HGET %s f%d", key, i / 3);
            char want[32];

            snprintf(want, sizeof(want), "v%d", i / 3);
            if (!r || r->type != REDIS_REPLY_STRING || strcmp(r->str, want)) {
                bad++;
                diag("  HGET f%d after %d fields:", i / 3, i + 1);
                ts_diag_reply(r);
            }
            freeReplyObject(r);
        }
        if (i % every == every - 1 || i == n - 1) {
            struct tc_strs got = {0};
            long calls;

            if (!hash_is_model(c, key, "f", 0, i + 1)) {
                bad++;
                diag("  HGETALL after %d fields", i + 1);
            }
            most = nsplit(c) > most ? nsplit(c) : most;
            calls = tc_scan_all(c, "HSCAN", key, "COUNT 3", 1, &got, NULL, NULL);
            tc_sort(&got);
            if (calls < 0 || got.n != (size_t)i + 1 || tc_dups(&got)) {
                bad++;
                diag("  HSCAN after %d fields: %zu returned, %zu twice", i + 1, got.n,
                     tc_dups(&got));
            }
            tc_free(&got);
        }
    }
    ok(bad == 0, "%s grown field by field to %d: every reply right", key, n);
    ok(most == base + 1, "... it split on the way (collections_split %lld -> %lld)", base, most);
    enc_is(c, key, n > 512 ? "hashtable" : "listpack", "... OBJECT ENCODING as Redis says");
    bad = 0;
    for (int i = 0; i < n && bad < 5; i++) {
        snprintf(line, sizeof(line), "HDEL %s f%d", key, i);
        bad += tc_int(c, line) != 1;
        snprintf(line, sizeof(line), "HLEN %s", key);
        bad += tc_int(c, line) != n - i - 1;
        snprintf(line, sizeof(line), "HEXISTS %s f%d", key, i);
        bad += tc_int(c, line) != 0;
        if (i + 1 < n) {
            redisReply *r = cmd(c, "HGET %s f%d", key, n - 1);

            snprintf(val, sizeof(val), "v%d", n - 1);
            bad += !r || r->type != REDIS_REPLY_STRING || strcmp(r->str, val);
            freeReplyObject(r);
        }
        if ((i % every == every - 1 || i > n - 20) && !hash_is_model(c, key, "f", i + 1, n)) {
            bad++;
            diag("  HGETALL after deleting %d fields", i + 1);
        }
        if (i == n - 2)
            one_left = nsplit(c);
    }
    ok(bad == 0, "%s shrunk field by field back to nothing: every reply right", key);
    ok(one_left == base, "... with one field left it was inline again (collections_split %lld)",
       one_left);
    is_integer(cmd(c, "EXISTS %s", key), 0, "... and the key is gone");
}

/* The same for set 'key': SADD one by one to 'n', then SREM back. */
static void split_set_walk(redisContext *c, const char *key, int n, int every)
{
    long long base = nsplit(c), most = base, one_left = -1;
    int bad = 0;
    char line[160];

    for (int i = 0; i < n && bad < 5; i++) {
        snprintf(line, sizeof(line), "SADD %s m%d", key, i);
        bad += tc_int(c, line) != 1;
        bad += tc_int(c, line) != 0;
        snprintf(line, sizeof(line), "SCARD %s", key);
        bad += tc_int(c, line) != i + 1;
        snprintf(line, sizeof(line), "SISMEMBER %s m%d", key, i / 2);
        bad += tc_int(c, line) != 1;
        snprintf(line, sizeof(line), "SISMEMBER %s m%d", key, i + 1);
        bad += tc_int(c, line) != 0;
        if (i % every == every - 1 || i == n - 1) {
            struct tc_strs got = {0};
            long calls;

            if (!set_is_model(c, key, "m", 0, i + 1)) {
                bad++;
                diag("  SMEMBERS after %d members", i + 1);
            }
            most = nsplit(c) > most ? nsplit(c) : most;
            calls = tc_scan_all(c, "SSCAN", key, "COUNT 3", 0, &got, NULL, NULL);
            tc_sort(&got);
            if (calls < 0 || got.n != (size_t)i + 1 || tc_dups(&got)) {
                bad++;
                diag("  SSCAN after %d members: %zu returned", i + 1, got.n);
            }
            tc_free(&got);
        }
    }
    ok(bad == 0, "%s grown member by member to %d: every reply right", key, n);
    ok(most == base + 1, "... it split on the way (collections_split %lld -> %lld)", base, most);
    enc_is(c, key, "hashtable", "... OBJECT ENCODING hashtable (string members)");
    bad = 0;
    for (int i = 0; i < n && bad < 5; i++) {
        snprintf(line, sizeof(line), "SREM %s m%d", key, i);
        bad += tc_int(c, line) != 1;
        bad += tc_int(c, line) != 0;
        snprintf(line, sizeof(line), "SCARD %s", key);
        bad += tc_int(c, line) != n - i - 1;
        if ((i % every == every - 1 || i > n - 20) && !set_is_model(c, key, "m", i + 1, n)) {
            bad++;
            diag("  SMEMBERS after removing %d members", i + 1);
        }
        if (i == n - 2)
            one_left = nsplit(c);
    }
    ok(one_left == base, "... with one member left it was inline again (collections_split %lld)",
       one_left);
    ok(bad == 0, "%s shrunk member by member back to nothing: every reply right", key);
    is_integer(cmd(c, "EXISTS %s", key), 0, "... and the key is gone");
}

static void test_split(const struct tserver *ext)
{
    static const char *args[] = {"--collection-inline-max-bytes", "64", NULL};
    struct tserver s;
    redisContext *c;
    struct tc_strs got = {0};
    redisReply *r;
    char big[200];

    if (ext->external) {
        skip("collection-inline-max-bytes: omenkv's own option, on a server of our own");
        return;
    }
    diag("---- a server with --collection-inline-max-bytes 64 (omenkv only)");
    if (ts_start(&s, args) != 0) {
        ok(0, "a server with --collection-inline-max-bytes 64 starts");
        return;
    }
    c = ts_connect(&s);
    split_hash_walk(c, "sh", 60, 1);
    split_set_walk(c, "ss", 60, 1);
    split_hash_walk(c, "sh2", 600, 50);

    /* one element bigger than the limit */
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_integer(cmd(c, "HSET one f %s", big), 1, "HSET one value larger than the limit");
    is_str(cmd(c, "HGET one f"), big, strlen(big), "... reads back");
    is_integer(cmd(c, "HLEN one"), 1, "... HLEN 1");
    enc_is(c, "one", "hashtable", "... OBJECT ENCODING hashtable (a 199-byte value)");
    is_integer(cmd(c, "HSET one f short"), 0, "HSET it short");
    is_str(cmd(c, "HGET one f"), "short", 5, "... reads back");
    is_integer(cmd(c, "SADD sone %s", big), 1, "SADD one member larger than the limit");
    is_integer(cmd(c, "SISMEMBER sone %s", big), 1, "... is a member");
    is_integer(cmd(c, "SREM sone %s", big), 1, "... SREM it");
    is_integer(cmd(c, "EXISTS sone"), 0, "... the set is gone");

    /* split collections through the other commands */
    is_int(fill(c, "HSET", "h", "f", 40), 40, "a split hash of 40");
    enc_is(c, "h", "listpack", "... OBJECT ENCODING listpack: Redis' rule, whatever our layout");
    is_integer(cmd(c, "HINCRBY h n 5"), 5, "HINCRBY a new field of a split hash");
    is_integer(cmd(c, "HINCRBY h n 5"), 10, "HINCRBY it again");
    is_str(cmd(c, "HINCRBYFLOAT h n 0.5"), "10.5", 4, "HINCRBYFLOAT it");
    is_integer(cmd(c, "HSETNX h f3 x"), 0, "HSETNX of an existing field");
    is_integer(cmd(c, "HSETNX h new x"), 1, "HSETNX of a new field");
    is_array_of(cmd(c, "HMGET h f0 zz f39 new"), "v0 (nil) v39 x", "HMGET of a split hash");
    is_integer(cmd(c, "HDEL h n new"), 2, "HDEL the two new fields");
    r = cmd(c, "HKEYS h");
    ok(tc_from_reply(&got, r) && got.n == 40, "HKEYS of the split hash: 40");
    freeReplyObject(r);
    tc_free(&got);
    r = cmd(c, "HRANDFIELD h -100 WITHVALUES");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 200, "HRANDFIELD -100 WITHVALUES");
    freeReplyObject(r);
    is_integer(cmd(c, "EXPIRE h 100"), 1, "EXPIRE the split hash");
    is_status(cmd(c, "RENAME h h2"), "OK", "RENAME it");
    ok(hash_is_model(c, "h2", "f", 0, 40), "... its fields under the new name");
    ttl_within(c, "TTL", "h2", 95, 100, "... its TTL");
    is_integer(cmd(c, "COPY h2 h3"), 1, "COPY it");
    is_integer(cmd(c, "HDEL h2 f0 f1 f2"), 3, "HDEL from the original");
    ok(hash_is_model(c, "h3", "f", 0, 40), "... the copy keeps every field");
    ok(hash_is_model(c, "h2", "f", 3, 40), "... the original lost three");
    is_integer(cmd(c, "MOVE h3 1"), 1, "MOVE the copy to db 1");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    ok(hash_is_model(c, "h3", "f", 0, 40), "... the moved copy in db 1");
    is_integer(cmd(c, "HLEN h3"), 40, "... HLEN there");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_integer(cmd(c, "DEL h2"), 1, "DEL the split hash");
    is_integer(cmd(c, "HSET h2 f0 new"), 1, "a new hash under its name");
    is_pairs_of(cmd(c, "HGETALL h2"), "f0 new", "... holds only its field");
    is_status(cmd(c, "SET h2 str"), "OK", "SET over it");
    is_str(cmd(c, "GET h2"), "str", 3, "... a string now");

    is_int(fill(c, "SADD", "a", "m", 40), 40, "a split set a of 40");
    is_int(fill(c, "SADD", "b", "m", 20), 20, "a split set b of 20");
    is_integer(cmd(c, "SINTERCARD 2 a b"), 20, "SINTERCARD of split sets");
    is_integer(cmd(c, "SDIFFSTORE d a b"), 20, "SDIFFSTORE of split sets");
    ok(set_is_model(c, "d", "m", 20, 40), "... the result");
    is_integer(cmd(c, "SMOVE a b m39"), 1, "SMOVE between split sets");
    is_integer(cmd(c, "SCARD a"), 39, "... SCARD of the source");
    is_integer(cmd(c, "SCARD b"), 21, "... SCARD of the destination");
    r = cmd(c, "SPOP a 30");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 30, "SPOP 30 of a split set");
    freeReplyObject(r);
    is_integer(cmd(c, "SCARD a"), 9, "... 9 left");
    r = cmd(c, "SPOP a 30");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 9, "SPOP the rest");
    freeReplyObject(r);
    is_integer(cmd(c, "EXISTS a"), 0, "... the set is gone");

    /* split collections survive a restart */
    is_int(fill(c, "HSET", "keep:h", "f", 100), 100, "a split hash of 100 to keep");
    is_int(fill(c, "SADD", "keep:s", "m", 100), 100, "a split set of 100 to keep");
    is_integer(cmd(c, "HSET keep:small a 1"), 1, "an inline hash to keep");
    is_int(nsplit(c), 5, "collections_split: keep:h, keep:s, h3 (db 1), b and d");
    redisFree(c);
    ok(ts_restart(&s) == 0, "restart");
    c = ts_connect(&s);
    ok(hash_is_model(c, "keep:h", "f", 0, 100), "the split hash after the restart");
    ok(set_is_model(c, "keep:s", "m", 0, 100), "the split set after the restart");
    is_integer(cmd(c, "HLEN keep:h"), 100, "HLEN after the restart");
    is_integer(cmd(c, "SCARD keep:s"), 100, "SCARD after the restart");
    is_pairs_of(cmd(c, "HGETALL keep:small"), "a 1", "the inline hash after the restart");
    is_int(nsplit(c), 5, "collections_split after the restart");
    is_set_of(cmd(c, "SMEMBERS d"), "m20 m21 m22 m23 m24 m25 m26 m27 m28 m29 m30 m31 m32 m33 "
                                     "m34 m35 m36 m37 m38 m39",
              "the SDIFFSTORE result after the restart");
    split_hash_walk(c, "keep:h2", 40, 5);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
    is_integer(cmd(c, "HSET keep:h x 1"), 1, "keep:h again after FLUSHALL");
    is_pairs_of(cmd(c, "HGETALL keep:h"), "x 1", "... holds only its new field");
    redisFree(c);
    ts_cleanup(&s);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_basic_keys(c);
    test_expire(c);
    test_rename_copy_move(c);
    test_encoding(c);
    test_keyspace(c);
    test_wrongtype(c);
    test_multi_watch(&s, c);
    test_restart(&s, &c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(c);
    ts_cleanup(&s);
    test_split(&s);
    return tap_done();
}
