/* omenkv-bench.c - a load generator for any Redis-protocol server (omenkv, Redis, ...):
 * connections spread over threads, each thread running its own poll() loop; GET / SET / SCAN
 * in a weighted mix over keys `<prefix><12 digits>` drawn uniform, zipfian or "latest";
 * pipelining; a run bounded by time or by request count, after an optional load phase. Prints
 * throughput and latency percentiles (hist.h) as text and appends CSV rows.
 *
 * Latency of a request: from the moment its batch (the --pipeline requests sent together)
 * is handed to the socket to the moment its reply has been parsed. The loop is closed (a
 * connection sends its next batch when the previous one is answered), so a server that
 * stalls lowers throughput rather than piling up requests: coordinated omission is not
 * corrected, as in redis-benchmark.
 *
 * With --rate the run is paced instead: each thread schedules its share of the requests
 * at even gaps from the start, a connection sends the requests that are due, and a
 * request's latency counts from its scheduled time, not from its send. A server that
 * stalls then makes the requests scheduled during the stall wait, and their latency says
 * so (coordinated omission corrected, as wrk2 does); throughput stays at the rate as long
 * as the server keeps up. With --interval the run also prints (and --interval-csv writes)
 * one line per interval: throughput and latency percentiles of the replies that arrived
 * in it, and INFO fields the server reported at its end (--interval-info).
 *
 * Replies are checked: GET wants a bulk string or nil, SET +OK, SCAN a [cursor, [keys]]
 * array. Any other reply counts as an error; a run with errors exits 1. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "clients/hist.h"
#include "clients/keydist.h"
#include "common/omk.h"
#include "common/omk_thread.h"

#define BENCH_MAX_PIPELINE 10000
#define BENCH_MAX_CONNS 10000
#define BENCH_MAX_THREADS 256
#define BENCH_MAX_VALUE (512u << 20) /* Redis' proto-max-bulk-len */
#define BENCH_VALUE_POOL (64u << 10) /* random bytes values are cut from, beyond vmax */
#define BENCH_READ_CHUNK (64u << 10)

enum bench_op { OP_GET, OP_SET, OP_SCAN, OP_N };
static const char *const op_names[OP_N] = {"get", "set", "scan"};

enum bench_dist { DIST_UNIFORM, DIST_ZIPF, DIST_LATEST, DIST_SEQ };
static const char *const dist_names[] = {"uniform", "zipfian", "latest", "sequential"};

/* Everything the command line sets; read-only once the threads run. */
struct bench_opts {
    const char *host;
    int port;
    const char *password;     /* AUTH on every connection, or NULL */
    uint64_t keys;            /* key space: indexes 0 .. keys - 1 */
    size_t vmin, vmax;        /* value size range in bytes, inclusive */
    enum bench_dist dist;
    double theta;             /* zipfian skew */
    unsigned mix[OP_N];       /* relative weights */
    unsigned scan_count;      /* COUNT of each SCAN */
    int pipeline;             /* requests per batch */
    int conns;
    int threads;
    double duration;          /* seconds measured (when requests == 0) */
    double warmup;            /* seconds run before measuring */
    uint64_t requests;        /* requests to send (0: run for 'duration') */
    int load;                 /* 0 no load phase, 1 load then run, 2 load only */
    int load_pipeline;
    int scan_all;             /* one full SCAN iteration instead of a run */
    const char *prefix;       /* key prefix */
    int digits;               /* zero-padded width of the key number */
    const char *csv;          /* append CSV rows to this file ("-": stdout), or NULL */
    const char *label;        /* first CSV column */
    uint64_t seed;
    int quiet;                /* no text report */
    double rate;              /* requests/s of the run over all threads (0: unpaced) */
    double interval;          /* seconds per interval report of the run (0: none) */
    const char *interval_csv; /* append one CSV row per interval to this file, or NULL */
    const char *interval_info; /* INFO fields sampled at each interval's end, comma-separated */
};

/* What the threads share during one phase. The atomics are the only fields written. */
struct bench_phase {
    const char *name;         /* "load", "run", "scan-all" */
    const struct bench_opts *o;
    unsigned mix_cum[OP_N];   /* cumulative weights */
    unsigned mix_total;
    enum bench_dist dist;
    const struct kd_zipf *zipf;
    const struct kd_perm *perm;
    int pipeline;
    int nconns;               /* connections used (the first ones of the array) */
    int nthreads;
    int scan_all;
    uint64_t limit;           /* requests to send (0: until the deadline) */
    int64_t start_ns;
    int64_t record_ns;        /* batches started before this are not measured */
    int64_t deadline_ns;      /* no batch starts at or after this (0: none) */
    _Atomic uint64_t issued;  /* requests claimed so far (with 'limit') */
    _Atomic uint64_t seq;     /* next key of DIST_SEQ */
    _Atomic uint64_t latest;  /* newest key written, for DIST_LATEST */
    _Atomic int scan_done;    /* the full SCAN saw cursor 0 */
    double rate;              /* requests/s over all threads (0: unpaced) */
    int64_t interval_ns;      /* interval reports (0: none) */
    _Atomic int threads_done; /* threads that returned from thread_main */
};

/* The replies of one interval (interval reports), or of one thread since the reporter
 * last took them. */
struct bench_iv {
    struct hist all;          /* latency in ns */
    uint64_t done[OP_N];      /* replies, per op */
    uint64_t errors;
};

/* One connection; owner thread only. */
struct bench_conn {
    int fd;
    redisReader *rd;
    char *out;                /* the batch being written */
    size_t out_len, out_off, out_cap;
    uint8_t *kinds;           /* op of each request of the batch, 'pipeline' long */
    int nbatch;               /* requests in the batch */
    int head;                 /* replies received of the batch */
    int64_t batch_ns;         /* when the batch went to the socket */
    int64_t *sched;           /* with a rate: each request's scheduled time, ns */
    unsigned long long cursor; /* SCAN cursor */
    int carry;                /* op drawn for the next batch, or -1 */
    int dead;                 /* failed: no more batches */
};

/* One thread's connections and counters; owner thread only until joined. */
struct bench_thread {
    pthread_t tid;
    struct bench_phase *ph;
    struct bench_conn *conns;
    int nconns;
    struct kd_rng rng;
    struct hist hist[OP_N];   /* latency in ns, per op */
    uint64_t done[OP_N];      /* replies measured, per op */
    uint64_t hits, misses;    /* measured GET replies: bulk, nil */
    uint64_t scan_keys;       /* keys the measured SCAN replies named */
    uint64_t errors;
    char first_error[160];
    int64_t last_ns;          /* when the thread's last reply arrived */
    char *rbuf;
    double gap_ns;            /* with a rate: ns between this thread's requests */
    double next_due_ns;       /* with a rate: when its next request is scheduled */
    pthread_mutex_t iv_lock;  /* guards 'iv': the reporter takes it at each interval end */
    struct bench_iv iv;       /* replies since the reporter last took them */
};

/* The result of a phase, all threads merged. */
struct bench_result {
    struct hist all;
    struct hist op[OP_N];
    uint64_t done[OP_N], requests, hits, misses, scan_keys, errors;
    double seconds;
    char first_error[160];
};

static const char *value_pool; /* BENCH_VALUE_POOL + vmax random letters; read-only */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((format(printf, 1, 2), noreturn)) static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "omenkv-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'omenkv-bench --help'.\n");
    exit(2);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "omenkv-bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

/* ---- argument parsing ---------------------------------------------------------------- */

/* Parse a count with an optional k/m/g suffix (powers of 1000: "10k" is 10000) into '*v'.
 * Returns 1, or 0 if 's' is not one. */
static int parse_count(const char *s, unsigned long long *v)
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

/* A whole number in [lo, hi] for option 'name', or a usage error. */
static unsigned long long opt_count(const char *name, const char *s, unsigned long long lo,
                                    unsigned long long hi)
{
    unsigned long long v;

    if (!parse_count(s, &v) || v < lo || v > hi)
        usage_error("--%s wants a whole number from %llu to %llu, not '%s'", name, lo, hi, s);
    return v;
}

