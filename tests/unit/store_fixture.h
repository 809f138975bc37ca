/* store_fixture.h - what the store unit tests (test_store, test_store_string,
 * test_store_keys, test_cache) share: a fresh temp directory per store, a store opened
 * there with small RocksDB caches, the store_check assertion, values written behind the
 * store's back, and helpers that write and read string values. Header only, like tests/tap.h: fx_check_store must count in the
 * including program's TAP plan, and tap.h keeps its counters per program file. Every
 * helper is static and marked unused; include it after "config.h" (nftw needs the
 * system extensions config.h turns on). */
#ifndef OMK_TESTS_UNIT_STORE_FIXTURE_H
#define OMK_TESTS_UNIT_STORE_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/omk.h"
#include "store/rocks.h"
#include "store/store.h"
#include "tests/tap.h"

/* ---- slices and time ---------------------------------------------------------------- */

/* A slice over the string literal 'lit', its NUL not counted (embedded NULs are). */
#define FX_SL(lit) ((struct omk_slice){ (lit), sizeof(lit) - 1 })

/* A slice over the C string 'p' (its NUL not counted); borrows 'p'. */
__attribute__((unused)) static struct omk_slice fx_sl(const char *p)
{
    struct omk_slice s = { p, strlen(p) };

    return s;
}

/* A slice over the 'n' bytes at 'p'; borrows 'p'. */
__attribute__((unused)) static struct omk_slice fx_sl_n(const char *p, size_t n)
{
    struct omk_slice s = { p, n };

    return s;
}

/* Sleep at least 'ms' milliseconds, going back to sleep after a signal. */
__attribute__((unused)) static void fx_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- a temp directory per store ------------------------------------------------------ */

/* A new empty directory /tmp/omk-test-<name>-XXXXXX ('name' says which program made
 * it). Returns its path, freed by fx_tmpdir_rm; aborts if it cannot be made. */
__attribute__((unused)) static char *fx_tmpdir_new(const char *name)
{
    char tmpl[256];

    snprintf(tmpl, sizeof(tmpl), "/tmp/omk-test-%s-XXXXXX", name);
    OMK_ASSERT(mkdtemp(tmpl) != NULL);
    return omk_memdup(tmpl, strlen(tmpl));
}

/* nftw callback of fx_tmpdir_rm: remove one entry (children come first). */
__attribute__((unused)) static int fx_rm_entry(const char *path, const struct stat *sb, int flag,
                                               struct FTW *ftw)
{
    OMK_UNUSED(sb);
    OMK_UNUSED(flag);
    OMK_UNUSED(ftw);
    return remove(path);
}

/* Remove 'dir' and everything below it, then free 'dir' (takes ownership of the string
 * fx_tmpdir_new returned). Aborts if anything cannot be removed. */
