/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.group and linux.user (modules.md §7.1, §7.2): make a group or a user
 * exist with the given attributes, through groupadd/groupmod and
 * useradd/usermod run with argv arrays; nothing is ever removed. Attributes
 * the recipe leaves out are left as they are (§D: home, groups). A password
 * in crypt format is set as it is; plain text is compared with the current
 * hash and, only when it differs, hashed with SHA-512 crypt (§D). Passwords
 * never reach a comment or the output: commands are shown with "-p ***".
 * The pure helpers (names, `$username`, hashes, argv) are in
 * linux_account_util.c, declared in linux_account.h for the unit tests.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "linux_account.h"
#include "mem.h"
#include "modules.h"
#include "parse.h"
#include "tool.h"

/* (uid_t)-1 and (gid_t)-1 mean "unchanged" to chown(2) and the tools. */
#define ID_MAX 4294967294ULL
#define ARGV_MAX 24
#define HASH_MAX 256

/* Runs an account tool, the command (password hidden) shown first in the
 * output. Returns true when it exited 0; otherwise out says "<what>: why". */
static bool run_tool(const char *const *argv, const char *what, struct oa_outcome *out)
{
    char text[1024], why[256], status_text[128];
    int status;

    printf("running: %s\n", oa_account_argv_text(argv, text, sizeof(text)));
    if (oa_tool_exec((char *const *)argv, NULL, NULL, &status, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, false, "%s: %s", what, why);
        return false;
    }
    if (!oa_tool_ok(status)) {
        oa_outcome_set(out, false, false, "%s: %s %s", what, argv[0],
                       oa_tool_status_text(status, status_text, sizeof(status_text)));
        return false;
    }
    return true;
}

/* linux.group */

static const struct oa_param_spec group_params[] = {
    {"groupname", OA_PT_LINE, OA_PF_REQUIRED},
    {"gid", OA_PT_LINE, 0},
    {"system-group", OA_PT_BOOL, 0},
};

/* Whether gid is free for group name (or already its own). */
static bool gid_available(gid_t gid, const char *name, const char *what, struct oa_outcome *out)
{
    struct group *other = getgrgid(gid);

    if (other && strcmp(other->gr_name, name) != 0) {
        oa_outcome_set(out, false, false, "%s: gid %u is already used by group %s", what,
                       (unsigned)gid, other->gr_name);
        return false;
    }
    return true;
}

static void group_change_gid(const struct oa_run_ctx *ctx, const char *name, gid_t from, gid_t to,
                             struct oa_outcome *out)
{
    char what[160], gid_text[24];
    struct group *gr;

    snprintf(what, sizeof(what), "cannot change the gid of group %s", name);
    if (!gid_available(to, name, what, out))
        return;
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would change the gid of group %s from %u to %u", name,
                       (unsigned)from, (unsigned)to);
        return;
    }
    snprintf(gid_text, sizeof(gid_text), "%u", (unsigned)to);
    const char *argv[] = {"groupmod", "-g", gid_text, "--", name, NULL};
    if (!run_tool(argv, what, out))
        return;
    gr = getgrnam(name);
    if (!gr || gr->gr_gid != to)
        oa_outcome_set(out, false, true, "could not change: gid of group %s", name);
    else
        oa_outcome_set(out, true, true, "Group %s: gid %u → %u", name, (unsigned)from,
                       (unsigned)to);
}

static void group_create(const struct oa_run_ctx *ctx, const char *name, const char *gid_text,
                         bool system, struct oa_outcome *out)
{
    const char *argv[8] = {"groupadd"};
    char what[160];
    struct group *gr;
    size_t n = 1;

    snprintf(what, sizeof(what), "cannot create group %s", name);
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would create group %s%s%s%s", name,
                       gid_text ? " with gid " : "", gid_text ? gid_text : "",
                       system ? " (system group)" : "");
        return;
    }
    if (gid_text) {
        argv[n++] = "-g";
        argv[n++] = gid_text;
    }
    if (system)
        argv[n++] = "-r";
    argv[n++] = "--";
    argv[n++] = name;
    argv[n] = NULL;
    if (!run_tool(argv, what, out))
        return;
    if (!(gr = getgrnam(name)))
        oa_outcome_set(out, false, true, "groupadd succeeded but group %s does not exist", name);
    else
        oa_outcome_set(out, true, true, "Group %s created (gid %u)", name, (unsigned)gr->gr_gid);
}

