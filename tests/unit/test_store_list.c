/* test_store_list.c - unit tests (TAP) of the list operations (store/ops_list.c) over a
 * real RocksDB: every call on inline and split lists (a small collection-inline-max-bytes
 * splits them early), the way between the layouts both ways and in the middle of a
 * command, Redis' negative and out-of-range indexes, LINSERT and LREM on both sides,
 * LTRIM ranges (range deletes), LMOVE rotations and types, LMPOP, COPY, DEL and expiry of
 * split lists, transactions, damaged and exhausted lists forged on disk, a reopen, a
 * random run against a model of Redis' lists, and threads pushing and popping one list;
 * store_check (which walks every element record) after each group. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

/* One assertion: C string 'got' equals 'want' (both shown when they differ). */
#define is_str(got, want, ...)                                                             \
    do {                                                                                   \
        const char *got_ = (got), *want_ = (want);                                         \
        if (!ok(strcmp(got_, want_) == 0, __VA_ARGS__))                                    \
            diag("  got '%.200s', want '%.200s'", got_, want_);                            \
    } while (0)

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Lists inline up to 'bytes'. */
static void set_inline(struct store *s, uint64_t bytes)
{
    struct store_coll_limits l;

    store_get_coll_limits(s, &l);
    l.inline_max_bytes = bytes;
    store_set_coll_limits(s, &l);
}

/* The state of 'key' in 'db' as an operation sees it. */
static struct key_state key_st(struct store *s, int db, const char *key)
{
    struct store_op op;
    struct key_state st;

    store_op_begin1(&op, s, STORE_OP_READ, db, fx_sl(key));
    store_op_lookup(&op, 0, STORE_WANT_STATE);
    st = op.key[0].st;
    store_op_end(&op, STORE_OK);
    return st;
}

static int is_split(struct store *s, const char *key)
{
    return (key_st(s, 0, key).fflags & FMT_F_SPLIT) != 0;
}

static uint64_t elem_bytes(struct store *s)
{
    return rocks_cf_bytes(s->rocks, ROCKS_CF_ELEMS);
}

/* ---- reading a list whole ----------------------------------------------------------- */

/* store_elem_cb: append the element to a text buffer, space-separated. */
struct text {
    char buf[4096];
    size_t len;
};

static int text_add(void *arg, struct omk_slice e)
{
    struct text *t = arg;
    int n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s%.*s", t->len ? " " : "",
                     (int)e.len, e.p);

    if (n > 0 && (size_t)n < sizeof(t->buf) - t->len)
        t->len += (size_t)n;
    return 0;
}

/* LRANGE 'start' 'stop' of 'key' in 'db' as text ("" for none; "(error N)"). */
static const char *lrange_db(struct store *s, int db, const char *key, int64_t start,
                             int64_t stop, struct text *t)
{
    size_t n = 0;
    int rc;

    t->len = 0;
    t->buf[0] = 0;
    rc = store_lrange(s, db, fx_sl(key), start, stop, text_add, t, &n);
    if (rc != STORE_OK)
        snprintf(t->buf, sizeof(t->buf), "(error %d)", rc);
    return t->buf;
}

static const char *lrange(struct store *s, const char *key, int64_t start, int64_t stop,
                          struct text *t)
{
    return lrange_db(s, 0, key, start, stop, t);
}

static const char *lall(struct store *s, const char *key, struct text *t)
{
    return lrange(s, key, 0, -1, t);
}

/* Push the space-separated words of 'words' at 'end' of 'key'; the length after, or
 * -1 - the status. */
static long long push(struct store *s, const char *key, enum store_end end, const char *words)
{
    struct omk_slice e[64];
    char buf[1024];
    size_t n = 0;
    uint64_t len = 0;
    int rc;

    snprintf(buf, sizeof(buf), "%s", words);
    for (char *p = strtok(buf, " "); p && n < 64; p = strtok(NULL, " "))
        e[n++] = fx_sl(p);
    rc = store_lpush(s, 0, fx_sl(key), end, e, n, 0, &len);
    return rc == STORE_OK ? (long long)len : -1 - rc;
}

static uint64_t llen(struct store *s, const char *key)
{
    uint64_t n = 999999;

    store_llen(s, 0, fx_sl(key), &n);
    return n;
}

/* LINDEX as text: the element, "(nil)" or "(error N)". */
static const char *lindex(struct store *s, const char *key, int64_t i, char *buf, size_t cap)
{
    struct store_val *v = NULL;
    int rc = store_lindex(s, 0, fx_sl(key), i, &v);

    if (rc != STORE_OK)
        snprintf(buf, cap, rc == STORE_NOTFOUND ? "(nil)" : "(error %d)", rc);
    else
        snprintf(buf, cap, "%.*s", (int)v->len, v->data);
    store_val_release(v);
    return buf;
}

/* LPOP / RPOP of 'count' as text. */
static const char *pop(struct store *s, const char *key, enum store_end end, uint64_t count,
                       struct text *t)
{
    size_t n = 0;
    int rc;

    t->len = 0;
    t->buf[0] = 0;
    rc = store_lpop(s, 0, fx_sl(key), end, count, text_add, t, &n);
    if (rc != STORE_OK)
        snprintf(t->buf, sizeof(t->buf), "(error %d)", rc);
    return t->buf;
}

/* store_index_cb: append the index to a text buffer. */
static int text_index(void *arg, uint64_t i)
{
    char num[24];

    snprintf(num, sizeof(num), "%llu", (unsigned long long)i);
    return text_add(arg, fx_sl(num));
}

static const char *lpos(struct store *s, const char *key, const char *e, int64_t rank,
                        uint64_t count, uint64_t maxlen, struct text *t)
{
    size_t n = 0;
    int rc;

    t->len = 0;
    t->buf[0] = 0;
    rc = store_lpos(s, 0, fx_sl(key), fx_sl(e), rank, count, maxlen, text_index, t, &n);
    if (rc != STORE_OK)
        snprintf(t->buf, sizeof(t->buf), "(error %d)", rc);
    return t->buf;
}

static const char *lmove(struct store *s, const char *src, const char *dst, enum store_end from,
                         enum store_end to, char *buf, size_t cap)
{
    struct store_val *v = NULL;
    int rc = store_lmove(s, 0, fx_sl(src), fx_sl(dst), from, to, &v);

    if (rc != STORE_OK)
        snprintf(buf, cap, rc == STORE_NOTFOUND ? "(nil)" : "(error %d)", rc);
    else
        snprintf(buf, cap, "%.*s", (int)v->len, v->data);
    store_val_release(v);
    return buf;
}

/* ---- every call, on both layouts ------------------------------------------------------ */

