/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.svn (modules.md §9.3): a Subversion working copy at `path` of
 * `repo`, at `revision` (absent: HEAD). A working copy (`svn info`
 * answers) is updated every round, and switched first when it belongs to
 * another URL; anything else that is a directory, or nothing, is checked
 * out into. `changed` is whether the working copy's revision (or URL)
 * moved.
 *
 * svn runs with an argv array, --non-interactive and --no-auth-cache, as
 * `user` when given (§1.10). The password never reaches argv (where ps
 * shows it): it is given on stdin (--password-from-stdin, svn 1.10 and
 * later) and masked in the output. The parts git and hg share are in
 * common_vcs.c.
 */
#include "common_svn.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common_vcs.h"
#include "fsutil.h"
#include "modules.h"

#define SVN_REV_MAX 32

static const struct oa_param_spec svn_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"repo", OA_PT_LINE, OA_PF_REQUIRED},
    {"revision", OA_PT_LINE, 0},
    {"username", OA_PT_LINE, 0},
    {"password", OA_PT_LINE, 0},
    {"force", OA_PT_BOOL, 0},
    {"user", OA_PT_LINE, 0},
};

struct svn {
    struct oa_vcs v;
    struct oa_svn_args a;
    char rev[256];
    char url[PATH_MAX + 2], path[PATH_MAX + 2]; /* as operands */
    char input[512];                            /* the password line, or "" */
};

char **oa_common_svn_argv(enum oa_svn_call call, const struct oa_svn_args *a,
                          char *argv[OA_SVN_ARGV_MAX])
{
    static const char *const sub[] = {
        [OA_SVN_REVISION] = "info", [OA_SVN_URL] = "info",      [OA_SVN_TARGET] = "info",
        [OA_SVN_UPDATE] = "update", [OA_SVN_SWITCH] = "switch", [OA_SVN_CHECKOUT] = "checkout"};
    bool info = call <= OA_SVN_TARGET;
    size_t n = 0;

#define A(s) (argv[n++] = (char *)(s))
    A("svn"), A(sub[call]), A("--non-interactive"), A("--no-auth-cache");
    if (a->username)
        A("--username"), A(a->username);
    if (a->password)
        A("--password-from-stdin");
    if (info)
        A("--show-item"), A(call == OA_SVN_URL ? "url" : "revision");
    if ((call == OA_SVN_TARGET || !info) && a->rev)
        A("-r"), A(a->rev);
    else if (call == OA_SVN_TARGET)
        A("-r"), A("HEAD");
    if (!info && a->force)
        A("--force");
    A("--");
    if (call == OA_SVN_SWITCH || call == OA_SVN_CHECKOUT)
        A(a->url);
    A(a->path);
#undef A
    argv[n] = NULL;
    return argv;
}

const char *oa_common_svn_revision(const char *rev, char *buf, size_t len)
{
    snprintf(buf, len, "%s", strcasecmp(rev, "COMMITED") == 0 ? "COMMITTED" : rev);
    return buf;
}

const char *oa_common_svn_operand(const char *s, char *buf, size_t len)
{
    const char *last = strrchr(s, '/');
    bool peg = strchr(last ? last : s, '@') != NULL;

    if ((size_t)snprintf(buf, len, "%s%s", s, peg ? "@" : "") >= len)
        return NULL;
    return buf;
}