static int group_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                     struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "groupname");
    char gid_text[24], what[160];
    struct group *gr;
    uint64_t gid;

    if (!oa_account_name_ok(name)) {
        oa_outcome_set(out, false, false, "parameter 'groupname': '%.64s' is not a valid name",
                       name);
        return 0;
    }
    if (oa_params_uint(p, "gid", 0, ID_MAX, 0, &gid, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    snprintf(gid_text, sizeof(gid_text), "%llu", (unsigned long long)gid);
    bool has_gid = oa_params_str(p, "gid") != NULL;
    if ((gr = getgrnam(name))) {
        if (!has_gid || gr->gr_gid == (gid_t)gid)
            oa_outcome_set(out, true, false, "Group %s is up to date (gid %u)", name,
                           (unsigned)gr->gr_gid);
        else
            group_change_gid(ctx, name, gr->gr_gid, (gid_t)gid, out);
        return 0;
    }
    snprintf(what, sizeof(what), "cannot create group %s", name);
    if (has_gid && !gid_available((gid_t)gid, name, what, out))
        return 0;
    group_create(ctx, name, has_gid ? gid_text : NULL, oa_params_bool(p, "system-group", false),
                 out);
    return 0;
}

const struct oa_module oa_mod_linux_group = {
    .name = "linux.group",
    .params = group_params,
    .n_params = sizeof(group_params) / sizeof(group_params[0]),
    .run = group_run,
};

/* linux.user */

static const struct oa_param_spec user_params[] = {
    {"username", OA_PT_LINE, OA_PF_REQUIRED},
    /* Required, but "" means "not managed" (§1.2). */
    {"password", OA_PT_LINE, OA_PF_EMPTY_IS_VALUE},
    {"fullname", OA_PT_LINE, 0},
    {"uid", OA_PT_LINE, 0},
    {"gid", OA_PT_LINE, 0},
    {"home", OA_PT_LINE, 0},
    {"system-account", OA_PT_BOOL, 0},
    {"no-login", OA_PT_BOOL, 0},
    /* [] removes every supplementary group; absent leaves them alone. */
    {"groups", OA_PT_ARRAY, OA_PF_EMPTY_IS_VALUE},
};

enum {
    D_UID = 1u << 0,
    D_GID = 1u << 1,
    D_HOME = 1u << 2,
    D_SHELL = 1u << 3,
    D_FULLNAME = 1u << 4,
    D_GROUPS = 1u << 5,
    D_PASSWORD = 1u << 6,
};
static const char *const diff_names[] = {"uid",      "gid",    "home",    "shell",
                                         "fullname", "groups", "password"};

/* What the recipe asks for; NULL members are not managed. */
struct user_want {
    const char *name;
    const char *password; /* crypt hash or plain text */
    const char *fullname;
    const char *home;
    const char *shell;
    const char *gid_text; /* as given (name or number) */
    bool has_uid;
    uid_t uid;
    gid_t gid;
    bool system;
    struct oa_buf groups; /* "a,b"; data NULL when not managed */
    bool has_groups;
    gid_t *group_ids;
    size_t n_groups;
    char uid_text[24];
    char gid_num[24];
    char home_buf[PATH_MAX];
};

/* What the host has. */
struct user_now {
    uid_t uid;
    gid_t gid;
    char *home;
    char *shell;
    char *gecos;
    char *hash; /* NULL unless the password is managed */
    gid_t *groups;
    size_t n_groups;
};

/* The -G argument: "" removes every supplementary group. */
static const char *groups_text(const struct user_want *w)
{
    return w->groups.data ? w->groups.data : "";
}

static void want_done(struct user_want *w)
{
    oa_buf_done(&w->groups);
    oa_free(w->group_ids);
}

static void now_done(struct user_now *n)
{
    oa_free(n->home);
    oa_free(n->shell);
    oa_free(n->gecos);
    if (n->hash)
        explicit_bzero(n->hash, strlen(n->hash));
    oa_free(n->hash);
    oa_free(n->groups);
    memset(n, 0, sizeof(*n));
}

/* A group given by name or number; it must exist. */
static bool resolve_group(const char *text, gid_t *ret, struct oa_outcome *out)
{
    struct group *gr;
    uint64_t v;

    if (oa_parse_u64(text, ID_MAX, &v) == 0)
        gr = getgrgid((gid_t)v);
    else
        gr = oa_account_name_ok(text) ? getgrnam(text) : NULL;
    if (!gr) {
        oa_outcome_set(out, false, false, "group %.64s does not exist", text);
        return false;
    }
    *ret = gr->gr_gid;
    return true;
}

static bool push_gid(gid_t **list, size_t *n, gid_t gid)
{
    gid_t *l = oa_realloc(*list, (*n + 1) * sizeof(**list));

    if (!l)
        return false;
    l[(*n)++] = gid;
    *list = l;
    return true;
}

/* `groups`: every one must exist, before anything is created (§7.2). */
static bool want_groups(const struct oa_params *p, struct user_want *w, struct oa_outcome *out)
{
    const struct oa_pvalue *v = oa_params_get(p, "groups");
    gid_t gid;

    if (!v->present)
        return true;
    w->has_groups = true;
    oa_buf_init(&w->groups, (size_t)64 * 1024);
    for (size_t i = 0; i < v->n; i++) {
        if (!*v->items[i])
            continue;
        if (!resolve_group(v->items[i], &gid, out))
            return false;
        if ((w->groups.len && oa_buf_puts(&w->groups, ",") < 0) ||
            oa_buf_puts(&w->groups, v->items[i]) < 0 || !push_gid(&w->group_ids, &w->n_groups, gid))
            goto nomem;
    }
    return true;
nomem:
    oa_outcome_set(out, false, false, "out of memory");
    return false;
}

static bool want_fields(const struct oa_params *p, struct user_want *w, struct oa_outcome *out)
{
    const char *home = oa_params_str(p, "home");
    int r;

    if ((w->fullname = oa_params_str(p, "fullname")) && !oa_account_field_ok(w->fullname)) {
        oa_outcome_set(out, false, false,
                       "parameter 'fullname': must not contain ':' or control characters");
        return false;
    }
    if (home) {
        r = oa_account_home(home, w->name, w->home_buf, sizeof(w->home_buf));
        if (r < 0 || !oa_account_field_ok(w->home_buf)) {
            oa_outcome_set(out, false, false, "parameter 'home': '%.200s' is not %s", home,
                           r == -ENAMETOOLONG ? "a path of a usable length" : "an absolute path");
            return false;
        }
        w->home = w->home_buf;
    }
    if (oa_params_bool(p, "no-login", false))
        w->shell = access("/usr/sbin/nologin", X_OK) == 0 ? "/usr/sbin/nologin" : "/sbin/nologin";
    w->system = oa_params_bool(p, "system-account", false);
    return true;
}

static bool want_read(const struct oa_params *p, struct user_want *w, struct oa_outcome *out)
{
    uint64_t uid;

    w->name = oa_params_str(p, "username");
    if (!oa_account_name_ok(w->name)) {
        oa_outcome_set(out, false, false, "parameter 'username': '%.64s' is not a valid name",
                       w->name);
        return false;
    }
    if (!oa_params_get(p, "password")->present) {
        oa_outcome_set(out, false, false, "missing required parameter 'password'");
        return false;
    }
    w->password = oa_params_str(p, "password");
    if (!*w->password)
        w->password = NULL;
    if (oa_params_uint(p, "uid", 0, ID_MAX, 0, &uid, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return false;
    }
    w->has_uid = oa_params_str(p, "uid") != NULL;
    w->uid = (uid_t)uid;
    snprintf(w->uid_text, sizeof(w->uid_text), "%llu", (unsigned long long)uid);
    if ((w->gid_text = oa_params_str(p, "gid"))) {
        if (!resolve_group(w->gid_text, &w->gid, out))
            return false;
        snprintf(w->gid_num, sizeof(w->gid_num), "%u", (unsigned)w->gid);
    }
    return want_fields(p, w, out) && want_groups(p, w, out);
}

/* The groups that list name as a member. */
static bool member_groups(const char *name, struct user_now *now)
{
    struct group *gr;
    bool ok = true;

    setgrent();
    while (ok && (gr = getgrent()))
        for (char **m = gr->gr_mem; *m; m++)
            if (strcmp(*m, name) == 0) {
                ok = push_gid(&now->groups, &now->n_groups, gr->gr_gid);
                break;
            }
    endgrent();
    return ok;
}

/* Reads the user; -ENOENT when there is none (out untouched), otherwise 0
 * or a negative code with out set. */
static int now_read(const char *name, bool with_hash, struct user_now *now, struct oa_outcome *out)
{
    struct passwd *pw = getpwnam(name);
    struct spwd *sp;

    if (!pw)
        return -ENOENT;
    now->uid = pw->pw_uid;
    now->gid = pw->pw_gid;
    now->home = oa_strdup(pw->pw_dir);
    now->shell = oa_strdup(pw->pw_shell);
    now->gecos = oa_strdup(pw->pw_gecos);
    /* Without a shadow entry the hash is passwd's own field. */
    now->hash = with_hash ? oa_strdup(pw->pw_passwd) : NULL;
    if (!now->home || !now->shell || !now->gecos || (with_hash && !now->hash) ||
        !member_groups(name, now))
        goto nomem;
    if (!with_hash)
        return 0;
    errno = 0;
    if (!(sp = getspnam(name)) && errno != 0 && errno != ENOENT) {
        int err = errno;
        oa_outcome_set(out, false, false, "cannot read the password of user %s: %s", name,
                       strerror(err));
        return -err;
    }
    if (sp) {
        oa_free(now->hash);
        if (!(now->hash = oa_strdup(sp->sp_pwdp)))
            goto nomem;
    }
    return 0;
nomem:
    oa_outcome_set(out, false, false, "out of memory");
    return -ENOMEM;
}

static bool gid_listed(const gid_t *list, size_t n, gid_t gid)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == gid)
            return true;
    return false;
}

