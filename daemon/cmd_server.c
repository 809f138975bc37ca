/* cmd_server.c - the commands of Redis' "server" group: DBSIZE FLUSHDB FLUSHALL SHUTDOWN
 * INFO COMMAND CONFIG SAVE BGSAVE LASTSAVE TIME SWAPDB DEBUG. INFO's text is built by
 * info.c; COMMAND reads the command table; CONFIG hands its work to cfg.c; DEBUG runs only
 * when enable-debug-command allows it, as in Redis 7. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/info.h"
#include "daemon/log.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* DBSIZE */
void cmd_dbsize(struct client *c)
{
    reply_int(c, (long long)store_dbsize(server.store, c->db));
}

/* FLUSHDB / FLUSHALL [ASYNC | SYNC] against 'db' (-1: all). */
static void cmd_flush_generic(struct client *c, int db)
{
    int rc;

    if (c->argc > 2 || (c->argc == 2 && !cmd_arg_is(c, 1, "sync") && !cmd_arg_is(c, 1, "async"))) {
        reply_err_syntax(c);
        return;
    }
    rc = store_flush(server.store, db);
    if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_ok(c);
}

void cmd_flushdb(struct client *c)
{
    cmd_flush_generic(c, c->db);
}

void cmd_flushall(struct client *c)
{
    cmd_flush_generic(c, -1);
}

/* SHUTDOWN [[NOSAVE | SAVE] [NOW] [FORCE] | ABORT]: every write is already in the WAL,
 * so SAVE and NOSAVE mean the same; the server syncs and closes the store, and the
 * client sees the connection close (no reply), as with Redis. As in Redis 7.0, a word
 * may repeat, but NOSAVE with SAVE, or ABORT with any other flag, is a syntax error;
 * ABORT alone answers that no shutdown is in progress (omenkv's shutdown never waits for
 * replicas, so there is never one to abort). */
void cmd_shutdown(struct client *c)
{
    int nosave = 0, save = 0, other = 0, abort = 0;

    for (int i = 1; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "nosave")) {
            nosave = 1;
        } else if (cmd_arg_is(c, i, "save")) {
            save = 1;
        } else if (cmd_arg_is(c, i, "now") || cmd_arg_is(c, i, "force")) {
            other = 1;
        } else if (cmd_arg_is(c, i, "abort")) {
            abort = 1;
        } else {
            reply_err_syntax(c);
            return;
        }
    }
    if ((abort && (nosave || save || other)) || (nosave && save)) {
        reply_err_syntax(c);
        return;
    }
    if (abort) {
        reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    server_request_shutdown();
}

/* INFO [section ...]: the sections asked for (default ones without arguments), as text;
 * a verbatim string in RESP3. */
void cmd_info(struct client *c)
{
    struct evbuffer *b = evbuffer_new();
    size_t len;

    info_write(b, (size_t)c->argc - 1, &c->argv[1]);
    len = evbuffer_get_length(b);
    reply_verbatim(c, len ? (const char *)evbuffer_pullup(b, -1) : "", len);
    evbuffer_free(b);
}

/* ---- COMMAND ---- */

static void cmd_flag_reply(void *arg, const char *name)
{
    struct client *c = arg;

    reply_simple(c, name);
}

static void cmd_flag_count(void *arg, const char *name)
{
    OMK_UNUSED(name);
    (*(int *)arg)++;
}

/* ACL categories of 'd', derived from its flags and group. Fills 'out'; returns count. */
static int cmd_acl_categories(const struct cmd_def *d, const char *out[6])
{
    int n = 0;

    out[n++] = d->flags & CMD_WRITE ? "@write" : "@read";
    if (!(d->flags & (CMD_WRITE | CMD_READONLY)))
        n = 0;
    if (!strcmp(d->group, "string"))
        out[n++] = "@string";
    else if (!strcmp(d->group, "generic"))
        out[n++] = "@keyspace";
    else if (!strcmp(d->group, "connection"))
        out[n++] = "@connection";
    else if (!strcmp(d->group, "hash"))
        out[n++] = "@hash";
    else if (!strcmp(d->group, "list"))
        out[n++] = "@list";
    else if (!strcmp(d->group, "sorted-set"))
        out[n++] = "@sortedset";
    else if (!strcmp(d->group, "set"))
        out[n++] = "@set";
    else if (!strcmp(d->group, "bitmap"))
        out[n++] = "@bitmap";
    out[n++] = d->flags & CMD_FAST ? "@fast" : "@slow";
    if (d->flags & CMD_ADMIN) {
        out[n++] = "@admin";
        out[n++] = "@dangerous";
    }
    if (d->flags & CMD_BLOCKING)
        out[n++] = "@blocking";
    return n;
}

