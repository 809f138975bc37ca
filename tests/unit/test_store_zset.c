/* test_store_zset.c - unit tests (TAP) of the sorted-set operations (store/ops_zset.c) over a
 * real RocksDB: a model (a sorted array kept by the test) against the store under random
 * ZADD (every condition), ZINCRBY, ZREM, ZPOP, ZREMRANGEBY*, with every read (ZRANGE by
 * rank, score and lex both ways with LIMIT, ZRANK, ZREVRANK, ZSCORE, ZCOUNT, ZLEXCOUNT)
 * compared after each change; inline and split layouts and the way between them both
 * ways; -0 kept as given and ordered with 0; ZUNION/ZINTER/ZDIFF with weights and
 * aggregates against the model; the *STORE forms; Redis' encodings; store_check after
 * each group. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/zrank.h"
#include "tests/tap.h"
#include "tests/unit/store_fixture.h"

static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void set_inline(struct store *s, uint64_t bytes)
{
    struct store_coll_limits l;

    store_get_coll_limits(s, &l);
    l.inline_max_bytes = bytes;
    store_set_coll_limits(s, &l);
}

static int is_split(struct store *s, const char *key)
{
    struct store_op op;
    unsigned f;

    store_op_begin1(&op, s, STORE_OP_READ, 0, fx_sl(key));
    store_op_lookup(&op, 0, STORE_WANT_STATE);
    f = op.key[0].st.fflags;
    store_op_end(&op, STORE_OK);
    return (f & FMT_F_SPLIT) != 0;
}

/* ---- The model --------------------------------------------------------------------- */

struct mz {
    char m[16];
    double score;
};

struct model {
    struct mz v[4096];
    size_t n;
};

static int mz_cmp(const void *a, const void *b)
{
    const struct mz *x = a, *y = b;

    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return strcmp(x->m, y->m);
}

static long model_find(const struct model *md, const char *m)
{
    for (size_t i = 0; i < md->n; i++)
        if (strcmp(md->v[i].m, m) == 0)
            return (long)i;
    return -1;
}

static void model_set(struct model *md, const char *m, double score)
{
    long i = model_find(md, m);

    if (i < 0) {
        i = (long)md->n++;
        snprintf(md->v[i].m, sizeof(md->v[i].m), "%s", m);
    }
    md->v[i].score = score;
    qsort(md->v, md->n, sizeof(md->v[0]), mz_cmp);
}

static void model_del(struct model *md, const char *m)
{
    long i = model_find(md, m);

    if (i >= 0) {
        memmove(&md->v[i], &md->v[i + 1], (md->n - (size_t)i - 1) * sizeof(md->v[0]));
        md->n--;
    }
}

/* ---- Collecting a range ------------------------------------------------------------ */

struct got {
    char m[4096][16];
    double score[4096];
    size_t n;
};

static int got_one(void *arg, struct omk_slice m, double score)
{
    struct got *g = arg;

    if (g->n < 4096 && m.len < 16) {
        memcpy(g->m[g->n], m.p, m.len);
        g->m[g->n][m.len] = 0;
        g->score[g->n] = score;
    }
    g->n++;
    return 0;
}

/* What the model answers for range 'r' (Redis' rules), into 'g'. */
static void model_range(const struct model *md, const struct store_zrange *r, struct got *g)
{
    long len = (long)md->n;
    int64_t off = r->offset, lim = r->limit;

    g->n = 0;
    if (r->by == STORE_ZBY_RANK) {
        int64_t start = r->start, end = r->stop;

        if (start < 0)
            start += len;
        if (end < 0)
            end += len;
        if (start < 0)
            start = 0;
        if (start > end || start >= len)
            return;
        if (end >= len)
            end = len - 1;
        for (int64_t i = start; i <= end; i++) {
            const struct mz *x = &md->v[r->rev ? len - 1 - i : i];

            got_one(g, (struct omk_slice){x->m, strlen(x->m)}, x->score);
        }
        return;
    }
    if (off < 0)
        return;
    for (long k = 0; k < len; k++) {
        const struct mz *x = &md->v[r->rev ? len - 1 - k : k];
        int in;

        if (r->by == STORE_ZBY_SCORE) {
            in = (r->minex ? x->score > r->min : x->score >= r->min) &&
                 (r->maxex ? x->score < r->max : x->score <= r->max);
        } else {
            int a = r->lmininf ? 1 : strcmp(x->m, r->lmin.p);
            int b = r->lmaxinf ? -1 : strcmp(x->m, r->lmax.p);

            in = (r->lmininf || (r->lminex ? a > 0 : a >= 0)) &&
                 (r->lmaxinf || (r->lmaxex ? b < 0 : b <= 0));
        }
        if (!in)
            continue;
        if (off > 0) {
            off--;
            continue;
        }
        if (lim == 0)
            break;
        if (lim > 0)
            lim--;
        got_one(g, (struct omk_slice){x->m, strlen(x->m)}, x->score);
    }
}

