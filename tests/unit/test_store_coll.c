/* test_store_coll.c - unit tests (TAP) of the collection layer (store/coll.c) and the
 * hash and set operations on it (store/ops_hash.c, store/ops_set.c), over a real RocksDB:
 * inline and split layouts and the way between them both ways, counts from RAM, Redis'
 * encodings, WRONGTYPE both ways, RENAME/COPY/MOVE/EXPIRE of split collections, ids never
 * reused (restart, FLUSHALL), dead elements dropped by compaction, transactions, random
 * picks over the whole collection, and store_check (which walks the element records)
 * after each group. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/coll.h"
#include "store/elemcache.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

/* One assertion: C string 'got' equals 'want'. */
#define is_str(got, want, ...) is_mem((got), strlen(got), (want), strlen(want), __VA_ARGS__)

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Inline collections up to 'bytes'; Redis' limits at their defaults. */
static void set_inline(struct store *s, uint64_t bytes)
{
    struct store_coll_limits l;

    store_get_coll_limits(s, &l);
    l.inline_max_bytes = bytes;
    store_set_coll_limits(s, &l);
}

/* The state the index holds for 'key' in db 0. */
static struct key_state entry_state(struct store *s, const char *key)
{
    struct store_op op;
    struct key_state st;

    store_op_begin1(&op, s, STORE_OP_READ, 0, fx_sl(key));
    store_op_lookup(&op, 0, STORE_WANT_STATE);
    st = op.key[0].st;
    store_op_end(&op, STORE_OK);
    return st;
}

/* The index entry's flags of 'key' in db 0. */
static unsigned entry_flags(struct store *s, const char *key)
{
    return entry_state(s, key).fflags;
}

static int is_split(struct store *s, const char *key)
{
    return (entry_flags(s, key) & FMT_F_SPLIT) != 0;
}

static int hset1(struct store *s, const char *key, const char *f, const char *v)
{
    struct omk_slice fv[2] = {fx_sl(f), fx_sl(v)};
    size_t added = 0;
    int rc = store_hset(s, 0, fx_sl(key), fv, 1, 0, &added);

    return rc == STORE_OK ? (int)added : -1 - rc;
}

static int sadd1(struct store *s, const char *key, const char *m)
{
    struct omk_slice ms = fx_sl(m);
    size_t added = 0;
    int rc = store_sadd(s, 0, fx_sl(key), &ms, 1, &added);

    return rc == STORE_OK ? (int)added : -1 - rc;
}

/* The value of field 'f' of hash 'key' into 'buf', or "(nil)". */
static const char *hget(struct store *s, const char *key, const char *f, char *buf, size_t cap)
{
    struct store_val *v = NULL;
    int rc = store_hget(s, 0, fx_sl(key), fx_sl(f), &v);

    if (rc != STORE_OK)
        snprintf(buf, cap, rc == STORE_NOTFOUND ? "(nil)" : "(error %d)", rc);
    else
        snprintf(buf, cap, "%.*s", (int)v->len, v->data);
    store_val_release(v);
    return buf;
}

static uint64_t hlen(struct store *s, const char *key)
{
    uint64_t n = 999999;

    store_hlen(s, 0, fx_sl(key), &n);
    return n;
}

static uint64_t scard(struct store *s, const char *key)
{
    uint64_t n = 999999;

    store_scard(s, 0, fx_sl(key), &n);
    return n;
}

/* store_pair_cb / store_elem_cb that count and sum lengths. */
struct tally {
    size_t n, bytes;
    int seen[512];
};

static int tally_pair(void *arg, struct omk_slice f, struct omk_slice v)
{
    struct tally *t = arg;

    t->n++;
    t->bytes += f.len + v.len;
    if (f.len > 1 && f.p[0] == 'm') {
        int i = atoi(f.p + 1);

        if (i >= 0 && i < 512)
            t->seen[i]++;
    }
    return 0;
}

static int tally_elem(void *arg, struct omk_slice e)
{
    return tally_pair(arg, e, (struct omk_slice){"", 0});
}

static uint64_t elem_bytes(struct store *s)
{
    return rocks_cf_bytes(s->rocks, ROCKS_CF_ELEMS);
}

