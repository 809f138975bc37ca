/* test_conn.c - connection and server commands against a real server: PING ECHO QUIT
 * HELLO (RESP3 bytes) AUTH SELECT CLIENT COMMAND INFO CONFIG TIME DBSIZE, unknown
 * commands and arity errors, protocol errors, inline commands, a 10,000-command
 * pipeline, total_net_input_bytes, and AUTH on a server with requirepass. (1,000
 * concurrent connections are in test_keys.) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

/* Send raw bytes, expect exactly 'want' back (and whether the server then closes). */
static void raw_is(const struct tserver *s, const char *req, const char *want, int want_closed,
                   const char *name)
{
    char out[4096];
    int closed;
    size_t n = ts_raw_roundtrip(s, req, strlen(req), out, sizeof(out), strlen(want), 2000, &closed);

    if (!ok(n == strlen(want) && !memcmp(out, want, n) && closed == want_closed, "%s", name))
        diag("  got %zu bytes '%s' (closed=%d), want '%s' (closed=%d)", n, out, closed, want,
             want_closed);
}

static void test_basics(redisContext *c)
{
    redisReply *r;

    is_status(cmd(c, "PING"), "PONG", "PING");
    is_str(cmd(c, "PING %s", "hello"), "hello", 5, "PING message");
    is_error(cmd(c, "PING a b"), "ERR wrong number of arguments for 'ping' command", "PING arity");
    is_str(cmd(c, "ECHO %b", "a\0b", (size_t)3), "a\0b", 3, "ECHO binary");
    is_error(cmd(c, "ECHO"), "ERR wrong number of arguments for 'echo' command", "ECHO arity");
    is_status(cmd(c, "pInG"), "PONG", "command names ignore case");
    is_error(cmd(c, "NOSUCH a b"),
             "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ", "unknown command");
    is_error(cmd(c, "NOSUCH"), "ERR unknown command 'NOSUCH', with args beginning with: ",
             "unknown command without args");
    is_error(cmd(c, "GET"), "ERR wrong number of arguments for 'get' command", "GET arity");
    is_error(cmd(c, "SELECT x"), "ERR value is not an integer or out of range", "SELECT not int");
    is_error(cmd(c, "SELECT 16"), "ERR DB index is out of range", "SELECT out of range");
    is_error(cmd(c, "SELECT -1"), "ERR DB index is out of range", "SELECT negative");
    is_status(cmd(c, "SELECT 3"), "OK", "SELECT 3");
    is_status(cmd(c, "SET k v"), "OK", "SET in db 3");
    is_integer(cmd(c, "DBSIZE"), 1, "DBSIZE db 3");
    is_status(cmd(c, "SELECT 0"), "OK", "SELECT 0");
    is_nil(cmd(c, "GET k"), "db 0 does not see db 3");
    is_error(cmd(c, "AUTH pw"),
             "ERR AUTH <password> called without any password configured for the default user. "
             "Are you sure your configuration is correct?",
             "AUTH without requirepass");
    is_status(cmd(c, "AUTH default anything"), "OK", "AUTH default user, no password set");
    is_error(cmd(c, "AUTH a b c"), "ERR syntax error", "AUTH too many args");

    r = cmd(c, "TIME");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           atoll(r->element[0]->str) > 1700000000,
       "TIME gives [seconds, microseconds]");
    freeReplyObject(r);
}

static void test_client(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT ID");

    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0, "CLIENT ID is a positive integer");
    freeReplyObject(r);
    is_nil(cmd(c, "CLIENT GETNAME"), "CLIENT GETNAME without a name");
    is_status(cmd(c, "CLIENT SETNAME worker-1"), "OK", "CLIENT SETNAME");
    is_str(cmd(c, "CLIENT GETNAME"), "worker-1", 8, "CLIENT GETNAME");
    is_error(cmd(c, "CLIENT SETNAME %s", "a b"),
             "ERR Client names cannot contain spaces, newlines or special characters.",
             "CLIENT SETNAME with a space");
    is_status(cmd(c, "CLIENT SETINFO lib-name omktest"), "OK", "CLIENT SETINFO lib-name");
    is_error(cmd(c, "CLIENT SETINFO foo bar"), "ERR Unrecognized option 'foo'", "CLIENT SETINFO bad");
    is_error(cmd(c, "CLIENT NOSUCH"), "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.",
             "CLIENT unknown subcommand");
    is_error(cmd(c, "CLIENT SETNAME"), "ERR wrong number of arguments for 'client|setname' command",
             "CLIENT SETNAME arity");
    r = cmd(c, "CLIENT LIST");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "name=worker-1 ") &&
           strstr(r->str, "cmd=client"),
       "CLIENT LIST shows this client");
    freeReplyObject(r);
    r = cmd(c, "CLIENT INFO");
    ok(r && r->type == REDIS_REPLY_STRING && !strncmp(r->str, "id=", 3) &&
           r->str[r->len - 1] == '\n' && strchr(r->str, '\n') == r->str + r->len - 1,
       "CLIENT INFO is one line");
    freeReplyObject(r);
}

