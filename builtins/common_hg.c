/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.hg (modules.md §9.2): a Mercurial clone at `path` of `repo`, its
 * working directory at `revision` (absent: tip). An existing repository is
 * pulled from `repo` every round, then updated; a missing or empty
 * directory is cloned into. A non-empty directory that is not a repository
 * fails, unless `force`, which wipes its contents first (a different
 * meaning from git's force).
 *
 * hg runs with an argv array, --noninteractive and HGPLAIN=1 (the user's
 * aliases and defaults cannot change what a command does or prints), as
 * `user` when given (§1.10). The parts git and svn share are in
 * common_vcs.c.
 */
#include "common_hg.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common_vcs.h"
#include "modules.h"

#define HG_ID_MAX 64

static const struct oa_param_spec hg_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"repo", OA_PT_LINE, OA_PF_REQUIRED},
    {"revision", OA_PT_LINE, 0},
    {"force", OA_PT_BOOL, 0},
    {"user", OA_PT_LINE, 0},
};

struct hg {
    struct oa_vcs v;
    const char *rev; /* "tip" when absent */
    bool force;
};

char **oa_common_hg_argv(enum oa_hg_call call, const char *repo, const char *path, const char *rev,
                         char *argv[OA_HG_ARGV_MAX])
{
    size_t n = 0;

#define A(s) (argv[n++] = (char *)(s))
    A("hg");
    A("--noninteractive");
    switch (call) {
    case OA_HG_CLONE:
        A("clone"), A("--noupdate"), A("--"), A(repo), A(path);
        break;
    case OA_HG_PULL:
        A("pull"), A("--"), A(repo);
        break;
    case OA_HG_INCOMING:
        A("incoming"), A("--quiet"), A("--template"), A("{node}\n"), A("--"), A(repo);
        break;
    case OA_HG_UPDATE:
        A("--config"), A("ui.merge=internal:fail"), A("update"), A("--rev"), A(rev);
        break;
    case OA_HG_ID:
        A("identify"), A("--id");
        break;
    case OA_HG_ID_REV:
        A("identify"), A("--id"), A("--rev"), A(rev);
        break;
    }
#undef A
    argv[n] = NULL;
    return argv;
}

bool oa_common_hg_same_id(const char *a, const char *b)
{
    size_t la = strcspn(a, "+"), lb = strcspn(b, "+");

    return la > 0 && la == lb && strncmp(a, b, la) == 0;
}

size_t oa_common_hg_count_lines(const char *out)
{
    size_t n = 0;

    for (const char *p = out; p && *p; p += strcspn(p, "\n"), p += *p == '\n')
        n += strcspn(p, "\r\n") > 0;
    return n;
}

bool oa_common_hg_pull_failed(const char *out)
{
    return out && strstr(out, "error:") != NULL;
}

static int hg_call(struct hg *h, enum oa_hg_call call, struct oa_buf *capture, const char *what)
{
    char *argv[OA_HG_ARGV_MAX];

    oa_common_hg_argv(call, h->v.repo, h->v.path, h->rev, argv);
    return oa_vcs_call(&h->v, call == OA_HG_CLONE ? NULL : h->v.path, capture, NULL, argv, what);
}

/* The working directory's id, or the id rev names ("" when none). */
static const char *hg_id(struct hg *h, enum oa_hg_call call, char *buf)
{
    char *argv[OA_HG_ARGV_MAX];

    oa_vcs_query(&h->v, h->v.path, NULL, oa_common_hg_argv(call, NULL, NULL, h->rev, argv), buf,
                 HG_ID_MAX);
    return buf;
}

/* Pulls from repo; its output reaches the state's output. 0, or 1 with
 * v.why when hg failed or reported an error. */
static int pull(struct hg *h)
{
    struct oa_buf out;
    int r;

    oa_buf_init(&out, 1 << 20);
    r = hg_call(h, OA_HG_PULL, &out, "hg pull");
    if (out.data)
        fputs(out.data, stdout);
    if (r == 0 && oa_common_hg_pull_failed(out.data)) {
        const char *e = strstr(out.data, "error:");
        snprintf(h->v.why, sizeof(h->v.why), "hg pull reported %.*s", (int)strcspn(e, "\r\n"), e);
        r = 1;
    }
    oa_buf_done(&out);
    return r;
}

/* A dry run on an existing repository: what a pull and an update would do,
 * found with `hg incoming` (which changes nothing). */
static void dry_update(struct hg *h, const char *cur, struct oa_outcome *out)
{
    char target[HG_ID_MAX];
    struct oa_buf in;
    size_t n;
    int r;

    oa_buf_init(&in, 1 << 20);
    r = hg_call(h, OA_HG_INCOMING, &in, "hg incoming");
    n = oa_common_hg_count_lines(in.data);
    oa_buf_done(&in);
    /* incoming exits 1 when there is nothing to pull. */
    if (r < 0 || (r == 1 && !(WIFEXITED(h->v.status) && WEXITSTATUS(h->v.status) == 1))) {
        oa_outcome_set(out, false, false, "cannot pull %s into %s: %s", h->v.shown, h->v.path,
                       h->v.why);
    } else if (n > 0) {
        oa_outcome_set(out, true, true,
                       "would pull %zu changeset%s from %s into %s, then update to %s", n,
                       n == 1 ? "" : "s", h->v.shown, h->v.path, h->rev);
    } else if (!hg_id(h, OA_HG_ID_REV, target)[0]) {
        oa_outcome_set(out, false, false, "cannot update %s: unknown revision %s", h->v.path,
                       h->rev);
    } else if (oa_common_hg_same_id(target, cur)) {
        oa_outcome_set(out, true, false, "%s is at %s (%s), no changes", h->v.path, h->rev, cur);
    } else {
        oa_outcome_set(out, true, true, "would update %s from %s to %s (%s)", h->v.path, cur,
                       h->rev, target);
    }
}

