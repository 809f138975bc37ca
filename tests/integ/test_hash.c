/* test_hash.c - the hash commands against a real server: HSET HSETNX HMSET HGET HMGET HDEL
 * HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with
 * binary and empty fields and values, every argument error Redis 7.0 words (arity,
 * syntax, "hash value is not an integer", "increment or decrement would overflow",
 * "value is NaN or Infinity", "hash value is not a float", out of range counts),
 * WRONGTYPE, random picks judged by their properties (members of the hash, distinct or
 * not, how many, spread over a large hash), full HSCAN walks of small and large hashes
 * returning each field once, and the RESP3 reply types (HGETALL a map, HRANDFIELD
 * WITHVALUES pairs as 7.0 sends them). Unordered replies are compared as sets. Every
 * expectation was checked against redis-server 7.0 (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOTINT "ERR value is not an integer or out of range"
#define BIG 1000 /* fields of the large hash: past hash-max-listpack-entries (512) */

/* ---- HSET HSETNX HMSET HGET ---- */

static void test_set_get(redisContext *c)
{
    char *big = omk_malloc(100000);

    tc_section(c, "HSET HSETNX HMSET HGET");
    is_integer(cmd(c, "HSET h f1 v1"), 1, "HSET creates a hash with one field");
    is_status(cmd(c, "TYPE h"), "hash", "TYPE of the new key is hash");
    is_integer(cmd(c, "HSET h f1 v1b f2 v2 f3 v3"), 2, "HSET counts only the new fields");
    is_str(cmd(c, "HGET h f1"), "v1b", 3, "HSET replaced the existing field");
    is_str(cmd(c, "HGET h f3"), "v3", 2, "HGET of a new field");
    is_integer(cmd(c, "HSET h f4 a f4 b"), 1, "a field named twice in one HSET counts once");
    is_str(cmd(c, "HGET h f4"), "b", 1, "... and takes its last value");
    is_integer(cmd(c, "HSET h f1 v1b"), 0, "HSET of an unchanged field -> 0");
    is_nil(cmd(c, "HGET h nofield"), "HGET of a missing field -> nil");
    is_nil(cmd(c, "HGET nokey f1"), "HGET of a missing key -> nil");
    is_integer(cmd(c, "EXISTS nokey"), 0, "HGET did not create the key");
    is_integer(cmd(c, "HLEN h"), 4, "HLEN after the HSETs");

    is_status(cmd(c, "HMSET h f5 v5 f1 v1c"), "OK", "HMSET replies OK");
    is_str(cmd(c, "HGET h f1"), "v1c", 3, "HMSET replaced f1");
    is_str(cmd(c, "HGET h f5"), "v5", 2, "HMSET added f5");
    is_status(cmd(c, "hmset hm a 1"), "OK", "HMSET creates a hash (lower case)");
    is_str(cmd(c, "HGET hm a"), "1", 1, "... which reads back");

    is_integer(cmd(c, "HSETNX h f1 other"), 0, "HSETNX of an existing field -> 0");
    is_str(cmd(c, "HGET h f1"), "v1c", 3, "... left the value alone");
    is_integer(cmd(c, "HSETNX h f6 v6"), 1, "HSETNX of a new field -> 1");
    is_str(cmd(c, "HGET h f6"), "v6", 2, "... set it");
    is_integer(cmd(c, "HSETNX hnx f v"), 1, "HSETNX on a missing key creates it");
    is_status(cmd(c, "TYPE hnx"), "hash", "... as a hash");
    is_integer(cmd(c, "HLEN h"), 6, "HLEN after HMSET and HSETNX");

    /* binary-safe fields and values, empty ones */
    is_integer(cmd(c, "HSET hb %b %b", "f\0\r\n", (size_t)4, "v\0\xff", (size_t)3), 1,
               "HSET of a binary field and value");
    is_str(cmd(c, "HGET hb %b", "f\0\r\n", (size_t)4), "v\0\xff", 3, "HGET of the binary field");
    is_nil(cmd(c, "HGET hb %b", "f\0\r", (size_t)3), "HGET of its prefix -> nil");
    is_integer(cmd(c, "HSET hb %b %b", "", (size_t)0, "", (size_t)0), 1,
               "HSET of an empty field to an empty value");
    is_str(cmd(c, "HGET hb %b", "", (size_t)0), "", 0, "HGET of the empty field -> empty");
    is_integer(cmd(c, "HEXISTS hb %b", "", (size_t)0), 1, "HEXISTS of the empty field");
    is_integer(cmd(c, "HSTRLEN hb %b", "", (size_t)0), 0, "HSTRLEN of an empty value");
    is_integer(cmd(c, "HLEN hb"), 2, "HLEN of the binary hash");

    /* a 100 KB value */
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)('a' + (i * 7 + i / 26) % 26);
    is_integer(cmd(c, "HSET h big %b", big, (size_t)100000), 1, "HSET of a 100 KB value");
    is_str(cmd(c, "HGET h big"), big, 100000, "HGET returns the 100 KB value whole");
    is_integer(cmd(c, "HSTRLEN h big"), 100000, "HSTRLEN of the 100 KB value");
    is_str(cmd(c, "HGET h f6"), "v6", 2, "the other fields are still there");
    big[0] = 'Z';
    is_integer(cmd(c, "HSET h big %b", big, (size_t)100000), 0, "HSET replaces the 100 KB value");
    is_str(cmd(c, "HGET h big"), big, 100000, "... with the new bytes");
    omk_free(big);
}

/* ---- HMGET HDEL ---- */

