/* test_sort.c - SORT and SORT_RO against a real server: lists, sets and sorted sets sorted
 * as numbers (strtod's forms, ties by the elements' bytes, the values that cannot be
 * read: "One or more scores can't be converted into double") and with ALPHA, BY string
 * keys and hash fields (missing weights, BY without '*' sorting nothing: a list or sorted
 * set keeps its order, DESC reverses it), GET # and several GETs (nil for a missing key
 * or field, a key of another type, a pattern without '*'), LIMIT at its edges, STORE
 * (a list replacing any key, its expiry dropped; an empty result deleting it; a set
 * stored with no sorting comes out sorted ALPHA), argument errors in Redis 7.0's order,
 * SORT_RO, COMMAND GETKEYS, MULTI and WATCH, and nil in RESP2 and RESP3. Large
 * collections are checked against a model sorted here; omenkv also runs the whole file
 * again on a server with a low collection-inline-max-bytes, where every collection is
 * split. A set sorted by nothing comes in no order: compared as a set. Every expectation
 * was checked against redis-server 7.0 (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOTINT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"
#define NOTNUM "ERR One or more scores can't be converted into double"
#define BIG 2000 /* elements of the large collections */

/* ---- numbers ---- */

static void test_numeric(redisContext *c)
{
    tc_section(c, "numeric sorts of a list, a set and a sorted set");
    /* First: Redis does not clear errno before its strtod, so once a range error was seen
     * (below) a later value that strtod reads well may still fail there. */
    is_integer(cmd(c, "RPUSH nul 2 %b 1", "1\0x", (size_t)3), 3, "RPUSH 2 '1<NUL>x' 1");
    is_array_of(cmd(c, "SORT nul LIMIT 0 1"), "1",
                "a zero byte ends the number (Redis reads a C string)");
    is_array_of(cmd(c, "SORT nul DESC LIMIT 0 1"), "2", "... so '1<NUL>x' is 1, below 2");
    is_integer(cmd(c, "RPUSH l 3 1 2 10 -5 2.5"), 6, "RPUSH l 3 1 2 10 -5 2.5");
    is_array_of(cmd(c, "SORT l"), "-5 1 2 2.5 3 10", "SORT: as numbers, not as strings");
    is_array_of(cmd(c, "SORT l ASC"), "-5 1 2 2.5 3 10", "SORT ASC: the same");
    is_array_of(cmd(c, "SORT l DESC"), "10 3 2.5 2 1 -5", "SORT DESC");
    is_array_of(cmd(c, "sort l desc asc"), "-5 1 2 2.5 3 10", "a later ASC wins, any case");
    is_array_of(cmd(c, "SORT_RO l DESC"), "10 3 2.5 2 1 -5", "SORT_RO DESC");
    is_array_of(cmd(c, "LRANGE l 0 -1"), "3 1 2 10 -5 2.5", "the list itself is unchanged");

    is_integer(cmd(c, "SADD s 30 -1 7 100"), 4, "SADD s 30 -1 7 100");
    is_array_of(cmd(c, "SORT s"), "-1 7 30 100", "SORT of a set");
    is_array_of(cmd(c, "SORT s DESC"), "100 30 7 -1", "SORT DESC of a set");
    is_integer(cmd(c, "ZADD z 1 30 2 -1 3 7 4 100"), 4, "ZADD z: members that are numbers");
    is_array_of(cmd(c, "SORT z"), "-1 7 30 100", "SORT of a sorted set: by its members");
    is_array_of(cmd(c, "SORT z DESC"), "100 30 7 -1", "... DESC");
    is_integer(cmd(c, "ZADD zs 1 b 2 a"), 2, "ZADD zs 1 b 2 a");
    is_str(cmd(c, "OBJECT ENCODING zs"), "listpack", 8, "OBJECT ENCODING zs listpack");
    is_error(cmd(c, "SORT zs foo"), SYNTAX, "SORT zs foo: syntax error");
    is_str(cmd(c, "OBJECT ENCODING zs"), "listpack", 8, "... leaves zs listpack");
    is_error(cmd(c, "SORT zs"), NOTNUM,
             "SORT of a sorted set of words: its members are not numbers");
    is_str(cmd(c, "OBJECT ENCODING zs"), "skiplist", 8,
           "... and, as Redis 7.0 converts the set it sorts, zs is a skiplist now");
    is_integer(cmd(c, "ZADD zr 1 b 2 a"), 2, "ZADD zr 1 b 2 a");
    is_array_of(cmd(c, "SORT_RO zr BY nosort LIMIT 0 0"), "", "SORT_RO zr BY nosort LIMIT 0 0");
    is_str(cmd(c, "OBJECT ENCODING zr"), "skiplist", 8, "... converts it too");
    is_array_of(cmd(c, "ZRANGE zr 0 -1 WITHSCORES"), "b 1 a 2",
                "... members and scores as they were");

    /* strtod's forms are numbers; equal numbers are ordered by their bytes */
    is_integer(cmd(c, "RPUSH f %s 0x10 inf -inf +5 1e-300 infinity .5 5. 1e2 %s", "", " 1"), 11,
               "RPUSH the forms strtod reads: empty, hex, inf, +5, 1e-300, .5, 5., ' 1'");
    {
        static const char *const want[] = {"-inf", "",     "1e-300", ".5",  " 1",      "+5",
                                           "5.",   "0x10", "1e2",    "inf", "infinity"};
        redisReply *r = cmd(c, "SORT f");
        int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == OMK_ARRAY_LEN(want);

        for (size_t i = 0; good && i < r->elements; i++)
            good = r->element[i]->type == REDIS_REPLY_STRING &&
                   !strcmp(r->element[i]->str, want[i]);
        if (!ok(good, "SORT reads each as strtod does (the empty string is 0, ' 1' is 1)"))
            ts_diag_reply(r);
        freeReplyObject(r);
    }
    is_integer(cmd(c, "RPUSH t 1.0 1 01 -1 1e0"), 5, "RPUSH t 1.0 1 01 -1 1e0: four equal numbers");
    is_array_of(cmd(c, "SORT t"), "-1 01 1 1.0 1e0", "equal numbers: by their bytes");
    is_array_of(cmd(c, "SORT t DESC"), "1e0 1.0 1 01 -1", "... and DESC reverses that too");
    is_integer(cmd(c, "RPUSH d 2 1 2 1"), 4, "RPUSH d 2 1 2 1: repeated elements");
    is_array_of(cmd(c, "SORT d"), "1 1 2 2", "SORT keeps every copy");
    is_integer(cmd(c, "RPUSH z0 0 -0 -0.0"), 3, "RPUSH z0 0 -0 -0.0");
    is_array_of(cmd(c, "SORT z0"), "-0 -0.0 0", "-0 equals 0: ordered by bytes");

    /* what is not a number */
    static const char *const bad[] = {"abc",    "1 ",     "nan",      "-nan", "1e400", "-1e400",
                                      "1e-400", "1e-310", "4.9e-324", "1x",   "0x",    "--1"};
    for (size_t i = 0; i < OMK_ARRAY_LEN(bad); i++) {
        char name[96];

        is_integer(cmd(c, "DEL nb"), i > 0, "DEL nb");
        is_integer(cmd(c, "RPUSH nb 1 %s 2", bad[i]), 3, "RPUSH nb 1 <bad> 2");
        snprintf(name, sizeof(name), "'%s' is not a number (nan, range error, trailing bytes)",
                 bad[i]);
        is_error(cmd(c, "SORT nb"), NOTNUM, name);
    }
    is_error(cmd(c, "SORT nb LIMIT 0 0"), NOTNUM, "... even when LIMIT keeps nothing");
    is_error(cmd(c, "SORT nb LIMIT 0 1 GET #"), NOTNUM, "... or with GET");
    is_integer(cmd(c, "RPUSH dst keep"), 1, "RPUSH dst keep");
    is_error(cmd(c, "SORT nb STORE dst"), NOTNUM, "... or with STORE");
    is_array_of(cmd(c, "LRANGE dst 0 -1"), "keep", "... which then leaves the destination alone");
    is_array_of(cmd(c, "SORT nb ALPHA"), "--1 1 2", "ALPHA needs no number");
    is_array_of(cmd(c, "SORT nb BY nosort"), "1 --1 2", "BY without '*' reads no number");
}

