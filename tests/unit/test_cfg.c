/* test_cfg.c - TAP tests for daemon/cfg.c and daemon/log.c: defaults, a config
 * file with every type, command-line overrides, every load error in redis-server's
 * words, CONFIG SET (run-time, start-up only, all or nothing, apply hooks), CONFIG GET
 * globbing, memory units, requirepass, and log levels, files and rate limiting. */
#include "config.h"

#include "common/omk_thread.h"
#include "daemon/cfg.h"
#include "daemon/cfg_rewrite.h"
#include "daemon/notify.h"
#include "daemon/log.h"
#include "tests/tap.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];
static char mainlog[128]; /* where log lines go between the log tests */

/* Path of 'name' inside the test's temporary directory, in 'buf'. */
static const char *tpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    OMK_ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* The whole file, NUL-terminated ("" if missing); freed with free(). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);
    size_t n;

    OMK_ASSERT(buf != NULL);
    if (!f)
        return buf;
    n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Start of line 'k' (from 0) of 'text', or NULL. */
static const char *nth_line(const char *text, int k)
{
    for (; k > 0 && text; k--) {
        text = strchr(text, '\n');
        if (text)
            text++;
    }
    return text && *text ? text : NULL;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* cfg_load on a fresh config with argv = "omenkv-server", then the NULL-terminated
 * arguments. Returns cfg_load's status; the config stays initialised. */
static int load(struct server_config *c, char *err, size_t errlen, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;

    argv[argc++] = (char *)"omenkv-server";
    va_start(ap, errlen);
    while ((argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    cfg_defaults(c);
    err[0] = '\0';
    return cfg_load(c, argc, argv, err, errlen);
}

/* Expected fatal error text for 'line' at 'linenum' with 'msg'. */
static const char *fatal(int linenum, const char *line, const char *msg)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf),
             "\n*** FATAL CONFIG FILE ERROR (%s %s) ***\n"
             "Reading the configuration file, at line %d\n>>> '%s'\n%s\n",
             PACKAGE_NAME, PACKAGE_VERSION, linenum, line, msg);
    return buf;
}

/* The last line of 'text' (which ends in a newline), for test names. */
static const char *last_line(const char *text)
{
    static char buf[256];
    size_t len = strlen(text);
    const char *start = text + len - 1;

    while (start > text && start[-1] != '\n')
        start--;
    snprintf(buf, sizeof(buf), "%.*s", (int)(text + len - 1 - start), start);
    return buf;
}

/* Load the command-line arguments (NULL-terminated) and expect the fatal error. */
#define load_fails(want, ...)                                                            \
    do {                                                                                 \
        struct server_config c_;                                                         \
        char e_[1024];                                                                   \
        int rc_ = load(&c_, e_, sizeof(e_), __VA_ARGS__, (char *)NULL);                  \
        ok(rc_ == -1 && strcmp(e_, (want)) == 0, "load error: %s", last_line(want));     \
        if (strcmp(e_, (want)) != 0)                                                     \
            diag("got: %s", e_);                                                         \
        cfg_deinit(&c_);                                                                 \
    } while (0)

/* ---- CONFIG GET capture ---- */

struct got {
    size_t n;
    char names[96][64];
    char values[96][256];
};

static void got_cb(const char *name, const char *value, size_t vlen, void *arg)
{
    struct got *g = arg;

    OMK_ASSERT(g->n < 96 && vlen < 256 && strlen(value) == vlen);
    snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
    snprintf(g->values[g->n], sizeof(g->values[0]), "%s", value);
    g->n++;
}

/* CONFIG GET 'pattern'; returns the value of the first option reported, or NULL. */
static const char *get1(struct server_config *c, const char *pattern, struct got *g)
{
    memset(g, 0, sizeof(*g));
    cfg_get(c, pattern, strlen(pattern), got_cb, g);
    return g->n ? g->values[0] : NULL;
}

static int value_is(struct server_config *c, const char *name, const char *want)
{
    struct got g;
    const char *v = get1(c, name, &g);

    if (v && strcmp(v, want) == 0 && g.n == 1)
        return 1;
    diag("CONFIG GET %s: got '%s', want '%s'", name, v ? v : "(none)", want);
    return 0;
}

/* ---- tests ---- */

static void test_defaults(void)
{
    struct server_config c;

    cfg_defaults(&c);
    is_int(c.port, 6379, "default port");
    ok(c.bind.n == 1 && strcmp(c.bind.v[0], "127.0.0.1") == 0, "default bind 127.0.0.1");
    ok(c.protected_mode, "default protected-mode yes");
    ok(strcmp(c.dir, "./data") == 0, "default dir ./data");
    is_int(c.io_threads, 0, "default io-threads 0 (the server decides: workers_count)");
    is_int(c.appendfsync, STORE_FSYNC_EVERYSEC, "default appendfsync everysec");
    is_int(c.maxclients, 10000, "default maxclients");
    is_int(c.timeout, 0, "default timeout");
    is_int(c.tcp_keepalive, 300, "default tcp-keepalive");
    is_int(c.tcp_backlog, 511, "default tcp-backlog");
    is_int(c.loglevel, OMK_LOG_NOTICE, "default loglevel notice");
    ok(strcmp(c.logfile, "") == 0 && strcmp(c.requirepass, "") == 0 &&
           strcmp(c.pidfile, "") == 0, "default logfile, requirepass, pidfile empty");
    ok(!c.auth_required, "no password by default");
    is_int(c.databases, 16, "default databases");
    is_int(c.proto_max_bulk_len, 512LL << 20, "default proto-max-bulk-len 512mb");
    is_int(c.client_query_buffer_limit, 1LL << 30, "default client-query-buffer-limit 1gb");
    is_int(c.maxmemory, 0, "default maxmemory");
    is_int(c.maxmemory_policy, CFG_MAXMEMORY_NOEVICTION, "default maxmemory-policy");
    ok(!c.daemonize, "default daemonize no");
    is_int(c.enable_debug_command, CFG_DEBUG_NO, "default enable-debug-command no");
    is_int(c.hz, 10, "default hz");
    is_int(c.rocksdb_block_cache_size, 256LL << 20, "default rocksdb-block-cache-size");
    is_int(c.rocksdb_bloom_bits_per_key, 10, "default rocksdb-bloom-bits-per-key");
    is_int(c.rocksdb_block_size, 16 * 1024, "default rocksdb-block-size");
    is_int(c.rocksdb_write_buffer_size, 8LL << 20, "default rocksdb-write-buffer-size");
    is_int(c.rocksdb_max_background_jobs, 2, "default rocksdb-max-background-jobs");
    is_int(c.rocksdb_wal_recovery_mode, STORE_WAL_TAIL, "default rocksdb-wal-recovery-mode tail");
    ok(!c.rocksdb_repair, "default rocksdb-repair no");
    ok(c.configfile == NULL, "no config file yet");
    ok(value_is(&c, "save", "") && value_is(&c, "appendonly", "yes"),
       "CONFIG GET save \"\" and appendonly yes");
    cfg_deinit(&c);
}

