/* test_acl.c - ACL users against a real server started with an aclfile: every ACL
 * subcommand and its errors, the rule language as ACL LIST and GETUSER print it back,
 * AUTH and HELLO AUTH with a user name, NOPERM refusals of commands, keys (%R~ %W~) and
 * channels, selectors, ACL LOG entries, requirepass as the default user's password,
 * DELUSER closing the user's connections, ACL SAVE and LOAD. Every expectation holds
 * against redis-server 7.0 too (OMK_SERVER=/usr/bin/redis-server). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

static char acl_path[256];

/* Stop the program: the test cannot go on. */
static void bail_out(const char *why)
{
    printf("Bail out! %s %s\n", why, acl_path);
    exit(1);
}

/* Write 'text' to the aclfile. */
static void write_aclfile(const char *text)
{
    FILE *f = fopen(acl_path, "w");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        bail_out("cannot write");
}

/* The bulk string at index 'i' of array reply 'r', or "" when it is not one. */
static const char *elem_str(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
        r->element[i]->type != REDIS_REPLY_STRING)
        return "";
    return r->element[i]->str;
}

/* Whether array reply 'r' holds the string 's'. */
static int has_elem(const redisReply *r, const char *s)
{
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (!strcmp(elem_str(r, i), s))
            return 1;
    return 0;
}

/* The ACL LIST line of 'user' (caller frees), or NULL. */
static char *list_line(redisContext *c, const char *user)
{
    redisReply *r = cmd(c, "ACL LIST");
    char prefix[128];
    char *line = NULL;

    snprintf(prefix, sizeof(prefix), "user %s ", user);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (!strncmp(elem_str(r, i), prefix, strlen(prefix)))
            line = strdup(elem_str(r, i));
    freeReplyObject(r);
    return line;
}

static void is_line(redisContext *c, const char *user, const char *want, const char *name)
{
    char *line = list_line(c, user);

    if (!ok(line && !strcmp(line, want), "%s", name))
        diag("  got '%s'\n#   wanted '%s'", line ? line : "(none)", want);
    free(line);
}

