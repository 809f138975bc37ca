/* recover.c - what the store checks in its data directory before RocksDB opens it, so
 * that no damage is dropped in silence: RocksDB's own recovery drops a damaged tail of a
 * write-ahead log without a word, and after a clean shutdown cannot tell a log cut short
 * at a record boundary from a whole one. Two tools:
 *
 *   - A scan of every write-ahead log (the RocksDB log format, below): the offset of the
 *     first damage in each, and whether it is a torn tail (the last record cut short by
 *     the end of the file: what a crash, or a write that failed on a full disk, leaves).
 *   - A clean-shutdown record, OMENKV-CLEAN, written after RocksDB closed cleanly: the
 *     MANIFEST that CURRENT names and every log, with their sizes. Verified and removed at
 *     the next start, before RocksDB changes anything: after a clean shutdown nothing may
 *     be torn or shorter.
 *
 * recover_check_dir() applies the policy of store_config.wal_recovery (store.h) and picks
 * RocksDB's WAL recovery mode; rocks.c opens with it. No RocksDB call is made here. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/omk.h"
#include "store/store_internal.h"

/* ---- The write-ahead log format (RocksDB 7.8, db/log_format.h) ----------------------
 *
 * A log is a sequence of 32 KiB blocks (the last one may be partial). A block holds
 * physical records; fewer than 7 bytes left at a block's end are a zero-filled trailer.
 *
 *   offset  size  meaning
 *   0       4     masked CRC-32C (little-endian) of the bytes from 'type' to the end of
 *                 the payload (for recyclable types, the log number is covered too)
 *   4       2     payload length (little-endian); a record never crosses a block
 *   6       1     type: 1 full, 2 first, 3 middle, 4 last fragment of a logical record;
 *                 5-8 the same in a recycled log, whose header also holds:
 *   7       4     (types 5-8 only) the log number
 *   7 / 11  len   payload
 *
 * Type 9 (compression settings) is a whole record; a zero type with a zero length is
 * preallocated space, which RocksDB skips to the next block. A logical record is one
 * write batch: a full record, or first, middle..., last. */

#define WAL_BLOCK 32768u
#define WAL_HDR 7u
#define WAL_RHDR 11u

/* CRC-32C (Castagnoli), reflected, one table (filled once); the log stores it masked. */
static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc32c_table[i] = c;
    }
}

static uint32_t crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    while (n--)
        c = crc32c_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t crc_unmask(uint32_t m)
{
    uint32_t rot = m - 0xa282ead8u;

    return (rot >> 17) | (rot << 15);
}

/* What recover_wal_scan() found in one log. */
struct wal_scan {
    uint64_t size;     /* bytes in the file */
    uint64_t good_end; /* end of the last whole logical record that checks out */
    uint64_t bad_at;   /* offset of the first damage ('what' != NULL) */
    const char *what;  /* NULL: none; else what is wrong there (static text) */
    int torn;          /* the damage is a record cut short by the end of the file */
};

/* Scan the log 'path' record by record (see the format above) up to its first damage.
 * 0 with '*w' filled, or -1 with errno when it cannot be read. */
