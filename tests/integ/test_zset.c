/* test_zset.c - the sorted-set commands against a real server: ZADD (NX XX GT LT CH INCR)
 * ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE (BYSCORE BYLEX
 * REV LIMIT WITHSCORES) ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 * ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX
 * ZMPOP ZRANDMEMBER ZUNION ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE
 * ZSCAN: scores read as Redis reads them (inf, exclusive bounds, NaN refused, the lenient
 * range ends), printed with 17 digits, equal scores ordered by member bytes, every error
 * Redis 7.0 words and in the order it checks them, WRONGTYPE both ways (plain sets are
 * inputs of the set operations), small and large sets checked against a model computed
 * here, the RESP3 reply types (doubles, nested pairs), OBJECT ENCODING, expiry kept by
 * writes, RENAME COPY MOVE, MULTI and COMMAND's key positions.
 *
 * The command sections run twice: once as the server starts, and on omenkv once more
 * with collection-inline-max-bytes 0, so every sorted set is split into records (the
 * second pass and a restart keeping a large sorted set are skipped against an external
 * server). Every expectation passes against redis-server 7.0
 * (OMK_TEST_SERVER=127.0.0.1:port). */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tcoll.h"

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOTINT "ERR value is not an integer or out of range"
#define NOTFLOAT "ERR value is not a valid float"
#define RANGEFLOAT "ERR min or max is not a float"
#define RANGELEX "ERR min or max not valid string range item"
#define SYNTAX "ERR syntax error"
#define LIMITERR \
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
#define LEXSCORES "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
#define BIG 300 /* members of the large sets: past zset-max-listpack-entries (128) */

/* The pass of the command sections ("" or " (split)"), for assertion names. */
static const char *pass = "";

/* ---- a model of a sorted set, to check large replies against ---- */

struct zm {
    double score;
    char member[24];
};

/* Order of a sorted set: score, then member bytes. */
static int zm_cmp(const void *a, const void *b)
{
    const struct zm *x = a, *y = b;

    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return strcmp(x->member, y->member);
}

/* The score of member i of the large test sets: many equal scores, some negative. */
static double big_score(int i)
{
    return (double)((i * 37) % 41) - 20;
}

/* Fill 'z' with the 'n' members "<prefix>NNNN" scored by 'score' (NULL: 0), sorted. */
static void zm_fill(struct zm *z, int n, const char *prefix, double (*score)(int))
{
    for (int i = 0; i < n; i++) {
        z[i].score = score ? score(i) : 0;
        snprintf(z[i].member, sizeof(z[i].member), "%s%04d", prefix, i);
    }
    qsort(z, (size_t)n, sizeof(*z), zm_cmp);
}

/* A score as Redis replies it (%.17g, inf spelled out) into 'buf'. */
static const char *score_text(char *buf, size_t cap, double d)
{
    if (isinf(d))
        snprintf(buf, cap, "%s", d > 0 ? "inf" : "-inf");
    else
        snprintf(buf, cap, "%.17g", d);
    return buf;
}

/* The members z[from..to) (to > from) or, 'rev', z[to-1] down to z[from], as words;
 * with 'withscores' each followed by its score. Freed with omk_free. */
static char *zm_words(const struct zm *z, int from, int to, int rev, int withscores)
{
    size_t cap = (size_t)(to > from ? to - from : 0) * 64 + 1, off = 0;
    char *w = omk_malloc(cap), sb[40];

    w[0] = '\0';
    for (int k = 0; k < to - from; k++) {
        const struct zm *e = &z[rev ? to - 1 - k : from + k];

        off += (size_t)snprintf(w + off, cap - off, "%s%s", off ? " " : "", e->member);
        if (withscores)
            off += (size_t)snprintf(w + off, cap - off, " %s",
                                    score_text(sb, sizeof(sb), e->score));
    }
    return w;
}

/* 'line' replies the flat array of the words of z[from..to) (see zm_words). */
static void is_model(redisContext *c, const char *line, const struct zm *z, int from, int to,
                     int rev, int withscores, const char *name)
{
    char *w = zm_words(z, from, to, rev, withscores);

    is_array_of(cmdline(c, line), w, name);
    omk_free(w);
}

/* ZADD "<key> <score> <prefix>NNNN ..." for i in [0, n), 100 pairs a call. Returns the
 * members added, or -1 if a reply was not an integer. */
static long long zfill(redisContext *c, const char *key, const char *prefix, int n,
                       double (*score)(int))
{
    const char *argv[2 + 200];
    size_t lens[2 + 200];
    char bufs[200][40];
    long long added = 0;

    for (int i = 0; i < n;) {
        int argc = 0, k = 0;
        redisReply *r;

        argv[argc] = "ZADD";
        lens[argc++] = 4;
        argv[argc] = key;
        lens[argc++] = strlen(key);
        for (int m = 0; m < 100 && i < n; m++, i++) {
            snprintf(bufs[k], sizeof(bufs[0]), "%.17g", score ? score(i) : 0);
            argv[argc] = bufs[k];
            lens[argc++] = strlen(bufs[k++]);
            snprintf(bufs[k], sizeof(bufs[0]), "%s%04d", prefix, i);
            argv[argc] = bufs[k];
            lens[argc++] = strlen(bufs[k++]);
        }
        r = redisCommandArgv(c, argc, argv, lens);
        if (!r || r->type != REDIS_REPLY_INTEGER) {
            ts_diag_reply(r);
            freeReplyObject(r);
            return -1;
        }
        added += r->integer;
        freeReplyObject(r);
    }
    return added;
}

/* The bulk string reply of 'line' is 'want'. */
static void is_bulk(redisContext *c, const char *line, const char *want, const char *name)
{
    is_str(cmdline(c, line), want, strlen(want), name);
}

/* OBJECT ENCODING of 'key' is 'want'. */
static void enc_is(redisContext *c, const char *key, const char *want, const char *name)
{
    is_str(cmd(c, "OBJECT ENCODING %s", key), want, strlen(want), name);
}

/* Write reply 'r' as text into 'buf' at '*off': an array as "[e1 e2]", a string as
 * it is, nil as "(nil)", an integer as ":n", an error as "-text". */
static void tree_text(const redisReply *r, char *buf, size_t cap, size_t *off)
{
    if (*off >= cap - 1)
        return;
    if (!r) {
        *off += (size_t)snprintf(buf + *off, cap - *off, "(none)");
    } else if (r->type == REDIS_REPLY_ARRAY) {
        *off += (size_t)snprintf(buf + *off, cap - *off, "[");
        for (size_t i = 0; i < r->elements; i++) {
            if (i && *off < cap - 1)
                *off += (size_t)snprintf(buf + *off, cap - *off, " ");
            tree_text(r->element[i], buf, cap, off);
        }
        if (*off < cap - 1)
            *off += (size_t)snprintf(buf + *off, cap - *off, "]");
    } else if (r->type == REDIS_REPLY_NIL) {
        *off += (size_t)snprintf(buf + *off, cap - *off, "(nil)");
    } else if (r->type == REDIS_REPLY_INTEGER) {
        *off += (size_t)snprintf(buf + *off, cap - *off, ":%lld", r->integer);
    } else {
        *off += (size_t)snprintf(buf + *off, cap - *off, "%s%.*s",
                                 r->type == REDIS_REPLY_ERROR ? "-" : "", (int)r->len, r->str);
    }
    if (*off > cap - 1)
        *off = cap - 1;
}

/* Reply 'r' (nested arrays) reads 'want' as tree_text() writes it. Frees 'r'. */
static void is_tree(redisReply *r, const char *want, const char *name)
{
    char got[2048];
    size_t off = 0;

    got[0] = '\0';
    tree_text(r, got, sizeof(got), &off);
    if (!ok(!strcmp(got, want), "%s", name))
        diag("  got '%s', want '%s'", got, want);
    freeReplyObject(r);
}

/* An assertion name: the text, then the pass it runs in. One buffer: use it once per
 * assertion (the assertion prints it before the next one is made). */
static char name_buf[400];

__attribute__((format(printf, 1, 2))) static const char *N(const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(name_buf, sizeof(name_buf), fmt, ap);
    va_end(ap);
    n = strlen(name_buf);
    snprintf(name_buf + n, sizeof(name_buf) - n, "%s", pass);
    return name_buf;
}

/* ---- ZADD ZINCRBY ZSCORE ZMSCORE ZREM ZCARD ZRANK ---- */

static void test_zadd(redisContext *c)
{
    tc_section(c, N("ZADD and its options"));
    is_integer(cmd(c, "ZADD z 1 a 2 b 3 c"), 3, N("ZADD creates a sorted set of three"));
    is_status(cmd(c, "TYPE z"), "zset", N("TYPE zset"));
    is_integer(cmd(c, "ZCARD z"), 3, N("ZCARD"));
    is_integer(cmd(c, "ZADD z 1 a"), 0, N("ZADD of a present member, same score -> 0"));
    is_integer(cmd(c, "ZADD z CH 1 a"), 0, N("... with CH: nothing changed -> 0"));
    is_integer(cmd(c, "ZADD z CH 5 a"), 1, N("ZADD CH with a new score -> 1"));
    is_bulk(c, "ZSCORE z a", "5", N("... the score changed"));
    is_integer(cmd(c, "ZADD z 6 a 4 d"), 1, N("ZADD counts only the new member"));
    is_integer(cmd(c, "ZADD z NX 10 a 7 e"), 1, N("ZADD NX adds the new member only"));
    is_bulk(c, "ZSCORE z a", "6", N("... and leaves a present one"));
    is_integer(cmd(c, "ZADD z XX 8 a 9 f"), 0, N("ZADD XX adds nothing"));
    is_bulk(c, "ZSCORE z a", "8", N("... but updates the present member"));
    is_nil(cmd(c, "ZSCORE z f"), N("... and did not add f"));
    is_integer(cmd(c, "ZADD z XX CH 9 a"), 1, N("ZADD XX CH counts the update"));
    is_integer(cmd(c, "ZADD z GT CH 3 a"), 0, N("ZADD GT with a lower score -> no change"));
    is_bulk(c, "ZSCORE z a", "9", N("... the score stays"));
    is_integer(cmd(c, "ZADD z GT CH 12 a"), 1, N("ZADD GT with a higher score -> changed"));
    is_integer(cmd(c, "ZADD z GT 1 g"), 1, N("ZADD GT still adds a new member"));
    is_integer(cmd(c, "ZADD z LT CH 20 a"), 0, N("ZADD LT with a higher score -> no change"));
    is_integer(cmd(c, "ZADD z LT CH 2 a"), 1, N("ZADD LT with a lower score -> changed"));
    is_bulk(c, "ZSCORE z a", "2", N("... to 2"));
    is_integer(cmd(c, "ZADD z XX GT 100 a 1 nope"), 0, N("ZADD XX GT: an update, no add"));
    is_bulk(c, "ZSCORE z a", "100", N("... a is 100"));
    is_nil(cmd(c, "ZSCORE z nope"), N("... nope was not added"));
    is_integer(cmd(c, "ZADD z CH 1 a 50 h"), 2, N("ZADD CH counts an update and an add"));
    is_integer(cmd(c, "ZADD z nx ch 1 i"), 1, N("options in lower case"));
    is_integer(cmd(c, "ZADD z Ch Nx 1 i 1 j"), 1, N("options in any order and case"));

    /* INCR */
    is_bulk(c, "ZADD z INCR 5 a", "6", N("ZADD INCR replies the new score"));
    is_nil(cmd(c, "ZADD z INCR NX 1 a"), N("ZADD INCR NX of a present member -> nil"));
    is_bulk(c, "ZADD z INCR NX 1 k", "1", N("ZADD INCR NX of a new member -> its score"));
    is_nil(cmd(c, "ZADD z INCR XX 1 nope"), N("ZADD INCR XX of a new member -> nil"));
    is_nil(cmd(c, "ZADD z INCR GT -1 a"), N("ZADD INCR GT lowering the score -> nil"));
    is_bulk(c, "ZADD z INCR LT -1 a", "5", N("ZADD INCR LT lowering it -> the new score"));
    is_bulk(c, "ZADD z INCR GT 0.5 a", "5.5", N("ZADD INCR GT raising it"));
    is_nil(cmd(c, "ZADD nokey XX INCR 1 m"), N("ZADD XX INCR on a missing key -> nil"));
    is_integer(cmd(c, "ZADD nokey XX 1 m"), 0, N("ZADD XX on a missing key -> 0"));
    is_integer(cmd(c, "EXISTS nokey"), 0, N("... which creates nothing"));
    is_integer(cmd(c, "ZADD z XX CH 5.5 a"), 0, N("ZADD XX CH to the same score -> 0"));

    /* ZINCRBY */
    is_bulk(c, "ZINCRBY z 2.5 b", "4.5", N("ZINCRBY adds to the score"));
    is_bulk(c, "ZINCRBY z -4.5 b", "0", N("ZINCRBY down to 0"));
    is_bulk(c, "ZINCRBY z 3 newm", "3", N("ZINCRBY of a new member starts from 0"));
    is_bulk(c, "ZINCRBY zi 1e3 m", "1000", N("ZINCRBY creates the key"));
    is_status(cmd(c, "TYPE zi"), "zset", N("... a sorted set"));
    is_error(cmd(c, "ZINCRBY z x b"), NOTFLOAT, N("ZINCRBY x -> not a valid float"));
    is_error(cmd(c, "ZINCRBY z nan b"), NOTFLOAT, N("ZINCRBY nan -> not a valid float"));
    is_error(cmd(c, "ZINCRBY z nx b"), SYNTAX,
             N("ZINCRBY nx b: an option word, then one argument -> syntax error"));
    is_error(cmd(c, "ZINCRBY z incr b"), SYNTAX, N("ZINCRBY incr b -> syntax error"));
    is_integer(cmd(c, "ZCARD z"), 11, N("ZCARD after all that"));

    /* errors, in Redis' order, each leaving the set alone */
    is_error(cmd(c, "ZADD z 1"), "ERR wrong number of arguments for 'zadd' command",
             N("ZADD with a score and no member -> arity error"));
    is_error(cmd(c, "ZADD z 1 a 2"), SYNTAX, N("ZADD with an odd number -> syntax error"));
    is_error(cmd(c, "ZADD z NX 1"), SYNTAX, N("ZADD NX 1 -> syntax error"));
    is_error(cmd(c, "ZADD z NX INCR"), SYNTAX, N("ZADD of options only -> syntax error"));
    is_error(cmd(c, "ZADD z NX XX 1 a"),
             "ERR XX and NX options at the same time are not compatible", N("ZADD NX XX"));
    is_error(cmd(c, "ZADD z NX XX GT 1 a"),
             "ERR XX and NX options at the same time are not compatible",
             N("ZADD NX XX GT: NX with XX is named first"));
    is_error(cmd(c, "ZADD z NX GT 1 a"),
             "ERR GT, LT, and/or NX options at the same time are not compatible", N("ZADD NX GT"));
    is_error(cmd(c, "ZADD z LT NX 1 a"),
             "ERR GT, LT, and/or NX options at the same time are not compatible", N("ZADD LT NX"));
    is_error(cmd(c, "ZADD z GT LT 1 a"),
             "ERR GT, LT, and/or NX options at the same time are not compatible", N("ZADD GT LT"));
    is_error(cmd(c, "ZADD z INCR 1 a 2 b"),
             "ERR INCR option supports a single increment-element pair",
             N("ZADD INCR with two pairs"));
    is_error(cmd(c, "ZADD z INCR NX XX 1 a 2 b"),
             "ERR XX and NX options at the same time are not compatible",
             N("ZADD INCR NX XX with two pairs: NX/XX named first"));
    is_error(cmd(c, "ZADD z x a"), NOTFLOAT, N("ZADD x a -> not a valid float"));
    is_error(cmd(c, "ZADD z 1 y x b"), NOTFLOAT, N("ZADD 1 y x b -> not a valid float"));
    is_nil(cmd(c, "ZSCORE z y"), N("... and y was not added: all or nothing"));
    is_error(cmd(c, "ZADD z XX 1 a 2"), SYNTAX, N("ZADD XX 1 a 2 -> syntax error"));
    is_integer(cmd(c, "ZCARD z"), 11, N("the refused commands changed nothing"));
}