/* The supplementary groups compared as sets, the primary one left out. */
static bool same_groups(const struct user_want *w, const struct user_now *now)
{
    gid_t primary = w->gid_text ? w->gid : now->gid;

    for (size_t i = 0; i < w->n_groups; i++)
        if (w->group_ids[i] != primary && !gid_listed(now->groups, now->n_groups, w->group_ids[i]))
            return false;
    for (size_t i = 0; i < now->n_groups; i++)
        if (now->groups[i] != primary && !gid_listed(w->group_ids, w->n_groups, now->groups[i]))
            return false;
    return true;
}

static bool same_home(const char *want, const char *have)
{
    size_t n = strlen(have);

    while (n > 1 && have[n - 1] == '/')
        n--;
    return strlen(want) == n && strncmp(want, have, n) == 0;
}

static unsigned user_diff(const struct user_want *w, const struct user_now *now)
{
    unsigned d = 0;

    if (w->has_uid && w->uid != now->uid)
        d |= D_UID;
    if (w->gid_text && w->gid != now->gid)
        d |= D_GID;
    if (w->home && !same_home(w->home, now->home))
        d |= D_HOME;
    if (w->shell && strcmp(now->shell, "/usr/sbin/nologin") != 0 &&
        strcmp(now->shell, "/sbin/nologin") != 0)
        d |= D_SHELL;
    if (w->fullname && strcmp(w->fullname, now->gecos) != 0)
        d |= D_FULLNAME;
    if (w->has_groups && !same_groups(w, now))
        d |= D_GROUPS;
    if (w->password &&
        (oa_account_is_crypt(w->password) ? strcmp(w->password, now->hash ? now->hash : "") != 0
                                          : !oa_account_matches(w->password, now->hash)))
        d |= D_PASSWORD;
    return d;
}

