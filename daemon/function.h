/* function.h - the function libraries of FUNCTION and FCALL (daemon/function.c; the
 * handlers are in cmd_scripting.c): Lua libraries loaded with FUNCTION LOAD ("#!lua
 * name=<lib>" and redis.register_function calls), run by FCALL and FCALL_RO through the
 * script runner of script.c, kept in RocksDB's meta column family so that they survive
 * a restart, and dumped and restored in Redis 7.0's payload format.
 *
 * The libraries live in an interpreter of their own (as Redis keeps them apart from
 * EVAL's), guarded by the same mutex as EVAL's (script_lock_or_busy). Every function
 * below may be called from any worker thread unless stated. */
#ifndef OMK_DAEMON_FUNCTION_H
#define OMK_DAEMON_FUNCTION_H

#include "common/omk.h"

struct client;

/* INFO's view of the libraries. */
struct function_stats {
    long long libraries; /* number_of_libraries */
    long long functions; /* number_of_functions */
    long long vm_bytes;  /* used_memory_vm_functions: the interpreter's memory */
    long long bytes;     /* used_memory_functions: names, code and bookkeeping */
};

/* Start-up, main thread, after script_init() and the store's opening: create the
 * interpreter and load the libraries kept in the store. Exits the process (after
 * logging why) when they cannot be read back. */
void function_init(void);

/* FCALL ('read_only' 0) and FCALL_RO (1): function argv[1], argv[2] keys, then keys and
 * arguments. Exactly one reply, as Redis 7.0 words it. Owner thread. */
void function_call(struct client *c, int read_only);

/* FUNCTION LOAD [REPLACE] code */
void function_load(struct client *c);
/* FUNCTION DELETE library */
void function_delete(struct client *c);
/* FUNCTION FLUSH [ASYNC|SYNC] (both at once) */
void function_flush(struct client *c);
/* FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
void function_list(struct client *c);
/* FUNCTION DUMP: Redis' payload (RDB function records, version 10, CRC-64). */
void function_dump(struct client *c);
/* FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] */
void function_restore(struct client *c);
/* FUNCTION STATS: the running function, and the LUA engine's counts. Takes no lock a
 * running script holds (FUNCTION STATS runs while one is busy). */
void function_stats(struct client *c);

/* Fill 's' (atomics: no lock). */
void function_stats_get(struct function_stats *s);

#endif