/* One COMMAND INFO entry, in Redis 7's 10-element shape. */
static void cmd_reply_info(struct client *c, const struct cmd_def *d)
{
    const char *cats[6];
    int nflags = 0, ncats = cmd_acl_categories(d, cats);

    cmd_flag_names(d, cmd_flag_count, &nflags);
    reply_array_len(c, 10);
    reply_bulk_cstr(c, d->name);
    reply_int(c, d->arity);
    reply_set_len(c, nflags);
    cmd_flag_names(d, cmd_flag_reply, c);
    reply_int(c, d->first_key);
    reply_int(c, d->last_key);
    reply_int(c, d->key_step);
    reply_set_len(c, ncats);
    for (int i = 0; i < ncats; i++)
        reply_simple(c, cats[i]);
    reply_set_len(c, 0); /* tips */
    reply_array_len(c, 0); /* key specs */
    reply_array_len(c, 0); /* subcommands */
}

/* One COMMAND DOCS entry: name, then a map of summary, since and group. */
static void cmd_reply_docs(struct client *c, const struct cmd_def *d)
{
    reply_bulk_cstr(c, d->name);
    reply_map_len(c, 3);
    reply_bulk_cstr(c, "summary");
    reply_bulk_cstr(c, d->summary);
    reply_bulk_cstr(c, "since");
    reply_bulk_cstr(c, d->since);
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, d->group);
}

/* COMMAND GETKEYS of SORT or ('ro') SORT_RO (its 'argc' arguments from c->argv[2]): the
 * key sorted, then for SORT the destination of the last STORE, found as Redis'
 * sortGetKeys finds it: LIMIT, GET and BY skip their arguments, and any other word is
 * read as an option. */
static void command_getkeys_sort(struct client *c, int argc, int ro)
{
    const struct omk_slice *argv = &c->argv[2];
    int store = 0;

    for (int i = 2; !ro && i < argc; i++) {
        if (cmd_word_is(&argv[i], "limit"))
            i += 2;
        else if (cmd_word_is(&argv[i], "get") || cmd_word_is(&argv[i], "by"))
            i++;
        else if (cmd_word_is(&argv[i], "store") && i + 1 < argc)
            store = i + 1;
    }
    reply_array_len(c, store ? 2 : 1);
    reply_bulk(c, argv[1].p, argv[1].len);
    if (store)
        reply_bulk(c, argv[store].p, argv[store].len);
}

/* COMMAND GETKEYS of a command with movable keys ('d', its 'argc' arguments from
 * c->argv[2]): the keys before numkeys (a destination), then the numkeys keys after it.
 * A numkeys that is not a number from 1 to the arguments left is Redis' "Invalid
 * arguments specified for command". */
static void command_getkeys_movable(struct client *c, const struct cmd_def *d, int argc)
{
    const struct omk_slice *argv = &c->argv[2];
    int idx = cmd_numkeys_index(d), nfixed = d->first_key > 0 ? d->last_key - d->first_key + 1 : 0;
    long long numkeys;

    if (idx >= argc || !omk_str2ll(argv[idx].p, argv[idx].len, &numkeys) || numkeys < 1 ||
        numkeys > argc - idx - 1) {
        reply_error(c, "ERR Invalid arguments specified for command");
        return;
    }
    reply_array_len(c, nfixed + numkeys);
    for (int i = 0; i < nfixed; i++)
        reply_bulk(c, argv[d->first_key + i].p, argv[d->first_key + i].len);
    for (long long i = 1; i <= numkeys; i++)
        reply_bulk(c, argv[idx + i].p, argv[idx + i].len);
}

