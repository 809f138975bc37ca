/* acl.c - ACL users as Redis 7.0 has them (acl.h): the user table, selectors (command
 * bitmaps over acl_cats.c's ids, key and channel patterns), the rule language of ACL
 * SETUSER and the aclfile, the description ACL LIST and GETUSER print, the permission
 * check of every command, AUTH, the ACL LOG and the ACL command's subcommands.
 *
 * Invariant: every user's fields, and the table, change only under acl_lock held for
 * writing; readers hold it for reading. A user's 'head.open' is recomputed after each
 * change, so the command path can skip the check with one load. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/omk_thread.h"
#include "common/sha256.h"
#include "common/splitargs.h"
#include "daemon/acl.h"
#include "daemon/clientinfo.h"
#include "daemon/acl_cats.h"
#include "daemon/cmd.h"
#include "daemon/conn.h"
#include "daemon/log.h"
#include "daemon/reply.h"
#include "daemon/server.h"

/* ---- data ---- */

#define ACL_WORDS 8                          /* bitmap words: room for 511 ids */
#define ACL_FUTURE_ID (ACL_WORDS * 64 - 1)   /* set only by +@all: commands added later */
#define ACL_LOG_MAX 128                      /* Redis' acllog-max-len default */
#define ACL_LOG_GROUP_MS 60000               /* a refusal like a recent one counts in it */

#define ACL_SEL_ROOT 0x1
#define ACL_SEL_ALLKEYS 0x2
#define ACL_SEL_ALLCHANNELS 0x4
#define ACL_SEL_ALLCOMMANDS 0x8

#define ACL_U_ON 0x1
#define ACL_U_NOPASS 0x2
#define ACL_U_SKIP_SANITIZE 0x4
#define ACL_U_SANITIZE 0x8

/* The outcome of a check, ordered as Redis orders them when several selectors refuse. */
enum acl_denied { ACL_OK = 0, ACL_DENIED_CMD = 1, ACL_DENIED_KEY = 2, ACL_DENIED_AUTH = 3,
                  ACL_DENIED_CHANNEL = 4 };

/* A key pattern (with its ACL_KEY_* flags) or a channel pattern (flags unused). */
struct acl_pat {
    char *p;
    size_t len;
    int flags;
};

/* A first argument allowed for an otherwise refused command ("+select|0"). */
struct acl_farg {
    int id;
    char *arg;
};

struct acl_selector {
    uint64_t bits[ACL_WORDS]; /* allowed commands by ACL id */
    unsigned flags;           /* ACL_SEL_* */
    struct acl_pat *keys;
    size_t nkeys;
    struct acl_pat *chans;
    size_t nchans;
    struct acl_farg *fargs;
    size_t nfargs;
};

struct acl_user {
    struct acl_user_head head; /* first: acl_user_open() reads it */
    _Atomic int refs;          /* the table's one plus one per client */
    char *name;
    size_t namelen;
    unsigned flags;            /* ACL_U_* */
    uint8_t (*pass)[OMK_SHA256_LEN];
    size_t npass;
    struct acl_selector *sels; /* sels[0] is the root selector */
    size_t nsels;
    int removed;               /* deleted or replaced by ACL LOAD: denies everything */
};

struct acl_log_entry {
    long long count;
    int reason;                /* enum acl_denied */
    int multi;                 /* context: "multi" rather than "toplevel" */
    char *object, *username, *cinfo;
    int64_t ctime_ms;
};

static pthread_rwlock_t acl_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct acl_user **acl_users; /* sorted by name; acl_lock */
static size_t acl_nusers;
static struct acl_user *acl_default;

static pthread_mutex_t acl_log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct acl_log_entry acl_log[ACL_LOG_MAX]; /* newest first; acl_log_mu */
static size_t acl_log_len;

static int acl_cmd_id[CMD_COUNT]; /* commands.def row -> ACL id; read-only after init */

/* ---- command ids ---- */

/* The ACL id of 'name'/'len' (any case; "parent|sub" for a subcommand), or -1. */
static int acl_id_lookup(const char *name, size_t len)
{
    char lower[64];
    int lo = 0, hi = acl_cmds_len - 1;

    if (len == 0 || len >= sizeof(lower))
        return -1;
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[len] = '\0';
    while (lo <= hi) {
        int mid = (lo + hi) / 2, cmp = strcmp(acl_cmds[mid].name, lower);

        if (cmp == 0)
            return mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Whether id 'id' is a subcommand. */
static int acl_id_is_sub(int id)
{
    return strchr(acl_cmds[id].name, '|') != NULL;
}

/* The number of subcommands of parent 'id' (they follow it in the table). */
static int acl_id_nsubs(int id)
{
    size_t plen = strlen(acl_cmds[id].name);
    int n = 0;

    while (id + 1 + n < acl_cmds_len &&
           strncmp(acl_cmds[id + 1 + n].name, acl_cmds[id].name, plen) == 0 &&
           acl_cmds[id + 1 + n].name[plen] == '|')
        n++;
    return n;
}

/* ---- selectors ---- */

static int acl_bit(const struct acl_selector *s, int id)
{
    return (int)((s->bits[id / 64] >> (id % 64)) & 1);
}

static void acl_bit_set(struct acl_selector *s, int id, int on)
{
    if (!on)
        s->flags &= ~ACL_SEL_ALLCOMMANDS;
    if (on)
        s->bits[id / 64] |= (uint64_t)1 << (id % 64);
    else
        s->bits[id / 64] &= ~((uint64_t)1 << (id % 64));
}

static void acl_pats_free(struct acl_pat **v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        omk_free((*v)[i].p);
    omk_free(*v);
    *v = NULL;
    *n = 0;
}

static void acl_fargs_reset(struct acl_selector *s, int id)
{
    size_t w = 0;

    for (size_t i = 0; i < s->nfargs; i++) {
        if (id < 0 || s->fargs[i].id == id)
            omk_free(s->fargs[i].arg);
        else
            s->fargs[w++] = s->fargs[i];
    }
    s->nfargs = w;
    if (w == 0) {
        omk_free(s->fargs);
        s->fargs = NULL;
    }
}

static void acl_selector_deinit(struct acl_selector *s)
{
    acl_pats_free(&s->keys, &s->nkeys);
    acl_pats_free(&s->chans, &s->nchans);
    acl_fargs_reset(s, -1);
}

static void acl_selector_init(struct acl_selector *s, unsigned flags)
{
    memset(s, 0, sizeof(*s));
    s->flags = flags; /* acl-pubsub-default is resetchannels: no ALLCHANNELS */
}

static void acl_pats_copy(struct acl_pat **dst, size_t *nd, const struct acl_pat *src, size_t n)
{
    *dst = n ? omk_malloc(n * sizeof(**dst)) : NULL;
    *nd = n;
    for (size_t i = 0; i < n; i++) {
        (*dst)[i] = src[i];
        (*dst)[i].p = omk_memdup(src[i].p, src[i].len);
    }
}

static void acl_selector_copy(struct acl_selector *dst, const struct acl_selector *src)
{
    *dst = *src;
    acl_pats_copy(&dst->keys, &dst->nkeys, src->keys, src->nkeys);
    acl_pats_copy(&dst->chans, &dst->nchans, src->chans, src->nchans);
    dst->fargs = src->nfargs ? omk_malloc(src->nfargs * sizeof(*dst->fargs)) : NULL;
    for (size_t i = 0; i < src->nfargs; i++) {
        dst->fargs[i].id = src->fargs[i].id;
        dst->fargs[i].arg = omk_memdup(src->fargs[i].arg, strlen(src->fargs[i].arg));
    }
}

/* Allow or refuse command 'id' and, for a parent, all its subcommands (Redis'
 * ACLChangeSelectorPerm); first-arg exceptions of 'id' are dropped. */
static void acl_change_perm(struct acl_selector *s, int id, int on)
{
    int nsubs = acl_id_nsubs(id);

    acl_bit_set(s, id, on);
    acl_fargs_reset(s, id);
    for (int i = 1; i <= nsubs; i++)
        acl_bit_set(s, id + i, on);
}

/* +@cat / -@cat: every command of the category, parents before their subcommands. */
static void acl_change_category(struct acl_selector *s, uint32_t cat, int on)
{
    for (int id = 0; id < acl_cmds_len; id++)
        if (acl_cmds[id].cats & cat)
            acl_change_perm(s, id, on);
}

/* The category bit named 'name'/'len' (no '@'; any case), or 0. */
static uint32_t acl_cat_lookup(const char *name, size_t len)
{
    for (int i = 0; i < ACL_CAT_COUNT; i++)
        if (strlen(acl_cat_names[i]) == len && strncasecmp(acl_cat_names[i], name, len) == 0)
            return 1u << i;
    return 0;
}

static int acl_has_space(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)p[i]) || p[i] == 0)
            return 1;
    return 0;
}

static int acl_op_is(const char *op, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(op, word, len) == 0;
}

/* Add pattern 'p'/'len' with 'flags' to a list, or OR the flags into an equal one. */
static void acl_pat_add(struct acl_pat **v, size_t *n, const char *p, size_t len, int flags)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*v)[i].len == len && memcmp((*v)[i].p, p, len) == 0) {
            (*v)[i].flags |= flags;
            return;
        }
    }
    *v = omk_realloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n].p = omk_memdup(p, len);
    (*v)[*n].len = len;
    (*v)[*n].flags = flags;
    (*n)++;
}

