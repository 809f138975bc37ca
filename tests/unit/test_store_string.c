/* test_store_string.c - unit tests (TAP) of the string read-modify-writes in
 * store/ops_string.c over a real RocksDB in a fresh directory: INCRBY and INCRBYFLOAT
 * (parsing, overflow, formatting), APPEND and SETRANGE (padding, size limits), STRLEN,
 * GETDEL, GETEX, MSETNX (all or nothing, repeated keys) and MGET (batched reads, an
 * injected failure of its MultiGet); that each keeps or changes
 * the expiry as documented and treats expired keys as missing; injected RocksDB errors
 * that must change nothing; 4 threads incrementing one key; and a reopen of the store.
 * The counters are checked against a full walk (store_check) after each group. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/cache.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

/* The expiry of 'key' (0: none), or -1 if it is missing. */
static int64_t expiry_of(struct store *s, int db, const char *key)
{
    struct store_val *v;
    int64_t e;

    if (store_get(s, db, fx_sl(key), &v) != STORE_OK)
        return -1;
    e = v->expire_ms;
    store_val_release(v);
    return e;
}

/* SET 'key' = 'val' in 'db' with the absolute expiry 'expire_ms' (0: none); it must
 * succeed (aborts otherwise). */
static void set_str_ok(struct store *s, int db, const char *key, const char *val,
                       int64_t expire_ms)
{
    OMK_ASSERT(fx_set_str(s, db, key, val, expire_ms) == STORE_OK);
}

/* ---- INCRBY ---------------------------------------------------------------------------- */

static void test_incrby(struct store *s)
{
    static const char *bad[] = { " 1", "1 ", "+1", "01", "-0", "", "1.0", "abc",
                                 "9223372036854775808", "-9223372036854775809", "1\0" };
    long long v = 42;
    int64_t exp;

    is_int(store_incrby(s, 0, fx_sl("n"), 1, &v), STORE_OK, "INCRBY a missing key");
    is_int(v, 1, "it starts at 0");
    is_int(store_incrby(s, 0, fx_sl("n"), -5, &v), STORE_OK, "INCRBY -5");
    is_int(v, -4, "1 - 5 = -4");
    ok(fx_str_is(s, 0, "n", "-4"), "the value is stored in decimal");

    for (size_t i = 0; i < OMK_ARRAY_LEN(bad); i++) {
        size_t n = i == OMK_ARRAY_LEN(bad) - 1 ? 2 : strlen(bad[i]); /* "1\0": binary */

        OMK_ASSERT(store_set(s, 0, fx_sl("bad"), fx_sl_n(bad[i], n), 0, 0, NULL) == STORE_OK);
        v = 42;
        is_int(store_incrby(s, 0, fx_sl("bad"), 1, &v), STORE_NOTINT,
               "INCRBY of '%s': not an integer", bad[i]);
        ok(v == 42 && fx_val_is(s, 0, "bad", bad[i], n), "  ... '%s' unchanged, out untouched",
           bad[i]);
    }

    set_str_ok(s, 0, "max", "9223372036854775807", 0);
    is_int(store_incrby(s, 0, fx_sl("max"), 1, &v), STORE_OVERFLOW, "LLONG_MAX + 1 overflows");
    ok(fx_str_is(s, 0, "max", "9223372036854775807"), "  ... and changes nothing");
    is_int(store_incrby(s, 0, fx_sl("max"), LLONG_MIN, &v), STORE_OK, "LLONG_MAX + LLONG_MIN");
    is_int(v, -1, "  ... is -1");
    set_str_ok(s, 0, "min", "-9223372036854775808", 0);
    is_int(store_incrby(s, 0, fx_sl("min"), -1, &v), STORE_OVERFLOW, "LLONG_MIN - 1 overflows");
    is_int(store_incrby(s, 0, fx_sl("min"), LLONG_MAX, &v), STORE_OK, "LLONG_MIN + LLONG_MAX");
    is_int(v, -1, "  ... is -1");
    is_int(store_incrby(s, 0, fx_sl("zero"), LLONG_MIN, &v), STORE_OK, "0 + LLONG_MIN");
    ok(fx_str_is(s, 0, "zero", "-9223372036854775808"), "  ... stored as LLONG_MIN");

    exp = omk_now_ms() + 100000;
    set_str_ok(s, 0, "ttl", "10", exp);
    is_int(store_incrby(s, 0, fx_sl("ttl"), 5, &v), STORE_OK, "INCRBY a key with a TTL");
    is_int(expiry_of(s, 0, "ttl"), exp, "  ... keeps its expiry");
    ok(fx_str_is(s, 0, "ttl", "15"), "  ... and holds 15");

    set_str_ok(s, 0, "old", "100", omk_now_ms() + 30);
    fx_sleep_ms(60);
    is_int(store_incrby(s, 0, fx_sl("old"), 1, &v), STORE_OK, "INCRBY an expired key");
    is_int(v, 1, "  ... starts again from 0");
    is_int(expiry_of(s, 0, "old"), 0, "  ... with no expiry");

    is_int(store_incrby(s, 3, fx_sl("n"), 7, &v), STORE_OK, "INCRBY in db 3");
    ok(fx_str_is(s, 3, "n", "7") && fx_str_is(s, 0, "n", "-4"), "  ... leaves db 0 alone");
    fx_check_store(s, "INCRBY");
}

