/* coll-large.c - large collections through the server (issues 20 and 21, "Benchmarks").
 *
 * Builds an N-field hash and an N-member set (default 10M) over one pipelined connection,
 * then measures what the collection layer promises for them: HLEN, SCARD, TYPE and EXISTS
 * answered with no RocksDB read (INFO's rocksdb_reads does not move); HGET and SISMEMBER
 * latency for present and absent elements; DEL of each (O(1): milliseconds); the disk
 * space coming back afterwards (the store's reclaimer compacts a dead collection's
 * elements: INFO's collections_reclaims, rocksdb_element_bytes and rocksdb_disk_bytes and
 * the data directory's size, sampled over time) with the latency a second client sees
 * meanwhile; and the index's
 * bytes per key for strings, small hashes and small sets, from INFO's index_bytes and
 * index_entry_bytes. Prints plain text lines (bench/run-all keeps them in its log) and,
 * with --csv, rows `phase,metric,value,unit` (bench/plot.py renders them in REPORT.md).
 *
 * Issue 21 (--types zset,list; --types picks what runs, all four by default): an N-member
 * sorted set built with ZADD (its throughput; member i scores i times a number prime to N,
 * modulo N, so the scores are 0..N-1 arriving out of order and every rank can be
 * checked) and an N-element list built with RPUSH; then ZRANK of random members, ZRANGE
 * of 10 members from a random rank, LINDEX of the middle element and of random ones and
 * LRANGE of 100, the first call of each timed apart (it may build what the next ones
 * use: the rank structure is built lazily), with INFO used_memory around the rank
 * probes; when coll-large started the server it restarts it (SIGTERM, same data) and
 * probes again; then DEL of both. These need no omenkv INFO field, so they also measure
 * Redis (a baseline).
 *
 * Against a running server (-p PORT; --dir DIR for its directory's size) or one it starts
 * itself (--server PATH, default ../daemon/omenkv-server beside this binary) on a free
 * loopback port in a temp dir. The server must be empty: every key here is its own.
 * Latency is measured client-side, per call, from sending the command to parsing its
 * reply, on one connection with nothing else in flight. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "clients/hist.h"
#include "common/omk.h"

#define CL_ELEM_LEN 14          /* "f:%012d", "m:%012d", "s:%012d", ... */
#define CL_MIN_VALUE 12         /* values are the element's number, zero-padded */
#define CL_MAX_VALUE 4096
#define CL_SAMPLE_US 100000     /* disk sampling period after a DEL */

/* Everything the command line sets; read-only once the measurements start. */
struct cl_opts {
    const char *host;
    int port;                  /* 0: start a server */
    const char *server;        /* the binary to start */
    const char *dir;           /* the server's data directory (its size), or NULL */
    uint64_t size;             /* fields of the hash, members of the set */
    uint64_t built_h, built_s; /* what each build reached (less at its time limit) */
    uint64_t built_z, built_l; /* the same for the sorted set and the list (0: none) */
    int types;                 /* T_* bits: what is built and measured */
    uint64_t small;            /* keys of each type for the bytes-per-key figures */
    unsigned vsize;            /* bytes per hash value */
    unsigned batch;            /* elements per HSET / SADD while building */
    unsigned depth;            /* commands in flight while building */
    uint64_t probes;           /* calls per latency figure */
    double build_limit_s;      /* a build stops sending after this long */
    double wait_s;             /* longest wait for the space to come back after a DEL */
    double settle_s;           /* "quiet": sizes unchanged this long */
    double idle_s;             /* the second client's run before the DELs */
    const char *compact_cmd;   /* sent after each DEL (a manual compaction), or NULL */
    const char *csv;           /* append rows here, or NULL */
    int quick;
};

/* ---- process-wide state: the server we started, for the exit and signal paths ---- */

static pid_t g_server_pid;           /* 0: none started */
static char g_tmpdir[PATH_MAX - 64]; /* its temp dir, removed at exit */
static FILE *g_csv;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("coll-large: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double secs_since(int64_t t0)
{
    return (double)(now_ns() - t0) / 1e9;
}

/* xorshift64*: the probes' and the second client's random numbers. */
static uint64_t rnd_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* 1234567 -> "1,234,567" in 'buf' (at least 32 bytes). */
static const char *commas(char *buf, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;

    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

static double mb(double bytes)
{
    return bytes / 1e6;
}

/* One CSV row: phase,metric,value,unit. */
static void csv_row(const char *phase, const char *metric, double value, const char *unit)
{
    if (g_csv)
        fprintf(g_csv, "%s,%s,%.6g,%s\n", phase, metric, value, unit);
}

/* ---- the server we start (without -p) ---------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    OMK_UNUSED(st);
    OMK_UNUSED(flag);
    OMK_UNUSED(ftw);
    remove(path);
    return 0;
}

/* atexit: stop the server we started (SIGTERM, SIGKILL after 30 s) and remove its dir. */
static void server_cleanup(void)
{
    if (g_server_pid > 0) {
        int st;

        kill(g_server_pid, SIGTERM);
        for (int i = 0; i < 300 && waitpid(g_server_pid, &st, WNOHANG) == 0; i++)
            usleep(100000);
        kill(g_server_pid, SIGKILL);
        waitpid(g_server_pid, &st, 0);
        g_server_pid = 0;
    }
    if (g_tmpdir[0])
        nftw(g_tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (g_csv)
        fclose(g_csv);
}

/* SIGINT / SIGTERM: kill the server; the call the main thread is blocked in then fails,
 * and die() exits through server_cleanup(). */
static void on_signal(int sig)
{
    OMK_UNUSED(sig);
    if (g_server_pid > 0)
        kill(g_server_pid, SIGKILL);
    else
        _exit(130);
}

/* A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick). */
static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("no free port: %s", strerror(errno));
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static char g_datadir[PATH_MAX], g_logfile[PATH_MAX]; /* of the server we started */

/* Run o->server on o->port with its data in g_datadir (kept from an earlier run: a
 * restart) and wait until it answers PING. Returns the seconds that took. */
static double server_spawn(const struct cl_opts *o)
{
    char portstr[16];
    int64_t t0 = now_ns();

    snprintf(portstr, sizeof(portstr), "%d", o->port);
    g_server_pid = fork();
    if (g_server_pid < 0)
        die("fork: %s", strerror(errno));
    if (g_server_pid == 0) {
        execl(o->server, o->server, "--port", portstr, "--bind", "127.0.0.1", "--dir", g_datadir,
              "--logfile", g_logfile, (char *)NULL);
        fprintf(stderr, "coll-large: cannot run %s: %s\n", o->server, strerror(errno));
        _exit(127);
    }
    for (;;) {
        struct timeval tv = {1, 0};
        redisContext *c = redisConnectWithTimeout(o->host, o->port, tv);
        int st;

        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            int up = r && r->type == REDIS_REPLY_STATUS;

            freeReplyObject(r);
            redisFree(c);
            if (up)
                break;
        } else {
            redisFree(c);
        }
        if (waitpid(g_server_pid, &st, WNOHANG) == g_server_pid) {
            g_server_pid = 0;
            die("%s exited at start-up (its log: %s)", o->server, g_logfile);
        }
        if (secs_since(t0) > 600)
            die("%s did not answer PING within 600 s", o->server);
        usleep(20000);
    }
    return secs_since(t0);
}

/* Start o->server on a free port with its data in a new temp dir; sets o->port, o->dir. */
static void server_start(struct cl_opts *o)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(g_tmpdir, sizeof(g_tmpdir), "%s/omk-coll-large.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_tmpdir))
        die("mkdtemp %s: %s", g_tmpdir, strerror(errno));
    snprintf(g_datadir, sizeof(g_datadir), "%s/data", g_tmpdir);
    snprintf(g_logfile, sizeof(g_logfile), "%s/server.log", g_tmpdir);
    o->port = free_port();
    o->dir = g_datadir;
    server_spawn(o);
    printf("started %s (pid %d) on port %d, data in %s\n", o->server, (int)g_server_pid, o->port,
           g_datadir);
}

/* Stop the server we started (SIGTERM, as a clean shutdown) and start it again on the
 * same data. Returns the seconds from the new start to its first PONG. */
static double server_restart(const struct cl_opts *o)
{
    int st;

    kill(g_server_pid, SIGTERM);
    waitpid(g_server_pid, &st, 0);
    g_server_pid = 0;
    return server_spawn(o);
}

/* ---- talking to the server ------------------------------------------------------------- */

static redisContext *conn_new(const struct cl_opts *o)
{
    struct timeval tv = {5, 0}, cmd_tv = {600, 0};
    redisContext *c = redisConnectWithTimeout(o->host, o->port, tv);

    if (!c || c->err)
        die("cannot connect to %s:%d: %s", o->host, o->port, c ? c->errstr : "out of memory");
    redisSetTimeout(c, cmd_tv);
    return c;
}

/* Run a command; dies on a lost connection or an error reply. The caller frees the reply. */
static redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        die("connection lost: %s", c->errstr);
    if (r->type == REDIS_REPLY_ERROR)
        die("'%s' answered: %s", fmt, r->str);
    return r;
}

/* A command that must answer an integer: returns it. */
static long long cmd_int(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;
    long long v;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        die("connection lost: %s", c->errstr);
    if (r->type != REDIS_REPLY_INTEGER)
        die("'%s' answered %s, not an integer", fmt,
            r->type == REDIS_REPLY_ERROR ? r->str : "something else");
    v = r->integer;
    freeReplyObject(r);
    return v;
}

/* INFO (every section) into a malloc'd string. */
static char *info_all(redisContext *c)
{
    redisReply *r = cmd(c, "INFO all");
    char *s;

    if (r->type != REDIS_REPLY_STRING)
        die("INFO did not answer a string");
    s = omk_memdup(r->str, r->len);
    freeReplyObject(r);
    return s;
}

/* Field 'name' of INFO text 'info' as a number into '*v'; 1, or 0 when it is missing. */
static int info_num(const char *info, const char *name, double *v)
{
    size_t n = strlen(name);

    for (const char *p = info; p && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, name, n) == 0 && p[n] == ':') {
            *v = strtod(p + n + 1, NULL);
            return 1;
        }
    }
    return 0;
}

