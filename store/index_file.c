/* index_file.c - the key index written at a clean shutdown (<dir>/index.omk) and read at
 * the next start instead of every key of RocksDB.
 *
 * HOW IT WORKS. Building the index at start-up means reading every record of RocksDB's
 * keys column family, values included (load.c): at 10M keys that read is most of the
 * start. A clean shutdown knows the index matches RocksDB exactly (every write is in the
 * log, none is in flight, writes are not being refused), so store_close() writes the
 * entries it holds, in key order, to a file; the next store_open() reads them back and
 * bulk-loads them as load.c does with what it read from RocksDB. The file is trusted only
 * for the RocksDB it was written beside, in the state it was written in:
 *   - RocksDB's IDENTITY (the database's id, fixed at its creation) must hash to the
 *     value the file recorded, so a file copied next to another database is refused;
 *   - RocksDB's newest sequence number at open must equal the one at the shutdown: every
 *     write raises it, and a log whose tail was lost (a torn tail, a truncated log) opens
 *     at a lower one. The modes that can drop records in the middle of a log and keep
 *     later ones (rocksdb-wal-recovery-mode skip-any, rocksdb-repair) never use the file;
 *   - the table files of the keys column family must be those of the shutdown, byte for
 *     byte: the file lists them with their sizes and a hash of their bytes, and the start
 *     hashes them again (on a second thread, while it reads the entries). That keeps what
 *     the ordinary load gives for free: it reads every key with RocksDB's checksums, so
 *     a table file damaged while the server was stopped stops the start; here such a
 *     file makes the start read RocksDB, which then refuses as before. A table file that
 *     is newer than all of them is one this start made (RocksDB flushes what it replayed
 *     from the log), and the sequence number covers the log;
 *   - every 1 MB block carries a hash of its bytes, and the end names the entry count.
 * Any doubt means the ordinary load, with a log line saying why. The file is removed as
 * soon as a start has looked at it, used or not: it describes one shutdown, and is read
 * by the start right after it only. A crash (kill -9) writes none: that start reads
 * RocksDB, as before this file existed.
 *
 * What an entry keeps: its key, value length (a collection's count), expiry and flags
 * (type, encodings), and a split collection's id. A cached value's handle is RAM only and
 * is not written; the access field starts afresh, as after the ordinary load.
 *
 * Layout (host byte order; the version changes with any change to it):
 *   header   "omkindx1" | u32 version | u32 0 | u64 identity hash | u64 sequence |
 *            u64 hash of the 32 bytes before
 *   tables   a block (as below) of 24-byte records: u64 file number | u64 size | u64 hash
 *   blocks   u32 bytes | u32 entries | u64 hash of the bytes | the entries
 *   end      a block of 0 bytes and 0 entries whose hash field holds the entry count
 *   entry    u64 expiry (40 bits) | flags << 56 | u64 id (split only; else absent) |
 *            u32 value length | u32 key length | the key */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "index/shard.h"
#include "store/rocks.h"
#include "store/store_internal.h"

#define IXF_NAME "index.omk"
#define IXF_MAGIC "omkindx1"
#define IXF_VERSION 2u
#define IXF_HDR 40            /* magic, version, pad, identity, sequence, then its hash */
#define IXF_BLOCK (1u << 20)  /* entries are gathered into blocks of about this size */
#define IXF_BLOCK_HDR 16
#define IXF_ENTRY_MIN 16      /* an entry without id and key */

/* '<dir>/<name>' into 'buf'. */
static void ixf_path(const struct store *s, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", s->dir, name);
}

/* A hash of RocksDB's IDENTITY file into '*h': 0 when read, -1 when it cannot be. */
static int ixf_identity(const struct store *s, uint64_t *h)
{
    char path[4096], buf[256];
    ssize_t n;
    int fd;

    rocks_file_path(s->rocks, 0, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n <= 0)
        return -1;
    *h = omk_hash(buf, (size_t)n);
    return 0;
}

/* ---- The keys column family's table files -------------------------------------------- */

/* One table file as the index file records it. */
struct ixf_table {
    uint64_t number, size, hash;
};