/* The same script on an inline list ('bytes' large) and a split one ('bytes' small). */
static void test_calls(struct store *s, uint64_t bytes, const char *how)
{
    struct text t;
    char buf[128];
    uint64_t removed = 0, n64 = 0;
    int64_t len = 0;
    const char *name;

    set_inline(s, bytes);
    diag("every call on %s lists", how);
    is_int(push(s, "L", STORE_LEFT, "c b a"), 3, "LPUSH c b a: length 3");
    is_int(push(s, "L", STORE_RIGHT, "d e f g"), 7, "RPUSH d e f g: length 7");
    is_str(lall(s, "L", &t), "a b c d e f g", "LPUSH puts each argument first in turn");
    ok(is_split(s, "L") == (bytes < 64), "the list is %s", how);
    is_int(llen(s, "L"), 7, "LLEN 7");
    is_str(lindex(s, "L", 0, buf, sizeof(buf)), "a", "LINDEX 0");
    is_str(lindex(s, "L", -1, buf, sizeof(buf)), "g", "LINDEX -1");
    is_str(lindex(s, "L", 3, buf, sizeof(buf)), "d", "LINDEX 3");
    is_str(lindex(s, "L", -7, buf, sizeof(buf)), "a", "LINDEX -7");
    is_str(lindex(s, "L", 7, buf, sizeof(buf)), "(nil)", "LINDEX 7: out of range");
    is_str(lindex(s, "L", -8, buf, sizeof(buf)), "(nil)", "LINDEX -8: out of range");
    is_str(lindex(s, "L", INT64_MIN, buf, sizeof(buf)), "(nil)", "LINDEX INT64_MIN");
    is_str(lindex(s, "nope", 0, buf, sizeof(buf)), "(nil)", "LINDEX of a missing key");
    is_str(lrange(s, "L", 1, 3, &t), "b c d", "LRANGE 1 3");
    is_str(lrange(s, "L", -3, -1, &t), "e f g", "LRANGE -3 -1");
    is_str(lrange(s, "L", -100, 1, &t), "a b", "LRANGE -100 1: start clamped to 0");
    is_str(lrange(s, "L", 5, 100, &t), "f g", "LRANGE 5 100: stop clamped");
    is_str(lrange(s, "L", 4, 2, &t), "", "LRANGE 4 2: empty");
    is_str(lrange(s, "L", 7, 10, &t), "", "LRANGE 7 10: past the end");
    is_str(lrange(s, "L", -1, -3, &t), "", "LRANGE -1 -3: empty");
    is_str(lrange(s, "L", INT64_MIN, INT64_MAX, &t), "a b c d e f g", "LRANGE of the extremes");
    is_str(lrange(s, "nope", 0, -1, &t), "", "LRANGE of a missing key");

    is_int(store_lset(s, 0, FX_SL("L"), -2, FX_SL("F")), STORE_OK, "LSET -2 F");
    is_int(store_lset(s, 0, FX_SL("L"), 0, FX_SL("A")), STORE_OK, "LSET 0 A");
    is_int(store_lset(s, 0, FX_SL("L"), 7, FX_SL("x")), STORE_OUTOFRANGE, "LSET 7: out of range");
    is_int(store_lset(s, 0, FX_SL("L"), -8, FX_SL("x")), STORE_OUTOFRANGE, "LSET -8: out of range");
    is_int(store_lset(s, 0, FX_SL("nope"), 0, FX_SL("x")), STORE_NOTFOUND, "LSET of a missing key");
    is_str(lall(s, "L", &t), "A b c d e F g", "  ... the list after the LSETs");

    is_int(store_linsert(s, 0, FX_SL("L"), 0, FX_SL("b"), FX_SL("b0"), &len), STORE_OK,
           "LINSERT BEFORE b (near the head)");
    is_int(len, 8, "  ... length 8");
    is_int(store_linsert(s, 0, FX_SL("L"), 1, FX_SL("F"), FX_SL("F1"), &len), STORE_OK,
           "LINSERT AFTER F (near the tail)");
    is_int(store_linsert(s, 0, FX_SL("L"), 1, FX_SL("g"), FX_SL("h"), &len), STORE_OK,
           "LINSERT AFTER the tail");
    is_int(store_linsert(s, 0, FX_SL("L"), 0, FX_SL("A"), FX_SL("_"), &len), STORE_OK,
           "LINSERT BEFORE the head");
    is_int(len, 11, "  ... length 11");
    is_str(lall(s, "L", &t), "_ A b0 b c d e F F1 g h", "  ... in their places");
    is_int(store_linsert(s, 0, FX_SL("L"), 0, FX_SL("zz"), FX_SL("x"), &len), STORE_OK,
           "LINSERT with a pivot not there");
    is_int(len, -1, "  ... answers -1");
    is_int(store_linsert(s, 0, FX_SL("nope"), 0, FX_SL("a"), FX_SL("x"), &len), STORE_OK,
           "LINSERT on a missing key");
    is_int(len, 0, "  ... answers 0");
    is_int(store_exists(s, 0, FX_SL("nope")), STORE_NOTFOUND, "  ... and creates nothing");
    fx_check_store(s, "LSET and LINSERT");

    /* LREM: duplicates near both ends. */
    push(s, "R", STORE_RIGHT, "x a x b x c x d x");
    is_int(store_lrem(s, 0, FX_SL("R"), 2, FX_SL("x"), &removed), STORE_OK, "LREM 2 x");
    is_int(removed, 2, "  ... removes 2");
    is_str(lall(s, "R", &t), "a b x c x d x", "  ... the first two from the head");
    is_int(store_lrem(s, 0, FX_SL("R"), -2, FX_SL("x"), &removed), STORE_OK, "LREM -2 x");
    is_str(lall(s, "R", &t), "a b x c d", "  ... the last two from the tail");
    is_int(store_lrem(s, 0, FX_SL("R"), 0, FX_SL("zz"), &removed), STORE_OK, "LREM 0 zz");
    is_int(removed, 0, "  ... removes none");
    push(s, "R", STORE_LEFT, "x x");
    is_int(store_lrem(s, 0, FX_SL("R"), 0, FX_SL("x"), &removed), STORE_OK, "LREM 0 x");
    is_int(removed, 3, "  ... removes all 3");
    is_str(lall(s, "R", &t), "a b c d", "  ... leaving the rest in order");
    is_int(store_lrem(s, 0, FX_SL("R"), INT64_MIN, FX_SL("d"), &removed), STORE_OK,
           "LREM INT64_MIN d");
    is_str(lall(s, "R", &t), "a b c", "  ... from the tail");
    is_int(store_lrem(s, 0, FX_SL("nope"), 0, FX_SL("d"), &removed), STORE_OK,
           "LREM of a missing key");
    is_int(removed, 0, "  ... removes none");
    fx_check_store(s, "LREM");

    is_str(lpos(s, "L", "b", 1, 1, 0, &t), "3", "LPOS b");
    push(s, "P", STORE_RIGHT, "a b c 1 2 3 c c");
    is_str(lpos(s, "P", "c", 1, 0, 0, &t), "2 6 7", "LPOS c COUNT 0");
    is_str(lpos(s, "P", "c", 2, 0, 0, &t), "6 7", "LPOS c RANK 2 COUNT 0");
    is_str(lpos(s, "P", "c", -1, 0, 0, &t), "7 6 2", "LPOS c RANK -1 COUNT 0");
    is_str(lpos(s, "P", "c", -1, 2, 0, &t), "7 6", "LPOS c RANK -1 COUNT 2");
    is_str(lpos(s, "P", "c", -3, 1, 0, &t), "2", "LPOS c RANK -3");
    is_str(lpos(s, "P", "c", 4, 1, 0, &t), "", "LPOS c RANK 4: none");
    is_str(lpos(s, "P", "c", 1, 0, 3, &t), "2", "LPOS c COUNT 0 MAXLEN 3");
    is_str(lpos(s, "P", "c", 1, 0, 2, &t), "", "LPOS c COUNT 0 MAXLEN 2");
    is_str(lpos(s, "P", "c", -1, 0, 2, &t), "7 6", "LPOS c RANK -1 COUNT 0 MAXLEN 2");
    is_str(lpos(s, "P", "c", INT64_MIN, 1, 0, &t), "7 6 2",
           "LPOS c RANK INT64_MIN COUNT 1: every match from the tail, as Redis 7.0.15");
    is_str(lpos(s, "P", "c", INT64_MAX, 0, 0, &t), "", "LPOS c RANK INT64_MAX: none");
    is_str(lpos(s, "nope", "c", 1, 0, 0, &t), "", "LPOS of a missing key");

    is_int(store_ltrim(s, 0, FX_SL("P"), 1, -2), STORE_OK, "LTRIM 1 -2");
    is_str(lall(s, "P", &t), "b c 1 2 3 c", "  ... cuts both ends");
    is_int(store_ltrim(s, 0, FX_SL("P"), -100, 100), STORE_OK, "LTRIM -100 100");
    is_str(lall(s, "P", &t), "b c 1 2 3 c", "  ... cuts nothing");
    is_int(store_ltrim(s, 0, FX_SL("P"), 2, 2), STORE_OK, "LTRIM 2 2");
    is_str(lall(s, "P", &t), "1", "  ... keeps one");
    is_int(store_ltrim(s, 0, FX_SL("P"), 1, 0), STORE_OK, "LTRIM 1 0");
    is_int(store_exists(s, 0, FX_SL("P")), STORE_NOTFOUND, "  ... an empty range deletes the key");
    is_int(store_ltrim(s, 0, FX_SL("nope"), 0, 1), STORE_OK, "LTRIM of a missing key");

    is_str(pop(s, "L", STORE_LEFT, 1, &t), "_", "LPOP");
    is_str(pop(s, "L", STORE_RIGHT, 1, &t), "h", "RPOP");
    is_str(pop(s, "L", STORE_LEFT, 3, &t), "A b0 b", "LPOP 3, in the order removed");
    is_str(pop(s, "L", STORE_RIGHT, 2, &t), "g F1", "RPOP 2, in the order removed");
    is_str(pop(s, "L", STORE_LEFT, 0, &t), "", "LPOP 0 pops nothing");
    is_int(llen(s, "L"), 4, "  ... 4 left");
    is_str(pop(s, "L", STORE_RIGHT, 100, &t), "F e d c", "RPOP 100 empties it");
    is_int(store_exists(s, 0, FX_SL("L")), STORE_NOTFOUND, "  ... and deletes the key");
    is_str(pop(s, "L", STORE_LEFT, 1, &t), "", "LPOP of a missing key");
    {
        struct omk_slice e = FX_SL("x");
        uint64_t l2 = 99;

        is_int(store_lpush(s, 0, FX_SL("L"), STORE_LEFT, &e, 1, STORE_PUSH_X, &l2), STORE_OK,
               "LPUSHX onto a missing key");
        is_int(l2, 0, "  ... answers 0");
        is_int(store_exists(s, 0, FX_SL("L")), STORE_NOTFOUND, "  ... and creates nothing");
        is_int(store_lpush(s, 0, FX_SL("R"), STORE_RIGHT, &e, 1, STORE_PUSH_X, &l2), STORE_OK,
               "RPUSHX onto a list");
        is_int(l2, 4, "  ... pushes");
    }

    /* Types both ways. */
    fx_set_str(s, 0, "str", "v", 0);
    is_int(push(s, "str", STORE_LEFT, "a"), -1 - STORE_WRONGTYPE, "LPUSH on a string: WRONGTYPE");
    is_int(store_llen(s, 0, FX_SL("str"), &n64), STORE_WRONGTYPE, "LLEN on a string");
    is_str(lindex(s, "str", 0, buf, sizeof(buf)), "(error 3)", "LINDEX on a string");
    is_str(lrange(s, "str", 0, -1, &t), "(error 3)", "LRANGE on a string");
    is_int(store_lset(s, 0, FX_SL("str"), 0, FX_SL("x")), STORE_WRONGTYPE, "LSET on a string");
    is_int(store_linsert(s, 0, FX_SL("str"), 0, FX_SL("a"), FX_SL("x"), &len), STORE_WRONGTYPE,
           "LINSERT on a string");
    is_int(store_lrem(s, 0, FX_SL("str"), 0, FX_SL("a"), &removed), STORE_WRONGTYPE,
           "LREM on a string");
    is_int(store_ltrim(s, 0, FX_SL("str"), 0, 1), STORE_WRONGTYPE, "LTRIM on a string");
    is_str(lpos(s, "str", "a", 1, 0, 0, &t), "(error 3)", "LPOS on a string");
    is_str(pop(s, "str", STORE_LEFT, 1, &t), "(error 3)", "LPOP on a string");
    ok(fx_str_is(s, 0, "str", "v"), "  ... the string is untouched");
    {
        struct store_val *v = NULL;
        size_t added = 0;
        struct omk_slice m = FX_SL("m");

        is_int(store_get(s, 0, FX_SL("R"), &v), STORE_WRONGTYPE, "GET on a list: WRONGTYPE");
        is_int(store_sadd(s, 0, FX_SL("R"), &m, 1, &added), STORE_WRONGTYPE,
               "SADD on a list: WRONGTYPE");
    }
    ok(store_type(s, 0, FX_SL("R"), &name) == STORE_OK && !strcmp(name, "list"), "TYPE says list");
    {
        struct store_keyinfo ki;

        ok(store_keyinfo(s, 0, FX_SL("R"), &ki) == STORE_OK && ki.type == STORE_TYPE_LIST &&
               ki.count == 4 && !ki.big, "keyinfo: a list of 4, never 'big'");
    }
    store_del(s, 0, FX_SL("R"));
    store_del(s, 0, FX_SL("str"));
    fx_check_store(s, "every call");
}

