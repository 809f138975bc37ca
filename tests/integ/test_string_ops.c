/* test_string_ops.c - the string commands beyond GET/SET against a real server: SETNX
 * SETEX PSETEX GETSET GETDEL GETEX MSETNX APPEND STRLEN INCR DECR INCRBY DECRBY
 * INCRBYFLOAT GETRANGE SUBSTR SETRANGE LCS, with every option, every error text and
 * the values at the edges (empty strings, binary bytes, LLONG_MAX/MIN, huge floats,
 * " 1", "+1", "01"), the expiry each keeps or changes (observed by keys vanishing on
 * time), proto-max-bulk-len, wrong arities, and 4 connections incrementing one key.
 * Every expectation was checked against redis-server 7.0 (OMK_TEST_SERVER=host:port
 * runs this program against it). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "tests/harness.h"

#define NOTINT "ERR value is not an integer or out of range"
#define NOTFLOAT "ERR value is not a valid float"
#define OVERFLOW "ERR increment or decrement would overflow"
#define TOOBIG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
#define SYNTAX "ERR syntax error"

/* The reply to 'line' (split on spaces by hiredis; no '%' in it) is error 'want'. */
static void line_is_error(redisContext *c, const char *line, const char *want)
{
    char name[200];

    snprintf(name, sizeof(name), "%s -> %s", line, want);
    is_error(cmd(c, line), want, name);
}

/* ---- SETNX SETEX PSETEX GETSET GETDEL ------------------------------------------------ */

static void test_set_family(redisContext *c)
{
    is_integer(cmd(c, "SETNX nx v1"), 1, "SETNX a new key -> 1");
    is_integer(cmd(c, "SETNX nx v2"), 0, "SETNX an existing key -> 0");
    is_str(cmd(c, "GET nx"), "v1", 2, "  ... the first value stays");
    is_integer(cmd(c, "SETNX %b %b", "k\0x", (size_t)3, "", (size_t)0), 1,
               "SETNX binary key, empty value");
    is_str(cmd(c, "GET %b", "k\0x", (size_t)3), "", 0, "  ... reads back empty");

    is_status(cmd(c, "SETEX ex 100 v"), "OK", "SETEX");
    is_str(cmd(c, "GET ex"), "v", 1, "  ... sets the value");
    line_is_error(c, "SETEX ex 0 v", "ERR invalid expire time in 'setex' command");
    line_is_error(c, "SETEX ex -1 v", "ERR invalid expire time in 'setex' command");
    line_is_error(c, "SETEX ex 9223372036854776 v", "ERR invalid expire time in 'setex' command");
    line_is_error(c, "SETEX ex abc v", NOTINT);
    line_is_error(c, "SETEX ex 1.5 v", NOTINT);
    line_is_error(c, "PSETEX ex 0 v", "ERR invalid expire time in 'psetex' command");
    line_is_error(c, "PSETEX ex -5 v", "ERR invalid expire time in 'psetex' command");
    line_is_error(c, "PSETEX ex 9223372036854775807 v",
                  "ERR invalid expire time in 'psetex' command");
    is_str(cmd(c, "GET ex"), "v", 1, "rejected SETEX/PSETEX left the value alone");
    is_integer(cmd(c, "EXISTS ex2"), 0, "a rejected SETEX creates nothing");

    is_status(cmd(c, "PSETEX pex 300 v"), "OK", "PSETEX 300 ms");
    is_str(cmd(c, "GET pex"), "v", 1, "  ... there at once");
    is_status(cmd(c, "SETEX sex 1 v"), "OK", "SETEX 1 s");

    is_nil(cmd(c, "GETSET gs a"), "GETSET a missing key -> nil");
    is_str(cmd(c, "GETSET gs b"), "a", 1, "GETSET -> the old value");
    is_str(cmd(c, "GET gs"), "b", 1, "  ... and the new one is set");
    is_status(cmd(c, "SET gst old PX 300"), "OK", "SET gst PX 300");
    is_str(cmd(c, "GETSET gst new"), "old", 3, "GETSET a key with a TTL");

    is_nil(cmd(c, "GETDEL nothere"), "GETDEL a missing key -> nil");
    is_status(cmd(c, "SET gd %b", "v\0\xff", (size_t)3), "OK", "SET binary value");
    is_str(cmd(c, "GETDEL gd"), "v\0\xff", 3, "GETDEL -> the binary value");
    is_integer(cmd(c, "EXISTS gd"), 0, "  ... and the key is gone");
    is_nil(cmd(c, "GETDEL gd"), "  ... a second GETDEL -> nil");

    ts_sleep_ms(500);
    is_nil(cmd(c, "GET pex"), "the PSETEX key is gone after 300 ms");
    is_str(cmd(c, "GET gst"), "new", 3, "GETSET cleared the TTL: still there after 300 ms");
    ts_sleep_ms(700);
    is_nil(cmd(c, "GET sex"), "the SETEX 1 key is gone after 1 s");
}

/* ---- GETEX ------------------------------------------------------------------------------ */

