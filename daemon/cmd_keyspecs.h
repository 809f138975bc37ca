/* cmd_keyspecs.h - what Redis 7.0's COMMAND INFO says about each command beyond our
 * command table: its flags as Redis names them, ACL categories, tips, key
 * specifications, and the subcommands omenkv implements. The rows are data, generated
 * once from Redis' own COMMAND INFO (tools/gen-cmd-keyspecs.py -> cmd_keyspecs.def);
 * COMMAND INFO, COMMAND LIST FILTERBY and COMMAND GETKEYS[ANDFLAGS] read them, and so
 * may ACL (categories, key flags). Read-only after cmd_meta_init(); any thread. */
#ifndef OMK_DAEMON_CMD_KEYSPECS_H
#define OMK_DAEMON_CMD_KEYSPECS_H

#include <stddef.h>

#include "common/omk.h"

struct cmd_def;

/* Where a key specification's search begins (Redis' begin_search). */
enum cmd_ks_begin {
    CMD_KS_BEGIN_UNKNOWN = 0,
    CMD_KS_BEGIN_INDEX,   /* at argument 'begin_pos' */
    CMD_KS_BEGIN_KEYWORD, /* after 'keyword', searched from 'begin_pos' (< 0: backwards
                           * from the end) */
};

/* How its keys are found from there (Redis' find_keys). */
enum cmd_ks_find {
    CMD_KS_FIND_UNKNOWN = 0,
    CMD_KS_FIND_RANGE,  /* a, b, c = lastkey (relative; < 0 from the end), keystep, limit */
    CMD_KS_FIND_KEYNUM, /* a, b, c = keynumidx, firstkey (both relative), keystep */
};

/* One key specification. */
struct cmd_keyspec {
    const char *notes;   /* Redis' note, or NULL */
    const char *flags;   /* space-separated, in Redis' order: "RW access delete" */
    enum cmd_ks_begin begin;
    int begin_pos;
    const char *keyword; /* CMD_KS_BEGIN_KEYWORD only */
    enum cmd_ks_find find;
    int a, b, c;
};

/* One command or subcommand ("config|get") as Redis 7.0 describes it. */
struct cmd_meta {
    const char *name;  /* lower case; "container|sub" for a subcommand */
    int arity;
    int first_key, last_key, key_step;
    const char *flags; /* Redis' command flags, space-separated, in its order */
    const char *acl;   /* ACL categories: "@read @string @fast" */
    const char *tips;  /* command tips, space-separated, or "" */
    int nspecs;
    const struct cmd_keyspec *specs;
};

/* Index the rows and check that every row of commands.def has one (aborts if not).
 * Called by cmd_init(), main thread, once. */
void cmd_meta_init(void);

/* The row of top-level command 'd' (never NULL after cmd_meta_init). */
const struct cmd_meta *cmd_meta_of(const struct cmd_def *d);

/* The row named 'name'/'len' (any case): "get" or "config|get"; NULL if none. */
const struct cmd_meta *cmd_meta_lookup(const char *name, size_t len);

/* The subcommand rows of top-level row 'm': '*n' of them from the returned pointer
 * (none: '*n' = 0). */
const struct cmd_meta *cmd_meta_subs(const struct cmd_meta *m, size_t *n);

/* Whether the space-separated list 'list' holds 'word'/'len' (any case). */
int cmd_meta_list_has(const char *list, const char *word, size_t len);

/* Every row, for walking: cmd_meta_rows[0 .. cmd_meta_nrows-1]. */
extern const struct cmd_meta cmd_meta_rows[];
extern const size_t cmd_meta_nrows;

/* A key argument found in a request: its index in argv and the flags of the key
 * specification that found it ("" when a command's own rule found it without flags). */
struct cmd_keyref {
    int pos;
    const char *flags;
};

/* Find the keys of a request for command row 'm' ('argc' arguments at 'argv', the
 * command name first; the caller has checked the arity) as Redis' COMMAND GETKEYS
 * does: by the key specifications, or, when one of them cannot say (SORT's STORE, a
 * bad numkeys), by the command's own rule. Writes up to 'cap' refs to 'out' (3 * argc
 * always suffice) and returns how many; 0 means no keys could be found. */
int cmd_meta_getkeys(const struct cmd_meta *m, int argc, const struct omk_slice *argv,
                     struct cmd_keyref *out, int cap);

/* Whether 'm' may have key arguments at all (Redis' doesCommandHaveKeys). */
int cmd_meta_has_keys(const struct cmd_meta *m);

#endif