/* ---- INCRBYFLOAT ----------------------------------------------------------------------- */

/* INCRBYFLOAT 'key' by 'incr' (parsed as the daemon parses it); 1 if the reply and the
 * stored value are both 'want'. */
static int incrf_is(struct store *s, const char *key, const char *incr, const char *want)
{
    char out[STORE_FLOAT_STR_MAX];
    long double d;
    size_t n = 0;
    int rc;

    OMK_ASSERT(omk_str2ld(incr, strlen(incr), &d));
    rc = store_incrbyfloat(s, 0, fx_sl(key), d, out, &n);
    if (rc != STORE_OK) {
        diag("  INCRBYFLOAT %s %s: rc %d", key, incr, rc);
        return 0;
    }
    if (n != strlen(want) || memcmp(out, want, n) != 0) {
        diag("  INCRBYFLOAT %s %s: got '%.*s', want '%s'", key, incr, (int)(n > 80 ? 80 : n),
             out, want);
        return 0;
    }
    return fx_str_is(s, 0, key, want);
}

static void test_incrbyfloat(struct store *s)
{
    /* 1e308 + 1e308 in long double, as Redis 7.0 on x86-64 prints it. */
    static const char two_e308[] =
        "199999999999999999993371759311691291321120199694831134415594095989843469737676123744"
        "200253843777078640893494450108026446304269499187921167194841628860392837535918200039"
        "206381557326219209014213335878306791577877829121087126122536729803237260434173178506"
        "889763247582601711514636284849020905456510092687857156096";
    char out[STORE_FLOAT_STR_MAX];
    long double d;
    size_t n = 0;
    int64_t exp;

    ok(incrf_is(s, "f", "10.5", "10.5"), "INCRBYFLOAT a missing key starts at 0");
    ok(incrf_is(s, "f", "0.1", "10.6"), "10.5 + 0.1 = 10.6 (17 digits, zeros trimmed)");
    ok(incrf_is(s, "f", "-10.6", "0"), "10.6 - 10.6 = 0 (no '-0', no '.')");
    set_str_ok(s, 0, "f", "3.0e3", 0);
    ok(incrf_is(s, "f", "200", "3200"), "3.0e3 + 200 = 3200: exponents are read, not written");
    ok(incrf_is(s, "f", "5.0e3", "8200"), "  ... and 5.0e3 more is 8200");
    ok(incrf_is(s, "g", "1e-20", "0"), "1e-20 prints as 0 (%%.17Lf)");
    ok(incrf_is(s, "h", "0x10", "16"), "hex floats are read, as strtold reads them");
    ok(incrf_is(s, "i", "-1.5", "-1.5"), "a negative result");
    set_str_ok(s, 0, "big", "1e308", 0);
    ok(incrf_is(s, "big", "1e308", two_e308), "1e308 + 1e308 does not overflow a long double");
    OMK_ASSERT(omk_str2ld("1e4000", 6, &d));
    is_int(store_incrbyfloat(s, 0, fx_sl("big2"), d, out, &n), STORE_OK, "INCRBYFLOAT by 1e4000");
    ok(n == 4000 && !memcmp(out, "99999999999999999999654638730996", 32) &&
           !memchr(out, '.', n),
       "  ... writes the long double nearest 1e4000 with all its 4000 digits, as Redis");
    ok(incrf_is(s, "fine", "1.23456789012345678901", "1.23456789012345679"),
       "17 digits after the point, rounded");
    ok(incrf_is(s, "tiny", "-0.00000000000000001", "-0.00000000000000001"),
       "-1e-17 keeps its sign and 17th digit");
    ok(incrf_is(s, "tiny2", "-0.000000000000000001", "0"), "-1e-18 prints as 0, not -0");

    set_str_ok(s, 0, "huge", "1e4932", 0);
    OMK_ASSERT(omk_str2ld("1e4932", 6, &d));
    is_int(store_incrbyfloat(s, 0, fx_sl("huge"), d, out, &n), STORE_NANINF,
           "1e4932 + 1e4932 is infinite");
    ok(fx_str_is(s, 0, "huge", "1e4932"), "  ... and changes nothing");
    OMK_ASSERT(omk_str2ld("inf", 3, &d));
    is_int(store_incrbyfloat(s, 0, fx_sl("nokey"), d, out, &n), STORE_NANINF, "+ inf is refused");
    ok(fx_str_is(s, 0, "nokey", NULL), "  ... and creates no key");
    set_str_ok(s, 0, "sp", " 1", 0);
    is_int(store_incrbyfloat(s, 0, fx_sl("sp"), 1, out, &n), STORE_NOTFLOAT,
           "' 1' is not a valid float");
    set_str_ok(s, 0, "sp", "1abc", 0);
    is_int(store_incrbyfloat(s, 0, fx_sl("sp"), 1, out, &n), STORE_NOTFLOAT,
           "'1abc' is not a valid float");
    OMK_ASSERT(store_set(s, 0, fx_sl("sp"), fx_sl_n("", 0), 0, 0, NULL) == STORE_OK);
    is_int(store_incrbyfloat(s, 0, fx_sl("sp"), 1, out, &n), STORE_NOTFLOAT,
           "'' is not a valid float");
    /* Regression: omk_str2ld stopped at a NUL and read "12\0abc" as 12. */
    OMK_ASSERT(store_set(s, 0, fx_sl("sp"), fx_sl_n("12\0abc", 6), 0, 0, NULL) == STORE_OK);
    is_int(store_incrbyfloat(s, 0, fx_sl("sp"), 1, out, &n), STORE_NOTFLOAT,
           "'12\\0abc' is not a valid float (a NUL inside)");
    OMK_ASSERT(store_set(s, 0, fx_sl("sp"), fx_sl_n("\0", 1), 0, 0, NULL) == STORE_OK);
    is_int(store_incrbyfloat(s, 0, fx_sl("sp"), 1, out, &n), STORE_NOTFLOAT,
           "'\\0' is not a valid float");
    ok(fx_val_is(s, 0, "sp", "\0", 1), "  ... and is left alone");

    exp = omk_now_ms() + 100000;
    set_str_ok(s, 0, "ft", "1.5", exp);
    ok(incrf_is(s, "ft", "1", "2.5"), "INCRBYFLOAT a key with a TTL");
    is_int(expiry_of(s, 0, "ft"), exp, "  ... keeps its expiry");
    fx_check_store(s, "INCRBYFLOAT");
}

