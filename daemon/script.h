/* script.h - the Lua 5.1 interpreter behind EVAL, EVALSHA, their _RO forms and SCRIPT
 * (daemon/script.c; the handlers are in cmd_scripting.c): one interpreter for the whole
 * server, as Redis has, its script cache (SHA-1 -> compiled function), and the state of
 * the one script running now, which other workers read to answer BUSY and SCRIPT KILL.
 *
 * A script runs as one unit: its worker holds every lane of the exec lock (multi.h: taken
 * for it, or kept from the worker's last script of the same pass) and
 * one store transaction (store_tx_begin) for the whole run, so no other client's keyed
 * command runs meanwhile and its writes reach the log as one batch (all or none survive
 * a crash). Unless stated, functions may be called from any worker thread. */
#ifndef OMK_DAEMON_SCRIPT_H
#define OMK_DAEMON_SCRIPT_H

#include <stdatomic.h>
#include <stddef.h>

#include "common/omk.h"

struct client;
struct cmd_def;
struct evbuffer;
struct lua_State;

/* Shebang flags (#!lua flags=...) and function flags, as Redis 7.0 names them. */
#define SCRIPT_F_NO_WRITES 0x1
#define SCRIPT_F_ALLOW_OOM 0x2
#define SCRIPT_F_ALLOW_STALE 0x4
#define SCRIPT_F_NO_CLUSTER 0x8
#define SCRIPT_F_ALLOW_CROSS_SLOT 0x10
#define SCRIPT_F_EVAL_COMPAT 0x100 /* no shebang: Redis' backward-compatible mode */

/* The flags' names, in Redis' order (shebangs, register_function, FUNCTION LIST). */
struct script_flag_name {
    const char *name;
    unsigned flag;
};
extern const struct script_flag_name script_flag_names[];
#define SCRIPT_FLAG_NAMES 5 /* entries of script_flag_names */

/* What one run calls, found by a script_resolve_fn under the interpreter's mutex. */
struct script_target {
    struct lua_State *L; /* the interpreter that holds it */
    int ref;             /* a function's reference in L's registry; LUA_NOREF (-2): the
                          * cached script named 'name' (its KEYS and ARGV are globals) */
    const char *name;    /* SHA-1 or function name, for error texts; lives for the run */
    unsigned flags;      /* SCRIPT_F_* */
};

/* Find what client c's command runs: fill 't' and return 1, or write the error reply's
 * text (without '-') to 'err' and return 0. Called holding the interpreter's mutex. */
typedef int (*script_resolve_fn)(struct client *c, void *arg, struct script_target *t,
                                 char *err, size_t errlen);

/* Run for client c what 'resolve' finds, as one unit (HOW A SCRIPT RUNS in script.c),
 * with argv[2] the number of keys (checked by the caller), the keys and arguments after
 * it; 'read_only' for the _RO commands. Exactly one reply. Owner thread, as
 * script_eval. */
void script_exec(struct client *c, script_resolve_fn resolve, void *arg, int read_only);

/* A new interpreter with the libraries, the redis table and the protected globals, whose
 * allocations are counted in '*bytes' (and refused past 1 GiB). */
struct lua_State *script_state_new_counted(_Atomic long long *bytes);

/* Push a new read-only environment table whose reads go to 'index' (a lua_CFunction
 * (table, key)), which rawset() refuses, as the scripts' own. */
void script_push_env(struct lua_State *L, int (*index)(struct lua_State *L));

/* Take the interpreter's mutex (every interpreter's), giving up after replying BUSY once
 * a running script is busy: 1 holding it, else 0. script_unlock() releases it. */
int script_lock_or_busy(struct client *c);
void script_unlock(void);

/* SCRIPT KILL ('function' 0) or FUNCTION KILL (1): as script_kill, and a running
 * script of the other kind is not stopped (BUSY, as Redis replies). */
void script_kill_kind(struct client *c, int function);

