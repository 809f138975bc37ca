/* shard.h - the concurrent face of index/: S independent ALEX indexes (index.h), each
 * behind its own writer-preferring rwlock. A key lives in shard omk_hash(key) & (S-1), so
 * a point operation locks one shard; an ordered walk (SCAN, KEYS) merges the S shards in
 * key order under their read locks. The store calls idx_find / idx_insert / idx_delete on
 * the `struct idx *` a lock call returns, copies what it needs, then unlocks.
 *
 * A shard's lock is made of IDX_SHARDS_LANES rwlocks so that reader threads do not share a
 * cache line (see shard.c); to callers it behaves as one rwlock per shard.
 *
 * LOCK ORDER (the rules every caller keeps; nothing else may deadlock):
 *  1. Shard locks are taken in ascending shard number. A thread holding the lock of shard i
 *     may take only shards j > i. idx_shards_walk, idx_shards_clear, idx_shards_bulk_load
 *     and idx_shards_validate take their locks that way and release them before they
 *     return; idx_shards_stats and idx_shards_random hold one shard lock at a time.
 *  2. A thread never takes a lock it already holds, even a read lock twice: the locks prefer
 *     writers (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), so a second rdlock queues behind
 *     a waiting writer that waits for the first one. So: never call idx_shards_walk,
 *     _random, _clear, _bulk_load, _stats or _validate while holding any shard lock.
 *  3. A write lock is held for one index operation (or a few on the same shard) and no I/O,
 *     RocksDB call or reply encoding happens under any shard lock (ALEX.md 3.6).
 *  4. Store-level locks (key stripes, the exclusive flush lock) are taken BEFORE shard
 *     locks, never while one is held: shard locks are always the innermost.
 *
 * Caveats: an entry pointer read under a lock is valid only until that lock is released
 * (after that a writer may delete and free it); idx_iter and idx_entry pointers must not
 * cross an unlock. The count (idx_shards_count) includes a write once its lock is released. */
#ifndef OMK_INDEX_SHARD_H
#define OMK_INDEX_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"

#define IDX_SHARDS_DEFAULT 8 /* shards when idx_shards_new() is given 0 */
#define IDX_SHARDS_MAX 64    /* a power of two; bounds the walk's on-stack merge state */
#define IDX_SHARDS_LANES 4   /* rwlocks per shard: threads read-lock their own (shard.c) */

/* Outcomes of idx_shards_walk(); values above 0 are expected outcomes, as in enum idx_rc. */
enum idx_shards_rc {
    IDX_SHARDS_DONE = 0, /* the walk reached the end: no key follows the last examined one */
    IDX_SHARDS_MORE = 1, /* stopped by the limit or the callback; keys may follow */
};

struct idx_shards;

/* A growable copy of one key, owned by the struct that embeds it (a SCAN cursor slot, say).
 * Zero-initialise it; release it with idx_keybuf_deinit(). */
struct idx_keybuf {
    char *p;    /* omk_malloc'd, NULL until the first set; not NUL-terminated */
    size_t len; /* key bytes in 'p' */
    size_t cap; /* bytes allocated at 'p' */
};

/* Make 'kb' hold a copy of 'key'/'len' (growing it as needed). Never fails. */
void idx_keybuf_set(struct idx_keybuf *kb, const void *key, size_t len);

/* Free the buffer of 'kb' and zero it. */
void idx_keybuf_deinit(struct idx_keybuf *kb);

/* A new set of 'nshards' empty indexes, each built with 'cfg' (NULL: defaults).
 * 'nshards' is 0 (IDX_SHARDS_DEFAULT) or a power of two from 1 to IDX_SHARDS_MAX; any other
 * value is a programming error and aborts. Never returns NULL. Free with idx_shards_free(). */
struct idx_shards *idx_shards_new(unsigned nshards, const struct idx_config *cfg);

/* Free 'sh' and every entry in it, calling 'free_entry' (NULL: idx_entry_free) on each.
 * No thread may be using 'sh' or hold one of its locks. NULL is a no-op. */
void idx_shards_free(struct idx_shards *sh, void (*free_entry)(struct idx_entry *e));

/* The number of shards S. Lock-free; constant for the life of 'sh'. */
unsigned idx_shards_n(const struct idx_shards *sh);

/* The shard that holds (or would hold) 'key'/'klen': omk_hash(key) & (S-1). Lock-free. */
unsigned idx_shards_of(const struct idx_shards *sh, const void *key, size_t klen);