static void test_hash_layouts(struct store *s)
{
    char buf[64], f[32], v[32];
    struct tally t = {0};
    size_t np = 0, rem = 0;

    set_inline(s, 256);
    is_int(hset1(s, "h", "a", "1"), 1, "HSET of a new field adds it");
    is_int(hset1(s, "h", "a", "2"), 0, "HSET of the same field changes it");
    is_str(hget(s, "h", "a", buf, sizeof(buf)), "2", "HGET reads the new value");
    ok(!is_split(s, "h"), "a small hash is inline");
    for (int i = 0; i < 100; i++) {
        snprintf(f, sizeof(f), "f%03d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        hset1(s, "h", f, v);
    }
    ok(is_split(s, "h"), "past the inline limit the hash is split");
    is_int(hlen(s, "h"), 101, "HLEN counts every field");
    is_str(hget(s, "h", "f042", buf, sizeof(buf)), "value-42", "HGET of a split field");
    is_str(hget(s, "h", "nope", buf, sizeof(buf)), "(nil)", "HGET of a missing field");
    is_int(store_hgetall(s, 0, FX_SL("h"), tally_pair, &t, &np), STORE_OK, "HGETALL of it");
    is_int(np, 101, "  ... gives every pair");
    fx_check_store(s, "a hash split");
    for (int i = 0; i < 95; i++) {
        struct omk_slice fs;

        snprintf(f, sizeof(f), "f%03d", i);
        fs = fx_sl(f);
        store_hdel(s, 0, FX_SL("h"), &fs, 1, &rem);
    }
    is_int(hlen(s, "h"), 6, "HDEL down to 6 fields");
    ok(!is_split(s, "h"), "a split hash shrunk small is inline again");
    is_str(hget(s, "h", "f099", buf, sizeof(buf)), "value-99", "  ... with its fields");
    fx_check_store(s, "a split hash went inline");
    {
        struct omk_slice all[7] = {FX_SL("a"), FX_SL("f095"), FX_SL("f096"), FX_SL("f097"),
                                   FX_SL("f098"), FX_SL("f099"), FX_SL("zz")};

        is_int(store_hdel(s, 0, FX_SL("h"), all, 7, &rem), STORE_OK, "HDEL of every field");
        is_int(rem, 6, "  ... removes the 6 there");
    }
    is_int(store_exists(s, 0, FX_SL("h")), STORE_NOTFOUND, "an emptied hash is deleted");
    fx_check_store(s, "a hash emptied");
}

static void test_encodings_and_types(struct store *s)
{
    struct store_keyinfo ki;
    struct store_val *v = NULL;
    long long n = 0;
    char big[80];
    const char *name;

    set_inline(s, 1024);
    hset1(s, "e", "f", "v");
    store_keyinfo(s, 0, FX_SL("e"), &ki);
    ok(ki.type == STORE_TYPE_HASH && !ki.big && ki.count == 1, "a new hash: listpack, 1 field");
    memset(big, 'x', 65);
    big[65] = 0;
    hset1(s, "e", "g", big);
    store_keyinfo(s, 0, FX_SL("e"), &ki);
    ok(ki.big, "a value over hash-max-listpack-value makes it hashtable");
    hset1(s, "e", "g", "short");
    store_keyinfo(s, 0, FX_SL("e"), &ki);
    ok(ki.big, "  ... and it never goes back");
    sadd1(s, "is", "1");
    sadd1(s, "is", "-7");
    store_keyinfo(s, 0, FX_SL("is"), &ki);
    ok(ki.type == STORE_TYPE_SET && !ki.big, "a set of integers is an intset");
    sadd1(s, "is", "01");
    store_keyinfo(s, 0, FX_SL("is"), &ki);
    ok(ki.big, "a member '01' (not an integer to Redis) makes it hashtable");
    ok(store_type(s, 0, FX_SL("is"), &name) == STORE_OK && !strcmp(name, "set"), "TYPE says set");
    ok(store_type(s, 0, FX_SL("e"), &name) == STORE_OK && !strcmp(name, "hash"), "TYPE says hash");
    is_int(store_get(s, 0, FX_SL("e"), &v), STORE_WRONGTYPE, "GET of a hash: WRONGTYPE");
    is_int(store_incrby(s, 0, FX_SL("is"), 1, &n), STORE_WRONGTYPE, "INCRBY of a set: WRONGTYPE");
    fx_set_str(s, 0, "str", "x", 0);
    is_int(hset1(s, "str", "f", "v"), -1 - STORE_WRONGTYPE, "HSET on a string: WRONGTYPE");
    is_int(sadd1(s, "e", "m"), -1 - STORE_WRONGTYPE, "SADD on a hash: WRONGTYPE");
    is_int(store_hincrby(s, 0, FX_SL("e"), FX_SL("g"), 1, &n), STORE_NOTINT,
           "HINCRBY of a non-integer field");
    is_int(store_hincrby(s, 0, FX_SL("e"), FX_SL("n"), 5, &n), STORE_OK, "HINCRBY a new field");
    is_int(store_hincrby(s, 0, FX_SL("e"), FX_SL("n"), LLONG_MAX, &n), STORE_OVERFLOW,
           "  ... past LLONG_MAX overflows");
    fx_set_str(s, 0, "e", "now a string", 0);
    ok(store_type(s, 0, FX_SL("e"), &name) == STORE_OK && !strcmp(name, "string"),
       "SET over a hash replaces it");
    store_del(s, 0, FX_SL("is"));
    store_del(s, 0, FX_SL("str"));
    store_del(s, 0, FX_SL("e"));
    fx_check_store(s, "encodings");
}

/* A split set "S" of members m0..m(n-1). */
static void make_set(struct store *s, const char *key, int from, int to)
{
    char m[16];

    for (int i = from; i < to; i++) {
        snprintf(m, sizeof(m), "m%d", i);
        sadd1(s, key, m);
    }
}

static void test_sets(struct store *s)
{
    struct tally t = {0};
    uint64_t card = 0;
    size_t n = 0;
    unsigned char in[3];
    struct omk_slice k2[2] = {FX_SL("A"), FX_SL("B")};
    struct omk_slice probe[3] = {FX_SL("m1"), FX_SL("m150"), FX_SL("zz")};

    set_inline(s, 128);
    make_set(s, "A", 0, 200);  /* split */
    make_set(s, "B", 100, 110); /* inline */
    ok(is_split(s, "A") && !is_split(s, "B"), "A is split, B inline");
    is_int(scard(s, "A"), 200, "SCARD of the split set");
    is_int(store_sismember(s, 0, FX_SL("A"), FX_SL("m150")), STORE_OK, "SISMEMBER hit");
    is_int(store_sismember(s, 0, FX_SL("A"), FX_SL("m250")), STORE_NOTFOUND, "SISMEMBER miss");
    store_smismember(s, 0, FX_SL("A"), probe, 3, in);
    ok(in[0] && in[1] && !in[2], "SMISMEMBER");
    store_setop(s, 0, STORE_SETOP_INTER, k2, 2, 0, NULL, NULL, &card);
    is_int(card, 10, "SINTERCARD A B");
    store_setop(s, 0, STORE_SETOP_INTER, k2, 2, 3, NULL, NULL, &card);
    is_int(card, 3, "SINTERCARD with LIMIT 3");
    store_setop(s, 0, STORE_SETOP_UNION, k2, 2, 0, NULL, NULL, &card);
    is_int(card, 200, "SUNION A B");
    store_setop(s, 0, STORE_SETOP_DIFF, k2, 2, 0, NULL, NULL, &card);
    is_int(card, 190, "SDIFF A B");
    {
        struct omk_slice kk[2] = {FX_SL("B"), FX_SL("B")};

        store_setop(s, 0, STORE_SETOP_DIFF, kk, 2, 0, NULL, NULL, &card);
        is_int(card, 0, "SDIFF B B is empty");
        store_setop(s, 0, STORE_SETOP_UNION, kk, 2, 0, NULL, NULL, &card);
        is_int(card, 10, "SUNION B B is B");
    }
    is_int(store_setop_store(s, 0, STORE_SETOP_DIFF, FX_SL("D"), k2, 2, &card), STORE_OK,
           "SDIFFSTORE D A B");
    ok(card == 190 && scard(s, "D") == 190 && is_split(s, "D"), "  ... D has 190, split");
    is_int(store_setop_store(s, 0, STORE_SETOP_INTER, FX_SL("D"), k2, 2, &card), STORE_OK,
           "SINTERSTORE D A B replaces D");
    ok(card == 10 && scard(s, "D") == 10 && !is_split(s, "D"), "  ... D has 10, inline");
    {
        struct omk_slice kk[2] = {FX_SL("A"), FX_SL("nope")};

        store_setop_store(s, 0, STORE_SETOP_INTER, FX_SL("D"), kk, 2, &card);
        ok(card == 0 && store_exists(s, 0, FX_SL("D")) == STORE_NOTFOUND,
           "an empty SINTERSTORE result deletes D");
    }
    fx_check_store(s, "set algebra");
    is_int(store_smove(s, 0, FX_SL("A"), FX_SL("B"), FX_SL("m5")), STORE_OK, "SMOVE A -> B");
    ok(scard(s, "A") == 199 && scard(s, "B") == 11, "  ... counts follow");
    is_int(store_smove(s, 0, FX_SL("A"), FX_SL("B"), FX_SL("m5")), STORE_NOTFOUND,
           "SMOVE of a member A lacks");
    is_int(store_spop(s, 0, FX_SL("A"), 50, rnd, tally_elem, &t, &n), STORE_OK, "SPOP A 50");
    ok(n == 50 && scard(s, "A") == 149, "  ... 50 popped, 149 left");
    fx_check_store(s, "SPOP of a split set");
    memset(&t, 0, sizeof(t));
    is_int(store_srandmember(s, 0, FX_SL("A"), 30, 0, rnd, tally_elem, &t, &n), STORE_OK,
           "SRANDMEMBER A 30");
    {
        int distinct = 1;

        for (int i = 0; i < 512; i++)
            distinct &= t.seen[i] <= 1;
        ok(n == 30 && distinct, "  ... 30 distinct members");
    }
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < 3000; i++)
        store_srandmember(s, 0, FX_SL("A"), 1, 0, rnd, tally_elem, &t, &n);
    {
        int hit = 0;

        for (int i = 0; i < 512; i++)
            hit += t.seen[i] > 0;
        ok(hit >= 140, "3000 single picks reach %d of the 149 members (the whole set)", hit);
    }
    is_int(store_spop(s, 0, FX_SL("A"), 1000, rnd, tally_elem, &t, &n), STORE_OK,
           "SPOP more than the set holds");
    ok(n == 149 && store_exists(s, 0, FX_SL("A")) == STORE_NOTFOUND, "  ... empties and deletes it");
    store_del(s, 0, FX_SL("B"));
    fx_check_store(s, "sets");
}