/* ---- ALPHA ---- */

static void test_alpha(redisContext *c)
{
    tc_section(c, "ALPHA");
    is_integer(cmd(c, "RPUSH l banana Apple cherry apple 10 9 _x"), 7, "RPUSH words");
    is_array_of(cmd(c, "SORT l ALPHA"), "10 9 Apple _x apple banana cherry",
                "SORT ALPHA: byte order");
    is_array_of(cmd(c, "SORT l alpha DESC"), "cherry banana apple _x Apple 9 10",
                "SORT ALPHA DESC");
    is_array_of(cmd(c, "SORT l DESC ALPHA"), "cherry banana apple _x Apple 9 10",
                "options in any order");
    is_integer(cmd(c, "SADD s b c a"), 3, "SADD s b c a");
    is_array_of(cmd(c, "SORT s ALPHA"), "a b c", "SORT ALPHA of a set");
    is_integer(cmd(c, "ZADD z 1 b 2 c 3 a"), 3, "ZADD z 1 b 2 c 3 a");
    is_array_of(cmd(c, "SORT z ALPHA"), "a b c",
                "SORT ALPHA of a sorted set: by member, not score");
    is_array_of(cmd(c, "SORT z ALPHA DESC"), "c b a", "... DESC");
    is_integer(cmd(c, "RPUSH u %b %b b %b", "\xc3\xa9", (size_t)2, "z", (size_t)1, "\x01",
                   (size_t)1),
               4, "RPUSH binary bytes");
    is_integer(cmd(c, "SORT u ALPHA STORE u2"), 4, "SORT ALPHA STORE");
    {
        redisReply *r = cmd(c, "LRANGE u2 0 -1");
        int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
                   r->element[0]->len == 1 && r->element[0]->str[0] == 1 &&
                   !strcmp(r->element[1]->str, "b") && !strcmp(r->element[2]->str, "z") &&
                   r->element[3]->len == 2 && !memcmp(r->element[3]->str, "\xc3\xa9", 2);

        ok(good, "... bytes compare unsigned: \\x01 b z \\xc3\\xa9");
        freeReplyObject(r);
    }
    /* Storing compares every byte; a zero byte inside an element counts */
    is_integer(cmd(c, "RPUSH zb %b b a", "b\0a", (size_t)3), 3, "RPUSH 'b<NUL>a' b a");
    is_integer(cmd(c, "SORT zb ALPHA STORE zbs"), 3, "SORT ALPHA STORE");
    {
        redisReply *r = cmd(c, "LRANGE zbs 0 -1");
        int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
                   !strcmp(r->element[0]->str, "a") && r->element[1]->len == 1 &&
                   r->element[2]->len == 3 && !memcmp(r->element[2]->str, "b\0a", 3);

        ok(good, "... stored as a b 'b<NUL>a': a proper prefix first");
        freeReplyObject(r);
    }
}

/* ---- BY ---- */

