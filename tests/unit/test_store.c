/* test_store.c - unit tests of store/ (TAP): the keyspace over a real RocksDB in a fresh
 * directory per test. Covers SET flags, expiry, counters (checked against a full walk by
 * store_check after each group of mutations), MSET, FLUSHDB, SCAN/KEYS, SCAN cursors
 * (positions; the table's limits per owner, in slots and in bytes; flushes freeing it),
 * binary keys, large and empty values, database isolation, the three fsync modes
 * (including a kill -9 of a writer process), injected RocksDB errors and concurrent
 * writers under SCAN. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

/* A growing list of keys that SCAN or KEYS returned. */
struct keylist {
    char **k;
    size_t *len;
    size_t n, cap;
};

static void keylist_add(void *arg, const char *key, size_t klen, int type)
{
    OMK_UNUSED(type);
    struct keylist *l = arg;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->k = omk_realloc(l->k, l->cap * sizeof(*l->k));
        l->len = omk_realloc(l->len, l->cap * sizeof(*l->len));
    }
    l->k[l->n] = omk_memdup(key, klen);
    l->len[l->n++] = klen;
}

static void keylist_free(struct keylist *l)
{
    for (size_t i = 0; i < l->n; i++)
        omk_free(l->k[i]);
    omk_free(l->k);
    omk_free(l->len);
    memset(l, 0, sizeof(*l));
}

/* How many times 'key' appears in 'l'. */
static size_t keylist_count(const struct keylist *l, const char *key, size_t klen)
{
    size_t c = 0;

    for (size_t i = 0; i < l->n; i++)
        c += l->len[i] == klen && memcmp(l->k[i], key, klen) == 0;
    return c;
}

/* A full SCAN iteration of 'db' with 'pat' and 'count' into 'l'. Returns the number of
 * calls, or -1 if a call failed. */
static int scan_all(struct store *s, int db, const char *pat, size_t count, struct keylist *l)
{
    uint64_t cur = 0;
    int calls = 0;

    do {
        if (store_scan(s, db, 0, cur, pat, pat ? strlen(pat) : 0, count, keylist_add, l, &cur) !=
            STORE_OK)
            return -1;
        calls++;
    } while (cur != 0);
    return calls;
}

/* SCAN's table limits (store/scan.c), as the tests rely on them. */
#define SCAN_TEST_OWNER_SLOTS 64
#define SCAN_TEST_TABLE_BYTES ((size_t)64 << 20)

/* ---- tests ------------------------------------------------------------------------- */

static void test_format(void)
{
    unsigned char hdr[FMT_HDR_LEN];
    struct fmt_hdr h = { 9, 9, 9 };
    struct fmt_key k;
    char p[4];

    fmt_hdr_encode(hdr, FMT_TYPE_STRING, 0, INT64_C(0x0102030405060708));
    ok(hdr[0] == 1 && hdr[1] == 0 && hdr[2] == 0 && hdr[3] == 0x08 && hdr[10] == 0x01,
       "format: header bytes (version, type, flags, little-endian expiry)");
    is_int(fmt_hdr_decode(hdr, sizeof(hdr), &h), 0, "format: the header decodes");
    ok(h.type == FMT_TYPE_STRING && h.flags == 0 && h.expire_ms == INT64_C(0x0102030405060708),
       "format: round trip");
    ok(fmt_hdr_expired(&h, h.expire_ms) && !fmt_hdr_expired(&h, h.expire_ms - 1),
       "format: a key expires when now reaches its expiry");
    h.expire_ms = 0;
    ok(!fmt_hdr_expired(&h, INT64_MAX), "format: expiry 0 never expires");
    is_int(fmt_hdr_decode(hdr, sizeof(hdr) - 1, &h), STORE_ERR_VALUE, "format: short header");
    hdr[2] = 0x80;
    is_int(fmt_hdr_decode(hdr, sizeof(hdr), &h), STORE_ERR_VALUE, "format: unknown flag");
    memcpy(p, "a\xff\xff", 3);
    ok(fmt_prefix_successor(p, 3) == 1 && p[0] == 'b', "format: successor of a\\xff\\xff is b");
    memcpy(p, "\xff\xff", 2);
    is_int(fmt_prefix_successor(p, 2), 0, "format: all 0xff has no successor");
    fmt_key_init(&k, 200, "xyz", 3);
    ok(k.len == 4 && (unsigned char)k.p[0] == 200 && memcmp(k.p + 1, "xyz", 3) == 0,
       "format: key = db byte + user key");
    fmt_key_deinit(&k);
    ok(fmt_bytes_cmp("ab", 2, "abc", 3) < 0 && fmt_bytes_cmp("b", 1, "abc", 3) > 0 &&
       fmt_bytes_cmp("", 0, "", 0) == 0, "format: bytewise order, a prefix first");
}