/* ---- APPEND and SETRANGE ------------------------------------------------------------------ */

static void test_append(struct store *s)
{
    size_t n = 99;
    int64_t exp;

    is_int(store_append(s, 0, fx_sl("a"), fx_sl(""), 100, &n), STORE_OK,
           "APPEND '' to a missing key");
    is_int(n, 0, "  ... length 0");
    ok(fx_str_is(s, 0, "a", ""), "  ... and the key now exists, empty");
    is_int(store_append(s, 0, fx_sl("a"), fx_sl_n("x\0y", 3), 100, &n), STORE_OK, "APPEND binary");
    is_int(n, 3, "  ... length 3");
    is_int(store_append(s, 0, fx_sl("a"), fx_sl("zz"), 100, &n), STORE_OK, "APPEND again");
    ok(fx_val_is(s, 0, "a", "x\0yzz", 5) && n == 5, "  ... 'x\\0yzz'");
    is_int(store_append(s, 0, fx_sl("a"), fx_sl("0123456789"), 14, &n), STORE_TOOBIG,
           "APPEND past max_len");
    ok(fx_val_is(s, 0, "a", "x\0yzz", 5) && n == 5, "  ... changes nothing");
    is_int(store_append(s, 0, fx_sl("a"), fx_sl("012345678"), 14, &n), STORE_OK,
           "APPEND up to exactly max_len");
    is_int(n, 14, "  ... length 14");
    is_int(store_append(s, 0, fx_sl("b"), fx_sl("0123456789"), 5, &n), STORE_OK,
           "APPEND to a missing key is not limited (the argument itself was)");

    exp = omk_now_ms() + 100000;
    set_str_ok(s, 0, "at", "ab", exp);
    is_int(store_append(s, 0, fx_sl("at"), fx_sl("c"), 100, &n), STORE_OK,
           "APPEND to a key with a TTL");
    ok(fx_str_is(s, 0, "at", "abc") && expiry_of(s, 0, "at") == exp, "  ... keeps its expiry");
    set_str_ok(s, 0, "ao", "old", omk_now_ms() + 30);
    fx_sleep_ms(60);
    is_int(store_append(s, 0, fx_sl("ao"), fx_sl("new"), 100, &n), STORE_OK,
           "APPEND to an expired key");
    ok(fx_str_is(s, 0, "ao", "new") && expiry_of(s, 0, "ao") == 0 && n == 3,
       "  ... starts from nothing, with no expiry");
    fx_check_store(s, "APPEND");
}

