/* test_store_keys.c - unit tests (TAP) of the store's keyspace and expiry operations
 * (store/ops_keys.c) and of active expiry (store/expire.c), over a real RocksDB in a
 * fresh directory: TYPE, TTL, EXPIRE with NX/XX/GT/LT and past times, PERSIST, RENAME[NX],
 * COPY, MOVE, lazy expiry on the way, values that do not decode, injected RocksDB errors,
 * and the active-expiry thread running, paused and stopped. store_check runs after each
 * group of mutations. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

/* The expiry of 'key' of 'db' (0: none), or -2 if it is missing. */
static int64_t expiry_of(struct store *s, int db, struct omk_slice key)
{
    int64_t when = -1;
    int rc = store_ttl(s, db, key, &when);

    return rc == STORE_NOTFOUND ? -2 : rc == STORE_OK ? when : -3;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_type_ttl(struct store *s)
{
    const char *name = NULL;
    int64_t now = omk_now_ms(), when = 0;

    is_int(store_type(s, 0, FX_SL("nope"), &name), STORE_NOTFOUND, "type of a missing key");
    fx_set_str(s, 0, "plain", "v", 0);
    ok(store_type(s, 0, FX_SL("plain"), &name) == STORE_OK && !strcmp(name, "string"),
       "type of a string is \"string\"");
    is_int(store_ttl(s, 0, FX_SL("nope"), &when), STORE_NOTFOUND, "ttl of a missing key");
    is_int(expiry_of(s, 0, FX_SL("plain")), 0, "ttl of a key without expiry is 0");
    fx_set_str(s, 0, "timed", "v", now + 100000);
    is_int(expiry_of(s, 0, FX_SL("timed")), now + 100000, "ttl gives the absolute expiry");
    is_int(store_type(s, 1, FX_SL("plain"), &name), STORE_NOTFOUND, "databases are apart");
    fx_check_store(s, "type and ttl");
}

static void test_expire_rules(struct store *s)
{
    int64_t now = omk_now_ms(), t1 = now + 100000, t2 = now + 200000;
    uint64_t keys0;

    fx_set_str(s, 0, "e", "value", 0);
    is_int(store_expire(s, 0, FX_SL("missing"), t1, 0), STORE_NOTFOUND, "expire a missing key");
    is_int(store_expire(s, 0, FX_SL("e"), t1, STORE_EXPIRE_XX), STORE_NOTSET,
           "XX refuses a key without expiry");
    is_int(store_expire(s, 0, FX_SL("e"), t1, STORE_EXPIRE_GT), STORE_NOTSET,
           "GT refuses a key without expiry (none is infinitely late)");
    is_int(store_expire(s, 0, FX_SL("e"), t2, STORE_EXPIRE_LT), STORE_OK,
           "LT accepts a key without expiry");
    is_int(expiry_of(s, 0, FX_SL("e")), t2, "... which now has it");
    ok(fx_val_is(s, 0, "e", "value", 5), "... and keeps its value");
    is_int(store_expire(s, 0, FX_SL("e"), t1, STORE_EXPIRE_NX), STORE_NOTSET,
           "NX refuses a key with an expiry");
    is_int(store_expire(s, 0, FX_SL("e"), t2, STORE_EXPIRE_GT), STORE_NOTSET, "GT refuses equal");
    is_int(store_expire(s, 0, FX_SL("e"), t1, STORE_EXPIRE_GT), STORE_NOTSET, "GT refuses earlier");
    is_int(store_expire(s, 0, FX_SL("e"), t2, STORE_EXPIRE_LT), STORE_NOTSET, "LT refuses equal");
    is_int(store_expire(s, 0, FX_SL("e"), t2 + 1, STORE_EXPIRE_LT), STORE_NOTSET,
           "LT refuses later");
    is_int(store_expire(s, 0, FX_SL("e"), t1, STORE_EXPIRE_LT | STORE_EXPIRE_XX), STORE_OK,
           "LT XX accepts earlier");
    is_int(expiry_of(s, 0, FX_SL("e")), t1, "... now t1");
    is_int(store_expire(s, 0, FX_SL("e"), t2, STORE_EXPIRE_GT), STORE_OK, "GT accepts later");
    is_int(store_expire(s, 0, FX_SL("e"), t2, 0), STORE_OK, "setting the same expiry is OK");
    is_int(expiry_of(s, 0, FX_SL("e")), t2, "... and changes nothing");
    is_int(store_db_expires(s, 0), 2, "expires counter (e, timed)");
    fx_check_store(s, "expire conditions");

    keys0 = store_dbsize(s, 0);
    is_int(store_expire(s, 0, FX_SL("e"), now - 1, STORE_EXPIRE_LT), STORE_OK,
           "a past time with LT deletes the key");
    is_int(expiry_of(s, 0, FX_SL("e")), -2, "... which is gone");
    is_int(store_dbsize(s, 0), keys0 - 1, "... and no longer counted");
    fx_set_str(s, 0, "e", "value", 0);
    is_int(store_expire(s, 0, FX_SL("e"), -5, STORE_EXPIRE_GT), STORE_NOTSET,
           "a past time with GT on no expiry is refused, key kept");
    is_int(store_expire(s, 0, FX_SL("e"), 0, 0), STORE_OK, "time 0 deletes the key");
    is_int(expiry_of(s, 0, FX_SL("e")), -2, "... gone");
    fx_set_str(s, 0, "far", "v", 0);
    is_int(store_expire(s, 0, FX_SL("far"), INT64_MAX, 0), STORE_OK,
           "an expiry beyond the index's 48 bits");
    is_int(expiry_of(s, 0, FX_SL("far")), INT64_MAX, "... reads back exactly");
    is_int(store_expire(s, 0, FX_SL("far"), INT64_MAX - 1, STORE_EXPIRE_GT), STORE_NOTSET,
           "... and compares exactly");
    /* The entry counts ms from 2020 in 40 bits: the edges of that range read back exact,
     * and so do expiries past it (read from the record). */
    {
        static const int64_t edges[] = {
            INT64_C(1577836800000) + ((INT64_C(1) << 40) - 2), /* the last the field holds */
            INT64_C(1577836800000) + ((INT64_C(1) << 40) - 1), /* the first it does not */
            INT64_C(1577836800000) + (INT64_C(1) << 40),
            INT64_C(4102444800000), /* 2100 */
        };

        for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
            is_int(store_expire(s, 0, FX_SL("far"), edges[i], 0), STORE_OK, "expire at edge %zu",
                   i);
            is_int(expiry_of(s, 0, FX_SL("far")), edges[i], "... reads back exactly");
        }
    }
    fx_check_store(s, "past and far expiries");
}

