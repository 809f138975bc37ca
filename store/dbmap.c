/* dbmap.c - the database map behind SWAPDB: which db byte (the first byte of every
 * RocksDB key and index key, format.h) holds the keys of each logical database (the
 * number SELECT, MOVE, COPY DB, INFO keyspace and SWAPDB name).
 *
 * HOW IT WORKS. The map is a permutation of 0..255, the identity until the first SWAPDB.
 * Every call that names a database maps it once, under 'excl' as reader (store_op_lock
 * for keyed calls; scan.c, store.c for whole databases), and works on db bytes from then
 * on; what the store tells the daemon (the touch hook) is mapped back. SWAPDB takes
 * 'excl' as writer, so no call is in flight, writes the whole new map as one record of
 * the meta column family ("db-map", format.h) and only once RocksDB took it exchanges
 * the two entries in RAM: O(1), whatever the databases hold, since no key moves.
 *
 * Crash safety: the record is one write, in the write-ahead log after every write
 * acknowledged before the swap (the exclusive lock drained them) and before every write
 * made after it (they wait for the lock), and the log replays a prefix of itself. So a
 * crash keeps the swap with everything after it, or loses it with everything after it
 * too; never the keys of one side without the other. Counters (store.keys, .expires)
 * count db bytes, so they need no change either. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/omk.h"
#include "store/format.h"
#include "store/rocks.h"
#include "store/store.h"
#include "store/store_internal.h"

/* Set the map of 's' to 'phys' (256 bytes, a permutation) and its inverse. Caller holds
 * 'excl' as writer, or no other thread uses 's' yet. */
static void dbmap_set(struct store *s, const unsigned char *phys)
{
    for (int d = 0; d < 256; d++) {
        __atomic_store_n(&s->db_phys[d], phys[d], __ATOMIC_RELAXED);
        __atomic_store_n(&s->db_logical[phys[d]], (unsigned char)d, __ATOMIC_RELAXED);
    }
}

int store_dbmap_load(struct store *s, const uint64_t *keys, char *err, size_t errlen)
{
    unsigned char phys[256], seen[256] = { 0 };
    char *v = NULL;
    size_t n = 0;
    int rc = rocks_get_cf(s->rocks, ROCKS_CF_META, FMT_META_DB_MAP, strlen(FMT_META_DB_MAP),
                          &v, &n);

    if (rc < 0) {
        snprintf(err, errlen, "cannot read the database map: %s", store_strerror(rc));
        return rc;
    }
    if (rc == STORE_NOTFOUND) {
        for (int d = 0; d < 256; d++)
            phys[d] = (unsigned char)d;
    } else if (n != sizeof(phys)) {
        rocks_free(v);
        snprintf(err, errlen, "the database map record has %zu bytes, not 256", n);
        return STORE_ERR_VALUE;
    } else {
        memcpy(phys, v, sizeof(phys));
        rocks_free(v);
    }
    for (int d = 0; d < 256; d++) {
        if (seen[phys[d]]++) {
            snprintf(err, errlen, "the database map names db byte %u twice", phys[d]);
            return STORE_ERR_VALUE;
        }
    }
    for (int d = s->databases; d < 256; d++) {
        if (keys[phys[d]]) {
            snprintf(err, errlen, "the data holds keys of database %d but only %d are "
                     "configured", d, s->databases);
            return STORE_ERR_VALUE;
        }
    }
    dbmap_set(s, phys);
    return STORE_OK;
}

int store_swapdb(struct store *s, int a, int b)
{
    unsigned char phys[256];
    struct rocks_batch *batch;
    int rc;

    OMK_ASSERT(a >= 0 && a < s->databases && b >= 0 && b < s->databases);
    if (a == b)
        return STORE_OK;
    store_wrlock(s);
    for (int d = 0; d < 256; d++)
        phys[d] = s->db_phys[d];
    phys[a] = s->db_phys[b];
    phys[b] = s->db_phys[a];
    batch = rocks_batch_new();
    rocks_batch_put_cf(s->rocks, batch, ROCKS_CF_META, FMT_META_DB_MAP, strlen(FMT_META_DB_MAP),
                       (const char *)phys, sizeof(phys));
    rc = store_log_append_now(s, batch); /* after a transaction's own writes, as FLUSHDB */
    if (rc == STORE_OK) {
        dbmap_set(s, phys);
        rc = store_log_settle(s);
    }
    store_wrunlock(s);
    rocks_batch_free(batch);
    return rc;
}
