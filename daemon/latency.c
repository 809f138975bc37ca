/* latency.c - the latency monitor and the per-command histograms (latency.h).
 *
 * HOW THE HISTOGRAMS WORK. A duration is recorded, as Redis records it, in nanoseconds
 * (the handler's microseconds times 1000, at least 1, at most one second). Buckets are
 * log-linear: 16 per power of two from 512 ns on (each about 6% wide), one below. Each
 * worker has, per command, a bucket array it allocates on the command's first run and
 * alone writes (relaxed load + store, as worker_stat_add); readers sum the workers'
 * arrays with relaxed loads. A command with subcommands is counted per subcommand
 * ("config|get"), as Redis counts it: the arrays are indexed by cmd_meta_rows, the rows
 * COMMAND INFO knows. CONFIG RESETSTAT bumps a generation: an array of an older
 * generation is cleared by its worker at its next record and skipped by readers.
 * A percentile is the highest value of the bucket holding the sample of that rank (the
 * rank rule of Redis' hdr_value_at_percentile), so it is at most 6% above the truth;
 * Redis' HDR histogram keeps 2 significant digits. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/omk_thread.h"
#include "daemon/cfg.h"
#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "daemon/conn.h"
#include "daemon/latency.h"
#include "daemon/reply.h"
#include "daemon/server.h"

/* ---- the histograms ---- */

#define LAT_SUB_BITS 4
#define LAT_SUB (1 << LAT_SUB_BITS) /* buckets per power of two */
#define LAT_MIN_EXP 9               /* first octave: 512..1023 ns, which holds 1 us */
#define LAT_MAX_EXP 29              /* last octave: 2^29..2^30 ns, which holds 1 s */
#define LAT_BUCKETS (1 + (LAT_MAX_EXP - LAT_MIN_EXP + 1) * LAT_SUB)
#define LAT_MAX_NS 1000000000ULL    /* longer durations count as one second (Redis') */

struct lat_hist {
    _Atomic uint64_t gen;   /* the reset generation its counts belong to */
    _Atomic uint64_t total; /* samples */
    _Atomic uint64_t count[LAT_BUCKETS];
};

/* One pointer per worker and command row (cmd_meta_rows), published by the worker
 * (release) once its array is set up; NULL until the command first runs there. */
static struct lat_hist *_Atomic *lat_hists; /* [nworkers * lat_nrows] */
static int lat_nworkers;
static size_t lat_nrows; /* cmd_meta_nrows */
static long lat_row_direct[CMD_COUNT]; /* per cmd_table row: its meta row, or -1 for a
                                       * command with subcommands (looked up per call) */
static _Atomic uint64_t lat_gen = 1; /* bumped by CONFIG RESETSTAT */

/* The bucket of 'ns' (1..LAT_MAX_NS). */
static int lat_bucket(uint64_t ns)
{
    int e;

    if (ns < (1ULL << LAT_MIN_EXP))
        return 0;
    e = 63 - __builtin_clzll(ns);
    return 1 + (e - LAT_MIN_EXP) * LAT_SUB + (int)((ns >> (e - LAT_SUB_BITS)) & (LAT_SUB - 1));
}

/* The highest duration, in ns, that falls in bucket 'i'. */
static uint64_t lat_bucket_high(int i)
{
    int e, s;

    if (i == 0)
        return (1ULL << LAT_MIN_EXP) - 1;
    e = LAT_MIN_EXP + (i - 1) / LAT_SUB;
    s = (i - 1) % LAT_SUB;
    return ((uint64_t)(LAT_SUB + s + 1) << (e - LAT_SUB_BITS)) - 1;
}

