/* test_strings.c - the string commands against a real server: GET and SET with every
 * option (NX XX GET KEEPTTL EX PX EXAT PXAT), the combinations Redis 7 accepts and the
 * ones it rejects, expiry observed through keys vanishing on time, MGET/MSET, binary-safe
 * keys and values, empty, 1 MB and 100 MB values, a 10,000-pair pipeline, and the RESP2
 * and RESP3 bytes of GET/MGET/SET GET replies. Every expectation was checked against
 * redis-server 7.0 (OMK_TEST_SERVER=127.0.0.1:port runs the same program against it). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

#define BIG_MB 100

/* Fill 'buf'/'len' with bytes from a xorshift generator seeded by 'seed', so that a
 * shifted, truncated or partly zeroed copy never compares equal. */
static void fill_pattern(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed | 1;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)(x >> 24);
    }
}

/* Run 'line', split on single spaces into arguments (no quoting), and return the reply
 * (caller frees). For command lines built at run time or kept in tables. */
static redisReply *cmdline(redisContext *c, const char *line)
{
    char *copy = omk_memdup(line, strlen(line));
    const char *argv[32];
    size_t lens[32];
    int argc = 0;
    redisReply *r;

    for (char *p = copy, *sp; p && argc < 32; p = sp ? sp + 1 : NULL) {
        sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        argv[argc] = p;
        lens[argc++] = strlen(p);
    }
    r = redisCommandArgv(c, argc, argv, lens);
    omk_free(copy);
    return r;
}

/* ---- option parsing: accepted and rejected combinations ---- */

