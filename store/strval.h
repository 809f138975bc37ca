/* strval.h - a string key's value inside one store operation, whether it is stored whole
 * (one record) or in fragments (format.h, "a large string"): read any byte range, walk a
 * range piece by piece, write any byte range, then save. Module-private to store/: the
 * string, bitmap and HyperLogLog operations (ops_string.c, ops_bitmap.c, ops_hll.c) read
 * and edit values only through it, so none of them cares how a value is stored.
 *
 * HOW IT WORKS: a value up to the store's fragment threshold (string-fragment-threshold)
 * is one record, read once into RAM (the operation's looked-up value) and, when written,
 * edited in a private copy that strval_save() puts back whole. A longer value is a
 * top-level record (its length and a collection id) plus one record per FMT_FRAG_BYTES
 * slice of it in the element column family; a fragment that was never written (or is all
 * zero) has no record and reads as zero bytes. A read fetches only the fragments it
 * covers; a write rewrites only them, in the operation's write set, and crossing the
 * threshold either way moves the value to the other form. */
#ifndef OMK_STORE_STRVAL_H
#define OMK_STORE_STRVAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_internal.h"

struct strval_frag; /* a fragment read or changed by this operation (strval.c) */

/* A string value being read or edited. Fields above the line may be read by callers. */
struct strval {
    int exists;        /* the key holds a live string (0: missing, reads as "") */
    uint64_t len;      /* its length in bytes, including what writes added so far */
    int64_t expire_ms; /* its expiry (0: none), kept by strval_save() */
    /* ---- strval.c's own ---- */
    struct store_op *op;
    size_t ki;
    unsigned fflags;   /* format flags of the stored value */
    uint64_t id;       /* fragmented: the collection id of its fragments, else 0 */
    const char *whole; /* whole: the stored bytes (the operation's value), else NULL */
    char *copy;        /* whole, once written: the edited copy (len bytes, 'cap' room) */
    size_t cap;
    struct strval_frag *frags; /* fragmented: fragments read or written, by number */
    size_t nfrags, fcap;
    int changed;       /* a write happened since the open */
};

/* Open key 'ki' of locked operation 'op', looked up with STORE_WANT_VALUE, as a string.
 * Returns STORE_OK (a missing key opens empty: 'exists' 0, 'len' 0), STORE_WRONGTYPE (the
 * key holds another type), STORE_ERR_VALUE (its value does not decode). Close it with
 * strval_close() whatever the outcome. */
int strval_open(struct strval *v, struct store_op *op, size_t ki);

/* Begin a read of one string key: 'op' starts on key 'key' of 'db', locked and looked up
 * with its value, and '*v' is opened on it. A fragmented value is read under the key's
 * stripe (the operation is redone as a write that writes nothing), so every fragment it
 * reads belongs to one state of the value; a whole one needs no stripe. Returns what
 * strval_open() returns, or an I/O error; the caller ends 'op' with store_op_end() and
 * closes 'v' in every case. */
int strval_begin_read(struct store_op *op, struct store *s, int db, struct omk_slice key,
                      struct strval *v);

/* Copy bytes [off, off + n) of the value into 'out'; bytes at or past 'len' read as zero
 * (so a caller may read a whole aligned word at the end). STORE_OK or an I/O error. */
int strval_read(struct strval *v, uint64_t off, size_t n, char *out);

/* Called by strval_walk() for each consecutive piece of the range, in order: 'n' bytes
 * at 'p', or, with 'p' NULL, 'n' zero bytes (a fragment with no record). Return 0 to go
 * on, anything else to stop the walk. */
typedef int strval_fn(void *arg, const char *p, size_t n);

/* Hand bytes [off, off + n) of the value (clipped to 'len') to 'fn' piece by piece, each
 * fragment read once through one iterator, without copying the range into one buffer.
 * Sees the value as stored plus this strval's writes. STORE_OK (also when 'fn' stopped
 * the walk) or an I/O error. */