static void test_mget_del(redisContext *c)
{
    tc_section(c, "HMGET HDEL");
    is_integer(cmd(c, "HSET h a 1 b 2 c 3 d 4"), 4, "HSET four fields");
    is_array_of(cmd(c, "HMGET h a nofield c a"), "1 (nil) 3 1",
                "HMGET in the order asked, nil for a missing field, a field twice");
    is_array_of(cmd(c, "HMGET nokey a b"), "(nil) (nil)", "HMGET of a missing key: all nil");
    is_integer(cmd(c, "HDEL h a a nofield"), 1, "HDEL counts a field named twice once");
    is_nil(cmd(c, "HGET h a"), "the deleted field is gone");
    is_integer(cmd(c, "HDEL h a"), 0, "HDEL of a field already gone -> 0");
    is_integer(cmd(c, "HDEL nokey a"), 0, "HDEL on a missing key -> 0");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");
    is_integer(cmd(c, "HLEN h"), 3, "HLEN after HDEL");
    is_integer(cmd(c, "HDEL h b c"), 2, "HDEL of two fields");
    is_integer(cmd(c, "HDEL h d"), 1, "HDEL of the last field");
    is_integer(cmd(c, "EXISTS h"), 0, "a hash left empty is deleted");
    is_status(cmd(c, "TYPE h"), "none", "... TYPE none");
    is_integer(cmd(c, "HLEN h"), 0, "... HLEN 0");
    is_integer(cmd(c, "HSET h a again"), 1, "HSET recreates it");
    is_integer(cmd(c, "HLEN h"), 1, "... with only the new field");
    is_nil(cmd(c, "HGET h b"), "... none of the old ones");
}

/* ---- HLEN HSTRLEN HEXISTS ---- */

static void test_len_exists(redisContext *c)
{
    tc_section(c, "HLEN HSTRLEN HEXISTS");
    is_integer(cmd(c, "HLEN nokey"), 0, "HLEN of a missing key -> 0");
    is_integer(cmd(c, "HSET h s hello n 12345 neg -12 e %s", ""), 4, "HSET four fields");
    is_integer(cmd(c, "HLEN h"), 4, "HLEN");
    is_integer(cmd(c, "HSTRLEN h s"), 5, "HSTRLEN of a string value");
    is_integer(cmd(c, "HSTRLEN h n"), 5, "HSTRLEN of an integer value counts its digits");
    is_integer(cmd(c, "HSTRLEN h neg"), 3, "HSTRLEN of a negative integer counts the sign");
    is_integer(cmd(c, "HSTRLEN h e"), 0, "HSTRLEN of an empty value");
    is_integer(cmd(c, "HSTRLEN h nofield"), 0, "HSTRLEN of a missing field -> 0");
    is_integer(cmd(c, "HSTRLEN nokey f"), 0, "HSTRLEN of a missing key -> 0");
    is_integer(cmd(c, "HEXISTS h s"), 1, "HEXISTS of a field");
    is_integer(cmd(c, "HEXISTS h e"), 1, "HEXISTS of a field with an empty value");
    is_integer(cmd(c, "HEXISTS h S"), 0, "HEXISTS is case-sensitive");
    is_integer(cmd(c, "HEXISTS nokey s"), 0, "HEXISTS on a missing key -> 0");
}

/* ---- HKEYS HVALS HGETALL ---- */

static void test_getall(redisContext *c)
{
    struct tc_strs want = {0}, got = {0};
    redisReply *r;
    int good;

    tc_section(c, "HKEYS HVALS HGETALL");
    is_integer(cmd(c, "HSET h a 1 b 2 c 1 d %s", ""), 4, "HSET four fields, two equal values");
    is_set_of(cmd(c, "HKEYS h"), "a b c d", "HKEYS: every field once");
    is_set_of(cmd(c, "HVALS h"), "1 2 1 ", "HVALS: every value, duplicates kept");
    is_pairs_of(cmd(c, "HGETALL h"), "a 1 b 2 c 1 d ", "HGETALL: every field with its value");
    is_array_of(cmd(c, "HKEYS nokey"), "", "HKEYS of a missing key: empty");
    is_array_of(cmd(c, "HVALS nokey"), "", "HVALS of a missing key: empty");
    is_array_of(cmd(c, "HGETALL nokey"), "", "HGETALL of a missing key: empty");

    /* a large hash: the same three agree with each other and with what was written */
    is_int(tc_fill(c, "HSET", "big", "field:", 4, "value:", 0, BIG), BIG, "HSET %d fields", BIG);
    for (int i = 0; i < BIG; i++) {
        char f[32], v[32], fv[64];

        snprintf(f, sizeof(f), "field:%04d", i);
        snprintf(v, sizeof(v), "value:%d", i);
        snprintf(fv, sizeof(fv), "%s=%s", f, v);
        tc_add(&want, fv, strlen(fv));
    }
    tc_sort(&want);
    r = cmd(c, "HGETALL big");
    good = tc_pairs_from_reply(&got, r);
    tc_sort(&got);
    ok(good && tc_same(&got, &want), "HGETALL of %d fields: each once with its value", BIG);
    freeReplyObject(r);
    tc_free(&got);
    r = cmd(c, "HKEYS big");
    good = tc_from_reply(&got, r) && got.n == BIG;
    tc_sort(&got);
    for (size_t i = 0; good && i < want.n; i++)
        good = got.e[i].len == 10 && !memcmp(got.e[i].p, want.e[i].p, 10);
    ok(good && tc_dups(&got) == 0, "HKEYS of %d fields: each once", BIG);
    freeReplyObject(r);
    tc_free(&got);
    r = cmd(c, "HVALS big");
    good = tc_from_reply(&got, r) && got.n == BIG;
    tc_sort(&got);
    ok(good && tc_dups(&got) == 0 && tc_has(&got, "value:0", 7) && tc_has(&got, "value:999", 9),
       "HVALS of %d fields: every value", BIG);
    freeReplyObject(r);
    tc_free(&got);
    tc_free(&want);
    is_integer(cmd(c, "HLEN big"), BIG, "HLEN of the large hash");
}