static void test_command_info_config(redisContext *c)
{
    redisReply *r = cmd(c, "COMMAND COUNT");
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    ok(n >= 20, "COMMAND COUNT (%lld)", n);
    freeReplyObject(r);
    r = cmd(c, "COMMAND");
    ok(r && r->type == REDIS_REPLY_ARRAY && (long long)r->elements == n, "COMMAND lists them all");
    freeReplyObject(r);
    r = cmd(c, "COMMAND INFO get nosuch");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 10 &&
           !strcmp(r->element[0]->element[0]->str, "get") &&
           r->element[0]->element[1]->integer == 2 && r->element[1]->type == REDIS_REPLY_NIL,
       "COMMAND INFO get nosuch");
    freeReplyObject(r);
    r = cmd(c, "COMMAND DOCS set");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[0]->str, "set"),
       "COMMAND DOCS set");
    freeReplyObject(r);
    is_error(cmd(c, "COMMAND FOO"), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.",
             "COMMAND unknown subcommand");
    is_error(cmd(c, "COMMAND Count x"), "ERR wrong number of arguments for 'command|count' command",
             "COMMAND COUNT arity names the subcommand in lower case");

    r = cmd(c, "INFO");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Server\r\nredis_version:") &&
           strstr(r->str, "# Clients\r\n") && strstr(r->str, "# Persistence\r\n") &&
           strstr(r->str, "# Stats\r\n") && strstr(r->str, "# Keyspace\r\n") &&
           !strstr(r->str, "# Commandstats"),
       "INFO has the default sections");
    freeReplyObject(r);
    r = cmd(c, "INFO keyspace");
    ok(r && r->type == REDIS_REPLY_STRING && !strncmp(r->str, "# Keyspace\r\n", 12) &&
           strstr(r->str, "db3:keys=1,expires=0,avg_ttl=0\r\n") && !strstr(r->str, "# Server"),
       "INFO keyspace counts db 3");
    freeReplyObject(r);
    r = cmd(c, "INFO commandstats");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cmdstat_ping:calls="),
       "INFO commandstats");
    freeReplyObject(r);

    r = cmd(c, "CONFIG GET port");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[0]->str, "port"),
       "CONFIG GET port");
    freeReplyObject(r);
    r = cmd(c, "CONFIG GET maxmemory* appendfsync");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 4 && r->elements % 2 == 0,
       "CONFIG GET with two patterns");
    freeReplyObject(r);
    is_status(cmd(c, "CONFIG SET appendfsync always"), "OK", "CONFIG SET appendfsync always");
    r = cmd(c, "CONFIG GET appendfsync");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[1]->str, "always"),
       "CONFIG GET sees the new appendfsync");
    freeReplyObject(r);
    is_status(cmd(c, "SET after-always 1"), "OK", "writes work under appendfsync always");
    is_status(cmd(c, "CONFIG SET appendfsync everysec"), "OK", "CONFIG SET appendfsync back");
    r = cmd(c, "CONFIG SET nosuch 1");
    ok(r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "nosuch"), "CONFIG SET unknown option");
    freeReplyObject(r);
    is_error(cmd(c, "CONFIG NOPE"), "ERR unknown subcommand 'NOPE'. Try CONFIG HELP.",
             "CONFIG unknown subcommand");
    is_error(cmd(c, "CONFIG GET"), "ERR wrong number of arguments for 'config|get' command",
             "CONFIG GET arity");
    is_error(cmd(c, "CONFIG SET maxclients"),
             "ERR wrong number of arguments for 'config|set' command", "CONFIG SET arity");
    is_error(cmd(c, "CONFIG SET maxclients 100 timeout"), "ERR syntax error",
             "CONFIG SET with a name but no value");
    is_status(cmd(c, "CONFIG RESETSTAT"), "OK", "CONFIG RESETSTAT");
}

