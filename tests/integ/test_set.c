/* test_set.c - the set commands against a real server: SADD SREM SCARD SISMEMBER SMISMEMBER
 * SMEMBERS SRANDMEMBER SPOP SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
 * SDIFFSTORE SSCAN, with binary, empty and integer-looking members, every argument
 * error Redis 7.0 words (arity, syntax, numkeys, LIMIT, out of range counts), WRONGTYPE
 * on either side of SMOVE and anywhere in a set operation, the *STORE forms replacing
 * a destination of any type (deleting it when the result is empty), random picks judged
 * by their properties (members of the set, distinct or not, how many, spread over a
 * large set), full SSCAN walks returning each member once, and the RESP3 reply types
 * (SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are sets '~', SRANDMEMBER with
 * a count an array). Unordered replies are compared as sets. Every expectation was
 * checked against redis-server 7.0 (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOTINT "ERR value is not an integer or out of range"
#define NOTPOS "ERR value is out of range, must be positive"
#define BIG 1000 /* members of the large set: past set-max-intset-entries (512) */

/* The index N of member "m:NNNN", or -1. */
static int member_index(const char *p, size_t len)
{
    int n = 0;

    if (len != 6 || memcmp(p, "m:", 2))
        return -1;
    for (size_t i = 2; i < 6; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        n = n * 10 + (p[i] - '0');
    }
    return n;
}

/* Run 'line' (SRANDMEMBER or SPOP with a count) and check that it replies an array of
 * 'want' members "m:NNNN" with N in [lo, hi), distinct when 'distinct'. The members go
 * to 'out' (sorted) when it is not NULL. */
static void picks_are(redisContext *c, const char *line, int lo, int hi, size_t want, int distinct,
                      struct tc_strs *out, const char *name)
{
    redisReply *r = cmdline(c, line);
    struct tc_strs got = {0};
    int good = tc_from_reply(&got, r) && got.n == want;

    for (size_t i = 0; good && i < got.n; i++) {
        int n = got.e[i].p ? member_index(got.e[i].p, got.e[i].len) : -1;

        good = n >= lo && n < hi;
    }
    tc_sort(&got);
    if (good && distinct)
        good = tc_dups(&got) == 0;
    if (!ok(good, "%s", name)) {
        diag("  %s:", line);
        ts_diag_reply(r);
        tc_diag(&got, "members");
    }
    if (out)
        *out = got;
    else
        tc_free(&got);
    freeReplyObject(r);
}

/* The members of set 'key' (SMEMBERS), sorted, into 'out'; 0 if the reply was bad. */
static int members_of(redisContext *c, const char *key, struct tc_strs *out)
{
    redisReply *r = cmd(c, "SMEMBERS %s", key);
    int good = tc_from_reply(out, r);

    freeReplyObject(r);
    tc_sort(out);
    return good;
}

/* ---- SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS ---- */

static void test_basics(redisContext *c)
{
    struct tc_strs got = {0};

    tc_section(c, "SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS");
    is_integer(cmd(c, "SADD s a b c"), 3, "SADD creates a set of three");
    is_status(cmd(c, "TYPE s"), "set", "TYPE of the new key is set");
    is_integer(cmd(c, "SADD s a d d"), 1, "SADD counts only new members, a repeated one once");
    is_integer(cmd(c, "SADD s a"), 0, "SADD of a present member -> 0");
    is_integer(cmd(c, "SCARD s"), 4, "SCARD");
    is_integer(cmd(c, "SCARD nokey"), 0, "SCARD of a missing key -> 0");
    is_integer(cmd(c, "SISMEMBER s a"), 1, "SISMEMBER of a member");
    is_integer(cmd(c, "SISMEMBER s A"), 0, "SISMEMBER is case-sensitive");
    is_integer(cmd(c, "SISMEMBER nokey a"), 0, "SISMEMBER on a missing key -> 0");
    is_ints_of(cmd(c, "SMISMEMBER s a zz d a"), "1 0 1 1", "SMISMEMBER answers each in order");
    is_ints_of(cmd(c, "SMISMEMBER nokey a b"), "0 0", "SMISMEMBER on a missing key: all 0");
    is_set_of(cmd(c, "SMEMBERS s"), "a b c d", "SMEMBERS: every member once");
    is_array_of(cmd(c, "SMEMBERS nokey"), "", "SMEMBERS of a missing key: empty");
    is_integer(cmd(c, "SREM s a zz a"), 1, "SREM counts a present member once");
    is_integer(cmd(c, "SISMEMBER s a"), 0, "the removed member is gone");
    is_integer(cmd(c, "SREM nokey a"), 0, "SREM on a missing key -> 0");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");
    is_integer(cmd(c, "SREM s b c d"), 3, "SREM of the last three");
    is_integer(cmd(c, "EXISTS s"), 0, "a set left empty is deleted");
    is_status(cmd(c, "TYPE s"), "none", "... TYPE none");
    is_integer(cmd(c, "SADD s z"), 1, "SADD recreates it");
    is_set_of(cmd(c, "SMEMBERS s"), "z", "... with only the new member");

    /* binary and empty members */
    is_integer(cmd(c, "SADD sb %b %b", "m\0\r\n", (size_t)4, "", (size_t)0), 2,
               "SADD a binary and an empty member");
    is_integer(cmd(c, "SISMEMBER sb %b", "m\0\r\n", (size_t)4), 1, "SISMEMBER of the binary one");
    is_integer(cmd(c, "SISMEMBER sb %b", "m\0\r", (size_t)3), 0, "... not of its prefix");
    is_integer(cmd(c, "SISMEMBER sb %b", "", (size_t)0), 1, "SISMEMBER of the empty member");
    is_integer(cmd(c, "SREM sb %b", "", (size_t)0), 1, "SREM of the empty member");
    is_integer(cmd(c, "SCARD sb"), 1, "SCARD after it");

    /* integers and strings that look like them are different members */
    is_integer(cmd(c, "SADD n 1 01 +1 -0 0 1.0 %s", " 1"), 7, "SADD 1 01 +1 -0 0 1.0 ' 1': 7");
    is_integer(cmd(c, "SADD n 1"), 0, "SADD 1 again -> 0");
    is_integer(cmd(c, "SISMEMBER n 01"), 1, "SISMEMBER 01");
    is_integer(cmd(c, "SISMEMBER n 001"), 0, "SISMEMBER 001 -> 0");
    is_integer(cmd(c, "SREM n 1"), 1, "SREM 1");
    is_integer(cmd(c, "SISMEMBER n 01"), 1, "... leaves 01");
    is_integer(cmd(c, "SADD i 9223372036854775807 -9223372036854775808 9223372036854775808 -1"), 4,
               "SADD LLONG_MAX, LLONG_MIN, 2^63, -1");
    is_set_of(cmd(c, "SMEMBERS i"), "9223372036854775807 -9223372036854775808 9223372036854775808 -1",
              "SMEMBERS returns them as written");
    is_integer(cmd(c, "SISMEMBER i -9223372036854775808"), 1, "SISMEMBER LLONG_MIN");

    /* a large set */
    is_int(tc_fill(c, "SADD", "big", "m:", 4, NULL, 0, BIG), BIG, "SADD %d members", BIG);
    is_int(tc_fill(c, "SADD", "big", "m:", 4, NULL, 0, BIG / 2), 0, "SADD of %d present members adds none", BIG / 2);
    is_integer(cmd(c, "SCARD big"), BIG, "SCARD of the large set");
    ok(members_of(c, "big", &got) && got.n == BIG && tc_dups(&got) == 0 &&
           tc_has(&got, "m:0000", 6) && tc_has(&got, "m:0999", 6),
       "SMEMBERS of %d members: each once", BIG);
    tc_free(&got);
    is_ints_of(cmd(c, "SMISMEMBER big m:0000 m:0500 m:0999 m:1000"), "1 1 1 0",
               "SMISMEMBER on the large set");
}

