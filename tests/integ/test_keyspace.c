/* test_keyspace.c - keyspace commands against a real server: TYPE, RENAME, RENAMENX, COPY
 * (DB, REPLACE), MOVE, TOUCH, OBJECT (ENCODING FREQ IDLETIME REFCOUNT HELP), SWAPDB and
 * DEBUG (SLEEP, SET-ACTIVE-EXPIRE, JMAP, HELP, and enable-debug-command no / local), with
 * their arity and argument errors. Expectations follow Redis 7.0, except where a comment
 * names an omenkv difference. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/omk.h"
#include "tests/harness.h"

static void test_type(redisContext *c)
{
    is_status(cmd(c, "SET s v"), "OK", "SET s");
    is_status(cmd(c, "TYPE s"), "string", "TYPE of a string");
    is_status(cmd(c, "TYPE nope"), "none", "TYPE of a missing key");
    is_status(cmd(c, "TYPE %b", "gone\0x", (size_t)6), "none", "TYPE of a binary missing key");
    is_error(cmd(c, "TYPE"), "ERR wrong number of arguments for 'type' command", "TYPE arity");
    is_error(cmd(c, "TYPE a b"), "ERR wrong number of arguments for 'type' command",
             "TYPE arity (too many)");
}

static void test_rename(redisContext *c)
{
    is_error(cmd(c, "RENAME nope x"), "ERR no such key", "RENAME a missing key");
    is_error(cmd(c, "RENAME nope nope"), "ERR no such key", "RENAME a missing key onto itself");
    is_error(cmd(c, "RENAMENX nope x"), "ERR no such key", "RENAMENX a missing key");
    is_status(cmd(c, "SET a 1"), "OK", "SET a");
    is_status(cmd(c, "RENAME a a"), "OK", "RENAME onto itself");
    is_integer(cmd(c, "RENAMENX a a"), 0, "RENAMENX onto itself");
    is_str(cmd(c, "GET a"), "1", 1, "... a is untouched");
    is_status(cmd(c, "RENAME a b"), "OK", "RENAME");
    is_nil(cmd(c, "GET a"), "... the source is gone");
    is_str(cmd(c, "GET b"), "1", 1, "... the target has the value");
    is_status(cmd(c, "SET a 2"), "OK", "SET a");
    is_integer(cmd(c, "RENAMENX a b"), 0, "RENAMENX onto an existing key");
    is_str(cmd(c, "GET b"), "1", 1, "... the target is untouched");
    is_status(cmd(c, "RENAME a b"), "OK", "RENAME onto an existing key");
    is_str(cmd(c, "GET b"), "2", 1, "... overwrites it");
    is_integer(cmd(c, "DBSIZE"), 2, "DBSIZE (s, b)");
    is_integer(cmd(c, "RENAMENX b %b", "bin\0\xff", (size_t)5), 1, "RENAMENX to a binary key");
    is_str(cmd(c, "GET %b", "bin\0\xff", (size_t)5), "2", 1, "... which reads back");
    is_error(cmd(c, "RENAME a"), "ERR wrong number of arguments for 'rename' command",
             "RENAME arity");
    is_error(cmd(c, "RENAMENX a b c"), "ERR wrong number of arguments for 'renamenx' command",
             "RENAMENX arity");
    is_integer(cmd(c, "DEL %b", "bin\0\xff", (size_t)5), 1, "DEL the binary key");
}

static void test_copy(redisContext *c)
{
    is_status(cmd(c, "SET c1 v1"), "OK", "SET c1");
    is_integer(cmd(c, "COPY nope c2"), 0, "COPY a missing key");
    is_integer(cmd(c, "COPY c1 c2"), 1, "COPY");
    is_str(cmd(c, "GET c2"), "v1", 2, "... the copy");
    is_str(cmd(c, "GET c1"), "v1", 2, "... the source stays");
    is_status(cmd(c, "SET c1 v2"), "OK", "SET c1 v2");
    is_integer(cmd(c, "COPY c1 c2"), 0, "COPY onto an existing key");
    is_str(cmd(c, "GET c2"), "v1", 2, "... untouched");
    is_integer(cmd(c, "COPY c1 c2 REPLACE"), 1, "COPY REPLACE");
    is_str(cmd(c, "GET c2"), "v2", 2, "... replaced");
    is_integer(cmd(c, "COPY c1 c1 DB 3"), 1, "COPY to another db, same name");
    is_integer(cmd(c, "COPY c1 c1 DB 3"), 0, "... again: it exists there");
    is_integer(cmd(c, "COPY c1 c1 db 4 DB 3 replace"), 1, "the last DB wins; options ignore case");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    is_str(cmd(c, "GET c1"), "v2", 2, "the copy in db 3");
    is_integer(cmd(c, "DEL c1"), 1, "DEL it");
    is_status(cmd(c, "SELECT 4"), "OK", "SELECT 4");
    is_integer(cmd(c, "DBSIZE"), 0, "db 4 got nothing");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_error(cmd(c, "COPY c1 c1"), "ERR source and destination objects are the same",
             "COPY onto itself");
    is_error(cmd(c, "COPY c1 c1 DB 0"), "ERR source and destination objects are the same",
             "COPY onto itself, naming the db");
    is_error(cmd(c, "COPY c1 c2 DB 16"), "ERR DB index is out of range", "COPY DB 16");
    is_error(cmd(c, "COPY c1 c2 DB -1"), "ERR DB index is out of range", "COPY DB -1");
    is_error(cmd(c, "COPY c1 c2 DB abc"), "ERR value is not an integer or out of range",
             "COPY DB abc");
    is_error(cmd(c, "COPY c1 c2 DB 99999999999"),
             "ERR value is out of range, value must between -2147483648 and 2147483647",
             "COPY DB beyond an int");
    is_error(cmd(c, "COPY c1 c2 DB"), "ERR syntax error", "COPY DB without a number");
    is_error(cmd(c, "COPY c1 c2 foo"), "ERR syntax error", "COPY with an unknown option");
    is_error(cmd(c, "COPY c1"), "ERR wrong number of arguments for 'copy' command", "COPY arity");
    is_integer(cmd(c, "DEL c1 c2"), 2, "DEL c1 c2");
}

static void test_move(redisContext *c)
{
    is_status(cmd(c, "SET m v"), "OK", "SET m");
    is_integer(cmd(c, "MOVE nope 1"), 0, "MOVE a missing key");
    is_integer(cmd(c, "MOVE m 1"), 1, "MOVE");
    is_integer(cmd(c, "EXISTS m"), 0, "... gone from db 0");
    is_status(cmd(c, "SET m here"), "OK", "SET m again in db 0");
    is_integer(cmd(c, "MOVE m 1"), 0, "MOVE onto a key the target db has");
    is_str(cmd(c, "GET m"), "here", 4, "... the source stays");
    is_status(cmd(c, "SELECT 1"), "OK", "SELECT 1");
    is_str(cmd(c, "GET m"), "v", 1, "... the target keeps its value");
    is_integer(cmd(c, "MOVE m 0"), 0, "MOVE back onto an existing key");
    is_integer(cmd(c, "DEL m"), 1, "DEL m in db 1");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_error(cmd(c, "MOVE m 0"), "ERR source and destination objects are the same",
             "MOVE to the same db");
    is_error(cmd(c, "MOVE m 16"), "ERR DB index is out of range", "MOVE to db 16");
    is_error(cmd(c, "MOVE m -1"), "ERR DB index is out of range", "MOVE to db -1");
    is_error(cmd(c, "MOVE m abc"), "ERR value is not an integer or out of range", "MOVE to db abc");
    is_error(cmd(c, "MOVE m 99999999999"),
             "ERR value is out of range, value must between -2147483648 and 2147483647",
             "MOVE to a db beyond an int");
    is_error(cmd(c, "MOVE m"), "ERR wrong number of arguments for 'move' command", "MOVE arity");
    is_integer(cmd(c, "DEL m"), 1, "DEL m");
}

static void test_touch(redisContext *c)
{
    is_status(cmd(c, "SET t v"), "OK", "SET t");
    is_integer(cmd(c, "TOUCH t nope t"), 2, "TOUCH counts existing keys (twice if named twice)");
    is_integer(cmd(c, "TOUCH nope"), 0, "TOUCH a missing key");
    is_error(cmd(c, "TOUCH"), "ERR wrong number of arguments for 'touch' command", "TOUCH arity");
    is_integer(cmd(c, "DEL t"), 1, "DEL t");
}

/* OBJECT ENCODING of value 'val' is 'want'. */
static void encoding_is(redisContext *c, const char *val, const char *want)
{
    char name[160];

    freeReplyObject(cmd(c, "SET enc %s", val));
    snprintf(name, sizeof(name), "OBJECT ENCODING of '%.100s' is %s", val, want);
    is_str(cmd(c, "OBJECT ENCODING enc"), want, strlen(want), name);
}

