/* test_persist.c - durability against a real server: data in all 16 databases survives a
 * clean restart, TTLs survive a restart (keys still vanish on time afterwards), kill -9
 * under each appendfsync mode (always, everysec, no) loses no acknowledged SET or DEL,
 * and SHUTDOWN from a client closes the connection, exits 0 and keeps the data.
 * Against an external server (OMK_TEST_SERVER) nothing is restarted or killed: the
 * restart tests then only check the server kept its data, and the kill -9 and SHUTDOWN
 * parts are skipped. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "tests/harness.h"

#define NDB 16

/* Restart 's' (SIGTERM, wait, start again on the same dir); the clean stop must exit 0.
 * Returns a new connection, or NULL (after a Bail out line) when the server is gone. */
static redisContext *restart(struct tserver *s)
{
    if (!s->external) {
        is_int(ts_stop(s), 0, "SIGTERM: the server exits with status 0");
        if (!ok(ts_restart(s) == 0, "the server starts again on the same data dir")) {
            printf("Bail out! server did not restart\n");
            return NULL;
        }
    }
    return ts_connect(s);
}

/* ---- all 16 databases survive a clean restart ---- */

static int test_all_dbs(struct tserver *s)
{
    static const char bkey[] = "bin\0\r\n\xff";
    static const char bval[] = "\xff\0\r\nvalue";
    redisContext *c = ts_connect(s);
    size_t biglen = (size_t)1 << 20;
    unsigned char *big = omk_malloc(biglen);
    int bad = 0;
    redisReply *r;

    for (size_t i = 0; i < biglen; i++)
        big[i] = (unsigned char)(i * 131 + (i >> 9));
    is_status(cmd(c, "FLUSHALL"), "OK", "start from an empty server");
    for (int db = 0; db < NDB; db++) {
        freeReplyObject(cmd(c, "SELECT %d", db));
        /* db d holds d + 2 keys: common, gone (deleted again), and d numbered ones. */
        freeReplyObject(cmd(c, "SET common value-of-db-%d", db));
        freeReplyObject(cmd(c, "SET gone x"));
        for (int i = 0; i < db; i++)
            freeReplyObject(cmd(c, "SET k:%d:%d v:%d:%d", db, i, db, i));
        r = cmd(c, "DEL gone");
        bad += !(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
        freeReplyObject(r);
        r = cmd(c, "DBSIZE");
        bad += !(r && r->type == REDIS_REPLY_INTEGER && r->integer == db + 1);
        freeReplyObject(r);
    }
    is_int(bad, 0, "wrote keys in all %d dbs", NDB);
    freeReplyObject(cmd(c, "SELECT 15"));
    is_status(cmd(c, "SET %b %b", bkey, sizeof(bkey) - 1, bval, sizeof(bval) - 1), "OK",
              "SET a binary key in db 15");
    is_status(cmd(c, "SET big %b", big, biglen), "OK", "SET a 1 MB value in db 15");
    is_status(cmd(c, "SET empty %b", "", (size_t)0), "OK", "SET an empty value in db 15");
    redisFree(c);

    c = restart(s);
    if (!c) {
        omk_free(big);
        return -1;
    }
    bad = 0;
    for (int db = 0; db < NDB; db++) {
        char want[32];

        freeReplyObject(cmd(c, "SELECT %d", db));
        r = cmd(c, "DBSIZE");
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != db + 1 + (db == 15 ? 3 : 0)) {
            diag("db %d: DBSIZE wrong after restart", db);
            ts_diag_reply(r);
            bad++;
        }
        freeReplyObject(r);
        snprintf(want, sizeof(want), "value-of-db-%d", db);
        r = cmd(c, "GET common");
        bad += !(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, want));
        freeReplyObject(r);
        r = cmd(c, "EXISTS gone");
        bad += !(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0);
        freeReplyObject(r);
        for (int i = 0; i < db; i++) {
            snprintf(want, sizeof(want), "v:%d:%d", db, i);
            r = cmd(c, "GET k:%d:%d", db, i);
            bad += !(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, want));
            freeReplyObject(r);
        }
    }
    is_int(bad, 0, "after a restart every db holds exactly its keys and values");
    is_str(cmd(c, "GET %b", bkey, sizeof(bkey) - 1), bval, sizeof(bval) - 1,
           "the binary key and value survived");
    is_str(cmd(c, "GET big"), (const char *)big, biglen, "the 1 MB value survived");
    is_str(cmd(c, "GET empty"), "", 0, "the empty value survived as empty, not nil");
    freeReplyObject(cmd(c, "SELECT 0"));
    redisFree(c);
    omk_free(big);
    return 0;
}

/* ---- TTLs survive a restart ---- */

