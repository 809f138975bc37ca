/* memory.h - MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP, answered for
 * omenkv's layout: every key lives in the in-RAM index, values live in RocksDB and the
 * hot ones in the value cache (memory.c says what each figure counts). */
#ifndef OMK_DAEMON_MEMORY_H
#define OMK_DAEMON_MEMORY_H

struct client;
struct store_stats;

/* The memory in use as INFO's used_memory and MEMORY STATS' total.allocated count it:
 * what omenkv's own code holds on the heap (omk_alloc_bytes), the index's entry arena
 * (not malloc's; 'st' from store_stats_get) and RocksDB's block cache. Not the Lua
 * interpreters' memory (used_memory_lua, apart as in Redis) nor RocksDB's memtables (at
 * most twice rocksdb-write-buffer-size). From counters only: never a walk of the heap,
 * which would stop every thread's malloc meanwhile. Any thread. */
unsigned long long memory_used(const struct store_stats *st);

/* MEMORY <subcommand> ... for client 'c' (cmd_memory's work). Owner thread. */
void memory_command(struct client *c);

#endif