static void test_by(redisContext *c)
{
    tc_section(c, "BY string keys and hash fields");
    is_integer(cmd(c, "RPUSH l a b c d"), 4, "RPUSH l a b c d");
    is_status(cmd(c, "MSET w_a 3 w_b 1 w_c 2 w_d 0.5"), "OK", "MSET the weights w_*");
    is_array_of(cmd(c, "SORT l BY w_*"), "d b c a", "BY w_*: by the weights");
    is_array_of(cmd(c, "SORT l BY w_* DESC"), "a c b d", "BY w_* DESC");
    is_array_of(cmd(c, "SORT_RO l BY w_*"), "d b c a", "SORT_RO BY w_*");
    is_status(cmd(c, "MSET x_a_y 10 x_b_y 40 x_c_y 30 x_d_y 20"), "OK", "MSET x_*_y");
    is_array_of(cmd(c, "SORT l BY x_*_y"), "a d c b", "BY x_*_y: the '*' in the middle of the key");
    is_status(cmd(c, "MSET w_a 1 w_b 1 w_c 1 w_d 1"), "OK", "every weight 1");
    is_array_of(cmd(c, "SORT l BY w_* DESC"), "d c b a",
                "equal weights: by the elements' bytes, DESC too");

    /* missing and unreadable weights */
    is_integer(cmd(c, "DEL w_a w_b w_c w_d"), 4, "DEL the weights");
    is_status(cmd(c, "SET w_b 5"), "OK", "only w_b 5");
    is_status(cmd(c, "SET w_a -1"), "OK", "and w_a -1");
    is_array_of(cmd(c, "SORT l BY w_*"), "a c d b", "a missing weight counts as 0 (ties by bytes)");
    is_integer(cmd(c, "RPUSH w_c 7"), 1, "w_c is a list");
    is_array_of(cmd(c, "SORT l BY w_*"), "a c d b",
                "a weight key of another type counts as missing");
    is_status(cmd(c, "SET w_d x"), "OK", "w_d is not a number");
    is_error(cmd(c, "SORT l BY w_*"), NOTNUM, "a weight that is not a number: error");
    is_array_of(cmd(c, "SORT l BY w_* ALPHA"), "c a b d", "... but ALPHA reads it as bytes");
    is_array_of(cmd(c, "SORT l BY w_* ALPHA DESC"), "d b a c", "ALPHA: missing first, DESC: last");

    /* hash fields */
    is_integer(cmd(c, "HSET h_a f 30 g z"), 2, "HSET h_a f 30");
    is_integer(cmd(c, "HSET h_b f 10 g y"), 2, "HSET h_b f 10");
    is_integer(cmd(c, "HSET h_c f 20 g x"), 2, "HSET h_c f 20");
    is_integer(cmd(c, "HSET h_d g w"), 1, "h_d has no field f");
    is_array_of(cmd(c, "SORT l BY h_*->f"), "d b c a", "BY h_*->f: a missing field counts as 0");
    is_array_of(cmd(c, "SORT l BY h_*->g ALPHA"), "d c b a", "BY h_*->g ALPHA");
    is_array_of(cmd(c, "SORT l BY h_*->f DESC LIMIT 0 2"), "a c", "BY h_*->f DESC LIMIT 0 2");
    is_integer(cmd(c, "HSET h_a %s 1", "f->g"), 1, "HSET h_a 'f->g' 1");
    is_array_of(cmd(c, "SORT l BY h_*->f->g"), "b c d a",
                "the field is all that follows the first '->' after the '*'");
    is_status(cmd(c, "MSET k->a 3 k->b 1 k->c 2 k->d 4"), "OK", "MSET k->a 3 k->b 1 k->c 2 k->d 4");
    is_array_of(cmd(c, "SORT l BY k->*"), "b c a d",
                "BY k->*: a '->' before the '*' is part of the key");
    is_integer(cmd(c, "HSET a x 3"), 1, "HSET a x 3");
    is_integer(cmd(c, "HSET b x 1"), 1, "HSET b x 1");
    is_array_of(cmd(c, "SORT l BY *->x"), "c d b a", "BY *->x: the element is the hash's key");
    is_array_of(cmd(c, "SORT l BY w_*->"), "a b c d",
                "BY w_*->: an empty field names the key 'w_a->'");
    is_array_of(cmd(c, "SORT l BY h_*"), "a b c d", "BY h_*: a hash is no string (all missing)");

    /* BY without '*': nothing is sorted */
    is_integer(cmd(c, "RPUSH n 3 1 2 x"), 4, "RPUSH n 3 1 2 x");
    is_array_of(cmd(c, "SORT n BY nosort"), "3 1 2 x",
                "BY nosort: the list's order, no number read");
    is_array_of(cmd(c, "SORT n BY nosort DESC"), "x 2 1 3", "BY nosort DESC: the list reversed");
    is_array_of(cmd(c, "SORT n BY #"), "3 1 2 x", "BY #: no '*', so no sorting");
    is_array_of(cmd(c, "SORT n BY nosort ALPHA"), "3 1 2 x", "BY nosort ALPHA: no sorting either");
    is_status(cmd(c, "MSET v_3 1 v_1 3 v_2 2 v_x 0"), "OK", "MSET v_*");
    is_array_of(cmd(c, "SORT n BY v_*"), "x 3 2 1", "BY v_*");
    is_array_of(cmd(c, "SORT n BY nosort BY v_*"), "3 1 2 x",
                "BY nosort BY v_*: one BY without '*' and nothing is sorted");
    is_array_of(cmd(c, "SORT n BY v_* BY nosort DESC"), "x 2 1 3", "... whichever comes last");
    is_array_of(cmd(c, "SORT n BY nosort BY v_* GET v_*"), "1 3 2 0", "... GET still maps each");
    is_array_of(cmd(c, "SORT n BY w_* BY v_*"), "x 3 2 1", "two BYs with '*': the last counts");
    is_integer(cmd(c, "ZADD z 5 a 1 b 3 c 2 d 4 e"), 5, "ZADD z");
    is_array_of(cmd(c, "SORT z BY nosort"), "b d c e a",
                "a sorted set by nothing: its score order");
    is_array_of(cmd(c, "SORT z BY nosort DESC"), "a e c d b", "... DESC: highest score first");
    is_integer(cmd(c, "SADD s 3 1 2"), 3, "SADD s 3 1 2");
    is_set_of(cmd(c, "SORT s BY nosort"), "1 2 3", "a set by nothing: every member, in no order");
}

/* ---- GET ---- */