/* Poll GET 'key' until nil; returns ms since 't0' (monotonic us) when it vanished, or
 * -1 if it was still there 'max_ms' after 't0'. */
static long vanish_ms(redisContext *c, const char *key, int64_t t0, long max_ms)
{
    for (;;) {
        redisReply *r = cmd(c, "GET %s", key);
        int nil = r && r->type == REDIS_REPLY_NIL;
        long el = (long)((omk_mono_us() - t0) / 1000);

        freeReplyObject(r);
        if (nil)
            return el;
        if (el > max_ms)
            return -1;
        ts_sleep_ms(5);
    }
}

static int test_ttl_restart(struct tserver *s)
{
    redisContext *c = ts_connect(s);
    int64_t t300, t1500, t100;
    long el, gone;
    redisReply *r;

    is_status(cmd(c, "SET ttl:long v EX 1000"), "OK", "SET EX 1000");
    t100 = omk_mono_us();
    is_status(cmd(c, "SET ttl:100 v PX 100"), "OK", "SET PX 100");
    t300 = omk_mono_us();
    is_status(cmd(c, "SET ttl:300 v PX 300"), "OK", "SET PX 300");
    t1500 = omk_mono_us();
    is_status(cmd(c, "SET ttl:1500 v PX 1500"), "OK", "SET PX 1500");
    is_status(cmd(c, "SET ttl:cleared v PX 300"), "OK", "SET PX 300 ...");
    is_status(cmd(c, "SET ttl:cleared v2"), "OK", "... then a plain SET clears the TTL");
    redisFree(c);
    while (omk_mono_us() - t100 < 150000) /* ttl:100 expires while the server is down */
        ts_sleep_ms(10);

    c = restart(s);
    if (!c)
        return -1;
    is_str(cmd(c, "GET ttl:long"), "v", 1, "a key with EX 1000 survives the restart");
    is_nil(cmd(c, "GET ttl:100"), "a key that expired during the restart is gone");
    el = (long)((omk_mono_us() - t1500) / 1000);
    r = cmd(c, "GET ttl:1500");
    if (el < 1300)
        ok(r && r->type == REDIS_REPLY_STRING, "PX 1500: still there %ld ms after SET", el);
    else
        skip("the restart took %ld ms, PX 1500 may have passed", el);
    freeReplyObject(r);
    gone = vanish_ms(c, "ttl:300", t300, 2300);
    if (!ok(gone >= 0, "PX 300 set before the restart: gone 300 ms later"))
        diag("  still there after 2300 ms: the TTL was lost");
    gone = vanish_ms(c, "ttl:1500", t1500, 4500);
    if (!ok(gone >= 1498, "PX 1500 set before the restart: gone after 1500..4500 ms"))
        diag("  vanished after %ld ms (-1: never)", gone);
    is_str(cmd(c, "GET ttl:cleared"), "v2", 2, "a cleared TTL stays cleared after the restart");
    is_str(cmd(c, "GET ttl:long"), "v", 1, "EX 1000 still there at the end");
    redisFree(c);
    return 0;
}

/* ---- kill -9 loses no acknowledged write ---- */

struct writer {
    redisContext *c;
    atomic_long last_set;  /* highest i whose SET key:i was acknowledged, -1 none */
    atomic_long last_del;  /* highest i (i % 10 == 9) whose DEL key:(i-4) was acknowledged */
    long errors;           /* replies that were neither OK nor the DEL count */
};

/* Writer thread: SET key:i value:i for i = 0, 1, ... as fast as acknowledgements come;
 * after each SET key:i with i % 10 == 9 also DEL key:(i-4). Stops at the first
 * connection error (the server was killed). */
