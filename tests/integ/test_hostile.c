/* test_hostile.c - issue 19's daemon items, each against a real server and each failing
 * before its fix:
 *   - SHUTDOWN's argument forms, and SHUTDOWN and SAVE refused inside MULTI (no-multi);
 *   - CONFIG SET timeout reaching the connections already open, both ways;
 *   - client-output-buffer-limit not counting what fits Redis' 16 KB reply buffer;
 *   - configuration words: hz clamped, the maxclients and loglevel errors (CONFIG SET
 *     and the command line);
 *   - SELECT's range error, CLIENT LIST TYPE and ID;
 *   - DEBUG SLEEP inf not holding up SIGTERM (and hz clamped on the command line);
 *   - descriptors: started under a low RLIMIT_NOFILE with maxclients 10000, the server
 *     lowers maxclients with Redis' warning and keeps descriptors for RocksDB; when
 *     accept() fails with EMFILE it pauses instead of spinning a core, stays responsive,
 *     takes the queued connections once descriptors are free, and writes go on; CONFIG
 *     SET maxclients past what the OS allows is refused in Redis' words.
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

#include "common/omk.h"
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

/* A random pick with repeats of a huge count (HRANDFIELD, SRANDMEMBER with -2^62) under
 * an output limit: the reply stops growing at the limit and the client is closed, the
 * server goes on (Redis 7.0 builds the whole reply: its memory runs out). */
static void test_huge_random_count(const struct tserver *s)
{
    redisContext *c = ts_connect(s), *d;
    redisReply *r;
    long long t0;

    freeReplyObject(cmd(c, "HSET rnd:h a 1 b 2"));
    freeReplyObject(cmd(c, "SADD rnd:s a b c"));
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 8mb 0 0"), "OK",
              "CONFIG SET client-output-buffer-limit normal 8mb 0 0");
    t0 = omk_mono_us();
    d = ts_connect(s);
    r = cmd(d, "HRANDFIELD rnd:h -4611686018427387903 WITHVALUES");
    ok(r == NULL, "HRANDFIELD with a count of -2^62: the client is closed at the limit");
    freeReplyObject(r);
    redisFree(d);
    d = ts_connect(s);
    r = cmd(d, "SRANDMEMBER rnd:s -4611686018427387903");
    ok(r == NULL, "SRANDMEMBER with a count of -2^62: the same");
    freeReplyObject(r);
    redisFree(d);
    ok(omk_mono_us() - t0 < 60 * 1000000LL, "  ... in %.1f s, not after building the reply",
       (double)(omk_mono_us() - t0) / 1e6);
    is_status(cmd(c, "PING"), "PONG", "the server goes on");
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 0 0 0"), "OK",
              "client-output-buffer-limit back to normal 0 0 0");
    freeReplyObject(cmd(c, "DEL rnd:h rnd:s"));
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

/* ---- descriptors ---- */

/* Send 'req' on raw socket 'fd' and read until a line ends ("\r\n"), the peer closes or
 * 'timeout_ms' passes. Returns the bytes read into 'out' (NUL-terminated). */
static size_t raw_line(int fd, const char *req, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    int closed;

    out[0] = '\0';
    if (req && tp_send_all(fd, req, strlen(req), timeout_ms) != 0)
        return 0;
    while (got + 1 < cap && !strstr(out, "\r\n")) {
        size_t n = tp_read_upto(fd, out + got, 1, timeout_ms, &closed);

        if (n == 0)
            break;
        got += n;
        out[got] = '\0';
    }
    return got;
}

/* utime + stime of process 'pid' in ms, from /proc/<pid>/stat; -1 if unreadable. */
static long long cpu_ms(pid_t pid)
{
    char path[64], buf[2048], *p;
    unsigned long long ut, st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &st) != 2)
        return -1;
    return (long long)(ut + st) * 1000 / sysconf(_SC_CLK_TCK);
}

/* The number of descriptors 'pid' has open and, in '*lowest_free', the lowest descriptor
 * number it does not use (the one its next open() or accept() would get). */
static int fds_of(pid_t pid, int *lowest_free)
{
    char path[64];
    static unsigned char used[65536];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    if (!d)
        return -1;
    memset(used, 0, sizeof(used));
    while ((e = readdir(d)) != NULL) {
        long fd;

        if (e->d_name[0] == '.')
            continue;
        fd = strtol(e->d_name, NULL, 10);
        if (fd >= 0 && fd < (long)sizeof(used))
            used[fd] = 1;
        n++;
    }
    closedir(d);
    *lowest_free = 0;
    while (*lowest_free < (int)sizeof(used) && used[*lowest_free])
        (*lowest_free)++;
    return n;
}

