/* test_pubsub.c - publish/subscribe against a real server with two worker threads:
 * every command of the SUBSCRIBE family, PUBLISH, SPUBLISH and PUBSUB with their errors,
 * checked as raw bytes in RESP2 and RESP3 (push messages); the RESP2 subscribed mode
 * and its error; publishers and subscribers on different workers (receiver counts,
 * per-publisher order); a subscriber that never reads, closed at the pubsub output
 * limit while the server's memory stays bounded; no idle timeout for subscribers; and
 * transactions: no-multi commands, WATCH and MULTI inside MULTI, SUBSCRIBE and
 * SSUBSCRIBE inside EXEC. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/integ/traw.h"

/* Expect nothing more on 'fd' for 'ms' milliseconds. */
static void px_expect_quiet(int fd, int ms, const char *name)
{
    struct pollfd p = {fd, POLLIN, 0};

    ok(poll(&p, 1, ms) == 0, "%s", name);
}

#define CTX_ERR(cmd)                                                                          \
    "-ERR Can't execute '" cmd "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / " \
    "RESET are allowed in this context\r\n"

static void test_resp2(const struct tserver *s)
{
    int sub = ts_raw_connect(s), pub = ts_raw_connect(s);

    px_send(sub, "SUBSCRIBE ch1 ch2 ch1");
    px_expect(sub,
              "*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n"
              "*3\r\n$9\r\nsubscribe\r\n$3\r\nch2\r\n:2\r\n"
              "*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:2\r\n",
              "SUBSCRIBE: one confirmation per argument, a repeat counted once");
    px_send(sub, "PSUBSCRIBE c?1 x*");
    px_expect(sub,
              "*3\r\n$10\r\npsubscribe\r\n$3\r\nc?1\r\n:3\r\n"
              "*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:4\r\n",
              "PSUBSCRIBE counts channels and patterns together");
    px_send(sub, "SSUBSCRIBE sh1");
    px_expect(sub, "*3\r\n$10\r\nssubscribe\r\n$3\r\nsh1\r\n:1\r\n",
              "SSUBSCRIBE counts shard channels apart");

    px_send(pub, "PUBLISH ch1 hello");
    px_expect(pub, ":2\r\n", "PUBLISH counts the channel and the matching pattern");
    px_expect(sub,
              "*3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n"
              "*4\r\n$8\r\npmessage\r\n$3\r\nc?1\r\n$3\r\nch1\r\n$5\r\nhello\r\n",
              "message, then pmessage");
    px_send(pub, "PUBLISH sh1 nobody");
    px_expect(pub, ":0\r\n", "PUBLISH does not reach shard subscribers");
    px_send(pub, "SPUBLISH sh1 s");
    px_expect(pub, ":1\r\n", "SPUBLISH");
    px_expect(sub, "*3\r\n$8\r\nsmessage\r\n$3\r\nsh1\r\n$1\r\ns\r\n", "smessage");
    px_send(pub, "SPUBLISH ch1 s");
    px_expect(pub, ":0\r\n", "SPUBLISH does not reach channel subscribers");
    px_send(pub, "PUBLISH xyz m");
    px_expect(pub, ":1\r\n", "PUBLISH to a pattern only");
    px_expect(sub, "*4\r\n$8\r\npmessage\r\n$2\r\nx*\r\n$3\r\nxyz\r\n$1\r\nm\r\n", "pmessage x*");

    px_send(sub, "GET k");
    px_expect(sub, CTX_ERR("get"), "GET refused in RESP2 subscribed mode");
    px_send(sub, "CLIENT ID");
    px_expect(sub, CTX_ERR("client|id"), "a subcommand is named cmd|sub");
    px_send(sub, "HELLO 3");
    px_expect(sub, CTX_ERR("hello"), "HELLO refused too");
    px_send(sub, "GET");
    px_expect(sub, "-ERR wrong number of arguments for 'get' command\r\n",
              "arity is checked first");
    px_send(sub, "PING");
    px_expect(sub, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING in subscribed mode");
    px_send(sub, "PING hi");
    px_expect(sub, "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", "PING msg in subscribed mode");
    px_send(sub, "SUBSCRIBE");
    px_expect(sub, "-ERR wrong number of arguments for 'subscribe' command\r\n",
              "SUBSCRIBE arity");
    px_send(sub, "PSUBSCRIBE");
    px_expect(sub, "-ERR wrong number of arguments for 'psubscribe' command\r\n",
              "PSUBSCRIBE arity");
    px_send(sub, "SSUBSCRIBE");
    px_expect(sub, "-ERR wrong number of arguments for 'ssubscribe' command\r\n",
              "SSUBSCRIBE arity");

    px_send(sub, "UNSUBSCRIBE ch2 nosuch");
    px_expect(sub,
              "*3\r\n$11\r\nunsubscribe\r\n$3\r\nch2\r\n:3\r\n"
              "*3\r\n$11\r\nunsubscribe\r\n$6\r\nnosuch\r\n:3\r\n",
              "UNSUBSCRIBE named channels, one it never had");
    px_send(sub, "UNSUBSCRIBE");
    px_expect(sub, "*3\r\n$11\r\nunsubscribe\r\n$3\r\nch1\r\n:2\r\n", "UNSUBSCRIBE all (one left)");
    px_send(sub, "UNSUBSCRIBE");
    px_expect(sub, "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:2\r\n", "UNSUBSCRIBE with none: null");
    px_send(sub, "PUNSUBSCRIBE x*");
    px_expect(sub, "*3\r\n$12\r\npunsubscribe\r\n$2\r\nx*\r\n:1\r\n", "PUNSUBSCRIBE a pattern");
    px_send(sub, "PUNSUBSCRIBE");
    px_expect(sub, "*3\r\n$12\r\npunsubscribe\r\n$3\r\nc?1\r\n:0\r\n", "PUNSUBSCRIBE all");
    px_send(sub, "PUNSUBSCRIBE");
    px_expect(sub, "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", "PUNSUBSCRIBE with none");
    px_send(sub, "GET k");
    px_expect(sub, CTX_ERR("get"), "still subscribed to a shard channel");
    px_send(sub, "SUNSUBSCRIBE");
    px_expect(sub, "*3\r\n$12\r\nsunsubscribe\r\n$3\r\nsh1\r\n:0\r\n", "SUNSUBSCRIBE all");
    px_send(sub, "SUNSUBSCRIBE");
    px_expect(sub, "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", "SUNSUBSCRIBE with none");
    px_send(sub, "PING");
    px_expect(sub, "+PONG\r\n", "out of subscribed mode: PING is PONG again");
    px_send(sub, "GET nosuchkey");
    px_expect(sub, "$-1\r\n", "out of subscribed mode: GET runs");
    px_send(pub, "PUBLISH ch1 gone");
    px_expect(pub, ":0\r\n", "nobody listens any more");
    px_expect_quiet(sub, 100, "the unsubscribed client gets nothing");

    px_send(sub, "SUBSCRIBE q");
    px_expect(sub, "*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n", "subscribe again");
    px_send(sub, "QUIT");
    px_expect(sub, "+OK\r\n", "QUIT is allowed in subscribed mode");
    close(sub);
    close(pub);
}

static void test_resp3(const struct tserver *s)
{
    int sub = ts_raw_connect(s), pub = ts_raw_connect(s);
    char buf[1024];
    int eof;

    px_send(sub, "HELLO 3");
    px_read(sub, buf, sizeof(buf) - 1, 300, &eof); /* the server map: not our subject */
    px_send(sub, "SUBSCRIBE c3");
    px_expect(sub, ">3\r\n$9\r\nsubscribe\r\n$2\r\nc3\r\n:1\r\n", "RESP3 subscribe is a push");
    px_send(sub, "GET nosuchkey");
    px_expect(sub, "_\r\n", "RESP3: any command runs while subscribed");
    px_send(sub, "PING");
    px_expect(sub, "+PONG\r\n", "RESP3: PING is PONG while subscribed");
    px_send(pub, "PUBLISH c3 m3");
    px_expect(pub, ":1\r\n", "PUBLISH to a RESP3 subscriber");
    px_expect(sub, ">3\r\n$7\r\nmessage\r\n$2\r\nc3\r\n$2\r\nm3\r\n", "message is a push");
    px_send(sub, "PSUBSCRIBE c*");
    px_expect(sub, ">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:2\r\n", "RESP3 psubscribe");
    px_send(pub, "PUBLISH c3 m4");
    px_expect(pub, ":2\r\n", "two deliveries");
    px_expect(sub,
              ">3\r\n$7\r\nmessage\r\n$2\r\nc3\r\n$2\r\nm4\r\n"
              ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc3\r\n$2\r\nm4\r\n",
              "pmessage is a push");
    px_send(sub, "HELLO 2");
    px_read(sub, buf, sizeof(buf) - 1, 300, &eof);
    px_send(pub, "PUBLISH c3 m5");
    px_expect(pub, ":2\r\n", "publish after HELLO 2");
    px_expect(sub,
              "*3\r\n$7\r\nmessage\r\n$2\r\nc3\r\n$2\r\nm5\r\n"
              "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc3\r\n$2\r\nm5\r\n",
              "after HELLO 2 messages are arrays");
    px_send(sub, "GET k");
    px_expect(sub, CTX_ERR("get"), "back in RESP2: the subscribed mode applies");
    px_send(sub, "PUNSUBSCRIBE");
    px_expect(sub, "*3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:1\r\n", "PUNSUBSCRIBE");
    px_send(sub, "UNSUBSCRIBE c3");
    px_expect(sub, "*3\r\n$11\r\nunsubscribe\r\n$2\r\nc3\r\n:0\r\n", "UNSUBSCRIBE");
    close(sub);
    close(pub);
}

static void test_introspection(redisContext *c, const struct tserver *s)
{
    int a = ts_raw_connect(s), b = ts_raw_connect(s);
    redisReply *r;

    px_send(a, "SUBSCRIBE news.a news.b");
    px_expect(a,
              "*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.a\r\n:1\r\n"
              "*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.b\r\n:2\r\n",
              "a subscribes to two channels");
    px_send(b, "SUBSCRIBE news.a");
    px_expect(b, "*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.a\r\n:1\r\n", "b subscribes to one");
    px_send(b, "PSUBSCRIBE n* n* m*");
    px_expect(b,
              "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n"
              "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n"
              "*3\r\n$10\r\npsubscribe\r\n$2\r\nm*\r\n:3\r\n",
              "b subscribes to two patterns");
    px_send(a, "PSUBSCRIBE n*");
    px_expect(a, "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n", "a shares a pattern");
    px_send(a, "SSUBSCRIBE shard.x");
    px_expect(a, "*3\r\n$10\r\nssubscribe\r\n$7\r\nshard.x\r\n:1\r\n", "a has a shard channel");

    r = cmd(c, "PUBSUB CHANNELS");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           ((!strcmp(r->element[0]->str, "news.a") && !strcmp(r->element[1]->str, "news.b")) ||
            (!strcmp(r->element[0]->str, "news.b") && !strcmp(r->element[1]->str, "news.a"))),
       "PUBSUB CHANNELS lists each channel once");
    freeReplyObject(r);
    r = cmd(c, "PUBSUB CHANNELS *.b");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
           !strcmp(r->element[0]->str, "news.b"),
       "PUBSUB CHANNELS pattern");
    freeReplyObject(r);
    r = cmd(c, "PUBSUB CHANNELS zz*");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "PUBSUB CHANNELS no match");
    freeReplyObject(r);
    r = cmd(c, "PUBSUB NUMSUB news.a news.b nosuch");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
           !strcmp(r->element[0]->str, "news.a") && r->element[1]->integer == 2 &&
           !strcmp(r->element[2]->str, "news.b") && r->element[3]->integer == 1 &&
           !strcmp(r->element[4]->str, "nosuch") && r->element[5]->integer == 0,
       "PUBSUB NUMSUB");
    freeReplyObject(r);
    r = cmd(c, "PUBSUB NUMSUB");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "PUBSUB NUMSUB without channels");
    freeReplyObject(r);
    is_integer(cmd(c, "PUBSUB NUMPAT"), 2, "PUBSUB NUMPAT counts distinct patterns");
    r = cmd(c, "PUBSUB SHARDCHANNELS");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
           !strcmp(r->element[0]->str, "shard.x"),
       "PUBSUB SHARDCHANNELS");
    freeReplyObject(r);
    r = cmd(c, "PUBSUB SHARDCHANNELS nomatch*");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "PUBSUB SHARDCHANNELS pattern");
    freeReplyObject(r);
    r = cmd(c, "PUBSUB SHARDNUMSUB shard.x news.a");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[1]->integer == 1 &&
           r->element[3]->integer == 0,
       "PUBSUB SHARDNUMSUB counts shard subscribers only");
    freeReplyObject(r);
    ok(ts_info_field(c, "stats", "pubsub_channels") == 2, "INFO pubsub_channels");
    ok(ts_info_field(c, "stats", "pubsub_patterns") == 2, "INFO pubsub_patterns");
    ok(ts_info_field(c, "stats", "pubsubshard_channels") == 1, "INFO pubsubshard_channels");
    r = cmd(c, "PUBSUB HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 14 &&
           !strcmp(r->element[0]->str,
                   "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
       "PUBSUB HELP");
    freeReplyObject(r);
    is_error(cmd(c, "PUBSUB"), "ERR wrong number of arguments for 'pubsub' command",
             "PUBSUB arity");
    is_error(cmd(c, "PUBSUB foo"), "ERR unknown subcommand 'foo'. Try PUBSUB HELP.",
             "PUBSUB unknown subcommand");
    is_error(cmd(c, "PUBSUB NUMPAT x"), "ERR wrong number of arguments for 'pubsub|numpat' command",
             "PUBSUB NUMPAT arity");
    is_error(cmd(c, "PUBSUB CHANNELS a b"),
             "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.",
             "PUBSUB CHANNELS with two patterns");
    is_error(cmd(c, "PUBSUB HELP x"), "ERR wrong number of arguments for 'pubsub|help' command",
             "PUBSUB HELP arity");
    is_error(cmd(c, "PUBLISH a"), "ERR wrong number of arguments for 'publish' command",
             "PUBLISH arity");
    is_error(cmd(c, "SPUBLISH a b c"), "ERR wrong number of arguments for 'spublish' command",
             "SPUBLISH arity");

    close(a); /* a disconnect drops every subscription */
    ts_sleep_ms(100);
    r = cmd(c, "PUBSUB NUMSUB news.a news.b");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[1]->integer == 1 &&
           r->element[3]->integer == 0,
       "a disconnected subscriber is forgotten");
    freeReplyObject(r);
    is_integer(cmd(c, "PUBSUB NUMPAT"), 2, "patterns another client holds stay");
    ok(ts_info_field(c, "stats", "pubsubshard_channels") == 0, "its shard channel is gone");
    close(b);
    ts_sleep_ms(100);
    ok(ts_info_field(c, "stats", "pubsub_channels") == 0 &&
           ts_info_field(c, "stats", "pubsub_patterns") == 0,
       "the registry is empty again");
}

