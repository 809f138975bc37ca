/* cmd_keyspecs.c - Redis 7.0's description of each command (cmd_keyspecs.h): the rows
 * of cmd_keyspecs.def, an index from command table to row, and key finding from key
 * specifications as Redis' COMMAND GETKEYS does it.
 * Invariant (cmd_meta_init): every row of commands.def has a row here, and a
 * container's subcommand rows follow it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/cmd.h"
#include "daemon/cmd_keyspecs.h"

const struct cmd_meta cmd_meta_rows[] = {
#include "daemon/cmd_keyspecs.def"
};

const size_t cmd_meta_nrows = OMK_ARRAY_LEN(cmd_meta_rows);

/* The row of cmd_table[i]; written once by cmd_meta_init, read-only after. */
static const struct cmd_meta *cmd_meta_by_index[CMD_COUNT];

void cmd_meta_init(void)
{
    for (int i = 0; i < cmd_table_len; i++) {
        cmd_meta_by_index[i] = cmd_meta_lookup(cmd_table[i].name, strlen(cmd_table[i].name));
        OMK_ASSERT(cmd_meta_by_index[i] != NULL); /* rerun tools/gen-cmd-keyspecs.py */
    }
}

const struct cmd_meta *cmd_meta_of(const struct cmd_def *d)
{
    return cmd_meta_by_index[d - cmd_table];
}

const struct cmd_meta *cmd_meta_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < cmd_meta_nrows; i++)
        if (strlen(cmd_meta_rows[i].name) == len &&
            strncasecmp(cmd_meta_rows[i].name, name, len) == 0)
            return &cmd_meta_rows[i];
    return NULL;
}

const struct cmd_meta *cmd_meta_subs(const struct cmd_meta *m, size_t *n)
{
    size_t nlen = strlen(m->name);
    const struct cmd_meta *end = cmd_meta_rows + cmd_meta_nrows, *p = m + 1;

    while (p < end && strncmp(p->name, m->name, nlen) == 0 && p->name[nlen] == '|')
        p++;
    *n = (size_t)(p - (m + 1));
    return m + 1;
}

int cmd_meta_list_has(const char *list, const char *word, size_t len)
{
    const char *p = list;

    while (*p) {
        size_t wl = strcspn(p, " ");

        if (wl == len && strncasecmp(p, word, len) == 0)
            return 1;
        p += wl;
        while (*p == ' ')
            p++;
    }
    return 0;
}

int cmd_meta_has_keys(const struct cmd_meta *m)
{
    if (cmd_meta_list_has(m->flags, "movablekeys", 11))
        return 1;
    for (int i = 0; i < m->nspecs; i++)
        if (!cmd_meta_list_has(m->specs[i].flags, "not_key", 7))
            return 1;
    return 0;
}

/* ---- key finding ---- */

/* The first argument a key specification 'ks' covers, or 0 when it finds none: its
 * keyword is absent, or it cannot say (unknown). */
static int ks_first(const struct cmd_keyspec *ks, int argc, const struct omk_slice *argv)
{
    int from, to, i;

    if (ks->begin == CMD_KS_BEGIN_INDEX)
        return ks->begin_pos;
    if (ks->begin != CMD_KS_BEGIN_KEYWORD)
        return 0;
    from = ks->begin_pos > 0 ? ks->begin_pos : argc + ks->begin_pos;
    to = ks->begin_pos > 0 ? argc - 1 : 1;
    for (i = from; i != to; i = from <= to ? i + 1 : i - 1) {
        if (i >= argc || i < 1)
            break;
        if (cmd_word_is(&argv[i], ks->keyword))
            return i + 1;
    }
    return 0;
}

/* Keys by the specifications alone. Returns how many were written to 'out', or -1 when
 * a specification cannot say (unknown, incomplete, a numkeys that is not a number or
 * points past the arguments): the caller then uses the command's own rule. */
static int ks_getkeys(const struct cmd_meta *m, int argc, const struct omk_slice *argv,
                      struct cmd_keyref *out, int cap)
{
    int n = 0;

