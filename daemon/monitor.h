/* monitor.h - MONITOR: every command any client runs, on any worker, is shown to the
 * clients in MONITOR mode as one status line in Redis' format (monitor.c). */
#ifndef OMK_DAEMON_MONITOR_H
#define OMK_DAEMON_MONITOR_H

struct client;
struct worker;
struct cmd_def;

/* Put 'c' in MONITOR mode: from now on it is sent the line of every command fed. Owner
 * thread; 'c' is not in MONITOR mode yet. Takes the monitors' lock. */
void monitor_start(struct client *c);

/* Take 'c' out of MONITOR mode (RESET, disconnect); lines fed but not yet delivered are
 * dropped. No-op for a client not in that mode. Owner thread. */
void monitor_stop(struct client *c);

/* Show command 'd', just run by 'c' with c->argc/c->argv, to every MONITOR client, as
 * Redis' call() does: not admin commands, with AUTH's and HELLO's secrets replaced by
 * "(redacted)", the database being c->db after the command. Any worker thread; costs an
 * atomic load when nobody monitors. */
void monitor_feed(struct client *c, const struct cmd_def *d);

/* Move the lines fed for the MONITOR clients of worker 'w' to their output and write it
 * (worker.c calls it on WORKER_MSG_MONITOR). Owner thread of 'w'. */
void monitor_worker_wake(struct worker *w);

#endif