static const char *diff_text(unsigned d, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(diff_names) / sizeof(diff_names[0]); i++)
        if ((d & (1u << i)) && o < len)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", diff_names[i]);
    return buf;
}

/* The hash to set: the given crypt hash, or plain text hashed now. */
static bool password_hash(const struct user_want *w, char *buf, size_t len, struct oa_outcome *out)
{
    int r;

    assert(w->password); /* user_diff sets D_PASSWORD only for a given password */
    if (oa_account_is_crypt(w->password)) {
        if (strlen(w->password) >= len) {
            oa_outcome_set(out, false, false, "parameter 'password': the hash is too long");
            return false;
        }
        memcpy(buf, w->password, strlen(w->password) + 1);
        return true;
    }
    if ((r = oa_account_hash(w->password, buf, len)) < 0) {
        oa_outcome_set(out, false, false, "cannot hash the password of user %s: %s", w->name,
                       strerror(-r));
        return false;
    }
    return true;
}

/* §7.2 ⚠: an existing home directory becomes the new user's (not
 * recursively), as the reference promises; useradd leaves it alone. */
static bool chown_home(const char *name, const char *home, const struct user_now *now,
                       struct oa_outcome *out)
{
    int fd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 || fchown(fd, now->uid, now->gid) < 0) {
        oa_outcome_set(out, false, true, "User %s created, but cannot give it %s: %s", name, home,
                       strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    printf("%s existed: owner set to %s\n", home, name);
    return true;
}

static void user_create(const struct oa_run_ctx *ctx, struct user_want *w, struct oa_outcome *out)
{
    char home[PATH_MAX], hash[HASH_MAX] = "", what[160], list[128];
    const char *argv[ARGV_MAX];
    struct user_now now = {0};
    struct stat st;
    bool existed, ok;
    unsigned d;
    int r;

    snprintf(home, sizeof(home), "%s%s", w->home ? "" : "/home/", w->home ? w->home : w->name);
    existed = lstat(home, &st) == 0 && S_ISDIR(st.st_mode);
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would create user %s%s%s", w->name,
                       existed ? ", owner of the existing " : "", existed ? home : "");
        return;
    }
    if (w->password && !password_hash(w, hash, sizeof(hash), out))
        return;
    struct oa_account_user u = {w->name,
                                w->has_uid ? w->uid_text : NULL,
                                w->gid_text ? w->gid_num : NULL,
                                w->has_groups ? groups_text(w) : NULL,
                                home,
                                w->shell,
                                w->fullname,
                                w->password ? hash : NULL,
                                w->system};
    snprintf(what, sizeof(what), "cannot create user %s", w->name);
    ok = oa_account_useradd_argv(&u, argv, ARGV_MAX) > 0 && run_tool(argv, what, out);
    explicit_bzero(hash, sizeof(hash));
    if (!ok)
        return;
    r = now_read(w->name, w->password != NULL, &now, out);
    if (r == -ENOENT)
        oa_outcome_set(out, false, true, "useradd succeeded but user %s does not exist", w->name);
    else if (r == 0 && (d = user_diff(w, &now)) != 0)
        oa_outcome_set(out, false, true, "User %s created, but could not set: %s", w->name,
                       diff_text(d, list, sizeof(list)));
    else if (r == 0 && (!existed || chown_home(w->name, home, &now, out)))
        oa_outcome_set(out, true, true, "User %s created", w->name);
    now_done(&now);
}

