/* test_server.c - server administration against a real server: SAVE and BGSAVE write a
 * checkpoint another server can open, LASTSAVE moves, COMMAND GETKEYS, and CLIENT KILL
 * of another connection (by id, by address, old form) and of the caller. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"

static void test_save(struct tserver *s, redisContext *c)
{
    char path[512];
    struct stat st;
    redisReply *r;
    long long before;
    struct tserver copy;
    const char *args[3];
    int waited = 0;

    is_status(cmd(c, "SET saved:k before-save"), "OK", "a key to save");
    r = cmd(c, "LASTSAVE");
    before = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    ok(before > 1700000000, "LASTSAVE is a Unix time");
    freeReplyObject(r);
    sleep(1);
    is_status(cmd(c, "SAVE"), "OK", "SAVE");
    r = cmd(c, "LASTSAVE");
    ok(r && r->type == REDIS_REPLY_INTEGER && r->integer > before, "LASTSAVE moved");
    freeReplyObject(r);
    snprintf(path, sizeof(path), "%s/checkpoint", s->dir);
    ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "the checkpoint is %s", path);
    is_status(cmd(c, "SET saved:k after-save"), "OK", "a write after the save");

    /* A second server opens the checkpoint and sees the data as of the save. */
    args[0] = "--dir";
    args[1] = path;
    args[2] = NULL;
    if (ts_start(&copy, args) == 0) {
        redisContext *c2 = ts_connect(&copy);

        is_str(cmd(c2, "GET saved:k"), "before-save", 11, "the checkpoint holds the saved value");
        redisFree(c2);
        ts_stop(&copy);
        ts_system("rm -rf '%s' '%s'", copy.dir, copy.log);
    } else {
        ok(0, "a server starts on the checkpoint");
    }

    is_status(cmd(c, "BGSAVE"), "Background saving started", "BGSAVE");
    for (;;) {
        r = cmd(c, "INFO persistence");
        if (!r || r->type != REDIS_REPLY_STRING || strstr(r->str, "rdb_bgsave_in_progress:0") ||
            waited++ > 200) {
            ok(r && r->type == REDIS_REPLY_STRING &&
                   strstr(r->str, "rdb_last_bgsave_status:ok"),
               "the background save finished with status ok");
            freeReplyObject(r);
            break;
        }
        freeReplyObject(r);
        usleep(50000);
    }
    is_error(cmd(c, "BGSAVE NOW"), "ERR syntax error", "BGSAVE with a bad argument");
}

static void test_getkeys(redisContext *c)
{
    redisReply *r = cmd(c, "COMMAND GETKEYS SET a b");

    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && !strcmp(r->element[0]->str, "a"),
       "COMMAND GETKEYS SET");
    freeReplyObject(r);
    r = cmd(c, "COMMAND GETKEYS MSET a 1 b 2");
    ok(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && !strcmp(r->element[1]->str, "b"),
       "COMMAND GETKEYS MSET");
    freeReplyObject(r);
    is_error(cmd(c, "COMMAND GETKEYS NOSUCH a"), "ERR Invalid command specified",
             "GETKEYS of an unknown command");
    is_error(cmd(c, "COMMAND GETKEYS GET a b"),
             "ERR Invalid number of arguments specified for command", "GETKEYS arity");
    is_error(cmd(c, "COMMAND GETKEYS PING x"), "ERR The command has no key arguments",
             "GETKEYS of a command without keys");
}

/* The "addr=" field of CLIENT INFO on 'c'. */
static void client_addr(redisContext *c, char *out, size_t len)
{
    redisReply *r = cmd(c, "CLIENT INFO");
    const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, " addr=") : NULL;

    out[0] = '\0';
    if (p)
        sscanf(p + 6, "%63s", out);
    (void)len;
    freeReplyObject(r);
}

static void test_client_kill(const struct tserver *s, redisContext *c)
{
    redisContext *victim = ts_connect(s);
    redisReply *r = cmd(victim, "CLIENT ID");
    long long id = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    char addr[64];

    freeReplyObject(r);
    is_integer(cmd(c, "CLIENT KILL ID %lld", id), 1, "CLIENT KILL ID kills one client");
    r = cmd(victim, "PING");
    ok(r == NULL, "the killed connection is closed");
    freeReplyObject(r);
    redisFree(victim);

    victim = ts_connect(s);
    client_addr(victim, addr, sizeof(addr));
    is_status(cmd(c, "CLIENT KILL %s", addr), "OK", "CLIENT KILL ip:port (old form)");
    r = cmd(victim, "PING");
    ok(r == NULL, "... closes it");
    freeReplyObject(r);
    redisFree(victim);

    is_error(cmd(c, "CLIENT KILL 1.2.3.4:5"), "ERR No such client", "old form, no such client");
    is_integer(cmd(c, "CLIENT KILL ID 999999"), 0, "no client with that id");
    is_error(cmd(c, "CLIENT KILL ID 0"), "ERR client-id should be greater than 0", "ID 0");
    is_error(cmd(c, "CLIENT KILL FOO bar"), "ERR syntax error", "unknown filter");
    is_status(cmd(c, "CLIENT NO-EVICT on"), "OK", "CLIENT NO-EVICT on");
    is_error(cmd(c, "CLIENT NO-EVICT maybe"), "ERR syntax error", "CLIENT NO-EVICT maybe");

    r = cmd(c, "CLIENT ID");
    id = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    is_integer(cmd(c, "CLIENT KILL ID %lld SKIPME no", id), 1, "a client may kill itself");
    r = cmd(c, "PING");
    ok(r == NULL, "... and is closed after the reply");
    freeReplyObject(r);
}

int main(void)
{
    struct tserver s;
    redisContext *c;

    if (getenv("OMK_TEST_SERVER"))
        return tap_skip_all("omenkv only: checkpoints in the data dir");
    c = ts_begin(&s, NULL, 0);
    test_save(&s, c);
    test_getkeys(c);
    test_client_kill(&s, c);
    redisFree(c);
    ts_cleanup(&s);
    return tap_done();
}