static void test_keys_and_space(struct store *s, const char *dir)
{
    char buf[64], f[32];
    uint64_t before, after, id1 = 0, id2 = 0;
    struct tally t = {0};
    size_t np = 0;

    set_inline(s, 128);
    for (int i = 0; i < 2000; i++) {
        snprintf(f, sizeof(f), "field-%05d", i);
        hset1(s, "big", f, "some value bytes");
    }
    ok(is_split(s, "big"), "a 2000-field hash is split");
    is_int(store_rename(s, 0, FX_SL("big"), FX_SL("big2"), 0), STORE_OK, "RENAME of it");
    ok(hlen(s, "big2") == 2000 && store_exists(s, 0, FX_SL("big")) == STORE_NOTFOUND,
       "  ... moves every field");
    is_int(store_copy(s, 0, FX_SL("big2"), 1, FX_SL("c"), 0), STORE_OK, "COPY to db 1");
    hset1(s, "big2", "field-00001", "changed");
    {
        struct store_val *v = NULL;

        store_hget(s, 1, FX_SL("c"), FX_SL("field-00001"), &v);
        ok(v && v->len == 16, "the copy is independent of the original");
        store_val_release(v);
    }
    is_int(store_move(s, 1, FX_SL("c"), 2), STORE_OK, "MOVE of the copy to db 2");
    is_int(store_hgetall(s, 2, FX_SL("c"), tally_pair, &t, &np), STORE_OK, "HGETALL in db 2");
    is_int(np, 2000, "  ... every field");
    is_int(store_expire(s, 0, FX_SL("big2"), omk_now_ms() + 100000, 0), STORE_OK,
           "EXPIRE of a split hash");
    is_str(hget(s, "big2", "field-00001", buf, sizeof(buf)), "changed", "  ... keeps its fields");
    fx_check_store(s, "rename, copy, move, expire");

    coll_id_new(s, &id1);
    store_close(s);
    s = fx_store_open(dir, NULL);
    set_inline(s, 128);
    ok(hlen(s, "big2") == 2000 && is_split(s, "big2"), "after a restart: count and layout");
    is_str(hget(s, "big2", "field-00001", buf, sizeof(buf)), "changed", "  ... and fields");
    coll_id_new(s, &id2);
    ok(id2 > id1, "ids are not reused after a restart (%llu then %llu)", (unsigned long long)id1,
       (unsigned long long)id2);
    fx_check_store(s, "a restart");

    rocks_compact_all(s->rocks);
    before = elem_bytes(s);
    store_del(s, 0, FX_SL("big2"));
    store_del(s, 2, FX_SL("c"));
    rocks_compact_all(s->rocks);
    after = elem_bytes(s);
    ok(after * 10 < before, "DEL then compaction frees the element records (%llu -> %llu bytes)",
       (unsigned long long)before, (unsigned long long)after);
    make_set(s, "gone", 0, 300);
    store_flush(s, -1);
    coll_id_new(s, &id1);
    ok(id1 > id2, "ids are not reused after FLUSHALL");
    rocks_compact_all(s->rocks);
    ok(elem_bytes(s) < 4096, "FLUSHALL then compaction leaves no element record");
    fx_check_store(s, "space");

    /* A restored checkpoint: ids handed out after it may come again there, but never one
     * the checkpoint's data holds, and nothing of a later collection shows through. */
    {
        char cp[512], cpdir[600];
        struct store *r;
        uint64_t idc = 0, idr = 0;

        make_set(s, "kept", 0, 300);
        is_int(store_save(s, cp, sizeof(cp)), STORE_OK, "SAVE: a checkpoint");
        make_set(s, "later", 0, 300);
        coll_id_new(s, &idc);
        store_close(s);
        snprintf(cpdir, sizeof(cpdir), "%s", cp);
        r = fx_store_open(cpdir, NULL);
        set_inline(r, 128);
        ok(scard(r, "kept") == 300 && store_exists(r, 0, FX_SL("later")) == STORE_NOTFOUND,
           "the restored checkpoint has the set saved, not the later one");
        make_set(r, "new", 1000, 1300);
        coll_id_new(r, &idr);
        ok(scard(r, "new") == 300, "a new split set there has exactly its own members");
        fx_check_store(r, "a restored checkpoint");
        store_close(r);
        s = fx_store_open(dir, NULL);
        set_inline(s, 128);
        store_del(s, 0, FX_SL("kept"));
        store_del(s, 0, FX_SL("later"));
        OMK_UNUSED(idc);
        OMK_UNUSED(idr);
    }

    /* A large collection's death queues the compaction of its range by itself. */
    make_set(s, "huge", 0, RECLAIM_MIN + 100);
    store_compact(s);
    before = elem_bytes(s);
    {
        uint64_t runs = fx_stats(s).reclaims;

        store_del(s, 0, FX_SL("huge"));
        for (int i = 0; i < 200 && fx_stats(s).reclaims == runs; i++)
            fx_sleep_ms(50);
        ok(fx_stats(s).reclaims > runs, "DEL of a %d-member set starts a reclaim by itself",
           RECLAIM_MIN + 100);
    }
    after = elem_bytes(s);
    ok(after * 10 < before, "  ... which gives the space back (%llu -> %llu bytes)",
       (unsigned long long)before, (unsigned long long)after);
    fx_check_store(s, "a reclaim");
    store_close(s);
}

