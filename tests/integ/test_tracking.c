/* test_tracking.c - client-side caching against a real server with two worker threads
 * (consecutive connections go to different workers, so the tracking client and the
 * writer mostly sit on different ones): CLIENT TRACKING's options and errors, CLIENT
 * CACHING, GETREDIR, TRACKINGINFO; invalidations as RESP3 pushes on the tracking
 * connection and as __redis__:invalidate messages to a RESP2 REDIRECT target, none to
 * a RESP2 client without one; the broken redirect; BCAST with prefixes; OPTIN and
 * OPTOUT; NOLOOP; active and lazy expiry; FLUSHDB and FLUSHALL; MULTI/EXEC; RESET;
 * CLIENT LIST's flags and redir; INFO; tracking-table-max-keys. RESP3 replies are checked as raw bytes (Debian's hiredis has
 * no RESP3). Where a change must send nothing, the next message that must come is
 * checked to be the very next bytes, so nothing extra can hide in between. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/integ/traw.h"

/* Read from 'fd' until what came ends with 'tail' (a reply of unknown length before a
 * known one); 1 if it did. */
static int px_until(int fd, const char *tail)
{
    char out[16384];
    size_t got = 0, tl = strlen(tail);

    while (got < sizeof(out) - 1) {
        size_t n = px_read(fd, out + got, 1, 10000, NULL);

        if (n == 0)
            return 0;
        got += n;
        if (got >= tl && memcmp(out + got - tl, tail, tl) == 0)
            return 1;
    }
    return 0;
}

/* A raw connection speaking RESP3. */
static int px_resp3(const struct tserver *s)
{
    int fd = ts_raw_connect(s);

    px_send(fd, "HELLO 3");
    px_send(fd, "PING");
    if (!px_until(fd, "+PONG\r\n"))
        diag("HELLO 3 did not answer");
    return fd;
}

/* The id of raw connection 'fd' (CLIENT ID). */
static long long px_id(int fd)
{
    char out[64];
    size_t got = 0;

    px_send(fd, "CLIENT ID");
    while (got < sizeof(out) - 1 && px_read(fd, out + got, 1, 10000, NULL) == 1) {
        got++;
        if (got >= 2 && out[got - 2] == '\r' && out[got - 1] == '\n')
            break;
    }
    out[got] = '\0';
    return out[0] == ':' ? strtoll(out + 1, NULL, 10) : -1;
}