/* ---- SRANDMEMBER ---- */

static void test_srandmember(redisContext *c)
{
    struct tc_strs seen = {0}, got;
    int bad = 0, lo = BIG, hi = -1;

    tc_section(c, "SRANDMEMBER");
    is_nil(cmd(c, "SRANDMEMBER nokey"), "SRANDMEMBER of a missing key -> nil");
    is_array_of(cmd(c, "SRANDMEMBER nokey 5"), "", "SRANDMEMBER 5 of a missing key: empty");
    is_array_of(cmd(c, "SRANDMEMBER nokey -5"), "", "SRANDMEMBER -5 of a missing key: empty");
    is_int(tc_fill(c, "SADD", "s", "m:", 4, NULL, 0, 3), 3, "a set of three");
    for (int i = 0; i < 100; i++) {
        redisReply *r = cmd(c, "SRANDMEMBER s");
        int n = r && r->type == REDIS_REPLY_STRING ? member_index(r->str, r->len) : -1;

        if (n >= 0 && n < 3) {
            if (!tc_has(&seen, r->str, r->len))
                tc_add(&seen, r->str, r->len);
        } else {
            bad++;
        }
        freeReplyObject(r);
    }
    ok(bad == 0, "SRANDMEMBER without count returns a member (100 calls)");
    ok(seen.n == 3, "... and over 100 calls each of the 3 members (%zu seen)", seen.n);
    tc_free(&seen);
    is_integer(cmd(c, "SCARD s"), 3, "SRANDMEMBER removed nothing");
    picks_are(c, "SRANDMEMBER s 2", 0, 3, 2, 1, NULL, "SRANDMEMBER 2 of 3: two distinct");
    picks_are(c, "SRANDMEMBER s 3", 0, 3, 3, 1, NULL, "SRANDMEMBER 3 of 3: each once");
    picks_are(c, "SRANDMEMBER s 10", 0, 3, 3, 1, NULL, "SRANDMEMBER 10 of 3: each once, no more");
    picks_are(c, "SRANDMEMBER s 1", 0, 3, 1, 1, NULL, "SRANDMEMBER 1: an array of one");
    picks_are(c, "SRANDMEMBER s -5", 0, 3, 5, 0, NULL, "SRANDMEMBER -5 of 3: five picks");
    picks_are(c, "SRANDMEMBER s -100", 0, 3, 100, 0, &got, "SRANDMEMBER -100 of 3: 100 picks");
    ok(got.n == 100 && tc_dups(&got) == 97, "... that repeat, covering all 3");
    tc_free(&got);
    is_array_of(cmd(c, "SRANDMEMBER s 0"), "", "SRANDMEMBER 0: empty array");
    is_integer(cmd(c, "SADD ints 1 2 3"), 3, "a set of integers");
    {
        redisReply *r = cmd(c, "SRANDMEMBER ints -50");
        int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == 50;

        for (size_t i = 0; good && i < r->elements; i++)
            good = r->element[i]->type == REDIS_REPLY_STRING && r->element[i]->len == 1 &&
                   r->element[i]->str[0] >= '1' && r->element[i]->str[0] <= '3';
        if (!ok(good, "SRANDMEMBER -50 of integers: 50 picks, as text"))
            ts_diag_reply(r);
        freeReplyObject(r);
    }

    is_int(tc_fill(c, "SADD", "big", "m:", 4, NULL, 0, BIG), BIG, "a set of %d", BIG);
    bad = 0;
    for (int i = 0; i < 300; i++) {
        redisReply *r = cmd(c, "SRANDMEMBER big");
        int n = r && r->type == REDIS_REPLY_STRING ? member_index(r->str, r->len) : -1;

        if (n >= 0 && n < BIG) {
            if (!tc_has(&seen, r->str, r->len))
                tc_add(&seen, r->str, r->len);
            lo = n < lo ? n : lo;
            hi = n > hi ? n : hi;
        } else {
            bad++;
        }
        freeReplyObject(r);
    }
    ok(bad == 0, "SRANDMEMBER of %d returns members (300 calls)", BIG);
    ok(seen.n >= 200 && lo < BIG / 10 && hi >= BIG - BIG / 10,
       "... spread over the whole set: %zu distinct, lowest %d, highest %d", seen.n, lo, hi);
    tc_free(&seen);
    picks_are(c, "SRANDMEMBER big 10", 0, BIG, 10, 1, NULL, "SRANDMEMBER 10 of 1000: distinct");
    picks_are(c, "SRANDMEMBER big 900", 0, BIG, 900, 1, NULL, "SRANDMEMBER 900 of 1000: distinct");
    picks_are(c, "SRANDMEMBER big 5000", 0, BIG, BIG, 1, NULL, "SRANDMEMBER 5000 of 1000: all once");
    picks_are(c, "SRANDMEMBER big -2000", 0, BIG, 2000, 0, &got,
              "SRANDMEMBER -2000 of 1000: 2000 picks");
    ok(got.n - tc_dups(&got) >= 700, "... over most of the set (%zu distinct)",
       got.n - tc_dups(&got));
    tc_free(&got);
    picks_are(c, "SRANDMEMBER big 50", 0, BIG, 50, 1, &got, "SRANDMEMBER 50 of 1000");
    ok(got.n == 50 && member_index(got.e[49].p, 6) - member_index(got.e[0].p, 6) >= BIG / 2,
       "... picked across the set");
    tc_free(&got);
    is_integer(cmd(c, "SCARD big"), BIG, "SRANDMEMBER removed nothing from the large set");

    is_error(cmd(c, "SRANDMEMBER s abc"), NOTINT, "SRANDMEMBER abc -> not an integer");
    is_error(cmd(c, "SRANDMEMBER s 1.5"), NOTINT, "SRANDMEMBER 1.5 -> not an integer");
    is_error(cmd(c, "SRANDMEMBER nokey abc"), NOTINT, "SRANDMEMBER abc on a missing key");
    is_error(cmd(c, "SRANDMEMBER s -9223372036854775808"),
             "ERR value is out of range, value must between -9223372036854775807 and "
             "9223372036854775807",
             "SRANDMEMBER LLONG_MIN -> out of range");
    picks_are(c, "SRANDMEMBER s 9223372036854775807", 0, 3, 3, 1, NULL,
              "SRANDMEMBER LLONG_MAX: each member once");
    is_error(cmd(c, "SRANDMEMBER s 1 2"), "ERR syntax error", "SRANDMEMBER s 1 2 -> syntax error");
}

