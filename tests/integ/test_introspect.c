/* test_introspect.c - MONITOR, RESET, CLIENT REPLY, CLIENT PAUSE/UNPAUSE, CLIENT LIST and
 * INFO fields, CLIENT KILL filters, against a real server with two workers (so monitors
 * and the clients they watch sit on different workers), and against redis-server with
 * OMK_TEST_SERVER=host:port: every expectation holds for both. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "tests/harness.h"

/* Send raw bytes ending with QUIT on a new connection; check the reply bytes end with
 * 'want' (what comes before, a HELLO map, differs between servers). */
static void raw_tail_is(const struct tserver *s, const char *req, const char *want, const char *name)
{
    char out[8192];
    int closed;
    size_t n = ts_raw_roundtrip(s, req, strlen(req), out, sizeof(out), sizeof(out) - 1, 3000,
                                &closed);
    size_t wl = strlen(want);

    if (!ok(closed && n >= wl && memcmp(out + n - wl, want, wl) == 0, "%s", name))
        diag("  got %zu bytes '%s' (closed=%d), want it to end with '%s'", n, out, closed, want);
}

/* The value of field 'f' in CLIENT LIST line 'line', copied to 'out'; "" if missing. */
static const char *field(const char *line, const char *f, char *out, size_t cap)
{
    size_t fl = strlen(f);
    const char *p = line;

    out[0] = '\0';
    while (p && *p) {
        if (strncmp(p, f, fl) == 0 && p[fl] == '=') {
            size_t n = strcspn(p + fl + 1, " \n");

            snprintf(out, cap, "%.*s", (int)n, p + fl + 1);
            return out;
        }
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return out;
}

/* The caller's own CLIENT INFO line (static buffer). */
static const char *client_info(redisContext *c)
{
    static char buf[2048];
    redisReply *r = cmd(c, "CLIENT INFO");

    snprintf(buf, sizeof(buf), "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return buf;
}

/* The next monitor line of 'm' with its "<sec>.<usec> " prefix checked and cut. */
static void next_line_is(redisContext *m, const char *want, const char *name)
{
    redisReply *r = NULL;
    const char *p;
    int shape;

    if (redisGetReply(m, (void **)&r) != REDIS_OK || !r || r->type != REDIS_REPLY_STATUS) {
        ok(0, "%s: a monitor line", name);
        freeReplyObject(r);
        return;
    }
    p = r->str;
    shape = strspn(p, "0123456789") >= 10 && p[strspn(p, "0123456789")] == '.';
    p += strspn(p, "0123456789") + 1;
    shape = shape && strspn(p, "0123456789") == 6 && p[6] == ' ';
    if (!ok(shape && strcmp(p + 7, want) == 0, "%s", name))
        diag("  got '%s', want '<time> %s'", r->str, want);
    freeReplyObject(r);
}

static void test_monitor(const struct tserver *s)
{
    redisContext *m = ts_connect(s), *b = ts_connect(s), *m2;
    char addr[64], baddr[64], want[512];
    redisReply *r;

    field(client_info(b), "addr", baddr, sizeof(baddr));
    field(client_info(m), "addr", addr, sizeof(addr));
    is_status(cmd(m, "MONITOR"), "OK", "MONITOR");
    /* A second MONITOR gets no reply: the next reply is PING's. */
    redisAppendCommand(m, "MONITOR");
    is_status(cmd(m, "PING"), "PONG", "a second MONITOR is ignored without a reply");
    snprintf(want, sizeof(want), "[0 %s] \"PING\"", addr);
    next_line_is(m, want, "the monitor sees its own PING");

    is_status(cmd(b, "SET %s %b", "k", "a\x01" "b\"c\\\xff\n\r\t\a\b ~", (size_t)14), "OK", "SET");
    snprintf(want, sizeof(want),
             "[0 %s] \"SET\" \"k\" \"a\\x01b\\\"c\\\\\\xff\\n\\r\\t\\a\\b ~\"", baddr);
    next_line_is(m, want, "arguments quoted as sdscatrepr, from another connection");

    is_status(cmd(b, "MULTI"), "OK", "MULTI");
    is_status(cmd(b, "SET x 1"), "QUEUED", "SET queued");
    is_status(cmd(b, "GET x"), "QUEUED", "GET queued");
    freeReplyObject(cmd(b, "EXEC"));
    snprintf(want, sizeof(want), "[0 %s] \"MULTI\"", baddr);
    next_line_is(m, want, "MULTI shown when it runs");
    snprintf(want, sizeof(want), "[0 %s] \"SET\" \"x\" \"1\"", baddr);
    next_line_is(m, want, "a queued SET shown at EXEC");
    snprintf(want, sizeof(want), "[0 %s] \"GET\" \"x\"", baddr);
    next_line_is(m, want, "a queued GET shown at EXEC");
    snprintf(want, sizeof(want), "[0 %s] \"EXEC\"", baddr);
    next_line_is(m, want, "EXEC shown after its commands");

    is_status(cmd(b, "SELECT 3"), "OK", "SELECT 3");
    snprintf(want, sizeof(want), "[3 %s] \"SELECT\" \"3\"", baddr);
    next_line_is(m, want, "SELECT shows the database it selected");
    is_status(cmd(b, "SELECT 0"), "OK", "SELECT 0");
    snprintf(want, sizeof(want), "[0 %s] \"SELECT\" \"0\"", baddr);
    next_line_is(m, want, "SELECT 0 shown");

    freeReplyObject(cmd(b, "AUTH user pass"));
    snprintf(want, sizeof(want), "[0 %s] \"AUTH\" \"(redacted)\" \"(redacted)\"", baddr);
    next_line_is(m, want, "AUTH's user and password redacted");
    freeReplyObject(cmd(b, "HELLO 2 AUTH default pw SETNAME nm"));
    snprintf(want, sizeof(want),
             "[0 %s] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"nm\"", baddr);
    next_line_is(m, want, "HELLO's AUTH redacted");
    /* Not shown: admin commands, unknown commands, arity errors. */
    freeReplyObject(cmd(b, "CLIENT LIST"));
    freeReplyObject(cmd(b, "NOSUCH a"));
    freeReplyObject(cmd(b, "GET"));
    is_str(cmd(b, "ECHO marker"), "marker", 6, "ECHO");
    snprintf(want, sizeof(want), "[0 %s] \"ECHO\" \"marker\"", baddr);
    next_line_is(m, want, "no line for CLIENT (admin), unknown commands or arity errors");

    is_error(cmd(m, "GET foo"), "ERR Replica can't interact with the keyspace",
             "a monitor may not touch keys");
    is_status(cmd(m, "RESET"), "RESET", "RESET ends MONITOR");
    freeReplyObject(cmd(b, "ECHO after"));
    is_status(cmd(m, "PING"), "PONG", "no line after RESET");
    is_nil(cmd(m, "GET foo"), "keys reachable again after RESET");

    is_status(cmd(m, "MULTI"), "OK", "MULTI");
    is_status(cmd(m, "MONITOR"), "QUEUED", "MONITOR queued");
    r = cmd(m, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
           r->element[0]->type == REDIS_REPLY_ERROR &&
           strcmp(r->element[0]->str, "ERR MONITOR isn't allowed for DENY BLOCKING client") == 0,
       "MONITOR inside EXEC refused");
    freeReplyObject(r);

    m2 = ts_connect(s);
    is_status(cmd(m2, "MONITOR"), "OK", "a second monitor");
    is_status(cmd(m2, "QUIT"), "OK", "QUIT leaves MONITOR");
    is_str(cmd(b, "ECHO alive"), "alive", 5, "the server goes on after a monitor quit");
    redisFree(m2);
    redisFree(m);
    redisFree(b);
}

static void test_reset(const struct tserver *s)
{
    redisContext *c = ts_connect(s);
    char v[256];
    const char *line;

    is_status(cmd(c, "SELECT 2"), "OK", "SELECT 2");
    is_status(cmd(c, "CLIENT SETNAME nm"), "OK", "SETNAME");
    is_status(cmd(c, "WATCH w"), "OK", "WATCH");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SET a 2"), "QUEUED", "queued");
    is_status(cmd(c, "RESET"), "RESET", "RESET inside MULTI runs at once");
    line = client_info(c);
    ok(strcmp(field(line, "db", v, sizeof(v)), "0") == 0, "RESET: db 0");
    ok(strcmp(field(line, "name", v, sizeof(v)), "") == 0, "RESET: no name");
    ok(strcmp(field(line, "multi", v, sizeof(v)), "-1") == 0, "RESET: no MULTI");
    ok(strcmp(field(line, "flags", v, sizeof(v)), "N") == 0, "RESET: no flags");
    is_error(cmd(c, "EXEC"), "ERR EXEC without MULTI", "RESET discarded the transaction");
    is_nil(cmd(c, "GET a"), "the queued SET never ran");
    is_error(cmd(c, "RESET x"), "ERR wrong number of arguments for 'reset' command", "RESET arity");
    redisFree(c);
    raw_tail_is(s, "HELLO 3\r\nRESET\r\nGET nokey\r\nQUIT\r\n", "+RESET\r\n$-1\r\n+OK\r\n",
                "RESET goes back to RESP2");
    raw_tail_is(s, "CLIENT REPLY OFF\r\nRESET\r\nPING\r\nQUIT\r\n", "+RESET\r\n+PONG\r\n+OK\r\n",
                "RESET turns replies back on");
}

static void test_client_reply(const struct tserver *s)
{
    redisContext *c = ts_connect(s);

    raw_tail_is(s,
                "CLIENT REPLY OFF\r\nPING\r\nSET a 1\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\n"
                "PING\r\nCLIENT REPLY SKIP\r\nPING\r\nPING x\r\nCLIENT REPLY SKIP\r\nNOSUCH\r\n"
                "PING y\r\nCLIENT REPLY foo\r\nQUIT\r\n",
                "+OK\r\n+PONG\r\n$1\r\nx\r\n$1\r\ny\r\n-ERR syntax error\r\n+OK\r\n",
                "CLIENT REPLY OFF, SKIP (refused commands too) and ON");
    is_error(cmd(c, "CLIENT REPLY"), "ERR wrong number of arguments for 'client|reply' command",
             "CLIENT REPLY arity");
    is_str(cmd(c, "GET a"), "1", 1, "commands ran while replies were off");
    redisFree(c);
}

static long long now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void test_pause(const struct tserver *s)
{
    redisContext *a = ts_connect(s), *b = ts_connect(s), *c = ts_connect(s);
    redisReply *r = NULL;
    long long t0;

    is_error(cmd(a, "CLIENT PAUSE 10 foo"), "ERR CLIENT PAUSE mode must be WRITE or ALL", "mode");
    is_error(cmd(a, "CLIENT PAUSE -1"), "ERR timeout is negative", "negative");
    is_error(cmd(a, "CLIENT PAUSE abc"), "ERR timeout is not an integer or out of range", "not int");
    is_error(cmd(a, "CLIENT PAUSE abc foo"), "ERR CLIENT PAUSE mode must be WRITE or ALL",
             "mode checked before the timeout");
    is_error(cmd(a, "CLIENT PAUSE 1 WRITE x"),
             "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
             "too many arguments");
    is_error(cmd(a, "CLIENT UNPAUSE x"),
             "ERR wrong number of arguments for 'client|unpause' command", "UNPAUSE arity");
    freeReplyObject(cmd(a, "DEL pz"));

    /* WRITE: writes (and PFCOUNT, which Redis may replicate) wait; reads do not. */
    is_status(cmd(a, "CLIENT PAUSE 100000 WRITE"), "OK", "CLIENT PAUSE WRITE");
    redisAppendCommand(b, "SET pz 1");
    redisAppendCommand(b, "GET pz");
    redisBufferWrite(b, &(int){0});
    redisAppendCommand(c, "PFCOUNT phll");
    redisBufferWrite(c, &(int){0});
    ts_sleep_ms(300);
    is_nil(cmd(a, "GET pz"), "a read runs during a WRITE pause; the SET has not");
    is_status(cmd(a, "MULTI"), "OK", "MULTI during the pause");
    is_status(cmd(a, "GET pz"), "QUEUED", "GET queued");
    r = cmd(a, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "a read-only EXEC is not paused");
    freeReplyObject(r);
    is_status(cmd(a, "CLIENT UNPAUSE"), "OK", "CLIENT UNPAUSE");
    r = NULL;
    redisGetReply(b, (void **)&r);
    is_status(r, "OK", "the paused SET ran after UNPAUSE");
    r = NULL;
    redisGetReply(b, (void **)&r);
    is_str(r, "1", 1, "the GET behind it ran after it");
    r = NULL;
    redisGetReply(c, (void **)&r);
    is_integer(r, 0, "the paused PFCOUNT ran after UNPAUSE");

    /* ALL, with its timeout honoured. */
    is_status(cmd(a, "CLIENT PAUSE 400 ALL"), "OK", "CLIENT PAUSE 400 ALL");
    t0 = now_ms();
    is_status(cmd(b, "PING"), "PONG", "a PING during an ALL pause");
    ok(now_ms() - t0 >= 300 && now_ms() - t0 < 5000, "... waited for the pause to end (%lld ms)",
       now_ms() - t0);
    is_status(cmd(a, "CLIENT PAUSE 0"), "OK", "CLIENT PAUSE 0 pauses nothing");
    t0 = now_ms();
    is_status(cmd(b, "PING"), "PONG", "PING");
    ok(now_ms() - t0 < 250, "... at once");
    redisFree(a);
    redisFree(b);
    redisFree(c);
}

/* Check that CLIENT INFO line 'line' has Redis 7.0's fields in its order, with the
 * values 'want' gives ("name=value" pairs, space separated) for the fields it names and
 * a number for the numeric rest. */
static void fields_are(const char *line, const char *want, const char *name)
{
    static const char *const names[] = {
        "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
        "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl",
        "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp"};
    const char *p = line;
    int good = 1;
    char v[256], w[256];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && good; i++) {
        size_t nl = strlen(names[i]);

        if (strncmp(p, names[i], nl) != 0 || p[nl] != '=') {
            diag("  field %zu is not '%s': %s", i, names[i], p);
            good = 0;
            break;
        }
        p = strchr(p, ' ');
        p = p ? p + 1 : "";
    }
    for (const char *q = want; good && *q;) {
        size_t n = strcspn(q, " ");
        char pair[128], *eq;

        snprintf(pair, sizeof(pair), "%.*s", (int)n, q);
        eq = strchr(pair, '=');
        *eq = '\0';
        if (strcmp(field(line, pair, v, sizeof(v)), eq + 1) != 0) {
            snprintf(w, sizeof(w), "%s", eq + 1);
            diag("  %s=%s, want %s", pair, v, w);
            good = 0;
        }
        q += n + (q[n] == ' ');
    }
    if (!ok(good && line[strlen(line) - 1] == '\n', "%s", name))
        diag("  line: %s", line);
}

static void test_client_list(const struct tserver *s)
{
    redisContext *a = ts_connect(s), *b = ts_connect(s);
    char id[32], line[2048], v[256];
    redisReply *r;

    fields_are(client_info(a),
               "name= flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 argv-mem=10 "
               "multi-mem=0 obl=0 oll=0 omem=0 events=r cmd=client|info user=default "
               "redir=-1 resp=2",
               "CLIENT INFO: every field, in Redis 7.0's order");
    field(client_info(b), "id", id, sizeof(id));
    is_status(cmd(b, "SELECT 5"), "OK", "SELECT 5");
    is_status(cmd(b, "CLIENT SETNAME bee"), "OK", "SETNAME");
    is_status(cmd(b, "MULTI"), "OK", "MULTI");
    is_status(cmd(b, "SET k v"), "QUEUED", "queued");
    is_status(cmd(b, "GET k"), "QUEUED", "queued");
    r = cmd(a, "CLIENT LIST ID %s", id);
    snprintf(line, sizeof(line), "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    fields_are(line,
               "name=bee flags=x db=5 multi=2 qbuf=0 argv-mem=0 obl=0 oll=0 omem=0 events=r "
               "cmd=get user=default resp=2",
               "another client's line: MULTI, db, name, last command");
    ok(atoll(field(line, "multi-mem", v, sizeof(v))) > 0, "multi-mem counts the queue");
    freeReplyObject(cmd(b, "DISCARD"));
    is_status(cmd(b, "SELECT 0"), "OK", "SELECT 0");

    is_status(cmd(a, "CLIENT NO-EVICT on"), "OK", "NO-EVICT on");
    ok(strcmp(field(client_info(a), "flags", v, sizeof(v)), "e") == 0, "flag e");
    is_status(cmd(a, "CLIENT NO-EVICT off"), "OK", "NO-EVICT off");
    is_error(cmd(a, "CLIENT NO-EVICT maybe"), "ERR syntax error", "NO-EVICT bad value");
    ok(strcmp(field(client_info(a), "flags", v, sizeof(v)), "N") == 0, "flag e gone");

    r = cmd(a, "CLIENT LIST TYPE normal");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "name=bee "), "TYPE normal lists b");
    freeReplyObject(r);
    is_str(cmd(a, "CLIENT LIST TYPE pubsub"), "", 0, "TYPE pubsub: nobody subscribes");
    is_str(cmd(a, "CLIENT LIST TYPE master"), "", 0, "TYPE master: none");
    is_str(cmd(a, "CLIENT LIST TYPE replica"), "", 0, "TYPE replica: none");
    is_error(cmd(a, "CLIENT LIST TYPE foo"), "ERR Unknown client type 'foo'", "TYPE unknown");
    is_error(cmd(a, "CLIENT LIST ID 0 abc"), "ERR Invalid client ID", "ID not a number");
    is_str(cmd(a, "CLIENT LIST ID 0"), "", 0, "ID 0 lists nobody");
    is_error(cmd(a, "CLIENT LIST foo"), "ERR syntax error", "CLIENT LIST syntax");
    redisFree(a);
    redisFree(b);
}