/* The hash of table file 'number' of 's', which must hold 'size' bytes: 0 and '*h', or -1
 * when it cannot be read whole at that size. Each IXF_BLOCK-byte chunk is hashed and the
 * chunk hashes folded in order. */
static int ixf_hash_table(const struct store *s, uint64_t number, uint64_t size, uint64_t *h)
{
    char path[4096];
    unsigned char *buf = omk_malloc(IXF_BLOCK);
    uint64_t done = 0, acc[2] = {size, 0};
    ssize_t n = 0;
    int fd;

    rocks_file_path(s->rocks, number, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd >= 0 && (n = read(fd, buf, IXF_BLOCK)) > 0) {
        acc[1] = omk_hash(buf, (size_t)n);
        acc[0] = omk_hash(acc, sizeof(acc));
        done += (uint64_t)n;
    }
    if (fd >= 0)
        close(fd);
    omk_free(buf);
    if (fd < 0 || n < 0 || done != size)
        return -1;
    *h = acc[0];
    return 0;
}

/* Hashing a list of table files on a thread of its own (the start's second reader). */
struct ixf_hasher {
    const struct store *s;
    const struct ixf_table *t;
    size_t n;
    int ok;  /* out: every file read whole with its recorded hash */
};

static void *ixf_hasher_main(void *arg)
{
    struct ixf_hasher *hs = arg;
    uint64_t h;

    hs->ok = 1;
    for (size_t i = 0; i < hs->n && hs->ok; i++)
        hs->ok = ixf_hash_table(hs->s, hs->t[i].number, hs->t[i].size, &h) == 0 &&
                 h == hs->t[i].hash;
    return NULL;
}

/* ---- Writing ------------------------------------------------------------------------ */

/* The file being written: a block gathering entries, and what went out so far. */
struct ixf_writer {
    int fd;
    unsigned char *buf; /* IXF_BLOCK_HDR bytes of header room, then the entries */
    size_t len, cap;    /* bytes of entries in 'buf' (after the header room) */
    uint32_t n;         /* entries in the block */
    uint64_t total;     /* entries written in all */
    int failed;         /* a write() failed: errno kept in 'err' */
    int err;
};

/* Write all of 'p'/'len' to 'w->fd', noting a failure. */
static void ixf_write_all(struct ixf_writer *w, const void *p, size_t len)
{
    const char *c = p;

    while (len > 0 && !w->failed) {
        ssize_t n = write(w->fd, c, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            w->failed = 1;
            w->err = n < 0 ? errno : ENOSPC;
            return;
        }
        c += n;
        len -= (size_t)n;
    }
}

/* Send the gathered block (possibly empty: the end, with 'tail' in its hash field). */
static void ixf_flush_block(struct ixf_writer *w, int end)
{
    uint32_t len = (uint32_t)w->len, n = w->n;
    uint64_t h = end ? w->total : omk_hash(w->buf + IXF_BLOCK_HDR, w->len);

    memcpy(w->buf, &len, 4);
    memcpy(w->buf + 4, &n, 4);
    memcpy(w->buf + 8, &h, 8);
    ixf_write_all(w, w->buf, IXF_BLOCK_HDR + w->len);
    w->len = 0;
    w->n = 0;
}

/* idx_walk_fn: add entry 'e' to the block, sending the block when full. */
static int ixf_add(const struct idx_entry *e, void *arg)
{
    struct ixf_writer *w = arg;
    unsigned flags = idx_entry_flags(e);
    uint64_t word = (idx_entry_word(e) & IDX_EXPIRE_MASK) | (uint64_t)flags << 56;
    uint32_t klen = (uint32_t)idx_entry_klen(e), vlen = e->val_len;
    size_t need = IXF_ENTRY_MIN + ((flags & STORE_EF_SPLIT) ? 8 : 0) + klen;
    unsigned char *p;

    if (w->len > 0 && w->len + need > IXF_BLOCK)
        ixf_flush_block(w, 0);
    if (IXF_BLOCK_HDR + w->len + need > w->cap) { /* a key longer than a block */
        w->cap = IXF_BLOCK_HDR + w->len + need;
        w->buf = omk_realloc(w->buf, w->cap);
    }
    p = w->buf + IXF_BLOCK_HDR + w->len;
    memcpy(p, &word, 8);
    p += 8;
    if (flags & STORE_EF_SPLIT) {
        uint64_t id = store_entry_id(e);

        memcpy(p, &id, 8);
        p += 8;
    }
    memcpy(p, &vlen, 4);
    memcpy(p + 4, &klen, 4);
    memcpy(p + 8, idx_entry_key(e), klen);
    w->len += need;
    w->n++;
    w->total++;
    return w->failed; /* stop the walk once writing failed */
}

