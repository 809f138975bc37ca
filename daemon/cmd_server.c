/* cmd_server.c - the commands of Redis' "server" group: DBSIZE FLUSHDB FLUSHALL SHUTDOWN
 * INFO COMMAND CONFIG SAVE BGSAVE LASTSAVE TIME SWAPDB DEBUG MONITOR LATENCY MEMORY. INFO's text is built by
 * info.c; COMMAND reads the command table; CONFIG hands its work to cfg.c; DEBUG runs only
 * when enable-debug-command allows it, as in Redis 7. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/cfg_rewrite.h"
#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "daemon/conn.h"
#include "daemon/digest.h"
#include "daemon/info.h"
#include "daemon/latency.h"
#include "daemon/log.h"
#include "daemon/memory.h"
#include "daemon/monitor.h"
#include "daemon/multi.h"
#include "daemon/reply.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "daemon/slowlog.h"
#include "daemon/tracking.h"
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
    if (rc < 0) {
        reply_err_store(c, rc);
        return;
    }
    tracking_flushed_by_command(); /* as Redis, an empty database's flush too */
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
    if (script_running()) {
        /* A script holds the exec lock and its worker: only NOSAVE ends the server then,
         * at once, without writing the script's batch (all of it or none reaches the
         * log), as Redis exits without the script's effects. */
        if (!nosave) {
            script_reply_busy(c);
            return;
        }
        omk_log(OMK_LOG_WARNING, "User requested shutdown... (NOSAVE, a script is running)");
        if (server.cfg.pidfile && server.cfg.pidfile[0])
            unlink(server.cfg.pidfile);
        omk_log(OMK_LOG_WARNING, "Redis is now ready to exit, bye bye...");
        _exit(0);
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

/* Reply the space-separated words of 'list' as a set of status strings ('bulk': of
 * bulk strings). */
static void reply_word_set(struct client *c, const char *list, int bulk)
{
    const char *p = list;
    long long n = 0;

    while (*p) {
        size_t wl = strcspn(p, " ");

        n += wl > 0;
        p += wl;
        p += strspn(p, " ");
    }
    reply_set_len(c, n);
    for (p = list; *p;) {
        size_t wl = strcspn(p, " ");

        char word[128];

        if (wl > 0 && bulk) {
            reply_bulk(c, p, wl);
        } else if (wl > 0) {
            OMK_ASSERT(wl < sizeof(word)); /* flag and category names are short */
            memcpy(word, p, wl);
            word[wl] = '\0';
            reply_simple(c, word);
        }
        p += wl;
        p += strspn(p, " ");
    }
}

/* One key specification, as the map Redis' COMMAND INFO shows. */
static void reply_keyspec(struct client *c, const struct cmd_keyspec *ks)
{
    reply_map_len(c, ks->notes ? 4 : 3);
    if (ks->notes) {
        reply_bulk_cstr(c, "notes");
        reply_bulk_cstr(c, ks->notes);
    }
    reply_bulk_cstr(c, "flags");
    reply_word_set(c, ks->flags, 0);
    reply_bulk_cstr(c, "begin_search");
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "type");
    if (ks->begin == CMD_KS_BEGIN_INDEX) {
        reply_bulk_cstr(c, "index");
        reply_bulk_cstr(c, "spec");
        reply_map_len(c, 1);
        reply_bulk_cstr(c, "index");
        reply_int(c, ks->begin_pos);
    } else if (ks->begin == CMD_KS_BEGIN_KEYWORD) {
        reply_bulk_cstr(c, "keyword");
        reply_bulk_cstr(c, "spec");
        reply_map_len(c, 2);
        reply_bulk_cstr(c, "keyword");
        reply_bulk_cstr(c, ks->keyword);
        reply_bulk_cstr(c, "startfrom");
        reply_int(c, ks->begin_pos);
    } else {
        reply_bulk_cstr(c, "unknown");
        reply_bulk_cstr(c, "spec");
        reply_map_len(c, 0);
    }
    reply_bulk_cstr(c, "find_keys");
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "type");
    if (ks->find == CMD_KS_FIND_UNKNOWN) {
        reply_bulk_cstr(c, "unknown");
        reply_bulk_cstr(c, "spec");
        reply_map_len(c, 0);
        return;
    }
    reply_bulk_cstr(c, ks->find == CMD_KS_FIND_RANGE ? "range" : "keynum");
    reply_bulk_cstr(c, "spec");
    reply_map_len(c, 3);
    reply_bulk_cstr(c, ks->find == CMD_KS_FIND_RANGE ? "lastkey" : "keynumidx");
    reply_int(c, ks->a);
    reply_bulk_cstr(c, ks->find == CMD_KS_FIND_RANGE ? "keystep" : "firstkey");
    reply_int(c, ks->b);
    reply_bulk_cstr(c, ks->find == CMD_KS_FIND_RANGE ? "limit" : "keystep");
    reply_int(c, ks->c);
}

