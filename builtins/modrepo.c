/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `opsagent exec-prepare` (design.md, PREPARE): the module repository's sync
 * with git, its bootstrap script and its compat.txt, in a child that may
 * block. Also the lookup of external module executables. It owns the
 * repository folder <root>/<name> and the temporary folders
 * <root>/.<name>.tmp-XXXXXX next to it; it never builds a shell line: git
 * and the bootstrap script get argv arrays and a clean environment.
 */
#include "modrepo.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builtins.h"
#include "childio.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "runas.h"
#include "tool.h"

/* The request is a handful of short strings. */
#define REQUEST_MAX 65536
#define COMPAT_FILE "compat.txt"
#define COMPAT_MAX 65536
/* Bounds on the request's strings, so that every path and ref fits. */
#define URL_MAX 2048
#define TAG_MAX 255
#define GIT_ARGS_MAX 8

/* One sync: the request (strings owned by the parsed request) and what is
 * derived from it. */
struct prep {
    const char *repo, *tag, *root, *name, *bootstrap, *agent_version;
    char shown[URL_MAX + 8]; /* repo as shown: a password in it masked */
    char dir[PATH_MAX];      /* <root>/<name> */
    char git[PATH_MAX];      /* the git executable */
    char **git_env, **env;   /* git's environment; the bootstrap script's */
    char errline[512];       /* why the last git call failed */
};

/* Git's output, captured in an anonymous file while it runs. */
struct capture {
    int fd;     /* the anonymous file, -1 when none */
    int saved;  /* our own target descriptor while it is redirected */
    int target; /* STDOUT_FILENO or STDERR_FILENO */
};

/* Scans git's stderr for the line that says why it failed. */
struct errscan {
    char cur[512];
    size_t n;
    char first_err[512]; /* the first "fatal:" or "error:" line, prefix cut */
    char last[512];      /* the last non-empty line */
};

static const char *exec_at(const char *dir, size_t dirlen, const char *name, char *buf, size_t len)
{
    struct stat st;
    int n = snprintf(buf, len, "%.*s/%s", (int)dirlen, dir, name);

    if (n < 0 || (size_t)n >= len)
        return NULL;
    if (stat(buf, &st) < 0 || !S_ISREG(st.st_mode) || access(buf, X_OK) < 0)
        return NULL;
    return buf;
}

const char *oa_modrepo_find_module(const char *modules_dirs[], size_t n, const char *module,
                                   char *buf, size_t len)
{
    /* A name with '/' or a leading '.' could leave the directory. */
    if (!module || !module[0] || module[0] == '.' || strchr(module, '/'))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (modules_dirs[i] && modules_dirs[i][0] &&
            exec_at(modules_dirs[i], strlen(modules_dirs[i]), module, buf, len))
            return buf;
    return NULL;
}

/* The program in the tools' PATH (runas.h), as execve needs a path. */
static const char *find_in_path(const char *name, char *buf, size_t len)
{
    for (const char *d = OA_RUNAS_PATH; *d;) {
        size_t n = strcspn(d, ":");
        if (n && exec_at(d, n, name, buf, len))
            return buf;
        d += n + (d[n] == ':');
    }
    return NULL;
}

/* The URL as output and comments show it: "https://user:***@host/…". */
static void mask_url(const char *url, char *buf, size_t len)
{
    const char *auth = strstr(url, "://"), *at = NULL, *colon = NULL;

    if (auth) {
        auth += 3;
        size_t n = strcspn(auth, "/?#");
        at = memrchr(auth, '@', n);
        colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    }
    if (colon)
        snprintf(buf, len, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(buf, len, "%s", url);
}

static int on_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) < 0 ? -1 : 0;
}