static void test_transaction(struct store *s)
{
    char buf[64], f[32];
    struct tally t = {0};
    size_t np = 0;

    set_inline(s, 128);
    store_tx_begin(s);
    for (int i = 0; i < 50; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        hset1(s, "tx", f, "v");
    }
    ok(is_split(s, "tx"), "inside a transaction the hash splits");
    is_str(hget(s, "tx", "f7", buf, sizeof(buf)), "v", "  ... its fields read through it");
    is_int(store_hgetall(s, 0, FX_SL("tx"), tally_pair, &t, &np), STORE_OK, "  ... HGETALL");
    is_int(np, 50, "  ... sees the 50 fields");
    is_int(store_tx_end(s), STORE_OK, "the transaction commits");
    is_int(hlen(s, "tx"), 50, "HLEN after it");
    fx_check_store(s, "a transaction");
    store_del(s, 0, FX_SL("tx"));
}

/* Write element record 'e' = 'v' of collection 'id' straight to RocksDB. */
static void elem_put_raw(struct store *s, uint64_t id, const char *e, const char *v)
{
    struct rocks_batch *b = rocks_batch_new();
    struct fmt_key k;

    fmt_elem_key(&k, id, fmt_elem_pos(e, strlen(e)), e, strlen(e));
    rocks_batch_put_cf(s->rocks, b, ROCKS_CF_ELEMS, k.p, k.len, v, strlen(v));
    is_int(rocks_write(s->rocks, b), STORE_OK, "  (a record written behind the store's back)");
    rocks_batch_free(b);
    fmt_key_deinit(&k);
}

