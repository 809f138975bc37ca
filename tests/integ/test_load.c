/* test_load.c - many clients at once, for a while: 500 connections (10 threads of 50)
 * send pipelined batches of mixed commands (SET GET MGET INCR DEL EXISTS EXPIRE TTL
 * SCAN) for 15 s. Checked: no error reply and no dropped connection, every reply of
 * the expected type, INFO sees all the clients, and the server's memory levels off
 * (VmRSS sampled every second: after the warm-up it may not keep climbing).
 *
 * OMK_LOAD_CONNS and OMK_LOAD_SECONDS change the size (clients/README.md runs 2,000
 * connections for 10 minutes; raise `ulimit -n` first). Needs a server of its own:
 * skipped against an external one (OMK_TEST_SERVER). */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "tests/harness.h"
#include "tests/integ/tproc.h"

#define LOAD_THREADS 10
#define LOAD_KEYS 10000 /* string keys k:<n>; counters are ctr:<n>, n < LOAD_KEYS / 10 */
#define LOAD_BATCH 8    /* commands pipelined per connection per turn */

static struct tserver srv;
static int nconns, seconds;
static atomic_int stop;
static atomic_llong total_cmds, total_errors, total_bad_type, total_dropped;

/* One command of the mix, chosen by 'r'; appends it to 'c' and returns the reply type
 * it expects (REDIS_REPLY_* or -1 for "string or nil"). */
static int load_append(redisContext *c, unsigned r, const char *val)
{
    unsigned k = (r >> 8) % LOAD_KEYS;

    switch (r % 10) {
    case 0:
    case 1:
        redisAppendCommand(c, "SET k:%u %s", k, val);
        return REDIS_REPLY_STATUS;
    case 2:
    case 3:
        redisAppendCommand(c, "GET k:%u", k);
        return -1;
    case 4:
        redisAppendCommand(c, "MGET k:%u k:%u k:%u k:%u", k, (k + 1) % LOAD_KEYS,
                           (k + 2) % LOAD_KEYS, (k + 3) % LOAD_KEYS);
        return REDIS_REPLY_ARRAY;
    case 5:
        redisAppendCommand(c, "INCR ctr:%u", k % (LOAD_KEYS / 10));
        return REDIS_REPLY_INTEGER;
    case 6:
        redisAppendCommand(c, "DEL k:%u", k);
        return REDIS_REPLY_INTEGER;
    case 7:
        redisAppendCommand(c, "EXISTS k:%u", k);
        return REDIS_REPLY_INTEGER;
    case 8:
        if (r & 0x10000) {
            redisAppendCommand(c, "EXPIRE k:%u 30", k);
            return REDIS_REPLY_INTEGER;
        }
        redisAppendCommand(c, "TTL k:%u", k);
        return REDIS_REPLY_INTEGER;
    default:
        redisAppendCommand(c, "SCAN 0 MATCH k:%u* COUNT 20", k % 100);
        return REDIS_REPLY_ARRAY;
    }
}

/* A thread driving 'nconns / LOAD_THREADS' connections in turn, each a batch of
 * pipelined commands at a time, until 'stop'. */
