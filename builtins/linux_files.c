/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.file (modules.md §3.2) and linux.symlink (§3.4): one file's content,
 * owner and mode, and one symbolic link. Content is compared byte for byte
 * and written atomically (temp file, fsync, rename); remote_uri is fetched
 * through builtins/fetch with certificates verified, every round, and wins
 * over content. An owner that is not given is left as it is on an existing
 * path, and is the agent's (root) on a new one (⚠ §D). linux.file creates
 * missing parents (root, 0755); linux.symlink needs its parent and, when
 * absent, removes only a link (⚠ §D). linux.dir lives in linux_dir.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fsutil.h"
#include "fileattr.h"
#include "modules.h"

/* Room for a message naming a path. */
#define WHY_MAX (PATH_MAX + 256)

/* The largest remote_uri body: it is held in memory to compare it. */
#define FILE_REMOTE_MAX (64u << 20)

static const struct oa_param_spec file_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"content", OA_PT_TEXT, 0},
    {"remote_uri", OA_PT_LINE, 0},
    {"user", OA_PT_LINE, 0},
    {"group", OA_PT_LINE, 0},
    {"mode", OA_PT_LINE, 0},
    {"absent", OA_PT_BOOL, 0},
};

static const struct oa_param_spec symlink_params[] = {
    {"source", OA_PT_LINE, OA_PF_REQUIRED},
    {"target", OA_PT_LINE, OA_PF_REQUIRED},
    {"user", OA_PT_LINE, 0},
    {"group", OA_PT_LINE, 0},
    {"mode", OA_PT_LINE, 0},
    {"absent", OA_PT_BOOL, 0},
};

/* The content a linux.file state asks for. */
struct content {
    bool managed;
    const char *data;
    size_t len;
};

/* Cleans the path parameter name into buf; false (and out set) when it is
 * not an absolute path. */
static bool get_path(const struct oa_params *p, const char *name, char *buf, size_t len,
                     struct oa_outcome *out)
{
    const char *raw = oa_params_str(p, name);
    int r = oa_fileattr_clean_path(raw, buf, len);

    if (r == -EINVAL)
        oa_outcome_set(out, false, false, "parameter '%s': '%s' is not an absolute path", name,
                       raw);
    else if (r < 0)
        oa_outcome_set(out, false, false, "parameter '%s': the path is too long", name);
    return r == 0;
}

/* lstat that tells "missing" (0) from "there" (1) from a failure (out set). */
static int look(const char *path, struct stat *st, struct oa_outcome *out)
{
    if (lstat(path, st) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    oa_outcome_set(out, false, false, "cannot read %s: %s", path, strerror(errno));
    return -1;
}

/* Whether the regular file at path holds exactly c's bytes. A file that
 * cannot be read counts as different (it is rewritten). */
static bool same_content(const char *path, const struct stat *st, const struct content *c)
{
    char chunk[65536];
    size_t off = 0;
    bool same = true;
    int fd;

    if ((size_t)st->st_size != c->len)
        return false;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    while (same) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            same = n == 0 && off == c->len;
            break;
        }
        same = (size_t)n <= c->len - off && memcmp(chunk, c->data + off, (size_t)n) == 0;
        off += (size_t)n;
    }
    close(fd);
    return same;
}

/* absent: true. A file or link is unlinked, a directory removed with its
 * contents (the root directory is refused). */
static int file_remove(const struct oa_run_ctx *ctx, const char *path, struct oa_outcome *out)
{
    struct stat st;
    char why[WHY_MAX];
    int r = look(path, &st, out);

    if (r <= 0) {
        if (r == 0)
            oa_outcome_set(out, true, false, "%s is already absent", path);
        return 0;
    }
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would remove %s%s", path,
                       S_ISDIR(st.st_mode) ? " and everything below it" : "");
        return 0;
    }
    if (oa_fileattr_remove(path, why, sizeof(why)) < 0)
        oa_outcome_set(out, false, false, "%s", why);
    else
        oa_outcome_set(out, true, true, "Removed %s", path);
    return 0;
}

/* The file is missing (or is a link that gets replaced): create it with
 * its parents, content (empty when not managed), owner and mode. */
