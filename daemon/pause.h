/* pause.h - CLIENT PAUSE and CLIENT UNPAUSE (pause.c): while a pause lasts, a client's
 * next request that the pause covers waits, unparsed, in its input until the pause ends
 * or is lifted; the requests behind it wait too. */
#ifndef OMK_DAEMON_PAUSE_H
#define OMK_DAEMON_PAUSE_H

#include <stdint.h>

struct client;
struct worker;

/* What a pause holds back, as Redis 7.0's pause types: a stronger one wins. */
enum pause_type {
    PAUSE_NONE = 0,
    PAUSE_WRITE = 1, /* commands that write or may be replicated (CMD_WRITE,
                      * CMD_MAY_REPLICATE), and EXEC of a queue holding one */
    PAUSE_ALL = 2,   /* every command (QUIT too) */
};

/* Start or extend the pause, as Redis' pauseClients: the later end and the stronger type
 * of the running pause and the new one hold. 'end_ms' is omk_mono_us() / 1000 based.
 * Any thread. */
void pause_start(enum pause_type type, int64_t end_ms);

/* End the pause now and let every postponed client go on (CLIENT UNPAUSE). Any thread. */
void pause_end(void);

/* Whether the request in c->argc/c->argv must wait for the pause to end; if so 'c' is
 * put on its worker's list of postponed clients (CLIENT_POSTPONED) and the caller leaves
 * the request's bytes in its input, to be parsed again when 'c' resumes. A request that
 * fails a check Redis makes before its pause check (unknown command, arity,
 * authentication, no-multi) is not postponed: it gets its error at once. Owner thread. */
int pause_postpone(struct client *c);

/* Take 'c' off its worker's postponed list (disconnect). Owner thread. */
void pause_forget(struct client *c);

/* Resume the postponed clients of worker 'w' whose request the pause no longer holds
 * back, and arm a timer for the end of the pause if some still wait. Owner thread of
 * 'w' (worker.c, on WORKER_MSG_UNPAUSE; and that timer). */
void pause_worker_wake(struct worker *w);

/* Free this worker thread's postponed list and timer, once its event loop has ended
 * (worker.c). Owner thread. */
void pause_thread_deinit(void);

#endif
