/* test_slowlog.c - SLOWLOG against a real server: what an entry holds (id, time,
 * duration, arguments trimmed to 32 and to 128 bytes each as Redis trims them, client
 * address and name), LEN, RESET, GET's count, slowlog-max-len, the threshold (negative:
 * off), commands from clients on both workers, and the errors. Passes against
 * redis-server 7.0 too (OMK_TEST_SERVER). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/harness.h"

/* The newest entry of SLOWLOG GET 1 (the reply, to free) in '*e', or NULL. */
static redisReply *newest(redisContext *c, redisReply **e)
{
    redisReply *r = cmd(c, "SLOWLOG GET 1");

    *e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0] : NULL;
    return r;
}

static void test_entry(redisContext *c)
{
    redisReply *r, *e;
    char big[201];
    const char *argv[40];
    size_t lens[40];

    is_status(cmd(c, "CONFIG SET slowlog-log-slower-than 0"), "OK", "log every command");
    is_status(cmd(c, "CLIENT SETNAME slowpoke"), "OK", "name the client");
    is_status(cmd(c, "SLOWLOG RESET"), "OK", "RESET");
    is_integer(cmd(c, "SLOWLOG LEN"), 1, "LEN after RESET counts the RESET itself");
    is_status(cmd(c, "SET slow:k v"), "OK", "a command");
    r = newest(c, &e);
    ok(e && e->elements == 6 && e->element[0]->type == REDIS_REPLY_INTEGER &&
           llabs(e->element[1]->integer - (long long)time(NULL)) < 5 &&
           e->element[2]->integer >= 0 && e->element[3]->elements == 3 &&
           !strcmp(e->element[3]->element[0]->str, "SET") &&
           !strcmp(e->element[3]->element[2]->str, "v") &&
           !strncmp(e->element[4]->str, "127.0.0.1:", 10) &&
           !strcmp(e->element[5]->str, "slowpoke"),
       "an entry: id, time, duration, arguments, address, name");
    freeReplyObject(r);

    memset(big, 'x', 200);
    big[200] = '\0';
    r = cmd(c, "ECHO %s", big);
    freeReplyObject(r);
    r = newest(c, &e);
    ok(e && e->element[3]->elements == 2 &&
           e->element[3]->element[1]->len == strlen("... (72 more bytes)") + 128 &&
           !strcmp(e->element[3]->element[1]->str + 128, "... (72 more bytes)"),
       "an argument over 128 bytes is cut with a note");
    freeReplyObject(r);

    argv[0] = "DEL";
    lens[0] = 3;
    for (int i = 1; i < 40; i++) {
        argv[i] = "key";
        lens[i] = 3;
    }
    r = redisCommandArgv(c, 40, argv, lens);
    freeReplyObject(r);
    r = newest(c, &e);
    ok(e && e->element[3]->elements == 32 &&
           !strcmp(e->element[3]->element[31]->str, "... (9 more arguments)"),
       "more than 32 arguments: 31 and a note");
    freeReplyObject(r);
    is_status(cmd(c, "CLIENT SETNAME \"\""), "OK", "unname the client");
}

static void test_len_and_count(redisContext *c, const struct tserver *s)
{
    redisReply *r, *e;
    redisContext *other = ts_connect(s);

    is_status(cmd(c, "SLOWLOG RESET"), "OK", "RESET");
    for (int i = 0; i < 12; i++)
        freeReplyObject(cmd(i % 2 ? other : c, "PING"));
    is_integer(cmd(c, "SLOWLOG LEN"), 13, "commands of two clients (two workers) are logged");
    r = cmd(c, "SLOWLOG GET");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 10, "GET gives 10 by default");
    ok(r && r->elements == 10 && r->element[0]->element[0]->integer >
                                     r->element[1]->element[0]->integer,
       "newest first");
    freeReplyObject(r);
    r = cmd(c, "SLOWLOG GET -1");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 14, "GET -1 gives all");
    freeReplyObject(r);
    r = cmd(c, "SLOWLOG GET 0");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "GET 0 gives none");
    freeReplyObject(r);
    is_error(cmd(c, "SLOWLOG GET -2"), "ERR count should be greater than or equal to -1",
             "GET -2");
    is_error(cmd(c, "SLOWLOG GET x"), "ERR count should be greater than or equal to -1",
             "GET x: the same error");
    is_error(cmd(c, "SLOWLOG LEN x"),
             "ERR wrong number of arguments for 'slowlog|len' command", "LEN arity");
    is_error(cmd(c, "SLOWLOG FOO"), "ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.",
             "unknown subcommand");
    r = cmd(c, "SLOWLOG HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements > 3 &&
           !strncmp(r->element[0]->str, "SLOWLOG <subcommand>", 20),
       "HELP");
    freeReplyObject(r);

    is_status(cmd(c, "CONFIG SET slowlog-max-len 3"), "OK", "slowlog-max-len 3");
    for (int i = 0; i < 5; i++)
        freeReplyObject(cmd(other, "PING"));
    is_integer(cmd(c, "SLOWLOG LEN"), 3, "the log keeps slowlog-max-len entries");
    is_status(cmd(c, "CONFIG SET slowlog-log-slower-than -1"), "OK", "threshold -1: off");
    is_status(cmd(c, "SLOWLOG RESET"), "OK", "RESET");
    freeReplyObject(cmd(c, "PING"));
    is_integer(cmd(c, "SLOWLOG LEN"), 0, "nothing is logged when off");
    is_status(cmd(c, "CONFIG SET slowlog-log-slower-than 100000"), "OK", "threshold 100 ms");
    freeReplyObject(cmd(c, "DEBUG SLEEP 0.2"));
    freeReplyObject(cmd(c, "PING"));
    r = newest(c, &e);
    ok(e && !strcmp(e->element[3]->element[0]->str, "DEBUG") &&
           e->element[2]->integer >= 200000,
       "over the threshold: logged with its duration in microseconds");
    freeReplyObject(r);
    is_integer(cmd(c, "SLOWLOG LEN"), 1, "under it: not logged");
    is_status(cmd(c, "CONFIG SET slowlog-max-len 128"), "OK", "back to the defaults");
    is_status(cmd(c, "CONFIG SET slowlog-log-slower-than 10000"), "OK", "back to the defaults");
    redisFree(other);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    if (ts_start(&s, NULL) != 0) {
        ok(0, "server starts");
        return tap_done();
    }
    c = ts_connect(&s);
    test_entry(c);
    test_len_and_count(c, &s);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