static void test_object(const struct tserver *s, redisContext *c)
{
    redisReply *r;

    encoding_is(c, "123", "int");
    encoding_is(c, "0", "int");
    encoding_is(c, "-5", "int");
    encoding_is(c, "9223372036854775807", "int");
    encoding_is(c, "-9223372036854775808", "int");
    encoding_is(c, "9223372036854775808", "embstr");
    encoding_is(c, "-0", "embstr");
    encoding_is(c, "0123", "embstr");
    encoding_is(c, "+1", "embstr");
    encoding_is(c, " 1", "embstr");
    encoding_is(c, "1.5", "embstr");
    encoding_is(c, "", "embstr");
    encoding_is(c, "hello", "embstr");
    encoding_is(c, "12345678901234567890123456789012345678901234", "embstr");
    encoding_is(c, "123456789012345678901234567890123456789012345", "raw");
    is_nil(cmd(c, "OBJECT ENCODING nope"), "OBJECT ENCODING of a missing key");
    is_nil(cmd(c, "OBJECT FREQ nope"), "OBJECT FREQ of a missing key");
    is_nil(cmd(c, "OBJECT IDLETIME nope"), "OBJECT IDLETIME of a missing key");
    is_nil(cmd(c, "OBJECT REFCOUNT nope"), "OBJECT REFCOUNT of a missing key");
    is_error(cmd(c, "OBJECT FREQ enc"),
             "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
             "note that when switching between policies at runtime LRU and LFU data will take "
             "some time to adjust.",
             "OBJECT FREQ without an LFU policy");
    is_integer(cmd(c, "OBJECT REFCOUNT enc"), 1, "OBJECT REFCOUNT");
    /* Answers whose values test_object_idle.c checks; here their types and errors. */
    r = cmd(c, "OBJECT IDLETIME enc");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0, "OBJECT IDLETIME: seconds");
    freeReplyObject(r);
    is_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu"), "OK", "an LFU policy");
    r = cmd(c, "OBJECT FREQ enc");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= 255,
       "OBJECT FREQ under LFU: a counter");
    freeReplyObject(r);
    is_error(cmd(c, "OBJECT IDLETIME enc"),
             "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
             "that when switching between policies at runtime LRU and LFU data will take "
             "some time to adjust.",
             "OBJECT IDLETIME under LFU: Redis' error");
    is_status(cmd(c, "CONFIG SET maxmemory-policy noeviction"), "OK", "policy back");
    is_error(cmd(c, "OBJECT foo enc"), "ERR unknown subcommand 'foo'. Try OBJECT HELP.",
             "OBJECT unknown subcommand");
    is_error(cmd(c, "object Encoding"),
             "ERR wrong number of arguments for 'object|encoding' command",
             "OBJECT ENCODING arity");
    is_error(cmd(c, "OBJECT FREQ a b"), "ERR wrong number of arguments for 'object|freq' command",
             "OBJECT FREQ arity");
    is_error(cmd(c, "OBJECT HELP x"), "ERR wrong number of arguments for 'object|help' command",
             "OBJECT HELP arity");
    is_error(cmd(c, "OBJECT"), "ERR wrong number of arguments for 'object' command",
             "OBJECT arity");
    r = cmd(c, "OBJECT HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 15 &&
           r->element[0]->type == REDIS_REPLY_STATUS &&
           !strcmp(r->element[0]->str,
                   "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:") &&
           !strcmp(r->element[1]->str, "ENCODING <key>") &&
           !strcmp(r->element[14]->str, "    Prints this help."),
       "OBJECT HELP: 15 status lines, as Redis words them");
    freeReplyObject(r);
    is_integer(cmd(c, "DEL enc"), 1, "DEL enc");
}

