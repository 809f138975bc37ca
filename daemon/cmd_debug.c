/* cmd_debug.c - introspection commands: OBJECT (how a value would be held in Redis) and
 * DEBUG (the subcommands clients and test suites use: SLEEP, SET-ACTIVE-EXPIRE, JMAP).
 * DEBUG runs only when enable-debug-command allows it, as in Redis 7. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* Reply a HELP text the way Redis' addReplyHelp does: an array of status lines, a header
 * naming 'cmd', the 'n' lines, then the HELP entry. */
static void debug_reply_help(struct client *c, const char *cmd, const char *const *lines,
                             size_t n)
{
    char head[96];

    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
             cmd);
    reply_array_len(c, (long long)n + 3);
    reply_simple(c, head);
    for (size_t i = 0; i < n; i++)
        reply_simple(c, lines[i]);
    reply_simple(c, "HELP");
    reply_simple(c, "    Prints this help.");
}

/* ---- OBJECT ----------------------------------------------------------------------------- */

/* The encoding Redis would give a string value 'p'/'len' stored by SET: "int" when it
 * reads as a 64-bit integer the way string2l reads one (no sign quirks, no leading
 * zeros), "embstr" up to 44 bytes, "raw" beyond. */
static const char *debug_string_encoding(const char *p, size_t len)
{
    long long v;

    if (len <= 20 && omk_str2ll(p, len, &v))
        return "int";
    return len <= 44 ? "embstr" : "raw";
}

/* 1 if the maxmemory policy is one of the LFU ones. */
static int debug_policy_is_lfu(void)
{
    int p = atomic_load(&server.cfg.maxmemory_policy);

    return p == CFG_MAXMEMORY_VOLATILE_LFU || p == CFG_MAXMEMORY_ALLKEYS_LFU;
}

/* OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT key, OBJECT HELP. A missing key is nil.
 * omenkv tracks neither access times nor frequencies: FREQ gives Redis' error for a
 * non-LFU policy, IDLETIME an error saying it is not tracked (rather than a made-up 0).
 * REFCOUNT is 1: nothing shares a value. */
void cmd_object(struct client *c)
{
    static const char *const help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    };
    static const char *const subs[] = {"encoding", "freq", "idletime", "refcount"};
    struct store_val *v;
    const char *sub = NULL;
    int rc;

    if (cmd_arg_is(c, 1, "help")) {
        if (c->argc != 2) {
            reply_error(c, "ERR wrong number of arguments for 'object|help' command");
            return;
        }
        debug_reply_help(c, "OBJECT", help, OMK_ARRAY_LEN(help));
        return;
    }
    for (size_t i = 0; i < OMK_ARRAY_LEN(subs); i++)
        if (cmd_arg_is(c, 1, subs[i]))
            sub = subs[i];
    if (!sub) {
        cmd_reply_unknown_sub(c, "object");
        return;
    }
    if (c->argc != 3) {
        reply_error_fmt(c, "ERR wrong number of arguments for 'object|%s' command", sub);
        return;
    }
    if (!strcmp(sub, "encoding")) {
        rc = store_get(server.store, c->db, c->argv[2], &v);
        if (rc == STORE_OK) {
            reply_bulk_cstr(c, debug_string_encoding(v->data, v->len));
            store_val_release(v);
            return;
        }
    } else {
        rc = store_exists(server.store, c->db, c->argv[2]);
    }
    if (rc == STORE_NOTFOUND)
        reply_null(c);
    else if (rc < 0)
        reply_err_store(c, rc);
    else if (!strcmp(sub, "refcount"))
        reply_int(c, 1);
    else if (!strcmp(sub, "freq") && !debug_policy_is_lfu())
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. Please note that when switching between policies at runtime "
                       "LRU and LFU data will take some time to adjust.");
    else if (!strcmp(sub, "idletime") && debug_policy_is_lfu())
        reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. "
                       "Please note that when switching between policies at runtime LRU and "
                       "LFU data will take some time to adjust.");
    else
        reply_error_fmt(c, "ERR omenkv does not track key access %s",
                        !strcmp(sub, "freq") ? "frequency" : "times, idle time not available");
}

/* ---- DEBUG ------------------------------------------------------------------------------ */

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

/* Sleep this thread for 'sec' seconds (negative: not at all). */
static void debug_sleep(long double sec)
{
    struct timespec t;

    if (!(sec > 0))
        return;
    if (sec > 1e9L)
        sec = 1e9L; /* some thirty years: enough, and no overflow below */
    t.tv_sec = (time_t)sec;
    t.tv_nsec = (long)((sec - (long double)t.tv_sec) * 1e9L);
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* DEBUG SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 | JMAP | HELP.
 * SLEEP blocks the worker thread that runs it (the clients of other workers go on),
 * SET-ACTIVE-EXPIRE pauses or resumes the store's active expiry, JMAP does nothing. Both
 * numeric arguments are parsed strictly, where Redis' atoi/strtod would take garbage as 0. */
void cmd_debug(struct client *c)
{
    static const char *const help[] = {
        "JMAP",
        "    Does nothing; kept for clients that call it.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the client's worker thread for <seconds>. Decimals allowed.",
    };
    long double sec;
    long long on;

    if (!debug_allowed(c)) {
        reply_error(c, "ERR DEBUG command not allowed. If the enable-debug-command option is "
                       "set to \"local\", you can run it from a local connection, otherwise you "
                       "need to set this option in the configuration file, and then restart the "
                       "server.");
        return;
    }
    if (c->argc == 2 && cmd_arg_is(c, 1, "help")) {
        debug_reply_help(c, "DEBUG", help, OMK_ARRAY_LEN(help));
    } else if (c->argc == 2 && cmd_arg_is(c, 1, "jmap")) {
        reply_ok(c);
    } else if (c->argc == 3 && cmd_arg_is(c, 1, "sleep")) {
        if (!omk_str2ld(c->argv[2].p, c->argv[2].len, &sec)) {
            reply_error(c, "ERR value is not a valid float");
            return;
        }
        debug_sleep(sec);
        reply_ok(c);
    } else if (c->argc == 3 && cmd_arg_is(c, 1, "set-active-expire")) {
        if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &on)) {
            reply_err_not_int(c);
            return;
        }
        store_expire_set_active(server.store, on != 0);
        reply_ok(c);
    } else {
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try DEBUG HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p);
    }
}
