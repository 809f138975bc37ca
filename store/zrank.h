/* zrank.h - rank queries on a large sorted set without walking it (module-private to
 * store/): an order-statistic structure over the keys of one split zset's score index,
 * kept in RAM, plus a registry that holds such structures for many sets under a byte
 * budget. HOW IT WORKS is in zrank.c.
 *
 * The structure cuts the index keys (in bytewise order: memcmp, a prefix sorts first)
 * into blocks of consecutive keys. It keeps only each block's boundary (its first key
 * when the block was made: the first block's boundary is the empty key, which sorts
 * before every key) and its count; it never sees the keys between boundaries and does no
 * I/O. A boundary stays a valid seek target after its key leaves the index: a block
 * holds exactly the index keys from its boundary (included) to the next boundary
 * (excluded).
 *
 * The owner protocol (what store/ops_zset.c does; tests/unit/test_zrank.c plays it
 * against a sorted array):
 *   - build: walk the index in ascending order, zrank_build_add() each key.
 *   - a rank query: zrank_at() (or zrank_find() for a key) names a block; seek its
 *     boundary (the empty boundary: the start of the set's index) and step forward at
 *     most the block's count keys (2 * block size at most, see zrank_insert()).
 *   - each key added to the index: zrank_insert(); when it returns 1, find the block
 *     again (zrank_find() of the same key), seek its boundary, step to the key at offset
 *     count / 2 and zrank_split() there, before any other call on the structure.
 *   - each key removed from the index: zrank_remove() (no I/O ever follows).
 *   - a change that could not be made in RocksDB, or a step that found fewer keys than
 *     promised: the structure no longer matches the disk; drop it (zrank_reg_drop()) and
 *     build again when next needed.
 * Keys may be passed whole or with the prefix every key of the set shares (the
 * collection id and the tag byte) cut off, as long as every call does the same.
 *
 * Threads: one struct zrank has one user at a time (the caller holds the key's stripe).
 * The registry may be used from any thread; its mutex is held only inside its calls.
 *
 * Caveats: counts are trusted: zrank_insert() of a key already counted or zrank_remove()
 * of a key not in the index make the structure lie (rank answers off by one) without it
 * being able to tell; zrank_check() only checks that it is self-consistent. */
#ifndef OMK_STORE_ZRANK_H
#define OMK_STORE_ZRANK_H

#include <stddef.h>
#include <stdint.h>

/* Keys per block made by zrank_build_add(); blocks stay between ZRANK_BLOCK / 2 and
 * 2 * ZRANK_BLOCK keys (a smaller one survives only between two neighbours too full to
 * take it in). Chosen by bench/zrank-bench.c: 128 keeps the state near 0.5 bytes a
 * member (about 6 MB for 10M members) while a rank query steps at most 256 keys, a
 * RocksDB walk of about 16 us (the measurements are in zrank.c). */
#define ZRANK_BLOCK 128

struct zrank;

/* ---- One structure ------------------------------------------------------------------ */

/* A new empty structure (one empty block, boundary ""), blocks of ZRANK_BLOCK keys.
 * Never NULL. Free with zrank_free(), or hand it to a registry (zrank_reg_put()). */
struct zrank *zrank_new(void);

/* The same with blocks of 'block' keys (2 <= block <= 1 << 20), for tests and the bench
 * (small blocks make deep trees from few keys). */
struct zrank *zrank_new_sized(uint32_t block);

/* Free 'z' and its boundaries. 'z' must not be held by a registry. NULL is a no-op. */
void zrank_free(struct zrank *z);

/* Heap bytes 'z' uses (its nodes, its boundary copies and itself, with the allocator's
 * per-chunk overhead). O(1). */
size_t zrank_bytes(const struct zrank *z);

/* Keys counted in 'z': built, plus inserted, minus removed. O(1). */
uint64_t zrank_total(const struct zrank *z);

/* Blocks in 'z' (at least 1). O(1). */
uint64_t zrank_blocks(const struct zrank *z);

/* Count key 'k'/'klen' (borrowed), which must sort after every key given before to this
 * structure (a walk of the index in ascending order). The last block takes it, or, when
 * it already holds the block size, a new block starts at 'k' (a copy). Amortized O(1)
 * node work plus O(log blocks) to reach the last block. */
void zrank_build_add(struct zrank *z, const char *k, size_t klen);

/* Count key 'k'/'klen' (borrowed), just added to the index, in the block holding it.
 * Returns 1 when that block now holds more than 2 * block size keys: the caller must
 * then zrank_split() it (see the owner protocol above) before any other call; 0
 * otherwise. O(log blocks). */
int zrank_insert(struct zrank *z, const char *k, size_t klen);

/* Cut the block holding key 'mid'/'midlen' (borrowed; copied) at 'mid': the keys before
 * 'mid', 'left_count' of them, stay in that block, and a new block with boundary 'mid'
 * takes the others. 'mid' must sort after the block's boundary, and 'left_count' must be
 * at most the block's count. O(log blocks). */
void zrank_split(struct zrank *z, const char *mid, size_t midlen, uint64_t left_count);