__attribute__((unused)) static void fx_tmpdir_rm(char *dir)
{
    OMK_ASSERT(nftw(dir, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
    omk_free(dir);
}

/* ---- the store ------------------------------------------------------------------------ */

/* How a test's store differs from the fixture's: a zero field keeps the default
 * (appendfsync no, 16 databases, the default cache budget). */
struct fx_store_opts {
    enum store_fsync fsync;     /* STORE_FSYNC_NO is 0 */
    int databases;              /* 0: 16 */
    size_t maxmemory;           /* value cache budget, bytes; 0: the default share of RAM */
};

/* Open (or create) the store in 'dir' (borrowed until store_close) with an 8 MB block
 * cache, 4 MB memtables and the options 'o' (NULL: every default). Returns the store;
 * aborts the test program, after a TAP diagnostic, if it does not open. */
__attribute__((unused)) static struct store *fx_store_open(const char *dir,
                                                           const struct fx_store_opts *o)
{
    struct store_config c;
    struct store *s = NULL;
    char err[256];

    store_config_defaults(&c);
    c.dir = dir;
    c.fsync = o ? o->fsync : STORE_FSYNC_NO;
    if (o && o->databases)
        c.databases = o->databases;
    if (o)
        c.maxmemory = o->maxmemory;
    c.block_cache_bytes = 8u << 20;
    c.write_buffer_bytes = 4u << 20;
    if (store_open(&c, &s, err, sizeof(err)) != STORE_OK) {
        diag("store_open(%s): %s", dir, err);
        abort();
    }
    return s;
}

/* One TAP assertion, "store_check after 'when'": the counters (and the index) agree with
 * a full walk of RocksDB. The fault store_check found goes to a diagnostic. */
__attribute__((unused)) static void fx_check_store(struct store *s, const char *when)
{
    char err[256] = "";

    if (!ok(store_check(s, err, sizeof(err)) == STORE_OK, "store_check after %s", when))
        diag("  %s", err);
}

/* The store's counters now (store_stats_get). */
__attribute__((unused)) static struct store_stats fx_stats(struct store *s)
{
    struct store_stats st;

    store_stats_get(s, &st);
    return st;
}

/* ---- values written behind the store's back -------------------------------------------- */

/* A RocksDB opened with no store over it, and a batch for it: to write what the store
 * itself never would (a format version it does not know, a torn header). */
struct fx_raw {
    struct rocks *r;
    struct rocks_batch *b;  /* fill it with rocks_batch_put */
};

/* Open the RocksDB in 'dir', which no store may have open, and start an empty batch in
 * '*w'. Aborts the test program, after a TAP diagnostic, if RocksDB does not open. */
__attribute__((unused)) static void fx_raw_begin(struct fx_raw *w, const char *dir)
{
    struct store_config c;
    char err[256];

    store_config_defaults(&c);
    c.dir = dir;
    if (rocks_open(&c, NULL, NULL, &w->r, err, sizeof(err)) != STORE_OK) {
        diag("rocks_open(%s): %s", dir, err);
        abort();
    }
    w->b = rocks_batch_new();
}

/* Write the batch of '*w' at once, free it and close RocksDB ('*w' is then zeroed).
 * Aborts if the write fails. */
__attribute__((unused)) static void fx_raw_commit(struct fx_raw *w)
{
    OMK_ASSERT(rocks_write(w->r, w->b) == STORE_OK);
    rocks_batch_free(w->b);
    rocks_close(w->r);
    memset(w, 0, sizeof(*w));
}

/* ---- string values ---------------------------------------------------------------------- */

/* SET the C strings 'key' = 'val' in database 'db', with the absolute expiry 'expire_ms'
 * (0: none) and no flag. Returns store_set's status. */
__attribute__((unused)) static int fx_set_str(struct store *s, int db, const char *key,
                                              const char *val, int64_t expire_ms)
{
    return store_set(s, db, fx_sl(key), fx_sl(val), 0, expire_ms, NULL);
}

/* 1 if the C string 'key' of database 'db' holds exactly the 'wlen' bytes at 'want', or,
 * with 'want' NULL, if 'key' is missing; 0 otherwise and on a store error. Reads through
 * store_get (once: the cache counters see one GET). A value that differs is shown in a
 * TAP diagnostic. */
__attribute__((unused)) static int fx_val_is(struct store *s, int db, const char *key,
                                             const char *want, size_t wlen)
{
    struct store_val *v;
    int rc = store_get(s, db, fx_sl(key), &v), eq;

    if (rc == STORE_NOTFOUND)
        return want == NULL;
    if (rc != STORE_OK)
        return 0;
    eq = want && v->len == wlen && (wlen == 0 || memcmp(v->data, want, wlen) == 0);
    if (!eq)
        diag("  '%s' holds %zu bytes '%.*s'", key, v->len, (int)(v->len > 60 ? 60 : v->len),
             v->data);
    store_val_release(v);
    return eq;
}

/* fx_val_is with the C string 'want' (NULL: 'key' must be missing). */
__attribute__((unused)) static int fx_str_is(struct store *s, int db, const char *key,
                                             const char *want)
{
    return fx_val_is(s, db, key, want, want ? strlen(want) : 0);
}

#endif