/* Scores as Redis reads and prints them. */
static void test_scores(redisContext *c)
{
    static const char *const bad[] = {
        "nan", "NaN", "-nan", "x",   "1x",  "1e400", "-1e400", "1e-400", "",
        " 1",  "1 ",  "\t1",  "1,5", "--1", "(1",    "inf1",   "0x",     "1e",
    };
    static const struct {
        const char *in, *out;
    } good[] = {
        {"inf", "inf"},
        {"+inf", "inf"},
        {"-inf", "-inf"},
        {"INF", "inf"},
        {"infinity", "inf"},
        {"-Infinity", "-inf"},
        {"+5", "5"},
        {".5", "0.5"},
        {"5.", "5"},
        {"1e3", "1000"},
        {"0x10", "16"},
        {"0X1p-1", "0.5"},
        {"1e-310", "9.9999999999999694e-311"},
        {"0.1", "0.10000000000000001"},
        {"1e17", "1e+17"},
        {"123456789012345678", "1.2345678901234568e+17"},
        {"-3.5e-5", "-3.4999999999999997e-05"},
        {"00012", "12"},
        {"1.7976931348623157e308", "1.7976931348623157e+308"},
        {"-0.0", "0"},
        {"-0", "0"},
        {"0", "0"},
    };
    redisReply *r;

    tc_section(c, N("scores: parsing and printing"));
    for (size_t i = 0; i < OMK_ARRAY_LEN(bad); i++) {
        is_error(cmd(c, "ZADD s %s m", bad[i]), NOTFLOAT,
                 N("ZADD '%s' -> not a valid float", bad[i]));
        is_error(cmd(c, "ZINCRBY s %s m", bad[i]), NOTFLOAT,
                 N("ZINCRBY '%s' -> not a valid float", bad[i]));
    }
    is_error(cmd(c, "ZADD s %b m", "1\0", (size_t)2), NOTFLOAT,
             N("ZADD of a score with a NUL byte"));
    is_integer(cmd(c, "EXISTS s"), 0, N("no refused score created the key"));
    for (size_t i = 0; i < OMK_ARRAY_LEN(good); i++) {
        is_integer(cmd(c, "ZADD s %s m%d", good[i].in, (int)i), 1, N("ZADD '%s'", good[i].in));
        is_str(cmd(c, "ZSCORE s m%d", (int)i), good[i].out, strlen(good[i].out),
               N("... ZSCORE '%s'", good[i].out));
    }
    /* NaN from a sum */
    is_integer(cmd(c, "ZADD n inf a -inf b"), 2, N("members scored inf and -inf"));
    is_error(cmd(c, "ZINCRBY n -inf a"), "ERR resulting score is not a number (NaN)",
             N("ZINCRBY inf + -inf -> NaN error"));
    is_error(cmd(c, "ZADD n INCR inf b"), "ERR resulting score is not a number (NaN)",
             N("ZADD INCR -inf + inf -> NaN error"));
    is_bulk(c, "ZSCORE n a", "inf", N("... the scores stay: a inf"));
    is_bulk(c, "ZSCORE n b", "-inf", N("... b -inf"));
    is_bulk(c, "ZINCRBY n 1 a", "inf", N("ZINCRBY inf + 1 = inf"));
    is_bulk(c, "ZINCRBY n 1e308 x", "1e+308", N("ZINCRBY 1e308"));
    is_bulk(c, "ZINCRBY n 1e308 x", "inf", N("ZINCRBY overflowing to inf is allowed"));
    /* -0 in a small set is 0 (Redis keeps such a score as an integer there) */
    is_integer(cmd(c, "ZADD mz -0 m 0 n -1 o"), 3, N("ZADD -0 m"));
    is_bulk(c, "ZSCORE mz m", "0", N("ZSCORE of -0 in a small set -> 0"));
    is_array_of(cmd(c, "ZRANGE mz 0 -1"), "o m n", N("-0 orders as 0"));
    is_integer(cmd(c, "ZCOUNT mz 0 0"), 2, N("ZCOUNT 0 0 counts -0"));
    is_integer(cmd(c, "ZCOUNT mz -0 -0"), 2, N("ZCOUNT -0 -0 too"));
    is_bulk(c, "ZINCRBY mz -0 n", "0", N("ZINCRBY 0 by -0 -> 0"));
    r = cmd(c, "ZMSCORE s m0 m2 m13 nope");
    is_array_of(r, "inf -inf 0.10000000000000001 (nil)", N("ZMSCORE: scores and nil"));
}

static void test_read(redisContext *c)
{
    redisReply *r;

    tc_section(c, N("ZSCORE ZMSCORE ZREM ZCARD ZRANK ZREVRANK"));
    is_integer(cmd(c, "ZADD r 1 a 2 b 3 c 3 d"), 4, N("r {a:1 b:2 c:3 d:3}"));
    is_bulk(c, "ZSCORE r b", "2", N("ZSCORE"));
    is_nil(cmd(c, "ZSCORE r nope"), N("ZSCORE of a missing member -> nil"));
    is_nil(cmd(c, "ZSCORE nokey a"), N("ZSCORE of a missing key -> nil"));
    is_array_of(cmd(c, "ZMSCORE r a nope d"), "1 (nil) 3", N("ZMSCORE"));
    is_array_of(cmd(c, "ZMSCORE nokey a b"), "(nil) (nil)", N("ZMSCORE of a missing key: all nil"));
    is_integer(cmd(c, "ZRANK r a"), 0, N("ZRANK of the lowest -> 0"));
    is_integer(cmd(c, "ZRANK r d"), 3, N("ZRANK of the highest -> 3"));
    is_integer(cmd(c, "ZRANK r c"), 2, N("ZRANK of c (equal score, lower member) -> 2"));
    is_integer(cmd(c, "ZREVRANK r a"), 3, N("ZREVRANK of the lowest -> 3"));
    is_integer(cmd(c, "ZREVRANK r d"), 0, N("ZREVRANK of the highest -> 0"));
    is_nil(cmd(c, "ZRANK r nope"), N("ZRANK of a missing member -> nil"));
    is_nil(cmd(c, "ZREVRANK nokey a"), N("ZREVRANK of a missing key -> nil"));
    is_integer(cmd(c, "ZCARD nokey"), 0, N("ZCARD of a missing key -> 0"));
    is_integer(cmd(c, "ZREM r a nope a"), 1, N("ZREM counts a present member once"));
    is_nil(cmd(c, "ZSCORE r a"), N("the removed member is gone"));
    is_integer(cmd(c, "ZRANK r b"), 0, N("ranks move down"));
    is_integer(cmd(c, "ZREM nokey a"), 0, N("ZREM on a missing key -> 0"));
    is_integer(cmd(c, "EXISTS nokey"), 0, N("... creates nothing"));
    is_integer(cmd(c, "ZREM r b c d"), 3, N("ZREM of the last three"));
    is_integer(cmd(c, "EXISTS r"), 0, N("a sorted set left empty is deleted"));

    /* equal scores order by member bytes; members are binary-safe */
    is_integer(cmd(c, "ZADD e 1 b 1 a 1 c 0 z 2 0 1 B 1 aa"), 7, N("equal scores"));
    is_array_of(cmd(c, "ZRANGE e 0 -1"), "z B a aa b c 0",
                N("... ordered by score, then member bytes"));
    is_integer(cmd(c, "ZADD bin 5 %b 5 %b 5 %b 5 a", "", (size_t)0, "\0", (size_t)1, "\xff",
                   (size_t)1),
               4, N("ZADD of an empty, a NUL and a 0xff member"));
    is_integer(cmd(c, "ZRANK bin %b", "", (size_t)0), 0, N("the empty member first"));
    is_integer(cmd(c, "ZRANK bin %b", "\0", (size_t)1), 1, N("then NUL"));
    is_integer(cmd(c, "ZRANK bin a"), 2, N("then a"));
    is_integer(cmd(c, "ZRANK bin %b", "\xff", (size_t)1), 3, N("then 0xff"));
    is_bulk(c, "ZSCORE bin a", "5", N("ZSCORE of a"));
    is_integer(cmd(c, "ZREM bin %b", "\0", (size_t)1), 1, N("ZREM of the NUL member"));
    is_integer(cmd(c, "ZRANK bin %b", "\xff", (size_t)1), 2, N("0xff moved to 2"));
    is_integer(cmd(c, "ZADD bin 1 %b", "m\0\r\n", (size_t)4), 1, N("a member with NUL CR LF"));
    r = cmd(c, "ZRANGE bin 0 0");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->len == 4 &&
           !memcmp(r->element[0]->str, "m\0\r\n", 4),
       "%s", N("ZRANGE returns the binary member whole"));
    freeReplyObject(r);
}

/* ---- ranges ---- */

