/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.git (modules.md §9.1): a clone at `path` of `repo`, at `revision`
 * (a branch, a tag or a commit). A missing or empty directory is cloned; an
 * existing clone is left alone when it is already there (no fetch), and is
 * otherwise pointed at `repo`, fetched, checked out and fast-forwarded. A
 * non-empty directory that is not a clone fails; nothing is ever wiped.
 *
 * git runs with an argv array, as `user` when given (§1.10: that user's
 * ids and a clean environment; unlike the original's `su -`, the user's
 * login environment is not loaded), never prompting (GIT_TERMINAL_PROMPT=0,
 * ssh in batch mode). The prerequisite git package is installed when git is
 * missing (§1.6). A password in `repo` never reaches a comment or the
 * output.
 */
#include "common_git.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common_vcs.h"
#include "fsutil.h"
#include "modules.h"
#include "tool.h"

#define GIT_ARGS_MAX 8
#define SHA_MAX 65 /* 64 hex digits (sha256 repositories) and the NUL */

static const struct oa_param_spec git_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"repo", OA_PT_LINE, OA_PF_REQUIRED},
    {"revision", OA_PT_LINE, 0},
    {"ssh-key-file", OA_PT_LINE, 0},
    {"force", OA_PT_BOOL, 0},
    {"user", OA_PT_LINE, 0},
};

/* One run of the state: what every source module has, and git's own. */
struct git {
    struct oa_vcs v;
    const char *rev, *key;
    bool force;
};

int oa_common_git_ssh_command(const char *key, char *buf, size_t len)
{
    static const char opts[] = " -o StrictHostKeyChecking=no -o PasswordAuthentication=no"
                               " -o KbdInteractiveAuthentication=no -o BatchMode=yes";
    size_t o = 0;

    for (const char *k = key; *k; k++)
        if ((unsigned char)*k < 0x20 || *k == 0x7f)
            return -EINVAL;
#define PUT(s)                                                                                     \
    do {                                                                                           \
        size_t n_ = strlen(s);                                                                     \
        if (o + n_ >= len)                                                                         \
            return -ENAMETOOLONG;                                                                  \
        memcpy(buf + o, s, n_ + 1);                                                                \
        o += n_;                                                                                   \
    } while (0)
    PUT("ssh -i '");
    for (const char *k = key; *k; k++) {
        char one[2] = {*k, '\0'};
        PUT(*k == '\'' ? "'\\''" : one);
    }
    PUT("'");
    PUT(opts);
#undef PUT
    return 0;
}

bool oa_common_git_revision_ok(const char *rev)
{
    return oa_vcs_revision_ok(rev) && !strstr(rev, "..");
}

const char *oa_common_git_ls_remote_sha(const char *out, char *buf, size_t len)
{
    size_t n = strspn(out, "0123456789abcdef");

    buf[0] = '\0';
    if ((n == 40 || n == 64) && out[n] == '\t' && n < len) {
        memcpy(buf, out, n);
        buf[n] = '\0';
    }
    return buf;
}

/* Runs git with args (NULL-terminated, at most GIT_ARGS_MAX) in the clone
 * (in_repo) or in "/". Returns 0 when it exited 0, 1 when it failed, or a
 * negative errno when it could not start; g->v.why says why for both. */