/* ---- the layouts and the way between them ----------------------------------------------- */

/* Push 'n' elements "<prefix><i>" one call each at 'end'. */
static void push_many(struct store *s, const char *key, enum store_end end, const char *prefix,
                      int n)
{
    char e[64];

    for (int i = 0; i < n; i++) {
        struct omk_slice sl;
        uint64_t len;

        snprintf(e, sizeof(e), "%s%d", prefix, i);
        sl = fx_sl(e);
        store_lpush(s, 0, fx_sl(key), end, &sl, 1, 0, &len);
    }
}

static void test_layouts(struct store *s)
{
    struct text t;
    char buf[64];
    uint64_t removed;
    int64_t len;

    set_inline(s, 40);
    push(s, "T", STORE_RIGHT, "a b c d e f g h");
    ok(!is_split(s, "T"), "8 one-byte elements (17 bytes): inline under a 40-byte limit");
    push(s, "T", STORE_RIGHT, "i j k l m n o p q r s t u v w x y z");
    ok(is_split(s, "T"), "26 (53 bytes): split by the push");
    is_str(lall(s, "T", &t), "a b c d e f g h i j k l m n o p q r s t u v w x y z",
           "  ... every element in order");
    fx_check_store(s, "a list split by a push");
    is_str(pop(s, "T", STORE_LEFT, 6, &t), "a b c d e f", "LPOP 6 of the split list");
    is_str(pop(s, "T", STORE_RIGHT, 5, &t), "z y x w v", "RPOP 5");
    ok(is_split(s, "T"), "15 left (31 bytes): still split, over half the limit");
    is_str(pop(s, "T", STORE_LEFT, 6, &t), "g h i j k l", "LPOP 6 more");
    ok(!is_split(s, "T"), "9 left (19 bytes): inline again");
    is_str(lall(s, "T", &t), "m n o p q r s t u", "  ... with its elements");
    fx_check_store(s, "a split list gone inline by pops");

    /* LINSERT splits it in the middle; LREM brings it back. */
    push(s, "T", STORE_RIGHT, "u u u u u");
    ok(!is_split(s, "T"), "14 elements (29 bytes): inline");
    is_int(store_linsert(s, 0, FX_SL("T"), 1, FX_SL("p"), FX_SL("inserted-element"), &len),
           STORE_OK, "LINSERT of a 16-byte element");
    ok(is_split(s, "T"), "  ... splits it");
    is_int(store_lrem(s, 0, FX_SL("T"), 0, FX_SL("u"), &removed), STORE_OK, "LREM 0 u");
    is_int(removed, 6, "  ... removes 6");
    ok(is_split(s, "T"), "  ... 9 left of 34 bytes: still split");
    is_int(store_lrem(s, 0, FX_SL("T"), 1, FX_SL("inserted-element"), &removed), STORE_OK,
           "LREM 1 of the long one");
    ok(!is_split(s, "T"), "  ... inline again");
    is_str(lall(s, "T", &t), "m n o p q r s t", "  ... in order");
    fx_check_store(s, "LINSERT and LREM across the limit");

    /* LSET of a long element splits; LTRIM brings it back. */
    {
        char big[100];

        memset(big, 'B', 99);
        big[99] = 0;
        is_int(store_lset(s, 0, FX_SL("T"), 3, fx_sl(big)), STORE_OK, "LSET of a long element");
        ok(is_split(s, "T"), "  ... splits it");
        is_str(lindex(s, "T", 4, buf, sizeof(buf)), "q", "LINDEX after it");
        is_int(store_ltrim(s, 0, FX_SL("T"), 4, 7), STORE_OK, "LTRIM 4 7 (cutting the long one)");
        ok(!is_split(s, "T"), "  ... inline again");
        is_str(lall(s, "T", &t), "q r s t", "  ... what stays");
    }
    fx_check_store(s, "LSET and LTRIM across the limit");

    /* One LPUSH with many arguments onto an inline list splits it within the call. */
    {
        enum { N = 20000 };
        struct omk_slice *e = omk_malloc(N * sizeof(*e));
        char (*words)[16] = omk_malloc(N * sizeof(*words));
        uint64_t n = 0;

        for (int i = 0; i < N; i++) {
            snprintf(words[i], sizeof(words[i]), "w%d", i);
            e[i] = fx_sl(words[i]);
        }
        is_int(store_lpush(s, 0, FX_SL("T"), STORE_LEFT, e, N, 0, &n), STORE_OK,
               "LPUSH of %d arguments onto a 4-element inline list", N);
        is_int(n, N + 4, "  ... length %d", N + 4);
        ok(is_split(s, "T"), "  ... split");
        is_str(lrange(s, "T", 0, 2, &t), "w19999 w19998 w19997", "  ... the last argument first");
        is_str(lrange(s, "T", N - 1, N + 1, &t), "w0 q r", "  ... the first before the old head");
        is_str(lindex(s, "T", N / 2, buf, sizeof(buf)), "w9999", "LINDEX of the middle");
        fx_check_store(s, "a 20000-argument LPUSH");
        is_int(store_ltrim(s, 0, FX_SL("T"), 2000, -2001), STORE_OK,
               "LTRIM 2000 -2001 (a range delete at each end)");
        is_int(llen(s, "T"), N + 4 - 4000, "  ... length %d", N + 4 - 4000);
        is_str(lrange(s, "T", 0, 0, &t), "w17999", "  ... the new head");
        is_str(lrange(s, "T", -1, -1, &t), "w1996", "  ... the new tail");
        fx_check_store(s, "LTRIM of a split list");
        omk_free(words);
        omk_free(e);
    }
    /* LINSERT and LREM on each side of a large split list. */
    is_int(store_linsert(s, 0, FX_SL("T"), 0, FX_SL("w17990"), FX_SL("near-head"), &len),
           STORE_OK, "LINSERT near the head of a split list");
    is_int(store_linsert(s, 0, FX_SL("T"), 1, FX_SL("w2000"), FX_SL("near-tail"), &len), STORE_OK,
           "LINSERT near the tail");
    is_str(lrange(s, "T", 8, 10, &t), "w17991 near-head w17990", "  ... the one near the head");
    is_str(lrange(s, "T", -6, -4, &t), "w2000 near-tail w1999", "  ... the one near the tail");
    fx_check_store(s, "LINSERT on both sides");
    push(s, "T", STORE_LEFT, "dup");
    push(s, "T", STORE_RIGHT, "dup");
    store_lset(s, 0, FX_SL("T"), 5, FX_SL("dup"));
    store_lset(s, 0, FX_SL("T"), -4, FX_SL("dup"));
    is_int(store_lrem(s, 0, FX_SL("T"), 2, FX_SL("dup"), &removed), STORE_OK,
           "LREM 2 dup (from the head: the head side renumbered)");
    is_int(removed, 2, "  ... removes 2");
    is_int(store_lrem(s, 0, FX_SL("T"), -2, FX_SL("dup"), &removed), STORE_OK,
           "LREM -2 dup (from the tail: the tail side renumbered)");
    is_int(removed, 2, "  ... removes 2");
    is_int(llen(s, "T"), 16004, "  ... length 16004");
    is_str(lrange(s, "T", 0, 4, &t), "w17999 w17998 w17997 w17996 w17994", "  ... the head");
    is_str(lpos(s, "T", "dup", 1, 0, 0, &t), "", "  ... no dup left");
    fx_check_store(s, "LREM on both sides of a split list");
    store_del(s, 0, FX_SL("T"));
    fx_check_store(s, "layouts");
}

