/* test_hll.c - the HyperLogLog commands against a real server: PFADD PFCOUNT PFMERGE
 * PFDEBUG PFSELFTEST with every error (arity, WRONGTYPE, a string that is no HLL, corrupt
 * registers), the cached cardinality and the WATCH its write triggers, sparse to dense
 * promotion under hll-sparse-max-bytes, PFCOUNT of several keys, PFMERGE into a missing
 * or existing key, expiry kept, and (omenkv only) a restart and DEBUG CHECK.
 * Then byte identity with redis-server itself: a reference redis-server 7.0 (started
 * here from $OMK_REDIS_SERVER or /usr/bin/redis-server; skipped if there is none) gets the
 * same commands, and every reply and every value (GET) must be the same bytes, over a
 * random run that also corrupts values, with values written by one server SET into the
 * other, and (omenkv only) with strings kept in fragments. Every expectation passes
 * against redis-server 7.0 too (OMK_TEST_SERVER=host:port). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"

#define NOTHLL "WRONGTYPE Key is not a valid HyperLogLog string value."
#define CORRUPT "INVALIDOBJ Corrupted HLL object detected"
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define DENSE_SIZE 12304

/* The reply to 'line' (split on spaces by hiredis; no '%' in it) is error 'want'. */
static void line_is_error(redisContext *c, const char *line, const char *want)
{
    char name[200];

    snprintf(name, sizeof(name), "%s -> %s", line, want);
    is_error(cmd(c, line), want, name);
}