/* "+cmd|arg" or "+parent|sub" (op without the '+'). Returns 0 or an errno value. */
static int acl_allow_pipe(struct acl_selector *s, const char *op, size_t len)
{
    const char *bar = memrchr(op, '|', len);
    int id = acl_id_lookup(op, (size_t)(bar - op));
    size_t sublen = len - (size_t)(bar - op) - 1;

    if (id < 0)
        return ENOENT;
    if (acl_id_is_sub(id))
        return ECHILD;
    if (sublen == 0)
        return EINVAL;
    if (acl_id_nsubs(id) > 0) {
        int sid = acl_id_lookup(op, len);

        if (sid < 0)
            return ENOENT;
        acl_change_perm(s, sid, 1);
        return 0;
    }
    for (size_t i = 0; i < s->nfargs; i++)
        if (s->fargs[i].id == id && strlen(s->fargs[i].arg) == sublen &&
            strncasecmp(s->fargs[i].arg, bar + 1, sublen) == 0)
            return 0;
    s->fargs = omk_realloc(s->fargs, (s->nfargs + 1) * sizeof(*s->fargs));
    s->fargs[s->nfargs].id = id;
    s->fargs[s->nfargs].arg = omk_memdup(bar + 1, sublen);
    s->nfargs++;
    return 0;
}

/* Apply one selector rule 'op'/'len' to 's' (Redis' ACLSetSelector). Returns 0 or an
 * errno value naming the fault (acl_errno_text). */
static int acl_selector_apply(struct acl_selector *s, const char *op, size_t len)
{
    if (acl_op_is(op, len, "allkeys") || acl_op_is(op, len, "~*")) {
        s->flags |= ACL_SEL_ALLKEYS;
        acl_pats_free(&s->keys, &s->nkeys);
    } else if (acl_op_is(op, len, "resetkeys")) {
        s->flags &= ~ACL_SEL_ALLKEYS;
        acl_pats_free(&s->keys, &s->nkeys);
    } else if (acl_op_is(op, len, "allchannels") || acl_op_is(op, len, "&*")) {
        s->flags |= ACL_SEL_ALLCHANNELS;
        acl_pats_free(&s->chans, &s->nchans);
    } else if (acl_op_is(op, len, "resetchannels")) {
        s->flags &= ~ACL_SEL_ALLCHANNELS;
        acl_pats_free(&s->chans, &s->nchans);
    } else if (acl_op_is(op, len, "allcommands") || acl_op_is(op, len, "+@all")) {
        memset(s->bits, 0xff, sizeof(s->bits));
        s->flags |= ACL_SEL_ALLCOMMANDS;
        acl_fargs_reset(s, -1);
    } else if (acl_op_is(op, len, "nocommands") || acl_op_is(op, len, "-@all")) {
        memset(s->bits, 0, sizeof(s->bits));
        s->flags &= ~ACL_SEL_ALLCOMMANDS;
        acl_fargs_reset(s, -1);
    } else if (len > 0 && (op[0] == '~' || op[0] == '%')) {
        size_t off = 1;
        int flags = 0;

        if (s->flags & ACL_SEL_ALLKEYS)
            return EEXIST;
        if (op[0] == '%') {
            for (; off < len; off++) {
                char ch = (char)toupper((unsigned char)op[off]);

                if (ch == 'R' && !(flags & ACL_KEY_READ)) {
                    flags |= ACL_KEY_READ;
                } else if (ch == 'W' && !(flags & ACL_KEY_WRITE)) {
                    flags |= ACL_KEY_WRITE;
                } else if (op[off] == '~') {
                    off++;
                    break;
                } else {
                    return EINVAL;
                }
            }
        } else {
            flags = ACL_KEY_READ | ACL_KEY_WRITE;
        }
        if (flags == 0 || acl_has_space(op + off, len - off))
            return EINVAL;
        acl_pat_add(&s->keys, &s->nkeys, op + off, len - off, flags);
        s->flags &= ~ACL_SEL_ALLKEYS;
    } else if (len > 0 && op[0] == '&') {
        if (s->flags & ACL_SEL_ALLCHANNELS)
            return EISDIR;
        if (acl_has_space(op + 1, len - 1))
            return EINVAL;
        acl_pat_add(&s->chans, &s->nchans, op + 1, len - 1, 0);
        s->flags &= ~ACL_SEL_ALLCHANNELS;
    } else if (len > 1 && op[0] == '+' && op[1] != '@') {
        int id;

        if (memchr(op, '|', len))
            return acl_allow_pipe(s, op + 1, len - 1);
        id = acl_id_lookup(op + 1, len - 1);
        if (id < 0)
            return ENOENT;
        acl_change_perm(s, id, 1);
    } else if (len > 1 && op[0] == '-' && op[1] != '@') {
        int id = acl_id_lookup(op + 1, len - 1);

        if (id < 0)
            return ENOENT;
        acl_change_perm(s, id, 0);
    } else if (len > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@') {
        uint32_t cat = acl_cat_lookup(op + 2, len - 2);

        if (!cat)
            return ENOENT;
        acl_change_category(s, cat, op[0] == '+');
    } else {
        return EINVAL;
    }
    return 0;
}

/* ---- users ---- */

static struct acl_user *acl_user_new(const char *name, size_t len)
{
    struct acl_user *u = omk_calloc(1, sizeof(*u));

    atomic_init(&u->refs, 1);
    u->name = omk_memdup(name, len);
    u->namelen = len;
    u->sels = omk_malloc(sizeof(*u->sels));
    u->nsels = 1;
    acl_selector_init(&u->sels[0], ACL_SEL_ROOT);
    return u;
}

/* Free what 'u' holds besides its name and refcount (its rules). */
static void acl_user_clear(struct acl_user *u)
{
    for (size_t i = 0; i < u->nsels; i++)
        acl_selector_deinit(&u->sels[i]);
    omk_free(u->sels);
    omk_free(u->pass);
    u->sels = NULL;
    u->pass = NULL;
    u->nsels = u->npass = 0;
}

static void acl_user_free(struct acl_user *u)
{
    if (!u)
        return;
    acl_user_clear(u);
    omk_free(u->name);
    omk_free(u);
}

/* Make 'dst''s rules a copy of 'src''s (name and refcount stay). */
static void acl_user_copy_rules(struct acl_user *dst, const struct acl_user *src)
{
    acl_user_clear(dst);
    dst->flags = src->flags;
    dst->npass = src->npass;
    dst->pass = src->npass ? omk_memdup(src->pass, src->npass * OMK_SHA256_LEN) : NULL;
    dst->nsels = src->nsels;
    dst->sels = omk_malloc(src->nsels * sizeof(*dst->sels));
    for (size_t i = 0; i < src->nsels; i++)
        acl_selector_copy(&dst->sels[i], &src->sels[i]);
}

/* Recompute u->head.open after a change. */
static void acl_user_refresh(struct acl_user *u)
{
    const struct acl_selector *r = &u->sels[0];
    int open = !u->removed && (u->flags & ACL_U_ON) && (r->flags & ACL_SEL_ALLCOMMANDS) &&
               (r->flags & ACL_SEL_ALLKEYS) && (r->flags & ACL_SEL_ALLCHANNELS);

    atomic_store_explicit(&u->head.open, open, memory_order_relaxed);
}

void acl_user_retain(struct acl_user *u)
{
    atomic_fetch_add_explicit(&u->refs, 1, memory_order_relaxed);
}

void acl_user_release(struct acl_user *u)
{
    if (u && atomic_fetch_sub_explicit(&u->refs, 1, memory_order_acq_rel) == 1)
        acl_user_free(u);
}

struct acl_user *acl_default_user(void)
{
    return acl_default;
}

void acl_user_name(const struct acl_user *u, char *out, size_t len)
{
    snprintf(out, len, "%s", u->name);
}