static void test_setuser_and_list(redisContext *c)
{
    redisReply *r;

    is_line(c, "default", "user default on nopass ~* &* +@all", "the default user");
    is_status(cmd(c, "ACL SETUSER bob"), "OK", "SETUSER creates a user");
    is_line(c, "bob", "user bob off resetchannels -@all", "a new user is off with nothing");
    is_status(cmd(c, "ACL SETUSER bob +@all -@connection +ping"), "OK", "+@all minus some");
    is_line(c, "bob", "user bob off resetchannels +@all -@connection +ping",
            "subtractive rules are described from +@all");
    is_status(cmd(c, "ACL SETUSER bob -@all +@read +@write -set allkeys"), "OK", "categories");
    is_line(c, "bob", "user bob off ~* resetchannels -@all +@read +@write -set",
            "categories are described as set");
    is_status(cmd(c, "ACL SETUSER bob -@all +@hash +@set -@write"), "OK", "two categories");
    r = cmd(c, "ACL GETUSER bob");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 12 &&
           !strncmp(elem_str(r, 5), "-@all +@hash +@set -", 20),
       "the best-fitting category comes first, then the other");
    freeReplyObject(r);
    is_status(cmd(c, "ACL SETUSER bob reset"), "OK", "reset");
    is_line(c, "bob", "user bob off sanitize-payload resetchannels -@all",
            "reset leaves an off user with sanitize-payload");
    is_status(cmd(c, "ACL SETUSER bob nocommands +select|0 +select|1"), "OK", "first args");
    is_line(c, "bob", "user bob off sanitize-payload resetchannels -@all +select|0 +select|1",
            "first-arg exceptions are listed");
    is_status(cmd(c, "ACL SETUSER bob nopass >a >b <a resetpass "
                     "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 "
                     "%%W~w %%RW~rw ~a %%R~a"),
              "OK", "passwords and key patterns");
    is_line(c, "bob",
            "user bob off sanitize-payload "
            "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 %W~w ~rw ~a "
            "resetchannels -@all +select|0 +select|1",
            "patterns keep their order and merge their rights");

    /* Errors, as Redis words them; a failed SETUSER changes nothing. */
    is_error(cmd(c, "ACL SETUSER bob foo"),
             "ERR Error in ACL SETUSER modifier 'foo': Syntax error", "an unknown rule");
    is_error(cmd(c, "ACL SETUSER bob +nosuch"),
             "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name "
             "in ACL",
             "an unknown command");
    is_error(cmd(c, "ACL SETUSER bob -@nosuch"),
             "ERR Error in ACL SETUSER modifier '-@nosuch': Unknown command or category name "
             "in ACL",
             "an unknown category");
    is_error(cmd(c, "ACL SETUSER bob +config|nosuch"),
             "ERR Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category "
             "name in ACL",
             "an unknown subcommand");
    is_error(cmd(c, "ACL SETUSER bob +acl|setuser|x"),
             "ERR Error in ACL SETUSER modifier '+acl|setuser|x': Allowing first-arg of a "
             "subcommand is not supported",
             "a first arg of a subcommand");
    is_error(cmd(c, "ACL SETUSER bob +config|"),
             "ERR Error in ACL SETUSER modifier '+config|': Syntax error", "an empty subcommand");
    is_error(cmd(c, "ACL SETUSER bob %%X~a"),
             "ERR Error in ACL SETUSER modifier '%X~a': Syntax error", "a bad key right");
    is_error(cmd(c, "ACL SETUSER bob allkeys ~a"),
             "ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or "
             "the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to "
             "start with an empty list of patterns",
             "a key pattern after allkeys");
    is_error(cmd(c, "ACL SETUSER bob allchannels &a"),
             "ERR Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or "
             "the 'allchannels' flag) is not valid and does not have any effect. Try "
             "'resetchannels' to start with an empty list of channels",
             "a channel pattern after allchannels");
    is_error(cmd(c, "ACL SETUSER bob #abc"),
             "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
             "characters and contain only lowercase hexadecimal characters",
             "a bad hash");
    is_error(cmd(c, "ACL SETUSER bob <nosuch"),
             "ERR Error in ACL SETUSER modifier '<nosuch': The password you are trying to "
             "remove from the user does not exist",
             "removing a missing password");
    is_error(cmd(c, "ACL SETUSER bob (+get"),
             "ERR Unmatched parenthesis in acl selector starting at '(+get'.",
             "an unclosed selector");
    is_error(cmd(c, "ACL SETUSER nobody +nosuch"),
             "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name "
             "in ACL",
             "a failed SETUSER of a new user");
    is_nil(cmd(c, "ACL GETUSER nobody"), "... does not create it");
    is_error(cmd(c, "ACL SETUSER"), "ERR wrong number of arguments for 'acl|setuser' command",
             "SETUSER arity");
    is_integer(cmd(c, "ACL DELUSER bob"), 1, "DELUSER bob");
}

static void test_getuser(redisContext *c)
{
    redisReply *r, *sel;

    is_status(cmd(c, "ACL SETUSER alice on >pw ~user:* %%R~ro:* &chan* +@read -debug "
                     "+config|get (+set ~w:*)"),
              "OK", "a user with patterns and a selector");
    is_line(c, "alice",
            "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
            "~user:* %R~ro:* resetchannels &chan* -@all +@read +config|get "
            "(~w:* resetchannels -@all +set)",
            "ACL LIST shows it in Redis' words");
    r = cmd(c, "ACL GETUSER alice");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 12 && !strcmp(elem_str(r, 0), "flags") &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 1 &&
           !strcmp(elem_str(r->element[1], 0), "on") && !strcmp(elem_str(r, 2), "passwords") &&
           !strcmp(elem_str(r->element[3], 0),
                   "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4") &&
           !strcmp(elem_str(r, 4), "commands") &&
           !strcmp(elem_str(r, 5), "-@all +@read +config|get") &&
           !strcmp(elem_str(r, 6), "keys") && !strcmp(elem_str(r, 7), "~user:* %R~ro:*") &&
           !strcmp(elem_str(r, 8), "channels") && !strcmp(elem_str(r, 9), "&chan*") &&
           !strcmp(elem_str(r, 10), "selectors"),
       "GETUSER: flags, passwords, commands, keys, channels");
    sel = r && r->type == REDIS_REPLY_ARRAY && r->elements == 12 ? r->element[11] : NULL;
    ok(sel && sel->type == REDIS_REPLY_ARRAY && sel->elements == 1 &&
           sel->element[0]->elements == 6 && !strcmp(elem_str(sel->element[0], 1), "-@all +set") &&
           !strcmp(elem_str(sel->element[0], 3), "~w:*") &&
           !strcmp(elem_str(sel->element[0], 5), ""),
       "GETUSER: the selector");
    freeReplyObject(r);
    is_nil(cmd(c, "ACL GETUSER nosuch"), "GETUSER of an unknown user is nil");
}