static void user_update(const struct oa_run_ctx *ctx, struct user_want *w, struct user_now *now,
                        struct oa_outcome *out)
{
    char hash[HASH_MAX] = "", what[160], list[128];
    unsigned d = user_diff(w, now);
    const char *argv[ARGV_MAX];
    bool ok;
    int r;

    if (d == 0) {
        oa_outcome_set(out, true, false, "User %s is up to date", w->name);
        return;
    }
    diff_text(d, list, sizeof(list));
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would update user %s: %s", w->name, list);
        return;
    }
    if ((d & D_PASSWORD) && !password_hash(w, hash, sizeof(hash), out))
        return;
    struct oa_account_user u = {w->name,
                                d & D_UID ? w->uid_text : NULL,
                                d & D_GID ? w->gid_num : NULL,
                                d & D_GROUPS ? groups_text(w) : NULL,
                                d & D_HOME ? w->home : NULL,
                                d & D_SHELL ? w->shell : NULL,
                                d & D_FULLNAME ? w->fullname : NULL,
                                d & D_PASSWORD ? hash : NULL,
                                false};
    snprintf(what, sizeof(what), "cannot update user %s (%s)", w->name, list);
    ok = oa_account_usermod_argv(&u, argv, ARGV_MAX) > 0 && run_tool(argv, what, out);
    explicit_bzero(hash, sizeof(hash));
    if (!ok)
        return;
    now_done(now);
    r = now_read(w->name, w->password != NULL, now, out);
    if (r == -ENOENT)
        oa_outcome_set(out, false, true, "user %s vanished during the update", w->name);
    else if (r == 0 && (d = user_diff(w, now)) != 0)
        oa_outcome_set(out, false, true, "could not change: %s", diff_text(d, what, sizeof(what)));
    else if (r == 0)
        oa_outcome_set(out, true, true, "Updated user %s: %s", w->name, list);
}

static int user_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct user_want w = {0};
    struct user_now now = {0};
    int r;

    if (want_read(p, &w, out)) {
        r = now_read(w.name, w.password != NULL, &now, out);
        if (r == -ENOENT)
            user_create(ctx, &w, out);
        else if (r == 0)
            user_update(ctx, &w, &now, out);
    }
    now_done(&now);
    want_done(&w);
    return 0;
}

const struct oa_module oa_mod_linux_user = {
    .name = "linux.user",
    .params = user_params,
    .n_params = sizeof(user_params) / sizeof(user_params[0]),
    .run = user_run,
};
