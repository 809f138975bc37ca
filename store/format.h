/* format.h - how the keyspace is laid out in RocksDB: the key and value encodings that
 * every byte on disk follows. Only store/ reads or writes these bytes; everything above
 * the store sees (db, key) pairs and value payloads. Once a data directory exists, the
 * values marked "frozen" below can never change meaning: add new values, never reuse.
 *
 * RocksDB key (one per user key; ordered bytewise, so a database is one key range):
 *
 *   offset  size  meaning
 *   0       1     database number, 0..255 (SELECT n)                          frozen
 *   1       n     the user key, binary-safe, n >= 0 (the empty key is legal)   frozen
 *
 * RocksDB value:
 *
 *   offset  size  meaning
 *   0       1     format version: 1 (FMT_VERSION). Readers refuse others.      frozen
 *   1       1     type: 0 string, 1 hash, 2 list, 3 set, 4 zset.               frozen
 *                 Readers refuse types they lack.
 *   2       1     flags, per type. A string: 0x1 FMT_F_RAW: Redis would call it   frozen
 *                 "raw" whatever its bytes (APPEND, SETRANGE made it); 0x2
 *                 FMT_F_NOINT: never "int" (INCRBYFLOAT made it). A collection:
 *                 0x1 FMT_F_SPLIT: split (payload below), else inline;
 *                 0x2 FMT_F_BIG: it left Redis' compact encoding (OBJECT
 *                 ENCODING "hashtable", a zset's "skiplist"; never cleared; a
 *                 list never has it). A string: 0x4 FMT_F_FRAG: stored in fragments
 *                 (payload below). Readers refuse unknown
 *                 bits: a later flag may change how the payload reads.
 *   3       8     absolute expiry, Unix time in ms, little-endian signed;       frozen
 *                 0 = no expiry. A key whose expiry is <= now does not exist.
 *   11      m     payload.                                                     frozen
 *
 * Payloads:
 *   string          its bytes, m >= 0.
 *   inline hash     varint count, then per field: varint flen, field, varint vlen,
 *                   value (fields distinct, in no required order).
 *   inline set      varint count, then per member: varint mlen, member.
 *   inline list     varint count, then per element, head first: varint len, element.
 *   inline zset     as an inline hash, the value being the 8-byte score (fmt_score_put;
 *                   members distinct, in no required order).
 *   split hash/set/ 8 bytes collection id, 8 bytes element count, both little-endian;
 *   zset            the elements are records of the element column family.
 *   split list      the same 16 bytes, then 8 bytes little-endian: the sequence number
 *                   of the head; the elements hold head .. head + count - 1.
 *   fragmented      8 bytes collection id, 8 bytes the string's length, little-endian;
 *   string          its bytes are records of the element column family, FMT_FRAG_BYTES
 *                   each (store/strval.h).
 * A varint is LEB128: 7 bits a byte, low bits first, 0x80 set on every byte but the last.
 *
 * Element column family ("elements"): one record per element of a split collection.
 *
 *   0       8     collection id, big-endian (so one collection is one key range) frozen
 *   8       8     the element's position: fmt_elem_pos() of its bytes, big-endian frozen
 *   16      n     the element (a hash's field, a set's or a zset's member)     frozen
 *   value         a hash: the field's value; a set: empty; a zset: the 8-byte    frozen
 *                 score (fmt_score_put)
 *
 * A split list's elements instead (no position, no element in the key):
 *
 *   0       8     collection id, big-endian                                    frozen
 *   8       8     sequence number, big-endian (head .. head + count - 1; the    frozen
 *                 first element of a new split list is FMT_LIST_SEQ0)
 *   value         the element
 *
 * A fragmented string's fragments (no record: the fragment is all zero bytes):
 *
 *   0       8     collection id, big-endian                                    frozen
 *   8       8     fragment number n, big-endian: bytes n * FMT_FRAG_BYTES ..     frozen
 *   value         those bytes, at most FMT_FRAG_BYTES; bytes past the value's   frozen
 *                 end read as zero (the last fragment may be short)
 *
 * A split zset's score index, in the same family after its elements (byte 8 is
 * FMT_ZSCORE_TAG, above any position's first byte, so element walks stop before it):
 *
 *   0       8     collection id, big-endian                                    frozen
 *   8       1     FMT_ZSCORE_TAG (0xff)                                        frozen
 *   9       8     the score, order-preserving (fmt_score_key_put; -0 as 0)      frozen
 *   17      n     the member                                                   frozen
 *   value         empty; FMT_ZSCORE_NEGZERO ("-") when the score is -0           frozen
 *                 (the key orders it as 0; Redis prints the sign)
 *
 * Positions order a collection's elements by a hash of their bytes, so a random point
 * picks a random element (SPOP, SRANDMEMBER, HRANDFIELD) and a position is a cursor
 * (HSCAN, SSCAN). Records whose id no top-level record holds are dead: a compaction
 * filter drops them (store/coll.c).
 *
 * Meta column family ("meta"): the store's own records, which FLUSHALL leaves alone.
 *
 *   "next-id" -> 8 bytes little-endian: every collection id handed out is below it   frozen
 *   "db-map"  -> 256 bytes: byte d is the db byte (offset 0 of a key, above) that   frozen
 *                holds the keys of database d (SELECT d); a permutation of 0..255.
 *                Absent: the identity. SWAPDB rewrites it (store/dbmap.c).
 */