    for (int s = 0; s < m->nspecs; s++) {
        const struct cmd_keyspec *ks = &m->specs[s];
        int first, last, step;

        if (cmd_meta_list_has(ks->flags, "not_key", 7))
            continue;
        if (ks->begin == CMD_KS_BEGIN_UNKNOWN)
            return -1;
        first = ks_first(ks, argc, argv);
        if (!first)
            continue; /* keyword absent: no keys from this one */
        if (ks->find == CMD_KS_FIND_RANGE) {
            step = ks->b;
            if (ks->a >= 0)
                last = first + ks->a;
            else if (!ks->c)
                last = argc + ks->a;
            else
                last = first + ((argc - first) / ks->c + ks->a);
        } else if (ks->find == CMD_KS_FIND_KEYNUM) {
            long long numkeys;

            step = ks->c;
            if (ks->a >= argc || first + ks->a >= argc ||
                !omk_str2ll(argv[first + ks->a].p, argv[first + ks->a].len, &numkeys) ||
                numkeys < 0 || numkeys > argc)
                return -1;
            first += ks->b;
            last = first + (int)numkeys - 1;
        } else {
            return -1;
        }
        if (last >= argc || last < first || first >= argc)
            return -1;
        for (int i = first; i <= last && n < cap; i += step)
            out[n++] = (struct cmd_keyref){i, ks->flags};
        if (cmd_meta_list_has(ks->flags, "incomplete", 10))
            return -1;
    }
    return n;
}

/* The decimal number at the start of 'a', read as C's atoi reads it (spaces, a sign,
 * digits up to the first other byte; 0 when none): Redis' own key rules read numkeys so. */
static long long lenient_number(struct omk_slice a)
{
    size_t i = 0;
    long long v = 0;
    int neg = 0;

    while (i < a.len && (a.p[i] == ' ' || (a.p[i] >= '\t' && a.p[i] <= '\r')))
        i++;
    if (i < a.len && (a.p[i] == '-' || a.p[i] == '+'))
        neg = a.p[i++] == '-';
    for (; i < a.len && a.p[i] >= '0' && a.p[i] <= '9' && v < 1000000000; i++)
        v = v * 10 + (a.p[i] - '0');
    return neg ? -v : v;
}

/* Redis' rule for [destination] numkeys key [key ...]: 'store' is the destination's
 * index (0: none), 'count' numkeys' and 'first' the first key's. The keys come first,
 * the destination last, without flags. */
static int rule_numkeys(int store, int count, int first, int argc, const struct omk_slice *argv,
                        struct cmd_keyref *out, int cap)
{
    long long num = count < argc ? lenient_number(argv[count]) : 0;
    int n = 0;

    if (num < 1 || num > argc - first)
        return 0;
    for (int i = 0; i < num && n < cap; i++)
        out[n++] = (struct cmd_keyref){first + i, ""};
    if (store && n < cap)
        out[n++] = (struct cmd_keyref){store, ""};
    return n;
}

/* Redis' rule for SORT ('ro': SORT_RO): the key sorted, and for SORT the destination of
 * the last STORE (LIMIT, GET and BY skip their arguments; other words are options). */
static int rule_sort(int ro, int argc, const struct omk_slice *argv, struct cmd_keyref *out)
{
    int store = 0;

    for (int i = 2; !ro && i < argc; i++) {
        if (cmd_word_is(&argv[i], "limit"))
            i += 2;
        else if (cmd_word_is(&argv[i], "get") || cmd_word_is(&argv[i], "by"))
            i++;
        else if (cmd_word_is(&argv[i], "store") && i + 1 < argc)
            store = i + 1;
    }
    out[0] = (struct cmd_keyref){1, "RO access"};
    if (!store)
        return 1;
    out[1] = (struct cmd_keyref){store, "OW update"};
    return 2;
}

int cmd_meta_getkeys(const struct cmd_meta *m, int argc, const struct omk_slice *argv,
                     struct cmd_keyref *out, int cap)
{
    int n = ks_getkeys(m, argc, argv, out, cap);
    const char *name = m->name;

    if (n >= 0)
        return n;
    if (cap < 2)
        return 0;
    if (!strcmp(name, "sort") || !strcmp(name, "sort_ro"))
        return rule_sort(name[4] == '_', argc, argv, out);
    if (!strcmp(name, "zunionstore") || !strcmp(name, "zinterstore") ||
        !strcmp(name, "zdiffstore"))
        return rule_numkeys(1, 2, 3, argc, argv, out, cap);
    if (!strcmp(name, "blmpop") || !strcmp(name, "bzmpop"))
        return rule_numkeys(0, 2, 3, argc, argv, out, cap);
    if (cmd_meta_list_has(m->flags, "movablekeys", 11))
        return rule_numkeys(0, 1, 2, argc, argv, out, cap); /* ZUNION ... LMPOP, ZMPOP */
    return 0;
}
