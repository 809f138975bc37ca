/* test_corrupt.c - damaged data files are never silent (store/recover.c, README's
 * "Durability and limits"). Each case writes a known keyspace (writes, overwrites,
 * deletes), stops the server cleanly or with kill -9, damages one file the way the
 * case says, and starts the server again. Expected:
 *   - a clean shutdown, nothing damaged: it starts, with no warning;
 *   - the newest write-ahead log cut short after a clean shutdown: it refuses to start,
 *     naming the file; --rocksdb-wal-recovery-mode point-in-time starts it, warning;
 *   - the log overwritten inside after a clean shutdown: it refuses (checksum
 *     mismatch); --rocksdb-wal-recovery-mode skip-any starts it, warning;
 *   - after kill -9, the log's last record torn: it starts, warning how many bytes it
 *     drops, and only the last write is missing;
 *   - after kill -9, the log damaged inside: it refuses; --rocksdb-repair yes starts it;
 *   - the MANIFEST cut short after a clean shutdown: it refuses (RocksDB would delete
 *     the SST files the cut edits named); --rocksdb-repair yes starts it with every key;
 *   - an SST file damaged: it refuses; --rocksdb-repair yes moves the file to lost/ and
 *     starts;
 *   - after kill -9, an SST file the MANIFEST does not reference: it starts, and the log
 *     names the file RocksDB drops.
 * Every server that starts passes DEBUG CHECK. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/omk.h"
#include "tests/harness.h"
#include "tests/integ/tproc.h"

#define NKEYS 3000
#define VAL_LEN 200

/* ---- the keyspace ---- */

/* Value 'gen' ("old" or "new") of key k<i> into 'buf' (VAL_LEN + 1 bytes). */
static const char *value_of(const char *gen, int i, char *buf)
{
    memset(buf, 'a' + i % 26, VAL_LEN);
    snprintf(buf, VAL_LEN, "%s-%d-", gen, i);
    buf[strlen(buf)] = '.';
    buf[VAL_LEN] = '\0';
    return buf;
}

/* The value key k<i> should have after fill(): NULL when deleted. */
static const char *want_value(int i, char *buf)
{
    return i % 10 == 3 ? NULL : value_of(i % 7 == 0 ? "new" : "old", i, buf);
}

/* Write every key, then overwrite every 7th and delete every 10th (+3), pipelined. */
static void fill(redisContext *c)
{
    char v[VAL_LEN + 1];
    int n = 0;

    for (int i = 0; i < NKEYS; i++)
        redisAppendCommand(c, "SET k%d %s", i, value_of("old", i, v));
    ts_read_replies(c, NKEYS, REDIS_REPLY_STATUS);
    for (int i = 0; i < NKEYS; i += 7, n++)
        redisAppendCommand(c, "SET k%d %s", i, value_of("new", i, v));
    ts_read_replies(c, n, REDIS_REPLY_STATUS);
    n = 0;
    for (int i = 3; i < NKEYS; i += 10, n++)
        redisAppendCommand(c, "DEL k%d", i);
    ts_read_replies(c, n, REDIS_REPLY_INTEGER);
}

/* Keys whose value differs from want_value(); the first few go to diagnostics. */
static int mismatches(redisContext *c)
{
    char buf[VAL_LEN + 1];
    int bad = 0;

    for (int i = 0; i < NKEYS; i++) {
        const char *want = want_value(i, buf);
        redisReply *r = cmd(c, "GET k%d", i);
        int same = want ? r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, want)
                        : r && r->type == REDIS_REPLY_NIL;

        if (!same && bad++ < 3) {
            diag("k%d is not as written", i);
            ts_diag_reply(r);
        }
        freeReplyObject(r);
    }
    return bad;
}

/* ---- the files ---- */

/* The path of the file of 'dir' whose name ends in 'suffix' with the highest number
 * (000012.log), or of the biggest one ('biggest' 1), into 'out'. 0, or -1 if none. */
static int pick_file(const char *dir, const char *suffix, int biggest, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    long long best = -1;
    size_t sl = strlen(suffix);

    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        char path[512];
        struct stat st;
        long long key;

        if (n <= sl || strcmp(de->d_name + n - sl, suffix) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0)
            continue;
        key = biggest ? (long long)st.st_size : atoll(de->d_name);
        if (key > best) {
            best = key;
            snprintf(out, cap, "%s", path);
        }
    }
    closedir(d);
    return best >= 0 ? 0 : -1;
}

/* The MANIFEST that 'dir'/CURRENT names, as a path into 'out'. 0 or -1. */
static int current_manifest(const char *dir, char *out, size_t cap)
{
    char path[512], name[128] = "";
    FILE *f;

    snprintf(path, sizeof(path), "%s/CURRENT", dir);
    f = fopen(path, "r");
    if (!f || !fgets(name, sizeof(name), f)) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    name[strcspn(name, "\n")] = '\0';
    snprintf(out, cap, "%s/%s", dir, name);
    return 0;
}

/* The file name at the end of 'path' ("?" before a path was found). */
static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : "?";
}