/* A finite number in [lo, hi] for option 'name', or a usage error. */
static double opt_double(const char *name, const char *s, double lo, double hi)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !isfinite(v) || v < lo || v > hi)
        usage_error("--%s wants a number from %g to %g, not '%s'", name, lo, hi, s);
    return v;
}

/* --value-size N or MIN-MAX. */
static void opt_value_size(struct bench_opts *o, const char *s)
{
    const char *dash = strchr(s, '-');
    unsigned long long a, b;

    if (!dash) {
        a = b = opt_count("value-size", s, 0, BENCH_MAX_VALUE);
    } else {
        char lo[32];
        size_t n = (size_t)(dash - s);

        if (n == 0 || n >= sizeof(lo))
            usage_error("--value-size wants N or MIN-MAX, not '%s'", s);
        memcpy(lo, s, n);
        lo[n] = '\0';
        a = opt_count("value-size", lo, 0, BENCH_MAX_VALUE);
        b = opt_count("value-size", dash + 1, 0, BENCH_MAX_VALUE);
        if (a > b)
            usage_error("--value-size: MIN %llu is larger than MAX %llu", a, b);
    }
    o->vmin = (size_t)a;
    o->vmax = (size_t)b;
}

/* --mix get|set|scan or GET,SET,SCAN weights. */
static void opt_mix(struct bench_opts *o, const char *s)
{
    unsigned long long w[OP_N];
    const char *p = s;

    for (int i = 0; i < OP_N; i++) {
        if (strcmp(s, op_names[i]) == 0) {
            memset(o->mix, 0, sizeof(o->mix));
            o->mix[i] = 1;
            return;
        }
    }
    for (int i = 0; i < OP_N; i++) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if ((i < OP_N - 1) != (end != NULL) || !omk_str2ull(p, n, &w[i]) || w[i] > 1000000)
            usage_error("--mix wants get, set, scan or three weights GET,SET,SCAN (each "
                        "0..1000000), not '%s'", s);
        p = end ? end + 1 : p + n;
    }
    if (w[0] + w[1] + w[2] == 0)
        usage_error("--mix: the weights add up to 0");
    for (int i = 0; i < OP_N; i++)
        o->mix[i] = (unsigned)w[i];
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: omenkv-bench [options]\n"
        "Load generator for any Redis-protocol server. Counts take k/m/g suffixes (x1000).\n"
        "  -h, --host HOST          server address (default 127.0.0.1)\n"
        "  -p, --port PORT          server port (default 6379)\n"
        "  -a, --password PASS      AUTH with PASS on every connection\n"
        "  -n, --keys N             key space: keys 0 .. N-1 (default 100k)\n"
        "      --prefix STR         key prefix (default 'key:')\n"
        "      --digits D           zero-padded digits of the key number (default 12):\n"
        "                           key 42 is key:000000000042, as in redis-benchmark -r\n"
        "  -d, --value-size N|A-B   value bytes, fixed or uniform in [A, B] (default 64)\n"
        "      --dist D             uniform | zipfian | latest (default uniform); zipfian\n"
        "                           ranks are spread over the key space by a fixed bijection;\n"
        "                           latest reads the most recently written keys (zipfian\n"
        "                           distance back) and writes keys in order after them\n"
        "      --theta T            zipfian skew, 0 < T < 1 (default 0.99)\n"
        "  -m, --mix M              get | set | scan | GET,SET,SCAN weights (default 100,0,0)\n"
        "      --scan-count N       COUNT of each SCAN (default 10)\n"
        "  -P, --pipeline N         requests sent together per connection (default 1)\n"
        "  -c, --connections N      connections (default 50)\n"
        "  -t, --threads N          client threads, each with its own poll loop (default 2)\n"
        "  -T, --duration SEC       seconds measured (default 10)\n"
        "  -r, --requests N         send N requests instead of running for a duration\n"
        "  -w, --warmup SEC         run SEC seconds unmeasured first (with a duration)\n"
        "  -l, --load               load phase first: SET every key once, in order\n"
        "      --load-only          the load phase alone\n"
        "      --load-pipeline N    pipeline depth of the load phase (default 64)\n"
        "      --scan-all           instead of a run: one full SCAN iteration (cursor 0 to 0)\n"
        "                           on one connection, in keys/s\n"
        "      --csv FILE           append one CSV row per phase ('-': stdout); the header\n"
        "                           is written first when FILE is new or empty\n"
        "      --label STR          first CSV column (default 'omenkv-bench')\n"
        "      --seed N             random seed (default 1)\n"
        "      --rate N             pace the run at N requests/s over all connections (each\n"
        "                           thread sends its share at even gaps); latency then counts\n"
        "                           from each request's scheduled time, so a stall shows\n"
        "      --interval SEC       also report every SEC seconds of the run: throughput and\n"
        "                           p50/p99/p99.9/max of the replies that arrived in it\n"
        "      --interval-csv FILE  append one CSV row per interval (its own columns; header\n"
        "                           first when FILE is new or empty; '-': stdout)\n"
        "      --interval-info F,.. INFO fields (e.g. rocksdb_stall_micros) read from the\n"
        "                           server at each interval's end, added to line and row\n"
        "  -q, --quiet              no text report\n"
        "      --help               this text\n"
        "Text report: throughput, latency avg/p50/p99/p99.9/max (us) overall and per op, GET\n"
        "hits/misses, and the cache hit ratio over the run when the server's INFO has a\n"
        "'# Cache' section with cache_hits/cache_misses (else n/a). Exit status: 0, 1 when\n"
        "the server failed or answered an error, 2 for bad arguments.\n");
}