/* ---- SPOP ---- */

static void test_spop(redisContext *c)
{
    struct tc_strs popped = {0}, left = {0}, all = {0};
    redisReply *r;
    int good;

    tc_section(c, "SPOP");
    is_nil(cmd(c, "SPOP nokey"), "SPOP of a missing key -> nil");
    is_array_of(cmd(c, "SPOP nokey 3"), "", "SPOP 3 of a missing key: empty");
    is_array_of(cmd(c, "SPOP nokey 0"), "", "SPOP 0 of a missing key: empty");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");
    is_int(tc_fill(c, "SADD", "s", "m:", 4, NULL, 0, 5), 5, "a set of five");
    r = cmd(c, "SPOP s");
    good = r && r->type == REDIS_REPLY_STRING && member_index(r->str, r->len) >= 0 &&
           member_index(r->str, r->len) < 5;
    ok(good, "SPOP returns a member");
    if (good) {
        is_integer(cmd(c, "SISMEMBER s %b", r->str, r->len), 0, "... that is no longer there");
        tc_add(&popped, r->str, r->len);
    }
    freeReplyObject(r);
    is_integer(cmd(c, "SCARD s"), 4, "SCARD after SPOP");
    is_array_of(cmd(c, "SPOP s 0"), "", "SPOP 0: empty array");
    is_integer(cmd(c, "SCARD s"), 4, "... removed nothing");
    picks_are(c, "SPOP s 1", 0, 5, 1, 1, &all, "SPOP 1: an array of one member");
    for (size_t i = 0; i < all.n; i++)
        tc_add(&popped, all.e[i].p, all.e[i].len);
    tc_free(&all);
    picks_are(c, "SPOP s 2", 0, 5, 2, 1, &all, "SPOP 2: two distinct members");
    for (size_t i = 0; i < all.n; i++)
        tc_add(&popped, all.e[i].p, all.e[i].len);
    tc_free(&all);
    ok(members_of(c, "s", &left) && left.n == 1, "one member left");
    for (size_t i = 0; i < left.n; i++)
        tc_add(&popped, left.e[i].p, left.e[i].len);
    tc_sort(&popped);
    tc_add_words(&all, "m:0000 m:0001 m:0002 m:0003 m:0004");
    ok(tc_same(&popped, &all), "popped and left: each of the five exactly once");
    tc_free(&popped);
    tc_free(&all);
    picks_are(c, "SPOP s 10", 0, 5, 1, 1, &popped, "SPOP 10 of one left: returns that one");
    ok(popped.n == 1 && left.n == 1 && !tc_str_cmp(&popped.e[0], &left.e[0]),
       "... the member that was left");
    tc_free(&popped);
    tc_free(&left);
    is_integer(cmd(c, "EXISTS s"), 0, "a set emptied by SPOP with a count is deleted");
    is_integer(cmd(c, "SADD s last"), 1, "a set of one");
    is_str(cmd(c, "SPOP s"), "last", 4, "SPOP without count of the last member");
    is_integer(cmd(c, "EXISTS s"), 0, "a set emptied by SPOP is deleted");
    is_integer(cmd(c, "SADD s a b c"), 3, "a set of three");
    is_set_of(cmd(c, "SPOP s 3"), "a b c", "SPOP 3 of 3: every member");
    is_integer(cmd(c, "EXISTS s"), 0, "... and the key is gone");

    /* a large set: small counts pop one by one, big ones rebuild what is left (7.0's
     * two strategies); both must pop distinct members and leave the rest */
    is_int(tc_fill(c, "SADD", "big", "m:", 4, NULL, 0, BIG), BIG, "a set of %d", BIG);
    picks_are(c, "SPOP big 10", 0, BIG, 10, 1, &popped, "SPOP 10 of 1000: distinct members");
    picks_are(c, "SPOP big 600", 0, BIG, 600, 1, &all, "SPOP 600 of 990: distinct members");
    for (size_t i = 0; i < all.n; i++)
        tc_add(&popped, all.e[i].p, all.e[i].len);
    tc_free(&all);
    is_integer(cmd(c, "SCARD big"), BIG - 610, "SCARD after popping 610");
    ok(members_of(c, "big", &left) && left.n == BIG - 610, "SMEMBERS of the rest");
    for (size_t i = 0; i < left.n; i++)
        tc_add(&popped, left.e[i].p, left.e[i].len);
    tc_sort(&popped);
    ok(popped.n == BIG && tc_dups(&popped) == 0,
       "popped and left: each of the %d exactly once", BIG);
    tc_free(&popped);
    tc_free(&left);
    {
        int lo = BIG, hi = -1, bad = 0;

        for (int i = 0; i < 100; i++) {
            r = cmd(c, "SPOP big");
            int n = r && r->type == REDIS_REPLY_STRING ? member_index(r->str, r->len) : -1;

            if (n < 0)
                bad++;
            lo = n >= 0 && n < lo ? n : lo;
            hi = n > hi ? n : hi;
            freeReplyObject(r);
        }
        ok(bad == 0 && hi - lo >= BIG / 2, "100 SPOPs take members across the set (%d to %d)",
           lo, hi);
    }
    is_integer(cmd(c, "SCARD big"), BIG - 710, "SCARD after 100 more");

    is_error(cmd(c, "SPOP s -1"), NOTPOS, "SPOP -1 -> out of range, must be positive");
    is_error(cmd(c, "SPOP s abc"), NOTPOS, "SPOP abc -> out of range, must be positive");
    is_error(cmd(c, "SPOP nokey -1"), NOTPOS, "SPOP -1 on a missing key -> the same");
    is_error(cmd(c, "SPOP s 1 2"), "ERR syntax error", "SPOP s 1 2 -> syntax error");
}

