/* pass.h - a worker's event-loop pass and the durability ticket its replies wait on
 * (the write path's commit primitive on the daemon's side; store/commit.c has the
 * store's). Owner thread only. */
#ifndef OMK_DAEMON_PASS_H
#define OMK_DAEMON_PASS_H

#include <stddef.h>

struct client;
struct evbuffer;
struct worker;

/* One reply of a pass that carried a write: its bytes in the client's output, counted
 * from the start of the client's output in this pass. */
struct pass_seg {
    size_t start, end;
};

/* Set up worker 'w''s end-of-pass event and make its thread's commits wait for it
 * (store_defer_flush). Call on the worker's thread before it serves anyone. */
void pass_init(struct worker *w);

/* Free what pass_init() made (the worker has left its loop). */
void pass_deinit(struct worker *w);

/* Hold 'c''s output (not written) until the current pass's ticket is durable; the first
 * hold of a pass schedules its end. Call before queuing any reply in a read callback. */
void pass_hold(struct client *c);

/* Run one request of held 'c' through cmd_execute(): a reply whose command committed a
 * write is remembered, so that a failed log write can answer it with an error instead. */
void pass_execute(struct client *c);

/* The same for 'fn' in place of cmd_execute(). */
void pass_run(struct client *c, void (*fn)(struct client *c));

/* Move the bytes of one reply from 'reply' to the end of held c's output ('reply' is
 * left empty); 'wrote': its command committed a write (a failed log write answers it
 * with an error instead). blocking.c delivers a reply built on another worker so. */
void pass_append(struct client *c, struct evbuffer *reply, int wrote);

/* Forget 'c' (conn_free): its held replies go with it. */
void pass_forget(struct client *c);

#endif