static void test_getex(redisContext *c)
{
    static const char *const syntax[] = {
        "GETEX gx PX 100 EX 10", "GETEX gx PERSIST EX 10", "GETEX gx EX 10 PERSIST",
        "GETEX gx KEEPTTL",      "GETEX gx NX",            "GETEX gx GET",
        "GETEX gx EX",           "GETEX gx EXAT 1 PXAT 1", "GETEX gx FOO",
        "GETEX missing FOO",     "GETEX missing EX",       "GETEX gx EX abc FOO",
    };
    static const char *const badtime[] = {
        "GETEX gx EX 0",     "GETEX gx EX -1",      "GETEX gx PX 0",
        "GETEX gx EXAT 0",   "GETEX gx PXAT -1",    "GETEX gx EX 9223372036854775",
        "GETEX gx PX 9223372036854775807",
    };

    is_status(cmd(c, "SET gx val"), "OK", "SET gx");
    for (size_t i = 0; i < OMK_ARRAY_LEN(syntax); i++)
        line_is_error(c, syntax[i], SYNTAX);
    for (size_t i = 0; i < OMK_ARRAY_LEN(badtime); i++)
        line_is_error(c, badtime[i], "ERR invalid expire time in 'getex' command");
    line_is_error(c, "GETEX gx EX abc", NOTINT);
    line_is_error(c, "GETEX gx PX 1.5", NOTINT);
    /* Redis looks the key up before it reads the time: a missing key is nil. */
    is_nil(cmd(c, "GETEX missing EX -1"), "GETEX missing EX -1 -> nil (lookup first)");
    is_nil(cmd(c, "GETEX missing EX abc"), "GETEX missing EX abc -> nil (lookup first)");
    is_nil(cmd(c, "GETEX missing"), "GETEX a missing key -> nil");
    is_nil(cmd(c, "GETEX missing PERSIST"), "GETEX missing PERSIST -> nil");
    is_integer(cmd(c, "EXISTS missing"), 0, "  ... and creates nothing");

    is_str(cmd(c, "GETEX gx"), "val", 3, "GETEX with no option");
    is_str(cmd(c, "GETEX gx PERSIST PERSIST"), "val", 3, "PERSIST twice is allowed");
    is_str(cmd(c, "GETEX gx EX 100 EX 200"), "val", 3, "EX twice is allowed");
    is_str(cmd(c, "getex gx pxat 99999999999999"), "val", 3, "options ignore case");
    is_str(cmd(c, "GETEX gx EXAT 9223372036854775"), "val", 3, "EXAT at the far limit");

    is_status(cmd(c, "SET g1 a PX 300"), "OK", "SET g1 PX 300");
    is_str(cmd(c, "GETEX g1"), "a", 1, "GETEX g1 (no option)");
    is_status(cmd(c, "SET g2 b PX 300"), "OK", "SET g2 PX 300");
    is_str(cmd(c, "GETEX g2 PERSIST"), "b", 1, "GETEX g2 PERSIST");
    is_status(cmd(c, "SET g3 c"), "OK", "SET g3");
    is_str(cmd(c, "GETEX g3 PX 300"), "c", 1, "GETEX g3 PX 300");
    is_status(cmd(c, "SET g4 d"), "OK", "SET g4");
    is_str(cmd(c, "GETEX g4 EXAT 1"), "d", 1, "GETEX EXAT in the past returns the value");
    is_integer(cmd(c, "EXISTS g4"), 0, "  ... and deletes the key");
    is_status(cmd(c, "SET g5 e PX 300"), "OK", "SET g5 PX 300");
    is_str(cmd(c, "GETEX g5 EX 100"), "e", 1, "GETEX g5 EX 100 replaces a short TTL");
    is_integer(cmd(c, "EXISTS g1 g2 g3 g5"), 4, "all there before 300 ms");
    ts_sleep_ms(500);
    is_nil(cmd(c, "GET g1"), "GETEX with no option left the TTL: gone");
    is_str(cmd(c, "GET g2"), "b", 1, "GETEX PERSIST removed the TTL: still there");
    is_nil(cmd(c, "GET g3"), "GETEX PX 300 set a TTL: gone");
    is_str(cmd(c, "GET g5"), "e", 1, "GETEX EX 100 replaced the TTL: still there");
}

/* ---- MSETNX ---------------------------------------------------------------------------- */

static void test_msetnx(redisContext *c)
{
    is_integer(cmd(c, "MSETNX ma 1 mb 2"), 1, "MSETNX of new keys -> 1");
    is_str(cmd(c, "GET mb"), "2", 1, "  ... sets them");
    is_integer(cmd(c, "MSETNX mc 3 ma x"), 0, "MSETNX when one exists -> 0");
    is_integer(cmd(c, "EXISTS mc"), 0, "  ... sets none of them");
    is_str(cmd(c, "GET ma"), "1", 1, "  ... and changes none");
    is_integer(cmd(c, "MSETNX md first md last"), 1, "MSETNX naming a key twice -> 1");
    is_str(cmd(c, "GET md"), "last", 4, "  ... the last value wins");
    line_is_error(c, "MSETNX x", "ERR wrong number of arguments for 'msetnx' command");
    line_is_error(c, "MSETNX x 1 y", "ERR wrong number of arguments for 'msetnx' command");
    is_integer(cmd(c, "EXISTS x"), 0, "  ... an odd MSETNX sets nothing");
    is_status(cmd(c, "SET mt v PX 200"), "OK", "SET mt PX 200");
    is_integer(cmd(c, "MSETNX mt 1"), 0, "MSETNX over a live key with a TTL -> 0");
    ts_sleep_ms(400);
    is_integer(cmd(c, "MSETNX mt 1 me %b", "", (size_t)0), 1, "MSETNX once it expired -> 1");
    is_str(cmd(c, "GET me"), "", 0, "  ... empty value set");
}

