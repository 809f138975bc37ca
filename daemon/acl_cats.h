/* acl_cats.h - Redis 7.0's command table as the ACL sees it (acl_cats.c): every command
 * and subcommand name with its ACL categories and what its keys need. The ACL numbers
 * commands by their index in acl_cmds[] (an "ACL id"); omenkv's own commands.def rows map
 * to these ids by name. Read-only data: any thread. */
#ifndef OMK_DAEMON_ACL_CATS_H
#define OMK_DAEMON_ACL_CATS_H

#include <stdint.h>

/* The categories, in the order Redis 7.0's ACL CAT lists them and ACL GETUSER tries them. */
enum acl_cat {
    ACL_CAT_KEYSPACE = 1u << 0,
    ACL_CAT_READ = 1u << 1,
    ACL_CAT_WRITE = 1u << 2,
    ACL_CAT_SET = 1u << 3,
    ACL_CAT_SORTEDSET = 1u << 4,
    ACL_CAT_LIST = 1u << 5,
    ACL_CAT_HASH = 1u << 6,
    ACL_CAT_STRING = 1u << 7,
    ACL_CAT_BITMAP = 1u << 8,
    ACL_CAT_HYPERLOGLOG = 1u << 9,
    ACL_CAT_GEO = 1u << 10,
    ACL_CAT_STREAM = 1u << 11,
    ACL_CAT_PUBSUB = 1u << 12,
    ACL_CAT_ADMIN = 1u << 13,
    ACL_CAT_FAST = 1u << 14,
    ACL_CAT_SLOW = 1u << 15,
    ACL_CAT_BLOCKING = 1u << 16,
    ACL_CAT_DANGEROUS = 1u << 17,
    ACL_CAT_CONNECTION = 1u << 18,
    ACL_CAT_TRANSACTION = 1u << 19,
    ACL_CAT_SCRIPTING = 1u << 20,
};
#define ACL_CAT_COUNT 21

/* What a key argument needs from a %R~ / %W~ pattern. */
#define ACL_KEY_READ 0x1
#define ACL_KEY_WRITE 0x2

struct acl_cmd_info {
    const char *name;   /* lower case; a subcommand is "parent|sub" */
    uint8_t key_first;  /* ACL_KEY_* needed by the first key (0: no keys) */
    uint8_t key_rest;   /* ACL_KEY_* needed by the other keys */
    uint32_t cats;      /* ACL_CAT_* */
};

/* Sorted by name (strcmp order), so "parent" comes right before its "parent|sub" rows. */
extern const struct acl_cmd_info acl_cmds[];
extern const int acl_cmds_len;

/* Category names without '@', indexed by bit number (ACL_CAT_X == 1u << i). */
extern const char *const acl_cat_names[ACL_CAT_COUNT];

#endif
