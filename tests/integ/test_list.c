/* test_list.c - the list commands against a real server: LPUSH RPUSH LPUSHX RPUSHX LPOP
 * RPOP (with a count) LMPOP LLEN LINDEX LRANGE LPOS (RANK COUNT MAXLEN) LSET LINSERT LREM
 * LTRIM LMOVE RPOPLPUSH, with binary, empty and integer-looking elements; every argument
 * error Redis 7.0 words and the order in which it checks them (LINDEX and LSET look the
 * key up before they read the index, LRANGE and LTRIM read the indexes first); WRONGTYPE
 * both ways; RESP2 and RESP3 bytes where the two differ (null bulk, null array, null);
 * the command table (arity, key positions, flags); a long random walk of every writing
 * command against a model of the list, on a small list and a large one; expiry kept by
 * every write; RENAME, COPY and MOVE of a list; SCAN TYPE list; INFO's keyspace hits and
 * misses; MULTI/EXEC and what WATCH sees. Then, on omenkv only (skipped against an
 * external server): the same walk with collection-inline-max-bytes set low by CONFIG
 * SET, so that lists go back and forth across the inline/split limit, and a restart
 * that keeps a split list whole. Every other expectation passes against redis-server
 * 7.0 (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOTINT "ERR value is not an integer or out of range"
#define NOTPOS "ERR value is out of range, must be positive"
#define SYNTAX "ERR syntax error"
#define NOKEY "ERR no such key"
#define OUTOFRANGE "ERR index out of range"
#define RANK0                                                                                    \
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use " \
    "negative to start from the end of the list"

/* LRANGE 'key' 0 -1 is exactly 'words', in order. */
static void list_is(redisContext *c, const char *key, const char *words, const char *name)
{
    is_array_of(cmd(c, "LRANGE %s 0 -1", key), words, name);
}

/* Send 'line' (split on spaces) on a new RESP2 connection and check the reply's bytes:
 * where hiredis 0.14 reads a null bulk and a null array alike. */
static void raw2_is(const struct tserver *s, const char *line, const char *want, const char *name)
{
    char req[512], out[512];
    size_t off, got;
    int argc = 1, closed = 0;

    for (const char *p = line; *p; p++)
        argc += *p == ' ';
    off = (size_t)snprintf(req, sizeof(req), "*%d\r\n", argc);
    for (const char *p = line; off < sizeof(req) - 64;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);

        off += (size_t)snprintf(req + off, sizeof(req) - off, "$%zu\r\n%.*s\r\n", len, (int)len, p);
        if (!sp)
            break;
        p = sp + 1;
    }
    got = ts_raw_roundtrip(s, req, off, out, sizeof(out), strlen(want), 5000, &closed);
    if (!ok(got == strlen(want) && !memcmp(out, want, got), "%s", name))
        diag("  %s -> '%.*s'", line, (int)got, out);
}

/* The TTL of 'key' is within [lo, hi]. */
static void ttl_within(redisContext *c, const char *key, long long lo, long long hi,
                       const char *name)
{
    redisReply *r = cmd(c, "TTL %s", key);

    if (!ok(r && r->type == REDIS_REPLY_INTEGER && r->integer >= lo && r->integer <= hi, "%s",
            name)) {
        ts_diag_reply(r);
        diag("  wanted TTL in [%lld, %lld]", lo, hi);
    }
    freeReplyObject(r);
}

/* ---- the command table ---- */

static void test_command_info(redisContext *c)
{
    /* name, arity, first, last, step, flags (without Redis' movablekeys, which omenkv's
     * table does not carry) */
    static const struct {
        const char *name;
        int arity, first, last, step;
        const char *flags;
    } rows[] = {
        {"lpush", -3, 1, 1, 1, "write denyoom fast"},
        {"rpush", -3, 1, 1, 1, "write denyoom fast"},
        {"lpushx", -3, 1, 1, 1, "write denyoom fast"},
        {"rpushx", -3, 1, 1, 1, "write denyoom fast"},
        {"lpop", -2, 1, 1, 1, "write fast"},
        {"rpop", -2, 1, 1, 1, "write fast"},
        {"lmpop", -4, 0, 0, 0, "write"},
        {"llen", 2, 1, 1, 1, "readonly fast"},
        {"lindex", 3, 1, 1, 1, "readonly"},
        {"lrange", 4, 1, 1, 1, "readonly"},
        {"lpos", -3, 1, 1, 1, "readonly"},
        {"lset", 4, 1, 1, 1, "write denyoom"},
        {"linsert", 5, 1, 1, 1, "write denyoom"},
        {"lrem", 4, 1, 1, 1, "write"},
        {"ltrim", 4, 1, 1, 1, "write"},
        {"lmove", 5, 1, 2, 1, "write denyoom"},
        {"rpoplpush", 3, 1, 2, 1, "write denyoom"},
    };

    tc_section(c, "COMMAND INFO of the list commands");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        redisReply *r = cmd(c, "COMMAND INFO %s", rows[i].name);
        const redisReply *e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0]
                                                                                    : NULL;
        struct tc_strs got = {0}, want = {0};
        int good = e && e->type == REDIS_REPLY_ARRAY && e->elements >= 6 &&
                   e->element[1]->integer == rows[i].arity &&
                   e->element[3]->integer == rows[i].first &&
                   e->element[4]->integer == rows[i].last &&
                   e->element[5]->integer == rows[i].step &&
                   e->element[2]->type == REDIS_REPLY_ARRAY;

        for (size_t k = 0; good && k < e->element[2]->elements; k++) {
            const redisReply *f = e->element[2]->element[k];

            if (strcmp(f->str, "movablekeys"))
                tc_add(&got, f->str, f->len);
        }
        tc_add_words(&want, rows[i].flags);
        tc_sort(&got);
        tc_sort(&want);
        if (!ok(good && tc_same(&got, &want), "COMMAND INFO %s: arity %d, keys %d %d %d, %s",
                rows[i].name, rows[i].arity, rows[i].first, rows[i].last, rows[i].step,
                rows[i].flags))
            tc_diag(&got, "flags");
        tc_free(&got);
        tc_free(&want);
        freeReplyObject(r);
    }
}

/* ---- pushes, LLEN, TYPE, OBJECT ENCODING ---- */

static void test_push(redisContext *c)
{
    tc_section(c, "LPUSH RPUSH LPUSHX RPUSHX LLEN");
    is_integer(cmd(c, "LPUSH l a b c"), 3, "LPUSH a b c creates a list of 3");
    list_is(c, "l", "c b a", "... each pushed at the head in turn: c b a");
    is_status(cmd(c, "TYPE l"), "list", "TYPE list");
    is_str(cmd(c, "OBJECT ENCODING l"), "quicklist", 9, "OBJECT ENCODING quicklist");
    is_integer(cmd(c, "RPUSH l d e"), 5, "RPUSH d e -> 5");
    list_is(c, "l", "c b a d e", "... at the tail in order");
    is_integer(cmd(c, "LLEN l"), 5, "LLEN 5");
    is_integer(cmd(c, "LLEN nokey"), 0, "LLEN of a missing key -> 0");
    is_integer(cmd(c, "LPUSHX l x y"), 7, "LPUSHX onto the list -> 7");
    is_integer(cmd(c, "RPUSHX l z"), 8, "RPUSHX onto the list -> 8");
    list_is(c, "l", "y x c b a d e z", "... both ends");
    is_integer(cmd(c, "LPUSHX nokey a"), 0, "LPUSHX onto a missing key -> 0");
    is_integer(cmd(c, "RPUSHX nokey a b"), 0, "RPUSHX onto a missing key -> 0");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which they did not create");
    is_integer(cmd(c, "RPUSH r a a a"), 3, "RPUSH a repeated element: each counts");
    list_is(c, "r", "a a a", "... a list may repeat an element");

    /* binary, empty and integer-looking elements */
    is_integer(cmd(c, "RPUSH b %b %b %b", "x\0\r\ny", (size_t)5, "", (size_t)0, "\xff", (size_t)1),
               3, "RPUSH a binary, an empty and a 0xff element");
    is_str(cmd(c, "LINDEX b 0"), "x\0\r\ny", 5, "LINDEX of the binary element");
    is_str(cmd(c, "LINDEX b 1"), "", 0, "LINDEX of the empty element");
    is_str(cmd(c, "LINDEX b -1"), "\xff", 1, "LINDEX of the 0xff element");
    is_integer(cmd(c, "LPUSH e %b", "", (size_t)0), 1, "LPUSH of one empty element");
    is_integer(cmd(c, "LLEN e"), 1, "... a list of one");
    is_integer(cmd(c, "EXISTS e"), 1, "... that exists");
    is_integer(cmd(c, "RPUSH n 1 01 -0 +1 9223372036854775808 -9223372036854775808 1.0"), 7,
               "RPUSH integer-looking elements");
    list_is(c, "n", "1 01 -0 +1 9223372036854775808 -9223372036854775808 1.0",
            "... read back exactly as written");
    is_integer(cmd(c, "LPOS n 01"), 1, "LPOS 01 finds 01, not 1");
    is_integer(cmd(c, "LREM n 0 1"), 1, "LREM 1 removes only \"1\"");
    list_is(c, "n", "01 -0 +1 9223372036854775808 -9223372036854775808 1.0", "... the rest stays");

    /* a large element */
    {
        char big[70000];

        memset(big, 'q', sizeof(big));
        is_integer(cmd(c, "RPUSH big %b", big, sizeof(big)), 1, "RPUSH a 70000-byte element");
        is_integer(cmd(c, "LPUSH big small"), 2, "LPUSH a small one before it");
        is_str(cmd(c, "LINDEX big 1"), big, sizeof(big), "LINDEX reads the large one whole");
        is_str(cmd(c, "RPOP big"), big, sizeof(big), "RPOP returns it whole");
    }
}

/* ---- LPOP RPOP ---- */