/* Write the block listing the keys column family's table files with their hashes (the
 * first block after the header). 0, or -1 when one could not be read. */
static int ixf_add_tables(struct store *s, struct ixf_writer *w, size_t *hashed, size_t *all)
{
    struct rocks_table_file *f;
    size_t n;

    if (rocks_table_files(s->rocks, ROCKS_CF_KEYS, &f, &n) != STORE_OK)
        return -1;
    if (IXF_BLOCK_HDR + n * 24 > w->cap) {
        w->cap = IXF_BLOCK_HDR + n * 24;
        w->buf = omk_realloc(w->buf, w->cap);
    }
    for (size_t i = 0; i < n; i++) {
        struct ixf_table t = {f[i].number, f[i].size, 0};
        size_t k = 0;

        /* A file this start verified is immutable: its hash then still holds (damage
         * since would show at the next start, which hashes every file again). */
        while (k < s->ixf_nknown && s->ixf_known[k].number != t.number)
            k++;
        if (k < s->ixf_nknown && s->ixf_known[k].size == t.size) {
            t.hash = s->ixf_known[k].hash;
        } else if (ixf_hash_table(s, t.number, t.size, &t.hash) != 0) {
            omk_free(f);
            return -1;
        } else {
            (*hashed)++;
        }
        memcpy(w->buf + IXF_BLOCK_HDR + i * 24, &t, 24);
    }
    omk_free(f);
    *all = n;
    w->len = n * 24;
    w->n = (uint32_t)n;
    ixf_flush_block(w, 0);
    return 0;
}

int store_index_file_write(struct store *s)
{
    char path[4096], tmp[4096];
    unsigned char hdr[IXF_HDR];
    struct ixf_writer w = {.fd = -1};
    uint64_t ident, seq, h;
    uint32_t version = IXF_VERSION, pad = 0;
    struct rocks_stats rs;
    int64_t t0 = omk_mono_us();
    double cpu0 = store_cpu_s();
    size_t hashed = 0, tables = 0;

    rocks_stats_get(s->rocks, &rs);
    if (rs.refusing || rs.read_only) /* RAM may hold writes the log does not */
        return STORE_ERR_IO;
    if (ixf_identity(s, &ident) != 0)
        return STORE_ERR_IO;
    rocks_quiesce(s->rocks); /* no compaction may replace the files listed below */
    seq = rocks_latest_seq(s->rocks);
    ixf_path(s, IXF_NAME, path, sizeof(path));
    ixf_path(s, IXF_NAME ".tmp", tmp, sizeof(tmp));
    w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        store_log(s->log, STORE_LOG_WARN, "Key index: cannot write %s: %s", tmp, strerror(errno));
        return STORE_ERR_IO;
    }
    memcpy(hdr, IXF_MAGIC, 8);
    memcpy(hdr + 8, &version, 4);
    memcpy(hdr + 12, &pad, 4);
    memcpy(hdr + 16, &ident, 8);
    memcpy(hdr + 24, &seq, 8);
    h = omk_hash(hdr, 32);
    memcpy(hdr + 32, &h, 8);
    ixf_write_all(&w, hdr, sizeof(hdr));
    w.cap = IXF_BLOCK_HDR + IXF_BLOCK;
    w.buf = omk_malloc(w.cap);
    if (ixf_add_tables(s, &w, &hashed, &tables) != 0) {
        store_log(s->log, STORE_LOG_WARN, "Key index: a table file could not be read; the next "
                  "start reads the keys from RocksDB");
        w.failed = 1, w.err = EIO;
    }
    if (!w.failed)
        idx_shards_walk(s->ix, "", 0, 1, SIZE_MAX, ixf_add, &w, NULL, NULL);
    if (w.len > 0)
        ixf_flush_block(&w, 0);
    ixf_flush_block(&w, 1);
    omk_free(w.buf);
    if (close(w.fd) != 0 && !w.failed)
        w.failed = 1, w.err = errno;
    if (!w.failed && rename(tmp, path) != 0)
        w.failed = 1, w.err = errno;
    if (w.failed) {
        store_log(s->log, STORE_LOG_WARN, "Key index: cannot write %s (%s): the next start "
                  "reads the keys from RocksDB", tmp, strerror(w.err));
        unlink(tmp);
        return STORE_ERR_IO;
    }
    store_log(s->log, 0, "Key index: %llu keys written to %s in %.2f s, %.2f s of CPU, for the "
              "next start (%zu table files of the keys, %zu of them hashed now)",
              (unsigned long long)w.total, path, (double)(omk_mono_us() - t0) / 1e6,
              store_cpu_s() - cpu0, tables, hashed);
    return STORE_OK;
}