static void test_get(redisContext *c)
{
    tc_section(c, "GET");
    is_integer(cmd(c, "RPUSH l 2 1 3"), 3, "RPUSH l 2 1 3");
    is_status(cmd(c, "MSET o_1 one o_2 two"), "OK", "MSET o_1 one o_2 two");
    is_integer(cmd(c, "HSET h_1 n uno"), 1, "HSET h_1 n uno");
    is_integer(cmd(c, "HSET h_3 n tres"), 1, "HSET h_3 n tres");
    is_array_of(cmd(c, "SORT l GET o_*"), "one two (nil)", "GET o_*: the values, nil for o_3");
    is_array_of(cmd(c, "SORT l GET # GET o_* GET h_*->n"), "1 one uno 2 two (nil) 3 (nil) tres",
                "GET # GET o_* GET h_*->n: one value per pattern per element");
    is_array_of(cmd(c, "SORT l DESC GET #"), "3 2 1", "GET #: the elements");
    is_array_of(cmd(c, "SORT l GET nostar"), "(nil) (nil) (nil)", "GET without '*': nil");
    is_array_of(cmd(c, "SORT l GET h_*"), "(nil) (nil) (nil)", "GET h_*: a hash is no string: nil");
    is_integer(cmd(c, "SADD o_3 x"), 1, "o_3 is a set");
    is_array_of(cmd(c, "SORT l GET o_*"), "one two (nil)", "GET of a key of another type: nil");
    is_array_of(cmd(c, "SORT l GET o_*->n"), "(nil) (nil) (nil)",
                "GET o_*->n: strings are no hashes");
    is_array_of(cmd(c, "SORT l GET h_*->nope"), "(nil) (nil) (nil)", "GET of a missing field: nil");
    is_array_of(cmd(c, "SORT l LIMIT 1 1 GET # GET o_*"), "2 two",
                "LIMIT counts elements, not values");
    is_array_of(cmd(c, "SORT l BY nosort GET o_*"), "two one (nil)",
                "GET with BY nosort: the list order");
    is_status(cmd(c, "MSET w_1 3 w_2 2 w_3 1"), "OK", "MSET w_*");
    is_array_of(cmd(c, "SORT l BY w_* GET o_* GET #"), "(nil) 3 two 2 one 1",
                "BY and GET together");
    is_array_of(cmd(c, "SORT nokey GET o_*"), "", "GET on a missing key: an empty array");
    is_integer(cmd(c, "RPUSH e %s %s", "", ""), 2, "RPUSH e '' ''");
    is_array_of(cmd(c, "SORT e BY nosort LIMIT 0 1 GET # GET o_*"), " (nil)",
                "GET # of an empty element: the empty string, not nil");
    is_array_of(cmd(c, "SORT e GET #"), " ", "... sorted too");
    is_integer(cmd(c, "RPUSH b %b", "1", (size_t)1), 1, "RPUSH b 1");
    is_status(cmd(c, "SET %b v",
                  "k\0"
                  "1",
                  (size_t)3),
              "OK", "SET 'k<NUL>1' v");
    {
        redisReply *r = cmd(c, "SORT b GET %b", "k\0*", (size_t)3);

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
               r->element[0]->type == REDIS_REPLY_NIL,
           "a zero byte ends the search for '*' (GET 'k<NUL>*': no '*', nil)");
        freeReplyObject(r);
    }
}

/* ---- LIMIT ---- */

static void test_limit(redisContext *c)
{
    tc_section(c, "LIMIT");
    is_integer(cmd(c, "RPUSH l 5 4 3 2 1"), 5, "RPUSH l 5 4 3 2 1");
    is_array_of(cmd(c, "SORT l LIMIT 0 2"), "1 2", "LIMIT 0 2");
    is_array_of(cmd(c, "SORT l LIMIT 1 2"), "2 3", "LIMIT 1 2");
    is_array_of(cmd(c, "SORT l LIMIT 3 10"), "4 5", "LIMIT 3 10: to the end");
    is_array_of(cmd(c, "SORT l LIMIT 2 -1"), "3 4 5", "LIMIT 2 -1: to the end");
    is_array_of(cmd(c, "SORT l LIMIT 2 -7"), "3 4 5", "LIMIT 2 -7: any negative count");
    is_array_of(cmd(c, "SORT l LIMIT -3 2"), "1 2", "a negative offset is 0");
    is_array_of(cmd(c, "SORT l LIMIT 5 1"), "", "offset at the end: nothing");
    is_array_of(cmd(c, "SORT l LIMIT 100 -1"), "", "offset past the end: nothing");
    is_array_of(cmd(c, "SORT l LIMIT 1 0"), "", "count 0: nothing");
    is_array_of(cmd(c, "SORT l LIMIT 9223372036854775807 9223372036854775807"), "",
                "the largest offset and count");
    is_array_of(cmd(c, "SORT l LIMIT 1 9223372036854775807"), "2 3 4 5", "the largest count");
    is_array_of(cmd(c, "SORT l LIMIT -9223372036854775808 2"), "1 2", "the smallest offset");
    is_array_of(cmd(c, "SORT l LIMIT 0 1 LIMIT 3 1"), "4", "a later LIMIT wins");
    is_array_of(cmd(c, "SORT l DESC LIMIT 1 2"), "4 3", "DESC LIMIT 1 2: after the order");
    is_array_of(cmd(c, "SORT l BY nosort LIMIT 1 2"), "4 3",
                "BY nosort LIMIT 1 2: list positions 1-2");
    is_array_of(cmd(c, "SORT l BY nosort DESC LIMIT 1 2"), "2 3",
                "BY nosort DESC LIMIT 1 2: from the tail");
    is_array_of(cmd(c, "SORT l BY nosort DESC LIMIT 3 9"), "4 5", "... to the head");
    is_array_of(cmd(c, "SORT l BY nosort DESC LIMIT -2 -2"), "1 2 3 4 5", "... all of it");
    is_array_of(cmd(c, "SORT l BY nosort LIMIT 5 1"), "", "BY nosort, offset at the end: nothing");
    is_array_of(cmd(c, "SORT l BY nosort DESC LIMIT 0 0"), "", "BY nosort, count 0: nothing");
    is_array_of(cmd(c, "SORT l BY nosort DESC LIMIT 9223372036854775807 -1"), "",
                "BY nosort DESC, the largest offset: nothing");
    is_array_of(cmd(c, "SORT l BY nosort LIMIT 4 9223372036854775807"), "1",
                "BY nosort, the largest count");
    is_integer(cmd(c, "ZADD z 5 a 1 b 3 c 2 d 4 e"), 5, "ZADD z");
    is_array_of(cmd(c, "SORT z BY nosort LIMIT 1 3"), "d c e",
                "a sorted set BY nosort LIMIT 1 3: ranks 1-3");
    is_array_of(cmd(c, "SORT z BY nosort DESC LIMIT 1 3"), "e c d",
                "... DESC: ranks from the highest");
    is_array_of(cmd(c, "SORT z BY nosort DESC LIMIT 4 3"), "b", "... DESC to the lowest");
    is_array_of(cmd(c, "SORT z BY nosort LIMIT 9 3"), "", "... offset past the end: nothing");
    is_array_of(cmd(c, "SORT z BY nosort DESC LIMIT -1 -1"), "a e c d b", "... all of it");
    is_integer(cmd(c, "SADD s 1 2 3 4 5"), 5, "SADD s 1..5");
    {
        redisReply *r = cmd(c, "SORT s BY nosort LIMIT 1 3");

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3,
           "a set BY nosort LIMIT 1 3: three of its members");
        freeReplyObject(r);
    }
    is_array_of(cmd(c, "SORT s LIMIT 1 3"), "2 3 4", "a set sorted LIMIT 1 3");
    is_array_of(cmd(c, "SORT nokey LIMIT 0 5"), "", "LIMIT over a missing key");
    is_array_of(cmd(c, "SORT nokey BY nosort DESC LIMIT 0 5"), "", "... BY nosort DESC");
}