/* COMMAND GETKEYS command [arg ...]: the key arguments, from the table's first/last/step
 * (or its numkeys argument; SORT's STORE key by SORT's own rule). */
static void command_getkeys(struct client *c)
{
    const struct cmd_def *d = cmd_lookup(c->argv[2].p, c->argv[2].len);
    int argc = c->argc - 2, last, n = 0;

    if (!d) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!cmd_arity_ok(d->arity, argc)) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    if (d->proc == cmd_sort || d->proc == cmd_sort_ro) {
        command_getkeys_sort(c, argc, d->proc == cmd_sort_ro);
        return;
    }
    if (d->flags & CMD_MOVABLEKEYS) {
        command_getkeys_movable(c, d, argc);
        return;
    }
    if (d->first_key == 0) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    last = d->last_key < 0 ? argc + d->last_key : d->last_key;
    for (int i = d->first_key; i <= last && i < argc; i += d->key_step)
        n++;
    reply_array_len(c, n);
    for (int i = d->first_key; i <= last && i < argc; i += d->key_step)
        reply_bulk(c, c->argv[2 + i].p, c->argv[2 + i].len);
}

/* COMMAND COUNT */
static void command_count(struct client *c)
{
    reply_int(c, cmd_table_len);
}

/* COMMAND LIST: every command's name. */
static void command_list(struct client *c)
{
    reply_array_len(c, cmd_table_len);
    for (int i = 0; i < cmd_table_len; i++)
        reply_bulk_cstr(c, cmd_table[i].name);
}

/* COMMAND INFO [name ...]: the entries of the commands named (nil for an unknown one),
 * or of every command; COMMAND alone too. */
static void command_info(struct client *c)
{
    if (c->argc <= 2) {
        reply_array_len(c, cmd_table_len);
        for (int i = 0; i < cmd_table_len; i++)
            cmd_reply_info(c, &cmd_table[i]);
        return;
    }
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const struct cmd_def *d = cmd_lookup(c->argv[i].p, c->argv[i].len);

        if (d)
            cmd_reply_info(c, d);
        else
            reply_null_array(c);
    }
}

/* COMMAND DOCS [name ...]: the docs of the commands named (an unknown one is left out),
 * or of every command. */
static void command_docs(struct client *c)
{
    int n = 0;

    if (c->argc == 2) {
        reply_map_len(c, cmd_table_len);
        for (int i = 0; i < cmd_table_len; i++)
            cmd_reply_docs(c, &cmd_table[i]);
        return;
    }
    for (int i = 2; i < c->argc; i++)
        n += cmd_lookup(c->argv[i].p, c->argv[i].len) != NULL;
    reply_map_len(c, n);
    for (int i = 2; i < c->argc; i++) {
        const struct cmd_def *d = cmd_lookup(c->argv[i].p, c->argv[i].len);

        if (d)
            cmd_reply_docs(c, d);
    }
}

static const struct cmd_sub command_subs[] = {
    {"count", 2, command_count}, {"list", 2, command_list},         {"info", -2, command_info},
    {"docs", -2, command_docs},  {"getkeys", -3, command_getkeys},
};

/* COMMAND [COUNT | LIST | INFO [name ...] | DOCS [name ...] | GETKEYS command [arg ...]] */
void cmd_command(struct client *c)
{
    if (c->argc == 1)
        command_info(c);
    else
        cmd_dispatch_sub(c, "command", command_subs, OMK_ARRAY_LEN(command_subs), 0);
}

/* ---- CONFIG ---- */

/* CONFIG GET callback: one name/value pair into the deferred map. */
static void config_get_cb(const char *name, const char *value, size_t vlen, void *arg)
{
    struct client *c = arg;

    reply_bulk_cstr(c, name);
    reply_bulk(c, value, vlen);
}