/* The integer reply to 'line', or -1000 (after a diagnostic) for any other reply. */
static long long int_of(redisContext *c, const char *line)
{
    redisReply *r = cmd(c, line);
    long long v = -1000;

    if (r && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else
        ts_diag_reply(r);
    freeReplyObject(r);
    return v;
}

/* The value of 'key' (GET) into 'out' (cap bytes); its length, or -1 if not a string. */
static long get_bytes(redisContext *c, const char *key, char *out, size_t cap)
{
    redisReply *r = cmd(c, "GET %s", key);
    long n = -1;

    if (r && r->type == REDIS_REPLY_STRING && (size_t)r->len <= cap) {
        memcpy(out, r->str, r->len);
        n = (long)r->len;
    }
    freeReplyObject(r);
    return n;
}

/* Add 'n' elements "<prefix><i>" to 'key' in batches of 100. */
static void add_seq(redisContext *c, const char *key, const char *prefix, int n)
{
    for (int i = 0; i < n; i += 100) {
        const char *argv[102];
        size_t lens[102];
        char buf[100][32];
        int k = 0;

        argv[0] = "PFADD";
        lens[0] = 5;
        argv[1] = key;
        lens[1] = strlen(key);
        for (; k < 100 && i + k < n; k++) {
            lens[2 + k] = (size_t)snprintf(buf[k], sizeof(buf[k]), "%s%d", prefix, i + k);
            argv[2 + k] = buf[k];
        }
        freeReplyObject(redisCommandArgv(c, 2 + k, argv, lens));
    }
}

/* ---- The commands on their own -------------------------------------------------------- */

static void test_arity(redisContext *c)
{
    line_is_error(c, "PFADD", "ERR wrong number of arguments for 'pfadd' command");
    line_is_error(c, "PFCOUNT", "ERR wrong number of arguments for 'pfcount' command");
    line_is_error(c, "PFMERGE", "ERR wrong number of arguments for 'pfmerge' command");
    line_is_error(c, "PFDEBUG GETREG", "ERR wrong number of arguments for 'pfdebug' command");
    line_is_error(c, "PFDEBUG GETREG a b", "ERR wrong number of arguments for 'pfdebug' command");
    line_is_error(c, "PFSELFTEST x", "ERR wrong number of arguments for 'pfselftest' command");
}

static void test_pfadd(redisContext *c)
{
    static const char abc[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80"
                              "\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a";
    char v[64];
    long n;

    is_integer(cmd(c, "PFCOUNT nohll"), 0, "PFCOUNT of a missing key is 0");
    is_integer(cmd(c, "EXISTS nohll"), 0, "  ... and creates nothing");
    is_integer(cmd(c, "PFADD e"), 1, "PFADD with no element creates the key: 1");
    is_integer(cmd(c, "PFADD e"), 0, "  ... again: 0");
    is_str(cmd(c, "GET e"), "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", 18,
           "  ... an empty sparse HLL, its cache marked stale (a change, as Redis)");
    is_integer(cmd(c, "PFCOUNT e"), 0, "  ... counts 0");
    is_str(cmd(c, "GET e"), "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18,
           "  ... and caches the 0");
    is_integer(cmd(c, "PFADD h a b c"), 1, "PFADD h a b c: 1");
    is_str(cmd(c, "GET h"), abc, sizeof(abc) - 1, "  ... Redis' bytes, cache stale");
    is_integer(cmd(c, "PFADD h a b c"), 0, "PFADD the same elements: 0");
    is_integer(cmd(c, "PFADD h c a"), 0, "  ... in another order: 0");
    is_integer(cmd(c, "PFCOUNT h"), 3, "PFCOUNT h: 3");
    n = get_bytes(c, "h", v, sizeof(v));
    ok(n == 27 && memcmp(v + 8, "\x03\0\0\0\0\0\0\0", 8) == 0,
       "  ... the count is cached in bytes 8..15 (little endian, valid)");
    is_integer(cmd(c, "PFADD h a"), 0, "a PFADD that changes nothing");
    is_str(cmd(c, "GETRANGE h 15 15"), "\0", 1, "  ... leaves the cache valid");
    is_integer(cmd(c, "PFADD h 1 2 3"), 1, "a PFADD that raises a register");
    is_str(cmd(c, "GETRANGE h 15 15"), "\x80", 1, "  ... marks the cache stale");
    is_integer(cmd(c, "PFCOUNT h"), 6, "PFCOUNT: 6");
    is_integer(cmd(c, "PFADD emptyel %b", "", (size_t)0), 1, "PFADD of the empty string");
    is_integer(cmd(c, "PFCOUNT emptyel"), 1, "  ... counts 1");
    is_integer(cmd(c, "PFADD bin %b", "\0\xff\r\n", (size_t)4), 1, "PFADD of binary bytes");
    is_status(cmd(c, "TYPE h"), "string", "TYPE of an HLL is string");
    is_str(cmd(c, "OBJECT ENCODING h"), "raw", 3, "OBJECT ENCODING raw");
    is_integer(cmd(c, "STRLEN e"), 18, "STRLEN of an empty HLL: 18");
}

static void test_types(redisContext *c)
{
    is_status(cmd(c, "SET str bar"), "OK", "SET str bar");
    is_integer(cmd(c, "RPUSH lst a"), 1, "RPUSH lst a");
    line_is_error(c, "PFADD str 1", NOTHLL);
    line_is_error(c, "PFCOUNT str", NOTHLL);
    line_is_error(c, "PFMERGE str", NOTHLL);
    line_is_error(c, "PFMERGE h str", NOTHLL);
    line_is_error(c, "PFMERGE str h", NOTHLL);
    line_is_error(c, "PFDEBUG ENCODING str", NOTHLL);
    line_is_error(c, "PFADD lst 1", WRONGTYPE);
    line_is_error(c, "PFCOUNT lst", WRONGTYPE);
    line_is_error(c, "PFCOUNT h lst", WRONGTYPE);
    line_is_error(c, "PFCOUNT h str lst", NOTHLL);
    line_is_error(c, "PFCOUNT h lst str", WRONGTYPE);
    line_is_error(c, "PFMERGE h lst", WRONGTYPE);
    line_is_error(c, "PFMERGE newdst h lst", WRONGTYPE);
    is_integer(cmd(c, "EXISTS newdst"), 0, "  ... and creates no destination");
    line_is_error(c, "PFDEBUG GETREG lst", WRONGTYPE);
    is_str(cmd(c, "GET str"), "bar", 3, "the string is unchanged");

    /* Redis' checks: at least 16 bytes, the magic, a known encoding, a dense length. */
    is_status(cmd(c, "SET short HYLL"), "OK", "SET a 4-byte string");
    line_is_error(c, "PFCOUNT short", NOTHLL);
    is_status(cmd(c, "SET num 12345678901234567890"), "OK", "SET a 20-digit number");
    line_is_error(c, "PFADD num x", NOTHLL);
    is_status(cmd(c, "SET bm %b", "HYLl\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", (size_t)18), "OK",
              "SET a value with a broken magic");
    line_is_error(c, "PFCOUNT bm", NOTHLL);
    is_status(cmd(c, "SET be %b", "HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", (size_t)18), "OK",
              "SET a value with encoding 2");
    line_is_error(c, "PFCOUNT be", NOTHLL);
    is_status(cmd(c, "SET bd %b", "HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", (size_t)18), "OK",
              "SET a dense value of 18 bytes");
    line_is_error(c, "PFCOUNT bd", NOTHLL);
    line_is_error(c, "PFDEBUG DECODE bd", NOTHLL);
}

/* PFCOUNT writes a stale cache back, and WATCH sees that write (Redis signals it). */
static void test_watch(const struct tserver *s, redisContext *c)
{
    redisContext *c2 = ts_connect(s);
    redisReply *r;

    is_integer(cmd(c, "PFADD w a b c d"), 1, "PFADD w (cache stale)");
    is_status(cmd(c, "WATCH w"), "OK", "WATCH w");
    is_integer(cmd(c2, "PFCOUNT w"), 4, "another client's PFCOUNT w: 4 (caches it)");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "PING queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_NIL, "EXEC fails: the cache write touched w");
    freeReplyObject(r);

    is_status(cmd(c, "WATCH w"), "OK", "WATCH w again");
    is_integer(cmd(c2, "PFCOUNT w"), 4, "PFCOUNT w with a valid cache");
    is_integer(cmd(c2, "PFADD w a"), 0, "PFADD w a (no change)");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "PING queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1,
       "EXEC runs: neither a cached count nor an idle PFADD writes");
    freeReplyObject(r);

    is_status(cmd(c, "WATCH w"), "OK", "WATCH w");
    is_status(cmd(c2, "PFMERGE w"), "OK", "PFMERGE w alone");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "PING queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_NIL, "EXEC fails: PFMERGE always writes its destination");
    freeReplyObject(r);
    redisFree(c2);
}

static void test_promotion(redisContext *c)
{
    long long len = 0;
    int i, went = 0;

    is_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 3000"), "OK", "hll-sparse-max-bytes 3000");
    freeReplyObject(cmd(c, "DEL p"));
    for (i = 0; i < 5000 && !went; i++) {
        redisReply *r = cmd(c, "PFADD p elem:%d", i);

        freeReplyObject(r);
        r = cmd(c, "PFDEBUG ENCODING p");
        went = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "dense") == 0;
        freeReplyObject(r);
        if (!went)
            len = int_of(c, "STRLEN p");
    }
    ok(went, "PFADD of distinct elements turns the HLL dense (after %d)", i);
    ok(len <= 3000 && len > 2900, "  ... the sparse value was at most 3000 bytes (last %lld)", len);
    is_integer(cmd(c, "STRLEN p"), DENSE_SIZE, "  ... and is now 12304 bytes");
    is_integer(cmd(c, "PFDEBUG TODENSE p"), 0, "PFDEBUG TODENSE of a dense HLL: 0");

    is_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 20"), "OK", "hll-sparse-max-bytes 20");
    freeReplyObject(cmd(c, "DEL p2"));
    is_integer(cmd(c, "PFADD p2 a"), 1, "PFADD a: the split (18 + 3 bytes) would pass 20");
    is_status(cmd(c, "PFDEBUG ENCODING p2"), "dense", "  ... so it is dense at once");
    is_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 3000"), "OK", "back to 3000");

    /* A register above 32 cannot be sparse: an element with a long run of zeros. */
    freeReplyObject(cmd(c, "DEL p3"));
    is_integer(cmd(c, "PFADD p3 a b"), 1, "a sparse HLL");
    is_status(cmd(c, "PFDEBUG ENCODING p3"), "sparse", "  ... is sparse");
    line_is_error(c, "CONFIG SET hll-sparse-max-bytes -1",
                  "ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') "
                  "- argument must be a memory value");
    is_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 1kb"), "OK", "hll-sparse-max-bytes 1kb");
    {
        redisReply *r = cmd(c, "CONFIG GET hll-sparse-max-bytes");

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               strcmp(r->element[1]->str, "1024") == 0,
           "CONFIG GET hll-sparse-max-bytes: 1024");
        freeReplyObject(r);
    }
    is_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 3000"), "OK", "back to 3000");
}