/* ---- STORE ---- */

static void test_store(redisContext *c)
{
    tc_section(c, "STORE");
    is_integer(cmd(c, "RPUSH l 3 1 2"), 3, "RPUSH l 3 1 2");
    is_integer(cmd(c, "SORT l STORE d"), 3, "SORT l STORE d: the number stored");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "1 2 3", "d is the sorted list");
    is_status(cmd(c, "TYPE d"), "list", "TYPE d list");
    is_integer(cmd(c, "SORT l DESC STORE d"), 3, "STORE over a list");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "3 2 1", "... replaced, not added to");
    is_status(cmd(c, "SET str x EX 100"), "OK", "a string with an expiry");
    is_integer(cmd(c, "SORT l STORE str"), 3, "STORE over a string");
    is_array_of(cmd(c, "LRANGE str 0 -1"), "1 2 3", "... now a list");
    is_integer(cmd(c, "TTL str"), -1, "... without the expiry");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    is_integer(cmd(c, "SORT l LIMIT 0 1 STORE h"), 1, "STORE over a hash");
    is_array_of(cmd(c, "LRANGE h 0 -1"), "1", "... now a list");
    is_integer(cmd(c, "ZADD zd 1 a"), 1, "a sorted set");
    is_integer(cmd(c, "SORT l STORE zd"), 3, "STORE over a sorted set");
    is_status(cmd(c, "TYPE zd"), "list", "... now a list");
    is_integer(cmd(c, "SORT l STORE x STORE y"), 3, "a later STORE wins");
    is_integer(cmd(c, "EXISTS x"), 0, "... the first destination untouched");
    is_array_of(cmd(c, "LRANGE y 0 -1"), "1 2 3", "... the last one written");

    /* an empty result deletes the destination */
    is_integer(cmd(c, "SORT l LIMIT 0 0 STORE d"), 0, "an empty result: 0");
    is_integer(cmd(c, "EXISTS d"), 0, "... and the destination is deleted");
    is_status(cmd(c, "SET d x"), "OK", "d a string");
    is_integer(cmd(c, "SORT nokey STORE d"), 0, "a missing key sorted into d: 0");
    is_integer(cmd(c, "EXISTS d"), 0, "... deletes d too");
    is_integer(cmd(c, "SORT nokey STORE d"), 0, "... and again, with d missing");
    is_integer(cmd(c, "EXISTS d"), 0, "... still missing");

    /* GET values stored; nil becomes an empty string */
    is_status(cmd(c, "MSET o_1 one o_3 three"), "OK", "MSET o_1 o_3");
    is_integer(cmd(c, "SORT l GET # GET o_* STORE d"), 6, "STORE with two GETs: 6 values");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "1 one 2  3 three", "... nil stored as an empty string");
    is_integer(cmd(c, "SORT l GET nostar STORE d"), 3, "STORE of nils only");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "  ", "... three empty strings");

    /* the source as destination, and what is stored unsorted */
    is_integer(cmd(c, "SORT l STORE l"), 3, "SORT l STORE l");
    is_array_of(cmd(c, "LRANGE l 0 -1"), "1 2 3", "... sorts the list in place");
    is_integer(cmd(c, "RPUSH n c a b"), 3, "RPUSH n c a b");
    is_integer(cmd(c, "SORT n BY nosort DESC STORE d"), 3, "a list BY nosort DESC STORE");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "b a c", "... the list reversed");
    is_integer(cmd(c, "SADD s c 10 a 2 b"), 5, "SADD s c 10 a 2 b");
    is_integer(cmd(c, "SORT s BY nosort STORE d"), 5, "a set BY nosort STORE");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "10 2 a b c", "... is sorted ALPHA, for a stable result");
    is_integer(cmd(c, "SORT s BY nosort DESC LIMIT 1 2 STORE d"), 2, "... DESC LIMIT 1 2");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "b a", "... the same ALPHA order, reversed and cut");
    is_integer(cmd(c, "SORT s BY nosort GET # STORE d"), 5, "... with GET #");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "10 2 a b c", "... sorted ALPHA too");
    is_integer(cmd(c, "ZADD z 3 a 1 b 2 c"), 3, "ZADD z 3 a 1 b 2 c");
    is_integer(cmd(c, "SORT z BY nosort STORE d"), 3, "a sorted set BY nosort STORE");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "b c a", "... in score order");
    is_integer(cmd(c, "SORT z BY nosort DESC LIMIT 0 2 STORE d"), 2, "... DESC LIMIT 0 2");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "a c", "... highest first");

    /* the destination stays when the command fails */
    is_status(cmd(c, "SET str2 v"), "OK", "str2 a string");
    is_error(cmd(c, "SORT str2 STORE d"), WRONGTYPE, "STORE from a string: WRONGTYPE");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "a c", "... the destination untouched");
    is_error(cmd(c, "SORT_RO l STORE d"), SYNTAX, "SORT_RO refuses STORE: syntax error");
    is_array_of(cmd(c, "LRANGE d 0 -1"), "a c", "... the destination untouched");
}

/* ---- errors ---- */

