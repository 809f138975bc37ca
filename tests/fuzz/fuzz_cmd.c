/* fuzz_cmd.c - libFuzzer target for the whole command path, in process: the input is
 * what a client sends on one connection; it is parsed with resp_parse() as
 * daemon/conn.c parses it and every request runs through cmd_execute() against a real
 * store (RocksDB in a temp dir), with the server's own handlers, reply layer and
 * configuration (daemon/libomkdaemon.a: everything but main.c).
 *
 * Build and run it (clang only; `make` never builds it):
 *     make fuzz-cmd       # tests/fuzz/fuzz_cmd, clang -fsanitize=fuzzer,address,undefined
 *     mkdir -p fuzz-new
 *     tests/fuzz/fuzz_cmd -max_total_time=300 -dict=$(top_srcdir)/tests/fuzz/cmd.dict \
 *         fuzz-new $(top_srcdir)/tests/fuzz/corpus/cmd
 * A crash leaves crash-<sha1>: once fixed, copy it into tests/fuzz/corpus/cmd, where
 * `make check` replays it (tests/fuzz/fuzz_cmd_replay, built with the normal compiler).
 *
 * The client is a struct client without a socket: its output is a plain evbuffer that
 * is checked and emptied after every request. Checked, besides the sanitizers: each
 * request queues exactly one reply (none only when the client is being closed), and
 * that reply is well-formed RESP2 or RESP3; no deferred reply is left open; after
 * each input store_check() finds the keyspace consistent. Every input starts from an
 * empty store and the default configuration (plus proto-max-bulk-len 1mb, so that
 * SETRANGE and APPEND stay within libFuzzer's memory limit).
 *
 * Not run: SHUTDOWN (it signals the process), CONFIG SET of logfile (it would
 * create files named by the input) or proto-max-bulk-len (see above), and CLIENT PAUSE
 * and UNPAUSE (they wake the worker threads, and none runs here), CLIENT TRACKING (its
 * invalidations are pushes after a reply, or go to another worker's mailbox). DEBUG stays refused
 * (enable-debug-command no); MONITOR is refused to this client (CLIENT_DENY_BLOCKING).
 *
 * COST (issue 19 item 10: 10M executions in a long run; fuzz_lua.c shares all of it).
 * Measured 2026-12-07 with perf record -g, 30 s runs from tests/fuzz/corpus/cmd:
 *  - ~65% of the CPU (70% in fuzz_lua) is LeakSanitizer: RocksDB's threads make the
 *    mallocs and frees of nearly every input differ, so libFuzzer runs each such input
 *    again and scans the whole heap (the store's caches and memtable included) for
 *    leaks. tests/fuzz/long-run.sh therefore runs this target with -detect_leaks=0,
 *    which keeps LeakSanitizer's check at exit (a leak made by any input of the run
 *    fails it), and then replays the grown corpus with -detect_leaks=1 to name the
 *    input. 9.3 -> 2.0 CPU ms an execution here, 24 -> 7.6 in fuzz_lua.
 *  - store_flush() at the start of an input stays: it is what makes every input start
 *    empty. store_check() after each input stays too: a flush resets the counters it
 *    checks, so checking every Nth input would miss what the others broke. But each
 *    flush leaves range tombstones over the dead records in RocksDB, and every iterator,
 *    store_check()'s walk first, fragments those tombstones and skips those records
 *    again (27% of fuzz_lua's CPU once leaks were off). So every FZ_COMPACT_EVERY (64)
 *    inputs the empty store is compacted (store_compact(), DEBUG COMPACT's call): no key
 *    changes, and the inputs between still run above the dead records of the ones
 *    before. fuzz_lua: 7.6 -> 4.1 CPU ms an execution (same load, same corpus).
 *  - What is left is spread: the commands themselves, RocksDB's writes, libFuzzer's
 *    own per-execution work over the counters of the whole daemon, and the page faults
 *    of blocks of 128 KB or more, which ASan maps and unmaps each time (RocksDB's read-
 *    ahead buffer of store_check()'s iterator is one). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "daemon/acl.h"
#include "daemon/cfg.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/multi.h"
#include "daemon/pubsub.h"
#include "daemon/server.h"
#include "resp/resp.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FZ_MAX_DEPTH /* fuzz_lua.c, which includes this file, follows scripts' deeper replies */
#define FZ_MAX_DEPTH 16 /* nesting of aggregate replies the checker follows */
#endif

#define FZ_COMPACT_EVERY 64 /* inputs between two compactions of the (empty) store */

static struct worker fz_worker;
static char fz_dir[64]; /* the store's temp dir */
static unsigned long fz_inputs; /* inputs run so far */

/* ---- the reply checker ---- */

/* Length of the CRLF-terminated line at 'p' (without the CRLF), or -1 if there is none
 * in 'len' bytes. */
static long fz_line(const char *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == '\r' && p[i + 1] == '\n')
            return (long)i;
    return -1;
}