/* Subscribers on both workers (consecutive connections go to different workers),
 * publishers on both: counts, and each publisher's messages in order. */
static void test_workers(const struct tserver *s)
{
    enum { NSUB = 3, NMSG = 2000 };
    redisContext *subs[NSUB], *p1, *p2;
    int next1[NSUB] = {0}, next2[NSUB] = {0}, bad = 0;
    redisReply *r;

    for (int i = 0; i < NSUB; i++) {
        subs[i] = ts_connect(s);
        r = cmd(subs[i], i == 2 ? "PSUBSCRIBE ord*" : "SUBSCRIBE order");
        freeReplyObject(r);
    }
    p1 = ts_connect(s);
    p2 = ts_connect(s);
    is_integer(cmd(p1, "PUBLISH order x"), 3, "PUBLISH counts subscribers on every worker");
    is_integer(cmd(p2, "PUBLISH order y"), 3, "... from the other worker too");
    for (int i = 0; i < NSUB; i++)
        for (int k = 0; k < 2; k++) {
            r = NULL;
            bad += redisGetReply(subs[i], (void **)&r) != REDIS_OK || !r ||
                   r->type != REDIS_REPLY_ARRAY;
            freeReplyObject(r);
        }
    ok(bad == 0, "each subscriber got both messages");

    for (int i = 0; i < NMSG; i++) {
        redisAppendCommand(p1, "PUBLISH order p1:%d", i);
        redisAppendCommand(p2, "PUBLISH order p2:%d", i);
    }
    ok(ts_read_replies(p1, NMSG, REDIS_REPLY_INTEGER) == 0 &&
           ts_read_replies(p2, NMSG, REDIS_REPLY_INTEGER) == 0,
       "two publishers pipeline %d messages each", NMSG);
    for (int i = 0; i < NSUB; i++)
        for (int m = 0; m < 2 * NMSG && !bad; m++) {
            const redisReply *body;
            int n;

            r = NULL;
            if (redisGetReply(subs[i], (void **)&r) != REDIS_OK || !r ||
                r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
                bad++;
                freeReplyObject(r);
                break;
            }
            body = r->element[r->elements - 1];
            if (sscanf(body->str, "p1:%d", &n) == 1)
                bad += n != next1[i]++;
            else if (sscanf(body->str, "p2:%d", &n) == 1)
                bad += n != next2[i]++;
            else
                bad++;
            freeReplyObject(r);
        }
    ok(bad == 0, "every subscriber got every message in each publisher's order");
    for (int i = 0; i < NSUB; i++)
        redisFree(subs[i]);
    redisFree(p1);
    redisFree(p2);
}