/* The element cache (elemcache.h): split elements read once are answered from RAM, every
 * write keeps the cached entry what RocksDB holds (set, removed, in a transaction, split
 * again under a new id, flushed, evicted), and store_check compares each entry with
 * RocksDB. */
static void test_element_cache(struct store *s)
{
    struct store_stats st0, st1;
    struct omk_slice f6 = FX_SL("f6"), m = FX_SL("m3");
    char buf[64], f[32], v[32];
    size_t n = 0, changed = 0;
    double score = 0, two = 2;
    char err[256] = "";
    uint64_t id;

    set_inline(s, 64);
    for (int i = 0; i < 200; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        hset1(s, "ec", f, v);
    }
    ok(is_split(s, "ec"), "ecache: a hash of 200 fields is split");
    st0 = fx_stats(s);
    hget(s, "ec", "f5", buf, sizeof(buf)); /* once: is_str evaluates its argument twice */
    st1 = fx_stats(s);
    is_str(buf, "v5", "  HGET of a field written by the split");
    is_int(st1.cache_hits - st0.cache_hits, 1, "  ... is a cache hit (the write cached it)");
    is_int(st1.cache_misses - st0.cache_misses, 0, "  ... and reads nothing");
    is_int(hset1(s, "ec", "f5", "new"), 0, "  HSET of that field again adds nothing");
    is_str(hget(s, "ec", "f5", buf, sizeof(buf)), "new", "  ... and HGET sees the new value");
    is_int(store_hdel(s, 0, FX_SL("ec"), &f6, 1, &n), STORE_OK, "  HDEL f6");
    is_int(store_hexists(s, 0, FX_SL("ec"), f6), STORE_NOTFOUND, "  ... HEXISTS f6 is 0");
    is_int(hset1(s, "ec", "f6", "back"), 1, "  ... HSET f6 adds it again");
    fx_check_store(s, "ecache: sets and removals");

    /* In a transaction: each command's changes reach the cache as it commits. */
    store_tx_begin(s);
    is_int(store_hdel(s, 0, FX_SL("ec"), &f6, 1, &n), STORE_OK, "ecache: in a transaction, HDEL");
    is_int(n, 1, "  ... removes f6");
    is_int(hset1(s, "ec", "f6", "tx"), 1, "  ... HSET f6 adds it back");
    is_int(hset1(s, "ec", "f6", "tx2"), 0, "  ... HSET f6 again adds nothing");
    is_int(store_tx_end(s), STORE_OK, "  the transaction commits");
    is_str(hget(s, "ec", "f6", buf, sizeof(buf)), "tx2", "  HGET f6 after it");
    is_int(hlen(s, "ec"), 200, "  HLEN 200");
    fx_check_store(s, "ecache: a transaction");

    /* The self-check compares each entry with RocksDB. */
    id = entry_state(s, "ec").id;
    elem_put_raw(s, id, "f7", "changed behind");
    hget(s, "ec", "f8", buf, sizeof(buf));
    ok(store_check(s, err, sizeof(err)) == STORE_ERR_VALUE && strstr(err, "cached element"),
       "ecache: store_check finds an entry that differs from RocksDB (%s)", err);
    elem_put_raw(s, id, "f7", "v7");
    fx_check_store(s, "ecache: the record put back");

    /* Back inline, then split again: a new id, and nothing of the old one answers. */
    for (int i = 0; i < 198; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        store_hdel(s, 0, FX_SL("ec"), (struct omk_slice[]){fx_sl(f)}, 1, &n);
    }
    ok(!is_split(s, "ec"), "ecache: shrunk to 2 fields the hash is inline again");
    for (int i = 300; i < 400; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        hset1(s, "ec", f, "x");
    }
    ok(is_split(s, "ec") && entry_state(s, "ec").id != id, "  grown again it is split under a new id");
    is_str(hget(s, "ec", "f5", buf, sizeof(buf)), "(nil)", "  HGET of a field removed meanwhile");
    is_int(hset1(s, "ec", "f10", "y"), 1, "  HSET of one adds it");
    is_int(hlen(s, "ec"), 103, "  HLEN 103");
    fx_check_store(s, "ecache: split again");

    /* Sets and sorted sets use it the same way. */
    for (int i = 0; i < 100; i++) {
        snprintf(f, sizeof(f), "m%d", i);
        sadd1(s, "es", f);
        store_zadd(s, 0, FX_SL("ez"), (double[]){i}, (struct omk_slice[]){fx_sl(f)}, 1, 0, &n,
                   &changed, NULL);
    }
    st0 = fx_stats(s);
    is_int(sadd1(s, "es", "m3"), 0, "ecache: SADD of a member there adds nothing");
    is_int(store_sismember(s, 0, FX_SL("es"), m), STORE_OK, "  SISMEMBER finds it");
    is_int(store_zadd(s, 0, FX_SL("ez"), &two, &m, 1, 0, &n, &changed, NULL), STORE_OK,
           "  ZADD m3 2");
    is_int(store_zscore(s, 0, FX_SL("ez"), m, &score), STORE_OK, "  ZSCORE m3");
    ok(score == 2, "  ... is 2");
    st1 = fx_stats(s);
    is_int(st1.cache_misses - st0.cache_misses, 0, "  ... all answered from the cache");
    fx_check_store(s, "ecache: sets and sorted sets");

    /* A small budget evicts entries; a flush empties the table. */
    store_set_maxmemory(s, 64 << 10);
    for (int i = 0; i < 3000; i++) {
        snprintf(f, sizeof(f), "g%d", i);
        hset1(s, "ec", f, "some value of a few bytes");
    }
    ok(ecache_count(s->ecache) < 3000, "ecache: a 64 KB budget holds %zu of 3000 fields",
       ecache_count(s->ecache));
    is_str(hget(s, "ec", "g17", buf, sizeof(buf)), "some value of a few bytes",
           "  an evicted field reads RocksDB");
    fx_check_store(s, "ecache: evictions");
    store_set_maxmemory(s, 0);
    is_int(store_flush(s, -1), STORE_OK, "ecache: FLUSHALL");
    is_int(ecache_count(s->ecache), 0, "  ... empties the element table");
    fx_check_store(s, "ecache: FLUSHALL");
}

