/* elemcache.h - the element cache (module-private to store/): hot elements of split
 * hashes, sets and sorted sets, held as items of the value cache (cache.h) and found by
 * (collection id, element) through a sharded hash table, so that HSET of a known field,
 * SADD of a known member, HGET, SISMEMBER or ZSCORE of one skip their RocksDB read.
 *
 * HOW IT WORKS. An item's payload is the element record's identity and its value: the
 * id (8 bytes), the element's length (4), the element, then the value (a hash's value, a
 * zset's 8 score bytes, nothing for a set). Items share the value cache's budget and its
 * SIEVE queue with the keys' values, and are told apart from them by ECACHE_TAG in
 * their 'tag' (the rest of it is their table shard). Only present elements are cached:
 * a miss means "read RocksDB", never "absent".
 *
 * Coherence. Every write of an element record of a split collection goes through
 * coll.c's pending table under the key's stripe, and every read that fills the cache
 * holds that stripe too (a split collection is read only under it), so an element's
 * entry changes only under its collection's stripe:
 *   - a read that missed fills the entry with what RocksDB (or the transaction) holds;
 *   - a write's changes reach the table after its batch is in the log (commit.c, beside
 *     the keys' values): a put replaces the entry, a removal drops it;
 *   - an id is never reused, so a collection's entries need no removal when it dies (DEL,
 *     expiry, going back inline): nobody looks them up again and SIEVE evicts them;
 *   - everything that empties the value cache (FLUSHALL, a reload of the index, a
 *     resume of writes) empties this table with it (the detach callback).
 *
 * Threads: every function may be called from any thread. One mutex per shard, a leaf
 * below the value cache's own (lock 6 of store_internal.h): only pins are taken under
 * it. ecache_put is called with no shard lock and no index lock held (it admits). */
#ifndef OMK_STORE_ELEMCACHE_H
#define OMK_STORE_ELEMCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/omk.h"
#include "store/cache.h"

#define ECACHE_TAG 0x80000000u /* in cache_item.tag: an element item */

struct ecache;
struct store;

/* Create / free the table (store_open / store_close; free after the cache). */
struct ecache *ecache_new(void);
void ecache_free(struct ecache *ec);

/* A new item, not admitted, holding element 'e' of collection 'id' with value 'v'
 * (the caller holds its only pin). */
struct cache_item *ecache_item_new(uint64_t id, struct omk_slice e, struct omk_slice v);

/* The value held by element item 'it'. */
struct omk_slice ecache_item_value(const struct cache_item *it);

/* The cached item of element 'e' of collection 'id', pinned (cache_unpin it), with the
 * hit or the miss counted; NULL if it is not cached. */
struct cache_item *ecache_get(struct store *s, uint64_t id, struct omk_slice e);

/* Make pinned item 'it' (from ecache_item_new, never admitted) the entry of its element,
 * replacing any older one. The caller keeps its pin. It is not cached when its value is
 * too long for the cache (store_cache_lim). */
void ecache_put(struct store *s, struct cache_item *it);

/* Drop the entry of the element that item 'it' (from ecache_item_new) names, if any. */
void ecache_drop(struct store *s, const struct cache_item *it);

/* The value cache's detach callback for element items: unpublish 'it'. */
void ecache_detach(struct store *s, struct cache_item *it);

/* Self-check of resident element item 'it' (pinned): it is the entry of its element,
 * and when its collection is live, RocksDB's element record holds its value. Called
 * with no call in flight (store_check). STORE_OK, or STORE_ERR_VALUE with 'err'. */
int ecache_check_item(struct store *s, const struct cache_item *it, char *err, size_t errlen);

/* Entries in the table (store_check counts them against the cache's items). */
size_t ecache_count(struct ecache *ec);

#endif