/* VmRSS of process 'pid' in KB, or -1. */
static long rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* A subscriber that never reads is closed past the pubsub class's hard limit; the
 * publisher never waits on it and the server's memory stays bounded. */
static void test_slow_subscriber(redisContext *c, const struct tserver *s)
{
    enum { MSG = 64 * 1024, NPUB = 1600 }; /* 100 MB published in total */
    long pid = ts_info_field(c, "server", "process_id");
    int slow = ts_raw_connect(s), eof = 0, fails = 0;
    redisContext *p = ts_connect(s);
    char *msg = malloc(MSG), buf[65536];
    long before, peak = 0;
    size_t drained = 0;

    memset(msg, 'x', MSG);
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "pubsub 4mb 2mb 60"), "OK",
              "CONFIG SET client-output-buffer-limit pubsub");
    px_send(slow, "SUBSCRIBE slow");
    px_expect(slow, "*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n", "the slow one subscribes");
    before = rss_kb(pid);
    for (int i = 0; i < NPUB; i++) {
        redisReply *r = cmd(p, "PUBLISH slow %b", msg, (size_t)MSG);

        fails += !r || r->type != REDIS_REPLY_INTEGER || r->integer > 1;
        freeReplyObject(r);
        if (i % 100 == 0) {
            long now = rss_kb(pid);

            if (now > peak)
                peak = now;
        }
    }
    ok(fails == 0, "PUBLISH answered every time (it never blocked on the slow subscriber)");
    if (TS_SANITIZED)
        ok(1, "# SKIP memory bound: a sanitizer build keeps freed memory");
    else if (!ok(before > 0 && peak - before < 48 * 1024,
                 "memory stays bounded (%ld KB growth for 100 MB published)", peak - before))
        diag("  rss before %ld KB, peak %ld KB", before, peak);
    /* What the kernel buffered arrives, then the end of the stream. */
    while (!eof && drained < 200u * 1024 * 1024) {
        size_t n = px_read(slow, buf, sizeof(buf) - 1, 3000, &eof);

        if (n == 0 && !eof)
            break;
        drained += n;
    }
    ok(eof && drained < (size_t)NPUB * MSG / 2,
       "the slow subscriber was disconnected (%zu bytes reached it)", drained);
    {
        redisReply *r = cmd(c, "PUBSUB NUMSUB slow");

        ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer == 0,
           "and forgotten");
        freeReplyObject(r);
    }
    is_integer(cmd(p, "PUBLISH slow %s", "late"), 0, "nobody listens on the channel now");
    is_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "pubsub 32mb 8mb 60"), "OK",
              "restore the default limit");
    close(slow);
    redisFree(p);
    free(msg);
}