static void test_pop(const struct tserver *s, redisContext *c)
{
    tc_section(c, "LPOP RPOP");
    is_integer(cmd(c, "RPUSH l a b c d e f"), 6, "a list of 6");
    is_str(cmd(c, "LPOP l"), "a", 1, "LPOP -> a");
    is_str(cmd(c, "RPOP l"), "f", 1, "RPOP -> f");
    is_array_of(cmd(c, "LPOP l 2"), "b c", "LPOP 2 -> b c, in the order removed");
    is_array_of(cmd(c, "RPOP l 1"), "e", "RPOP 1 -> an array of one");
    is_array_of(cmd(c, "LPOP l 0"), "", "LPOP 0 of a list -> an empty array");
    is_integer(cmd(c, "LLEN l"), 1, "... which took nothing");
    is_array_of(cmd(c, "RPOP l 10"), "d", "RPOP 10 of a list of 1 -> what there is");
    is_integer(cmd(c, "EXISTS l"), 0, "a list emptied by a pop is deleted");
    is_nil(cmd(c, "LPOP l"), "LPOP of a missing key -> nil");
    is_nil(cmd(c, "RPOP l 3"), "RPOP 3 of a missing key -> nil (a null array)");
    raw2_is(s, "LPOP nokey", "$-1\r\n", "RESP2 LPOP of a missing key: a null bulk");
    raw2_is(s, "LPOP nokey 2", "*-1\r\n", "RESP2 LPOP 2 of a missing key: a null array");
    raw2_is(s, "RPOP nokey 0", "*-1\r\n", "RESP2 RPOP 0 of a missing key: a null array");
    is_integer(cmd(c, "RPUSH l x"), 1, "a list of one");
    raw2_is(s, "LPOP l 0", "*0\r\n", "RESP2 LPOP 0 of a list: an empty array");
    is_integer(cmd(c, "RPUSH l 1 2 3"), 4, "a list of 4");
    is_array_of(cmd(c, "RPOP l 9223372036854775807"), "3 2 1 x", "RPOP LLONG_MAX -> all");
    is_integer(cmd(c, "EXISTS l"), 0, "... and the key is gone");

    /* the count is checked before the key */
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_error(cmd(c, "LPOP l -1"), NOTPOS, "LPOP -1 -> must be positive");
    is_error(cmd(c, "RPOP l abc"), NOTPOS, "RPOP abc -> must be positive");
    is_error(cmd(c, "LPOP l 9223372036854775808"), NOTPOS, "LPOP 2^63 -> must be positive");
    is_error(cmd(c, "LPOP str -1"), NOTPOS, "LPOP -1 of a string -> must be positive first");
    is_error(cmd(c, "LPOP str 0"), WRONGTYPE, "LPOP 0 of a string -> WRONGTYPE");
    is_error(cmd(c, "RPOP str"), WRONGTYPE, "RPOP of a string -> WRONGTYPE");
    is_error(cmd(c, "RPOP str 2"), WRONGTYPE, "RPOP 2 of a string -> WRONGTYPE");
    is_error(cmd(c, "LPOP l 1 2"), "ERR wrong number of arguments for 'lpop' command",
             "LPOP with two counts -> arity error");
    is_error(cmd(c, "RPOP l 1 2"), "ERR wrong number of arguments for 'rpop' command",
             "RPOP with two counts -> arity error");
}

/* ---- LMPOP ---- */

static void test_lmpop(const struct tserver *s, redisContext *c)
{
    redisReply *r;

    tc_section(c, "LMPOP");
    is_integer(cmd(c, "RPUSH l a b c d"), 4, "a list l of 4");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    r = cmd(c, "LMPOP 1 l LEFT");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "l") &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 1 &&
           !strcmp(r->element[1]->element[0]->str, "a"),
       "LMPOP 1 l LEFT -> [l, [a]]");
    freeReplyObject(r);
    r = cmd(c, "LMPOP 3 nokey nokey2 l right COUNT 2");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[0]->str, "l") &&
           r->element[1]->elements == 2 && !strcmp(r->element[1]->element[0]->str, "d") &&
           !strcmp(r->element[1]->element[1]->str, "c"),
       "LMPOP 3 nokey nokey2 l RIGHT COUNT 2 -> [l, [d c]]: missing keys are skipped");
    freeReplyObject(r);
    is_integer(cmd(c, "RPUSH l2 x y"), 2, "a list l2 of 2");
    r = cmd(c, "LMPOP 2 l l2 left count 10");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[0]->str, "l") &&
           r->element[1]->elements == 1 && !strcmp(r->element[1]->element[0]->str, "b"),
       "LMPOP 2 l l2 COUNT 10 -> only from the first list: [l, [b]]");
    freeReplyObject(r);
    is_integer(cmd(c, "EXISTS l"), 0, "... which it emptied and deleted");
    r = cmd(c, "LMPOP 2 l str left");
    ok(r && r->type == REDIS_REPLY_ERROR && !strcmp(r->str, WRONGTYPE),
       "LMPOP 2 nokey str -> WRONGTYPE");
    freeReplyObject(r);
    r = cmd(c, "LMPOP 2 l2 str left");
    ok(r && r->type == REDIS_REPLY_ARRAY && !strcmp(r->element[0]->str, "l2"),
       "LMPOP 2 l2 str: the list comes first, the string is not looked at");
    freeReplyObject(r);
    is_error(cmd(c, "LMPOP 2 str l2 left"), WRONGTYPE, "LMPOP 2 str l2 -> WRONGTYPE");
    is_integer(cmd(c, "LLEN l2"), 1, "... nothing popped from l2");
    is_nil(cmd(c, "LMPOP 2 nokey nokey2 left"), "LMPOP of missing keys -> nil");
    raw2_is(s, "LMPOP 2 nokey nokey2 left", "*-1\r\n", "RESP2: a null array");
    raw2_is(s, "LMPOP 1 nokey right COUNT 3", "*-1\r\n", "RESP2 with COUNT: a null array");

    /* numkeys, the end and COUNT, in Redis' order and words */
    is_error(cmd(c, "LMPOP 0 l2 left"), "ERR numkeys should be greater than 0", "numkeys 0");
    is_error(cmd(c, "LMPOP -1 l2 left"), "ERR numkeys should be greater than 0", "numkeys -1");
    is_error(cmd(c, "LMPOP abc l2 left"), "ERR numkeys should be greater than 0", "numkeys abc");
    is_error(cmd(c, "LMPOP 2 l2 left"), SYNTAX, "numkeys 2 with one key -> syntax error");
    is_error(cmd(c, "LMPOP 3 l2 left"), SYNTAX, "numkeys past the arguments -> syntax error");
    is_error(cmd(c, "LMPOP 9223372036854775807 l2 left"), SYNTAX, "numkeys LLONG_MAX -> syntax");
    is_error(cmd(c, "LMPOP 1 l2 middle"), SYNTAX, "LMPOP ... MIDDLE -> syntax error");
    is_error(cmd(c, "LMPOP 1 str middle"), SYNTAX, "... before the key's type");
    is_error(cmd(c, "LMPOP 1 l2 left COUNT 0"), "ERR count should be greater than 0", "COUNT 0");
    is_error(cmd(c, "LMPOP 1 l2 left COUNT -1"), "ERR count should be greater than 0", "COUNT -1");
    is_error(cmd(c, "LMPOP 1 l2 left COUNT abc"), "ERR count should be greater than 0",
             "COUNT abc");
    is_error(cmd(c, "LMPOP 1 l2 left COUNT"), SYNTAX, "COUNT without a number");
    is_error(cmd(c, "LMPOP 1 l2 left COUNT 1 COUNT 2"), SYNTAX, "COUNT twice");
    is_error(cmd(c, "LMPOP 1 l2 left foo"), SYNTAX, "an unknown option");
    is_error(cmd(c, "LMPOP 1 l2 left COUNT 1 foo"), SYNTAX, "an unknown option after COUNT");
    is_error(cmd(c, "LMPOP 1 l2"), "ERR wrong number of arguments for 'lmpop' command",
             "LMPOP arity");
    is_integer(cmd(c, "LLEN l2"), 1, "the refused commands popped nothing");
}

/* ---- LINDEX LRANGE ---- */

static void test_read(redisContext *c)
{
    tc_section(c, "LINDEX LRANGE");
    is_integer(cmd(c, "RPUSH l a b c d e"), 5, "a list of 5");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_str(cmd(c, "LINDEX l 0"), "a", 1, "LINDEX 0");
    is_str(cmd(c, "LINDEX l 4"), "e", 1, "LINDEX 4");
    is_str(cmd(c, "LINDEX l -1"), "e", 1, "LINDEX -1");
    is_str(cmd(c, "LINDEX l -5"), "a", 1, "LINDEX -5");
    is_nil(cmd(c, "LINDEX l 5"), "LINDEX 5 -> nil");
    is_nil(cmd(c, "LINDEX l -6"), "LINDEX -6 -> nil");
    is_nil(cmd(c, "LINDEX l 9223372036854775807"), "LINDEX LLONG_MAX -> nil");
    is_nil(cmd(c, "LINDEX l -9223372036854775808"), "LINDEX LLONG_MIN -> nil");
    is_nil(cmd(c, "LINDEX nokey 0"), "LINDEX of a missing key -> nil");
    is_error(cmd(c, "LINDEX l abc"), NOTINT, "LINDEX abc -> not an integer");
    is_error(cmd(c, "LINDEX l 9223372036854775808"), NOTINT, "LINDEX 2^63 -> not an integer");
    is_error(cmd(c, "LINDEX l 1.0"), NOTINT, "LINDEX 1.0 -> not an integer");
    is_error(cmd(c, "LINDEX l %s", " 1"), NOTINT, "LINDEX ' 1' -> not an integer");
    is_nil(cmd(c, "LINDEX nokey abc"), "LINDEX abc of a missing key -> nil (the key first)");
    is_error(cmd(c, "LINDEX str abc"), WRONGTYPE, "LINDEX abc of a string -> WRONGTYPE");
    is_error(cmd(c, "LINDEX str 0"), WRONGTYPE, "LINDEX 0 of a string -> WRONGTYPE");

    list_is(c, "l", "a b c d e", "LRANGE 0 -1: all");
    is_array_of(cmd(c, "LRANGE l 1 3"), "b c d", "LRANGE 1 3");
    is_array_of(cmd(c, "LRANGE l -2 -1"), "d e", "LRANGE -2 -1");
    is_array_of(cmd(c, "LRANGE l -100 1"), "a b", "LRANGE -100 1: the start clamps to 0");
    is_array_of(cmd(c, "LRANGE l 3 100"), "d e", "LRANGE 3 100: the end clamps");
    is_array_of(cmd(c, "LRANGE l 2 2"), "c", "LRANGE 2 2");
    is_array_of(cmd(c, "LRANGE l 3 1"), "", "LRANGE 3 1: empty");
    is_array_of(cmd(c, "LRANGE l 5 10"), "", "LRANGE past the end: empty");
    is_array_of(cmd(c, "LRANGE l 0 -6"), "", "LRANGE 0 -6: empty");
    is_array_of(cmd(c, "LRANGE l -9223372036854775808 9223372036854775807"), "a b c d e",
                "LRANGE LLONG_MIN LLONG_MAX: all");
    is_array_of(cmd(c, "LRANGE nokey 0 -1"), "", "LRANGE of a missing key: empty");
    is_error(cmd(c, "LRANGE l abc 1"), NOTINT, "LRANGE abc 1 -> not an integer");
    is_error(cmd(c, "LRANGE l 0 x"), NOTINT, "LRANGE 0 x -> not an integer");
    is_error(cmd(c, "LRANGE str abc 1"), NOTINT, "LRANGE abc of a string: the index first");
    is_error(cmd(c, "LRANGE nokey abc 1"), NOTINT, "LRANGE abc of a missing key -> error");
    is_error(cmd(c, "LRANGE str 0 1"), WRONGTYPE, "LRANGE of a string -> WRONGTYPE");
}