/* ---- HINCRBY ---- */

static void test_hincrby(redisContext *c)
{
    static const char *const notint_values[] = {"abc", " 1", "1 ", "01", "1.5", "+1", "0x10",
                                                "-9223372036854775809",
                                                "9223372036854775808"};
    char name[128];

    tc_section(c, "HINCRBY");
    is_integer(cmd(c, "HINCRBY h n 5"), 5, "HINCRBY of a missing key creates it");
    is_status(cmd(c, "TYPE h"), "hash", "... as a hash");
    is_integer(cmd(c, "HINCRBY h n -7"), -2, "HINCRBY by a negative increment");
    is_integer(cmd(c, "HINCRBY h n 0"), -2, "HINCRBY by 0");
    is_str(cmd(c, "HGET h n"), "-2", 2, "HGET reads the sum as text");
    is_integer(cmd(c, "HINCRBY h m 1"), 1, "HINCRBY of a missing field starts from 0");
    is_integer(cmd(c, "HSET h s 100"), 1, "HSET an integer as a string");
    is_integer(cmd(c, "HINCRBY h s 23"), 123, "HINCRBY of a value set by HSET");
    for (size_t i = 0; i < sizeof(notint_values) / sizeof(notint_values[0]); i++) {
        freeReplyObject(cmd(c, "HSET h bad %s", notint_values[i]));
        snprintf(name, sizeof(name), "HINCRBY of the value '%s' -> hash value is not an integer",
                 notint_values[i]);
        is_error(cmd(c, "HINCRBY h bad 1"), "ERR hash value is not an integer", name);
    }
    is_str(cmd(c, "HGET h bad"), "9223372036854775808", 19, "a failed HINCRBY left the value");
    is_integer(cmd(c, "HSET h empty %s", ""), 1, "HSET an empty value");
    is_error(cmd(c, "HINCRBY h empty 1"), "ERR hash value is not an integer",
             "HINCRBY of an empty value -> not an integer");
    is_error(cmd(c, "HINCRBY h n abc"), NOTINT, "HINCRBY by 'abc' -> not an integer");
    is_error(cmd(c, "HINCRBY h n 1.5"), NOTINT, "HINCRBY by 1.5 -> not an integer");
    is_error(cmd(c, "HINCRBY h n %s", ""), NOTINT, "HINCRBY by '' -> not an integer");
    is_error(cmd(c, "HINCRBY h n 9223372036854775808"), NOTINT,
             "HINCRBY by 2^63 -> not an integer");
    is_error(cmd(c, "HINCRBY nokey n abc"), NOTINT, "HINCRBY by 'abc' on a missing key");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");

    is_integer(cmd(c, "HINCRBY h max 9223372036854775807"), 9223372036854775807LL,
               "HINCRBY to LLONG_MAX");
    is_error(cmd(c, "HINCRBY h max 1"), "ERR increment or decrement would overflow",
             "HINCRBY past LLONG_MAX -> overflow");
    is_str(cmd(c, "HGET h max"), "9223372036854775807", 19, "... the value is unchanged");
    is_integer(cmd(c, "HSET h min -9223372036854775808"), 1, "HSET LLONG_MIN");
    is_error(cmd(c, "HINCRBY h min -1"), "ERR increment or decrement would overflow",
             "HINCRBY below LLONG_MIN -> overflow");
    is_integer(cmd(c, "HINCRBY h min 1"), -9223372036854775807LL, "HINCRBY up from LLONG_MIN");
    is_error(cmd(c, "HINCRBY h n -9223372036854775807"), "ERR increment or decrement would overflow",
             "HINCRBY -2 by -(2^63-1) -> overflow");
    is_integer(cmd(c, "HINCRBY h n -9223372036854775806"), -9223372036854775807LL - 1,
               "HINCRBY -2 by -(2^63-2) reaches LLONG_MIN exactly");
}

/* ---- HINCRBYFLOAT ---- */