static void test_setrange(struct store *s)
{
    size_t n = 99;
    int64_t exp;

    is_int(store_setrange(s, 0, fx_sl("r"), 5, fx_sl(""), 100, &n), STORE_OK,
           "SETRANGE '' on a missing key");
    ok(n == 0 && fx_str_is(s, 0, "r", NULL), "  ... returns 0 and creates nothing");
    is_int(store_setrange(s, 0, fx_sl("r"), 3, fx_sl("ab"), 100, &n), STORE_OK,
           "SETRANGE at 3 on a missing key");
    ok(n == 5 && fx_val_is(s, 0, "r", "\0\0\0ab", 5), "  ... pads with zero bytes");
    is_int(store_setrange(s, 0, fx_sl("r"), 1, fx_sl("X"), 100, &n), STORE_OK, "SETRANGE inside");
    ok(n == 5 && fx_val_is(s, 0, "r", "\0X\0ab", 5), "  ... overwrites one byte");
    is_int(store_setrange(s, 0, fx_sl("r"), 4, fx_sl("YZ"), 100, &n), STORE_OK,
           "SETRANGE across the end");
    ok(n == 6 && fx_val_is(s, 0, "r", "\0X\0aYZ", 6), "  ... grows by one");
    is_int(store_setrange(s, 0, fx_sl("r"), 1000, fx_sl(""), 100, &n), STORE_OK,
           "SETRANGE '' far out on an existing key");
    ok(n == 6 && fx_val_is(s, 0, "r", "\0X\0aYZ", 6), "  ... returns the length, changes nothing");
    is_int(store_setrange(s, 0, fx_sl("r"), 99, fx_sl("ab"), 100, &n), STORE_TOOBIG,
           "offset + length past max_len");
    is_int(store_setrange(s, 0, fx_sl("r2"), SIZE_MAX, fx_sl("ab"), 100, &n), STORE_TOOBIG,
           "an offset that would wrap around");
    ok(fx_str_is(s, 0, "r2", NULL), "  ... creates nothing");
    is_int(store_setrange(s, 0, fx_sl("r2"), 98, fx_sl("ab"), 100, &n), STORE_OK,
           "offset + length of exactly max_len");
    is_int(n, 100, "  ... length 100");

    exp = omk_now_ms() + 100000;
    set_str_ok(s, 0, "rt", "hello", exp);
    is_int(store_setrange(s, 0, fx_sl("rt"), 0, fx_sl("J"), 100, &n), STORE_OK,
           "SETRANGE a key with a TTL");
    ok(fx_str_is(s, 0, "rt", "Jello") && expiry_of(s, 0, "rt") == exp, "  ... keeps its expiry");
    set_str_ok(s, 0, "ro", "hello", omk_now_ms() + 30);
    fx_sleep_ms(60);
    is_int(store_setrange(s, 0, fx_sl("ro"), 0, fx_sl(""), 100, &n), STORE_OK,
           "SETRANGE '' on an expired key");
    ok(n == 0 && fx_str_is(s, 0, "ro", NULL), "  ... sees no key");
    fx_check_store(s, "SETRANGE");
}