static void test_file(void)
{
    struct server_config c;
    char path[128], logpath[128], err[1024], *log;
    const char *text =
        "# omenkv test config\n"
        "   # an indented comment\n"
        "\n"
        "port 7000\n"
        "BIND 10.0.0.1 \"::1\"   \n"
        "\tprotected-mode NO\r\n"
        "requirepass \"p a\\\"ss\\x21\\n\"\n"
        "pidfile 'it\\'s.pid'\n"
        "dir \"/tmp/a b\"\n"
        "maxmemory 2gb\n"
        "proto-max-bulk-len 2M\n"
        "client-query-buffer-limit 1GB\n"
        "rocksdb-block-size 4KB\n"
        "rocksdb-write-buffer-size 128mb\n"
        "rocksdb-block-cache-size 1g\n"
        "rocksdb-bloom-bits-per-key 0\n"
        "rocksdb-max-background-jobs 4\n"
        "rocksdb-wal-recovery-mode point-in-time\n"
        "rocksdb-repair yes\n"
        "appendfsync ALWAYS\n"
        "loglevel warning\n"
        "maxmemory-policy allkeys-lru\n"
        "enable-debug-command local\n"
        "daemonize yes\n"
        "timeout 30\n"
        "tcp-keepalive 0\n"
        "hz \"50\"\n"
        "save 900 1 300 10\n"
        "appendonly no\n"
        "databases 32\n"
        "io-threads 4\n"
        "maxclients 50\n"
        "tcp-backlog 128\n"
        "port 7001"; /* no final newline: the last line still counts */

    tpath(path, sizeof(path), "a.conf");
    tpath(logpath, sizeof(logpath), "load.log");
    write_file(path, text);
    ok(log_set_file(logpath) == 0, "log to a temp file");
    log_set_level(OMK_LOG_NOTICE);
    is_int(load(&c, err, sizeof(err), path, (char *)NULL), 0, "load a file with every type");
    if (err[0])
        diag("%s", err);
    is_int(c.port, 7001, "port: the last line wins");
    ok(c.bind.n == 2 && strcmp(c.bind.v[0], "10.0.0.1") == 0 && strcmp(c.bind.v[1], "::1") == 0,
       "bind: a list, quotes removed, name case-insensitive");
    ok(!c.protected_mode, "bool NO, tab and CR trimmed");
    ok(strcmp(c.requirepass, "p a\"ss!\n") == 0, "double quotes with \\\" \\x21 \\n");
    ok(c.auth_required, "auth_required follows requirepass");
    ok(strcmp(c.pidfile, "it's.pid") == 0, "single quotes with \\'");
    ok(strcmp(c.dir, "/tmp/a b") == 0, "quoted string with a space");
    is_int(c.maxmemory, 2LL << 30, "2gb");
    is_int(c.proto_max_bulk_len, 2000000, "2M = 2000000");
    is_int(c.client_query_buffer_limit, 1LL << 30, "1GB");
    is_int(c.rocksdb_block_size, 4096, "4KB");
    is_int(c.rocksdb_write_buffer_size, 128LL << 20, "128mb");
    is_int(c.rocksdb_block_cache_size, 1000000000, "1g");
    is_int(c.rocksdb_bloom_bits_per_key, 0, "bloom bits 0");
    is_int(c.rocksdb_max_background_jobs, 4, "background jobs");
    is_int(c.rocksdb_wal_recovery_mode, STORE_WAL_POINT_IN_TIME, "wal recovery mode");
    ok(c.rocksdb_repair, "rocksdb-repair yes");
    is_int(c.appendfsync, STORE_FSYNC_ALWAYS, "enum, case-insensitive");
    is_int(c.loglevel, OMK_LOG_WARNING, "loglevel warning");
    is_int(log_get_level(), OMK_LOG_NOTICE, "loading does not touch the log");
    is_int(c.maxmemory_policy, CFG_MAXMEMORY_ALLKEYS_LRU, "maxmemory-policy");
    is_int(c.enable_debug_command, CFG_DEBUG_LOCAL, "enable-debug-command local");
    ok(c.daemonize, "daemonize yes");
    is_int(c.timeout, 30, "timeout");
    is_int(c.tcp_keepalive, 0, "tcp-keepalive 0");
    is_int(c.hz, 50, "quoted number");
    is_int(c.databases, 32, "databases");
    is_int(c.io_threads, 4, "io-threads");
    is_int(c.maxclients, 50, "maxclients");
    is_int(c.tcp_backlog, 128, "tcp-backlog");
    ok(c.configfile && strcmp(c.configfile, path) == 0, "configfile recorded");
    ok(value_is(&c, "save", "") && value_is(&c, "appendonly", "yes"),
       "save and appendonly are accepted and ignored");
    log = read_file(logpath);
    ok(strstr(log, "The 'appendonly' setting is ignored") != NULL &&
           strstr(log, "The 'save' setting is ignored") != NULL,
       "ignored settings are logged");
    free(log);
    cfg_deinit(&c);

    /* The same file, then command-line options, which win. */
    is_int(load(&c, err, sizeof(err), path, "--port", "7100", "--bind", "127.0.0.1", "::2",
                "--timeout 5", "--requirepass", "--looks-like-an-option", "--maxmemory",
                "100mb", "--save", (char *)NULL),
           0, "file plus command-line options");
    is_int(c.port, 7100, "--port overrides the file");
    ok(c.bind.n == 2 && strcmp(c.bind.v[1], "::2") == 0, "--bind with two values");
    is_int(c.timeout, 5, "\"--timeout 5\" as one argument");
    ok(strcmp(c.requirepass, "--looks-like-an-option") == 0,
       "an argument after a bare name is its value even if it starts with --");
    is_int(c.maxmemory, 100LL << 20, "--maxmemory 100mb");
    is_int(c.hz, 50, "options not given keep the file's value");
    cfg_deinit(&c);

    is_int(load(&c, err, sizeof(err), "--bind", "1.1.1.1 2.2.2.2", "--requirepass",
                "a \"b\"\n", "--save", "--port", "1", (char *)NULL),
           0, "command line only");
    ok(c.bind.n == 2 && strcmp(c.bind.v[0], "1.1.1.1") == 0 && strcmp(c.bind.v[1], "2.2.2.2") == 0,
       "one bind argument with spaces is split");
    ok(strcmp(c.requirepass, "a \"b\"\n") == 0, "values are quoted and unquoted intact");
    is_int(c.port, 1, "--save followed by an option takes \"\"");
    ok(c.configfile == NULL, "no config file");
    cfg_deinit(&c);
    unlink(path);
    unlink(logpath);
    log_set_file(mainlog);
}

