/* test_store_resume.c - writes come back after a failed log write (store/commit.c, HOW
 * WRITES RESUME), at the store level and without root: an injected failure of the log
 * flush answers the pass that carried writes with an error, later writes are refused
 * while reads go on and RAM keeps what it had, and within seconds the everysec thread
 * reopens RocksDB; RAM then agrees with RocksDB (store_check), writes are accepted
 * again, and a pass (or a transaction) whose writes a reopen may have dropped is
 * answered with an error.
 * tests/integ/test_diskfull.c does the same with a real full disk and a real read-only
 * directory. */
#include "config.h"

#include "store/store_internal.h"
#include "tests/unit/store_fixture.h"

/* Poll (up to 'ms') until the store has resumed 'want' times; returns its stats. */
static struct store_stats wait_resumes(struct store *s, uint64_t want, int ms)
{
    struct store_stats st;

    for (int waited = 0;; waited += 20) {
        store_stats_get(s, &st);
        if (st.resumes >= want || waited >= ms)
            return st;
        fx_sleep_ms(20);
    }
}

static int set_str(struct store *s, const char *k, const char *v)
{
    return store_set(s, 0, fx_sl(k), fx_sl(v), 0, 0, NULL);
}

/* Whether 'k' reads as 'v' (NULL: missing). */
static int str_is(struct store *s, const char *k, const char *v)
{
    struct store_val *got = NULL;
    int rc = store_get(s, 0, fx_sl(k), &got), same;

    if (!v)
        return rc == STORE_NOTFOUND;
    same = rc == STORE_OK && got->len == strlen(v) && memcmp(got->data, v, got->len) == 0;
    store_val_release(got);
    return same;
}

int main(void)
{
    char *dir = fx_tmpdir_new("resume");
    struct store *s = fx_store_open(dir, NULL);
    struct store_stats st;
    uint64_t t;

    is_int(set_str(s, "a", "1"), STORE_OK, "a write before the failure (flushed at once)");

    /* A worker's pass: its commits only append, and its store_durable() fails. */
    store_defer_flush(1);
    is_int(set_str(s, "b", "2"), STORE_OK, "a pass appends a write");
    t = store_ticket(s);
    store_test_fail_next(s, ROCKS_OP_SYNC, STORE_ERR_IO);
    is_int(store_durable(s, t), STORE_ERR_IO, "its log write fails: the pass gets an error");
    store_stats_get(s, &st);
    ok(st.writes_refused == 1 && st.refused_since_ms > 0 && st.resumes == 0,
       "the store reports the refusal (writes_refused 1, since %lld)",
       (long long)st.refused_since_ms);
    is_int(set_str(s, "c", "3"), STORE_ERR_IO, "a later write is refused");
    is_int(store_del(s, 0, fx_sl("a")), STORE_ERR_IO, "so is a delete");
    ok(str_is(s, "a", "1"), "reads go on");
    ok(str_is(s, "b", "2") && str_is(s, "c", NULL),
       "nothing is rolled back in RAM, and nothing refused is there");
    is_int(store_dbsize(s, 0), 2, "the counters hold the two writes");
    fx_check_store(s, "the failure (RAM agrees with RocksDB's memtable)");

    /* The everysec thread probes the directory, reopens RocksDB and rebuilds RAM. */
    st = wait_resumes(s, 1, 10000);
    is_int(st.resumes, 1, "within 10 s the store resumed by itself");
    ok(st.writes_refused == 0 && st.refused_since_ms == 0 && !st.read_only,
       "and reports writes accepted again");
    fx_check_store(s, "the resume (the index and the cache rebuilt from RocksDB)");
    ok(str_is(s, "a", "1"), "the acknowledged write is there");
    diag("b, never acknowledged, is %s after the reopen", str_is(s, "b", "2") ? "kept" : "gone");
    is_int(set_str(s, "c", "3"), STORE_OK, "writes are accepted again");
    is_int(store_durable(s, store_ticket(s)), STORE_OK, "and reach the log");

    /* A pass whose thread appended before a reopen loses those writes: its
     * store_durable() must fail even though the new log is healthy. */
    is_int(set_str(s, "d", "4"), STORE_OK, "a pass appends a write");
    t = store_ticket(s);
    store_test_fail_next(s, ROCKS_OP_SYNC, STORE_ERR_IO);
    is_int(store_sync_wal(s), STORE_ERR_IO, "another thread's log write fails before the "
                                            "pass ends");
    st = wait_resumes(s, 2, 10000);
    is_int(st.resumes, 2, "the store resumes again");
    is_int(store_durable(s, t), STORE_ERR_IO,
           "the pass is answered with an error: the reopen may have dropped its write");
    is_int(store_durable(s, store_ticket(s)), STORE_OK, "the next pass is not");

    /* A transaction (MULTI/EXEC) open across a resume: its batch gathered before the
     * reopen was dropped from RAM with the rest, so none of it may be written. */
    store_tx_begin(s);
    is_int(set_str(s, "t1", "x"), STORE_OK, "a transaction gathers a write");
    store_test_fail_next(s, ROCKS_OP_SYNC, STORE_ERR_IO);
    is_int(store_sync_wal(s), STORE_ERR_IO, "a log write fails while it is open");
    st = wait_resumes(s, 3, 10000);
    is_int(st.resumes, 3, "the store resumes");
    is_int(set_str(s, "t2", "y"), STORE_ERR_IO, "a later command of the transaction fails");
    is_int(store_tx_end(s), STORE_ERR_IO, "and so does the transaction, writing nothing");
    is_int(store_durable(s, store_ticket(s)), STORE_ERR_IO, "its pass is answered with an "
                                                             "error");
    ok(str_is(s, "t1", NULL) && str_is(s, "t2", NULL), "neither write is anywhere");
    store_defer_flush(0);
    fx_check_store(s, "the third resume");
    store_close(s);

    /* A clean close after a resume leaves a store that opens as usual. */
    s = fx_store_open(dir, NULL);
    ok(str_is(s, "a", "1") && str_is(s, "c", "3"), "after a restart the acknowledged writes "
                                                   "are there");
    store_close(s);
    fx_tmpdir_rm(dir);
    return tap_done();
}