/* The push invalidating key 'k' ('buf' holds it). */
static const char *inv(char *buf, size_t cap, const char *k)
{
    snprintf(buf, cap, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$%zu\r\n%s\r\n", strlen(k), k);
    return buf;
}

/* The same as a RESP2 message on __redis__:invalidate. */
static const char *inv_msg(char *buf, size_t cap, const char *k)
{
    snprintf(buf, cap, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$%zu\r\n%s\r\n",
             strlen(k), k);
    return buf;
}

/* Wait until no client with id 'id' is listed (a closed connection is noticed by the
 * server asynchronously). */
static void wait_gone(redisContext *c, long long id)
{
    for (int i = 0; i < 1000; i++) {
        redisReply *r = cmd(c, "CLIENT LIST ID %lld", id);
        int gone = r && r->type == REDIS_REPLY_STRING && r->len == 0;

        freeReplyObject(r);
        if (gone)
            return;
        ts_sleep_ms(10);
    }
    diag("client %lld still listed", id);
}

/* The CLIENT LIST line of client 'id' contains 'field'. */
static void list_has(redisContext *c, long long id, const char *field, const char *name)
{
    redisReply *r = cmd(c, "CLIENT LIST ID %lld", id);

    if (!ok(r && r->type == REDIS_REPLY_STRING && strstr(r->str, field), "%s", name))
        diag("  got '%s', want '%s'", r && r->str ? r->str : "(none)", field);
    freeReplyObject(r);
}

/* The id of hiredis connection 'c'. */
static long long ctx_id(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT ID");
    long long id = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    freeReplyObject(r);
    return id;
}

static void test_errors(redisContext *c, const struct tserver *s)
{
    redisContext *t = ts_connect(s);
    long long id = ctx_id(c), tid = ctx_id(t);
    redisReply *r;

    is_error(cmd(t, "CLIENT TRACKING"), "ERR wrong number of arguments for 'client|tracking' command",
             "CLIENT TRACKING needs ON or OFF");
    is_error(cmd(t, "CLIENT TRACKING maybe"), "ERR syntax error", "neither ON nor OFF");
    is_error(cmd(t, "CLIENT TRACKING on foo"), "ERR syntax error", "an unknown option");
    is_error(cmd(t, "CLIENT TRACKING on REDIRECT"), "ERR syntax error",
             "REDIRECT without its id");
    is_error(cmd(t, "CLIENT TRACKING on REDIRECT abc"),
             "ERR value is not an integer or out of range", "REDIRECT to a non-number");
    is_error(cmd(t, "CLIENT TRACKING on REDIRECT 999999"),
             "ERR The client ID you want redirect to does not exist", "REDIRECT to nobody");
    is_error(cmd(t, "CLIENT TRACKING on REDIRECT 0"),
             "ERR The client ID you want redirect to does not exist", "REDIRECT 0");
    is_error(cmd(t, "CLIENT TRACKING on REDIRECT %lld REDIRECT %lld", id, id),
             "ERR A client can only redirect to a single other client", "two REDIRECTs");
    is_error(cmd(t, "CLIENT TRACKING on PREFIX a"),
             "ERR PREFIX option requires BCAST mode to be enabled", "PREFIX without BCAST");
    is_error(cmd(t, "CLIENT TRACKING on BCAST OPTIN"),
             "ERR OPTIN and OPTOUT are not compatible with BCAST", "BCAST with OPTIN");
    is_error(cmd(t, "CLIENT TRACKING on OPTIN OPTOUT"),
             "ERR You can't specify both OPTIN mode and OPTOUT mode", "OPTIN with OPTOUT");
    is_error(cmd(t, "CLIENT TRACKING on BCAST PREFIX ab PREFIX a"),
             "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single "
             "client must not overlap.",
             "overlapping prefixes in one call");
    is_error(cmd(t, "CLIENT CACHING yes"),
             "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
             "OPTIN or OPTOUT mode enabled",
             "CLIENT CACHING with tracking off");
    is_error(cmd(t, "CLIENT CACHING yes extra"),
             "ERR wrong number of arguments for 'client|caching' command", "CLIENT CACHING arity");
    is_error(cmd(t, "CLIENT GETREDIR x"),
             "ERR wrong number of arguments for 'client|getredir' command", "GETREDIR arity");
    is_integer(cmd(t, "CLIENT GETREDIR"), -1, "GETREDIR with tracking off: -1");
    r = cmd(t, "CLIENT TRACKINGINFO");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
           r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 1 &&
           !strcmp(r->element[1]->element[0]->str, "off") && r->element[3]->integer == -1 &&
           r->element[5]->elements == 0,
       "TRACKINGINFO off: flags [off], redirect -1, prefixes []");
    freeReplyObject(r);
    is_status(cmd(t, "CLIENT TRACKING off"), "OK", "OFF when it is off");
    is_status(cmd(t, "CLIENT TRACKING on"), "OK", "ON (RESP2, no redirect: accepted)");
    is_integer(cmd(t, "CLIENT GETREDIR"), 0, "GETREDIR without REDIRECT: 0");
    is_error(cmd(t, "CLIENT TRACKING on BCAST"),
             "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
             "and then re-enabling it with a different mode.",
             "no switch to BCAST while on");
    is_error(cmd(t, "CLIENT CACHING yes"),
             "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
             "CACHING YES needs OPTIN");
    is_status(cmd(t, "CLIENT TRACKING on OPTIN"), "OK", "ON again, OPTIN");
    is_error(cmd(t, "CLIENT TRACKING on OPTOUT"),
             "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
             "and then re-enabling it with a different mode.",
             "no switch from OPTIN to OPTOUT while on");
    is_error(cmd(t, "CLIENT CACHING no"),
             "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
             "CACHING NO needs OPTOUT");
    is_error(cmd(t, "CLIENT CACHING maybe"), "ERR syntax error", "CACHING maybe");
    is_status(cmd(t, "CLIENT TRACKING off"), "OK", "OFF");
    is_status(cmd(t, "CLIENT TRACKING on BCAST PREFIX a"), "OK", "BCAST PREFIX a");
    is_error(cmd(t, "CLIENT TRACKING on BCAST PREFIX ab"),
             "ERR Prefix 'ab' overlaps with an existing prefix 'a'. Prefixes for a single client "
             "must not overlap.",
             "a prefix overlapping one followed already");
    is_status(cmd(t, "CLIENT TRACKING on BCAST PREFIX b"), "OK", "another prefix is added");
    r = cmd(t, "CLIENT TRACKINGINFO");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6 && r->element[1]->elements == 2 &&
           !strcmp(r->element[1]->element[0]->str, "on") &&
           !strcmp(r->element[1]->element[1]->str, "bcast") && r->element[3]->integer == 0 &&
           r->element[5]->elements == 2 && !strcmp(r->element[5]->element[0]->str, "a") &&
           !strcmp(r->element[5]->element[1]->str, "b"),
       "TRACKINGINFO: [on bcast], redirect 0, prefixes [a b]");
    freeReplyObject(r);
    redisFree(t);
    wait_gone(c, tid);
}

