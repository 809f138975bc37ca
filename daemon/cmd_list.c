/* cmd_list.c - list commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE LSET
 * LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, then the blocking pops. Each checks its
 * arguments in the order Redis 7.0 does (so the same bad request gets the same error),
 * makes one store call (store/ops_list.c: atomic under the stripes of its keys,
 * WRONGTYPE for a key of another type) and replies. Elements of unknown number are
 * written by the store's callback into a deferred reply. */
#include "config.h"

#include <limits.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* ---- Blocking pops (daemon/blocking.c) ---- */
