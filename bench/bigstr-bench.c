/* bigstr-bench.c - large strings through the server (issue 22, "Benchmarks"), against
 * omenkv or Redis on -p PORT (the same machine: the server's /proc is read):
 *
 *   --op setbit|getbit  N commands (--requests) at random bit offsets below --range over
 *       --conns connections, --pipeline at once each, from one poll() loop (as
 *       redis-benchmark runs); prints "<OP> rps <n>". bench/vs-redis runs its setbit and
 *       getbit tests with it: redis-benchmark cannot, its __rand_int__ is zero-padded and
 *       Redis refuses an offset with leading zeros.
 *   --bitmap            a bitmap of --bitmap-mb MB (512: one SETBIT of its last bit), then
 *       --setbits SETBITs at random offsets: SETBITs per second, the bytes the server
 *       wrote to storage per SETBIT (/proc/<pid>/io write_bytes over the run: the log,
 *       memtable flushes and compactions it caused; the pid from INFO process_id), the
 *       disk bytes INFO reports (omenkv's rocksdb_disk_bytes) and the server's RSS.
 *   --get               a value of --get-mb MB (100) built with APPENDs of 1 MB, then
 *       --get-runs GETs of it on a raw socket: time to the first byte of the reply, total
 *       time, and the growth of the server's RSS during it (VmRSS sampled every 2 ms
 *       against its value just before); every reply is checked byte for byte. The rows
 *       give the first run and the median of all, and the largest RSS growth.
 *
 * Prints text lines and, with --csv, appends rows `label,test,metric,value,unit` (bench/
 * run-all's bigstr.csv; --label names the server). Exit status 0, or 1 when a reply was
 * wrong or the server could not be reached. The keys it writes (bigstr:*) are deleted at
 * the end of --bitmap and --get. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#define BB_MAX_CONNS 1000
#define BB_CHUNK (1u << 20)      /* APPEND size building the --get value */
#define BB_SAMPLE_US 2000        /* RSS sampling period during a GET */

static struct {
    const char *host;
    int port;
    const char *op;              /* --op: "setbit" or "getbit", or NULL */
    uint64_t range;              /* --op: offsets below this */
    uint64_t requests;
    int conns, pipeline;
    int bitmap, get;             /* the modes asked for */
    uint64_t bitmap_mb, setbits;
    uint64_t get_mb;
    int get_runs;
    const char *csv, *label;
    uint64_t seed;
} opt = {.host = "127.0.0.1",
         .range = 1000000,
         .requests = 100000,
         .conns = 50,
         .pipeline = 1,
         .bitmap_mb = 512,
         .setbits = 200000,
         .get_mb = 100,
         .get_runs = 3,
         .label = "server",
         .seed = 1};

static double bb_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t bb_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

__attribute__((format(printf, 1, 2), noreturn)) static void bb_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "bigstr-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Print one figure, and append it to --csv. */
static void bb_row(const char *test, const char *metric, double value, const char *unit)
{
    printf("%s %s %s: %.6g %s\n", opt.label, test, metric, value, unit);
    if (opt.csv) {
        FILE *f = fopen(opt.csv, "a");

        if (!f)
            bb_fail("cannot append to %s: %s", opt.csv, strerror(errno));
        if (ftell(f) == 0)
            fprintf(f, "label,test,metric,value,unit\n");
        fprintf(f, "%s,%s,%s,%.6g,%s\n", opt.label, test, metric, value, unit);
        fclose(f);
    }
}

static redisContext *bb_connect(void)
{
    redisContext *c = redisConnect(opt.host, opt.port);

    if (!c || c->err)
        bb_fail("cannot connect to %s:%d: %s", opt.host, opt.port, c ? c->errstr : "no memory");
    redisSetTimeout(c, (struct timeval){600, 0});
    return c;
}

/* Run a command ('fmt' as redisCommand takes it: %s, %b, %llu ...) that must not fail;
 * the reply, freed by the caller. */
static redisReply *bb_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r || r->type == REDIS_REPLY_ERROR)
        bb_fail("'%s' failed: %s", fmt, r ? r->str : c->errstr);
    return r;
}

/* ---- the server process, from INFO and /proc ---- */