static void test_reopen(void)
{
    char *dir = fx_tmpdir_new("store");
    int64_t exp = omk_now_ms() + 3600 * 1000;
    struct store *s = fx_store_open(dir, NULL);
    struct store_val *v = NULL;
    struct store_stats st;

    is_int(store_dbsize(s, 0), 0, "reopen: a new store is empty");
    is_int(fx_set_str(s, 0, "a", "1", 0), STORE_OK, "reopen: set a");
    is_int(store_set(s, 0, FX_SL("b"), FX_SL("2"), 0, exp, NULL), STORE_OK,
           "reopen: set b with TTL");
    is_int(fx_set_str(s, 3, "c", "3", 0), STORE_OK, "reopen: set c in db 3");
    store_close(s);

    s = fx_store_open(dir, NULL);
    ok(fx_str_is(s, 0, "a", "1"), "reopen: a kept its value");
    is_int(store_get(s, 0, FX_SL("b"), &v), STORE_OK, "reopen: b is there");
    if (v) {
        is_mem(v->data, v->len, "2", 1, "reopen: b kept its value");
        is_int(v->expire_ms, exp, "reopen: b kept its expiry");
        store_val_release(v);
    }
    is_int(store_get(s, 0, FX_SL("a"), &v), STORE_OK, "reopen: get a");
    is_int(v->expire_ms, 0, "reopen: a has no expiry");
    store_val_release(v);
    ok(fx_str_is(s, 3, "c", "3"), "reopen: c kept its value in db 3");
    is_int(store_dbsize(s, 0), 2, "reopen: dbsize 0 recounted");
    is_int(store_db_expires(s, 0), 1, "reopen: expires 0 recounted");
    is_int(store_dbsize(s, 3), 1, "reopen: dbsize 3 recounted");
    store_stats_get(s, &st);
    ok(st.open_ms >= 0 && st.read_only == 0 && st.io_errors == 0, "reopen: stats sane");
    fx_check_store(s, "reopen");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* Named meta blobs: put, get, replace, delete; kept across a reopen; a FLUSHALL leaves
 * them; inside a transaction they commit with it. */
static void test_meta_blob(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    char *v = NULL;
    size_t n = 0;

    is_int(store_meta_get(s, "fn", &v, &n), STORE_NOTFOUND, "meta blob: none at first");
    is_int(store_meta_put(s, "fn", "one\0two", 7), STORE_OK, "meta blob: put");
    is_int(store_meta_put(s, "other", "x", 1), STORE_OK, "meta blob: put another");
    is_int(store_meta_put(s, "fn", "three\0", 6), STORE_OK, "meta blob: replace");
    is_int(fx_set_str(s, 0, "blob:fn", "key", 0), STORE_OK, "meta blob: a key of that name");
    is_int(store_flush(s, -1), STORE_OK, "meta blob: FLUSHALL");
    store_close(s);
    s = fx_store_open(dir, NULL);
    is_int(store_meta_get(s, "fn", &v, &n), STORE_OK, "meta blob: kept across a reopen");
    if (v) {
        is_mem(v, n, "three\0", 6, "meta blob: the last value, binary safe");
        ok(v[n] == '\0', "meta blob: a NUL after it");
        omk_free(v);
        v = NULL;
    }
    is_int(store_meta_del(s, "fn"), STORE_OK, "meta blob: delete");
    is_int(store_meta_del(s, "nosuch"), STORE_OK, "meta blob: delete of none");
    store_tx_begin(s);
    is_int(store_meta_put(s, "tx", "in", 2), STORE_OK, "meta blob: put in a transaction");
    is_int(store_meta_get(s, "tx", &v, &n), STORE_OK, "meta blob: read in the transaction");
    omk_free(v);
    v = NULL;
    is_int(store_tx_end(s), STORE_OK, "meta blob: the transaction commits");
    store_close(s);
    s = fx_store_open(dir, NULL);
    is_int(store_meta_get(s, "fn", &v, &n), STORE_NOTFOUND, "meta blob: the delete was kept");
    is_int(store_meta_get(s, "tx", &v, &n), STORE_OK, "meta blob: the transaction's put kept");
    omk_free(v);
    v = NULL;
    is_int(store_meta_get(s, "other", &v, &n), STORE_OK, "meta blob: the other one kept");
    omk_free(v);
    fx_check_store(s, "meta blob");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_set_flags(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    int64_t exp = omk_now_ms() + 3600 * 1000;
    struct store_val *old = (struct store_val *)&old, *v;

    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v1"), STORE_SET_XX, 0, NULL), STORE_NOTSET,
           "set XX on a missing key: not set");
    is_int(store_exists(s, 0, FX_SL("k")), STORE_NOTFOUND, "set XX refused: still missing");
    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v1"), STORE_SET_NX, 0, NULL), STORE_OK,
           "set NX on a missing key: set");
    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v2"), STORE_SET_NX, 0, NULL), STORE_NOTSET,
           "set NX on an existing key: not set");
    ok(fx_str_is(s, 0, "k", "v1"), "set NX refused: value unchanged");
    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v3"), STORE_SET_XX, exp, NULL), STORE_OK,
           "set XX on an existing key: set");
    ok(fx_str_is(s, 0, "k", "v3"), "set XX: new value");
    is_int(store_db_expires(s, 0), 1, "set XX with TTL: one key with expiry");

    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v4"), STORE_SET_KEEPTTL, 0, NULL), STORE_OK,
           "set KEEPTTL");
    is_int(store_get(s, 0, FX_SL("k"), &v), STORE_OK, "get after KEEPTTL");
    is_int(v->expire_ms, exp, "KEEPTTL kept the expiry");
    store_val_release(v);
    is_int(store_db_expires(s, 0), 1, "KEEPTTL: still one key with expiry");
    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v5"), 0, 0, NULL), STORE_OK, "plain set");
    is_int(store_get(s, 0, FX_SL("k"), &v), STORE_OK, "get after plain set");
    is_int(v->expire_ms, 0, "plain set cleared the expiry");
    store_val_release(v);
    is_int(store_db_expires(s, 0), 0, "plain set: no key with expiry");
    is_int(store_set(s, 0, FX_SL("n"), FX_SL("x"), STORE_SET_KEEPTTL, 0, NULL), STORE_OK,
           "set KEEPTTL on a missing key");
    is_int(store_db_expires(s, 0), 0, "KEEPTTL on a new key: no expiry");

    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v6"), STORE_SET_GET, 0, &old), STORE_OK, "set GET");
    ok(old && old->len == 2 && memcmp(old->data, "v5", 2) == 0, "set GET returned the old value");
    store_val_release(old);
    old = (struct store_val *)&old;
    is_int(store_set(s, 0, FX_SL("m"), FX_SL("x"), STORE_SET_GET, 0, &old), STORE_OK,
           "set GET on a missing key");
    ok(old == NULL, "set GET on a missing key returns NULL");
    old = (struct store_val *)&old;
    is_int(store_set(s, 0, FX_SL("k"), FX_SL("v7"), STORE_SET_GET | STORE_SET_NX, 0, &old),
           STORE_NOTSET, "set NX GET on an existing key: not set");
    ok(old && old->len == 2 && memcmp(old->data, "v6", 2) == 0,
       "set NX GET refused still returns the old value");
    store_val_release(old);
    old = (struct store_val *)&old;
    is_int(store_set(s, 0, FX_SL("zz"), FX_SL("v"), STORE_SET_GET | STORE_SET_XX, 0, &old),
           STORE_NOTSET, "set XX GET on a missing key: not set");
    ok(old == NULL, "set XX GET refused on a missing key: NULL");
    is_int(store_dbsize(s, 0), 3, "set flags: dbsize counts k, n, m");
    fx_check_store(s, "set flags");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_expiry(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    int64_t now = omk_now_ms();
    struct store_stats st;
    struct keylist l = { 0 };
    uint64_t cur = 1;

    /* A time already past deletes, whether or not the key existed. */
    is_int(store_set(s, 0, FX_SL("p"), FX_SL("v"), 0, now - 1000, NULL), STORE_OK,
           "set with a past expiry on a missing key: OK");
    is_int(store_exists(s, 0, FX_SL("p")), STORE_NOTFOUND, "... and the key is absent");
    is_int(store_dbsize(s, 0), 0, "... and not counted");
    is_int(fx_set_str(s, 0, "p", "v", 0), STORE_OK, "set p");
    is_int(store_set(s, 0, FX_SL("p"), FX_SL("w"), 0, now - 1000, NULL), STORE_OK,
           "set with a past expiry on an existing key: OK");
    is_int(store_exists(s, 0, FX_SL("p")), STORE_NOTFOUND, "... deletes it");
    is_int(store_dbsize(s, 0), 0, "... and uncounts it");
    fx_check_store(s, "past expiry");

    /* Lazy expiry. */
    now = omk_now_ms();
    is_int(store_set(s, 0, FX_SL("e1"), FX_SL("v"), 0, now + 50, NULL), STORE_OK, "set e1 PX 50");
    is_int(store_set(s, 0, FX_SL("e2"), FX_SL("v"), 0, now + 50, NULL), STORE_OK, "set e2 PX 50");
    is_int(store_set(s, 0, FX_SL("e3"), FX_SL("v"), 0, now + 50, NULL), STORE_OK, "set e3 PX 50");
    is_int(store_set(s, 0, FX_SL("e4"), FX_SL("v"), 0, now + 50, NULL), STORE_OK, "set e4 PX 50");
    is_int(store_set(s, 0, FX_SL("e5"), FX_SL("v"), 0, now + 50, NULL), STORE_OK, "set e5 PX 50");
    is_int(fx_set_str(s, 0, "live", "v", 0), STORE_OK, "set live");
    store_keys(s, 0, NULL, 0, keylist_add, &l); /* KEYS removes nothing, unlike GET */
    ok(l.n == 6 || omk_now_ms() >= now + 50, "the keys are live before their time");
    keylist_free(&l);
    is_int(store_db_expires(s, 0), 5, "five keys with expiry");
    fx_sleep_ms(80);
    is_int(scan_all(s, 0, NULL, 100, &l), 1, "scan after the expiry: one call");
    ok(l.n == 1 && keylist_count(&l, "live", 4) == 1, "scan skips the expired keys");
    keylist_free(&l);
    is_int(store_keys(s, 0, NULL, 0, keylist_add, &l), STORE_OK, "keys after the expiry");
    ok(l.n == 1 && keylist_count(&l, "live", 4) == 1, "keys skips the expired keys");
    keylist_free(&l);
    is_int(store_dbsize(s, 0), 6, "expired keys still count until removed (as Redis)");
    is_int(store_get(s, 0, FX_SL("e1"), &(struct store_val *){ NULL }), STORE_NOTFOUND,
           "get of an expired key: not found");
    is_int(store_exists(s, 0, FX_SL("e2")), STORE_NOTFOUND, "exists of an expired key: not found");
    is_int(store_del(s, 0, FX_SL("e3")), STORE_NOTFOUND, "del of an expired key: not found");
    is_int(store_set(s, 0, FX_SL("e4"), FX_SL("n"), STORE_SET_NX, 0, NULL), STORE_OK,
           "set NX over an expired key: set");
    is_int(store_set(s, 0, FX_SL("e5"), FX_SL("n"), STORE_SET_XX, 0, NULL), STORE_NOTSET,
           "set XX over an expired key: not set");
    store_stats_get(s, &st);
    /* A write that meets an expired key removes it even when it then writes nothing, as
     * Redis' lookupKeyWrite does: SET XX removes e5. */
    is_int(st.expired_keys, 5, "expired_keys counts get, exists, del, set NX and set XX");
    is_int(store_dbsize(s, 0), 2, "dbsize: live and e4");
    is_int(store_db_expires(s, 0), 0, "expires: no key is left with an expiry");
    fx_check_store(s, "lazy expiry");
    is_int(store_scan(s, 0, 0, 0, NULL, 0, 10, keylist_add, &l, &cur), STORE_OK, "scan");
    ok(cur == 0 && l.n == 2, "scan returns the two live keys");
    keylist_free(&l);
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_del_exists_mset(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    struct omk_slice kv[] = { FX_SL("m1"), FX_SL("a"), FX_SL("m2"), FX_SL("b"),
                              FX_SL("m1"), FX_SL("c"), FX_SL("t"),  FX_SL("d") };

    is_int(store_exists(s, 0, FX_SL("x")), STORE_NOTFOUND, "exists on a missing key");
    is_int(store_del(s, 0, FX_SL("x")), STORE_NOTFOUND, "del on a missing key");
    is_int(fx_set_str(s, 0, "x", "1", 0), STORE_OK, "set x");
    is_int(store_exists(s, 0, FX_SL("x")), STORE_OK, "exists x");
    is_int(store_del(s, 0, FX_SL("x")), STORE_OK, "del x");
    is_int(store_exists(s, 0, FX_SL("x")), STORE_NOTFOUND, "x is gone");
    is_int(store_del(s, 0, FX_SL("x")), STORE_NOTFOUND, "a second del: not found");
    is_int(store_dbsize(s, 0), 0, "dbsize back to 0");

    is_int(store_set(s, 0, FX_SL("t"), FX_SL("old"), 0, omk_now_ms() + 100000, NULL), STORE_OK,
           "set t with TTL");
    is_int(store_mset(s, 0, kv, 4), STORE_OK, "mset 4 pairs, one key twice");
    ok(fx_str_is(s, 0, "m1", "c"), "mset: the last pair of a repeated key wins");
    ok(fx_str_is(s, 0, "m2", "b"), "mset: m2");
    ok(fx_str_is(s, 0, "t", "d"), "mset: t overwritten");
    is_int(store_dbsize(s, 0), 3, "mset: dbsize 3");
    is_int(store_db_expires(s, 0), 0, "mset cleared t's expiry");
    is_int(store_mset(s, 0, kv, 0), STORE_OK, "mset of nothing");
    fx_check_store(s, "del/exists/mset");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_flush(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    char k[32];

    for (int db = 0; db < 3; db++)
        for (int i = 0; i < 100; i++) {
            snprintf(k, sizeof(k), "key:%d", i);
            store_set(s, db, fx_sl(k), FX_SL("v"), 0,
                      i % 2 ? omk_now_ms() + 100000 : 0, NULL);
        }
    is_int(store_dbsize(s, 1), 100, "flush: db 1 has 100 keys");
    is_int(store_db_expires(s, 1), 50, "flush: 50 with expiry");
    is_int(store_flush(s, 1), STORE_OK, "flushdb 1");
    is_int(store_dbsize(s, 1), 0, "db 1 empty");
    is_int(store_db_expires(s, 1), 0, "db 1 has no expiring key");
    is_int(store_exists(s, 1, FX_SL("key:5")), STORE_NOTFOUND, "db 1 key gone");
    is_int(store_dbsize(s, 0) + store_dbsize(s, 2), 200, "dbs 0 and 2 untouched");
    ok(fx_str_is(s, 2, "key:5", "v"), "db 2 key still readable");
    is_int(store_flush(s, 5), STORE_OK, "flushdb of an empty db");
    fx_check_store(s, "flushdb");
    is_int(store_flush(s, -1), STORE_OK, "flushall");
    is_int(store_dbsize(s, 0) + store_dbsize(s, 2), 0, "flushall empties every db");
    fx_check_store(s, "flushall");
    store_close(s);
    s = fx_store_open(dir, NULL);
    is_int(store_dbsize(s, 0), 0, "flushall survives a reopen");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_scan(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    struct keylist l = { 0 };
    char k[32];
    int dup = 0, missing = 0, calls;
    uint64_t cur, first, c2;

    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "key:%04d", i);
        fx_set_str(s, 0, k, "v", 0);
    }
    fx_set_str(s, 1, "key:0001", "other db", 0);
    calls = scan_all(s, 0, NULL, 7, &l);
    for (int i = 0; i < 1000; i++) {
        size_t c;

        snprintf(k, sizeof(k), "key:%04d", i);
        c = keylist_count(&l, k, strlen(k));
        missing += c == 0;
        dup += c > 1;
    }
    ok(l.n == 1000 && missing == 0 && dup == 0, "scan COUNT 7: each of 1000 keys exactly once");
    is_int(calls, 143, "scan COUNT 7: ceil(1000 / 7) calls, no empty last call");
    keylist_free(&l);

    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof(k), "user:%02d", i);
        fx_set_str(s, 0, k, "v", 0);
        snprintf(k, sizeof(k), "aaa:%02d", i);
        fx_set_str(s, 0, k, "v", 0);
    }
    calls = scan_all(s, 0, "user:*", 7, &l);
    ok(l.n == 20 && keylist_count(&l, "user:07", 7) == 1, "scan MATCH user:* finds the 20");
    is_int(calls, 3, "scan MATCH user:* walks only the prefix (3 calls of 7)");
    keylist_free(&l);
    is_int(store_scan(s, 0, 0, 0, "user:*", 6, 100, keylist_add, &l, &cur), STORE_OK,
           "scan MATCH user:* COUNT 100");
    ok(cur == 0 && l.n == 20, "the walk stops where the prefix ends (cursor 0 at once)");
    keylist_free(&l);
    calls = scan_all(s, 0, "key:00?7", 10, &l);
    ok(l.n == 10 && keylist_count(&l, "key:0097", 8) == 1, "scan MATCH key:00?7 (glob)");
    keylist_free(&l);
    scan_all(s, 0, "*7", 50, &l);
    is_int(l.n, 104, "scan MATCH *7 (no prefix) filters the whole db");
    keylist_free(&l);
    scan_all(s, 0, "Key:*", 50, &l);
    is_int(l.n, 0, "MATCH is case-sensitive");
    keylist_free(&l);
    is_int(store_keys(s, 0, "user:1*", 7, keylist_add, &l), STORE_OK, "keys user:1*");
    is_int(l.n, 10, "keys user:1* returns 10");
    keylist_free(&l);
    is_int(store_keys(s, 0, NULL, 0, keylist_add, &l), STORE_OK, "keys (all)");
    ok(l.n == 1040 && strcmp(l.k[0], "aaa:00") == 0 && strcmp(l.k[1039], "user:19") == 0,
       "keys returns all 1040 in key order");
    keylist_free(&l);
    store_keys(s, 1, "*", 1, keylist_add, &l);
    ok(l.n == 1 && strcmp(l.k[0], "key:0001") == 0, "keys stays inside its db");
    keylist_free(&l);

    /* Cursors that carry their position: these keys' resume points are at most 6
     * printable bytes ("key:01", say), so no cursor needs the server's table. */
    is_int(store_scan(s, 0, 0, 12345, NULL, 0, 10, keylist_add, &l, &cur), STORE_ERR_CURSOR,
           "an unknown cursor is an error");
    is_int(store_scan(s, 0, 0, 0, NULL, 0, 10, keylist_add, &l, &first), STORE_OK, "scan start");
    ok(first != 0, "a cursor is never 0 while keys remain");
    ok((first >> 52) == 1, "a short resume point is a position: bit 52 set, below 2^53");
    is_int(store_scan(s, 1, 0, first, NULL, 0, 10, keylist_add, &l, &cur), STORE_ERR_CURSOR,
           "a cursor of db 0 is refused in db 1");
    keylist_free(&l);
    is_int(store_scan(s, 0, 0, first, NULL, 0, 10, keylist_add, &l, &c2), STORE_OK, "scan resume");
    ok(c2 != first, "each call returns a new cursor");
    {
        struct keylist again = { 0 };
        uint64_t c3 = 0, c4 = 0;
        int same;

        /* A client that lost a reply repeats its call: it gets the same keys again. */
        is_int(store_scan(s, 0, 0, first, NULL, 0, 10, keylist_add, &again, &c3), STORE_OK,
               "the previous cursor may be sent again");
        same = again.n == l.n;
        for (size_t i = 0; same && i < l.n; i++)
            same = strcmp(again.k[i], l.k[i]) == 0;
        ok(same && c3 == c2, "... and returns the same keys and the same position");
        is_int((long long)fx_stats(s).scan_cursor_bytes, 0, "positions hold no server memory");
        is_int(store_scan(s, 0, 0, c2, NULL, 0, 10, keylist_add, &again, &c4), STORE_OK,
               "the walk goes on");
        is_int(store_scan(s, 0, 0, first, NULL, 0, 10, keylist_add, &again, &cur), STORE_OK,
               "a position stays valid after the walk moved on (as a Redis cursor)");
        keylist_free(&again);
    }
    keylist_free(&l);
    is_int(store_scan(s, 0, 0, first ^ 1, NULL, 0, 10, keylist_add, &l, &cur),
           STORE_ERR_CURSOR, "a position with a wrong check is refused");
    is_int(store_scan(s, 0, 0, first | (uint64_t)1 << 53, NULL, 0, 10, keylist_add, &l, &cur),
           STORE_ERR_CURSOR, "a cursor of 2^53 or more is refused");
    is_int(store_scan(s, 0, 0, UINT64_MAX, NULL, 0, 10, keylist_add, &l, &cur),
           STORE_ERR_CURSOR, "cursor 2^64-1 is refused");
    keylist_free(&l);
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* Keys whose resume points do not fit in a cursor ("long:key:%04d" gives "long:key:01",
 * 11 bytes): cursors name slots of the server-side table. */