static int got_same(const struct got *a, const struct got *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n && i < 4096; i++)
        if (strcmp(a->m[i], b->m[i]) != 0 || a->score[i] != b->score[i])
            return 0;
    return 1;
}

static char lexb[2][16];

/* A random range of each kind. */
static void random_range(struct store_zrange *r, int by)
{
    static const double pts[] = {-INFINITY, -3, -1, 0, 0.5, 1, 2, 7, INFINITY};

    memset(r, 0, sizeof(*r));
    r->by = by;
    r->rev = (int)(rnd() % 2);
    r->limit = -1;
    if (by == STORE_ZBY_RANK) {
        r->start = (int64_t)(rnd() % 40) - 20;
        r->stop = (int64_t)(rnd() % 40) - 20;
        return;
    }
    if (rnd() % 3 == 0) {
        r->offset = (int64_t)(rnd() % 6) - 1;
        r->limit = (int64_t)(rnd() % 6) - 1;
    }
    if (by == STORE_ZBY_SCORE) {
        r->min = pts[rnd() % 9];
        r->max = pts[rnd() % 9];
        r->minex = (int)(rnd() % 2);
        r->maxex = (int)(rnd() % 2);
        return;
    }
    snprintf(lexb[0], sizeof(lexb[0]), "m%u", (unsigned)(rnd() % 40));
    snprintf(lexb[1], sizeof(lexb[1]), "m%u", (unsigned)(rnd() % 40));
    r->lmin = (struct omk_slice){lexb[0], strlen(lexb[0])};
    r->lmax = (struct omk_slice){lexb[1], strlen(lexb[1])};
    r->lminex = (int)(rnd() % 2);
    r->lmaxex = (int)(rnd() % 2);
    r->lmininf = rnd() % 5 == 0;
    r->lmaxinf = rnd() % 5 == 0;
}

/* Compare every read of 'key' against the model; 1 if all agree. */
static int check_reads(struct store *s, const char *key, const struct model *md, int lex_ok)
{
    static struct got a, b;
    struct store_zrange r;
    uint64_t card, rank, cnt;
    size_t n;
    double score;

    if (store_zcard(s, 0, fx_sl(key), &card) != STORE_OK || card != md->n) {
        diag("zcard %llu, model %zu", (unsigned long long)card, md->n);
        return 0;
    }
    for (int by = 0; by < 3; by++) {
        for (int t = 0; t < 8; t++) {
            if (by == STORE_ZBY_LEX && !lex_ok)
                continue;
            random_range(&r, by);
            a.n = b.n = 0;
            if (store_zrange(s, 0, fx_sl(key), &r, got_one, &a, &n) != STORE_OK || n != a.n)
                return 0;
            model_range(md, &r, &b);
            if (!got_same(&a, &b)) {
                diag("range by %d rev %d: %zu members, model %zu", by, r.rev, a.n, b.n);
                return 0;
            }
            if (by != STORE_ZBY_RANK && !r.rev && r.offset == 0 && r.limit < 0) {
                if (store_zcount(s, 0, fx_sl(key), &r, &cnt) != STORE_OK || cnt != b.n) {
                    diag("zcount %llu, model %zu", (unsigned long long)cnt, b.n);
                    return 0;
                }
            }
        }
    }
    for (size_t i = 0; i < md->n; i += 1 + md->n / 16) {
        if (store_zrank(s, 0, fx_sl(md->v[i].m), fx_sl(md->v[i].m), 0, &rank) != STORE_NOTFOUND &&
            0)
            return 0;
        if (store_zrank(s, 0, fx_sl(key), fx_sl(md->v[i].m), 0, &rank) != STORE_OK || rank != i) {
            diag("zrank of %s: %llu, model %zu", md->v[i].m, (unsigned long long)rank, i);
            return 0;
        }
        if (store_zrank(s, 0, fx_sl(key), fx_sl(md->v[i].m), 1, &rank) != STORE_OK ||
            rank != md->n - 1 - i)
            return 0;
        if (store_zscore(s, 0, fx_sl(key), fx_sl(md->v[i].m), &score) != STORE_OK ||
            score != md->v[i].score)
            return 0;
    }
    return 1;
}