/* SWAPDB's arity; the rest is test_swapdb.c's. */
static void test_swapdb(const struct tserver *s, redisContext *c)
{
    OMK_UNUSED(s);
    is_error(cmd(c, "SWAPDB 0"), "ERR wrong number of arguments for 'swapdb' command",
             "SWAPDB arity");
    is_status(cmd(c, "SWAPDB 0 0"), "OK", "SWAPDB of a db with itself");
}

/* DEBUG COMPACT (omenkv's) gives back the space of deleted keys and keeps the rest. */
static void test_debug_compact(redisContext *c)
{
    enum { N = 4000 };
    char val[2048];
    unsigned long long x = 1;
    long long full, after, before;
    redisReply *r = cmd(c, "DBSIZE");
    int good = 1;

    before = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    for (int i = 0; i < N; i++) { /* values that do not compress */
        for (size_t j = 0; j < sizeof(val); j++)
            val[j] = (char)('a' + (x = x * 6364136223846793005ULL + 1442695040888963407ULL) % 26);
        redisAppendCommand(c, "SET dc:%d %b", i, val, sizeof(val));
    }
    is_int(ts_read_replies(c, N, REDIS_REPLY_STATUS), 0, "%d SETs of 2 KB", N);
    is_status(cmd(c, "DEBUG COMPACT"), "OK", "DEBUG COMPACT (omenkv)");
    full = ts_info_field(c, "persistence", "rocksdb_disk_bytes");
    ok(full > (long long)N * 1024, "8 MB of values are on disk after it (%lld bytes)", full);
    for (int i = 0; i < N; i++)
        if (i % 10 != 0)
            redisAppendCommand(c, "DEL dc:%d", i);
    is_int(ts_read_replies(c, N - N / 10, REDIS_REPLY_INTEGER), 0, "their DELs");
    is_integer(cmd(c, "DBSIZE"), before + N / 10, "90% of them deleted");
    is_status(cmd(c, "DEBUG COMPACT"), "OK", "DEBUG COMPACT again");
    after = ts_info_field(c, "persistence", "rocksdb_disk_bytes");
    ok(after > 0 && after < full / 4, "the space came back: %lld bytes, from %lld", after, full);
    for (int i = 0; i < N && good; i += 10) {
        r = cmd(c, "GET dc:%d", i);
        good = r && r->type == REDIS_REPLY_STRING && r->len == sizeof(val);
        freeReplyObject(r);
    }
    ok(good, "every key kept has its value");
    is_status(cmd(c, "DEBUG CHECK"), "OK", "DEBUG CHECK after the compactions");
    freeReplyObject(cmd(c, "FLUSHALL"));
}