static int file_create(const struct oa_run_ctx *ctx, const char *path, const struct oa_fileattr *w,
                       const struct content *c, const char *replacing, struct oa_outcome *out)
{
    char dir[PATH_MAX], why[WHY_MAX], parents[64] = "";
    size_t missing = oa_fileattr_missing_parents(path), made = 0;
    mode_t mask = umask(0);

    umask(mask);
    if (missing)
        snprintf(parents, sizeof(parents), ", with %zu parent director%s", missing,
                 missing == 1 ? "y" : "ies");
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would create %s%s%s", path, parents, replacing);
        return 0;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    struct oa_fileattr none = {0};
    if (missing && oa_fileattr_mkdirs(dir, 0755, &none, &made, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, made > 0, "%s", why);
        return 0;
    }
    if (oa_fs_write_atomic(path, c->data, c->len, w->has_mode ? w->mode : 0666 & ~mask,
                           w->has_uid ? w->uid : (uid_t)-1, w->has_gid ? w->gid : (gid_t)-1, why,
                           sizeof(why)) < 0) {
        oa_outcome_set(out, false, made > 0, "%s", why);
        return 0;
    }
    oa_outcome_set(out, true, true, "File %s created%s%s", path, parents, replacing);
    return 0;
}

/* An existing regular file: rewrite it when the content differs (keeping
 * its owner and mode unless given), else fix the attributes in place.
 * follow: path is a link to the file (content not managed). */
static int file_update(const struct oa_run_ctx *ctx, const char *path, const struct stat *st,
                       bool follow, const struct oa_fileattr *w, const struct content *c,
                       struct oa_outcome *out)
{
    bool content = c->managed && !same_content(path, st, c);
    unsigned diff = oa_fileattr_diff(w, st);
    char attrs[256], why[WHY_MAX];
    int r;

    if (!content && !diff) {
        oa_outcome_set(out, true, false, "File %s is in the correct state", path);
        return 0;
    }
    oa_fileattr_describe(w, st, diff, attrs, sizeof(attrs));
    const char *sep = content && diff ? ", " : "";
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would update %s (%s%s%s)", path, content ? "content" : "",
                       sep, attrs);
        return 0;
    }
    if (content)
        r = oa_fs_write_atomic(path, c->data, c->len, w->has_mode ? w->mode : st->st_mode & 07777,
                               w->has_uid ? w->uid : st->st_uid, w->has_gid ? w->gid : st->st_gid,
                               why, sizeof(why));
    else
        r = oa_fileattr_apply(path, w, diff, follow, why, sizeof(why));
    if (r < 0)
        oa_outcome_set(out, false, false, "%s", why);
    else
        oa_outcome_set(out, true, true, "File %s updated (%s%s%s)", path, content ? "content" : "",
                       sep, attrs);
    return 0;
}

static int file_present(const struct oa_run_ctx *ctx, const char *path, const struct oa_fileattr *w,
                        const struct content *c, struct oa_outcome *out)
{
    struct stat st, target;
    bool follow = false;
    int r = look(path, &st, out);

    if (r < 0)
        return 0;
    if (r > 0 && S_ISLNK(st.st_mode)) {
        /* Managed content replaces the link with a file (the rename does,
         * as in the original); otherwise the file it points to is managed,
         * and a dangling link is replaced by an empty file. */
        if (c->managed || stat(path, &target) < 0)
            return file_create(ctx, path, w, c, ", replacing a symbolic link", out);
        st = target;
        follow = true;
    }
    if (r == 0)
        return file_create(ctx, path, w, c, "", out);
    if (S_ISDIR(st.st_mode)) {
        oa_outcome_set(out, false, false, "%s is a directory", path);
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        oa_outcome_set(out, false, false, "%s exists and is not a regular file", path);
        return 0;
    }
    return file_update(ctx, path, &st, follow, w, c, out);
}

/* url with its user information (a password, maybe) replaced by "***". */
static const char *shown_url(const char *url, char *buf, size_t len)
{
    const char *start = strstr(url, "://");
    const char *at, *end;

    snprintf(buf, len, "%s", url);
    if (!start)
        return buf;
    start += 3;
    end = start + strcspn(start, "/?#");
    at = memchr(start, '@', (size_t)(end - start));
    if (at)
        snprintf(buf, len, "%.*s***%s", (int)(start - url), url, at);
    return buf;
}

/* The comment for a failed download: why names the URL itself (as
 * oa_fetch_shown_url shows it), mostly as "URL: reason"; it is shown once,
 * as this module shows it. */
