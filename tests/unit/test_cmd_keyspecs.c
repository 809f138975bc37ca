/* test_cmd_keyspecs.c - TAP tests for daemon/cmd_keyspecs.c: every row of
 * daemon/commands.def has a row of Redis' description, with the same arity and key
 * positions, and flags that agree with the row's CMD_* flags; subcommand rows follow
 * their container; and key finding from specs on a few requests. The command table is
 * built here from commands.def without handlers, so only cmd_keyspecs.c is linked. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"
#include "tests/tap.h"

const struct cmd_def cmd_table[] = {
#define OMK_CMD(name, arity, flags, first, last, step, proc, group, since, summary) \
    {name, arity, flags, first, last, step, NULL, group, summary, since},
#include "daemon/commands.def"
#undef OMK_CMD
};
const int cmd_table_len = (int)OMK_ARRAY_LEN(cmd_table);

/* cmd.c's, for cmd_keyspecs.c. */
int cmd_word_is(const struct omk_slice *a, const char *w)
{
    size_t n = strlen(w);

    return a->len == n && strncasecmp(a->p, w, n) == 0;
}

/* Our CMD_* flags and the names Redis gives them. */
static const struct {
    int flag;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"},     {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},     {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"}, {CMD_STALE, "stale"},       {CMD_FAST, "fast"},
    {CMD_NOAUTH, "no_auth"},  {CMD_NOMULTI, "no_multi"},  {CMD_MOVABLEKEYS, "movablekeys"},
};

static int is_container(const struct cmd_meta *m)
{
    size_t n;

    cmd_meta_subs(m, &n);
    return n > 0;
}

/* Split "a b c" into slices (at most 16) pointing into 's'. */
static int split(const char *s, struct omk_slice *out)
{
    int n = 0;

    while (*s && n < 16) {
        size_t wl = strcspn(s, " ");

        out[n++] = (struct omk_slice){s, wl};
        s += wl;
        s += strspn(s, " ");
    }
    return n;
}

/* The keys found in request 'req', as "pos:flags" joined by ',' into 'buf'. */
static const char *keys_of(const char *req, char *buf, size_t len)
{
    struct omk_slice argv[16];
    struct cmd_keyref refs[48];
    int argc = split(req, argv), n;
    const struct cmd_meta *m = cmd_meta_lookup(argv[0].p, argv[0].len);
    size_t at = 0;

    buf[0] = '\0';
    if (!m)
        return "no such command";
    n = cmd_meta_getkeys(m, argc, argv, refs, 48);
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%d:%s", i ? "," : "", refs[i].pos,
                               refs[i].flags);
    return buf;
}

int main(void)
{
    char buf[256];

    cmd_meta_init(); /* aborts if a row is missing */
    for (int i = 0; i < cmd_table_len; i++) {
        const struct cmd_def *d = &cmd_table[i];
        const struct cmd_meta *m = cmd_meta_of(d);
        int flags_agree = 1;

        if (!ok(m != NULL && !strcmp(m->name, d->name), "%s has a row", d->name))
            continue;
        ok(m->arity == d->arity, "%s: arity %d as Redis' %d", d->name, d->arity, m->arity);
        ok(m->first_key == d->first_key && m->last_key == d->last_key &&
               m->key_step == d->key_step,
           "%s: key positions %d %d %d as Redis' %d %d %d", d->name, d->first_key,
           d->last_key, d->key_step, m->first_key, m->last_key, m->key_step);
        if (is_container(m))
            continue; /* Redis flags a container nothing; its subcommands carry the flags */
        for (size_t k = 0; k < OMK_ARRAY_LEN(flag_names); k++) {
            int ours = (d->flags & flag_names[k].flag) != 0;
            int redis = cmd_meta_list_has(m->flags, flag_names[k].name,
                                          strlen(flag_names[k].name));

            if (ours != redis) {
                diag("%s: %s is %s in commands.def, %s in Redis", d->name, flag_names[k].name,
                     ours ? "set" : "unset", redis ? "set" : "unset");
                flags_agree = 0;
            }
        }
        ok(flags_agree, "%s: flags agree with Redis' (%s)", d->name, m->flags);
    }
    for (size_t i = 0; i < cmd_meta_nrows; i++) {
        const char *bar = strchr(cmd_meta_rows[i].name, '|');

        if (bar) {
            const struct cmd_meta *parent =
                cmd_meta_lookup(cmd_meta_rows[i].name, (size_t)(bar - cmd_meta_rows[i].name));
            size_t n;
            const struct cmd_meta *subs = parent ? cmd_meta_subs(parent, &n) : NULL;

            ok(subs && &cmd_meta_rows[i] >= subs && &cmd_meta_rows[i] < subs + n,
               "%s follows its container", cmd_meta_rows[i].name);
        }
    }
    ok(!strcmp(keys_of("get k", buf, sizeof(buf)), "1:RO access"), "GET: %s", buf);
    ok(!strcmp(keys_of("mset a 1 b 2", buf, sizeof(buf)), "1:OW update,3:OW update"),
       "MSET: %s", buf);
    ok(!strcmp(keys_of("zunionstore d 2 a b", buf, sizeof(buf)),
               "1:OW update,3:RO access,4:RO access"),
       "ZUNIONSTORE: %s", buf);
    ok(!strcmp(keys_of("zunionstore d 2x a b", buf, sizeof(buf)), "3:,4:,1:"),
       "ZUNIONSTORE with a sloppy numkeys: Redis' own rule, %s", buf);
    ok(!strcmp(keys_of("zunionstore d 3 a b", buf, sizeof(buf)), ""),
       "ZUNIONSTORE with too many keys: none");
    ok(!strcmp(keys_of("sort a by x store b", buf, sizeof(buf)), "1:RO access,5:OW update"),
       "SORT: %s", buf);
    ok(!strcmp(keys_of("blpop a b 0", buf, sizeof(buf)), "1:RW access delete,2:RW access delete"),
       "BLPOP: %s", buf);
    ok(!strcmp(keys_of("lmpop 2 a b left", buf, sizeof(buf)),
               "2:RW access delete,3:RW access delete"),
       "LMPOP: %s", buf);
    ok(!strcmp(keys_of("object|encoding encoding k", buf, sizeof(buf)), "2:RO"),
       "OBJECT ENCODING: %s", buf);
    ok(cmd_meta_list_has("@read @string @fast", "@STRING", 7), "list_has ignores case");
    ok(!cmd_meta_list_has("@read @string", "@str", 4), "list_has matches whole words");
    return tap_done();
}