static void test_persist(struct store *s)
{
    int64_t now = omk_now_ms();

    fx_set_str(s, 0, "p", "pv", now + 50000);
    fx_set_str(s, 0, "q", "qv", 0);
    is_int(store_persist(s, 0, FX_SL("p")), STORE_OK, "persist removes an expiry");
    is_int(expiry_of(s, 0, FX_SL("p")), 0, "... gone");
    ok(fx_val_is(s, 0, "p", "pv", 2), "... value kept");
    is_int(store_persist(s, 0, FX_SL("p")), STORE_NOTSET, "persist again: nothing to remove");
    is_int(store_persist(s, 0, FX_SL("q")), STORE_NOTSET, "persist a key without expiry");
    is_int(store_persist(s, 0, FX_SL("nope")), STORE_NOTFOUND, "persist a missing key");
    fx_check_store(s, "persist");
}

static void test_rename(struct store *s)
{
    int64_t now = omk_now_ms(), t = now + 60000;
    char big[100000];

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    store_set(s, 2, FX_SL("src"), (struct omk_slice){ big, sizeof(big) }, 0, t, NULL);
    is_int(store_rename(s, 2, FX_SL("nope"), FX_SL("x"), 0), STORE_NOTFOUND,
           "rename a missing key");
    is_int(store_rename(s, 2, FX_SL("nope"), FX_SL("nope"), 0), STORE_NOTFOUND,
           "rename a missing key onto itself");
    is_int(store_rename(s, 2, FX_SL("src"), FX_SL("src"), 0), STORE_OK, "rename onto itself");
    is_int(store_rename(s, 2, FX_SL("src"), FX_SL("src"), STORE_RENAME_NX), STORE_NOTSET,
           "renamenx onto itself answers 0");
    ok(fx_val_is(s, 2, "src", big, sizeof(big)), "... the key is untouched");
    is_int(store_rename(s, 2, FX_SL("src"), FX_SL("dst"), 0), STORE_OK, "rename");
    is_int(expiry_of(s, 2, FX_SL("src")), -2, "... the source is gone");
    ok(fx_val_is(s, 2, "dst", big, sizeof(big)), "... the value moved (100 KB, binary)");
    is_int(expiry_of(s, 2, FX_SL("dst")), t, "... with its expiry");

    fx_set_str(s, 2, "other", "o", now + 90000);
    is_int(store_rename(s, 2, FX_SL("dst"), FX_SL("other"), STORE_RENAME_NX), STORE_NOTSET,
           "renamenx onto an existing key");
    ok(fx_val_is(s, 2, "other", "o", 1), "... which is untouched");
    fx_set_str(s, 2, "plain", "p", 0);
    is_int(store_rename(s, 2, FX_SL("plain"), FX_SL("other"), 0), STORE_OK,
           "rename overwrites a key with an expiry");
    is_int(expiry_of(s, 2, FX_SL("other")), 0, "... which takes the source's (none)");
    ok(fx_val_is(s, 2, "other", "p", 1), "... and its value");
    is_int(store_dbsize(s, 2), 2, "two keys left in db 2");
    is_int(store_db_expires(s, 2), 1, "one with an expiry");
    fx_check_store(s, "rename");
}

