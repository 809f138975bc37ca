/* index.h - ALEX, a learned ordered index over binary-safe keys (see ../shared/ALEX.md).
 * It maps every key of the keyspace to an entry record that holds the key bytes and the
 * value's metadata (length, expiry, flags, a location word the store owns), so a missing
 * key, EXISTS, TTL, DBSIZE and SCAN never touch the disk. libc only.
 *
 * Threads: an index is not locked inside. Any number of readers (idx_find, idx_seek,
 * idx_iter_next, idx_random, idx_count, idx_validate, idx_stats) may run at once, since
 * no read writes a shared field; a writer (idx_insert, idx_delete, idx_bulk_load,
 * idx_clear) must run alone. index/shard.h wraps S of these behind rwlocks.
 *
 * Caveats: any write invalidates every iterator: resume by key (idx_seek) instead.
 * Entry pointers stay valid until the entry is deleted (the index never moves entries). */
#ifndef OMK_INDEX_INDEX_H
#define OMK_INDEX_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* Status codes (STYLE.md 2.3): 0 OK, > 0 expected outcomes, < 0 errors. */
enum idx_rc {
    IDX_OK = 0,
    IDX_NOTFOUND = 1,     /* idx_delete: no such key */
    IDX_EXISTS = 2,       /* idx_insert: key present; idx_bulk_load: the index is not empty */
    IDX_ERR_CORRUPT = -1, /* idx_validate: an invariant is broken */
};

/* One record per key. Allocated by idx_entry_new() or idx_insert(); freed with
 * idx_entry_free() after idx_delete() handed it back. The index reads only the key
 * (idx_entry_key, idx_entry_klen); the other fields belong to the store (store_internal.h,
 * THE INDEX ENTRY'S LAYOUT, says what each bit holds; the accessors below decode the two
 * words).
 *
 * LAYOUT: 22 bytes of header, then the key. The two u64 words come first, so that they are
 * 8-byte aligned in every block (the arena's blocks and malloc's are) for the atomics the
 * store runs on them; the key starts at byte 22 (IDX_ENTRY_HDR, not sizeof, which counts 2
 * bytes of tail padding). A key of up to 65534 bytes has its length in 'klen16'; a longer
 * one (Redis allows 512 MB) has klen16 == IDX_KLEN_ESC and its length as a u32 in the
 * first 4 bytes of 'kdata' (unaligned, little or big endian as the host), its bytes after
 * it. So a 17-byte store key (db byte + 16-byte user key) takes 39 bytes: a 40-byte block.
 * Never read 'klen16' or 'kdata' directly: use idx_entry_key() and idx_entry_klen(). */
struct idx_entry {
    uint64_t expire_flags; /* low 40 bits: expiry, ms after IDX_EXPIRE_EPOCH_MS (0: none);
                            * high 24: the store's access field */
    uint64_t loc;          /* low 56 bits the store's: cache handle, collection id, or 0 =
                            * on disk; high 8: the store's flags */
    uint32_t val_len;      /* value bytes (the store keeps it current) */
    uint16_t klen16;       /* key bytes, or IDX_KLEN_ESC: a u32 length leads 'kdata' */
    char kdata[];          /* the key (after its u32 length when escaped), no terminator */
};

#define IDX_KLEN_ESC 0xffffu /* klen16 of a key of 65535 bytes or more */
#define IDX_ENTRY_HDR 22     /* offsetof(struct idx_entry, kdata): header bytes */

/* Bytes an entry with a 'klen'-byte key needs: header, escaped length, key. */
static inline size_t idx_entry_need(size_t klen)
{
    return IDX_ENTRY_HDR + (klen >= IDX_KLEN_ESC ? sizeof(uint32_t) : 0) + klen;
}

/* Length of the key of 'e' in bytes. */
static inline size_t idx_entry_klen(const struct idx_entry *e)
{
    uint32_t n;

    if (__builtin_expect(e->klen16 != IDX_KLEN_ESC, 1))
        return e->klen16;
    __builtin_memcpy(&n, e->kdata, sizeof(n));
    return n;
}

/* The key bytes of 'e' (idx_entry_klen(e) of them, no terminator); valid while 'e' is. */
static inline const char *idx_entry_key(const struct idx_entry *e)
{
    return __builtin_expect(e->klen16 != IDX_KLEN_ESC, 1) ? e->kdata
                                                           : e->kdata + sizeof(uint32_t);
}

#define IDX_EXPIRE_BITS 40
#define IDX_EXPIRE_MASK ((UINT64_C(1) << IDX_EXPIRE_BITS) - 1)
/* The expiry field counts ms from 2020-01-01T00:00:00Z, so 40 bits reach 2054-11; an
 * expiry outside (IDX_EXPIRE_EPOCH_MS, IDX_EXPIRE_EPOCH_MS + IDX_EXPIRE_MASK) is stored
 * as IDX_EXPIRE_MASK and the store marks it far (its exact value is on disk). */
#define IDX_EXPIRE_EPOCH_MS INT64_C(1577836800000)
#define IDX_FLAGS_SHIFT 56 /* the flags: the top byte of 'loc' */

/* 'expire_flags' of 'e'. Read atomically (relaxed: a plain load on every target we
 * build for), since the store lets readers holding only a read lock update its access
 * field with a compare-and-swap while others read the word. */
static inline uint64_t idx_entry_word(const struct idx_entry *e)
{
    return __atomic_load_n(&e->expire_flags, __ATOMIC_RELAXED);
}