static void parse_args(struct bench_opts *o, int argc, char **argv)
{
    enum {
        O_PREFIX = 256, O_DIGITS, O_DIST, O_THETA, O_SCAN_COUNT, O_LOAD_ONLY,
        O_LOAD_PIPELINE, O_SCAN_ALL, O_CSV, O_LABEL, O_SEED, O_HELP, O_RATE, O_INTERVAL,
        O_INTERVAL_CSV, O_INTERVAL_INFO,
    };
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"password", required_argument, NULL, 'a'},
        {"keys", required_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, O_PREFIX},
        {"digits", required_argument, NULL, O_DIGITS},
        {"value-size", required_argument, NULL, 'd'},
        {"dist", required_argument, NULL, O_DIST},
        {"theta", required_argument, NULL, O_THETA},
        {"mix", required_argument, NULL, 'm'},
        {"scan-count", required_argument, NULL, O_SCAN_COUNT},
        {"pipeline", required_argument, NULL, 'P'},
        {"connections", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'T'},
        {"requests", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'},
        {"load", no_argument, NULL, 'l'},
        {"load-only", no_argument, NULL, O_LOAD_ONLY},
        {"load-pipeline", required_argument, NULL, O_LOAD_PIPELINE},
        {"scan-all", no_argument, NULL, O_SCAN_ALL},
        {"csv", required_argument, NULL, O_CSV},
        {"label", required_argument, NULL, O_LABEL},
        {"seed", required_argument, NULL, O_SEED},
        {"rate", required_argument, NULL, O_RATE},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"interval-csv", required_argument, NULL, O_INTERVAL_CSV},
        {"interval-info", required_argument, NULL, O_INTERVAL_INFO},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char info_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789_,";
    int c, have_duration = 0, have_warmup = 0, have_theta = 0;

    *o = (struct bench_opts){
        .host = "127.0.0.1", .port = 6379, .keys = 100000, .vmin = 64, .vmax = 64,
        .dist = DIST_UNIFORM, .theta = 0.99, .mix = {1, 0, 0}, .scan_count = 10,
        .pipeline = 1, .conns = 50, .threads = 2, .duration = 10, .load_pipeline = 64,
        .prefix = "key:", .digits = 12, .label = "omenkv-bench", .seed = 1,
    };
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h:p:a:n:d:m:P:c:t:T:r:w:lq", opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->host = optarg; break;
        case 'p': o->port = (int)opt_count("port", optarg, 1, 65535); break;
        case 'a': o->password = optarg; break;
        case 'n': o->keys = opt_count("keys", optarg, 1, UINT64_C(1) << 40); break;
        case O_PREFIX:
            if (strlen(optarg) > 200)
                usage_error("--prefix is longer than 200 bytes");
            o->prefix = optarg;
            break;
        case O_DIGITS: o->digits = (int)opt_count("digits", optarg, 1, 20); break;
        case 'd': opt_value_size(o, optarg); break;
        case O_DIST:
            if (strcmp(optarg, "uniform") == 0)
                o->dist = DIST_UNIFORM;
            else if (strcmp(optarg, "zipfian") == 0 || strcmp(optarg, "zipf") == 0)
                o->dist = DIST_ZIPF;
            else if (strcmp(optarg, "latest") == 0)
                o->dist = DIST_LATEST;
            else
                usage_error("--dist wants uniform, zipfian or latest, not '%s'", optarg);
            break;
        case O_THETA:
            o->theta = opt_double("theta", optarg, 0, 1);
            if (!(o->theta > 0 && o->theta < 1))
                usage_error("--theta must be strictly between 0 and 1, not '%s'", optarg);
            have_theta = 1;
            break;
        case 'm': opt_mix(o, optarg); break;
        case O_SCAN_COUNT:
            o->scan_count = (unsigned)opt_count("scan-count", optarg, 1, 1000000);
            break;
        case 'P': o->pipeline = (int)opt_count("pipeline", optarg, 1, BENCH_MAX_PIPELINE); break;
        case 'c': o->conns = (int)opt_count("connections", optarg, 1, BENCH_MAX_CONNS); break;
        case 't': o->threads = (int)opt_count("threads", optarg, 1, BENCH_MAX_THREADS); break;
        case 'T':
            o->duration = opt_double("duration", optarg, 0.001, 86400);
            have_duration = 1;
            break;
        case 'r': o->requests = opt_count("requests", optarg, 1, UINT64_C(1) << 50); break;
        case 'w':
            o->warmup = opt_double("warmup", optarg, 0, 86400);
            have_warmup = 1;
            break;
        case 'l': o->load = o->load ? o->load : 1; break;
        case O_LOAD_ONLY: o->load = 2; break;
        case O_LOAD_PIPELINE:
            o->load_pipeline = (int)opt_count("load-pipeline", optarg, 1, BENCH_MAX_PIPELINE);
            break;
        case O_SCAN_ALL: o->scan_all = 1; break;
        case O_CSV: o->csv = optarg; break;
        case O_LABEL:
            if (strpbrk(optarg, ",\"\n\r"))
                usage_error("--label may not hold commas, quotes or line breaks");
            o->label = optarg;
            break;
        case O_SEED: o->seed = opt_count("seed", optarg, 0, UINT64_MAX); break;
        case O_RATE: o->rate = opt_double("rate", optarg, 1, 1e9); break;
        case O_INTERVAL: o->interval = opt_double("interval", optarg, 0.01, 86400); break;
        case O_INTERVAL_CSV: o->interval_csv = optarg; break;
        case O_INTERVAL_INFO:
            if (strlen(optarg) > 1000 || strspn(optarg, info_chars) != strlen(optarg))
                usage_error("--interval-info wants INFO field names separated by commas "
                            "(letters, digits, '_'; up to 1000 bytes), not '%s'", optarg);
            o->interval_info = optarg;
            break;
        case 'q': o->quiet = 1; break;
        case O_HELP: usage(stdout); exit(0);
        case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
        default: usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    if (o->requests && have_duration)
        usage_error("--requests and --duration exclude each other");
    if (o->requests && have_warmup)
        usage_error("--warmup needs a run bounded by --duration, not --requests");
    if (have_theta && o->dist != DIST_ZIPF && o->dist != DIST_LATEST)
        usage_error("--theta applies to --dist zipfian or latest");
    if (o->scan_all && o->load == 2)
        usage_error("--scan-all and --load-only exclude each other");
    if ((o->rate || o->interval) && (o->scan_all || o->load == 2))
        usage_error("--rate and --interval pace and report a run, not --scan-all or --load-only");
    if ((o->interval_csv || o->interval_info) && !o->interval)
        usage_error("--interval-csv and --interval-info need --interval");
    if (o->threads > o->conns)
        o->threads = o->conns;
}

/* ---- connections --------------------------------------------------------------------- */

/* Append 'len' bytes to the batch of 'c'. */
static void conn_out(struct bench_conn *c, const void *p, size_t len)
{
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;

        while (cap < c->out_len + len)
            cap *= 2;
        c->out = omk_realloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, len);
    c->out_len += len;
}

/* Append the RESP bulk header "$<len>\r\n" then 'p'/'len' and "\r\n". */
static void conn_out_bulk(struct bench_conn *c, const char *p, size_t len)
{
    char hdr[32];
    int n = snprintf(hdr, sizeof(hdr), "$%zu\r\n", len);

    conn_out(c, hdr, (size_t)n);
    conn_out(c, p, len);
    conn_out(c, "\r\n", 2);
}

/* Write key number 'k' as prefix + zero-padded digits into 'buf' (>= 240 bytes);
 * returns its length. */
static size_t key_format(const struct bench_opts *o, uint64_t k, char *buf)
{
    size_t plen = strlen(o->prefix), n = 0;
    char tmp[24];

    memcpy(buf, o->prefix, plen);
    do {
        tmp[n++] = (char)('0' + k % 10);
        k /= 10;
    } while (k);
    while (n < (size_t)o->digits)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        buf[plen + i] = tmp[n - 1 - i];
    return plen + n;
}

/* Open a blocking TCP connection to the server with TCP_NODELAY, or -1 after printing why. */
static int tcp_connect(const struct bench_opts *o)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char port[16];
    int fd = -1, rc, one = 1;

    snprintf(port, sizeof(port), "%d", o->port);
    rc = getaddrinfo(o->host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "omenkv-bench: %s: %s\n", o->host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        fprintf(stderr, "omenkv-bench: cannot connect to %s:%d: %s\n", o->host, o->port,
                strerror(errno));
    else
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    freeaddrinfo(res);
    return fd;
}

