/* cmd.h - the command table and dispatch. daemon/commands.def is the only list of
 * commands: one row each (name, arity, flags, key positions, handler, group, summary).
 * cmd_execute() does the generic work once for all of them: lookup, unknown command,
 * arity, authentication, MULTI queueing, the exec lane and statistics; handler cmd_<name>
 * in cmd_<group>.c does the rest (tests/check-command-files.sh holds every row to it). */
#ifndef OMK_DAEMON_CMD_H
#define OMK_DAEMON_CMD_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/omk.h"
#include "store/store.h"

struct client;
struct store;

typedef void cmd_proc(struct client *c);

/* Command flags (shown by COMMAND INFO under the same names as Redis). */
#define CMD_WRITE 0x001
#define CMD_READONLY 0x002
#define CMD_FAST 0x004
#define CMD_ADMIN 0x008
#define CMD_NOAUTH 0x010    /* allowed before AUTH */
#define CMD_LOADING 0x020
#define CMD_STALE 0x040
#define CMD_NOSCRIPT 0x080
#define CMD_DENYOOM 0x100
#define CMD_NOQUEUE 0x200   /* runs at once even inside MULTI (EXEC, DISCARD, ...) */
#define CMD_NOMULTI 0x400   /* refused inside MULTI, failing the transaction (Redis' no-multi:
                             * SHUTDOWN, SAVE) */
#define CMD_EXCLUSIVE 0x800 /* runs with no other keyed command in flight, as EXEC does:
                             * every exec lane held (SWAPDB; omenkv's own flag, not shown) */
#define CMD_MOVABLEKEYS 0x1000 /* the keys are counted by a numkeys argument (Redis'
                                * movablekeys: ZUNION, ZINTERCARD, ZMPOP, SINTERCARD); the
                                * row's first/last/step name only the keys before it (a
                                * destination), as Redis 7's COMMAND INFO does, and numkeys
                                * is the argument right after them (cmd_numkeys_index).
                                * SORT and SORT_RO are movablekeys too, for keys their
                                * options name: COMMAND GETKEYS has SORT's own rule */
#define CMD_MAY_REPLICATE 0x4000 /* writes no key but Redis replicates it (PFCOUNT, PUBLISH,
                                  * EVAL): CLIENT PAUSE WRITE holds it back as a write */
#define CMD_PUBSUB 0x8000   /* a pub/sub command (Redis' pubsub flag; daemon/pubsub.c) */
#define CMD_BLOCKING 0x2000 /* may park the client until a key is ready (Redis' blocking:
                             * BLPOP ... BZMPOP; daemon/blocking.c) */
#define CMD_SCRIPTING 0x10000 /* runs a script (EVAL family): it takes every exec lane
                               * itself (daemon/script.c), so dispatch takes none around
                               * it even when it is READONLY (EVAL_RO) */

struct cmd_def {
    const char *name;    /* lower case */
    int arity;           /* > 0 exact argc, < 0 at least -arity */
    int flags;           /* CMD_* */
    int first_key, last_key, key_step;
    cmd_proc *proc;
    const char *group;   /* Redis' command group ("string", "generic", "server", "connection",
                          * "transactions"): shown by COMMAND DOCS, and the handler's file
                          * is cmd_<group>.c */
    const char *summary; /* one sentence for COMMAND DOCS, in our words */
    const char *since;   /* the Redis version that added the command */
};

/* One command's counters in one worker (struct worker_stats, server.h): written by that
 * worker's thread alone, read by INFO. */
struct cmd_stats {
    _Atomic uint64_t calls;    /* times its handler ran (cmd_call) */
    _Atomic uint64_t usec;     /* microseconds spent in its handler, summed */
    _Atomic uint64_t rejected; /* refused before running: wrong arity, NOAUTH */
    _Atomic uint64_t failed;   /* ran and failed: not counted yet, always 0 */
};

/* The number of rows in commands.def, as a constant (sizes per-worker statistics). */
enum {
    CMD_COUNT = 0
#define OMK_CMD(name, arity, flags, first, last, step, proc, group, since, summary) +1
#include "daemon/commands.def"
#undef OMK_CMD
};

/* Declare every handler. */
#define OMK_CMD(name, arity, flags, first, last, step, proc, group, since, summary) cmd_proc proc;
#include "daemon/commands.def"
#undef OMK_CMD

extern const struct cmd_def cmd_table[];
extern const int cmd_table_len; /* CMD_COUNT */

/* Build the name lookup table (main thread, once, before workers start), and check the
 * table's invariants: it aborts if EXEC is flagged CMD_WRITE or CMD_READONLY. */
void cmd_init(void);

