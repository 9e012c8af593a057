/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.virtualenv (modules.md §6.4): a Python virtual environment at
 * `path`, created with `virtualenv` when <path>/bin/python does not exist.
 * An existing environment is never recreated, even when `python-bin` or
 * `system-site-packages` changed (as in the original). The parent of
 * `path` must exist. `extra-search-dir` reaches virtualenv (⚠ the original
 * lost it: its dashed name never reached Salt).
 *
 * With `requirements-file`, <path>/bin/pip install -r runs every round, and
 * the state changed when `pip freeze --all` differs before and after; a dry
 * run asks pip what it would install (pip install --dry-run).
 *
 * virtualenv comes from the distribution when missing (§1.6; Debian:
 * virtualenv, RHEL: python3-virtualenv: never `pip install virtualenv` as
 * the original did). Both tools run in pip's clean environment, so
 * PIP_INDEX_URL, PIP_FIND_LINKS and PIP_NO_INDEX reach them (§6.1).
 */
#include "common_virtualenv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common_pip.h"
#include "common_sources.h"
#include "fsutil.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "runas.h"
#include "tool.h"

#define FREEZE_MAX ((size_t)4 << 20)

static const struct oa_param_spec venv_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},    {"python-bin", OA_PT_LINE, 0},
    {"system-site-packages", OA_PT_BOOL, 0}, {"requirements-file", OA_PT_LINE, 0},
    {"extra-search-dir", OA_PT_ARRAY, 0},
};

void oa_common_virtualenv_args(struct oa_pkg_argv *a, const char *path, const char *python,
                               bool system_site_packages, char *const *search_dirs, size_t n_dirs)
{
    if (python) {
        oa_pkg_argv_add(a, "-p");
        oa_pkg_argv_add(a, python);
    }
    if (system_site_packages)
        oa_pkg_argv_add(a, "--system-site-packages");
    /* The option takes every word up to the next option (argparse's
     * nargs="+"), and a second one replaces the first: all the
     * directories follow one option, and "--" keeps the path out of them. */
    if (n_dirs)
        oa_pkg_argv_add(a, "--extra-search-dir");
    for (size_t i = 0; i < n_dirs; i++)
        oa_pkg_argv_add(a, search_dirs[i]);
    oa_pkg_argv_add(a, "--");
    oa_pkg_argv_add(a, path);
}

/* Appends "what name version" (or "name a → b") to buf at *used. */
static void add_change(char *buf, size_t len, size_t *used, const char *what, const char *name,
                       size_t nlen, const char *a, const char *b)
{
    int w;

    if (*used >= len)
        return;
    if (b)
        w = snprintf(buf + *used, len - *used, "%s%.*s %s → %s", *used ? ", " : "", (int)nlen, name,
                     a, b);
    else
        w = snprintf(buf + *used, len - *used, "%s%s %.*s %s", *used ? ", " : "", what, (int)nlen,
                     name, a);
    *used += w > 0 ? (size_t)w : 0;
}

static bool has_line(const char *text, const char *line, size_t n)
{
    for (const char *l = text; l && *l;) {
        size_t m = strcspn(l, "\n");
        if (m == n && memcmp(l, line, n) == 0)
            return true;
        l = l[m] ? l + m + 1 : NULL;
    }
    return false;
}

/* Every "name==version" line of one freeze that the other lacks or has at
 * another version: added (or changed) when from is the later one. */
static void walk(const char *from, const char *other, bool later, char *buf, size_t len,
                 size_t *used, bool *differ)
{
    char ver[256], theirs[256], name[256];

    for (const char *line = from; line && *line;) {
        size_t n = strcspn(line, "\n");
        const char *eq = memmem(line, n, "==", 2);
        if (eq && (size_t)(eq - line) < sizeof(name)) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - line), line);
            snprintf(ver, sizeof(ver), "%.*s", (int)(n - (size_t)(eq + 2 - line)), eq + 2);
            ver[strcspn(ver, "\r")] = '\0';
            bool there = oa_common_pip_freeze_find(other, name, theirs, sizeof(theirs));
            if (!there) {
                *differ = true;
                add_change(buf, len, used, later ? "installed" : "removed", name, strlen(name), ver,
                           NULL);
            } else if (later && strcmp(theirs, ver) != 0) {
                *differ = true;
                add_change(buf, len, used, NULL, name, strlen(name), theirs, ver);
            }
        } else if (n && !has_line(other, line, n)) {
            *differ = true; /* "-e …", "name @ url": compared as text */
        }
        line = line[n] ? line + n + 1 : NULL;
    }
}

