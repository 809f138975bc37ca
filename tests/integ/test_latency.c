/* test_latency.c - the latency monitor (LATENCY LATEST, HISTORY, RESET, GRAPH, DOCTOR,
 * HELP, latency-monitor-threshold), the per-command histograms (LATENCY HISTOGRAM, INFO
 * latencystats, latency-tracking, latency-tracking-info-percentiles) and their errors.
 * Durations are never asserted beyond "at least what DEBUG SLEEP slept". Every
 * expectation holds against redis-server 7.0 too (OMK_SERVER=/usr/bin/redis-server),
 * except those marked omenkv-only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/harness.h"

/* The text of INFO 'section' (caller frees), or NULL. */
static char *info(redisContext *c, const char *section)
{
    redisReply *r = cmd(c, "INFO %s", section);
    char *s = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;

    freeReplyObject(r);
    return s;
}

/* Whether 'v' is "<digits>.<3 digits>". */
static int is_usec(const char *v, size_t len)
{
    size_t i = 0;

    while (i < len && v[i] >= '0' && v[i] <= '9')
        i++;
    return i > 0 && i + 4 == len && v[i] == '.' && v[i + 1] >= '0' && v[i + 1] <= '9' &&
           v[i + 2] >= '0' && v[i + 2] <= '9' && v[i + 3] >= '0' && v[i + 3] <= '9';
}

/* Whether INFO text 's' has the line "latency_percentiles_usec_<cmd>:p<a>=x,p<b>=y..."
 * with exactly the percentile names 'pcts' (comma-separated, "" for none). */
static int has_pct_line(const char *s, const char *cmd_name, const char *pcts)
{
    char head[128], want[128];
    const char *p, *end, *w = pcts;

    snprintf(head, sizeof(head), "\r\nlatency_percentiles_usec_%s:", cmd_name);
    p = s ? strstr(s, head) : NULL;
    if (!p)
        return 0;
    p += strlen(head);
    end = strstr(p, "\r\n");
    if (!end)
        return 0;
    while (*w) {
        size_t wl = strcspn(w, ",");
        const char *eq, *stop;

        snprintf(want, sizeof(want), "p%.*s=", (int)wl, w);
        if (strncmp(p, want, strlen(want)) != 0)
            return 0;
        eq = p + strlen(want);
        stop = eq;
        while (stop < end && *stop != ',')
            stop++;
        if (!is_usec(eq, (size_t)(stop - eq)))
            return 0;
        p = stop < end ? stop + 1 : stop;
        w += wl;
        if (*w == ',')
            w++;
    }
    return p == end;
}

/* The entry of event 'name' in a LATENCY LATEST reply, or NULL. The log-write events
 * may show up beside "command" on a slow disk, so the tests look for theirs by name. */
static redisReply *event_of(redisReply *r, const char *name)
{
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_ARRAY && r->element[i]->elements == 4 &&
            !strcmp(r->element[i]->element[0]->str, name))
            return r->element[i];
    return NULL;
}

