/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.dir (modules.md §3.3): one or more directories, each created with
 * its missing parents (every directory created gets the given user, group
 * and mode, 0755 by default; existing parents are left alone), or removed
 * with its contents. `recursive` applies the given attributes to every
 * subdirectory and regular file below, without following links; files get
 * the same mode as directories, as in the original (so 0755 makes every
 * file executable). An owner not given is left as it is (⚠ §D). Every path
 * is attempted; the comment names each one's outcome.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileattr.h"
#include "modules.h"

/* Room for a message naming a path. */
#define WHY_MAX (PATH_MAX + 256)

/* The comment of a many-path state may be long; the outcome cuts it. */
#define DIR_REPORT_MAX 8192

static const struct oa_param_spec dir_params[] = {
    {"path", OA_PT_ARRAY, OA_PF_REQUIRED},
    {"user", OA_PT_LINE, 0},
    {"group", OA_PT_LINE, 0},
    {"mode", OA_PT_LINE, 0},
    {"recursive", OA_PT_BOOL, 0},
    {"absent", OA_PT_BOOL, 0},
};

/* What a state asks of each of its paths, and what happened so far. */
struct dir_job {
    const struct oa_run_ctx *ctx;
    struct oa_fileattr want;
    bool recursive;
    struct oa_buf report; /* the item outcomes, "; "-separated */
    bool changed, failed;
};

/* Adds one item's outcome to the report and to the output. */
static void __attribute__((format(printf, 4, 5)))
item(struct dir_job *j, bool ok, bool changed, const char *fmt, ...)
{
    char text[WHY_MAX + 64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    printf("%s\n", text);
    (void)oa_buf_printf(&j->report, "%s%s", j->report.len ? "; " : "", text);
    j->changed |= changed;
    j->failed |= !ok;
}

static void dir_remove(struct dir_job *j, const char *path)
{
    char why[WHY_MAX];
    struct stat st;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            item(j, true, false, "%s is already absent", path);
        else
            item(j, false, false, "cannot read %s: %s", path, strerror(errno));
    } else if (j->ctx->dry_run) {
        item(j, true, true, "would remove %s", path);
    } else if (oa_fileattr_remove(path, why, sizeof(why)) < 0) {
        item(j, false, false, "%s", why);
    } else {
        item(j, true, true, "removed %s", path);
    }
}

/* "" or ", with 2 parent directories". */
static const char *parents_text(size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    if (n)
        snprintf(buf, len, ", with %zu parent director%s", n, n == 1 ? "y" : "ies");
    return buf;
}

static void dir_create(struct dir_job *j, const char *path)
{
    const struct oa_fileattr *w = &j->want;
    size_t parents = oa_fileattr_missing_parents(path), made = 0;
    char why[WHY_MAX], text[64];

    parents_text(parents, text, sizeof(text));
    if (j->ctx->dry_run) {
        item(j, true, true, "would create %s%s", path, text);
        return;
    }
    if (oa_fileattr_mkdirs(path, w->has_mode ? w->mode : 0755, w, &made, why, sizeof(why)) < 0)
        item(j, false, made > 0, "%s", why);
    else
        item(j, true, true, "created %s%s", path, text);
}

/* recursive: the attributes of everything below path. */
static void dir_tree(struct dir_job *j, const char *path)
{
    char why[WHY_MAX], names[64];
    unsigned diff = 0;
    size_t n = 0;

    if (oa_fileattr_apply_tree(path, &j->want, j->ctx->dry_run, &n, &diff, why, sizeof(why)) < 0) {
        item(j, false, n > 0, "%s", why);
        return;
    }
    if (n == 0)
        return;
    oa_fileattr_names(diff, names, sizeof(names));
    item(j, true, true, "%s %s of %zu entr%s under %s",
         j->ctx->dry_run ? "would update" : "updated", names, n, n == 1 ? "y" : "ies", path);
}

/* The attributes of an existing directory (through a link to it). */
static bool dir_update(struct dir_job *j, const char *path, const struct stat *st, unsigned diff)
{
    char why[WHY_MAX], attrs[256];

    oa_fileattr_describe(&j->want, st, diff, attrs, sizeof(attrs));
    if (j->ctx->dry_run) {
        item(j, true, true, "would update %s (%s)", path, attrs);
    } else if (oa_fileattr_apply(path, &j->want, diff, true, why, sizeof(why)) < 0) {
        item(j, false, false, "%s", why);
        return false;
    } else {
        item(j, true, true, "updated %s (%s)", path, attrs);
    }
    return true;
}

static void dir_present(struct dir_job *j, const char *path)
{
    size_t before = j->report.len;
    struct stat st, link;
    unsigned diff;

    if (stat(path, &st) < 0) {
        int e = errno;
        /* ENOTDIR: a file in the way, which mkdir names. */
        if ((e == ENOENT || e == ENOTDIR) && lstat(path, &link) < 0)
            dir_create(j, path);
        else if (e == ENOENT)
            item(j, false, false, "%s is a dangling symbolic link, not a directory", path);
        else
            item(j, false, false, "cannot read %s: %s", path, strerror(e));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        item(j, false, false, "%s exists and is not a directory", path);
        return;
    }
    diff = oa_fileattr_diff(&j->want, &st);
    if (diff && !dir_update(j, path, &st, diff))
        return;
    if (j->recursive && oa_fileattr_any(&j->want))
        dir_tree(j, path);
    if (j->report.len == before)
        item(j, true, false, "directory %s is in the correct state", path);
}

static int dir_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const struct oa_pvalue *paths = oa_params_get(p, "path");
    bool absent = oa_params_bool(p, "absent", false);
    struct dir_job j = {.ctx = ctx, .recursive = oa_params_bool(p, "recursive", false)};
    char path[PATH_MAX];

    /* As for linux.file, absent ignores the other parameters, so a state
     * removing a deleted user's directories still works. */
    if (!absent && oa_fileattr_resolve(oa_params_str(p, "user"), oa_params_str(p, "group"),
                                       oa_params_str(p, "mode"), &j.want, out->comment,
                                       sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    oa_buf_init(&j.report, DIR_REPORT_MAX);
    for (size_t i = 0; i < paths->n; i++) {
        int r = oa_fileattr_clean_path(paths->items[i], path, sizeof(path));
        if (r < 0)
            item(&j, false, false, "'%s' is not an absolute path", paths->items[i]);
        else if (absent)
            dir_remove(&j, path);
        else
            dir_present(&j, path);
    }
    /* "Created /a; updated …" (modules.md §3.3), but dry runs say "would …"
     * in lower case like every other module. */
    if (j.report.data && j.report.data[0] >= 'a' && j.report.data[0] <= 'z' &&
        strncmp(j.report.data, "would ", 6) != 0)
        j.report.data[0] = (char)(j.report.data[0] - 'a' + 'A');
    oa_outcome_set(out, !j.failed, j.changed, "%s", j.report.data ? j.report.data : "");
    oa_buf_done(&j.report);
    return 0;
}

const struct oa_module oa_mod_linux_dir = {
    .name = "linux.dir",
    .params = dir_params,
    .n_params = sizeof(dir_params) / sizeof(dir_params[0]),
    .run = dir_run,
};