static void acl_hex(const uint8_t *h, char out[2 * OMK_SHA256_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < OMK_SHA256_LEN; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[2 * OMK_SHA256_LEN] = '\0';
}

/* Parse a "#<hash>" body: exactly 64 lowercase hex digits. 1 with 'out', or 0. */
static int acl_unhex(const char *p, size_t len, uint8_t out[OMK_SHA256_LEN])
{
    if (len != 2 * OMK_SHA256_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int ch = p[i], v;

        if (ch >= '0' && ch <= '9')
            v = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            v = ch - 'a' + 10;
        else
            return 0;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 1;
}

static ssize_t acl_pass_find(const struct acl_user *u, const uint8_t h[OMK_SHA256_LEN])
{
    for (size_t i = 0; i < u->npass; i++)
        if (memcmp(u->pass[i], h, OMK_SHA256_LEN) == 0)
            return (ssize_t)i;
    return -1;
}

static void acl_pass_add(struct acl_user *u, const uint8_t h[OMK_SHA256_LEN])
{
    u->flags &= ~ACL_U_NOPASS;
    if (acl_pass_find(u, h) >= 0)
        return;
    u->pass = omk_realloc(u->pass, (u->npass + 1) * OMK_SHA256_LEN);
    memcpy(u->pass[u->npass++], h, OMK_SHA256_LEN);
}

static int acl_pass_del(struct acl_user *u, const uint8_t h[OMK_SHA256_LEN])
{
    ssize_t i = acl_pass_find(u, h);

    u->flags &= ~ACL_U_NOPASS;
    if (i < 0)
        return ENODEV;
    memmove(u->pass[i], u->pass[i + 1], (u->npass - (size_t)i - 1) * OMK_SHA256_LEN);
    u->npass--;
    return 0;
}

static void acl_clear_selectors(struct acl_user *u)
{
    for (size_t i = 1; i < u->nsels; i++)
        acl_selector_deinit(&u->sels[i]);
    u->nsels = 1;
}

static int acl_user_apply(struct acl_user *u, const char *op, size_t len);

/* What acl_add_selector's split hands each rule to. */
struct acl_split {
    struct acl_selector *s;
    int err; /* the first rule's fault, 0 none */
};

static void acl_split_cb(void *arg, const char *p, size_t len)
{
    struct acl_split *a = arg;

    if (!a->err)
        a->err = acl_selector_apply(a->s, p, len);
}

/* "(rule rule ...)": a new selector from the rules inside the parentheses, split as
 * Redis' sdssplitargs splits them. Returns 0 or an errno value. */
static int acl_add_selector(struct acl_user *u, const char *op, size_t len)
{
    struct acl_selector s;
    struct acl_split a = {&s, 0};
    char *out = omk_malloc(len);

    acl_selector_init(&s, 0);
    if (omk_splitargs(op + 1, len - 2, out, acl_split_cb, &a) != 0 && !a.err)
        a.err = EINVAL;
    omk_free(out);
    if (a.err) {
        acl_selector_deinit(&s);
        return a.err;
    }
    u->sels = omk_realloc(u->sels, (u->nsels + 1) * sizeof(*u->sels));
    u->sels[u->nsels++] = s;
    return 0;
}

/* Apply one rule 'op'/'len' to user 'u' (Redis' ACLSetUser). Returns 0 or an errno
 * value (acl_errno_text). */
static int acl_user_apply(struct acl_user *u, const char *op, size_t len)
{
    uint8_t h[OMK_SHA256_LEN];

    if (len == 0)
        return 0;
    if (acl_op_is(op, len, "on")) {
        u->flags |= ACL_U_ON;
    } else if (acl_op_is(op, len, "off")) {
        u->flags &= ~ACL_U_ON;
    } else if (acl_op_is(op, len, "skip-sanitize-payload")) {
        u->flags = (u->flags & ~ACL_U_SANITIZE) | ACL_U_SKIP_SANITIZE;
    } else if (acl_op_is(op, len, "sanitize-payload")) {
        u->flags = (u->flags & ~ACL_U_SKIP_SANITIZE) | ACL_U_SANITIZE;
    } else if (acl_op_is(op, len, "nopass")) {
        u->flags |= ACL_U_NOPASS;
        u->npass = 0;
    } else if (acl_op_is(op, len, "resetpass")) {
        u->flags &= ~ACL_U_NOPASS;
        u->npass = 0;
    } else if (op[0] == '>') {
        omk_sha256(op + 1, len - 1, h);
        acl_pass_add(u, h);
    } else if (op[0] == '#') {
        if (!acl_unhex(op + 1, len - 1, h))
            return EBADMSG;
        acl_pass_add(u, h);
    } else if (op[0] == '<') {
        omk_sha256(op + 1, len - 1, h);
        return acl_pass_del(u, h);
    } else if (op[0] == '!') {
        if (!acl_unhex(op + 1, len - 1, h))
            return EBADMSG;
        return acl_pass_del(u, h);
    } else if (op[0] == '(' && op[len - 1] == ')') {
        return acl_add_selector(u, op, len);
    } else if (acl_op_is(op, len, "clearselectors")) {
        acl_clear_selectors(u);
    } else if (acl_op_is(op, len, "reset")) {
        acl_user_apply(u, "resetpass", 9);
        acl_user_apply(u, "resetkeys", 9);
        acl_user_apply(u, "resetchannels", 13);
        acl_user_apply(u, "off", 3);
        acl_user_apply(u, "sanitize-payload", 16);
        acl_user_apply(u, "clearselectors", 14);
        acl_user_apply(u, "-@all", 5);
    } else {
        return acl_selector_apply(&u->sels[0], op, len);
    }
    return 0;
}

/* Redis' words for the errno values acl_user_apply returns. */
static const char *acl_errno_text(int err)
{
    switch (err) {
    case ENOENT:
        return "Unknown command or category name in ACL";
    case EINVAL:
        return "Syntax error";
    case EEXIST:
        return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
               "does not have any effect. Try 'resetkeys' to start with an empty list of "
               "patterns";
    case EISDIR:
        return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
               "and does not have any effect. Try 'resetchannels' to start with an empty list "
               "of channels";
    case ENODEV:
        return "The password you are trying to remove from the user does not exist";
    case EBADMSG:
        return "The password hash must be exactly 64 characters and contain only lowercase "
               "hexadecimal characters";
    case ECHILD:
        return "Allowing first-arg of a subcommand is not supported";
    }
    return "Unknown error";
}

/* ---- the table (acl_lock held) ---- */

static ssize_t acl_find_idx(struct acl_user **v, size_t n, const char *name, size_t len,
                            size_t *ins)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t ml = v[mid]->namelen < len ? v[mid]->namelen : len;
        int cmp = memcmp(v[mid]->name, name, ml);

        if (cmp == 0)
            cmp = v[mid]->namelen < len ? -1 : v[mid]->namelen > len;
        if (cmp == 0)
            return (ssize_t)mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (ins)
        *ins = lo;
    return -1;
}

static struct acl_user *acl_find(const char *name, size_t len)
{
    ssize_t i = acl_find_idx(acl_users, acl_nusers, name, len, NULL);

    return i >= 0 ? acl_users[i] : NULL;
}

int acl_user_exists(struct omk_slice name)
{
    int found;

    pthread_rwlock_rdlock(&acl_lock);
    found = acl_find(name.p, name.len) != NULL;
    pthread_rwlock_unlock(&acl_lock);
    return found;
}

/* Insert 'u' (taking the table's reference) into the table 'v'/'n'. */
static void acl_table_insert(struct acl_user ***v, size_t *n, struct acl_user *u)
{
    size_t at = 0;

    OMK_ASSERT(acl_find_idx(*v, *n, u->name, u->namelen, &at) < 0);
    *v = omk_realloc(*v, (*n + 1) * sizeof(**v));
    memmove(&(*v)[at + 1], &(*v)[at], (*n - at) * sizeof(**v));
    (*v)[at] = u;
    (*n)++;
}

/* Close the clients of every worker logged in as 'u' ('self' after its reply). */
static void acl_kill_clients_of(struct acl_user *u, struct client *self)
{
    for (int i = 0; i < server.nworkers; i++) {
        struct worker *w = &server.workers[i];
        int any = 0;

        omk_mutex_lock(&w->clients_lock);
        for (struct client *x = w->clients; x; x = x->next) {
            if (x->user != u)
                continue;
            if (x == self)
                self->flags |= CLIENT_CLOSE_AFTER_REPLY;
            else
                atomic_store(&x->kill_requested, 1), any = 1;
        }
        omk_mutex_unlock(&w->clients_lock);
        if (any)
            worker_reap(w);
    }
}

/* Unlink-time work for a user leaving the table: it denies everything from now on,
 * its clients are closed, and the table's reference goes. */
static void acl_user_retire(struct acl_user *u, struct client *self)
{
    u->removed = 1;
    acl_user_refresh(u);
    acl_kill_clients_of(u, self);
    acl_user_release(u);
}

/* The default user as a fresh server has it. */
static void acl_default_rules(struct acl_user *u)
{
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};

    for (size_t i = 0; i < OMK_ARRAY_LEN(rules); i++)
        OMK_ASSERT(acl_user_apply(u, rules[i], strlen(rules[i])) == 0);
}

/* ---- describing users ---- */

/* Category 'cat''s commands allowed ('*on') and refused ('*off') by bitmap 'bits'. */
static void acl_count_category(const struct acl_selector *s, uint32_t cat, int *on, int *off)
{
    *on = *off = 0;
    for (int id = 0; id < acl_cmds_len; id++)
        if (acl_cmds[id].cats & cat)
            (acl_bit(s, id) ? (*on)++ : (*off)++);
}

/* Append to 'b' the command rules that rebuild s's bitmap, as Redis 7.0 finds them:
 * +@all or -@all (+@all when the selector would allow future commands); then, greedily,
 * the category that best fits the commands not yet explained (more of its commands
 * agree than differ, fewest differences, then most agreeing), taken out of a scratch
 * copy of the bitmap each time; then the single commands (and first-arg exceptions)
 * still differing. Redis walks the commands in hash order for that last step; we walk
 * them by name, so several single-command rules may come in another order. */
