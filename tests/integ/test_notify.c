/* test_notify.c - keyspace notifications: notify-keyspace-events in CONFIG SET/GET (every
 * class letter, Redis' order when printed back, Redis' error), and for each command
 * family the exact sequence of messages a PSUBSCRIBE '__key*__:*' client receives
 * (channel and message of each pmessage) compared with the list Redis 7.0 sends:
 * strings, generic commands (RENAME, MOVE, COPY, EXPIRE, PERSIST, SORT STORE), hashes,
 * sets, lists (blocking pops and LMOVE too), sorted sets, bitmaps, HyperLogLogs, expiry
 * (lazy and active), new (class n), keymiss (class m), class filters and MULTI/EXEC.
 * Every run twice: with one worker thread, and with two where the subscriber and the
 * writer sit on different workers. Each step ends with a PUBLISH on a marker channel the
 * pattern matches: everything before it in the subscriber's stream came from the step. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "tests/harness.h"

#define EV_MAX 64
#define EV_MARK "__keymark__:end"

static char ev_sink[EV_MAX][256]; /* messages read only to be dropped */

/* The writer, the subscriber and the server of one run. */
struct ev {
    const struct tserver *s;
    redisContext *w;   /* runs the commands */
    redisContext *sub; /* PSUBSCRIBEd to __key*__:* */
};

/* The next pmessage on ev->sub as "channel message" in 'out'; 0, or -1 on a timeout or a
 * reply that is not a pmessage. */
static int ev_next(struct ev *e, char *out, size_t cap)
{
    redisReply *r = NULL;

    if (redisGetReply(e->sub, (void **)&r) != REDIS_OK || !r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || strcmp(r->element[0]->str, "pmessage")) {
        freeReplyObject(r);
        return -1;
    }
    snprintf(out, cap, "%s %s", r->element[2]->str, r->element[3]->str);
    freeReplyObject(r);
    return 0;
}

/* Read messages up to the marker into got[] (at most EV_MAX); returns how many, or -1. */
static int ev_collect(struct ev *e, char got[][256])
{
    int n = 0;
    char m[256];

    freeReplyObject(cmd(e->w, "PUBLISH " EV_MARK " x"));
    for (;;) {
        if (ev_next(e, m, sizeof(m)) != 0)
            return -1;
        if (!strcmp(m, EV_MARK " x"))
            return n;
        if (n < EV_MAX)
            snprintf(got[n], 256, "%s", m);
        n++;
    }
}

/* Compare got[0..n) with the NULL-terminated 'want'; one assertion named 'name'. */
static void ev_compare(char got[][256], int n, const char *const *want, const char *name)
{
    int nw = 0, same;

    while (want[nw])
        nw++;
    same = n == nw;
    for (int i = 0; same && i < n; i++)
        same = !strcmp(got[i], want[i]);
    if (!ok(same, "%s", name)) {
        for (int i = 0; i < n && i < EV_MAX; i++)
            diag("  got  %s", got[i]);
        for (int i = 0; i < nw; i++)
            diag("  want %s", want[i]);
        if (n < 0)
            diag("  (no marker: timeout)");
    }
}

/* Run 'line' on the writer: its words split at spaces, '' an empty argument. Returns
 * the reply (free it). */
static redisReply *ev_run(struct ev *e, const char *line)
{
    char words[512], *save = NULL, *w;
    const char *argv[32];
    size_t lens[32];
    int argc = 0;

    snprintf(words, sizeof(words), "%s", line);
    for (w = strtok_r(words, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save)) {
        if (!strcmp(w, "''"))
            w[0] = '\0';
        argv[argc] = w;
        lens[argc++] = strlen(w);
    }
    return redisCommandArgv(e->w, argc, argv, lens);
}

/* Run the commands of 'cmds' (NULL-terminated, as ev_run takes them) on the writer, then
 * check that the subscriber got exactly 'want' (NULL-terminated). */
static void ev_check(struct ev *e, const char *name, const char *const *cmds,
                     const char *const *want)
{
    char got[EV_MAX][256];
    int n;

    for (int i = 0; cmds[i]; i++) {
        redisReply *r = ev_run(e, cmds[i]);

        if (!r || r->type == REDIS_REPLY_ERROR)
            diag("  %s: %s", cmds[i], r ? r->str : "no reply");
        freeReplyObject(r);
    }
    n = ev_collect(e, got);
    ev_compare(got, n, want, name);
}

/* Run set-up command 'line' on the writer and drop the messages it caused. */
static void ev_setup(struct ev *e, const char *line)
{
    freeReplyObject(ev_run(e, line));
    ev_collect(e, ev_sink);
}