/* Statistics are kept per worker and summed by INFO: commands run on two connections
 * (so on both workers, given round robin) all count, and CONFIG RESETSTAT zeroes the
 * sums. */
static void test_stats(const struct tserver *s, redisContext *c)
{
    redisContext *a = ts_connect(s), *b = ts_connect(s);
    redisReply *r;

    is_status(cmd(c, "CONFIG RESETSTAT"), "OK", "CONFIG RESETSTAT before counting");
    freeReplyObject(cmd(a, "DEL stats:k"));
    freeReplyObject(cmd(a, "GET stats:k"));
    freeReplyObject(cmd(b, "SET stats:k v"));
    freeReplyObject(cmd(b, "GET stats:k"));
    freeReplyObject(cmd(a, "GET stats:k"));
    r = cmd(c, "INFO commandstats");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cmdstat_get:calls=3,") &&
           strstr(r->str, "cmdstat_set:calls=1,"),
       "INFO commandstats sums the GETs of two connections");
    freeReplyObject(r);
    ok(ts_info_field(c, "stats", "keyspace_hits") == 2, "keyspace_hits summed");
    ok(ts_info_field(c, "stats", "keyspace_misses") == 1, "keyspace_misses summed");
    is_status(cmd(c, "CONFIG RESETSTAT"), "OK", "CONFIG RESETSTAT");
    r = cmd(c, "INFO commandstats");
    ok(r && r->type == REDIS_REPLY_STRING && !strstr(r->str, "cmdstat_get:"),
       "after CONFIG RESETSTAT, INFO commandstats has no GET");
    freeReplyObject(r);
    ok(ts_info_field(c, "stats", "keyspace_hits") == 0, "keyspace_hits reset");
    freeReplyObject(cmd(a, "GET stats:k"));
    ok(ts_info_field(c, "stats", "keyspace_hits") == 1, "keyspace_hits counts after the reset");
    freeReplyObject(cmd(a, "DEL stats:k"));
    redisFree(a);
    redisFree(b);
}

/* HELLO 3 switches the connection to RESP3; checked as raw bytes (hiredis 0.14 has no
 * RESP3 types). */
static void test_hello(const struct tserver *s, redisContext *c)
{
    char out[4096];
    int closed;
    const char *req = "HELLO 3\r\nGET nosuch\r\nPING\r\n";
    size_t n = ts_raw_roundtrip(s, req, strlen(req), out, sizeof(out), 4096, 500, &closed);
    redisReply *r;

    ok(n > 0 && !strncmp(out, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 27) &&
           strstr(out, "$5\r\nproto\r\n:3\r\n") && strstr(out, "_\r\n+PONG\r\n"),
       "HELLO 3 then GET nil is '_' in RESP3");
    is_error(cmd(c, "HELLO 4"), "NOPROTO unsupported protocol version", "HELLO 4");
    is_error(cmd(c, "HELLO x"), "ERR Protocol version is not an integer or out of range", "HELLO x");
    is_error(cmd(c, "HELLO 2 FOO"), "ERR Syntax error in HELLO option 'FOO'", "HELLO bad option");
    r = cmd(c, "HELLO 2 SETNAME viahello");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 14, "HELLO 2 is a flat map of 7 pairs");
    freeReplyObject(r);
    is_str(cmd(c, "CLIENT GETNAME"), "viahello", 8, "HELLO SETNAME");
}