/* ---- SMOVE ---- */

static void test_smove(redisContext *c)
{
    tc_section(c, "SMOVE");
    is_integer(cmd(c, "SADD src a b c"), 3, "src {a b c}");
    is_integer(cmd(c, "SADD dst c x"), 2, "dst {c x}");
    is_integer(cmd(c, "SMOVE src dst a"), 1, "SMOVE a member");
    is_set_of(cmd(c, "SMEMBERS src"), "b c", "... gone from src");
    is_set_of(cmd(c, "SMEMBERS dst"), "a c x", "... added to dst");
    is_integer(cmd(c, "SMOVE src dst zz"), 0, "SMOVE of a missing member -> 0");
    is_integer(cmd(c, "SMOVE nokey dst a"), 0, "SMOVE from a missing key -> 0");
    is_integer(cmd(c, "SMOVE src dst c"), 1, "SMOVE of a member dst already holds -> 1");
    is_set_of(cmd(c, "SMEMBERS src"), "b", "... removed from src");
    is_integer(cmd(c, "SCARD dst"), 3, "... dst unchanged");
    is_integer(cmd(c, "SMOVE src newdst b"), 1, "SMOVE the last member to a new key");
    is_integer(cmd(c, "EXISTS src"), 0, "... src is deleted");
    is_status(cmd(c, "TYPE newdst"), "set", "... newdst is a set");
    is_set_of(cmd(c, "SMEMBERS newdst"), "b", "... holding the member");
    is_integer(cmd(c, "SMOVE dst dst c"), 1, "SMOVE onto itself of a member -> 1");
    is_integer(cmd(c, "SMOVE dst dst zz"), 0, "SMOVE onto itself of a non-member -> 0");
    is_set_of(cmd(c, "SMEMBERS dst"), "a c x", "... dst unchanged");

    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_integer(cmd(c, "HSET hash f v"), 1, "a hash");
    is_error(cmd(c, "SMOVE str dst a"), WRONGTYPE, "SMOVE from a string -> WRONGTYPE");
    is_error(cmd(c, "SMOVE dst str a"), WRONGTYPE, "SMOVE to a string -> WRONGTYPE");
    is_set_of(cmd(c, "SMEMBERS dst"), "a c x", "... the source kept its member");
    is_error(cmd(c, "SMOVE dst str zz"), WRONGTYPE,
             "SMOVE of a non-member to a string -> WRONGTYPE");
    is_error(cmd(c, "SMOVE dst hash a"), WRONGTYPE, "SMOVE to a hash -> WRONGTYPE");
    is_error(cmd(c, "SMOVE hash dst f"), WRONGTYPE, "SMOVE from a hash -> WRONGTYPE");
    is_error(cmd(c, "SMOVE str str v"), WRONGTYPE, "SMOVE from a string onto itself -> WRONGTYPE");
    is_integer(cmd(c, "SMOVE nokey str a"), 0,
               "SMOVE from a missing key to a string -> 0 (the source is checked first)");
    is_str(cmd(c, "GET str"), "v", 1, "the string is unchanged");
    is_integer(cmd(c, "HLEN hash"), 1, "the hash is unchanged");
    is_error(cmd(c, "SMOVE a b"), "ERR wrong number of arguments for 'smove' command",
             "SMOVE arity");
}

/* ---- SINTER SUNION SDIFF SINTERCARD ---- */