static void test_errors(redisContext *c)
{
    tc_section(c, "errors");
    is_error(cmd(c, "SORT"), "ERR wrong number of arguments for 'sort' command",
             "SORT alone: arity");
    is_error(cmd(c, "SORT_RO"), "ERR wrong number of arguments for 'sort_ro' command",
             "SORT_RO alone: arity");
    is_integer(cmd(c, "RPUSH l 1 2"), 2, "RPUSH l 1 2");
    is_error(cmd(c, "SORT l foo"), SYNTAX, "an unknown option");
    is_error(cmd(c, "SORT l LIMIT 0"), SYNTAX, "LIMIT with one number");
    is_error(cmd(c, "SORT l LIMIT"), SYNTAX, "LIMIT with none");
    is_error(cmd(c, "SORT l BY"), SYNTAX, "BY without a pattern");
    is_error(cmd(c, "SORT l GET"), SYNTAX, "GET without a pattern");
    is_error(cmd(c, "SORT l STORE"), SYNTAX, "STORE without a key");
    is_error(cmd(c, "SORT l LIMIT a 1"), NOTINT, "LIMIT offset not a number");
    is_error(cmd(c, "SORT l LIMIT 0 b"), NOTINT, "LIMIT count not a number");
    is_error(cmd(c, "SORT l LIMIT 1.5 1"), NOTINT, "LIMIT offset not an integer");
    is_error(cmd(c, "SORT l LIMIT 9223372036854775808 1"), NOTINT, "LIMIT offset past 64 bits");
    is_error(cmd(c, "SORT l LIMIT 0 1 foo"), SYNTAX, "a bad option after a good one");
    is_error(cmd(c, "SORT l foo LIMIT a b"), SYNTAX, "the first bad option answers (syntax) ...");
    is_error(cmd(c, "SORT l LIMIT a b foo"), NOTINT, "... (not an integer)");
    is_error(cmd(c, "SORT_RO l STORE"), SYNTAX, "SORT_RO l STORE: syntax error");
    is_status(cmd(c, "SET str x"), "OK", "SET str x");
    is_integer(cmd(c, "HSET h f v"), 1, "HSET h f v");
    is_error(cmd(c, "SORT str"), WRONGTYPE, "SORT of a string: WRONGTYPE");
    is_error(cmd(c, "SORT h ALPHA"), WRONGTYPE, "SORT of a hash: WRONGTYPE");
    is_error(cmd(c, "SORT_RO str"), WRONGTYPE, "SORT_RO of a string: WRONGTYPE");
    is_error(cmd(c, "SORT str BY nosort LIMIT 0 0"), WRONGTYPE, "... whatever the options");
    is_error(cmd(c, "SORT str foo"), SYNTAX, "options are checked before the key");
    is_error(cmd(c, "SORT str LIMIT x 1"), NOTINT, "... LIMIT's numbers too");
    is_array_of(cmd(c, "SORT nokey"), "", "SORT of a missing key: an empty array");
    is_array_of(cmd(c, "SORT_RO nokey BY nosort DESC"), "", "SORT_RO of a missing key");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it does not create");
}

/* ---- keyspace_hits / keyspace_misses ---- */

/* Run 'line' and check that it counted 'hits' keyspace hits and 'misses' misses. */
static void lookups_are(redisContext *c, const char *line, long long hits, long long misses,
                        const char *name)
{
    long long h0 = ts_info_field(c, "stats", "keyspace_hits");
    long long m0 = ts_info_field(c, "stats", "keyspace_misses");
    long long h, m;

    freeReplyObject(cmdline(c, line));
    h = ts_info_field(c, "stats", "keyspace_hits") - h0;
    m = ts_info_field(c, "stats", "keyspace_misses") - m0;
    if (!ok(h == hits && m == misses, "%s", name))
        diag("  %s: %lld hits, %lld misses; wanted %lld, %lld", line, h, m, hits, misses);
}

static void test_stats(redisContext *c)
{
    tc_section(c, "keyspace hits and misses");
    is_integer(cmd(c, "RPUSH l 1 2"), 2, "RPUSH l 1 2");
    is_status(cmd(c, "SET w_1 5"), "OK", "SET w_1 5");
    is_integer(cmd(c, "HSET h_1 f x"), 1, "HSET h_1 f x");
    is_integer(cmd(c, "HSET h_2 g y"), 1, "HSET h_2 g y (no field f)");
    is_status(cmd(c, "SET str x"), "OK", "SET str x");
    lookups_are(c, "SORT l", 1, 0, "SORT l: one hit");
    lookups_are(c, "SORT nokey", 0, 1, "SORT nokey: one miss");
    lookups_are(c, "SORT str", 1, 0, "SORT str (WRONGTYPE): a hit, found before its type");
    lookups_are(c, "SORT l foo", 0, 0, "a syntax error looks nothing up");
    lookups_are(c, "SORT l BY w_* GET # GET h_*->f GET nostar", 4, 1,
                "BY w_* GET # GET h_*->f GET nostar: w_1 and h_* hit (h_2 without the field "
                "too), w_2 misses");
    lookups_are(c, "SORT l BY nosort GET w_* STORE d", 2, 1, "BY nosort GET w_* STORE d");
    lookups_are(c, "SORT_RO l LIMIT 0 1 GET w_*", 2, 0, "SORT_RO LIMIT 0 1 GET w_*: only the kept");
}

/* ---- COMMAND, MULTI, WATCH ---- */

static void test_command(redisContext *c)
{
    tc_section(c, "COMMAND GETKEYS, MULTI and WATCH");
    is_array_of(cmd(c, "COMMAND GETKEYS sort l"), "l", "COMMAND GETKEYS sort l");
    is_array_of(cmd(c, "COMMAND GETKEYS sort l BY w_* GET o_* LIMIT 0 1 STORE d"), "l d",
                "COMMAND GETKEYS sort ... STORE d: the source and the destination");
    is_array_of(cmd(c, "COMMAND GETKEYS sort l STORE a STORE b"), "l b", "... the last STORE");
    is_array_of(cmd(c, "COMMAND GETKEYS sort_ro l LIMIT 0 1"), "l", "COMMAND GETKEYS sort_ro l");

    static const char *const info[][3] = {{"sort", "-2", "write denyoom movablekeys"},
                                          {"sort_ro", "-2", "readonly movablekeys"}};
    for (size_t i = 0; i < OMK_ARRAY_LEN(info); i++) {
        redisReply *r = cmd(c, "COMMAND INFO %s", info[i][0]);
        const redisReply *e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0]
                                                                                    : NULL;
        int good = e && e->type == REDIS_REPLY_ARRAY && e->elements >= 6 &&
                   !strcmp(e->element[0]->str, info[i][0]) &&
                   e->element[1]->integer == atoi(info[i][1]) && e->element[3]->integer == 1 &&
                   e->element[4]->integer == 1 && e->element[5]->integer == 1;
        struct tc_strs got = {0}, want = {0};

        for (size_t f = 0; good && f < e->element[2]->elements; f++) /* status replies */
            tc_add(&got, e->element[2]->element[f]->str, e->element[2]->element[f]->len);
        tc_add_words(&want, info[i][2]);
        tc_sort(&got);
        tc_sort(&want);
        if (!ok(good && tc_same(&got, &want), "COMMAND INFO %s: arity %s, flags %s, keys 1 1 1",
                info[i][0], info[i][1], info[i][2]))
            tc_diag(&got, "flags");
        tc_free(&got);
        tc_free(&want);
        freeReplyObject(r);
    }
    is_array_of(cmd(c, "COMMAND GETKEYS sort_ro l STORE x"), "l",
                "COMMAND GETKEYS sort_ro: no STORE");

    is_integer(cmd(c, "RPUSH l 2 1"), 2, "RPUSH l 2 1");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SORT l STORE d"), "QUEUED", "SORT ... STORE queued");
    is_status(cmd(c, "SORT_RO d DESC"), "QUEUED", "SORT_RO queued");
    {
        redisReply *r = cmd(c, "EXEC");
        int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                   r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 2 &&
                   r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 2 &&
                   !strcmp(r->element[1]->element[0]->str, "2") &&
                   !strcmp(r->element[1]->element[1]->str, "1");

        if (!ok(good, "EXEC: 2, then [2 1] read from the list just stored"))
            ts_diag_reply(r);
        freeReplyObject(r);
    }
    is_status(cmd(c, "WATCH d"), "OK", "WATCH d");
    is_integer(cmd(c, "SORT l DESC STORE d"), 2, "SORT ... STORE d changes it");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "PING queued");
    {
        redisReply *r = cmd(c, "EXEC");

        ok(r && r->type == REDIS_REPLY_NIL, "EXEC fails: the watched destination was written");
        freeReplyObject(r);
    }
}