/* The RESP3 push on the tracking connection; the writer sits on the other worker. */
static void test_resp3_push(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s);
    redisContext *w2 = ts_connect(s);
    char b[256];

    px_send(t, "CLIENT TRACKING on");
    px_expect(t, "+OK\r\n", "RESP3: CLIENT TRACKING on");
    is_status(cmd(w, "SET t3:k v1"), "OK", "the writer sets the key");
    px_send(t, "GET t3:k");
    px_expect(t, "$2\r\nv1\r\n", "the tracking client reads it");
    is_status(cmd(w, "SET t3:k v2"), "OK", "another client changes it");
    px_expect(t, inv(b, sizeof(b), "t3:k"), "the tracking client is told: a push");
    is_status(cmd(w, "SET t3:k v3"), "OK", "a second change, not read since");
    px_send(t, "GET t3:other");
    px_expect(t, "_\r\n", "it reads another key");
    is_status(cmd(w2, "SET t3:other x"), "OK", "a writer on the other worker changes that one");
    px_expect(t, inv(b, sizeof(b), "t3:other"),
              "... and that is the next push: the unread key sent nothing");
    /* a key read by MGET, and a write by a command of another type */
    px_send(t, "MGET t3:a t3:b");
    px_expect(t, "*2\r\n_\r\n_\r\n", "MGET of two keys");
    is_integer(cmd(w, "DEL t3:b"), 0, "DEL of a missing key changes nothing");
    is_integer(cmd(w, "RPUSH t3:a x"), 1, "RPUSH creates t3:a");
    px_expect(t, inv(b, sizeof(b), "t3:a"), "the key MGET read is invalidated");
    /* its own write comes back after its reply */
    px_send(t, "GET t3:self");
    px_expect(t, "_\r\n", "reads t3:self");
    px_send(t, "SET t3:self 1");
    snprintf(b, sizeof(b), "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\nt3:self\r\n");
    px_expect(t, b, "its own write: the reply, then the push");
    /* MULTI: the push follows EXEC's reply */
    px_send(t, "GET t3:m");
    px_expect(t, "_\r\n", "reads t3:m");
    px_send(t, "MULTI");
    px_send(t, "SET t3:m 1");
    px_send(t, "EXEC");
    snprintf(b, sizeof(b), "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\n"
                           "t3:m\r\n");
    px_expect(t, b, "its own write in EXEC: the push after EXEC's reply");
    px_send(t, "GET t3:w");
    px_expect(t, "_\r\n", "reads t3:w");
    is_status(cmd(w, "MULTI"), "OK", "the writer: MULTI");
    is_status(cmd(w, "SET t3:w 1"), "QUEUED", "SET queued");
    freeReplyObject(cmd(w, "EXEC"));
    px_expect(t, inv(b, sizeof(b), "t3:w"), "another client's EXEC invalidates");
    /* the tracking client in CLIENT LIST */
    {
        long long id = px_id(t);

        list_has(w, id, " flags=t ", "CLIENT LIST: flags=t");
        list_has(w, id, " redir=0 ", "CLIENT LIST: redir=0 without REDIRECT");
        list_has(w, id, " resp=3", "CLIENT LIST: resp=3");
    }
    ok(ts_info_field(w, "clients", "tracking_clients") == 1, "INFO tracking_clients");
    ok(ts_info_field(w, "stats", "tracking_total_keys") >= 0, "INFO tracking_total_keys");
    /* RESET turns it off */
    px_send(t, "RESET");
    px_expect(t, "+RESET\r\n", "RESET");
    px_send(t, "CLIENT TRACKINGINFO");
    px_expect(t, "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
              "after RESET: tracking off (and RESP2)");
    ok(ts_info_field(w, "clients", "tracking_clients") == 0, "INFO tracking_clients: 0");
    redisFree(w2);
    close(t);
}