/* ---- LSET LINSERT LREM LTRIM ---- */

static void test_write_in_place(redisContext *c)
{
    tc_section(c, "LSET LINSERT LREM LTRIM");
    is_integer(cmd(c, "RPUSH l a b c"), 3, "a list of 3");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_status(cmd(c, "LSET l 0 A"), "OK", "LSET 0");
    is_status(cmd(c, "LSET l -1 C"), "OK", "LSET -1");
    is_status(cmd(c, "LSET l 1 %b", "", (size_t)0), "OK", "LSET 1 to an empty element");
    list_is(c, "l", "A  C", "... A, empty, C");
    is_status(cmd(c, "LSET l 1 B"), "OK", "LSET 1 back to B");
    is_error(cmd(c, "LSET l 3 x"), OUTOFRANGE, "LSET 3 -> index out of range");
    is_error(cmd(c, "LSET l -4 x"), OUTOFRANGE, "LSET -4 -> index out of range");
    is_error(cmd(c, "LSET nokey 0 x"), NOKEY, "LSET of a missing key -> no such key");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");
    is_error(cmd(c, "LSET l abc x"), NOTINT, "LSET abc -> not an integer");
    is_error(cmd(c, "LSET nokey abc x"), NOKEY, "LSET abc of a missing key -> no such key");
    is_error(cmd(c, "LSET str abc x"), WRONGTYPE, "LSET abc of a string -> WRONGTYPE");
    is_error(cmd(c, "LSET str 0 x"), WRONGTYPE, "LSET 0 of a string -> WRONGTYPE");
    list_is(c, "l", "A B C", "the refused LSETs changed nothing");

    is_integer(cmd(c, "LINSERT l BEFORE B x"), 4, "LINSERT BEFORE B -> 4");
    is_integer(cmd(c, "LINSERT l after C y"), 5, "LINSERT after C (any case) -> 5");
    is_integer(cmd(c, "LINSERT l BEFORE A w"), 6, "LINSERT BEFORE the head -> 6");
    list_is(c, "l", "w A x B C y", "... in place");
    is_integer(cmd(c, "RPUSH l B"), 7, "a second B at the tail");
    is_integer(cmd(c, "LINSERT l AFTER B z"), 8, "LINSERT AFTER B: after the first B");
    list_is(c, "l", "w A x B z C y B", "... the first match from the head");
    is_integer(cmd(c, "LINSERT l AFTER nosuch q"), -1, "LINSERT with no pivot -> -1");
    is_integer(cmd(c, "LINSERT nokey AFTER a q"), 0, "LINSERT on a missing key -> 0");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");
    is_error(cmd(c, "LINSERT l MIDDLE B q"), SYNTAX, "LINSERT MIDDLE -> syntax error");
    is_error(cmd(c, "LINSERT str MIDDLE B q"), SYNTAX, "... before the key's type");
    is_error(cmd(c, "LINSERT nokey MIDDLE B q"), SYNTAX, "... or existence");
    is_error(cmd(c, "LINSERT str BEFORE B q"), WRONGTYPE, "LINSERT on a string -> WRONGTYPE");
    is_integer(cmd(c, "LINSERT l BEFORE %b %b", "", (size_t)0, "e", (size_t)1), -1,
               "LINSERT before an empty pivot that is not there -> -1");

    is_integer(cmd(c, "DEL l"), 1, "DEL the list");
    is_integer(cmd(c, "RPUSH l a b a c a b a"), 7, "a b a c a b a");
    is_integer(cmd(c, "LREM l 2 a"), 2, "LREM 2 a: from the head");
    list_is(c, "l", "b c a b a", "... b c a b a");
    is_integer(cmd(c, "LREM l -1 b"), 1, "LREM -1 b: from the tail");
    list_is(c, "l", "b c a a", "... b c a a");
    is_integer(cmd(c, "LREM l 0 a"), 2, "LREM 0 a: all");
    list_is(c, "l", "b c", "... b c");
    is_integer(cmd(c, "LREM l 0 zz"), 0, "LREM of an absent element -> 0");
    is_integer(cmd(c, "LREM l 9223372036854775807 b"), 1, "LREM LLONG_MAX");
    is_integer(cmd(c, "LREM l -9223372036854775808 c"), 1, "LREM LLONG_MIN");
    is_integer(cmd(c, "EXISTS l"), 0, "a list emptied by LREM is deleted");
    is_integer(cmd(c, "LREM nokey 0 a"), 0, "LREM on a missing key -> 0");
    is_error(cmd(c, "LREM l abc a"), NOTINT, "LREM abc -> not an integer");
    is_error(cmd(c, "LREM str abc a"), NOTINT, "LREM abc of a string: the count first");
    is_error(cmd(c, "LREM str 0 a"), WRONGTYPE, "LREM on a string -> WRONGTYPE");

    is_integer(cmd(c, "RPUSH l a b c d e f"), 6, "a b c d e f");
    is_status(cmd(c, "LTRIM l 1 -2"), "OK", "LTRIM 1 -2");
    list_is(c, "l", "b c d e", "... b c d e");
    is_status(cmd(c, "LTRIM l -100 100"), "OK", "LTRIM -100 100: nothing to cut");
    list_is(c, "l", "b c d e", "... unchanged");
    is_status(cmd(c, "LTRIM l 0 0"), "OK", "LTRIM 0 0");
    list_is(c, "l", "b", "... b");
    is_status(cmd(c, "LTRIM l 1 0"), "OK", "LTRIM 1 0: an empty range");
    is_integer(cmd(c, "EXISTS l"), 0, "... deletes the list");
    is_integer(cmd(c, "RPUSH l a b"), 2, "a b");
    is_status(cmd(c, "LTRIM l 5 10"), "OK", "LTRIM past the end");
    is_integer(cmd(c, "EXISTS l"), 0, "... deletes the list");
    is_status(cmd(c, "LTRIM nokey 0 1"), "OK", "LTRIM of a missing key -> OK");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... creates nothing");
    is_error(cmd(c, "LTRIM l abc 1"), NOTINT, "LTRIM abc -> not an integer");
    is_error(cmd(c, "LTRIM str x 1"), NOTINT, "LTRIM x of a string: the index first");
    is_error(cmd(c, "LTRIM str 0 1"), WRONGTYPE, "LTRIM of a string -> WRONGTYPE");
}

/* ---- LPOS ---- */

static void test_lpos(const struct tserver *s, redisContext *c)
{
    tc_section(c, "LPOS");
    is_integer(cmd(c, "RPUSH l a b c a b c a"), 7, "a b c a b c a");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_integer(cmd(c, "LPOS l a"), 0, "LPOS a -> 0");
    is_integer(cmd(c, "LPOS l c"), 2, "LPOS c -> 2");
    is_nil(cmd(c, "LPOS l z"), "LPOS of an absent element -> nil");
    is_nil(cmd(c, "LPOS nokey a"), "LPOS on a missing key -> nil");
    raw2_is(s, "LPOS nokey a", "$-1\r\n", "RESP2: a null bulk");
    is_integer(cmd(c, "LPOS l a RANK 2"), 3, "RANK 2 -> 3");
    is_integer(cmd(c, "LPOS l a RANK -1"), 6, "RANK -1 -> 6");
    is_integer(cmd(c, "LPOS l a RANK -3"), 0, "RANK -3 -> 0");
    is_nil(cmd(c, "LPOS l a RANK 4"), "RANK 4 -> nil");
    is_integer(cmd(c, "LPOS l a rank 1 RANK 2"), 3, "the last RANK counts");
    is_ints_of(cmd(c, "LPOS l a COUNT 0"), "0 3 6", "COUNT 0 -> every match");
    is_ints_of(cmd(c, "LPOS l a COUNT 2"), "0 3", "COUNT 2");
    is_ints_of(cmd(c, "LPOS l a COUNT 9223372036854775807"), "0 3 6", "COUNT LLONG_MAX");
    is_ints_of(cmd(c, "LPOS l a RANK -1 COUNT 0"), "6 3 0", "RANK -1 COUNT 0: from the tail");
    is_ints_of(cmd(c, "LPOS l a RANK 2 COUNT 0"), "3 6", "RANK 2 COUNT 0");
    is_ints_of(cmd(c, "LPOS l a RANK 5 COUNT 0"), "", "RANK 5 COUNT 0: empty");
    is_ints_of(cmd(c, "LPOS l z COUNT 0"), "", "COUNT of an absent element: empty");
    is_ints_of(cmd(c, "LPOS nokey a COUNT 1"), "", "COUNT on a missing key: empty");
    is_ints_of(cmd(c, "LPOS l a MAXLEN 3 COUNT 0"), "0", "MAXLEN 3: compares 3 elements");
    is_integer(cmd(c, "LPOS l a MAXLEN 1 RANK -1"), 6, "MAXLEN 1 RANK -1 -> 6");
    is_nil(cmd(c, "LPOS l b MAXLEN 1"), "MAXLEN 1 misses b");
    is_integer(cmd(c, "LPOS l a RANK -2 MAXLEN 4"), 3, "RANK -2 MAXLEN 4 -> 3");
    is_nil(cmd(c, "LPOS l a RANK -2 MAXLEN 3"), "RANK -2 MAXLEN 3 -> nil");
    is_integer(cmd(c, "LPOS l a MAXLEN 0"), 0, "MAXLEN 0: no limit");
    is_nil(cmd(c, "LPOS l a RANK 9223372036854775807"), "RANK LLONG_MAX -> nil");
    is_ints_of(cmd(c, "LPOS l a RANK -9223372036854775807 COUNT 0"), "",
               "RANK -LLONG_MAX COUNT 0 -> empty");
    /* Redis 7.0 negates a rank of -2^63 and keeps it negative: the first match from the
     * tail, and COUNT stops nothing */
    is_integer(cmd(c, "LPOS l b RANK -9223372036854775808"), 4, "RANK -2^63 -> the last b");
    is_ints_of(cmd(c, "LPOS l a RANK -9223372036854775808 COUNT 2"), "6 3 0",
               "RANK -2^63 COUNT 2 -> every a from the tail");

    is_error(cmd(c, "LPOS l a RANK 0"), RANK0, "RANK 0");
    is_error(cmd(c, "LPOS l a RANK abc"), NOTINT, "RANK abc -> not an integer");
    is_error(cmd(c, "LPOS l a RANK 9223372036854775808"), NOTINT, "RANK 2^63 -> not an integer");
    is_error(cmd(c, "LPOS l a COUNT -1"), "ERR COUNT can't be negative", "COUNT -1");
    is_error(cmd(c, "LPOS l a COUNT abc"), "ERR COUNT can't be negative", "COUNT abc");
    is_error(cmd(c, "LPOS l a MAXLEN -1"), "ERR MAXLEN can't be negative", "MAXLEN -1");
    is_error(cmd(c, "LPOS l a MAXLEN abc"), "ERR MAXLEN can't be negative", "MAXLEN abc");
    is_error(cmd(c, "LPOS l a FIRST 1"), SYNTAX, "FIRST (the pre-release name) -> syntax");
    is_error(cmd(c, "LPOS l a RANK"), SYNTAX, "RANK without a number -> syntax error");
    is_error(cmd(c, "LPOS l a COUNT"), SYNTAX, "COUNT without a number -> syntax error");
    is_error(cmd(c, "LPOS str a RANK 0"), RANK0, "RANK 0 of a string: the options first");
    is_error(cmd(c, "LPOS str a"), WRONGTYPE, "LPOS on a string -> WRONGTYPE");
    is_error(cmd(c, "LPOS str a COUNT 0"), WRONGTYPE, "LPOS COUNT on a string -> WRONGTYPE");
}