static void test_count_many(redisContext *c)
{
    long long u, a, b;

    freeReplyObject(cmd(c, "DEL ua ub uc"));
    add_seq(c, "ua", "x", 2000);
    add_seq(c, "ub", "x", 1000);
    add_seq(c, "ub", "y", 3000);
    add_seq(c, "uc", "x", 5000); /* a superset of ua */
    a = int_of(c, "PFCOUNT ua");
    b = int_of(c, "PFCOUNT ub");
    u = int_of(c, "PFCOUNT ua ub");
    ok(a > 1900 && a < 2100, "PFCOUNT of 2000 elements: %lld", a);
    ok(b > 3800 && b < 4200, "PFCOUNT of 4000 elements: %lld", b);
    ok(u > 4800 && u < 5200, "PFCOUNT of both: their union, about 5000 (%lld)", u);
    is_integer(cmd(c, "PFCOUNT ua ua"), a, "a key named twice counts once");
    is_integer(cmd(c, "PFCOUNT ua nokey1 nokey2"), a, "missing keys count as empty");
    is_integer(cmd(c, "PFCOUNT nokey1 nokey2"), 0, "only missing keys: 0");
    is_integer(cmd(c, "PFCOUNT ua uc"), int_of(c, "PFCOUNT uc"),
               "merged with a superset: the superset's count");
    is_integer(cmd(c, "EXISTS nokey1"), 0, "  ... and nothing is created");
}

static void test_merge(redisContext *c)
{
    char v1[DENSE_SIZE], v2[DENSE_SIZE];
    long n1, n2;

    freeReplyObject(cmd(c, "DEL m1 m2 m3 md me"));
    add_seq(c, "m1", "a", 500);
    add_seq(c, "m2", "b", 500);
    add_seq(c, "m3", "a", 250);
    is_status(cmd(c, "PFMERGE md m1 m2 m3"), "OK", "PFMERGE into a missing key");
    is_status(cmd(c, "PFDEBUG ENCODING md"), "sparse", "  ... sparse like its inputs");
    ok(llabs(int_of(c, "PFCOUNT md") - 1000) < 30, "  ... counts their union (about 1000)");
    is_integer(cmd(c, "PFCOUNT md"), int_of(c, "PFCOUNT m1 m2 m3"),
               "  ... the same as PFCOUNT of the three");
    is_status(cmd(c, "PFMERGE m1 m2"), "OK", "PFMERGE into an existing key");
    is_integer(cmd(c, "PFCOUNT m1"), int_of(c, "PFCOUNT md"), "  ... it holds the union now");
    is_status(cmd(c, "PFMERGE me"), "OK", "PFMERGE of a missing key alone");
    is_str(cmd(c, "GET me"), "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", 18,
           "  ... creates an empty HLL with its cache marked stale");
    is_integer(cmd(c, "PFCOUNT me"), 0, "  ... counting 0");
    is_status(cmd(c, "PFMERGE me nokey"), "OK", "PFMERGE of missing sources");

    /* A dense input makes the destination dense. */
    freeReplyObject(cmd(c, "DEL dd ds"));
    add_seq(c, "dd", "d", 3000);
    add_seq(c, "ds", "s", 10);
    is_status(cmd(c, "PFDEBUG ENCODING dd"), "dense", "a dense input");
    is_status(cmd(c, "PFMERGE ds dd"), "OK", "PFMERGE a dense one into a sparse one");
    is_status(cmd(c, "PFDEBUG ENCODING ds"), "dense", "  ... the destination turns dense");
    is_status(cmd(c, "PFMERGE dd ds"), "OK", "PFMERGE back");
    n1 = get_bytes(c, "dd", v1, sizeof(v1));
    n2 = get_bytes(c, "ds", v2, sizeof(v2));
    ok(n1 == DENSE_SIZE && n2 == DENSE_SIZE && memcmp(v1 + 16, v2 + 16, DENSE_SIZE - 16) == 0,
       "  ... both hold the same registers");
    is_status(cmd(c, "PFMERGE dd dd"), "OK", "PFMERGE of a key into itself");
    is_integer(cmd(c, "PFCOUNT dd"), int_of(c, "PFCOUNT ds"), "  ... changes no register");
}