static void lat_add(_Atomic uint64_t *ctr, uint64_t n)
{
    atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

void latency_init(int nworkers)
{
    lat_nworkers = nworkers;
    lat_nrows = cmd_meta_nrows;
    lat_hists = omk_calloc((size_t)nworkers * lat_nrows + 1, sizeof(*lat_hists));
    for (int i = 0; i < CMD_COUNT; i++) {
        const struct cmd_meta *m = cmd_meta_of(&cmd_table[i]);
        size_t n;

        cmd_meta_subs(m, &n);
        lat_row_direct[i] = n == 0 ? m - cmd_meta_rows : -1;
    }
}

/* Record 'usec' for command row 'row' in worker 'w's histogram. Worker 'w's thread. */
static void lat_hist_record(int w, size_t row, int64_t usec)
{
    struct lat_hist *_Atomic *slot = &lat_hists[(size_t)w * lat_nrows + row];
    struct lat_hist *h = atomic_load_explicit(slot, memory_order_relaxed);
    uint64_t gen = atomic_load_explicit(&lat_gen, memory_order_relaxed);
    uint64_t ns = usec > 0 ? (uint64_t)usec * 1000 : 1;

    if (!h) {
        h = omk_calloc(1, sizeof(*h));
        atomic_store_explicit(&h->gen, gen, memory_order_relaxed);
        atomic_store_explicit(slot, h, memory_order_release);
    } else if (atomic_load_explicit(&h->gen, memory_order_relaxed) != gen) {
        for (int i = 0; i < LAT_BUCKETS; i++)
            atomic_store_explicit(&h->count[i], 0, memory_order_relaxed);
        atomic_store_explicit(&h->total, 0, memory_order_relaxed);
        atomic_store_explicit(&h->gen, gen, memory_order_relaxed);
    }
    if (ns > LAT_MAX_NS)
        ns = LAT_MAX_NS;
    lat_add(&h->count[lat_bucket(ns)], 1);
    lat_add(&h->total, 1);
}

/* Sum command row 'row's histograms over the workers into 'counts' (LAT_BUCKETS).
 * Returns the number of samples (0: none since the last reset). Any thread. */
static uint64_t lat_hist_sum(size_t row, uint64_t *counts)
{
    uint64_t gen = atomic_load(&lat_gen), total = 0;

    memset(counts, 0, LAT_BUCKETS * sizeof(*counts));
    if (!lat_hists)
        return 0;
    for (int w = 0; w < lat_nworkers; w++) {
        struct lat_hist *h =
            atomic_load_explicit(&lat_hists[(size_t)w * lat_nrows + row], memory_order_acquire);

        if (!h || atomic_load_explicit(&h->gen, memory_order_relaxed) != gen)
            continue;
        for (int i = 0; i < LAT_BUCKETS; i++) {
            uint64_t n = atomic_load_explicit(&h->count[i], memory_order_relaxed);

            counts[i] += n;
            total += n;
        }
    }
    return total;
}

/* The duration in ns at 'pct' percent of 'total' samples in 'counts' (Redis' rank rule). */
static uint64_t lat_hist_percentile(const uint64_t *counts, uint64_t total, double pct)
{
    double p = pct < 100.0 ? pct : 100.0;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)total + 0.5), seen = 0;

    if (rank < 1)
        rank = 1;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank)
            return lat_bucket_high(i);
    }
    return 0;
}

void latency_hist_reset(void)
{
    atomic_fetch_add(&lat_gen, 1);
}

/* ---- the monitor ---- */

#define LATENCY_TS_LEN 160 /* seconds of samples kept per event (Redis') */

enum lat_event {
    LAT_EV_COMMAND,
    LAT_EV_FAST_COMMAND,
    LAT_EV_LOG_WRITE,
    LAT_EV_LOG_FSYNC,
    LAT_EV_EXPIRE_CYCLE,
    LAT_EV_WRITE_STALL,
    LAT_EV_COUNT,
};

static const char *const lat_event_names[LAT_EV_COUNT] = {
    "command", "fast-command", "aof-write-alone", "aof-fsync-always", "expire-cycle",
    "rocksdb-write-stall",
};

struct lat_sample {
    int64_t time_s;   /* Unix seconds; 0: an empty slot */
    uint32_t latency; /* ms, the worst of that second */
};

struct lat_series {
    int live;        /* has a sample since the start or its last reset */
    int idx;         /* the next slot to fill */
    uint32_t max;    /* worst latency ever, ms */
    struct lat_sample samples[LATENCY_TS_LEN];
};

static struct {
    pthread_mutex_t lock;
    struct lat_series ev[LAT_EV_COUNT];
} lat = {.lock = PTHREAD_MUTEX_INITIALIZER};

int latency_monitor_on(void)
{
    return atomic_load_explicit(&server.cfg.latency_monitor_threshold, memory_order_relaxed) > 0;
}