/* A RESP2 client redirecting to a subscribed RESP2 connection; then the target goes. */
static void test_redirect(redisContext *w, const struct tserver *s)
{
    int r = ts_raw_connect(s), r3;
    redisContext *t = ts_connect(s);
    long long rid = px_id(r), tid, r3id;
    char b[256];
    redisReply *rep;
    int t3;

    px_send(r, "SUBSCRIBE __redis__:invalidate");
    px_expect(r, "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
              "the target subscribes to __redis__:invalidate");
    is_status(cmd(t, "CLIENT TRACKING on REDIRECT %lld", rid), "OK", "REDIRECT to it");
    is_integer(cmd(t, "CLIENT GETREDIR"), rid, "GETREDIR names it");
    tid = ctx_id(t);
    snprintf(b, sizeof(b), " redir=%lld ", rid);
    list_has(w, tid, b, "CLIENT LIST: redir=<target>");
    freeReplyObject(cmd(t, "GET rd:k"));
    is_status(cmd(w, "SET rd:k 1"), "OK", "another client writes the key");
    px_expect(r, inv_msg(b, sizeof(b), "rd:k"), "the target gets a pub/sub message");
    freeReplyObject(cmd(t, "GET rd:k"));
    is_status(cmd(t, "SET rd:k 2"), "OK", "the tracking client writes it itself");
    px_expect(r, inv_msg(b, sizeof(b), "rd:k"), "... which is sent too (no NOLOOP)");
    freeReplyObject(cmd(t, "MGET rd:x rd:y"));
    is_status(cmd(w, "SET rd:y 2"), "OK", "a key MGET read changes");
    px_expect(r, inv_msg(b, sizeof(b), "rd:y"), "its message");
    is_status(cmd(w, "SET rd:x 2"), "OK", "the other one");
    px_expect(r, inv_msg(b, sizeof(b), "rd:x"), "its message");
    /* the target goes away */
    close(r);
    wait_gone(w, rid);
    freeReplyObject(cmd(t, "GET rd:k"));
    is_status(cmd(w, "SET rd:k 3"), "OK", "a write once the target is gone");
    list_has(w, tid, " flags=tR ", "CLIENT LIST: flags=tR (broken redirect)");
    rep = cmd(t, "CLIENT TRACKINGINFO");
    ok(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 6 &&
           rep->element[1]->elements == 2 &&
           !strcmp(rep->element[1]->element[1]->str, "broken_redirect") &&
           rep->element[3]->integer == rid,
       "TRACKINGINFO: broken_redirect");
    freeReplyObject(rep);
    redisFree(t);

    /* RESP3: the tracking connection is told its redirect broke */
    r3 = ts_raw_connect(s);
    r3id = px_id(r3);
    t3 = px_resp3(s);
    snprintf(b, sizeof(b), "CLIENT TRACKING on REDIRECT %lld", r3id);
    px_send(t3, b);
    px_expect(t3, "+OK\r\n", "RESP3 client redirects to a RESP2 connection");
    px_send(t3, "GET rd:b");
    px_expect(t3, "_\r\n", "reads rd:b");
    close(r3);
    wait_gone(w, r3id);
    is_status(cmd(w, "SET rd:b 1"), "OK", "a write once the target is gone");
    snprintf(b, sizeof(b), ">2\r\n$21\r\ntracking-redir-broken\r\n:%lld\r\n", r3id);
    px_expect(t3, b, "RESP3: a tracking-redir-broken push naming the target");
    close(t3);
}

/* A RESP3 redirect target needs no subscription; a RESP2 one without it gets nothing. */
static void test_redirect_resp3_target(redisContext *w, const struct tserver *s)
{
    int r = px_resp3(s);
    redisContext *t = ts_connect(s);
    long long rid = px_id(r);
    char b[256];

    is_status(cmd(t, "CLIENT TRACKING on REDIRECT %lld", rid), "OK", "REDIRECT to RESP3");
    freeReplyObject(cmd(t, "GET r3:k"));
    is_status(cmd(w, "SET r3:k 1"), "OK", "a write");
    px_expect(r, inv(b, sizeof(b), "r3:k"), "the RESP3 target gets a push");
    redisFree(t);
    close(r);
}