static void test_set_options(redisContext *c)
{
    static const char *const syntax[] = {
        "SET opt v NX XX",         "SET opt v XX NX",
        "SET opt v EX 10 PX 100",  "SET opt v PX 100 EX 10",
        "SET opt v KEEPTTL EX 10", "SET opt v EX 10 KEEPTTL",
        "SET opt v KEEPTTL PX 10", "SET opt v PX 100 KEEPTTL",
        "SET opt v EXAT 9999999999 PXAT 1",
        "SET opt v EX",            "SET opt v PX",
        "SET opt v EXAT",          "SET opt v PXAT",
        "SET opt v FOO",           "SET opt v NX FOO",
        /* Redis checks the syntax of all options before any expire value. */
        "SET opt v EX abc FOO",    "SET opt v EX 0 NX XX",
    };
    static const char *const badtime[] = {
        "SET opt v EX 0",          "SET opt v EX -1",
        "SET opt v PX 0",          "SET opt v PX -100",
        "SET opt v EXAT 0",        "SET opt v EXAT -1",
        "SET opt v PXAT 0",        "SET opt v PXAT -5",
        /* overflow once converted to ms or added to the current time */
        "SET opt v EX 9223372036854775807",
        "SET opt v EX 9223372036854775",
        "SET opt v PX 9223372036854775807",
        "SET opt v EXAT 9223372036854775807",
    };
    static const char *const notint[] = {
        "SET opt v EX abc",        "SET opt v EX 1.5",
        "SET opt v PX 10ms",       "SET opt v EX 010",
        "SET opt v EX +5",         "SET opt v PXAT 1e3",
        "SET opt v EX 9223372036854775808",
    };
    char name[128];

    is_status(cmd(c, "SET opt orig"), "OK", "SET plain");
    is_str(cmd(c, "GET opt"), "orig", 4, "GET after SET");
    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
        snprintf(name, sizeof(name), "%s -> syntax error", syntax[i]);
        is_error(cmdline(c, syntax[i]), "ERR syntax error", name);
    }
    for (size_t i = 0; i < sizeof(badtime) / sizeof(badtime[0]); i++) {
        snprintf(name, sizeof(name), "%s -> invalid expire time", badtime[i]);
        is_error(cmdline(c, badtime[i]), "ERR invalid expire time in 'set' command", name);
    }
    for (size_t i = 0; i < sizeof(notint) / sizeof(notint[0]); i++) {
        snprintf(name, sizeof(name), "%s -> not an integer", notint[i]);
        is_error(cmdline(c, notint[i]), "ERR value is not an integer or out of range", name);
    }
    is_error(cmd(c, "SET opt v EX %s", ""), "ERR value is not an integer or out of range",
             "SET EX '' -> not an integer");
    is_str(cmd(c, "GET opt"), "orig", 4, "rejected SETs left the value alone");
    is_error(cmd(c, "SET fresh v NX XX"), "ERR syntax error", "NX XX on a missing key");
    is_integer(cmd(c, "EXISTS fresh"), 0, "a rejected SET creates nothing");
    is_error(cmd(c, "SET fresh v EX 0"), "ERR invalid expire time in 'set' command",
             "EX 0 on a missing key");
    is_integer(cmd(c, "EXISTS fresh"), 0, "an invalid expire creates nothing");

    is_error(cmd(c, "SET opt"), "ERR wrong number of arguments for 'set' command", "SET arity");
    is_error(cmd(c, "SET"), "ERR wrong number of arguments for 'set' command", "SET no args");
    is_error(cmd(c, "GET a b"), "ERR wrong number of arguments for 'get' command", "GET arity");



    /* Options Redis accepts: any case, repeated flags, big but representable times. */
    is_status(cmd(c, "set opt v1 xx"), "OK", "lower-case xx");
    is_str(cmd(c, "GET opt"), "v1", 2, "xx replaced the value");
    is_status(cmd(c, "SET opt v2 Ex 100"), "OK", "mixed-case Ex");
    is_status(cmd(c, "SET opt v3 XX XX"), "OK", "XX XX is accepted");
    is_status(cmd(c, "SET opt v4 KEEPTTL KEEPTTL"), "OK", "KEEPTTL KEEPTTL is accepted");
    is_status(cmd(c, "SET opt v5 EX 10 EX 20"), "OK", "EX twice is accepted");
    is_str(cmd(c, "SET opt v6 GET GET"), "v5", 2, "GET GET is accepted and returns the old value");
    is_nil(cmd(c, "SET opt v7 NX NX"), "NX NX on an existing key is accepted, replies nil");
    is_status(cmd(c, "SET opt v8 PX 9000000000000000000"), "OK", "PX 9e18 fits and is accepted");
    is_status(cmd(c, "SET opt v9 PXAT 9223372036854775807"), "OK", "PXAT LLONG_MAX is accepted");
    is_status(cmd(c, "SET opt v10 EXAT 9223372036854775"), "OK",
              "EXAT 9223372036854775 (fits in ms) is accepted");
    is_str(cmd(c, "GET opt"), "v10", 3, "a far-future expiry keeps the key");
}

/* ---- NX / XX / GET semantics ---- */