/* rm -rf that neither follows symbolic links nor crosses mount points. */
static int remove_tree(const char *path)
{
    return nftw(path, on_remove, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}

/* A sync killed on its timeout leaves its temporary folder behind: the
 * next one removes it (only one sync runs at a time). */
static void sweep_leftovers(const struct prep *p)
{
    char prefix[NAME_MAX + 1], path[PATH_MAX];
    DIR *d = opendir(p->root);
    struct dirent *e;

    if (!d)
        return;
    snprintf(prefix, sizeof(prefix), ".%s.tmp-", p->name);
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", p->root, e->d_name) >= (int)sizeof(path))
            continue;
        printf("removing %s, left by an interrupted sync\n", path);
        int r = remove_tree(path);
        if (r < 0)
            printf("cannot remove %s: %s, ignoring\n", path, strerror(-r));
    }
    closedir(d);
}

/* An anonymous file: in memory, else (memfd_create filtered out) in /tmp. */
static int scratch_file(void)
{
    int fd = memfd_create("opsagent-git", MFD_CLOEXEC);

    if (fd < 0)
        fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    return fd < 0 ? -errno : fd;
}

/* Points target at a fresh anonymous file until capture_stop. */
static int capture_start(struct capture *c, int target)
{
    c->target = target;
    c->saved = -1;
    /* Our own buffered output belongs before git's, not in the capture. */
    fflush(stdout);
    fflush(stderr);
    c->fd = scratch_file();
    if (c->fd < 0)
        return c->fd;
    c->saved = fcntl(target, F_DUPFD_CLOEXEC, 10);
    if (c->saved < 0 || dup2(c->fd, target) < 0) {
        int err = -errno;
        if (c->saved >= 0)
            close(c->saved);
        close(c->fd);
        c->fd = c->saved = -1;
        return err;
    }
    return 0;
}

/* Gives target back and rewinds the memory file for reading. */
static void capture_stop(struct capture *c)
{
    if (c->saved >= 0) {
        while (dup2(c->saved, c->target) < 0 && errno == EINTR)
            ;
        close(c->saved);
        c->saved = -1;
    }
    if (c->fd >= 0)
        (void)lseek(c->fd, 0, SEEK_SET);
}

static void capture_done(struct capture *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void errscan_end_line(struct errscan *s)
{
    const char *text = s->cur;

    while (s->n && (s->cur[s->n - 1] == ' ' || s->cur[s->n - 1] == '\t'))
        s->n--;
    s->cur[s->n] = '\0';
    s->n = 0;
    if (!s->cur[0])
        return;
    memcpy(s->last, s->cur, sizeof(s->last));
    if (s->first_err[0])
        return;
    if (strncmp(text, "fatal: ", 7) == 0 || strncmp(text, "error: ", 7) == 0)
        snprintf(s->first_err, sizeof(s->first_err), "%s", text + 7);
}

/* Feeds n bytes of git's stderr; a '\r' starts the line again (progress). */
static void errscan_feed(struct errscan *s, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n')
            errscan_end_line(s);
        else if (c == '\r')
            s->n = 0;
        else if (s->n < sizeof(s->cur) - 1)
            s->cur[s->n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
}

/* Reads git's captured stderr for its error line, and shows it when asked. */
static void drain_stderr(int fd, struct errscan *s, bool show)
{
    char chunk[4096];
    ssize_t n;

    while (fd >= 0 && ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))) {
        if (n < 0)
            continue;
        errscan_feed(s, chunk, (size_t)n);
        if (show)
            (void)!write(STDERR_FILENO, chunk, (size_t)n);
    }
    errscan_end_line(s);
}

