/* test_config_rewrite.c - CONFIG SET with several pairs (all or nothing, Redis' errors),
 * CONFIG GET with several patterns, and CONFIG REWRITE: against a server started without
 * a config file (Redis' error) and one started with a file whose comments, order, spare
 * lines and unknown lines the rewrite must treat as Redis 7.0 does; the rewritten file
 * must load back with the values set. Every expectation holds against redis-server 7.0
 * too (OMK_SERVER=/usr/bin/redis-server: the harness starts it the same way). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

#define MAX_LINES 512

/* The lines of file 'path' (without their newlines) into 'lines'; returns the count, or
 * -1 if it cannot be read. The strings are freed with free_lines. */
static int read_lines(const char *path, char **lines)
{
    FILE *f = fopen(path, "r");
    char buf[4096];
    int n = 0;

    if (!f)
        return -1;
    while (n < MAX_LINES && fgets(buf, sizeof(buf), f)) {
        size_t len = strlen(buf);

        if (len && buf[len - 1] == '\n')
            buf[--len] = '\0';
        lines[n++] = strdup(buf);
    }
    fclose(f);
    return n;
}

static void free_lines(char **lines, int n)
{
    for (int i = 0; i < n; i++)
        free(lines[i]);
}

/* The index of the first line equal to 'want' at or after 'from', or -1. */
static int find_line(char **lines, int n, int from, const char *want)
{
    for (int i = from; i < n; i++)
        if (strcmp(lines[i], want) == 0)
            return i;
    return -1;
}

/* How many lines start with 'prefix'. */
static int count_prefix(char **lines, int n, const char *prefix)
{
    int k = 0;

    for (int i = 0; i < n; i++)
        k += strncmp(lines[i], prefix, strlen(prefix)) == 0;
    return k;
}

/* CONFIG GET 'name' (one option) as a string into 'out'; "" when missing. */
static const char *get1(redisContext *c, const char *name, char *out, size_t cap)
{
    redisReply *r = cmd(c, "CONFIG GET %s", name);

    out[0] = '\0';
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
        snprintf(out, cap, "%s", r->element[1]->str);
    freeReplyObject(r);
    return out;
}

/* Whether the flat CONFIG GET reply 'r' holds the pair 'name' = 'value'. */
static int has_pair(const redisReply *r, const char *name, const char *value)
{
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        if (!strcmp(r->element[i]->str, name) && !strcmp(r->element[i + 1]->str, value))
            return 1;
    return 0;
}

static void test_set_many(redisContext *c)
{
    char v[256];
    redisReply *r;

    is_status(cmd(c, "CONFIG SET timeout 100 slowlog-max-len 77"), "OK", "SET of two pairs");
    r = cmd(c, "CONFIG GET timeout slowlog-max-len");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && has_pair(r, "timeout", "100") &&
           has_pair(r, "slowlog-max-len", "77"),
       "GET of two patterns reports both");
    freeReplyObject(r);
    r = cmd(c, "CONFIG GET timeout time* slowlog-max-*");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4, "an option matched twice is reported once");
    freeReplyObject(r);
    r = cmd(c, "CONFIG GET no-such-option-* nor-this");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "patterns matching nothing: empty");
    freeReplyObject(r);

    is_error(cmd(c, "CONFIG SET timeout 200 slowlog-max-len many"),
             "ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument "
             "couldn't be parsed into an integer",
             "a bad value fails the whole SET");
    ok(!strcmp(get1(c, "timeout", v, sizeof(v)), "100"), "and the good pair before it is not applied");
    is_error(cmd(c, "CONFIG SET timeout 1 timeout 2"),
             "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter",
             "a name given twice");
    is_error(cmd(c, "CONFIG SET slowlog-max-len 5 no-such-option 1"),
             "ERR Unknown option or number of arguments for CONFIG SET - 'no-such-option'",
             "an unknown name fails the whole SET");
    ok(!strcmp(get1(c, "slowlog-max-len", v, sizeof(v)), "77"), "nothing changed");
    is_error(cmd(c, "CONFIG SET timeout 5 daemonize yes"),
             "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
             "immutable config",
             "an immutable option fails the whole SET");
    ok(!strcmp(get1(c, "timeout", v, sizeof(v)), "100"), "timeout unchanged");
    is_error(cmd(c, "CONFIG SET timeout"), "ERR wrong number of arguments for 'config|set' command",
             "a name without a value");
    is_error(cmd(c, "CONFIG SET timeout 5 slowlog-max-len"), "ERR syntax error",
             "an odd number of arguments");

    is_status(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50.0 99.90 0 100"), "OK",
              "percentiles set");
    ok(!strcmp(get1(c, "latency-tracking-info-percentiles", v, sizeof(v)), "50 99.9 0 100"),
       "percentiles shown without trailing zeros");
    is_error(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50 abc"),
             "ERR CONFIG SET failed (possibly related to argument "
             "'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles "
             "parameters",
             "a percentile that is no number");
    is_error(cmd(c, "CONFIG SET latency-tracking-info-percentiles 101"),
             "ERR CONFIG SET failed (possibly related to argument "
             "'latency-tracking-info-percentiles') - latency-tracking-info-percentiles "
             "parameters should sit between [0.0,100.0]",
             "a percentile over 100");
    is_status(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", ""), "OK", "no percentiles");
    ok(!strcmp(get1(c, "latency-tracking-info-percentiles", v, sizeof(v)), ""), "shown as empty");
    is_status(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s timeout 0 slowlog-max-len 128",
                  "50 99 99.9"),
              "OK", "back to the defaults");
}