#define FD_LIMIT 300 /* the server's RLIMIT_NOFILE in the test, soft and hard */
#define FD_EXTRA 20  /* connections beyond maxclients, and while accept() fails */

/* Start a server with RLIMIT_NOFILE FD_LIMIT (through a shell wrapper: "ulimit -n", then
 * exec) and maxclients 10000 (more if it could raise its hard limit), and take it past
 * its descriptors. */
static void test_fd_limit(void)
{
    /* A privileged server (CAP_SYS_RESOURCE) may raise its hard limit, and would fit
     * 10000 clients: then ask for more than even root may have (Linux's nr_open). */
    int privileged = ts_system("sh -c 'ulimit -n %d && ulimit -n %d' 2>/dev/null", FD_LIMIT,
                               FD_LIMIT + 1) == 0;
    const char *want = privileged ? "2000000" : "10000";
    const char *args[] = {"--maxclients", want, NULL};
    static int fds[FD_LIMIT + FD_EXTRA], pend[FD_EXTRA];
    const char *real = getenv("OMK_SERVER");
    char wrapper[] = "/tmp/omk-test-ulimit-XXXXXX", line[256];
    struct rlimit own, low, back = {FD_LIMIT, FD_LIMIT};
    int nfd = 0, pong = 0, refused = 0, lowest = 0, open_fds, wfd, fine;
    long long maxclients, cpu0, cpu1, clients;
    struct tserver s;
    redisContext *c;
    FILE *f;

    /* The test itself holds a few hundred sockets. */
    if (getrlimit(RLIMIT_NOFILE, &own) == 0 && own.rlim_cur < own.rlim_max) {
        own.rlim_cur = own.rlim_max;
        setrlimit(RLIMIT_NOFILE, &own);
    }
    if (getrlimit(RLIMIT_NOFILE, &own) != 0 || own.rlim_cur < 2 * FD_LIMIT) {
        skip("descriptors: this test may open only %llu files",
             (unsigned long long)own.rlim_cur);
        return;
    }
    wfd = mkstemp(wrapper);
    f = wfd >= 0 ? fdopen(wfd, "w") : NULL;
    if (!f) {
        ok(0, "descriptors: write the ulimit wrapper");
        return;
    }
    fprintf(f, "#!/bin/sh\nulimit -n %d || exit 126\nexec \"%s\" \"$@\"\n", FD_LIMIT,
            real ? real : "daemon/omenkv-server");
    fclose(f);
    chmod(wrapper, 0755);
    setenv("OMK_SERVER", wrapper, 1);
    fine = ts_start(&s, args) == 0;
    if (real)
        setenv("OMK_SERVER", real, 1);
    else
        unsetenv("OMK_SERVER");
    unlink(wrapper);
    if (!ok(fine, "descriptors: a server starts under ulimit -n %d with maxclients %s",
            FD_LIMIT, want))
        return;
    c = ts_connect(&s);

    /* Start-up lowered maxclients, as Redis does, leaving room for RocksDB. */
    maxclients = config_num(c, "maxclients");
    ok(maxclients > 0 && maxclients < FD_LIMIT - 32,
       "CONFIG GET maxclients was lowered to fit the limit (%lld)", maxclients);
    snprintf(line, sizeof(line), "maxclients has been reduced to %lld to compensate for low "
             "ulimit. If you need higher maxclients increase 'ulimit -n'.", maxclients);
    ok(tp_log_has(&s, line), "the log says so in Redis' words");
    snprintf(line, sizeof(line), "You requested maxclients of %s requiring at least", want);
    ok(tp_log_has(&s, line), "... after Redis' line naming what was asked");

    /* More connections than maxclients: the extra ones are refused, none is dropped. */
    for (int i = 0; i < maxclients + FD_EXTRA && i < FD_LIMIT; i++) {
        int fd = ts_raw_connect(&s);

        if (fd < 0)
            break;
        fds[nfd++] = fd;
        raw_line(fd, "PING\r\n", line, sizeof(line), 3000);
        pong += strcmp(line, "+PONG\r\n") == 0;
        refused += strcmp(line, "-ERR max number of clients reached\r\n") == 0;
    }
    is_int(pong, maxclients - 1, "%d more connections: maxclients in all are served", nfd);
    is_int(refused, nfd - pong, "... the others get Redis' max clients error");
    open_fds = fds_of(s.pid, &lowest);
    ok(open_fds > 0 && FD_LIMIT - open_fds >= 100,
       "with maxclients clients, %d descriptors of %d are still free for RocksDB",
       FD_LIMIT - open_fds, FD_LIMIT);

    /* Take every descriptor away (as another process or a crowded RocksDB would):
     * accept() fails with EMFILE while connections wait in the backlog. */
    low.rlim_cur = (rlim_t)lowest;
    low.rlim_max = FD_LIMIT;
    ok(prlimit(s.pid, RLIMIT_NOFILE, &low, NULL) == 0,
       "the server's descriptor limit is lowered to what it holds (%d)", lowest);
    for (int i = 0; i < FD_EXTRA; i++)
        pend[i] = ts_raw_connect(&s); /* the kernel completes them; nobody accepts */
    tp_sleep_ms(200);
    cpu0 = cpu_ms(s.pid);
    tp_sleep_ms(2000);
    cpu1 = cpu_ms(s.pid);
    ok(cpu0 >= 0 && cpu1 - cpu0 < 500,
       "accept() failing with EMFILE does not spin: %lld ms of CPU in 2 s", cpu1 - cpu0);
    is_status(cmd(c, "PING"), "PONG", "an open connection is still served meanwhile");
    is_status(cmd(c, "SET fd:during v1"), "OK", "... and its writes succeed");
    ok(tp_log_count(&s, "Accepting client connection: accept: Too many open files") >= 1 &&
           tp_log_count(&s, "Accepting client connection") <= 4,
       "the failure is logged, at most once a second (%d lines)",
       tp_log_count(&s, "Accepting client connection"));

    /* Descriptors come back: the waiting connections are taken, writes go on. The
     * server must have seen the closes first (they free room under maxclients), which on
     * a loaded machine takes a moment: wait for its count of clients to fall. */
    clients = ts_info_field(c, "clients", "connected_clients");
    for (int i = 0; i < 2 * FD_EXTRA && i < nfd; i++) {
        close(fds[i]);
        fds[i] = -1;
    }
    for (int i = 0; i < 200 && ts_info_field(c, "clients", "connected_clients") >
                                  clients - 2 * FD_EXTRA; i++)
        tp_sleep_ms(50);
    ok(prlimit(s.pid, RLIMIT_NOFILE, &back, NULL) == 0, "the limit is restored");
    fine = 0;
    for (int i = 0; i < FD_EXTRA; i++) {
        if (pend[i] < 0)
            continue;
        raw_line(pend[i], "PING\r\n", line, sizeof(line), 5000);
        fine += strcmp(line, "+PONG\r\n") == 0;
    }
    is_int(fine, FD_EXTRA, "the connections that waited are served once descriptors are free");
    for (int i = 0; i < nfd; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    for (int i = 0; i < FD_EXTRA; i++)
        if (pend[i] >= 0)
            close(pend[i]);
    is_status(cmd(c, "SET fd:after v2"), "OK", "after the connections close, writes succeed");
    is_str(cmd(c, "GET fd:during"), "v1", 2, "... and what was written meanwhile is there");
    redisFree(c);
    ts_cleanup(&s);
}

/* CONFIG SET maxclients beyond what the process can have is refused with Redis' words. */
static void test_maxclients_set(redisContext *c)
{
    static const char prefix[] = "ERR CONFIG SET failed (possibly related to argument "
                                 "'maxclients') - The operating system is not able to handle "
                                 "the specified number of clients, try with ";
    long long before = config_num(c, "maxclients");
    /* Two million: past Linux's default nr_open (1048576), which even root cannot pass.
     * Not more: Redis 7.0 looks for the best limit 16 descriptors at a time (seconds for
     * a billion), and at 4294967295 adds its reserve in 32 bits, wraps, and says OK. */
    redisReply *r = cmd(c, "CONFIG SET maxclients 2000000");

    if (!ok(r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, prefix, sizeof(prefix) - 1),
            "CONFIG SET maxclients 2000000: the OS cannot, try with fewer"))
        ts_diag_reply(r);
    freeReplyObject(r);
    is_int(config_num(c, "maxclients"), before, "... and maxclients is unchanged");
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 1);

    test_shutdown_forms(c);
    test_no_multi(c);
    test_config_words(c);
    test_select_client_list(c);
    test_maxclients_set(c);
    test_output_limit(&s);
    if (!external())
        test_huge_random_count(&s); /* redis-server 7.0 would run out of memory */
    redisFree(c);
    test_timeout(&s);
    ts_cleanup(&s);
    if (external()) {
        skip("the parts that need servers of their own");
        return tap_done();
    }
    test_config_file_errors();
    test_sleep_shutdown();
    test_fd_limit();
    return tap_done();
}
