/* test_rodir.c - the data directory turns read-only under a running server, then
 * writable again (store/commit.c, HOW WRITES RESUME). The server runs as a user that is
 * not root, so that a mode of 0555 stops it: as "nobody" through setpriv when the test
 * runs as root (its directories handed over to nobody first), or as the test's own user.
 * With 64 KB memtables RocksDB soon needs a new file (a log, a table) it cannot create.
 * Then: a write fails with an error and the later ones are refused, even seconds later;
 * reads go on; INFO says rocksdb_write_failed:1; DEBUG CHECK passes. Once the directory
 * is writable again, writes are accepted within 10 s without a restart, nothing
 * acknowledged is missing, and after kill -9 and a restart neither is anything. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tproc.h"

#define VAL_LEN 1000
#define MAX_KEYS 20000 /* 20 MB: far more than the memtables hold */

static char wrapdir[64]; /* holds the wrapper script, when the test runs as root */

/* As root: write 'wrapdir'/server.sh, which hands the server's --dir and --logfile to
 * nobody and runs the real server ('real') as nobody, and make it the server the harness
 * starts. 0, or -1 (no setpriv). */
static int rodir_as_nobody(const char *real)
{
    char path[128];
    FILE *f;

    if (ts_system("command -v setpriv >/dev/null 2>&1") != 0)
        return -1;
    snprintf(wrapdir, sizeof(wrapdir), "/tmp/omk-rodir-XXXXXX");
    if (!mkdtemp(wrapdir))
        return -1;
    snprintf(path, sizeof(path), "%s/server.sh", wrapdir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "#!/bin/sh\n"
               "# omenkv-server as nobody, on directories handed over to nobody\n"
               "dir= log= prev=\n"
               "for a in \"$@\"; do\n"
               "    case $prev in --dir) dir=$a ;; --logfile) log=$a ;; esac\n"
               "    prev=$a\n"
               "done\n"
               "mkdir -p \"$dir\" && touch \"$log\" && chown -R 65534:65534 \"$dir\" \"$log\" "
               "|| exit 1\n"
               "exec setpriv --reuid=65534 --regid=65534 --clear-groups '%s' \"$@\"\n", real);
    fclose(f);
    chmod(path, 0755);
    setenv("OMK_SERVER", path, 1);
    return 0;
}

/* Value number 'i' of prefix 'p' ('p' 0 or 1): 'i' in decimal, then filler. */
static void fill_value(char *v, int p, int i)
{
    int n = snprintf(v, VAL_LEN, "%d:%d:", p, i);

    memset(v + n, 'a' + (i % 26), VAL_LEN - (size_t)n);
}

/* GET ro<p>:<i> for each i < n whose acked[i] is set; returns mismatches. */
static int check_values(redisContext *c, int p, const char *acked, int n)
{
    char want[VAL_LEN];
    int bad = 0;

    for (int i = 0; i < n; i++) {
        redisReply *r;

        if (!acked[i])
            continue;
        r = cmd(c, "GET ro%d:%d", p, i);
        fill_value(want, p, i);
        if (!r || r->type != REDIS_REPLY_STRING || r->len != VAL_LEN ||
            memcmp(r->str, want, VAL_LEN) != 0) {
            if (bad++ < 3) {
                diag("ro%d:%d wrong", p, i);
                ts_diag_reply(r);
            }
        }
        freeReplyObject(r);
    }
    return bad;
}

static void check_store(redisContext *c, const char *when)
{
    char name[128];

    snprintf(name, sizeof(name), "DEBUG CHECK %s: the index, the cache and RocksDB agree",
             when);
    is_status(cmd(c, "DEBUG CHECK"), "OK", name);
}