/* The live-id set against a model: random refs and unrefs of 300 ids (far above any id
 * the store hands out), checking each unref's answer, membership and the count. */
static void test_live_ids(struct store *s)
{
    static int ref[301];
    uint64_t base = UINT64_C(1) << 40;
    size_t before = coll_ids_count(s);
    int bad = 0;

    for (int it = 0; it < 200000 && !bad; it++) {
        int id = 1 + (int)(rnd() % 300);

        if (rnd() % 2) {
            coll_ids_ref(s, base + (uint64_t)id);
            ref[id]++;
        } else if (ref[id] > 0) {
            ref[id]--;
            bad |= coll_ids_unref(s, base + (uint64_t)id) != (ref[id] == 0);
        }
        if (it % 1000 == 0) {
            size_t n = 0;

            for (int i = 1; i <= 300; i++) {
                n += ref[i] > 0;
                bad |= (ref[i] > 0) != coll_ids_live(s, base + (uint64_t)i);
            }
            bad |= n + before != coll_ids_count(s);
        }
    }
    ok(!bad, "the live-id set agrees with a model over 200000 refs and unrefs");
    for (int i = 1; i <= 300; i++)
        while (ref[i]-- > 0)
            coll_ids_unref(s, base + (uint64_t)i);
    is_int(coll_ids_count(s), before, "  ... and is back to the store's own ids");
}