/* Send AUTH on the still-blocking 'c' and wait for +OK. 0, or -1 after printing why. */
static int conn_auth(struct bench_conn *c, const char *password)
{
    char buf[512];
    void *reply = NULL;
    int ok = 0;

    c->out_len = 0;
    conn_out(c, "*2\r\n$4\r\nAUTH\r\n", 14);
    conn_out_bulk(c, password, strlen(password));
    for (size_t off = 0; off < c->out_len;) {
        ssize_t n = write(c->fd, c->out + off, c->out_len - off);

        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    c->out_len = 0;
    while (!reply) {
        ssize_t n = read(c->fd, buf, sizeof(buf));

        if (n <= 0 || redisReaderFeed(c->rd, buf, (size_t)n) != REDIS_OK ||
            redisReaderGetReply(c->rd, &reply) != REDIS_OK) {
            fprintf(stderr, "omenkv-bench: AUTH: connection lost\n");
            return -1;
        }
    }
    ok = ((redisReply *)reply)->type == REDIS_REPLY_STATUS;
    if (!ok)
        fprintf(stderr, "omenkv-bench: AUTH: %s\n", ((redisReply *)reply)->str);
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

/* Connect 'c' (non-blocking afterwards) for batches of up to 'pipeline' requests.
 * 0, or -1 after printing why. Either way, conn_close() frees what 'c' holds. */
static int conn_open(struct bench_conn *c, const struct bench_opts *o, int pipeline)
{
    memset(c, 0, sizeof(*c));
    c->carry = -1;
    c->fd = tcp_connect(o);
    if (c->fd < 0)
        return -1;
    c->rd = redisReaderCreate();
    OMK_ASSERT(c->rd != NULL);
    c->kinds = omk_calloc((size_t)pipeline, 1);
    c->sched = omk_calloc((size_t)pipeline, sizeof(*c->sched));
    if (o->password && conn_auth(c, o->password) != 0)
        return -1;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Close 'c' and free its buffers (it may be half-opened). */
static void conn_close(struct bench_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    if (c->rd)
        redisReaderFree(c->rd);
    omk_free(c->out);
    omk_free(c->kinds);
    omk_free(c->sched);
    c->fd = -1;
    c->rd = NULL;
    c->out = NULL;
    c->kinds = NULL;
    c->sched = NULL;
}

/* ---- one thread's loop ----------------------------------------------------------------- */

/* Note an error on 't' (the first one's text is kept). */
__attribute__((format(printf, 2, 3))) static void thread_error(struct bench_thread *t,
                                                               const char *fmt, ...)
{
    va_list ap;

    if (t->errors++ == 0) {
        va_start(ap, fmt);
        vsnprintf(t->first_error, sizeof(t->first_error), fmt, ap);
        va_end(ap);
    }
}

/* The key number of the next request 'op' of phase 'ph'. */
static uint64_t pick_key(struct bench_thread *t, enum bench_op op)
{
    const struct bench_phase *ph = t->ph;
    uint64_t n = ph->o->keys, latest;

    switch (ph->dist) {
    case DIST_SEQ:
        return atomic_fetch_add(&t->ph->seq, 1) % n;
    case DIST_UNIFORM:
        return kd_rng_below(&t->rng, n);
    case DIST_ZIPF:
        return kd_perm_map(ph->perm, kd_zipf_next(ph->zipf, &t->rng));
    case DIST_LATEST:
        if (op == OP_SET)
            return (atomic_fetch_add(&t->ph->latest, 1) + 1) % n;
        latest = atomic_load(&t->ph->latest);
        return (latest % n + n - kd_zipf_next(ph->zipf, &t->rng)) % n;
    }
    OMK_ASSERT(!"unknown distribution");
    return 0;
}

/* The next op of 'c': the one a previous batch drew but could not take, else a new draw
 * from the mix. */
static enum bench_op conn_next_op(struct bench_thread *t, struct bench_conn *c)
{
    const struct bench_phase *ph = t->ph;
    unsigned w;
    enum bench_op op = OP_GET;

    if (c->carry >= 0) {
        op = (enum bench_op)c->carry;
        c->carry = -1;
        return op;
    }
    w = (unsigned)kd_rng_below(&t->rng, ph->mix_total);
    while (w >= ph->mix_cum[op])
        op++;
    return op;
}

enum { BATCH_NONE = 0, BATCH_STARTED = 1, BATCH_WAIT = 2 };

/* Fill the next batch of 'c' (up to ph->pipeline requests). A SCAN needs the cursor the
 * previous SCAN returns (omenkv's cursors are single-use, as any client's must be to walk
 * on), so a second SCAN ends the batch and opens the next one: the mix stays exact and a
 * batch holds at most one SCAN. With a rate, the batch takes only the requests of 't'
 * whose scheduled time has come (all that were scheduled before the deadline are sent,
 * late ones too, so a stall at the end is not left out), and notes each one's time in
 * c->sched. Returns BATCH_STARTED when a batch was started, BATCH_WAIT when no request
 * of 't' is due yet (t->next_due_ns says when one is), BATCH_NONE when the phase has no
 * more requests to send. */
static int conn_start_batch(struct bench_thread *t, struct bench_conn *c)
{
    struct bench_phase *ph = t->ph;
    const struct bench_opts *o = ph->o;
    uint64_t k = 0, want = (uint64_t)ph->pipeline;
    int64_t now = now_ns();
    int scans = 0;
    char key[256], num[24];

    if (ph->deadline_ns && now >= ph->deadline_ns && ph->rate <= 0)
        return BATCH_NONE;
    if (ph->scan_all && atomic_load(&ph->scan_done))
        return BATCH_NONE;
    if (ph->rate > 0) { /* requests scheduled before the deadline are sent, even late */
        double due, left;

        if (ph->deadline_ns && t->next_due_ns >= (double)ph->deadline_ns)
            return BATCH_NONE;
        if (t->next_due_ns > (double)now)
            return BATCH_WAIT;
        due = ((double)now - t->next_due_ns) / t->gap_ns + 1;
        if (due < (double)want)
            want = (uint64_t)due;
        left = ph->deadline_ns ? ceil(((double)ph->deadline_ns - t->next_due_ns) / t->gap_ns)
                               : (double)want;
        if (left < (double)want)
            want = (uint64_t)left;
    }
    while (k < want) {
        enum bench_op op = conn_next_op(t, c);

        if (op == OP_SCAN && scans++) {
            c->carry = op;
            break;
        }
        c->kinds[k++] = (uint8_t)op;
    }
    if (ph->limit) {
        uint64_t old = atomic_fetch_add(&ph->issued, k);

        if (old >= ph->limit)
            return BATCH_NONE;
        if (old + k > ph->limit)
            k = ph->limit - old;
    }
    if (ph->rate > 0) {
        for (uint64_t i = 0; i < k; i++) {
            c->sched[i] = (int64_t)t->next_due_ns;
            t->next_due_ns += t->gap_ns;
        }
    }
    c->out_len = c->out_off = 0;
    for (uint64_t i = 0; i < k; i++) {
        enum bench_op op = (enum bench_op)c->kinds[i];
        size_t klen, vlen;
        int nlen;

        switch (op) {
        case OP_GET:
            klen = key_format(o, pick_key(t, op), key);
            conn_out(c, "*2\r\n$3\r\nGET\r\n", 13);
            conn_out_bulk(c, key, klen);
            break;
        case OP_SET:
            klen = key_format(o, pick_key(t, op), key);
            vlen = o->vmin + (size_t)kd_rng_below(&t->rng, o->vmax - o->vmin + 1);
            conn_out(c, "*3\r\n$3\r\nSET\r\n", 13);
            conn_out_bulk(c, key, klen);
            conn_out_bulk(c, value_pool + kd_rng_below(&t->rng, BENCH_VALUE_POOL), vlen);
            break;
        case OP_SCAN:
            conn_out(c, "*4\r\n$4\r\nSCAN\r\n", 14);
            nlen = snprintf(num, sizeof(num), "%llu", c->cursor);
            conn_out_bulk(c, num, (size_t)nlen);
            conn_out(c, "$5\r\nCOUNT\r\n", 11);
            nlen = snprintf(num, sizeof(num), "%u", o->scan_count);
            conn_out_bulk(c, num, (size_t)nlen);
            break;
        default:
            OMK_ASSERT(!"unknown op");
        }
    }
    c->nbatch = (int)k;
    c->head = 0;
    c->batch_ns = now_ns();
    return BATCH_STARTED;
}

/* Write what 'c' has pending. 0, or -1 when the connection failed. */
static int conn_flush(struct bench_thread *t, struct bench_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            thread_error(t, "write: %s", n < 0 ? strerror(errno) : "closed");
            return -1;
        }
    }
    return 0;
}

/* Check reply 'r' of 'c' against the request 'op' it answers. Returns what it says (GET:
 * 1 for a value, 0 for nil; SCAN: the number of keys, after moving the cursor; SET: 0),
 * or -1 after noting an error. */
static long long reply_check(struct bench_thread *t, struct bench_conn *c, enum bench_op op,
                             const redisReply *r)
{
    unsigned long long cur;

    if (r->type == REDIS_REPLY_ERROR) {
        thread_error(t, "%s: -%.*s", op_names[op], (int)(r->len > 120 ? 120 : r->len), r->str);
        return -1;
    }
    switch (op) {
    case OP_GET:
        if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL)
            return r->type == REDIS_REPLY_STRING;
        break;
    case OP_SET:
        if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0)
            return 0;
        break;
    case OP_SCAN:
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING ||
            !omk_str2ull(r->element[0]->str, r->element[0]->len, &cur) ||
            r->element[1]->type != REDIS_REPLY_ARRAY)
            break;
        c->cursor = cur;
        if (t->ph->scan_all && cur == 0)
            atomic_store(&t->ph->scan_done, 1);
        return (long long)r->element[1]->elements;
    default:
        OMK_ASSERT(!"unknown op");
    }
    thread_error(t, "%s: unexpected reply (type %d)", op_names[op], r->type);
    return -1;
}