static void test_client_kill(const struct tserver *s)
{
    redisContext *a = ts_connect(s), *b = ts_connect(s), *c = ts_connect(s);
    char addr[64], laddr[64], id[32];

    is_error(cmd(a, "CLIENT KILL USER nosuch"), "ERR No such user 'nosuch'", "USER unknown");
    is_error(cmd(a, "CLIENT KILL TYPE foo"), "ERR Unknown client type 'foo'", "TYPE unknown");
    is_error(cmd(a, "CLIENT KILL ID 0"), "ERR client-id should be greater than 0", "ID 0");
    is_error(cmd(a, "CLIENT KILL ID x"), "ERR client-id should be greater than 0", "ID x");
    is_error(cmd(a, "CLIENT KILL ADDR"), "ERR No such client", "3 arguments: the old form");
    is_error(cmd(a, "CLIENT KILL ADDR 1.2.3.4:5 SKIPME maybe"), "ERR syntax error", "SKIPME");
    is_error(cmd(a, "CLIENT KILL ADDR 1.2.3.4:5 ID"), "ERR syntax error", "a filter without value");
    is_error(cmd(a, "CLIENT KILL FOO bar"), "ERR syntax error", "unknown filter");
    is_error(cmd(a, "CLIENT KILL 1.2.3.4:5"), "ERR No such client", "old form, nobody");
    is_integer(cmd(a, "CLIENT KILL ID 1 LADDR 1.2.3.4:1"), 0, "filters all must match");
    is_integer(cmd(a, "CLIENT KILL TYPE master"), 0, "TYPE master: none");

    field(client_info(b), "addr", addr, sizeof(addr));
    is_status(cmd(a, "CLIENT KILL %s", addr), "OK", "old form kills by address");
    ok(cmd(b, "PING") == NULL, "the killed client is gone");
    field(client_info(c), "id", id, sizeof(id));
    field(client_info(c), "laddr", laddr, sizeof(laddr));
    is_integer(cmd(a, "CLIENT KILL ID %s USER default TYPE normal LADDR %s", id, laddr), 1,
               "new form kills by ID, USER, TYPE and LADDR");
    ok(cmd(c, "PING") == NULL, "that client is gone");
    is_integer(cmd(a, "CLIENT KILL ID %s", id), 0, "a killed id kills nobody");
    is_integer(cmd(a, "CLIENT KILL LADDR %s", laddr), 0, "SKIPME yes by default");
    is_integer(cmd(a, "CLIENT KILL LADDR %s SKIPME no", laddr), 1, "SKIPME no kills the caller");
    ok(cmd(a, "PING") == NULL, "... after its reply");
    redisFree(a);
    redisFree(b);
    redisFree(c);
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 1);

    redisFree(c); /* CLIENT KILL LADDR counts every client: only the tests' own remain */
    test_monitor(&s);
    test_reset(&s);
    test_client_reply(&s);
    test_pause(&s);
    test_client_list(&s);
    test_client_kill(&s);
    ts_cleanup(&s);
    return tap_done();
}
