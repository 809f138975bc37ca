/* digest.h - DEBUG DIGEST and DEBUG DIGEST-VALUE: a fingerprint of the whole dataset or
 * of single values, as 40 hex digits. Equal datasets give equal digests; a change of any
 * key, value or expiry changes it (up to SHA-256 collisions); an empty dataset gives 40
 * zeros, as in Redis. The digits are omenkv's own (SHA-256 based), not Redis' bytes. */
#ifndef OMK_DAEMON_DIGEST_H
#define OMK_DAEMON_DIGEST_H

#include "common/omk.h"

struct client;

#define DIGEST_HEX_LEN 40

/* The digest of every database into 'hex' (DIGEST_HEX_LEN digits and a NUL). Reads
 * every key and value under c's exec lane (no EXEC runs meanwhile; other writers may).
 * Returns 0, or a store error (< 0). Owner thread; holds no multi_cmd_lock on entry. */
int digest_dataset(struct client *c, char hex[DIGEST_HEX_LEN + 1]);

/* The digest of the value of 'key' in c's database (its type and contents, not its name
 * or expiry); 40 zeros for a missing key. 0, or a store error (< 0). As above. */
int digest_value(struct client *c, struct omk_slice key, char hex[DIGEST_HEX_LEN + 1]);

#endif
