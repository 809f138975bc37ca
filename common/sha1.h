/* sha1.h - SHA-1 (FIPS 180-4) of a byte string, as lowercase hex: the name of a script
 * in the script cache (EVALSHA, SCRIPT LOAD) and redis.sha1hex(), as Redis names them.
 * Not for security. Plain C, no state kept between calls: any thread. */
#ifndef OMK_COMMON_SHA1_H
#define OMK_COMMON_SHA1_H

#include <stddef.h>

#define OMK_SHA1_HEX_LEN 40

/* Write the SHA-1 digest of 'len' bytes at 'p' to 'hex' as 40 lowercase hex digits and a
 * NUL (OMK_SHA1_HEX_LEN + 1 bytes). */
void omk_sha1_hex(const void *p, size_t len, char hex[OMK_SHA1_HEX_LEN + 1]);

#endif
