/* test_diskfull.c - the disk fills up under a running server. The test mounts a 16 MB
 * tmpfs of its own (root only; skipped when the mount fails), runs the server on it with
 * a 1 MB write buffer and writes incompressible 10 KB values until a write fails. Then:
 * the write got an error reply (no crash, no hang), every acknowledged value still
 * reads back, INFO counts rocksdb_io_errors and the log names the cause, and the
 * server is still running. The tmpfs is then grown to 64 MB. Whether writes resume
 * without a restart is RocksDB's call today: with RocksDB 7.8, after a failed memtable
 * flush (an .sst) its error handler retries and writes resume within a second or two,
 * and the test checks the new value reads back; after a failed WAL append they may not
 * (DB::Resume is not in its C API) until the server restarts, and that check is a TAP
 * SKIP. Finally kill -9 and a restart: nothing acknowledged is lost, nor the write made
 * after a resume, and writes succeed.
 * The mount is undone on every exit path (atexit and fatal signals). */
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

/* GET df:<i> for i < n (plus df:after when 'after') and compare. Returns mismatches. */
static int check_values(redisContext *c, int n, int after)
{
    char *want = omk_malloc(VAL_LEN);
    int bad = 0;

    for (int i = 0; i < n; i++) {
        redisReply *r = cmd(c, "GET df:%d", i);

        fill_value(want, i);
        if (!r || r->type != REDIS_REPLY_STRING || r->len != VAL_LEN ||
            memcmp(r->str, want, VAL_LEN) != 0) {
            if (bad++ < 3)
                diag("df:%d wrong", i);
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

int main(void)
{
    char datadir[96], *val;
    const char *args[] = {"--dir", datadir, "--rocksdb-write-buffer-size", "1mb", NULL};
    struct tserver s;
    redisContext *c;
    redisReply *r = NULL;
    int acked = 0, resumed = 0, alive;
    long long errs = -1;

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

    /* 1. Fill the disk. */
    for (int i = 0; i < MAX_KEYS; i++) {
        fill_value(val, i);
        r = cmd(c, "SET df:%d %b", i, val, (size_t)VAL_LEN);
        if (!r || r->type != REDIS_REPLY_STATUS)
            break;
        acked++;
        freeReplyObject(r);
        r = NULL;
    }
    ok(acked > 100 && acked < MAX_KEYS, "writes succeed until the 16 MB disk is full (%d)", acked);
    if (!ok(r && r->type == REDIS_REPLY_ERROR && !strcmp(r->str, "ERR storage error"),
            "then a write gets '-ERR storage error' (no hang, no dropped connection)"))
        ts_diag_reply(r);
    freeReplyObject(r);
    ok(waitpid(s.pid, NULL, WNOHANG) == 0, "the server is still running");
    is_error(cmd(c, "SET another x"), "ERR storage error", "later writes fail the same way");

    /* 2. Reads keep working; INFO and the log say what happened. */
    is_int(check_values(c, acked, 0), 0, "all %d acknowledged values read back", acked);
    r = cmd(c, "INFO all");
    if (r && r->type == REDIS_REPLY_STRING && strstr(r->str, "rocksdb_io_errors:"))
        errs = atoll(strstr(r->str, "rocksdb_io_errors:") + 18);
    freeReplyObject(r);
    ok(errs > 0, "INFO: rocksdb_io_errors:%lld", errs);
    ok(tp_log_has(&s, "No space left on device"), "the log says: No space left on device");
    tp_sleep_ms(1500); /* let the everysec WAL sync and RocksDB's retries run */
    alive = waitpid(s.pid, NULL, WNOHANG) == 0 && !c->err;
    if (!ok(alive, "the server survived the full disk (still running 1.5 s later)")) {
        diag("log: %s", s.log);
        s.pid = 0;
    }

    /* 3. Space comes back: do writes resume without a restart? RocksDB decides. */
    ok(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, "size=64m") == 0, "the disk grows to 64 MB");
    if (!alive) {
        /* A dead server cannot reopen a full disk; with space it must, keeping all. */
        ok(ts_restart(&s) == 0, "it starts again now (the rest checks what it kept)");
        redisFree(c);
        c = ts_connect(&s);
    }
    for (int i = 0; i < 50 && !resumed; i++) {
        r = cmd(c, "SET df:after resumed");
        resumed = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (!resumed)
            tp_sleep_ms(200);
    }
    if (!alive) {
        ok(resumed, "after the restart writes succeed again");
    } else if (resumed) {
        is_str(cmd(c, "GET df:after"), "resumed", 7,
               "writes resumed without a restart: the new value reads back");
    } else {
        /* A TAP SKIP, not a pass (tap.h's per-test skip is an ok line with "# SKIP"):
         * after a failed WAL write RocksDB needs a restart, which section 4 checks. A
         * later issue makes the store resume by itself; then this becomes a test. */
        ok(1, "writes resume without a restart # SKIP RocksDB 7.8 did not recover from this "
              "error by itself within 10 s; today a restart is needed");
    }

    /* 4. A crash now loses nothing acknowledged. */
    redisFree(c);
    ts_kill9(&s);
    if (!ok(ts_restart(&s) == 0, "kill -9, then the server starts again on the same disk")) {
        omk_free(val);
        ts_cleanup(&s);
        return tap_done();
    }
    c = ts_connect(&s);
    is_int(check_values(c, acked, resumed), 0,
           "after the restart all %d acknowledged values%s are there", acked,
           resumed ? " and the one written after the resume" : "");
    is_status(cmd(c, "SET df:restarted yes"), "OK", "and writes succeed after the restart");
    redisFree(c);
    omk_free(val);
    ts_cleanup(&s);
    diskfull_unmount();
    return tap_done();
}
