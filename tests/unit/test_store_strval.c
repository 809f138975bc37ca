/* test_store_strval.c - unit tests (TAP) of strings kept in fragments (store/strval.c) over
 * a real RocksDB, with a low string-fragment-threshold so values move between the whole
 * and the fragmented form: a random run of SET, SETRANGE, APPEND, GETRANGE, GET, STRLEN,
 * GETDEL, GETEX, COPY and RENAME against a model of each value, offsets near the 4 KB
 * fragment boundaries and far past the end (sparse fragments), a transaction, a reopen,
 * the records a fragmented value leaves (no all-zero fragment is stored), and
 * store_check (which counts every fragment record) after each group. */
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

#define THRESHOLD 256   /* the lowest string-fragment-threshold */
#define NKEYS 6
#define MAXLEN (5 * FMT_FRAG_BYTES + 700)

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A model value: exists, its bytes. */
struct model {
    int exists;
    size_t len;
    char buf[MAXLEN];
};

static struct model m[NKEYS];

static void set_threshold(struct store *s, uint64_t bytes)
{
    struct store_coll_limits l;

    store_get_coll_limits(s, &l);
    l.fragment_threshold = bytes;
    store_set_coll_limits(s, &l);
}

static const char *key_of(int i)
{
    static const char *names[NKEYS] = {"s0", "s1", "s2", "s3", "s4", "s5"};

    return names[i];
}

/* The state of 'key' as an operation sees it. */
static struct key_state key_st(struct store *s, const char *key)
{
    struct store_op op;
    struct key_state st;

    store_op_begin1(&op, s, STORE_OP_READ, 0, fx_sl(key));
    store_op_lookup(&op, 0, STORE_WANT_STATE);
    st = op.key[0].st;
    store_op_end(&op, STORE_OK);
    return st;
}

/* An offset that likes fragment boundaries and the value's end. */
static size_t pick_offset(size_t len)
{
    switch (rnd() % 4) {
    case 0: return (size_t)(rnd() % (MAXLEN / 2));
    case 1: { /* around a fragment boundary */
        size_t b = (size_t)(rnd() % 5 + 1) * FMT_FRAG_BYTES;
        return b - 3 + (size_t)(rnd() % 6);
    }
    case 2: return len;
    default: return len > 0 ? (size_t)(rnd() % len) : 0;
    }
}

/* Random bytes, often zeros (so fragments become all zero) and NULs. */
static void fill(char *p, size_t n)
{
    int zeros = rnd() % 3 == 0;

    for (size_t i = 0; i < n; i++)
        p[i] = zeros ? 0 : (char)(rnd() % 4 == 0 ? 0 : 'a' + rnd() % 26);
}

/* 1 if 'key' reads back as its model through GET, STRLEN and a random GETRANGE. */
static int matches(struct store *s, int i)
{
    struct store_val *v = NULL;
    int rc = store_get(s, 0, fx_sl(key_of(i)), &v), good;
    size_t len = 0;

    if (!m[i].exists) {
        store_val_release(v);
        return rc == STORE_NOTFOUND && store_strlen(s, 0, fx_sl(key_of(i)), &len) == STORE_NOTFOUND;
    }
    good = rc == STORE_OK && v->len == m[i].len && memcmp(v->data, m[i].buf, m[i].len) == 0;
    if (!good)
        diag("  %s: GET rc %d len %zu, model %zu", key_of(i), rc, v ? v->len : 0, m[i].len);
    store_val_release(v);
    good = good && store_strlen(s, 0, fx_sl(key_of(i)), &len) == STORE_OK && len == m[i].len;
    if (good && m[i].len > 0) {
        long long a = (long long)(rnd() % m[i].len), b = a + (long long)(rnd() % 5000);
        size_t want = (size_t)((b >= (long long)m[i].len ? (long long)m[i].len - 1 : b) - a + 1);

        v = NULL;
        rc = store_getrange(s, 0, fx_sl(key_of(i)), a, b, &v);
        good = rc == STORE_OK && v && v->len == want && memcmp(v->data, m[i].buf + a, want) == 0;
        if (!good)
            diag("  %s: GETRANGE %lld %lld rc %d", key_of(i), a, b, rc);
        store_val_release(v);
    }
    return good;
}