static void test_set_conditions(redisContext *c)
{
    is_nil(cmd(c, "SET nx:k v1 XX"), "XX on a missing key -> nil");
    is_integer(cmd(c, "EXISTS nx:k"), 0, "XX on a missing key did not create it");
    is_status(cmd(c, "SET nx:k v1 NX"), "OK", "NX on a missing key -> OK");
    is_str(cmd(c, "GET nx:k"), "v1", 2, "NX set the value");
    is_nil(cmd(c, "SET nx:k v2 NX"), "NX on an existing key -> nil");
    is_str(cmd(c, "GET nx:k"), "v1", 2, "NX on an existing key kept the old value");
    is_status(cmd(c, "SET nx:k v3 XX"), "OK", "XX on an existing key -> OK");
    is_str(cmd(c, "GET nx:k"), "v3", 2, "XX replaced the value");

    is_nil(cmd(c, "SET get:k v1 GET"), "GET option on a missing key -> nil");
    is_str(cmd(c, "GET get:k"), "v1", 2, "GET option still set the value");
    is_str(cmd(c, "SET get:k v2 GET"), "v1", 2, "GET option returns the old value");
    is_str(cmd(c, "GET get:k"), "v2", 2, "...and sets the new one");
    is_str(cmd(c, "SET get:k v3 NX GET"), "v2", 2,
           "NX GET on an existing key returns the old value");
    is_str(cmd(c, "GET get:k"), "v2", 2, "NX GET on an existing key did not set");
    is_nil(cmd(c, "SET get:new v1 NX GET"), "NX GET on a missing key -> nil");
    is_str(cmd(c, "GET get:new"), "v1", 2, "NX GET on a missing key set it");
    is_str(cmd(c, "SET get:k v4 XX GET"), "v2", 2,
           "XX GET on an existing key returns the old value");
    is_str(cmd(c, "GET get:k"), "v4", 2, "XX GET on an existing key set it");
    is_nil(cmd(c, "SET get:none v XX GET"), "XX GET on a missing key -> nil");
    is_integer(cmd(c, "EXISTS get:none"), 0, "XX GET on a missing key did not create it");
    is_str(cmd(c, "SET get:k v5 GET EX 100"), "v4", 2, "GET with EX returns the old value");
    is_str(cmd(c, "GET get:k"), "v5", 2, "GET with EX set the value");

    /* An absolute expiry in the past deletes the key and still replies OK. */
    is_status(cmd(c, "SET past:k v"), "OK", "SET past:k");
    is_status(cmd(c, "SET past:k v2 PXAT 1"), "OK", "PXAT in the past -> OK");
    is_nil(cmd(c, "GET past:k"), "PXAT in the past deleted the key");
    is_integer(cmd(c, "EXISTS past:k"), 0, "EXISTS after PXAT in the past");
    is_status(cmd(c, "SET past:n v PXAT 1"), "OK", "PXAT in the past on a missing key -> OK");
    is_integer(cmd(c, "EXISTS past:n"), 0, "...and no key was created");
    is_status(cmd(c, "SET past:k v3"), "OK", "SET past:k again");
    is_status(cmd(c, "SET past:k v4 EXAT 1"), "OK", "EXAT in the past -> OK");
    is_integer(cmd(c, "EXISTS past:k"), 0, "EXAT in the past deleted the key");
    is_status(cmd(c, "SET past:k v5"), "OK", "SET past:k once more");
    is_str(cmd(c, "SET past:k v6 PXAT 1 GET"), "v5", 2,
           "PXAT in the past with GET returns the old value");
    is_integer(cmd(c, "EXISTS past:k"), 0, "...and deleted the key");
    is_nil(cmd(c, "SET past:n v PXAT 1 GET"), "PXAT in the past with GET on a missing key -> nil");
}

/* ---- expiry: keys vanish on time, KEEPTTL keeps it, plain writes clear it ---- */

struct ttl_key {
    const char *key;
    const char *val;     /* what GET must return while the key exists */
    int64_t t0;          /* monotonic us just before the SET that gave the TTL */
    long min_ms, max_ms; /* window for the key to vanish; min_ms < 0: must survive */
    long gone_ms;        /* when GET first returned nil, -1 while present */
    int bad;             /* GET returned something other than 'val' or nil */
};

/* Record t0 for 'k' and run "SET <key> <val> <opts>", which must reply OK. */
static void ttl_set(redisContext *c, struct ttl_key *k, const char *val, const char *opts)
{
    char line[160], name[200];

    snprintf(line, sizeof(line), "SET %s %s %s", k->key, val, opts);
    snprintf(name, sizeof(name), "%s -> OK", line);
    k->t0 = omk_mono_us();
    k->gone_ms = -1;
    is_status(cmdline(c, line), "OK", name);
}

