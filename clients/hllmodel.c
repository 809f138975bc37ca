/* hllmodel.c - the HyperLogLog register model of hllmodel.h.
 *
 * HOW IT WORKS. An element is hashed with MurmurHash64A (64-bit, seed 0xadc83b19, the
 * input read as little-endian 8-byte words); the low 14 bits of the hash pick the
 * register; the count is one plus the number of zero bits above them, counted from bit
 * 14 upwards, with bit 64 treated as set so that the count is at most 51. A stored
 * HyperLogLog is a 16-byte header ("HYLL", an encoding byte: 0 dense, 1 sparse, three
 * unused bytes, the cached cardinality) and either 16384 6-bit registers packed from the
 * least significant bit of each byte up (dense) or a run-length list of opcodes
 * (sparse): 00xxxxxx is xxxxxx+1 zero registers, 01xxxxxx yyyyyyyy is the 14-bit
 * xxxxxxyyyyyyyy+1 zero registers, 1vvvvvxx is xx+1 registers of value vvvvv+1. */
#include "config.h"

#include <string.h>

#include "clients/hllmodel.h"

#define HLLM_P 14                    /* index bits */
#define HLLM_SEED 0xadc83b19ULL      /* the hash seed Redis uses */
#define HLLM_DENSE_REG_BYTES (HLLM_REGISTERS * 6 / 8)

/* MurmurHash64A of 'p'/'len' with 'seed'. */
static uint64_t hllm_murmur64a(const unsigned char *p, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    size_t nblocks = len / 8;

    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k = 0;

        for (int b = 7; b >= 0; b--) /* little-endian, whatever this machine is */
            k = (k << 8) | p[i * 8 + (size_t)b];
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    p += nblocks * 8;
    switch (len & 7) {
    case 7:
        h ^= (uint64_t)p[6] << 48;
        /* fall through */
    case 6:
        h ^= (uint64_t)p[5] << 40;
        /* fall through */
    case 5:
        h ^= (uint64_t)p[4] << 32;
        /* fall through */
    case 4:
        h ^= (uint64_t)p[3] << 24;
        /* fall through */
    case 3:
        h ^= (uint64_t)p[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint64_t)p[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint64_t)p[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

void hllm_element(const void *p, size_t len, uint32_t *reg, uint8_t *count)
{
    uint64_t h = hllm_murmur64a(p, len, HLLM_SEED);
    uint8_t n = 1;

    *reg = (uint32_t)(h & (HLLM_REGISTERS - 1));
    h >>= HLLM_P;
    h |= 1ULL << (64 - HLLM_P); /* the count stops at 51 */
    while (!(h & 1)) {
        n++;
        h >>= 1;
    }
    *count = n;
}

int hllm_decode(const void *p, size_t len, uint8_t *regs, const char **why)
{
    const unsigned char *s = p, *body = s + HLLM_HDR_BYTES;
    size_t blen, at = 0, reg = 0;

    if (len < HLLM_HDR_BYTES || memcmp(s, "HYLL", 4) != 0) {
        *why = "no HYLL header";
        return -1;
    }
    blen = len - HLLM_HDR_BYTES;
    if (s[4] == 0) {
        if (len != HLLM_DENSE_BYTES) {
            *why = "dense, of the wrong length";
            return -1;
        }
        for (size_t i = 0; i < HLLM_REGISTERS; i++) {
            size_t byte = i * 6 / 8, fb = i * 6 % 8;
            unsigned v = body[byte] >> fb;

            if (byte + 1 < HLLM_DENSE_REG_BYTES)
                v |= (unsigned)body[byte + 1] << (8 - fb);
            regs[i] = (uint8_t)(v & 63);
        }
        return 0;
    }
    if (s[4] != 1) {
        *why = "an unknown encoding";
        return -1;
    }
    memset(regs, 0, HLLM_REGISTERS);
    while (at < blen) {
        unsigned op = body[at];
        size_t run;
        uint8_t val = 0;

        if ((op & 0xc0) == 0) {
            run = (op & 0x3f) + 1;
            at++;
        } else if ((op & 0xc0) == 0x40) {
            if (at + 1 >= blen) {
                *why = "sparse, cut inside an opcode";
                return -1;
            }
            run = (((size_t)op & 0x3f) << 8 | body[at + 1]) + 1;
            at += 2;
        } else {
            val = (uint8_t)(((op >> 2) & 0x1f) + 1);
            run = (op & 3) + 1;
            at++;
        }
        if (reg + run > HLLM_REGISTERS) {
            *why = "sparse, covering more than 16384 registers";
            return -1;
        }
        memset(regs + reg, val, run);
        reg += run;
    }
    if (reg != HLLM_REGISTERS) {
        *why = "sparse, covering fewer than 16384 registers";
        return -1;
    }
    return 0;
}