static void *writer_main(void *arg)
{
    struct writer *w = arg;

    for (long i = 0;; i++) {
        redisReply *r = cmd(w->c, "SET key:%ld value:%ld", i, i);

        if (!r)
            break;
        if (r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK"))
            atomic_store(&w->last_set, i);
        else
            w->errors++;
        freeReplyObject(r);
        if (i % 10 == 9) {
            r = cmd(w->c, "DEL key:%ld", i - 4);
            if (!r)
                break;
            if (r->type == REDIS_REPLY_INTEGER && r->integer == 1)
                atomic_store(&w->last_del, i);
            else
                w->errors++;
            freeReplyObject(r);
        }
    }
    return NULL;
}

/* While the writer runs (for more than a second), check on a second connection that the
 * server applies appendfsync 'mode': CONFIG GET and INFO name it, and the everysec
 * thread has synced the WAL (everysec) or nothing synced it explicitly (no). */
static void check_fsync_mode(const struct tserver *s, const char *mode)
{
    redisContext *c = ts_connect(s);
    redisReply *r = cmd(c, "CONFIG GET appendfsync");
    char want[64];
    const char *line;
    long long syncs;

    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           !strcmp(r->element[1]->str, mode),
       "appendfsync %s: CONFIG GET appendfsync", mode);
    freeReplyObject(r);
    r = cmd(c, "INFO persistence");
    snprintf(want, sizeof(want), "rocksdb_appendfsync:%s\r\n", mode);
    if (!ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, want),
            "appendfsync %s: INFO persistence shows rocksdb_appendfsync:%s", mode, mode) &&
        r && r->type == REDIS_REPLY_STRING && (line = strstr(r->str, "rocksdb_appendfsync:")))
        diag("  %.*s", (int)strcspn(line, "\r\n"), line);
    freeReplyObject(r);
    syncs = ts_info_field(c, "persistence", "rocksdb_wal_syncs");
    /* The syncer ticks once a second; on a loaded machine the writer's first write can
     * miss a tick, so wait for the sync (bounded) instead of assuming it came in 1.2 s. */
    if (!strcmp(mode, "everysec")) {
        for (time_t until = time(NULL) + 60; syncs < 1 && time(NULL) < until;) {
            ts_sleep_ms(100);
            syncs = ts_info_field(c, "persistence", "rocksdb_wal_syncs");
        }
        if (!ok(syncs >= 1, "everysec: the WAL was synced while the writer ran"))
            diag("  rocksdb_wal_syncs:%lld after 60 s of writes", syncs);
    }
    if (!strcmp(mode, "no") && !ok(syncs == 0, "no: nothing synced the WAL explicitly"))
        diag("  rocksdb_wal_syncs:%lld", syncs);
    redisFree(c);
}

/* One round: a writer runs for about a second, the server is killed with SIGKILL under
 * it, restarted, and every acknowledged write must be there. */
static void kill9_round(const char *mode)
{
    const char *args[] = {"--appendfsync", mode, NULL};
    struct writer w = {.last_set = -1, .last_del = -1};
    struct tserver s;
    redisContext *c;
    pthread_t th;
    long last, last_del, present = 0, wrong = 0, lost = 0, undeleted = 0;
    char name[96];
    redisReply *r;

    if (ts_start(&s, args) != 0) {
        ok(0, "appendfsync %s: server starts", mode);
        ts_cleanup(&s);
        return;
    }
    c = ts_connect(&s);
    is_status(cmd(c, "SET del:me x"), "OK", "SET del:me");
    is_integer(cmd(c, "DEL del:me"), 1, "DEL del:me acknowledged before the kill");
    is_status(cmd(c, "SET keep:me v"), "OK", "SET keep:me");
    redisFree(c);
    w.c = ts_connect(&s);
    if (pthread_create(&th, NULL, writer_main, &w) != 0) {
        ok(0, "start the writer thread");
        redisFree(w.c);
        ts_cleanup(&s);
        return;
    }
    ts_sleep_ms(1200);
    check_fsync_mode(&s, mode);
    ts_kill9(&s);
    omk_thread_join(th);
    redisFree(w.c);
    last = atomic_load(&w.last_set);
    last_del = atomic_load(&w.last_del);
    diag("appendfsync %s: %ld SETs acknowledged in ~1 s before kill -9", mode, last + 1);
    is_int(w.errors, 0, "appendfsync %s: the writer saw no error reply", mode);
    ok(last >= 9, "appendfsync %s: the writer got at least 10 acknowledgements", mode);

    if (ts_restart(&s) != 0) {
        ok(0, "appendfsync %s: server restarts after kill -9", mode);
        ts_cleanup(&s);
        return;
    }
    c = ts_connect(&s);
    /* Check keys 0 .. last+1 (last+1 may have been written but not acknowledged). */
    for (long base = 0; base <= last + 1; base += 500) {
        long n = last + 2 - base < 500 ? last + 2 - base : 500;
        const char **argv = omk_malloc((size_t)(n + 1) * sizeof(*argv));
        char (*keys)[32] = omk_malloc((size_t)n * sizeof(*keys));

        argv[0] = "MGET";
        for (long j = 0; j < n; j++) {
            snprintf(keys[j], sizeof(keys[j]), "key:%ld", base + j);
            argv[j + 1] = keys[j];
        }
        r = redisCommandArgv(c, (int)n + 1, argv, NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n) {
            diag("  MGET failed after restart");
            ts_diag_reply(r);
            lost += n;
        } else {
            for (long j = 0; j < n; j++) {
                long i = base + j;
                redisReply *e = r->element[j];
                char want[32];
                /* DEL key:i was acknowledged: it must stay deleted. */
                int deleted = i % 10 == 5 && i + 4 <= last_del;
                /* Unacknowledged: the SET key:last+1, or the DEL sent after SET key:last. */
                int maybe = i == last + 1 || (i % 10 == 5 && i + 4 == last);

                snprintf(want, sizeof(want), "value:%ld", i);
                if (e->type == REDIS_REPLY_STRING) {
                    present++;
                    if (strcmp(e->str, want))
                        wrong++;
                    else if (deleted)
                        undeleted++;
                } else if (!deleted && !maybe) {
                    if (!lost)
                        diag("  first lost key: key:%ld", i);
                    lost++;
                }
            }
        }
        freeReplyObject(r);
        omk_free(argv);
        omk_free(keys);
    }
    snprintf(name, sizeof(name), "appendfsync %s: no acknowledged SET lost by kill -9", mode);
    if (!ok(lost == 0 && wrong == 0, "%s", name))
        diag("  %ld of %ld keys lost, %ld with a wrong value", lost, last + 1, wrong);
    is_int(undeleted, 0, "appendfsync %s: no acknowledged DEL undone by kill -9", mode);
    snprintf(name, sizeof(name), "appendfsync %s: del:me stays deleted", mode);
    is_integer(cmd(c, "EXISTS del:me"), 0, name);
    snprintf(name, sizeof(name), "appendfsync %s: keep:me survived", mode);
    is_str(cmd(c, "GET keep:me"), "v", 1, name);
    snprintf(name, sizeof(name), "appendfsync %s: no key past the last one sent", mode);
    is_integer(cmd(c, "EXISTS key:%ld", last + 2), 0, name);
    snprintf(name, sizeof(name), "appendfsync %s: DBSIZE counts the surviving keys only", mode);
    is_integer(cmd(c, "DBSIZE"), present + 1, name);
    redisFree(c);
    ts_cleanup(&s);
}