static void download_failed(const char *url, const char *shown, const char *why,
                            struct oa_outcome *out)
{
    char fetched[OA_FETCH_SHOWN_MAX];
    const char *as = oa_fetch_shown_url(url, fetched, sizeof(fetched));
    size_t n = strlen(as);
    const char *at = strstr(why, as);

    if (at == why && strncmp(why + n, ": ", 2) == 0)
        oa_outcome_set(out, false, false, "cannot download %s: %s", shown, why + n + 2);
    else if (at)
        oa_outcome_set(out, false, false, "cannot download %s: %.*s%s%s", shown, (int)(at - why),
                       why, shown, at + n);
    else
        oa_outcome_set(out, false, false, "cannot download %s: %s", shown, why);
}

/* Fetches remote_uri into body; false (and out set) on failure. */
static bool fetch_content(const struct oa_run_ctx *ctx, const char *url, struct oa_buf *body,
                          struct oa_outcome *out)
{
    struct oa_fetch_opts o = oa_fetch_opts_for(ctx, FILE_REMOTE_MAX);
    char why[WHY_MAX], shown[1024];

    shown_url(url, shown, sizeof(shown));
    if (oa_fetch_buf(url, &o, body, why, sizeof(why)) < 0) {
        download_failed(url, shown, why, out);
        return false;
    }
    printf("downloaded %s (%zu bytes)\n", shown, body->len);
    return true;
}

static int file_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *url = oa_params_str(p, "remote_uri");
    const char *text = oa_params_str(p, "content");
    struct content c = {0};
    struct oa_fileattr w;
    struct oa_buf body;
    char path[PATH_MAX];

    if (!get_path(p, "path", path, sizeof(path), out))
        return 0;
    if (oa_params_bool(p, "absent", false))
        return file_remove(ctx, path, out);
    if (oa_fileattr_resolve(oa_params_str(p, "user"), oa_params_str(p, "group"),
                            oa_params_str(p, "mode"), &w, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    oa_buf_init(&body, FILE_REMOTE_MAX);
    if (url && !fetch_content(ctx, url, &body, out)) {
        oa_buf_done(&body);
        return 0;
    }
    if (url)
        c = (struct content){true, body.data ? body.data : "", body.len};
    else if (text)
        c = (struct content){true, text, strlen(text)};
    file_present(ctx, path, &w, &c, out);
    oa_buf_done(&body);
    return 0;
}

/* linux.symlink ---------------------------------------------------------- */

static int symlink_remove(const struct oa_run_ctx *ctx, const char *target, struct oa_outcome *out)
{
    struct stat st;
    int r = look(target, &st, out);

    if (r <= 0) {
        if (r == 0)
            oa_outcome_set(out, true, false, "Symlink %s is already absent", target);
        return 0;
    }
    /* ⚠ The original removed whatever was there, directories included. */
    if (!S_ISLNK(st.st_mode))
        oa_outcome_set(out, false, false, "%s is not a symbolic link; not removing it", target);
    else if (ctx->dry_run)
        oa_outcome_set(out, true, true, "would remove symlink %s", target);
    else if (unlink(target) < 0)
        oa_outcome_set(out, false, false, "cannot remove %s: %s", target, strerror(errno));
    else
        oa_outcome_set(out, true, true, "Removed symlink %s", target);
    return 0;
}

/* Whether the parent of target exists as a directory; out set when not. */
static bool parent_exists(const char *target, struct oa_outcome *out)
{
    char dir[PATH_MAX];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s", target);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return true;
    oa_outcome_set(out, false, false, "parent directory %s of %s does not exist", dir, target);
    return false;
}

/* Creates a link to source at a fresh name next to target, owned as asked
 * (or like the link it replaces), and renames it over target. */
static int replace_link(const char *source, const char *target, uid_t uid, gid_t gid, char *why,
                        size_t len)
{
    char tmp[PATH_MAX];
    struct stat st;
    int r = -EEXIST;

    for (int i = 0; i < 100 && r == -EEXIST; i++) {
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.oa-%ld-%d", target, (long)getpid(), i) >=
            sizeof(tmp)) {
            snprintf(why, len, "%s: the path is too long", target);
            return -ENAMETOOLONG;
        }
        r = symlink(source, tmp) < 0 ? -errno : 0;
    }
    if (r < 0) {
        snprintf(why, len, "cannot create a symbolic link next to %s: %s", target, strerror(-r));
        return r;
    }
    if (lstat(tmp, &st) == 0 && (st.st_uid != uid || st.st_gid != gid) &&
        lchown(tmp, uid, gid) < 0) {
        r = -errno;
        snprintf(why, len, "%s: cannot change the owner: %s", target, strerror(-r));
    } else if (rename(tmp, target) < 0) {
        r = -errno;
        snprintf(why, len, "cannot replace %s: %s", target, strerror(-r));
    }
    if (r < 0)
        unlink(tmp);
    return r;
}

