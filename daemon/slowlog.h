/* slowlog.h - the slow log: commands that ran for at least slowlog-log-slower-than
 * microseconds, newest first, at most slowlog-max-len of them, with their arguments
 * trimmed as Redis trims them. One log for the whole server, shared by the workers under
 * one mutex that only a slow command (or SLOWLOG itself) takes. */
#ifndef OMK_DAEMON_SLOWLOG_H
#define OMK_DAEMON_SLOWLOG_H

#include <stdint.h>

struct client;
struct cmd_def;

/* Record the command 'c' just ran ('d', c->argc/c->argv) if it took 'usec' microseconds
 * or more than slowlog-log-slower-than allows (negative: never), unless Redis skips
 * such commands (EXEC). Any worker thread, after the handler returned. */
void slowlog_note(struct client *c, const struct cmd_def *d, int64_t usec);

/* SLOWLOG GET [count] | LEN | RESET | HELP for client 'c' (cmd_slowlog's work). */
void slowlog_command(struct client *c);

#endif
