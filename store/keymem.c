/* keymem.c - what one key holds in RAM, for MEMORY USAGE (store.h, store_key_memory):
 * its index entry as allocated, and the value cache's charge for its value when the
 * value is cached (the item the entry's 'loc' word names). */
#include "config.h"

#include "common/omk.h"
#include "index/shard.h"
#include "store/cache.h"
#include "store/store.h"
#include "store/store_internal.h"

int store_key_memory(struct store *s, int db, struct omk_slice key, struct store_keymem *out)
{
    struct store_op op;
    int rc;

    store_op_begin1(&op, s, STORE_OP_READ, db, key);
    op.touch = 0; /* MEMORY is no access, as in Redis */
    rc = store_op_find(&op, 0, STORE_WANT_STATE);
    if (rc == STORE_OK) {
        const struct fmt_key *k = &op.key[0].k;
        unsigned shard = idx_shards_of(s->ix, k->p, k->len);
        struct idx *ix = idx_shards_rdlock(s->ix, shard);
        const struct idx_entry *e = idx_find(ix, k->p, k->len);

        if (e) {
            uint64_t loc = store_loc_get(e);

            out->entry_bytes = idx_entry_size(e);
            /* An even, non-zero 'loc' is a published item: alive while the read lock
             * keeps its eviction from unpublishing it; its charge never changes. */
            out->cached_bytes =
                loc != 0 && (loc & 3) == 0 ? ((const struct cache_item *)(uintptr_t)loc)->charge
                                           : 0;
        } else {
            rc = STORE_NOTFOUND; /* deleted since the lookup */
        }
        idx_shards_unlock(s->ix, shard);
    }
    return store_op_end(&op, rc);
}