/* ---- moves -------------------------------------------------------------------------------- */

static void test_moves(struct store *s, uint64_t bytes, const char *how)
{
    struct text t;
    char buf[128];
    size_t which = 99, n = 0;
    const char *name;

    set_inline(s, bytes);
    diag("LMOVE and LMPOP on %s lists", how);
    push(s, "M", STORE_RIGHT, "a b c d");
    is_str(lmove(s, "M", "M", STORE_RIGHT, STORE_LEFT, buf, sizeof(buf)), "d",
           "RPOPLPUSH M M: a rotation");
    is_str(lall(s, "M", &t), "d a b c", "  ... the tail went to the head");
    is_str(lmove(s, "M", "M", STORE_LEFT, STORE_RIGHT, buf, sizeof(buf)), "d",
           "LMOVE M M LEFT RIGHT");
    is_str(lall(s, "M", &t), "a b c d", "  ... back");
    is_str(lmove(s, "M", "M", STORE_LEFT, STORE_LEFT, buf, sizeof(buf)), "a",
           "LMOVE M M LEFT LEFT");
    is_str(lall(s, "M", &t), "a b c d", "  ... changes nothing");
    for (int i = 0; i < 10; i++)
        lmove(s, "M", "M", STORE_RIGHT, STORE_LEFT, buf, sizeof(buf));
    is_str(lall(s, "M", &t), "c d a b", "10 rotations of 4");
    fx_check_store(s, "rotations");
    is_str(lmove(s, "M", "N", STORE_LEFT, STORE_RIGHT, buf, sizeof(buf)), "c",
           "LMOVE M N LEFT RIGHT creates N");
    is_str(lmove(s, "M", "N", STORE_RIGHT, STORE_LEFT, buf, sizeof(buf)), "b",
           "LMOVE M N RIGHT LEFT");
    is_str(lall(s, "N", &t), "b c", "  ... N");
    is_str(lall(s, "M", &t), "d a", "  ... M");
    lmove(s, "M", "N", STORE_LEFT, STORE_LEFT, buf, sizeof(buf));
    is_str(lmove(s, "M", "N", STORE_LEFT, STORE_LEFT, buf, sizeof(buf)), "a",
           "LMOVE of the last element");
    is_int(store_exists(s, 0, FX_SL("M")), STORE_NOTFOUND, "  ... deletes the source");
    is_str(lall(s, "N", &t), "a d b c", "  ... N has all four");
    push(s, "one", STORE_LEFT, "x");
    is_str(lmove(s, "one", "one", STORE_LEFT, STORE_RIGHT, buf, sizeof(buf)), "x",
           "a rotation of a one-element list");
    is_str(lall(s, "one", &t), "x", "  ... leaves it");
    fx_set_str(s, 0, "str", "v", 0);
    is_str(lmove(s, "missing", "str", STORE_LEFT, STORE_LEFT, buf, sizeof(buf)), "(nil)",
           "LMOVE from a missing key to a string: nil (the destination is not looked at)");
    is_str(lmove(s, "str", "N", STORE_LEFT, STORE_LEFT, buf, sizeof(buf)), "(error 3)",
           "LMOVE from a string: WRONGTYPE");
    is_str(lmove(s, "N", "str", STORE_LEFT, STORE_LEFT, buf, sizeof(buf)), "(error 3)",
           "LMOVE to a string: WRONGTYPE");
    is_str(lall(s, "N", &t), "a d b c", "  ... and nothing moved");
    ok(fx_str_is(s, 0, "str", "v"), "  ... the string is untouched");
    fx_check_store(s, "LMOVE");

    /* LMPOP: the first key holding a list, in order. */
    {
        struct omk_slice k1[3] = {FX_SL("missing"), FX_SL("N"), FX_SL("one")};
        struct omk_slice k2[3] = {FX_SL("missing"), FX_SL("str"), FX_SL("N")};
        struct omk_slice k3[2] = {FX_SL("N"), FX_SL("str")};
        struct omk_slice k4[2] = {FX_SL("missing"), FX_SL("missing2")};

        t.len = 0;
        is_int(store_lmpop(s, 0, k1, 3, STORE_RIGHT, 2, text_add, &t, &which, &n), STORE_OK,
               "LMPOP 3 missing N one RIGHT COUNT 2");
        ok(which == 1 && n == 2 && !strcmp(t.buf, "c b"), "  ... pops c b from N (key 1)");
        t.len = 0;
        is_int(store_lmpop(s, 0, k2, 3, STORE_LEFT, 1, text_add, &t, &which, &n),
               STORE_WRONGTYPE, "LMPOP meeting a string before a list: WRONGTYPE");
        is_int(store_lmpop(s, 0, k3, 2, STORE_LEFT, 1, text_add, &t, &which, &n), STORE_OK,
               "LMPOP with the list first: the string is not looked at");
        is_int(store_lmpop(s, 0, k4, 2, STORE_LEFT, 1, text_add, &t, &which, &n),
               STORE_NOTFOUND, "LMPOP of missing keys: not found");
        is_int(n, 0, "  ... none popped");
        is_str(lall(s, "N", &t), "d", "N after the pops");
    }
    /* A key named twice, expired: found missing once, deleted once. */
    {
        struct omk_slice k[4] = {FX_SL("exp"), FX_SL("exp"), FX_SL("N"), FX_SL("N")};
        uint64_t keys0;

        push(s, "exp", STORE_LEFT, "e1 e2");
        store_expire(s, 0, FX_SL("exp"), omk_now_ms() + 30, 0);
        fx_sleep_ms(60);
        keys0 = store_dbsize(s, 0);
        t.len = 0;
        is_int(store_lmpop(s, 0, k, 4, STORE_LEFT, 5, text_add, &t, &which, &n), STORE_OK,
               "LMPOP exp exp N N, exp expired");
        ok(which == 2 && n == 1 && !strcmp(t.buf, "d"), "  ... pops N's last element");
        is_int(store_dbsize(s, 0), keys0 - 2, "  ... exp and N are gone, each counted once");
    }
    ok(store_type(s, 0, FX_SL("one"), &name) == STORE_OK, "'one' is still there");
    store_del(s, 0, FX_SL("one"));
    store_del(s, 0, FX_SL("str"));
    fx_check_store(s, "LMPOP");
}