static int symlink_create(const struct oa_run_ctx *ctx, const char *source, const char *target,
                          const struct oa_fileattr *w, struct oa_outcome *out)
{
    char why[WHY_MAX];
    unsigned owner = (w->has_uid ? OA_FILEATTR_OWNER : 0) | (w->has_gid ? OA_FILEATTR_GROUP : 0);

    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would create symlink %s -> %s", target, source);
        return 0;
    }
    if (symlink(source, target) < 0) {
        oa_outcome_set(out, false, false, "cannot create symlink %s: %s", target, strerror(errno));
        return 0;
    }
    if (owner && oa_fileattr_apply(target, w, owner, false, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, true, "%s", why);
        return 0;
    }
    oa_outcome_set(out, true, true, "Created symlink %s -> %s", target, source);
    return 0;
}

/* target is a link: only its owner to fix when it points to source,
 * otherwise it is replaced atomically. */
static int symlink_update(const struct oa_run_ctx *ctx, const char *source, const char *target,
                          const struct stat *st, const struct oa_fileattr *w,
                          struct oa_outcome *out)
{
    char old[PATH_MAX + 1], attrs[256], why[WHY_MAX];
    ssize_t n = readlink(target, old, sizeof(old) - 1);
    unsigned diff = oa_fileattr_diff(w, st);

    old[n < 0 ? 0 : n] = '\0';
    if (n >= 0 && strcmp(old, source) == 0) {
        if (!diff) {
            oa_outcome_set(out, true, false, "Symlink %s -> %s is in the correct state", target,
                           source);
            return 0;
        }
        oa_fileattr_describe(w, st, diff, attrs, sizeof(attrs));
        if (ctx->dry_run)
            oa_outcome_set(out, true, true, "would update symlink %s (%s)", target, attrs);
        else if (oa_fileattr_apply(target, w, diff, false, why, sizeof(why)) < 0)
            oa_outcome_set(out, false, false, "%s", why);
        else
            oa_outcome_set(out, true, true, "Symlink %s updated (%s)", target, attrs);
        return 0;
    }
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would point symlink %s to %s (now %s)", target, source,
                       old);
        return 0;
    }
    if (replace_link(source, target, w->has_uid ? w->uid : st->st_uid,
                     w->has_gid ? w->gid : st->st_gid, why, sizeof(why)) < 0)
        oa_outcome_set(out, false, false, "%s", why);
    else
        oa_outcome_set(out, true, true, "Symlink %s now points to %s (was %s)", target, source,
                       old);
    return 0;
}

static int symlink_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                       struct oa_outcome *out)
{
    const char *source = oa_params_str(p, "source");
    char target[PATH_MAX];
    struct oa_fileattr w;
    struct stat st;
    int r;

    if (!get_path(p, "target", target, sizeof(target), out))
        return 0;
    if (oa_params_str(p, "mode"))
        printf("ignoring parameter 'mode': symbolic links have no mode\n");
    if (oa_params_bool(p, "absent", false))
        return symlink_remove(ctx, target, out);
    if (oa_fileattr_resolve(oa_params_str(p, "user"), oa_params_str(p, "group"), NULL, &w,
                            out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    if (!parent_exists(target, out) || (r = look(target, &st, out)) < 0)
        return 0;
    if (r == 0)
        return symlink_create(ctx, source, target, &w, out);
    if (S_ISLNK(st.st_mode))
        return symlink_update(ctx, source, target, &st, &w, out);
    oa_outcome_set(out, false, false, "%s: a %s exists where the symlink should be", target,
                   S_ISDIR(st.st_mode) ? "directory" : "file");
    return 0;
}

const struct oa_module oa_mod_linux_file = {
    .name = "linux.file",
    .params = file_params,
    .n_params = sizeof(file_params) / sizeof(file_params[0]),
    .run = file_run,
};

const struct oa_module oa_mod_linux_symlink = {
    .name = "linux.symlink",
    .params = symlink_params,
    .n_params = sizeof(symlink_params) / sizeof(symlink_params[0]),
    .run = symlink_run,
};
