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

#include <stddef.h>

#include "common/omk.h"

struct client;
struct cmd_def;
struct evbuffer;

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

/* SCRIPT FLUSH: forget every cached script (a fresh interpreter) and reply +OK. */
void script_flush(struct client *c);

/* SCRIPT KILL: stop the running script if it has not written: +OK, -NOTBUSY or
 * -UNKILLABLE as Redis replies. The script stops at its next hook check. */
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
 * SCRIPT KILL or SHUTDOWN NOSAVE." */
void script_reply_busy(struct client *c);

/* Append the scripting fields of INFO's memory section (used_memory_lua, ...
 * number_of_cached_scripts) to 'b'. */
void script_info_memory(struct evbuffer *b);

#endif