static void test_hincrbyfloat(redisContext *c)
{
    static const char *const notfloat_values[] = {"abc", " 1", "1 ", "1.5x", "--1", "nan"};
    static const char *const notfloat_incrs[] = {"abc", " 1", "1 ", "nan", "1e5000", "1.5.5"};
    static const char *const naninf_incrs[] = {"inf", "-inf", "+inf", "Infinity"};
    char name[128];

    tc_section(c, "HINCRBYFLOAT");
    is_str(cmd(c, "HINCRBYFLOAT h f 10.5"), "10.5", 4, "HINCRBYFLOAT of a missing key");
    is_status(cmd(c, "TYPE h"), "hash", "... creates a hash");
    is_str(cmd(c, "HINCRBYFLOAT h f 0.1"), "10.6", 4, "10.5 + 0.1 -> 10.6");
    is_str(cmd(c, "HGET h f"), "10.6", 4, "HGET reads the sum");
    is_str(cmd(c, "HINCRBYFLOAT h f -10.6"), "0", 1, "10.6 - 10.6 -> 0");
    is_str(cmd(c, "HINCRBYFLOAT h g 3.0"), "3", 1, "a missing field: 3.0 -> 3");
    is_str(cmd(c, "HINCRBYFLOAT h g 1.5e3"), "1503", 4, "an exponent increment");
    is_integer(cmd(c, "HSET h e 5.0e3"), 1, "HSET a value with an exponent");
    is_str(cmd(c, "HINCRBYFLOAT h e 200"), "5200", 4, "5.0e3 + 200 -> 5200");
    is_integer(cmd(c, "HSET h i -5"), 1, "HSET an integer");
    is_str(cmd(c, "HINCRBYFLOAT h i 2.5"), "-2.5", 4, "-5 + 2.5 -> -2.5");
    is_integer(cmd(c, "HSET h z 01"), 1, "HSET '01'");
    is_str(cmd(c, "HINCRBYFLOAT h z 1"), "2", 1, "'01' is a float: + 1 -> 2");
    is_str(cmd(c, "HINCRBYFLOAT h x 0x10"), "16", 2, "a hex increment (strtold) -> 16");
    is_integer(cmd(c, "HINCRBY h fl 1"), 1, "HINCRBY a field to 1");
    is_str(cmd(c, "HINCRBYFLOAT h fl 1.5"), "2.5", 3, "HINCRBYFLOAT of it -> 2.5");
    is_error(cmd(c, "HINCRBY h fl 1"), "ERR hash value is not an integer",
             "HINCRBY of the float 2.5 -> not an integer");

    for (size_t i = 0; i < sizeof(notfloat_values) / sizeof(notfloat_values[0]); i++) {
        freeReplyObject(cmd(c, "HSET h bad %s", notfloat_values[i]));
        snprintf(name, sizeof(name), "HINCRBYFLOAT of the value '%s' -> hash value is not a float",
                 notfloat_values[i]);
        is_error(cmd(c, "HINCRBYFLOAT h bad 1"), "ERR hash value is not a float", name);
    }
    is_str(cmd(c, "HGET h bad"), "nan", 3, "a failed HINCRBYFLOAT left the value");
    is_integer(cmd(c, "HSET h empty %s", ""), 1, "HSET an empty value");
    is_error(cmd(c, "HINCRBYFLOAT h empty 1"), "ERR hash value is not a float",
             "HINCRBYFLOAT of an empty value -> not a float");
    for (size_t i = 0; i < sizeof(notfloat_incrs) / sizeof(notfloat_incrs[0]); i++) {
        snprintf(name, sizeof(name), "HINCRBYFLOAT by '%s' -> not a valid float",
                 notfloat_incrs[i]);
        is_error(cmd(c, "HINCRBYFLOAT h f %s", notfloat_incrs[i]), "ERR value is not a valid float",
                 name);
    }
    is_error(cmd(c, "HINCRBYFLOAT h f %s", ""), "ERR value is not a valid float",
             "HINCRBYFLOAT by '' -> not a valid float");
    for (size_t i = 0; i < sizeof(naninf_incrs) / sizeof(naninf_incrs[0]); i++) {
        snprintf(name, sizeof(name), "HINCRBYFLOAT by '%s' -> value is NaN or Infinity",
                 naninf_incrs[i]);
        is_error(cmd(c, "HINCRBYFLOAT h f %s", naninf_incrs[i]), "ERR value is NaN or Infinity",
                 name);
    }
    is_error(cmd(c, "HINCRBYFLOAT nokey f inf"), "ERR value is NaN or Infinity",
             "HINCRBYFLOAT by inf on a missing key");
    is_integer(cmd(c, "EXISTS nokey"), 0, "... which it did not create");
    is_integer(cmd(c, "HSET h inf inf"), 1, "HSET the value 'inf'");
    is_error(cmd(c, "HINCRBYFLOAT h inf 1"), "ERR increment would produce NaN or Infinity",
             "HINCRBYFLOAT of the value inf -> would produce NaN or Infinity");
    is_integer(cmd(c, "HSET h huge 1.1e4932"), 1, "HSET a value near LDBL_MAX");
    is_error(cmd(c, "HINCRBYFLOAT h huge 1.1e4932"),
             "ERR increment would produce NaN or Infinity",
             "HINCRBYFLOAT past LDBL_MAX -> would produce NaN or Infinity");
    is_str(cmd(c, "HGET h huge"), "1.1e4932", 8, "... the value is unchanged");
    is_str(cmd(c, "HGET h f"), "0", 1, "the errors left f alone");
}

/* ---- HRANDFIELD ---- */

/* Call HRANDFIELD 'key' 'count' [WITHVALUES] and check the reply's properties against
 * the hash whose fields are field:0000.. and values value:N ('size' of them): every
 * field is one of the hash and carries its value ('withvalues' 1: WITHVALUES, 2: the same
 * in lower case), 'want' of them, distinct when 'distinct'. Returns the fields in 'out' (may be NULL). */
static void randfield_is(redisContext *c, const char *key, long long count, int withvalues,
                         int size, size_t want, int distinct, struct tc_strs *out,
                         const char *name)
{
    char line[128];
    redisReply *r;
    struct tc_strs got = {0};
    size_t step = withvalues ? 2 : 1;
    int good;

    snprintf(line, sizeof(line), "HRANDFIELD %s %lld%s", key, count,
             withvalues == 2 ? " withvalues" : withvalues ? " WITHVALUES" : "");
    r = cmdline(c, line);
    good = r && r->type == REDIS_REPLY_ARRAY && r->elements == want * step;

    for (size_t i = 0; good && i < r->elements; i += step) {
        const redisReply *f = r->element[i];
        int n;
        char val[32];

        good = f->type == REDIS_REPLY_STRING && f->len == 10 && sscanf(f->str, "field:%d", &n) == 1 &&
               n >= 0 && n < size;
        if (good && withvalues) {
            snprintf(val, sizeof(val), "value:%d", n);
            good = r->element[i + 1]->type == REDIS_REPLY_STRING &&
                   !strcmp(r->element[i + 1]->str, val);
        }
        if (good)
            tc_add(&got, f->str, f->len);
    }
    tc_sort(&got);
    if (good && distinct)
        good = tc_dups(&got) == 0;
    if (!ok(good, "%s", name)) {
        ts_diag_reply(r);
        tc_diag(&got, "fields");
    }
    if (out)
        *out = got;
    else
        tc_free(&got);
    freeReplyObject(r);
}