static void test_copy_move(struct store *s)
{
    int64_t t = omk_now_ms() + 70000;

    fx_set_str(s, 3, "a", "va", t);
    fx_set_str(s, 3, "b", "vb", 0);
    is_int(store_copy(s, 3, FX_SL("nope"), 3, FX_SL("c"), 0), STORE_NOTFOUND, "copy a missing key");
    is_int(store_copy(s, 3, FX_SL("a"), 3, FX_SL("b"), 0), STORE_NOTSET,
           "copy onto an existing key");
    ok(fx_val_is(s, 3, "b", "vb", 2), "... untouched");
    is_int(store_copy(s, 3, FX_SL("a"), 3, FX_SL("b"), STORE_COPY_REPLACE), STORE_OK,
           "copy REPLACE");
    ok(fx_val_is(s, 3, "b", "va", 2) && fx_val_is(s, 3, "a", "va", 2),
       "... both hold the value");
    is_int(expiry_of(s, 3, FX_SL("b")), t, "... the copy has the expiry");
    is_int(store_copy(s, 3, FX_SL("a"), 4, FX_SL("a"), 0), STORE_OK,
           "copy to another db, same name");
    is_int(expiry_of(s, 4, FX_SL("a")), t, "... with the expiry");
    is_int(store_dbsize(s, 3), 2, "db 3 keeps two keys");
    is_int(store_dbsize(s, 4), 1, "db 4 has one");
    fx_check_store(s, "copy");

    is_int(store_move(s, 3, FX_SL("a"), 4), STORE_NOTSET, "move onto a key the target db has");
    ok(fx_val_is(s, 3, "a", "va", 2), "... the source stays");
    is_int(store_move(s, 3, FX_SL("nope"), 4), STORE_NOTFOUND, "move a missing key");
    is_int(store_move(s, 3, FX_SL("b"), 5), STORE_OK, "move");
    is_int(expiry_of(s, 3, FX_SL("b")), -2, "... gone from db 3");
    is_int(expiry_of(s, 5, FX_SL("b")), t, "... in db 5 with the expiry");
    ok(fx_val_is(s, 5, "b", "va", 2), "... and the value");
    is_int(store_db_expires(s, 5), 1, "db 5 counts its expiry");
    fx_check_store(s, "move");
}