/* ---- keys: COPY, DEL, expiry, a restart --------------------------------------------------- */

static void test_keys(struct store **sp, const char *dir)
{
    struct store *s = *sp;
    struct text t, u;
    char buf[64];
    uint64_t before, after;
    int64_t exp = 0;
    size_t ids0;

    set_inline(s, 64);
    push_many(s, "C", STORE_RIGHT, "c", 300);
    push(s, "small", STORE_RIGHT, "s1 s2 s3");
    ok(is_split(s, "C") && !is_split(s, "small"), "C split, 'small' inline");
    store_expire(s, 0, FX_SL("C"), omk_now_ms() + 1000000, 0);
    ids0 = coll_ids_count(s);
    is_int(store_copy(s, 0, FX_SL("C"), 0, FX_SL("C2"), 0), STORE_OK, "COPY C C2");
    is_int(store_copy(s, 0, FX_SL("C"), 3, FX_SL("C"), 0), STORE_OK, "COPY C to db 3");
    is_int(store_copy(s, 0, FX_SL("small"), 0, FX_SL("small2"), 0), STORE_OK, "COPY of an inline list");
    ok(is_split(s, "C2") && key_st(s, 0, "C2").id != key_st(s, 0, "C").id,
       "the copy is split, under an id of its own");
    is_int(coll_ids_count(s), ids0 + 2, "  ... two more live ids");
    is_str(lall(s, "C2", &t), lall(s, "C", &u), "  ... with every element in order");
    is_str(lrange_db(s, 3, "C", 0, -1, &t), lall(s, "C", &u), "  ... in db 3 too");
    is_str(lall(s, "small2", &t), "s1 s2 s3", "  ... and the inline copy");
    ok(store_ttl(s, 0, FX_SL("C2"), &exp) == STORE_OK && exp > omk_now_ms(), "  ... with the expiry");
    store_lset(s, 0, FX_SL("C"), 0, FX_SL("changed"));
    is_str(lindex(s, "C2", 0, buf, sizeof(buf)), "c0", "the copy is independent of the original");
    is_int(store_copy(s, 0, FX_SL("C"), 0, FX_SL("C2"), 0), STORE_NOTSET, "COPY onto a list: refused");
    is_int(store_copy(s, 0, FX_SL("small"), 0, FX_SL("C2"), STORE_COPY_REPLACE), STORE_OK,
           "COPY REPLACE of an inline list over a split one");
    is_str(lall(s, "C2", &t), "s1 s2 s3", "  ... replaces it");
    is_int(coll_ids_count(s), ids0 + 1, "  ... whose id died");
    fx_check_store(s, "COPY");

    /* A write keeps the expiry; an expired split list is missing and its id dies. */
    push(s, "C", STORE_LEFT, "new");
    ok(store_ttl(s, 0, FX_SL("C"), &exp) == STORE_OK && exp > omk_now_ms(), "LPUSH keeps the expiry");
    store_ltrim(s, 0, FX_SL("C"), 0, 200);
    ok(store_ttl(s, 0, FX_SL("C"), &exp) == STORE_OK && exp > omk_now_ms(), "LTRIM keeps it");
    store_expire(s, 3, FX_SL("C"), omk_now_ms() + 30, 0);
    fx_sleep_ms(60);
    ids0 = coll_ids_count(s);
    is_int(llen(s, "nope"), 0, "LLEN of a missing key: 0");
    {
        uint64_t n = 9;

        is_int(store_llen(s, 3, FX_SL("C"), &n), STORE_OK, "LLEN of an expired split list");
        is_int(n, 0, "  ... 0");
    }
    is_str(lrange_db(s, 3, "C", 0, -1, &t), "", "LRANGE of it: empty");
    {
        struct omk_slice e = FX_SL("x");
        uint64_t n = 0;

        is_int(store_lpush(s, 3, FX_SL("C"), STORE_LEFT, &e, 1, 0, &n), STORE_OK,
               "LPUSH onto the expired list");
        is_int(n, 1, "  ... starts a new list");
    }
    is_int(coll_ids_count(s), ids0 - 1, "  ... the expired list's id died");
    fx_check_store(s, "expiry");

    /* DEL of a large split list: the id dies and the reclaimer gives the space back. */
    push_many(s, "huge", STORE_RIGHT, "a-rather-long-element-", RECLAIM_MIN + 500);
    store_compact(s);
    before = elem_bytes(s);
    {
        uint64_t runs = fx_stats(s).reclaims;

        is_int(store_del(s, 0, FX_SL("huge")), STORE_OK, "DEL of a %d-element list",
               RECLAIM_MIN + 500);
        for (int i = 0; i < 200 && fx_stats(s).reclaims == runs; i++)
            fx_sleep_ms(50);
        ok(fx_stats(s).reclaims > runs, "  ... starts a reclaim by itself");
    }
    after = elem_bytes(s);
    ok(after * 4 < before, "  ... which gives the space back (%llu -> %llu bytes)",
       (unsigned long long)before, (unsigned long long)after);
    fx_check_store(s, "DEL of a split list");

    /* A restart: every list as it was. */
    lall(s, "C", &u);
    before = llen(s, "C");
    store_close(s);
    s = *sp = fx_store_open(dir, NULL);
    set_inline(s, 64);
    is_str(lall(s, "C", &t), u.buf, "after a restart: the split list");
    is_str(lall(s, "small", &t), "s1 s2 s3", "  ... and the inline one");
    ok(is_split(s, "C") && llen(s, "C") == before, "  ... its layout and count (%llu)",
       (unsigned long long)before);
    push(s, "C", STORE_LEFT, "after");
    is_str(lindex(s, "C", 0, buf, sizeof(buf)), "after", "  ... and it takes pushes");
    fx_check_store(s, "a restart");
    store_flush(s, -1);
}

/* ---- a transaction ---------------------------------------------------------------------- */