/* ---- APPEND STRLEN SETRANGE -------------------------------------------------------------- */

static void test_append_strlen(redisContext *c)
{
    is_integer(cmd(c, "STRLEN nokey"), 0, "STRLEN of a missing key -> 0");
    is_integer(cmd(c, "APPEND ap %b", "", (size_t)0), 0, "APPEND '' to a missing key -> 0");
    is_integer(cmd(c, "EXISTS ap"), 1, "  ... creates the key");
    is_integer(cmd(c, "APPEND ap %b", "a\0b", (size_t)3), 3, "APPEND binary -> 3");
    is_integer(cmd(c, "APPEND ap cd"), 5, "APPEND -> the new length");
    is_str(cmd(c, "GET ap"), "a\0bcd", 5, "  ... the bytes");
    is_integer(cmd(c, "STRLEN ap"), 5, "STRLEN counts binary bytes");
    is_status(cmd(c, "SET apt 10 PX 300"), "OK", "SET apt PX 300");
    is_integer(cmd(c, "APPEND apt 0"), 3, "APPEND to a key with a TTL");
    is_integer(cmd(c, "STRLEN apt"), 3, "  ... STRLEN 3");
    ts_sleep_ms(500);
    is_nil(cmd(c, "GET apt"), "APPEND kept the TTL: gone after 300 ms");
    is_integer(cmd(c, "STRLEN apt"), 0, "  ... STRLEN 0");
}

static void test_setrange(redisContext *c)
{
    is_integer(cmd(c, "SETRANGE sr 5 %b", "", (size_t)0), 0, "SETRANGE '' on a missing key -> 0");
    is_integer(cmd(c, "EXISTS sr"), 0, "  ... creates nothing");
    is_integer(cmd(c, "SETRANGE sr 536870911 %b", "", (size_t)0), 0,
               "  ... even with a huge offset (no size check)");
    line_is_error(c, "SETRANGE sr -1 x", "ERR offset is out of range");
    line_is_error(c, "SETRANGE sr abc x", NOTINT);
    line_is_error(c, "SETRANGE sr 9223372036854775808 x", NOTINT);
    line_is_error(c, "SETRANGE sr 536870912 x", TOOBIG);
    line_is_error(c, "SETRANGE sr 9223372036854775807 x", TOOBIG);
    is_integer(cmd(c, "EXISTS sr"), 0, "  ... refused SETRANGEs create nothing");
    is_integer(cmd(c, "SETRANGE sr 3 ab"), 5, "SETRANGE at 3 on a missing key -> 5");
    is_str(cmd(c, "GET sr"), "\0\0\0ab", 5, "  ... zero-padded");
    is_integer(cmd(c, "SETRANGE sr 1 %b", "\xff", (size_t)1), 5, "SETRANGE a binary byte inside");
    is_integer(cmd(c, "SETRANGE sr 4 XYZ"), 7, "SETRANGE across the end -> 7");
    is_str(cmd(c, "GET sr"), "\0\xff\0aXYZ", 7, "  ... the bytes");
    is_integer(cmd(c, "SETRANGE sr 536870912 %b", "", (size_t)0), 7,
               "SETRANGE '' on an existing key -> its length, no size check");
    line_is_error(c, "SETRANGE sr 536870912 x", TOOBIG);
    is_status(cmd(c, "SET srt hello PX 300"), "OK", "SET srt PX 300");
    is_integer(cmd(c, "SETRANGE srt 0 J"), 5, "SETRANGE a key with a TTL");
    is_str(cmd(c, "GET srt"), "Jello", 5, "  ... Jello");
    ts_sleep_ms(500);
    is_nil(cmd(c, "GET srt"), "SETRANGE kept the TTL: gone after 300 ms");
}

/* proto-max-bulk-len bounds APPEND, SETRANGE and LCS's work space (its minimum, 1 MB,
 * keeps this quick). */
