/* cmd.c - the command table built from commands.def, name lookup, subcommand dispatch,
 * and cmd_execute(): the one place that checks what every command needs checked
 * (unknown name, arity, authentication, no-multi), queues it inside MULTI, holds the
 * worker's exec lane around keyed commands, counts it in the worker's statistics, and
 * then serves the clients parked on the keys it made ready. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "daemon/slowlog.h"
#include "daemon/conn.h"
#include "daemon/function.h"
#include "daemon/latency.h"
#include "daemon/monitor.h"
#include "daemon/multi.h"
#include "daemon/notify.h"
#include "daemon/pubsub.h"
#include "daemon/reply.h"
#include "daemon/script.h"
#include "daemon/server.h"
#include "daemon/tracking.h"
#include "store/store.h"

const struct cmd_def cmd_table[] = {
#define OMK_CMD(name, arity, flags, first, last, step, proc, group, since, summary) \
    {name, arity, flags, first, last, step, proc, group, summary, since},
#include "daemon/commands.def"
#undef OMK_CMD
};
const int cmd_table_len = (int)OMK_ARRAY_LEN(cmd_table);
_Static_assert(OMK_ARRAY_LEN(cmd_table) == CMD_COUNT, "CMD_COUNT counts the table's rows");

#define CMD_NAME_MAX 32
#define CMD_HASH_SIZE 512 /* power of two, at least twice the number of commands */

static short cmd_hash[CMD_HASH_SIZE]; /* index + 1 into cmd_table; 0 empty. Read-only after init */

static unsigned cmd_name_hash(const char *lower, size_t len)
{
    return (unsigned)omk_hash(lower, len) & (CMD_HASH_SIZE - 1);
}

void cmd_init(void)
{
    const struct cmd_def *exec;

    OMK_ASSERT(cmd_table_len < CMD_HASH_SIZE / 2);
    memset(cmd_hash, 0, sizeof(cmd_hash));
    for (int i = 0; i < cmd_table_len; i++) {
        const char *name = cmd_table[i].name;
        unsigned h = cmd_name_hash(name, strlen(name));

        OMK_ASSERT(strlen(name) < CMD_NAME_MAX);
        while (cmd_hash[h])
            h = (h + 1) & (CMD_HASH_SIZE - 1);
        cmd_hash[h] = (short)(i + 1);
    }
    /* cmd_execute read-locks an exec lane around READONLY and WRITE commands, and EXEC
     * write-locks every lane: flagged either way, EXEC would wait on its own lane. */
    exec = cmd_lookup("exec", 4);
    OMK_ASSERT(exec && exec->proc == cmd_exec && !(exec->flags & (CMD_WRITE | CMD_READONLY)));
    cmd_meta_init();
    script_init(); /* reads the rows' Redis flags (noscript, allow_busy) */
    function_init(); /* the libraries kept in the store (opened before) */
}

const struct cmd_def *cmd_lookup(const char *name, size_t len)
{
    char lower[CMD_NAME_MAX];
    unsigned h;

    if (len == 0 || len >= CMD_NAME_MAX)
        return NULL;
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    h = cmd_name_hash(lower, len);
    while (cmd_hash[h]) {
        const struct cmd_def *d = &cmd_table[cmd_hash[h] - 1];

        if (strlen(d->name) == len && memcmp(d->name, lower, len) == 0)
            return d;
        h = (h + 1) & (CMD_HASH_SIZE - 1);
    }
    return NULL;
}

int cmd_numkeys_index(const struct cmd_def *d)
{
    OMK_ASSERT(d->flags & CMD_MOVABLEKEYS);
    if (d->first_key > 0)
        return d->last_key + 1;
    return d->flags & (CMD_BLOCKING | CMD_SCRIPTING) ? 2 : 1; /* BLMPOP, BZMPOP: after the
                                                                * timeout; EVAL: the script */
}

int cmd_arity_ok(int arity, int argc)
{
    return arity > 0 ? argc == arity : argc >= -arity;
}

/* Copy 'cmd' upper-cased into 'out' ('len' bytes, NUL-terminated): "Try CLIENT HELP." */
static void cmd_upper(char *out, size_t len, const char *cmd)
{
    size_t i;

    for (i = 0; cmd[i] && i + 1 < len; i++)
        out[i] = (char)toupper((unsigned char)cmd[i]);
    out[i] = '\0';
}