/* One random command on the store and the model. 0 if the store disagreed. */
static int step(struct store *s)
{
    int i = (int)(rnd() % NKEYS), j = (int)(rnd() % NKEYS);
    char data[8192];
    size_t n, newlen = 0, off;
    struct store_val *v = NULL;
    int rc;

    switch (rnd() % 9) {
    case 0: /* SET, small or large */
        n = rnd() % 2 ? (size_t)(rnd() % 400) : (size_t)(rnd() % sizeof(data));
        fill(data, n);
        if (store_set(s, 0, fx_sl(key_of(i)), fx_sl_n(data, n), 0, 0, NULL) != STORE_OK)
            return 0;
        memcpy(m[i].buf, data, n);
        m[i].len = n;
        m[i].exists = 1;
        return 1;
    case 1: case 2: /* SETRANGE */
        off = pick_offset(m[i].len);
        n = (size_t)(rnd() % 600) + (rnd() % 8 == 0 ? FMT_FRAG_BYTES : 0);
        if (off + n > MAXLEN)
            return 1;
        fill(data, n);
        rc = store_setrange(s, 0, fx_sl(key_of(i)), off, fx_sl_n(data, n), MAXLEN, &newlen);
        if (rc != STORE_OK)
            return 0;
        if (n > 0) {
            if (!m[i].exists) {
                m[i].exists = 1;
                m[i].len = 0;
            }
            if (off > m[i].len)
                memset(m[i].buf + m[i].len, 0, off - m[i].len);
            memcpy(m[i].buf + off, data, n);
            if (off + n > m[i].len)
                m[i].len = off + n;
        }
        return newlen == (m[i].exists ? m[i].len : 0);
    case 3: /* APPEND */
        n = (size_t)(rnd() % 900);
        if (m[i].len + n > MAXLEN)
            return 1;
        fill(data, n);
        if (store_append(s, 0, fx_sl(key_of(i)), fx_sl_n(data, n), MAXLEN, &newlen) != STORE_OK)
            return 0;
        if (!m[i].exists) {
            m[i].exists = 1;
            m[i].len = 0;
        }
        memcpy(m[i].buf + m[i].len, data, n);
        m[i].len += n;
        return newlen == m[i].len;
    case 4: /* COPY (REPLACE) */
        if (i == j)
            return 1;
        rc = store_copy(s, 0, fx_sl(key_of(i)), 0, fx_sl(key_of(j)), STORE_COPY_REPLACE);
        if (rc != (m[i].exists ? STORE_OK : STORE_NOTFOUND))
            return 0;
        if (m[i].exists)
            m[j] = m[i];
        return 1;
    case 5: /* RENAME */
        if (i == j)
            return 1;
        rc = store_rename(s, 0, fx_sl(key_of(i)), fx_sl(key_of(j)), 0);
        if (rc != (m[i].exists ? STORE_OK : STORE_NOTFOUND))
            return 0;
        if (m[i].exists) {
            m[j] = m[i];
            m[i].exists = 0;
            m[i].len = 0;
        }
        return 1;
    case 6: /* GETDEL, now and then */
        if (rnd() % 4)
            return 1;
        rc = store_getdel(s, 0, fx_sl(key_of(i)), &v);
        if (rc != (m[i].exists ? STORE_OK : STORE_NOTFOUND) ||
            (v && (v->len != m[i].len || memcmp(v->data, m[i].buf, m[i].len) != 0))) {
            store_val_release(v);
            return 0;
        }
        store_val_release(v);
        m[i].exists = 0;
        m[i].len = 0;
        return 1;
    case 7: /* GETEX with an expiry far away, then PERSIST */
        rc = store_getex(s, 0, fx_sl(key_of(i)), STORE_GETEX_SET, omk_now_ms() + 3600000, &v);
        if (rc != (m[i].exists ? STORE_OK : STORE_NOTFOUND))
            return 0;
        store_val_release(v);
        v = NULL;
        rc = store_getex(s, 0, fx_sl(key_of(i)), STORE_GETEX_PERSIST, 0, &v);
        store_val_release(v);
        return rc == (m[i].exists ? STORE_OK : STORE_NOTFOUND);
    default:
        return matches(s, i);
    }
}

/* A random run of 'n' commands, every key compared with its model at the end. */
static void test_model(struct store *s, int n, const char *what)
{
    int bad = -1;

    for (int k = 0; k < n && bad < 0; k++)
        if (!step(s))
            bad = k;
    ok(bad < 0, "%s: %d random commands agree with the model (first disagreement: %d)", what, n,
       bad);
    for (int i = 0; i < NKEYS; i++)
        ok(matches(s, i), "%s: %s reads as its model", what, key_of(i));
    fx_check_store(s, what);
}

/* Records of the element family under fragmented 'key': how many, and whether any holds
 * a trailing zero byte or nothing. */