static void test_multi(const struct tserver *s)
{
    int fd = ts_raw_connect(s);

    px_send(fd, "MULTI");
    px_expect(fd, "+OK\r\n", "MULTI");
    px_send(fd, "SAVE");
    px_expect(fd, "-ERR Command not allowed inside a transaction\r\n", "SAVE refused in MULTI");
    px_send(fd, "SET k v");
    px_expect(fd, "+QUEUED\r\n", "the transaction still queues");
    px_send(fd, "EXEC");
    px_expect(fd, "-EXECABORT Transaction discarded because of previous errors.\r\n",
              "EXEC after SAVE aborts");
    px_send(fd, "MULTI");
    px_expect(fd, "+OK\r\n", "MULTI");
    px_send(fd, "SHUTDOWN");
    px_expect(fd, "-ERR Command not allowed inside a transaction\r\n", "SHUTDOWN refused in MULTI");
    px_send(fd, "EXEC");
    px_expect(fd, "-EXECABORT Transaction discarded because of previous errors.\r\n",
              "EXEC after SHUTDOWN aborts");
    px_send(fd, "PING");
    px_expect(fd, "+PONG\r\n", "the server is still up");
    px_send(fd, "MULTI");
    px_expect(fd, "+OK\r\n", "MULTI");
    px_send(fd, "WATCH k");
    px_expect(fd, "-ERR WATCH inside MULTI is not allowed\r\n", "WATCH inside MULTI");
    px_send(fd, "MULTI");
    px_expect(fd, "-ERR MULTI calls can not be nested\r\n", "MULTI inside MULTI");
    px_send(fd, "EXEC");
    px_expect(fd, "*0\r\n", "neither error fails the transaction");

    px_send(fd, "MULTI");
    px_expect(fd, "+OK\r\n", "MULTI");
    px_send(fd, "SSUBSCRIBE sx");
    px_expect(fd, "+QUEUED\r\n", "SSUBSCRIBE is queued");
    px_send(fd, "EXEC");
    px_expect(fd, "*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n",
              "SSUBSCRIBE fails inside EXEC");
    px_send(fd, "MULTI");
    px_expect(fd, "+OK\r\n", "MULTI");
    px_send(fd, "SUBSCRIBE m1 m2");
    px_expect(fd, "+QUEUED\r\n", "SUBSCRIBE is queued");
    px_send(fd, "PUBLISH m1 x");
    px_expect(fd, "+QUEUED\r\n", "PUBLISH is queued");
    px_send(fd, "EXEC");
    px_expect(fd,
              "*2\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nm1\r\n:1\r\n"
              "*3\r\n$9\r\nsubscribe\r\n$2\r\nm2\r\n:2\r\n"
              "*3\r\n$7\r\nmessage\r\n$2\r\nm1\r\n$1\r\nx\r\n:1\r\n",
              "SUBSCRIBE runs inside EXEC, its confirmations and the message inline, as Redis "
              "7.0 sends them");
    px_send(fd, "GET k");
    px_expect(fd, CTX_ERR("get"), "after EXEC the client is in subscribed mode");
    px_send(fd, "MULTI");
    px_expect(fd, CTX_ERR("multi"), "MULTI refused in subscribed mode");
    close(fd);
}