/* Reply the refusal of subcommand argv[1] of 'cmd' (lower case): with 'flags'
 * CMD_SUB_ONE_ERROR, Redis' addReplySubcommandSyntaxError text; otherwise, for an unknown
 * one ('sub' NULL), "unknown subcommand 'x'. Try CMD HELP.", and for a known one of the
 * wrong arity, "wrong number of arguments for 'cmd|sub' command", as processCommand
 * words them. */
static void cmd_reply_sub_refused(struct client *c, const char *cmd, const struct cmd_sub *sub,
                                  int flags)
{
    char upper[CMD_NAME_MAX];

    cmd_upper(upper, sizeof(upper), cmd);
    if (flags & CMD_SUB_ONE_ERROR)
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try %s HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p, upper);
    else if (sub)
        reply_error_fmt(c, "ERR wrong number of arguments for '%s|%s' command", cmd, sub->name);
    else
        reply_error_fmt(c, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p, upper);
}

void cmd_dispatch_sub(struct client *c, const char *cmd, const struct cmd_sub *subs, size_t n,
                      int flags)
{
    OMK_ASSERT(c->argc >= 2);
    for (size_t i = 0; i < n; i++) {
        const struct cmd_sub *s = &subs[i];

        if (!cmd_arg_is(c, 1, s->name))
            continue;
        if (!cmd_arity_ok(s->arity, c->argc)) {
            cmd_reply_sub_refused(c, cmd, s, flags);
        } else {
            atomic_store_explicit(&c->last_sub, s->name, memory_order_relaxed);
            s->proc(c);
        }
        return;
    }
    cmd_reply_sub_refused(c, cmd, NULL, flags);
}

void cmd_reply_help(struct client *c, const char *cmd, const char *const *lines, size_t n)
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

int cmd_word_is(const struct omk_slice *a, const char *w)
{
    size_t n = strlen(w);

    return a->len == n && strncasecmp(a->p, w, n) == 0;
}

int cmd_arg_is(const struct client *c, int i, const char *s)
{
    return cmd_word_is(&c->argv[i], s);
}

const char *cmd_current_name(const struct client *c)
{
    int i = atomic_load_explicit(&c->last_cmd_idx, memory_order_relaxed);

    return i >= 0 ? cmd_table[i].name : "";
}

/* Reply Redis' unknown-command error: the name, then arguments, each quoted, until their
 * text reaches REPLY_USER_TEXT_MAX bytes (Redis' loop, which may pass it by one quoted
 * argument's quotes and space); the encoder turns CR and LF into spaces. */
static void cmd_reply_unknown(struct client *c)
{
    char args[2 * REPLY_USER_TEXT_MAX];
    size_t n = 0;

    args[0] = '\0';
    for (int i = 1; i < c->argc && n < REPLY_USER_TEXT_MAX; i++) {
        size_t room = REPLY_USER_TEXT_MAX - n;
        int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
                         (int)(c->argv[i].len < room ? c->argv[i].len : room), c->argv[i].p);
        if (w < 0)
            break;
        n += (size_t)w;
        if (n >= sizeof(args))
            n = sizeof(args) - 1;
    }
    reply_error_fmt(c, "ERR unknown command '%.*s', with args beginning with: %s",
                    reply_user_len(c->argv[0].len), c->argv[0].p, args);
}

/* Reply Redis' refusal of command 'd' to a subscribed RESP2 client, naming a subcommand
 * as Redis does ('client|list'). */
static void cmd_reply_pubsub_context(struct client *c, const struct cmd_def *d)
{
    static const char *const containers[] = {"acl", "client", "cluster", "command", "config",
                                             "function", "latency", "memory", "module", "object",
                                             "pubsub", "script", "slowlog", "xgroup", "xinfo"};
    char sub[CMD_NAME_MAX] = "";

    for (size_t i = 0; i < OMK_ARRAY_LEN(containers) && c->argc >= 2; i++) {
        size_t n = c->argv[1].len < sizeof(sub) - 2 ? c->argv[1].len : sizeof(sub) - 2;

        if (strcmp(d->name, containers[i]) != 0)
            continue;
        sub[0] = '|';
        for (size_t j = 0; j < n; j++)
            sub[j + 1] = (char)tolower((unsigned char)c->argv[1].p[j]);
        sub[n + 1] = '\0';
    }
    reply_error_fmt(c, "ERR Can't execute '%s%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING "
                       "/ QUIT / RESET are allowed in this context",
                    d->name, sub);
}