/* Count reply 'r' of 'c', arrived at 'now' (ns): check it, and when its batch started in
 * the measured window (with a rate: when the request was scheduled in it), record its
 * latency and what it says; with interval reports, in t->iv too. */
static void conn_reply(struct bench_thread *t, struct bench_conn *c, const redisReply *r,
                       int64_t now)
{
    int64_t from = t->ph->rate > 0 ? c->sched[c->head] : c->batch_ns;
    enum bench_op op = (enum bench_op)c->kinds[c->head++];
    long long said = reply_check(t, c, op, r);

    if (said < 0 && t->ph->interval_ns) {
        omk_mutex_lock(&t->iv_lock);
        t->iv.errors++;
        omk_mutex_unlock(&t->iv_lock);
    }
    if (said < 0 || from < t->ph->record_ns)
        return;
    hist_record(&t->hist[op], (uint64_t)(now - from));
    t->done[op]++;
    if (t->ph->interval_ns) {
        omk_mutex_lock(&t->iv_lock);
        hist_record(&t->iv.all, (uint64_t)(now - from));
        t->iv.done[op]++;
        omk_mutex_unlock(&t->iv_lock);
    }
    t->last_ns = now;
    if (op == OP_GET)
        *(said ? &t->hits : &t->misses) += 1;
    else if (op == OP_SCAN)
        t->scan_keys += (uint64_t)said;
}

/* Read what the server sent on 'c' and handle every whole reply. 0, or -1 when the
 * connection failed. */
static int conn_read(struct bench_thread *t, struct bench_conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, t->rbuf, BENCH_READ_CHUNK);
        void *reply;
        int64_t now;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            thread_error(t, "read: %s", n < 0 ? strerror(errno) : "server closed the connection");
            return -1;
        }
        if (redisReaderFeed(c->rd, t->rbuf, (size_t)n) != REDIS_OK) {
            thread_error(t, "reply parser: %s", c->rd->errstr);
            return -1;
        }
        now = now_ns();
        for (;;) {
            if (redisReaderGetReply(c->rd, &reply) != REDIS_OK) {
                thread_error(t, "reply parser: %s", c->rd->errstr);
                return -1;
            }
            if (!reply)
                break;
            if (c->head >= c->nbatch) {
                freeReplyObject(reply);
                thread_error(t, "a reply that no request asked for");
                return -1;
            }
            conn_reply(t, c, reply, now);
            freeReplyObject(reply);
        }
        if ((size_t)n < BENCH_READ_CHUNK)
            return 0;
    }
}

/* Drive every connection of 't' until the phase has nothing more to send and every
 * batch is answered (or its connection failed). With a rate, an idle connection waits
 * for its thread's next scheduled request: poll() sleeps until then at most. */