/* The first line of git's captured stdout, "" when it printed none. */
static void read_first_line(int fd, char *out, size_t len)
{
    ssize_t n;

    do
        n = read(fd, out, len - 1);
    while (n < 0 && errno == EINTR);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

static void show_command(const struct prep *p, char *const argv[])
{
    fputs("$", stdout);
    for (size_t i = 0; argv[i]; i++)
        printf(" %s", argv[i] == p->repo ? p->shown : argv[i]);
    putchar('\n');
}

/* Runs "git args…" in cwd. Shown (out NULL): the command is printed first
 * and git's output is ours (its stderr after it ends). Quiet (out given):
 * the first line of its stdout goes to out, its stderr is dropped.
 * Returns 0 when git exited with status 0, 1 when it did not, or a negative
 * errno when it could not be run; p->errline then says why. */
static int run_git(struct prep *p, const char *cwd, const char *const args[], char *out,
                   size_t outlen)
{
    struct capture res = {-1, -1, STDOUT_FILENO}, err = {-1, -1, STDERR_FILENO};
    struct errscan scan = {0};
    char *argv[GIT_ARGS_MAX + 2] = {(char *)"git"};
    int status, r;
    size_t i;

    for (i = 0; args[i]; i++) {
        assert(i < GIT_ARGS_MAX);
        argv[i + 1] = (char *)args[i];
    }
    if (!out)
        show_command(p, argv);
    else if ((r = capture_start(&res, STDOUT_FILENO)) < 0) {
        snprintf(p->errline, sizeof(p->errline), "cannot capture git's output: %s", strerror(-r));
        return r;
    }
    /* Without the capture only the exit status explains a failure. */
    (void)capture_start(&err, STDERR_FILENO);
    struct oa_tool t = {.path = p->git, .argv = argv, .envp = p->git_env, .cwd = cwd};
    r = oa_tool_run(&t, &status, p->errline, sizeof(p->errline));
    capture_stop(&res);
    capture_stop(&err);
    if (out)
        read_first_line(res.fd, out, outlen);
    drain_stderr(err.fd, &scan, !out);
    capture_done(&res);
    capture_done(&err);
    if (r < 0)
        return r;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (scan.first_err[0] || scan.last[0])
        snprintf(p->errline, sizeof(p->errline), "%s",
                 scan.first_err[0] ? scan.first_err : scan.last);
    else
        oa_tool_status_text(status, p->errline, sizeof(p->errline));
    return 1;
}

/* Whether p->dir is the top of a git work tree (not merely inside one). */
static bool is_work_tree(struct prep *p)
{
    static const char *const args[] = {"rev-parse", "--show-toplevel", NULL};
    char dotgit[PATH_MAX], real[PATH_MAX], top[PATH_MAX];

    if (snprintf(dotgit, sizeof(dotgit), "%s/.git", p->dir) >= (int)sizeof(dotgit) ||
        !oa_fs_exists(dotgit) || !realpath(p->dir, real))
        return false;
    return run_git(p, p->dir, args, top, sizeof(top)) == 0 && strcmp(top, real) == 0;
}

static bool has_origin(struct prep *p, char *url, size_t len)
{
    static const char *const args[] = {"config", "--get", "remote.origin.url", NULL};

    return run_git(p, p->dir, args, url, len) == 0;
}

static void head(struct prep *p, const char *wt, char *buf, size_t len)
{
    static const char *const args[] = {"rev-parse", "--verify", "--quiet", "HEAD", NULL};

    if (run_git(p, wt, args, buf, len) != 0)
        buf[0] = '\0';
}

/* Checks out p->tag in the work tree wt. A branch of origin is reset to
 * origin's (re-pulled every round); anything else (a tag, a commit) is
 * resolved first, for a clear error when it does not exist, and checked out
 * detached. Returns 0, or non-zero with p->errline set. */
static int checkout(struct prep *p, const char *wt)
{
    char ref[TAG_MAX + 32], probe[TAG_MAX + 48], sha[128];
    const char *const probe_args[] = {"rev-parse", "--verify", "--quiet", probe, NULL};
    const char *const branch[] = {"checkout", "--force", "-B", p->tag, ref, "--", NULL};
    const char *const detach[] = {"checkout", "--force", "--detach", sha, NULL};

    snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", p->tag);
    snprintf(probe, sizeof(probe), "%s^{commit}", ref);
    if (run_git(p, wt, probe_args, sha, sizeof(sha)) == 0)
        return run_git(p, wt, branch, NULL, 0);
    snprintf(probe, sizeof(probe), "%s^{commit}", p->tag);
    if (run_git(p, wt, probe_args, sha, sizeof(sha)) != 0 || !sha[0]) {
        snprintf(p->errline, sizeof(p->errline),
                 "the repository has no branch, tag or commit called %s", p->tag);
        return 1;
    }
    return run_git(p, wt, detach, NULL, 0);
}

/* Puts the finished clone tmp at p->dir. An old folder there is swapped
 * out atomically and then removed; where the file system cannot swap, it
 * is renamed aside first. */
static int install(struct prep *p, char *tmp, struct oa_outcome *out)
{
    char aside[PATH_MAX + 8];
    int r = 0;

    if (rename(tmp, p->dir) == 0)
        return 0;
    if (errno != EEXIST && errno != ENOTEMPTY && errno != EISDIR && errno != ENOTDIR)
        goto fail;
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, p->dir, RENAME_EXCHANGE) == 0) {
        printf("removing the previous %s\n", p->dir);
        if ((r = remove_tree(tmp)) < 0)
            printf("cannot remove %s: %s, ignoring\n", tmp, strerror(-r));
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS)
        goto fail;
    snprintf(aside, sizeof(aside), "%s.old", tmp);
    if (rename(p->dir, aside) < 0)
        goto fail;
    if (rename(tmp, p->dir) < 0) {
        r = -errno;
        (void)rename(aside, p->dir);
        errno = -r;
        goto fail;
    }
    if ((r = remove_tree(aside)) < 0)
        printf("cannot remove %s: %s, ignoring\n", aside, strerror(-r));
    return 0;