static int recover_wal_scan(const char *path, struct wal_scan *w)
{
    unsigned char *buf = omk_malloc(WAL_BLOCK);
    uint64_t base = 0, frag_start = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), in_frag = 0, saved;
    struct stat st;

    memset(w, 0, sizeof(*w));
    if (fd < 0 || fstat(fd, &st) != 0)
        goto fail;
    w->size = (uint64_t)st.st_size;
    while (!w->what) {
        ssize_t got = 0, r;
        size_t pos = 0, n;

        while ((size_t)got < WAL_BLOCK && (r = read(fd, buf + got, WAL_BLOCK - (size_t)got)) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                goto fail;
            got += r;
        }
        n = (size_t)got;
        if (n == 0)
            break;
        while (pos < n && !w->what) {
            size_t left = WAL_BLOCK - pos, hl, len;
            unsigned type;

            if (left < WAL_HDR)
                break; /* the block's trailer */
            if (n - pos < WAL_HDR) { /* only the last, partial block ends so */
                w->what = "an incomplete record header", w->torn = 1, w->bad_at = base + pos;
                break;
            }
            type = buf[pos + 6];
            len = (size_t)buf[pos + 4] | (size_t)buf[pos + 5] << 8;
            if (type == 0 && len == 0) {
                if (in_frag)
                    w->what = "preallocated space inside a record", w->bad_at = base + pos;
                break; /* preallocated space: RocksDB skips the rest of the block */
            }
            hl = type >= 5 && type <= 8 ? WAL_RHDR : WAL_HDR;
            if (hl + len > left) {
                w->what = "a record longer than its block", w->bad_at = base + pos;
            } else if (pos + hl + len > n) {
                w->what = "an incomplete record", w->torn = 1, w->bad_at = base + pos;
            } else if (crc32c(buf + pos + 6, hl - 6 + len) !=
                       crc_unmask((uint32_t)buf[pos] | (uint32_t)buf[pos + 1] << 8 |
                                  (uint32_t)buf[pos + 2] << 16 | (uint32_t)buf[pos + 3] << 24)) {
                w->what = "a checksum mismatch", w->bad_at = base + pos;
            } else if (type == 1 || type == 5 || type == 9 || type == 2 || type == 6) {
                if (in_frag)
                    w->what = "a record starting inside another", w->bad_at = base + pos;
                else if (type == 2 || type == 6)
                    in_frag = 1, frag_start = base + pos;
                else
                    w->good_end = base + pos + hl + len;
            } else if (type == 3 || type == 7 || type == 4 || type == 8) {
                if (!in_frag)
                    w->what = "a fragment without its first part", w->bad_at = base + pos;
                else if (type == 4 || type == 8)
                    in_frag = 0, w->good_end = base + pos + hl + len;
            } else {
                w->what = "an unknown record type", w->bad_at = base + pos;
            }
            pos += hl + len;
        }
        base += n;
        if (n < WAL_BLOCK)
            break;
    }
    if (!w->what && in_frag) /* its last fragments never reached the file */
        w->what = "an incomplete record", w->torn = 1, w->bad_at = frag_start;
    if (w->what && !w->torn && w->bad_at < w->good_end)
        w->good_end = w->bad_at; /* (cannot happen: the scan stops at the first damage) */
    close(fd);
    omk_free(buf);
    return 0;
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    omk_free(buf);
    errno = saved;
    return -1;
}

/* ---- The data directory's files ------------------------------------------------------ */

/* A file of the data directory that the checks look at. */
struct recover_file {
    char name[64];
    uint64_t num;  /* the number in its name (000012.log: 12) */
    uint64_t size; /* bytes */
};

/* A list of them, sorted by number. */
struct recover_files {
    struct recover_file *v;
    size_t n, cap;
};

static int recover_file_cmp(const void *a, const void *b)
{
    const struct recover_file *x = a, *y = b;

    return x->num < y->num ? -1 : x->num > y->num;
}

/* Whether 'name' is <digits><suffix> (a RocksDB log or table); its number in '*num'. */
static int recover_numbered(const char *name, const char *suffix, uint64_t *num)
{
    size_t n = strlen(name), sl = strlen(suffix), i;
    uint64_t v = 0;

    if (n <= sl || strcmp(name + n - sl, suffix) != 0)
        return 0;
    for (i = 0; i < n - sl; i++) {
        if (name[i] < '0' || name[i] > '9' || v > UINT64_MAX / 10 - 1)
            return 0;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *num = v;
    return 1;
}

/* List the files of 'dir' named <number>'suffix' into '*out' (freed by the caller with
 * omk_free(out->v)), sorted by number. 0, or -1 with errno. */
static int recover_list(const char *dir, const char *suffix, struct recover_files *out)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    memset(out, 0, sizeof(*out));
    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL) {
        struct recover_file f = { { 0 }, 0, 0 };
        char path[4096];
        struct stat st;

        if (strlen(de->d_name) >= sizeof(f.name) || !recover_numbered(de->d_name, suffix, &f.num))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0)
            continue;
        snprintf(f.name, sizeof(f.name), "%s", de->d_name);
        f.size = (uint64_t)st.st_size;
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 16;
            out->v = omk_realloc(out->v, out->cap * sizeof(*out->v));
        }
        out->v[out->n++] = f;
    }
    closedir(d);
    if (out->n > 1) /* (qsort may not be given NULL, even for no element) */
        qsort(out->v, out->n, sizeof(*out->v), recover_file_cmp);
    return 0;
}