static void test_expiry(redisContext *c)
{
    struct ttl_key ks[] = {
        {"ttl:px100", "a", 0, 100, 2000, -1, 0},  {"ttl:ex1", "b", 0, 1000, 3000, -1, 0},
        {"ttl:pxat", "c", 0, 300, 2300, -1, 0},   {"ttl:keep", "d2", 0, 300, 2300, -1, 0},
        {"ttl:keepxx", "e2", 0, 300, 2300, -1, 0}, {"ttl:keepget", "f2", 0, 300, 2300, -1, 0},
        {"ttl:last", "g", 0, 200, 2200, -1, 0},   {"ttl:nx", "h", 0, 300, 2300, -1, 0},
        {"ttl:plain", "i2", 0, -1, 0, -1, 0},     {"ttl:xx", "j2", 0, -1, 0, -1, 0},
        {"ttl:get", "k2", 0, -1, 0, -1, 0},       {"ttl:mset", "l2", 0, -1, 0, -1, 0},
        {"ttl:ex1000", "m", 0, -1, 0, -1, 0},
    };
    size_t n = sizeof(ks) / sizeof(ks[0]);
    char buf[128];
    int64_t start;
    size_t left;

    ttl_set(c, &ks[0], "a", "PX 100");
    ttl_set(c, &ks[1], "b", "EX 1");
    snprintf(buf, sizeof(buf), "PXAT %lld", (long long)omk_now_ms() + 300);
    ttl_set(c, &ks[2], "c", buf);
    ttl_set(c, &ks[3], "d", "PX 300");
    is_status(cmd(c, "SET ttl:keep d2 KEEPTTL"), "OK", "SET KEEPTTL");
    ttl_set(c, &ks[4], "e", "PX 300");
    is_status(cmd(c, "SET ttl:keepxx e2 XX KEEPTTL"), "OK", "SET XX KEEPTTL");
    ttl_set(c, &ks[5], "f", "PX 300");
    is_str(cmd(c, "SET ttl:keepget f2 KEEPTTL GET"), "f", 1,
           "SET KEEPTTL GET returns the old value");
    ttl_set(c, &ks[6], "g", "PX 60000 PX 200"); /* the last PX wins */
    ttl_set(c, &ks[7], "h", "PX 300");
    is_nil(cmd(c, "SET ttl:nx h2 NX EX 5000"), "SET NX on a volatile key -> nil");
    ttl_set(c, &ks[8], "i", "PX 200");
    is_status(cmd(c, "SET ttl:plain i2"), "OK", "plain SET over a volatile key");
    ttl_set(c, &ks[9], "j", "PX 200");
    is_status(cmd(c, "SET ttl:xx j2 XX"), "OK", "SET XX over a volatile key");
    ttl_set(c, &ks[10], "k", "PX 200");
    is_str(cmd(c, "SET ttl:get k2 GET"), "k", 1, "SET GET over a volatile key");
    ttl_set(c, &ks[11], "l", "PX 200");
    is_status(cmd(c, "MSET ttl:mset l2"), "OK", "MSET over a volatile key");
    ttl_set(c, &ks[12], "m", "EX 1000");

    /* Poll every key until each volatile one is gone and the others have outlived their
     * old TTL by a wide margin (1.5 s), 5 s at most. */
    start = omk_mono_us();
    do {
        left = 0;
        for (size_t i = 0; i < n; i++) {
            struct ttl_key *k = &ks[i];
            redisReply *r;

            if (k->gone_ms >= 0)
                continue;
            r = cmd(c, "GET %s", k->key);
            if (r && r->type == REDIS_REPLY_NIL)
                k->gone_ms = (long)((omk_mono_us() - k->t0) / 1000);
            else if (!r || r->type != REDIS_REPLY_STRING || strcmp(r->str, k->val))
                k->bad = 1;
            freeReplyObject(r);
            if (k->min_ms >= 0 && k->gone_ms < 0)
                left++;
        }
        ts_sleep_ms(5);
    } while ((left || omk_mono_us() - start < 1500000) && omk_mono_us() - start < 5000000);

    for (size_t i = 0; i < n; i++) {
        struct ttl_key *k = &ks[i];

        ok(!k->bad, "%s: GET returned '%s' until it expired", k->key, k->val);
        if (k->min_ms < 0) {
            if (!ok(k->gone_ms < 0, "%s: no TTL left, still present", k->key))
                diag("  vanished after %ld ms", k->gone_ms);
        } else if (!ok(k->gone_ms >= k->min_ms - 2 && k->gone_ms <= k->max_ms,
                       "%s: vanished after %ld..%ld ms", k->key, k->min_ms, k->max_ms)) {
            diag("  vanished after %ld ms (-1: never)", k->gone_ms);
        }
    }
    is_integer(cmd(c, "DEL ttl:plain ttl:xx ttl:get ttl:mset ttl:ex1000"), 5,
               "the keys without TTL were all still there");
}