/* Keys met expired by these calls are deleted on the way and counted. */
static void test_lazy(struct store *s)
{
    int64_t now = omk_now_ms();
    uint64_t exp0 = fx_stats(s).expired_keys, size0 = store_dbsize(s, 6);
    const char *name;
    int64_t when;

    fx_set_str(s, 6, "l1", "v", omk_now_ms() + 30);
    fx_set_str(s, 6, "l2", "v", omk_now_ms() + 30);
    fx_set_str(s, 6, "l3", "v", omk_now_ms() + 30);
    fx_set_str(s, 6, "l4", "v", omk_now_ms() + 30);
    fx_set_str(s, 6, "l5", "v", omk_now_ms() + 30);
    fx_set_str(s, 6, "dst", "d", omk_now_ms() + 30);
    fx_set_str(s, 6, "live", "v", 0);
    is_int(store_dbsize(s, 6), size0 + 7, "seven keys");
    fx_sleep_ms(60);
    is_int(store_dbsize(s, 6), size0 + 7, "expired keys still counted before access");
    is_int(store_ttl(s, 6, FX_SL("l1"), &when), STORE_NOTFOUND, "ttl of an expired key");
    is_int(store_type(s, 6, FX_SL("l2"), &name), STORE_NOTFOUND, "type of an expired key");
    is_int(store_expire(s, 6, FX_SL("l3"), now + 99999, 0), STORE_NOTFOUND,
           "expire of an expired key");
    is_int(store_rename(s, 6, FX_SL("l4"), FX_SL("x"), 0), STORE_NOTFOUND,
           "rename of an expired key");
    is_int(store_persist(s, 6, FX_SL("l5")), STORE_NOTFOUND, "persist of an expired key");
    is_int(store_rename(s, 6, FX_SL("live"), FX_SL("dst"), STORE_RENAME_NX), STORE_OK,
           "renamenx onto an expired key succeeds");
    ok(fx_val_is(s, 6, "dst", "v", 1), "... with the source's value");
    is_int(store_dbsize(s, 6), size0 + 1, "all six expired keys were removed");
    is_int(fx_stats(s).expired_keys - exp0, 6, "... and counted in expired_keys");
    fx_check_store(s, "lazy expiry");
}

/* Values written behind the store's back that do not decode cannot be rewritten. */
static void test_bad_value(void)
{
    char *dir = fx_tmpdir_new("keys");
    unsigned char hdr[FMT_HDR_LEN];
    struct fx_raw w;
    struct store *s;
    const char *name;
    int64_t when = -1;

    fx_raw_begin(&w, dir);
    fmt_hdr_encode(hdr, FMT_TYPE_STRING, 0, 0);
    hdr[0] = 9; /* a format version this reader does not know */
    rocks_batch_put(w.b, "\0bad", 4, hdr, sizeof(hdr), "x", 1);
    fx_raw_commit(&w);

    s = fx_store_open(dir, NULL);
    is_int(store_type(s, 0, FX_SL("bad"), &name), STORE_ERR_VALUE, "type of an undecodable value");
    ok(store_ttl(s, 0, FX_SL("bad"), &when) == STORE_OK && when == 0,
       "ttl: it has no expiry we can read");
    is_int(store_expire(s, 0, FX_SL("bad"), omk_now_ms() + 1000, 0), STORE_ERR_VALUE,
           "expire cannot rewrite it");
    is_int(store_rename(s, 0, FX_SL("bad"), FX_SL("x"), 0), STORE_ERR_VALUE,
           "rename cannot copy it");
    is_int(store_copy(s, 0, FX_SL("bad"), 1, FX_SL("bad"), 0), STORE_ERR_VALUE,
           "copy cannot either");
    is_int(store_dbsize(s, 0) + store_dbsize(s, 1), 1, "nothing was written");
    is_int(store_expire(s, 0, FX_SL("bad"), 1, 0), STORE_OK, "a past expiry deletes it");
    is_int(store_dbsize(s, 0), 0, "... gone");
    fx_check_store(s, "undecodable values");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* A failed RocksDB read or write leaves everything as it was. */
static void test_errors(struct store *s)
{
    int64_t t = omk_now_ms() + 40000;

    fx_set_str(s, 7, "k", "v", t);
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_expire(s, 7, FX_SL("k"), t + 1000, 0), STORE_ERR_IO, "expire: a failed write");
    is_int(expiry_of(s, 7, FX_SL("k")), t, "... the expiry is unchanged");
    store_test_fail_next(s, ROCKS_OP_GET, STORE_ERR_IO);
    is_int(store_rename(s, 7, FX_SL("k"), FX_SL("k2"), 0), STORE_ERR_IO, "rename: a failed read");
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_move(s, 7, FX_SL("k"), 8), STORE_ERR_IO, "move: a failed write");
    store_test_fail_next(s, ROCKS_OP_WRITE, STORE_ERR_IO);
    is_int(store_persist(s, 7, FX_SL("k")), STORE_ERR_IO, "persist: a failed write");
    ok(fx_val_is(s, 7, "k", "v", 1) && expiry_of(s, 7, FX_SL("k")) == t, "k is as it was");
    is_int(store_dbsize(s, 7) + store_dbsize(s, 8), 1, "no key appeared");
    fx_check_store(s, "injected errors");
}