/* Field 'name' of a fresh INFO; dies when the server has no such field. */
static uint64_t info_u64(redisContext *c, const char *name)
{
    char *s = info_all(c);
    double v;

    if (!info_num(s, name, &v))
        die("INFO has no field %s (is this omenkv?)", name);
    omk_free(s);
    return (uint64_t)v;
}

/* ---- sizes on disk ----------------------------------------------------------------- */

static uint64_t g_du_sum;

static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    OMK_UNUSED(path);
    OMK_UNUSED(ftw);
    if (flag == FTW_F)
        g_du_sum += (uint64_t)st->st_blocks * 512;
    return 0;
}

/* Bytes the files under 'dir' occupy (du), or 0 without a directory. */
static uint64_t du_bytes(const char *dir)
{
    if (!dir)
        return 0;
    g_du_sum = 0;
    nftw(dir, du_entry, 16, FTW_PHYS);
    return g_du_sum;
}

#define CL_NONE UINT64_MAX /* a field this server's INFO does not have */

/* The sizes and the reclaimer's counters at one moment. */
struct disk {
    uint64_t info;     /* INFO rocksdb_disk_bytes: SST files plus memtables, every CF */
    uint64_t elem;     /* INFO rocksdb_element_bytes: the element column family, or CL_NONE */
    uint64_t du;       /* the data directory (WAL and manifests too), 0 if unknown */
    uint64_t reclaims; /* INFO collections_reclaims: compactions run for dead collections,
                        * or CL_NONE */
    uint64_t last_ms;  /* INFO collections_last_reclaim_ms: how long the last one took */
};

static struct disk disk_now(redisContext *c, const struct cl_opts *o)
{
    char *s = info_all(c);
    struct disk d;
    double v;

    if (!info_num(s, "rocksdb_disk_bytes", &v))
        die("INFO has no field rocksdb_disk_bytes (is this omenkv?)");
    d.info = (uint64_t)v;
    d.elem = info_num(s, "rocksdb_element_bytes", &v) ? (uint64_t)v : CL_NONE;
    d.reclaims = info_num(s, "collections_reclaims", &v) ? (uint64_t)v : CL_NONE;
    d.last_ms = info_num(s, "collections_last_reclaim_ms", &v) ? (uint64_t)v : 0;
    omk_free(s);
    d.du = du_bytes(o->dir);
    return d;
}

/* Bytes the element column family holds, or all of RocksDB's when INFO does not say. */
static uint64_t disk_elem(const struct disk *d)
{
    return d->elem != CL_NONE ? d->elem : d->info;
}

/* Wait until neither size has moved for o->settle_s (RocksDB's compactions after a build
 * write new files as they go), at most 'limit_s'. Returns the seconds waited. */
static double disk_quiesce(redisContext *c, const struct cl_opts *o, double limit_s,
                           struct disk *out)
{
    int64_t t0 = now_ns(), since = t0;
    struct disk last = disk_now(c, o), d;

    while (secs_since(t0) < limit_s) {
        usleep(250000);
        d = disk_now(c, o);
        if (d.info != last.info || d.du != last.du) {
            last = d;
            since = now_ns();
        } else if (secs_since(since) >= o->settle_s) {
            break;
        }
    }
    *out = last;
    return secs_since(t0);
}

/* ---- building: pipelined HSET / SADD ------------------------------------------------ */

/* Element 'i' of 'prefix' ("f:", "m:") into 'buf' (CL_ELEM_LEN + 1 bytes). */
static void elem(char *buf, char prefix, uint64_t i)
{
    snprintf(buf, CL_ELEM_LEN + 1, "%c:%012" PRIu64, prefix, i % UINT64_C(1000000000000));
}

/* The value of field 'i': its number zero-padded to 'vsize' bytes. */
static void value(char *buf, unsigned vsize, uint64_t i)
{
    snprintf(buf, vsize + 1, "%0*" PRIu64, (int)vsize, i);
}

/* What a build writes per element: a member (SADD), a field and its value (HSET), a
 * score and a member (ZADD), an element (RPUSH). */
enum bkind { B_SET, B_HASH, B_ZSET, B_LIST };

/* Member i of the sorted set scores (i * g_zmul) mod o->size, g_zmul prime to the size:
 * the scores are 0..size-1 (so a full build's ranks are known) but arrive out of order. */
static uint64_t g_zmul;

static uint64_t zscore(const struct cl_opts *o, uint64_t i)
{
    return (uint64_t)((unsigned __int128)i * g_zmul % o->size);
}

/* Add elements 'prefix' 0..n-1 to 'key' with 'verb' (HSET, SADD, ZADD or RPUSH, as
 * 'kind' says), o->batch per command and o->depth commands in flight; prints the rate of
 * each tenth. Stops sending after o->build_limit_s (the commands in flight are still
 * answered). Returns the sum of the integer replies (the elements that were new; for
 * RPUSH the last reply, the length) and sets '*sent_out' to the elements sent:
 * 0..*sent_out-1 are in the collection. */
