/* test_multi.c - transactions against a real server: MULTI/EXEC/DISCARD queueing and
 * replies, EXECABORT after a queuing error, runtime errors inside EXEC, WATCH across two
 * connections (a change by another client aborts EXEC; UNWATCH, another db, or no
 * change let it run; FLUSHDB counts as a change), and EXEC's isolation from the
 * commands of clients on every worker. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

static void test_queue_and_exec(redisContext *c)
{
    redisReply *r;

    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_error(cmd(c, "MULTI"), "ERR MULTI calls can not be nested", "nested MULTI");
    is_status(cmd(c, "SET t:a 1"), "QUEUED", "SET is queued");
    is_status(cmd(c, "GET t:a"), "QUEUED", "GET is queued");
    is_status(cmd(c, "SET t:b 2 EX notanumber"), "QUEUED", "a bad argument is only found at EXEC");
    is_status(cmd(c, "DEL t:nosuch"), "QUEUED", "DEL is queued");
    is_error(cmd(c, "WATCH t:a"), "ERR WATCH inside MULTI is not allowed", "WATCH inside MULTI");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
           r->element[0]->type == REDIS_REPLY_STATUS && !strcmp(r->element[0]->str, "OK") &&
           r->element[1]->type == REDIS_REPLY_STRING && !strcmp(r->element[1]->str, "1") &&
           r->element[2]->type == REDIS_REPLY_ERROR &&
           !strcmp(r->element[2]->str, "ERR value is not an integer or out of range") &&
           r->element[3]->type == REDIS_REPLY_INTEGER && r->element[3]->integer == 0,
       "EXEC replies each queued command in order, errors included");
    freeReplyObject(r);
    is_error(cmd(c, "EXEC"), "ERR EXEC without MULTI", "EXEC without MULTI");
    is_error(cmd(c, "DISCARD"), "ERR DISCARD without MULTI", "DISCARD without MULTI");

    is_status(cmd(c, "MULTI"), "OK", "MULTI again");
    is_status(cmd(c, "SET t:c 3"), "QUEUED", "SET queued");
    is_status(cmd(c, "DISCARD"), "OK", "DISCARD");
    is_nil(cmd(c, "GET t:c"), "a discarded command never ran");

    is_status(cmd(c, "MULTI"), "OK", "MULTI before a queuing error");
    is_status(cmd(c, "SET t:d 4"), "QUEUED", "SET queued");
    is_error(cmd(c, "SET t:d"), "ERR wrong number of arguments for 'set' command",
             "arity error while queuing");
    is_error(cmd(c, "NOSUCHCMD"), "ERR unknown command 'NOSUCHCMD', with args beginning with: ",
             "unknown command while queuing");
    is_error(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.",
             "EXEC after a queuing error");
    is_nil(cmd(c, "GET t:d"), "nothing of the aborted transaction ran");

    is_status(cmd(c, "MULTI"), "OK", "empty MULTI");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 0, "empty EXEC is an empty array");
    freeReplyObject(r);
}

static void test_watch(redisContext *c, redisContext *other)
{
    redisReply *r;

    is_status(cmd(c, "SET w:k v0"), "OK", "set the watched key");
    is_status(cmd(c, "WATCH w:k"), "OK", "WATCH");
    is_status(cmd(other, "SET w:k changed"), "OK", "another client changes it");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SET w:k mine"), "QUEUED", "queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_NIL, "EXEC after a watched key changed is a null array");
    freeReplyObject(r);
    is_str(cmd(c, "GET w:k"), "changed", 7, "the transaction did not run");

    is_status(cmd(c, "WATCH w:k"), "OK", "WATCH again");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "SET w:k mine"), "QUEUED", "queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "EXEC with no change runs");
    freeReplyObject(r);
    is_str(cmd(c, "GET w:k"), "mine", 4, "... and its write is there");

    is_status(cmd(c, "WATCH w:k"), "OK", "WATCH then UNWATCH");
    is_status(cmd(c, "UNWATCH"), "OK", "UNWATCH");
    is_status(cmd(other, "SET w:k again"), "OK", "a change after UNWATCH");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "GET w:k"), "QUEUED", "queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "UNWATCH forgets the key");
    freeReplyObject(r);

    is_status(cmd(c, "WATCH w:k"), "OK", "WATCH in db 0");
    is_status(cmd(other, "SELECT 1"), "OK", "other client in db 1");
    is_status(cmd(other, "SET w:k db1"), "OK", "same key name, other db");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "GET w:k"), "QUEUED", "queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1, "a change in another db is not a change");
    freeReplyObject(r);

    is_status(cmd(c, "WATCH w:k"), "OK", "WATCH before DEL by another client");
    is_integer(cmd(other, "DEL w:k"), 1, "other client deletes db 1's key");
    is_status(cmd(other, "SELECT 0"), "OK", "other back to db 0");
    is_integer(cmd(other, "DEL w:k"), 1, "other client deletes the watched key");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "GET w:k"), "QUEUED", "queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_NIL, "DEL of a watched key aborts EXEC");
    freeReplyObject(r);

    is_status(cmd(c, "SET w:k back"), "OK", "the watched key exists again");
    is_status(cmd(c, "WATCH w:k"), "OK", "WATCH an existing key");
    is_status(cmd(other, "FLUSHDB"), "OK", "other client flushes the db");
    is_status(cmd(c, "MULTI"), "OK", "MULTI");
    is_status(cmd(c, "PING"), "QUEUED", "queued");
    r = cmd(c, "EXEC");
    ok(r && r->type == REDIS_REPLY_NIL, "FLUSHDB aborts EXEC of a watcher of that db");
    freeReplyObject(r);
}

#define ISO_WRITERS 3    /* connections INCRing while EXECs run: both workers get some */
#define ISO_BATCH 100    /* INCRs a writer pipelines at a time */
#define ISO_INCRS 20000  /* INCRs per writer */
#define ISO_EXECS 200
#define ISO_GETS 20      /* GETs per transaction */