/* ---- MGET / MSET ---- */

static void test_mget_mset(redisContext *c)
{
    redisReply *r;

    is_status(cmd(c, "MSET m:a 1 m:b 2 m:c 3"), "OK", "MSET three pairs");
    r = cmd(c, "MGET m:a m:missing m:b m:c m:missing2 m:a");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
           r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "1") &&
           r->element[1]->type == REDIS_REPLY_NIL &&
           r->element[2]->type == REDIS_REPLY_STRING && !strcmp(r->element[2]->str, "2") &&
           r->element[3]->type == REDIS_REPLY_STRING && !strcmp(r->element[3]->str, "3") &&
           r->element[4]->type == REDIS_REPLY_NIL &&
           r->element[5]->type == REDIS_REPLY_STRING && !strcmp(r->element[5]->str, "1"),
       "MGET with missing and repeated keys: values and nils in order");
    freeReplyObject(r);
    r = cmd(c, "MGET m:none1 m:none2");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_NIL && r->element[1]->type == REDIS_REPLY_NIL,
       "MGET of only missing keys: two nils");
    freeReplyObject(r);
    is_status(cmd(c, "MSET m:d x m:d y"), "OK", "MSET with a repeated key");
    is_str(cmd(c, "GET m:d"), "y", 1, "MSET: the last pair wins");
    is_error(cmd(c, "MSET m:a"), "ERR wrong number of arguments for 'mset' command",
             "MSET one arg");
    is_error(cmd(c, "MSET m:a 9 m:b"), "ERR wrong number of arguments for 'mset' command",
             "MSET odd arity");
    is_error(cmd(c, "MSET"), "ERR wrong number of arguments for 'mset' command", "MSET no args");
    is_str(cmd(c, "GET m:a"), "1", 1, "a rejected MSET wrote nothing");
    is_error(cmd(c, "MGET"), "ERR wrong number of arguments for 'mget' command", "MGET no args");
}

/* ---- binary safety, empty and large values ---- */

static void test_binary(redisContext *c)
{
    static const char key[] = "bin\0\r\n\xff key";
    static const char val[] = "\0\r\n\xff\xfe\r\n$3\r\nend";
    size_t klen = sizeof(key) - 1, vlen = sizeof(val) - 1;
    redisReply *r;

    is_status(cmd(c, "SET %b %b", key, klen, val, vlen), "OK", "SET binary key and value");
    is_str(cmd(c, "GET %b", key, klen), val, vlen, "GET binary value back byte for byte");
    is_status(cmd(c, "SET %b other", key, (size_t)3), "OK", "SET the key's 3-byte prefix");
    is_str(cmd(c, "GET %b", key, klen), val, vlen, "the prefix is a different key");
    is_status(cmd(c, "SET %b x", key, (size_t)4), "OK", "SET the prefix ending in NUL");
    is_str(cmd(c, "GET %b", key, (size_t)3), "other", 5, "'bin' and 'bin\\0' are different keys");
    is_integer(cmd(c, "EXISTS %b %b %b", key, klen, key, (size_t)3, key, (size_t)4), 3,
               "EXISTS sees all three binary keys");
    r = cmd(c, "MGET %b %b", key, klen, key, (size_t)4);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->len == vlen &&
           !memcmp(r->element[0]->str, val, vlen) && r->element[1]->len == 1,
       "MGET of binary keys");
    freeReplyObject(r);
    is_status(cmd(c, "MSET %b %b", "\xff\x00", (size_t)2, "\x00\xff", (size_t)2), "OK",
              "MSET binary pair");
    is_str(cmd(c, "GET %b", "\xff\x00", (size_t)2), "\x00\xff", 2, "GET the MSET binary pair");

    is_status(cmd(c, "SET empty %b", "", (size_t)0), "OK", "SET an empty value");
    is_str(cmd(c, "GET empty"), "", 0, "GET an empty value: empty string, not nil");
    is_integer(cmd(c, "EXISTS empty"), 1, "a key with an empty value exists");
    is_str(cmd(c, "SET empty x GET"), "", 0, "SET GET returns the empty old value");
    is_status(cmd(c, "SET %b emptykey", "", (size_t)0), "OK", "SET with an empty key");
    is_str(cmd(c, "GET %b", "", (size_t)0), "emptykey", 8, "GET the empty key");
    is_integer(cmd(c, "DEL %b", "", (size_t)0), 1, "DEL the empty key");
}

