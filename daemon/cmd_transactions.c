/* cmd_transactions.c - the commands of Redis' "transactions" group: MULTI EXEC DISCARD
 * WATCH UNWATCH. Each checks the client's transaction state, calls the machinery in
 * multi.c (the queue, the watch table, the exec lock's lanes) and replies with Redis 7's
 * words. All but UNWATCH carry CMD_NOQUEUE: inside MULTI they run at once (MULTI and
 * WATCH to refuse), while UNWATCH is queued, as in Redis. */
#include "config.h"

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/multi.h"
#include "daemon/reply.h"
#include "daemon/script.h"

/* MULTI */
void cmd_multi(struct client *c)
{
    if (c->multi) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    multi_begin(c);
    reply_ok(c);
}

/* EXEC: run the queue atomically, or reply why not. */
void cmd_exec(struct client *c)
{
    if (!c->multi) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    switch (multi_exec(c)) {
    case MULTI_EXEC_RAN:
        break; /* the array of replies is out */
    case MULTI_EXEC_ABORTED:
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        break;
    case MULTI_EXEC_WATCHED:
        reply_null_array(c);
        break;
    case MULTI_EXEC_BUSY:
        script_reply_busy(c);
        break;
    }
}

/* DISCARD */
void cmd_discard(struct client *c)
{
    if (!c->multi) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_reset(c);
    reply_ok(c);
}

/* WATCH key [key ...] */
void cmd_watch(struct client *c)
{
    if (c->multi) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    multi_watch(c, &c->argv[1], c->argc - 1);
    reply_ok(c);
}

/* UNWATCH */
void cmd_unwatch(struct client *c)
{
    multi_unwatch(c);
    reply_ok(c);
}