static void test_monitor(redisContext *c)
{
    redisReply *r, *e;
    long long now;

    r = cmd(c, "LATENCY HELP");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements > 10 &&
           !strcmp(r->element[0]->str,
                   "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:") &&
           !strcmp(r->element[1]->str, "DOCTOR") &&
           !strcmp(r->element[r->elements - 2]->str, "HELP"),
       "HELP");
    freeReplyObject(r);
    is_error(cmd(c, "LATENCY FOO"), "ERR unknown subcommand 'FOO'. Try LATENCY HELP.",
             "an unknown subcommand");
    is_error(cmd(c, "LATENCY HISTORY"),
             "ERR wrong number of arguments for 'latency|history' command", "HISTORY's arity");
    is_error(cmd(c, "LATENCY LATEST x"),
             "ERR wrong number of arguments for 'latency|latest' command", "LATEST's arity");
    is_integer(cmd(c, "LATENCY RESET"), 0, "RESET with nothing recorded");
    r = cmd(c, "LATENCY LATEST");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "LATEST: nothing recorded");
    freeReplyObject(r);
    r = cmd(c, "LATENCY HISTORY command");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "HISTORY of an event without samples");
    freeReplyObject(r);
    is_error(cmd(c, "LATENCY GRAPH command"), "ERR No samples available for event 'command'",
             "GRAPH of an event without samples");
    r = cmd(c, "LATENCY DOCTOR");
    ok(r && r->type == REDIS_REPLY_STRING && r->len > 0, "DOCTOR answers with text");
    freeReplyObject(r);

    /* Under the threshold nothing is recorded. */
    is_status(cmd(c, "CONFIG SET latency-monitor-threshold 1000"), "OK", "threshold 1 s");
    freeReplyObject(cmd(c, "DEBUG SLEEP 0.05"));
    r = cmd(c, "LATENCY LATEST");
    ok(r && r->type == REDIS_REPLY_ARRAY && !event_of(r, "command"),
       "a 50 ms command stays under 1 s");
    freeReplyObject(r);

    is_status(cmd(c, "CONFIG SET latency-monitor-threshold 100"), "OK", "threshold 100 ms");
    freeReplyObject(cmd(c, "DEBUG SLEEP 0.2"));
    now = (long long)time(NULL);
    r = cmd(c, "LATENCY LATEST");
    e = event_of(r, "command");
    ok(e &&
           llabs(e->element[1]->integer - now) <= 5 && e->element[2]->integer >= 200 &&
           e->element[3]->integer >= e->element[2]->integer,
       "LATEST: the slow command as [event, time, latency ms, max ms]");
    freeReplyObject(r);
    r = cmd(c, "LATENCY HISTORY command");
    e = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0] : NULL;
    ok(e && e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
           llabs(e->element[0]->integer - now) <= 5 && e->element[1]->integer >= 200,
       "HISTORY: one [time, latency] sample");
    freeReplyObject(r);
    r = cmd(c, "LATENCY HISTORY Command");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "HISTORY matches the name exactly");
    freeReplyObject(r);
    r = cmd(c, "LATENCY GRAPH command");
    ok(r && r->type == REDIS_REPLY_STRING && !strncmp(r->str, "command - high ", 15) &&
           strstr(r->str, " ms (all time high ") != NULL,
       "GRAPH: Redis' title line (the chart under it is omenkv's own)");
    freeReplyObject(r);
    r = cmd(c, "LATENCY DOCTOR");
    ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "command") != NULL,
       "DOCTOR names the event");
    freeReplyObject(r);
    is_integer(cmd(c, "LATENCY RESET nosuch COMMAND"), 1, "RESET of named events (any case)");
    r = cmd(c, "LATENCY LATEST");
    ok(r && r->type == REDIS_REPLY_ARRAY && !event_of(r, "command"), "command is gone after RESET");
    freeReplyObject(r);
    freeReplyObject(cmd(c, "DEBUG SLEEP 0.15"));
    r = cmd(c, "LATENCY RESET");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1, "RESET of every event");
    freeReplyObject(r);
    is_status(cmd(c, "CONFIG SET latency-monitor-threshold 0"), "OK", "monitor off");
    freeReplyObject(cmd(c, "DEBUG SLEEP 0.15"));
    r = cmd(c, "LATENCY LATEST");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "threshold 0 records nothing");
    freeReplyObject(r);
}