#ifndef OMK_STORE_FORMAT_H
#define OMK_STORE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_VERSION 1
#define FMT_HDR_LEN 11    /* bytes before the payload */
#define FMT_KEY_INLINE 128 /* RocksDB keys up to this size need no allocation */

/* Value types (offset 1). Frozen numbers. */
enum fmt_type {
    FMT_TYPE_STRING = 0,
    FMT_TYPE_HASH = 1,
    FMT_TYPE_LIST = 2,
    FMT_TYPE_SET = 3,
    FMT_TYPE_ZSET = 4,
};

/* Flags (offset 2) of a hash or a set. Frozen. */
#define FMT_F_SPLIT 0x1
#define FMT_F_BIG 0x2

/* Flags (offset 2) of a string: the history OBJECT ENCODING answers by, and its form.
 * Frozen. */
#define FMT_F_RAW 0x1
#define FMT_F_NOINT 0x2
#define FMT_F_FRAG 0x4 /* stored in fragments: the payload is id | length */
#define FMT_FRAG_BYTES 4096 /* bytes of a fragment of a fragmented string; frozen */

#define FMT_SPLIT_LEN 16   /* payload bytes of a split collection */
#define FMT_ELEM_PREFIX 16 /* element key bytes before the element */
#define FMT_POS_BITS 53    /* positions are below 2^53 (cursors stay exact in a double) */
#define FMT_META_NEXT_ID "next-id" /* the meta record of the id counter */
#define FMT_META_DB_MAP "db-map"   /* the meta record of the database map */
#define FMT_META_BLOB_PREFIX "blob:" /* + a name: a named blob of the daemon (metablob.c) */
#define FMT_LIST_SPLIT_LEN 24 /* payload bytes of a split list */
#define FMT_LIST_SEQ0 (UINT64_C(1) << 63) /* a new split list's first sequence number */
#define FMT_ZSCORE_TAG 0xff   /* byte 8 of a zset's score-index keys */
#define FMT_ZSCORE_PREFIX 17  /* score-index key bytes before the member */
#define FMT_ZSCORE_NEGZERO "-" /* a score-index value: the score is -0 (the key says 0) */

/* A decoded value header. */
struct fmt_hdr {
    unsigned type;     /* enum fmt_type */
    unsigned flags;    /* 0: no flag is defined yet */
    int64_t expire_ms; /* absolute Unix ms, 0: none */
};

/* Write the header of a value of type 'type' with flags 'flags' expiring at 'expire_ms'
 * (0: never) into 'out' (FMT_HDR_LEN bytes). */
void fmt_hdr_encode(unsigned char *out, enum fmt_type type, unsigned flags, int64_t expire_ms);

/* Decode the header at the start of the value 'p'/'len' into '*h'. Returns 0, or
 * STORE_ERR_VALUE (value too short, unknown version, type or flag; '*h' untouched). */
int fmt_hdr_decode(const void *p, size_t len, struct fmt_hdr *h);

/* 1 if a value with header 'h' has expired at Unix time 'now_ms', else 0. */
int fmt_hdr_expired(const struct fmt_hdr *h, int64_t now_ms);

/* A RocksDB key built from (db, user key). Small keys live in 'buf', so building one
 * costs no allocation; fmt_key_deinit() frees a large one. */
struct fmt_key {
    char *p;                   /* the encoded key: p[0] = db, then the user key */
    size_t len;                /* bytes at 'p' (user key length + 1) */
    char buf[FMT_KEY_INLINE];  /* storage for keys up to FMT_KEY_INLINE bytes */
};