static void test_load_errors(void)
{
    struct server_config c;
    char path[128], err[1024], want[1024];
    char *many[24];

    load_fails(fatal(2, "port \"abc\"", "argument couldn't be parsed into an integer"),
               "--port", "abc");
    load_fails(fatal(2, "port \"99999\"", "argument must be between 0 and 65535 inclusive"),
               "--port", "99999");
    load_fails(fatal(2, "port \"-1\"", "argument must be between 0 and 65535 inclusive"),
               "--port", "-1");
    load_fails(fatal(2, "port \"007\"", "argument couldn't be parsed into an integer"),
               "--port", "007");
    load_fails(fatal(2, "appendfsync \"foo\"",
                     "argument(s) must be one of the following: everysec, always, no"),
               "--appendfsync", "foo");
    load_fails(fatal(2, "loglevel \"loud\"", "argument(s) must be one of the following: "
                                            "debug, verbose, notice, warning"),
               "--loglevel", "loud");
    load_fails(fatal(2, "maxclients \"0\"",
                     "argument must be between 1 and 4294967295 inclusive"),
               "--maxclients", "0");
    load_fails(fatal(2, "maxmemory-policy \"lru\"",
                     "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
                     "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
                     "noeviction"),
               "--maxmemory-policy", "lru");
    load_fails(fatal(2, "protected-mode \"maybe\"", "argument must be 'yes' or 'no'"),
               "--protected-mode", "maybe");
    load_fails(fatal(2, "maxmemory \"12x\"", "argument must be a memory value"),
               "--maxmemory", "12x");
    load_fails(fatal(2, "foo \"bar\"", "Bad directive or wrong number of arguments"), "--foo",
               "bar");
    load_fails(fatal(2, "include \"x.conf\"", "Bad directive or wrong number of arguments"),
               "--include", "x.conf");
    load_fails(fatal(2, "port \"1\" \"2\"", "wrong number of arguments"), "--port", "1", "2");
    load_fails(fatal(2, "databases \"0\"", "argument must be between 1 and 256 inclusive"),
               "--databases", "0");
    load_fails(fatal(2, "io-threads \"129\"", "argument must be between 0 and 128 inclusive"),
               "--io-threads", "129");
    load_fails(fatal(2, "proto-max-bulk-len \"10\"",
                     "argument must be between 1048576 and 9223372036854775807 inclusive"),
               "--proto-max-bulk-len", "10");
    load_fails(fatal(2, "save \"abc\"", "Invalid save parameters"), "--save", "abc");
    load_fails(fatal(2, "save \"0\" \"1\"", "Invalid save parameters"), "--save", "0", "1");
    load_fails(fatal(4, "port \"x\"", "argument couldn't be parsed into an integer"), "--port",
               "1", "--save", "--port", "x");
    load_fails(fatal(2, "port \"\\\"\"", "argument couldn't be parsed into an integer"),
               "--port", "\"");
    load_fails(fatal(2, "requirepass \"a\\x01b\" \"c\\td\"", "wrong number of arguments"),
               "--requirepass", "a\001b", "c\td");

    many[0] = (char *)"--bind";
    for (int i = 1; i <= 17; i++) {
        char addr[8];

        snprintf(addr, sizeof(addr), "%d", i);
        many[i] = strdup(addr);
    }
    many[18] = NULL;
    {
        char *argv[20] = {(char *)"omenkv-server"};

        memcpy(argv + 1, many, sizeof(char *) * 19);
        cfg_defaults(&c);
        is_int(cfg_load(&c, 19, argv, err, sizeof(err)), -1, "17 bind addresses fail");
        ok(strcmp(err, fatal(2, "bind \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\" "
                                "\"10\" \"11\" \"12\" \"13\" \"14\" \"15\" \"16\" \"17\"",
                             "Too many bind addresses specified.")) == 0,
           "Too many bind addresses specified.");
        cfg_deinit(&c);
    }
    for (int i = 1; i <= 17; i++)
        free(many[i]);

    /* Line numbers count the file's lines, one added newline, then the options. */
    tpath(path, sizeof(path), "b.conf");
    write_file(path, "# c\nport 7000\n\nbind 1.2.3.4 ::1\n");
    is_int(load(&c, err, sizeof(err), path, "--port", "abc", (char *)NULL), -1,
           "option after a 4-line file");
    ok(strcmp(err, fatal(6, "port \"abc\"", "argument couldn't be parsed into an integer")) == 0,
       "reported at line 6, as redis-server does");
    cfg_deinit(&c);

    write_file(path, "port 7000\n  port 1 2  \n");
    is_int(load(&c, err, sizeof(err), path, (char *)NULL), -1, "wrong number of arguments");
    ok(strcmp(err, fatal(2, "port 1 2", "wrong number of arguments")) == 0,
       "the line is shown trimmed");
    cfg_deinit(&c);

    write_file(path, "requirepass \"ab\n");
    is_int(load(&c, err, sizeof(err), path, (char *)NULL), -1, "unterminated quote");
    ok(strcmp(err, fatal(1, "requirepass \"ab", "Unbalanced quotes in configuration line")) == 0,
       "Unbalanced quotes in configuration line");
    cfg_deinit(&c);

    write_file(path, "requirepass \"ab\"x\n");
    load(&c, err, sizeof(err), path, (char *)NULL);
    ok(strcmp(err, fatal(1, "requirepass \"ab\"x", "Unbalanced quotes in configuration line")) ==
           0,
       "a closing quote must end the word");
    cfg_deinit(&c);

    write_file(path, "bind\n");
    is_int(load(&c, err, sizeof(err), path, (char *)NULL), 0, "bind with no address loads");
    is_int(c.bind.n, 0, "... as an empty list (the daemon refuses to listen nowhere)");
    cfg_deinit(&c);
    unlink(path);

    snprintf(want, sizeof(want), "\n*** FATAL CONFIG FILE ERROR (%s %s) ***\n"
             "Can't open the log file: No such file or directory\n", PACKAGE_NAME,
             PACKAGE_VERSION);
    load_fails(want, "--logfile", "/nonexistent-omk/x.log");

    is_int(load(&c, err, sizeof(err), "/nonexistent-omk/omk.conf", (char *)NULL), -1,
           "missing config file");
    ok(strcmp(err, "Fatal error, can't open config file '/nonexistent-omk/omk.conf': No such "
                   "file or directory\n") == 0,
       "can't open config file");
    cfg_deinit(&c);
}

/* Apply hooks used by the CONFIG SET tests. */
static int hook_calls, hook_fail, hook_seen_fsync;

static int hook_record(struct server_config *c, char *err, size_t errlen)
{
    hook_calls++;
    hook_seen_fsync = c->appendfsync;
    if (hook_fail) {
        snprintf(err, errlen, "The operating system refused");
        return -1;
    }
    return 0;
}