static void test_algebra(redisContext *c)
{
    struct tc_strs got = {0};

    tc_section(c, "SINTER SUNION SDIFF SINTERCARD");
    is_integer(cmd(c, "SADD s1 a b c d"), 4, "s1 {a b c d}");
    is_integer(cmd(c, "SADD s2 c d e"), 3, "s2 {c d e}");
    is_integer(cmd(c, "SADD s3 a c e f"), 4, "s3 {a c e f}");
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_integer(cmd(c, "HSET hash f v"), 1, "a hash");

    is_set_of(cmd(c, "SINTER s1 s2"), "c d", "SINTER s1 s2");
    is_set_of(cmd(c, "SINTER s1 s2 s3"), "c", "SINTER s1 s2 s3");
    is_set_of(cmd(c, "SINTER s1"), "a b c d", "SINTER of one set is the set");
    is_set_of(cmd(c, "SINTER s1 s1"), "a b c d", "SINTER of a set with itself");
    is_set_of(cmd(c, "SINTER s1 nokey"), "", "SINTER with a missing key: empty");
    is_set_of(cmd(c, "SINTER nokey"), "", "SINTER of a missing key: empty");
    is_set_of(cmd(c, "SUNION s1 s2"), "a b c d e", "SUNION s1 s2");
    is_set_of(cmd(c, "SUNION s1 s2 s3"), "a b c d e f", "SUNION s1 s2 s3");
    is_set_of(cmd(c, "SUNION s1 nokey"), "a b c d", "SUNION with a missing key");
    is_set_of(cmd(c, "SUNION nokey"), "", "SUNION of a missing key: empty");
    is_set_of(cmd(c, "SDIFF s1 s2"), "a b", "SDIFF s1 s2");
    is_set_of(cmd(c, "SDIFF s1 s2 s3"), "b", "SDIFF s1 s2 s3");
    is_set_of(cmd(c, "SDIFF s3 s1"), "e f", "SDIFF s3 s1");
    is_set_of(cmd(c, "SDIFF s1 nokey"), "a b c d", "SDIFF minus a missing key");
    is_set_of(cmd(c, "SDIFF nokey s1"), "", "SDIFF of a missing key: empty");
    is_set_of(cmd(c, "SDIFF s1 s1"), "", "SDIFF of a set minus itself: empty");
    is_set_of(cmd(c, "SDIFF s1"), "a b c d", "SDIFF of one set is the set");

    is_error(cmd(c, "SINTER s1 str"), WRONGTYPE, "SINTER with a string -> WRONGTYPE");
    is_error(cmd(c, "SINTER str s1"), WRONGTYPE, "SINTER of a string first -> WRONGTYPE");
    is_error(cmd(c, "SINTER nokey str"), WRONGTYPE,
             "SINTER of a missing key then a string -> WRONGTYPE (7.0 checks every key)");
    is_error(cmd(c, "SINTER s1 hash"), WRONGTYPE, "SINTER with a hash -> WRONGTYPE");
    is_error(cmd(c, "SUNION s1 str"), WRONGTYPE, "SUNION with a string -> WRONGTYPE");
    is_error(cmd(c, "SUNION nokey hash"), WRONGTYPE, "SUNION of a missing key and a hash");
    is_error(cmd(c, "SDIFF s1 str"), WRONGTYPE, "SDIFF minus a string -> WRONGTYPE");
    is_error(cmd(c, "SDIFF nokey str"), WRONGTYPE, "SDIFF of a missing key minus a string");
    is_error(cmd(c, "SDIFF str s1"), WRONGTYPE, "SDIFF of a string -> WRONGTYPE");

    is_integer(cmd(c, "SINTERCARD 2 s1 s2"), 2, "SINTERCARD 2 s1 s2");
    is_integer(cmd(c, "SINTERCARD 3 s1 s2 s3"), 1, "SINTERCARD 3 s1 s2 s3");
    is_integer(cmd(c, "SINTERCARD 1 s1"), 4, "SINTERCARD of one set: its card");
    is_integer(cmd(c, "SINTERCARD 2 s1 s1"), 4, "SINTERCARD of a set with itself");
    is_integer(cmd(c, "SINTERCARD 2 s1 nokey"), 0, "SINTERCARD with a missing key: 0");
    is_integer(cmd(c, "SINTERCARD 2 s1 s2 LIMIT 1"), 1, "SINTERCARD LIMIT 1 stops at 1");
    is_integer(cmd(c, "SINTERCARD 2 s1 s2 LIMIT 2"), 2, "SINTERCARD LIMIT 2 (= card)");
    is_integer(cmd(c, "SINTERCARD 2 s1 s2 LIMIT 100"), 2, "SINTERCARD LIMIT above the card");
    is_integer(cmd(c, "SINTERCARD 2 s1 s2 LIMIT 0"), 2, "SINTERCARD LIMIT 0: no limit");
    is_integer(cmd(c, "SINTERCARD 1 s1 limit 3"), 3, "sintercard ... limit 3 (lower case)");
    is_integer(cmd(c, "SINTERCARD 1 s1 LIMIT 1 LIMIT 3"), 3, "the last LIMIT wins");
    is_error(cmd(c, "SINTERCARD 0 s1"), "ERR numkeys should be greater than 0",
             "SINTERCARD 0 -> numkeys error");
    is_error(cmd(c, "SINTERCARD -1 s1"), "ERR numkeys should be greater than 0",
             "SINTERCARD -1 -> numkeys error");
    is_error(cmd(c, "SINTERCARD abc s1"), "ERR numkeys should be greater than 0",
             "SINTERCARD abc -> numkeys error");
    is_error(cmd(c, "SINTERCARD 9223372036854775808 s1"), "ERR numkeys should be greater than 0",
             "SINTERCARD 2^63 -> numkeys error");
    is_error(cmd(c, "SINTERCARD 3 s1 s2"),
             "ERR Number of keys can't be greater than number of args",
             "SINTERCARD with fewer keys than numkeys");
    is_error(cmd(c, "SINTERCARD 2 s1"), "ERR Number of keys can't be greater than number of args",
             "SINTERCARD 2 with one key");
    is_error(cmd(c, "SINTERCARD 1 s1 LIMIT -1"), "ERR LIMIT can't be negative",
             "SINTERCARD LIMIT -1");
    is_error(cmd(c, "SINTERCARD 1 s1 LIMIT abc"), "ERR LIMIT can't be negative",
             "SINTERCARD LIMIT abc");
    is_error(cmd(c, "SINTERCARD 1 s1 LIMIT"), "ERR syntax error", "SINTERCARD LIMIT without value");
    is_error(cmd(c, "SINTERCARD 1 s1 FOO 1"), "ERR syntax error", "SINTERCARD unknown option");
    is_error(cmd(c, "SINTERCARD 1 s1 s2"), "ERR syntax error",
             "SINTERCARD 1 with a second key -> syntax error");
    is_error(cmd(c, "SINTERCARD 2 s1 str"), WRONGTYPE, "SINTERCARD with a string -> WRONGTYPE");
    is_error(cmd(c, "SINTERCARD 2 nokey str"), WRONGTYPE,
             "SINTERCARD of a missing key and a string -> WRONGTYPE");
    is_error(cmd(c, "SINTERCARD 1"), "ERR wrong number of arguments for 'sintercard' command",
             "SINTERCARD arity");

    /* large sets */
    is_int(tc_fill(c, "SADD", "b1", "m:", 4, NULL, 0, BIG), BIG, "b1: %d members", BIG);
    is_int(tc_fill(c, "SADD", "b2", "m:", 4, NULL, BIG / 2, BIG + BIG / 2), BIG, "b2: %d members, half shared", BIG);
    {
        redisReply *r = cmd(c, "SINTER b1 b2");
        int good = tc_from_reply(&got, r) && got.n == BIG / 2;

        for (size_t i = 0; good && i < got.n; i++) {
            int n = member_index(got.e[i].p, got.e[i].len);

            good = n >= BIG / 2 && n < BIG;
        }
        tc_sort(&got);
        ok(good && tc_dups(&got) == 0, "SINTER of two large sets: the %d shared, once each",
           BIG / 2);
        freeReplyObject(r);
        tc_free(&got);
    }
    is_integer(cmd(c, "SINTERCARD 2 b1 b2"), BIG / 2, "SINTERCARD of the large sets");
    is_integer(cmd(c, "SINTERCARD 2 b1 b2 LIMIT 10"), 10, "... LIMIT 10");
    {
        redisReply *r = cmd(c, "SUNION b1 b2");

        ok(tc_from_reply(&got, r) && got.n == BIG + BIG / 2, "SUNION of the large sets: %d",
           BIG + BIG / 2);
        tc_sort(&got);
        ok(tc_dups(&got) == 0, "... once each");
        freeReplyObject(r);
        tc_free(&got);
        r = cmd(c, "SDIFF b2 b1 s1");
        ok(tc_from_reply(&got, r) && got.n == BIG / 2, "SDIFF b2 b1 s1: %d", BIG / 2);
        ok(!tc_has(&got, "m:0999", 6) && tc_has(&got, "m:1000", 6) && tc_has(&got, "m:1499", 6),
           "... the members only b2 has");
        freeReplyObject(r);
        tc_free(&got);
    }
}