/* Whether 'p'/'n' is a base-10 integer as RESP writes it ("-1" allowed). */
static int fz_is_int(const char *p, long n, long long *out)
{
    return n > 0 && omk_str2ll(p, (size_t)n, out);
}

/* Bytes taken by the one complete RESP2/RESP3 reply at the start of 'p'/'len', or -1
 * when it is malformed or incomplete (the output of one request is all there). */
static long fz_reply_len(const char *p, size_t len, int depth)
{
    long n, body;
    long long count;

    if (len < 3 || depth > FZ_MAX_DEPTH || (n = fz_line(p + 1, len - 1)) < 0)
        return -1;
    body = 1 + n + 2; /* type byte, line, CRLF */
    switch (p[0]) {
    case '+':
    case '-':
    case ',':
        return memchr(p + 1, '\r', (size_t)n) || memchr(p + 1, '\n', (size_t)n) ? -1 : body;
    case ':':
    case '(':
        return fz_is_int(p + 1, n, &count) ? body : -1;
    case '_':
        return n == 0 ? body : -1;
    case '#':
        return n == 1 && (p[1] == 't' || p[1] == 'f') ? body : -1;
    case '$':
    case '=':
    case '!':
        if (!fz_is_int(p + 1, n, &count) || count < -1 || (count == -1 && p[0] != '$'))
            return -1;
        if (count == -1)
            return body;
        if ((unsigned long long)count + 2 > len - (size_t)body ||
            p[body + count] != '\r' || p[body + count + 1] != '\n')
            return -1;
        return body + (long)count + 2;
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
        long at = body;

        if (!fz_is_int(p + 1, n, &count) || count < -1 || (count == -1 && p[0] != '*'))
            return -1;
        if (p[0] == '%' || p[0] == '|')
            count *= 2;
        for (long long i = 0; i < count; i++) {
            long e = fz_reply_len(p + at, len - (size_t)at, depth + 1);

            if (e < 0)
                return -1;
            at += e;
        }
        if (p[0] == '|') { /* an attribute precedes the reply it describes */
            long e = fz_reply_len(p + at, len - (size_t)at, depth + 1);

            return e < 0 ? -1 : at + e;
        }
        return at;
    }
    }
    return -1;
}

/* Client flags under which a request may rightly reply nothing: closing, or CLIENT
 * REPLY OFF or SKIP in force before or after it. */
#define FZ_SILENT (CLIENT_CLOSING | CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT)

/* Check and empty the output 'c' got from one request, which ran with client flags
 * 'flags_before'. Aborts when it is not exactly one well-formed reply (or nothing, when
 * FZ_SILENT allows it). */
static void fz_check_output(struct client *c, int flags_before, const struct omk_slice *argv0)
{
    size_t len = evbuffer_get_length(c->out);
    const char *p = (const char *)evbuffer_pullup(c->out, -1);
    long one = len ? fz_reply_len(p, len, 0) : -1;

    if (!(len == 0 && ((c->flags | flags_before) & FZ_SILENT)) && one != (long)len) {
        fprintf(stderr, "fuzz_cmd: '%.*s' queued %zu bytes that are not exactly one reply: "
                        "'%.*s'\n",
                (int)(argv0->len < 64 ? argv0->len : 64), argv0->p, len,
                (int)(len < 200 ? len : 200), p ? p : "");
        abort();
    }
    evbuffer_drain(c->out, len);
    OMK_ASSERT(evbuffer_get_length(c->worker->scratch) == 0 ||
               !"a deferred reply was left open");
}

/* ---- set-up ---- */

/* The store's log lines: warnings to stderr, progress dropped. */
static void fz_store_log(int warning, const char *msg)
{
    if (warning)
        fprintf(stderr, "store: %s\n", msg);
}

/* The configuration every input starts from. */
static void fz_config_reset(void)
{
    char err[256];

    cfg_deinit(&server.cfg);
    cfg_defaults(&server.cfg);
    OMK_ASSERT(cfg_set(&server.cfg, "proto-max-bulk-len", "1mb", err, sizeof(err)) == 0);
    log_set_level(OMK_LOG_WARNING);
}

/* At exit: close the store and remove its directory. */
static void fz_shutdown(void)
{
    char rm[128];

    store_close(server.store);
    server.store = NULL;
    snprintf(rm, sizeof(rm), "rm -rf '%s'", fz_dir);
    if (system(rm) != 0)
        fprintf(stderr, "fuzz_cmd: could not remove %s\n", fz_dir);
}

/* The store's touch hook: WATCH only (no worker serves blocked clients here). */
static void fz_touched(int db, const char *key, size_t klen, int created)
{
    OMK_UNUSED(created);
    multi_touched(db, key, klen);
}

/* Once per process: the log on stderr (stdout carries the replay's TAP), the config,
 * the store in a new temp dir, the command table, and one worker; no event loop runs. */