/* ---- SHUTDOWN from a client ---- */

static void test_shutdown(void)
{
    struct tserver s;
    redisContext *c;
    redisReply *r;
    int status = -1;
    pid_t pid;

    if (ts_start(&s, NULL) != 0) {
        ok(0, "SHUTDOWN: server starts");
        ts_cleanup(&s);
        return;
    }
    c = ts_connect(&s);
    is_status(cmd(c, "SET sd:a 1"), "OK", "SET sd:a in db 0");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    is_status(cmd(c, "SET sd:b 2"), "OK", "SET sd:b in db 3");
    is_error(cmd(c, "SHUTDOWN foo"), "ERR syntax error", "SHUTDOWN foo -> syntax error");
    is_error(cmd(c, "SHUTDOWN ABORT"), "ERR No shutdown in progress.",
             "SHUTDOWN ABORT with no shutdown in progress");
    is_status(cmd(c, "PING"), "PONG", "the server is still up after the rejected SHUTDOWNs");
    r = cmd(c, "SHUTDOWN");
    if (!ok(!r && (c->err == REDIS_ERR_EOF || c->err == REDIS_ERR_IO),
            "SHUTDOWN: no reply, the connection is closed"))
        ts_diag_reply(r);
    freeReplyObject(r);
    redisFree(c);
    pid = 0;
    for (int i = 0; i < 3000 && pid != s.pid; i++) { /* up to 30 s */
        pid = waitpid(s.pid, &status, WNOHANG);
        if (pid != s.pid)
            ts_sleep_ms(10);
    }
    if (!ok(pid == s.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "SHUTDOWN: the process exits with status 0")) {
        diag("  waitpid %d, status %#x", (int)pid, status);
        if (pid != s.pid)
            ts_kill9(&s);
    }
    s.pid = 0;
    if (!ok(ts_restart(&s) == 0, "restart after SHUTDOWN")) {
        ts_cleanup(&s);
        return;
    }
    c = ts_connect(&s);
    is_str(cmd(c, "GET sd:a"), "1", 1, "db 0 data survived SHUTDOWN");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    is_str(cmd(c, "GET sd:b"), "2", 1, "db 3 data survived SHUTDOWN");
    redisFree(c);
    ts_cleanup(&s);
}

int main(void)
{
    static const char *const modes[] = {"always", "everysec", "no"};
    struct tserver s;
    int external;

    if (ts_start(&s, NULL) != 0) {
        printf("Bail out! server did not start\n");
        return 1;
    }
    external = s.external;
    if (test_all_dbs(&s) == 0)
        test_ttl_restart(&s);
    ts_cleanup(&s);
    if (external) {
        skip("kill -9 and SHUTDOWN need a server this test starts");
        return tap_done();
    }
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        kill9_round(modes[i]);
    test_shutdown();
    return tap_done();
}