/* Poll (up to 'ms') until db 'db' counts 'want' keys. */
static int wait_dbsize(struct store *s, int db, uint64_t want, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        if (store_dbsize(s, db) == want)
            return 1;
        fx_sleep_ms(10);
    }
    return store_dbsize(s, db) == want;
}

static void test_active_expiry(void)
{
    char *dir = fx_tmpdir_new("keys");
    struct store *s = fx_store_open(dir, NULL);
    uint64_t exp0;
    char k[32];

    store_expire_start(s, 100);
    exp0 = fx_stats(s).expired_keys;
    /* Many keys, few of them expiring, across databases: the walk has to get past the
     * live ones (more than one round) to find them all. */
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof(k), "key:%05d", i);
        store_set(s, i % 3, fx_sl(k), FX_SL("v"), 0,
                  i % 10 == 0 ? omk_now_ms() + 50 : 0, NULL); /* each lives 50 ms */
    }
    ok(wait_dbsize(s, 0, 900, 3000) && wait_dbsize(s, 1, 900, 3000) &&
           wait_dbsize(s, 2, 900, 3000),
       "active expiry removes 300 untouched keys (up to 3 s)");
    is_int(fx_stats(s).expired_keys - exp0, 300, "... counted in expired_keys");
    is_int(store_db_expires(s, 0) + store_db_expires(s, 1) + store_db_expires(s, 2), 0,
           "... no expiry left");
    fx_check_store(s, "active expiry");

    store_expire_set_active(s, 0);
    fx_set_str(s, 0, "paused", "v", omk_now_ms() + 20);
    fx_sleep_ms(300);
    is_int(store_dbsize(s, 0), 901, "paused: the expired key stays counted");
    store_expire_set_active(s, 1);
    ok(wait_dbsize(s, 0, 900, 3000), "resumed: it goes");

    fx_set_str(s, 0, "late", "v", omk_now_ms() + 100000);
    store_expire_stop(s);
    store_expire_stop(s); /* a second stop is a no-op */
    store_expire_set_active(s, 0); /* so is pausing a stopped one */
    ok(1, "stop twice, pause after stop");
    is_int(store_dbsize(s, 0), 901, "a key with a later expiry is kept");
    fx_check_store(s, "stopping active expiry");

    /* A keyspace where few keys have an expiry is swept in few ticks: 20,000 keys, 100 of
     * them expiring, at hz 10. Sampling 200 keys per tick whatever their expiry would
     * take 100 ticks (10 s); stepping over the keys without one takes a tick or two. */
    store_flush(s, -1);
    store_expire_start(s, 10);
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof(k), "sparse:%05d", i);
        store_set(s, 0, fx_sl(k), FX_SL("v"), 0,
                  i % 200 == 7 ? omk_now_ms() + 50 : 0, NULL);
    }
    ok(wait_dbsize(s, 0, 19900, 3000), "hz 10: 100 expired keys among 20,000 go within 3 s");
    is_int(store_db_expires(s, 0), 0, "... no expiry left");
    store_expire_stop(s);
    fx_check_store(s, "a sparse sweep");
    store_close(s);
    fx_tmpdir_rm(dir);
}

/* SWAPDB through the database map (store/dbmap.c): O(1) in RAM, kept across a reopen,
 * and what a reopen with fewer databases may leave out. */