fail:
    oa_outcome_set(out, false, false, "Can't put the module repository in place at %s: %s", p->dir,
                   strerror(errno));
    return -1;
}

/* Clones into a temporary folder next to p->dir and moves it into place
 * only when the clone and the checkout worked, so that a failure never
 * leaves a half-made folder (and leaves an old one as it was). */
static int clone(struct prep *p, struct oa_outcome *out)
{
    char tmp[PATH_MAX];
    const char *const args[] = {"clone", "--no-checkout", "--", p->repo, tmp, NULL};
    int r;

    if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", p->root, p->name) >= (int)sizeof(tmp) ||
        !mkdtemp(tmp)) {
        oa_outcome_set(out, false, false,
                       "Can't clone the module repository %s: cannot create "
                       "a temporary folder in %s: %s",
                       p->shown, p->root, strerror(errno));
        return -1;
    }
    if (run_git(p, p->root, args, NULL, 0) != 0)
        oa_outcome_set(out, false, false, "Can't clone the module repository %s: %s", p->shown,
                       p->errline);
    else if (checkout(p, tmp) != 0)
        oa_outcome_set(out, false, false, "Can't check out %s in the module repository: %s", p->tag,
                       p->errline);
    else if (install(p, tmp, out) == 0)
        return 0;
    if ((r = remove_tree(tmp)) < 0 && r != -ENOENT)
        printf("cannot remove %s: %s, ignoring\n", tmp, strerror(-r));
    return -1;
}

/* Fetches and checks out p->tag in the existing clone. */
static int update(struct prep *p, struct oa_outcome *out, bool *ret_changed)
{
    /* --force: a tag moved on origin is taken, not refused. */
    static const char *const fetch[] = {"fetch", "--tags", "--prune", "--force", "origin", NULL};
    char before[128], after[128];

    head(p, p->dir, before, sizeof(before));
    if (run_git(p, p->dir, fetch, NULL, 0) != 0) {
        oa_outcome_set(out, false, false, "Can't fetch the module repository %s: %s", p->shown,
                       p->errline);
        return -1;
    }
    if (checkout(p, p->dir) != 0) {
        oa_outcome_set(out, false, false, "Can't check out %s in the module repository: %s", p->tag,
                       p->errline);
        return -1;
    }
    head(p, p->dir, after, sizeof(after));
    *ret_changed = strcmp(before, after) != 0;
    return 0;
}