/* SET then GET a value of 'len' bytes; the reply must match byte for byte. */
static void big_roundtrip(redisContext *c, const char *key, size_t len, uint64_t seed)
{
    unsigned char *v = omk_malloc(len);
    int64_t t0;
    redisReply *r;
    char name[96];

    fill_pattern(v, len, seed);
    t0 = omk_mono_us();
    snprintf(name, sizeof(name), "SET a %zu-byte value", len);
    is_status(cmd(c, "SET %s %b", key, v, len), "OK", name);
    r = cmd(c, "GET %s", key);
    snprintf(name, sizeof(name), "GET the %zu-byte value back byte for byte", len);
    if (!ok(r && r->type == REDIS_REPLY_STRING && r->len == len && !memcmp(r->str, v, len), "%s",
            name)) {
        if (r && r->type == REDIS_REPLY_STRING)
            diag("  got %zu bytes", r->len);
        else
            ts_diag_reply(r);
    }
    freeReplyObject(r);
    diag("%zu bytes: SET + GET took %.1f ms", len, (double)(omk_mono_us() - t0) / 1000.0);
    /* An overwrite with a different pattern must not show old bytes. */
    v[len / 2] ^= 0x5a;
    is_status(cmd(c, "SET %s %b", key, v, len), "OK", "overwrite with one byte changed");
    r = cmd(c, "GET %s", key);
    ok(r && r->type == REDIS_REPLY_STRING && r->len == len && !memcmp(r->str, v, len),
       "GET returns the overwritten value");
    freeReplyObject(r);
    is_integer(cmd(c, "DEL %s", key), 1, "DEL the big value");
    omk_free(v);
}

/* ---- a pipeline of 10,000 SET/GET pairs ---- */

static void test_pipeline(redisContext *c)
{
    enum { N = 10000 };
    int bad = 0, first_bad = -1;
    char want[32];

    for (int i = 0; i < N; i++) {
        redisAppendCommand(c, "SET pipe:%d value:%d", i, i * 7);
        redisAppendCommand(c, "GET pipe:%d", i);
    }
    for (int i = 0; i < N; i++) {
        redisReply *r = NULL;
        int good;

        if (redisGetReply(c, (void **)&r) != REDIS_OK) {
            bad = N - i;
            first_bad = i;
            diag("connection error at reply %d: %s", 2 * i, c->errstr);
            break;
        }
        good = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK");
        freeReplyObject(r);
        r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) {
            bad = N - i;
            first_bad = i;
            diag("connection error at reply %d: %s", 2 * i + 1, c->errstr);
            break;
        }
        snprintf(want, sizeof(want), "value:%d", i * 7);
        good = good && r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, want);
        freeReplyObject(r);
        if (!good && bad++ == 0)
            first_bad = i;
    }
    if (!ok(bad == 0, "pipeline of %d SET/GET pairs: every reply correct and in order", N))
        diag("  %d bad pairs, the first at %d", bad, first_bad);
    is_str(cmd(c, "GET pipe:%d", N - 1), "value:69993", 11, "connection usable after the pipeline");
}