/* INFO field 'name' as a number (-1 when the server does not report it). */
static long long bb_info(redisContext *c, const char *name)
{
    redisReply *r = bb_cmd(c, "INFO");
    size_t n = strlen(name);
    long long v = -1;

    for (const char *p = r->str; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == ':')
            v = atoll(p + n + 1);
    freeReplyObject(r);
    return v;
}

/* Field 'name' (e.g. "write_bytes:", "VmRSS:") of /proc/<pid>/<file>: a number, -1 if
 * unreadable. VmRSS is in kB. */
static long long bb_proc(long long pid, const char *file, const char *name)
{
    char path[64], line[256];
    long long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%lld/%s", pid, file);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, name, strlen(name)))
            v = atoll(line + strlen(name));
    fclose(f);
    return v;
}

/* ---- random SETBIT / GETBIT from one poll() loop ---- */

struct bb_conn {
    redisContext *c;
    int inflight;   /* commands sent whose replies have not come */
    int want_write; /* the output buffer holds unsent bytes */
};

/* 'requests' SETBITs (value 1) or GETBITs of key 'key' at random offsets below 'range',
 * over opt.conns connections with opt.pipeline in flight each. Every reply must be an
 * integer. Returns the seconds it took. */
static double bb_random_bits(const char *op, const char *key, uint64_t range, uint64_t requests)
{
    struct bb_conn *cs = calloc((size_t)opt.conns, sizeof(*cs));
    struct pollfd *pf = calloc((size_t)opt.conns, sizeof(*pf));
    uint64_t sent = 0, done = 0, rng = opt.seed * 2654435761u + 11;
    int setbit = !strcmp(op, "setbit");
    double t0;

    for (int i = 0; i < opt.conns; i++) {
        cs[i].c = bb_connect();
        fcntl(cs[i].c->fd, F_SETFL, fcntl(cs[i].c->fd, F_GETFL) | O_NONBLOCK);
        cs[i].c->flags &= ~REDIS_BLOCK;
    }
    t0 = bb_now();
    while (done < requests) {
        for (int i = 0; i < opt.conns; i++) {
            struct bb_conn *k = &cs[i];

            if (k->inflight == 0 && sent < requests) {
                for (int n = 0; n < opt.pipeline && sent < requests; n++, sent++) {
                    unsigned long long off = bb_rand(&rng) % range;

                    if (setbit)
                        redisAppendCommand(k->c, "SETBIT %s %llu 1", key, off);
                    else
                        redisAppendCommand(k->c, "GETBIT %s %llu", key, off);
                    k->inflight++;
                }
                k->want_write = 1;
            }
            pf[i].fd = k->c->fd;
            pf[i].events = (short)((k->inflight ? POLLIN : 0) | (k->want_write ? POLLOUT : 0));
            pf[i].revents = 0;
        }
        if (poll(pf, (nfds_t)opt.conns, 60000) <= 0)
            bb_fail("%s: no progress in 60 s (%llu of %llu answered)", op,
                    (unsigned long long)done, (unsigned long long)requests);
        for (int i = 0; i < opt.conns; i++) {
            struct bb_conn *k = &cs[i];
            void *r;

            if (pf[i].revents & POLLOUT) {
                int wdone = 0;

                if (redisBufferWrite(k->c, &wdone) != REDIS_OK)
                    bb_fail("%s: write: %s", op, k->c->errstr);
                k->want_write = !wdone;
            }
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (redisBufferRead(k->c) != REDIS_OK)
                bb_fail("%s: read: %s", op, k->c->errstr);
            while (k->inflight && redisGetReplyFromReader(k->c, &r) == REDIS_OK && r) {
                redisReply *rep = r;

                if (rep->type != REDIS_REPLY_INTEGER)
                    bb_fail("%s: unexpected reply (type %d) %s", op, rep->type,
                            rep->type == REDIS_REPLY_ERROR ? rep->str : "");
                freeReplyObject(rep);
                k->inflight--;
                done++;
            }
        }
    }
    t0 = bb_now() - t0;
    for (int i = 0; i < opt.conns; i++)
        redisFree(cs[i].c);
    free(cs);
    free(pf);
    return t0;
}

/* --op: bench/vs-redis's setbit and getbit tests. The key bigstr:vs is left as it is
 * (vs-redis runs the setbit rounds before the getbit ones, on servers it owns). */