bool oa_common_virtualenv_freeze_diff(const char *before, const char *after, char *buf, size_t len)
{
    size_t used = 0;
    bool differ = false;

    if (len)
        buf[0] = '\0';
    walk(after, before, true, buf, len, &used, &differ);
    walk(before, after, false, buf, len, &used, &differ);
    return differ;
}

const char *oa_common_virtualenv_would_install(const char *pip_out, char *buf, size_t len)
{
    const char *line = pip_out ? strstr(pip_out, "Would install ") : NULL;

    if (len)
        buf[0] = '\0';
    if (line && len)
        snprintf(buf, len, "%.*s", (int)strcspn(line + 14, "\r\n"), line + 14);
    return buf;
}

/* ---- The module ---- */

struct venv {
    const struct oa_run_ctx *ctx;
    char path[PATH_MAX];
    const char *python, *reqs;
    const struct oa_pvalue *dirs;
    bool site;
    char **env;
};

static bool validate(struct venv *v, const struct oa_params *p, struct oa_outcome *out)
{
    const char *path = oa_params_str(p, "path");
    char parent[PATH_MAX];
    struct stat st;

    snprintf(v->path, sizeof(v->path), "%s", path);
    while (strlen(v->path) > 1 && v->path[strlen(v->path) - 1] == '/')
        v->path[strlen(v->path) - 1] = '\0';
    v->python = oa_params_str(p, "python-bin");
    v->reqs = oa_params_str(p, "requirements-file");
    v->dirs = oa_params_get(p, "extra-search-dir");
    v->site = oa_params_bool(p, "system-site-packages", false);
    if (!oa_fs_is_absolute(path) || strlen(path) >= sizeof(v->path) - 16 || !strcmp(v->path, "/")) {
        oa_outcome_set(out, false, false, "parameter 'path': '%s' is not an absolute path", path);
        return false;
    }
    if (v->python && v->python[0] == '-') {
        oa_outcome_set(out, false, false, "parameter 'python-bin': '%s' is not a program",
                       v->python);
        return false;
    }
    if (v->reqs && !oa_fs_is_absolute(v->reqs)) {
        oa_outcome_set(out, false, false,
                       "parameter 'requirements-file': '%s' is not an absolute path", v->reqs);
        return false;
    }
    for (size_t i = 0; i < v->dirs->n; i++)
        if (!oa_fs_is_absolute(v->dirs->items[i])) {
            oa_outcome_set(out, false, false,
                           "parameter 'extra-search-dir': '%s' is not an absolute path",
                           v->dirs->items[i]);
            return false;
        }
    snprintf(parent, sizeof(parent), "%s", v->path);
    *strrchr(parent, '/') = '\0';
    if (!parent[0])
        strcpy(parent, "/");
    if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
        oa_outcome_set(out, false, false, "the parent directory %s of %s does not exist", parent,
                       v->path);
        return false;
    }
    return true;
}

/* Runs exe with args (argv[0] is label) in pip's environment. Returns 0
 * when it exited 0, else non-zero with why ("label exited with status 1:
 * …"). */
static int run_tool(struct venv *v, const char *exe, char *const *argv, struct oa_buf *capture,
                    char *why, size_t len)
{
    struct oa_tool t = {.path = exe, .argv = argv, .envp = v->env, .capture = capture};
    char reason[512];
    int status, rc;

    rc = oa_common_sources_run(&t, NULL, &status, reason, sizeof(reason));
    if (rc < 0) {
        snprintf(why, len, "%s", reason);
        return rc;
    }
    if (oa_tool_ok(status))
        return 0;
    oa_common_sources_failure(argv[0], status, reason, why, len);
    return 1;
}

/* Creates the environment; 1 when the virtualenv tool is missing in a dry
 * run. */
static int create(struct venv *v, char *note, size_t nlen, struct oa_outcome *out)
{
    struct oa_pkg_argv a = {0};
    struct oa_osinfo os;
    char exe[PATH_MAX], py[PATH_MAX + 16], why[512];
    bool installed;
    int rc;

    if (!oa_tool_which("virtualenv", exe, sizeof(exe))) {
        oa_osinfo_read(&os);
        if ((rc = oa_prereq_ensure(v->ctx, &os, "virtualenv", "virtualenv", "python3-virtualenv",
                                   &installed, out)) < 0)
            return rc;
        if (!oa_tool_which("virtualenv", exe, sizeof(exe)) && !v->ctx->dry_run) {
            oa_outcome_set(out, false, false, "virtualenv is not installed");
            return -ENOENT;
        }
    }
    if (v->ctx->dry_run) {
        snprintf(note, nlen, "would create virtualenv %s", v->path);
        return 0;
    }
    oa_pkg_argv_add(&a, "virtualenv");
    oa_common_virtualenv_args(&a, v->path, v->python, v->site, v->dirs->items, v->dirs->n);
    if (!oa_pkg_argv_ok(&a))
        rc = -ENOMEM, snprintf(why, sizeof(why), "out of memory");
    else
        rc = run_tool(v, exe, a.v, NULL, why, sizeof(why));
    oa_pkg_argv_done(&a);
    snprintf(py, sizeof(py), "%s/bin/python", v->path);
    if (rc == 0 && !oa_fs_exists(py)) {
        snprintf(why, sizeof(why), "virtualenv ran without error, but %.400s does not exist", py);
        rc = -ENOENT;
    }
    if (rc != 0) {
        oa_outcome_set(out, false, false, "%s", why);
        return rc < 0 ? rc : -EIO;
    }
    snprintf(note, nlen, "created virtualenv %s", v->path);
    return 0;
}

