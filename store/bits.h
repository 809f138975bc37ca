/* bits.h - the pure bit logic of the bitmap operations (store/ops_bitmap.c): counting and
 * finding bits in a buffer, the ranges BITCOUNT and BITPOS clamp, and reading, writing and
 * adding to BITFIELD's integers with Redis' three overflow rules. No I/O and no state:
 * ops_bitmap.c hands these functions the pieces of a value strval.h reads.
 *
 * Bit numbering is Redis': bit 0 is the most significant bit of the first byte, bit 8 the
 * most significant bit of the second, so an aligned field reads as a big-endian integer. */
#ifndef OMK_STORE_BITS_H
#define OMK_STORE_BITS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The number of bits set in the 'n' bytes at 'p'. */
uint64_t bits_popcount(const void *p, size_t n);

/* The number of the first bit equal to 'bit' (0 or 1) in the 'n' bytes at 'p' (bit 0 being
 * the top bit of p[0]), or -1 when there is none. */
int64_t bits_find(const void *p, size_t n, int bit);

/* The bits of byte 'byte' that lie in the bit range ['first', 'last'] (inclusive), as a
 * mask over the byte (0xff for a byte wholly inside; 0 for one outside). */
unsigned bits_byte_mask(uint64_t byte, uint64_t first, uint64_t last);

/* Turn BITCOUNT's or BITPOS's 'start' and 'end' into bits ['*first', '*last'] of a string
 * of 'len' bytes, as Redis 7.0 does: the two count bytes, or bits when 'in_bits', a negative
 * one counting from the end; then both are pulled into the string (a start before it
 * becomes 0, an end past it the last unit). Returns 1, or 0 when the range is empty (start
 * after end, or an empty string); '*first' and '*last' are written only on 1. */
int bits_range(uint64_t len, long long start, long long end, int in_bits, uint64_t *first,
               uint64_t *last);

/* Combine the 'n' bytes at 'src' into the 'n' bytes at 'dst' with BITOP's 'op'
 * (STORE_BITOP_AND, _OR or _XOR): dst[i] = dst[i] op src[i]. */
void bits_combine(unsigned char *dst, const void *src, size_t n, enum store_bitop op);

/* The unsigned field of 'width' bits (1..64) at bit 'off' of 'p' (off + width bits must lie
 * in the buffer). */
uint64_t bits_get_u(const unsigned char *p, uint64_t off, unsigned width);

/* The same field read as a two's complement signed integer. */
int64_t bits_get_i(const unsigned char *p, uint64_t off, unsigned width);

/* Write the low 'width' bits (1..64) of 'v' as the field at bit 'off' of 'p', leaving every
 * other bit alone. */
void bits_set(unsigned char *p, uint64_t off, unsigned width, uint64_t v);

/* Bytes a field of 'width' bits starting at bit 'shift' (0..7) of its first byte covers. */
size_t bits_field_bytes(unsigned shift, unsigned width);

/* Run BITFIELD operation 'op' (store.h: its kind, type, overflow rule and argument) on the
 * field at bit 'shift' (op->offset mod 8, so 0..7) of the buffer 'p', which holds at least
 * bits_field_bytes(shift, op->bits) bytes from the field's first byte. Fills op->result
 * (GET: the value; SET: the value before; INCRBY: the value after) or sets op->failed (an
 * overflow under STORE_BF_FAIL: nothing is written). Returns 1 when it wrote the field
 * (SET and INCRBY that did not fail), else 0. */
int bits_field_apply(unsigned char *p, unsigned shift, struct store_bf_op *op);

#endif