/* ---- STRLEN, GETDEL, GETEX -------------------------------------------------------------- */

static void test_strlen(struct store *s)
{
    uint64_t before;
    size_t n = 99;

    is_int(store_strlen(s, 0, fx_sl("nope"), &n), STORE_NOTFOUND, "STRLEN of a missing key");
    is_int(n, 99, "  ... leaves the out-param alone");
    OMK_ASSERT(store_set(s, 0, fx_sl("l"), fx_sl_n("a\0b\0c", 5), 0, 0, NULL) == STORE_OK);
    is_int(store_strlen(s, 0, fx_sl("l"), &n), STORE_OK, "STRLEN");
    is_int(n, 5, "  ... counts binary bytes");
    set_str_ok(s, 0, "le", "", 0);
    ok(store_strlen(s, 0, fx_sl("le"), &n) == STORE_OK && n == 0, "STRLEN of an empty value is 0");
    set_str_ok(s, 0, "lx", "abc", omk_now_ms() + 30);
    fx_sleep_ms(60);
    before = store_dbsize(s, 0);
    is_int(store_strlen(s, 0, fx_sl("lx"), &n), STORE_NOTFOUND, "STRLEN of an expired key");
    is_int(store_dbsize(s, 0), before - 1, "  ... removes it");
    fx_check_store(s, "STRLEN");
}

static void test_getdel(struct store *s)
{
    struct store_val *v = NULL;
    uint64_t before;

    set_str_ok(s, 0, "gd", "value", 0);
    before = store_dbsize(s, 0);
    is_int(store_getdel(s, 0, fx_sl("gd"), &v), STORE_OK, "GETDEL");
    ok(v && v->len == 5 && !memcmp(v->data, "value", 5), "  ... returns the value");
    store_val_release(v);
    ok(fx_str_is(s, 0, "gd", NULL) && store_dbsize(s, 0) == before - 1,
       "  ... and removes the key");
    v = NULL;
    is_int(store_getdel(s, 0, fx_sl("gd"), &v), STORE_NOTFOUND, "GETDEL of a missing key");
    ok(v == NULL, "  ... returns nothing");
    set_str_ok(s, 0, "gdx", "v", omk_now_ms() + 30);
    fx_sleep_ms(60);
    is_int(store_getdel(s, 0, fx_sl("gdx"), &v), STORE_NOTFOUND, "GETDEL of an expired key");
    fx_check_store(s, "GETDEL");
}

