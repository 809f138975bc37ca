/* metablob.c - named blobs of the daemon in RocksDB's meta column family (see store.h,
 * "Named meta blobs"): FUNCTION's libraries live there, so that they survive a restart.
 *
 * A blob is one record whose key is FMT_META_BLOB_PREFIX followed by its name, so no
 * name can collide with the store's own meta records (next-id, db-map). A put or a
 * delete is one batch through the write path (store_log_append): inside a transaction
 * it joins the transaction's batch, else it is written and made as durable as any other
 * write (store_log_settle). The log carries it, so a crash keeps it or not, whole. */
#include "config.h"

#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

#define METABLOB_KEY_MAX 256 /* bytes of a record key: prefix and name */

/* Write the record key of blob 'name' into 'key'; its length, or 0 if too long. */
static size_t metablob_key(const char *name, char *key)
{
    size_t plen = strlen(FMT_META_BLOB_PREFIX), nlen = strlen(name);

    if (plen + nlen > METABLOB_KEY_MAX)
        return 0;
    memcpy(key, FMT_META_BLOB_PREFIX, plen);
    memcpy(key + plen, name, nlen);
    return plen + nlen;
}

int store_meta_get(struct store *s, const char *name, char **val, size_t *vlen)
{
    char key[METABLOB_KEY_MAX];
    size_t klen = metablob_key(name, key);
    char *v = NULL;
    int rc;

    if (klen == 0)
        return STORE_NOTFOUND;
    store_rdlock(s);
    rc = store_log_get_cf(s, ROCKS_CF_META, key, klen, &v, vlen);
    store_rdunlock(s);
    if (rc != STORE_OK)
        return rc;
    *val = omk_malloc(*vlen + 1);
    memcpy(*val, v, *vlen);
    (*val)[*vlen] = '\0';
    rocks_free(v);
    return STORE_OK;
}

/* Put ('val' not NULL) or delete blob 'name' with one batch through the write path. */
static int metablob_write(struct store *s, const char *name, const void *val, size_t vlen)
{
    char key[METABLOB_KEY_MAX];
    size_t klen = metablob_key(name, key);
    struct rocks_batch *b;
    int rc;

    OMK_ASSERT(klen > 0);
    store_rdlock(s);
    b = store_batch_new();
    if (val)
        rocks_batch_put_cf(s->rocks, b, ROCKS_CF_META, key, klen, val, vlen);
    else
        rocks_batch_delete_cf(s->rocks, b, ROCKS_CF_META, key, klen);
    rc = store_log_append(s, b);
    if (rc == STORE_OK)
        rc = store_log_settle(s);
    store_rdunlock(s);
    rocks_batch_free(b);
    return rc;
}

int store_meta_put(struct store *s, const char *name, const void *val, size_t vlen)
{
    return metablob_write(s, name, val ? val : "", vlen);
}

int store_meta_del(struct store *s, const char *name)
{
    return metablob_write(s, name, NULL, 0);
}
