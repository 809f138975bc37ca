/* test_hostile.c - issue 19's daemon items, each against a real server and each failing
 * before its fix:
 *   - SHUTDOWN's argument forms, and SHUTDOWN and SAVE refused inside MULTI (no-multi);
 *   - CONFIG SET timeout reaching the connections already open, both ways;
 *   - client-output-buffer-limit not counting what fits Redis' 16 KB reply buffer;
 *   - configuration words: hz clamped, the maxclients and loglevel errors (CONFIG SET
 *     and the command line);
 *   - SELECT's range error, CLIENT LIST TYPE and ID;
 *   - DEBUG SLEEP inf not holding up SIGTERM (and hz clamped on the command line).
 * The parts that need a server of their own are skipped against an external one
 * (OMK_TEST_SERVER), so that the rest can be run against redis-server 7.0 to check that
 * the replies are Redis'. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/integ/tproc.h"

static const char syntax_err[] = "ERR syntax error";

/* ---- SHUTDOWN and MULTI ---- */

static void test_shutdown_forms(redisContext *c)
{
    static const char *const bad[] = {
        "SHUTDOWN NOSAVE SAVE", "SHUTDOWN SAVE NOSAVE", "SHUTDOWN ABORT NOW",
        "SHUTDOWN NOW ABORT",   "SHUTDOWN ABORT FORCE", "SHUTDOWN ABORT NOSAVE",
        "SHUTDOWN SAVE ABORT",  "SHUTDOWN NOSAVE NOW FORCE ABORT",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_error(cmd(c, bad[i]), syntax_err, bad[i]);
    is_error(cmd(c, "SHUTDOWN ABORT ABORT"), "ERR No shutdown in progress.",
             "SHUTDOWN ABORT ABORT: no shutdown in progress");
    is_status(cmd(c, "PING"), "PONG", "the server is still up");
}

static void test_no_multi(redisContext *c)
{
    static const char refused[] = "ERR Command not allowed inside a transaction";
    redisReply *r;
    int flagged = 0;

    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_error(cmd(c, "SHUTDOWN"), refused, "SHUTDOWN inside MULTI is refused");
    is_error(cmd(c, "SAVE"), refused, "SAVE inside MULTI is refused");
    is_error(cmd(c, "SHUTDOWN NOSAVE SAVE"), refused, "... before its arguments are looked at");
    is_status(cmd(c, "SET nomulti:k v"), "QUEUED", "SET is queued");
    is_error(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.",
             "EXEC fails: EXECABORT");
    is_nil(cmd(c, "GET nomulti:k"), "nothing of the transaction ran");
    is_status(cmd(c, "PING"), "PONG", "the server is still up");

    r = cmd(c, "COMMAND INFO shutdown save");
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        for (size_t i = 0; i < 2; i++) {
            const redisReply *e = r->element[i];

            if (e->type != REDIS_REPLY_ARRAY || e->elements < 3)
                continue;
            for (size_t j = 0; j < e->element[2]->elements; j++)
                flagged += !strcmp(e->element[2]->element[j]->str, "no_multi");
        }
    }
    is_int(flagged, 2, "COMMAND INFO flags SHUTDOWN and SAVE no_multi");
    freeReplyObject(r);
}

/* ---- CONFIG SET timeout ---- */

static void test_timeout(const struct tserver *s)
{
    redisContext *ctl = ts_connect(s), *a, *b;
    redisReply *r;

    /* A client connected under timeout 1 is not closed once timeout is 0. */
    is_status(cmd(ctl, "CONFIG SET timeout 1"), "OK", "CONFIG SET timeout 1");
    a = ts_connect(s);
    is_status(cmd(a, "PING"), "PONG", "a client connects under timeout 1");
    is_status(cmd(ctl, "CONFIG SET timeout 0"), "OK", "CONFIG SET timeout 0");
    redisFree(ctl);
    tp_sleep_ms(2500);
    is_status(cmd(a, "PING"), "PONG", "2.5 s idle later it is still connected");

    /* A client connected under timeout 0 is closed once timeout is 1. */
    b = ts_connect(s);
    is_status(cmd(b, "PING"), "PONG", "another client connects under timeout 0");
    ctl = ts_connect(s);
    is_status(cmd(ctl, "CONFIG SET timeout 1"), "OK", "CONFIG SET timeout 1");
    redisFree(ctl);
    tp_sleep_ms(3500);
    r = cmd(b, "PING");
    ok(!r || b->err, "3.5 s idle later it has been closed");
    freeReplyObject(r);
    ctl = ts_connect(s);
    is_status(cmd(ctl, "CONFIG SET timeout 0"), "OK", "CONFIG SET timeout 0 again");
    redisFree(ctl);
    redisFree(a);
    redisFree(b);
}

