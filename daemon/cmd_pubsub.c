/* cmd_pubsub.c - the pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
 * SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB. They check their arguments and reply;
 * daemon/pubsub.c keeps the registry and delivers the messages to every worker. */
#include "config.h"

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/pubsub.h"
#include "daemon/reply.h"

/* Subscribe to each argument of kind 'k', unless inside EXEC: Redis lets SUBSCRIBE and
 * PSUBSCRIBE run there (an old compatibility) but refuses SSUBSCRIBE, as it refuses
 * commands that wait for later messages to a client that wants one reply each. */
static void cmd_subscribe_generic(struct client *c, enum pubsub_kind k)
{
    if (k == PUBSUB_SHARD && (c->flags & CLIENT_DENY_BLOCKING)) {
        reply_error(c, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    for (int i = 1; i < c->argc; i++)
        pubsub_subscribe(c, k, c->argv[i]);
}

/* Unsubscribe from each argument of kind 'k', or from every name of it without any. */
static void cmd_unsubscribe_generic(struct client *c, enum pubsub_kind k)
{
    if (c->argc == 1)
        pubsub_unsubscribe(c, k, NULL);
    for (int i = 1; i < c->argc; i++)
        pubsub_unsubscribe(c, k, &c->argv[i]);
}

/* SUBSCRIBE channel [channel ...] */
void cmd_subscribe(struct client *c)
{
    cmd_subscribe_generic(c, PUBSUB_CHANNEL);
}

/* UNSUBSCRIBE [channel ...] */
void cmd_unsubscribe(struct client *c)
{
    cmd_unsubscribe_generic(c, PUBSUB_CHANNEL);
}

/* PSUBSCRIBE pattern [pattern ...] */
void cmd_psubscribe(struct client *c)
{
    cmd_subscribe_generic(c, PUBSUB_PATTERN);
}

/* PUNSUBSCRIBE [pattern ...] */
void cmd_punsubscribe(struct client *c)
{
    cmd_unsubscribe_generic(c, PUBSUB_PATTERN);
}

/* SSUBSCRIBE shardchannel [shardchannel ...] */
void cmd_ssubscribe(struct client *c)
{
    cmd_subscribe_generic(c, PUBSUB_SHARD);
}

/* SUNSUBSCRIBE [shardchannel ...] */
void cmd_sunsubscribe(struct client *c)
{
    cmd_unsubscribe_generic(c, PUBSUB_SHARD);
}

/* PUBLISH channel message: the number of deliveries. */
void cmd_publish(struct client *c)
{
    reply_int(c, pubsub_publish(c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len, 0));
}

/* SPUBLISH shardchannel message: the number of deliveries. */
void cmd_spublish(struct client *c)
{
    reply_int(c, pubsub_publish(c->argv[1].p, c->argv[1].len, c->argv[2].p, c->argv[2].len, 1));
}

/* PUBSUB CHANNELS / SHARDCHANNELS [pattern]: more arguments get the error Redis' handler
 * gives for them. */
static void cmd_pubsub_names(struct client *c, enum pubsub_kind k)
{
    if (c->argc > 3) {
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try PUBSUB HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p);
        return;
    }
    pubsub_reply_names(c, k, c->argc == 3 ? &c->argv[2] : NULL);
}

static void cmd_pubsub_channels(struct client *c)
{
    cmd_pubsub_names(c, PUBSUB_CHANNEL);
}

static void cmd_pubsub_shardchannels(struct client *c)
{
    cmd_pubsub_names(c, PUBSUB_SHARD);
}

/* PUBSUB NUMSUB / SHARDNUMSUB [name ...]: each name and its subscriber count. */
static void cmd_pubsub_numsub_generic(struct client *c, enum pubsub_kind k)
{
    reply_array_len(c, 2LL * (c->argc - 2));
    for (int i = 2; i < c->argc; i++) {
        reply_bulk(c, c->argv[i].p, c->argv[i].len);
        reply_int(c, pubsub_numsub(k, c->argv[i]));
    }
}

static void cmd_pubsub_numsub(struct client *c)
{
    cmd_pubsub_numsub_generic(c, PUBSUB_CHANNEL);
}

static void cmd_pubsub_shardnumsub(struct client *c)
{
    cmd_pubsub_numsub_generic(c, PUBSUB_SHARD);
}

/* PUBSUB NUMPAT: the number of patterns with a subscriber. */
static void cmd_pubsub_numpat(struct client *c)
{
    reply_int(c, pubsub_count(PUBSUB_PATTERN));
}

static void cmd_pubsub_help(struct client *c)
{
    static const char *const lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
    };

    cmd_reply_help(c, "PUBSUB", lines, OMK_ARRAY_LEN(lines));
}

/* PUBSUB <subcommand> [args]: arities as Redis 7.0 counts them. */
void cmd_pubsub(struct client *c)
{
    static const struct cmd_sub subs[] = {
        {"channels", -2, cmd_pubsub_channels},
        {"numsub", -2, cmd_pubsub_numsub},
        {"numpat", 2, cmd_pubsub_numpat},
        {"shardchannels", -2, cmd_pubsub_shardchannels},
        {"shardnumsub", -2, cmd_pubsub_shardnumsub},
        {"help", 2, cmd_pubsub_help},
    };

    cmd_dispatch_sub(c, "pubsub", subs, OMK_ARRAY_LEN(subs), 0);
}