/* ---- LMOVE RPOPLPUSH ---- */

static void test_lmove(const struct tserver *s, redisContext *c)
{
    static const char *const ends[] = {"LEFT", "RIGHT"};

    tc_section(c, "LMOVE RPOPLPUSH");
    /* each of the four pairs of ends, between two lists */
    for (int f = 0; f < 2; f++) {
        for (int t = 0; t < 2; t++) {
            char name[128], want[16];

            freeReplyObject(cmd(c, "DEL src dst"));
            freeReplyObject(cmd(c, "RPUSH src a b c"));
            freeReplyObject(cmd(c, "RPUSH dst x y"));
            snprintf(name, sizeof(name), "LMOVE src dst %s %s", ends[f], ends[t]);
            is_str(cmd(c, "LMOVE src dst %s %s", ends[f], ends[t]), f ? "c" : "a", 1, name);
            list_is(c, "src", f ? "a b" : "b c", "... the source lost that end");
            snprintf(want, sizeof(want), t ? "x y %s" : "%s x y", f ? "c" : "a");
            list_is(c, "dst", want, "... the destination gained it at its end");
        }
    }
    freeReplyObject(cmd(c, "DEL src dst"));
    is_integer(cmd(c, "RPUSH src a b c"), 3, "src a b c");
    is_str(cmd(c, "LMOVE src src LEFT RIGHT"), "a", 1, "LMOVE src src LEFT RIGHT: a rotation");
    list_is(c, "src", "b c a", "... b c a");
    is_str(cmd(c, "LMOVE src src right left"), "a", 1, "LMOVE src src right left (any case)");
    list_is(c, "src", "a b c", "... a b c");
    is_str(cmd(c, "LMOVE src src LEFT LEFT"), "a", 1, "LMOVE src src LEFT LEFT");
    list_is(c, "src", "a b c", "... unchanged");
    is_str(cmd(c, "LMOVE src newdst RIGHT LEFT"), "c", 1, "LMOVE to a missing key");
    list_is(c, "newdst", "c", "... creates it");
    is_str(cmd(c, "RPOPLPUSH src newdst"), "b", 1, "RPOPLPUSH -> b");
    list_is(c, "newdst", "b c", "... at the head of the destination");
    is_str(cmd(c, "RPOPLPUSH src newdst"), "a", 1, "RPOPLPUSH the last element");
    is_integer(cmd(c, "EXISTS src"), 0, "... the emptied source is deleted");
    is_nil(cmd(c, "RPOPLPUSH src newdst"), "RPOPLPUSH of a missing source -> nil");
    is_nil(cmd(c, "LMOVE src newdst LEFT LEFT"), "LMOVE of a missing source -> nil");
    raw2_is(s, "LMOVE nokey newdst LEFT LEFT", "$-1\r\n", "RESP2: a null bulk");
    list_is(c, "newdst", "a b c", "... the destination is untouched");
    is_integer(cmd(c, "RPUSH one only"), 1, "a list of one");
    is_str(cmd(c, "RPOPLPUSH one one"), "only", 4, "RPOPLPUSH one one: a list of one rotates");
    list_is(c, "one", "only", "... and stays");

    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_error(cmd(c, "LMOVE str newdst LEFT LEFT"), WRONGTYPE, "LMOVE from a string");
    is_error(cmd(c, "LMOVE newdst str LEFT LEFT"), WRONGTYPE, "LMOVE to a string");
    list_is(c, "newdst", "a b c", "... took nothing from the source");
    is_str(cmd(c, "GET str"), "v", 1, "... and left the string alone");
    is_nil(cmd(c, "LMOVE nokey str LEFT LEFT"), "LMOVE from a missing key to a string -> nil");
    is_error(cmd(c, "RPOPLPUSH str newdst"), WRONGTYPE, "RPOPLPUSH from a string");
    is_error(cmd(c, "RPOPLPUSH newdst str"), WRONGTYPE, "RPOPLPUSH to a string");
    is_nil(cmd(c, "RPOPLPUSH nokey str"), "RPOPLPUSH from a missing key to a string -> nil");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_error(cmd(c, "LMOVE newdst h RIGHT RIGHT"), WRONGTYPE, "LMOVE to a hash");
    list_is(c, "newdst", "a b c", "... the source is whole");
    is_error(cmd(c, "LMOVE newdst dst UP LEFT"), SYNTAX, "LMOVE UP -> syntax error");
    is_error(cmd(c, "LMOVE newdst dst LEFT DOWN"), SYNTAX, "LMOVE ... DOWN -> syntax error");
    is_error(cmd(c, "LMOVE str dst UP LEFT"), SYNTAX, "... before the key's type");
    is_error(cmd(c, "LMOVE nokey dst LEFT DOWN"), SYNTAX, "... or existence");
}

/* ---- a random walk against a model ---- */

/* The model: the list's elements in order ('p' NULL never). */
struct model {
    struct tc_strs l;
};

/* Insert a copy of 'p'/'len' at 'pos' (0..n). */
static void m_insert(struct model *m, size_t pos, const char *p, size_t len)
{
    tc_add(&m->l, NULL, 0); /* room for one more */
    memmove(&m->l.e[pos + 1], &m->l.e[pos], (m->l.n - 1 - pos) * sizeof(m->l.e[0]));
    m->l.e[pos].p = omk_memdup(p, len);
    m->l.e[pos].len = len;
}

/* Remove the element at 'pos'. */
static void m_remove(struct model *m, size_t pos)
{
    omk_free(m->l.e[pos].p);
    memmove(&m->l.e[pos], &m->l.e[pos + 1], (m->l.n - 1 - pos) * sizeof(m->l.e[0]));
    m->l.n--;
}

static int m_eq(const struct model *m, size_t i, const char *p, size_t len)
{
    return m->l.e[i].len == len && !memcmp(m->l.e[i].p, p, len);
}

/* Redis' rule for a range: the first and last index kept, or 0 when it is empty. */
static int m_range(const struct model *m, long long start, long long stop, size_t *from, size_t *to)
{
    long long len = (long long)m->l.n;

    if (start < 0)
        start += len;
    if (stop < 0)
        stop += len;
    if (start < 0)
        start = 0;
    if (start > stop || start >= len)
        return 0;
    if (stop >= len)
        stop = len - 1;
    *from = (size_t)start;
    *to = (size_t)stop;
    return 1;
}

/* xorshift64*: the walk is the same on every run and on both servers. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return rnd_state * 2685821657736338717ULL;
}

static long long rnd_in(long long lo, long long hi)
{
    return lo + (long long)(rnd() % (uint64_t)(hi - lo + 1));
}

/* The element a step pushes or looks for: "v0".."v7" (often repeated), or now and then
 * one that is 'big' bytes long (0: none). */
static void rnd_elem(char *buf, size_t cap, size_t big, size_t *len)
{
    if (big && rnd() % 16 == 0) {
        size_t n = big < cap ? big : cap;

        memset(buf, 'a' + (int)(rnd() % 3), n);
        *len = n;
        return;
    }
    *len = (size_t)snprintf(buf, cap, "v%d", (int)(rnd() % 8));
}

/* What one step saw, for the walk's one assertion per phase. */
struct walk {
    redisContext *c;
    const char *key;
    struct model m;
    int bad; /* steps whose reply differed from the model */
    long steps;
    size_t most, empty; /* the longest the list got; steps that found it empty */
    int grow;           /* 1: pushes thrice as often (the list grows); 0: it hovers near
                         * empty, going back and forth across any small limit */
    int watch_split;    /* omenkv: count the steps that split or joined the list */
    long long nsplit;   /* collections_split after the last step */
    long crossings;     /* times collections_split changed */
};

/* INFO persistence collections_split: how many split collections omenkv holds. */
static long long nsplit(redisContext *c)
{
    return ts_info_field(c, "persistence", "collections_split");
}

static void w_fail(struct walk *w, const char *what, const redisReply *r)
{
    if (w->bad++ == 0) {
        diag("  first difference from the model: step %ld: %s", w->steps, what);
        ts_diag_reply(r);
    }
}

/* Whether 'r' is the array of model elements [from, to] (to < from: empty). */
static int w_is_slice(const struct walk *w, const redisReply *r, size_t from, size_t to, int rev)
{
    size_t n = to >= from && w->m.l.n ? to - from + 1 : 0;

    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t at = rev ? to - i : from + i;

        if (r->element[i]->type != REDIS_REPLY_STRING ||
            !m_eq(&w->m, at, r->element[i]->str, r->element[i]->len))
            return 0;
    }
    return 1;
}

/* LRANGE key 0 -1 equals the model. */
static int w_check_all(struct walk *w)
{
    redisReply *r = cmd(w->c, "LRANGE %s 0 -1", w->key);
    int good = w_is_slice(w, r, 0, w->m.l.n ? w->m.l.n - 1 : 0, 0) &&
               (w->m.l.n || r->elements == 0);

    if (!good)
        w_fail(w, "LRANGE 0 -1", r);
    freeReplyObject(r);
    return good;
}