/* One writer of test_exec_isolation: ISO_INCRS INCRs of t:iso on its own connection,
 * pipelined ISO_BATCH at a time so that they come fast. */
struct iso_writer {
    redisContext *c;
    pthread_t thread;
    int failed; /* replies that were not integers, or did not come */
};

static void *iso_writer_main(void *arg)
{
    struct iso_writer *w = arg;

    for (int i = 0; i < ISO_INCRS; i += ISO_BATCH) {
        for (int j = 0; j < ISO_BATCH; j++)
            redisAppendCommand(w->c, "INCR t:iso");
        w->failed += ts_read_replies(w->c, ISO_BATCH, REDIS_REPLY_INTEGER);
    }
    return NULL;
}

/* While clients on every worker INCR a key, each EXEC of MULTI and ISO_GETS GETs of it
 * must see one value: no command of another client runs between a transaction's
 * commands. (With EXEC's lock made a no-op, 54 of the 200 saw several values.) */
static void test_exec_isolation(const struct tserver *s, redisContext *c)
{
    struct iso_writer w[ISO_WRITERS];
    int torn = 0, bad = 0, failed = 0;
    redisReply *r;

    freeReplyObject(cmd(c, "SET t:iso 0"));
    for (int i = 0; i < ISO_WRITERS; i++) {
        w[i].c = ts_connect(s);
        w[i].failed = 0;
        if (pthread_create(&w[i].thread, NULL, iso_writer_main, &w[i]) != 0)
            abort();
    }
    for (int i = 0; i < ISO_EXECS; i++) {
        int same = 1;

        freeReplyObject(cmd(c, "MULTI"));
        for (int j = 0; j < ISO_GETS; j++)
            freeReplyObject(cmd(c, "GET t:iso"));
        r = cmd(c, "EXEC");
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != ISO_GETS) {
            bad++;
            freeReplyObject(r);
            continue;
        }
        for (size_t j = 0; j < r->elements; j++)
            same &= r->element[j]->type == REDIS_REPLY_STRING &&
                    !strcmp(r->element[j]->str, r->element[0]->str);
        torn += !same;
        freeReplyObject(r);
    }
    for (int i = 0; i < ISO_WRITERS; i++) {
        pthread_join(w[i].thread, NULL);
        failed += w[i].failed;
        redisFree(w[i].c);
    }
    ok(bad == 0 && torn == 0, "%d EXECs of %d GETs among INCRs saw one value each (%d torn, "
       "%d bad)", ISO_EXECS, ISO_GETS, torn, bad);
    r = cmd(c, "GET t:iso");
    ok(failed == 0 && r && r->type == REDIS_REPLY_STRING &&
           atoll(r->str) == (long long)ISO_WRITERS * ISO_INCRS,
       "every INCR ran once (%d failed)", failed);
    freeReplyObject(r);
    freeReplyObject(cmd(c, "DEL t:iso"));
}

int main(void)
{
    struct tserver s;
    redisContext *c, *other;

    c = ts_begin(&s, NULL, 0);
    other = ts_connect(&s);
    test_queue_and_exec(c);
    test_watch(c, other);
    test_exec_isolation(&s, c);
    redisFree(c);
    redisFree(other);
    ts_cleanup(&s);
    return tap_done();
}