/* Add 'ms' to event 'ev' if the threshold is on and 'ms' reaches it: the worst latency
 * of the current second is kept. Any thread; takes the monitor's lock only then. */
static void lat_sample_add(enum lat_event ev, int64_t ms)
{
    long long threshold = atomic_load_explicit(&server.cfg.latency_monitor_threshold,
                                               memory_order_relaxed);
    struct lat_series *ts = &lat.ev[ev];
    int64_t now;
    int prev;

    if (threshold <= 0 || ms < threshold)
        return;
    now = omk_now_us() / 1000000;
    if (ms > UINT32_MAX)
        ms = UINT32_MAX;
    omk_mutex_lock(&lat.lock);
    if (!ts->live) {
        memset(ts, 0, sizeof(*ts));
        ts->live = 1;
    }
    if ((uint32_t)ms > ts->max)
        ts->max = (uint32_t)ms;
    prev = (ts->idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (ts->samples[prev].time_s == now) {
        if ((uint32_t)ms > ts->samples[prev].latency)
            ts->samples[prev].latency = (uint32_t)ms;
    } else {
        ts->samples[ts->idx].time_s = now;
        ts->samples[ts->idx].latency = (uint32_t)ms;
        ts->idx = (ts->idx + 1) % LATENCY_TS_LEN;
    }
    omk_mutex_unlock(&lat.lock);
}

/* The row of cmd_meta_rows the command 'c' just ran ('d') is counted under: its own, or,
 * for a command with subcommands, the subcommand's (c->last_sub); -1 for none (a
 * subcommand unknown to Redis 7.0, or none run: Redis refuses those before running). */
static long lat_row_of(struct client *c, const struct cmd_def *d)
{
    const struct cmd_meta *m, *subs;
    const char *sub;
    size_t n, plen;

    if (lat_row_direct[d - cmd_table] >= 0)
        return lat_row_direct[d - cmd_table];
    m = cmd_meta_of(d);
    subs = cmd_meta_subs(m, &n);
    sub = atomic_load_explicit(&c->last_sub, memory_order_relaxed);
    if (!sub)
        return -1;
    plen = strlen(m->name);
    for (size_t i = 0; i < n; i++)
        if (strcmp(subs[i].name + plen + 1, sub) == 0)
            return &subs[i] - cmd_meta_rows;
    return -1;
}

void latency_note_command(struct client *c, const struct cmd_def *d, int64_t usec)
{
    int w = c->worker ? c->worker->id : -1;
    long row;

    if (w >= 0 && w < lat_nworkers && lat_hists &&
        atomic_load_explicit(&server.cfg.latency_tracking, memory_order_relaxed) &&
        (row = lat_row_of(c, d)) >= 0)
        lat_hist_record(w, (size_t)row, usec);
    lat_sample_add((d->flags & CMD_FAST) ? LAT_EV_FAST_COMMAND : LAT_EV_COMMAND, usec / 1000);
}

void latency_note_log_write(int64_t usec)
{
    int always = atomic_load_explicit(&server.cfg.appendfsync, memory_order_relaxed) ==
                 STORE_FSYNC_ALWAYS;

    lat_sample_add(always ? LAT_EV_LOG_FSYNC : LAT_EV_LOG_WRITE, usec / 1000);
}

void latency_note_store(int event, int64_t usec)
{
    lat_sample_add(event == STORE_LAT_EXPIRE_CYCLE ? LAT_EV_EXPIRE_CYCLE : LAT_EV_WRITE_STALL,
                   usec / 1000);
}

void latency_deinit(void)
{
    for (size_t i = 0; lat_hists && i < (size_t)lat_nworkers * lat_nrows; i++)
        omk_free(atomic_load(&lat_hists[i]));
    omk_free(lat_hists);
    lat_hists = NULL;
    lat_nworkers = 0;
}

/* The event named 'p'/'len' ('nocase': ignoring case, as RESET matches), or -1. */
static int lat_event_find(const char *p, size_t len, int nocase)
{
    for (int i = 0; i < LAT_EV_COUNT; i++) {
        const char *n = lat_event_names[i];

        if (strlen(n) == len && (nocase ? strncasecmp(n, p, len) : memcmp(n, p, len)) == 0)
            return i;
    }
    return -1;
}

/* ---- INFO latencystats ---- */

/* cfg_get() callback: copy latency-tracking-info-percentiles into the buffer 'arg'. */
static void lat_percentiles_cb(const char *name, const char *value, size_t vlen, void *arg)
{
    char *out = arg;

    OMK_UNUSED(name);
    if (vlen > 1023)
        vlen = 1023;
    memcpy(out, value, vlen);
    out[vlen] = '\0';
}

void latency_info(struct evbuffer *b)
{
    static const char opt[] = "latency-tracking-info-percentiles";
    uint64_t *counts = omk_malloc(LAT_BUCKETS * sizeof(*counts));
    char words[1024] = "";

    cfg_get(&server.cfg, opt, sizeof(opt) - 1, lat_percentiles_cb, words);
    evbuffer_add_printf(b, "# Latencystats\r\n");
    for (size_t i = 0; i < lat_nrows; i++) {
        uint64_t total = lat_hist_sum(i, counts);
        const char *w = words;
        int first = 1;

        if (total == 0)
            continue;
        evbuffer_add_printf(b, "latency_percentiles_usec_%s:", cmd_meta_rows[i].name);
        while (*w) {
            const char *end = strchr(w, ' ');
            size_t n = end ? (size_t)(end - w) : strlen(w);
            char num[64];
            long double pct = 0;

            snprintf(num, sizeof(num), "%.*s", (int)(n < 63 ? n : 63), w);
            omk_str2ld(num, strlen(num), &pct);
            evbuffer_add_printf(b, "%sp%s=%.3f", first ? "" : ",", num,
                                (double)lat_hist_percentile(counts, total, (double)pct) / 1000.0);
            first = 0;
            w += n;
            while (*w == ' ')
                w++;
        }
        evbuffer_add_printf(b, "\r\n");
    }
    omk_free(counts);
}

/* ---- LATENCY ---- */

/* One command's entry of LATENCY HISTOGRAM: its name, then a map of "calls" and
 * "histogram_usec", the cumulative count at each power of two from 1024 ns on, keyed
 * by the microseconds Redis' HDR log iterator names it by (1, 2, 4, ... 33, 66 ...),
 * listed only where the count grew. */
static void lat_reply_histogram(struct client *c, size_t row, const uint64_t *counts,
                                uint64_t total)
{
    uint64_t seen = 0, prev = 0;
    int i = 0, pairs = 0;
    long long keys[LAT_MAX_EXP + 2], cums[LAT_MAX_EXP + 2];

    for (int e = LAT_MIN_EXP + 1; e <= LAT_MAX_EXP + 1 && prev < total; e++) {
        uint64_t edge = 1ULL << e; /* every bucket below it is counted */

        while (i < LAT_BUCKETS && lat_bucket_high(i) < edge)
            seen += counts[i++];
        if (seen > prev) {
            keys[pairs] = (long long)((edge + (edge >> 7) - 1) / 1000);
            cums[pairs++] = (long long)seen;
        }
        prev = seen;
    }
    reply_bulk_cstr(c, cmd_meta_rows[row].name);
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "calls");
    reply_int(c, (long long)total);
    reply_bulk_cstr(c, "histogram_usec");
    reply_map_len(c, pairs);
    for (int k = 0; k < pairs; k++) {
        reply_int(c, keys[k]);
        reply_int(c, cums[k]);
    }
}