/* Absolute expiry of 'e' in Unix ms, 0 when it has none (the store's far mark aside). */
static inline int64_t idx_entry_expire(const struct idx_entry *e)
{
    uint64_t f = idx_entry_word(e) & IDX_EXPIRE_MASK;

    return f ? IDX_EXPIRE_EPOCH_MS + (int64_t)f : 0;
}

/* The store's flag bits of 'e' (the top byte of 'loc'). Read atomically: readers
 * holding a read lock swap the rest of 'loc' (never the flags) with compare-and-swap. */
static inline unsigned idx_entry_flags(const struct idx_entry *e)
{
    return (unsigned)(__atomic_load_n(&e->loc, __ATOMIC_RELAXED) >> IDX_FLAGS_SHIFT);
}

/* A new entry holding a copy of 'key'/'klen', other fields zero. Never NULL. Entries
 * come from a process-wide arena on huge pages (index/entry_arena.c); any thread. */
struct idx_entry *idx_entry_new(const void *key, size_t klen);
void idx_entry_free(struct idx_entry *e);

/* Bytes 'e' occupies: its arena block, or what malloc gave it. Any thread. */
size_t idx_entry_size(const struct idx_entry *e);

/* Bytes the index's own allocators hand out now, over the whole process: the arena's
 * blocks holding entries (keys up to 490 bytes; bigger ones come from malloc and show in
 * mallinfo2) and the full-size leaf arrays of index/leaf_mem.c. That is the index memory
 * mallinfo2 misses. */
size_t idx_entry_arena_bytes(void);

struct idx_config {
    size_t max_leaf_slots;  /* node size cap in slots (default 65536) */
    size_t max_expand_slots; /* the largest leaf an insert may grow by expanding it in
                              * place; a leaf that would grow past it splits (default
                              * 16384, never above max_leaf_slots): bounds the work one
                              * insert does under the write lock (issue 25) */
};

struct idx;

/* A new empty index. 'cfg' NULL means defaults. */
struct idx *idx_new(const struct idx_config *cfg);

/* Free the index; calls 'free_entry' (NULL: idx_entry_free) on each entry first. */
void idx_free(struct idx *ix, void (*free_entry)(struct idx_entry *e));

/* Remove every key (calling 'free_entry' on each, NULL: idx_entry_free); the index
 * is empty and reusable afterwards. */
void idx_clear(struct idx *ix, void (*free_entry)(struct idx_entry *e));

/* The entry for 'key', or NULL. Reader. */
struct idx_entry *idx_find(const struct idx *ix, const void *key, size_t klen);

/* Insert 'key' unless present. IDX_OK: '*out' is a new zeroed entry now in the index;
 * IDX_EXISTS: '*out' is the entry already there. Writer. */
int idx_insert(struct idx *ix, const void *key, size_t klen, struct idx_entry **out);

/* Remove 'key'. IDX_OK: '*out' is the removed entry, now the caller's to free;
 * IDX_NOTFOUND otherwise. Writer. */
int idx_delete(struct idx *ix, const void *key, size_t klen, struct idx_entry **out);

/* Number of keys. O(1). */
size_t idx_count(const struct idx *ix);

/* Replace the (empty) index's content with 'n' entries sorted by key (memcmp order,
 * shorter first on a tie), unique. The index takes ownership of the entries.
 * Returns IDX_OK, or IDX_EXISTS if the index was not empty (nothing changed). */
int idx_bulk_load(struct idx *ix, struct idx_entry **sorted, size_t n);

/* Ordered iteration. Fields are private. */
struct idx_iter {
    const struct idx *ix;
    const void *leaf;
    size_t slot;
};

/* Position 'it' at the first key >= 'key'/'klen' (klen 0: the first key). Reader. */
void idx_seek(const struct idx *ix, const void *key, size_t klen, struct idx_iter *it);

/* The entry at 'it' then advance, or NULL at the end. */
struct idx_entry *idx_iter_next(struct idx_iter *it);

/* A roughly uniformly chosen entry, or NULL when empty. 'rnd' is a random number. */
struct idx_entry *idx_random(const struct idx *ix, uint64_t rnd);

/* Check every invariant (ALEX.md section 4). Returns an enum idx_rc: IDX_OK, or
 * IDX_ERR_CORRUPT with the first fault described in 'err' (NUL-terminated, cut to
 * 'errlen' bytes; "" on IDX_OK; 'err' may be NULL). Reader. */
int idx_validate(const struct idx *ix, char *err, size_t errlen);

struct idx_stats {
    size_t keys;
    size_t depth;            /* max levels from root to leaf */
    size_t model_nodes, data_nodes;
    size_t index_bytes;      /* nodes, slots, bitmaps, transforms: not entries */
    size_t entry_bytes;      /* entry records: arena block or malloc size each */
    uint64_t expansions, splits_sideways, splits_down, retrains, contractions, merges;
    uint64_t rebuilds;       /* subtrees rebuilt because inserts made them deep */
    uint64_t run_leaves;     /* leaves opened for runs of keys past the last key
                              * (time-ordered keys, index/alex_append.c) ... */
    uint64_t reroutes;       /* ... and model nodes re-routed for them */
    double avg_search_steps; /* sampled on the insert path */
    double avg_depth;        /* levels from the root to a key's leaf, mean over the keys */
    double avg_leaf_cost;    /* the leaves' expected cost when they were last laid out
                              * (ALEX.md 1.5: 20 x mean log2 search error + shifts), mean
                              * over the keys: what a build's fanout choices left lookups */
};

/* Fill '*st'. Visits the nodes, not the entries (their bytes are kept as they come and go):
 * cheap enough for INFO at any number of keys. Reader. */
void idx_stats_get(const struct idx *ix, struct idx_stats *st);

#endif