static void frag_records(struct store *s, const char *key, size_t *n, int *zero_tail)
{
    struct key_state st = key_st(s, key);
    unsigned char from[16], to[16];
    struct rocks_iter *it;

    *n = 0;
    *zero_tail = 0;
    fmt_u64_be_put(from, st.id);
    fmt_u64_be_put(from + 8, 0);
    fmt_u64_be_put(to, st.id + 1);
    fmt_u64_be_put(to + 8, 0);
    it = rocks_iter_new_cf(s->rocks, ROCKS_CF_ELEMS, (const char *)to, sizeof(to), 0);
    for (rocks_iter_seek(it, (const char *)from, sizeof(from)); rocks_iter_valid(it);
         rocks_iter_next(it)) {
        size_t vlen;
        const char *v = rocks_iter_value(it, &vlen);

        (*n)++;
        if (vlen == 0 || v[vlen - 1] == 0)
            *zero_tail = 1;
    }
    rocks_iter_free(it);
}

/* A bit far out: one fragment stored, the rest zero without records; the form follows
 * the threshold both ways. */
static void test_sparse(struct store *s)
{
    size_t newlen = 0, n = 0;
    int zt = 0;
    struct store_val *v = NULL;
    struct key_state st;

    store_del(s, 0, FX_SL("sparse"));
    ok(store_setrange(s, 0, FX_SL("sparse"), 100 * FMT_FRAG_BYTES + 5, FX_SL("x"),
                      (size_t)1 << 30, &newlen) == STORE_OK &&
       newlen == 100 * FMT_FRAG_BYTES + 6, "SETRANGE far past the end: length %zu", newlen);
    st = key_st(s, "sparse");
    ok((st.fflags & FMT_F_FRAG) && st.id != 0 && st.vlen == newlen,
       "the value is fragmented, its length in the index");
    frag_records(s, "sparse", &n, &zt);
    ok(n == 1 && !zt, "one fragment record, without trailing zeros (%zu records)", n);
    ok(store_getrange(s, 0, FX_SL("sparse"), -2, -1, &v) == STORE_OK && v && v->len == 2 &&
       v->data[0] == 0 && v->data[1] == 'x', "GETRANGE of its end");
    store_val_release(v);
    v = NULL;
    ok(store_setrange(s, 0, FX_SL("sparse"), 100 * FMT_FRAG_BYTES + 5, fx_sl_n("\0", 1),
                      (size_t)1 << 30, &newlen) == STORE_OK, "zeroing the one byte set");
    frag_records(s, "sparse", &n, &zt);
    ok(n == 0, "an all-zero fragment has no record (%zu)", n);
    ok(store_set(s, 0, FX_SL("sparse"), FX_SL("small"), 0, 0, NULL) == STORE_OK &&
       !(key_st(s, "sparse").fflags & FMT_F_FRAG), "SET of a small value: whole again");
    ok(store_getrange(s, 0, FX_SL("nothere"), 0, -1, &v) == STORE_NOTFOUND && !v,
       "GETRANGE of a missing key");
    ok(store_setrange(s, 0, FX_SL("big4g"), (size_t)UINT32_MAX, FX_SL("x"), SIZE_MAX, &newlen) ==
           STORE_TOOBIG, "a string past 4 GB is refused");
    fx_check_store(s, "sparse values");
}

/* A transaction: SETRANGE twice on one fragmented value, then a read, one batch. */
static void test_transaction(struct store *s)
{
    size_t newlen = 0;
    struct store_val *v = NULL;

    store_del(s, 0, FX_SL("tx"));
    store_tx_begin(s);
    store_setrange(s, 0, FX_SL("tx"), 3 * FMT_FRAG_BYTES, FX_SL("abc"), MAXLEN, &newlen);
    store_setrange(s, 0, FX_SL("tx"), 3 * FMT_FRAG_BYTES + 1, FX_SL("Z"), MAXLEN, &newlen);
    ok(store_getrange(s, 0, FX_SL("tx"), -3, -1, &v) == STORE_OK && v && v->len == 3 &&
       memcmp(v->data, "aZc", 3) == 0, "inside a transaction, a read sees its writes");
    store_val_release(v);
    ok(store_tx_end(s) == STORE_OK, "the transaction commits");
    v = NULL;
    ok(store_getrange(s, 0, FX_SL("tx"), -3, -1, &v) == STORE_OK && v && v->len == 3 &&
       memcmp(v->data, "aZc", 3) == 0, "and its writes stand after it");
    store_val_release(v);
    fx_check_store(s, "a transaction");
}

/* 1 if 'key' reads as the 'len' bytes at 'want' (GET). */
static int reads_as(struct store *s, const char *key, const char *want, size_t len)
{
    struct store_val *v = NULL;
    int good = store_get(s, 0, fx_sl(key), &v) == STORE_OK && v->len == len &&
               memcmp(v->data, want, len) == 0;

    store_val_release(v);
    return good;
}

/* SETRANGE over much of a large fragmented value: the value moves to a new id, its
 * fragments written in batches ahead of the commit; a smaller one is rewritten in place.
 * The bytes read back either way, in a transaction too, and after a reopen. */