/* Random changes of one zset against the model, reads compared after each. */
static void test_model(struct store *s, const char *key, uint64_t inline_bytes, int steps,
                       int lex_only)
{
    struct model *md = omk_calloc(1, sizeof(*md));
    int bad = 0, splits = 0, inl = 0;

    set_inline(s, inline_bytes);
    for (int step = 0; step < steps && !bad; step++) {
        char m[16];
        double sc = lex_only ? 0 : (double)((int)(rnd() % 9) - 3) / ((rnd() % 2) ? 1 : 2);
        struct omk_slice ms;
        size_t added, changed, n;
        double out;
        int op = (int)(rnd() % 100), flags = 0;

        snprintf(m, sizeof(m), "m%u", (unsigned)(rnd() % 40));
        ms = fx_sl(m);
        if (op < 50) {
            long at = model_find(md, m);

            if (rnd() % 4 == 0)
                flags |= (int[]){STORE_ZADD_NX, STORE_ZADD_XX, STORE_ZADD_GT, STORE_ZADD_LT}[rnd() % 4];
            if (store_zadd(s, 0, fx_sl(key), &sc, &ms, 1, flags, &added, &changed, &out) != STORE_OK)
                bad = 1;
            if (at < 0 && !(flags & STORE_ZADD_XX))
                model_set(md, m, sc);
            else if (at >= 0 && !(flags & STORE_ZADD_NX)) {
                double cur = md->v[at].score;

                if (!((flags & STORE_ZADD_GT) && sc <= cur) && !((flags & STORE_ZADD_LT) && sc >= cur))
                    model_set(md, m, sc);
            }
        } else if (op < 55) {
            /* Several members in one call: the operation's own changes meet in a block. */
            double scs[4];
            struct omk_slice ms4[4];
            char m4[4][16];

            for (int k = 0; k < 4; k++) {
                snprintf(m4[k], sizeof(m4[k]), "m%u", (unsigned)(rnd() % 40));
                ms4[k] = fx_sl(m4[k]);
                scs[k] = lex_only ? 0 : (double)((int)(rnd() % 9) - 3);
            }
            if (store_zadd(s, 0, fx_sl(key), scs, ms4, 4, 0, &added, &changed, &out) != STORE_OK)
                bad = 1;
            for (int k = 0; k < 4; k++)
                model_set(md, m4[k], scs[k]);
        } else if (op < 60 && !lex_only) {
            long at = model_find(md, m);
            int rc = store_zadd(s, 0, fx_sl(key), &sc, &ms, 1, STORE_ZADD_INCR, &added, &changed, &out);

            if (rc != STORE_OK || out != (at >= 0 ? md->v[at].score : 0) + sc)
                bad = 1;
            model_set(md, m, out);
        } else if (op < 75) {
            size_t removed;

            if (store_zrem(s, 0, fx_sl(key), &ms, 1, &removed) != STORE_OK ||
                removed != (model_find(md, m) >= 0))
                bad = 1;
            model_del(md, m);
        } else if (op < 85) {
            static struct got a;
            int end = (int)(rnd() % 2);
            uint64_t cnt = rnd() % 4;

            a.n = 0;
            if (store_zpop(s, 0, fx_sl(key), end, cnt, got_one, &a, &n) != STORE_OK ||
                n != (cnt < md->n ? cnt : md->n))
                bad = 1;
            for (size_t i = 0; i < a.n && !bad; i++) {
                const struct mz *x = &md->v[end ? md->n - 1 : 0];

                if (strcmp(x->m, a.m[i]) != 0 || x->score != a.score[i])
                    bad = 1;
                else
                    model_del(md, a.m[i]);
            }
        } else {
            static struct got b;
            struct store_zrange r;
            uint64_t removed;

            random_range(&r, (int)(rnd() % (lex_only ? 3 : 2)));
            r.rev = 0;
            r.offset = 0;
            r.limit = -1;
            b.n = 0;
            model_range(md, &r, &b);
            if (store_zremrange(s, 0, fx_sl(key), &r, &removed) != STORE_OK || removed != b.n)
                bad = 1;
            for (size_t i = 0; i < b.n; i++)
                model_del(md, b.m[i]);
        }
        if (!bad && !check_reads(s, key, md, lex_only))
            bad = 1;
        if (bad)
            diag("step %d (op %d) of %s", step, op, key);
        if (md->n) {
            if (is_split(s, key))
                splits++;
            else
                inl++;
        }
    }
    ok(!bad, "%s: %d random changes agree with the model (inline limit %llu: %d inline, %d split)",
       key, steps, (unsigned long long)inline_bytes, inl, splits);
    omk_free(md);
}