static void test_hrandfield(redisContext *c)
{
    struct tc_strs seen = {0}, got;
    int bad = 0, lo = BIG, hi = -1;

    tc_section(c, "HRANDFIELD");
    is_nil(cmd(c, "HRANDFIELD nokey"), "HRANDFIELD of a missing key -> nil");
    is_array_of(cmd(c, "HRANDFIELD nokey 3"), "", "HRANDFIELD count of a missing key: empty");
    is_array_of(cmd(c, "HRANDFIELD nokey -3 WITHVALUES"), "",
                "HRANDFIELD -count WITHVALUES of a missing key: empty");
    is_int(tc_fill(c, "HSET", "h", "field:", 4, "value:", 0, 3), 3, "a hash of 3 fields");

    /* no count: one field, and over 100 calls more than one of them */
    for (int i = 0; i < 100; i++) {
        redisReply *r = cmd(c, "HRANDFIELD h");
        int n;

        if (r && r->type == REDIS_REPLY_STRING && sscanf(r->str, "field:%d", &n) == 1 && n >= 0 &&
            n < 3) {
            if (!tc_has(&seen, r->str, r->len))
                tc_add(&seen, r->str, r->len);
        } else {
            bad++;
        }
        freeReplyObject(r);
    }
    ok(bad == 0, "HRANDFIELD without count returns a field of the hash (100 calls)");
    ok(seen.n == 3, "... and over 100 calls every one of the 3 fields (%zu seen)", seen.n);
    tc_free(&seen);

    randfield_is(c, "h", 2, 0, 3, 2, 1, NULL, "HRANDFIELD 2 of 3: two distinct fields");
    randfield_is(c, "h", 3, 0, 3, 3, 1, NULL, "HRANDFIELD 3 of 3: every field once");
    randfield_is(c, "h", 10, 0, 3, 3, 1, NULL, "HRANDFIELD 10 of 3: every field once, no more");
    randfield_is(c, "h", 10, 1, 3, 3, 1, NULL,
                 "HRANDFIELD 10 WITHVALUES of 3: every field once with its value");
    randfield_is(c, "h", 2, 1, 3, 2, 1, NULL, "HRANDFIELD 2 WITHVALUES: distinct, right values");
    randfield_is(c, "h", 1, 0, 3, 1, 1, NULL, "HRANDFIELD 1: an array of one field");
    randfield_is(c, "h", -5, 0, 3, 5, 0, NULL, "HRANDFIELD -5 of 3: five picks");
    randfield_is(c, "h", -100, 0, 3, 100, 0, &got, "HRANDFIELD -100 of 3: a hundred picks");
    ok(got.n == 100 && tc_dups(&got) == 97, "... that repeat, covering all 3 fields");
    tc_free(&got);
    randfield_is(c, "h", -100, 1, 3, 100, 0, &got,
                 "HRANDFIELD -100 WITHVALUES of 3: a hundred pairs with their values");
    ok(got.n == 100 && tc_dups(&got) == 97, "... covering all 3 fields");
    tc_free(&got);
    randfield_is(c, "h", -1, 1, 3, 1, 0, NULL, "HRANDFIELD -1 WITHVALUES: one pair");
    is_array_of(cmd(c, "HRANDFIELD h 0"), "", "HRANDFIELD 0: empty array");
    is_array_of(cmd(c, "HRANDFIELD h 0 WITHVALUES"), "", "HRANDFIELD 0 WITHVALUES: empty array");
    randfield_is(c, "h", 2, 2, 3, 2, 1, NULL, "withvalues in lower case works");

    /* a large hash: picks spread over all of it, not its first fields */
    is_int(tc_fill(c, "HSET", "big", "field:", 4, "value:", 0, BIG), BIG, "a hash of %d fields", BIG);
    bad = 0;
    for (int i = 0; i < 300; i++) {
        redisReply *r = cmd(c, "HRANDFIELD big");
        int n;

        if (r && r->type == REDIS_REPLY_STRING && sscanf(r->str, "field:%d", &n) == 1 && n >= 0 &&
            n < BIG) {
            if (!tc_has(&seen, r->str, r->len))
                tc_add(&seen, r->str, r->len);
            lo = n < lo ? n : lo;
            hi = n > hi ? n : hi;
        } else {
            bad++;
        }
        freeReplyObject(r);
    }
    ok(bad == 0, "HRANDFIELD of %d fields returns fields of the hash (300 calls)", BIG);
    ok(seen.n >= 200 && lo < BIG / 10 && hi >= BIG - BIG / 10,
       "... spread over the whole hash: %zu distinct, lowest %d, highest %d", seen.n, lo, hi);
    tc_free(&seen);
    randfield_is(c, "big", 10, 0, BIG, 10, 1, NULL, "HRANDFIELD 10 of 1000: ten distinct");
    randfield_is(c, "big", 900, 1, BIG, 900, 1, &got,
                 "HRANDFIELD 900 WITHVALUES of 1000: 900 distinct pairs");
    tc_free(&got);
    randfield_is(c, "big", 2000, 0, BIG, BIG, 1, NULL, "HRANDFIELD 2000 of 1000: all once");
    randfield_is(c, "big", -2000, 0, BIG, 2000, 0, &got, "HRANDFIELD -2000 of 1000: 2000 picks");
    ok(got.n == 2000 && got.n - tc_dups(&got) >= 700,
       "... over most of the hash (%zu distinct)", got.n - tc_dups(&got));
    tc_free(&got);
    randfield_is(c, "big", 50, 0, BIG, 50, 1, &got, "HRANDFIELD 50 of 1000");
    lo = BIG;
    hi = -1;
    for (size_t i = 0; i < got.n; i++) {
        int n = atoi(got.e[i].p + 6);

        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    ok(hi - lo >= BIG / 2, "... picked across the hash (fields %d to %d)", lo, hi);
    tc_free(&got);

    /* errors */
    is_error(cmd(c, "HRANDFIELD h abc"), NOTINT, "HRANDFIELD abc -> not an integer");
    is_error(cmd(c, "HRANDFIELD h 1.5"), NOTINT, "HRANDFIELD 1.5 -> not an integer");
    is_error(cmd(c, "HRANDFIELD h -9223372036854775808"),
             "ERR value is out of range, value must between -9223372036854775807 and "
             "9223372036854775807",
             "HRANDFIELD LLONG_MIN -> out of range");
    is_error(cmd(c, "HRANDFIELD h 4611686018427387904 WITHVALUES"), "ERR value is out of range",
             "HRANDFIELD 2^62 WITHVALUES -> out of range");
    is_error(cmd(c, "HRANDFIELD h -4611686018427387904 WITHVALUES"), "ERR value is out of range",
             "HRANDFIELD -2^62 WITHVALUES -> out of range");
    is_error(cmd(c, "HRANDFIELD h 9223372036854775807 WITHVALUES"), "ERR value is out of range",
             "HRANDFIELD LLONG_MAX WITHVALUES -> out of range");
    randfield_is(c, "h", 4611686018427387903LL, 1, 3, 3, 1, NULL,
                 "HRANDFIELD 2^62-1 WITHVALUES is in range: every field once");
    randfield_is(c, "h", 9223372036854775807LL, 0, 3, 3, 1, NULL,
                 "HRANDFIELD LLONG_MAX: every field once");
    is_error(cmd(c, "HRANDFIELD h 1 foo"), "ERR syntax error", "HRANDFIELD 1 foo -> syntax error");
    is_error(cmd(c, "HRANDFIELD h 1 WITHVALUES x"), "ERR syntax error",
             "HRANDFIELD 1 WITHVALUES x -> syntax error");
    is_error(cmd(c, "HRANDFIELD nokey abc"), NOTINT,
             "HRANDFIELD abc on a missing key -> not an integer");
}

/* ---- HSCAN ---- */

static void test_hscan(redisContext *c)
{
    struct tc_strs got = {0}, want = {0};
    size_t first_n = 0;
    int first_cursor = 0;
    long calls;

    tc_section(c, "HSCAN");
    is_integer(cmd(c, "HSET small f1 a f2 b f3 c g1 d g2 e"), 5, "a small hash of 5 fields");
    is_scan_empty(cmd(c, "HSCAN nokey 0"), "HSCAN of a missing key -> [0, []]");
    {
        redisReply *r = cmd(c, "HSCAN small 0");

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "0"),
           "HSCAN of a small hash answers with cursor 0");
        is_pairs_of(r && r->elements == 2 ? r->element[1] : NULL, "f1 a f2 b f3 c g1 d g2 e",
                    "... and every field with its value at once");
        if (r && r->elements == 2)
            r->element[1] = NULL; /* freed by is_pairs_of */
        freeReplyObject(r);
    }
    calls = tc_scan_all(c, "HSCAN", "small", "COUNT 1", 1, &got, NULL, NULL);
    tc_add_pairs(&want, "f1 a f2 b f3 c g1 d g2 e");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls == 1 && tc_same(&got, &want), "HSCAN COUNT 1 of a small hash: whole in one call");
    tc_free(&got);
    tc_free(&want);
    calls = tc_scan_all(c, "HSCAN", "small", "MATCH f*", 1, &got, NULL, NULL);
    tc_add_pairs(&want, "f1 a f2 b f3 c");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls >= 1 && tc_same(&got, &want), "HSCAN MATCH f* returns the matching fields only");
    tc_free(&got);
    tc_free(&want);
    calls = tc_scan_all(c, "HSCAN", "small", "MATCH nomatch* COUNT 100", 1, &got, NULL, NULL);
    ok(calls >= 1 && got.n == 0, "HSCAN MATCH of nothing returns no field");
    tc_free(&got);
    calls = tc_scan_all(c, "HSCAN", "small", "match ?2 count 3", 1, &got, NULL, NULL);
    tc_add_pairs(&want, "f2 b g2 e");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls >= 1 && tc_same(&got, &want), "hscan match ?2 count 3 (options in lower case)");
    tc_free(&got);
    tc_free(&want);

    /* a large hash: every field exactly once, whatever COUNT */
    is_int(tc_fill(c, "HSET", "big", "field:", 4, "value:", 0, BIG), BIG, "a hash of %d fields", BIG);
    for (int i = 0; i < BIG; i++) {
        char fv[64];

        snprintf(fv, sizeof(fv), "field:%04d=value:%d", i, i);
        tc_add(&want, fv, strlen(fv));
    }
    tc_sort(&want);
    {
        static const char *const opts[] = {"", "COUNT 10", "COUNT 1", "COUNT 1000", "COUNT 5000"};

        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
            calls = tc_scan_all(c, "HSCAN", "big", opts[k], 1, &got, &first_n, &first_cursor);
            tc_sort(&got);
            if (!ok(calls > 0 && tc_same(&got, &want),
                    "HSCAN %s of %d fields: each field exactly once with its value",
                    *opts[k] ? opts[k] : "(no COUNT)", BIG))
                diag("  %ld calls, %zu returned, %zu twice", calls, got.n, tc_dups(&got));
            if (k == 1)
                ok(first_cursor && first_n < BIG,
                   "HSCAN COUNT 10 of %d fields: the first call returns part (%zu) and a cursor",
                   BIG, first_n);
            tc_free(&got);
        }
    }
    tc_free(&want);
    calls = tc_scan_all(c, "HSCAN", "big", "MATCH field:01* COUNT 20", 1, &got, NULL, NULL);
    for (int i = 100; i < 200; i++) {
        char fv[64];

        snprintf(fv, sizeof(fv), "field:%04d=value:%d", i, i);
        tc_add(&want, fv, strlen(fv));
    }
    tc_sort(&got);
    tc_sort(&want);
    ok(calls > 0 && tc_same(&got, &want),
       "HSCAN MATCH field:01* of %d fields: exactly the 100 matching, once each", BIG);
    tc_free(&got);
    tc_free(&want);
    is_integer(cmd(c, "HDEL big field:0000 field:0999"), 2, "HDEL two fields of the large hash");
    calls = tc_scan_all(c, "HSCAN", "big", "COUNT 50", 1, &got, NULL, NULL);
    tc_sort(&got);
    ok(calls > 0 && got.n == BIG - 2 && tc_dups(&got) == 0 &&
           !tc_has(&got, "field:0000=value:0", 18),
       "HSCAN after HDEL: the %d fields left, once each", BIG - 2);
    tc_free(&got);

    /* errors */
    is_error(cmd(c, "HSCAN small x"), "ERR invalid cursor", "HSCAN x -> invalid cursor");
    is_error(cmd(c, "HSCAN small 18446744073709551616"), "ERR invalid cursor",
             "HSCAN 2^64 -> invalid cursor");
    is_error(cmd(c, "HSCAN small 0 COUNT 0"), "ERR syntax error", "HSCAN COUNT 0 -> syntax error");
    is_error(cmd(c, "HSCAN small 0 COUNT -1"), "ERR syntax error",
             "HSCAN COUNT -1 -> syntax error");
    is_error(cmd(c, "HSCAN small 0 COUNT abc"), NOTINT, "HSCAN COUNT abc -> not an integer");
    is_error(cmd(c, "HSCAN small 0 MATCH"), "ERR syntax error", "HSCAN MATCH without a pattern");
    is_error(cmd(c, "HSCAN small 0 COUNT"), "ERR syntax error", "HSCAN COUNT without a number");
    is_error(cmd(c, "HSCAN small 0 TYPE string"), "ERR syntax error",
             "HSCAN takes no TYPE -> syntax error");
    is_error(cmd(c, "HSCAN small 0 FOO bar"), "ERR syntax error", "HSCAN unknown option");
    is_error(cmd(c, "HSCAN small"), "ERR wrong number of arguments for 'hscan' command",
             "HSCAN arity");
}

