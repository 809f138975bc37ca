/* hll.h - Redis' HyperLogLog string value, byte for byte: validate one, add elements,
 * count, merge, convert, decode, and PFSELFTEST's checks. Pure code over bytes in RAM
 * (no store calls, no locks): store/ops_hll.c reads a value through strval.h, edits it
 * here and writes it back, so a value Redis wrote reads the same here and the other way.
 *
 * THE VALUE (Redis 7's published layout; all integers little endian):
 *
 *   offset  size  meaning
 *   0       4     "HYLL"
 *   4       1     encoding: 0 dense, 1 sparse (anything else is not an HLL)
 *   5       3     unused (copied, never checked)
 *   8       8     cached cardinality; bit 7 of byte 15 set: stale, count again
 *   16      ...   registers: dense, 16384 6-bit registers packed from the low bit of
 *                 byte 16 upwards (12288 bytes, so a dense value is exactly 12304
 *                 bytes); sparse, a run-length code of the same registers:
 *                   00xxxxxx           ZERO:  xxxxxx + 1 registers (1..64) at 0
 *                   01xxxxxx yyyyyyyy  XZERO: xxxxxxyyyyyyyy + 1 registers (1..16384) at 0
 *                   1vvvvvxx           VAL:   xx + 1 registers (1..4) at vvvvv + 1 (1..32)
 *
 * An element goes to register (h & 16383), h = MurmurHash64A(element, seed 0xadc83b19),
 * with value 1 + the number of zero bits above bit 13 of h before the first one (1..51).
 * A sparse value becomes dense when a register needs more than 32, or when an edit
 * would make it longer than hll-sparse-max-bytes (the whole value, header included). */
#ifndef OMK_STORE_HLL_H
#define OMK_STORE_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P 14                        /* register index bits */
#define HLL_REGISTERS (1u << HLL_P)     /* 16384 */
#define HLL_BITS 6                      /* bits of a dense register */
#define HLL_HDR_SIZE 16                 /* bytes before the registers */
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8) /* 12304 */
#define HLL_DENSE 0                     /* encoding byte values */
#define HLL_SPARSE 1
#define HLL_SPARSE_VAL_MAX 32           /* the largest register a sparse value holds */
#define HLL_SPARSE_MAX_BYTES_DEFAULT 3000 /* hll-sparse-max-bytes */
#define HLL_EMPTY_SIZE (HLL_HDR_SIZE + 2) /* a new HLL: sparse, one XZERO of 16384 */

/* Outcomes of the calls below. */
enum hll_rc {
    HLL_OK = 0,
    HLL_CHANGED = 1,     /* an add or a set raised a register */
    HLL_ERR_NOTHLL = -1, /* the string is not an HLL (Redis: "WRONGTYPE Key is not a valid
                          * HyperLogLog string value.") */
    HLL_ERR_CORRUPT = -2, /* its registers do not decode ("INVALIDOBJ Corrupted HLL object
                           * detected") */
};

/* A value being edited: 'len' bytes at 'p', room for 'cap'. Owned by the struct:
 * hll_init_* fills it, hll_free releases it.
 * 'tail' is the byte Redis' string holds just past the value: its terminating NUL, but
 * when an edit splits an XZERO cut short by the end of the value, Redis writes the new
 * sequence's last byte there after setting the new length, and a later walk reads it
 * as the low byte of an XZERO that is again cut short. The byte stays with Redis' string
 * object until a write of another length ends it with a NUL again, so the caller keeps it
 * between calls (store/ops_hll.c). */
struct hll {
    uint8_t *p;
    size_t len, cap;
    uint8_t tail;
};

/* Whether a string of 'len' bytes starting with the bytes at 'p' passes Redis' checks
 * for an HLL: at least the header, the magic, a known encoding, and exactly
 * HLL_DENSE_SIZE bytes if dense. Only the header is read ('p' may hold just the first
 * HLL_HDR_SIZE bytes when 'len' is larger); a sparse code is checked by the calls that
 * walk it. HLL_OK or HLL_ERR_NOTHLL. */
int hll_check(const void *p, size_t len);

/* Fill 'h' with a new empty HLL (sparse, cached cardinality 0 and valid), as PFADD and
 * PFMERGE create a missing key. */
void hll_init_empty(struct hll *h);