/* One random command on the list and its reply checked against the model. */
static void w_step(struct walk *w, size_t big)
{
    redisContext *c = w->c;
    const char *k = w->key;
    struct model *m = &w->m;
    long long len = (long long)m->l.n;
    char e[300], what[160];
    size_t elen;
    redisReply *r;
    int op = (int)(rnd() % (w->grow ? 17 : 14));

    if (op >= 14)
        op %= 2;
    w->steps++;
    w->empty += len == 0;
    rnd_elem(e, sizeof(e), big, &elen);
    switch (op) {
    case 0: /* LPUSH / RPUSH of 1..3 elements */
    case 1: {
        const char *argv[5] = {op ? "RPUSH" : "LPUSH", k};
        size_t lens[5] = {5, strlen(k)};
        char more[2][300];
        int n = (int)rnd_in(1, 3);

        argv[2] = e;
        lens[2] = elen;
        for (int i = 1; i < n; i++) {
            rnd_elem(more[i - 1], sizeof(more[0]), big, &lens[2 + i]);
            argv[2 + i] = more[i - 1];
        }
        for (int i = 0; i < n; i++)
            m_insert(m, op ? m->l.n : 0, argv[2 + i], lens[2 + i]);
        r = redisCommandArgv(c, 2 + n, argv, lens);
        snprintf(what, sizeof(what), "%s of %d", argv[0], n);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != (long long)m->l.n)
            w_fail(w, what, r);
        break;
    }
    case 2: /* LPOP / RPOP, with a count or not */
    case 3: {
        int end = op == 3, withcount = rnd() % 2;
        long long count = withcount ? rnd_in(0, 4) : 1;
        size_t n = (size_t)(count < len ? count : len);

        if (withcount)
            r = cmd(c, "%s %s %lld", end ? "RPOP" : "LPOP", k, count);
        else
            r = cmd(c, "%s %s", end ? "RPOP" : "LPOP", k);
        snprintf(what, sizeof(what), "%s %lld%s", end ? "RPOP" : "LPOP", count,
                 withcount ? "" : " (no count)");
        if (len == 0) {
            if (!r || r->type != REDIS_REPLY_NIL)
                w_fail(w, what, r);
        } else if (!withcount) {
            size_t at = end ? m->l.n - 1 : 0;

            if (!r || r->type != REDIS_REPLY_STRING || !m_eq(m, at, r->str, r->len))
                w_fail(w, what, r);
            m_remove(m, at);
        } else {
            if (!(n == 0 ? r && r->type == REDIS_REPLY_ARRAY && r->elements == 0
                  : end  ? w_is_slice(w, r, m->l.n - n, m->l.n - 1, 1)
                         : w_is_slice(w, r, 0, n - 1, 0)))
                w_fail(w, what, r);
            for (size_t i = 0; i < n; i++)
                m_remove(m, end ? m->l.n - 1 : 0);
        }
        break;
    }
    case 4: { /* LINDEX */
        long long i = rnd_in(-len - 2, len + 1);
        long long at = i < 0 ? len + i : i;

        r = cmd(c, "LINDEX %s %lld", k, i);
        snprintf(what, sizeof(what), "LINDEX %lld", i);
        if (at < 0 || at >= len
                ? !r || r->type != REDIS_REPLY_NIL
                : !r || r->type != REDIS_REPLY_STRING || !m_eq(m, (size_t)at, r->str, r->len))
            w_fail(w, what, r);
        break;
    }
    case 5: { /* LSET */
        long long i = rnd_in(-len - 1, len);
        long long at = i < 0 ? len + i : i;

        r = cmd(c, "LSET %s %lld %b", k, i, e, elen);
        snprintf(what, sizeof(what), "LSET %lld", i);
        if (len == 0) {
            if (!r || r->type != REDIS_REPLY_ERROR || strcmp(r->str, NOKEY))
                w_fail(w, what, r);
        } else if (at < 0 || at >= len) {
            if (!r || r->type != REDIS_REPLY_ERROR || strcmp(r->str, OUTOFRANGE))
                w_fail(w, what, r);
        } else {
            if (!r || r->type != REDIS_REPLY_STATUS)
                w_fail(w, what, r);
            m_remove(m, (size_t)at);
            m_insert(m, (size_t)at, e, elen);
        }
        break;
    }
    case 6: { /* LINSERT */
        int after = rnd() % 2;
        char pivot[16];
        size_t plen = (size_t)snprintf(pivot, sizeof(pivot), "v%d", (int)(rnd() % 10));
        long long want = len == 0 ? 0 : -1;

        for (size_t i = 0; len && i < m->l.n; i++) {
            if (m_eq(m, i, pivot, plen)) {
                m_insert(m, after ? i + 1 : i, e, elen);
                want = (long long)m->l.n;
                break;
            }
        }
        r = cmd(c, "LINSERT %s %s %s %b", k, after ? "AFTER" : "BEFORE", pivot, e, elen);
        snprintf(what, sizeof(what), "LINSERT %s %s", after ? "AFTER" : "BEFORE", pivot);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != want)
            w_fail(w, what, r);
        break;
    }
    case 7: { /* LREM */
        long long count = rnd_in(-2, 2), removed = 0;
        char v[16];
        size_t vlen = (size_t)snprintf(v, sizeof(v), "v%d", (int)(rnd() % 9));

        if (count >= 0) {
            for (size_t i = 0; i < m->l.n;) {
                if (m_eq(m, i, v, vlen) && (count == 0 || removed < count)) {
                    m_remove(m, i);
                    removed++;
                } else {
                    i++;
                }
            }
        } else {
            for (size_t i = m->l.n; i-- > 0;) {
                if (m_eq(m, i, v, vlen) && removed < -count) {
                    m_remove(m, i);
                    removed++;
                }
            }
        }
        r = cmd(c, "LREM %s %lld %s", k, count, v);
        snprintf(what, sizeof(what), "LREM %lld %s", count, v);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != removed)
            w_fail(w, what, r);
        break;
    }
    case 8: { /* LTRIM that cuts little */
        long long start = rnd_in(0, 1), stop = rnd_in(-2, -1);
        size_t from, to;

        r = cmd(c, "LTRIM %s %lld %lld", k, start, stop);
        snprintf(what, sizeof(what), "LTRIM %lld %lld", start, stop);
        if (!r || r->type != REDIS_REPLY_STATUS)
            w_fail(w, what, r);
        if (!m_range(m, start, stop, &from, &to)) {
            while (m->l.n)
                m_remove(m, 0);
        } else {
            while (m->l.n > to + 1)
                m_remove(m, m->l.n - 1);
            for (size_t i = 0; i < from; i++)
                m_remove(m, 0);
        }
        break;
    }
    case 9: { /* LRANGE */
        long long start = rnd_in(-len - 2, len + 1), stop = rnd_in(-len - 2, len + 1);
        size_t from = 1, to = 0;

        r = cmd(c, "LRANGE %s %lld %lld", k, start, stop);
        snprintf(what, sizeof(what), "LRANGE %lld %lld", start, stop);
        if (!m_range(m, start, stop, &from, &to)) {
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 0)
                w_fail(w, what, r);
        } else if (!w_is_slice(w, r, from, to, 0)) {
            w_fail(w, what, r);
        }
        break;
    }
    case 10: { /* LPOS with RANK, COUNT, MAXLEN */
        long long rank = rnd() % 2 ? rnd_in(1, 3) : -rnd_in(1, 3);
        long long count = rnd_in(0, 3), maxlen = rnd_in(0, len + 1);
        long long matches = 0, found = 0;
        char v[16], want[256] = "";
        size_t vlen = (size_t)snprintf(v, sizeof(v), "v%d", (int)(rnd() % 9)), off = 0;
        long long first = -1;

        for (long long j = 0; j < len && (maxlen == 0 || j < maxlen); j++) {
            long long at = rank > 0 ? j : len - 1 - j;

            if (!m_eq(m, (size_t)at, v, vlen) || ++matches < (rank > 0 ? rank : -rank))
                continue;
            if (first < 0)
                first = at;
            if (count == 0 || found < count) {
                off += (size_t)snprintf(want + off, sizeof(want) - off, "%s%lld", found ? " " : "",
                                        at);
                found++;
            }
            if (off > sizeof(want) - 32)
                break;
        }
        snprintf(what, sizeof(what), "LPOS %s RANK %lld COUNT %lld MAXLEN %lld", v, rank, count,
                 maxlen);
        if (rnd() % 2) {
            r = cmd(c, "LPOS %s %s RANK %lld MAXLEN %lld", k, v, rank, maxlen);
            if (first < 0 ? !r || r->type != REDIS_REPLY_NIL
                          : !r || r->type != REDIS_REPLY_INTEGER || r->integer != first)
                w_fail(w, what, r);
        } else {
            r = cmd(c, "LPOS %s %s RANK %lld COUNT %lld MAXLEN %lld", k, v, rank, count, maxlen);
            if (off <= sizeof(want) - 32) {
                long long vals[64];
                size_t nv = 0;
                int good;

                for (char *p = want; *p && nv < 64;) {
                    vals[nv++] = strtoll(p, &p, 10);
                    while (*p == ' ')
                        p++;
                }
                good = r && r->type == REDIS_REPLY_ARRAY && r->elements == nv;
                for (size_t i = 0; good && i < nv; i++)
                    good = r->element[i]->type == REDIS_REPLY_INTEGER &&
                           r->element[i]->integer == vals[i];
                if (!good)
                    w_fail(w, what, r);
            }
        }
        break;
    }
    case 11: { /* LMOVE within the list: a rotation */
        int f = rnd() % 2, t = rnd() % 2;
        size_t from = f ? m->l.n - 1 : 0;

        r = cmd(c, "LMOVE %s %s %s %s", k, k, f ? "RIGHT" : "LEFT", t ? "RIGHT" : "LEFT");
        snprintf(what, sizeof(what), "LMOVE self %d %d", f, t);
        if (len == 0) {
            if (!r || r->type != REDIS_REPLY_NIL)
                w_fail(w, what, r);
        } else {
            char *p = omk_memdup(m->l.e[from].p, m->l.e[from].len);
            size_t plen = m->l.e[from].len;

            if (!r || r->type != REDIS_REPLY_STRING || r->len != plen || memcmp(r->str, p, plen))
                w_fail(w, what, r);
            m_remove(m, from);
            m_insert(m, t ? m->l.n : 0, p, plen);
            omk_free(p);
        }
        break;
    }
    case 12: { /* LMPOP from the list, behind a missing key */
        int end = rnd() % 2;
        long long count = rnd_in(1, 3);
        size_t n = (size_t)(count < len ? count : len);

        r = cmd(c, "LMPOP 2 nokey %s %s COUNT %lld", k, end ? "RIGHT" : "LEFT", count);
        snprintf(what, sizeof(what), "LMPOP %s COUNT %lld", end ? "RIGHT" : "LEFT", count);
        if (len == 0) {
            if (!r || r->type != REDIS_REPLY_NIL)
                w_fail(w, what, r);
        } else {
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, k) ||
                !(end ? w_is_slice(w, r->element[1], m->l.n - n, m->l.n - 1, 1)
                      : w_is_slice(w, r->element[1], 0, n - 1, 0)))
                w_fail(w, what, r);
            for (size_t i = 0; i < n; i++)
                m_remove(m, end ? m->l.n - 1 : 0);
        }
        break;
    }
    default: /* LLEN */
        r = cmd(c, "LLEN %s", k);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != len)
            w_fail(w, "LLEN", r);
        break;
    }
    freeReplyObject(r);
}