/* Set notify-keyspace-events to 'flags' on the writer. */
static void ev_flags(struct ev *e, const char *flags)
{
    redisReply *r = redisCommand(e->w, "CONFIG SET notify-keyspace-events %s", flags);

    if (!r || r->type != REDIS_REPLY_STATUS)
        diag("CONFIG SET notify-keyspace-events %s failed", flags);
    freeReplyObject(r);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

/* CONFIG SET notify-keyspace-events, then GET, as Redis prints the classes back. */
static void test_config(struct ev *e)
{
    static const struct {
        const char *set, *get;
    } cases[] = {
        {"KEA", "AKE"},       {"", ""},            {"Kg$", "g$K"},      {"Eh", "hE"},
        {"An", "A"},         {"AnK", "AK"},       {"KEm", "KEm"},      {"mn", "nm"},
        {"lszhxK", "lshzxK"}, {"KEg$lshzxetd", "AKE"}, {"zzzE", "zE"},  {"tdeK", "etdK"},
        {"Am", "Am"},         {"K", "K"},          {"AKEnm", "AKEm"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        redisReply *r;

        ev_flags(e, cases[i].set);
        r = cmd(e->w, "CONFIG GET notify-keyspace-events");
        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
               !strcmp(r->element[1]->str, cases[i].get),
           "CONFIG SET notify-keyspace-events '%s' reads back '%s'", cases[i].set, cases[i].get);
        freeReplyObject(r);
    }
    is_error(redisCommand(e->w, "CONFIG SET notify-keyspace-events KEX"),
             "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
             "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
             "an unknown class letter is Redis' error");
    ev_flags(e, "");
    ev_check(e, "no message while notifications are off", L("SET k v", "DEL k"), NONE);
}

static void test_strings(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_check(e, "SET, SET EX: set then expire",
             L("SET s1 v", "SET s1 w EX 100"),
             L("__keyspace@0__:s1 set", "__keyevent@0__:set s1", "__keyspace@0__:s1 set",
               "__keyevent@0__:set s1", "__keyspace@0__:s1 expire", "__keyevent@0__:expire s1"));
    ev_check(e, "SET NX refused and SET XX on a missing key send nothing",
             L("SET s1 v NX", "SET nokey v XX"), NONE);
    ev_check(e, "SETNX, SETEX, PSETEX, GETSET",
             L("SETNX s2 a", "SETEX s3 100 b", "PSETEX s4 100000 c", "GETSET s2 z"),
             L("__keyspace@0__:s2 set", "__keyevent@0__:set s2", "__keyspace@0__:s3 set",
               "__keyevent@0__:set s3", "__keyspace@0__:s3 expire", "__keyevent@0__:expire s3",
               "__keyspace@0__:s4 set", "__keyevent@0__:set s4", "__keyspace@0__:s4 expire",
               "__keyevent@0__:expire s4", "__keyspace@0__:s2 set", "__keyevent@0__:set s2"));
    ev_check(e, "MSET: one set per key; MSETNX refused: nothing",
             L("MSET m1 a m2 b", "MSETNX m1 x m9 y"),
             L("__keyspace@0__:m1 set", "__keyevent@0__:set m1", "__keyspace@0__:m2 set",
               "__keyevent@0__:set m2"));
    ev_check(e, "APPEND, INCR, DECRBY, INCRBYFLOAT, SETRANGE",
             L("APPEND ap x", "INCR n", "DECRBY n 5", "INCRBYFLOAT f 1.5", "SETRANGE ap 3 yz",
               "SETRANGE ap 1 ''"),
             L("__keyspace@0__:ap append", "__keyevent@0__:append ap",
               "__keyspace@0__:n incrby", "__keyevent@0__:incrby n",
               "__keyspace@0__:n incrby", "__keyevent@0__:incrby n",
               "__keyspace@0__:f incrbyfloat", "__keyevent@0__:incrbyfloat f",
               "__keyspace@0__:ap setrange", "__keyevent@0__:setrange ap"));
    ev_check(e, "GETDEL, GETEX EX / PERSIST / PXAT in the past",
             L("GETDEL m1", "GETEX m2 EX 100", "GETEX m2 PERSIST", "GETEX m2 PERSIST",
               "GETEX s4 PXAT 1"),
             L("__keyspace@0__:m1 del", "__keyevent@0__:del m1", "__keyspace@0__:m2 expire",
               "__keyevent@0__:expire m2", "__keyspace@0__:m2 persist",
               "__keyevent@0__:persist m2", "__keyspace@0__:s4 del", "__keyevent@0__:del s4"));
    ev_check(e, "reads send nothing without m",
             L("GET s1", "GET nokey", "MGET s1 nokey", "STRLEN s1", "GETRANGE s1 0 1"), NONE);
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

static void test_generic(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_setup(e, "MSET a 1 b 2 c 3");
    ev_check(e, "DEL: one del per key removed",
             L("DEL a nokey b"),
             L("__keyspace@0__:a del", "__keyevent@0__:del a", "__keyspace@0__:b del",
               "__keyevent@0__:del b"));
    ev_check(e, "EXPIRE, PEXPIRE, EXPIRE NX refused, PERSIST, EXPIRE in the past",
             L("EXPIRE c 100", "PEXPIRE c 200000", "EXPIRE c 5 NX", "PERSIST c", "PERSIST c",
               "EXPIRE c -1"),
             L("__keyspace@0__:c expire", "__keyevent@0__:expire c", "__keyspace@0__:c expire",
               "__keyevent@0__:expire c", "__keyspace@0__:c persist", "__keyevent@0__:persist c",
               "__keyspace@0__:c del", "__keyevent@0__:del c"));
    ev_setup(e, "MSET a 1 b 2");
    ev_check(e, "RENAME (over an existing key), RENAMENX refused, RENAME to itself",
             L("RENAME a b", "SET a 1", "RENAMENX a b", "RENAME a a"),
             L("__keyspace@0__:a rename_from", "__keyevent@0__:rename_from a",
               "__keyspace@0__:b rename_to", "__keyevent@0__:rename_to b",
               "__keyspace@0__:a set", "__keyevent@0__:set a"));
    ev_check(e, "MOVE: move_from here, move_to there",
             L("MOVE a 1"),
             L("__keyspace@0__:a move_from", "__keyevent@0__:move_from a",
               "__keyspace@1__:a move_to", "__keyevent@1__:move_to a"));
    ev_check(e, "COPY, COPY REPLACE, COPY to another database, COPY refused",
             L("COPY b b2", "COPY b b2 REPLACE", "COPY b b2 DB 1", "COPY b b2"),
             L("__keyspace@0__:b2 copy_to", "__keyevent@0__:copy_to b2",
               "__keyspace@0__:b2 copy_to", "__keyevent@0__:copy_to b2",
               "__keyspace@1__:b2 copy_to", "__keyevent@1__:copy_to b2"));
    ev_setup(e, "RPUSH srt 3 1 2");
    ev_check(e, "SORT STORE: sortstore; an empty result deletes the destination",
             L("SORT srt STORE dst", "SORT nolist STORE dst", "SORT nolist STORE dst"),
             L("__keyspace@0__:dst sortstore", "__keyevent@0__:sortstore dst",
               "__keyspace@0__:dst del", "__keyevent@0__:del dst"));
    ev_check(e, "FLUSHDB and FLUSHALL send nothing", L("FLUSHDB", "SET x 1", "FLUSHALL"),
             L("__keyspace@0__:x set", "__keyevent@0__:set x"));
}

static void test_hash(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_check(e, "HSET (new fields or not), HMSET, HSETNX set and refused",
             L("HSET h f 1 g 2", "HSET h f 1", "HMSET h k 3", "HSETNX h f 9", "HSETNX h z 9"),
             L("__keyspace@0__:h hset", "__keyevent@0__:hset h", "__keyspace@0__:h hset",
               "__keyevent@0__:hset h", "__keyspace@0__:h hset", "__keyevent@0__:hset h",
               "__keyspace@0__:h hset", "__keyevent@0__:hset h"));
    ev_check(e, "HINCRBY, HINCRBYFLOAT",
             L("HINCRBY h n 2", "HINCRBYFLOAT h x 0.5"),
             L("__keyspace@0__:h hincrby", "__keyevent@0__:hincrby h",
               "__keyspace@0__:h hincrbyfloat", "__keyevent@0__:hincrbyfloat h"));
    ev_check(e, "HDEL of nothing: nothing; HDEL of the last fields: hdel then del",
             L("HDEL h nope", "HDEL h f g k", "HDEL h n x z"),
             L("__keyspace@0__:h hdel", "__keyevent@0__:hdel h", "__keyspace@0__:h hdel",
               "__keyevent@0__:hdel h", "__keyspace@0__:h del", "__keyevent@0__:del h"));
}

static void test_set(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_check(e, "SADD (nothing new: nothing), SREM, SREM of the last member",
             L("SADD s a b", "SADD s a", "SREM s a x", "SREM s nope", "SREM s b"),
             L("__keyspace@0__:s sadd", "__keyevent@0__:sadd s", "__keyspace@0__:s srem",
               "__keyevent@0__:srem s", "__keyspace@0__:s srem", "__keyevent@0__:srem s",
               "__keyspace@0__:s del", "__keyevent@0__:del s"));
    ev_check(e, "SPOP, SPOP with a count taking all: spop then del",
             L("SADD s a b c", "SPOP s", "SPOP s 5", "SPOP s"),
             L("__keyspace@0__:s sadd", "__keyevent@0__:sadd s", "__keyspace@0__:s spop",
               "__keyevent@0__:spop s", "__keyspace@0__:s spop", "__keyevent@0__:spop s",
               "__keyspace@0__:s del", "__keyevent@0__:del s"));
    ev_check(e, "SMOVE: srem (and del) of the source, then sadd of the destination",
             L("SADD s1 a b", "SADD s2 b", "SMOVE s1 s2 a", "SMOVE s1 s2 b", "SMOVE s2 s2 a"),
             L("__keyspace@0__:s1 sadd", "__keyevent@0__:sadd s1", "__keyspace@0__:s2 sadd",
               "__keyevent@0__:sadd s2", "__keyspace@0__:s1 srem", "__keyevent@0__:srem s1",
               "__keyspace@0__:s2 sadd", "__keyevent@0__:sadd s2", "__keyspace@0__:s1 srem",
               "__keyevent@0__:srem s1", "__keyspace@0__:s1 del", "__keyevent@0__:del s1"));
    ev_check(e, "SINTERSTORE, SUNIONSTORE, SDIFFSTORE; an empty result: del if it existed",
             L("SADD x 1 2", "SADD y 2 3", "SINTERSTORE d x y", "SUNIONSTORE d x y",
               "SDIFFSTORE d x y", "SINTERSTORE d x nokey", "SINTERSTORE d x nokey"),
             L("__keyspace@0__:x sadd", "__keyevent@0__:sadd x", "__keyspace@0__:y sadd",
               "__keyevent@0__:sadd y", "__keyspace@0__:d sinterstore",
               "__keyevent@0__:sinterstore d", "__keyspace@0__:d sunionstore",
               "__keyevent@0__:sunionstore d", "__keyspace@0__:d sdiffstore",
               "__keyevent@0__:sdiffstore d", "__keyspace@0__:d del", "__keyevent@0__:del d"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

static void test_list(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_check(e, "LPUSH, RPUSH, LPUSHX on a missing key, RPUSHX",
             L("LPUSH l a b", "RPUSH l c", "LPUSHX nol x", "RPUSHX l d"),
             L("__keyspace@0__:l lpush", "__keyevent@0__:lpush l", "__keyspace@0__:l rpush",
               "__keyevent@0__:rpush l", "__keyspace@0__:l rpush", "__keyevent@0__:rpush l"));
    ev_check(e, "LSET, LINSERT (pivot missing: nothing), LREM",
             L("LSET l 0 B", "LINSERT l BEFORE c c0", "LINSERT l AFTER nope x", "LREM l 0 c0",
               "LREM l 0 nope"),
             L("__keyspace@0__:l lset", "__keyevent@0__:lset l", "__keyspace@0__:l linsert",
               "__keyevent@0__:linsert l", "__keyspace@0__:l lrem", "__keyevent@0__:lrem l"));
    ev_check(e, "LPOP, RPOP with a count, LTRIM, LTRIM to nothing: ltrim then del",
             L("LPOP l", "RPOP l 1", "LTRIM l 0 -1", "LTRIM nol 0 1", "LTRIM l 1 0"),
             L("__keyspace@0__:l lpop", "__keyevent@0__:lpop l", "__keyspace@0__:l rpop",
               "__keyevent@0__:rpop l", "__keyspace@0__:l ltrim", "__keyevent@0__:ltrim l",
               "__keyspace@0__:l ltrim", "__keyevent@0__:ltrim l", "__keyspace@0__:l del",
               "__keyevent@0__:del l"));
    ev_check(e, "LMOVE: push of the destination, pop of the source, del of an emptied one",
             L("RPUSH src a b", "LMOVE src dst LEFT RIGHT", "RPOPLPUSH src dst",
               "LMOVE dst dst LEFT RIGHT"),
             L("__keyspace@0__:src rpush", "__keyevent@0__:rpush src",
               "__keyspace@0__:dst rpush", "__keyevent@0__:rpush dst",
               "__keyspace@0__:src lpop", "__keyevent@0__:lpop src",
               "__keyspace@0__:dst lpush", "__keyevent@0__:lpush dst",
               "__keyspace@0__:src rpop", "__keyevent@0__:rpop src",
               "__keyspace@0__:src del", "__keyevent@0__:del src",
               "__keyspace@0__:dst rpush", "__keyevent@0__:rpush dst",
               "__keyspace@0__:dst lpop", "__keyevent@0__:lpop dst"));
    ev_check(e, "LMPOP, BLPOP and BLMPOP served at once",
             L("RPUSH l1 a b c", "LMPOP 2 nol l1 RIGHT COUNT 2", "BLPOP nol l1 1",
               "RPUSH l2 x", "BLMPOP 1 1 l2 LEFT"),
             L("__keyspace@0__:l1 rpush", "__keyevent@0__:rpush l1",
               "__keyspace@0__:l1 rpop", "__keyevent@0__:rpop l1",
               "__keyspace@0__:l1 lpop", "__keyevent@0__:lpop l1",
               "__keyspace@0__:l1 del", "__keyevent@0__:del l1",
               "__keyspace@0__:l2 rpush", "__keyevent@0__:rpush l2",
               "__keyspace@0__:l2 lpop", "__keyevent@0__:lpop l2",
               "__keyspace@0__:l2 del", "__keyevent@0__:del l2"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

/* Wait (without a deadline of its own: each check polls) until 'n' clients are blocked. */
static void ev_wait_blocked(struct ev *e, long long n)
{
    for (int i = 0; i < 2000 && ts_info_field(e->w, "clients", "blocked_clients") != n; i++)
        ts_sleep_ms(5);
}

/* A client parked in a blocking command, served by a push of the writer. */
static void test_blocking(struct ev *e)
{
    redisContext *b = ts_connect(e->s);
    redisReply *r = NULL;

    ev_flags(e, "KEA");
    redisAppendCommand(b, "BLPOP bk 0");
    redisBufferWrite(b, &(int){0});
    ev_wait_blocked(e, 1);
    ev_check(e, "BLPOP served by RPUSH: rpush, then lpop and del",
             L("RPUSH bk a"),
             L("__keyspace@0__:bk rpush", "__keyevent@0__:rpush bk", "__keyspace@0__:bk lpop",
               "__keyevent@0__:lpop bk", "__keyspace@0__:bk del", "__keyevent@0__:del bk"));
    if (redisGetReply(b, (void **)&r) == REDIS_OK)
        freeReplyObject(r);
    redisAppendCommand(b, "BLMOVE bs bd LEFT RIGHT 0");
    redisBufferWrite(b, &(int){0});
    ev_wait_blocked(e, 1);
    ev_check(e, "BLMOVE served by LPUSH: lpush, then push of the destination, pop, del",
             L("LPUSH bs a"),
             L("__keyspace@0__:bs lpush", "__keyevent@0__:lpush bs", "__keyspace@0__:bd rpush",
               "__keyevent@0__:rpush bd", "__keyspace@0__:bs lpop", "__keyevent@0__:lpop bs",
               "__keyspace@0__:bs del", "__keyevent@0__:del bs"));
    if (redisGetReply(b, (void **)&r) == REDIS_OK)
        freeReplyObject(r);
    redisAppendCommand(b, "BZPOPMIN bz 0");
    redisBufferWrite(b, &(int){0});
    ev_wait_blocked(e, 1);
    ev_check(e, "BZPOPMIN served by ZADD: zadd, then zpopmin and del",
             L("ZADD bz 1 a"),
             L("__keyspace@0__:bz zadd", "__keyevent@0__:zadd bz", "__keyspace@0__:bz zpopmin",
               "__keyevent@0__:zpopmin bz", "__keyspace@0__:bz del", "__keyevent@0__:del bz"));
    if (redisGetReply(b, (void **)&r) == REDIS_OK)
        freeReplyObject(r);
    redisFree(b);
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

static void test_zset(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_check(e, "ZADD (nothing changed: nothing), ZADD updating a score, ZINCRBY, ZADD INCR",
             L("ZADD z 1 a 2 b", "ZADD z 1 a", "ZADD z 5 a", "ZINCRBY z 1 b", "ZADD z INCR 1 c",
               "ZINCRBY z 0 c", "ZADD z NX 9 a"),
             L("__keyspace@0__:z zadd", "__keyevent@0__:zadd z", "__keyspace@0__:z zadd",
               "__keyevent@0__:zadd z", "__keyspace@0__:z zincr", "__keyevent@0__:zincr z",
               "__keyspace@0__:z zincr", "__keyevent@0__:zincr z"));
    ev_check(e, "ZREM, ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX (the last: del)",
             L("ZADD zr 1 a 2 b 3 c 4 d", "ZREM zr a nope", "ZREM zr nope",
               "ZREMRANGEBYSCORE zr 2 2", "ZREMRANGEBYSCORE zr 9 9", "ZREMRANGEBYRANK zr 0 0",
               "ZADD zl 0 a 0 b", "ZREMRANGEBYLEX zl [a [a", "ZREMRANGEBYLEX zl [x [y",
               "ZREMRANGEBYLEX zl - +"),
             L("__keyspace@0__:zr zadd", "__keyevent@0__:zadd zr", "__keyspace@0__:zr zrem",
               "__keyevent@0__:zrem zr", "__keyspace@0__:zr zremrangebyscore",
               "__keyevent@0__:zremrangebyscore zr", "__keyspace@0__:zr zremrangebyrank",
               "__keyevent@0__:zremrangebyrank zr", "__keyspace@0__:zl zadd",
               "__keyevent@0__:zadd zl", "__keyspace@0__:zl zremrangebylex",
               "__keyevent@0__:zremrangebylex zl", "__keyspace@0__:zl zremrangebylex",
               "__keyevent@0__:zremrangebylex zl", "__keyspace@0__:zl del",
               "__keyevent@0__:del zl"));
    ev_check(e, "ZPOPMIN, ZMPOP, ZPOPMAX taking the last ones: zpopmax then del",
             L("ZADD zp 1 a 2 b 3 c 4 d", "ZPOPMIN zp", "ZMPOP 1 zp MIN", "ZPOPMAX zp 10",
               "ZPOPMIN zp"),
             L("__keyspace@0__:zp zadd", "__keyevent@0__:zadd zp", "__keyspace@0__:zp zpopmin",
               "__keyevent@0__:zpopmin zp", "__keyspace@0__:zp zpopmin",
               "__keyevent@0__:zpopmin zp", "__keyspace@0__:zp zpopmax",
               "__keyevent@0__:zpopmax zp", "__keyspace@0__:zp del", "__keyevent@0__:del zp"));
    ev_check(e, "ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE; empty results delete",
             L("ZADD p 1 a 2 b", "ZADD q 1 b", "ZUNIONSTORE d 2 p q", "ZINTERSTORE d 2 p q",
               "ZDIFFSTORE d 2 p q", "ZRANGESTORE d2 p 0 0", "ZINTERSTORE d 2 p nokey",
               "ZRANGESTORE d2 p 5 6", "ZRANGESTORE d2 p 5 6"),
             L("__keyspace@0__:p zadd", "__keyevent@0__:zadd p", "__keyspace@0__:q zadd",
               "__keyevent@0__:zadd q", "__keyspace@0__:d zunionstore",
               "__keyevent@0__:zunionstore d", "__keyspace@0__:d zinterstore",
               "__keyevent@0__:zinterstore d", "__keyspace@0__:d zdiffstore",
               "__keyevent@0__:zdiffstore d", "__keyspace@0__:d2 zrangestore",
               "__keyevent@0__:zrangestore d2", "__keyspace@0__:d del", "__keyevent@0__:del d",
               "__keyspace@0__:d2 del", "__keyevent@0__:del d2"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

static void test_bitmap_hll(struct ev *e)
{
    ev_flags(e, "KEA");
    ev_check(e, "SETBIT and BITFIELD: setbit when the key is new or grows or a bit changes",
             L("SETBIT b 7 1", "SETBIT b 7 1", "SETBIT b 15 0", "SETBIT b 15 0",
               "BITFIELD b SET u8 0 255 GET u8 0", "BITFIELD b SET u8 0 255",
               "BITFIELD b GET u8 0", "BITFIELD b OVERFLOW FAIL INCRBY u8 0 1",
               "BITFIELD b OVERFLOW WRAP INCRBY u8 0 0", "BITFIELD b OVERFLOW FAIL SET u8 40 1"),
             L("__keyspace@0__:b setbit", "__keyevent@0__:setbit b", "__keyspace@0__:b setbit",
               "__keyevent@0__:setbit b", "__keyspace@0__:b setbit", "__keyevent@0__:setbit b",
               "__keyspace@0__:b setbit", "__keyevent@0__:setbit b"));
    ev_check(e, "BITOP: set; an empty result deletes the destination",
             L("BITOP AND d b b", "BITOP OR d nokey", "BITOP OR d nokey"),
             L("__keyspace@0__:d set", "__keyevent@0__:set d", "__keyspace@0__:d del",
               "__keyevent@0__:del d"));
    ev_check(e, "PFADD (changed or not), PFMERGE: pfadd",
             L("PFADD h a b", "PFADD h a", "PFMERGE h2 h", "PFCOUNT h"),
             L("__keyspace@0__:h pfadd", "__keyevent@0__:pfadd h", "__keyspace@0__:h2 pfadd",
               "__keyevent@0__:pfadd h2"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

/* Class n: "new" where Redis creates a key, before the creating command's own event. */
static void test_new(struct ev *e)
{
    ev_flags(e, "KEAn");
    ev_check(e, "new before set, not on an overwrite; MSET: new and set per key",
             L("SET a 1", "SET a 2", "MSET b 1 c 2"),
             L("__keyspace@0__:a new", "__keyevent@0__:new a", "__keyspace@0__:a set",
               "__keyevent@0__:set a", "__keyspace@0__:a set", "__keyevent@0__:set a",
               "__keyspace@0__:b new", "__keyevent@0__:new b", "__keyspace@0__:b set",
               "__keyevent@0__:set b", "__keyspace@0__:c new", "__keyevent@0__:new c",
               "__keyspace@0__:c set", "__keyevent@0__:set c"));
    ev_check(e, "HSET, LPUSH, SADD, ZADD, INCR create",
             L("HSET h f v", "LPUSH l x", "SADD s m", "ZADD z 1 m", "INCR n"),
             L("__keyspace@0__:h new", "__keyevent@0__:new h", "__keyspace@0__:h hset",
               "__keyevent@0__:hset h", "__keyspace@0__:l new", "__keyevent@0__:new l",
               "__keyspace@0__:l lpush", "__keyevent@0__:lpush l", "__keyspace@0__:s new",
               "__keyevent@0__:new s", "__keyspace@0__:s sadd", "__keyevent@0__:sadd s",
               "__keyspace@0__:z new", "__keyevent@0__:new z", "__keyspace@0__:z zadd",
               "__keyevent@0__:zadd z", "__keyspace@0__:n new", "__keyevent@0__:new n",
               "__keyspace@0__:n incrby", "__keyevent@0__:incrby n"));
    ev_check(e, "SMOVE: srem and del of the source before new and sadd of the destination",
             L("SMOVE s s2 m"),
             L("__keyspace@0__:s srem", "__keyevent@0__:srem s", "__keyspace@0__:s del",
               "__keyevent@0__:del s", "__keyspace@0__:s2 new", "__keyevent@0__:new s2",
               "__keyspace@0__:s2 sadd", "__keyevent@0__:sadd s2"));
    ev_check(e, "LMOVE into a new list: new and push of the destination first",
             L("LMOVE l l2 LEFT LEFT"),
             L("__keyspace@0__:l2 new", "__keyevent@0__:new l2", "__keyspace@0__:l2 lpush",
               "__keyevent@0__:lpush l2", "__keyspace@0__:l lpop", "__keyevent@0__:lpop l",
               "__keyspace@0__:l del", "__keyevent@0__:del l"));
    ev_check(e, "RENAME and COPY REPLACE: new even over an existing key; MOVE",
             L("RENAME a b", "COPY b c REPLACE", "MOVE c 2"),
             L("__keyspace@0__:b new", "__keyevent@0__:new b", "__keyspace@0__:a rename_from",
               "__keyevent@0__:rename_from a", "__keyspace@0__:b rename_to",
               "__keyevent@0__:rename_to b", "__keyspace@0__:c new", "__keyevent@0__:new c",
               "__keyspace@0__:c copy_to", "__keyevent@0__:copy_to c", "__keyspace@2__:c new",
               "__keyevent@2__:new c", "__keyspace@0__:c move_from",
               "__keyevent@0__:move_from c", "__keyspace@2__:c move_to",
               "__keyevent@2__:move_to c"));
    ev_check(e, "SETBIT, APPEND, SETRANGE, PFADD, SUNIONSTORE, SORT STORE create",
             L("SETBIT bt 1 1", "APPEND ap x", "SETRANGE sr 2 x", "SETRANGE sr2 2 ''",
               "PFADD hl a", "SUNIONSTORE su s2", "SORT l2 ALPHA STORE so"),
             L("__keyspace@0__:bt new", "__keyevent@0__:new bt", "__keyspace@0__:bt setbit",
               "__keyevent@0__:setbit bt", "__keyspace@0__:ap new", "__keyevent@0__:new ap",
               "__keyspace@0__:ap append", "__keyevent@0__:append ap", "__keyspace@0__:sr new",
               "__keyevent@0__:new sr", "__keyspace@0__:sr setrange",
               "__keyevent@0__:setrange sr", "__keyspace@0__:hl new", "__keyevent@0__:new hl",
               "__keyspace@0__:hl pfadd", "__keyevent@0__:pfadd hl", "__keyspace@0__:su new",
               "__keyevent@0__:new su", "__keyspace@0__:su sunionstore",
               "__keyevent@0__:sunionstore su", "__keyspace@0__:so new",
               "__keyevent@0__:new so", "__keyspace@0__:so sortstore",
               "__keyevent@0__:sortstore so"));
    ev_check(e, "BITFIELD whose every write fails still creates the key: new alone",
             L("BITFIELD bf OVERFLOW FAIL INCRBY u2 0 9"),
             L("__keyspace@0__:bf new", "__keyevent@0__:new bf"));
    ev_flags(e, "En");
    ev_check(e, "class n alone, E only", L("SET nn 1"), L("__keyevent@0__:new nn"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

/* Class m: a reading command that does not find its key. */
static void test_keymiss(struct ev *e)
{
    ev_flags(e, "KEm");
    ev_setup(e, "SET here 1");
    ev_check(e, "GET, MGET, STRLEN, GETRANGE, EXISTS, TYPE, TTL of missing keys: keymiss",
             L("GET m1", "GET here", "MGET here m2", "STRLEN m3", "GETRANGE m4 0 1",
               "EXISTS here m5", "TYPE m6", "TTL m7"),
             L("__keyspace@0__:m1 keymiss", "__keyevent@0__:keymiss m1",
               "__keyspace@0__:m2 keymiss", "__keyevent@0__:keymiss m2",
               "__keyspace@0__:m3 keymiss", "__keyevent@0__:keymiss m3",
               "__keyspace@0__:m4 keymiss", "__keyevent@0__:keymiss m4",
               "__keyspace@0__:m5 keymiss", "__keyevent@0__:keymiss m5",
               "__keyspace@0__:m6 keymiss", "__keyevent@0__:keymiss m6",
               "__keyspace@0__:m7 keymiss", "__keyevent@0__:keymiss m7"));
    ev_check(e, "GETDEL, GETEX, COPY of a missing source: keymiss",
             L("GETDEL m1", "GETEX m2 PERSIST", "COPY m3 x"),
             L("__keyspace@0__:m1 keymiss", "__keyevent@0__:keymiss m1",
               "__keyspace@0__:m2 keymiss", "__keyevent@0__:keymiss m2",
               "__keyspace@0__:m3 keymiss", "__keyevent@0__:keymiss m3"));
    ev_setup(e, "SADD st a");
    ev_check(e, "collections: HGET, LRANGE, SCARD, ZSCORE, HSCAN, LINDEX with a bad index",
             L("HGET h1 f", "LRANGE l1 0 -1", "SCARD s1", "ZSCORE z1 m", "HSCAN h2 0",
               "LINDEX l2 x"),
             L("__keyspace@0__:h1 keymiss", "__keyevent@0__:keymiss h1",
               "__keyspace@0__:l1 keymiss", "__keyevent@0__:keymiss l1",
               "__keyspace@0__:s1 keymiss", "__keyevent@0__:keymiss s1",
               "__keyspace@0__:z1 keymiss", "__keyevent@0__:keymiss z1",
               "__keyspace@0__:h2 keymiss", "__keyevent@0__:keymiss h2",
               "__keyspace@0__:l2 keymiss", "__keyevent@0__:keymiss l2"));
    ev_check(e, "several keys: each missing one in order, up to one of the wrong type",
             L("SINTER st m1 m2", "SUNION m3 here m4", "SINTERSTORE d m5 st",
               "ZUNIONSTORE d 2 m6 st", "ZINTER 2 m7 m8 BAD", "BITOP OR d m9 here",
               "PFCOUNT m10 m11"),
             L("__keyspace@0__:m1 keymiss", "__keyevent@0__:keymiss m1",
               "__keyspace@0__:m2 keymiss", "__keyevent@0__:keymiss m2",
               "__keyspace@0__:m3 keymiss", "__keyevent@0__:keymiss m3",
               "__keyspace@0__:m5 keymiss", "__keyevent@0__:keymiss m5",
               "__keyspace@0__:m6 keymiss", "__keyevent@0__:keymiss m6",
               "__keyspace@0__:m7 keymiss", "__keyevent@0__:keymiss m7",
               "__keyspace@0__:m8 keymiss", "__keyevent@0__:keymiss m8",
               "__keyspace@0__:m9 keymiss", "__keyevent@0__:keymiss m9",
               "__keyspace@0__:m10 keymiss", "__keyevent@0__:keymiss m10",
               "__keyspace@0__:m11 keymiss", "__keyevent@0__:keymiss m11"));
    ev_flags(e, "KEAm");
    ev_check(e, "SET GET of a missing key: keymiss, then set",
             L("SET sg v GET"),
             L("__keyspace@0__:sg keymiss", "__keyevent@0__:keymiss sg",
               "__keyspace@0__:sg set", "__keyevent@0__:set sg"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

/* Classes filter: only the channels and classes asked for. */
static void test_filters(struct ev *e)
{
    ev_flags(e, "Kl");
    ev_check(e, "K with l: keyspace channel of list events only",
             L("SET f1 v", "LPUSH fl a", "DEL fl"), L("__keyspace@0__:fl lpush"));
    ev_flags(e, "Eg");
    ev_check(e, "E with g: keyevent channel of generic events only",
             L("SET f1 v", "EXPIRE f1 100", "DEL f1"),
             L("__keyevent@0__:expire f1", "__keyevent@0__:del f1"));
    ev_flags(e, "KEA");
    freeReplyObject(cmd(e->w, "SELECT 3"));
    ev_check(e, "the database number is the client's", L("SET d3 v"),
             L("__keyspace@3__:d3 set", "__keyevent@3__:set d3"));
    freeReplyObject(cmd(e->w, "SELECT 0"));
    ev_check(e, "MULTI/EXEC: each command notifies as it runs",
             L("MULTI", "SET t1 a", "LPUSH t2 b", "DEL t1", "EXEC"),
             L("__keyspace@0__:t1 set", "__keyevent@0__:set t1", "__keyspace@0__:t2 lpush",
               "__keyevent@0__:lpush t2", "__keyspace@0__:t1 del", "__keyevent@0__:del t1"));
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

/* Expiry: lazy (active expiry paused: the read that finds the key past its time removes
 * it, expired before the read's own events) and active (nobody reads it again). */
static void test_expiry(struct ev *e)
{
    char m[2][256];

    ev_flags(e, "KEAmn");
    freeReplyObject(cmd(e->w, "DEBUG SET-ACTIVE-EXPIRE 0"));
    /* PX 30, not 1: a SET whose deadline has passed by the time it commits (a loaded
     * machine) deletes at once here, with no expired event to come (README). */
    freeReplyObject(cmd(e->w, "SET x1 v PX 30"));
    freeReplyObject(cmd(e->w, "SET x2 v PX 30"));
    freeReplyObject(cmd(e->w, "SET x3 v PX 30"));
    freeReplyObject(cmd(e->w, "SET x4 v PX 30"));
    ts_sleep_ms(80); /* their time passes: none is read before */
    ev_collect(e, ev_sink); /* drop the sets' messages */
    ev_check(e, "lazy: GET of an expired key: expired, then keymiss",
             L("GET x1"),
             L("__keyspace@0__:x1 expired", "__keyevent@0__:expired x1",
               "__keyspace@0__:x1 keymiss", "__keyevent@0__:keymiss x1"));
    ev_check(e, "lazy: SET over an expired key: expired, then new and set",
             L("SET x2 w"),
             L("__keyspace@0__:x2 expired", "__keyevent@0__:expired x2",
               "__keyspace@0__:x2 new", "__keyevent@0__:new x2",
               "__keyspace@0__:x2 set", "__keyevent@0__:set x2"));
    ev_check(e, "lazy: DEL of an expired key: expired, no del",
             L("DEL x3"), L("__keyspace@0__:x3 expired", "__keyevent@0__:expired x3"));
    ev_flags(e, "KEAm");
    freeReplyObject(cmd(e->w, "DEBUG SET-ACTIVE-EXPIRE 1"));
    /* The active cycle removes x4 within a few of its periods; wait for its messages. */
    ok(ev_next(e, m[0], sizeof(m[0])) == 0 && ev_next(e, m[1], sizeof(m[1])) == 0 &&
           !strcmp(m[0], "__keyspace@0__:x4 expired") && !strcmp(m[1], "__keyevent@0__:expired x4"),
       "active expiry: expired on both channels");
    /* Its messages come in order: the writer publishes set and expire before the key can
     * expire (200 ms later), then the active cycle publishes expired. */
    freeReplyObject(cmd(e->w, "SET x5 v PX 200"));
    {
        static const char *const want[] = {
            "__keyspace@0__:x5 set", "__keyevent@0__:set x5", "__keyspace@0__:x5 expire",
            "__keyevent@0__:expire x5", "__keyspace@0__:x5 expired", "__keyevent@0__:expired x5",
        };
        int same = 1;

        for (int i = 0; same && i < 6; i++)
            same = ev_next(e, m[0], sizeof(m[0])) == 0 && !strcmp(m[0], want[i]);
        ok(same, "active expiry of a key nobody reads: set, expire, then expired");
    }
    ev_flags(e, "KE");
    ev_check(e, "x (expired) off: nothing", L("SET x6 v PX 1", "GET x6"), NONE);
    freeReplyObject(cmd(e->w, "FLUSHALL"));
}

/* One run against server 's': subscriber first, writer second (so with two workers they
 * sit on different ones). */
static void run(const struct tserver *s)
{
    struct ev e = {s, NULL, NULL};
    struct timeval tv = {15, 0};
    redisReply *r;

    e.sub = ts_connect(s);
    e.w = ts_connect(s);
    redisSetTimeout(e.sub, tv); /* a missing message fails a check instead of hanging */
    r = cmd(e.sub, "PSUBSCRIBE __key*__:*");
    ok(r && r->type == REDIS_REPLY_ARRAY, "PSUBSCRIBE __key*__:*");
    freeReplyObject(r);
    freeReplyObject(cmd(e.w, "FLUSHALL"));
    test_config(&e);
    test_strings(&e);
    test_generic(&e);
    test_hash(&e);
    test_set(&e);
    test_list(&e);
    test_blocking(&e);
    test_zset(&e);
    test_bitmap_hll(&e);
    test_new(&e);
    test_keymiss(&e);
    test_filters(&e);
    test_expiry(&e);
    ev_flags(&e, "");
    redisFree(e.sub);
    redisFree(e.w);
}

int main(void)
{
    const char *one[] = {"--io-threads", "1", NULL};
    const char *two[] = {"--io-threads", "2", NULL};
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, one, 1);
    redisFree(c);
    run(&s);
    ts_cleanup(&s);
    c = ts_begin(&s, two, 1);
    redisFree(c);
    run(&s); /* subscriber and writer on different workers */
    ts_cleanup(&s);
    return tap_done();
}