static void test_scan_table(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    struct keylist l = { 0 };
    char k[32];
    int dup = 0, missing = 0, calls;
    uint64_t cur, first, c2, other;

    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "long:key:%04d", i);
        fx_set_str(s, 0, k, "v", 0);
    }
    calls = scan_all(s, 0, NULL, 7, &l);
    for (int i = 0; i < 1000; i++) {
        size_t c;

        snprintf(k, sizeof(k), "long:key:%04d", i);
        c = keylist_count(&l, k, strlen(k));
        missing += c == 0;
        dup += c > 1;
    }
    ok(l.n == 1000 && missing == 0 && dup == 0, "table cursors, COUNT 7: each key exactly once");
    is_int(calls, 143, "table cursors, COUNT 7: ceil(1000 / 7) calls");
    is_int((long long)fx_stats(s).scan_cursor_bytes, 0, "a finished walk leaves no bytes");
    keylist_free(&l);

    is_int(store_scan(s, 0, 0, 0, NULL, 0, 10, keylist_add, &l, &first), STORE_OK, "scan start");
    ok(first != 0 && first < (uint64_t)1 << 52, "a long resume point is a table cursor");
    ok(fx_stats(s).scan_cursor_bytes == strlen("long:key:001") + 1,
       "the table holds the resume point (the separator, db byte included)");
    is_int(store_scan(s, 1, 0, first, NULL, 0, 10, keylist_add, &l, &cur), STORE_ERR_CURSOR,
           "a cursor of db 0 is refused in db 1");
    keylist_free(&l);
    is_int(store_scan(s, 0, 0, first, NULL, 0, 10, keylist_add, &l, &c2), STORE_OK, "scan resume");
    ok(c2 != first, "each call returns a fresh cursor");
    {
        struct keylist again = { 0 };
        uint64_t c3 = 0, c4 = 0;
        int same;

        /* A client that lost a reply repeats its call: it gets the same keys again. */
        is_int(store_scan(s, 0, 0, first, NULL, 0, 10, keylist_add, &again, &c3), STORE_OK,
               "the previous cursor may be sent again");
        same = again.n == l.n;
        for (size_t i = 0; same && i < l.n; i++)
            same = strcmp(again.k[i], l.k[i]) == 0;
        ok(same && c3 != c2 && c3 != 0, "... and returns the same keys and a fresh cursor");
        is_int(store_scan(s, 0, 0, c2, NULL, 0, 10, keylist_add, &again, &cur), STORE_ERR_CURSOR,
               "the cursor the repeat replaced is no longer valid");
        is_int(store_scan(s, 0, 0, c3, NULL, 0, 10, keylist_add, &again, &c4), STORE_OK,
               "the walk goes on from the repeat's cursor");
        is_int(store_scan(s, 0, 0, first, NULL, 0, 10, keylist_add, &again, &cur), STORE_ERR_CURSOR,
               "a cursor two steps back is no longer valid");
        keylist_free(&again);
        c2 = c4;
    }
    keylist_free(&l);

    /* A finished walk releases its slot. */
    store_scan(s, 0, 0, 0, "long:key:00*", 12, 60, keylist_add, &l, &first);
    store_scan(s, 0, 0, first, "long:key:00*", 12, 60, keylist_add, &l, &cur);
    ok(first != 0 && first < (uint64_t)1 << 52 && cur == 0 && l.n == 100,
       "a two-call walk through the table ends with cursor 0");
    is_int(store_scan(s, 0, 0, first, "long:key:00*", 12, 60, keylist_add, &l, &cur),
           STORE_ERR_CURSOR, "a finished walk's cursor is gone");
    keylist_free(&l);

    /* Owner 1 starts 5000 walks: it loses its own oldest, never another owner's. */
    {
        uint64_t mine[SCAN_TEST_OWNER_SLOTS], oldest = 0, c3;
        int live = 0, evicted = 0;

        is_int(store_scan(s, 0, 2, 0, NULL, 0, 10, keylist_add, &l, &other), STORE_OK,
               "owner 2 starts a walk");
        for (int i = 0; i < 5000; i++) {
            store_scan(s, 0, 1, 0, NULL, 0, 1, keylist_add, &l, &cur);
            if (i == 0)
                oldest = cur;
            mine[i % SCAN_TEST_OWNER_SLOTS] = cur;
        }
        keylist_free(&l);
        is_int(store_scan(s, 0, 1, oldest, NULL, 0, 1, keylist_add, &l, &cur), STORE_ERR_CURSOR,
               "owner 1's oldest walk is gone: it made the most");
        is_int(store_scan(s, 0, 0, c2, NULL, 0, 10, keylist_add, &l, &c2), STORE_OK,
               "owner 0's walk survived owner 1's 5000");
        is_int(store_scan(s, 0, 2, other, NULL, 0, 10, keylist_add, &l, &other), STORE_OK,
               "owner 2's walk survived owner 1's 5000");
        keylist_free(&l);
        /* Fill the slots: 4050 owners start one walk each. Owner 1 holds the most (64),
         * so the 20 walks over the 4096 slots are its oldest. */
        for (uint64_t o = 1000; o < 1000 + 4050; o++)
            store_scan(s, 0, o, 0, NULL, 0, 1, keylist_add, &l, &cur);
        keylist_free(&l);
        is_int(store_scan(s, 0, 2, other, NULL, 0, 10, keylist_add, &l, &other), STORE_OK,
               "a full table evicts from the owner with the most walks, not owner 2");
        is_int(store_scan(s, 0, 0, c2, NULL, 0, 10, keylist_add, &l, &c3), STORE_OK,
               "... nor owner 0");
        is_int(store_scan(s, 0, 1000, cur, NULL, 0, 1, keylist_add, &l, &cur), STORE_OK,
               "... nor the newest walk");
        for (int i = 0; i < SCAN_TEST_OWNER_SLOTS; i++) {
            uint64_t c = mine[(5000 + i) % SCAN_TEST_OWNER_SLOTS], nc;
            int rc = store_scan(s, 0, 1, c, NULL, 0, 1, keylist_add, &l, &nc);

            if (rc == STORE_OK && evicted == 20)
                live++;
            else if (rc == STORE_ERR_CURSOR && live == 0)
                evicted++;
        }
        keylist_free(&l);
        ok(evicted == 20 && live == SCAN_TEST_OWNER_SLOTS - 20,
           "owner 1 lost exactly its 20 oldest walks (lost %d, kept %d)", evicted, live);
    }

    /* FLUSHDB of another database keeps the walks; of theirs, frees them. */
    is_int(store_flush(s, 1), STORE_OK, "FLUSHDB 1");
    is_int(store_scan(s, 0, 2, other, NULL, 0, 10, keylist_add, &l, &other), STORE_OK,
           "FLUSHDB of db 1 leaves db 0's walks");
    ok(fx_stats(s).scan_cursor_bytes > 0, "the table holds bytes before the flush");
    is_int(store_flush(s, 0), STORE_OK, "FLUSHDB 0");
    is_int((long long)fx_stats(s).scan_cursor_bytes, 0, "FLUSHDB 0 freed every resume point");
    is_int(store_scan(s, 0, 2, other, NULL, 0, 10, keylist_add, &l, &cur), STORE_ERR_CURSOR,
           "a flushed walk's cursor is unknown");
    keylist_free(&l);
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* Count the keys a SCAN returns (their bytes are not kept: they are long). */
static void count_key(void *arg, const char *key, size_t klen, int type)
{
    OMK_UNUSED(type);
    OMK_UNUSED(key);
    OMK_UNUSED(klen);
    (*(size_t *)arg)++;
}