/* Start a walk on 'key' (deleted first), filled with 'fill' elements "f<i>"; 'grow' as
 * struct walk says. */
static void walk_begin(struct walk *w, redisContext *c, const char *key, int fill, int grow)
{
    char buf[32];

    memset(w, 0, sizeof(*w));
    w->c = c;
    w->key = key;
    w->grow = grow;
    freeReplyObject(cmd(c, "DEL %s", key));
    if (fill > 0)
        tc_fill(c, "RPUSH", key, "f", 0, NULL, 0, fill);
    for (int i = 0; i < fill; i++) {
        size_t n = (size_t)snprintf(buf, sizeof(buf), "f%d", i);

        tc_add(&w->m.l, buf, n);
    }
}

/* Run 'steps' steps, checking the whole list every 'every' steps. */
static void walk_run(struct walk *w, long steps, int every, size_t big)
{
    for (long i = 0; i < steps && w->bad < 5; i++) {
        w_step(w, big);
        w->most = w->m.l.n > w->most ? w->m.l.n : w->most;
        if (w->watch_split) {
            long long now = nsplit(w->c);

            w->crossings += now != w->nsplit;
            w->nsplit = now;
        }
        if (i % every == every - 1)
            w_check_all(w);
    }
    w_check_all(w);
    diag("  %s: %ld steps, at most %zu elements, %zu steps on an empty list, %zu at the end",
         w->key, w->steps, w->most, w->empty, w->m.l.n);
    if (w->watch_split)
        diag("  %s: split or joined %ld times", w->key, w->crossings);
}

static void test_walk(redisContext *c)
{
    struct walk w;

    tc_section(c, "a random walk against a model");
    walk_begin(&w, c, "walk", 0, 1);
    walk_run(&w, 3000, 25, 0);
    ok(w.bad == 0, "3000 random steps on a growing list: every reply as the model says");
    tc_free(&w.m.l);
    walk_begin(&w, c, "walk0", 0, 0);
    walk_run(&w, 2000, 10, 0);
    ok(w.bad == 0, "2000 random steps on a list near empty: every reply as the model says");
    tc_free(&w.m.l);
    walk_begin(&w, c, "walkbig", 3000, 1);
    is_integer(cmd(c, "LLEN walkbig"), 3000, "a list of 3000");
    walk_run(&w, 1500, 100, 0);
    ok(w.bad == 0, "1500 random steps on a list of 3000: every reply as the model says");
    is_integer(cmd(c, "LLEN walkbig"), (long long)w.m.l.n, "... LLEN as the model's");
    tc_free(&w.m.l);
}

/* ---- the generic commands on lists ---- */

/* Each key passed to 'fn' by ts_scan_all goes into a tc_strs. */
static void scan_collect(void *arg, const char *key, size_t len)
{
    tc_add(arg, key, len);
}

static void test_generic(redisContext *c)
{
    /* every write keeps the list's expiry */
    static const char *const writes[] = {
        "LPUSH tl x",
        "RPUSH tl y",
        "LPUSHX tl x",
        "RPUSHX tl y",
        "LPOP tl",
        "RPOP tl 1",
        "LSET tl 0 z",
        "LINSERT tl BEFORE z w",
        "LREM tl 1 w",
        "LTRIM tl 0 -1",
        "LMOVE tl tl LEFT RIGHT",
        "RPOPLPUSH tl tl",
        "LMPOP 1 tl LEFT",
        "LMOVE tl other RIGHT LEFT",
        "RPUSH other o",
        "LMOVE other tl LEFT LEFT",
    };
    struct tc_strs got = {0}, want = {0};
    static const char *const type_list[] = {"TYPE", "list", NULL};
    char name[128];

    tc_section(c, "EXPIRE, RENAME, COPY, MOVE, SCAN TYPE, keyspace stats");
    is_integer(cmd(c, "RPUSH tl a b c d e f"), 6, "a list");
    is_integer(cmd(c, "EXPIRE tl 100"), 1, "... with a TTL of 100 s");
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        redisReply *r = cmdline(c, writes[i]);

        if (r && r->type == REDIS_REPLY_ERROR) {
            ok(0, "%s", writes[i]);
            ts_diag_reply(r);
        }
        freeReplyObject(r);
        snprintf(name, sizeof(name), "%s keeps the TTL", writes[i]);
        ttl_within(c, "tl", 95, 100, name);
    }
    is_integer(cmd(c, "TTL other"), -1, "a list created by LMOVE has no TTL");
    is_integer(cmd(c, "RPUSH t2 a"), 1, "a list of one");
    is_integer(cmd(c, "EXPIRE t2 100"), 1, "... with a TTL");
    is_str(cmd(c, "LPOP t2"), "a", 1, "LPOP its only element");
    is_integer(cmd(c, "TTL t2"), -2, "... the key is gone, TTL and all");
    is_integer(cmd(c, "RPUSH t2 b"), 1, "RPUSH it again");
    is_integer(cmd(c, "TTL t2"), -1, "... a new list without the old TTL");
    is_integer(cmd(c, "PEXPIRE t2 1"), 1, "PEXPIRE 1 ms");
    ts_sleep_ms(20);
    is_integer(cmd(c, "LLEN t2"), 0, "an expired list has no elements");
    is_integer(cmd(c, "LPUSHX t2 x"), 0, "... LPUSHX does not revive it");
    is_array_of(cmd(c, "LRANGE t2 0 -1"), "", "... LRANGE reads nothing");

    /* RENAME, COPY, MOVE */
    freeReplyObject(cmd(c, "DEL tl other"));
    is_integer(cmd(c, "RPUSH tl a b c"), 3, "a list a b c");
    is_integer(cmd(c, "EXPIRE tl 100"), 1, "... with a TTL");
    is_status(cmd(c, "RENAME tl tl2"), "OK", "RENAME it");
    list_is(c, "tl2", "a b c", "... the elements under the new name");
    ttl_within(c, "tl2", 95, 100, "... and the TTL");
    is_integer(cmd(c, "EXISTS tl"), 0, "... the old name is gone");
    is_integer(cmd(c, "LLEN tl"), 0, "... LLEN of it 0");
    is_integer(cmd(c, "COPY tl2 tl3"), 1, "COPY it");
    is_integer(cmd(c, "RPUSH tl2 d"), 4, "RPUSH to the original");
    is_str(cmd(c, "LPOP tl3"), "a", 1, "LPOP from the copy");
    list_is(c, "tl2", "a b c d", "... the original is its own");
    list_is(c, "tl3", "b c", "... the copy is its own");
    ttl_within(c, "tl3", 95, 100, "... the copy has the TTL");
    is_integer(cmd(c, "COPY tl2 tl3"), 0, "COPY onto an existing key -> 0");
    is_integer(cmd(c, "COPY tl2 tl3 REPLACE"), 1, "COPY REPLACE");
    list_is(c, "tl3", "a b c d", "... replaced");
    is_integer(cmd(c, "COPY tl2 tl3 DB 2"), 1, "COPY to db 2");
    is_integer(cmd(c, "MOVE tl3 3"), 1, "MOVE to db 3");
    is_integer(cmd(c, "EXISTS tl3"), 0, "... gone from db 0");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    list_is(c, "tl3", "a b c d", "... the moved list in db 3");
    is_integer(cmd(c, "RPUSH tl3 e"), 5, "... writable there");
    is_status(cmd(c, "SELECT 2"), "OK", "SELECT 2");
    list_is(c, "tl3", "a b c d", "the copy in db 2");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_integer(cmd(c, "RPUSH tl3 x"), 1, "a new list under the moved name in db 0");
    is_integer(cmd(c, "MOVE tl3 3"), 0, "MOVE onto an existing key in db 3 -> 0");
    is_integer(cmd(c, "DEL tl2"), 1, "DEL a list");
    is_integer(cmd(c, "RPUSH tl2 z"), 1, "a new list under the deleted name");
    list_is(c, "tl2", "z", "... holds only its own element");

    /* SCAN TYPE list, KEYS */
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_integer(cmd(c, "SADD s m"), 1, "a set");
    ok(ts_scan_all(c, type_list, scan_collect, &got, 0) > 0, "SCAN TYPE list walks to the end");
    tc_add_words(&want, "tl2 tl3");
    tc_sort(&got);
    tc_sort(&want);
    if (!ok(tc_same(&got, &want), "... exactly the lists"))
        tc_diag(&got, "got");
    tc_free(&got);
    tc_free(&want);

    /* keyspace hits and misses: the read-only list commands count, as lookupKeyRead */
    is_status(cmd(c, "CONFIG RESETSTAT"), "OK", "CONFIG RESETSTAT");
    freeReplyObject(cmd(c, "LLEN tl2"));         /* hit */
    freeReplyObject(cmd(c, "LLEN nokey"));       /* miss */
    freeReplyObject(cmd(c, "LINDEX tl2 10"));    /* hit: the list is there */
    freeReplyObject(cmd(c, "LINDEX nokey 0"));   /* miss */
    freeReplyObject(cmd(c, "LINDEX tl2 abc"));   /* hit: the key is looked up first */
    freeReplyObject(cmd(c, "LRANGE tl2 5 6"));   /* hit */
    freeReplyObject(cmd(c, "LRANGE nokey 0 1")); /* miss */
    freeReplyObject(cmd(c, "LRANGE tl2 abc 1")); /* neither: the index first */
    freeReplyObject(cmd(c, "LPOS tl2 nosuch"));  /* hit */
    freeReplyObject(cmd(c, "LPOS nokey a"));     /* miss */
    freeReplyObject(cmd(c, "LPOS str a"));       /* hit: a key of another type */
    freeReplyObject(cmd(c, "LPOP tl2 0"));       /* writes count nothing */
    freeReplyObject(cmd(c, "RPOP nokey"));
    freeReplyObject(cmd(c, "LSET tl2 0 y"));
    freeReplyObject(cmd(c, "LMPOP 1 nokey LEFT"));
    is_int(ts_info_field(c, "stats", "keyspace_hits"), 6, "keyspace_hits: 6");
    is_int(ts_info_field(c, "stats", "keyspace_misses"), 4, "keyspace_misses: 4");

    /* the list options are accepted, with their ziplist alias */
    is_status(cmd(c, "CONFIG SET list-max-ziplist-size 128"), "OK",
              "CONFIG SET list-max-ziplist-size");
    is_array_of(cmd(c, "CONFIG GET list-max-listpack-size"), "list-max-listpack-size 128",
                "... read back under list-max-listpack-size");
    is_status(cmd(c, "CONFIG SET list-max-listpack-size -2"), "OK", "... and set back to -2");
    is_str(cmd(c, "OBJECT ENCODING tl2"), "quicklist", 9, "OBJECT ENCODING quicklist still");
}