/* One command row's entry of LATENCY HISTOGRAM if it has samples; returns 1 if so. */
static int lat_histogram_row(struct client *c, size_t row, uint64_t *counts)
{
    uint64_t total = lat_hist_sum(row, counts);

    if (total == 0)
        return 0;
    lat_reply_histogram(c, row, counts, total);
    return 1;
}

/* LATENCY HISTOGRAM [command ...]: as a map, the histograms of the commands named
 * ("config|get" names a subcommand, "config" its every subcommand; unknown names and
 * commands without samples are left out; a name given twice is answered twice, as
 * Redis does), or of every command with samples. */
static void latency_histogram(struct client *c)
{
    uint64_t *counts = omk_malloc(LAT_BUCKETS * sizeof(*counts));
    long long n = 0;

    reply_deferred_begin(c);
    if (c->argc == 2) {
        for (size_t i = 0; i < lat_nrows; i++)
            n += lat_histogram_row(c, i, counts);
    }
    for (int a = 2; a < c->argc; a++) {
        const struct cmd_meta *m = cmd_meta_lookup(c->argv[a].p, c->argv[a].len), *subs;
        size_t nsubs;

        if (!m)
            continue;
        n += lat_histogram_row(c, (size_t)(m - cmd_meta_rows), counts);
        if (!strchr(m->name, '|')) {
            subs = cmd_meta_subs(m, &nsubs);
            for (size_t k = 0; k < nsubs; k++)
                n += lat_histogram_row(c, (size_t)(&subs[k] - cmd_meta_rows), counts);
        }
    }
    reply_deferred_end_map(c, n);
    omk_free(counts);
}

