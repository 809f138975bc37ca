/* coll.h - the collection layer every collection type is built on (module-private to
 * store/): a hash or a set opened inside a store operation, read and changed element by
 * element whatever its layout (inline: one record; split: one record per element in the
 * element column family), then saved in one write set; the live-id set the element
 * filter asks; the id counter. ops_hash.c, ops_set.c and ops_zset.c are its users (a
 * zset is a map of members to 8-byte scores here; a split one also keeps its score
 * index, written beside each element record: format.h).
 *
 * HOW IT WORKS. A collection is opened under its key's stripe (a store_op in write
 * mode, even to read: reads of a split collection then see one state, since no writer
 * of the key can come between its element reads). Changes made through it are visible
 * to its own later reads at once (an inline collection is edited in RAM; a split one
 * keeps its changes in a pending table over RocksDB), and reach RocksDB only with the
 * operation's write set: the changed element records and the top-level record in one
 * batch. coll_save() picks the layout: inline while the serialized payload fits
 * store_coll_limits.inline_max_bytes; past it the collection is split (a new id, every
 * element written as a record, in the same batch); a split one goes back inline when it
 * shrinks to COLL_SHRINK_COUNT elements and half the limit. A split element read or
 * written goes to the element cache (elemcache.h): a later read of it under the stripe
 * reads no RocksDB record. Redis' encoding (OBJECT
 * ENCODING) is the FMT_F_BIG flag, kept apart from the layout: the type files set it by
 * Redis 7.0's rules and nothing clears it. */
#ifndef OMK_STORE_COLL_H
#define OMK_STORE_COLL_H

#include <stddef.h>
#include <stdint.h>

#include "common/omk.h"
#include "store/store.h"
#include "store/store_internal.h"

#define COLL_SHRINK_COUNT 16 /* a split collection this small may go back inline */
#define COLL_CHUNK_BYTES (1u << 20) /* a builder writes its elements in batches this big */

/* ---- Live ids and the id counter ----------------------------------------------------- */

/* Create / free the store's id state (store_open / store_close). */
struct coll_ids *coll_ids_new(void);
void coll_ids_free(struct coll_ids *ids);

/* Read the counter from the meta column family (store_open, after a reopen). STORE_OK
 * or an error. */
int coll_ids_load_counter(struct store *s);

/* Forget every live id ('loaded' 0: the filter keeps everything until coll_ids_loaded);
 * the index load then counts each split key's id with coll_ids_ref(). */
void coll_ids_reset(struct store *s);
void coll_ids_loaded(struct store *s);

/* One more / one fewer top-level record holds 'id'; the unref returns 1 when that was
 * the last (the id is dead), else 0. */
void coll_ids_ref(struct store *s, uint64_t id);
int coll_ids_unref(struct store *s, uint64_t id);

/* rocks_live_fn: 1 while 'id' is held (or the index is still loading). 'arg' is the store. */
int coll_ids_live(void *arg, uint64_t id);

/* Number of live ids (store_check). */
size_t coll_ids_count(struct store *s);

/* A new collection id, never handed out before (leased in blocks: the counter's record
 * is written ahead of the block's first use). The caller holds a reference to it (it is
 * live) until coll_ids_unref(). STORE_OK or the counter write's error. */
int coll_id_new(struct store *s, uint64_t *id);

/* ---- Split lists' heads ------------------------------------------------------------------
 * A split list's head (the sequence number of its element 0) is only in its top-level
 * record, which the value cache never holds; this table keeps it in RAM for the lists
 * used last, so a list command reads no record to find its elements. Every call on an
 * id is made under its key's stripe. An entry is set once RocksDB holds what it says
 * (ops_list.c: after a commit outside a transaction, or after reading the record),
 * answers only while the index entry's count is the one it was set with, and the table
 * is emptied whenever the index is loaded again (coll_ids_reset). */

/* 1 with '*head' set if the table knows split list 'id' holding 'count' elements. */
int coll_list_head_get(struct store *s, uint64_t id, uint64_t count, uint64_t *head);
void coll_list_head_set(struct store *s, uint64_t id, uint64_t count, uint64_t head);
void coll_list_head_forget(struct store *s, uint64_t id);

/* ---- A collection opened in an operation ---------------------------------------------- */

/* What a read's coll_open() or coll_peek() returns for a split collection: only an
 * operation holding the key's stripe may read it. Not a store_rc: never returned past the
 * store. */
#define COLL_SPLIT 100