static void test_getex(struct store *s)
{
    struct store_val *v = NULL;
    int64_t exp = omk_now_ms() + 100000, exp2 = exp + 50000;

    set_str_ok(s, 0, "ge", "val", exp);
    is_int(store_getex(s, 0, fx_sl("ge"), STORE_GETEX_KEEP, 0, &v), STORE_OK, "GETEX, no option");
    ok(v && v->len == 3 && v->expire_ms == exp, "  ... the value and its expiry");
    store_val_release(v);
    is_int(expiry_of(s, 0, "ge"), exp, "  ... left alone");
    is_int(store_getex(s, 0, fx_sl("ge"), STORE_GETEX_SET, exp2, &v), STORE_OK, "GETEX set expiry");
    ok(v && v->expire_ms == exp, "  ... returns the value with the old expiry");
    store_val_release(v);
    is_int(expiry_of(s, 0, "ge"), exp2, "  ... which is now the new one");
    is_int(store_db_expires(s, 0) > 0, 1, "  ... counted among keys with an expiry");
    is_int(store_getex(s, 0, fx_sl("ge"), STORE_GETEX_PERSIST, 0, &v), STORE_OK, "GETEX PERSIST");
    store_val_release(v);
    ok(fx_str_is(s, 0, "ge", "val") && expiry_of(s, 0, "ge") == 0, "  ... removes the expiry");
    is_int(store_getex(s, 0, fx_sl("ge"), STORE_GETEX_PERSIST, 0, &v), STORE_OK,
           "GETEX PERSIST without an expiry");
    store_val_release(v);
    fx_check_store(s, "GETEX PERSIST");
    is_int(store_getex(s, 0, fx_sl("ge"), STORE_GETEX_SET, 1000, &v), STORE_OK,
           "GETEX with a time in the past");
    ok(v && v->len == 3 && !memcmp(v->data, "val", 3), "  ... still returns the value");
    store_val_release(v);
    ok(fx_str_is(s, 0, "ge", NULL), "  ... and deletes the key");
    v = NULL;
    is_int(store_getex(s, 0, fx_sl("ge"), STORE_GETEX_SET, exp, &v), STORE_NOTFOUND,
           "GETEX of a missing key");
    ok(v == NULL && fx_str_is(s, 0, "ge", NULL), "  ... creates nothing");
    fx_check_store(s, "GETEX");
}

/* ---- MSETNX ------------------------------------------------------------------------------ */

static void test_msetnx(struct store *s)
{
    struct omk_slice kv[6];
    uint64_t before = store_dbsize(s, 1);

    kv[0] = fx_sl("m1"), kv[1] = fx_sl("1"), kv[2] = fx_sl("m2"), kv[3] = fx_sl("2");
    is_int(store_msetnx(s, 1, kv, 2), STORE_OK, "MSETNX of two new keys");
    ok(fx_str_is(s, 1, "m1", "1") && fx_str_is(s, 1, "m2", "2"), "  ... writes both");
    is_int(store_dbsize(s, 1), before + 2, "  ... counts two keys");
    kv[0] = fx_sl("m3"), kv[1] = fx_sl("3"), kv[2] = fx_sl("m2"), kv[3] = fx_sl("x");
    is_int(store_msetnx(s, 1, kv, 2), STORE_NOTSET, "MSETNX when one key exists");
    ok(fx_str_is(s, 1, "m3", NULL) && fx_str_is(s, 1, "m2", "2"), "  ... writes nothing");
    kv[0] = fx_sl("d"), kv[1] = fx_sl("first"), kv[2] = fx_sl("e"), kv[3] = fx_sl("E");
    kv[4] = fx_sl("d"), kv[5] = fx_sl("last");
    is_int(store_msetnx(s, 1, kv, 3), STORE_OK, "MSETNX naming a key twice");
    ok(fx_str_is(s, 1, "d", "last") && fx_str_is(s, 1, "e", "E"), "  ... the last value wins");
    is_int(store_dbsize(s, 1), before + 4, "  ... and it counts once");
    set_str_ok(s, 1, "gone", "v", omk_now_ms() + 30);
    set_str_ok(s, 1, "ttl", "v", omk_now_ms() + 100000);
    fx_sleep_ms(60);
    kv[0] = fx_sl("gone"), kv[1] = fx_sl("back");
    is_int(store_msetnx(s, 1, kv, 1), STORE_OK, "MSETNX over an expired key");
    ok(fx_str_is(s, 1, "gone", "back") && expiry_of(s, 1, "gone") == 0,
       "  ... writes it, no expiry");
    kv[0] = fx_sl("new"), kv[1] = fx_sl("v"), kv[2] = fx_sl("ttl"), kv[3] = fx_sl("v");
    is_int(store_msetnx(s, 1, kv, 2), STORE_NOTSET, "MSETNX when a key with a TTL exists");
    ok(fx_str_is(s, 1, "new", NULL), "  ... writes nothing");
    fx_check_store(s, "MSETNX");
}