/* LATENCY LATEST: per live event, [name, time of its newest sample, that latency, the
 * worst ever]. */
static void latency_latest(struct client *c)
{
    struct lat_series copy[LAT_EV_COUNT];
    int n = 0;

    omk_mutex_lock(&lat.lock);
    memcpy(copy, lat.ev, sizeof(copy));
    omk_mutex_unlock(&lat.lock);
    for (int i = 0; i < LAT_EV_COUNT; i++)
        n += copy[i].live;
    reply_array_len(c, n);
    for (int i = 0; i < LAT_EV_COUNT; i++) {
        const struct lat_series *ts = &copy[i];
        int last = (ts->idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;

        if (!ts->live)
            continue;
        reply_array_len(c, 4);
        reply_bulk_cstr(c, lat_event_names[i]);
        reply_int(c, ts->samples[last].time_s);
        reply_int(c, ts->samples[last].latency);
        reply_int(c, ts->max);
    }
}

/* A copy of event 'ev' taken under the lock: 0 if it has no samples. */
static int lat_series_copy(int ev, struct lat_series *out)
{
    omk_mutex_lock(&lat.lock);
    *out = lat.ev[ev];
    omk_mutex_unlock(&lat.lock);
    return out->live;
}

/* LATENCY HISTORY event: its [time, latency] samples, oldest first; empty for an event
 * without samples or unknown (the name matched exactly, as in Redis). */
static void latency_history(struct client *c)
{
    struct lat_series ts;
    int ev = lat_event_find(c->argv[2].p, c->argv[2].len, 0), n = 0;

    if (ev < 0 || !lat_series_copy(ev, &ts)) {
        reply_array_len(c, 0);
        return;
    }
    for (int j = 0; j < LATENCY_TS_LEN; j++)
        n += ts.samples[j].time_s != 0;
    reply_array_len(c, n);
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const struct lat_sample *s = &ts.samples[(ts.idx + j) % LATENCY_TS_LEN];

        if (s->time_s == 0)
            continue;
        reply_array_len(c, 2);
        reply_int(c, s->time_s);
        reply_int(c, s->latency);
    }
}

/* LATENCY RESET [event ...]: forget the events named (case-insensitive), or all of them;
 * replies how many had samples. */
static void latency_reset(struct client *c)
{
    int resets = 0;

    omk_mutex_lock(&lat.lock);
    for (int i = 0; i < LAT_EV_COUNT; i++) {
        int hit = c->argc == 2;

        for (int a = 2; a < c->argc && !hit; a++)
            hit = lat_event_find(c->argv[a].p, c->argv[a].len, 1) == i;
        if (hit && lat.ev[i].live) {
            memset(&lat.ev[i], 0, sizeof(lat.ev[i]));
            resets++;
        }
    }
    omk_mutex_unlock(&lat.lock);
    reply_int(c, resets);
}

#define LAT_GRAPH_COLS 80
#define LAT_GRAPH_ROWS 4


/* Reply the text gathered in 'b' as a verbatim string (plain bulk in RESP2), and free 'b'. */
static void latency_reply_text(struct client *c, struct evbuffer *b)
{
    size_t len = evbuffer_get_length(b);
    char *text = omk_malloc(len + 1);

    evbuffer_remove(b, text, len);
    evbuffer_free(b);
    reply_verbatim(c, text, len);
    omk_free(text);
}
/* LATENCY GRAPH event: a text chart of the event's samples, oldest on the left: the
 * title line Redis prints (high, low and all-time-high ms), a rule, then a bar per
 * sample (the newest LAT_GRAPH_COLS of them) in LAT_GRAPH_ROWS rows scaled from low to
 * high, and under each bar how long ago it was (s, m, h, d), written downwards. The
 * chart's drawing is omenkv's own. Redis' error for an event without samples. */