static void set_ok(struct server_config *c, const char *name, const char *value)
{
    char err[512] = "";
    int rc = cfg_set(c, name, value, err, sizeof(err));

    ok(rc == 0, "CONFIG SET %s %s", name, value);
    if (rc)
        diag("%s", err);
}

static void set_fails(struct server_config *c, const char *name, const char *value,
                      const char *want)
{
    char err[512] = "";
    int rc = cfg_set(c, name, value, err, sizeof(err));

    ok(rc == -1 && strcmp(err, want) == 0, "CONFIG SET error: %s", want);
    if (rc != -1 || strcmp(err, want) != 0)
        diag("got %d: %s", rc, err);
}

#define IMMUTABLE(n) "CONFIG SET failed (possibly related to argument '" n "') - can't set " \
                     "immutable config"

static void test_set(void)
{
    struct server_config c;
    struct got g;

    cfg_defaults(&c);
    set_ok(&c, "maxclients", "5000");
    is_int(c.maxclients, 5000, "maxclients changed");
    set_ok(&c, "TimeOut", "60");
    is_int(c.timeout, 60, "names are case-insensitive");
    set_ok(&c, "protected-mode", "no");
    ok(!c.protected_mode, "protected-mode no");
    set_ok(&c, "maxmemory", "1gb");
    ok(value_is(&c, "maxmemory", "1073741824"), "CONFIG GET shows bytes");
    set_ok(&c, "maxmemory-policy", "allkeys-lfu");
    ok(value_is(&c, "maxmemory-policy", "allkeys-lfu"), "enum shown by name");
    set_ok(&c, "proto-max-bulk-len", "1mb");
    set_ok(&c, "client-query-buffer-limit", "2mb");
    set_ok(&c, "tcp-keepalive", "60");
    set_ok(&c, "hz", "100");
    set_ok(&c, "appendonly", "yes");
    set_ok(&c, "save", "3600 1 300 100");
    ok(value_is(&c, "save", ""), "save still shows \"\"");
    set_fails(&c, "save", "3600", "CONFIG SET failed (possibly related to argument 'save') - "
                                  "Invalid save parameters");

    set_fails(&c, "port", "7000", IMMUTABLE("port"));
    set_fails(&c, "Bind", "0.0.0.0", IMMUTABLE("Bind"));
    set_fails(&c, "dir", "/tmp", IMMUTABLE("dir"));
    set_fails(&c, "databases", "3", IMMUTABLE("databases"));
    set_fails(&c, "daemonize", "yes", IMMUTABLE("daemonize"));
    set_fails(&c, "io-threads", "2", IMMUTABLE("io-threads"));
    set_fails(&c, "tcp-backlog", "10", IMMUTABLE("tcp-backlog"));
    set_fails(&c, "pidfile", "x", IMMUTABLE("pidfile"));
    set_fails(&c, "enable-debug-command", "yes", IMMUTABLE("enable-debug-command"));
    set_fails(&c, "rocksdb-block-size", "4kb", IMMUTABLE("rocksdb-block-size"));
    is_int(c.port, 6379, "port unchanged");

    set_fails(&c, "foo", "bar", "Unknown option or number of arguments for CONFIG SET - 'foo'");
    set_fails(&c, "fo\r\no", "bar",
              "Unknown option or number of arguments for CONFIG SET - 'fo  o'");
    set_fails(&c, "maxclients", "abc", "CONFIG SET failed (possibly related to argument "
                                       "'maxclients') - argument couldn't be parsed into an "
                                       "integer");
    set_fails(&c, "MAXCLIENTS", "0", "CONFIG SET failed (possibly related to argument "
                                     "'maxclients') - argument must be between 1 and "
                                     "4294967295 inclusive");
    set_fails(&c, "appendfsync", "sometimes",
              "CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) "
              "must be one of the following: everysec, always, no");
    set_fails(&c, "protected-mode", "1", "CONFIG SET failed (possibly related to argument "
                                         "'protected-mode') - argument must be 'yes' or 'no'");
    set_fails(&c, "maxmemory", "1.5mb", "CONFIG SET failed (possibly related to argument "
                                        "'maxmemory') - argument must be a memory value");
    is_int(c.maxclients, 5000, "failed sets change nothing");
    ok(!c.protected_mode, "protected-mode unchanged");

    /* Redis 7.0's words and bounds (issue 19): hz is clamped, not refused; maxclients is
     * an unsigned int; loglevel's error names 7.0's four levels (7.2's "nothing" is
     * accepted, unlisted). */
    set_ok(&c, "hz", "0");
    ok(value_is(&c, "hz", "1"), "hz 0 is clamped to 1");
    set_ok(&c, "hz", "1000");
    ok(value_is(&c, "hz", "500"), "hz 1000 is clamped to 500");
    set_fails(&c, "hz", "-1", "CONFIG SET failed (possibly related to argument 'hz') - "
                              "argument must be between 0 and 2147483647 inclusive");
    set_ok(&c, "maxclients", "3000000000");
    ok(value_is(&c, "maxclients", "3000000000"), "maxclients above INT_MAX is kept whole");
    set_fails(&c, "maxclients", "99999999999", "CONFIG SET failed (possibly related to "
                                               "argument 'maxclients') - argument must be "
                                               "between 1 and 4294967295 inclusive");
    set_fails(&c, "loglevel", "loud", "CONFIG SET failed (possibly related to argument "
                                      "'loglevel') - argument(s) must be one of the "
                                      "following: debug, verbose, notice, warning");

    /* Hooks. */
    ok(cfg_set_apply_hook("port", hook_record) == -1, "no hook on a start-up option");
    ok(cfg_set_apply_hook("nope", hook_record) == -1, "no hook on an unknown option");
    ok(cfg_set_apply_hook("save", hook_record) == -1, "no hook on an ignored option");
    ok(cfg_set_apply_hook("appendfsync", hook_record) == 0, "hook on appendfsync");
    hook_calls = 0;
    set_ok(&c, "appendfsync", "always");
    is_int(hook_calls, 1, "hook called once");
    is_int(hook_seen_fsync, STORE_FSYNC_ALWAYS, "hook sees the new value");
    set_ok(&c, "appendfsync", "ALWAYS");
    is_int(hook_calls, 1, "no call when the value does not change");
    hook_fail = 1;
    set_fails(&c, "appendfsync", "no", "CONFIG SET failed (possibly related to argument "
                                       "'appendfsync') - The operating system refused");
    is_int(c.appendfsync, STORE_FSYNC_ALWAYS, "old value restored after a hook failure");
    is_int(hook_calls, 3, "hook called again on the restored value");
    hook_fail = 0;
    cfg_set_apply_hook("appendfsync", NULL);
    set_ok(&c, "appendfsync", "no");
    is_int(hook_calls, 3, "hook removed");
    ok(value_is(&c, "appendfsync", "no"), "CONFIG GET appendfsync no");

    /* requirepass */
    set_ok(&c, "requirepass", "s3cret");
    ok(c.auth_required, "auth_required after CONFIG SET requirepass");
    ok(cfg_requirepass_check(&c, "s3cret", 6) == 1, "right password");
    ok(cfg_requirepass_check(&c, "s3cre", 5) == 0, "prefix refused");
    ok(cfg_requirepass_check(&c, "s3cret!", 7) == 0, "longer refused");
    ok(cfg_requirepass_check(&c, "S3cret", 6) == 0, "case matters");
    ok(cfg_requirepass_check(&c, "", 0) == 0, "empty refused");
    ok(value_is(&c, "requirepass", "s3cret"), "CONFIG GET requirepass");
    {
        struct omk_slice n = {"requirepass", 11}, v = {"a\0b", 3};
        char err[256];

        ok(cfg_set_many(&c, 1, &n, &v, err, sizeof(err)) == -1 &&
               strstr(err, "NUL") != NULL, "NUL bytes refused in strings");
    }
    set_ok(&c, "requirepass", "");
    ok(!c.auth_required, "empty requirepass: no auth");
    (void)get1(&c, "requirepass", &g);
    is_int(g.n, 1, "requirepass reported once");
    cfg_deinit(&c);
}

