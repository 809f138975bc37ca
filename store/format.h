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
 *   1       1     type: 0 string; 1 hash, 2 list, 3 set, 4 zset are reserved   frozen
 *                 for those types. Readers of this version accept only 0.
 *   2       1     flags: no bit is defined yet, all must be 0. A later flag may
 *                 change how the payload reads, so readers refuse unknown bits. frozen
 *   3       8     absolute expiry, Unix time in ms, little-endian signed;       frozen
 *                 0 = no expiry. A key whose expiry is <= now does not exist.
 *   11      m     payload. For a string: its bytes, m >= 0.                     frozen
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
    FMT_TYPE_HASH = 1, /* reserved */
    FMT_TYPE_LIST = 2, /* reserved */
    FMT_TYPE_SET = 3,  /* reserved */
    FMT_TYPE_ZSET = 4, /* reserved */
};

/* A decoded value header. */
struct fmt_hdr {
    unsigned type;     /* enum fmt_type */
    unsigned flags;    /* 0: no flag is defined yet */
    int64_t expire_ms; /* absolute Unix ms, 0: none */
};

/* Write the header of a value of type 'type' expiring at 'expire_ms' (0: never) into
 * 'out' (FMT_HDR_LEN bytes). */
void fmt_hdr_encode(unsigned char *out, enum fmt_type type, int64_t expire_ms);

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

/* Compare byte strings 'a'/'alen' and 'b'/'blen' in RocksDB's order (bytewise, a proper
 * prefix first): < 0, 0 or > 0. */
int fmt_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Turn the 'len' bytes at 'p' into the smallest byte string greater than every string
 * that starts with them (drop trailing 0xff bytes, add one to the last byte). Returns
 * the new length, or 0 when no such string exists (all bytes were 0xff): then keys with
 * this prefix run to the end of the keyspace. */
size_t fmt_prefix_successor(char *p, size_t len);

#endif