/* ---- client-output-buffer-limit ---- */

/* GET 'key' (a value of 'len' bytes 'x') on a new connection, then PING. Returns 1 if
 * both replies came, 0 if the connection was closed instead. */
static int get_then_ping(const struct tserver *s, const char *key, size_t len)
{
    redisContext *d = ts_connect(s);
    redisReply *r = cmd(d, "GET %s", key);
    int fine = r && r->type == REDIS_REPLY_STRING && r->len == len;

    freeReplyObject(r);
    if (fine) {
        r = cmd(d, "PING");
        fine = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
    }
    redisFree(d);
    return fine;
}

static void test_output_limit(const struct tserver *s)
{
    static const size_t lens[] = {2000, 16000, 20000};
    redisContext *c = ts_connect(s);
    char *v = malloc(20000);
    redisReply *r;

    memset(v, 'x', 20000);
    for (size_t i = 0; i < 3; i++) {
        r = redisCommand(c, "SET obuf:%d %b", (int)lens[i], v, lens[i]);
        freeReplyObject(r);
    }
    free(v);

    /* normal 1 0 0: Redis closes only clients whose replies overflow its 16 KB buffer. */
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1 0 0"), "OK",
              "CONFIG SET client-output-buffer-limit normal 1 0 0");
    is_status(cmd(c, "PING"), "PONG", "the client that set it keeps its connection");
    ok(get_then_ping(s, "obuf:2000", 2000), "a client reading a 2 KB value is served");
    ok(get_then_ping(s, "obuf:16000", 16000), "a client reading a 16000-byte value is served");
    ok(!get_then_ping(s, "obuf:20000", 20000), "a client reading a 20000-byte value is closed");

    /* normal 1kb 0 0: the same; what passes 16 KB counts in 16 KB blocks. */
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1kb 0 0"), "OK",
              "CONFIG SET client-output-buffer-limit normal 1kb 0 0");
    ok(get_then_ping(s, "obuf:2000", 2000), "a client reading a 2 KB value is served");
    ok(!get_then_ping(s, "obuf:20000", 20000), "a client reading a 20000-byte value is closed");
    redisFree(c);
    c = ts_connect(s);
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 0 0"), "OK",
              "client-output-buffer-limit back to normal 0 0 0");
    redisFree(c);
}

/* ---- configuration: Redis' bounds and words ---- */

/* The CONFIG GET value of 'name' as a number, or -1. */
static long long config_num(redisContext *c, const char *name)
{
    redisReply *r = cmd(c, "CONFIG GET %s", name);
    long long v = -1;

    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
        v = strtoll(r->element[1]->str, NULL, 10);
    freeReplyObject(r);
    return v;
}

static void test_config_words(redisContext *c)
{
    /* hz */
    is_status(cmd(c, "CONFIG SET hz 0"), "OK", "CONFIG SET hz 0");
    is_int(config_num(c, "hz"), 1, "... is clamped to 1");
    is_status(cmd(c, "CONFIG SET hz 1000"), "OK", "CONFIG SET hz 1000");
    is_int(config_num(c, "hz"), 500, "... is clamped to 500");
    is_error(cmd(c, "CONFIG SET hz -1"), "ERR CONFIG SET failed (possibly related to argument "
                                         "'hz') - argument must be between 0 and 2147483647 "
                                         "inclusive", "CONFIG SET hz -1: Redis' range error");
    is_status(cmd(c, "CONFIG SET hz 10"), "OK", "CONFIG SET hz 10");

    /* maxclients and loglevel */
    is_error(cmd(c, "CONFIG SET maxclients 0"),
             "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
             "be between 1 and 4294967295 inclusive", "CONFIG SET maxclients 0: Redis' range");
    is_error(cmd(c, "CONFIG SET maxclients 99999999999"),
             "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
             "be between 1 and 4294967295 inclusive", "CONFIG SET maxclients 99999999999");
    is_error(cmd(c, "CONFIG SET loglevel foo"),
             "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) "
             "must be one of the following: debug, verbose, notice, warning",
             "CONFIG SET loglevel foo: Redis 7.0's four levels");
}

/* Whether the test runs against a server it did not start. */
static int external(void)
{
    const char *e = getenv("OMK_TEST_SERVER");

    return e && *e;
}

/* The command line gets the same words as CONFIG SET (redis-server's fatal error). */
static void test_config_file_errors(void)
{
    const char *bin = getenv("OMK_SERVER");

    if (!bin)
        bin = "daemon/omenkv-server";
    is_int(ts_system("'%s' --port 0 --maxclients 0 2>&1 | grep -qxF 'argument must be "
                     "between 1 and 4294967295 inclusive'", bin), 0,
           "--maxclients 0: Redis' fatal config error");
    is_int(ts_system("'%s' --port 0 --loglevel foo 2>&1 | grep -qxF 'argument(s) must be one "
                     "of the following: debug, verbose, notice, warning'", bin), 0,
           "--loglevel foo: Redis' fatal config error");
}