/* ---- MULTI/EXEC and WATCH ---- */

static void test_multi(const struct tserver *s, redisContext *c)
{
    /* {setup, what another client runs, 1 if EXEC must fail}: Redis touches a list when a
     * write ran on it, whether or not it changed (LSET to the same value, LTRIM of
     * nothing), but not when the command found nothing to do */
    static const char *const cases[][3] = {
        {"RPUSH w a b", "RPUSH w c", "1"},
        {"RPUSH w a b", "LPUSHX w c", "1"},
        {"RPUSH w a b", "LPOP w", "1"},
        {"RPUSH w a b", "RPOP w 0", "0"},
        {"RPUSH w a b", "LSET w 0 a", "1"},
        {"RPUSH w a b", "LSET w 5 x", "0"},
        {"RPUSH w a b", "LINSERT w AFTER a x", "1"},
        {"RPUSH w a b", "LINSERT w BEFORE zz x", "0"},
        {"RPUSH w a b", "LREM w 0 a", "1"},
        {"RPUSH w a b", "LREM w 0 zz", "0"},
        {"RPUSH w a b", "LTRIM w 1 -1", "1"},
        {"RPUSH w a b", "LTRIM w 0 -1", "1"},
        {"RPUSH w a b", "LMOVE w w LEFT RIGHT", "1"},
        {"RPUSH w a b", "LMOVE w other LEFT RIGHT", "1"},
        {"RPUSH w a", "LMPOP 1 w LEFT", "1"},
        {"RPUSH w a", "LRANGE w 0 -1", "0"},
        {"RPUSH w a", "LPOS w a", "0"},
        {"RPUSH w a", "RPOPLPUSH nokey w", "0"},
        {"RPUSH src x", "RPOPLPUSH src w", "1"},
        {"RPUSH src x", "LPUSHX w y", "0"},
    };
    redisContext *o = ts_connect(s);
    redisReply *r;
    char name[200];

    tc_section(c, "MULTI/EXEC and WATCH");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "RPUSH q a b c"), "QUEUED", "RPUSH queued");
    is_status(cmd(c, "LPOP q"), "QUEUED", "LPOP queued");
    is_status(cmd(c, "LRANGE q 0 -1"), "QUEUED", "LRANGE queued");
    is_status(cmd(c, "LMPOP 1 q RIGHT COUNT 5"), "QUEUED", "LMPOP queued");
    is_status(cmd(c, "LLEN q"), "QUEUED", "LLEN queued");
    is_status(cmd(c, "SADD q x"), "QUEUED", "SADD on it queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
           r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 3 &&
           r->element[1]->type == REDIS_REPLY_STRING && !strcmp(r->element[1]->str, "a") &&
           r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements == 2 &&
           r->element[3]->type == REDIS_REPLY_ARRAY && r->element[3]->elements == 2 &&
           !strcmp(r->element[3]->element[0]->str, "q") &&
           r->element[3]->element[1]->elements == 2 &&
           !strcmp(r->element[3]->element[1]->element[0]->str, "c") &&
           r->element[4]->type == REDIS_REPLY_INTEGER && r->element[4]->integer == 0 &&
           r->element[5]->type == REDIS_REPLY_INTEGER && r->element[5]->integer == 1,
       "EXEC replies each: 3, a, [b c], [q, [c b]], 0, 1 (a set now)");
    if (r && r->type != REDIS_REPLY_ARRAY)
        ts_diag_reply(r);
    freeReplyObject(r);
    is_status(cmd(c, "TYPE q"), "set", "the list emptied in the transaction made room for a set");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "RPUSH q2 a"), "QUEUED", "RPUSH queued");
    is_error(cmd(c, "LPUSH q2"), "ERR wrong number of arguments for 'lpush' command",
             "an arity error while queuing");
    is_error(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.",
             "EXEC after it -> EXECABORT");
    is_integer(cmd(c, "EXISTS q2"), 0, "... the queued RPUSH never ran");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "RPUSH q2 a"), "QUEUED", "RPUSH queued");
    is_status(cmd(c, "LPOP q2 -1"), "QUEUED", "a bad LPOP count is queued");
    is_status(cmd(c, "RPUSH q2 b"), "QUEUED", "RPUSH queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
           r->element[1]->type == REDIS_REPLY_ERROR && !strcmp(r->element[1]->str, NOTPOS) &&
           r->element[2]->type == REDIS_REPLY_INTEGER && r->element[2]->integer == 2,
       "EXEC: the bad count fails alone, the rest runs");
    freeReplyObject(r);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        freeReplyObject(cmd(c, "DEL w other src"));
        if (!tc_run(c, cases[i][0], REDIS_REPLY_INTEGER))
            ok(0, "setup %s", cases[i][0]);
        is_status(cmd(c, "WATCH w"), "OK", "WATCH w");
        freeReplyObject(cmdline(o, cases[i][1]));
        is_status(cmd(c, "MULTI"), "OK", "MULTI");
        is_status(cmd(c, "LLEN w"), "QUEUED", "LLEN queued");
        r = cmd(c, "EXEC");
        snprintf(name, sizeof(name), "WATCH w (%s), another client runs %s: EXEC %s", cases[i][0],
                 cases[i][1], cases[i][2][0] == '1' ? "fails" : "runs");
        if (!ok(cases[i][2][0] == '1' ? r && r->type == REDIS_REPLY_NIL
                                      : r && r->type == REDIS_REPLY_ARRAY && r->elements == 1,
                "%s", name))
            ts_diag_reply(r);
        freeReplyObject(r);
    }
    redisFree(o);
}

/* ---- arity and WRONGTYPE both ways ---- */

static void test_errors(redisContext *c)
{
    static const char *const arity[][2] = {
        {"LPUSH l", "lpush"},
        {"RPUSH", "rpush"},
        {"LPUSHX l", "lpushx"},
        {"RPUSHX l", "rpushx"},
        {"LPOP", "lpop"},
        {"RPOP", "rpop"},
        {"LMPOP 1 l", "lmpop"},
        {"LLEN", "llen"},
        {"LLEN l x", "llen"},
        {"LINDEX l", "lindex"},
        {"LINDEX l 0 1", "lindex"},
        {"LRANGE l 0", "lrange"},
        {"LRANGE l 0 1 2", "lrange"},
        {"LPOS l", "lpos"},
        {"LSET l 0", "lset"},
        {"LSET l 0 a b", "lset"},
        {"LINSERT l BEFORE a", "linsert"},
        {"LINSERT l BEFORE a b c", "linsert"},
        {"LREM l 0", "lrem"},
        {"LTRIM l 0", "ltrim"},
        {"LMOVE a b LEFT", "lmove"},
        {"LMOVE a b LEFT LEFT x", "lmove"},
        {"RPOPLPUSH a", "rpoplpush"},
        {"RPOPLPUSH a b c", "rpoplpush"},
    };
    static const char *const on_string[] = {
        "LPUSH str a",
        "RPUSH str a",
        "LPUSHX str a",
        "RPUSHX str a",
        "LPOP str",
        "RPOP str 2",
        "LMPOP 1 str LEFT",
        "LLEN str",
        "LINDEX str 0",
        "LRANGE str 0 -1",
        "LPOS str a",
        "LSET str 0 a",
        "LINSERT str BEFORE a b",
        "LREM str 0 a",
        "LTRIM str 0 1",
        "LMOVE str l LEFT LEFT",
        "RPOPLPUSH str l",
    };
    static const char *const on_list[] = {
        "GET l",          "APPEND l x", "INCR l",          "STRLEN l",   "GETRANGE l 0 1",
        "SETRANGE l 0 x", "GETDEL l",   "HSET l f v",      "HGET l f",   "HLEN l",
        "HGETALL l",      "SADD l a",   "SCARD l",         "SMEMBERS l", "SISMEMBER l a",
        "SMOVE l s2 a",   "SINTER l",   "SUNIONSTORE d l", "HSCAN l 0",  "SSCAN l 0",
    };
    char name[160], want[96];

    tc_section(c, "arity and WRONGTYPE both ways");
    is_integer(cmd(c, "RPUSH l a b"), 2, "a list");
    for (size_t i = 0; i < sizeof(arity) / sizeof(arity[0]); i++) {
        snprintf(want, sizeof(want), "ERR wrong number of arguments for '%s' command", arity[i][1]);
        snprintf(name, sizeof(name), "%s -> arity error", arity[i][0]);
        is_error(cmdline(c, arity[i][0]), want, name);
    }
    list_is(c, "l", "a b", "the rejected commands left the list alone");

    is_status(cmd(c, "SET str text"), "OK", "a string");
    for (size_t i = 0; i < sizeof(on_string) / sizeof(on_string[0]); i++) {
        snprintf(name, sizeof(name), "%s on a string -> WRONGTYPE", on_string[i]);
        is_error(cmdline(c, on_string[i]), WRONGTYPE, name);
    }
    is_str(cmd(c, "GET str"), "text", 4, "the string is unchanged");
    list_is(c, "l", "a b", "... and the list");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_error(cmd(c, "LPUSH h a"), WRONGTYPE, "LPUSH on a hash -> WRONGTYPE");
    is_error(cmd(c, "LLEN h"), WRONGTYPE, "LLEN on a hash -> WRONGTYPE");
    is_integer(cmd(c, "SADD s m"), 1, "a set");
    is_error(cmd(c, "RPOP s"), WRONGTYPE, "RPOP on a set -> WRONGTYPE");
    is_error(cmd(c, "LRANGE s 0 -1"), WRONGTYPE, "LRANGE on a set -> WRONGTYPE");

    for (size_t i = 0; i < sizeof(on_list) / sizeof(on_list[0]); i++) {
        snprintf(name, sizeof(name), "%s on a list -> WRONGTYPE", on_list[i]);
        is_error(cmdline(c, on_list[i]), WRONGTYPE, name);
    }
    list_is(c, "l", "a b", "the list survived every refused command");
    is_integer(cmd(c, "EXISTS d"), 0, "... SUNIONSTORE wrote nothing");
    is_array_of(cmd(c, "MGET l str"), "(nil) text", "MGET: nil for a list");
    is_integer(cmd(c, "SETNX l v"), 0, "SETNX on a list -> 0");
    is_integer(cmd(c, "EXPIRE l 100"), 1, "the list gets a TTL");
    is_status(cmd(c, "SET l v KEEPTTL"), "OK", "SET KEEPTTL over a list");
    is_str(cmd(c, "GET l"), "v", 1, "... the key is a string");
    ttl_within(c, "l", 95, 100, "... with the list's TTL");
    is_error(cmd(c, "LLEN l"), WRONGTYPE, "... LLEN of it -> WRONGTYPE");
    is_integer(cmd(c, "DEL l"), 1, "DEL it");
    is_integer(cmd(c, "RPUSH l z"), 1, "a list under the name again");
    list_is(c, "l", "z", "... with only its element");
}

