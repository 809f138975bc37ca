/* cmd_scripting.c - the commands of Redis' "scripting" group that omenkv serves: EVAL,
 * EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD EXISTS FLUSH KILL HELP). They check their
 * arguments and hand the work to the interpreter in script.c. FUNCTION and FCALL will
 * live here too, over a library registry kept beside the script cache. */
#include "config.h"

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/reply.h"
#include "daemon/script.h"

/* EVAL script numkeys [key ...] [arg ...] */
void cmd_eval(struct client *c)
{
    script_eval(c, 0, 0);
}

/* EVALSHA sha1 numkeys [key ...] [arg ...] */
void cmd_evalsha(struct client *c)
{
    script_eval(c, 1, 0);
}

/* EVAL_RO script numkeys [key ...] [arg ...]: write commands refused. */
void cmd_eval_ro(struct client *c)
{
    script_eval(c, 0, 1);
}

/* EVALSHA_RO sha1 numkeys [key ...] [arg ...] */
void cmd_evalsha_ro(struct client *c)
{
    script_eval(c, 1, 1);
}

/* SCRIPT LOAD script */
static void cmd_script_load(struct client *c)
{
    script_load(c, c->argv[2]);
}

/* SCRIPT EXISTS sha1 [sha1 ...] */
static void cmd_script_exists(struct client *c)
{
    script_exists(c);
}

/* SCRIPT FLUSH [ASYNC|SYNC]: both forget the cache at once (it is small). */
static void cmd_script_flush(struct client *c)
{
    if (c->argc == 3 && !cmd_arg_is(c, 2, "sync") && !cmd_arg_is(c, 2, "async")) {
        reply_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    script_flush(c);
}

/* SCRIPT KILL */
static void cmd_script_kill(struct client *c)
{
    script_kill(c);
}

/* SCRIPT HELP */
static void cmd_script_help(struct client *c)
{
    static const char *const lines[] = {
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
    };

    cmd_reply_help(c, "SCRIPT", lines, OMK_ARRAY_LEN(lines));
}

/* SCRIPT <subcommand> */
void cmd_script(struct client *c)
{
    static const struct cmd_sub subs[] = {
        {"load", 3, cmd_script_load},   {"exists", -3, cmd_script_exists},
        {"flush", -2, cmd_script_flush}, {"kill", 2, cmd_script_kill},
        {"help", 2, cmd_script_help},
    };

    cmd_dispatch_sub(c, "script", subs, OMK_ARRAY_LEN(subs), 0);
}