static void test_transaction(struct store *s)
{
    struct text t;
    uint64_t removed = 0;

    set_inline(s, 64);
    store_tx_begin(s);
    push_many(s, "X", STORE_RIGHT, "x", 1100);
    ok(is_split(s, "X") && llen(s, "X") == 1100, "inside a transaction the list splits");
    is_int(store_ltrim(s, 0, FX_SL("X"), 0, 9), STORE_OK,
           "LTRIM 0 9 (1090 cut: deleted one by one, a transaction takes no range delete)");
    is_str(lall(s, "X", &t), "x0 x1 x2 x3 x4 x5 x6 x7 x8 x9", "  ... LRANGE sees it");
    store_lrem(s, 0, FX_SL("X"), 0, FX_SL("x5"), &removed);
    is_str(pop(s, "X", STORE_RIGHT, 2, &t), "x9 x8", "  ... RPOP 2");
    is_int(store_tx_end(s), STORE_OK, "the transaction commits");
    is_str(lall(s, "X", &t), "x0 x1 x2 x3 x4 x6 x7", "the list after it");
    fx_check_store(s, "a transaction");
    store_del(s, 0, FX_SL("X"));
}

/* ---- lists forged on disk: damaged, and out of sequence numbers -------------------------- */

/* Write split list 'key' of db 0 with id 'id', 'count' and 'head', and records for the
 * sequence numbers 'seqs' (n of them, element "s<seq - head>"). */
static void forge_list(struct fx_raw *w, const char *key, uint64_t id, uint64_t count,
                       uint64_t head, const uint64_t *seqs, size_t n)
{
    unsigned char hdr[FMT_HDR_LEN], meta[FMT_LIST_SPLIT_LEN], k[FMT_ELEM_PREFIX];
    struct fmt_key fk;
    char e[32];

    fmt_hdr_encode(hdr, FMT_TYPE_LIST, FMT_F_SPLIT, 0);
    fmt_u64_put(meta, id);
    fmt_u64_put(meta + 8, count);
    fmt_u64_put(meta + 16, head);
    fmt_key_init(&fk, 0, key, strlen(key));
    rocks_batch_put(w->b, fk.p, fk.len, hdr, sizeof(hdr), (const char *)meta, sizeof(meta));
    fmt_key_deinit(&fk);
    for (size_t i = 0; i < n; i++) {
        fmt_elem_prefix(k, id, seqs[i]);
        snprintf(e, sizeof(e), "s%llu", (unsigned long long)(seqs[i] - head));
        rocks_batch_put_cf(w->r, w->b, ROCKS_CF_ELEMS, (const char *)k, sizeof(k), e, strlen(e));
    }
}

static void test_forged(struct store **sp, const char *dir)
{
    uint64_t base = UINT64_C(1) << 40, top = UINT64_MAX - 1;
    uint64_t gap[2] = {FMT_LIST_SEQ0, FMT_LIST_SEQ0 + 2};
    uint64_t low[1] = {1}, high[1] = {UINT64_MAX - 1};
    struct fx_raw w;
    struct text t;
    char buf[64], err[256];
    int64_t len = 0;

    store_close(*sp);
    fx_raw_begin(&w, dir);
    forge_list(&w, "gap", base, 3, FMT_LIST_SEQ0, gap, 2);
    forge_list(&w, "low", base + 1, 1, 1, low, 1);
    forge_list(&w, "high", base + 2, 1, top, high, 1);
    fx_raw_commit(&w);
    *sp = fx_store_open(dir, NULL);
    set_inline(*sp, 16);
    {
        struct store *s = *sp;

        is_str(lall(s, "gap", &t), "(error -4)", "a split list missing a record: LRANGE fails");
        is_str(lindex(s, "gap", 1, buf, sizeof(buf)), "(error -4)", "  ... LINDEX of it fails");
        is_str(lindex(s, "gap", 2, buf, sizeof(buf)), "s2", "  ... LINDEX of a record there works");
        ok(store_check(s, err, sizeof(err)) != STORE_OK && strstr(err, "sequence number"),
           "  ... store_check finds it (%s)", err);
        store_del(s, 0, FX_SL("gap"));
        fx_check_store(s, "the damaged list deleted");

        is_int(push(s, "low", STORE_LEFT, "a b"), -1 - STORE_TOOBIG,
               "LPUSH of 2 onto a list whose head is sequence number 1: TOOBIG");
        is_str(lall(s, "low", &t), "s0", "  ... nothing changed");
        is_int(push(s, "low", STORE_LEFT, "a"), 2, "LPUSH of 1 takes number 0");
        is_int(store_linsert(s, 0, FX_SL("low"), 0, FX_SL("s0"), FX_SL("x"), &len),
               STORE_TOOBIG, "LINSERT with the head side to move down: TOOBIG");
        is_int(store_linsert(s, 0, FX_SL("low"), 0, FX_SL("a"), FX_SL("x"), &len),
               STORE_TOOBIG, "  ... before the head too");
        is_str(lmove(s, "high", "low", STORE_LEFT, STORE_LEFT, buf, sizeof(buf)), "(error 20)",
               "LMOVE onto its head: TOOBIG");
        is_str(lall(s, "high", &t), "s0", "  ... the source is untouched");
        is_str(lmove(s, "low", "low", STORE_RIGHT, STORE_LEFT, buf, sizeof(buf)), "(error 20)",
               "RPOPLPUSH low low: TOOBIG");
        is_str(lall(s, "low", &t), "a s0", "  ... the list is untouched");
        is_str(lmove(s, "low", "low", STORE_LEFT, STORE_RIGHT, buf, sizeof(buf)), "a",
               "LMOVE low low LEFT RIGHT frees number 0");
        is_int(push(s, "high", STORE_RIGHT, "b"), -1 - STORE_TOOBIG,
               "RPUSH onto a list whose tail is sequence number 2^64 - 2: TOOBIG");
        is_int(push(s, "high", STORE_LEFT, "b"), 2, "LPUSH onto it works");
        fx_check_store(s, "lists out of sequence numbers");
        store_del(s, 0, FX_SL("low"));
        store_del(s, 0, FX_SL("high"));
    }
}

/* ---- a random run against a model of Redis' lists ------------------------------------------ */

/* A list as Redis keeps it: an array of C strings. */
struct model {
    char **v;
    size_t n, cap;
};

static void m_insert(struct model *m, size_t at, const char *e)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->v = omk_realloc(m->v, m->cap * sizeof(*m->v));
    }
    memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(*m->v));
    m->v[at] = omk_memdup(e, strlen(e));
    m->n++;
}

static void m_remove(struct model *m, size_t at)
{
    omk_free(m->v[at]);
    memmove(m->v + at, m->v + at + 1, (m->n - at - 1) * sizeof(*m->v));
    m->n--;
}

static void m_clear(struct model *m)
{
    while (m->n)
        m_remove(m, m->n - 1);
    omk_free(m->v);
    memset(m, 0, sizeof(*m));
}

/* Redis' index rules, written out here on their own. */
static int m_index(const struct model *m, int64_t i, size_t *at)
{
    int64_t n = (int64_t)m->n;

    if (i < 0)
        i += n;
    if (i < 0 || i >= n)
        return 0;
    *at = (size_t)i;
    return 1;
}

static void m_range(const struct model *m, int64_t start, int64_t stop, size_t *from, size_t *k)
{
    int64_t n = (int64_t)m->n;

    if (start < 0)
        start += n;
    if (stop < 0)
        stop += n;
    if (start < 0)
        start = 0;
    *from = 0;
    *k = 0;
    if (start > stop || start >= n)
        return;
    if (stop >= n)
        stop = n - 1;
    *from = (size_t)start;
    *k = (size_t)(stop - start + 1);
}

/* store_elem_cb: collect copies of the elements. */
struct got {
    char **v;
    size_t n, cap;
};

static int got_add(void *arg, struct omk_slice e)
{
    struct got *g = arg;

    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->v = omk_realloc(g->v, g->cap * sizeof(*g->v));
    }
    g->v[g->n++] = omk_memdup(e.p, e.len);
    return 0;
}

static void got_clear(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        omk_free(g->v[i]);
    g->n = 0;
}