/* ---- Injected errors: an operation whose RocksDB read or write fails changes nothing -- */

static void test_errors(struct store *s)
{
    struct store_val *v = NULL;
    long long n = 42;
    size_t len = 42;

    set_str_ok(s, 0, "e", "5", 0);
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_incrby(s, 0, fx_sl("e"), 1, &n), STORE_ERR_IO, "INCRBY whose write fails");
    ok(n == 42 && fx_str_is(s, 0, "e", "5"), "  ... changes nothing, out untouched");
    store_test_fail_next(s, ROCKS_OP_GET, STORE_ERR_IO);
    is_int(store_append(s, 0, fx_sl("e"), fx_sl("x"), 100, &len), STORE_ERR_IO,
           "APPEND whose read fails");
    ok(len == 42 && fx_str_is(s, 0, "e", "5"), "  ... changes nothing");
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_getdel(s, 0, fx_sl("e"), &v), STORE_ERR_IO, "GETDEL whose delete fails");
    ok(v == NULL && fx_str_is(s, 0, "e", "5"), "  ... returns nothing, the key stays");
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_getex(s, 0, fx_sl("e"), STORE_GETEX_PERSIST, 0, &v) == STORE_OK, 1,
           "GETEX PERSIST of a key without expiry writes nothing, so cannot fail");
    store_val_release(v);
    v = NULL;
    is_int(store_getex(s, 0, fx_sl("e"), STORE_GETEX_SET, omk_now_ms() + 100000, &v),
           STORE_ERR_IO, "  ... the failure armed above hits the next write, GETEX EX");
    ok(v == NULL && expiry_of(s, 0, "e") == 0, "  ... which changes nothing");
    fx_check_store(s, "injected errors");
}

/* ---- MGET: one batched read, each key judged as GET judges it ---------------------------- */

/* The outcome of store_mget() for key i is 'want_rc' with value 'want' (NULL: none). */
static int mget_is(struct store_val *const *out, const int *rcs, size_t i, int want_rc,
                   const char *want)
{
    if (rcs[i] != want_rc)
        return 0;
    if (!want)
        return out[i] == NULL;
    return out[i] && out[i]->len == strlen(want) && memcmp(out[i]->data, want, out[i]->len) == 0;
}

static void test_mget(struct store *s)
{
    struct omk_slice keys[7] = {fx_sl("m1"), fx_sl("mnone"), fx_sl("mh"), fx_sl("mexp"),
                                fx_sl("m2"), fx_sl("m1"), fx_sl("m3")};
    struct omk_slice fv[2] = {fx_sl("f"), fx_sl("v")};
    struct store_val *out[7];
    int rcs[7], all = 1;
    size_t added = 0;

    set_str_ok(s, 0, "m1", "one", 0);
    set_str_ok(s, 0, "m2", "two", 0);
    set_str_ok(s, 0, "m3", "three", omk_now_ms() + 100000);
    set_str_ok(s, 0, "mexp", "x", omk_now_ms() + 5);
    OMK_ASSERT(store_hset(s, 0, fx_sl("mh"), fv, 1, 0, &added) == STORE_OK);
    fx_sleep_ms(10);
    store_mget(s, 0, keys, 7, out, rcs);
    ok(mget_is(out, rcs, 0, STORE_OK, "one") && mget_is(out, rcs, 1, STORE_NOTFOUND, NULL) &&
           mget_is(out, rcs, 2, STORE_WRONGTYPE, NULL) &&
           mget_is(out, rcs, 3, STORE_NOTFOUND, NULL) && mget_is(out, rcs, 4, STORE_OK, "two") &&
           mget_is(out, rcs, 5, STORE_OK, "one") && mget_is(out, rcs, 6, STORE_OK, "three"),
       "MGET: values, missing, another type, expired, a repeated key");
    ok(out[6] && out[6]->expire_ms > 0, "  ... a value comes with its expiry");
    for (int i = 0; i < 7; i++)
        store_val_release(out[i]);
    is_int(expiry_of(s, 0, "mexp"), -1, "  ... the expired key was removed on the way");
    fx_check_store(s, "MGET");

    /* A failed MultiGet fails only the keys it was reading; no fill ticket stays behind. */
    cache_clear(s->cache); /* every key of the batch is read */
    store_test_fail_next(s, ROCKS_OP_GET, STORE_ERR_IO);
    store_mget(s, 0, keys, 7, out, rcs);
    ok(mget_is(out, rcs, 0, STORE_ERR_IO, NULL) && mget_is(out, rcs, 1, STORE_NOTFOUND, NULL) &&
           mget_is(out, rcs, 2, STORE_WRONGTYPE, NULL) &&
           mget_is(out, rcs, 4, STORE_ERR_IO, NULL) && mget_is(out, rcs, 6, STORE_ERR_IO, NULL),
       "MGET whose read fails: those keys fail, the index answers the others");
    fx_check_store(s, "a failed MGET");
    store_mget(s, 0, keys, 7, out, rcs);
    for (int i = 0; i < 7; i++) {
        all &= (i == 1 || i == 2 || i == 3) || rcs[i] == STORE_OK;
        store_val_release(out[i]);
    }
    ok(all, "  ... the next MGET reads them");
    fx_check_store(s, "MGET after a failed one");
}