/* RESP2 without REDIRECT: tracking is on, but there is no way to tell it; HELLO 3 turns
 * the pushes on for the keys read from then on. */
static void test_resp2_then_resp3(redisContext *w, const struct tserver *s)
{
    int t = ts_raw_connect(s);
    char b[256];

    px_send(t, "CLIENT TRACKING on");
    px_expect(t, "+OK\r\n", "RESP2: tracking on without REDIRECT");
    px_send(t, "GET h2:k");
    px_expect(t, "$-1\r\n", "reads h2:k");
    is_status(cmd(w, "SET h2:k 1"), "OK", "another client writes it");
    px_send(t, "GET h2:k");
    px_expect(t, "$1\r\n1\r\n", "RESP2: no message came, only the reply");
    px_send(t, "HELLO 3");
    px_send(t, "PING");
    ok(px_until(t, "+PONG\r\n"), "HELLO 3");
    px_send(t, "GET h2:j");
    px_expect(t, "_\r\n", "reads h2:j in RESP3");
    is_status(cmd(w, "SET h2:j 1"), "OK", "another client writes it");
    px_expect(t, inv(b, sizeof(b), "h2:j"), "now a push comes");
    close(t);
}

static void test_bcast(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s), n = px_resp3(s);
    redisContext *w2 = ts_connect(s);
    long long id;

    px_send(t, "CLIENT TRACKING on BCAST PREFIX bu: PREFIX bo:");
    px_expect(t, "+OK\r\n", "BCAST with two prefixes");
    px_send(t, "CLIENT TRACKINGINFO");
    px_expect(t, "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
                 "$8\r\nprefixes\r\n*2\r\n$3\r\nbo:\r\n$3\r\nbu:\r\n",
              "RESP3 TRACKINGINFO: a map, flags as a set, prefixes sorted");
    is_status(cmd(w, "MSET bu:2 a bu:1 b zz 1"), "OK", "MSET of two followed keys and another");
    px_expect(t, ">2\r\n$10\r\ninvalidate\r\n*2\r\n$4\r\nbu:1\r\n$4\r\nbu:2\r\n",
              "one message for the prefix, keys sorted, none read before");
    is_status(cmd(w2, "SET bo:x 1"), "OK", "a write under the other prefix, other worker");
    px_expect(t, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nbo:x\r\n", "its message");
    px_send(t, "SET bu:self 1");
    px_expect(t, "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\nbu:self\r\n",
              "its own write (no NOLOOP): after its reply");
    id = px_id(t);
    list_has(w, id, " flags=tB ", "CLIENT LIST: flags=tB");
    ok(ts_info_field(w, "stats", "tracking_total_prefixes") == 2, "INFO tracking_total_prefixes");

    /* NOLOOP */
    px_send(n, "CLIENT TRACKING on BCAST NOLOOP PREFIX bn:");
    px_expect(n, "+OK\r\n", "BCAST NOLOOP");
    px_send(n, "SET bn:own 1");
    px_expect(n, "+OK\r\n", "its own write");
    is_status(cmd(w, "SET bn:their 1"), "OK", "another client's write");
    px_expect(n, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$8\r\nbn:their\r\n",
              "NOLOOP: only the other client's key is sent");
    px_send(n, "MSET bn:a 1 bn:b 2");
    px_expect(n, "+OK\r\n", "its own MSET");
    px_send(n, "PING");
    px_expect(n, "+PONG\r\n", "... sends it nothing");
    px_send(n, "CLIENT TRACKING off");
    px_expect(n, "+OK\r\n", "off");
    ok(ts_info_field(w, "stats", "tracking_total_prefixes") == 2,
       "the prefix nobody follows is gone");
    close(n);
    close(t);
    redisFree(w2);
}