/* Take the read lock of shard 'shard' (< S) and return its index, on which the caller may
 * run only readers (idx_find, idx_seek, idx_iter_next, idx_random, idx_count, ...).
 * Blocks while a writer holds or waits for the shard. The pointer is the same for the life
 * of 'sh', but may be used only until idx_shards_unlock(sh, shard). */
struct idx *idx_shards_rdlock(struct idx_shards *sh, unsigned shard);

/* Take the write lock of shard 'shard' and return its index; the caller may run any index
 * operation on it, but must keep every key it inserts in that shard (idx_shards_of() ==
 * 'shard'). Use until idx_shards_unlock(sh, shard). */
struct idx *idx_shards_wrlock(struct idx_shards *sh, unsigned shard);

/* Release the lock this thread holds on 'shard' (read or write). After a write lock, the
 * shard's new key count is published to idx_shards_count() and idx_shards_random(). */
void idx_shards_unlock(struct idx_shards *sh, unsigned shard);

/* Keys in all shards, as of the last released write lock. O(1), lock-free. */
size_t idx_shards_count(const struct idx_shards *sh);

/* Called by idx_shards_walk() for each entry in key order, with the read lock of every
 * shard held: 'e' is valid only during the call; copy what you need. The callback must not
 * take or release shard locks. Return 0 to go on, non-zero to stop after 'e' (which still
 * counts as examined). */
typedef int idx_walk_fn(const struct idx_entry *e, void *arg);

/* Walk the keys of every shard in global key order (memcmp, shorter first on a tie),
 * starting at the first key >= 'from'/'flen' when 'inclusive', else the first key strictly
 * greater ('flen' 0 with 'inclusive' 1 starts at the very first key; with 'inclusive' 0 it
 * starts after the empty key). Calls 'fn'('e', 'arg') for up to 'max' (>= 1) entries.
 * Holds all S read locks, taken in ascending order, for the whole call, so the batch is a
 * consistent snapshot; no lock is held on return.
 * Out: '*examined' (if not NULL) the number of entries passed to 'fn'; 'last' (if not NULL)
 * the last of their keys when '*examined' > 0, untouched otherwise. Resume the walk with
 * 'from' = that key and 'inclusive' 0: every key present for the whole of a walk made of
 * such batches comes back exactly once.
 * Returns IDX_SHARDS_DONE when no key follows the last examined one (or none was found),
 * IDX_SHARDS_MORE when 'max' or the callback stopped the walk before the end. */
int idx_shards_walk(struct idx_shards *sh, const void *from, size_t flen, int inclusive,
                    size_t max, idx_walk_fn *fn, void *arg, size_t *examined,
                    struct idx_keybuf *last);

/* A roughly uniform random entry: a shard is picked with probability proportional to its
 * published count, then idx_random() in it. 'rnd' is a random number. Returns NULL (no lock
 * held) when every shard is empty; otherwise returns the entry with the read lock of shard
 * '*shard' held: copy what you need, then idx_shards_unlock(sh, *shard). */
struct idx_entry *idx_shards_random(struct idx_shards *sh, uint64_t rnd, unsigned *shard);

/* Remove every key of every shard, calling 'free_entry' (NULL: idx_entry_free) on each.
 * Takes all write locks in ascending order, so readers see all or nothing gone. */
void idx_shards_clear(struct idx_shards *sh, void (*free_entry)(struct idx_entry *e));

/* Load 'n' entries sorted by key (memcmp, shorter first) and unique into the empty shards:
 * each shard gets its keys, in order, through idx_bulk_load(), the shards loaded on one
 * thread per online CPU (up to 8) when there are many keys. Takes all write locks.
 * Returns IDX_OK, the shards taking ownership of the entries (the array stays the caller's),
 * or IDX_EXISTS if any shard held a key: nothing changed, the entries stay the caller's. */
int idx_shards_bulk_load(struct idx_shards *sh, struct idx_entry **sorted, size_t n);

/* Sum the statistics of every shard into '*st' (depth: the deepest shard;
 * avg_search_steps: weighted by keys). Takes each read lock in turn, one at a time. */
void idx_shards_stats(struct idx_shards *sh, struct idx_stats *st);

/* Self-check: idx_validate() on every shard, every key in the shard its hash names, each
 * published count equal to its shard's count and their sum to idx_shards_count(). Holds all
 * S read locks (ascending) for the call, so the check sees one consistent state. O(keys).
 * Returns 0, or -1 with the first fault described in 'err' (NUL-terminated, 'errlen'). */
int idx_shards_validate(struct idx_shards *sh, char *err, size_t errlen);

#endif
