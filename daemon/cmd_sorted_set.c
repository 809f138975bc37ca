/* cmd_sorted_set.c - sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK
 * ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 * ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX
 * ZMPOP ZRANDMEMBER ZUNION ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE ZSCAN,
 * then the blocking pops. Each checks its arguments in the order Redis 7.0 does (so the
 * same bad request gets the same error), makes one store call (store/ops_zset.c: atomic
 * under the stripes of its keys, WRONGTYPE for a key of another type) and replies. */
#include "config.h"

#include <limits.h>

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"

/* ---- Blocking pops (daemon/blocking.c) ---- */