/* One COMMAND INFO entry in Redis 7's 10-element shape, from row 'm': name, arity,
 * flags, first/last/step, ACL categories, tips, key specs, and the entries of its
 * subcommands (an array; an empty set when it has none, as Redis replies). */
static void cmd_reply_info(struct client *c, const struct cmd_meta *m)
{
    size_t nsubs = 0;
    const struct cmd_meta *subs = strchr(m->name, '|') ? NULL : cmd_meta_subs(m, &nsubs);

    reply_array_len(c, 10);
    reply_bulk_cstr(c, m->name);
    reply_int(c, m->arity);
    reply_word_set(c, m->flags, 0);
    reply_int(c, m->first_key);
    reply_int(c, m->last_key);
    reply_int(c, m->key_step);
    reply_word_set(c, m->acl, 0);
    reply_word_set(c, m->tips, 1);
    reply_set_len(c, m->nspecs);
    for (int i = 0; i < m->nspecs; i++)
        reply_keyspec(c, &m->specs[i]);
    if (nsubs == 0) {
        reply_set_len(c, 0);
        return;
    }
    reply_array_len(c, (long long)nsubs);
    for (size_t i = 0; i < nsubs; i++)
        cmd_reply_info(c, &subs[i]);
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

/* The row COMMAND GETKEYS and COMMAND INFO mean by the 'n' words at 'argv', as Redis'
 * lookupCommand finds it: a container followed by a word names that subcommand (NULL
 * if it has no such one); otherwise the command itself. */
static const struct cmd_meta *command_find(const struct omk_slice *argv, int n)
{
    const struct cmd_def *d = cmd_lookup(argv[0].p, argv[0].len);
    const struct cmd_meta *m = d ? cmd_meta_of(d) : NULL;
    size_t nsubs;
    const struct cmd_meta *subs;

    if (!m || n < 2)
        return m;
    subs = cmd_meta_subs(m, &nsubs);
    if (nsubs == 0)
        return m;
    for (size_t i = 0; i < nsubs; i++) {
        const char *sub = strchr(subs[i].name, '|') + 1;

        if (strlen(sub) == argv[1].len && !strncasecmp(sub, argv[1].p, argv[1].len))
            return &subs[i];
    }
    return NULL;
}

/* COMMAND GETKEYS / GETKEYSANDFLAGS ('with_flags') command [arg ...]: the key arguments,
 * found as Redis finds them (cmd_meta_getkeys), in Redis' order of checks. */
static void command_getkeys_generic(struct client *c, int with_flags)
{
    const struct omk_slice *argv = &c->argv[2];
    int argc = c->argc - 2, n;
    const struct cmd_meta *m = command_find(argv, argc);
    struct cmd_keyref *keys;

    if (!m) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!cmd_meta_has_keys(m)) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    if (!cmd_arity_ok(m->arity, argc)) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    keys = omk_malloc(3 * (size_t)argc * sizeof(*keys));
    n = cmd_meta_getkeys(m, argc, argv, keys, 3 * argc);
    if (n == 0 && !cmd_meta_list_has(m->flags, "no_mandatory_keys", 17)) {
        reply_error(c, "ERR Invalid arguments specified for command");
    } else {
        reply_array_len(c, n);
        for (int i = 0; i < n; i++) {
            if (with_flags)
                reply_array_len(c, 2);
            reply_bulk(c, argv[keys[i].pos].p, argv[keys[i].pos].len);
            if (with_flags)
                reply_word_set(c, keys[i].flags, 0);
        }
    }
    omk_free(keys);
}

static void command_getkeys(struct client *c)
{
    command_getkeys_generic(c, 0);
}

static void command_getkeysandflags(struct client *c)
{
    command_getkeys_generic(c, 1);
}

/* COMMAND COUNT */
static void command_count(struct client *c)
{
    reply_int(c, cmd_table_len);
}