static void test_permissions(struct tserver *s, redisContext *c)
{
    redisContext *a = ts_connect(s);
    redisReply *r;

    is_status(cmd(c, "ACL LOG RESET"), "OK", "LOG RESET");
    is_status(cmd(a, "AUTH alice pw"), "OK", "AUTH with a user name");
    is_error(cmd(a, "ACL WHOAMI"),
             "NOPERM this user has no permissions to run the 'acl|whoami' command",
             "a subcommand the user lacks");
    is_nil(cmd(a, "GET user:1"), "a read of an allowed key");
    is_error(cmd(a, "GET other"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "a read of a key outside the patterns");
    is_error(cmd(a, "LPUSH user:1 x"),
             "NOPERM this user has no permissions to run the 'lpush' command",
             "a command outside the rules");
    is_error(cmd(a, "CONFIG SET maxmemory 0"),
             "NOPERM this user has no permissions to run the 'config|set' command",
             "a subcommand outside the rules");
    r = cmd(a, "CONFIG GET maxmemory");
    ok(r && r->type == REDIS_REPLY_ARRAY, "an allowed subcommand runs");
    freeReplyObject(r);
    is_status(cmd(a, "SET w:1 v"), "OK", "the selector allows SET on w:*");
    is_error(cmd(a, "SET user:1 v"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "but not elsewhere (a key refusal beats a command refusal)");
    is_error(cmd(a, "MGET user:1 other"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "one refused key refuses the command");

    /* %R~ and %W~: SET without GET only writes; SET ... GET reads too. */
    is_status(cmd(c, "ACL SETUSER rw on nopass %%W~w:* %%R~r:* +@all"), "OK", "read/write keys");
    is_status(cmd(a, "AUTH rw x"), "OK", "AUTH as a nopass user with any password");
    is_str(cmd(a, "ACL WHOAMI"), "rw", 2, "WHOAMI names the user");
    is_status(cmd(a, "SET w:1 v"), "OK", "%W~ allows a blind write");
    is_error(cmd(a, "GET w:1"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "%W~ does not allow a read");
    is_nil(cmd(a, "GET r:1"), "%R~ allows a read");
    is_error(cmd(a, "SET r:1 v"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "%R~ does not allow a write");
    is_error(cmd(a, "SET w:1 v GET"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "SET ... GET reads its key");

    /* Inside MULTI a refusal aborts the transaction. */
    is_status(cmd(a, "MULTI"), "OK", "MULTI");
    is_error(cmd(a, "GET w:1"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "a refused command inside MULTI");
    is_error(cmd(a, "EXEC"), "EXECABORT Transaction discarded because of previous errors.",
             "EXEC aborts");

    /* Wrong passwords, disabled users. */
    is_error(cmd(a, "AUTH alice wrong"),
             "WRONGPASS invalid username-password pair or user is disabled.", "a wrong password");
    is_error(cmd(a, "AUTH nouser x"),
             "WRONGPASS invalid username-password pair or user is disabled.", "an unknown user");
    is_status(cmd(c, "ACL SETUSER alice off"), "OK", "alice off");
    is_error(cmd(a, "AUTH alice pw"),
             "WRONGPASS invalid username-password pair or user is disabled.", "a user that is off");
    is_status(cmd(c, "ACL SETUSER alice on"), "OK", "alice on again");
    is_error(cmd(a, "AUTH onlypass"),
             "ERR AUTH <password> called without any password configured for the default user. "
             "Are you sure your configuration is correct?",
             "AUTH <password> while the default user has nopass");

    /* HELLO AUTH. */
    is_error(cmd(a, "HELLO 2 AUTH alice wrong"),
             "WRONGPASS invalid username-password pair or user is disabled.", "HELLO AUTH wrong");
    r = cmd(a, "HELLO 2 AUTH alice pw");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 14 &&
           !strcmp(elem_str(r, 0), "server"),
       "HELLO 2 AUTH logs in and describes the server");
    freeReplyObject(r);
    is_error(cmd(a, "GET other"),
             "NOPERM this user has no permissions to access one of the keys used as arguments",
             "HELLO AUTH switched the user");
    redisFree(a);
}

/* The ACL LOG after test_permissions: newest first. */
static void test_log(redisContext *c)
{
    redisReply *r = cmd(c, "ACL LOG"), *e;

    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 6, "ACL LOG has entries");
    e = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? r->element[0] : NULL;
    ok(e && e->type == REDIS_REPLY_ARRAY && e->elements == 14 &&
           !strcmp(elem_str(e, 0), "count") && e->element[1]->type == REDIS_REPLY_INTEGER &&
           e->element[1]->integer == 3 && !strcmp(elem_str(e, 2), "reason") &&
           !strcmp(elem_str(e, 3), "key") && !strcmp(elem_str(e, 4), "context") &&
           !strcmp(elem_str(e, 5), "toplevel") && !strcmp(elem_str(e, 6), "object") &&
           !strcmp(elem_str(e, 7), "other") && !strcmp(elem_str(e, 8), "username") &&
           !strcmp(elem_str(e, 9), "alice") && !strcmp(elem_str(e, 10), "age-seconds") &&
           !strcmp(elem_str(e, 12), "client-info") && strstr(elem_str(e, 13), " cmd=get ") &&
           strstr(elem_str(e, 13), " user=alice "),
       "the newest entry: alice's three refusals of key 'other' in one, Redis' seven fields");
    {
        int found_multi = 0, found_cmd = 0, found_auth = 0;

        for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
            e = r->element[i];
            if (!strcmp(elem_str(e, 3), "key") && !strcmp(elem_str(e, 5), "multi") &&
                !strcmp(elem_str(e, 7), "w:1") && !strcmp(elem_str(e, 9), "rw"))
                found_multi = 1;
            if (!strcmp(elem_str(e, 3), "command") && !strcmp(elem_str(e, 7), "config|set") &&
                strstr(elem_str(e, 13), " user=alice "))
                found_cmd = 1;
            if (!strcmp(elem_str(e, 3), "auth") && !strcmp(elem_str(e, 7), "HELLO") &&
                !strcmp(elem_str(e, 9), "alice") && strstr(elem_str(e, 13), " cmd=hello "))
                found_auth = 1;
        }
        ok(found_multi, "a refusal inside MULTI is logged with context multi");
        ok(found_cmd, "a command refusal names the subcommand and the client's user");
        ok(found_auth, "a failed HELLO AUTH is logged with the command as sent and the user");
    }
    freeReplyObject(r);
    r = cmd(c, "ACL LOG 1");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "ACL LOG count");
    freeReplyObject(r);
    is_error(cmd(c, "ACL LOG x"), "ERR value is not an integer or out of range", "a bad count");
    is_error(cmd(c, "ACL LOG 1 2"),
             "ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.",
             "too many arguments");
    is_status(cmd(c, "ACL LOG RESET"), "OK", "LOG RESET");
    r = cmd(c, "ACL LOG");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "the log is empty after RESET");
    freeReplyObject(r);
}

/* Redis checks the ACL again when EXEC runs the queue: a rule changed since a command
 * was queued refuses it there (the others run), logged in the "multi" context. */
static void test_exec_recheck(struct tserver *s, redisContext *c)
{
    redisContext *a = ts_connect(s);
    redisReply *r, *e;

    is_status(cmd(c, "ACL SETUSER queuer on nopass ~q:* +@all"), "OK", "a user for MULTI");
    is_status(cmd(a, "AUTH queuer x"), "OK", "AUTH as it");
    is_status(cmd(a, "MULTI"), "OK", "MULTI");
    is_status(cmd(a, "SET q:1 v"), "QUEUED", "SET queued");
    is_status(cmd(a, "GET q:1"), "QUEUED", "GET queued");
    is_status(cmd(c, "ACL SETUSER queuer -set"), "OK", "SET taken away meanwhile");
    r = cmd(a, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_ERROR &&
           !strcmp(r->element[0]->str,
                   "NOPERM ACLs rules changed between the moment the transaction was "
                   "accumulated and the EXEC call. This command is no longer allowed for the "
                   "following reason: no permission to execute the command or subcommand") &&
           r->element[1]->type == REDIS_REPLY_NIL,
       "EXEC refuses the command the rules no longer allow, and runs the rest");
    freeReplyObject(r);

    is_status(cmd(c, "ACL SETUSER queuer +set"), "OK", "SET given back");
    is_status(cmd(a, "MULTI"), "OK", "MULTI");
    is_status(cmd(a, "SET q:1 v"), "QUEUED", "SET queued");
    is_status(cmd(c, "ACL SETUSER queuer resetkeys ~other:*"), "OK", "the key pattern changed");
    r = cmd(a, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
           r->element[0]->type == REDIS_REPLY_ERROR &&
           !strcmp(r->element[0]->str,
                   "NOPERM ACLs rules changed between the moment the transaction was "
                   "accumulated and the EXEC call. This command is no longer allowed for the "
                   "following reason: no permission to touch the specified keys"),
       "a key the rules no longer allow");
    freeReplyObject(r);
    r = cmd(c, "ACL LOG 1");
    e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0] : NULL;
    ok(e && !strcmp(elem_str(e, 3), "key") && !strcmp(elem_str(e, 5), "multi") &&
           !strcmp(elem_str(e, 7), "q:1") && !strcmp(elem_str(e, 9), "queuer"),
       "the refusal at EXEC is logged in the multi context");
    freeReplyObject(r);
    is_integer(cmd(c, "EXISTS q:1"), 0, "the refused SET did not run");
    is_integer(cmd(c, "ACL DELUSER queuer"), 1, "drop the user");
    is_status(cmd(c, "ACL LOG RESET"), "OK", "LOG RESET");
    redisFree(a);
}

static void test_small_subcommands(redisContext *c)
{
    redisReply *r;

    r = cmd(c, "ACL CAT");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 21 &&
           !strcmp(elem_str(r, 0), "keyspace") && !strcmp(elem_str(r, 20), "scripting"),
       "ACL CAT lists Redis 7.0's 21 categories in order");
    freeReplyObject(r);
    r = cmd(c, "ACL CAT read");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 87 && has_elem(r, "get") &&
           has_elem(r, "object|encoding") && !has_elem(r, "set"),
       "ACL CAT read: Redis 7.0's 87 reading commands and subcommands");
    freeReplyObject(r);
    is_error(cmd(c, "ACL CAT nosuch"), "ERR Unknown category 'nosuch'", "an unknown category");
    r = cmd(c, "ACL GENPASS");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == 64 && strspn(r->str, "0123456789abcdef") == 64,
       "GENPASS: 256 bits in 64 hex digits");
    freeReplyObject(r);
    r = cmd(c, "ACL GENPASS 5");
    ok(r && r->type == REDIS_REPLY_STRING && r->len == 2, "GENPASS 5: 2 hex digits");
    freeReplyObject(r);
    is_error(cmd(c, "ACL GENPASS 0"),
             "ERR ACL GENPASS argument must be the number of bits for the output password, a "
             "positive number up to 4096",
             "GENPASS 0");
    is_error(cmd(c, "ACL GENPASS 5000"),
             "ERR ACL GENPASS argument must be the number of bits for the output password, a "
             "positive number up to 4096",
             "GENPASS 5000");
    is_error(cmd(c, "ACL GENPASS abc"), "ERR value is not an integer or out of range",
             "GENPASS abc");
    r = cmd(c, "ACL USERS");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 && !strcmp(elem_str(r, 0), "alice") &&
           has_elem(r, "default") && has_elem(r, "rw"),
       "ACL USERS, sorted by name");
    freeReplyObject(r);
    is_str(cmd(c, "ACL WHOAMI"), "default", 7, "WHOAMI of a new connection");
    is_error(cmd(c, "ACL FOO"), "ERR unknown subcommand 'FOO'. Try ACL HELP.",
             "an unknown subcommand");
    r = cmd(c, "ACL HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 29, "ACL HELP");
    freeReplyObject(r);

    /* DRYRUN */
    is_status(cmd(c, "ACL DRYRUN alice GET user:1"), "OK", "DRYRUN of an allowed command");
    is_str(cmd(c, "ACL DRYRUN alice GET x"), "This user has no permissions to access the 'x' key",
           50, "DRYRUN of a refused key");
    is_str(cmd(c, "ACL DRYRUN alice LPUSH user:1 a"),
           "This user has no permissions to run the 'lpush' command", 55,
           "DRYRUN of a refused command");
    is_error(cmd(c, "ACL DRYRUN nouser GET a"), "ERR User 'nouser' not found", "an unknown user");
    is_error(cmd(c, "ACL DRYRUN alice nocmd"), "ERR Command 'nocmd' not found",
             "an unknown command");
    is_error(cmd(c, "ACL DRYRUN alice GET"), "ERR wrong number of arguments for 'get' command",
             "a command of the wrong arity");
}