static void bb_op(void)
{
    double s = bb_random_bits(opt.op, "bigstr:vs", opt.range, opt.requests);

    printf("%s rps %.0f\n", opt.op, (double)opt.requests / s);
}

/* --bitmap: SETBIT at random offsets in a bitmap of opt.bitmap_mb MB. */
static void bb_bitmap(void)
{
    redisContext *c = bb_connect();
    uint64_t bits = opt.bitmap_mb << 23;
    long long pid = bb_info(c, "process_id"), w0, w1, d0, d1, rss0, rss1;
    double t, s;
    char test[64];

    snprintf(test, sizeof(test), "setbit-%llumb", (unsigned long long)opt.bitmap_mb);
    freeReplyObject(bb_cmd(c, "DEL bigstr:bitmap"));
    t = bb_now();
    freeReplyObject(bb_cmd(c, "SETBIT bigstr:bitmap %llu 1", (unsigned long long)bits - 1));
    bb_row(test, "create_s", bb_now() - t, "s");
    rss0 = bb_proc(pid, "status", "VmRSS:");
    w0 = bb_proc(pid, "io", "write_bytes:");
    d0 = bb_info(c, "rocksdb_disk_bytes");
    s = bb_random_bits("setbit", "bigstr:bitmap", bits, opt.setbits);
    w1 = bb_proc(pid, "io", "write_bytes:");
    d1 = bb_info(c, "rocksdb_disk_bytes");
    rss1 = bb_proc(pid, "status", "VmRSS:");
    bb_row(test, "setbit_per_s", (double)opt.setbits / s, "ops/s");
    if (w0 >= 0 && w1 >= 0)
        bb_row(test, "write_bytes_per_setbit", (double)(w1 - w0) / (double)opt.setbits, "B");
    else
        printf("%s %s: /proc/%lld/io is not readable: no bytes written\n", opt.label, test, pid);
    if (d0 >= 0 && d1 >= 0)
        bb_row(test, "disk_bytes_growth", (double)(d1 - d0), "B");
    if (rss0 >= 0)
        bb_row(test, "rss_after_create", (double)rss0 / 1024, "MB");
    if (rss1 >= 0)
        bb_row(test, "rss_after_setbits", (double)rss1 / 1024, "MB");
    {
        redisReply *r = bb_cmd(c, "BITCOUNT bigstr:bitmap");

        if (r->type != REDIS_REPLY_INTEGER || r->integer < 1 ||
            (unsigned long long)r->integer > opt.setbits + 1)
            bb_fail("BITCOUNT of the bitmap is %lld after %llu SETBITs", r->integer,
                    (unsigned long long)opt.setbits);
        freeReplyObject(r);
    }
    freeReplyObject(bb_cmd(c, "DEL bigstr:bitmap"));
    redisFree(c);
}

/* Byte 'i' of the --get value: varied, so that no fragment is all zero. */
static unsigned char bb_pattern(uint64_t i)
{
    return (unsigned char)('a' + (i * 7 + i / 4096) % 26);
}

static int bb_dcmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return a < b ? -1 : a > b;
}