/* ---- SINTERSTORE SUNIONSTORE SDIFFSTORE ---- */

static void test_store(redisContext *c)
{
    tc_section(c, "SINTERSTORE SUNIONSTORE SDIFFSTORE");
    is_integer(cmd(c, "SADD s1 a b c d"), 4, "s1 {a b c d}");
    is_integer(cmd(c, "SADD s2 c d e"), 3, "s2 {c d e}");
    is_integer(cmd(c, "SINTERSTORE d s1 s2"), 2, "SINTERSTORE returns the result's card");
    is_set_of(cmd(c, "SMEMBERS d"), "c d", "... and stores it");
    is_status(cmd(c, "TYPE d"), "set", "... as a set");
    is_integer(cmd(c, "SUNIONSTORE d s1 s2"), 5, "SUNIONSTORE over an existing set");
    is_set_of(cmd(c, "SMEMBERS d"), "a b c d e", "... replaced it whole");
    is_integer(cmd(c, "SDIFFSTORE d s1 s2"), 2, "SDIFFSTORE over an existing set");
    is_set_of(cmd(c, "SMEMBERS d"), "a b", "... replaced it whole");

    is_status(cmd(c, "SET dstr text EX 100"), "OK", "a string with a TTL");
    is_integer(cmd(c, "SUNIONSTORE dstr s1 s2"), 5, "SUNIONSTORE over a string");
    is_status(cmd(c, "TYPE dstr"), "set", "... it is a set now");
    is_integer(cmd(c, "TTL dstr"), -1, "... without the string's TTL");
    is_integer(cmd(c, "HSET dh f v"), 1, "a hash");
    is_integer(cmd(c, "SINTERSTORE dh s1 s2"), 2, "SINTERSTORE over a hash");
    is_set_of(cmd(c, "SMEMBERS dh"), "c d", "... it is a set of the result");
    is_integer(cmd(c, "SADD dt x"), 1, "a set with a TTL:");
    is_integer(cmd(c, "EXPIRE dt 100"), 1, "... EXPIRE");
    is_integer(cmd(c, "SDIFFSTORE dt s2 s1"), 1, "SDIFFSTORE over a set with a TTL");
    is_integer(cmd(c, "TTL dt"), -1, "... the new set has no TTL");

    is_status(cmd(c, "SET de text"), "OK", "a string");
    is_integer(cmd(c, "SINTERSTORE de s1 nokey"), 0, "SINTERSTORE of an empty result -> 0");
    is_integer(cmd(c, "EXISTS de"), 0, "... deleted the destination (a string)");
    is_integer(cmd(c, "SADD de x"), 1, "a set");
    is_integer(cmd(c, "SDIFFSTORE de s1 s1"), 0, "SDIFFSTORE of an empty result -> 0");
    is_integer(cmd(c, "EXISTS de"), 0, "... deleted the destination (a set)");
    is_integer(cmd(c, "SUNIONSTORE de nokey nokey2"), 0, "SUNIONSTORE of missing keys -> 0");
    is_integer(cmd(c, "EXISTS de"), 0, "... created nothing");
    is_integer(cmd(c, "SINTERSTORE s3 s1"), 4, "SINTERSTORE of one set copies it");
    is_integer(cmd(c, "SADD s3 z"), 1, "SADD to the copy");
    is_integer(cmd(c, "SISMEMBER s1 z"), 0, "... does not touch the source");

    /* the destination among the sources */
    is_integer(cmd(c, "SUNIONSTORE s2 s2 s1"), 5, "SUNIONSTORE s2 s2 s1");
    is_set_of(cmd(c, "SMEMBERS s2"), "a b c d e", "... s2 is the union");
    is_integer(cmd(c, "SINTERSTORE s2 s1 s2"), 4, "SINTERSTORE s2 s1 s2");
    is_set_of(cmd(c, "SMEMBERS s2"), "a b c d", "... s2 is the intersection");
    is_integer(cmd(c, "SDIFFSTORE s2 s2 s3"), 0, "SDIFFSTORE s2 s2 s3: empty");
    is_integer(cmd(c, "EXISTS s2"), 0, "... s2 is deleted");

    /* a bad source changes nothing */
    is_status(cmd(c, "SET str v"), "OK", "a string");
    is_error(cmd(c, "SINTERSTORE d s1 str"), WRONGTYPE, "SINTERSTORE with a string source");
    is_error(cmd(c, "SUNIONSTORE d str"), WRONGTYPE, "SUNIONSTORE of a string");
    is_error(cmd(c, "SDIFFSTORE d nokey str"), WRONGTYPE, "SDIFFSTORE with a string source");
    is_error(cmd(c, "SINTERSTORE d nokey str"), WRONGTYPE,
             "SINTERSTORE of a missing key and a string -> WRONGTYPE (not an empty result)");
    is_error(cmd(c, "SUNIONSTORE d nokey str"), WRONGTYPE,
             "SUNIONSTORE of a missing key and a string -> WRONGTYPE");
    is_error(cmd(c, "SINTERSTORE str nokey str"), WRONGTYPE,
             "SINTERSTORE onto a string from it -> WRONGTYPE");
    is_set_of(cmd(c, "SMEMBERS d"), "a b", "... the destination is untouched");
    is_str(cmd(c, "GET str"), "v", 1, "... the string too");

    /* large */
    is_int(tc_fill(c, "SADD", "b1", "m:", 4, NULL, 0, BIG), BIG, "b1: %d members", BIG);
    is_int(tc_fill(c, "SADD", "b2", "m:", 4, NULL, BIG / 2, BIG + BIG / 2), BIG, "b2: %d members, half shared", BIG);
    is_integer(cmd(c, "SUNIONSTORE bu b1 b2"), BIG + BIG / 2, "SUNIONSTORE of the large sets");
    is_integer(cmd(c, "SCARD bu"), BIG + BIG / 2, "... SCARD of the result");
    is_integer(cmd(c, "SINTERSTORE bu b1 b2"), BIG / 2, "SINTERSTORE over it");
    is_integer(cmd(c, "SCARD bu"), BIG / 2, "... SCARD of the new result");
    is_ints_of(cmd(c, "SMISMEMBER bu m:0000 m:0500 m:0999 m:1000"), "0 1 1 0",
               "... which holds exactly the shared members");
    is_integer(cmd(c, "SDIFFSTORE bu b1 b2"), BIG / 2, "SDIFFSTORE over it");
    is_ints_of(cmd(c, "SMISMEMBER bu m:0000 m:0499 m:0500 m:1499"), "1 1 0 0",
               "... which holds the members only b1 has");

    is_error(cmd(c, "SINTERSTORE d"), "ERR wrong number of arguments for 'sinterstore' command",
             "SINTERSTORE arity");
    is_error(cmd(c, "SUNIONSTORE d"), "ERR wrong number of arguments for 'sunionstore' command",
             "SUNIONSTORE arity");
    is_error(cmd(c, "SDIFFSTORE d"), "ERR wrong number of arguments for 'sdiffstore' command",
             "SDIFFSTORE arity");
}