/* Whether 'g' holds model elements 'from'..'from'+'k'-1 (backwards with 'rev'). */
static int got_is(const struct got *g, const struct model *m, size_t from, size_t k, int rev)
{
    if (g->n != k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (strcmp(g->v[i], m->v[rev ? from + k - 1 - i : from + i]) != 0)
            return 0;
    return 1;
}

static const char *const words[] = {"a", "b", "c", "d", "a", "a"};

/* A random element: mostly from a few words (so searches find several), sometimes unique,
 * sometimes long (so the lists cross the inline limit both ways). */
static void rand_elem(char *buf, size_t cap, unsigned *serial)
{
    unsigned r = (unsigned)(rnd() % 20);

    if (r < 12)
        snprintf(buf, cap, "%s", words[rnd() % OMK_ARRAY_LEN(words)]);
    else if (r < 19)
        snprintf(buf, cap, "u%u", (*serial)++);
    else
        snprintf(buf, cap, "long-%u-%0*d", (*serial)++, 60, 7);
}

static int64_t rand_index(size_t n)
{
    int64_t span = (int64_t)n + 3;

    return (int64_t)(rnd() % (uint64_t)(2 * span + 1)) - span;
}

#define MODEL_OPS 6000

static void test_model(struct store *s)
{
    const char *keys[2] = {"MA", "MB"};
    struct model m[2] = {{0}, {0}};
    struct got g = {0};
    unsigned serial = 0;
    const uint64_t limits[3] = {48, 200, 1024};
    int bad = 0, splits = 0, inlines = 0;

    for (int op = 0; op < MODEL_OPS && !bad; op++) {
        int w = (int)(rnd() % 2);
        struct model *a = &m[w];
        struct omk_slice key = fx_sl(keys[w]);
        char e[96], e2[96];
        int kind = (int)(rnd() % 12);
        int rc = STORE_OK;

        if (op % 700 == 0)
            set_inline(s, limits[(op / 700) % 3]);
        rand_elem(e, sizeof(e), &serial);
        got_clear(&g);
        switch (kind) {
        case 0:
        case 1: { /* LPUSH / RPUSH of 1..6, sometimes 40 */
            size_t k = rnd() % 8 == 0 ? 40 : 1 + rnd() % 6;
            char (*el)[96] = omk_malloc(k * sizeof(*el));
            struct omk_slice *sl = omk_malloc(k * sizeof(*sl));
            uint64_t len = 0;

            if (a->n > 300) /* keep the lists small enough to walk often */
                k = 1;
            for (size_t i = 0; i < k; i++) {
                rand_elem(el[i], sizeof(el[i]), &serial);
                sl[i] = fx_sl(el[i]);
                m_insert(a, kind == 0 ? 0 : a->n, el[i]);
            }
            rc = store_lpush(s, 0, key, kind == 0 ? STORE_LEFT : STORE_RIGHT, sl, k, 0, &len);
            bad |= rc != STORE_OK || len != a->n;
            omk_free(sl);
            omk_free(el);
            break;
        }
        case 2: { /* LPOP / RPOP of 1..4 or many */
            enum store_end end = rnd() % 2 ? STORE_LEFT : STORE_RIGHT;
            uint64_t count = rnd() % 10 == 0 ? 1000 : 1 + rnd() % 4;
            size_t k = count < a->n ? (size_t)count : a->n, n = 0;

            rc = store_lpop(s, 0, key, end, count, got_add, &g, &n);
            bad |= rc != STORE_OK || n != k ||
                   !got_is(&g, a, end == STORE_LEFT ? 0 : a->n - k, k, end == STORE_RIGHT);
            for (size_t i = 0; i < k; i++)
                m_remove(a, end == STORE_LEFT ? 0 : a->n - 1);
            break;
        }
        case 3: { /* LINDEX */
            int64_t i = rand_index(a->n);
            struct store_val *v = NULL;
            size_t at;

            rc = store_lindex(s, 0, key, i, &v);
            if (m_index(a, i, &at))
                bad |= rc != STORE_OK || v->len != strlen(a->v[at]) ||
                       memcmp(v->data, a->v[at], v->len) != 0;
            else
                bad |= rc != STORE_NOTFOUND;
            store_val_release(v);
            break;
        }
        case 4: { /* LSET */
            int64_t i = rand_index(a->n);
            size_t at;

            rc = store_lset(s, 0, key, i, fx_sl(e));
            if (a->n == 0) {
                bad |= rc != STORE_NOTFOUND;
            } else if (!m_index(a, i, &at)) {
                bad |= rc != STORE_OUTOFRANGE;
            } else {
                bad |= rc != STORE_OK;
                omk_free(a->v[at]);
                a->v[at] = omk_memdup(e, strlen(e));
            }
            break;
        }
        case 5: { /* LINSERT */
            int after = (int)(rnd() % 2);
            int64_t len = 0, want = 0;

            snprintf(e2, sizeof(e2), "%s", words[rnd() % OMK_ARRAY_LEN(words)]);
            rc = store_linsert(s, 0, key, after, fx_sl(e2), fx_sl(e), &len);
            if (a->n) {
                size_t at = 0;

                while (at < a->n && strcmp(a->v[at], e2) != 0)
                    at++;
                want = -1;
                if (at < a->n) {
                    m_insert(a, after ? at + 1 : at, e);
                    want = (int64_t)a->n;
                }
            }
            bad |= rc != STORE_OK || len != want;
            break;
        }
        case 6: { /* LREM */
            int64_t count = (int64_t)(rnd() % 7) - 3;
            uint64_t removed = 0, want = 0;

            snprintf(e, sizeof(e), "%s", words[rnd() % OMK_ARRAY_LEN(words)]);
            rc = store_lrem(s, 0, key, count, fx_sl(e), &removed);
            if (count >= 0) {
                for (size_t i = 0; i < a->n;) {
                    if (strcmp(a->v[i], e) == 0 && (count == 0 || want < (uint64_t)count)) {
                        m_remove(a, i);
                        want++;
                    } else {
                        i++;
                    }
                }
            } else {
                for (size_t i = a->n; i-- > 0;) {
                    if (strcmp(a->v[i], e) == 0 && want < (uint64_t)-count) {
                        m_remove(a, i);
                        want++;
                    }
                }
            }
            bad |= rc != STORE_OK || removed != want;
            break;
        }
        case 7: { /* LTRIM, mostly keeping much */
            int64_t start = rnd() % 3 ? (int64_t)(rnd() % 3) : rand_index(a->n);
            int64_t stop = rnd() % 3 ? -1 - (int64_t)(rnd() % 3) : rand_index(a->n);
            size_t from, k;

            rc = store_ltrim(s, 0, key, start, stop);
            m_range(a, start, stop, &from, &k);
            while (a->n > from + k)
                m_remove(a, a->n - 1);
            for (size_t i = 0; i < from; i++)
                m_remove(a, 0);
            bad |= rc != STORE_OK;
            break;
        }
        case 8: { /* LPOS */
            int64_t rank = (int64_t)(rnd() % 5) - 2;
            uint64_t count = rnd() % 4, maxlen = rnd() % 3 ? 0 : rnd() % 10;
            struct text t = {.len = 0};
            char want[4096] = "";
            size_t wl = 0, n = 0, matches = 0, reported = 0, seen = 0;
            size_t skip;

            if (rank == 0)
                rank = 1;
            skip = (size_t)(rank > 0 ? rank - 1 : -rank - 1);
            snprintf(e, sizeof(e), "%s", words[rnd() % OMK_ARRAY_LEN(words)]);
            t.buf[0] = 0;
            rc = store_lpos(s, 0, key, fx_sl(e), rank, count, maxlen, text_index, &t, &n);
            for (size_t j = 0; j < a->n && (maxlen == 0 || seen < maxlen); j++, seen++) {
                size_t i = rank > 0 ? j : a->n - 1 - j;

                if (strcmp(a->v[i], e) != 0 || matches++ < skip)
                    continue;
                wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%s%zu", wl ? " " : "", i);
                if (count && ++reported >= count)
                    break;
            }
            bad |= rc != STORE_OK || strcmp(t.buf, want) != 0;
            break;
        }
        case 9: { /* LMOVE between the two lists or within one */
            int to_w = (int)(rnd() % 2);
            struct model *b = &m[to_w];
            enum store_end from = rnd() % 2 ? STORE_LEFT : STORE_RIGHT;
            enum store_end to = rnd() % 2 ? STORE_LEFT : STORE_RIGHT;
            struct store_val *v = NULL;

            rc = store_lmove(s, 0, key, fx_sl(keys[to_w]), from, to, &v);
            if (a->n == 0) {
                bad |= rc != STORE_NOTFOUND;
            } else {
                size_t at = from == STORE_LEFT ? 0 : a->n - 1;
                char *x = omk_memdup(a->v[at], strlen(a->v[at]));

                bad |= rc != STORE_OK || v->len != strlen(x) || memcmp(v->data, x, v->len) != 0;
                m_remove(a, at);
                m_insert(b, to == STORE_LEFT ? 0 : b->n, x);
                omk_free(x);
            }
            store_val_release(v);
            break;
        }
        case 10: { /* LMPOP over a missing key and both lists */
            struct omk_slice k3[3] = {FX_SL("M-missing"), fx_sl(keys[w]), fx_sl(keys[!w])};
            enum store_end end = rnd() % 2 ? STORE_LEFT : STORE_RIGHT;
            uint64_t count = 1 + rnd() % 3;
            size_t which = 0, n = 0;
            struct model *p = a->n ? a : m[!w].n ? &m[!w] : NULL;

            rc = store_lmpop(s, 0, k3, 3, end, count, got_add, &g, &which, &n);
            if (!p) {
                bad |= rc != STORE_NOTFOUND;
            } else {
                size_t k = count < p->n ? (size_t)count : p->n;

                bad |= rc != STORE_OK || which != (p == a ? 1u : 2u) || n != k ||
                       !got_is(&g, p, end == STORE_LEFT ? 0 : p->n - k, k, end == STORE_RIGHT);
                for (size_t i = 0; i < k; i++)
                    m_remove(p, end == STORE_LEFT ? 0 : p->n - 1);
            }
            break;
        }
        default: { /* LRANGE */
            int64_t start = rand_index(a->n), stop = rand_index(a->n);
            size_t from, k, n = 0;

            rc = store_lrange(s, 0, key, start, stop, got_add, &g, &n);
            m_range(a, start, stop, &from, &k);
            bad |= rc != STORE_OK || !got_is(&g, a, from, k, 0);
            break;
        }
        }
        if (bad) {
            diag("op %d (kind %d on %s) went wrong: rc %d", op, kind, keys[w], rc);
            break;
        }
        /* Both lists whole, and their lengths from RAM. */
        for (int i = 0; i < 2 && !bad; i++) {
            size_t n = 0;

            got_clear(&g);
            store_lrange(s, 0, fx_sl(keys[i]), 0, -1, got_add, &g, &n);
            bad |= !got_is(&g, &m[i], 0, m[i].n, 0) || llen(s, keys[i]) != m[i].n ||
                   (m[i].n == 0) != (store_exists(s, 0, fx_sl(keys[i])) == STORE_NOTFOUND);
            if (bad)
                diag("after op %d (kind %d on %s): %s holds %zu, the model %zu", op, kind,
                     keys[w], keys[i], g.n, m[i].n);
            if (m[i].n)
                *(is_split(s, keys[i]) ? &splits : &inlines) += 1;
        }
        if (op % 1000 == 999) {
            char err[256] = "";

            bad |= store_check(s, err, sizeof(err)) != STORE_OK;
            if (bad)
                diag("store_check after op %d: %s", op, err);
        }
    }
    ok(!bad, "%d random list calls agree with a model of Redis' lists", MODEL_OPS);
    ok(splits > 100 && inlines > 100, "  ... on split (%d) and inline (%d) lists", splits, inlines);
    fx_check_store(s, "the random run");
    got_clear(&g);
    omk_free(g.v);
    for (int i = 0; i < 2; i++) {
        store_del(s, 0, fx_sl(keys[i]));
        m_clear(&m[i]);
    }
}

/* ---- threads --------------------------------------------------------------------------------- */

#define TH_N 4
#define TH_OPS 3000

struct th_arg {
    struct store *s;
    int t;
    int errors;
    struct got popped;
};

/* Each thread pushes its own numbered elements at either end of one list, pops at either
 * end now and then (keeping what it got), and moves elements between the list and a
 * second one. */
static void *th_main(void *arg)
{
    struct th_arg *a = arg;
    char e[32];
    char buf[64];

    for (int i = 0; i < TH_OPS; i++) {
        struct omk_slice sl;
        uint64_t len;
        size_t n;

        snprintf(e, sizeof(e), "t%d-%d", a->t, i);
        sl = fx_sl(e);
        if (store_lpush(a->s, 0, FX_SL("Q"), i % 2 ? STORE_LEFT : STORE_RIGHT, &sl, 1, 0,
                        &len) != STORE_OK)
            a->errors++;
        if (i % 3 == 0 && store_lpop(a->s, 0, FX_SL("Q"), i % 2 ? STORE_RIGHT : STORE_LEFT,
                                     1 + (uint64_t)(i % 4), got_add, &a->popped, &n) != STORE_OK)
            a->errors++;
        if (i % 7 == 0)
            lmove(a->s, "Q", "Q2", STORE_LEFT, STORE_RIGHT, buf, sizeof(buf));
        if (i % 11 == 0)
            lmove(a->s, "Q2", "Q", STORE_LEFT, STORE_LEFT, buf, sizeof(buf));
        if (i % 50 == 0 && store_ltrim(a->s, 0, FX_SL("Q"), 0, -1) != STORE_OK)
            a->errors++;
    }
    return NULL;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void test_threads(struct store *s)
{
    pthread_t th[TH_N];
    struct th_arg *a = omk_calloc(TH_N, sizeof(*a));
    struct got all = {0};
    int errors = 0, dups = 0;
    size_t n = 0;

    set_inline(s, 128);
    for (int t = 0; t < TH_N; t++) {
        a[t].s = s;
        a[t].t = t;
        pthread_create(&th[t], NULL, th_main, &a[t]);
    }
    for (int t = 0; t < TH_N; t++) {
        pthread_join(th[t], NULL);
        errors += a[t].errors;
        for (size_t i = 0; i < a[t].popped.n; i++)
            got_add(&all, fx_sl(a[t].popped.v[i]));
        got_clear(&a[t].popped);
        omk_free(a[t].popped.v);
    }
    is_int(errors, 0, "%d threads pushing, popping and moving on one list: no call failed", TH_N);
    store_lrange(s, 0, FX_SL("Q"), 0, -1, got_add, &all, &n);
    store_lrange(s, 0, FX_SL("Q2"), 0, -1, got_add, &all, &n);
    qsort(all.v, all.n, sizeof(*all.v), cmp_str);
    for (size_t i = 1; i < all.n; i++)
        dups += strcmp(all.v[i], all.v[i - 1]) == 0;
    is_int(all.n, TH_N * TH_OPS, "  ... every element pushed was popped or is still there");
    is_int(dups, 0, "  ... none twice");
    fx_check_store(s, "threads");
    got_clear(&all);
    omk_free(all.v);
    omk_free(a);
    store_del(s, 0, FX_SL("Q"));
    store_del(s, 0, FX_SL("Q2"));
}

int main(void)
{
    char *dir = fx_tmpdir_new("list");
    struct store *s = fx_store_open(dir, NULL);

    test_calls(s, 1024, "inline");
    test_calls(s, 8, "split");
    test_layouts(s);
    test_moves(s, 1024, "inline");
    test_moves(s, 8, "split");
    test_transaction(s);
    test_model(s);
    test_threads(s);
    test_forged(&s, dir);
    test_keys(&s, dir);
    store_close(s);
    fx_tmpdir_rm(dir);
    return tap_done();
}
