/* acl_cats.c - Redis 7.0's ACL view of its command table, kept as data: every command and
 * subcommand ("config|get") of redis-server 7.0.15, sorted by name, with its ACL categories
 * and what its keys need (read, write or both) for %R~ and %W~ patterns. The rows are the
 * second table of daemon/cmd_keyspecs.def, which tools/gen-cmd-keyspecs.py generates from
 * redis-server's COMMAND reply together with the first (COMMAND INFO's rows), so the two
 * cannot drift apart. Commands Redis has and omenkv does not are listed too, so that rules
 * and category descriptions work as in Redis (ACL CAT lists them, +cmd accepts them).
 * tests/unit/test_acl.c checks that every commands.def row is here. */
#include "config.h"

#include "daemon/acl_cats.h"

#define K(x) ACL_CAT_##x
#define R ACL_KEY_READ
#define W ACL_KEY_WRITE
#define RW (ACL_KEY_READ | ACL_KEY_WRITE)

const struct acl_cmd_info acl_cmds[] = {
/*   name                          key needs: first rest  categories */
#define OMK_KEYSPECS_ACL
#include "daemon/cmd_keyspecs.def"
#undef OMK_KEYSPECS_ACL
};
const int acl_cmds_len = (int)(sizeof(acl_cmds) / sizeof(acl_cmds[0]));

const char *const acl_cat_names[ACL_CAT_COUNT] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
};