/* ---- SSCAN ---- */

static void test_sscan(redisContext *c)
{
    struct tc_strs got = {0}, want = {0};
    size_t first_n = 0;
    int first_cursor = 0;
    long calls;

    tc_section(c, "SSCAN");
    is_scan_empty(cmd(c, "SSCAN nokey 0"), "SSCAN of a missing key -> [0, []]");
    is_integer(cmd(c, "SADD small a1 a2 b1 b2 c"), 5, "a small set");
    calls = tc_scan_all(c, "SSCAN", "small", "", 0, &got, &first_n, &first_cursor);
    tc_add_words(&want, "a1 a2 b1 b2 c");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls == 1 && !first_cursor && tc_same(&got, &want),
       "SSCAN of a small set: every member at once, cursor 0");
    tc_free(&got);
    tc_free(&want);
    calls = tc_scan_all(c, "SSCAN", "small", "MATCH a* COUNT 1", 0, &got, NULL, NULL);
    tc_add_words(&want, "a1 a2");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls >= 1 && tc_same(&got, &want), "SSCAN MATCH a*: the matching members");
    tc_free(&got);
    tc_free(&want);
    is_integer(cmd(c, "SADD ints 1 2 3 -7"), 4, "a set of integers");
    calls = tc_scan_all(c, "SSCAN", "ints", "", 0, &got, NULL, NULL);
    tc_add_words(&want, "1 2 3 -7");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls >= 1 && tc_same(&got, &want), "SSCAN of integers returns them as text");
    tc_free(&got);
    tc_free(&want);
    calls = tc_scan_all(c, "SSCAN", "ints", "MATCH -*", 0, &got, NULL, NULL);
    ok(calls >= 1 && got.n == 1 && tc_has(&got, "-7", 2), "SSCAN MATCH -* of integers");
    tc_free(&got);

    is_int(tc_fill(c, "SADD", "big", "m:", 4, NULL, 0, BIG), BIG, "a set of %d", BIG);
    {
        static const char *const opts[] = {"", "COUNT 10", "COUNT 1", "COUNT 2000"};

        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
            calls = tc_scan_all(c, "SSCAN", "big", opts[k], 0, &got, &first_n, &first_cursor);
            tc_sort(&got);
            if (!ok(calls > 0 && got.n == BIG && tc_dups(&got) == 0 && tc_has(&got, "m:0000", 6) &&
                        tc_has(&got, "m:0999", 6),
                    "SSCAN %s of %d members: each exactly once", *opts[k] ? opts[k] : "(no COUNT)",
                    BIG))
                diag("  %ld calls, %zu returned, %zu twice", calls, got.n, tc_dups(&got));
            if (k == 1)
                ok(first_cursor && first_n < BIG,
                   "SSCAN COUNT 10: the first call returns part (%zu) and a cursor", first_n);
            tc_free(&got);
        }
    }
    calls = tc_scan_all(c, "SSCAN", "big", "MATCH m:09* COUNT 30", 0, &got, NULL, NULL);
    tc_sort(&got);
    ok(calls > 0 && got.n == 100 && tc_dups(&got) == 0 && tc_has(&got, "m:0900", 6) &&
           tc_has(&got, "m:0999", 6),
       "SSCAN MATCH m:09*: exactly the 100 matching, once each");
    tc_free(&got);

    is_error(cmd(c, "SSCAN small x"), "ERR invalid cursor", "SSCAN x -> invalid cursor");
    is_error(cmd(c, "SSCAN small 18446744073709551616"), "ERR invalid cursor",
             "SSCAN 2^64 -> invalid cursor");
    is_error(cmd(c, "SSCAN small 0 COUNT 0"), "ERR syntax error", "SSCAN COUNT 0 -> syntax error");
    is_error(cmd(c, "SSCAN small 0 COUNT abc"), NOTINT, "SSCAN COUNT abc -> not an integer");
    is_error(cmd(c, "SSCAN small 0 MATCH"), "ERR syntax error", "SSCAN MATCH without pattern");
    is_error(cmd(c, "SSCAN small 0 TYPE set"), "ERR syntax error", "SSCAN takes no TYPE");
    is_error(cmd(c, "SSCAN small"), "ERR wrong number of arguments for 'sscan' command",
             "SSCAN arity");
}

/* ---- arity and WRONGTYPE ---- */