/* An element (with its value, for a hash) held in RAM. */
struct coll_elem {
    struct omk_slice e, v;
};

struct coll_pending; /* a split collection's changes not yet written (coll.c) */

struct coll {
    struct store_op *op;
    size_t ki;              /* its key in 'op' */
    int type;               /* STORE_TYPE_HASH, STORE_TYPE_SET or STORE_TYPE_ZSET */
    int existed;            /* the key held such a collection when opened */
    unsigned fflags;        /* FMT_F_SPLIT, FMT_F_BIG as the collection stands now */
    int64_t expire_ms;      /* its expiry (kept by every write) */
    uint64_t count;         /* its elements now */
    uint64_t id;            /* split: its id */
    int changed;            /* coll_save() has something to write */
    uint64_t removed;       /* split elements removed through this handle */
    /* Inline: the elements, pointing into 'src' (the value read) or 'mem'. */
    struct coll_elem *el;
    size_t n, cap;
    char **mem;             /* copies of elements set through this handle */
    size_t nmem, capmem;
    struct store_val *src;
    struct coll_pending *pend; /* split */
    /* A split zset's score-index change, told as it enters the write set: member 'm'
     * left score bytes 'old' (NULL: it was absent) for 'nw' (NULL: removed). NULL: none
     * (ops_zset.c sets it to keep its rank blocks, zrank.h). */
    void (*on_zscore)(struct coll *c, struct omk_slice m, const struct omk_slice *old,
                      const struct omk_slice *nw);
    void *zarg;
};

/* Open key 'ki' of locked write operation 'op' as a collection of 'type'. STORE_OK (a
 * missing key opens empty, 'existed' 0), STORE_WRONGTYPE, STORE_ERR_VALUE (the stored
 * value does not decode) or an error. Close with coll_close(). A read operation (no
 * stripe) opens an inline collection the same way, to be read only, as it stood at one
 * instant; for a split one (or one that changed between its two lookups) it returns
 * COLL_SPLIT: open it again in a write operation. */
int coll_open(struct coll *c, struct store_op *op, size_t ki, int type);
void coll_close(struct coll *c);

/* Begin an operation that only reads collection 'key' of 'type' and open it: an inline
 * one in a read operation, with no stripe (as GET reads a string), a split one in a write
 * operation holding its stripe. Returns as coll_open() does (never COLL_SPLIT); end the
 * operation and close 'c' in every case, as after coll_open(). */
int coll_begin_read(struct store_op *op, struct coll *c, struct store *s, int db,
                    struct omk_slice key, int type);

/* Look element 'e' up in key 'ki' of locked operation 'op' (a read: no stripe) without
 * opening the collection: an inline one of 'type' answers from its record, as a GET
 * answers from a string's, seen as of one instant. STORE_OK with '*v' pointing into
 * op->key[ki].val (which store_op_take_val may hand on: '*v' stays valid as long as that
 * value), STORE_NOTFOUND (no such key or element), STORE_WRONGTYPE, STORE_ERR_VALUE, an
 * I/O error, or COLL_SPLIT. */
int coll_peek(struct store_op *op, size_t ki, int type, struct omk_slice e, struct omk_slice *v);

/* Whether 'e' is an element; with 'v' non-NULL its value in '*v', valid until the next
 * change through 'c' or its close. STORE_OK, STORE_NOTFOUND or an I/O error. */
int coll_find(struct coll *c, struct omk_slice e, struct omk_slice *v);

/* Set element 'e' (to value 'v'; a set's is empty); '*added' 1 if it was new. A set's
 * member already there changes nothing (the key is not touched, as in Redis); a hash's
 * field is rewritten even with the same value (Redis touches it too). */
int coll_set(struct coll *c, struct omk_slice e, struct omk_slice v, int *added);

/* Remove element 'e'; '*removed' 1 if it was there. */
int coll_remove(struct coll *c, struct omk_slice e, int *removed);

/* Remove element 'e', which a walk or a pick through 'c' (since it was opened) found
 * with value 'v' (a zset's score bytes as stored): coll_remove() without reading the
 * element again (a split collection's element read is a RocksDB Get). An element
 * changed through 'c' since is looked up as coll_remove() does. STORE_OK or an error. */
int coll_remove_found(struct coll *c, struct omk_slice e, struct omk_slice v);

/* Called per element by the walks below; return non-zero to stop. */
typedef int coll_each_fn(void *arg, struct omk_slice e, struct omk_slice v);

/* Call 'fn' for every element (the pending changes included). STORE_OK or an error. */
int coll_each(struct coll *c, coll_each_fn *fn, void *arg);