static long long file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Cut 'path' to 'size' bytes. */
static int cut(const char *path, long long size)
{
    return truncate(path, (off_t)size);
}

/* Overwrite 'n' bytes of 'path' at 'off' with a pattern (the size stays). */
static int scribble(const char *path, long long off, size_t n)
{
    unsigned char junk[256];
    int fd = open(path, O_WRONLY);
    ssize_t w;

    if (fd < 0 || n > sizeof(junk))
        return -1;
    for (size_t i = 0; i < n; i++)
        junk[i] = (unsigned char)(0xA5 ^ (i * 37));
    w = pwrite(fd, junk, n, (off_t)off);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

/* ---- the server ---- */

static const char *args[8]; /* the server's extra arguments, changed between starts */

static void set_args(const char *a0, const char *a1, const char *a2, const char *a3)
{
    args[0] = a0, args[1] = a1, args[2] = a2, args[3] = a3, args[4] = NULL;
}

/* Bytes in the server's log so far: what a start wrote comes after. */
static long log_mark(const struct tserver *s)
{
    long long n = file_size(s->log);

    return n < 0 ? 0 : (long)n;
}

/* Whether the server's log holds 'needle' after byte 'from'. */
static int log_has_since(const struct tserver *s, long from, const char *needle)
{
    FILE *f = fopen(s->log, "r");
    char line[4096];
    int found = 0;

    if (!f)
        return 0;
    fseek(f, from, SEEK_SET);
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Start a server on a fresh directory with 'wbuf' memtables and write the keyspace.
 * Bails out if it does not start. */
static redisContext *begin(struct tserver *s, const char *wbuf)
{
    redisContext *c;

    set_args("--rocksdb-write-buffer-size", wbuf, NULL, NULL);
    if (ts_start(s, args) != 0) {
        printf("Bail out! server did not start\n");
        exit(1);
    }
    c = ts_connect(s);
    fill(c);
    return c;
}

/* Restart expecting a refusal whose log says 'why'; one TAP assertion. */
static void expect_refusal(struct tserver *s, const char *what, const char *why)
{
    long from = log_mark(s);
    int started = ts_restart(s) == 0;

    if (!ok(!started && log_has_since(s, from, why), "%s: the server refuses to start, saying "
            "'%s'", what, why))
        diag("  log: %s", s->log);
    if (started)
        ts_kill9(s);
}

/* Restart with the arguments set, expecting a start whose log says 'say' (NULL: no
 * warning line at all); checks DEBUG CHECK. Returns the connection, or NULL. */
static redisContext *expect_start(struct tserver *s, const char *what, const char *say)
{
    long from = log_mark(s);
    redisContext *c;

    if (!ok(ts_restart(s) == 0, "%s: the server starts", what))
        return NULL;
    c = ts_connect(s);
    if (say)
        ok(log_has_since(s, from, say), "%s: the log says '%s'", what, say);
    else
        ok(!log_has_since(s, from, " # "), "%s: no warning in the log", what);
    is_status(cmd(c, "DEBUG CHECK"), "OK", "DEBUG CHECK passes");
    return c;
}

int main(void)
{
    struct tserver s;
    redisContext *c;
    char path[512] = "", sst[512] = "";
    long long size;
    long from;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("needs servers of its own (OMK_TEST_SERVER is set)");

    /* 1. A clean shutdown and a clean start. */
    c = begin(&s, "8mb");
    redisFree(c);
    is_int(ts_stop(&s), 0, "clean: the server stops cleanly");
    set_args(NULL, NULL, NULL, NULL);
    if ((c = expect_start(&s, "clean", NULL))) {
        is_int(mismatches(c), 0, "clean: every key is as written");
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 2. The newest log cut short after a clean shutdown (a truncation that may end
     * exactly between two records: only the clean-shutdown record can tell). */
    c = begin(&s, "8mb");
    redisFree(c);
    ts_stop(&s);
    size = pick_file(s.dir, ".log", 0, path, sizeof(path)) == 0 ? file_size(path) : -1;
    ok(size > 1000 && cut(path, size - 300) == 0, "log cut: 300 bytes off the end of %s",
       base(path));
    set_args(NULL, NULL, NULL, NULL);
    expect_refusal(&s, "log cut", "changed after the clean shutdown");
    ok(tp_log_has(&s, base(path)), "log cut: the log names the file");
    set_args("--rocksdb-wal-recovery-mode", "point-in-time", NULL, NULL);
    if ((c = expect_start(&s, "log cut, point-in-time", "starting anyway"))) {
        ok(mismatches(c) > 0, "log cut: the writes in the cut part are gone (as the log said)");
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 3. The newest log overwritten inside after a clean shutdown. */
    c = begin(&s, "8mb");
    redisFree(c);
    ts_stop(&s);
    size = pick_file(s.dir, ".log", 0, path, sizeof(path)) == 0 ? file_size(path) : -1;
    ok(size > 1000 && scribble(path, size / 2, 64) == 0, "log scribbled: 64 bytes in the "
       "middle of %s", base(path));
    set_args(NULL, NULL, NULL, NULL);
    expect_refusal(&s, "log scribbled", "checksum mismatch");
    ok(tp_log_has(&s, "--rocksdb-wal-recovery-mode point-in-time"),
       "log scribbled: the log says how to start anyway");
    set_args("--rocksdb-wal-recovery-mode", "skip-any", NULL, NULL);
    if ((c = expect_start(&s, "log scribbled, skip-any", "dropping the damaged records"))) {
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 4. kill -9, then the last record torn (what a crash in mid-write leaves). */
    c = begin(&s, "8mb");
    is_status(cmd(c, "SET last write"), "OK", "torn tail: one last write");
    redisFree(c);
    ts_kill9(&s);
    size = pick_file(s.dir, ".log", 0, path, sizeof(path)) == 0 ? file_size(path) : -1;
    ok(size > 1000 && cut(path, size - 5) == 0, "torn tail: 5 bytes off the last record of %s",
       base(path));
    set_args(NULL, NULL, NULL, NULL);
    if ((c = expect_start(&s, "torn tail", "ends in an incomplete record: dropping its last"))) {
        is_int(mismatches(c), 0, "torn tail: every earlier write is there");
        is_nil(cmd(c, "GET last"), "torn tail: the torn write is not");
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 5. kill -9, then the log damaged inside: no crash does that. */
    c = begin(&s, "8mb");
    redisFree(c);
    ts_kill9(&s);
    size = pick_file(s.dir, ".log", 0, path, sizeof(path)) == 0 ? file_size(path) : -1;
    ok(size > 1000 && scribble(path, size / 3, 64) == 0, "crash, log scribbled: 64 bytes "
       "inside %s", base(path));
    set_args(NULL, NULL, NULL, NULL);
    expect_refusal(&s, "crash, log scribbled", "checksum mismatch");
    set_args("--rocksdb-repair", "yes", NULL, NULL);
    if ((c = expect_start(&s, "crash, log scribbled, repair", "Repair done"))) {
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 6. The MANIFEST cut short after a clean shutdown: small memtables make SST files
     * and MANIFEST edits. RocksDB alone would open the older version and delete the
     * SST files of the cut edits for good. */
    c = begin(&s, "64kb");
    redisFree(c);
    ts_stop(&s);
    size = current_manifest(s.dir, path, sizeof(path)) == 0 ? file_size(path) : -1;
    ok(size > 200 && cut(path, size / 2) == 0, "MANIFEST cut: half of %s (%lld bytes) off",
       base(path), size - size / 2);
    set_args(NULL, NULL, NULL, NULL);
    expect_refusal(&s, "MANIFEST cut", "--rocksdb-repair yes rebuilds the MANIFEST");
    set_args("--rocksdb-repair", "yes", NULL, NULL);
    if ((c = expect_start(&s, "MANIFEST cut, repair", "Repair done"))) {
        is_int(mismatches(c), 0, "MANIFEST cut, repair: every key is as written");
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 7. An SST file damaged: the start reads every key (the index is built from them)
     * with checksums on, so the damage cannot pass unseen. */
    c = begin(&s, "64kb");
    redisFree(c);
    ts_stop(&s);
    size = pick_file(s.dir, ".sst", 1, sst, sizeof(sst)) == 0 ? file_size(sst) : -1;
    ok(size > 4096 && scribble(sst, size / 4, 64) == 0, "SST scribbled: 64 bytes inside %s",
       base(sst));
    set_args(NULL, NULL, NULL, NULL);
    from = log_mark(&s);
    expect_refusal(&s, "SST scribbled", "Corruption");
    /* The stop wrote the key index (store/index_file.c); the start must not trust it. */
    ok(log_has_since(&s, from, "index.omk not used ("), "SST scribbled: the key index file "
       "written at the stop is not used");
    set_args("--rocksdb-repair", "yes", NULL, NULL);
    if ((c = expect_start(&s, "SST scribbled, repair", "could not be read whole"))) {
        snprintf(path, sizeof(path), "%s/lost/%s", s.dir, base(sst));
        ok(file_size(path) == size, "SST scribbled, repair: the file is kept in lost/");
        redisFree(c);
    }
    ts_cleanup(&s);

    /* 8. kill -9, then an SST file the MANIFEST does not reference (as a flush that a
     * crash cut short leaves): RocksDB deletes it, and the log names it. */
    c = begin(&s, "64kb");
    redisFree(c);
    ts_kill9(&s);
    size = pick_file(s.dir, ".sst", 1, sst, sizeof(sst)) == 0 ? file_size(sst) : -1;
    if (ok(size > 0, "crash, stray SST: a copy of %s as 999999.sst", base(sst))) {
        snprintf(path, sizeof(path), "%s/999999.sst", s.dir);
        ts_system("cp '%s' '%s'", sst, path);
    }
    set_args(NULL, NULL, NULL, NULL);
    if ((c = expect_start(&s, "crash, stray SST", "999999.sst"))) {
        is_int(mismatches(c), 0, "crash, stray SST: every key is as written");
        redisFree(c);
    }
    ts_cleanup(&s);
    return tap_done();
}