/* The command named 'name'/'len' (any case), or NULL. */
const struct cmd_def *cmd_lookup(const char *name, size_t len);

/* The index in argv of the numkeys argument of command 'd' (CMD_MOVABLEKEYS): the one
 * after the keys the row's first/last name, or argv[1] when it names none (argv[2], after
 * the timeout, for a blocking command; argv[2], after the script, for the EVAL family). */
int cmd_numkeys_index(const struct cmd_def *d);

/* Count one key lookup of a reading command for INFO stats (keyspace_hits/misses): a hit
 * when the key was there, of whatever type (Redis counts the lookup before it checks the
 * type). Owner thread. */
void cmd_count_lookup(struct client *c, int hit);

/* Whether 'argc' arguments, the command name included, fit 'arity' (> 0: exactly that
 * many; < 0: at least -arity), for commands and subcommands alike. */
int cmd_arity_ok(int arity, int argc);

/* Run the request in c->argc/c->argv: exactly one reply is queued (or the client is
 * marked to close). Owner thread. */
void cmd_execute(struct client *c);

/* Run handler 'd' on the request in c->argc/c->argv and count it in the statistics of
 * c's worker: one call, and the handler's run time by the monotonic clock, read once
 * before and once after; the second reading is also c's last_us (CLIENT LIST idle=).
 * The caller has done every check (cmd_execute, EXEC). Owner thread. */
void cmd_call(struct client *c, const struct cmd_def *d);

/* A subcommand (CLIENT KILL, CONFIG GET, ...): its name, its arity counted from the
 * command name as Redis counts it, and its handler. A command with subcommands lists them
 * in a table of these, HELP included, and hands the table to cmd_dispatch_sub(). */
struct cmd_sub {
    const char *name; /* lower case */
    int arity;        /* > 0 exact argc, < 0 at least -arity */
    cmd_proc *proc;
};

/* cmd_dispatch_sub() flags. */
#define CMD_SUB_ONE_ERROR 0x1 /* unknown name and wrong arity get the one error Redis' DEBUG
                               * gives: "unknown subcommand or wrong number of arguments for
                               * 'x'. Try DEBUG HELP." */

/* Run the subcommand of 'cmd' (lower case, e.g. "client") named by argv[1] (any case;
 * c->argc >= 2), from 'subs' ('n' rows), once its arity is checked. Otherwise reply, as
 * Redis 7 does, "unknown subcommand 'x'. Try CLIENT HELP." or "wrong number of arguments
 * for 'client|kill' command" (or the CMD_SUB_ONE_ERROR text with that flag in 'flags').
 * Exactly one reply is queued either way. */
void cmd_dispatch_sub(struct client *c, const char *cmd, const struct cmd_sub *subs, size_t n,
                      int flags);

/* Reply a HELP subcommand's text the way Redis' addReplyHelp does: an array of status
 * lines, "<CMD> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" ('cmd' upper
 * case), the 'n' 'lines', then the entry for HELP itself. */
void cmd_reply_help(struct client *c, const char *cmd, const char *const *lines, size_t n);

/* True if 'a' equals the word 'w', ignoring case (option names). */
int cmd_word_is(const struct omk_slice *a, const char *w);

/* True if argument 'i' of 'c' equals the word 's', ignoring case. */
int cmd_arg_is(const struct client *c, int i, const char *s);

/* Name of the command 'c' is running, for error texts ("set", "config|get"). */
const char *cmd_current_name(const struct client *c);

/* Flags of 'd' as Redis names them, for COMMAND INFO: calls 'fn' once per flag. */
void cmd_flag_names(const struct cmd_def *d, void (*fn)(void *arg, const char *name), void *arg);

/* Units of an expiry argument. */
enum expire_unit { UNIT_SECONDS, UNIT_MS };

/* Turn expiry argument 'arg' (seconds or ms; relative to now when 'relative', else
 * absolute) into an absolute time in ms, as Redis' SET and GETEX do. Returns 1 on
 * success; otherwise it has replied "value is not an integer or out of range" or
 * "invalid expire time in '<cmd>' command" and returns 0. */
int cmd_expire_arg_or_reply(struct client *c, struct omk_slice arg, enum expire_unit unit,
                            int relative, int64_t *out_ms);

/* Parse database number 'arg' as Redis' getIntFromObjectOrReply does, then check that it
 * names a configured database (SELECT, MOVE, COPY ... DB). Returns 1 with '*db', or 0
 * after replying Redis' error: "value is not an integer or out of range", "value is out
 * of range, value must between -2147483648 and 2147483647" or "DB index is out of
 * range". */
int cmd_db_arg_or_reply(struct client *c, struct omk_slice arg, int *db);

