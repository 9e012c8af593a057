/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watched files: compare each file's MD5 with the sum stored for the state,
 * store new sums atomically after a successful state (modules.md §1.7,
 * §1.12). Runs in the `exec-state` child and blocks on file reads; it never
 * logs. MD5 comes from mbedTLS because the stored values must match the
 * original agent's hashlib.md5 hex digests.
 */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtins.h"
#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "mem.h"
#include "utf8.h"

#define SUM_SUFFIX ".cksum"
#define TEMP_NAME ".cksum-tmp-XXXXXX"
/* A stored sum is 32 hex digits or "missing"; anything longer is read in
 * part and simply compares as different. */
#define STORED_MAX 64

static char *join(const char *dir, const char *name)
{
    size_t dlen = strlen(dir), nlen = strlen(name);
    char *s;

    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    if (!(s = oa_malloc(dlen + 1 + nlen + 1)))
        return NULL;
    snprintf(s, dlen + 1 + nlen + 1, "%.*s/%s", (int)dlen, dir, name);
    return s;
}

/* The original replaced every '/' of "<id>-<path>.cksum" with '-'. An id
 * with '/' would then alias another id's sums, and ".." is refused so that
 * no id can look like a path. */
static int check_id(const char *id, char *reterr, size_t errlen)
{
    if (!id || !*id || strchr(id, '/') || strstr(id, "..")) {
        snprintf(reterr, errlen, "state id '%.100s' cannot name a watch sum (no '/' or '..')",
                 id ? id : "");
        return OA_ESCHEMA;
    }
    return 0;
}

/* <watch_dir>/<id>-<path with '/' as '-'>.cksum, checked to be one plain
 * name inside the watch dir. */
static int make_sum_path(const char *dir, const char *id, const char *path, char **ret,
                         char *reterr, size_t errlen)
{
    size_t idlen = strlen(id), plen = strlen(path);
    size_t nlen = idlen + 1 + plen + sizeof(SUM_SUFFIX) - 1;
    char *name;

    if (nlen > NAME_MAX) {
        snprintf(reterr, errlen, "watch sum name for %.200s is too long (over %d bytes)", path,
                 NAME_MAX);
        return -ENAMETOOLONG;
    }
    if (!(name = oa_malloc(nlen + 1)))
        return -ENOMEM;
    snprintf(name, nlen + 1, "%s-%s" SUM_SUFFIX, id, path);
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '-';
    /* Cannot happen with the checks above; kept because a wrong name here
     * would write outside the watch dir. */
    if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        oa_free(name);
        snprintf(reterr, errlen, "invalid watch sum name for %.200s", path);
        return OA_ESCHEMA;
    }
    *ret = join(dir, name);
    oa_free(name);
    return *ret ? 0 : -ENOMEM;
}

/* The file's current value: its MD5 hex, or "missing" when it does not
 * exist. O_NONBLOCK so that a FIFO cannot hang the state before the
 * regular-file check. */
static int hash_file(const char *path, char now[33], char *reterr, size_t errlen)
{
    struct stat st;
    int fd, r;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        snprintf(now, 33, "%s", OA_WATCH_MISSING);
        return 0;
    }
    if (fd < 0) {
        r = -errno;
        snprintf(reterr, errlen, "cannot read watched file %.200s: %s", path, strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(reterr, errlen, "watched file %.200s is not a regular file", path);
        return OA_ESCHEMA;
    }
    r = oa_digest_md5_hex_fd(fd, now);
    close(fd);
    if (r < 0)
        snprintf(reterr, errlen, "cannot read watched file %.200s: %s", path, strerror(-r));
    return r;
}

/* The stored value, without trailing blanks; *ret_has is false when there
 * is none. An empty file counts as none, as in the original (its reset()). */