static void test_bulk_limit(redisContext *c)
{
    char *a = malloc(600), *b = malloc(600);

    is_status(cmd(c, "CONFIG SET proto-max-bulk-len 1mb"), "OK", "proto-max-bulk-len 1mb");
    line_is_error(c, "SETRANGE big 1048576 x", TOOBIG);
    is_integer(cmd(c, "SETRANGE big 1048575 x"), 1048576, "SETRANGE up to exactly 1 MB");
    line_is_error(c, "APPEND big x", TOOBIG);
    is_integer(cmd(c, "STRLEN big"), 1048576, "  ... which changed nothing");
    is_integer(cmd(c, "SETRANGE big 0 y"), 1048576, "SETRANGE inside a 1 MB value");
    is_integer(cmd(c, "APPEND big2 %b", "", (size_t)0), 0, "APPEND '' to a new key");
    memset(a, 'a', 600);
    memset(b, 'a', 600);
    is_status(cmd(c, "MSET la %b lb %b", a, (size_t)600, b, (size_t)600), "OK", "MSET 600 B x 2");
    is_error(cmd(c, "LCS la lb"),
             "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
             "LCS of 600 x 600 bytes needs more than 1 MB of work space");
    is_status(cmd(c, "CONFIG SET proto-max-bulk-len 512mb"), "OK", "proto-max-bulk-len back");
    is_integer(cmd(c, "LCS la lb LEN"), 600, "  ... and then it runs");
    is_integer(cmd(c, "DEL big big2 la lb"), 4, "clean up");
    free(a);
    free(b);
}

/* ---- INCR DECR INCRBY DECRBY INCRBYFLOAT -------------------------------------------------- */

static void test_incr(redisContext *c)
{
    static const char *const notint[] = {
        " 1", "1 ", "+1", "01", "-0", "1.0", "abc", "9223372036854775808",
        "-9223372036854775809", "0x10", "1e3",
    };
    char name[128];

    is_integer(cmd(c, "INCR n"), 1, "INCR a missing key -> 1");
    is_integer(cmd(c, "INCR n"), 2, "INCR -> 2");
    is_integer(cmd(c, "DECR n"), 1, "DECR -> 1");
    is_integer(cmd(c, "DECR dn"), -1, "DECR a missing key -> -1");
    is_integer(cmd(c, "INCRBY n 41"), 42, "INCRBY 41 -> 42");
    is_integer(cmd(c, "INCRBY n -50"), -8, "INCRBY -50 -> -8");
    is_integer(cmd(c, "DECRBY n -10"), 2, "DECRBY -10 -> 2");
    is_str(cmd(c, "GET n"), "2", 1, "the value is stored as text");
    is_integer(cmd(c, "INCR %b", "\0k", (size_t)2), 1, "INCR a binary key");

    for (size_t i = 0; i < OMK_ARRAY_LEN(notint); i++) {
        is_status(cmd(c, "SET bad %s", notint[i]), "OK", "SET bad");
        snprintf(name, sizeof(name), "INCR of '%s' -> not an integer", notint[i]);
        is_error(cmd(c, "INCR bad"), NOTINT, name);
        snprintf(name, sizeof(name), "INCRBY n '%s' -> not an integer", notint[i]);
        is_error(cmd(c, "INCRBY n %s", notint[i]), NOTINT, name);
        snprintf(name, sizeof(name), "DECRBY n '%s' -> not an integer", notint[i]);
        is_error(cmd(c, "DECRBY n %s", notint[i]), NOTINT, name);
    }
    is_status(cmd(c, "SET bad %b", "", (size_t)0), "OK", "SET bad ''");
    is_error(cmd(c, "INCR bad"), NOTINT, "INCR of '' -> not an integer");
    is_error(cmd(c, "INCRBY n %b", "", (size_t)0), NOTINT, "INCRBY n '' -> not an integer");
    is_status(cmd(c, "SET bad %b", "1\0", (size_t)2), "OK", "SET bad '1\\0'");
    is_error(cmd(c, "INCR bad"), NOTINT, "INCR of '1\\0' -> not an integer");
    is_str(cmd(c, "GET n"), "2", 1, "refused increments changed nothing");

    is_status(cmd(c, "SET max 9223372036854775807"), "OK", "SET LLONG_MAX");
    is_error(cmd(c, "INCR max"), OVERFLOW, "INCR LLONG_MAX -> overflow");
    is_error(cmd(c, "INCRBY max 9223372036854775807"), OVERFLOW, "INCRBY LLONG_MAX -> overflow");
    is_integer(cmd(c, "DECR max"), 9223372036854775806LL, "DECR LLONG_MAX");
    is_integer(cmd(c, "INCR max"), 9223372036854775807LL, "INCR back to LLONG_MAX");
    is_status(cmd(c, "SET min -9223372036854775808"), "OK", "SET LLONG_MIN");
    is_error(cmd(c, "DECR min"), OVERFLOW, "DECR LLONG_MIN -> overflow");
    is_error(cmd(c, "INCRBY min -1"), OVERFLOW, "INCRBY LLONG_MIN -1 -> overflow");
    is_integer(cmd(c, "INCR min"), -9223372036854775807LL, "INCR LLONG_MIN");
    is_error(cmd(c, "DECRBY min -9223372036854775808"), "ERR decrement would overflow",
             "DECRBY LLONG_MIN -> decrement would overflow");
    is_error(cmd(c, "DECRBY nokey -9223372036854775808"), "ERR decrement would overflow",
             "DECRBY LLONG_MIN on a missing key too");
    is_integer(cmd(c, "EXISTS nokey"), 0, "  ... which creates nothing");
    is_integer(cmd(c, "INCRBY z -9223372036854775808"), (long long)(-9223372036854775807LL - 1),
               "INCRBY a missing key by LLONG_MIN");
    is_integer(cmd(c, "DECRBY z2 9223372036854775807"), -9223372036854775807LL,
               "DECRBY a missing key by LLONG_MAX");
    is_integer(cmd(c, "DECR z2"), (long long)(-9223372036854775807LL - 1), "DECR to LLONG_MIN");
    is_error(cmd(c, "DECR z2"), OVERFLOW, "DECR past LLONG_MIN -> overflow");

    is_status(cmd(c, "SET it 10 PX 300"), "OK", "SET it 10 PX 300");
    is_integer(cmd(c, "INCR it"), 11, "INCR a key with a TTL");
    is_integer(cmd(c, "INCRBY it 5"), 16, "INCRBY it");
    ts_sleep_ms(500);
    is_nil(cmd(c, "GET it"), "INCR kept the TTL: gone after 300 ms");
    is_integer(cmd(c, "INCR it"), 1, "INCR after it expired starts from 0");
}

