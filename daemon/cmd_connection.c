/* cmd_connection.c - the commands of Redis' "connection" group: PING ECHO QUIT HELLO AUTH
 * SELECT RESET CLIENT (its subcommands dispatched by cmd_dispatch_sub). Each changes or
 * reports the state of the calling connection; CLIENT LIST, INFO and KILL (clientinfo.c)
 * also reach other workers' clients, under each worker's clients_lock; CLIENT TRACKING,
 * CACHING, GETREDIR and TRACKINGINFO are tracking.c's. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "common/omk_thread.h"
#include "daemon/acl.h"
#include "daemon/blocking.h"
#include "daemon/clientinfo.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/monitor.h"
#include "daemon/multi.h"
#include "daemon/pause.h"
#include "daemon/pubsub.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "daemon/tracking.h"

/* PING [message] */
void cmd_ping(struct client *c)
{
    if (c->argc > 2) {
        reply_err_arity(c);
        return;
    }
    if (c->proto == 2 && pubsub_subscribed(c)) { /* Redis' answer in subscribed mode */
        reply_array_len(c, 2);
        reply_bulk_cstr(c, "pong");
        reply_bulk(c, c->argc == 2 ? c->argv[1].p : "", c->argc == 2 ? c->argv[1].len : 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c, c->argv[1].p, c->argv[1].len);
    else
        reply_simple(c, "PONG");
}

/* ECHO message */
void cmd_echo(struct client *c)
{
    reply_bulk(c, c->argv[1].p, c->argv[1].len);
}

/* QUIT: +OK, then close once it is written. */
void cmd_quit(struct client *c)
{
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Log 'c' in as 'user' with 'pass' (acl.c: the user's passwords, or nopass). Returns 1
 * if they authenticate; a failure is in the ACL LOG. */
static int conn_check_password(struct client *c, struct omk_slice user, struct omk_slice pass)
{
    if (acl_authenticate(c, user, pass))
        return 1;
    OMK_LOG_RATELIMITED(OMK_LOG_WARNING, "Wrong password from client id=%llu addr=%s",
                        (unsigned long long)c->id, c->addr);
    return 0;
}

static const char wrongpass[] = "WRONGPASS invalid username-password pair or user is disabled.";

/* AUTH [username] password */
void cmd_auth(struct client *c)
{
    struct omk_slice user = {"default", 7};

    if (c->argc > 3) {
        reply_err_syntax(c);
        return;
    }
    if (c->argc == 2 && acl_default_nopass()) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?");
        return;
    }
    if (c->argc == 3)
        user = c->argv[1];
    if (conn_check_password(c, user, c->argv[c->argc - 1])) {
        reply_ok(c);
    } else {
        reply_error(c, wrongpass);
    }
}

/* Validate a client name for CLIENT SETNAME / HELLO SETNAME: printable, no spaces.
 * Returns 1 if valid; otherwise replies Redis' error and returns 0. */
static int conn_valid_name_or_reply(struct client *c, struct omk_slice name)
{
    for (size_t i = 0; i < name.len; i++) {
        if (name.p[i] < '!' || name.p[i] > '~') {
            reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
            return 0;
        }
    }
    return 1;
}

/* Set (or clear, for an empty name) the name of 'c'. */
static void conn_set_name(struct client *c, struct omk_slice name)
{
    char *old, *nw = name.len ? omk_memdup(name.p, name.len) : NULL;

    omk_mutex_lock(&c->worker->clients_lock);
    old = c->name;
    c->name = nw;
    omk_mutex_unlock(&c->worker->clients_lock);
    omk_free(old);
}

/* HELLO [protover [AUTH username password] [SETNAME clientname]] */
void cmd_hello(struct client *c)
{
    long long ver = c->proto;
    struct omk_slice name = {NULL, 0};
    int have_name = 0, i;

    if (c->argc >= 2) {
        if (!omk_str2ll(c->argv[1].p, c->argv[1].len, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    for (i = 2; i < c->argc; i++) {
        int more = c->argc - i - 1;

        if (cmd_arg_is(c, i, "auth") && more >= 2) {
            if (!conn_check_password(c, c->argv[i + 1], c->argv[i + 2])) {
                reply_error(c, wrongpass);
                return;
            }
            i += 2;
        } else if (cmd_arg_is(c, i, "setname") && more >= 1) {
            name = c->argv[++i];
            if (!conn_valid_name_or_reply(c, name))
                return;
            have_name = 1;
        } else {
            reply_error_fmt(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].len,
                            c->argv[i].p);
            return;
        }
    }
    if (!c->authenticated) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if (have_name)
        conn_set_name(c, name);
    c->proto = (int)ver;
    pubsub_proto_changed(c);
    tracking_proto_changed(c);
    reply_map_len(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, OMK_REDIS_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->proto);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array_len(c, 0);
}

/* RESET: back to the state of a new connection, as Redis' clearClientConnectionState:
 * out of MONITOR, database 0, RESP2, logged in as the default user (so, with
 * requirepass, logged out), no transaction or WATCH, no name, CLIENT REPLY ON, no
 * subscriptions, client tracking off; NO-EVICT stays, as in Redis 7.0. */
void cmd_reset(struct client *c)
{
    int was_subscribed = pubsub_subscribed(c);

    monitor_stop(c);
    pubsub_client_reset(c);
    c->db = 0;
    c->proto = 2;
    tracking_client_reset(c);
    acl_client_reset(c);
    multi_reset(c);
    conn_set_name(c, (struct omk_slice){NULL, 0});
    /* 7.0 keeps NO-EVICT; NO-TOUCH (7.2's) goes, as 7.2's RESET clears it */
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_NO_TOUCH);
    if (was_subscribed)
        conn_apply_timeout(c); /* idle like any client again */
    reply_simple(c, "RESET");
}

/* SELECT index */
void cmd_select(struct client *c)
{
    int db;

    if (!cmd_db_arg_or_reply(c, c->argv[1], &db))
        return;
    c->db = db;
    reply_ok(c);
}

/* CLIENT ID */
static void client_id(struct client *c)
{
    reply_int(c, (long long)c->id);
}

/* CLIENT SETNAME name */
static void client_setname(struct client *c)
{
    if (conn_valid_name_or_reply(c, c->argv[2])) {
        conn_set_name(c, c->argv[2]);
        reply_ok(c);
    }
}

/* CLIENT GETNAME */
static void client_getname(struct client *c)
{
    if (c->name)
        reply_bulk_cstr(c, c->name);
    else
        reply_null(c);
}

/* CLIENT SETINFO LIB-NAME|LIB-VER value: accepted (clients send it on connect). */
static void client_setinfo(struct client *c)
{
    if (!cmd_arg_is(c, 2, "lib-name") && !cmd_arg_is(c, 2, "lib-ver")) {
        reply_error_fmt(c, "ERR Unrecognized option '%.*s'", (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    reply_ok(c);
}

/* CLIENT NO-EVICT|NO-TOUCH ON|OFF. NO-EVICT is accepted (omenkv evicts values, never
 * clients) and shows as flag 'e' in CLIENT LIST, as in Redis; NO-TOUCH (Redis 7.2) keeps
 * the client's commands but TOUCH from updating the keys' access times (flag 'T'). */
static void client_onoff(struct client *c)
{
    int on = cmd_arg_is(c, 2, "on");

    if (!on && !cmd_arg_is(c, 2, "off")) {
        reply_err_syntax(c);
        return;
    }
    if (cmd_arg_is(c, 1, "no-evict"))
        c->flags = on ? c->flags | CLIENT_NO_EVICT : c->flags & ~CLIENT_NO_EVICT;
    else /* no-touch (Redis 7.2): cmd_call() reads it */
        c->flags = on ? c->flags | CLIENT_NO_TOUCH : c->flags & ~CLIENT_NO_TOUCH;
    reply_ok(c);
}

/* CLIENT REPLY ON|OFF|SKIP: OFF drops every reply until ON, SKIP the replies of the next
 * command (cmd_execute moves the flag); neither replies itself, and SKIP under OFF does
 * nothing, as in Redis. */
static void client_reply(struct client *c)
{
    if (cmd_arg_is(c, 2, "on")) {
        c->flags &= ~(CLIENT_REPLY_SKIP | CLIENT_REPLY_OFF);
        reply_ok(c);
    } else if (cmd_arg_is(c, 2, "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (cmd_arg_is(c, 2, "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF))
            c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        reply_err_syntax(c);
    }
}

/* CLIENT PAUSE timeout [WRITE|ALL]: ALL unless WRITE is given; the mode is checked
 * before the timeout (milliseconds, >= 0), as Redis 7.0 does. A timeout so large that
 * Redis' end time overflows pauses nothing there, and nothing here. */
static void client_pause(struct client *c)
{
    enum pause_type type = PAUSE_ALL;
    long long ms;

    if (c->argc > 4) {
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try CLIENT HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p);
        return;
    }
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "write")) {
            type = PAUSE_WRITE;
        } else if (!cmd_arg_is(c, 3, "all")) {
            reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    if (ms > 0 && ms <= INT64_MAX - omk_now_ms())
        pause_start(type, omk_mono_us() / 1000 + ms);
    reply_ok(c);
}

/* CLIENT UNPAUSE */
static void client_unpause(struct client *c)
{
    pause_end();
    reply_ok(c);
}

/* CLIENT UNBLOCK client-id [TIMEOUT | ERROR]: 1 if that client was parked by a blocking
 * pop, which then answers as on a timeout or with an UNBLOCKED error; else 0. Redis 7.0
 * checks the reason before the id, and answers more arguments with its one subcommand
 * error. */
static void client_unblock(struct client *c)
{
    long long id;
    int error = 0;

    if (c->argc > 4) {
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try CLIENT HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p);
        return;
    }
    if (c->argc == 4) {
        if (cmd_arg_is(c, 3, "error")) {
            error = 1;
        } else if (!cmd_arg_is(c, 3, "timeout")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &id)) {
        reply_err_not_int(c);
        return;
    }
    reply_int(c, id > 0 && blocking_unblock((uint64_t)id, error));
}

static const struct cmd_sub client_subs[] = {
    {"id", 2, client_id},           {"setname", 3, client_setname},
    {"getname", 2, client_getname}, {"setinfo", 4, client_setinfo},
    {"list", -2, client_list_sub},  {"info", 2, client_info_sub},
    {"kill", -3, client_kill_sub},  {"no-evict", 3, client_onoff},
    {"no-touch", 3, client_onoff},  {"unblock", -3, client_unblock},
    {"reply", 3, client_reply},     {"pause", -3, client_pause},
    {"unpause", 2, client_unpause},
    {"tracking", -3, tracking_client_tracking}, {"caching", 3, tracking_client_caching},
    {"getredir", 2, tracking_client_getredir},  {"trackinginfo", 2, tracking_client_trackinginfo},
};

/* CLIENT <subcommand> ... */
void cmd_client(struct client *c)
{
    cmd_dispatch_sub(c, "client", client_subs, OMK_ARRAY_LEN(client_subs), 0);
}