static void acl_describe_commands(struct evbuffer *b, const struct acl_selector *s)
{
    struct acl_selector fake, left;
    int additive = !acl_bit(s, ACL_FUTURE_ID);
    char applied[ACL_CAT_COUNT] = {0};

    acl_selector_init(&fake, 0);
    acl_selector_apply(&fake, additive ? "-@all" : "+@all", 5);
    acl_selector_init(&left, 0);
    memcpy(left.bits, s->bits, sizeof(left.bits));
    evbuffer_add_printf(b, "%s ", additive ? "-@all" : "+@all");
    for (;;) {
        int best = -1, mindiff = 1 << 30, maxsame = 0;

        for (int i = 0; i < ACL_CAT_COUNT; i++) {
            int on, off, diff, same;

            if (applied[i])
                continue;
            acl_count_category(&left, 1u << i, &on, &off);
            diff = additive ? off : on;
            same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = i;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0)
            break;
        acl_change_category(&fake, 1u << best, additive);
        acl_change_category(&left, 1u << best, !additive);
        evbuffer_add_printf(b, "%s%s ", additive ? "+@" : "-@", acl_cat_names[best]);
        applied[best] = 1;
    }
    for (int id = 0; id < acl_cmds_len; id++) {
        int bit = acl_bit(s, id);

        if (bit != acl_bit(&fake, id)) {
            evbuffer_add_printf(b, "%c%s ", bit ? '+' : '-', acl_cmds[id].name);
            if (acl_id_is_sub(id))
                acl_bit_set(&fake, id, bit);
            else
                acl_change_perm(&fake, id, bit);
        }
        for (size_t j = 0; !bit && j < s->nfargs; j++)
            if (s->fargs[j].id == id)
                evbuffer_add_printf(b, "+%s|%s ", acl_cmds[id].name, s->fargs[j].arg);
    }
    OMK_ASSERT(memcmp(fake.bits, s->bits, sizeof(s->bits) - sizeof(uint64_t)) == 0);
    acl_selector_deinit(&fake);
    acl_selector_deinit(&left);
}

/* Append the key patterns of 's' to 'b', each followed by a space. */
static void acl_describe_keys(struct evbuffer *b, const struct acl_selector *s)
{
    if (s->flags & ACL_SEL_ALLKEYS) {
        evbuffer_add(b, "~* ", 3);
        return;
    }
    for (size_t i = 0; i < s->nkeys; i++) {
        int f = s->keys[i].flags;

        evbuffer_add_printf(b, "%s~", f == ACL_KEY_READ ? "%R" : f == ACL_KEY_WRITE ? "%W" : "");
        evbuffer_add(b, s->keys[i].p, s->keys[i].len);
        evbuffer_add(b, " ", 1);
    }
}

/* Append the channel patterns of 's' ('reset': with Redis' "resetchannels" prefix). */
static void acl_describe_chans(struct evbuffer *b, const struct acl_selector *s, int reset)
{
    if (s->flags & ACL_SEL_ALLCHANNELS) {
        evbuffer_add(b, "&* ", 3);
        return;
    }
    if (reset)
        evbuffer_add(b, "resetchannels ", 14);
    for (size_t i = 0; i < s->nchans; i++) {
        evbuffer_add(b, "&", 1);
        evbuffer_add(b, s->chans[i].p, s->chans[i].len);
        evbuffer_add(b, " ", 1);
    }
}

/* Remove a trailing space from 'b'. */
static void acl_trim_space(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *p;

    if (n == 0)
        return;
    p = (char *)evbuffer_pullup(b, -1);
    if (p[n - 1] == ' ') {
        struct evbuffer *t = evbuffer_new();

        evbuffer_add(t, p, n - 1);
        evbuffer_drain(b, n);
        evbuffer_add_buffer(b, t);
        evbuffer_free(t);
    }
}

/* Append selector 's' as ACL LIST shows it: keys, channels, commands. */
static void acl_describe_selector(struct evbuffer *b, const struct acl_selector *s)
{
    acl_describe_keys(b, s);
    acl_describe_chans(b, s, 1);
    acl_describe_commands(b, s);
    acl_trim_space(b);
}

/* Append user 'u' as ACL LIST shows it ("user <name> ..."). */
static void acl_describe_user(struct evbuffer *b, const struct acl_user *u)
{
    static const struct {
        unsigned flag;
        const char *name;
    } names[] = {{ACL_U_NOPASS, "nopass"},
                 {ACL_U_SKIP_SANITIZE, "skip-sanitize-payload"},
                 {ACL_U_SANITIZE, "sanitize-payload"}};
    char hex[2 * OMK_SHA256_LEN + 1];

    evbuffer_add_printf(b, "user %s %s ", u->name, (u->flags & ACL_U_ON) ? "on" : "off");
    for (size_t i = 0; i < OMK_ARRAY_LEN(names); i++)
        if (u->flags & names[i].flag)
            evbuffer_add_printf(b, "%s ", names[i].name);
    for (size_t i = 0; i < u->npass; i++) {
        acl_hex(u->pass[i], hex);
        evbuffer_add_printf(b, "#%s ", hex);
    }
    for (size_t i = 0; i < u->nsels; i++) {
        if (i > 0)
            evbuffer_add(b, " (", 2);
        acl_describe_selector(b, &u->sels[i]);
        if (i > 0)
            evbuffer_add(b, ")", 1);
    }
}

/* Reply the bytes of 'b' as a bulk string, emptying it. */
static void acl_reply_buf(struct client *c, struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);

    reply_bulk(c, n ? evbuffer_pullup(b, -1) : (const unsigned char *)"", n);
    evbuffer_drain(b, n);
}

/* ---- the permission check ---- */

/* Whether 'key' is one of s's patterns allowing access 'need' (ACL_KEY_*). */
static int acl_key_ok(const struct acl_selector *s, const struct omk_slice *key, int need)
{
    if (s->flags & ACL_SEL_ALLKEYS)
        return 1;
    for (size_t i = 0; i < s->nkeys; i++)
        if ((s->keys[i].flags & need) == need &&
            omk_glob_match(s->keys[i].p, s->keys[i].len, key->p, key->len, 0))
            return 1;
    return 0;
}

/* Whether channel 'ch' is allowed by 's' ('literal': a PSUBSCRIBE pattern, which must
 * equal one of the patterns). */
static int acl_chan_ok(const struct acl_selector *s, const struct omk_slice *ch, int literal)
{
    if (s->flags & ACL_SEL_ALLCHANNELS)
        return 1;
    for (size_t i = 0; i < s->nchans; i++) {
        const struct acl_pat *p = &s->chans[i];

        if (literal ? (p->len == ch->len && memcmp(p->p, ch->p, ch->len) == 0)
                    : omk_glob_match(p->p, p->len, ch->p, ch->len, 0))
            return 1;
    }
    return 0;
}

/* A request as the check sees it: the command's ACL id and where its keys are. */
struct acl_req {
    const struct cmd_def *d;
    int id;                       /* ACL id: the subcommand's when there is one */
    int argc;
    const struct omk_slice *argv; /* argv[0] is the command name */
};

/* The ACL id of the request: the subcommand's when 'd' has subcommands in Redis'
 * table and argv[1] names one; -1 when it names none (the handler refuses it). */
static int acl_req_id(const struct cmd_def *d, int argc, const struct omk_slice *argv)
{
    int id = acl_cmd_id[d - cmd_table];
    char full[80];
    int n;

    if (acl_id_nsubs(id) == 0)
        return id;
    if (argc < 2)
        return id;
    n = snprintf(full, sizeof(full), "%s|%.*s", d->name,
                 (int)(argv[1].len < 40 ? argv[1].len : 40), argv[1].p);
    return acl_id_lookup(full, (size_t)n);
}

/* The key need of the key argument at 'pos' which is the 'nth' key. */
static int acl_key_need(const struct acl_req *r, int nth)
{
    const struct acl_cmd_info *ci = &acl_cmds[r->id];

    if (strcmp(ci->name, "set") == 0) { /* OW, or RW with GET */
        for (int i = 3; i < r->argc; i++)
            if (cmd_word_is(&r->argv[i], "get"))
                return ACL_KEY_READ | ACL_KEY_WRITE;
        return ACL_KEY_WRITE;
    }
    if (strcmp(ci->name, "bitfield") == 0) { /* RO unless it writes */
        for (int i = 2; i < r->argc; i++)
            if (cmd_word_is(&r->argv[i], "set") || cmd_word_is(&r->argv[i], "incrby"))
                return ACL_KEY_READ | ACL_KEY_WRITE;
        return ACL_KEY_READ;
    }
    return nth == 0 ? ci->key_first : ci->key_rest;
}

/* Call 'fn' on each key position of the request until it returns 0; returns the
 * position where it did, or 0 when every key passed. Positions follow the table's
 * first/last/step, a numkeys argument, or SORT's STORE. */