static void test_corrupt(redisContext *c)
{
    static const char shortcode[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x40\x63"; /* 100 regs */
    static const char cached[] = "HYLL\x01\0\0\0\x07\0\0\0\0\0\0\0\x40\x63";    /* count 7 */

    freeReplyObject(cmd(c, "DEL ct"));
    is_integer(cmd(c, "PFADD ct a b c"), 1, "PFADD ct a b c");
    is_integer(cmd(c, "APPEND ct hello"), 32, "APPEND junk after the registers");
    line_is_error(c, "PFCOUNT ct", CORRUPT);
    line_is_error(c, "PFCOUNT ct h", CORRUPT);
    line_is_error(c, "PFMERGE ct", CORRUPT);
    line_is_error(c, "PFMERGE ctd h ct", CORRUPT);
    is_integer(cmd(c, "EXISTS ctd"), 0, "  ... and creates no destination");
    line_is_error(c, "PFDEBUG GETREG ct", CORRUPT);
    line_is_error(c, "PFDEBUG TODENSE ct", CORRUPT);
    is_status(cmd(c, "PFDEBUG ENCODING ct"), "sparse", "PFDEBUG ENCODING still answers");
    {
        static const char want[] =
            "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603 Z:10342 Z:11373 Z:12033";

        is_str(cmd(c, "PFDEBUG DECODE ct"), want, sizeof(want) - 1,
               "PFDEBUG DECODE shows the junk as opcodes (its last XZERO cut short)");
    }

    is_status(cmd(c, "SET cs %b", shortcode, sizeof(shortcode) - 1), "OK",
              "SET a sparse code of 100 registers");
    line_is_error(c, "PFCOUNT cs", CORRUPT);
    is_integer(cmd(c, "PFADD cs el677"), 1,
               "PFADD of an element in register 5, which it covers, works (as Redis)");
    line_is_error(c, "PFADD cs hello", CORRUPT);
    is_str(cmd(c, "PFDEBUG DECODE cs"), "z:5 v:4,1 Z:94", 14, "  ... and the change stayed");
    line_is_error(c, "PFADD cs el39 hello", CORRUPT);
    is_str(cmd(c, "PFDEBUG DECODE cs"), "z:5 v:4,1 z:14 v:1,1 Z:79", 25,
           "  ... a register raised before the error stays raised (as Redis)");
    is_status(cmd(c, "SET cc %b", cached, sizeof(cached) - 1), "OK",
              "SET the same code with a valid cached count of 7");
    is_integer(cmd(c, "PFCOUNT cc"), 7, "PFCOUNT trusts a valid cache");
    line_is_error(c, "PFCOUNT cc e", CORRUPT);
    is_str(cmd(c, "GET cc"), cached, sizeof(cached) - 1, "  ... and nothing was written");
}

static void test_pfdebug(redisContext *c)
{
    redisReply *r;
    long long sum = 0;

    freeReplyObject(cmd(c, "DEL g"));
    is_integer(cmd(c, "PFADD g a b c"), 1, "PFADD g a b c");
    line_is_error(c, "PFDEBUG GETREG nokey", "ERR The specified key does not exist");
    line_is_error(c, "PFDEBUG nosuch nokey", "ERR The specified key does not exist");
    line_is_error(c, "PFDEBUG nosuch g", "ERR Unknown PFDEBUG subcommand 'nosuch'");
    is_status(cmd(c, "pfdebug encoding g"), "sparse", "subcommands ignore case");
    is_str(cmd(c, "PFDEBUG DECODE g"), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603", 44,
           "PFDEBUG DECODE");
    r = cmd(c, "PFDEBUG GETREG g");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 16384, "GETREG: 16384 registers");
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        sum += r->element[i]->integer;
    ok(r && r->element[8436]->integer == 1 && r->element[12711]->integer == 2 &&
           r->element[15780]->integer == 1 && sum == 4,
       "  ... registers 8436, 12711, 15780 at 1, 2, 1, the rest 0");
    freeReplyObject(r);
    is_status(cmd(c, "PFDEBUG ENCODING g"), "dense", "GETREG made the value dense (kept)");
    is_integer(cmd(c, "STRLEN g"), DENSE_SIZE, "  ... 12304 bytes");
    line_is_error(c, "PFDEBUG DECODE g", "ERR HLL encoding is not sparse");
    is_integer(cmd(c, "PFCOUNT g"), 3, "PFCOUNT of the dense value: 3");

    freeReplyObject(cmd(c, "DEL g2"));
    is_integer(cmd(c, "PFADD g2 a"), 1, "PFADD g2 a");
    is_integer(cmd(c, "PFDEBUG TODENSE g2"), 1, "PFDEBUG TODENSE: 1");
    is_integer(cmd(c, "PFDEBUG TODENSE g2"), 0, "  ... again: 0");
    is_status(cmd(c, "PFDEBUG ENCODING g2"), "dense", "  ... dense");
    is_integer(cmd(c, "PFADD g2 a"), 0, "PFADD of the same element on the dense value: 0");
    is_integer(cmd(c, "PFADD g2 b"), 1, "PFADD of a new one: 1");
}

