/* test_rocksdb_io.c - how omenkv reads its table files (issue 25's read path of a miss):
 * RocksDB's counters in INFO (block cache hits and misses by kind, file reads and
 * bytes, with rocksdb-statistics yes) move as reads happen, and a value cache hit moves
 * none of them; without statistics they stay 0 and the block cache use and stall time
 * are still shown; the start-up options rocksdb-compression, rocksdb-statistics,
 * rocksdb-use-direct-reads, rocksdb-use-direct-io-for-flush-and-compaction and
 * rocksdb-mmap-reads start the server (the last one maps the table files it reads),
 * answer CONFIG GET, refuse CONFIG SET, keep data written across a restart, and refuse a bad value at
 * start-up. All omenkv-only: Redis has neither these options nor these fields, so
 * against an external server (OMK_TEST_SERVER) the whole program is skipped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"

#define NKEYS 2000 /* of VLEN bytes: 2 MB, twice the 1 MB block cache of the counters test */
#define VLEN 1024

/* The value key 'i' holds: its number, then pseudo-random bytes of it (incompressible,
 * so a block read from a file is as long as the values in it). */
static void value_of(int i, char *buf)
{
    int n = snprintf(buf, VLEN, "%06d:", i);
    unsigned long long x = 0x9E3779B97F4A7C15ULL * (unsigned long long)(i + 1);

    for (int j = n; j < VLEN; j++) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        buf[j] = (char)(x >> 56);
    }
}

/* SET key:%06d for every key below NKEYS, pipelined; one assertion. */
static void load(redisContext *c)
{
    char v[VLEN];

    for (int i = 0; i < NKEYS; i++) {
        value_of(i, v);
        redisAppendCommand(c, "SET key:%06d %b", i, v, (size_t)VLEN);
    }
    ok(ts_read_replies(c, NKEYS, REDIS_REPLY_STATUS) == 0, "loaded %d values of %d bytes", NKEYS,
       VLEN);
}

/* GET every key, pipelined; the number of wrong or missing values. */
static int check_all(redisContext *c)
{
    char v[VLEN];
    int bad = 0;

    for (int i = 0; i < NKEYS; i++)
        redisAppendCommand(c, "GET key:%06d", i);
    for (int i = 0; i < NKEYS; i++) {
        redisReply *r = NULL;

        value_of(i, v);
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            return bad + NKEYS - i;
        if (!r || r->type != REDIS_REPLY_STRING || r->len != VLEN || memcmp(r->str, v, VLEN))
            bad++;
        freeReplyObject(r);
    }
    return bad;
}

static long long field(redisContext *c, const char *name)
{
    return ts_info_field(c, "stats", name);
}

/* Restart 's' on its data (RocksDB writes what its log replays into table files, so the
 * reads after it come from files) and reconnect; NULL after a Bail out line. */
static redisContext *restart(struct tserver *s)
{
    is_int(ts_stop(s), 0, "SIGTERM: the server exits with status 0");
    if (!ok(ts_restart(s) == 0, "the server starts again on the same data dir")) {
        printf("Bail out! server did not restart\n");
        return NULL;
    }
    return ts_connect(s);
}

/* ---- the counters ---- */