static int acl_each_key(const struct acl_req *r, int (*fn)(const void *arg, int pos, int need),
                        const void *arg)
{
    const struct cmd_def *d = r->d;
    int nth = 0;

    if (d->proc == cmd_sort || d->proc == cmd_sort_ro) {
        int store = 0;

        if (!fn(arg, 1, acl_key_need(r, nth++)))
            return 1;
        for (int i = 2; d->proc == cmd_sort && i < r->argc; i++) {
            if (cmd_word_is(&r->argv[i], "limit"))
                i += 2;
            else if (cmd_word_is(&r->argv[i], "get") || cmd_word_is(&r->argv[i], "by"))
                i++;
            else if (cmd_word_is(&r->argv[i], "store") && i + 1 < r->argc)
                store = i + 1;
        }
        if (store && !fn(arg, store, acl_key_need(r, nth)))
            return store;
        return 0;
    }
    if (d->flags & CMD_MOVABLEKEYS) {
        int idx = cmd_numkeys_index(d);
        long long numkeys;

        for (int i = d->first_key; d->first_key > 0 && i <= d->last_key; i++)
            if (!fn(arg, i, acl_key_need(r, nth++)))
                return i;
        if (idx >= r->argc || !omk_str2ll(r->argv[idx].p, r->argv[idx].len, &numkeys) ||
            numkeys < 1 || numkeys > r->argc - idx - 1)
            return 0; /* the handler refuses the request */
        for (long long i = 1; i <= numkeys; i++)
            if (!fn(arg, idx + (int)i, acl_key_need(r, nth++)))
                return idx + (int)i;
        return 0;
    }
    if (d->first_key > 0) {
        int last = d->last_key < 0 ? r->argc + d->last_key : d->last_key;

        for (int i = d->first_key; i <= last && i < r->argc; i += d->key_step)
            if (!fn(arg, i, acl_key_need(r, nth++)))
                return i;
    }
    return 0;
}

struct acl_key_arg {
    const struct acl_selector *s;
    const struct acl_req *r;
};

static int acl_key_cb(const void *arg, int pos, int need)
{
    const struct acl_key_arg *a = arg;

    return acl_key_ok(a->s, &a->r->argv[pos], need);
}

/* Check the channels of a publishing or subscribing command against 's': returns the
 * position of the first refused one, or 0. The pub/sub commands, when daemon/pubsub.c
 * adds them, are found here by name, as Redis' command flags would find them. */
static int acl_check_channels(const struct acl_selector *s, const struct acl_req *r)
{
    const char *name = acl_cmds[r->id].name;
    int literal = 0, first = 1, last = 1;

    if (strcmp(name, "publish") == 0 || strcmp(name, "spublish") == 0)
        last = 1;
    else if (strcmp(name, "subscribe") == 0 || strcmp(name, "ssubscribe") == 0)
        last = r->argc - 1;
    else if (strcmp(name, "psubscribe") == 0)
        last = r->argc - 1, literal = 1;
    else
        return 0;
    for (int i = first; i <= last && i < r->argc; i++)
        if (!acl_chan_ok(s, &r->argv[i], literal))
            return i;
    return 0;
}

/* Check request 'r' against one selector: ACL_OK or the refusal, with the argument
 * position of a refused key or channel in '*pos'. */
static int acl_selector_check(const struct acl_selector *s, const struct acl_req *r, int *pos)
{
    struct acl_key_arg ka = {s, r};

    *pos = 0;
    /* Commands allowed before AUTH (AUTH, HELLO, QUIT) are never refused by the rules. */
    if (!(s->flags & ACL_SEL_ALLCOMMANDS) && !(r->d->flags & CMD_NOAUTH) && !acl_bit(s, r->id)) {
        int farg = 0;

        for (size_t i = 0; r->argc > 1 && i < s->nfargs && !farg; i++)
            farg = s->fargs[i].id == r->id && cmd_word_is(&r->argv[1], s->fargs[i].arg);
        if (!farg)
            return ACL_DENIED_CMD;
    }
    if (!(s->flags & ACL_SEL_ALLKEYS) && (*pos = acl_each_key(r, acl_key_cb, &ka)) != 0)
        return ACL_DENIED_KEY;
    if (!(s->flags & ACL_SEL_ALLCHANNELS) && (*pos = acl_check_channels(s, r)) != 0)
        return ACL_DENIED_CHANNEL;
    return ACL_OK;
}

/* Check 'r' against every selector of 'u' (acl_lock held): ACL_OK if one allows it,
 * else the refusal Redis reports (the worst kind, then the last position). */
static int acl_user_check(const struct acl_user *u, const struct acl_req *r, int *pos)
{
    int worst = ACL_DENIED_CMD, worst_pos = 0;

    *pos = 0;
    if (u->removed)
        return ACL_DENIED_CMD;
    for (size_t i = 0; i < u->nsels; i++) {
        int p, rc = acl_selector_check(&u->sels[i], r, &p);

        if (rc == ACL_OK)
            return ACL_OK;
        if (rc > worst || (rc == worst && p > worst_pos))
            worst = rc, worst_pos = p;
    }
    *pos = worst_pos;
    return worst;
}

/* ---- the ACL LOG ---- */

/* This client's CLIENT LIST line, without its newline (returns memory freed with
 * omk_free). */
static char *acl_client_info(struct client *c)
{
    struct evbuffer *b = evbuffer_new();
    size_t n;
    char *s;

    client_describe_self(b, c);
    n = evbuffer_get_length(b);
    s = omk_malloc(n + 1);
    evbuffer_remove(b, s, n);
    evbuffer_free(b);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    s[n] = '\0';
    return s;
}

/* Record a refusal: 'object' is the command, key, channel or "auth"; 'username' whose;
 * 'multi' the context (inside MULTI, or EXEC running the queue). A refusal equal to one
 * less than a minute old counts in it and moves it to the top. */
static void acl_log_add(struct client *c, int reason, struct omk_slice object,
                        struct omk_slice username, int multi)
{
    struct acl_log_entry e = {1, reason, multi, omk_memdup(object.p, object.len),
                              omk_memdup(username.p, username.len), acl_client_info(c),
                              omk_now_ms()};

    omk_mutex_lock(&acl_log_mu);
    for (size_t i = 0; i < acl_log_len; i++) {
        struct acl_log_entry *x = &acl_log[i];

        if (x->reason == e.reason && x->multi == e.multi && strcmp(x->object, e.object) == 0 &&
            strcmp(x->username, e.username) == 0 && e.ctime_ms - x->ctime_ms < ACL_LOG_GROUP_MS) {
            struct acl_log_entry m = *x;

            m.count++;
            m.ctime_ms = e.ctime_ms;
            omk_free(m.cinfo);
            m.cinfo = e.cinfo;
            omk_free(e.object);
            omk_free(e.username);
            memmove(&acl_log[1], &acl_log[0], i * sizeof(acl_log[0]));
            acl_log[0] = m;
            omk_mutex_unlock(&acl_log_mu);
            return;
        }
    }
    if (acl_log_len == ACL_LOG_MAX) {
        struct acl_log_entry *old = &acl_log[--acl_log_len];

        omk_free(old->object);
        omk_free(old->username);
        omk_free(old->cinfo);
    }
    memmove(&acl_log[1], &acl_log[0], acl_log_len * sizeof(acl_log[0]));
    acl_log[0] = e;
    acl_log_len++;
    omk_mutex_unlock(&acl_log_mu);
}

/* Log the refusal 'rc' of c's current command at argument 'pos' ('multi': in the
 * "multi" context). acl_lock held. */
static void acl_log_denied(struct client *c, const struct acl_req *r, int rc, int pos,
                           int multi)
{
    struct omk_slice user = {c->user->name, c->user->namelen};
    struct omk_slice obj;

    if (rc == ACL_DENIED_CMD)
        obj = (struct omk_slice){acl_cmds[r->id].name, strlen(acl_cmds[r->id].name)};
    else
        obj = r->argv[pos];
    acl_log_add(c, rc, obj, user, multi);
}

/* Check c's current command 'd' against c's user: ACL_OK, or the refusal, logged in
 * the ACL LOG (context "multi" with 'multi'); '*id' the command's ACL id (-1: an unknown
 * subcommand, allowed: its handler replies Redis' error). */
static int acl_check_logged(struct client *c, const struct cmd_def *d, int multi, int *id)
{
    struct acl_req r = {d, 0, c->argc, c->argv};
    int pos, rc;

    r.id = *id = acl_req_id(d, c->argc, c->argv);
    if (r.id < 0)
        return ACL_OK;
    pthread_rwlock_rdlock(&acl_lock);
    rc = acl_user_check(c->user, &r, &pos);
    if (rc != ACL_OK)
        acl_log_denied(c, &r, rc, pos, multi);
    pthread_rwlock_unlock(&acl_lock);
    return rc;
}

int acl_check_exec_or_reply(struct client *c, const struct cmd_def *d)
{
    int id, rc;
    const char *why;

    if (!c->user || acl_user_open(c->user))
        return 1;
    rc = acl_check_logged(c, d, 1, &id);
    if (rc == ACL_OK)
        return 1;
    why = rc == ACL_DENIED_CMD   ? "no permission to execute the command or subcommand"
          : rc == ACL_DENIED_KEY ? "no permission to touch the specified keys"
                                 : "no permission to access one of the channels used as "
                                   "arguments";
    reply_error_fmt(c, "NOPERM ACLs rules changed between the moment the transaction was "
                       "accumulated and the EXEC call. This command is no longer allowed for "
                       "the following reason: %s",
                    why);
    return 0;
}

int acl_check_or_reply(struct client *c, const struct cmd_def *d)
{
    struct acl_req r = {d, 0, c->argc, c->argv};
    int rc;
    char msg[256];

    rc = acl_check_logged(c, d, c->multi != NULL, &r.id);
    if (rc == ACL_OK)
        return 1;
    if (rc == ACL_DENIED_CMD)
        snprintf(msg, sizeof(msg), "NOPERM this user has no permissions to run the '%s' command",
                 acl_cmds[r.id].name);
    else if (rc == ACL_DENIED_KEY)
        snprintf(msg, sizeof(msg), "NOPERM this user has no permissions to access one of the "
                                   "keys used as arguments");
    else
        snprintf(msg, sizeof(msg), "NOPERM this user has no permissions to access one of the "
                                   "channels used as arguments");
    reply_error(c, msg);
    return 0;
}