/* ---- RESP3 ---- */

static void test_resp3(const struct tserver *s, redisContext *c)
{
    struct r3conn rc;

    tc_section(c, "RESP3 reply types");
    is_integer(cmd(c, "RPUSH l a b c"), 3, "a list a b c");
    if (r3_open(&rc, s) != 0) {
        ok(0, "a RESP3 connection (HELLO 3)");
        return;
    }
    r3_is_bytes(&rc, "LPOP nokey", "_\r\n", "RESP3 LPOP of a missing key: null");
    r3_is_bytes(&rc, "LPOP nokey 2", "_\r\n", "RESP3 LPOP 2 of a missing key: null");
    r3_is_bytes(&rc, "RPOP nokey 0", "_\r\n", "RESP3 RPOP 0 of a missing key: null");
    r3_is_bytes(&rc, "LPOP l 0", "*0\r\n", "RESP3 LPOP 0 of a list: an empty array");
    r3_is_bytes(&rc, "LPOP l", "$1\r\na\r\n", "RESP3 LPOP: a bulk");
    r3_is_bytes(&rc, "RPOP l 1", "*1\r\n$1\r\nc\r\n", "RESP3 RPOP 1: an array");
    r3_is_bytes(&rc, "LINDEX nokey 0", "_\r\n", "RESP3 LINDEX of a missing key: null");
    r3_is_bytes(&rc, "LINDEX l 7", "_\r\n", "RESP3 LINDEX out of range: null");
    r3_is_bytes(&rc, "LPOS l z", "_\r\n", "RESP3 LPOS without a match: null");
    r3_is_bytes(&rc, "LPOS l b", ":0\r\n", "RESP3 LPOS: an integer");
    r3_is_bytes(&rc, "LPOS l b COUNT 0", "*1\r\n:0\r\n", "RESP3 LPOS COUNT: an array");
    r3_is_bytes(&rc, "LRANGE nokey 0 -1", "*0\r\n", "RESP3 LRANGE of a missing key: *0");
    r3_is_bytes(&rc, "LMPOP 1 nokey LEFT", "_\r\n", "RESP3 LMPOP of missing keys: null");
    r3_is_bytes(&rc, "LMPOP 2 nokey l LEFT", "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nb\r\n",
                "RESP3 LMPOP: [key, [elements]]");
    r3_is_bytes(&rc, "LMOVE nokey d LEFT LEFT", "_\r\n", "RESP3 LMOVE of a missing key: null");
    r3_is_bytes(&rc, "RPOPLPUSH nokey d", "_\r\n", "RESP3 RPOPLPUSH of a missing key: null");
    r3_is_bytes(&rc, "RPUSH l x y", ":2\r\n", "RESP3 RPUSH: an integer");
    r3_is_coll(&rc, "LRANGE l 0 -1", '*', "x y", "RESP3 LRANGE: an array");
    r3_is_bytes(&rc, "LSET nokey 0 a", "-ERR no such key\r\n", "RESP3 LSET error");
    r3_close(&rc);
}

/* ---- omenkv only: across the inline limit, and a restart ---- */

/* Whether LRANGE 'key' 0 -1 is exactly the model 'm'. */
static int list_is_model(redisContext *c, const char *key, const struct model *m)
{
    struct walk w;
    int good;

    memset(&w, 0, sizeof(w));
    w.c = c;
    w.key = key;
    w.m = *m;
    good = w_check_all(&w);
    return good;
}

static void test_split(struct tserver *s, redisContext **cp)
{
    redisContext *c = *cp;
    struct walk w;
    long long base, most;
    char big[200];

    tc_section(c, "across the inline limit, and a restart (omenkv only)");
    if (s->external) {
        skip("collection-inline-max-bytes and restarts: omenkv's own, on a server of our own");
        return;
    }
    is_status(cmd(c, "CONFIG SET collection-inline-max-bytes 64"), "OK",
              "CONFIG SET collection-inline-max-bytes 64");
    base = nsplit(c);
    ok(base >= 0, "INFO persistence reports collections_split (%lld)", base);

    /* grow a list one element at a time past the limit and back */
    walk_begin(&w, c, "grow", 0, 0);
    most = base;
    for (int i = 0; i < 40 && !w.bad; i++) {
        char e[16];
        size_t n = (size_t)snprintf(e, sizeof(e), "e%d", i);
        redisReply *r = cmd(c, "RPUSH grow %s", e);

        m_insert(&w.m, w.m.l.n, e, n);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != i + 1)
            w_fail(&w, "RPUSH", r);
        freeReplyObject(r);
        w_check_all(&w);
        most = nsplit(c) > most ? nsplit(c) : most;
    }
    ok(w.bad == 0, "a list grown to 40 one RPUSH at a time: every LRANGE right");
    ok(most == base + 1, "... it split on the way (collections_split %lld -> %lld)", base, most);
    is_str(cmd(c, "OBJECT ENCODING grow"), "quicklist", 9, "... OBJECT ENCODING quicklist");
    is_str(cmd(c, "LINDEX grow 20"), "e20", 3, "LINDEX in the middle of the split list");
    is_integer(cmd(c, "LPOS grow e33"), 33, "LPOS in the split list");
    while (w.m.l.n > 1 && !w.bad) {
        redisReply *r = cmd(c, "LPOP grow");

        if (!r || r->type != REDIS_REPLY_STRING || !m_eq(&w.m, 0, r->str, r->len))
            w_fail(&w, "LPOP", r);
        freeReplyObject(r);
        m_remove(&w.m, 0);
        w_check_all(&w);
    }
    ok(w.bad == 0, "... popped back down to one: every LRANGE right");
    is_int(nsplit(c), base, "... with one element left it was inline again");
    is_str(cmd(c, "RPOP grow"), "e39", 3, "RPOP the last one");
    is_integer(cmd(c, "EXISTS grow"), 0, "... the key is gone");
    tc_free(&w.m.l);

    /* the random walk, crossing the limit back and forth, with elements over it */
    walk_begin(&w, c, "walk", 0, 0);
    w.watch_split = 1;
    w.nsplit = nsplit(c);
    walk_run(&w, 3000, 10, 100);
    ok(w.bad == 0, "3000 random steps across the inline limit: every reply as the model says");
    ok(w.crossings >= 20, "... the list split and joined again many times (%ld)", w.crossings);
    tc_free(&w.m.l);
    memset(big, 'b', sizeof(big));
    is_integer(cmd(c, "RPUSH one %b", big, sizeof(big)), 1, "one element larger than the limit");
    is_str(cmd(c, "LINDEX one 0"), big, sizeof(big), "... reads back");
    is_str(cmd(c, "LPOP one"), big, sizeof(big), "... pops");
    is_integer(cmd(c, "EXISTS one"), 0, "... and the key is gone");

    /* a split list through RENAME, COPY, MOVE and DEL */
    walk_begin(&w, c, "sl", 100, 1);
    is_integer(cmd(c, "EXPIRE sl 1000"), 1, "a split list of 100 with a TTL");
    is_status(cmd(c, "RENAME sl sl2"), "OK", "RENAME it");
    w.key = "sl2";
    ok(list_is_model(c, "sl2", &w.m), "... its elements under the new name");
    ttl_within(c, "sl2", 990, 1000, "... its TTL");
    is_integer(cmd(c, "COPY sl2 sl3"), 1, "COPY it");
    is_integer(cmd(c, "LREM sl3 0 f50"), 1, "LREM from the copy");
    ok(list_is_model(c, "sl2", &w.m), "... the original is whole");
    is_integer(cmd(c, "MOVE sl3 1"), 1, "MOVE the copy to db 1");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_integer(cmd(c, "LLEN sl3"), 99, "... LLEN 99 there");
    is_nil(cmd(c, "LPOS sl3 f50"), "... without the element LREM took");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");

    /* a split list survives a restart, and keeps working */
    walk_run(&w, 500, 50, 100);
    ok(w.bad == 0, "500 random steps on the split list");
    tc_fill(c, "LPUSH", "sl2", "h", 0, NULL, 0, 200);
    for (int i = 0; i < 200; i++) {
        char e[16];
        size_t n = (size_t)snprintf(e, sizeof(e), "h%d", i);

        m_insert(&w.m, 0, e, n);
    }
    ok(list_is_model(c, "sl2", &w.m), "200 more at its head");
    most = nsplit(c);
    redisFree(c);
    ok(ts_restart(s) == 0, "restart on the same data");
    c = *cp = ts_connect(s);
    w.c = c;
    ok(list_is_model(c, "sl2", &w.m), "the split list after the restart: every element in order");
    is_integer(cmd(c, "LLEN sl2"), (long long)w.m.l.n, "... LLEN from RAM");
    ttl_within(c, "sl2", 900, 1000, "... its TTL");
    is_str(cmd(c, "OBJECT ENCODING sl2"), "quicklist", 9, "... OBJECT ENCODING quicklist");
    is_int(nsplit(c), most, "... collections_split as before (%lld)", most);
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_integer(cmd(c, "LLEN sl3"), 99, "the copy in db 1 after the restart");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    walk_run(&w, 500, 50, 0);
    ok(w.bad == 0, "500 random steps on it after the restart: both ends and the middle work");
    tc_free(&w.m.l);
    is_integer(cmd(c, "DEL sl2"), 1, "DEL the split list");
    is_integer(cmd(c, "RPUSH sl2 new"), 1, "a new list under its name");
    list_is(c, "sl2", "new", "... holds only its element");
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_command_info(c);
    test_push(c);
    test_pop(&s, c);
    test_lmpop(&s, c);
    test_read(c);
    test_write_in_place(c);
    test_lpos(&s, c);
    test_lmove(&s, c);
    test_walk(c);
    test_generic(c);
    test_multi(&s, c);
    test_errors(c);
    test_resp3(&s, c);
    test_split(&s, &c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