/* A subscriber is never closed as idle (timeout), as in Redis; another client is. Every
 * other connection of the test idles too and may be closed: this runs last. */
static void test_idle_timeout(const struct tserver *s)
{
    redisContext *admin = ts_connect(s), *pub;
    int sub = ts_raw_connect(s), idle = ts_raw_connect(s), eof = 0;
    char buf[256];

    is_status(cmd(admin, "CONFIG SET timeout 1"), "OK", "CONFIG SET timeout 1");
    redisFree(admin);
    px_send(sub, "SUBSCRIBE idle.ch");
    px_expect(sub, "*3\r\n$9\r\nsubscribe\r\n$7\r\nidle.ch\r\n:1\r\n", "subscribe");
    px_send(idle, "PING");
    px_expect(idle, "+PONG\r\n", "an ordinary client");
    ts_sleep_ms(3500);
    px_read(idle, buf, sizeof(buf) - 1, 2000, &eof);
    ok(eof, "the idle ordinary client was closed");
    pub = ts_connect(s);
    is_integer(cmd(pub, "PUBLISH idle.ch still"), 1, "the idle subscriber is still there");
    px_expect(sub, "*3\r\n$7\r\nmessage\r\n$7\r\nidle.ch\r\n$5\r\nstill\r\n",
              "and gets the message");
    is_status(cmd(pub, "CONFIG SET timeout 0"), "OK", "CONFIG SET timeout 0");
    redisFree(pub);
    close(sub);
    close(idle);
}