/* Resume points of 60 KB: the table stays within its byte budget however many walks are
 * abandoned, the owners holding the most bytes pay, and FLUSHALL gives it all back. Keys
 * sharing more than 64 KB are walked past in one call rather than stored. */
static void test_scan_table_bytes(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    size_t plen = 60000, max_bytes = 0, n = 0;
    char *k = omk_malloc(80000);
    uint64_t victim, cur;
    int errors = 0;

    memset(k, 'P', plen);
    for (int i = 0; i < 40; i++) {
        snprintf(k + plen, 16, "%03d", i);
        fx_set_str(s, 0, k, "v", 0);
    }
    is_int(store_scan(s, 0, 7777, 0, NULL, 0, 3, count_key, &n, &victim), STORE_OK,
           "owner 7777 starts a walk over 60 KB keys");
    ok(n == 3 && victim != 0 && victim < (uint64_t)1 << 52, "... held in the table");
    ok(fx_stats(s).scan_cursor_bytes == plen + 3 + 1, "... which holds its resume point");
    /* 2000 walks of 30 owners, each abandoned after one call: 120 MB of resume points. */
    for (int i = 0; i < 2000; i++) {
        size_t b;

        errors += store_scan(s, 0, 1 + (uint64_t)i % 30, 0, NULL, 0, 1, count_key, &n, &cur) !=
                  STORE_OK;
        b = fx_stats(s).scan_cursor_bytes;
        max_bytes = b > max_bytes ? b : max_bytes;
    }
    is_int(errors, 0, "2000 walks started");
    ok(max_bytes <= SCAN_TEST_TABLE_BYTES, "the table never held over 64 MB (at most %zu)",
       max_bytes);
    ok(max_bytes > SCAN_TEST_TABLE_BYTES - 2 * (plen + 4),
       "... and filled up to it (%zu bytes)", max_bytes);
    n = 0;
    is_int(store_scan(s, 0, 7777, victim, NULL, 0, 100, count_key, &n, &cur), STORE_OK,
           "owner 7777's walk survived: the owners holding the most bytes paid");
    ok(n == 37 && cur == 0, "... and it finishes with the 37 keys left");
    is_int(store_flush(s, -1), STORE_OK, "FLUSHALL");
    is_int((long long)fx_stats(s).scan_cursor_bytes, 0, "FLUSHALL freed the whole table");

    /* Five keys sharing 70000 bytes, then "R": no separator of them fits in 64 KB, so a
     * COUNT 1 call returns all five, and stops before "R" (a position, 1 byte). */
    memset(k, 'Q', 70000);
    for (int i = 1; i <= 5; i++) {
        snprintf(k + 70000, 16, "%d", i);
        fx_set_str(s, 0, k, "v", 0);
    }
    fx_set_str(s, 0, "R", "v", 0);
    n = 0;
    is_int(store_scan(s, 0, 1, 0, NULL, 0, 1, count_key, &n, &cur), STORE_OK,
           "COUNT 1 over keys sharing 70 KB");
    ok(n == 5 && (cur >> 52) == 1, "... returns all 5 and a position (got %zu)", n);
    is_int((long long)fx_stats(s).scan_cursor_bytes, 0, "... and stores nothing");
    n = 0;
    is_int(store_scan(s, 0, 1, cur, NULL, 0, 1, count_key, &n, &cur), STORE_OK, "resume");
    ok(n == 1 && cur == 0, "... returns R and ends");
    omk_free(k);
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_binary_and_values(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, &(struct fx_store_opts){ .databases = 256 });
    static const struct omk_slice keys[] = {
        { "", 0 }, { "\0", 1 }, { "a\0b", 3 }, { "\xff", 1 }, { "\xff\xff", 2 },
        { "\xff\0\xff", 3 }, { "\x01", 1 },
    };
    size_t nk = OMK_ARRAY_LEN(keys), big_len = 10u << 20;
    struct keylist l = { 0 };
    struct store_val *v;
    uint64_t x = 88172645463325252ULL;
    char *big;
    int good = 1;

    for (int db = 0; db < 256; db += 127) { /* dbs 0, 127 and 254 */
        for (size_t i = 0; i < nk; i++)
            good &= store_set(s, db, keys[i], fx_sl_n((const char *)&i, sizeof(i)), 0, 0, NULL) ==
                    STORE_OK;
    }
    for (size_t i = 0; i < nk; i++) /* db 255 has no single-byte upper bound */
        good &= store_set(s, 255, keys[i], FX_SL("last"), 0, 0, NULL) == STORE_OK;
    ok(good, "binary keys: set in dbs 0, 127, 254, 255");
    for (size_t i = 0; i < nk && good; i++) {
        good &= store_get(s, 127, keys[i], &v) == STORE_OK && v->len == sizeof(i) &&
                memcmp(v->data, &i, sizeof(i)) == 0;
        if (good)
            store_val_release(v);
    }
    ok(good, "binary keys: each reads back its own value");
    is_int(scan_all(s, 0, NULL, 3, &l), 3, "binary keys: scan db 0");
    good = l.n == nk;
    for (size_t i = 0; i < nk; i++)
        good &= keylist_count(&l, keys[i].p, keys[i].len) == 1;
    ok(good, "binary keys: scan returns each exactly once, bytes intact");
    keylist_free(&l);
    scan_all(s, 255, NULL, 2, &l);
    is_int(l.n, nk, "db 255: scan sees its keys and nothing else");
    keylist_free(&l);
    scan_all(s, 254, "\xff*", 2, &l);
    is_int(l.n, 3, "db 254: MATCH with a 0xff prefix");
    keylist_free(&l);
    is_int(store_dbsize(s, 254) + store_dbsize(s, 255), 2 * nk, "dbs 254 and 255 counted");
    is_int(store_flush(s, 255), STORE_OK, "flushdb 255");
    is_int(store_dbsize(s, 255), 0, "db 255 emptied");
    is_int(store_exists(s, 255, keys[4]), STORE_NOTFOUND, "db 255: \\xff\\xff gone");
    is_int(store_exists(s, 254, keys[4]), STORE_OK, "db 254 untouched by flushdb 255");
    fx_check_store(s, "binary keys");

    is_int(store_set(s, 1, FX_SL("empty"), FX_SL(""), 0, 0, NULL), STORE_OK, "set an empty value");
    is_int(store_get(s, 1, FX_SL("empty"), &v), STORE_OK, "get the empty value");
    is_int(v->len, 0, "the empty value has length 0");
    store_val_release(v);

    big = omk_malloc(big_len);
    for (size_t i = 0; i < big_len; i++) { /* xorshift: incompressible bytes */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big[i] = (char)(x >> 32);
    }
    is_int(store_set(s, 1, FX_SL("big"), fx_sl_n(big, big_len), 0, 0, NULL), STORE_OK,
           "set a 10 MB value");
    is_int(store_get(s, 1, FX_SL("big"), &v), STORE_OK, "get the 10 MB value");
    is_mem(v->data, v->len, big, big_len, "the 10 MB value reads back intact");
    store_val_release_cb(v->data, v->len, v); /* the evbuffer cleanup path */
    store_close(s);
    s = fx_store_open(dir, &(struct fx_store_opts){ .databases = 256 });
    is_int(store_get(s, 1, FX_SL("big"), &v), STORE_OK, "get the 10 MB value after a reopen");
    is_mem(v->data, v->len, big, big_len, "... intact");
    store_val_release(v);
    store_val_release(NULL);
    ok(store_disk_bytes(s) >= big_len / 2, "disk bytes account for the big value (%llu)",
       (unsigned long long)store_disk_bytes(s));
    omk_free(big);
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_databases(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    char v[16];
    int good = 1;

    for (int db = 0; db < 16; db++) {
        snprintf(v, sizeof(v), "db%d", db);
        good &= fx_set_str(s, db, "same", v, 0) == STORE_OK;
    }
    for (int db = 0; db < 16; db++) {
        snprintf(v, sizeof(v), "db%d", db);
        good &= fx_str_is(s, db, "same", v) && store_dbsize(s, db) == 1;
    }
    ok(good, "16 databases: one key name, 16 values");
    is_int(store_del(s, 7, FX_SL("same")), STORE_OK, "del in db 7");
    good = 1;
    for (int db = 0; db < 16; db++)
        good &= (store_exists(s, db, FX_SL("same")) == STORE_OK) == (db != 7);
    ok(good, "only db 7 lost the key");
    fx_check_store(s, "16 databases");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_fsync_modes(void)
{
    static const enum store_fsync modes[] = { STORE_FSYNC_NO, STORE_FSYNC_EVERYSEC,
                                              STORE_FSYNC_ALWAYS };
    static const char *names[] = { "no", "everysec", "always" };

    for (size_t m = 0; m < OMK_ARRAY_LEN(modes); m++) {
        char *dir = fx_tmpdir_new("store");
        struct store *s = fx_store_open(dir, &(struct fx_store_opts){ .fsync = modes[m] });
        struct store_stats st;
        int good = 1;
        char k[16];

        for (int i = 0; i < 50; i++) {
            snprintf(k, sizeof(k), "k%d", i);
            good &= fx_set_str(s, 0, k, names[m], 0) == STORE_OK;
        }
        ok(good, "appendfsync %s: 50 writes", names[m]);
        if (modes[m] == STORE_FSYNC_EVERYSEC) {
            for (int t = 0; t < 30; t++) {
                store_stats_get(s, &st);
                if (st.wal_syncs > 0)
                    break;
                fx_sleep_ms(50);
            }
            ok(st.wal_syncs > 0 && st.last_sync_ms > 0, "everysec: the thread synced the WAL");
        }
        store_close(s);
        s = fx_store_open(dir, &(struct fx_store_opts){ .fsync = modes[m] });
        ok(fx_str_is(s, 0, "k49", names[m]) && store_dbsize(s, 0) == 50,
           "appendfsync %s: writes survive a reopen", names[m]);
        store_stats_get(s, &st);
        store_set_fsync(s, STORE_FSYNC_ALWAYS);
        {
            struct store_stats st2;

            store_stats_get(s, &st2);
            if (modes[m] == STORE_FSYNC_ALWAYS)
                ok(st2.wal_syncs == st.wal_syncs, "switching always -> always syncs nothing");
            else
                ok(st2.wal_syncs == st.wal_syncs + 1, "switching %s -> always syncs once",
                   names[m]);
        }
        ok(fx_set_str(s, 0, "after", "switch", 0) == STORE_OK, "a write after the switch");
        store_close(s);
        fx_tmpdir_rm(dir);
    }
}

/* The crash child: opens the store in 'dir' with fsync mode 'mode', then writes keys
 * crash:0, crash:1, ... forever, writing each acknowledged index to fd 'fd'. */
static int crash_child(const char *dir, int mode, int fd)
{
    struct fx_store_opts o = { .fsync = (enum store_fsync)mode };
    struct store *s = fx_store_open(dir, &o);
    char k[32];

    for (uint32_t i = 0;; i++) {
        snprintf(k, sizeof(k), "crash:%u", i);
        if (fx_set_str(s, 0, k, "v", 0) != STORE_OK)
            return 1;
        if (write(fd, &i, sizeof(i)) != sizeof(i))
            return 1;
    }
}

static void test_kill9(void)
{
    static const char *names[] = { "no", "everysec", "always" };

    for (int mode = 0; mode < 3; mode++) {
        char *dir = fx_tmpdir_new("store");
        char modestr[8], fdstr[16];
        int fds[2], status, lost = 0;
        uint32_t i, acked = 0, n = 0;
        struct store *s;
        pid_t pid;

        OMK_ASSERT(pipe(fds) == 0);
        snprintf(modestr, sizeof(modestr), "%d", mode);
        snprintf(fdstr, sizeof(fdstr), "%d", fds[1]);
        pid = fork();
        OMK_ASSERT(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            execl("/proc/self/exe", "test_store", "--crash-child", dir, modestr, fdstr,
                  (char *)NULL);
            _exit(127);
        }
        close(fds[1]);
        while (n < 200 && read(fds[0], &i, sizeof(i)) == sizeof(i)) {
            acked = i;
            n++;
        }
        kill(pid, SIGKILL);
        while (read(fds[0], &i, sizeof(i)) == sizeof(i)) /* acks sent before it died */
            acked = i;
        close(fds[0]);
        waitpid(pid, &status, 0);
        ok(n == 200 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "kill -9 (%s): the writer was killed after %u acknowledged writes", names[mode],
           acked + 1);
        s = fx_store_open(dir, NULL);
        for (i = 0; i <= acked; i++) {
            char k[32];

            snprintf(k, sizeof(k), "crash:%u", i);
            lost += store_exists(s, 0, fx_sl(k)) != STORE_OK;
        }
        is_int(lost, 0, "kill -9 (%s): no acknowledged write lost", names[mode]);
        fx_check_store(s, "kill -9");
        store_close(s);
        fx_tmpdir_rm(dir);
    }
}

/* A transaction (store_tx_begin/end, MULTI/EXEC's) is one batch: its reads see its own
 * writes even with no value cache, it reaches RocksDB whole at the end, and a failed
 * write of it leaves none of it on disk (invariant 4 of store/commit.c). */
static void test_transaction(void)
{
    struct fx_store_opts o = { .fsync = STORE_FSYNC_NO, .maxmemory = 1 }; /* no cache */
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, &o);
    struct store_val *v = NULL;
    long long n = 0;
    int found = 0;

    fx_set_str(s, 0, "t:old", "1", 0);
    store_tx_begin(s);
    is_int(fx_set_str(s, 0, "t:a", "A", 0), STORE_OK, "tx: set t:a");
    is_int(store_incrby(s, 0, FX_SL("t:old"), 5, &n), STORE_OK, "tx: incrby t:old");
    ok(n == 6, "tx: the increment read the value before the transaction (%lld)", n);
    ok(fx_str_is(s, 0, "t:a", "A"), "tx: a read in the transaction sees its write (no cache)");
    is_int(store_incrby(s, 0, FX_SL("t:old"), 1, &n), STORE_OK, "tx: incrby again");
    ok(n == 7, "tx: ... reading the transaction's own value (%lld)", n);
    is_int(store_tx_end(s), STORE_OK, "tx: end writes it");
    store_close(s);
    s = fx_store_open(dir, &o);
    ok(fx_str_is(s, 0, "t:a", "A") && fx_str_is(s, 0, "t:old", "7"),
       "tx: every write of the transaction is there after a reopen");
    fx_check_store(s, "a transaction");

    store_tx_begin(s);
    is_int(fx_set_str(s, 0, "t:b", "B", 0), STORE_OK, "failed tx: set t:b");
    is_int(store_del(s, 0, FX_SL("t:a")), STORE_OK, "failed tx: del t:a");
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_tx_end(s), STORE_ERR_IO, "failed tx: end reports the write error");
    is_int(store_durable(s, store_ticket(s)), STORE_ERR_IO,
           "failed tx: the next store_durable reports it too (the pass fails)");
    store_close(s);
    s = fx_store_open(dir, &o);
    found = store_get(s, 0, FX_SL("t:b"), &v) == STORE_OK;
    store_val_release(v);
    ok(!found && fx_str_is(s, 0, "t:a", "A"), "failed tx: none of it reached RocksDB");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_errors(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    struct store_config c;
    struct store *s2 = NULL;
    struct store_stats st;
    struct keylist l = { 0 };
    struct store_val *v = NULL;
    uint64_t cur = 77, reads;
    char err[256] = "";
    int names_ok = 1;

    fx_set_str(s, 0, "a", "1", 0);
    fx_set_str(s, 10, "b", "2", 0);
    store_test_fail_next(s, ROCKS_OP_GET, STORE_ERR_IO);
    is_int(store_get(s, 0, FX_SL("a"), &v), STORE_ERR_IO, "an injected read error: I/O error");
    is_int(store_set(s, 0, FX_SL("a"), FX_SL("x"), 0, 0, NULL), STORE_OK, "the next write works");
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(fx_set_str(s, 0, "new", "1", 0), STORE_ERR_IO, "an injected write error: I/O error");
    is_int(store_dbsize(s, 0), 1, "a failed write changes no counter");
    /* SCAN, EXISTS and a missing GET are answered by the index: RocksDB failing to
     * read does not touch them, and they read nothing from it. */
    store_test_fail_next(s, ROCKS_OP_GET, STORE_ERR_IO);
    store_stats_get(s, &st);
    reads = st.rocks_reads;
    is_int(store_scan(s, 0, 0, 0, NULL, 0, 10, keylist_add, &l, &cur), STORE_OK,
           "SCAN works while RocksDB reads fail");
    ok(cur == 0 && l.n == 1, "... and returns the one key of db 0");
    is_int(store_exists(s, 0, FX_SL("a")), STORE_OK, "EXISTS works while RocksDB reads fail");
    is_int(store_get(s, 0, FX_SL("missing"), &v), STORE_NOTFOUND, "GET of a missing key too");
    store_stats_get(s, &st);
    is_int(st.rocks_reads, reads, "none of them read RocksDB");
    is_int(store_get(s, 0, FX_SL("a"), &v), STORE_ERR_IO, "the armed read error hits the next GET");
    keylist_free(&l);
    store_stats_get(s, &st);
    ok(st.io_errors == 3 && !st.read_only, "three I/O errors counted, still writable");

    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_CORRUPT);
    is_int(store_del(s, 0, FX_SL("a")), STORE_ERR_CORRUPT, "an injected corruption on write");
    store_stats_get(s, &st);
    ok(st.read_only == 1, "corruption switched the store to read-only");
    is_int(fx_set_str(s, 0, "z", "1", 0), STORE_ERR_CORRUPT, "writes now fail: set");
    is_int(store_mset(s, 0, (struct omk_slice[]){ FX_SL("q"), FX_SL("1") }, 1), STORE_ERR_CORRUPT,
           "writes now fail: mset");
    is_int(store_flush(s, 0), STORE_ERR_CORRUPT, "writes now fail: flushdb");
    ok(fx_str_is(s, 0, "a", "x"), "reads still work");
    is_int(store_dbsize(s, 0), 1, "counters unchanged by refused writes");
    fx_check_store(s, "read-only");
    store_close(s);

    for (int rc = STORE_ERR_VALUE; rc <= STORE_NOTSET; rc++)
        names_ok &= store_strerror(rc) != NULL && strcmp(store_strerror(rc), "unknown store code");
    ok(names_ok, "store_strerror names every code");

    /* Opening: more databases on disk than configured; a path that is a file. */
    store_config_defaults(&c);
    c.dir = dir;
    c.databases = 4;
    is_int(store_open(&c, &s2, err, sizeof(err)), STORE_ERR_VALUE,
           "open refuses a directory with keys in db 10 when 4 are configured");
    ok(s2 == NULL && strstr(err, "database 10") != NULL, "... and says why: %s", err);
    c.dir = "/dev/null/x";
    err[0] = '\0';
    is_int(store_open(&c, &s2, err, sizeof(err)), STORE_ERR_IO, "open of an impossible dir");
    ok(s2 == NULL && err[0] != '\0', "... with a message");
    fx_tmpdir_rm(dir);
}