static void test_range_rank(redisContext *c)
{
    tc_section(c, N("ZRANGE by rank, ZREVRANGE"));
    is_integer(cmd(c, "ZADD rz 1 a 2 b 3 c 4 d 5 e"), 5, N("rz {a:1 .. e:5}"));
    is_array_of(cmd(c, "ZRANGE rz 0 -1"), "a b c d e", N("ZRANGE 0 -1"));
    is_array_of(cmd(c, "ZRANGE rz 1 2"), "b c", N("ZRANGE 1 2"));
    is_array_of(cmd(c, "ZRANGE rz -2 -1"), "d e", N("ZRANGE -2 -1"));
    is_array_of(cmd(c, "ZRANGE rz -100 1"), "a b", N("ZRANGE -100 1"));
    is_array_of(cmd(c, "ZRANGE rz 3 100"), "d e", N("ZRANGE 3 100"));
    is_array_of(cmd(c, "ZRANGE rz 5 10"), "", N("ZRANGE past the end -> empty"));
    is_array_of(cmd(c, "ZRANGE rz 3 1"), "", N("ZRANGE 3 1 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz -1 -2"), "", N("ZRANGE -1 -2 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz -100 -50"), "", N("ZRANGE -100 -50 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz 0 -1 WITHSCORES"), "a 1 b 2 c 3 d 4 e 5", N("ZRANGE WITHSCORES"));
    is_array_of(cmd(c, "ZRANGE rz 0 1 REV"), "e d", N("ZRANGE 0 1 REV"));
    is_array_of(cmd(c, "ZRANGE rz -1 -1 REV"), "a", N("ZRANGE -1 -1 REV"));
    is_array_of(cmd(c, "ZRANGE rz 0 -1 withscores rev"), "e 5 d 4 c 3 b 2 a 1",
                N("ZRANGE withscores rev (any case, any order)"));
    is_array_of(cmd(c, "ZREVRANGE rz 0 1"), "e d", N("ZREVRANGE 0 1"));
    is_array_of(cmd(c, "ZREVRANGE rz 1 -2 WITHSCORES"), "d 4 c 3 b 2", N("ZREVRANGE WITHSCORES"));
    is_array_of(cmd(c, "ZREVRANGE rz 9 10"), "", N("ZREVRANGE past the end -> empty"));
    is_array_of(cmd(c, "ZRANGE nokey 0 -1"), "", N("ZRANGE of a missing key -> empty"));
    is_array_of(cmd(c, "ZRANGE rz 0 1 LIMIT 5 -1"), "a b",
                N("ZRANGE by rank with LIMIT x -1 passes (Redis' check)"));
    is_error(cmd(c, "ZRANGE rz 0 1 LIMIT 0 1"), LIMITERR, N("ZRANGE by rank with LIMIT"));
    is_error(cmd(c, "ZRANGE rz 0 1 WITHSCORES LIMIT 0 1"), LIMITERR, N("... WITHSCORES LIMIT"));
    is_error(cmd(c, "ZRANGE rz 0 1 LIMIT 0"), SYNTAX,
             N("ZRANGE LIMIT with one number -> syntax error"));
    is_error(cmd(c, "ZRANGE rz 0 1 LIMIT x 1"), NOTINT, N("ZRANGE LIMIT x 1 -> not an integer"));
    is_error(cmd(c, "ZRANGE rz 0 1 LIMIT 1 1.5"), NOTINT,
             N("ZRANGE LIMIT 1 1.5 -> not an integer"));
    is_error(cmd(c, "ZRANGE rz 0 1 foo"), SYNTAX, N("ZRANGE unknown option"));
    is_error(cmd(c, "ZRANGE rz 0 1 REV REV"), SYNTAX, N("ZRANGE REV REV"));
    is_error(cmd(c, "ZRANGE rz 0 1 BYSCORE BYLEX"), SYNTAX, N("ZRANGE BYSCORE BYLEX"));
    is_error(cmd(c, "ZRANGE rz 0 1 BYSCORE BYSCORE"), SYNTAX, N("ZRANGE BYSCORE BYSCORE"));
    is_error(cmd(c, "ZRANGE rz a 1"), NOTINT, N("ZRANGE a 1 -> not an integer"));
    is_error(cmd(c, "ZRANGE rz 0 1.0"), NOTINT, N("ZRANGE 0 1.0 -> not an integer"));
    is_error(cmd(c, "ZRANGE rz 0 99999999999999999999"), NOTINT,
             N("ZRANGE 0 2^66 -> not an integer"));
    is_error(cmd(c, "ZREVRANGE rz 0 1 REV"), SYNTAX, N("ZREVRANGE REV -> syntax error"));
    is_error(cmd(c, "ZREVRANGE rz 0 1 BYSCORE"), SYNTAX, N("ZREVRANGE BYSCORE -> syntax error"));
    is_error(cmd(c, "ZREVRANGE rz 0 1 LIMIT 0 1"), LIMITERR, N("ZREVRANGE LIMIT"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_error(cmd(c, "ZRANGE str 0 -1"), WRONGTYPE, N("ZRANGE of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZRANGE str x -1"), NOTINT, N("... the range is checked before the key"));
    is_error(cmd(c, "ZRANGE str 0 1 LIMIT 0 1"), LIMITERR, N("... so is LIMIT"));
}

static void test_range_score(redisContext *c)
{
    tc_section(c, N("ZRANGE BYSCORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE"));
    is_integer(cmd(c, "ZADD rz 1 a 2 b 3 c 4 d 5 e"), 5, N("rz {a:1 .. e:5}"));
    is_integer(cmd(c, "ZADD inf -inf lo 0 z inf hi"), 3, N("inf {lo:-inf z:0 hi:inf}"));
    is_array_of(cmd(c, "ZRANGE rz 2 4 BYSCORE"), "b c d", N("BYSCORE 2 4"));
    is_array_of(cmd(c, "ZRANGE rz (2 4 BYSCORE"), "c d", N("BYSCORE (2 4"));
    is_array_of(cmd(c, "ZRANGE rz 2 (4 BYSCORE"), "b c", N("BYSCORE 2 (4"));
    is_array_of(cmd(c, "ZRANGE rz (2 (4 BYSCORE"), "c", N("BYSCORE (2 (4"));
    is_array_of(cmd(c, "ZRANGE rz (2 (3 BYSCORE"), "", N("BYSCORE (2 (3 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz (1 (1 BYSCORE"), "", N("BYSCORE (1 (1 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz 1 1 BYSCORE"), "a", N("BYSCORE 1 1"));
    is_array_of(cmd(c, "ZRANGE rz 4 2 BYSCORE"), "", N("BYSCORE 4 2 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz -inf +inf BYSCORE"), "a b c d e", N("BYSCORE -inf +inf"));
    is_array_of(cmd(c, "ZRANGE rz 2.5 1e400 BYSCORE"), "c d e",
                N("BYSCORE 2.5 1e400 (an overflow is inf)"));
    is_array_of(cmd(c, "ZRANGE rz 2 4 BYSCORE WITHSCORES"), "b 2 c 3 d 4", N("BYSCORE WITHSCORES"));
    is_array_of(cmd(c, "ZRANGE rz 4 2 BYSCORE REV"), "d c b", N("BYSCORE REV takes max first"));
    is_array_of(cmd(c, "ZRANGE rz 2 4 BYSCORE REV"), "", N("BYSCORE REV 2 4 -> empty"));
    is_array_of(cmd(c, "ZRANGE rz -inf +inf BYSCORE LIMIT 1 2"), "b c", N("BYSCORE LIMIT 1 2"));
    is_array_of(cmd(c, "ZRANGE rz +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES"), "d 4 c 3",
                N("BYSCORE REV LIMIT 1 2 WITHSCORES"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz -inf inf WITHSCORES"), "a 1 b 2 c 3 d 4 e 5",
                N("ZRANGEBYSCORE WITHSCORES"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 2 +inf LIMIT 1 -1"), "c d e",
                N("LIMIT 1 -1: all after the first"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 2 +inf LIMIT 1 -7"), "c d e",
                N("LIMIT 1 -7: any negative count is all"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 2 +inf LIMIT 0 0"), "", N("LIMIT 0 0 -> empty"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 2 +inf LIMIT 3 5"), "e", N("LIMIT 3 5: the one left"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 2 +inf LIMIT 4 5"), "", N("LIMIT past the end -> empty"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 2 +inf LIMIT 100 5"), "",
                N("LIMIT far past the end -> empty"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz -inf +inf LIMIT -1 2"), "",
                N("a negative offset -> empty"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz -inf +inf LIMIT 1 2 LIMIT 0 1"), "a",
                N("the last LIMIT counts"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 1 2 WITHSCORES WITHSCORES"), "a 1 b 2",
                N("WITHSCORES twice"));
    is_array_of(cmd(c, "ZREVRANGEBYSCORE rz 4 2"), "d c b", N("ZREVRANGEBYSCORE 4 2"));
    is_array_of(cmd(c, "ZREVRANGEBYSCORE rz (4 (2"), "c", N("ZREVRANGEBYSCORE (4 (2"));
    is_array_of(cmd(c, "ZREVRANGEBYSCORE rz +inf -inf LIMIT 1 2 WITHSCORES"), "d 4 c 3",
                N("ZREVRANGEBYSCORE LIMIT WITHSCORES"));
    is_array_of(cmd(c, "ZREVRANGEBYSCORE rz 2 4"), "", N("ZREVRANGEBYSCORE 2 4 -> empty"));
    is_array_of(cmd(c, "ZRANGEBYSCORE nokey -inf +inf"), "",
                N("ZRANGEBYSCORE of a missing key -> empty"));
    /* infinite scores */
    is_array_of(cmd(c, "ZRANGEBYSCORE inf -inf +inf WITHSCORES"), "lo -inf z 0 hi inf",
                N("-inf and inf members"));
    is_array_of(cmd(c, "ZRANGEBYSCORE inf (-inf (+inf"), "z",
                N("(-inf (+inf leaves the infinite ones out"));
    is_array_of(cmd(c, "ZRANGEBYSCORE inf inf inf"), "hi", N("inf inf -> the inf member"));
    is_array_of(cmd(c, "ZRANGEBYSCORE inf -inf -inf"), "lo", N("-inf -inf -> the -inf member"));
    is_array_of(cmd(c, "ZREVRANGEBYSCORE inf +inf -inf"), "hi z lo",
                N("ZREVRANGEBYSCORE with infinities"));
    /* Redis' lenient range ends (strtod, not the strict score parser) */
    is_array_of(cmdline(c, "ZRANGEBYSCORE rz ( 2"), "a b", N("'(' alone is (0"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz %s 2", ""), "a b", N("'' is 0"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz %s 3", " 2"), "b c", N("' 2' is 2"));
    is_array_of(cmd(c, "ZRANGEBYSCORE rz 1 %b", "3\0x", (size_t)3), "a b c",
                N("'3\\0x' is 3 (strtod stops at NUL)"));
    is_error(cmd(c, "ZRANGEBYSCORE rz x 1"), RANGEFLOAT, N("min x -> not a float"));
    is_error(cmd(c, "ZRANGEBYSCORE rz 1 x"), RANGEFLOAT, N("max x -> not a float"));
    is_error(cmd(c, "ZRANGEBYSCORE rz nan 1"), RANGEFLOAT, N("min nan -> not a float"));
    is_error(cmd(c, "ZRANGEBYSCORE rz 1 (nan"), RANGEFLOAT, N("max (nan -> not a float"));
    is_error(cmd(c, "ZRANGEBYSCORE rz ((1 2"), RANGEFLOAT, N("((1 -> not a float"));
    is_error(cmd(c, "ZRANGEBYSCORE rz %s 2", "1 "), RANGEFLOAT, N("'1 ' -> not a float"));
    is_error(cmd(c, "ZRANGE rz x 1 BYSCORE"), RANGEFLOAT, N("ZRANGE BYSCORE x"));
    is_error(cmd(c, "ZRANGEBYSCORE rz 1 2 BYSCORE"), SYNTAX,
             N("ZRANGEBYSCORE BYSCORE -> syntax error"));
    is_error(cmd(c, "ZRANGEBYSCORE rz 1 2 REV"), SYNTAX, N("ZRANGEBYSCORE REV -> syntax error"));
    is_error(cmd(c, "ZRANGEBYSCORE rz 1 2 LIMIT 0"), SYNTAX,
             N("LIMIT with one number -> syntax error"));
    is_error(cmd(c, "ZRANGEBYSCORE rz 1 2 LIMIT a 1"), NOTINT, N("LIMIT a 1 -> not an integer"));
    is_error(cmd(c, "ZRANGEBYSCORE rz x 2 LIMIT a 1"), NOTINT, N("LIMIT is read before the range"));
    is_error(cmd(c, "ZREVRANGEBYSCORE rz 1 2 REV"), SYNTAX,
             N("ZREVRANGEBYSCORE REV -> syntax error"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_error(cmd(c, "ZRANGEBYSCORE str x 1"), RANGEFLOAT, N("the range is checked before the key"));
    is_error(cmd(c, "ZRANGEBYSCORE str 1 2"), WRONGTYPE,
             N("ZRANGEBYSCORE of a string -> WRONGTYPE"));
}

static void test_range_lex(redisContext *c)
{
    tc_section(c, N("ZRANGE BYLEX, ZRANGEBYLEX, ZREVRANGEBYLEX"));
    is_integer(cmd(c, "ZADD lx 0 a 0 b 0 c 0 d 0 e 0 f 0 g"), 7, N("lx {a..g}, all scored 0"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - +"), "a b c d e f g", N("- +"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [b [d"), "b c d", N("[b [d"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx (b (d"), "c", N("(b (d"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [b (d"), "b c", N("[b (d"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - [c"), "a b c", N("- [c"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx (e +"), "f g", N("(e +"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [bb [dd"), "c d", N("[bb [dd (ends between members)"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [b [b"), "b", N("[b [b"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx (b [b"), "", N("(b [b -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [d [b"), "", N("[d [b -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx + -"), "", N("+ - -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - -"), "", N("- - -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx + +"), "", N("+ + -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx + [c"), "", N("+ [c -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [c -"), "", N("[c - -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx [ +"), "a b c d e f g", N("[ (the empty string) +"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx ( [a"), "a", N("( (above the empty string) [a"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - + LIMIT 2 3"), "c d e", N("LIMIT 2 3"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - + LIMIT 5 -1"), "f g", N("LIMIT 5 -1"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - + LIMIT 7 1"), "", N("LIMIT past the end -> empty"));
    is_array_of(cmd(c, "ZRANGEBYLEX lx - %b", "+\0x", (size_t)3), "a b c d e f g",
                N("'+\\0x' reads as + (Redis looks at the byte after the sign)"));
    is_array_of(cmd(c, "ZREVRANGEBYLEX lx + -"), "g f e d c b a", N("ZREVRANGEBYLEX + -"));
    is_array_of(cmd(c, "ZREVRANGEBYLEX lx [d [b"), "d c b", N("ZREVRANGEBYLEX [d [b"));
    is_array_of(cmd(c, "ZREVRANGEBYLEX lx (d - LIMIT 1 1"), "b",
                N("ZREVRANGEBYLEX (d - LIMIT 1 1"));
    is_array_of(cmd(c, "ZREVRANGEBYLEX lx [b [d"), "", N("ZREVRANGEBYLEX [b [d -> empty"));
    is_array_of(cmd(c, "ZRANGE lx [d [b BYLEX REV"), "d c b",
                N("ZRANGE BYLEX REV takes max first"));
    is_array_of(cmd(c, "ZRANGE lx [b [d BYLEX REV"), "", N("ZRANGE BYLEX REV [b [d -> empty"));
    is_array_of(cmd(c, "ZRANGE lx - + BYLEX LIMIT 1 2"), "b c", N("ZRANGE BYLEX LIMIT"));
    is_array_of(cmd(c, "ZRANGEBYLEX nokey - +"), "", N("ZRANGEBYLEX of a missing key -> empty"));
    is_error(cmd(c, "ZRANGEBYLEX lx a [c"), RANGELEX, N("min a -> not a valid range item"));
    is_error(cmd(c, "ZRANGEBYLEX lx [a c"), RANGELEX, N("max c -> not a valid range item"));
    is_error(cmd(c, "ZRANGEBYLEX lx %s +", ""), RANGELEX, N("'' -> not a valid range item"));
    is_error(cmd(c, "ZRANGEBYLEX lx +a +"), RANGELEX, N("+a -> not a valid range item"));
    is_error(cmd(c, "ZRANGEBYLEX lx - -a"), RANGELEX, N("-a -> not a valid range item"));
    is_error(cmd(c, "ZRANGE lx 0 -1 BYLEX"), RANGELEX, N("ZRANGE 0 -1 BYLEX"));
    is_error(cmd(c, "ZRANGEBYLEX lx - + WITHSCORES"), LEXSCORES, N("ZRANGEBYLEX WITHSCORES"));
    is_error(cmd(c, "ZRANGE lx x y BYLEX WITHSCORES"), LEXSCORES,
             N("... checked before the range"));
    is_error(cmd(c, "ZRANGEBYLEX lx - + LIMIT 0"), SYNTAX,
             N("LIMIT with one number -> syntax error"));
    is_error(cmd(c, "ZRANGEBYLEX lx - + BYLEX"), SYNTAX, N("ZRANGEBYLEX BYLEX -> syntax error"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_error(cmd(c, "ZRANGEBYLEX str a b"), RANGELEX, N("the range is checked before the key"));
    is_error(cmd(c, "ZRANGEBYLEX str - +"), WRONGTYPE, N("ZRANGEBYLEX of a string -> WRONGTYPE"));
}

static void test_rangestore(redisContext *c)
{
    tc_section(c, N("ZRANGESTORE"));
    is_integer(cmd(c, "ZADD rz 1 a 2 b 3 c 4 d 5 e"), 5, N("rz {a:1 .. e:5}"));
    is_integer(cmd(c, "ZADD lx 0 a 0 b 0 c"), 3, N("lx {a b c}"));
    is_integer(cmd(c, "ZRANGESTORE dst rz 0 1"), 2, N("ZRANGESTORE 0 1"));
    is_array_of(cmd(c, "ZRANGE dst 0 -1 WITHSCORES"), "a 1 b 2",
                N("... the members with their scores"));
    is_integer(cmd(c, "ZRANGESTORE dst rz 2 4 BYSCORE"), 3, N("ZRANGESTORE BYSCORE replaces dst"));
    is_array_of(cmd(c, "ZRANGE dst 0 -1 WITHSCORES"), "b 2 c 3 d 4",
                N("... with the new range only"));
    is_integer(cmd(c, "ZRANGESTORE dst rz +inf -inf BYSCORE REV LIMIT 0 2"), 2,
               N("ZRANGESTORE BYSCORE REV LIMIT"));
    is_array_of(cmd(c, "ZRANGE dst 0 -1"), "d e", N("... the two highest"));
    is_integer(cmd(c, "ZRANGESTORE dst rz 0 1 REV"), 2, N("ZRANGESTORE REV by rank"));
    is_array_of(cmd(c, "ZRANGE dst 0 -1"), "d e", N("... the two highest again"));
    is_integer(cmd(c, "ZRANGESTORE dst lx [b + BYLEX"), 2, N("ZRANGESTORE BYLEX"));
    is_array_of(cmd(c, "ZRANGE dst 0 -1 WITHSCORES"), "b 0 c 0", N("... b and c"));
    is_integer(cmd(c, "ZRANGESTORE dst rz 10 20"), 0, N("ZRANGESTORE of an empty range -> 0"));
    is_integer(cmd(c, "EXISTS dst"), 0, N("... deletes dst"));
    is_integer(cmd(c, "ZRANGESTORE dst rz 0 0"), 1, N("dst again"));
    is_integer(cmd(c, "ZRANGESTORE dst nokey 0 -1"), 0, N("ZRANGESTORE of a missing key -> 0"));
    is_integer(cmd(c, "EXISTS dst"), 0, N("... deletes dst too"));
    is_status(cmd(c, "SET sx x EX 100"), "OK", N("a string with a TTL"));
    is_integer(cmd(c, "ZRANGESTORE sx rz 0 0"), 1, N("ZRANGESTORE over a string"));
    is_status(cmd(c, "TYPE sx"), "zset", N("... makes it a sorted set"));
    is_integer(cmd(c, "TTL sx"), -1, N("... without the TTL"));
    is_integer(cmd(c, "ZRANGESTORE rz rz 1 2"), 2, N("ZRANGESTORE onto its source"));
    is_array_of(cmd(c, "ZRANGE rz 0 -1"), "b c", N("... leaves the range"));
    is_error(cmd(c, "ZRANGESTORE dst rz 0 -1 WITHSCORES"), SYNTAX,
             N("ZRANGESTORE WITHSCORES -> syntax error"));
    is_error(cmd(c, "ZRANGESTORE dst rz 0 -1 LIMIT 0 1"), LIMITERR,
             N("ZRANGESTORE by rank with LIMIT"));
    is_error(cmd(c, "ZRANGESTORE dst rz x 1 BYSCORE"), RANGEFLOAT, N("ZRANGESTORE BYSCORE x"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_integer(cmd(c, "SADD set a"), 1, N("a set"));
    is_error(cmd(c, "ZRANGESTORE dst str 0 -1"), WRONGTYPE,
             N("ZRANGESTORE from a string -> WRONGTYPE"));
    is_error(cmd(c, "ZRANGESTORE dst set 0 -1"), WRONGTYPE,
             N("ZRANGESTORE from a set -> WRONGTYPE"));
    is_integer(cmd(c, "EXISTS dst"), 0, N("... and nothing was stored"));
}

static void test_count_remrange(redisContext *c)
{
    tc_section(c, N("ZCOUNT ZLEXCOUNT ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX"));
    is_integer(cmd(c, "ZADD rz 1 a 2 b 3 c 4 d 5 e"), 5, N("rz {a:1 .. e:5}"));
    is_integer(cmd(c, "ZADD lx 0 a 0 b 0 c 0 d 0 e"), 5, N("lx {a..e}"));
    is_integer(cmd(c, "ZCOUNT rz 2 4"), 3, N("ZCOUNT 2 4"));
    is_integer(cmd(c, "ZCOUNT rz (2 4"), 2, N("ZCOUNT (2 4"));
    is_integer(cmd(c, "ZCOUNT rz (2 (4"), 1, N("ZCOUNT (2 (4"));
    is_integer(cmd(c, "ZCOUNT rz -inf +inf"), 5, N("ZCOUNT -inf +inf"));
    is_integer(cmd(c, "ZCOUNT rz 4 2"), 0, N("ZCOUNT 4 2 -> 0"));
    is_integer(cmd(c, "ZCOUNT nokey -inf +inf"), 0, N("ZCOUNT of a missing key -> 0"));
    is_error(cmd(c, "ZCOUNT rz x 1"), RANGEFLOAT, N("ZCOUNT x -> not a float"));
    is_integer(cmd(c, "ZLEXCOUNT lx - +"), 5, N("ZLEXCOUNT - +"));
    is_integer(cmd(c, "ZLEXCOUNT lx [b (d"), 2, N("ZLEXCOUNT [b (d"));
    is_integer(cmd(c, "ZLEXCOUNT lx + -"), 0, N("ZLEXCOUNT + - -> 0"));
    is_integer(cmd(c, "ZLEXCOUNT nokey - +"), 0, N("ZLEXCOUNT of a missing key -> 0"));
    is_error(cmd(c, "ZLEXCOUNT lx a b"), RANGELEX, N("ZLEXCOUNT a b -> not a valid range item"));

    is_integer(cmd(c, "ZREMRANGEBYRANK rz 0 1"), 2, N("ZREMRANGEBYRANK 0 1"));
    is_array_of(cmd(c, "ZRANGE rz 0 -1"), "c d e", N("... the two lowest went"));
    is_integer(cmd(c, "ZREMRANGEBYRANK rz -1 -1"), 1, N("ZREMRANGEBYRANK -1 -1"));
    is_integer(cmd(c, "ZREMRANGEBYRANK rz 5 10"), 0, N("ZREMRANGEBYRANK past the end -> 0"));
    is_integer(cmd(c, "ZREMRANGEBYRANK rz 1 0"), 0, N("ZREMRANGEBYRANK 1 0 -> 0"));
    is_integer(cmd(c, "ZREMRANGEBYRANK rz 0 -1"), 2, N("ZREMRANGEBYRANK 0 -1: the rest"));
    is_integer(cmd(c, "EXISTS rz"), 0, N("... deletes the key"));
    is_integer(cmd(c, "ZREMRANGEBYRANK nokey 0 -1"), 0, N("ZREMRANGEBYRANK of a missing key -> 0"));
    is_error(cmd(c, "ZREMRANGEBYRANK rz x 1"), NOTINT, N("ZREMRANGEBYRANK x -> not an integer"));

    is_integer(cmd(c, "ZADD rz 1 a 2 b 3 c 4 d 5 e -inf lo inf hi"), 7,
               N("rz again, with infinities"));
    is_integer(cmd(c, "ZREMRANGEBYSCORE rz (1 3"), 2, N("ZREMRANGEBYSCORE (1 3"));
    is_array_of(cmd(c, "ZRANGE rz 0 -1"), "lo a d e hi", N("... b and c went"));
    is_integer(cmd(c, "ZREMRANGEBYSCORE rz 10 20"), 0, N("ZREMRANGEBYSCORE of nothing -> 0"));
    is_integer(cmd(c, "ZREMRANGEBYSCORE rz inf inf"), 1, N("ZREMRANGEBYSCORE inf inf"));
    is_integer(cmd(c, "ZREMRANGEBYSCORE rz -inf (5"), 3, N("ZREMRANGEBYSCORE -inf (5"));
    is_integer(cmd(c, "ZREMRANGEBYSCORE rz -inf +inf"), 1, N("ZREMRANGEBYSCORE the last"));
    is_integer(cmd(c, "EXISTS rz"), 0, N("... deletes the key"));
    is_error(cmd(c, "ZREMRANGEBYSCORE rz 1 nan"), RANGEFLOAT,
             N("ZREMRANGEBYSCORE nan -> not a float"));

    is_integer(cmd(c, "ZREMRANGEBYLEX lx [b [c"), 2, N("ZREMRANGEBYLEX [b [c"));
    is_array_of(cmd(c, "ZRANGE lx 0 -1"), "a d e", N("... b and c went"));
    is_integer(cmd(c, "ZREMRANGEBYLEX lx + -"), 0, N("ZREMRANGEBYLEX + - -> 0"));
    is_integer(cmd(c, "ZREMRANGEBYLEX lx (a +"), 2, N("ZREMRANGEBYLEX (a +"));
    is_integer(cmd(c, "ZREMRANGEBYLEX lx - +"), 1, N("ZREMRANGEBYLEX - +"));
    is_integer(cmd(c, "EXISTS lx"), 0, N("... deletes the key"));
    is_error(cmd(c, "ZREMRANGEBYLEX lx a +"), RANGELEX,
             N("ZREMRANGEBYLEX a -> not a valid range item"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_error(cmd(c, "ZREMRANGEBYRANK str x 1"), NOTINT, N("the range is checked before the key"));
    is_error(cmd(c, "ZREMRANGEBYSCORE str 1 2"), WRONGTYPE,
             N("ZREMRANGEBYSCORE of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZCOUNT str 1 2"), WRONGTYPE, N("ZCOUNT of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZLEXCOUNT str - +"), WRONGTYPE, N("ZLEXCOUNT of a string -> WRONGTYPE"));
}

/* ---- pops and random picks ---- */

static void test_pop(redisContext *c)
{
    tc_section(c, N("ZPOPMIN ZPOPMAX ZMPOP"));
    is_integer(cmd(c, "ZADD p 1 a 2 b 3 c 4 d 5 e"), 5, N("p {a:1 .. e:5}"));
    is_array_of(cmd(c, "ZPOPMIN p"), "a 1", N("ZPOPMIN: [member, score]"));
    is_array_of(cmd(c, "ZPOPMAX p"), "e 5", N("ZPOPMAX"));
    is_array_of(cmd(c, "ZPOPMIN p 2"), "b 2 c 3", N("ZPOPMIN 2: flat pairs in RESP2"));
    is_array_of(cmd(c, "ZPOPMIN p 0"), "", N("ZPOPMIN 0 -> empty"));
    is_array_of(cmd(c, "ZPOPMAX p 10"), "d 4", N("ZPOPMAX 10 of the one left"));
    is_integer(cmd(c, "EXISTS p"), 0, N("... deletes the key"));
    is_array_of(cmd(c, "ZPOPMIN p"), "", N("ZPOPMIN of a missing key -> empty array"));
    is_array_of(cmd(c, "ZPOPMAX p 3"), "", N("ZPOPMAX 3 of a missing key -> empty array"));
    is_error(cmd(c, "ZPOPMIN p -1"), "ERR value is out of range, must be positive",
             N("ZPOPMIN -1"));
    is_error(cmd(c, "ZPOPMIN p x"), "ERR value is out of range, must be positive", N("ZPOPMIN x"));
    is_error(cmd(c, "ZPOPMIN p 1 2"), SYNTAX, N("ZPOPMIN with two counts -> syntax error"));
    is_integer(cmd(c, "ZADD q 1 x 1 y 1 z"), 3, N("q: equal scores"));
    is_array_of(cmd(c, "ZPOPMAX q 2"), "z 1 y 1",
                N("ZPOPMAX: the highest member first among equals"));

    is_integer(cmd(c, "ZADD m1 1 a 2 b 3 c"), 3, N("m1 {a:1 b:2 c:3}"));
    is_integer(cmd(c, "ZADD m2 10 x"), 1, N("m2 {x:10}"));
    is_tree(cmd(c, "ZMPOP 1 nokey MIN"), "(nil)", N("ZMPOP of a missing key -> nil"));
    is_tree(cmd(c, "ZMPOP 3 nokey m1 m2 MIN"), "[m1 [[a 1]]]",
            N("ZMPOP: [key, [[member, score]]] from the first set"));
    is_tree(cmd(c, "ZMPOP 2 m1 m2 MAX COUNT 5"), "[m1 [[c 3] [b 2]]]", N("ZMPOP MAX COUNT 5"));
    is_integer(cmd(c, "EXISTS m1"), 0, N("... emptied m1 is deleted"));
    is_tree(cmd(c, "ZMPOP 2 m1 m2 min count 1"), "[m2 [[x 10]]]",
            N("ZMPOP min count 1 (any case): the next key"));
    is_tree(cmd(c, "ZMPOP 2 m1 m2 MIN"), "(nil)", N("ZMPOP of empty keys -> nil"));
    is_error(cmd(c, "ZMPOP 0 m1 MIN"), "ERR numkeys should be greater than 0",
             N("ZMPOP numkeys 0"));
    is_error(cmd(c, "ZMPOP -1 m1 MIN"), "ERR numkeys should be greater than 0",
             N("ZMPOP numkeys -1"));
    is_error(cmd(c, "ZMPOP x m1 MIN"), "ERR numkeys should be greater than 0",
             N("ZMPOP numkeys x"));
    is_error(cmd(c, "ZMPOP 2 m1 MIN"), SYNTAX, N("ZMPOP numkeys past MIN -> syntax error"));
    is_error(cmd(c, "ZMPOP 5 m1 MIN"), SYNTAX, N("ZMPOP numkeys past the end -> syntax error"));
    is_error(cmd(c, "ZMPOP 1 m1 LEFT"), SYNTAX, N("ZMPOP LEFT -> syntax error"));
    is_error(cmd(c, "ZMPOP 1 m1 MIN COUNT"), SYNTAX,
             N("ZMPOP COUNT without a number -> syntax error"));
    is_error(cmd(c, "ZMPOP 1 m1 MIN COUNT 0"), "ERR count should be greater than 0",
             N("ZMPOP COUNT 0"));
    is_error(cmd(c, "ZMPOP 1 m1 MIN COUNT -2"), "ERR count should be greater than 0",
             N("ZMPOP COUNT -2"));
    is_error(cmd(c, "ZMPOP 1 m1 MIN COUNT x"), "ERR count should be greater than 0",
             N("ZMPOP COUNT x"));
    is_error(cmd(c, "ZMPOP 1 m1 MIN COUNT 1 COUNT 1"), SYNTAX,
             N("ZMPOP COUNT twice -> syntax error"));
    is_error(cmd(c, "ZMPOP 1 m1 MIN foo"), SYNTAX, N("ZMPOP unknown option -> syntax error"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_integer(cmd(c, "ZADD m3 1 a"), 1, N("m3 {a:1}"));
    is_error(cmd(c, "ZMPOP 2 str m3 MIN"), WRONGTYPE,
             N("ZMPOP: a string before the set -> WRONGTYPE"));
    is_tree(cmd(c, "ZMPOP 2 m3 str MIN"), "[m3 [[a 1]]]",
            N("ZMPOP: a string after the set is not looked at"));
    is_error(cmd(c, "ZPOPMIN str"), WRONGTYPE, N("ZPOPMIN of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZPOPMAX str 0"), WRONGTYPE, N("ZPOPMAX 0 of a string -> WRONGTYPE"));
}

/* 'line' (ZRANDMEMBER on set {a:1 b:2 c:3 d:4 e:5}) replies a flat array of 'want'
 * members of that set (each followed by its right score when 'withscores'), distinct
 * when 'distinct'. */
static void picks_are(redisContext *c, const char *line, size_t want, int distinct, int withscores,
                      const char *name)
{
    redisReply *r = cmdline(c, line);
    size_t step = withscores ? 2 : 1;
    int good = r && r->type == REDIS_REPLY_ARRAY && r->elements == want * step;
    unsigned seen = 0, dup = 0;

    for (size_t i = 0; good && i < r->elements; i += step) {
        const redisReply *m = r->element[i];
        int k;

        good = m->type == REDIS_REPLY_STRING && m->len == 1 && m->str[0] >= 'a' && m->str[0] <= 'e';
        if (!good)
            break;
        k = m->str[0] - 'a';
        dup |= seen & (1u << k);
        seen |= 1u << k;
        if (withscores) {
            char s[8];

            snprintf(s, sizeof(s), "%d", k + 1);
            good = r->element[i + 1]->type == REDIS_REPLY_STRING &&
                   !strcmp(r->element[i + 1]->str, s);
        }
    }
    if (good && distinct)
        good = !dup;
    if (!ok(good, "%s", name)) {
        diag("  %s:", line);
        ts_diag_reply(r);
        if (r && r->type == REDIS_REPLY_ARRAY)
            diag("  %zu elements, want %zu", r->elements, want * step);
    }
    freeReplyObject(r);
}

static void test_randmember(redisContext *c)
{
    redisReply *r;
    int good;

    tc_section(c, N("ZRANDMEMBER"));
    is_nil(cmd(c, "ZRANDMEMBER nokey"), N("ZRANDMEMBER of a missing key -> nil"));
    is_array_of(cmd(c, "ZRANDMEMBER nokey 3"), "", N("ZRANDMEMBER 3 of a missing key -> empty"));
    is_array_of(cmd(c, "ZRANDMEMBER nokey -3 WITHSCORES"), "",
                N("ZRANDMEMBER -3 WITHSCORES of a missing key"));
    is_integer(cmd(c, "ZADD rs 1 a 2 b 3 c 4 d 5 e"), 5, N("rs {a:1 .. e:5}"));
    r = cmd(c, "ZRANDMEMBER rs");
    good = r && r->type == REDIS_REPLY_STRING && r->len == 1 && r->str[0] >= 'a' &&
           r->str[0] <= 'e';
    if (!ok(good, "%s", N("ZRANDMEMBER: one member, as a bulk string")))
        ts_diag_reply(r);
    freeReplyObject(r);
    is_array_of(cmd(c, "ZRANDMEMBER rs 0"), "", N("ZRANDMEMBER 0 -> empty"));
    is_array_of(cmd(c, "ZRANDMEMBER rs 0 WITHSCORES"), "", N("ZRANDMEMBER 0 WITHSCORES -> empty"));
    for (int i = 0; i < 10; i++) {
        picks_are(c, "ZRANDMEMBER rs 3", 3, 1, 0,
                  N("ZRANDMEMBER 3: three distinct members (%d)", i));
        picks_are(c, "ZRANDMEMBER rs 3 WITHSCORES", 3, 1, 1, N("ZRANDMEMBER 3 WITHSCORES (%d)", i));
    }
    picks_are(c, "ZRANDMEMBER rs 10", 5, 1, 0, N("ZRANDMEMBER 10 of 5: all five"));
    picks_are(c, "ZRANDMEMBER rs 5 withscores", 5, 1, 1, N("ZRANDMEMBER 5 withscores: all five"));
    picks_are(c, "ZRANDMEMBER rs -20", 20, 0, 0, N("ZRANDMEMBER -20: twenty picks"));
    picks_are(c, "ZRANDMEMBER rs -7 WITHSCORES", 7, 0, 1, N("ZRANDMEMBER -7 WITHSCORES"));
    is_error(cmd(c, "ZRANDMEMBER rs x"), NOTINT, N("ZRANDMEMBER x -> not an integer"));
    is_error(cmd(c, "ZRANDMEMBER rs 1 foo"), SYNTAX, N("ZRANDMEMBER 1 foo -> syntax error"));
    is_error(cmd(c, "ZRANDMEMBER rs 1 WITHSCORES x"), SYNTAX, N("ZRANDMEMBER 1 WITHSCORES x"));
    is_error(cmd(c, "ZRANDMEMBER rs x WITHSCORES"), NOTINT,
             N("the count is read before the option"));
    is_error(cmd(c, "ZRANDMEMBER rs -9223372036854775808"),
             "ERR value is out of range, value must between -9223372036854775807 and "
             "9223372036854775807",
             N("ZRANDMEMBER LLONG_MIN"));
    is_error(cmd(c, "ZRANDMEMBER rs -5000000000000000000 WITHSCORES"), "ERR value is out of range",
             N("ZRANDMEMBER -5e18 WITHSCORES -> out of range"));
    is_error(cmd(c, "ZRANDMEMBER nokey 5000000000000000000 WITHSCORES"),
             "ERR value is out of range", N("... checked before the key"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_error(cmd(c, "ZRANDMEMBER str"), WRONGTYPE, N("ZRANDMEMBER of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZRANDMEMBER str 2"), WRONGTYPE, N("ZRANDMEMBER 2 of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZRANDMEMBER str 1 foo"), SYNTAX,
             N("... the syntax is checked before the key"));
}

/* ---- set operations ---- */

static void test_setops(redisContext *c)
{
    tc_section(c, N("ZUNION ZINTER ZDIFF ZINTERCARD and their STORE forms"));
    is_integer(cmd(c, "ZADD z1 1 a 2 b 3 c"), 3, N("z1 {a:1 b:2 c:3}"));
    is_integer(cmd(c, "ZADD z2 10 b 20 c 30 d"), 3, N("z2 {b:10 c:20 d:30}"));
    is_integer(cmd(c, "SADD s1 a d e"), 3, N("s1: a plain set {a d e}"));
    is_array_of(cmd(c, "ZUNION 2 z1 z2"), "a b c d", N("ZUNION"));
    is_array_of(cmd(c, "ZUNION 2 z1 z2 WITHSCORES"), "a 1 b 12 c 23 d 30",
                N("ZUNION WITHSCORES sums"));
    is_array_of(cmd(c, "ZUNION 2 z1 z2 WEIGHTS 2 0.5 WITHSCORES"), "a 2 b 9 d 15 c 16",
                N("ZUNION WEIGHTS"));
    is_array_of(cmd(c, "ZUNION 2 z1 z2 AGGREGATE MIN WITHSCORES"), "a 1 b 2 c 3 d 30",
                N("AGGREGATE MIN"));
    is_array_of(cmd(c, "ZUNION 2 z1 z2 AGGREGATE max WITHSCORES"), "a 1 b 10 c 20 d 30",
                N("AGGREGATE max"));
    is_array_of(cmd(c, "ZUNION 2 z1 z2 aggregate sum weights 1 -1 withscores"),
                "d -30 c -17 b -8 a 1",
                N("options in any order and case; negative weights reorder"));
    is_array_of(cmd(c, "ZUNION 3 z1 s1 nokey WITHSCORES"), "d 1 e 1 a 2 b 2 c 3",
                N("a set's members score 1, a missing key is empty"));
    is_array_of(cmd(c, "ZUNION 2 z1 s1 WITHSCORES"), "d 1 e 1 a 2 b 2 c 3",
                N("ZUNION with a set, in order"));
    is_array_of(cmd(c, "ZINTER 2 z1 z2 WITHSCORES"), "b 12 c 23", N("ZINTER WITHSCORES"));
    is_array_of(cmd(c, "ZINTER 2 z1 z2 WEIGHTS 1 0 AGGREGATE MAX WITHSCORES"), "b 2 c 3",
                N("ZINTER WEIGHTS AGGREGATE"));
    is_array_of(cmd(c, "ZINTER 2 z1 s1 WITHSCORES"), "a 2", N("ZINTER with a set"));
    is_array_of(cmd(c, "ZINTER 2 z1 nokey"), "", N("ZINTER with a missing key -> empty"));
    is_array_of(cmd(c, "ZDIFF 2 z1 z2 WITHSCORES"), "a 1", N("ZDIFF keeps the first set's scores"));
    is_array_of(cmd(c, "ZDIFF 2 z2 s1"), "b c", N("ZDIFF minus a set"));
    is_array_of(cmd(c, "ZDIFF 1 nokey"), "", N("ZDIFF of a missing key -> empty"));
    is_array_of(cmd(c, "ZDIFF 2 s1 z1 WITHSCORES"), "d 1 e 1", N("ZDIFF of a set"));
    is_integer(cmd(c, "ZINTERCARD 2 z1 z2"), 2, N("ZINTERCARD"));
    is_integer(cmd(c, "ZINTERCARD 2 z1 z2 LIMIT 1"), 1, N("ZINTERCARD LIMIT 1"));
    is_integer(cmd(c, "ZINTERCARD 2 z1 z2 limit 0"), 2, N("ZINTERCARD LIMIT 0: no limit"));
    is_integer(cmd(c, "ZINTERCARD 2 z1 s1"), 1, N("ZINTERCARD with a set"));
    is_integer(cmd(c, "ZINTERCARD 1 nokey"), 0, N("ZINTERCARD of a missing key -> 0"));
    /* scores: inf * 0 is 0, inf - inf is 0 in a sum */
    is_integer(cmd(c, "ZADD zi inf a -inf b"), 2, N("zi {a:inf b:-inf}"));
    is_integer(cmd(c, "ZADD zj -inf a inf b 5 c"), 3, N("zj {a:-inf b:inf c:5}"));
    is_array_of(cmd(c, "ZUNION 2 zi zj WITHSCORES"), "a 0 b 0 c 5", N("inf + -inf sums to 0"));
    is_array_of(cmd(c, "ZUNION 1 zi WEIGHTS 0 WITHSCORES"), "a 0 b 0", N("inf * 0 is 0"));
    is_array_of(cmd(c, "ZUNION 2 zi zj AGGREGATE MIN WITHSCORES"), "a -inf b -inf c 5",
                N("MIN with infinities"));
    is_array_of(cmd(c, "ZINTER 2 zi zi WITHSCORES"), "b -inf a inf", N("inf + inf is inf"));

    /* STORE forms */
    is_integer(cmd(c, "ZUNIONSTORE d 2 z1 z2"), 4, N("ZUNIONSTORE"));
    is_array_of(cmd(c, "ZRANGE d 0 -1 WITHSCORES"), "a 1 b 12 c 23 d 30", N("... stored"));
    is_integer(cmd(c, "ZINTERSTORE d 2 z1 z2 WEIGHTS 2 1 AGGREGATE MIN"), 2,
               N("ZINTERSTORE replaces d"));
    is_array_of(cmd(c, "ZRANGE d 0 -1 WITHSCORES"), "b 4 c 6", N("... stored"));
    is_integer(cmd(c, "ZDIFFSTORE d 2 z1 z2"), 1, N("ZDIFFSTORE"));
    is_array_of(cmd(c, "ZRANGE d 0 -1 WITHSCORES"), "a 1", N("... stored"));
    is_integer(cmd(c, "ZUNIONSTORE d 2 s1 z1"), 5, N("ZUNIONSTORE of a set and a sorted set"));
    is_status(cmd(c, "TYPE d"), "zset", N("... is a sorted set"));
    is_integer(cmd(c, "ZINTERSTORE d 2 z1 nokey"), 0, N("an empty ZINTERSTORE -> 0"));
    is_integer(cmd(c, "EXISTS d"), 0, N("... deletes d"));
    is_status(cmd(c, "SET str x EX 100"), "OK", N("a string with a TTL"));
    is_integer(cmd(c, "ZUNIONSTORE str 1 z1"), 3, N("ZUNIONSTORE over a string"));
    is_status(cmd(c, "TYPE str"), "zset", N("... makes it a sorted set"));
    is_integer(cmd(c, "TTL str"), -1, N("... without the TTL"));
    is_integer(cmd(c, "ZUNIONSTORE z1 2 z1 z2"), 4, N("ZUNIONSTORE into one of its inputs"));
    is_array_of(cmd(c, "ZRANGE z1 0 -1 WITHSCORES"), "a 1 b 12 c 23 d 30", N("... stored"));

    /* errors, in Redis' order: numkeys, the keys' types, then the options */
    is_error(cmd(c, "ZUNION 0 z1"), "ERR at least 1 input key is needed for 'zunion' command",
             N("ZUNION 0"));
    is_error(cmd(c, "ZINTER -1 z1"), "ERR at least 1 input key is needed for 'zinter' command",
             N("ZINTER -1"));
    is_error(cmd(c, "ZDIFF 0 z1"), "ERR at least 1 input key is needed for 'zdiff' command",
             N("ZDIFF 0"));
    is_error(cmd(c, "ZINTERCARD 0 z1"),
             "ERR at least 1 input key is needed for 'zintercard' command", N("ZINTERCARD 0"));
    is_error(cmd(c, "ZUNIONSTORE d 0 z1"),
             "ERR at least 1 input key is needed for 'zunionstore' command", N("ZUNIONSTORE 0"));
    is_error(cmd(c, "ZINTERSTORE d 0 z1"),
             "ERR at least 1 input key is needed for 'zinterstore' command", N("ZINTERSTORE 0"));
    is_error(cmd(c, "ZDIFFSTORE d 0 z1"),
             "ERR at least 1 input key is needed for 'zdiffstore' command", N("ZDIFFSTORE 0"));
    is_error(cmd(c, "ZUNION x z1"), NOTINT, N("ZUNION numkeys x -> not an integer"));
    is_error(cmd(c, "ZINTERCARD x z1"), NOTINT, N("ZINTERCARD numkeys x -> not an integer"));
    is_error(cmd(c, "ZUNION 3 z1 z2"), SYNTAX, N("ZUNION numkeys past the end -> syntax error"));
    is_error(cmd(c, "ZUNIONSTORE d 3 z1 z2"), SYNTAX, N("ZUNIONSTORE numkeys past the end"));
    is_error(cmd(c, "ZUNION 2 z1 z2 WEIGHTS 1"), SYNTAX, N("too few weights -> syntax error"));
    is_error(cmd(c, "ZUNION 2 z1 z2 WEIGHTS 1 x"), "ERR weight value is not a float",
             N("weight x"));
    is_error(cmd(c, "ZUNION 2 z1 z2 WEIGHTS 1 nan"), "ERR weight value is not a float",
             N("weight nan"));
    is_error(cmd(c, "ZUNION 2 z1 z2 AGGREGATE AVG"), SYNTAX, N("AGGREGATE AVG -> syntax error"));
    is_error(cmd(c, "ZUNION 2 z1 z2 AGGREGATE"), SYNTAX, N("AGGREGATE alone -> syntax error"));
    is_error(cmd(c, "ZUNION 2 z1 z2 foo"), SYNTAX, N("unknown option -> syntax error"));
    is_error(cmd(c, "ZUNIONSTORE d 2 z1 z2 WITHSCORES"), SYNTAX,
             N("ZUNIONSTORE WITHSCORES -> syntax error"));
    is_error(cmd(c, "ZDIFF 2 z1 z2 WEIGHTS 1 1"), SYNTAX, N("ZDIFF WEIGHTS -> syntax error"));
    is_error(cmd(c, "ZDIFF 2 z1 z2 AGGREGATE MIN"), SYNTAX, N("ZDIFF AGGREGATE -> syntax error"));
    is_error(cmd(c, "ZINTERCARD 2 z1 z2 WITHSCORES"), SYNTAX,
             N("ZINTERCARD WITHSCORES -> syntax error"));
    is_error(cmd(c, "ZINTERCARD 2 z1 z2 WEIGHTS 1 1"), SYNTAX,
             N("ZINTERCARD WEIGHTS -> syntax error"));
    is_error(cmd(c, "ZINTERCARD 2 z1 z2 LIMIT"), SYNTAX,
             N("ZINTERCARD LIMIT alone -> syntax error"));
    is_error(cmd(c, "ZINTERCARD 2 z1 z2 LIMIT -1"), "ERR LIMIT can't be negative",
             N("ZINTERCARD LIMIT -1"));
    is_error(cmd(c, "ZINTERCARD 2 z1 z2 LIMIT x"), "ERR LIMIT can't be negative",
             N("ZINTERCARD LIMIT x"));
    is_error(cmd(c, "ZUNION 2 z1 z2 LIMIT 1"), SYNTAX, N("ZUNION LIMIT -> syntax error"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_integer(cmd(c, "HSET h f v"), 1, N("a hash"));
    is_error(cmd(c, "ZUNION 2 z1 str"), WRONGTYPE, N("ZUNION with a string -> WRONGTYPE"));
    is_error(cmd(c, "ZINTER 2 h z1"), WRONGTYPE, N("ZINTER with a hash -> WRONGTYPE"));
    is_error(cmd(c, "ZDIFF 2 z1 str"), WRONGTYPE, N("ZDIFF with a string -> WRONGTYPE"));
    is_error(cmd(c, "ZINTERCARD 2 z1 str"), WRONGTYPE, N("ZINTERCARD with a string -> WRONGTYPE"));
    is_error(cmd(c, "ZUNIONSTORE d 2 z1 str"), WRONGTYPE,
             N("ZUNIONSTORE with a string -> WRONGTYPE"));
    is_integer(cmd(c, "EXISTS d"), 0, N("... stored nothing"));
    is_error(cmd(c, "ZUNION 2 z1 str WEIGHTS 1 x"), WRONGTYPE, N("WRONGTYPE before a bad weight"));
    is_error(cmd(c, "ZUNION 2 z1 str foo"), WRONGTYPE, N("WRONGTYPE before a bad option"));
    is_error(cmd(c, "ZINTERCARD 1 str LIMIT -1"), WRONGTYPE, N("WRONGTYPE before a bad LIMIT"));
    is_error(cmd(c, "ZUNION 3 z1 str"), SYNTAX, N("a bad numkeys before WRONGTYPE"));
    is_integer(cmd(c, "ZUNIONSTORE str 1 z2"), 3, N("a STORE destination may be of any type"));
}

/* ---- ZSCAN ---- */

static void test_zscan(redisContext *c)
{
    struct tc_strs got = {0}, want = {0};
    size_t first_n = 0;
    int first_cursor = 0;
    long calls;

    tc_section(c, N("ZSCAN"));
    is_scan_empty(cmd(c, "ZSCAN nokey 0"), N("ZSCAN of a missing key -> [0, []]"));
    is_integer(cmd(c, "ZADD small 1 a1 2.5 a2 -3 b1 inf b2 1e17 c"), 5, N("a small sorted set"));
    calls = tc_scan_all(c, "ZSCAN", "small", "", 1, &got, &first_n, &first_cursor);
    tc_add_pairs(&want, "a1 1 a2 2.5 b1 -3 b2 inf c 100000000000000000");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls == 1 && !first_cursor && tc_same(&got, &want), "%s",
       N("ZSCAN of a small set: every member and score at once, cursor 0"));
    if (!tc_same(&got, &want)) {
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    tc_free(&got);
    tc_free(&want);
    calls = tc_scan_all(c, "ZSCAN", "small", "MATCH a* COUNT 1", 1, &got, NULL, NULL);
    tc_add_pairs(&want, "a1 1 a2 2.5");
    tc_sort(&got);
    tc_sort(&want);
    ok(calls >= 1 && tc_same(&got, &want), "%s", N("ZSCAN MATCH a*: the matching members"));
    tc_free(&got);
    tc_free(&want);
    is_error(cmd(c, "ZSCAN small x"), "ERR invalid cursor", N("ZSCAN x -> invalid cursor"));
    is_error(cmd(c, "ZSCAN small 0 COUNT 0"), SYNTAX, N("ZSCAN COUNT 0 -> syntax error"));
    is_error(cmd(c, "ZSCAN small 0 COUNT x"), NOTINT, N("ZSCAN COUNT x -> not an integer"));
    is_error(cmd(c, "ZSCAN small 0 MATCH"), SYNTAX, N("ZSCAN MATCH without a pattern"));
    is_error(cmd(c, "ZSCAN small 0 TYPE zset"), SYNTAX, N("ZSCAN takes no TYPE"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_error(cmd(c, "ZSCAN str 0"), WRONGTYPE, N("ZSCAN of a string -> WRONGTYPE"));
    is_error(cmd(c, "ZSCAN str 0 COUNT 0"), WRONGTYPE, N("... before a bad option"));
    is_scan_empty(cmd(c, "ZSCAN nokey 0 COUNT 0"), N("a missing key answers before a bad option"));
}

/* ---- large sorted sets, checked against the model ---- */

/* Remove from model 'z' ('*n' members) those scored within [lo, hi]; returns how many. */
static int zm_remove_scores(struct zm *z, int *n, double lo, double hi)
{
    int kept = 0, removed;

    for (int i = 0; i < *n; i++)
        if (z[i].score < lo || z[i].score > hi)
            z[kept++] = z[i];
    removed = *n - kept;
    *n = kept;
    return removed;
}

/* The index of the first member of model 'z' ('n') scored at least 'lo' (strictly above
 * when 'ex'). */
static int zm_lower(const struct zm *z, int n, double lo, int ex)
{
    int i = 0;

    while (i < n && (ex ? z[i].score <= lo : z[i].score < lo))
        i++;
    return i;
}

static void test_large(redisContext *c)
{
    struct zm *z = omk_malloc(BIG * sizeof(*z)), *l = omk_malloc(BIG * sizeof(*l));
    struct tc_strs got = {0}, want = {0};
    int n = BIG, from, to, bad = 0;
    char line[200];
    long calls;
    char *w;

    tc_section(c, N("large sorted sets against the model"));
    zm_fill(z, BIG, "m:", big_score);
    zm_fill(l, BIG, "l:", NULL);
    is_int(zfill(c, "big", "m:", BIG, big_score), BIG, "%s", N("ZADD %d members", BIG));
    is_int(zfill(c, "big", "m:", BIG / 2, big_score), 0, "%s",
           N("ZADD of present members adds none"));
    is_int(zfill(c, "lex", "l:", BIG, NULL), BIG, "%s", N("ZADD %d members scored 0", BIG));
    is_integer(cmd(c, "ZCARD big"), BIG, N("ZCARD"));
    enc_is(c, "big", "skiplist", N("OBJECT ENCODING skiplist"));
    is_model(c, "ZRANGE big 0 -1 WITHSCORES", z, 0, n, 0, 1, N("ZRANGE 0 -1 WITHSCORES"));
    is_model(c, "ZRANGE big 100 149", z, 100, 150, 0, 0, N("ZRANGE 100 149"));
    is_model(c, "ZRANGE big -20 -1 WITHSCORES", z, n - 20, n, 0, 1, N("ZRANGE -20 -1"));
    is_model(c, "ZREVRANGE big 0 9 WITHSCORES", z, n - 10, n, 1, 1, N("ZREVRANGE 0 9"));
    is_model(c, "ZRANGE big 250 260 REV", z, n - 261, n - 250, 1, 0, N("ZRANGE 250 260 REV"));
    from = zm_lower(z, n, -5, 0);
    to = zm_lower(z, n, 5, 1);
    is_model(c, "ZRANGEBYSCORE big -5 5 WITHSCORES", z, from, to, 0, 1, N("ZRANGEBYSCORE -5 5"));
    is_model(c, "ZRANGEBYSCORE big -5 5 LIMIT 7 13", z, from + 7, from + 20, 0, 0,
             N("ZRANGEBYSCORE -5 5 LIMIT 7 13"));
    is_model(c, "ZREVRANGEBYSCORE big 5 -5 LIMIT 3 4", z, to - 7, to - 3, 1, 0,
             N("ZREVRANGEBYSCORE 5 -5 LIMIT 3 4"));
    from = zm_lower(z, n, -5, 1);
    to = zm_lower(z, n, 5, 0);
    is_model(c, "ZRANGE big (-5 (5 BYSCORE", z, from, to, 0, 0, N("ZRANGE (-5 (5 BYSCORE"));
    snprintf(line, sizeof(line), "ZCOUNT big (-5 (5");
    is_int(tc_int(c, line), to - from, "%s", N("ZCOUNT (-5 (5"));
    for (int i = 0; i < n; i += 23) {
        snprintf(line, sizeof(line), "ZRANK big %s", z[i].member);
        bad += tc_int(c, line) != i;
        snprintf(line, sizeof(line), "ZREVRANK big %s", z[i].member);
        bad += tc_int(c, line) != n - 1 - i;
    }
    ok(bad == 0, "%s", N("ZRANK and ZREVRANK of every 23rd member as the model says"));
    is_model(c, "ZRANGEBYLEX lex [l:0100 (l:0200", l, 100, 200, 0, 0,
             N("ZRANGEBYLEX [l:0100 (l:0200"));
    is_model(c, "ZREVRANGEBYLEX lex + (l:0150 LIMIT 10 5", l, BIG - 15, BIG - 10, 1, 0,
             N("ZREVRANGEBYLEX + (l:0150 LIMIT 10 5"));
    is_integer(cmd(c, "ZLEXCOUNT lex (l:0010 [l:0290"), 280, N("ZLEXCOUNT (l:0010 [l:0290"));

    /* ZSCAN walks the whole set once */
    calls = tc_scan_all(c, "ZSCAN", "big", "COUNT 20", 1, &got, NULL, NULL);
    w = zm_words(z, 0, n, 0, 1);
    tc_add_pairs(&want, w);
    omk_free(w);
    tc_sort(&got);
    tc_sort(&want);
    if (!ok(calls > 0 && tc_same(&got, &want), "%s",
            N("ZSCAN COUNT 20: every member once, with its score"))) {
        tc_diag(&got, "got");
        tc_diag(&want, "want");
    }
    tc_free(&got);
    tc_free(&want);
    calls = tc_scan_all(c, "ZSCAN", "big", "MATCH m:01* COUNT 50", 1, &got, NULL, NULL);
    ok(calls > 0 && got.n == 100 && tc_dups(&got) == 0, "%s",
       N("ZSCAN MATCH m:01*: the 100 matching"));
    tc_free(&got);

    /* random picks and set operations */
    {
        redisReply *r = cmd(c, "ZRANDMEMBER big 50");
        int good = tc_from_reply(&got, r) && got.n == 50;

        tc_sort(&got);
        for (size_t i = 0; good && i < got.n; i++)
            good = got.e[i].len == 6 && !memcmp(got.e[i].p, "m:0", 3);
        ok(good && tc_dups(&got) == 0, "%s", N("ZRANDMEMBER 50: distinct members of the set"));
        tc_free(&got);
        freeReplyObject(r);
    }
    is_integer(cmd(c, "ZUNIONSTORE u 2 big lex"), 2 * BIG, N("ZUNIONSTORE of both large sets"));
    is_integer(cmd(c, "ZINTERCARD 2 big lex"), 0, N("ZINTERCARD of disjoint sets -> 0"));
    is_integer(cmd(c, "ZINTERSTORE i 2 big u WEIGHTS 1 2"), BIG, N("ZINTERSTORE big u"));
    {
        char sb[40];

        score_text(sb, sizeof(sb), 3 * big_score(7));
        is_str(cmd(c, "ZSCORE i m:0007"), sb, strlen(sb),
               N("... scores summed with their weights"));
    }
    enc_is(c, "i", "skiplist", N("... a large result is skiplist"));
    is_integer(cmd(c, "ZRANGESTORE small big 0 9"), 10, N("ZRANGESTORE of 10 from the large set"));
    enc_is(c, "small", "listpack", N("... a small result is listpack"));
    is_model(c, "ZRANGE small 0 -1 WITHSCORES", z, 0, 10, 0, 1, N("... the 10 lowest"));
    is_integer(cmd(c, "ZDIFFSTORE d 2 big small"), BIG - 10, N("ZDIFFSTORE big small"));
    is_model(c, "ZRANGE d 0 4", z, 10, 15, 0, 0, N("... starts after them"));

    /* removals */
    is_integer(cmd(c, "ZREMRANGEBYRANK big 0 9"), 10, N("ZREMRANGEBYRANK 0 9"));
    z += 10, n -= 10;
    is_model(c, "ZPOPMIN big 5", z, 0, 5, 0, 1, N("ZPOPMIN 5"));
    z += 5, n -= 5;
    is_model(c, "ZPOPMAX big 3", z, n - 3, n, 1, 1, N("ZPOPMAX 3"));
    n -= 3;
    snprintf(line, sizeof(line), "ZREMRANGEBYSCORE big -3 2");
    is_int(tc_int(c, line), zm_remove_scores(z, &n, -3, 2), "%s", N("ZREMRANGEBYSCORE -3 2"));
    is_int(tc_int(c, "ZCARD big"), n, "%s", N("ZCARD after the removals"));
    is_model(c, "ZRANGE big 0 -1 WITHSCORES", z, 0, n, 0, 1, N("ZRANGE 0 -1 after the removals"));
    is_integer(cmd(c, "ZREMRANGEBYLEX lex [l:0000 (l:0290"), 290, N("ZREMRANGEBYLEX of 290"));
    is_model(c, "ZRANGE lex 0 -1", l, 290, BIG, 0, 0, N("... leaves the last 10"));
    enc_is(c, "lex", "skiplist", N("... still skiplist (Redis 7.0 never converts back)"));
    z -= 15;

    /* -0 in a large set: Redis keeps its sign there */
    is_integer(cmd(c, "ZADD big -0 negzero"), 1, N("ZADD -0 to a large set"));
    is_bulk(c, "ZSCORE big negzero", "-0", N("... ZSCORE -0"));
    is_integer(cmd(c, "ZCOUNT big 0 0"), tc_int(c, "ZCOUNT big -0 -0"), N("... counted as 0"));
    omk_free(z);
    omk_free(l);
}

/* ---- arity and WRONGTYPE ---- */

static void test_errors(redisContext *c)
{
    static const char *const arity[] = {
        "ZADD z",
        "ZADD z 1",
        "ZINCRBY z 1",
        "ZINCRBY z 1 a b",
        "ZREM z",
        "ZCARD",
        "ZCARD z x",
        "ZSCORE z",
        "ZSCORE z a b",
        "ZMSCORE z",
        "ZRANK z",
        "ZRANK z a b",
        "ZREVRANK z",
        "ZCOUNT z 1",
        "ZLEXCOUNT z -",
        "ZRANGE z 0",
        "ZRANGESTORE d z 0",
        "ZRANGEBYSCORE z 0",
        "ZREVRANGEBYSCORE z 0",
        "ZRANGEBYLEX z -",
        "ZREVRANGEBYLEX z +",
        "ZREVRANGE z 0",
        "ZREMRANGEBYRANK z 0",
        "ZREMRANGEBYRANK z 0 1 2",
        "ZREMRANGEBYSCORE z 0",
        "ZREMRANGEBYLEX z -",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZMPOP 1 z",
        "ZRANDMEMBER",
        "ZUNION 1",
        "ZUNIONSTORE d 1",
        "ZINTER 1",
        "ZINTERSTORE d 1",
        "ZINTERCARD 1",
        "ZDIFF 1",
        "ZDIFFSTORE d 1",
        "ZSCAN z",
    };
    static const char *const on_string[] = {
        "ZADD str 1 a",
        "ZADD str INCR 1 a",
        "ZADD str XX 1 a",
        "ZINCRBY str 1 a",
        "ZREM str a",
        "ZCARD str",
        "ZSCORE str a",
        "ZMSCORE str a",
        "ZRANK str a",
        "ZREVRANK str a",
        "ZCOUNT str 0 1",
        "ZLEXCOUNT str - +",
        "ZRANGE str 0 -1",
        "ZRANGESTORE d str 0 -1",
        "ZRANGEBYSCORE str 0 1",
        "ZREVRANGEBYSCORE str 1 0",
        "ZRANGEBYLEX str - +",
        "ZREVRANGEBYLEX str + -",
        "ZREVRANGE str 0 -1",
        "ZREMRANGEBYRANK str 0 1",
        "ZREMRANGEBYSCORE str 0 1",
        "ZREMRANGEBYLEX str - +",
        "ZPOPMIN str",
        "ZPOPMAX str 2",
        "ZMPOP 1 str MIN",
        "ZRANDMEMBER str",
        "ZRANDMEMBER str -2 WITHSCORES",
        "ZUNION 1 str",
        "ZUNIONSTORE d 1 str",
        "ZINTER 1 str",
        "ZINTERSTORE d 1 str",
        "ZINTERCARD 1 str",
        "ZDIFF 1 str",
        "ZDIFFSTORE d 1 str",
        "ZSCAN str 0",
    };
    static const char *const on_zset[] = {
        "GET z",     "APPEND z x", "INCR z",     "STRLEN z", "HSET z f v", "HGET z f",
        "HGETALL z", "SADD z a",   "SMEMBERS z", "SCARD z",  "SINTER z",   "SUNIONSTORE d z",
    };
    char want[128];

    tc_section(c, N("arity and WRONGTYPE"));
    is_integer(cmd(c, "ZADD z 1 a"), 1, N("a sorted set"));
    for (size_t i = 0; i < OMK_ARRAY_LEN(arity); i++) {
        size_t len = strcspn(arity[i], " ");
        char lower[32];

        for (size_t k = 0; k < len && k < sizeof(lower) - 1; k++)
            lower[k] = (char)(arity[i][k] | 0x20);
        lower[len < sizeof(lower) - 1 ? len : sizeof(lower) - 1] = '\0';
        snprintf(want, sizeof(want), "ERR wrong number of arguments for '%s' command", lower);
        is_error(cmdline(c, arity[i]), want, N("%s -> arity error", arity[i]));
    }
    is_array_of(cmd(c, "ZRANGE z 0 -1 WITHSCORES"), "a 1",
                N("the refused commands left the set alone"));
    is_status(cmd(c, "SET str text"), "OK", N("a string"));
    for (size_t i = 0; i < OMK_ARRAY_LEN(on_string); i++)
        is_error(cmdline(c, on_string[i]), WRONGTYPE,
                 N("%s on a string -> WRONGTYPE", on_string[i]));
    is_str(cmd(c, "GET str"), "text", 4, N("the string is unchanged"));
    is_integer(cmd(c, "EXISTS d"), 0, N("no destination was written"));
    for (size_t i = 0; i < OMK_ARRAY_LEN(on_zset); i++)
        is_error(cmdline(c, on_zset[i]), WRONGTYPE,
                 N("%s on a sorted set -> WRONGTYPE", on_zset[i]));
    is_array_of(cmd(c, "ZRANGE z 0 -1 WITHSCORES"), "a 1", N("the sorted set is unchanged"));
    is_integer(cmd(c, "HSET h f v"), 1, N("a hash"));
    is_error(cmd(c, "ZADD h 1 a"), WRONGTYPE, N("ZADD on a hash -> WRONGTYPE"));
    is_error(cmd(c, "ZRANGE h 0 -1"), WRONGTYPE, N("ZRANGE of a hash -> WRONGTYPE"));
    is_integer(cmd(c, "SADD s a"), 1, N("a set"));
    is_error(cmd(c, "ZADD s 1 a"), WRONGTYPE, N("ZADD on a set -> WRONGTYPE"));
    is_error(cmd(c, "ZCARD s"), WRONGTYPE, N("ZCARD of a set -> WRONGTYPE"));
    is_error(cmd(c, "ZPOPMIN s"), WRONGTYPE, N("ZPOPMIN of a set -> WRONGTYPE"));
    is_integer(cmd(c, "SCARD s"), 1, N("the set is unchanged"));
}

/* ---- RESP3 ---- */

static void test_resp3(const struct tserver *s, redisContext *c)
{
    struct r3conn rc;

    tc_section(c, N("RESP3 reply types"));
    is_integer(cmd(c, "ZADD k 1 a 2.5 b inf c"), 3, N("k {a:1 b:2.5 c:inf}"));
    is_integer(cmd(c, "ZADD one 5 m"), 1, N("one {m:5}"));
    if (r3_open(&rc, s) != 0) {
        ok(0, "a RESP3 connection (HELLO 3)");
        return;
    }
    r3_is_bytes(&rc, "ZSCORE k b", ",2.5\r\n", N("RESP3 ZSCORE: a double"));
    r3_is_bytes(&rc, "ZSCORE k c", ",inf\r\n", N("RESP3 ZSCORE inf"));
    r3_is_bytes(&rc, "ZSCORE k nope", "_\r\n", N("RESP3 ZSCORE of a missing member: null"));
    r3_is_bytes(&rc, "ZMSCORE k a nope", "*2\r\n,1\r\n_\r\n",
                N("RESP3 ZMSCORE: doubles and nulls"));
    r3_is_bytes(&rc, "ZINCRBY k 0.5 a", ",1.5\r\n", N("RESP3 ZINCRBY: a double"));
    r3_is_bytes(&rc, "ZADD k INCR -0.5 a", ",1\r\n", N("RESP3 ZADD INCR: a double"));
    r3_is_bytes(&rc, "ZADD k NX INCR 1 a", "_\r\n", N("RESP3 ZADD INCR refused: null"));
    r3_is_bytes(&rc, "ZADD k 1 a", ":0\r\n", N("RESP3 ZADD: an integer"));
    r3_is_bytes(&rc, "ZRANK k b", ":1\r\n", N("RESP3 ZRANK: an integer"));
    r3_is_bytes(&rc, "ZRANK k nope", "_\r\n", N("RESP3 ZRANK of a missing member: null"));
    r3_is_bytes(&rc, "ZRANGE k 0 1", "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
                N("RESP3 ZRANGE: an array of members"));
    r3_is_bytes(&rc, "ZRANGE k 0 1 WITHSCORES",
                "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n",
                N("RESP3 ZRANGE WITHSCORES: [member, score] pairs"));
    r3_is_bytes(&rc, "ZRANGEBYSCORE k (2.5 +inf WITHSCORES", "*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n",
                N("RESP3 ZRANGEBYSCORE WITHSCORES: pairs"));
    r3_is_bytes(&rc, "ZREVRANGE k 0 0 WITHSCORES", "*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n",
                N("RESP3 ZREVRANGE WITHSCORES: pairs"));
    r3_is_bytes(&rc, "ZRANGE nokey 0 -1 WITHSCORES", "*0\r\n",
                N("RESP3 ZRANGE of a missing key: *0"));
    r3_is_bytes(&rc, "ZUNION 2 k one WITHSCORES",
                "*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n*2\r\n$1\r\nm\r\n,5\r\n"
                "*2\r\n$1\r\nc\r\n,inf\r\n",
                N("RESP3 ZUNION WITHSCORES: pairs"));
    r3_is_bytes(&rc, "ZINTER 2 k one", "*0\r\n", N("RESP3 ZINTER: an array"));
    r3_is_bytes(&rc, "ZDIFF 2 one k WITHSCORES", "*1\r\n*2\r\n$1\r\nm\r\n,5\r\n",
                N("RESP3 ZDIFF WITHSCORES"));
    r3_is_bytes(&rc, "ZINTERCARD 1 k", ":3\r\n", N("RESP3 ZINTERCARD: an integer"));
    r3_is_bytes(&rc, "ZRANDMEMBER one", "$1\r\nm\r\n", N("RESP3 ZRANDMEMBER: a bulk string"));
    r3_is_bytes(&rc, "ZRANDMEMBER nokey", "_\r\n", N("RESP3 ZRANDMEMBER of a missing key: null"));
    r3_is_bytes(&rc, "ZRANDMEMBER one 1", "*1\r\n$1\r\nm\r\n", N("RESP3 ZRANDMEMBER 1: an array"));
    r3_is_bytes(&rc, "ZRANDMEMBER one 2 WITHSCORES", "*1\r\n*2\r\n$1\r\nm\r\n,5\r\n",
                N("RESP3 ZRANDMEMBER WITHSCORES: pairs"));
    r3_is_bytes(&rc, "ZRANDMEMBER one -2 WITHSCORES",
                "*2\r\n*2\r\n$1\r\nm\r\n,5\r\n*2\r\n$1\r\nm\r\n,5\r\n",
                N("RESP3 ZRANDMEMBER -2 WITHSCORES: pairs"));
    r3_is_bytes(&rc, "ZSCAN one 0", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nm\r\n$1\r\n5\r\n",
                N("RESP3 ZSCAN: scores as bulk strings"));
    r3_is_bytes(&rc, "ZPOPMIN nokey", "*0\r\n", N("RESP3 ZPOPMIN of a missing key: *0"));
    r3_is_bytes(&rc, "ZPOPMIN k", "*2\r\n$1\r\na\r\n,1\r\n",
                N("RESP3 ZPOPMIN: flat [member, score]"));
    r3_is_bytes(&rc, "ZPOPMAX k 1", "*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n", N("RESP3 ZPOPMAX 1: pairs"));
    r3_is_bytes(&rc, "ZPOPMAX k 0", "*0\r\n", N("RESP3 ZPOPMAX 0: *0"));
    r3_is_bytes(&rc, "ZMPOP 2 nokey k MIN COUNT 3",
                "*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n", N("RESP3 ZMPOP: [key, pairs]"));
    r3_is_bytes(&rc, "ZMPOP 1 k MIN", "_\r\n", N("RESP3 ZMPOP of nothing: null"));
    r3_is_bytes(&rc, "ZADD neg -0 x", ":1\r\n", N("RESP3 ZADD -0"));
    r3_is_bytes(&rc, "ZSCORE neg x", ",0\r\n", N("RESP3 ZSCORE of -0 in a small set: 0"));
    r3_is_bytes(&rc, "ZADD neg INCR -0 y", ",-0\r\n", N("RESP3 ZADD INCR -0 of a new member: -0"));
    r3_is_bytes(&rc, "ZSCORE neg y", ",0\r\n", N("... kept as 0 in a small set"));
    r3_close(&rc);
}

/* ---- sorted sets as keys ---- */

/* 'line' (a TTL) replies a number within (0, 1000]. */
static void ttl_kept(redisContext *c, const char *line, const char *name)
{
    long long t = tc_int(c, line);

    if (!ok(t > 0 && t <= 1000, "%s", name))
        diag("  TTL %lld", t);
}

static void test_keys(redisContext *c)
{
    char v64[65], v65[66];

    tc_section(c, N("encodings, expiry, RENAME COPY MOVE, MULTI"));
    memset(v64, 'v', 64);
    v64[64] = '\0';
    memset(v65, 'v', 65);
    v65[65] = '\0';
    is_integer(cmd(c, "ZADD e 1 a"), 1, N("a small sorted set"));
    enc_is(c, "e", "listpack", N("OBJECT ENCODING listpack"));
    is_integer(cmd(c, "ZADD e 2 %s", v64), 1, N("ZADD a 64-byte member"));
    enc_is(c, "e", "listpack", N("... still listpack (64 is the limit)"));
    is_integer(cmd(c, "ZADD e 3 %s", v65), 1, N("ZADD a 65-byte member"));
    enc_is(c, "e", "skiplist", N("... skiplist"));
    is_integer(cmd(c, "ZREM e %s %s", v64, v65), 2, N("ZREM the long members"));
    enc_is(c, "e", "skiplist", N("... stays skiplist"));
    is_int(zfill(c, "e2", "m:", 128, NULL), 128, "%s", N("ZADD 128 members"));
    enc_is(c, "e2", "listpack", N("... listpack (128 is the limit)"));
    is_integer(cmd(c, "ZADD e2 1 one-more"), 1, N("ZADD the 129th"));
    enc_is(c, "e2", "skiplist", N("... skiplist"));
    is_int(zfill(c, "e3", "m:", 129, NULL), 129, "%s", N("ZADD 129 members at once"));
    enc_is(c, "e3", "skiplist", N("... skiplist"));
    is_status(cmd(c, "CONFIG SET zset-max-listpack-entries 4"), "OK",
              N("CONFIG SET zset-max-listpack-entries 4"));
    is_integer(cmd(c, "ZADD e4 1 a 2 b 3 c 4 d"), 4, N("ZADD 4 members"));
    enc_is(c, "e4", "listpack", N("... listpack"));
    is_integer(cmd(c, "ZADD e4 5 e"), 1, N("ZADD the 5th"));
    enc_is(c, "e4", "skiplist", N("... skiplist"));
    is_status(cmd(c, "CONFIG SET zset-max-ziplist-entries 128"), "OK",
              N("CONFIG SET the ziplist alias back to 128"));
    is_array_of(cmd(c, "CONFIG GET zset-max-listpack-entries"), "zset-max-listpack-entries 128",
                N("... which CONFIG GET reads under the listpack name"));
    is_integer(cmd(c, "ZRANGESTORE e5 e4 0 -1"), 5, N("ZRANGESTORE of 5"));
    enc_is(c, "e5", "listpack", N("... the result is encoded by its own size"));
    is_nil(cmd(c, "OBJECT ENCODING nokey"), N("OBJECT ENCODING of a missing key -> nil"));

    /* writes keep the expiry */
    is_integer(cmd(c, "ZADD t 1 a 2 b 3 c 4 d 5 e 6 f"), 6, N("t {a..f}"));
    is_integer(cmd(c, "EXPIRE t 100"), 1, N("EXPIRE t 100"));
    is_integer(cmd(c, "ZADD t 7 g"), 1, N("ZADD"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_bulk(c, "ZINCRBY t 1 a", "2", N("ZINCRBY"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_integer(cmd(c, "ZREM t g"), 1, N("ZREM"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_array_of(cmd(c, "ZPOPMIN t"), "a 2", N("ZPOPMIN"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_tree(cmd(c, "ZMPOP 1 t MAX"), "[t [[f 6]]]", N("ZMPOP"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_integer(cmd(c, "ZREMRANGEBYRANK t 0 0"), 1, N("ZREMRANGEBYRANK"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_integer(cmd(c, "ZREMRANGEBYSCORE t 5 5"), 1, N("ZREMRANGEBYSCORE"));
    ttl_kept(c, "TTL t", N("... keeps the TTL"));
    is_integer(cmd(c, "PEXPIRE t 1"), 1, N("PEXPIRE t 1"));
    ts_sleep_ms(20);
    is_integer(cmd(c, "ZCARD t"), 0, N("an expired sorted set reads as empty"));
    is_integer(cmd(c, "EXISTS t"), 0, N("... and is gone"));

    /* RENAME COPY MOVE */
    is_integer(cmd(c, "ZADD r 1 a 2 b"), 2, N("r {a:1 b:2}"));
    is_int(zfill(c, "rb", "m:", BIG, big_score), BIG, "%s", N("rb: a large sorted set"));
    is_status(cmd(c, "RENAME r r2"), "OK", N("RENAME r r2"));
    is_array_of(cmd(c, "ZRANGE r2 0 -1 WITHSCORES"), "a 1 b 2", N("... r2 holds it"));
    is_integer(cmd(c, "EXISTS r"), 0, N("... r is gone"));
    is_status(cmd(c, "RENAME rb rb2"), "OK", N("RENAME of the large one"));
    is_integer(cmd(c, "ZCARD rb2"), BIG, N("... ZCARD"));
    enc_is(c, "rb2", "skiplist", N("... still skiplist"));
    is_integer(cmd(c, "COPY r2 r3"), 1, N("COPY r2 r3"));
    is_integer(cmd(c, "ZADD r3 3 c"), 1, N("ZADD to the copy"));
    is_array_of(cmd(c, "ZRANGE r2 0 -1"), "a b", N("... the original is unchanged"));
    is_integer(cmd(c, "COPY rb2 rb3"), 1, N("COPY of the large one"));
    is_integer(cmd(c, "ZREMRANGEBYRANK rb3 0 99"), 100, N("ZREMRANGEBYRANK on the copy"));
    is_integer(cmd(c, "ZCARD rb2"), BIG, N("... the original keeps its members"));
    is_integer(cmd(c, "ZCARD rb3"), BIG - 100, N("... the copy lost them"));
    is_integer(cmd(c, "COPY r2 r3"), 0, N("COPY onto an existing key -> 0"));
    is_integer(cmd(c, "COPY r2 r3 REPLACE"), 1, N("COPY REPLACE"));
    is_array_of(cmd(c, "ZRANGE r3 0 -1"), "a b", N("... replaced"));
    is_integer(cmd(c, "MOVE r3 1"), 1, N("MOVE r3 to db 1"));
    is_integer(cmd(c, "MOVE rb3 1"), 1, N("MOVE rb3 to db 1"));
    is_status(cmd(c, "SELECT 1"), "OK", N("SELECT 1"));
    is_array_of(cmd(c, "ZRANGE r3 0 -1 WITHSCORES"), "a 1 b 2", N("... r3 in db 1"));
    is_integer(cmd(c, "ZCARD rb3"), BIG - 100, N("... rb3 in db 1"));
    is_status(cmd(c, "FLUSHDB"), "OK", N("FLUSHDB db 1"));
    is_status(cmd(c, "SELECT 0"), "OK", N("SELECT 0"));
}

static void test_multi(redisContext *c)
{
    tc_section(c, N("MULTI"));
    is_status(cmd(c, "MULTI"), "OK", N("MULTI"));
    is_status(cmd(c, "ZADD m 1 a 2 b"), "QUEUED", N("ZADD queued"));
    is_status(cmd(c, "ZINCRBY m 2 a"), "QUEUED", N("ZINCRBY queued"));
    is_status(cmd(c, "ZRANGE m 0 -1 WITHSCORES"), "QUEUED", N("ZRANGE queued"));
    is_status(cmd(c, "ZPOPMIN m"), "QUEUED", N("ZPOPMIN queued"));
    is_status(cmd(c, "ZUNIONSTORE u 1 m"), "QUEUED", N("ZUNIONSTORE queued"));
    is_status(cmd(c, "ZADD str 1 a"), "QUEUED", N("ZADD on a string-to-be queued"));
    is_tree(cmd(c, "EXEC"), "[:2 3 [b 2 a 3] [b 2] :1 :1]", N("EXEC: every reply in order"));
    is_status(cmd(c, "SET str x"), "OK", N("a string"));
    is_status(cmd(c, "MULTI"), "OK", N("MULTI"));
    is_status(cmd(c, "ZADD str 1 a"), "QUEUED", N("ZADD on the string queued"));
    is_status(cmd(c, "ZCARD m"), "QUEUED", N("ZCARD queued"));
    is_tree(cmd(c, "EXEC"), "[-" WRONGTYPE " :1]",
            N("EXEC: the WRONGTYPE in place, the rest runs"));
    is_status(cmd(c, "MULTI"), "OK", N("MULTI"));
    is_error(cmd(c, "ZADD m 1"), "ERR wrong number of arguments for 'zadd' command",
             N("an arity error while queuing"));
    is_error(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.",
             N("... aborts EXEC"));
}

/* ---- COMMAND's view of the sorted-set commands (movable keys) ---- */

static void test_command(redisContext *c)
{
    redisReply *r;
    int good;

    tc_section(c, "COMMAND INFO and GETKEYS");
    r = cmd(c, "COMMAND INFO zunion zunionstore zadd");
    good = r && r->type == REDIS_REPLY_ARRAY && r->elements == 3;
    for (size_t i = 0; good && i < 3; i++)
        good = r->element[i]->type == REDIS_REPLY_ARRAY && r->element[i]->elements >= 6;
    if (good) {
        const redisReply *u = r->element[0], *us = r->element[1], *a = r->element[2];
        int movable = 0;

        for (size_t i = 0; i < u->element[2]->elements; i++)
            movable |= !strcmp(u->element[2]->element[i]->str, "movablekeys");
        good = movable && u->element[3]->integer == 0 && u->element[4]->integer == 0 &&
               u->element[5]->integer == 0 && us->element[3]->integer == 1 &&
               us->element[4]->integer == 1 && us->element[5]->integer == 1 &&
               a->element[1]->integer == -4 && a->element[3]->integer == 1;
    }
    ok(good, "COMMAND INFO: zunion movablekeys 0 0 0, zunionstore 1 1 1, zadd -4 1");
    freeReplyObject(r);
    is_array_of(cmd(c, "COMMAND GETKEYS zunionstore d 2 a b WEIGHTS 1 2"), "d a b",
                "COMMAND GETKEYS zunionstore: the destination and the numkeys keys");
    is_array_of(cmd(c, "COMMAND GETKEYS zunion 2 a b WITHSCORES"), "a b", "COMMAND GETKEYS zunion");
    is_array_of(cmd(c, "COMMAND GETKEYS zmpop 2 a b MIN"), "a b", "COMMAND GETKEYS zmpop");
    is_array_of(cmd(c, "COMMAND GETKEYS zintercard 1 a LIMIT 2"), "a",
                "COMMAND GETKEYS zintercard");
    is_array_of(cmd(c, "COMMAND GETKEYS sintercard 2 a b"), "a b", "COMMAND GETKEYS sintercard");
    is_array_of(cmd(c, "COMMAND GETKEYS zrangestore d s 0 -1"), "d s",
                "COMMAND GETKEYS zrangestore");
    is_array_of(cmd(c, "COMMAND GETKEYS zadd k 1 m"), "k", "COMMAND GETKEYS zadd");
    is_error(cmd(c, "COMMAND GETKEYS zunion 5 a"), "ERR Invalid arguments specified for command",
             "COMMAND GETKEYS zunion with numkeys past the end");
    is_error(cmd(c, "COMMAND GETKEYS zunion 0 a"), "ERR Invalid arguments specified for command",
             "COMMAND GETKEYS zunion 0");
    is_error(cmd(c, "COMMAND GETKEYS zunion x a"), "ERR Invalid arguments specified for command",
             "COMMAND GETKEYS zunion x");
}

/* ---- a restart keeps the sorted sets (omenkv only) ---- */

static void test_restart(struct tserver *s, redisContext **c)
{
    enum { R = 2000 };
    struct zm *z = omk_malloc(R * sizeof(*z));
    char line[100];
    int bad = 0;

    tc_section(*c, "restart (omenkv only)");
    if (s->external) {
        skip("restart: an external server cannot be restarted from here");
        omk_free(z);
        return;
    }
    zm_fill(z, R, "m:", big_score);
    is_int(zfill(*c, "rz", "m:", R, big_score), R, "a sorted set of %d", R);
    is_integer(cmd(*c, "ZADD small 1 a 2 b"), 2, "a small one");
    is_integer(cmd(*c, "ZADD ttl 1 a"), 1, "one with a TTL");
    is_integer(cmd(*c, "EXPIRE ttl 1000"), 1, "EXPIRE ttl 1000");
    is_integer(cmd(*c, "ZREMRANGEBYRANK rz 0 99"), 100, "ZREMRANGEBYRANK 0 99 before the restart");
    redisFree(*c);
    ok(ts_restart(s) == 0, "restart on the same data");
    *c = ts_connect(s);
    is_integer(cmd(*c, "ZCARD rz"), R - 100, "ZCARD after the restart");
    enc_is(*c, "rz", "skiplist", "... skiplist");
    is_model(*c, "ZRANGE rz 0 -1 WITHSCORES", z, 100, R, 0, 1, "... every member and score");
    for (int i = 100; i < R; i += 97) {
        snprintf(line, sizeof(line), "ZRANK rz %s", z[i].member);
        bad += tc_int(*c, line) != i - 100;
    }
    ok(bad == 0, "... ZRANK of every 97th member");
    is_array_of(cmd(*c, "ZRANGE small 0 -1 WITHSCORES"), "a 1 b 2", "the small one");
    enc_is(*c, "small", "listpack", "... listpack");
    ttl_kept(*c, "TTL ttl", "the TTL survived");
    omk_free(z);
}

/* ZRANDMEMBER with a huge count that may repeat, under an output limit: the reply stops
 * at the limit and the client is closed, the server goes on (Redis 7.0 builds the whole
 * reply until its memory runs out, so omenkv only). */
static void test_huge_count(const struct tserver *s, redisContext *c)
{
    redisContext *d;
    redisReply *r;

    tc_section(c, "ZRANDMEMBER -2^62 under an output limit (omenkv only)");
    if (s->external) {
        skip("a huge reply: Redis would build all of it");
        return;
    }
    is_integer(cmd(c, "ZADD rnd 1 a 2 b"), 2, "a sorted set");
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 8mb 0 0"), "OK",
              "CONFIG SET client-output-buffer-limit normal 8mb 0 0");
    d = ts_connect(s);
    r = cmd(d, "ZRANDMEMBER rnd -4611686018427387903 WITHSCORES");
    ok(r == NULL, "ZRANDMEMBER -2^62 WITHSCORES: the client is closed at the limit");
    freeReplyObject(r);
    redisFree(d);
    is_status(cmd(c, "PING"), "PONG", "the server goes on");
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 0 0"), "OK",
              "client-output-buffer-limit back to normal 0 0 0");
}

/* The command sections, run once per pass. */
static void run_sections(const struct tserver *s, redisContext *c)
{
    test_zadd(c);
    test_scores(c);
    test_read(c);
    test_range_rank(c);
    test_range_score(c);
    test_range_lex(c);
    test_rangestore(c);
    test_count_remrange(c);
    test_pop(c);
    test_randmember(c);
    test_setops(c);
    test_zscan(c);
    test_large(c);
    test_errors(c);
    test_resp3(s, c);
    test_keys(c);
    test_multi(c);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    run_sections(&s, c);
    if (s.external) {
        skip("the split pass: collection-inline-max-bytes is omenkv's own option");
    } else {
        long long split = ts_info_field(c, "persistence", "collections_split");

        is_status(cmd(c, "CONFIG SET collection-inline-max-bytes 0"), "OK",
                  "CONFIG SET collection-inline-max-bytes 0: every sorted set split");
        is_integer(cmd(c, "ZADD probe 1 a"), 1, "ZADD one member");
        ok(ts_info_field(c, "persistence", "collections_split") == split + 1,
           "... makes a split sorted set (INFO collections_split)");
        pass = " (split)";
        run_sections(&s, c);
        pass = "";
    }
    test_command(c);
    test_huge_count(&s, c);
    test_restart(&s, &c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL at the end");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
