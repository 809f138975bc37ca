/* test_hllmodel.c - the crash checker's HyperLogLog model (clients/hllmodel.h) against
 * what redis-server 7.0.15 answered: the register and count of single elements (PFADD of
 * one element to a new key, then PFDEBUG GETREG: the one non-zero register), covering
 * hash inputs of 1 to 36 bytes (the 8-byte blocks and every tail length class), and the
 * sparse value GET returned after PFADD v a hello abcdefgh; then dense encoding and
 * decoding round trips and the broken values the decoder must refuse. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clients/hllmodel.h"
#include "tests/tap.h"

/* Registers and counts redis-server 7.0.15 reported (PFDEBUG GETREG). */
static const struct {
    const char *element;
    uint32_t reg;
    uint8_t count;
} known[] = {
    {"a", 12711, 2},
    {"hello", 9216, 1},
    {"abcdefgh", 1383, 1},
    {"abcdefghijklmno", 12377, 4},
    {"redis-hyperloglog-element-0123456789", 3526, 1},
};

static void test_elements(void)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        uint32_t reg;
        uint8_t count;

        hllm_element(known[i].element, strlen(known[i].element), &reg, &count);
        ok(reg == known[i].reg && count == known[i].count,
           "'%s' lands in register %u with count %u (Redis: %u, %u)", known[i].element, reg,
           count, known[i].reg, known[i].count);
    }
}

/* GET of v after PFADD v a hello abcdefgh on redis-server 7.0.15: sparse, the cached
 * cardinality marked stale. */
static const char redis_sparse[] = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
                                   "Ef\x80^\x97\x80M\xa5\x84NW";

static void test_sparse(void)
{
    uint8_t *regs = malloc(HLLM_REGISTERS), want[HLLM_REGISTERS] = {0};
    const char *why = NULL;
    int rc;

    want[1383] = 1;
    want[9216] = 1;
    want[12711] = 2;
    rc = hllm_decode(redis_sparse, sizeof(redis_sparse) - 1, regs, &why);
    ok(rc == 0, "Redis' sparse value decodes (%s)", rc ? why : "ok");
    ok(rc == 0 && memcmp(regs, want, HLLM_REGISTERS) == 0,
       "it holds exactly the registers of a, hello and abcdefgh");
    rc = hllm_decode(redis_sparse, sizeof(redis_sparse) - 2, regs, &why);
    ok(rc < 0, "cut by its last byte (half an XZERO), it is refused: %s", rc ? why : "accepted");
    free(regs);
}

/* Pack 'regs' as a dense value into 'out' (HLLM_DENSE_BYTES). */
static void dense_encode(const uint8_t *regs, unsigned char *out)
{
    memset(out, 0, HLLM_DENSE_BYTES);
    memcpy(out, "HYLL", 4);
    for (size_t i = 0; i < HLLM_REGISTERS; i++) {
        size_t bit = i * 6;

        for (int b = 0; b < 6; b++)
            if (regs[i] >> b & 1)
                out[HLLM_HDR_BYTES + (bit + (size_t)b) / 8] |= (unsigned char)(1u << ((bit + (size_t)b) % 8));
    }
}

/* One test: 'p'/'len' ('what') must be refused by the decoder. */
static void refused(const void *p, size_t len, uint8_t *regs, const char *what)
{
    const char *why = NULL;
    int rc = hllm_decode(p, len, regs, &why);

    ok(rc < 0, "%s is refused: %s", what, rc < 0 ? why : "accepted");
}

static void test_dense(void)
{
    uint8_t *regs = malloc(HLLM_REGISTERS), *back = malloc(HLLM_REGISTERS);
    unsigned char *val = malloc(HLLM_DENSE_BYTES + 1);
    const char *why = NULL;
    uint64_t s = 88172645463325252ULL;
    int rc;

    for (size_t i = 0; i < HLLM_REGISTERS; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        regs[i] = (uint8_t)(s % 64);
    }
    regs[0] = 63;
    regs[HLLM_REGISTERS - 1] = 63; /* the last register ends on the last byte */
    dense_encode(regs, val);
    rc = hllm_decode(val, HLLM_DENSE_BYTES, back, &why);
    ok(rc == 0 && memcmp(regs, back, HLLM_REGISTERS) == 0,
       "a dense value of random registers decodes to them (%s)", rc ? why : "ok");
    refused(val, HLLM_DENSE_BYTES - 1, back, "dense, a byte short");
    refused(val, HLLM_DENSE_BYTES + 1, back, "dense, a byte long");
    val[4] = 2;
    refused(val, HLLM_DENSE_BYTES, back, "encoding 2");
    val[0] = 'h';
    refused(val, HLLM_DENSE_BYTES, back, "a bad magic");
    refused("HYLL\x01", 5, back, "a header cut short");
    /* the literal's NUL is one ZERO opcode more: 16385 registers */
    refused("HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 19, back,
            "an XZERO of 16384 then a ZERO");
    rc = hllm_decode("HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18, back, &why);
    ok(rc == 0 && back[0] == 0 && back[HLLM_REGISTERS - 1] == 0,
       "one XZERO of 16384 is the empty HyperLogLog (%s)", rc ? why : "ok");
    free(regs);
    free(back);
    free(val);
}

int main(void)
{
    test_elements();
    test_sparse();
    test_dense();
    return tap_done();
}