/* Fill 'h' with a copy of the 'len' bytes at 'p' (checked by the caller). */
void hll_init_copy(struct hll *h, const void *p, size_t len);

/* Release what 'h' holds; 'h' may then be filled again. */
void hll_free(struct hll *h);

/* MurmurHash64A of the 'len' bytes at 'p' with 'seed', on any byte order. */
uint64_t hll_murmur64a(const void *p, size_t len, uint64_t seed);

/* The register element 'ele'/'len' goes to ('*index') and the value it offers (the
 * return value, 1..51). */
unsigned hll_pattern(const void *ele, size_t len, unsigned *index);

/* Raise register 'index' of 'h' to 'count' (1..63) if it is lower, as Redis does it in
 * either encoding: a sparse code is edited in place (and its neighbours merged), or
 * made dense first when 'count' is over 32 or the edit would pass 'sparse_max' bytes.
 * A change marks the cached cardinality stale. HLL_CHANGED, HLL_OK (nothing to do), or
 * HLL_ERR_CORRUPT (the sparse code does not cover register 'index', or does not decode
 * when made dense; 'h' is then unchanged). */
int hll_set(struct hll *h, unsigned index, unsigned count, size_t sparse_max);

/* hll_set() for the register and value of element 'ele'/'len' (PFADD). */
int hll_add(struct hll *h, const void *ele, size_t len, size_t sparse_max);

/* Make 'h' dense (header copied, cached cardinality included; encoding 0). HLL_OK
 * (also when it already was), HLL_CHANGED (it was sparse and is now dense), or
 * HLL_ERR_CORRUPT (the sparse code does not cover exactly 16384 registers; unchanged). */
int hll_to_dense(struct hll *h);

/* The encoding byte of a checked value. */
static inline int hll_encoding(const void *p)
{
    return ((const uint8_t *)p)[4];
}

/* The cached cardinality of checked value 'p' into '*card': 1 if it is valid, 0 if it
 * is stale ('*card' untouched). */
int hll_cache_get(const void *p, uint64_t *card);

/* Store 'card' (< 2^63) as the valid cached cardinality of 'p'. */
void hll_cache_set(void *p, uint64_t card);

/* Mark the cached cardinality of 'p' stale. */
void hll_cache_invalidate(void *p);

/* Register 'i' of dense registers 'regs' (HLL_DENSE_SIZE - HLL_HDR_SIZE bytes). */
unsigned hll_dense_get(const uint8_t *regs, unsigned i);

/* Set register 'i' of dense registers 'regs' to 'val' (0..63). */
void hll_dense_set(uint8_t *regs, unsigned i, unsigned val);

/* Count the registers of checked value 'h' (the cache is not consulted) into
 * '*card' with Redis 7's estimator (Ertl's improved one). HLL_OK, or HLL_ERR_CORRUPT
 * for a sparse code that does not cover exactly 16384 registers. */
int hll_count(const struct hll *h, uint64_t *card);

/* Merge checked value 'h' into 'max' (one byte per register): max[i] becomes the
 * larger of the two. HLL_OK or HLL_ERR_CORRUPT (a sparse code that does not cover
 * exactly 16384 registers; 'max' may then be partly raised). */
int hll_merge(uint8_t max[HLL_REGISTERS], const struct hll *h);

/* The estimate for registers 'max' (one byte each, 0..63): PFCOUNT of several keys. */
uint64_t hll_count_bytes(const uint8_t max[HLL_REGISTERS]);

/* PFDEBUG DECODE of checked sparse value 'h': its opcodes as Redis spells them
 * ("Z:16384", "z:3", "v:2,1", separated by one space). Returns memory freed with
 * omk_free, NUL-terminated, its length in '*outlen'. */
char *hll_decode(const struct hll *h, size_t *outlen);

/* PFSELFTEST: check the dense register packing on random values, then add ten million
 * elements to a dense and a sparse HLL ('sparse_max' as hll-sparse-max-bytes) checking
 * at 1, 10, 100, ... that the sparse one stays sparse while small, that both count the
 * same, and that the error is within six standard errors. 0, or -1 with the failure in
 * 'err' (errlen bytes, NUL-terminated) worded as Redis words it ("TESTFAILED ..."). */
int hll_selftest(size_t sparse_max, char *err, size_t errlen);

#endif