static uint64_t build(redisContext *c, const struct cl_opts *o, const char *verb,
                      const char *key, char prefix, enum bkind kind, uint64_t n,
                      uint64_t *sent_out)
{
    int with_values = kind == B_HASH, with_scores = kind == B_ZSET;
    unsigned per = with_values || with_scores ? 2 : 1;
    unsigned width = CL_ELEM_LEN + 1 + (with_values ? o->vsize + 1 : 0) + (with_scores ? 24 : 0);
    size_t argc_max = 2 + (size_t)o->batch * per;
    const char **argv = omk_malloc(argc_max * sizeof(*argv));
    size_t *argvlen = omk_malloc(argc_max * sizeof(*argvlen));
    char *text = omk_malloc((size_t)o->batch * width);
    uint64_t sum = 0, sent = 0, tenth = n / 10 ? n / 10 : n, next_mark = tenth, mark_i = 0;
    unsigned inflight = 0;
    int64_t t0 = now_ns(), tmark = t0;
    char a[32], b[32], r_[32];

    argv[0] = verb;
    argvlen[0] = strlen(verb);
    argv[1] = key;
    argvlen[1] = strlen(key);
    while (sent < n || inflight) {
        redisReply *r;

        if (sent < n && secs_since(t0) > o->build_limit_s) {
            printf("  %s %s: stopped at %s elements: the build passed its limit of %.1f s "
                   "(--build-limit)\n", verb, key, commas(a, sent), o->build_limit_s);
            n = sent;
        }
        if (sent < n) {
            uint64_t m = n - sent < o->batch ? n - sent : o->batch;
            size_t argc = 2;

            for (uint64_t j = 0; j < m; j++) {
                char *e = text + j * width;

                if (with_scores) {
                    char *sc = e + CL_ELEM_LEN + 1;

                    argv[argc] = sc;
                    argvlen[argc++] = (size_t)sprintf(sc, "%" PRIu64, zscore(o, sent + j));
                }
                elem(e, prefix, sent + j);
                argv[argc] = e;
                argvlen[argc++] = CL_ELEM_LEN;
                if (with_values) {
                    value(e + CL_ELEM_LEN + 1, o->vsize, sent + j);
                    argv[argc] = e + CL_ELEM_LEN + 1;
                    argvlen[argc++] = o->vsize;
                }
            }
            if (redisAppendCommandArgv(c, (int)argc, argv, argvlen) != REDIS_OK)
                die("%s: %s", verb, c->errstr);
            sent += m;
            inflight++;
            if (inflight < o->depth && sent < n)
                continue;
        }
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            die("%s: connection lost: %s", verb, c->errstr);
        if (r->type != REDIS_REPLY_INTEGER)
            die("%s %s answered %s", verb, key,
                r->type == REDIS_REPLY_ERROR ? r->str : "something other than an integer");
        sum = kind == B_LIST ? (uint64_t)r->integer : sum + (uint64_t)r->integer;
        freeReplyObject(r);
        inflight--;
        if (sent >= next_mark && (sent < n || inflight == 0)) {
            double dt = secs_since(tmark);

            printf("  %s %s: %s / %s in %.1f s (this tenth %s/s)\n", verb, key,
                   commas(a, sent), commas(b, n), secs_since(t0),
                   commas(r_, (uint64_t)((double)(sent - mark_i) / (dt > 0 ? dt : 1e-9))));
            fflush(stdout);
            tmark = now_ns();
            mark_i = sent;
            next_mark = sent + tenth;
        }
    }
    omk_free(argv);
    omk_free(argvlen);
    omk_free(text);
    *sent_out = sent;
    return sum;
}

/* Write o->small keys of one type, named "<p>:%012d": strings (SET, 16-byte values),
 * hashes (HSET of 4 fields f1..f4, 16-byte values) or sets (SADD of 4 members), 64
 * commands in flight. */
static void build_small(redisContext *c, const struct cl_opts *o, char type)
{
    unsigned inflight = 0;
    char k[CL_ELEM_LEN + 1];
    const char *v = "vvvvvvvvvvvvvvvv";

    for (uint64_t i = 0; i < o->small || inflight; ) {
        redisReply *r;

        if (i < o->small) {
            int rc;

            elem(k, type, i);
            if (type == 's')
                rc = redisAppendCommand(c, "SET %s %s", k, v);
            else if (type == 'h')
                rc = redisAppendCommand(c, "HSET %s f1 %s f2 %s f3 %s f4 %s", k, v, v, v, v);
            else
                rc = redisAppendCommand(c, "SADD %s m1 m2 m3 m4", k);
            if (rc != REDIS_OK)
                die("append: %s", c->errstr);
            i++;
            if (++inflight < 64 && i < o->small)
                continue;
        }
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            die("connection lost: %s", c->errstr);
        if (r->type == REDIS_REPLY_ERROR)
            die("writing the small keys: %s", r->str);
        freeReplyObject(r);
        inflight--;
    }
}

/* ---- latency probes ------------------------------------------------------------------ */

enum probe_kind { PROBE_HGET, PROBE_SISMEMBER };

/* o->probes calls of HGET big:hash / SISMEMBER big:set on random elements, present
 * ('hit') or absent, each checked; prints p50 / p99 / max and the RocksDB reads per call. */
static void probe(redisContext *c, const struct cl_opts *o, enum probe_kind kind, int hit,
                  uint64_t *seed)
{
    static struct hist h;
    const char *name = kind == PROBE_HGET ? "HGET" : "SISMEMBER";
    const char *tag = hit ? "hit" : "miss";
    char e[CL_ELEM_LEN + 1], want[CL_MAX_VALUE + 1], phase[32];
    uint64_t reads0 = info_u64(c, "rocksdb_reads"), reads1;
    double per;

    hist_init(&h);
    for (uint64_t k = 0; k < o->probes; k++) {
        uint64_t built = kind == PROBE_HGET ? o->built_h : o->built_s;
        uint64_t i = rnd_next(seed) % built + (hit ? 0 : o->size); /* o->size.. never sent */
        redisReply *r;
        int64_t t0;
        int ok;

        elem(e, kind == PROBE_HGET ? 'f' : 'm', i);
        t0 = now_ns();
        r = kind == PROBE_HGET ? redisCommand(c, "HGET big:hash %s", e)
                               : redisCommand(c, "SISMEMBER big:set %s", e);
        hist_record(&h, (uint64_t)(now_ns() - t0));
        if (!r)
            die("%s: connection lost: %s", name, c->errstr);
        if (kind == PROBE_HGET && hit) {
            value(want, o->vsize, i);
            ok = r->type == REDIS_REPLY_STRING && r->len == o->vsize &&
                 !memcmp(r->str, want, r->len);
        } else if (kind == PROBE_HGET) {
            ok = r->type == REDIS_REPLY_NIL;
        } else {
            ok = r->type == REDIS_REPLY_INTEGER && r->integer == (hit ? 1 : 0);
        }
        if (!ok)
            die("%s %s answered wrongly (type %d)", name, e, r->type);
        freeReplyObject(r);
    }
    reads1 = info_u64(c, "rocksdb_reads");
    per = (double)(reads1 - reads0) / (double)o->probes;
    printf("%-9s %-4s %6" PRIu64 " calls: p50 %7.1f us  p99 %7.1f us  max %8.1f us  (%.2f RocksDB "
           "reads per call)\n", name, tag, o->probes, hist_percentile(&h, 50) / 1e3,
           hist_percentile(&h, 99) / 1e3, hist_percentile(&h, 100) / 1e3, per);
    snprintf(phase, sizeof(phase), "%s_%s", kind == PROBE_HGET ? "hget" : "sismember", tag);
    csv_row(phase, "p50", hist_percentile(&h, 50) / 1e3, "us");
    csv_row(phase, "p99", hist_percentile(&h, 99) / 1e3, "us");
    csv_row(phase, "max", hist_percentile(&h, 100) / 1e3, "us");
    csv_row(phase, "reads_per_call", per, "reads");
}