static void test_incrbyfloat(redisContext *c)
{
    static const char *const notfloat[] = { " 1", "1 ", "abc", "1e", "nan", "1.5.5", "1e-5000",
                                            "1e5000" };
    char name[128];

    is_str(cmd(c, "INCRBYFLOAT f 10.5"), "10.5", 4, "INCRBYFLOAT a missing key");
    is_str(cmd(c, "INCRBYFLOAT f 0.1"), "10.6", 4, "10.5 + 0.1 -> 10.6");
    is_str(cmd(c, "INCRBYFLOAT f -10.6"), "0", 1, "10.6 - 10.6 -> 0");
    is_str(cmd(c, "GET f"), "0", 1, "  ... stored as the reply");
    is_status(cmd(c, "SET f 3.0e3"), "OK", "SET f 3.0e3");
    is_str(cmd(c, "INCRBYFLOAT f 200"), "3200", 4, "3.0e3 + 200 -> 3200");
    is_str(cmd(c, "INCRBYFLOAT f 5.0e3"), "8200", 4, "+ 5.0e3 -> 8200");
    is_str(cmd(c, "INCRBYFLOAT f -8200.25"), "-0.25", 5, "a negative result");
    is_str(cmd(c, "INCRBYFLOAT f2 1.23456789012345678901"), "1.23456789012345679", 19,
           "17 digits after the point");
    is_str(cmd(c, "INCRBYFLOAT f3 1e-20"), "0", 1, "1e-20 -> 0 (%%.17Lf)");
    is_str(cmd(c, "INCRBYFLOAT f4 -0.000000000000000001"), "0", 1, "-1e-18 -> 0, never -0");
    is_str(cmd(c, "INCRBYFLOAT f5 0x10"), "16", 2, "a hex increment");
    is_str(cmd(c, "INCRBYFLOAT f6 +1.5"), "1.5", 3, "a '+' sign is accepted");
    is_str(cmd(c, "INCRBYFLOAT f7 .5"), "0.5", 3, "'.5' is accepted");
    is_str(cmd(c, "INCRBYFLOAT f8 5"), "5", 1, "an integer increment");
    is_str(cmd(c, "INCRBYFLOAT f8 1e-4950"), "5", 1, "a subnormal increment is accepted");
    is_status(cmd(c, "SET big 1e308"), "OK", "SET big 1e308");
    is_str(cmd(c, "INCRBYFLOAT big 9e308"),
           "99999999999999999998634942458125645476630776324990604869972293366440736374211643"
           "16354271666004182454093987023823041527499719573284024231723411264840323703757727"
           "46974788657214625693651444984012739133113268869496442311034817571120406763557498"
           "021655642425941543468850939783228659030453659621446207643423114002432",
           309, "1e308 + 9e308 does not overflow a long double (1e309, as Redis prints it)");
    is_status(cmd(c, "SET huge 1e4932"), "OK", "SET huge 1e4932");
    is_error(cmd(c, "INCRBYFLOAT huge 1e4932"), "ERR increment would produce NaN or Infinity",
             "1e4932 + 1e4932 -> NaN or Infinity");
    is_str(cmd(c, "GET huge"), "1e4932", 6, "  ... changes nothing");
    is_error(cmd(c, "INCRBYFLOAT inf inf"), "ERR increment would produce NaN or Infinity",
             "+ inf -> NaN or Infinity");
    is_error(cmd(c, "INCRBYFLOAT inf -infinity"), "ERR increment would produce NaN or Infinity",
             "+ -infinity -> NaN or Infinity");
    is_integer(cmd(c, "EXISTS inf"), 0, "  ... creates nothing");
    for (size_t i = 0; i < OMK_ARRAY_LEN(notfloat); i++) {
        snprintf(name, sizeof(name), "INCRBYFLOAT by '%s' -> not a valid float", notfloat[i]);
        is_error(cmd(c, "INCRBYFLOAT fx %s", notfloat[i]), NOTFLOAT, name);
        is_status(cmd(c, "SET fy %s", notfloat[i]), "OK", "SET fy");
        snprintf(name, sizeof(name), "INCRBYFLOAT of '%s' -> not a valid float", notfloat[i]);
        is_error(cmd(c, "INCRBYFLOAT fy 1"), NOTFLOAT, name);
    }
    is_error(cmd(c, "INCRBYFLOAT fx %b", "", (size_t)0), NOTFLOAT, "INCRBYFLOAT by ''");
    /* Regression: a NUL inside a value or an increment ended the number early. */
    is_error(cmd(c, "INCRBYFLOAT fx %b", "1\0x", (size_t)3), NOTFLOAT, "INCRBYFLOAT by '1\\0x'");
    is_status(cmd(c, "SET fz %b", "12\0abc", (size_t)6), "OK", "SET fz '12\\0abc'");
    is_error(cmd(c, "INCRBYFLOAT fz 5"), NOTFLOAT, "INCRBYFLOAT of '12\\0abc'");
    is_status(cmd(c, "SET fz %b", "\0\xff", (size_t)2), "OK", "SET fz '\\0\\xff'");
    is_error(cmd(c, "INCRBYFLOAT fz 1"), NOTFLOAT, "INCRBYFLOAT of '\\0\\xff'");
    is_integer(cmd(c, "EXISTS fx"), 0, "  ... refused INCRBYFLOATs create nothing");
    is_status(cmd(c, "SET ft 1.5 PX 300"), "OK", "SET ft 1.5 PX 300");
    is_str(cmd(c, "INCRBYFLOAT ft 1"), "2.5", 3, "INCRBYFLOAT a key with a TTL");
    ts_sleep_ms(500);
    is_nil(cmd(c, "GET ft"), "INCRBYFLOAT kept the TTL: gone after 300 ms");
}