/* cmd_execute() but for the CLIENT REPLY SKIP bookkeeping around it. */
static void cmd_execute_one(struct client *c)
{
    const struct cmd_def *d;
    struct cmd_stats *st;

    if (c->argc == 0)
        return;
    d = cmd_lookup(c->argv[0].p, c->argv[0].len);
    if (!d) {
        atomic_store_explicit(&c->last_cmd_idx, -1, memory_order_relaxed);
        cmd_reply_unknown(c);
        multi_abort(c);
        return;
    }
    atomic_store_explicit(&c->last_cmd_idx, (int)(d - cmd_table), memory_order_relaxed);
    st = &c->worker->stats.cmd[d - cmd_table];
    if (!(d->flags & CMD_SCRIPTING))
        multi_release_kept(); /* the lanes a worker keeps from a script serve scripts only */
    /* The stripes kept from the last write serve plain keyed commands only: anything else
     * might wait for another worker, which might wait for them (store.h). */
    store_keep_stripes(!c->multi && (d->flags & (CMD_WRITE | CMD_READONLY)) &&
                       !(d->flags & (CMD_SCRIPTING | CMD_EXCLUSIVE)));
    if (!cmd_arity_ok(d->arity, c->argc)) {
        reply_err_arity(c);
        worker_stat_add(&st->rejected, 1);
        multi_abort(c);
        return;
    }
    if (!c->authenticated && !(d->flags & CMD_NOAUTH)) {
        reply_error(c, "NOAUTH Authentication required.");
        worker_stat_add(&st->rejected, 1);
        multi_abort(c);
        return;
    }
    /* ACL: one flag test for a user allowed everything (the default user's usual
     * state); otherwise acl.c checks the command, its keys and channels, and replies
     * NOPERM. A stand-in client (blocking.c) has no user and runs as its owner did. */
    if (c->user && !acl_user_open(c->user) && !acl_check_or_reply(c, d)) {
        worker_stat_add(&st->rejected, 1);
        multi_abort(c);
        return;
    }
    if (c->proto == 2 && pubsub_subscribed(c) && !pubsub_cmd_allowed(d)) {
        cmd_reply_pubsub_context(c, d);
        worker_stat_add(&st->rejected, 1);
        return;
    }
    if (c->multi && (d->flags & CMD_NOMULTI)) {
        reply_error(c, "ERR Command not allowed inside a transaction");
        worker_stat_add(&st->rejected, 1);
        multi_abort(c);
        return;
    }
    if ((c->flags & CLIENT_MONITOR) &&
        ((d->flags & (CMD_WRITE | CMD_READONLY | CMD_MAY_REPLICATE)) ||
         (d->proc == cmd_exec && c->multi &&
          (multi_queued_flags(c) & (CMD_WRITE | CMD_READONLY | CMD_MAY_REPLICATE))))) {
        /* Redis treats a MONITOR client as a replica, which may not touch keys */
        reply_error(c, "ERR Replica can't interact with the keyspace");
        worker_stat_add(&st->rejected, 1);
        multi_abort(c);
        return;
    }
    /* A script running past busy-reply-threshold: Redis lets only its allow-busy
     * commands through (a refused one fails an open transaction, as in Redis). */
    if (script_busy() && !script_cmd_allowed_busy(c, d)) {
        script_reply_busy(c);
        worker_stat_add(&st->rejected, 1);
        multi_abort(c);
        return;
    }
    if (c->multi && !(d->flags & CMD_NOQUEUE)) {
        multi_queue(c, d);
        return;
    }
    /* Then the clients parked on keys the command made ready are served (blocking.c),
     * before its reply can leave and before c's next request runs. */
    if (d->flags & CMD_EXCLUSIVE) {
        /* no keyed command of any client in flight, as under EXEC; given up (BUSY) once a
         * script turns busy */
        if (!multi_exclusive_lock(script_busy)) {
            script_reply_busy(c);
            worker_stat_add(&st->rejected, 1);
            return;
        }
        cmd_call(c, d);
        blocking_serve_readied(c->worker);
        multi_exclusive_unlock();
    } else if ((d->flags & (CMD_WRITE | CMD_READONLY)) && !(d->flags & CMD_SCRIPTING)) {
        /* excludes a running EXEC or script of another client; the wait gives up once a
         * script turns busy, so that this worker goes on serving its loop */
        if (!multi_cmd_lock_or_give_up(c, script_busy)) {
            script_reply_busy(c);
            worker_stat_add(&st->rejected, 1);
            return;
        }
        cmd_call(c, d);
        blocking_serve_readied(c->worker);
        multi_cmd_unlock(c);
    } else {
        cmd_call(c, d); /* EXEC serves its own under every lane (multi.c) */
        if (blocking_readied_pending()) {
            multi_cmd_lock(c);
            blocking_serve_readied(c->worker);
            multi_cmd_unlock(c);
        }
    }
}