/* Values written behind the store's back (a future version, a torn header) are
 * counted, listed, refused by GET and found by store_check. */
static void test_bad_values(void)
{
    char *dir = fx_tmpdir_new("store");
    struct fx_raw w;
    struct store *s;
    struct store_val *v = NULL;
    struct keylist l = { 0 };
    unsigned char hdr[FMT_HDR_LEN];
    char err[256];

    fx_raw_begin(&w, dir);
    fmt_hdr_encode(hdr, FMT_TYPE_STRING, 0, 0);
    hdr[0] = 2; /* a format version this reader does not know */
    rocks_batch_put(w.b, "\0v2", 3, hdr, sizeof(hdr), "x", 1);
    rocks_batch_put(w.b, "\0short", 6, "\1\0\0", 3, "", 0);
    fmt_hdr_encode(hdr, (enum fmt_type)9, 0, 0); /* a type number no version defines */
    rocks_batch_put(w.b, "\0hash", 5, hdr, sizeof(hdr), "", 0);
    fx_raw_commit(&w);

    s = fx_store_open(dir, NULL);
    is_int(store_dbsize(s, 0), 3, "undecodable values are counted as keys");
    is_int(store_get(s, 0, FX_SL("v2"), &v), STORE_ERR_VALUE, "get of an unknown version");
    is_int(store_get(s, 0, FX_SL("short"), &v), STORE_ERR_VALUE, "get of a torn header");
    is_int(store_get(s, 0, FX_SL("hash"), &v), STORE_ERR_VALUE, "get of a type not yet known");
    is_int(store_exists(s, 0, FX_SL("v2")), STORE_OK, "exists sees it");
    is_int(store_set(s, 0, FX_SL("v2"), FX_SL("n"), STORE_SET_GET, 0, &v), STORE_ERR_VALUE,
           "set GET cannot return it");
    scan_all(s, 0, NULL, 10, &l);
    is_int(l.n, 3, "scan lists them");
    keylist_free(&l);
    ok(store_check(s, err, sizeof(err)) == STORE_ERR_VALUE && strstr(err, "3 values"),
       "store_check reports them: %s", err);
    is_int(fx_set_str(s, 0, "v2", "fixed", 0), STORE_OK, "a plain set overwrites one");
    ok(fx_str_is(s, 0, "v2", "fixed"), "... which reads back");
    is_int(store_del(s, 0, FX_SL("short")), STORE_OK, "del removes one");
    is_int(store_del(s, 0, FX_SL("hash")), STORE_OK, "del removes the other");
    is_int(store_dbsize(s, 0), 1, "counters follow");
    fx_check_store(s, "repairing bad values");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* ---- concurrency ------------------------------------------------------------------- */

#define STABLE_KEYS 1000

struct churn {
    struct store *s;
    unsigned seed;
    atomic_int *stop;
    int errors;
    int ops;
};

/* Churn keys interleave the stable ones in key order ("kk00001", "kk00001x" sit between
 * the stable "kk00000" and "kk00002"), so the scanner's resume points see inserts and
 * deletes right next to them. Keys of 7 bytes make most resume points too long for a
 * position ("kk00002"), and some not ("kk001" after "kk00098"): both kinds of cursor. */
static void churn_key(char *buf, size_t cap, unsigned r)
{
    snprintf(buf, cap, "kk%05u%s", (r % STABLE_KEYS) * 2 + 1, (r / STABLE_KEYS) % 2 ? "x" : "");
}

static void *churn_main(void *arg)
{
    struct churn *c = arg;
    char k[3][32];

    while (!atomic_load(c->stop)) {
        unsigned r = (unsigned)rand_r(&c->seed), op = r % 16;
        struct store_val *v = NULL;
        int rc;

        churn_key(k[0], sizeof(k[0]), (unsigned)rand_r(&c->seed) % 40);
        if (op < 6) {
            int64_t exp = op == 0 ? omk_now_ms() + 1 + r % 20 : 0;

            rc = store_set(c->s, 0, fx_sl(k[0]), FX_SL("churn"),
                           op == 1 ? STORE_SET_NX : op == 2 ? STORE_SET_KEEPTTL : 0, exp, NULL);
        } else if (op < 10) {
            rc = store_del(c->s, 0, fx_sl(k[0]));
        } else if (op < 12) {
            struct omk_slice kv[6];

            for (int i = 0; i < 3; i++) {
                churn_key(k[i], sizeof(k[i]), (unsigned)rand_r(&c->seed) % 40);
                kv[2 * i] = fx_sl(k[i]);
                kv[2 * i + 1] = FX_SL("m");
            }
            rc = store_mset(c->s, 0, kv, 3);
        } else if (op < 14) {
            rc = store_get(c->s, 0, fx_sl(k[0]), &v);
            store_val_release(v);
        } else if (op < 15) {
            rc = store_exists(c->s, 0, fx_sl(k[0]));
        } else {
            /* db 1 gets writes and, now and then, a FLUSHDB racing them */
            rc = r % 64 == 0 ? store_flush(c->s, 1)
                             : store_set(c->s, 1, fx_sl(k[0]), FX_SL("x"), 0, 0, NULL);
        }
        c->errors += rc < 0;
        c->ops++;
    }
    return NULL;
}

struct seen {
    unsigned stable[STABLE_KEYS]; /* times each stable key was returned */
};

static void seen_add(void *arg, const char *key, size_t klen, int type)
{
    OMK_UNUSED(type);
    struct seen *s = arg;
    unsigned n = 0;

    if (klen != 7 || key[0] != 'k' || key[1] != 'k') /* stable: "kk" + 5 digits, even */
        return;
    for (size_t i = 2; i < 7; i++) {
        if (key[i] < '0' || key[i] > '9')
            return;
        n = n * 10 + (unsigned)(key[i] - '0');
    }
    if (n % 2 == 0 && n / 2 < STABLE_KEYS)
        s->stable[n / 2]++;
}

/* A SCAN client that starts walks as 40 owners in turn and abandons them, so the cursor
 * table fills, evicts and is read while the churn and the checked iterations run. */
static void *scan_hammer_main(void *arg)
{
    struct churn *c = arg;
    uint64_t cur;
    size_t n = 0;

    while (!atomic_load(c->stop)) {
        unsigned r = (unsigned)rand_r(&c->seed);

        c->errors += store_scan(c->s, 0, 100 + r % 40, 0, NULL, 0, 1 + r % 50, count_key, &n,
                                &cur) != STORE_OK;
        c->ops++;
    }
    return NULL;
}

/* ---- stripes kept between writes (store_keep_stripes) ---------------------------------- */

struct kept_arg {
    struct store *s;
    const char *key;
    atomic_int done;
};

/* A second thread's SET of 'key', then 'done' is set. */
static void *kept_setter(void *arg)
{
    struct kept_arg *a = arg;

    fx_set_str(a->s, 0, a->key, "other", 0);
    atomic_store(&a->done, 1);
    return NULL;
}

/* The stripe store_keylock takes for 'key' of database 0 (store_internal.h, lock 2). */
static unsigned kept_stripe_of(const char *key)
{
    struct fmt_key k;
    unsigned i;

    fmt_key_init(&k, 0, key, strlen(key));
    i = (unsigned)omk_hash(k.p, k.len) & (STORE_STRIPES - 1);
    fmt_key_deinit(&k);
    return i;
}

/* Wait up to 10 s for 'a->done'; 1 if it was set. */
static int kept_wait_done(struct kept_arg *a)
{
    for (int i = 0; i < 1000 && !atomic_load(&a->done); i++)
        fx_sleep_ms(10);
    return atomic_load(&a->done);
}

/* A thread that keeps stripes holds its last write's key from other writers until it gives
 * it back, writes the same key again without waiting, and gives it back by itself before
 * it would wait: when its next write is on another key, and when it takes the store's
 * lanes as writer (SWAPDB). Reads never wait for a kept stripe. */
static void test_kept_stripes(void)
{
    char *dir = fx_tmpdir_new("kept");
    struct store *s = fx_store_open(dir, NULL);
    struct kept_arg a = {s, "hot", 0};
    char cold[16];
    pthread_t t;

    for (int n = 0;; n++) { /* a second key on another stripe */
        snprintf(cold, sizeof(cold), "cold%d", n);
        if (kept_stripe_of(cold) != kept_stripe_of("hot"))
            break;
    }
    store_keep_stripes(1);
    ok(fx_set_str(s, 0, "hot", "v1", 0) == STORE_OK, "kept: a SET while keeping");
    omk_thread_create(&t, kept_setter, &a);
    fx_sleep_ms(200);
    ok(!atomic_load(&a.done), "  ... another thread's SET of that key waits for the kept stripe");
    ok(fx_val_is(s, 0, "hot", "v1", 2), "  ... a read does not wait");
    ok(fx_set_str(s, 0, "hot", "v2", 0) == STORE_OK && !atomic_load(&a.done),
       "  ... the keeper's next SET of the key takes the stripe over, still held");
    ok(fx_set_str(s, 0, cold, "c", 0) == STORE_OK, "  ... a SET of another key");
    ok(kept_wait_done(&a), "  ... gave the first key back: the other thread's SET ran");
    omk_thread_join(t);
    ok(fx_val_is(s, 0, "hot", "other", 5), "  ... and its value is the one there");

    a = (struct kept_arg){s, cold, 0};
    omk_thread_create(&t, kept_setter, &a);
    fx_sleep_ms(200);
    ok(!atomic_load(&a.done), "  ... the second key is kept in turn");
    ok(store_swapdb(s, 0, 1) == STORE_OK && store_swapdb(s, 0, 1) == STORE_OK,
       "  ... SWAPDB (every lane as writer) while keeping: no deadlock");
    ok(kept_wait_done(&a), "  ... and it gave the key back before it waited");
    omk_thread_join(t);

    ok(fx_set_str(s, 0, "hot", "v3", 0) == STORE_OK, "  ... keeping once more");
    store_keep_stripes(0);
    a = (struct kept_arg){s, "hot", 0};
    omk_thread_create(&t, kept_setter, &a);
    ok(kept_wait_done(&a), "  ... stopping gives the stripe back");
    omk_thread_join(t);
    ok(fx_set_str(s, 0, "hot", "v4", 0) == STORE_OK, "  ... and a write no longer keeps:");
    a = (struct kept_arg){s, "hot", 0};
    omk_thread_create(&t, kept_setter, &a);
    ok(kept_wait_done(&a), "  ... another thread's SET runs at once");
    omk_thread_join(t);
    fx_check_store(s, "kept stripes");
    store_close(s);
    fx_tmpdir_rm(dir);
}

static void test_concurrent_scan(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    struct churn c[5];
    pthread_t th[5];
    atomic_int stop = 0;
    int64_t t0;
    int iterations = 0, incomplete = 0, twice = 0, scan_errors = 0, errors = 0, ops = 0;
    long tcursors = 0, pcursors = 0;
    char k[32];

    for (int i = 0; i < STABLE_KEYS; i++) {
        snprintf(k, sizeof(k), "kk%05d", i * 2);
        fx_set_str(s, 0, k, "stable", 0);
    }
    for (int i = 0; i < 4; i++) {
        c[i] = (struct churn){ .s = s, .seed = 1234u + (unsigned)i, .stop = &stop };
        omk_thread_create(&th[i], churn_main, &c[i]);
    }
    c[4] = (struct churn){ .s = s, .seed = 99u, .stop = &stop };
    omk_thread_create(&th[4], scan_hammer_main, &c[4]);
    t0 = omk_mono_us();
    while (omk_mono_us() - t0 < 1000000) {
        struct seen seen;
        uint64_t cur = 0;
        unsigned count = 1 + (unsigned)iterations % 13;
        int missing = 0, dup = 0;

        memset(&seen, 0, sizeof(seen));
        do {
            if (store_scan(s, 0, 0, cur, NULL, 0, count, seen_add, &seen, &cur) != STORE_OK) {
                scan_errors++;
                break;
            }
            tcursors += cur != 0 && cur < (uint64_t)1 << 52;
            pcursors += cur >> 52 != 0;
        } while (cur != 0);
        for (int i = 0; i < STABLE_KEYS; i++) {
            missing += seen.stable[i] == 0;
            dup += seen.stable[i] > 1;
        }
        incomplete += missing != 0;
        twice += dup != 0;
        iterations++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 5; i++) {
        omk_thread_join(th[i]);
        errors += c[i].errors;
        ops += c[i].ops;
    }
    diag("concurrent: %d full scans (%ld table cursors, %ld positions), %d store calls by 5 "
         "threads in 1 s", iterations, tcursors, pcursors, ops);
    ok(iterations > 0 && scan_errors == 0, "concurrent: %d scans ran without error", iterations);
    is_int(incomplete, 0, "concurrent: every scan returned every stable key");
    is_int(twice, 0, "concurrent: no scan returned a stable key twice");
    is_int(errors, 0, "concurrent: no store call failed");
    fx_check_store(s, "concurrent writers (counters stayed exact)");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* ---- a small measurement ------------------------------------------------------------ */

static void test_measure(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    struct store_stats st;
    int n = 20000, good = 1;
    int64_t t0;
    char k[32];

    t0 = omk_mono_us();
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof(k), "bench:%08d", i);
        good &= fx_set_str(s, 0, k, "0123456789abcdef0123456789abcdef", 0) == STORE_OK;
    }
    diag("measure: %d sets (32-byte values, appendfsync no): %.2f us each", n,
         (double)(omk_mono_us() - t0) / n);
    t0 = omk_mono_us();
    for (int i = 0; i < n; i++) {
        struct store_val *v;

        snprintf(k, sizeof(k), "bench:%08d", (i * 7919) % n);
        if (store_get(s, 0, fx_sl(k), &v) == STORE_OK)
            store_val_release(v);
        else
            good = 0;
    }
    diag("measure: %d random gets (memtable): %.2f us each", n, (double)(omk_mono_us() - t0) / n);
    store_close(s);
    s = fx_store_open(dir, NULL);
    store_stats_get(s, &st);
    diag("measure: reopen counted %llu keys in %lld ms",
         (unsigned long long)store_dbsize(s, 0), (long long)st.open_ms);
    ok(good && store_dbsize(s, 0) == (uint64_t)n, "measure: %d keys written and read", n);
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* The compaction filter (rocks.c) drops the payload of expired values from the SST
 * files, keeps live ones whole, and leaves the keys to the store's own delete. The values
 * are stored whole (below string-fragment-threshold): a fragmented value's fragments, like
 * a split collection's elements, go when its key is deleted (its id dies). */
static void test_compaction_filter(void)
{
    char *dir = fx_tmpdir_new("store");
    struct store *s = fx_store_open(dir, NULL);
    int64_t now = omk_now_ms(), expiry = now + 1000;
    static char big[12 * 1024];
    uint64_t before, after;
    int bad = 0, in_time, written;

    memset(big, 'x', sizeof(big));
    for (int i = 0; i < 64; i++) {
        char k[32];

        snprintf(k, sizeof(k), "gone:%02d", i);
        bad += store_set(s, 0, fx_sl(k), fx_sl_n(big, sizeof(big)), 0, expiry, NULL) != STORE_OK;
        snprintf(k, sizeof(k), "kept:%02d", i);
        bad += store_set(s, 0, fx_sl(k), fx_sl_n(big, sizeof(big)), 0, 0, NULL) != STORE_OK;
    }
    ok(bad == 0, "128 values of 12 KB written, half expiring within a second");
    written = omk_now_ms() < expiry; /* else some were written expired, so never stored */
    rocks_compact_all(s->rocks);
    before = store_disk_bytes(s);
    in_time = omk_now_ms() < expiry; /* the first compaction saw them live */
    fx_sleep_ms((int)(expiry - omk_now_ms() + 50));
    rocks_compact_all(s->rocks);
    after = store_disk_bytes(s);
    if (!in_time)
        diag("  the machine was too slow to compact before the expiry: shrink not measured");
    ok(!in_time || after < before * 3 / 4,
       "compaction after the expiry shrank the files (%llu -> %llu bytes)",
       (unsigned long long)before, (unsigned long long)after);
    ok(fx_val_is(s, 0, "kept:07", big, sizeof(big)), "a live value is whole after compaction");
    if (written)
        is_int(store_dbsize(s, 0), 128, "the expired keys are still counted until they are reaped");
    else
        skip("the writes took longer than the expiry (a sanitizer build?): counts not checked");
    fx_check_store(s, "compaction dropped expired payloads");
    is_int(store_get(s, 0, FX_SL("gone:07"), &(struct store_val *){NULL}), STORE_NOTFOUND,
           "an expired key reads as absent");
    store_close(s);
    s = fx_store_open(dir, NULL);
    if (written)
        is_int(store_dbsize(s, 0), 127,
               "a restart loads the expired keys' headers, not their payload");
    else
        skip("the writes took longer than the expiry: counts not checked");
    fx_check_store(s, "reopen after compaction");
    store_close(s);
    fx_tmpdir_rm(dir);
}

int main(int argc, char **argv)
{
    long long mode, fd;

    if (argc == 5 && strcmp(argv[1], "--crash-child") == 0 &&
        omk_str2ll(argv[3], strlen(argv[3]), &mode) && omk_str2ll(argv[4], strlen(argv[4]), &fd))
        return crash_child(argv[2], (int)mode, (int)fd);
    test_format();
    test_reopen();
    test_meta_blob();
    test_set_flags();
    test_expiry();
    test_del_exists_mset();
    test_flush();
    test_scan();
    test_scan_table();
    test_scan_table_bytes();
    test_binary_and_values();
    test_databases();
    test_fsync_modes();
    test_kill9();
    test_transaction();
    test_errors();
    test_bad_values();
    test_concurrent_scan();
    test_kept_stripes();
    test_compaction_filter();
    test_measure();
    return tap_done();
}
