/* hllmodel.h - a client-side model of a Redis HyperLogLog's registers, for checkers that
 * must know what a PFADD changed without asking the server (clients/omenkv-crashcheck):
 * which register an element lands in and the count it offers there, and the 16384
 * registers of a stored "HYLL" string (sparse or dense), decoded read-only. Written from
 * the published format and algorithm (MurmurHash64A, 14 index bits, the run of zero bits
 * after them), as omenkv's own implementation must match it byte for byte. */
#ifndef OMK_CLIENTS_HLLMODEL_H
#define OMK_CLIENTS_HLLMODEL_H

#include <stddef.h>
#include <stdint.h>

#define HLLM_REGISTERS 16384 /* registers of one HyperLogLog (2^14) */
#define HLLM_HDR_BYTES 16    /* "HYLL", encoding, 3 unused, 8 cached cardinality */
#define HLLM_DENSE_BYTES (HLLM_HDR_BYTES + HLLM_REGISTERS * 6 / 8) /* 12304 */

/* The register element 'p'/'len' lands in ('*reg', below HLLM_REGISTERS) and the count it
 * offers there ('*count', 1 to 51): a PFADD of it raises that register to 'count' if it
 * is lower. */
void hllm_element(const void *p, size_t len, uint32_t *reg, uint8_t *count);

/* Decode the HyperLogLog string 'p'/'len' into 'regs' (HLLM_REGISTERS bytes). Returns 0,
 * or -1 with a short reason in '*why' (a static string) when it is not a HyperLogLog
 * (magic, encoding, dense length) or its sparse opcodes do not cover exactly
 * HLLM_REGISTERS registers; 'regs' is then unspecified. */
int hllm_decode(const void *p, size_t len, uint8_t *regs, const char **why);

#endif