int strval_walk(struct strval *v, uint64_t off, uint64_t n, strval_fn *fn, void *arg);

/* Write 'n' bytes at 'p' over the value from byte 'off', growing it (with zero bytes
 * between the old end and 'off') when 'off + n' passes 'len'. Nothing reaches the write
 * set before strval_save(). The caller has checked 'off + n' against its own limit (the
 * store never makes a string longer than STRVAL_MAX_LEN). STORE_OK or an I/O error
 * (reading a fragment the write covers only in part). Write operations only. */
int strval_write(struct strval *v, uint64_t off, const char *p, size_t n);

/* Grow the value to at least 'len' bytes with zero bytes (SETBIT past the end, BITFIELD).
 * Writes nothing when it is already that long. */
void strval_grow(struct strval *v, uint64_t len);

/* Have strval_save() put the value back as one Redis would call "raw" (FMT_F_RAW) even
 * when nothing is written, as Redis unshares a string (dbUnshareStringValue) before a
 * command that may edit it looks at it: SETBIT, BITFIELD with a write, PFADD, PFCOUNT of
 * one key, PFDEBUG. Nothing when the key is missing or its value is "raw" already. A
 * fragmented value puts back only its top-level record. */
void strval_unshare(struct strval *v);

/* Put the written value into the operation's write set as a string Redis would call
 * "raw" (FMT_F_RAW), keeping its expiry: whole if it is at most the fragment threshold
 * long, else as fragments (a whole value that grew past the threshold moves to
 * fragments under a new id). A fragmented value whose written fragments pass
 * STRVAL_CHUNKED bytes and are at least half of its fragments (SETRANGE over much of a
 * large value), or that becomes fragmented by such a write, moves to a new id too: its fragments go in batches of about
 * COLL_CHUNK_BYTES ahead of the commit, and the write set holds only the top-level record
 * that switches to them. Nothing when nothing was written. STORE_OK or an error. */
int strval_save(struct strval *v);

/* Release what 'v' holds (after strval_open(), whatever it returned). */
void strval_close(struct strval *v);

/* The longest string the store keeps (its length must fit an index entry). */
#define STRVAL_MAX_LEN ((uint64_t)UINT32_MAX)

/* A value put whole above this many bytes writes its fragments in batches of about
 * COLL_CHUNK_BYTES ahead of its operation's commit (the switch to it stays atomic). */
#define STRVAL_CHUNKED ((size_t)8 << 20)

/* ---- Whole values, for the calls that read or replace a value whole -------------------- */

/* The whole value of key 'ki' of 'op' (looked up with STORE_WANT_VALUE, a live string) as
 * a store_val the caller releases: the operation's value itself when it is stored whole,
 * else its fragments read into one buffer. NULL with '*rc' an I/O error. */
struct store_val *strval_take(struct store_op *op, size_t ki, int *rc);

/* Put string value 'p'/'n' with format flags 'fflags' and expiry 'expire_ms' at key 'ki'
 * of write operation 'op': one record up to the fragment threshold, else a new id and its
 * fragments (zero fragments are not written) plus the top-level record, in the
 * operation's write set (past STRVAL_CHUNKED the fragments in batches ahead of it). Used by store_op_put_typed() for every string it puts whole. */
void strval_put_whole(struct store_op *op, size_t ki, unsigned fflags, const void *p, size_t n,
                      int64_t expire_ms);

/* COPY of key 0 of locked write operation 'op', a live fragmented string (looked up), to
 * key 1 (looked up; whatever it holds is replaced): the fragments are written under a
 * new id in batches of about COLL_CHUNK_BYTES, before the new top-level record goes into
 * the operation's write set last (the id is live from before its first batch). Ends
 * 'op' and returns its outcome (on an error the batches written are under a dead id,
 * which compaction drops). */
int strval_copy(struct store_op *op);

#endif