/* The median of 'n' values at 'v' (a sorted copy's middle). */
static double bb_median(const double *v, int n)
{
    double tmp[100];

    memcpy(tmp, v, (size_t)n * sizeof(*v));
    qsort(tmp, (size_t)n, sizeof(*tmp), bb_dcmp);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* The RSS sampler of bb_get: the highest VmRSS (kB) of 'pid' while 'run' is set. */
static struct {
    long long pid;
    atomic_int run;
    long long max_kb;
} bb_sampler;

static void *bb_sample_main(void *arg)
{
    (void)arg;
    while (atomic_load(&bb_sampler.run)) {
        long long v = bb_proc(bb_sampler.pid, "status", "VmRSS:");

        if (v > bb_sampler.max_kb)
            bb_sampler.max_kb = v;
        usleep(BB_SAMPLE_US);
    }
    return NULL;
}

/* A raw connection to the server (GET's reply is read by hand: time to first byte). */
static int bb_socket(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    char port[16];
    int fd;

    snprintf(port, sizeof(port), "%d", opt.port);
    if (getaddrinfo(opt.host, port, &hints, &ai) != 0)
        bb_fail("cannot resolve %s", opt.host);
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        bb_fail("cannot connect to %s:%d: %s", opt.host, opt.port, strerror(errno));
    freeaddrinfo(ai);
    return fd;
}

/* --get: GET of a value of opt.get_mb MB. */
static void bb_get(void)
{
    redisContext *c = bb_connect();
    uint64_t len = opt.get_mb << 20;
    unsigned char *chunk = malloc(BB_CHUNK), *buf = malloc(1 << 20);
    long long pid = bb_info(c, "process_id");
    double t, first[100], total[100], growth[100];
    char test[64];
    int fd;

    snprintf(test, sizeof(test), "get-%llumb", (unsigned long long)opt.get_mb);
    freeReplyObject(bb_cmd(c, "DEL bigstr:get"));
    t = bb_now();
    for (uint64_t at = 0; at < len; at += BB_CHUNK) {
        size_t n = len - at < BB_CHUNK ? (size_t)(len - at) : BB_CHUNK;

        for (size_t i = 0; i < n; i++)
            chunk[i] = bb_pattern(at + i);
        freeReplyObject(bb_cmd(c, "APPEND bigstr:get %b", chunk, n));
    }
    bb_row(test, "build_s", bb_now() - t, "s");
    fd = bb_socket();
    for (int run = 0; run < opt.get_runs; run++) {
        static const char req[] = "*2\r\n$3\r\nGET\r\n$10\r\nbigstr:get\r\n";
        char head[32];
        uint64_t got = 0, want, body = 0;
        size_t hlen = 0;
        long long rss0 = bb_proc(pid, "status", "VmRSS:");
        double t0;
        pthread_t th;
        int bad = 0;

        snprintf(head, sizeof(head), "$%llu\r\n", (unsigned long long)len);
        hlen = strlen(head);
        want = hlen + len + 2;
        bb_sampler.pid = pid;
        bb_sampler.max_kb = rss0;
        atomic_store(&bb_sampler.run, 1);
        pthread_create(&th, NULL, bb_sample_main, NULL);
        first[run] = -1;
        t0 = bb_now();
        if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
            bb_fail("GET: write: %s", strerror(errno));
        while (got < want) {
            ssize_t n = read(fd, buf, 1 << 20);

            if (n <= 0)
                bb_fail("GET: %s after %llu bytes", n ? strerror(errno) : "connection closed",
                        (unsigned long long)got);
            if (first[run] < 0)
                first[run] = (bb_now() - t0) * 1e3;
            for (ssize_t i = 0; i < n && !bad; i++, got++) {
                if (got < hlen)
                    bad = buf[i] != (unsigned char)head[got];
                else if (got < hlen + len)
                    bad = buf[i] != bb_pattern(body++);
                else
                    bad = buf[i] != "\r\n"[got - hlen - len];
            }
            if (bad)
                bb_fail("GET: the reply differs from the value at byte %llu",
                        (unsigned long long)got);
        }
        total[run] = (bb_now() - t0) * 1e3;
        atomic_store(&bb_sampler.run, 0);
        pthread_join(th, NULL);
        growth[run] = rss0 >= 0 ? (double)(bb_sampler.max_kb - rss0) / 1024 : -1;
        printf("%s %s run %d: first byte %.3f ms, total %.3f ms (%.1f MB/s), RSS growth %.1f "
               "MB\n", opt.label, test, run + 1, first[run], total[run],
               (double)opt.get_mb / total[run] * 1e3, growth[run]);
    }
    bb_row(test, "first_byte_ms_run1", first[0], "ms");
    bb_row(test, "first_byte_ms_median", bb_median(first, opt.get_runs), "ms");
    bb_row(test, "total_ms_run1", total[0], "ms");
    bb_row(test, "total_ms_median", bb_median(total, opt.get_runs), "ms");
    for (int run = 1; run < opt.get_runs; run++)
        growth[0] = growth[run] > growth[0] ? growth[run] : growth[0];
    if (growth[0] >= 0)
        bb_row(test, "rss_growth_max", growth[0], "MB");
    close(fd);
    freeReplyObject(bb_cmd(c, "DEL bigstr:get"));
    redisFree(c);
    free(chunk);
    free(buf);
}

static void bb_usage(FILE *f)
{
    fprintf(f,
            "Usage: bigstr-bench -p PORT [-h HOST] MODE... [options]\n"
            "Modes:\n"
            "  --op setbit|getbit  random-offset SETBIT/GETBIT; prints \"<op> rps N\"\n"
            "  --bitmap            SETBIT at random offsets in a --bitmap-mb MB bitmap\n"
            "  --get               GET of a --get-mb MB value: first byte, total, RSS\n"
            "Options:\n"
            "  --range BITS        --op's offsets are below this (default 1000000)\n"
            "  --requests N        --op's commands (default 100000)\n"
            "  --conns N           connections (default 50)\n"
            "  --pipeline N        commands in flight per connection (default 1)\n"
            "  --bitmap-mb N       (default 512)\n"
            "  --setbits N         --bitmap's SETBITs (default 200000)\n"
            "  --get-mb N          (default 100)\n"
            "  --get-runs N        (default 3)\n"
            "  --csv FILE          append rows label,test,metric,value,unit\n"
            "  --label NAME        the server's name in rows (default server)\n"
            "  --seed N            (default 1)\n");
}

static uint64_t bb_num(const char *name, const char *v, uint64_t min, uint64_t max)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max || v[0] == '-')
        bb_fail("--%s wants a whole number from %llu to %llu, not '%s'", name,
                (unsigned long long)min, (unsigned long long)max, v);
    return n;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"host", required_argument, NULL, 'h'}, {"port", required_argument, NULL, 'p'},
        {"op", required_argument, NULL, 'o'},   {"bitmap", no_argument, NULL, 'B'},
        {"get", no_argument, NULL, 'G'},        {"range", required_argument, NULL, 'r'},
        {"requests", required_argument, NULL, 'n'}, {"conns", required_argument, NULL, 'c'},
        {"pipeline", required_argument, NULL, 'P'}, {"bitmap-mb", required_argument, NULL, 'm'},
        {"setbits", required_argument, NULL, 's'}, {"get-mb", required_argument, NULL, 'g'},
        {"get-runs", required_argument, NULL, 'R'}, {"csv", required_argument, NULL, 'C'},
        {"label", required_argument, NULL, 'l'}, {"seed", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'H'},        {NULL, 0, NULL, 0}};
    int ch;

    while ((ch = getopt_long(argc, argv, "h:p:", lo, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = (int)bb_num("port", optarg, 1, 65535); break;
        case 'o':
            if (strcmp(optarg, "setbit") && strcmp(optarg, "getbit"))
                bb_fail("--op wants setbit or getbit, not '%s'", optarg);
            opt.op = optarg;
            break;
        case 'B': opt.bitmap = 1; break;
        case 'G': opt.get = 1; break;
        case 'r': opt.range = bb_num("range", optarg, 1, 1ULL << 32); break;
        case 'n': opt.requests = bb_num("requests", optarg, 1, 1ULL << 40); break;
        case 'c': opt.conns = (int)bb_num("conns", optarg, 1, BB_MAX_CONNS); break;
        case 'P': opt.pipeline = (int)bb_num("pipeline", optarg, 1, 10000); break;
        case 'm': opt.bitmap_mb = bb_num("bitmap-mb", optarg, 1, 512); break;
        case 's': opt.setbits = bb_num("setbits", optarg, 1, 1ULL << 40); break;
        case 'g': opt.get_mb = bb_num("get-mb", optarg, 1, 511); break;
        case 'R': opt.get_runs = (int)bb_num("get-runs", optarg, 1, 100); break;
        case 'C': opt.csv = optarg; break;
        case 'l':
            if (strpbrk(optarg, ",\"\n\r"))
                bb_fail("--label may not hold commas, quotes or line breaks");
            opt.label = optarg;
            break;
        case 'S': opt.seed = bb_num("seed", optarg, 1, UINT64_MAX); break;
        case 'H': bb_usage(stdout); return 0;
        default: bb_usage(stderr); return 2;
        }
    }
    if (!opt.port || optind < argc || (!opt.op && !opt.bitmap && !opt.get)) {
        bb_usage(stderr);
        return 2;
    }
    if (opt.op)
        bb_op();
    if (opt.bitmap)
        bb_bitmap();
    if (opt.get)
        bb_get();
    return 0;
}