/* ---- arity and WRONGTYPE ---- */

static void test_errors(redisContext *c)
{
    static const char *const arity[][2] = {
        {"HSET h", "hset"},           {"HSET h f", "hset"},           {"HSET h f v g", "hset"},
        {"HSET", "hset"},             {"HSETNX h f", "hsetnx"},       {"HSETNX h f v x", "hsetnx"},
        {"HMSET h", "hmset"},         {"HMSET h f", "hmset"},         {"HMSET h f v g", "hmset"},
        {"HGET h", "hget"},           {"HGET h f x", "hget"},         {"HMGET h", "hmget"},
        {"HDEL h", "hdel"},           {"HLEN", "hlen"},               {"HLEN h x", "hlen"},
        {"HSTRLEN h", "hstrlen"},     {"HSTRLEN h f x", "hstrlen"},   {"HEXISTS h", "hexists"},
        {"HEXISTS h f x", "hexists"}, {"HKEYS", "hkeys"},             {"HKEYS h x", "hkeys"},
        {"HVALS", "hvals"},           {"HVALS h x", "hvals"},         {"HGETALL", "hgetall"},
        {"HGETALL h x", "hgetall"},   {"HINCRBY h f", "hincrby"},     {"HINCRBY h f 1 2", "hincrby"},
        {"HINCRBYFLOAT h f", "hincrbyfloat"}, {"HINCRBYFLOAT h f 1 2", "hincrbyfloat"},
        {"HRANDFIELD", "hrandfield"}, {"HSCAN", "hscan"},
    };
    static const char *const on_string[] = {
        "HSET s f v",      "HSETNX s f v",     "HMSET s f v",   "HGET s f",
        "HMGET s f",       "HDEL s f",         "HLEN s",        "HSTRLEN s f",
        "HEXISTS s f",     "HKEYS s",          "HVALS s",       "HGETALL s",
        "HINCRBY s f 1",   "HINCRBYFLOAT s f 1", "HRANDFIELD s", "HRANDFIELD s 2",
        "HRANDFIELD s -2 WITHVALUES", "HSCAN s 0",
    };
    char name[160], want[96];

    tc_section(c, "arity and WRONGTYPE");
    is_integer(cmd(c, "HSET h f v"), 1, "a hash");
    for (size_t i = 0; i < sizeof(arity) / sizeof(arity[0]); i++) {
        snprintf(want, sizeof(want), "ERR wrong number of arguments for '%s' command", arity[i][1]);
        snprintf(name, sizeof(name), "%s -> arity error", arity[i][0]);
        is_error(cmdline(c, arity[i][0]), want, name);
    }
    is_str(cmd(c, "HGET h f"), "v", 1, "the rejected commands left the hash alone");
    is_integer(cmd(c, "HLEN h"), 1, "... with its one field");

    is_status(cmd(c, "SET s text"), "OK", "a string");
    for (size_t i = 0; i < sizeof(on_string) / sizeof(on_string[0]); i++) {
        snprintf(name, sizeof(name), "%s on a string -> WRONGTYPE", on_string[i]);
        is_error(cmdline(c, on_string[i]), WRONGTYPE, name);
    }
    is_str(cmd(c, "GET s"), "text", 4, "the string is unchanged");
    is_integer(cmd(c, "SADD set m"), 1, "a set");
    is_error(cmd(c, "HSET set f v"), WRONGTYPE, "HSET on a set -> WRONGTYPE");
    is_error(cmd(c, "HGET set f"), WRONGTYPE, "HGET on a set -> WRONGTYPE");
    is_error(cmd(c, "HLEN set"), WRONGTYPE, "HLEN on a set -> WRONGTYPE");
    is_error(cmd(c, "HGETALL set"), WRONGTYPE, "HGETALL on a set -> WRONGTYPE");
    is_integer(cmd(c, "SCARD set"), 1, "the set is unchanged");
}

