/* test_diskfull.c - the disk fills up under a running server, then space comes back
 * (invariant 3 of the write path, store/commit.c; HOW WRITES RESUME there). The test
 * mounts a 16 MB tmpfs of its own (root only; skipped when the mount fails) and runs the
 * server on it with 64 MB memtables, so that the write-ahead log alone fills the disk
 * and nothing RocksDB could delete frees space by itself. It writes incompressible 10 KB
 * values in pipelined batches of 16 until a write fails. Then:
 *   - once a write is answered with an error, no later write is acknowledged (a failed
 *     pass answers every write it carried with an error) and writes stay refused while
 *     the disk is full; every acknowledged value reads back (reads go on); INFO says
 *     rocksdb_write_failed:1; the log names the cause; DEBUG CHECK finds the index, the
 *     cache and RocksDB in agreement;
 *   - the tmpfs grows to 64 MB: within 10 s writes are accepted again, without a restart;
 *     INFO counts the resume; the values and DEBUG CHECK are as before;
 *   - kill -9 and a restart: every acknowledged value is there, and the write made after
 *     the resume.
 * The mount is undone on every exit path (atexit and fatal signals). test_rodir.c does
 * the same with a directory that turns read-only. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tproc.h"

#define VAL_LEN 10000
#define MAX_KEYS 6000 /* 60 MB: well past the 16 MB disk */
#define BATCH 16      /* SETs per pipelined batch */

static char mnt[64];
static int mounted;

/* Unmount the tmpfs (lazily, so a server still holding files cannot stop it) and
 * remove the mount point. Safe to call twice; async-signal-safe. */
static void diskfull_unmount(void)
{
    if (mounted) {
        umount2(mnt, MNT_DETACH);
        mounted = 0;
        rmdir(mnt);
    }
}

/* A fatal signal: unmount, then die of it. */
static void diskfull_on_signal(int sig)
{
    diskfull_unmount();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Value number 'i': bytes from a xorshift sequence seeded by 'i' (RocksDB cannot
 * compress them, so they really take disk space). */
static void fill_value(char *v, int i)
{
    uint64_t s = (uint64_t)i * 0x9E3779B97F4A7C15ULL + 1;

    for (int j = 0; j < VAL_LEN; j++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v[j] = (char)(s >> 56);
    }
}

/* GET df:<i> for each i whose acked[i] is set (plus df:after when 'after') and compare.
 * Returns mismatches. */
static int check_values(redisContext *c, const char *acked, int n, int after)
{
    char *want = omk_malloc(VAL_LEN);
    int bad = 0;

    for (int i = 0; i < n; i++) {
        redisReply *r;

        if (!acked[i])
            continue;
        r = cmd(c, "GET df:%d", i);
        fill_value(want, i);
        if (!r || r->type != REDIS_REPLY_STRING || r->len != VAL_LEN ||
            memcmp(r->str, want, VAL_LEN) != 0) {
            if (bad++ < 3) {
                diag("df:%d wrong", i);
                ts_diag_reply(r);
            }
        }
        freeReplyObject(r);
    }
    if (after) {
        redisReply *r = cmd(c, "GET df:after");

        bad += !(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "resumed"));
        freeReplyObject(r);
    }
    omk_free(want);
    return bad;
}

/* DEBUG CHECK: one TAP assertion that the store's self-check passes. */
static void check_store(redisContext *c, const char *when)
{
    char name[128];

    snprintf(name, sizeof(name), "DEBUG CHECK %s: the index, the cache and RocksDB agree",
             when);
    is_status(cmd(c, "DEBUG CHECK"), "OK", name);
}