static void *thread_main(void *arg)
{
    struct bench_thread *t = arg;
    struct pollfd *pfd = omk_calloc((size_t)t->nconns, sizeof(*pfd));
    int *idx = omk_calloc((size_t)t->nconns, sizeof(*idx));

    for (;;) {
        int np = 0, waiting = 0;
        struct timespec ts = {1, 0};

        for (int i = 0; i < t->nconns; i++) {
            struct bench_conn *c = &t->conns[i];

            if (c->dead)
                continue;
            if (c->head == c->nbatch) {
                int st = conn_start_batch(t, c);

                if (st == BATCH_WAIT)
                    waiting = 1;
                if (st != BATCH_STARTED)
                    continue;
                if (conn_flush(t, c) != 0) {
                    c->dead = 1;
                    continue;
                }
            }
            pfd[np].fd = c->fd;
            pfd[np].events = POLLIN | (c->out_off < c->out_len ? POLLOUT : 0);
            pfd[np].revents = 0;
            idx[np++] = i;
        }
        if (waiting) {
            double wait = t->next_due_ns - (double)now_ns();

            if (wait < 0)
                wait = 0;
            if (wait < 1e9) {
                ts.tv_sec = 0;
                ts.tv_nsec = (long)wait;
            }
        } else if (np == 0) {
            break;
        }
        if (ppoll(pfd, (nfds_t)np, &ts, NULL) < 0) {
            if (errno == EINTR)
                continue;
            die("poll: %s", strerror(errno));
        }
        for (int j = 0; j < np; j++) {
            struct bench_conn *c = &t->conns[idx[j]];

            if ((pfd[j].revents & POLLOUT) && conn_flush(t, c) != 0)
                c->dead = 1;
            else if ((pfd[j].revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(t, c) != 0)
                c->dead = 1;
        }
    }
    omk_free(pfd);
    omk_free(idx);
    atomic_fetch_add(&t->ph->threads_done, 1);
    return NULL;
}

/* ---- phases -------------------------------------------------------------------------- */

static int iv_report_loop(struct bench_phase *ph, struct bench_thread *th);

/* Run phase 'ph' over its first ph->nconns connections of 'conns' in ph->nthreads threads;
 * fill '*res'. With interval reports, this thread prints them while the others run.
 * Returns 0, or -1 when an interval row could not be written. */
static int phase_run(struct bench_phase *ph, struct bench_conn *conns, struct bench_result *res)
{
    int nthreads = ph->nthreads, nconns = ph->nconns;
    struct bench_thread *th = omk_calloc((size_t)nthreads, sizeof(*th));
    int64_t end = 0;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    hist_init(&res->all);
    for (int i = 0; i < OP_N; i++)
        hist_init(&res->op[i]);
    for (int i = 0, next = 0; i < nthreads; i++) {
        struct bench_thread *t = &th[i];
        int share = nconns / nthreads + (i < nconns % nthreads);

        t->ph = ph;
        t->conns = conns + next;
        t->nconns = share;
        next += share;
        kd_rng_seed(&t->rng, ph->o->seed * 1000003 + (uint64_t)i * 7919 + (uint64_t)ph->name[0]);
        for (int k = 0; k < OP_N; k++)
            hist_init(&t->hist[k]);
        t->rbuf = omk_malloc(BENCH_READ_CHUNK);
        for (int k = 0; k < share; k++)
            t->conns[k].head = t->conns[k].nbatch = 0;
        if (ph->rate > 0) /* each thread sends an equal share of the rate */
            t->gap_ns = 1e9 * nthreads / ph->rate;
        omk_mutex_init(&t->iv_lock);
        hist_init(&t->iv.all);
    }
    ph->start_ns = now_ns();
    ph->record_ns = ph->start_ns;
    if (ph->limit == 0 && !ph->scan_all) { /* a run bounded by time, after its warm-up */
        ph->record_ns += (int64_t)(ph->o->warmup * 1e9);
        ph->deadline_ns = ph->record_ns + (int64_t)(ph->o->duration * 1e9);
    }
    for (int i = 0; i < nthreads; i++) {
        th[i].next_due_ns = (double)ph->start_ns;
        if (pthread_create(&th[i].tid, NULL, thread_main, &th[i]) != 0)
            die("pthread_create failed");
    }
    if (ph->interval_ns)
        rc = iv_report_loop(ph, th);
    for (int i = 0; i < nthreads; i++) {
        struct bench_thread *t = &th[i];

        pthread_join(t->tid, NULL);
        for (int k = 0; k < OP_N; k++) {
            hist_merge(&res->op[k], &t->hist[k]);
            hist_merge(&res->all, &t->hist[k]);
            res->done[k] += t->done[k];
        }
        res->hits += t->hits;
        res->misses += t->misses;
        res->scan_keys += t->scan_keys;
        if (t->errors && !res->errors)
            snprintf(res->first_error, sizeof(res->first_error), "%s", t->first_error);
        res->errors += t->errors;
        if (t->last_ns > end)
            end = t->last_ns;
        omk_free(t->rbuf);
        pthread_mutex_destroy(&t->iv_lock);
    }
    res->requests = res->all.count;
    res->seconds = end > ph->record_ns ? (double)(end - ph->record_ns) / 1e9 : 0;
    omk_free(th);
    return rc;
}

/* Set the op weights of 'ph' from 'mix'. */
static void phase_mix(struct bench_phase *ph, const unsigned *mix)
{
    ph->mix_total = 0;
    for (int i = 0; i < OP_N; i++) {
        ph->mix_total += mix[i];
        ph->mix_cum[i] = ph->mix_total;
    }
}

/* ---- the server's INFO --------------------------------------------------------------- */

/* What INFO says that the report quotes. */
struct bench_info {
    char server[64];          /* "omenkv 0.1.0", "redis 7.0.15" or "unknown" */
    int have_cache;           /* a "# Cache" section with cache_hits and cache_misses */
    unsigned long long cache_hits, cache_misses;
};

/* Value of field 'name' ("name:value" line) in INFO text 'from' up to 'to' into 'out'
 * (cap bytes). 1 if found. */
static int info_field(const char *from, const char *to, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);

    for (const char *p = from; p && p < to;) {
        const char *eol = memchr(p, '\n', (size_t)(to - p));
        const char *end = eol ? eol : to;

        if ((size_t)(end - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == ':') {
            size_t vlen = (size_t)(end - p) - nlen - 1;

            while (vlen && (p[nlen + 1 + vlen - 1] == '\r'))
                vlen--;
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return 1;
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

/* Ask the server for INFO over a fresh connection and fill '*bi'. 0, or -1 after printing
 * why (the server is unreachable). An INFO that fails or lacks fields is not an error. */
static int info_fetch(const struct bench_opts *o, struct bench_info *bi)
{
    struct timeval tv = {5, 0};
    redisContext *ctx = redisConnectWithTimeout(o->host, o->port, tv);
    redisReply *r;
    char v[48];

    memset(bi, 0, sizeof(*bi));
    snprintf(bi->server, sizeof(bi->server), "unknown");
    if (!ctx || ctx->err) {
        fprintf(stderr, "omenkv-bench: cannot connect to %s:%d: %s\n", o->host, o->port,
                ctx ? ctx->errstr : "out of memory");
        redisFree(ctx);
        return -1;
    }
    redisSetTimeout(ctx, tv);
    if (o->password) {
        r = redisCommand(ctx, "AUTH %s", o->password);
        freeReplyObject(r);
    }
    r = redisCommand(ctx, "INFO all");
    if (r && r->type != REDIS_REPLY_STRING) { /* servers that refuse "all" */
        freeReplyObject(r);
        r = redisCommand(ctx, "INFO");
    }
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *end = r->str + r->len, *cache = strstr(r->str, "# Cache");

        if (info_field(r->str, end, "omenkv_version", v, sizeof(v)))
            snprintf(bi->server, sizeof(bi->server), "omenkv %s", v);
        else if (info_field(r->str, end, "redis_version", v, sizeof(v)))
            snprintf(bi->server, sizeof(bi->server), "redis %s", v);
        if (cache) {
            const char *next = strstr(cache + 1, "\n#");
            char h[32], m[32];

            if (!next)
                next = end;
            if (info_field(cache, next, "cache_hits", h, sizeof(h)) &&
                info_field(cache, next, "cache_misses", m, sizeof(m)) &&
                omk_str2ull(h, strlen(h), &bi->cache_hits) &&
                omk_str2ull(m, strlen(m), &bi->cache_misses))
                bi->have_cache = 1;
        }
    }
    freeReplyObject(r);
    redisFree(ctx);
    return 0;
}

/* ---- reports ------------------------------------------------------------------------- */

#define US(ns) ((double)(ns) / 1000.0)

static const char csv_header[] =
    "label,server,phase,keys,value_min,value_max,dist,theta,mix_get,mix_set,mix_scan,"
    "pipeline,connections,threads,seconds,requests,rps,avg_us,p50_us,p99_us,p999_us,max_us,"
    "get_p99_us,set_p99_us,scan_p99_us,get_hits,get_misses,scan_keys,scan_keys_per_s,errors,"
    "cache_hits,cache_misses,cache_hit_ratio\n";

/* The cache hit ratio between 'a' and 'b' as text ("n/a" without a Cache section or
 * without lookups in between). */
static void cache_ratio(const struct bench_info *a, const struct bench_info *b, char *out,
                        size_t cap, unsigned long long *hits, unsigned long long *misses)
{
    *hits = *misses = 0;
    if (!a->have_cache || !b->have_cache || b->cache_hits < a->cache_hits ||
        b->cache_misses < a->cache_misses) {
        snprintf(out, cap, "n/a");
        return;
    }
    *hits = b->cache_hits - a->cache_hits;
    *misses = b->cache_misses - a->cache_misses;
    if (*hits + *misses == 0)
        snprintf(out, cap, "n/a");
    else
        snprintf(out, cap, "%.4f", (double)*hits / (double)(*hits + *misses));
}

/* Print the text report of phase 'ph'. */
static void report_text(const struct bench_phase *ph, const struct bench_result *r,
                        const char *ratio, unsigned long long ch, unsigned long long cm)
{
    double rps = r->seconds > 0 ? (double)r->requests / r->seconds : 0;

    printf("%s: %llu requests in %.2f s: %.0f requests/s\n", ph->name,
           (unsigned long long)r->requests, r->seconds, rps);
    if (r->requests)
        printf("  latency us: avg %.1f  p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
               hist_mean(&r->all) / 1000.0, US(hist_percentile(&r->all, 50)),
               US(hist_percentile(&r->all, 99)), US(hist_percentile(&r->all, 99.9)),
               US(r->all.max));
    for (int i = 0; i < OP_N; i++) {
        if (!r->done[i] || r->done[i] == r->requests)
            continue;
        printf("  %-4s %llu (%.0f/s): p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f us\n",
               op_names[i], (unsigned long long)r->done[i],
               r->seconds > 0 ? (double)r->done[i] / r->seconds : 0,
               US(hist_percentile(&r->op[i], 50)), US(hist_percentile(&r->op[i], 99)),
               US(hist_percentile(&r->op[i], 99.9)), US(r->op[i].max));
    }
    if (r->done[OP_GET])
        printf("  get: %llu hits, %llu misses\n", (unsigned long long)r->hits,
               (unsigned long long)r->misses);
    if (r->done[OP_SCAN])
        printf("  scan: %llu keys, %.0f keys/s\n", (unsigned long long)r->scan_keys,
               r->seconds > 0 ? (double)r->scan_keys / r->seconds : 0);
    if (strcmp(ratio, "n/a") == 0)
        printf("  cache hit ratio: n/a\n");
    else
        printf("  cache hit ratio: %s (%llu hits, %llu misses)\n", ratio, ch, cm);
    if (r->errors)
        printf("  errors: %llu (first: %s)\n", (unsigned long long)r->errors, r->first_error);
}

/* Append the CSV row of phase 'ph' to o->csv, after the header when the file is new or
 * empty (on stdout: before the first row). 0, or -1 after printing why. */
static int report_csv(const struct bench_phase *ph, const struct bench_result *r,
                      const struct bench_info *bi, const char *ratio, unsigned long long ch,
                      unsigned long long cm)
{
    static int header_done; /* on stdout */
    const struct bench_opts *o = ph->o;
    int to_stdout = strcmp(o->csv, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(o->csv, "a");
    struct stat st;
    double rps = r->seconds > 0 ? (double)r->requests / r->seconds : 0;
    char theta[32] = "";
    int rc = 0;

    if (!f) {
        fprintf(stderr, "omenkv-bench: %s: %s\n", o->csv, strerror(errno));
        return -1;
    }
    if (to_stdout ? !header_done : fstat(fileno(f), &st) == 0 && st.st_size == 0)
        fputs(csv_header, f);
    header_done = 1;
    if (ph->dist == DIST_ZIPF || ph->dist == DIST_LATEST)
        snprintf(theta, sizeof(theta), "%g", o->theta);
    fprintf(f, "%s,%s,%s,%llu,%zu,%zu,%s,%s,", o->label, bi->server, ph->name,
            (unsigned long long)o->keys, o->vmin, o->vmax, dist_names[ph->dist], theta);
    for (int i = 0; i < OP_N; i++)
        fprintf(f, "%.1f,",
                100.0 * (ph->mix_cum[i] - (i ? ph->mix_cum[i - 1] : 0)) / ph->mix_total);
    fprintf(f, "%d,%d,%d,%.3f,%llu,%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,", ph->pipeline, ph->nconns,
            ph->nthreads, r->seconds, (unsigned long long)r->requests, rps,
            hist_mean(&r->all) / 1000.0, US(hist_percentile(&r->all, 50)),
            US(hist_percentile(&r->all, 99)), US(hist_percentile(&r->all, 99.9)),
            US(r->all.max));
    for (int i = 0; i < OP_N; i++) {
        if (r->done[i])
            fprintf(f, "%.1f,", US(hist_percentile(&r->op[i], 99)));
        else
            fputs(",", f);
    }
    fprintf(f, "%llu,%llu,%llu,%.0f,%llu,%llu,%llu,%s\n", (unsigned long long)r->hits,
            (unsigned long long)r->misses, (unsigned long long)r->scan_keys,
            r->seconds > 0 ? (double)r->scan_keys / r->seconds : 0,
            (unsigned long long)r->errors, ch, cm, ratio);
    if (fflush(f) != 0 || ferror(f))
        rc = -1;
    if (!to_stdout && fclose(f) != 0)
        rc = -1;
    if (rc)
        fprintf(stderr, "omenkv-bench: %s: write failed\n", o->csv);
    return rc;
}

/* ---- interval reports ------------------------------------------------------------------ */

#define IV_MAX_FIELDS 32
#define IV_FIELD_LEN 64

static const char iv_csv_header[] =
    "label,phase,interval,t_s,seconds,requests,rps,p50_us,p99_us,p999_us,max_us,get_rps,"
    "set_rps,scan_rps,errors,unix_ms";

/* The interval reporter's state; the reporting thread only. */
struct iv_state {
    const struct bench_opts *o;
    redisContext *ctx;                 /* INFO connection, or NULL (none asked, or lost) */
    char names[IV_MAX_FIELDS][IV_FIELD_LEN];
    int nfields;
    FILE *csv;                         /* interval rows, or NULL */
};

/* Sleep until 'when' (ns, now_ns' clock) or until every thread of 'ph' has returned,
 * whichever comes first. Returns 1 when the threads are done. */
static int iv_sleep_until(struct bench_phase *ph, int64_t when)
{
    for (;;) {
        int64_t now = now_ns(), step = when - now;
        struct timespec ts;

        if (atomic_load(&ph->threads_done) == ph->nthreads)
            return 1;
        if (step <= 0)
            return 0;
        if (step > 50000000) /* look at the threads every 50 ms */
            step = 50000000;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)step;
        nanosleep(&ts, NULL);
    }
}

/* Fill 'vals' with the values the server's INFO gives now for the fields of 'st' (empty
 * strings for fields it lacks, or all of them when INFO failed; commas become ';'). */
static void iv_info(struct iv_state *st, char vals[][IV_FIELD_LEN])
{
    redisReply *r = NULL;

    for (int i = 0; i < st->nfields; i++)
        vals[i][0] = '\0';
    if (!st->ctx)
        return;
    r = redisCommand(st->ctx, "INFO all");
    if (r && r->type != REDIS_REPLY_STRING) { /* servers that refuse "all" */
        freeReplyObject(r);
        r = redisCommand(st->ctx, "INFO");
    }
    if (!r) {
        fprintf(stderr, "omenkv-bench: interval INFO: %s; no more INFO fields\n",
                st->ctx->errstr);
        redisFree(st->ctx);
        st->ctx = NULL;
        return;
    }
    if (r->type == REDIS_REPLY_STRING) {
        for (int i = 0; i < st->nfields; i++) {
            info_field(r->str, r->str + r->len, st->names[i], vals[i], IV_FIELD_LEN);
            for (char *p = vals[i]; *p; p++)
                if (*p == ',')
                    *p = ';';
        }
    }
    freeReplyObject(r);
}

/* Prepare 'st' for the options 'o': split --interval-info into names, open the CSV and
 * write its header when the file is new or empty, connect for INFO. 0, or -1 after
 * printing why the CSV cannot be opened (intervals are then only printed). A server that
 * cannot be reached for INFO only empties the fields. */
static int iv_open(struct iv_state *st, const struct bench_opts *o)
{
    const char *p = o->interval_info;
    int rc = 0;

    memset(st, 0, sizeof(*st));
    st->o = o;
    while (p && *p) {
        size_t n = strcspn(p, ",");

        if (n > 0 && n < IV_FIELD_LEN && st->nfields < IV_MAX_FIELDS) {
            memcpy(st->names[st->nfields], p, n);
            st->names[st->nfields++][n] = '\0';
        } else if (n > 0) {
            fprintf(stderr, "omenkv-bench: --interval-info: field '%.*s' left out (names of "
                    "up to %d bytes, %d fields)\n", (int)n, p, IV_FIELD_LEN - 1, IV_MAX_FIELDS);
        }
        p += n + (p[n] == ',');
    }
    if (o->interval_csv) {
        struct stat sb;

        st->csv = strcmp(o->interval_csv, "-") == 0 ? stdout : fopen(o->interval_csv, "a");
        if (!st->csv) {
            fprintf(stderr, "omenkv-bench: %s: %s\n", o->interval_csv, strerror(errno));
            rc = -1;
        } else if (st->csv == stdout || (fstat(fileno(st->csv), &sb) == 0 && sb.st_size == 0)) {
            fputs(iv_csv_header, st->csv);
            for (int i = 0; i < st->nfields; i++)
                fprintf(st->csv, ",%s", st->names[i]);
            fputc('\n', st->csv);
        }
    }
    if (st->nfields) {
        struct timeval tv = {5, 0};

        st->ctx = redisConnectWithTimeout(o->host, o->port, tv);
        if (!st->ctx || st->ctx->err) {
            fprintf(stderr, "omenkv-bench: interval INFO: cannot connect: %s\n",
                    st->ctx ? st->ctx->errstr : "out of memory");
            redisFree(st->ctx);
            st->ctx = NULL;
        } else {
            redisSetTimeout(st->ctx, tv);
            if (o->password)
                freeReplyObject(redisCommand(st->ctx, "AUTH %s", o->password));
        }
    }
    return rc;
}

/* Print and write the report of interval 'n' of phase 'ph': the replies 'iv' that arrived
 * in the 'seconds' up to 't_s' seconds after the measured start. 0, or -1 when the row
 * could not be written (the CSV is then closed: later intervals are only printed). */
static int iv_emit(struct iv_state *st, const struct bench_phase *ph, int n, double t_s,
                   double seconds, const struct bench_iv *iv)
{
    const struct bench_opts *o = st->o;
    char vals[IV_MAX_FIELDS][IV_FIELD_LEN];
    double rps = seconds > 0 ? (double)iv->all.count / seconds : 0;
    double pc[4] = {US(hist_percentile(&iv->all, 50)), US(hist_percentile(&iv->all, 99)),
                    US(hist_percentile(&iv->all, 99.9)), US(iv->all.max)};

    iv_info(st, vals);
    if (!o->quiet) {
        printf("  interval %d at %.1f s: %.0f requests/s  p50 %.1f  p99 %.1f  p99.9 %.1f  "
               "max %.1f us", n, t_s, rps, pc[0], pc[1], pc[2], pc[3]);
        if (iv->errors)
            printf("  errors %llu", (unsigned long long)iv->errors);
        for (int i = 0; i < st->nfields; i++)
            printf("  %s %s", st->names[i], vals[i][0] ? vals[i] : "n/a");
        printf("\n");
        fflush(stdout);
    }
    if (!st->csv)
        return 0;
    fprintf(st->csv, "%s,%s,%d,%.3f,%.3f,%llu,%.0f,%.1f,%.1f,%.1f,%.1f,", o->label, ph->name,
            n, t_s, seconds, (unsigned long long)iv->all.count, rps, pc[0], pc[1], pc[2],
            pc[3]);
    for (int i = 0; i < OP_N; i++)
        fprintf(st->csv, "%.0f,", seconds > 0 ? (double)iv->done[i] / seconds : 0);
    fprintf(st->csv, "%llu,%lld", (unsigned long long)iv->errors, (long long)omk_now_ms());
    for (int i = 0; i < st->nfields; i++)
        fprintf(st->csv, ",%s", vals[i]);
    fputc('\n', st->csv);
    if (fflush(st->csv) != 0 || ferror(st->csv)) {
        fprintf(stderr, "omenkv-bench: %s: write failed; no more interval rows\n",
                o->interval_csv);
        if (st->csv != stdout)
            fclose(st->csv);
        st->csv = NULL;
        return -1;
    }
    return 0;
}

/* Report each interval of the run 'ph' while its threads 'th' run, then return when they
 * have all returned (they are still to be joined). An interval holds the replies that
 * arrived between two reports; the last one ends with the last reply and may be shorter
 * (a run bounded by time ends it at the drain after the deadline). 0, or -1 when a row
 * could not be written. */
static int iv_report_loop(struct bench_phase *ph, struct bench_thread *th)
{
    struct iv_state st;
    struct bench_iv *sum = omk_malloc(sizeof(*sum));
    int64_t prev;
    int rc = 0;

    if (iv_open(&st, ph->o) != 0)
        rc = -1;
    iv_sleep_until(ph, ph->record_ns); /* the warm-up is not reported */
    prev = ph->record_ns;
    for (int n = 1;; n++) {
        int64_t boundary = ph->record_ns + n * ph->interval_ns, now, end = 0;
        int last;

        if (ph->deadline_ns && boundary >= ph->deadline_ns)
            boundary = INT64_MAX; /* the last interval: until the threads are done */
        last = iv_sleep_until(ph, boundary);
        now = now_ns();
        memset(sum, 0, sizeof(*sum));
        hist_init(&sum->all);
        for (int i = 0; i < ph->nthreads; i++) {
            struct bench_thread *t = &th[i];

            omk_mutex_lock(&t->iv_lock);
            hist_merge(&sum->all, &t->iv.all);
            for (int k = 0; k < OP_N; k++)
                sum->done[k] += t->iv.done[k];
            sum->errors += t->iv.errors;
            memset(&t->iv, 0, sizeof(t->iv));
            hist_init(&t->iv.all);
            omk_mutex_unlock(&t->iv_lock);
            if (last && t->last_ns > end) /* the thread has returned: its fields are still */
                end = t->last_ns;
        }
        if (!last || end <= prev)
            end = now;
        if ((!last || sum->all.count || sum->errors) &&
            iv_emit(&st, ph, n, (double)(end - ph->record_ns) / 1e9, (double)(end - prev) / 1e9,
                    sum) != 0)
            rc = -1;
        prev = end;
        if (last)
            break;
    }
    redisFree(st.ctx);
    if (st.csv && st.csv != stdout && fclose(st.csv) != 0)
        rc = -1;
    omk_free(sum);
    return rc;
}

/* ---- main ---------------------------------------------------------------------------- */

/* The load phase and then the run (or the full SCAN) over the 'nconns' open connections
 * 'conns', with the server's INFO 'before' the start. Prints and appends the reports.
 * Returns 0, or 1 when the server failed or answered an error. */
static int bench_phases(const struct bench_opts *o, struct bench_conn *conns, int nconns,
                        const struct kd_zipf *zipf, const struct kd_perm *perm,
                        struct bench_info *before)
{
    struct bench_info after;
    int failed = 0;

    if (!o->quiet) {
        char k0[256];

        k0[key_format(o, 0, k0)] = '\0';
        printf("omenkv-bench: %s at %s:%d, %llu keys (%s ...), value %zu", before->server,
               o->host, o->port, (unsigned long long)o->keys, k0, o->vmin);
        if (o->vmax != o->vmin)
            printf("-%zu", o->vmax);
        printf(" B, %d connections, %d threads\n", nconns,
               o->threads < nconns ? o->threads : nconns);
    }
    if (o->load) {
        static const unsigned set_only[OP_N] = {0, 1, 0};
        struct bench_phase ph = {.name = "load", .o = o, .dist = DIST_SEQ,
                                 .pipeline = o->load_pipeline, .limit = o->keys,
                                 .nconns = nconns, .nthreads = o->threads};
        struct bench_result r;

        phase_mix(&ph, set_only);
        (void)phase_run(&ph, conns, &r); /* no interval reports in a load */
        if (!o->quiet)
            report_text(&ph, &r, "n/a", 0, 0);
        if (o->csv && report_csv(&ph, &r, before, "n/a", 0, 0) != 0)
            failed = 1;
        if (r.errors || r.requests != o->keys) {
            fprintf(stderr, "omenkv-bench: load: %llu of %llu keys written, %llu errors%s%s\n",
                    (unsigned long long)r.requests, (unsigned long long)o->keys,
                    (unsigned long long)r.errors, r.errors ? ", first: " : "", r.first_error);
            return 1;
        }
    }
    if (o->load != 2) {
        static const unsigned scan_only[OP_N] = {0, 0, 1};
        struct bench_phase ph = {.name = o->scan_all ? "scan-all" : "run", .o = o,
                                 .dist = o->dist, .zipf = zipf, .perm = perm,
                                 .pipeline = o->scan_all ? 1 : o->pipeline, .limit = o->requests,
                                 .scan_all = o->scan_all, .nconns = o->scan_all ? 1 : nconns,
                                 .nthreads = o->scan_all ? 1 : o->threads, .rate = o->rate,
                                 .interval_ns = (int64_t)(o->interval * 1e9)};
        struct bench_result r;
        unsigned long long ch, cm;
        char ratio[32];

        atomic_store(&ph.latest, o->keys - 1);
        phase_mix(&ph, o->scan_all ? scan_only : o->mix);
        if (info_fetch(o, before) != 0)
            return 1;
        if (phase_run(&ph, conns, &r) != 0)
            failed = 1;
        if (info_fetch(o, &after) != 0)
            return 1;
        cache_ratio(before, &after, ratio, sizeof(ratio), &ch, &cm);
        if (!o->quiet)
            report_text(&ph, &r, ratio, ch, cm);
        if (o->csv && report_csv(&ph, &r, &after, ratio, ch, cm) != 0)
            failed = 1;
        if (r.errors) {
            fprintf(stderr, "omenkv-bench: %s: %llu errors, first: %s\n", ph.name,
                    (unsigned long long)r.errors, r.first_error);
            failed = 1;
        }
        if (o->scan_all && !atomic_load(&ph.scan_done)) {
            fprintf(stderr, "omenkv-bench: scan-all: the iteration did not end\n");
            failed = 1;
        }
    }
    return failed;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    struct bench_conn *conns;
    struct bench_info before;
    struct kd_zipf zipf;
    struct kd_perm perm;
    struct kd_rng vr;
    char *pool;
    int nconns, opened = 0, failed;

    parse_args(&o, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    if ((o.dist == DIST_ZIPF || o.dist == DIST_LATEST) && kd_zipf_init(&zipf, o.keys, o.theta))
        usage_error("--theta %g out of range", o.theta);
    kd_perm_init(&perm, o.keys);
    pool = omk_malloc(BENCH_VALUE_POOL + o.vmax + 1);
    kd_rng_seed(&vr, o.seed);
    for (size_t i = 0; i < BENCH_VALUE_POOL + o.vmax; i++)
        pool[i] = (char)('a' + kd_rng_below(&vr, 26));
    value_pool = pool;

    /* A full SCAN needs one connection; the load phase all of them. */
    nconns = o.scan_all && !o.load ? 1 : o.conns;
    conns = omk_calloc((size_t)nconns, sizeof(*conns));
    failed = info_fetch(&o, &before) != 0;
    while (!failed && opened < nconns) {
        if (conn_open(&conns[opened], &o,
                      o.load_pipeline > o.pipeline ? o.load_pipeline : o.pipeline) != 0)
            failed = 1;
        opened++; /* a failed conn_open leaves a connection conn_close() can take */
    }
    if (!failed)
        failed = bench_phases(&o, conns, nconns, &zipf, &perm, &before);
    for (int i = 0; i < opened; i++)
        conn_close(&conns[i]);
    omk_free(conns);
    omk_free(pool);
    return failed;
}
