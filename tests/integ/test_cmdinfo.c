/* test_cmdinfo.c - COMMAND INFO, LIST and GETKEYS[ANDFLAGS] against a real server,
 * checked against redis-server 7.0 itself: every command and subcommand the server
 * lists is described exactly as a redis-server started beside it describes it (the
 * order of a container's subcommands aside: Redis' own order changes from run to run),
 * and every ACL-category filter selects the same names. The reference is
 * $OMK_REDIS_SERVER, else /usr/bin/redis-server; without one those checks are skipped.
 * The fixed expectations below pass against Redis too (OMK_TEST_SERVER). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

/* Whether replies 'a' and 'b' are equal; with 'entry', 'a' and 'b' are COMMAND INFO
 * entries whose subcommand entries (element 9) may come in any order, and 'a' may list
 * fewer of them (a container lists only the subcommands the server implements), each
 * equal to one of b's. */
static int reply_eq(const redisReply *a, const redisReply *b, int entry)
{
    if (!a || !b || a->type != b->type)
        return 0;
    switch (a->type) {
    case REDIS_REPLY_INTEGER:
        return a->integer == b->integer;
    case REDIS_REPLY_NIL:
        return 1;
    case REDIS_REPLY_ARRAY:
        if (a->elements != b->elements)
            return 0;
        for (size_t i = 0; i < a->elements; i++) {
            if (entry && i == 9) {
                for (size_t j = 0; j < a->element[9]->elements; j++) {
                    size_t k = 0;

                    while (k < b->element[9]->elements &&
                           !reply_eq(a->element[9]->element[j], b->element[9]->element[k], 1))
                        k++;
                    if (k == b->element[9]->elements)
                        return 0;
                }
                if (a->element[9]->type != b->element[9]->type &&
                    a->element[9]->elements + b->element[9]->elements > 0)
                    return 0;
            } else if (!reply_eq(a->element[i], b->element[i], 0)) {
                return 0;
            }
        }
        return 1;
    default:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    }
}

/* Whether the array reply 'r' holds the string 'name'. */
static int has_name(const redisReply *r, const char *name)
{
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && !strcmp(r->element[i]->str, name))
            return 1;
    return 0;
}

/* Start the reference redis-server, or return -1 if there is none. */
static int start_reference(struct tserver *ref)
{
    const char *bin = getenv("OMK_REDIS_SERVER");
    char *saved_server = getenv("OMK_SERVER") ? strdup(getenv("OMK_SERVER")) : NULL;
    char *saved_ext = getenv("OMK_TEST_SERVER") ? strdup(getenv("OMK_TEST_SERVER")) : NULL;
    int rc;

    if (!bin)
        bin = "/usr/bin/redis-server";
    if (access(bin, X_OK) != 0)
        return -1;
    setenv("OMK_SERVER", bin, 1);
    unsetenv("OMK_TEST_SERVER");
    rc = ts_start(ref, NULL);
    if (saved_server)
        setenv("OMK_SERVER", saved_server, 1);
    else
        unsetenv("OMK_SERVER");
    if (saved_ext)
        setenv("OMK_TEST_SERVER", saved_ext, 1);
    free(saved_server);
    free(saved_ext);
    return rc;
}

/* Every name our COMMAND LIST gives is described as the reference describes it, and
 * the ACL-category filters agree. */
static void test_against_reference(redisContext *c, redisContext *rc)
{
    static const char *const cats[] = {
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
        "hyperloglog", "admin", "fast", "slow", "blocking", "dangerous", "connection",
        "transaction", "pubsub", "bitmap", "scripting", "geo", "stream",
    };
    redisReply *names = cmd(c, "COMMAND LIST");
    int described = 0;

    ok(names && names->type == REDIS_REPLY_ARRAY && names->elements > 100,
       "COMMAND LIST gives the names");
    for (size_t i = 0; names && i < names->elements; i++) {
        const char *name = names->element[i]->str;
        redisReply *ours = cmd(c, "COMMAND INFO %s", name), *redis = cmd(rc, "COMMAND INFO %s", name);

        if (ok(reply_eq(ours, redis, 0) ||
                   (ours && redis && ours->elements == 1 && redis->elements == 1 &&
                    reply_eq(ours->element[0], redis->element[0], 1)),
               "COMMAND INFO %s is Redis'", name))
            described++;
        freeReplyObject(ours);
        freeReplyObject(redis);
    }
    diag("%d commands and subcommands described as Redis describes them", described);
    for (size_t k = 0; k < sizeof(cats) / sizeof(cats[0]); k++) {
        redisReply *ours = cmd(c, "COMMAND LIST FILTERBY ACLCAT %s", cats[k]);
        redisReply *redis = cmd(rc, "COMMAND LIST FILTERBY ACLCAT %s", cats[k]);
        int same = ours && ours->type == REDIS_REPLY_ARRAY;

        for (size_t i = 0; same && names && i < names->elements; i++) {
            const char *name = names->element[i]->str;

            if (has_name(ours, name) != has_name(redis, name)) {
                diag("  %s: %s is %s", cats[k], name, has_name(ours, name) ? "ours only" : "Redis' only");
                same = 0;
            }
        }
        ok(same, "COMMAND LIST FILTERBY ACLCAT %s selects what Redis selects", cats[k]);
        freeReplyObject(ours);
        freeReplyObject(redis);
    }
    freeReplyObject(names);
}