static void test_moved(struct store *s)
{
    const size_t len = 12u << 20, big = 9u << 20, small = 1u << 20, grow = 13u << 20;
    char *want = omk_malloc(len), *val = omk_malloc(grow);
    uint64_t id0, id1;
    size_t newlen = 0;

    store_del(s, 0, FX_SL("mv"));
    fill(want, len);
    memset(want + 5 * FMT_FRAG_BYTES, 0, 3 * FMT_FRAG_BYTES); /* fragments with no record */
    ok(store_setrange(s, 0, FX_SL("mv"), 0, fx_sl_n(want, len), SIZE_MAX, &newlen) ==
           STORE_OK && newlen == len, "a 12 MB value");
    id0 = key_st(s, "mv").id;
    fill(val, small);
    memcpy(want + 3000, val, small);
    ok(store_setrange(s, 0, FX_SL("mv"), 3000, fx_sl_n(val, small), SIZE_MAX, &newlen) ==
           STORE_OK && newlen == len, "SETRANGE of 1 MB into it");
    ok(key_st(s, "mv").id == id0 && reads_as(s, "mv", want, len),
       "  ... rewrites its fragments in place (same id) and reads back");
    fill(val, big);
    memcpy(want + 2 * FMT_FRAG_BYTES + 17, val, big);
    ok(store_setrange(s, 0, FX_SL("mv"), 2 * FMT_FRAG_BYTES + 17, fx_sl_n(val, big), SIZE_MAX,
                      &newlen) == STORE_OK && newlen == len, "SETRANGE of 9 MB into it");
    id1 = key_st(s, "mv").id;
    ok(id1 != id0 && reads_as(s, "mv", want, len),
       "  ... moves it to a new id (written in chunks, switched last) and reads back");
    fx_check_store(s, "a moved value");

    /* past the end: the value grows to 25 MB, 13 MB of it written */
    fill(val, grow);
    store_tx_begin(s);
    store_setrange(s, 0, FX_SL("mv"), len - 100, fx_sl_n(val, grow), SIZE_MAX, &newlen);
    ok(store_tx_end(s) == STORE_OK && newlen == len - 100 + grow,
       "in a transaction, SETRANGE of 13 MB from 100 bytes before the end");
    want = omk_realloc(want, newlen);
    memcpy(want + len - 100, val, grow);
    ok(key_st(s, "mv").id != id1 && reads_as(s, "mv", want, newlen),
       "  ... moves it again and reads back");
    fx_check_store(s, "a value moved in a transaction");

    /* a short string, and a missing key, made large by one SETRANGE */
    ok(store_set(s, 0, FX_SL("mv2"), FX_SL("short"), 0, 0, NULL) == STORE_OK, "SET mv2 short");
    fill(val, big);
    ok(store_setrange(s, 0, FX_SL("mv2"), 3, fx_sl_n(val, big), SIZE_MAX, &newlen) ==
           STORE_OK && newlen == 3 + big, "SETRANGE of 9 MB at its byte 3");
    memcpy(want, "sho", 3);
    memcpy(want + 3, val, big);
    ok((key_st(s, "mv2").fflags & FMT_F_FRAG) && reads_as(s, "mv2", want, newlen),
       "  ... fragmented, and reads back");
    store_del(s, 0, FX_SL("mv3"));
    ok(store_setrange(s, 0, FX_SL("mv3"), 5000, fx_sl_n(val, big), SIZE_MAX, &newlen) ==
           STORE_OK && newlen == 5000 + big, "SETRANGE of 9 MB at byte 5000 of a missing key");
    memset(want, 0, 5000);
    memcpy(want + 5000, val, big);
    ok(reads_as(s, "mv3", want, newlen), "  ... zeros, then the bytes");
    fx_check_store(s, "values made large by one SETRANGE");
    omk_free(want);
    omk_free(val);
}

int main(void)
{
    char *dir = fx_tmpdir_new("strval");
    struct store *s = fx_store_open(dir, NULL);

    set_threshold(s, THRESHOLD);
    test_sparse(s);
    test_transaction(s);
    test_moved(s);
    test_model(s, 3000, "threshold 256");
    set_threshold(s, 8192); /* values move back to whole as they are rewritten */
    test_model(s, 1500, "threshold 8192");
    store_close(s);
    s = fx_store_open(dir, NULL);
    set_threshold(s, THRESHOLD);
    for (int i = 0; i < NKEYS; i++)
        ok(matches(s, i), "after a reopen: %s reads as its model", key_of(i));
    fx_check_store(s, "a reopen");
    test_model(s, 1500, "after the reopen");
    store_close(s);
    fx_tmpdir_rm(dir);
    return tap_done();
}