static int freeze(struct venv *v, const char *pip, struct oa_buf *into, char *why, size_t len)
{
    char *argv[] = {"pip freeze", "freeze", "--all", NULL};

    return run_tool(v, pip, argv, into, why, len);
}

/* pip install -r, every round; or, in a dry run, what it would install. */
static int requirements(struct venv *v, bool exists, char *note, size_t nlen, bool *changed,
                        struct oa_outcome *out)
{
    char pip[PATH_MAX + 16], why[512], what[600], would[400];
    char *install[] = {"pip install", "install", "-r", (char *)v->reqs, NULL};
    char *dry[] = {"pip install", "install", "--dry-run", "-r", (char *)v->reqs, NULL};
    struct oa_buf before, after;
    int rc;

    if (!oa_fs_exists(v->reqs)) {
        oa_outcome_set(out, false, false, "the requirements file %s does not exist", v->reqs);
        return -ENOENT;
    }
    if (v->ctx->dry_run && !exists) {
        snprintf(note, nlen, ", then pip install -r %s", v->reqs);
        return 0;
    }
    snprintf(pip, sizeof(pip), "%s/bin/pip", v->path);
    if (!oa_fs_exists(pip)) {
        oa_outcome_set(out, false, false, "%s does not exist: the environment has no pip", pip);
        return -ENOENT;
    }
    oa_buf_init(&before, FREEZE_MAX);
    oa_buf_init(&after, FREEZE_MAX);
    if (v->ctx->dry_run) {
        rc = run_tool(v, pip, dry, &after, why, sizeof(why));
        oa_common_virtualenv_would_install(after.data, would, sizeof(would));
        if (rc == 0 && would[0])
            *changed = true;
        if (rc == 0)
            snprintf(note, nlen, "; requirements from %s: %s%s", v->reqs,
                     would[0] ? "would install " : "nothing to install", would);
    } else if ((rc = freeze(v, pip, &before, why, sizeof(why))) == 0 &&
               (rc = run_tool(v, pip, install, NULL, why, sizeof(why))) == 0 &&
               (rc = freeze(v, pip, &after, why, sizeof(why))) == 0) {
        *changed = oa_common_virtualenv_freeze_diff(
            before.data ? before.data : "", after.data ? after.data : "", what, sizeof(what));
        snprintf(note, nlen, "; requirements from %s: %s", v->reqs,
                 *changed ? what : "nothing changed");
    }
    oa_buf_done(&before);
    oa_buf_done(&after);
    if (rc != 0) {
        oa_outcome_set(out, false, *changed, "%s", why);
        return rc < 0 ? rc : -EIO;
    }
    return 0;
}

static int venv_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct venv v = {.ctx = ctx};
    char py[PATH_MAX + 16], first[PATH_MAX + 64], then[1024] = "";
    bool exists, changed = false;

    if (!validate(&v, p, out))
        return 0;
    snprintf(py, sizeof(py), "%s/bin/python", v.path);
    exists = oa_fs_exists(py);
    if (!(v.env = oa_common_pip_env(out->comment, sizeof(out->comment)))) {
        out->result = false;
        return 0;
    }
    if (exists)
        snprintf(first, sizeof(first), "virtualenv %s exists", v.path);
    else if (create(&v, first, sizeof(first), out) < 0)
        goto done;
    changed = !exists;
    if (v.reqs && requirements(&v, exists, then, sizeof(then), &changed, out) < 0)
        goto done;
    oa_outcome_set(out, true, changed, "%s%s%s", first, then, changed ? "" : ", no changes");
done:
    oa_runas_env_free(v.env);
    return 0;
}

const struct oa_module oa_mod_common_virtualenv = {
    .name = "common.virtualenv",
    .params = venv_params,
    .n_params = sizeof(venv_params) / sizeof(venv_params[0]),
    .run = venv_run,
};