/* A config file in a directory of its own. */
struct conf {
    char dir[64];
    char path[128];
};

static int conf_write(struct conf *cf, const char *text)
{
    FILE *f;

    snprintf(cf->dir, sizeof(cf->dir), "/tmp/omk-cfgrw-XXXXXX");
    if (!mkdtemp(cf->dir))
        return -1;
    snprintf(cf->path, sizeof(cf->path), "%s/test.conf", cf->dir);
    f = fopen(cf->path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int conf_append(const struct conf *cf, const char *line)
{
    FILE *f = fopen(cf->path, "a");

    if (!f)
        return -1;
    fputs(line, f);
    return fclose(f);
}

static const char conf_text[] =
    "# omenkv CONFIG REWRITE test\n"
    "#   a comment that must stay\n"
    "\n"
    "timeout 5\n"
    "maxmemory-policy allkeys-lru\n"
    "slowlog-log-slower-than 10000\n"
    "timeout 7\n"
    "\n"
    "hz 10\n"
    "hash-max-ziplist-entries 100\n";

static void test_rewrite(void)
{
    struct tserver s;
    struct conf cf;
    redisContext *c;
    char *lines[MAX_LINES], *again[MAX_LINES], v[256];
    int n, n2, sig, same;

    if (getenv("OMK_TEST_SERVER")) {
        skip("CONFIG REWRITE needs a server this test starts with its file");
        return;
    }
    if (conf_write(&cf, conf_text) != 0 || ts_start_conf(&s, cf.path, NULL) != 0) {
        printf("Bail out! server with a config file did not start\n");
        exit(1);
    }
    c = ts_connect(&s);
    ok(!strcmp(get1(c, "timeout", v, sizeof(v)), "7"), "the file's later line wins at load");
    is_status(cmd(c, "CONFIG SET maxmemory-policy volatile-lru slowlog-max-len 77 "
                     "hash-max-listpack-entries 300"),
              "OK", "change options of the file (one by its alias) and one it does not name");
    is_status(cmd(c, "CONFIG SET notify-keyspace-events KEA"), "OK", "notifications on");
    is_status(cmd(c, "CONFIG REWRITE"), "OK", "CONFIG REWRITE");
    n = read_lines(cf.path, lines);
    ok(find_line(lines, n, 0, "notify-keyspace-events \"AKE\"") > 0,
       "notify-keyspace-events written quoted, in CONFIG GET's letters");
    ok(n > 9 && !strcmp(lines[0], "# omenkv CONFIG REWRITE test") &&
           !strcmp(lines[1], "#   a comment that must stay") && !strcmp(lines[2], ""),
       "comments and the blank line stay where they were");
    ok(n > 9 && !strcmp(lines[3], "timeout 7"), "the first timeout line holds the value");
    ok(n > 9 && !strcmp(lines[4], "maxmemory-policy volatile-lru"), "a changed option in place");
    ok(n > 9 && !strcmp(lines[5], "slowlog-log-slower-than 10000"),
       "an option at its default keeps its line");
    ok(n > 9 && !strcmp(lines[6], "") && !strcmp(lines[7], "hz 10"),
       "the spare timeout line is gone, the blank lines around it folded into one");
    ok(n > 9 && !strcmp(lines[8], "hash-max-listpack-entries 300"),
       "a line naming an alias holds the option under its name");
    ok(count_prefix(lines, n, "timeout ") == 1, "one timeout line left");
    sig = find_line(lines, n, 0, "# Generated by CONFIG REWRITE");
    ok(sig > 7 && find_line(lines, n, sig, "slowlog-max-len 77") > sig,
       "an option the file did not name is appended after Redis' marker");
    ok(count_prefix(lines, n, "hz ") == 1 && count_prefix(lines, n, "maxmemory-policy ") == 1,
       "no option twice");

    /* Redis reads a file ending in a newline as ending in an empty line, which it keeps:
     * a second rewrite adds one blank line at the end, then nothing more. */
    is_status(cmd(c, "CONFIG REWRITE"), "OK", "a second CONFIG REWRITE");
    n2 = read_lines(cf.path, again);
    same = n2 == n + 1 && !strcmp(again[n], "");
    for (int i = 0; same && i < n; i++)
        same = !strcmp(lines[i], again[i]);
    ok(same, "changes nothing but a blank last line");
    free_lines(lines, n);
    is_status(cmd(c, "CONFIG REWRITE"), "OK", "a third CONFIG REWRITE");
    n = read_lines(cf.path, lines);
    same = n2 == n;
    for (int i = 0; same && i < n; i++)
        same = !strcmp(lines[i], again[i]);
    ok(same, "changes nothing at all");
    free_lines(again, n2);
    free_lines(lines, n);

    /* A line naming no option, appended behind the server's back, becomes a comment. */
    ok(conf_append(&cf, "no-such-directive 1\n") == 0, "append an unknown line");
    is_status(cmd(c, "CONFIG SET timeout 0"), "OK", "timeout back to its default");
    is_status(cmd(c, "CONFIG REWRITE"), "OK", "rewrite again");
    n = read_lines(cf.path, lines);
    ok(find_line(lines, n, 0, "# ??? no-such-directive 1") >= 0,
       "the unknown line is kept as a comment starting with # and three question marks");
    ok(n > 3 && !strcmp(lines[3], "timeout 0"), "a default value keeps the file's line");
    free_lines(lines, n);
    redisFree(c);

    /* The rewritten file loads back (the last line, appended again, must go first). */
    n = read_lines(cf.path, lines);
    {
        FILE *f = fopen(cf.path, "w");

        for (int i = 0; f && i < n; i++)
            if (strncmp(lines[i], "# ???", 5) != 0)
                fprintf(f, "%s\n", lines[i]);
        if (f)
            fclose(f);
    }
    free_lines(lines, n);
    ok(ts_restart(&s) == 0, "the server restarts on the rewritten file");
    c = ts_connect(&s);
    ok(!strcmp(get1(c, "slowlog-max-len", v, sizeof(v)), "77") &&
           !strcmp(get1(c, "maxmemory-policy", v, sizeof(v)), "volatile-lru") &&
           !strcmp(get1(c, "timeout", v, sizeof(v)), "0") &&
           !strcmp(get1(c, "hash-max-listpack-entries", v, sizeof(v)), "300"),
       "with the values CONFIG SET gave");
    redisFree(c);
    ts_cleanup(&s);
    ts_system("rm -rf '%s'", cf.dir);
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 0);

    if (!getenv("OMK_TEST_SERVER"))
        is_error(cmd(c, "CONFIG REWRITE"), "ERR The server is running without a config file",
                 "CONFIG REWRITE without a config file");
    test_set_many(c);
    redisFree(c);
    ts_cleanup(&s);
    test_rewrite();
    return tap_done();
}