static void test_counters(void)
{
    static const char *const names[] = {
        "rocksdb_block_cache_data_hits",   "rocksdb_block_cache_data_misses",
        "rocksdb_block_cache_index_hits",  "rocksdb_block_cache_index_misses",
        "rocksdb_block_cache_filter_hits", "rocksdb_block_cache_filter_misses",
        "rocksdb_block_cache_used_bytes",  "rocksdb_block_cache_pinned_bytes",
        "rocksdb_block_cache_capacity",    "rocksdb_bloom_useful",
        "rocksdb_file_reads",              "rocksdb_file_read_bytes",
        "rocksdb_compact_read_bytes",      "rocksdb_get_bytes",
        "rocksdb_stall_micros",
    };
    /* The value cache off (a budget below one value), a 1 MB block cache. */
    const char *args[] = {"--maxmemory", "1", "--rocksdb-block-cache-size", "1mb",
                          "--rocksdb-statistics", "yes", NULL};
    long long dmiss, dhit, bytes, reads, misses, got;
    struct tserver s;
    redisContext *c = ts_begin(&s, args, 0);
    int missing = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (field(c, names[i]) < 0) {
            diag("  INFO stats has no %s", names[i]);
            missing++;
        }
    is_int(missing, 0, "INFO stats has every rocksdb_ counter");
    is_int(field(c, "rocksdb_statistics"), 1, "rocksdb_statistics:1 with rocksdb-statistics yes");
    is_int(field(c, "rocksdb_block_cache_capacity"), 1 << 20,
           "rocksdb_block_cache_capacity is rocksdb-block-cache-size");
    load(c);
    redisFree(c);
    if (!(c = restart(&s)))
        goto out;

    dmiss = field(c, "rocksdb_block_cache_data_misses");
    dhit = field(c, "rocksdb_block_cache_data_hits");
    bytes = field(c, "rocksdb_file_read_bytes");
    reads = field(c, "rocksdb_file_reads");
    misses = ts_info_field(c, "cache", "cache_misses");
    is_int(check_all(c), 0, "every value reads back after the restart, from the table files");
    is_int(ts_info_field(c, "cache", "cache_misses") - misses, NKEYS,
           "with the value cache off, every GET is a value cache miss");
    got = field(c, "rocksdb_block_cache_data_misses") - dmiss;
    ok(got > 0, "2 MB read through a 1 MB block cache: data block misses counted (%lld)", got);
    ok(got + field(c, "rocksdb_block_cache_data_hits") - dhit >= NKEYS,
       "every GET looked up at least one data block in the block cache");
    ok(field(c, "rocksdb_file_reads") - reads >= got, "each data block miss read the file");
    ok(field(c, "rocksdb_file_read_bytes") - bytes >= got * VLEN,
       "each data block miss read at least one value's bytes from the file");
    ok(field(c, "rocksdb_block_cache_used_bytes") > 0, "the block cache holds blocks");
    ok(field(c, "rocksdb_get_bytes") >= (long long)NKEYS * VLEN,
       "rocksdb_get_bytes counts the bytes the GETs returned");
    ok(field(c, "rocksdb_stall_micros") >= 0, "rocksdb_stall_micros is a number");
    redisFree(c);
    ts_cleanup(&s);

    /* By default RocksDB keeps no statistics: those counters stay 0, the rest moves. */
    {
        const char *off[] = {"--maxmemory", "1", NULL};
        redisContext *d = ts_begin(&s, off, 0);

        is_int(field(d, "rocksdb_statistics"), 0, "rocksdb_statistics:0 by default");
        load(d);
        redisFree(d);
        if (!(d = restart(&s)))
            goto out;
        is_int(check_all(d), 0, "every value reads back after the restart");
        is_int(field(d, "rocksdb_block_cache_data_misses") + field(d, "rocksdb_file_read_bytes"),
               0, "without statistics the block and file counters stay 0");
        ok(field(d, "rocksdb_block_cache_used_bytes") > 0,
           "the block cache's use is shown without statistics too");
        is_int(field(d, "rocksdb_stall_micros"), 0, "so is the stall time (none here)");
        redisFree(d);
        ts_cleanup(&s);
    }

    /* With the value cache on, a second GET of a value is a cache hit: no block lookup. */
    {
        const char *on[] = {"--maxmemory", "64mb", NULL};
        static const char hot[] = "a value the value cache keeps";
        long long lookups;
        redisContext *d = ts_begin(&s, on, 0);

        freeReplyObject(cmd(d, "SET hot %s", hot));
        redisFree(d);
        if (!(d = restart(&s)))
            goto out;
        is_str(cmd(d, "GET hot"), hot, strlen(hot), "the first GET after a restart reads RocksDB");
        lookups = field(d, "rocksdb_block_cache_data_hits") +
                  field(d, "rocksdb_block_cache_data_misses");
        is_str(cmd(d, "GET hot"), hot, strlen(hot), "the second GET hits");
        is_int(field(d, "rocksdb_block_cache_data_hits") +
                   field(d, "rocksdb_block_cache_data_misses") - lookups,
               0, "a value cache hit looks up no block");
        redisFree(d);
    }
out:
    ts_cleanup(&s);
}

/* ---- the options ---- */

/* Whether files in a new directory under /tmp (where the harness puts data dirs) can be
 * opened with O_DIRECT: tmpfs, for one, refuses it. */
static int direct_io_works(void)
{
    char dir[] = "/tmp/omk-direct-XXXXXX", path[64];
    int fd, works;

    if (!mkdtemp(dir))
        return 0;
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_CREAT | O_RDWR | O_DIRECT, 0600);
    works = fd >= 0;
    if (fd >= 0)
        close(fd);
    unlink(path);
    rmdir(dir);
    return works;
}

/* Start with 'name' 'value' (and the value cache off, so reads go to RocksDB), check
 * CONFIG GET answers it and CONFIG SET refuses it, write, restart, read everything. */
static void test_option(const char *name, const char *value)
{
    const char *args[] = {name, value, "--maxmemory", "1", NULL};
    char err[256];
    struct tserver s;
    redisContext *c;
    redisReply *r;

    if (ts_start(&s, args) != 0) {
        ok(0, "the server starts with %s %s", name, value);
        ts_cleanup(&s);
        return;
    }
    ok(1, "the server starts with %s %s", name, value);
    c = ts_connect(&s);
    r = cmd(c, "CONFIG GET %s", name + 2);
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
           !strcmp(r->element[1]->str, value),
       "CONFIG GET %s answers %s", name + 2, value);
    freeReplyObject(r);
    snprintf(err, sizeof(err),
             "ERR CONFIG SET failed (possibly related to argument '%s') - can't set "
             "immutable config",
             name + 2);
    is_error(cmd(c, "CONFIG SET %s %s", name + 2, value), err, "CONFIG SET refuses it");
    load(c);
    redisFree(c);
    if ((c = restart(&s)) != NULL) {
        is_int(check_all(c), 0, "every value survives a restart with it");
        redisFree(c);
    }
    ts_cleanup(&s);
}