/* ---- authentication ---- */

int acl_authenticate(struct client *c, struct omk_slice user, struct omk_slice pass)
{
    struct acl_user *u, *old = NULL;
    uint8_t h[OMK_SHA256_LEN];
    int ok = 0;

    omk_sha256(pass.p, pass.len, h);
    pthread_rwlock_rdlock(&acl_lock);
    u = acl_find(user.p, user.len);
    if (u && (u->flags & ACL_U_ON)) {
        unsigned diff = 1;

        if (u->flags & ACL_U_NOPASS)
            diff = 0;
        for (size_t i = 0; i < u->npass; i++) { /* compare every byte of every hash */
            unsigned d = 0;

            for (int j = 0; j < OMK_SHA256_LEN; j++)
                d |= u->pass[i][j] ^ h[j];
            diff &= d != 0;
        }
        ok = diff == 0;
    }
    if (ok) {
        acl_user_retain(u);
        omk_mutex_lock(&c->worker->clients_lock); /* CLIENT LIST reads c->user */
        old = c->user;
        c->user = u;
        omk_mutex_unlock(&c->worker->clients_lock);
        c->authenticated = 1;
    }
    pthread_rwlock_unlock(&acl_lock);
    if (!ok) {
        acl_log_add(c, ACL_DENIED_AUTH, c->argv[0], user, c->multi != NULL); /* "AUTH", "hello": as sent */
        return 0;
    }
    acl_user_release(old);
    return 1;
}

void acl_client_reset(struct client *c)
{
    struct acl_user *d = acl_default_user(), *old;

    acl_user_retain(d);
    omk_mutex_lock(&c->worker->clients_lock); /* CLIENT LIST reads c->user */
    old = c->user;
    c->user = d;
    omk_mutex_unlock(&c->worker->clients_lock);
    acl_user_release(old);
    c->authenticated = acl_default_lets_in();
}

int acl_default_lets_in(void)
{
    int in;

    pthread_rwlock_rdlock(&acl_lock);
    in = (acl_default->flags & (ACL_U_ON | ACL_U_NOPASS)) == (ACL_U_ON | ACL_U_NOPASS);
    pthread_rwlock_unlock(&acl_lock);
    return in;
}

int acl_default_nopass(void)
{
    int nopass;

    pthread_rwlock_rdlock(&acl_lock);
    nopass = (acl_default->flags & ACL_U_NOPASS) != 0;
    pthread_rwlock_unlock(&acl_lock);
    return nopass;
}

void acl_set_default_password(const char *pass)
{
    size_t len = strlen(pass);
    char *op;

    pthread_rwlock_wrlock(&acl_lock);
    acl_user_apply(acl_default, "resetpass", 9);
    if (len) {
        op = omk_malloc(len + 2);
        op[0] = '>';
        memcpy(op + 1, pass, len + 1);
        acl_user_apply(acl_default, op, len + 1);
        omk_free(op);
    } else {
        acl_user_apply(acl_default, "nopass", 6);
    }
    acl_user_refresh(acl_default);
    pthread_rwlock_unlock(&acl_lock);
}

/* ---- ACL SETUSER arguments ---- */

/* Join the arguments of a selector written across several ("(+get" "~k)") into one,
 * as Redis' ACLMergeSelectorArguments does. Returns the merged list (freed with
 * acl_ops_free) and its length in '*n', or NULL with the argument that opened an
 * unclosed parenthesis in '*bad'. */
static char **acl_merge_ops(const struct omk_slice *argv, int argc, int *n, int *bad)
{
    char **out = omk_calloc((size_t)argc + 1, sizeof(*out));
    struct evbuffer *acc = NULL;
    int open_at = -1;

    *n = 0;
    for (int i = 0; i < argc; i++) {
        const struct omk_slice *a = &argv[i];

        if (open_at < 0 && a->len > 0 && a->p[0] == '(' && a->p[a->len - 1] != ')') {
            open_at = i;
            acc = evbuffer_new();
            evbuffer_add(acc, a->p, a->len);
            continue;
        }
        if (open_at >= 0) {
            evbuffer_add(acc, " ", 1);
            evbuffer_add(acc, a->p, a->len);
            if (a->len > 0 && a->p[a->len - 1] == ')') {
                size_t len = evbuffer_get_length(acc);

                out[(*n)++] = omk_memdup(evbuffer_pullup(acc, -1), len);
                evbuffer_free(acc);
                acc = NULL;
                open_at = -1;
            }
            continue;
        }
        out[(*n)++] = omk_memdup(a->p, a->len);
    }
    if (open_at >= 0) {
        evbuffer_free(acc);
        for (int i = 0; i < *n; i++)
            omk_free(out[i]);
        omk_free(out);
        *bad = open_at;
        return NULL;
    }
    return out;
}

static void acl_ops_free(char **ops, int n)
{
    for (int i = 0; i < n; i++)
        omk_free(ops[i]);
    omk_free(ops);
}

/* ---- the aclfile ---- */

static char *acl_file_path(void)
{
    return server.cfg.aclfile && server.cfg.aclfile[0] ? server.cfg.aclfile : NULL;
}

/* Parse the aclfile into a new table ('*users'/'*n'). Returns NULL, or the errors as
 * Redis words them (freed with omk_free). No lock needed: the table is new. */
static char *acl_file_parse(const char *path, struct acl_user ***users, size_t *n)
{
    struct evbuffer *errs = evbuffer_new();
    FILE *f = fopen(path, "r");
    char *line = NULL, *out = NULL;
    size_t cap = 0;
    ssize_t got;
    int linenum = 0;

    *users = NULL;
    *n = 0;
    if (!f) {
        size_t len;

        evbuffer_add_printf(errs, "Error loading ACLs, opening file '%s': %s", path,
                            strerror(errno));
        len = evbuffer_get_length(errs);
        out = omk_memdup(evbuffer_pullup(errs, -1), len);
        evbuffer_free(errs);
        return out;
    }
    while ((got = getline(&line, &cap, f)) >= 0) {
        char *p = line, *end = line + got, **tok = NULL;
        int ntok = 0, merged, bad, err = 0;
        struct omk_slice *sl;
        char **ops;
        struct acl_user *u;

        linenum++;
        while (p < end && strchr(" \t\r\n", *p))
            p++;
        while (end > p && strchr(" \t\r\n", end[-1]))
            end--;
        if (p == end)
            continue;
        /* Split at each single space, as Redis' sdssplitlen does: no quoting. */
        for (char *q = p;;) {
            char *sp = memchr(q, ' ', (size_t)(end - q));

            tok = omk_realloc(tok, (size_t)(ntok + 1) * sizeof(*tok));
            tok[ntok++] = omk_memdup(q, (size_t)((sp ? sp : end) - q));
            if (!sp)
                break;
            q = sp + 1;
        }
        if (strcmp(tok[0], "user") != 0 || ntok < 2) {
            evbuffer_add_printf(errs,
                                "%s:%d should start with user keyword followed by the username. ",
                                path, linenum);
        } else if (acl_find_idx(*users, *n, tok[1], strlen(tok[1]), NULL) >= 0) {
            evbuffer_add_printf(errs, "WARNING: Duplicate user '%s' found on line %d. ", tok[1],
                                linenum);
        } else {
            u = acl_user_new(tok[1], strlen(tok[1]));
            acl_table_insert(users, n, u);
            sl = omk_malloc((size_t)ntok * sizeof(*sl));
            for (int i = 0; i < ntok; i++)
                sl[i] = (struct omk_slice){tok[i], strlen(tok[i])};
            ops = acl_merge_ops(sl + 2, ntok - 2, &merged, &bad);
            omk_free(sl);
            if (!ops) {
                evbuffer_add_printf(errs, "%s:%d: Unmatched parenthesis in selector definition.",
                                    path, linenum);
            } else {
                for (int i = 0; i < merged && !err; i++) {
                    size_t l = strlen(ops[i]);

                    while (l > 0 && strchr("\t\r\n", ops[i][l - 1]))
                        l--;
                    err = acl_user_apply(u, ops[i], l);
                    if (err)
                        evbuffer_add_printf(errs, "%s:%d: %s. ", path, linenum,
                                            acl_errno_text(err));
                }
                acl_ops_free(ops, merged);
            }
            acl_user_refresh(u);
        }
        for (int i = 0; i < ntok; i++)
            omk_free(tok[i]);
        omk_free(tok);
    }
    free(line);
    fclose(f);
    if (evbuffer_get_length(errs) > 0) {
        size_t len;

        evbuffer_add_printf(errs, "WARNING: ACL errors detected, no change to the previously "
                                  "active ACL rules was performed");
        len = evbuffer_get_length(errs);
        out = omk_memdup(evbuffer_pullup(errs, -1), len);
        for (size_t i = 0; i < *n; i++)
            acl_user_release((*users)[i]);
        omk_free(*users);
        *users = NULL;
        *n = 0;
    }
    evbuffer_free(errs);
    return out;
}