/* ---- RESP3 ---- */

static void test_resp3(const struct tserver *s, redisContext *c)
{
    struct r3conn rc;

    tc_section(c, "RESP2 and RESP3 replies");
    is_integer(cmd(c, "RPUSH l 2 1"), 2, "RPUSH l 2 1");
    is_status(cmd(c, "SET o_1 one"), "OK", "SET o_1 one");
    if (r3_open(&rc, s) != 0) {
        ok(0, "a RESP3 connection (HELLO 3)");
        return;
    }
    r3_is_bytes(&rc, "SORT l GET o_*", "*2\r\n$3\r\none\r\n_\r\n", "RESP3: nil GET as _");
    r3_is_bytes(&rc, "SORT l", "*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "RESP3: an array of bulks");
    r3_is_bytes(&rc, "SORT nokey", "*0\r\n", "RESP3: an empty array");
    r3_is_bytes(&rc, "SORT l STORE d", ":2\r\n", "RESP3 STORE: an integer");
    r3_is_bytes(&rc, "SORT_RO l LIMIT 0 1 GET nostar", "*1\r\n_\r\n", "RESP3 SORT_RO: nil as _");
    r3_close(&rc);
    {
        char out[256];
        const char req[] = "*4\r\n$4\r\nSORT\r\n$1\r\nl\r\n$3\r\nGET\r\n$3\r\no_*\r\n";
        int closed = 0;
        size_t n = ts_raw_roundtrip(s, req, sizeof(req) - 1, out, sizeof(out), 18, 2000, &closed);

        ok(n == 18 && !memcmp(out, "*2\r\n$3\r\none\r\n$-1\r\n", 18), "RESP2: nil GET as $-1");
    }
}

/* ---- large collections, against a model ---- */

/* The number of element i of the large collections: a permutation of -1000..999 in which
 * every value appears once, some written as decimals. */
static void big_value(int i, char *buf, size_t cap)
{
    int v = (int)(((long)i * 7919) % BIG) - BIG / 2;

    if (i % 7 == 0)
        snprintf(buf, cap, "%d.5", v);
    else
        snprintf(buf, cap, "%d", v);
}

static double big_number(const char *s)
{
    return strtod(s, NULL);
}

static int num_cmp(const void *a, const void *b)
{
    const struct tc_str *x = a, *y = b;
    double dx = big_number(x->p), dy = big_number(y->p);

    return dx < dy ? -1 : dx > dy ? 1 : tc_str_cmp(a, b);
}

/* 'r' is an array equal to elements 'from'..'from + n' of 'want' ('rev': read from its
 * end). */
static void is_slice_of(redisReply *r, const struct tc_strs *want, size_t from, size_t n, int rev,
                        const char *name)
{
    struct tc_strs got = {0}, exp = {0};
    int good = tc_from_reply(&got, r);

    for (size_t i = from; i < from + n && i < want->n; i++) {
        size_t k = rev ? want->n - 1 - i : i;

        tc_add(&exp, want->e[k].p, want->e[k].len);
    }
    if (!ok(good && tc_same(&got, &exp), "%s", name)) {
        tc_diag(&got, "got");
        tc_diag(&exp, "want");
    }
    tc_free(&got);
    tc_free(&exp);
    freeReplyObject(r);
}

static void test_large(redisContext *c)
{
    struct tc_strs num = {0}, alpha = {0}, order = {0};
    char buf[48];
    long long added = 0;

    tc_section(c, "large collections against a model");
    for (int i = 0; i < BIG; i++) {
        const char *argv[4] = {"RPUSH", "bl", buf, NULL};
        redisReply *r;

        big_value(i, buf, sizeof(buf));
        tc_add(&order, buf, strlen(buf));
        r = redisCommandArgv(c, 3, argv, NULL);
        added += r && r->type == REDIS_REPLY_INTEGER;
        freeReplyObject(r);
        r = cmd(c, "SADD bs %s", buf);
        added += r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
        r = cmd(c, "ZADD bz %d %s", i, buf);
        added += r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
    }
    ok(added == 3 * BIG, "a list, a set and a sorted set of %d numbers", BIG);
    for (size_t i = 0; i < order.n; i++) {
        tc_add(&num, order.e[i].p, order.e[i].len);
        tc_add(&alpha, order.e[i].p, order.e[i].len);
    }
    qsort(num.e, num.n, sizeof(*num.e), num_cmp);
    tc_sort(&alpha);

    static const char *const keys[] = {"bl", "bs", "bz"};
    for (size_t k = 0; k < OMK_ARRAY_LEN(keys); k++) {
        char name[96];

        snprintf(name, sizeof(name), "SORT %s: every element in numeric order", keys[k]);
        is_slice_of(cmd(c, "SORT %s", keys[k]), &num, 0, BIG, 0, name);
        snprintf(name, sizeof(name), "SORT %s DESC", keys[k]);
        is_slice_of(cmd(c, "SORT %s DESC", keys[k]), &num, 0, BIG, 1, name);
        snprintf(name, sizeof(name), "SORT %s LIMIT 1234 100", keys[k]);
        is_slice_of(cmd(c, "SORT %s LIMIT 1234 100", keys[k]), &num, 1234, 100, 0, name);
        snprintf(name, sizeof(name), "SORT %s DESC LIMIT 1990 100: the last ten", keys[k]);
        is_slice_of(cmd(c, "SORT %s DESC LIMIT 1990 100", keys[k]), &num, 1990, 100, 1, name);
        snprintf(name, sizeof(name), "SORT %s ALPHA", keys[k]);
        is_slice_of(cmd(c, "SORT %s ALPHA", keys[k]), &alpha, 0, BIG, 0, name);
        snprintf(name, sizeof(name), "SORT %s ALPHA DESC LIMIT 7 13", keys[k]);
        is_slice_of(cmd(c, "SORT %s ALPHA DESC LIMIT 7 13", keys[k]), &alpha, 7, 13, 1, name);
    }
    is_slice_of(cmd(c, "SORT bl BY nosort"), &order, 0, BIG, 0,
                "SORT bl BY nosort: the list as pushed");
    is_slice_of(cmd(c, "SORT bl BY nosort LIMIT 1500 600"), &order, 1500, 600, 0,
                "SORT bl BY nosort LIMIT 1500 600");
    is_slice_of(cmd(c, "SORT bl BY nosort DESC LIMIT 10 25"), &order, 10, 25, 1,
                "SORT bl BY nosort DESC LIMIT 10 25: from the tail");
    is_slice_of(cmd(c, "SORT bz BY nosort"), &order, 0, BIG, 0, "SORT bz BY nosort: by score");
    is_slice_of(cmd(c, "SORT bz BY nosort LIMIT 999 3"), &order, 999, 3, 0,
                "SORT bz BY nosort LIMIT 999 3: ranks 999-1001");
    is_slice_of(cmd(c, "SORT bz BY nosort DESC LIMIT 1000 5"), &order, 1000, 5, 1,
                "SORT bz BY nosort DESC LIMIT 1000 5");
    is_set_of(cmd(c, "SORT bs BY nosort LIMIT 0 3 GET nostar"), "(nil) (nil) (nil)",
              "SORT bs BY nosort LIMIT 0 3: three values");

    /* BY: weights reverse the numeric order; GET maps each element */
    for (size_t i = 0; i < order.n; i += 100) {
        const char *argv[3 * 100 + 1];
        char wk[100][64], wv[100][32];
        int argc = 0;
        redisReply *r;

        argv[argc++] = "MSET";
        for (size_t j = i; j < i + 100 && j < order.n; j++) {
            snprintf(wk[j - i], sizeof(wk[0]), "w_%s", order.e[j].p);
            snprintf(wv[j - i], sizeof(wv[0]), "%g", -big_number(order.e[j].p));
            argv[argc++] = wk[j - i];
            argv[argc++] = wv[j - i];
        }
        r = redisCommandArgv(c, argc, argv, NULL);
        freeReplyObject(r);
    }
    is_slice_of(cmd(c, "SORT bl BY w_*"), &num, 0, BIG, 1,
                "SORT bl BY w_*: the weights reverse it");
    is_slice_of(cmd(c, "SORT bs BY w_* DESC LIMIT 100 50"), &num, 100, 50, 0,
                "SORT bs BY w_* DESC LIMIT 100 50");
    {
        struct tc_strs want = {0};

        for (size_t i = 0; i < 20; i++) {
            char wv[32];

            snprintf(wv, sizeof(wv), "%g", -big_number(num.e[i].p));
            tc_add(&want, num.e[i].p, num.e[i].len);
            tc_add(&want, wv, strlen(wv));
        }
        is_slice_of(cmd(c, "SORT bz LIMIT 0 20 GET # GET w_*"), &want, 0, 40, 0,
                    "SORT bz LIMIT 0 20 GET # GET w_*");
        tc_free(&want);
    }

    /* STORE a large result */
    is_integer(cmd(c, "SORT bs STORE out"), BIG, "SORT bs STORE out");
    is_integer(cmd(c, "LLEN out"), BIG, "... LLEN");
    is_slice_of(cmd(c, "LRANGE out 0 -1"), &num, 0, BIG, 0, "... LRANGE: the sorted list");
    is_str(cmd(c, "OBJECT ENCODING out"), "quicklist", 9, "... OBJECT ENCODING quicklist");
    is_integer(cmd(c, "SORT bl ALPHA DESC STORE out"), BIG, "SORT bl ALPHA DESC STORE out again");
    is_slice_of(cmd(c, "LRANGE out 0 -1"), &alpha, 0, BIG, 1, "... replaced whole");
    is_integer(cmd(c, "SORT bz LIMIT 0 3 STORE out"), 3, "a large list replaced by three");
    is_slice_of(cmd(c, "LRANGE out 0 -1"), &num, 0, 3, 0, "... LRANGE");
    is_integer(cmd(c, "SORT bs BY nosort STORE out"), BIG, "a large set BY nosort STORE");
    is_slice_of(cmd(c, "LRANGE out 0 -1"), &alpha, 0, BIG, 0, "... stored sorted ALPHA");
    is_integer(cmd(c, "SORT bl STORE bl"), BIG, "SORT bl STORE bl: in place");
    is_slice_of(cmd(c, "LRANGE bl 0 -1"), &num, 0, BIG, 0, "... LRANGE");
    is_integer(cmd(c, "SORT bl LIMIT 0 0 STORE bl"), 0, "SORT bl LIMIT 0 0 STORE bl");
    is_integer(cmd(c, "EXISTS bl"), 0, "... deletes the large list");
    tc_free(&num);
    tc_free(&alpha);
    tc_free(&order);
}

/* Every section on the server 'c' is connected to. */
static void run_all(const struct tserver *s, redisContext *c)
{
    test_numeric(c);
    test_alpha(c);
    test_by(c);
    test_get(c);
    test_limit(c);
    test_store(c);
    test_errors(c);
    test_stats(c);
    test_command(c);
    test_resp3(s, c);
    test_large(c);
    if (!s->external)
        is_status(cmd(c, "DEBUG CHECK"), "OK", "DEBUG CHECK: every collection as its records say");
}

int main(void)
{
    static const char *args[] = {"--collection-inline-max-bytes", "64", NULL};
    struct tserver s, split;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    run_all(&s, c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(c);
    if (s.external) {
        skip("collection-inline-max-bytes: omenkv's own option, on a server of our own");
    } else {
        diag("==== again on a server with --collection-inline-max-bytes 64 (omenkv only)");
        c = ts_begin(&split, args, 0);
        run_all(&split, c);
        redisFree(c);
        ts_cleanup(&split);
    }
    ts_cleanup(&s);
    return tap_done();
}
