/* cmd_scripting.c - the commands of Redis' "scripting" group that omenkv serves: EVAL,
 * EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD EXISTS FLUSH KILL HELP), which hand the
 * work to the interpreter in script.c, and FCALL, FCALL_RO and FUNCTION (LOAD DELETE
 * FLUSH LIST DUMP RESTORE STATS KILL HELP), which hand it to the libraries of
 * function.c. */
#include "config.h"

#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/function.h"
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

/* SCRIPT FLUSH [ASYNC|SYNC]: without an option, SYNC (Redis' default, as its
 * lazyfree-lazy-user-flush is off); ASYNC closes the old interpreter in the background. */
static void cmd_script_flush(struct client *c)
{
    int async = c->argc == 3 && cmd_arg_is(c, 2, "async");

    if (c->argc > 3 || (c->argc == 3 && !async && !cmd_arg_is(c, 2, "sync"))) {
        reply_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    script_flush(c, async);
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

/* FCALL function numkeys [key ...] [arg ...] */
void cmd_fcall(struct client *c)
{
    function_call(c, 0);
}

/* FCALL_RO function numkeys [key ...] [arg ...]: only no-writes functions. */
void cmd_fcall_ro(struct client *c)
{
    function_call(c, 1);
}

/* FUNCTION LOAD [REPLACE] code */
static void cmd_function_load(struct client *c)
{
    function_load(c);
}

/* FUNCTION DELETE library */
static void cmd_function_delete(struct client *c)
{
    function_delete(c);
}

/* FUNCTION FLUSH [ASYNC|SYNC] */
static void cmd_function_flush(struct client *c)
{
    function_flush(c);
}

/* FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
static void cmd_function_list(struct client *c)
{
    function_list(c);
}

/* FUNCTION DUMP */
static void cmd_function_dump(struct client *c)
{
    function_dump(c);
}

/* FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] */
static void cmd_function_restore(struct client *c)
{
    function_restore(c);
}

/* FUNCTION STATS */
static void cmd_function_stats(struct client *c)
{
    function_stats(c);
}

/* FUNCTION KILL: stop the running function if it has not written. */
static void cmd_function_kill(struct client *c)
{
    script_kill_kind(c, 1);
}

/* FUNCTION HELP */
static void cmd_function_help(struct client *c)
{
    static const char *const lines[] = {
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME "
        "argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored "
        "using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a "
        "restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
        "abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
        "replace the old",
        "      libraries with the new libraries (notice that even on this option there is a "
        "chance of failure",
        "      in case of functions name collision with another library).",
    };

    cmd_reply_help(c, "FUNCTION", lines, OMK_ARRAY_LEN(lines));
}

/* FUNCTION <subcommand> */
void cmd_function(struct client *c)
{
    static const struct cmd_sub subs[] = {
        {"load", -3, cmd_function_load},       {"delete", 3, cmd_function_delete},
        {"flush", -2, cmd_function_flush},     {"list", -2, cmd_function_list},
        {"dump", 2, cmd_function_dump},        {"restore", -3, cmd_function_restore},
        {"stats", 2, cmd_function_stats},      {"kill", 2, cmd_function_kill},
        {"help", 2, cmd_function_help},
    };

    cmd_dispatch_sub(c, "function", subs, OMK_ARRAY_LEN(subs), 0);
}