static void test_debug(const struct tserver *s, redisContext *c)
{
    redisReply *r;

    is_status(cmd(c, "DEBUG SLEEP 0"), "OK", "DEBUG SLEEP 0");
    is_status(cmd(c, "DEBUG SLEEP 0.05"), "OK", "DEBUG SLEEP 0.05");
    is_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 0"), "OK", "DEBUG SET-ACTIVE-EXPIRE 0");
    is_status(cmd(c, "debug set-active-expire 1"), "OK", "DEBUG SET-ACTIVE-EXPIRE 1 (any case)");
    is_error(cmd(c, "DEBUG"), "ERR wrong number of arguments for 'debug' command", "DEBUG arity");
    is_error(cmd(c, "DEBUG Foo"),
             "ERR unknown subcommand or wrong number of arguments for 'Foo'. Try DEBUG HELP.",
             "DEBUG unknown subcommand");
    is_error(cmd(c, "DEBUG SLEEP"),
             "ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.",
             "DEBUG SLEEP without seconds");
    is_error(cmd(c, "DEBUG set-active-expire"),
             "ERR unknown subcommand or wrong number of arguments for 'set-active-expire'. Try "
             "DEBUG HELP.",
             "DEBUG SET-ACTIVE-EXPIRE without a value");
    r = cmd(c, "DEBUG HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements > 3 &&
           !strcmp(r->element[0]->str,
                   "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:") &&
           !strcmp(r->element[r->elements - 2]->str, "HELP"),
       "DEBUG HELP");
    freeReplyObject(r);
    if (!s->external) {
        /* omenkv differences: JMAP is kept as a no-op; numbers are parsed strictly where
         * Redis' atoi/strtod read garbage as 0. */
        is_status(cmd(c, "DEBUG JMAP"), "OK", "DEBUG JMAP does nothing (omenkv)");
        is_status(cmd(c, "DEBUG CHECK"), "OK", "DEBUG CHECK: the store agrees with itself (omenkv)");
        is_error(cmd(c, "DEBUG CHECK now"),
                 "ERR unknown subcommand or wrong number of arguments for 'CHECK'. Try DEBUG HELP.",
                 "DEBUG CHECK takes no argument (omenkv)");
        is_error(cmd(c, "DEBUG SLEEP abc"), "ERR value is not a valid float",
                 "DEBUG SLEEP abc (omenkv)");
        is_error(cmd(c, "DEBUG SET-ACTIVE-EXPIRE x"), "ERR value is not an integer or out of range",
                 "DEBUG SET-ACTIVE-EXPIRE x (omenkv)");
        test_debug_compact(c);
    }
}