/* ---- Reading ------------------------------------------------------------------------ */

/* Read exactly 'len' bytes into 'p': 0, or -1 at an error or the end of the file. */
static int ixf_read_all(int fd, void *p, size_t len)
{
    char *c = p;

    while (len > 0) {
        ssize_t n = read(fd, c, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Parse the 'n' entries of block 'p'/'len' onto the end of '*v' (cap '*cap', count
 * '*nv'), counting keys and expiries per db byte. 0, or -1 (with 'why') when the block
 * does not hold exactly 'n' well-formed entries in increasing key order. */
static int ixf_parse_block(struct store *s, const unsigned char *p, size_t len, uint32_t n,
                           struct idx_entry ***v, size_t *nv, size_t *cap, uint64_t *keys,
                           uint64_t *expires, int64_t now_ms, const char **why)
{
    const unsigned char *end = p + len;

    if (*nv + n > *cap) {
        while (*nv + n > *cap)
            *cap = *cap ? 2 * *cap : 65536;
        *v = omk_realloc(*v, *cap * sizeof(**v));
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t word, id = 0, exp;
        uint32_t vlen, klen;
        unsigned flags;
        struct idx_entry *e;

        if ((size_t)(end - p) < IXF_ENTRY_MIN)
            return *why = "an entry runs past its block", -1;
        memcpy(&word, p, 8);
        p += 8;
        flags = (unsigned)(word >> 56);
        exp = word & IDX_EXPIRE_MASK;
        if (flags & STORE_EF_SPLIT) {
            if ((size_t)(end - p) < IXF_ENTRY_MIN)
                return *why = "an entry runs past its block", -1;
            memcpy(&id, p, 8);
            p += 8;
        }
        memcpy(&vlen, p, 4);
        memcpy(&klen, p + 4, 4);
        p += 8;
        if (klen == 0 || klen > (size_t)(end - p))
            return *why = "an entry runs past its block", -1;
        if (*nv > 0) { /* strictly increasing, as the bulk load requires */
            const struct idx_entry *prev = (*v)[*nv - 1];
            size_t plen = idx_entry_klen(prev);
            int c = memcmp(idx_entry_key(prev), p, plen < klen ? plen : klen);

            if (c > 0 || (c == 0 && plen >= klen))
                return *why = "keys out of order", -1;
        }
        e = idx_entry_new(p, klen);
        e->val_len = vlen;
        e->expire_flags = exp;
        e->loc = (uint64_t)flags << IDX_FLAGS_SHIFT;
        if (flags & STORE_EF_SPLIT)
            store_loc_set(e, id << 2 | STORE_LOC_ID);
        store_access_init(s, e, now_ms);
        (*v)[(*nv)++] = e;
        keys[*p]++;
        expires[*p] += exp != 0;
        p += klen;
    }
    if (p != end)
        return *why = "a block longer than its entries", -1;
    return 0;
}

/* Read the table file block of the index file open as 'fd' into '*tab'/'*n' (omk_free)
 * and check it against the keys column family's files as RocksDB opened them: each one
 * listed is there at its size, and any other is newer than all of them (made by this
 * start). 0, or -1 with 'why' (nothing to free). The hashes are checked later. */
static int ixf_read_tables(struct store *s, int fd, struct ixf_table **tab, size_t *n,
                           const char **why, char *whybuf, size_t whylen)
{
    unsigned char bh[IXF_BLOCK_HDR];
    struct rocks_table_file *live;
    uint32_t len, cnt;
    uint64_t h, newest = 0;
    size_t nlive;

    *tab = NULL;
    *n = 0;
    if (ixf_read_all(fd, bh, sizeof(bh)) != 0)
        return *why = "the file ends early", -1;
    memcpy(&len, bh, 4);
    memcpy(&cnt, bh + 4, 4);
    memcpy(&h, bh + 8, 8);
    if (len != (uint64_t)cnt * 24)
        return *why = "a damaged block header", -1;
    *tab = omk_malloc(len ? len : 1);
    if (ixf_read_all(fd, *tab, len) != 0 || omk_hash(*tab, len) != h) {
        omk_free(*tab);
        *tab = NULL;
        return *why = "a block's hash does not match its bytes", -1;
    }
    *n = cnt;
    if (rocks_table_files(s->rocks, ROCKS_CF_KEYS, &live, &nlive) != STORE_OK) {
        omk_free(*tab);
        *tab = NULL;
        return *why = "RocksDB lists no table files", -1;
    }
    for (size_t i = 0; i < *n; i++)
        newest = (*tab)[i].number > newest ? (*tab)[i].number : newest;
    for (size_t i = 0; i < nlive && !*why; i++) {
        size_t j = 0;

        while (j < *n && (*tab)[j].number != live[i].number)
            j++;
        if (j == *n && live[i].number <= newest) {
            snprintf(whybuf, whylen, "table file %06llu.sst is not the shutdown's",
                     (unsigned long long)live[i].number);
            *why = whybuf;
        } else if (j < *n && (*tab)[j].size != live[i].size) {
            snprintf(whybuf, whylen, "table file %06llu.sst changed size since the shutdown",
                     (unsigned long long)live[i].number);
            *why = whybuf;
        }
    }
    for (size_t j = 0; j < *n && !*why; j++) {
        size_t i = 0;

        while (i < nlive && live[i].number != (*tab)[j].number)
            i++;
        if (i == nlive) {
            snprintf(whybuf, whylen, "table file %06llu.sst is gone since the shutdown",
                     (unsigned long long)(*tab)[j].number);
            *why = whybuf;
        }
    }
    omk_free(live);
    if (*why) {
        omk_free(*tab);
        *tab = NULL;
        return -1;
    }
    return 0;
}

/* Read the file at 'path' (open as 'fd') into entries: STORE_OK with '*out'/'*nout' and
 * the counts, or STORE_NOTFOUND with 'why' saying what did not match (nothing to free). */
static int ixf_read(struct store *s, int fd, struct idx_entry ***out, size_t *nout,
                    uint64_t *keys, uint64_t *expires, size_t *ntables, const char **why,
                    char *whybuf, size_t whylen)
{
    unsigned char hdr[IXF_HDR], bh[IXF_BLOCK_HDR], *buf = NULL;
    uint64_t ident, want_ident, seq, h, count;
    uint32_t version;
    size_t nv = 0, cap = 0, bcap = 0;
    struct idx_entry **v = NULL;
    uint64_t k[256] = {0}, x[256] = {0};
    int64_t now_ms = omk_now_ms();
    struct ixf_table *tab = NULL;
    struct ixf_hasher hs;
    pthread_t hasher;
    size_t ntab = 0;
    int rc = -1;

    if (ixf_read_all(fd, hdr, sizeof(hdr)) != 0 || memcmp(hdr, IXF_MAGIC, 8) != 0) {
        *why = "not an index file";
        return STORE_NOTFOUND;
    }
    memcpy(&version, hdr + 8, 4);
    memcpy(&want_ident, hdr + 16, 8);
    memcpy(&seq, hdr + 24, 8);
    memcpy(&h, hdr + 32, 8);
    if (version != IXF_VERSION || h != omk_hash(hdr, 32)) {
        *why = "another version, or a damaged header";
        return STORE_NOTFOUND;
    }
    if (ixf_identity(s, &ident) != 0 || ident != want_ident) {
        *why = "written beside another database";
        return STORE_NOTFOUND;
    }
    if (seq != rocks_latest_seq(s->rocks)) {
        snprintf(whybuf, whylen, "RocksDB is at sequence number %llu, the file was written at "
                 "%llu", (unsigned long long)rocks_latest_seq(s->rocks),
                 (unsigned long long)seq);
        *why = whybuf;
        return STORE_NOTFOUND;
    }
    if (ixf_read_tables(s, fd, &tab, &ntab, why, whybuf, whylen) != 0)
        return STORE_NOTFOUND;
    *ntables = ntab;
    hs = (struct ixf_hasher){.s = s, .t = tab, .n = ntab};
    omk_thread_create(&hasher, ixf_hasher_main, &hs);
    for (;;) {
        uint32_t len, n;

        if (ixf_read_all(fd, bh, sizeof(bh)) != 0) {
            *why = "the file ends early";
            break;
        }
        memcpy(&len, bh, 4);
        memcpy(&n, bh + 4, 4);
        memcpy(&h, bh + 8, 8);
        if (len == 0 && n == 0) { /* the end: its hash field holds the count */
            count = h;
            if (count != nv)
                *why = "the entry count does not match";
            else if (read(fd, bh, 1) != 0)
                *why = "bytes after the end";
            else
                rc = 0;
            break;
        }
        if (n == 0 || len < (uint64_t)n * IXF_ENTRY_MIN) {
            *why = "a damaged block header";
            break;
        }
        if (len > bcap) {
            bcap = len;
            buf = omk_realloc(buf, bcap);
        }
        if (ixf_read_all(fd, buf, len) != 0) {
            *why = "the file ends early";
            break;
        }
        if (omk_hash(buf, len) != h) {
            *why = "a block's hash does not match its bytes";
            break;
        }
        if (ixf_parse_block(s, buf, len, n, &v, &nv, &cap, k, x, now_ms, why) != 0)
            break;
    }
    omk_free(buf);
    omk_thread_join(hasher);
    if (rc == 0 && !hs.ok) {
        *why = "a table file of the keys changed since the shutdown";
        rc = -1;
    }
    if (rc == 0) { /* verified: the next clean close reuses these hashes */
        s->ixf_known = tab;
        s->ixf_nknown = ntab;
    } else {
        omk_free(tab);
    }
    if (rc != 0) {
        for (size_t i = 0; i < nv; i++)
            idx_entry_free(v[i]);
        omk_free(v);
        return STORE_NOTFOUND;
    }
    for (int d = 0; d < 256; d++) {
        keys[d] += k[d];
        expires[d] += x[d];
    }
    *out = v;
    *nout = nv;
    return STORE_OK;
}

int store_index_file_read(struct store *s, int use, struct idx_entry ***out, size_t *nout,
                          uint64_t *keys, uint64_t *expires)
{
    char path[4096], whybuf[256];
    const char *why = NULL;
    int64_t t0 = omk_mono_us();
    double cpu0 = store_cpu_s();
    size_t ntables = 0;
    int fd, rc;

    ixf_path(s, IXF_NAME, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return STORE_NOTFOUND; /* the common case after a crash or a first start */
    if (use)
        rc = ixf_read(s, fd, out, nout, keys, expires, &ntables, &why, whybuf,
                      sizeof(whybuf));
    else
        rc = STORE_NOTFOUND, why = "this start may drop log records (repair, skip-any), or "
                                   "index-file is no";
    close(fd);
    /* It describes one shutdown: gone once a start looked at it, used or not. */
    if (unlink(path) != 0)
        store_log(s->log, STORE_LOG_ALERT, "Key index: cannot remove %s (%s)", path,
                  strerror(errno));
    if (rc == STORE_OK)
        store_log(s->log, 0, "Key index: %zu keys read from %s in %.2f s, %.2f s of CPU "
                  "(written at the last shutdown; %zu table files of the keys checked)", *nout,
                  path, (double)(omk_mono_us() - t0) / 1e6, store_cpu_s() - cpu0, ntables);
    else
        store_log(s->log, STORE_LOG_ALERT, "Key index: %s not used (%s): reading the keys "
                  "from RocksDB", path, why);
    return rc;
}