/* ---- RESP2 and RESP3 bytes on a raw connection ---- */

/* Append the multibulk encoding of the NULL-terminated 'argv' to 'buf' at '*off'. */
static void mb_append(char *buf, size_t cap, size_t *off, const char *const *argv)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    *off += (size_t)snprintf(buf + *off, cap - *off, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        *off += (size_t)snprintf(buf + *off, cap - *off, "$%zu\r\n%s\r\n", strlen(argv[i]),
                                 argv[i]);
}

/* Send 'req' on a new raw connection, read until the server is quiet for 500 ms, and
 * check that the bytes received end with 'tail'. */
static void raw_tail_is(const struct tserver *s, const char *req, size_t len, const char *tail,
                        const char *name)
{
    char out[8192];
    int closed;
    size_t n = ts_raw_roundtrip(s, req, len, out, sizeof(out), sizeof(out) - 1, 500, &closed);
    size_t tl = strlen(tail);

    if (!ok(n >= tl && !memcmp(out + n - tl, tail, tl) && !closed, "%s", name))
        diag("  got %zu bytes (closed=%d): '%s'", n, closed, out);
}

static void test_resp_bytes(const struct tserver *s)
{
    static const char *const hello3[] = {"HELLO", "3", NULL};
    static const char *const set[] = {"SET", "r3:key", "hello", NULL};
    static const char *const get_missing[] = {"GET", "r3:missing", NULL};
    static const char *const get[] = {"GET", "r3:key", NULL};
    static const char *const mget[] = {"MGET", "r3:key", "r3:missing", NULL};
    static const char *const set_get[] = {"SET", "r3:key", "x", "GET", NULL};
    static const char *const set_get_new[] = {"SET", "r3:new", "y", "GET", NULL};
    static const char *const set_nx[] = {"SET", "r3:key", "z", "NX", NULL};
    static const char *const del[] = {"DEL", "r3:key", "r3:new", NULL};
    const char *const *seq[] = {set, get_missing, get, mget, set_get, set_get_new, set_nx, del};
    char req[2048];
    size_t off;

    off = 0;
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
        mb_append(req, sizeof(req), &off, seq[i]);
    raw_tail_is(s, req, off,
                "+OK\r\n$-1\r\n$5\r\nhello\r\n*2\r\n$5\r\nhello\r\n$-1\r\n$5\r\nhello\r\n$-1\r\n"
                "$-1\r\n:2\r\n",
                "RESP2 bytes: nil bulk $-1 for GET, MGET, SET GET and SET NX");

    off = 0;
    mb_append(req, sizeof(req), &off, hello3);
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
        mb_append(req, sizeof(req), &off, seq[i]);
    raw_tail_is(s, req, off,
                "+OK\r\n_\r\n$5\r\nhello\r\n*2\r\n$5\r\nhello\r\n_\r\n$5\r\nhello\r\n_\r\n"
                "_\r\n:2\r\n",
                "RESP3 bytes after HELLO 3: null '_' for GET, MGET, SET GET and SET NX");
    {
        char out[8192];
        int closed;
        size_t n;

        off = 0;
        mb_append(req, sizeof(req), &off, hello3);
        n = ts_raw_roundtrip(s, req, off, out, sizeof(out), sizeof(out) - 1, 500, &closed);
        ok(n > 0 && out[0] == '%', "HELLO 3 replies with a RESP3 map");
    }
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_set_options(c);
    test_set_conditions(c);
    test_mget_mset(c);
    test_binary(c);
    test_pipeline(c);
    test_resp_bytes(&s);
    test_expiry(c);
    big_roundtrip(c, "big:1mb", (size_t)1 << 20, 1);
    big_roundtrip(c, "big:100mb", (size_t)BIG_MB << 20, 2);
    is_status(cmd(c, "PING"), "PONG", "server still answers after the big values");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