static void test_errors(redisContext *c)
{
    static const char *const arity[][2] = {
        {"SADD s", "sadd"},           {"SADD", "sadd"},               {"SREM s", "srem"},
        {"SCARD", "scard"},           {"SCARD s x", "scard"},         {"SISMEMBER s", "sismember"},
        {"SISMEMBER s a b", "sismember"}, {"SMISMEMBER s", "smismember"},
        {"SMEMBERS", "smembers"},     {"SMEMBERS s x", "smembers"},   {"SRANDMEMBER", "srandmember"},
        {"SPOP", "spop"},             {"SMOVE s d", "smove"},         {"SMOVE s d a b", "smove"},
        {"SINTER", "sinter"},         {"SUNION", "sunion"},           {"SDIFF", "sdiff"},
        {"SINTERCARD", "sintercard"}, {"SINTERSTORE d", "sinterstore"},
        {"SUNIONSTORE d", "sunionstore"}, {"SDIFFSTORE d", "sdiffstore"}, {"SSCAN s", "sscan"},
    };
    static const char *const on_string[] = {
        "SADD str a",      "SREM str a",        "SCARD str",        "SISMEMBER str a",
        "SMISMEMBER str a b", "SMEMBERS str",   "SRANDMEMBER str",  "SRANDMEMBER str 2",
        "SRANDMEMBER str -2", "SPOP str",       "SPOP str 2",       "SINTER str",
        "SUNION str",      "SDIFF str",         "SINTERCARD 1 str", "SSCAN str 0",
    };
    char name[160], want[96];

    tc_section(c, "arity and WRONGTYPE");
    is_integer(cmd(c, "SADD s a"), 1, "a set");
    for (size_t i = 0; i < sizeof(arity) / sizeof(arity[0]); i++) {
        snprintf(want, sizeof(want), "ERR wrong number of arguments for '%s' command", arity[i][1]);
        snprintf(name, sizeof(name), "%s -> arity error", arity[i][0]);
        is_error(cmdline(c, arity[i][0]), want, name);
    }
    is_set_of(cmd(c, "SMEMBERS s"), "a", "the rejected commands left the set alone");

    is_status(cmd(c, "SET str text"), "OK", "a string");
    for (size_t i = 0; i < sizeof(on_string) / sizeof(on_string[0]); i++) {
        snprintf(name, sizeof(name), "%s on a string -> WRONGTYPE", on_string[i]);
        is_error(cmdline(c, on_string[i]), WRONGTYPE, name);
    }
    is_str(cmd(c, "GET str"), "text", 4, "the string is unchanged");
    is_integer(cmd(c, "HSET hash f v"), 1, "a hash");
    is_error(cmd(c, "SADD hash a"), WRONGTYPE, "SADD on a hash -> WRONGTYPE");
    is_error(cmd(c, "SCARD hash"), WRONGTYPE, "SCARD on a hash -> WRONGTYPE");
    is_error(cmd(c, "SMEMBERS hash"), WRONGTYPE, "SMEMBERS on a hash -> WRONGTYPE");
    is_error(cmd(c, "SPOP hash"), WRONGTYPE, "SPOP on a hash -> WRONGTYPE");
    is_integer(cmd(c, "HLEN hash"), 1, "the hash is unchanged");
}

/* ---- RESP3 ---- */

static void test_resp3(const struct tserver *s, redisContext *c)
{
    struct r3conn rc;
    struct r3 *r;
    int good;

    tc_section(c, "RESP3 reply types");
    is_integer(cmd(c, "SADD s1 a b c"), 3, "s1 {a b c}");
    is_integer(cmd(c, "SADD s2 b c d"), 3, "s2 {b c d}");
    if (r3_open(&rc, s) != 0) {
        ok(0, "a RESP3 connection (HELLO 3)");
        return;
    }
    r3_is_coll(&rc, "SMEMBERS s1", '~', "a b c", "RESP3 SMEMBERS: a set");
    r3_is_bytes(&rc, "SMEMBERS nokey", "~0\r\n", "RESP3 SMEMBERS of a missing key: an empty set");
    r3_is_coll(&rc, "SINTER s1 s2", '~', "b c", "RESP3 SINTER: a set");
    r3_is_bytes(&rc, "SINTER s1 nokey", "~0\r\n", "RESP3 SINTER with a missing key: ~0");
    r3_is_coll(&rc, "SUNION s1 s2", '~', "a b c d", "RESP3 SUNION: a set");
    r3_is_coll(&rc, "SDIFF s1 s2", '~', "a", "RESP3 SDIFF: a set");
    r3_is_bytes(&rc, "SDIFF nokey s1", "~0\r\n", "RESP3 SDIFF of a missing key: ~0");
    r3_is_coll(&rc, "SRANDMEMBER s1 3", '*', "a b c", "RESP3 SRANDMEMBER 3: an array");
    r = r3_cmd(&rc, "SRANDMEMBER s1 -4");
    good = r && r->type == '*' && r->n == 4;
    for (size_t i = 0; good && i < r->n; i++)
        good = r->elem[i]->type == '$' && r->elem[i]->len == 1 && r->elem[i]->str[0] >= 'a' &&
               r->elem[i]->str[0] <= 'c';
    if (!ok(good, "RESP3 SRANDMEMBER -4: an array of 4 members"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r3_is_bytes(&rc, "SRANDMEMBER nokey 2", "*0\r\n", "RESP3 SRANDMEMBER 2 of a missing key: *0");
    r3_is_bytes(&rc, "SRANDMEMBER s1 0", "*0\r\n", "RESP3 SRANDMEMBER 0: *0");
    r3_is_bytes(&rc, "SRANDMEMBER nokey", "_\r\n", "RESP3 SRANDMEMBER of a missing key: null");
    r3_is_bytes(&rc, "SPOP nokey", "_\r\n", "RESP3 SPOP of a missing key: null");
    r3_is_bytes(&rc, "SPOP nokey 2", "~0\r\n", "RESP3 SPOP 2 of a missing key: an empty set");
    r3_is_bytes(&rc, "SPOP s1 0", "~0\r\n", "RESP3 SPOP 0: an empty set");
    r = r3_cmd(&rc, "SPOP s1 1");
    good = r && r->type == '~' && r->n == 1 && r->elem[0]->type == '$';
    if (!ok(good, "RESP3 SPOP 1: a set of one"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r = r3_cmd(&rc, "SPOP s1 5");
    good = r && r->type == '~' && r->n == 2;
    if (!ok(good, "RESP3 SPOP 5 of the 2 left: a set of 2"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r3_is_bytes(&rc, "SMISMEMBER s2 b x", "*2\r\n:1\r\n:0\r\n", "RESP3 SMISMEMBER: an array");
    r3_is_bytes(&rc, "SINTERCARD 1 s2", ":3\r\n", "RESP3 SINTERCARD: an integer");
    r = r3_cmd(&rc, "SSCAN s2 0");
    good = r && r->type == '*' && r->n == 2 && r->elem[0]->type == '$' && r->elem[1]->type == '*' &&
           r->elem[1]->n == 3;
    if (!ok(good, "RESP3 SSCAN: [cursor, array of members]"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r3_close(&rc);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_basics(c);
    test_srandmember(c);
    test_spop(c);
    test_smove(c);
    test_algebra(c);
    test_store(c);
    test_sscan(c);
    test_errors(c);
    test_resp3(&s, c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