static int git_call(struct git *g, bool in_repo, struct oa_buf *capture, const char *const *args)
{
    char *argv[GIT_ARGS_MAX + 4], what[64];
    size_t n = 0;

    argv[n++] = (char *)"git";
    argv[n++] = (char *)"-c";
    argv[n++] = (char *)"advice.detachedHead=false";
    for (size_t i = 0; i < GIT_ARGS_MAX && args[i]; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    snprintf(what, sizeof(what), "git %s", args[0]);
    return oa_vcs_call(&g->v, in_repo ? g->v.path : NULL, capture, NULL, argv, what);
}

/* Runs a git query in the clone; its first line (trimmed) goes to buf.
 * Returns whether it succeeded ("" in buf otherwise). A query failing is an
 * answer, not an error: g->v.why is kept. */
static bool git_out(struct git *g, const char *const *args, char *buf, size_t len)
{
    char *argv[GIT_ARGS_MAX + 4];
    size_t n = 0;

    argv[n++] = (char *)"git";
    argv[n++] = (char *)"-c";
    argv[n++] = (char *)"advice.detachedHead=false";
    for (size_t i = 0; i < GIT_ARGS_MAX && args[i]; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    return oa_vcs_query(&g->v, g->v.path, NULL, argv, buf, len);
}

/* a and b into buf; false when they do not fit. */
static bool join(char *buf, size_t len, const char *a, const char *b)
{
    return (size_t)snprintf(buf, len, "%s%s", a, b) < len;
}

/* The commit rev names in the clone, or "" when it names none. */
static const char *resolve(struct git *g, const char *rev, char *sha, size_t len)
{
    char spec[PATH_MAX];
    const char *args[] = {"rev-parse", "-q", "--verify", spec, NULL};

    sha[0] = '\0';
    if (join(spec, sizeof(spec), rev, "^{commit}"))
        git_out(g, args, sha, len);
    return sha;
}

/* Whether rev is a branch here or at origin (a tag or a commit is not). */
static bool is_branch(struct git *g, const char *rev)
{
    char ref[PATH_MAX], sha[SHA_MAX];

    if (join(ref, sizeof(ref), "refs/heads/", rev) && resolve(g, ref, sha, sizeof(sha))[0])
        return true;
    return join(ref, sizeof(ref), "refs/remotes/origin/", rev) &&
           resolve(g, ref, sha, sizeof(sha))[0] != '\0';
}

/* The commit of branch at repo (git ls-remote). Returns 0 ("" when the
 * remote has no such branch) or a negative code with g->v.why. */
static int remote_head(struct git *g, const char *branch, char *sha, size_t len)
{
    char ref[PATH_MAX];
    const char *args[] = {"ls-remote", "--", g->v.repo, ref, NULL};
    struct oa_buf out;
    int r;

    sha[0] = '\0';
    if (!join(ref, sizeof(ref), "refs/heads/", branch))
        return 0;
    oa_buf_init(&out, 1 << 20);
    r = git_call(g, true, &out, args);
    oa_common_git_ls_remote_sha(r == 0 && out.data ? out.data : "", sha, len);
    oa_buf_done(&out);
    return r == 0 ? 0 : -EIO;
}

/* Whether the clone is already where the state wants it (§9.1 A.2):
 * 1 yes (note says where), 0 no, or a negative code with g->v.why. */
static int up_to_date(struct git *g, const char *cur, const char *br, char *note, size_t len)
{
    char sha[SHA_MAX], remote[SHA_MAX];
    const char *branch = g->rev ? g->rev : br;

    if (!cur[0])
        return 0;
    snprintf(note, len, "%s", g->rev ? g->rev : br);
    if (g->rev &&
        (strcmp(g->rev, cur) == 0 ||
         (strcmp(resolve(g, g->rev, sha, sizeof(sha)), cur) == 0 && !is_branch(g, g->rev))))
        return 1;
    if (!g->rev && !br[0]) {
        snprintf(note, len, "a detached HEAD and no revision is given");
        return 1;
    }
    if (strcmp(br, branch) != 0)
        return 0;
    if (remote_head(g, branch, remote, sizeof(remote)) < 0)
        return -EIO;
    return strcmp(remote, cur) == 0;
}

static void head_of(struct git *g, char *cur, char *br, size_t brlen)
{
    static const char *const head[] = {"rev-parse", "-q", "--verify", "HEAD", NULL};
    static const char *const sym[] = {"symbolic-ref", "-q", "--short", "HEAD", NULL};

    git_out(g, head, cur, SHA_MAX);
    git_out(g, sym, br, brlen);
}

/* Points origin at repo, adding it when the clone has none. */
static int set_origin(struct git *g)
{
    static const char *const get[] = {"remote", "get-url", "origin", NULL};
    const char *set[] = {"remote", "set-url", "origin", g->v.repo, NULL};
    const char *add[] = {"remote", "add", "origin", g->v.repo, NULL};
    char url[2048];

    if (!git_out(g, get, url, sizeof(url)))
        return git_call(g, true, NULL, add);
    return strcmp(url, g->v.repo) == 0 ? 0 : git_call(g, true, NULL, set);
}

/* Fetches what the checkout needs: always for a branch (it may have moved),
 * otherwise only when the revision is not known here yet. */
static int fetch(struct git *g)
{
    static const char *const plain[] = {"fetch", "origin", NULL};
    static const char *const tags[] = {"fetch", "--tags", "origin", NULL};
    char sha[SHA_MAX];
    int r;

    if (g->rev && resolve(g, g->rev, sha, sizeof(sha))[0] && !is_branch(g, g->rev))
        return 0;
    if ((r = git_call(g, true, NULL, plain)) != 0 || !g->rev)
        return r;
    if (!resolve(g, g->rev, sha, sizeof(sha))[0] && (r = git_call(g, true, NULL, tags)) != 0)
        return r;
    if (!resolve(g, g->rev, sha, sizeof(sha))[0] && !is_branch(g, g->rev)) {
        snprintf(g->v.why, sizeof(g->v.why), "revision %.200s not found in %.800s", g->rev,
                 g->v.shown);
        return 1;
    }
    return 0;
}

/* §9.1 A.3: origin, fetch, checkout, fast-forward. */
static int update(struct git *g)
{
    const char *co[] = {"checkout", g->rev, "--", NULL};
    const char *co_f[] = {"checkout", "-f", g->rev, "--", NULL};
    char br[PATH_MAX], ref[PATH_MAX], sha[SHA_MAX];
    int r;

    if ((r = set_origin(g)) != 0 || (r = fetch(g)) != 0)
        return r;
    if (g->rev && (r = git_call(g, true, NULL, g->force ? co_f : co)) != 0)
        return r;
    static const char *const sym[] = {"symbolic-ref", "-q", "--short", "HEAD", NULL};
    if (!git_out(g, sym, br, sizeof(br)))
        return 0;
    if (!join(ref, sizeof(ref), "refs/remotes/origin/", br) ||
        !resolve(g, ref, sha, sizeof(sha))[0])
        return 0;
    const char *ff[] = {"merge", "--ff-only", ref, NULL};
    return git_call(g, true, NULL, ff);
}

static int clone(struct git *g)
{
    const char *args[] = {"clone", "--", g->v.repo, g->v.path, NULL};
    const char *co[] = {"checkout", g->rev, "--", NULL};
    int r = git_call(g, false, NULL, args);

    if (r == 0 && g->rev)
        r = git_call(g, true, NULL, co);
    return r;
}

static bool validate(struct git *g, const struct oa_params *p, struct oa_outcome *out)
{
    g->rev = oa_params_str(p, "revision");
    g->key = oa_params_str(p, "ssh-key-file");
    g->force = oa_params_bool(p, "force", false);
    if (g->rev && !oa_common_git_revision_ok(g->rev)) {
        oa_outcome_set(out, false, false, "parameter 'revision': '%s' is not a revision", g->rev);
        return false;
    }
    if (g->key && !oa_fs_is_absolute(g->key)) {
        oa_outcome_set(out, false, false, "parameter 'ssh-key-file': '%s' is not an absolute path",
                       g->key);
        return false;
    }
    if (g->key && !oa_fs_exists(g->key)) {
        oa_outcome_set(out, false, false, "ssh-key-file %s does not exist", g->key);
        return false;
    }
    return true;
}

/* git's environment: the user's clean one, never prompting, with the key. */
static int make_env(struct git *g, struct oa_outcome *out)
{
    char ssh[PATH_MAX * 4 + 256];
    struct oa_kv extra[2] = {{(char *)"GIT_TERMINAL_PROMPT", (char *)"0"},
                             {(char *)"GIT_SSH_COMMAND", ssh}};
    int r = 0;

    if (g->key && (r = oa_common_git_ssh_command(g->key, ssh, sizeof(ssh))) < 0) {
        oa_outcome_set(out, false, false, "ssh-key-file %s: %s", g->key,
                       r == -EINVAL ? "the path holds a control character"
                                    : "the path is too long");
        return r;
    }
    return oa_vcs_make_env(&g->v, extra, g->key ? 2 : 1, out);
}

static void report_clone(struct git *g, int r, struct oa_outcome *out)
{
    char cur[SHA_MAX], br[PATH_MAX], dotgit[PATH_MAX + 8];

    if (r != 0) {
        /* A failed checkout after the clone leaves the clone: a change. */
        snprintf(dotgit, sizeof(dotgit), "%s/.git", g->v.path);
        oa_outcome_set(out, false, oa_fs_exists(dotgit), "cannot clone %s into %s: %s", g->v.shown,
                       g->v.path, g->v.why);
        return;
    }
    head_of(g, cur, br, sizeof(br));
    if (g->rev)
        oa_outcome_set(out, true, true, "cloned %s into %s at %s (%.7s)", g->v.shown, g->v.path,
                       g->rev, cur);
    else
        oa_outcome_set(out, true, true, "cloned %s into %s at %.7s", g->v.shown, g->v.path, cur);
}

/* An existing clone: no-op, dry-run report, or update (§9.1 A). */
static void on_clone(struct git *g, struct oa_outcome *out)
{
    char cur[SHA_MAX], br[PATH_MAX], now[SHA_MAX], note[PATH_MAX + 64];
    int r;

    head_of(g, cur, br, sizeof(br));
    r = up_to_date(g, cur, br, note, sizeof(note));
    if (r < 0) {
        oa_outcome_set(out, false, false, "cannot check %s: %s", g->v.shown, g->v.why);
    } else if (r > 0) {
        oa_outcome_set(out, true, false, "%s is at %s (%.7s), no changes", g->v.path, note, cur);
    } else if (g->v.ctx->dry_run) {
        oa_outcome_set(out, true, true, "would update %s from %.7s to %s", g->v.path,
                       cur[0] ? cur : "nothing", g->rev ? g->rev : br);
    } else if (update(g) != 0) {
        head_of(g, now, br, sizeof(br));
        oa_outcome_set(out, false, strcmp(now, cur) != 0, "cannot update %s: %s", g->v.path,
                       g->v.why);
    } else {
        head_of(g, now, br, sizeof(br));
        if (strcmp(now, cur) == 0)
            oa_outcome_set(out, true, false, "%s is at %s (%.7s), no changes", g->v.path,
                           g->rev ? g->rev : br, now);
        else
            oa_outcome_set(out, true, true, "updated %s: %.7s → %.7s%s%s", g->v.path,
                           cur[0] ? cur : "nothing", now, g->rev ? " at " : "",
                           g->rev ? g->rev : "");
    }
}

static void converge(struct git *g, struct oa_outcome *out)
{
    enum oa_vcs_where at;
    bool usable;
    int r;

    if ((r = oa_vcs_inspect(g->v.path, ".git", &at)) < 0) {
        oa_outcome_set(out, false, false, "cannot inspect %s: %s", g->v.path, strerror(-r));
        return;
    }
    if (at == OA_VCS_FILE || at == OA_VCS_OTHER) {
        oa_outcome_set(out, false, false, "%s %s", g->v.path,
                       at == OA_VCS_FILE ? "exists and is not a directory"
                                         : "exists, is not empty and is not a git clone");
        return;
    }
    if (oa_vcs_ensure_tool(&g->v, "git", "git", &usable, out) < 0)
        return;
    if (!usable || (g->v.ctx->dry_run && at != OA_VCS_REPO)) {
        if (at == OA_VCS_REPO)
            oa_outcome_set(out, true, true, "would install git, then update %s", g->v.path);
        else
            oa_outcome_set(out, true, true, "would %sclone %s into %s",
                           usable ? "" : "install git, then ", g->v.shown, g->v.path);
        return;
    }
    if (at == OA_VCS_REPO)
        on_clone(g, out);
    else
        report_clone(g, clone(g), out);
    /* Installing git was a change of its own, whatever the clone did. */
    out->changed |= g->v.installed;
}

static int git_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct git g = {0};

    if (oa_vcs_setup(&g.v, ctx, "git", p, out) && validate(&g, p, out) && make_env(&g, out) == 0)
        converge(&g, out);
    oa_vcs_done(&g.v);
    return 0;
}

const struct oa_module oa_mod_common_git = {
    .name = "common.git",
    .params = git_params,
    .n_params = sizeof(git_params) / sizeof(git_params[0]),
    .run = git_run,
};
