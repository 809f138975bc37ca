/* memory.h - MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP, answered for
 * omenkv's layout: every key lives in the in-RAM index, values live in RocksDB and the
 * hot ones in the value cache (memory.c says what each figure counts). */
#ifndef OMK_DAEMON_MEMORY_H
#define OMK_DAEMON_MEMORY_H

struct client;

/* MEMORY <subcommand> ... for client 'c' (cmd_memory's work). Owner thread. */
void memory_command(struct client *c);

#endif