static void latency_graph(struct client *c)
{
    struct lat_series ts;
    struct lat_sample s[LATENCY_TS_LEN];
    int ev = lat_event_find(c->argv[2].p, c->argv[2].len, 0), n = 0, first;
    uint32_t lo = 0, hi = 0;
    int64_t now = omk_now_us() / 1000000;
    char labels[LAT_GRAPH_COLS][8];
    struct evbuffer *b;

    if (ev < 0 || !lat_series_copy(ev, &ts)) {
        reply_error_fmt(c, "ERR No samples available for event '%.*s'",
                        reply_user_len(c->argv[2].len), c->argv[2].p);
        return;
    }
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const struct lat_sample *x = &ts.samples[(ts.idx + j) % LATENCY_TS_LEN];

        if (x->time_s == 0)
            continue;
        if (n == 0 || x->latency < lo)
            lo = x->latency;
        if (n == 0 || x->latency > hi)
            hi = x->latency;
        s[n++] = *x;
    }
    b = evbuffer_new();
    evbuffer_add_printf(b, "%s - high %lu ms, low %lu ms (all time high %lu ms)\n",
                        lat_event_names[ev], (unsigned long)hi, (unsigned long)lo,
                        (unsigned long)ts.max);
    for (int j = 0; j < LAT_GRAPH_COLS; j++)
        evbuffer_add(b, "-", 1);
    evbuffer_add(b, "\n", 1);
    first = n > LAT_GRAPH_COLS ? n - LAT_GRAPH_COLS : 0;
    for (int row = LAT_GRAPH_ROWS; row >= 1; row--) {
        for (int j = first; j < n; j++) {
            /* bar height 1..ROWS: the lowest sample gets 1, the highest ROWS */
            int h = hi == lo ? LAT_GRAPH_ROWS
                             : 1 + (int)((uint64_t)(s[j].latency - lo) * (LAT_GRAPH_ROWS - 1) /
                                         (hi - lo));

            evbuffer_add(b, h >= row ? "#" : " ", 1);
        }
        evbuffer_add(b, "\n", 1);
    }
    for (int j = first; j < n; j++) {
        int64_t ago = now - s[j].time_s;

        if (ago < 60)
            snprintf(labels[j - first], sizeof(labels[0]), "%ds", (int)ago);
        else if (ago < 3600)
            snprintf(labels[j - first], sizeof(labels[0]), "%dm", (int)(ago / 60));
        else if (ago < 86400)
            snprintf(labels[j - first], sizeof(labels[0]), "%dh", (int)(ago / 3600));
        else
            snprintf(labels[j - first], sizeof(labels[0]), "%dd", (int)(ago / 86400));
    }
    for (int k = 0; k < 7; k++) {
        int any = 0;

        for (int j = 0; j < n - first; j++)
            any |= (int)strlen(labels[j]) > k;
        if (!any)
            break;
        for (int j = 0; j < n - first; j++)
            evbuffer_add(b, (int)strlen(labels[j]) > k ? &labels[j][k] : " ", 1);
        evbuffer_add(b, "\n", 1);
    }
    latency_reply_text(c, b);
}

/* LATENCY DOCTOR: a plain report in omenkv's words: whether the monitor is on, then per
 * event its samples, average, mean deviation, period and worst, and what to look at. */
