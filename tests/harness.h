/* harness.h - what integration tests share: start a real omenkv-server on a free
 * loopback port in a fresh temp directory, wait until it answers PING, connect with
 * hiredis, restart or kill it, check replies, read INFO fields, collect pipelined
 * replies and walk a whole SCAN. OMK_TEST_SERVER=host:port makes the tests use a server
 * that is already running instead (for gdb). */
#ifndef OMK_TESTS_HARNESS_H
#define OMK_TESTS_HARNESS_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>
#include <string.h>

#include "tests/tap.h"

/* 1 in a sanitizer build (the server under test is the same build). Such a server keeps
 * shadow memory and a quarantine of freed blocks (256 MB by default under ASan) in its
 * resident set, which grows with every allocation until the quarantine is full: bounds
 * on its memory do not apply there. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TS_SANITIZED 1
#else
#define TS_SANITIZED 0
#endif

struct tserver {
    pid_t pid;            /* 0 when external or stopped */
    char host[64];
    int port;
    char dir[256];        /* data directory */
    char log[300];        /* the server's log file */
    const char *conf;     /* config file given first (ts_start_conf), or NULL; borrowed */
    const char **args;    /* extra "--name value" arguments, NULL-terminated, borrowed */
    int external;         /* OMK_TEST_SERVER was set */
};

/* Start a server in a new temp dir with extra arguments 'args' (NULL-terminated list of
 * strings, may be NULL). Returns 0, or -1 after printing a diagnostic. */
int ts_start(struct tserver *s, const char **args);

/* As ts_start, with the config file 'conf' as the server's first argument (as
 * redis-server takes it), before the harness's "--port ..." options. 0 or -1. */
int ts_start_conf(struct tserver *s, const char *conf, const char **args);

/* Start again on the same data dir (after ts_stop or ts_kill9). 0 or -1. */
int ts_restart(struct tserver *s);

/* SIGTERM and wait for exit; returns the exit status (or -1). */
int ts_stop(struct tserver *s);

/* SIGKILL and reap. */
void ts_kill9(struct tserver *s);

/* Stop if running and remove the data dir. */
void ts_cleanup(struct tserver *s);

/* A new hiredis connection (exits the test on failure). */
redisContext *ts_connect(const struct tserver *s);

/* A raw TCP socket connected to the server (for protocol-level tests), or -1. */
int ts_raw_connect(const struct tserver *s);

/* Send 'req'/'len' on a new raw connection and read until 'want' bytes arrived, the
 * peer closed or 'timeout_ms' passed. Returns bytes read into 'out' (NUL-terminated,
 * cap includes the NUL); '*closed' is set when the peer closed the connection. */
size_t ts_raw_roundtrip(const struct tserver *s, const void *req, size_t len, char *out, size_t cap,
                        size_t want, int timeout_ms, int *closed);

/* Run a command (hiredis printf-style) and return its reply (caller frees). */
redisReply *cmd(redisContext *c, const char *fmt, ...);


/* Run a shell command; returns its exit status. */
int ts_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sleep at least 'ms' milliseconds (going back to sleep after a signal). */
void ts_sleep_ms(int ms);

/* The integer after "<name>:" on a line of the reply to INFO 'section' (the field's
 * whole name, not a suffix of another one), or -1 if there is no such field or INFO
 * failed. */
long long ts_info_field(redisContext *c, const char *section, const char *name);

/* Read the replies to 'n' commands already sent on 'c' (redisAppendCommand), freeing
 * each. Returns how many did not come (connection error: every one left counts) or were
 * not of type 'type' (REDIS_REPLY_STATUS, ...). */
int ts_read_replies(redisContext *c, int n, int type);

/* Called by ts_scan_all with each key a SCAN returned: 'len' bytes at 'key', binary,
 * borrowed until the call returns. */
typedef void ts_key_fn(void *arg, const char *key, size_t len);

/* Iterate SCAN from cursor 0 with the NULL-terminated options 'opts' (NULL: none; at most
 * 14) until the cursor comes back as "0", calling 'fn'('arg', key, len) for every key
 * returned, sleeping 'pause_us' between calls. A key may be passed more than once (SCAN
 * promises at least once). Returns the number of calls, or -1 after a TAP diagnostic if
 * a reply was not [cursor, [keys...]] or the iteration did not end within 100,000 calls. */
long ts_scan_all(redisContext *c, const char *const *opts, ts_key_fn *fn, void *arg,
                 int pause_us);

/* ---- assertions on a reply: each prints one TAP line and frees 'r'. They live in the
 * header so that they count in the including test's TAP plan (tap.h keeps its counters
 * per program file). ---- */

/* Describe an unexpected reply in a TAP diagnostic. */
__attribute__((unused)) static void ts_diag_reply(const redisReply *r)
{
    if (!r)
        diag("  no reply (connection error)");
    else if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
             r->type == REDIS_REPLY_ERROR)
        diag("  got type %d: '%.*s'", r->type, (int)(r->len > 200 ? 200 : r->len), r->str);
    else if (r->type == REDIS_REPLY_INTEGER)
        diag("  got integer %lld", r->integer);
    else
        diag("  got type %d", r->type);
}

__attribute__((unused)) static void is_status(redisReply *r, const char *want, const char *name)
{
    if (!ok(r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, want), "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

__attribute__((unused)) static void is_str(redisReply *r, const char *want, size_t wlen, const char *name)
{
    if (!ok(r && r->type == REDIS_REPLY_STRING && r->len == wlen && !memcmp(r->str, want, wlen),
            "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

__attribute__((unused)) static void is_integer(redisReply *r, long long want, const char *name)
{
    if (!ok(r && r->type == REDIS_REPLY_INTEGER && r->integer == want, "%s", name)) {
        ts_diag_reply(r);
        diag("  wanted %lld", want);
    }
    freeReplyObject(r);
}

__attribute__((unused)) static void is_nil(redisReply *r, const char *name)
{
    if (!ok(r && r->type == REDIS_REPLY_NIL, "%s", name))
        ts_diag_reply(r);
    freeReplyObject(r);
}

__attribute__((unused)) static void is_error(redisReply *r, const char *want, const char *name)
{
    if (!ok(r && r->type == REDIS_REPLY_ERROR && !strcmp(r->str, want), "%s", name)) {
        ts_diag_reply(r);
        diag("  wanted error '%s'", want);
    }
    freeReplyObject(r);
}

/* ---- start-up of a test program: in the header too, since it may print a TAP line ---- */

/* Start a server with the extra arguments 'args' (as ts_start) and connect to it. With
 * 'flush', FLUSHALL it (one TAP assertion, "start from an empty server": an external
 * server may hold data). If the server does not start, prints "Bail out!" and exits the
 * program with status 1. Returns the connection (free it with redisFree). */
__attribute__((unused)) static redisContext *ts_begin(struct tserver *s, const char **args,
                                                      int flush)
{
    redisContext *c;

    if (ts_start(s, args) != 0) {
        printf("Bail out! server did not start\n");
        exit(1);
    }
    c = ts_connect(s);
    if (flush)
        is_status(cmd(c, "FLUSHALL"), "OK", "start from an empty server");
    return c;
}

#endif