/* Whether COMMAND LIST's filter ('kind': 'm'odule, 'a'clcat, 'p'attern; 0: none, with
 * argument 'arg') keeps row 'm'. omenkv has no modules, so a module filter keeps none;
 * an ACL category is named without its '@', in any case. */
static int command_list_keeps(const struct cmd_meta *m, int kind, const struct omk_slice *arg)
{
    char cat[64];

    switch (kind) {
    case 'm':
        return 0;
    case 'a':
        if (arg->len + 1 >= sizeof(cat))
            return 0;
        cat[0] = '@';
        memcpy(cat + 1, arg->p, arg->len);
        return cmd_meta_list_has(m->acl, cat, arg->len + 1);
    case 'p':
        return omk_glob_match(arg->p, arg->len, m->name, strlen(m->name), 1);
    default:
        return 1;
    }
}

/* COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: the names of
 * every command and subcommand ("config|get") the filter keeps; the last FILTERBY
 * given counts, as in Redis. */
static void command_list(struct client *c)
{
    int kind = 0;
    const struct omk_slice *arg = NULL;
    long long n = 0;

    for (int i = 2; i < c->argc; i++) {
        if (!cmd_arg_is(c, i, "filterby") || c->argc - 1 - i != 2) {
            reply_err_syntax(c);
            return;
        }
        if (cmd_arg_is(c, i + 1, "module"))
            kind = 'm';
        else if (cmd_arg_is(c, i + 1, "aclcat"))
            kind = 'a';
        else if (cmd_arg_is(c, i + 1, "pattern"))
            kind = 'p';
        else {
            reply_err_syntax(c);
            return;
        }
        arg = &c->argv[i + 2];
        i += 2;
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            reply_array_len(c, n);
        for (int i = 0; i < cmd_table_len; i++) {
            const struct cmd_meta *m = cmd_meta_of(&cmd_table[i]), *subs;
            size_t nsubs;

            subs = cmd_meta_subs(m, &nsubs);
            for (size_t k = 0; k <= nsubs; k++) {
                const struct cmd_meta *row = k == 0 ? m : &subs[k - 1];

                if (!command_list_keeps(row, kind, arg))
                    continue;
                if (pass == 0)
                    n++;
                else
                    reply_bulk_cstr(c, row->name);
            }
        }
    }
}

/* COMMAND INFO [name ...]: the entries of the commands named ("config|get" names a
 * subcommand; nil for an unknown one), or of every command; COMMAND alone too. */