/* Channel patterns: checked through PUBLISH and SUBSCRIBE where the server has them
 * (daemon/pubsub.c), always through the rules as ACL LIST prints them. */
static void test_channels(redisContext *c)
{
    redisReply *r;
    int has_publish;

    is_status(cmd(c, "ACL SETUSER ch on nopass &news.* &alerts allcommands allkeys"), "OK",
              "channel patterns");
    is_line(c, "ch", "user ch on nopass ~* resetchannels &news.* &alerts +@all",
            "they are listed after resetchannels");
    r = cmd(c, "COMMAND INFO publish");
    has_publish = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
                  r->element[0]->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    if (!has_publish) {
        skip("PUBLISH is not served yet: channel checks run through it once it is");
        skip("PUBLISH is not served yet");
        return;
    }
    is_status(cmd(c, "ACL DRYRUN ch PUBLISH news.1 m"), "OK", "a channel matching a pattern");
    is_str(cmd(c, "ACL DRYRUN ch PUBLISH other m"),
           "This user has no permissions to access the 'other' channel", 58,
           "a channel outside the patterns");
}

static void test_deluser(struct tserver *s, redisContext *c)
{
    redisContext *a = ts_connect(s);
    redisReply *r;

    is_status(cmd(c, "ACL SETUSER gone on >p +@all ~*"), "OK", "a user to delete");
    is_status(cmd(a, "AUTH gone p"), "OK", "a connection logged in as it");
    is_error(cmd(c, "ACL DELUSER default"), "ERR The 'default' user cannot be removed",
             "default cannot be deleted");
    is_integer(cmd(c, "ACL DELUSER nobody gone"), 1, "DELUSER counts the users deleted");
    r = cmd(a, "PING");
    ok(!r || r->type == REDIS_REPLY_ERROR, "the deleted user's connection is closed");
    freeReplyObject(r);
    redisFree(a);
    is_nil(cmd(c, "ACL GETUSER gone"), "the user is gone");
}