/* FUNCTION STATS' running_script: if a function runs, call 'fn' with its name, the
 * arguments of its FCALL and how long it has run, and return 1; else 0. -1 when an EVAL
 * script runs. */
int script_running_function(void (*fn)(void *arg, const char *name,
                                       const struct omk_slice *argv, int argc,
                                       long long ms),
                            void *arg);

/* For test harnesses (tests/fuzz/fuzz_lua.c), before any script runs: stop every run
 * after about 'steps' Lua instructions with an error reply, whether it wrote or not (0:
 * no limit, the server's default), and refuse interpreter growth past 'bytes' (0: the
 * server's 1 GiB). The server never calls it. */
void script_set_test_limits(long long steps, size_t bytes);

/* 1 when a test harness set a step limit (FUNCTION LOAD then stops a library's load at
 * its first hook check, as if timed out). */
int script_test_step_limited(void);

/* Start-up, main thread, after cmd_init(): create the interpreter and its libraries. */
void script_init(void);

/* EVAL script numkeys key... arg... (by_sha 0) or EVALSHA sha1 ... (by_sha 1), with
 * 'read_only' for EVAL_RO / EVALSHA_RO: run the script of c->argv on c's worker and
 * reply what it returned, or the error, exactly as Redis 7.0 words it. Owner thread,
 * holding no exec lane (inside EXEC: holding all of them; between the scripts of one
 * pass: keeping all of them, multi_script_unlock). Exactly one reply. */
void script_eval(struct client *c, int by_sha, int read_only);

/* SCRIPT LOAD body: compile 'body' into the cache (no run) and reply its SHA-1, or the
 * compile error. Exactly one reply. */
void script_load(struct client *c, struct omk_slice body);

/* SCRIPT EXISTS sha1...: reply an array of 1/0, one per argument from argv[2] on. */
void script_exists(struct client *c);

/* SCRIPT FLUSH [ASYNC|SYNC]: forget every cached script (a fresh interpreter) and
 * reply +OK. The old interpreter is closed after the interpreter's mutex is released:
 * by this thread ('async' 0), or by a background thread ('async' 1; by this thread if
 * the one before is still closing). */
void script_flush(struct client *c, int async);

/* Close interpreter 'L' (no longer reachable by anyone) in a background thread, so a big
 * cache does not hold up the caller's worker; in the caller when a closer still runs. */
void script_close_async(struct lua_State *L);

/* SCRIPT KILL: stop the running script if it has not written: +OK, -NOTBUSY or
 * -UNKILLABLE as Redis replies. The script stops at its next hook check. A running
 * function is not stopped (BUSY). */
void script_kill(struct client *c);

/* 1 when a script has run for busy-reply-threshold ms or longer (0 disables it): other
 * clients' commands are then refused with BUSY, as Redis refuses them. Cheap: one atomic
 * load when no script runs. */
int script_busy(void);

/* 1 when a script is running and has run a write command (SHUTDOWN NOSAVE is then the
 * only way out; SHUTDOWN without NOSAVE answers BUSY). */
int script_running(void);

/* Whether command 'd', with c's arguments (a subcommand in argv[1]), may run while a
 * script is busy: Redis' allow-busy commands (AUTH, HELLO, MULTI, DISCARD, WATCH,
 * SHUTDOWN, SCRIPT KILL, ...). */
int script_cmd_allowed_busy(const struct client *c, const struct cmd_def *d);

/* Reply Redis' BUSY error: "BUSY Redis is busy running a script. You can only call
 * SCRIPT KILL or SHUTDOWN NOSAVE." (FUNCTION KILL while a function runs). */
void script_reply_busy(struct client *c);

/* Bytes the script cache holds: the cached scripts' bodies and names with their
 * bookkeeping (INFO's used_memory_scripts_eval, MEMORY STATS' lua.caches). */
long long script_cache_bytes(void);

/* Append the scripting fields of INFO's memory section (used_memory_lua, ...
 * number_of_cached_scripts) to 'b'. */
void script_info_memory(struct evbuffer *b);

#endif