int main(void)
{
    char datadir[96], *val, *acked;
    const char *args[] = {"--dir", datadir, "--rocksdb-write-buffer-size", "64mb", NULL};
    struct tserver s;
    redisContext *c;
    int nacked = 0, sent = 0, first_err = -1, ok_after_err = 0, resumed = 0, errs_ok = 1;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("needs a server of its own (OMK_TEST_SERVER is set)");
    snprintf(mnt, sizeof(mnt), "/tmp/omk-diskfull-XXXXXX");
    if (!mkdtemp(mnt))
        return tap_skip_all("cannot create a mount point");
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=16m") != 0) {
        rmdir(mnt);
        return tap_skip_all("cannot mount a tmpfs (needs root)");
    }
    mounted = 1;
    atexit(diskfull_unmount);
    signal(SIGINT, diskfull_on_signal);
    signal(SIGTERM, diskfull_on_signal);
    signal(SIGHUP, diskfull_on_signal);
    signal(SIGPIPE, diskfull_on_signal);
    signal(SIGABRT, diskfull_on_signal);
    snprintf(datadir, sizeof(datadir), "%s/data", mnt);
    if (ts_start(&s, args) != 0) {
        printf("Bail out! server did not start on the tmpfs\n");
        return 1;
    }
    diag("data on %s, server log %s", datadir, s.log);
    c = ts_connect(&s);
    val = omk_malloc(VAL_LEN);
    acked = omk_calloc(MAX_KEYS, 1);

    /* 1. Fill the disk, BATCH pipelined SETs at a time, until a batch has an error. */
    while (first_err < 0 && sent < MAX_KEYS) {
        int n = sent + BATCH <= MAX_KEYS ? BATCH : MAX_KEYS - sent;

        for (int i = sent; i < sent + n; i++) {
            fill_value(val, i);
            redisAppendCommand(c, "SET df:%d %b", i, val, (size_t)VAL_LEN);
        }
        for (int i = sent; i < sent + n; i++) {
            redisReply *r = NULL;

            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                printf("Bail out! the connection broke: %s\n", c->errstr);
                return 1;
            }
            if (r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK")) {
                acked[i] = 1;
                nacked++;
                ok_after_err += first_err >= 0;
            } else {
                errs_ok &= r->type == REDIS_REPLY_ERROR && !strcmp(r->str, "ERR storage error");
                if (first_err < 0)
                    first_err = i;
            }
            freeReplyObject(r);
        }
        sent += n;
    }
    ok(nacked > 100 && first_err > 0, "writes succeed until the 16 MB disk is full (%d)", nacked);
    ok(errs_ok, "then writes get '-ERR storage error' (no hang, no dropped connection)");
    is_int(ok_after_err, 0, "no write after the first error is acknowledged (its pass failed)");
    ok(waitpid(s.pid, NULL, WNOHANG) == 0, "the server is still running");
    is_error(cmd(c, "SET another x"), "ERR storage error", "a later write is refused");

    /* 2. Reads go on; INFO and the log say what happened; RAM agrees with RocksDB. */
    is_int(check_values(c, acked, sent, 0), 0, "all %d acknowledged values read back", nacked);
    is_int(ts_info_field(c, "persistence", "rocksdb_write_failed"), 1,
           "INFO: rocksdb_write_failed:1");
    ok(ts_info_field(c, "persistence", "rocksdb_write_failed_since") > 0,
       "INFO: rocksdb_write_failed_since is set");
    ok(ts_info_field(c, "stats", "rocksdb_io_errors") > 0, "INFO: rocksdb_io_errors counted");
    ok(tp_log_has(&s, "No space left on device"), "the log says: No space left on device");
    ok(tp_log_has(&s, "Writes are refused from now on"), "the log says writes are refused");
    check_store(c, "while the disk is full");
    tp_sleep_ms(2500); /* the resume probes the disk once a second */
    ok(waitpid(s.pid, NULL, WNOHANG) == 0 && !c->err,
       "the server survived the full disk (still running 2.5 s later)");
    is_error(cmd(c, "SET another x"), "ERR storage error",
             "writes stay refused while the disk is full");
    ok(tp_log_has(&s, "Writes refused for"), "the log says why they stay refused");

    /* 3. Space comes back: writes resume without a restart. */
    ok(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, "size=64m") == 0, "the disk grows to 64 MB");
    for (int i = 0; i < 100 && !resumed; i++) {
        redisReply *r = cmd(c, "SET df:after resumed");

        resumed = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (!resumed)
            tp_sleep_ms(100);
    }
    ok(resumed, "within 10 s writes are accepted again, without a restart");
    is_str(cmd(c, "GET df:after"), "resumed", 7, "the new value reads back");
    ok(ts_info_field(c, "persistence", "rocksdb_write_failed") == 0 &&
           ts_info_field(c, "persistence", "rocksdb_resumes") == 1,
       "INFO: rocksdb_write_failed:0, rocksdb_resumes:1");
    ok(tp_log_has(&s, "Writes resumed without a restart"), "the log says writes resumed");
    is_int(check_values(c, acked, sent, 1), 0, "all %d acknowledged values are still there",
           nacked);
    check_store(c, "after the resume");

    /* 4. A crash now loses nothing acknowledged. */
    redisFree(c);
    ts_kill9(&s);
    if (!ok(ts_restart(&s) == 0, "kill -9, then the server starts again on the same disk")) {
        omk_free(acked);
        omk_free(val);
        ts_cleanup(&s);
        return tap_done();
    }
    c = ts_connect(&s);
    is_int(check_values(c, acked, sent, 1), 0,
           "after the restart all %d acknowledged values and the one written after the "
           "resume are there", nacked);
    is_status(cmd(c, "SET df:restarted yes"), "OK", "and writes succeed after the restart");
    check_store(c, "after the restart");
    redisFree(c);
    omk_free(acked);
    omk_free(val);
    ts_cleanup(&s);
    diskfull_unmount();
    return tap_done();
}