/* HSCAN / SSCAN over 'c' (store.h's promise): inline, every element and '*next' 0; split,
 * from position 'cursor' on until 'count' elements were examined, the rest of the last
 * position's elements included. Only for a collection unchanged since it was opened. */
int coll_scan(struct coll *c, uint64_t cursor, size_t count, coll_each_fn *fn, void *arg,
              uint64_t *next);

/* Pick one element at random (a collection unchanged since opened, or changed only by
 * removals), writing a copy of it and of its value into the caller's buffers:
 * '*e'/'*v' are freed with omk_free. Inline: uniform. Split: a random position, the
 * next COLL_PICK_WINDOW elements from there (wrapping), one of those at random.
 * STORE_OK, STORE_NOTFOUND (empty) or an error. */
#define COLL_PICK_WINDOW 8
int coll_pick(struct coll *c, store_rand_fn *rnd, char **e, size_t *elen, char **v, size_t *vlen);

/* Call 'fn' for 'count' elements picked at random: distinct (every element when 'count'
 * is at least the count) unless 'repeats'; '*n' says how many ('fn' may stop it early).
 * Distinct picks are at most the collection, copied first; picks with repeats are
 * streamed, one copy at a time, so no count makes this hold more than one. Distinct samples are
 * exactly uniform by one walk (Knuth's selection sampling) when the collection is in
 * RAM or the sample is over a quarter of it; a small sample of a split collection is
 * drawn by coll_pick() (a seek and a few steps each), with a walk as the fallback when
 * picks keep repeating. Picks with repeats are coll_pick() each. The elements are copied
 * first, so 'fn' may change the collection (SPOP). STORE_OK or an error. */
int coll_sample(struct coll *c, uint64_t count, int repeats, store_rand_fn *rnd, coll_each_fn *fn,
                void *arg, size_t *n);

/* Write the collection's changes into the operation's write set (nothing if none):
 * delete the key when empty, else put it in the layout that fits (see HOW IT WORKS). */
int coll_save(struct coll *c);

/* The limits in force (store_coll_limits, read once). */
void coll_limits(struct store *s, struct store_coll_limits *l);

/* 1 if 'e' reads as a 64-bit integer the way Redis' string2ll reads it (intset). */
int coll_is_int(struct omk_slice e);

/* ---- Calls the types share ------------------------------------------------------------ */

/* HLEN, SCARD: the count of collection 'key' of 'type' from RAM (a read operation, no
 * stripe, no RocksDB read). STORE_OK (0 for a missing key), STORE_WRONGTYPE, or
 * STORE_ERR_VALUE. */
int coll_count_key(struct store *s, int db, struct omk_slice key, int type, uint64_t *n);

/* HSCAN, SSCAN on collection 'key' of 'type' (store.h's store_hscan). */
int coll_scan_key(struct store *s, int db, struct omk_slice key, int type, uint64_t cursor,
                  const char *pat, size_t plen, size_t count, store_pair_cb *cb, void *arg,
                  uint64_t *next);

/* ---- Building a collection from nothing (COPY, SINTERSTORE, ...) ----------------------- */

struct coll_builder {
    struct store *s;
    int type;
    unsigned fflags;
    uint64_t count;
    unsigned char *buf;      /* inline payload so far (elements only) */
    size_t len, cap;
    uint64_t id;             /* once split: the new id (referenced until coll_build_done) */
    struct rocks_batch *b;   /* once split: the chunk being filled */
    size_t chunk;            /* bytes in 'b' */
    int rc;                  /* the first error */
};

void coll_build_init(struct coll_builder *bd, struct store *s, int type);

/* Add element 'e' (value 'v') to the collection being built; elements must be distinct. */
void coll_build_add(struct coll_builder *bd, struct omk_slice e, struct omk_slice v);

/* Put the built collection (flags 'fflags' | what the build chose) at key 'ki' of 'op'
 * with expiry 'expire_ms', or delete the key when it is empty. STORE_OK or the error of
 * a chunk write (nothing put). */
int coll_build_finish(struct coll_builder *bd, struct store_op *op, size_t ki, unsigned fflags,
                      int64_t expire_ms);

/* Release the builder, after its operation ended (drops the id's build reference). */
void coll_build_done(struct coll_builder *bd);

/* Copy every element of collection 'c' into 'bd'. STORE_OK or an error. */
int coll_build_from(struct coll_builder *bd, struct coll *c);

#endif