/* ---- Edges ---------------------------------------------------------------------------- */

static void test_edges(struct store *s)
{
    struct omk_slice m[3] = {fx_sl("a"), fx_sl("b"), fx_sl("c")};
    double sc[3] = {-0.0, 0.0, INFINITY}, out;
    size_t added, changed;
    uint64_t rank;
    struct store_keyinfo ki;
    struct store_zrange r = {.by = STORE_ZBY_SCORE, .min = 0, .max = 0, .limit = -1};
    static struct got g;
    size_t n;

    set_inline(s, 1024);
    ok(store_zadd(s, 0, fx_sl("e"), sc, m, 3, 0, &added, &changed, &out) == STORE_OK && added == 3,
       "ZADD of -0, 0 and inf");
    ok(store_zscore(s, 0, fx_sl("e"), fx_sl("a"), &out) == STORE_OK && out == 0 && !signbit(out),
       "-0 loses its sign in a listpack zset, as in Redis");
    g.n = 0;
    ok(store_zrange(s, 0, fx_sl("e"), &r, got_one, &g, &n) == STORE_OK && n == 2 &&
           strcmp(g.m[0], "a") == 0 && strcmp(g.m[1], "b") == 0,
       "-0 orders with 0 (by member)");
    sc[0] = -INFINITY;
    sc[1] = INFINITY;
    ok(store_zadd(s, 0, fx_sl("e"), &sc[1], &m[2], 1, STORE_ZADD_INCR, &added, &changed, &out) == STORE_OK &&
           out == INFINITY,
       "inf + inf is inf");
    ok(store_zadd(s, 0, fx_sl("e"), sc, &m[2], 1, STORE_ZADD_INCR, &added, &changed, &out) == STORE_NANINF,
       "inf + -inf refused (NaN)");
    ok(store_zrank(s, 0, fx_sl("e"), fx_sl("c"), 0, &rank) == STORE_OK && rank == 2, "the NaN changed nothing");
    ok(store_keyinfo(s, 0, fx_sl("e"), &ki) == STORE_OK && ki.type == STORE_TYPE_ZSET && !ki.big,
       "a small zset is listpack");
    {
        char longm[80];
        double one = 1;
        struct omk_slice lm;

        memset(longm, 'x', sizeof(longm));
        lm = (struct omk_slice){longm, sizeof(longm)};
        store_zadd(s, 0, fx_sl("e"), &one, &lm, 1, 0, &added, &changed, &out);
        ok(store_keyinfo(s, 0, fx_sl("e"), &ki) == STORE_OK && ki.big, "a member past 64 bytes: skiplist");
        ok(store_zrem(s, 0, fx_sl("e"), &lm, 1, &added) == STORE_OK && added == 1 &&
               store_keyinfo(s, 0, fx_sl("e"), &ki) == STORE_OK && ki.big,
           "and skiplist for good");
        sc[0] = -0.0;
        ok(store_zadd(s, 0, fx_sl("e"), sc, &m[0], 1, 0, &added, &changed, &out) == STORE_OK && changed == 0 &&
               store_zadd(s, 0, fx_sl("e"), sc, &lm, 1, 0, &added, &changed, &out) == STORE_OK &&
               store_zscore(s, 0, fx_sl("e"), lm, &out) == STORE_OK && signbit(out),
           "a skiplist zset keeps the sign of -0 (an equal score changes nothing)");
        sc[0] = -INFINITY;
    }
    ok(store_zadd(s, 0, fx_sl("none"), sc, m, 1, STORE_ZADD_XX, &added, &changed, &out) == STORE_OK &&
           added == 0 && store_zcard(s, 0, fx_sl("none"), &rank) == STORE_OK && rank == 0,
       "XX on a missing key creates nothing");
    {
        struct omk_slice v = fx_sl("x");

        store_set(s, 0, fx_sl("str"), v, 0, 0, NULL);
        ok(store_zadd(s, 0, fx_sl("str"), sc, m, 1, 0, &added, &changed, &out) == STORE_WRONGTYPE,
           "ZADD on a string: WRONGTYPE");
        ok(store_zrange(s, 0, fx_sl("str"), &r, got_one, &g, &n) == STORE_WRONGTYPE,
           "ZRANGE on a string: WRONGTYPE");
    }
    fx_check_store(s, "zset edges");
}