static int read_stored(const char *sum_path, char stored[STORED_MAX + 1], bool *ret_has,
                       char *reterr, size_t errlen)
{
    size_t len = 0;
    int fd, r = 0;

    *ret_has = false;
    fd = open(sum_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        r = -errno;
    while (r == 0 && len < STORED_MAX) {
        ssize_t n = read(fd, stored + len, STORED_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            r = -errno;
        else if (n == 0)
            break;
        else
            len += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    if (r < 0) {
        snprintf(reterr, errlen, "cannot read watch sum %.200s: %s", sum_path, strerror(-r));
        return r;
    }
    while (len > 0 && strchr(" \t\r\n", stored[len - 1]))
        len--;
    stored[len] = '\0';
    *ret_has = len > 0;
    return 0;
}

static void classify(struct oa_watch_file *f, const char *stored, bool has, bool tfirst)
{
    if (!has)
        f->change = OA_WATCH_FIRST;
    else if (strcmp(stored, f->now) == 0)
        f->change = OA_WATCH_SAME;
    else if (strcmp(stored, OA_WATCH_MISSING) == 0)
        f->change = OA_WATCH_APPEARED;
    else if (strcmp(f->now, OA_WATCH_MISSING) == 0)
        f->change = OA_WATCH_VANISHED;
    else
        f->change = OA_WATCH_CHANGED;
    f->fires = f->change == OA_WATCH_FIRST ? tfirst : f->change != OA_WATCH_SAME;
}

static int compare_one(struct oa_watch_file *f, const char *dir, const char *id, bool tfirst,
                       char *reterr, size_t errlen)
{
    char stored[STORED_MAX + 1];
    bool has;
    int r;

    if ((r = make_sum_path(dir, id, f->path, &f->sum_path, reterr, errlen)) < 0 ||
        (r = hash_file(f->path, f->now, reterr, errlen)) < 0 ||
        (r = read_stored(f->sum_path, stored, &has, reterr, errlen)) < 0)
        return r;
    classify(f, stored, has, tfirst);
    return 0;
}

/* Length of path without trailing '/' ("/" stays "/"). */
static size_t trimmed_len(const char *path)
{
    size_t len = strlen(path);

    while (len > 1 && path[len - 1] == '/')
        len--;
    return len;
}

static bool already_listed(const struct oa_watch *w, const char *path, size_t len)
{
    for (size_t i = 0; i < w->n; i++)
        if (strlen(w->files[i].path) == len && memcmp(w->files[i].path, path, len) == 0)
            return true;
    return false;
}

/* Adds each file once, in the given order, and compares it. */
static int compare_files(struct oa_watch *w, const char *id, const struct oa_watch_list *list,
                         bool tfirst, char *reterr, size_t errlen)
{
    int r;

    for (size_t i = 0; i < list->n; i++) {
        const char *path = list->files[i];
        size_t len;

        if (!oa_fs_is_absolute(path)) {
            snprintf(reterr, errlen, "watched file '%.200s' is not an absolute path", path);
            return OA_ESCHEMA;
        }
        len = trimmed_len(path);
        if (already_listed(w, path, len))
            continue;
        struct oa_watch_file *f = &w->files[w->n];
        if (!(f->path = oa_strndup(path, len)))
            return -ENOMEM;
        w->n++;
        if ((r = compare_one(f, w->dir, id, tfirst, reterr, errlen)) < 0)
            return r;
        w->fired |= f->fires;
    }
    return 0;
}

int oa_watch_compare(const char *watch_dir, const char *id, const struct oa_watch_list *list,
                     bool tfirst, struct oa_watch *ret, char *reterr, size_t errlen)
{
    struct oa_watch w = {0};
    int r;

    if (list->always) {
        /* modules.md §1.7: the original forced the action every round. */
        printf("warning: 'watch' is true: the watch action runs on every round; "
               "give a list of files instead\n");
        fflush(stdout);
        w.fired = w.always = true;
    }
    if (list->n > 0) {
        if (!watch_dir || !*watch_dir) {
            snprintf(reterr, errlen, "no watch directory is configured for the watched files");
            return OA_ESCHEMA;
        }
        if ((r = check_id(id, reterr, errlen)) < 0)
            return r;
        w.dir = oa_strdup(watch_dir);
        w.files = oa_calloc(list->n, sizeof(*w.files));
        r = w.dir && w.files ? compare_files(&w, id, list, tfirst, reterr, errlen) : -ENOMEM;
        if (r < 0) {
            if (r == -ENOMEM)
                snprintf(reterr, errlen, "out of memory");
            oa_watch_done(&w);
            return r;
        }
    }
    *ret = w;
    return 0;
}

/* Bytes of s (n bytes) that fit in max without cutting a UTF-8 sequence. */
static size_t utf8_fit(const char *s, size_t n, size_t max)
{
    size_t off = 0;

    while (off < n) {
        size_t k = oa_utf8_seq_len((const unsigned char *)s + off, n - off);
        if (k == 0)
            k = 1;
        if (off + k > max)
            break;
        off += k;
    }
    return off;
}

/* The text did not fit: keep the whole items before it and say so. A first
 * item alone too long is cut at a character boundary. */
static void mark_cut(char *buf, size_t off, size_t len)
{
    if (off > 0 && len - off >= sizeof(", ...")) {
        memcpy(buf + off, ", ...", sizeof(", ..."));
        return;
    }
    if (len < sizeof("..."))
        return;
    off = utf8_fit(buf, strlen(buf), len - sizeof("..."));
    memcpy(buf + off, "...", sizeof("..."));
}

const char *oa_watch_describe(const struct oa_watch *w, char *buf, size_t len)
{
    static const char *const pre[OA_WATCH_VANISHED + 1] = {[OA_WATCH_FIRST] = "first sighting of "};
    static const char *const post[OA_WATCH_VANISHED + 1] = {
        [OA_WATCH_CHANGED] = " changed",
        [OA_WATCH_APPEARED] = " appeared",
        [OA_WATCH_VANISHED] = " vanished",
    };
    size_t off = 0;

    if (len == 0)
        return buf;
    snprintf(buf, len, "%s", w->always ? "watch is true" : "");
    for (size_t i = 0; i < w->n && !w->always; i++) {
        const struct oa_watch_file *f = &w->files[i];
        bool gone = f->change == OA_WATCH_FIRST && strcmp(f->now, OA_WATCH_MISSING) == 0;
        int n;

        if (!f->fires)
            continue;
        n = snprintf(buf + off, len - off, "%s%s%s%s%s", off ? ", " : "",
                     pre[f->change] ? pre[f->change] : "", f->path,
                     post[f->change] ? post[f->change] : "", gone ? " (missing)" : "");
        if (n < 0 || (size_t)n >= len - off) {
            if (off > 0)
                buf[off] = '\0';
            mark_cut(buf, off, len);
            break;
        }
        off += (size_t)n;
    }
    return buf;
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* design.md security rules: a temp file in the same directory (so rename
 * is atomic), mode 0600, fsync, rename over the old sum. */
static int store_one(const char *dir, const struct oa_watch_file *f, char *reterr, size_t errlen)
{
    char *tmp = join(dir, TEMP_NAME);
    int fd, r = 0;

    if (!tmp)
        return -ENOMEM;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
    } else {
        if (fchmod(fd, 0600) < 0 || (r = write_all(fd, f->now, strlen(f->now))) < 0 ||
            fsync(fd) < 0)
            r = r < 0 ? r : -errno;
        if (close(fd) < 0 && r == 0)
            r = -errno;
        if (r == 0 && rename(tmp, f->sum_path) < 0)
            r = -errno;
        if (r < 0)
            (void)unlink(tmp);
    }
    if (r < 0)
        snprintf(reterr, errlen, "cannot store watch sum %.200s: %s", f->sum_path, strerror(-r));
    oa_free(tmp);
    return r;
}

/* Creates the watch dir 0700 when missing and makes the renames in it
 * durable. */
static int open_dir(const char *dir, int *ret_fd, char *reterr, size_t errlen)
{
    int r = 0, fd;

    if (!oa_fs_exists(dir))
        r = oa_fs_mkdir_p(dir, 0700);
    fd = r < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        r = r < 0 ? r : -errno;
        snprintf(reterr, errlen, "cannot use watch directory %.200s: %s", dir, strerror(-r));
        return r;
    }
    *ret_fd = fd;
    return 0;
}

int oa_watch_store(const struct oa_watch *w, char *reterr, size_t errlen)
{
    bool any = false;
    int r = 0, dfd = -1;

    for (size_t i = 0; i < w->n; i++)
        any |= w->files[i].change != OA_WATCH_SAME;
    if (!any)
        return 0;
    if ((r = open_dir(w->dir, &dfd, reterr, errlen)) < 0)
        return r;
    for (size_t i = 0; i < w->n && r == 0; i++)
        if (w->files[i].change != OA_WATCH_SAME)
            r = store_one(w->dir, &w->files[i], reterr, errlen);
    if (r == 0 && fsync(dfd) < 0) {
        r = -errno;
        snprintf(reterr, errlen, "cannot sync watch directory %.200s: %s", w->dir, strerror(-r));
    }
    close(dfd);
    return r;
}

int oa_watch_store_outcome(const struct oa_watch *w, struct oa_outcome *out)
{
    char why[1024], done[sizeof(out->comment)];
    int r = oa_watch_store(w, why, sizeof(why));
    int keep;

    if (r < 0) {
        /* The reason is kept whole; the action's words make room for it. */
        keep = (int)(sizeof(out->comment) - strlen(why) - sizeof("; "));
        snprintf(done, sizeof(done), "%s", out->comment);
        oa_outcome_set(out, false, out->changed, "%.*s%s%s", keep, done, done[0] ? "; " : "", why);
    }
    return r;
}

void oa_watch_done(struct oa_watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; w->files && i < w->n; i++) {
        oa_free(w->files[i].path);
        oa_free(w->files[i].sum_path);
    }
    oa_free(w->files);
    oa_free(w->dir);
    *w = (struct oa_watch){0};
}

int oa_watch_list_from_param(const struct oa_pvalue *pv, const char *name,
                             struct oa_watch_list *ret, char *reterr, size_t errlen)
{
    struct oa_watch_list l = {NULL, 0, false};

    if (pv->present && pv->n == 0)
        l.always = pv->boolean;
    if (pv->present && pv->n > 0) {
        l.files = pv->items;
        l.n = pv->n;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!oa_fs_is_absolute(l.files[i])) {
            snprintf(reterr, errlen, "parameter '%s': '%.200s' is not an absolute path", name,
                     l.files[i]);
            return OA_ESCHEMA;
        }
    }
    *ret = l;
    return 0;
}