/* ---- SELECT and CLIENT LIST ---- */

static void test_select_client_list(redisContext *c)
{
    static const char range[] = "ERR value is out of range, value must between -2147483648 "
                                "and 2147483647";
    static const char notint[] = "ERR value is not an integer or out of range";
    redisReply *r;
    long long id;
    char want[64];

    /* SELECT */
    is_error(cmd(c, "SELECT 2147483648"), range, "SELECT 2147483648: Redis' range error");
    is_error(cmd(c, "SELECT -2147483649"), range, "SELECT -2147483649: Redis' range error");
    is_error(cmd(c, "SELECT 99999999999999999999"), notint, "SELECT past 64 bits: not an integer");
    is_error(cmd(c, "SELECT 16"), "ERR DB index is out of range", "SELECT 16: DB index");

    /* CLIENT LIST TYPE / ID */
    is_error(cmd(c, "CLIENT LIST TYPE foo"), "ERR Unknown client type 'foo'",
             "CLIENT LIST TYPE foo: unknown client type");
    r = cmd(c, "CLIENT LIST TYPE normal");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "id="),
       "CLIENT LIST TYPE normal lists the clients");
    freeReplyObject(r);
    is_str(cmd(c, "CLIENT LIST TYPE pubsub"), "", 0, "CLIENT LIST TYPE pubsub: nobody");
    is_error(cmd(c, "CLIENT LIST foo"), syntax_err, "CLIENT LIST foo: syntax error");
    is_error(cmd(c, "CLIENT LIST TYPE normal x"), syntax_err, "CLIENT LIST TYPE a b: syntax");
    is_error(cmd(c, "CLIENT LIST ID abc"), "ERR Invalid client ID", "CLIENT LIST ID abc");
    is_error(cmd(c, "CLIENT LIST ID 1 x"), "ERR Invalid client ID", "CLIENT LIST ID 1 x");
    is_str(cmd(c, "CLIENT LIST ID 0 -1"), "", 0, "CLIENT LIST ID 0 -1: nobody");
    r = cmd(c, "CLIENT ID");
    id = r ? r->integer : -1;
    freeReplyObject(r);
    snprintf(want, sizeof(want), "id=%lld ", id);
    r = cmd(c, "CLIENT LIST ID %lld 999999999", id);
    ok(r && r->type == REDIS_REPLY_STRING && !strncmp(r->str, want, strlen(want)) &&
           strchr(r->str, '\n') == r->str + r->len - 1,
       "CLIENT LIST ID <own id> <unknown id>: one line, its own");
    freeReplyObject(r);
}

/* ---- DEBUG SLEEP and SIGTERM ---- */

/* Monotonic milliseconds. */
static long long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* hz from the command line is clamped; DEBUG SLEEP inf does not hold up SIGTERM. */
static void test_sleep_shutdown(void)
{
    static const char *args[] = {"--hz", "1000", NULL};
    struct tserver s;
    redisContext *c;
    long long t0;
    int fd, status;

    if (ts_start(&s, args) != 0) {
        ok(0, "a server starts with --hz 1000");
        return;
    }
    c = ts_connect(&s);
    is_int(config_num(c, "hz"), 500, "--hz 1000 is clamped to 500");
    is_status(cmd(c, "DEBUG SLEEP 0.1"), "OK", "DEBUG SLEEP 0.1 still sleeps and replies");
    fd = ts_raw_connect(&s);
    ok(fd >= 0 && tp_send_all(fd, "DEBUG SLEEP inf\r\n", 17, 1000) == 0,
       "a client sends DEBUG SLEEP inf");
    tp_sleep_ms(300);
    t0 = now_ms();
    status = ts_stop(&s);
    ok(status == 0 && now_ms() - t0 < 5000,
       "SIGTERM stops the server within 5 s all the same (%lld ms, status %d)", now_ms() - t0,
       status);
    if (fd >= 0)
        close(fd);
    redisFree(c);
    ts_cleanup(&s);
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 1);

    test_shutdown_forms(c);
    test_no_multi(c);
    test_config_words(c);
    test_select_client_list(c);
    test_output_limit(&s);
    redisFree(c);
    test_timeout(&s);
    ts_cleanup(&s);
    if (external()) {
        ok(1, "# SKIP the parts that need servers of their own");
        return tap_done();
    }
    test_config_file_errors();
    test_sleep_shutdown();
    return tap_done();
}