/* Encode database 'db' (0..255) and user key 'key'/'klen' into 'k' (copies the bytes).
 * Release with fmt_key_deinit(). */
void fmt_key_init(struct fmt_key *k, int db, const char *key, size_t klen);

/* Same, appending 'extra'/'elen' after the user key (used to build a resume key
 * "key\0" or a prefix "db + literal prefix"). */
void fmt_key_init_suffix(struct fmt_key *k, int db, const char *key, size_t klen,
                         const char *extra, size_t elen);

void fmt_key_deinit(struct fmt_key *k);

/* ---- Collections ---- */

/* The position of element 'p'/'len' in its collection's key range: omk_hash() of its
 * bytes cut to FMT_POS_BITS bits. Frozen with the data: omk_hash must never change. */
uint64_t fmt_elem_pos(const char *p, size_t len);

/* Encode the element key of element 'p'/'len' at position 'pos' of collection 'id'
 * into 'k' (released with fmt_key_deinit). */
void fmt_elem_key(struct fmt_key *k, uint64_t id, uint64_t pos, const char *p, size_t len);

/* Write the 16-byte key prefix of collection 'id' at position 'pos' into 'out'. */
void fmt_elem_prefix(unsigned char *out, uint64_t id, uint64_t pos);

/* Decode element key 'k'/'klen': its id, position and element bytes. 0, or -1 if it is
 * too short. */
int fmt_elem_decode(const char *k, size_t klen, uint64_t *id, uint64_t *pos, const char **elem,
                    size_t *elen);

/* The id and length of fragmented-string payload 'p'/'len'. 0, or -1 if malformed. */
int fmt_frag_meta(const char *p, size_t len, uint64_t *id, uint64_t *strlen_);

/* Append varint 'v' to 'out' (at most 10 bytes); returns the bytes written. */
size_t fmt_varint_put(unsigned char *out, uint64_t v);

/* Read a varint from 'p'/'len' at '*off', advancing it. 0, or -1 if it runs past 'len'
 * or is longer than 10 bytes. */
int fmt_varint_get(const char *p, size_t len, size_t *off, uint64_t *v);

/* Little-endian 64-bit words of split payloads and meta records. */
void fmt_u64_put(unsigned char *out, uint64_t v);
uint64_t fmt_u64_get(const void *p);
/* 8 bytes big-endian (key prefixes: bytewise order is numeric order). */
void fmt_u64_be_put(unsigned char *out, uint64_t v);
uint64_t fmt_u64_be_get(const char *p);

/* The element count of the collection payload 'p'/'len' with flags 'flags' (inline: its
 * leading varint; split: its count word), and with FMT_F_SPLIT its id in '*id' (else
 * 0). 0, or -1 if the payload is malformed. */
/* A zset's score as its value bytes (8, little-endian IEEE 754, -0 kept: Redis prints
 * it) and back. */
void fmt_score_put(unsigned char *out, double score);
double fmt_score_get(const void *p);

/* A score as 8 order-preserving bytes of a score-index key (bytewise order is numeric
 * order; -0 written as 0; never NaN) and back. */
void fmt_score_key_put(unsigned char *out, double score);
double fmt_score_key_get(const void *p);

/* A zset's score-index key (FMT_ZSCORE_PREFIX bytes then the member): the prefix of
 * collection 'id' at 'score' into 'out'; the whole key into 'k' (fmt_key_deinit); and
 * back (0, or -1 if 'k' is not a score-index key). */
void fmt_zscore_prefix(unsigned char *out, uint64_t id, double score);
/* The 9 bytes every score-index key of collection 'id' starts with (id | tag). */
void fmt_zscore_id_prefix(unsigned char *out, uint64_t id);
void fmt_zscore_key(struct fmt_key *k, uint64_t id, double score, const char *m, size_t mlen);
int fmt_zscore_decode(const char *k, size_t klen, uint64_t *id, double *score, const char **m,
                      size_t *mlen);

int fmt_coll_meta(unsigned flags, const char *p, size_t len, uint64_t *count, uint64_t *id);

/* Compare byte strings 'a'/'alen' and 'b'/'blen' in RocksDB's order (bytewise, a proper
 * prefix first): < 0, 0 or > 0. */
int fmt_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Turn the 'len' bytes at 'p' into the smallest byte string greater than every string
 * that starts with them (drop trailing 0xff bytes, add one to the last byte). Returns
 * the new length, or 0 when no such string exists (all bytes were 0xff): then keys with
 * this prefix run to the end of the keyspace. */
size_t fmt_prefix_successor(char *p, size_t len);

#endif