static void *load_thread(void *arg)
{
    int id = (int)(intptr_t)arg, n = nconns / LOAD_THREADS;
    redisContext **cs = omk_calloc((size_t)n, sizeof(*cs));
    unsigned rng = (unsigned)id * 2654435761u + 1;
    char val[101];

    memset(val, 'a' + id % 26, 100);
    val[100] = '\0';
    for (int i = 0; i < n; i++)
        cs[i] = ts_connect(&srv);
    while (!atomic_load(&stop)) {
        for (int i = 0; i < n && !atomic_load(&stop); i++) {
            int want[LOAD_BATCH];

            if (!cs[i])
                continue;
            for (int b = 0; b < LOAD_BATCH; b++) {
                rng = rng * 1103515245u + 12345u;
                want[b] = load_append(cs[i], rng, val);
            }
            for (int b = 0; b < LOAD_BATCH; b++) {
                redisReply *r = NULL;

                if (redisGetReply(cs[i], (void **)&r) != REDIS_OK) {
                    atomic_fetch_add(&total_dropped, 1);
                    redisFree(cs[i]);
                    cs[i] = NULL;
                    break;
                }
                atomic_fetch_add(&total_cmds, 1);
                if (r->type == REDIS_REPLY_ERROR) {
                    if (atomic_fetch_add(&total_errors, 1) < 5)
                        diag("error reply: %s", r->str);
                } else if (want[b] < 0 ? r->type != REDIS_REPLY_STRING &&
                                             r->type != REDIS_REPLY_NIL
                                       : r->type != want[b]) {
                    atomic_fetch_add(&total_bad_type, 1);
                }
                freeReplyObject(r);
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (cs[i])
            redisFree(cs[i]);
    omk_free(cs);
    return NULL;
}

/* The positive integer in environment variable 'name', else 'def'. */
static int env_int(const char *name, int def)
{
    const char *v = getenv(name);

    return v && atoi(v) > 0 ? atoi(v) : def;
}

int main(void)
{
    const char *args[] = {"--rocksdb-write-buffer-size", "4mb", "--maxmemory", "64mb",
                          "--maxclients", "20000", NULL};
    pthread_t th[LOAD_THREADS];
    long *rss;
    int warm, clients = -1;
    long peak_late = 0;
    redisContext *c;
    redisReply *r;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("needs a server of its own (OMK_TEST_SERVER is set)");
    nconns = env_int("OMK_LOAD_CONNS", 500) / LOAD_THREADS * LOAD_THREADS;
    seconds = env_int("OMK_LOAD_SECONDS", 15);
    warm = seconds / 3;
    if (ts_start(&srv, args) != 0) {
        printf("Bail out! server did not start\n");
        return 1;
    }
    rss = omk_calloc((size_t)seconds + 1, sizeof(*rss));
    for (int t = 0; t < LOAD_THREADS; t++)
        omk_thread_create(&th[t], load_thread, (void *)(intptr_t)t);
    for (int s = 0; s <= seconds; s++) {
        if (s > 0)
            tp_sleep_ms(1000);
        rss[s] = tp_rss_kb(srv.pid);
        if (s == warm) {
            c = ts_connect(&srv);
            r = cmd(c, "INFO clients");
            if (r && r->type == REDIS_REPLY_STRING && strstr(r->str, "connected_clients:"))
                clients = atoi(strstr(r->str, "connected_clients:") + 18);
            freeReplyObject(r);
            redisFree(c);
        }
        if (s > warm && rss[s] > peak_late)
            peak_late = rss[s];
    }
    atomic_store(&stop, 1);
    for (int t = 0; t < LOAD_THREADS; t++)
        omk_thread_join(th[t]);

    diag("%d connections, %d s: %lld commands (%lld/s); VmRSS kB at 0, %d s, end: %ld %ld %ld",
         nconns, seconds, (long long)total_cmds, (long long)total_cmds / seconds, warm, rss[0],
         rss[warm], rss[seconds]);
    ok(total_cmds > 0, "%d connections ran %lld commands", nconns, (long long)total_cmds);
    is_int(total_errors, 0, "no error replies");
    is_int(total_bad_type, 0, "every reply of the expected type");
    is_int(total_dropped, 0, "no connection dropped");
    ok(clients > nconns, "INFO connected_clients counted all of them (%d)", clients);
    if (TS_SANITIZED)
        skip("memory levels off: a sanitizer build (VmRSS %ld kB after the warm-up, "
              "at most %ld kB after)", rss[warm], peak_late);
    else
        ok(peak_late - rss[warm] < rss[warm] / 4 + 16 * 1024,
           "memory levels off: VmRSS %ld kB after the warm-up, at most %ld kB after", rss[warm],
           peak_late);
    c = ts_connect(&srv);
    is_status(cmd(c, "PING"), "PONG", "the server still answers");
    redisFree(c);
    omk_free(rss);
    ts_cleanup(&srv);
    return tap_done();
}