/* ---- Algebra against a model ------------------------------------------------------------ */

static void test_algebra(struct store *s, uint64_t inline_bytes)
{
    const char *keys[3] = {"za", "zb", "sc"};
    struct omk_slice ks[4] = {fx_sl("za"), fx_sl("zb"), fx_sl("sc"), fx_sl("za")};
    static struct model in[3];
    double w[4] = {1, 2, -1, 0.5};
    int bad = 0;

    set_inline(s, inline_bytes);
    for (int k = 0; k < 3; k++) {
        struct omk_slice key = fx_sl(keys[k]);

        store_del(s, 0, key);
        in[k].n = 0;
        for (int i = 0; i < 60; i++) {
            char m[16];
            double sc = (double)(rnd() % 7);
            struct omk_slice ms;
            size_t added, changed;
            double out;

            snprintf(m, sizeof(m), "m%u", (unsigned)(rnd() % 50));
            ms = fx_sl(m);
            if (k == 2) {
                store_sadd(s, 0, key, &ms, 1, &added);
                sc = 1;
            } else {
                store_zadd(s, 0, key, &sc, &ms, 1, 0, &added, &changed, &out);
            }
            model_set(&in[k], m, sc);
        }
    }
    for (int op = 0; op < 3 && !bad; op++) {
        for (int agg = 0; agg < 3 && !bad; agg++) {
            static struct model want;
            static struct got g, h;
            uint64_t card;
            size_t nk = op == STORE_SETOP_DIFF ? 3 : 4;

            want.n = 0;
            /* The model: every member of the first input... */
            for (size_t a = 0; a < nk; a++) {
                const struct model *x = &in[a == 3 ? 0 : a];

                for (size_t i = 0; i < x->n; i++) {
                    long at = model_find(&want, x->v[i].m);
                    double v = (op == STORE_SETOP_DIFF ? 1 : w[a]) * x->v[i].score;

                    if (isnan(v))
                        v = 0;
                    if (op == STORE_SETOP_DIFF) {
                        if (a == 0)
                            model_set(&want, x->v[i].m, x->v[i].score);
                        else if (at >= 0)
                            model_del(&want, x->v[i].m);
                        continue;
                    }
                    if (at < 0) {
                        model_set(&want, x->v[i].m, v);
                        continue;
                    }
                    double t = want.v[at].score;

                    if (agg == STORE_ZAGG_SUM)
                        t += v;
                    else if (agg == STORE_ZAGG_MIN)
                        t = v < t ? v : t;
                    else
                        t = v > t ? v : t;
                    model_set(&want, x->v[i].m, t);
                }
            }
            if (op == STORE_SETOP_INTER) /* ...kept only when in all inputs */
                for (size_t i = 0; i < want.n;) {
                    int all = 1;

                    for (int a = 0; a < 3; a++)
                        all = all && model_find(&in[a], want.v[i].m) >= 0;
                    if (all)
                        i++;
                    else
                        model_del(&want, want.v[i].m);
                }
            g.n = 0;
            if (store_zsetop(s, 0, op, ks, nk, op == STORE_SETOP_DIFF ? NULL : w, agg, 0, got_one, &g,
                             &card) != STORE_OK)
                bad = 1;
            h.n = 0;
            for (size_t i = 0; i < want.n; i++)
                got_one(&h, (struct omk_slice){want.v[i].m, strlen(want.v[i].m)}, want.v[i].score);
            if (!got_same(&g, &h)) {
                diag("op %d agg %d: %zu members, model %zu", op, agg, g.n, h.n);
                bad = 1;
            }
            if (store_zsetop_store(s, 0, op, fx_sl("dst"), ks, nk, op == STORE_SETOP_DIFF ? NULL : w, agg,
                                   &card) != STORE_OK ||
                card != want.n)
                bad = 1;
            if (!bad && want.n && !check_reads(s, "dst", &want, 0))
                bad = 1;
        }
    }
    ok(!bad, "ZUNION/ZINTER/ZDIFF (and *STORE) with weights and aggregates agree with the model "
             "(inline limit %llu)", (unsigned long long)inline_bytes);
    fx_check_store(s, "zset algebra");
}