/* Uncount key 'k'/'klen' (borrowed), just removed from the index, from the block holding
 * it (which must count at least one key). A block left with fewer than block size / 2
 * keys is merged into its smaller neighbour when the two together hold at most 2 *
 * block size: the right one of the pair loses its boundary (the first block's "" is never
 * lost). No I/O is needed. O(log blocks). */
void zrank_remove(struct zrank *z, const char *k, size_t klen);

/* The block holding key 'k'/'klen' (borrowed; whether in the index or not): the last
 * block whose boundary sorts at or before 'k'. Writes its boundary to '*bound'/'*blen'
 * (memory of 'z', valid until the next change to 'z'; "" for the first block), the
 * number of keys in the blocks before it to '*before' (the rank of its first key) and its
 * count to '*count'. Any of the out-params may be NULL. O(log blocks). */
void zrank_find(const struct zrank *z, const char *k, size_t klen, const char **bound,
                size_t *blen, uint64_t *before, uint64_t *count);

/* The block holding rank 'r' (0-based, below zrank_total()): the block with
 * '*first' <= r < '*first' + '*count' (never an empty block). Writes its boundary as
 * zrank_find() does, the rank of its first key to '*first' and its count to '*count'.
 * Any of the out-params may be NULL. O(log blocks). */
void zrank_at(const struct zrank *z, uint64_t r, const char **bound, size_t *blen,
              uint64_t *first, uint64_t *count);

/* Self-check: the boundaries strictly ascending from "", every count and byte figure
 * adding up, every separator naming its subtree's first boundary, every leaf at the same
 * depth, no node empty or overfull. Returns 0, or -1 with the first fault in 'err'
 * (NUL-terminated, at most 'errlen' bytes). O(blocks). */
int zrank_check(const struct zrank *z, char *err, size_t errlen);

/* ---- The registry ------------------------------------------------------------------- */

/* A registry maps collection ids to their structures and keeps the bytes of the
 * structures nobody is using under a budget, evicting the least recently used. A
 * structure is pinned from zrank_reg_get() or zrank_reg_put() to zrank_reg_release();
 * a pinned structure is never freed by the registry (so the bytes may exceed the budget
 * while large structures are pinned; the next release evicts back under it). A
 * structure larger than the whole budget is freed at its release. The caller guarantees
 * one user per id at a time. */
struct zrank_reg;

/* A new empty registry keeping at most 'max_bytes' bytes of unpinned structures (0: it
 * keeps none once released). Never NULL. */
struct zrank_reg *zrank_reg_new(size_t max_bytes);

/* Free 'reg' and every structure it holds. None may be pinned. NULL is a no-op. */
void zrank_reg_free(struct zrank_reg *reg);

/* The structure of collection 'id', pinned (release it with zrank_reg_release()), or
 * NULL when the registry holds none. Marks it most recently used. */
struct zrank *zrank_reg_get(struct zrank_reg *reg, uint64_t id);

/* Adopt structure 'z' (takes ownership; not held by any registry) as the one of
 * collection 'id', which the registry must not hold already, pinned by the caller (release
 * it with zrank_reg_release()). May evict unpinned structures of other ids. */
void zrank_reg_put(struct zrank_reg *reg, uint64_t id, struct zrank *z);

/* Unpin 'z' (from zrank_reg_get() or zrank_reg_put()); 'z' must not be used afterwards.
 * Its bytes are charged again as they are now; then unpinned structures are evicted,
 * least recently used first, until the total fits the budget. A dropped structure, or one
 * larger than the budget alone, is freed here. */
void zrank_reg_release(struct zrank_reg *reg, struct zrank *z);

/* Forget the structure of collection 'id' (the id died, or a change to the set could not
 * be counted). If unpinned it is freed now; if pinned it stays valid for its pinner and
 * is freed at its zrank_reg_release(). No-op when the registry holds none. */
void zrank_reg_drop(struct zrank_reg *reg, uint64_t id);

/* zrank_reg_drop() of every id (FLUSHALL, a restored checkpoint). */
void zrank_reg_clear(struct zrank_reg *reg);

/* Heap bytes of the registry: its table plus each structure it holds as charged at its
 * last zrank_reg_put() or zrank_reg_release() (a pinned structure may have grown since).
 * For INFO's used_memory. */
size_t zrank_reg_bytes(struct zrank_reg *reg);

struct zrank_reg_stats {
    uint64_t held;      /* structures held (pinned or not) */
    uint64_t pinned;    /* of which pinned */
    uint64_t charged;   /* bytes charged for them (the budget's side of zrank_reg_bytes) */
    uint64_t budget;    /* bytes */
    uint64_t hits;      /* zrank_reg_get() calls that found a structure */
    uint64_t misses;    /* zrank_reg_get() calls that found none */
    uint64_t evictions; /* structures freed to fit the budget (or too large for it) */
};

/* A snapshot of the registry's counters (takes its mutex briefly). */
void zrank_reg_stats_get(struct zrank_reg *reg, struct zrank_reg_stats *st);

#endif