static void test_swapdb(void)
{
    char *dir = fx_tmpdir_new("keys");
    struct store *s = fx_store_open(dir, NULL);
    struct store_config c;
    struct store *s2 = NULL;
    int64_t t = omk_now_ms() + 90000;
    char err[256] = "";

    fx_set_str(s, 0, "k", "zero", 0);
    fx_set_str(s, 0, "z", "only0", 0);
    fx_set_str(s, 9, "k", "nine", t);
    is_int(store_swapdb(s, 0, 9), STORE_OK, "swapdb 0 9");
    ok(fx_val_is(s, 0, "k", "nine", 4) && fx_val_is(s, 9, "k", "zero", 4),
       "... each db holds the other's value");
    is_int(expiry_of(s, 0, FX_SL("k")), t, "... with its expiry");
    is_int(store_dbsize(s, 0), 1, "dbsize 0");
    is_int(store_dbsize(s, 9), 2, "dbsize 9");
    is_int(store_db_expires(s, 0), 1, "expires 0");
    is_int(store_db_expires(s, 9), 0, "expires 9");
    fx_check_store(s, "swapdb");
    is_int(store_swapdb(s, 9, 9), STORE_OK, "swapdb of a db with itself");
    fx_set_str(s, 0, "new", "n", 0);
    is_int(store_dbsize(s, 0), 2, "a write after the swap counts in db 0");
    is_int(store_flush(s, 9), STORE_OK, "flushdb 9");
    is_int(store_dbsize(s, 9), 0, "... empties db 9");
    ok(fx_val_is(s, 0, "k", "nine", 4), "... not db 0");
    fx_set_str(s, 9, "back", "b", 0);
    store_close(s);

    s = fx_store_open(dir, NULL);
    ok(fx_val_is(s, 0, "k", "nine", 4) && fx_val_is(s, 9, "back", "b", 1),
       "the swap survives a reopen");
    is_int(store_dbsize(s, 0), 2, "... with its counts");
    fx_check_store(s, "reopen after swapdb");
    is_int(store_flush(s, 9), STORE_OK, "flushdb 9 again");
    store_close(s);

    /* Fewer databases: db 9 is empty, while db 0's keys live under db byte 9. */
    store_config_defaults(&c);
    c.dir = dir;
    c.databases = 4;
    is_int(store_open(&c, &s2, err, sizeof(err)), STORE_OK,
           "reopen with 4 databases when those left out are empty");
    if (s2) {
        ok(fx_val_is(s2, 0, "k", "nine", 4), "... db 0 is still the swapped one");
        fx_check_store(s2, "reopen with 4 databases");
        is_int(store_flush(s2, -1), STORE_OK, "flushall with 4 databases");
        is_int(store_dbsize(s2, 0), 0, "... empties db 0 under its db byte");
        fx_check_store(s2, "flushall");
        store_close(s2);
    }
    s = fx_store_open(dir, NULL);
    fx_set_str(s, 1, "x", "y", 0);
    is_int(store_swapdb(s, 1, 12), STORE_OK, "swapdb 1 12");
    store_close(s);
    s2 = NULL;
    is_int(store_open(&c, &s2, err, sizeof(err)), STORE_ERR_VALUE,
           "reopen with 4 databases refused: db 12 holds keys (under db byte 1)");
    ok(s2 == NULL && strstr(err, "database 12") != NULL,
       "... and says why, by database number: %s", err);
    fx_tmpdir_rm(dir);
}

/* The access byte (store/access.c) through the store: under LFU with lfu-log-factor 0
 * every access counts, EXISTS does not, nor a thread whose calls are not accesses. */