/* enable-debug-command no refuses DEBUG; local allows it from 127.0.0.1. */
static void test_debug_modes(void)
{
    static const char *no_args[] = {"--enable-debug-command", "no", NULL};
    static const char *local_args[] = {"--enable-debug-command", "local", NULL};
    struct tserver s;
    redisContext *c;

    if (ts_start(&s, no_args) != 0) {
        ok(0, "a server with enable-debug-command no starts");
        return;
    }
    c = ts_connect(&s);
    is_error(cmd(c, "DEBUG SLEEP 0"),
             "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
             "\"local\", you can run it from a local connection, otherwise you need to set this "
             "option in the configuration file, and then restart the server.",
             "enable-debug-command no: DEBUG refused");
    is_error(cmd(c, "DEBUG nosuch"),
             "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
             "\"local\", you can run it from a local connection, otherwise you need to set this "
             "option in the configuration file, and then restart the server.",
             "... before its subcommand is looked at");
    redisFree(c);
    ts_cleanup(&s);

    if (ts_start(&s, local_args) != 0) {
        ok(0, "a server with enable-debug-command local starts");
        return;
    }
    c = ts_connect(&s);
    is_status(cmd(c, "DEBUG SLEEP 0"), "OK", "enable-debug-command local: DEBUG from 127.0.0.1");
    redisFree(c);
    ts_cleanup(&s);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 1);
    test_type(c);
    test_rename(c);
    test_copy(c);
    test_move(c);
    test_touch(c);
    test_object(&s, c);
    test_swapdb(&s, c);
    test_debug(&s, c);
    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
    redisFree(c);
    ts_cleanup(&s);
    if (!s.external) /* the modes need servers of our own */
        test_debug_modes();
    return tap_done();
}