/* CONFIG SET's pairs, split into the two arrays cfg_set_many() takes. */
static int config_set_pairs(struct client *c, char *err, size_t errlen)
{
    size_t n = (size_t)(c->argc - 2) / 2;
    struct omk_slice *names = omk_malloc(2 * n * sizeof(*names)), *values = names + n;
    int rc;

    for (size_t i = 0; i < n; i++) {
        names[i] = c->argv[2 + 2 * i];
        values[i] = c->argv[3 + 2 * i];
    }
    rc = cfg_set_many(&server.cfg, n, names, values, err, errlen);
    omk_free(names);
    return rc;
}

/* CONFIG GET pattern [pattern ...]: the matching options and their values, as a map. */
static void config_get(struct client *c)
{
    size_t n;

    reply_deferred_begin(c);
    n = cfg_get_many(&server.cfg, (size_t)c->argc - 2, &c->argv[2], config_get_cb, c);
    reply_deferred_end_map(c, (long long)n);
}

/* CONFIG SET name value [name value ...]: all of them or none (cfg_set_many). A name
 * without its value is Redis' syntax error. */
static void config_set(struct client *c)
{
    char err[512];

    if (c->argc % 2 != 0) {
        reply_err_syntax(c);
        return;
    }
    if (config_set_pairs(c, err, sizeof(err)) != 0)
        reply_error_fmt(c, "ERR %s", err);
    else
        reply_ok(c);
}

/* CONFIG RESETSTAT: zero INFO's counters. */
static void config_resetstat(struct client *c)
{
    server_reset_stats();
    reply_ok(c);
}

static const struct cmd_sub config_subs[] = {
    {"get", -3, config_get},
    {"set", -4, config_set},
    {"resetstat", 2, config_resetstat},
};

/* CONFIG GET | SET | RESETSTAT ... */
void cmd_config(struct client *c)
{
    cmd_dispatch_sub(c, "config", config_subs, OMK_ARRAY_LEN(config_subs), 0);
}

/* SAVE: write a checkpoint of every database now (see store_save). */
void cmd_save(struct client *c)
{
    char path[4096];
    int rc = store_save(server.store, path, sizeof(path));

    if (rc == STORE_ERR_BUSY)
        reply_error(c, "ERR Background save already in progress");
    else if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_ok(c);
}

/* BGSAVE [SCHEDULE]: the same in the background. */
void cmd_bgsave(struct client *c)
{
    int rc;

    if (c->argc > 2 || (c->argc == 2 && !cmd_arg_is(c, 1, "schedule"))) {
        reply_err_syntax(c);
        return;
    }
    rc = store_bgsave(server.store);
    if (rc == STORE_ERR_BUSY)
        reply_error(c, "ERR Background save already in progress");
    else if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_simple(c, "Background saving started");
}

/* LASTSAVE: Unix time of the last successful save. */
void cmd_lastsave(struct client *c)
{
    reply_int(c, store_last_save_ms(server.store) / 1000);
}

/* TIME: [unix seconds, microseconds] as bulk strings. */
void cmd_time(struct client *c)
{
    int64_t us = omk_now_us();

    reply_array_len(c, 2);
    reply_bulk_ll(c, us / 1000000);
    reply_bulk_ll(c, us % 1000000);
}

/* SWAPDB index1 index2: refused. A RocksDB key starts with its database number, so a
 * swap would rewrite both databases whole; omenkv says so rather than pretend. */
void cmd_swapdb(struct client *c)
{
    reply_error(c, "ERR SWAPDB is not supported by omenkv");
}

/* ---- DEBUG ---- */

/* Whether enable-debug-command lets 'c' run DEBUG: "yes" always, "local" only from the
 * loopback address (Redis' islocalClient: 127.0.0.1 or ::1 exactly). */
static int debug_allowed(const struct client *c)
{
    const char *colon;
    size_t iplen;

    switch (atomic_load(&server.cfg.enable_debug_command)) {
    case CFG_DEBUG_YES:
        return 1;
    case CFG_DEBUG_LOCAL:
        colon = strrchr(c->addr, ':'); /* addr is "ip:port" */
        iplen = colon ? (size_t)(colon - c->addr) : 0;
        return (iplen == 9 && !memcmp(c->addr, "127.0.0.1", 9)) ||
               (iplen == 3 && !memcmp(c->addr, "::1", 3));
    default:
        return 0;
    }
}