/* The reply to OBJECT ENCODING 'key' is 'want'. */
static void encoding_is(redisContext *c, const char *key, const char *want, const char *name)
{
    is_str(cmd(c, "OBJECT ENCODING %s", key), want, strlen(want), name);
}

/* EXEC after WATCH of 'key' on 'c', 'line' on 'other' and MULTI PING: 1 if it ran. */
static int watch_survives(redisContext *c, redisContext *other, const char *key,
                          const char *line)
{
    redisReply *r;
    int ran;

    freeReplyObject(cmd(c, "WATCH %s", key));
    freeReplyObject(cmd(other, line));
    freeReplyObject(cmd(c, "MULTI"));
    freeReplyObject(cmd(c, "PING"));
    r = cmd(c, "EXEC");
    ran = r && r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    return ran;
}

/* A short HyperLogLog SET by a client is "embstr"; Redis unshares the value of PFADD's
 * key, PFCOUNT's single key and PFDEBUG's before it looks at it (an unknown subcommand
 * and damaged registers too), so it becomes "raw" even when nothing else is written, and
 * no WATCH sees that (clients/README.md, kind 8). PFCOUNT of several keys and PFMERGE's
 * sources are only read. */
static void test_unshare(const struct tserver *s, redisContext *c)
{
    static const char stale[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff";
    static const char valid[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff";
    static const char damaged[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x40\x63";
    static const struct {
        const char *value; /* SET first */
        size_t len;
        const char *line;  /* then this */
        const char *enc;   /* OBJECT ENCODING afterwards */
    } cases[] = {
        {stale, sizeof(stale) - 1, "PFADD u", "raw"},
        {stale, sizeof(stale) - 1, "PFDEBUG NOSUCH u", "raw"},
        {stale, sizeof(stale) - 1, "PFDEBUG ENCODING u", "raw"},
        {stale, sizeof(stale) - 1, "PFDEBUG DECODE u", "raw"},
        {stale, sizeof(stale) - 1, "PFCOUNT u", "raw"},
        {valid, sizeof(valid) - 1, "PFCOUNT u", "raw"},
        {damaged, sizeof(damaged) - 1, "PFCOUNT u", "raw"},
        {damaged, sizeof(damaged) - 1, "PFDEBUG TODENSE u", "raw"},
        {damaged, sizeof(damaged) - 1, "PFADD u hello", "raw"},
        {stale, sizeof(stale) - 1, "PFCOUNT u u", "embstr"},
        {stale, sizeof(stale) - 1, "PFCOUNT u nokey", "embstr"},
        {stale, sizeof(stale) - 1, "PFMERGE udst u", "embstr"},
        {"HYLX\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", 18, "PFADD u", "embstr"},
        {"HY", 2, "PFCOUNT u", "embstr"},
    };
    redisContext *other = ts_connect(s);
    char name[200];

    for (size_t i = 0; i < OMK_ARRAY_LEN(cases); i++) {
        freeReplyObject(cmd(c, "SET u %b", cases[i].value, cases[i].len));
        freeReplyObject(cmd(c, cases[i].line));
        snprintf(name, sizeof(name), "SET u (%zu bytes), %s: %s", cases[i].len, cases[i].line,
                 cases[i].enc);
        encoding_is(c, "u", cases[i].enc, name);
    }
    freeReplyObject(cmd(c, "SET u %b", stale, sizeof(stale) - 1));
    is_integer(cmd(c, "PFADD u"), 0, "PFADD u, nothing added");
    is_integer(cmd(c, "COPY u ucopy REPLACE"), 1, "COPY u ucopy");
    encoding_is(c, "ucopy", "raw", "  ... the copy is raw too");
    freeReplyObject(cmd(c, "SET u %b", stale, sizeof(stale) - 1));
    ok(watch_survives(c, other, "u", "PFADD u"), "a PFADD that only makes it raw: EXEC runs");
    encoding_is(c, "u", "raw", "  ... raw");
    freeReplyObject(cmd(c, "SET u %b", valid, sizeof(valid) - 1));
    ok(watch_survives(c, other, "u", "PFCOUNT u"), "so does a PFCOUNT from the cache");
    freeReplyObject(cmd(c, "SET u %b", stale, sizeof(stale) - 1));
    ok(watch_survives(c, other, "u", "PFDEBUG GETREG u"),
       "PFDEBUG GETREG turns it dense without touching a WATCH");
    is_status(cmd(c, "PFDEBUG ENCODING u"), "dense", "  ... dense");
    freeReplyObject(cmd(c, "SET u %b", stale, sizeof(stale) - 1));
    ok(watch_survives(c, other, "u", "PFDEBUG TODENSE u"), "so does PFDEBUG TODENSE");
    redisFree(other);
}

/* An XZERO cut short by the end of a sparse value reads its missing low byte from
 * past the end of Redis' string: a NUL, until an edit of that XZERO leaves the last
 * byte of its new sequence there, which the string keeps until a write of another
 * length or a new value (clients/README.md, kind 9). Registers: 'hello' goes to 9216,
 * 'a' to 12711 (value 2). */
static void test_cut_xzero(redisContext *c)
{
    /* Z:254 v:1,1, then an XZERO of 16129 registers (0x7f 0x00) cut to its first byte */
    static const char cut[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x40\xfd\x80\x7f";
    static const char after1[] = "\x40\xfd\x80\x63\x00\x80\x5b"; /* ... Z:7167 cut short */
    static const char after2[] = "\x40\xfd\x80\x63\x00\x80\x4d\xa5\x84\x4e";
    char v[64];
    long n;

    freeReplyObject(cmd(c, "DEL xz xz2 xz3"));
    is_status(cmd(c, "SET xz %b", cut, sizeof(cut) - 1), "OK", "SET a value ending in a cut XZERO");
    is_integer(cmd(c, "PFCOUNT xz"), 1, "  ... its missing byte reads as 0: 16384 registers");
    is_integer(cmd(c, "PFADD xz hello"), 1, "PFADD into the cut XZERO");
    n = get_bytes(c, "xz", v, sizeof(v));
    ok(n == 16 + (long)sizeof(after1) - 1 && memcmp(v + 16, after1, sizeof(after1) - 1) == 0,
       "  ... splits it; the new last XZERO is cut short again (its low byte past the end)");
    is_integer(cmd(c, "PFCOUNT xz"), 2, "PFCOUNT reads that byte: 16384 registers, 2 set");
    is_str(cmd(c, "PFDEBUG DECODE xz"), "Z:254 v:1,1 Z:8961 v:1,1 Z:7167", 31,
           "  ... and so does PFDEBUG DECODE");
    is_integer(cmd(c, "PFADD xz a"), 1, "PFADD into the new cut XZERO");
    n = get_bytes(c, "xz", v, sizeof(v));
    ok(n == 16 + (long)sizeof(after2) - 1 && memcmp(v + 16, after2, sizeof(after2) - 1) == 0,
       "  ... split by the run that byte gave it");
    is_integer(cmd(c, "PFCOUNT xz"), 3, "PFCOUNT: 3");
    is_integer(cmd(c, "PFADD xz hello a"), 0, "PFADD of the same elements: 0 (the byte stays)");
    is_str(cmd(c, "PFDEBUG DECODE xz"), "Z:254 v:1,1 Z:8961 v:1,1 Z:3494 v:2,1 Z:3672", 44,
           "  ... PFDEBUG DECODE still reads it");
    is_integer(cmd(c, "COPY xz xz2"), 1, "COPY xz xz2");
    is_str(cmd(c, "PFDEBUG DECODE xz2"), "Z:254 v:1,1 Z:8961 v:1,1 Z:3494 v:2,1 Z:3585", 44,
           "  ... the copy is a new string: a NUL past its end");
    freeReplyObject(cmd(c, "SET xz3 %b", v, (size_t)n));
    line_is_error(c, "PFCOUNT xz3 nokey", CORRUPT); /* its cached count is valid: merge */
    is_status(cmd(c, "SET xz %b", v, (size_t)n), "OK", "SET xz of its own bytes");
    is_str(cmd(c, "PFDEBUG DECODE xz"), "Z:254 v:1,1 Z:8961 v:1,1 Z:3494 v:2,1 Z:3585", 44,
           "  ... a new string too");
    is_integer(cmd(c, "APPEND xz %b", "\x80\x7f", (size_t)2), n + 2,
               "APPEND v:1,1 and a cut XZERO");
    line_is_error(c, "PFCOUNT xz nokey", CORRUPT);
}

static void test_expiry(redisContext *c)
{
    freeReplyObject(cmd(c, "DEL t1 t2"));
    is_integer(cmd(c, "PFADD t1 a"), 1, "PFADD t1 a");
    is_integer(cmd(c, "PEXPIRE t1 100000"), 1, "PEXPIRE t1");
    is_integer(cmd(c, "PFADD t1 b c"), 1, "PFADD t1 b c");
    ok(int_of(c, "PTTL t1") > 0, "  ... keeps the expiry");
    is_integer(cmd(c, "PFCOUNT t1"), 3, "PFCOUNT t1 (writes the cache)");
    ok(int_of(c, "PTTL t1") > 0, "  ... keeps the expiry");
    is_status(cmd(c, "PFMERGE t1 h"), "OK", "PFMERGE into t1");
    ok(int_of(c, "PTTL t1") > 0, "  ... keeps the expiry");
    is_integer(cmd(c, "PFDEBUG TODENSE t1"), 1, "PFDEBUG TODENSE t1");
    ok(int_of(c, "PTTL t1") > 0, "  ... keeps the expiry");
    is_integer(cmd(c, "PFADD t2 a"), 1, "PFADD t2 a");
    is_integer(cmd(c, "PEXPIRE t2 1"), 1, "PEXPIRE t2 1");
    ts_sleep_ms(20);
    is_integer(cmd(c, "PFCOUNT t2"), 0, "an expired HLL counts 0");
    is_integer(cmd(c, "PFADD t2"), 1, "PFADD creates it again: 1");
    is_integer(cmd(c, "PTTL t2"), -1, "  ... without an expiry");
}

/* ---- Byte identity with a reference redis-server ---------------------------------------- */

/* A redis-server started by this test on a unix socket. */
struct ref {
    pid_t pid;
    char sock[64];
    redisContext *c;
};

/* Start the reference server; 0, or -1 (none installed, or it did not start). */
static int ref_start(struct ref *r)
{
    const char *bin = getenv("OMK_REDIS_SERVER");

    if (!bin || !*bin)
        bin = "/usr/bin/redis-server";
    memset(r, 0, sizeof(*r));
    if (access(bin, X_OK) != 0)
        return -1;
    snprintf(r->sock, sizeof(r->sock), "/tmp/omk-hll-ref-%d.sock", (int)getpid());
    r->pid = fork();
    if (r->pid < 0)
        return -1;
    if (r->pid == 0) {
        int fd = open("/dev/null", O_WRONLY);

        if (fd >= 0) { /* its log would mix with the TAP output */
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execl(bin, bin, "--port", "0", "--unixsocket", r->sock, "--save", "", "--appendonly",
              "no", "--dir", "/tmp", "--logfile", "", "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        redisContext *c = redisConnectUnix(r->sock);

        if (c && !c->err) {
            redisReply *p = redisCommand(c, "PING");

            if (p && p->type == REDIS_REPLY_STATUS) {
                freeReplyObject(p);
                r->c = c;
                return 0;
            }
            freeReplyObject(p);
        }
        if (c)
            redisFree(c);
        ts_sleep_ms(20);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    return -1;
}

static void ref_stop(struct ref *r)
{
    if (r->c)
        redisFree(r->c);
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
    }
    unlink(r->sock);
}

/* Whether replies 'a' and 'b' are the same (type, bytes, numbers, elements). */
static int same_reply(const redisReply *a, const redisReply *b)
{
    if (!a || !b || a->type != b->type)
        return 0;
    switch (a->type) {
    case REDIS_REPLY_INTEGER:
        return a->integer == b->integer;
    case REDIS_REPLY_ARRAY:
        if (a->elements != b->elements)
            return 0;
        for (size_t i = 0; i < a->elements; i++)
            if (!same_reply(a->element[i], b->element[i]))
                return 0;
        return 1;
    case REDIS_REPLY_NIL:
        return 1;
    default:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    }
}

/* Two servers fed the same commands. */
struct pair {
    redisContext *o;  /* the server under test */
    redisContext *r;  /* the reference */
    long cmds, diffs;
    uint64_t rng;
};

/* Run 'argv' on both; a different reply is counted and shown (the first few). */
static void both(struct pair *p, int argc, const char **argv, const size_t *lens)
{
    redisReply *a = redisCommandArgv(p->o, argc, argv, lens);
    redisReply *b = redisCommandArgv(p->r, argc, argv, lens);

    p->cmds++;
    if (!same_reply(a, b)) {
        if (p->diffs++ < 5) {
            diag("  difference on %.*s %.*s (command %ld):", (int)lens[0], argv[0],
                 argc > 1 ? (int)lens[1] : 0, argc > 1 ? argv[1] : "", p->cmds);
            ts_diag_reply(a);
            ts_diag_reply(b);
        }
    }
    freeReplyObject(a);
    freeReplyObject(b);
}

/* both() of a command given as words (no binary). */
static void both_words(struct pair *p, const char *const *words)
{
    const char *argv[16];
    size_t lens[16];
    int n = 0;

    for (; words[n]; n++) {
        argv[n] = words[n];
        lens[n] = strlen(words[n]);
    }
    both(p, n, argv, lens);
}

static uint64_t pair_rand(struct pair *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return p->rng;
}

/* One random command on both servers over keys hk0..hk3 (and a few of other kinds). */
static void fuzz_step(struct pair *p, uint64_t space)
{
    static const char *const keys[] = {"hk0", "hk1", "hk2", "hk3", "hstr", "hlist"};
    static const char *const subs[] = {"ENCODING", "DECODE", "TODENSE", "GETREG"};
    static const char *const maxes[] = {"0", "40", "300", "3000", "3000", "3000", "12000"};
    const char *argv[24];
    size_t lens[24];
    char buf[24][24];
    uint64_t op = pair_rand(p) % 100;
    int n = 0, bin = -1; /* bin: the argument that is one raw byte */

#define FZ_KEY() keys[pair_rand(p) % (pair_rand(p) % 10 == 0 ? 6 : 4)]
    if (op < 50) {
        int k = (int)(pair_rand(p) % 12);

        argv[n++] = "PFADD";
        argv[n++] = FZ_KEY();
        for (int i = 0; i < k; i++) {
            snprintf(buf[i], sizeof(buf[i]), "e%llu", (unsigned long long)(pair_rand(p) % space));
            argv[n++] = buf[i];
        }
    } else if (op < 62) {
        int k = 1 + (int)(pair_rand(p) % 3);

        argv[n++] = "PFCOUNT";
        for (int i = 0; i < k; i++)
            argv[n++] = FZ_KEY();
    } else if (op < 72) {
        int k = 1 + (int)(pair_rand(p) % 4);

        argv[n++] = "PFMERGE";
        for (int i = 0; i < k; i++)
            argv[n++] = FZ_KEY();
    } else if (op < 78) {
        argv[n++] = "PFDEBUG";
        argv[n++] = subs[pair_rand(p) % 4];
        argv[n++] = FZ_KEY();
    } else if (op < 80) {
        /* A byte changed anywhere in a value (or just past it). */
        uint64_t off = pair_rand(p) % 40 == 0 ? pair_rand(p) % 12400 : pair_rand(p) % 64;

        buf[0][0] = (char)pair_rand(p);
        snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)off);
        argv[n++] = "SETRANGE";
        argv[n++] = FZ_KEY();
        argv[n++] = buf[1];
        bin = n;
        argv[n++] = buf[0];
    } else if (op < 83) {
        argv[n++] = "CONFIG";
        argv[n++] = "SET";
        argv[n++] = "hll-sparse-max-bytes";
        argv[n++] = maxes[pair_rand(p) % OMK_ARRAY_LEN(maxes)];
    } else if (op < 85) {
        argv[n++] = "DEL";
        argv[n++] = FZ_KEY();
    } else {
        argv[n++] = "GET";
        argv[n++] = FZ_KEY();
    }
#undef FZ_KEY
    for (int i = 0; i < n; i++)
        lens[i] = i == bin ? 1 : strlen(argv[i]);
    both(p, n, argv, lens);
}

/* GET of every fuzzed key is the same on both servers. */
static void pair_same_values(struct pair *p, const char *when)
{
    static const char *const keys[] = {"hk0", "hk1", "hk2", "hk3"};
    long before = p->diffs;

    for (size_t i = 0; i < OMK_ARRAY_LEN(keys); i++) {
        const char *w[] = {"GET", keys[i], NULL};

        both_words(p, w);
    }
    ok(p->diffs == before, "%s: every value is the same bytes on both", when);
}

/* Build HLLs on one server only, SET their bytes into the other, and use them there. */
static void test_transfer(struct pair *p, redisContext *from, redisContext *to, const char *name)
{
    static const int sizes[] = {0, 5, 300, 1500, 20000};
    long before = p->diffs;

    for (size_t i = 0; i < OMK_ARRAY_LEN(sizes); i++) {
        char v[DENSE_SIZE + 100];
        long n;

        freeReplyObject(redisCommand(from, "DEL tr"));
        freeReplyObject(redisCommand(from, "PFADD tr"));
        add_seq(from, "tr", "t", sizes[i]);
        n = get_bytes(from, "tr", v, sizeof(v));
        freeReplyObject(redisCommand(to, "SET tr %b", v, (size_t)n));
        {
            const char *c1[] = {"PFCOUNT", "tr", NULL};
            const char *c2[] = {"PFADD", "tr", "new1", "new2", "t3", NULL};
            const char *c3[] = {"GET", "tr", NULL};
            const char *c4[] = {"PFDEBUG", "ENCODING", "tr", NULL};
            const char *c5[] = {"PFCOUNT", "tr", "hk0", NULL};

            both_words(p, c4);
            both_words(p, c1);
            both_words(p, c3);
            both_words(p, c2);
            both_words(p, c1);
            both_words(p, c5);
            both_words(p, c3);
        }
    }
    ok(p->diffs == before, "%s: values SET from one server read, count and grow alike", name);
}

static void test_against_redis(const struct tserver *s, redisContext *c)
{
    struct ref ref;
    struct pair p;
    int steps = getenv("OMK_SLOW") ? 60000 : 8000;

    if (ref_start(&ref) != 0) {
        skip("no reference redis-server (set OMK_REDIS_SERVER)");
        return;
    }
    memset(&p, 0, sizeof(p));
    p.o = c;
    p.r = ref.c;
    p.rng = 0x9e3779b97f4a7c15ULL;
    freeReplyObject(redisCommand(ref.c, "SET hstr plain"));
    freeReplyObject(redisCommand(ref.c, "RPUSH hlist x"));
    freeReplyObject(redisCommand(c, "SET hstr plain"));
    freeReplyObject(redisCommand(c, "RPUSH hlist x"));

    for (int round = 0; round < 2; round++) {
        char when[128];

        if (round == 1) {
            if (s->external) {
                skip("strings in fragments: omenkv only");
                break;
            }
            /* Every HLL past 256 bytes is now kept in fragments, dense ones included. */
            is_status(cmd(c, "CONFIG SET string-fragment-threshold 256"), "OK",
                      "string-fragment-threshold 256");
        }
        for (int i = 0; i < steps; i++) {
            fuzz_step(&p, i % 2000 < 1000 ? 200 : 100000);
            if (i % 500 == 499)
                pair_same_values(&p, "checkpoint");
        }
        snprintf(when, sizeof(when), "%d random commands%s", steps,
                 round ? " on fragmented values" : "");
        ok(p.diffs == 0, "%s: %ld commands, %ld different replies", when, p.cmds, p.diffs);
        test_transfer(&p, ref.c, c, round ? "Redis to omenkv, fragmented" : "Redis to the server");
        test_transfer(&p, c, ref.c, round ? "omenkv to Redis, fragmented" : "the server to Redis");
    }
    if (!s->external)
        is_status(cmd(c, "CONFIG SET string-fragment-threshold 16384"), "OK",
                  "string-fragment-threshold back to its default");
    is_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 3000"), "OK", "hll-sparse-max-bytes 3000");
    diag("byte identity: %ld commands on both servers, %ld differences", p.cmds, p.diffs);
    ref_stop(&ref);
}

/* ---- Restart ---------------------------------------------------------------------------- */

static void test_restart(struct tserver *s, redisContext **c)
{
    char before[DENSE_SIZE], after[DENSE_SIZE];
    long n1, n2;

    if (s->external) {
        skip("restart: an external server cannot be restarted from here");
        return;
    }
    n1 = get_bytes(*c, "dd", before, sizeof(before));
    redisFree(*c);
    ok(ts_restart(s) == 0, "restart the server");
    *c = ts_connect(s);
    n2 = get_bytes(*c, "dd", after, sizeof(after));
    ok(n1 == DENSE_SIZE && n1 == n2 && memcmp(before, after, (size_t)n1) == 0,
       "a dense HLL is the same bytes after a restart");
    is_integer(cmd(*c, "PFADD dd brand-new-element-xyz"), 1, "  ... and takes new elements");
    is_status(cmd(*c, "DEBUG CHECK"), "OK", "DEBUG CHECK");
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 1);

    test_arity(c);
    test_pfadd(c);
    test_types(c);
    test_watch(&s, c);
    test_promotion(c);
    test_count_many(c);
    test_merge(c);
    test_corrupt(c);
    test_pfdebug(c);
    test_unshare(&s, c);
    test_cut_xzero(c);
    test_expiry(c);
    is_status(cmd(c, "PFSELFTEST"), "OK", "PFSELFTEST");
    test_against_redis(&s, c);
    test_restart(&s, &c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