static void fz_init(void)
{
    struct store_config sc;
    char err[512];

    if (log_set_file("/dev/stderr") != 0)
        abort();
    cfg_defaults(&server.cfg);
    fz_config_reset();
    server.start_us = omk_now_us();
    server.start_mono_us = omk_mono_us();
    /* $OMK_FUZZ_TMPDIR: a tmpfs such as /dev/shm spares each input its fsyncs */
    snprintf(fz_dir, sizeof(fz_dir), "%.40s/omk-fuzz-cmd-XXXXXX",
             getenv("OMK_FUZZ_TMPDIR") ? getenv("OMK_FUZZ_TMPDIR") : "/tmp");
    if (!mkdtemp(fz_dir))
        abort();
    multi_init();
    pubsub_init(1); /* PUBLISH walks its channel tables even with no subscriber */
    store_config_defaults(&sc);
    sc.dir = fz_dir;
    sc.databases = server.cfg.databases;
    sc.fsync = STORE_FSYNC_NO;
    sc.block_cache_bytes = 8u << 20;
    sc.write_buffer_bytes = 4u << 20;
    sc.maxmemory = 32u << 20;
    sc.log = fz_store_log;
    sc.touched = fz_touched;
    if (store_open(&sc, &server.store, err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "fuzz_cmd: cannot open a store in %s: %s\n", fz_dir, err);
        abort();
    }
    cmd_init();
    acl_init();
    server.main_base = event_base_new(); /* INFO names its method; no loop runs */
    fz_worker.base = server.main_base;
    fz_worker.scratch = evbuffer_new();
    fz_worker.notify_fd[0] = fz_worker.notify_fd[1] = -1;
    omk_mutex_init(&fz_worker.clients_lock);
    server.workers = &fz_worker;
    server.nworkers = 1;
    atexit(fz_shutdown);
}

/* A client as conn_accept() makes one, with an evbuffer for output and no socket. */
static struct client *fz_client_new(void)
{
    struct client *c = omk_calloc(1, sizeof(*c));

    c->id = atomic_fetch_add(&server.next_client_id, 1) + 1;
    c->fd = -1;
    c->worker = &fz_worker;
    c->proto = 2;
    c->user = acl_default_user();
    acl_user_retain(c->user);
    c->authenticated = acl_default_lets_in();
    c->ctime_ms = omk_now_ms();
    atomic_init(&c->last_us, omk_mono_us());
    atomic_init(&c->last_cmd_idx, -1);
    c->out = evbuffer_new();
    c->flags = CLIENT_DENY_BLOCKING; /* no loop runs to serve a parked client: a blocking pop
                                      * answers at once, as inside EXEC */
    snprintf(c->addr, sizeof(c->addr), "127.0.0.1:40000");
    snprintf(c->laddr, sizeof(c->laddr), "127.0.0.1:6379");
    resp_req_init(&c->req);
    fz_worker.clients = c;
    atomic_fetch_add(&server.connected_clients, 1);
    return c;
}

/* What conn_free() does, without the socket. */
static void fz_client_free(struct client *c)
{
    fz_worker.clients = NULL;
    multi_reset(c);
    resp_req_deinit(&c->req);
    evbuffer_free(c->out);
    acl_user_release(c->user);
    omk_free(c->name);
    omk_free(c);
    atomic_fetch_sub(&server.connected_clients, 1);
}

/* Whether the request in c->argv is one this target does not run (see the top). */
static int fz_refused(const struct client *c)
{
    if (cmd_arg_is(c, 0, "shutdown"))
        return 1;
    if (cmd_arg_is(c, 0, "client") && c->argc > 1 &&
        (cmd_arg_is(c, 1, "pause") || cmd_arg_is(c, 1, "unpause") ||
         cmd_arg_is(c, 1, "tracking")))
        return 1;
    if (!cmd_arg_is(c, 0, "config"))
        return 0;
    for (int i = 1; i < c->argc; i++)
        if (cmd_arg_is(c, i, "logfile") || cmd_arg_is(c, i, "proto-max-bulk-len"))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct client *c;
    size_t off = 0;
    int flags_before;
    char err[256];

    if (!ready) {
        fz_init();
        ready = 1;
    }
    OMK_ASSERT(store_flush(server.store, -1) == STORE_OK);
    if (++fz_inputs % FZ_COMPACT_EVERY == 0)
        store_compact(server.store); /* drop what the flushes left (see COST at the top) */
    fz_config_reset();
    c = fz_client_new();
    while (off < size && !(c->flags & CLIENT_CLOSE_AFTER_REPLY)) {
        struct resp_limits lim = {server.cfg.proto_max_bulk_len, c->authenticated};
        size_t used = 0, need = 0;
        int rc = resp_parse(&lim, (const char *)data + off, size - off, &c->req, &used, &need);

        if (rc != RESP_OK)
            break; /* incomplete or a protocol error: the connection would wait or close */
        off += used;
        c->argc = c->req.argc;
        c->argv = c->req.argv;
        if (c->argc == 0 || fz_refused(c))
            continue;
        flags_before = c->flags;
        cmd_execute(c);
        fz_check_output(c, flags_before, &c->argv[0]);
    }
    fz_client_free(c);
    if (store_check(server.store, err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "fuzz_cmd: store_check: %s\n", err);
        abort();
    }
    return 0;
}
