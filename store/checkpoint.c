/* checkpoint.c - SAVE and BGSAVE: a consistent copy of every database written to
 * '<dir>/checkpoint' as a RocksDB checkpoint (SST files hard-linked), built aside in
 * '<dir>/checkpoint.tmp' and moved into place only once complete, so a crash mid-save
 * leaves the previous checkpoint whole. One save runs at a time ('saving'). */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/omk.h"
#include "common/omk_thread.h"
#include "store/rocks.h"
#include "store/store_internal.h"

/* nftw callback of store_rmtree: remove one file or (emptied) directory. */
static int store_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    OMK_UNUSED(sb);
    OMK_UNUSED(ftw);
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remove 'path' and everything under it; a missing path is fine. 0 or -1 (errno). */
static int store_rmtree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, store_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The checkpoint itself; the caller set 'saving' to 1, and this clears it. */
static int store_save_now(struct store *s, char *path, size_t pathlen)
{
    char tmp[4096];
    int rc;

    snprintf(path, pathlen, "%s/checkpoint", s->dir);
    snprintf(tmp, sizeof(tmp), "%s/checkpoint.tmp", s->dir);
    if (store_rmtree(tmp) != 0) {
        store_log(s->log, 1, "Cannot remove the old '%s': %s", tmp, strerror(errno));
        rc = STORE_ERR_IO;
    } else {
        rc = rocks_checkpoint(s->rocks, tmp);
    }
    if (rc == STORE_OK && (store_rmtree(path) != 0 || rename(tmp, path) != 0)) {
        store_log(s->log, 1, "Cannot move the checkpoint to '%s': %s", path, strerror(errno));
        rc = STORE_ERR_IO;
    }
    if (rc == STORE_OK)
        atomic_store(&s->last_save_ms, omk_now_ms());
    atomic_store(&s->last_save_ok, rc == STORE_OK);
    atomic_store(&s->saving, 0);
    return rc;
}

int store_save(struct store *s, char *path, size_t pathlen)
{
    int expected = 0;

    if (!atomic_compare_exchange_strong(&s->saving, &expected, 1))
        return STORE_ERR_BUSY;
    return store_save_now(s, path, pathlen);
}

static void *store_bgsave_main(void *arg)
{
    struct store *s = arg;
    char path[4096];

    if (store_save_now(s, path, sizeof(path)) == STORE_OK)
        store_log(s->log, 0, "Background saving terminated with success: %s", path);
    return NULL;
}

int store_bgsave(struct store *s)
{
    int expected = 0;

    if (!atomic_compare_exchange_strong(&s->saving, &expected, 1))
        return STORE_ERR_BUSY;
    /* Only the thread that won 'saving' gets here, so 'bgsave' has one writer; the
     * previous background save (if any) has finished: join it first. */
    omk_mutex_lock(&s->bgsave_mu);
    if (s->bgsave_started)
        omk_thread_join(s->bgsave);
    s->bgsave_started = 1;
    omk_thread_create(&s->bgsave, store_bgsave_main, s);
    omk_mutex_unlock(&s->bgsave_mu);
    return STORE_OK;
}

int store_last_save_ok(struct store *s)
{
    return atomic_load(&s->last_save_ok);
}

int64_t store_last_save_ms(struct store *s)
{
    return atomic_load(&s->last_save_ms);
}

int store_saving(struct store *s)
{
    return atomic_load(&s->saving);
}

void store_bgsave_join(struct store *s)
{
    omk_mutex_lock(&s->bgsave_mu);
    if (s->bgsave_started)
        omk_thread_join(s->bgsave);
    s->bgsave_started = 0;
    omk_mutex_unlock(&s->bgsave_mu);
}