/* ---- threads ----------------------------------------------------------------------------- */

#define TH_N 4
#define TH_OPS 1500

struct th_arg {
    struct store *s;
    int t;
    int errors;
};

/* Each thread: HINCRBY fields of three shared hashes, SADD members of its own to a shared
 * set (split past the small inline limit), and whole-hash reads in between. */
static void *th_main(void *arg)
{
    struct th_arg *a = arg;
    char f[32], m[32];

    for (int i = 0; i < TH_OPS; i++) {
        long long out;
        size_t added, np;
        struct omk_slice ms;
        struct tally t = {0};
        const char *h = i % 3 == 0 ? "th0" : i % 3 == 1 ? "th1" : "th2";

        snprintf(f, sizeof(f), "f%d", i % 40);
        if (store_hincrby(a->s, 0, fx_sl(h), fx_sl(f), 1, &out) != STORE_OK)
            a->errors++;
        snprintf(m, sizeof(m), "t%d-%d", a->t, i);
        ms = fx_sl(m);
        if (store_sadd(a->s, 0, FX_SL("thset"), &ms, 1, &added) != STORE_OK || added != 1)
            a->errors++;
        if (i % 50 == 0 && store_hgetall(a->s, 0, fx_sl(h), tally_pair, &t, &np) != STORE_OK)
            a->errors++;
    }
    return NULL;
}