/* Parse 'arg' as a 64-bit integer and check it lies in 'min'..'max', as Redis'
 * getRangeLongFromObjectOrReply does. Returns 1 with '*v', or 0 after replying 'msg'
 * ("ERR " is prepended) for either failure when 'msg' is not NULL, else "value is not
 * an integer or out of range" or "value is out of range, value must between <min> and
 * <max>". */
int cmd_range_arg_or_reply(struct client *c, struct omk_slice arg, long long min, long long max,
                           const char *msg, long long *v);

/* A random 64-bit number from this thread's generator (xoshiro256**, seeded once per
 * thread from getrandom(2)): RANDOMKEY, and the store_rand_fn of SPOP, SRANDMEMBER and
 * HRANDFIELD. Any thread. */
uint64_t cmd_random64(void);

/* Parse a SCAN-family cursor as Redis' parseScanCursorOrReply does (strtoul's rules: an
 * optional sign, a negative number wraps around, "" is 0, leading space refused).
 * Returns 1 with '*cursor', or 0 after replying "ERR invalid cursor". */
int cmd_scan_cursor_or_reply(struct client *c, struct omk_slice arg, uint64_t *cursor);

/* The options of SCAN, HSCAN and SSCAN (MATCH, COUNT, and SCAN's TYPE). */
struct cmd_scan_opts {
    const char *pat;              /* MATCH pattern; NULL: everything ("*" included) */
    size_t plen;
    long long count;              /* COUNT, >= 1; 10 by default */
    const struct omk_slice *type; /* TYPE's argument (SCAN only); NULL: none */
};

/* What is wrong with a SCAN-family option list (the first fault, as Redis meets it). */
enum cmd_scan_opts_err { CMD_SCAN_OPTS_OK = 0, CMD_SCAN_OPTS_NOTINT, CMD_SCAN_OPTS_SYNTAX };

/* Parse the options in c->argv[first..] into '*o' (TYPE only when 'allow_type'),
 * without replying: Redis replies for a missing or mistyped HSCAN key before it looks
 * at the options, so the caller decides when to report the fault
 * (cmd_scan_opts_reply_err). */
enum cmd_scan_opts_err cmd_scan_opts_parse(const struct client *c, int first, int allow_type,
                                           struct cmd_scan_opts *o);
void cmd_scan_opts_reply_err(struct client *c, enum cmd_scan_opts_err err);

/* The scan of one collection, store_hscan() or store_sscan(). */
typedef int cmd_coll_scan_fn(struct store *s, int db, struct omk_slice key, uint64_t cursor,
                             const char *pat, size_t plen, size_t count,
                             store_pair_cb *cb,
                             void *arg, uint64_t *next);

/* HSCAN / SSCAN key cursor [MATCH pattern] [COUNT count], in Redis' order of checks: the
 * cursor, then the key (missing: an empty scan; not of type 'type': WRONGTYPE), then the
 * options. Replies [next cursor, elements]: field and value of each pair when 'pairs'
 * (HSCAN), else the member. */
void cmd_coll_scan_generic(struct client *c, cmd_coll_scan_fn *scan, int type, int pairs);

/* SET-style options, the daemon's own word (as Redis' OBJ_SET_* are its own): which
 * options a command accepts ('allowed' below) and which a request gave. Handlers
 * translate them to the store's STORE_SET_* bits when they call it (cmd_string.c), as
 * Redis translates OBJ_* to SETKEY_*. EX PX EXAT PXAT are always accepted. */
#define CMD_SET_NX 0x01      /* NX: only if the key does not exist */
#define CMD_SET_XX 0x02      /* XX: only if the key exists */
#define CMD_SET_GET 0x04     /* GET: reply the old value */
#define CMD_SET_KEEPTTL 0x08 /* KEEPTTL: keep the key's expiry */
#define CMD_SET_PERSIST 0x10 /* PERSIST (GETEX): remove the key's expiry */
#define CMD_SET_EXPIRE 0x20  /* EX, PX, EXAT or PXAT was given (never in 'allowed') */

/* Parse the SET-style options in c->argv[first..] (those of 'allowed', a set of
 * CMD_SET_* bits, plus EX/PX/EXAT/PXAT) exactly as Redis 7 does: syntax first, then the
 * expiry value. Writes the CMD_SET_* bits given to '*flags' and the absolute expiry
 * (0: none) to '*expire_ms', and returns 1; or replies the error and returns 0. Shared by
 * SET, GETEX and any other command with these options. */
int cmd_set_options_or_reply(struct client *c, int first, int allowed, int *flags,
                             int64_t *expire_ms);

#endif