/* ---- the second client: GET and HGET of small keys while something else happens ---- */

struct side {
    const struct cl_opts *o;
    pthread_t thread;
    atomic_int stop;
    struct hist get, hget;     /* ns; owned by the thread until joined */
    uint64_t errors;
    const char *why;           /* first error, or NULL */
};

static void *side_main(void *arg)
{
    struct side *s = arg;
    redisContext *c = conn_new(s->o);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    char k[CL_ELEM_LEN + 1];

    for (uint64_t n = 0; !atomic_load(&s->stop); n++) {
        int is_get = (n & 1) == 0;
        redisReply *r;
        int64_t t0;

        elem(k, is_get ? 's' : 'h', rnd_next(&seed) % s->o->small);
        t0 = now_ns();
        r = is_get ? redisCommand(c, "GET %s", k) : redisCommand(c, "HGET %s f1", k);
        hist_record(is_get ? &s->get : &s->hget, (uint64_t)(now_ns() - t0));
        if (!r) {
            s->errors++;
            s->why = "connection lost";
            break;
        }
        if (r->type != REDIS_REPLY_STRING) {
            s->errors++;
            s->why = "a reply that is not the value";
        }
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

static void side_start(struct side *s, const struct cl_opts *o)
{
    memset(s, 0, sizeof(*s));
    s->o = o;
    hist_init(&s->get);
    hist_init(&s->hget);
    atomic_store(&s->stop, 0);
    if (pthread_create(&s->thread, NULL, side_main, s) != 0)
        die("pthread_create failed");
}

/* Stop and join the second client; prints its figures as "<label>: GET ..., HGET ...". */
static void side_stop(struct side *s, const char *label, const char *phase)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    if (s->errors)
        die("the second client had %" PRIu64 " errors (%s)", s->errors, s->why);
    printf("  %s: GET p50 %.1f us p99 %.1f us max %.1f us (%" PRIu64 " calls); HGET p50 %.1f us "
           "p99 %.1f us max %.1f us (%" PRIu64 " calls)\n", label,
           hist_percentile(&s->get, 50) / 1e3, hist_percentile(&s->get, 99) / 1e3,
           hist_percentile(&s->get, 100) / 1e3, s->get.count, hist_percentile(&s->hget, 50) / 1e3,
           hist_percentile(&s->hget, 99) / 1e3, hist_percentile(&s->hget, 100) / 1e3,
           s->hget.count);
    csv_row(phase, "client_get_p50", hist_percentile(&s->get, 50) / 1e3, "us");
    csv_row(phase, "client_get_p99", hist_percentile(&s->get, 99) / 1e3, "us");
    csv_row(phase, "client_hget_p50", hist_percentile(&s->hget, 50) / 1e3, "us");
    csv_row(phase, "client_hget_p99", hist_percentile(&s->hget, 99) / 1e3, "us");
    csv_row(phase, "client_calls", (double)(s->get.count + s->hget.count), "calls");
}

/* ---- DEL and the space coming back ----------------------------------------------------- */

/* Send o->compact_cmd (words split at spaces); prints how long it took. */
static void compact_cmd(redisContext *c, const struct cl_opts *o)
{
    char *copy = omk_memdup(o->compact_cmd, strlen(o->compact_cmd)), *save = NULL;
    const char *argv[16];
    int argc = 0;
    int64_t t0;
    redisReply *r;

    for (char *w = strtok_r(copy, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    t0 = now_ns();
    r = redisCommandArgv(c, argc, argv, NULL);
    if (!r)
        die("%s: connection lost: %s", o->compact_cmd, c->errstr);
    printf("  %s: answered in %.3f s (%s)\n", o->compact_cmd, secs_since(t0),
           r->type == REDIS_REPLY_ERROR ? r->str : "ok");
    freeReplyObject(r);
    omk_free(copy);
}

/* DEL 'key' (a collection of 'n_elems' elements whose build added 'grown' bytes to the
 * element column family), then sample INFO every 100 ms for at most o->wait_s: the space
 * is back when the store's reclaimer has finished a compaction since the DEL (INFO
 * collections_reclaims grew), or, on a server without that counter, when the element
 * column family's bytes (rocksdb_element_bytes, else rocksdb_disk_bytes) fell by half of
 * 'grown'. A second client runs GETs and HGETs of small keys from the DEL until then. */
static void del_phase(redisContext *c, const struct cl_opts *o, const char *key, const char *what,
                      const char *phase, uint64_t n_elems, uint64_t grown)
{
    struct disk before, d;
    struct side side;
    double waited, del_ms, back_s = -1, next_print = 1.0;
    uint64_t threshold;
    int64_t t0;
    long long n;
    char a[32];

    waited = disk_quiesce(c, o, 120, &before);
    threshold = disk_elem(&before) > grown / 2 ? disk_elem(&before) - grown / 2 : 0;
    printf("DEL %s (%s %s): sizes quiet after %.1f s: element CF %.1f MB, rocksdb_disk_bytes "
           "%.1f MB, data dir %.1f MB\n", key, commas(a, n_elems), what, waited,
           mb(disk_elem(&before)), mb(before.info), mb(before.du));
    side_start(&side, o);
    usleep(100000); /* the second client is connected and running */
    t0 = now_ns();
    n = cmd_int(c, "DEL %s", key);
    del_ms = secs_since(t0) * 1e3;
    if (n != 1)
        die("DEL %s answered %lld", key, n);
    printf("  DEL answered in %.3f ms\n", del_ms);
    csv_row(phase, "del_ms", del_ms, "ms");
    if (o->compact_cmd)
        compact_cmd(c, o);
    for (;;) {
        double t = secs_since(t0);

        d = disk_now(c, o);
        if (d.reclaims != CL_NONE ? d.reclaims > before.reclaims : disk_elem(&d) <= threshold) {
            back_s = t;
            side_stop(&side, "second client from the DEL until then", phase);
            printf("  space back %.2f s after the DEL: element CF %.1f MB, rocksdb_disk_bytes "
                   "%.1f MB, data dir %.1f MB", back_s, mb(disk_elem(&d)), mb(d.info), mb(d.du));
            if (d.reclaims != CL_NONE)
                printf("; the reclaimer's compaction took %" PRIu64 " ms (INFO "
                       "collections_last_reclaim_ms, reclaims %" PRIu64 " -> %" PRIu64 ")",
                       d.last_ms, before.reclaims, d.reclaims);
            printf("\n");
            break;
        }
        if (t >= next_print) {
            printf("  t=%5.1f s: element CF %8.1f MB, rocksdb_disk_bytes %8.1f MB, data dir "
                   "%8.1f MB\n", t, mb(disk_elem(&d)), mb(d.info), mb(d.du));
            next_print += t < 10 ? 1 : t < 60 ? 5 : 30;
        }
        if (t >= o->wait_s)
            break;
        usleep(CL_SAMPLE_US);
    }
    if (back_s < 0) {
        side_stop(&side, "second client from the DEL on", phase);
        printf("  space NOT back within %.0f s of the DEL: element CF %.1f -> %.1f MB, "
               "rocksdb_disk_bytes %.1f -> %.1f MB, data dir %.1f -> %.1f MB\n", o->wait_s,
               mb(disk_elem(&before)), mb(disk_elem(&d)), mb(before.info), mb(d.info),
               mb(before.du), mb(d.du));
    }
    waited = disk_quiesce(c, o, o->wait_s, &d);
    printf("  %.1f s later the sizes are quiet: element CF %.1f MB, rocksdb_disk_bytes %.1f MB, "
           "data dir %.1f MB\n", waited, mb(disk_elem(&d)), mb(d.info), mb(d.du));
    csv_row(phase, "reclaimed", back_s >= 0, "bool");
    csv_row(phase, "reclaim_s", back_s >= 0 ? back_s : o->wait_s, "s");
    if (d.reclaims != CL_NONE && d.reclaims > before.reclaims)
        csv_row(phase, "compaction_ms", (double)d.last_ms, "ms");
    csv_row(phase, "elem_before", (double)disk_elem(&before), "B");
    csv_row(phase, "elem_after", (double)disk_elem(&d), "B");
    csv_row(phase, "disk_before", (double)before.info, "B");
    csv_row(phase, "disk_after", (double)d.info, "B");
    csv_row(phase, "dir_before", (double)before.du, "B");
    csv_row(phase, "dir_after", (double)d.du, "B");
}

/* ---- sorted sets and lists (issue 21) ------------------------------------------------- */

#define T_HASH 1 /* --types: the hash and set measurements run together (issue 20's) */
#define T_SET 2
#define T_ZSET 4
#define T_LIST 8

static uint64_t g_zinv; /* g_zmul's inverse modulo o->size: the member at rank r is r * g_zinv */

/* Pick g_zmul (the first number from 1,000,003 up that is prime to 'size') and its inverse. */
static void zscore_setup(uint64_t size)
{
    __int128 r0, r1, t0 = 0, t1 = 1, q, tmp;

    for (g_zmul = 1000003;; g_zmul++) {
        uint64_t a = g_zmul, b = size;

        while (b) {
            uint64_t t = a % b;

            a = b;
            b = t;
        }
        if (a == 1)
            break;
    }
    r0 = (__int128)size; /* extended Euclid: t1 * g_zmul = r1 (mod size) */
    r1 = (__int128)(g_zmul % size);
    while (r1 != 0) {
        q = r0 / r1;
        tmp = r0 - q * r1;
        r0 = r1;
        r1 = tmp;
        tmp = t0 - q * t1;
        t0 = t1;
        t1 = tmp;
    }
    g_zinv = (uint64_t)(t0 < 0 ? t0 + (__int128)size : t0) % (size ? size : 1);
}

/* INFO's field 'name' now, or CL_NONE on a server without it (Redis has no rocksdb_reads). */
static uint64_t info_opt(redisContext *c, const char *name)
{
    char *s = info_all(c);
    double v;
    uint64_t n = info_num(s, name, &v) ? (uint64_t)v : CL_NONE;

    omk_free(s);
    return n;
}

/* Build big:zset (ZADD of members z:%012d scored zscore()) or big:list (RPUSH of elements
 * l:%012d), o->size of them; checks ZCARD / LLEN, prints and records the rate. */
static void build_zl(redisContext *c, struct cl_opts *o, int zset)
{
    const char *key = zset ? "big:zset" : "big:list", *verb = zset ? "ZADD" : "RPUSH";
    const char *phase = zset ? "build_zset" : "build_list";
    uint64_t *built = zset ? &o->built_z : &o->built_l, got;
    int64_t t0 = now_ns();
    long long count;
    double dt;
    char a[32], b[32];

    got = build(c, o, verb, key, zset ? 'z' : 'l', zset ? B_ZSET : B_LIST, o->size, built);
    dt = secs_since(t0);
    if (got != *built)
        die("%s %s: %" PRIu64 " %s, not %" PRIu64, verb, key, got,
            zset ? "new members" : "elements (its last reply)", *built);
    count = cmd_int(c, zset ? "ZCARD %s" : "LLEN %s", key);
    if ((uint64_t)count != *built)
        die("%s %s counts %lld, not %" PRIu64, zset ? "ZCARD" : "LLEN", key, count, *built);
    printf("build %s: %s %s in %.1f s, %s/s (%s, %u per command, %u commands in flight)\n", key,
           commas(a, *built), zset ? "members" : "elements", dt,
           commas(b, (uint64_t)((double)*built / dt)), verb, o->batch, o->depth);
    csv_row(phase, "elements", (double)*built, "elements");
    csv_row(phase, "stopped", *built < o->size, "bool");
    csv_row(phase, "seconds", dt, "s");
    csv_row(phase, "rate", (double)*built / dt, "elements/s");
}

enum zl_probe { P_ZRANK, P_ZRANGE, P_LINDEX_MID, P_LINDEX, P_LRANGE };

static const char *const zl_probe_names[] = {"ZRANK", "ZRANGE by rank (10)", "LINDEX middle",
                                             "LINDEX random", "LRANGE 100"};
static const char *const zl_probe_tags[] = {"zrank", "zrange_rank", "lindex_mid", "lindex",
                                            "lrange100"};

/* One call of 'kind' (random members, ranks and indexes; the list's middle element for
 * P_LINDEX_MID), its reply checked against what the build wrote (ranks exactly when the
 * sorted set was built whole). Returns its latency in ns; dies on a wrong reply. */
static uint64_t zl_call(redisContext *c, const struct cl_opts *o, enum zl_probe kind,
                        uint64_t *seed)
{
    uint64_t nz = o->built_z, nl = o->built_l, i = 0, lat, n_want = 1;
    int full = o->built_z == o->size, ok;
    char e[CL_ELEM_LEN + 1], w[CL_ELEM_LEN + 1];
    redisReply *r;
    int64_t t0;

    if (kind == P_ZRANK) {
        i = rnd_next(seed) % nz;
        elem(e, 'z', i);
        t0 = now_ns();
        r = redisCommand(c, "ZRANK big:zset %s", e);
    } else if (kind == P_ZRANGE) {
        i = rnd_next(seed) % nz;
        n_want = nz - i < 10 ? nz - i : 10;
        elem(w, 'z', (uint64_t)((unsigned __int128)i * g_zinv % o->size));
        t0 = now_ns();
        r = redisCommand(c, "ZRANGE big:zset %" PRIu64 " %" PRIu64, i, i + 9);
    } else {
        i = kind == P_LINDEX_MID ? nl / 2 : rnd_next(seed) % nl;
        n_want = kind == P_LRANGE ? (nl - i < 100 ? nl - i : 100) : 1;
        elem(w, 'l', i);
        t0 = now_ns();
        r = kind == P_LRANGE ? redisCommand(c, "LRANGE big:list %" PRIu64 " %" PRIu64, i, i + 99)
                             : redisCommand(c, "LINDEX big:list %" PRIu64, i);
    }
    lat = (uint64_t)(now_ns() - t0);
    if (!r)
        die("%s: connection lost: %s", zl_probe_names[kind], c->errstr);
    if (kind == P_ZRANK)
        ok = r->type == REDIS_REPLY_INTEGER && (uint64_t)r->integer < nz &&
             (!full || (uint64_t)r->integer == zscore(o, i));
    else if (kind == P_LINDEX_MID || kind == P_LINDEX)
        ok = r->type == REDIS_REPLY_STRING && r->len == CL_ELEM_LEN && !memcmp(r->str, w, r->len);
    else
        ok = r->type == REDIS_REPLY_ARRAY && r->elements == n_want &&
             r->element[0]->type == REDIS_REPLY_STRING &&
             (!(kind == P_LRANGE || full) ||
              (r->element[0]->len == CL_ELEM_LEN && !memcmp(r->element[0]->str, w, CL_ELEM_LEN)));
    if (!ok)
        die("%s at %" PRIu64 " answered wrongly (type %d%s%s)", zl_probe_names[kind], i, r->type,
            r->type == REDIS_REPLY_ERROR ? ": " : "", r->type == REDIS_REPLY_ERROR ? r->str : "");
    freeReplyObject(r);
    return lat;
}

/* The first call of 'kind' after 'when' ("built", "restarted": what has to be read or
 * built before the first answer), then o->probes calls; prints and records the first
 * call's time, p50 / p99 / max and the RocksDB reads per call (when INFO has them). */
static void zl_probe(redisContext *c, const struct cl_opts *o, enum zl_probe kind,
                     const char *when, uint64_t *seed)
{
    static struct hist h;
    uint64_t reads0, reads1, first;
    char phase[48], rd[32] = "n/a";

    snprintf(phase, sizeof(phase), "%s_%s", zl_probe_tags[kind], when);
    first = zl_call(c, o, kind, seed);
    reads0 = info_opt(c, "rocksdb_reads");
    hist_init(&h);
    for (uint64_t k = 0; k < o->probes; k++)
        hist_record(&h, zl_call(c, o, kind, seed));
    reads1 = info_opt(c, "rocksdb_reads");
    if (reads0 != CL_NONE && reads1 != CL_NONE)
        snprintf(rd, sizeof(rd), "%.2f", (double)(reads1 - reads0) / (double)o->probes);
    printf("%-20s %-9s first %8.3f ms, then %6" PRIu64 " calls: p50 %7.1f us  p99 %7.1f us  "
           "max %8.1f us  (%s RocksDB reads per call)\n",
           zl_probe_names[kind], when, (double)first / 1e6, o->probes,
           hist_percentile(&h, 50) / 1e3, hist_percentile(&h, 99) / 1e3,
           hist_percentile(&h, 100) / 1e3, rd);
    csv_row(phase, "first_ms", (double)first / 1e6, "ms");
    csv_row(phase, "p50", hist_percentile(&h, 50) / 1e3, "us");
    csv_row(phase, "p99", hist_percentile(&h, 99) / 1e3, "us");
    csv_row(phase, "max", hist_percentile(&h, 100) / 1e3, "us");
    if (reads0 != CL_NONE && reads1 != CL_NONE)
        csv_row(phase, "reads_per_call", (double)(reads1 - reads0) / (double)o->probes, "reads");
}

/* Every probe of the collections built (the ZRANK ones first, with INFO used_memory
 * before and after them: what the ranks cost in RAM once built), labelled 'when'. */
static void zl_probes(redisContext *c, const struct cl_opts *o, const char *when,
                      uint64_t *seed)
{
    if (o->built_z) {
        uint64_t m0 = info_opt(c, "used_memory"), r0 = info_opt(c, "used_memory_zset_ranks");
        uint64_t m1, r1;
        char phase[48];

        zl_probe(c, o, P_ZRANK, when, seed);
        zl_probe(c, o, P_ZRANGE, when, seed);
        m1 = info_opt(c, "used_memory");
        r1 = info_opt(c, "used_memory_zset_ranks");
        snprintf(phase, sizeof(phase), "zrank_%s", when);
        if (m0 != CL_NONE && m1 != CL_NONE) {
            printf("  INFO used_memory around the sorted-set probes: %.1f -> %.1f MB\n",
                   mb((double)m0), mb((double)m1));
            csv_row(phase, "used_memory_before", (double)m0, "B");
            csv_row(phase, "used_memory_after", (double)m1, "B");
        }
        if (r0 != CL_NONE && r1 != CL_NONE) { /* omenkv's rank blocks (store/zrank.c) */
            printf("  INFO used_memory_zset_ranks: %.1f -> %.1f MB (%.1f bytes per member)\n",
                   mb((double)r0), mb((double)r1), (double)r1 / (double)o->built_z);
            csv_row(phase, "ranks_before", (double)r0, "B");
            csv_row(phase, "ranks_after", (double)r1, "B");
        }
    }
    if (o->built_l) {
        zl_probe(c, o, P_LINDEX_MID, when, seed);
        zl_probe(c, o, P_LINDEX, when, seed);
        zl_probe(c, o, P_LRANGE, when, seed);
    }
}

/* DEL of the large sorted set and list: O(1) on omenkv, whatever their size. */
static void zl_dels(redisContext *c, const struct cl_opts *o)
{
    static const struct { const char *key, *phase; int z; } d[] = {
        {"big:zset", "del_zset", 1}, {"big:list", "del_list", 0}};

    for (size_t k = 0; k < OMK_ARRAY_LEN(d); k++) {
        int64_t t0;
        long long n;
        double ms;

        if (!(d[k].z ? o->built_z : o->built_l))
            continue;
        t0 = now_ns();
        n = cmd_int(c, "DEL %s", d[k].key);
        ms = secs_since(t0) * 1e3;
        if (n != 1)
            die("DEL %s answered %lld", d[k].key, n);
        printf("DEL %s: %.3f ms\n", d[k].key, ms);
        csv_row(d[k].phase, "del_ms", ms, "ms");
    }
}

/* Issue 21's part of the run: the sorted set and the list built, probed, probed again
 * after a restart (only when coll-large started the server: the rank structure is built
 * lazily again), deleted. Returns the connection to use afterwards. */
static redisContext *zl_run(redisContext *c, struct cl_opts *o)
{
    uint64_t seed = 0x1234567887654321ULL;

    zscore_setup(o->size);
    if (o->types & T_ZSET)
        build_zl(c, o, 1);
    if (o->types & T_LIST)
        build_zl(c, o, 0);
    zl_probes(c, o, "built", &seed);
    if (g_server_pid > 0) {
        double s;

        redisFree(c);
        s = server_restart(o);
        printf("restarted the server (SIGTERM, start on the same data): first PONG after %.2f s\n",
               s);
        csv_row("restart", "seconds", s, "s");
        c = conn_new(o);
        zl_probes(c, o, "restarted", &seed);
    }
    zl_dels(c, o);
    return c;
}

/* ---- arguments ------------------------------------------------------------------------ */

/* Parse a count with an optional k/m/g suffix (powers of 1000) into '*v'; 1, or 0. */
static int parse_count(const char *s, uint64_t *v)
{
    size_t len = strlen(s);
    unsigned long long mul = 1, n;

    if (len > 1) {
        switch (s[len - 1]) {
        case 'k': case 'K': mul = 1000ULL; len--; break;
        case 'm': case 'M': mul = 1000000ULL; len--; break;
        case 'g': case 'G': mul = 1000000000ULL; len--; break;
        default: break;
        }
    }
    if (!omk_str2ull(s, len, &n) || (n && mul > UINT64_MAX / n))
        return 0;
    *v = n * mul;
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: coll-large [--size N | --quick] [--types hash,set,zset,list] [-h HOST] [-p PORT]\n"
        "                  [--dir DIR] [--server PATH]\n"
        "                  [--value-size B] [--batch B] [--depth D] [--probes N] [--small K]\n"
        "                  [--build-limit S] [--wait S] [--settle S] [--idle S]\n"
        "                  [--compact-cmd 'CMD ...']\n"
        "                  [--csv FILE]\n"
        "Builds an N-field hash and an N-member set (default 10M; --quick: 200k) through an\n"
        "omenkv server and measures counts without reads, HGET/SISMEMBER latency, DEL, the\n"
        "space coming back after it, and the index's bytes per key (types hash and set: they\n"
        "run together); then an N-member sorted set (ZADD throughput, ZRANK and ZRANGE by\n"
        "rank) and an N-element list (RPUSH, LINDEX of the middle, LRANGE), measured again\n"
        "after a restart when coll-large started the server (types zset, list: these also run\n"
        "against another server, Redis for one). Without -p it starts --server (default\n"
        "../daemon/omenkv-server beside this binary) in a temp dir. Counts take k/m/g suffixes\n"
        "(x1000). See bench/README.md.\n");
}

static void parse_args(struct cl_opts *o, int argc, char **argv)
{
    enum { O_SIZE = 256, O_QUICK, O_DIR, O_SERVER, O_VSIZE, O_BATCH, O_DEPTH, O_PROBES,
           O_SMALL, O_LIMIT, O_WAIT, O_SETTLE, O_IDLE, O_COMPACT, O_CSV, O_HELP, O_TYPES };
    static const struct option lo[] = {
        {"size", required_argument, NULL, O_SIZE}, {"quick", no_argument, NULL, O_QUICK},
        {"dir", required_argument, NULL, O_DIR}, {"server", required_argument, NULL, O_SERVER},
        {"value-size", required_argument, NULL, O_VSIZE},
        {"batch", required_argument, NULL, O_BATCH}, {"depth", required_argument, NULL, O_DEPTH},
        {"probes", required_argument, NULL, O_PROBES},
        {"small", required_argument, NULL, O_SMALL}, {"wait", required_argument, NULL, O_WAIT},
        {"build-limit", required_argument, NULL, O_LIMIT},
        {"settle", required_argument, NULL, O_SETTLE}, {"idle", required_argument, NULL, O_IDLE},
        {"compact-cmd", required_argument, NULL, O_COMPACT},
        {"csv", required_argument, NULL, O_CSV}, {"help", no_argument, NULL, O_HELP},
        {"types", required_argument, NULL, O_TYPES},
        {NULL, 0, NULL, 0}};
    uint64_t v, size = 0, small = 0, probes = 0;
    double wait = -1, idle = -1, limit = -1;
    int ch;

    *o = (struct cl_opts){.host = "127.0.0.1", .vsize = 16, .batch = 100, .depth = 16,
                          .settle_s = 3, .types = T_HASH | T_SET | T_ZSET | T_LIST};
    while ((ch = getopt_long(argc, argv, "h:p:n:", lo, NULL)) != -1) {
        switch (ch) {
        case 'h': o->host = optarg; break;
        case 'p':
            if (!parse_count(optarg, &v) || v == 0 || v > 65535)
                goto bad;
            o->port = (int)v;
            break;
        case 'n':
        case O_SIZE:
            if (!parse_count(optarg, &size) || size == 0 || size > UINT64_C(1000000000000) / 2)
                goto bad;
            break;
        case O_QUICK: o->quick = 1; break;
        case O_DIR: o->dir = optarg; break;
        case O_SERVER: o->server = optarg; break;
        case O_VSIZE:
            if (!parse_count(optarg, &v) || v < CL_MIN_VALUE || v > CL_MAX_VALUE)
                goto bad;
            o->vsize = (unsigned)v;
            break;
        case O_BATCH:
            if (!parse_count(optarg, &v) || v == 0 || v > 100000)
                goto bad;
            o->batch = (unsigned)v;
            break;
        case O_DEPTH:
            if (!parse_count(optarg, &v) || v == 0 || v > 1000)
                goto bad;
            o->depth = (unsigned)v;
            break;
        case O_PROBES:
            if (!parse_count(optarg, &probes) || probes == 0)
                goto bad;
            break;
        case O_SMALL:
            if (!parse_count(optarg, &small) || small == 0)
                goto bad;
            break;
        case O_WAIT: wait = atof(optarg); if (wait <= 0) goto bad; break;
        case O_LIMIT: limit = atof(optarg); if (limit <= 0) goto bad; break;
        case O_SETTLE: o->settle_s = atof(optarg); if (o->settle_s <= 0) goto bad; break;
        case O_IDLE: idle = atof(optarg); if (idle <= 0) goto bad; break;
        case O_COMPACT: o->compact_cmd = optarg; break;
        case O_CSV: o->csv = optarg; break;
        case O_TYPES:
            o->types = 0;
            for (const char *t = optarg; *t;) {
                size_t len = strcspn(t, ",");

                if (len == 4 && !strncmp(t, "hash", 4))
                    o->types |= T_HASH;
                else if (len == 3 && !strncmp(t, "set", 3))
                    o->types |= T_SET;
                else if (len == 4 && !strncmp(t, "zset", 4))
                    o->types |= T_ZSET;
                else if (len == 4 && !strncmp(t, "list", 4))
                    o->types |= T_LIST;
                else
                    goto bad;
                t += len + (t[len] == ',');
            }
            if (!o->types)
                goto bad;
            break;
        case O_HELP: usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind != argc)
        goto bad;
    o->size = size ? size : o->quick ? 200000 : 10000000;
    o->small = small ? small : o->quick ? 20000 : 100000;
    o->probes = probes ? probes : o->quick ? 2000 : 5000;
    /* a 10M-element compaction takes a while: 30 s plus 10 s per million elements */
    o->wait_s = wait > 0 ? wait : 30 + (double)o->size / 100000;
    /* 2 min plus four times a build at 50k elements/s (10M: 15 min 20 s) */
    o->build_limit_s = limit > 0 ? limit : 120 + (double)o->size / 12500;
    o->idle_s = idle > 0 ? idle : o->quick ? 2 : 5;
    return;
bad:
    fprintf(stderr, "coll-large: bad argument (near '%s')\n",
            optind <= argc ? argv[optind - 1] : "");
    usage(stderr);
    exit(2);
}

/* The server binary beside ours: <dir of /proc/self/exe>/../daemon/omenkv-server. */
static const char *default_server(void)
{
    static char path[PATH_MAX];
    char self[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n <= 0)
        return "daemon/omenkv-server";
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, sizeof(path), "%s/../daemon/omenkv-server", self);
    return path;
}

/* ---- the run ------------------------------------------------------------------------ */

/* Index bytes per key for each small type, from the growth of INFO's index fields. */
static void bytes_per_key(redisContext *c, const struct cl_opts *o)
{
    static const struct { char p; const char *name, *phase; } t[] = {
        {'s', "string (16-byte value)", "string"},
        {'h', "hash (4 fields, 16-byte values)", "hash_small"},
        {'t', "set (4 members)", "set_small"},
    };
    char a[32];

    printf("index bytes per key, %s keys of each type, 14-byte names (INFO index_bytes and "
           "index_entry_bytes grown over index_keys grown):\n", commas(a, o->small));
    for (size_t i = 0; i < OMK_ARRAY_LEN(t); i++) {
        char *s0 = info_all(c), *s1;
        double k0, k1, n0, n1, e0, e1, dk;

        build_small(c, o, t[i].p);
        s1 = info_all(c);
        if (!info_num(s0, "index_keys", &k0) || !info_num(s1, "index_keys", &k1) ||
            !info_num(s0, "index_bytes", &n0) || !info_num(s1, "index_bytes", &n1) ||
            !info_num(s0, "index_entry_bytes", &e0) || !info_num(s1, "index_entry_bytes", &e1))
            die("INFO lacks index_keys, index_bytes or index_entry_bytes");
        dk = k1 - k0;
        if (dk != (double)o->small)
            die("index_keys grew by %.0f, not %" PRIu64, dk, o->small);
        printf("  %-32s entry %6.1f + nodes %6.1f = %6.1f B/key\n", t[i].name, (e1 - e0) / dk,
               (n1 - n0) / dk, (e1 - e0 + n1 - n0) / dk);
        csv_row(t[i].phase, "entry_bytes_per_key", (e1 - e0) / dk, "B");
        csv_row(t[i].phase, "index_bytes_per_key", (n1 - n0) / dk, "B");
        omk_free(s0);
        omk_free(s1);
    }
}

/* Build one large collection ('*built': the elements it reached); returns the bytes its
 * build added to the element column family (to rocksdb_disk_bytes on a server that does
 * not report the family). */
static uint64_t build_large(redisContext *c, const struct cl_opts *o, const char *verb,
                            const char *key, char prefix, int with_values, const char *what,
                            const char *phase, uint64_t *built)
{
    struct disk d0, d1;
    double e0, e1;
    char *s;
    int64_t t0;
    double dt, q;
    uint64_t added;
    long long count;
    char a[32], b[32];

    disk_quiesce(c, o, 60, &d0);
    s = info_all(c);
    info_num(s, "index_entry_bytes", &e0);
    omk_free(s);
    t0 = now_ns();
    added = build(c, o, verb, key, prefix, with_values ? B_HASH : B_SET, o->size, built);
    dt = secs_since(t0);
    if (added != *built)
        die("%s %s: %" PRIu64 " new elements, not %" PRIu64, verb, key, added, *built);
    count = cmd_int(c, with_values ? "HLEN %s" : "SCARD %s", key);
    if ((uint64_t)count != *built)
        die("%s %s counts %lld elements, not %" PRIu64, with_values ? "HLEN" : "SCARD", key, count,
            *built);
    s = info_all(c);
    info_num(s, "index_entry_bytes", &e1);
    omk_free(s);
    q = disk_quiesce(c, o, 120, &d1);
    printf("build %s: %s %s in %.1f s, %s %s/s (%s, %u per command, %u commands in flight); "
           "index entry %.0f B; element CF %+.1f MB, rocksdb_disk_bytes %+.1f MB, data dir "
           "%+.1f MB (quiet %.1f s later)\n", key, commas(a, *built), what, dt,
           commas(b, (uint64_t)((double)*built / dt)), what, verb, o->batch, o->depth, e1 - e0,
           mb((double)disk_elem(&d1) - (double)disk_elem(&d0)),
           mb((double)d1.info - (double)d0.info), mb((double)d1.du - (double)d0.du), q);
    csv_row(phase, "elements", (double)*built, "elements");
    csv_row(phase, "stopped", *built < o->size, "bool");
    csv_row(phase, "seconds", dt, "s");
    csv_row(phase, "rate", (double)*built / dt, "elements/s");
    csv_row(phase, "entry_bytes", e1 - e0, "B");
    csv_row(phase, "elem_added", (double)disk_elem(&d1) - (double)disk_elem(&d0), "B");
    csv_row(phase, "disk_added", (double)d1.info - (double)d0.info, "B");
    csv_row(phase, "dir_added", (double)d1.du - (double)d0.du, "B");
    return disk_elem(&d1) > disk_elem(&d0) ? disk_elem(&d1) - disk_elem(&d0) : 0;
}

/* HLEN, SCARD, TYPE and EXISTS of both large keys, 100 times each: INFO's rocksdb_reads
 * must not move. */
static void counts_noread(redisContext *c)
{
    uint64_t r0 = info_u64(c, "rocksdb_reads"), r1;
    redisReply *r;

    for (int i = 0; i < 100; i++) {
        cmd_int(c, "HLEN big:hash");
        cmd_int(c, "SCARD big:set");
        cmd_int(c, "EXISTS big:hash big:set");
        r = cmd(c, "TYPE big:hash");
        freeReplyObject(r);
        r = cmd(c, "TYPE big:set");
        freeReplyObject(r);
    }
    r1 = info_u64(c, "rocksdb_reads");
    printf("HLEN, SCARD, EXISTS, TYPE x100 each on the large keys: rocksdb_reads %" PRIu64
           " before, %" PRIu64 " after: %s\n", r0, r1,
           r0 == r1 ? "no RocksDB read" : "READS (the counts should come from RAM)");
    csv_row("counts", "rocksdb_reads", (double)(r1 - r0), "reads");
}

int main(int argc, char **argv)
{
    struct cl_opts o;
    redisContext *c;
    struct side side;
    uint64_t seed = 0x2545f4914f6cdd1dULL, grown_h, grown_s;
    long long dbsize;
    int64_t t_start = now_ns();
    char *info;
    double ver;
    char a[32], b[32];

    parse_args(&o, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows through a pipe (run-all's tee) */
    signal(SIGPIPE, SIG_IGN);
    if (o.csv) {
        struct stat st;
        int fresh = stat(o.csv, &st) != 0 || st.st_size == 0;

        if (!(g_csv = fopen(o.csv, "a")))
            die("%s: %s", o.csv, strerror(errno));
        if (fresh)
            fprintf(g_csv, "phase,metric,value,unit\n");
    }
    atexit(server_cleanup);
    if (!o.port) {
        if (!o.server)
            o.server = default_server();
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        server_start(&o);
    }
    c = conn_new(&o);
    dbsize = cmd_int(c, "DBSIZE");
    if (dbsize != 0)
        die("the server holds %lld keys: coll-large needs an empty one", dbsize);
    info = info_all(c);
    if ((o.types & (T_HASH | T_SET)) &&
        (!info_num(info, "omenkv_version", &ver) || !info_num(info, "rocksdb_reads", &ver)))
        die("the server at %s:%d is not omenkv (INFO lacks omenkv_version or rocksdb_reads): "
            "only --types zset,list measure another server", o.host, o.port);
    omk_free(info);
    printf("coll-large: %s elements per collection, %u-byte hash values, %s small keys per type, "
           "%" PRIu64 " probes, port %d%s%s\n", commas(a, o.size), o.vsize,
           commas(b, o.small), o.probes, o.port, o.dir ? ", data dir " : "",
           o.dir ? o.dir : "");
    csv_row("run", "size", (double)o.size, "elements");

    if (o.types & (T_ZSET | T_LIST))
        c = zl_run(c, &o);
    if (!(o.types & (T_HASH | T_SET)))
        goto done;

    bytes_per_key(c, &o);

    grown_h = build_large(c, &o, "HSET", "big:hash", 'f', 1, "fields", "build_hash", &o.built_h);
    grown_s = build_large(c, &o, "SADD", "big:set", 'm', 0, "members", "build_set", &o.built_s);
    counts_noread(c);
    probe(c, &o, PROBE_HGET, 1, &seed);
    probe(c, &o, PROBE_HGET, 0, &seed);
    probe(c, &o, PROBE_SISMEMBER, 1, &seed);
    probe(c, &o, PROBE_SISMEMBER, 0, &seed);

    printf("second client alone for %.0f s (GET s:*, HGET h:* f1, one connection):\n", o.idle_s);
    side_start(&side, &o);
    usleep((useconds_t)(o.idle_s * 1e6));
    side_stop(&side, "idle", "client_idle");

    del_phase(c, &o, "big:hash", "fields", "del_hash", o.built_h, grown_h);
    del_phase(c, &o, "big:set", "members", "del_set", o.built_s, grown_s);

    info = info_all(c);
    if (info_num(info, "index_bytes_per_key", &ver))
        printf("INFO index_bytes_per_key at the end (%s keys, all small): %.1f\n",
               commas(a, (uint64_t)(3 * o.small)), ver);
    omk_free(info);
done:
    printf("coll-large: done in %.1f s\n", secs_since(t_start));
    csv_row("run", "seconds", secs_since(t_start), "s");
    redisFree(c);
    return 0;
}