static void latency_doctor(struct client *c)
{
    long long threshold = atomic_load(&server.cfg.latency_monitor_threshold);
    struct evbuffer *b = evbuffer_new();
    struct lat_series ev[LAT_EV_COUNT];
    int64_t now = omk_now_us() / 1000000;
    int shown = 0;

    omk_mutex_lock(&lat.lock);
    memcpy(ev, lat.ev, sizeof(ev));
    omk_mutex_unlock(&lat.lock);
    for (int i = 0; i < LAT_EV_COUNT; i++)
        shown += ev[i].live;
    if (shown == 0 && threshold == 0) {
        evbuffer_add_printf(b, "The latency monitor is off (latency-monitor-threshold is 0). "
                               "Turn it on with CONFIG SET latency-monitor-threshold "
                               "<milliseconds>; commands and log writes that take at least "
                               "that long are then recorded.\n");
    } else if (shown == 0) {
        evbuffer_add_printf(b, "No latency spike of %lld ms or more was recorded.\n", threshold);
    } else {
        int num = 0;

        evbuffer_add_printf(b, "Latency spikes recorded (threshold %lld ms):\n\n", threshold);
        for (int i = 0; i < LAT_EV_COUNT; i++) {
            uint64_t sum = 0, mad = 0, avg;
            int64_t oldest = 0;
            int samples = 0;

            if (!ev[i].live)
                continue;
            for (int j = 0; j < LATENCY_TS_LEN; j++) {
                const struct lat_sample *x = &ev[i].samples[j];

                if (x->time_s == 0)
                    continue;
                samples++;
                sum += x->latency;
                if (oldest == 0 || x->time_s < oldest)
                    oldest = x->time_s;
            }
            avg = samples ? sum / (uint64_t)samples : 0;
            for (int j = 0; j < LATENCY_TS_LEN; j++) {
                const struct lat_sample *x = &ev[i].samples[j];

                if (x->time_s != 0)
                    mad += x->latency > avg ? x->latency - avg : avg - x->latency;
            }
            evbuffer_add_printf(b,
                                "%d. %s: %d spikes, average %llu ms, mean deviation %llu ms, "
                                "one every %.2f s; worst ever %lu ms.\n",
                                ++num, lat_event_names[i], samples, (unsigned long long)avg,
                                (unsigned long long)(samples ? mad / (uint64_t)samples : 0),
                                samples ? (double)(now - oldest > 0 ? now - oldest : 1) / samples
                                        : 0.0,
                                (unsigned long)ev[i].max);
        }
        evbuffer_add_printf(b, "\nWhere to look:\n");
        if (ev[LAT_EV_COMMAND].live)
            evbuffer_add_printf(b, "- command: SLOWLOG GET names the slow commands; commands "
                                   "over many elements or large values, and values read "
                                   "from disk, take longest.\n");
        if (ev[LAT_EV_FAST_COMMAND].live)
            evbuffer_add_printf(b, "- fast-command: a command of constant cost was slow: the "
                                   "machine (CPU contention, swapping) or a read from disk "
                                   "is the likely cause.\n");
        if (ev[LAT_EV_LOG_WRITE].live || ev[LAT_EV_LOG_FSYNC].live)
            evbuffer_add_printf(b, "- aof-*: the write-ahead log's writes were slow: the disk "
                                   "is busy or slow; appendfsync always syncs it on every "
                                   "pass.\n");
        if (ev[LAT_EV_EXPIRE_CYCLE].live)
            evbuffer_add_printf(b, "- expire-cycle: active expiry deleted many keys at once "
                                   "(many expiring at the same time); its ticks take at most "
                                   "a quarter of 1000/hz ms.\n");
        if (ev[LAT_EV_WRITE_STALL].live)
            evbuffer_add_printf(b, "- rocksdb-write-stall: RocksDB delayed writes while its "
                                   "flushes or compactions lagged (a burst of writes, or a "
                                   "slow disk); the rocksdb-* settings size its memtables "
                                   "and levels.\n");
    }
    latency_reply_text(c, b);
}

/* LATENCY HELP */
static void latency_help(struct client *c)
{
    static const char *const help[] = {
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
    };

    cmd_reply_help(c, "LATENCY", help, OMK_ARRAY_LEN(help));
}

static const struct cmd_sub latency_subs[] = {
    {"help", 2, latency_help},         {"latest", 2, latency_latest},
    {"history", 3, latency_history},   {"reset", -2, latency_reset},
    {"graph", 3, latency_graph},       {"doctor", 2, latency_doctor},
    {"histogram", -2, latency_histogram},
};

void latency_command(struct client *c)
{
    cmd_dispatch_sub(c, "latency", latency_subs, OMK_ARRAY_LEN(latency_subs), 0);
}