uint64_t recover_log_bytes(const char *dir)
{
    struct recover_files logs;
    uint64_t total = 0;

    if (recover_list(dir, ".log", &logs) != 0)
        return 0;
    for (size_t i = 0; i < logs.n; i++)
        total += logs.v[i].size;
    omk_free(logs.v);
    return total;
}

/* Sync directory 'dir' (a file created, renamed or removed in it is then durable). */
static void recover_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The MANIFEST that 'dir'/CURRENT names, into 'name' (without the newline). 0 or -1. */
static int recover_current(const char *dir, char *name, size_t cap)
{
    char path[4096];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/CURRENT", dir);
    f = fopen(path, "re");
    if (!f)
        return -1;
    n = fread(name, 1, cap - 1, f);
    fclose(f);
    name[n] = '\0';
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r'))
        name[--n] = '\0';
    return n > 0 && !strchr(name, '/') ? 0 : -1;
}

/* ---- The clean-shutdown record --------------------------------------------------------
 *
 * OMENKV-CLEAN, a text file (RocksDB ignores names it does not know):
 *   omenkv-clean-shutdown 1
 *   manifest <name> <bytes>      the MANIFEST that CURRENT names
 *   log <name> <bytes>           each write-ahead log, one line each
 * Written whole to OMENKV-CLEAN.tmp, synced and renamed, after RocksDB has closed. */

#define RECOVER_CLEAN "OMENKV-CLEAN"

int recover_mark_clean(const char *dir, store_log_fn *log)
{
    char path[4096], tmp[4096], manifest[256];
    struct recover_files logs;
    struct stat st;
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, RECOVER_CLEAN);
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, RECOVER_CLEAN);
    if (recover_current(dir, manifest, sizeof(manifest)) != 0 ||
        recover_list(dir, ".log", &logs) != 0) {
        store_log(log, STORE_LOG_ALERT, "Cannot record the clean shutdown in '%s': %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, manifest);
    ok = stat(path, &st) == 0;
    snprintf(path, sizeof(path), "%s/%s", dir, RECOVER_CLEAN);
    f = ok ? fopen(tmp, "we") : NULL;
    if (f) {
        fprintf(f, "omenkv-clean-shutdown 1\nmanifest %s %" PRIu64 "\n", manifest,
                (uint64_t)st.st_size);
        for (size_t i = 0; i < logs.n; i++)
            fprintf(f, "log %s %" PRIu64 "\n", logs.v[i].name, logs.v[i].size);
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok &= fclose(f) == 0;
        ok = ok && rename(tmp, path) == 0;
    }
    omk_free(logs.v);
    if (!f || !ok) {
        store_log(log, STORE_LOG_ALERT, "Cannot record the clean shutdown in '%s': %s (the next start "
                  "checks the logs as after a crash)", dir, strerror(errno));
        unlink(tmp);
        return -1;
    }
    recover_sync_dir(dir);
    return 0;
}

void recover_forget_clean(const char *dir)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", dir, RECOVER_CLEAN);
    if (unlink(path) == 0)
        recover_sync_dir(dir);
}

/* Compare the clean-shutdown record of 'dir' with its files. Returns 0 when there is no
 * record, 1 when it matches, or -1 with what differs in 'err': '*manifest' is set to 1
 * when the MANIFEST (or CURRENT) differs, which only a repair can get past. */