/* ---- GETRANGE SUBSTR ---------------------------------------------------------------------- */

static void test_getrange(redisContext *c)
{
    static const struct {
        const char *start, *end, *want;
    } cases[] = {
        { "0", "-1", "hello" },  { "0", "3", "hell" },     { "-3", "-1", "llo" },
        { "0", "100", "hello" }, { "10", "20", "" },       { "2", "1", "" },
        { "4", "4", "o" },       { "5", "5", "" },         { "-100", "2", "hel" },
        { "0", "-100", "h" },    { "0", "-6", "h" },       { "-6", "-6", "h" },
        { "-1", "-5", "" },      { "-100", "-200", "" },   { "-5", "-1", "hello" },
        { "-9223372036854775808", "9223372036854775807", "hello" },
        { "9223372036854775807", "-9223372036854775808", "" },
    };
    char name[160];

    is_status(cmd(c, "SET s hello"), "OK", "SET s hello");
    for (size_t i = 0; i < OMK_ARRAY_LEN(cases); i++) {
        snprintf(name, sizeof(name), "GETRANGE s %s %s -> '%s'", cases[i].start, cases[i].end,
                 cases[i].want);
        is_str(cmd(c, "GETRANGE s %s %s", cases[i].start, cases[i].end), cases[i].want,
               strlen(cases[i].want), name);
    }
    is_str(cmd(c, "SUBSTR s 1 3"), "ell", 3, "SUBSTR is GETRANGE");
    is_str(cmd(c, "GETRANGE nokey 0 -1"), "", 0, "GETRANGE a missing key -> ''");
    is_status(cmd(c, "SET e %b", "", (size_t)0), "OK", "SET e ''");
    is_str(cmd(c, "GETRANGE e 0 -1"), "", 0, "GETRANGE of '' -> ''");
    is_str(cmd(c, "GETRANGE e -1 -1"), "", 0, "GETRANGE of '' -1 -1 -> ''");
    is_status(cmd(c, "SET b %b", "\0\x01\xff\0", (size_t)4), "OK", "SET binary");
    is_str(cmd(c, "GETRANGE b 1 2"), "\x01\xff", 2, "GETRANGE binary bytes");
    line_is_error(c, "GETRANGE s a 1", NOTINT);
    line_is_error(c, "GETRANGE s 0 9223372036854775808", NOTINT);
    line_is_error(c, "SUBSTR s 0 x", NOTINT);
    line_is_error(c, "GETRANGE nokey x 1", NOTINT);
}

/* A value of 'n' bytes that GETRANGE must slice without corrupting: byte i is i mod 251. */
static void test_getrange_big(redisContext *c)
{
    size_t n = (size_t)3 << 20;
    char *v = malloc(n), tail[4];
    redisReply *r;

    for (size_t i = 0; i < n; i++)
        v[i] = (char)(i % 251);
    is_status(cmd(c, "SET bigv %b", v, n), "OK", "SET a 3 MB value");
    r = cmd(c, "GETRANGE bigv 1000000 -1000001");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == n - 2000000 &&
           !memcmp(r->str, v + 1000000, r->len),
       "GETRANGE of the middle of a 3 MB value (sent by reference) is exact");
    freeReplyObject(r);
    is_integer(cmd(c, "SETRANGE bigv 2000000 XYZ"), (long long)n, "SETRANGE in a 3 MB value");
    memcpy(v + 2000000, "XYZ", 3);
    r = cmd(c, "GET bigv");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == n && !memcmp(r->str, v, n),
       "  ... changes those 3 bytes and no other");
    freeReplyObject(r);
    is_integer(cmd(c, "APPEND bigv end"), (long long)n + 3, "APPEND to a 3 MB value");
    tail[0] = v[n - 1];
    memcpy(tail + 1, "end", 3);
    is_str(cmd(c, "GETRANGE bigv -4 -1"), tail, 4, "  ... its last bytes");
    is_integer(cmd(c, "DEL bigv"), 1, "clean up");
    free(v);
}