int main(void)
{
    const char *args[] = {"--rocksdb-write-buffer-size", "64kb", NULL};
    const char *real = getenv("OMK_SERVER");
    char val[VAL_LEN], *acked0, *acked1;
    struct tserver s;
    redisContext *c;
    redisReply *r = NULL;
    int n1 = 0, nacked1 = 0, resumed = 0, as_root = geteuid() == 0;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("needs a server of its own (OMK_TEST_SERVER is set)");
    if (!real)
        real = "daemon/omenkv-server";
    if (as_root && rodir_as_nobody(real) != 0)
        return tap_skip_all("runs as root and cannot run the server as nobody (no setpriv)");
    if (ts_start(&s, args) != 0) {
        printf("Bail out! server did not start\n");
        return 1;
    }
    diag("server %s, data in %s, log %s", as_root ? "as nobody" : "as this user", s.dir, s.log);
    c = ts_connect(&s);
    acked0 = omk_calloc(200, 1);
    acked1 = omk_calloc(MAX_KEYS, 1);

    /* 1. Writes before: acknowledged and kept. */
    for (int i = 0; i < 200; i++) {
        fill_value(val, 0, i);
        r = cmd(c, "SET ro0:%d %b", i, val, (size_t)VAL_LEN);
        acked0[i] = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
    }
    is_int(check_values(c, 0, acked0, 200), 0, "200 writes while the directory is writable");

    /* 2. The directory turns read-only: writes go on until RocksDB needs a new file. */
    ok(chmod(s.dir, 0555) == 0, "the data directory turns read-only (mode 0555)");
    for (n1 = 0; n1 < MAX_KEYS; n1++) {
        fill_value(val, 1, n1);
        r = cmd(c, "SET ro1:%d %b", n1, val, (size_t)VAL_LEN);
        if (!r || r->type != REDIS_REPLY_STATUS)
            break;
        acked1[n1] = 1;
        nacked1++;
        freeReplyObject(r);
    }
    if (!ok(r && r->type == REDIS_REPLY_ERROR && !strcmp(r->str, "ERR storage error"),
            "a write fails with '-ERR storage error' once a file is needed (after %d)", nacked1))
        ts_diag_reply(r);
    freeReplyObject(r);
    n1++;
    is_error(cmd(c, "SET another x"), "ERR storage error", "a later write is refused");
    is_int(check_values(c, 0, acked0, 200) + check_values(c, 1, acked1, n1), 0,
           "reads go on: every acknowledged value reads back");
    is_int(ts_info_field(c, "persistence", "rocksdb_write_failed"), 1,
           "INFO: rocksdb_write_failed:1");
    ok(tp_log_has(&s, "Permission denied"), "the log names the cause: Permission denied");
    check_store(c, "while the directory is read-only");
    tp_sleep_ms(2500); /* the resume probes the directory once a second */
    is_error(cmd(c, "SET another x"), "ERR storage error",
             "writes stay refused while the directory is read-only (2.5 s later)");
    ok(tp_log_has(&s, "Writes refused for"), "the log says why they stay refused");

    /* 3. Writable again: writes resume without a restart. */
    ok(chmod(s.dir, 0755) == 0, "the data directory is writable again");
    for (int i = 0; i < 100 && !resumed; i++) {
        r = cmd(c, "SET ro:after resumed");
        resumed = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (!resumed)
            tp_sleep_ms(100);
    }
    ok(resumed, "within 10 s writes are accepted again, without a restart");
    is_str(cmd(c, "GET ro:after"), "resumed", 7, "the new value reads back");
    ok(ts_info_field(c, "persistence", "rocksdb_write_failed") == 0 &&
           ts_info_field(c, "persistence", "rocksdb_resumes") == 1,
       "INFO: rocksdb_write_failed:0, rocksdb_resumes:1");
    is_int(check_values(c, 0, acked0, 200) + check_values(c, 1, acked1, n1), 0,
           "every acknowledged value is still there");
    check_store(c, "after the resume");

    /* 4. A crash now loses nothing acknowledged. */
    redisFree(c);
    ts_kill9(&s);
    if (ok(ts_restart(&s) == 0, "kill -9, then the server starts again")) {
        c = ts_connect(&s);
        is_int(check_values(c, 0, acked0, 200) + check_values(c, 1, acked1, n1), 0,
               "after the restart every acknowledged value is there");
        is_str(cmd(c, "GET ro:after"), "resumed", 7, "and the one written after the resume");
        check_store(c, "after the restart");
        redisFree(c);
    }
    omk_free(acked0);
    omk_free(acked1);
    ts_cleanup(&s);
    if (wrapdir[0])
        ts_system("rm -rf '%s'", wrapdir);
    return tap_done();
}