static void test_set_many(void)
{
    struct server_config c;
    struct omk_slice names[3], values[3];
    char err[512];

#define PAIR(i, n, v) (names[i] = (struct omk_slice){n, strlen(n)}, \
                       values[i] = (struct omk_slice){v, strlen(v)})
    cfg_defaults(&c);
    PAIR(0, "timeout", "9");
    PAIR(1, "maxclients", "abc");
    is_int(cfg_set_many(&c, 2, names, values, err, sizeof(err)), -1, "one bad value");
    ok(strcmp(err, "CONFIG SET failed (possibly related to argument 'maxclients') - argument "
                   "couldn't be parsed into an integer") == 0, "error names the bad one");
    is_int(c.timeout, 0, "the good one was not applied");

    PAIR(1, "port", "1");
    is_int(cfg_set_many(&c, 2, names, values, err, sizeof(err)), -1, "one immutable");
    ok(strcmp(err, IMMUTABLE("port")) == 0, "immutable error");
    is_int(c.timeout, 0, "nothing applied");

    PAIR(1, "nosuch", "1");
    PAIR(2, "port", "1");
    is_int(cfg_set_many(&c, 3, names, values, err, sizeof(err)), -1, "unknown");
    ok(strcmp(err, "Unknown option or number of arguments for CONFIG SET - 'nosuch'") == 0,
       "first error wins");

    PAIR(1, "TIMEOUT", "10");
    is_int(cfg_set_many(&c, 2, names, values, err, sizeof(err)), -1, "duplicate");
    ok(strcmp(err, "CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate "
                   "parameter") == 0, "duplicate parameter");

    PAIR(1, "hz", "20");
    PAIR(2, "maxmemory", "10mb");
    is_int(cfg_set_many(&c, 3, names, values, err, sizeof(err)), 0, "three good pairs");
    ok(c.timeout == 9 && c.hz == 20 && c.maxmemory == 10LL << 20, "all three applied");

    /* One hook for two options runs once; a failing hook rolls back every pair. */
    cfg_set_apply_hook("timeout", hook_record);
    cfg_set_apply_hook("tcp-keepalive", hook_record);
    hook_calls = 0;
    PAIR(0, "timeout", "11");
    PAIR(1, "tcp-keepalive", "12");
    PAIR(2, "hz", "30");
    is_int(cfg_set_many(&c, 3, names, values, err, sizeof(err)), 0, "hooked pairs");
    is_int(hook_calls, 1, "a shared hook runs once");
    hook_fail = 1;
    PAIR(0, "timeout", "21");
    PAIR(1, "tcp-keepalive", "22");
    PAIR(2, "hz", "40");
    is_int(cfg_set_many(&c, 3, names, values, err, sizeof(err)), -1, "failing hook");
    ok(strcmp(err, "CONFIG SET failed (possibly related to argument 'timeout') - The operating "
                   "system refused") == 0, "hook error reported on its first option");
    ok(c.timeout == 11 && c.tcp_keepalive == 12 && c.hz == 30, "all pairs rolled back");
    hook_fail = 0;
    cfg_set_apply_hook("timeout", NULL);
    cfg_set_apply_hook("tcp-keepalive", NULL);
    is_int(cfg_set_many(&c, 0, names, values, err, sizeof(err)), 0, "zero pairs");
    cfg_deinit(&c);
#undef PAIR
}