static void test_requirepass(struct tserver *s, redisContext *c)
{
    redisContext *a;
    redisReply *r;

    is_status(cmd(c, "CONFIG SET requirepass secret"), "OK", "requirepass set");
    r = cmd(c, "ACL GETUSER default");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 12 &&
           !strcmp(elem_str(r->element[3], 0),
                   "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b") &&
           !has_elem(r->element[1], "nopass"),
       "it is the default user's password, as its SHA-256");
    freeReplyObject(r);
    a = ts_connect(s);
    is_error(cmd(a, "GET x"), "NOAUTH Authentication required.", "a new connection must AUTH");
    is_status(cmd(a, "AUTH secret"), "OK", "AUTH <password> logs in as default");
    is_status(cmd(a, "AUTH default secret"), "OK", "AUTH default <password> too");
    is_status(cmd(c, "CONFIG SET requirepass %s", ""), "OK", "requirepass cleared");
    redisFree(a);
    a = ts_connect(s);
    is_status(cmd(a, "PING"), "PONG", "a new connection is in again");
    redisFree(a);
    is_line(c, "default", "user default on nopass ~* &* +@all", "default has nopass again");
}

static void test_file(redisContext *c)
{
    char want[512], buf[4096];
    redisReply *r;
    FILE *f;
    size_t n;

    is_str(cmd(c, "ACL WHOAMI"), "default", 7, "still default");
    r = cmd(c, "ACL GETUSER filed");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 12 &&
           !strcmp(elem_str(r, 5), "-@all +get") && !strcmp(elem_str(r, 7), "~f:*"),
       "the aclfile's user was loaded at start");
    freeReplyObject(r);
    is_status(cmd(c, "ACL SAVE"), "OK", "ACL SAVE");
    f = fopen(acl_path, "r");
    n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    ok(strstr(buf, "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"
                   " ~user:* %R~ro:* resetchannels &chan* -@all +@read +config|get (~w:* "
                   "resetchannels -@all +set)\n") &&
           strstr(buf, "user default on nopass ~* &* +@all\n"),
       "the file holds ACL LIST's lines");
    if (!strstr(buf, "user default on nopass ~* &* +@all\n"))
        diag("file: %s", buf);
    is_status(cmd(c, "ACL SETUSER alice off"), "OK", "a change after the save");
    is_status(cmd(c, "ACL SETUSER extra on"), "OK", "a user added after the save");
    is_status(cmd(c, "ACL LOAD"), "OK", "ACL LOAD");
    is_line(c, "alice",
            "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
            "~user:* %R~ro:* resetchannels &chan* -@all +@read +config|get "
            "(~w:* resetchannels -@all +set)",
            "LOAD restores the saved rules");
    is_nil(cmd(c, "ACL GETUSER extra"), "and drops users not in the file");

    write_aclfile("user default on nopass ~* &* +@all\nuser a on >x +get\n\nuser b foo\n"
                  "user a off\nusr c\n");
    snprintf(want, sizeof(want),
             "ERR %s:4: Syntax error. WARNING: Duplicate user 'a' found on line 5. %s:6 should "
             "start with user keyword followed by the username. WARNING: ACL errors detected, "
             "no change to the previously active ACL rules was performed",
             acl_path, acl_path);
    is_error(cmd(c, "ACL LOAD"), want, "a bad file: every error, nothing changed");
    {
        char *line = list_line(c, "alice");

        ok(line != NULL, "the users are still there");
        free(line);
    }
    unlink(acl_path);
    snprintf(want, sizeof(want),
             "ERR Error loading ACLs, opening file '%s': No such file or directory", acl_path);
    is_error(cmd(c, "ACL LOAD"), want, "a missing file");
}