/* ---- Concurrency: INCRBY is atomic under the stripe lock ------------------------------- */

struct incr_arg {
    struct store *s;
    int n;
    int failures;
};

static void *incr_thread(void *p)
{
    struct incr_arg *a = p;
    long long v;
    size_t n;

    for (int i = 0; i < a->n; i++) {
        if (store_incrby(a->s, 0, fx_sl("counter"), 1, &v) != STORE_OK)
            a->failures++;
        if (store_append(a->s, 0, fx_sl("log"), fx_sl("x"), SIZE_MAX, &n) != STORE_OK)
            a->failures++;
    }
    return NULL;
}

static void test_concurrency(struct store *s)
{
    enum { THREADS = 4, EACH = 2000 };
    struct incr_arg a[THREADS];
    pthread_t t[THREADS];
    int failures = 0;
    size_t n = 0;

    for (int i = 0; i < THREADS; i++) {
        a[i].s = s;
        a[i].n = EACH;
        a[i].failures = 0;
        omk_thread_create(&t[i], incr_thread, &a[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        omk_thread_join(t[i]);
        failures += a[i].failures;
    }
    is_int(failures, 0, "4 threads x 2,000 INCRBY + APPEND: no call failed");
    ok(fx_str_is(s, 0, "counter", "8000"), "  ... the counter is exactly 8000");
    ok(store_strlen(s, 0, fx_sl("log"), &n) == STORE_OK && n == THREADS * EACH,
       "  ... the appended value is exactly 8000 bytes");
    fx_check_store(s, "concurrent INCRBY");
}

int main(void)
{
    char *dir = fx_tmpdir_new("store-string");
    struct store *s = fx_store_open(dir, NULL);
    size_t n = 0;

    test_incrby(s);
    test_incrbyfloat(s);
    test_append(s);
    test_setrange(s);
    test_strlen(s);
    test_getdel(s);
    test_getex(s);
    test_msetnx(s);
    test_errors(s);
    test_mget(s);
    test_concurrency(s);

    store_close(s);
    s = fx_store_open(dir, NULL);
    fx_check_store(s, "reopening the store");
    ok(fx_str_is(s, 0, "counter", "8000") && fx_str_is(s, 0, "f", "8200") &&
           fx_val_is(s, 0, "r", "\0X\0aYZ", 6) && fx_str_is(s, 1, "d", "last") &&
           fx_str_is(s, 3, "n", "7"),
       "after a reopen the values written by INCRBY, INCRBYFLOAT, SETRANGE, MSETNX are there");
    ok(store_strlen(s, 0, fx_sl("log"), &n) == STORE_OK && n == 8000, "  ... and the APPENDed one");
    is_int(expiry_of(s, 0, "rt") > 0, 1, "  ... and the expiry SETRANGE kept");
    store_close(s);
    fx_tmpdir_rm(dir);
    return tap_done();
}