static void test_get(void)
{
    static const char *const all[] = {
        "port", "bind", "protected-mode", "tcp-backlog", "tcp-keepalive", "timeout",
        "maxclients", "io-threads", "requirepass", "aclfile", "enable-debug-command",
        "proto-max-bulk-len", "client-query-buffer-limit", "large-requests-max-memory",
        "client-output-buffer-limit",
        "maxmemory", "maxmemory-policy", "lfu-log-factor", "lfu-decay-time",
        "cache-max-value-size",
        "databases", "dir", "appendonly", "appendfsync", "save", "daemonize", "pidfile",
        "loglevel", "logfile", "hz", "rocksdb-block-cache-size", "rocksdb-bloom-bits-per-key",
        "rocksdb-block-size", "rocksdb-write-buffer-size", "rocksdb-max-background-jobs",
        "rocksdb-wal-recovery-mode", "rocksdb-repair", "index-file", "rocksdb-max-open-files",
        "rocksdb-compression", "rocksdb-use-direct-reads",
        "rocksdb-use-direct-io-for-flush-and-compaction", "rocksdb-mmap-reads",
        "rocksdb-statistics",
        "hash-max-listpack-entries", "hash-max-ziplist-entries", "hash-max-listpack-value",
        "hash-max-ziplist-value", "set-max-intset-entries", "zset-max-listpack-entries",
        "zset-max-ziplist-entries", "zset-max-listpack-value", "zset-max-ziplist-value",
        "list-max-listpack-size", "list-max-ziplist-size", "list-compress-depth",
        "collection-inline-max-bytes", "string-fragment-threshold",
        "slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold",
        "latency-tracking", "latency-tracking-info-percentiles", "busy-reply-threshold",
        "lua-time-limit", "hll-sparse-max-bytes", "tracking-table-max-keys",
        "notify-keyspace-events",
    };
    struct server_config c;
    struct got g;
    int same = 1;
    char err[1024];

    load(&c, err, sizeof(err), "--bind", "127.0.0.1", "-::1", (char *)NULL);
    get1(&c, "*", &g);
    is_int(g.n, OMK_ARRAY_LEN(all), "CONFIG GET * lists every option");
    for (size_t i = 0; i < g.n && i < OMK_ARRAY_LEN(all); i++)
        same &= strcmp(g.names[i], all[i]) == 0;
    ok(same, "in table order");
    ok(value_is(&c, "port", "6379"), "port");
    ok(value_is(&c, "bind", "127.0.0.1 -::1"), "bind space-separated");
    ok(value_is(&c, "protected-mode", "yes"), "bool yes");
    ok(value_is(&c, "daemonize", "no"), "bool no");
    ok(value_is(&c, "proto-max-bulk-len", "536870912"), "memory as bytes");
    ok(value_is(&c, "loglevel", "notice"), "loglevel by name");
    ok(value_is(&c, "dir", "./data"), "dir");
    ok(value_is(&c, "logfile", ""), "logfile empty");

    get1(&c, "rocksdb-*", &g);
    ok(g.n >= 8 && strcmp(g.names[0], "rocksdb-block-cache-size") == 0 &&
           strcmp(g.values[0], "268435456") == 0 &&
           strcmp(g.names[4], "rocksdb-max-background-jobs") == 0 &&
           strcmp(g.names[5], "rocksdb-wal-recovery-mode") == 0 &&
           strcmp(g.values[5], "tail") == 0 && strcmp(g.values[6], "no") == 0 &&
           strcmp(g.names[7], "rocksdb-max-open-files") == 0 && strcmp(g.values[7], "1000") == 0,
       "rocksdb-*: eight options");
    ok(g.n == 13 && strcmp(g.names[8], "rocksdb-compression") == 0 &&
           strcmp(g.values[8], "snappy") == 0 && strcmp(g.values[9], "no") == 0 &&
           strcmp(g.values[10], "no") == 0 && strcmp(g.names[11], "rocksdb-mmap-reads") == 0 &&
           strcmp(g.values[11], "no") == 0 && strcmp(g.names[12], "rocksdb-statistics") == 0 &&
           strcmp(g.values[12], "no") == 0,
       "rocksdb-*: and issue 25's five, with their defaults");
    get1(&c, "maxmemory*", &g);
    ok(g.n == 2 && strcmp(g.names[0], "maxmemory") == 0 &&
           strcmp(g.names[1], "maxmemory-policy") == 0 && strcmp(g.values[1], "noeviction") == 0,
       "maxmemory*");
    get1(&c, "MAXMEMORY", &g);
    ok(g.n == 1 && strcmp(g.names[0], "maxmemory") == 0, "case-insensitive pattern");
    get1(&c, "*port", &g);
    is_int(g.n, 1, "*port");
    get1(&c, "nothing-like-this", &g);
    is_int(g.n, 0, "no match");
    get1(&c, "t?meout", &g);
    is_int(g.n, 1, "? matches one character");
    {
        struct omk_slice pats[2] = {{"port", 4}, {"p*", 2}};

        memset(&g, 0, sizeof(g));
        is_int(cfg_get_many(&c, 2, pats, got_cb, &g), 4, "two patterns, port reported once");
        ok(strcmp(g.names[0], "port") == 0 && strcmp(g.names[1], "protected-mode") == 0 &&
               strcmp(g.names[2], "proto-max-bulk-len") == 0 &&
               strcmp(g.names[3], "pidfile") == 0,
           "table order across patterns");
    }
    cfg_deinit(&c);
}

/* client-output-buffer-limit: Redis' groups of four, classes merged, errors in Redis'
 * words, all or nothing. */
/* notify-keyspace-events: class letters in, Redis' order out (as redis-server 7.0.15
 * prints them), Redis' error for any other letter, from a file and CONFIG SET. */
