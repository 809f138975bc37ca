/* sha256.h - SHA-256 (FIPS 180-4) of a byte string: the ACL stores user passwords as their
 * SHA-256, as Redis does. Plain C, no state kept between calls: any thread. */
#ifndef OMK_COMMON_SHA256_H
#define OMK_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define OMK_SHA256_LEN 32

/* Write the SHA-256 digest of 'len' bytes at 'p' to 'out'. */
void omk_sha256(const void *p, size_t len, uint8_t out[OMK_SHA256_LEN]);

#endif