/* A subscriber shows in CLIENT LIST (sub=, psub=, flags P, TYPE pubsub); RESET leaves
 * every subscription and the client may run any command again. */
static void test_reset(const struct tserver *s)
{
    int fd = ts_raw_connect(s);
    redisContext *c = ts_connect(s);
    redisReply *r;

    px_send(fd, "CLIENT SETNAME subr");
    px_expect(fd, "+OK\r\n", "CLIENT SETNAME subr");
    px_send(fd, "SUBSCRIBE rch");
    px_expect(fd, "*3\r\n$9\r\nsubscribe\r\n$3\r\nrch\r\n:1\r\n", "SUBSCRIBE rch");
    px_send(fd, "PSUBSCRIBE rp*");
    px_expect(fd, "*3\r\n$10\r\npsubscribe\r\n$3\r\nrp*\r\n:2\r\n", "PSUBSCRIBE rp*");
    r = cmd(c, "CLIENT LIST TYPE pubsub");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "name=subr") &&
           strstr(r->str, " flags=P ") && strstr(r->str, " sub=1 psub=1 ssub=0 "),
       "CLIENT LIST TYPE pubsub shows the subscriber: flags=P sub=1 psub=1");
    freeReplyObject(r);
    px_send(fd, "RESET");
    px_expect(fd, "+RESET\r\n", "RESET in subscribed mode");
    px_send(fd, "GET nokey");
    px_expect(fd, "$-1\r\n", "after RESET any command runs");
    is_integer(cmd(c, "PUBLISH rch m"), 0, "the channel has no subscriber left");
    is_integer(cmd(c, "PUBLISH rpx m"), 0, "nor the pattern");
    r = cmd(c, "CLIENT LIST TYPE pubsub");
    ok(r && r->type == REDIS_REPLY_STRING && !strstr(r->str, "name=subr"),
       "CLIENT LIST TYPE pubsub no longer lists it");
    freeReplyObject(r);
    redisFree(c);
    close(fd);
}

int main(void)
{
    const char *args[] = {"--io-threads", "2", NULL};
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, args, 1);
    test_resp2(&s);
    test_resp3(&s);
    test_introspection(c, &s);
    test_workers(&s);
    test_multi(&s);
    test_slow_subscriber(c, &s);
    test_idle_timeout(&s);
    test_reset(&s);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