static void test_histograms(redisContext *c)
{
    redisReply *r, *h = NULL;
    char *s;
    int sorted = 1;

    is_status(cmd(c, "CONFIG RESETSTAT"), "OK", "RESETSTAT clears the histograms");
    for (int i = 0; i < 3; i++)
        freeReplyObject(cmd(c, "SET lat:%d v", i));
    r = cmd(c, "LATENCY HISTOGRAM set nosuchcommand");
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 4)
        h = r->element[1];
    ok(h && !strcmp(r->element[0]->str, "set") && !strcmp(h->element[0]->str, "calls") &&
           h->element[1]->integer == 3 && !strcmp(h->element[2]->str, "histogram_usec") &&
           h->element[3]->type == REDIS_REPLY_ARRAY && h->element[3]->elements >= 2 &&
           h->element[3]->elements % 2 == 0,
       "HISTOGRAM set: calls 3 and buckets (an unknown name is left out)");
    for (size_t i = 2; h && i < h->element[3]->elements; i += 2)
        sorted &= h->element[3]->element[i]->integer > h->element[3]->element[i - 2]->integer &&
                  h->element[3]->element[i + 1]->integer >
                      h->element[3]->element[i - 1]->integer;
    ok(h && sorted &&
           h->element[3]->element[h->element[3]->elements - 1]->integer == 3,
       "buckets grow and the last counts every call");
    freeReplyObject(r);
    freeReplyObject(cmd(c, "CONFIG GET maxmemory"));
    r = cmd(c, "LATENCY HISTOGRAM config");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
           ((!strcmp(r->element[0]->str, "config|get") &&
             !strcmp(r->element[2]->str, "config|resetstat")) ||
            (!strcmp(r->element[2]->str, "config|get") &&
             !strcmp(r->element[0]->str, "config|resetstat"))),
       "a command with subcommands: those of its subcommands that ran (GET and RESETSTAT)");
    freeReplyObject(r);
    r = cmd(c, "LATENCY HISTOGRAM CONFIG|GET set set");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
           !strcmp(r->element[0]->str, "config|get") && !strcmp(r->element[2]->str, "set") &&
           !strcmp(r->element[4]->str, "set"),
       "a subcommand by its full name; a name given twice is answered twice");
    freeReplyObject(r);
    r = cmd(c, "LATENCY HISTOGRAM nosuchcommand");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "HISTOGRAM of no known command");
    freeReplyObject(r);

    s = info(c, "latencystats");
    ok(s && !strncmp(s, "# Latencystats\r\n", 16) && has_pct_line(s, "set", "50,99,99.9"),
       "INFO latencystats: p50, p99 and p99.9 of SET in microseconds");
    ok(has_pct_line(s, "config|get", "50,99,99.9"), "and of CONFIG GET, as config|get");
    free(s);
    is_status(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50 99.99"), "OK",
              "other percentiles");
    s = info(c, "latencystats");
    ok(has_pct_line(s, "set", "50,99.99"), "INFO shows them");
    free(s);
    s = info(c, "everything");
    ok(s && strstr(s, "# Latencystats\r\n") != NULL, "INFO everything has the section");
    free(s);
    is_status(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50 99 99.9"), "OK",
              "default percentiles");

    is_status(cmd(c, "CONFIG SET latency-tracking no"), "OK", "tracking off");
    is_status(cmd(c, "CONFIG RESETSTAT"), "OK", "RESETSTAT");
    freeReplyObject(cmd(c, "SET lat:x v"));
    s = info(c, "latencystats");
    ok(s && strstr(s, "latency_percentiles_usec_set:") == NULL, "no histogram without tracking");
    free(s);
    is_status(cmd(c, "CONFIG SET latency-tracking yes"), "OK", "tracking on");
}

/* Active expiry facing many expired keys at once spends a millisecond or more in one
 * pass: an "expire-cycle" event (Redis' activeExpireCycle, omenkv's expiry tick). The
 * keys pile up while active expiry is paused, so one pass meets them all. */
static void test_expire_cycle(redisContext *c)
{
    enum { NKEYS = 50000 };
    redisReply *r, *e;
    long long left = -1;

    is_status(cmd(c, "FLUSHALL"), "OK", "FLUSHALL");
    freeReplyObject(cmd(c, "LATENCY RESET"));
    is_status(cmd(c, "CONFIG SET latency-monitor-threshold 1"), "OK", "threshold 1 ms");
    is_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 0"), "OK", "active expiry paused");
    for (int i = 0; i < NKEYS; i++)
        redisAppendCommand(c, "SET ec:%d x PX 200", i);
    for (int i = 0; i < NKEYS; i++) {
        r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            break;
        freeReplyObject(r);
    }
    is_integer(cmd(c, "DBSIZE"), NKEYS, "50000 keys set with PX 200");
    ts_sleep_ms(400); /* every one of them past its time */
    is_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 1"), "OK", "active expiry resumed");
    for (int i = 0; i < 600 && left != 0; i++) { /* a bound, not a measurement: 60 s */
        r = cmd(c, "DBSIZE");
        left = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
        freeReplyObject(r);
        if (left != 0)
            ts_sleep_ms(100);
    }
    ok(left == 0, "active expiry removed them (%lld left)", left);
    r = cmd(c, "LATENCY LATEST");
    e = event_of(r, "expire-cycle");
    ok(e && e->element[2]->type == REDIS_REPLY_INTEGER && e->element[2]->integer >= 1 &&
           e->element[3]->integer >= e->element[2]->integer,
       "LATENCY LATEST has an expire-cycle event of 1 ms or more");
    freeReplyObject(r);
    r = cmd(c, "LATENCY HISTORY expire-cycle");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
           r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2,
       "LATENCY HISTORY expire-cycle has its samples");
    freeReplyObject(r);
    is_status(cmd(c, "CONFIG SET latency-monitor-threshold 0"), "OK", "threshold off");
    freeReplyObject(cmd(c, "LATENCY RESET"));
}

int main(void)
{
    struct tserver s;
    redisContext *c = ts_begin(&s, NULL, 1);

    test_monitor(c);
    test_histograms(c);
    test_expire_cycle(c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