bool oa_common_svn_same_url(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

static int svn_call(struct svn *s, enum oa_svn_call call, struct oa_buf *capture, const char *what)
{
    char *argv[OA_SVN_ARGV_MAX];

    oa_common_svn_argv(call, &s->a, argv);
    return oa_vcs_call(&s->v, NULL, capture, s->a.password ? s->input : NULL, argv, what);
}

/* An `svn info --show-item` answer, or "" when svn has none. */
static const char *svn_info(struct svn *s, enum oa_svn_call call, char *buf, size_t len)
{
    char *argv[OA_SVN_ARGV_MAX];

    oa_vcs_query(&s->v, NULL, s->a.password ? s->input : NULL,
                 oa_common_svn_argv(call, &s->a, argv), buf, len);
    return buf;
}

/* A dry run on a working copy: where an update would take it, asked of the
 * server with `svn info -r` (which changes nothing). */
static void dry_update(struct svn *s, const char *cur, const char *url, struct oa_outcome *out)
{
    char target[SVN_REV_MAX];

    if (!oa_common_svn_same_url(url, s->v.repo)) {
        oa_outcome_set(out, true, true, "would switch %s from %s to %s", s->v.path, url,
                       s->v.shown);
    } else if (!svn_info(s, OA_SVN_TARGET, target, sizeof(target))[0]) {
        oa_outcome_set(out, false, false, "cannot check %s: %s", s->v.shown,
                       s->v.why[0] ? s->v.why : "svn info gave no revision");
    } else if (strcmp(target, cur) == 0) {
        oa_outcome_set(out, true, false, "%s is at r%s, no changes", s->v.path, cur);
    } else {
        oa_outcome_set(out, true, true, "would update %s from r%s to r%s", s->v.path, cur, target);
    }
}

/* §9.3: a working copy is updated (switched first to another URL). */
static void on_working_copy(struct svn *s, const char *cur, struct oa_outcome *out)
{
    char url[PATH_MAX + 64], now[SVN_REV_MAX], now_url[PATH_MAX + 64];
    bool sw;
    int r;

    svn_info(s, OA_SVN_URL, url, sizeof(url));
    if (s->v.ctx->dry_run) {
        dry_update(s, cur, url, out);
        return;
    }
    sw = !oa_common_svn_same_url(url, s->v.repo);
    r = sw ? svn_call(s, OA_SVN_SWITCH, NULL, "svn switch")
           : svn_call(s, OA_SVN_UPDATE, NULL, "svn update");
    svn_info(s, OA_SVN_REVISION, now, sizeof(now));
    svn_info(s, OA_SVN_URL, now_url, sizeof(now_url));
    bool moved = strcmp(now, cur) != 0 || strcmp(now_url, url) != 0;
    if (r != 0)
        oa_outcome_set(out, false, moved, "cannot %s %s: %s", sw ? "switch" : "update", s->v.path,
                       s->v.why);
    else if (!moved)
        oa_outcome_set(out, true, false, "%s is at r%s, no changes", s->v.path, now);
    else if (strcmp(now_url, url) != 0)
        oa_outcome_set(out, true, true, "switched %s from %s to %s: r%s → r%s", s->v.path, url,
                       now_url, cur, now);
    else
        oa_outcome_set(out, true, true, "updated %s: r%s → r%s", s->v.path, cur, now);
}

static void checkout(struct svn *s, struct oa_outcome *out)
{
    char now[SVN_REV_MAX], at[64] = "";
    int r;

    if (s->a.rev)
        snprintf(at, sizeof(at), " at %.40s", s->a.rev);
    if (s->v.ctx->dry_run) {
        oa_outcome_set(out, true, true, "would check out %s into %s%s", s->v.shown, s->v.path, at);
        return;
    }
    r = svn_call(s, OA_SVN_CHECKOUT, NULL, "svn checkout");
    svn_info(s, OA_SVN_REVISION, now, sizeof(now));
    if (r != 0)
        oa_outcome_set(out, false, now[0] != '\0', "cannot check out %s into %s: %s", s->v.shown,
                       s->v.path, s->v.why);
    else
        oa_outcome_set(out, true, true, "checked out %s into %s at r%s", s->v.shown, s->v.path,
                       now);
}

/* §9.3: the parent must exist; a file at path fails. */
static bool place_ok(struct svn *s, enum oa_vcs_where *at, struct oa_outcome *out)
{
    char parent[PATH_MAX];
    struct stat st;
    int r;

    snprintf(parent, sizeof(parent), "%s", s->v.path);
    dirname(parent);
    if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
        oa_outcome_set(out, false, false, "the parent directory %s does not exist", parent);
        return false;
    }
    if ((r = oa_vcs_inspect(s->v.path, ".svn", at)) < 0) {
        oa_outcome_set(out, false, false, "cannot inspect %s: %s", s->v.path, strerror(-r));
        return false;
    }
    if (*at == OA_VCS_FILE) {
        oa_outcome_set(out, false, false, "%s exists and is not a directory", s->v.path);
        return false;
    }
    return true;
}

static void converge(struct svn *s, struct oa_outcome *out)
{
    char cur[SVN_REV_MAX] = "", would[64];
    enum oa_vcs_where at;
    bool usable;

    if (!place_ok(s, &at, out) ||
        oa_vcs_ensure_tool(&s->v, "subversion", "subversion", &usable, out) < 0)
        return;
    if (!usable) {
        oa_outcome_set(out, true, true, "%s%s %s",
                       oa_vcs_would_install(&s->v, would, sizeof(would)),
                       at == OA_VCS_REPO ? "update" : "check out into", s->v.path);
        return;
    }
    /* A working copy is what `svn info` recognises (a subdirectory of one
     * too), not just a directory holding .svn. */
    if (at != OA_VCS_MISSING)
        svn_info(s, OA_SVN_REVISION, cur, sizeof(cur));
    if (cur[0])
        on_working_copy(s, cur, out);
    else
        checkout(s, out);
    out->changed |= s->v.installed;
}

static bool setup(struct svn *s, const struct oa_params *p, struct oa_outcome *out)
{
    const char *rev = oa_params_str(p, "revision"), *pw = oa_params_str(p, "password");

    if (rev && !oa_vcs_revision_ok(rev)) {
        oa_outcome_set(out, false, false, "parameter 'revision': '%s' is not a revision", rev);
        return false;
    }
    if (pw && (strchr(pw, '\n') || strlen(pw) + 2 > sizeof(s->input))) {
        oa_outcome_set(out, false, false,
                       "parameter 'password': not a single line of at most %zu "
                       "bytes",
                       sizeof(s->input) - 2);
        return false;
    }
    if (!oa_common_svn_operand(s->v.repo, s->url, sizeof(s->url)) ||
        !oa_common_svn_operand(s->v.path, s->path, sizeof(s->path))) {
        oa_outcome_set(out, false, false, "parameter 'repo' or 'path' is too long");
        return false;
    }
    s->a.url = s->url;
    s->a.path = s->path;
    s->a.rev = rev ? oa_common_svn_revision(rev, s->rev, sizeof(s->rev)) : NULL;
    s->a.username = oa_params_str(p, "username");
    s->a.force = oa_params_bool(p, "force", false);
    if (pw && pw[0]) {
        s->a.password = true;
        snprintf(s->input, sizeof(s->input), "%s\n", pw);
        /* The password given wins over one in the URL for masking. */
        snprintf(s->v.secret, sizeof(s->v.secret), "%s", pw);
    }
    return true;
}

static int svn_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct svn s = {0};

    if (oa_vcs_setup(&s.v, ctx, "svn", p, out) && setup(&s, p, out) &&
        oa_vcs_make_env(&s.v, NULL, 0, out) == 0)
        converge(&s, out);
    oa_vcs_done(&s.v);
    return 0;
}

const struct oa_module oa_mod_common_svn = {
    .name = "common.svn",
    .params = svn_params,
    .n_params = sizeof(svn_params) / sizeof(svn_params[0]),
    .run = svn_run,
};