/* Malformed requests: Redis' protocol error, then the connection closes. */
static void test_protocol_errors(const struct tserver *s)
{
    raw_is(s, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n", 0, "multibulk PING");
    raw_is(s, "PING\r\n", "+PONG\r\n", 0, "inline PING");
    raw_is(s, "  PING   \"a b\"\n", "$3\r\na b\r\n", 0, "inline with quotes and bare LF");
    raw_is(s, "\r\n\r\nPING\r\n", "+PONG\r\n", 0, "empty inline lines are skipped");
    raw_is(s, "*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n", 1,
           "bad multibulk length");
    raw_is(s, "*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n", 1, "expected $");
    raw_is(s, "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n", 1,
           "negative bulk length");
    raw_is(s, "*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n", 1,
           "bulk longer than proto-max-bulk-len");
    raw_is(s, "SET \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n", 1,
           "unbalanced quotes");
    raw_is(s, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n", "$-1\r\n+PONG\r\n", 0,
           "two requests in one packet");
}

/* A server with requirepass: NOAUTH before AUTH, WRONGPASS, HELLO AUTH, and the
 * tighter limits before authentication. */
static void test_auth(void)
{
    const char *args[] = {"--requirepass", "s3cret", NULL};
    struct tserver s;
    redisContext *c;
    redisReply *r;

    if (getenv("OMK_TEST_SERVER")) {
        diag("external server: requirepass tests skipped");
        return;
    }
    if (ts_start(&s, args) != 0) {
        ok(0, "server with requirepass starts");
        return;
    }
    c = ts_connect(&s);
    is_error(cmd(c, "GET k"), "NOAUTH Authentication required.", "GET before AUTH");
    is_error(cmd(c, "NOSUCH"), "ERR unknown command 'NOSUCH', with args beginning with: ",
             "unknown command before AUTH is still unknown");
    is_error(cmd(c, "AUTH wrong"), "WRONGPASS invalid username-password pair or user is disabled.",
             "AUTH wrong password");
    is_error(cmd(c, "AUTH bob s3cret"),
             "WRONGPASS invalid username-password pair or user is disabled.", "AUTH unknown user");
    is_status(cmd(c, "AUTH s3cret"), "OK", "AUTH right password");
    is_status(cmd(c, "SET k v"), "OK", "SET after AUTH");
    redisFree(c);
    c = ts_connect(&s);
    r = cmd(c, "HELLO 2 AUTH default s3cret");
    ok(r && r->type == REDIS_REPLY_ARRAY, "HELLO AUTH authenticates");
    freeReplyObject(r);
    is_str(cmd(c, "GET k"), "v", 1, "GET after HELLO AUTH");
    redisFree(c);
    raw_is(&s, "*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n", 1,
           "unauthenticated multibulk over 10");
    raw_is(&s, "*1\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n", 1,
           "unauthenticated bulk over 16384");
    ts_cleanup(&s);
}

/* 10,000 pipelined commands come back complete and in order. */
static void test_pipeline(redisContext *c)
{
    int bad = 0;

    for (int i = 0; i < 10000; i++) {
        if (i % 2 == 0)
            redisAppendCommand(c, "SET pipe:%d %d", i, i);
        else
            redisAppendCommand(c, "GET pipe:%d", i - 1);
    }
    for (int i = 0; i < 10000; i++) {
        redisReply *r = NULL;

        if (redisGetReply(c, (void **)&r) != REDIS_OK) {
            bad++;
            break;
        }
        if (i % 2 == 0)
            bad += !(r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK"));
        else
            bad += !(r->type == REDIS_REPLY_STRING && atoi(r->str) == i - 1);
        freeReplyObject(r);
    }
    ok(bad == 0, "10,000 pipelined SET/GET in order (%d wrong)", bad);
}

/* total_net_input_bytes counts each byte read once (issue 18: the server reads its
 * sockets itself): 3,000 pipelined PINGs (42,000 bytes: several reads, and more requests
 * than one callback runs, so the rest is run again from the buffer) add their bytes and
 * those of the second INFO request (the first one's were counted before it ran). */
static void test_net_input(redisContext *c)
{
    const long long ping_len = 14, info_len = 25; /* "*1\r\n$4\r\nPING\r\n", INFO stats */
    long long before = ts_info_field(c, "stats", "total_net_input_bytes"), after;

    for (int i = 0; i < 3000; i++)
        redisAppendCommand(c, "PING");
    ok(ts_read_replies(c, 3000, REDIS_REPLY_STATUS) == 0, "3,000 pipelined PINGs answered");
    after = ts_info_field(c, "stats", "total_net_input_bytes");
    ok(before > 0 && after - before == 3000 * ping_len + info_len,
       "total_net_input_bytes grew by the bytes sent (%lld, want %lld)", after - before,
       3000 * ping_len + info_len);
}

/* QUIT replies +OK and closes; nothing after it runs. */
static void test_quit(const struct tserver *s)
{
    raw_is(s, "QUIT\r\nPING\r\n", "+OK\r\n", 1, "QUIT replies OK and closes");
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, NULL, 0);
    test_basics(c);
    test_client(c);
    test_command_info_config(c);
    test_stats(&s, c);
    test_hello(&s, c);
    test_pipeline(c);
    test_net_input(c);
    redisFree(c);
    test_protocol_errors(&s);
    test_quit(&s);
    ts_cleanup(&s);
    test_auth();
    return tap_done();
}