static int recover_verify_clean(const char *dir, int *manifest, char *err, size_t errlen)
{
    char path[4096], line[512], current[256];
    FILE *f;
    int rc = 1;

    *manifest = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, RECOVER_CLEAN);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (!fgets(line, sizeof(line), f) || strcmp(line, "omenkv-clean-shutdown 1\n") != 0) {
        snprintf(err, errlen, "%s does not read as a clean-shutdown record", RECOVER_CLEAN);
        rc = -1, *manifest = 1;
    }
    while (rc == 1 && fgets(line, sizeof(line), f)) {
        char kind[16], name[256];
        unsigned long long want;
        struct stat st;
        int is_manifest;

        if (sscanf(line, "%15s %255s %llu", kind, name, &want) != 3 || strchr(name, '/')) {
            snprintf(err, errlen, "%s does not read as a clean-shutdown record", RECOVER_CLEAN);
            rc = -1, *manifest = 1;
            break;
        }
        is_manifest = strcmp(kind, "manifest") == 0;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (is_manifest && (recover_current(dir, current, sizeof(current)) != 0 ||
                            strcmp(current, name) != 0)) {
            snprintf(err, errlen, "CURRENT no longer names %s, the MANIFEST of the clean "
                     "shutdown", name);
            rc = -1;
        } else if (stat(path, &st) != 0) {
            snprintf(err, errlen, "%s, present at the clean shutdown, is gone", name);
            rc = -1;
        } else if ((uint64_t)st.st_size != want) {
            snprintf(err, errlen, "%s is %llu bytes, %llu at the clean shutdown", name,
                     (unsigned long long)st.st_size, want);
            rc = -1;
        }
        if (rc == -1)
            *manifest = is_manifest;
    }
    fclose(f);
    return rc;
}

/* ---- The policy ---------------------------------------------------------------------- */

/* RocksDB's WALRecoveryMode values (include/rocksdb/options.h). */
enum {
    RECOVER_ROCKS_TOLERATE_TAIL = 0, /* kTolerateCorruptedTailRecords */
    RECOVER_ROCKS_ABSOLUTE = 1,      /* kAbsoluteConsistency */
    RECOVER_ROCKS_POINT_IN_TIME = 2, /* kPointInTimeRecovery */
    RECOVER_ROCKS_SKIP_ANY = 3,      /* kSkipAnyCorruptedRecords */
};

#define RECOVER_FORCE_HINT                                                                  \
    "to start anyway, keeping what precedes the damage: --rocksdb-wal-recovery-mode "        \
    "point-in-time (or skip-any: drop only damaged records), or --rocksdb-repair yes"