static void test_notify_flags(void)
{
    struct server_config c;
    char path[128], err[1024];

    ok(load(&c, err, sizeof(err), (char *)NULL) == 0 && value_is(&c, "notify-keyspace-events", ""),
       "notify-keyspace-events is off by default");
    cfg_deinit(&c);
    ok(load(&c, err, sizeof(err), "--notify-keyspace-events", "KEA", (char *)NULL) == 0 &&
           value_is(&c, "notify-keyspace-events", "AKE"),
       "--notify-keyspace-events KEA reads back AKE");
    cfg_deinit(&c);
    tpath(path, sizeof(path), "notify.conf");
    write_file(path, "notify-keyspace-events \"xlE\"\n");
    ok(load(&c, err, sizeof(err), path, (char *)NULL) == 0 &&
           value_is(&c, "notify-keyspace-events", "lxE"),
       "from a file: xlE reads back lxE");
    cfg_deinit(&c);
    write_file(path, "notify-keyspace-events KEQ\n");
    ok(load(&c, err, sizeof(err), path, (char *)NULL) != 0 &&
           strstr(err, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") != NULL,
       "from a file: an unknown letter is refused");
    cfg_deinit(&c);
    unlink(path);
    load(&c, err, sizeof(err), (char *)NULL);
    set_ok(&c, "notify-keyspace-events", "An");
    ok(value_is(&c, "notify-keyspace-events", "A"), "A hides n, as Redis prints it");
    ok(atomic_load(&c.notify_keyspace_events) == (NOTIFY_ALL | NOTIFY_NEW), "n is on all the same");
    set_ok(&c, "notify-keyspace-events", "mKdtezhsl$gn");
    ok(value_is(&c, "notify-keyspace-events", "g$lshzetdnKm"), "each class in Redis' order");
    set_fails(&c, "notify-keyspace-events", "KE ",
              "CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
              "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    ok(value_is(&c, "notify-keyspace-events", "g$lshzetdnKm"), "a refused value changes nothing");
    set_ok(&c, "notify-keyspace-events", "");
    ok(atomic_load(&c.notify_keyspace_events) == 0, "\"\" turns notifications off");
    cfg_deinit(&c);
}

static void test_obuf_limits(void)
{
#define OBUF_ERR(msg) "CONFIG SET failed (possibly related to argument " \
                      "'client-output-buffer-limit') - " msg
    struct server_config c;
    char err[1024];

    cfg_defaults(&c);
    ok(value_is(&c, "client-output-buffer-limit",
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
       "default as Redis shows it");
    is_int(c.obuf_limits[CFG_OBUF_NORMAL].hard, 0, "normal clients: no hard limit by default");
    set_ok(&c, "client-output-buffer-limit", "normal 1mb 512kb 10");
    is_int(c.obuf_limits[CFG_OBUF_NORMAL].hard, 1048576, "normal hard limit set");
    is_int(c.obuf_limits[CFG_OBUF_NORMAL].soft, 524288, "normal soft limit set");
    is_int(c.obuf_limits[CFG_OBUF_NORMAL].soft_seconds, 10, "normal soft seconds set");
    ok(value_is(&c, "client-output-buffer-limit",
                "normal 1048576 524288 10 slave 268435456 67108864 60 "
                "pubsub 33554432 8388608 60"),
       "classes not named keep their value");
    set_ok(&c, "client-output-buffer-limit", "REPLICA 1 2 3 normal 4 5 6 pubsub 7 8 9");
    ok(value_is(&c, "client-output-buffer-limit", "normal 4 5 6 slave 1 2 3 pubsub 7 8 9"),
       "three classes in one value, replica is slave");
    set_fails(&c, "client-output-buffer-limit", "normal 1 2",
              OBUF_ERR("Wrong number of arguments in buffer limit configuration."));
    set_fails(&c, "client-output-buffer-limit", "normal 1 2 3 master 1 2 3",
              OBUF_ERR("Invalid client class specified in buffer limit configuration."));
    set_fails(&c, "client-output-buffer-limit", "normal 0 0 0 pubsub 1x 0 0",
              OBUF_ERR("Error in hard, soft or soft_seconds setting in buffer limit "
                       "configuration."));
    set_fails(&c, "client-output-buffer-limit", "normal 0 0 -1",
              OBUF_ERR("Error in hard, soft or soft_seconds setting in buffer limit "
                       "configuration."));
    ok(value_is(&c, "client-output-buffer-limit", "normal 4 5 6 slave 1 2 3 pubsub 7 8 9"),
       "a refused value changes no class");
    cfg_deinit(&c);

    is_int(load(&c, err, sizeof(err), "--client-output-buffer-limit", "normal", "2mb", "1mb",
                "5", (char *)NULL), 0, "command line: four arguments");
    is_int(c.obuf_limits[CFG_OBUF_NORMAL].hard, 2097152, "command line sets the hard limit");
    is_int(c.obuf_limits[CFG_OBUF_PUBSUB].hard, 33554432, "and keeps pubsub's default");
    cfg_deinit(&c);
    load_fails(fatal(2, "client-output-buffer-limit \"normal\" \"1\"",
                     "Wrong number of arguments in buffer limit configuration."),
               "--client-output-buffer-limit", "normal", "1");
#undef OBUF_ERR
}

static void test_memory_units(void)
{
    static const struct {
        const char *in;
        const char *want; /* CONFIG GET text, or NULL for a memory-value error */
    } cases[] = {
        {"0", "0"},          {"1", "1"},           {"5b", "5"},
        {"1k", "1000"},      {"1kb", "1024"},      {"1K", "1000"},
        {"1KB", "1024"},     {"1m", "1000000"},    {"1mb", "1048576"},
        {"1g", "1000000000"}, {"1gb", "1073741824"}, {"1GB", "1073741824"},
        {"1Gb", "1073741824"}, {"3gB", "3221225472"}, {"0100", "100"},
        {"1.5mb", NULL},     {"-1", NULL},         {"mb", NULL},
        {"", NULL},          {"1 mb", NULL},       {"1tb", NULL},
        {"1mbb", NULL},      {"+1", NULL},         {"20000000000gb", NULL},
        {"99999999999999999999", NULL},
    };
    struct server_config c;
    char err[512];

    cfg_defaults(&c);
    for (size_t i = 0; i < OMK_ARRAY_LEN(cases); i++) {
        int rc = cfg_set(&c, "maxmemory", cases[i].in, err, sizeof(err));

        if (cases[i].want)
            ok(rc == 0 && value_is(&c, "maxmemory", cases[i].want), "maxmemory '%s' = %s",
               cases[i].in, cases[i].want);
        else
            ok(rc == -1 && strcmp(err, "CONFIG SET failed (possibly related to argument "
                                       "'maxmemory') - argument must be a memory value") == 0,
               "maxmemory '%s' is not a memory value", cases[i].in);
    }
    is_int(cfg_set(&c, "maxmemory", "9223372036854775808", err, sizeof(err)), -1,
           "past LLONG_MAX");
    ok(strstr(err, "argument must be between 0 and 9223372036854775807 inclusive") != NULL,
       "... is out of range");
    set_ok(&c, "maxmemory", "9223372036854775807");
    cfg_deinit(&c);
}

/* Whether 'line' looks like "<pid>:M 25 Nov 2026 07:55:05.123 <mark> <msg>". */
static int log_line_ok(const char *line, char mark, const char *msg)
{
    char want[256], mon[4];
    int pid, day, year, h, m, s, ms, used = 0;

    if (!line || sscanf(line, "%d:M %2d %3s %4d %2d:%2d:%2d.%3d %n", &pid, &day, mon, &year, &h,
                        &m, &s, &ms, &used) != 8 || used == 0)
        return 0;
    snprintf(want, sizeof(want), "%c %s\n", mark, msg);
    return pid == (int)getpid() && line[used - 1] == ' ' && line[used - 5] == '.' &&
           strncmp(line + used, want, strlen(want)) == 0;
}

/* One rate-limited call site. */
static void log_bad_password(int i)
{
    OMK_LOG_RATELIMITED(OMK_LOG_WARNING, "bad password %d", i);
}

static void test_log(void)
{
    struct server_config c;
    char path[128], path2[128], err[512], *text;

    tpath(path, sizeof(path), "level.log");
    tpath(path2, sizeof(path2), "other.log");
    {
        char opt[160];

        snprintf(opt, sizeof(opt), "--logfile %s", path);
        is_int(load(&c, err, sizeof(err), opt, "--loglevel", "warning", (char *)NULL), 0,
               "load logfile and loglevel");
    }
    is_int(cfg_log_apply(&c, err, sizeof(err)), 0, "cfg_log_apply");
    is_int(log_get_level(), OMK_LOG_WARNING, "level from the config");
    omk_log(OMK_LOG_DEBUG, "d%d", 1);
    omk_log(OMK_LOG_VERBOSE, "v%d", 1);
    omk_log(OMK_LOG_NOTICE, "n%d", 1);
    omk_log(OMK_LOG_WARNING, "w%d", 1);
    text = read_file(path);
    is_int(count_lines(text), 1, "warning level: one line of four");
    ok(log_line_ok(text, '#', "w1"), "Redis line format with the # mark");
    if (!log_line_ok(text, '#', "w1"))
        diag("line: %s", text);
    free(text);

    set_ok(&c, "loglevel", "debug");
    is_int(log_get_level(), OMK_LOG_DEBUG, "CONFIG SET loglevel reaches the log");
    omk_log(OMK_LOG_DEBUG, "d2");
    omk_log(OMK_LOG_VERBOSE, "v2");
    omk_log(OMK_LOG_NOTICE, "n2");
    text = read_file(path);
    ok(count_lines(text) == 4 && log_line_ok(nth_line(text, 1), '.', "d2") &&
           log_line_ok(nth_line(text, 2), '-', "v2") && log_line_ok(nth_line(text, 3), '*', "n2"),
       "debug level: marks . - *");
    free(text);

    set_ok(&c, "loglevel", "nothing");
    omk_log(OMK_LOG_WARNING, "silenced");
    text = read_file(path);
    is_int(count_lines(text), 4, "loglevel nothing silences warnings");
    free(text);
    set_ok(&c, "loglevel", "notice");

    set_ok(&c, "logfile", path2);
    omk_log(OMK_LOG_NOTICE, "moved");
    text = read_file(path2);
    ok(count_lines(text) == 1 && log_line_ok(text, '*', "moved"),
       "CONFIG SET logfile moves the log");
    free(text);
    set_fails(&c, "logfile", "/nonexistent-omk/x.log",
              "CONFIG SET failed (possibly related to argument 'logfile') - Can't open the log "
              "file: No such file or directory");
    ok(value_is(&c, "logfile", path2), "logfile restored after the failure");
    omk_log(OMK_LOG_NOTICE, "still here");
    text = read_file(path2);
    ok(count_lines(text) == 3 && log_line_ok(nth_line(text, 1), '#',
                                             "Failed applying new configuration. Possibly related "
                                             "to new logfile setting. Restoring previous "
                                             "settings.") &&
           log_line_ok(nth_line(text, 2), '*', "still here"),
       "the failure is logged, and the log still goes to the old file");
    free(text);

    /* Rate limiting: one line per second per call site. */
    for (int i = 0; i < 3; i++)
        log_bad_password(i);
    text = read_file(path2);
    ok(count_lines(text) == 4 && strstr(text, "bad password 0\n") != NULL,
       "three calls in a row print one line");
    free(text);
    for (int i = 0; i < 2; i++)
        OMK_LOG_RATELIMITED(OMK_LOG_WARNING, "other site %d", i);
    text = read_file(path2);
    ok(count_lines(text) == 5 && strstr(text, "other site 0\n") != NULL,
       "another call site has its own limit");
    free(text);
    usleep(1100 * 1000);
    log_bad_password(3);
    log_bad_password(4);
    text = read_file(path2);
    ok(count_lines(text) == 6 &&
           strstr(text, "bad password 3 (2 similar messages suppressed)\n") != NULL,
       "a second later: one more line counting the suppressed ones");
    free(text);

    ok(log_set_file("") == 0, "back to stdout");
    cfg_deinit(&c);
    unlink(path);
    unlink(path2);
    log_set_file(mainlog);
}

/* Concurrent CONFIG SET and readers: run under ASan/TSan to catch races. */
static void *setter_thread(void *arg)
{
    struct server_config *c = arg;
    char err[256];

    for (int i = 0; i < 2000; i++) {
        cfg_set(c, "requirepass", i % 2 ? "aaaa" : "bbbbbbbbbbbb", err, sizeof(err));
        cfg_set(c, "timeout", i % 2 ? "1" : "2", err, sizeof(err));
    }
    return NULL;
}

static void test_threads(void)
{
    struct server_config c;
    pthread_t t;
    int bad = 0;
    struct got g;

    cfg_defaults(&c);
    omk_thread_create(&t, setter_thread, &c);
    for (int i = 0; i < 2000; i++) {
        int to = c.timeout;

        bad += to != 0 && to != 1 && to != 2;
        (void)cfg_requirepass_check(&c, "aaaa", 4);
        if (i % 50 == 0) {
            const char *v = get1(&c, "requirepass", &g);

            bad += !(v && (strcmp(v, "") == 0 || strcmp(v, "aaaa") == 0 ||
                           strcmp(v, "bbbbbbbbbbbb") == 0));
        }
    }
    omk_thread_join(t);
    is_int(bad, 0, "readers only see whole values while CONFIG SET runs");
    ok(cfg_requirepass_check(&c, "aaaa", 4) == 1, "last value set wins");
    cfg_deinit(&c);
}

/* CONFIG REWRITE's file handling (cfg_rewrite_file), the forms Redis 7.0.15 writes:
 * memory sizes in units, one output-limit line per class that needs one, save, bind and
 * requirepass lines dropped or replaced, an ignored option's line kept, new options
 * after the marker in table order. */
static void test_rewrite(void)
{
    struct server_config c;
    char err[1024], path[128], want[1024], *got;
    int rc;

    tpath(path, sizeof(path), "rewrite.conf");
    write_file(path, "# head\n"
                     "requirepass \"old\"\n"
                     "bind 127.0.0.1 -::1\n"
                     "save 900 1\n"
                     "save 300 10\n"
                     "maxmemory 100mb\n"
                     "client-output-buffer-limit pubsub 32mb 8mb 60\n"
                     "appendonly no\n");
    rc = load(&c, err, sizeof(err), path, "--dir", tmpdir, (char *)NULL);
    is_int(rc, 0, "load the file to rewrite");
    is_int(cfg_set(&c, "requirepass", "", err, sizeof(err)), 0, "no password");
    is_int(cfg_set(&c, "maxmemory", "2gb", err, sizeof(err)), 0, "maxmemory 2gb");
    is_int(cfg_set(&c, "client-output-buffer-limit", "normal 1mb 0 0", err, sizeof(err)), 0,
           "a normal-class limit");
    is_int(cfg_set(&c, "hz", "100", err, sizeof(err)), 0, "hz 100");
    is_int(cfg_set(&c, "cache-max-value-size", "3kb", err, sizeof(err)), 0, "3kb");
    /* bind is start-up only: the loaded value stays, and is not the default */
    is_int(cfg_rewrite_file(&c, path), 0, "rewrite");
    got = read_file(path);
    snprintf(want, sizeof(want),
             "# head\n"
             "\n"
             "bind 127.0.0.1 -::1\n"
             "save \"\"\n"
             "\n"
             "maxmemory 2gb\n"
             "client-output-buffer-limit normal 1mb 0 0\n"
             "appendonly no\n"
             "\n"
             "# Generated by CONFIG REWRITE\n"
             "cache-max-value-size 3kb\n"
             "dir \"%s\"\n"
             "hz 100\n",
             tmpdir);
    if (!ok(strcmp(got, want) == 0, "the file as Redis would write it"))
        diag("got:\n%s", got);
    free(got);
    cfg_deinit(&c);
    unlink(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/omk-test-config-XXXXXX");
    OMK_ASSERT(mkdtemp(tmpdir) != NULL);
    tpath(mainlog, sizeof(mainlog), "main.log");
    OMK_ASSERT(log_set_file(mainlog) == 0);

    test_defaults();
    test_file();
    test_load_errors();
    test_set();
    test_set_many();
    test_get();
    test_notify_flags();
    test_obuf_limits();
    test_memory_units();
    test_rewrite();
    test_log();
    test_threads();

    log_set_file("");
    unlink(mainlog);
    rmdir(tmpdir);
    return tap_done();
}