/* §9.2: a repository exists: pull every round, then update. */
static void on_repo(struct hg *h, struct oa_outcome *out)
{
    char cur[HG_ID_MAX], now[HG_ID_MAX];
    int r;

    hg_id(h, OA_HG_ID, cur);
    if (h->v.ctx->dry_run) {
        dry_update(h, cur, out);
        return;
    }
    if (pull(h) != 0) {
        oa_outcome_set(out, false, false, "cannot pull %s into %s: %s", h->v.shown, h->v.path,
                       h->v.why);
        return;
    }
    r = hg_call(h, OA_HG_UPDATE, NULL, "hg update");
    hg_id(h, OA_HG_ID, now);
    if (r != 0)
        oa_outcome_set(out, false, strcmp(now, cur) != 0, "cannot update %s to %s: %s", h->v.path,
                       h->rev, h->v.why);
    else if (strcmp(now, cur) == 0)
        oa_outcome_set(out, true, false, "%s is at %s (%s), no changes", h->v.path, h->rev, now);
    else
        oa_outcome_set(out, true, true, "updated %s: %s → %s at %s", h->v.path, cur, now, h->rev);
}

static int unlink_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    if (f->level == 0)
        return 0; /* the directory itself stays: its owner, mode, or a mount on it */
    return remove(path) < 0 ? -errno : 0;
}

/* Empties the directory at path: never following a link, never entering
 * another file system (what is mounted below makes the wipe fail). */
static int wipe(const char *path)
{
    int r = nftw(path, unlink_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);

    return r > 0 ? -EIO : r < 0 ? (r == -1 ? -errno : r) : 0;
}

/* A missing, empty or (with force) wiped directory: clone, then update. */
static void fresh_clone(struct hg *h, bool wiped, struct oa_outcome *out)
{
    char id[HG_ID_MAX];
    int r = hg_call(h, OA_HG_CLONE, NULL, "hg clone");
    bool cloned = r == 0;

    if (r == 0)
        r = hg_call(h, OA_HG_UPDATE, NULL, "hg update");
    if (r != 0) {
        /* A failed update after the clone leaves the clone: a change. */
        oa_outcome_set(out, false, cloned || wiped, "cannot clone %s into %s: %s", h->v.shown,
                       h->v.path, h->v.why);
        return;
    }
    oa_outcome_set(out, true, true, "%scloned %s into %s at %s (%s)",
                   wiped ? "wiped the directory, " : "", h->v.shown, h->v.path, h->rev,
                   hg_id(h, OA_HG_ID, id));
}

static void converge(struct hg *h, struct oa_outcome *out)
{
    enum oa_vcs_where at;
    char would[64];
    bool usable;
    int r;

    if ((r = oa_vcs_inspect(h->v.path, ".hg", &at)) < 0) {
        oa_outcome_set(out, false, false, "cannot inspect %s: %s", h->v.path, strerror(-r));
        return;
    }
    if (at == OA_VCS_FILE || (at == OA_VCS_OTHER && !h->force)) {
        oa_outcome_set(out, false, false, "%s %s", h->v.path,
                       at == OA_VCS_FILE ? "exists and is not a directory"
                                         : "exists, is not empty and is not a Mercurial "
                                           "repository (force wipes it)");
        return;
    }
    if (at == OA_VCS_OTHER && strchr(h->v.path + 1, '/') == NULL) {
        oa_outcome_set(out, false, false, "refusing to wipe %s: a top-level directory", h->v.path);
        return;
    }
    if (oa_vcs_ensure_tool(&h->v, "mercurial", "mercurial", &usable, out) < 0)
        return;
    oa_vcs_would_install(&h->v, would, sizeof(would));
    if (at == OA_VCS_REPO && usable) {
        on_repo(h, out);
    } else if (at == OA_VCS_REPO) {
        oa_outcome_set(out, true, true, "%spull %s into %s and update to %s", would, h->v.shown,
                       h->v.path, h->rev);
    } else if (h->v.ctx->dry_run) {
        oa_outcome_set(out, true, true, "%s%s%s%sclone %s into %s at %s",
                       would[0] ? would : "would ", at == OA_VCS_OTHER ? "wipe " : "",
                       at == OA_VCS_OTHER ? h->v.path : "", at == OA_VCS_OTHER ? ", then " : "",
                       h->v.shown, h->v.path, h->rev);
    } else if (at == OA_VCS_OTHER && (r = wipe(h->v.path)) < 0) {
        oa_outcome_set(out, false, true, "cannot wipe %s: %s", h->v.path, strerror(-r));
    } else {
        fresh_clone(h, at == OA_VCS_OTHER, out);
    }
    out->changed |= h->v.installed;
}

static int hg_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct oa_kv plain = {(char *)"HGPLAIN", (char *)"1"};
    struct hg h = {0};

    h.rev = oa_params_str(p, "revision") ? oa_params_str(p, "revision") : "tip";
    h.force = oa_params_bool(p, "force", false);
    if (!oa_vcs_setup(&h.v, ctx, "hg", p, out)) {
        oa_vcs_done(&h.v);
        return 0;
    }
    if (!oa_vcs_revision_ok(h.rev))
        oa_outcome_set(out, false, false, "parameter 'revision': '%s' is not a revision", h.rev);
    else if (oa_vcs_make_env(&h.v, &plain, 1, out) == 0)
        converge(&h, out);
    oa_vcs_done(&h.v);
    return 0;
}

const struct oa_module oa_mod_common_hg = {
    .name = "common.hg",
    .params = hg_params,
    .n_params = sizeof(hg_params) / sizeof(hg_params[0]),
    .run = hg_run,
};
