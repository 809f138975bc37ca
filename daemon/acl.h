/* acl.h - ACL users, as Redis 7.0 has them: the user store (shared by every worker), the
 * permission check cmd_execute() runs before a command, password checks for AUTH and
 * HELLO, the ACL LOG, the aclfile, and the parsing and replies of the ACL command
 * (cmd_acl in cmd_server.c calls acl_command).
 *
 * Threads. Users live in one table guarded by one process-wide rwlock (acl.c): checks
 * and AUTH take it for reading, ACL SETUSER/DELUSER/LOAD and CONFIG SET requirepass for
 * writing, and a user is changed in place, so a client always sees its user's current
 * rules. A client holds a reference on its user (acl_user_retain/release); a deleted user
 * stays allocated, denying everything, until its last client lets it go. The ACL LOG has
 * its own mutex. Lock order: the config lock, then the ACL lock, then clients_lock. */
#ifndef OMK_DAEMON_ACL_H
#define OMK_DAEMON_ACL_H

#include <stdatomic.h>
#include <stddef.h>

#include "common/omk.h"

struct client;
struct cmd_def;
struct acl_user;

/* The part of a user the command path reads on every command: it is the first member
 * of struct acl_user (acl.c), so acl_user_open() is one relaxed load. */
struct acl_user_head {
    _Atomic int open; /* 1: the user is on and its root selector allows every command,
                       * key and channel, so no check is needed */
};

/* Whether 'u' may run anything (the default user, as configured out of the box). */
static inline int acl_user_open(const struct acl_user *u)
{
    return atomic_load_explicit(&((const struct acl_user_head *)(const void *)u)->open,
                                memory_order_relaxed);
}

/* Create the default user ("on nopass ~* &* +@all", or with requirepass's password)
 * and map the command table to ACL ids. Main thread, once, after cfg_load and
 * cmd_init, before workers start. Aborts if a commands.def row has no acl_cats entry. */
void acl_init(void);

/* Load the aclfile named by the config, if any (start-up). Returns 0, or -1 after
 * logging Redis' "Aborting Redis startup because of ACL errors" message. */
int acl_load_at_startup(void);

/* The default user: never freed, no reference needed. */
struct acl_user *acl_default_user(void);

/* Take / drop a reference on 'u' (any thread). */
void acl_user_retain(struct acl_user *u);
void acl_user_release(struct acl_user *u);

/* Whether a new connection starts authenticated: the default user is on and has
 * nopass. Any thread. */
int acl_default_lets_in(void);

/* Whether the default user has nopass (AUTH with one argument is then an error). */
int acl_default_nopass(void);

/* Give the default user the password 'pass' (NUL-terminated; "" means nopass), as
 * CONFIG SET requirepass and start-up do. Any thread; takes the ACL lock. */
void acl_set_default_password(const char *pass);

/* Check 'user'/'pass' and, on success, make that user c's (c->user, c->authenticated)
 * and return 1. On failure log an "auth" entry in the ACL LOG and return 0; the caller
 * replies WRONGPASS. Owner thread. */
int acl_authenticate(struct client *c, struct omk_slice user, struct omk_slice pass);

/* Check that c's user may run command 'd' with c->argc/c->argv. Returns 1 if so; else
 * replies Redis' NOPERM error, records the refusal in the ACL LOG and returns 0. Call
 * only when !acl_user_open(c->user). Owner thread. */
int acl_check_or_reply(struct client *c, const struct cmd_def *d);

/* The same check for a command EXEC is about to run from the queue (Redis re-checks at
 * EXEC: the rules may have changed since it was queued). Returns 1 if allowed (also for
 * a client without a user, or an open one); else replies Redis' "NOPERM ACLs rules
 * changed between the moment the transaction was accumulated and the EXEC call. ..."
 * error, logs the refusal in the "multi" context and returns 0. Owner thread. */
int acl_check_exec_or_reply(struct client *c, const struct cmd_def *d);

/* The ACL command: c->argv[1] is the subcommand. Owner thread. */
void acl_command(struct client *c);

/* Copy the name of 'u' into 'out' ('len' bytes, NUL-terminated). Any thread. */
void acl_user_name(const struct acl_user *u, char *out, size_t len);

/* RESET: 'c' is the default user's again, logged in as a new connection is. */
void acl_client_reset(struct client *c);

/* 1 if a user named 'name' exists (CLIENT KILL USER). */
int acl_user_exists(struct omk_slice name);

#endif