static void test_optin_optout(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s);
    char b[256];

    px_send(t, "CLIENT TRACKING on OPTIN");
    px_expect(t, "+OK\r\n", "OPTIN");
    px_send(t, "GET oi:a");
    px_expect(t, "_\r\n", "a read without CACHING yes");
    px_send(t, "CLIENT CACHING yes");
    px_expect(t, "+OK\r\n", "CLIENT CACHING yes");
    px_send(t, "CLIENT TRACKINGINFO");
    px_expect(t, "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n"
                 "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
              "TRACKINGINFO: on optin caching-yes (CLIENT commands keep the flag)");
    px_send(t, "GET oi:b");
    px_expect(t, "_\r\n", "the read after it");
    px_send(t, "GET oi:c");
    px_expect(t, "_\r\n", "and one more, the flag spent");
    is_status(cmd(w, "SET oi:a 1"), "OK", "the first changes");
    is_status(cmd(w, "SET oi:c 1"), "OK", "the third");
    is_status(cmd(w, "SET oi:b 1"), "OK", "the second");
    px_expect(t, inv(b, sizeof(b), "oi:b"), "only the key read after CACHING yes is sent");
    /* CACHING yes covers a whole transaction */
    px_send(t, "CLIENT CACHING yes");
    px_send(t, "MULTI");
    px_send(t, "GET oi:m1");
    px_send(t, "GET oi:m2");
    px_send(t, "EXEC");
    px_expect(t, "+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n_\r\n_\r\n", "CACHING yes, MULTI");
    is_status(cmd(w, "SET oi:m2 1"), "OK", "one changes");
    px_expect(t, inv(b, sizeof(b), "oi:m2"), "it was tracked");
    is_status(cmd(w, "SET oi:m1 1"), "OK", "the other changes");
    px_expect(t, inv(b, sizeof(b), "oi:m1"), "it was tracked too");
    px_send(t, "CLIENT TRACKING off");
    px_expect(t, "+OK\r\n", "off");

    px_send(t, "CLIENT TRACKING on OPTOUT");
    px_expect(t, "+OK\r\n", "OPTOUT");
    px_send(t, "CLIENT CACHING no");
    px_expect(t, "+OK\r\n", "CLIENT CACHING no");
    px_send(t, "GET oo:a");
    px_expect(t, "_\r\n", "a read after CACHING no");
    px_send(t, "GET oo:b");
    px_expect(t, "_\r\n", "a read after that");
    is_status(cmd(w, "SET oo:a 1"), "OK", "the first changes");
    is_status(cmd(w, "SET oo:b 1"), "OK", "then the second");
    px_expect(t, inv(b, sizeof(b), "oo:b"), "only the key read without CACHING no is sent");
    close(t);
}

static void test_noloop(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s);
    char b[256];

    px_send(t, "CLIENT TRACKING on NOLOOP");
    px_expect(t, "+OK\r\n", "NOLOOP");
    px_send(t, "GET nl:k");
    px_expect(t, "_\r\n", "reads nl:k");
    px_send(t, "SET nl:k 1");
    px_send(t, "GET nl:k");
    px_expect(t, "+OK\r\n$1\r\n1\r\n", "its own write sends it nothing");
    is_status(cmd(w, "SET nl:k 2"), "OK", "another client's write");
    px_expect(t, inv(b, sizeof(b), "nl:k"), "is sent");
    close(t);
}

static void test_expiry(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s);
    redisReply *r;
    char b[256];

    is_status(cmd(w, "SET ex:a v PX 2000"), "OK", "a key that expires soon");
    px_send(t, "CLIENT TRACKING on");
    px_expect(t, "+OK\r\n", "tracking on");
    px_send(t, "GET ex:a");
    px_expect(t, "$1\r\nv\r\n", "read while it lives");
    px_expect(t, inv(b, sizeof(b), "ex:a"), "active expiry invalidates it");

    is_status(cmd(w, "DEBUG SET-ACTIVE-EXPIRE 0"), "OK", "active expiry off");
    is_status(cmd(w, "SET ex:b v PX 1000"), "OK", "another key that expires soon");
    px_send(t, "GET ex:b");
    px_expect(t, "$1\r\nv\r\n", "read while it lives");
    ts_sleep_ms(1100);
    r = cmd(w, "GET ex:b");
    ok(r && r->type == REDIS_REPLY_NIL, "another client's read finds it expired");
    freeReplyObject(r);
    px_expect(t, inv(b, sizeof(b), "ex:b"), "lazy expiry invalidates it");
    is_status(cmd(w, "DEBUG SET-ACTIVE-EXPIRE 1"), "OK", "active expiry on");
    close(t);
}