/* ---- LCS ------------------------------------------------------------------------------------ */

/* Check that 'r' is an LCS IDX reply (RESP2: ["matches", [...], "len", n]) with 'n'
 * matches, each [[a0, a1], [b0, b1](, len)] equal to the rows of 'want' (5 numbers each,
 * the last the match length, checked when 'withlen'). */
static void lcs_idx_is(redisReply *r, const long long (*want)[5], size_t n, long long len,
                       int withlen, const char *name)
{
    int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
               r->element[0]->type == REDIS_REPLY_STRING &&
               !strcmp(r->element[0]->str, "matches") &&
               r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == n &&
               r->element[2]->type == REDIS_REPLY_STRING && !strcmp(r->element[2]->str, "len") &&
               r->element[3]->type == REDIS_REPLY_INTEGER && r->element[3]->integer == len;

    for (size_t i = 0; good && i < n; i++) {
        const redisReply *m = r->element[1]->element[i];

        good = m->type == REDIS_REPLY_ARRAY && m->elements == (size_t)(2 + withlen) &&
               m->element[0]->elements == 2 && m->element[1]->elements == 2 &&
               m->element[0]->element[0]->integer == want[i][0] &&
               m->element[0]->element[1]->integer == want[i][1] &&
               m->element[1]->element[0]->integer == want[i][2] &&
               m->element[1]->element[1]->integer == want[i][3] &&
               (!withlen || m->element[2]->integer == want[i][4]);
    }
    if (!ok(good, "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

static void test_lcs(redisContext *c)
{
    static const long long all[][5] = { { 4, 7, 5, 8, 4 }, { 2, 3, 0, 1, 2 } };
    static const long long long4[][5] = { { 4, 7, 5, 8, 4 } };

    is_status(cmd(c, "MSET k1 ohmytext k2 mynewtext"), "OK", "MSET k1 k2");
    is_str(cmd(c, "LCS k1 k2"), "mytext", 6, "LCS -> mytext");
    is_integer(cmd(c, "LCS k1 k2 LEN"), 6, "LCS LEN -> 6");
    lcs_idx_is(cmd(c, "LCS k1 k2 IDX"), all, 2, 6, 0, "LCS IDX");
    lcs_idx_is(cmd(c, "LCS k1 k2 IDX WITHMATCHLEN"), all, 2, 6, 1, "LCS IDX WITHMATCHLEN");
    lcs_idx_is(cmd(c, "lcs k1 k2 idx minmatchlen 4 withmatchlen"), long4, 1, 6, 1,
               "LCS IDX MINMATCHLEN 4 WITHMATCHLEN");
    lcs_idx_is(cmd(c, "LCS k1 k2 IDX MINMATCHLEN -5"), all, 2, 6, 0, "a negative MINMATCHLEN is 0");
    lcs_idx_is(cmd(c, "LCS k1 nokey IDX"), NULL, 0, 0, 0, "LCS IDX with a missing key");
    is_str(cmd(c, "LCS k1 nokey"), "", 0, "LCS with a missing key -> ''");
    is_integer(cmd(c, "LCS nokey nokey2 LEN"), 0, "LCS LEN of two missing keys -> 0");
    is_status(cmd(c, "MSET b1 %b b2 %b", "a\0b\0c", (size_t)5, "x\0\0c", (size_t)4), "OK",
              "MSET binary");
    is_str(cmd(c, "LCS b1 b2"), "\0\0c", 3, "LCS of binary strings");
    is_error(cmd(c, "LCS k1 k2 LEN IDX"),
             "ERR If you want both the length and indexes, please just use IDX.", "LEN and IDX");
    line_is_error(c, "LCS k1 k2 MINMATCHLEN", SYNTAX);
    line_is_error(c, "LCS k1 k2 FOO", SYNTAX);
    line_is_error(c, "LCS k1 k2 MINMATCHLEN x", NOTINT);
    line_is_error(c, "LCS k1 k2 LEN MINMATCHLEN x FOO", NOTINT);
    line_is_error(c, "LCS k1 k2 FOO MINMATCHLEN x", SYNTAX);
}

/* ---- arity ---------------------------------------------------------------------------------- */

static void test_arity(redisContext *c)
{
    static const char *const lines[] = {
        "SETNX k",        "SETNX k v x",     "SETEX k 10",      "SETEX k 10 v x",
        "PSETEX k 10",    "GETSET k",        "GETSET k v x",    "GETDEL",
        "GETDEL k x",     "GETEX",           "MSETNX k",        "APPEND k",
        "APPEND k v x",   "STRLEN",          "STRLEN k x",      "INCR",
        "INCR k x",       "DECR",            "INCRBY k",        "INCRBY k 1 2",
        "DECRBY k",       "INCRBYFLOAT k",   "GETRANGE k 0",    "GETRANGE k 0 1 2",
        "SUBSTR k 0",     "SETRANGE k 0",    "SETRANGE k 0 v x", "LCS k",
    };
    char want[128], lower[32], name[64];

    for (size_t i = 0; i < OMK_ARRAY_LEN(lines); i++) {
        size_t n = strcspn(lines[i], " ");

        OMK_ASSERT(n < sizeof(lower));
        for (size_t j = 0; j < n; j++) /* the name in lower case, as the error gives it */
            lower[j] = (char)(lines[i][j] | 0x20);
        lower[n] = '\0';
        snprintf(want, sizeof(want), "ERR wrong number of arguments for '%s' command", lower);
        snprintf(name, sizeof(name), "%s -> arity error", lines[i]);
        is_error(cmd(c, lines[i]), want, name);
    }
}

/* ---- concurrency: 4 connections INCR the same key 2,000 times each ------------------------ */

struct incr_arg {
    const struct tserver *s;
    int errors;
};

static void *incr_thread(void *p)
{
    struct incr_arg *a = p;
    redisContext *c = ts_connect(a->s);

    for (int i = 0; i < 2000; i++) {
        redisReply *r = redisCommand(c, "INCR counter");

        if (!r || r->type != REDIS_REPLY_INTEGER)
            a->errors++;
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

static void test_concurrent_incr(const struct tserver *s, redisContext *c)
{
    struct incr_arg a[4];
    pthread_t t[4];
    int errors = 0;

    is_integer(cmd(c, "DEL counter"), 0, "no counter yet");
    for (int i = 0; i < 4; i++) {
        a[i].s = s;
        a[i].errors = 0;
        omk_thread_create(&t[i], incr_thread, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        omk_thread_join(t[i]);
        errors += a[i].errors;
    }
    is_int(errors, 0, "4 connections x 2,000 INCR: every reply is an integer");
    is_str(cmd(c, "GET counter"), "8000", 4, "  ... and the counter is exactly 8000");
}

/* OBJECT ENCODING of 'key' is 'want'. */
static void is_enc(redisContext *c, const char *key, const char *want, const char *name)
{
    is_str(cmd(c, "OBJECT ENCODING %s", key), want, strlen(want), name);
}

/* OBJECT ENCODING answers by the value's history, as Redis 7.0 does: APPEND and SETRANGE
 * leave "raw" however short, INCRBYFLOAT "embstr" even for an integral result, SET and
 * INCR judge from the value; RENAME, COPY, MOVE, EXPIRE and GETEX keep what was there. */
static void test_encoding_history(redisContext *c)
{
    freeReplyObject(cmd(c, "DEL enc:a enc:b enc:c enc:f enc:g enc:h"));
    freeReplyObject(cmd(c, "SET enc:a 1"));
    is_enc(c, "enc:a", "int", "SET of digits: int");
    freeReplyObject(cmd(c, "APPEND enc:a 2"));
    is_enc(c, "enc:a", "raw", "APPEND to it: raw, though '12' is short digits");
    freeReplyObject(cmd(c, "COPY enc:a enc:b"));
    is_enc(c, "enc:b", "raw", "  ... and its COPY is raw");
    freeReplyObject(cmd(c, "RENAME enc:b enc:c"));
    freeReplyObject(cmd(c, "PEXPIRE enc:c 100000"));
    is_enc(c, "enc:c", "raw", "  ... after RENAME and PEXPIRE too");
    freeReplyObject(cmd(c, "SETRANGE enc:g 0 12"));
    is_enc(c, "enc:g", "raw", "SETRANGE of a missing key: raw");
    freeReplyObject(cmd(c, "INCRBYFLOAT enc:f 3"));
    is_enc(c, "enc:f", "embstr", "INCRBYFLOAT to '3': embstr, not int");
    freeReplyObject(cmd(c, "GETEX enc:f PERSIST"));
    is_enc(c, "enc:f", "embstr", "  ... after GETEX");
    freeReplyObject(cmd(c, "APPEND enc:h 12"));
    is_enc(c, "enc:h", "int", "APPEND to a missing key judges the value: int");
    freeReplyObject(cmd(c, "SET enc:a 7"));
    is_enc(c, "enc:a", "int", "SET starts the history again");
    freeReplyObject(cmd(c, "DEL enc:a enc:b enc:c enc:f enc:g enc:h"));
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_set_family(c);
    test_getex(c);
    test_msetnx(c);
    test_append_strlen(c);
    test_setrange(c);
    test_bulk_limit(c);
    test_incr(c);
    test_incrbyfloat(c);
    test_getrange(c);
    test_getrange_big(c);
    test_lcs(c);
    test_encoding_history(c);
    test_arity(c);
    test_concurrent_incr(&s, c);
    is_status(cmd(c, "PING"), "PONG", "the server still answers");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