/* Fixed expectations, Redis' own answers. */
static void test_list_and_getkeys(redisContext *c)
{
    redisReply *r;

    r = cmd(c, "COMMAND LIST FILTERBY PATTERN CONFIG*");
    ok(has_name(r, "config") && has_name(r, "config|get") && has_name(r, "config|set") &&
           !has_name(r, "get"),
       "LIST FILTERBY PATTERN (any case) names config and its subcommands");
    freeReplyObject(r);
    r = cmd(c, "COMMAND LIST");
    ok(has_name(r, "get") && has_name(r, "client|list") && has_name(r, "command|getkeysandflags"),
       "LIST names commands and subcommands");
    freeReplyObject(r);
    r = cmd(c, "COMMAND LIST FILTERBY ACLCAT string");
    ok(has_name(r, "get") && has_name(r, "append") && !has_name(r, "hget"),
       "LIST FILTERBY ACLCAT string");
    freeReplyObject(r);
    r = cmd(c, "COMMAND LIST FILTERBY ACLCAT @string");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "a category with its @ is unknown");
    freeReplyObject(r);
    r = cmd(c, "COMMAND LIST FILTERBY MODULE nosuch");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "FILTERBY MODULE: none");
    freeReplyObject(r);
    is_error(cmd(c, "COMMAND LIST FILTERBY"), "ERR syntax error", "FILTERBY without a filter");
    is_error(cmd(c, "COMMAND LIST FILTERBY PATTERN"), "ERR syntax error", "PATTERN without one");
    is_error(cmd(c, "COMMAND LIST FILTERBY FOO x"), "ERR syntax error", "unknown filter");
    is_error(cmd(c, "COMMAND LIST foo"), "ERR syntax error", "LIST with junk");

    r = cmd(c, "COMMAND GETKEYSANDFLAGS zunionstore d 2 a b");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
           !strcmp(r->element[0]->element[0]->str, "d") &&
           !strcmp(r->element[0]->element[1]->element[0]->str, "OW") &&
           !strcmp(r->element[0]->element[1]->element[1]->str, "update") &&
           !strcmp(r->element[1]->element[0]->str, "a") &&
           !strcmp(r->element[1]->element[1]->element[0]->str, "RO") &&
           !strcmp(r->element[2]->element[0]->str, "b"),
       "GETKEYSANDFLAGS ZUNIONSTORE: d OW update, a and b RO access");
    freeReplyObject(r);
    r = cmd(c, "COMMAND GETKEYSANDFLAGS lmpop 2 a b LEFT");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[1]->element[1]->elements == 3 &&
           !strcmp(r->element[1]->element[1]->element[2]->str, "delete"),
       "GETKEYSANDFLAGS LMPOP: RW access delete");
    freeReplyObject(r);
    r = cmd(c, "COMMAND GETKEYS zunionstore d 2x a b");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && !strcmp(r->element[2]->str, "d"),
       "GETKEYS with a sloppy numkeys: Redis' own rule, destination last");
    freeReplyObject(r);
    r = cmd(c, "COMMAND GETKEYS object encoding k");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && !strcmp(r->element[0]->str, "k"),
       "GETKEYS of a subcommand");
    freeReplyObject(r);
    is_error(cmd(c, "COMMAND GETKEYS zunionstore d 3 a b"),
             "ERR Invalid arguments specified for command", "numkeys past the arguments");
    is_error(cmd(c, "COMMAND GETKEYS lmpop 0 a left"),
             "ERR Invalid arguments specified for command", "numkeys 0");
    is_error(cmd(c, "COMMAND GETKEYSANDFLAGS config get x"),
             "ERR The command has no key arguments", "a command without keys");
    is_error(cmd(c, "COMMAND GETKEYS object nosuch k"), "ERR Invalid command specified",
             "an unknown subcommand");
    is_error(cmd(c, "COMMAND GETKEYS nosuch k"), "ERR Invalid command specified",
             "an unknown command");
    is_error(cmd(c, "COMMAND GETKEYS get"),
             "ERR wrong number of arguments for 'command|getkeys' command", "GETKEYS arity");
    is_error(cmd(c, "COMMAND GETKEYS get a b"),
             "ERR Invalid number of arguments specified for command", "the command's arity");
    r = cmd(c, "COMMAND INFO config|get nosuch");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->element[1]->integer == -3 &&
           r->element[1]->type == REDIS_REPLY_NIL,
       "COMMAND INFO config|get names the subcommand; unknown: nil");
    freeReplyObject(r);
    r = cmd(c, "COMMAND INFO zunionstore");
    ok(r && r->element[0]->elements == 10 && r->element[0]->element[8]->elements == 2,
       "COMMAND INFO ZUNIONSTORE has two key specs");
    freeReplyObject(r);
    r = cmd(c, "COMMAND HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements > 4 &&
           !strncmp(r->element[0]->str, "COMMAND <subcommand>", 20),
       "COMMAND HELP");
    freeReplyObject(r);
}

int main(void)
{
    struct tserver s, ref;
    redisContext *c;

    if (ts_start(&s, NULL) != 0) {
        ok(0, "server starts");
        return tap_done();
    }
    c = ts_connect(&s);
    test_list_and_getkeys(c);
    if (start_reference(&ref) == 0) {
        redisContext *rc = ts_connect(&ref);

        test_against_reference(c, rc);
        redisFree(rc);
        ts_cleanup(&ref);
    } else {
        diag("no reference redis-server: checks against it skipped");
    }
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