int main(void)
{
    struct tserver s;
    redisContext *c;
    const char *args[3];
    int fd;

    snprintf(acl_path, sizeof(acl_path), "/tmp/omk-acl-XXXXXX");
    fd = mkstemp(acl_path);
    if (fd < 0)
        bail_out("mkstemp");
    close(fd);
    write_aclfile("user default on nopass ~* &* +@all\nuser filed on >fpw ~f:* -@all +get\n");
    args[0] = "--aclfile";
    args[1] = acl_path;
    args[2] = NULL;
    c = ts_begin(&s, args, 1);
    test_setuser_and_list(c);
    test_getuser(c);
    test_permissions(&s, c);
    test_log(c);
    test_exec_recheck(&s, c);
    test_small_subcommands(c);
    test_channels(c);
    test_deluser(&s, c);
    test_requirepass(&s, c);
    test_file(c);
    redisFree(c);
    ts_cleanup(&s);
    unlink(acl_path);

    /* Without an aclfile, LOAD and SAVE refuse. */
    c = ts_begin(&s, NULL, 0);
    is_error(cmd(c, "ACL SAVE"),
             "ERR This Redis instance is not configured to use an ACL file. You may want to "
             "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
             "(assuming you have a Redis configuration file set) in order to store users in "
             "the Redis configuration.",
             "SAVE without an aclfile");
    is_error(cmd(c, "ACL LOAD"),
             "ERR This Redis instance is not configured to use an ACL file. You may want to "
             "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
             "(assuming you have a Redis configuration file set) in order to store users in "
             "the Redis configuration.",
             "LOAD without an aclfile");
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