static void command_info(struct client *c)
{
    if (c->argc <= 2) {
        reply_array_len(c, cmd_table_len);
        for (int i = 0; i < cmd_table_len; i++)
            cmd_reply_info(c, cmd_meta_of(&cmd_table[i]));
        return;
    }
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const char *bar = memchr(c->argv[i].p, '|', c->argv[i].len);
        const struct cmd_def *d = cmd_lookup(c->argv[i].p, bar ? (size_t)(bar - c->argv[i].p)
                                                                : c->argv[i].len);
        const struct cmd_meta *m = d ? cmd_meta_lookup(c->argv[i].p, c->argv[i].len) : NULL;

        if (m)
            cmd_reply_info(c, m);
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

/* COMMAND HELP */
static void command_help(struct client *c)
{
    static const char *const help[] = {
        "(no subcommand)",
        "    Describe every command the server knows.",
        "COUNT",
        "    How many commands there are.",
        "DOCS [<command-name> ...]",
        "    A summary of the named commands, or of all of them.",
        "GETKEYS <full-command>",
        "    The key arguments of a full command line.",
        "GETKEYSANDFLAGS <full-command>",
        "    The key arguments of a full command line, each with its access flags.",
        "INFO [<command-name> ...]",
        "    The details of the named commands, or of all of them.",
        "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
        "    The names of the commands, optionally filtered by module, ACL category or",
        "    name pattern.",
    };

    cmd_reply_help(c, "COMMAND", help, OMK_ARRAY_LEN(help));
}

static const struct cmd_sub command_subs[] = {
    {"count", 2, command_count},
    {"list", -2, command_list},
    {"info", -2, command_info},
    {"docs", -2, command_docs},
    {"getkeys", -4, command_getkeys},
    {"getkeysandflags", -4, command_getkeysandflags},
    {"help", 2, command_help},
};

/* COMMAND [COUNT | LIST ... | INFO [name ...] | DOCS [name ...] | GETKEYS command [arg ...]
 * | GETKEYSANDFLAGS command [arg ...] | HELP] */
void cmd_command(struct client *c)
{
    if (c->argc == 1)
        command_info(c);
    else
        cmd_dispatch_sub(c, "command", command_subs, OMK_ARRAY_LEN(command_subs), 0);
}

/* SLOWLOG GET [count] | LEN | RESET | HELP (daemon/slowlog.c). */
void cmd_slowlog(struct client *c)
{
    slowlog_command(c);
}

/* LATENCY LATEST | HISTORY | RESET | HISTOGRAM | DOCTOR | GRAPH | HELP (daemon/latency.c). */
void cmd_latency(struct client *c)
{
    latency_command(c);
}

/* MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP (daemon/memory.c). */
void cmd_memory(struct client *c)
{
    memory_command(c);
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

/* CONFIG REWRITE: write the options' values into the config file the server started
 * with (cfg_rewrite.c), or Redis' error when it started without one. */
static void config_rewrite(struct client *c)
{
    const char *path = server.cfg.configfile;

    if (!path) {
        reply_error(c, "ERR The server is running without a config file");
        return;
    }
    if (cfg_rewrite_file(&server.cfg, path) != 0) {
        int e = errno;

        omk_log(OMK_LOG_WARNING, "CONFIG-REWRITE failed: %s", strerror(e));
        reply_error_fmt(c, "ERR Rewriting config file: %s", strerror(e));
        return;
    }
    omk_log(OMK_LOG_NOTICE, "CONFIG REWRITE executed with success.");
    reply_ok(c);
}

static const struct cmd_sub config_subs[] = {
    {"get", -3, config_get},
    {"set", -4, config_set},
    {"resetstat", 2, config_resetstat},
    {"rewrite", 2, config_rewrite},
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

/* SWAPDB's database argument 'i' into '*v' as Redis reads it (an int): 1, or 0 after
 * replying Redis' error naming it 'which' ("first", "second"). */
static int swapdb_index_or_reply(struct client *c, int i, const char *which, long long *v)
{
    if (!omk_str2ll(c->argv[i].p, c->argv[i].len, v) || *v < INT_MIN || *v > INT_MAX) {
        reply_error_fmt(c, "ERR invalid %s DB index", which);
        return 0;
    }
    return 1;
}

/* SWAPDB index1 index2: exchange two databases' contents, as Redis does, in O(1) through
 * the store's database map (store_swapdb). Runs with every exec lane held (CMD_EXCLUSIVE),
 * so no command of any client sees a half-done swap; then, as Redis 7.0 does, a WATCH of
 * a key existing in either database fails its EXEC, and clients parked on keys of either
 * are served if their keys now hold something (they stay parked otherwise). */
void cmd_swapdb(struct client *c)
{
    long long a, b;
    int rc;

    if (!swapdb_index_or_reply(c, 1, "first", &a) || !swapdb_index_or_reply(c, 2, "second", &b))
        return;
    if (a < 0 || a >= server.cfg.databases || b < 0 || b >= server.cfg.databases) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    rc = store_swapdb(server.store, (int)a, (int)b);
    if (rc != STORE_OK) {
        reply_err_store(c, rc);
        return;
    }
    if (a != b) {
        multi_swapped((int)a, (int)b);
        blocking_touched((int)a, NULL, 0);
        blocking_touched((int)b, NULL, 0);
    }
    reply_ok(c);
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
        "COMPACT",
        "    omenkv: compact all of RocksDB's files now and wait for it, so that the space",
        "    of deleted and expired keys comes back. Stops the client's worker meanwhile.",
        "DIGEST",
        "    Output a hex signature of the whole dataset: keys, values and expiries.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the value of each key.",
        "JMAP",
        "    Does nothing; kept for clients that call it.",
        "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
        "    Empty the key index and the value cache and build them again from disk.",
        "    The options are accepted: every write is on disk already.",
        "SHIFT-ACCESS-CLOCK <seconds>",
        "    omenkv: move the clock that OBJECT IDLETIME and FREQ keep time by forward",
        "    (negative: back) by <seconds>, for tests.",
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

/* DEBUG COMPACT (omenkv's): a full compaction of every column family (store_compact),
 * waited for; the space of deleted keys, dead collections and expired payloads comes
 * back (bench/sustained-writes measures it). The worker that runs it serves nobody
 * meanwhile, as under DEBUG RELOAD. */
static void debug_compact(struct client *c)
{
    store_compact(server.store);
    reply_ok(c);
}

/* DEBUG RELOAD [MERGE | NOFLUSH | NOSAVE ...]: rebuild the index and the cache from
 * RocksDB (store_reload). Redis saves an RDB and loads it back; every write of omenkv is
 * in RocksDB already, so the options change nothing and are only checked. */
static void debug_reload(struct client *c)
{
    char err[256];
    int rc;

    for (int j = 2; j < c->argc; j++) {
        if (!cmd_arg_is(c, j, "merge") && !cmd_arg_is(c, j, "noflush") &&
            !cmd_arg_is(c, j, "nosave")) {
            reply_error(c, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE "
                           "options.");
            return;
        }
    }
    multi_cmd_lock(c); /* no EXEC of another client in the middle */
    rc = store_reload(server.store, err, sizeof(err));
    multi_cmd_unlock(c);
    if (rc != STORE_OK) {
        omk_log(OMK_LOG_WARNING, "DEBUG RELOAD failed: %s", err);
        reply_err_store(c, rc);
        return;
    }
    omk_log(OMK_LOG_NOTICE, "DB reloaded by DEBUG RELOAD");
    reply_ok(c);
}

/* DEBUG DIGEST: the dataset's digest (digest.c) as a status reply, as Redis sends it. */
static void debug_digest(struct client *c)
{
    char hex[DIGEST_HEX_LEN + 1];
    int rc = digest_dataset(c, hex);

    if (rc < 0)
        reply_err_store(c, rc);
    else
        reply_simple(c, hex);
}

/* DEBUG DIGEST-VALUE [key ...]: one status reply per key, the digest of its value. */
static void debug_digest_value(struct client *c)
{
    char (*hex)[DIGEST_HEX_LEN + 1] = omk_malloc((size_t)c->argc * sizeof(*hex));

    for (int j = 2; j < c->argc; j++) {
        int rc = digest_value(c, c->argv[j], hex[j]);

        if (rc < 0) {
            reply_err_store(c, rc);
            omk_free(hex);
            return;
        }
    }
    reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        reply_simple(c, hex[j]);
    omk_free(hex);
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

/* DEBUG SHIFT-ACCESS-CLOCK seconds (omenkv's, for tests): keys' access clocks run that
 * much ahead from now on (store_access_shift), so idle times and LFU decay show without
 * waiting. */
static void debug_shift_access_clock(struct client *c)
{
    long long sec;

    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &sec) || sec > INT32_MAX ||
        sec < -(long long)INT32_MAX) {
        reply_err_not_int(c);
        return;
    }
    store_access_shift(server.store, (int64_t)sec * 1000);
    reply_ok(c);
}

static const struct cmd_sub debug_subs[] = {
    {"help", 2, debug_help},
    {"check", 2, debug_check},
    {"compact", 2, debug_compact},
    {"jmap", 2, debug_jmap},
    {"reload", -2, debug_reload},
    {"digest", 2, debug_digest},
    {"digest-value", -2, debug_digest_value},
    {"sleep", 3, debug_sleep},
    {"set-active-expire", 3, debug_set_active_expire},
    {"shift-access-clock", 3, debug_shift_access_clock},
};

/* DEBUG SLEEP | SET-ACTIVE-EXPIRE | CHECK | COMPACT | JMAP | RELOAD | DIGEST | DIGEST-VALUE |
 * SHIFT-ACCESS-CLOCK | HELP ..., when enable-debug-command allows it.
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

/* MONITOR: from now on this client is sent a line for every command any client runs
 * (monitor.c). Refused inside EXEC, as Redis refuses it to a client that must get one
 * reply per command; a second MONITOR is ignored without a reply, as in Redis. */
void cmd_monitor(struct client *c)
{
    if (c->flags & CLIENT_DENY_BLOCKING) {
        reply_error(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if (c->flags & CLIENT_MONITOR)
        return;
    monitor_start(c);
    reply_ok(c);
}

/* ACL <subcommand> ...: users, their rules, the ACL LOG and the aclfile; the parsing
 * and the replies live with the user store in acl.c. */
void cmd_acl(struct client *c)
{
    acl_command(c);
}