/* ---- RESP3 ---- */

static void test_resp3(const struct tserver *s, redisContext *c)
{
    struct r3conn rc;
    struct r3 *r;
    int good;

    tc_section(c, "RESP3 reply types");
    is_integer(cmd(c, "HSET h a 1 b 2 c 3"), 3, "a hash of three fields");
    if (r3_open(&rc, s) != 0) {
        ok(0, "a RESP3 connection (HELLO 3)");
        return;
    }
    r3_is_map(&rc, "HGETALL h", "a 1 b 2 c 3", "RESP3 HGETALL: a map of every field");
    r3_is_bytes(&rc, "HGETALL nokey", "%0\r\n", "RESP3 HGETALL of a missing key: an empty map");
    r3_is_coll(&rc, "HKEYS h", '*', "a b c", "RESP3 HKEYS: an array");
    r3_is_coll(&rc, "HVALS h", '*', "1 2 3", "RESP3 HVALS: an array");
    r3_is_bytes(&rc, "HMGET h a nofield", "*2\r\n$1\r\n1\r\n_\r\n",
                "RESP3 HMGET: a missing field is a null '_'");
    r3_is_bytes(&rc, "HGET h nofield", "_\r\n", "RESP3 HGET of a missing field: null '_'");
    r3_is_bytes(&rc, "HRANDFIELD nokey", "_\r\n", "RESP3 HRANDFIELD of a missing key: null");
    r3_is_bytes(&rc, "HRANDFIELD nokey 2 WITHVALUES", "*0\r\n",
                "RESP3 HRANDFIELD count of a missing key: an empty array");
    r3_is_bytes(&rc, "HRANDFIELD h 0 WITHVALUES", "*0\r\n",
                "RESP3 HRANDFIELD 0 WITHVALUES: an empty array");
    r3_is_bytes(&rc, "HINCRBYFLOAT h a 1.5", "$3\r\n2.5\r\n", "RESP3 HINCRBYFLOAT: a bulk string");
    r3_is_bytes(&rc, "HINCRBYFLOAT h a -1.5", "$1\r\n1\r\n", "... back to 1");

    /* 7.0: WITHVALUES under RESP3 is an array of [field, value] arrays */
    for (int neg = 0; neg < 2; neg++) {
        r = r3_cmd(&rc, neg ? "HRANDFIELD h -5 WITHVALUES" : "HRANDFIELD h 2 WITHVALUES");
        good = r && r->type == '*' && r->n == (neg ? 5u : 2u);
        for (size_t i = 0; good && i < r->n; i++) {
            const struct r3 *p = r->elem[i];

            good = p->type == '*' && p->n == 2 && p->elem[0]->type == '$' &&
                   p->elem[1]->type == '$' && p->elem[0]->len == 1 && p->elem[1]->len == 1 &&
                   p->elem[1]->str[0] == '1' + (p->elem[0]->str[0] - 'a');
        }
        if (good && !neg)
            good = r->elem[0]->elem[0]->str[0] != r->elem[1]->elem[0]->str[0];
        if (!ok(good, "RESP3 HRANDFIELD %s WITHVALUES: an array of [field, value] pairs%s",
                neg ? "-5" : "2", neg ? "" : ", distinct"))
            diag("  got '%.200s'", rc.last);
        r3_free(r);
    }
    r = r3_cmd(&rc, "HRANDFIELD h 2");
    good = r && r->type == '*' && r->n == 2 && r->elem[0]->type == '$' && r->elem[1]->type == '$';
    if (!ok(good, "RESP3 HRANDFIELD 2 without WITHVALUES: a flat array of fields"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r = r3_cmd(&rc, "HRANDFIELD h");
    good = r && r->type == '$' && r->len == 1 && r->str[0] >= 'a' && r->str[0] <= 'c';
    if (!ok(good, "RESP3 HRANDFIELD without count: a bulk string"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r = r3_cmd(&rc, "HSCAN h 0");
    good = r && r->type == '*' && r->n == 2 && r->elem[0]->type == '$' && r->elem[1]->type == '*' &&
           r->elem[1]->n == 6;
    if (!ok(good, "RESP3 HSCAN: [cursor, flat array of fields and values]"))
        diag("  got '%.200s'", rc.last);
    r3_free(r);
    r3_is_bytes(&rc, "HLEN h", ":3\r\n", "RESP3 HLEN: an integer");
    r3_close(&rc);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_set_get(c);
    test_mget_del(c);
    test_len_exists(c);
    test_getall(c);
    test_hincrby(c);
    test_hincrbyfloat(c);
    test_hrandfield(c);
    test_hscan(c);
    test_errors(c);
    test_resp3(&s, c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