/* Brings p->dir to p->tag; *ret_how says "cloned", "updated" or "unchanged". */
static int sync_repo(struct prep *p, struct oa_outcome *out, const char **ret_how)
{
    char origin[URL_MAX + 2];
    bool changed = false;

    if (!is_work_tree(p)) {
        if (oa_fs_exists(p->dir))
            printf("%s is not a git work tree: cloning anew\n", p->dir);
    } else if (!has_origin(p, origin, sizeof(origin))) {
        printf("%s has no origin: cloning anew\n", p->dir);
    } else if (strcmp(origin, p->repo) != 0) {
        printf("%s is a clone of another repository: cloning anew\n", p->dir);
    } else {
        if (update(p, out, &changed) < 0)
            return -1;
        *ret_how = changed ? "updated" : "unchanged";
        return 0;
    }
    if (clone(p, out) < 0)
        return -1;
    *ret_how = "cloned";
    return 0;
}

/* <dir>/<rel> in buf; validate() made sure that it fits. */
static bool repo_path(const struct prep *p, const char *rel, char buf[PATH_MAX])
{
    return snprintf(buf, PATH_MAX, "%s/%s", p->dir, rel) < PATH_MAX;
}

/* The bootstrap script's real path in real. Returns 1, 0 when the
 * repository has none, or -1 with out set. */
static int find_bootstrap(struct prep *p, char real[PATH_MAX], struct oa_outcome *out)
{
    char path[PATH_MAX], top[PATH_MAX];
    const char *why = "not a file inside the repository";
    struct stat st;
    size_t n;

    if (!repo_path(p, p->bootstrap, path)) {
        why = strerror(ENAMETOOLONG);
    } else if (!realpath(path, real)) {
        if (errno == ENOENT)
            return 0;
        why = strerror(errno);
    } else {
        /* A symbolic link in the repository must not lead out of it. */
        n = realpath(p->dir, top) ? strlen(top) : 0;
        if (n && strncmp(real, top, n) == 0 && real[n] == '/' && stat(real, &st) == 0 &&
            S_ISREG(st.st_mode))
            return 1;
    }
    oa_outcome_set(out, false, false, "Can't run the module repository's bootstrap script %s: %s",
                   p->bootstrap, why);
    return -1;
}

/* Runs the repository's bootstrap script, when it has one, in the
 * repository: directly when it is executable, else with /bin/sh. */