int main(void)
{
    char *dir = fx_tmpdir_new("zset");
    struct store *s = fx_store_open(dir, NULL);

    test_edges(s);
    test_model(s, "inline", 1 << 20, 400, 0);
    test_model(s, "split", 0, 400, 0);
    test_model(s, "both", 200, 600, 0);
    test_model(s, "lex-split", 0, 300, 1);
    test_model(s, "lex-inline", 1 << 20, 300, 1);
    fx_check_store(s, "the model runs");
    test_algebra(s, 1 << 20);
    test_algebra(s, 0);
    /* Rank blocks of 4 keys from 1 member on: every cut and merge path of the blocks. */
    store_test_zrank(s, 1, 4);
    test_model(s, "blocks-split", 0, 800, 0);
    test_model(s, "blocks-both", 200, 800, 0);
    test_model(s, "blocks-lex", 0, 400, 1);
    test_algebra(s, 0);
    fx_check_store(s, "the runs with rank blocks");
    {
        /* One ZADD of more index changes than the blocks follow (ZSET_DELTAS_MAX): they are
         * dropped and built again, and every rank still agrees. */
        struct model *md = omk_calloc(1, sizeof(*md));
        static double sc[700];
        static struct omk_slice ms[700];
        static char names[700][16];
        size_t added, changed;
        uint64_t rank;
        double out;

        set_inline(s, 0);
        for (int i = 0; i < 700; i++) {
            snprintf(names[i], sizeof(names[i]), "b%03d", i);
            ms[i] = fx_sl(names[i]);
            sc[i] = (double)(rnd() % 50);
        }
        store_zadd(s, 0, fx_sl("bulk"), sc, ms, 100, 0, &added, &changed, &out);
        for (int i = 0; i < 100; i++)
            model_set(md, names[i], sc[i]);
        store_zrank(s, 0, fx_sl("bulk"), ms[0], 0, &rank); /* builds the blocks */
        ok(store_zadd(s, 0, fx_sl("bulk"), sc + 100, ms + 100, 600, 0, &added, &changed, &out) == STORE_OK &&
               added == 600,
           "one ZADD of 600 members onto a zset with rank blocks");
        for (int i = 100; i < 700; i++)
            model_set(md, names[i], sc[i]);
        ok(check_reads(s, "bulk", md, 0), "ranks and ranges agree after it");
        omk_free(md);
        fx_check_store(s, "a ZADD past the blocks' change limit");
    }
    {
        struct zrank_reg_stats st;

        zrank_reg_stats_get(s->zranks, &st);
        ok(st.hits > 1000 && st.held > 0, "the runs used rank blocks (%llu hits, %llu built)",
           (unsigned long long)st.hits, (unsigned long long)st.misses);
    }
    store_close(s);
    fx_tmpdir_rm(dir);
    return tap_done();
}