/* The sum of the integer fields of hash 'key'. */
static int sum_pair(void *arg, struct omk_slice f, struct omk_slice v)
{
    long long x = 0;

    OMK_UNUSED(f);
    omk_str2ll(v.p, v.len, &x);
    *(long long *)arg += x;
    return 0;
}

static void test_threads(struct store *s)
{
    pthread_t th[TH_N];
    struct th_arg a[TH_N];
    long long sum = 0, total = 0;
    size_t np;
    int errors = 0;

    set_inline(s, 64);
    for (int t = 0; t < TH_N; t++) {
        a[t] = (struct th_arg){s, t, 0};
        pthread_create(&th[t], NULL, th_main, &a[t]);
    }
    for (int t = 0; t < TH_N; t++) {
        pthread_join(th[t], NULL);
        errors += a[t].errors;
    }
    is_int(errors, 0, "%d threads of HINCRBY, SADD and HGETALL: no call failed", TH_N);
    for (int h = 0; h < 3; h++) {
        char key[8];

        snprintf(key, sizeof(key), "th%d", h);
        sum = 0;
        store_hgetall(s, 0, fx_sl(key), sum_pair, &sum, &np);
        total += sum;
    }
    is_int(total, TH_N * TH_OPS, "  ... every increment is counted");
    is_int(scard(s, "thset"), TH_N * TH_OPS, "  ... every member is in the set");
    fx_check_store(s, "threads");
    store_del(s, 0, FX_SL("th0"));
    store_del(s, 0, FX_SL("th1"));
    store_del(s, 0, FX_SL("th2"));
    store_del(s, 0, FX_SL("thset"));
}

int main(void)
{
    char *dir = fx_tmpdir_new("coll");
    struct store *s = fx_store_open(dir, NULL);

    test_live_ids(s);
    test_hash_layouts(s);
    test_encodings_and_types(s);
    test_sets(s);
    test_transaction(s);
    test_element_cache(s);
    test_threads(s);
    test_keys_and_space(s, dir); /* closes 's' */
    fx_tmpdir_rm(dir);
    return tap_done();
}