static void test_flush(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s), bc = px_resp3(s);
    redisContext *r2 = ts_connect(s);
    long long rid = ctx_id(r2);
    redisContext *t2 = ts_connect(s);
    char b[256];

    px_send(t, "CLIENT TRACKING on");
    px_expect(t, "+OK\r\n", "tracking on");
    px_send(bc, "CLIENT TRACKING on BCAST PREFIX fl:");
    px_expect(bc, "+OK\r\n", "a BCAST client");
    freeReplyObject(cmd(r2, "SUBSCRIBE __redis__:invalidate"));
    is_status(cmd(t2, "CLIENT TRACKING on REDIRECT %lld", rid), "OK", "a RESP2 redirecting client");
    px_send(t, "GET fl:k");
    px_expect(t, "_\r\n", "reads fl:k");
    is_status(cmd(w, "SET fl:k 1"), "OK", "a write");
    px_expect(t, inv(b, sizeof(b), "fl:k"), "invalidated");
    px_expect(bc, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nfl:k\r\n", "BCAST too");
    is_status(cmd(w, "FLUSHDB"), "OK", "FLUSHDB");
    px_expect(t, ">2\r\n$10\r\ninvalidate\r\n_\r\n", "FLUSHDB: a null invalidation");
    px_expect(bc, ">2\r\n$10\r\ninvalidate\r\n_\r\n", "... to BCAST clients too");
    {
        redisReply *m = NULL;

        ok(redisGetReply(r2, (void **)&m) == REDIS_OK && m && m->type == REDIS_REPLY_ARRAY &&
               m->elements == 3 && !strcmp(m->element[1]->str, "__redis__:invalidate") &&
               m->element[2]->type == REDIS_REPLY_NIL,
           "... and a RESP2 message with a null to the redirect target");
        freeReplyObject(m);
    }
    is_status(cmd(w, "FLUSHALL"), "OK", "FLUSHALL of an empty server");
    px_expect(t, ">2\r\n$10\r\ninvalidate\r\n_\r\n", "a null invalidation still");
    px_expect(bc, ">2\r\n$10\r\ninvalidate\r\n_\r\n", "... to BCAST clients too");
    px_send(t, "FLUSHALL");
    px_expect(t, "+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n", "its own FLUSHALL: after the reply");
    px_expect(bc, ">2\r\n$10\r\ninvalidate\r\n_\r\n", "BCAST client told");
    redisFree(t2);
    redisFree(r2);
    close(bc);
    close(t);
}

/* Last: the table's limit evicts keys (invalidating them) for every tracking client. */
static void test_table_limit(redisContext *w, const struct tserver *s)
{
    int t = px_resp3(s);
    redisReply *r;
    char out[256];
    size_t n;

    r = cmd(w, "CONFIG GET tracking-table-max-keys");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[1]->str, "1000000"),
       "tracking-table-max-keys defaults to 1000000");
    freeReplyObject(r);
    is_error(cmd(w, "CONFIG SET tracking-table-max-keys -1"),
             "ERR CONFIG SET failed (possibly related to argument 'tracking-table-max-keys') - "
             "argument must be between 0 and 9223372036854775807 inclusive",
             "a negative limit is refused");
    is_status(cmd(w, "CONFIG SET tracking-table-max-keys 1"), "OK", "limit 1");
    px_send(t, "CLIENT TRACKING on");
    px_expect(t, "+OK\r\n", "tracking on");
    px_send(t, "GET lim:a");
    px_expect(t, "_\r\n", "reads lim:a");
    px_send(t, "GET lim:b");
    /* Redis evicts a random key, omenkv the oldest */
    n = px_read(t, out, 39, 10000, NULL);
    if (!ok(n == 39 && (!memcmp(out, "_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\nlim:a\r\n", 39) ||
                        !memcmp(out, "_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\nlim:b\r\n", 39)),
            "the second key read overflows the table: one of the two is invalidated"))
        diag("  got '%.*s'", (int)n, out);
    is_status(cmd(w, "CONFIG SET tracking-table-max-keys 1000000"), "OK", "limit back");
    close(t);
}

int main(void)
{
    const char *args[] = {"--io-threads", "2", NULL};
    struct tserver s;
    redisContext *c;

    c = ts_begin(&s, args, 1);
    test_errors(c, &s);
    test_resp3_push(c, &s);
    test_redirect(c, &s);
    test_redirect_resp3_target(c, &s);
    test_resp2_then_resp3(c, &s);
    test_bcast(c, &s);
    test_optin_optout(c, &s);
    test_noloop(c, &s);
    test_expiry(c, &s);
    test_flush(c, &s);
    test_table_limit(c, &s);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