#define DEBUG_SLEEP_SLICE_US 20000 /* DEBUG SLEEP checks for a shutdown this often */

/* Sleep this thread for 'sec' seconds (not positive: not at all), in slices of
 * DEBUG_SLEEP_SLICE_US, and stop early once the server is shutting down: shutdown joins
 * every worker, so a worker asleep for hours (DEBUG SLEEP inf) would hold SIGTERM up
 * for as long. */
static void debug_sleep_for(long double sec)
{
    int64_t end_us, now_us;

    if (!(sec > 0))
        return;
    if (sec > 1e9L)
        sec = 1e9L; /* some thirty years: enough, and no overflow below */
    end_us = omk_mono_us() + (int64_t)(sec * 1e6L);
    while (!atomic_load(&server.shutting_down) && (now_us = omk_mono_us()) < end_us) {
        int64_t left = end_us - now_us < DEBUG_SLEEP_SLICE_US ? end_us - now_us
                                                               : DEBUG_SLEEP_SLICE_US;
        struct timespec t = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000};

        nanosleep(&t, NULL); /* EINTR: the loop goes on */
    }
}

/* DEBUG HELP */
static void debug_help(struct client *c)
{
    static const char *const help[] = {
        "CHECK",
        "    Run the store's self-check: the key index, the value cache, the key counters",
        "    and RocksDB agree. Waits for every command in flight.",
        "JMAP",
        "    Does nothing; kept for clients that call it.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the client's worker thread for <seconds>. Decimals allowed.",
    };

    cmd_reply_help(c, "DEBUG", help, OMK_ARRAY_LEN(help));
}

/* DEBUG CHECK (omenkv's): store_check(), which walks RocksDB and the index. +OK, or an
 * error naming the first disagreement. */
static void debug_check(struct client *c)
{
    char err[256];
    int rc = store_check(server.store, err, sizeof(err));

    if (rc == STORE_OK)
        reply_ok(c);
    else if (rc == STORE_ERR_VALUE)
        reply_error_fmt(c, "ERR store check failed: %s", err);
    else
        reply_err_store(c, rc);
}

/* DEBUG JMAP: does nothing. */
static void debug_jmap(struct client *c)
{
    reply_ok(c);
}

/* DEBUG SLEEP seconds: blocks the worker thread that runs it (the clients of other
 * workers go on) until the time is up or the server shuts down. The number is parsed strictly, where Redis' strtod takes garbage as 0. */
static void debug_sleep(struct client *c)
{
    long double sec;

    if (!omk_str2ld(c->argv[2].p, c->argv[2].len, &sec)) {
        reply_error(c, "ERR value is not a valid float");
        return;
    }
    debug_sleep_for(sec);
    reply_ok(c);
}

/* DEBUG SET-ACTIVE-EXPIRE 0|1: pause or resume the store's active expiry. The number is
 * parsed strictly, where Redis' atoi takes garbage as 0. */
static void debug_set_active_expire(struct client *c)
{
    long long on;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &on)) {
        reply_err_not_int(c);
        return;
    }
    store_expire_set_active(server.store, on != 0);
    reply_ok(c);
}

static const struct cmd_sub debug_subs[] = {
    {"help", 2, debug_help},
    {"check", 2, debug_check},
    {"jmap", 2, debug_jmap},
    {"sleep", 3, debug_sleep},
    {"set-active-expire", 3, debug_set_active_expire},
};

/* DEBUG SLEEP | SET-ACTIVE-EXPIRE | CHECK | JMAP | HELP ..., when enable-debug-command allows it.
 * An unknown subcommand and a wrong arity get Redis' one DEBUG error. */
void cmd_debug(struct client *c)
{
    if (!debug_allowed(c)) {
        reply_error(c, "ERR DEBUG command not allowed. If the enable-debug-command option is "
                       "set to \"local\", you can run it from a local connection, otherwise you "
                       "need to set this option in the configuration file, and then restart the "
                       "server.");
        return;
    }
    cmd_dispatch_sub(c, "debug", debug_subs, OMK_ARRAY_LEN(debug_subs), CMD_SUB_ONE_ERROR);
}