static void test_access(void)
{
    char *dir = fx_tmpdir_new("keys");
    struct store *s = fx_store_open(dir, NULL);
    unsigned byte = 0;
    int64_t idle = -1;
    struct store_val *v;

    store_set_access_policy(s, STORE_ACCESS_LFU, 0, 0);
    fx_set_str(s, 2, "f", "v", 0);
    is_int(store_access_info(s, 2, FX_SL("f"), &byte, &idle), STORE_OK, "access info");
    is_int(byte, 5, "a new key counts 5");
    store_access_set(1);
    for (int i = 0; i < 3; i++)
        if (store_get(s, 2, FX_SL("f"), &v) == STORE_OK)
            store_val_release(v);
    is_int(store_exists(s, 2, FX_SL("f")), STORE_OK, "exists");
    store_access_info(s, 2, FX_SL("f"), &byte, &idle);
    is_int(byte, 8, "three GETs count, EXISTS and the info do not");
    is_int(store_touch(s, 2, FX_SL("f")), STORE_OK, "touch");
    store_access_info(s, 2, FX_SL("f"), &byte, &idle);
    is_int(byte, 9, "TOUCH counts");
    store_access_set(0);
    if (store_get(s, 2, FX_SL("f"), &v) == STORE_OK)
        store_val_release(v);
    store_access_info(s, 2, FX_SL("f"), &byte, &idle);
    is_int(byte, 9, "a thread whose calls are not accesses counts nothing");
    fx_check_store(s, "access counts");
    store_set_access_policy(s, STORE_ACCESS_CLOCK, 10, 1);
    fx_set_str(s, 2, "g", "v", 0);
    is_int(store_access_info(s, 2, FX_SL("g"), &byte, &idle), STORE_OK, "access info of g");
    ok(idle >= 0 && idle <= 2, "a clock under LRU (idle %lld)", (long long)idle);
    /* The clock is 24 bits of seconds: a key idle 300 s, or 100 days, reads so. */
    store_access_shift(s, 300 * 1000);
    store_access_info(s, 2, FX_SL("g"), &byte, &idle);
    ok(idle >= 300 && idle <= 302, "idle past 256 s reads exact (%lld)", (long long)idle);
    store_access_shift(s, (int64_t)100 * 86400 * 1000);
    store_access_info(s, 2, FX_SL("g"), &byte, &idle);
    ok(idle >= 8640300 && idle <= 8640302, "idle 100 days reads exact (%lld)", (long long)idle);
    store_access_set(1);
    is_int(store_touch(s, 2, FX_SL("g")), STORE_OK, "touch g");
    store_access_set(0);
    store_access_info(s, 2, FX_SL("g"), &byte, &idle);
    ok(idle >= 0 && idle <= 2, "an access resets it (%lld)", (long long)idle);
    fx_check_store(s, "access clocks");
    /* LFU decay: one step per lfu-decay-time minutes since the last decrement. */
    store_set_access_policy(s, STORE_ACCESS_LFU, 0, 1);
    fx_set_str(s, 2, "h", "v", 0);
    store_access_set(1);
    for (int i = 0; i < 10; i++)
        is_int(store_touch(s, 2, FX_SL("h")), STORE_OK, "touch h");
    store_access_set(0);
    store_access_info(s, 2, FX_SL("h"), &byte, &idle);
    ok(byte >= 14 && byte <= 15, "ten touches count (%u)", byte);
    store_access_shift(s, 4 * 60000);
    store_access_info(s, 2, FX_SL("h"), &byte, &idle);
    ok(byte >= 10 && byte <= 11, "four minutes later, four less (%u)", byte);
    store_set_access_policy(s, STORE_ACCESS_LFU, 0, 2);
    store_access_info(s, 2, FX_SL("h"), &byte, &idle);
    ok(byte >= 12 && byte <= 13, "with lfu-decay-time 2, two less (%u)", byte);
    store_set_access_policy(s, STORE_ACCESS_LFU, 0, 0);
    store_access_info(s, 2, FX_SL("h"), &byte, &idle);
    ok(byte >= 14 && byte <= 15, "with lfu-decay-time 0, none (%u)", byte);
    store_set_access_policy(s, STORE_ACCESS_LFU, 0, 1);
    store_access_shift(s, (int64_t)600 * 60000);
    store_access_info(s, 2, FX_SL("h"), &byte, &idle);
    is_int(byte, 0, "ten hours later, 0");
    store_access_set(1);
    is_int(store_touch(s, 2, FX_SL("h")), STORE_OK, "touch h");
    store_access_set(0);
    store_access_info(s, 2, FX_SL("h"), &byte, &idle);
    is_int(byte, 1, "an access then counts from 0");
    store_set_access_policy(s, STORE_ACCESS_CLOCK, 10, 1);
    store_close(s);
    fx_tmpdir_rm(dir);
}

int main(void)
{
    char *dir = fx_tmpdir_new("keys");
    struct store *s = fx_store_open(dir, NULL);

    test_type_ttl(s);
    test_expire_rules(s);
    test_persist(s);
    test_rename(s);
    test_copy_move(s);
    test_lazy(s);
    test_errors(s);
    store_close(s);
    fx_tmpdir_rm(dir);
    test_bad_value();
    test_active_expiry();
    test_swapdb();
    test_access();
    return tap_done();
}