void cmd_execute(struct client *c)
{
    int idx;

    tracking_cmd_begin(c);
    cmd_execute_one(c);
    idx = atomic_load_explicit(&c->last_cmd_idx, memory_order_relaxed);
    tracking_cmd_end(c, idx >= 0 && c->argc > 0 ? &cmd_table[idx] : NULL);
    /* CLIENT REPLY SKIP drops the replies of the one command after it, as Redis' resetClient
     * moves its flags after every command, refused ones included. */
    c->flags &= ~CLIENT_REPLY_SKIP;
    if (c->flags & CLIENT_REPLY_SKIP_NEXT)
        c->flags = (c->flags & ~CLIENT_REPLY_SKIP_NEXT) | CLIENT_REPLY_SKIP;
}

void cmd_call(struct client *c, const struct cmd_def *d)
{
    struct cmd_stats *st = &c->worker->stats.cmd[d - cmd_table];
    int64_t start_us = omk_mono_us(), end_us;
    /* The outermost call marks the worker busy (a script's calls nest in its EVAL). */
    int outer = atomic_load_explicit(&c->worker->busy_since_us, memory_order_relaxed) == 0;

    if (outer)
        atomic_store_explicit(&c->worker->busy_since_us, start_us, memory_order_relaxed);

    atomic_store_explicit(&c->last_cmd_idx, (int)(d - cmd_table), memory_order_relaxed);
    atomic_store_explicit(&c->last_sub, NULL, memory_order_relaxed);
    if (atomic_load_explicit(&c->trk, memory_order_relaxed))
        tracking_before_call(c, d); /* a tracking client's keys, before they are read */
    /* Whether the command's lookups are accesses (OBJECT IDLETIME / FREQ): not OBJECT's,
     * and under CLIENT NO-TOUCH only TOUCH's (Redis 7.2). */
    store_access_set(d->proc != cmd_object &&
                     (!(c->flags & CLIENT_NO_TOUCH) || d->proc == cmd_touch));
    d->proc(c);
    if (atomic_load_explicit(&c->trk, memory_order_relaxed))
        tracking_after_call(c, d);
    notify_command_end(); /* the "new" events the handler left held */
    store_access_set(0);
    end_us = omk_mono_us(); /* one reading serves the duration and the client's idle time */
    if (outer)
        atomic_store_explicit(&c->worker->busy_since_us, 0, memory_order_relaxed);
    if (!(d->flags & CMD_SCRIPTING)) /* EVAL feeds itself first (script.c) */
        monitor_feed(c, d); /* after the command, as Redis' call(): SELECT shows its new db */
    worker_stat_add(&st->calls, 1);
    worker_stat_add(&st->usec, (uint64_t)(end_us - start_us));
    atomic_store_explicit(&c->last_us, end_us, memory_order_relaxed);
    slowlog_note(c, d, end_us - start_us);
    latency_note_command(c, d, end_us - start_us);
}

void cmd_flag_names(const struct cmd_def *d, void (*fn)(void *arg, const char *name), void *arg)
{
    static const struct {
        int flag;
        const char *name;
    } names[] = {
        {CMD_WRITE, "write"},     {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
        {CMD_ADMIN, "admin"},     {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"},
        {CMD_PUBSUB, "pubsub"},
        {CMD_LOADING, "loading"},
        {CMD_STALE, "stale"},     {CMD_FAST, "fast"},         {CMD_NOAUTH, "no_auth"},
        {CMD_MAY_REPLICATE, "may_replicate"},
        {CMD_NOMULTI, "no_multi"}, {CMD_MOVABLEKEYS, "movablekeys"},
    };

    for (size_t i = 0; i < OMK_ARRAY_LEN(names); i++)
        if (d->flags & names[i].flag)
            fn(arg, names[i].name);
}

void cmd_count_lookup(struct client *c, int hit)
{
    if (hit)
        worker_stat_add(&c->worker->stats.keyspace_hits, 1);
    else
        worker_stat_add(&c->worker->stats.keyspace_misses, 1);
}