/* Load the aclfile and make its users the table: the default user keeps its identity
 * and takes the file's rules (or a fresh server's); the other users are replaced, their
 * clients closed ('self' after its reply). Returns NULL or the errors (omk_free). */
static char *acl_file_load(const char *path, struct client *self)
{
    struct acl_user **users, **old, *fdef;
    size_t n, nold;
    ssize_t di;
    char *err = acl_file_parse(path, &users, &n);

    if (err)
        return err;
    pthread_rwlock_wrlock(&acl_lock);
    di = acl_find_idx(users, n, "default", 7, NULL);
    if (di >= 0) {
        fdef = users[di];
        acl_user_copy_rules(acl_default, fdef);
        acl_user_release(fdef);
        users[di] = acl_default;
    } else {
        acl_user_clear(acl_default);
        acl_default->sels = omk_malloc(sizeof(*acl_default->sels));
        acl_default->nsels = 1;
        acl_selector_init(&acl_default->sels[0], ACL_SEL_ROOT);
        acl_default->flags = 0;
        acl_default_rules(acl_default);
        acl_user_retain(acl_default);
        acl_table_insert(&users, &n, acl_default);
        acl_user_release(acl_default); /* the table's reference is the old table's */
    }
    acl_user_refresh(acl_default);
    old = acl_users;
    nold = acl_nusers;
    acl_users = users;
    acl_nusers = n;
    for (size_t i = 0; i < nold; i++)
        if (old[i] != acl_default)
            acl_user_retire(old[i], self);
    omk_free(old);
    pthread_rwlock_unlock(&acl_lock);
    return NULL;
}

int acl_load_at_startup(void)
{
    char *path = acl_file_path(), *err;

    if (!path)
        return 0;
    err = acl_file_load(path, NULL);
    if (!err)
        return 0;
    omk_log(OMK_LOG_WARNING, "Aborting Redis startup because of ACL errors: %s", err);
    omk_free(err);
    return -1;
}

/* Write every user, as ACL LIST shows them, to the aclfile (a temp file renamed over
 * it). Returns 0, or -1 after logging why. */