/* The table files mapped into the server 'pid' (lines of /proc/PID/maps naming a .sst
 * file), or -1 if the file cannot be read. */
static int sst_maps(pid_t pid)
{
    char path[64], line[512];
    FILE *f;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, ".sst") != NULL;
    fclose(f);
    return n;
}

/* rocksdb-mmap-reads: with yes the reads after a restart, which come from table files,
 * map them (no read call, no copy) and return every value; with no nothing is mapped. */
static void test_mmap_reads(const char *value)
{
    const char *args[] = {"--rocksdb-mmap-reads", value, "--maxmemory", "1", NULL};
    struct tserver s;
    redisContext *c = ts_begin(&s, args, 0);
    int maps;

    load(c);
    redisFree(c);
    if ((c = restart(&s)) == NULL) {
        ts_cleanup(&s);
        return;
    }
    is_int(check_all(c), 0, "rocksdb-mmap-reads %s: every value read back from the files",
           value);
    maps = sst_maps(s.pid);
    if (!strcmp(value, "yes"))
        ok(maps > 0, "rocksdb-mmap-reads yes: the table files are mapped (%d maps)", maps);
    else
        is_int(maps, 0, "rocksdb-mmap-reads no: no table file is mapped");
    redisFree(c);
    ts_cleanup(&s);
}

/* A bad value stops the start-up with Redis' fatal config error. */
static void test_bad_values(void)
{
    const char *bin = getenv("OMK_SERVER");

    if (!bin)
        bin = "daemon/omenkv-server";
    is_int(ts_system("'%s' --port 0 --rocksdb-compression brotli 2>&1 | grep -qxF "
                     "'argument(s) must be one of the following: none, snappy, lz4, zstd'",
                     bin),
           0, "--rocksdb-compression brotli: refused at start-up");
    is_int(ts_system("'%s' --port 0 --rocksdb-statistics on 2>&1 | grep -qxF "
                     "'argument must be '\\''yes'\\'' or '\\''no'\\'''",
                     bin),
           0, "--rocksdb-statistics on: refused at start-up");
    is_int(ts_system("'%s' --port 0 --rocksdb-use-direct-reads maybe 2>&1 | grep -qxF "
                     "'argument must be '\\''yes'\\'' or '\\''no'\\'''",
                     bin),
           0, "--rocksdb-use-direct-reads maybe: refused at start-up");
    is_int(ts_system("'%s' --port 0 --rocksdb-use-direct-io-for-flush-and-compaction 1x "
                     "2>&1 | grep -qxF 'argument must be '\\''yes'\\'' or '\\''no'\\'''",
                     bin),
           0, "--rocksdb-use-direct-io-for-flush-and-compaction 1x: refused at start-up");
    is_int(ts_system("'%s' --port 0 --rocksdb-mmap-reads sometimes 2>&1 | grep -qxF "
                     "'argument must be '\\''yes'\\'' or '\\''no'\\'''",
                     bin),
           0, "--rocksdb-mmap-reads sometimes: refused at start-up");
    /* Both at once: RocksDB refuses to open, and the start-up stops with its words. */
    is_int(ts_system("d=$(mktemp -d) && '%s' --port 0 --dir \"$d\" --rocksdb-mmap-reads yes "
                     "--rocksdb-use-direct-reads yes >\"$d.out\" 2>&1; rc=$?; "
                     "grep -q 'allow_mmap_reads' \"$d.out\" && test $rc -ne 0; r=$?; "
                     "rm -rf \"$d\" \"$d.out\"; exit $r",
                     bin),
           0, "--rocksdb-mmap-reads yes with --rocksdb-use-direct-reads yes: refused with "
              "RocksDB's reason");
}

int main(void)
{
    static const char *const kinds[] = {"none", "snappy", "lz4", "zstd"};

    if (getenv("OMK_TEST_SERVER") && *getenv("OMK_TEST_SERVER"))
        return tap_skip_all("omenkv-only: RocksDB's options and counters");
    test_counters();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        test_option("--rocksdb-compression", kinds[i]);
    test_option("--rocksdb-statistics", "yes");
    test_option("--rocksdb-mmap-reads", "yes");
    test_mmap_reads("yes");
    test_mmap_reads("no");
    if (direct_io_works()) {
        test_option("--rocksdb-use-direct-reads", "yes");
        test_option("--rocksdb-use-direct-io-for-flush-and-compaction", "yes");
    } else {
        skip("O_DIRECT is refused under /tmp: the direct I/O options are not tried");
    }
    test_bad_values();
    return tap_done();
}