static int run_bootstrap(struct prep *p, struct oa_outcome *out)
{
    char real[PATH_MAX], why[512];
    int status, r;

    if (!p->bootstrap || !p->bootstrap[0])
        return 0;
    if ((r = find_bootstrap(p, real, out)) <= 0) {
        if (r == 0)
            printf("no bootstrap script %s in the module repository\n", p->bootstrap);
        return r;
    }
    bool exec = access(real, X_OK) == 0;
    char *argv[] = {exec ? real : (char *)"/bin/sh", exec ? NULL : real, NULL};
    struct oa_tool t = {.path = argv[0], .argv = argv, .envp = p->env, .cwd = p->dir};
    printf("$ %s%s\n", exec ? "" : "/bin/sh ", p->bootstrap);
    if (oa_tool_run(&t, &status, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, false,
                       "Can't run the module repository's bootstrap script "
                       "%s: %s",
                       p->bootstrap, why);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    oa_outcome_set(out, false, false, "The module repository's bootstrap script %s %s",
                   p->bootstrap, oa_tool_status_text(status, why, sizeof(why)));
    return -1;
}

/* Reads compat.txt (not through a symbolic link: its lines can end up in a
 * comment) and checks it against the agent's version. */
static int check_compat(struct prep *p, struct oa_outcome *out)
{
    char path[PATH_MAX], why[1024];
    struct oa_buf text;
    struct stat st;
    int fd, r;

    fd = repo_path(p, COMPAT_FILE, path)
             ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
             : (errno = ENAMETOOLONG, -1);
    if (fd < 0 && errno == ENOENT) {
        printf("no " COMPAT_FILE " in the module repository\n");
        return 0;
    }
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        oa_outcome_set(out, false, false, "Can't read the module repository's " COMPAT_FILE ": %s",
                       fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    oa_buf_init(&text, COMPAT_MAX);
    r = oa_childio_read_all(fd, &text);
    close(fd);
    if (r == 0 && text.len != strlen(text.data ? text.data : ""))
        snprintf(why, sizeof(why), COMPAT_FILE " holds a NUL byte");
    else if (r == OA_ETOOBIG)
        snprintf(why, sizeof(why), COMPAT_FILE " is larger than %d bytes", COMPAT_MAX);
    else if (r < 0)
        snprintf(why, sizeof(why), "cannot read " COMPAT_FILE ": %s", oa_strerror(r));
    else if (oa_modrepo_compat_check(text.data ? text.data : "", p->agent_version, why,
                                     sizeof(why)) == 0)
        why[0] = '\0';
    oa_buf_done(&text);
    if (why[0]) {
        oa_outcome_set(out, false, false, "%s", why);
        return -1;
    }
    printf("agent version %s meets the module repository's " COMPAT_FILE "\n", p->agent_version);
    return 0;
}

/* What a request field was, for the comment that rejects it. */
static const char *got_text(const struct oa_json *v)
{
    if (!v)
        return "nothing";
    if (v->type != OA_JSON_STRING)
        return oa_json_type_name(v);
    return v->len ? "a string with a NUL byte" : "an empty string";
}

/* Reads the request; its strings stay owned by *ret_tree. */
static int parse_request(const struct oa_buf *in, struct prep *p, struct oa_json **ret_tree,
                         char *why, size_t len)
{
    const struct {
        const char *key;
        bool required;
        const char **dst;
    } fields[] = {
        {"repo", true, &p->repo},
        {"tag", true, &p->tag},
        {"root", true, &p->root},
        {"name", true, &p->name},
        {"bootstrap", false, &p->bootstrap},
        {"agent_version", true, &p->agent_version},
    };
    struct oa_json_limits limits = {4, 64, NULL};
    struct oa_json *tree;
    int r = oa_json_parse(in->data ? in->data : "", in->len, &limits, &tree, why, len);

    if (r < 0)
        return r;
    r = 0;
    if (tree->type != OA_JSON_OBJECT) {
        snprintf(why, len, "expected a JSON object, got %s", oa_json_type_name(tree));
        r = OA_ESCHEMA;
    }
    for (size_t i = 0; r == 0 && i < sizeof(fields) / sizeof(fields[0]); i++) {
        const struct oa_json *v = oa_json_get(tree, fields[i].key);
        if ((!v || v->type == OA_JSON_NULL) && !fields[i].required)
            continue;
        if (!v || v->type != OA_JSON_STRING || strlen(v->u.str) != v->len ||
            (!v->len && fields[i].required)) {
            snprintf(why, len, "'%s' must be a %sstring, got %s", fields[i].key,
                     fields[i].required ? "non-empty " : "", got_text(v));
            r = OA_ESCHEMA;
        } else {
            *fields[i].dst = v->u.str;
        }
    }
    if (r < 0)
        oa_json_free(tree);
    else
        *ret_tree = tree;
    return r;
}

/* Whether path is relative and has no ".." component. */
static bool stays_inside(const char *path)
{
    if (path[0] == '/')
        return false;
    for (const char *s = path; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += n + (s[n] == '/');
    }
    return true;
}

/* The rules of the request beyond its types. A URL or tag starting with '-'
 * would be read by git as an option. */
static bool validate(struct prep *p, struct oa_outcome *out)
{
    mask_url(p->repo, p->shown, sizeof(p->shown));
    if (p->repo[0] == '-' || strlen(p->repo) > URL_MAX)
        oa_outcome_set(out, false, false, "Refusing the module repository URL '%.200s': %s",
                       p->shown, p->repo[0] == '-' ? "it starts with '-'" : "it is too long");
    else if (p->tag[0] == '-' || strlen(p->tag) > TAG_MAX)
        oa_outcome_set(out, false, false, "Refusing the module repository tag '%.200s': %s", p->tag,
                       p->tag[0] == '-' ? "it starts with '-'" : "it is too long");
    else if (!oa_fs_is_absolute(p->root))
        oa_outcome_set(out, false, false, "module repository root '%s' is not an absolute path",
                       p->root);
    else if (p->name[0] == '.' || strchr(p->name, '/') || strlen(p->name) > NAME_MAX - 16)
        oa_outcome_set(out, false, false,
                       "module repository folder name '%.200s' must be one "
                       "short path component not starting with '.'",
                       p->name);
    else if (p->bootstrap && !stays_inside(p->bootstrap))
        oa_outcome_set(out, false, false,
                       "bootstrap script '%s' must be a relative path inside "
                       "the module repository",
                       p->bootstrap);
    else if (snprintf(p->dir, sizeof(p->dir), "%s/%s", p->root, p->name) >= (int)sizeof(p->dir) ||
             strlen(p->dir) + strlen(p->bootstrap ? p->bootstrap : "") + 32 > PATH_MAX)
        oa_outcome_set(out, false, false, "module repository path %s/%s is too long", p->root,
                       p->name);
    else
        return true;
    return false;
}

/* Finds git, builds the environments and makes root. */
static int setup(struct prep *p, struct oa_outcome *out)
{
    struct oa_kv git_vars[] = {
        {(char *)"GIT_TERMINAL_PROMPT", (char *)"0"},
        {(char *)"GIT_ASKPASS", (char *)"/bin/true"},
    };
    struct oa_runas self;
    int r;

    if (!find_in_path("git", p->git, sizeof(p->git))) {
        oa_outcome_set(out, false, false,
                       "git is not installed: cannot sync the module repository");
        return -1;
    }
    if (oa_runas_lookup(NULL, NULL, &self, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return -1;
    }
    p->git_env = oa_runas_env(&self, git_vars, sizeof(git_vars) / sizeof(git_vars[0]));
    p->env = oa_runas_env(&self, NULL, 0);
    oa_runas_done(&self);
    if (!p->git_env || !p->env) {
        oa_outcome_set(out, false, false, "out of memory");
        return -1;
    }
    if ((r = oa_fs_mkdir_p(p->root, 0700)) < 0) {
        oa_outcome_set(out, false, false, "Can't create the module repository root %s: %s", p->root,
                       strerror(-r));
        return -1;
    }
    sweep_leftovers(p);
    return 0;
}

static int prepare(struct prep *p, struct oa_outcome *out)
{
    const char *how = "unchanged";
    bool changed;

    if (!validate(p, out) || setup(p, out) < 0)
        return -1;
    printf("module repository %s at %s in %s\n", p->shown, p->tag, p->dir);
    if (sync_repo(p, out, &how) < 0)
        return -1;
    changed = strcmp(how, "unchanged") != 0;
    /* compat.txt first: a repository that rejects this agent must not get
     * its bootstrap script run (as root) either. */
    if (check_compat(p, out) < 0 || run_bootstrap(p, out) < 0) {
        out->changed = changed;
        return -1;
    }
    oa_outcome_set(out, true, changed, "module repository %s at %s ready (%s)", p->shown, p->tag,
                   how);
    printf("%s\n", out->comment);
    return 0;
}

int oa_modrepo_exec_prepare(void)
{
    struct oa_outcome out = {0};
    struct oa_json *tree = NULL;
    struct prep p = {0};
    struct oa_buf in;
    int result_fd = oa_childio_result_fd(), status = 2, r;

    oa_buf_init(&in, REQUEST_MAX);
    r = oa_childio_read_all(STDIN_FILENO, &in);
    if (r < 0) {
        oa_outcome_set(&out, false, false, "cannot read the request on stdin: %s", oa_strerror(r));
    } else if (parse_request(&in, &p, &tree, out.comment, sizeof(out.comment)) < 0) {
        char reason[sizeof(out.comment)];
        memcpy(reason, out.comment, sizeof(reason));
        oa_outcome_set(&out, false, false, "invalid request on stdin: %.1900s", reason);
    } else {
        status = prepare(&p, &out) == 0 ? 0 : 1;
    }
    oa_runas_env_free(p.git_env);
    oa_runas_env_free(p.env);
    oa_json_free(tree);
    oa_buf_done(&in);
    fflush(stdout);
    oa_childio_write_result(result_fd, &out);
    return status;
}