int recover_check_dir(const char *dir, enum store_wal_recovery mode, int startup,
                      store_log_fn *log, int *rocks_mode, char *err, size_t errlen)
{
    struct recover_files logs;
    char why[512];
    int clean = 0, manifest = 0, rc = STORE_OK;
    struct stat st;

    pthread_once(&crc32c_once, crc32c_init);
    if (stat(dir, &st) != 0) { /* a new directory: RocksDB creates it */
        *rocks_mode = RECOVER_ROCKS_ABSOLUTE;
        return STORE_OK;
    }
    if (startup) {
        clean = recover_verify_clean(dir, &manifest, why, sizeof(why));
        if (clean < 0 && (manifest || mode == STORE_WAL_TAIL || mode == STORE_WAL_ABSOLUTE)) {
            snprintf(err, errlen, "the data changed after the clean shutdown: %s. Refusing to "
                     "start: RocksDB would lose what is missing without a word; %s", why,
                     manifest ? "--rocksdb-repair yes rebuilds the MANIFEST from every readable "
                                "file" : RECOVER_FORCE_HINT);
            return STORE_ERR_CORRUPT;
        }
        if (clean < 0)
            store_log(log, STORE_LOG_ALERT, "The data changed after the clean shutdown: %s; starting anyway "
                      "(rocksdb-wal-recovery-mode %s)", why,
                      mode == STORE_WAL_POINT_IN_TIME ? "point-in-time" : "skip-any");
    }
    if (recover_list(dir, ".log", &logs) != 0) {
        snprintf(err, errlen, "cannot list '%s': %s", dir, strerror(errno));
        return STORE_ERR_IO;
    }
    *rocks_mode = mode == STORE_WAL_POINT_IN_TIME ? RECOVER_ROCKS_POINT_IN_TIME
                  : mode == STORE_WAL_SKIP_ANY    ? RECOVER_ROCKS_SKIP_ANY
                                                  : RECOVER_ROCKS_ABSOLUTE;
    for (size_t i = 0; i < logs.n && rc == STORE_OK; i++) {
        const struct recover_file *f = &logs.v[i];
        int newest = i + 1 == logs.n;
        uint64_t later = 0;
        struct wal_scan w;
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, f->name);
        if (recover_wal_scan(path, &w) != 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            rc = STORE_ERR_IO;
            break;
        }
        if (!w.what)
            continue;
        for (size_t j = i + 1; j < logs.n; j++)
            later += logs.v[j].size;
        if (w.torn && newest && clean != 1 && mode == STORE_WAL_TAIL) {
            store_log(log, STORE_LOG_ALERT, "%s, the newest write-ahead log, ends in %s: dropping its last "
                      "%" PRIu64 " bytes (of %" PRIu64 "), a write that a crash or a failed "
                      "write cut short", f->name, w.what, w.size - w.good_end, w.size);
            *rocks_mode = RECOVER_ROCKS_TOLERATE_TAIL;
        } else if (mode == STORE_WAL_POINT_IN_TIME) {
            store_log(log, STORE_LOG_ALERT, "%s has %s at byte %" PRIu64 ": dropping its %" PRIu64 " bytes "
                      "from there and the %" PRIu64 " bytes of later logs "
                      "(rocksdb-wal-recovery-mode point-in-time)", f->name, w.what, w.bad_at,
                      w.size - w.bad_at, later);
            break; /* RocksDB replays nothing past it */
        } else if (mode == STORE_WAL_SKIP_ANY) {
            store_log(log, STORE_LOG_ALERT, "%s has %s at byte %" PRIu64 " (of %" PRIu64 "): dropping the "
                      "damaged records, keeping the rest (rocksdb-wal-recovery-mode skip-any)",
                      f->name, w.what, w.bad_at, w.size);
        } else {
            snprintf(err, errlen, "%s%s has %s at byte %" PRIu64 " of %" PRIu64 "%s. Refusing "
                     "to %s: RocksDB would drop the %" PRIu64 " bytes after it and the %" PRIu64
                     " bytes of later logs; %s", f->name,
                     newest ? " (the newest write-ahead log)" : "", w.what, w.bad_at, w.size,
                     clean == 1 ? " after a clean shutdown" : "",
                     startup ? "start" : "reopen RocksDB", w.size - w.bad_at, later,
                     RECOVER_FORCE_HINT);
            rc = STORE_ERR_CORRUPT;
        }
    }
    omk_free(logs.v);
    if (rc == STORE_OK && clean)
        recover_forget_clean(dir); /* from here on the files change: a crash is a crash */
    return rc;
}

void recover_note_damage(const char *dir, store_log_fn *log, const char *what)
{
    struct recover_files logs;

    pthread_once(&crc32c_once, crc32c_init);
    if (recover_list(dir, ".log", &logs) != 0)
        return;
    for (size_t i = 0; i < logs.n; i++) {
        struct wal_scan w;
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, logs.v[i].name);
        if (recover_wal_scan(path, &w) == 0 && w.what)
            store_log(log, STORE_LOG_ALERT, "%s has %s at byte %" PRIu64 " (of %" PRIu64 "): %s",
                      logs.v[i].name, w.what, w.bad_at, w.size, what);
    }
    omk_free(logs.v);
}

int recover_list_tables(const char *dir, char ***names, uint64_t **sizes, size_t *n)
{
    struct recover_files t;

    if (recover_list(dir, ".sst", &t) != 0)
        return -1;
    *names = omk_malloc((t.n ? t.n : 1) * sizeof(**names));
    *sizes = omk_malloc((t.n ? t.n : 1) * sizeof(**sizes));
    for (size_t i = 0; i < t.n; i++) {
        (*names)[i] = omk_memdup(t.v[i].name, strlen(t.v[i].name) + 1);
        (*sizes)[i] = t.v[i].size;
    }
    *n = t.n;
    omk_free(t.v);
    return 0;
}

void recover_tables_free(char **names, uint64_t *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        omk_free(names[i]);
    omk_free(names);
    omk_free(sizes);
}