static int acl_file_save(const char *path)
{
    struct evbuffer *b = evbuffer_new();
    char tmp[4096];
    int fd, rc = -1;

    pthread_rwlock_rdlock(&acl_lock);
    for (size_t i = 0; i < acl_nusers; i++) {
        acl_describe_user(b, acl_users[i]);
        evbuffer_add(b, "\n", 1);
    }
    pthread_rwlock_unlock(&acl_lock);
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        omk_log(OMK_LOG_WARNING, "Opening temp ACL file for ACL SAVE: %s", strerror(errno));
        evbuffer_free(b);
        return -1;
    }
    while (evbuffer_get_length(b) > 0)
        if (evbuffer_write(b, fd) < 0)
            break;
    if (evbuffer_get_length(b) == 0 && fsync(fd) == 0 && close(fd) == 0) {
        fd = -1;
        if (rename(tmp, path) == 0)
            rc = 0;
    }
    if (rc != 0) {
        omk_log(OMK_LOG_WARNING, "Writing ACL file for ACL SAVE: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    }
    evbuffer_free(b);
    return rc;
}

void acl_init(void)
{
    OMK_ASSERT(acl_cmds_len < ACL_FUTURE_ID);
    for (int i = 0; i < cmd_table_len; i++) {
        acl_cmd_id[i] = acl_id_lookup(cmd_table[i].name, strlen(cmd_table[i].name));
        OMK_ASSERT(acl_cmd_id[i] >= 0);
    }
    acl_default = acl_user_new("default", 7);
    acl_default_rules(acl_default);
    acl_user_refresh(acl_default);
    acl_table_insert(&acl_users, &acl_nusers, acl_default);
}

/* ---- the ACL command ---- */

static const char acl_no_file[] =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";

/* ACL SETUSER username [rule ...]: all rules apply, or none. */
static void acl_cmd_setuser(struct client *c)
{
    struct omk_slice name = c->argv[2];
    struct acl_user *u, *tmp;
    int n, bad, err = 0, failed = -1;
    char **ops;

    if (acl_has_space(name.p, name.len)) {
        reply_error(c, "ERR Usernames can't contain spaces or null characters");
        return;
    }
    ops = acl_merge_ops(&c->argv[3], c->argc - 3, &n, &bad);
    if (!ops) {
        reply_error_fmt(c, "ERR Unmatched parenthesis in acl selector starting at '%.*s'.",
                        reply_user_len(c->argv[3 + bad].len), c->argv[3 + bad].p);
        return;
    }
    pthread_rwlock_wrlock(&acl_lock);
    u = acl_find(name.p, name.len);
    tmp = acl_user_new(name.p, name.len);
    if (u)
        acl_user_copy_rules(tmp, u);
    for (int i = 0; i < n && !err; i++) {
        err = acl_user_apply(tmp, ops[i], strlen(ops[i]));
        if (err)
            failed = i;
    }
    if (!err) {
        if (u) {
            acl_user_copy_rules(u, tmp);
            acl_user_release(tmp);
        } else {
            u = tmp;
            acl_table_insert(&acl_users, &acl_nusers, u);
        }
        acl_user_refresh(u);
    } else {
        acl_user_release(tmp);
    }
    pthread_rwlock_unlock(&acl_lock);
    if (err)
        reply_error_fmt(c, "ERR Error in ACL SETUSER modifier '%.*s': %s",
                        reply_user_len(strlen(ops[failed])), ops[failed], acl_errno_text(err));
    else
        reply_ok(c);
    acl_ops_free(ops, n);
}

/* Reply one selector of GETUSER: commands, keys, channels. */
static void acl_reply_selector(struct client *c, const struct acl_selector *s,
                               struct evbuffer *b)
{
    reply_bulk_cstr(c, "commands");
    acl_describe_commands(b, s);
    acl_trim_space(b);
    acl_reply_buf(c, b);
    reply_bulk_cstr(c, "keys");
    acl_describe_keys(b, s);
    acl_trim_space(b);
    acl_reply_buf(c, b);
    reply_bulk_cstr(c, "channels");
    acl_describe_chans(b, s, 0);
    acl_trim_space(b);
    acl_reply_buf(c, b);
}

/* ACL GETUSER username */
static void acl_cmd_getuser(struct client *c)
{
    static const struct {
        unsigned flag;
        const char *name;
    } names[] = {{ACL_U_NOPASS, "nopass"},
                 {ACL_U_SKIP_SANITIZE, "skip-sanitize-payload"},
                 {ACL_U_SANITIZE, "sanitize-payload"}};
    struct evbuffer *b = evbuffer_new();
    struct acl_user *u;
    char hex[2 * OMK_SHA256_LEN + 1];
    int nflags = 1;

    pthread_rwlock_rdlock(&acl_lock);
    u = acl_find(c->argv[2].p, c->argv[2].len);
    if (!u) {
        pthread_rwlock_unlock(&acl_lock);
        evbuffer_free(b);
        reply_null(c);
        return;
    }
    reply_map_len(c, 6);
    reply_bulk_cstr(c, "flags");
    for (size_t i = 0; i < OMK_ARRAY_LEN(names); i++)
        nflags += (u->flags & names[i].flag) != 0;
    reply_set_len(c, nflags);
    reply_bulk_cstr(c, (u->flags & ACL_U_ON) ? "on" : "off");
    for (size_t i = 0; i < OMK_ARRAY_LEN(names); i++)
        if (u->flags & names[i].flag)
            reply_bulk_cstr(c, names[i].name);
    reply_bulk_cstr(c, "passwords");
    reply_array_len(c, (long long)u->npass);
    for (size_t i = 0; i < u->npass; i++) {
        acl_hex(u->pass[i], hex);
        reply_bulk_cstr(c, hex);
    }
    acl_reply_selector(c, &u->sels[0], b);
    reply_bulk_cstr(c, "selectors");
    reply_array_len(c, (long long)u->nsels - 1);
    for (size_t i = 1; i < u->nsels; i++) {
        reply_map_len(c, 3);
        acl_reply_selector(c, &u->sels[i], b);
    }
    pthread_rwlock_unlock(&acl_lock);
    evbuffer_free(b);
}

/* ACL DELUSER username [username ...] */
static void acl_cmd_deluser(struct client *c)
{
    long long deleted = 0;

    for (int i = 2; i < c->argc; i++) {
        ssize_t at;

        if (cmd_arg_is(c, i, "default") && memcmp(c->argv[i].p, "default", 7) == 0) {
            reply_error(c, "ERR The 'default' user cannot be removed");
            return;
        }
        pthread_rwlock_wrlock(&acl_lock);
        at = acl_find_idx(acl_users, acl_nusers, c->argv[i].p, c->argv[i].len, NULL);
        if (at >= 0) {
            struct acl_user *u = acl_users[at];

            memmove(&acl_users[at], &acl_users[at + 1],
                    (acl_nusers - (size_t)at - 1) * sizeof(*acl_users));
            acl_nusers--;
            acl_user_retire(u, c);
            deleted++;
        }
        pthread_rwlock_unlock(&acl_lock);
    }
    reply_int(c, deleted);
}

/* ACL LIST / ACL USERS ('names_only') */
static void acl_cmd_list_generic(struct client *c, int names_only)
{
    struct evbuffer *b = evbuffer_new();

    pthread_rwlock_rdlock(&acl_lock);
    reply_array_len(c, (long long)acl_nusers);
    for (size_t i = 0; i < acl_nusers; i++) {
        if (names_only) {
            reply_bulk(c, acl_users[i]->name, acl_users[i]->namelen);
        } else {
            acl_describe_user(b, acl_users[i]);
            acl_reply_buf(c, b);
        }
    }
    pthread_rwlock_unlock(&acl_lock);
    evbuffer_free(b);
}

static void acl_cmd_list(struct client *c)
{
    acl_cmd_list_generic(c, 0);
}

static void acl_cmd_users(struct client *c)
{
    acl_cmd_list_generic(c, 1);
}

/* ACL WHOAMI */
static void acl_cmd_whoami(struct client *c)
{
    reply_bulk(c, c->user->name, c->user->namelen);
}

/* ACL CAT [category] */
static void acl_cmd_cat(struct client *c)
{
    uint32_t cat;
    long long n = 0;

    if (c->argc == 2) {
        reply_array_len(c, ACL_CAT_COUNT);
        for (int i = 0; i < ACL_CAT_COUNT; i++)
            reply_bulk_cstr(c, acl_cat_names[i]);
        return;
    }
    cat = acl_cat_lookup(c->argv[2].p, c->argv[2].len);
    if (!cat) {
        reply_error_fmt(c, "ERR Unknown category '%.*s'", reply_user_len(c->argv[2].len),
                        c->argv[2].p);
        return;
    }
    for (int id = 0; id < acl_cmds_len; id++)
        n += (acl_cmds[id].cats & cat) != 0;
    reply_array_len(c, n);
    for (int id = 0; id < acl_cmds_len; id++)
        if (acl_cmds[id].cats & cat)
            reply_bulk_cstr(c, acl_cmds[id].name);
}

/* ACL GENPASS [bits]: random hex from getrandom(2), 4 bits a digit. */
static void acl_cmd_genpass(struct client *c)
{
    long long bits = 256;
    unsigned char raw[512];
    char hex[1025];
    size_t chars, got = 0;

    if (c->argc == 3 && !omk_str2ll(c->argv[2].p, c->argv[2].len, &bits)) {
        reply_err_not_int(c);
        return;
    }
    if (bits <= 0 || bits > 4096) {
        reply_error(c, "ERR ACL GENPASS argument must be the number of bits for the output "
                       "password, a positive number up to 4096");
        return;
    }
    chars = (size_t)(bits + 3) / 4;
    while (got < (chars + 1) / 2) {
        ssize_t r = getrandom(raw + got, (chars + 1) / 2 - got, 0);

        if (r > 0)
            got += (size_t)r;
        else
            OMK_ASSERT(errno == EINTR);
    }
    for (size_t i = 0; i < chars; i++)
        hex[i] = "0123456789abcdef"[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    reply_bulk(c, hex, chars);
}

/* ACL LOG [count | RESET] */
static void acl_cmd_log(struct client *c)
{
    long long count = 10;
    int64_t now = omk_now_ms();

    if (c->argc == 3) {
        if (cmd_arg_is(c, 2, "reset")) {
            omk_mutex_lock(&acl_log_mu);
            for (size_t i = 0; i < acl_log_len; i++) {
                omk_free(acl_log[i].object);
                omk_free(acl_log[i].username);
                omk_free(acl_log[i].cinfo);
            }
            acl_log_len = 0;
            omk_mutex_unlock(&acl_log_mu);
            reply_ok(c);
            return;
        }
        if (!omk_str2ll(c->argv[2].p, c->argv[2].len, &count)) {
            reply_err_not_int(c);
            return;
        }
        if (count < 0)
            count = 0;
    }
    omk_mutex_lock(&acl_log_mu);
    if ((size_t)count > acl_log_len)
        count = (long long)acl_log_len;
    reply_array_len(c, count);
    for (long long i = 0; i < count; i++) {
        static const char *const reasons[] = {"", "command", "key", "auth", "channel"};
        const struct acl_log_entry *e = &acl_log[i];

        reply_map_len(c, 7);
        reply_bulk_cstr(c, "count");
        reply_int(c, e->count);
        reply_bulk_cstr(c, "reason");
        reply_bulk_cstr(c, reasons[e->reason]);
        reply_bulk_cstr(c, "context");
        reply_bulk_cstr(c, e->multi ? "multi" : "toplevel");
        reply_bulk_cstr(c, "object");
        reply_bulk_cstr(c, e->object);
        reply_bulk_cstr(c, "username");
        reply_bulk_cstr(c, e->username);
        reply_bulk_cstr(c, "age-seconds");
        reply_double(c, (double)(now - e->ctime_ms) / 1000.0);
        reply_bulk_cstr(c, "client-info");
        reply_bulk_cstr(c, e->cinfo);
    }
    omk_mutex_unlock(&acl_log_mu);
}

/* ACL DRYRUN username command [arg ...]: whether the user could run it, without
 * running it or logging. */
static void acl_cmd_dryrun(struct client *c)
{
    const struct cmd_def *d;
    struct acl_user *u;
    struct acl_req r;
    int rc, pos;
    char msg[512];

    pthread_rwlock_rdlock(&acl_lock);
    u = acl_find(c->argv[2].p, c->argv[2].len);
    if (!u) {
        pthread_rwlock_unlock(&acl_lock);
        reply_error_fmt(c, "ERR User '%.*s' not found", reply_user_len(c->argv[2].len),
                        c->argv[2].p);
        return;
    }
    d = cmd_lookup(c->argv[3].p, c->argv[3].len);
    if (!d) {
        pthread_rwlock_unlock(&acl_lock);
        reply_error_fmt(c, "ERR Command '%.*s' not found", reply_user_len(c->argv[3].len),
                        c->argv[3].p);
        return;
    }
    if (!cmd_arity_ok(d->arity, c->argc - 3)) {
        pthread_rwlock_unlock(&acl_lock);
        reply_error_fmt(c, "ERR wrong number of arguments for '%s' command", d->name);
        return;
    }
    r = (struct acl_req){d, 0, c->argc - 3, &c->argv[3]};
    r.id = acl_req_id(d, r.argc, r.argv);
    rc = r.id < 0 ? ACL_OK : acl_user_check(u, &r, &pos);
    pthread_rwlock_unlock(&acl_lock);
    if (rc == ACL_OK) {
        reply_ok(c);
        return;
    }
    if (rc == ACL_DENIED_CMD)
        snprintf(msg, sizeof(msg), "This user has no permissions to run the '%s' command",
                 acl_cmds[r.id].name);
    else
        snprintf(msg, sizeof(msg), "This user has no permissions to access the '%.*s' %s",
                 reply_user_len(r.argv[pos].len), r.argv[pos].p,
                 rc == ACL_DENIED_KEY ? "key" : "channel");
    reply_bulk_cstr(c, msg);
}

/* ACL LOAD */
static void acl_cmd_load(struct client *c)
{
    char *path = acl_file_path(), *err;

    if (!path) {
        reply_error(c, acl_no_file);
        return;
    }
    err = acl_file_load(path, c);
    if (err) {
        reply_error_fmt(c, "ERR %s", err);
        omk_free(err);
        return;
    }
    reply_ok(c);
}

/* ACL SAVE */
static void acl_cmd_save(struct client *c)
{
    char *path = acl_file_path();

    if (!path) {
        reply_error(c, acl_no_file);
        return;
    }
    if (acl_file_save(path) != 0) {
        reply_error(c, "ERR There was an error trying to save the ACLs. Please check the server "
                       "logs for more information");
        return;
    }
    reply_ok(c);
}

static void acl_cmd_help(struct client *c)
{
    static const char *const lines[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
    };

    cmd_reply_help(c, "ACL", lines, OMK_ARRAY_LEN(lines));
}

void acl_command(struct client *c)
{
    static const struct cmd_sub subs[] = {
        {"setuser", -3, acl_cmd_setuser}, {"getuser", 3, acl_cmd_getuser},
        {"deluser", -3, acl_cmd_deluser}, {"list", 2, acl_cmd_list},
        {"users", 2, acl_cmd_users},      {"whoami", 2, acl_cmd_whoami},
        {"cat", -2, acl_cmd_cat},         {"genpass", -2, acl_cmd_genpass},
        {"log", -2, acl_cmd_log},         {"dryrun", -4, acl_cmd_dryrun},
        {"load", 2, acl_cmd_load},        {"save", 2, acl_cmd_save},
        {"help", 2, acl_cmd_help},
    };

    /* CAT, GENPASS and LOG take at most one argument: Redis refuses more with its
     * subcommand syntax error, not an arity error. */
    if (c->argc > 3 && (cmd_arg_is(c, 1, "cat") || cmd_arg_is(c, 1, "genpass") ||
                        cmd_arg_is(c, 1, "log"))) {
        reply_error_fmt(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
                           "Try ACL HELP.",
                        reply_user_len(c->argv[1].len), c->argv[1].p);
        return;
    }
    cmd_dispatch_sub(c, "acl", subs, OMK_ARRAY_LEN(subs), 0);
}
